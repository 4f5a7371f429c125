#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router hub and spoke (label netns, root): the spoke asks for RFC 5880
# Demand mode, the hub stops periodic BFD toward it, and echo tests become
# what watches the path.
#  - the spoke's session has no detection timer armed (detect_time_ms null),
#    the hub's has; both show the path up;
#  - nft drops every echo datagram into the spoke: the first whole burst lost
#    takes the spoke's session Down with Diag 2 ("echo function failed"),
#    although BFD itself still answers.  Bound: the burst in progress ends
#    within burst + timeout (1.1 s), the next one, wholly lost, within
#    another 1.1 s; + 1 s slack = 3.2 s.  The session comes back at once
#    (BFD works), so the spoke uses a 2 s hold-down: the path is not shown
#    up again before that;
#  - the rule removed: the path is up again and stays up;
#  - the link cut: both sides show the path down.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
R="$SVR_BUILD_DIR/cli/svr-router"
CHECK="$SVR_SOURCE_DIR/tests/router_json_check.py"
svr_require_cmd "$R" python3 nft ip
T=$SVR_TMP

svr_ns_add S; svr_ns_add H
svr_veth S 10.79.1.1/24 H 10.79.1.2/24 vSH vHS
for x in s h; do
  if [ $x = s ]; then me=10.79.1.1; peer=10.79.1.2; pn=hub; topo=spoke; name=spoke; hold=2
  else me=10.79.1.2; peer=10.79.1.1; pn=spoke; topo=hub; name=hub; hold=0ms; fi
  printf '%s\n' "router $name" "control-socket $T/$x.sock" \
    "desired-tx-interval 100" "required-min-rx-interval 100" \
    "required-min-echo-interval 5" "hold-down-time $hold" \
    "link-test-interval 1" "link-test-length 10" \
    "[interface i]" "address $me" "[neighborhood n]" "interface i" \
    "topology $topo" "[adjacency $pn]" "neighborhood n" "address $peer" >"$T/$x.conf"
  svr_bg "${x^^}" "$R" -v -c "$T/$x.conf"
  eval "LOG_$x=\$SVR_LAST_LOG"
done
show() { "$R" -s "$T/$1.sock" show peers detail --json 2>/dev/null; }
get() { show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"][0][sys.argv[1]])' "$2"; }

if svr_wait_for 15 '[ "$(get s status)" = up ] && [ "$(get h status)" = up ] && [ "$(get s bursts)" -ge 1 ]'; then
  svr_pass "hub and spoke up, spoke has echo results"
else svr_fail "not up"; tail -5 "$LOG_s"; svr_finish; fi
svr_wait_for 5 '[ "$(get s detect_time_ms)" = None ]' &&
  svr_pass "spoke: Demand mode active (hub stopped periodic packets, no detection timer)" ||
  svr_fail "spoke: detect_time_ms $(get s detect_time_ms)"
[ "$(get h detect_time_ms)" != None ] && svr_pass "hub: detection timer armed ($(get h detect_time_ms) ms)" ||
  svr_fail "hub: no detection timer"
for x in s h; do
  r=$(show $x | python3 "$CHECK" --detail --expect-peers 1 --expect-up 1) &&
    svr_pass "$x detail --json schema: $r" || svr_fail "$x: $r"
done

printf '%s\n' "table inet svrecho {" " chain in {" \
  "  type filter hook input priority 0; policy accept;" \
  "  iifname \"vSH\" udp dport 1280 @th,64,64 0x4c48dbc6ddf6670c drop" " }" "}" >"$T/drop.nft"
ip netns exec "$(svr_ns S)" nft -f "$T/drop.nft"
t0=$(date +%s%N) # the rule is in force from here (nft may take a while)
if svr_wait_for 5 'grep -q "up -> down (echo function failed)" "$LOG_s"'; then
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ $ms -le 3200 ] && svr_pass "echo dropped: spoke session Down, Diag 2 (echo function failed), after $ms ms" ||
    svr_fail "echo dropped: Down only after $ms ms"
  st=$(get s status)
  [ "$st" != up ] && svr_pass "spoke does not show the path up ($st) within its hold-down" ||
    svr_fail "spoke shows up right after the echo failure"
else svr_fail "echo dropped: no Diag 2 Down on the spoke: $(tail -3 "$LOG_s")"; fi

ip netns exec "$(svr_ns S)" nft delete table inet svrecho
svr_wait_for 10 '[ "$(get s status)" = up ]' &&
  svr_pass "echo restored: path up again" || svr_fail "echo restored: still $(get s status)"

ip -n "$(svr_ns S)" link set vSH down
svr_wait_for 6 '[ "$(get s status)" = down ]' &&
  svr_pass "link cut: spoke shows the path down" || svr_fail "link cut: spoke still $(get s status)"
svr_wait_for 3 '[ "$(get h status)" = down ]' &&
  svr_pass "link cut: hub shows the path down" || svr_fail "link cut: hub still $(get h status)"
svr_finish
