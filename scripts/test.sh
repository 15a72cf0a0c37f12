#!/usr/bin/env bash
# Fresh Debian 12, as root: install dependencies, build, and run the whole test suite:
#   unit  cmocka tests under ctest (ASan+UBSan build, no root needed)
#   live  real BPF programs on this kernel, real I/O on loop devices (root)
#   vm    Debian kernels 5.10 / 6.1 / 6.12 booted under qemu, iotrace inside (root)
# Every tier runs; a tier that cannot run fails. Ends with one "N passed, N failed" line.
# TIERS="unit live" limits the run (for development; CI runs all).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tiers=${TIERS:-unit live vm}
out=${TEST_OUT:-$root/build-test-results}
mkdir -p "$out"
passed=0 failed=0

note() { printf '\n==== %s\n' "$*"; }

# Each tier prints "N passed, N failed" as its last such line; add them up.
count_tier() {
  local name=$1 log=$2 status=$3 line p f
  line=$(grep -E '^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
  if [ -z "$line" ]; then
    echo "$name: FAILED (exit $status, no result line; see $log)"
    failed=$((failed + 1))
    return
  fi
  p=$(sed -E 's/^([a-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  passed=$((passed + p)) failed=$((failed + f))
  echo "$name: $p passed, $f failed"
}

run_tier() {
  local name=$1; shift
  local log=$out/$name.log status
  note "tier $name"
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  count_tier "$name" "$log" "$status"
}

unit_tier() {
  local build=$root/build-asan
  BUILD_DIR=$build "$root/scripts/build.sh" -DIOTRACE_SANITIZE=ON >/dev/null || return 1
  (cd "$build" && ctest --output-on-failure -j"$(nproc)" 2>&1) | tee "$out/ctest.log"
  local status=${PIPESTATUS[0]}
  local total fails
  total=$(grep -Eo 'out of [0-9]+' "$out/ctest.log" | tail -n1 | grep -Eo '[0-9]+')
  fails=$(grep -Eo '[0-9]+ tests failed' "$out/ctest.log" | tail -n1 | grep -Eo '[0-9]+')
  echo "unit: $((${total:-0} - ${fails:-0})) passed, ${fails:-1} failed"
  return "$status"
}

live_tier() {
  local bin
  bin=$(BUILD_DIR=$root/build-asan "$root/scripts/build.sh" -DIOTRACE_SANITIZE=ON) || return 1
  IOTRACE=$bin "$root/tests/live/run.sh"
}

vm_tier() {
  local bin
  bin=$(BUILD_DIR=$root/build-static "$root/scripts/build.sh" -DIOTRACE_STATIC=ON -DIOTRACE_TESTS=OFF) || return 1
  "$root/tests/vm/run-matrix.sh" --iotrace "$bin" --out "$out/vm"
}

note "dependencies"
"$root/scripts/deps.sh" test || { echo "0 passed, 1 failed"; exit 1; }

for tier in $tiers; do
  case $tier in
    unit) run_tier unit unit_tier ;;
    live) run_tier live live_tier ;;
    vm) run_tier vm vm_tier ;;
    *) echo "unknown tier $tier"; failed=$((failed + 1)) ;;
  esac
done

note "summary (logs in $out)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
