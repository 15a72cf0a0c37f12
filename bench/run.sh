#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The iotrace benchmark, one command, as root on Debian 12:  bash bench/run.sh [bench.py options]
# Installs the build dependencies, fio and bpftrace (from Debian) if missing, builds iotrace
# (Release) and the floor program into build-bench/, then runs bench/bench.py: a table of
# medians and ratios on stdout, the same as JSON in build-bench/bench.json.
# bench.py --help lists the options (--rounds, --runtime, --quick, ...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_BUILD_DIR:-$root/build-bench}

if [ "$(id -u)" -ne 0 ]; then
  echo "bench: must run as root (loop devices, tmpfs, BPF); try: sudo $0 $*" >&2
  exit 1
fi

"$root/scripts/deps.sh" build
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in fio bpftrace python3 util-linux; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  timeout 900 apt-get update -qq || echo "bench: apt-get update failed" >&2
  for p in "${missing[@]}"; do
    timeout 1800 apt-get install -y -qq --no-install-recommends "$p" >/dev/null ||
      echo "bench: cannot install $p" >&2
  done
fi
for p in fio python3; do
  installed "$p" || { echo "bench: $p is required" >&2; exit 1; }
done
# bpftrace is the reference, not a requirement: without it its rows are left out

echo "bench: building iotrace (Release) and the floor program in $out" >&2
mkdir -p "$out"
BUILD_DIR=$out BUILD_TYPE=Release "$root/scripts/build.sh" -DIOTRACE_TESTS=OFF >"$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log" >&2; echo "bench: build failed (log: $out/build.log)" >&2; exit 1; }
make -s -C "$root/bench/floor" OUT="$out/floor" >>"$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log" >&2; echo "bench: floor build failed (log: $out/build.log)" >&2; exit 1; }

exec timeout -s INT -k 60 ${BENCH_TIMEOUT:-3600} \
  python3 "$root/bench/bench.py" --iotrace "$out/iotrace" --floor "$out/floor/floor" \
  --json-out "$out/bench.json" "$@"
