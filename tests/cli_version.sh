#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# cli_version (unit): every program of the suite answers -V and --version
# with exit 0 and one line naming itself and a version number, and -h /
# --help with exit 0 and a usage text (docs/cli.md, "Options").  Before
# issue 17, svr-conductor and svr-conductor-router had no version option.
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
