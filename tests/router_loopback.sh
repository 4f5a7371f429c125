#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router on loopback (label sim, no root): three routers on 127.0.0.1-3
# in a mesh.  Checks peering, show peers [detail] (table and --json, schema
# checked field by field), SIGHUP keeping unchanged sessions, changing BFD
# timers without a flap (Poll Sequence) and dropping a removed adjacency,
# SIGTERM sending AdminDown.  Traffic stays on 127.0.0.0/8.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
R="$SVR_BUILD_DIR/cli/svr-router"
CHECK="$SVR_SOURCE_DIR/tests/router_json_check.py"
svr_require_cmd "$R" python3
T=$SVR_TMP
PORT=$((20000 + SVR_TAG % 20000))   # own port: parallel tests never collide
declare -A IP=([a]=127.0.0.1 [b]=127.0.0.2 [c]=127.0.0.3)
declare -A TX=()

conf() { # conf ROUTER [skip-peer]
  local x=$1 y
  {
    echo "router router-$x"
    echo "control-socket $T/$x.sock"
    echo "desired-tx-interval ${TX[$x]:-100}"
    echo "required-min-rx-interval 100"
    echo "required-min-echo-interval 5"
    echo "hold-down-time 0ms"
    echo "link-test-interval 1"
    echo "link-test-length 10"
    echo "[interface lo]"
    echo "address ${IP[$x]}"
    echo "port $PORT"
    echo "[neighborhood lab]"
    echo "interface lo"
    for y in a b c; do
      [ "$x" = "$y" ] || [ "${2:-}" = "$y" ] && continue
      echo "[adjacency router-$y]"
      echo "neighborhood lab"
      echo "address ${IP[$y]}"
      echo "port $PORT"
    done
  } >"$T/$x.conf"
}
show() { "$R" -s "$T/$1.sock" show peers "${@:2}"; }
nup() { show "$1" --json 2>/dev/null | grep -o '"status":"up"' | wc -l; }
bursts_ok() { # every path of router $1 has an evaluated burst
  show "$1" detail --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin)
sys.exit(0 if d["peers"] and all(p["bursts"]>0 for p in d["peers"]) else 1)'
}

declare -A PID
for x in a b c; do conf $x; svr_bg - "$R" -c "$T/$x.conf"; PID[$x]=$SVR_LAST_PID; LOG_x=$SVR_LAST_LOG; eval "LOG_$x=$SVR_LAST_LOG"; done
if svr_wait_for 15 '[ "$(nup a)" = 2 ] && [ "$(nup b)" = 2 ] && [ "$(nup c)" = 2 ]'; then
  svr_pass "mesh up: every router sees 2 peers up"
else
  svr_fail "mesh not up"; cat "$LOG_a"
fi
svr_wait_for 10 'bursts_ok a && bursts_ok b && bursts_ok c' &&
  svr_pass "every path has an echo result" || svr_fail "no echo results"
mtus() { # the path_mtu of every peer of router $1
  show "$1" --json 2>/dev/null | python3 -c '
import json,sys; print(" ".join(str(p["path_mtu"]) for p in json.load(sys.stdin)["peers"]))'
}
# lo has MTU 65536: the search is capped at libsvrpmtu's largest size
t0=$(date +%s%N)
if svr_wait_for 15 '[ "$(mtus a)" = "9216 9216" ] && [ "$(mtus b)" = "9216 9216" ] && [ "$(mtus c)" = "9216 9216" ]'; then
  svr_pass "path MTU 9216 on every path (lo 65536, capped) within $(( ($(date +%s%N) - t0) / 1000000 )) ms of the echo results"
else svr_fail "path MTU on loopback: a '$(mtus a)' b '$(mtus b)' c '$(mtus c)'"; fi

out=$(show a detail)
echo "$out"
if grep -q "router-a -> router-b" <<<"$out" && grep -q "Latency(ms)" <<<"$out" &&
   awk '/router-a -> router-c/ { exit !($7 == "up" && $10+0 > 0 && $13 > 4) }' <<<"$out"; then
  svr_pass "show peers detail: status up, latency > 0, MOS > 4"
else svr_fail "show peers detail table"; fi
out=$(show a)
grep -q "Path MTU" <<<"$out" && ! grep -q "Latency" <<<"$out" &&
  svr_pass "show peers (no detail columns)" || svr_fail "show peers: $out"

for x in a b c; do
  if r=$(show $x --json | python3 "$CHECK" --expect-peers 2 --expect-up 2); then
    svr_pass "router-$x --json schema: $r"; else svr_fail "router-$x --json: $r"; fi
  if r=$(show $x detail --json | python3 "$CHECK" --detail --expect-peers 2 --expect-up 2); then
    svr_pass "router-$x detail --json schema: $r"; else svr_fail "router-$x detail --json: $r"; fi
done
# the checker itself must reject a broken document
if echo '{"router":"r","node":"n","detail":false,"peers":[{"peer":"x"}]}' |
   python3 "$CHECK" >/dev/null; then svr_fail "checker accepts garbage"
else svr_pass "checker rejects a broken document"; fi

# SIGHUP with an unchanged file keeps every session; b and c see no flap
kill -HUP "${PID[a]}"
svr_wait_for 5 'grep -q "reloaded: 2 peer path(s), 2 kept unchanged" "$LOG_a"' &&
  svr_pass "SIGHUP: unchanged sessions kept" || svr_fail "SIGHUP keep: $(tail -3 "$LOG_a")"
# SIGHUP with a slower desired-tx-interval on a (100 -> 300 ms): the
# sessions stay Up through a Poll Sequence (RFC 5880 6.8.3), no flap and no
# alarm on either side, and b's detection time for a follows (3 x 300 ms)
detect_b_a() {
  show b detail --json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin)["peers"]:
    if p["peer_router"] == "router-a": print(p["detect_time_ms"])'
}
before=$(detect_b_a)
TX[a]=300; conf a
kill -HUP "${PID[a]}"
svr_wait_for 5 'grep -q "desired-tx 300 ms.*Poll Sequence" "$LOG_a"' &&
  svr_wait_for 5 '[ "$(detect_b_a)" = 900 ]' &&
  svr_pass "SIGHUP: desired-tx-interval 100 -> 300 ms by Poll Sequence, router-b's detection time for a $before -> 900 ms" ||
  svr_fail "SIGHUP timers: b detect ${before} -> $(detect_b_a); $(grep reload "$LOG_a" | tail -2)"
if grep -q -- "-> router-a via lo: up -> down" "$LOG_b" "$LOG_c" ||
   grep -q -- "router-a -> router-. via lo: up -> down" "$LOG_a" ||
   grep -q "alarm .* raised" "$LOG_a" "$LOG_b" "$LOG_c"; then
  svr_fail "timers changed by SIGHUP flapped a session or raised an alarm: $(grep -h 'up -> down\|raised' "$LOG_a" "$LOG_b" "$LOG_c" | head -3)"
else
  svr_pass "timers changed by SIGHUP: no session down, no alarm on any router"
fi
[ "$(nup a)" = 2 ] && [ "$(nup b)" = 2 ] && [ "$(nup c)" = 2 ] &&
  svr_pass "all paths still up after the timer change" || svr_fail "paths after timer change: a=$(nup a) b=$(nup b) c=$(nup c)"

# SIGHUP without router-c: a retires that path (AdminDown), c sees it down
conf a c
kill -HUP "${PID[a]}"
if svr_wait_for 5 '[ "$(show c --json | python3 -c "import json,sys; print([p[\"status\"] for p in json.load(sys.stdin)[\"peers\"] if p[\"peer_router\"]==\"router-a\"][0])")" = down ]'; then
  svr_pass "SIGHUP: removed adjacency sent AdminDown, router-c sees router-a down"
else svr_fail "SIGHUP remove"; fi
[ "$(show a --json | python3 "$CHECK" --expect-peers 1 --expect-up 1)" ] &&
  svr_pass "router-a now has 1 peer, up" || svr_fail "router-a after reload"
grep -q -- "router-a -> router-b via lo: up -> down" "$LOG_a" &&
  svr_fail "router-b session flapped on reload" || svr_pass "router-b session not dropped"
# a broken file on SIGHUP is rejected and everything stays
echo "multiplier 99" >>"$T/a.conf"
kill -HUP "${PID[a]}"
svr_wait_for 5 'grep -q "reload rejected" "$LOG_a"' && [ "$(nup a)" = 1 ] &&
  svr_pass "SIGHUP with a bad file: rejected, running config kept" || svr_fail "bad reload"

# SIGTERM on b: a and c see it down at once (AdminDown), well before detection
t0=$(date +%s%N)
kill -TERM "${PID[b]}"
if svr_wait_for 5 '[ "$(nup a)" = 0 ] && [ "$(nup c)" = 0 ]'; then
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  svr_pass "SIGTERM: peers see router-b down after ${ms} ms"
else svr_fail "SIGTERM: peers still up"; fi
grep -q "neighbor signaled session down" "$LOG_a" &&
  svr_pass "router-a got AdminDown (diag: neighbor signaled session down)" ||
  svr_fail "no AdminDown seen: $(tail -3 "$LOG_a")"
svr_wait_for 5 "! kill -0 ${PID[b]} 2>/dev/null" && svr_pass "router-b exited" || svr_fail "router-b still running"
svr_finish
