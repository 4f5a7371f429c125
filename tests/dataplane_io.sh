#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# How the routers move packets (docs/dataplane.md section 1), TCP carried as
# TCP (the default):
#   - default (forwarding-peer-input auto): both routers take waypoint
#     packets from an AF_PACKET ring on their peer-facing interface (the
#     startup log and `show stats` say so), no TAP device exists, and send
#     waypoint packets with sendmmsg on raw sockets; a 20 MB curl through
#     them has the right sha256; the sending router (B, server to client)
#     sent its outer TCP segments in batches (wire packets per send call
#     >= 4) and the receiving router (A) joined the restored segments into
#     super-packets (segments per write to its TUN device >= 2); the ring
#     dropped nothing;
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
  if grep -q "from peers: AF_PACKET ring (TPACKET_V2) on $dev; to peers: raw IP sockets (sendmmsg)" "$log" &&
     [ "$(stats $r 'd["peer_input"], d["wire_output"]')" = "('ring', 'raw')" ] &&
     ! dp_ip $r link show "$tap" >/dev/null 2>&1; then
    svr_pass "router $r: AF_PACKET ring on $dev in, raw sockets out (log and show stats), no TAP device"
  else
    svr_fail "router $r: $(grep 'forwarding:' "$log" | tail -2) / $(stats $r 'd["peer_input"], d["wire_output"]') / $(dp_ip $r -br link | tr '\n' ' ')"
  fi
done
a0=$(stats A 'd["tx_host"], d["tx_host_writes"]' | tr -d '(),')
b0=$(stats B 'd["tx_wire"], d["tx_wire_writes"]' | tr -d '(),')
fetch "ring"
read -r ah0 ahw0 <<<"$a0"; read -r bw0 bww0 <<<"$b0"
read -r ah1 ahw1 < <(stats A 'd["tx_host"], d["tx_host_writes"]' | tr -d '(),')
read -r bw1 bww1 < <(stats B 'd["tx_wire"], d["tx_wire_writes"]' | tr -d '(),')
bw=$((bw1 - bw0)); bww=$((bww1 - bww0)); ah=$((ah1 - ah0)); ahw=$((ahw1 - ahw0))
echo "B sent $bw wire packets in $bww send calls; A wrote $ah restored packets in $ahw writes"
if [ "$bww" -gt 0 ] && [ "$bw" -ge $((4 * bww)) ]; then
  svr_pass "B sent its outer TCP segments in batches: $bw packets in $bww sendmmsg calls"
else
  svr_fail "B: $bw wire packets in $bww send calls (want >= 4 per call)"
fi
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
