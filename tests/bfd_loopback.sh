#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bfd_loopback (label sim, no root): two svr-bfd processes over 127.0.0.1 and
# 127.0.0.2 on a random port.  Asserts:
#   1. both `--once` processes reach Up and exit 0; each learns the other's
#      router name from the SVR metadata;
#      every JSON line has "event" and an ISO-8601 UTC "time" with
#      milliseconds; table rows say path_up (hold-down), never "up" beside
#      "state"; a name the peer did not send is null;
#   2. nobody listening gives exit 6 at --timeout (not before) naming the
#      ICMP port unreachable; a silent peer exit 1 "no_reply"; --once has a
#      10 s deadline of its own; SIGINT before Up exits 3;
#   3. SIGTERM sends AdminDown: the peer goes Down with diag 3 (neighbor
#      signaled session down) well before its 2 s detection time;
#   4. bad flags and bad config lines exit 2 naming the problem;
#   5. one process, several sessions from a config file: two local addresses
#      (one socket each) and one address with an SVR and an RFC 5881 session
#      (three sockets), so transmit batches switch sockets; all reach Up;
#   6. the control socket: `svr-bfd show [--json] --control PATH` asks a
#      running svr-bfd for its table (text and one JSON document with both
#      sessions Up); a second daemon on a live socket is refused (exit 5), a
#      missing directory named; no daemon there: exit 5; an unknown command
#      exit 2; the socket file is gone after the daemon exits.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"

PORT=$(( 20000 + RANDOM % 20000 ))
T="--port $PORT --tx 100 --rx 100 --hold-down 0 --json"

# 1. --once on both sides
svr_bg - "$SVR_BFD" -l 127.0.0.1 -p 127.0.0.2 $T --router-name rA --once --timeout 10
PA=$SVR_LAST_PID; LA=$SVR_LAST_LOG
svr_bg - "$SVR_BFD" -l 127.0.0.2 -p 127.0.0.1 $T --router-name rB --once --timeout 10
PB=$SVR_LAST_PID; LB=$SVR_LAST_LOG
wait "$PA"; RA=$?
wait "$PB"; RB=$?
if [ "$RA" = 0 ] && [ "$RB" = 0 ] && [ -n "$(bfd_state_time "$LA" up)" ] &&
   [ -n "$(bfd_state_time "$LB" up)" ]; then
  svr_pass "two --once processes reached Up and exited 0"
else
  svr_fail "--once exit codes $RA/$RB"; cat "$LA" "$LB"
fi
NA=$(bfd_json_field "$(grep '"event":"table"' "$LA" | tail -1)" peer_router)
NB=$(bfd_json_field "$(grep '"event":"table"' "$LB" | tail -1)" peer_router)
if [ "$NA" = rB ] && [ "$NB" = rA ]; then
  svr_pass "router names exchanged in SVR metadata"
else
  svr_fail "peer router names seen: A='$NA' B='$NB' (want rB, rA)"
fi

if python3 - "$LA" <<'EOP'
import json, re, sys
n = 0
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    o = json.loads(line); n += 1
    assert "event" in o, o
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o.get("time", "")), o
    for r in o.get("sessions", []) if isinstance(o.get("sessions"), list) else []:
        assert "up" not in r and isinstance(r["path_up"], bool), r
        assert r["peer_router"] == "rB" and r["peer_node"] is None, r
assert n >= 4, n
EOP
then
  svr_pass "JSON lines: event and ISO-8601 time on each, path_up not up, unknown name null"
else
  svr_fail "JSON lines of --once"; cat "$LA"
fi

# 2. nobody listens: ICMP port unreachable, named, exit 6 after --timeout;
#    a silent peer (a socket that swallows): "no reply", exit 1; --once
#    alone has a deadline of its own; SIGINT before Up: exit 3
t0=$(date +%s%N)
"$SVR_BFD" -l 127.0.0.1 -p 127.0.0.3 $T --once --timeout 1 >"$SVR_TMP/alone.log" 2>&1
RC=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$RC" = 6 ] && [ "$ms" -ge 1000 ] && [ "$ms" -lt 5000 ] &&
   grep -q '"event":"not_up".*"reason":"port_unreachable"' "$SVR_TMP/alone.log"; then
  svr_pass "no listener: exit 6 after ${ms} ms (--timeout 1), reason port_unreachable"
else
  svr_fail "no listener: exit $RC after ${ms} ms"; cat "$SVR_TMP/alone.log"
fi
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.4", int(sys.argv[1])))
print("bound", flush=True)
t = time.time()
while time.time() - t < 60: s.recv(65536)
' "$PORT" >"$SVR_TMP/sink.out" &
SINK=$!; SVR_PIDS+=($SINK)
svr_wait_for 10 "grep -q bound '$SVR_TMP/sink.out'" || svr_fail "sink did not bind"
"$SVR_BFD" -l 127.0.0.1 -p 127.0.0.4 $T --once --timeout 1 >"$SVR_TMP/silent.log" 2>&1
RC=$?
if [ "$RC" = 1 ] && grep -q '"event":"not_up".*"reason":"no_reply"' "$SVR_TMP/silent.log"; then
  svr_pass "silent peer: exit 1, reason no_reply"
else
  svr_fail "silent peer: exit $RC"; cat "$SVR_TMP/silent.log"
fi
timeout 40 "$SVR_BFD" -l 127.0.0.1 -p 127.0.0.4 --port "$PORT" --once >"$SVR_TMP/deadline.log" 2>&1
RC=$?
if [ "$RC" = 1 ] && grep -q "reached Up in 10.0 s" "$SVR_TMP/deadline.log"; then
  svr_pass "--once without --timeout: gave up at its own 10 s deadline, exit 1"
else
  svr_fail "--once without --timeout: exit $RC (124: no deadline)"; cat "$SVR_TMP/deadline.log"
fi
"$SVR_BFD" -l 127.0.0.1 -p 127.0.0.4 $T >"$SVR_TMP/int.log" 2>&1 &
IP=$!; SVR_PIDS+=($IP)
svr_wait_for 10 "grep -q '\"event\":\"start\"' '$SVR_TMP/int.log'" || svr_fail "no start line"
kill -INT $IP; wait $IP; RC=$?
[ "$RC" = 3 ] && svr_pass "SIGINT before Up: exit 3 (inconclusive)" ||
  { svr_fail "SIGINT before Up: exit $RC"; cat "$SVR_TMP/int.log"; }
kill $SINK; wait $SINK 2>/dev/null

# 3. graceful exit sends AdminDown.  Detection time is 20 x 100 ms = 2 s, so
# a Down well under 1 s after SIGTERM can only come from the AdminDown packet.
svr_bg - "$SVR_BFD" -l 127.0.0.1 -p 127.0.0.2 $T --mult 20 --timeout 10
PA=$SVR_LAST_PID; LA=$SVR_LAST_LOG
svr_bg - "$SVR_BFD" -l 127.0.0.2 -p 127.0.0.1 $T --mult 20 --timeout 10
PB=$SVR_LAST_PID; LB=$SVR_LAST_LOG
if svr_wait_for 10 "[ -n \"\$(bfd_state_time '$LA' up)\" ] && [ -n \"\$(bfd_state_time '$LB' up)\" ]"; then
  tk=$(date +%s.%N)
  kill -TERM "$PA"; wait "$PA"; RA=$?
  svr_wait_for 5 "[ -n \"\$(bfd_state_time '$LB' down)\" ]"
  td=$(bfd_state_time "$LB" down)
  diag=$(grep '"to":"down"' "$LB" | head -1 | sed -n 's/.*"diag_code":\([0-9]*\).*/\1/p')
  ms=$(bfd_ms_between "$tk" "${td:-0}")
  if [ "$RA" = 0 ] && [ -n "$td" ] && [ "$diag" = 3 ] && [ "$ms" -lt 1000 ]; then
    svr_pass "SIGTERM: exit 0, peer Down (diag 3) ${ms} ms later"
  else
    svr_fail "SIGTERM: exit $RA, peer Down at '${td}' diag '${diag}' (${ms} ms)"; cat "$LB"
  fi
else
  svr_fail "second pair did not come Up"; cat "$LA" "$LB"
fi
kill "$PA" "$PB" 2>/dev/null; wait "$PA" "$PB" 2>/dev/null

# 4. usage and config errors: exit 2 and a message naming the problem
usage_case() { # expected-substring args...
  local want=$1 out rc; shift
  out=$("$SVR_BFD" "$@" 2>&1); rc=$?
  if [ "$rc" = 2 ] && printf '%s' "$out" | grep -qF -- "$want"; then
    svr_pass "usage error '$*' -> exit 2, says '$want'"
  else
    svr_fail "usage error '$*' -> exit $rc: $out"
  fi
}
usage_case "mult=40: outside 3..20" -l 127.0.0.1 -p 127.0.0.2 --mult 40
usage_case "auth: unknown type" -l 127.0.0.1 -p 127.0.0.2 --auth foo:1:x
usage_case "no peer address" -l 127.0.0.1
usage_case "unknown or incomplete option" --no-such-flag
printf 'router-name r1\nsession local=127.0.0.1 peer=127.0.0.2 tx=abc\n' >"$SVR_TMP/bad.conf"
usage_case "bad.conf:2: tx=abc: interval must be" -c "$SVR_TMP/bad.conf"
printf 'session local=127.0.0.1 peer=::1\n' >"$SVR_TMP/bad2.conf"
usage_case "bad2.conf:1: local and peer addresses are of different families" -c "$SVR_TMP/bad2.conf"
# every error of a file, each with its line, duplicates included
printf 'session local=127.0.0.1 peer=127.0.0.2 mult=40\nsession local=127.0.0.1 peer=127.0.0.2\nsession local=127.0.0.1 peer=127.0.0.2 tx=200\nsession local=127.0.0.1 peer=10.0.0.300\nfoo\n' >"$SVR_TMP/bad3.conf"
out=$("$SVR_BFD" -c "$SVR_TMP/bad3.conf" 2>&1); rc=$?
if [ "$rc" = 2 ] && grep -qF "bad3.conf:1: mult=40" <<<"$out" &&
   grep -qF "bad3.conf:3: duplicate session 127.0.0.1 -> 127.0.0.2 (already at line 2)" <<<"$out" &&
   grep -qF "bad3.conf:4: peer=10.0.0.300" <<<"$out" && grep -qF "bad3.conf:5: unknown item 'foo'" <<<"$out" &&
   grep -qF "4 errors" <<<"$out"; then
  svr_pass "config: all 4 errors reported with their lines, the duplicate included"
else
  svr_fail "config errors: rc $rc: $out"
fi
if "$SVR_BFD" --help | grep -q '^Exit status'; then
  svr_pass "--help documents exit status"
else
  svr_fail "--help"
fi
# 5. several sessions and sockets in one process
cat >"$SVR_TMP/multi-a.conf" <<EOC
router-name multiA
session local=127.0.0.1 peer=127.0.0.3 port=$PORT tx=100 rx=100 hold-down=0
session local=127.0.0.2 peer=127.0.0.4 port=$PORT tx=100 rx=100 hold-down=0
session local=127.0.0.5 peer=127.0.0.6 port=$PORT tx=100 rx=100 hold-down=0
session local=127.0.0.5 peer=127.0.0.7 rfc5881 tx=100 rx=100 hold-down=0
EOC
cat >"$SVR_TMP/multi-b.conf" <<EOC
session local=127.0.0.3 peer=127.0.0.1 port=$PORT tx=100 rx=100 hold-down=0
session local=127.0.0.4 peer=127.0.0.2 port=$PORT tx=100 rx=100 hold-down=0
session local=127.0.0.6 peer=127.0.0.5 port=$PORT tx=100 rx=100 hold-down=0
session local=127.0.0.7 peer=127.0.0.5 rfc5881 tx=100 rx=100 hold-down=0
EOC
svr_bg - "$SVR_BFD" -c "$SVR_TMP/multi-a.conf" --json --once --timeout 10
PA=$SVR_LAST_PID; LA=$SVR_LAST_LOG
svr_bg - "$SVR_BFD" -c "$SVR_TMP/multi-b.conf" --json --once --timeout 10
PB=$SVR_LAST_PID; LB=$SVR_LAST_LOG
wait "$PA"; RA=$?
wait "$PB"; RB=$?
ua=$(grep -c '"to":"up"' "$LA"); ub=$(grep -c '"to":"up"' "$LB")
# every datagram must reach the session it was built for: a batch that mixed
# up sockets and payloads shows up as packets the peer discards
rja=$(bfd_json_field "$(grep '"event":"summary"' "$LA" | head -1)" rx_rejected)
rjb=$(bfd_json_field "$(grep '"event":"summary"' "$LB" | head -1)" rx_rejected)
if [ "$RA" = 0 ] && [ "$RB" = 0 ] && [ "$ua" -ge 4 ] && [ "$ub" -ge 4 ] &&
   [ "$rja" = 0 ] && [ "$rjb" = 0 ]; then
  svr_pass "4 sessions over 3 local addresses / 5 sockets per process: all Up, no packet discarded"
else
  svr_fail "multi-session: exit $RA/$RB, up events $ua/$ub, discarded $rja/$rjb"; cat "$LA" "$LB"
fi

# 6. control socket
CS=$SVR_TMP/bfd.sock
svr_bg - "$SVR_BFD" -l 127.0.0.1 -p 127.0.0.2 $T --control "$CS"
PA=$SVR_LAST_PID; LA=$SVR_LAST_LOG
svr_bg - "$SVR_BFD" -l 127.0.0.2 -p 127.0.0.1 $T
PB=$SVR_LAST_PID; LB=$SVR_LAST_LOG
if svr_wait_for 10 "[ -n \"\$(bfd_state_time '$LA' up)\" ] && [ -S '$CS' ]"; then
  txt=$("$SVR_BFD" show --control "$CS" 2>&1); rc=$?
  js=$("$SVR_BFD" show --json --control "$CS" 2>&1); rcj=$?
  if [ "$rc" = 0 ] && grep -q '^LOCAL .*STATE' <<<"$txt" && grep -q '^127.0.0.1 .* up ' <<<"$txt" &&
     grep -q '^summary:.* sessions=1 up=1' <<<"$txt"; then
    svr_pass "svr-bfd show: the running daemon's table, session up"
  else
    svr_fail "svr-bfd show: exit $rc: $txt"
  fi
  if [ "$rcj" = 0 ] && python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["event"] == "show" and d["time"].endswith("Z"), d
s = d["sessions"]
assert len(s) == 1 and s[0]["local"] == "127.0.0.1" and s[0]["state"] == "up", s
assert d["summary"]["sessions"] == 1 and d["summary"]["up"] == 1, d["summary"]
' "$js"; then
    svr_pass "svr-bfd show --json: one JSON document, session up, summary"
  else
    svr_fail "svr-bfd show --json: exit $rcj: $js"
  fi
  out=$("$SVR_BFD" -l 127.0.0.3 -p 127.0.0.4 $T --control "$CS" 2>&1); rc=$?
  if [ "$rc" = 5 ] && grep -q "another daemon answers there" <<<"$out"; then
    svr_pass "a second daemon on a live control socket: exit 5, named"
  else
    svr_fail "second daemon on $CS: exit $rc: $out"
  fi
  out=$(python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"reboot\n")
print(s.recv(4096).decode(), end="")' "$CS" 2>&1)
  if grep -q '^error: unknown command' <<<"$out"; then
    svr_pass "unknown command on the socket: 'error: unknown command ...'"
  else
    svr_fail "unknown command answered: $out"
  fi
else
  svr_fail "control socket daemon not Up / no socket"; cat "$LA"
fi
kill "$PA" "$PB" 2>/dev/null; wait "$PA" "$PB" 2>/dev/null
if [ ! -e "$CS" ]; then svr_pass "control socket removed at exit"; else svr_fail "$CS left behind"; fi
out=$("$SVR_BFD" show --control "$CS" 2>&1); rc=$?
if [ "$rc" = 5 ] && grep -q "cannot reach the daemon at $CS" <<<"$out"; then
  svr_pass "show without a daemon: exit 5, 'cannot reach the daemon'"
else
  svr_fail "show without a daemon: exit $rc: $out"
fi
out=$("$SVR_BFD" -l 127.0.0.1 -p 127.0.0.2 $T --control "$SVR_TMP/nodir/bfd.sock" --duration 1 2>&1); rc=$?
if [ "$rc" = 5 ] && grep -q "directory $SVR_TMP/nodir: No such file or directory" <<<"$out"; then
  svr_pass "control socket in a missing directory: exit 5, named"
else
  svr_fail "missing directory: exit $rc: $out"
fi
usage_case "show needs --control PATH" show
usage_case "show: unknown object 'routes' (show, show peers, show bfd peers)" show routes --control "$CS"
svr_finish
