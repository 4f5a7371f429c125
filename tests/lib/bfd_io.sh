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

bfd_count_tables() { grep -c '"event":"table"' "$1" 2>/dev/null || true; }

bfd_table() {
  local log=$1 pid=$2 before
  before=$(bfd_count_tables "$log")
  kill -USR1 "$pid" 2>/dev/null || return 1
  svr_wait_for 5 "[ \"\$(bfd_count_tables '$log')\" -gt $before ]" || return 1
  grep '"event":"table"' "$log" | tail -1
}

bfd_summary() {
  local log=$1 pid=$2
  bfd_table "$log" "$pid" >/dev/null || return 1
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
