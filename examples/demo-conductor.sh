#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-conductor demo: a conductor node and two router nodes on the SSH
# management channel.  Each router node authenticates with its own Ed25519
# key (enrolled on the conductor) and pins the conductor's host key; it raises
# an alarm, which the conductor stores in SQLite and acknowledges; then one
# router node is stopped and the conductor raises "No connectivity" for it.
# Before that, an administrator lists router-a's log files and downloads
# one through router-a's own connection (svr-conductor logs, checked by
# SHA-256).
#
#   as root:   the conductor in its own network namespace, the router nodes
#              in another, joined by a veth link (10.78.0.0/24)
#   otherwise: everything on 127.0.0.1, the conductor on a free port
#
#   SVR_BUILD_DIR   build directory (default ./build; built if missing)
# Everything started is stopped by PID and every namespace deleted on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SVR_BUILD_DIR:-$here/build}
C="$build/cli/svr-conductor"
RN="$build/cli/svr-conductor-router"
if [ ! -x "$C" ] || [ ! -x "$RN" ]; then
  cmake -S "$here" -B "$build" >/dev/null
  cmake --build "$build" -j2 --target svr-conductor svr-conductor-router >/dev/null
fi

tmp=$(mktemp -d /tmp/svrcond-demo.XXXXXX)
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

# wait_for SECONDS 'condition'
wait_for() {
  local end=$(( $(date +%s) + $1 ))
  until eval "$2"; do
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.2
  done
}

if [ "$(id -u)" = 0 ]; then
  mode="network namespaces"
  nc="svrdemoC$$"; nr="svrdemoR$$"
  ip netns add "$nc"; nss+=("$nc"); ip netns add "$nr"; nss+=("$nr")
  ip -n "$nc" link set lo up; ip -n "$nr" link set lo up
  ip link add cR netns "$nc" type veth peer name rC netns "$nr"
  ip -n "$nc" addr add 10.78.0.1/24 dev cR; ip -n "$nc" link set cR up
  ip -n "$nr" addr add 10.78.0.2/24 dev rC; ip -n "$nr" link set rC up
  runC=(ip netns exec "$nc"); runR=(ip netns exec "$nr")
  caddr=10.78.0.1; port=930    # root may bind the product's port
else
  mode="loopback"
  runC=(); runR=()
  caddr=127.0.0.1; port=0      # a free port, printed by the conductor
fi

echo "== svr-conductor demo ($mode): conductor node cnd1, router nodes router-a/node1 and router-b/node1"
mkdir -p "$tmp/cnd1"
for r in router-a router-b; do
  "$RN" keygen "$tmp/$r.key" >/dev/null
  "$C" --dir "$tmp/cnd1" enroll "$r" "$tmp/$r.key.pub"
done
# the asset channel (4505/4506 beside 930; kernel-chosen ports on loopback)
casset=(); [ "$port" = 0 ] && casset=(--asset-ports 0,0)
"$C" keygen "$tmp/admin.key" >/dev/null
echo "$(cut -d' ' -f1,2 "$tmp/admin.key.pub") demo-admin" >"$tmp/admins"
mkdir -p "$tmp/router-a.logs"
head -c 5000000 /dev/urandom | base64 >"$tmp/router-a.logs/router.log"
"${runC[@]}" "$C" --dir "$tmp/cnd1" run --listen "$caddr" --port "$port" \
  --node cnd1 --keepalive-interval 1 --keepalive-max 3 \
  --admin-keys "$tmp/admins" "${casset[@]}" -v >"$tmp/cnd1.log" 2>&1 &
pids+=($!)
wait_for 10 "grep -q 'listening port=' '$tmp/cnd1.log'" || {
  echo "conductor did not start:"; cat "$tmp/cnd1.log"; exit 1; }
port=$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$tmp/cnd1.log" | head -1)
rasset=()
[ "${#casset[@]}" -gt 0 ] && rasset=(--asset-ports "$(sed -n 's/^asset ports pub=\([0-9]*\) req=\([0-9]*\)$/\1,\2/p' "$tmp/cnd1.log")")
echo "[$caddr]:$port $(cut -d' ' -f1,2 "$tmp/cnd1/ssh_host_ed25519_key.pub")" >"$tmp/known_hosts"
echo "   conductor listening on $caddr:$port, host key pinned in known_hosts"

declare -A rpid
for r in router-a router-b; do
  "${runR[@]}" "$RN" run --router "$r" --node node1 --key "$tmp/$r.key" \
    --known-hosts "$tmp/known_hosts" --conductor "$caddr:$port" \
    --state-dir "$tmp/$r.state" --keepalive-interval 1 --bandwidth-bps 11940000 \
    --entitlement-report-s 6 --raise "info:system:$r node1 started (demo alarm)" \
    --log-dir "$tmp/$r.logs" "${rasset[@]}" --software-available 6.1.0 -v >"$tmp/$r.log" 2>&1 &
  rpid[$r]=$!
  pids+=($!)
done

alarms() { "$C" --dir "$tmp/cnd1" show alarms --json 2>/dev/null | grep -c '"message"' || true; }
wait_for 20 '[ "$(alarms)" -ge 2 ]' || {
  echo "alarms did not arrive"; cat "$tmp/cnd1.log" "$tmp/router-a.log"; exit 1; }
running() { "$C" --dir "$tmp/cnd1" show assets --json 2>/dev/null | grep -c '"status": "running"' || true; }
wait_for 10 '[ "$(running)" -ge 2 ]' || echo "   (asset channel not up: see $tmp/cnd1.log)"
echo
echo "== svr-conductor show assets (asset channel on 4505/4506 over TLS 1.3, and the 930 connection)"
"$C" --dir "$tmp/cnd1" show assets
echo
echo "== svr-conductor show alarms (stored in SQLite before each was acknowledged)"
"$C" --dir "$tmp/cnd1" show alarms

echo
adm=(--conductor "$caddr:$port" --key "$tmp/admin.key" --known-hosts "$tmp/known_hosts")
echo "== svr-conductor logs --router router-a (through router-a's own connection)"
"${runC[@]}" "$C" logs --router router-a "${adm[@]}"
echo "== svr-conductor logs --router router-a --get router.log"
"${runC[@]}" "$C" logs --router router-a --get router.log -o "$tmp/router-a.router.log" "${adm[@]}"
cmp -s "$tmp/router-a.logs/router.log" "$tmp/router-a.router.log" || {
  echo "downloaded log differs"; exit 1; }

echo
echo "== stopping router-b's node (kill -9): the conductor notices the silence"
kill -9 "${rpid[router-b]}"
wait "${rpid[router-b]}" 2>/dev/null || true
wait_for 15 "\"\$C\" --dir '$tmp/cnd1' show alarms 2>/dev/null | grep -q 'No connectivity to router-b'" || {
  echo "no connectivity alarm did not appear"; cat "$tmp/cnd1.log"; exit 1; }
"$C" --dir "$tmp/cnd1" show alarms
echo
ent() { "$C" --dir "$tmp/cnd1" show entitlement --router router-a 2>/dev/null | grep -q Mbps; }
if wait_for 15 ent; then
  echo "== svr-conductor show entitlement --router router-a (peak of 5-second intervals)"
  "$C" --dir "$tmp/cnd1" show entitlement --router router-a
fi
