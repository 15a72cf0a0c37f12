#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The layers of docs/ARCHITECTURE.md, checked: every #include "dir/file.h" in core/, backends/
# and tools/ must name a folder below the including one (or its own). Prints the folder graph
# ("FROM -> TO" lines) and one line per upward or unknown edge, per folder the picture in
# docs/ARCHITECTURE.md leaves out or per folder it shows that does not exist; exit 1 if any.
# Usage: check-layers.sh [SOURCE_ROOT]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"

# Top to bottom. A folder may include any folder after it, never one before it. tools/ itself
# (main.c and the tool table) is the top; every other folder of tools/ is a tool, below it and
# above the rest: a new tool needs no line here, and no tool includes another's folder.
order=(tools TOOLS tools/blockreq
       core/tracer core/cli core/engine backends core/probe core/kfacts core/util)
rank() {
  local i
  for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done
  case $1 in tools/*) echo 1 ;; *) echo -1 ;; esac
}
folder_of_include() { # an include path -> the folder it lives in
  case $1 in
    util/* | kfacts/* | probe/* | engine/* | cli/* | tracer/*) echo "core/${1%%/*}" ;;
    */*) echo "tools/${1%%/*}" ;;
    *) echo "" ;; # same folder, probes/ (event structs, skeletons), generated, system
  esac
}

bad=0
edges=$(for f in core/*/*.[ch] backends/*.c tools/*.c tools/*/*.[ch]; do
  from=$(dirname "$f")
  grep -oE '^#include "[^"]+"' "$f" | sed 's/^#include "//; s/"$//' | while read -r inc; do
    to=$(folder_of_include "$inc")
    [ -n "$to" ] && [ "$to" != "$from" ] && echo "$from -> $to"
  done
done | sort -u)
echo "$edges"
while read -r from _ to; do
  [ -n "$from" ] || continue
  rf=$(rank "$from") rt=$(rank "$to")
  if [ "$rf" -lt 0 ] || [ "$rt" -lt 0 ]; then
    echo "UNKNOWN LAYER: $from -> $to (add the folder to the order in $0)"; bad=1
  elif [ "$rt" -le "$rf" ]; then
    echo "UPWARD: $from -> $to"; bad=1
  fi
done <<<"$edges"
for d in core/* backends tools/*; do
  [ -d "$d" ] && [ "$(rank "$d")" -lt 0 ] && { echo "UNKNOWN LAYER: $d"; bad=1; }
done
# A layer's internal.h is its own files' business: nobody else includes it.
for f in $(grep -lE '^#include "[a-z]+/internal\.h"' core/*/*.[ch] backends/*.c tools/*.c tools/*/*.[ch] || true); do
  for inc in $(grep -oE '^#include "[a-z]+/internal\.h"' "$f" | sed 's/^#include "//; s/"$//'); do
    [ "$(folder_of_include "$inc")" = "$(dirname "$f")" ] ||
      { echo "INTERNAL: $f includes $inc, another layer's internals"; bad=1; }
  done
done

# Links point up only where the top registers what is below it: the tool table names the
# tools. Nothing under core/ or backends/ may name a tool.
for f in $(grep -lE 'extern const struct tool tool_' core/*/*.[ch] backends/*.c || true); do
  echo "UPWARD: $f names a tool (register it in tools/tool_table.c)"; bad=1
done
# A tool folder reaches another folder through its header, never through an extern of its
# own: an extern tool or probe table in tools/<tool>/*.c must be defined in that folder.
for f in tools/*/*.c; do
  for name in $(sed -n '/^extern/,/;/p' "$f" | tr ',;' '  ' |
                grep -oE '\b(tool_[a-z0-9_]+|[a-z0-9_]+_probe_table)\b' || true); do
    grep -qE "^(const struct [a-z_]+ $name\b|[A-Z_]+\($name,)" "$(dirname "$f")"/*.c ||
      { echo "HIDDEN EDGE: $f declares $name from another folder (include its header)"; bad=1; }
  done
done

# docs/ARCHITECTURE.md's picture (its first code block) names every folder, and no other.
picture=$(awk '/^```/{n++; next} n==1' docs/ARCHITECTURE.md)
for d in core/* backends tools/* probes; do
  [ -d "$d" ] || continue
  grep -qE "(^|[ ,(])$d/?([ ,)]|$)" <<<"$picture" || { echo "PICTURE: $d is not in docs/ARCHITECTURE.md"; bad=1; }
done
for d in $(grep -oE '(core|tools|backends|probes)(/[a-z0-9_]+)?/' <<<"$picture" | sort -u); do
  [ -d "$d" ] || { echo "PICTURE: docs/ARCHITECTURE.md shows $d, which does not exist"; bad=1; }
done
[ $bad -eq 0 ] && echo "layers: no upward edge; the picture shows every folder"
exit $bad
