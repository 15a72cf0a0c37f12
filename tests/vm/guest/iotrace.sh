#!/bin/sh
# tests/vm/guest/iotrace.sh -- runs INSIDE the test VM (busybox sh + awk) as /guest.sh.
# End-to-end tests of iotrace on a real kernel: every backend of biosnoop on a loop device,
# and zfsslower on a real pool when the initramfs has ZFS (mkinitramfs.sh --zfs).
#
# Needs in the initramfs (tests/vm/run-matrix.sh --extra):
#   /bin/iotest                       the static I/O helper (build*/tests/iotest)
#   /etc/iotrace/expected/choices.txt the expected attach points (tests/vm/expected/)
# Environment from /init: KERNEL_ID EXPECT_KREL IOTRACE ZFS OUT
#
# Output: one line per assertion, "IOTRACE ok:   ..." or "IOTRACE FAIL: ..." (also in
# $OUT/results.txt), then "GUEST-CHECKS: <passed> <failed>" for run-matrix.sh.
# Artefacts in $OUT (shipped back by /init): each run's stdout/stderr (runs/), the
# `iotrace probes` reports (probes/), and compat/ (kernel facts + observed choices, read by
# tests/vm/gen-compat.sh to write docs/COMPATIBILITY.md). Exit status: failures (max 100).

IOTRACE=${IOTRACE:-/bin/iotrace}
IOTEST=/bin/iotest
EXPECTED=/etc/iotrace/expected/choices.txt
T=/sys/kernel/tracing
RUNS=$OUT/runs
mkdir -p "$RUNS" "$OUT/probes" "$OUT/compat"
: >"$OUT/results.txt"
: >"$OUT/compat/choices.txt"

passes=0 fails=0
ok() { passes=$((passes + 1)); echo "IOTRACE ok:   $*"; echo "ok   $*" >>"$OUT/results.txt"; }
bad() { fails=$((fails + 1)); echo "IOTRACE FAIL: $*"; echo "FAIL $*" >>"$OUT/results.txt"; }
info() { echo "IOTRACE info: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# section NAME: a header with the guest's uptime (where the time goes, under TCG)
section() { echo "IOTRACE ---- $* (t=$(uptime_s)s)"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
# show FILE: a run's output, indented, for the console log (only when something failed)
show() { [ -s "$1" ] && sed 's/^/    | /' "$1" | head -${2:-40}; }

finish() {
    section "done"
    echo "IOTRACE done: $passes passed, $fails failed on $(uname -r)"
    echo "GUEST-CHECKS: $passes $fails"
    [ "$fails" -gt 100 ] && fails=100
    exit "$fails"
}

# ---- running a tracer ---------------------------------------------------------------------
# start TAG CMD...: run a tracer in the background (stdout $RUNS/TAG.out, stderr TAG.err)
# and wait for its "tracing" line: from then on nothing is missed. Fails (status 1) if the
# tracer exits first or 120 s pass (TCG is slow; loading BPF takes seconds).
start() {
    launch "$@"
    await "$1"
}
# launch TAG CMD...: only start it (several tracers attach in parallel; then await each)
launch() {
    _tag=$1; shift
    "$@" >"$RUNS/$_tag.out" 2>"$RUNS/$_tag.err" &
    eval "pid_$_tag=$! t0_$_tag=$(uptime_s)"
}
# await TAG: wait for its "tracing" line (status 0) or its end (status 1)
await() {
    _tag=$1
    eval "_p=\$pid_$_tag"
    _i=0
    while [ $_i -lt 1200 ]; do
        grep -q ': tracing[;]' "$RUNS/$_tag.err" 2>/dev/null && return 0
        kill -0 "$_p" 2>/dev/null || return 1
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}
# stop TAG: SIGINT (what Ctrl-C sends), wait; sets rc to its exit status (137: it hung and
# was killed after 30 s)
stop() {
    eval "_p=\$pid_$1"
    kill -INT "$_p" 2>/dev/null
    ( sleep 30; kill -KILL "$_p" 2>/dev/null ) &
    _w=$!
    wait "$_p"
    rc=$?
    kill "$_w" 2>/dev/null
    wait "$_w" 2>/dev/null
    return 0
}
# started TAG WHAT: assert that start succeeded (status in $?)
started() {
    _st=$?
    eval "_t0=\$t0_$1"
    if [ $_st -eq 0 ]; then
        ok "$2: tracing started ($(awk -v a="$_t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }') s)"
        return 0
    fi
    bad "$2: no 'tracing' line (exited or hung before attaching)"
    show "$RUNS/$1.err"
    return 1
}
# stopped TAG WHAT: stop it and assert exit status 0 after SIGINT
stopped() {
    stop "$1"
    if [ "$rc" -eq 0 ]; then ok "$2: exit 0 after SIGINT"; else
        bad "$2: exit status $rc after SIGINT (expected 0)"; show "$RUNS/$1.err"; fi
}

# iotest TAG ARGS...: run the I/O helper, its output in $RUNS/TAG.iotest; sets iopid
iotest() {
    _tag=$1; shift
    "$IOTEST" "$@" >"$RUNS/$_tag.iotest" 2>&1
    _st=$?
    iopid=$(awk '$1 == "pid" { print $2; exit }' "$RUNS/$_tag.iotest")
    if [ $_st -ne 0 ] || [ -z "$iopid" ]; then
        bad "iotest $* (status $_st)"; show "$RUNS/$_tag.iotest"; return 1; fi
    return 0
}

# ---- what was chosen --------------------------------------------------------------------------
# chosen TOOL ERRFILE: the -v lines "TOOL: PROBE: KIND TARGET [MOD]" as "PROBE KIND TARGET [MOD]",
# sorted, one per line
chosen() {
    awk -v tool="$1" '
        $1 == tool ":" && $2 ~ /^[a-z_]+:$/ && $3 ~ /^(tp_btf|raw_tp|tracepoint|fentry|kprobe)$/ {
            sub(/:$/, "", $2); line = $2
            for (i = 3; i <= NF; i++) line = line " " $i
            print line
        }' "$2" | sort
}
# expected TOOL BACKEND: the expected choice lines for this kernel, same format; "- fails"
# when that backend must fail; nothing when this kernel has no expectation
expected() {
    awk -v tool="$1" -v k="$KERNEL_ID" -v b="$2" '
        $1 == tool && $2 == k && $3 == b {
            line = $4
            for (i = 5; i <= NF; i++) line = line " " $i
            print line
        }' "$EXPECTED" | sort
}
# kinds_of BACKEND: the attach kinds (ERE) a forced backend may use
kinds_of() {
    case $1 in
    tracepoint) echo '^(tp_btf|raw_tp|tracepoint)$' ;;
    fentry) echo '^fentry$' ;;
    kprobe) echo '^kprobe$' ;;
    *) echo '.' ;;
    esac
}
# check_choices TOOL BACKEND ERRFILE: the -v lines match the expectation exactly, and a
# forced backend used only its own kinds. Records the choice in compat/choices.txt.
check_choices() {
    _got=$(chosen "$1" "$3")
    _exp=$(expected "$1" "$2")
    if [ -z "$_got" ]; then
        bad "$1 --backend=$2: no chosen-probe lines on stderr with -v"; show "$3"
    elif [ -z "$_exp" ]; then
        bad "$1 --backend=$2: no expectation for kernel $KERNEL_ID in tests/vm/expected/choices.txt (got: $(echo "$_got" | tr '\n' ';'))"
    elif [ "$_got" = "$_exp" ]; then
        ok "$1 --backend=$2 chose the expected attach points: $(echo "$_got" | tr '\n' ';')"
    else
        bad "$1 --backend=$2 chose $(echo "$_got" | tr '\n' ';') but expected $(echo "$_exp" | tr '\n' ';')"
    fi
    if [ "$2" != auto ] && [ -n "$_got" ]; then
        _re=$(kinds_of "$2")
        _wrong=$(echo "$_got" | awk -v re="$_re" '$2 !~ re' | tr '\n' ';')
        if [ -z "$_wrong" ]; then ok "$1 --backend=$2: every chosen probe is of kind $2"
        else bad "$1 --backend=$2: probes of another kind: $_wrong"; fi
    fi
}
# record TOOL BACKEND RESULT ERRFILE: compat/choices.txt lines
#   TOOL BACKEND RESULT PROBE KIND TARGET...   RESULT: works | broken | fails
record() {
    if [ "$3" = fails ]; then
        # the first rejected candidate's reason, else the last line of the explanation
        _msg=$(grep -m1 '^    [a-z_]* ' "$4" | sed 's/^ *//')
        [ -n "$_msg" ] || _msg=$(grep '^  ' "$4" | tail -1 | sed 's/^ *//')
        [ -n "$_msg" ] || _msg=$(grep -m1 -E 'error' "$4")
        echo "$1 $2 fails - $(echo "$_msg" | cut -c1-200)" >>"$OUT/compat/choices.txt"
        return
    fi
    chosen "$1" "$4" | while read -r _line; do
        echo "$1 $2 $3 $_line" >>"$OUT/compat/choices.txt"
    done
}

# ---- reading the output -----------------------------------------------------------------------
# project FILE FORMAT FIELDS...: one line per record, the named fields joined by "|".
# FORMAT csv: FIELDS are header names; json: keys of the records whose "record" is
# REC (io / op) -- set REC before calling. String values keep their JSON escapes.
project() {
    _f=$1 _fmt=$2; shift 2
    awk -v fmt="$_fmt" -v fields="$*" -v rec="${REC:-}" '
        function jval(s, k,    i, r, c, out) {
            i = index(s, "\"" k "\":")
            if (!i) return ""
            r = substr(s, i + length(k) + 3)
            if (substr(r, 1, 1) == "\"") {
                r = substr(r, 2); out = ""
                while (length(r)) {
                    c = substr(r, 1, 1)
                    if (c == "\\") { out = out substr(r, 1, 2); r = substr(r, 3); continue }
                    if (c == "\"") break
                    out = out c; r = substr(r, 2)
                }
                return out
            }
            match(r, /^[^,}]*/)
            return substr(r, 1, RLENGTH)
        }
        BEGIN { n = split(fields, want, " ") }
        fmt == "csv" && NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; FS = ","; next }
        fmt == "csv" {
            nf = split($0, v, ",")
            line = ""
            for (i = 1; i <= n; i++) line = line (i > 1 ? "|" : "") v[col[want[i]]]
            print line
        }
        fmt == "json" && index($0, "\"record\":\"" rec "\"") {
            line = ""
            for (i = 1; i <= n; i++) line = line (i > 1 ? "|" : "") jval($0, want[i])
            print line
        }' FS=, "$_f"
}

# ============================================================================================
echo "IOTRACE kernel: $(uname -r) (id $KERNEL_ID, ZFS=$ZFS)"
check "kernel release is $EXPECT_KREL" [ "$(uname -r)" = "$EXPECT_KREL" ]
if [ -z "$IOTRACE" ] || [ ! -x "$IOTRACE" ]; then
    bad "no iotrace binary in the initramfs (run-matrix.sh --iotrace PATH)"; finish; fi
if [ ! -x "$IOTEST" ]; then
    bad "no $IOTEST (run-matrix.sh --extra build/tests/iotest:/bin/iotest)"; finish; fi
if [ ! -r "$EXPECTED" ]; then
    bad "no $EXPECTED (run-matrix.sh --extra tests/vm/expected:/etc/iotrace/expected)"; finish; fi
v=$("$IOTRACE" --version 2>&1)
check "iotrace --version exits 0 ($v)" [ $? -eq 0 ]

# ---- kernel facts for docs/COMPATIBILITY.md ---------------------------------------------------
# fn_state NAME: traceable (in available_filter_functions) | notrace (only in kallsyms) | absent
fn_state() {
    if grep -qx "$1" $T/available_filter_functions; then echo traceable
    elif awk -v f="$1" '$3 == f { found = 1; exit } END { exit !found }' /proc/kallsyms; then echo notrace
    else echo absent; fi
}
{
    echo "kernel_id=$KERNEL_ID"
    echo "release=$(uname -r)"
    echo "machine=$(uname -m)"
    echo "btf_vmlinux=$([ -e /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
    echo "kprobe_pmu=$([ -e /sys/bus/event_source/devices/kprobe/type ] && echo yes || echo no)"
    for tp in block_io_start block_io_done block_rq_insert block_rq_issue block_rq_complete \
        block_rq_merge; do
        echo "tp_$tp=$([ -d $T/events/block/$tp ] && echo yes || echo no)"
    done
    for fn in blk_account_io_start __blk_account_io_start blk_account_io_done blk_mq_start_request \
        blk_mq_insert_request blk_mq_sched_insert_request blk_add_rq_to_plug blk_mq_end_request \
        __blk_mq_end_request blk_update_request blk_mq_end_request_batch blk_mq_free_request; do
        echo "fn_$fn=$(fn_state $fn)"
    done
} >"$OUT/compat/kernel.txt"

# ============================================================================================
# biosnoop
# ============================================================================================
section "biosnoop: iotrace probes"
"$IOTRACE" probes biosnoop >"$OUT/probes/biosnoop.txt" 2>&1
check "iotrace probes biosnoop exits 0" [ $? -eq 0 ]
"$IOTRACE" probes biosnoop --json >"$OUT/probes/biosnoop.json" 2>"$OUT/probes/biosnoop.json.err"
rc=$?
check "iotrace probes biosnoop --json exits 0 and says can_run" \
    sh -c "[ $rc -eq 0 ] && grep -q '\"can_run\":true' '$OUT/probes/biosnoop.json'"
# (JSON only: each run reads all the kernel facts again, seconds under TCG)
# A backend choices.txt says fails here (fentry on arm64 5.10: no BPF trampolines before 6.0)
# must say so and why: exit 1, can_run false, and the kernel feature's reason in the report.
for b in tracepoint fentry kprobe; do
    "$IOTRACE" probes biosnoop --backend $b --json >"$OUT/probes/biosnoop-$b.json" 2>"$OUT/probes/biosnoop-$b.err"
    rc=$?
    if [ "$(expected biosnoop $b)" = "- fails" ]; then
        _why=$(sed -n "s/^ *$b: //p" "$OUT/probes/biosnoop.txt" | head -1)
        check "iotrace probes biosnoop --backend $b --json: exit 1, can_run false (no $b on this kernel)" \
            sh -c "[ $rc -eq 1 ] && grep -q '\"can_run\":false' '$OUT/probes/biosnoop-$b.json'"
        check "iotrace probes biosnoop says why $b is missing: ${_why:-nothing} ($b=no)" \
            sh -c "[ -n '$_why' ] && grep -q ' $b=no' '$OUT/probes/biosnoop.txt' && grep -qF '$_why' '$OUT/probes/biosnoop-$b.json'"
    elif [ $rc -eq 0 ]; then ok "iotrace probes biosnoop --backend $b --json exits 0"; else
        bad "iotrace probes biosnoop --backend $b --json: exit $rc"; show "$OUT/probes/biosnoop-$b.err"; fi
done

section "biosnoop on a loop device"
dd if=/dev/zero of=/tmp/loop.img bs=1M count=16 status=none
LOOP=$(losetup -f)
if [ -z "$LOOP" ] || ! losetup "$LOOP" /tmp/loop.img; then
    bad "losetup $LOOP /tmp/loop.img"; finish; fi
DISK=${LOOP#/dev/}
echo "loop_scheduler=$(cat /sys/block/$DISK/queue/scheduler)" >>"$OUT/compat/kernel.txt"
info "$LOOP over /tmp/loop.img, scheduler: $(cat /sys/block/$DISK/queue/scheduler)"

# The known I/O: O_DIRECT writes and a read, each one request: TYPE SECTOR BYTES
BIO_OPS="write $LOOP 4096 4096 write $LOOP 1048576 8192 read $LOOP 65536 65536"
BIO_EXPECT="W 8 4096
W 2048 8192
R 128 65536"
BIO_FIELDS_CSV="disk rwbs sector bytes comm pid latency_ns owner_at_issue"

# bio_check FILE FORMAT WHAT: every expected request exactly once, with its owner; nothing
# else from iotest's pid. Sets bio_ok=1 when all held.
bio_check() {
    REC=io project "$1" "$2" $BIO_FIELDS_CSV >"$1.facts"
    bio_ok=1
    # (a here-document, not a pipe: the loop must run in this shell to count)
    while read -r t sec by; do
        n=$(awk -F'|' -v d="$DISK" -v t="$t" -v s="$sec" -v b="$by" -v p="$iopid" '
            { op = $2; sub(/^F/, "", op); op = substr(op, 1, 1) }
            $1 == d && op == t && $3 == s && $4 == b && $5 == "iot-writer" && $6 == p && $7 > 0 { n++ }
            END { print n + 0 }' "$1.facts")
        if [ "$n" -eq 1 ]; then ok "$3: one $t request, sector $sec, $by bytes, iot-writer pid $iopid, latency > 0"
        else
            bad "$3: $n lines (expected 1) for $t sector $sec $by bytes comm iot-writer pid $iopid on $DISK"
            bio_ok=0
        fi
    done <<EOF
$BIO_EXPECT
EOF
    others=$(awk -F'|' -v p="$iopid" '$6 == p' "$1.facts" | wc -l)
    if [ "$others" -eq 3 ]; then ok "$3: exactly 3 requests from iotest's pid"; else
        bad "$3: $others requests from iotest's pid (expected 3)"; bio_ok=0; fi
    # who owned it: at creation/insert (false) or at issue (true); informational
    owners=$(awk -F'|' -v p="$iopid" '$6 == p { printf "%s%s@%s=%s ", substr($2,1,1), $4, $3, $8 }' "$1.facts")
    info "$3: owner_at_issue per request: $owners"
    echo "$3: $owners" >>"$OUT/compat/owners.txt"
    [ $bio_ok -eq 1 ] || { show "$1"; show "${1%.out}.err"; }
}

for b in auto tracepoint fentry kprobe; do
    tag=bio_$b
    what="biosnoop --backend=$b"
    section "$what"
    exp=$(expected biosnoop $b)
    if [ "$exp" = "- fails" ]; then
        "$IOTRACE" biosnoop -v --csv -d "$DISK" --backend=$b >"$RUNS/$tag.out" 2>"$RUNS/$tag.err" </dev/null &
        p=$!; ( sleep 60; kill -KILL $p 2>/dev/null ) & w=$!; wait $p; rc=$?; kill $w 2>/dev/null
        check "$what fails with exit 1 here (status $rc)" [ $rc -eq 1 ]
        check "$what: the message names the backend" grep -q -- "--backend=$b" "$RUNS/$tag.err"
        record biosnoop $b fails "$RUNS/$tag.err"
        continue
    fi
    launch $tag "$IOTRACE" biosnoop -v --csv -d "$DISK" --backend=$b
    # with auto, a second instance at the same time, in JSON: the same requests
    [ $b = auto ] && launch bio_json "$IOTRACE" biosnoop -v --json -d "$DISK"
    json=""
    if [ $b = auto ]; then
        await bio_json
        started bio_json "biosnoop --json" && json=1
    fi
    await $tag
    started $tag "$what" || { record biosnoop $b fails "$RUNS/$tag.err"; stop $tag; continue; }
    iotest $tag -n iot-writer $BIO_OPS
    sleep 0.3
    stopped $tag "$what"
    [ -n "$json" ] && stopped bio_json "biosnoop --json"
    check_choices biosnoop $b "$RUNS/$tag.err"
    bio_check "$RUNS/$tag.out" csv "$what --csv"
    result=works
    [ $bio_ok -eq 1 ] || result=broken
    record biosnoop $b $result "$RUNS/$tag.err"
    if [ -n "$json" ]; then
        bio_check "$RUNS/bio_json.out" json "biosnoop --json"
        awk -F'|' -v p="$iopid" '$6 == p { print $1, $2, $3, $4, $5, $6, $8 }' "$RUNS/$tag.out.facts" | sort >/tmp/a
        awk -F'|' -v p="$iopid" '$6 == p { print $1, $2, $3, $4, $5, $6, $8 }' "$RUNS/bio_json.out.facts" | sort >/tmp/b
        check "biosnoop --csv and --json carry the same requests" cmp -s /tmp/a /tmp/b
        check "biosnoop --json ends with a summary record" sh -c "tail -1 '$RUNS/bio_json.out' | grep -q '\"record\":\"summary\"'"
    fi
done
losetup -d "$LOOP"
rm -f /tmp/loop.img

# ============================================================================================
# biosnoop on real drivers: the four disks boot.sh gives every guest (NVMe, SATA on AHCI,
# virtio-scsi, virtio-blk; drivers from KMODS in kernels.conf). The judge is the kernel: per
# disk, biosnoop's rows must equal the requests /sys/block/DISK/stat says completed in the
# window, every known request must be there once with its type, sector, size and owner, and
# the summary's "N events, N lost" must say what it missed.
# ============================================================================================
section "biosnoop on real drivers: the disks"
# disk_driver DISK: the disk driver above /sys/block/DISK/device (the first ancestor whose
# driver is one of ours; a SCSI disk's own driver is "sd", its host's is ahci or virtio_scsi)
disk_driver() {
    _d=$(readlink -f "/sys/block/$1/device" 2>/dev/null)
    while [ -n "$_d" ] && [ "$_d" != / ] && [ "$_d" != /sys/devices ]; do
        if [ -e "$_d/driver" ]; then
            _n=$(basename "$(readlink -f "$_d/driver")")
            case $_n in nvme | ahci | virtio_scsi | virtio_blk) echo "$_n"; return 0 ;; esac
        fi
        _d=$(dirname "$_d")
    done
    echo none
}
RD_DRIVERS="nvme ahci virtio_scsi virtio_blk"
: >"$OUT/compat/drivers.txt"
# the disks show up asynchronously (NVMe namespace and SCSI scans): wait up to 60 s for all
_i=0
while :; do
    for drv in $RD_DRIVERS; do eval "RD_$drv="; done
    for p in /sys/block/*; do
        d=${p##*/}
        case $d in loop* | ram* | zram* | zd* | sr* | md* | dm-*) continue ;; esac
        drv=$(disk_driver "$d")
        case " $RD_DRIVERS " in *" $drv "*) eval "RD_$drv=\$d" ;; esac
    done
    _missing=""
    for drv in $RD_DRIVERS; do eval "[ -n \"\$RD_$drv\" ]" || _missing="$_missing $drv"; done
    [ -z "$_missing" ] || [ $_i -ge 600 ] && break
    sleep 0.1
    _i=$((_i + 1))
done
RD_DISKS=""
for drv in $RD_DRIVERS; do
    eval "d=\$RD_$drv"
    if [ -z "$d" ]; then
        bad "real disk with driver $drv did not appear within 60 s (/sys/block: $(ls /sys/block | tr '\n' ' '); boot.sh gives every guest one)"
        echo "$drv - - - missing 0 0 0 0 0 - no disk with this driver appeared within 60 s" >>"$OUT/compat/drivers.txt"
        continue
    fi
    ok "real disk with driver $drv: $d ($(cat /sys/block/$d/size) sectors, schedulers: $(cat /sys/block/$d/queue/scheduler))"
    check "$d ($drv): the kernel counts its I/O (queue/iostats = 1)" [ "$(cat /sys/block/$d/queue/iostats)" = 1 ]
    echo "disk_$drv=$d" >>"$OUT/compat/kernel.txt"
    RD_DISKS="$RD_DISKS $drv"
done

# Which schedulers: none and mq-deadline everywhere; bfq and kyber on 6.12 only (wall time:
# each scheduler costs every backend on every disk once, see tests/vm/README.md).
RD_SCHEDS="none mq-deadline"
[ "$KERNEL_ID" = 6.12 ] && RD_SCHEDS="$RD_SCHEDS bfq kyber"
echo "rd_schedulers=$RD_SCHEDS" >>"$OUT/compat/kernel.txt"

# The known I/O per disk: 4 O_DIRECT writes and 4 reads of 64 KiB at distinct, non-adjacent
# offsets (no merges): TYPE SECTOR BYTES
RD_EXPECT="W 2048 65536
W 6144 65536
W 10240 65536
W 14336 65536
R 4096 65536
R 8192 65536
R 12288 65536
R 16384 65536"
rd_ops() {
    echo "$RD_EXPECT" | while read -r _t _s _b; do
        [ "$_t" = W ] && printf 'write ' || printf 'read '
        printf '/dev/%s %s %s ' "$1" $((_s * 512)) "$_b"
    done
}
# rd_stat DISK: "reads writes discards flushes" completed (fields 1, 5, 12, 15 of the stat file)
rd_stat() { awk '{ print $1, $5, ($12 == "" ? 0 : $12), ($15 == "" ? 0 : $15) }' "/sys/block/$1/stat"; }
# rd_record DRIVER DISK SCHED BACKEND RESULT SEEN KERNEL KNOWN LOST EVENTS WHY -> compat/drivers.txt
#   RESULT: exact | wrong | refuses | error | missing
rd_record() { echo "$1 $2 $3 $4 $5 $6 $7 $8 $9 ${10} - $(echo "${11}" | tr '\n' ' ' | cut -c1-200)" >>"$OUT/compat/drivers.txt"; }
# rd_set_sched DISK SCHED: set it explicitly (SCSI disks come up with either) and read it back
rd_set_sched() {
    echo "$2" >"/sys/block/$1/queue/scheduler" 2>/dev/null
    grep -q "\[$2\]" "/sys/block/$1/queue/scheduler"
}

# rd_judge DRIVER DISK SCHED BACKEND TAG: the per-disk assertions after a traced window
rd_judge() {
    _drv=$1 _d=$2 _s=$3 _b=$4 _tag=$5
    _what="$_drv $_d, scheduler $_s, --backend=$_b"
    REC=io project "$RUNS/$_tag.out" csv $BIO_FIELDS_CSV >"$RUNS/$_tag.facts"
    eval "_p=\$iopid_$_drv _s0=\$stat0_$_drv _s1=\$stat1_$_drv"
    # the kernel's count of completed requests in the window: reads, writes (+ discards, flushes)
    set -- $_s0 $_s1
    _kr=$(($5 - $1)) _kw=$(($6 - $2)) _ko=$(($7 - $3 + $8 - $4))
    _k=$((_kr + _kw + _ko))
    _rows=$(wc -l <"$RUNS/$_tag.facts")
    _seen=$(awk -F'|' -v d="$_d" '$1 == d' "$RUNS/$_tag.facts" | wc -l)
    _sr=$(awk -F'|' -v d="$_d" '$1 == d { t = $2; sub(/^F/, "", t) } $1 == d && t ~ /^R/' "$RUNS/$_tag.facts" | wc -l)
    _sw=$(awk -F'|' -v d="$_d" '$1 == d { t = $2; sub(/^F/, "", t) } $1 == d && t ~ /^W/' "$RUNS/$_tag.facts" | wc -l)
    _res=exact _why=""
    check "$_what: only $_d in its output ($((_rows - _seen)) rows of other disks)" [ "$_rows" -eq "$_seen" ]
    if [ "$_seen" -eq "$_k" ] && [ "$_sr" -eq "$_kr" ] && [ "$_sw" -eq "$_kw" ]; then
        ok "$_what: $_seen rows = the $_k requests the kernel completed (stat: $_kr reads, $_kw writes, $_ko discards+flushes)"
    else
        bad "$_what: $_seen rows ($_sr R, $_sw W) but the kernel completed $_k requests ($_kr reads, $_kw writes, $_ko discards+flushes)"
        _res=wrong _why="$_seen of $_k"
    fi
    # each known request once, with its type, sector, size, owner (iotest's comm and pid) and a latency
    _bad=$(echo "$RD_EXPECT" | while read -r _t _sec _by; do
        _n=$(awk -F'|' -v d="$_d" -v t="$_t" -v s="$_sec" -v b="$_by" -v p="$_p" '
            { op = $2; sub(/^F/, "", op); op = substr(op, 1, 1) }
            $1 == d && op == t && $3 == s && $4 == b && $5 == "iot-disk" && $6 == p && $7 > 0 { n++ }
            END { print n + 0 }' "$RUNS/$_tag.facts")
        [ "$_n" -eq 1 ] || printf '%s@%s x%s; ' "$_t" "$_sec" "$_n"
    done)
    _mine=$(awk -F'|' -v p="$_p" '$6 == p' "$RUNS/$_tag.facts" | wc -l)
    _known=$((8 - $(printf '%s' "$_bad" | tr -cd ';' | wc -c)))
    if [ -z "$_bad" ] && [ "$_mine" -eq 8 ]; then
        ok "$_what: each of the 8 known requests once with its type, sector, size, owner iot-disk pid $_p, latency > 0"
    else
        bad "$_what: $_known of 8 known requests right ($_mine rows with iotest's pid $_p; wrong or missing: ${_bad:-none})"
        _res=wrong _why="${_why:-$_seen of $_k}, $_known of 8 known requests right"
    fi
    # the summary line: its events are the rows it printed; what it missed it counts as lost
    _sum=$(grep -E '^biosnoop: [0-9]+ events?, [0-9]+ lost' "$RUNS/$_tag.err" | tail -1)
    _ev=$(echo "$_sum" | awk '{ print $2 }') _lost=$(echo "$_sum" | awk '{ print $4 }')
    if [ -z "$_sum" ]; then
        bad "$_what: no 'N events, N lost' summary line on stderr ($(tail -1 "$RUNS/$_tag.err"))"; _res=wrong _ev=- _lost=-
    else
        check "$_what: the summary's $_ev events are the $_seen rows printed" [ "$_ev" -eq "$_seen" ]
        _miss=$((_k - _seen))
        if [ "$_miss" -gt 0 ]; then
            if [ "$_lost" -ge "$_miss" ]; then ok "$_what: missed $_miss requests and said so ($_lost lost)"
            else bad "$_what: missed $_miss of $_k requests but said $_lost lost ($_sum)"; _why="$_why, said $_lost lost"; fi
        else
            check "$_what: nothing missed, nothing counted as lost ($_lost lost)" [ "$_lost" -eq 0 ]
            [ "$_lost" -eq 0 ] || { _res=wrong _why="${_why:-$_seen of $_k}, $_lost counted lost"; }
        fi
    fi
    [ $_res = exact ] || { show "$RUNS/$_tag.out" 12; show "$RUNS/$_tag.err" 12; }
    rd_record "$_drv" "$_d" "$_s" "$_b" $_res "$_seen" "$_k" "$_known" "$_lost" "$_ev" "$_why"
}

rd_checked=""
for s in $RD_SCHEDS; do
    sid=$(echo "$s" | tr -c 'a-z0-9\n' _)
    for b in auto tracepoint fentry kprobe; do
        section "biosnoop on real drivers: --backend=$b, scheduler $s"
        exp=$(expected biosnoop $b)
        live=""
        for drv in $RD_DISKS; do
            eval "d=\$RD_$drv"
            tag=rd_${drv}_${sid}_$b
            if ! rd_set_sched "$d" "$s"; then
                bad "$drv $d: cannot set scheduler $s (available: $(cat /sys/block/$d/queue/scheduler))"
                rd_record "$drv" "$d" "$s" "$b" error 0 0 0 - - "scheduler $s not available"
                continue
            fi
            launch "$tag" "$IOTRACE" biosnoop -v --csv -d "$d" --backend=$b
            live="$live $drv"
        done
        tracing=""
        for drv in $live; do
            eval "d=\$RD_$drv"
            tag=rd_${drv}_${sid}_$b
            what="$drv $d, scheduler $s, --backend=$b"
            if await "$tag"; then
                if [ "$exp" = "- fails" ]; then
                    bad "$what: started although choices.txt says --backend=$b fails on $KERNEL_ID"
                fi
                ok "$what: tracing started"
                tracing="$tracing $drv"
                continue
            fi
            stop "$tag"
            # a forced backend may refuse a disk it cannot see whole: exit 1 and a reason
            why=$(grep -m1 '^biosnoop: error: ' "$RUNS/$tag.err" | sed 's/^biosnoop: error: //' | cut -c1-200)
            if [ "$rc" -eq 1 ] && [ -n "$why" ] && { [ "$b" != auto ] || [ "$exp" = "- fails" ]; }; then
                ok "$what: refuses with exit 1: $why"
                rd_record "$drv" "$d" "$s" "$b" refuses 0 0 0 - - "$why"
            else
                bad "$what: no 'tracing' line, exit status $rc (a backend must trace this disk exactly or refuse with exit 1 and a reason)"
                show "$RUNS/$tag.err" 12
                rd_record "$drv" "$d" "$s" "$b" error 0 0 0 - - "exit $rc: $(tail -1 "$RUNS/$tag.err")"
            fi
        done
        [ -n "$tracing" ] || continue
        for drv in $tracing; do eval "stat0_$drv=\"\$(rd_stat \$RD_$drv)\""; done
        for drv in $tracing; do
            eval "d=\$RD_$drv"
            iotest "rd_${drv}_${sid}_$b" -n iot-disk $(rd_ops "$d")
            eval "iopid_$drv=\$iopid"
        done
        # the window ends when the I/O is done (each request completed before its syscall
        # returned); the tracers then get 0.3 s to drain their ring buffers
        for drv in $tracing; do eval "stat1_$drv=\"\$(rd_stat \$RD_$drv)\""; done
        sleep 0.3
        for drv in $tracing; do
            eval "d=\$RD_$drv"
            stopped "rd_${drv}_${sid}_$b" "$drv $d, scheduler $s, --backend=$b"
        done
        for drv in $tracing; do
            eval "d=\$RD_$drv"
            tag=rd_${drv}_${sid}_$b
            # the choice is the loop section's (one check per backend: it does not depend on the disk)
            case " $rd_checked " in *" $b "*) ;; *) check_choices biosnoop $b "$RUNS/$tag.err"; rd_checked="$rd_checked $b" ;; esac
            rd_judge "$drv" "$d" "$s" "$b" "$tag"
        done
    done
done

# ============================================================================================
# biosnoop against blktrace: the kernel's own block trace (blktrace, parsed by blkparse) runs
# beside biosnoop on every real disk, and the two must agree request for request, in the
# order of completion: type (rwbs), first sector and size. Then the same with iostats=0 on
# NVMe and virtio-blk under no scheduler, where the kernel neither counts the requests in
# /sys/block/*/stat (so blktrace is the only judge) nor, for NVMe's completion batches, runs
# its accounting: every backend must still see each request, or refuse.
# ============================================================================================
section "biosnoop against blktrace"
BT=/tmp/bt
mkdir -p $BT
mountpoint -q /sys/kernel/debug 2>/dev/null || mount -t debugfs none /sys/kernel/debug 2>/dev/null
# bt_compare DISK TAG WHAT: blkparse's completions on DISK against biosnoop's rows, in order
bt_compare() {
    blkparse -q -i "$1" -D $BT -a complete -f '%a %d %S %n\n' >"$RUNS/$2.blkparse" 2>"$RUNS/$2.blkparse.err"
    awk '$1 == "C" { print $2, $3, $4 * 512 }' "$RUNS/$2.blkparse" >"$RUNS/$2.bt"
    REC=io project "$RUNS/$2.out" csv $BIO_FIELDS_CSV |
        awk -F'|' -v d="$1" '$1 == d { print $2, $3, $4 }' >"$RUNS/$2.bs"
    _n=$(wc -l <"$RUNS/$2.bt")
    if [ "$_n" -lt 8 ]; then
        bad "$3: blktrace saw $_n completions, fewer than the 8 requests iotest made"; show "$RUNS/$2.blkparse.err"
    elif cmp -s "$RUNS/$2.bt" "$RUNS/$2.bs"; then
        ok "$3: the $_n completions blktrace saw, request for request in order (type, sector, size)"
    else
        bad "$3: biosnoop and blktrace differ ($(wc -l <"$RUNS/$2.bs") rows against $_n): first difference: $(diff "$RUNS/$2.bt" "$RUNS/$2.bs" | grep '^[<>]' | head -2 | tr '\n' ';')"
    fi
}
# bt_round SCHED IOSTATS BACKEND DRIVERS...: one traced window on those disks
bt_round() {
    bts=$1 btst=$2 btb=$3; shift 3
    btlive=""
    for drv in "$@"; do
        eval "d=\$RD_$drv"
        [ -n "$d" ] || continue
        rd_set_sched "$d" "$bts" || { bad "$drv $d: cannot set scheduler $bts"; continue; }
        echo "$btst" >"/sys/block/$d/queue/iostats"
        rm -f $BT/$d.blktrace.*
        blktrace -d "/dev/$d" -a complete -D $BT -o "$d" >"$RUNS/bt_$d.log" 2>&1 &
        eval "btpid_$drv=$!"
        btlive="$btlive $drv"
    done
    sleep 1
    bttr=""
    for drv in $btlive; do
        eval "d=\$RD_$drv"
        tag=bt_${drv}_${btst}_$btb
        launch "$tag" "$IOTRACE" biosnoop -v --csv -d "$d" --backend=$btb
    done
    for drv in $btlive; do
        eval "d=\$RD_$drv"
        tag=bt_${drv}_${btst}_$btb
        what="$drv $d, iostats=$btst, scheduler $bts, --backend=$btb, against blktrace"
        if await "$tag"; then bttr="$bttr $drv"; continue; fi
        stop "$tag"
        if [ "$rc" -eq 1 ] && [ "$btb" != auto ] && grep -q '^biosnoop: error: ' "$RUNS/$tag.err"; then
            ok "$what: refuses with exit 1: $(grep -m1 '^biosnoop: error: ' "$RUNS/$tag.err" | cut -c1-160)"
        else
            bad "$what: no 'tracing' line, exit $rc"; show "$RUNS/$tag.err" 12
        fi
    done
    for drv in $bttr; do
        eval "d=\$RD_$drv"
        iotest "bt_${drv}_${btst}_$btb" -n iot-disk $(rd_ops "$d")
    done
    sleep 0.3
    for drv in $bttr; do stopped "bt_${drv}_${btst}_$btb" "$drv, iostats=$btst, --backend=$btb, beside blktrace"; done
    for drv in $btlive; do eval "kill -INT \$btpid_$drv; wait \$btpid_$drv"; done
    for drv in $bttr; do
        eval "d=\$RD_$drv"
        bt_compare "$d" "bt_${drv}_${btst}_$btb" "$drv $d, iostats=$btst, scheduler $bts, --backend=$btb"
    done
    for drv in "$@"; do eval "d=\$RD_$drv"; [ -n "$d" ] && echo 1 >"/sys/block/$d/queue/iostats"; done
}
if ! command -v blktrace >/dev/null || ! command -v blkparse >/dev/null; then
    bad "no blktrace/blkparse in the guest (mkinitramfs.sh copies them from the host's blktrace package)"
elif [ ! -d /sys/kernel/debug/block ]; then
    bad "no /sys/kernel/debug/block: blktrace cannot run (debugfs not mounted, or a kernel without CONFIG_BLK_DEV_IO_TRACE)"
else
    bt_round none 1 auto $RD_DISKS
    for b in auto tracepoint fentry kprobe; do
        [ "$(expected biosnoop $b)" = "- fails" ] && continue
        bt_round none 0 $b nvme virtio_blk
    done
fi

# ============================================================================================
# zfsslower (only with ZFS in the initramfs)
# ============================================================================================
# What return-probe sizes this kernel takes through tracefs: zfsslower's kretprobes ask
# for 4096 instances (KRETPROBE_MAXACTIVE_MAX in kernel/trace/trace_kprobe.c).
section "kretprobe maxactive through tracefs"
if [ -w $T/kprobe_events ]; then
    for mx in 4096 4097; do
        if echo "r$mx:iotrace_vmcheck/maxactive vfs_read" >>$T/kprobe_events 2>/dev/null; then
            eval "mx_$mx=yes"; echo "-:iotrace_vmcheck/maxactive" >>$T/kprobe_events
        else
            eval "mx_$mx=no"
        fi
        eval "echo kretprobe_maxactive_$mx=\$mx_$mx" >>"$OUT/compat/kernel.txt"
    done
    check "a kretprobe with 4096 instances is accepted (r4096:)" [ "$mx_4096" = yes ]
    check "4097 instances are refused: 4096 is this kernel's maximum" [ "$mx_4097" = no ]
else
    bad "no writable $T/kprobe_events"
fi
if [ "$ZFS" != 1 ]; then
    info "no ZFS in this initramfs: zfsslower not tested"
    finish
fi
section "zfsslower: iotrace probes"
ZV=$(cat /sys/module/zfs/version 2>/dev/null)
echo "zfs_version=$ZV" >>"$OUT/compat/kernel.txt"
echo "zfs_module_btf=$([ -e /sys/kernel/btf/zfs ] && echo yes || echo no)" >>"$OUT/compat/kernel.txt"
for fn in zpl_iter_read zpl_iter_write zpl_open zpl_fsync zpl_aio_read zpl_read; do
    s=absent
    grep -qE "^$fn \[zfs\]" $T/available_filter_functions && s=traceable
    echo "fn_$fn=$s" >>"$OUT/compat/kernel.txt"
done
info "OpenZFS $ZV, module BTF: $([ -e /sys/kernel/btf/zfs ] && echo yes || echo no)"
check "zpool tank is ONLINE" sh -c 'zpool list -H -o health tank | grep -qx ONLINE'
zinject -h >"$OUT/zinject-help.txt" 2>&1

"$IOTRACE" probes zfsslower >"$OUT/probes/zfsslower.txt" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "iotrace probes zfsslower exits 0"; else
    bad "iotrace probes zfsslower: exit $rc"; show "$OUT/probes/zfsslower.txt" 60; fi

# O_DIRECT on ZFS: 2.3 implements Direct I/O; 2.1 accepts the flag and does buffered I/O
# (OpenZFS has taken O_DIRECT since 0.8). Either way the operations go through
# zpl_iter_read/write and must be seen; a failing O_DIRECT write is a failure, not a reason
# to leave the O_DIRECT checks out.
ZDIRECT=0
if "$IOTEST" write /tank/odirect 0 131072 read /tank/odirect 0 131072 >"$RUNS/odirect.iotest" 2>&1; then
    ZDIRECT=1
    ok "O_DIRECT write+read of 128 KiB on /tank works (OpenZFS $ZV)"
else
    bad "O_DIRECT write+read on /tank failed (OpenZFS $ZV takes O_DIRECT): $(tail -1 "$RUNS/odirect.iotest")"
fi
rm -f /tank/odirect
echo "zfs_odirect=$([ $ZDIRECT = 1 ] && echo yes || echo no)" >>"$OUT/compat/kernel.txt"

Z_FIELDS_CSV="TASK PID TYPE BYTES OFFSET_b FILE LATENCY_us"
Z_FIELDS_JSON="comm pid type bytes offset file latency_ns"
# zfacts FILE FORMAT: the records as "comm|pid|type|bytes|offset|file|latency_us" in FILE.facts
zfacts() {
    if [ "$2" = json ]; then
        REC=op project "$1" json $Z_FIELDS_JSON | awk -F'|' -v OFS='|' '{ $7 = int($7 / 1000); print }' >"$1.facts"
    else
        project "$1" csv $Z_FIELDS_CSV >"$1.facts"
    fi
}
# zcount FACTS COMM PID TYPE BYTES OFFSET FILE -> number of matching records (BYTES/OFFSET "*" = any)
# (FILE through the environment: awk -v would interpret the backslashes of escaped names)
zcount() {
    ZFILE=$7 awk -F'|' -v c="$2" -v p="$3" -v t="$4" -v b="$5" -v o="$6" '
        BEGIN { f = ENVIRON["ZFILE"] }
        $1 == c && $2 == p && $3 == t && (b == "*" || $4 == b) && (o == "*" || $5 == o) && $6 == f { n++ }
        END { print n + 0 }' "$1"
}
# zexpect FACTS WHAT COMM PID TYPE BYTES OFFSET FILE COUNT
zexpect() {
    _n=$(zcount "$1" "$3" "$4" "$5" "$6" "$7" "$8")
    if [ "$_n" -eq "$9" ]; then ok "$2: $9 x $5 $8 bytes=$6 offset=$7 by $3 pid $4"; else
        bad "$2: $_n x $5 $8 bytes=$6 offset=$7 by $3 pid $4 (expected $9)"; zfail=1; fi
}
# The buffered workload (both OpenZFS versions): each iotest op opens the file (O): 5 O,
# 2 W, 1 R, 1 S. zf_check FACTS WHAT PID
ZF_OPS="bwrite /tank/zf 0 8192 bwrite /tank/zf 8192 4096 bread /tank/zf 0 8192 open /tank/zf 0 0 fsync /tank/zf 0 0"
zf_check() {
    zfail=0
    zexpect "$1" "$2" iot-zfs "$3" W 8192 0 zf 1
    zexpect "$1" "$2" iot-zfs "$3" W 4096 8192 zf 1
    zexpect "$1" "$2" iot-zfs "$3" R 8192 0 zf 1
    zexpect "$1" "$2" iot-zfs "$3" O 0 0 zf 5
    zexpect "$1" "$2" iot-zfs "$3" S 0 0 zf 1
    _n=$(awk -F'|' -v p="$3" '$2 == p' "$1" | wc -l)
    if [ "$_n" -eq 9 ]; then ok "$2: 9 operations from iotest's pid, no more"; else
        bad "$2: $_n operations from iotest's pid (expected 9)"; zfail=1; fi
}

section "zfsslower --backend=auto: csv, json, symlink, table"
# --- automatic choice: four instances at once over the same operations --------------------------
#   zs_csv   iotrace zfsslower --csv           zs_json  iotrace zfsslower --json
#   zs_link  zfsslower (symlink) --csv          zs_tab   iotrace zfsslower (table)
ln -sf iotrace /bin/zfsslower
launch zs_csv "$IOTRACE" zfsslower -v --min-ms 0 --csv
launch zs_json "$IOTRACE" zfsslower -v --min-ms 0 --json
launch zs_link zfsslower -v --min-ms 0 --csv
launch zs_tab "$IOTRACE" zfsslower -v 0
await zs_csv
started zs_csv "zfsslower --csv (auto)"
await zs_json
started zs_json "zfsslower --json (auto)"
await zs_link
started zs_link "zfsslower via the symlink"
await zs_tab
started zs_tab "zfsslower table output"
iotest zf -n iot-zfs $ZF_OPS
zpid=$iopid
if [ $ZDIRECT = 1 ]; then
    iotest zd -n iot-zfs-direct write /tank/zd 0 131072 read /tank/zd 0 131072
    zdpid=$iopid
fi
HOSTILE=$(printf 'bad\nname\033[31mevil')
iotest zh -n iot-zfs-hostile bwrite "/tank/$HOSTILE" 0 4096
zhpid=$iopid
sleep 0.3
for t in zs_csv zs_json zs_link zs_tab; do stopped $t "zfsslower ($t)"; done

zfacts "$RUNS/zs_csv.out" csv
zfacts "$RUNS/zs_json.out" json
zfacts "$RUNS/zs_link.out" csv
check_choices zfsslower auto "$RUNS/zs_csv.err"
zf_check "$RUNS/zs_csv.out.facts" "zfsslower --csv" "$zpid"
zres=works
[ $zfail = 0 ] || zres=broken
zf_check "$RUNS/zs_json.out.facts" "zfsslower --json" "$zpid"
if [ $ZDIRECT = 1 ]; then
    zfail=0
    zexpect "$RUNS/zs_csv.out.facts" "zfsslower O_DIRECT" iot-zfs-direct "$zdpid" W 131072 0 zd 1
    zexpect "$RUNS/zs_csv.out.facts" "zfsslower O_DIRECT" iot-zfs-direct "$zdpid" R 131072 0 zd 1
fi
[ $zfail = 0 ] || zres=broken
record zfsslower auto $zres "$RUNS/zs_csv.err"
n=$(awk -F'|' '$7 !~ /^[0-9]+$/' "$RUNS/zs_csv.out.facts" | wc -l)
check "zfsslower --csv: every LATENCY_us is a number ($n are not)" [ "$n" -eq 0 ]
# the same facts in CSV and JSON (latency aside: the instances time independently)
cut -d'|' -f1-6 "$RUNS/zs_csv.out.facts" | grep -v hostile | sort >/tmp/a
cut -d'|' -f1-6 "$RUNS/zs_json.out.facts" | grep -v hostile | sort >/tmp/b
check "zfsslower --csv and --json carry the same operations ($(wc -l </tmp/a) records)" \
    sh -c "[ -s /tmp/a ] && cmp -s /tmp/a /tmp/b"
check "zfsslower --json ends with a summary record" \
    sh -c "tail -1 '$RUNS/zs_json.out' | grep -q '\"record\":\"summary\"'"
n=$(grep '"record":"op"' "$RUNS/zs_json.out" | grep -cvE '"time_ns":[0-9]+,"timestamp":"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6}Z",')
check "zfsslower --json: every op record has time_ns and a UTC timestamp ($n have not)" [ "$n" -eq 0 ]
# the symlink behaves as iotrace zfsslower
cut -d'|' -f1-6 "$RUNS/zs_link.out.facts" | sort >/tmp/c
cut -d'|' -f1-6 "$RUNS/zs_csv.out.facts" | sort >/tmp/a
check "zfsslower via the symlink: the same operations as iotrace zfsslower" \
    sh -c "[ -s /tmp/a ] && cmp -s /tmp/a /tmp/c"
if [ "$(chosen zfsslower "$RUNS/zs_link.err")" = "$(chosen zfsslower "$RUNS/zs_csv.err")" ]; then
    ok "zfsslower via the symlink chose what iotrace zfsslower chose"; else
    bad "zfsslower via the symlink chose $(chosen zfsslower "$RUNS/zs_link.err" | tr '\n' ';')"; fi
check "zfsslower via the symlink prints the same CSV header" \
    sh -c "[ \"\$(head -1 '$RUNS/zs_link.out')\" = \"\$(head -1 '$RUNS/zs_csv.out')\" ]"
# hostile names: escaped in every format, never a raw control byte
zexpect "$RUNS/zs_csv.out.facts" "zfsslower --csv, hostile name" iot-zfs-hostile "$zhpid" W 4096 0 'bad\x0aname\x1b[31mevil' 1
zexpect "$RUNS/zs_json.out.facts" "zfsslower --json, hostile name" iot-zfs-hostile "$zhpid" W 4096 0 'bad\u000aname\u001b[31mevil' 1
check "zfsslower table: hostile name printed as bad\\x0aname\\x1b[31mevil" \
    grep -qF 'bad\x0aname\x1b[31mevil' "$RUNS/zs_tab.out"
CTRL=$(printf '[\001-\010\013-\037\177]')
for t in zs_csv zs_json zs_tab; do
    n=$(LC_ALL=C grep -c "$CTRL" "$RUNS/$t.out")
    check "zfsslower ($t): no line with a raw control byte ($n found)" [ "$n" -eq 0 ]
done
check "zfsslower table: header line" grep -q '^TIME *COMM *PID *T BYTES' "$RUNS/zs_tab.out"
check "zfsslower table: the 8192-byte read of zf" \
    awk -v p="$zpid" '$2 == "iot-zfs" && $3 == p && $4 == "R" && $5 == 8192 && $NF == "zf" { f = 1 } END { exit !f }' "$RUNS/zs_tab.out"
rm -f /tank/zf /tank/zd "/tank/$HOSTILE"

section "zfsslower -p"
# --- -p: only that process ---------------------------------------------------------------------
rm -f /tmp/go && mkfifo /tmp/go
( read -r _x </tmp/go; exec "$IOTEST" -n iot-wanted bwrite /tank/zp 0 4096 >"$RUNS/zp.iotest" 2>&1 ) &
ppid_wanted=$!
start zs_pid "$IOTRACE" zfsslower -v --min-ms 0 --csv -p "$ppid_wanted"
started zs_pid "zfsslower -p $ppid_wanted"
iotest zo -n iot-other bwrite /tank/zo 0 4096 bread /tank/zo 0 4096
opid=$iopid
echo go >/tmp/go
wait $ppid_wanted
sleep 0.3
stopped zs_pid "zfsslower -p"
zfacts "$RUNS/zs_pid.out" csv
zfail=0
zexpect "$RUNS/zs_pid.out.facts" "zfsslower -p" iot-wanted "$ppid_wanted" W 4096 0 zp 1
n=$(awk -F'|' -v p="$ppid_wanted" '$2 != p' "$RUNS/zs_pid.out.facts" | wc -l)
check "zfsslower -p $ppid_wanted: no operation of another process ($n found; iot-other was pid $opid)" [ "$n" -eq 0 ]
rm -f /tank/zp /tank/zo /tmp/go

# --- forced backends -------------------------------------------------------------------------
for b in kprobe fentry tracepoint; do
    tag=zs_$b
    what="zfsslower --backend=$b"
    section "$what"
    exp=$(expected zfsslower $b)
    if [ -z "$exp" ]; then bad "$what: no expectation for $KERNEL_ID in choices.txt"; continue; fi
    if [ "$exp" = "- fails" ]; then
        "$IOTRACE" zfsslower -v --min-ms 0 --csv --backend=$b >"$RUNS/$tag.out" 2>"$RUNS/$tag.err" </dev/null &
        p=$!; ( sleep 60; kill -KILL $p 2>/dev/null ) & w=$!; wait $p; rc=$?; kill $w 2>/dev/null
        check "$what fails with exit 1 on $KERNEL_ID (status $rc)" [ $rc -eq 1 ]
        check "$what: the message says why (--backend=$b, try --backend=auto)" \
            sh -c "grep -q -- '--backend=$b' '$RUNS/$tag.err' && grep -q -- '--backend=auto' '$RUNS/$tag.err'"
        if [ $b = fentry ]; then
            check "$what: the message says the zfs module has no BTF" grep -q 'no BTF' "$RUNS/$tag.err"
        fi
        n=$(grep -c 'libbpf' "$RUNS/$tag.err")
        check "$what: no libbpf noise without -vv ($n lines)" [ "$n" -eq 0 ]
        [ -s "$RUNS/$tag.out" ] && bad "$what wrote to stdout although it failed"
        record zfsslower $b fails "$RUNS/$tag.err"
        continue
    fi
    start $tag "$IOTRACE" zfsslower -v --min-ms 0 --csv --backend=$b
    if ! started $tag "$what"; then record zfsslower $b fails "$RUNS/$tag.err"; stop $tag; continue; fi
    iotest $tag -n iot-zfs $ZF_OPS
    sleep 0.3
    stopped $tag "$what"
    check_choices zfsslower $b "$RUNS/$tag.err"
    zfacts "$RUNS/$tag.out" csv
    zf_check "$RUNS/$tag.out.facts" "$what" "$iopid"
    zres=works
    [ $zfail = 0 ] || zres=broken
    record zfsslower $b $zres "$RUNS/$tag.err"
    [ $zfail = 0 ] || { show "$RUNS/$tag.out"; show "$RUNS/$tag.err"; }
    rm -f /tank/zf
done

# --- threshold: really slow reads (zinject delays on the vdev) against cached ones -------------
section "zfsslower --min-ms 10 with zinject delays"
iotest zslow_prep -n iot-prep bwrite /tank/slow 0 131072
# export + import: nothing of the pool stays in the ARC, so the next read goes to the vdev
if zpool export tank && { zpool import -d /tmp/vdev tank 2>/dev/null || zpool import -d /tmp tank; }; then
    ok "zpool export + import tank (cold ARC)"
else
    bad "zpool export/import tank"
fi
if zinject -d /tmp/vdev -D 100:1 tank >"$RUNS/zinject.txt" 2>&1; then
    ok "zinject -d /tmp/vdev -D 100:1 tank (every vdev I/O takes >= 100 ms)"
else
    bad "zinject -d /tmp/vdev -D 100:1 tank: $(cat "$RUNS/zinject.txt")"
fi
start zs_slow "$IOTRACE" zfsslower -v --min-ms 10 --csv
started zs_slow "zfsslower --min-ms 10"
# 1st read: uncached, hits the delayed vdev; 2nd: the same record, now in the ARC
iotest zslow -n iot-slow bread /tank/slow 0 131072 bread /tank/slow 0 4096
slowpid=$iopid
sleep 0.3
stopped zs_slow "zfsslower --min-ms 10"
zinject -c all >/dev/null 2>&1
zfacts "$RUNS/zs_slow.out" csv
n=$(awk -F'|' -v p="$slowpid" '$2 == p && $3 == "R" && $4 == 131072 && $6 == "slow" && $7 >= 10000' "$RUNS/zs_slow.out.facts" | wc -l)
check "zfsslower --min-ms 10 shows the uncached 128 KiB read ($(awk -F'|' -v p="$slowpid" '$2 == p && $3 == "R" && $4 == 131072 { printf "%s us", $7 }' "$RUNS/zs_slow.out.facts"))" [ "$n" -eq 1 ]
n=$(awk -F'|' -v p="$slowpid" '$2 == p && $3 == "R" && $4 == 4096' "$RUNS/zs_slow.out.facts" | wc -l)
check "zfsslower --min-ms 10 hides the cached 4 KiB read ($n shown)" [ "$n" -eq 0 ]
n=$(awk -F'|' '$7 < 10000' "$RUNS/zs_slow.out.facts" | wc -l)
check "zfsslower --min-ms 10: nothing faster than 10 ms shown ($n)" [ "$n" -eq 0 ]
[ $fails -eq 0 ] || show "$RUNS/zs_slow.out"
rm -f /tank/slow

# --- no silent loss under concurrency: the workload's own count is the judge ------------------
# iotest -t runs THREADS threads released together, each doing its share of 2048 4-KiB
# preads or pwrites, and prints its own count of completed operations. OpenZFS's per-dataset
# kstats (objset-*: reads, writes) count the same calls a second time. zfsslower must report
# every one of them as an event or as a counted loss (its summary's "lost"), and with return
# probes sized for the load (kretprobe maxactive, or fexit) lose none. Reads go to the vdev
# (primarycache=metadata) whose I/O zinject delays by 5 ms (64 lanes), and writes wait for
# the ZIL (sync=always), so the threads really sleep inside zpl_iter_read/write at once:
# more of them than a default kretprobe has instances (max(10, 2 x CPUs)).
section "zfsslower: 1, 16 and 64 threads, every operation accounted for"
zkstat() { # zkstat FIELD: that field of tank's objset kstat (0 when there is none)
    for _k in /proc/spl/kstat/zfs/tank/objset-*; do
        awk -v f="$1" '$1 == "dataset_name" && $3 == "tank" { d = 1 } $1 == f { v = $3 }
                       END { if (d) print v + 0 }' "$_k" 2>/dev/null
    done | head -1 | awk '{ print $1 + 0 }'
}
ZCONC_SPAN=8388608
iotest zconc_prep -n iot-prep bwrite /tank/conc 0 $ZCONC_SPAN
# zconc BACKEND OP THREADS [MAXACTIVE]: one traced run of the load, judged; with MAXACTIVE
# the return probes get that few instances, and the losses must be the kernel's, counted
zconc() {
    if [ $2 = read ]; then
        zfs set primarycache=metadata tank; zfs set sync=standard tank; ziop=bread; ztype=R; zks=reads
    else
        zfs set primarycache=all tank; zfs set sync=always tank; ziop=bwrite; ztype=W; zks=writes
    fi
    tag=zs_conc_$1_$2_$3${4:+_starved}
    what="zfsslower --backend=$1, $3 threads doing $2s${4:+, kretprobes with $4 instances}"
    start $tag env ${4:+IOTRACE_KRETPROBE_MAXACTIVE=$4} "$IOTRACE" zfsslower -v --min-ms 0 --json --backend=$1
    started $tag "$what" || { stop $tag; return; }
    k0=$(zkstat $zks)
    [ $2 = read ] && zinject -d /tmp/vdev -D 5:64 tank >/dev/null 2>&1
    iotest $tag -n iot-conc -t $3 -c $((2048 / $3)) $ziop /tank/conc $ZCONC_SPAN 4096
    zinject -c all >/dev/null 2>&1
    k1=$(zkstat $zks)
    sleep 0.5
    stopped $tag "$what"
    done_ops=$(awk '$1 == "done" { print $2 }' "$RUNS/$tag.iotest")
    events=$(grep '"record":"op"' "$RUNS/$tag.out" | grep '"comm":"iot-conc"' | grep -c "\"type\":\"$ztype\"")
    REC=summary project "$RUNS/$tag.out" json lost probe_missed >/tmp/zsum
    lost=$(cut -d'|' -f1 /tmp/zsum); missed=$(cut -d'|' -f2 /tmp/zsum)
    [ -n "$lost" ] || lost=missing
    info "zfsslower concurrency: $1${4:+ (maxactive $4)} $3 $2 done=$done_ops kstat=$((k1 - k0)) events=$events lost=$lost (probe_missed ${missed:-none})"
    echo "zfsslower_concurrency $KERNEL_ID $1${4:+-maxactive$4} $2 threads=$3 done=$done_ops kstat=$((k1 - k0)) events=$events lost=$lost probe_missed=${missed:-none}" >>"$OUT/compat/concurrency.txt"
    check "$what: OpenZFS's kstat counts the $done_ops $2(s) iotest did ($((k1 - k0)))" \
        [ "$((k1 - k0))" = "$done_ops" ]
    zsum=no
    [ "$lost" != missing ] && [ "$((events + lost))" = "$done_ops" ] && zsum=yes
    check "$what: events + counted losses = operations done ($events + $lost = $done_ops)" [ $zsum = yes ]
    if [ -z "$4" ]; then
        check "$what: nothing lost ($lost)" [ "$lost" = 0 ]
    else
        check "$what: the kernel's misses are counted as probe_missed (${missed:-none})" [ "${missed:-0}" -gt 0 ]
    fi
}
for zop in read write; do
    for zthreads in 1 16 64; do zconc auto $zop $zthreads; done
done
# where auto chose fexit, the kretprobes get the 64-thread load too
if expected zfsslower auto | grep -q ' fentry '; then
    for zop in read write; do zconc kprobe $zop 64; done
fi
# beyond what the return probes can hold, the loss is the kernel's and it is counted
zconc kprobe write 64 2
zfs set primarycache=all tank; zfs set sync=standard tank
rm -f /tank/conc

# --- errors, end of file, offsets ----------------------------------------------------------------
# A read that OpenZFS fails (zinject: EIO on the file's data, cold ARC) shows EIO with 0 bytes;
# a read past the end shows 0 bytes and no error. O_APPEND writes show where the data landed
# (the file's size before them), and offsets beyond 4 GiB come out whole.
section "zfsslower: errors (zinject -e io), end of file, O_APPEND and 5 GiB offsets"
iotest zerr_prep -n iot-prep bwrite /tank/errf 0 131072 bwrite /tank/app 0 8192
if zpool export tank && { zpool import -d /tmp/vdev tank 2>/dev/null || zpool import -d /tmp tank; }; then
    ok "zpool export + import tank (cold ARC for the injected read)"
else
    bad "zpool export/import tank"
fi
if zinject -t data -e io /tank/errf >"$RUNS/zinject-data.txt" 2>&1; then
    ok "zinject -t data -e io /tank/errf (reads of its data fail with EIO)"
else
    bad "zinject -t data -e io /tank/errf: $(cat "$RUNS/zinject-data.txt")"
fi
launch zs_err_csv "$IOTRACE" zfsslower -v --min-ms 0 --csv
launch zs_err_json "$IOTRACE" zfsslower -v --min-ms 0 --json
await zs_err_csv
started zs_err_csv "zfsslower --csv (errors)"
await zs_err_json
started zs_err_json "zfsslower --json (errors)"
iotest zerr -n iot-err failread /tank/errf 0 131072
errpid=$iopid
check "iotest's read of /tank/errf failed with EIO ($(awk '$1 == "failread" { print $NF }' "$RUNS/zerr.iotest"))" \
    grep -q '^failread .* EIO$' "$RUNS/zerr.iotest"
zinject -c all >/dev/null 2>&1
iotest zeof -n iot-eof eofread /tank/errf 1048576 4096 append /tank/app 0 4096 append /tank/app 0 4096 \
    bwrite /tank/big 5368709120 4096 bread /tank/big 5368709120 4096
eofpid=$iopid
# sizes from the inode (ls), never by reading: /tank/big is 5 GiB of hole
app_size=$(ls -ln /tank/app | awk '{ print $5 }')
big_size=$(ls -ln /tank/big | awk '{ print $5 }')
sleep 0.3
stopped zs_err_csv "zfsslower --csv (errors)"
stopped zs_err_json "zfsslower --json (errors)"
project "$RUNS/zs_err_csv.out" csv TASK PID TYPE BYTES OFFSET_b FILE ERROR >"$RUNS/zs_err_csv.out.facts"
REC=op project "$RUNS/zs_err_json.out" json comm pid type bytes offset file error >"$RUNS/zs_err_json.out.facts"
# zerr FACTS WHAT PID TYPE BYTES OFFSET FILE ERROR (CSV: empty for none; JSON: null)
zerr() {
    _n=$(awk -F'|' -v p="$3" -v t="$4" -v b="$5" -v o="$6" -v f="$7" -v e="$8" \
        '$2 == p && $3 == t && $4 == b && $5 == o && $6 == f && $7 == e' "$1" | wc -l)
    check "$2: $4 $7 bytes=$5 offset=$6 error=${8:-(empty)} ($_n records)" [ "$_n" -ge 1 ]
}
zerr "$RUNS/zs_err_csv.out.facts" "zfsslower --csv, injected EIO" "$errpid" R 0 0 errf EIO
zerr "$RUNS/zs_err_json.out.facts" "zfsslower --json, injected EIO" "$errpid" R 0 0 errf EIO
zerr "$RUNS/zs_err_csv.out.facts" "zfsslower --csv, read past EOF" "$eofpid" R 0 1048576 errf ""
zerr "$RUNS/zs_err_json.out.facts" "zfsslower --json, read past EOF" "$eofpid" R 0 1048576 errf null
n=$(awk -F'|' -v p="$eofpid" '$2 == p && $7 != ""' "$RUNS/zs_err_csv.out.facts" | wc -l)
check "zfsslower --csv: no error on any of iot-eof's operations ($n)" [ "$n" -eq 0 ]
check "/tank/app grew to 16384 bytes with two 4 KiB appends ($app_size)" [ "$app_size" -eq 16384 ]
zerr "$RUNS/zs_err_csv.out.facts" "zfsslower --csv, 1st O_APPEND write lands at the old size" "$eofpid" W 4096 8192 app ""
zerr "$RUNS/zs_err_csv.out.facts" "zfsslower --csv, 2nd O_APPEND write" "$eofpid" W 4096 12288 app ""
zerr "$RUNS/zs_err_json.out.facts" "zfsslower --json, O_APPEND write" "$eofpid" W 4096 12288 app null
check "/tank/big is 5 GiB + 4 KiB long ($big_size)" [ "$big_size" -eq 5368713216 ]
zerr "$RUNS/zs_err_csv.out.facts" "zfsslower --csv, write at 5 GiB" "$eofpid" W 4096 5368709120 big ""
zerr "$RUNS/zs_err_csv.out.facts" "zfsslower --csv, read at 5 GiB" "$eofpid" R 4096 5368709120 big ""
zerr "$RUNS/zs_err_json.out.facts" "zfsslower --json, read at 5 GiB" "$eofpid" R 4096 5368709120 big null
[ $fails -eq 0 ] || { show "$RUNS/zs_err_csv.out"; show "$RUNS/zerr.iotest"; }
rm -f /tank/errf /tank/app /tank/big

# --- tracefs kprobe events: zfsslower's own group, gone after a run, also after kill -9 --------
section "zfsslower --backend=kprobe: its tracefs events are removed, also after kill -9"
start zs_k9 "$IOTRACE" zfsslower -v --min-ms 0 --csv --backend=kprobe
if started zs_k9 "zfsslower --backend=kprobe (to be killed with -9)"; then
    k9=$pid_zs_k9
    n=$(grep -c "^[pr][0-9]*:iotrace_$k9/" $T/kprobe_events)
    check "zfsslower --backend=kprobe: 8 tracefs events in group iotrace_$k9 ($n)" [ "$n" -eq 8 ]
    n=$(grep -c "^r4096:iotrace_$k9/" $T/kprobe_events)
    check "zfsslower --backend=kprobe: 4 return probes with 4096 instances (r4096: $n)" [ "$n" -eq 4 ]
    n=$(grep -c "^ *iotrace_${k9}_" $T/kprobe_profile)
    check "zfsslower --backend=kprobe: kprobe_profile has hits and misses of its 8 events ($n)" [ "$n" -eq 8 ]
    kill -KILL "$k9"; wait "$k9" 2>/dev/null
    n=$(grep -c ":iotrace_$k9/" $T/kprobe_events)
    info "after kill -9, $n events of iotrace_$k9 remain in kprobe_events"
    start zs_k9b "$IOTRACE" zfsslower -v --min-ms 0 --csv --backend=kprobe
    started zs_k9b "zfsslower --backend=kprobe (after a kill -9)"
    stopped zs_k9b "zfsslower --backend=kprobe (after a kill -9)"
    n=$(grep -c ":iotrace_$k9/" $T/kprobe_events)
    check "the next run removed the killed run's events ($n left)" [ "$n" -eq 0 ]
    n=$(grep -c ":iotrace_" $T/kprobe_events)
    check "no iotrace event left in kprobe_events after a clean stop ($n)" [ "$n" -eq 0 ]
    [ "$n" -eq 0 ] || show $T/kprobe_events
fi

# --- a failed fsync: last, as it pulls a file from under an open descriptor ----------------------
# A rollback to a snapshot without the file leaves its znode stale, and zfs_fsync answers EIO.
section "zfsslower: a failed fsync (file rolled away under its descriptor)"
zfs snapshot tank@zfsc_nofile
iotest zfsync_prep -n iot-prep bwrite /tank/fsyncf 0 4096
start zs_fsync "$IOTRACE" zfsslower -v --min-ms 0 --csv
started zs_fsync "zfsslower --csv (failed fsync)"
rm -f /tmp/gofs && mkfifo /tmp/gofs
"$IOTEST" -n iot-fsync failfsync /tank/fsyncf 0 0 </tmp/gofs >"$RUNS/zfsync.iotest" 2>&1 &
fspid=$!
exec 4>/tmp/gofs
_i=0
while [ $_i -lt 100 ] && ! grep -q '^opened' "$RUNS/zfsync.iotest"; do sleep 0.1; _i=$((_i + 1)); done
info "iotest holds /tank/fsyncf open; zfs rollback tank@zfsc_nofile"
timeout 120 zfs rollback tank@zfsc_nofile >"$RUNS/zrollback.txt" 2>&1 || info "zfs rollback: status $? $(cat "$RUNS/zrollback.txt")"
info "rollback done; iotest fsyncs now"
kill -0 $fspid 2>/dev/null && echo go >&4
exec 4>&-
wait $fspid
fsst=$?
fs_error=$(awk '$1 == "failfsync" { print $NF }' "$RUNS/zfsync.iotest")
check "fsync on a file rolled away from under its descriptor fails (${fs_error:-status $fsst})" [ $fsst -eq 0 ]
sleep 0.3
stopped zs_fsync "zfsslower --csv (failed fsync)"
project "$RUNS/zs_fsync.out" csv TASK PID TYPE BYTES OFFSET_b FILE ERROR >"$RUNS/zs_fsync.out.facts"
fsp=$(awk '$1 == "pid" { print $2 }' "$RUNS/zfsync.iotest")
if [ $fsst -eq 0 ]; then
    zerr "$RUNS/zs_fsync.out.facts" "zfsslower --csv, failed fsync" "$fsp" S 0 0 fsyncf "$fs_error"
else
    show "$RUNS/zfsync.iotest"
fi
zfs destroy tank@zfsc_nofile >/dev/null 2>&1
rm -f /tank/fsyncf /tmp/gofs

finish
