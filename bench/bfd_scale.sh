#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/bfd_scale.sh [--quick] [--window S] [--frr-max N] [--frr-up S]
#                    [--mode rfc5881|svr]
#                    [--n "N1 N2.."] [--intervals "MS1 MS2.."]
#
# Scale benchmark for libsvrbfd (not a test; needs root).  For each N and
# interval: N BFD sessions between two svr-bfd processes in two namespaces,
# then the same N and interval between two FRR bfdd, then bfd_floor (a bare
# sendto/recvfrom loop) at the packet rate that is owed.  Prints key=value
# lines and the ratios ours/floor and ours/FRR (CPU, mean of the two
# processes, 100 = one core).
#
# Owed rate: with detect multiplier 3 RFC 5880 section 6.8.7 has each
# session send every interval less a random 0-25 %, 0.875 x interval on
# average, so each side owes N / (0.875 x interval) packets per second.
# Every run prints owed_pps against what each side sent in the window.  A
# run is "behind" when a side sent less than 97 % of the owed rate (the
# floor also when it was ever more than 1 s of packets behind its pacing;
# it catches up after shorter stalls, max_lag_ms shows them).  A ratio line
# prints a ratio only when both runs in it are clean: all Up, not behind, no
# false Down, no error; otherwise ratio=none and the reasons.
#
# FRR runs at every N unless --frr-max N caps it, the file-descriptor limit
# is below N + 100 (bfdd opens a socket per session), or its sessions are not
# all Up within --frr-up seconds (default 300; bfdd loads a config of 10,000
# peers far slower than ten times 1000); the ratio line then says
# frr=not_run and why.
#
#   --quick   N = 1000 at 300 ms and 1000 ms, 10 s windows (~4 min)
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
# CPU = delta(utime+stime) of /proc/PID/stat over the window.  tx_pps = the
# process's own sent counter over the measurement window only: svr-bfd's
# counters are read with their timestamp (the JSON summary's "time"), FRR's
# at the midpoint of the vtysh call that reads them, the floor's over its
# paced run.  false_downs = transitions out of Up during bring-up and window
# (nothing is cut, so every one is false); rss_kb from /proc/PID/status.
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

QUICK=0; WINDOW=""; FRR_MAX=""; FRR_UP_S=300; MODE=rfc5881; NS_LIST=""; IVLS_ARG=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --window) WINDOW=$2; shift ;;
    --frr-max) FRR_MAX=$2; shift ;;
    --frr-up) FRR_UP_S=$2; shift ;;
    --mode) MODE=$2; shift ;;
    --n) NS_LIST=$2; shift ;;
    --intervals) IVLS_ARG=$2; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
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
rate() { awk -v a="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", a / t; else print 0 }'; }
# owed N IVL_MS -> packets per second one side owes (RFC 5880 6.8.7, mult 3)
owed() { awk -v n="$1" -v i="$2" 'BEGIN { printf "%.0f", n * 1000 / (0.875 * i) }'; }
# behind SENT_PPS OWED_PPS -> 0 (true) if SENT < 97 % of OWED
behind() { awk -v s="$1" -v o="$2" 'BEGIN { exit !(s < 0.97 * o) }'; }
# why_none LABEL1 WHY1 LABEL2 WHY2 -> none(LABEL1:why,..;LABEL2:why,..)
why_none() {
  local r=""
  [ -n "$2" ] && r="$1:${2#,}"
  [ -n "$4" ] && r="${r:+$r;}$3:${4#,}"
  echo "none($r)"
}
tdiff() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

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
run_ours() { # N IVL -> sets OURS_CPU OURS_OK OURS_WHY
  local n=$1 ivl=$2 m=""; RUN=$((RUN + 1)); NS_A=a$RUN; NS_B=b$RUN
  [ "$MODE" = rfc5881 ] && m=--rfc5881
  OURS_OK=1; OURS_WHY=""
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
    OURS_OK=0; OURS_WHY="$OURS_WHY,not_all_up"
  fi
  t1=$(now)
  sleep 3   # settle: the Poll Sequences that end slow start finish (not a sync point)
  # the window: counters with their own timestamps at both ends, CPU ticks
  # read just inside them
  sa=$(bfd_summary "$la" "$pa" 20); sb=$(bfd_summary "$lb" "$pb" 20)
  local ca0 cb0 w0 w1 ca1 cb1 sa1 sb1
  ca0=$(ticks "$pa"); cb0=$(ticks "$pb"); w0=$(now)
  sleep "$WINDOW"   # the measurement window
  ca1=$(ticks "$pa"); cb1=$(ticks "$pb"); w1=$(now)
  sa1=$(bfd_summary "$la" "$pa" 20); sb1=$(bfd_summary "$lb" "$pb" 20)
  local el cpa cpb txa txb ela elb downs errs owe
  el=$(tdiff "$w0" "$w1")
  cpa=$(pct $((ca1 - ca0)) "$el"); cpb=$(pct $((cb1 - cb0)) "$el")
  # (a process too busy to answer SIGUSR1 within 20 s has no summary)
  if [ -z "$sa" ] || [ -z "$sb" ] || [ -z "$sa1" ] || [ -z "$sb1" ]; then
    echo "impl=svr-bfd n=$n interval_ms=$ivl error=no_summary"
    OURS_OK=0; OURS_WHY="$OURS_WHY,no_summary"
  fi
  ela=$(tdiff "$(bfd_epoch "$(bfd_json_field "$sa" time)")" "$(bfd_epoch "$(bfd_json_field "$sa1" time)")")
  elb=$(tdiff "$(bfd_epoch "$(bfd_json_field "$sb" time)")" "$(bfd_epoch "$(bfd_json_field "$sb1" time)")")
  txa=$(rate $(( $(num "$sa1" tx_packets) - $(num "$sa" tx_packets) )) "$ela")
  txb=$(rate $(( $(num "$sb1" tx_packets) - $(num "$sb" tx_packets) )) "$elb")
  downs=$(( $(num "$sa1" down_events) + $(num "$sb1" down_events) ))
  errs=$(( $(num "$sa1" tx_errors) + $(num "$sb1" tx_errors) ))
  owe=$(owed "$n" "$ivl")
  if behind "$txa" "$owe" || behind "$txb" "$owe"; then OURS_OK=0; OURS_WHY="$OURS_WHY,behind"; fi
  [ "$downs" = 0 ] || { OURS_OK=0; OURS_WHY="$OURS_WHY,false_downs"; }
  [ "$errs" = 0 ] || { OURS_OK=0; OURS_WHY="$OURS_WHY,tx_errors"; }
  OURS_CPU=$(awk -v a="$cpa" -v b="$cpb" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  echo "impl=svr-bfd n=$n interval_ms=$ivl mode=$MODE up_a=$(bfd_json_field "$sa1" up) up_b=$(bfd_json_field "$sb1" up)" \
       "time_to_up_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
       "cpu_a_pct=$cpa cpu_b_pct=$cpb owed_pps=$owe tx_pps_a=$txa tx_pps_b=$txb" \
       "rx_pps_a=$(rate $(( $(num "$sa1" rx_packets) - $(num "$sa" rx_packets) )) "$ela") false_downs=$downs" \
       "rss_a_kb=$(rss_kb "$pa") rss_b_kb=$(rss_kb "$pb")" \
       "tx_syscalls_per_s_a=$(rate $(( $(num "$sa1" tx_syscalls) - $(num "$sa" tx_syscalls) )) "$ela")" \
       "tx_errors=$errs clean=$([ $OURS_OK = 1 ] && echo yes || echo "no(${OURS_WHY#,})")"
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
# sessions Up in bfdd (0 if its vty does not answer within 15 s: bfdd
# serves no vty until its whole config is loaded)
frr_up() {
  timeout 15 vtysh --vty_socket "$1" -d bfdd -c 'show bfd peers brief' 2>/dev/null |
    awk '$NF == "up" { n++ } END { print n + 0 }'
}
# frr_counters_at DIR -> "TIME packets_sent session_down_events": TIME is the
# midpoint of the vtysh call that read them
frr_counters_at() {
  local a b c; a=$(now); c=$(frr_counters "$1"); b=$(now)
  printf '%s %s\n' "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.6f", (a + b) / 2 }')" "$c"
}
run_frr() { # N IVL -> sets FRR_CPU FRR_OK FRR_WHY, or FRR_NOT_RUN
  local n=$1 ivl=$2; RUN=$((RUN + 1)); NS_A=a$RUN; NS_B=b$RUN
  FRR_OK=1; FRR_WHY=""; FRR_NOT_RUN=""
  topology "$NS_A" "$NS_B"
  frr_conf "$n" "$ivl" 64 128 >"$SVR_TMP/fa.conf"; frr_conf "$n" "$ivl" 128 64 >"$SVR_TMP/fb.conf"
  local t0 t1 pa pb
  t0=$(now)
  [ "$(ulimit -n)" -ge $((n + 100)) ] || ulimit -n $((n + 100))  # one socket per session
  FRR_EXTRA=--tcli frr_start "$NS_A" "$SVR_TMP/frrA$RUN" "$SVR_TMP/fa.conf"; pa=$FRR_PID
  FRR_EXTRA=--tcli frr_start "$NS_B" "$SVR_TMP/frrB$RUN" "$SVR_TMP/fb.conf"; pb=$FRR_PID
  if ! svr_wait_for "$FRR_UP_S" "sleep 2; [ \"\$(frr_up '$SVR_TMP/frrA$RUN')\" = $n ] && [ \"\$(frr_up '$SVR_TMP/frrB$RUN')\" = $n ]"; then
    # bfdd's config load grows faster than linearly with N: past some N it
    # does not finish in --frr-up seconds, and there is nothing to measure
    FRR_NOT_RUN="bfdd_not_all_up_within_${FRR_UP_S}s:up_a_$(frr_up "$SVR_TMP/frrA$RUN"):up_b_$(frr_up "$SVR_TMP/frrB$RUN")"
    echo "impl=frr n=$n interval_ms=$ivl error=$FRR_NOT_RUN"
    teardown "$pa" "$pb"
    return
  fi
  t1=$(now)
  sleep 3   # settle
  local ta0 tb0 ta1 tb1 txa0 txb0 txa1 txb1 dna dnb ca0 cb0 w0 ca1 cb1 w1 el cpa cpb txa txb owe
  read -r ta0 txa0 _ < <(frr_counters_at "$SVR_TMP/frrA$RUN")
  read -r tb0 txb0 _ < <(frr_counters_at "$SVR_TMP/frrB$RUN")
  ca0=$(ticks "$pa"); cb0=$(ticks "$pb"); w0=$(now)
  sleep "$WINDOW"
  ca1=$(ticks "$pa"); cb1=$(ticks "$pb"); w1=$(now)
  read -r ta1 txa1 dna < <(frr_counters_at "$SVR_TMP/frrA$RUN")
  read -r tb1 txb1 dnb < <(frr_counters_at "$SVR_TMP/frrB$RUN")
  el=$(tdiff "$w0" "$w1")
  cpa=$(pct $((ca1 - ca0)) "$el"); cpb=$(pct $((cb1 - cb0)) "$el")
  txa=$(rate $((txa1 - txa0)) "$(tdiff "$ta0" "$ta1")")
  txb=$(rate $((txb1 - txb0)) "$(tdiff "$tb0" "$tb1")")
  owe=$(owed "$n" "$ivl")
  if behind "$txa" "$owe" || behind "$txb" "$owe"; then FRR_OK=0; FRR_WHY="$FRR_WHY,behind"; fi
  [ $((dna + dnb)) = 0 ] || { FRR_OK=0; FRR_WHY="$FRR_WHY,false_downs"; }
  FRR_CPU=$(awk -v a="$cpa" -v b="$cpb" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  echo "impl=frr n=$n interval_ms=$ivl up_a=$(frr_up "$SVR_TMP/frrA$RUN") up_b=$(frr_up "$SVR_TMP/frrB$RUN")" \
       "time_to_up_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
       "cpu_a_pct=$cpa cpu_b_pct=$cpb owed_pps=$owe tx_pps_a=$txa tx_pps_b=$txb false_downs=$((dna + dnb))" \
       "rss_a_kb=$(rss_kb "$pa") rss_b_kb=$(rss_kb "$pb")" \
       "clean=$([ $FRR_OK = 1 ] && echo yes || echo "no(${FRR_WHY#,})")"
  teardown "$pa" "$pb"
}

# --- floor -------------------------------------------------------------------------
run_floor() { # PPS -> sets FLOOR_CPU FLOOR_OK FLOOR_WHY
  local pps=$1; RUN=$((RUN + 1)); NS_A=a$RUN; NS_B=b$RUN
  FLOOR_OK=1; FLOOR_WHY=""
  topology "$NS_A" "$NS_B"
  local dur pa pb la lb
  dur=$(( WINDOW + 4 ))
  svr_bg "$NS_A" "$FLOOR" 10.64.0.1 10.128.0.1 3784 "$pps" "$dur" 24; pa=$SVR_LAST_PID; la=$SVR_LAST_LOG
  svr_bg "$NS_B" "$FLOOR" 10.128.0.1 10.64.0.1 3784 "$pps" "$dur" 24; pb=$SVR_LAST_PID; lb=$SVR_LAST_LOG
  svr_wait_for 5 "grep -q ready '$la' && grep -q ready '$lb'"
  sleep 1   # skip the first second of pacing
  local ca0 cb0 w0 ca1 cb1 w1 el cpa cpb ra rb txa txb
  ca0=$(ticks "$pa"); cb0=$(ticks "$pb"); w0=$(now)
  sleep "$WINDOW"
  ca1=$(ticks "$pa"); cb1=$(ticks "$pb"); w1=$(now)
  el=$(tdiff "$w0" "$w1")
  cpa=$(pct $((ca1 - ca0)) "$el"); cpb=$(pct $((cb1 - cb0)) "$el")
  FLOOR_CPU=$(awk -v a="$cpa" -v b="$cpb" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  svr_wait_for $(( dur + 5 )) "grep -q sent= '$la' && grep -q sent= '$lb'"
  ra=$(grep sent= "$la"); rb=$(grep sent= "$lb")
  f() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
  txa=$(rate "$(f "$ra" sent)" "$(f "$ra" elapsed_s)"); txb=$(rate "$(f "$rb" sent)" "$(f "$rb" elapsed_s)")
  if [ -z "$ra" ] || [ -z "$rb" ]; then FLOOR_OK=0; FLOOR_WHY="$FLOOR_WHY,no_result"; fi
  # behind: short of the owed rate overall, or starved for over a second
  # (the floor catches up after a stall, so shorter stalls cost it nothing)
  if awk -v a="$(f "$ra" max_lag_ms)" -v b="$(f "$rb" max_lag_ms)" 'BEGIN { exit !(a > 1000 || b > 1000) }' ||
     behind "$txa" "$pps" || behind "$txb" "$pps"; then FLOOR_OK=0; FLOOR_WHY="$FLOOR_WHY,behind"; fi
  if [ "$(f "$ra" send_errors)" != 0 ] || [ "$(f "$rb" send_errors)" != 0 ]; then
    FLOOR_OK=0; FLOOR_WHY="$FLOOR_WHY,send_errors"
  fi
  echo "impl=floor owed_pps=$pps cpu_a_pct=$cpa cpu_b_pct=$cpb tx_pps_a=$txa tx_pps_b=$txb" \
       "$(printf '%s\n' "$ra" | sed 's/^/a_/;s/ / a_/g') $(printf '%s\n' "$rb" | sed 's/^/b_/;s/ / b_/g')" \
       "clean=$([ $FLOOR_OK = 1 ] && echo yes || echo "no(${FLOOR_WHY#,})")"
  teardown "$pa" "$pb"
}

echo "bench=bfd_scale mode=$MODE window_s=$WINDOW quick=$QUICK host_cpus=$(nproc) frr=$(dpkg-query -W -f='${Version}' frr 2>/dev/null)" \
     "owed=N/(0.875*interval) per side behind_below=97%"
for n in $NS_LIST; do
  for ivl in $IVLS; do
    run_ours "$n" "$ivl"
    run_floor "$(owed "$n" "$ivl")"
    line="ratio n=$n interval_ms=$ivl owed_pps=$(owed "$n" "$ivl") ours_cpu_pct=$OURS_CPU floor_cpu_pct=$FLOOR_CPU"
    if [ $OURS_OK = 1 ] && [ $FLOOR_OK = 1 ]; then
      line="$line ours_over_floor=$(div "$OURS_CPU" "$FLOOR_CPU")"
    else
      line="$line ours_over_floor=$(why_none ours "$OURS_WHY" floor "$FLOOR_WHY")"
    fi
    why=""
    if [ -n "$FRR_MAX" ] && [ "$n" -gt "$FRR_MAX" ]; then
      why="--frr-max_$FRR_MAX"
    elif [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((n + 100)) ]; then
      why="bfdd_needs_$((n + 100))_fds_hard_limit_$(ulimit -Hn)"
    fi
    if [ -z "$why" ]; then
      run_frr "$n" "$ivl"
      why=$FRR_NOT_RUN
    fi
    if [ -z "$why" ]; then
      line="$line frr_cpu_pct=$FRR_CPU"
      if [ $OURS_OK = 1 ] && [ $FRR_OK = 1 ]; then
        line="$line ours_over_frr=$(div "$OURS_CPU" "$FRR_CPU")"
      else
        line="$line ours_over_frr=$(why_none ours "$OURS_WHY" frr "$FRR_WHY")"
      fi
    else
      line="$line frr=not_run($why)"
    fi
    echo "$line"
  done
done
