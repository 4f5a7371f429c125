#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# libconductor on loopback, two conductor nodes and several routers:
# alarms raised on routers appear in `show alarms` on both conductor nodes;
# an unknown router key is refused and logged; a changed conductor host key
# is refused by the router; shelving; a router node that stops answering is
# detected (show assets + "No connectivity" alarm); one conductor node down
# does not stop the other, and the router catches up when it returns;
# entitlement peak reaches show entitlement.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd sqlite3
cd "$SVR_TMP"

KA="--keepalive-interval 1 --keepalive-max 2"
cond_start C1 cnd1 c1 0 $KA
cond_start C2 cnd2 c2 0 $KA
echo "$(known_host c1 $C1_PORT)" > kh
echo "$(known_host c2 $C2_PORT)" >> kh
for r in r1 r2 r3; do
  "$ROUTER" keygen $r.key >/dev/null
  "$COND" --dir c1 enroll $r $r.key.pub >/dev/null
  "$COND" --dir c2 enroll $r $r.key.pub >/dev/null
done
common() { echo --key $1.key --known-hosts kh --conductor 127.0.0.1:$C1_PORT \
  --conductor 127.0.0.1:$C2_PORT --state-dir st-$1-$2 --timeout 30 \
  --backoff-base-ms 100 --backoff-cap-ms 500 $KA; }

# 1. three routers, two nodes each, alarms to both conductor nodes
ok=1
for r in r1 r2 r3; do
  for n in n1 n2; do
    "$ROUTER" run --router $r --node $n $(common $r $n) --exit-when-acked \
      --raise "major:peer:Peer $r-$n-peer path is down" \
      --raise "critical:peer:Peer $r-$n-peer is not reachable" \
      --raise "minor:system:Path MTU of $n unresolvable" >/dev/null 2>r-$r-$n.log \
      || { ok=0; cat r-$r-$n.log; }
  done
done
[ $ok = 1 ] && svr_pass "6 router nodes delivered their alarms to both conductor nodes" \
  || svr_fail "a router did not get all acks"
for c in c1 c2; do
  n=$("$COND" --dir $c show alarms --json | grep -c '"router": "r')
  [ "$n" = 18 ] && svr_pass "$c: show alarms lists 18 router alarms" \
    || svr_fail "$c: show alarms lists $n router alarms, want 18"
done
out=$("$COND" --dir c2 show alarms --router r2)
echo "$out" | grep -q '^n1.r2:2 .* critical .* peer .* Peer r2-n1-peer is not reachable' \
  && ! echo "$out" | grep -q 'r1' \
  && svr_pass "show alarms --router r2 table (ID Time Severity Source Category Message)" \
  || { svr_fail "show alarms --router r2 table"; echo "$out"; }
echo "$out" | head -1 | grep -q '^ID .*Time .*Severity .*Source .*Category .*Message' \
  && svr_pass "show alarms header" || svr_fail "show alarms header"

# 2. unknown router key
"$ROUTER" keygen rogue.key >/dev/null
"$ROUTER" run --router r1 --node n9 --key rogue.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --once --timeout 20 2>rogue.log
rc=$?
[ $rc = 1 ] && grep -q 'refused the router key' rogue.log \
  && svr_wait_for 5 "grep -q 'refused unknown router key' '$C1_LOG'" \
  && svr_pass "unknown router key refused (router exit 1, conductor logged it)" \
  || { svr_fail "unknown router key: rc=$rc"; cat rogue.log; }
n=$(q c1 "SELECT count(*) FROM alarm_events WHERE node='n9'")
[ "$n" = 0 ] && svr_pass "nothing stored from the refused key" || svr_fail "stored $n from refused key"

# 3. changed conductor host key
ssh-keygen -q -t ed25519 -N '' -f impostor
echo "[127.0.0.1]:$C1_PORT $(cut -d' ' -f1,2 impostor.pub)" > kh-changed
"$ROUTER" run --router r1 --node n1 --key r1.key --known-hosts kh-changed \
  --conductor 127.0.0.1:$C1_PORT --once --timeout 20 2>changed.log
rc=$?
[ $rc = 1 ] && grep -q 'has CHANGED' changed.log \
  && svr_pass "changed conductor host key refused by the router" \
  || { svr_fail "changed host key: rc=$rc"; cat changed.log; }
: > kh-empty
"$ROUTER" run --router r1 --node n1 --key r1.key --known-hosts kh-empty \
  --conductor 127.0.0.1:$C1_PORT --once --timeout 20 2>unknown.log
[ $? = 1 ] && grep -q 'is not in' unknown.log \
  && svr_pass "unpinned conductor refused without --trust-first-use" \
  || { svr_fail "unpinned conductor"; cat unknown.log; }

# 4. shelving
"$COND" --dir c1 shelve n1.r1:1 >/dev/null && \
  "$COND" --dir c1 show alarms | grep -q 'There are 1 shelved alarms' && \
  ! "$COND" --dir c1 show alarms | grep -q '^n1.r1:1 ' && \
  "$COND" --dir c1 show alarms --shelved | grep -q '^n1.r1:1 ' \
  && svr_pass "shelve hides an alarm, show alarms --shelved lists it" \
  || svr_fail "shelving"
"$COND" --dir c1 shelve n7.r1:99 2>/dev/null
[ $? = 1 ] && svr_pass "shelve of an unknown ID exits 1" || svr_fail "shelve unknown ID"

# 5. a router node that stops answering: conductor closes it and alarms
svr_bg - "$ROUTER" run --router r3 --node n3 $(common r3 n3) -v
RP=$SVR_LAST_PID
svr_wait_for 10 "[ \"\$(q c1 \"SELECT state FROM connections WHERE router='r3' AND node='n3'\")\" = connected ]" \
  && svr_pass "show assets: r3.n3 connected" || svr_fail "r3.n3 never connected"
# conductor side: declare dead after 2 s without frames
kill -STOP $RP
"$COND" --dir c1 show assets --router r3 | grep -q 'n3 .* cnd1 .* connected' \
  || svr_fail "show assets row"
svr_wait_for 20 "[ \"\$(q c1 \"SELECT state FROM connections WHERE router='r3' AND node='n3'\")\" = disconnected ]" \
  && svr_wait_for 5 "\"$COND\" --dir c1 show alarms | grep -q 'No connectivity to r3.n3'" \
  && svr_pass "stopped router node detected: disconnected + No connectivity alarm" \
  || { svr_fail "dead router not detected"; tail -5 "$C1_LOG"; }
kill -CONT $RP
svr_wait_for 20 "[ \"\$(q c1 \"SELECT state FROM connections WHERE router='r3' AND node='n3'\")\" = connected ]" \
  && svr_wait_for 5 "! \"$COND\" --dir c1 show alarms | grep -q 'No connectivity to r3.n3'" \
  && svr_pass "router node reconnected, alarm cleared" || svr_fail "no reconnect after CONT"
# router side: a conductor node that stops answering is detected by the
# SSH keepalives (2 x 1 s) and the router reconnects when it answers again
RLOG=$SVR_LAST_LOG
# Counted before the stop: the router's retry is already waiting in the
# listen backlog when CONT comes, and its handshake can finish before a
# count taken after the CONT.
n0=$(grep -c 'connected to conductor node cnd1' "$RLOG")
kill -STOP $C1_PID
svr_wait_for 15 "grep -q 'no answer to 2 SSH keepalives' '$RLOG'" \
  && svr_pass "router detects a silent conductor node by keepalive" \
  || { svr_fail "router did not detect the stopped conductor"; tail -3 "$RLOG"; }
kill -CONT $C1_PID
svr_wait_for 20 "[ \$(grep -c 'connected to conductor node cnd1' '$RLOG') -gt $n0 ]" \
  && svr_pass "router reconnected to the conductor node (backoff)" \
  || { svr_fail "no reconnect to cnd1"; tail -3 "$RLOG"; }
kill $RP

# 6. one conductor node down: the other still gets alarms; catch-up later
kill -9 $C2_PID
svr_bg - "$ROUTER" run --router r2 --node n5 $(common r2 n5) --exit-when-acked \
  --raise "major:peer:Peer while-c2-down path is down"
RP=$SVR_LAST_PID
svr_wait_for 10 "\"$COND\" --dir c1 show alarms | grep -q 'while-c2-down'" \
  && svr_pass "conductor node 2 down: node 1 still stores alarms" \
  || svr_fail "node 1 did not get the alarm with node 2 down"
kill -0 $RP 2>/dev/null && svr_pass "router keeps the alarm for node 2 (still running)" \
  || svr_fail "router exited before node 2 acknowledged"
cond_start C2 cnd2 c2 $C2_PORT $KA
svr_wait_for 20 "! kill -0 $RP 2>/dev/null" && wait $RP 2>/dev/null; rc=$?
[ $rc = 0 ] && "$COND" --dir c2 show alarms | grep -q 'while-c2-down' \
  && svr_pass "node 2 back: router reconnected (backoff) and delivered" \
  || svr_fail "catch-up to node 2: rc=$rc"

# 7. entitlement: 11.94 Mbps forwarded, report period 5 s.  The simulated
# forwarding counts bytes by wall-clock ticks, so a 5-second sample can read
# a little high or low: the table must show the same 11.7..12.2 Mbps window
# as the stored value (11,997,174 bps shows as 12.00 Mbps).
svr_bg - "$ROUTER" run --router r1 --node n1 $(common r1 n1) --bandwidth-bps 11940000 \
  --entitlement-report-s 5
svr_wait_for 20 "\"$COND\" --dir c1 show entitlement --json | grep -q '\"peak_bps\"'" \
  && v=$(q c1 "SELECT peak_bps FROM entitlement WHERE router='r1'") \
  && [ "$v" -ge 11700000 ] && [ "$v" -le 12200000 ] \
  && "$COND" --dir c1 show entitlement | grep -qE '^r1 +\*[A-Z][a-z]{2} [0-9]{4} +(11\.[7-9][0-9]|12\.[0-2][0-9]) Mbps' \
  && svr_pass "show entitlement: r1 *current month ~11.94 Mbps ($v bps)" \
  || { svr_fail "entitlement: ${v:-none}"; "$COND" --dir c1 show entitlement; }

# 8. link check between conductor nodes: a peer that does not answer is
#    100 % loss (>= 0.01 %): alarm; a healthy peer on loopback: no alarm
cond_start C3 cnd3 c3 0 $KA --peer 127.0.0.1:$C2_PORT --link-check-interval 1
kill -9 $C2_PID
svr_wait_for 15 "\"$COND\" --dir c3 show alarms | grep -q 'Link to conductor node 127.0.0.1:$C2_PORT degraded'" \
  && svr_pass "link check: unreachable conductor peer raises the link alarm" \
  || { svr_fail "no link alarm"; "$COND" --dir c3 show alarms; }
cond_start C4 cnd4 c4 0 $KA --peer 127.0.0.1:$C1_PORT --link-check-interval 1
svr_wait_for 15 "[ \$(grep -c 'link check to 127.0.0.1:$C1_PORT: ok' '$C4_LOG') -ge 3 ]" \
  || svr_fail "link check probes did not run"
"$COND" --dir c4 show alarms | grep -q 'Link to conductor' \
  && svr_fail "link alarm for a healthy loopback peer" \
  || svr_pass "link check: healthy peer, no alarm"
# latency path: with a 1 microsecond limit any real link is "too slow"
cond_start C5 cnd5 c5 0 $KA --peer 127.0.0.1:$C1_PORT --link-check-interval 1 \
  --link-max-latency-ms 0.001
svr_wait_for 15 "\"$COND\" --dir c5 show alarms | grep -q 'Link to conductor node 127.0.0.1:$C1_PORT degraded (latency [0-9.]* ms, loss 0.00 %'" \
  && svr_pass "link check: latency above the limit raises the link alarm" \
  || { svr_fail "no latency alarm"; "$COND" --dir c5 show alarms; }

# 9. usage errors
"$COND" show bogus >/dev/null 2>&1; [ $? = 2 ] && svr_pass "usage error exits 2" || svr_fail "usage exit"
"$COND" --help | grep -q 'show alarms' && svr_pass "--help" || svr_fail "--help"
svr_finish
