#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router's conductor link (label sim, no root): a conductor node
# (svr-conductor, SQLite) on 127.0.0.1 and two routers on 127.0.0.2/3 with
# one peer path between them; router-a has 'conductor 127.0.0.1:PORT'.
#  1. The link comes up (the conductor shows router-a's node connected) and
#     no alarm is stored while the path is up.
#  2. router-b frozen (SIGSTOP: silent, no AdminDown): router-a raises "Peer
#     router-b path is down" (major, source node1/lo/127.0.0.3) and "Peer
#     router-b is not reachable" (critical); the conductor stores both.
#  3. router-b resumed (SIGCONT): both cleared at the conductor.
#  4. The conductor stopped while router-b is frozen again: router-a keeps
#     the alarms in its outbox (journaled in conductor-state-dir) and the
#     conductor stores them once it is back on the same port.
#  5. SIGTERM: router-a exits promptly with its conductor link up, and its
#     own AdminDown raises no alarm.
#  6. A bad conductor-key path: svr-router exits 1 naming the problem; a
#     conductor without conductor-key: configuration error, exit 2.
# Traffic stays on 127.0.0.0/8.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
R="$SVR_BUILD_DIR/cli/svr-router"
C="$SVR_BUILD_DIR/cli/svr-conductor"
RN="$SVR_BUILD_DIR/cli/svr-conductor-router"
svr_require_cmd "$R" "$C" "$RN" python3
T=$SVR_TMP
PORT=$((20000 + SVR_TAG % 20000))
declare -A IP=([a]=127.0.0.2 [b]=127.0.0.3 [c]=127.0.0.4 [d]=127.0.0.5)

"$RN" keygen "$T/router-a.key" >/dev/null
mkdir -p "$T/cnd" "$T/journal"
"$C" --dir "$T/cnd" enroll router-a "$T/router-a.key.pub" >/dev/null
start_conductor() { # [PORT]
  # keepalive settings as svr-router's link sends them (every 5 s): with a
  # 1 s interval the conductor dropped the idle link every 4 s and the
  # "1 of 1 link(s) up" checks failed at random
  svr_bg - "$C" --dir "$T/cnd" run --listen 127.0.0.1 --port "${1:-0}" \
    --node cnd1 -v
  PID_C=$SVR_LAST_PID; LOG_C=$SVR_LAST_LOG
  svr_wait_for 10 "grep -q 'listening port=' '$LOG_C'" || {
    cat "$LOG_C"; svr_fail "conductor did not start"; svr_finish; }
  CPORT=$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$LOG_C" | head -1)
}
start_conductor
echo "[127.0.0.1]:$CPORT $(cut -d' ' -f1,2 "$T/cnd/ssh_host_ed25519_key.pub")" >"$T/known_hosts"

conf() { # conf ROUTER PEER [extra lines...]
  local x=$1 y=$2
  shift 2
  {
    echo "router router-$x"
    echo "control-socket $T/$x.sock"
    printf '%s\n' "$@"
    echo "desired-tx-interval 100"
    echo "required-min-rx-interval 100"
    echo "hold-down-time 0ms"
    echo "link-test-length 0"
    echo "path-mtu-discovery disabled"
    echo "[interface lo]"
    echo "address ${IP[$x]}"
    echo "port $PORT"
    echo "[neighborhood lab]"
    echo "interface lo"
    echo "[adjacency router-$y]"
    echo "neighborhood lab"
    echo "address ${IP[$y]}"
    echo "port $PORT"
  } >"$T/$x.conf"
}
conf a b "conductor 127.0.0.1:$CPORT" "conductor-key $T/router-a.key" \
  "conductor-known-hosts $T/known_hosts" "conductor-state-dir $T/journal"
conf b a
show() { "$R" -s "$T/$1.sock" show peers "${@:2}"; }
nup() { show "$1" --json 2>/dev/null | grep -o '"status":"up"' | wc -l; }
alarms() { "$C" --dir "$T/cnd" show alarms --router router-a --json 2>/dev/null; }
nalarms() { alarms | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null; }
has_alarm() { # SEVERITY SOURCE MESSAGE
  alarms | python3 -c '
import json,sys
sev,src,msg=sys.argv[1:4]
sys.exit(0 if any(a["severity"]==sev and a["source"]==src and a["message"]==msg
                  and a["category"]=="peer" and a["node"]=="node1"
                  for a in json.load(sys.stdin)) else 1)' "$@"
}
# rshow FIELD-EXPR: a Python expression over d = `show alarms --json` of router-a
rshow() { "$R" -s "$T/a.sock" show alarms --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
connected() { "$C" --dir "$T/cnd" show assets --router router-a --json 2>/dev/null | grep -q '"state": "connected"'; }

svr_bg - "$R" -c "$T/a.conf"; PID_A=$SVR_LAST_PID; LOG_A=$SVR_LAST_LOG
svr_bg - "$R" -c "$T/b.conf"; PID_B=$SVR_LAST_PID
if svr_wait_for 15 '[ "$(nup a)" = 1 ] && connected'; then
  svr_pass "path up, router-a connected to the conductor"
else
  cat "$LOG_A"; "$C" --dir "$T/cnd" show assets; svr_fail "not up / not connected"
fi
[ "$(nalarms)" = 0 ] && svr_pass "no alarm while the path is up" ||
  svr_fail "alarms while up: $(alarms)"

echo "== 2. router-b frozen (SIGSTOP)"
kill -STOP "$PID_B"
if svr_wait_for 10 'has_alarm major node1/lo/127.0.0.3 "Peer router-b path is down" &&
                    has_alarm critical node1 "Peer router-b is not reachable"'; then
  svr_pass "conductor stored 'Peer router-b path is down' (major) and 'Peer router-b is not reachable' (critical)"
else
  tail -5 "$LOG_A"; svr_fail "conductor alarms: $(alarms)"
fi
grep -q 'alarm #[0-9]* raised (peer/major, source node1/lo/127.0.0.3): Peer router-b path is down' "$LOG_A" &&
  svr_pass "router-a logged the alarm with its number" || svr_fail "no alarm line in router-a's log"
svr_wait_for 5 '[ "$(rshow "d[\"conductor\"][\"unacknowledged\"]")" = 0 ]'
got=$(rshow '[(a["severity"],a["source"],a["message"]) for a in d["alarms"]] + [d["conductor"]["links_up"], d["conductor"]["unacknowledged"]]')
want="[('major', 'node1/lo/127.0.0.3', 'Peer router-b path is down'), ('critical', 'node1', 'Peer router-b is not reachable'), 1, 0]"
[ "$got" = "$want" ] && svr_pass "router-a show alarms --json: both alarms, 1 conductor link up, nothing unacknowledged" ||
  svr_fail "show alarms --json: $got"
"$R" -s "$T/a.sock" show alarms >"$T/alarms.txt"
grep -q '^ID *Severity *Category *Source *Message$' "$T/alarms.txt" &&
  grep -q 'critical *peer *node1 *Peer router-b is not reachable' "$T/alarms.txt" &&
  grep -q '^2 active alarms$' "$T/alarms.txt" && grep -q '1 of 1 link(s) up, 0 waiting' "$T/alarms.txt" &&
  svr_pass "router-a show alarms: table, count and conductor line" ||
  { cat "$T/alarms.txt"; svr_fail "show alarms table"; }

echo "== 3. router-b resumed (SIGCONT)"
kill -CONT "$PID_B"
if svr_wait_for 10 '[ "$(nup a)" = 1 ] && [ "$(nalarms)" = 0 ]'; then
  svr_pass "path up again: both alarms cleared at the conductor"
  [ "$(rshow 'len(d["alarms"])')" = 0 ] && svr_pass "router-a show alarms: none active" ||
    svr_fail "router-a still shows $(rshow 'd["alarms"]')"
else
  svr_fail "after router-b came back: up $(nup a), alarms $(alarms)"
fi

echo "== 4. conductor down while the path fails"
kill -TERM "$PID_C"; svr_wait_for 10 "! kill -0 $PID_C 2>/dev/null"
kill -STOP "$PID_B"
svr_wait_for 5 "[ \$(grep -c 'raised (peer/critical' '$LOG_A') -ge 2 ]" ||
  svr_fail "router-a did not raise the alarms again"
[ "$(nalarms)" = 0 ] && svr_pass "conductor down: nothing stored yet" || svr_fail "stored while down?"
svr_wait_for 10 '[ "$(rshow "d[\"conductor\"][\"links_up\"]")" = 0 ]'
[ "$(rshow 'd["conductor"]["links_up"], d["conductor"]["unacknowledged"] >= 2')" = "(0, True)" ] &&
  svr_pass "router-a show alarms: link down, the alarms waiting for acknowledgement" ||
  svr_fail "show alarms while the conductor is down: $(rshow 'd["conductor"]')"
start_conductor "$CPORT"
if svr_wait_for 20 'has_alarm critical node1 "Peer router-b is not reachable" &&
                    has_alarm major node1/lo/127.0.0.3 "Peer router-b path is down"'; then
  svr_pass "conductor back on the same port: the alarms raised while it was down arrived (outbox)"
else
  tail -5 "$LOG_A"; svr_fail "after the conductor came back: $(alarms)"
fi
kill -CONT "$PID_B"

echo "== 5. shutdown"
svr_wait_for 10 '[ "$(nup a)" = 1 ]' || svr_fail "router-b's path not up again"
t0=$(date +%s%N)
kill -TERM "$PID_A"   # first: router-b's AdminDown would be a real peer event
if svr_wait_for 5 "! kill -0 $PID_A 2>/dev/null"; then
  svr_pass "SIGTERM: router-a (conductor link up) exited in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
  svr_fail "SIGTERM: router-a still running after 5 s"
fi
kill -TERM "$PID_B"
svr_wait_for 5 "! kill -0 $PID_B 2>/dev/null" || svr_fail "router-b still running"
grep -c 'alarm #[0-9]* raised' "$LOG_A" | { read -r n; [ "$n" = 4 ]; } &&
  svr_pass "router-a's own shutdown raised no alarm (4 raised in all)" ||
  svr_fail "alarms raised: $(grep 'raised' "$LOG_A")"

echo "== 6. configuration errors"
conf c b "conductor 127.0.0.1:$CPORT" "conductor-key $T/nonexistent.key" \
  "conductor-known-hosts $T/known_hosts"
"$R" -c "$T/c.conf" >"$T/c.out" 2>&1; rc=$?
[ "$rc" = 5 ] && grep -q 'conductor link' "$T/c.out" &&
  svr_pass "unreadable conductor-key: exit 5 ($(grep 'conductor link' "$T/c.out" | head -1))" ||
  svr_fail "bad key: exit $rc: $(cat "$T/c.out")"
conf d b "conductor 127.0.0.1:$CPORT"
"$R" -c "$T/d.conf" check >"$T/d.out" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q 'needs conductor-key FILE and conductor-known-hosts FILE' "$T/d.out" &&
  svr_pass "conductor without key: configuration error, exit 2" ||
  svr_fail "no key: exit $rc: $(cat "$T/d.out")"
svr_finish
