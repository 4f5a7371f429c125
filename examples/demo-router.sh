#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router demo: three routers in a full mesh peer over BFD, measure each
# path with echo bursts, and router-a prints `show peers detail`.  router-a
# also reports to a conductor node (svr-conductor on its loopback): when
# router-c is killed, router-a's alarms "Peer router-c path is down" and
# "Peer router-c is not reachable" show up on the conductor.
#
#   as root:   network namespaces joined by veth links, configured from
#              examples/router-{a,b,c}.conf (10.77.x.x)
#   otherwise: the same three routers on 127.0.0.1-3, one interface each
#
#   SVR_BUILD_DIR   build directory (default: ./build; svr-router is built
#                   there if missing)
#   DEMO_TIMEOUT    seconds to wait for peering and the first bursts (30)
#
# Everything started is stopped by PID and every namespace deleted on exit.
# Exit 0 when every path came up and has an echo result.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SVR_BUILD_DIR:-$here/build}
R="$build/cli/svr-router"
C="$build/cli/svr-conductor"
RN="$build/cli/svr-conductor-router"
timeout_s=${DEMO_TIMEOUT:-30}

if [ ! -x "$R" ] || [ ! -x "$C" ] || [ ! -x "$RN" ]; then
  cmake -S "$here" -B "$build" >/dev/null
  cmake --build "$build" -j2 --target svr-router svr-conductor \
    svr-conductor-router >/dev/null
fi

tmp=$(mktemp -d /tmp/svrrouter-demo.XXXXXX)
pids=()
nss=()
cleanup() {
  local p n
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

declare -A run
if [ "$(id -u)" = 0 ]; then
  mode="network namespaces"
  for x in a b c; do
    ns="svrdemo$x$$"
    ip netns add "$ns"; nss+=("$ns")
    ip -n "$ns" link set lo up
    run[$x]="ip netns exec $ns"
  done
  link() { # link X ADDR_X IF_X Y ADDR_Y IF_Y
    ip link add "$3" netns "svrdemo$1$$" type veth peer name "$6" netns "svrdemo$4$$"
    ip -n "svrdemo$1$$" addr add "$2/24" dev "$3"; ip -n "svrdemo$1$$" link set "$3" up
    ip -n "svrdemo$4$$" addr add "$5/24" dev "$6"; ip -n "svrdemo$4$$" link set "$6" up
  }
  link a 10.77.1.1 ab b 10.77.1.2 ba
  link a 10.77.2.1 ac c 10.77.2.3 ca
  link b 10.77.3.2 bc c 10.77.3.3 cb
  for x in a b c; do
    sed -e "s|^control-socket .*|control-socket $tmp/$x.sock|" \
        "$here/examples/router-$x.conf" >"$tmp/$x.conf"
  done
else
  mode="loopback addresses 127.0.0.1-3"
  declare -A ip=([a]=127.0.0.1 [b]=127.0.0.2 [c]=127.0.0.3)
  port=$((21280 + $$ % 1000))
  for x in a b c; do
    run[$x]=""
    {
      echo "router router-$x"
      echo "node node1"
      echo "control-socket $tmp/$x.sock"
      echo "required-min-echo-interval 100"
      echo "link-test-interval 5"
      echo "[interface lo]"
      echo "address ${ip[$x]}"
      echo "port $port"
      echo "[neighborhood lab]"
      echo "interface lo"
      for y in a b c; do
        [ "$x" = "$y" ] && continue
        printf '%s\n' "[adjacency router-$y]" "neighborhood lab" \
          "address ${ip[$y]}" "port $port"
      done
    } >"$tmp/$x.conf"
  done
fi

# A conductor node for router-a's alarms, on router-a's loopback.
mkdir -p "$tmp/cnd"
"$RN" keygen "$tmp/router-a.key" >/dev/null
"$C" --dir "$tmp/cnd" enroll router-a "$tmp/router-a.key.pub" >/dev/null
# shellcheck disable=SC2086
${run[a]} "$C" --dir "$tmp/cnd" run --listen 127.0.0.1 --port 0 --node cnd1 \
  >"$tmp/cnd.log" 2>&1 &
pids+=($!)
deadline=$(( $(date +%s) + 10 ))
until grep -q 'listening port=' "$tmp/cnd.log" 2>/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "== the conductor did not start:"; cat "$tmp/cnd.log"; exit 1
  fi
  sleep 0.1
done
cport=$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$tmp/cnd.log" | head -1)
echo "[127.0.0.1]:$cport $(cut -d' ' -f1,2 "$tmp/cnd/ssh_host_ed25519_key.pub")" \
  >"$tmp/known_hosts"
# router-a's global section gets the conductor keys
awk -v c1="conductor 127.0.0.1:$cport" -v c2="conductor-key $tmp/router-a.key" \
    -v c3="conductor-known-hosts $tmp/known_hosts" \
    '/^\[/ && !done { print c1; print c2; print c3; done = 1 } { print }' \
    "$tmp/a.conf" >"$tmp/a.conf.new" && mv "$tmp/a.conf.new" "$tmp/a.conf"

echo "== svr-router demo ($mode): router-a, router-b, router-c in a mesh;"
echo "   router-a reports to conductor node cnd1 (127.0.0.1:$cport)"
declare -A rpid
for x in a b c; do
  # shellcheck disable=SC2086
  ${run[$x]} "$R" -c "$tmp/$x.conf" >"$tmp/$x.log" 2>&1 &
  pids+=($!)
  rpid[$x]=$!
done

ready() { # every router: 2 peers up, each with an evaluated echo burst
  local x
  for x in a b c; do
    "$R" -s "$tmp/$x.sock" show peers detail --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if len(d["peers"]) == 2 and all(
    p["status"] == "up" and p["bursts"] > 0 for p in d["peers"]) else 1)' \
      2>/dev/null || return 1
  done
}
deadline=$(( $(date +%s) + timeout_s ))
until ready; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "== peering did not complete within ${timeout_s}s; router-a's log:"
    cat "$tmp/a.log"
    "$R" -s "$tmp/a.sock" show peers detail || true
    exit 1
  fi
  sleep 0.2
done

echo "== router-a: svr-router show peers"
"$R" -s "$tmp/a.sock" show peers
echo
echo "== router-a: svr-router show peers detail"
"$R" -s "$tmp/a.sock" show peers detail
echo
echo "== router-b: svr-router show peers detail --json"
"$R" -s "$tmp/b.sock" show peers detail --json
echo
echo "== router-c killed (kill -9, no AdminDown): router-a's alarms on the conductor"
{ kill -9 "${rpid[c]}"; wait "${rpid[c]}" || true; } 2>/dev/null
deadline=$(( $(date +%s) + 15 ))
until "$C" --dir "$tmp/cnd" show alarms 2>/dev/null | grep -q 'Peer router-c is not reachable'; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "== the alarms did not reach the conductor; router-a's log:"
    cat "$tmp/a.log"; exit 1
  fi
  sleep 0.2
done
echo "\$ svr-router show alarms        (on router-a)"
"$R" -s "$tmp/a.sock" show alarms
echo
echo "\$ svr-conductor show alarms     (on the conductor)"
"$C" --dir "$tmp/cnd" show alarms
echo
echo "== router-a's log"
cat "$tmp/a.log"
