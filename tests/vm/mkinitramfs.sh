#!/bin/bash
# tests/vm/mkinitramfs.sh --kernel ID --guest-script PATH --out FILE
#                         [--iotrace PATH] [--zfs] [--bpftool] [--extra SRC[:DEST]]...
# Builds a gzip'd newc cpio initramfs for one pinned kernel: busybox-static with applet
# symlinks, the kernel's loop module (+ deps), optionally the ZFS modules and
# zpool/zfs/zinject, optionally bpftool, the iotrace binary (at /bin/iotrace) and the
# guest script (at /guest.sh). Its /init mounts proc, sysfs, devtmpfs, tmpfs /tmp,
# tracefs and debugfs, loads the modules, creates the pool `tank` (with --zfs), runs
# the guest script and prints `IOTRACE-GUEST-RESULT: <status>` on the console (and via
# /dev/kmsg) whatever happens, ships /tmp/out (if the script wrote files there) over
# the second serial port, then powers off. Dynamic ELF files get their `ldd` libraries.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

id="" script="" out="" iotrace="" zfs=0 bpftool=0 extras=()
while (($#)); do
    case $1 in
    --kernel) id=$2; shift ;;
    --guest-script) script=$2; shift ;;
    --out) out=$2; shift ;;
    --iotrace) iotrace=$2; shift ;;
    --zfs) zfs=1 ;;
    --bpftool) bpftool=1 ;;
    --extra) extras+=("$2"); shift ;;
    -h | --help) sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see mkinitramfs.sh --help)" ;;
    esac
    shift
done
[[ -n $id && -n $script && -n $out ]] || die "need --kernel ID --guest-script PATH --out FILE (see --help)"
need_kernel_id "$id"
[[ -r $script ]] || die "guest script '$script' not readable"
[[ -z $iotrace || -x $iotrace ]] || die "iotrace binary '$iotrace' is not an executable file"
ensure_root
arch=$(karch "$id")
host_pkgs cpio:cpio gzip:gzip ldd:libc-bin file:file readelf:binutils
if [[ $arch == amd64 ]]; then
    host_pkgs /bin/busybox:busybox-static
    # blktrace/blkparse: the guests hold biosnoop against the kernel's own block trace
    host_pkgs /usr/sbin/blktrace:blktrace /usr/bin/blkparse:blktrace
    # dmsetup/mdadm: the guests stack a dm linear target and an md RAID1 on the real disks
    host_pkgs /usr/sbin/dmsetup:dmsetup /usr/sbin/mdadm:mdadm
    # mkfs for the fsslower family's guest tests (tests/vm/guest/fs.sh)
    host_pkgs /usr/sbin/mkfs.ext4:e2fsprogs /usr/sbin/mkfs.xfs:xfsprogs /usr/sbin/mkfs.btrfs:btrfs-progs
    ((bpftool)) && host_pkgs bpftool:bpftool
else
    # the arm64 guests' ext4 comes ready-made (see below): the on-disk format has no arch
    host_pkgs /usr/sbin/mkfs.ext4:e2fsprogs
    if ((bpftool)); then
        log "$id: no bpftool in $arch guests (the host's is $(arch_elf amd64)); the iotrace tests do not use it"
        bpftool=0
    fi
fi
if [[ -n $iotrace ]] && ! file -L "$iotrace" | grep -q "$(arch_elf "$arch")"; then
    die "$iotrace is not an $arch executable ($(file -bL "$iotrace" | cut -d, -f1-2)) but kernel $id is $arch; for arm64 build it with scripts/build-arm64.sh"
fi

krel=$(kconf "$id" KREL)
kdir=$(kernel_dir "$id")
[[ -e $kdir/.stamp ]] || "$VM_DIR/fetch-kernels.sh" "$id" >/dev/null

root=$(mktemp -d "${TMPDIR:-/tmp}/iotrace-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,mnt,root,lib/modules,lib64,lib/"$(arch_triplet "$arch")"}

# copy_elf SRC DEST [LD_LIBRARY_PATH]: copy a file; if it is a dynamic ELF, also copy
# exactly the shared libraries `ldd` resolves (to the same path, minus an unpack root).
copy_elf() {
    local src=$1 dest=$2 llp=${3:-} strip_prefix=${4:-}
    mkdir -p "$(dirname "$root$dest")"
    cp -L "$src" "$root$dest" || die "copying $src into the initramfs failed"
    [[ $arch == amd64 ]] || { copy_foreign_libs "$src"; return; }
    local lddout
    if ! lddout=$(LD_LIBRARY_PATH=$llp timeout 30 ldd "$src" 2>&1); then
        # static binaries and non-ELF files: ldd says so and fails
        grep -qE 'not a dynamic executable|statically linked' <<<"$lddout" && return 0
        file -L "$src" 2>/dev/null | grep -q ELF || return 0
        die "ldd $src failed: $lddout"
    fi
    grep -q 'statically linked' <<<"$lddout" && return 0
    if grep -q 'not found' <<<"$lddout"; then
        die "ldd $src: missing libraries: $(grep 'not found' <<<"$lddout" | tr -s '\t\n' '  ')"
    fi
    local lib tgt
    for lib in $(awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }' <<<"$lddout"); do
        tgt=$lib
        [[ -n $strip_prefix && $lib == "$strip_prefix"/* ]] && tgt=${lib#"$strip_prefix"}
        tgt=${tgt/#\/usr\/lib\/x86_64-linux-gnu//lib/x86_64-linux-gnu}
        [[ -e $root$tgt ]] && continue
        mkdir -p "$(dirname "$root$tgt")"
        cp -L "$lib" "$root$tgt" || die "copying library $lib (needed by $src) failed"
    done
}

# copy_foreign_libs SRC: the libraries of a dynamic ELF of another architecture (ldd cannot
# run it): its DT_NEEDED entries, recursively, and its interpreter, from the host's multiarch
# directories (libc6:arm64 comes with scripts/deps.sh arm64).
copy_foreign_libs() {
    local src=$1 interp lib d found tri
    tri=$(arch_triplet "$arch")
    file -L "$src" | grep -q 'ELF.*dynamic' || return 0
    interp=$(readelf -lW "$src" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    if [[ -n $interp && ! -e $root$interp ]]; then
        [[ -e $interp ]] || die "$src needs $interp: install libc6:$arch (scripts/deps.sh arm64)"
        mkdir -p "$(dirname "$root$interp")" && cp -L "$interp" "$root$interp"
    fi
    for lib in $(readelf -dW "$src" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [[ -e $root/lib/$tri/$lib ]] && continue
        found=""
        for d in /lib/$tri /usr/lib/$tri; do [[ -e $d/$lib ]] && { found=$d/$lib; break; }; done
        [[ -n $found ]] || die "$src needs $lib: not in /usr/lib/$tri (install its :$arch package)"
        cp -L "$found" "$root/lib/$tri/$lib"
        copy_foreign_libs "$found"
    done
}

# busybox-static and its applets. arm64: from busybox-static:arm64 (unpacked, never
# installed); its applet list is the host's busybox-static (kernels.conf pins the same version).
bb=/bin/busybox
[[ $arch == amd64 ]] || bb=$(arch_deb_tool "$arch" busybox-static "$ARM64_BUSYBOX_VERSION" /bin/busybox)
copy_elf "$bb" /bin/busybox
bb=/bin/busybox
[[ -x $bb ]] || host_pkgs /bin/busybox:busybox-static
while read -r app; do
    [[ -e $root/$app ]] && continue
    mkdir -p "$(dirname "$root/$app")"
    ln -s /bin/busybox "$root/$app"
done < <("$bb" --list-full)

# kernel modules: $KMODS (+ the ZFS modules' kernel-side deps), dependencies first
read -ra mods <<<"$KMODS $(arch_kmods "$arch")"
if ((zfs)); then
    zver=$(zconf "$id" VERSION)
    [[ -n $zver ]] || die "no ZFS pinned for kernel $id in kernels.conf (run without --zfs)"
    zdir=$(zfs_dir "$id") udir=$(zfsutils_dir "$id")
    [[ -e $zdir/.stamp && -e $udir/.stamp ]] || "$VM_DIR/build-zfs.sh" "$id" >/dev/null ||
        die "build-zfs.sh $id failed"
    while read -r m; do [[ -n $m ]] && mods+=("$m"); done <"$zdir/kernel-deps"
fi
kernel_modules "$id" "${mods[@]}"
: >"$root/etc/modules.order"
while read -r ko; do
    cp "$ko" "$root/lib/modules/$(basename "$ko")"
    basename "$ko" >>"$root/etc/modules.order"
done < <(kernel_mod_order "$id" "${mods[@]}")

if ((zfs)); then
    mkdir -p "$root/lib/modules/zfs"
    while read -r ko; do
        cp "$zdir/$ko" "$root/lib/modules/zfs/$ko"
        echo "zfs/$ko" >>"$root/etc/modules.order"
    done <"$zdir/load-order"
    ur=$udir/root
    llp=$(find "$ur" -name 'lib*.so*' -printf '%h\n' | sort -u | tr '\n' ':')
    for b in zpool zfs zinject; do
        src=""
        for c in "$ur/sbin/$b" "$ur/usr/sbin/$b" "$ur/usr/bin/$b"; do
            # (the packages' bin/ entries are absolute symlinks into the host's /sbin)
            [[ -f $c && ! -L $c ]] && { src=$c; break; }
        done
        [[ -n $src ]] || die "$b not found under $ur (re-run build-zfs.sh $id)"
        rm -f "$root/sbin/$b" "$root/usr/sbin/$b" "$root/bin/$b"
        copy_elf "$src" "/sbin/$b" "$llp" "$ur"
    done
    mkdir -p "$root/etc/zfs"
fi

if ((bpftool)); then
    bt=$(command -v bpftool) || die "bpftool not found on the host (apt-get install bpftool)"
    # Debian's /usr/sbin/bpftool is a wrapper script in some releases; find the ELF
    if ! file -L "$bt" | grep -q ELF; then
        bt=$(ls /usr/lib/linux-tools-*/bpftool /usr/lib/linux-tools/*/bpftool 2>/dev/null | tail -1 || true)
        [[ -n $bt ]] || die "host bpftool is not an ELF binary and no linux-tools bpftool found"
    fi
    copy_elf "$bt" /usr/sbin/bpftool
fi

if [[ $arch == amd64 ]]; then
    copy_elf /usr/sbin/blktrace /usr/sbin/blktrace
    copy_elf /usr/bin/blkparse /usr/bin/blkparse
    # (the arm64 guests run the smaller set of docs/ARM64.md: no stacked devices, no fsslower)
    copy_elf /usr/sbin/dmsetup /usr/sbin/dmsetup
    copy_elf /usr/sbin/mdadm /usr/sbin/mdadm
    for m in mkfs.ext4 mkfs.xfs mkfs.btrfs; do rm -f "$root/sbin/$m"; copy_elf "/usr/sbin/$m" "/sbin/$m"; done
else
    copy_elf "$(arch_deb_tool "$arch" blktrace "$ARM64_BLKTRACE_VERSION" /usr/sbin/blktrace)" /usr/sbin/blktrace
    copy_elf "$(arch_deb_tool "$arch" blktrace "$ARM64_BLKTRACE_VERSION" /usr/bin/blkparse)" /usr/bin/blkparse
    # ext4slower's file system: made here by the host's mkfs.ext4 (the guest has no arm64
    # one), loop-mounted there (tests/vm/guest/fs.sh); empty, it compresses to almost nothing
    mkdir -p "$root/fsimg"
    truncate -s 64M "$root/fsimg/ext4.img" && mkfs.ext4 -q -F "$root/fsimg/ext4.img" >/dev/null 2>&1 ||
        die "mkfs.ext4 of the arm64 guest's ext4 image failed"
fi

if [[ -n $iotrace ]]; then copy_elf "$iotrace" /bin/iotrace; fi
cp "$script" "$root/guest.sh" && chmod +x "$root/guest.sh"
# the scripts beside it, for it to source (/guest/fs.sh)
mkdir -p "$root/guest" && cp "$(dirname "$script")"/*.sh "$root/guest/"

for e in "${extras[@]}"; do
    src=${e%%:*} dst=${e#*:}
    [[ $e == *:* ]] || dst=/extra/$(basename "$src")
    [[ -e $src ]] || die "--extra $src does not exist"
    if [[ -d $src ]]; then mkdir -p "$root$dst" && cp -a "$src/." "$root$dst/"
    else copy_elf "$src" "$dst"; fi
done

cat >"$root/etc/guest.env" <<EOF
KERNEL_ID='$id'
EXPECT_KREL='$krel'
IOTRACE='${iotrace:+/bin/iotrace}'
ZFS=$zfs
ARCH=$arch
EOF

cat >"$root/init" <<'INIT'
#!/bin/sh
# /init of the iotrace VM test initramfs (generated by tests/vm/mkinitramfs.sh)
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib/aarch64-linux-gnu
export HOME=/root TERM=dumb

result() {
    # twice: plain on the console, and via printk (synchronous console write, so the
    # line is out before poweroff even if the tty buffer is not drained)
    echo ""
    echo "IOTRACE-GUEST-RESULT: $1"
    echo "<2>IOTRACE-GUEST-RESULT: $1" >/dev/kmsg 2>/dev/null
}
finish() {
    st=$1
    if [ -d /tmp/out ] && [ -n "$(ls -A /tmp/out 2>/dev/null)" ]; then
        port=$(artefact_port)
        if [ -c "$port" ]; then
            [ "$ARCH" = amd64 ] && stty -F "$port" raw -echo 2>/dev/null
            { echo "IOTRACE-ARTEFACTS-BEGIN"; tar -C /tmp/out -czf - . | base64; echo "IOTRACE-ARTEFACTS-END"; } >"$port"
        else
            echo "init: no artefact port ($port), artefacts in /tmp/out not shipped"
        fi
    fi
    sync
    result "$st"
    poweroff -f
    sleep 5
    echo o >/proc/sysrq-trigger
}
setup_fail() { echo "IOTRACE-GUEST-SETUP-FAILED: $*"; finish 125; }
# artefact_port: where boot.sh reads the artefacts: the second UART on x86; on arm64 (one
# PL011 UART) the virtio-serial port boot.sh names iotrace-artefacts
artefact_port() {
    if [ "$ARCH" = amd64 ]; then echo /dev/ttyS1; return; fi
    for n in /sys/class/virtio-ports/*/name; do
        [ "$(cat "$n" 2>/dev/null)" = iotrace-artefacts ] && { p=${n%/name}; echo "/dev/${p##*/}"; return; }
    done
    echo /dev/null-no-virtio-port
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp || setup_fail "mount tmpfs /tmp"
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing || setup_fail "mount tracefs"
mount -t debugfs debugfs /sys/kernel/debug || setup_fail "mount debugfs"
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
exec </dev/console >/dev/console 2>&1
. /etc/guest.env
mkdir -p /tmp/out

tmo=0
for a in $(cat /proc/cmdline); do
    case $a in iotrace.timeout=*) tmo=${a#iotrace.timeout=} ;; esac
done

echo "init: kernel $(uname -r), loading modules"
while read -r m; do
    insmod "/lib/modules/$m" || {
        n=${m##*/}; n=${n%.ko}
        grep -q "^${n} " /proc/modules || setup_fail "insmod $m"
    }
done </etc/modules.order

if [ "$ZFS" = 1 ]; then
    echo "init: creating zpool tank on /tmp/vdev"
    truncate -s 512M /tmp/vdev || setup_fail "truncate /tmp/vdev"
    zpool create -f -m /tank tank /tmp/vdev || setup_fail "zpool create -f -m /tank tank /tmp/vdev"
fi

echo "init: running guest script (timeout ${tmo}s, 0 = none)"
cd /tmp
export KERNEL_ID EXPECT_KREL IOTRACE ZFS ARCH OUT=/tmp/out
if [ "$tmo" -gt 0 ] 2>/dev/null; then
    timeout -s KILL "$tmo" /bin/sh /guest.sh
else
    /bin/sh /guest.sh
fi
st=$?
echo "init: guest script exited with status $st"
finish "$st"
INIT
chmod +x "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
    timeout 300 cpio --quiet -o -0 -H newc -R 0:0 | gzip -1 >"$out.part") ||
    die "creating the cpio archive $out failed"
mv "$out.part" "$out"
log "$id: initramfs $(du -h "$out" | cut -f1) -> $out"
