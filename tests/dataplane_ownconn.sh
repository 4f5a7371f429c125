#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A forwarding router takes from the kernel only waypoint packets that come
# from its peers (docs/dataplane.md section 1): the router's own connections
# keep working even when their ephemeral port falls in the waypoint range.
#   - router A's namespace gets ip_local_port_range 40000-40999 (inside the
#     waypoint ports 16385-65533); a host beside A on the A-B link
#     (192.168.50.3, not a peer) serves a 4 MB file over HTTP; with
#     forwarding running, curl from A's namespace gets it whole (sha256
#     equal) from an ephemeral port in the waypoint range, and C still
#     reaches S through the routers; the same with forwarding-peer-input tap;
#   - SIGHUP with an adjacency to 192.168.50.3 added makes it a peer: the
#     replies to A's connection to it are now taken by A's ring (dropped
#     without a session, counted; the connection fails) and the address is in
#     A's nft peer set; a SIGHUP back to the first file removes it again and
#     the transfer works.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices, nftables, AF_PACKET"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

dp_topo
# the host beside A: a second address of B's namespace on the A-B link
dp_ip B addr add 192.168.50.3/24 dev bA
dp_exec A sysctl -qw net.ipv4.ip_local_port_range="40000 40999"
mkdir -p www
want=$(dp_gen_file www/own.bin 4)
svr_bg B python3 -m http.server --bind 192.168.50.3 --directory "$SVR_TMP/www" 8081
svr_wait_for 10 "dp_exec B ss -Hltn 'sport = :8081' | grep -q ." || svr_fail "no HTTP server on 192.168.50.3"

stats() {
  "$DP_ROUTER" -c "$SVR_TMP/router$1.conf" show stats --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

# own_fetch: curl from router A's namespace to the host beside it; prints
# the local port; 0 when the file arrived whole
own_fetch() {
  local port
  rm -f own.bin
  port=$(dp_exec A curl -sS --fail --connect-timeout 3 --max-time 20 \
    -w '%{local_port}' -o "$SVR_TMP/own.bin" http://192.168.50.3:8081/own.bin 2>curl.err)
  echo "$port"
  [ -f own.bin ] && [ "$(dp_sha256_file own.bin)" = "$want" ]
}

check_own() {  # LABEL
  local port
  if port=$(own_fetch); then
    if [ "$port" -ge 16385 ] && [ "$port" -le 65533 ]; then
      svr_pass "$1: router A's own connection from port $port (a waypoint port) to 192.168.50.3: 4 MB, sha256 equal"
    else
      svr_fail "$1: local port $port is not in the waypoint range: the test proves nothing"
    fi
  else
    svr_fail "$1: router A's own connection (local port '$port') to 192.168.50.3: $(cat curl.err)"
  fi
  dp_reachable 5 && svr_pass "$1: C reaches S through the routers" \
    || svr_fail "$1: C does not reach S"
}

for mode in ring tap; do
  if [ $mode = ring ]; then
    dp_router_conf A >/dev/null; dp_router_conf B >/dev/null
  else
    dp_router_conf A forwarding-peer-input tap >/dev/null
    dp_router_conf B forwarding-peer-input tap >/dev/null
  fi
  dp_routers_up 30 || { svr_fail "$mode: routers did not come up"; svr_finish; }
  [ "$(stats A 'd["peer_input"]')" = $mode ] || svr_fail "$mode: A's peer_input is $(stats A 'd["peer_input"]')"
  check_own "$mode"
  [ $mode = ring ] || break
  # ---- reload: 192.168.50.3 becomes a peer, then stops being one
  cp routerA.conf routerA.base
  printf '%s\n' "" "[adjacency routerC]" "neighborhood nb" "address 192.168.50.3" \
    "encryption aes-256-gcm" "security-key-id 1" "security-key $DP_KEY" >>routerA.conf
  n0=$(grep -c 'reloaded:' "$DP_ROUTER_LOG_A")
  r0=$(stats A 'sum(d["drops"].values())')
  kill -HUP "$DP_ROUTER_PID_A"
  svr_wait_for 10 "[ \$(grep -c 'reloaded:' '$DP_ROUTER_LOG_A') -gt $n0 ]" || svr_fail "reload 1 not done"
  # the peer set in A's nft table follows the paths
  svr_wait_for 10 "dp_exec A nft list table netdev svr_fwd_$DP_ROUTER_PID_A 2>/dev/null | grep -q 192.168.50.3" ||
    svr_fail "reload 1: 192.168.50.3 not in A's nft table: $(dp_exec A nft list table netdev svr_fwd_$DP_ROUTER_PID_A 2>&1 | tr '\n' ' ')"
  if port=$(own_fetch); then
    svr_fail "reload: 192.168.50.3 is a peer now, yet A's connection to it from port $port worked"
  elif [ "$(stats A 'sum(d["drops"].values())')" -gt "$r0" ]; then
    svr_pass "reload adding peer 192.168.50.3: A takes (and drops: no session) the replies it sends to A's port in the waypoint range (drops $r0 -> $(stats A 'sum(d["drops"].values())'): $(stats A '{k: v for k, v in d["drops"].items() if v}'))"
  else
    svr_fail "reload: connection failed but A took no frame from 192.168.50.3: $(cat curl.err)"
  fi
  cp routerA.base routerA.conf
  n0=$(grep -c 'reloaded:' "$DP_ROUTER_LOG_A")
  kill -HUP "$DP_ROUTER_PID_A"
  svr_wait_for 10 "[ \$(grep -c 'reloaded:' '$DP_ROUTER_LOG_A') -gt $n0 ]" || svr_fail "reload 2 not done"
  if svr_wait_for 10 "! dp_exec A nft list table netdev svr_fwd_$DP_ROUTER_PID_A | grep -q 192.168.50.3"; then
    check_own "reload removing peer 192.168.50.3"
  else
    svr_fail "reload 2: 192.168.50.3 still in A's nft table: $(dp_exec A nft list table netdev svr_fwd_$DP_ROUTER_PID_A | tr '\n' ' ')"
  fi
  dp_routers_down
done
dp_routers_down
svr_finish
