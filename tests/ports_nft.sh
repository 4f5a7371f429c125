#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-ports' nftables ruleset applied on a default-drop firewall between two
# svr-routers (issue 19, docs/svr-ports.md):
#
#   C - A aB 192.168.50.1 -- fA [F] fB -- bA 192.168.50.2 B - S
#
# tests/lib/dataplane.sh's topology with the A-B link replaced by a
# forwarding namespace F (proxy ARP, as tests/dataplane_firewall.sh), whose
# only ruleset is `svr-ports --format nft routerA.conf routerB.conf`
# (forward policy drop).  Checks:
#   - the peer paths come Up through F (show peers --json on both routers);
#   - the data plane crosses it on the waypoint ports: C pings S, and a
#     1 MB HTTP transfer C <- S arrives intact (sha256);
#   - a port not in the list is dropped: a UDP datagram A -> B port 1281 and
#     a TCP connection A -> B port 22 (B listens on both) never arrive, and
#     the ruleset's final drop counter on F moves.
# Bounded: every wait has a deadline; cleanup by tests/lib/netns.sh.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices, nftables"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
PORTS="$SVR_BUILD_DIR/cli/svr-ports"
svr_require_cmd "$PORTS"
cd "$SVR_TMP"

dp_topo
dp_ip A link del aB   # and bA with it: F goes in between
svr_ns_add F
svr_veth A 192.168.50.1/24 F 192.168.50.253/32 aB fA
svr_veth F 192.168.50.254/32 B 192.168.50.2/24 fB bA
dp_ip F route add 192.168.50.1/32 dev fA
dp_ip F route add 192.168.50.2/32 dev fB
dp_exec F sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.fA.proxy_arp=1 \
  net.ipv4.conf.fB.proxy_arp=1 net.ipv4.neigh.fA.proxy_delay=0 net.ipv4.neigh.fB.proxy_delay=0
for r in A B; do
  dp_router_conf $r desired-tx-interval 100 required-min-rx-interval 100 \
    hold-down-time 0ms >/dev/null
done

if "$PORTS" --format nft "$SVR_TMP/routerA.conf" "$SVR_TMP/routerB.conf" >fw.nft &&
   dp_exec F nft -f fw.nft; then
  svr_pass "svr-ports ruleset applied on F ($(grep -c accept fw.nft) accept rules)"
else
  svr_fail "svr-ports --format nft / nft -f on F"; cat fw.nft; svr_finish
fi
dropped() { # packets counted by the ruleset's final drop rule on F
  dp_exec F nft list chain inet svr_ports forward |
    sed -n 's/.*counter packets \([0-9]*\) bytes [0-9]* drop.*/\1/p'
}

if dp_routers_up 30; then
  svr_pass "peer paths Up through F's generated ruleset (show peers --json, both routers)"
else
  svr_fail "peer paths not Up through F"; cat fw.nft; svr_finish
fi

if svr_wait_for 10 "dp_reachable 1"; then
  svr_pass "data plane through F: C pings S over the waypoint ports"
else
  svr_fail "C cannot ping S through F"
fi
sum=$(dp_gen_file "$SVR_TMP/www/f1" 1)
if dp_http_serve "$SVR_TMP/www" && dp_http_fetch f1 got1 &&
   [ "$(dp_sha256_file got1)" = "$sum" ]; then
  svr_pass "data plane through F: 1 MB over HTTP, sha256 right"
else
  svr_fail "HTTP transfer through F"
fi

# a port not in the list: B listens on UDP 1281 and TCP 22 and records
# what reaches it.  A's probes use source ports below the waypoint range:
# A's router takes every packet to a waypoint port of its address (the
# replies to an ephemeral port included) for the data plane.
svr_bg B python3 -c '
import select, socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("192.168.50.2", 1281))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("192.168.50.2", 22)); t.listen(4)
print("ready", flush=True)
while True:
    r, _, _ = select.select([u, t], [], [])
    if u in r: u.recv(100); print("got udp 1281", flush=True)
    if t in r: t.accept(); print("got tcp 22", flush=True)'
LST=$SVR_LAST_LOG
svr_wait_for 5 "grep -q ready '$LST'" || { svr_fail "listener in B"; svr_finish; }
before=$(dropped)
dp_exec A python3 -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("192.168.50.1", 12001))
for _ in range(3): u.sendto(b"x", ("192.168.50.2", 1281))
t = socket.socket(); t.settimeout(3); t.bind(("192.168.50.1", 12002))
try:
    t.connect(("192.168.50.2", 22)); print("tcp 22 connected")
except OSError as e:
    print("tcp 22:", e)' >probe.out 2>&1
after=$(dropped)
if grep -q "tcp 22 connected" probe.out || grep -q got "$LST"; then
  svr_fail "a port not in the list crossed F: $(cat probe.out) / $(grep got "$LST" | tr '\n' ' ')"
elif [ "${after:-0}" -ge $(( ${before:-0} + 4 )) ]; then
  svr_pass "UDP 1281 and TCP 22 A -> B dropped by F (drop counter $before -> $after; $(cat probe.out))"
else
  svr_fail "drop counter $before -> $after, expected +4 (3 UDP + >= 1 SYN)"
fi
# control: the listener is reachable without F's ruleset in the way
dp_exec F nft flush ruleset
dp_exec A python3 -c '
import socket
t = socket.socket(); t.settimeout(3); t.bind(("192.168.50.1", 12003))
t.connect(("192.168.50.2", 22))' 2>/dev/null
if svr_wait_for 5 "grep -q 'got tcp 22' '$LST'"; then
  svr_pass "control: with F's ruleset flushed, TCP 22 A -> B arrives"
else
  svr_fail "control: TCP 22 did not arrive even without the ruleset"
fi
svr_finish
