#!/bin/bash
# Crash tests (loopback):
#  A. kill -9 the conductor during a flood of 10,000 alarms from 4 routers,
#     restart it: every alarm is stored exactly once.
#  B. kill -9 a router mid-flood and restart it: every alarm it journaled
#     reaches the conductor, none twice.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd sqlite3
cd "$SVR_TMP"

cond_start C1 cnd1 c1
P=$C1_PORT
known_host c1 $P > kh
for r in r1 r2 r3 r4 r5; do
  "$ROUTER" keygen $r.key >/dev/null
  "$COND" --dir c1 enroll $r $r.key.pub >/dev/null
done
rargs() { echo --router $1 --node n1 --key $1.key --known-hosts kh \
  --conductor 127.0.0.1:$P --state-dir st-$1 --backoff-base-ms 50 \
  --backoff-cap-ms 400 --timeout 150; }
count() { q c1 "SELECT count(*) FROM alarm_events WHERE router $1" 2>/dev/null || echo 0; }

# ---- A: conductor killed mid-flood
PIDS=()
for r in r1 r2 r3 r4; do
  svr_bg - "$ROUTER" run $(rargs $r) --flood 2500 --exit-when-acked
  PIDS+=($SVR_LAST_PID)
done
svr_wait_for 60 "[ \$(count \"IN ('r1','r2','r3','r4')\") -ge 1500 ]" \
  || svr_fail "flood never reached the conductor"
kill -9 $C1_PID
at_kill=$(count "IN ('r1','r2','r3','r4')")
echo "conductor killed with $at_kill of 10000 alarms committed"
[ "$at_kill" -lt 10000 ] && svr_pass "conductor killed mid-flood ($at_kill/10000 committed)" \
  || svr_fail "flood finished before the kill ($at_kill)"
cond_start C1 cnd1 c1 $P
ok=1
for p in "${PIDS[@]}"; do
  wait $p || ok=0
done
[ $ok = 1 ] && svr_pass "all 4 routers got every ack after the restart" \
  || svr_fail "a router did not finish"
tot=$(count "IN ('r1','r2','r3','r4')")
dist=$(q c1 "SELECT count(*) FROM (SELECT DISTINCT router,node,alarm_num FROM alarm_events WHERE router IN ('r1','r2','r3','r4'))")
active=$(q c1 "SELECT count(*) FROM alarms WHERE router IN ('r1','r2','r3','r4')")
bad=$(q c1 "SELECT count(*) FROM (SELECT router,count(*) c,min(seq) mn,max(seq) mx FROM alarm_events WHERE router IN ('r1','r2','r3','r4') GROUP BY router) WHERE c!=2500 OR mn!=1 OR mx!=2500")
echo "stored=$tot distinct=$dist active=$active routers_off=$bad"
[ "$tot" = 10000 ] && [ "$dist" = 10000 ] && [ "$active" = 10000 ] && [ "$bad" = 0 ] \
  && svr_pass "every one of 10,000 alarms stored exactly once (seq 1..2500 per router)" \
  || svr_fail "stored=$tot distinct=$dist active=$active routers_off=$bad"
grep -q 'journal .* replayed' "$SVR_TMP"/*.log 2>/dev/null || true

# ---- B: router killed mid-flood
svr_bg - "$ROUTER" run $(rargs r5) --flood 10000
RP=$SVR_LAST_PID
svr_wait_for 60 "[ \$(count \"='r5'\") -ge 1000 ]" || svr_fail "r5 flood never arrived"
kill -9 $RP
at_kill=$(count "='r5'")
echo "router killed with $at_kill alarms committed"
svr_bg - "$ROUTER" run $(rargs r5) --exit-when-acked -v
RP=$SVR_LAST_PID
RLOG=$SVR_LAST_LOG
wait $RP; rc=$?
next=$(sed -n 's/^acked next_seq=\([0-9]*\)/\1/p' "$RLOG")
journaled=$(( ${next:-1} - 1 ))
tot=$(count "='r5'")
mx=$(q c1 "SELECT max(seq) FROM alarm_events WHERE router='r5'")
grep 'journal' "$RLOG"
echo "r5: journaled=$journaled stored=$tot max_seq=$mx (at kill: $at_kill)"
[ $rc = 0 ] && [ "$journaled" -ge "$at_kill" ] && [ "$tot" = "$journaled" ] \
  && [ "$mx" = "$journaled" ] \
  && svr_pass "router kill -9: all $journaled journaled alarms stored once" \
  || svr_fail "router restart: rc=$rc journaled=$journaled stored=$tot max=$mx"
[ "$journaled" -gt "$at_kill" ] && svr_pass "restart delivered $((journaled - at_kill)) alarms from the outbox" \
  || echo "note: nothing was pending at the kill"
svr_finish
