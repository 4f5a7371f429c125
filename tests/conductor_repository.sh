#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Conductor-hosted software repository checks (label sim, loopback, no
# root; docs/libconductor.md 2.8).
#  1. Off by default: a router without software-repository sends nothing
#     for it.  Counted in bytes (ss): over 21 s, longer than the 20 s check
#     interval, the TCP bytes of that router's 930 connection grow only by
#     whole SSH keepalive exchanges, while those of a router with
#     --software-repository conductor-only (checks every 300 ms, a testing
#     aid; 20 s in the product) grow by its checks.
#  2. Status on the conductor: `svr-conductor show software repository`
#     names what the node hosts and the checking router node as
#     reachable with its latency; the unconfigured router has no row.
#  3. A conductor node that hosts no repository: the router says
#     unreachable with the reason, and the conductor shows it.
#  4. A conductor node that stops answering (SIGSTOP): the check fails
#     "no answer within 5.0 s" (the product's 5 s), and recovers after
#     SIGCONT.
#  5. Status on the router: svr-router with software-repository
#     prefer-conductor shows reachable in `show software repository`; its
#     conductor-log-dir and remote-login disabled reach the log retriever
#     and the shell (svr-conductor logs lists, connect is refused).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
R="$SVR_BUILD_DIR/cli/svr-router"
svr_require_cmd ss python3
cd "$SVR_TMP"

"$COND" keygen alice.key >/dev/null
echo "$(cut -d' ' -f1,2 alice.key.pub) alice" > admins
cond_start C1 cnd1 c1 0 --repository https://cnd1.example/repo --keepalive-interval 10 \
  --admin-keys "$SVR_TMP/admins"
known_host c1 "$C1_PORT" > kh
for r in r1 r2 r3 r4; do
  "$ROUTER" keygen $r.key >/dev/null
  "$COND" --dir c1 enroll $r $r.key.pub >/dev/null
done
svr_bg - "$ROUTER" run --router r1 --node n1 --key r1.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --keepalive-interval 10 \
  --software-repository conductor-only --test-repo-interval-ms 300 -v
P1=$SVR_LAST_PID L1=$SVR_LAST_LOG
svr_bg - "$ROUTER" run --router r2 --node n1 --key r2.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --keepalive-interval 10 -v
P2=$SVR_LAST_PID L2=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'router r1 node n1 connected' '$C1_LOG' && grep -q 'router r2 node n1 connected' '$C1_LOG'" ||
  { svr_fail "routers not connected"; cat "$C1_LOG"; svr_finish; }

echo "== 1. bytes on the wire"
# bytes PID: "sent received" of that process' connection to the conductor
bytes() {
  ss -tinpH state established "( dport = :$C1_PORT )" | awk -v p="pid=$1," '
    index($0, p) { getline; for (i = 1; i <= NF; i++) {
      if ($i ~ /^bytes_sent:/) s = substr($i, 12)
      if ($i ~ /^bytes_received:/) r = substr($i, 16) }
      print s + 0, r + 0; exit }'
}
# SSH keepalives (a request and its answer when a side heard nothing for
# 10 s) are the only other traffic on r2's connection.  The window is 21
# s, longer than the product's 20 s check interval, so it would hold a
# check.  The counters are read every 0.2 s; each change must be whole
# keepalive exchanges (below), the first of which the window waits for.
k0=$(bytes $P2)
svr_wait_for 15 '[ "$(bytes $P2)" != "$k0" ]' || svr_fail "no keepalive seen on r2's connection"
k1=$(bytes $P2)
read -r x0 y0 <<<"$k0"; read -r x1 y1 <<<"$k1"
events="$((x1 - x0)) $((y1 - y0))"
b1=$(bytes $P1); b2=$(bytes $P2)
prev=$b2
end=$(( $(date +%s%N) + 21000000000 ))
while [ "$(date +%s%N)" -lt "$end" ]; do # the measurement window itself
  now=$(bytes $P2)
  if [ "$now" != "$prev" ]; then
    read -r px py <<<"$prev"; read -r nx ny <<<"$now"
    events="$events
$((nx - px)) $((ny - py))"
    prev=$now
  fi
  sleep 0.2
done
a1=$(bytes $P1); a2=$(bytes $P2)
read -r s1 r1 <<<"$b1"; read -r S1 R1 <<<"$a1"
read -r s2 r2 <<<"$b2"; read -r S2 R2 <<<"$a2"
# A keepalive exchange is a request of Q bytes and an answer of A bytes,
# sent by either side: (Q, A) or (A, Q) in (sent, received).  Q and A come
# from the smallest change (one exchange); every change must be a whole
# number of exchanges each way: s = aQ + bA and r = aA + bQ with a, b
# whole and >= 0.  A repository check (about as many bytes each way) is
# not.
verdict=$(awk 'NR == 1 || $1 + $2 < ms + mr { ms = $1; mr = $2 } { s[NR] = $1; r[NR] = $2 }
  END { Q = ms > mr ? ms : mr; A = ms > mr ? mr : ms; d = Q * Q - A * A
        if (A <= 0 || d <= 0) { print "bad"; exit }
        for (i = 1; i <= NR; i++) {
          x = s[i] * Q - r[i] * A; y = r[i] * Q - s[i] * A
          if (x < 0 || y < 0 || x % d || y % d) { print "bad"; exit } }
        print "ok", Q, A }' <<<"$events")
if [ "${verdict%% *}" = ok ]; then
  svr_pass "not configured: in 21 s $((S2 - s2)) bytes sent, $((R2 - r2)) received, all whole SSH keepalive exchanges (request/answer ${verdict#ok } bytes): nothing for the repository"
else
  svr_fail "not configured: changes (sent received) in 21 s not keepalives only: $(tr '\n' ';' <<<"$events")"
fi
if [ -n "$s1" ] && [ $((S1 - s1)) -gt 1000 ] && [ $((R1 - r1)) -gt 1000 ]; then
  svr_pass "configured: $((S1 - s1)) bytes sent, $((R1 - r1)) received in the same 21 s"
else
  svr_fail "configured: sent $s1 -> $S1, received $r1 -> $R1"
fi
grep -qi 'repository' "$L2" && svr_fail "r2 logged repository checks: $(grep -i repository "$L2")" ||
  svr_pass "r2 logged no repository check"

echo "== 2. status on the conductor"
j() { "$COND" --dir "$1" show software repository --json | python3 -c '
import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }
if svr_wait_for 5 '[ "$(j c1 "[(x[\"router\"],x[\"status\"]) for x in d[\"routers\"]]")" = "[('"'"'r1'"'"', '"'"'reachable'"'"')]" ]' &&
   [ "$(j c1 'd["hosted"][0]["repository"]')" = https://cnd1.example/repo ] &&
   [ "$(j c1 'd["routers"][0]["probes"] >= 5 and d["routers"][0]["latency_ns"] > 0')" = True ]; then
  svr_pass "conductor: hosts https://cnd1.example/repo; r1 reachable, $(j c1 'd["routers"][0]["probes"]') probes, latency $(j c1 'd["routers"][0]["latency_ns"]') ns; no row for r2"
else
  svr_fail "conductor show: $("$COND" --dir c1 show software repository --json)"
fi
"$COND" --dir c1 show software repository | grep -Eq '^r1 +n1 +cnd1 +conductor-only +reachable' &&
  svr_pass "table: $("$COND" --dir c1 show software repository | grep '^r1')" ||
  svr_fail "table: $("$COND" --dir c1 show software repository)"

echo "== 3. a conductor node without a repository"
cond_start C2 cnd2 c2 0
known_host c2 "$C2_PORT" >> kh
"$COND" --dir c2 enroll r3 r3.key.pub >/dev/null
svr_bg - "$ROUTER" run --router r3 --node n1 --key r3.key --known-hosts kh \
  --conductor 127.0.0.1:$C2_PORT --software-repository prefer-conductor \
  --test-repo-interval-ms 300 -v
L3=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'via conductor node cnd2: unreachable: conductor node cnd2 hosts no software repository' '$L3'" &&
  svr_pass "router: '$(grep -o 'software repository .*' "$L3" | tail -1)'" ||
  svr_fail "no unavailable status: $(tail -3 "$L3")"
svr_wait_for 5 '[ "$(j c2 "d[\"routers\"][0][\"status\"]" 2>/dev/null)" = unreachable ]' &&
  svr_pass "conductor cnd2 shows r3 unreachable: $(j c2 'd["routers"][0]["reason"]')" ||
  svr_fail "cnd2 show: $("$COND" --dir c2 show software repository --json)"

echo "== 4. a conductor node that stops answering"
t0=$(date +%s%N)
kill -STOP $C1_PID
svr_wait_for 9 "grep -q 'via conductor node cnd1: unreachable: no answer within 5.0 s' '$L1'"; ok=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -CONT $C1_PID
[ $ok = 0 ] && svr_pass "conductor stopped: unreachable, no answer within 5.0 s (after $ms ms)" ||
  svr_fail "no timeout status: $(tail -3 "$L1")"
svr_wait_for 10 "tail -1 '$L1' | grep -q 'via conductor node cnd1: reachable'" &&
  svr_pass "after SIGCONT: reachable again" || svr_fail "not recovered: $(tail -2 "$L1")"

echo "== 5. status on the router (svr-router)"
{
  echo "router r4"
  echo "control-socket $SVR_TMP/r4.sock"
  echo "conductor 127.0.0.1:$C1_PORT"
  echo "conductor-key $SVR_TMP/r4.key"
  echo "conductor-known-hosts $SVR_TMP/kh"
  echo "software-repository prefer-conductor"
  echo "conductor-log-dir $SVR_TMP/r4logs"
  echo "remote-login disabled"
  echo "path-mtu-discovery disabled"
  echo "link-test-length 0"
  echo "[interface lo]"
  echo "address 127.0.0.2"
  echo "port $((20000 + SVR_TAG % 20000))"
} > r4.conf
mkdir r4logs; echo "svr-router log" > r4logs/router.log
svr_bg - "$R" -c r4.conf
L4=$SVR_LAST_LOG
rj() { "$R" -s r4.sock show software repository --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
if svr_wait_for 10 '[ "$(rj "d[\"conductors\"][0][\"status\"]")" = reachable ]'; then
  svr_pass "svr-router show software repository: $("$R" -s r4.sock show software repository | tail -1)"
else
  svr_fail "svr-router show: $("$R" -s r4.sock show software repository 2>&1); $(tail -3 "$L4")"
fi
# the other two administration keys of svr-router's configuration
ADMIN=(--conductor 127.0.0.1:"$C1_PORT" --key alice.key --known-hosts kh)
"$COND" logs --router r4 "${ADMIN[@]}" 2>&1 | grep -Eq '^router\.log +15 ' &&
  svr_pass "svr-router conductor-log-dir: svr-conductor logs lists router.log" ||
  svr_fail "svr-router logs: $("$COND" logs --router r4 "${ADMIN[@]}" 2>&1)"
"$COND" connect --router r4 "${ADMIN[@]}" </dev/null >/dev/null 2>err; rc=$?
[ "$rc" = 1 ] && grep -q 'remote login is disabled on this router' err &&
  svr_pass "svr-router remote-login disabled: connect refused (exit 1)" ||
  svr_fail "svr-router remote-login: exit $rc $(cat err)"
svr_finish
