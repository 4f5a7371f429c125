# Shell helpers for the svr-bfd tests (sourced after tests/lib/netns.sh).
#
#   SVR_BFD            path of the svr-bfd binary
#   bfd_state_time LOG TO [N]   epoch time (s.us) of the Nth (default 1st)
#                               JSON "state" event into state TO, or empty
#   bfd_table LOG PID           sends SIGUSR1 and waits for a fresh table;
#                               prints the last JSON table line
#   bfd_json_field LINE KEY     value of "KEY": in a flat JSON line (first one)
#   bfd_wait_tx LOG PID N SECS  waits until svr-bfd has sent >= N packets

SVR_BFD="${SVR_BUILD_DIR:?SVR_BUILD_DIR not set}/cli/svr-bfd"
[ -x "$SVR_BFD" ] || { echo "FAIL: $SVR_BFD not built" >&2; exit 1; }

bfd_state_time() {
  grep '"event":"state"' "$1" | grep "\"to\":\"$2\"" | sed -n "${3:-1}p" |
    sed -n 's/.*"time":\([0-9.]*\).*/\1/p'
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
frr_start() {
  local ns=$1 d=$2
  mkdir -p "$d"; cp "$3" "$d/bfdd.conf"; chmod 755 "$d"; chown -R frr:frr "$d"
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
