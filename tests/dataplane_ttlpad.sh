#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Automatic TTL padding from BFD's hop count (issue 12): with a routed hop M
# between the routers,
#
#   C - A aB 192.168.50.1 -- mA [M] mB -- bA 192.168.50.2 B - S
#
# (M forwards with proxy ARP, as in dataplane_firewall, and decrements the
# TTL like any router).  UDP probes from C with TTL 64, answered by S with
# TTL 64 (tests/dataplane_ttl.py), and tshark on aB (A's side of M):
#   1. ttl-padding off (the default): M is one more hop: S sees 61, C 61;
#      on aB the outer packets from A carry TTL 63 (64 - A's hop), those
#      from B TTL 62 (M took one);
#   2. ttl-padding automatic on both adjacencies: once BFD told each router
#      the hop count (1), S sees 62 and C 62, as with no hop between the
#      routers (dataplane_ttl): on aB the outer packets from A carry TTL 64
#      (63 padded by 1), those from B 63 (64 after B's padding, minus M).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd tshark python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"
PROBE="python3 $SVR_SOURCE_DIR/tests/dataplane_ttl.py"

dp_topo
dp_ip A link del aB   # and bA with it: M goes in between
svr_ns_add M >/dev/null
svr_veth A 192.168.50.1/24 M 192.168.50.253/32 aB mA
svr_veth M 192.168.50.254/32 B 192.168.50.2/24 mB bA
dp_ip M route add 192.168.50.1/32 dev mA
dp_ip M route add 192.168.50.2/32 dev mB
dp_exec M sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.mA.proxy_arp=1 \
  net.ipv4.conf.mB.proxy_arp=1 net.ipv4.neigh.mA.proxy_delay=0 net.ipv4.neigh.mB.proxy_delay=0

svr_bg S $PROBE serve 10.2.0.2 7008
svr_wait_for 10 "grep -q listening '$SVR_LAST_LOG'" || { svr_fail "probe server did not start"; svr_finish; }
probe() { dp_exec C $PROBE probe 10.2.0.2 7008 64 64 2; }

# conf PADDING: both routers' files, BFD 100 ms, PADDING on the adjacency
conf() {
  local r f
  for r in A B; do
    f=$(dp_router_conf $r desired-tx-interval 100 required-min-rx-interval 100)
    [ "$1" = off ] || sed -i "s/^security-key-id 1\$/&\nttl-padding $1/" "$f"
  done
}
# capture_start N / capture_ttls N: waypoint-port UDP on aB (BFD, PMTU and
# the detector use other ports); capture_ttls prints "SRC:TTL" for every
# (source, TTL) seen, then per source the number of packets:
#   "192.168.50.1:63 192.168.50.2:62 | 192.168.50.1 3 192.168.50.2 3"
capture_start() {
  svr_bg A tshark -n -i aB -w "$SVR_TMP/ab$1.pcap" \
    -f "udp and src portrange 16385-65533 and dst portrange 16385-65533"
  CAP_PID=$SVR_LAST_PID
  svr_wait_for 30 "grep -q 'Capturing on' '$SVR_LAST_LOG'" || svr_fail "tshark did not start"
}
capture_ttls() {
  kill -INT "$CAP_PID"; dp_forget "$CAP_PID"
  tshark -n -r "$SVR_TMP/ab$1.pcap" -T fields -e ip.src -e ip.ttl 2>/dev/null >"$SVR_TMP/ttl$1.txt"
  echo "$(awk '{ print $1 ":" $2 }' "$SVR_TMP/ttl$1.txt" | sort -u | tr '\n' ' ')| $(
    awk '{ print $1 }' "$SVR_TMP/ttl$1.txt" | sort | uniq -c | awk '{ printf "%s %s ", $2, $1 }')"
}
# probes: probes until the capture holds 3 of each direction (tshark may
# miss the very first packets after it says it is capturing), at most 10;
# prints the distinct probe results
probes() {
  local i out=""
  for i in $(seq 10); do
    out="$out$(probe)"$'\n'
    [ "$(tshark -n -r "$SVR_TMP/ab$1.pcap" -T fields -e ip.src 2>/dev/null | sort | uniq -c |
         awk '$1 >= 3' | wc -l)" -ge 2 ] && [ "$i" -ge 3 ] && break
  done
  printf '%s' "$out" | sort -u | tr '\n' ' '
}
# want_ttls SRC_A_TTL SRC_B_TTL: capture_ttls' line for those TTLs and >= 3
# packets each way
want_ttls() {
  local got=$1
  case $got in
    "192.168.50.1:$2 192.168.50.2:$3 | 192.168.50.1 "*) ;;
    *) return 1 ;;
  esac
  echo "$got" | awk -F'|' '{ split($2, f, " "); exit !(f[2] >= 3 && f[4] >= 3) }'
}

# ---- 1. no padding: M shows
conf off
dp_routers_up 30 || { svr_fail "routers did not come up through M"; svr_finish; }
grep -q '^ttl-padding' "$SVR_TMP/routerA.conf" && svr_fail "phase 1 config has ttl-padding"
capture_start 1
r1=$(probes 1)
t1=$(capture_ttls 1)
echo "no padding: probes: $r1; outer on aB (src:ttl | packets): $t1"
[ "$r1" = "reply 61 61 " ] && svr_pass "ttl-padding off: the hop M shows (server and client see 61)" \
  || svr_fail "ttl-padding off: probes '$r1', want every one reply 61 61"
want_ttls "$t1" 63 62 &&
  svr_pass "ttl-padding off: outer TTL on aB 63 from A, 62 from B" ||
  svr_fail "ttl-padding off: outer TTLs on aB '$t1', want only 63 from A, 62 from B, 3 or more each"
dp_routers_down

# ---- 2. automatic: BFD's hop count pads it away
conf automatic
grep -q '^ttl-padding automatic' "$SVR_TMP/routerA.conf" &&
  grep -q '^ttl-padding automatic' "$SVR_TMP/routerB.conf" || svr_fail "ttl-padding not in the files"
dp_routers_up 30 || { svr_fail "routers did not come up with ttl-padding automatic"; svr_finish; }
# the hop count arrives in BFD's metadata after the session is up and the
# daemon passes it on once a second: bounded wait for the first padded probe
svr_wait_for 15 '[ "$(probe)" = "reply 62 62" ]' || svr_fail "no probe answered with 62 62 within 15 s"
capture_start 2
r2=$(probes 2)
t2=$(capture_ttls 2)
echo "automatic: probes: $r2; outer on aB (src:ttl | packets): $t2"
[ "$r2" = "reply 62 62 " ] && svr_pass "ttl-padding automatic: M hidden (server and client see 62, as with no hop between the routers)" \
  || svr_fail "ttl-padding automatic: probes '$r2', want every one reply 62 62"
want_ttls "$t2" 64 63 &&
  svr_pass "ttl-padding automatic: outer TTL on aB 64 from A (padded by 1), 63 from B (padded by 1, then M)" ||
  svr_fail "ttl-padding automatic: outer TTLs on aB '$t2', want only 64 from A, 63 from B, 3 or more each"

kill -0 "$DP_ROUTER_PID_A" && kill -0 "$DP_ROUTER_PID_B" && svr_pass "both routers alive" || svr_fail "a router died"
svr_finish
