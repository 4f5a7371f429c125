#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-pmtu across namespaces A - R - B (reference/lab-recipes.md section 4):
#   A a0 10.97.1.1/24 (1500) -- r0 10.97.1.2 [R forwards] r1 10.97.2.1 (MTU 1400) -- b0 10.97.2.2 B (1400)
# 1. ICMP allowed: R's "fragmentation needed" reaches A; svr-pmtu validates it
#    and finds exactly 1400.
# 2. Black hole: nftables in R drops the ICMP R itself generates (OUTPUT hook);
#    svr-pmtu still finds exactly 1400 from probe losses alone.
# 2b. The other way, B -> A, with b0 at 1500: R silently drops B's packets
#    above 1400 (nft prerouting; no ICMP at all): exactly 1400 from B.
# 3. While running (--interval 2, black hole kept), the R-B link drops to
#    1300: the next run reports exactly 1300.
# 4. No responder: ICMP port unreachable, exit 6 at once; probes silently
#    dropped (nft at B): exit status 1 and the "unresolvable" message.
# 5. Usage errors exit 2.
# 6. IPv6 (fd97:1::/64 - fd97:2::/64): exactly 1400 with ICMPv6 "packet too
#    big" allowed, and with R dropping it (black hole).
# Bounded: every svr-pmtu run has a --timeout and is killed by the trap.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
svr_require_cmd ip nft
PMTU="$SVR_BUILD_DIR/cli/svr-pmtu"
[ -x "$PMTU" ] || { echo "FAIL: $PMTU not built"; exit 1; }

svr_ns_add A; svr_ns_add R; svr_ns_add B
A=$(svr_ns A); R=$(svr_ns R); B=$(svr_ns B)
svr_veth A 10.97.1.1/24 R 10.97.1.2/24 a0 r0
svr_veth R 10.97.2.1/24 B 10.97.2.2/24 r1 b0
ip -n "$R" link set r1 mtu 1400
ip -n "$B" link set b0 mtu 1400
ip -n "$A" route add 10.97.2.0/24 via 10.97.1.2      # no default routes
ip -n "$B" route add 10.97.1.0/24 via 10.97.2.1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$R" sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$A" addr add fd97:1::1/64 dev a0 nodad
ip -n "$R" addr add fd97:1::2/64 dev r0 nodad
ip -n "$R" addr add fd97:2::1/64 dev r1 nodad
ip -n "$B" addr add fd97:2::2/64 dev b0 nodad
ip -n "$A" -6 route add fd97:2::/64 via fd97:1::2
ip -n "$B" -6 route add fd97:1::/64 via fd97:2::1

svr_bg B "$PMTU" respond --bind 10.97.2.2 --json
RESP_LOG=$SVR_LAST_LOG
svr_wait_for 5 "grep -q listening '$RESP_LOG'" || { cat "$RESP_LOG"; svr_fail "responder did not start"; svr_finish; }

# json_field FILE EVENT FIELD: the FIELD of the last EVENT line.
json_last() { grep "\"event\":\"$2\"" "$1" | tail -1 | sed -n "s/.*\"$3\":\([0-9a-z\"]*\).*/\1/p"; }

echo "== 1. ICMP allowed"
OUT=$SVR_TMP/icmp.json
ip netns exec "$A" timeout 60 "$PMTU" probe --peer 10.97.2.2 --timeout 300 --json >"$OUT" 2>"$SVR_TMP/icmp.err"
rc=$?
pmtu=$(json_last "$OUT" result pmtu); probes=$(json_last "$OUT" result probes)
nptb=$(grep -c '"event":"ptb"' "$OUT")
echo "   exit $rc, pmtu $pmtu, probes $probes, validated PTBs $nptb"
[ "$rc" = 0 ] && [ "$pmtu" = 1400 ] && svr_pass "ICMP allowed: exactly 1400, exit 0" || { cat "$OUT" "$SVR_TMP/icmp.err"; svr_fail "ICMP allowed: got '$pmtu' exit $rc"; }
[ "$nptb" -ge 1 ] && svr_pass "ICMP allowed: R's frag-needed was validated and used" || svr_fail "ICMP allowed: no validated PTB"

echo "== 2. black hole (R drops its own frag-needed in the OUTPUT hook)"
ip netns exec "$R" nft -f - <<'EON'
table inet svr_pmtu {
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr 10.97.1.0/24 icmp type destination-unreachable icmp code frag-needed counter drop
  }
}
EON
ip -n "$A" route flush cache
OUT=$SVR_TMP/bh.json
ip netns exec "$A" timeout 60 "$PMTU" probe --peer 10.97.2.2 --timeout 300 --json >"$OUT" 2>"$SVR_TMP/bh.err"
rc=$?
pmtu=$(json_last "$OUT" result pmtu); probes=$(json_last "$OUT" result probes)
nptb=$(grep -c '"event":"ptb"' "$OUT"); nlost=$(grep -c '"event":"lost"' "$OUT")
drops=$(ip netns exec "$R" nft list table inet svr_pmtu | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
echo "   exit $rc, pmtu $pmtu, probes $probes, lost $nlost, PTBs $nptb, frag-needed dropped in R: $drops"
[ "$rc" = 0 ] && [ "$pmtu" = 1400 ] && svr_pass "black hole: exactly 1400, exit 0" || { cat "$OUT" "$SVR_TMP/bh.err"; svr_fail "black hole: got '$pmtu' exit $rc"; }
[ "$nptb" = 0 ] && [ "${drops:-0}" -ge 1 ] && [ "$nlost" -ge 3 ] && svr_pass "black hole: no ICMP reached A ($drops dropped), found by $nlost losses" || svr_fail "black hole: PTBs $nptb, drops '$drops', lost $nlost"

echo "== 2b. the other way, B -> A: R drops what is above 1400, silently"
# b0 at 1500: B sends probes up to 1500 bytes.  R's r1 (MTU 1400) drops
# bigger frames on receipt, but veth lets 4 bytes more through (VLAN slack:
# measured 1404), so R also drops IP packets above 1400 from B in prerouting:
# a silent black hole, no ICMP at all.
ip -n "$B" link set b0 mtu 1500
ip netns exec "$R" nft -f - <<'EON'
table ip svr_pmtu_ba {
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    iifname "r1" ip length > 1400 counter drop
  }
}
EON
svr_bg A "$PMTU" respond --bind 10.97.1.1 --json
RESPA_LOG=$SVR_LAST_LOG
svr_wait_for 5 "grep -q listening '$RESPA_LOG'" || svr_fail "responder on A did not start"
OUT=$SVR_TMP/ba.json
ip netns exec "$B" timeout 60 "$PMTU" probe --peer 10.97.1.1 --timeout 300 --json >"$OUT" 2>"$SVR_TMP/ba.err"
rc=$?
pmtu=$(json_last "$OUT" result pmtu); probes=$(json_last "$OUT" result probes)
nptb=$(grep -c '"event":"ptb"' "$OUT"); nlost=$(grep -c '"event":"lost"' "$OUT")
echo "   exit $rc, pmtu $pmtu, probes $probes, lost $nlost, PTBs $nptb"
[ "$rc" = 0 ] && [ "$pmtu" = 1400 ] && [ "$nptb" = 0 ] && [ "$nlost" -ge 3 ] &&
  svr_pass "B -> A: exactly 1400 from losses alone ($probes probes)" ||
  { cat "$OUT" "$SVR_TMP/ba.err"; svr_fail "B -> A: got '$pmtu' exit $rc PTBs $nptb lost $nlost"; }
ip -n "$B" link set b0 mtu 1400
ip netns exec "$R" nft delete table ip svr_pmtu_ba

echo "== 3. MTU 1400 -> 1300 while running (interval 2 s, black hole kept)"
OUT=$SVR_TMP/follow.json
svr_bg A "$PMTU" probe --peer 10.97.2.2 --timeout 200 --interval 2 --runs 0 --json
FOLLOW_LOG=$SVR_LAST_LOG
if svr_wait_for 30 "grep -q '\"event\":\"result\".*\"pmtu\":1400' '$FOLLOW_LOG'"; then
  svr_pass "running prober: first result 1400"
  ip -n "$R" link set r1 mtu 1300; ip -n "$B" link set b0 mtu 1300
  t_change=$(date +%s%N)
  # One interval (2 s) plus the search itself (under 20 probes, lost ones
  # cost 200 ms each): 12 s is a generous bound.
  if svr_wait_for 12 "grep -q '\"event\":\"result\".*\"pmtu\":1300' '$FOLLOW_LOG'"; then
    dt=$(( ($(date +%s%N) - t_change) / 1000000 ))
    svr_pass "followed the drop to exactly 1300 in ${dt} ms"
  else
    cat "$FOLLOW_LOG"; svr_fail "did not report 1300 within 12 s"
  fi
  ip -n "$R" link set r1 mtu 1400; ip -n "$B" link set b0 mtu 1400
  if svr_wait_for 12 "tail -n 3 '$FOLLOW_LOG' | grep -q '\"event\":\"result\".*\"pmtu\":1400'"; then
    svr_pass "followed the rise back to exactly 1400"
  else
    tail -20 "$FOLLOW_LOG"; svr_fail "did not report 1400 again within 12 s"
  fi
else
  cat "$FOLLOW_LOG"; svr_fail "running prober: no first result"
fi

echo "== 4. no responder on port 1281: ICMP port unreachable stops the probe at once"
OUT=$SVR_TMP/unres.txt
ip netns exec "$A" timeout 60 "$PMTU" probe --peer 10.97.2.2 --port 1281 --timeout 100 >"$OUT" 2>"$SVR_TMP/unres.err"
rc=$?
echo "   exit $rc: $(head -1 "$SVR_TMP/unres.err")"
[ "$rc" = 6 ] && grep -q "state unreachable (port_unreachable)" "$OUT" &&
  svr_pass "no responder: exit 6 (unreachable) at the first ICMP port unreachable" ||
  { cat "$OUT" "$SVR_TMP/unres.err"; svr_fail "no responder: exit $rc"; }
echo "== 4b. probes silently dropped at B (no ICMP): unresolvable"
ip netns exec "$B" nft -f - <<'NFT'
table inet svr_pmtu_test {
  chain in {
    type filter hook input priority 0;
    udp dport 1282 drop
  }
}
NFT
ip netns exec "$A" timeout 60 "$PMTU" probe --peer 10.97.2.2 --port 1282 --timeout 100 >"$OUT" 2>"$SVR_TMP/unres.err"
rc=$?
ip netns exec "$B" nft delete table inet svr_pmtu_test
echo "   exit $rc: $(grep -h unresolvable "$SVR_TMP/unres.err" | head -1)"
[ "$rc" = 1 ] && grep -q "path MTU is unresolvable" "$SVR_TMP/unres.err" && svr_pass "silent drop: exit 1, unresolvable" || { cat "$OUT" "$SVR_TMP/unres.err"; svr_fail "silent drop: exit $rc"; }

echo "== 5. usage"
"$PMTU" probe >/dev/null 2>&1; rc1=$?
"$PMTU" probe --peer 10.97.2.2 --max 99999 >/dev/null 2>&1; rc2=$?
"$PMTU" probe --peer not-an-address >/dev/null 2>&1; rc3=$?
"$PMTU" frobnicate >/dev/null 2>&1; rc4=$?
[ "$rc1$rc2$rc3$rc4" = 2222 ] && svr_pass "usage errors exit 2" || svr_fail "usage exits $rc1 $rc2 $rc3 $rc4"

echo "== 6. IPv6"
svr_bg B "$PMTU" respond --bind fd97:2::2 --json
RESP6_LOG=$SVR_LAST_LOG
svr_wait_for 5 "grep -q listening '$RESP6_LOG'" || svr_fail "IPv6 responder did not start"
ip netns exec "$R" nft delete table inet svr_pmtu 2>/dev/null
ip -n "$A" -6 route flush cache
OUT=$SVR_TMP/v6icmp.json
ip netns exec "$A" timeout 60 "$PMTU" probe --peer fd97:2::2 --timeout 300 --json >"$OUT" 2>"$SVR_TMP/v6icmp.err"
rc=$?
pmtu=$(json_last "$OUT" result pmtu); probes=$(json_last "$OUT" result probes)
nptb=$(grep -c '"event":"ptb"' "$OUT")
echo "   ICMPv6 allowed: exit $rc, pmtu $pmtu, probes $probes, validated PTBs $nptb"
[ "$rc" = 0 ] && [ "$pmtu" = 1400 ] && [ "$nptb" -ge 1 ] && svr_pass "IPv6, packet-too-big allowed: exactly 1400 using the PTB" || { cat "$OUT" "$SVR_TMP/v6icmp.err"; svr_fail "IPv6 ICMP allowed: got '$pmtu' exit $rc PTBs $nptb"; }
ip netns exec "$R" nft -f - <<'EON'
table inet svr_pmtu6 {
  chain output {
    type filter hook output priority 0; policy accept;
    ip6 daddr fd97:1::/64 icmpv6 type packet-too-big counter drop
  }
}
EON
ip -n "$A" -6 route flush cache
OUT=$SVR_TMP/v6bh.json
ip netns exec "$A" timeout 60 "$PMTU" probe --peer fd97:2::2 --timeout 300 --json >"$OUT" 2>"$SVR_TMP/v6bh.err"
rc=$?
pmtu=$(json_last "$OUT" result pmtu); probes=$(json_last "$OUT" result probes)
nptb=$(grep -c '"event":"ptb"' "$OUT")
drops=$(ip netns exec "$R" nft list table inet svr_pmtu6 | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
echo "   ICMPv6 dropped: exit $rc, pmtu $pmtu, probes $probes, PTBs $nptb, dropped in R: $drops"
[ "$rc" = 0 ] && [ "$pmtu" = 1400 ] && [ "$nptb" = 0 ] && [ "${drops:-0}" -ge 1 ] && svr_pass "IPv6 black hole: exactly 1400 from losses alone" || { cat "$OUT" "$SVR_TMP/v6bh.err"; svr_fail "IPv6 black hole: got '$pmtu' exit $rc PTBs $nptb drops '$drops'"; }

svr_finish
