#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router data-plane demo: real traffic through two SVR routers.
#
#   client ----- routerA ============ routerB ----- server
#   10.1.0.2     192.168.50.1   192.168.50.2     10.2.0.2
#
# Four network namespaces; routerA and routerB run svr-router with
# `forwarding enabled` (examples/router-dp-a.conf, router-dp-b.conf): the
# client's traffic to the server crosses the A-B link on waypoint addresses
# and ports, encrypted with AES-256-GCM (a fixed demo key), and leaves
# routerB with the client's and the server's own addresses again.  The
# server serves a file over HTTP; the client fetches it with curl (size,
# time, sha256 compared) and pings the server; a capture of the A-B link
# shows what an observer there sees; routerA prints `show sessions` and
# `show stats`.
#
# Forwarding needs root (CAP_NET_ADMIN: TUN/TAP devices, nftables, routes,
# namespaces).  Without it the demo says so, checks the two configuration
# files and exits 0: nothing else to show.
#
#   SVR_BUILD_DIR   build directory (default: ./build; svr-router is built
#                   there if missing)
#   DEMO_TIMEOUT    seconds to wait for the peer path (20)
#   DEMO_FILE_MB    size of the file the client fetches (50)
#
# Everything started is stopped by PID and every namespace deleted on exit.
# Exit 0 when the transfer, its checksum and the ping worked (or, without
# root, when the configuration files are valid).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SVR_BUILD_DIR:-$here/build}
R="$build/cli/svr-router"
timeout_s=${DEMO_TIMEOUT:-20}
size_mb=${DEMO_FILE_MB:-50}

if [ ! -x "$R" ]; then
  cmake -S "$here" -B "$build" >/dev/null
  cmake --build "$build" -j2 --target svr-router >/dev/null
fi

if [ "$(id -u)" != 0 ]; then
  echo "== skipped: forwarding needs root (CAP_NET_ADMIN for its TUN and TAP"
  echo "   devices, nftables rules and routes, and the four network namespaces);"
  echo "   run examples/demo.sh as root to see curl and ping cross two routers."
  echo "   The two configurations it would use are valid:"
  for x in a b; do
    "$R" -c "$here/examples/router-dp-$x.conf" check | sed 's/^/   /'
  done
  exit 0
fi

tmp=$(mktemp -d /tmp/svrdp-demo.XXXXXX)
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
    sleep 0.1
  done
}

declare -A ns
for x in c a b s; do
  ns[$x]="svrdp$x$$"
  ip netns add "${ns[$x]}"; nss+=("${ns[$x]}")
  ip -n "${ns[$x]}" link set lo up
done
# inns X CMD...: CMD in namespace X (foreground only: started with & use
# ip netns exec directly, so that $! is the command's own PID)
inns() { local x=$1; shift; ip netns exec "${ns[$x]}" "$@"; }
link() { # link X ADDR_X/LEN IF_X Y ADDR_Y/LEN IF_Y
  ip link add "$3" netns "${ns[$1]}" type veth peer name "$6" netns "${ns[$4]}"
  ip -n "${ns[$1]}" addr add "$2" dev "$3"; ip -n "${ns[$1]}" link set "$3" up
  ip -n "${ns[$4]}" addr add "$5" dev "$6"; ip -n "${ns[$4]}" link set "$6" up
}
link c 10.1.0.2/24 cA a 10.1.0.1/24 aC
link a 192.168.50.1/24 aB b 192.168.50.2/24 bA
link b 10.2.0.1/24 bS s 10.2.0.2/24 sB
ip -n "${ns[c]}" route add default via 10.1.0.1
ip -n "${ns[s]}" route add default via 10.2.0.1
# No route between 10.1.0.0/24 and 10.2.0.0/24 on either router: only the
# routers' data plane connects client and server.
for x in a b; do
  sed -e "s|^control-socket .*|control-socket $tmp/$x.sock|" \
      "$here/examples/router-dp-$x.conf" >"$tmp/$x.conf"
done

echo "== data-plane demo (network namespaces): client 10.1.0.2 - routerA -"
echo "   192.168.50.0/24 - routerB - server 10.2.0.2, forwarding with AES-256-GCM;"
echo "   routerA: tenant blue = 10.1.0.0/24, services web (tcp 8080) and ping"
echo "   (icmp) on 10.2.0.0/24 via routerB (examples/router-dp-a.conf)"
t0=$(date +%s.%N)
for x in a b; do
  ip netns exec "${ns[$x]}" "$R" -c "$tmp/$x.conf" >"$tmp/$x.log" 2>&1 &
  pids+=($!)
done
up() { # every peer of router $1 is up (no python: it is slow to start)
  local j
  j=$("$R" -s "$tmp/$1.sock" show peers --json 2>/dev/null) || return 1
  [[ $j == *'"status":"up"'* && $j != *'"status":"init"'* &&
     $j != *'"status":"down"'* ]]
}
gone() { ! kill -0 "${pids[0]}" 2>/dev/null || ! kill -0 "${pids[1]}" 2>/dev/null; }
if ! wait_for "$timeout_s" 'gone || { up a && up b; }' || gone; then
  echo "== the routers did not come up (within ${timeout_s}s); their logs:"
  cat "$tmp/a.log" "$tmp/b.log"
  exit 1
fi
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {
  printf "== peer path routerA - routerB up after %.1f s; routerA'"'"'s log:\n", b - a }'
sed 's/^/   /' "$tmp/a.log"

# the server: a random file over HTTP
mkdir -p "$tmp/www"
head -c "$((size_mb * 1048576))" /dev/urandom >"$tmp/www/demo.bin"
want=$(sha256sum "$tmp/www/demo.bin" | cut -d' ' -f1)
ip netns exec "${ns[s]}" python3 -m http.server --bind 10.2.0.2 --directory "$tmp/www" 8080 \
  >"$tmp/http.log" 2>&1 &
pids+=($!)
wait_for 10 "inns s ss -Hltn 'sport = :8080' | grep -q ." || {
  echo "== the HTTP server did not start:"; cat "$tmp/http.log"; exit 1; }

# failed: prints why, the routers' logs and counters, exits 1
failed() {
  echo "== $*; the routers' logs and counters:"
  cat "$tmp/a.log" "$tmp/b.log"
  "$R" -s "$tmp/a.sock" show stats || true
  "$R" -s "$tmp/b.sock" show stats || true
  exit 1
}

# what crosses the A-B link, captured on routerA's side
cap=""
if command -v tcpdump >/dev/null; then
  ip netns exec "${ns[a]}" tcpdump -n -i aB -w "$tmp/ab.pcap" -U \
    >"$tmp/tcpdump.log" 2>&1 &
  cap=$!
  pids+=("$cap")
  wait_for 10 "grep -q 'listening on' '$tmp/tcpdump.log'" || {
    echo "== tcpdump did not start:"; cat "$tmp/tcpdump.log"; exit 1; }
fi

echo
echo "\$ curl -o demo.bin http://10.2.0.2:8080/demo.bin      (in the client)"
out=$(inns c curl -sS --fail --connect-timeout 5 --max-time 60 \
  -o "$tmp/got.bin" -w '%{size_download} %{time_total} %{speed_download}' \
  http://10.2.0.2:8080/demo.bin 2>&1) || failed "curl failed: $out"
read -r bytes secs speed <<<"$out"
got=$(sha256sum "$tmp/got.bin" | cut -d' ' -f1)
awk -v n="$bytes" -v m="$size_mb" -v t="$secs" -v r="$speed" \
  'BEGIN { printf "   %s bytes (%s MB) in %.2f s, %.0f Mbit/s\n", n, m, t, r * 8 / 1e6 }'
[ "$got" = "$want" ] || failed "sha256 differs: client $got, server $want"
echo "   sha256 on the client equals the server's: $got"

echo
echo "\$ ping -c 3 10.2.0.2      (in the client)"
inns c ping -c 3 -i 0.2 -W 2 10.2.0.2 >"$tmp/ping.txt" 2>&1 ||
  failed "ping failed: $(cat "$tmp/ping.txt")"
sed 's/^/   /' "$tmp/ping.txt"

if [ -n "$cap" ]; then
  sleep 0.2
  kill -INT "$cap"; wait "$cap" 2>/dev/null || true
  keep=()
  for p in "${pids[@]}"; do [ "$p" = "$cap" ] || keep+=("$p"); done
  pids=("${keep[@]}")   # reaped: never signalled again
  tcpdump -n -r "$tmp/ab.pcap" 2>/dev/null >"$tmp/ab.txt" || true
  total=$(awk '$2 == "IP"' "$tmp/ab.txt" | wc -l)
  # tcpdump prints "IP SRC.PORT > DST.PORT: ..." (a later fragment: no port)
  others=$(awk '$2 == "IP" && !($3 ~ /^192\.168\.50\.[12](\.|$)/ &&
                                 $5 ~ /^192\.168\.50\.[12](\.|:)/)' "$tmp/ab.txt" | wc -l)
  srvport=$(awk '$2 == "IP" && ($3 ~ /\.8080$/ || $5 ~ /\.8080:$/)' "$tmp/ab.txt" | wc -l)
  clear=$(grep -caF 'GET /demo.bin' "$tmp/ab.pcap" || true)
  echo
  echo "== the A-B link (tcpdump on routerA's aB): $total IP packets; $others with"
  echo "   addresses other than 192.168.50.1/.2, $srvport with port 8080, $clear with"
  echo "   the request 'GET /demo.bin' in clear.  The first packets of the transfer:"
  awk '$2 == "IP" && / Flags \[S/ { print; n++ } n == 2 { exit }' "$tmp/ab.txt" |
    cut -c1-110 | sed 's/^/   /'
  if [ "$others" != 0 ] || [ "$srvport" != 0 ] || [ "$clear" != 0 ]; then
    failed "the A-B link carried client addresses, port 8080 or clear text"
  fi
else
  echo
  echo "== (tcpdump is not installed: no capture of the A-B link)"
fi

echo
echo "\$ svr-router show sessions      (on routerA)"
"$R" -s "$tmp/a.sock" show sessions
echo
echo "\$ svr-router show stats         (on routerA)"
"$R" -s "$tmp/a.sock" show stats
cat <<'EOF'

   What this shows: the client and the server see each other's real
   addresses (10.1.0.2 <-> 10.2.0.2), but on the A-B link every packet goes
   from waypoint to waypoint: routerA's and routerB's own addresses
   (192.168.50.1 <-> 192.168.50.2) and a pair of waypoint ports (16385-65533)
   that routerA picked for the session, with the payload encrypted
   (AES-256-GCM): no tunnel header, no port 8080, no request in clear.  The
   first packets of a session also carry SVR metadata (the original
   addresses and ports, tenant, service), from which routerB restores the
   packets before it hands them to the server; the replies take the same
   session back.
   Each row of `show sessions` is one session: its tenant (blue: the
   client's source is in 10.1.0.0/24), its service (the first [service]
   whose protocol, prefix and port match: web for curl, ping for ping),
   the waypoints (routerA's:port-routerB's:port), the peer path, and the
   inner packets/bytes each way.  `show stats` counts what the routers
   read and wrote and every dropped packet by reason.
EOF
