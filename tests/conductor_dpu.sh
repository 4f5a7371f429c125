#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Dynamic peer update (issue 15): routers A, B, C (svr-router, BFD only)
# on one WAN segment (a bridge in namespace W: A 10.7.0.1, B 10.7.0.2,
# C 10.7.0.3, neighborhood "internet"), full mesh, and a conductor node in
# namespace M on separate management links (A 10.9.1.1 - M 10.9.1.2, B
# 10.9.2.x, C 10.9.3.x).  Security elements A-B, A-C, B-C tell the
# conductor who peers with whom.  C's interface has `dynamic-address cW`.
# BFD: 100 ms intervals, multiplier 3 (detection 300 ms), hold-down 0.
#  1. Start: C reports 10.7.0.3 (show dynamic-peer-update), all six paths
#     Up.
#  2. C's address is deleted: A and B log their path to C down (detection,
#     judged from their own logs); a new address 10.7.0.33 is added: C
#     moves (its own log), the conductor pushes it, A and B move their
#     adjacency to C and the paths are Up again at 10.7.0.33.  Times are
#     taken from the daemons' logs (ms stamps): propagation = C's move ->
#     A's/B's "dynamic peer update from the conductor" line; total = C's
#     move -> "peer path ... up".  Bound: propagation < 2 s and total <
#     propagation + 1 s (BFD's transmit interval while not Up, RFC 5880
#     6.8.3) + detection time (300 ms) + 200 ms scheduling slack.  The A-B
#     path never went down.  show peers: destination 10.7.0.33 on A and B;
#     svr-conductor show dynamic-peer-update --json: learned 10.7.0.33 (1
#     change), pushed to A and B.
#  3. sync peer addresses --router routerA: exit 0, the daemon re-pushes
#     (log) and A changes nothing; unknown router: exit 1; bad syntax:
#     exit 2.
#  4. Conductor stopped, C moves to 10.7.0.34: A and B see C down and stay
#     down for 3 s (more than twice the bound of 2; nothing tells them);
#     the conductor back (same database and port): the routers reconnect,
#     C reports, A and B come Up at 10.7.0.34.
#  5. C restarted with the file still at 10.7.0.3: it starts at the
#     device's address 10.7.0.34 (logged) and every path is up again; the
#     conductor counts no change.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
R="$SVR_BUILD_DIR/cli/svr-router"
C="$SVR_BUILD_DIR/cli/svr-conductor"
RN="$SVR_BUILD_DIR/cli/svr-conductor-router"
svr_require_cmd "$R" "$C" "$RN" python3
cd "$SVR_TMP"

declare -A WAN=([A]=10.7.0.1 [B]=10.7.0.2 [C]=10.7.0.3) MG=([A]=1 [B]=2 [C]=3)
svr_ns_add W
svr_ns_add M
ip -n "$(svr_ns W)" link add br0 type bridge
ip -n "$(svr_ns W)" link set br0 up
for x in A B C; do
  svr_ns_add $x
  lx=${x,,}
  ip link add ${lx}W netns "$(svr_ns $x)" type veth peer name w$x netns "$(svr_ns W)"
  ip -n "$(svr_ns W)" link set w$x master br0 up
  ip -n "$(svr_ns $x)" addr add ${WAN[$x]}/24 dev ${lx}W
  ip -n "$(svr_ns $x)" link set ${lx}W up
  svr_veth $x 10.9.${MG[$x]}.1/24 M 10.9.${MG[$x]}.2/24 ${lx}M m$x
done

mkdir -p cnd
for x in A B C; do
  "$RN" keygen "$SVR_TMP/router$x.key" >/dev/null
  "$C" --dir cnd enroll router$x "$SVR_TMP/router$x.key.pub" >/dev/null
done
for p in "routerA routerB" "routerA routerC" "routerB routerC"; do
  "$C" --dir cnd security add $p >/dev/null || svr_fail "security add $p"
done
start_conductor() {
  svr_bg M "$C" --dir "$SVR_TMP/cnd" run --port 930 --node cnd1 -v
  PID_C=$SVR_LAST_PID; LOG_C=$SVR_LAST_LOG
  svr_wait_for 10 "grep -q 'listening port=' '$LOG_C'" || {
    cat "$LOG_C"; svr_fail "conductor did not start"; svr_finish; }
}
start_conductor
hk=$(cut -d' ' -f1,2 cnd/ssh_host_ed25519_key.pub)
for x in A B C; do echo "[10.9.${MG[$x]}.2]:930 $hk"; done >known_hosts

declare -A LOG PID
for x in A B C; do
  {
    echo "router router$x"
    echo "node n1"
    echo "control-socket $SVR_TMP/$x.sock"
    echo "conductor 10.9.${MG[$x]}.2:930"
    echo "conductor-key $SVR_TMP/router$x.key"
    echo "conductor-known-hosts $SVR_TMP/known_hosts"
    echo "desired-tx-interval 100"
    echo "required-min-rx-interval 100"
    echo "multiplier 3"
    echo "hold-down-time 0ms"
    echo "link-test-length 0"
    echo "path-mtu-discovery disabled"
    echo "udp-transform-mode disabled"
    echo "[interface wan]"
    echo "address ${WAN[$x]}"
    [ $x = C ] && echo "dynamic-address cW"
    echo "[neighborhood internet]"
    echo "interface wan"
    for y in A B C; do
      [ $y = $x ] && continue
      echo "[adjacency router$y]"
      echo "neighborhood internet"
      echo "address ${WAN[$y]}"
    done
  } >$x.conf
  svr_bg $x "$R" -c "$SVR_TMP/$x.conf" run
  LOG[$x]=$SVR_LAST_LOG; PID[$x]=$SVR_LAST_PID
done
show() { "$R" -s "$SVR_TMP/$1.sock" show peers --json 2>/dev/null; }
# up X PEER ADDR: X's path to router PEER is up at ADDR
up() { show $1 | python3 -c '
import json,sys
d=json.load(sys.stdin); p=sys.argv[1]; a=sys.argv[2]
rows=[r for r in (d["peers"] if isinstance(d,dict) else d) if r["peer"].endswith(p)]
sys.exit(0 if rows and all(r["status"]=="up" and r["destination"]==a for r in rows) else 1)' "$2" "$3" 2>/dev/null; }
dpu() { "$C" --dir "$SVR_TMP/cnd" show dynamic-peer-update --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }
# log times: "2026-12-08T00:30:01.123Z svr-router[...]: ..." (ISO-8601
# UTC) -> ms since midnight UTC of
# the first line after line N matching a fixed string
ms_of() { # LOG FROM_LINE STRING
  tail -n +"$(( $2 + 1 ))" "$1" | grep -F -m1 -- "$3" | awk '{
    split($1, t, "[T:.Z]"); printf "%d\n", ((t[2]*60 + t[3])*60 + t[4])*1000 + t[5] }'
}
lines() { wc -l <"$1"; }

echo "== 1. start"
if svr_wait_for 30 'up A routerB 10.7.0.2 && up A routerC 10.7.0.3 && up B routerA 10.7.0.1 && up B routerC 10.7.0.3 && up C routerA 10.7.0.1 && up C routerB 10.7.0.2'; then
  svr_pass "all six peer paths up"
else
  for x in A B C; do show $x; tail -5 "${LOG[$x]}"; done
  svr_fail "paths did not come up"; svr_finish
fi
svr_wait_for 20 '[ "$(dpu "[(l[\"router\"], l[\"neighborhood\"], l[\"interface\"], l[\"address\"], l[\"port\"]) for l in d[\"learned\"]]")" = "[('"'"'routerC'"'"', '"'"'internet'"'"', '"'"'wan'"'"', '"'"'10.7.0.3'"'"', 1280)]" ]' &&
  svr_pass "C reported its learned address: show dynamic-peer-update lists routerC internet wan 10.7.0.3:1280" ||
  svr_fail "learned at start: $(dpu d)"

echo "== 2. C's address changes"
nA=$(lines "${LOG[A]}"); nB=$(lines "${LOG[B]}"); nC=$(lines "${LOG[C]}")
ip -n "$(svr_ns C)" addr del 10.7.0.3/24 dev cW
svr_wait_for 5 "grep -q 'peer path routerA -> routerC down' <(tail -n +$((nA + 1)) '${LOG[A]}') && grep -q 'peer path routerB -> routerC down' <(tail -n +$((nB + 1)) '${LOG[B]}')" &&
  svr_pass "address removed: A and B see their path to C go down (BFD detection)" ||
  svr_fail "paths to C did not go down: $(tail -3 "${LOG[A]}")"
ip -n "$(svr_ns C)" addr add 10.7.0.33/24 dev cW
if svr_wait_for 20 'up A routerC 10.7.0.33 && up B routerC 10.7.0.33 && up C routerA 10.7.0.1 && up C routerB 10.7.0.2'; then
  svr_pass "address 10.7.0.33 added: A's and B's paths to C are up again at 10.7.0.33 (show peers)"
else
  for x in A B C; do show $x; tail -8 "${LOG[$x]}"; done
  svr_fail "paths to C not up at 10.7.0.33"
fi
t_move=$(ms_of "${LOG[C]}" "$nC" "address on cW changed 10.7.0.3 -> 10.7.0.33")
DETECT=300; TX_SLOW=1000; SLACK=200
for x in A B; do
  t_dpu=$(ms_of "${LOG[$x]}" "$(eval echo \$n$x)" "dynamic peer update from the conductor: routerC (node n1) in internet is now at 10.7.0.33")
  t_up=$(ms_of "${LOG[$x]}" "$(eval echo \$n$x)" "peer path router$x -> routerC up")
  if [ -n "$t_move" ] && [ -n "$t_dpu" ] && [ -n "$t_up" ]; then
    prop=$((t_dpu - t_move)); total=$((t_up - t_move))
    echo "router$x: propagation (C moved -> $x told) $prop ms, C moved -> path up $total ms (bound $((prop + TX_SLOW + DETECT + SLACK)) ms)"
    [ $prop -ge 0 ] && [ $prop -lt 2000 ] && [ $total -ge $prop ] &&
      [ $total -le $((prop + TX_SLOW + DETECT + SLACK)) ] &&
      svr_pass "router$x: up at the new address $total ms after C's move (propagation $prop ms < 2000; total <= propagation + 1000 (BFD slow transmit) + 300 (detection) + 200)" ||
      svr_fail "router$x timing: move=$t_move dpu=$t_dpu up=$t_up"
  else
    svr_fail "router$x: log lines missing (move=$t_move dpu=$t_dpu up=$t_up)"
  fi
done
grep -q 'peer path routerA -> routerB down' "${LOG[A]}" &&
  svr_fail "the A-B path went down" || svr_pass "the A-B path stayed up throughout"
got=$(dpu '([(l["address"], l["change_count"]) for l in d["learned"]], sorted((p["router"], p["peer"], p["address"]) for p in d["peers"] if p["peer"]=="routerC"))')
[ "$got" = "([('10.7.0.33', 1)], [('routerA', 'routerC', '10.7.0.33'), ('routerB', 'routerC', '10.7.0.33')])" ] &&
  svr_pass "show dynamic-peer-update: routerC learned 10.7.0.33 (1 change), pushed to routerA and routerB" ||
  svr_fail "show dynamic-peer-update: $got"
"$C" --dir cnd show dynamic-peer-update >dpu.txt
grep -q '^routerC *n1 *internet *wan *10.7.0.33 *1280 *1 ' dpu.txt && grep -q '^routerA *n1 *routerC *n1 *internet *10.7.0.33 *1280 ' dpu.txt &&
  svr_pass "show dynamic-peer-update table: learned and pushed rows" || { cat dpu.txt; svr_fail "table"; }

echo "== 3. sync peer addresses"
nA=$(lines "${LOG[A]}"); nCL=$(lines "$LOG_C")
out=$("$C" --dir cnd sync peer addresses --router routerA); rc=$?
[ $rc = 0 ] && svr_wait_for 5 "tail -n +$((nCL + 1)) '$LOG_C' | grep -q 'sync peer addresses, router routerA: 1 router node' && tail -n +$((nCL + 1)) '$LOG_C' | grep -q 'told router routerA node n1: routerC (node n1) in internet is at 10.7.0.33'" &&
  svr_pass "sync peer addresses --router routerA: '$out', the daemon pushed routerA its peers' addresses again" ||
  svr_fail "sync: rc=$rc out=$out log: $(tail -3 "$LOG_C")"
up A routerC 10.7.0.33 && ! tail -n +$((nA + 1)) "${LOG[A]}" | grep -q 'adjacency routerC .* removed or changed' &&
  svr_pass "the re-push changed nothing on A (same address: the path kept)" || svr_fail "A after sync: $(tail -3 "${LOG[A]}")"
"$C" --dir cnd sync peer addresses --router nosuch >/dev/null 2>err.txt; rc=$?
[ $rc = 1 ] && grep -q 'no security element with router nosuch' err.txt &&
  svr_pass "sync for a router without peers: exit 1 ($(cat err.txt))" || svr_fail "sync nosuch: rc=$rc $(cat err.txt)"
"$C" --dir cnd sync peer >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && svr_pass "sync peer (incomplete): exit 2" || svr_fail "sync peer: rc=$rc"

echo "== 4. conductor stopped during a change"
kill "$PID_C"
svr_wait_for 10 "! kill -0 $PID_C 2>/dev/null" || svr_fail "conductor did not stop"
nA=$(lines "${LOG[A]}"); nB=$(lines "${LOG[B]}"); nC=$(lines "${LOG[C]}")
ip -n "$(svr_ns C)" addr del 10.7.0.33/24 dev cW
ip -n "$(svr_ns C)" addr add 10.7.0.34/24 dev cW
svr_wait_for 5 "grep -q 'address on cW changed 10.7.0.33 -> 10.7.0.34' <(tail -n +$((nC + 1)) '${LOG[C]}')" ||
  svr_fail "C did not move to 10.7.0.34"
svr_wait_for 5 "grep -q 'peer path routerA -> routerC down' <(tail -n +$((nA + 1)) '${LOG[A]}') && grep -q 'peer path routerB -> routerC down' <(tail -n +$((nB + 1)) '${LOG[B]}')" ||
  svr_fail "paths to C did not go down"
# absence over a window: 3 s, beyond the 2-s bound of part 2
if svr_wait_for 3 "grep -q 'routerC up' <(tail -n +$((nA + 1)) '${LOG[A]}' '${LOG[B]}')"; then
  svr_fail "a path to C came up without the conductor"
else
  ! up A routerC 10.7.0.34 && ! up B routerC 10.7.0.34 &&
    svr_pass "without the conductor A and B stay down toward C (3 s, nothing tells them 10.7.0.34)" ||
    svr_fail "state without the conductor"
fi
t0=$(date +%s%N)
start_conductor
if svr_wait_for 90 'up A routerC 10.7.0.34 && up B routerC 10.7.0.34'; then
  svr_pass "conductor back: A and B up at 10.7.0.34 after $(( ($(date +%s%N) - t0) / 1000000 )) ms (reconnect backoff included)"
else
  for x in A B C; do show $x; tail -5 "${LOG[$x]}"; done; tail -5 "$LOG_C"
  svr_fail "no recovery after the conductor's return"
fi
got=$(dpu '[(l["address"], l["change_count"]) for l in d["learned"]]')
[ "$got" = "[('10.7.0.34', 2)]" ] && svr_pass "learned 10.7.0.34, 2 changes" || svr_fail "learned after return: $got"

echo "== 5. C restarted with its file still saying 10.7.0.3"
kill "${PID[C]}"
svr_wait_for 10 "! kill -0 ${PID[C]} 2>/dev/null" || svr_fail "router C did not stop"
svr_bg C "$R" -c "$SVR_TMP/C.conf" run
LOG[C]=$SVR_LAST_LOG; PID[C]=$SVR_LAST_PID
svr_wait_for 10 "grep -q 'interface wan: 10.7.0.3 is not on cW, starting at its address 10.7.0.34' '${LOG[C]}'" &&
  svr_pass "restart: C starts at the device's address 10.7.0.34, not the file's" ||
  svr_fail "C restart: $(head -3 "${LOG[C]}")"
svr_wait_for 20 'up A routerC 10.7.0.34 && up B routerC 10.7.0.34 && up C routerA 10.7.0.1 && up C routerB 10.7.0.2' &&
  svr_pass "after C's restart every path to and from C is up at 10.7.0.34" ||
  svr_fail "after C's restart: $(show C)"
got=$(dpu '[(l["address"], l["change_count"]) for l in d["learned"]]')
[ "$got" = "[('10.7.0.34', 2)]" ] && svr_pass "C's report after the restart is no change (still 2 changes)" ||
  svr_fail "learned after C's restart: $got"
for x in A B C; do
  kill -0 "${PID[$x]}" 2>/dev/null && ! grep -q 'svr-router\[router.\]: stopped' "${LOG[$x]}" ||
    svr_fail "router$x is no longer running: $(tail -2 "${LOG[$x]}")"
done
svr_pass "all three routers running at the end (none crashed)"
svr_finish
