#!/usr/bin/env bash
# The README's main job: builds svr-suite and runs a small live network.
#
#   as root:     routers in network namespaces joined by veth links
#   not root:    the same processes on loopback addresses (127.0.0.x)
#
# It prints what each piece reports and exits 0 when every step worked.
# Everything it starts is stopped (by PID) and every namespace deleted on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SVR_BUILD_DIR:-$here/build}

"$here/tests/install-deps.sh"
cmake -S "$here" -B "$build" >/dev/null
cmake --build "$build" -j2 >/dev/null

tmp=$(mktemp -d /tmp/svrdemo.XXXXXX)
pids=()
nss=()
cleanup() {
  local p n
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

bfd="$build/cli/svr-bfd"
if [ "$(id -u)" = 0 ]; then
  mode=netns
  a="svrdemoA$$"; b="svrdemoB$$"
  ip netns add "$a"; nss+=("$a"); ip netns add "$b"; nss+=("$b")
  ip -n "$a" link set lo up; ip -n "$b" link set lo up
  ip link add vA netns "$a" type veth peer name vB netns "$b"
  ip -n "$a" addr add 10.77.0.1/24 dev vA; ip -n "$a" link set vA up
  ip -n "$b" addr add 10.77.0.2/24 dev vB; ip -n "$b" link set vB up
  addrA=10.77.0.1; addrB=10.77.0.2
  runA=(ip netns exec "$a"); runB=(ip netns exec "$b")
else
  mode=loopback
  addrA=127.0.0.1; addrB=127.0.0.2
  runA=(); runB=()
fi

echo "== svr-suite demo ($mode): BFD peer path between router-a ($addrA) and router-b ($addrB)"
"${runB[@]}" "$bfd" --local "$addrB" --peer "$addrA" --router-name router-b \
  --node-name node1 --tx 300 --rx 300 --hold-down 0 >"$tmp/b.log" 2>&1 &
pids+=($!)
"${runA[@]}" "$bfd" --local "$addrA" --peer "$addrB" --router-name router-a \
  --node-name node1 --tx 300 --rx 300 --hold-down 0 --once --timeout 10
echo "== router-b's log"
cat "$tmp/b.log"
