#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router path MTU discovery across namespaces A - R - B (the recipe of
# tests/pmtu_netns.sh):
#   A a0 10.96.1.1/24 (1500) -- r0 10.96.1.2 [R forwards] r1 10.96.2.1 (MTU 1400) -- b0 10.96.2.2 B (1400)
# svr-router runs on A and B with three adjacencies (peer paths) A <-> B
# through R: two over IPv4 (10.96.1.1 - 10.96.2.2 and a second address pair
# 10.96.1.3 - 10.96.2.3) and one over IPv6 (fd96:1::/64 - fd96:2::/64), BFD
# every 100 ms, path-mtu-discovery-interval 2 for IPv4; for IPv6 600, with
# a black-hole check (one probe at the path MTU) every second.  Each check
# holds for every path.
# 1. ICMP allowed: `show peers --json` on A shows path_mtu exactly 1400, and
#    B (whose own interface is 1400) too; the table's Path MTU column says
#    1400; before the path is up it said "unavailable" / null.  R's
#    frag-needed / packet-too-big reaches A's peer-path socket (IP_RECVERR),
#    is validated and used: each search takes 2 probes (1500, then 1400).
#    Idle (no data traffic, only BFD, PMTU re-runs and black-hole probes on
#    the three paths, about 60 packets a second): A uses under 1 % of a
#    core over 10 s (utime + stime from /proc/PID/stat).
# 2. Black hole: R drops the frag-needed it generates (OUTPUT hook) and the
#    R-B link drops to 1300 while the daemons run: A shows exactly 1300 on
#    all three, from probe losses alone: IPv4 at its next run, IPv6 (next run
#    600 s away) through its black-hole check, which A logs.
# 3. R drops every datagram to port 1280 longer than 300 bytes (BFD and acks
#    still pass, every probe of the base size 576 is lost): A logs "Peer
#    router-b path MTU is unresolvable" and the column goes back to
#    unavailable.
# 4. B killed (no AdminDown): A sees the paths down, the column null,
#    and the ICMP port-unreachables for its BFD packets on the error queue
#    keep neither A's loop busy (under 1 % of a core over 10 s) nor its
#    socket deaf (B restarted: all paths up again and 1300 found again).
# Bounded: every wait has a deadline; processes and namespaces are removed
# by the trap in tests/lib/netns.sh.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
svr_require_cmd ip nft python3
R="$SVR_BUILD_DIR/cli/svr-router"
CHECK="$SVR_SOURCE_DIR/tests/router_json_check.py"
[ -x "$R" ] || { echo "FAIL: $R not built"; exit 1; }
T=$SVR_TMP

svr_ns_add A; svr_ns_add R; svr_ns_add B
NA=$(svr_ns A); NR=$(svr_ns R); NB=$(svr_ns B)
svr_veth A 10.96.1.1/24 R 10.96.1.2/24 a0 r0
svr_veth R 10.96.2.1/24 B 10.96.2.2/24 r1 b0
ip -n "$NR" link set r1 mtu 1400
ip -n "$NB" link set b0 mtu 1400
ip -n "$NA" addr add 10.96.1.3/24 dev a0               # the third peer path
ip -n "$NB" addr add 10.96.2.3/24 dev b0
ip -n "$NA" route add 10.96.2.0/24 via 10.96.1.2      # no default routes
ip -n "$NB" route add 10.96.1.0/24 via 10.96.2.1
ip netns exec "$NR" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NR" sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$NA" addr add fd96:1::1/64 dev a0 nodad
ip -n "$NR" addr add fd96:1::2/64 dev r0 nodad
ip -n "$NR" addr add fd96:2::1/64 dev r1 nodad
ip -n "$NB" addr add fd96:2::2/64 dev b0 nodad
ip -n "$NA" -6 route add fd96:2::/64 via fd96:1::2
ip -n "$NB" -6 route add fd96:1::/64 via fd96:2::1

conf() { # conf ME PEER MY_ADDR PEER_ADDR MY_ADDR6 PEER_ADDR6 MY_ADDR3 PEER_ADDR3
  printf '%s\n' "router router-$1" "control-socket $T/$1.sock" \
    "desired-tx-interval 100" "required-min-rx-interval 100" \
    "hold-down-time 0ms" "link-test-length 0" \
    "path-mtu-discovery-interval 2" \
    "[interface wan]" "address $3" "[interface wan6]" "address $5" \
    "[interface wan3]" "address $7" \
    "[neighborhood lab]" "interface wan" \
    "[neighborhood lab6]" "interface wan6" \
    "[neighborhood lab3]" "interface wan3" \
    "[adjacency router-$2]" "neighborhood lab" "address $4" \
    "path-mtu-confirm-interval disabled" \
    "[adjacency router-$2]" "neighborhood lab6" "address $6" \
    "path-mtu-discovery-interval 600" "path-mtu-confirm-interval 1" \
    "[adjacency router-$2]" "neighborhood lab3" "address $8" \
    "path-mtu-confirm-interval disabled" >"$T/$1.conf"
}
conf a b 10.96.1.1 10.96.2.2 fd96:1::1 fd96:2::2 10.96.1.3 10.96.2.3
conf b a 10.96.2.2 10.96.1.1 fd96:2::2 fd96:1::1 10.96.2.3 10.96.1.3

show() { "$R" -s "$T/$1.sock" show peers "${@:2}"; }
field() { # field ROUTER KEY -> the value for each peer: IPv4, IPv6, second IPv4 (None for null)
  show "$1" --json 2>/dev/null | python3 -c '
import json,sys
print(" ".join(str(p[sys.argv[1]]) for p in json.load(sys.stdin)["peers"]))' "$2" 2>/dev/null
}

svr_bg A "$R" -c "$T/a.conf"; LOG_A=$SVR_LAST_LOG; PID_A=$SVR_LAST_PID
# the first answer, before B exists: the path is down, the MTU unknown
svr_wait_for 5 "[ -S '$T/a.sock' ]" || { cat "$LOG_A"; svr_fail "A did not start"; svr_finish; }
[ "$(field a path_mtu)" = "None None None" ] && show a | grep -q 'unavailable' &&
  svr_pass "before the path is up: path_mtu null, column unavailable" ||
  svr_fail "before the path is up: path_mtu '$(field a path_mtu)'"

echo "== 1. ICMP allowed"
t0=$(date +%s%N)
svr_bg B "$R" -c "$T/b.conf"; LOG_B=$SVR_LAST_LOG; PID_B=$SVR_LAST_PID
if svr_wait_for 10 '[ "$(field a status)" = "up up up" ]'; then
  t_up=$(date +%s%N)
  svr_pass "BFD paths A - B (IPv4, IPv6, IPv4) up through R in $(( (t_up - t0) / 1000000 )) ms"
else
  cat "$LOG_A" "$LOG_B"; svr_fail "BFD paths not up"; svr_finish
fi
if svr_wait_for 20 '[ "$(field a path_mtu)" = "1400 1400 1400" ]'; then
  t1=$(date +%s%N)
  svr_pass "A: path_mtu exactly 1400 (all three paths), $(( (t1 - t_up) / 1000000 )) ms after the paths came up"
else
  cat "$LOG_A"; svr_fail "A: path_mtu '$(field a path_mtu)', expected 1400"
fi
svr_wait_for 10 '[ "$(field b path_mtu)" = "1400 1400 1400" ]' &&
  svr_pass "B: path_mtu exactly 1400 (its own interface is 1400)" ||
  svr_fail "B: path_mtu '$(field b path_mtu)'"
show a | tee "$T/table.txt"
awk 'NR >= 3 && $0 ~ / 1400( |$)/ { n++ } END { exit n != 3 }' "$T/table.txt" &&
  svr_pass "table: Path MTU column shows 1400" || svr_fail "table has no 1400"
show a detail --json >"$T/a.json" && python3 "$CHECK" --detail --expect-peers 3 --expect-up 3 <"$T/a.json" &&
  svr_pass "detail --json passes the schema check" ||
  { cat "$T/a.json"; svr_fail "schema check"; }
grep 'router-b at .*: path MTU 1400' "$LOG_A"
[ "$(grep -c 'router-b at .*: path MTU 1400 (was 0, 2 probes)' "$LOG_A")" = 3 ] &&
  svr_pass "A: all three searches used R's ICMP: 2 probes each" ||
  svr_fail "A: expected three results of 2 probes"

# idle_cpu WHAT: A's CPU time (utime + stime, /proc/PID/stat, in clock
# ticks of 10 ms) over a window of just over 10 s must stay under 1 % of
# the wall time (CPU ms x 100 < wall ms).
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # utime + stime, ticks
idle_cpu() {
  local c0 c1 w0 w1 ms wall
  c0=$(cpu "$PID_A"); w0=$(date +%s%N)
  sleep 10   # a measurement window, not a synchronisation
  c1=$(cpu "$PID_A"); w1=$(date +%s%N)
  ms=$(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )); wall=$(( (w1 - w0) / 1000000 ))
  if [ $(( ms * 100 )) -lt "$wall" ]; then
    svr_pass "A idle, $1: ${ms} ms CPU in ${wall} ms (under 1 % of a core)"
  else
    svr_fail "A not idle, $1: ${ms} ms CPU in ${wall} ms (1 % would be $(( wall / 100 )) ms)"
  fi
}
idle_cpu "three paths up (BFD every 100 ms, PMTU runs and black-hole probes)"

echo "== 2. black hole: R drops its frag-needed; R-B link 1400 -> 1300"
ip netns exec "$NR" nft -f - <<'EON'
table inet svr_rpmtu {
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr 10.96.1.0/24 icmp type destination-unreachable icmp code frag-needed counter drop
    ip6 daddr fd96:1::/64 icmpv6 type packet-too-big counter drop
  }
}
EON
ip -n "$NA" route flush cache
t2=$(date +%s%N)
ip -n "$NR" link set r1 mtu 1300
ip -n "$NB" link set b0 mtu 1300
if svr_wait_for 25 '[ "$(field a path_mtu)" = "1300 1300 1300" ]'; then
  t3=$(date +%s%N)
  drops=$(ip netns exec "$NR" nft list table inet svr_rpmtu | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
  svr_pass "A: path_mtu exactly 1300 (all three paths) $(( (t3 - t2) / 1000000 )) ms after the change, frag-needed dropped in R: ${drops:-0}"
else
  cat "$LOG_A"; svr_fail "A: path_mtu '$(field a path_mtu)', expected 1300"
fi
grep 'black hole' "$LOG_A"
[ "$(grep -c 'router-b at fd96:2::2: probes of 1400 (the path MTU) stopped being acked: black hole' "$LOG_A")" = 1 ] &&
  [ "$(grep -c 'router-b at 10.96.2.[23]: .*black hole' "$LOG_A")" = 0 ] &&
  svr_pass "IPv6 (interval 600 s): found by the black-hole check, logged; IPv4 by its re-run" ||
  svr_fail "expected one black-hole line, for fd96:2::2 only"

echo "== 3. probes of every size lost: unresolvable"
ip netns exec "$NR" nft -f - <<'EON'
table inet svr_rpmtu_big {
  chain forward {
    type filter hook forward priority 0; policy accept;
    udp dport 1280 meta length > 300 counter drop
  }
}
EON
t4=$(date +%s%N)
if svr_wait_for 40 "[ \$(grep -c 'Peer router-b path MTU is unresolvable' '$LOG_A') = 3 ]"; then
  t5=$(date +%s%N)
  svr_pass "A logged 'Peer router-b path MTU is unresolvable' for all three paths after $(( (t5 - t4) / 1000000 )) ms"
else
  tail -20 "$LOG_A"; svr_fail "no unresolvable alarm"
fi
[ "$(field a status)" = "up up up" ] && [ "$(field a path_mtu)" = "None None None" ] &&
  svr_pass "BFD paths still up, path_mtu back to null" ||
  svr_fail "after unresolvable: status '$(field a status)' path_mtu '$(field a path_mtu)'"

echo "== 4. B killed without AdminDown: ICMP port unreachable on A's error queue"
kill -KILL "$PID_B"
if svr_wait_for 5 '[ "$(field a status)" = "down down down" ]'; then
  idle_cpu "three paths down, port-unreachables for its BFD packets arriving"
  [ "$(field a path_mtu)" = "None None None" ] && svr_pass "paths down: path_mtu null" ||
    svr_fail "paths down: path_mtu '$(field a path_mtu)'"
else
  svr_fail "A did not see B down: '$(field a status)'"
fi
# B back (R still drops the big ones: remove that): A's socket still hears
ip netns exec "$NR" nft delete table inet svr_rpmtu_big
svr_bg B "$R" -c "$T/b.conf"
svr_wait_for 30 '[ "$(field a status)" = "up up up" ] && [ "$(field a path_mtu)" = "1300 1300 1300" ]' &&
  svr_pass "B restarted: A's paths up again, path_mtu 1300 again" ||
  svr_fail "after B's restart: status '$(field a status)' path_mtu '$(field a path_mtu)'"
svr_finish
