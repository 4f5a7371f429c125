#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Half-open connection flood (label sim, loopback, no root): issue 14 item 3.
#  1. A conductor under `ulimit -n 1024`; 1,100 TCP connections that never
#     send a byte, from 30 source addresses (a third of them from
#     127.0.0.2, the rest spread over 127.0.0.3-31), topped up 1 s
#     after the conductor closes one, for 25 s.  Meanwhile an enrolled router
#     keeps delivering alarms one after another, each within 2 s (about
#     0.1 s unloaded), all stored; a long-lived router with 1 s keepalives
#     stays connected.  The conductor uses under 25 % of a core, never holds
#     more descriptors than its limits allow, writes at most one line per
#     kind and 10 s (each saying how many it left out), and its counters at
#     exit show refusals per address and evictions of the oldest
#     unauthenticated connection.
#  2. The same with the connection limits raised out of the way and a small
#     descriptor reserve, so that accept() does hit EMFILE: accepts pause
#     (no busy loop: under 25 % of a core), "accept:" is logged at most once
#     per 10 s, and once the flood stops a router is served again.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd python3 sqlite3
cd "$SVR_TMP"
FLOOD="$SVR_SOURCE_DIR/tests/conductor_flood.py"

# start_limited VAR NOFILE DIR [run args...]: a conductor under ulimit -n.
start_limited() {
  local var=$1 nofile=$2 dir=$3; shift 3
  svr_bg - bash -c 'ulimit -n "$0" && exec "$@"' "$nofile" "$COND" --dir "$dir" \
    run --listen 127.0.0.1 --port 0 --node cnd1 -v "$@"
  local pid=$SVR_LAST_PID log=$SVR_LAST_LOG
  svr_wait_for 10 "grep -q 'listening port=' '$log'" ||
    { echo "FAIL: conductor did not start:"; cat "$log"; exit 1; }
  eval "${var}_PID=$pid ${var}_LOG='$log'"
  eval "${var}_PORT=$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$log" | head -1)"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# deliver DIR PORT NODE: one alarm, exits once acknowledged; prints ms
deliver() {
  local t0=$(date +%s%N)
  "$ROUTER" run --router r1 --node "$3" --key r1.key --known-hosts "kh.$1" \
    --conductor 127.0.0.1:$2 --raise "major:peer:flood test $3" \
    --exit-when-acked --timeout 10 >/dev/null 2>>deliver.log || { echo fail; return; }
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
HZ=$(getconf CLK_TCK)
"$ROUTER" keygen r1.key >/dev/null

echo "== 1. 1,100 half-open connections, ulimit -n 1024, default limits"
start_limited C1 1024 c1
"$COND" --dir c1 enroll r1 r1.key.pub >/dev/null
known_host c1 $C1_PORT > kh.c1
svr_bg - "$ROUTER" run --router r1 --node live --key r1.key --known-hosts kh.c1 \
  --conductor 127.0.0.1:$C1_PORT --keepalive-interval 1 -v
svr_wait_for 10 "grep -q 'router r1 node live connected' '$C1_LOG'" ||
  svr_fail "long-lived router did not connect"
base=""
for i in 1 2 3; do base="$base $(deliver c1 $C1_PORT b$i)"; done
echo "unloaded deliveries (ms):$base"
svr_bg - python3 "$FLOOD" --port $C1_PORT --count 1100 --addrs 30 --heavy 0.3 --duration 60 \
  --stop "$SVR_TMP/stop1" --ready "$SVR_TMP/ready1"
FLOOD_LOG=$SVR_LAST_LOG FLOOD_PID=$SVR_LAST_PID
svr_wait_for 20 "[ -e '$SVR_TMP/ready1' ]" || svr_fail "the flood did not get going"
lines0=$(wc -l < "$C1_LOG")
cpu0=$(cpu_ticks $C1_PID) t0=$(date +%s%N) end=$(( $(date +%s) + 25 ))
times="" bad=0 n=0 maxfd=0
while [ "$(date +%s)" -lt "$end" ]; do
  n=$((n + 1))
  ms=$(deliver c1 $C1_PORT d$n)
  times="$times $ms"
  { [ "$ms" != fail ] && [ "$ms" -lt 2000 ]; } || bad=$((bad + 1))
  f=$(nfds $C1_PID); [ "$f" -gt "$maxfd" ] && maxfd=$f
done
cpu1=$(cpu_ticks $C1_PID) t1=$(date +%s%N)
touch "$SVR_TMP/stop1"
svr_wait_for 10 "grep -q opened= '$FLOOD_LOG'"
echo "flood: $(cat "$FLOOD_LOG")"
echo "deliveries during the flood (ms):$times"
pct=$(( (cpu1 - cpu0) * 100 * 1000000000 / HZ / (t1 - t0) ))
[ "$bad" = 0 ] && svr_pass "$n deliveries during the flood, each acknowledged within 2 s" ||
  { svr_fail "$bad of $n deliveries failed or took 2 s or more"; tail -3 deliver.log; }
stored=$(q c1 "SELECT count(*) FROM alarm_events WHERE router='r1' AND node LIKE 'd%'")
[ "$stored" = "$n" ] && svr_pass "all $n alarms stored" || svr_fail "stored $stored of $n"
grep -q 'router r1 node live disconnected' "$C1_LOG" &&
  svr_fail "the long-lived router was disconnected during the flood" ||
  svr_pass "the long-lived router stayed connected"
[ "$pct" -lt 25 ] && svr_pass "conductor CPU during the flood: $pct % of a core" ||
  svr_fail "conductor CPU during the flood: $pct % of a core"
[ "$maxfd" -le 400 ] && svr_pass "conductor descriptors at most $maxfd (256 unauthenticated + routers + own)" ||
  svr_fail "conductor held $maxfd descriptors"
flood_lines=$(tail -n +$((lines0 + 1)) "$C1_LOG" | grep -cE 'connection refused|closed: |not authenticated|accept:')
[ "$flood_lines" -le 24 ] && svr_pass "$flood_lines flood log lines in ~25 s (at most one per kind and 10 s)" ||
  svr_fail "$flood_lines flood log lines in ~25 s"
summ=$(grep -E 'connection refused: .* \([1-9][0-9]* more refusals since|closed: .* \([1-9][0-9]* more such closes since|[1-9][0-9]* (refusals at the per-address limit|closes at the unauthenticated limit) were not logged' "$C1_LOG" | tail -1)
[ -n "$summ" ] && svr_pass "lines summarise the ones left out: ${summ#*warning: }" ||
  svr_fail "no summarising line"
kill $C1_PID; svr_wait_for 10 "! kill -0 $C1_PID 2>/dev/null"
c=$(grep -o 'counters: .*' "$C1_LOG")
echo "$c"
[[ "$c" =~ refused\ ([1-9][0-9]*)\ \(per-address ]] && [[ "$c" =~ evicted\ ([1-9][0-9]*) ]] &&
  svr_pass "counters: per-address refusals and evictions" || svr_fail "counters: '$c'"

echo "== 2. limits out of the way: accept() hits EMFILE"
start_limited C2 200 c2 --max-unauth 100000 --max-unauth-per-addr 100000 --fd-reserve 1
"$COND" --dir c2 enroll r1 r1.key.pub >/dev/null
known_host c2 $C2_PORT > kh.c2
svr_bg - python3 "$FLOOD" --port $C2_PORT --count 400 --addrs 20 --duration 60 \
  --stop "$SVR_TMP/stop2"
FLOOD2_LOG=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'accept: Too many open files' '$C2_LOG'" &&
  svr_pass "accept() ran out of descriptors" || svr_fail "no EMFILE seen"
cpu0=$(cpu_ticks $C2_PID) t0=$(date +%s%N)
sleep 8 # a measurement window (CPU used while out of descriptors), not a wait for an event
cpu1=$(cpu_ticks $C2_PID) t1=$(date +%s%N)
pct=$(( (cpu1 - cpu0) * 100 * 1000000000 / HZ / (t1 - t0) ))
[ "$pct" -lt 25 ] && svr_pass "conductor CPU while out of descriptors: $pct % of a core" ||
  svr_fail "conductor CPU while out of descriptors: $pct % of a core"
ne=$(grep -c 'accept: ' "$C2_LOG")
[ "$ne" -le 3 ] && svr_pass "$ne 'accept:' lines: $(grep -o 'accept: .*' "$C2_LOG" | tail -1)" ||
  svr_fail "$ne 'accept:' lines"
touch "$SVR_TMP/stop2"
svr_wait_for 10 "grep -q opened= '$FLOOD2_LOG'"
ms=$(deliver c2 $C2_PORT after)
[ "$ms" != fail ] && svr_pass "after the flood a router is served again ($ms ms)" ||
  { svr_fail "no delivery after the flood"; tail -3 deliver.log; }
kill $C2_PID; svr_wait_for 10 "! kill -0 $C2_PID 2>/dev/null"
c=$(grep -o 'counters: .*' "$C2_LOG"); echo "$c"
[[ "$c" =~ accept\ EMFILE\ ([1-9][0-9]*) ]] && svr_pass "counters: accept EMFILE ${BASH_REMATCH[1]}" ||
  svr_fail "counters: '$c'"
svr_finish
