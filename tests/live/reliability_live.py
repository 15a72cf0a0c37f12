#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Live reliability tests of `iotrace biosnoop` (and zfsslower's refusal): how it ends (each
stop signal, the reader leaving, the duration, kill -9), how it fails when the machine lacks
something (BTF, tracefs, capabilities, ZFS), and what hostile task names do to each output
format. docs/RELIABILITY.md says which test proves which guarantee.

Run through tests/live/run.sh (root, IOTRACE=path/to/iotrace), or alone with
`python3 reliability_live.py [TEST...]`. The pieces are in livelib.py.
"""

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import livelib
from livelib import (ATTACH_TIMEOUT, CSV_FIELDS, IOTRACE, Biosnoop, Fail, Scratch, Writer,
                     check, check_no_sanitizer, expect_ops, io_records, loop_device,
                     our_bpf_objects, parse_json_lines, parse_table, process_bpf_ids, run,
                     started, test, trace)

# "biosnoop: 3 events, 0 lost", or "biosnoop: 1 event, 2 lost (2 ring buffer full); 1 completed
# without a seen issue" (counters that are zero left out): the last line on stderr
SUMMARY_LINE = re.compile(r"^biosnoop: (\d+) events?, (\d+) lost( \([^()]*\))?(; [^()]*)?$")
CHOSEN_LINE = re.compile(r"^biosnoop: (io_\w+): (\w+) (\S+)$")
DYNAMIC_EVENT_FILES = ["kprobe_events", "uprobe_events", "dynamic_events"]
TRACEFS_DIRS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
PRIVATE_MOUNTS = ["unshare", "--mount", "--propagation", "private"]


def last_line(err):
    lines = err.strip("\n").split("\n")
    return lines[-1] if lines else ""


def summary_of(err):
    """(events, lost) from the summary line, which must be the last line on stderr."""
    m = SUMMARY_LINE.match(last_line(err))
    check(m, "the last line on stderr is not the summary: %r" % err[-400:])
    return int(m.group(1)), int(m.group(2))


def chosen(err):
    """{logical probe: (kind, target)} from -v's lines before "tracing"."""
    return {m.group(1): (m.group(2), m.group(3))
            for m in map(CHOSEN_LINE.match, err.split("\n")) if m}


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise Fail("%s within %.1f s" % (what, seconds))


def idle_loop(stack, scratch, name="idle.img"):
    """A loop device nobody does I/O on: its basename, for -d."""
    return os.path.basename(loop_device(stack, scratch.file(name, 32 << 20)))


def dynamic_events():
    """Lines of every kprobe/uprobe/dynamic event file there is: {path: [lines]}."""
    found = {}
    for d in TRACEFS_DIRS:
        for name in DYNAMIC_EVENT_FILES:
            path = os.path.join(d, name)
            try:
                with open(path) as f:
                    found[path] = [l for l in f.read().split("\n") if l.strip()]
            except OSError:
                pass
    return found


def check_no_new_dynamic_events(before, pid=None):
    """No kprobe/uprobe event appeared, none names iotrace, and none was made for pid
    (libbpf names the ones it creates libbpf_PID_...)."""
    for path, lines in dynamic_events().items():
        ours = [l for l in lines if "iotrace" in l or (pid and "libbpf_%d_" % pid in l)]
        check(not ours, "%s holds events made by iotrace: %r" % (path, ours))
        new = [l for l in lines if l not in before.get(path, [])]
        check(not new, "%s has new entries: %r" % (path, new))


def bpf_ids_alive(kind):
    """IDs of every loaded program, link or map (bpftool -j KIND show)."""
    return {o["id"] for o in json.loads(run(["bpftool", "-j", kind, "show"]).stdout or b"[]")}


def tracefs_mounts(mounts_file="/proc/self/mounts"):
    with open(mounts_file) as f:
        return [l.split()[1] for l in f if l.split()[2] == "tracefs"]


# ---- how biosnoop ends ---------------------------------------------------------------------

@test
def stop_signals_end_cleanly(stack):
    """SIGINT, SIGTERM and SIGHUP each end biosnoop with exit 0: everything traced is
    delivered, then the summary line on stderr and, with --json, a summary record last."""
    s = Scratch(stack)
    dev = loop_device(stack, s.file("a.img", 32 << 20))
    name = os.path.basename(dev)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        for fmt in ([], ["--json"]):
            what = "%s%s" % (signal.Signals(sig).name, " --json" if fmt else "")
            w = Writer(stack, "iot-sig", [[dev, "W", 4096 * sig, 4096]])
            b = Biosnoop(stack, ["-d", name] + fmt)
            b.wait_attached()
            w.go()
            wait_for(lambda: b"iot-sig" in b.stdout(), 5, "%s: the request was not printed" % what)
            out, err = b.stop(sig=sig)
            events, lost = summary_of(err)
            check(lost == 0, "%s: %d lost" % (what, lost))
            check("error" not in err, "%s: an error on stderr: %r" % (what, err[-300:]))
            if fmt:
                records = parse_json_lines(out.decode())
                ios = io_records(records)
                check(records[-1].get("record") == "summary",
                      "%s: the last record is not the summary: %r" % (what, records[-1:]))
                check(records[-1]["events"] == len(ios) == events and records[-1]["lost"] == 0,
                      "%s: summary record %r, %d io records, stderr says %d events" %
                      (what, records[-1], len(ios), events))
                check(sum(r["record"] == "summary" for r in records) == 1, "two summaries")
                expect_ops(ios, w, name, key_type="rwbs")
            else:
                rows = parse_table(out.decode())
                check(len(rows) == events, "%s: %d rows, stderr says %d events" %
                      (what, len(rows), events))
                expect_ops(rows, w, name, key_type="T", key_sector="SECTOR", key_bytes="BYTES",
                           key_comm="COMM", key_pid="PID", key_disk="DISK")


PIPELINE = r'''
exe=$1 disk=$2 fmt=$3 dir=$4
"$exe" biosnoop -v -D 60 -d "$disk" $fmt 2>"$dir/err" |
  { head -1 >"$dir/first"; date +%s.%N >"$dir/head_left"; }
echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}" >"$dir/status"
date +%s.%N >"$dir/end"
'''


def head_pipeline(stack, disk, fmt, writer=None):
    """`iotrace biosnoop -d DISK FMT | head -1` in bash; (status, first line, seconds biosnoop
    outlived head, stderr). -D 60 only bounds a run that would otherwise never end."""
    d = tempfile.mkdtemp(prefix="iotrace-pipe-")
    stack.callback(shutil.rmtree, d, True)
    p = started(subprocess.Popen(["bash", "-c", PIPELINE, "pipeline", IOTRACE, disk, fmt, d]))

    def end():
        if p.poll() is None:
            p.kill()
            p.wait()
    stack.callback(end)
    err_path = os.path.join(d, "err")
    wait_for(lambda: os.path.exists(err_path) and "tracing" in open(err_path).read(),
             ATTACH_TIMEOUT, "biosnoop did not start tracing")
    if writer:
        writer.go()
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        raise Fail("the pipeline with %s did not end within 30 s of tracing" % (fmt or "table"))
    read = lambda name: open(os.path.join(d, name)).read()
    err = read("err")
    check_no_sanitizer(err)
    outlived = float(read("end")) - float(read("head_left"))
    return read("status").split(), read("first"), outlived, err


@test
def reader_leaving_ends_biosnoop(stack):
    """`| head -1` ends biosnoop within a second, exit 0, even on an idle disk where no event
    will ever come (the pipe's hang-up is polled, not discovered at the next write); and a
    reader that closes the pipe without reading anything does the same."""
    s = Scratch(stack)
    idle = idle_loop(stack, s)
    status, first, outlived, err = head_pipeline(stack, idle, "")
    check(status == ["0", "0"], "PIPESTATUS %r, want 0 0: %r" % (status, err[-300:]))
    check(first.split() == ["TIME(s)", "COMM", "PID", "DISK", "T", "SECTOR", "BYTES", "LAT(ms)"],
          "head -1 got %r, want the table header" % first)
    check(outlived < 1.0, "biosnoop outlived head by %.2f s on an idle disk" % outlived)
    check(summary_of(err) == (0, 0), "summary %r" % last_line(err))
    check("error" not in err, "an error on stderr: %r" % err[-300:])

    # --json after one request: head takes that record and leaves
    dev = loop_device(stack, s.file("b.img", 32 << 20))
    w = Writer(stack, "iot-head", [[dev, "W", 8192, 4096]])
    status, first, outlived, err = head_pipeline(stack, os.path.basename(dev), "--json", w)
    check(status == ["0", "0"], "--json: PIPESTATUS %r: %r" % (status, err[-300:]))
    record = json.loads(first)
    check(record["record"] == "io" and record["pid"] == w.pid and record["comm"] == "iot-head",
          "--json | head -1 got %r" % first)
    check(outlived < 1.0, "--json: biosnoop outlived head by %.2f s" % outlived)
    check("error" not in err, "--json: an error on stderr: %r" % err[-300:])

    # a reader that closes without reading a byte, --json on an idle disk: nothing was written
    err_file = tempfile.TemporaryFile()
    stack.callback(err_file.close)
    p = started(subprocess.Popen([IOTRACE, "biosnoop", "-v", "-d", idle, "--json", "-D", "60"],
                                 stdout=subprocess.PIPE, stderr=err_file))

    def end():
        if p.poll() is None:
            p.kill()
            p.wait()
    stack.callback(end)

    def stderr():
        err_file.seek(0)
        return err_file.read().decode(errors="replace")
    wait_for(lambda: "tracing" in stderr() or p.poll() is not None, ATTACH_TIMEOUT,
             "biosnoop did not start tracing")
    check(p.poll() is None, "biosnoop ended before its reader left: %r" % stderr())
    time.sleep(0.3)
    closed = time.monotonic()
    p.stdout.close()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        raise Fail("biosnoop still running 5 s after its reader closed the pipe")
    took = time.monotonic() - closed
    err = stderr()
    check_no_sanitizer(err)
    check(p.returncode == 0, "exit %d after the reader closed: %r" % (p.returncode, err))
    check(took < 1.0, "biosnoop ended %.2f s after the reader closed the pipe" % took)
    check(summary_of(err) == (0, 0) and "error" not in err, "stderr %r" % err[-300:])


@test
def duration_option_ends_by_itself(stack):
    """-D 1: about a second after attaching it ends on its own, exit 0, with the summary (and
    with --json the summary record, whose time_ns is at least the duration)."""
    s = Scratch(stack)
    idle = idle_loop(stack, s)
    for fmt in ([], ["--json"]):
        b = Biosnoop(stack, ["-D", "1", "-d", idle] + fmt)
        b.wait_attached()
        attached = time.monotonic()
        try:
            b.p.wait(30)
        except subprocess.TimeoutExpired:
            raise Fail("-D 1 %s still running 30 s after attaching" % fmt)
        elapsed = time.monotonic() - attached
        out, err = b.stop()
        check(0.9 <= elapsed <= 2.0, "-D 1 %s ran %.2f s after attaching" % (fmt, elapsed))
        check(summary_of(err) == (0, 0), "summary %r" % last_line(err))
        if fmt:
            records = parse_json_lines(out.decode())
            check(len(records) == 1 and records[0]["record"] == "summary",
                  "records on an idle disk: %r" % records)
            check(10**9 <= records[0]["time_ns"] < 2 * 10**9,
                  "summary time_ns %d, want 1 s or a little more" % records[0]["time_ns"])
        else:
            check(out.decode().split("\n")[0].startswith("TIME(s)"), "no header: %r" % out[:80])


@test
def write_error_is_a_failure(stack):
    """A reader that goes away is a normal end; any other write error is not: stdout on a
    full device (/dev/full) ends the run at once with exit 1 and says why, after the
    summary line; with --json on an idle disk the summary record is the first write, and
    its failure is one too."""
    s = Scratch(stack)
    idle = idle_loop(stack, s)
    for args in (["-D", "30"], ["--json", "-D", "1", "-d", idle]):
        with open("/dev/full", "wb") as full:
            begun = time.monotonic()
            p = subprocess.run([IOTRACE, "biosnoop"] + args, stdout=full, stderr=subprocess.PIPE,
                               timeout=ATTACH_TIMEOUT + 30)
        took = time.monotonic() - begun
        err = p.stderr.decode(errors="replace")
        check_no_sanitizer(err)
        check(p.returncode == 1, "biosnoop %s > /dev/full: exit %d, want 1: %r" %
              (args, p.returncode, err))
        lines = err.strip("\n").split("\n")
        check(lines[-1] == "biosnoop: error: tracing stopped: No space left on device" and
              SUMMARY_LINE.match(lines[-2]) and len(lines) == 2,
              "biosnoop %s > /dev/full: stderr %r" % (args, err))
        check(took < 25, "biosnoop %s > /dev/full ran %.1f s: the write error did not stop it" %
              (args, took))


@test
def kill_9_leaves_no_bpf_behind(stack):
    """SIGKILL gives biosnoop no chance to clean up, and needs none: its programs, links
    and maps are held by file descriptors only (nothing pinned, no kprobe_events entries),
    so the kernel frees them when the process dies. The IDs it held are checked one by one,
    so BPF loaded by anything else on the machine does not matter."""
    events_before = dynamic_events()
    b = Biosnoop(stack, ["--json"])
    b.wait_attached()
    held = process_bpf_ids(b.p.pid)
    probes = chosen(b.stderr())
    check(len(held["link"]) == len(probes) >= 3, "biosnoop holds links %r for the probes %r" %
          (held["link"], probes))
    check(held["prog"] and held["map"], "no programs or maps in biosnoop's fdinfo: %r" % held)
    alive = {kind: bpf_ids_alive(kind) for kind in held}
    for kind, ids in held.items():
        check(ids <= alive[kind], "bpftool does not list biosnoop's %ss %r" %
              (kind, sorted(ids - alive[kind])))
    links = json.loads(run(["bpftool", "-j", "link", "show"]).stdout)
    check({l["prog_id"] for l in links if l["id"] in held["link"]} <= held["prog"],
          "biosnoop's links run programs it does not hold")
    b.p.send_signal(signal.SIGKILL)
    b.p.wait(10)
    check(b.p.returncode == -signal.SIGKILL, "exit %r, want killed" % b.p.returncode)

    def freed():
        return all(not (ids & bpf_ids_alive(kind)) for kind, ids in held.items())
    # links and programs go at once; maps after an RCU grace period
    wait_for(freed, 10, "BPF objects of the killed biosnoop still loaded: %r" %
             {kind: sorted(ids & bpf_ids_alive(kind)) for kind, ids in held.items()})
    check_no_new_dynamic_events(events_before, b.p.pid)
    # wherever a BPF filesystem is mounted (none at all: nothing can have been pinned)
    for bpffs in [m.split()[1] for m in open("/proc/self/mounts") if m.split()[2] == "bpf"]:
        pinned = [n for n in os.listdir(bpffs) if "iotrace" in n or "biosnoop" in n]
        check(not pinned, "pinned in %s: %r" % (bpffs, pinned))


# ---- what the machine lacks ------------------------------------------------------------------

NO_BTF = PRIVATE_MOUNTS + ["sh", "-c", 'mount -t tmpfs iotrace-no-btf /sys/kernel/btf && '
                           'exec "$@"', "no-btf"]


@test
def missing_btf_one_line_then_btf_file_works(stack):
    """Without /sys/kernel/btf/vmlinux (a tmpfs over /sys/kernel/btf in a private mount
    namespace): exit 1 and one line naming the missing BTF and --btf FILE. With --btf and a
    copy of that file made beforehand it traces real I/O: tp_btf (and fentry) need the
    kernel's own BTF to find their targets, so the engine falls back to raw_tp."""
    check(os.path.exists("/sys/kernel/btf/vmlinux"), "this kernel has no BTF to copy")
    s = Scratch(stack)
    btf_copy = os.path.join(s.dir, "vmlinux.btf")
    shutil.copyfile("/sys/kernel/btf/vmlinux", btf_copy)
    progs_before, links_before = our_bpf_objects()
    p = run(NO_BTF + [IOTRACE, "biosnoop", "-D", "1"], timeout=ATTACH_TIMEOUT, ok=False)
    err = p.stderr.decode(errors="replace")
    check_no_sanitizer(err)
    check(p.returncode == 1, "exit %d without BTF, want 1: %r" % (p.returncode, err))
    check(p.stdout == b"", "stdout without BTF: %r" % p.stdout[:200])
    check(err.count("\n") == 1, "want one line without BTF, got %d: %r" % (err.count("\n"), err))
    check(err.startswith("biosnoop: error: cannot trace here: this kernel has no BTF (") and
          "/sys/kernel/btf/vmlinux" in err and "--btf FILE" in err,
          "the line does not name the missing BTF and --btf FILE: %r" % err)
    progs_after, links_after = our_bpf_objects()
    check(progs_after <= progs_before and links_after <= links_before, "BPF objects left behind")
    check(os.path.exists("/sys/kernel/btf/vmlinux"), "the host lost its BTF: namespace leaked")

    dev = loop_device(stack, s.file("a.img", 32 << 20))
    w = Writer(stack, "iot-btf-file", [[dev, "W", 0, 4096], [dev, "R", 4096, 4096]])
    b = Biosnoop(stack, ["--btf", btf_copy, "-d", os.path.basename(dev), "--json"], prefix=NO_BTF)
    b.wait_attached()
    w.go()
    time.sleep(0.5)
    out, err = b.stop()
    picked = chosen(err)
    want = {"io_start": ("raw_tp", "block:block_io_start"),
            "io_issue": ("raw_tp", "block:block_rq_issue"),
            "io_done": ("raw_tp", "block:block_rq_complete"),
            "io_gone": ("raw_tp", "block:block_rq_merge")}
    check(picked == want, "with --btf and no kernel BTF file, -v reports %r, want %r" %
          (picked, want))
    records = parse_json_lines(out.decode())
    expect_ops(io_records(records), w, os.path.basename(dev), key_type="rwbs")
    check(records[-1]["record"] == "summary" and records[-1]["lost"] == 0, "summary %r" %
          records[-1])


NO_TRACEFS = PRIVATE_MOUNTS + ["sh", "-c", r'''
for d in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do
  while umount "$d" 2>/dev/null; do :; done
done
if grep -q " tracefs " /proc/self/mounts; then echo "tracefs still mounted" >&2; exit 99; fi
exec "$@"''', "no-tracefs"]


@test
def missing_tracefs_is_not_needed_and_probes_mounts_it(stack):
    """With tracefs unmounted (private mount namespace): biosnoop traces with tp_btf, and
    so does --backend=tracepoint; neither needs tracefs, so neither mounts it. `iotrace
    probes biosnoop` judges the classic tracepoints too, which live in tracefs: as documented
    (core/kfacts/kfacts.h: "tracefs mounted (mounting it if needed)") it mounts tracefs at
    /sys/kernel/tracing, says tracefs=yes, and the classic candidates are judged, not
    refused. The host's mounts do not change."""
    host_before = tracefs_mounts()
    s = Scratch(stack)
    dev = loop_device(stack, s.file("a.img", 32 << 20))
    tp_btf = {"io_start": ("tp_btf", "block:block_io_start"),
              "io_issue": ("tp_btf", "block:block_rq_issue"),
              "io_done": ("tp_btf", "block:block_rq_complete"),
            "io_gone": ("tp_btf", "block:block_rq_merge")}
    for backend in ([], ["--backend=tracepoint"]):
        w = Writer(stack, "iot-no-tracefs", [[dev, "W", 0, 4096], [dev, "R", 4096, 4096]])
        b = Biosnoop(stack, ["-d", os.path.basename(dev), "--json"] + backend, prefix=NO_TRACEFS)
        b.wait_attached()
        inside = tracefs_mounts("/proc/%d/mounts" % b.p.pid)
        w.go()
        time.sleep(0.5)
        out, err = b.stop()
        check(not inside, "%s: biosnoop mounted tracefs it does not need: %r" % (backend, inside))
        check(chosen(err) == tp_btf, "%s: -v reports %r" % (backend, chosen(err)))
        records = parse_json_lines(out.decode())
        expect_ops(io_records(records), w, os.path.basename(dev), key_type="rwbs")

    p = run(NO_TRACEFS + ["sh", "-c", '"$0" probes biosnoop; echo "status=$?"; '
                          'grep " tracefs " /proc/self/mounts', IOTRACE],
            timeout=ATTACH_TIMEOUT, ok=False)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check_no_sanitizer(err)
    check(p.returncode == 0 and "\nstatus=0\n" in out, "probes biosnoop without tracefs: exit "
          "%d: %s %s" % (p.returncode, out[-300:], err[-300:]))
    after = out.split("\nstatus=0\n", 1)[1].strip().split("\n")
    check(len(after) == 1 and after[0].split()[1:3] == ["/sys/kernel/tracing", "tracefs"],
          "probes biosnoop did not mount tracefs at /sys/kernel/tracing: %r" % after)
    check(re.search(r"^  kernel \S+: .*\btracefs=yes\b", out, re.M),
          "the report does not say tracefs=yes:\n%s" % out[:400])
    classic = re.findall(r"^\s+tracepoint (block:\w+)\s+(.*)$", out, re.M)
    check(len(classic) == 5 and all(v == "variant not used" for _, v in classic),
          "classic tracepoints not judged on their merits: %r" % classic)
    check("biosnoop can run on this kernel" in out, "no verdict:\n%s" % out[-300:])
    check(tracefs_mounts() == host_before, "the host's tracefs mounts changed: %r -> %r" %
          (host_before, tracefs_mounts()))


def setpriv(args, cmd, timeout=ATTACH_TIMEOUT):
    p = run(["setpriv"] + args + cmd, timeout=timeout, ok=False)
    err = p.stderr.decode(errors="replace")
    check_no_sanitizer(err)
    return p.returncode, p.stdout.decode(errors="replace"), err


@test
def capabilities_not_uid_decide(stack):
    """Root (uid 0) without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN is refused up front, in
    one line naming exactly what is missing; the check reads capabilities, not the uid."""
    progs_before, links_before = our_bpf_objects()
    drop = ["--inh-caps=-all", "--bounding-set=-bpf,-perfmon,-sys_admin"]
    status, out, _ = setpriv(drop, ["sh", "-c", "id -u; grep CapEff /proc/self/status"])
    eff = int(out.split()[-1], 16)
    check(status == 0 and out.split()[0] == "0" and not eff & (1 << 21 | 1 << 38 | 1 << 39),
          "setpriv did not give uid 0 without the capabilities: %r" % out)
    cases = [
        ("-bpf,-perfmon,-sys_admin", "CAP_BPF and CAP_PERFMON"),
        ("-bpf,-sys_admin", "CAP_BPF"),
        ("-perfmon,-sys_admin", "CAP_PERFMON"),
    ]
    for bounding, missing in cases:
        status, out, err = setpriv(["--inh-caps=-all", "--bounding-set=" + bounding],
                                   [IOTRACE, "biosnoop", "-D", "1"])
        check(status == 1, "%s: exit %d, want 1: %r" % (bounding, status, err))
        check(out == "", "%s: stdout %r" % (bounding, out[:200]))
        check(err.count("\n") == 1 and err.startswith("biosnoop: error: tracing needs root or "
                                                      "the capabilities CAP_BPF and CAP_PERFMON")
              and "(missing: %s); this root lacks them" % missing in err,
              "%s: want one line saying %s is missing, got %r" % (bounding, missing, err))
    progs_after, links_after = our_bpf_objects()
    check(progs_after <= progs_before and links_after <= links_before, "BPF objects left behind")


@test
def cap_bpf_and_perfmon_suffice_without_root(stack):
    """The other half of "capabilities, not uid": uid 65534 with only CAP_BPF and CAP_PERFMON
    (ambient) passes the check and, as README and the error message promise, traces."""
    s = Scratch(stack)
    idle = idle_loop(stack, s)
    status, out, err = setpriv(["--reuid=65534", "--regid=65534", "--clear-groups",
                                "--inh-caps=-all,+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon"],
                               [IOTRACE, "biosnoop", "-D", "1", "-d", idle])
    check("tracing needs root" not in err, "the capability check refused CAP_BPF+CAP_PERFMON: %r"
          % err)
    first = err.strip().split("\n")[0]
    check(status == 0, "uid 65534 with CAP_BPF and CAP_PERFMON: exit %d, want 0; stderr "
          "(%d lines) begins %r" % (status, err.count("\n"), first[:300]))
    check(summary_of(err) == (0, 0), "summary %r" % last_line(err))
    check(out.startswith("TIME(s)"), "no table header: %r" % out[:100])


ZFSSLOWER_PROGRAMS = re.compile(r"^(fentry|fexit|kprobe|kretprobe)_"
                                r"(iter|aio|read|write|open|fsync)")


@test
def zfsslower_without_zfs_one_line(stack):
    """ZFS not loaded: zfsslower says so in one line, exit 1, before loading anything: no
    program, link, kprobe event or module is left behind, whatever the options."""
    zfs_loaded = os.path.exists("/sys/module/zfs")
    check(not zfs_loaded, "ZFS is loaded here: this test needs a machine without it")
    events_before = dynamic_events()
    progs = json.loads(run(["bpftool", "-j", "prog", "show"]).stdout or b"[]")
    before = {p["id"] for p in progs}
    line = ("zfsslower: error: ZFS is not loaded: no zfs module here (check with 'lsmod | grep "
            "zfs'; load it with 'modprobe zfs'), so there is nothing to trace\n")
    for args in ([], ["0", "--json", "-D", "1"], ["--backend=kprobe", "-j"], ["-v", "5"]):
        p = run([IOTRACE, "zfsslower"] + args, timeout=ATTACH_TIMEOUT, ok=False)
        err = p.stderr.decode(errors="replace")
        check_no_sanitizer(err)
        check(p.returncode == 1, "zfsslower %s: exit %d, want 1: %r" % (args, p.returncode, err))
        check(p.stdout == b"", "zfsslower %s: stdout %r" % (args, p.stdout[:200]))
        check(err == line, "zfsslower %s: want exactly %r, got %r" % (args, line, err))
        check_no_new_dynamic_events(events_before)
    progs = json.loads(run(["bpftool", "-j", "prog", "show"]).stdout or b"[]")
    left = [(q["id"], q.get("name")) for q in progs
            if q["id"] not in before and ZFSSLOWER_PROGRAMS.match(q.get("name", ""))]
    check(not left, "zfsslower programs left loaded: %r" % left)
    check(not os.path.exists("/sys/module/zfs"), "the zfs module got loaded")


# ---- hostile task names ----------------------------------------------------------------------

# Every one fits the kernel's 15 bytes. None holds a valid character U+0080..U+00FF, so in the
# decoded JSON any such character is an escaped byte (\u00NN): see json_comm_bytes().
HOSTILE_NAMES = [
    b"nl\nname",
    b"tab\tname",
    b"back\\slash",
    b'dq"uote',
    b"com,ma",
    b"inv\xff\xfe\xc3(\xd0\xb6",   # invalid bytes, a cut sequence, then a valid Cyrillic letter
    b'mix,"q"\\\x01\x7f',           # comma, quotes, backslash, SOH and DEL together
]


def escaped(raw, style):
    """What docs/biosnoop-json.md says iotrace prints for raw comm bytes. style "text" (table,
    CSV): control and invalid bytes as \\xNN, backslash doubled; "json": \\u00NN, and the
    double quote escaped too. Valid UTF-8 passes as it is."""
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        byte = o - 0xdc00 if 0xdc80 <= o <= 0xdcff else o if o < 0x20 or o == 0x7f else None
        if byte is not None:
            out.append(("\\u%04x" if style == "json" else "\\x%02x") % byte)
        elif ch == "\\":
            out.append("\\\\")
        elif ch == '"' and style == "json":
            out.append('\\"')
        else:
            out.append(ch)
    return "".join(out)


def text_bytes(s):
    """Back from the text escaping (table, CSV) to the bytes the kernel holds."""
    out, i = bytearray(), 0
    while i < len(s):
        if s.startswith("\\x", i) and re.fullmatch(r"[0-9a-f]{2}", s[i + 2:i + 4]):
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif s.startswith("\\\\", i):
            out.append(0x5c)
            i += 2
        else:
            check(s[i] != "\\", "a lone backslash in %r" % s)
            out += s[i].encode()
            i += 1
    return bytes(out)


def json_comm_bytes(s):
    """Back from a json.loads()-decoded comm to the bytes: \\u00NN escapes are bytes; every
    other character is UTF-8 (unambiguous for HOSTILE_NAMES, see there)."""
    return b"".join(bytes([ord(ch)]) if ord(ch) < 0x100 else ch.encode() for ch in s)


def control_bytes(out):
    return sorted({c for c in out if (c < 0x20 and c != 0x0a) or c == 0x7f})


def hostile_writers(stack, dev):
    return [Writer(stack, name, [[dev, "W", (i + 1) << 16, 4096]])
            for i, name in enumerate(HOSTILE_NAMES)]


@test
def hostile_names_stay_on_one_line_and_round_trip(stack):
    """Task names with a newline, a tab, a backslash, a double quote, a comma, invalid UTF-8
    and DEL: in the table no raw control byte and one line per request; --json lines all
    parse and each comm decodes back to the kernel's bytes; --csv parses into 14 fields per
    row and each comm decodes back too. All three are valid UTF-8."""
    s = Scratch(stack)
    dev = loop_device(stack, s.file("a.img", 32 << 20))
    disk = os.path.basename(dev)

    ws = hostile_writers(stack, dev)
    out, err = trace(stack, ["-d", disk], ws)
    check(not control_bytes(out), "raw control bytes in the table: %r" % control_bytes(out))
    out.decode("utf-8")  # strict: raises on invalid UTF-8
    # widths are in characters (a terminal's columns), so the columns line up in the text
    rows = parse_table(out.decode("utf-8"))
    check(len(rows) == summary_of(err)[0], "%d rows, %d events: a request spans lines" %
          (len(rows), summary_of(err)[0]))
    for w in ws:
        mine = [r for r in rows if int(r["PID"]) == w.pid]
        check(len(mine) == 1, "%r: %d rows" % (w.name, len(mine)))
        comm = mine[0]["COMM"]
        check(comm == escaped(w.name, "text"), "table COMM %r for %r, want %r" %
              (comm, w.name, escaped(w.name, "text")))
        check(text_bytes(comm) == w.name, "table COMM %r does not decode to %r" % (comm, w.name))

    ws = hostile_writers(stack, dev)
    out, err = trace(stack, ["-d", disk, "--json"], ws)
    check(not control_bytes(out), "raw control bytes in JSON: %r" % control_bytes(out))
    lines = out.decode("utf-8").split("\n")
    check(lines[-1] == "", "JSON does not end with a newline")
    records = parse_json_lines("\n".join(lines[:-1]))
    check(len(records) == len(lines) - 1, "blank JSON lines")
    check(records[-1]["record"] == "summary" and records[-1]["events"] == len(io_records(records)),
          "summary %r" % records[-1])
    for w in ws:
        mine = [(line, r) for line, r in zip(lines, records)
                if r["record"] == "io" and r["pid"] == w.pid]
        check(len(mine) == 1, "%r: %d io records" % (w.name, len(mine)))
        line, r = mine[0]
        raw = re.search(r'"comm":"((?:[^"\\]|\\.)*)"', line).group(1)
        check(raw == escaped(w.name, "json"), "JSON comm %s for %r, want %s" %
              (raw, w.name, escaped(w.name, "json")))
        check(json_comm_bytes(r["comm"]) == w.name, "JSON comm %r does not decode to %r" %
              (r["comm"], w.name))

    ws = hostile_writers(stack, dev)
    out, err = trace(stack, ["-d", disk, "--csv"], ws)
    check(not control_bytes(out), "raw control bytes in CSV: %r" % control_bytes(out))
    text = out.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    check(rows[0] == CSV_FIELDS, "CSV header %r" % rows[0])
    check(all(len(r) == len(CSV_FIELDS) for r in rows), "rows with the wrong field count: %r" %
          [r for r in rows if len(r) != len(CSV_FIELDS)])
    check(text.count("\n") == len(rows), "%d lines for %d CSV records: a record spans lines" %
          (text.count("\n"), len(rows)))
    check(len(rows) - 1 == summary_of(err)[0], "%d CSV rows, %d events" %
          (len(rows) - 1, summary_of(err)[0]))
    for w in ws:
        mine = [dict(zip(CSV_FIELDS, r)) for r in rows[1:] if r[3] == str(w.pid)]
        check(len(mine) == 1, "%r: %d CSV rows" % (w.name, len(mine)))
        comm = mine[0]["comm"]
        check(comm == escaped(w.name, "text"), "CSV comm %r for %r, want %r" %
              (comm, w.name, escaped(w.name, "text")))
        check(text_bytes(comm) == w.name, "CSV comm %r does not decode to %r" % (comm, w.name))


if __name__ == "__main__":
    sys.exit(livelib.cli(sys.argv[1:]))
