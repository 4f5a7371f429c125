#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# router_scale_small (label netns, root): bench/router_scale.sh end to end at
# N = 200 with a 5 s window, so CI exercises the harness (spoke_emu, the hub
# config generator, the show polling, the svr-bfd run, the SIGHUP check):
#  - the hub shows all 200 paths up, no false Down on either side, and the
#    final line has every key the issue names, with numbers;
#  - SIGHUP removing 100 adjacencies and adding 100 keeps the other 100
#    (kept=100) without a flap (ok=yes);
#  - svr-bfd alone brought all 200 up too (a ratio was computed).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
svr_require_cmd "$SVR_BUILD_DIR/cli/svr-router" "$SVR_BUILD_DIR/bench/spoke_emu" nft ip
OUT=$SVR_TMP/out
bash "$SVR_SOURCE_DIR/bench/router_scale.sh" --n 200 --window 5 --reload >"$OUT" 2>&1
rc=$?
[ $rc = 0 ] && svr_pass "router_scale.sh exit 0" || svr_fail "router_scale.sh exit $rc: $(tail -5 "$OUT")"
last=$(tail -1 "$OUT")
echo "$last"
kv() { printf '%s\n' "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
case $last in
  "router_scale n=200 up="*" false_downs="*" cpu_pct="*" bfd_only_cpu_pct="*" ratio_bfd="*" bytes_per_path="*" show_ms="*)
    svr_pass "last line has the issue's keys in order" ;;
  *) svr_fail "last line: $last" ;;
esac
[ "$(kv up)" = 200 ] && svr_pass "hub shows 200 paths up" || svr_fail "up=$(kv up)"
[ "$(kv false_downs)" = 0 ] && svr_pass "no false Down" || svr_fail "false_downs=$(kv false_downs)"
for k in cpu_pct bfd_only_cpu_pct ratio_bfd bytes_per_path show_ms bringup_s; do
  [[ "$(kv $k)" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] && svr_pass "$k=$(kv $k) is a number" || svr_fail "$k=$(kv $k)"
done
r=$(grep '^reload ' "$OUT")
echo "$r"
case $r in *" kept=100 "*" ok=yes"*) svr_pass "SIGHUP -100/+100: the other 100 kept, no flap" ;;
  *) svr_fail "reload: $r" ;; esac
grep -q '^svr-bfd mode=async n=200 up=200 ' "$OUT" && svr_pass "svr-bfd alone: 200 up" ||
  svr_fail "svr-bfd: $(grep '^svr-bfd' "$OUT")"
svr_finish
