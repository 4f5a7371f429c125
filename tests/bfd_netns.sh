#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bfd_netns (label netns, root): svr-bfd across network namespaces.
#   A 10.90.0.1 --veth-- B 10.90.0.2
#     1. both Up (SVR mode, 100 ms, mult 3: detection time 300 ms); B sees
#        A's router name and 0 hops (TTL 255 arrived unchanged);
#     2. the veth is deleted: both sides go Down with diag 1 (control detection
#        time expired) no later than 300 ms + 150 ms after the deletion
#        started.  Why the bound holds: the last packet arrived before the
#        deletion, and Down is declared one detection time after the last
#        packet, so Down <= deletion + 300 ms; the margin covers timer
#        rounding (1 ms), the time `ip link del` takes and scheduling on a
#        busy 2-core CI machine.  Down must also come >= 100 ms after the
#        deletion started (no packet is older than one 100 ms interval, so
#        detection cannot fire sooner than 300 - 100 ms; 100 ms leaves room).
#     4. over IPv6 on the same veth (fd00:90::1 <-> fd00:90::2): Up, hop
#        limit 255 arrives (0 hops), so IPV6_RECVHOPLIMIT/PKTINFO work;
#     5. examples/bfd_uv (libuv) in A and examples/bfd_poll (poll) in B, on
#        10.90.1.1 <-> 10.90.1.2, print "-> up" (the examples work);
#   A2 10.91.1.2 --- 10.91.1.1 N 10.91.2.1 --- 10.91.2.2 B2
#     3. N masquerades A2 to 10.91.2.1 with source ports 40000-40999
#        (nft `masquerade to :40000-40999 random`), so the port really changes;
#        B2 (passive, peer = the NAT address) reaches Up answering the
#        observed address, and its JSON table shows 10.91.2.1:400xx.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
svr_require_cmd ip nft
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"

T="--tx 100 --rx 100 --mult 3 --hold-down 0 --json"
svr_ns_add A; svr_ns_add B
svr_veth A 10.90.0.1/24 B 10.90.0.2/24

svr_bg A "$SVR_BFD" -l 10.90.0.1 -p 10.90.0.2 $T --router-name rtrA --node-name nodeA
PA=$SVR_LAST_PID; LA=$SVR_LAST_LOG
svr_bg B "$SVR_BFD" -l 10.90.0.2 -p 10.90.0.1 $T --router-name rtrB
PB=$SVR_LAST_PID; LB=$SVR_LAST_LOG
if svr_wait_for 10 "[ -n \"\$(bfd_state_time '$LA' up)\" ] && [ -n \"\$(bfd_state_time '$LB' up)\" ]"; then
  svr_pass "A and B Up over veth"
else
  svr_fail "not Up"; cat "$LA" "$LB"
fi
tb=$(bfd_table "$LB" "$PB")
if [ "$(bfd_json_field "$tb" peer_router)" = rtrA ] &&
   [ "$(bfd_json_field "$tb" peer_node)" = nodeA ] &&
   [ "$(bfd_json_field "$tb" rx_hops)" = 0 ] &&
   [ "$(bfd_json_field "$tb" detect_time_ms)" = 300.000 ]; then
  svr_pass "B: peer router rtrA, node nodeA, 0 hops, detect 300 ms"
else
  svr_fail "B table: $tb"
fi

# IPv6 and the examples share the veth before it is cut
ip -n "$(svr_ns A)" -6 addr add fd00:90::1/64 dev vAB nodad
ip -n "$(svr_ns B)" -6 addr add fd00:90::2/64 dev vBA nodad
ip -n "$(svr_ns A)" addr add 10.90.1.1/24 dev vAB
ip -n "$(svr_ns B)" addr add 10.90.1.2/24 dev vBA
svr_bg A "$SVR_BFD" -l fd00:90::1 -p fd00:90::2 $T --router-name v6A
P6A=$SVR_LAST_PID; L6A=$SVR_LAST_LOG
svr_bg B "$SVR_BFD" -l fd00:90::2 -p fd00:90::1 $T
P6B=$SVR_LAST_PID; L6B=$SVR_LAST_LOG
EX=$SVR_BUILD_DIR/examples
if [ -x "$EX/bfd_uv" ] && [ -x "$EX/bfd_poll" ]; then
  svr_bg A "$EX/bfd_uv" 10.90.1.1 10.90.1.2; LEA=$SVR_LAST_LOG
  svr_bg B "$EX/bfd_poll" 10.90.1.2 10.90.1.1; LEB=$SVR_LAST_LOG
fi
if svr_wait_for 10 "[ -n \"\$(bfd_state_time '$L6A' up)\" ] && [ -n \"\$(bfd_state_time '$L6B' up)\" ]"; then
  tb=$(bfd_table "$L6B" "$P6B")
  if [ "$(bfd_json_field "$tb" rx_hops)" = 0 ] && [ "$(bfd_json_field "$tb" peer_router)" = v6A ]; then
    svr_pass "IPv6: Up, 0 hops (hop limit 255 received), router name v6A"
  else
    svr_fail "IPv6 table: $tb"
  fi
else
  svr_fail "IPv6: not Up"; cat "$L6A" "$L6B"
fi
if [ -z "${LEA:-}" ]; then
  echo "note: examples not built (SVR_BUILD_EXAMPLES=OFF), not checked"
elif svr_wait_for 10 "grep -q -- '-> up' '$LEA' && grep -q -- '-> up' '$LEB'"; then
  svr_pass "examples: bfd_uv (libuv) and bfd_poll (poll) reach Up with each other"
else
  svr_fail "examples not Up: $(cat "$LEA" "$LEB")"
fi

t0=$(date +%s.%N)
ip -n "$(svr_ns A)" link del vAB
svr_wait_for 5 "[ -n \"\$(bfd_state_time '$LA' down)\" ] && [ -n \"\$(bfd_state_time '$LB' down)\" ]"
for side in A B; do
  log=$LA; [ $side = B ] && log=$LB
  td=$(bfd_state_time "$log" down)
  diag=$(grep '"to":"down"' "$log" | head -1 | sed -n 's/.*"diag_code":\([0-9]*\).*/\1/p')
  ms=$(bfd_ms_between "$t0" "${td:-0}")
  if [ -n "$td" ] && [ "$diag" = 1 ] && [ "$ms" -ge 100 ] && [ "$ms" -le 450 ]; then
    svr_pass "$side: Down (diag 1) ${ms} ms after the link was deleted (<= 300 + 150)"
  else
    svr_fail "$side: Down at '$td' diag '$diag', ${ms} ms after deletion"; cat "$log"
  fi
done

# --- NAT ------------------------------------------------------------------
svr_ns_add A2; svr_ns_add N; svr_ns_add B2
svr_veth A2 10.91.1.2/24 N 10.91.1.1/24 vA2N vNA2
svr_veth N 10.91.2.1/24 B2 10.91.2.2/24 vNB2 vB2N
ip -n "$(svr_ns A2)" route add 10.91.2.0/24 via 10.91.1.1
ip netns exec "$(svr_ns N)" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$(svr_ns N)" nft -f - <<'NFT' || svr_fail "nft ruleset"
table ip svrnat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "vNB2" meta l4proto udp masquerade to :40000-40999 random
  }
}
NFT
svr_bg A2 "$SVR_BFD" -l 10.91.1.2 -p 10.91.2.2 $T --router-name natted
P2A=$SVR_LAST_PID; L2A=$SVR_LAST_LOG
svr_bg B2 "$SVR_BFD" -l 10.91.2.2 -p 10.91.2.1 $T --passive
P2B=$SVR_LAST_PID; L2B=$SVR_LAST_LOG
if svr_wait_for 10 "[ -n \"\$(bfd_state_time '$L2A' up)\" ] && [ -n \"\$(bfd_state_time '$L2B' up)\" ]"; then
  svr_pass "through NAT: A2 and B2 Up"
else
  svr_fail "through NAT: not Up"; cat "$L2A" "$L2B"
fi
tb=$(bfd_table "$L2B" "$P2B")
ep=$(bfd_json_field "$tb" remote_endpoint)
port=${ep##*:}
if [ "${ep%:*}" = 10.91.2.1 ] && [ "${port:-0}" -ge 40000 ] && [ "$port" -le 40999 ] &&
   [ "$(bfd_json_field "$tb" peer_router)" = natted ]; then
  svr_pass "B2 answers the observed NAT address $ep (router 'natted')"
else
  svr_fail "B2 table: $tb"
fi
svr_finish
