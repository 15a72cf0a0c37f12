#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Live tests: real BPF programs on this kernel, real I/O on loop devices. Needs root and
# IOTRACE=/path/to/iotrace. Prints one PASS/FAIL (or SKIPPED, with its reason) line per test
# and ends with "live: N passed, N failed, N skipped"; exits non-zero if anything failed or
# could not run.
# Arguments (optional) name the tests to run, e.g. tests/live/run.sh pid_filter. The tests are
# in biosnoop_live.py (the tool's output and filters) and reliability_live.py (signals, pipes,
# kill -9, missing BTF/tracefs/capabilities, hostile names); livelib.py holds what they share.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export IOTRACE_LIVE_DIR=${IOTRACE_LIVE_DIR:-/var/tmp}
export IOTRACE_CGROUP2=${IOTRACE_CGROUP2:-/sys/fs/cgroup/unified}
export IOTRACE_BLKIO=${IOTRACE_BLKIO:-/sys/fs/cgroup/blkio}
export PYTHONDONTWRITEBYTECODE=1 # the test modules import each other: no __pycache__ here

if [ -z "${IOTRACE:-}" ] || [ ! -x "${IOTRACE:-}" ]; then
  echo "FAIL setup: IOTRACE must name the iotrace executable (got '${IOTRACE:-}')"
  echo "live: 0 passed, 1 failed"
  exit 1
fi
if ! command -v python3 >/dev/null; then
  echo "FAIL setup: python3 is needed (scripts/deps.sh test installs it)"
  echo "live: 0 passed, 1 failed"
  exit 1
fi

pidfile=$(mktemp /tmp/iotrace-live-pids.XXXXXX)
export IOTRACE_LIVE_PIDFILE=$pidfile

# The tests clean up after themselves; this catches what a killed run left behind: its
# processes, loop devices over its files (and loop devices over those), its scratch
# directories and cgroups.
sweep() {
  local pid dir f dev up
  while read -r pid; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done <"$pidfile"
  rm -f "$pidfile"
  for dir in "$IOTRACE_LIVE_DIR"/iotrace-live-*; do
    [ -d "$dir" ] || continue
    for f in "$dir"/*; do
      [ -f "$f" ] || continue
      for dev in $(losetup -j "$f" -O NAME -n 2>/dev/null); do
        for up in $(losetup -j "$dev" -O NAME -n 2>/dev/null); do losetup -d "$up"; done
        losetup -d "$dev"
      done
    done
    rm -rf "$dir"
  done
  for dir in "$IOTRACE_CGROUP2"/iotrace-live-* "$IOTRACE_BLKIO"/iotrace-live-*; do
    [ -d "$dir" ] && rmdir "$dir" 2>/dev/null
  done
}
trap sweep EXIT

# In the background so that a signal reaches the tests at once (bash runs traps only between
# commands): they clean up, report what they got through and end. One process runs every
# module's tests in this order, so the last line counts them all.
python3 "$here/livelib.py" --modules biosnoop_live,reliability_live,biolatency_live,fsslower_live "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' INT TERM HUP
status=0
wait "$child" || status=$?
while kill -0 "$child" 2>/dev/null; do
  wait "$child" || status=$?
done
exit "$status"
