#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Live tests of the fsslower family on this machine. Its kernel builds ext4, XFS and Btrfs in,
has no kprobes and denies fentry (lockdown): nothing can probe a file system's functions, so
every member must refuse in one line that says why (exit 1), before loading anything, and a
file system that is not in the kernel at all (no NFS client here) must be named as absent.
Where this machine offers kprobes or fentry, the refusal tests fail loudly: their premise is
gone, and the VM tier (tests/vm/guest/fs.sh) is where the tracing itself is judged."""
import json
import os
import sys

import livelib
from livelib import ATTACH_TIMEOUT, IOTRACE, check, check_no_sanitizer, run, test


def kernel_has(fs):
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == fs for line in f if line.strip())


def no_way_to_probe():
    """(why kprobes are missing, why fentry is) as this machine says, or a Fail."""
    kprobes = os.path.exists("/sys/bus/event_source/devices/kprobe/type")
    check(not kprobes, "this kernel has kprobes: the refusal tests need one without them")
    return kprobes


def our_programs():
    progs = json.loads(run(["bpftool", "-j", "prog", "show"]).stdout or b"[]")
    return {p["id"] for p in progs}


@test
def fsslower_family_refuses_without_kprobes_or_fentry(stack):
    """ext4, XFS and Btrfs are built in here, but no kprobes and fentry denied: each member
    (and fsslower -t) exits 1 with one line naming both reasons, nothing left loaded."""
    no_way_to_probe()
    before = our_programs()
    for fs, title, cmd in (("ext4", "ext4", ["ext4slower"]), ("xfs", "XFS", ["xfsslower"]),
                           ("btrfs", "Btrfs", ["btrfsslower", "0", "--json"]),
                           ("ext4", "ext4", ["fsslower", "-t", "ext4", "-j"]),
                           ("xfs", "XFS", ["xfsslower", "--backend=kprobe"])):
        check(kernel_has(fs), "%s is not in this kernel (/proc/filesystems)" % fs)
        p = run([IOTRACE] + cmd, timeout=ATTACH_TIMEOUT, ok=False)
        err = p.stderr.decode(errors="replace")
        check_no_sanitizer(err)
        lines = err.strip("\n").split("\n")
        check(p.returncode == 1, "%s: exit %d, want 1: %r" % (cmd, p.returncode, err))
        check(p.stdout == b"", "%s: stdout %r" % (cmd, p.stdout[:200]))
        check(len(lines) == 1, "%s: %d lines, want one: %r" % (cmd, len(lines), err))
        want = "%s: error: %s is built in, but this kernel offers no way to trace it: " \
               "kprobes unavailable (" % (cmd[0], title)
        check(lines[0].startswith(want), "%s: want %r..., got %r" % (cmd, want, lines[0]))
        check("fentry impossible (fentry denied: EPERM" in lines[0],
              "%s: the fentry reason is not lockdown's EPERM: %r" % (cmd, lines[0]))
    left = our_programs() - before
    check(not left, "programs left loaded: %r" % left)


@test
def nfsslower_without_nfs_one_line(stack):
    """No NFS client in this kernel: nfsslower says so in one line, exit 1."""
    check(not kernel_has("nfs") and not os.path.exists("/sys/module/nfs"),
          "NFS is here: this test needs a kernel without it")
    p = run([IOTRACE, "nfsslower", "-v"], timeout=ATTACH_TIMEOUT, ok=False)
    err = p.stderr.decode(errors="replace")
    check_no_sanitizer(err)
    line = ("nfsslower: error: NFS is not loaded: no nfs module here (check with 'lsmod | grep "
            "nfs'; load it with 'modprobe nfs'), so there is nothing to trace\n")
    check(p.returncode == 1, "exit %d, want 1: %r" % (p.returncode, err))
    check(err == line, "want exactly %r, got %r" % (line, err))


@test
def fsslower_probes_report_explains_each_candidate(stack):
    """`iotrace probes ext4slower --json` names every candidate with its verdict: here each
    one unavailable, for lockdown's or the missing kprobes' reason."""
    p = run([IOTRACE, "probes", "ext4slower", "--json"], timeout=ATTACH_TIMEOUT, ok=False)
    out = p.stdout.decode(errors="replace")
    check_no_sanitizer(p.stderr.decode(errors="replace"))
    check(p.returncode == 1, "exit %d, want 1 (nothing attachable here)" % p.returncode)
    report = json.loads(out.strip().split("\n")[0])
    probes = {q["name"]: q for q in report["probes"]}
    check(set(probes) == {"read", "write", "open", "fsync"}, "probes %r" % sorted(probes))
    for name, q in probes.items():
        cands = q.get("candidates", [])
        check(len(cands) == 4, "%s: %d candidates, want 4 (fentry and kprobe, module and "
              "built in)" % (name, len(cands)))
        check(all(c.get("verdict") != "chosen" for c in cands), "%s: something chosen" % name)


if __name__ == "__main__":
    sys.exit(livelib.cli(sys.argv[1:]))
