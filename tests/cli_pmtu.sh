#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# cli_pmtu: svr-pmtu probe is honest about what it could not learn
# (issue 17, docs/cli.md).  Loopback, no root.
#  - an ICMP port unreachable stops the probe at once: exit 6, a JSON
#    "unreachable" event naming port_unreachable, a result with pmtu null,
#    and not one probe counted as lost (the old code kept probing for 6 s,
#    printed "pmtu 0" and exited 1 as if the path were unresolvable);
#  - elapsed_ms is the search's own time: the second of two runs 1 s apart
#    reports less than 1000 ms (the old code counted from the start);
#  - every JSON line has "event" and an ISO-8601 UTC "time";
#  - interrupted before a result (SIGINT while probes go unanswered): exit
#    3, inconclusive (the old code exited 1, "unresolvable").
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
PMTU="$SVR_BUILD_DIR/cli/svr-pmtu"
cd "$SVR_TMP"
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
json_ok() { # every line: an object with "event" and an ISO-8601 UTC "time"
  python3 - "$1" <<'PY'
import json, re, sys
bad = 0
for ln in open(sys.argv[1]):
    o = json.loads(ln)
    if "event" not in o or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(o.get("time"))):
        print("bad line:", ln.strip()); bad += 1
sys.exit(1 if bad else 0)
PY
}

# 1. nobody listens: ICMP port unreachable
P=$(free_port)
timeout 30 "$PMTU" probe --peer 127.0.0.1 --port "$P" --json >u.json 2>u.err
rc=$?
[ $rc = 6 ] && svr_pass "closed port: exit 6 (unreachable)" ||
  svr_fail "closed port: exit $rc, expected 6: $(cat u.err)"
grep -q '"event":"unreachable".*"reason":"port_unreachable"' u.json &&
  svr_pass "closed port: JSON event unreachable, reason port_unreachable" ||
  svr_fail "closed port: no unreachable event: $(cat u.json)"
grep -q '"event":"result".*"pmtu":null.*"state":"unreachable"' u.json &&
  svr_pass "closed port: result pmtu null, state unreachable" ||
  svr_fail "closed port: result line wrong: $(grep result u.json)"
n=$(grep -c '"event":"lost"' u.json)
[ "$n" = 0 ] && svr_pass "closed port: stopped at the first ICMP error (0 probes counted lost)" ||
  svr_fail "closed port: $n probes counted lost before stopping"
json_ok u.json && svr_pass "closed port: every JSON line has event and time" ||
  svr_fail "closed port: JSON lines without event/time"

# 2. a responder, two runs 1 s apart: elapsed is per search
P=$(free_port)
svr_bg - "$PMTU" respond --bind 127.0.0.1 --port "$P" --quiet
svr_wait_for 10 "ss -Hlun 'sport = :$P' | grep -q ." || svr_fail "responder did not bind"
timeout 60 "$PMTU" probe --peer 127.0.0.1 --port "$P" --max 3000 --runs 2 --interval 1 \
  --json >r.json 2>r.err
rc=$?
[ $rc = 0 ] && svr_pass "responder: exit 0 (found)" || svr_fail "responder: exit $rc: $(cat r.err)"
el=$(grep '"event":"result"' r.json | sed -n 2p | sed 's/.*"elapsed_ms":\([0-9]*\).*/\1/')
pm=$(grep '"event":"result"' r.json | sed -n 2p | sed 's/.*"pmtu":\([0-9]*\).*/\1/')
[ "$pm" = 3000 ] && svr_pass "responder: second run pmtu 3000" || svr_fail "responder: second run pmtu '$pm'"
[ -n "$el" ] && [ "$el" -lt 1000 ] && svr_pass "second search: elapsed_ms $el < 1000 (the search's own time)" ||
  svr_fail "second search: elapsed_ms '$el' counts from the program's start"
json_ok r.json && svr_pass "responder: every JSON line has event and time" ||
  svr_fail "responder: JSON lines without event/time"

# 3. a port that swallows probes, SIGINT before any result: inconclusive
P=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True)
t = time.time()
while time.time() - t < 60: s.recv(65536)
' "$P" >sink.out & SVR_PIDS+=($!)
svr_wait_for 10 "grep -q bound sink.out" || svr_fail "sink did not bind"
"$PMTU" probe --peer 127.0.0.1 --port "$P" --timeout 2000 --json >i.json 2>i.err &
PP=$!
SVR_PIDS+=($PP)
svr_wait_for 10 "grep -q '\"event\":\"search\"' i.json" || svr_fail "probe did not start"
kill -INT $PP
wait $PP
rc=$?
[ $rc = 3 ] && svr_pass "interrupted before a result: exit 3 (inconclusive)" ||
  svr_fail "interrupted before a result: exit $rc, expected 3"
svr_finish
