#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's main job: builds svr-suite and runs a small live network.
#
#   1. two svr-bfd endpoints bring a BFD peer path Up and print the table;
#      svr-pmtu finds the path MTU between them and (as root) svr-fwdet
#      probes it for a stateful firewall;
#   2. three svr-router daemons peer in a mesh, measure every path with echo
#      bursts and print `show peers detail` (latency, jitter, loss, MOS);
#      router-c is killed and router-a's peer alarms appear on a conductor;
#   3. a conductor node and two router nodes on the SSH management channel:
#      alarms stored and acknowledged, a silent router node detected;
#   4. the data plane: client - routerA - routerB - server, two svr-routers
#      forwarding (AES-256-GCM); curl of a 50 MB file (sha256 compared) and
#      ping through them, what the A-B link sees, `show sessions`, `show stats`.
#
# As root each part runs in network namespaces joined by veth links; without
# root, parts 1-3 run on loopback addresses (127.0.0.x) and part 4 is skipped
# with the reason (forwarding needs root: TUN devices, nftables, routes).
# Everything started is stopped by PID and every namespace deleted on exit.
# Exit 0 when every part that can run worked.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export SVR_BUILD_DIR=${SVR_BUILD_DIR:-$here/build}
build=$SVR_BUILD_DIR

"$here/tests/install-deps.sh"
echo "== building svr-suite in $build"
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
trap 'exit 1' INT TERM

bfd="$build/cli/svr-bfd"
if [ "$(id -u)" = 0 ]; then
  mode="network namespaces"
  a="svrdemoA$$"; b="svrdemoB$$"
  ip netns add "$a"; nss+=("$a"); ip netns add "$b"; nss+=("$b")
  ip -n "$a" link set lo up; ip -n "$b" link set lo up
  ip link add vA netns "$a" type veth peer name vB netns "$b"
  ip -n "$a" addr add 10.77.0.1/24 dev vA; ip -n "$a" link set vA up
  ip -n "$b" addr add 10.77.0.2/24 dev vB; ip -n "$b" link set vB up
  addrA=10.77.0.1; addrB=10.77.0.2
  runA=(ip netns exec "$a"); runB=(ip netns exec "$b")
else
  mode="loopback"
  addrA=127.0.0.1; addrB=127.0.0.2
  runA=(); runB=()
fi

echo
echo "==== 1. svr-bfd ($mode): a BFD peer path between router-a ($addrA) and router-b ($addrB)"
"${runB[@]}" "$bfd" --local "$addrB" --peer "$addrA" --router-name router-b \
  --node-name node1 --tx 300 --rx 300 --hold-down 0 >"$tmp/b.log" 2>&1 &
bfdB=$!
pids+=($bfdB)
echo "\$ svr-bfd --local $addrA --peer $addrB --router-name router-a --node-name node1 --tx 300 --rx 300 --hold-down 0 --once"
"${runA[@]}" "$bfd" --local "$addrA" --peer "$addrB" --router-name router-a \
  --node-name node1 --tx 300 --rx 300 --hold-down 0 --once --timeout 10
echo "(--once is a probe: 'down -> up' means router-b answered; router-b itself"
echo " went no further than Init, and the last line, 'up -> admin-down', is the"
echo " probe telling it that it leaves on purpose: intended, no flap for router-b)"

echo
echo "==== 1b. svr-pmtu: the path MTU between them (a responder on router-b)"
"${runB[@]}" "$build/cli/svr-pmtu" respond --bind "$addrB" --port 1290 --quiet &
pids+=($!)
for _ in $(seq 50); do "${runB[@]}" ss -Hlun "sport = :1290" | grep -q . && break; sleep 0.1; done
echo "\$ svr-pmtu probe --peer $addrB --port 1290 --max 9000"
"${runA[@]}" "$build/cli/svr-pmtu" probe --peer "$addrB" --port 1290 --max 9000 --quiet
kill "$bfdB" 2>/dev/null || true; wait "$bfdB" 2>/dev/null || true  # frees 1280/UDP
if [ "$(id -u)" = 0 ]; then
  echo
  echo "==== 1c. svr-fwdet: is there a stateful firewall between them? (about 3 s)"
  "${runB[@]}" "$build/cli/svr-fwdet" respond --router-name router-b --node-name node1 \
    >"$tmp/fwdet-b.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do grep -q responding "$tmp/fwdet-b.log" 2>/dev/null && break; sleep 0.1; done
  echo "\$ svr-fwdet probe --peer $addrB --port 0"
  "${runA[@]}" "$build/cli/svr-fwdet" probe --peer "$addrB" --port 0 \
    --router-name router-a --node-name node1 || true
else
  echo "(svr-fwdet probe needs CAP_NET_RAW: run the demo as root to see it)"
fi

echo
echo "==== 2. svr-router: three routers peering in a mesh, alarms to a conductor"
"$here/examples/demo-router.sh"

echo
echo "==== 3. svr-conductor: the router-conductor management channel"
"$here/examples/demo-conductor.sh"

echo
echo "==== 4. the data plane: curl and ping through two svr-routers"
"$here/examples/demo-dataplane.sh"
echo
if [ "$(id -u)" = 0 ]; then
  echo "== demo finished: every part worked"
else
  echo "== demo finished: parts 1-3 worked; part 4 (the data plane) needs root"
fi
cat <<'EON'

What to try next:
  - the man pages: svr-router(1), svr-bfd(1), libsvrbfd(3) ... once
    installed with 'cmake --install build' (sources in man/);
  - your own routers: examples/router-a.conf, checked by
    'svr-router -c FILE check' (docs/svr-router.md);
  - the firewall rules they need: 'svr-ports --format nft examples/router-a.conf';
  - the data plane in detail: docs/dataplane.md; the tests: tests/run.sh.
EON
