#!/usr/bin/env bash
# svr-router demo: three routers in a full mesh peer over BFD, measure each
# path with echo bursts, and router-a prints `show peers detail`.
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
timeout_s=${DEMO_TIMEOUT:-30}

if [ ! -x "$R" ]; then
  cmake -S "$here" -B "$build" >/dev/null
  cmake --build "$build" -j2 --target svr-router >/dev/null
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

echo "== svr-router demo ($mode): router-a, router-b, router-c in a mesh"
for x in a b c; do
  # shellcheck disable=SC2086
  ${run[$x]} "$R" -c "$tmp/$x.conf" >"$tmp/$x.log" 2>&1 &
  pids+=($!)
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
echo "== router-a's log"
cat "$tmp/a.log"
