#!/usr/bin/env bash
# Fresh Debian 12, as root: install dependencies, build, and run `iotrace biosnoop` (Ctrl-C
# stops it). Arguments are passed to biosnoop, e.g. scripts/run.sh -d sda --min-ms 5
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" build
bin=$("$root/scripts/build.sh")
exec "$bin" biosnoop "$@"
