#!/bin/bash
# tests/vm/boot.sh --kernel ID --initrd FILE --out DIR [--timeout SECS] [--mem MB]
#                  [--smp N] [--guest-timeout SECS] [--append "ARGS"]
# Boots a pinned kernel with an initramfs from mkinitramfs.sh under qemu (TCG) and
# saves the artefacts in DIR: console.log (the serial console, ttyS0), ttyS1.log (raw
# artefact channel), artefacts/ (the guest's /tmp/out), result, qemu.cmd.
# The guest gets four real disks besides its loop devices, each on a fresh 64 MiB sparse
# file DIR/disk-*.img (deleted after the boot): NVMe (-device nvme), SATA on AHCI
# (ahci + ide-hd), virtio-scsi (scsi-hd) and virtio-blk; the drivers are modules from
# the same kernel package (KMODS in kernels.conf), found in the guest through
# /sys/block/*/device and their driver, with the serials iotrace-nvme|sata|scsi|vblk.
# Exit status: the guest script's status (a guest status of 124..126 becomes 123;
# `result` has the real one), or boot.sh's own failures:
#   124 timeout (host side: qemu killed) -- 125 no result marker (qemu died) or /init
#   setup failed (insmod, zpool create) -- 126 kernel panic.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

id="" initrd="" out="" tmo=600 mem=1024 smp=2 gtmo=0 append=""
while (($#)); do
    case $1 in
    --kernel) id=$2; shift ;;
    --initrd) initrd=$2; shift ;;
    --out) out=$2; shift ;;
    --timeout) tmo=$2; shift ;;
    --mem) mem=$2; shift ;;
    --smp) smp=$2; shift ;;
    --guest-timeout) gtmo=$2; shift ;;
    --append) append=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see boot.sh --help)" ;;
    esac
    shift
done
[[ -n $id && -n $initrd && -n $out ]] || die "need --kernel ID --initrd FILE --out DIR (see --help)"
need_kernel_id "$id"
[[ -r $initrd ]] || die "initramfs '$initrd' not readable (build it with mkinitramfs.sh)"
arch=$(karch "$id")
# shellcheck disable=SC2046
host_pkgs $(arch_host_pkgs "$arch") base64:coreutils
kdir=$(kernel_dir "$id")
[[ -e $kdir/.stamp ]] || "$VM_DIR/fetch-kernels.sh" "$id" >/dev/null
mkdir -p "$out"
rm -rf "$out/artefacts" "$out"/{console.log,ttyS1.log,result}

# panic=-1: reboot at once on panic, and -no-reboot turns that into a qemu exit.
# printk.devkmsg=on: the result marker also goes through /dev/kmsg, never rate-limited.
# A guest hang must fail in seconds with its stacks, not after the host timeout with none:
# soft lockups and hung tasks panic, every CPU's backtrace is printed, and loglevel=5 lets
# the backtraces (printed at the default level 4) through to the console after `quiet`.
cmdline="console=$(arch_console "$arch") panic=-1 quiet loglevel=5 printk.devkmsg=on softlockup_panic=1"
cmdline+=" softlockup_all_cpu_backtrace=1 hung_task_panic=1 hung_task_timeout_secs=300"
cmdline+=" iotrace.timeout=$gtmo $append"
# The real disks: fresh sparse files every boot (nothing of a previous run survives).
disks=(nvme sata scsi vblk)
for d in "${disks[@]}"; do
    rm -f "$out/disk-$d.img"
    truncate -s 64M "$out/disk-$d.img" || die "cannot create the disk image $out/disk-$d.img"
done
trap 'rm -f "$out"/disk-{nvme,sata,scsi,vblk}.img' EXIT
mapfile -t machine < <(arch_qemu "$arch")
mapfile -t artefact_port < <(arch_artefact_qemu "$arch" "$out/ttyS1.log")
qemu=("${machine[@]}" -smp "$smp" -m "$mem"
    -nodefaults -no-user-config -nographic -no-reboot -monitor none
    -kernel "$kdir/vmlinuz" -initrd "$initrd" -append "$cmdline"
    -serial "file:$out/console.log" "${artefact_port[@]}"
    -drive "file=$out/disk-nvme.img,if=none,id=nv0,format=raw,cache=unsafe"
    -device nvme,serial=iotrace-nvme,drive=nv0
    -device ahci,id=ahci0
    -drive "file=$out/disk-sata.img,if=none,id=sata0,format=raw,cache=unsafe"
    -device ide-hd,drive=sata0,bus=ahci0.0,serial=iotrace-sata
    -device virtio-scsi-pci,id=vscsi0
    -drive "file=$out/disk-scsi.img,if=none,id=sc0,format=raw,cache=unsafe"
    -device scsi-hd,drive=sc0,bus=vscsi0.0,serial=iotrace-scsi
    -drive "file=$out/disk-vblk.img,if=none,id=vb0,format=raw,cache=unsafe"
    -device virtio-blk-pci,drive=vb0,serial=iotrace-vblk)
printf '%q ' "${qemu[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"

t0=$(now_s)
set +e
timeout -k 10 "$tmo" "${qemu[@]}" </dev/null >"$out/qemu.stdout" 2>&1
qrc=$?
set -e
secs=$(elapsed "$t0")

fail() { # CODE REASON MESSAGE
    echo "FAIL $2 ${secs}s" >"$out/result"
    printf '[%s] FAILED (%s) kernel %s after %ss: %s\n' "$_prog" "$2" "$id" "$secs" "$3" >&2
    # the first kernel complaint with its stacks says why; the last lines say where it ended
    local first
    first=$(tr -d '\r' <"$out/console.log" 2>/dev/null |
        grep -anE 'BUG:|WARNING:|Oops|INFO: task|rcu: INFO|Kernel panic' | head -1 | cut -d: -f1 || true)
    if [[ -n $first ]]; then
        echo "----- $out/console.log from line $first (the kernel's first complaint) -----" >&2
        tr -d '\r' <"$out/console.log" | sed -n "${first},$((first + 199))p" >&2
    fi
    echo "----- last 40 lines of $out/console.log -----" >&2
    tr -d '\r' <"$out/console.log" 2>/dev/null | tail -40 >&2
    [[ -s $out/qemu.stdout ]] && { echo "----- qemu output -----" >&2; tail -10 "$out/qemu.stdout" >&2; }
    exit "$1"
}

[[ -e $out/console.log ]] || fail 125 qemu "qemu did not start (rc=$qrc): $(tail -3 "$out/qemu.stdout" 2>/dev/null)"

# artefacts shipped over ttyS1 as base64(tar.gz) between markers
if grep -q IOTRACE-ARTEFACTS-END "$out/ttyS1.log" 2>/dev/null; then
    mkdir -p "$out/artefacts"
    tr -d '\r' <"$out/ttyS1.log" | sed -n '/^IOTRACE-ARTEFACTS-BEGIN$/,/^IOTRACE-ARTEFACTS-END$/p' |
        sed '1d;$d' | base64 -d | tar -xzm -C "$out/artefacts" ||
        echo "[$_prog] warning: could not unpack the guest artefacts from $out/ttyS1.log" >&2
fi

marker=$(tr -d '\r' <"$out/console.log" | grep -ao 'IOTRACE-GUEST-RESULT: [0-9]*' | tail -1 | awk '{print $2}' || true)
if [[ -n $marker ]]; then
    if ((marker == 0)); then echo "PASS ${secs}s" >"$out/result"; else echo "FAIL guest-status=$marker ${secs}s" >"$out/result"; fi
    if grep -aq 'IOTRACE-GUEST-SETUP-FAILED' "$out/console.log"; then
        fail 125 setup "/init setup failed: $(grep -ao 'IOTRACE-GUEST-SETUP-FAILED: .*' "$out/console.log" | tr -d '\r' | head -1)"
    fi
    log "$id: guest finished with status $marker in ${secs}s (console: $out/console.log)"
    # 124..126 are boot.sh's own failure codes: a guest status there becomes 123
    if ((marker >= 124 && marker <= 126)); then exit 123; fi
    exit $((marker > 255 ? 123 : marker))
fi
if grep -aq 'Kernel panic' "$out/console.log"; then
    fail 126 panic "kernel panic: $(grep -a 'Kernel panic' "$out/console.log" | tr -d '\r' | head -1)"
fi
if ((qrc == 124 || qrc == 137)); then
    fail 124 timeout "no result within ${tmo}s; qemu killed (raise --timeout, or look for a hang in the log)"
fi
fail 125 no-marker "qemu exited (rc=$qrc) without an IOTRACE-GUEST-RESULT line"
