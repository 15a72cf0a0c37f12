#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# zfsslower's overhead on cached ZFS reads, in a qemu guest with OpenZFS (tests/vm/).
#   bash bench/zfs-vm.sh [--kernels 6.12] [--iotrace PATH] [--out DIR] [--rounds N]
#                        [--backends "fentry kprobe"]
# Prints one line per kernel and backend: untraced and traced throughput (medians, with the
# min-max spread of the rounds), the drop; writes
# DIR/zfs-vm.json. The guest is TCG-emulated (slow): only the ratio within one VM means
# anything, not the absolute numbers. Needs root; the first run downloads kernels and builds
# ZFS (~12 min, cached in /var/cache/iotrace-test).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kernels=6.12 iotrace=$root/build-bench/iotrace out=$root/build-bench/zfs-vm rounds=7
backends="fentry kprobe"
while [ $# -gt 0 ]; do
  case $1 in
    --kernels) kernels=$2; shift ;;
    --iotrace) iotrace=$2; shift ;;
    --out) out=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --backends) backends=$2; shift ;;
    *) echo "usage: $0 [--kernels IDS] [--iotrace PATH] [--out DIR] [--rounds N] [--backends LIST]" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$iotrace" ] || { echo "zfs-vm: $iotrace missing (run bench/run.sh first)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
guest=$out/guest.sh
sed "s/^ROUNDS=.*/ROUNDS=$rounds/; s/^BACKENDS=.*/BACKENDS=\"$backends\"/" \
  "$root/bench/vm/zfsslower-guest.sh" >"$guest"
set +e
timeout -k 30 3600 "$root/tests/vm/run-matrix.sh" --iotrace "$iotrace" --out "$out" \
  --kernels "$kernels" --guest-script "$guest" --zfs --no-bpftool --timeout 1500 >&2
rc=$?
set -e
python3 - "$out" "$kernels" <<'PY'
import glob, json, os, re, statistics, sys
out, kernels = sys.argv[1], sys.argv[2].split(",")
res = {}
for k in kernels:
    logs = glob.glob(os.path.join(out, f"{k}-zfs", "console.log"))
    if not logs:
        res[k] = {"error": "no console log"}
        continue
    text = open(logs[0], errors="replace").read().replace("\r", "")
    passes = {}
    for m in re.finditer(r"ZFSBENCH pass ([\w-]+) (\d+) (\d+) (\d+)", text):
        cs = int(m.group(4))
        if cs > 0:
            passes.setdefault(m.group(1), []).append(int(m.group(3)) / (cs / 100) / 1048576)
    info = [l.split("ZFSBENCH ", 1)[1] for l in text.splitlines()
            if "ZFSBENCH " in l and " pass " not in l]
    r = {"mib_s": passes, "info": info, "drop": {}}
    u = statistics.median(passes["untraced"]) if passes.get("untraced") else None
    traced = sorted(c for c in passes if c != "untraced")
    if not u or not traced:
        print(f"kernel {k}: no measurements (see {out}/{k}-zfs/console.log)")
    for c in traced:
        t = statistics.median(passes[c])
        r["drop"][c] = 1 - t / u
        print(f"{c} --min-ms 10, cached 4k reads, kernel {k}: untraced {u:.1f} MiB/s "
              f"({min(passes['untraced']):.1f}-{max(passes['untraced']):.1f}), traced "
              f"{t:.1f} MiB/s ({min(passes[c]):.1f}-{max(passes[c]):.1f}), drop "
              f"{1 - t / u:.1%} (target <= 10%), {len(passes[c])} alternating passes")
    res[k] = r
json.dump(res, open(os.path.join(out, "zfs-vm.json"), "w"), indent=1)
PY
exit $rc
