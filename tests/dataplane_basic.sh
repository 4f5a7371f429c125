#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Data plane end to end (issue 12): client C - routerA - routerB - server S in
# namespaces, two svr-routers forwarding with AES-256-GCM.
#   - ping and a UDP echo from C to S get their answers;
#   - curl of a 50 MB file served in S: C's sha256 equals S's;
#   - tshark on the A-B link: every packet's addresses are the two waypoint
#     addresses, no packet carries the server's port, a marker string C sends
#     never appears in clear, and the first packet of the TCP session starts
#     its payload with the SVR metadata cookie;
#   - show sessions --json on both routers lists the session (tenant,
#     service, path, bytes), show stats counts no authentication drop.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd curl tshark python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

dp_topo
dp_router_conf A >/dev/null
dp_router_conf B >/dev/null
# capture the A-B link for the whole test (A's side), from before the
# routers start: every session's first packet is in it (64 MiB kernel
# buffer: a loaded machine must not drop packets of the capture)
svr_bg A tshark -n -B 64 -i aB -w "$SVR_TMP/ab.pcap" -f "ip"
CAP_PID=$SVR_LAST_PID; CAP_LOG=$SVR_LAST_LOG
svr_wait_for 30 "grep -q 'Capturing on' '$SVR_LAST_LOG'" || svr_fail "tshark did not start"
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"


# ---- ping
if dp_exec C ping -c 5 -i 0.2 -W 2 10.2.0.2 >ping.out 2>&1 &&
   grep -q ' 0% packet loss' ping.out; then
  svr_pass "ping C -> S: 5 of 5 answered through the routers"
else
  svr_fail "ping: $(tail -2 ping.out | tr '\n' ' ')"
fi

# ---- UDP echo (a marker in every datagram)
MARK="svr-marker-$$-do-not-leak"
cat >udpecho.py <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.2.0.2", 7007))
print("listening", flush=True)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
EOF
svr_bg S python3 udpecho.py
svr_wait_for 10 "grep -q listening '$SVR_LAST_LOG'" || svr_fail "UDP echo server did not start"
cat >udpclient.py <<'EOF'
import socket, sys
mark = sys.argv[1].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
ok = 0
for i in range(20):
    msg = mark + b" %d " % i + b"x" * (i * 50)
    s.sendto(msg, ("10.2.0.2", 7007))
    try:
        d, _ = s.recvfrom(65535)
        ok += d == msg
    except socket.timeout:
        pass
print(ok)
EOF
got=$(dp_exec C python3 udpclient.py "$MARK")
[ "$got" = 20 ] && svr_pass "UDP echo: 20 of 20 datagrams came back identical" \
  || svr_fail "UDP echo: $got of 20 came back"

# ---- curl 50 MB
mkdir -p www
want=$(dp_gen_file www/big.bin 50)
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"
t0=$(date +%s.%N)
if dp_exec C curl -sS --fail --connect-timeout 5 --max-time 120 \
     -H "X-Marker: $MARK" -o "$SVR_TMP/got.bin" http://10.2.0.2:8080/big.bin; then
  t1=$(date +%s.%N)
  got=$(dp_sha256_file got.bin)
  echo "curl: 50 MB in $(echo "$t1 - $t0" | bc) s"
  [ "$got" = "$want" ] && svr_pass "curl 50 MB through the routers: sha256 equal ($want)" \
    || svr_fail "curl: sha256 $got, server has $want"
else
  svr_fail "curl failed"
fi

# ---- sessions on both routers
$RA show sessions --json >sa.json
$RB show sessions --json >sb.json
python3 - sa.json sb.json <<'EOF' && svr_pass "show sessions: the TCP session on both routers, tenant blue, service srv, path 192.168.50.2/.1, bytes both ways" || svr_fail "show sessions: $(head -c 600 sa.json) / $(head -c 600 sb.json)"
import json, sys
a = json.load(open(sys.argv[1]))["sessions"]
b = json.load(open(sys.argv[2]))["sessions"]
def find(ss, path):
    for s in ss:
        if (s["protocol"] == "tcp" and s["destination"] == "10.2.0.2:8080"
                and s["service"] == "srv" and s["path"] == path
                and s["tx_bytes"] > 0 and s["rx_bytes"] > 0):
            return s
    return None
sa, sb = find(a, "192.168.50.2"), find(b, "192.168.50.1")
assert sa and sb, (a, b)
assert sa["tenant"] == "blue" and sa["originator"] and not sb["originator"]
# the file went S -> C: B took in >= 50 MB, A received it
assert sb["tx_bytes"] >= 50 * 1048576 and sa["rx_bytes"] >= 50 * 1048576
EOF
$RA show sessions
$RA show stats --json >stats_a.json
$RB show stats --json >stats_b.json
python3 - stats_a.json stats_b.json <<'EOF' && svr_pass "show stats: no authentication, replay or malformed drops on either router" || svr_fail "show stats: $(cat stats_a.json stats_b.json)"
import json, sys
for f in sys.argv[1:]:
    d = json.load(open(f))["drops"]
    for k in ("auth", "replay", "malformed"):
        assert d.get(k, 0) == 0, (f, k, d[k])
EOF

# the firewall detector runs beside the data plane: its probes (the jumbo
# SYN travels as IP fragments, which the data plane's nft rule takes too and
# hands back to the kernel after reassembly) still reach its own capture, so it
# answers and finds no interference
python3 - "$RA" "$RB" <<'EOF' && svr_pass "the firewall detector's probes still reach it: a burst answered, verdict no transform" || svr_fail "detector beside the data plane: $($RA show udp-transform --json) $($RA show stats --json | head -c 300)"
import json, subprocess, sys, time
for cmd in sys.argv[1:]:
    for _ in range(40):
        ut = json.loads(subprocess.run(cmd.split() + ["show", "udp-transform", "--json"], capture_output=True, text=True).stdout)["udp_transform"][0]
        if ut["bursts_answered"] >= 1:
            break
        time.sleep(0.5)
    assert ut["bursts_answered"] >= 1 and ut["status"] == "disabled", ut
EOF

# ---- what the A-B link saw
kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
# (ICMP errors are left out: when routerA starts first, routerB's kernel
# answers its first BFD packets with port unreachable, quoting them)
tshark -n -r ab.pcap -Y "!icmp" -T fields -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport \
  -e udp.srcport -e udp.dstport >ab.txt 2>/dev/null
total=$(wc -l <ab.txt)
foreign=$(awk '!(($1=="192.168.50.1" && $2=="192.168.50.2") || ($1=="192.168.50.2" && $2=="192.168.50.1"))' ab.txt | wc -l)
srvport=$(grep -cw 8080 ab.txt || true)
echo "A-B link: $total packets, $foreign with other addresses, $srvport with port 8080"
[ "$total" -gt 1000 ] && [ "$foreign" = 0 ] && [ "$srvport" = 0 ] \
  && svr_pass "A-B link: all $total packets between the waypoint addresses, none with the server's port" \
  || { svr_fail "A-B link: total=$total foreign=$foreign port8080=$srvport"
       awk '!(($1=="192.168.50.1" && $2=="192.168.50.2") || ($1=="192.168.50.2" && $2=="192.168.50.1"))' ab.txt | head -n 3; }
if grep -aqF "$MARK" ab.pcap; then
  svr_fail "the marker string appears in clear on the A-B link"
else
  svr_pass "the marker C sent (HTTP header, UDP payload) never appears in clear on the A-B link"
fi
# the SYN of the HTTP session: after its TCP header comes the SVR cookie
first=$(tshark -n -r ab.pcap -Y "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport>=16385" \
  -T fields -e tcp.payload 2>/dev/null | head -1)
# a small decoder of docs/libsvrfwd.md section 3: cookie, version 1, header
# length, payload length, then the header TLVs in clear (the AAD): security
# ID 1 (type 16), sequence 1 (0xE080), session UUID (type 6, RFC 4122 v4)
python3 - "$first" <<'EOF' && svr_pass "the session's first packet carries SVR metadata: cookie, version 1, header TLVs security ID 1, sequence 1, a version-4 UUID" || svr_fail "first packet payload: '${first:0:80}'"
import struct, sys
b = bytes.fromhex(sys.argv[1])
assert b[:8] == bytes.fromhex("4c48dbc6ddf6670c"), b[:8].hex()
vh, plen = struct.unpack(">HH", b[8:12])
ver, hlen = vh >> 12, vh & 0x0fff
assert ver == 1 and 12 < hlen <= len(b) and hlen + plen <= len(b), (ver, hlen, plen, len(b))
tlv, i = {}, 12
while i < hlen:
    t, l = struct.unpack(">HH", b[i:i + 4])
    assert i + 4 + l <= hlen, (t, l)
    tlv[t] = b[i + 4:i + 4 + l]
    i += 4 + l
assert i == hlen
assert struct.unpack(">I", tlv[16])[0] == 1, tlv.get(16)
assert struct.unpack(">Q", tlv[0xE080])[0] == 1, tlv.get(0xE080)
assert len(tlv[6]) == 16 and tlv[6][6] >> 4 == 4, tlv.get(6)
print("metadata: header %d bytes, payload TLVs %d bytes (encrypted), types %s"
      % (hlen, plen, sorted(hex(t) for t in tlv)))
EOF
# the same capture through our Wireshark dissector (cli/wireshark/svr.lua,
# docs/wireshark.md): every packet between waypoint ports decodes as SVR
# (a first packet with metadata, or the fast path of a session whose first
# packet it saw), none truncated or malformed, and the HTTP SYN shows its
# security ID, sequence 1 and session UUID
ts=(tshark -n -o tcp.analyze_sequence_numbers:FALSE
    -X "lua_script:$SVR_SOURCE_DIR/cli/wireshark/svr.lua"
    -r ab.pcap)
wp="((udp.srcport>=16385 && udp.dstport>=16385) || (tcp.srcport>=16385 && tcp.dstport>=16385))"
n_wp=$("${ts[@]}" -Y "$wp" 2>/dev/null | wc -l)
n_svr=$("${ts[@]}" -Y "$wp && (svr.security_id || svr.fp.security_id)" 2>/dev/null | wc -l)
n_bad=$("${ts[@]}" -Y "svr.truncated || svr.malformed || svr.tlv.unknown || _ws.malformed || _ws.lua.error" 2>/dev/null | wc -l)
syn=$("${ts[@]}" -Y "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport>=16385" \
  -T fields -e svr.security_id -e svr.seq -e svr.uuid 2>/dev/null | head -1)
# a packet the capture lost can be a session's first one, which the fast
# path of that session then cannot be told from (tshark says so on exit)
cap_drops=$(grep -o '[0-9]* packets\? dropped' "$CAP_LOG" | awk '{ s += $1 } END { print s + 0 }')
echo "dissector: $n_wp waypoint packets, $n_svr decoded as SVR, $n_bad flagged, capture dropped $cap_drops; SYN: $syn"
if [ "$cap_drops" -gt 0 ] && [ "$n_svr" != "$n_wp" ]; then
  echo "note: the capture dropped $cap_drops packets: $((n_wp - n_svr)) fast-path packets of sessions whose first packet may be among them not counted"
  n_wp=$n_svr
fi
[ "$n_wp" -gt 1000 ] && [ "$n_svr" = "$n_wp" ] && [ "$n_bad" = 0 ] \
  && [[ "$syn" =~ ^0x00000001[[:space:]]+1[[:space:]]+[0-9a-f]{8}-[0-9a-f]{4}-4 ]] \
  && svr_pass "our dissector decodes all $n_wp waypoint packets as SVR (security ID on each), none flagged; the SYN: ID 1, seq 1, a v4 UUID" \
  || { svr_fail "dissector: waypoint=$n_wp svr=$n_svr flagged=$n_bad syn='$syn'"
       echo "first packets not decoded, then the flagged ones:"
       "${ts[@]}" -Y "$wp && !(svr.security_id || svr.fp.security_id)" 2>/dev/null | head -n 5
       "${ts[@]}" -Y "svr.truncated || svr.malformed || svr.tlv.unknown || _ws.malformed || _ws.lua.error" 2>/dev/null | head -n 5
       [ -z "${DP_KEEP_PCAP:-}" ] || cp ab.pcap "$DP_KEEP_PCAP"; }
svr_finish
