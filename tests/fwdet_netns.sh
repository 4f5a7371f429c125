#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-fwdet across a real stateful firewall (label netns, root).
#
#   A a0 10.96.1.1 -- f0 10.96.1.2 [F] f1 10.96.2.1 -- b0 10.96.2.2 B
#   links MTU 1500: the 6556-byte jumbo SYN leaves A as 5 IPv4 fragments.
#
# B runs `svr-fwdet respond` (AF_PACKET tap + nft input drop, so B's kernel
# never answers a probe).  A runs `svr-fwdet probe` with a 700 ms detect
# interval, 600 ms report timeout.  F gets, one at a time:
#   1 no firewall                              -> disabled, no reasons
#   2 ct state invalid drop +
#     tcp flags != syn ct state new drop       -> enabled: Mid-flow; Out-of-order
#   3 prerouting priority -450 (before defrag)
#     dropping non-first fragments             -> enabled: TCP SYN Jumbo
#   4 forward: SYN carrying data dropped
#     (ip length > 80; the jumbo SYN is
#     reassembled by then, so it goes too)     -> enabled: TCP SYN; TCP SYN Jumbo
#   5 masquerade on f1, no drops               -> disabled, no reasons
# For 2-4 one prober runs with --watch: bursts 1 and 2 must still say
# "disabled" (one or two lost bursts never flip the state), burst 3 must say
# "enabled" with exactly the reasons above; then the firewall is removed and
# the verdict must revert once the kinds arrived in 2 consecutive bursts
# (passed_streak 2 at the flip, still enabled one burst before).
# Also: exit codes (0 / 1 / 3 / 4; 3 also for 2 of 3 bursts: inconclusive;
# 2 for a report timeout below the collect time), nft counters prove what dropped, and
# with --no-nft B's kernel really does answer probes with RSTs.
# Bounded: every process has a timeout; cleanup by trap (tests/lib/netns.sh).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces, raw sockets, nftables"
svr_require_cmd nft python3 setpriv timeout
BIN="$SVR_BUILD_DIR/cli/svr-fwdet"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }

svr_ns_add A; svr_ns_add F; svr_ns_add B
svr_veth A 10.96.1.1/24 F 10.96.1.2/24 a0 f0
svr_veth F 10.96.2.1/24 B 10.96.2.2/24 f1 b0
A=$(svr_ns A); F=$(svr_ns F); B=$(svr_ns B)
ip -n "$A" route add 10.96.2.0/24 via 10.96.1.2
ip -n "$B" route add 10.96.1.0/24 via 10.96.2.1
ip netns exec "$F" sysctl -qw net.ipv4.ip_forward=1
# IPv6 on the same links (nodad: usable at once)
ip -n "$A" addr add fd00:96:1::1/64 dev a0 nodad
ip -n "$F" addr add fd00:96:1::2/64 dev f0 nodad
ip -n "$F" addr add fd00:96:2::1/64 dev f1 nodad
ip -n "$B" addr add fd00:96:2::2/64 dev b0 nodad
ip -n "$A" route add fd00:96:2::/64 via fd00:96:1::2
ip -n "$B" route add fd00:96:1::/64 via fd00:96:2::1
ip netns exec "$F" sysctl -qw net.ipv6.conf.all.forwarding=1

PEER=10.96.2.2
probe_cmd() { timeout 30 ip netns exec "$A" "$BIN" probe --peer "$PEER" \
  --interval-ms 700 --report-timeout-ms 600 --router-name rtrA --node-name nodeA "$@"; }

start_responder() { # extra args
  svr_bg B timeout 240 "$BIN" respond --router-name rtrB --node-name nodeB \
    --collect-ms 300 "$@"
  RESP_PID=$SVR_LAST_PID; RESP_LOG=$SVR_LAST_LOG
  svr_wait_for 5 "grep -qs responding '$RESP_LOG'" || { cat "$RESP_LOG"; echo "FAIL: responder did not start"; exit 1; }
}
stop_responder() { kill "$RESP_PID" 2>/dev/null; wait "$RESP_PID" 2>/dev/null; }

# jfield FILE EXPR: evaluates EXPR on the last JSON line of FILE as d.
jfield() {
  python3 - "$1" "$2" <<'EOPY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
d = json.loads(lines[-1])
v = eval(sys.argv[2])
print(";".join(v) if isinstance(v, list) else v)
EOPY
}

fw_table() { ip netns exec "$F" nft -f - ; }
fw_clear() { ip netns exec "$F" nft flush ruleset; }
fw_counter() { # prints the packet count of the rule carrying comment $1
  ip netns exec "$F" nft list ruleset | grep "comment \"$1\"" | grep -o 'packets [0-9]*' | awk '{print $2}'
}

one_shot() { # name bursts expected_status expected_reasons expected_rc
  local out="$SVR_TMP/$1.json" rc st rs
  probe_cmd --bursts "$2" --json >"$out" 2>"$SVR_TMP/$1.err"; rc=$?
  st=$(jfield "$out" 'd["status"]'); rs=$(jfield "$out" 'd["reasons"]')
  echo "  $1: status=$st reasons='$rs' rc=$rc answered=$(jfield "$out" 'd["bursts_answered"]')"
  [ "$st" = "$3" ] && [ "$rs" = "$4" ] && [ "$rc" = "$5" ] \
    && svr_pass "$1: $3 '${4}' exit $5" \
    || svr_fail "$1: got $st '$rs' exit $rc, want $3 '$4' exit $5"
}

# watch_case name expected_reasons: firewall already installed in F.
watch_case() {
  local name=$1 want=$2 log="$SVR_TMP/$1.watch" pid res
  # not through probe_cmd: $! must be timeout's own PID so kill reaches it
  timeout 30 ip netns exec "$A" "$BIN" probe --peer "$PEER" --interval-ms 700 \
    --report-timeout-ms 600 --bursts 14 --watch --json >"$log" 2>&1 &
  pid=$!; SVR_PIDS+=("$pid")
  if ! svr_wait_for 15 "grep -c '\"event\":\"burst\"' '$log' | grep -qx 3"; then
    svr_fail "$name: fewer than 3 bursts"; kill "$pid"; return
  fi
  fw_clear   # firewall removed after burst 3
  svr_wait_for 15 "grep '\"event\"' '$log' | tail -n +4 | grep -q '\"status\":\"disabled\"'"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  res=$(python3 - "$log" "$want" <<'EOPY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"event":"burst"')]
want = sys.argv[2].split(";") if sys.argv[2] else []
bad = []
def kinds(e, k): return e[k]
for i in (0, 1):
    if ev[i]["status"] != "disabled":
        bad.append(f"burst {i+1} already {ev[i]['status']}")
if sorted(ev[0]["lost"]) != sorted(want):
    bad.append(f"burst 1 lost {ev[0]['lost']} want {want}")
if ev[2]["status"] != "enabled" or sorted(ev[2]["reasons"]) != sorted(want):
    bad.append(f"burst 3: {ev[2]['status']} {ev[2]['reasons']}")
flip = next((i for i in range(3, len(ev)) if ev[i]["status"] == "disabled"), None)
if flip is None:
    bad.append("never reverted")
else:
    if ev[flip - 1]["status"] != "enabled":
        bad.append("reverted without 2 good bursts")
    if ev[flip]["arrived"] != ["TCP SYN", "Mid-flow", "TCP SYN Jumbo", "Out-of-order"] or ev[flip]["reasons"]:
        bad.append(f"flip burst {ev[flip]}")
    kidx = {"TCP SYN": 0, "Mid-flow": 1, "TCP SYN Jumbo": 2, "Out-of-order": 3}
    for w in want:
        if ev[flip]["passed_streak"][kidx[w]] != 2:
            bad.append(f"{w}: passed_streak {ev[flip]['passed_streak'][kidx[w]]} at the flip, want 2")
print(f"flip at burst {flip+1 if flip is not None else '-'}; " + ("OK" if not bad else "BAD: " + "; ".join(bad)))
EOPY
)
  echo "  $name: $(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"event")]
print(" | ".join("%d:%s:lost=%s" % (e["burst"], e["status"], ",".join(e["lost"])) for e in ev))' "$log")"
  echo "  $name: $res"
  case "$res" in *OK) svr_pass "$name: enabled with '$want' at burst 3, reverted after 2 clean bursts";;
                 *) svr_fail "$name: $res";; esac
}

start_responder

echo "== 1: no firewall"
one_shot none 3 disabled "" 0

echo "== 1b: the defaults answer in seconds (bursts 1 s apart, not 300 s),"
echo "   and --port 0 probes beside a process that owns 1280/UDP"
ip netns exec "$A" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 1280))
print("bound", flush=True); time.sleep(60)' >"$SVR_TMP/own1280" &
OWN=$!; SVR_PIDS+=("$OWN")
svr_wait_for 10 "grep -q bound '$SVR_TMP/own1280'" || svr_fail "could not take 1280/UDP in A"
timeout 30 ip netns exec "$A" "$BIN" probe --peer "$PEER" --json >"$SVR_TMP/busy.json" 2>"$SVR_TMP/busy.err"; rc=$?
[ "$rc" = 5 ] && grep -q -- "--port 0" "$SVR_TMP/busy.err" \
  && svr_pass "1280/UDP taken: exit 5, the message suggests --port 0" \
  || svr_fail "1280/UDP taken: rc=$rc $(cat "$SVR_TMP/busy.err")"
timeout 30 ip netns exec "$A" "$BIN" probe --peer "$PEER" --port 0 --json >"$SVR_TMP/defaults.json" 2>"$SVR_TMP/defaults.err"; rc=$?
[ "$rc" = 0 ] && [ "$(jfield "$SVR_TMP/defaults.json" 'd["bursts_answered"]')" = 3 ] \
  && [ "$(jfield "$SVR_TMP/defaults.json" 'd["verdict"]')" = no_interference ] \
  && svr_pass "default settings, --port 0: 3 bursts answered within the 30 s bound, verdict no_interference, exit 0" \
  || svr_fail "default settings: rc=$rc (124 = still running after 30 s) $(cat "$SVR_TMP/defaults.err")"
kill "$OWN"; wait "$OWN" 2>/dev/null
ip netns exec "$A" "$BIN" probe --peer "$PEER" --port 0 --interval 5 --json --watch \
  >"$SVR_TMP/int.json" 2>"$SVR_TMP/int.err" &
IPID=$!; SVR_PIDS+=("$IPID")
svr_wait_for 15 "grep -q '\"event\":\"burst\"' '$SVR_TMP/int.json'" || svr_fail "interrupt: no first burst"
kill -INT "$IPID"; wait "$IPID"; rc=$?
[ "$rc" = 3 ] && [ "$(jfield "$SVR_TMP/int.json" 'd["verdict"]')" = inconclusive ] \
  && svr_pass "interrupted after 1 answered burst: exit 3, verdict inconclusive" \
  || svr_fail "interrupted: rc=$rc $(cat "$SVR_TMP/int.err")"

echo "== 2: stateful ruleset (ct state invalid drop; tcp flags != syn ct state new drop)"
fw_stateful() {
fw_table <<'EON'
table inet fw {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
    ct state invalid counter drop comment "invalid"
    tcp flags != syn ct state new counter drop comment "newnonsyn"
  }
}
EON
}
fw_stateful
# 2 answered bursts of the 3 it takes: not "no interference" but
# inconclusive (exit 3), though the firewall is there
one_shot stateful-2bursts 2 disabled "" 3
[ "$(jfield "$SVR_TMP/stateful-2bursts.json" 'd["verdict"]')" = inconclusive ] &&
  svr_pass "stateful-2bursts: verdict inconclusive" || svr_fail "stateful-2bursts: verdict not inconclusive"
fw_clear; fw_stateful
one_shot stateful 3 enabled "Mid-flow;Out-of-order" 1
inv=$(fw_counter invalid); nn=$(fw_counter newnonsyn)
echo "  F counters: invalid=$inv new-non-syn=$nn (3 bursts)"
[ "$inv" = 3 ] && [ "$nn" = 3 ] && svr_pass "stateful: the out-of-order segment died as ct invalid, the mid-flow one as new non-SYN (3 each)" \
  || svr_fail "stateful counters invalid=$inv newnonsyn=$nn, want 3 and 3"
fw_clear; fw_stateful
watch_case stateful-watch "Mid-flow;Out-of-order"

echo "== 3: fragments dropped before conntrack defragments (prerouting -450)"
fw_frag() {
fw_table <<'EON'
table ip fwfrag {
  chain pre {
    type filter hook prerouting priority -450; policy accept;
    ip frag-off & 0x1fff != 0 counter drop comment "frag"
  }
}
EON
}
fw_frag
one_shot fragments 3 enabled "TCP SYN Jumbo" 1
fr=$(fw_counter frag)
echo "  F counter: non-first fragments dropped=$fr (3 bursts x 4)"
[ "$fr" = 12 ] && svr_pass "fragments: 12 non-first fragments dropped" || svr_fail "fragment counter $fr, want 12"
fw_clear; fw_frag
watch_case fragments-watch "TCP SYN Jumbo"

echo "== 4: SYNs carrying data dropped"
fw_syndata() {
fw_table <<'EON'
table inet fwsyn {
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp flags & (syn | ack) == syn ip length > 80 counter drop comment "syndata"
  }
}
EON
}
fw_syndata
one_shot syn-data 3 enabled "TCP SYN;TCP SYN Jumbo" 1
sd=$(fw_counter syndata)
[ "$sd" = 6 ] && svr_pass "syn-data: 6 SYNs with data dropped (small + reassembled jumbo)" || svr_fail "syndata counter $sd, want 6"
fw_clear; fw_syndata
watch_case syn-data-watch "TCP SYN;TCP SYN Jumbo"

echo "== 5: NAT (masquerade), no drops"
fw_table <<'EON'
table ip fwnat {
  chain post {
    type nat hook postrouting priority 100; policy accept;
    oifname "f1" counter masquerade comment "masq"
  }
}
EON
one_shot nat 3 disabled "" 0
mq=$(fw_counter masq)
[ "${mq:-0}" -ge 1 ] && svr_pass "nat: masquerade applied ($mq new flows)" || svr_fail "masquerade counter ${mq:-0}"
fw_clear

echo "== IPv6 (same firewalls in the inet / ip6 families)"
PEER=fd00:96:2::2
one_shot v6-none 3 disabled "" 0
fw_stateful
one_shot v6-stateful 3 enabled "Mid-flow;Out-of-order" 1
fw_clear
fw_table <<'EON'
table ip6 fwfrag6 {
  chain pre {
    type filter hook prerouting priority -450; policy accept;
    exthdr frag exists counter drop comment "frag6"
  }
}
EON
one_shot v6-fragments 3 enabled "TCP SYN Jumbo" 1
fr=$(fw_counter frag6)
[ "$fr" = 15 ] && svr_pass "v6-fragments: 15 IPv6 fragments dropped (3 bursts x 5)" || svr_fail "frag6 counter $fr, want 15"
fw_clear
PEER=10.96.2.2

echo "== exit codes and privileges"
out="$SVR_TMP/noresp.json"
timeout 20 ip netns exec "$A" "$BIN" probe --peer 10.96.1.2 --bursts 1 --report-timeout-ms 500 --json >"$out" 2>"$SVR_TMP/noresp.err"; rc=$?
[ "$rc" = 3 ] && [ "$(jfield "$out" 'd["stats"]["discovery-timeout"]')" = 1 ] \
  && svr_pass "no responder: exit 3, discovery-timeout 1" || svr_fail "no responder: rc=$rc $(cat "$SVR_TMP/noresp.err")"
timeout 20 ip netns exec "$A" "$BIN" probe --peer 10.96.2.2 --report-timeout-ms 300 >/dev/null 2>"$SVR_TMP/short.err"; rc=$?
[ "$rc" = 2 ] && grep -q "collect time" "$SVR_TMP/short.err" \
  && svr_pass "report timeout below the collect time: exit 2" || svr_fail "short report timeout: rc=$rc $(cat "$SVR_TMP/short.err")"
timeout 20 ip netns exec "$A" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  "$BIN" probe --peer 10.96.2.2 --bursts 1 >/dev/null 2>"$SVR_TMP/priv.err"; rc=$?
[ "$rc" = 4 ] && grep -q CAP_NET_RAW "$SVR_TMP/priv.err" \
  && svr_pass "unprivileged: exit 4 naming CAP_NET_RAW ($(cut -c1-70 "$SVR_TMP/priv.err")...)" \
  || svr_fail "unprivileged: rc=$rc $(cat "$SVR_TMP/priv.err")"
out="$SVR_TMP/always.json"
probe_cmd --mode always-transform --json >"$out" 2>&1; rc=$?
[ "$rc" = 1 ] && [ "$(jfield "$out" 'd["reasons"]')" = Configured ] && [ "$(jfield "$out" 'd["stats"]["request-sent"]')" = 0 ] \
  && svr_pass "always-transform: exit 1, reason Configured, no request sent" || svr_fail "always-transform: rc=$rc $(cat "$out")"
out="$SVR_TMP/disabled.json"
probe_cmd --mode disabled --json >"$out" 2>&1; rc=$?
[ "$rc" = 0 ] && [ "$(jfield "$out" 'd["status"]')" = disabled ] && [ "$(jfield "$out" 'd["bursts_sent"]')" = 0 ] \
  && svr_pass "mode disabled: exit 0, no burst sent" || svr_fail "disabled: rc=$rc $(cat "$out")"
probe_cmd --bogus >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && svr_pass "unknown option: exit 2" || svr_fail "unknown option: rc=$rc"

echo "== RST suppression"
rst=$(ip netns exec "$B" nft list ruleset | grep -o 'packets [0-9]*' | awk '{s+=$2} END {print s+0}')
[ "$rst" -gt 0 ] && svr_pass "B's nft input rule swallowed $rst probes (no kernel reply)" || svr_fail "B's nft rule counted nothing"
stop_responder
if ip netns exec "$B" nft list ruleset | grep -q svr_fwdet; then
  svr_fail "responder left its nft table behind"
else
  svr_pass "responder removed its nft table on exit"
fi
start_responder --no-nft
out="$SVR_TMP/norule.json"
probe_cmd --bursts 1 --json >"$out" 2>/dev/null
r=$(jfield "$out" 'd["stats"]["tcp-reset-received"]')
echo "  without the drop rule B's kernel sent $r RSTs back to A"
[ "${r:-0}" -ge 1 ] && svr_pass "without --no-nft's rule the kernel answers probes with RST (counted: $r)" \
  || svr_fail "expected tcp-reset-received >= 1 without the rule, got $r"
stop_responder
svr_finish
