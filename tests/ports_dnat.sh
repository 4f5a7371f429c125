#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-ports' nftables ruleset with --dnat-to on a default-drop firewall in
# front of a conductor (issue 19, docs/svr-ports.md):
#
#   B bA 10.93.2.2 -- aB A aF 10.93.1.1 -- fA [F] fK -- kF [K] 10.93.9.10
#                                   10.93.1.100 (the conductor as A knows it)
#
# router-a has 'conductor 10.93.1.100' (default port 930); the conductor
# (svr-conductor) listens on 10.93.9.10:930 in K; F owns 10.93.1.100 and its
# only ruleset is `svr-ports --format nft --dnat-to 10.93.9.10 a.conf`.
# Checks:
#   - router-a's management link comes up through F's DNAT (the conductor
#     shows it connected);
#   - an alarm crosses it: router-b frozen (SIGSTOP) -> the conductor stores
#     "Peer router-b path is down";
#   - the asset ports are forwarded too: router-a's asset channel (TLS on
#     4505 and 4506 to 10.93.1.100) reaches the conductor's listeners in
#     K (show assets: running; both connections logged by the conductor),
#     and its software-available lines answer the version check (made
#     every 2 s here: show assets software);
#   - a port not in the list is dropped: TCP A -> 10.93.9.10:22 (K listens)
#     never connects and F's final drop counter moves.
# Bounded: every wait has a deadline; cleanup by tests/lib/netns.sh.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, nftables, port 930"
R="$SVR_BUILD_DIR/cli/svr-router"
C="$SVR_BUILD_DIR/cli/svr-conductor"
RN="$SVR_BUILD_DIR/cli/svr-conductor-router"
PORTS="$SVR_BUILD_DIR/cli/svr-ports"
svr_require_cmd "$R" "$C" "$RN" "$PORTS" python3 nft
T=$SVR_TMP
cd "$T"

for n in A B F K; do svr_ns_add $n; done
svr_veth A 10.93.2.1/24 B 10.93.2.2/24 aB bA
svr_veth A 10.93.1.1/24 F 10.93.1.254/24 aF fA
svr_veth F 10.93.9.254/24 K 10.93.9.10/24 fK kF
ip -n "$(svr_ns F)" addr add 10.93.1.100/32 dev fA
ip -n "$(svr_ns A)" route add 10.93.9.0/24 via 10.93.1.254
ip -n "$(svr_ns K)" route add 10.93.1.0/24 via 10.93.9.254
ip netns exec "$(svr_ns F)" sysctl -qw net.ipv4.ip_forward=1

"$RN" keygen "$T/router-a.key" >/dev/null
mkdir -p "$T/cnd"
"$C" --dir "$T/cnd" enroll router-a "$T/router-a.key.pub" >/dev/null
svr_bg K "$C" --dir "$T/cnd" run --listen 10.93.9.10 --port 930 --node cnd1 \
  --asset-version-check-interval 2 -v
LOG_C=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'listening port=' '$LOG_C'" || {
  cat "$LOG_C"; svr_fail "conductor did not start"; svr_finish; }
echo "[10.93.1.100]:930 $(cut -d' ' -f1,2 "$T/cnd/ssh_host_ed25519_key.pub")" >"$T/known_hosts"

conf() { # conf ME PEER MYADDR PEERADDR [extra lines...]
  local x=$1 y=$2 me=$3 peer=$4
  shift 4
  printf '%s\n' "router router-$x" "node node1" "control-socket $T/$x.sock" "$@" \
    "desired-tx-interval 100" "required-min-rx-interval 100" "hold-down-time 0ms" \
    "link-test-length 0" "path-mtu-discovery disabled" \
    "[interface wan]" "address $me" "[neighborhood lab]" "interface wan" \
    "[adjacency router-$y]" "neighborhood lab" "address $peer" >"$T/$x.conf"
}
conf a b 10.93.2.1 10.93.2.2 "conductor 10.93.1.100" "conductor-key $T/router-a.key" \
  "conductor-known-hosts $T/known_hosts" "software-available 6.1.0" \
  "software-available 6.2.0"
conf b a 10.93.2.2 10.93.2.1

if "$PORTS" --format nft --dnat-to 10.93.9.10 "$T/a.conf" "$T/b.conf" >fw.nft &&
   ip netns exec "$(svr_ns F)" nft -f fw.nft; then
  svr_pass "svr-ports ruleset with DNAT applied on F ($(grep -c 'dnat ip to' fw.nft) DNAT rules)"
else
  svr_fail "svr-ports --format nft --dnat-to / nft -f on F"; cat fw.nft; svr_finish
fi
dropped() {
  ip netns exec "$(svr_ns F)" nft list chain inet svr_ports forward |
    sed -n 's/.*counter packets \([0-9]*\) bytes [0-9]* drop.*/\1/p'
}

nup() { "$R" -s "$T/$1.sock" show peers --json 2>/dev/null | grep -o '"status":"up"' | wc -l; }
connected() { "$C" --dir "$T/cnd" show assets --router router-a --json 2>/dev/null | grep -q '"state": "connected"'; }
svr_bg A "$R" -c "$T/a.conf"; LOG_A=$SVR_LAST_LOG
svr_bg B "$R" -c "$T/b.conf"; PID_B=$SVR_LAST_PID
if svr_wait_for 20 '[ "$(nup a)" = 1 ] && connected'; then
  svr_pass "router-a connected to the conductor through F's DNAT of 10.93.1.100:930"
else
  tail -5 "$LOG_A"; tail -5 "$LOG_C"; svr_fail "router-a not connected through F"; svr_finish
fi
has_down() {
  "$C" --dir "$T/cnd" show alarms --router router-a --json 2>/dev/null | python3 -c '
import json,sys
sys.exit(0 if any(a["message"] == "Peer router-b path is down" for a in json.load(sys.stdin)) else 1)'
}
kill -STOP "$PID_B"
if svr_wait_for 15 has_down; then
  svr_pass "alarm delivered through F: the conductor stored 'Peer router-b path is down'"
else
  tail -5 "$LOG_A"; svr_fail "no alarm at the conductor"
fi
kill -CONT "$PID_B"

# the asset channel: router-a's connections to 10.93.1.100:4505 and :4506
# (on by default beside a conductor on 930) cross F's DNAT
asset_up() { "$C" --dir "$T/cnd" show assets --router router-a --json 2>/dev/null | grep -q '"status": "running"'; }
if svr_wait_for 15 asset_up &&
   grep -q 'router-a.node1 (10.93.1.1:[0-9]*) connected on 4505' "$LOG_C" &&
   grep -q 'router-a.node1 (10.93.1.1:[0-9]*) connected on 4506' "$LOG_C"; then
  svr_pass "asset ports 10.93.1.100:4505 and :4506 forwarded to the conductor in K: router-a's asset channel up (show assets: running)"
else
  svr_fail "asset ports not forwarded: $("$C" --dir "$T/cnd" show assets 2>&1 | tail -2); $(grep asset "$LOG_C" | tail -3)"
fi
sw() { "$C" --dir "$T/cnd" show assets software --router router-a 2>/dev/null | sed -n 3p; }
svr_wait_for 10 "sw | grep -q ' 6.1.0,6.2.0 '" \
  && svr_pass "svr-router's answer to the version check (software-available): $(sw)" \
  || svr_fail "show assets software: '$(sw)'"

# a listener in K on 22
svr_bg K python3 -c '
import select, socket
ls = []
for p in (22,):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.93.9.10", p)); s.listen(4); ls.append(s)
print("ready", flush=True)
while True:
    r, _, _ = select.select(ls, [], [])
    for s in r:
        s.accept(); print("got tcp", s.getsockname()[1], flush=True)'
LST=$SVR_LAST_LOG
svr_wait_for 5 "grep -q ready '$LST'" || { svr_fail "listener in K"; svr_finish; }
tcp() { # tcp ADDR PORT SRCPORT: 0 when connected within 3 s
  ip netns exec "$(svr_ns A)" python3 -c '
import socket, sys
t = socket.socket(); t.settimeout(3); t.bind(("10.93.1.1", int(sys.argv[3])))
t.connect((sys.argv[1], int(sys.argv[2])))' "$@" 2>/dev/null
}
before=$(dropped)
if tcp 10.93.9.10 22 12003 || grep -q 'got tcp 22' "$LST"; then
  svr_fail "TCP 22 A -> K crossed F"
else
  after=$(dropped)
  if [ "${after:-0}" -gt "${before:-0}" ]; then
    svr_pass "TCP 22 A -> K dropped by F (drop counter $before -> $after)"
  else
    svr_fail "TCP 22 not connected but the drop counter did not move ($before -> $after)"
  fi
fi
svr_finish
