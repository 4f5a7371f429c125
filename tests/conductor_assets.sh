#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The asset channel on 4505/4506 (docs/libconductor.md section 10), on
# loopback with kernel-chosen ports:
#  1. a router connects both asset connections over TLS 1.3 with a
#     certificate of its enrolled SSH key: show assets lists Asset Id,
#     Router, Node, Version (--software-version) and Status running;
#  2. refused, each logged by the conductor and answered with a TLS alert:
#     no client certificate, a certificate of a key that is not enrolled,
#     TLS 1.2; none of them leaves an asset row;
#  3. with the product's 12 h version check nothing is checked after 5 s
#     (show assets software: Available "-"); restarted with the test-only
#     --asset-version-check-interval 2, the reconnected router's answer
#     fills Installed and Available within the interval and a margin (the
#     stopped conductor leaves its rows disconnected, without an alarm);
#  4. the router frozen (SIGSTOP): no asset keepalive for 3 s (1 s x 3):
#     Status disconnected and asset/major "Asset r1.n1 is not running",
#     3-3.5 s after its last keepalive (2-4.5 s after the SIGSTOP, which
#     comes up to 1 s after the last); SIGCONT: it reconnects, running,
#     alarm cleared;
#  5. the router killed (SIGKILL): disconnected and the alarm within 3 s
#     (the keepalive time).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd sqlite3 openssl python3
cd "$SVR_TMP"

asset_ports() { # LOG -> "PUB REQ"
  sed -n 's/^asset ports pub=\([0-9]*\) req=\([0-9]*\)$/\1 \2/p' "$1" | tail -1
}
status() { "$COND" --dir c1 show assets --router r1 --json 2>/dev/null |
  sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p' | head -1; }
alarm_n() { q c1 "SELECT count(*) FROM alarms WHERE category='asset' AND severity=2 AND message='Asset r1.n1 is not running'"; }
within() { python3 -c "import sys; sys.exit(0 if $1 <= $3 <= $2 else 1)"; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

"$ROUTER" keygen r1.key >/dev/null
"$COND" --dir c1 enroll r1 r1.key.pub >/dev/null
cond_start C1 cnd1 c1 0 --asset-ports 0,0
read -r PUB REQ <<<"$(asset_ports "$C1_LOG")"
[ -n "$REQ" ] || { svr_fail "no 'asset ports' line: $(cat "$C1_LOG")"; svr_finish; }
known_host c1 $C1_PORT > kh
CPORT=$C1_PORT
start_router() {
  svr_bg - "$ROUTER" run --router r1 --node n1 --key r1.key --known-hosts kh \
    --conductor 127.0.0.1:$CPORT --asset-ports $PUB,$REQ \
    --software-version 6.0.3 --software-available 6.1.0 \
    --software-available 6.2.0-r2 --backoff-base-ms 200 --backoff-cap-ms 1000 -v
  R_PID=$SVR_LAST_PID R_LOG=$SVR_LAST_LOG
}
start_router

# ---- 1. connected: show assets ----------------------------------------------
if svr_wait_for 10 "[ \"\$(status)\" = running ] && \"\$COND\" --dir c1 show assets --json | grep -q '\"state\": \"connected\"'"; then
  row=$("$COND" --dir c1 show assets --router r1 | sed -n 3p)
  if [[ $row =~ ^r1\.n1\ +r1\ +n1\ +6\.0\.3\ +running\ +cnd1\ +connected ]]; then
    svr_pass "show assets: Asset Id r1.n1, Router r1, Node n1, Version 6.0.3, Status running (930 connected)"
  else
    svr_fail "show assets row: '$row'"
  fi
else
  svr_fail "asset never running: $(status); $(tail -3 "$R_LOG")"
fi
grep -q "asset channel 127.0.0.1:$PUB up" "$R_LOG" && grep -q "asset channel 127.0.0.1:$REQ up" "$R_LOG" \
  && svr_pass "router: both asset connections (4505 and 4506 roles) up over TLS" \
  || svr_fail "router log: $(grep asset "$R_LOG" | tail -3)"

# ---- 2. refused clients -----------------------------------------------------
openssl genpkey -algorithm ed25519 -out stranger.pem 2>/dev/null
openssl req -new -x509 -key stranger.pem -subj /CN=r1 -days 1 -out stranger.crt 2>/dev/null
try() { # NAME OPENSSL-ARGS...: a TLS client that says nothing
  local name=$1; shift
  timeout 10 openssl s_client -connect 127.0.0.1:$REQ -quiet "$@" </dev/null >"$name.out" 2>&1
}
n0=$(grep -c 'refused' "$C1_LOG")
try nocert -tls1_3
svr_wait_for 5 "grep -q 'refused: .*peer did not return a certificate' '$C1_LOG'" \
  && grep -q 'alert certificate required' nocert.out \
  && svr_pass "no client certificate: refused (TLS alert certificate required, logged)" \
  || svr_fail "no certificate: $(tail -2 nocert.out); $(tail -1 "$C1_LOG")"
try stranger -tls1_3 -cert stranger.crt -key stranger.pem
svr_wait_for 5 "grep -q 'refused: client key not enrolled' '$C1_LOG'" \
  && grep -q 'alert handshake failure' stranger.out \
  && svr_pass "certificate of a key not enrolled (CN r1): refused (alert handshake failure, logged)" \
  || svr_fail "stranger: $(tail -2 stranger.out); $(tail -1 "$C1_LOG")"
try tls12 -tls1_2 -cert stranger.crt -key stranger.pem
svr_wait_for 5 "grep -q 'refused: .*unsupported protocol' '$C1_LOG'" \
  && grep -q 'alert protocol version' tls12.out \
  && svr_pass "TLS 1.2: refused (alert protocol version, logged)" \
  || svr_fail "TLS 1.2: $(tail -2 tls12.out); $(tail -1 "$C1_LOG")"
# the same on 4505
timeout 10 openssl s_client -connect 127.0.0.1:$PUB -quiet -tls1_3 </dev/null >pub.out 2>&1
grep -q 'alert certificate required' pub.out \
  && svr_pass "4505 also refuses a client without a certificate" \
  || svr_fail "4505 without a certificate: $(tail -2 pub.out)"
[ "$(q c1 'SELECT count(*) FROM assets')" = 1 ] && [ $(( $(grep -c refused "$C1_LOG") - n0 )) -ge 4 ] \
  && svr_pass "the refused clients left no asset row" \
  || svr_fail "asset rows: $(q c1 'SELECT router,node FROM assets')"

# ---- 3. software version check --------------------------------------------
svr_wait_for 5 "false"
sw=$("$COND" --dir c1 show assets software --router r1 | sed -n 3p)
[[ $sw =~ ^r1\ +n1\ +6\.0\.3\ +-\ +never ]] \
  && svr_pass "12 h version check: after 5 s nothing checked yet ('$sw')" \
  || svr_fail "before the first check: '$sw'"
kill $C1_PID; svr_wait_for 5 "! kill -0 $C1_PID 2>/dev/null"
[ "$(status)" = disconnected ] && [ "$(alarm_n)" = 0 ] \
  && svr_pass "conductor stopped: its asset rows say disconnected, no asset alarm (the router did not stop)" \
  || svr_fail "after the conductor stopped: status $(status), alarm $(alarm_n)"
cond_start C1 cnd1 c1 $CPORT --asset-ports $PUB,$REQ --asset-version-check-interval 2
t0=$(date +%s%N)
if svr_wait_for 15 "\"\$COND\" --dir c1 show assets software --router r1 | sed -n 3p | grep -q '6.1.0,6.2.0-r2'"; then
  sw=$("$COND" --dir c1 show assets software --router r1 | sed -n 3p)
  [[ $sw =~ ^r1\ +n1\ +6\.0\.3\ +6\.1\.0,6\.2\.0-r2\ +20 ]] \
    && svr_pass "--asset-version-check-interval 2: show assets software Installed 6.0.3, Available 6.1.0,6.2.0-r2 ($(ms $t0 $(date +%s%N)) ms after the restart)" \
    || svr_fail "software row: '$sw'"
  "$COND" --dir c1 show assets software --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d[0]["installed"] == "6.0.3" and d[0]["available"] == ["6.1.0", "6.2.0-r2"], d' \
    && svr_pass "show assets software --json: installed and the available list" \
    || svr_fail "show assets software --json"
else
  svr_fail "never checked: $("$COND" --dir c1 show assets software); $(grep -i 'version check' "$C1_LOG" | tail -2)"
fi
svr_wait_for 10 "[ \"\$(status)\" = running ]" || svr_fail "not running after the restart: $(status)"

# ---- 4. router frozen: asset keepalives stop ----------------------------------
[ "$(alarm_n)" = 0 ] || svr_fail "asset alarm active before the freeze"
kill -STOP $R_PID; t0=$(date +%s%N)
svr_wait_for 10 "[ \"\$(status)\" = disconnected ] && [ \"\$(alarm_n)\" = 1 ]"; t1=$(date +%s%N)
wall=$(ms $t0 $t1)
line=$(grep 'no asset keepalive for' "$C1_LOG" | tail -1)
silent=$(sed -n 's/.*no asset keepalive for \([0-9.]*\) s.*/\1/p' <<<"$line")
if [ "$(status)" = disconnected ] && [ -n "$silent" ] && within 3.0 3.5 "$silent" \
   && within 2000 4500 "$wall"; then
  svr_pass "frozen router: Status disconnected and asset/major 'Asset r1.n1 is not running' ${wall} ms after SIGSTOP, ${silent} s after its last keepalive (1 s x 3: bounds [2, 4.5] s and [3, 3.5] s)"
else
  svr_fail "frozen router: status $(status), alarm $(alarm_n), ${wall} ms: $line"
fi
kill -CONT $R_PID
svr_wait_for 15 "[ \"\$(status)\" = running ] && [ \"\$(alarm_n)\" = 0 ]" \
  && svr_pass "after SIGCONT: reconnected, running, alarm cleared" \
  || svr_fail "after SIGCONT: status $(status), alarm $(alarm_n)"

# ---- 5. router killed ---------------------------------------------------------
kill -9 $R_PID; t0=$(date +%s%N)
svr_wait_for 10 "[ \"\$(status)\" = disconnected ] && [ \"\$(alarm_n)\" = 1 ]"; t1=$(date +%s%N)
wall=$(ms $t0 $t1)
if [ "$(status)" = disconnected ] && [ "$(alarm_n)" = 1 ] && [ "$wall" -le 3000 ]; then
  svr_pass "killed router: Status disconnected and the asset alarm ${wall} ms after SIGKILL (within the 3 s keepalive time)"
else
  svr_fail "killed router: status $(status), alarm $(alarm_n), ${wall} ms"
fi
"$COND" --dir c1 show alarms | grep -q 'major .* asset .*Asset r1.n1 is not running' \
  && svr_pass "show alarms: $("$COND" --dir c1 show alarms | grep 'Asset r1.n1')" \
  || svr_fail "show alarms: $("$COND" --dir c1 show alarms)"
kill -0 $C1_PID 2>/dev/null && svr_pass "conductor still running" || svr_fail "conductor died"
svr_finish
