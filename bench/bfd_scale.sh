#!/bin/bash
# bench/bfd_scale.sh [--quick] [--window S] [--frr-max N] [--mode rfc5881|svr]
#                    [--n "N1 N2.."] [--intervals "MS1 MS2.."]
#
# Scale benchmark for libsvrbfd (not a test; needs root).  For each N and
# interval: N BFD sessions between two svr-bfd processes in two namespaces,
# then the same N and interval between two FRR bfdd (N <= --frr-max, default
# 1000), then bfd_floor (a bare sendto/recvfrom loop) moving the packet rate
# svr-bfd moved.  Prints key=value lines and the ratios ours/FRR and
# ours/floor (CPU, mean of the two processes, 100 = one core).
#
#   --quick   N = 1000 at 300 ms and 1000 ms, 10 s windows (~2 min)
#   (full)    N = 1000, 10000, 100000 at 300 ms and 1000 ms, 20 s windows
#
# Addresses (reference/lab-recipes.md section 3, widened for 100,000): side A
# owns 10.64.0.0/14 and side B 10.128.0.0/14 through one "local" route on lo
# each (AnyIP: every address in the prefix is local without adding 100,000
# addresses), and each routes the other's prefix via the veth neighbour, so
# one ARP entry per side and TTL 255.  Session i: 10.64.0.1+i <-> 10.128.0.1+i.
# svr-bfd runs with --bind-any (one socket for all local addresses); bfdd
# loads its config with --tcli (lab-recipes: O(lines^2) without).
#
# CPU = delta(utime+stime) of /proc/PID/stat over the window; pps = packets
# sent per second by one side; false_downs = transitions out of Up during
# bring-up and window (nothing is cut, so every one is false); rss_kb from
# /proc/PID/status.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SVR_SOURCE_DIR=${SVR_SOURCE_DIR:-$(dirname "$HERE")}
SVR_BUILD_DIR=${SVR_BUILD_DIR:-$SVR_SOURCE_DIR/build}
export SVR_SOURCE_DIR SVR_BUILD_DIR
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
[ "$(id -u)" = 0 ] || { echo "bfd_scale: needs root (network namespaces)" >&2; exit 2; }
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"
FLOOR=$SVR_BUILD_DIR/bench/bfd_floor
[ -x "$FLOOR" ] || { echo "bfd_scale: build bfd_floor first" >&2; exit 2; }
chmod 755 "$SVR_TMP"

QUICK=0; WINDOW=""; FRR_MAX=1000; MODE=rfc5881; NS_LIST=""; IVLS_ARG=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --window) WINDOW=$2; shift ;;
    --frr-max) FRR_MAX=$2; shift ;;
    --mode) MODE=$2; shift ;;
    --n) NS_LIST=$2; shift ;;
    --intervals) IVLS_ARG=$2; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "bfd_scale: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ $QUICK = 1 ]; then NS_LIST=${NS_LIST:-1000}; WINDOW=${WINDOW:-10}
else NS_LIST=${NS_LIST:-"1000 10000 100000"}; WINDOW=${WINDOW:-20}; fi
IVLS=${IVLS_ARG:-"300 1000"}
HZ=$(getconf CLK_TCK)
RUN=0

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
pct() { awk -v d="$1" -v hz="$HZ" -v t="$2" 'BEGIN { printf "%.2f", 100 * d / hz / t }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
rate() { awk -v a="$1" -v t="$2" 'BEGIN { printf "%.0f", a / t }'; }

# topology NAME_A NAME_B: fresh namespaces with the routed /14 prefixes
topology() {
  svr_ns_add "$1"; svr_ns_add "$2"
  svr_veth "$1" 10.99.0.1/24 "$2" 10.99.0.2/24 vA vB
  local a b; a=$(svr_ns "$1"); b=$(svr_ns "$2")
  ip -n "$a" route add local 10.64.0.0/14 dev lo
  ip -n "$b" route add local 10.128.0.0/14 dev lo
  ip -n "$a" route add 10.128.0.0/14 via 10.99.0.2
  ip -n "$b" route add 10.64.0.0/14 via 10.99.0.1
}
teardown() { # pids... then namespaces via NS_A NS_B
  local p
  for p in "$@"; do kill "$p" 2>/dev/null; done
  for p in "$@"; do svr_wait_for 20 "! kill -0 $p 2>/dev/null" || kill -9 "$p" 2>/dev/null; done
  ip netns del "$(svr_ns "$NS_A")" 2>/dev/null; ip netns del "$(svr_ns "$NS_B")" 2>/dev/null
}

# --- svr-bfd ---------------------------------------------------------------
run_ours() { # N IVL -> sets OURS_CPU OURS_PPS
  local n=$1 ivl=$2 m=""; RUN=$((RUN + 1)); NS_A=a$RUN; NS_B=b$RUN
  [ "$MODE" = rfc5881 ] && m=--rfc5881
  topology "$NS_A" "$NS_B"
  local t0 t1 pa pb la lb sa sb
  t0=$(now)
  svr_bg "$NS_A" "$SVR_BFD" -l 10.64.0.1 -p 10.128.0.1 --count "$n" $m --tx "$ivl" --rx "$ivl" \
    --mult 3 --hold-down 0 --bind-any --quiet --json
  pa=$SVR_LAST_PID; la=$SVR_LAST_LOG
  svr_bg "$NS_B" "$SVR_BFD" -l 10.128.0.1 -p 10.64.0.1 --count "$n" $m --tx "$ivl" --rx "$ivl" \
    --mult 3 --hold-down 0 --bind-any --quiet --json
  pb=$SVR_LAST_PID; lb=$SVR_LAST_LOG
  up_of() { bfd_json_field "$(bfd_summary "$1" "$2" 20)" up; }
  num() { bfd_json_field "$1" "$2" | grep -E '^[0-9]+$' || echo 0; }
  if ! svr_wait_for $(( 60 + n / 1000 )) "[ \"\$(up_of '$la' $pa)\" = $n ] && [ \"\$(up_of '$lb' $pb)\" = $n ]"; then
    echo "impl=svr-bfd n=$n interval_ms=$ivl error=not_all_up up_a=$(up_of "$la" "$pa") up_b=$(up_of "$lb" "$pb")"
  fi
  t1=$(now)
  sleep 3   # settle: the Poll Sequences that end slow start finish (not a sync point)
  sa=$(bfd_summary "$la" "$pa" 20); sb=$(bfd_summary "$lb" "$pb" 20)
  local ca0 cb0 w0 w1 ca1 cb1 sa1 sb1
  ca0=$(ticks "$pa"); cb0=$(ticks "$pb"); w0=$(now)
  sleep "$WINDOW"   # the measurement window
  ca1=$(ticks "$pa"); cb1=$(ticks "$pb"); w1=$(now)
  sa1=$(bfd_summary "$la" "$pa" 20); sb1=$(bfd_summary "$lb" "$pb" 20)
  local el cpa cpb tx rx downs
  el=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
  cpa=$(pct $((ca1 - ca0)) "$el"); cpb=$(pct $((cb1 - cb0)) "$el")
  # (a process too busy to answer SIGUSR1 within 20 s reads as 0: see error=)
  [ -n "$sa" ] && [ -n "$sa1" ] && [ -n "$sb1" ] || echo "impl=svr-bfd n=$n interval_ms=$ivl error=no_summary"
  tx=$(( $(num "$sa1" tx_packets) - $(num "$sa" tx_packets) ))
  rx=$(( $(num "$sa1" rx_packets) - $(num "$sa" rx_packets) ))
  downs=$(( $(num "$sa1" down_events) + $(num "$sb1" down_events) ))
  OURS_PPS=$(rate "$tx" "$el")
  OURS_CPU=$(awk -v a="$cpa" -v b="$cpb" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  echo "impl=svr-bfd n=$n interval_ms=$ivl mode=$MODE up_a=$(bfd_json_field "$sa1" up) up_b=$(bfd_json_field "$sb1" up)" \
       "time_to_up_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
       "cpu_a_pct=$cpa cpu_b_pct=$cpb tx_pps_a=$OURS_PPS rx_pps_a=$(rate "$rx" "$el") false_downs=$downs" \
       "rss_a_kb=$(rss_kb "$pa") rss_b_kb=$(rss_kb "$pb")" \
       "tx_syscalls_per_s_a=$(rate $(( $(num "$sa1" tx_syscalls) - $(num "$sa" tx_syscalls) )) "$el")" \
       "tx_errors_a=$(num "$sa1" tx_errors)"
  teardown "$pa" "$pb"
}

# --- FRR bfdd ------------------------------------------------------------------
frr_conf() { # N IVL SELF_BASE PEER_BASE -> bfdd config (10.X.0.1 + i)
  awk -v n="$1" -v ivl="$2" -v s="$3" -v p="$4" 'function a(b, i,  v) {
      v = b * 65536 + 1 + i  # b = second octet, in a /14 from 10.b.0.0
      return "10." int(v / 65536) "." int(v / 256) % 256 "." v % 256 }
    BEGIN { print "bfd"
      for (i = 0; i < n; i++) {
        printf " peer %s local-address %s\n  receive-interval %d\n  transmit-interval %d\n  detect-multiplier 3\n !\n", a(p, i), a(s, i), ivl, ivl }
      print "!" }'
}
frr_counters() { # DIR -> "packets_sent session_down_events", summed over peers
  local j; j=$(frr_vtysh "$1" 'show bfd peers counters json' | tr -d ' \n')
  printf '%s %s\n' \
    "$(printf '%s' "$j" | grep -o '"control-packet-output":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')" \
    "$(printf '%s' "$j" | grep -o '"session-down":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')"
}
frr_up() { frr_vtysh "$1" 'show bfd peers brief' | awk '$NF == "up" { n++ } END { print n + 0 }'; }
run_frr() { # N IVL -> sets FRR_CPU
  local n=$1 ivl=$2; RUN=$((RUN + 1)); NS_A=a$RUN; NS_B=b$RUN
  topology "$NS_A" "$NS_B"
  frr_conf "$n" "$ivl" 64 128 >"$SVR_TMP/fa.conf"; frr_conf "$n" "$ivl" 128 64 >"$SVR_TMP/fb.conf"
  local t0 t1 pa pb
  t0=$(now)
  [ "$(ulimit -n)" -ge $((n + 100)) ] || ulimit -n $((n + 100))  # one socket per session
  FRR_EXTRA=--tcli frr_start "$NS_A" "$SVR_TMP/frrA$RUN" "$SVR_TMP/fa.conf"; pa=$FRR_PID
  FRR_EXTRA=--tcli frr_start "$NS_B" "$SVR_TMP/frrB$RUN" "$SVR_TMP/fb.conf"; pb=$FRR_PID
  svr_wait_for 180 "sleep 2; [ \"\$(frr_up '$SVR_TMP/frrA$RUN')\" = $n ] && [ \"\$(frr_up '$SVR_TMP/frrB$RUN')\" = $n ]" ||
    echo "impl=frr n=$n interval_ms=$ivl error=not_all_up"
  t1=$(now)
  sleep 3   # settle
  local c0 ca0 cb0 w0 ca1 cb1 w1 c1 el cpa cpb
  read -r tx0 dn0 < <(frr_counters "$SVR_TMP/frrA$RUN")
  ca0=$(ticks "$pa"); cb0=$(ticks "$pb"); w0=$(now)
  sleep "$WINDOW"
  ca1=$(ticks "$pa"); cb1=$(ticks "$pb"); w1=$(now)
  read -r tx1 dn1 < <(frr_counters "$SVR_TMP/frrA$RUN")
  read -r _ dnb < <(frr_counters "$SVR_TMP/frrB$RUN")
  el=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
  cpa=$(pct $((ca1 - ca0)) "$el"); cpb=$(pct $((cb1 - cb0)) "$el")
  FRR_CPU=$(awk -v a="$cpa" -v b="$cpb" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  echo "impl=frr n=$n interval_ms=$ivl up_a=$(frr_up "$SVR_TMP/frrA$RUN") up_b=$(frr_up "$SVR_TMP/frrB$RUN")" \
       "time_to_up_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
       "cpu_a_pct=$cpa cpu_b_pct=$cpb tx_pps_a=$(rate $((tx1 - tx0)) "$el") false_downs=$((dn1 + dnb))" \
       "rss_a_kb=$(rss_kb "$pa") rss_b_kb=$(rss_kb "$pb")"
  teardown "$pa" "$pb"
}

# --- floor -------------------------------------------------------------------------
run_floor() { # PPS -> sets FLOOR_CPU
  local pps=$1; RUN=$((RUN + 1)); NS_A=a$RUN; NS_B=b$RUN
  topology "$NS_A" "$NS_B"
  local dur pa pb la lb
  dur=$(( WINDOW + 4 ))
  svr_bg "$NS_A" "$FLOOR" 10.64.0.1 10.128.0.1 3784 "$pps" "$dur" 24; pa=$SVR_LAST_PID; la=$SVR_LAST_LOG
  svr_bg "$NS_B" "$FLOOR" 10.128.0.1 10.64.0.1 3784 "$pps" "$dur" 24; pb=$SVR_LAST_PID; lb=$SVR_LAST_LOG
  svr_wait_for 5 "grep -q ready '$la' && grep -q ready '$lb'"
  sleep 1   # skip the first second of pacing
  local ca0 cb0 w0 ca1 cb1 w1 el cpa cpb
  ca0=$(ticks "$pa"); cb0=$(ticks "$pb"); w0=$(now)
  sleep "$WINDOW"
  ca1=$(ticks "$pa"); cb1=$(ticks "$pb"); w1=$(now)
  el=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
  cpa=$(pct $((ca1 - ca0)) "$el"); cpb=$(pct $((cb1 - cb0)) "$el")
  FLOOR_CPU=$(awk -v a="$cpa" -v b="$cpb" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  svr_wait_for $(( dur + 5 )) "grep -q sent= '$la' && grep -q sent= '$lb'"
  echo "impl=floor pps=$pps cpu_a_pct=$cpa cpu_b_pct=$cpb $(grep sent= "$la" | sed 's/^/a_/;s/ / a_/')"
  teardown "$pa" "$pb"
}

echo "bench=bfd_scale mode=$MODE window_s=$WINDOW quick=$QUICK host_cpus=$(nproc) frr=$(dpkg-query -W -f='${Version}' frr 2>/dev/null)"
for n in $NS_LIST; do
  for ivl in $IVLS; do
    run_ours "$n" "$ivl"
    run_floor "$OURS_PPS"
    line="ratio n=$n interval_ms=$ivl ours_cpu_pct=$OURS_CPU floor_cpu_pct=$FLOOR_CPU ours_over_floor=$(div "$OURS_CPU" "$FLOOR_CPU")"
    if [ "$n" -le "$FRR_MAX" ]; then
      run_frr "$n" "$ivl"
      line="$line frr_cpu_pct=$FRR_CPU ours_over_frr=$(div "$OURS_CPU" "$FRR_CPU")"
    fi
    echo "$line"
  done
done
