#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# How the routers move packets (docs/dataplane.md section 1), TCP carried as
# TCP (the default):
#   - default (forwarding-peer-input auto): both routers take waypoint
#     packets from an AF_PACKET ring on their peer-facing interface (the
#     startup log and `show stats` say so), no TAP device exists, and send
#     waypoint packets with sendmmsg on an AF_PACKET socket of that
#     interface (next hop's MAC address from the neighbour table, qdisc
#     bypass), raw IP sockets as the fallback; a 20 MB curl through them
#     has the right sha256; the sending router (B, server to client) sent
#     at least 99 % of its outer segments through the AF_PACKET socket, in
#     batches (wire packets per send call >= 4), and its conntrack table
#     holds no waypoint flow (nft notrack); the receiving router (A) joined
#     the restored segments into super-packets (segments per write to its
#     TUN device >= 2); the ring dropped nothing;
#   - forwarding-peer-input tap: the TAP device (svrAw / svrBw) is used
#     instead, and the same transfer still works.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices, nftables, AF_PACKET"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

dp_topo
mkdir -p www
want=$(dp_gen_file www/f.bin 20)
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"

# stats ROUTER EXPR: EXPR on router ROUTER's show stats --json as d
stats() {
  "$DP_ROUTER" -c "$SVR_TMP/router$1.conf" show stats --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

fetch() {  # LABEL
  rm -f got.bin
  if dp_http_fetch f.bin "$SVR_TMP/got.bin" 8080 2>curl.err &&
     [ "$(dp_sha256_file got.bin)" = "$want" ]; then
    svr_pass "$1: 20 MB curl through the routers, sha256 equal"
  else
    svr_fail "$1: curl: $(cat curl.err) sha256 $(dp_sha256_file got.bin 2>/dev/null)"
  fi
}

# ---- default: AF_PACKET ring in, raw sockets out
dp_router_conf A >/dev/null
dp_router_conf B >/dev/null
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
for r in A B; do
  log=$DP_ROUTER_LOG_A; dev=aB; tap=svrAw
  [ $r = B ] && { log=$DP_ROUTER_LOG_B; dev=bA; tap=svrBw; }
  if grep -q "from peers: AF_PACKET ring (TPACKET_V2) on $dev; to peers: AF_PACKET sockets on $dev (sendmmsg;" "$log" &&
     [ "$(stats $r 'd["peer_input"], d["wire_output"]')" = "('ring', 'packet')" ] &&
     ! dp_ip $r link show "$tap" >/dev/null 2>&1; then
    svr_pass "router $r: AF_PACKET ring on $dev in, AF_PACKET socket on $dev out (log and show stats), no TAP device"
  else
    svr_fail "router $r: $(grep 'forwarding:' "$log" | tail -2) / $(stats $r 'd["peer_input"], d["wire_output"]') / $(dp_ip $r -br link | tr '\n' ' ')"
  fi
done
a0=$(stats A 'd["tx_host"], d["tx_host_writes"]' | tr -d '(),')
b0=$(stats B 'd["tx_wire"], d["tx_wire_writes"], d["tx_wire_packet"]' | tr -d '(),')
fetch "ring"
read -r ah0 ahw0 <<<"$a0"; read -r bw0 bww0 bwp0 <<<"$b0"
read -r ah1 ahw1 < <(stats A 'd["tx_host"], d["tx_host_writes"]' | tr -d '(),')
read -r bw1 bww1 bwp1 < <(stats B 'd["tx_wire"], d["tx_wire_writes"], d["tx_wire_packet"]' | tr -d '(),')
bw=$((bw1 - bw0)); bww=$((bww1 - bww0)); ah=$((ah1 - ah0)); ahw=$((ahw1 - ahw0)); bwp=$((bwp1 - bwp0))
echo "B sent $bw wire packets in $bww send calls; A wrote $ah restored packets in $ahw writes"
if [ "$bww" -gt 0 ] && [ "$bw" -ge $((4 * bww)) ]; then
  svr_pass "B sent its outer TCP segments in batches: $bw packets in $bww sendmmsg calls"
else
  svr_fail "B: $bw wire packets in $bww send calls (want >= 4 per call)"
fi
if [ "$bw" -gt 10000 ] && [ $((bwp * 100)) -ge $((bw * 99)) ]; then
  svr_pass "B sent $bwp of its $bw outer packets through the AF_PACKET socket (the rest: raw socket)"
else
  svr_fail "B: $bwp of $bw outer packets through the AF_PACKET socket (want >= 99 %)"
fi
# waypoint flows (both ports in 16385-65533) between the two routers
wpflows=$(dp_exec B awk '/src=192\.168\.50\./ { s = d = 0
  for (i = 1; i <= NF; i++) {
    if (!s && $i ~ /^sport=/) s = substr($i, 7) + 0
    if (!d && $i ~ /^dport=/) d = substr($i, 7) + 0
  }
  if (s >= 16385 && d >= 16385) n++ } END { print n + 0 }' /proc/net/nf_conntrack)
[ "$wpflows" = 0 ] && svr_pass "no waypoint flow in B's conntrack table (notrack)" \
  || svr_fail "B tracks $wpflows waypoint flow(s): $(dp_exec B grep 192.168.50 /proc/net/nf_conntrack | head -3)"
if [ "$ahw" -gt 0 ] && [ "$ah" -ge $((2 * ahw)) ]; then
  svr_pass "A joined restored segments (GRO): $ah segments in $ahw writes to its TUN device"
else
  svr_fail "A: $ah restored packets in $ahw writes (want >= 2 per write)"
fi
[ "$(stats A 'd["ring_drops"] + d["ring_cut"]')" = 0 ] && [ "$(stats B 'd["ring_drops"] + d["ring_cut"]')" = 0 ] \
  && svr_pass "no frame dropped or cut by either ring" \
  || svr_fail "ring drops: A $(stats A 'd["ring_drops"], d["ring_cut"]') B $(stats B 'd["ring_drops"], d["ring_cut"]')"
dp_routers_down

# ---- forwarding-peer-input tap: the TAP device
dp_router_conf A forwarding-peer-input tap >/dev/null
dp_router_conf B forwarding-peer-input tap >/dev/null
dp_routers_up 30 || { svr_fail "routers (tap) did not come up"; svr_finish; }
if grep -q "from peers: TAP device svrAw" "$DP_ROUTER_LOG_A" &&
   [ "$(stats A 'd["peer_input"]')" = tap ] && [ "$(stats B 'd["peer_input"]')" = tap ] &&
   dp_ip A link show svrAw >/dev/null 2>&1; then
  svr_pass "forwarding-peer-input tap: waypoint packets through the TAP device (log and show stats)"
else
  svr_fail "tap mode: $(grep 'forwarding:' "$DP_ROUTER_LOG_A" | tail -2) / $(stats A 'd["peer_input"]')"
fi
fetch "tap"
[ "$(stats A 'd["rx_tap"]')" -gt 10000 ] && svr_pass "A read the transfer's frames from its TAP device" \
  || svr_fail "A rx_tap $(stats A 'd["rx_tap"]')"
dp_routers_down
svr_finish
