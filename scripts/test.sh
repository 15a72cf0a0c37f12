#!/usr/bin/env bash
# Fresh Debian 12, as root: install dependencies, build, and run the whole test suite:
#   unit  cmocka test cases under ctest (ASan+UBSan build, no root needed)
#   fuzz  libFuzzer harnesses of every kernel/user text parser (clang, 20 s per target)
#   live  real BPF programs on this kernel, real I/O on loop devices (root)
#   vm    Debian kernels 5.10 / 6.1 / 6.12 (amd64 and arm64) booted under qemu, iotrace inside (root)
# Every tier runs; a tier that cannot run fails. Ends with one "N passed, N failed, N skipped"
# line: cmocka cases, fuzz targets, live test functions and VM guest assertions added up.
# TIERS="unit live" limits the run (for development; CI runs all).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tiers=${TIERS:-unit fuzz live vm}
out=${TEST_OUT:-$root/build-test-results}
mkdir -p "$out"
passed=0 failed=0 skipped=0

note() { printf '\n==== %s\n' "$*"; }

# Each tier prints "N passed, N failed" (optionally ", N skipped") as its last such line; add
# them up. What a tier counts (its unit) is printed beside its total.
count_tier() {
  local name=$1 log=$2 status=$3 unit=$4 line p f s
  line=$(grep -E '^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
  if [ -z "$line" ]; then
    echo "$name: FAILED (exit $status, no result line; see $log)"
    failed=$((failed + 1))
    return
  fi
  p=$(sed -E 's/^([a-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  s=0
  if grep -qE ', [0-9]+ skipped' <<<"$line"; then
    s=$(sed -E 's/.*, ([0-9]+) skipped.*/\1/' <<<"$line")
  fi
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  echo "$name: $p passed, $f failed, $s skipped ($unit)"
}

run_tier() {
  local name=$1 unit=$2; shift 2
  local log=$out/$name.log status
  note "tier $name"
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  count_tier "$name" "$log" "$status" "$unit"
}

# cmocka cases, not executables: every executable's "[==========] Running N test(s)." lines
# (one per group) against its "[  PASSED  ]", "[  SKIPPED ]" and "[  FAILED  ]" totals. Cases
# that were announced but never reported (a crash mid-group) are failures, and so is an
# executable that exits non-zero with nothing failed (a sanitizer report at exit). A test
# without cmocka output (test_install) is one case, judged by its exit. ctest -V prefixes
# each line of test K's output with "K: ", so parallel runs still sort out.
unit_tier() {
  local build=$root/build-asan
  BUILD_DIR=$build "$root/scripts/build.sh" -DIOTRACE_SANITIZE=ON >/dev/null || return 1
  (cd "$build" && ctest -V -j"$(nproc)" >"$out/ctest.log" 2>&1)
  local status=$?
  grep -E '^ *[0-9]+/[0-9]+ Test +#|tests passed|tests failed out of' "$out/ctest.log"
  awk '
    /^ +Start +[0-9]+: / { k = $2; sub(":", "", k); name[k] = $3; order[++n] = k; next }
    /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / {
      k = $3; sub("#", "", k); sub(":", "", k)
      ok[k] = ($0 ~ / Passed +[0-9.]+ sec$/); seen[k] = 1; next
    }
    match($0, /^[0-9]+: /) {
      k = substr($0, 1, RLENGTH - 2); line = substr($0, RLENGTH + 1)
      out[k] = out[k] $0 "\n"
      if (line ~ /^\[==========\] Running [0-9]+ test\(s\)\./) { split(line, w, " "); planned[k] += w[3]; cm[k] = 1 }
      else if (line ~ /^\[  PASSED  \] [0-9]+ test\(s\)\./) { split(line, w, " "); p[k] += w[4] }
      else if (line ~ /^\[  SKIPPED \] [0-9]+ test\(s\), listed below:/) { split(line, w, " "); s[k] += w[4] }
      else if (line ~ /^\[  FAILED  \] [0-9]+ test\(s\), listed below:/) { split(line, w, " "); f[k] += w[4] }
    }
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]
        if (cm[k]) {
          if (p[k] + s[k] + f[k] < planned[k]) f[k] = planned[k] - p[k] - s[k]
          if (!ok[k] && f[k] == 0) f[k] = 1
        } else if (ok[k]) { p[k] = 1 } else { f[k] = 1 }
        printf "unit: %-22s %3d passed, %d failed, %d skipped%s\n", name[k], p[k], f[k], s[k],
               cm[k] ? "" : " (not cmocka: one case)"
        if (f[k]) printf "%s", out[k]
        P += p[k]; F += f[k]; S += s[k]
      }
      if (n == 0) F = 1
      printf "unit: %d passed, %d failed, %d skipped\n", P, F, S
    }' "$out/ctest.log"
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
# guests saw, into $out/vm/COMPATIBILITY.md: the tier fails if it differs from
# docs/COMPATIBILITY.md (copy it over docs/ when the change is intended) or cannot be made.
vm_tier() {
  local bin iotest vmout=$out/vm status=0 t0=$SECONDS
  bin=$(BUILD_DIR=$root/build-static "$root/scripts/build.sh" -DIOTRACE_STATIC=ON -DIOTRACE_TESTS=OFF) || return 1
  # the static I/O helper the guest drives, from a normal build (tests on)
  BUILD_DIR=$root/build "$root/scripts/build.sh" >/dev/null || return 1
  iotest=$root/build/tests/iotest
  [ -x "$iotest" ] || { echo "vm: $iotest was not built"; return 1; }
  # the arm64 guests (kernel ids arm64-*): the cross-built static iotrace and iotest
  local bin_arm64
  bin_arm64=$(BUILD_DIR=$root/build-arm64 "$root/scripts/build-arm64.sh") || return 1
  "$root/tests/vm/run-matrix.sh" --iotrace "$bin" --out "$vmout" --zfs \
    --guest-script "$root/tests/vm/guest/iotrace.sh" \
    --iotrace-arm64 "$bin_arm64" --extra-arm64 "$root/build-arm64/iotest:/bin/iotest" \
    --extra "$iotest:/bin/iotest" --extra "$root/tests/vm/expected:/etc/iotrace/expected" |
    tee "$out/vm-matrix.log"
  status=${PIPESTATUS[0]}
  # The documented matrix must be what the guests saw: a stale docs/COMPATIBILITY.md, or a
  # generator that cannot produce it, fails the tier (one more failed assertion).
  local compat=ok gen=0
  rm -f "$vmout/COMPATIBILITY.md"
  "$root/tests/vm/gen-compat.sh" "$vmout" "$vmout/COMPATIBILITY.md" || gen=$?
  if [ "$gen" -ne 0 ] || [ ! -s "$vmout/COMPATIBILITY.md" ]; then
    echo "FAIL vm: tests/vm/gen-compat.sh failed (exit $gen): docs/COMPATIBILITY.md unchecked"
    compat=failed
  elif cmp -s "$vmout/COMPATIBILITY.md" "$root/docs/COMPATIBILITY.md"; then
    echo "vm: docs/COMPATIBILITY.md matches this run"
  elif "$root/tests/vm/gen-compat.sh" --verdicts "$root/docs/COMPATIBILITY.md" >"$vmout/COMPATIBILITY.verdicts.doc" &&
    "$root/tests/vm/gen-compat.sh" --verdicts "$vmout/COMPATIBILITY.md" >"$vmout/COMPATIBILITY.verdicts.run" &&
    cmp -s "$vmout/COMPATIBILITY.verdicts.doc" "$vmout/COMPATIBILITY.verdicts.run"; then
    # a pass is exact or counted by the timing of the kernel's skipped probe runs
    echo "vm: docs/COMPATIBILITY.md matches this run's verdicts; only passes differ (exact/counted, counts): $vmout/COMPATIBILITY.md"
  else
    echo "FAIL vm: docs/COMPATIBILITY.md differs from what this run saw (verdicts, passes as \"pass\"):"
    diff -u "$vmout/COMPATIBILITY.verdicts.doc" "$vmout/COMPATIBILITY.verdicts.run" | head -n 60
    echo "vm: if the change is intended, refresh it and commit:" \
      "cp $vmout/COMPATIBILITY.md $root/docs/COMPATIBILITY.md"
    compat=failed
  fi
  # The unit tests' fixture kernels must still be what the pinned kernels offer.
  local fixtures=ok
  "$root/tests/vm/check-fixtures.sh" "$vmout" || fixtures=failed
  echo "vm: tier took $((SECONDS - t0)) s"
  if [ "$compat" != ok ] || [ "$fixtures" != ok ]; then
    # run-matrix.sh's last line counts the guests' assertions; these add the document's and
    # the fixtures' checks
    local line p f extra=0
    [ "$compat" = ok ] || extra=$((extra + 1))
    [ "$fixtures" = ok ] || extra=$((extra + 1))
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/vm-matrix.log" | tail -n1)
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"${line:-0 passed, 0 failed}")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"${line:-0 passed, 0 failed}")
    echo "$p passed, $((f + extra)) failed"
    [ "$status" -ne 0 ] || status=1
  fi
  return "$status"
}

note "dependencies"
"$root/scripts/deps.sh" test || { echo "0 passed, 1 failed"; exit 1; }

for tier in $tiers; do
  case $tier in
    unit) run_tier unit "cmocka test cases" unit_tier ;;
    fuzz) run_tier fuzz "fuzz targets" fuzz_tier ;;
    live) run_tier live "live test functions" live_tier ;;
    vm) run_tier vm "guest assertions" vm_tier ;;
    *) echo "unknown tier $tier"; failed=$((failed + 1)) ;;
  esac
done

note "summary (logs in $out)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
