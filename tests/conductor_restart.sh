#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A router that restarts must not have its alarms acknowledged and dropped
# (issue 14, data loss items 1 and 2).  Loopback, no root.
#  1. Without a journal (no --state-dir, the default) a router run starts
#     its alarm sequence at 1 again.  Run 1 raises A (seq 1) and B (seq 2)
#     and clears A (seq 3); run 2, same router name, node and key, raises C
#     with seq 1 again.  Both exit 0 (every event acknowledged).  The
#     database holds all 4 events exactly once, under two different non-zero
#     run epochs.  Before epochs, C was acknowledged and thrown away as a
#     duplicate of run 1's seq 1.
#     Run 1 has ended when run 2 says HELLO with another epoch: B, still
#     active from run 1, is cleared by the conductor (a clear event of run
#     1, its seq 4), so `show alarms --json` lists only C.  Before, B stayed
#     active for ever (no run would ever clear it), and a journal-less run
#     numbering its alarms from 1 again silently replaced the old run's
#     active alarm of the same number.
#  2. With a journal the epoch survives a restart, so replays still
#     deduplicate: the conductor commits D and dies before acknowledging it
#     (--fault-kill-at commit:1); the router gives up (--timeout), is
#     restarted from its journal, sends D again and exits 0 once it is
#     acknowledged: D is stored once, one epoch for the whole journal, and
#     the next alarm E continues at seq 2 under that epoch.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd sqlite3 python3
cd "$SVR_TMP"

qro() { sqlite3 -readonly c1/conductor.db "$1"; }
# stop_dead PID: SIGTERM unless it already exited, wait for it, and forget
# it so that the cleanup trap cannot signal a reused PID.
stop_dead() {
  local i
  kill -0 "$1" 2>/dev/null && kill -TERM "$1"
  svr_wait_for 20 "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
  for i in "${!SVR_PIDS[@]}"; do
    [ "${SVR_PIDS[$i]}" = "$1" ] && SVR_PIDS[$i]=
  done
  wait "$1" 2>/dev/null
}
"$ROUTER" keygen rr.key >/dev/null
"$COND" --dir c1 enroll rr rr.key.pub >/dev/null
cond_start C1 cnd1 c1 0
P=$C1_PORT
known_host c1 $P > kh
rrun() { "$ROUTER" run --router rr --key rr.key --known-hosts kh \
  --conductor 127.0.0.1:$P --backoff-base-ms 50 --backoff-cap-ms 200 "$@"; }

echo "== 1. no journal: two runs reuse seq 1"
A="Peer first-a path is down" B="Peer first-b is not reachable"
C="Peer second-c path MTU is unresolvable"
out1=$(rrun --node n1 --raise "major:peer:$A" --raise "critical:peer:$B" \
  --clear 1 --exit-when-acked --timeout 20 2>run1.err); rc1=$?
out2=$(rrun --node n1 --raise "minor:peer:$C" --exit-when-acked --timeout 20 \
  2>run2.err); rc2=$?
echo "$out1" | sed 's/^/run 1: /'; echo "$out2" | sed 's/^/run 2: /'
[ $rc1 = 0 ] && [ $rc2 = 0 ] && grep -q '^acked next_seq=4$' <<<"$out1" &&
  grep -q '^acked next_seq=2$' <<<"$out2" &&
  svr_pass "run 1 (seq 1-3) and run 2 (seq 1) exit 0: every event acknowledged" ||
  { svr_fail "runs exit $rc1 $rc2"; cat run1.err run2.err; }

ev() { qro "SELECT count(*) FROM alarm_events WHERE router='rr' AND node='n1' AND $1"; }
n=$(ev 1)
na=$(ev "seq=1 AND op=1 AND message='$A'")
nb=$(ev "seq=2 AND op=1 AND message='$B'")
nc=$(ev "seq=3 AND op=2 AND message='$A'")
nC=$(ev "seq=1 AND op=1 AND message='$C'")
nBc=$(ev "seq=4 AND op=2 AND message='$B'")
echo "database: $n events; raise A $na, raise B $nb, clear A $nc, raise C $nC, clear B (conductor, run 1 ended) $nBc"
[ "$n" = 5 ] && [ "$na$nb$nc$nC$nBc" = 11111 ] &&
  svr_pass "database: run 1's raise A, raise B, clear A, run 2's raise C and the conductor's clear of B (run 1 ended), each exactly once" ||
  svr_fail "database: $n events (want 5), A/B/clear A/C/clear B = $na $nb $nc $nC $nBc (want 1 1 1 1 1)"
e1=$(qro "SELECT group_concat(DISTINCT epoch) FROM alarm_events WHERE router='rr' AND node='n1' AND message IN ('$A','$B')")
e2=$(qro "SELECT epoch FROM alarm_events WHERE router='rr' AND node='n1' AND message='$C'")
echo "epochs: run 1 ${e1:-?}, run 2 ${e2:-?}"
[[ "$e1" =~ ^-?[0-9]+$ ]] && [[ "$e2" =~ ^-?[0-9]+$ ]] && [ "$e1" != 0 ] &&
  [ "$e2" != 0 ] && [ "$e1" != "$e2" ] &&
  svr_pass "each run stored under its own non-zero epoch" ||
  svr_fail "epochs: run 1 '${e1:-}', run 2 '${e2:-}' (want one non-zero epoch each, different)"

"$COND" --dir c1 show alarms --router rr --json > alarms.json
chk=$(python3 - "$A" "$B" "$C" <<'EOF'
import json, sys
a, b, c = sys.argv[1:4]
al = json.load(open("alarms.json"))
msgs = [x["message"] for x in al]
ids = {x["message"]: x["id"] for x in al}
ok = (len(al) == 1 and msgs.count(c) == 1 and a not in msgs
      and b not in msgs and ids.get(c) == "n1.rr:1")
print(("ok " if ok else "bad ") + json.dumps([[x["id"], x["message"]] for x in al]))
EOF
)
[ "${chk%% *}" = ok ] &&
  svr_pass "show alarms --json: only run 2's C; A cleared by run 1, B by the conductor when run 2 began: ${chk#* }" ||
  svr_fail "show alarms --json: ${chk#* }"
"$COND" --dir c1 show alarms --router rr | grep -q "^n1.rr:1 .* minor .* $C" &&
  svr_pass "show alarms (table) lists run 2's alarm" ||
  { svr_fail "show alarms (table)"; "$COND" --dir c1 show alarms --router rr; }

echo "== 2. journal: the epoch survives a restart, replays deduplicate"
D="Peer journaled-d path is down" E="Peer journaled-e path is down"
stop_dead $C1_PID
cond_start C1 cnd1 c1 $P --fault-kill-at commit:1
rrun --node n2 --state-dir st --raise "major:peer:$D" --timeout 3 \
  >run3.out 2>run3.err; rc3=$?
stop_dead $C1_PID; rcc=$?
nd=$(qro "SELECT count(*) FROM alarm_events WHERE node='n2'")
[ $rc3 = 3 ] && [ $rcc = 137 ] && [ "$nd" = 1 ] && grep -q 'fault-kill-at commit:1: SIGKILL' "$C1_LOG" &&
  svr_pass "D committed, the conductor died before the ack, the router gave up with D pending (exit 3)" ||
  { svr_fail "setup: router exit $rc3 (want 3), conductor exit $rcc (want 137), D stored $nd times (want 1)"; tail -3 "$C1_LOG"; cat run3.err; }
cond_start C1 cnd1 c1 $P
out4=$(rrun --node n2 --state-dir st --raise "major:peer:$E" --exit-when-acked \
  --timeout 20 -v 2>run4.err); rc4=$?
grep -E 'journal|outbox' run4.err
jd=$(qro "SELECT count(*) FROM alarm_events WHERE node='n2' AND seq=1 AND message='$D'")
je=$(qro "SELECT count(*) FROM alarm_events WHERE node='n2' AND seq=2 AND message='$E'")
ne=$(qro "SELECT count(DISTINCT epoch) FROM alarm_events WHERE node='n2'")
ep=$(qro "SELECT min(epoch) FROM alarm_events WHERE node='n2'")
echo "journaled router: D $jd, E $je, epochs $ne (${ep:-?})"
[ $rc4 = 0 ] && grep -q '^acked next_seq=3$' <<<"$out4" &&
  grep -q 'pending 1;' run4.err && [ "$jd" = 1 ] && [ "$je" = 1 ] &&
  [ "$ne" = 1 ] && [ "$ep" != 0 ] &&
  svr_pass "restarted from its journal: D resent and stored once, E at seq 2, one non-zero epoch" ||
  svr_fail "journal restart: exit $rc4, D $jd E $je (want 1 1), $ne epochs (want 1, non-zero: ${ep:-?})"
svr_finish
