#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-conductor unenroll (label sim, loopback, no root): revoking a router's
# key while it is connected.
#  1. r1 and r2 enrolled and connected (show assets: connected).
#  2. `unenroll r1`: the running conductor node closes r1's connection
#     within 3 s and logs why, and leaves a connection still in its SSH
#     handshake alone; r1's reconnects are refused ("refused the router
#     key"); `show routers` lists only r2; r2 stays connected and its
#     alarms are still stored.
#  3. `unenroll r1` again and `unenroll nobody`: exit 1 (not found), "no key
#     is enrolled"; usage error exit 2.
#  4. Enrolling r1 again lets it back in.
#  5. Enrolling r1's key for r2: refused, exit 1, naming r1 and --force;
#     with --force it moves, and r1's live session is closed at once (its
#     reconnect then authenticates as r2 and its HELLO as r1 is refused).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
cd "$SVR_TMP"

cond_start C1 cnd1 c1 0 --keepalive-interval 1 --keepalive-max 3
echo "$(known_host c1 $C1_PORT)" > kh
for r in r1 r2; do
  "$ROUTER" keygen $r.key >/dev/null
  "$COND" --dir c1 enroll $r $r.key.pub >/dev/null
done
for r in r1 r2; do
  svr_bg - "$ROUTER" run --router $r --node n1 --key $r.key --known-hosts kh \
    --conductor 127.0.0.1:$C1_PORT --keepalive-interval 1 \
    --backoff-base-ms 200 --backoff-cap-ms 400 -v
  eval "LOG_$r=$SVR_LAST_LOG"
done
state() { "$COND" --dir c1 show assets --router "$1" --json 2>/dev/null |
  sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' | head -1; }
if svr_wait_for 10 '[ "$(state r1)" = connected ] && [ "$(state r2)" = connected ]'; then
  svr_pass "r1 and r2 connected"
else
  svr_fail "not connected: r1 $(state r1), r2 $(state r2)"; cat "$C1_LOG"
fi

echo "== 2. unenroll r1 while connected"
# A connection still in its SSH handshake (no key offered yet) when the
# enrolment changes is not anybody's: it must not be closed as "no longer
# enrolled" (it was, as router "", at every enroll, unenroll or shelve).
exec 3<>/dev/tcp/127.0.0.1/$C1_PORT
IFS= read -r -t 5 -u 3 banner
[[ "$banner" == SSH-2.0-* ]] || svr_fail "no SSH banner on a raw connection: '$banner'"
t0=$(date +%s%N)
out=$("$COND" --dir c1 unenroll r1); rc=$?
[ "$rc" = 0 ] && grep -q '^unenrolled router r1: 1 key revoked' <<<"$out" &&
  svr_pass "unenroll r1: exit 0 ($out)" || svr_fail "unenroll r1: exit $rc: $out"
if svr_wait_for 5 "grep -q 'router r1 node n1: no longer enrolled, closing' '$C1_LOG'"; then
  svr_pass "conductor closed r1's connection $(( ($(date +%s%N) - t0) / 1000000 )) ms after unenroll"
else
  svr_fail "r1's connection not closed"; tail -5 "$C1_LOG"
fi
grep -q 'router  node -: no longer enrolled' "$C1_LOG" &&
  svr_fail "a connection still in its handshake was closed as not enrolled" ||
  svr_pass "a connection still in its handshake is left alone by the enrolment check"
exec 3<&-
svr_wait_for 10 "grep -q 'refused the router key' '$LOG_r1'" &&
  svr_pass "r1's reconnect refused: '$(grep -o 'conductor [^ ]* refused the router key' "$LOG_r1" | head -1)'" ||
  { tail -5 "$LOG_r1"; svr_fail "r1 was not refused"; }
[ "$("$COND" --dir c1 show routers --json | grep -c '"router"')" = 1 ] &&
  "$COND" --dir c1 show routers --json | grep -q '"router": "r2"' &&
  svr_pass "show routers: only r2 left" || svr_fail "show routers: $("$COND" --dir c1 show routers)"
[ "$(state r2)" = connected ] && svr_pass "r2 still connected" || svr_fail "r2: $(state r2)"
"$ROUTER" run --router r2 --node n2 --key r2.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --raise "major:peer:Peer x path is down" \
  --exit-when-acked --timeout 10 >/dev/null 2>r2n2.log &&
  [ "$("$COND" --dir c1 show alarms --router r2 --json | json_count)" = 1 ] &&
  svr_pass "r2's alarm still stored and acknowledged" || { cat r2n2.log; svr_fail "r2 alarm"; }

echo "== 3. errors"
"$COND" --dir c1 unenroll r1 >/dev/null 2>err1; rc1=$?
"$COND" --dir c1 unenroll nobody >/dev/null 2>err2; rc2=$?
"$COND" --dir c1 unenroll >/dev/null 2>&1; rc3=$?
[ "$rc1$rc2$rc3" = 112 ] && grep -q 'no key is enrolled for router r1' err1 &&
  grep -q 'no key is enrolled for router nobody' err2 &&
  svr_pass "unenroll of nothing: exit 1 (not found) naming the router; no ROUTER: exit 2" ||
  svr_fail "exits $rc1 $rc2 $rc3: $(cat err1 err2)"

echo "== 4. enrolled again"
"$COND" --dir c1 enroll r1 r1.key.pub >/dev/null
svr_wait_for 10 '[ "$(state r1)" = connected ]' &&
  svr_pass "r1 enrolled again: reconnected" || svr_fail "r1 after re-enrolment: $(state r1)"
echo "== 5. a key already enrolled for another router"
# (was: silently moved to the new router, live sessions kept the old name)
fp1=$(ssh-keygen -lf r1.key.pub | awk '{print $2}')
out=$("$COND" --dir c1 enroll r2 r1.key.pub 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q "key $fp1 is already enrolled for router r1" <<<"$out" &&
  grep -q -- '--force' <<<"$out" &&
  [ "$(q c1 "SELECT name FROM routers WHERE fingerprint='$fp1'")" = r1 ] &&
  svr_pass "enroll r2 with r1's key: exit 1, '$out', r1 keeps it" ||
  svr_fail "enroll of r1's key for r2: exit $rc: $out"
out=$("$COND" --dir c1 enroll r1 r1.key.pub 2>&1); rc=$?
[ "$rc" = 0 ] && svr_pass "enroll of the same key for the same router again: exit 0 ($out)" ||
  svr_fail "re-enroll same: exit $rc: $out"
[ "$(state r1)" = connected ] || svr_wait_for 10 '[ "$(state r1)" = connected ]'
out=$("$COND" --dir c1 enroll --force r2 r1.key.pub 2>&1); rc=$?
[ "$rc" = 0 ] && grep -q 'moved from router r1' <<<"$out" &&
  svr_pass "enroll --force moves it: '$out'" || svr_fail "enroll --force: exit $rc: $out"
svr_wait_for 5 "grep -q 'router r1 node n1: its key is now enrolled for router r2, closing' '$C1_LOG'" &&
  svr_pass "the live r1 session is closed at the enrolment change" ||
  { svr_fail "live r1 session not re-checked"; tail -3 "$C1_LOG"; }
svr_wait_for 10 "grep -q 'key is enrolled for router r2, not r1' '$C1_LOG'" &&
  svr_pass "r1's reconnect authenticates as r2 and its HELLO as r1 is refused" ||
  svr_fail "r1 reconnect not refused"
svr_finish
