#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Data plane across a stateful firewall (issue 12): TCP sessions are carried
# as UDP once the firewall detector's verdict says transform, and as TCP
# again once the firewall is gone and the verdict is back (auto-detect).
#
#   C - A aB 192.168.50.1 -- mA [M] mB -- bA 192.168.50.2 B - S
#
# tests/lib/dataplane.sh's topology with the A-B link replaced by a
# forwarding namespace M (proxy ARP, so the routers keep their /24 and the
# usual configuration).  M's firewall is the one of tests/router_fwdet.sh
# and the lab recipe (BFD and control on UDP 1280 let through):
#   ct state established,related accept; ct state invalid drop;
#   tcp flags != syn ct state new drop
# with verdict-less counters in front for our outer TCP (waypoint ports).
# Routers: BFD 100 ms, udp-transform-detect-interval 1 (auto-detect).
#   0. no firewall: the verdict is disabled once bursts were answered
#   1. the firewall on, but blind to the detector (its probe ports 1280 and
#      1283 let through): the verdict stays disabled, as in the seconds
#      before it flips.  A new TCP session (curl 4 MB) crosses untransformed
#      (TCP on its waypoint pair in tshark) and completes: its outer TCP
#      starts with the client's SYN, so conntrack follows it like any
#      connection, nothing is dropped
#   2. the whole firewall: the verdict becomes enabled (Mid-flow;
#      Out-of-order) on A; curl 4 MB: sha256 right, the session is
#      "transformed": true on both routers, and tshark on aB sees it as UDP
#      on its waypoint pair (no TCP on any waypoint port, port 8080 never)
#   3. the firewall removed: the verdict goes back to disabled; a new curl's
#      session is "transformed": false and rides TCP on its waypoint pair
#      (no UDP on any waypoint port)
#   4. why the transform: an untransformed transfer that is already running
#      when the (blind) firewall comes up (M has not tracked it: notrack
#      until then; the server sends at 1 Mbit/s) is dropped as mid-flow TCP
#      (the counter of our outer TCP moves) and stalls: curl gives up (exit
#      28) with less than half of the file
# Bounded: every wait has a deadline; cleanup by tests/lib/netns.sh.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices, nftables"
svr_require_cmd curl tshark python3 nft tc
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')  # not a shim: 0.6 s a call
cd "$SVR_TMP"

dp_topo
dp_ip A link del aB   # and bA with it: M goes in between
svr_ns_add M
svr_veth A 192.168.50.1/24 M 192.168.50.253/32 aB mA
svr_veth M 192.168.50.254/32 B 192.168.50.2/24 mB bA
dp_ip M route add 192.168.50.1/32 dev mA
dp_ip M route add 192.168.50.2/32 dev mB
dp_exec M sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.mA.proxy_arp=1 \
  net.ipv4.conf.mB.proxy_arp=1 net.ipv4.neigh.mA.proxy_delay=0 net.ipv4.neigh.mB.proxy_delay=0
for r in A B; do
  dp_router_conf $r desired-tx-interval 100 required-min-rx-interval 100 \
    hold-down-time 0ms udp-transform-mode auto-detect udp-transform-detect-interval 1 >/dev/null
done
dp_routers_up 30 || { svr_fail "routers did not come up through M"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"

# ut ROUTER-CMD FIELD: the first path's udp-transform field (reasons joined by ;)
ut() {
  $1 show udp-transform --json 2>/dev/null | "$PY" -c '
import json, sys
u = json.load(sys.stdin)["udp_transform"][0]
v = u[sys.argv[1]]
print(";".join(v) if isinstance(v, list) else v)' "$2" 2>/dev/null
}
# fw [blind]: the stateful firewall in M; blind lets the detector's probes by
fw() {
  local blind=""
  [ "${1:-}" = blind ] && blind='tcp dport { 1280, 1283 } accept
    tcp sport { 1280, 1283 } accept'
  dp_exec M nft -f - <<EOF
table inet fw
delete table inet fw
table inet fw {
  chain forward {
    type filter hook forward priority 0; policy accept;
    udp dport 1280 accept
    udp sport 1280 accept
    $blind
    meta l4proto tcp th dport 16385-65533 ct state invalid counter comment "wp-invalid"
    meta l4proto tcp th dport 16385-65533 tcp flags != syn ct state new counter comment "wp-midflow"
    ct state established,related accept
    ct state invalid counter drop comment "invalid"
    tcp flags != syn ct state new counter drop comment "newnonsyn"
  }
}
EOF
}
fw_off() { dp_exec M nft delete table inet fw 2>/dev/null; return 0; }
fw_count() { # packets counted by the rule with comment $1
  dp_exec M nft list table inet fw | grep "comment \"$1\"" | grep -o 'packets [0-9]*' | awk '{print $2}'
}
# session ROUTER-CMD PORT FIELD: a field of the TCP session from 10.1.0.2:PORT
session() {
  $1 show sessions --json | "$PY" -c '
import json, sys
ss = [s for s in json.load(sys.stdin)["sessions"] if s["protocol"] == "tcp"
      and s["source"] == "10.1.0.2:" + sys.argv[1] and s["destination"] == "10.2.0.2:8080"]
print(json.dumps(ss[0][sys.argv[2]]) if len(ss) == 1 else "none")' "$2" "$3"
}
# One capture on aB (A's side of the link) for the whole test, headers only
# (ip.len gives the sizes) with a large buffer; each transfer is judged by
# the frames between its start and its end.
# cap_synced T: the capture file has a frame later than T (epoch seconds).
# dumpcap writes frames in order, so everything before T is in the file; a
# growing file reads fine.  BFD every 100 ms brings such a frame.  (Its
# "Capturing on" is no proof: the first frame came up to 150 ms later here.)
cap_synced() {
  tshark -n -r "$SVR_TMP/ab.pcap" -T fields -e frame.time_epoch 2>/dev/null |
    awk -v t="$1" 'END { exit !($1 > t) }'
}
cap_sync() { svr_wait_for 15 "cap_synced $1" || svr_fail "the capture is not live (no frame after $1)"; }
now() { date +%s.%N; }
# fetch PORT OUT: curl 4 MB from C, from local port PORT; 0 when it completed
fetch() {
  dp_exec C curl -sS --fail --connect-timeout 5 --max-time 60 --local-port "$1" \
    -o "$SVR_TMP/$2" http://10.2.0.2:8080/f.bin
}
# link_bytes T0 T1 WAYPOINTS: "udp_pair tcp_pair udp_wp tcp_wp port8080" for
# the frames captured from T0 to T1: IP bytes on the session's waypoint pair
# (A's view ours:port-peer's:port) as UDP and as TCP, between waypoint ports
# (both ports in 16385-65533: the detector's probes leave from ports in that
# range too) as UDP and as TCP, and packets on port 8080.  Bytes, not
# packets: the routers write UDP super-packets (USO) and veth carries them
# whole, so a frame can hold up to 64 KB.
link_bytes() {
  tshark -n -r "$SVR_TMP/ab.pcap" -T fields -e frame.time_epoch -e ip.proto -e ip.len \
    -e udp.srcport -e udp.dstport -e tcp.srcport -e tcp.dstport 2>/dev/null | "$PY" -c '
import sys
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
a, b = sys.argv[3].split("-")
pa, pb = a.rsplit(":", 1)[1], b.rsplit(":", 1)[1]
pair = {(pa, pb), (pb, pa)}
n = [0, 0, 0, 0, 0]
wp = lambda p: p.isdigit() and 16385 <= int(p) <= 65533
for line in sys.stdin:
    t, proto, ln, us, ud, ts, td = (line.rstrip("\n").split("\t") + [""] * 7)[:7]
    if not t0 <= float(t) <= t1:
        continue
    ln = int(ln.split(",")[0] or 0)
    if proto == "17":
        n[0] += ln * ((us, ud) in pair)
        n[2] += ln * (wp(us) and wp(ud))
    if proto == "6":
        n[1] += ln * ((ts, td) in pair)
        n[3] += ln * (wp(ts) and wp(td))
    n[4] += "8080" in (us, ud, ts, td)
print(*n)' "$1" "$2" "$3"
}

mkdir -p www
want=$(dp_gen_file www/f.bin 4)
dp_http_serve "$SVR_TMP/www" 8080 || { svr_fail "HTTP server"; svr_finish; }

svr_bg A tshark -n -i aB -s 128 -B 64 -w "$SVR_TMP/ab.pcap" -f "ip"
cap_sync "$(now)"

echo "== 0. no firewall"
if svr_wait_for 15 '[ "$(ut "$RA" bursts_answered)" -ge 2 ] 2>/dev/null'; then
  [ "$(ut "$RA" status)" = disabled ] && svr_pass "no firewall: A's verdict disabled after $(ut "$RA" bursts_answered) answered bursts" \
    || svr_fail "no firewall: A's verdict '$(ut "$RA" status)' ($(ut "$RA" reasons))"
else
  svr_fail "A's detector had no burst answered: $($RA show udp-transform)"
fi

echo "== 1. firewall on, the detector blind to it (before the verdict)"
fw blind
t1s=$(now)
if fetch 41001 got1.bin && [ "$(dp_sha256_file got1.bin)" = "$want" ]; then
  svr_pass "firewall on, verdict $(ut "$RA" status): curl 4 MB over untransformed TCP completes, sha256 right"
else
  svr_fail "firewall on, before the verdict: curl failed or sha256 wrong"
fi
t1e=$(now); cap_sync "$t1e"
t1=$(session "$RA" 41001 transformed)
[ "$t1" = false ] && [ "$(fw_count wp-midflow)" = 0 ] && [ "$(fw_count wp-invalid)" = 0 ] \
  && svr_pass "before the verdict: the session is not transformed, and M's conntrack took none of its outer TCP as mid-flow or invalid (it saw the SYN)" \
  || svr_fail "before the verdict: transformed=$t1 wp-midflow=$(fw_count wp-midflow) wp-invalid=$(fw_count wp-invalid)"
read -r up tp uw tw p8 < <(link_bytes "$t1s" "$t1e" "$(session "$RA" 41001 waypoints | tr -d '"')")
[ "$tp" -ge 4194304 ] && [ "$uw" = 0 ] \
  && svr_pass "tshark on aB: it crossed as TCP on its waypoint pair ($tp bytes)" \
  || svr_fail "tshark on aB (before the verdict): tcp_pair=$tp udp_wp=$uw"

echo "== 2. the whole firewall: the verdict says transform"
fw
t0=$(date +%s%N)
if svr_wait_for 20 '[ "$(ut "$RA" status)" = enabled ]'; then
  svr_pass "A's verdict enabled $(( ($(date +%s%N) - t0) / 1000000 )) ms after the firewall, reasons $(ut "$RA" reasons)"
else
  svr_fail "A's verdict still '$(ut "$RA" status)' 20 s after the firewall: $($RA show udp-transform)"
fi
echo "B's verdict: $(ut "$RB" status) ($(ut "$RB" reasons))"
[ "$(fw_count newnonsyn)" -gt 0 ] 2>/dev/null && svr_pass "M drops the detector's mid-flow probes ($(fw_count newnonsyn) packets)" \
  || svr_fail "M's newnonsyn counter: '$(fw_count newnonsyn)'"
t2s=$(now)
if fetch 41002 got2.bin && [ "$(dp_sha256_file got2.bin)" = "$want" ]; then
  svr_pass "verdict transform: curl 4 MB through the firewall completes, sha256 right"
else
  svr_fail "verdict transform: curl failed or sha256 wrong"
fi
t2e=$(now); cap_sync "$t2e"
ta=$(session "$RA" 41002 transformed); tb=$(session "$RB" 41002 transformed)
wp2=$(session "$RA" 41002 waypoints | tr -d '"')
[ "$ta" = true ] && [ "$tb" = true ] \
  && svr_pass "show sessions: the TCP session is \"transformed\": true on A and on B (waypoints $wp2)" \
  || svr_fail "show sessions: transformed A=$ta B=$tb"
read -r up tp uw tw p8 < <(link_bytes "$t2s" "$t2e" "$wp2")
echo "A-B link during the transfer, IP bytes: UDP on the pair $up, TCP on the pair $tp, UDP on waypoint ports $uw, TCP on waypoint ports $tw; packets on port 8080: $p8"
[ "$up" -ge 4194304 ] && [ "$tp" = 0 ] && [ "$tw" = 0 ] && [ "$p8" = 0 ] \
  && svr_pass "tshark on aB: the session rides UDP ($up bytes on its waypoint pair, the 4 MB file included), no TCP on any waypoint port, never port 8080" \
  || { svr_fail "tshark on aB (transformed): udp_pair=$up tcp_pair=$tp tcp_wp=$tw port8080=$p8"
       tshark -n -r ab.pcap -Y "frame.time_epoch >= $t2s && frame.time_epoch <= $t2e && tcp.srcport >= 16385 && tcp.dstport >= 16385" 2>/dev/null | head -20; }

echo "== 3. firewall removed: back to TCP"
fw_off
t0=$(date +%s%N)
if svr_wait_for 20 '[ "$(ut "$RA" status)" = disabled ]'; then
  svr_pass "A's verdict back to disabled $(( ($(date +%s%N) - t0) / 1000000 )) ms after the firewall went"
else
  svr_fail "A's verdict still '$(ut "$RA" status)' 20 s after the firewall went"
fi
t3s=$(now)
if fetch 41003 got3.bin && [ "$(dp_sha256_file got3.bin)" = "$want" ]; then
  svr_pass "no firewall: curl 4 MB completes, sha256 right"
else
  svr_fail "no firewall: curl failed or sha256 wrong"
fi
t3e=$(now); cap_sync "$t3e"
ta=$(session "$RA" 41003 transformed); tb=$(session "$RB" 41003 transformed)
wp3=$(session "$RA" 41003 waypoints | tr -d '"')
[ "$ta" = false ] && [ "$tb" = false ] \
  && svr_pass "show sessions: the new session is \"transformed\": false on A and on B (waypoints $wp3)" \
  || svr_fail "show sessions (no firewall): transformed A=$ta B=$tb"
read -r up tp uw tw p8 < <(link_bytes "$t3s" "$t3e" "$wp3")
echo "A-B link during the transfer, IP bytes: UDP on the pair $up, TCP on the pair $tp, UDP on waypoint ports $uw, TCP on waypoint ports $tw; packets on port 8080: $p8"
[ "$tp" -ge 4194304 ] && [ "$uw" = 0 ] && [ "$p8" = 0 ] \
  && svr_pass "tshark on aB: the session rides TCP ($tp bytes on its waypoint pair, the 4 MB file included), no UDP on any waypoint port" \
  || svr_fail "tshark on aB (not transformed): tcp_pair=$tp udp_wp=$uw port8080=$p8"

echo "== 4. an untransformed transfer when the firewall comes up mid-flow"
# M must not have seen this connection start, whether or not its conntrack
# stayed loaded after the firewall went, so its outer TCP is not tracked
# until the firewall is back (a firewall that restarted, or one on a path
# the session moved to, is in the same position); and the server sends at
# 1 Mbit/s (tbf on S), so that the transfer is still on the link, not in
# the client's socket buffer, when the firewall comes up
dp_exec S tc qdisc add dev sB root tbf rate 1mbit burst 32kb latency 400ms
dp_exec M nft -f - <<'EOF'
table inet nt {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    meta l4proto tcp th dport 16385-65533 notrack
  }
}
EOF
svr_bg C curl -sS --connect-timeout 5 --max-time 60 --local-port 41004 \
  --speed-limit 1024 --speed-time 3 -o "$SVR_TMP/got4.bin" http://10.2.0.2:8080/f.bin
SLOW=$SVR_LAST_PID
svr_wait_for 15 '[ "$(stat -c %s got4.bin 2>/dev/null || echo 0)" -ge 102400 ]' \
  || svr_fail "the slow transfer did not start"
t4=$(session "$RA" 41004 transformed)
fw blind
dp_exec M nft delete table inet nt
svr_wait_for 20 "! kill -0 $SLOW 2>/dev/null"
dp_forget "$SLOW"; rc=$?
got=$(stat -c %s got4.bin 2>/dev/null || echo 0)
mid=$(fw_count wp-midflow)
echo "slow transfer: curl exit $rc after $got of 4194304 bytes; outer TCP taken as mid-flow by M: $mid packets"
[ "$t4" = false ] && [ "$rc" = 28 ] && [ "$got" -lt 2097152 ] && [ "$mid" -gt 0 ] 2>/dev/null \
  && svr_pass "an untransformed session already running when the firewall comes up is dropped as mid-flow TCP ($mid packets) and stalls (curl exit 28 after $got bytes)" \
  || svr_fail "mid-flow: transformed=$t4 curl rc=$rc bytes=$got wp-midflow=$mid"
kill -0 "$DP_ROUTER_PID_A" 2>/dev/null && kill -0 "$DP_ROUTER_PID_B" 2>/dev/null \
  && svr_pass "both routers still running" || svr_fail "a router exited"
svr_finish
