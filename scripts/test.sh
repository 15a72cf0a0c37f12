#!/usr/bin/env bash
# Fresh Debian 12, as root: install dependencies, build, and run the whole test suite:
#   unit  cmocka tests under ctest (ASan+UBSan build, no root needed)
#   fuzz  libFuzzer harnesses of every kernel/user text parser (clang, 20 s per target)
#   live  real BPF programs on this kernel, real I/O on loop devices (root)
#   vm    Debian kernels 5.10 / 6.1 / 6.12 booted under qemu, iotrace inside (root)
# Every tier runs; a tier that cannot run fails. Ends with one "N passed, N failed" line.
# TIERS="unit live" limits the run (for development; CI runs all).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tiers=${TIERS:-unit fuzz live vm}
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

fuzz_tier() {
  "$root/tests/fuzz/run.sh" "${FUZZ_SECONDS:-20}"
}

live_tier() {
  local bin
  bin=$(BUILD_DIR=$root/build-asan "$root/scripts/build.sh" -DIOTRACE_SANITIZE=ON) || return 1
  IOTRACE=$bin "$root/tests/live/run.sh"
}

# Debian 5.10 / 6.1 / 6.12 under qemu: tests/vm/guest/iotrace.sh in each (biosnoop with every
# backend on a loop device; zfsslower on a real pool where ZFS is pinned: 6.1 and 6.12),
# one line per kernel, then the assertions' total. Then docs/COMPATIBILITY.md from what the
# guests saw, into $out/vm/COMPATIBILITY.md (copy it over docs/ when it changed).
vm_tier() {
  local bin iotest vmout=$out/vm status=0 t0=$SECONDS
  bin=$(BUILD_DIR=$root/build-static "$root/scripts/build.sh" -DIOTRACE_STATIC=ON -DIOTRACE_TESTS=OFF) || return 1
  # the static I/O helper the guest drives, from a normal build (tests on)
  BUILD_DIR=$root/build "$root/scripts/build.sh" >/dev/null || return 1
  iotest=$root/build/tests/iotest
  [ -x "$iotest" ] || { echo "vm: $iotest was not built"; return 1; }
  "$root/tests/vm/run-matrix.sh" --iotrace "$bin" --out "$vmout" --zfs \
    --guest-script "$root/tests/vm/guest/iotrace.sh" \
    --extra "$iotest:/bin/iotest" --extra "$root/tests/vm/expected:/etc/iotrace/expected" ||
    status=$?
  if "$root/tests/vm/gen-compat.sh" "$vmout" "$vmout/COMPATIBILITY.md"; then
    if cmp -s "$vmout/COMPATIBILITY.md" "$root/docs/COMPATIBILITY.md"; then
      echo "vm: docs/COMPATIBILITY.md matches this run"
    else
      echo "vm: docs/COMPATIBILITY.md differs from this run: see $vmout/COMPATIBILITY.md" \
        "(cp it to docs/ if the change is intended)"
    fi
  fi
  echo "vm: tier took $((SECONDS - t0)) s"
  return "$status"
}

note "dependencies"
"$root/scripts/deps.sh" test || { echo "0 passed, 1 failed"; exit 1; }

for tier in $tiers; do
  case $tier in
    unit) run_tier unit unit_tier ;;
    fuzz) run_tier fuzz fuzz_tier ;;
    live) run_tier live live_tier ;;
    vm) run_tier vm vm_tier ;;
    *) echo "unknown tier $tier"; failed=$((failed + 1)) ;;
  esac
done

note "summary (logs in $out)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
