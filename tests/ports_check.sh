#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-ports on examples/router-a.conf (issue 19, docs/svr-ports.md):
#   - --format nft passes `nft -c -f` (also with conductor nodes and DNAT);
#   - the iptables commands run without error in a scratch namespace;
#   - --json is one object, event "result", ISO-8601 UTC time, with the
#     peer path (1280/UDP both ways), the detector ports (1280/1283 TCP), the
#     waypoint range (16385-65533 TCP and UDP) and the conductor ports;
#   - bad input: an unknown format, a bad config file, a host name as a
#     conductor node exit 2 and print nothing on stdout.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "nft -c and iptables need CAP_NET_ADMIN"
svr_require_cmd nft iptables python3
P="$SVR_BUILD_DIR/cli/svr-ports"
EX="$SVR_SOURCE_DIR/examples/router-a.conf"
T=$SVR_TMP

if "$P" --format nft "$EX" >"$T/a.nft" && nft -c -f "$T/a.nft"; then
  svr_pass "nft -c -f accepts the ruleset for router-a.conf"
else
  svr_fail "nft -c -f on router-a.conf's ruleset"; cat "$T/a.nft"
fi
if "$P" --format nft --conductor-node 192.0.2.10 --conductor-node '[2001:db8::10]:9300' \
     --dnat-to 10.0.0.10 --dnat-to fd00::10 "$EX" >"$T/d.nft" && nft -c -f "$T/d.nft" &&
   grep -q 'dnat ip to 10.0.0.10' "$T/d.nft" && grep -q 'dnat ip6 to \[fd00::10\]' "$T/d.nft"; then
  svr_pass "nft -c -f accepts the ruleset with two conductor nodes behind DNAT (v4, v6)"
else
  svr_fail "ruleset with DNAT"; cat "$T/d.nft"
fi
svr_ns_add I
if "$P" --format iptables --conductor-node 192.0.2.10 --dnat-to 10.0.0.10 "$EX" >"$T/ipt.sh" &&
   ip netns exec "$(svr_ns I)" bash -e "$T/ipt.sh" &&
   [ "$(ip netns exec "$(svr_ns I)" iptables -S FORWARD | grep -c ACCEPT)" -ge 10 ]; then
  svr_pass "iptables commands run in a scratch namespace"
else
  svr_fail "iptables commands"; cat "$T/ipt.sh"
fi

"$P" --json --conductor-node 192.0.2.10 "$EX" >"$T/a.json"
if r=$(python3 - "$T/a.json" <<'PY'
import json, re, sys
def fail(msg):
    print(msg); sys.exit(1)
lines = open(sys.argv[1]).read().splitlines()
if len(lines) != 1: fail(f"{len(lines)} lines, expected one object")
o = json.loads(lines[0])
if o.get("event") != "result": fail(f"event {o.get('event')}")
if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]): fail(f"time {o['time']}")
have = {(r["protocol"], r["source"], r["destination"], r["port_first"], r["port_last"])
        for r in o["rules"]}
need = []
for a, b in (("10.77.1.1", "10.77.1.2"), ("10.77.2.1", "10.77.2.3")):
    for s, d in ((a, b), (b, a)):
        need += [("udp", s, d, 1280, 1280), ("tcp", s, d, 1280, 1280),
                 ("tcp", s, d, 1283, 1283), ("udp", s, d, 16385, 65533),
                 ("tcp", s, d, 16385, 65533)]
need += [("tcp", None, "192.0.2.10", p, p) for p in (930, 4505, 4506)]
missing = [n for n in need if n not in have]
if missing: fail(f"missing {missing}")
if len(o["rules"]) != len(need): fail(f"{len(o['rules'])} rules, expected {len(need)}")
print(f"{len(need)} rules")
PY
); then
  svr_pass "--json: event result, ISO time, $r as expected"
else
  svr_fail "--json: $r"; cat "$T/a.json"
fi

bad() { # bad WHAT ARGS...: exit 2, nothing on stdout
  local what=$1 out rc; shift
  out=$("$P" "$@" 2>"$T/err"); rc=$?
  if [ $rc = 2 ] && [ -z "$out" ] && [ -s "$T/err" ]; then
    svr_pass "$what: exit 2 ($(head -1 "$T/err"))"
  else
    svr_fail "$what: exit $rc, stdout '$out'"
  fi
}
bad "unknown format" --format pf "$EX"
printf 'router r\nbogus-key 1\n' >"$T/bad.conf"
bad "bad config file" "$T/bad.conf"
bad "host name as conductor node" --conductor-node conductor.example "$EX"
bad "no config file" --format nft
svr_finish
