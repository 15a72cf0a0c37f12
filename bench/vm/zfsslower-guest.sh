#!/bin/sh
# bench/vm/zfsslower-guest.sh -- runs INSIDE the test VM (busybox sh) as /guest.sh, booted by
# bench/zfs-vm.sh through tests/vm/run-matrix.sh --zfs. Measures the cost of
# `iotrace zfsslower --min-ms 10` on cached 4 KiB reads from ZFS: passes over a file held in
# the ARC, untraced and traced alternately, in this one VM. Nothing is slower than 10 ms, so
# zfsslower prints nothing: this is the cost of its probes alone.
# BACKENDS (set by bench/zfs-vm.sh) lists the --backend values measured, each its own config
# ("zfsslower-fentry"): fexit against kretprobes on the same VM, rounds alternating.
# Output lines: "ZFSBENCH pass <config> <round> <bytes> <centiseconds>", then a summary.
# Environment from /init: KERNEL_ID EXPECT_KREL IOTRACE ZFS OUT
ROUNDS=${ROUNDS:-5}
BACKENDS=${BACKENDS:-auto}
FILE_MB=${FILE_MB:-16}
PASSES=${PASSES:-6}

say() { echo "ZFSBENCH $*"; }
fail() { say "FAIL: $*"; exit 1; }

[ "$ZFS" = 1 ] || fail "booted without --zfs"
[ -x "$IOTRACE" ] || fail "no iotrace binary in the guest"
mountpoint -q /tank 2>/dev/null || [ -d /tank ] || fail "no /tank (zpool create failed?)"

# centiseconds since boot (busybox date has no %N; /proc/uptime has 10 ms resolution)
now_cs() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}" | sed 's/^0*//;s/^$/0/'; }

dd if=/dev/urandom of=/tank/bench.dat bs=1M count="$FILE_MB" 2>/dev/null || fail "write /tank/bench.dat"
sync
# warm the ARC: every later pass is served from memory
dd if=/tank/bench.dat of=/dev/null bs=1M 2>/dev/null
dd if=/tank/bench.dat of=/dev/null bs=4k 2>/dev/null

one_pass() { # config round
    t0=$(now_cs)
    i=0
    while [ $i -lt "$PASSES" ]; do
        dd if=/tank/bench.dat of=/dev/null bs=4k 2>/dev/null
        i=$((i + 1))
    done
    t1=$(now_cs)
    say "pass $1 $2 $((FILE_MB * 1048576 * PASSES)) $((t1 - t0))"
}

start_tracer() { # backend
    "$IOTRACE" zfsslower -v --min-ms 10 --backend="$1" >/tmp/zfsslower.out 2>/tmp/zfsslower.err &
    TPID=$!
    n=0
    until grep -q "tracing" /tmp/zfsslower.err 2>/dev/null; do
        n=$((n + 1))
        if [ $n -gt 600 ] || ! kill -0 $TPID 2>/dev/null; then
            cat /tmp/zfsslower.err
            fail "zfsslower did not start"
        fi
        sleep 0.1
    done
    sed 's/^/ZFSBENCH tracer: /' /tmp/zfsslower.err
}

stop_tracer() {
    kill -INT $TPID 2>/dev/null
    wait $TPID
    say "tracer exit $? lines-printed $(wc -l </tmp/zfsslower.out) $(tail -1 /tmp/zfsslower.err)"
}

say "kernel $(uname -r) rounds $ROUNDS file ${FILE_MB}MiB passes $PASSES"
r=1
while [ $r -le "$ROUNDS" ]; do
    # alternate the order from round to round, so that drift favours no configuration
    if [ $((r % 2)) -eq 1 ]; then order="untraced $BACKENDS"; else order="$BACKENDS untraced"; fi
    for c in $order; do
        if [ "$c" = untraced ]; then one_pass untraced $r; continue; fi
        start_tracer "$c"; one_pass "zfsslower-$c" $r; stop_tracer
    done
    r=$((r + 1))
done
mkdir -p "$OUT"
cp /tmp/zfsslower.err "$OUT/" 2>/dev/null
say "done"
exit 0
