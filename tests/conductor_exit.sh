#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# conductor_exit (label sim, loopback, no root): svr-conductor and
# svr-conductor-router exit with the suite's table (docs/cli.md, "Exit
# status"; issue 17), each code they can return provoked with real
# processes:
#   2  usage: an unknown option (the two-line message naming it), an
#      unknown show target, a --conductor name that does not resolve
#   1  negative: no database, an unknown alarm ID, a router that is not
#      connected, a key enrolled for another router, a conductor whose host
#      key is not pinned (--once)
#   3  inconclusive: a conductor that accepts TCP and never speaks SSH
#      (logs --timeout 1; --once: the 10 s handshake deadline), --timeout
#      with alarms unacknowledged, SIGTERM before --exit-when-acked was met
#   4  permission: a database / --key we may not read (as root: run as
#      nobody with setpriv; skipped when nobody cannot run the programs)
#   6  unreachable: a port where nothing listens (TCP connection refused)
#   0  done
# Before issue 17 the conductor programs had their own codes (3 not found,
# 4 refused, 1 for a refused connection...): most cases below fail there.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
. "$SVR_SOURCE_DIR/tests/conductor_admin_lib.sh"
cd "$SVR_TMP"

# expect WANT 'what' CMD...: runs CMD (stdin /dev/null, bounded by timeout),
# passes when it exits WANT; its stderr is in err.
expect() {
  local want=$1 what=$2 rc
  shift 2
  timeout 60 "$@" </dev/null >out 2>err; rc=$?
  [ "$rc" = "$want" ] && svr_pass "$what: exit $rc" ||
    svr_fail "$what: exit $rc (want $want): $(tr '\n' ' ' <err | cut -c1-300)"
}
# the two lines of a usage error (docs/cli.md, "Options")
usage_lines() { # PROG WHAT
  [ "$(wc -l <err)" = 2 ] && grep -q "^$1: .*$2" err && grep -qx "Try '$1 --help'." err &&
    svr_pass "$1: '$(head -1 err)' + Try '$1 --help'." ||
    svr_fail "$1 usage message: $(cat err)"
}

admin_setup
# a port where nothing listens: bound, noted, closed
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# a port that completes the TCP handshake (backlog) and never says a word
svr_bg - python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(120)'
SILENT_LOG=$SVR_LAST_LOG
svr_wait_for 5 "grep -q '^[0-9]' '$SILENT_LOG'" || { svr_fail "silent listener"; svr_finish; }
SILENT=$(head -1 "$SILENT_LOG")

echo "== svr-conductor"
expect 2 "svr-conductor logs --bogus" "$COND" logs --router r1 --bogus "${ADMIN[@]}"
usage_lines svr-conductor "'--bogus'"
expect 2 "svr-conductor show bogus" "$COND" --dir c1 show bogus
usage_lines svr-conductor "unknown show target 'bogus'"
expect 1 "show alarms without a database" "$COND" --dir nodb show alarms
grep -q 'no database at' err || svr_fail "no database: $(cat err)"
expect 1 "shelve of an unknown alarm ID" "$COND" --dir c1 shelve n9.r9:1
expect 1 "enroll of r1's key for r9 (refused)" "$COND" --dir c1 enroll r9 r1.key.pub
expect 1 "logs --router nobody (not connected)" "$COND" logs --router nobody "${ADMIN[@]}"
grep -q 'router nobody is not connected' err || svr_fail "not connected: $(cat err)"
expect 6 "logs against a closed port (unreachable)" "$COND" logs --router r1 \
  --conductor 127.0.0.1:"$CLOSED" --key alice.key --known-hosts kh
grep -q 'Connection refused' err || svr_fail "closed port: $(cat err)"
expect 3 "logs against a silent conductor, --timeout 1 (inconclusive)" \
  "$COND" logs --router r1 --conductor 127.0.0.1:"$SILENT" --key alice.key \
  --known-hosts kh --timeout 1
grep -q 'no answer' err || svr_fail "silent conductor: $(cat err)"
# permission: root reads every file, so as root the cases run as nobody
AS=()
if [ "$(id -u)" = 0 ]; then
  AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  chmod o+x "$SVR_TMP"
fi
mkdir -p ro && chmod 755 ro && cp c1/conductor.db ro/ && chmod 000 ro/conductor.db
cp r1.key ro/r1.key && chmod 000 ro/r1.key
if "${AS[@]}" "$COND" --version >/dev/null 2>&1; then
  PERM=1
  expect 4 "show alarms, database not readable (permission)" \
    "${AS[@]}" "$COND" --dir "$SVR_TMP/ro" show alarms
else
  PERM=0
  echo "SKIP: permission cases (${AS[*]:-we} cannot run $COND)"
fi
expect 0 "logs --router r1" "$COND" logs --router r1 "${ADMIN[@]}"

echo "== svr-conductor-router"
RUN=(run --router r1 --node n7 --key r1.key --known-hosts kh)
expect 2 "svr-conductor-router run --bogus" "$ROUTER" "${RUN[@]}" --bogus
usage_lines svr-conductor-router "'--bogus'"
expect 2 "a --conductor name that does not resolve" "$ROUTER" "${RUN[@]}" \
  --conductor no-such-host.invalid:"$CLOSED" --once
grep -q 'cannot resolve conductor "no-such-host.invalid"' err || svr_fail "unresolvable: $(cat err)"
: >kh-empty
expect 1 "--once, the conductor's host key not pinned (refused)" "$ROUTER" run \
  --router r1 --node n7 --key r1.key --known-hosts kh-empty \
  --conductor 127.0.0.1:"$C1_PORT" --once
grep -q 'is not in' err || svr_fail "unpinned: $(cat err)"
expect 6 "--once against a closed port (unreachable)" "$ROUTER" "${RUN[@]}" \
  --conductor 127.0.0.1:"$CLOSED" --once
grep -q 'Connection refused' err || svr_fail "closed port: $(cat err)"
expect 3 "--once against a silent conductor (handshake deadline)" "$ROUTER" \
  "${RUN[@]}" --conductor 127.0.0.1:"$SILENT" --once
grep -q 'handshake timed out' err || svr_fail "silent conductor: $(cat err)"
expect 3 "--timeout 1 with an alarm unacknowledged" "$ROUTER" "${RUN[@]}" \
  --conductor 127.0.0.1:"$CLOSED" --raise major:peer:x --exit-when-acked --timeout 1
svr_bg - "$ROUTER" "${RUN[@]}" --conductor 127.0.0.1:"$CLOSED" \
  --raise major:peer:y --exit-when-acked -v
P=$SVR_LAST_PID
svr_wait_for 10 "grep -q 'raised n7.r1' '$SVR_LAST_LOG'" && kill -TERM "$P"
svr_wait_for 10 "! kill -0 $P 2>/dev/null"; wait "$P"; rc=$?
[ "$rc" = 3 ] && svr_pass "SIGTERM before --exit-when-acked was met: exit 3" ||
  svr_fail "SIGTERM before the ack: exit $rc (want 3)"
if [ $PERM = 1 ]; then
  expect 4 "--key not readable (permission)" "${AS[@]}" "$ROUTER" run \
    --router r1 --node n7 --key "$SVR_TMP/ro/r1.key" --known-hosts "$SVR_TMP/kh" \
    --conductor 127.0.0.1:"$C1_PORT" --once
fi
expect 0 "--exit-when-acked against the conductor" "$ROUTER" "${RUN[@]}" \
  --conductor 127.0.0.1:"$C1_PORT" --raise minor:peer:z --exit-when-acked --timeout 30
svr_finish
