#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bfd_interop_frr (label interop, root): svr-bfd --rfc5881 against FRR's bfdd
# 8.4 run alone in a namespace (lab-recipes section 1: -P 0, own vty dir).
#   A (svr-bfd) 10.92.0.1 --veth-- 10.92.0.2 B (bfdd), 300 ms / 300 ms, mult 3
#  1. bfdd starts first, then svr-bfd: both Up.  tshark in A: every packet we
#     send decodes as BFD, no malformed/expert info, TTL 255, DSCP CS6, UDP
#     source port 49152-65535.
#     `svr-bfd show --json --format frr` has every key of bfdd's own 'show
#     bfd peers json' for the same session, status up on both, each side's
#     id the other's remote-id, the same intervals seen from both ends.
#  2. bfdd's transmit-interval changed at runtime (vtysh): our table shows the
#     peer's new Desired Min TX.  Ours changed by SIGHUP (config re-read):
#     bfdd shows our new remote timers; nobody flapped.
#  3. veth deleted: we go Down with diag 1 (Control Detection Time Expired)
#     no later than our detection time (3 x 400 ms) + 150 ms and no sooner
#     than that minus bfdd's interval (400 ms) minus 50 ms; bfdd shows down
#     with diagnostic "control detection time expired" and remote
#     diagnostic "ok", and its log (debug bfd peer, microseconds) has it
#     going down with reason control-expired no later than its detection
#     time (3 x 300 ms) + 150 ms and no sooner than that minus our
#     interval (300 ms) minus 50 ms (tests/lib/bfd_io.sh, bfd_check_cut).
#  4. svr-bfd starts first (and is seen sending), then bfdd: both Up.
#  5. SVR mode with the metadata trailer toward bfdd: bfdd comes Up with
#     packets that carry bytes after the BFD Length.  SVR mode answers the
#     observed source port, and bfdd sends from 49152+ but listens on 3784,
#     so an nft rule in A (raw priority, stateless) maps our destination
#     port back to 3784; that mapping is test plumbing, not library code.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces and bfdd"
svr_require_cmd ip nft tshark vtysh /usr/lib/frr/bfdd
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"
chmod 755 "$SVR_TMP"

svr_ns_add A; svr_ns_add B
svr_veth A 10.92.0.1/24 B 10.92.0.2/24
cat >"$SVR_TMP/bfdd.conf" <<'EOC'
bfd
 peer 10.92.0.1 local-address 10.92.0.2
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
!
EOC
printf 'router-name svrA\nsession local=10.92.0.1 peer=10.92.0.2 rfc5881 tx=300 rx=300 mult=3 hold-down=0\n' \
  >"$SVR_TMP/ours.conf"
both_up() { # LOG DIR
  [ -n "$(bfd_state_time "$1" up)" ] && [ "$(frr_field "$2" status)" = up ]
}

# --- 1. bfdd first ----------------------------------------------------------
D1=$SVR_TMP/frr1
bfd_capture_start A vAB "$SVR_TMP/frr1.pcap" "udp port 3784" || svr_fail "tshark"
frr_start B "$D1" "$SVR_TMP/bfdd.conf" || { svr_fail "bfdd start"; svr_finish; }
svr_wait_for 10 "[ \"\$(frr_vtysh '$D1' 'show bfd peers counters json' | tr -d ' \n' | grep -o '\"control-packet-output\":[0-9]*' | cut -d: -f2)\" -ge 1 ] 2>/dev/null" \
  || svr_fail "bfdd sent nothing"
svr_bg A "$SVR_BFD" -c "$SVR_TMP/ours.conf" --json --control "$SVR_TMP/ours.sock"
PO=$SVR_LAST_PID; LO=$SVR_LAST_LOG
if svr_wait_for 15 "both_up '$LO' '$D1'"; then
  svr_pass "bfdd first: svr-bfd and bfdd both Up"
else
  svr_fail "bfdd first: not Up (ours: $(tail -2 "$LO"); bfdd: $(frr_field "$D1" status))"
fi
svr_wait_for 5 "[ \$(bfd_pcap_count '$SVR_TMP/frr1.pcap' 'ip.src==10.92.0.1 && bfd.sta==3') -ge 3 ] 2>/dev/null"
bfd_capture_stop
if r=$(bfd_pcap_check_ours "$SVR_TMP/frr1.pcap" 10.92.0.1); then svr_pass "tshark: $r"; else svr_fail "tshark: $r"; fi
bad=$(bfd_pcap_count "$SVR_TMP/frr1.pcap" "ip.src==10.92.0.1 && (udp.srcport < 49152 || udp.dstport != 3784)")
if [ "$bad" = 0 ]; then svr_pass "RFC 5881 ports: source 49152-65535, destination 3784"; else svr_fail "$bad packets with wrong ports"; fi

# FRR's field names: the same keys as bfdd's own JSON, values that agree
ours=$("$SVR_BFD" show --json --format frr --control "$SVR_TMP/ours.sock")
theirs=$(frr_vtysh "$D1" 'show bfd peers json')
if r=$(python3 - "$ours" "$theirs" 2>&1 <<'EOP'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert isinstance(o, list) and len(o) == 1 and len(t) == 1, (o, t)
o, t = o[0], t[0]
missing = sorted(set(t) - set(o))
assert not missing, "keys bfdd has and we lack: %s" % missing
assert o["status"] == t["status"] == "up", (o["status"], t["status"])
assert o["id"] == t["remote-id"] and o["remote-id"] == t["id"], "ids"
assert (o["peer"], o["local"]) == (t["local"], t["peer"]), "addresses"
for a, b in (("transmit-interval", "remote-transmit-interval"),
             ("receive-interval", "remote-receive-interval"),
             ("detect-multiplier", "remote-detect-multiplier")):
    assert o[a] == t[b] and o[b] == t[a], (a, o[a], t[b], o[b], t[a])
assert o["diagnostic"] == t["remote-diagnostic"] == "ok", "diagnostics"
assert isinstance(o["uptime"], int) and o["multihop"] is False
print("%d keys, all of bfdd's %d" % (len(o), len(t)))
EOP
); then
  svr_pass "show --json --format frr: $r; status, ids, intervals agree with bfdd's view"
else
  svr_fail "--format frr against bfdd: $r / ours $ours / bfdd $theirs"
fi

# --- 2. timer changes by Poll Sequence, both ways ------------------------------
frr_vtysh "$D1" 'configure terminal' 'bfd' 'peer 10.92.0.1 local-address 10.92.0.2' 'transmit-interval 200' >/dev/null
if svr_wait_for 10 "[ \"\$(bfd_json_field \"\$(bfd_table '$LO' $PO)\" remote_desired_min_tx_ms)\" = 200.000 ]"; then
  svr_pass "bfdd transmit-interval 300 -> 200 (vtysh): we see remote Desired Min TX 200 ms"
else
  svr_fail "bfdd timer change not seen: $(bfd_table "$LO" "$PO")"
fi
sed -i 's/tx=300 rx=300/tx=250 rx=400/' "$SVR_TMP/ours.conf"
kill -HUP "$PO"
if svr_wait_for 10 "[ \"\$(frr_field '$D1' remote-transmit-interval)\" = 250 ] && [ \"\$(frr_field '$D1' remote-receive-interval)\" = 400 ]"; then
  svr_pass "our tx 300 -> 250, rx 300 -> 400 (SIGHUP): bfdd shows remote 250/400"
else
  svr_fail "bfdd did not see our new timers: $(frr_peer_json "$D1")"
fi
t=$(bfd_table "$LO" "$PO")
if [ "$(bfd_json_field "$t" down_count)" = 0 ] && [ "$(bfd_json_field "$t" poll_active)" = false ] &&
   [ "$(bfd_json_field "$t" state)" = up ] && [ "$(frr_field "$D1" status)" = up ]; then
  svr_pass "no flap during the Poll Sequences; poll finished"
else
  svr_fail "after timer changes: $t / bfdd $(frr_field "$D1" status)"
fi

# --- 3. cut the link ---------------------------------------------------------------
bfd_cut_timers "$LO" "$PO" || svr_fail "our table before the cut: $(bfd_table "$LO" "$PO")"
t0=$(date +%s.%N)
ip -n "$(svr_ns A)" link del vAB
bfd_check_cut "link cut" "$t0" "$LO" "$D1"
kill "$PO" "$FRR_PID"
svr_wait_for 5 "! kill -0 $PO 2>/dev/null && ! kill -0 $FRR_PID 2>/dev/null"

# --- 4. svr-bfd first ------------------------------------------------------------
svr_veth A 10.92.0.1/24 B 10.92.0.2/24
sed -i 's/tx=250 rx=400/tx=300 rx=300/' "$SVR_TMP/ours.conf"
svr_bg A "$SVR_BFD" -c "$SVR_TMP/ours.conf" --json
PO=$SVR_LAST_PID; LO=$SVR_LAST_LOG
bfd_wait_tx "$LO" "$PO" 2 10 || svr_fail "svr-bfd sent nothing"
D2=$SVR_TMP/frr2
frr_start B "$D2" "$SVR_TMP/bfdd.conf" || { svr_fail "bfdd restart"; svr_finish; }
if svr_wait_for 15 "both_up '$LO' '$D2'"; then
  svr_pass "svr-bfd first: both Up"
else
  svr_fail "svr-bfd first: not Up (ours: $(tail -2 "$LO"); bfdd: $(frr_field "$D2" status))"
fi
kill "$PO"; svr_wait_for 5 "! kill -0 $PO 2>/dev/null"

# --- 5. SVR metadata trailer toward bfdd -----------------------------------------
ip netns exec "$(svr_ns A)" nft -f - <<'NFT' || svr_fail "nft port map"
table ip svrmap {
  chain out {
    type filter hook output priority raw; policy accept;
    ip daddr 10.92.0.2 udp sport 3784 udp dport != 3784 udp dport set 3784
  }
}
NFT
svr_wait_for 10 "[ \"\$(frr_field '$D2' status)\" = down ]"
bfd_capture_start A vAB "$SVR_TMP/frr5.pcap" "udp port 3784" || svr_fail "tshark"
svr_bg A "$SVR_BFD" -l 10.92.0.1 -p 10.92.0.2 --port 3784 --metadata on --tx 300 --rx 300 \
  --hold-down 0 --router-name svrA --node-name n1 --json
PO=$SVR_LAST_PID; LO=$SVR_LAST_LOG
if svr_wait_for 15 "both_up '$LO' '$D2'"; then
  svr_pass "SVR mode + metadata trailer: bfdd Up with us"
else
  svr_fail "metadata trailer: not Up (ours: $(tail -2 "$LO"); bfdd: $(frr_field "$D2" status))"
fi
svr_wait_for 5 "[ \$(bfd_pcap_count '$SVR_TMP/frr5.pcap' 'ip.src==10.92.0.1 && bfd.sta==3') -ge 3 ] 2>/dev/null"
bfd_capture_stop
n=$(bfd_pcap_count "$SVR_TMP/frr5.pcap" "ip.src==10.92.0.1 && bfd && udp.length > bfd.message_length + 8")
up=$(bfd_pcap_count "$SVR_TMP/frr5.pcap" "ip.src==10.92.0.2 && bfd.sta==3")
if [ "$n" -gt 0 ] && [ "$up" -gt 0 ]; then
  svr_pass "$n of our packets carry a trailer after Length; bfdd answered Up $up times"
else
  svr_fail "trailer packets $n, bfdd Up packets $up"
fi
svr_finish
