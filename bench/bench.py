#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""iotrace performance benchmark: iotrace biosnoop side by side with bpftrace and a floor.

Run it through bench/run.sh (installs fio/bpftrace, builds iotrace and the floor program),
as root. It sets up its own workload -- a loop device over a file on a private tmpfs, read
with fio (4k random, direct, libaio, iodepth 32, one job) -- and measures, in one run:

  start-up   exec until the header line is on stdout (biosnoop prints it only once its probes
             are attached), median of --startup-runs runs, idle, configurations alternating
  overhead   fio IOPS untraced and under each tracer, configurations alternating, rotated each
             round, --rounds rounds of --runtime seconds; events delivered and lost; peak
             RSS (VmHWM) of the tracer at the end of each traced run; its CPU time
  in-kernel  with kernel.bpf_stats_enabled=1: run_time_ns / run_cnt of each of the tracer's
             BPF programs (bpftool), summed per I/O; iotrace against the floor program

It prints one table of medians and ratios and writes the same as JSON. Every exit path
(error, Ctrl-C, SIGTERM) detaches the loop device, unmounts the tmpfs, stops the processes
it started and restores the sysctl; every child runs under a time bound.
"""

import argparse
import json
import os
import platform
import re
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Targets from issue 8 (this machine, measured side by side in one run).
TARGET_STARTUP_MS = 30.0
TARGET_RSS_MB = 8.0
TARGET_DROP_TABLE = 0.10
TARGET_DROP_JSON = 0.15
TARGET_KERNEL_RATIO = 2.0
TARGET_BIOLATENCY_ABOVE_FLOOR = 0.02  # issue 16

CONFIG_ORDER = ["baseline", "iotrace", "iotrace-json", "bpftrace", "iotrace-biolatency",
                "bpftrace-biolatency", "floor"]
CONFIG_LABEL = {
    "baseline": "untraced",
    "iotrace": "iotrace biosnoop",
    "iotrace-json": "iotrace biosnoop --json",
    "bpftrace": "bpftrace biosnoop.bt",
    "iotrace-biolatency": "iotrace biolatency",
    "bpftrace-biolatency": "bpftrace biolatency.bt",
    "floor": "floor (timestamp+submit)",
    "floor-map": "floor + hash insert/lookup+delete",
    "floor-map-issue": "floor + hash + issue lookup",
    "floor-slots-issue": "floor + slot array (cmpxchg) + issue lookup",
}
FLOOR_DECOMPOSITION = ["floor-map", "floor-map-issue", "floor-slots-issue"]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run(cmd, timeout=60, check=True, **kw):
    return subprocess.run(cmd, timeout=timeout, check=check, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Interrupted(Exception):
    pass


class Bench:
    def __init__(self, args):
        self.args = args
        self.procs = []          # Popen objects we started and may still have to stop
        self.mountpoint = None
        self.loop = None
        self.sysctl_saved = None
        self.deadline = time.monotonic() + args.max_minutes * 60
        self.results = {"runs": [], "startup": {}, "kernel": []}

    # ---- cleanup ----------------------------------------------------------------------

    def stop_proc(self, p, timeout=15):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in list(self.procs):
            try:
                self.stop_proc(p, timeout=5)
            except Exception as e:  # keep cleaning up
                log(f"cleanup: process {p.pid}: {e}")
        self.restore_sysctl()
        if self.loop:
            subprocess.run(["losetup", "-d", self.loop], timeout=30, check=False)
            self.loop = None
        if self.mountpoint:
            for _ in range(5):
                if subprocess.run(["umount", self.mountpoint], timeout=30,
                                  check=False).returncode == 0:
                    break
                time.sleep(0.5)
            try:
                os.rmdir(self.mountpoint)
            except OSError as e:
                log(f"cleanup: {self.mountpoint}: {e}")
            self.mountpoint = None

    # ---- kernel.bpf_stats_enabled --------------------------------------------------------

    SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"

    def enable_stats(self):
        with open(self.SYSCTL) as f:
            self.sysctl_saved = f.read().strip()
        with open(self.SYSCTL, "w") as f:
            f.write("1")

    def restore_sysctl(self):
        if self.sysctl_saved is not None:
            with open(self.SYSCTL, "w") as f:
                f.write(self.sysctl_saved)
            self.sysctl_saved = None

    # ---- workload -----------------------------------------------------------------------

    def setup_device(self):
        a = self.args
        self.mountpoint = tempfile.mkdtemp(prefix="iotrace-bench.")
        run(["mount", "-t", "tmpfs", "-o", f"size={a.size_mb + 64}m", "iotrace-bench",
             self.mountpoint])
        img = os.path.join(self.mountpoint, "disk.img")
        chunk = b"\xa5" * (1 << 20)  # real pages, not holes
        with open(img, "wb") as f:
            for _ in range(a.size_mb):
                f.write(chunk)
        self.loop = run(["losetup", "--find", "--show", "--direct-io=on", img]).stdout.strip()
        name = os.path.basename(self.loop)
        sched = f"/sys/block/{name}/queue/scheduler"
        try:
            with open(sched, "w") as f:
                f.write(a.scheduler)
        except OSError as e:
            log(f"cannot set {sched} to {a.scheduler}: {e}")
        with open(sched) as f:
            text = f.read()
        m = re.search(r"\[(\S+)\]", text)
        self.scheduler = m.group(1) if m else text.strip()
        log(f"workload device {self.loop} (direct I/O over tmpfs, {a.size_mb} MiB, "
            f"scheduler {self.scheduler})")

    def fio_cmd(self, runtime):
        a = self.args
        return ["fio", "--name=bench", f"--filename={self.loop}", "--rw=randread", "--bs=4k",
                "--direct=1", "--ioengine=libaio", f"--iodepth={a.iodepth}", "--numjobs=1",
                "--norandommap", "--randrepeat=0", "--time_based", f"--ramp_time={a.ramp}",
                f"--runtime={runtime}", "--output-format=json"]

    @staticmethod
    def busy_seconds():
        """CPU time the whole machine spent busy (user, nice, system, irq, softirq)."""
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:8]]
        return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")

    def run_fio(self, runtime):
        self.check_deadline()
        cpu0, t0, busy0 = self.user_cpu_snapshot(), time.monotonic(), self.busy_seconds()
        p = subprocess.Popen(self.fio_cmd(runtime), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(p)
        try:
            out, err = p.communicate(timeout=runtime + self.args.ramp + 60)
        except subprocess.TimeoutExpired:
            self.stop_proc(p)
            raise RuntimeError("fio did not finish in time")
        self.procs.remove(p)
        if p.returncode != 0:
            raise RuntimeError(f"fio failed ({p.returncode}): {err.strip()[-500:]}")
        out = out[out.find("{"):]  # fio may print notes before the JSON
        job = json.loads(out)["jobs"][0]
        ours = {p.pid} | {q.pid for q in self.procs}
        busy = self.busy_seconds() - busy0
        seconds = time.monotonic() - t0
        fcpu, top = self.foreign_cpu(cpu0, self.user_cpu_snapshot(), seconds, ours)
        ios = job["read"]["total_ios"]
        # the machine's busy time less other processes' (fio, the tracer, the loop worker,
        # interrupts, BPF programs remain), per I/O: robust to a busy neighbour
        ours_ns = max(busy - fcpu * seconds, 0) * 1e9
        return {"iops": job["read"]["iops"], "ios": ios,
                "fio_usr_cpu": job["usr_cpu"], "fio_sys_cpu": job["sys_cpu"],
                "foreign_cpu": fcpu, "foreign_top": top,
                "cpu_ns_per_io": ours_ns / ios if ios else None}

    def check_deadline(self):
        if time.monotonic() > self.deadline:
            raise RuntimeError(f"the benchmark ran past --max-minutes {self.args.max_minutes}")

    # ---- tracers ------------------------------------------------------------------------

    def tracer_cmd(self, config, for_startup=False):
        a = self.args
        if config == "iotrace":
            return [a.iotrace, "biosnoop"]
        if config == "iotrace-json":
            return [a.iotrace, "biosnoop", "--json"]
        if config == "floor":
            return [a.floor]
        if config == "floor-map":
            return [a.floor, "--map"]
        if config == "floor-map-issue":
            return [a.floor, "--map", "--issue"]
        if config == "floor-slots-issue":
            return [a.floor, "--slots", "--issue"]
        if config.startswith("alt:"):
            name = config[4:]
            return [a.alt[name], "biosnoop"] + (["--json"] if name.endswith("-json") else [])
        if config == "iotrace-biolatency":
            return [a.iotrace, "biolatency"]
        if config == "bpftrace-biolatency":
            return [a.bpftrace, "-B", "full", os.path.join(HERE, "biolatency.bt")]
        if config == "bpftrace":
            # line-buffered when timing the header; fully buffered (its cheapest) otherwise
            return [a.bpftrace, "-B", "line" if for_startup else "full",
                    os.path.join(HERE, "biosnoop.bt")]
        raise ValueError(config)

    def configs(self):
        c = ["baseline", "iotrace", "iotrace-json"]
        if self.args.bpftrace:
            c.append("bpftrace")
        c.append("iotrace-biolatency")
        if self.args.bpftrace:
            c.append("bpftrace-biolatency")
        c.append("floor")
        c += [f"alt:{n}" for n in self.args.alt]
        return c

    def start_tracer(self, config, errfile):
        """Start with stdout to /dev/null; return once its probes are attached."""
        p = subprocess.Popen(self.tracer_cmd(config), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=errfile, start_new_session=True)
        self.procs.append(p)
        limit = time.monotonic() + 30
        while time.monotonic() < limit:
            if p.poll() is not None:
                errfile.seek(0)
                raise RuntimeError(f"{config} exited ({p.returncode}) before attaching: "
                                   f"{errfile.read()[-500:]}")
            if self.attached(config, p.pid, errfile):
                return p
            time.sleep(0.005)
        self.stop_proc(p)
        raise RuntimeError(f"{config} did not attach within 30 s")

    def attached(self, config, pid, errfile):
        """block_io_start and a completion tracepoint hooked by pid, as the kernel sees it
        (iotrace completes at block_rq_complete: block_io_done skips NVMe batches)."""
        hooked = self.hooked_tracepoints(pid)
        return "block_io_start" in hooked and bool({"block_io_done", "block_rq_complete"} & hooked)

    @staticmethod
    def fdinfo_values(pid, key):
        """The values of `key:` lines in the fdinfo of every descriptor of pid."""
        values = set()
        try:
            for fd in os.listdir(f"/proc/{pid}/fdinfo"):
                try:
                    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                        for line in f:
                            if line.startswith(key + ":"):
                                values.add(line.split()[1])
                except (OSError, IndexError):
                    pass
        except OSError:
            pass
        return values

    @staticmethod
    def hooked_tracepoints(pid):
        # tp_btf / raw_tp links (iotrace, floor): the link's fdinfo names the tracepoint
        names = Bench.fdinfo_values(pid, "tp_name")
        if names:
            return names
        # classic tracepoints through perf events (bpftrace): bpftool lists them with the pid
        try:
            for e in json.loads(run(["bpftool", "perf", "list", "-j"], timeout=10).stdout or "[]"):
                if e.get("pid") == pid and e.get("tracepoint"):
                    names.add(e["tracepoint"])
        except (subprocess.SubprocessError, ValueError):
            pass
        return names

    @staticmethod
    def proc_status(pid):
        out = {}
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("VmHWM", "VmRSS"):
                        out[k] = int(v.split()[0])  # kB
        except OSError:
            pass
        return out

    @staticmethod
    def cpu_seconds(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    @staticmethod
    def user_cpu_snapshot():
        """CPU seconds of every user-space process: pid -> (comm, seconds)."""
        snap, tck = {}, os.sysconf("SC_CLK_TCK")
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    head, _, rest = f.read().rpartition(")")
                fields = rest.split()
                if int(fields[6]) & 0x00200000:  # PF_KTHREAD
                    continue
                snap[int(pid)] = (head.partition("(")[2],
                                  (int(fields[11]) + int(fields[12])) / tck)
            except (OSError, IndexError, ValueError):
                pass
        return snap

    def foreign_cpu(self, before, after, seconds, ours):
        """CPU used by processes other than this benchmark's, in cores, and the top ones."""
        me = os.getpid()
        use = []
        for pid, (comm, t) in after.items():
            if pid in ours or pid == me:
                continue
            d = t - before.get(pid, (comm, 0.0))[1]
            if d > 0:
                use.append((d / seconds, f"{comm}[{pid}]"))
        use.sort(reverse=True)
        return sum(u for u, _ in use), [f"{n} {u:.2f}" for u, n in use[:3] if u >= 0.05]

    @staticmethod
    def prog_ids(pid):
        return {int(v) for v in Bench.fdinfo_values(pid, "prog_id")}

    @staticmethod
    def all_progs():
        try:
            return {p["id"]: p for p in json.loads(run(["bpftool", "prog", "show", "-j"],
                                                       timeout=30).stdout or "[]")}
        except (subprocess.SubprocessError, ValueError):
            return {}

    @staticmethod
    def parse_counts(config, text):
        """(events, lost) from the tracer's stderr, None where it does not say."""
        if config.startswith("iotrace") or config.startswith("alt:"):
            m = re.findall(r"(\d+) events?, (\d+) lost", text)
            if m:
                return int(m[-1][0]), int(m[-1][1])
            return None, None
        if config == "floor":
            m = re.search(r"floor: (\d+) events, (\d+) lost", text)
            return (int(m.group(1)), int(m.group(2))) if m else (None, None)
        if config.startswith("bpftrace"):
            lost = sum(int(x) for x in re.findall(r"Lost (\d+) events", text))
            return None, lost
        return None, None

    def measure(self, config, runtime, stats=False):
        """One fio run under config; returns a result dict."""
        res = {"config": config, "runtime_s": runtime}
        if config == "baseline":
            before = self.all_progs() if stats else None
            res.update(self.run_fio(runtime))
            if stats:
                res["foreign"] = self.foreign_programs(before, self.all_progs(), res["ios"])
            return res
        with tempfile.TemporaryFile("w+") as errfile:
            p = self.start_tracer(config, errfile)
            try:
                time.sleep(0.2)
                # the peak so far is start-up's (BTF parsing, program loads); reset it so
                # that the peak of the tracing phase alone is measured too
                res["vmhwm_startup_kb"] = self.proc_status(p.pid).get("VmHWM")
                try:
                    with open(f"/proc/{p.pid}/clear_refs", "w") as f:
                        f.write("5")
                except OSError:
                    pass
                cpu0, t0 = self.cpu_seconds(p.pid), time.monotonic()
                res.update(self.run_fio(runtime))
                cpu1, t1 = self.cpu_seconds(p.pid), time.monotonic()
                st = self.proc_status(p.pid)
                res["vmhwm_tracing_kb"] = st.get("VmHWM")
                res["vmrss_kb"] = st.get("VmRSS")
                res["vmhwm_kb"] = max(x for x in (res["vmhwm_startup_kb"],
                                                  res["vmhwm_tracing_kb"], 0) if x is not None)
                if cpu0 is not None and cpu1 is not None:
                    res["tracer_cpu"] = (cpu1 - cpu0) / (t1 - t0)
                if stats:
                    ids = self.prog_ids(p.pid)
                    progs = self.all_progs()
                    res["progs"] = [{"id": i, "name": progs[i].get("name"),
                                     "run_cnt": progs[i].get("run_cnt", 0),
                                     "run_time_ns": progs[i].get("run_time_ns", 0)}
                                    for i in sorted(ids) if i in progs]
            finally:
                self.stop_proc(p)
            errfile.seek(0)
            err = errfile.read()
        res["exit"] = p.returncode
        res["events"], res["lost"] = self.parse_counts(config, err)
        # which kind of loss, as the tracer itemised it on its last line
        detail = re.findall(r"\d+ lost \(([^)]*)\)", err)
        if detail:
            res["lost_detail"] = detail[-1]
        res["summary"] = next((l for l in reversed(err.splitlines()) if " events" in l), None)
        if config.startswith("bpftrace") and res["lost"] == 0 and "Lost" not in err:
            res["lost"] = 0
        if p.returncode not in (0, None) and not config.startswith("bpftrace"):
            res["stderr_tail"] = err[-400:]
        return res

    def foreign_programs(self, before, after, ios):
        """BPF programs of other processes that ran about once per I/O during a run."""
        out = []
        for i, p in after.items():
            cnt = p.get("run_cnt", 0) - before.get(i, {}).get("run_cnt", 0)
            if ios and cnt >= ios // 2:
                t = p.get("run_time_ns", 0) - before.get(i, {}).get("run_time_ns", 0)
                out.append({"id": i, "name": p.get("name"), "runs_per_io": cnt / ios,
                            "ns_per_run": t / cnt if cnt else None,
                            "owner": self.prog_owner(i)})
        return out

    @staticmethod
    def prog_owner(prog_id):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            if prog_id in Bench.prog_ids(pid):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                except OSError:
                    cmd = "?"
                return f"pid {pid}: {cmd[:80]}"
        return None

    # ---- phases -------------------------------------------------------------------------

    def wait_quiet(self):
        """Wait (up to --wait-quiet seconds) until other processes use < 0.2 CPUs for 5 s."""
        limit = time.monotonic() + self.args.wait_quiet
        while True:
            a, t0 = self.user_cpu_snapshot(), time.monotonic()
            time.sleep(5)
            used, top = self.foreign_cpu(a, self.user_cpu_snapshot(), time.monotonic() - t0,
                                         set())
            if used < 0.2:
                log(f"machine quiet (other processes: {used:.2f} CPUs)")
                return
            if time.monotonic() > limit:
                log(f"machine still busy after {self.args.wait_quiet} s ({used:.2f} CPUs: "
                    f"{', '.join(top)}): measuring anyway")
                return
            log(f"waiting for a quiet machine: other processes use {used:.2f} CPUs "
                f"({', '.join(top)})")

    def startup_once(self, config):
        cmd = self.tracer_cmd(config, for_startup=True)
        want = {"iotrace": b"TIME(s)", "bpftrace": b"TIME(ms)", "floor": b"FLOOR"}.get(
            config, b"TIME(s)")
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(p)
        try:
            buf = b""
            sel = selectors.DefaultSelector()
            sel.register(p.stdout, selectors.EVENT_READ)
            limit = time.monotonic() + 30
            while True:
                nl = buf.find(b"\n")
                while nl >= 0:
                    line, buf = buf[:nl], buf[nl + 1:]
                    if line.startswith(want):
                        return (time.perf_counter_ns() - t0) / 1e6
                    nl = buf.find(b"\n")
                left = limit - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{config}: no header within 30 s")
                if sel.select(left):
                    chunk = os.read(p.stdout.fileno(), 65536)
                    if not chunk:
                        raise RuntimeError(f"{config} exited ({p.wait(5)}) before its header")
                    buf += chunk
        finally:
            self.stop_proc(p)
            p.stdout.close()

    def phase_startup(self):
        configs = ["iotrace", "floor"] + (["bpftrace"] if self.args.bpftrace else []) + [
            f"alt:{n}" for n in self.args.alt if not n.endswith("-json")]
        times = {c: [] for c in configs}
        log(f"start-up: {self.args.startup_runs} runs of {', '.join(configs)}, alternating")
        for i in range(self.args.startup_runs):
            self.check_deadline()
            for c in configs[i % len(configs):] + configs[:i % len(configs)]:
                times[c].append(self.startup_once(c))
                time.sleep(0.1)
        self.results["startup"] = {c: {"runs_ms": v, "median_ms": median(v)}
                                   for c, v in times.items()}
        for c, v in times.items():
            log(f"  {c}: median {median(v):.1f} ms (min {min(v):.1f}, max {max(v):.1f})")

    def phase_overhead(self):
        configs = self.configs()
        log(f"overhead: {self.args.rounds} rounds x {len(configs)} configurations x "
            f"{self.args.runtime} s fio, alternating")
        for r in range(self.args.rounds):
            order = configs[r % len(configs):] + configs[:r % len(configs)]
            for c in order:
                res = self.measure(c, self.args.runtime)
                res["round"] = r
                self.results["runs"].append(res)
                extra = ""
                if c != "baseline":
                    extra = (f" events {res.get('events')} lost {res.get('lost')}"
                             + (f" ({res['lost_detail']})" if res.get("lost_detail") and res.get("lost") else "") + " "
                             f"VmHWM {res.get('vmhwm_kb')} kB cpu "
                             f"{(res.get('tracer_cpu') or 0) * 100:.0f}%")
                if res["foreign_cpu"] >= 0.05:
                    extra += (f"  [other processes used {res['foreign_cpu']:.2f} CPUs: "
                              f"{', '.join(res['foreign_top'])}]")
                log(f"  round {r + 1} {c}: {res['iops']:.0f} IOPS{extra}")

    def phase_kernel(self):
        # the floor with a per-request hash map (and an issue hook) splits iotrace's cost
        # into what any per-request design pays and what is iotrace's own
        configs = self.configs() + FLOOR_DECOMPOSITION
        log(f"in-kernel cost: kernel.bpf_stats_enabled=1, {self.args.stats_rounds} rounds x "
            f"{len(configs)} configurations x {self.args.stats_runtime} s")
        self.enable_stats()
        try:
            for r in range(self.args.stats_rounds):
                for c in configs:
                    res = self.measure(c, self.args.stats_runtime, stats=True)
                    res["round"] = r
                    if c != "baseline":
                        res["ns_per_io"] = self.ns_per_io(res.get("progs", []))
                        log(f"  round {r + 1} {c}: {res['ns_per_io']:.0f} ns per I/O (" +
                            ", ".join(f"{p['name']} {p['run_time_ns'] / p['run_cnt']:.0f}"
                                      for p in res["progs"] if p["run_cnt"]) + ")")
                    elif res.get("foreign"):
                        seen = self.results.setdefault("foreign_programs", {})
                        for f in res["foreign"]:
                            if str(f["id"]) in seen:
                                continue
                            seen[str(f["id"])] = f
                            log(f"  WARNING: foreign BPF program {f['id']} {f['name']} runs "
                                f"{f['runs_per_io']:.2f}x per I/O ({f['ns_per_run'] or 0:.0f} "
                                f"ns each), owner {f['owner']}")
                    self.results["kernel"].append(res)
        finally:
            self.restore_sysctl()

    def phase_zfs_vm(self):
        """zfsslower on cached ZFS reads in a qemu guest (bench/zfs-vm.sh)."""
        a = self.args
        out = os.path.join(os.path.dirname(os.path.abspath(a.json_out)), "zfs-vm")
        log(f"zfsslower in a VM with ZFS (kernels {a.zfs_vm}): bench/zfs-vm.sh, a few minutes")
        self.check_deadline()
        p = subprocess.Popen(["bash", os.path.join(HERE, "zfs-vm.sh"), "--kernels", a.zfs_vm,
                              "--iotrace", a.iotrace, "--out", out],
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(p)
        try:
            text, _ = p.communicate(timeout=3700)
        except subprocess.TimeoutExpired:
            self.stop_proc(p)
            raise RuntimeError("bench/zfs-vm.sh did not finish in time")
        self.procs.remove(p)
        for line in text.splitlines():
            log("  " + line)
        try:
            with open(os.path.join(out, "zfs-vm.json")) as f:
                self.results["zfs_vm"] = json.load(f)
        except (OSError, ValueError) as e:
            self.results["zfs_vm"] = {"error": str(e)}

    @staticmethod
    def ns_per_io(progs):
        """Sum over the programs that run per I/O of run_time_ns / run_cnt (one-shot
        programs such as bpftrace's BEGIN/END are left out)."""
        top = max((p["run_cnt"] for p in progs), default=0)
        return sum(p["run_time_ns"] / p["run_cnt"] for p in progs
                   if p["run_cnt"] and p["run_cnt"] >= top / 100)

    # ---- the table -------------------------------------------------------------------

    def summarize(self):
        runs = self.results["runs"]
        configs = self.configs() + [c for c in FLOOR_DECOMPOSITION
                                    if any(r["config"] == c for r in self.results["kernel"])]
        by = {c: [r for r in runs if r["config"] == c] for c in configs}
        base = median([r["iops"] for r in by["baseline"]])
        kern = {c: median([r.get("ns_per_io") for r in self.results["kernel"]
                           if r["config"] == c]) for c in configs}
        rows = []
        for c in configs:
            rs = by[c]
            iops = median([r["iops"] for r in rs])
            base_by_round = {r["round"]: r["iops"] for r in by["baseline"]}
            paired = [r["iops"] / base_by_round[r["round"]] for r in rs
                      if base_by_round.get(r["round"])]
            cpu = median([r.get("cpu_ns_per_io") for r in rs])
            cpu_base = median([r.get("cpu_ns_per_io") for r in by["baseline"]])
            lost = [r.get("lost") for r in rs]
            delivered = [r["events"] / r["ios"] for r in rs
                         if r.get("events") is not None and r["ios"]]
            su = self.results["startup"].get(c, {})
            rows.append({
                "config": c,
                "label": CONFIG_LABEL.get(c, c),
                "iops_median": iops,
                "iops_runs": [r["iops"] for r in rs],
                "ratio_of_medians": iops / base if base and iops else None,
                # each run against the untraced run of the same round, then the median:
                # slow drifts of the machine cancel out
                "vs_baseline": median(paired),
                "drop": 1 - median(paired) if paired else None,
                "cpu_ns_per_io": cpu,
                # on a CPU-bound workload IOPS scale with 1 / CPU per I/O
                "cpu_drop": 1 - cpu_base / cpu if cpu and cpu_base else None,
                "lost_total": sum(x for x in lost if x is not None) if any(
                    x is not None for x in lost) else None,
                "events_per_fio_io_min": min(delivered) if delivered else None,
                "vmhwm_mb_max": max((r["vmhwm_kb"] / 1024 for r in rs if r.get("vmhwm_kb")),
                                    default=None),
                "tracing_hwm_mb_max": max((r["vmhwm_tracing_kb"] / 1024 for r in rs
                                           if r.get("vmhwm_tracing_kb")), default=None),
                "tracer_cpu_median": median([r.get("tracer_cpu") for r in rs]),
                "startup_ms_median": su.get("median_ms"),
                "kernel_ns_per_io": kern.get(c) if c != "baseline" else None,
            })
        self.results["table"] = rows
        return rows

    def targets(self, rows):
        row = {r["config"]: r for r in rows}
        t = []

        def add(name, value, limit, unit, ok, ref=None, note=None):
            t.append({"target": name, "value": value, "limit": limit, "unit": unit,
                      "met": bool(ok) if value is not None else None, "bpftrace": ref,
                      "note": note})

        def cpu_note(r):
            d = r.get("cpu_drop")
            return None if d is None else f"from CPU time per I/O: {d:.1%}"

        bt = row.get("bpftrace", {})
        io, js, fl = row["iotrace"], row["iotrace-json"], row["floor"]
        add("start-up, median (ms)", io["startup_ms_median"], TARGET_STARTUP_MS, "ms",
            io["startup_ms_median"] is not None and io["startup_ms_median"] <= TARGET_STARTUP_MS,
            bt.get("startup_ms_median"))
        rss = max((x for x in (io["tracing_hwm_mb_max"], js["tracing_hwm_mb_max"])
                   if x is not None), default=None)
        add("peak RSS while tracing (MB)", rss, TARGET_RSS_MB, "MB",
            rss is not None and rss <= TARGET_RSS_MB,
            bt.get("tracing_hwm_mb_max"))
        rss = max((x for x in (io["vmhwm_mb_max"], js["vmhwm_mb_max"]) if x is not None),
                  default=None)
        add("peak RSS over the whole run, start-up included (MB)", rss, TARGET_RSS_MB, "MB",
            rss is not None and rss <= TARGET_RSS_MB, bt.get("vmhwm_mb_max"))
        add("IOPS drop, table to /dev/null", io["drop"], TARGET_DROP_TABLE, "ratio",
            io["drop"] is not None and io["drop"] <= TARGET_DROP_TABLE, bt.get("drop"),
            cpu_note(io))
        add("IOPS drop, --json to /dev/null", js["drop"], TARGET_DROP_JSON, "ratio",
            js["drop"] is not None and js["drop"] <= TARGET_DROP_JSON, bt.get("drop"),
            cpu_note(js))
        # issue 16: biolatency within 2 points of the floor's drop, no user-space CPU per
        # request (it reads the histograms once at the end), nothing lost
        bl, btl = row.get("iotrace-biolatency"), row.get("bpftrace-biolatency", {})
        if bl and bl["drop"] is not None and fl["drop"] is not None:
            add("biolatency IOPS drop minus the floor's (points)", bl["drop"] - fl["drop"],
                TARGET_BIOLATENCY_ABOVE_FLOOR, "ratio",
                bl["drop"] - fl["drop"] <= TARGET_BIOLATENCY_ABOVE_FLOOR,
                btl["drop"] - fl["drop"] if btl.get("drop") is not None else None,
                f"biolatency {bl['drop']:.1%}, floor {fl['drop']:.1%}; tracer CPU "
                f"{(bl['tracer_cpu_median'] or 0):.1%}")
            add("biolatency events lost", bl["lost_total"], 0, "events",
                bl["lost_total"] == 0, btl.get("lost_total"))
        lost = (io["lost_total"] or 0) + (js["lost_total"] or 0)
        delivered = min(x for x in (io["events_per_fio_io_min"], js["events_per_fio_io_min"],
                                    1.0) if x is not None)
        if not any(r["config"] in ("iotrace", "iotrace-json") for r in self.results["runs"]):
            lost = None
        # fio's total_ios can exceed what reaches the block layer by a few per run (the
        # floor, which counts every completion on every disk, shows the same)
        add("events lost (table + json runs)", lost, 0, "events",
            lost == 0 and delivered >= 0.9999, bt.get("lost_total"),
            f"lowest events/fio I/O {delivered:.5f}")
        ratio = (io["kernel_ns_per_io"] / fl["kernel_ns_per_io"]
                 if io["kernel_ns_per_io"] and fl["kernel_ns_per_io"] else None)
        add("in-kernel ns per I/O vs floor", ratio, TARGET_KERNEL_RATIO, "x",
            ratio is not None and ratio <= TARGET_KERNEL_RATIO,
            bt["kernel_ns_per_io"] / fl["kernel_ns_per_io"]
            if bt.get("kernel_ns_per_io") and fl["kernel_ns_per_io"] else None)
        for k, z in sorted(self.results.get("zfs_vm", {}).items()):
            if isinstance(z, dict):
                d = z.get("drop")
                add(f"zfsslower --min-ms 10, cached 4k ZFS reads, VM kernel {k}: throughput drop",
                    d, 0.10, "ratio", d is not None and d <= 0.10)
        # the highest rate reached with nothing lost
        clean = [r["iops"] for r in self.results["runs"]
                 if r["config"] in ("iotrace", "iotrace-json") and r.get("lost") == 0]
        self.results["max_iops_zero_lost"] = max(clean) if clean else None
        self.results["targets"] = t
        return t

    def print_table(self, rows, targets):
        def f(v, fmt, none="-"):
            return none if v is None else fmt.format(v)

        head = ["configuration", "IOPS (median)", "vs untraced", "CPU us/IO", "start-up ms",
                "peak RSS MB tracing/all", "tracer CPU", "in-kernel ns/IO", "lost", "events/IO"]
        lines = []
        for r in rows:
            lines.append([
                r["label"], f(r["iops_median"], "{:,.0f}"),
                f(r["vs_baseline"], "{:.3f}") + (f(-r["drop"] if r["drop"] is not None else None,
                                                   " ({:+.1%})", "")
                                                 if r["config"] != "baseline" else ""),
                f(r["cpu_ns_per_io"] / 1000 if r.get("cpu_ns_per_io") else None, "{:.2f}"),
                f(r["startup_ms_median"], "{:.1f}"),
                (f(r["tracing_hwm_mb_max"], "{:.1f}") + " / " + f(r["vmhwm_mb_max"], "{:.1f}"))
                if r["vmhwm_mb_max"] is not None else "-",
                f(r["tracer_cpu_median"], "{:.0%}"), f(r["kernel_ns_per_io"], "{:.0f}"),
                f(r["lost_total"], "{}"), f(r["events_per_fio_io_min"], "{:.3f}")])
        widths = [max(len(head[i]), *(len(l[i]) for l in lines)) for i in range(len(head))]
        md = ["| " + " | ".join(h for h in head) + " |",
              "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
        md += ["| " + " | ".join(l) + " |" for l in lines]
        print()
        print("  ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i])
                        for i, h in enumerate(head)))
        for l in lines:
            print("  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i])
                            for i, v in enumerate(l)))
        print()
        tl = []
        for t in targets:
            v, lim = t["value"], t["limit"]
            if t["unit"] == "ratio":
                vs, ls = f(v, "{:.1%}"), f"{lim:.0%}"
                ref = f(t["bpftrace"], "{:.1%}")
            elif t["unit"] == "x":
                vs, ls, ref = f(v, "{:.2f}x"), f"{lim:.1f}x", f(t["bpftrace"], "{:.2f}x")
            else:
                vs, ls, ref = f(v, "{:.1f}" if isinstance(v, float) else "{}"), f"{lim}", \
                    f(t["bpftrace"], "{:.1f}" if isinstance(t["bpftrace"], float) else "{}")
            verdict = {True: "MET", False: "MISSED", None: "n/a"}[t["met"]]
            note = f"; {t['note']}" if t.get("note") else ""
            tl.append(f"{verdict:6}  {t['target']}: {vs} (target <= {ls}; bpftrace {ref}{note})")
        kr = {r["config"]: r["kernel_ns_per_io"] for r in rows if r.get("kernel_ns_per_io")}
        if kr.get("iotrace") and kr.get("floor-map-issue"):
            tl.append(f"in-kernel decomposition (ns per I/O): floor {kr.get('floor', 0):.0f}, "
                      f"+ hash map {kr.get('floor-map', 0):.0f}, + issue hook "
                      f"{kr['floor-map-issue']:.0f} (any 3-hook hash design), the same with a "
                      f"slot array {kr.get('floor-slots-issue') or 0:.0f}, iotrace "
                      f"{kr['iotrace']:.0f} = {kr['iotrace'] / kr['floor-map-issue']:.2f}x the "
                      f"hash design")
        fp = self.results.get("foreign_programs", {})
        if fp:
            tl.append(f"WARNING: {len(fp)} BPF programs of other processes ran on every I/O "
                      f"during the runs (every configuration paid for them): " +
                      "; ".join(sorted({f['owner'] or '?' for f in fp.values()})))
        fc = [r["foreign_cpu"] for r in self.results["runs"] if "foreign_cpu" in r]
        if fc:
            tl.append(f"other processes' CPU use during the fio runs: median {median(fc):.2f}, "
                      f"max {max(fc):.2f} CPUs of {os.cpu_count()} (0 on a quiet machine)")
        m = self.results.get("max_iops_zero_lost")
        tl.append(f"highest rate traced by iotrace with zero events lost: "
                  f"{f(m, '{:,.0f}')} IOPS")
        for line in tl:
            print(line)
        md_t = ["- " + line for line in tl]
        self.results["markdown"] = "\n".join(md) + "\n\n" + "\n".join(md_t) + "\n"

    def machine(self):
        def first(path, pat, sep=":"):
            try:
                with open(path) as f:
                    for line in f:
                        if re.match(pat, line):
                            return line.split(sep, 1)[1].strip().strip('"')
            except OSError:
                pass
            return None

        def ver(cmd):
            try:
                r = run(cmd, timeout=10, check=False)
                return (r.stdout or r.stderr).strip().splitlines()[0]
            except (OSError, subprocess.SubprocessError, IndexError):
                return None

        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        git = run(["git", "-C", ROOT, "describe", "--always", "--dirty"], check=False).stdout
        return {
            "kernel": platform.release(), "cpu": first("/proc/cpuinfo", r"model name"),
            "cpus": os.cpu_count(), "memory": first("/proc/meminfo", r"MemTotal"),
            "os": first("/etc/os-release", r"PRETTY_NAME=", "="),
            "iotrace": ver([self.args.iotrace, "--version"]), "iotrace_git": git.strip(),
            "bpftrace": ver([self.args.bpftrace, "--version"]) if self.args.bpftrace else None,
            "fio": ver(["fio", "--version"]), "loadavg_start": load,
            "device": f"{self.loop}: loop, direct I/O, over a {self.args.size_mb} MiB file on "
                      f"tmpfs, scheduler {getattr(self, 'scheduler', '?')}",
            "fio_cmd": " ".join(self.fio_cmd(self.args.runtime)[1:]).replace(self.loop, "LOOP"),
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iotrace", default=os.path.join(ROOT, "build-bench", "iotrace"))
    ap.add_argument("--floor", default=os.path.join(ROOT, "build-bench", "floor", "floor"))
    ap.add_argument("--bpftrace", default=shutil.which("bpftrace"),
                    help="bpftrace binary; '' to leave the reference out")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (overhead)")
    ap.add_argument("--runtime", type=int, default=10, help="seconds of fio per run")
    ap.add_argument("--ramp", type=int, default=0, help="fio ramp-up seconds (not counted)")
    ap.add_argument("--iodepth", type=int, default=32)
    ap.add_argument("--startup-runs", type=int, default=15)
    ap.add_argument("--stats-rounds", type=int, default=3)
    ap.add_argument("--stats-runtime", type=int, default=5)
    ap.add_argument("--size-mb", type=int, default=1024, help="loop device size")
    ap.add_argument("--scheduler", default="none", help="I/O scheduler of the loop device")
    ap.add_argument("--json-out", default=os.path.join(ROOT, "build-bench", "bench.json"))
    ap.add_argument("--max-minutes", type=float, default=60,
                    help="give up (and clean up) past this wall time")
    ap.add_argument("--alt", action="append", default=[], metavar="NAME=PATH",
                    help="also measure another iotrace build (A/B); a NAME ending in -json "
                         "runs it with --json")
    ap.add_argument("--phases", default="startup,overhead,kernel",
                    help="comma-separated subset of startup,overhead,kernel")
    ap.add_argument("--zfs-vm", metavar="KERNELS", default="",
                    help="also measure zfsslower in a qemu guest with ZFS (tests/vm/), e.g. 6.12 "
                         "or 6.1,6.12; minutes per kernel, more on the first run")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="first wait up to SECONDS for other processes to go quiet")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 1 round of 3 s, 3 start-ups, 1 stats round")
    args = ap.parse_args()
    try:
        args.alt = dict(x.split("=", 1) for x in args.alt)
    except ValueError:
        sys.exit("bench: --alt wants NAME=PATH")
    args.phases = set(args.phases.split(","))
    if args.quick:
        args.rounds, args.runtime, args.startup_runs = 1, 3, 3
        args.stats_rounds, args.stats_runtime, args.size_mb = 1, 2, 256
    if os.geteuid() != 0:
        sys.exit("bench: run as root (loop devices, tmpfs, BPF)")
    for path in (args.iotrace, args.floor):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} missing: run bench/run.sh, which builds it")
    if not args.bpftrace:
        log("bpftrace not installed: the reference column is left out")

    bench = Bench(args)

    def on_signal(sig, frame):
        raise Interrupted(signal.Signals(sig).name)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    status = 0
    try:
        bench.setup_device()
        bench.results["machine"] = bench.machine()
        bench.results["params"] = {k: sorted(v) if isinstance(v, set) else v
                                   for k, v in vars(args).items()}
        if args.wait_quiet > 0:
            bench.wait_quiet()
        if "startup" in args.phases:
            bench.phase_startup()
        if "overhead" in args.phases:
            bench.phase_overhead()
        if "kernel" in args.phases:
            bench.phase_kernel()
        if args.zfs_vm:
            bench.phase_zfs_vm()
        with open("/proc/loadavg") as f:
            bench.results["machine"]["loadavg_end"] = f.read().split()[:3]
        rows = bench.summarize()
        targets = bench.targets(rows)
        bench.print_table(rows, targets)
    except Interrupted as e:
        log(f"interrupted ({e}): cleaning up")
        status = 130
    except Exception as e:
        import traceback
        traceback.print_exc()
        log(f"failed: {e}")
        status = 1
    finally:
        # block signals that would interrupt the cleanup itself
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        bench.cleanup()
        if bench.results.get("table"):
            os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
            with open(args.json_out, "w") as f:
                json.dump(bench.results, f, indent=1)
            log(f"results: {args.json_out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
