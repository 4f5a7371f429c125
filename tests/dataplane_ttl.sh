#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# TTL through the routers (issue 12): each svr-router is one routed hop, as
# plain kernel routing over the same namespaces (RFC 1812 5.3.1), in both
# directions.
#   - UDP probes C -> S with TTL 3, 64 and 255 (and S's answers with TTL 3
#     and 64): the TTL S sees, and the one C sees on the answer, equal what
#     the same probe gets with plain kernel routing in the same run (N - 2);
#   - TTL 1: ICMP time exceeded from routerA (10.1.0.1);
#   - TTL 2: the probe expires on routerB, never reaches S (B's kernel counts
#     it in Ip InHdrErrors); with a route back to the client network on B,
#     the time exceeded comes from routerB (192.168.50.2), as with kernel
#     routing;
#   - TTL 3: arrives at S with TTL 1.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"
PROBE="python3 $SVR_SOURCE_DIR/tests/dataplane_ttl.py"

dp_topo
svr_bg S $PROBE serve 10.2.0.2 7008
svr_wait_for 10 "grep -q listening '$SVR_LAST_LOG'" || { svr_fail "probe server did not start"; svr_finish; }

# probe TTL REPLY_TTL: one probe from C, prints the probe script's line
probe() { dp_exec C $PROBE probe 10.2.0.2 7008 "$1" "$2" 2; }
# B's Ip InHdrErrors (a packet whose TTL ran out while B forwarded it)
hdr_errors_b() {
  dp_exec B cat /proc/net/snmp | awk '/^Ip:/ { n++; if (n == 1) for (i = 1; i <= NF; i++) c[$i] = i;
    else print $c["InHdrErrors"] }'
}
CASES="3:64 64:64 255:64 64:3 64:2"

# ---- the reference: plain kernel routing over the same links
dp_kernel_routes_on
for c in $CASES; do
  eval "kern_${c/:/_}=\"\$(probe ${c%:*} ${c#*:})\""
done
kern_t1=$(probe 1 64)
kern_t2=$(probe 2 64)
dp_kernel_routes_off
echo "kernel routing: $(for c in $CASES; do eval "printf '%s -> %s; ' $c \"\$kern_${c/:/_}\""; done)ttl 1: $kern_t1; ttl 2: $kern_t2"
[ "$kern_3_64" = "reply 1 62" ] && [ "$kern_t1" = "icmp 11 0 10.1.0.1" ] &&
  [ "$kern_t2" = "icmp 11 0 192.168.50.2" ] ||
  svr_fail "kernel routing reference is not two hops: ttl 3 $kern_3_64, ttl 1 $kern_t1, ttl 2 $kern_t2"

# ---- the same probes through the two svr-routers
dp_router_conf A >/dev/null
dp_router_conf B >/dev/null
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"
# the session exists before the measured probes (the first packet of a
# flow takes the same path; this only keeps the timing out of the result)
probe 64 64 >/dev/null

for c in $CASES; do
  n=${c%:*}; m=${c#*:}
  got=$(probe "$n" "$m")
  eval "want=\$kern_${c/:/_}"
  if [ "$got" = "$want" ]; then
    svr_pass "TTL $n out, $m back: $got (server saw, client saw), as kernel routing"
  else
    svr_fail "TTL $n out, $m back: '$got' through the routers, '$want' with kernel routing"
  fi
done

got=$(probe 1 64)
[ "$got" = "icmp 11 0 10.1.0.1" ] && svr_pass "TTL 1: time exceeded from routerA ($got)" \
  || svr_fail "TTL 1: '$got', want time exceeded from routerA 10.1.0.1"

e0=$(hdr_errors_b)
got=$(probe 2 64)
e1=$(hdr_errors_b)
if [ "$got" = none ] && [ $((e1 - e0)) -ge 1 ]; then
  svr_pass "TTL 2: expired on routerB (InHdrErrors +$((e1 - e0))), never reached the server"
else
  svr_fail "TTL 2: '$got', routerB InHdrErrors $e0 -> $e1 (want none, +1)"
fi
# B answers like any router, through its own routing table
dp_ip B route add 10.1.0.0/24 via 192.168.50.1
got=$(probe 2 64)
[ "$got" = "$kern_t2" ] && svr_pass "TTL 2 with a route back on routerB: time exceeded from routerB ($got), as kernel routing" \
  || svr_fail "TTL 2 with a route back on B: '$got', kernel routing '$kern_t2'"
dp_ip B route del 10.1.0.0/24 via 192.168.50.1
# the route did not take the data plane's place: the session still carries it
got=$(probe 3 64)
[ "$got" = "reply 1 62" ] && svr_pass "TTL 3: arrives at the server with TTL 1 ($got)" \
  || svr_fail "TTL 3: '$got', want reply 1 62"

$RA show stats --json >stats_a.json
$RB show stats --json >stats_b.json
python3 - stats_a.json stats_b.json <<'EOF' && svr_pass "the probes crossed the data plane (9 or more through A's ingress and B's egress)" || svr_fail "stats: $(cat stats_a.json stats_b.json)"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
# 1 + 5 + 2 (TTL 2) + 1 (TTL 3) probes passed routerA; TTL 1 did not
assert a["ingress_packets"] >= 9 and b["egress_packets"] >= 9, (a, b)
EOF

kill -0 "$DP_ROUTER_PID_A" && kill -0 "$DP_ROUTER_PID_B" && svr_pass "both routers alive" || svr_fail "a router died"
svr_finish
