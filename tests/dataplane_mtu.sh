#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Data plane over a path whose MTU is 1400 (issue 12):
#   - a 20 MB TCP transfer never fragments: TCP MSS is clamped from the path
#     MTU minus our overhead, so no IP fragment and no packet above 1400
#     bytes crosses the A-B link, and the file arrives intact;
#   - a DF packet too big for the path gets ICMP fragmentation needed back
#     with the MTU that fits: 1400 - 30 (AES-256-GCM fast path: 12 prefix +
#     2 checksum + 16 tag) = 1370 for TCP-sized packets from the route, and
#     then 1400 - 38 (ICMP rides UDP: + 8) = 1362 for ICMP echo from the
#     core; ping -M do -s 1334 (1362 bytes) passes, -s 1335 does not;
#   - ping -s 1472 (1500 bytes: the client fragments it once it learned the
#     MTU) gets its answers: fragments are carried, not lost.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd curl tshark python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

dp_topo --wan-mtu 1400
dp_router_conf A >/dev/null
dp_router_conf B >/dev/null
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"

svr_bg A tshark -n -i aB -s 128 -B 64 -w "$SVR_TMP/ab.pcap" -f "ip"
CAP_PID=$SVR_LAST_PID
svr_wait_for 30 "grep -q 'Capturing on' '$SVR_LAST_LOG'" || svr_fail "tshark did not start"

mkdir -p www
want=$(dp_gen_file www/f.bin 20)
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"
if dp_http_fetch f.bin "$SVR_TMP/got.bin" && [ "$(dp_sha256_file got.bin)" = "$want" ]; then
  svr_pass "20 MB over the 1400-byte path: sha256 equal"
else
  svr_fail "20 MB transfer over the 1400-byte path"
fi
kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
tshark -n -r ab.pcap -T fields -e ip.len -e ip.flags.mf -e ip.frag_offset >ab.txt 2>/dev/null
n=$(wc -l <ab.txt)
frags=$(awk '$2==1 || ($3+0)>0' ab.txt | wc -l)
big=$(awk '$1>1400' ab.txt | wc -l)
maxlen=$(sort -n ab.txt | tail -1 | cut -f1)
echo "A-B link during the transfer: $n packets, largest $maxlen bytes, $frags fragments"
[ "$n" -gt 10000 ] && [ "$frags" = 0 ] && [ "$big" = 0 ] && [ "$maxlen" -gt 1300 ] \
  && svr_pass "TCP never fragments: $n packets, none above 1400 bytes (largest $maxlen), no IP fragment" \
  || svr_fail "TCP over 1400: packets=$n fragments=$frags above1400=$big largest=$maxlen"

# DF too big: ICMP fragmentation needed with the MTU that fits
dp_exec C ping -M do -c 2 -i 0.3 -W 1 -s 1400 10.2.0.2 >p1.out 2>&1
m1=$(grep -o 'mtu *= *[0-9]*' p1.out | head -1 | tr -dc 0-9)
[ "$m1" = 1370 ] && svr_pass "DF 1428-byte packet: fragmentation needed, mtu 1370" \
  || svr_fail "DF 1428: $(cat p1.out | tr '\n' ' ')"
dp_exec C ping -M do -c 2 -i 0.3 -W 1 -s 1335 10.2.0.2 >p2.out 2>&1
m2=$(grep -o 'mtu *= *[0-9]*' p2.out | head -1 | tr -dc 0-9)
[ "$m2" = 1362 ] && svr_pass "DF 1363-byte echo: fragmentation needed, mtu 1362" \
  || svr_fail "DF 1363: $(cat p2.out | tr '\n' ' ')"
if dp_exec C ping -M do -c 3 -i 0.3 -W 2 -s 1334 10.2.0.2 >p3.out 2>&1 &&
   grep -q ' 0% packet loss' p3.out; then
  svr_pass "DF 1362-byte echo (the MTU announced) passes: 3 of 3"
else
  svr_fail "DF 1362: $(tail -2 p3.out | tr '\n' ' ')"
fi
# 1500-byte pings: the client fragments them; every answer must come back
dp_exec C ping -c 6 -i 0.3 -W 2 -s 1472 10.2.0.2 >p4.out 2>&1
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' p4.out)
[ "${rx:-0}" -ge 5 ] && svr_pass "ping -s 1472 (fragmented by the client): $rx of 6 answered" \
  || svr_fail "ping -s 1472: $(tail -3 p4.out | tr '\n' ' ')"
# they crossed as fragments both ways: each router reassembled some
ra=$($RA show stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["reassembled"])')
rb=$("$DP_ROUTER" -c "$SVR_TMP/routerB.conf" show stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["reassembled"])')
[ "$ra" -ge 6 ] && [ "$rb" -ge 6 ] \
  && svr_pass "the 1500-byte echoes were reassembled by the routers (A $ra, B $rb datagrams)" \
  || svr_fail "reassembled: A $ra, B $rb"
svr_finish
