#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Conductor-driven rekey when a router cannot take the key (label sim, no
# root): a conductor node and two svr-routers on 127.0.0.0/8 with one peer
# path and no data plane (forwarding disabled), both with a conductor link,
# and the security element router-a <-> router-b.
#  1. Before any rekey (rekey-interval never): both routers "inactive",
#     rekey index 0, in `svr-router show security key-status` and
#     `svr-conductor show security key-status`.
#  2. `svr-conductor rekey`: both routers get KEY add 1, cannot install it
#     (forwarding is disabled), answer with an error and raise the product's
#     platform/critical "Security Rekey failed for: node1"; the conductor
#     stores both alarms, counts one key change error per router node,
#     keeps key 1 pending (never activated: state "rekeying") and never
#     sends an activate; the routers' key-status says errors 1, index 0.
#  3. The key (read from the conductor database) is in no log.
#  4. Bad input: rekey --router of a router with no element exits 3; a
#     security element of one router twice exits 2; removing an unknown
#     element exits 3; nothing changes (still one element, key 1 pending).
#  5. The conductor restarted: the pending key survives, is pushed again
#     on reconnect (a second error per router), and not replaced.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
R="$SVR_BUILD_DIR/cli/svr-router"
C="$SVR_BUILD_DIR/cli/svr-conductor"
RN="$SVR_BUILD_DIR/cli/svr-conductor-router"
svr_require_cmd "$R" "$C" "$RN" python3
T=$SVR_TMP
PORT=$((20000 + SVR_TAG % 20000))
declare -A IP=([a]=127.0.0.2 [b]=127.0.0.3)
mkdir -p "$T/cnd"
for x in a b; do
  "$RN" keygen "$T/router-$x.key" >/dev/null
  "$C" --dir "$T/cnd" enroll router-$x "$T/router-$x.key.pub" >/dev/null
done
start_conductor() { # [PORT]
  svr_bg - "$C" --dir "$T/cnd" run --listen 127.0.0.1 --port "${1:-0}" --node cnd1 -v
  PID_C=$SVR_LAST_PID; LOG_C=$SVR_LAST_LOG
  svr_wait_for 10 "grep -q 'listening port=' '$LOG_C'" || {
    cat "$LOG_C"; svr_fail "conductor did not start"; svr_finish; }
  CPORT=$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$LOG_C" | head -1)
}
start_conductor
echo "[127.0.0.1]:$CPORT $(cut -d' ' -f1,2 "$T/cnd/ssh_host_ed25519_key.pub")" >"$T/known_hosts"
conf() { # conf ROUTER PEER
  local x=$1 y=$2
  {
    echo "router router-$x"
    echo "control-socket $T/$x.sock"
    echo "conductor 127.0.0.1:$CPORT"
    echo "conductor-key $T/router-$x.key"
    echo "conductor-known-hosts $T/known_hosts"
    echo "desired-tx-interval 100"
    echo "required-min-rx-interval 100"
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
conf a b; conf b a
"$C" --dir "$T/cnd" security add router-b router-a | grep -q 'security element router-a <-> router-b added' &&
  svr_pass "security add: element router-a <-> router-b (stored as an unordered pair)" || svr_fail "security add"
svr_bg - "$R" -c "$T/a.conf"; LOG_A=$SVR_LAST_LOG
svr_bg - "$R" -c "$T/b.conf"; LOG_B=$SVR_LAST_LOG
# rkey X EXPR: a Python expression over d = router X's key-status JSON
rkey() { "$R" -s "$T/$1.sock" show security key-status --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2" 2>/dev/null; }
# ckey EXPR: over l = the conductor's key-status JSON (a list of nodes)
ckey() { "$C" --dir "$T/cnd" show security key-status --json 2>/dev/null | python3 -c '
import json,sys; l=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
connected() { [ "$("$C" --dir "$T/cnd" show assets --json 2>/dev/null | grep -c '"state": "connected"')" = 2 ]; }
svr_wait_for 15 connected || { cat "$LOG_C"; svr_fail "routers not connected"; svr_finish; }

echo "== 1. before any rekey"
got="$(rkey a '(d["key_manager_state"], d["rekey_index"], d["key_change_count"], d["next_rekey"])') $(rkey b 'd["key_manager_state"]')"
[ "$got" = "('inactive', 0, 0, 'n/a') inactive" ] && svr_pass "routers: inactive, rekey index 0, next rekey n/a" ||
  svr_fail "router key-status before: $got"
got=$(ckey '[(n["router"], n["node"], n["key_manager_state"], n["rekey_index"], n["next_rekey"]) for n in l]')
[ "$got" = "[('router-a', 'node1', 'inactive', 0, 'n/a'), ('router-b', 'node1', 'inactive', 0, 'n/a')]" ] &&
  svr_pass "conductor key-status: both nodes inactive, index 0, next rekey n/a" || svr_fail "conductor key-status before: $got"

echo "== 2. rekey: the routers cannot install the key"
"$C" --dir "$T/cnd" rekey | grep -q 'rekey requested for 1 security element' &&
  svr_pass "svr-conductor rekey: 1 element" || svr_fail "rekey request"
alarms() { "$C" --dir "$T/cnd" show alarms --json 2>/dev/null | python3 -c '
import json,sys
print(sorted((a["router"],a["severity"],a["category"],a["source"],a["message"]) for a in json.load(sys.stdin)
             if a["message"].startswith("Security Rekey failed")))' 2>/dev/null; }
want="[('router-a', 'critical', 'platform', 'node1', 'Security Rekey failed for: node1'), ('router-b', 'critical', 'platform', 'node1', 'Security Rekey failed for: node1')]"
if svr_wait_for 10 '[ "$(alarms)" = "$want" ]'; then
  svr_pass "both routers raised platform/critical 'Security Rekey failed for: node1'; the conductor stored them"
else
  tail -3 "$LOG_A"; svr_fail "rekey alarms: $(alarms)"
fi
svr_wait_for 5 '[ "$(ckey "[n[\"key_change_errors\"] for n in l]")" = "[1, 1]" ]'
got=$(ckey '[(n["key_manager_state"], n["rekey_index"], n["key_change_count"], n["key_change_errors"], n["last_error"], n["peers"][0]["element_pending_index"], n["peers"][0]["element_active_index"]) for n in l]')
[ "$got" = "[('rekeying', 0, 0, 1, 'forwarding is disabled', 1, 0), ('rekeying', 0, 0, 1, 'forwarding is disabled', 1, 0)]" ] &&
  svr_pass "conductor key-status: 1 key change error per node (forwarding is disabled), key 1 pending, none active" ||
  svr_fail "conductor key-status after the failed rekey: $got"
got="$(rkey a '(d["key_manager_state"], d["rekey_index"], d["key_change_count"], d["key_change_errors"], d["last_error"])')"
[ "$got" = "('inactive', 0, 0, 1, 'forwarding is disabled')" ] && svr_pass "router-a key-status: errors 1, index 0, no change" ||
  svr_fail "router-a key-status: $got"
"$R" -s "$T/a.sock" show alarms | grep -q 'critical *platform *node1 *Security Rekey failed for: node1' &&
  svr_pass "router-a show alarms lists it (platform)" || svr_fail "router-a show alarms"
grep -q 'installed on both, activating' "$LOG_C" && svr_fail "the conductor activated a key nobody installed" ||
  svr_pass "no activate: nobody installed key 1"

echo "== 3. the key is in no log"
key=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select hex(key) from security_keys").fetchone()[0])' "$T/cnd/conductor.db")
[ ${#key} = 64 ] && svr_pass "the conductor stored a 32-byte key" || svr_fail "stored key: '$key'"
if grep -qi "$key" "$LOG_C" "$LOG_A" "$LOG_B"; then svr_fail "the key appears in a log"; else svr_pass "the key appears in no log (conductor, router-a, router-b)"; fi

echo "== 4. bad input changes nothing"
"$C" --dir "$T/cnd" rekey --router nobody >"$T/o" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'no security element with router nobody' "$T/o" && svr_pass "rekey --router nobody: exit 1 ($(cat "$T/o"))" ||
  svr_fail "rekey --router nobody: $rc $(cat "$T/o")"
"$C" --dir "$T/cnd" security add router-a router-a >"$T/o" 2>&1; rc=$?
[ $rc = 2 ] && grep -q 'two different routers' "$T/o" && svr_pass "security add R R: exit 2" || svr_fail "security add R R: $rc $(cat "$T/o")"
"$C" --dir "$T/cnd" security remove router-a nobody >"$T/o" 2>&1; rc=$?
[ $rc = 1 ] && svr_pass "security remove of an unknown element: exit 1" || svr_fail "security remove unknown: $rc $(cat "$T/o")"
"$C" --dir "$T/cnd" rekey --bogus >"$T/o" 2>&1; rc=$?
[ $rc = 2 ] && svr_pass "rekey --bogus: exit 2" || svr_fail "rekey --bogus: $rc"
state() { python3 -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); print(db.execute("select router_a,router_b,active_index,pending_index from security_elements").fetchall(), db.execute("select count(*) from security_keys").fetchone()[0], db.execute("select count(*) from rekey_requests").fetchone()[0])' "$T/cnd/conductor.db"; }
[ "$(state)" = "[('router-a', 'router-b', 0, 1)] 1 0" ] && svr_pass "still one element, key 1 pending, no request queued" ||
  svr_fail "state after bad input: $(state)"

echo "== 5. conductor restart: the pending key survives and is pushed again"
kill -TERM "$PID_C"; svr_wait_for 10 "! kill -0 $PID_C 2>/dev/null"
start_conductor "$CPORT"
if svr_wait_for 30 '[ "$(ckey "[n[\"key_change_errors\"] for n in l]")" = "[2, 2]" ]'; then
  svr_pass "after the restart both nodes got key 1 again on reconnect (2 errors each)"
else
  svr_fail "after restart: $(ckey 'l')"
fi
[ "$(state)" = "[('router-a', 'router-b', 0, 1)] 1 0" ] && [ "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select hex(key) from security_keys").fetchone()[0])' "$T/cnd/conductor.db")" = "$key" ] &&
  svr_pass "same pending key 1 (not regenerated)" || svr_fail "state after restart: $(state)"
svr_finish
