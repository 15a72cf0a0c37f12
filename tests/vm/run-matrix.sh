#!/bin/bash
# tests/vm/run-matrix.sh --iotrace PATH --out DIR [--kernels "5.10 6.1 6.12"]
#     [--guest-script PATH] [--zfs] [--facts-dir DIR] [--timeout SECS] [--no-bpftool]
#     [--extra SRC[:DEST]]... [--iotrace-arm64 PATH] [--extra-arm64 SRC[:DEST]]...
# Entry point of the VM test matrix: fetches the pinned kernels (cached), builds ZFS
# when --zfs (cached; a kernel pinned "none" runs without it, one with no pin fails), builds one initramfs
# per kernel, boots each under qemu TCG and prints one PASS/FAIL line per kernel, then
# "kernels: N passed, N failed" and a final "N passed, N failed" line counting the
# guest's assertions (a guest script reports them as "GUEST-CHECKS: PASSED FAILED" on
# the console; a kernel without that line counts as one). On a failure it prints the
# guest's "... FAIL: ..." lines and the end of its console log. Exits non-zero if any
# kernel failed. A guest whose kernel hung or panicked (boot.sh makes soft lockups and hung
# tasks panic, with every CPU's stack on the console) is booted once more (the guest sees
# iotrace.attempt=2 on its kernel command line), so the rest of its assertions still run;
# but the kernel FAILS whatever the second boot says: its line says RETRIED, where the
# first boot's log is, and how many "FAIL:" lines that boot printed, and the totals count
# those lines plus one failure for the hang or panic itself. Nothing is forgiven by a retry.
# Per kernel, DIR/<id>[-zfs]/ keeps console.log, artefacts/, initramfs, result.
# --iotrace ""  runs without an iotrace binary. --facts-dir copies each guest's
# artefacts/facts to FACTS_DIR/<id>/ (tests/vm/facts is the checked-in copy).
# Kernels whose kernels.conf entry says K_<id>_ARCH=arm64 (ids arm64-*) boot under
# qemu-system-aarch64 and get --iotrace-arm64 instead of --iotrace, and each --extra-arm64
# instead of the --extra with the same DEST (binaries built by scripts/build-arm64.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

iotrace=unset out="" kernels=$KERNEL_IDS script=$VM_DIR/guest/smoke.sh zfs=0 facts="" tmo=900
bpftool=1 extras=() iotrace_arm64="" extras_arm64=()
while (($#)); do
    case $1 in
    --iotrace) iotrace=$2; shift ;;
    --out) out=$2; shift ;;
    --kernels) kernels=$2; shift ;;
    --guest-script) script=$2; shift ;;
    --zfs) zfs=1 ;;
    --facts-dir) facts=$2; shift ;;
    --timeout) tmo=$2; shift ;;
    --no-bpftool) bpftool=0 ;;
    --extra) extras+=(--extra "$2"); shift ;;
    --iotrace-arm64) iotrace_arm64=$2; shift ;;
    --extra-arm64) extras_arm64+=("$2"); shift ;;
    -h | --help) sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see run-matrix.sh --help)" ;;
    esac
    shift
done
[[ $iotrace != unset ]] || die "need --iotrace PATH (use --iotrace '' to run without one)"
[[ -n $out ]] || die "need --out DIR for logs and artefacts"
[[ -z $iotrace || -x $iotrace ]] || die "--iotrace $iotrace is not an executable file (build iotrace first)"
[[ -r $script ]] || die "guest script $script not readable"
ensure_root
mkdir -p "$out"
out=$(cd "$out" && pwd)
[[ -z $iotrace ]] || iotrace=$(readlink -f "$iotrace")
[[ -z $iotrace_arm64 ]] || iotrace_arm64=$(readlink -f "$iotrace_arm64")

# arch_args ID -> this kernel's --iotrace and --extra arguments for mkinitramfs.sh, one per
# line: an arm64 kernel gets the arm64 binaries, or fails here with what to pass
arch_args() {
    local a e d x
    a=$(karch "$1")
    if [[ $a == amd64 ]]; then
        [[ -z $iotrace ]] || printf '%s\n' --iotrace "$iotrace"
        ((${#extras[@]} == 0)) || printf '%s\n' "${extras[@]}"
        return 0
    fi
    [[ -z $iotrace_arm64 ]] || printf '%s\n' --iotrace "$iotrace_arm64"
    for ((x = 1; x < ${#extras[@]}; x += 2)); do
        e=${extras[x]} d=${e#*:}
        [[ $e == *:* ]] || d=/extra/$(basename "$e")
        for a in "${extras_arm64[@]}"; do
            [[ ${a#*:} == "$d" ]] && { e=$a; break; }
        done
        printf '%s\n' --extra "$e"
    done
}

t_all=$(now_s)
for id in $kernels; do
    need_kernel_id "$id"
    [[ $(karch "$id") == amd64 || -z $iotrace || -n $iotrace_arm64 ]] ||
        die "kernel $id is $(karch "$id"): pass --iotrace-arm64 PATH too (scripts/build-arm64.sh builds it)"
done
t=$(now_s)
# shellcheck disable=SC2086
"$VM_DIR/fetch-kernels.sh" $kernels >/dev/null
log "kernels ready in $(elapsed "$t")s"

pass=0 fail=0 lines=() cpass=0 cfail=0 retries=0
for id in $kernels; do
    z=$zfs
    # A kernel runs without ZFS only when kernels.conf says so (Z_<id>_VERSION=none): a pin
    # that went missing must not turn the ZFS tests into a silent pass.
    zpin=$(zconf "$id" VERSION)
    if ((z)) && [[ $zpin == none ]]; then
        log "$id: kernels.conf pins no ZFS for this kernel (none); running without --zfs"
        z=0
    elif ((z)) && [[ -z $zpin ]]; then
        line=$(printf '%-4s %-9s %-22s %6ss %s' FAIL "$id" "$(kconf "$id" KREL)" 0 \
            "no Z_${id//[.-]/_}_VERSION in kernels.conf (a version, or none to run it without ZFS)")
        echo "$line"
        lines+=("$line")
        fail=$((fail + 1)) cfail=$((cfail + 1))
        continue
    fi
    name=$id
    if ((z)); then name=$id-zfs; fi
    dir=$out/$name
    mkdir -p "$dir"
    status="" t=$(now_s)
    if ((z)); then
        [[ -e $(zfs_dir "$id")/.stamp ]] ||
            log "$id: building ZFS $(zconf "$id" SRCVER) (not cached: ~5 min on 2 cores; log $dir/build-zfs.log)"
        if ! "$VM_DIR/build-zfs.sh" "$id" >/dev/null 2>"$dir/build-zfs.log"; then
            status="FAIL build-zfs (see $dir/build-zfs.log)"
            tail -3 "$dir/build-zfs.log" >&2
        fi
    fi
    mapfile -t aargs < <(arch_args "$id")
    args=(--kernel "$id" --guest-script "$script" --out "$dir/initramfs.cpio.gz" "${aargs[@]}")
    ((z)) && args+=(--zfs)
    ((bpftool)) && args+=(--bpftool)
    if [[ -z $status ]] && ! "$VM_DIR/mkinitramfs.sh" "${args[@]}" 2>"$dir/mkinitramfs.log"; then
        status="FAIL mkinitramfs (see $dir/mkinitramfs.log)"
        tail -3 "$dir/mkinitramfs.log" >&2
    fi
    mem=1024
    ((z)) && mem=2048
    retried=""
    if [[ -z $status ]]; then
        for attempt in 1 2; do
            set +e
            "$VM_DIR/boot.sh" --kernel "$id" --initrd "$dir/initramfs.cpio.gz" --out "$dir" \
                --timeout "$tmo" --mem "$mem" --guest-timeout $((tmo - 60)) --append "iotrace.attempt=$attempt"
            rc=$?
            set -e
            case $rc in
            0) status=PASS ;;
            124) status="FAIL timeout" ;;
            125) status="FAIL no result marker / setup ($(cat "$dir/result" 2>/dev/null))" ;;
            126) status="FAIL kernel panic" ;;
            *) status="FAIL $(cut -d' ' -f2 "$dir/result" 2>/dev/null || echo "guest-status=$rc")" ;;
            esac
            # A guest kernel that stopped by itself (a lockup made to panic, a hang) gets one
            # more boot, so that the rest of the guest's assertions run: emulated SMP under
            # TCG has hung this way without anything of ours on the stacks. But the kernel
            # fails anyway (below): the first boot's log is kept and named in the result line,
            # and its FAIL lines stay in the totals. A failed assertion is never retried.
            ((attempt == 1)) && [[ $rc == 124 || $rc == 126 ]] || break
            rm -rf "$dir/attempt-1" && mkdir -p "$dir/attempt-1"
            mv "$dir"/{console.log,ttyS1.log,result,qemu.stdout} "$dir/attempt-1/" 2>/dev/null || true
            [[ ! -d $dir/artefacts ]] || mv "$dir/artefacts" "$dir/attempt-1/"
            first_fails=$(tr -d '\r' <"$dir/attempt-1/console.log" 2>/dev/null | grep -ac ' FAIL: ' || true)
            retried="boot 1 failed in the kernel (${status#FAIL }) after ${first_fails:-0} FAIL line(s), log in $dir/attempt-1/"
            log "$id: RETRY: $retried; booting once more (this kernel fails whatever boot 2 says)"
            retries=$((retries + 1))
        done
    fi
    if [[ -n $facts && -d $dir/artefacts/facts ]]; then
        mkdir -p "$facts/$id"
        install -m 644 "$dir"/artefacts/facts/* "$facts/$id/"
    fi
    # a retried guest fails: its first boot hung or panicked
    if [[ -n $retried && $status == PASS ]]; then status="FAIL boot 2 passed"; fi
    detail=${status#PASS}
    detail=${detail#FAIL }
    [[ -z $retried ]] || detail="${detail:+$detail; }RETRIED: $retried"
    # the guest's own count of assertions, if it reports one
    checks=$(tr -d '\r' <"$dir/console.log" 2>/dev/null | grep -ao '^GUEST-CHECKS: [0-9]* [0-9]*' | tail -1 || true)
    if [[ -n $checks ]]; then
        read -r _ cp cf <<<"$checks"
        detail="${detail:+$detail, }$cp of $((cp + cf)) checks passed"
        cpass=$((cpass + cp)) cfail=$((cfail + cf))
        # a guest that counted no failure but did not pass (crash, timeout) fails once more
        [[ $status == PASS ]] || ((cf > 0)) || cfail=$((cfail + 1))
    elif [[ $status == PASS ]]; then
        cpass=$((cpass + 1))
    else
        # no count (it crashed, hung or never ran): its FAIL lines, plus one for the end
        cfail=$((cfail + 1 + $(tr -d '\r' <"$dir/console.log" 2>/dev/null | grep -ac ' FAIL: ' || true)))
    fi
    # a retry keeps the first boot's failures: its FAIL lines, plus one for the hang/panic
    # (unless the line above already counted the kernel's failure once more)
    if [[ -n $retried ]]; then
        cfail=$((cfail + first_fails))
        [[ -z $checks ]] || ((cf == 0)) || cfail=$((cfail + 1))
    fi
    line=$(printf '%-4s %-9s %-22s %6ss %s' "${status%% *}" "$name" "$(kconf "$id" KREL)" "$(elapsed "$t")" "$detail")
    [[ $status == PASS ]] && pass=$((pass + 1)) || fail=$((fail + 1))
    lines+=("$line")
    echo "$line"
    if [[ -n $retried ]]; then
        {
            echo "----- $name: boot 1 (hung or panicked; $dir/attempt-1/console.log): its FAIL lines -----"
            tr -d '\r' <"$dir/attempt-1/console.log" 2>/dev/null | grep -a ' FAIL: ' | head -60 || true
            echo "----- $name: boot 1: last 20 lines of its console -----"
            tr -d '\r' <"$dir/attempt-1/console.log" 2>/dev/null | tail -20 || true
        } >&2
    fi
    if [[ $status != PASS && -s $dir/console.log ]]; then
        {
            echo "----- $name: failed assertions (grep 'FAIL:' $dir/console.log) -----"
            tr -d '\r' <"$dir/console.log" | grep -a ' FAIL: ' | head -60 || true
            echo "----- $name: where the guest script got to (its last 12 lines) -----"
            tr -d '\r' <"$dir/console.log" | grep -a '^IOTRACE ' | tail -12 || true
            echo "----- $name: last 40 lines of $dir/console.log -----"
            tr -d '\r' <"$dir/console.log" | tail -40
            echo "----- end of $name -----"
        } >&2
    fi
done
log "matrix done in $(elapsed "$t_all")s; logs in $out"
retry_note=""
((retries == 0)) || retry_note=" ($retries of them booted twice after a hang or panic: see RETRIED above)"
echo "kernels: $pass passed, $fail failed$retry_note"
echo "$cpass passed, $cfail failed"
((fail == 0))
