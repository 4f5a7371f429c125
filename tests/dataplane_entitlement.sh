#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Entitlement from really forwarded bytes (issue 12): the figure svr-router
# gives its entitlement meter once a second is the core's ingress + egress
# bytes (show stats --json ingress_bytes, egress_bytes: inner IP packets,
# without metadata, encryption or transform overhead).  This test moves a
# known amount through the routers and checks that figure on both routers:
#   - 0 on both before any traffic (BFD, PMTU and the firewall detector run
#     meanwhile: control traffic is not forwarded traffic);
#   - UDP: 200 datagrams of 1000 bytes echoed by S: exactly 200 x 1028
#     bytes each way on each router (A ingress, B egress; B ingress,
#     A egress), nothing more;
#   - TCP: a 20 MB file fetched with curl from S: the server-to-client
#     bytes (B ingress, A egress) are at least the file and at most the file
#     + 6 % (the IP and TCP headers of MSS-sized segments, about 3.7 %, and
#     a few retransmissions), and the client-to-server bytes (requests and
#     ACKs) at most 6 % of the file;
#   - the receiving router never counts more than the sending one (equal
#     for the UDP echo; under TCP load a few segments that the sending
#     router forwarded can be lost before the other takes them: each router
#     counts what it forwarded, and the retransmission again).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

dp_topo
dp_router_conf A >/dev/null
dp_router_conf B >/dev/null
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"

# bytes: "A_in A_out B_in B_out" (ingress_bytes, egress_bytes of each router)
bytes() {
  local a b
  a=$($RA show stats --json) && b=$($RB show stats --json) || return 1
  python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(a["ingress_bytes"], a["egress_bytes"], b["ingress_bytes"], b["egress_bytes"])' "$a" "$b"
}

# ---- nothing forwarded yet: the figure is 0 (after the detector's first
# burst, so that control traffic had its chance to be miscounted)
svr_wait_for 20 "$RA show udp-transform --json | grep -q '\"bursts_answered\":[1-9]'" ||
  svr_fail "no firewall detector burst answered on A within 20 s"
read -r a_in a_out b_in b_out < <(bytes)
[ "$a_in $a_out $b_in $b_out" = "0 0 0 0" ] &&
  svr_pass "before any traffic: forwarded bytes 0 on both routers" ||
  svr_fail "before any traffic: A in/out $a_in/$a_out, B in/out $b_in/$b_out"

# ---- UDP: a known number of datagrams, each answered
cat >udpecho.py <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.2.0.2", 7009))
print("listening", flush=True)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
EOF
cat >udpsend.py <<'EOF'
import socket, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.2.0.2", 7009))
ok = 0
for i in range(n):
    msg = (b"%06d" % i) + b"u" * (size - 6)
    s.send(msg)
    try:
        ok += s.recv(65535) == msg
    except socket.timeout:
        pass
print(ok)
EOF
svr_bg S python3 udpecho.py
svr_wait_for 10 "grep -q listening '$SVR_LAST_LOG'" || svr_fail "UDP echo server did not start"
read -r a0 ao0 b0 bo0 < <(bytes)
got=$(dp_exec C python3 udpsend.py 200 1000)
read -r a1 ao1 b1 bo1 < <(bytes)
want=$((200 * 1028))
echo "UDP: $got of 200 answered; A in +$((a1 - a0)) out +$((ao1 - ao0)), B in +$((b1 - b0)) out +$((bo1 - bo0)); want $want each"
if [ "$got" = 200 ] && [ $((a1 - a0)) = $want ] && [ $((bo1 - bo0)) = $want ] &&
   [ $((b1 - b0)) = $want ] && [ $((ao1 - ao0)) = $want ]; then
  svr_pass "UDP 200 x 1000 B echoed: exactly $want bytes (IP packets) each way on each router"
else
  svr_fail "UDP: $got answered, A in/out +$((a1 - a0))/+$((ao1 - ao0)), B in/out +$((b1 - b0))/+$((bo1 - bo0)), want $want"
fi

# ---- TCP: a 20 MB file
mkdir -p www
sum=$(dp_gen_file www/f.bin 20)
size=$((20 * 1048576))
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"
read -r a0 ao0 b0 bo0 < <(bytes)
dp_http_fetch f.bin got.bin || svr_fail "curl failed"
# every segment the client got went through A before curl returned; the
# last ACK or FIN may still be on its way: wait until the client's side
# settled (what A took in, B delivered; server to client a segment lost
# between the routers keeps B ahead of A for good)
settled() { local ai ao bi bo; read -r ai ao bi bo < <(bytes); [ "$ai" = "$bo" ]; }
svr_wait_for 5 settled || echo "note: client-to-server bytes still differ after 5 s"
read -r a1 ao1 b1 bo1 < <(bytes)
[ "$(dp_sha256_file got.bin)" = "$sum" ] && svr_pass "curl 20 MB: sha256 equal" || svr_fail "curl: sha256 differs"
down_b=$((b1 - b0)); down_a=$((ao1 - ao0)); up_a=$((a1 - a0)); up_b=$((bo1 - bo0))
max=$((size + size * 6 / 100))
echo "TCP 20 MB ($size B): server->client B in +$down_b, A out +$down_a; client->server A in +$up_a, B out +$up_b; bounds [$size, $max], up <= $((size * 6 / 100))"
if [ $down_b -ge $size ] && [ $down_b -le $max ] && [ $down_a -ge $size ] && [ $down_a -le $down_b ]; then
  svr_pass "TCP server->client: B forwarded $down_b bytes, A $down_a, both within [$size, $max] ($(python3 -c "print('%.2f' % (($down_a - $size) * 100 / $size))") % headers at A)"
else
  svr_fail "TCP server->client: B in $down_b, A out $down_a, want both within [$size, $max] and A <= B"
fi
if [ $up_a -le $((size * 6 / 100)) ] && [ $up_b -le $up_a ] && [ $up_b -gt 0 ]; then
  svr_pass "TCP client->server: A forwarded $up_a bytes (request and ACKs), B $up_b, at most 6 % of the file"
else
  svr_fail "TCP client->server: A in $up_a, B out $up_b, want B <= A <= 6 % of the file"
fi

kill -0 "$DP_ROUTER_PID_A" && kill -0 "$DP_ROUTER_PID_B" && svr_pass "both routers alive" || svr_fail "a router died"
svr_finish
