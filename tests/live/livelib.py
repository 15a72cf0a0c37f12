#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Shared pieces of the live tests: real BPF on this kernel, real I/O on loop devices.

The test modules (biosnoop_live.py, reliability_live.py) register their tests with @test;
tests/live/run.sh runs them all through this file:

    python3 livelib.py --modules biosnoop_live,reliability_live [TEST...]

and gets one PASS/FAIL line per test and one final "live: N passed, N failed, N skipped" line.
A test module run on its own (python3 biosnoop_live.py [TEST...]) runs only its tests. A test
that cannot run fails; one about something this machine does not have (raise Skip) says
SKIPPED with the reason and is counted as skipped, never passed. Everything a test creates (loop devices, backing files, cgroups, processes,
mount namespaces) is removed when it ends, however it ends: each piece registers its own
cleanup on the test's ExitStack.
"""

import contextlib
import fcntl
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

IOTRACE = os.environ.get("IOTRACE", "")
PIDFILE = os.environ.get("IOTRACE_LIVE_PIDFILE")  # run.sh ends what a crashed run left behind
WORK_PARENT = os.environ.get("IOTRACE_LIVE_DIR", "/var/tmp")
CGROUP2_ROOT = os.environ.get("IOTRACE_CGROUP2", "/sys/fs/cgroup/unified")
BLKIO_V1 = os.environ.get("IOTRACE_BLKIO", "/sys/fs/cgroup/blkio")  # SlowDisk's throttle
ATTACH_TIMEOUT = 90  # BPF load under ASan on a busy 2-core machine
STOP_TIMEOUT = 60
LOOP_CTL_ADD = 0x4C80
LOOP_CTL_REMOVE = 0x4C81

JSON_IO_FIELDS = {"record", "schema", "time_ns", "timestamp", "comm", "pid", "disk", "partition",
                  "dev_major", "dev_minor", "rwbs", "sector", "bytes", "queue_ns",
                  "latency_ns", "owner_at_issue", "pattern"}
JSON_SUMMARY_FIELDS = {"record", "schema", "time_ns", "events", "lost", "ringbuf_full", "inflight_full",
                       "issue_unseen", "done_missed", "stale", "merged", "probe_missed"}
JSON_LOST_FIELDS = {"record", "schema", "time_ns", "ringbuf_full", "inflight_full", "issue_unseen",
                    "done_missed", "stale", "merged", "probe_missed"}
CSV_FIELDS = ["time_ns", "timestamp", "comm", "pid", "disk", "partition", "dev_major",
              "dev_minor", "rwbs", "sector", "bytes", "queue_ns", "latency_ns",
              "owner_at_issue", "pattern"]
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:")


class Fail(Exception):
    pass


class Skip(Exception):
    """The machine lacks what the test is about (not a setup step that failed: that is a
    Fail). Reported as "SKIPPED name: reason" and counted apart, never as a pass."""


def started(p):
    if PIDFILE:
        with open(PIDFILE, "a") as f:
            f.write("%d\n" % p.pid)
    return p


def check(cond, reason):
    if not cond:
        raise Fail(reason)


def run(cmd, timeout=60, ok=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if ok and p.returncode != 0:
        raise Fail("%s failed (%d): %s" % (" ".join(cmd), p.returncode,
                                           p.stderr.decode(errors="replace").strip()))
    return p


# ---- the pieces a test is built from; each registers its own cleanup --------------------

class Scratch:
    """A directory on a real filesystem (direct I/O does not work on tmpfs)."""

    def __init__(self, stack):
        fstype = run(["stat", "-f", "-c", "%T", WORK_PARENT]).stdout.decode().strip()
        check(fstype != "tmpfs", "%s is tmpfs: direct I/O needs a real filesystem "
              "(set IOTRACE_LIVE_DIR)" % WORK_PARENT)
        self.dir = tempfile.mkdtemp(prefix="iotrace-live-", dir=WORK_PARENT)
        stack.callback(self._remove)

    def _remove(self):
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))  # files and symlinks only
        os.rmdir(self.dir)

    def file(self, name, size):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.truncate(size)
        return path


def detach_loop(dev):
    for _ in range(50):
        if subprocess.run(["losetup", "-d", dev], stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.1)


def loop_device(stack, backing, partitions=False):
    cmd = ["losetup", "-f", "--show", "--direct-io=on"] + (["-P"] if partitions else []) + [backing]
    dev = run(cmd).stdout.decode().strip()
    stack.callback(detach_loop, dev)
    return dev


def new_loop_number():
    """A loop device number the kernel does not have yet."""
    for n in range(64, 1000):
        if not os.path.exists("/sys/class/block/loop%d" % n):
            return n
    raise Fail("no free loop device number below 1000")


def create_loop_later(stack, backing):
    """Make a brand-new loop device (LOOP_CTL_ADD), as a disk hot-plugged after start-up."""
    n = new_loop_number()
    fd = os.open("/dev/loop-control", os.O_RDWR)
    try:
        fcntl.ioctl(fd, LOOP_CTL_ADD, n)
    finally:
        os.close(fd)

    def remove():
        fd = os.open("/dev/loop-control", os.O_RDWR)
        try:
            for _ in range(50):
                try:
                    fcntl.ioctl(fd, LOOP_CTL_REMOVE, n)
                    return
                except OSError:
                    time.sleep(0.1)
        finally:
            os.close(fd)
    stack.callback(remove)
    dev = "/dev/loop%d" % n
    for _ in range(50):
        if os.path.exists(dev):
            break
        time.sleep(0.1)
    run(["losetup", "--direct-io=on", dev, backing])
    stack.callback(detach_loop, dev)
    return dev


def partitioned_loop(stack, scratch):
    """64 MiB with p1 = sectors 2048..43007 and p2 = 43008..; returns (disk, p1 start, p1 size)."""
    img = scratch.file("parts.img", 64 << 20)
    layout = "label: dos\nstart=2048, size=40960, type=83\nstart=43008, size=40960, type=83\n"
    p = subprocess.run(["sfdisk", "--no-reread", "--no-tell-kernel", img], input=layout.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(p.returncode == 0, "sfdisk failed: %s" % p.stderr.decode(errors="replace").strip())
    dev = loop_device(stack, img, partitions=True)
    name = os.path.basename(dev)

    def appeared(seconds):
        for _ in range(int(seconds * 10)):
            if os.path.exists("/sys/class/block/%sp1" % name) and os.path.exists(dev + "p1"):
                return True
            time.sleep(0.1)
        return False
    # A kernel without partition table parsers (this one: no CONFIG_MSDOS_PARTITION) scans
    # nothing; partx reads the table itself and adds the partitions with BLKPG.
    if not appeared(1):
        run(["partx", "--add", dev])
        appeared(5)
    check(os.path.exists(dev + "p1"), "%sp1 did not appear after losetup -P" % dev)
    start = int(open("/sys/class/block/%sp1/start" % name).read())
    size = int(open("/sys/class/block/%sp1/size" % name).read())
    check((start, size) == (2048, 40960), "unexpected partition layout %d+%d" % (start, size))
    return dev, start, size


WRITER = r"""
import ctypes, fcntl, json, mmap, os, struct, sys, time
name = bytes.fromhex(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:  # PR_SET_NAME
    sys.exit("prctl failed")
ops = json.loads(sys.argv[2])
fds = {}
for dev, *_ in ops:
    if dev not in fds:
        fds[dev] = os.open(dev, os.O_RDWR | os.O_DIRECT)
print(os.getpid(), flush=True)
if sys.stdin.readline().strip() != "go":
    sys.exit(0)
starts, times = [], []  # each call's start and duration (CLOCK_MONOTONIC, as BPF's)
for dev, op, off, size, *repeat in ops:  # [dev, op, offset, size(, count)]; F: fsync
    buf = mmap.mmap(-1, size or 1)  # page-aligned, as O_DIRECT wants (fsync: unused)
    buf.write(bytes([0xa5]) * size)
    for i in range(repeat[0] if repeat else 1):
        t0 = time.monotonic_ns()
        if op == "F":
            os.fsync(fds[dev])
            n = size
        elif op == "Z":  # BLKZEROOUT (_IO(0x12, 127)): a write-zeroes request
            fcntl.ioctl(fds[dev], 0x127f, struct.pack("QQ", off + i * size, size))
            n = size
        elif op == "W":
            n = os.pwritev(fds[dev], [buf], off + i * size)
        else:
            n = os.preadv(fds[dev], [buf], off + i * size)
        if not repeat:
            starts.append(t0)
            times.append(time.monotonic_ns() - t0)
        if n != size:
            sys.exit("short %s at %d: %d" % (op, off + i * size, n))
print("done", json.dumps({"starts": starts, "times": times}), flush=True)
"""


class Writer:
    """A process named `name` (prctl) that does direct I/O [(dev, 'W'|'R', offset, size)] (or
    fsync: [dev, 'F', 0, 0]; BLKZEROOUT: [dev, 'Z', offset, size]) when told to go. It exists (for -p) before biosnoop starts. `name` is text, or bytes to give
    the kernel exactly those (invalid UTF-8, control bytes)."""

    def __init__(self, stack, name, ops):
        self.name = name
        self.ops = ops
        self.going = False
        raw = name if isinstance(name, bytes) else name.encode()
        self.p = started(subprocess.Popen([sys.executable, "-c", WRITER, raw.hex(),
                                           json.dumps(ops)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        stack.callback(self._kill)
        line = self.p.stdout.readline().decode().strip()
        if not line.isdigit():
            self.p.kill()
            raise Fail("writer did not start: %s" % self.p.stderr.read().decode(errors="replace"))
        self.pid = int(line)

    def start(self):
        """Let it go without waiting (several writers at once: go() each afterwards)."""
        if not self.going:
            self.p.stdin.write(b"go\n")
            self.p.stdin.flush()
            self.going = True

    def go(self, timeout=120):
        self.start()
        out, err = self.p.communicate(timeout=timeout)
        check(self.p.returncode == 0 and b"done" in out,
              "writer %s failed: %s" % (self.name, err.decode(errors="replace").strip()))
        # when each single (unrepeated) operation started (time.monotonic_ns()) and how many
        # nanoseconds it took, as the writer timed it
        timing = json.loads(out[out.find(b"done") + 4:])
        self.starts, self.times = timing["starts"], timing["times"]

    def _kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


class Fio:
    """fio's jobs as threads of one process whose PID is known before it starts (a shell that
    waits for "go", then execs fio: same PID), so -p and -c can name it before any I/O. Its
    own count of I/Os completed is the judge of how many requests were printed."""

    def __init__(self, stack, name, args, jobs=None):
        """args: one job's options; or with jobs (a list of option lists), the options all
        jobs share, and jobs name-0, name-1, ... each with its own."""
        check(shutil.which("fio"), "fio is not installed (scripts/deps.sh test installs it)")
        self.name = name
        script = 'echo $$; read go; [ "$go" = go ] || exit 0; exec fio "$@"'
        cmd = ["sh", "-c", script, "sh", "--thread", "--output-format=json"]
        if jobs is None:
            cmd += ["--name=" + name] + list(args)
        else:
            cmd += list(args)
            for i, job in enumerate(jobs):
                cmd += ["--name=%s-%d" % (name, i)] + list(job)
        self.p = started(subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        stack.callback(self._kill)
        line = self.p.stdout.readline().decode().strip()
        check(line.isdigit(), "fio wrapper did not start: %r" % line)
        self.pid = int(line)

    def start(self):
        self.p.stdin.write(b"go\n")
        self.p.stdin.flush()

    def result(self, timeout=120):
        """Wait for fio; its JSON report's first job."""
        return self.results(timeout)[0]

    def results(self, timeout=120):
        """Wait for fio; its JSON report's jobs."""
        out, err = self.p.communicate(timeout=timeout)
        check(self.p.returncode == 0, "fio %s failed (%d): %s" %
              (self.name, self.p.returncode, err.decode(errors="replace").strip()[-500:]))
        try:
            report = json.loads(out[out.find(b"{"):])
        except ValueError as e:
            raise Fail("fio %s: no JSON report (%s): %r" % (self.name, e, out[:300]))
        return report["jobs"]

    def _kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def set_scheduler(dev, name):
    """Give loopN this I/O scheduler and check that it took."""
    path = "/sys/block/%s/queue/scheduler" % os.path.basename(dev)
    with open(path, "w") as f:
        f.write(name)
    now = open(path).read()
    check("[%s]" % name in now, "%s: scheduler %r did not take (%s)" % (dev, name, now.strip()))


class Cgroup:
    def __init__(self, stack):
        check(os.path.isdir(CGROUP2_ROOT), "no cgroup v2 at %s" % CGROUP2_ROOT)
        self.path = tempfile.mkdtemp(prefix="iotrace-live-", dir=CGROUP2_ROOT)
        stack.callback(self._remove)

    def add(self, pid):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def _remove(self):
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)


class SlowDisk:
    """A loop device whose reads take a known time: .dev (loopU) has another loop device
    (loopL) as its backing file, and blk-throttle holds loopL to `iops` reads a second for one
    cgroup. The loop worker submits loopL's I/O charged to the cgroup of the task that queued
    the request on loopU (so it is on 6.18), hence a reader put in with add(pid) waits about
    1/iops s for each read, all of it between loopU's issue and completion. Readers outside
    the cgroup are not slowed. The throttle is cgroup v1's blkio.throttle where the blkio
    controller is mounted there (IOTRACE_BLKIO, default /sys/fs/cgroup/blkio), else cgroup
    v2's io.max (the io controller must be enabled in IOTRACE_CGROUP2's subtree_control)."""

    def __init__(self, stack, scratch, iops, size=64 << 20, uppers=1):
        self.lower = loop_device(stack, scratch.file("slow-lower.img", size))
        self.devs = [loop_device(stack, self.lower) for _ in range(uppers)]  # all over loopL
        self.dev = self.devs[0]
        rdev = os.stat(self.lower).st_rdev
        target = "%d:%d" % (os.major(rdev), os.minor(rdev))
        if os.path.exists(os.path.join(BLKIO_V1, "blkio.throttle.read_iops_device")):
            parent, limit = BLKIO_V1, "blkio.throttle.read_iops_device"
            on, off = "%s %d" % (target, iops), "%s 0" % target
        else:
            control = os.path.join(CGROUP2_ROOT, "cgroup.subtree_control")
            check(os.path.exists(control) and "io" in open(control).read().split(),
                  "no blk-throttle to make a slow device: no cgroup v1 blkio at %s and the io "
                  "controller is not enabled in %s" % (BLKIO_V1, control))
            parent, limit = CGROUP2_ROOT, "io.max"
            on, off = "%s riops=%d" % (target, iops), "%s riops=max" % target
        self.cgroup = tempfile.mkdtemp(prefix="iotrace-live-", dir=parent)
        stack.callback(self._remove)
        self.limit = os.path.join(self.cgroup, limit)
        self.off = off
        with open(self.limit, "w") as f:
            f.write(on)
        stack.callback(self._unlimit, off)  # runs first: what is held back drains at once
        check(target in open(self.limit).read(), "%s: the limit did not take" % self.limit)

    def add(self, pid):
        with open(os.path.join(self.cgroup, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def unthrottle(self):
        """Lift the limit now: what it holds back completes at once."""
        self._unlimit(self.off)

    def _unlimit(self, off):
        try:
            with open(self.limit, "w") as f:
                f.write(off)
        except OSError:
            pass

    def _remove(self):
        for _ in range(100):
            try:
                os.rmdir(self.cgroup)
                return
            except OSError:
                time.sleep(0.1)


class Biosnoop:
    """`iotrace biosnoop -v ARGS` in the background; output collected as it comes. `prefix`
    runs it through another command that ends by exec'ing it (unshare, setpriv), so the
    process is still biosnoop and signals reach it."""

    def __init__(self, stack, args, hold_stdout=False, prefix=(), env=None):
        self.args = ["biosnoop", "-v"] + list(args)
        self.drain = threading.Event()  # stdout is read only once this is set
        if not hold_stdout:
            self.drain.set()
        self.p = started(subprocess.Popen(list(prefix) + [IOTRACE] + self.args,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          env=dict(os.environ, **(env or {}))))
        stack.callback(self._kill)
        self.out = bytearray()
        self.err = bytearray()
        self.lock = threading.Lock()
        self.readers = [threading.Thread(target=self._pump, args=(self.p.stdout, self.out)),
                        threading.Thread(target=self._pump, args=(self.p.stderr, self.err))]
        for t in self.readers:
            t.daemon = True
            t.start()
        self.started = time.monotonic()

    def _pump(self, pipe, buf):
        if buf is self.out:
            self.drain.wait()
        while True:
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                return
            with self.lock:
                buf.extend(chunk)

    def stdout(self):
        with self.lock:
            return bytes(self.out)

    def stderr(self):
        with self.lock:
            return bytes(self.err).decode(errors="replace")

    def wait_attached(self):
        deadline = time.monotonic() + ATTACH_TIMEOUT
        while time.monotonic() < deadline:
            if "tracing" in self.stderr():
                return
            if self.p.poll() is not None:
                for t in self.readers:
                    t.join(5)
                raise Fail("biosnoop %s exited (%d) before tracing: %s" %
                           (" ".join(self.args), self.p.returncode, self.stderr().strip()))
            time.sleep(0.05)
        raise Fail("biosnoop did not say 'tracing' within %d s" % ATTACH_TIMEOUT)

    def stop(self, expect_status=0, sig=signal.SIGINT):
        """Signal (SIGINT unless told), wait, check the exit status and that no sanitizer
        spoke; (stdout bytes, stderr text)."""
        self.drain.set()
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            self.p.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Fail("biosnoop did not stop within %d s of %s" % (STOP_TIMEOUT,
                                                                    signal.Signals(sig).name))
        for t in self.readers:
            t.join(10)
        err = self.stderr()
        check_no_sanitizer(err)
        check(self.p.returncode == expect_status,
              "biosnoop %s exited %d, want %d: %s" % (" ".join(self.args), self.p.returncode,
                                                     expect_status, err.strip()[-600:]))
        return self.stdout(), err

    def _kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def check_no_sanitizer(err):
    for mark in SANITIZER_MARKS:
        check(mark not in err, "sanitizer report on stderr: %s" % err[err.find(mark) - 200:][:1200])


def trace(stack, args, writers, settle=0.5):
    """Start biosnoop, wait until attached, let every writer go, stop; (stdout, stderr)."""
    b = Biosnoop(stack, args)
    b.wait_attached()
    for w in writers:
        w.go()
    time.sleep(settle)  # completions are already in the ring buffer; this is for stragglers
    return b.stop()


def iotrace(args, timeout=120):
    p = subprocess.run([IOTRACE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    err = p.stderr.decode(errors="replace")
    check_no_sanitizer(err)
    return p.returncode, p.stdout.decode(errors="replace"), err


# ---- reading the output ---------------------------------------------------------------------

TABLE_RIGHT = {"PID", "SECTOR", "BYTES", "QUE(ms)", "LAT(ms)"}


def parse_table(text):
    """Rows as dicts keyed by header names; checks that every row lines up under the header
    above it (left-aligned columns start there, right-aligned ones end there)."""
    rows = []
    header = None
    for line in text.splitlines():
        check(not line.endswith(" "), "trailing blank in %r" % line)
        cols = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", line)]
        if line.startswith("TIME"):
            header = cols
            continue
        check(header is not None, "row before any header: %r" % line)
        check(len(cols) == len(header), "row has %d columns, header %d: %r" %
              (len(cols), len(header), line))
        row = {}
        for (hs, he, name), (s, e, value) in zip(header, cols):
            if name in TABLE_RIGHT:
                check(e == he, "%s not right-aligned under its header: %r" % (name, line))
            else:
                check(s == hs, "%s not left-aligned under its header: %r" % (name, line))
            row[name] = value
        rows.append(row)
    check(header is not None, "no header line in %r" % text[:200])
    return rows


def parse_json_lines(text):
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError as e:
            raise Fail("not JSON (%s): %r" % (e, line))
    return records


def kernel_excused(summary_line):
    """How many of a summary line's losses the kernel's own skips account for: its "N missed
    by kernel probes" plus at most N of its "M ended without a seen completion" (a skipped
    completion leaves its entry behind, counted again when the request struct is reused).
    The same rule as the VM tier's kexcuse (tests/vm/guest/iotrace.sh)."""
    def count(words):
        m = re.search(r"[(, ](\d+) %s" % words, summary_line)
        return int(m.group(1)) if m else 0
    missed = count("missed by kernel probes")
    return missed + min(missed, count("ended without a seen completion"))


def io_records(records):
    return [r for r in records if r.get("record") == "io"]


def expect_ops(events, writer, disk, key_sector="sector", key_bytes="bytes", key_type="type",
               key_comm="comm", key_pid="pid", key_disk="disk"):
    """Each of the writer's operations (on whole disks) appears exactly once, with the right
    facts; the writer did nothing else. events: dicts with str or int values."""
    # the writer's other I/O (its interpreter reading files from the root disk) is not ours
    everywhere = [e for e in events if int(e[key_pid]) == writer.pid]
    mine = [e for e in everywhere if e[key_disk] == disk]
    for dev, op, off, size in writer.ops:
        sector = off // 512
        hits = [e for e in mine if int(e[key_sector]) == sector and int(e[key_bytes]) == size
                and first_op(e[key_type]) == op]
        check(len(hits) == 1, "%s %s %d bytes at sector %d of %s: seen %d times in %r" %
              (writer.name, op, size, sector, disk, len(hits), everywhere))
        e = hits[0]
        check(e[key_comm] == writer.name, "comm %r, want %r" % (e[key_comm], writer.name))
    check(len(mine) == len(writer.ops), "writer %s has %d events on %s, did %d operations: %r" %
          (writer.name, len(mine), disk, len(writer.ops), mine))
    return mine


def first_op(rwbs):
    """The operation letter of an rwbs string: F before it is a preflush."""
    letters = rwbs.lstrip("F") or "F"
    return letters[0]




# ---- tests are registered here, whichever module defines them -------------------------------

TESTS = []


def test(fn):
    check(fn.__name__ not in {t.__name__ for t in TESTS}, "two tests named %s" % fn.__name__)
    TESTS.append(fn)
    return fn


def standard_ops(dev):
    return [[dev, "W", 1 << 20, 4096], [dev, "W", 2 << 20, 8192], [dev, "W", 3 << 20, 65536],
            [dev, "R", 1 << 20, 4096], [dev, "R", 3 << 20, 65536]]


# ---- BPF objects --------------------------------------------------------------------------------

OUR_PROGRAMS = re.compile(r"^(tp_btf|raw_tp|fentry|kprobe|tp)_(io|rq|acct|start)")


def our_bpf_objects():
    """IDs of loaded programs named like biosnoop's, and of links to them."""
    progs = json.loads(run(["bpftool", "-j", "prog", "show"]).stdout or b"[]")
    mine = {p["id"] for p in progs if OUR_PROGRAMS.match(p.get("name", ""))}
    links = json.loads(run(["bpftool", "-j", "link", "show"]).stdout or b"[]")
    return mine, {l["id"] for l in links if l.get("prog_id") in mine}




def process_bpf_ids(pid):
    """{"prog": ids, "link": ids, "map": ids} of the BPF objects a process holds, from its
    fdinfo (Debian's bpftool has no pid column). A link's fdinfo names its program too."""
    ids = {"prog": set(), "link": set(), "map": set()}
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("prog_id", "link_id", "map_id"):
                        ids[key[:-3]].add(int(value))
        except OSError:
            pass  # closed meanwhile
    return ids


def process_map_ids(pid):
    """IDs of the BPF maps a process holds."""
    return sorted(process_bpf_ids(pid)["map"])


# ---- running the tests ------------------------------------------------------------------

interrupted = []


def main(names):
    only = set(names)
    passed = failed = skipped = 0
    if os.geteuid() != 0:
        problem = "needs root"
    elif not (IOTRACE and os.access(IOTRACE, os.X_OK)):
        problem = "IOTRACE=%r is not an executable" % IOTRACE
    else:
        problem = None
    unknown = only - {fn.__name__ for fn in TESTS}
    for name in sorted(unknown):
        print("FAIL %s: no such test" % name, flush=True)
        failed += 1
    for fn in TESTS:
        if only and fn.__name__ not in only:
            continue
        if interrupted:
            break
        try:
            if problem:
                raise Fail(problem)
            with contextlib.ExitStack() as stack:
                fn(stack)
            print("PASS %s" % fn.__name__, flush=True)
            passed += 1
        except Skip as e:
            print("SKIPPED %s: %s" % (fn.__name__, e), flush=True)
            skipped += 1
        except Fail as e:
            print("FAIL %s: %s" % (fn.__name__, e), flush=True)
            failed += 1
        except KeyboardInterrupt:  # SIGINT, or SIGTERM/SIGHUP below: cleanup has run
            print("FAIL %s: interrupted" % fn.__name__, flush=True)
            failed += 1
            interrupted.append(fn.__name__)
        except Exception as e:  # a broken test is a failed test
            tb = traceback.extract_tb(e.__traceback__)[-1]
            print("FAIL %s: %s: %s (%s:%d)" % (fn.__name__, type(e).__name__, e,
                                               os.path.basename(tb.filename), tb.lineno),
                  flush=True)
            failed += 1
    print("live: %d passed, %d failed, %d skipped" % (passed, failed, skipped), flush=True)
    return 1 if failed else 0


def on_signal(sig, frame):
    raise KeyboardInterrupt  # unwinds every ExitStack: cleanup runs


def cli(argv):
    """[--modules a,b] [TEST...]: import the modules (registering their tests), run."""
    if argv[:1] == ["--modules"] and len(argv) > 1:
        for name in argv[1].split(","):
            importlib.import_module(name)
        argv = argv[2:]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    return main(argv)


if __name__ == "__main__":
    # run as a script this file is __main__; the test modules import "livelib": use that one
    import livelib
    sys.exit(livelib.cli(sys.argv[1:]))
