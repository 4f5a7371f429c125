#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bfd_probe_frr (label interop, root): `svr-bfd --once` is a probe that does
# not flap the peer.  FRR's bfdd 8.4 runs alone in namespace B with a peer
# for A; svr-bfd --rfc5881 --once probes it from A.
#   A 10.95.0.1 --veth-- 10.95.0.2 B (bfdd)
#  1. bfdd runs first (it sends Down): three probes one after the other,
#     each exits 0 with a Down -> Up state event;
#  2. the probe starts first, bfdd 1 s later (bfdd's own Down then reaches
#     a probe that has been sending for a while): exit 0;
#  and after each part, bfdd's counters ('show bfd peers counters json'):
#  no session-up, no zebra notification (nothing told its clients of a
#  session going up or down), at most one session-down per probe (bfdd
#  counts Init -> Down, which a probe cannot avoid: the peer has to leave
#  Down to show it hears us), and bfdd's log has no transition into up.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces and bfdd"
svr_require_cmd ip vtysh /usr/lib/frr/bfdd
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"
chmod 755 "$SVR_TMP"

svr_ns_add A; svr_ns_add B
svr_veth A 10.95.0.1/24 B 10.95.0.2/24
cat >"$SVR_TMP/bfdd.conf" <<'EOC'
bfd
 peer 10.95.0.1 local-address 10.95.0.2
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
!
EOC
PROBE=("$SVR_BFD" -l 10.95.0.1 -p 10.95.0.2 --rfc5881 --tx 300 --rx 300 --once --timeout 15 --json)

# frr_counter DIR NAME: one counter of the first peer
frr_counter() {
  frr_vtysh "$1" 'show bfd peers counters json' | tr -d ' \n' |
    grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
# check_counters DIR PART PROBES: the counters since bfdd started
check_counters() {
  local d=$1 part=$2 n=$3 up down zn
  up=$(frr_counter "$d" session-up); down=$(frr_counter "$d" session-down)
  zn=$(frr_counter "$d" zebra-notifications)
  if [ "$up" = 0 ] && [ "$zn" = 0 ] && [ -n "$down" ] && [ "$down" -le "$n" ] &&
     ! grep -q -- '-> up' "$d/bfdd-debug.log"; then
    svr_pass "$part: bfdd after $n probe(s): session-up 0, zebra-notifications 0, session-down $down (Init -> Down), never Up"
  else
    svr_fail "$part: bfdd after $n probe(s): session-up '$up', zebra-notifications '$zn', session-down '$down'; $(grep -- '->' "$d/bfdd-debug.log" | tail -3)"
  fi
}

# --- 1. bfdd first: three probes ---------------------------------------------
D1=$SVR_TMP/frr1
frr_start B "$D1" "$SVR_TMP/bfdd.conf" || { svr_fail "bfdd start"; svr_finish; }
svr_wait_for 10 "[ \"\$(frr_counter '$D1' control-packet-output)\" -ge 1 ] 2>/dev/null" ||
  svr_fail "bfdd sent nothing"
ok=0
for i in 1 2 3; do
  ip netns exec "$(svr_ns A)" "${PROBE[@]}" >"$SVR_TMP/p$i.log" 2>&1
  rc=$?
  if [ "$rc" = 0 ] && grep -q '"event":"state".*"from":"down","to":"up"' "$SVR_TMP/p$i.log"; then
    ok=$((ok + 1))
  else
    svr_fail "probe $i: exit $rc"; cat "$SVR_TMP/p$i.log"
  fi
  # our AdminDown takes bfdd back to down at once
  svr_wait_for 5 "[ \"\$(frr_field '$D1' status)\" = down ]" ||
    svr_fail "probe $i: bfdd status $(frr_field "$D1" status) after the probe"
done
[ "$ok" = 3 ] && svr_pass "bfdd first: 3 probes exited 0, each saw the peer answer"
check_counters "$D1" "bfdd first" 3
kill "$FRR_PID"; svr_wait_for 5 "! kill -0 $FRR_PID 2>/dev/null"

# --- 2. the probe first, bfdd later -------------------------------------------
svr_bg A "${PROBE[@]}"
PP=$SVR_LAST_PID; LP=$SVR_LAST_LOG
svr_wait_for 5 "grep -q '\"event\":\"start\"' '$LP'" || svr_fail "probe did not start"
D2=$SVR_TMP/frr2
frr_start B "$D2" "$SVR_TMP/bfdd.conf" || { svr_fail "bfdd restart"; svr_finish; }
svr_wait_for 20 "! kill -0 $PP 2>/dev/null"
wait "$PP"; rc=$?
if [ "$rc" = 0 ]; then
  svr_pass "probe first, bfdd later: exit 0"
else
  svr_fail "probe first: exit $rc"; cat "$LP"
fi
svr_wait_for 5 "[ \"\$(frr_field '$D2' status)\" = down ]"
check_counters "$D2" "probe first" 1
svr_finish
