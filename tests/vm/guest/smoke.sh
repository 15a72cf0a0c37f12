#!/bin/sh
# tests/vm/guest/smoke.sh -- runs INSIDE the test VM (busybox sh) as /guest.sh.
# Checks the guest has what iotrace needs and records per-kernel facts in $OUT/facts/
# (shipped back to the host by /init; run-matrix.sh --facts-dir keeps them).
# Environment from /init: KERNEL_ID EXPECT_KREL IOTRACE ZFS OUT
fails=0 passes=0
ok() { echo "SMOKE ok:   $*"; passes=$((passes + 1)); }
bad() { echo "SMOKE FAIL: $*"; fails=$((fails + 1)); }
check() { d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

T=/sys/kernel/tracing
F=$OUT/facts
mkdir -p "$F"

# --- kernel ---------------------------------------------------------------
echo "SMOKE kernel: $(uname -r) ($(uname -v))"
check "kernel release is $EXPECT_KREL" [ "$(uname -r)" = "$EXPECT_KREL" ]
uname -r >"$F/uname-r.txt"
check "BTF: /sys/kernel/btf/vmlinux exists" [ -e /sys/kernel/btf/vmlinux ]
check "kprobe PMU: /sys/bus/event_source/devices/kprobe/type exists" \
    [ -e /sys/bus/event_source/devices/kprobe/type ]
check "tracefs mounted: $T/available_filter_functions" [ -r $T/available_filter_functions ]
check "kprobe_events exists" [ -e $T/kprobe_events ]

# --- loop device + O_DIRECT I/O over a tmpfs file ----------------------------
check "loop module loaded" [ -d /sys/module/loop ]
dd if=/dev/zero of=/tmp/loop.img bs=1M count=32 status=none
LOOP=$(losetup -f)
if [ -n "$LOOP" ] && losetup "$LOOP" /tmp/loop.img; then
    ok "losetup $LOOP over /tmp/loop.img (dev $(cat /sys/block/${LOOP#/dev/}/dev))"
    # block_rq_issue must fire for the loop device (it is request based)
    echo 1 >$T/events/block/block_rq_issue/enable
    echo >$T/trace
    check "dd oflag=direct to $LOOP" dd if=/dev/urandom of="$LOOP" bs=64k count=16 oflag=direct status=none
    check "dd iflag=direct from $LOOP" dd if="$LOOP" of=/dev/null bs=64k count=16 iflag=direct status=none
    echo 0 >$T/events/block/block_rq_issue/enable
    n=$(grep -c 'block_rq_issue: 7,' $T/trace)
    check "block_rq_issue fired for loop I/O ($n events on major 7)" [ "$n" -gt 0 ]
    grep -m1 'block_rq_issue: 7,' $T/trace | sed 's/^ *//' >"$F/sample-block_rq_issue.txt"
    losetup -d "$LOOP"
else
    bad "losetup -f / losetup $LOOP /tmp/loop.img"
fi
rm -f /tmp/loop.img

# --- block tracepoints ----------------------------------------------------------
for d in $T/events/block/*/; do d=${d%/}; echo "${d##*/}"; done >"$F/block-tracepoints.txt"
for tp in block_rq_insert block_rq_issue block_rq_complete block_bio_queue; do
    check "tracepoint block/$tp" [ -d $T/events/block/$tp ]
done
for tp in block_io_start block_io_done; do
    if [ -d $T/events/block/$tp ]; then echo "SMOKE info: tracepoint block/$tp present"
    else echo "SMOKE info: tracepoint block/$tp absent"; fi
done
case $KERNEL_ID in
6.12) check "6.12 has block_io_start" [ -d $T/events/block/block_io_start ] ;;
5.10 | 6.1) check "$KERNEL_ID has no block_io_start" [ ! -d $T/events/block/block_io_start ] ;;
esac
for tp in block_rq_insert block_rq_issue block_rq_complete block_io_start block_io_done; do
    [ -r $T/events/block/$tp/format ] && cp $T/events/block/$tp/format "$F/format-$tp.txt"
done

# --- facts: functions, kprobe blacklist, kallsyms ---------------------------------
# Only block-layer and zpl lines (they become unit-test fixtures; keep them small).
PAT='blk_|zpl_'
grep -E "$PAT" $T/available_filter_functions | sort >"$F/available_filter_functions.txt"
# blacklist lines: "0xstart-0xend<TAB>symbol" -> symbol only (addresses vary per boot)
if [ -r /sys/kernel/debug/kprobes/blacklist ]; then
    awk '{print $2}' /sys/kernel/debug/kprobes/blacklist | grep -E "$PAT|block|bio_" | sort -u \
        >"$F/kprobe_blacklist.txt"
    echo "SMOKE info: kprobe blacklist: $(wc -l </sys/kernel/debug/kprobes/blacklist) entries," \
        "$(wc -l <"$F/kprobe_blacklist.txt") block/zpl-related; first: $(head -1 /sys/kernel/debug/kprobes/blacklist)"
else
    bad "no /sys/kernel/debug/kprobes/blacklist"
fi
# kallsyms: "type name [module]", no addresses
awk '{ print $2, $3, $4 }' /proc/kallsyms | grep -E " (__)?(blk_account_io|blk_mq_start_request|blk_mq_end_request|blk_mq_complete_request|__blk_mq_end_request|zpl_)" |
    sed 's/ *$//' | sort -k2 >"$F/kallsyms.txt"
for fn in blk_account_io_start __blk_account_io_start blk_account_io_done __blk_account_io_done blk_mq_start_request; do
    a=no; b=no; k=absent
    grep -qx "$fn" $T/available_filter_functions && a=yes
    grep -qx "$fn" "$F/kprobe_blacklist.txt" 2>/dev/null && b=yes
    t=$(awk -v f="$fn" '$3 == f { print $2; exit }' /proc/kallsyms)
    [ -n "$t" ] && k=$t
    # does a (tracefs) kprobe attach? fentry needs available_filter_functions=yes
    # (trace_kprobe refuses functions ftrace does not know: dmesg says
    # "Could not probe notrace function X"; the perf kprobe PMU that BPF uses goes
    # through the same code, so kprobe_attach=no(notrace) also means no BPF kprobe)
    if err=$({ echo "p:iotrace_probe $fn" >>$T/kprobe_events; } 2>&1); then
        kp=yes
        echo '-:iotrace_probe' >>$T/kprobe_events
    elif dmesg | tail -3 | grep -q "Could not probe notrace function $fn\$"; then
        kp="no(notrace)"
    else
        case $err in
        *"No such file"*) kp="no(ENOENT)" ;;
        *"Invalid argument"*) kp="no(EINVAL)" ;;
        *) kp="no(${err##*: })" ;;
        esac
    fi
    echo "$fn kallsyms=$k available_filter_functions=$a kprobe_blacklist=$b kprobe_attach=$kp" |
        tee -a "$F/block-functions.txt"
done

# kprobe on a block function actually attaches (via tracefs)
if echo 'p:iotrace_smoke blk_mq_start_request' >$T/kprobe_events 2>/dev/null; then
    ok "kprobe on blk_mq_start_request attaches"
    echo '-:iotrace_smoke' >>$T/kprobe_events
else
    bad "kprobe on blk_mq_start_request attaches"
fi

# --- BTF prototypes of the block tracepoints ----------------------------------------
if command -v bpftool >/dev/null 2>&1; then
    bpftool btf dump file /sys/kernel/btf/vmlinux format raw >/tmp/btf.raw 2>/tmp/btf.err &&
        grep -A3 "'btf_trace_block_" /tmp/btf.raw >"$F/btf_trace_block.raw.txt"
    bpftool btf dump file /sys/kernel/btf/vmlinux format c 2>/dev/null |
        grep -E 'typedef .*\(\*btf_trace_block_' >"$F/btf_trace_block.h"
    check "BTF has btf_trace_block_rq_issue" grep -q btf_trace_block_rq_issue "$F/btf_trace_block.h"
    grep -E 'btf_trace_block_rq_(insert|issue)\)' "$F/btf_trace_block.h" | sed 's/^/SMOKE btf: /'
    rm -f /tmp/btf.raw /tmp/btf.err
else
    echo "SMOKE info: no bpftool in the initramfs, BTF prototypes not dumped"
fi

# --- iotrace -----------------------------------------------------------------
if [ -n "$IOTRACE" ]; then
    v=$("$IOTRACE" --version 2>&1); rc=$?
    echo "SMOKE iotrace --version: $v"
    check "$IOTRACE --version exits 0" [ "$rc" -eq 0 ]
fi

# --- ZFS ---------------------------------------------------------------------
if [ "$ZFS" = 1 ]; then
    check "zpool tank is ONLINE" sh -c 'zpool list -H -o health tank | grep -qx ONLINE'
    zpool list tank
    echo "SMOKE zfs version: $(cat /sys/module/zfs/version 2>/dev/null)"
    cat /sys/module/zfs/version >"$F/zfs-version.txt" 2>/dev/null
    check "write to /tank" dd if=/dev/urandom of=/tank/f bs=128k count=8 status=none
    check "read from /tank" dd if=/tank/f of=/dev/null bs=128k status=none
    # shellcheck disable=SC2046
    echo "SMOKE zpl text symbols in kallsyms:" $(awk '$2 ~ /^[tT]$/ && $3 ~ /^zpl_/ { print $3 }' /proc/kallsyms | sort)
    for fn in zpl_iter_read zpl_iter_write zpl_open zpl_fsync; do
        check "kallsyms has $fn [zfs]" grep -qE " ${fn}[[:space:]]+\[zfs\]" /proc/kallsyms
    done
    check "available_filter_functions lists zpl_iter_read [zfs]" \
        grep -qE '^zpl_iter_read \[zfs\]' $T/available_filter_functions
    if [ -e /sys/kernel/btf/zfs ]; then
        echo "SMOKE info: zfs module has BTF (/sys/kernel/btf/zfs): fentry on zpl_* is possible"
        echo yes >"$F/zfs-module-btf.txt"
        if command -v bpftool >/dev/null 2>&1; then
            bpftool btf dump file /sys/kernel/btf/zfs format raw 2>/dev/null |
                grep -E "^\[[0-9]+\] FUNC 'zpl_" | sed 's/^\[[0-9]*\] //; s/ type_id=[0-9]*//' | sort >"$F/zfs-btf-zpl-funcs.txt"
        fi
    else
        echo "SMOKE info: zfs module has no BTF: kprobes are the only way into zpl_*"
        echo no >"$F/zfs-module-btf.txt"
    fi
    if echo 'p:iotrace_zpl zpl_iter_read' >$T/kprobe_events 2>/dev/null; then
        ok "kprobe on zpl_iter_read attaches"
        echo '-:iotrace_zpl' >>$T/kprobe_events
    else
        bad "kprobe on zpl_iter_read attaches"
    fi
fi

echo "SMOKE done: $fails failed check(s) on $(uname -r)"
echo "GUEST-CHECKS: $passes $fails"
[ "$fails" -eq 0 ]
