#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# cli_version (unit): every program of the suite answers -V and --version
# with exit 0 and one line naming itself and a version number, and -h /
# --help with exit 0 and a usage text (docs/cli.md, "Options").  Before
# issue 17, svr-conductor and svr-conductor-router had no version option.
# An unknown option exits 2 with a short error on stderr (at most 3 lines,
# the first naming the program, the last "Try 'PROG --help'."), not the
# whole usage text (svr-router printed all of it, svr-fwdet no pointer).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
for p in svr-bfd svr-pmtu svr-fwdet svr-router svr-conductor svr-conductor-router; do
  b="$SVR_BUILD_DIR/cli/$p"
  [ -x "$b" ] || { svr_fail "$p not built"; continue; }
  for o in -V --version; do
    out=$("$b" $o 2>&1); rc=$?
    if [ $rc = 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
       grep -Eq "^$p .*[0-9]+\.[0-9]+\.[0-9]+" <<<"$out"; then
      svr_pass "$p $o: $out"
    else
      svr_fail "$p $o: exit $rc: $out"
    fi
  done
  err=$("$b" --no-such-option 2>&1 >/dev/null); rc=$?
  if [ $rc = 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -le 3 ] &&
     grep -q "^$p: " <<<"$(head -1 <<<"$err")" &&
     [ "$(tail -1 <<<"$err")" = "Try '$p --help'." ]; then
    svr_pass "$p --no-such-option: exit 2, $(head -1 <<<"$err")"
  else
    svr_fail "$p --no-such-option: exit $rc: $(head -5 <<<"$err")"
  fi
  for o in -h --help; do
    out=$("$b" $o 2>&1); rc=$?
    if [ $rc = 0 ] && grep -qi "usage" <<<"$out"; then
      svr_pass "$p $o: exit 0, usage"
    else
      svr_fail "$p $o: exit $rc"
    fi
  done
done
svr_finish
