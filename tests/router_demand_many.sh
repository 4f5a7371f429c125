#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router hub with 200 Demand-mode spokes (label netns, root): the spokes
# (bench/spoke_emu, one process, AnyIP addresses) ask for RFC 5880 Demand
# mode and run echo bursts toward the hub, 10 requests 5 ms apart (the hub's
# required-min-echo-interval) every 10 s, all starting together.  The hub
# reads their requests in batches of up to 64 datagrams; it must reflect
# every one, or a spoke that loses a whole burst goes Down (Diag 2, echo
# function failed) although nothing is cut.
#  - all 200 paths up on the hub;
#  - over two rounds of bursts (22 s from the first Up): no transition out
#    of Up on the hub (its log) nor on the spokes (spoke_emu down_events).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
R="$SVR_BUILD_DIR/cli/svr-router"
EMU="$SVR_BUILD_DIR/bench/spoke_emu"
svr_require_cmd "$R" "$EMU" ip
T=$SVR_TMP
N=200

svr_ns_add H; svr_ns_add S
svr_veth H 10.99.0.1/24 S 10.99.0.2/24 vH vS
ip -n "$(svr_ns H)" route add local 10.64.0.0/14 dev lo
ip -n "$(svr_ns S)" route add local 10.128.0.0/14 dev lo
ip -n "$(svr_ns H)" route add 10.128.0.0/14 via 10.99.0.2
ip -n "$(svr_ns S)" route add 10.64.0.0/14 via 10.99.0.1
awk -v sock="$T/hub.sock" -v n="$N" 'BEGIN {
  print "router hub"; print "node node1"; print "control-socket " sock
  print "required-min-echo-interval 5"; print "hold-down-time 0ms"
  print "[interface wan]"; print "address 10.64.0.1"
  print "[neighborhood spokes]"; print "interface wan"; print "topology hub"
  for (i = 0; i < n; i++) {
    v = 128 * 65536 + 1 + i
    printf "[adjacency spoke-%d]\nneighborhood spokes\naddress 10.%d.%d.%d\n", i,
      int(v / 65536), int(v / 256) % 256, v % 256 }
}' >"$T/hub.conf"
svr_bg S "$EMU" --hub 10.64.0.1 --first 10.128.0.1 --count "$N" --demand --spoke-echo --no-fwdet
EMU_PID=$SVR_LAST_PID; EMU_LOG=$SVR_LAST_LOG
svr_wait_for 20 "grep -q 'spoke_emu ready' '$EMU_LOG'" || { svr_fail "spoke_emu did not start: $(tail -3 "$EMU_LOG")"; svr_finish; }
svr_bg H "$R" -c "$T/hub.conf"; HUB_LOG=$SVR_LAST_LOG
ups() { "$R" -s "$T/hub.sock" show peers --json 2>/dev/null | grep -o '"status":"up"' | wc -l; }
if svr_wait_for 30 '[ "$(ups)" -ge $N ]'; then svr_pass "hub: all $N paths up"
else svr_fail "hub: $(ups) of $N paths up"; svr_finish; fi
t_end=$(( $(date +%s) + 22 ))
while [ "$(date +%s)" -lt "$t_end" ] && ! grep -q ': up -> ' "$HUB_LOG"; do sleep 0.5; done
hub_d=$(grep -c ': up -> ' "$HUB_LOG")
kill -USR1 "$EMU_PID"
svr_wait_for 5 "grep -q 'spoke_emu time=' '$EMU_LOG'"
spoke_d=$(grep 'spoke_emu time=' "$EMU_LOG" | tail -1 | tr ' ' '\n' | sed -n 's/^down_events=//p')
[ "$hub_d" = 0 ] && svr_pass "hub: no path left Up in 22 s" ||
  svr_fail "hub: $hub_d transitions out of Up: $(grep ': up -> ' "$HUB_LOG" | head -2)"
[ "${spoke_d:-x}" = 0 ] && svr_pass "spokes: no session left Up (down_events=0)" ||
  svr_fail "spokes: down_events=${spoke_d:-none}"
svr_finish
