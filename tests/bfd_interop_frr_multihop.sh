#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bfd_interop_frr_multihop (label interop, root): svr-bfd --rfc5883 against
# FRR's bfdd 8.4 (run alone, lab-recipes section 1) across a router:
#   A (svr-bfd) 10.93.1.1 -- 10.93.1.2 R 10.93.2.1 -- 10.93.2.2 B (bfdd)
#   bfdd: "peer 10.93.1.1 multihop local-address 10.93.2.2", 300/300 ms,
#   minimum-ttl at its default (254: one router in between).
#  1. Both Up.  tshark in B: every packet we send decodes as BFD with no
#     malformed/expert info, arrives on 4784/UDP from a source port in
#     49152-65535 with TTL 254 (sent with 255, one router decremented it).
#     Our table shows rx_hops 1 (bfdd's packets arrive with TTL 254 too).
#  2. Our --min-ttl 255 (no router allowed): bfdd's packets are dropped
#     (rx_drops grows, never Up) while bfdd keeps sending; min-ttl 254: Up.
#  3. R-B link deleted: we go Down with diag 1 (Control Detection Time
#     Expired) no later than our detection time (3 x 300 ms) + 150 ms and
#     no sooner than that minus bfdd's interval (300 ms) minus 50 ms; bfdd
#     shows down with diagnostic "control detection time expired" and
#     remote diagnostic "ok", and logs the Down with reason control-expired
#     within the same bounds from its detection time (3 x 300 ms) and our
#     interval (tests/lib/bfd_io.sh, bfd_check_cut).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces and bfdd"
svr_require_cmd ip tshark vtysh /usr/lib/frr/bfdd
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"
chmod 755 "$SVR_TMP"

svr_ns_add A; svr_ns_add R; svr_ns_add B
NA=$(svr_ns A); NR=$(svr_ns R); NB=$(svr_ns B)
svr_veth A 10.93.1.1/24 R 10.93.1.2/24 a0 r0
svr_veth R 10.93.2.1/24 B 10.93.2.2/24 r1 b0
ip -n "$NA" route add 10.93.2.0/24 via 10.93.1.2
ip -n "$NB" route add 10.93.1.0/24 via 10.93.2.1
ip netns exec "$NR" sysctl -qw net.ipv4.ip_forward=1

cat >"$SVR_TMP/bfdd.conf" <<'EOC'
bfd
 peer 10.93.1.1 multihop local-address 10.93.2.2
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
!
EOC
ours_conf() { # MIN_TTL
  printf 'router-name svrA\nsession local=10.93.1.1 peer=10.93.2.2 rfc5883 min-ttl=%s tx=300 rx=300 mult=3 hold-down=0\n' \
    "$1" >"$SVR_TMP/ours.conf"
}
both_up() { # LOG DIR
  [ -n "$(bfd_state_time "$1" up)" ] && [ "$(frr_field "$2" status)" = up ]
}

# --- 1. Up across one router ------------------------------------------------
D=$SVR_TMP/frr
bfd_capture_start B b0 "$SVR_TMP/mh.pcap" "udp port 4784" || svr_fail "tshark"
frr_start B "$D" "$SVR_TMP/bfdd.conf" || { svr_fail "bfdd start"; svr_finish; }
ours_conf 254
svr_bg A "$SVR_BFD" -c "$SVR_TMP/ours.conf" --json
PO=$SVR_LAST_PID; LO=$SVR_LAST_LOG
if svr_wait_for 15 "both_up '$LO' '$D'"; then
  svr_pass "multihop: svr-bfd and bfdd both Up across R"
else
  svr_fail "multihop: not Up (ours: $(tail -2 "$LO"); bfdd: $(frr_peer_json "$D"))"
fi
svr_wait_for 5 "[ \$(bfd_pcap_count '$SVR_TMP/mh.pcap' 'ip.src==10.93.1.1 && bfd.sta==3') -ge 3 ] 2>/dev/null"
bfd_capture_stop
n=$(bfd_pcap_count "$SVR_TMP/mh.pcap" "ip.src==10.93.1.1")
bad=$(bfd_pcap_count "$SVR_TMP/mh.pcap" "ip.src==10.93.1.1 && (!bfd || _ws.malformed || _ws.expert || ip.ttl != 254 || udp.dstport != 4784 || udp.srcport < 49152)")
if [ "$n" -gt 0 ] && [ "$bad" = 0 ]; then
  svr_pass "tshark in B: $n packets from us, all BFD on 4784 from 49152+, TTL 254 after one router, no malformed/expert"
else
  svr_fail "tshark in B: $bad of $n packets wrong"
  tshark -r "$SVR_TMP/mh.pcap" -Y "ip.src==10.93.1.1" -T fields -e ip.ttl -e udp.srcport -e udp.dstport 2>/dev/null | sort | uniq -c | head
fi
t=$(bfd_table "$LO" "$PO")
[ "$(bfd_json_field "$t" mode)" = rfc5883 ] && [ "$(bfd_json_field "$t" rx_hops)" = 1 ] &&
  svr_pass "our table: mode rfc5883, rx_hops 1" ||
  svr_fail "our table: $t"
kill "$PO"; svr_wait_for 5 "! kill -0 $PO 2>/dev/null"

# --- 2. the TTL floor --------------------------------------------------------
svr_wait_for 10 "[ \"\$(frr_field '$D' status)\" = down ]"
ours_conf 255
svr_bg A "$SVR_BFD" -c "$SVR_TMP/ours.conf" --json
PO=$SVR_LAST_PID; LO=$SVR_LAST_LOG
# bfdd sends every 1 s while down (RFC 5880 6.8.3): wait for 3 drops
if svr_wait_for 10 "[ \"\$(bfd_json_field \"\$(bfd_table '$LO' $PO)\" rx_drops)\" -ge 3 ] 2>/dev/null"; then
  t=$(bfd_table "$LO" "$PO")
  if [ -z "$(bfd_state_time "$LO" up)" ] && [ "$(bfd_json_field "$t" rx_packets)" = 0 ]; then
    svr_pass "min-ttl 255: bfdd's packets (TTL 254) dropped ($(bfd_json_field "$t" rx_drops)), never Up"
  else
    svr_fail "min-ttl 255: $t"
  fi
else
  svr_fail "min-ttl 255: no drops counted: $(bfd_table "$LO" "$PO")"
fi
kill "$PO"; svr_wait_for 5 "! kill -0 $PO 2>/dev/null"
ours_conf 254
svr_bg A "$SVR_BFD" -c "$SVR_TMP/ours.conf" --json
PO=$SVR_LAST_PID; LO=$SVR_LAST_LOG
svr_wait_for 15 "both_up '$LO' '$D'" && svr_pass "min-ttl 254: Up again" ||
  svr_fail "min-ttl 254: not Up (ours: $(tail -2 "$LO"); bfdd: $(frr_field "$D" status))"

# --- 3. cut the far link -----------------------------------------------------
bfd_cut_timers "$LO" "$PO" || svr_fail "our table before the cut: $(bfd_table "$LO" "$PO")"
t0=$(date +%s.%N)
ip -n "$NR" link del r1
bfd_check_cut "R-B link cut" "$t0" "$LO" "$D"
svr_finish
