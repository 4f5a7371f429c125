#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Conductor-driven rekey into the data plane (issue 15): a conductor node in
# namespace M, reachable from routers A and B over management links
# (A 10.9.1.1 - M 10.9.1.2, B 10.9.2.1 - M 10.9.2.2), the security element
# routerA <-> routerB, and the data plane of tests/lib/dataplane.sh
# (client - A - B - server, aes-256-gcm, configured key id 1).
#  1. A 50 MB curl through the routers survives 10 forced rekeys
#     (`svr-conductor rekey`, each one waited for: both routers report the
#     new index) with an identical sha256 and curl exit 0, the 10th done
#     before the transfer ended; the session sends with the 10th key
#     (security ID 65536 + 10) on both routers; no packet dropped for
#     authentication or an unknown/expired key.
#  2. `svr-router show security key-status` on both: state active, rekey
#     index 10, key change count 10, errors 0; `svr-conductor show security
#     key-status`: both nodes the same; only the active key is left in the
#     conductor's database (the older ones were removed); none of the 10
#     keys appears in any log.
#  3. Router B offline (its management link down until the conductor
#     declares it gone): a rekey then installs key 11 on A only and does not
#     activate it (A: "rekeying", index 10; a transfer keeps flowing);
#     link back: B reconnects, catches up (add 10, activate 10, add 11),
#     key 11 is activated on both, the transfer running across it completes
#     with the right sha256, and both count 11 changes, 0 errors.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"
C="$SVR_BUILD_DIR/cli/svr-conductor"
RN="$SVR_BUILD_DIR/cli/svr-conductor-router"
svr_require_cmd "$C" "$RN"

dp_topo
svr_ns_add M
svr_veth A 10.9.1.1/24 M 10.9.1.2/24 aM mA
svr_veth B 10.9.2.1/24 M 10.9.2.2/24 bM mB
mkdir -p cnd
for r in A B; do
  "$RN" keygen "$SVR_TMP/router$r.key" >/dev/null
  "$C" --dir "$SVR_TMP/cnd" enroll router$r "$SVR_TMP/router$r.key.pub" >/dev/null
done
"$C" --dir "$SVR_TMP/cnd" security add routerA routerB >/dev/null || svr_fail "security add"
# keepalive-max 1: svr-router sends every 5 s, a silent node is gone after 10 s
svr_bg M "$C" --dir "$SVR_TMP/cnd" run --port 930 --node cnd1 --keepalive-max 1 -v
PID_C=$SVR_LAST_PID; LOG_C=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'listening port=' '$LOG_C'" || { cat "$LOG_C"; svr_fail "conductor did not start"; svr_finish; }
hk=$(cut -d' ' -f1,2 cnd/ssh_host_ed25519_key.pub)
printf '[10.9.1.2]:930 %s\n[10.9.2.2]:930 %s\n' "$hk" "$hk" >known_hosts
dp_router_conf A conductor 10.9.1.2:930 conductor-key "$SVR_TMP/routerA.key" \
  conductor-known-hosts "$SVR_TMP/known_hosts" >/dev/null
dp_router_conf B conductor 10.9.2.2:930 conductor-key "$SVR_TMP/routerB.key" \
  conductor-known-hosts "$SVR_TMP/known_hosts" >/dev/null
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"
nconn() { "$C" --dir "$SVR_TMP/cnd" show assets --json 2>/dev/null | grep -c '"state": "connected"'; }
svr_wait_for 20 '[ "$(nconn)" = 2 ]' || { tail -5 "$LOG_C"; svr_fail "routers not connected to the conductor"; svr_finish; }
# kst ROUTER EXPR: a Python expression over d = `show security key-status --json`
kst() { $1 show security key-status --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2" 2>/dev/null; }
ckst() { "$C" --dir "$SVR_TMP/cnd" show security key-status --json 2>/dev/null | python3 -c '
import json,sys; l=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
db_keys() { sqlite3 -readonly "$SVR_TMP/cnd/conductor.db" "select hex(key) from security_keys order by key_index" | tr '\n' ' '; }
# both_at INDEX: both routers send with it (grep, not python: the checks run
# every 0.1 s on a loaded machine)
both_at() {
  $RA show security key-status --json 2>/dev/null | grep -q "\"key_manager_state\":\"active\",\"rekey_index\":$1," &&
  $RB show security key-status --json 2>/dev/null | grep -q "\"key_manager_state\":\"active\",\"rekey_index\":$1,"
}

echo "== 1. 50 MB transfer across 10 forced rekeys"
mkdir -p www
want=$(dp_gen_file www/big.bin 50)
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"
# 50 MB at 1 MB/s: about 50 s, for 10 rekeys of a second or two each
svr_bg C curl -sS --fail --connect-timeout 5 --max-time 150 --limit-rate 1M \
  -o "$SVR_TMP/got.bin" http://10.2.0.2:8080/big.bin
CURL=$SVR_LAST_PID
svr_wait_for 10 "[ -s '$SVR_TMP/got.bin' ]" || svr_fail "transfer did not start"
KEYS=""
t0=$(date +%s%N)
for i in $(seq 1 10); do
  "$C" --dir "$SVR_TMP/cnd" rekey >/dev/null || svr_fail "rekey $i"
  svr_wait_for 20 "both_at $i" || { svr_fail "rekey $i not active on both: A $(kst "$RA" d) B $(kst "$RB" d)"; break; }
  KEYS="$KEYS $(db_keys)"
done
t1=$(date +%s%N)
size_now=$(stat -c %s "$SVR_TMP/got.bin")
echo "10 rekeys in $(( (t1 - t0) / 1000000 )) ms, with $size_now of 52428800 bytes received"
# while the transfer still runs
python3 - <<PY && svr_pass "the session sends with security ID 65546 (rekey index 10) on both routers; no authentication or key drop" || svr_fail "after the rekeys: $($RA show sessions --json) $($RA show stats --json)"
import json, subprocess
def run(cmd):
    return json.loads(subprocess.run(cmd.split(), capture_output=True, text=True).stdout)
for cmd in ("$RA", "$RB"):
    ss = [s for s in run(cmd + " show sessions --json")["sessions"]
          if s["protocol"] == "tcp" and s["destination"] == "10.2.0.2:8080"]
    assert ss and all(s["security_id"] == 65546 for s in ss), ss
    d = run(cmd + " show stats --json")["drops"]
    assert d["auth"] == 0 and d["key-unknown"] == 0 and d["key-expired"] == 0, d
PY
wait $CURL; rc=$?
dp_forget "$CURL"
got=$(dp_sha256_file got.bin)
[ $rc = 0 ] && [ "$got" = "$want" ] && [ "$size_now" -lt 52428800 ] &&
  svr_pass "50 MB transfer survived 10 forced rekeys in its middle (done at $size_now bytes, in $(( (t1 - t0) / 1000000 )) ms): sha256 equal, curl exit 0" ||
  svr_fail "rekey transfer: rc=$rc sha=$got want=$want at_rekey=$size_now"

echo "== 2. key status"
want_r="('active', 10, 10, 0, None)"
for r in A B; do
  eval "cmd=\$R$r"
  got=$(kst "$cmd" '(d["key_manager_state"], d["rekey_index"], d["key_change_count"], d["key_change_errors"], d["last_error"])')
  [ "$got" = "$want_r" ] && svr_pass "router$r show security key-status: active, rekey index 10, key change count 10, errors 0" ||
    svr_fail "router$r key-status: $got"
done
svr_wait_for 5 '[ "$(ckst "[n[\"key_change_count\"] for n in l]")" = "[10, 10]" ]'
got=$(ckst '[(n["router"], n["node"], n["key_manager_state"], n["rekey_index"], n["key_change_count"], n["key_change_errors"]) for n in l]')
[ "$got" = "[('routerA', 'n1', 'active', 10, 10, 0), ('routerB', 'n1', 'active', 10, 10, 0)]" ] &&
  svr_pass "svr-conductor show security key-status: both nodes active, index 10, 10 changes, 0 errors" ||
  svr_fail "conductor key-status: $got"
"$C" --dir "$SVR_TMP/cnd" show security key-status --router routerB >kst.txt
grep -q '^Router *Node *Key Manager State *Rekey Index' kst.txt && grep -q '^routerB *n1 *active *10 ' kst.txt &&
  ! grep -q routerA kst.txt && svr_pass "show security key-status --router routerB: table with routerB only" ||
  { cat kst.txt; svr_fail "key-status table"; }
nk=$(sqlite3 -readonly "$SVR_TMP/cnd/conductor.db" "select group_concat(key_index) from security_keys")
[ "$nk" = 10 ] && svr_pass "the conductor keeps only key 10 (1-9 removed)" || svr_fail "keys left in the database: $nk"
set -- $KEYS
leak=0
for k in "$@"; do
  grep -qi "$k" "$LOG_C" "$DP_ROUTER_LOG_A" "$DP_ROUTER_LOG_B" && leak=1
done
[ $# = 10 ] && [ $leak = 0 ] && svr_pass "none of the 10 keys appears in the conductor's or the routers' logs" ||
  svr_fail "key leak check: $# keys, leak=$leak"

echo "== 3. router B offline during a rekey"
dp_gen_file www/mid.bin 40 >mid.sha
svr_bg C curl -sS --fail --connect-timeout 5 --max-time 150 --limit-rate 1M \
  -o "$SVR_TMP/mid.bin" http://10.2.0.2:8080/mid.bin
CURL=$SVR_LAST_PID
svr_wait_for 10 "[ -s '$SVR_TMP/mid.bin' ]" || svr_fail "second transfer did not start"
dp_ip B link set bM down
t0=$(date +%s%N)
svr_wait_for 20 '[ "$(nconn)" = 1 ]' && svr_pass "management link of B down: the conductor declared it gone after $(( ($(date +%s%N) - t0) / 1000000 )) ms" ||
  svr_fail "conductor still sees B: $(nconn)"
"$C" --dir "$SVR_TMP/cnd" rekey >/dev/null || svr_fail "rekey 11"
svr_wait_for 20 '$RA show security key-status --json | grep -q "\"key_manager_state\":\"rekeying\",\"rekey_index\":10,.*\"installed_index\":11,\"active_index\":10"' &&
  svr_pass "offline B: key 11 installed on A but not activated (A rekeying, still index 10)" ||
  svr_fail "A during B's outage: $(kst "$RA" d)"
b0=$(stat -c %s "$SVR_TMP/mid.bin")
svr_wait_for 10 "[ \$(stat -c %s '$SVR_TMP/mid.bin') -gt $((b0 + 1048576)) ]" &&
  svr_pass "the transfer keeps flowing while B is offline (key 10)" || svr_fail "transfer stalled while B offline"
[ "$(kst "$RB" 'd["rekey_index"]')" = 10 ] && svr_pass "B still at index 10" || svr_fail "B: $(kst "$RB" d)"
dp_ip B link set bM up
t0=$(date +%s%N)
if svr_wait_for 60 "both_at 11"; then
  svr_pass "B back: it reconnected, caught up and key 11 is active on both after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
  tail -5 "$DP_ROUTER_LOG_B"; svr_fail "after B came back: A $(kst "$RA" d) B $(kst "$RB" d)"
fi
size_now=$(stat -c %s "$SVR_TMP/mid.bin")
wait $CURL; rc=$?
dp_forget "$CURL"
[ $rc = 0 ] && [ "$(dp_sha256_file mid.bin)" = "$(cat mid.sha)" ] && [ "$size_now" -lt 41943040 ] &&
  svr_pass "40 MB transfer across B's outage and catch-up: sha256 equal, curl exit 0 (key 11 active at $size_now bytes)" ||
  svr_fail "second transfer: rc=$rc at_catchup=$size_now"
got="$(kst "$RA" '(d["key_change_count"], d["key_change_errors"])') $(kst "$RB" '(d["key_change_count"], d["key_change_errors"])')"
[ "$got" = "(11, 0) (11, 0)" ] && svr_pass "both routers: 11 key changes, 0 errors" || svr_fail "counts after catch-up: $got"
python3 - <<PY && svr_pass "still no authentication or key drop on either router" || svr_fail "drops: $($RA show stats --json) $($RB show stats --json)"
import json, subprocess
for cmd in ("$RA", "$RB"):
    d = json.loads(subprocess.run((cmd + " show stats --json").split(), capture_output=True, text=True).stdout)["drops"]
    assert d["auth"] == 0 and d["key-unknown"] == 0 and d["key-expired"] == 0, d
PY
svr_finish
