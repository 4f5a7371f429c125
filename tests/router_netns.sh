#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router in network namespaces (label netns, root): three routers in a
# mesh, each link impaired differently.
#
#   A --(veth, nft drops 20 % of echo datagrams into A)-- B
#   A --(veth, cut during the test)---------------------- C
#   B --(veth)-- M: UDP relay, +10 ms each way --(veth)-- C
#
# Checks:
#  - every router sees both peers up; show peers --json / detail --json pass
#    the field-by-field schema check (tests/router_json_check.py);
#  - loss on A -> B: nft `numgen random mod 100 < 20` drops echo datagrams
#    (those that start with the SVR cookie, not BFD) on A's input, so each of
#    A's replies is lost with p = 0.2.  Over n >= 600 echo requests the
#    measured loss must be within 20 +- 6.5 points: 4 standard deviations of
#    a binomial proportion, sqrt(0.2 * 0.8 / 600) = 1.63 points (two-sided
#    false alarm about 6e-5);
#  - latency on B <-> C through the relay (tests/router_udp_relay.c): round
#    trip = 2 x 10 ms + the unrelayed baseline (A <-> C), within 2 ms, seen
#    from B and C.  The figure compared is the median of 5 consecutive burst
#    results, so one burst disturbed by a busy CPU does not decide;
#  - cutting A -- C: router-a declares the path down within the session's
#    detection time (shown as detect_time_ms; 3 x 100 ms here) + 250 ms,
#    timed from the cut to the "up -> down" line in its own log (polling
#    `show peers` from a shell on a loaded machine adds hundreds of ms of
#    its own), and `show peers` on A and C then says down; A -- B and
#    B -- C stay up.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
R="$SVR_BUILD_DIR/cli/svr-router"
CHECK="$SVR_SOURCE_DIR/tests/router_json_check.py"
RELAY="$SVR_BUILD_DIR/tests/router_udp_relay"
svr_require_cmd "$R" "$RELAY" python3 nft ip
T=$SVR_TMP
PORT=1280
DELAY_MS=10
DETECT_MS=300

for n in A B C M; do svr_ns_add $n; done
svr_veth A 10.78.1.1/24 B 10.78.1.2/24 vAB vBA
svr_veth A 10.78.2.1/24 C 10.78.2.3/24 vAC vCA
svr_veth B 10.78.3.2/24 M 10.78.3.9/24 vBM vMB
svr_veth C 10.78.4.3/24 M 10.78.4.9/24 vCM vMC

printf '%s\n' "table inet svrloss {" \
  "  chain in {" \
  "    type filter hook input priority 0; policy accept;" \
  "    iifname \"vAB\" udp dport $PORT @th,64,64 0x4c48dbc6ddf6670c numgen random mod 100 < 20 counter drop" \
  "  }" "}" >"$T/loss.nft"
ip netns exec "$(svr_ns A)" nft -f "$T/loss.nft" || { echo "FAIL: nft"; exit 1; }

common() {
  printf '%s\n' "node node1" "control-socket $T/$1.sock" \
    "desired-tx-interval 100" "required-min-rx-interval 100" \
    "required-min-echo-interval 5" "multiplier 3" "hold-down-time 0ms" \
    "link-test-interval 1" "link-test-length 10"
}
{
  echo "router router-a"; common a
  printf '%s\n' "[interface to-b]" "address 10.78.1.1" \
    "[interface to-c]" "address 10.78.2.1" \
    "[neighborhood ab]" "interface to-b" "link-test-length 100" \
    "[neighborhood ac]" "interface to-c" \
    "[adjacency router-b]" "neighborhood ab" "address 10.78.1.2" \
    "[adjacency router-c]" "neighborhood ac" "address 10.78.2.3"
} >"$T/a.conf"
{
  echo "router router-b"; common b
  printf '%s\n' "[interface to-a]" "address 10.78.1.2" \
    "[interface to-c]" "address 10.78.3.2" \
    "[neighborhood ab]" "interface to-a" "link-test-length 100" \
    "[neighborhood bc]" "interface to-c" \
    "[adjacency router-a]" "neighborhood ab" "address 10.78.1.1" \
    "[adjacency router-c]" "neighborhood bc" "address 10.78.3.9"
} >"$T/b.conf"
{
  echo "router router-c"; common c
  printf '%s\n' "[interface to-a]" "address 10.78.2.3" \
    "[interface to-b]" "address 10.78.4.3" \
    "[neighborhood ac]" "interface to-a" \
    "[neighborhood bc]" "interface to-b" \
    "[adjacency router-a]" "neighborhood ac" "address 10.78.2.1" \
    "[adjacency router-b]" "neighborhood bc" "address 10.78.4.9"
} >"$T/c.conf"

# SCHED_FIFO for the relay and the routers: on a busy machine, run-queue
# waits would otherwise add milliseconds to every hop that no link has.
RT=(); command -v chrt >/dev/null && RT=(chrt -f 20)
svr_bg M "${RT[@]}" "$RELAY" 10.78.3.9:$PORT 10.78.3.2:$PORT 10.78.4.9:$PORT 10.78.4.3:$PORT $DELAY_MS
RELAY_LOG=$SVR_LAST_LOG
svr_wait_for 5 "grep -q ready '$RELAY_LOG'" || { echo "FAIL: relay"; cat "$RELAY_LOG"; exit 1; }
declare -A LOG
for x in a b c; do
  svr_bg "${x^^}" "${RT[@]}" "$R" -c "$T/$x.conf"
  LOG[$x]=$SVR_LAST_LOG
done

# show ROUTER [args]: the control socket is a file, reachable from here
show() { "$R" -s "$T/$1.sock" show peers "${@:2}"; }
field() { # field ROUTER PEER KEY -> value from detail --json
  show "$1" detail --json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin)["peers"]:
    if p["peer_router"] == sys.argv[1]: print(p[sys.argv[2]])' "$2" "$3"
}
nup() { show "$1" --json 2>/dev/null | grep -o '"status":"up"' | wc -l; }
# median_latency ROUTER PEER N: median of the latency of N new bursts
median_latency() {
  "${RT[@]}" python3 - "$R" "$T/$1.sock" "$2" "$3" <<'PY'
import json, statistics, subprocess, sys, time
r, sock, peer, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seen, vals, end = None, [], time.monotonic() + 30
while len(vals) < n and time.monotonic() < end:
    d = json.loads(subprocess.run([r, "-s", sock, "show", "peers", "detail", "--json"],
                                  capture_output=True, text=True).stdout)
    p = [x for x in d["peers"] if x["peer_router"] == peer][0]
    if p["bursts"] != seen and p["latency_ms"] is not None:
        if seen is not None:
            vals.append(p["latency_ms"])
        seen = p["bursts"]
    time.sleep(0.05)
print(f"{statistics.median(vals):.3f}" if vals else "nan")
print(" ".join(f"{v:.3f}" for v in vals), file=sys.stderr)
PY
}
# until_down ROUTER PEER T0_NS: polls every 10 ms, prints the ms from T0_NS
# (date +%s%N, taken right before the cut) until the status is down
until_down() {
  "${RT[@]}" python3 - "$R" "$T/$1.sock" "$2" "$3" <<'PY'
import json, subprocess, sys, time
r, sock, peer, t0 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
while time.time_ns() - t0 < 5e9:
    d = json.loads(subprocess.run([r, "-s", sock, "show", "peers", "--json"],
                                  capture_output=True, text=True).stdout)
    if [x for x in d["peers"] if x["peer_router"] == peer][0]["status"] == "down":
        print((time.time_ns() - t0) // 1000000); sys.exit(0)
    time.sleep(0.01)
print(99999)
PY
}

if svr_wait_for 20 '[ "$(nup a)" = 2 ] && [ "$(nup b)" = 2 ] && [ "$(nup c)" = 2 ]'; then
  svr_pass "mesh up in namespaces (through nft loss and the relay)"
else
  svr_fail "mesh not up"; for x in a b c; do tail -5 "${LOG[$x]}"; done; svr_finish
fi
for x in a b c; do
  r=$(show $x --json | python3 "$CHECK" --expect-peers 2 --expect-up 2) &&
    svr_pass "router-$x --json schema: $r" || svr_fail "router-$x --json: $r"
done

# latency through the relay: median of 5 bursts, against the baseline
base=$(median_latency a router-c 3 2>/dev/null)
for pair in "b router-c" "c router-b"; do
  set -- $pair
  lat=$(median_latency $1 $2 5 2>"$T/samples")
  if python3 -c "import sys; lat,base,d=map(float,sys.argv[1:]); sys.exit(0 if abs(lat-(2*d+base))<=2.0 else 1)" \
       "$lat" "$base" "$DELAY_MS"; then
    svr_pass "router-$1 -> $2 latency $lat ms = 2 x ${DELAY_MS} ms + baseline $base ms (+-2 ms; bursts: $(cat "$T/samples"))"
  else
    svr_fail "router-$1 -> $2 latency $lat ms, expected $((2 * DELAY_MS)) + $base ms +-2 (bursts: $(cat "$T/samples"))"
  fi
done
echo "--- router-b: show peers detail"; show b detail

# loss A -> B over >= 600 echo requests
if svr_wait_for 60 '[ "$(field a router-b echo_sent)" -ge 600 ]'; then
  read -r sent got < <(show a detail --json | python3 -c '
import json,sys
p=[x for x in json.load(sys.stdin)["peers"] if x["peer_router"]=="router-b"][0]
print(p["echo_sent"], p["echo_received"])')
  if python3 -c "import sys; s,g=map(int,sys.argv[1:]); l=100*(s-g)/s; print(f'{l:.2f}'); sys.exit(0 if abs(l-20)<=6.5 else 1)" "$sent" "$got" >"$T/loss"; then
    svr_pass "router-a -> router-b loss $(cat "$T/loss") % over $sent requests (20 +- 6.5)"
  else
    svr_fail "router-a -> router-b loss $(cat "$T/loss") % over $sent requests"
  fi
  echo "last burst loss on A -> B: $(field a router-b loss_pct) %"
else
  svr_fail "not enough echo requests on A -> B"
fi
r=$(show a detail --json | python3 "$CHECK" --detail --expect-peers 2 --expect-up 2) &&
  svr_pass "router-a detail --json schema: $r" || svr_fail "router-a detail --json: $r"
echo "--- router-a: show peers detail"; show a detail

# cut A -- C
detect=$(field a router-c detect_time_ms)
t0=$(date +%s%N)
ip -n "$(svr_ns A)" link set vAC down
ms=$(until_down a router-c "$t0")
grep -E "router-c" "${LOG[a]}" | tail -4
# the daemon's own time of the transition (log lines start with ISO-8601
# UTC with milliseconds: 2026-12-08T00:30:01.123Z)
ms_log=$(python3 - "${LOG[a]}" "$t0" <<'PY'
import calendar, re, sys, time
t0 = int(sys.argv[2])
last = None
for line in open(sys.argv[1]):
    if re.search(r"router-a -> router-c via \S+: up -> down", line):
        last = line
m = last and re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z ", last)
if not m:
    print(99999)
    sys.exit()
t = calendar.timegm(time.strptime(m[1], "%Y-%m-%dT%H:%M:%S")) + int(m[2]) / 1000
print(int((t * 1e9 - t0) // 1e6))
PY
)
if [ "$ms_log" -ge 0 ] && [ "$ms_log" -le $((detect + 250)) ] && [ "$ms" -lt 5000 ]; then
  svr_pass "cut A -- C: router-a declared router-c down ${ms_log} ms after the cut (detection time $detect ms + 250; show peers said so after $ms ms)"
else
  svr_fail "cut A -- C: down in router-a's log after ${ms_log} ms, in show peers after $ms ms (detection time $detect ms + 250)"
fi
svr_wait_for 5 '[ "$(field c router-a status)" = down ]' &&
  svr_pass "router-c shows router-a down" || svr_fail "router-c still shows router-a"
# for two more detection times the other paths must stay up
t1=$(( $(date +%s%N) + 2 * DETECT_MS * 1000000 ))
ok=1
while [ "$(date +%s%N)" -lt $t1 ]; do
  [ "$(field a router-b status)" = up ] && [ "$(field b router-c status)" = up ] || { ok=0; break; }
done
if [ $ok = 1 ] && [ "$(field b router-a status)" = up ] && [ "$(field c router-b status)" = up ]; then
  svr_pass "A -- B and B -- C stay up"
else svr_fail "other paths went down"; fi
r=$(show a detail --json | python3 "$CHECK" --detail --expect-peers 2 --expect-up 1) &&
  svr_pass "router-a detail --json after the cut: $r" || svr_fail "after cut: $r"
echo "--- router-a after the cut"; show a detail
svr_finish
