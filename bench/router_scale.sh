#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/router_scale.sh [--n N] [--demand] [--window S] [--spoke-echo on|off]
#                       [--no-bfd] [--reload] [--alarms K] [--conductor]
#                       [--perf FILE]
#
# Head-end scale benchmark (not a test; needs root).  One svr-router hub
# with N adjacencies (one peer path each) to N spokes emulated by
# bench/spoke_emu in another namespace (docs/scale.md says what it
# emulates), with the product's defaults: BFD 1 s (desired-tx 1000,
# required-min-rx 500, multiplier 3, hold-down 5 s), echo bursts of 10
# every 10 s, path MTU discovery every 600 s, firewall detector every 300 s.
# Then svr-bfd alone (the same N sessions, same timers, same emulator) in the
# same run, for the CPU ratio.
#
#   --n N            adjacencies (default 1000)
#   --demand         run the hub twice: spokes in async mode, then spokes
#                    asking for Demand mode (the hub stops periodic BFD toward
#                    them); prints both
#   --window S       measurement window (default 60 s; shorter for quick runs)
#   --spoke-echo on|off  the spokes run their own echo bursts toward the hub
#                    (default: off in async mode, on in Demand mode, where a
#                    spoke relies on them)
#   --no-bfd         skip the svr-bfd run (ratio_bfd=none)
#   --reload         after the window: SIGHUP with 100 adjacencies removed and
#                    100 added; the other N-100 must not flap
#   --alarms K       after that: nft drops everything from K spokes at once
#                    (spokes 0.., or 100.. after --reload);
#                    counts the alarms raised and how long until all were
#                    logged, and alarm lines per path (no duplicates)
#   --conductor      the hub reports to a real conductor (svr-conductor on
#                    127.0.0.1 in the hub's namespace, the hub's key
#                    enrolled, alarms journaled); with --alarms K also how
#                    many of the 2 x K alarms the conductor stored, how long
#                    until the last, and duplicates among them
#   --perf FILE      perf record -g the hub during the window into FILE
#   --nice N         run the hub, the emulator and svr-bfd at nice N (default
#                    -10): on a shared host with a load above the core count
#                    a process gets a fraction of a core whatever it needs,
#                    and BFD at 10,000 paths then misses its deadlines; all
#                    three get the same priority, so the ratio stays fair
#                    (the show client too)
#
# Addresses (as bench/bfd_scale.sh): the hub owns 10.64.0.0/14 and the
# spokes 10.128.0.0/14 through one "local" route on lo each (AnyIP); the hub
# is 10.64.0.1, spoke i is 10.128.0.1 + i; each side routes the other's
# prefix over one veth.
#
# Figures: up = paths the hub shows up at the end of the window; bringup_s
# = hub start until `show peers` shows all N up (includes the 5 s
# hold-down); false_downs = transitions out of Up on either side after the
# path was first Up (nothing is cut, so every one is false); cpu_pct = hub
# CPU over the window (utime+stime, 100 = one core); bfd_only_cpu_pct the
# same for svr-bfd; ratio_bfd = cpu_pct / bfd_only_cpu_pct; bytes_per_path
# = (hub RSS with N adjacencies at the end of the window - hub RSS with 1
# adjacency) / (N - 1); show_ms = the slowest `svr-router show peers --json`
# of the polls made every second through bring-up and window (the client's
# whole run, process start included); hub_tx_pps / hub_rx_pps = packets on
# the hub's veth over the window.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SVR_SOURCE_DIR=${SVR_SOURCE_DIR:-$(dirname "$HERE")}
SVR_BUILD_DIR=${SVR_BUILD_DIR:-$SVR_SOURCE_DIR/build}
export SVR_SOURCE_DIR SVR_BUILD_DIR
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
[ "$(id -u)" = 0 ] || { echo "router_scale: needs root (network namespaces)" >&2; exit 2; }
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"
R=$SVR_BUILD_DIR/cli/svr-router
EMU=$SVR_BUILD_DIR/bench/spoke_emu
for b in "$R" "$EMU"; do
  [ -x "$b" ] || { echo "router_scale: build $b first" >&2; exit 2; }
done
chmod 755 "$SVR_TMP"

N=1000; DEMAND=0; WINDOW=60; SPOKE_ECHO=""; NO_BFD=0; RELOAD=0; ALARMS=0; PERF=""; NICE=-10; CONDUCTOR=0
while [ $# -gt 0 ]; do
  case $1 in
    --n) N=$2; shift ;;
    --demand) DEMAND=1 ;;
    --window) WINDOW=$2; shift ;;
    --spoke-echo) SPOKE_ECHO=$2; shift ;;
    --no-bfd) NO_BFD=1 ;;
    --reload) RELOAD=1 ;;
    --alarms) ALARMS=$2; shift ;;
    --conductor) CONDUCTOR=1 ;;
    --perf) PERF=$2; shift ;;
    --nice) NICE=$2; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "router_scale: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case $N in ''|*[!0-9]*) echo "router_scale: --n N, N >= 2" >&2; exit 2 ;; esac
[ "$N" -ge 2 ] || { echo "router_scale: --n N, N >= 2" >&2; exit 2; }
[ "$RELOAD" = 0 ] || [ "$N" -ge 200 ] || { echo "router_scale: --reload needs N >= 200" >&2; exit 2; }
[ "$ALARMS" -le "$N" ] 2>/dev/null || { echo "router_scale: --alarms K needs K <= N" >&2; exit 2; }
[ "$RELOAD" = 0 ] || [ "$ALARMS" -le $((N - 100)) ] || { echo "router_scale: --alarms K with --reload needs K <= N - 100" >&2; exit 2; }
C_BIN=$SVR_BUILD_DIR/cli/svr-conductor
RN_BIN=$SVR_BUILD_DIR/cli/svr-conductor-router
if [ "$CONDUCTOR" = 1 ]; then
  for b in "$C_BIN" "$RN_BIN"; do
    [ -x "$b" ] || { echo "router_scale: build $b first" >&2; exit 2; }
  done
fi
HZ=$(getconf CLK_TCK)
# one descriptor per path is never needed (one socket per interface), but
# the hub and svr-bfd get room for the control socket and the shows
ulimit -n 20000 2>/dev/null || true

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
pct() { awk -v d="$1" -v hz="$HZ" -v t="$2" 'BEGIN { printf "%.2f", 100 * d / hz / t }'; }
tdiff() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v a="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", a / t; else print 0 }'; }
# addr BASE_OCTET I -> 10.B.0.1 + I
addr() { awk -v b="$1" -v i="$2" 'BEGIN { v = b * 65536 + 1 + i
  printf "10.%d.%d.%d\n", int(v / 65536), int(v / 256) % 256, v % 256 }'; }
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | tail -1; }

HUB_EXTRA=""
# conductor_start: svr-conductor in the hub's namespace, the hub's key
# enrolled; sets HUB_EXTRA (the hub's conductor lines), CND_DIR, CND_PID
conductor_start() {
  local t=$SVR_TMP/cnd$RUN cport
  CND_DIR=$t/db
  mkdir -p "$CND_DIR" "$t/journal"
  [ -f "$SVR_TMP/hub.key" ] || "$RN_BIN" keygen "$SVR_TMP/hub.key" >/dev/null
  "$C_BIN" --dir "$CND_DIR" enroll hub "$SVR_TMP/hub.key.pub" >/dev/null
  svr_bg "$NS_H" "$C_BIN" --dir "$CND_DIR" run --listen 127.0.0.1 --port 0 --node cnd1
  CND_PID=$SVR_LAST_PID
  svr_wait_for 10 "grep -q 'listening port=' '$SVR_LAST_LOG'" ||
    { echo "router_scale: svr-conductor did not start: $(tail -3 "$SVR_LAST_LOG")" >&2; exit 1; }
  cport=$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$SVR_LAST_LOG" | head -1)
  echo "[127.0.0.1]:$cport $(cut -d' ' -f1,2 "$CND_DIR/ssh_host_ed25519_key.pub")" >"$t/known_hosts"
  HUB_EXTRA=$(printf '%s\n' "conductor 127.0.0.1:$cport" "conductor-key $SVR_TMP/hub.key" \
    "conductor-known-hosts $t/known_hosts" "conductor-state-dir $t/journal")
}
# cnd_alarms -> the hub's active alarms the conductor stored, one JSON array
cnd_alarms() { "$C_BIN" --dir "$CND_DIR" show alarms --router hub --json 2>/dev/null; }
cnd_count() { cnd_alarms | grep -o '"severity"' | wc -l; }

RUN=0
topology() {
  RUN=$((RUN + 1)); NS_H=h$RUN; NS_S=s$RUN
  svr_ns_add "$NS_H"; svr_ns_add "$NS_S"
  svr_veth "$NS_H" 10.99.0.1/24 "$NS_S" 10.99.0.2/24 vH vS
  ip -n "$(svr_ns "$NS_H")" route add local 10.64.0.0/14 dev lo
  ip -n "$(svr_ns "$NS_S")" route add local 10.128.0.0/14 dev lo
  ip -n "$(svr_ns "$NS_H")" route add 10.128.0.0/14 via 10.99.0.2
  ip -n "$(svr_ns "$NS_S")" route add 10.64.0.0/14 via 10.99.0.1
}
stop_pid() {
  kill "$1" 2>/dev/null
  svr_wait_for 30 "! kill -0 $1 2>/dev/null" || kill -9 "$1" 2>/dev/null
}
teardown() {
  ip netns del "$(svr_ns "$NS_H")" 2>/dev/null; ip netns del "$(svr_ns "$NS_S")" 2>/dev/null
}
veth_pkts() { # -> "tx rx" of the hub's veth
  ip netns exec "$(svr_ns "$NS_H")" cat /sys/class/net/vH/statistics/tx_packets \
    /sys/class/net/vH/statistics/rx_packets | tr '\n' ' '
}

# hub_conf FILE SOCK FIRST COUNT: the hub with adjacencies spoke-FIRST..
hub_conf() {
  awk -v sock="$2" -v first="$3" -v n="$4" -v extra="$HUB_EXTRA" 'BEGIN {
    print "router hub"; print "node node1"; print "control-socket " sock
    if (extra != "") print extra
    print "[interface wan]"; print "address 10.64.0.1"
    print "[neighborhood spokes]"; print "interface wan"; print "topology hub"
    for (i = first; i < first + n; i++) {
      v = 128 * 65536 + 1 + i
      printf "[adjacency spoke-%d]\nneighborhood spokes\naddress 10.%d.%d.%d\n", i,
        int(v / 65536), int(v / 256) % 256, v % 256 }
  }' >"$1"
}

emu_start() { # DEMAND ECHO -> EMU_PID EMU_LOG
  local f=""
  [ "$1" = 1 ] && f="$f --demand"
  [ "$2" = on ] && f="$f --spoke-echo"
  svr_bg "$NS_S" nice -n "$NICE" "$EMU" --hub 10.64.0.1 --first 10.128.0.1 --count "$N" $f
  EMU_PID=$SVR_LAST_PID; EMU_LOG=$SVR_LAST_LOG
  svr_wait_for 60 "grep -q 'spoke_emu ready' '$EMU_LOG'" ||
    { echo "router_scale: spoke_emu did not start: $(tail -3 "$EMU_LOG")" >&2; exit 1; }
}
emu_stats() { # -> the newest counters line
  local before; before=$(grep -c 'spoke_emu time=' "$EMU_LOG")
  kill -USR1 "$EMU_PID"
  svr_wait_for 10 "[ \$(grep -c 'spoke_emu time=' '$EMU_LOG') -gt $before ]"
  grep 'spoke_emu time=' "$EMU_LOG" | tail -1
}

SHOW_MAX=0; SHOW_SUM=0; SHOW_N=0; SHOW_UP=0
# show SOCK: one `show peers --json`; sets SHOW_UP and updates the latency figures
show() {
  local t0 t1 ms
  t0=$(date +%s%N)
  nice -n "$NICE" "$R" -s "$1" show peers --json >"$SVR_TMP/show.json" 2>/dev/null
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  SHOW_N=$((SHOW_N + 1)); SHOW_SUM=$((SHOW_SUM + ms))
  [ "$ms" -gt "$SHOW_MAX" ] && SHOW_MAX=$ms
  SHOW_UP=$(grep -o '"status":"up"' "$SVR_TMP/show.json" | wc -l)
}
# poll_until SOCK DEADLINE_NS COND: show every second until COND holds
poll_until() {
  local next
  while [ "$(date +%s%N)" -lt "$2" ]; do
    next=$(( $(date +%s%N) + 1000000000 ))
    show "$1"
    eval "$3" && return 0
    while [ "$(date +%s%N)" -lt "$next" ]; do sleep 0.05; done
  done
  return 1
}
# hub_downs LOG [FIRST] -> transitions out of Up the hub logged (of
# adjacencies spoke-FIRST and above)
hub_downs() {
  grep ': up -> ' "$1" 2>/dev/null |
    awk -v f="${2:-0}" '{ if (match($0, / -> spoke-[0-9]+ via/)) { k = substr($0, RSTART + 10, RLENGTH - 14) + 0; if (k >= f) n++ } } END { print n + 0 }'
}

# ---------------------------------------------------------------------------
run_router() { # DEMAND ECHO -> prints key=value lines, sets R_* figures
  local demand=$1 echo=$2 mode=async sock hl hp t0 t1 w0 w1 c0 c1 e0 e1 p0 p1 el
  [ "$demand" = 1 ] && mode=demand
  topology
  sock=$SVR_TMP/hub$RUN.sock
  HUB_EXTRA=""
  [ "$CONDUCTOR" = 1 ] && conductor_start
  # RSS of a hub with one adjacency: the fixed part
  hub_conf "$SVR_TMP/hub1.conf" "$SVR_TMP/hub1_$RUN.sock" 0 1
  svr_bg "$NS_H" nice -n "$NICE" "$R" -c "$SVR_TMP/hub1.conf"; hp=$SVR_LAST_PID
  svr_wait_for 10 "[ -S '$SVR_TMP/hub1_$RUN.sock' ]"
  sleep 1   # let it finish its start-up allocations (not a sync point)
  R_RSS1=$(rss_kb "$hp")
  stop_pid "$hp"

  emu_start "$demand" "$echo"
  hub_conf "$SVR_TMP/hub.conf" "$sock" 0 "$N"
  SHOW_MAX=0; SHOW_SUM=0; SHOW_N=0
  t0=$(now)
  svr_bg "$NS_H" nice -n "$NICE" "$R" -c "$SVR_TMP/hub.conf"; hp=$SVR_LAST_PID; hl=$SVR_LAST_LOG
  HUB_PID=$hp; HUB_LOG=$hl; HUB_SOCK=$sock
  svr_wait_for 60 "[ -S '$sock' ]" || { echo "router_scale: hub did not start: $(tail -3 "$hl")" >&2; exit 1; }
  R_BRINGUP=none
  if poll_until "$sock" $(( $(date +%s%N) + (60 + N / 100) * 1000000000 )) '[ "$SHOW_UP" -ge "$N" ]'; then
    t1=$(now); R_BRINGUP=$(tdiff "$t0" "$t1")
  fi
  local bring_downs; bring_downs=$(hub_downs "$hl")
  e0=$(emu_stats)
  read -r p0 _ <<<"$(veth_pkts)"; local rx0; rx0=$(veth_pkts | awk '{print $2}')
  local perf_pid=""
  if [ -n "$PERF" ]; then
    perf record -g -p "$hp" -o "$PERF.$mode" -- sleep "$WINDOW" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  c0=$(ticks "$hp"); w0=$(now)
  poll_until "$sock" $(( $(date +%s%N) + WINDOW * 1000000000 )) false
  c1=$(ticks "$hp"); w1=$(now)
  p1=$(veth_pkts | awk '{print $1}'); local rx1; rx1=$(veth_pkts | awk '{print $2}')
  e1=$(emu_stats)
  el=$(tdiff "$w0" "$w1")
  [ -n "$perf_pid" ] && wait "$perf_pid"
  R_CPU=$(pct $((c1 - c0)) "$el")
  R_UP=$SHOW_UP
  R_RSS=$(rss_kb "$hp")
  R_BPP=$(awk -v a="$R_RSS" -v b="$R_RSS1" -v n="$N" 'BEGIN { printf "%.0f", (a - b) * 1024 / (n - 1) }')
  local hub_d spoke_d
  hub_d=$(hub_downs "$hl")
  spoke_d=$(kv "$e1" down_events)
  R_DOWNS=$((hub_d + spoke_d))
  R_SHOW_MAX=$SHOW_MAX
  echo "router mode=$mode n=$N spoke_echo=$echo up=$R_UP bringup_s=$R_BRINGUP" \
       "hub_downs=$hub_d hub_downs_before_window=$bring_downs spoke_downs=$spoke_d" \
       "cpu_pct=$R_CPU rss_kb=$R_RSS rss_1_adjacency_kb=$R_RSS1 bytes_per_path=$R_BPP" \
       "hub_tx_pps=$(rate $((p1 - p0)) "$el") hub_rx_pps=$(rate $((rx1 - rx0)) "$el")" \
       "show_ms_max=$SHOW_MAX show_ms_mean=$(( SHOW_SUM / (SHOW_N ? SHOW_N : 1) )) shows=$SHOW_N" \
       "spoke_bfd_rx=$(( $(kv "$e1" bfd_rx) - $(kv "$e0" bfd_rx) ))" \
       "spoke_echo_reflected=$(( $(kv "$e1" echo_reflected) - $(kv "$e0" echo_reflected) ))" \
       "spoke_pmtu_acks=$(kv "$e1" pmtu_acks) spoke_fwdet_reports=$(kv "$e1" fwdet_reports)" \
       "window_s=$el"
  [ "$RELOAD" = 1 ] && run_reload
  [ "$ALARMS" -gt 0 ] && run_alarms
  stop_pid "$hp"; stop_pid "$EMU_PID"
  [ "$CONDUCTOR" = 1 ] && stop_pid "$CND_PID"
  teardown
}

# SIGHUP: adjacencies 0..99 removed, N..N+99 added (spoke_emu serves only
# 0..N-1, so the new ones stay down: what matters is that the kept N-100 do
# not flap and the removed ones go)
run_reload() {
  local before t0 ok kept
  before=$(hub_downs "$HUB_LOG" 100)
  hub_conf "$SVR_TMP/hub.conf" "$HUB_SOCK" 100 "$N"
  t0=$(date +%s%N)
  kill -HUP "$HUB_PID"
  svr_wait_for 30 "grep -q 'reloaded:' '$HUB_LOG'"
  kept=$(grep 'reloaded:' "$HUB_LOG" | tail -1 | sed -n 's/.*, \([0-9]*\) kept.*/\1/p')
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  sleep 5   # let a flap, if any, show (detection time 3 s; not a sync point)
  show "$HUB_SOCK"
  local total downs
  total=$(grep -o '"peer":"' "$SVR_TMP/show.json" | wc -l)
  downs=$(( $(hub_downs "$HUB_LOG" 100) - before ))
  ok=yes
  [ "$kept" = $((N - 100)) ] && [ "$downs" = 0 ] && [ "$SHOW_UP" -ge $((N - 100)) ] && [ "$total" = "$N" ] || ok=no
  echo "reload n=$N removed=100 added=100 kept=$kept reload_ms=$ms paths=$total up=$SHOW_UP flaps_of_kept=$downs ok=$ok"
}

# nft drop of K spokes at once: alarms raised, time to the last, duplicates
run_alarms() {
  local k=$ALARMS before t0 last n dup cbefore=0 cms=none
  before=$(grep -c 'alarm #.* raised' "$HUB_LOG")
  [ "$CONDUCTOR" = 1 ] && cbefore=$(cnd_count)
  # spokes 100.. after a reload (0-99 are gone), else 0..; drop what they send
  local first=0; [ "$RELOAD" = 1 ] && first=100
  local lo hi; lo=$(addr 128 $first); hi=$(addr 128 $((first + k - 1)))
  printf '%s\n' "table inet rscale {" " chain in {" \
    "  type filter hook input priority -400; policy accept;" \
    "  ip saddr $lo-$hi drop" " }" "}" >"$SVR_TMP/drop.nft"
  ip netns exec "$(svr_ns "$NS_H")" nft -f "$SVR_TMP/drop.nft"
  t0=$(date +%s%N)
  svr_wait_for 30 "[ \$(( \$(grep -c 'alarm #.* raised' '$HUB_LOG') - $before )) -ge $((2 * k)) ]"
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  n=$(( $(grep -c 'alarm #.* raised' "$HUB_LOG") - before ))
  dup=$(grep 'alarm #.* raised' "$HUB_LOG" | tail -n "$n" | sed 's/.*raised //' | sort | uniq -d | wc -l)
  echo "alarms dropped_paths=$k raised=$n expected=$((2 * k)) duplicates=$dup last_after_ms=$ms"
  if [ "$CONDUCTOR" = 1 ]; then
    # the conductor's count, polled: the time is when the poll first saw
    # all of them (a poll is a process and a query: ~0.1-0.3 s granularity)
    if svr_wait_for 60 "[ \$(cnd_count) -ge $((cbefore + 2 * k)) ]"; then
      cms=$(( ($(date +%s%N) - t0) / 1000000 ))
    fi
    sleep 5   # a duplicate, if any, would arrive now (not a sync point)
    local cn cdup
    cn=$(( $(cnd_count) - cbefore ))
    cdup=$(cnd_alarms | python3 -c '
import collections, json, sys
a = json.load(sys.stdin)
c = collections.Counter((x["source"], x["message"]) for x in a)
print(sum(v - 1 for v in c.values()))')
    echo "conductor_alarms stored=$cn expected=$((2 * k)) duplicates=$cdup all_stored_after_ms=$cms"
  fi
  ip netns exec "$(svr_ns "$NS_H")" nft delete table inet rscale
}

# ---------------------------------------------------------------------------
run_bfd() { # DEMAND ECHO -> B_CPU, B_DOWNS, B_UP
  local demand=$1 echo=$2 mode=async bl bp f c0 c1 w0 w1 s0 s1 el i
  [ "$demand" = 1 ] && mode=demand
  topology
  emu_start "$demand" "$echo"
  awk -v n="$N" 'BEGIN { print "router-name hub"
    for (i = 0; i < n; i++) { v = 128 * 65536 + 1 + i
      printf "session local=10.64.0.1 peer=10.%d.%d.%d\n", int(v / 65536), int(v / 256) % 256, v % 256 } }' \
    >"$SVR_TMP/bfd.conf"
  svr_bg "$NS_H" nice -n "$NICE" "$SVR_BFD" -c "$SVR_TMP/bfd.conf" --tx 1000 --rx 500 --mult 3 --hold-down 5000 --quiet --json
  bp=$SVR_LAST_PID; bl=$SVR_LAST_LOG
  up_of() { bfd_json_field "$(bfd_summary "$bl" "$bp" 20)" up; }
  svr_wait_for $(( 60 + N / 100 )) "[ \"\$(up_of)\" = $N ]" || echo "svr-bfd mode=$mode error=not_all_up up=$(up_of)"
  sleep 3   # settle (not a sync point)
  s0=$(bfd_summary "$bl" "$bp" 20)
  c0=$(ticks "$bp"); w0=$(now)
  sleep "$WINDOW"
  c1=$(ticks "$bp"); w1=$(now)
  s1=$(bfd_summary "$bl" "$bp" 20)
  el=$(tdiff "$w0" "$w1")
  local e1; e1=$(emu_stats)
  B_CPU=$(pct $((c1 - c0)) "$el")
  B_UP=$(bfd_json_field "$s1" up)
  B_DOWNS=$(( $(bfd_json_field "$s1" down_events) + $(kv "$e1" down_events) ))
  echo "svr-bfd mode=$mode n=$N up=$B_UP false_downs=$B_DOWNS cpu_pct=$B_CPU rss_kb=$(rss_kb "$bp")" \
       "tx_pps=$(rate $(( $(bfd_json_field "$s1" tx_packets) - $(bfd_json_field "$s0" tx_packets) )) "$el")" \
       "window_s=$el"
  stop_pid "$bp"; stop_pid "$EMU_PID"
  teardown
}

echo "bench=router_scale n=$N window_s=$WINDOW nice=$NICE host_cpus=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"
MODES=0; [ "$DEMAND" = 1 ] && MODES="0 1"
FINAL=()
for d in $MODES; do
  echo_mode=$SPOKE_ECHO
  [ -z "$echo_mode" ] && { [ "$d" = 1 ] && echo_mode=on || echo_mode=off; }
  m=async; [ "$d" = 1 ] && m=demand
  run_router "$d" "$echo_mode"
  if [ "$NO_BFD" = 1 ]; then B_CPU=none; ratio=none
  else
    run_bfd "$d" "$echo_mode"
    ratio=$(awk -v a="$R_CPU" -v b="$B_CPU" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "none" }')
  fi
  FINAL+=("router_scale n=$N up=$R_UP false_downs=$R_DOWNS cpu_pct=$R_CPU bfd_only_cpu_pct=$B_CPU ratio_bfd=$ratio bytes_per_path=$R_BPP show_ms=$R_SHOW_MAX bringup_s=$R_BRINGUP mode=$m spoke_echo=$echo_mode")
done
printf '%s\n' "${FINAL[@]}"
