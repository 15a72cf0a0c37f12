#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# same-output.sh BASE [NEW]: is the behaviour of NEW byte for byte the behaviour of BASE?
# (issue #14: a refactor is done when --help, man pages, JSON and table output are unchanged.)
#
# Builds both revisions from `git archive` into $SAME_OUTPUT_DIR (default /tmp/same-output;
# a commit's build is reused, NEW omitted = the working tree as it is, rebuilt every time)
# and compares, printing one line per comparison: SAME, DIFFERENT (with a short unified diff)
# or SKIPPED (with the reason; never counted as SAME):
#   1. iotrace --help/--usage/--list/--version, no arguments, an unknown tool; for every tool
#      either binary lists: TOOL --help / --usage, through `iotrace TOOL` and through a link
#      named after the tool (argv[0] dispatch)
#   2. every file the build generates in doc/ (man pages, bash completion)
#   3. bad input per tool: stdout, stderr and exit status
#   4. iotrace probes TOOL [--json] [--backend KIND] on this kernel
#   5. live (root; under flock /tmp/iotrace-live.lock): both binaries trace the same
#      workload at the same time -- biosnoop and biolatency on a loop device, ext4slower on
#      an ext4 loop mount -- and their outputs must be the same after normalising only the
#      time fields (see normalise()).
# FAILED means a comparison could not be made (a tracer did not start, the workload failed,
# the base showed none of the workload). Every output stays in $SAME_OUTPUT_DIR/run.*.
# Exit status: 0 all compared SAME (SKIPPED allowed, listed), 1 a DIFFERENT or FAILED, 2
# usage or build failure. SAME_OUTPUT_LIVE=0 leaves part 5 out (then SKIPPED, not SAME).
set -uo pipefail
# The whole script is one block, read before it runs: a checkout or edit of this file
# during a run (which takes minutes) cannot change what the running script does.
{

root=$(cd "$(dirname "$0")/.." && pwd)
work=${SAME_OUTPUT_DIR:-/tmp/same-output}
n_same=0 n_diff=0 n_skip=0 n_fail=0
diffs=() skips=() fails=()

die() { echo "same-output: $*" >&2; exit 2; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: scripts/same-output.sh BASE [NEW] (git revisions; NEW defaults to the working tree)"

# build REV: sets $bin to a directory holding `iotrace`, a link per tool, doc/ and iotest.
# The link names come from the binary's own --list, so a revision's links are its tools.
build() {
	local rev=$1 src dir
	if [ "$rev" = WORKTREE ]; then
		src=$root dir=$work/worktree
		rm -rf "$dir"
	else
		local sha
		sha=$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}") ||
			die "$rev is not a revision of $root"
		dir=$work/$sha src=$dir/src
	fi
	bin=$dir/bin
	if [ -f "$dir/done" ]; then
		return 0
	fi
	rm -rf "$dir" && mkdir -p "$dir" || die "cannot create $dir"
	if [ "$rev" != WORKTREE ]; then
		mkdir -p "$src" && git -C "$root" archive "$sha" | tar -x -C "$src" ||
			die "git archive $rev failed"
	fi
	echo "building $rev in $dir/build (log: $dir/build.log)" >&2
	# The plain build of every revision since the layout refactor: no tests, no sanitizers
	# (ASan would add its own stderr), so only the program and its generated docs.
	if ! { cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOTRACE_TESTS=OFF &&
	       cmake --build "$dir/build" -j"$(nproc)"; } >"$dir/build.log" 2>&1; then
		tail -20 "$dir/build.log" >&2
		die "build of $rev failed (log: $dir/build.log)"
	fi
	gcc -O2 -static -o "$dir/build/iotest" "$src/tests/tools/iotest.c" >>"$dir/build.log" 2>&1 ||
		die "iotest of $rev did not build (log: $dir/build.log)"
	mkdir -p "$bin"
	ln -s ../build/iotrace "$bin/iotrace"
	ln -s ../build/iotest "$bin/iotest"
	local t
	for t in $("$dir/build/iotrace" --list | awk '{print $1}'); do
		ln -s ../build/iotrace "$bin/$t"
	done
	[ "$rev" = WORKTREE ] || touch "$dir/done"
}

# ---- comparing ------------------------------------------------------------------------------

report_same() { n_same=$((n_same + 1)); echo "SAME       $1"; }
report_skip() { n_skip=$((n_skip + 1)); skips+=("$1: $2"); echo "SKIPPED    $1: $2"; }
report_diff() { # LABEL FILE_A FILE_B
	n_diff=$((n_diff + 1)); diffs+=("$1")
	echo "DIFFERENT  $1"
	diff -u --label "base: $1" --label "new: $1" "$2" "$3" | head -n "${SAME_OUTPUT_DIFF_LINES:-24}" |
		sed 's/^/    /'
}
# a comparison that could not be made because something failed: not SAME, so exit 1 too
report_fail() { n_fail=$((n_fail + 1)); fails+=("$1"); echo "FAILED     $1"; }
compare() { # LABEL FILE_A FILE_B
	if cmp -s "$2" "$3"; then report_same "$1"; else report_diff "$@"; fi
}

# capture SIDE KEY CMD...: CMD run with SIDE's bin first in PATH (so argv[0] is the bare name,
# the same for both: iotrace, or the tool for a link), in an empty directory, stdin from
# /dev/null, C locale; exit status, stdout and stderr end up in one file, $out/SIDE/KEY.
capture() {
	local side=$1 key=$2 b
	shift 2
	if [ "$side" = a ]; then b=$bin_a; else b=$bin_b; fi
	(cd "$out/cwd" && env -u ARGP_HELP_FMT -u COLUMNS LC_ALL=C PATH="$b:$PATH" \
		timeout -k 5 "${SAME_OUTPUT_TIMEOUT:-60}" "$@" \
		>"$out/$side/$key.stdout" 2>"$out/$side/$key.stderr" </dev/null
	 echo "exit status $?" >"$out/$side/$key.status")
	{
		cat "$out/$side/$key.status"
		echo "---- stdout"; cat "$out/$side/$key.stdout"
		echo "---- stderr"; cat "$out/$side/$key.stderr"
	} >"$out/$side/$key"
}

nkey=0
# both LABEL CMD...: run CMD with each binary and compare everything it printed and its status.
both() {
	local label=$1 key
	shift
	nkey=$((nkey + 1)); key=c$nkey
	capture a "$key" "$@"
	capture b "$key" "$@"
	compare "$label" "$out/a/$key" "$out/b/$key"
}

has_tool() { grep -qx "$2" "$out/$1/tools"; }

# tool_both TOOL LABEL CMD...: as both, or SKIPPED when one revision lacks TOOL.
tool_both() {
	local t=$1
	shift
	if ! has_tool a "$t"; then report_skip "$1" "no $t in base"; return; fi
	if ! has_tool b "$t"; then report_skip "$1" "no $t in new"; return; fi
	both "$@"
}

# ---- the two builds ---------------------------------------------------------------------------

base=$1 new=${2:-WORKTREE}
mkdir -p "$work" || die "cannot create $work"
# one build at a time: two runs must not build the same commit into one directory at once
exec 8>"$work/build.lock"
flock 8
build "$base"; bin_a=$bin
build "$new"; bin_b=$bin
flock -u 8
exec 8>&-
out=$(mktemp -d "$work/run.XXXXXX") || die "cannot create a directory under $work"
mkdir -p "$out/a" "$out/b" "$out/cwd"
echo "base $base: $bin_a"
echo "new  ${2:-the working tree}: $bin_b"
echo "outputs: $out"
"$bin_a/iotrace" --list | awk '{print $1}' >"$out/a/tools"
"$bin_b/iotrace" --list | awk '{print $1}' >"$out/b/tools"
tools=$(sort -u "$out/a/tools" "$out/b/tools")
# the tools that trace (probes only explains them)
tracers=$(echo "$tools" | grep -vx probes)

# ---- 1. the command line --------------------------------------------------------------------

echo "== 1. help, usage, dispatch"
both "iotrace (no arguments)" iotrace
both "iotrace --help" iotrace --help
both "iotrace -h" iotrace -h
both "iotrace --usage" iotrace --usage
both "iotrace --list" iotrace --list
both "iotrace --version" iotrace --version
both "iotrace nosuchtool" iotrace nosuchtool
both "iotrace --help nosuchtool" iotrace --help nosuchtool
both "iotrace --man nosuchtool" iotrace --man nosuchtool
both "iotrace --completion zsh" iotrace --completion zsh
both "iotrace --install (no DIR)" iotrace --install
both "iotrace --install /nonexistent" iotrace --install /nonexistent
for t in $tools; do
	tool_both "$t" "iotrace $t --help" iotrace "$t" --help
	tool_both "$t" "iotrace $t -h" iotrace "$t" -h
	tool_both "$t" "iotrace $t --usage" iotrace "$t" --usage
	tool_both "$t" "iotrace $t --version" iotrace "$t" --version
	tool_both "$t" "iotrace --help $t" iotrace --help "$t"
	# argv[0] dispatch: the link is found through PATH, so argv[0] is the bare tool name
	tool_both "$t" "$t --help (link)" "$t" --help
	tool_both "$t" "$t --usage (link)" "$t" --usage
	tool_both "$t" "$t --nosuchflag (link)" "$t" --nosuchflag
done

# ---- 2. generated documentation ----------------------------------------------------------------

echo "== 2. man pages and completion, as the build generated them"
for f in $( (cd "$bin_a/../build/doc" && ls; cd "$bin_b/../build/doc" && ls) | sort -u); do
	fa=$bin_a/../build/doc/$f fb=$bin_b/../build/doc/$f
	if [ -f "$fa" ] && [ -f "$fb" ]; then
		compare "doc/$f" "$fa" "$fb"
	elif [ -f "$fa" ]; then
		t=${f#iotrace-}; t=${t%.8}
		if has_tool b "$t"; then report_diff "doc/$f (not generated by new)" "$fa" /dev/null
		else report_skip "doc/$f" "no $t in new"; fi
	else
		t=${f#iotrace-}; t=${t%.8}
		if has_tool a "$t"; then report_diff "doc/$f (not generated by base)" /dev/null "$fb"
		else report_skip "doc/$f" "no $t in base"; fi
	fi
done
# and as the binary prints them on request (what the build ran, but for every listed tool)
both "iotrace --man" iotrace --man
both "iotrace --completion bash" iotrace --completion bash
for t in $tools; do
	tool_both "$t" "iotrace --man $t" iotrace --man "$t"
done

# ---- 3. bad input ------------------------------------------------------------------------------

echo "== 3. errors on bad input (stdout, stderr, exit status)"
# bad TOOL ARGS...: one bad invocation of TOOL through the multiplexer.
bad() { local t=$1; shift; tool_both "$t" "iotrace $t $*" iotrace "$t" "$@"; }
for t in $tracers; do
	bad "$t" --nosuchflag
	bad "$t" -Z
	bad "$t" --backend nosuch
	bad "$t" --backend
	bad "$t" --variant nosuch
	bad "$t" --btf /nonexistent/vmlinux
	bad "$t" --json --csv
	bad "$t" 1 2 3 4
	bad "$t" abc
	bad "$t" -1
	case $t in biolatency) bad "$t" --duration abc; bad "$t" --duration -1 ;;
	           *) bad "$t" -D abc; bad "$t" -D -1 ;; esac
	case $t in
	biosnoop|*slower)
		bad "$t" -p 0
		bad "$t" -p 99999999
		bad "$t" -p 4194305
		bad "$t" -p -5
		bad "$t" -p abc
		bad "$t" --pid=
		bad "$t" -m abc
		bad "$t" -m -1
		bad "$t" --min-ms 1.5x ;;
	esac
	case $t in
	biosnoop|biolatency)
		bad "$t" -d nosuchdisk
		bad "$t" -d /dev/null
		bad "$t" -d 999:999
		bad "$t" -d '' ;;
	esac
	case $t in
	biosnoop)
		bad "$t" -c /nonexistent
		bad "$t" -c /tmp
		bad "$t" -P -m 1 ;;
	biolatency)
		bad "$t" 0
		bad "$t" 1 0
		bad "$t" 1 abc
		bad "$t" --csv
		bad "$t" -m abc
		bad "$t" --openmetrics=/nonexistent/dir/metrics.prom ;;
	fsslower)
		bad "$t" 0
		bad "$t" -t nosuchfs 0
		bad "$t" -t '' 0 ;;
	esac
done
if has_tool a probes && has_tool b probes; then
	bad probes
	bad probes nosuchtool
	bad probes biosnoop extra
	bad probes --csv biosnoop
	bad probes --backend nosuch biosnoop
	bad probes --variant nosuch biosnoop
	bad probes --variant io biosnoop
	bad probes --nosuchflag biosnoop
fi

# ---- 4. probes on this kernel ---------------------------------------------------------------

echo "== 4. iotrace probes on this kernel ($(uname -r))"
if [ "$(id -u)" != 0 ]; then
	report_skip "iotrace probes TOOL" "not root: probes can judge nothing without privileges"
elif ! has_tool a probes || ! has_tool b probes; then
	report_skip "iotrace probes TOOL" "probes missing in one revision"
else
	for t in $tracers; do
		if ! has_tool a "$t" || ! has_tool b "$t"; then
			report_skip "iotrace probes $t" "no $t in $(has_tool a "$t" && echo new || echo base)"
			continue
		fi
		for be in "" auto tracepoint fentry kprobe; do
			for fmt in "" --json; do
				bad "probes" ${be:+--backend $be} $fmt "$t"
			done
		done
	done
fi

# ---- 5. live: the same kernel events through both binaries ----------------------------------

# normalise KIND < raw > normalised. Two programs attached to one tracepoint see the same
# requests in the same order, but each reads the clock itself, a little later or earlier
# than the other; so ONLY the fields that are clock readings (or sums of them) are masked:
#   table   TIME(s) (seconds since start), TIME (-t: wall clock), QUE(ms), LAT(ms) (the
#           fsslower family's TIME and LAT(ms) too): each character becomes '~', so the
#           column padding is still compared
#   json    "time_ns", "timestamp", "interval_ns" (biolatency: start to Ctrl-C),
#           "queue_ns", "latency_ns", "sum_ns" (biolatency: sum of latencies) become ~;
#           a null stays null, so "not seen" is still compared
#   csv     the columns time_ns, timestamp, queue_ns, latency_ns (biosnoop) and ENDTIME_us,
#           LATENCY_us (the fsslower family's BCC layout), found by the header's names,
#           become ~; an empty field stays empty
#   hist, histjson, om   biolatency: the bucket counts (table rows with their bars, JSON
#           "buckets" arrays, OpenMetrics _bucket values) are taken out, and sum_ns / _sum
#           masked; the buckets are judged by histcheck() instead (see there)
# Everything else -- row count, order, comm, pid, disk, sector, bytes, rwbs, file names,
# headers, histogram totals, the summary and loss lines -- is compared as printed.
normalise() {
	python3 -c '
import re, sys
kind = sys.argv[1]
text = sys.stdin.read()
mask = lambda s: "~" * len(s)
TABLE = {"TIME(s)", "TIME", "QUE(ms)", "LAT(ms)"}
CSV = {"time_ns", "timestamp", "queue_ns", "latency_ns", "ENDTIME_us", "LATENCY_us"}
JSON_NUM = r"(\"(?:time_ns|interval_ns|queue_ns|latency_ns|sum_ns)\":)-?[0-9]+"
out = []
if kind == "table":
    cols = None
    for line in text.split("\n"):
        parts = re.split(r"(\s+)", line)  # tokens at even indexes, their spacing kept
        toks = parts[0::2]
        if toks and toks[0] in ("TIME(s)", "TIME"):
            cols = [i for i, t in enumerate(toks) if t in TABLE]
        elif cols and len(toks) > max(cols):
            for i in cols:
                parts[2 * i] = mask(parts[2 * i])
        out.append("".join(parts))
    text = "\n".join(out)
elif kind in ("json", "histjson"):
    text = re.sub(JSON_NUM, r"\1~", text)
    text = re.sub(r"(\"timestamp\":)\"[^\"]*\"", r"\1~", text)
    if kind == "histjson":
        text = re.sub(r"(\"buckets\":)\[[^]]*\]", r"\1~", text)
elif kind == "csv":
    lines = text.split("\n")
    cols = [i for i, c in enumerate(lines[0].split(",")) if c in CSV]
    for line in lines[1:]:
        f = line.split(",")
        for i in cols:
            if i < len(f) and f[i]:
                f[i] = "~"
        out.append(",".join(f))
    text = "\n".join(lines[:1] + out)
elif kind == "hist":
    # each run of bucket rows "low -> high : count |***|" becomes one line
    text = re.sub(r"(?:^ *[0-9]+ -> [0-9]+ *: [0-9]+ *\|[* ]*\|\n)+", "<buckets>\n", text,
                  flags=re.M)
elif kind == "om":
    text = re.sub(r"^(\S+_bucket\{.*\}) \S+$", r"\1 ~", text, flags=re.M)
    text = re.sub(r"^(\S+_sum(?:\{[^}]*\})?) \S+$", r"\1 ~", text, flags=re.M)
sys.stdout.write(text)
' "$1"
}

# histcheck KIND FILE_A FILE_B: biolatency's buckets. Each side computes a request's latency
# from its own two clock readings, so the two latencies differ by the time between the two
# programs at the issue and at the completion tracepoint (about a microsecond here, with
# only the pair attached); a request that close to a power-of-two edge is counted on the
# other side of it (seen: two ~15 us flushes in 8-15 on one side, in 16-31 on the other).
# So: the same histograms, the same total count in each, and matching the requests of
# both in order of latency, each pair at most one bucket apart and at most a quarter of
# them (at least 2) apart at all. A wrong unit or bucket index moves every request, so it
# still fails. Prints what breaks that, if anything; status 1 then.
histcheck() {
	python3 -c '
import json, re, sys
kind, fa, fb = sys.argv[1:4]
def parse(path):
    text = open(path).read()
    hists = []  # [(name, {low: count})]
    if kind == "hist":
        name, cur = "histogram", None
        for line in text.split("\n"):
            m = re.match(r"^ *([0-9]+) -> ([0-9]+) *: ([0-9]+) ", line)
            if m:
                if cur is None:
                    cur = {}
                    hists.append((name, cur))
                cur[int(m.group(1))] = int(m.group(3))
            else:
                cur = None
                if " = " in line:  # "disk = loop0", "flags = Sync-Write"
                    name = line.strip()
    elif kind == "histjson":
        for line in text.split("\n"):
            if "\"buckets\"" not in line:
                continue
            for i, h in enumerate(json.loads(line)["histograms"]):
                hists.append((str((h["disk"], h["rwbs"], h["flags"])),
                              {b["low"]: b["count"] for b in h["buckets"]}))
    elif kind == "om":
        cum = {}
        for line in text.split("\n"):
            m = re.match(r"^(\S+)_bucket\{(.*),le=\"([^\"]+)\"\} ([0-9]+)$", line)
            if m:
                cum.setdefault(m.group(1) + m.group(2), []).append(
                    (float("inf") if m.group(3) == "+Inf" else float(m.group(3)), int(m.group(4))))
        for name, pts in cum.items():
            prev, h = 0, {}
            for le, c in pts:
                h[le] = c - prev
                prev = c
            hists.append((name, h))
    return hists
a, b = parse(fa), parse(fb)
bad = []
if [n for n, _ in a] != [n for n, _ in b]:
    bad.append("histograms: %s vs %s" % ([n for n, _ in a], [n for n, _ in b]))
for (name, ha), (_, hb) in zip(a, b):
    if sum(ha.values()) != sum(hb.values()):
        bad.append("%s: %d requests vs %d" % (name, sum(ha.values()), sum(hb.values())))
    lows = sorted(set(ha) | set(hb))
    ra = [i for i, low in enumerate(lows) for _ in range(ha.get(low, 0))]
    rb = [i for i, low in enumerate(lows) for _ in range(hb.get(low, 0))]
    far = [(lows[x], lows[y]) for x, y in zip(ra, rb) if abs(x - y) > 1]
    moved = sum(1 for x, y in zip(ra, rb) if x != y)
    if far:
        bad.append("%s: requests more than one bucket apart (bucket lows): %s" % (name, far[:5]))
    if moved > max(2, len(ra) // 4):
        bad.append("%s: %d of %d requests in another bucket" % (name, moved, len(ra)))
if not a:
    bad.append("no histogram in the base output")
for line in bad:
    print(line)
sys.exit(1 if bad else 0)
' "$@"
}

declare -A tracer_pid tracer_kind
live_pids=() live_loops=() live_mounts=() live_dir=

live_cleanup() {
	local p d m
	for p in "${live_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for m in "${live_mounts[@]}"; do umount "$m" 2>/dev/null; done
	for d in "${live_loops[@]}"; do losetup -d "$d" 2>/dev/null; done
	[ -n "$live_dir" ] && rm -rf "$live_dir"
	live_pids=() live_loops=() live_mounts=() live_dir=
}
trap live_cleanup EXIT

# start_tracer SIDE KEY KIND ARGS...: iotrace ARGS in the background, output in $out/SIDE/KEY.*
start_tracer() {
	local side=$1 key=$2 kind=$3 b
	shift 3
	if [ "$side" = a ]; then b=$bin_a; else b=$bin_b; fi
	(cd "$out/cwd" && exec env LC_ALL=C PATH="$b:$PATH" iotrace "$@" \
		>"$out/$side/$key.stdout" 2>"$out/$side/$key.stderr" </dev/null) &
	tracer_pid[$side/$key]=$! tracer_kind[$key]=$kind
	live_pids+=($!)
}

# wait_tracing SIDE/KEY...: until each says it is tracing; 1 (and why) if one ended instead.
wait_tracing() {
	local k deadline=$((SECONDS + 90))
	for k in "$@"; do
		until grep -q 'Ctrl-C to end' "$out/$k.stderr" 2>/dev/null; do
			if ! kill -0 "${tracer_pid[$k]}" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
				echo "$k ($*) did not start tracing: $(tail -c 400 "$out/$k.stderr")" >&2
				return 1
			fi
			sleep 0.1
		done
	done
}

# stop_and_compare LABEL-PREFIX KEY...: SIGINT every tracer, then compare each KEY's stdout
# (normalised by its kind), stderr and exit status.
stop_and_compare() {
	local prefix=$1 k s st n
	shift
	for k in "$@"; do for s in a b; do kill -INT "${tracer_pid[$s/$k]}" 2>/dev/null; done; done
	for k in "$@"; do
		for s in a b; do
			wait "${tracer_pid[$s/$k]}"; st=$?
			{
				echo "exit status $st"
				echo "---- stdout"; normalise "${tracer_kind[$k]}" <"$out/$s/$k.stdout"
				echo "---- stderr"; cat "$out/$s/$k.stderr"
			} >"$out/$s/$k"
		done
		# two empty outputs would be SAME and prove nothing: the base must show the workload
		case ${tracer_kind[$k]} in table|json|csv)
			n=$(grep -c 'same-output' "$out/a/$k.stdout")
			if [ "$n" -lt "$want_rows" ]; then
				report_fail "$prefix ${tracer_args[$k]}: base showed $n rows of the workload, want at least $want_rows"
				continue
			fi ;;
		esac
		compare "$prefix ${tracer_args[$k]}" "$out/a/$k" "$out/b/$k"
		case ${tracer_kind[$k]} in hist|histjson|om)
			if histcheck "${tracer_kind[$k]}" "$out/a/$k.stdout" "$out/b/$k.stdout" \
				>"$out/$k.histcheck"; then
				report_same "$prefix ${tracer_args[$k]}: buckets"
			else
				report_diff "$prefix ${tracer_args[$k]}: buckets" "$out/a/$k.stdout" "$out/b/$k.stdout"
				sed 's/^/    /' "$out/$k.histcheck"
			fi ;;
		esac
	done
}
declare -A tracer_args

# pair KEY KIND ARGS...: the same tracer from both binaries, with -v: it says "tracing; Ctrl-C
# to end" only then, and its choice of attach points is compared too.
pair() {
	local key=$1 kind=$2
	shift 2
	tracer_args[$key]="iotrace $* -v"
	start_tracer a "$key" "$kind" "$@" -v
	start_tracer b "$key" "$kind" "$@" -v
}

# The workload: direct I/O of known sizes at known offsets, a flush and a write-zeroes, from a
# task named same-output, three times. Run with NEW's iotest (a test tool, not compared).
workload() { # PATH
	local i
	for i in 1 2 3; do
		"$bin_b/iotest" -n same-output write "$1" 0 4096 write "$1" 4096 4096 \
			write "$1" 1048576 65536 read "$1" 0 8192 read "$1" 1048576 131072 \
			read "$1" 524288 512 fsync "$1" 0 0 zeroout "$1" 2097152 65536 >/dev/null ||
			return 1
	done
}

# round KEY...: the pairs just started see the workload on DEV, then stop and are compared.
round() {
	local k
	if ! wait_tracing $(for k in "$@"; do echo a/$k b/$k; done); then
		report_fail "live $d: a tracer did not start (stderr above)"
		return 1
	fi
	workload "$dev" || { report_fail "live $d: the workload failed"; return 1; }
	command -v udevadm >/dev/null && udevadm settle
	sleep 1 # completions are in the ring buffers already; this is for the readers
	stop_and_compare "live $d:" "$@"
}

live_block() {
	live_dir=$(mktemp -d /var/tmp/same-output.XXXXXX) || return 1
	truncate -s 64M "$live_dir/block.img"
	dev=$(losetup -f --show --direct-io=on "$live_dir/block.img") || return 1
	live_loops+=("$dev")
	d=${dev#/dev/}
	# whatever udev does with a new disk (blkid reads it) is over before tracing starts
	command -v udevadm >/dev/null && udevadm settle
	# biosnoop's rows are masked where they are clock readings, so all pairs can share one
	# round: more programs on a tracepoint only make those readings further apart.
	pair bs_table table biosnoop -d "$d"
	pair bs_json json biosnoop -d "$d" --json
	pair bs_csv csv biosnoop -d "$d" --csv
	pair bs_Q table biosnoop -d "$d" -Q
	pair bs_t table biosnoop -d "$d" -t
	pair bs_P table biosnoop -d "$d" -P --partition
	want_rows=18 # 3 rounds of 6 direct reads and writes, whatever the flush and zeroout give
	round bs_table bs_json bs_csv bs_Q bs_t bs_P || return 1
	# biolatency's buckets hold latencies: one pair per round, so that only the two
	# compared programs run at each tracepoint and their clock readings stay close.
	pair bl_table hist biolatency -d "$d"
	round bl_table || return 1
	pair bl_DF hist biolatency -d "$d" -D -F
	round bl_DF || return 1
	pair bl_j histjson biolatency -d "$d" -j
	round bl_j || return 1
	pair bl_json histjson biolatency -d "$d" -Q -F --json
	round bl_json || return 1
	pair bl_om om biolatency -d "$d" --openmetrics
	round bl_om || return 1
}

# ext4slower (and fsslower -t ext4) on an ext4 loop mount, limited by -p to the workload: a
# shell that waits on a fifo and then execs iotest, so its PID is known before it runs.
live_ext4() {
	local t dev mnt wpid k why keys="fs_table fs_json fs_csv fs_j fs_t"
	for t in ext4slower fsslower; do
		if ! has_tool a "$t" || ! has_tool b "$t"; then
			report_skip "live ext4: $t" "no $t in $(has_tool a "$t" && echo new || echo base)"
			return 0
		fi
	done
	# Both binaries are asked: when neither can trace ext4 here, there is nothing to compare
	# live (their refusals were compared in part 4).
	if ! why=$(cd "$out/cwd" && "$bin_b/iotrace" probes ext4slower 2>&1) &&
	   ! (cd "$out/cwd" && "$bin_a/iotrace" probes ext4slower >/dev/null 2>&1); then
		report_skip "live ext4: ext4slower, fsslower -t ext4" \
			"this kernel cannot trace ext4: $(echo "$why" | tail -1)"
		return 0
	fi
	truncate -s 128M "$live_dir/ext4.img"
	mkfs.ext4 -q -F "$live_dir/ext4.img" || { report_fail "live ext4: mkfs.ext4 failed"; return 1; }
	dev=$(losetup -f --show --direct-io=on "$live_dir/ext4.img") || return 1
	live_loops+=("$dev")
	mnt=$live_dir/mnt
	mkdir -p "$mnt" && mount -t ext4 "$dev" "$mnt" || { report_fail "live ext4: mount failed"; return 1; }
	live_mounts+=("$mnt")
	mkfifo "$live_dir/go"
	(read -r _ <"$live_dir/go"
	 exec "$bin_b/iotest" -n same-output write "$mnt/a" 0 4096 bwrite "$mnt/a" 4096 8192 \
		fsync "$mnt/a" 0 0 read "$mnt/a" 0 4096 bread "$mnt/a" 4096 8192 append "$mnt/b" 0 100 \
		open "$mnt/b" 0 0 swrite "$mnt/c" 0 4096 eofread "$mnt/a" 1048576 4096 \
		>/dev/null) &
	wpid=$!
	live_pids+=("$wpid")
	pair fs_table table ext4slower -p "$wpid" --min-ms 0
	pair fs_json json ext4slower -p "$wpid" --min-ms 0 --json
	pair fs_csv csv ext4slower -p "$wpid" --min-ms 0 --csv
	pair fs_j csv ext4slower -p "$wpid" -j 0
	pair fs_t table fsslower -t ext4 -p "$wpid" 0
	if ! wait_tracing $(for k in $keys; do echo a/$k b/$k; done); then
		report_fail "live ext4: a tracer did not start (stderr above)"
		return 1
	fi
	want_rows=9 # 9 operations, each an open and a traced call (min 0 ms: all shown)
	echo go >"$live_dir/go"
	wait "$wpid" || { report_fail "live ext4: the workload failed"; return 1; }
	sleep 1
	stop_and_compare "live ext4:" $keys
}

echo "== 5. events from both binaries at once, over one workload"
if [ "${SAME_OUTPUT_LIVE:-1}" = 0 ]; then
	report_skip "live comparisons" "SAME_OUTPUT_LIVE=0"
elif [ "$(id -u)" != 0 ]; then
	report_skip "live comparisons" "not root"
else
	exec 9>/tmp/iotrace-live.lock
	echo "(waiting for /tmp/iotrace-live.lock)"
	flock 9
	live_block && live_ext4
	# ZFS is not on this machine (no module support here); its live output is not compared
	report_skip "live zfsslower" "not compared live by this script (needs a loaded zfs module)"
	live_cleanup
	flock -u 9
fi

# ---- summary --------------------------------------------------------------------------------

echo
echo "same-output: $n_same SAME, $n_diff DIFFERENT, $n_skip SKIPPED, $n_fail FAILED"
for d in "${diffs[@]}"; do echo "  DIFFERENT  $d"; done
for d in "${fails[@]}"; do echo "  FAILED     $d"; done
for d in "${skips[@]}"; do echo "  SKIPPED    $d"; done
[ $n_diff -eq 0 ] && [ $n_fail -eq 0 ]
exit
}
