# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for shell tests that use network namespaces (sourced).
#
#   . "$SVR_SOURCE_DIR/tests/lib/netns.sh"
#   svr_require_root "what this test needs"   # exit 77 outside CI, 1 in CI
#   svr_ns_add A                 # creates namespace "svrA<pid>", echoes name
#   svr_veth A 10.90.0.1/24 B 10.90.0.2/24   # veth between two namespaces
#   svr_bg A cmd args...         # starts cmd in ns A in the background, records PID
#   svr_wait_for 10 'condition'  # polls a shell condition up to N seconds
#   svr_pass / svr_fail "msg"    # counts and prints results
#
# Everything created is removed on exit: background processes are killed by
# PID, namespaces deleted, the temp dir removed.  Namespace names carry the
# test's PID so parallel runs cannot collide.  Nothing is ever created in the
# root namespace and no namespace gets a default route.

set -u
SVR_TAG=$$
SVR_TMP=$(mktemp -d /tmp/svrtest.XXXXXX)
SVR_PIDS=()
SVR_NSS=()
SVR_PASSED=0
SVR_FAILED=0

svr_cleanup() {
  local p n
  # TERM, then CONT for a test that stopped one (SIGSTOP): it must run its
  # own exit path (AdminDown, nft table removal) rather than be killed
  for p in "${SVR_PIDS[@]}"; do kill "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done
  for p in "${SVR_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  for n in "${SVR_NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$SVR_TMP"
}
trap svr_cleanup EXIT
trap 'exit 1' INT TERM

svr_in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; }

svr_require_root() {
  if [ "$(id -u)" != 0 ]; then
    if svr_in_ci; then
      echo "FAIL: $1 needs root; CI is set, so this is a failure, not a skip" >&2
      exit 1
    fi
    echo "skipped: needs root ($1)"
    exit 77
  fi
}

# svr_require_cmd CMD...: the commands must exist (installed by tests/packages.txt).
svr_require_cmd() {
  local c
  for c in "$@"; do
    if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "$c" ]; then
      if svr_in_ci; then echo "FAIL: $c not installed" >&2; exit 1; fi
      echo "skipped: $c not installed (see tests/packages.txt)"; exit 77
    fi
  done
}

# Namespace for short name X is svrX<pid>; svr_ns X prints it.
svr_ns() { echo "svr$1$SVR_TAG"; }

svr_ns_add() {
  local n; n=$(svr_ns "$1")
  ip netns add "$n" || { echo "FAIL: ip netns add $n" >&2; exit 1; }
  SVR_NSS+=("$n")
  ip -n "$n" link set lo up
}

# svr_veth A ADDR_A B ADDR_B [IFNAME_A IFNAME_B]: veth created inside the namespaces.
svr_veth() {
  local a b ia ib
  a=$(svr_ns "$1"); b=$(svr_ns "$3")
  ia=${5:-v$1$3}; ib=${6:-v$3$1}
  ip link add "$ia" netns "$a" type veth peer name "$ib" netns "$b" || exit 1
  ip -n "$a" addr add "$2" dev "$ia"; ip -n "$a" link set "$ia" up
  ip -n "$b" addr add "$4" dev "$ib"; ip -n "$b" link set "$ib" up
}

# svr_bg NS cmd...: run in namespace NS (short name, or "-" for none) in the
# background; stdout/stderr go to $SVR_TMP/<basename>.<n>.log; sets SVR_LAST_PID.
SVR_BG_SEQ=0
svr_bg() {
  local ns=$1; shift
  # a counter that only grows: a PID taken off SVR_PIDS (dp_kill) must not
  # hand its log file to the next process
  local log="$SVR_TMP/$(basename "$1").$SVR_BG_SEQ.log"
  SVR_BG_SEQ=$((SVR_BG_SEQ + 1))
  if [ "$ns" = "-" ]; then
    "$@" >"$log" 2>&1 &
  else
    ip netns exec "$(svr_ns "$ns")" "$@" >"$log" 2>&1 &
  fi
  SVR_LAST_PID=$!
  SVR_LAST_LOG=$log
  SVR_PIDS+=("$SVR_LAST_PID")
}

# svr_wait_for SECONDS 'shell condition': polls every 0.1 s; 0 when it held.
svr_wait_for() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    if eval "$2"; then return 0; fi
    sleep 0.1
  done
  return 1
}

svr_pass() { echo "PASS: $*"; SVR_PASSED=$((SVR_PASSED + 1)); }
svr_fail() { echo "FAIL: $*"; SVR_FAILED=$((SVR_FAILED + 1)); }

# svr_finish: prints "N passed, N failed" and exits 0 only if nothing failed
# and something passed.
svr_finish() {
  echo "$SVR_PASSED passed, $SVR_FAILED failed"
  [ "$SVR_FAILED" -eq 0 ] && [ "$SVR_PASSED" -gt 0 ]
  exit $?
}
