# SPDX-License-Identifier: BSD-2-Clause
# Data-plane topology helpers for shell tests and benchmarks (sourced after
# tests/lib/netns.sh, whose cleanup removes everything created here).
#
#   . "$SVR_SOURCE_DIR/tests/lib/netns.sh"
#   . "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
#   dp_topo [--two-paths] [--wan-mtu N]
#
#   client C --- A routerA A --- wan 192.168.50.0/24 --- B routerB B --- S server
#   10.1.0.2/24  10.1.0.1/24 .1 (2nd: 192.168.51.0/24) .2  10.2.0.1/24  10.2.0.2/24
#
# C and S have a default route via their router; A and B forward (ip_forward=1)
# but have NO route between 10.1.0.0/24 and 10.2.0.0/24: the data plane under
# test provides it, one at a time:
#
#   dp_kernel_routes_on / dp_kernel_routes_off    plain kernel routing (the ceiling)
#   dp_wg_up [--mtu N] / dp_wg_down               wireguard-go (Debian) A <-> B
#   dp_router_conf A|B [KEY VALUE]...             svr-router config -> $SVR_TMP/routerX.conf
#   dp_routers_up [TIMEOUT_S] / dp_routers_down   svr-router in A and B until peers are up
#   dp_peers_up FILE                              every peer of that router is "up"
#
# and checks of what crosses it:
#
#   dp_reachable [COUNT]                          C pings S (0 when a reply came)
#   dp_gen_file PATH SIZE_MB                      random file, prints its sha256
#   dp_sha256_file PATH                           prints the sha256 (hex) of PATH
#   dp_http_serve DIR [PORT]                      HTTP server in S on 10.2.0.2:PORT
#   dp_http_fetch NAME OUT [PORT]                 curl http://10.2.0.2:PORT/NAME in C
#   dp_wg_bytes                                   "rx tx" bytes of A's WireGuard peer
#   dp_kill PID                                   stops one process we started
#   dp_ip NS ARGS... / dp_exec NS CMD...          ip -n / ip netns exec by short name
#
# Short namespace names are C, A, B, S (svr_ns C prints the real name).
# Interface names: C cA; A aC (lan), aB (wan), aB2 (second wan); B bA, bA2,
# bS (lan); S sB.  dp_topo sets DP_TWO_PATHS and DP_WAN_MTU, which the later
# helpers read.  svr-router is $DP_ROUTER, default $SVR_BUILD_DIR/cli/svr-router;
# its PIDs and logs: DP_ROUTER_PID_A/B, DP_ROUTER_LOG_A/B.

DP_WAN_MTU=""
DP_TWO_PATHS=0
DP_WG_IF_A=""; DP_WG_IF_B=""; DP_WG_PID_A=""; DP_WG_PID_B=""
DP_ROUTER_PID_A=""; DP_ROUTER_PID_B=""; DP_ROUTER_LOG_A=""; DP_ROUTER_LOG_B=""
DP_ROUTER=${DP_ROUTER:-}
DP_HTTP_PID=""
# the pre-shared data-plane key of both routers (test key: bytes 0x00..0x1f)
DP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# wireguard-go keeps its UAPI socket in /var/run/wireguard, shared by every
# namespace: remove ours after netns.sh has killed the processes (a killed
# -9 wireguard-go leaves it behind).
dp_cleanup() {
  svr_cleanup
  local i
  for i in $DP_WG_IF_A $DP_WG_IF_B; do rm -f "/var/run/wireguard/$i.sock"; done
}
trap dp_cleanup EXIT

dp_ip() { local n; n=$(svr_ns "$1"); shift; ip -n "$n" "$@"; }
dp_exec() { local n; n=$(svr_ns "$1"); shift; ip netns exec "$n" "$@"; }

# dp_kill PID: TERM, wait up to 2 s, then KILL; forgets the PID so the exit
# cleanup never signals a PID that may have been reused by then.
dp_kill() {
  local p=$1 i
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null
  for i in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null
  dp_forget "$p"
}
# dp_forget PID: reaps an exited child and drops it from the cleanup list;
# returns its exit status.
dp_forget() {
  local p=$1 i rc keep=()
  wait "$p" 2>/dev/null; rc=$?
  for i in "${SVR_PIDS[@]}"; do [ "$i" = "$p" ] || keep+=("$i"); done
  SVR_PIDS=("${keep[@]}")
  return $rc
}

# dp_topo [--two-paths] [--wan-mtu N]
dp_topo() {
  while [ $# -gt 0 ]; do
    case $1 in
      --two-paths) DP_TWO_PATHS=1 ;;
      --wan-mtu) DP_WAN_MTU=$2; shift ;;
      *) echo "dp_topo: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local n
  for n in C A B S; do svr_ns_add $n; done
  svr_veth C 10.1.0.2/24 A 10.1.0.1/24 cA aC
  svr_veth A 192.168.50.1/24 B 192.168.50.2/24 aB bA
  if [ $DP_TWO_PATHS = 1 ]; then svr_veth A 192.168.51.1/24 B 192.168.51.2/24 aB2 bA2; fi
  svr_veth B 10.2.0.1/24 S 10.2.0.2/24 bS sB
  if [ -n "$DP_WAN_MTU" ]; then
    dp_ip A link set aB mtu "$DP_WAN_MTU"; dp_ip B link set bA mtu "$DP_WAN_MTU"
    if [ $DP_TWO_PATHS = 1 ]; then
      dp_ip A link set aB2 mtu "$DP_WAN_MTU"; dp_ip B link set bA2 mtu "$DP_WAN_MTU"
    fi
  fi
  dp_ip C route add default via 10.1.0.1
  dp_ip S route add default via 10.2.0.1
  dp_exec A sysctl -qw net.ipv4.ip_forward=1
  dp_exec B sysctl -qw net.ipv4.ip_forward=1
}

# Plain kernel routing over the first A-B link.
dp_kernel_routes_on() {
  dp_ip A route replace 10.2.0.0/24 via 192.168.50.2 &&
    dp_ip B route replace 10.1.0.0/24 via 192.168.50.1
}
dp_kernel_routes_off() {
  dp_ip A route del 10.2.0.0/24 via 192.168.50.2 2>/dev/null
  dp_ip B route del 10.1.0.0/24 via 192.168.50.1 2>/dev/null
  return 0
}

# dp_wg_up [--mtu N]: wireguard-go between A (192.168.50.1) and B
# (192.168.50.2) over the first link, inner MTU 1420 (WireGuard's default for
# a 1500 link; with dp_topo --wan-mtu M it is M - 80, the allowance wg-quick
# uses); routes 10.2/24 into the tunnel on A, 10.1/24 on B.
# The interface names carry our PID: the UAPI sockets share one directory.
# 1 with a message when wireguard-go does not come up.
dp_wg_up() {
  local mtu=1420 ka kb
  if [ -n "$DP_WAN_MTU" ] && [ $((DP_WAN_MTU - 80)) -lt $mtu ]; then mtu=$((DP_WAN_MTU - 80)); fi
  if [ "${1:-}" = --mtu ]; then mtu=$2; fi
  DP_WG_IF_A=wga$SVR_TAG; DP_WG_IF_B=wgb$SVR_TAG
  svr_bg A wireguard-go -f "$DP_WG_IF_A"; DP_WG_PID_A=$SVR_LAST_PID
  svr_bg B wireguard-go -f "$DP_WG_IF_B"; DP_WG_PID_B=$SVR_LAST_PID
  if ! svr_wait_for 10 "dp_ip A link show $DP_WG_IF_A >/dev/null 2>&1 &&
        dp_ip B link show $DP_WG_IF_B >/dev/null 2>&1 &&
        [ -S /var/run/wireguard/$DP_WG_IF_A.sock ] && [ -S /var/run/wireguard/$DP_WG_IF_B.sock ]"; then
    echo "dp_wg_up: wireguard-go did not create its interfaces" >&2
    tail -n 5 "$SVR_TMP"/wireguard-go.*.log >&2
    return 1
  fi
  ka=$(wg genkey); kb=$(wg genkey)
  printf '%s\n' "$ka" >"$SVR_TMP/wg-a.key"; printf '%s\n' "$kb" >"$SVR_TMP/wg-b.key"
  dp_exec A wg set "$DP_WG_IF_A" private-key "$SVR_TMP/wg-a.key" listen-port 51820 \
    peer "$(printf '%s\n' "$kb" | wg pubkey)" endpoint 192.168.50.2:51820 allowed-ips 10.2.0.0/24 || return 1
  dp_exec B wg set "$DP_WG_IF_B" private-key "$SVR_TMP/wg-b.key" listen-port 51820 \
    peer "$(printf '%s\n' "$ka" | wg pubkey)" endpoint 192.168.50.1:51820 allowed-ips 10.1.0.0/24 || return 1
  dp_ip A link set "$DP_WG_IF_A" mtu "$mtu" up && dp_ip B link set "$DP_WG_IF_B" mtu "$mtu" up || return 1
  dp_ip A route replace 10.2.0.0/24 dev "$DP_WG_IF_A" && dp_ip B route replace 10.1.0.0/24 dev "$DP_WG_IF_B"
}

# dp_wg_down: stops both wireguard-go (their interfaces and routes go with them).
dp_wg_down() {
  dp_kill "$DP_WG_PID_A"; dp_kill "$DP_WG_PID_B"
  DP_WG_PID_A=""; DP_WG_PID_B=""
  local i
  for i in $DP_WG_IF_A $DP_WG_IF_B; do rm -f "/var/run/wireguard/$i.sock"; done
  dp_ip A link del "$DP_WG_IF_A" 2>/dev/null; dp_ip B link del "$DP_WG_IF_B" 2>/dev/null
  return 0
}

# dp_wg_bytes: "rx tx" bytes of A's wireguard peer (proof that traffic used the tunnel).
dp_wg_bytes() {
  dp_exec A wg show "$DP_WG_IF_A" transfer | awk '{ r += $2; t += $3 } END { print r + 0, t + 0 }'
}

# dp_router_conf A|B [KEY VALUE]...: writes $SVR_TMP/routerA.conf (or B) and
# prints its path.  Extra KEY VALUE pairs go to the global section (e.g.
# hold-down-time 0ms).  A carries tenant blue (10.1.0.0/24) and service srv
# (10.2.0.0/24 at routerB); B only forwards and routes replies back.  With
# dp_topo --two-paths each router has a second interface, neighborhood and
# adjacency on 192.168.51.0/24.  Forwarding devices: svrA, svrB.
dp_router_conf() {
  local r=$1 self peer me other f; shift
  case $r in
    A|routerA) r=A; self=1; peer=2; me=routerA; other=routerB ;;
    B|routerB) r=B; self=2; peer=1; me=routerB; other=routerA ;;
    *) echo "dp_router_conf: A or B, not $r" >&2; return 2 ;;
  esac
  f=$SVR_TMP/router$r.conf
  {
    echo "router $me"
    echo "node n1"
    echo "control-socket $SVR_TMP/router$r.sock"
    echo "forwarding enabled"
    echo "forwarding-device svr$r"
    while [ $# -ge 2 ]; do echo "$1 $2"; shift 2; done
    dp_conf_path "" 50 "$self" "$peer" "$other"
    if [ $DP_TWO_PATHS = 1 ]; then dp_conf_path 2 51 "$self" "$peer" "$other"; fi
    if [ $r = A ]; then
      echo; printf '%s\n' "[tenant blue]" "prefix 10.1.0.0/24"
      echo; printf '%s\n' "[service srv]" "prefix 10.2.0.0/24" "peer routerB"
    fi
  } >"$f"
  echo "$f"
}
# dp_conf_path SUFFIX THIRD_OCTET SELF PEER PEER_ROUTER: one interface,
# neighborhood and adjacency.  Two adjacencies to the same router are two
# peer paths to it.
dp_conf_path() {
  echo; printf '%s\n' "[interface wan$1]" "address 192.168.$2.$3"
  echo; printf '%s\n' "[neighborhood nb$1]" "interface wan$1"
  echo; printf '%s\n' "[adjacency $5]" "neighborhood nb$1" "address 192.168.$2.$4" \
    "encryption aes-256-gcm" "security-key-id 1" "security-key $DP_KEY"
}

# dp_peers_up FILE: 0 when `show peers --json` lists at least one peer and
# every peer has status "up".
dp_peers_up() {
  "${DP_ROUTER:-$SVR_BUILD_DIR/cli/svr-router}" -c "$1" show peers --json 2>/dev/null | python3 -c '
import json, sys
try:
    p = json.load(sys.stdin)["peers"]
except Exception:
    sys.exit(1)
sys.exit(0 if p and all(x.get("status") == "up" for x in p) else 1)'
}

# dp_routers_up [TIMEOUT_S]: starts svr-router in A and B with the files that
# dp_router_conf wrote and waits (default 30 s) until every peer path is up on
# both.  1 with the reason on stderr when a router exits or the paths stay down.
dp_routers_up() {
  local t=${1:-30} r
  DP_ROUTER=${DP_ROUTER:-$SVR_BUILD_DIR/cli/svr-router}
  if [ ! -x "$DP_ROUTER" ]; then echo "svr-router not built ($DP_ROUTER)" >&2; return 1; fi
  for r in A B; do
    [ -f "$SVR_TMP/router$r.conf" ] || dp_router_conf $r >/dev/null
  done
  svr_bg A "$DP_ROUTER" -c "$SVR_TMP/routerA.conf"; DP_ROUTER_PID_A=$SVR_LAST_PID; DP_ROUTER_LOG_A=$SVR_LAST_LOG
  svr_bg B "$DP_ROUTER" -c "$SVR_TMP/routerB.conf"; DP_ROUTER_PID_B=$SVR_LAST_PID; DP_ROUTER_LOG_B=$SVR_LAST_LOG
  if svr_wait_for "$t" "! kill -0 $DP_ROUTER_PID_A 2>/dev/null || ! kill -0 $DP_ROUTER_PID_B 2>/dev/null ||
       { dp_peers_up '$SVR_TMP/routerA.conf' && dp_peers_up '$SVR_TMP/routerB.conf'; }"; then
    for r in A B; do
      local pid log rc
      if [ $r = A ]; then pid=$DP_ROUTER_PID_A; log=$DP_ROUTER_LOG_A
      else pid=$DP_ROUTER_PID_B; log=$DP_ROUTER_LOG_B; fi
      if ! kill -0 "$pid" 2>/dev/null; then
        dp_forget "$pid"; rc=$?
        echo "svr-router in $r exited with status $rc: $(tail -n 3 "$log" | tr '\n' ' ')" >&2
        return 1
      fi
    done
    return 0
  fi
  for r in A B; do
    echo "svr-router peer paths not up after ${t} s: $r: $("$DP_ROUTER" -c "$SVR_TMP/router$r.conf" show peers 2>&1 | tail -n +3 | cut -c1-120 | tr '\n' ';')" >&2
  done
  return 1
}
dp_routers_down() {
  dp_kill "$DP_ROUTER_PID_A"; dp_kill "$DP_ROUTER_PID_B"
  DP_ROUTER_PID_A=""; DP_ROUTER_PID_B=""
}

# dp_reachable [COUNT]: C reaches S (one ping reply within COUNT tries).
dp_reachable() {
  dp_exec C ping -c "${1:-3}" -i 0.2 -W 1 -q 10.2.0.2 >/dev/null 2>&1
}

dp_sha256_file() { sha256sum "$1" | cut -d' ' -f1; }

# dp_gen_file PATH SIZE_MB: random content (nothing compressible), prints its sha256.
dp_gen_file() {
  mkdir -p "$(dirname "$1")"
  head -c "$(($2 * 1048576))" /dev/urandom >"$1" && dp_sha256_file "$1"
}

# dp_http_serve DIR [PORT]: python3's http.server in S on 10.2.0.2:PORT
# (default 8080), serving DIR; returns once it listens.
dp_http_serve() {
  local port=${2:-8080}
  svr_bg S python3 -m http.server --bind 10.2.0.2 --directory "$1" "$port"; DP_HTTP_PID=$SVR_LAST_PID
  svr_wait_for 10 "dp_exec S ss -Hltn 'sport = :$port' | grep -q ." || {
    echo "dp_http_serve: no listener on 10.2.0.2:$port: $(tail -n 3 "$SVR_LAST_LOG")" >&2; return 1; }
}

# dp_http_fetch NAME OUT [PORT]: curl from C; 0 when the transfer completed.
dp_http_fetch() {
  dp_exec C curl -sS --fail --connect-timeout 5 --max-time 60 -o "$2" "http://10.2.0.2:${3:-8080}/$1"
}
