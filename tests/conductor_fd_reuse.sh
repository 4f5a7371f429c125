#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A router node that reconnects again and again keeps one socket (label sim,
# loopback, no root).  libssh does not close a descriptor handed to it with
# SSH_OPTIONS_FD when the session is disconnected, so every connection the
# router itself ended with the socket still open (key refused, conductor
# declared dead, handshake timed out) used to stay open in CLOSE-WAIT: a
# router refused 40 times held 40 sockets, and a 10,000-router bench ran
# out of descriptors.
#  1. An unenrolled router retrying every 20-50 ms: after 40 refusals it
#     holds at most one socket (the attempt in progress).
#  2. An enrolled router whose conductor is stopped (SIGSTOP) three times,
#     each time long enough for the router to declare it dead, and resumed:
#     once reconnected it holds exactly one socket.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
cd "$SVR_TMP"

cond_start C1 cnd1 c1 0 --keepalive-interval 1 --keepalive-max 3
echo "$(known_host c1 $C1_PORT)" > kh
"$ROUTER" keygen r0.key >/dev/null
"$ROUTER" keygen r1.key >/dev/null
"$COND" --dir c1 enroll r1 r1.key.pub >/dev/null

# sockets PID: the number of sockets the process holds.
sockets() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'socket:' || true; }

echo "== 1. refused again and again"
svr_bg - "$ROUTER" run --router r0 --node n1 --key r0.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --backoff-base-ms 20 --backoff-cap-ms 50
P0=$SVR_LAST_PID; L0=$SVR_LAST_LOG
refusals() { grep -c 'refused the router key' "$L0" || true; }
if svr_wait_for 30 '[ "$(refusals)" -ge 40 ]'; then
  n=$(sockets $P0)
  [ "$n" -le 1 ] && svr_pass "after $(refusals) refusals the router holds $n socket(s)" ||
    svr_fail "after $(refusals) refusals the router holds $n sockets (leaked)"
else
  svr_fail "only $(refusals) refusals in 30 s"; tail -3 "$L0"
fi
kill "$P0" 2>/dev/null

echo "== 2. conductor declared dead three times"
svr_bg - "$ROUTER" run --router r1 --node n1 --key r1.key --known-hosts kh \
  --conductor 127.0.0.1:$C1_PORT --keepalive-interval 1 --keepalive-max 1 \
  --backoff-base-ms 100 --backoff-cap-ms 200
P1=$SVR_LAST_PID; L1=$SVR_LAST_LOG
state() { "$COND" --dir c1 show assets --router r1 --json 2>/dev/null |
  sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' | head -1; }
deaths() { grep -c 'connection lost: .*declared dead' "$L1" || true; }
svr_wait_for 10 '[ "$(state r1)" = connected ]' || svr_fail "r1 not connected"
for i in 1 2 3; do
  kill -STOP "$C1_PID"
  svr_wait_for 10 '[ "$(deaths)" -ge '$i' ]' || svr_fail "cycle $i: conductor not declared dead"
  kill -CONT "$C1_PID"
  # connected again: the conductor logs a new connection of r1 after the resume
  svr_wait_for 20 '[ "$(grep -c "router r1 node n1 connected" "$C1_LOG")" -ge '$((i + 1))' ]' ||
    svr_fail "cycle $i: r1 did not reconnect"
done
svr_wait_for 10 '[ "$(state r1)" = connected ]' || svr_fail "r1 not connected at the end"
n=$(sockets $P1)
[ "$n" = 1 ] && svr_pass "after 3 dead conductors and reconnects the router holds 1 socket" ||
  svr_fail "after 3 dead conductors the router holds $n sockets (leaked)"
svr_finish
