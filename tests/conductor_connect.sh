#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Connection set-up time (label sim, loopback, no root): 30 router runs in a
# row, each connecting, sending HELLO and one alarm and exiting once it is
# acknowledged, each within 700 ms (about 0.08 s on an idle machine).
# Before the fix 1 in 5-7 took 1.06 s: the router's second libssh run of a
# readiness event could finish the SSH handshake, and HELLO was only sent
# from the 1 s safety tick (the conductor, waiting for HELLO, sent nothing
# that would have woken the router earlier).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
cd "$SVR_TMP"

cond_start C1 cnd1 c1
known_host c1 $C1_PORT > kh
"$ROUTER" keygen r1.key >/dev/null
"$COND" --dir c1 enroll r1 r1.key.pub >/dev/null
times=() slow=0 failed=0
for i in $(seq 1 30); do
  t0=$(date +%s%N)
  "$ROUTER" run --router r1 --node n$i --key r1.key --known-hosts kh \
    --conductor 127.0.0.1:$C1_PORT --raise "major:peer:connect test $i" \
    --exit-when-acked --timeout 10 >/dev/null 2>>routers.log || failed=$((failed + 1))
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  times+=("$ms")
  [ "$ms" -lt 700 ] || slow=$((slow + 1))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "connect + HELLO + alarm + ack, ms: median $(sed -n 15p <<<"$sorted"), max $(tail -1 <<<"$sorted"); all: ${times[*]}"
[ "$failed" = 0 ] && svr_pass "30 router runs acknowledged" || { svr_fail "$failed runs failed"; tail -5 routers.log; }
[ "$slow" = 0 ] && svr_pass "every run within 700 ms" || svr_fail "$slow of 30 runs took 700 ms or more"
n=$(q c1 "SELECT count(*) FROM alarm_events WHERE router='r1'")
[ "$n" = 30 ] && svr_pass "30 alarms stored" || svr_fail "stored $n alarms, want 30"
svr_finish
