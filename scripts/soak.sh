#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Soak test (not in CI): biosnoop under continuous mixed I/O for MINUTES (default 30), its
# resources sampled every INTERVAL seconds. Root only.
#
#   scripts/soak.sh [MINUTES]
#
# Sets up a loop device, runs mixed I/O on it (fio if installed: direct random read/write,
# buffered writes with fsync, discards; else dd loops), and `iotrace biosnoop > /dev/null`
# (with SOAK_JSON=1 also `iotrace biosnoop --json > /dev/null`). Every INTERVAL s it samples
# each tracer's resident memory (VmRSS), open descriptors (/proc/PID/fd) and the number of
# entries in its `inflight` map (found through /proc/PID/fdinfo map_id lines: Debian's
# bpftool has no pid column), and prints a table. At the end it stops the tracers with
# SIGINT (they must exit 0 with their summary line) and says, per metric, whether it stayed
# flat after the warm-up: max - min within a bound. Exits 1 if anything was not flat or a
# tracer misbehaved, 2 on bad arguments or a missing prerequisite.
#
# Environment: IOTRACE (default: build/iotrace, built if missing; an ASan build works but
# its allocator quarantine grows RSS by design, so judge RSS on a plain build), INTERVAL (10),
# WARMUP (seconds excluded from the verdict, 30), RSS_SLACK_KB (2048), FD_SLACK (0),
# INFLIGHT_SLACK (256: the map holds requests in flight, bounded by the queue depths),
# SOAK_JSON (0), SOAK_DIR (/var/tmp: direct I/O needs a real filesystem).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-30}
interval=${INTERVAL:-10}
warmup=${WARMUP:-30}
rss_slack=${RSS_SLACK_KB:-2048}
fd_slack=${FD_SLACK:-0}
inflight_slack=${INFLIGHT_SLACK:-256}
soak_json=${SOAK_JSON:-0}

die() { echo "soak: $*" >&2; exit 2; }
if ! [[ $minutes =~ ^[1-9][0-9]*$ ]]; then die "MINUTES must be a positive integer, got '$minutes'"; fi
if ! [[ $interval =~ ^[1-9][0-9]*$ ]]; then die "INTERVAL must be a positive integer"; fi
[ "$(id -u)" -eq 0 ] || die "needs root (BPF, loop devices)"
for tool in losetup bpftool; do command -v $tool >/dev/null || die "$tool is needed"; done
iotrace=${IOTRACE:-$root/build/iotrace}
if [ ! -x "$iotrace" ]; then
  [ -z "${IOTRACE:-}" ] || die "IOTRACE=$iotrace is not an executable"
  iotrace=$(BUILD_DIR=$root/build "$root/scripts/build.sh") || die "build failed"
fi

work=$(mktemp -d "${SOAK_DIR:-/var/tmp}/iotrace-soak.XXXXXX") || die "cannot make a work directory"
loopdev=
load_pids=()
tracer_pids=()
tracer_names=()

cleanup() {
  local pid
  for pid in "${load_pids[@]}" "${tracer_pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  [ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "soak: interrupted" >&2; exit 1' INT TERM HUP

# ---- the disk and the load ------------------------------------------------------------------

truncate -s 1G "$work/disk.img"
loopdev=$(losetup -f --show --direct-io=on "$work/disk.img") || die "losetup failed"
disk=$(basename "$loopdev")
runtime=$((minutes * 60 + 60)) # the load outlives the sampling

if command -v fio >/dev/null; then
  load="fio (direct randrw 4k-128k qd16, buffered writes + fsync, discards)"
  fio --output="$work/fio.out" --filename="$loopdev" --time_based --runtime="$runtime" \
    --group_reporting \
    --name=direct --rw=randrw --rwmixread=60 --bsrange=4k-128k --direct=1 --ioengine=libaio \
    --iodepth=16 --rate_iops=1500 --offset=0 --size=512M \
    --name=buffered --rw=write --bs=64k --direct=0 --fsync=16 --rate_iops=200 \
    --offset=512M --size=256M \
    --name=discard --rw=randtrim --bs=1M --rate_iops=5 --offset=768M --size=256M \
    >/dev/null 2>"$work/fio.err" &
  load_pids+=($!)
else
  load="dd loops (direct writes and reads, buffered writes with fsync)"
  ( while :; do
      dd if=/dev/zero of="$loopdev" bs=64k count=256 seek=$((RANDOM % 4096)) oflag=direct status=none
      dd if="$loopdev" of=/dev/null bs=16k count=512 skip=$((RANDOM % 16384)) iflag=direct status=none
    done ) &
  load_pids+=($!)
  ( while :; do
      dd if=/dev/urandom of="$loopdev" bs=1M count=16 seek=$((512 + RANDOM % 256)) conv=fsync status=none
      sleep 0.2
    done ) &
  load_pids+=($!)
fi

# ---- the tracers ----------------------------------------------------------------------------

start_tracer() { # name, biosnoop arguments...
  local name=$1
  shift
  "$iotrace" biosnoop -v "$@" >/dev/null 2>"$work/$name.err" &
  tracer_pids+=($!)
  tracer_names+=("$name")
}
start_tracer table
[ "$soak_json" = 1 ] && start_tracer json --json

for i in "${!tracer_pids[@]}"; do
  for _ in $(seq 900); do
    grep -q "tracing" "$work/${tracer_names[$i]}.err" 2>/dev/null && break
    kill -0 "${tracer_pids[$i]}" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "tracing" "$work/${tracer_names[$i]}.err" 2>/dev/null ||
    { echo "soak: biosnoop (${tracer_names[$i]}) did not start:" >&2; cat "$work/${tracer_names[$i]}.err" >&2; exit 1; }
done

inflight_map() { # pid -> id of its map named inflight
  local pid=$1 fdinfo id
  for fdinfo in /proc/"$pid"/fdinfo/*; do
    id=$(awk '$1 == "map_id:" { print $2 }' "$fdinfo" 2>/dev/null)
    [ -n "$id" ] || continue
    if bpftool -j map show id "$id" 2>/dev/null | grep -q '"name":"inflight"'; then
      echo "$id"
      return 0
    fi
  done
  return 1
}

map_ids=()
for i in "${!tracer_pids[@]}"; do
  map_ids[i]=$(inflight_map "${tracer_pids[$i]}") || die "no inflight map in biosnoop's fdinfo"
done

echo "soak: $minutes min on $disk with $load; biosnoop ${tracer_names[*]} ($iotrace);" \
  "sample every ${interval}s, verdict after ${warmup}s"
header="  time(s)"
for name in "${tracer_names[@]}"; do
  header+=$(printf " | %-5s %9s %5s %8s" "$name" "rss(kB)" "fds" "inflight")
done
echo "$header"

# samples[name.metric] = "v1 v2 ..." (after warm-up only)
declare -A samples
start=$(date +%s)
end=$((start + minutes * 60))
problems=0
while :; do
  now=$(date +%s)
  elapsed=$((now - start))
  line=$(printf "%9d" "$elapsed")
  for i in "${!tracer_pids[@]}"; do
    pid=${tracer_pids[$i]} name=${tracer_names[$i]}
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "soak: biosnoop ($name) died:" >&2
      tail -5 "$work/$name.err" >&2
      exit 1
    fi
    rss=$(awk '$1 == "VmRSS:" { print $2 }' /proc/"$pid"/status)
    fds=$(find /proc/"$pid"/fd -mindepth 1 -maxdepth 1 | wc -l)
    inflight=$(bpftool -j map dump id "${map_ids[$i]}" 2>/dev/null | grep -o '"key":' | wc -l)
    line+=$(printf " | %-5s %9s %5s %8s" "" "$rss" "$fds" "$inflight")
    if [ "$elapsed" -ge "$warmup" ]; then
      samples[$name.rss]+="$rss "
      samples[$name.fds]+="$fds "
      samples[$name.inflight]+="$inflight "
    fi
  done
  echo "$line"
  [ "$now" -ge "$end" ] && break
  sleep $((interval - ($(date +%s) - now) > 0 ? interval - ($(date +%s) - now) : 1))
done

# ---- stop, and the verdict -----------------------------------------------------------------

for i in "${!tracer_pids[@]}"; do
  pid=${tracer_pids[$i]} name=${tracer_names[$i]}
  kill -INT "$pid"
  wait "$pid"
  status=$?
  summary=$(tail -1 "$work/$name.err")
  echo "biosnoop ($name) exit $status: $summary"
  if [ "$status" -ne 0 ] || ! [[ $summary =~ ^biosnoop:\ [0-9]+\ events?,\ [0-9]+\ lost ]]; then
    echo "soak: biosnoop ($name) did not end cleanly" >&2
    problems=$((problems + 1))
  fi
  if grep -E -q "AddressSanitizer|LeakSanitizer|runtime error:" "$work/$name.err"; then
    echo "soak: sanitizer report from biosnoop ($name):" >&2
    grep -E -A20 "AddressSanitizer|LeakSanitizer|runtime error:" "$work/$name.err" | head -40 >&2
    problems=$((problems + 1))
  fi
done
tracer_pids=()

verdict() { # name metric slack unit
  local values=${samples[$1.$2]:-} min max n
  if [ -z "$values" ]; then
    echo "  $1 $2: no samples after the warm-up (run longer than WARMUP)"
    problems=$((problems + 1))
    return
  fi
  read -r n min max < <(tr ' ' '\n' <<<"$values" | awk 'NF { n++; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1 } END { print n, lo, hi }')
  if [ $((max - min)) -le "$3" ]; then
    printf "  %-5s %-8s flat:     min %s, max %s%s over %d samples (bound %s%s)\n" "$1" "$2" "$min" "$max" "$4" "$n" "$3" "$4"
  else
    printf "  %-5s %-8s NOT FLAT: min %s, max %s%s over %d samples (bound %s%s)\n" "$1" "$2" "$min" "$max" "$4" "$n" "$3" "$4"
    problems=$((problems + 1))
  fi
}
echo "after the ${warmup}s warm-up:"
for name in "${tracer_names[@]}"; do
  verdict "$name" rss "$rss_slack" " kB"
  verdict "$name" fds "$fd_slack" ""
  verdict "$name" inflight "$inflight_slack" ""
done
if [ -s "$work/fio.err" ]; then
  echo "fio said:" && head -5 "$work/fio.err"
fi
if [ "$problems" -ne 0 ]; then
  echo "soak: FAILED ($problems problems)"
  exit 1
fi
echo "soak: passed"
