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
# One copy of each list: the kernel prints available_filter_functions at a symbol lookup per
# line, ~3 s under TCG with OpenZFS loaded (the modules loaded at boot are all there is).
AFF=/tmp/available_filter_functions KSYMS=/tmp/kallsyms
cat $T/available_filter_functions >$AFF
cat /proc/kallsyms >$KSYMS
# The engine reads available_filter_functions only as far as the module it asks about
# (core/kfacts/live.c), trusting ftrace's order: vmlinux's functions first, each module's
# together. Every kernel booted here must list them so.
_runs=$(awk '{ print ($2 == "" ? "vmlinux" : $2) }' $AFF | uniq)
_first=$(echo "$_runs" | head -1)
_split=$(echo "$_runs" | sort | uniq -d | tr '\n' ' ')
check "available_filter_functions lists vmlinux's functions first and each module's together ($(echo "$_runs" | wc -l) groups, first $_first, split: ${_split:-none})" \
    [ "${_split:-none}/$_first" = none/vmlinux ]
# fn_state NAME: traceable (in available_filter_functions) | notrace (only in kallsyms) | absent
fn_state() {
    if grep -qx "$1" $AFF; then echo traceable
    elif awk -v f="$1" '$3 == f { found = 1; exit } END { exit !found }' $KSYMS; then echo notrace
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

# --- every variant forced alone (--variant): each either exact or refused with a reason -----
# The engine falls back through the variants; a fallback nobody runs on a kernel is a
# fallback that may not load there (the classic tracepoints' record type was renamed in
# 5.18). The request tracepoints exist on every kernel we support, so rq and rq-classic
# must work everywhere.
for v in io acct rq mq io-classic rq-classic; do
    tag=bio_variant_$(echo $v | tr - _) # (a tag names shell variables: no '-')
    what="biosnoop --variant $v"
    section "$what"
    launch $tag "$IOTRACE" biosnoop -v --csv -d "$DISK" --variant $v
    if ! await $tag; then
        stop $tag
        must=""
        case $v in rq|rq-classic) must=1 ;; esac
        if [ -n "$must" ]; then
            bad "$what: refused (status $rc), but its tracepoints exist on every kernel"
            show "$RUNS/$tag.err"
        else
            check "$what: refused here with exit 1 (status $rc)" [ "$rc" -eq 1 ]
            check "$what: the refusal is one 'cannot trace here' line" grep -q "cannot trace here" "$RUNS/$tag.err"
        fi
        # the first reason under "cannot trace here:", e.g. "io_start in variant io: ..."
        echo "$v refused: $(grep -A2 'cannot trace here' "$RUNS/$tag.err" | tail -2 | tr -s ' \n' ' ' | cut -c1-200)" >>"$OUT/compat/variants.txt"
        continue
    fi
    ok "$what: tracing started"
    iotest $tag -n iot-writer $BIO_OPS
    sleep 0.3
    stopped $tag "$what"
    bio_check "$RUNS/$tag.out" csv "$what --csv"
    result=exact
    [ $bio_ok -eq 1 ] || result=WRONG
    echo "$v $result" >>"$OUT/compat/variants.txt"
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
# One rule for every biosnoop judgment below, whatever the backend. The kernel skips a BPF
# program run that would nest in another on the same CPU (kprobe nmissed, fentry/tp_btf
# recursion_misses) and counts it; the tool counts those as lost ("N missed by kernel
# probes"), but such a count names no disk, process or request, so it is an upper bound.
# A skipped completion run also leaves the request's entry behind, which the tool later
# counts as "ended without a seen completion": the same request counted twice, so up to N
# such ends go with N kernel probe misses (x86 kprobe -p windows: 12 missed + 2 unseen ends).
#   exact:   rows = the kernel's count, and lost = 0 or every lost a kernel probe miss
#            (overcounted: the misses were elsewhere)
#   counted: fewer rows, rows + lost reach the kernel's count, every lost a kernel probe miss
#   wrong:   anything else: more rows than the kernel completed, or a loss (or a miss) the
#            kernel did not count -- the silent loss this suite exists to catch
# kmissed SUMMARY: how many of its lost the kernel's skips account for: its "N missed by
# kernel probes" plus at most N of its "M ended without a seen completion" (0 when none)
kmissed() {
    _km=$(echo "$1" | sed -n 's/.*[(, ]\([0-9][0-9]*\) missed by kernel probes.*/\1/p')
    _ku=$(echo "$1" | sed -n 's/.*[(, ]\([0-9][0-9]*\) ended without a seen completion.*/\1/p')
    kexcuse "${_km:-0}" "${_ku:-0}"
}
# kexcuse PROBE_MISSED DONE_MISSED: the losses those account for (see kmissed)
kexcuse() { [ "$2" -le "$1" ] && echo $(($1 + $2)) || echo $(($1 + $1)); }
# bio_verdict ROWS KERNEL LOST KMISSED: exact | overcounted | counted | wrong (LOST "" or "-":
# no summary line, wrong)
bio_verdict() {
    case "$3" in '' | - | *[!0-9]*) echo wrong; return ;; esac
    if [ "$1" -eq "$2" ] && [ "$3" -eq 0 ]; then echo exact
    elif [ "$1" -eq "$2" ] && [ "$3" -le "$4" ]; then echo overcounted
    elif [ "$1" -lt "$2" ] && [ $(($1 + $3)) -ge "$2" ] && [ "$3" -le "$4" ]; then echo counted
    else echo wrong; fi
}
# bio_why VERDICT ROWS KERNEL LOST KMISSED: the words for a check's message
bio_why() {
    case $1 in
    exact) echo "$2 rows = the $3 the kernel completed, 0 lost" ;;
    overcounted) echo "$2 rows = the $3 the kernel completed; $4 lost, all kernel probe misses (an upper bound: they name no request)" ;;
    counted) echo "$2 rows of the $3 the kernel completed, the $(($3 - $2)) missing within $4 lost, all kernel probe misses" ;;
    *) echo "$2 rows, ${4:-no} lost of which $5 kernel probe misses, but the kernel completed $3 (only kernel probe misses may excuse a missing row, and never more rows)" ;;
    esac
}
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

# Which schedulers: none, mq-deadline, bfq and kyber, every backend on every x86 kernel (each
# scheduler costs every backend on every disk once, see tests/vm/README.md). The arm64 guests
# run none with every backend and mq-deadline with auto: there the point is the architecture
# (registers, fentry's arm64 history), which the schedulers do not change, and CI's 45 minutes
# do not hold both (rd_runs).
RD_SCHEDS="none mq-deadline bfq kyber"
[ "$(uname -m)" = aarch64 ] && RD_SCHEDS="none mq-deadline"
echo "rd_schedulers=$RD_SCHEDS" >>"$OUT/compat/kernel.txt"
# rd_runs SCHED BACKEND: whether that pair runs on this kernel
rd_runs() {
    case "$KERNEL_ID:$1" in
    arm64-*:mq-deadline) [ "$2" = auto ] ;;
    *) return 0 ;;
    esac
}

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
#   RESULT: exact | overcounted | counted | wrong | refuses | error | missing (bio_verdict)
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
    _res=exact _why="" _short=""
    check "$_what: only $_d in its output ($((_rows - _seen)) rows of other disks)" [ "$_rows" -eq "$_seen" ]
    if [ "$_seen" -eq "$_k" ] && [ "$_sr" -eq "$_kr" ] && [ "$_sw" -eq "$_kw" ]; then
        ok "$_what: $_seen rows = the $_k requests the kernel completed (stat: $_kr reads, $_kw writes, $_ko discards+flushes)"
    elif [ "$_seen" -lt "$_k" ] && [ "$_sr" -le "$_kr" ] && [ "$_sw" -le "$_kw" ]; then
        # fewer rows: the summary decides below (counted as lost by the kernel, or silently missed)
        info "$_what: $_seen rows ($_sr R, $_sw W); the kernel completed $_k requests ($_kr reads, $_kw writes, $_ko discards+flushes)"
        _short=1
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
    # (a known request may be absent only when the window is short of rows; twice, never)
    _absent=$(printf '%s' "$_bad" | tr ';' '\n' | grep -c ' x0$')
    if [ -z "$_bad" ] && [ "$_mine" -eq 8 ]; then
        ok "$_what: each of the 8 known requests once with its type, sector, size, owner iot-disk pid $_p, latency > 0"
    elif [ -n "$_short" ] && [ "$_absent" -eq $((8 - _known)) ] && [ "$_mine" -eq "$_known" ]; then
        info "$_what: $_known of 8 known requests there, each once ($_bad); judged by the summary's losses"
    else
        bad "$_what: $_known of 8 known requests right ($_mine rows with iotest's pid $_p; wrong or missing: ${_bad:-none})"
        _res=wrong _why="${_why:-$_seen of $_k}, $_known of 8 known requests right"
    fi
    # the summary line: its events are the rows it printed; what it missed it counts as lost,
    # and only kernel probe misses may excuse a missing row (see bio_verdict)
    _sum=$(grep -E '^biosnoop: [0-9]+ events?, [0-9]+ lost' "$RUNS/$_tag.err" | tail -1)
    _ev=$(echo "$_sum" | awk '{ print $2 }') _lost=$(echo "$_sum" | awk '{ print $4 }')
    if [ -z "$_sum" ]; then
        bad "$_what: no 'N events, N lost' summary line on stderr ($(tail -1 "$RUNS/$_tag.err"))"; _res=wrong _ev=- _lost=-
    else
        check "$_what: the summary's $_ev events are the $_seen rows printed" [ "$_ev" -eq "$_seen" ]
        [ "$_ev" -eq "$_seen" ] || { _res=wrong _why="${_why:-$_seen of $_k}, summary $_ev events"; }
        _km=$(kmissed "$_sum")
        _v=$(bio_verdict "$_seen" "$_k" "$_lost" "$_km")
        if [ "$_v" = wrong ]; then
            bad "$_what: $(bio_why "$_v" "$_seen" "$_k" "$_lost" "$_km") ($_sum)"
            _res=wrong _why="${_why:-$_seen of $_k}, $_lost counted lost, $_km of them kernel probe misses"
        else
            ok "$_what: $(bio_why "$_v" "$_seen" "$_k" "$_lost" "$_km")"
            if [ "$_res" = exact ] && [ "$_v" != exact ]; then
                _res=$_v _why="$_lost counted lost, all kernel probe misses"
            fi
        fi
    fi
    [ $_res = exact ] || { show "$RUNS/$_tag.out" 12; show "$RUNS/$_tag.err" 12; }
    rd_record "$_drv" "$_d" "$_s" "$_b" $_res "$_seen" "$_k" "$_known" "$_lost" "$_ev" "$_why"
}

# ============================================================================================
# biolatency on real drivers, every backend, in the windows of the loop below under scheduler
# none (the same I/O, the same stat snapshots as the per-disk biosnoop instances): one instance
# over all four disks (-D per disk, -j JSON, 1 s intervals); with auto also --openmetrics to a
# file. The judge is the
# kernel again: per disk, the histograms' counts over all intervals equal the requests
# /sys/block/DISK/stat counts completed in the window, each histogram's buckets add up to its
# count, the summary's events are the requests counted and nothing is lost. The OpenMetrics
# file is checked for its structure: samples of declared families only, per disk increasing
# le bounds with cumulative (non-decreasing) bucket counts, +Inf == _count == the kernel's
# count, and "# EOF" as the last line. Results in compat/biolatency.txt.
# ============================================================================================
: >"$OUT/compat/biolatency.txt"
# bl_counts FILE: "disk count bucketsum" per disk, summed over the interval records
bl_counts() {
    awk 'index($0, "\"record\":\"interval\"") {
            n = split($0, h, /\{"disk":"/)
            for (i = 2; i <= n; i++) {
                d = substr(h[i], 1, index(h[i], "\"") - 1)
                c = substr(h[i], index(h[i], "\"count\":") + 8) + 0   # the histogram count precedes its buckets
                bk = h[i]; sub(/^.*"buckets":\[/, "", bk)
                m = split(bk, bb, /"count":/)
                for (j = 2; j <= m; j++) bs[d] += bb[j] + 0
                cnt[d] += c
            }
        }
        END { for (d in cnt) print d, cnt[d], bs[d] + 0 }' "$1"
}
# bl_om_check FILE: the OpenMetrics text's structure; prints "disk count" per disk on success,
# "ERROR why" lines otherwise
bl_om_check() {
    awk '
        function err(s) { print "ERROR line " NR ": " s; bad = 1 }
        { if (eof) err("text after # EOF") }
        $0 == "# EOF" { eof = 1; next }
        /^# TYPE / { type[$3] = $4; next }
        /^# (HELP|UNIT) / { next }
        /^#/ { err("unknown comment: " $0); next }
        !/^[a-z_]+\{[^}]*\} [0-9.e+-]+$/ && !/^[a-z_]+ [0-9.e+-]+$/ { err("not a sample: " $0); next }
        {
            name = $1; sub(/\{.*/, "", name)
            fam = name; sub(/_(bucket|count|sum|total)$/, "", fam)
            if (!(fam in type)) err("sample of an undeclared family: " name)
        }
        name == "iotrace_biolatency_seconds_bucket" {
            d = $0; sub(/^.*disk="/, "", d); sub(/".*/, "", d)
            le = $0; sub(/^.*le="/, "", le); sub(/".*/, "", le)
            v = $2 + 0
            if (d in last) {
                if (le != "+Inf" && le + 0 <= lastle[d]) err("le not increasing for " d)
                if (v < last[d]) err("bucket count decreases for " d " at le=" le)
            }
            last[d] = v; lastle[d] = (le == "+Inf") ? 1e300 : le + 0
            if (le == "+Inf") inf[d] = v
        }
        name == "iotrace_biolatency_seconds_count" {
            d = $0; sub(/^.*disk="/, "", d); sub(/".*/, "", d); cnt[d] = $2 + 0
        }
        END {
            if (!eof) err("no # EOF at the end")
            if (type["iotrace_biolatency_seconds"] != "histogram") err("iotrace_biolatency_seconds is not TYPE histogram")
            for (d in cnt) {
                if (!(d in inf)) err("no +Inf bucket for " d)
                else if (inf[d] != cnt[d]) err("+Inf bucket " inf[d] " != _count " cnt[d] " for " d)
                if (!bad) print d, cnt[d]
            }
        }' "$1"
}
# Run inside the real-driver windows below (scheduler none, every backend), beside the
# per-disk biosnoop instances: the same I/O, the same stat snapshots.
# bl_launch BACKEND: start it (and with auto the --openmetrics instance)
bl_launch() {
    bl_b=$1 bl_om=""
    launch bl_$1 "$IOTRACE" biolatency -v -D -j --backend=$1 1
    [ $1 = auto ] && launch bl_om "$IOTRACE" biolatency -v --openmetrics="$RUNS/bl_om.prom" 1 && bl_om=1
    return 0
}
# bl_await: wait for it; a forced backend may refuse (exit 1 and a reason). Sets bl_live.
bl_await() {
    _bw="biolatency -D -j --backend=$bl_b" bl_live=""
    if await bl_$bl_b; then
        ok "$_bw: tracing started"; bl_live=1
    else
        stop bl_$bl_b
        _why=$(grep -m1 '^biolatency: error: ' "$RUNS/bl_$bl_b.err" | sed 's/^biolatency: error: //' | cut -c1-200)
        if [ "$rc" -eq 1 ] && [ -n "$_why" ] && { [ "$bl_b" != auto ] || [ "$(expected biosnoop $bl_b)" = "- fails" ]; }; then
            ok "$_bw: refuses with exit 1: $_why"
            echo "- $bl_b refuses - - - - $_why" >>"$OUT/compat/biolatency.txt"
        else
            bad "$_bw: no 'tracing' line, exit status $rc"; show "$RUNS/bl_$bl_b.err" 12
            echo "- $bl_b error - - - - exit $rc" >>"$OUT/compat/biolatency.txt"
        fi
    fi
    if [ -n "$bl_om" ] && ! await bl_om; then
        bad "biolatency --openmetrics: no 'tracing' line"; show "$RUNS/bl_om.err" 12; stop bl_om; bl_om=""
    fi
}
# bl_judge DRIVERS...: after the I/O and the stat snapshots of those disks (stat0_/stat1_DRV)
bl_judge() {
    _bw="biolatency -D -j --backend=$bl_b" _drvs="$*"
    # at least one interval boundary after the I/O, so the --openmetrics file holds it all
    sleep 1.1
    if [ -n "$bl_live" ]; then
        stopped bl_$bl_b "$_bw"
        # biolatency resolves biosnoop's probe group: the same choice as biosnoop's
        _got=$(chosen biolatency "$RUNS/bl_$bl_b.err") _exp=$(expected biosnoop $bl_b)
        if [ -n "$_got" ] && [ "$_got" = "$_exp" ]; then ok "$_bw chose what biosnoop does here: $(echo "$_got" | tr '\n' ';')"
        else bad "$_bw chose $(echo "$_got" | tr '\n' ';') but biosnoop's expectation is $(echo "$_exp" | tr '\n' ';')"; fi
        bl_counts "$RUNS/bl_$bl_b.out" >"$RUNS/bl_$bl_b.counts"
        _ni=$(grep -c '"record":"interval"' "$RUNS/bl_$bl_b.out")
        _tot=0 _ktot=0 _res=exact _why="" _lines=""
        for _drv in $_drvs; do
            eval "_d=\$RD_$_drv _s0=\$stat0_$_drv _s1=\$stat1_$_drv"
            set -- $_s0 $_s1
            _k=$(($5 - $1 + $6 - $2 + $7 - $3 + $8 - $4))
            set -- $(awk -v d="$_d" '$1 == d { print $2, $3 }' "$RUNS/bl_$bl_b.counts") 0 0
            _tot=$((_tot + $1)) _ktot=$((_ktot + _k))
            if [ "$1" -eq "$_k" ] && [ "$2" -eq "$1" ]; then
                ok "$_bw: $_drv $_d: $1 requests in its histograms ($_ni intervals) = the $_k the kernel completed; buckets add up"
            elif [ "$1" -lt "$_k" ] && [ "$2" -eq "$1" ]; then
                # fewer: the summary's losses decide below (bio_verdict over all disks)
                info "$_bw: $_drv $_d: $1 requests in its histograms ($_ni intervals); the kernel completed $_k; buckets add up"
                _why="$_why $_d $1 of $_k;"
            else
                bad "$_bw: $_drv $_d: $1 requests in its histograms (buckets: $2) but the kernel completed $_k"
                _res=wrong _why="$_why $_d $1 of $_k;"
            fi
            _lines="$_lines$_drv $_d $1 $_k
"
        done
        _others=$(awk -v ds=" $(for _drv in $_drvs; do eval "printf '%s ' \$RD_$_drv"; done)" 'index(ds, " " $1 " ") == 0 && $2 > 0 { printf "%s ", $1 }' "$RUNS/bl_$bl_b.counts")
        check "$_bw: no requests on another disk (${_others:-none})" [ -z "$_others" ]
        REC=summary project "$RUNS/bl_$bl_b.out" json events lost probe_missed done_missed >/tmp/blsum
        _ev=$(cut -d'|' -f1 /tmp/blsum) _lost=$(cut -d'|' -f2 /tmp/blsum)
        _km=$(kexcuse "$(cut -d'|' -f3 /tmp/blsum | grep -x '[0-9][0-9]*' || echo 0)" "$(cut -d'|' -f4 /tmp/blsum | grep -x '[0-9][0-9]*' || echo 0)")
        _v=$(bio_verdict "$_tot" "$_ktot" "$_lost" "${_km:-0}")
        if [ "${_ev:-x}" = "$_tot" ] && [ "$_v" != wrong ]; then
            ok "$_bw: the summary record's events are the $_tot requests counted; $(bio_why "$_v" "$_tot" "$_ktot" "$_lost" "${_km:-0}")"
            [ "$_res" = exact ] && [ "$_v" != exact ] && _res=$_v _why="$_why $_lost lost, all kernel probe misses;"
        else
            bad "$_bw: the summary record says events ${_ev:-none}, lost ${_lost:-none}, probe_missed ${_km:-none}; $(bio_why "$_v" "$_tot" "$_ktot" "${_lost:-none}" "${_km:-0}")"
            _res=wrong _why="$_why events ${_ev:-none}, lost ${_lost:-none}, probe_missed ${_km:-none};"
        fi
        [ $_res = exact ] || { show "$RUNS/bl_$bl_b.out" 6; show "$RUNS/bl_$bl_b.err" 12; }
        # (per disk: a disk with all of its requests is exact although another one's were counted)
        printf '%s' "$_lines" | while read -r _drv _d _c _k; do
            _r=$_res
            [ "$_r" = wrong ] || { [ "$_c" -eq "$_k" ] && _r=exact; }
            [ -n "$_drv" ] && echo "$_drv $bl_b $_r $_d $_c $_k - $_why" >>"$OUT/compat/biolatency.txt"
        done
    fi
    [ -n "$bl_om" ] || return 0
    stopped bl_om "biolatency --openmetrics"
    bl_om_check "$RUNS/bl_om.prom" >"$RUNS/bl_om.check"
    if grep -q '^ERROR' "$RUNS/bl_om.check" || [ ! -s "$RUNS/bl_om.check" ]; then
        bad "biolatency --openmetrics: the file is not well-formed: $(head -3 "$RUNS/bl_om.check" | tr '\n' ';')"; show "$RUNS/bl_om.prom" 20
    else
        ok "biolatency --openmetrics: well-formed (declared families, cumulative buckets, +Inf = _count, # EOF last)"
    fi
    # its stderr summary: what it lost, and how much of that the kernel's probes missed
    _os=$(grep -E '^biolatency: [0-9]+ events?, [0-9]+ lost' "$RUNS/bl_om.err" | tail -1)
    _ol=$(echo "$_os" | awk '{ print $4 }') _okm=$(kmissed "$_os") _oc=0 _ok=0
    for _drv in $_drvs; do
        eval "_d=\$RD_$_drv _s0=\$stat0_$_drv _s1=\$stat1_$_drv"
        set -- $_s0 $_s1
        _k=$(($5 - $1 + $6 - $2 + $7 - $3 + $8 - $4))
        _c=$(awk -v d="$_d" '$1 == d { print $2 }' "$RUNS/bl_om.check")
        _oc=$((_oc + ${_c:-0})) _ok=$((_ok + _k))
        if [ "${_c:-x}" = "$_k" ]; then ok "biolatency --openmetrics: $_d's _count is the $_k requests the kernel completed"
        elif [ -n "$_c" ] && [ "$_c" -lt "$_k" ]; then info "biolatency --openmetrics: $_d's _count is $_c; the kernel completed $_k (the summary's losses decide)"
        else bad "biolatency --openmetrics: $_d's _count is ${_c:-none} but the kernel completed $_k"; fi
    done
    _v=$(bio_verdict "$_oc" "$_ok" "$_ol" "$_okm")
    check "biolatency --openmetrics: over its disks, $(bio_why "$_v" "$_oc" "$_ok" "${_ol:-no}" "$_okm") (${_os:-no summary line})" [ "$_v" != wrong ]
}

rd_checked=""
for s in $RD_SCHEDS; do
    sid=$(echo "$s" | tr -c 'a-z0-9\n' _)
    for b in auto tracepoint fentry kprobe; do
        rd_runs "$s" "$b" || continue
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
        bl=""
        [ "$s" = none ] && [ -n "$live" ] && bl_launch $b && bl=1
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
        [ -n "$bl" ] && bl_await
        [ -n "$tracing" ] || { [ -n "$bl" ] && bl_judge; continue; }
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
        [ -n "$bl" ] && bl_judge $tracing
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
    if [ "$_n" -lt 9 ]; then
        bad "$3: blktrace saw $_n completions, fewer than the 9 requests iotest made (8 + a BLKZEROOUT)"; show "$RUNS/$2.blkparse.err"
    elif cmp -s "$RUNS/$2.bt" "$RUNS/$2.bs"; then
        ok "$3: the $_n completions blktrace saw, request for request in order (type, sector, size)"
    elif ! diff "$RUNS/$2.bt" "$RUNS/$2.bs" | grep -q '^>' &&
        _s=$(grep -E '^biosnoop: [0-9]+ events?, [0-9]+ lost' "$RUNS/$2.err" | tail -1) &&
        [ "$(bio_verdict "$(wc -l <"$RUNS/$2.bs")" "$_n" "$(echo "$_s" | awk '{ print $4 }')" "$(kmissed "$_s")")" = counted ]; then
        # only rows missing, in order, and as many counted lost, all kernel probe misses (bio_verdict)
        ok "$3: $(wc -l <"$RUNS/$2.bs") of the $_n completions blktrace saw, in order; the others counted lost, all kernel probe misses ($_s)"
    else
        bad "$3: biosnoop and blktrace differ ($(wc -l <"$RUNS/$2.bs") rows against $_n): first difference: $(diff "$RUNS/$2.bt" "$RUNS/$2.bs" | grep '^[<>]' | head -2 | tr '\n' ';')"
    fi
}
BT_ZSECTOR=20480
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
        # + a BLKZEROOUT: one write-zeroes request where the device takes them (NVMe,
        # virtio-blk), zero-filled writes where not; blktrace is the judge either way
        iotest "bt_${drv}_${btst}_$btb" -n iot-disk $(rd_ops "$d") zeroout /dev/$d $((BT_ZSECTOR * 512)) 65536
    done
    sleep 0.3
    for drv in $bttr; do stopped "bt_${drv}_${btst}_$btb" "$drv, iostats=$btst, --backend=$btb, beside blktrace"; done
    for drv in $btlive; do eval "kill -INT \$btpid_$drv; wait \$btpid_$drv"; done
    for drv in $bttr; do
        eval "d=\$RD_$drv"
        bt_compare "$d" "bt_${drv}_${btst}_$btb" "$drv $d, iostats=$btst, scheduler $bts, --backend=$btb"
        [ "$(cat /sys/block/$d/queue/write_zeroes_max_bytes 2>/dev/null || echo 0)" -ge 65536 ] || continue
        # (the device's write-zeroes request: rwbs W as blkparse prints it, not the N of
        # the kernel's tracepoint string)
        _z=$(awk -v s=$BT_ZSECTOR '$2 == s && $3 == 65536 && $1 ~ /^F?W/' "$RUNS/bt_${drv}_${btst}_$btb.bs" | wc -l)
        check "$drv $d, --backend=$btb: the write-zeroes request once, as W at sector $BT_ZSECTOR, 65536 bytes, as blktrace shows it ($_z)" \
            sh -c "[ $_z -eq 1 ] && awk -v s=$BT_ZSECTOR '\$2 == s && \$3 == 65536 && \$1 ~ /^F?W/' '$RUNS/bt_${drv}_${btst}_$btb.bt' | grep -q ."
    done
    for drv in "$@"; do eval "d=\$RD_$drv"; [ -n "$d" ] && echo 1 >"/sys/block/$d/queue/iostats"; done
}
if ! command -v blktrace >/dev/null || ! command -v blkparse >/dev/null; then
    bad "no blktrace/blkparse in the guest (mkinitramfs.sh copies them from the host's blktrace package)"
elif [ ! -d /sys/kernel/debug/block ]; then
    bad "no /sys/kernel/debug/block: blktrace cannot run (debugfs not mounted, or a kernel without CONFIG_BLK_DEV_IO_TRACE)"
else
    bt_round none 1 auto $RD_DISKS
    # (arm64: iostats=0 under auto only; the backends' own rounds are x86's, for time)
    for b in auto tracepoint fentry kprobe; do
        [ "$(expected biosnoop $b)" = "- fails" ] && continue
        [ "$(uname -m)" = aarch64 ] && [ $b != auto ] && continue
        bt_round none 0 $b nvme virtio_blk
    done
fi

# (arm64 guests run the smaller set of docs/ARM64.md: the fsslower family on ext4 only, no dm/md)
ARM64=""
[ "$(uname -m)" = aarch64 ] && ARM64=1
if [ -r /guest/fs.sh ]; then . /guest/fs.sh; else bad "no /guest/fs.sh: the fsslower family untested"; fi

# ============================================================================================
# biosnoop on stacked devices: a partition (-d sdX1, the PART column), a device-mapper linear
# target and an md RAID1, over the real disks. dm and md are bio-based: they pass their I/O on
# to the member disks as the members' own requests, so biosnoop without -d must show exactly
# the members' completed requests per /sys/block/MEMBER/stat, no row on dm-N or mdN, and
# `-d dm-N` / `-d md0` must be refused in one line naming the members (usage error, exit 2).
#   partition  sdX1 = sectors 32768..65535 of the SATA disk (an MBR written here)
#   dm linear  iot-lin = 32768 sectors of the virtio-blk disk from sector 32768
#   md RAID1   md0 over the NVMe and the virtio-scsi disk (metadata 1.2, no bitmap)
# Each gets 2 O_DIRECT writes and 2 reads of 64 KiB from its own iotest (iot-part, iot-dm,
# iot-md) under every backend; results in compat/stacks.txt.
# ============================================================================================
section "biosnoop on stacked devices: setup"
ST_PART="" ST_DM="" ST_MD=""
# le32 N: N as 4 little-endian bytes, in printf's octal escapes
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
if [ -n "$RD_ahci" ]; then
    # an MBR with one Linux partition (type 0x83) at LBA 32768, 32768 sectors long
    dd if=/dev/zero of=/tmp/mbr bs=512 count=1 status=none
    printf "\\000\\000\\000\\000\\203\\000\\000\\000$(le32 32768)$(le32 32768)" |
        dd of=/tmp/mbr bs=1 seek=446 conv=notrunc status=none
    printf '\125\252' | dd of=/tmp/mbr bs=1 seek=510 conv=notrunc status=none
    dd if=/tmp/mbr of=/dev/$RD_ahci bs=512 count=1 conv=fsync status=none
    blockdev --rereadpt /dev/$RD_ahci
    for p in /sys/block/$RD_ahci/$RD_ahci*; do [ -e "$p/partition" ] && ST_PART=${p##*/}; done
    if [ -n "$ST_PART" ] && [ "$(cat /sys/block/$RD_ahci/$ST_PART/start)" = 32768 ] && [ -b /dev/$ST_PART ]; then
        ok "partition $ST_PART on $RD_ahci (ahci): sectors 32768..65535"
    else
        bad "no partition on $RD_ahci after writing an MBR and blockdev --rereadpt ($(ls /sys/block/$RD_ahci))"; ST_PART=""
    fi
fi
if [ -z "$RD_virtio_blk" ]; then :
elif [ -n "$ARM64" ]; then info "no dm linear target in arm64 guests (docs/ARM64.md)"
elif ! command -v dmsetup >/dev/null; then
    bad "no dmsetup in the guest (mkinitramfs.sh copies it from the host's dmsetup package)"
elif dmsetup create iot-lin --noudevsync --table "0 32768 linear /dev/$RD_virtio_blk 32768" >"$RUNS/dmsetup.txt" 2>&1; then
    dmsetup mknodes iot-lin >>"$RUNS/dmsetup.txt" 2>&1
    ST_DM=$(ls /sys/block/$RD_virtio_blk/holders 2>/dev/null | head -1)
    if [ -n "$ST_DM" ] && [ -b /dev/mapper/iot-lin ]; then
        ok "dm linear /dev/mapper/iot-lin = $ST_DM over $RD_virtio_blk (virtio_blk) from sector 32768"
    else
        bad "dmsetup create iot-lin: no holder of $RD_virtio_blk or no /dev/mapper/iot-lin ($(cat "$RUNS/dmsetup.txt"))"; ST_DM=""
    fi
else
    bad "dmsetup create iot-lin (linear over $RD_virtio_blk): $(cat "$RUNS/dmsetup.txt")"
fi
if [ -z "$RD_nvme" ] || [ -z "$RD_virtio_scsi" ]; then :
elif [ -n "$ARM64" ]; then info "no md RAID1 in arm64 guests (docs/ARM64.md)"
elif ! command -v mdadm >/dev/null; then
    bad "no mdadm in the guest (mkinitramfs.sh copies it from the host's mdadm package)"
elif mdadm --create /dev/md0 --run --metadata=1.2 --assume-clean --bitmap=none --level=1 \
    --raid-devices=2 /dev/$RD_nvme /dev/$RD_virtio_scsi >"$RUNS/mdadm.txt" 2>&1 && [ -b /dev/md0 ]; then
    ST_MD=md0
    # no safe mode: md would mark the array clean 200 ms after the last write and write both
    # superblocks then, inside a later window; with 0 it stays active after the warm-up write
    echo 0 >/sys/block/md0/md/safe_mode_delay
    ST_MD_OFF=$(cat /sys/block/md0/md/dev-$RD_nvme/offset)
    ST_MD_OFF2=$(cat /sys/block/md0/md/dev-$RD_virtio_scsi/offset)
    ok "md RAID1 md0 over $RD_nvme (nvme) and $RD_virtio_scsi (virtio_scsi), data at sector $ST_MD_OFF / $ST_MD_OFF2"
else
    bad "mdadm --create /dev/md0 --level=1 $RD_nvme $RD_virtio_scsi: $(cat "$RUNS/mdadm.txt" | tr '\n' ' ')"
fi
: >"$OUT/compat/stacks.txt"
# st_record KIND DEV BACKEND RESULT ROWS KERNEL WHY -> compat/stacks.txt (gen-compat.sh)
#   KIND: partition (its disk, traced without -d) | part-filter (-d PARTITION) | dm-linear |
#   md-raid1; BACKEND: a --backend, or -d for the refusal of -d on it; RESULT: exact | wrong |
#   refuses | error
st_record() { echo "$1 $2 $3 $4 $5 $6 - $(echo "$7" | tr '\n' ' ' | cut -c1-200)" >>"$OUT/compat/stacks.txt"; }

# -d on a bio-based device: refused at once, one line naming its members, usage status 2
# st_refuse TAG WHAT DISK MEMBERS...
st_refuse() {
    _tag=$1 _w=$2 _dsk=$3; shift 3
    "$IOTRACE" biosnoop --csv -d "$_dsk" >"$RUNS/$_tag.out" 2>"$RUNS/$_tag.err" </dev/null &
    _p=$!; ( sleep 60; kill -KILL $_p 2>/dev/null ) & _k=$!; wait $_p; _rc=$?; kill $_k 2>/dev/null
    _msg=$(head -1 "$RUNS/$_tag.err")
    _named=1
    for _m in "$@"; do echo "$_msg" | grep -qw "$_m" || _named=0; done
    if [ $_rc -eq 2 ] && [ $_named = 1 ] && [ "$(wc -l <"$RUNS/$_tag.err")" -eq 1 ] && [ ! -s "$RUNS/$_tag.out" ]; then
        ok "biosnoop -d $_dsk ($_w): refused with exit 2 in one line naming $*: $_msg"
        st_record "$_w" "$_dsk" -d refuses - - "exit 2: $_msg"
    else
        bad "biosnoop -d $_dsk ($_w): exit $_rc (expected 2), stderr $(wc -l <"$RUNS/$_tag.err") lines (expected 1 naming $*): $(head -3 "$RUNS/$_tag.err" | tr '\n' ' ')"
        st_record "$_w" "$_dsk" -d wrong - - "exit $_rc: $_msg"
    fi
}
section "biosnoop -d on dm and md: refused naming the members"
if [ -n "$ST_DM" ]; then
    st_refuse st_ref_dm dm-linear "$ST_DM" "$RD_virtio_blk"
    st_refuse st_ref_dmpath dm-linear /dev/mapper/iot-lin "$RD_virtio_blk"
fi
[ -n "$ST_MD" ] && st_refuse st_ref_md md-raid1 md0 "$RD_nvme" "$RD_virtio_scsi"

# st_stat DEV: "reads writes other" completed, from a disk's or a partition's stat file
st_stat() {
    _f=/sys/block/$1/stat
    [ -e "$_f" ] || _f=$(ls /sys/block/*/$1/stat)
    awk '{ print $1, $5, ($12 == "" ? 0 : $12) + ($15 == "" ? 0 : $15) }' "$_f"
}
# st_delta DEV: "reads writes other" completed in the window (stat0_DEV .. stat1_DEV)
st_delta() {
    _v=$(echo "$1" | tr -c 'a-z0-9\n' _)
    eval "set -- \$st0_$_v \$st1_$_v"
    echo $(($4 - $1)) $(($5 - $2)) $(($6 - $3))
}
# st_rows FACTS DISK: "reads writes other" rows on DISK
st_rows() {
    awk -F'|' -v d="$2" '$1 == d { t = $2; sub(/^F/, "", t); t = substr(t, 1, 1)
        if (t == "R") r++; else if (t == "W") w++; else o++ }
        END { print r + 0, w + 0, o + 0 }' "$1"
}
# st_has FACTS WHAT DISK TYPE SECTOR PID [PART]: exactly one such 64 KiB row with a latency
st_has() {
    _n=$(awk -F'|' -v d="$3" -v t="$4" -v s="$5" -v p="$6" -v pt="${7:-}" '
        { op = $2; sub(/^F/, "", op); op = substr(op, 1, 1) }
        $1 == d && op == t && $3 == s && $4 == 65536 && $7 > 0 && (p == "" || $6 == p) && (pt == "" || $9 == pt) { n++ }
        END { print n + 0 }' "$1")
    [ "$_n" -eq 1 ] || { st_bad="$st_bad $4@$5 on $3 x$_n;"; return 1; }
}
ST_FIELDS="disk rwbs sector bytes comm pid latency_ns owner_at_issue partition"
# the known I/O, offsets in the device (KiB): writes at 1024, 3072, reads at 2048, 4096
st_ops() { echo "write $1 1048576 65536 write $1 3145728 65536 read $1 2097152 65536 read $1 4194304 65536"; }
ST_EXPECT="W 2048
W 6144
R 4096
R 8192"
# warm-up: the first write to md0 marks the array active (both superblocks, with a flush)
[ -n "$ST_MD" ] && iotest st_warm_md -n iot-warm write /dev/md0 0 4096 read /dev/md0 0 4096
[ -n "$ST_DM" ] && iotest st_warm_dm -n iot-warm read /dev/mapper/iot-lin 0 4096
[ -n "$ST_PART" ] && iotest st_warm_part -n iot-warm read /dev/$ST_PART 0 4096
sleep 0.5
ST_DEVS="$RD_ahci $ST_PART $RD_virtio_blk $ST_DM $RD_nvme $RD_virtio_scsi $ST_MD"

# st_member FACTS WHAT DISK: one member disk's rows against the kernel's count, by type.
# Fewer rows add to st_def (the summary then decides: counted as lost, or silently missed);
# more rows than the kernel completed are wrong at once.
st_member() {
    set -- "$1" "$2" "$3" $(st_rows "$1" "$3") $(st_delta "$3")
    st_n=$((st_n + $4 + $5 + $6)) st_k=$((st_k + $7 + $8 + $9))
    if [ "$4 $5 $6" = "$7 $8 $9" ]; then
        ok "$2: $3 has $(($4 + $5 + $6)) rows = the requests the kernel completed on it ($7 R, $8 W, $9 other)"
    elif [ "$4" -le "$7" ] && [ "$5" -le "$8" ] && [ "$6" -le "$9" ]; then
        info "$2: $3 has $4 R, $5 W, $6 other rows; the kernel completed $7 R, $8 W, $9 other"
        st_def=$((st_def + $7 + $8 + $9 - $4 - $5 - $6)) st_kmiss=1
    else
        bad "$2: $3 has $4 R, $5 W, $6 other rows but the kernel completed only $7 R, $8 W, $9 other"
        st_res=wrong
    fi
}
# st_sum ERRFILE: the summary line's events (st_ev), lost (st_lost) and how many of those the
# kernel's skipped probe runs account for (st_pm, kmissed)
st_sum() {
    _s=$(grep -E '^biosnoop: [0-9]+ events?, [0-9]+ lost' "$1" | tail -1)
    st_sumline=$_s
    st_ev=$(echo "$_s" | awk '{ print $2 }') st_lost=$(echo "$_s" | awk '{ print $4 }')
    st_pm=$(kmissed "$_s")
}
# st_verdict WHAT ROWS: the summary against what was missed (st_def). Exact: nothing missed,
# 0 lost. Any backend: the kernel skips a probe run that would nest in another on that CPU
# (an interrupt's completion inside a submission's handler) and counts it: "counted" when
# every missed request is within the lost count and every lost is such a probe miss
# (bio_verdict) -- reported, never silent; anything else is wrong. Sets st_verdict.
st_verdict() {
    if [ -z "$st_sumline" ]; then
        bad "$1: no 'N events, N lost' summary line"; st_verdict=wrong; return
    fi
    check "$1: the summary's $st_ev events are its $2 rows" [ "$st_ev" -eq "$2" ]
    if [ "$st_def" -eq 0 ] && [ "$st_lost" -eq 0 ]; then
        ok "$1: nothing missed, 0 lost"; st_verdict=exact
    elif [ "$st_lost" -ge "$st_def" ] && [ "$st_lost" -le "$st_pm" ]; then
        ok "$1: missed $st_def requests and counted $st_lost lost, all kernel probe misses ($st_sumline)"
        st_verdict=counted
    else
        bad "$1: missed $st_def requests but the summary says $st_sumline"; st_verdict=wrong
    fi
    [ "$st_ev" -eq "$2" ] || st_verdict=wrong
}
# st_kind_end KIND DEV: the kind's result (st_res, st_kmiss, st_known) -> kind_<KIND> variables
st_kind_end() {
    eval "kres_$1=$st_res kmiss_$1=$st_kmiss kknown_$1=\"$st_known\" kn_$1=$st_n kk_$1=$st_k kdev_$1=\"$2\""
}
# st_kind_record KIND STACKS-KIND: after the verdict, the kind's line in compat/stacks.txt
st_kind_record() {
    eval "_r=\$kres_$1 _m=\$kmiss_$1 _kn=\$kknown_$1 _n=\$kn_$1 _k=\$kk_$1 _dev=\$kdev_$1"
    _why=""
    if [ "$_r" = exact ] && [ -n "$_kn" ] && [ "$_m" = 0 ]; then _r=wrong _why="known requests: $_kn"; fi
    if [ "$_r" = exact ] && [ "$_m" = 1 ]; then
        if [ "$st_verdict" = counted ]; then
            _r=counted _why="$st_lost counted lost, all kernel probe misses"
            [ -z "$_kn" ] || info "$2 --backend=$b: known requests not all there, but counted as lost: $_kn"
        else
            _r=wrong _why="$_n of $_k, summary: $(echo "$st_sumline" | cut -d: -f2-)"
            [ -z "$_kn" ] || bad "$2 --backend=$b: known requests wrong: $_kn"
        fi
    elif [ "$_r" = exact ] && [ "$st_verdict" = counted ]; then
        # its own rows are all there, but the tracer's probe misses (elsewhere) count as lost
        _r=overcounted _why="$st_lost lost counted: kernel probe misses, which name no disk"
    fi
    [ "$_r" = wrong ] && [ -z "$_why" ] && _why="$_n of $_k"
    st_record "$2" "$_dev" $b $_r $_n $_k "$_why"
}
# st_known_fail KIND WHAT WRONG: a known-request check failed; judged at once unless the kind
# missed requests (then by the verdict)
st_known_fail() {
    st_known="$3"
    [ "$st_kmiss" = 1 ] || bad "$2: $3"
}

# st_kinds all|part: the stacks.txt kinds a tracer judges
st_kinds() {
    if [ $1 = part ]; then echo part-filter; return; fi
    echo ${ST_PART:+partition} ${ST_DM:+dm-linear} ${ST_MD:+md-raid1}
}
# Per backend, one window with two tracers: "all" (no -d) and "part" (-d PARTITION). Not for
# kprobes: two kprobe tracers at once made the 5.10 and 6.1 kernels drop (and count) probe hits
# on md's mirrored writes, which one tracer alone never showed; those windows are separate.
for run in auto:all+part tracepoint:all+part fentry:all+part kprobe:all kprobe:part; do
    [ -n "$ST_PART$ST_DM$ST_MD" ] || break
    b=${run%%:*} ts=$(echo "${run#*:}" | tr + ' ')
    section "biosnoop on stacked devices: --backend=$b ($ts)"
    exp=$(expected biosnoop $b)
    what="--backend=$b"
    case " $ts " in *" all "*) launch st_all_$b "$IOTRACE" biosnoop -v --csv --backend=$b ;; esac
    case " $ts " in *" part "*) [ -n "$ST_PART" ] && launch st_part_$b "$IOTRACE" biosnoop -v --csv -d "$ST_PART" --backend=$b ;; esac
    live=""
    for t in $ts; do
        [ $t = part ] && [ -z "$ST_PART" ] && continue
        if await st_${t}_$b; then live="$live $t"; continue; fi
        stop st_${t}_$b
        why=$(grep -m1 '^biosnoop: error: ' "$RUNS/st_${t}_$b.err" | sed 's/^biosnoop: error: //' | cut -c1-200)
        if [ "$rc" -eq 1 ] && [ -n "$why" ] && { [ "$b" != auto ] || [ "$exp" = "- fails" ]; }; then
            ok "biosnoop ($t) $what: refuses with exit 1: $why"
            for k in $(st_kinds $t); do st_record $k - $b refuses - - "$why"; done
        else
            bad "biosnoop ($t) $what: no 'tracing' line, exit status $rc"; show "$RUNS/st_${t}_$b.err" 12
            for k in $(st_kinds $t); do st_record $k - $b error - - "exit $rc: $(tail -1 "$RUNS/st_${t}_$b.err")"; done
        fi
    done
    [ -n "$live" ] || continue
    for d in $ST_DEVS; do eval "st0_$(echo "$d" | tr -c 'a-z0-9\n' _)=\"\$(st_stat $d)\""; done
    st_pid_part="" st_pid_dm="" st_pid_md=""
    _io=st_io_$(echo "$ts" | tr ' ' _)
    [ -n "$ST_PART" ] && iotest ${_io}_part_$b -n iot-part $(st_ops /dev/$ST_PART) && st_pid_part=$iopid
    [ -n "$ST_DM" ] && iotest ${_io}_dm_$b -n iot-dm $(st_ops /dev/mapper/iot-lin) && st_pid_dm=$iopid
    [ -n "$ST_MD" ] && iotest ${_io}_md_$b -n iot-md $(st_ops /dev/md0) && st_pid_md=$iopid
    for d in $ST_DEVS; do eval "st1_$(echo "$d" | tr -c 'a-z0-9\n' _)=\"\$(st_stat $d)\""; done
    sleep 0.3
    for t in $live; do stopped st_${t}_$b "biosnoop ($t) $what"; done

    case " $live " in *" all "*)
        F=$RUNS/st_all_$b.facts
        REC=io project "$RUNS/st_all_$b.out" csv $ST_FIELDS >"$F"
        _rows=$(wc -l <"$F")
        n=$(awk -F'|' '$1 ~ /^(dm-|md)/' "$F" | wc -l)
        check "biosnoop $what: no row on a bio-based device (dm-N, mdN): $n" [ "$n" -eq 0 ]
        st_def=0
        if [ -n "$ST_PART" ]; then
            st_res=exact st_kmiss=0 st_known="" st_n=0 st_k=0 st_bad=""
            w="partition $ST_PART, biosnoop $what"
            st_member "$F" "$w" "$RD_ahci"
            _w=$(echo "$ST_EXPECT" | while read -r t s; do st_has "$F" x "$RD_ahci" $t $((s + 32768)) "$st_pid_part" || echo "$t@$((s + 32768))"; done | tr '\n' ' ')
            if [ -z "$_w" ]; then ok "$w: the 4 requests on $RD_ahci at the partition's sectors (+32768), owner iot-part pid $st_pid_part"
            else st_known_fail p "$w" "not each once with owner iot-part pid $st_pid_part on $RD_ahci: $_w"; fi
            st_kind_end p "$ST_PART>$RD_ahci"
        fi
        if [ -n "$ST_DM" ]; then
            st_res=exact st_kmiss=0 st_known="" st_n=0 st_k=0
            w="dm linear $ST_DM, biosnoop $what"
            st_member "$F" "$w" "$RD_virtio_blk"
            _w=$(echo "$ST_EXPECT" | while read -r t s; do st_has "$F" x "$RD_virtio_blk" $t $((s + 32768)) "$st_pid_dm" || echo "$t@$((s + 32768))"; done | tr '\n' ' ')
            if [ -z "$_w" ]; then ok "$w: the 4 requests on $RD_virtio_blk at sector+32768, owner iot-dm pid $st_pid_dm"
            else st_known_fail d "$w" "not each once with owner iot-dm pid $st_pid_dm on $RD_virtio_blk: $_w"; fi
            st_kind_end d "$ST_DM>$RD_virtio_blk"
        fi
        if [ -n "$ST_MD" ]; then
            st_res=exact st_kmiss=0 st_known="" st_n=0 st_k=0
            w="md raid1 md0, biosnoop $what"
            st_member "$F" "$w" "$RD_nvme"
            st_member "$F" "$w" "$RD_virtio_scsi"
            # each write on both members, each read on one of them (the owner may be md's
            # own thread md0_raid1, which submits the mirrored writes)
            _w=$(echo "$ST_EXPECT" | while read -r t s; do
                n1=$(awk -F'|' -v d="$RD_nvme" -v t="$t" -v s="$((s + ST_MD_OFF))" '{ op = $2; sub(/^F/, "", op) } $1 == d && substr(op, 1, 1) == t && $3 == s && $4 == 65536 && $7 > 0' "$F" | wc -l)
                n2=$(awk -F'|' -v d="$RD_virtio_scsi" -v t="$t" -v s="$((s + ST_MD_OFF2))" '{ op = $2; sub(/^F/, "", op) } $1 == d && substr(op, 1, 1) == t && $3 == s && $4 == 65536 && $7 > 0' "$F" | wc -l)
                if [ $t = W ]; then [ "$n1 $n2" = "1 1" ] || echo "W@$s $n1+$n2"; else [ $((n1 + n2)) -eq 1 ] || echo "R@$s $n1+$n2"; fi
            done | tr '\n' ' ')
            if [ -z "$_w" ]; then ok "$w: each write on both members, each read on one, at the data offset"
            else st_known_fail m "$w" "not where the mirror puts them (md sector, rows on $RD_nvme+$RD_virtio_scsi): $_w"; fi
            info "md raid1 owners ($what): $(awk -F'|' -v a="$RD_nvme" -v b="$RD_virtio_scsi" '$1 == a || $1 == b { printf "%s:%s@%s=%s ", $1, substr($2, 1, 1), $3, $5 }' "$F")"
            st_kind_end m "md0>$RD_nvme+$RD_virtio_scsi"
        fi
        st_sum "$RUNS/st_all_$b.err"
        st_verdict "biosnoop $what (all disks)" "$_rows"
        [ -n "$ST_PART" ] && st_kind_record p partition
        [ -n "$ST_DM" ] && st_kind_record d dm-linear
        [ -n "$ST_MD" ] && st_kind_record m md-raid1
        [ $st_verdict = exact ] || { show "$RUNS/st_all_$b.out" 30; show "$RUNS/st_all_$b.err" 12; }
        ;;
    esac
    case " $live " in *" part "*)
        # -d PARTITION: only the partition's requests, each with PART = the partition; the
        # kernel's count is the partition's own stat file
        F=$RUNS/st_part_$b.facts
        REC=io project "$RUNS/st_part_$b.out" csv $ST_FIELDS >"$F"
        w="biosnoop -d $ST_PART $what"
        st_res=exact st_kmiss=0 st_known="" st_def=0
        set -- $(st_rows "$F" "$RD_ahci") $(st_delta "$ST_PART")
        st_n=$(wc -l <"$F") st_k=$(($4 + $5 + $6))
        if [ "$1 $2 $3" = "$4 $5 $6" ] && [ "$st_n" -eq $(($1 + $2 + $3)) ]; then
            ok "$w: $st_n rows = the requests the kernel completed in the partition ($4 R, $5 W, $6 other)"
        elif [ "$st_n" -eq $(($1 + $2 + $3)) ] && [ "$1" -le "$4" ] && [ "$2" -le "$5" ] && [ "$3" -le "$6" ]; then
            info "$w: $1 R, $2 W, $3 other rows; the partition's stat says $4 R, $5 W, $6 other"
            st_def=$((st_k - st_n)) st_kmiss=1
        else
            bad "$w: $st_n rows ($1 R, $2 W, $3 other on $RD_ahci) but the partition's stat says $4 R, $5 W, $6 other"
            st_res=wrong
        fi
        n=$(awk -F'|' -v p="$ST_PART" '$9 != p' "$F" | wc -l)
        check "$w: every row's partition is $ST_PART ($n are not)" [ "$n" -eq 0 ]
        [ "$n" -eq 0 ] || st_res=wrong
        _w=$(echo "$ST_EXPECT" | while read -r t s; do st_has "$F" x "$RD_ahci" $t $((s + 32768)) "$st_pid_part" "$ST_PART" || echo "$t@$((s + 32768))"; done | tr '\n' ' ')
        if [ -z "$_w" ]; then ok "$w: the 4 requests of iot-part, each once, PART $ST_PART"
        else st_known_fail f "$w" "the requests of iot-part not each once: $_w"; fi
        st_kind_end f "$ST_PART"
        st_sum "$RUNS/st_part_$b.err"
        st_verdict "$w" "$st_n"
        st_kind_record f part-filter
        [ $st_verdict = exact ] || { show "$RUNS/st_part_$b.out" 20; show "$RUNS/st_part_$b.err" 12; }
        ;;
    esac
done

# ============================================================================================
# -p and -c on a real driver under each scheduler: two processes read disjoint regions of the
# SATA disk at once (200 O_DIRECT 64 KiB reads each, one request per read), A in the root
# cgroup, B in cgroup iot-b. `biosnoop -p A` and `biosnoop -c iot-b` run together; each must
# print only its process's requests (zero foreign rows: issue #12 measured 2.8 % of another
# process's requests under -p with mq-deadline on a loop device), all 200 of them, and lose
# none; the kernel's stat counts the 400 reads. Results in compat/filters.txt.
# ============================================================================================
section "biosnoop -p / -c on a real driver: setup"
: >"$OUT/compat/filters.txt"
: >"$OUT/compat/merges.txt"
CG=/sys/fs/cgroup
mountpoint -q $CG 2>/dev/null || mount -t cgroup2 none $CG 2>/dev/null
mkdir -p $CG/iot-b 2>/dev/null
FD=$RD_ahci
if [ -z "$FD" ]; then :
elif [ ! -e $CG/iot-b/cgroup.procs ]; then
    bad "no cgroup v2 at $CG (mount -t cgroup2): the -c test cannot run"
else
    # The merge check runs beside, on the virtio-blk disk's first 4 MiB (below its dm target):
    # sequential buffered writes that the block layer merges (stat fields 2 and 6 count the
    # merges). No row may carry a stale entry's start (QUE or latency beyond the window) or an
    # owner other than dd or a writeback worker; rows = completed requests; and the summary's
    # "merged away" (requests merged into another after creation) can be no more than the
    # kernel's merge count, which also counts bios merged into requests.
    MD_DISK=$RD_virtio_blk
    # mg_stat: "reads writes other merges" of MD_DISK
    mg_stat() { awk '{ print $1, $5, ($12 == "" ? 0 : $12) + ($15 == "" ? 0 : $15), $2 + $6 }' "/sys/block/$MD_DISK/stat"; }
    # mg_judge SID WHAT DDPID R0 W0 O0 M0 R1 W1 O1 M1
    # Three tracers run at once, and the kernel skips a probe run that comes while another
    # runs on that CPU (and counts it, whatever disk or process it was for). The judge is
    # bio_verdict's, for every backend: nothing of another process, and every request printed
    # or counted as lost, losses only where the kernel counted skips ("N missed by kernel
    # probes": an upper bound under -d/-p/-c).
    mg_judge() {
        _t=mg_$1 _mw="biosnoop -d $MD_DISK, 4 MiB of buffered writes, $2"
        REC=io project "$RUNS/$_t.out" csv disk rwbs sector bytes comm pid latency_ns queue_ns >"$RUNS/$_t.facts"
        _k=$(($8 - $4 + $9 - $5 + ${10} - $6)) _m=$((${11} - $7))
        _n=$(wc -l <"$RUNS/$_t.facts")
        _sum=$(grep -E '^biosnoop: [0-9]+ events?, [0-9]+ lost' "$RUNS/$_t.err" | tail -1)
        _lost=$(echo "$_sum" | awk '{ print $4 }')
        _km=$(kmissed "$_sum")
        _v=$(bio_verdict "$_n" "$_k" "$_lost" "$_km")
        check "$_mw: $(bio_why "$_v" "$_n" "$_k" "${_lost:-?}" "$_km") ($_m merges counted by the kernel; $_sum)" [ "$_v" != wrong ]
        # the window is a few seconds: a QUE or latency of more than 30 s is a stale entry's
        _stale=$(awk -F'|' '$7 > 30000000000 || $8 > 30000000000' "$RUNS/$_t.facts" | wc -l)
        check "$_mw: no row with a QUE or latency beyond the window ($_stale)" [ "$_stale" -eq 0 ]
        _own=$(awk -F'|' '$5 != "dd" && $5 !~ /^kworker/' "$RUNS/$_t.facts" | cut -d'|' -f5 | sort | uniq -c | tr -s ' \n' '  ')
        check "$_mw: every row's owner is dd or a writeback worker (others: ${_own:-none})" [ -z "$_own" ]
        _mg=$(echo "$_sum" | sed -n 's/.* \([0-9][0-9]*\) merged away.*/\1/p')
        check "$_mw: requests merged away (${_mg:-0}) <= the kernel's merges ($_m)" [ "${_mg:-0}" -le "$_m" ]
        _r=$_v
        [ "$_stale" -eq 0 ] && [ -z "$_own" ] && [ "${_mg:-0}" -le "$_m" ] || _r=wrong
        # (counts vary with writeback timing: the artefact keeps them, the table only the result)
        echo "$2 result=$_r merged=$([ "$_m" -gt 0 ] && echo yes || echo no) rows=$_n kernel=$_k kernel_merges=$_m merged_away=${_mg:-0} stale=$_stale" >>"$OUT/compat/merges.txt"
    }
    # fl_ops BASE: 200 O_DIRECT reads of 64 KiB from byte BASE on
    fl_ops() { _i=0; while [ $_i -lt 200 ]; do printf 'read /dev/%s %s 65536 ' "$FD" $(($1 + _i * 65536)); _i=$((_i + 1)); done; }
    FL_A=$(fl_ops 0) FL_B=$(fl_ops 35651584)
    # (mq-deadline:kprobe: three kprobe tracers at once make the kernel skip probe hits; a
    # skipped completion once left an entry whose owner the next life of that request
    # struct took over, printing B's reads under -p A)
    fl_runs="none:auto mq-deadline:auto bfq:auto kyber:auto mq-deadline:fentry mq-deadline:kprobe"
    # (arm64: no bfq and kyber, as on the real drivers above)
    [ "$(uname -m)" = aarch64 ] && fl_runs="none:auto mq-deadline:auto mq-deadline:fentry mq-deadline:kprobe"
    for run in $fl_runs; do
        s=${run%%:*} b=${run#*:}
        [ "$(expected biosnoop $b)" = "- fails" ] && continue
        section "biosnoop -p / -c on $FD (ahci), merges on $MD_DISK, scheduler $s, --backend=$b"
        if ! rd_set_sched "$FD" "$s" || ! rd_set_sched "$MD_DISK" "$s"; then
            bad "$FD: cannot set scheduler $s (available: $(cat /sys/block/$FD/queue/scheduler))"
            echo "$s $b error $FD 0 - - scheduler $s not available" >>"$OUT/compat/filters.txt"; continue
        fi
        sid=$(echo "${s}_$b" | tr -c 'a-z0-9\n' _)
        rm -f /tmp/fa /tmp/fb && mkfifo /tmp/fa /tmp/fb
        sh -c 'read -r x </tmp/fa; exec "$0" -n iot-a $1 >"$2" 2>&1' "$IOTEST" "$FL_A" "$RUNS/fl_a_$sid.iotest" &
        fa=$!
        sh -c 'echo $$ >'$CG'/iot-b/cgroup.procs; read -r x </tmp/fb; exec "$0" -n iot-b $1 >"$2" 2>&1' "$IOTEST" "$FL_B" "$RUNS/fl_b_$sid.iotest" &
        fb=$!
        sleep 0.2
        launch fl_p_$sid "$IOTRACE" biosnoop -v --csv -p "$fa" --backend=$b
        launch fl_c_$sid "$IOTRACE" biosnoop -v --csv -c $CG/iot-b --backend=$b
        launch mg_$sid "$IOTRACE" biosnoop -v --csv -d "$MD_DISK" --backend=$b
        await fl_p_$sid; started fl_p_$sid "biosnoop -p (iot-a), scheduler $s, --backend=$b"
        await fl_c_$sid; started fl_c_$sid "biosnoop -c iot-b, scheduler $s, --backend=$b"
        await mg_$sid; started mg_$sid "biosnoop -d $MD_DISK (merges), scheduler $s, --backend=$b"
        st0=$(rd_stat "$FD") mg0=$(mg_stat)
        echo go >/tmp/fa & echo go >/tmp/fb &
        # meanwhile, buffered sequential writes to the other disk, written back at fsync
        dd if=/dev/zero of=/dev/$MD_DISK bs=4096 count=1024 conv=fsync 2>"$RUNS/mg_$sid.dd" &
        mgdd=$!
        wait $fa; sta=$?
        wait $fb; stb=$?
        wait $mgdd; stdd=$?
        st1=$(rd_stat "$FD") mg1=$(mg_stat)
        sleep 0.3
        stopped fl_p_$sid "biosnoop -p, scheduler $s, --backend=$b"
        stopped fl_c_$sid "biosnoop -c, scheduler $s, --backend=$b"
        stopped mg_$sid "biosnoop -d $MD_DISK (merges), scheduler $s, --backend=$b"
        mg_judge "$sid" "scheduler $s, --backend=$b" "$mgdd" $mg0 $mg1
        check "iot-a and iot-b did their 200 reads each (status $sta, $stb)" [ "$sta $stb" = "0 0" ]
        set -- $st0 $st1
        kr=$(($5 - $1))
        info "scheduler $s: the kernel completed $kr reads on $FD (400 issued by iot-a and iot-b)"
        res=exact why="" both=0 lostsum=0
        for t in p c; do
            [ $t = p ] && { own=$fa name=iot-a lo=0 hi=25600 flt="-p $fa"; } || { own=$fb name=iot-b lo=69632 hi=95232 flt="-c iot-b"; }
            REC=io project "$RUNS/fl_${t}_$sid.out" csv $BIO_FIELDS_CSV >"$RUNS/fl_${t}_$sid.facts"
            # foreign: by the sector, which says whose read it was whatever owner it shows
            foreign=$(awk -F'|' -v d="$FD" -v lo=$lo -v hi=$hi '$1 != d || $3 < lo || $3 >= hi' "$RUNS/fl_${t}_$sid.facts" | wc -l)
            mine=$(awk -F'|' -v p="$own" -v d="$FD" -v lo=$lo -v hi=$hi '$6 == p && $1 == d && $3 >= lo && $3 < hi && $4 == 65536' "$RUNS/fl_${t}_$sid.facts" | wc -l)
            flt="$flt --backend=$b"
            check "biosnoop $flt, scheduler $s: no request of another process (rows outside $name's sectors: $foreign)" [ "$foreign" -eq 0 ]
            # a row in its region with another owner or size is wrong, not a loss
            other=$(($(wc -l <"$RUNS/fl_${t}_$sid.facts") - foreign - mine))
            check "biosnoop $flt, scheduler $s: every row in $name's region is its 64 KiB read with pid $own ($other are not)" [ "$other" -eq 0 ]
            _s=$(grep -E '^biosnoop: [0-9]+ events?, [0-9]+ lost' "$RUNS/fl_${t}_$sid.err" | tail -1)
            _l=$(echo "$_s" | awk '{ print $4 }')
            # (the 200 are iot-a's or iot-b's own reads, one request each, in its region)
            _km=$(kmissed "$_s")
            _v=$(bio_verdict "$mine" 200 "$_l" "$_km")
            check "biosnoop $flt, scheduler $s: of $name's 200 requests in its region, $(bio_why "$_v" "$mine" 200 "${_l:-?}" "$_km") ($_s)" [ "$_v" != wrong ]
            lostsum=$((lostsum + ${_l:-0}))
            both=$((both + mine))
            if [ "$foreign" -ne 0 ] || [ "$other" -ne 0 ] || [ "$_v" = wrong ]; then res=wrong why="$why $flt: $mine of 200, ${_l:-no} lost, $_km of them kernel probe misses, $foreign foreign, $other misowned;"
            elif [ "$_v" = counted ] && [ "$res" = exact ]; then res=counted
            fi
            [ "$foreign" -eq 0 ] || show "$RUNS/fl_${t}_$sid.out" 10
        done
        # the kernel is the judge here too: the two filtered outputs together are every read
        # the disk completed in the window, or fewer by what they counted lost (each filter's
        # losses were all kernel probe misses, checked above)
        if [ "$both" -le "$kr" ] && [ $((both + lostsum)) -ge "$kr" ]; then
            ok "scheduler $s, --backend=$b: the -p and -c rows together ($both) are the $kr reads $FD completed, or fewer by their $lostsum lost"
        else
            bad "scheduler $s, --backend=$b: the -p and -c rows together ($both, $lostsum lost) but $FD completed $kr reads"
            res=wrong why="$why $both rows + $lostsum lost of $kr reads completed;"
        fi
        echo "$s $b $res $FD $kr - - $why" >>"$OUT/compat/filters.txt"
    done
    rm -f /tmp/fa /tmp/fb
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
    grep -qE "^$fn \[zfs\]" $AFF && s=traceable
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
    start $tag "$IOTRACE" zfsslower -v --min-ms 0 --json --backend=$1 ${4:+--debug kretprobe-maxactive=$4}
    started $tag "$what" || { stop $tag; return; }
    k0=$(zkstat $zks)
    [ $2 = read ] && zinject -d /tmp/vdev -D 5:64 tank >/dev/null 2>&1
    iotest $tag -n iot-conc -t $3 -c $((2048 / $3)) $ziop /tank/conc $ZCONC_SPAN 4096
    zinject -c all >/dev/null 2>&1
    k1=$(zkstat $zks)
    sleep 0.5
    # (the kernel's own count, for comparison only: its nmissed is not atomic)
    kprof=$(awk '$1 ~ /^iotrace_/ { printf "%s%s %s hits %s misses", n++ ? ", " : "", substr($1, index($1, "_r_") ? index($1, "_r_") + 1 : index($1, "_p_") + 1), $2, $3 }' /sys/kernel/tracing/kprobe_profile 2>/dev/null)
    stopped $tag "$what"
    done_ops=$(awk '$1 == "done" { print $2 }' "$RUNS/$tag.iotest")
    events=$(grep '"record":"op"' "$RUNS/$tag.out" | grep '"comm":"iot-conc"' | grep -c "\"type\":\"$ztype\"")
    REC=summary project "$RUNS/$tag.out" json lost probe_missed return_unseen >/tmp/zsum
    lost=$(cut -d'|' -f1 /tmp/zsum); missed=$(cut -d'|' -f2 /tmp/zsum); unseen=$(cut -d'|' -f3 /tmp/zsum)
    [ -n "$lost" ] || lost=missing
    info "zfsslower concurrency: $1${4:+ (maxactive $4)} $3 $2 done=$done_ops kstat=$((k1 - k0)) events=$events lost=$lost (return_unseen ${unseen:-none}, probe_missed ${missed:-none}; the kernel's kprobe_profile said: $kprof)"
    echo "zfsslower_concurrency $KERNEL_ID $1${4:+-maxactive$4} $2 threads=$3 done=$done_ops kstat=$((k1 - k0)) events=$events lost=$lost return_unseen=${unseen:-none} probe_missed=${missed:-none}" >>"$OUT/compat/concurrency.txt"
    check "$what: OpenZFS's kstat counts the $done_ops $2(s) iotest did ($((k1 - k0)))" \
        [ "$((k1 - k0))" = "$done_ops" ]
    zsum=no
    [ "$lost" != missing ] && [ "$((events + lost))" = "$done_ops" ] && zsum=yes
    check "$what: events + counted losses = operations done ($events + $lost = $done_ops)" [ $zsum = yes ]
    if [ -z "$4" ]; then
        check "$what: nothing lost ($lost)" [ "$lost" = 0 ]
    else
        check "$what: the returns never seen are counted as such (return_unseen ${unseen:-none})" [ "${unseen:-0}" -gt 0 ]
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
