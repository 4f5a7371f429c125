#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# "No connectivity" alarm identities (label sim, loopback, no root): issue 14
# item 6.  Router r2 connects with a node name chosen so that the 31-bit
# FNV-1a hash of "r2.m103380" equals that of "r1.n152768" (found in 2 s; a
# router can do the same).  r1's node n152768 disconnects: its alarm is
# raised.  r2's node connecting must not clear it, and r2's node
# disconnecting raises a second alarm of its own: two active alarms, each
# naming its node.  (With the hash as the alarm number, r2's connect
# cleared r1's alarm and its disconnect took its place.)
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
cd "$SVR_TMP"

cond_start C1 cnd1 c1
known_host c1 $C1_PORT > kh
for r in r1 r2; do
  "$ROUTER" keygen $r.key >/dev/null
  "$COND" --dir c1 enroll $r $r.key.pub >/dev/null
done
once() {
  "$ROUTER" run --router $1 --node $2 --key $1.key --known-hosts kh \
    --conductor 127.0.0.1:$C1_PORT --raise "minor:peer:$1 $2 was here" \
    --exit-when-acked --timeout 10 >/dev/null 2>>routers.log
}
nc_alarms() { q c1 "SELECT message FROM alarms WHERE router='conductor' AND message LIKE 'No connectivity%' ORDER BY message"; }
once r1 n152768
svr_wait_for 5 "nc_alarms | grep -q 'r1.n152768'" &&
  svr_pass "r1.n152768 disconnected: its alarm is raised" || svr_fail "no alarm for r1.n152768: $(nc_alarms)"
"$ROUTER" run --router r2 --node m103380 --key r2.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --keepalive-interval 1 >/dev/null 2>>routers.log &
R2=$!
SVR_PIDS+=("$R2")
svr_wait_for 10 "grep -q 'router r2 node m103380 connected' '$C1_LOG'"
# rows are written on the 1 s tick: wait for r2's row, then look
svr_wait_for 5 "[ \"\$(q c1 \"SELECT state FROM connections WHERE router='r2'\")\" = connected ]"
nc_alarms | grep -q 'r1.n152768' &&
  svr_pass "r2.m103380 connecting leaves r1.n152768's alarm alone" ||
  svr_fail "r2.m103380 connecting cleared r1.n152768's alarm: $(nc_alarms)"
kill $R2; wait $R2 2>/dev/null
svr_wait_for 20 "[ \"\$(nc_alarms | grep -c .)\" = 2 ]"
got=$(nc_alarms | tr '\n' '|')
[ "$got" = "No connectivity to r1.n152768|No connectivity to r2.m103380|" ] &&
  svr_pass "two active alarms, one per node: $got" || svr_fail "active: $got"
ids=$(q c1 "SELECT count(DISTINCT alarm_id) FROM alarms WHERE router='conductor'")
[ "$ids" = 2 ] && svr_pass "two distinct alarm IDs" || svr_fail "$ids distinct IDs"
svr_finish
