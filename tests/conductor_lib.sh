# SPDX-License-Identifier: BSD-2-Clause
# Helpers for the libconductor loopback tests (sourced after lib/netns.sh).
# Everything lives in $SVR_TMP; processes are started with svr_bg (killed by
# PID on exit); conductors listen on 127.0.0.1 with a port the kernel picks
# (--port 0) unless one is given, so parallel runs cannot collide.

CB="$SVR_BUILD_DIR/cli"
COND="$CB/svr-conductor"
ROUTER="$CB/svr-conductor-router"
[ -x "$COND" ] && [ -x "$ROUTER" ] || { echo "FAIL: build svr-conductor first"; exit 1; }

# cond_start VAR NODE DIR [PORT] [extra run args...]: starts a conductor node;
# sets ${VAR}_PID, ${VAR}_PORT, ${VAR}_LOG.
cond_start() {
  local var=$1 node=$2 dir=$3 port=${4:-0}; shift 4 2>/dev/null || shift $#
  svr_bg - "$COND" --dir "$dir" run --listen 127.0.0.1 --port "$port" \
    --node "$node" -v "$@"
  local pid=$SVR_LAST_PID log=$SVR_LAST_LOG
  if ! svr_wait_for 10 "grep -q 'listening port=' '$log'"; then
    echo "FAIL: conductor $node did not start:"; cat "$log"; exit 1
  fi
  eval "${var}_PID=$pid ${var}_LOG='$log'"
  eval "${var}_PORT=$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$log" | head -1)"
}

# known_host DIR PORT: the known-hosts line pinning the conductor in DIR.
known_host() {
  echo "[127.0.0.1]:$2 $(cut -d' ' -f1,2 "$1/ssh_host_ed25519_key.pub")"
}

# q DIR SQL: one value from a conductor database.
q() { sqlite3 "$1/conductor.db" "$2"; }

# json_count: number of objects in a show --json array on stdin.
json_count() { grep -c '^  {' || true; }
