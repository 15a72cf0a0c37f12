#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installation as users get it: cmake --install into a temporary prefix, tools run through
# their installed links, man pages and completion present, generated from the same option
# tables as --help (checked both ways, so they cannot drift), and a .deb with the same
# contents and correct dependencies.  Usage: test_install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d /tmp/iotrace-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

cmake --install "$build" --prefix "$tmp/usr" >/dev/null
bin=$tmp/usr/sbin
man=$tmp/usr/share/man/man8
comp=$tmp/usr/share/bash-completion/completions

# The tools that get a link are the tool table's (tools/tool_table.c), as --install makes
# them; CMake's IOTRACE_TOOL_LINKS must install the same set.
applets=$(mkdir "$tmp/applets" && "$bin/iotrace" --install "$tmp/applets" >/dev/null &&
          ls "$tmp/applets" | sort | tr '\n' ' ')
installed=$(find "$bin" -type l -printf '%f\n' | sort | tr '\n' ' ')
[ -n "$applets" ] && [ "$applets" = "$installed" ] && ok "installed links = the tool table's applets ($applets)" ||
  fail "installed links '$installed' differ from the tool table's applets '$applets' (IOTRACE_TOOL_LINKS in CMakeLists.txt)"
napplets=$(wc -w <<<"$applets")
for tool in $applets; do
  [ -L "$bin/$tool" ] && [ "$(readlink "$bin/$tool")" = iotrace ] || fail "$bin/$tool is not a link to iotrace"
  if [ "$("$bin/$tool" --help)" = "$("$bin/iotrace" "$tool" --help)" ]; then
    ok "$tool --help through the installed link"
  else
    fail "$tool --help through the link differs from iotrace $tool --help"
  fi
  page=$man/iotrace-$tool.8
  [ -s "$page" ] || { fail "no man page $page"; continue; }
  if command -v groff >/dev/null; then
    warnings=$(groff -man -ww -z "$page" 2>&1 || true)
    [ -z "$warnings" ] && ok "$tool man page renders cleanly" || fail "groff warnings in $page: $warnings"
  else
    fail "groff missing (scripts/deps.sh test installs groff-base)"
  fi
  # every long option of --help is in the man page and the completion, and nothing else is
  help_opts=$("$bin/iotrace" "$tool" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)
  man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH /{/^\.TP/{n;p}}' "$page" | sed 's/\\-/-/g' |
             grep -oE -- '--[a-z][a-z-]*' | sort -u)
  comp_opts=$(sed -n "/^\t$tool)/,/^\t\topts=/p" "$comp/iotrace" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
  [ "$help_opts" = "$man_opts" ] && ok "$tool: man page options = --help options" ||
    fail "$tool: man page options differ from --help: $(diff <(echo "$help_opts") <(echo "$man_opts") | tr '\n' ' ')"
  [ "$help_opts" = "$comp_opts" ] && ok "$tool: completion options = --help options" ||
    fail "$tool: completion options differ from --help: $(diff <(echo "$help_opts") <(echo "$comp_opts") | tr '\n' ' ')"
  grep -q '^\.SH EXIT STATUS' "$page" && grep -q '^\.SH EXAMPLES' "$page" ||
    fail "$page lacks EXIT STATUS or EXAMPLES"
done
[ -s "$man/iotrace.8" ] && ok "iotrace(8) installed" || fail "no iotrace(8)"

# --install says what it did: created, or left (already a link to this iotrace)
links=$tmp/links && mkdir -p "$links"
first_run=$("$tmp/usr/sbin/iotrace" --install "$links")
again=$("$tmp/usr/sbin/iotrace" --install "$links")
[ "$(grep -c ': created (hard link to ' <<<"$first_run")" -eq "$napplets" ] &&
  [ "$(grep -c ': already there (a link to this iotrace), left as it is' <<<"$again")" -eq "$napplets" ] &&
  ok "--install reports created and left links" ||
  fail "--install output: first '$first_run', then '$again'"

# completion in a real bash: tools, options, disk names for -d
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));
           f=$(complete -p "${COMP_WORDS[0]}" | sed -E "s/.*-F ([^ ]+).*/\1/"); "$f";
           printf "%s\n" "${COMPREPLY[@]}"' _ "$comp/iotrace" "$@"
}
complete_words iotrace bio | grep -x biosnoop >/dev/null && ok "completes tool names" || fail "iotrace bio<TAB> does not give biosnoop"
complete_words iotrace biosnoop --mi | grep -x -- --min-ms >/dev/null && ok "completes options" || fail "no --min-ms completion"
# not a loop device if there is another: other tests and benchmarks add and remove those
# (a loop, not a pipe into head: with pipefail, an early-closing head fails the script)
first="" disk=""
for d in /sys/class/block/*; do
  d=${d##*/}
  first=${first:-$d}
  case $d in loop*) ;; *) disk=$d; break ;; esac
done
disk=${disk:-$first}
complete_words biosnoop -d "" | grep -x "$disk" >/dev/null && ok "biosnoop -d completes disk names ($disk)" ||
  fail "biosnoop -d <TAB> does not offer $disk"
complete_words iotrace biosnoop --backend k | grep -x kprobe >/dev/null && ok "completes --backend kinds" || fail "no --backend completion"
complete_words iotrace --m | grep -x -- --man >/dev/null && complete_words iotrace --c | grep -x -- --completion >/dev/null &&
  ok "completes --man and --completion" || fail "no --man/--completion completion"
complete_words iotrace --help z | grep -x zfsslower >/dev/null && complete_words iotrace --man p | grep -x probes >/dev/null &&
  ok "completes tools after --help and --man" || fail "no tool names after --help/--man"
complete_words iotrace --install /us | grep -x /usr >/dev/null && ok "completes directories after --install" ||
  fail "no directories after --install"
complete_words iotrace biosnoop -p "$$" | grep -x "$$" >/dev/null && ok "completes PIDs after -p" ||
  fail "no PIDs after -p"
complete_words iotrace biosnoop --variant io- | grep -x io-classic >/dev/null && ok "completes --variant names" ||
  fail "no variant names after --variant"

# the Debian package
if command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null; then
  (cd "$build" && cpack -G DEB >/dev/null)
  deb=$(ls -t "$build"/iotrace_*.deb | head -n1)
  contents=$(dpkg-deb -c "$deb")
  for f in ./usr/sbin/iotrace ./usr/sbin/biolatency ./usr/sbin/biosnoop ./usr/sbin/zfsslower ./usr/sbin/ext4slower ./usr/share/man/man8/iotrace-fsslower.8 ./usr/share/man/man8/iotrace-biosnoop.8 \
           ./usr/share/bash-completion/completions/iotrace; do
    grep -q -- " $f" <<<"$contents" || fail "$deb lacks $f"
  done
  depends=$(dpkg-deb -f "$deb" Depends)
  [[ $depends == *libbpf1* && $depends == *libc6* ]] && ok ".deb depends: $depends" || fail ".deb Depends is '$depends'"
  mkdir "$tmp/deb" && dpkg-deb -x "$deb" "$tmp/deb"
  "$tmp/deb/usr/sbin/zfsslower" --version | grep -q '^iotrace ' && ok "tool runs from the unpacked .deb" ||
    fail "zfsslower from the .deb does not run"
else
  fail "dpkg-deb/dpkg-shlibdeps missing (scripts/deps.sh test installs dpkg-dev)"
fi

echo "install: $((fails == 0 ? 1 : 0)) passed, $((fails == 0 ? 0 : 1)) failed ($fails problems)"
[ "$fails" -eq 0 ]
