#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/fwd_iperf.sh [--quick] [--secs N]
#
# Data-plane benchmark (issue 12; not a ctest test; needs root).  One topology
# (tests/lib/dataplane.sh): client C - routerA A - routerB B - server S in
# network namespaces joined by veth links, and three data planes between A and
# B measured one after the other in the same run, on the same namespaces:
#
#   kernel   plain kernel routing, no tunnel, no encryption: the ceiling
#   wggo     wireguard-go from Debian (userspace, TUN, ChaCha20-Poly1305),
#            inner MTU 1420: the userspace-VPN anchor to beat
#   ours     svr-router in A and B ($SVR_BUILD_DIR/cli/svr-router, default
#            ./build): SVR forwarding with AES-256-GCM, TCP carried as TCP
#            (the product's default on a path without a stateful firewall;
#            the last line's figure)
#   ours_ut  the same with udp-transform-mode always-transform: TCP carried
#            inside UDP, as wireguard-go carries it (printed beside it)
#
# For each, C -> S through A and B, in this order:
#   ping                        50 pings at 10 ms on the idle path: RTT min/avg/max in ms
#   tcp streams=1 / streams=4   iperf3 TCP, one stream and -P 4 (Gbit/s received)
#   udp                         iperf3 UDP, 1300-byte datagrams: the highest
#                               rate with < 1 % loss (method below)
# before which C must reach S (ping) and fetch a 4 MiB file over HTTP from S
# with the right sha256, so a figure is never that of a broken path.  For
# wireguard-go, its transfer counters must also show the bytes went through it.
#
# UDP method.  Both iperf3 ends get 4 MiB socket buffers (-w 4M, capped by
# net.core.rmem_max, printed) so bursts are not lost in the endpoints' sockets
# but in the data plane.  Probe: one short run with an unlimited offer (-b 0)
# gives the sender's ceiling and what arrived.  If its loss is < 1 % the path
# took all that one iperf3 sender can produce: the rate it delivered is the
# result (limit=sender).  Otherwise a binary search over -b in [0, sender ceiling],
# first step at the rate delivered under that overload (the path's capacity
# estimate), then the midpoint: a short run with loss < 1 % raises the lower
# bound, any other lowers the upper bound; stop after 7 steps (--quick: 4),
# when the bounds are within 5 %, or when a passing step's sender fell 10 %
# short of the offer (limit=sender: no higher offer can deliver more).  The
# result is the passing step that delivered most.  Except in --quick it is
# then confirmed by a run of the full duration at that offered rate; a
# confirmation losing 1 % or more is retried 10 % lower, at most 3 runs.  The
# `test=udp` line gives the offered rate found and the delivered rate and
# loss of its last run (below_1pct says whether that run stayed under 1 %).
# On two shared cores the sender, the receiver and both forwarders compete,
# so for the kernel the iperf3 sender is usually the limit.
#
# Output: key=value lines, one per measurement, `side=kernel|wggo|ours|ours_ut`
# (for ours and ours_ut also how the routers moved packets: `peer_input`
# ring or tap, `wire_output` raw or tun, from show stats).  A side that
# failed prints `side=X error=... detail="..."` and stops.  Last line:
#
#   tcp_gbps ours=X wggo=Y kernel=Z ratio_wggo=X/Y ratio_kernel=X/Z ours_ut=U ratio_wggo_ut=U/Y ratio_kernel_ut=U/Z
#
# (single-stream TCP in Gbit/s; ratios computed to 2 decimals: ratio_wggo > 1
# means ours beats wireguard-go, ratio_kernel is the fraction of the kernel
# ceiling we reach; ours is TCP as TCP, ours_ut TCP inside UDP).  A side with
# errors shows n/a, and a run in which any side had an error prints every
# ratio as n/a; exit 0 only when all four sides measured without error.
# The machine is shared: compare figures of one run, not across runs.
#
#   --quick     2 s TCP runs, 1 s UDP steps, 4 search steps, no confirmation
#               run (the whole run takes about a minute)
#   --secs N    seconds per TCP run and UDP confirmation run (default 8)
#
# Needs root (else "skipped: needs root", exit 77) and iperf3, wireguard-go,
# wg, curl, python3 (tests/packages.txt; missing: exit 77 outside CI).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SVR_SOURCE_DIR=${SVR_SOURCE_DIR:-$(dirname "$HERE")}
SVR_BUILD_DIR=${SVR_BUILD_DIR:-$SVR_SOURCE_DIR/build}
export SVR_SOURCE_DIR SVR_BUILD_DIR
QUICK=0; SECS=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --secs) SECS=$2; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "fwd_iperf: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces"
svr_require_cmd iperf3 wireguard-go wg python3 curl ping
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
DP_ROUTER=$SVR_BUILD_DIR/cli/svr-router

if [ $QUICK = 1 ]; then
  SECS=${SECS:-2}; OMIT=0; UDP_STEP_S=1; UDP_STEPS=4; UDP_CONFIRM=0; UP_WAIT=20
else
  SECS=${SECS:-8}; OMIT=1; UDP_STEP_S=2; UDP_STEPS=7; UDP_CONFIRM=1; UP_WAIT=40
fi
PORT=5201
J=$SVR_TMP/iperf.json

# ipj tcp|udp FILE: "OK bps bytes retransmits" (tcp) or "OK sent_bps recv_bps
# loss_pct" (udp) from iperf3's JSON; "ERR message" when iperf3 reported an
# error or the JSON is missing / cut.
ipj() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
mode, path = sys.argv[1], sys.argv[2]
try:
    d = json.load(open(path))
    if d.get("error"):
        raise ValueError(d["error"])
    s, r = d["end"]["sum_sent"], d["end"]["sum_received"]
    if mode == "tcp":
        print("OK %.0f %d %d" % (r["bits_per_second"], r["bytes"], s.get("retransmits", 0)))
    else:
        print("OK %.0f %.0f %.3f" % (s["bits_per_second"], r["bits_per_second"], r["lost_percent"]))
except Exception as e:
    print("ERR", (str(e) or type(e).__name__).replace('"', "'").replace("\n", " ")[:200])
EOF
}
# client ARGS...: one iperf3 run from C to S into $J, bounded in time.
client() {
  timeout $((SECS + 30)) ip netns exec "$(svr_ns C)" iperf3 -c 10.2.0.2 -p $PORT \
    --connect-timeout 3000 -J "$@" >"$J" 2>"$J.err"
}
fmt() { awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v / 1e9 }'; }  # bps -> Gbit/s
mbps() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1e6 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

declare -A TCP1 ERR
fail() { # SIDE KIND DETAIL
  ERR[$1]=$2
  echo "side=$1 error=$2 detail=\"$(printf '%s' "$3" | tr '\n"' " '" | cut -c1-300)\""
  return 1
}

run_tcp() { # SIDE STREAMS
  local r
  client -t "$SECS" -O "$OMIT" -P "$2"
  read -r -a r < <(ipj tcp "$J")
  if [ "${r[0]}" != OK ]; then fail "$1" iperf3_tcp "${r[*]:1} $(head -c 200 "$J.err")"; return 1; fi
  if ! lt 0 "${r[1]}"; then fail "$1" zero_throughput "iperf3 TCP -P $2 moved nothing"; return 1; fi
  echo "side=$1 test=tcp streams=$2 secs=$SECS gbps=$(fmt "${r[1]}" 3) bytes=${r[2]} retransmits=${r[3]}"
  [ "$2" = 1 ] && TCP1[$1]=${r[1]}
  TCP_BYTES=${r[2]}
  return 0
}

# udp_run RATE SECS: sets U_SENT U_RECV U_LOSS (bps, bps, %); 1 on error (U_ERR).
udp_run() {
  local r
  client -u -l 1300 -w 4M -b "$1" -t "$2"
  read -r -a r < <(ipj udp "$J")
  if [ "${r[0]}" != OK ]; then U_ERR="${r[*]:1} $(head -c 200 "$J.err")"; return 1; fi
  U_SENT=${r[1]}; U_RECV=${r[2]}; U_LOSS=${r[3]}
}

run_udp() { # SIDE (method: see the header)
  local s=$1 lo=0 hi b i best="" limit=path steps=0
  if ! udp_run 0 "$UDP_STEP_S"; then fail "$s" iperf3_udp "$U_ERR"; return 1; fi
  echo "side=$s test=udp_probe offered=unlimited sent_mbps=$(mbps "$U_SENT") delivered_mbps=$(mbps "$U_RECV") loss_pct=$U_LOSS"
  if lt "$U_LOSS" 1; then
    best=$(awk -v r="$U_RECV" 'BEGIN { printf "%.0f", r }'); limit=sender; B_RECV=$U_RECV; B_LOSS=$U_LOSS
  else
    hi=$U_SENT; b=$(awk -v r="$U_RECV" 'BEGIN { printf "%.0f", r }')
    for i in $(seq "$UDP_STEPS"); do
      lt 0 "$b" || break
      if ! udp_run "$b" "$UDP_STEP_S"; then fail "$s" iperf3_udp "$U_ERR"; return 1; fi
      steps=$i
      echo "side=$s test=udp_step n=$i offered_mbps=$(mbps "$b") sent_mbps=$(mbps "$U_SENT") delivered_mbps=$(mbps "$U_RECV") loss_pct=$U_LOSS"
      if lt "$U_LOSS" 1; then
        lo=$b
        if [ -z "$best" ] || lt "$B_RECV" "$U_RECV"; then best=$b; B_RECV=$U_RECV; B_LOSS=$U_LOSS; fi
        # the sender fell 10 % short of the offer: a higher offer cannot deliver more
        if lt "$U_SENT" "$(awk -v b="$b" 'BEGIN { print 0.9 * b }')"; then limit=sender; break; fi
      else
        hi=$b
      fi
      awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(l > 0 && h <= l * 1.05) }' && break
      b=$(awk -v l="$lo" -v h="$hi" 'BEGIN { printf "%.0f", (l + h) / 2 }')
    done
    if [ -z "$best" ]; then
      fail "$s" udp_no_rate "no offered rate kept loss under 1 % ($steps steps)"; return 1
    fi
  fi
  local secs=$UDP_STEP_S confirms=0
  if [ $UDP_CONFIRM = 1 ]; then
    # a short step can pass at the edge where a long run does not: back off
    # 10 % after a failed confirmation, at most 3 runs
    for i in 1 2 3; do
      if ! udp_run "$best" "$SECS"; then fail "$s" iperf3_udp "$U_ERR"; return 1; fi
      confirms=$i; B_RECV=$U_RECV; B_LOSS=$U_LOSS; secs=$SECS
      echo "side=$s test=udp_confirm n=$i offered_mbps=$(mbps "$best") sent_mbps=$(mbps "$U_SENT") delivered_mbps=$(mbps "$U_RECV") loss_pct=$U_LOSS"
      lt "$U_LOSS" 1 && break
      [ $i = 3 ] || best=$(awk -v b="$best" 'BEGIN { printf "%.0f", 0.9 * b }')
    done
  fi
  lt 0 "$B_RECV" || { fail "$s" zero_throughput "iperf3 UDP delivered nothing"; return 1; }
  echo "side=$s test=udp len=1300 method=probe+bsearch steps=$steps limit=$limit" \
       "offered_mbps=$(mbps "$best") delivered_mbps=$(mbps "$B_RECV")" \
       "loss_pct=$B_LOSS secs=$secs confirm_runs=$confirms" \
       "below_1pct=$(lt "$B_LOSS" 1 && echo yes || echo no)"
}

run_ping() { # SIDE
  local out rtt loss
  out=$(ip netns exec "$(svr_ns C)" ping -c 50 -i 0.01 -q -W 1 10.2.0.2 2>&1)
  rtt=$(printf '%s\n' "$out" | sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*|\1 \2 \3|p')
  loss=$(printf '%s\n' "$out" | sed -n 's|.* \([0-9.]*\)% packet loss.*|\1|p')
  [ -n "$rtt" ] || { fail "$1" ping "$out"; return 1; }
  set -- "$1" $rtt
  echo "side=$1 test=ping count=50 interval_ms=10 rtt_min_ms=$2 rtt_avg_ms=$3 rtt_max_ms=$4 loss_pct=${loss:-?}"
}

# measure SIDE: the whole series through whatever data plane is up now.
measure() {
  local s=$1 got
  echo "side=$s path=\"$(ip -n "$(svr_ns A)" route get 10.2.0.2 2>&1 | head -n 1 | tr -s ' ')\""
  svr_wait_for 5 "dp_reachable 1" || { fail "$s" unreachable "C gets no ping reply from S (10.2.0.2) ${UNREACH_NOTE:-}"; return 1; }
  rm -f "$SVR_TMP/got"
  if ! dp_http_fetch blob "$SVR_TMP/got" 2>"$SVR_TMP/curl.err"; then
    fail "$s" http "$(cat "$SVR_TMP/curl.err")"; return 1
  fi
  got=$(dp_sha256_file "$SVR_TMP/got")
  [ "$got" = "$BLOB_SHA" ] || { fail "$s" http_corrupt "sha256 $got, expected $BLOB_SHA"; return 1; }
  echo "side=$s test=http bytes=$(stat -c %s "$SVR_TMP/got") sha256_ok=yes"
  svr_bg S iperf3 -s -B 10.2.0.2 -p $PORT; local srv=$SVR_LAST_PID
  if ! svr_wait_for 5 "ip netns exec $(svr_ns S) ss -Hltn 'sport = :$PORT' | grep -q ."; then
    dp_kill "$srv"; fail "$s" iperf3_server "$(tail -n 3 "$SVR_LAST_LOG")"; return 1
  fi
  local rc=0
  run_ping "$s" && run_tcp "$s" 1 && run_tcp "$s" 4 && run_udp "$s" || rc=1
  dp_kill "$srv"
  return $rc
}

echo "bench=fwd_iperf quick=$QUICK secs=$SECS host_cpus=$(nproc) kernel=$(uname -r)" \
     "rmem_max=$(sysctl -n net.core.rmem_max) load1=$(cut -d' ' -f1 /proc/loadavg)" \
     "iperf3=$(dpkg-query -W -f='${Version}' iperf3 2>/dev/null)" \
     "wireguard_go=$(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null) svr_router=$DP_ROUTER"
dp_topo
mkdir -p "$SVR_TMP/www"
BLOB_SHA=$(dp_gen_file "$SVR_TMP/www/blob" 4)
dp_http_serve "$SVR_TMP/www" || exit 1

# (a) kernel routing
dp_kernel_routes_on
measure kernel
dp_kernel_routes_off

# (b) wireguard-go; its transfer counters must show the bytes went through it
if dp_wg_up 2>"$SVR_TMP/wg.err"; then
  read -r _ tx0 < <(dp_wg_bytes)
  TCP_BYTES=0
  if measure wggo; then
    read -r _ tx1 < <(dp_wg_bytes)
    echo "side=wggo wg_tx_bytes=$((tx1 - tx0))"
    [ $((tx1 - tx0)) -ge "$TCP_BYTES" ] ||
      fail wggo bypass "wireguard-go sent $((tx1 - tx0)) bytes, less than one TCP run's $TCP_BYTES"
  fi
else
  fail wggo wg_up "$(cat "$SVR_TMP/wg.err")"
fi
dp_wg_down

# (c) our routers, nothing else routing 10.1/24 <-> 10.2/24, in both ways
# SVR carries TCP: ours as TCP (the default while the firewall detector sees
# no firewall: the outer segments leave in sendmmsg batches and arrive
# through an AF_PACKET ring), and ours_ut with udp-transform-mode
# always-transform (TCP inside UDP, as wireguard-go always carries it: the
# UDP packets leave as GSO super-packets)
ours_run() {  # SIDE [KEY VALUE]...
  local side=$1; shift
  dp_router_conf A hold-down-time 0ms "$@" >/dev/null
  dp_router_conf B hold-down-time 0ms "$@" >/dev/null
  if dp_routers_up "$UP_WAIT" 2>"$SVR_TMP/routers.err"; then
    UNREACH_NOTE="although every svr-router peer path is up on A and B"
    measure "$side"
    for r in A B; do
      "$DP_ROUTER" -c "$SVR_TMP/router$r.conf" show stats --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("side=%s router=%s peer_input=%s wire_output=%s tx_wire=%d tx_wire_writes=%d tx_host=%d tx_host_writes=%d ring_drops=%d"
      % (sys.argv[1], sys.argv[2], d.get("peer_input", "?"), d.get("wire_output", "?"), d["tx_wire"],
         d["tx_wire_writes"], d["tx_host"], d["tx_host_writes"], d.get("ring_drops", 0)))' "$side" "$r" || true
    done
  else
    fail "$side" routers_not_up "$(cat "$SVR_TMP/routers.err")"
  fi
  dp_routers_down
}
ours_run ours
ours_run ours_ut udp-transform-mode always-transform

val() { if [ -n "${ERR[$1]:-}" ] || [ -z "${TCP1[$1]:-}" ]; then echo n/a; else fmt "${TCP1[$1]}" 2; fi; }
ratio() {
  if [ -n "${ERR[*]:-}" ] || [ "$(val "$1")" = n/a ] || [ "$(val "$2")" = n/a ]; then echo n/a
  else awk -v a="${TCP1[$1]}" -v b="${TCP1[$2]}" 'BEGIN { printf "%.2f", a / b }'; fi
}
echo "ours_modes ours=tcp-as-tcp ours_ut=always-transform"
echo "tcp_gbps ours=$(val ours) wggo=$(val wggo) kernel=$(val kernel)" \
     "ratio_wggo=$(ratio ours wggo) ratio_kernel=$(ratio ours kernel)" \
     "ours_ut=$(val ours_ut) ratio_wggo_ut=$(ratio ours_ut wggo) ratio_kernel_ut=$(ratio ours_ut kernel)"
if [ "$(val ours)" != n/a ] && [ "$(val ours_ut)" != n/a ] &&
   [ "$(val wggo)" != n/a ] && [ "$(val kernel)" != n/a ]; then exit 0; fi
exit 1
