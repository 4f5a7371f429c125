#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Crash tests (loopback).  No kill -9 is raced against a timer: each crash
# is a process killing itself with SIGKILL at a point the test chose
# (--fault-kill-at, a testing aid of both programs), so every run crashes
# exactly where it says it does.
#  A. 4 routers flood 10,000 alarms.  The conductor dies at 20 random points
#     of the stored count, alternately inside a batch transaction (insert:K,
#     before COMMIT) and right after a COMMIT (commit:K, before the acks),
#     and is restarted each time on the same port and database.  Every
#     alarm is stored exactly once.
#  B. A router dies right after journaling its K-th alarm (random K) and is
#     restarted: every journaled alarm is stored once, and the restart
#     delivered the alarms that were pending (journaled, unacknowledged).
# Every conductor start logs its durability settings as read back from its
# own connection: journal_mode=wal synchronous=3 (EXTRA).
# The points come from a seed printed at the start;
# CONDUCTOR_CRASH_SEED=N reproduces them.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd sqlite3
cd "$SVR_TMP"

SEED=${CONDUCTOR_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
echo "seed=$SEED (CONDUCTOR_CRASH_SEED=$SEED reproduces the kill points)"
T0=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - T0) / 1000000 )) ms"; }

# rnd N: R = a number in 1..N from the seeded generator (30 bits).  Not
# in a $(...): bash reseeds RANDOM in every subshell.
rnd() { R=$(( (RANDOM * 32768 + RANDOM) % $1 + 1 )); }
# Read-only, so that the restarted daemon itself recovers the WAL the
# crash left (a read-write sqlite3 would checkpoint it on close).
qro() { sqlite3 -readonly c1/conductor.db "$1"; }
stored() { qro "SELECT count(*) FROM alarm_events WHERE router $1"; }
# The conductor logs this line at start, read back from its own connection.
STORE_LINE='store: journal_mode=wal synchronous=3'
check_store_line() {
  grep -q "$STORE_LINE" "$1" || { svr_fail "no '$STORE_LINE' in $1:"; cat "$1"; }
}
# wait_dead PID: waits (at most 60 s, then SIGTERM) for PID to exit; its
# exit status in $?.  The cleanup trap forgets the PID (its slot stays, so
# svr_bg keeps numbering the logs uniquely).
wait_dead() {
  local i
  svr_wait_for 60 "! kill -0 $1 2>/dev/null" || kill -TERM "$1" 2>/dev/null
  for i in "${!SVR_PIDS[@]}"; do
    [ "${SVR_PIDS[$i]}" = "$1" ] && SVR_PIDS[$i]=
  done
  wait "$1"
}

# ---- the option is validated: exit 2 naming it
for bad in insert:0 commit:-1 "commit: 5" commit:x insert: kill:5 insert:1000000001; do
  "$COND" --dir c1 run --fault-kill-at "$bad" 2>err; rc=$?
  [ $rc = 2 ] && grep -q -- '--fault-kill-at' err \
    || svr_fail "svr-conductor --fault-kill-at $bad: rc=$rc $(cat err)"
done
"$ROUTER" run --fault-kill-at journal:0 2>err; rc=$?
[ $rc = 2 ] && grep -q -- '--fault-kill-at' err \
  || svr_fail "svr-conductor-router --fault-kill-at journal:0: rc=$rc"
[ "$SVR_FAILED" = 0 ] && svr_pass "bad --fault-kill-at arguments exit 2 naming the option"

# ---- A: the conductor killed at 20 chosen points of the stored count
R4="IN ('r1','r2','r3','r4')"
NPTS=20
declare -A seen=()
PTS=()
while [ ${#PTS[@]} -lt $NPTS ]; do
  rnd 9999
  [ -n "${seen[$R]:-}" ] && continue
  seen[$R]=1
  PTS+=("$R")
done
mapfile -t PTS < <(printf '%s\n' "${PTS[@]}" | sort -n)
echo "kill points (stored count): ${PTS[*]}"

for r in r1 r2 r3 r4 r5; do
  "$ROUTER" keygen $r.key >/dev/null
  "$COND" --dir c1 enroll $r $r.key.pub >/dev/null
done
# The first conductor is armed for the first point (insert) from its start.
cond_start C1 cnd1 c1 0 --fault-kill-at insert:${PTS[0]}
P=$C1_PORT
known_host c1 $P > kh
rargs() { echo --router $1 --node n1 --key $1.key --known-hosts kh \
  --conductor 127.0.0.1:$P --state-dir st-$1 --backoff-base-ms 20 \
  --backoff-cap-ms 200 --timeout 100; }
ROUTER_PIDS=()
for r in r1 r2 r3 r4; do
  svr_bg - "$ROUTER" run $(rargs $r) --flood 2500 --exit-when-acked
  ROUTER_PIDS+=($SVR_LAST_PID)
done
kills=0 skipped=0 moved=0 bad=0 s0=0
for i in "${!PTS[@]}"; do
  pt=${PTS[$i]}
  kind=$([ $((i % 2)) = 0 ] && echo insert || echo commit)
  if [ $i -gt 0 ]; then
    s0=$(stored "$R4")
    if [ "$s0" -ge 10000 ]; then
      echo "point $((i + 1)) $kind@$pt: skipped, all 10000 already stored"
      skipped=$((skipped + 1))
      continue
    fi
  fi
  # A commit fault stores a whole batch, which may pass the next point:
  # then this one moves to the next alarm still to be stored.
  eff=$(( pt > s0 ? pt : s0 + 1 ))
  k=$(( eff - s0 ))
  [ $eff != $pt ] && moved=$((moved + 1))
  [ $i -gt 0 ] && cond_start C1 cnd1 c1 $P --fault-kill-at $kind:$k
  check_store_line "$C1_LOG"
  wait_dead $C1_PID; rc=$?
  s1=$(stored "$R4")
  n=$(sed -n 's/.*fault-kill-at .*committed=\([0-9]*\).*/\1/p' "$C1_LOG")
  ok=1
  [ $rc = 137 ] || ok=0
  # What is in the database after the crash is exactly what this process
  # had committed: nothing of the killed transaction, all of the batch
  # whose COMMIT returned.
  [ -n "$n" ] && [ "$s1" = $((s0 + n)) ] || ok=0
  if [ $kind = insert ]; then
    [ "$s1" -ge "$s0" ] && [ "$s1" -lt "$eff" ] || ok=0
  else
    [ "$s1" -ge "$eff" ] || ok=0
  fi
  echo "point $((i + 1)) $kind@$pt$([ $eff != $pt ] && echo " (moved to $eff)"):" \
    "stored $s0 -> $s1, --fault-kill-at $kind:$k, exit $rc," \
    "committed by it ${n:-?} ($(elapsed))"
  if [ $ok = 1 ]; then
    kills=$((kills + 1))
  else
    bad=$((bad + 1))
    svr_fail "point $((i + 1)) $kind@$eff: exit $rc (137 = its own SIGKILL), stored $s0 -> $s1, committed ${n:-?}"
    tail -n 5 "$C1_LOG"
  fi
done
[ $bad = 0 ] && [ $((kills + skipped)) = $NPTS ] && [ $kills -ge 1 ] \
  && svr_pass "$kills conductor crashes by its own SIGKILL at the chosen points ($moved moved past a committed batch, $skipped skipped: everything stored), each leaving exactly what it had committed" \
  || svr_fail "$kills crashes as planned, $bad not, $skipped skipped"

cond_start C1 cnd1 c1 $P
check_store_line "$C1_LOG"
ok=1
for p in "${ROUTER_PIDS[@]}"; do
  wait_dead $p || ok=0
done
[ $ok = 1 ] && svr_pass "all 4 routers got every ack after the last restart ($(elapsed))" \
  || svr_fail "a router did not finish"
tot=$(stored "$R4")
dist=$(qro "SELECT count(*) FROM (SELECT DISTINCT router,node,seq FROM alarm_events WHERE router $R4)")
active=$(qro "SELECT count(*) FROM alarms WHERE router $R4")
# Per router: 2500 rows, seq 1..2500, 2500 distinct messages 'Peer flood-<k>
# path is down' with k 1..2500, and k = seq (the flood raises in order).
K="CAST(substr(message,12,length(message)-24) AS INTEGER)"
off=$(qro "SELECT count(*) FROM (SELECT router,count(*) c,min(seq) mn,
  max(seq) mx,count(DISTINCT message) dm,min($K) kmin,max($K) kmax,
  sum(message NOT LIKE 'Peer flood-% path is down' OR $K != seq) wrong
  FROM alarm_events WHERE router $R4 GROUP BY router)
  WHERE c!=2500 OR mn!=1 OR mx!=2500 OR dm!=2500 OR kmin!=1 OR kmax!=2500
  OR wrong!=0")
nr=$(qro "SELECT count(DISTINCT router) FROM alarm_events WHERE router $R4")
echo "stored=$tot distinct=$dist active=$active routers=$nr routers_off=$off"
[ "$tot" = 10000 ] && [ "$dist" = 10000 ] && [ "$active" = 10000 ] \
  && [ "$nr" = 4 ] && [ "$off" = 0 ] \
  && svr_pass "every one of 10,000 alarms stored exactly once (per router seq 1..2500, messages flood-1..2500 once each)" \
  || svr_fail "stored=$tot distinct=$dist active=$active routers=$nr routers_off=$off"

# ---- B: a router killed right after journaling its K-th alarm
# First 500 alarms, all acknowledged (so the journal holds acks too), then
# a second run floods 2000 more and dies right after journaling its K-th.
svr_bg - "$ROUTER" run $(rargs r5) --flood 500 --exit-when-acked
wait_dead $SVR_LAST_PID || svr_fail "r5: first 500 alarms not acknowledged"
rnd 2000; KR=$R
JR=$((500 + KR))
echo "r5: --flood 2000 --fault-kill-at journal:$KR (seq $JR)"
svr_bg - "$ROUTER" run $(rargs r5) --flood 2000 --fault-kill-at journal:$KR
RP=$SVR_LAST_PID
RLOG=$SVR_LAST_LOG
wait_dead $RP; rc=$?
grep 'fault-kill-at' "$RLOG"
kseq=$(sed -n 's/.*fault-kill-at journal:.* seq \([0-9]*\) journaled.*/\1/p' "$RLOG")
kpend=$(sed -n 's/.*fault-kill-at journal:.*(pending=\([0-9]*\)).*/\1/p' "$RLOG")
at_kill=$(stored "='r5'")
[ $rc = 137 ] && [ "$kseq" = "$JR" ] && [ "${kpend:-0}" -ge 1 ] \
  && svr_pass "r5 died by its own SIGKILL with seq $JR journaled, $kpend unacknowledged" \
  || svr_fail "r5 fault: exit $rc, seq ${kseq:-?} (want $JR), pending ${kpend:-?}"
svr_bg - "$ROUTER" run $(rargs r5) --exit-when-acked -v
RP=$SVR_LAST_PID
RLOG=$SVR_LAST_LOG
wait_dead $RP; rc=$?
grep -E 'journal|outbox' "$RLOG"
next=$(sed -n 's/^acked next_seq=\([0-9]*\)/\1/p' "$RLOG")
journaled=$(( ${next:-1} - 1 ))
replayed=$(sed -n 's/.*replayed; pending \([0-9]*\);.*/\1/p' "$RLOG" | head -1)
racks=$(sed -n 's/.*alarms, \([0-9]*\) acks replayed.*/\1/p' "$RLOG" | head -1)
outbox=$(sed -n 's/.*connected to conductor node .*; outbox \([0-9]*\)$/\1/p' "$RLOG" | head -1)
tot=$(stored "='r5'")
rows=$(qro "SELECT count(*) FROM (SELECT DISTINCT seq FROM alarm_events WHERE router='r5')")
mx=$(qro "SELECT max(seq) FROM alarm_events WHERE router='r5'")
# Each run's flood counts from flood-1: the second one's k is seq - 500.
msgs=$(qro "SELECT count(*) FROM alarm_events WHERE router='r5' AND
  message='Peer flood-'||(CASE WHEN seq<=500 THEN seq ELSE seq-500 END)||' path is down'")
echo "r5: journaled=$journaled stored=$tot distinct_seq=$rows max_seq=$mx messages=$msgs" \
  "(stored when the restart began: $at_kill; acks replayed: ${racks:-?};" \
  "pending at replay: ${replayed:-?}; outbox at connect: ${outbox:-?})"
[ $rc = 0 ] && [ "$journaled" = "$JR" ] && [ "$tot" = "$journaled" ] \
  && [ "$rows" = "$journaled" ] && [ "$mx" = "$journaled" ] \
  && [ "$msgs" = "$journaled" ] \
  && svr_pass "router crash: all $journaled journaled alarms stored exactly once" \
  || svr_fail "router restart: rc=$rc journaled=$journaled (want $JR) stored=$tot distinct=$rows max=$mx messages=$msgs"
# The restarted router replayed >= 1 unacknowledged alarm, had it in its
# outbox when the conductor answered HELLO, and exited 0 only once every
# one was acknowledged (after the conductor's COMMIT).
[ $rc = 0 ] && [ "${replayed:-0}" -ge 1 ] && [ "${outbox:-0}" -ge 1 ] \
  && [ "${racks:-0}" -ge 500 ] \
  && svr_pass "the restart delivered the $replayed alarms pending at the kill (in the outbox at connect: $outbox)" \
  || svr_fail "nothing pending was delivered: rc=$rc replayed=${replayed:-?} outbox=${outbox:-?} acks=${racks:-?}"
echo "total $(elapsed)"
svr_finish
