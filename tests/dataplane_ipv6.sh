#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dataplane_ipv6: the data plane end to end over IPv6 (client fd01::2 -
# routerA - fd50::/64 - routerB - server fd02::2; waypoints, BFD and the
# service all IPv6):
#   - ping -6 and a UDP echo from C to S get their answers;
#   - curl of a 20 MB file over HTTP on IPv6: sha256 equal;
#   - show sessions --json lists the IPv6 flow on both routers;
#   - tshark on the A-B link: every UDP/TCP packet is between the two
#     waypoint addresses, none carries the server's port, the marker C sent
#     never appears in clear, and our dissector decodes every waypoint packet
#     as SVR with its security ID;
#   - with the peer path down a new connection is refused at once: an ICMPv6
#     destination unreachable (RFC 4443 section 3.1, code 3, address
#     unreachable) from routerA, which connect() reports as EHOSTUNREACH;
#   - the kernel's own MLD reports on the TUN device are not taken for
#     traffic (no drop counted).
set -u
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd curl tshark python3 nft
cd "$SVR_TMP"

dp_topo
dp_ip C addr add fd01::2/64 dev cA nodad; dp_ip A addr add fd01::1/64 dev aC nodad
dp_ip A addr add fd50::1/64 dev aB nodad; dp_ip B addr add fd50::2/64 dev bA nodad
dp_ip B addr add fd02::1/64 dev bS nodad; dp_ip S addr add fd02::2/64 dev sB nodad
dp_ip C -6 route add default via fd01::1
dp_ip S -6 route add default via fd02::1
dp_exec A sysctl -qw net.ipv6.conf.all.forwarding=1
dp_exec B sysctl -qw net.ipv6.conf.all.forwarding=1

# IPv6 only: interface, adjacency, tenant and service (docs/svr-router.md)
for r in A B; do
  if [ $r = A ]; then self=1; peer=2; me=routerA; other=routerB
  else self=2; peer=1; me=routerB; other=routerA; fi
  {
    printf '%s\n' "router $me" "node n1" "control-socket $SVR_TMP/router$r.sock" \
      "forwarding enabled" "forwarding-device svr$r" "hold-down-time 0ms"
    echo; printf '%s\n' "[interface wan]" "address fd50::$self"
    echo; printf '%s\n' "[neighborhood nb]" "interface wan"
    echo; printf '%s\n' "[adjacency $other]" "neighborhood nb" "address fd50::$peer" \
      "encryption aes-256-gcm" "security-key-id 1" "security-key $DP_KEY"
    if [ $r = A ]; then
      echo; printf '%s\n' "[tenant blue]" "prefix fd01::/64"
      echo; printf '%s\n' "[service srv]" "prefix fd02::/64" "peer routerB"
    fi
  } >"$SVR_TMP/router$r.conf"
done
# the A-B link, captured from before the routers start (every session's
# first packet is in it)
svr_bg A tshark -n -B 64 -i aB -w "$SVR_TMP/ab.pcap" -f "ip6"
CAP_PID=$SVR_LAST_PID; CAP_LOG=$SVR_LAST_LOG
svr_wait_for 30 "grep -q 'Capturing on' '$CAP_LOG'" || svr_fail "tshark did not start"
dp_routers_up 30 || { svr_fail "routers did not come up over IPv6"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"


# ---- ping -6
if dp_exec C ping -6 -c 5 -i 0.2 -W 2 fd02::2 >ping.out 2>&1 &&
   grep -q ' 0% packet loss' ping.out; then
  svr_pass "ping -6 C -> S: 5 of 5 answered through the routers"
else
  svr_fail "ping -6: $(tail -2 ping.out | tr '\n' ' ')"
fi

# ---- UDP echo over IPv6 (a marker in every datagram)
MARK="svr6-marker-$$-do-not-leak"
cat >udpecho.py <<'EOF'
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("fd02::2", 7007))
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
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
ok = 0
for i in range(20):
    msg = mark + b" %d " % i + b"x" * (i * 50)
    s.sendto(msg, ("fd02::2", 7007))
    try:
        d, _ = s.recvfrom(65535)
        ok += d == msg
    except socket.timeout:
        pass
print(ok)
EOF
got=$(dp_exec C python3 udpclient.py "$MARK")
[ "$got" = 20 ] && svr_pass "UDP echo over IPv6: 20 of 20 datagrams came back identical" \
  || svr_fail "UDP echo over IPv6: $got of 20 came back"

# ---- curl 20 MB over IPv6
mkdir -p www
want=$(dp_gen_file www/blob 20)
svr_bg S python3 -m http.server --bind fd02::2 --directory "$SVR_TMP/www" 8080
svr_wait_for 10 "dp_exec S ss -Hltn 'sport = :8080' | grep -q ." || svr_fail "no HTTP listener on [fd02::2]:8080"
if dp_exec C curl -sS --fail --connect-timeout 5 --max-time 60 -H "X-Marker: $MARK" \
     -o got.bin "http://[fd02::2]:8080/blob"; then
  have=$(dp_sha256_file got.bin)
  [ "$have" = "$want" ] && svr_pass "curl 20 MB over IPv6 through the routers: sha256 equal" \
    || svr_fail "curl over IPv6: sha256 $have, want $want"
else
  svr_fail "curl over IPv6 failed"
fi

# ---- show sessions: the IPv6 flow on both routers
for R in A B; do
  cmd=$RA; [ $R = B ] && cmd=$RB
  $cmd show sessions --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["sessions"]
ok = [x for x in s if "fd01::2" in json.dumps(x) and "fd02::2" in json.dumps(x)]
sys.exit(0 if ok else 1)' \
    && svr_pass "show sessions on router$R lists the IPv6 flow fd01::2 <-> fd02::2" \
    || svr_fail "show sessions on router$R: $($cmd show sessions --json | head -c 400)"
done

# ---- what the A-B link saw
kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
# (ICMPv6 errors are left out: when routerA starts first, routerB's kernel
# answers its first BFD packets with port unreachable, quoting them)
tshark -n -r ab.pcap -Y "(udp || tcp) && !icmpv6" -T fields -e ipv6.src -e ipv6.dst -e tcp.srcport \
  -e tcp.dstport -e udp.srcport -e udp.dstport >ab.txt 2>/dev/null
total=$(wc -l <ab.txt)
foreign=$(awk '!(($1=="fd50::1" && $2=="fd50::2") || ($1=="fd50::2" && $2=="fd50::1"))' ab.txt | wc -l)
srvport=$(grep -cw -e 8080 -e 7007 ab.txt || true)
echo "A-B link: $total UDP/TCP packets, $foreign with other addresses, $srvport with a server port"
[ "$total" -gt 1000 ] && [ "$foreign" = 0 ] && [ "$srvport" = 0 ] \
  && svr_pass "A-B link: all $total UDP/TCP packets between the IPv6 waypoint addresses, none with a server port" \
  || { svr_fail "A-B link: total=$total foreign=$foreign server-port=$srvport"
       awk '!(($1=="fd50::1" && $2=="fd50::2") || ($1=="fd50::2" && $2=="fd50::1"))' ab.txt | head -n 3; }
if grep -aqF "$MARK" ab.pcap; then
  svr_fail "the marker appears in clear on the A-B link"
else
  svr_pass "the marker C sent (HTTP header, UDP payload) never appears in clear on the A-B link"
fi
ts=(tshark -n -o tcp.analyze_sequence_numbers:FALSE
    -X "lua_script:$SVR_SOURCE_DIR/cli/wireshark/svr.lua"
    -r ab.pcap)
wp="((udp.srcport>=16385 && udp.dstport>=16385) || (tcp.srcport>=16385 && tcp.dstport>=16385))"
n_wp=$("${ts[@]}" -Y "$wp" 2>/dev/null | wc -l)
n_svr=$("${ts[@]}" -Y "$wp && (svr.security_id || svr.fp.security_id)" 2>/dev/null | wc -l)
n_bad=$("${ts[@]}" -Y "svr.truncated || svr.malformed || svr.tlv.unknown || _ws.malformed || _ws.lua.error" 2>/dev/null | wc -l)
cap_drops=$(grep -o '[0-9]* packets\? dropped' "$CAP_LOG" | awk '{ s += $1 } END { print s + 0 }')
echo "dissector: $n_wp waypoint packets, $n_svr decoded as SVR, $n_bad flagged, capture dropped $cap_drops"
[ "$n_wp" -gt 1000 ] && [ "$n_svr" = "$n_wp" ] && [ "$n_bad" = 0 ] \
  && svr_pass "our dissector decodes all $n_wp IPv6 waypoint packets as SVR, none flagged" \
  || { svr_fail "dissector: waypoint=$n_wp svr=$n_svr flagged=$n_bad (capture dropped $cap_drops)"
       "${ts[@]}" -Y "$wp && !(svr.security_id || svr.fp.security_id)" 2>/dev/null | head -n 5; }

# ---- no drop counted for the kernel's own multicast on the TUN device
$RA show stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
bad = {k: v for k, v in d["drops"].items() if v and k not in ("path-down",)}
print("A drops:", bad, "local multicast ignored:", d["local_multicast_ignored"])
sys.exit(1 if bad else 0)' \
  && svr_pass "routerA counted no drop (the kernel's MLD reports on its TUN device are ignored, not dropped)" \
  || svr_fail "routerA drops: $($RA show stats)"

# ---- peer path down: refused at once with ICMPv6 address unreachable
dp_ip A link set aB down
svr_wait_for 10 "$RA show peers --json | python3 -c 'import json,sys; p=json.load(sys.stdin)[\"peers\"]; sys.exit(0 if all(x[\"status\"]!=\"up\" for x in p) else 1)'" \
  || svr_fail "the path is still up after its link went down"
cat >connect.py <<'PY'
import errno, socket, time
s = socket.socket(socket.AF_INET6)
s.settimeout(8)
t0 = time.monotonic()
try:
    s.connect(("fd02::2", 8080))
    print("connected", "%.3f" % (time.monotonic() - t0))
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e)), "%.3f" % (time.monotonic() - t0))
PY
read -r why el < <(dp_exec C python3 connect.py)
echo "IPv6 connect with no path: $why after $el s"
if [ "$why" = EHOSTUNREACH ] && [ "$(echo "$el < 3" | bc)" = 1 ]; then
  svr_pass "no Up path: a new IPv6 connection is refused at once (EHOSTUNREACH in $el s)"
else
  svr_fail "no Up path: IPv6 connect gave $why after $el s"
fi
dp_exec C ping -6 -c 1 -W 2 fd02::2 >unreach.out 2>&1
if grep -q "fd50::1.*Destination unreachable: Address unreachable" unreach.out; then
  svr_pass "ping -6 with no path: 'Destination unreachable: Address unreachable' from routerA (fd50::1)"
else
  svr_fail "ping -6 with no path: $(tr '\n' ' ' <unreach.out)"
fi
$RA show stats --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["drops"]["path-down"] >= 2 and d["icmp_sent"] >= 2 else 1)' \
  && svr_pass "show stats counts the refusals (path-down, icmp_sent)" \
  || svr_fail "show stats: $($RA show stats --json)"
svr_finish
