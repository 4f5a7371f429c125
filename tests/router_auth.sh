#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router BFD authentication and dynamic damping (label sim, no root):
# three routers on 127.0.0.4-6, authentication-type sha256 (HMAC-SHA256).
#  1. router-a and router-b share the key: their path comes up.
#  2. router-c has another key: router-a and router-c never come up (both
#     tables say down for 10 detection times after a - b came up).
#  3. router-c's key fixed by SIGHUP: the changed session is re-created and
#     a - c comes up.
#  4. dynamic-damping: router-b frozen (SIGSTOP) until router-a sees the path
#     down, then resumed, three times: router-a's log shows the path
#     reported up 1, 2 and 4 s after its session came Up (the hold-down,
#     doubling per flap; a flap of the loaded machine's own counts too),
#     and never sooner than that after each resume.
# Traffic stays on 127.0.0.0/8.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
R="$SVR_BUILD_DIR/cli/svr-router"
svr_require_cmd "$R" python3
T=$SVR_TMP
PORT=$((20000 + (SVR_TAG + 7) % 20000))
declare -A IP=([a]=127.0.0.4 [b]=127.0.0.5 [c]=127.0.0.6)

conf() { # conf ROUTER KEY
  local x=$1 y
  {
    echo "router router-$x"
    echo "control-socket $T/$x.sock"
    echo "desired-tx-interval 100"
    echo "required-min-rx-interval 100"
    echo "hold-down-time 1"
    echo "dynamic-damping enabled"
    echo "maximum-hold-down-time 8"
    echo "link-test-length 0"
    echo "path-mtu-discovery disabled"
    echo "authentication-type sha256"
    echo "authentication-key $2"
    echo "[interface lo]"
    echo "address ${IP[$x]}"
    echo "port $PORT"
    echo "[neighborhood lab]"
    echo "interface lo"
    for y in a b c; do
      [ "$x" = "$y" ] && continue
      echo "[adjacency router-$y]"
      echo "neighborhood lab"
      echo "address ${IP[$y]}"
      echo "port $PORT"
    done
  } >"$T/$x.conf"
}
status() { # status ROUTER PEER -> up / down
  "$R" -s "$T/$1.sock" show peers --json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin)["peers"]:
    if p["peer_router"] == sys.argv[1]: print(p["status"])' "router-$2"
}
conf a key-one; conf b key-one; conf c key-two
declare -A PID LOG
for x in a b c; do svr_bg - "$R" -c "$T/$x.conf"; PID[$x]=$SVR_LAST_PID; LOG[$x]=$SVR_LAST_LOG; done

if svr_wait_for 10 '[ "$(status a b)" = up ] && [ "$(status b a)" = up ]'; then
  svr_pass "same sha256 key: router-a - router-b up"
else
  cat "${LOG[a]}"; svr_fail "a - b not up"
fi
# show bfd peers --json --format frr: FRR bfdd's array, written by the same
# code as svr-bfd's (cli/common/svr_frr.c).  The key set of router-a's
# session to router-b (up) and to router-c (down) must equal svr-bfd's for
# a session in the same state (bfd_interop_frr checks svr-bfd's against
# bfdd's own); ids and intervals agree between router-a and router-b.
svr_bg - "$SVR_BUILD_DIR/cli/svr-bfd" -l 127.0.0.7 -p 127.0.0.8 --port "$PORT" \
  --control "$T/bfd.sock"; BFD_PID=$SVR_LAST_PID
svr_wait_for 5 '[ -S "$T/bfd.sock" ]'
frr_bfd=$("$SVR_BUILD_DIR/cli/svr-bfd" show --json --format frr --control "$T/bfd.sock")
frr_a=$("$R" -s "$T/a.sock" show bfd peers --json --format frr)
frr_b=$("$R" -s "$T/b.sock" show peers --json --format frr)
if r=$(python3 - "$frr_bfd" "$frr_a" "$frr_b" <<'PY2'
import json, sys
bfd, a, b = (json.loads(x) for x in sys.argv[1:4])
assert isinstance(a, list) and len(a) == 2, a
down = set(bfd[0])   # svr-bfd toward a silent peer: down, "downtime"
up = (down - {"downtime"}) | {"uptime"}
ab = [o for o in a if o["peer"] == "127.0.0.5"][0]
ac = [o for o in a if o["peer"] == "127.0.0.6"][0]
ba = [o for o in b if o["peer"] == "127.0.0.4"][0]
assert bfd[0]["status"] == "down" and ab["status"] == "up" and ac["status"] == "down", (bfd, a)
assert set(ab) == up, "a->b keys %s differ from svr-bfd's %s" % (sorted(ab), sorted(up))
assert set(ac) == down, "a->c keys %s differ from svr-bfd's %s" % (sorted(ac), sorted(down))
assert ab["remote-id"] == ba["id"] and ba["remote-id"] == ab["id"] and ab["id"] != 0, (ab, ba)
assert ab["local"] == "127.0.0.4" and ab["transmit-interval"] == 100 and ab["receive-interval"] == 100, ab
assert ab["remote-transmit-interval"] == 100 and ab["diagnostic"] == "ok", ab
assert ac["remote-id"] == 0 and ac["diagnostic"] in ("ok", "control detection time expired"), ac
print("%d keys as svr-bfd's, ids %d/%d agree with router-b's" % (len(ab), ab["id"], ab["remote-id"]))
PY2
); then
  svr_pass "show bfd peers --json --format frr: $r"
else
  svr_fail "show bfd peers --format frr: $r / router-a $frr_a / svr-bfd $frr_bfd"
fi
kill "$BFD_PID" 2>/dev/null
"$R" -s "$T/a.sock" show peers --format frr >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && svr_pass "--format frr without --json: exit 2" || svr_fail "--format frr without --json: exit $rc"
# 10 detection times (300 ms) after a - b came up
t_end=$(( $(date +%s%N) + 3000000000 ))
never=1
while [ "$(date +%s%N)" -lt "$t_end" ]; do
  [ "$(status a c)" = down ] && [ "$(status c a)" = down ] || { never=0; break; }
done
[ "$never" = 1 ] && ! grep -q 'router-a -> router-c via lo: .* -> up' "${LOG[a]}" &&
  svr_pass "different key: router-a - router-c never up (3 s, 10 detection times)" ||
  svr_fail "a - c came up with a wrong key"

echo "== 3. router-c's key fixed by SIGHUP"
conf c key-one
kill -HUP "${PID[c]}"
if svr_wait_for 10 '[ "$(status a c)" = up ] && [ "$(status c a)" = up ]'; then
  svr_pass "key fixed on router-c (SIGHUP): a - c up"
else
  tail -5 "${LOG[c]}"; svr_fail "a - c not up after the key fix"
fi
grep -q 'removed or changed: AdminDown' "${LOG[c]}" &&
  svr_pass "router-c re-created the changed sessions" || svr_fail "no re-creation logged"

echo "== 4. dynamic damping on router-a's path to router-b"
flap() { # freezes router-b until router-a sees the path down, resumes it;
         # prints the ms from the resume to router-a reporting it up again
  local t
  kill -STOP "${PID[b]}"
  svr_wait_for 10 '[ "$(status a b)" = down ]' || { echo fail; return; }
  t=$(date +%s%N)
  kill -CONT "${PID[b]}"
  svr_wait_for 30 '[ "$(status a b)" = up ]' || { echo fail; return; }
  echo $(( ($(date +%s%N) - t) / 1000000 ))
}
d1=$(flap); d2=$(flap); d3=$(flap)
echo "   up again after ${d1} ms, ${d2} ms, ${d3} ms (from the resume)"
# Log lines start with the suite's time: ISO-8601 UTC with milliseconds
# (docs/cli.md), the clock's own date and hour, not HH:MM:SS.mmm.
now_iso=$(date -u +%Y-%m-%dT%H)
bad=$(grep -c -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z svr-router\[' "${LOG[a]}")
first=$(head -c 13 "${LOG[a]}")
if [ "$bad" = 0 ] && [ -s "${LOG[a]}" ] &&
   { [ "$first" = "$now_iso" ] || [ "$first" = "$(date -u -d '-1 hour' +%Y-%m-%dT%H)" ]; }; then
  svr_pass "router-a's log: every line starts with an ISO-8601 UTC time with ms ($(head -c 24 "${LOG[a]}"))"
else
  svr_fail "router-a's log time format: $bad lines without an ISO time; first: $(head -n 1 "${LOG[a]}")"
fi

# The hold-down itself, from router-a's own log: from the session coming
# Up ("... -> up") to the path reported up ("peer path ... up"), for the
# last three flaps.  Hold-down 1 s; each flap within 60 s (+ hold-down) of
# the previous one doubles it: 1 s, 2 s, 4 s, never sooner (0.5 s margin
# for the daemon's own timer).  From the resume the handshake comes on top:
# after Down, BFD sends at most once a second until Up again (RFC 5880
# 6.8.3), 1-3 s on a loaded machine, so that time is only checked to be
# at least the hold-down.
# A loaded machine can add a flap of its own (300 ms detection): the rule
# is checked against the flaps router-a really logged, each hold-down
# 1 s x 2^(flaps before it - 1), at most 8 s (maximum-hold-down-time).
res=$(python3 - "${LOG[a]}" <<'PY'
import calendar, re, sys, time
ups, downs, out = None, 0, []
for line in open(sys.argv[1]):
    # ISO-8601 UTC with milliseconds, as every svr-suite log (docs/cli.md)
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z ", line)
    if not m:
        continue
    t = int(calendar.timegm(time.strptime(m[1], "%Y-%m-%dT%H:%M:%S"))) * 1000 + int(m[2])
    if re.search(r"router-a -> router-b via lo: up -> \S+", line):
        downs += 1
    if re.search(r"router-a -> router-b via lo: \S+ -> up ", line):
        ups = t
    elif "peer path router-a -> router-b up" in line and ups is not None:
        out.append((t - ups, min(1000 * 2 ** max(downs - 1, 0), 8000), downs))
        ups = None
last = out[-3:]
print(" ".join(str(h) for h, _, _ in last))
print(" ".join(str(e) for _, e, _ in last))
print(downs)
PY
)
holds=$(sed -n 1p <<<"$res"); want=$(sed -n 2p <<<"$res"); ndowns=$(sed -n 3p <<<"$res")
echo "   hold-downs in router-a's log: ${holds} ms, by the rule: ${want} ms (${ndowns} flaps logged, 3 made)"
ok=1
read -r h1 h2 h3 <<<"$holds"
read -r w1 w2 w3 <<<"$want"
for pair in "${h1:-x} ${d1} ${w1:-0}" "${h2:-x} ${d2} ${w2:-0}" "${h3:-x} ${d3} ${w3:-0}"; do
  set -- $pair
  [ "$1" != x ] && [ "$2" != fail ] && [ "$3" -ge 1000 ] && [ "$1" -ge "$3" ] && [ "$1" -lt $(( $3 + 500 )) ] &&
    [ "$2" -ge "$3" ] || ok=0
done
# the three flaps made must have doubled it at least twice
[ "${w3:-0}" -ge 4000 ] || ok=0
[ "$ok" = 1 ] && svr_pass "dynamic-damping: hold-downs ${holds} ms (rule: ${want}), back up ${d1}, ${d2}, ${d3} ms after each resume" ||
  { svr_fail "dynamic-damping: hold-downs '${holds}' ms, from the resumes ${d1}, ${d2}, ${d3} ms"
    grep "router-b" "${LOG[a]}" | tail -n 20; }
svr_finish
