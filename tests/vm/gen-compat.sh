#!/bin/bash
# tests/vm/gen-compat.sh VM_OUT_DIR [OUTPUT]
# Writes docs/COMPATIBILITY.md (to OUTPUT, default stdout) from the artefacts of a VM
# matrix run with the iotrace guest tests (tests/vm/run-matrix.sh --out VM_OUT_DIR
# --guest-script tests/vm/guest/iotrace.sh ...): per kernel, the facts that decide the
# attach points, what `--backend=auto` chose, and which forced backends work, all as
# observed by tests/vm/guest/iotrace.sh (its artefacts/compat/ and artefacts/probes/).
# The output depends only on what the guests saw (no dates, no timings), so a rerun on
# unchanged code and kernels reproduces the same file -- except that a passing cell may say
# "exact" in one run and "counted" in the next (the kernel skipped a probe run, and the tool
# counted it). Exits 1 if no kernel has artefacts.
# tests/vm/gen-compat.sh --verdicts FILE
# Prints FILE (a COMPATIBILITY.md) with every passing result cell ("exact ...", "missed N of
# M, counted ...", "counted ...") as the one token "pass", and the driver table's scheduler
# groups one row per scheduler: scripts/test.sh compares two files in this form, so a run
# fails on a changed verdict, header, row or legend, not on a pass's timing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[[ $# -ge 1 && $1 != -h && $1 != --help ]] || { sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; exit 2; }
if [[ $1 == --verdicts ]]; then
    [[ $# -eq 2 && -r $2 ]] || die "--verdicts needs one readable COMPATIBILITY.md"
    exec python3 - "$2" <<'PY'
import re, sys

# a passing cell, whatever its counts; the merge table's note about merges stays
PASS = re.compile(r"^(?:exact(?: \(\d+ of \d+\))?|(?:missed \d+ of \d+, )?counted(?: \(.*\))?)"
                  r"(?P<rest>(?: \(the kernel merged nothing\))?)$")
SCHEDS = ["none", "mq-deadline", "bfq", "kyber"]
out, block, head = [], [], None

def flush():
    # one (driver, kernel) block of the driver table: one row per scheduler, in a fixed order
    block.sort(key=lambda c: SCHEDS.index(c[3]) if c[3] in SCHEDS else len(SCHEDS))
    out.extend("| " + " | ".join(c) + " |" for c in block)
    del block[:]

for line in open(sys.argv[1]).read().split("\n"):
    if not line.startswith("| "):
        flush()
        head = None
        out.append(line)
        continue
    cells = line[2:-2].split(" | ")
    if head is None:
        head = cells
    elif set(cells) != {"---"}:
        cells = [("pass" + m.group("rest")) if m else c for c, m in ((c, PASS.match(c)) for c in cells)]
    if head[0] == "driver" and len(head) > 3 and head[3] == "scheduler" and cells is not head and set(cells) != {"---"}:
        if block and block[0][:2] != cells[:2]:
            flush()
        for sc in cells[3].split(", "):
            block.append(cells[:3] + [sc] + cells[4:])
        continue
    flush()
    out.append("| " + " | ".join(cells) + " |")
flush()
sys.stdout.write("\n".join(out))
PY
fi
vmout=$1 output=${2:-}
[[ -d $vmout ]] || die "$vmout is not a directory (the --out of run-matrix.sh)"
command -v python3 >/dev/null || die "python3 is needed (apt-get install python3)"

dirs=()
for id in $KERNEL_IDS; do
    for d in "$vmout/$id-zfs" "$vmout/$id"; do
        if [[ -s $d/artefacts/compat/kernel.txt ]]; then dirs+=("$d"); break; fi
    done
done
((${#dirs[@]})) || die "no artefacts/compat/kernel.txt under $vmout/<kernel>[-zfs]/ (run the matrix with tests/vm/guest/iotrace.sh)"

gen() {
    python3 - "${dirs[@]}" <<'PY'
import json, os, sys

dirs = sys.argv[1:]
kernels = []  # (id, facts, choices, owners, probes-json-by-(tool,backend))
kernel_of = {}  # artefact dir -> kernel id
drivers = {}  # kernel id -> [(driver, disk, sched, backend, result, seen, kcount, known, lost, events, why)]
stacks = {}  # kernel id -> [(kind, dev, backend, result, rows, kcount, why)]
blat = {}  # kernel id -> [(driver, backend, result, disk, count, kcount, why)]
filters = {}  # kernel id -> [(scheduler, backend, result, disk, kernel reads, why)]
merges = {}  # kernel id -> [(what, {rows, kernel, kernel_merges, merged_away, stale})]
for d in dirs:
    a = os.path.join(d, "artefacts")
    facts = {}
    with open(os.path.join(a, "compat", "kernel.txt")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                facts[k] = v.strip()
    choices = {}  # (tool, backend) -> {"result": r, "probes": {probe: "kind target"}, "why": str}
    path = os.path.join(a, "compat", "choices.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) < 4:
                    continue
                tool, backend, result = w[0], w[1], w[2]
                c = choices.setdefault((tool, backend), {"result": result, "probes": {}, "why": ""})
                if result == "fails":
                    c["why"] = line.rstrip("\n").split(" - ", 1)[-1].strip()
                else:
                    c["probes"][w[3]] = " ".join(w[4:])
                    if result != "works":
                        c["result"] = result
    owners = {}
    path = os.path.join(a, "compat", "owners.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                what, _, rest = line.rstrip("\n").partition(": ")
                owners[what] = rest.split()
    probes = {}
    for tool in ("biosnoop", "zfsslower"):
        for backend in ("auto", "tracepoint", "fentry", "kprobe"):
            name = tool + (".json" if backend == "auto" else "-%s.json" % backend)
            p = os.path.join(a, "probes", name)
            try:
                with open(p) as f:
                    probes[(tool, backend)] = json.loads(f.readline())
            except (OSError, ValueError):
                pass
    kid = facts.get("kernel_id", os.path.basename(d))
    path = os.path.join(a, "compat", "drivers.txt")
    if os.path.exists(path):
        rows = drivers.setdefault(kid, [])
        with open(path) as f:
            for line in f:
                # DRIVER DISK SCHED BACKEND RESULT SEEN KERNEL KNOWN LOST EVENTS - WHY
                w = line.rstrip("\n").split(None, 10)
                if len(w) >= 10:
                    why = w[10] if len(w) > 10 else ""
                    rows.append(tuple(w[:10]) + ((why[2:] if why.startswith("- ") else why.lstrip("-")).strip(),))
    path = os.path.join(a, "compat", "stacks.txt")
    if os.path.exists(path):
        rows = stacks.setdefault(kid, [])
        with open(path) as f:
            for line in f:
                # KIND DEV BACKEND RESULT ROWS KERNEL - WHY
                w = line.rstrip("\n").split(None, 7)
                if len(w) >= 7:
                    rows.append(tuple(w[:6]) + ((w[7] if len(w) > 7 else "").strip(),))
    path = os.path.join(a, "compat", "filters.txt")
    if os.path.exists(path):
        rows = filters.setdefault(kid, [])
        with open(path) as f:
            for line in f:
                # SCHED BACKEND RESULT DISK KREADS - - WHY
                w = line.rstrip("\n").split(None, 7)
                if len(w) >= 7:
                    rows.append(tuple(w[:5]) + ((w[7] if len(w) > 7 else "").strip(),))
    path = os.path.join(a, "compat", "merges.txt")
    if os.path.exists(path):
        rows = merges.setdefault(kid, [])
        with open(path) as f:
            for line in f:
                # WHAT... key=value...
                ws = line.split()
                keys = ("result", "merged", "rows", "kernel", "kernel_merges", "merged_away", "stale")
                kv = dict(x.split("=", 1) for x in ws if x.split("=", 1)[0] in keys)
                rows.append((" ".join(x for x in ws if x.split("=", 1)[0] not in keys), kv))
    path = os.path.join(a, "compat", "biolatency.txt")
    if os.path.exists(path):
        rows = blat.setdefault(kid, [])
        with open(path) as f:
            for line in f:
                # DRIVER BACKEND RESULT DISK COUNT KERNEL - WHY
                w = line.rstrip("\n").split(None, 7)
                if len(w) >= 7:
                    rows.append(tuple(w[:6]) + ((w[7] if len(w) > 7 else "").strip(),))
    kernels.append((kid, facts, choices, owners, probes))
    kernel_of[d] = kid

ids = [k[0] for k in kernels]
out = []
w = out.append

def row(cells):
    w("| " + " | ".join(cells) + " |")

def code(s):
    return "`%s`" % s if s else "–"

def variant(probes, tool, backend):
    j = probes.get((tool, backend))
    if not j:
        return ""
    vs = {p.get("variant") for p in j.get("probes", []) if p.get("chosen", -1) >= 0 and p.get("variant")}
    return ", ".join(sorted(vs))

w("# Compatibility")
w("")
w("<!-- Generated by tests/vm/gen-compat.sh from a VM matrix run; do not edit by hand. -->")
w("")
w("What iotrace chooses, and what works, on the Debian kernels the VM matrix boots (pinned in")
w("`tests/vm/kernels.conf`). Everything here was observed under qemu by")
w("`tests/vm/guest/iotrace.sh`, with real I/O: **works** means the tool attached, ran, and")
w("reported exactly the expected operations (each O_DIRECT request on a loop device with its")
w("type, sector, size, owner and a latency; each ZFS read, write, open and fsync with its file,")
w("size, offset and process) and exited 0 on SIGINT; **fails** means it refused to start, with")
w("exit status 1 and a message saying why, as expected there.")
w("")
w("Regenerate with `TIERS=vm bash scripts/test.sh` (it writes `build-test-results/vm/COMPATIBILITY.md`")
w("and says whether it differs from this file), or by hand:")
w("`tests/vm/run-matrix.sh ... --out DIR` (see `tests/vm/README.md`), then")
w("`tests/vm/gen-compat.sh DIR docs/COMPATIBILITY.md`.")
w("")

# ---- kernel facts ----
w("## Kernels")
w("")
row([""] + ids)
row(["---"] * (len(ids) + 1))
def fact_row(label, key, fmt=lambda v: v):
    row([label] + [fmt(k[1].get(key, "")) or "–" for k in kernels])
fact_row("release", "release", code)
fact_row("architecture", "machine")
fact_row("vmlinux BTF", "btf_vmlinux")
fact_row("kprobes (perf kprobe PMU)", "kprobe_pmu")
# fentry/fexit need BPF trampolines: x86 since 5.5, arm64 only since 6.0 (iotrace's own probe)
def fentry_fact(probes):
    f = probes.get(("biosnoop", "auto"), {}).get("features", {}).get("fentry")
    if f is None:
        return "–"
    return "yes" if f.get("available") else "no (%s)" % (f.get("reason") or "?")
row(["fentry/fexit (BPF trampolines)"] + [fentry_fact(k[4]) for k in kernels])
fact_row("`block_io_start` / `block_io_done` tracepoints", "tp_block_io_start")
fact_row("`block_rq_insert` / `issue` / `complete` tracepoints", "tp_block_rq_issue")
for fn in ("blk_account_io_start", "__blk_account_io_start", "blk_account_io_done",
           "blk_mq_sched_insert_request", "blk_mq_insert_request", "blk_add_rq_to_plug",
           "blk_mq_start_request", "blk_mq_end_request", "__blk_mq_end_request"):
    fact_row("`%s`" % fn, "fn_" + fn)
fact_row("loop device scheduler", "loop_scheduler", lambda v: v.replace("[", "**").replace("]", "**") if v else v)
fact_row("OpenZFS", "zfs_version")
fact_row("zfs module BTF", "zfs_module_btf")
fact_row("`zpl_iter_read` / `zpl_iter_write` / `zpl_open` / `zpl_fsync`", "fn_zpl_iter_read")
fact_row("O_DIRECT on a ZFS file", "zfs_odirect")
w("")
w("Functions: **traceable** = listed in `available_filter_functions` (fentry and kprobes can")
w("attach); **notrace** = in kallsyms but not traceable (an out-of-line copy of an `inline`")
w("function: the kernel defines `inline` as `inline notrace`, and kprobes refuse it too);")
w("**absent** = not in kallsyms (inlined away). The loop scheduler in bold is the active one.")
w("")

# ---- biosnoop ----
bprobes = ["io_start", "io_insert", "io_plug", "io_issue", "io_done"]
def bio_table(backends, with_backend):
    head = ["kernel"] + (["`--backend`"] if with_backend else []) + ["variant"] + bprobes + ["result"]
    row(head)
    row(["---"] * len(head))
    for kid, facts, choices, owners, probes in kernels:
        for b in backends:
            c = choices.get(("biosnoop", b))
            cells = [kid] + ([b] if with_backend else [])
            if not c:
                row(cells + [""] + ["–"] * len(bprobes) + ["not run"])
                continue
            if c["result"] == "fails":
                row(cells + [""] + ["–"] * len(bprobes) + ["fails: " + c["why"]])
                continue
            cells.append(variant(probes, "biosnoop", b))
            cells += [code(c["probes"].get(p, "")) for p in bprobes]
            cells.append("**%s**" % c["result"])
            row(cells)

w("## biosnoop")
w("")
w("### Automatic choice (`--backend=auto`)")
w("")
bio_table(["auto"], False)
w("")
w("### Forced backends")
w("")
w("Every backend is tried on every kernel; a forced backend may use only its own attach kinds")
w("(tracepoint: `tp_btf`, `raw_tp`, classic `tracepoint`).")
w("")
bio_table(["tracepoint", "fentry", "kprobe"], True)
w("")
w("### Owner of the test requests")
w("")
w("`owner_at_issue` of the three O_DIRECT requests (W 4096 B at sector 8, W 8192 B at sector")
w("2048, R 65536 B at sector 128): **false** = owner taken where the request was created,")
w("inserted or plugged; **true** = taken at issue to the driver (still the right task here,")
w("because the issue happened in its context). In every case the test asserts the owner is")
w("the writing process.")
w("")
row(["kernel"] + ["`--backend=%s`" % b for b in ("auto", "tracepoint", "fentry", "kprobe")])
row(["---"] * 5)
for kid, facts, choices, owners, probes in kernels:
    cells = [kid]
    for b in ("auto", "tracepoint", "fentry", "kprobe"):
        o = owners.get("biosnoop --backend=%s --csv" % b)
        if not o:
            cells.append("–")
            continue
        at_issue = [x.split("=")[0] for x in o if x.endswith("=true")]
        cells.append("at issue: " + ", ".join(sorted(at_issue)) if at_issue else "never at issue")
    row(cells)
w("")

# ---- biosnoop on real disk drivers ----
w("### Real disk drivers")
w("")
w("Every guest has four real disks besides its loop device (`tests/vm/boot.sh`), their drivers")
w("loaded from the same kernel package. Per disk, scheduler and backend, one `biosnoop -v --csv")
w("-d DISK --backend=B` traces 4 O_DIRECT writes and 4 O_DIRECT reads of 64 KiB, and the judge")
w("is the kernel: **exact** = as many rows as `/sys/block/DISK/stat` counts completed requests")
w("in the window (by type), each of the 8 requests once with its type, sector, size, owner and a")
w("latency, no other disk, and a summary line whose events are the rows and whose lost count")
w("is 0, or only what the kernel counted as skipped probe runs (see below); **missed k of m,")
w("counted** = k requests not printed, each within the summary's lost count, and every lost")
w("one a probe run the kernel skipped and counted (\"N missed by kernel probes\": a kprobe,")
w("fentry or tp_btf program hit while one already runs on that CPU; a skipped completion's")
w("request may also be counted as \"ended without a seen completion\", up to as many). Such a")
w("count names no disk or request, so it is an upper bound and may also come with all rows")
w("there (still **exact**). Which of exact and counted a run gives depends on timing:")
w("`scripts/test.sh` compares this file's verdicts (`gen-compat.sh --verdicts`), not the")
w("cells' counts. **WRONG (n of m)** = n rows where the kernel completed m, or a loss the")
w("kernel did not count (with what else was wrong);")
w("**refuses** = a forced backend that would not trace this disk, exit status 1 with the")
w("reason shown; **ERROR** = it neither traced nor refused cleanly. Schedulers with the same")
w("results share a row.")
w("")
dnames = [("nvme", "NVMe (`nvme`)"), ("ahci", "SATA (`ahci`)"),
          ("virtio_scsi", "virtio-scsi (`virtio_scsi`)"), ("virtio_blk", "virtio-blk (`virtio_blk`)")]
dbackends = ("auto", "tracepoint", "fentry", "kprobe")
def dcell(r):
    res, seen, kcount, why = r[4], r[5], r[6], r[10]
    if res in ("exact", "overcounted"):
        return "exact (%s of %s)" % (seen, kcount)
    if res == "counted":
        return "missed %d of %s, counted (%s)" % (int(kcount) - int(seen), kcount, why)
    if res == "wrong":
        return "**WRONG** (%s)" % (why or "%s of %s" % (seen, kcount))
    if res == "refuses":
        return "refuses: %s" % why
    if res == "missing":
        return "**no disk**"
    return "**ERROR**: %s" % why
if not drivers:
    w("No kernel of this run tested real disk drivers.")
else:
    head = ["driver", "kernel", "disk", "scheduler"] + ["`--backend=%s`" % b for b in dbackends]
    row(head)
    row(["---"] * len(head))
    for drv, label in dnames:
        for kid in ids:
            rs = [r for r in drivers.get(kid, []) if r[0] == drv]
            if not rs:
                row([label, kid, "–", "–"] + ["not run"] * len(dbackends))
                continue
            if any(r[4] == "missing" for r in rs):
                row([label, kid, "–", "–"] + ["**no disk**"] * len(dbackends))
                continue
            disk = rs[0][1]
            scheds = []
            for r in rs:
                if r[2] not in scheds:
                    scheds.append(r[2])
            groups = []  # (cells, [scheds])
            for sc in scheds:
                cells = []
                for b in dbackends:
                    c = [dcell(r) for r in rs if r[2] == sc and r[3] == b]
                    cells.append(c[0] if c else "not run")
                for g in groups:
                    if g[0] == cells:
                        g[1].append(sc)
                        break
                else:
                    groups.append((cells, [sc]))
            for cells, scs in groups:
                row([label, kid, "`%s`" % disk, ", ".join(scs)] + cells)
w("")

# ---- biosnoop on stacked devices ----
w("### Partitions, device-mapper, md")
w("")
w("On the same disks: a partition (an MBR written in the guest), a device-mapper linear target")
w("(`dmsetup create`) over the virtio-blk disk and an md RAID1 (`mdadm --create --metadata=1.2")
w("--assume-clean`) over the NVMe and the virtio-scsi disk, each given 2 O_DIRECT writes and 2")
w("reads of 64 KiB by its own process. `biosnoop --backend=B` without `-d` must show, on each")
w("member disk, exactly the requests `/sys/block/MEMBER/stat` counts completed (a RAID1 write")
w("once per mirror, a read on one), none on `dm-N` or `md0` (bio-based: they carry no requests),")
w("and a summary with 0 lost; `-d PARTITION` only the partition's requests, as many as its own")
w("stat file counts, each with the PART column set. **n of m**: rows against the kernel's")
w("count (for md, both members). **counted**: fewer rows, every missing request within the")
w("summary's lost count, all of which the kernel reported as skipped probe runs, as in the")
w("driver table (any backend). Such misses name no disk: a summary may count a few as lost")
w("although every row of the device is there (**exact**; the artefact `compat/stacks.txt`")
w("says `overcounted`). The last column is `biosnoop -d` on the device itself.")
w("")
skinds = [("partition", "partition, traced on its disk"), ("part-filter", "`-d PARTITION`"),
          ("dm-linear", "dm linear"), ("md-raid1", "md RAID1")]
def scell(r):
    res, rows_, kc, why = r[3], r[4], r[5], r[6]
    if res == "exact":
        return "exact (%s of %s)" % (rows_, kc)
    if res == "overcounted":
        # (how many probe hits the kernel dropped elsewhere varies from run to run)
        return "exact (%s of %s)" % (rows_, kc)
    if res == "counted":
        return "missed %d of %s, counted (%s)" % (int(kc) - int(rows_), kc, why)
    if res == "wrong":
        return "**WRONG** (%s)" % why
    if res == "refuses":
        return "refuses: %s" % why
    return "**ERROR**: %s" % why
if not stacks:
    w("No kernel of this run tested stacked devices.")
else:
    head = ["device", "kernel", "layout"] + ["`--backend=%s`" % b for b in dbackends] + ["`-d` on it"]
    row(head)
    row(["---"] * len(head))
    for kind, label in skinds:
        for kid in ids:
            rs = [r for r in stacks.get(kid, []) if r[0] == kind]
            if not rs:
                row([label, kid, "–"] + ["not run"] * (len(dbackends) + 1))
                continue
            dev = next((r[1] for r in rs if r[1] != "-" and r[2] != "-d"), "–")
            cells = []
            for b in dbackends:
                c = [scell(r) for r in rs if r[2] == b]
                cells.append(c[0] if c else "not run")
            ref = [r for r in rs if r[2] == "-d"]
            if ref:
                cells.append("; ".join(("refused, exit 2 (`-d %s`)" % r[1]) if r[3] == "refuses"
                                       else "**WRONG** (`-d %s`: %s)" % (r[1], r[6]) for r in ref))
            else:
                cells.append("– (a partition is a request filter)" if kind.startswith("part") else "not run")
            row([label, kid, "`%s`" % dev.replace(">", " on ").replace("+", " + ") if dev != "–" else dev] + cells)
w("")

# ---- -p / -c and merges ----
w("### `-p` and `-c` under each scheduler, and merged requests")
w("")
w("Two processes read disjoint regions of the SATA disk at once (200 O_DIRECT 64 KiB reads")
w("each), one of them in its own cgroup; `biosnoop -p A` and `biosnoop -c CGROUP-OF-B` run")
w("together. **exact** = each printed all 200 of its process's requests and not one of the")
w("other's, 0 lost. Meanwhile `dd` writes 4 MiB buffered to the virtio-blk disk and fsyncs; a")
w("third `biosnoop -d` there must print as many rows as the kernel completed, none with a QUE")
w("or latency beyond the window (a stale entry's), owners only `dd` or a writeback worker, and")
w("no more requests merged away than the kernel counted merges. Three tracers run at once, and")
w("the kernel skips a probe run that comes while another runs on that CPU (and counts it):")
w("**counted** = not one request of the other process, and every request printed or counted")
w("as lost, losses only where the kernel counted skipped runs (as in the driver table; which")
w("of exact and counted a run gives depends on timing).")
w("")
if not filters:
    w("No kernel of this run tested `-p` and `-c` on a real driver.")
else:
    head = ["kernel", "scheduler", "backend", "`-p` and `-c`", "buffered writes with merges"]
    row(head)
    row(["---"] * len(head))
    for kid in ids:
        ms = merges.get(kid, [])
        for r in filters.get(kid, []):
            res = ("exact" if r[2] in ("exact", "overcounted") else "counted" if r[2] == "counted" else
                   "**WRONG** (%s)" % r[5] if r[2] == "wrong" else "**ERROR**: %s" % r[5])
            m = [kv for what, kv in ms if what == "scheduler %s, --backend=%s" % (r[0], r[1])]
            # (the counts vary with writeback timing: the artefact keeps them, the table the result)
            mr = m[0].get("result") if m else None
            mc = [("exact" if mr in ("exact", "overcounted") else "counted" if mr == "counted" else
                   "**WRONG** (%s rows of %s, %s stale)" % (m[0].get("rows"), m[0].get("kernel"), m[0].get("stale")))
                  + ("" if m[0].get("merged") == "yes" else " (the kernel merged nothing)")] if m else ["not run"]
            row([kid, r[0], "`%s`" % r[1], res] + mc)
w("")

# ---- biolatency on real disk drivers ----
w("## biolatency on real disk drivers")
w("")
w("In the same windows as biosnoop's (scheduler `none`), one `biolatency -D -j --backend=B 1`")
w("over all four disks: **exact (n of m)** = its per-disk histograms, summed over the 1 s")
w("intervals, count n requests where `/sys/block/DISK/stat` counts m completed, n = m, each")
w("histogram's buckets add up to its count, and the summary record says 0 lost (or only kernel")
w("probe misses; **missed k of m, counted** as in the driver table). With `auto`, a")
w("`--openmetrics=FILE` instance beside it must write a well-formed file whose `_count` per disk")
w("is the kernel's count (checked in the guest).")
w("")
def bcell(rs):
    if not rs:
        return "not run"
    r = rs[0]
    if r[2] in ("exact", "overcounted"):
        return "exact (%s of %s)" % (r[4], r[5])
    if r[2] == "counted":
        return "missed %d of %s, counted" % (int(r[5]) - int(r[4]), r[5])
    if r[2] == "wrong":
        return "**WRONG** (%s of %s)" % (r[4], r[5])
    if r[2] == "refuses":
        return "refuses: %s" % r[6]
    return "**ERROR**: %s" % r[6]
if not blat:
    w("No kernel of this run tested biolatency on real disk drivers.")
else:
    head = ["driver", "kernel", "disk"] + ["`--backend=%s`" % b for b in dbackends]
    row(head)
    row(["---"] * len(head))
    for drv, label in dnames:
        for kid in ids:
            rs = [r for r in blat.get(kid, []) if r[0] in (drv, "-")]
            disk = next((r[3] for r in rs if r[0] == drv), "–")
            row([label, kid, "`%s`" % disk if disk != "–" else disk] +
                [bcell([r for r in rs if r[1] == b]) for b in dbackends])
w("")

# ---- zfsslower ----
zprobes = ["read", "write", "open", "fsync"]
w("## zfsslower")
w("")
zk = [k for k in kernels if k[1].get("zfs_version")]
if not zk:
    w("No kernel of this run had ZFS (run the matrix with `--zfs`).")
else:
    head = ["kernel", "OpenZFS", "`--backend`"] + zprobes + ["result"]
    row(head)
    row(["---"] * len(head))
    for kid, facts, choices, owners, probes in zk:
        for b in ("auto", "fentry", "kprobe", "tracepoint"):
            c = choices.get(("zfsslower", b))
            cells = [kid, facts.get("zfs_version", ""), b]
            if not c:
                row(cells + ["–"] * len(zprobes) + ["not run"])
            elif c["result"] == "fails":
                row(cells + ["–"] * len(zprobes) + ["fails: " + c["why"]])
            else:
                row(cells + [code(c["probes"].get(p, "")) for p in zprobes] + ["**%s**" % c["result"]])
    w("")
    w("Also checked on each ZFS kernel: `-p PID` shows only that process; `--csv` and `--json`")
    w("carry the same operations; `zfsslower` through a symlink to `iotrace` behaves as")
    w("`iotrace zfsslower`; a file name with a newline and an escape byte is printed escaped")
    w("(`bad\\x0aname\\x1b[31mevil` in the table and CSV, `\\u000a`/`\\u001b` in JSON); with")
    w("`zinject -D 100:1` delaying every vdev I/O, `--min-ms 10` shows an uncached read and hides")
    w("the cached re-read; O_DIRECT reads and writes are seen like buffered ones.")
w("")
# ---- the fsslower family on real file systems (tests/vm/guest/fs.sh) ----
fsk = []
for d in dirs:
    path = os.path.join(d, "artefacts", "compat", "fs.txt")
    facts = next(k[1] for k in kernels if k[0] == kernel_of[d])
    rows = {}  # (fs, backend) -> {"result", "probes", "why"}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                w_ = line.rstrip("\n").split()
                if len(w_) < 4:
                    continue
                c = rows.setdefault((w_[0], w_[1]), {"result": w_[2], "probes": {}, "why": ""})
                if w_[2] == "fails":
                    c["why"] = line.rstrip("\n").split(" - ", 1)[-1].strip()
                else:
                    c["probes"][w_[3]] = " ".join(w_[4:])
                    if w_[2] != "works":
                        c["result"] = w_[2]
    fsk.append((kernel_of[d], facts, rows))
w("## ext4slower, xfsslower, btrfsslower (the fsslower family)")
w("")
if not any(r for _, _, r in fsk):
    w("No kernel of this run tested the family (tests/vm/guest/fs.sh).")
else:
    fprobes = ["read", "write", "open", "fsync"]
    head = ["file system", "kernel", "module BTF", "`--backend`"] + fprobes + ["result"]
    row(head)
    row(["---"] * len(head))
    for fs in ("ext4", "xfs", "btrfs"):
        for kid, facts, rows in fsk:
            for b in ("auto", "fentry", "kprobe"):
                c = rows.get((fs, b))
                cells = [fs, kid, facts.get("fs_%s_module_btf" % fs, "?"), b]
                if not c:
                    row(cells + ["–"] * len(fprobes) + ["not run"])
                elif c["result"] == "fails":
                    row(cells + ["–"] * len(fprobes) + ["refuses: " + c["why"]])
                else:
                    row(cells + [code(c["probes"].get(p, "")) for p in fprobes] + ["**%s**" % c["result"]])
    w("")
    w("A kernel's rows ran at once (every member, every backend), each file system fresh on a")
    w("dm linear target over a loop device, made by its own mkfs: **works** means every record of")
    w("iotest's known operations (buffered, O_APPEND, end of file, open, fsync, O_DIRECT) was")
    w("there with its type, size, offset and file, 64 threads' reads were all seen (events +")
    w("counted losses = iotest's own count, nothing lost), a read throttled to 128 KiB/s by cgroup")
    w("io.max was shown with its real latency, while `--min-ms 500` showed that read and nothing")
    w("else, and a cold read that failed with EIO (iotest's own errno) once the dm table was")
    w("switched to `error` was shown as R, 0 bytes, error EIO.")
    w("`fentry` refuses where the module has no BTF (Debian's 5.10 builds none: kprobes then).")
    w("arm64 guests run ext4 only, on an image the host's mkfs.ext4 made, loop-mounted, without")
    w("the error path (no dmsetup there); `fentry` refuses on arm64 5.10 and 6.1, which lack")
    w("ftrace direct calls (docs/ARM64.md).")
    w("NFS (`nfsslower`) is checked on fixture kernels only: the guests have no NFS server.")
    w("On the 6.18 development machine (file systems built in, no kprobes, fentry denied by")
    w("lockdown) every member refuses in one line naming both reasons (live tier).")
w("")
w("## Notes")
w("")
w("- biosnoop's `mq` variant (forced `fentry`/`kprobe` where the accounting functions are")
w("  notrace) ends a request at `blk_mq_end_request`: `__blk_mq_end_request` is declared")
w("  `inline`, hence notrace, on every kernel here. Drivers that complete through")
w("  `__blk_mq_end_request` directly (SCSI) or in batches (`blk_mq_end_request_batch`, NVMe")
w("  polling) are not seen by that variant; `--backend=auto` never picks it on these kernels.")
w("- In the `mq` variant the owner of a plugged request (O_DIRECT writes to a block device")
w("  are plugged) is taken at `blk_add_rq_to_plug`: the plug is flushed when the writer")
w("  sleeps, and the queue is then run by kblockd, so without it the owner would be a")
w("  `kworker` (observed on 6.1).")
w("- arm64 kernels (ids `arm64-*`, Debian's `-arm64` images of the same versions under")
w("  `qemu-system-aarch64 -M virt`) run biosnoop only: no ZFS is built for them (see")
w("  `docs/ARM64.md`). fentry on arm64 needs BPF trampolines (6.0) and ftrace direct calls")
w("  (6.4): on arm64 5.10 and 6.1 every fentry candidate is unavailable (ENOTSUPP), the engine")
w("  falls back (5.10: kprobes; 6.1: tracepoints, as on x86) and `--backend=fentry` fails saying so.")
w("- zfsslower uses fentry/fexit only where the zfs module has BTF (DKMS builds get it when")
w("  the kernel headers ship a `vmlinux` and `pahole` is installed, as for 6.12 here).")
w("")
sys.stdout.write("\n".join(out))
PY
}

if [[ -n $output ]]; then
    gen >"$output.part"
    mv "$output.part" "$output"
    log "wrote $output from ${#dirs[@]} kernel(s) in $vmout"
else
    gen
fi
