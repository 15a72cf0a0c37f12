#!/usr/bin/env bash
# The fuzz tier: build the libFuzzer harnesses of tests/fuzz (clang, ASan + UBSan) into
# build-fuzz/ and run each for SECONDS_PER_TARGET (default 20) over a scratch copy of its seed
# corpus (tests/fuzz/corpus/<target>/, which is never written to).
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]
#   FUZZ_TARGETS="parse escape"   only these targets
#   FUZZ_JOBS=N                   fuzzers run at once (default: the number of CPUs)
#   BUILD_DIR=dir                 build directory (default: build-fuzz)
#
# One "PASS/FAIL fuzz_<target> ..." line per target, then "fuzz: N passed, N failed"; exit 1
# on any failure. A target that cannot be built or run fails. Logs: build-fuzz/logs/; crash,
# leak, timeout and OOM inputs: build-fuzz/artifacts/<target>/ (replay one with
# build-fuzz/fuzz/fuzz_<target> FILE).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
build=${BUILD_DIR:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-parse escape pattern kfacts blockdev options biosnoop_print}
jobs=${FUZZ_JOBS:-$(nproc)}
here=$root/tests/fuzz
passed=0 failed=0

case $secs in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
mkdir -p "$build/logs" "$build/artifacts" "$build/corpus" || exit 1

result() { # target PASS|FAIL text
  printf '%s fuzz_%s %s\n' "$2" "$1" "$3"
  if [ "$2" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# ---- build --------------------------------------------------------------------------------
configured=1
cc=${FUZZ_CC:-$(command -v clang || command -v clang-14 || echo clang)}
if ! cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     -DIOTRACE_FUZZ=ON -DIOTRACE_TESTS=OFF -DIOTRACE_SANITIZE=OFF -DIOTRACE_STATIC=OFF \
     -DCMAKE_PROJECT_INCLUDE="$here/inject.cmake" >"$build/logs/configure.log" 2>&1; then
  echo "fuzz: cmake configure failed (see $build/logs/configure.log):"
  tail -n 5 "$build/logs/configure.log"
  configured=0
elif ! cmake --build "$build" -j"$(nproc)" --target iotrace_core >"$build/logs/build.log" 2>&1; then
  echo "fuzz: building iotrace_core failed (see $build/logs/build.log):"
  grep -m5 -E 'error|Error' "$build/logs/build.log"
  configured=0
fi

runnable=()
for t in $targets; do
  bin=$build/fuzz/fuzz_$t
  if [ ! -f "$here/fuzz_$t.c" ]; then
    result "$t" FAIL "(no harness tests/fuzz/fuzz_$t.c)"
  elif [ "$configured" -eq 0 ]; then
    result "$t" FAIL "(not built: configure/build failed)"
  elif ! cmake --build "$build" -j"$(nproc)" --target "fuzz_$t" >"$build/logs/build-$t.log" 2>&1 ||
       [ ! -x "$bin" ]; then
    result "$t" FAIL "(build failed: $build/logs/build-$t.log)"
    grep -m5 -E 'error' "$build/logs/build-$t.log"
  else
    runnable+=("$t")
  fi
done

# ---- run ----------------------------------------------------------------------------------
run_one() { # target -> writes logs/<target>.log and .rc
  local t=$1 bin=$build/fuzz/fuzz_$1 work=$build/corpus/$1 art=$build/artifacts/$1
  local log=$build/logs/$1.log dict=() rc
  rm -rf "$work"
  mkdir -p "$work" "$art"
  if [ -d "$here/corpus/$t" ]; then
    cp -R "$here/corpus/$t/." "$work/"
  fi
  if [ -f "$here/$t.dict" ]; then
    dict=(-dict="$here/$t.dict")
  fi
  # the outer timeout only catches a harness that hangs where libFuzzer cannot (start-up)
  timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" "$work" >"$log" 2>&1
  rc=$?
  echo "$rc" >"$build/logs/$t.rc"
}

pids=()
for t in "${runnable[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done
wait

for t in "${runnable[@]}"; do
  log=$build/logs/$t.log
  rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n1)
  stats="${secs}s, ${execs:-?} execs (${speed:-?}/s), ${cov:-no coverage line}, ${rss:-?} MB"
  if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
    result "$t" PASS "($stats)"
  else
    found=$(grep -Eo 'Test unit written to [^ ]+' "$log" | tail -n1 | sed 's/Test unit written to //')
    why=$(grep -m1 -E '==FUZZ INVARIANT==|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:' -A1 "$log" |
          tr '\n' ' ' | cut -c1-300)
    result "$t" FAIL "(exit $rc; ${why:-see $log}${found:+; input: $found}; log: $log)"
  fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
