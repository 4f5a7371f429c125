#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A peer that stops answering SSH keepalives is declared dead (docs/
# libconductor.md 1.2), both ways, keepalive interval 2 s x 2 attempts:
# A. the conductor frozen with SIGSTOP: the router's keepalive@openssh.com
#    requests go unanswered; it declares the conductor dead 3 intervals
#    after the last packet (2 keepalives, 2 s each, unanswered), within
#    [4, 7.5] s of the freeze, raises "No connectivity to conductor.cnd1"
#    locally, and after SIGCONT reconnects and clears it.
# B. the router frozen: the conductor declares it dead the same way (its
#    1 s tick adds up to 1 s), marks it disconnected and raises "No
#    connectivity to r1.n1"; after SIGCONT the router reconnects and the
#    alarm is cleared.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd sqlite3 python3
cd "$SVR_TMP"
I=2 M=2
KA="--keepalive-interval $I --keepalive-max $M"
cond_start C1 cnd1 c1 0 $KA
known_host c1 $C1_PORT > kh
"$ROUTER" keygen r1.key >/dev/null
"$COND" --dir c1 enroll r1 r1.key.pub >/dev/null
svr_bg - "$ROUTER" run --router r1 --node n1 --key r1.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --backoff-base-ms 200 --backoff-cap-ms 1000 $KA -v
R_PID=$SVR_LAST_PID R_LOG=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'connected to conductor node cnd1' '$R_LOG'" \
  || { svr_fail "router did not connect: $(tail -3 "$R_LOG")"; svr_finish; }
# in ms, between two date +%s%N readings
ms() { echo $(( ($2 - $1) / 1000000 )); }
# within A B X: A <= X <= B (decimal seconds)
within() { python3 -c "import sys; sys.exit(0 if $1 <= $3 <= $2 else 1)"; }
conn_state() { q c1 "SELECT state FROM connections WHERE router='r1' AND node='n1'"; }
alarm_n() { q c1 "SELECT count(*) FROM alarms WHERE message='No connectivity to r1.n1'"; }

# ---- A. frozen conductor -------------------------------------------------
# let the link idle a little so that the router runs on keepalives alone
svr_wait_for 3 "false"
kill -STOP $C1_PID; t0=$(date +%s%N)
svr_wait_for 15 "grep -q 'conductor declared dead' '$R_LOG'"; t1=$(date +%s%N)
line=$(grep 'conductor declared dead' "$R_LOG" | head -1)
silent=$(sed -n 's/.*silent for \([0-9.]*\) s.*/\1/p' <<<"$line")
wall=$(ms $t0 $t1)
if [ -n "$silent" ] && within $((I * (M + 1))) $((I * (M + 1) + 1)) "$silent" \
   && within $((I * M * 1000)) $((I * (M + 1) * 1000 + 1500)) "$wall"; then
  svr_pass "frozen conductor declared dead by the router ${wall} ms after SIGSTOP, ${silent} s after its last packet (bounds [$((I*M)), $((I*(M+1)+1)).5] s and [$((I*(M+1))), $((I*(M+1)+1))] s)"
else
  svr_fail "frozen conductor: '$line' (${wall} ms after SIGSTOP)"
fi
grep -q 'alarm raised (system/major): No connectivity to conductor.cnd1' "$R_LOG" \
  && svr_pass "router raised: $(grep -o 'alarm raised.*No connectivity to conductor.cnd1' "$R_LOG" | head -1)" \
  || svr_fail "no 'No connectivity' alarm in the router log"
kill -CONT $C1_PID
svr_wait_for 15 "[ \$(grep -c 'connected to conductor node cnd1' '$R_LOG') -ge 2 ]" \
  && grep -q 'alarm cleared (system/major): No connectivity to conductor.cnd1' "$R_LOG" \
  && svr_pass "after SIGCONT the router reconnected and cleared the alarm" \
  || svr_fail "no reconnect after SIGCONT: $(tail -3 "$R_LOG")"
svr_wait_for 10 "[ \"\$(conn_state)\" = connected ]" || svr_fail "conductor: state $(conn_state)"

# ---- B. frozen router ----------------------------------------------------
svr_wait_for 3 "false"
before=$(grep -c 'connected to conductor node cnd1' "$R_LOG")
kill -STOP $R_PID; t0=$(date +%s%N)
svr_wait_for 15 "grep -q 'router r1 node n1: no answer to $M SSH keepalives' '$C1_LOG'"; t1=$(date +%s%N)
line=$(grep "router r1 node n1: no answer to $M SSH keepalives" "$C1_LOG" | head -1)
silent=$(sed -n 's/.*silent for \([0-9.]*\) s.*/\1/p' <<<"$line")
wall=$(ms $t0 $t1)
if [ -n "$silent" ] && within $((I * (M + 1))) $((I * (M + 1) + 1)) "$silent" \
   && within $((I * M * 1000)) $((I * (M + 1) * 1000 + 2500)) "$wall"; then
  svr_pass "frozen router declared dead by the conductor ${wall} ms after SIGSTOP, ${silent} s after its last packet"
else
  svr_fail "frozen router: '$line' (${wall} ms after SIGSTOP)"
fi
svr_wait_for 5 "[ \"\$(conn_state)\" = disconnected ] && [ \"\$(alarm_n)\" = 1 ]" \
  && svr_pass "conductor: r1/n1 disconnected, 'No connectivity to r1.n1' active" \
  || svr_fail "conductor: state $(conn_state), alarms $(alarm_n)"
kill -CONT $R_PID
svr_wait_for 15 "[ \$(grep -c 'connected to conductor node cnd1' '$R_LOG') -gt $before ] && [ \"\$(conn_state)\" = connected ] && [ \"\$(alarm_n)\" = 0 ]" \
  && svr_pass "after SIGCONT the router reconnected; state connected, alarm cleared" \
  || svr_fail "after SIGCONT: state $(conn_state), alarms $(alarm_n), $(tail -2 "$R_LOG")"
svr_finish
