# SPDX-License-Identifier: BSD-2-Clause
# Shell helpers for the svr-bfd tests (sourced after tests/lib/netns.sh).
#
#   SVR_BFD            path of the svr-bfd binary
#   bfd_epoch ISO               epoch seconds (s.ns) of an ISO-8601 "time"
#   bfd_state_time LOG TO [N]   epoch time (s.ns) of the Nth (default 1st)
#                               JSON "state" event into state TO, or empty
#   bfd_table LOG PID           sends SIGUSR1 and waits for a fresh table;
#                               prints the last JSON table line
#   bfd_json_field LINE KEY     value of "KEY": in a flat JSON line (first one)
#   bfd_wait_tx LOG PID N SECS  waits until svr-bfd has sent >= N packets
#   bfd_cut_timers / bfd_check_cut   detection bounds and diagnostics after
#                               a cut link, both sides (FRR tests; below)

SVR_BFD="${SVR_BUILD_DIR:?SVR_BUILD_DIR not set}/cli/svr-bfd"
[ -x "$SVR_BFD" ] || { echo "FAIL: $SVR_BFD not built" >&2; exit 1; }

bfd_epoch() { date -u -d "$1" +%s.%N; }

bfd_state_time() {
  local iso
  iso=$(grep '"event":"state"' "$1" | grep "\"to\":\"$2\"" | sed -n "${3:-1}p" |
    sed -n 's/.*"time":"\([^"]*\)".*/\1/p')
  [ -n "$iso" ] && bfd_epoch "$iso"
}

bfd_count_tables() { grep -c '"event":"summary"' "$1" 2>/dev/null || true; }

bfd_table() { # LOG PID [SECS]
  local log=$1 pid=$2 secs=${3:-5} before
  # SIGUSR1 before the handler is installed would kill it: wait for "start"
  svr_wait_for 5 "grep -q '\"event\":\"start\"' '$log'" || return 1
  before=$(bfd_count_tables "$log")
  kill -USR1 "$pid" 2>/dev/null || return 1
  svr_wait_for "$secs" "[ \"\$(bfd_count_tables '$log')\" -gt $before ]" || return 1
  grep '"event":"table"' "$log" | tail -1
}

bfd_summary() { # LOG PID [SECS]
  local log=$1 pid=$2
  bfd_table "$log" "$pid" "${3:-5}" >/dev/null || return 1
  grep '"event":"summary"' "$log" | tail -1
}

bfd_json_field() {
  printf '%s\n' "$1" | grep -o "\"$2\":\(\"[^\"]*\"\|[^,}]*\)" | head -1 |
    cut -d: -f2- | tr -d '"'
}

bfd_wait_tx() {
  local log=$1 pid=$2 n=$3 secs=$4
  svr_wait_for "$secs" "[ \"\$(bfd_json_field \"\$(bfd_summary '$log' $pid)\" tx_packets)\" -ge $n ] 2>/dev/null"
}

# bfd_ms_between T0 T1 -> integer milliseconds T1 - T0 (epoch seconds)
bfd_ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", (b - a) * 1000 }'; }

# bfd_capture_start NS IFACE FILE FILTER: tshark writing FILE in the
# background; returns once tshark says it is capturing.  Sets BFD_CAP_PID.
bfd_capture_start() {
  touch "$3"; chmod 666 "$3"
  svr_bg "$1" tshark -q -i "$2" -f "$4" -w "$3"
  BFD_CAP_PID=$SVR_LAST_PID; BFD_CAP_LOG=$SVR_LAST_LOG
  svr_wait_for 20 "grep -qs 'Capturing on' '$BFD_CAP_LOG'" ||
    { echo "tshark did not start:"; cat "$BFD_CAP_LOG"; return 1; }
}

# bfd_capture_stop: SIGINT so tshark flushes the file, then wait for it.
bfd_capture_stop() {
  kill -INT "$BFD_CAP_PID" 2>/dev/null
  svr_wait_for 10 "! kill -0 $BFD_CAP_PID 2>/dev/null"
}

# bfd_pcap_count FILE DISPLAYFILTER: number of packets matching
bfd_pcap_count() { tshark -r "$1" -Y "$2" -T fields -e frame.number 2>/dev/null | wc -l; }

# bfd_pcap_check_ours FILE SRC: every packet from SRC decodes as BFD with no
# malformed packet or expert warning, TTL 255, DSCP CS6.  Prints a reason on
# failure.
bfd_pcap_check_ours() {
  local f=$1 src=$2 n bad
  n=$(bfd_pcap_count "$f" "ip.src==$src")
  [ "$n" -gt 0 ] || { echo "no packets from $src captured"; return 1; }
  bad=$(bfd_pcap_count "$f" "ip.src==$src && !bfd")
  [ "$bad" = 0 ] || { echo "$bad of $n packets from $src not decoded as BFD"; return 1; }
  bad=$(bfd_pcap_count "$f" "ip.src==$src && (_ws.malformed || _ws.expert)")
  [ "$bad" = 0 ] || { echo "$bad of $n packets from $src malformed or with expert info:";
    tshark -r "$f" -Y "ip.src==$src && (_ws.malformed || _ws.expert)" -V 2>/dev/null | grep -i -E 'expert|malformed' | sort | uniq -c | head; return 1; }
  bad=$(bfd_pcap_count "$f" "ip.src==$src && (ip.ttl != 255 || ip.dsfield.dscp != 48)")
  [ "$bad" = 0 ] || { echo "$bad of $n packets from $src without TTL 255 / DSCP CS6"; return 1; }
  echo "$n packets from $src: all BFD, no malformed/expert, TTL 255, CS6"
}

# --- FRR bfdd, run alone (reference/lab-recipes.md section 1) --------------
# frr_start NS DIR CONF: bfdd with its own vty socket dir; sets FRR_PID.
# Every state change goes to DIR/bfdd-debug.log with microsecond timestamps
# ("debug bfd peer"; frr_down_after reads it).
frr_start() {
  local ns=$1 d=$2
  mkdir -p "$d"
  { printf 'log timestamp precision 6\nlog file %s/bfdd-debug.log debugging\ndebug bfd peer\n' "$d"
    cat "$3"; } >"$d/bfdd.conf"
  chmod 755 "$d"; chown -R frr:frr "$d"
  svr_bg "$ns" /usr/lib/frr/bfdd -f "$d/bfdd.conf" --vty_socket "$d" -i "$d/bfdd.pid" \
    --bfdctl "$d/bfdd.sock" -z "$d/zserv.api" -P 0 --log "file:$d/bfdd.log" \
    --log-level warnings ${FRR_EXTRA:-}
  FRR_PID=$SVR_LAST_PID
  svr_wait_for 10 "[ -S '$d/bfdd.vty' ]" || { echo "bfdd did not start"; cat "$SVR_LAST_LOG"; return 1; }
}
frr_vtysh() { local d=$1; shift; local a=() c; for c in "$@"; do a+=(-c "$c"); done
  vtysh --vty_socket "$d" -d bfdd "${a[@]}" 2>/dev/null; }
# frr_peer_json DIR: the first peer of 'show bfd peers json', on one line
frr_peer_json() { frr_vtysh "$1" 'show bfd peers json' | tr -d ' \n'; }
frr_field() { bfd_json_field "$(frr_peer_json "$1")" "$2"; }

# --- a cut link: how fast and why each side goes Down ------------------------
# bfd_cut_timers LOG PID: reads our table before a cut and sets, in ms (RFC
# 5880 6.8.4 and 6.8.7): CUT_D_OURS our detection time, CUT_I_PEER the
# interval the peer sends at (max of its Desired Min TX and our Required Min
# RX), CUT_D_PEER the peer's detection time (our Detect Mult x max(its
# Required Min RX, our Desired Min TX)), CUT_I_OURS our transmit interval.
bfd_cut_timers() {
  local t
  t=$(bfd_table "$1" "$2") || return 1
  read -r CUT_D_OURS CUT_I_PEER CUT_D_PEER CUT_I_OURS < <(printf '%s\n' "$t" | awk '
    function f(k,  m) { if (match($0, "\"" k "\":[0-9.]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0 } return -1 }
    function max(a, b) { return a > b ? a : b }
    { printf "%d %d %d %d\n", f("detect_time_ms"),
        max(f("remote_desired_min_tx_ms"), f("required_min_rx_ms")),
        f("detect_mult") * max(f("remote_required_min_rx_ms"), f("desired_min_tx_ms")),
        f("tx_interval_ms") }')
  [ "${CUT_D_OURS:-0}" -gt 0 ] && [ "${CUT_D_PEER:-0}" -gt 0 ]
}

# bfd_down_after LOG T0: "TIME DIAG_CODE" of our first JSON state event into
# down after T0 (epoch seconds), or nothing.
bfd_down_after() {
  local iso diag t
  grep '"event":"state"' "$1" | grep '"to":"down"' |
    sed -n 's/.*"time":"\([^"]*\)".*"diag_code":\([0-9]*\).*/\1 \2/p' |
    while read -r iso diag; do
      t=$(bfd_epoch "$iso")
      if awk -v t="$t" -v t0="$2" 'BEGIN { exit !(t > t0) }'; then
        echo "$t $diag"; break
      fi
    done
}

# frr_down_after DIR T0: "TIME REASON" of bfdd's first state change into
# down after T0 (epoch seconds), from its debug log (local time, microsecond
# precision; bfdd writes "... state-change: [...] up -> down
# reason:control-expired"), or nothing.
frr_down_after() {
  local line ts reason
  while read -r line; do
    ts=$(date -d "$(printf '%s\n' "$line" | cut -d' ' -f1-2)" +%s.%N) || continue
    reason=$(printf '%s\n' "$line" | sed -n 's/.*-> down reason:\([^ ]*\).*/\1/p')
    if awk -v a="$ts" -v b="$2" 'BEGIN { exit !(a > b) }'; then
      echo "$ts ${reason:-none}"; return 0
    fi
  done < <(grep -s 'state-change: .* -> down' "$1/bfdd-debug.log")
  return 1
}

# bfd_check_cut NAME T0 LOG FRRDIR: after a cut at T0 (both directions
# lost), with CUT_* set by bfd_cut_timers, waits up to 5 s for both Downs and
# asserts (svr_pass / svr_fail), each from the side's own timestamps:
#  - our Down (svr-bfd's JSON event): diag 1 (Control Detection Time
#    Expired), at least our detection time minus the peer's interval minus
#    50 ms after the cut (its last packet may have left up to one interval
#    before the cut) and at most our detection time plus 150 ms (the `ip`
#    command and timer wake-up);
#  - bfdd's Down (its debug log): reason control-expired, within the same
#    bounds computed from its detection time and our interval; and what
#    vtysh shows afterwards: diagnostic "control detection time expired",
#    remote diagnostic "ok" (nothing from us reached it after the cut).
bfd_check_cut() {
  local name=$1 t0=$2 log=$3 frrdir=$4 ev to dc ms lo hi j diag rdiag
  svr_wait_for 5 "[ -n \"\$(bfd_down_after '$log' $t0)\" ] && frr_down_after '$frrdir' $t0 >/dev/null"
  ev=$(bfd_down_after "$log" "$t0")
  to=${ev% *}; dc=${ev#* }
  lo=$(( CUT_D_OURS - CUT_I_PEER - 50 )); hi=$(( CUT_D_OURS + 150 ))
  if [ -z "$ev" ]; then
    svr_fail "$name: we never went Down after the cut"
  else
    ms=$(bfd_ms_between "$t0" "$to")
    if [ "$dc" = 1 ] && [ "$ms" -ge "$lo" ] && [ "$ms" -le "$hi" ]; then
      svr_pass "$name: we went Down ${ms} ms after the cut with diag 1 (Control Detection Time Expired); detection ${CUT_D_OURS} ms, allowed ${lo}..${hi} ms"
    else
      svr_fail "$name: our Down ${ms} ms after the cut with diag ${dc}; want diag 1 within ${lo}..${hi} ms (detection ${CUT_D_OURS} ms)"
    fi
  fi
  ev=$(frr_down_after "$frrdir" "$t0")
  to=${ev% *}; dc=${ev#* }
  lo=$(( CUT_D_PEER - CUT_I_OURS - 50 )); hi=$(( CUT_D_PEER + 150 ))
  if [ -z "$ev" ]; then
    svr_fail "$name: bfdd logged no Down after the cut: $(frr_peer_json "$frrdir")"
  else
    ms=$(bfd_ms_between "$t0" "$to")
    if [ "$dc" = control-expired ] && [ "$ms" -ge "$lo" ] && [ "$ms" -le "$hi" ]; then
      svr_pass "$name: bfdd went Down ${ms} ms after the cut, reason control-expired (its log); its detection ${CUT_D_PEER} ms, allowed ${lo}..${hi} ms"
    else
      svr_fail "$name: bfdd Down ${ms} ms after the cut, reason '${dc}'; want control-expired within ${lo}..${hi} ms (its detection ${CUT_D_PEER} ms)"
    fi
  fi
  j=$(frr_peer_json "$frrdir")
  diag=$(bfd_json_field "$j" diagnostic)
  rdiag=$(bfd_json_field "$j" remote-diagnostic)
  # frr_peer_json drops the spaces: "control detection time expired"
  if [ "$(bfd_json_field "$j" status)" = down ] &&
     [ "$diag" = controldetectiontimeexpired ] && [ "$rdiag" = ok ]; then
    svr_pass "$name: vtysh: bfdd down, diagnostic 'control detection time expired', remote diagnostic 'ok'"
  else
    svr_fail "$name: vtysh: want bfdd down with diagnostic 'control detection time expired' and remote diagnostic 'ok': $j"
  fi
}
