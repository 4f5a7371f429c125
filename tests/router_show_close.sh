#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# router_show_close (label sim, no root): a `show` client that gives up
# before the answer is written (timed out, killed, or closed early) must not
# kill the daemon.  svr-router on loopback with 2,000 adjacencies (nothing
# answers them: the JSON of 2,000 paths is about 500 KB either way); 40
# clients each write 'show peers json' and close the control connection at
# once, every other one after reading the first 4 KB of the answer, so the
# daemon's writes meet a closed peer (EPIPE, and SIGPIPE unless it is
# caught or suppressed).  Then the daemon must still run and answer a whole
# `show peers --json` with the 2,000 paths.  Traffic stays on 127.0.0.0/8.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
R="$SVR_BUILD_DIR/cli/svr-router"
svr_require_cmd "$R" python3
T=$SVR_TMP
N=2000
PORT=$((20000 + SVR_TAG % 20000))
SOCK=$T/hub.sock
awk -v sock="$SOCK" -v port="$PORT" -v n="$N" 'BEGIN {
  print "router hub"; print "control-socket " sock
  print "[interface lo]"; print "address 127.0.0.1"; print "port " port
  print "[neighborhood spokes]"; print "interface lo"; print "topology hub"
  for (i = 0; i < n; i++) {
    printf "[adjacency spoke-%d]\nneighborhood spokes\naddress 127.1.%d.%d\nport %d\n",
      i, int(i / 250), 1 + i % 250, port }
}' >"$T/hub.conf"
svr_bg - "$R" -c "$T/hub.conf"; HP=$SVR_LAST_PID; HL=$SVR_LAST_LOG
npeers() { "$R" -s "$SOCK" show peers --json 2>/dev/null | grep -o '"peer":"' | wc -l; }
svr_wait_for 20 "[ \"\$(npeers)\" = $N ]" &&
  svr_pass "daemon up, show peers --json lists $N paths" ||
  { svr_fail "daemon not answering: $(tail -3 "$HL")"; svr_finish; }
# the clients: connect, ask, close (odd ones after 4 KB of the answer)
python3 - "$SOCK" 40 <<'PY'
import socket, sys
path, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        s.sendall(b"show peers json\n")
        if i % 2:
            s.recv(4096)
    except OSError as e:  # the daemon died: the checks below say so
        print("client %d: %s" % (i, e))
        break
    finally:
        s.close()
PY
# each request is answered within the loop's next turns: a show that comes
# back whole proves the daemon went through them
svr_wait_for 20 "[ \"\$(npeers)\" = $N ] || ! kill -0 $HP 2>/dev/null"
if kill -0 "$HP" 2>/dev/null; then
  svr_pass "daemon still running after 40 clients closed early"
else
  wait "$HP" 2>/dev/null; rc=$?
  svr_fail "daemon died (exit status $rc$([ $rc -gt 128 ] && echo ", signal $((rc - 128))")): $(tail -2 "$HL")"
fi
[ "$(npeers)" = "$N" ] && svr_pass "it still answers show peers --json with $N paths" ||
  svr_fail "no whole answer after the early closes"
svr_finish
