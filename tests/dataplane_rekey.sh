#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Rekey in the middle of a transfer (issue 12): a 50 MB curl through the two
# routers (rate-limited so it lasts several seconds) while both routers take
# three new keys in turn (key add on both, then key activate on both, ids
# 2, 3, 4): the transfer completes with the right sha256 and no reset, the
# session ends up sending with key 4 on both routers, the core counted the
# rekeys and no packet failed authentication.  A key id that is not installed
# cannot be activated (an error, nothing changes), and the key never appears
# in the routers' logs.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

dp_topo
dp_router_conf A >/dev/null
dp_router_conf B >/dev/null
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"

mkdir -p www
want=$(dp_gen_file www/big.bin 50)
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"
# 50 MB at 10 MB/s: about 5 s
svr_bg C curl -sS --fail --connect-timeout 5 --max-time 60 --limit-rate 10M \
  -o "$SVR_TMP/got.bin" http://10.2.0.2:8080/big.bin
CURL=$SVR_LAST_PID
svr_wait_for 10 "[ -s '$SVR_TMP/got.bin' ]" || svr_fail "transfer did not start"

# not installed yet: refused, nothing changes
if $RA key activate routerB 9 >act9.out 2>&1; then
  svr_fail "activating an unknown key id succeeded: $(cat act9.out)"
else
  grep -q "key 9 for routerB: not installed" act9.out && svr_pass "an unknown key id cannot be activated ($(tail -1 act9.out))" \
    || svr_fail "unknown key id: $(cat act9.out)"
fi
KEYS=""
for id in 2 3 4; do
  key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  KEYS="$KEYS $key"
  $RA key add routerB $id <<<"$key" >/dev/null && $RB key add routerA $id <<<"$key" >/dev/null \
    || svr_fail "key add $id"
  $RA key activate routerB $id >/dev/null && $RB key activate routerA $id >/dev/null \
    || svr_fail "key activate $id"
  # the session's packets now go out under this key (then the next one)
  svr_wait_for 5 "$RA show sessions --json | grep -q '\"security_id\": $id}'" \
    || svr_fail "A's session did not switch to key $id"
  svr_wait_for 5 "$RB show sessions --json | grep -q '\"security_id\": $id}'" \
    || svr_fail "B's session did not switch to key $id"
done
size_now=$(stat -c %s "$SVR_TMP/got.bin")
echo "three rekeys done with $size_now of 52428800 bytes received"
wait $CURL; rc=$?
got=$(dp_sha256_file got.bin)
[ $rc = 0 ] && [ "$got" = "$want" ] && [ "$size_now" -lt 52428800 ] \
  && svr_pass "50 MB transfer survived three rekeys in its middle (at $size_now bytes): sha256 equal, curl exit 0" \
  || svr_fail "rekey transfer: rc=$rc sha=$got want=$want at_rekey=$size_now"
python3 - <<PY && svr_pass "the HTTP session sends with key 4 on both routers; rekeys counted; no authentication or key drop" || svr_fail "after rekey: $($RA show sessions --json) $($RA show stats --json)"
import json, subprocess
def run(cmd):
    return json.loads(subprocess.run(cmd.split(), capture_output=True, text=True).stdout)
for cmd in ("$RA", "$RB"):
    ss = [s for s in run(cmd + " show sessions --json")["sessions"]
          if s["protocol"] == "tcp" and s["destination"] == "10.2.0.2:8080"]
    assert ss and all(s["security_id"] == 4 for s in ss), ss
    st = run(cmd + " show stats --json")
    d = st["drops"]
    assert d["auth"] == 0 and d["key-unknown"] == 0 and d["key-expired"] == 0, d
    assert st["rekeys"] >= 3, st["rekeys"]
PY
leak=0
for k in $KEYS $DP_KEY; do
  grep -qi "$k" "$DP_ROUTER_LOG_A" "$DP_ROUTER_LOG_B" && leak=1
done
[ $leak = 0 ] && svr_pass "no key appears in either router's log" || svr_fail "a key appears in a router log"
svr_finish
