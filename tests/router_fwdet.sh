#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router UDP transform detection across namespaces (the recipe of
# tests/fwdet_netns.sh):
#   A a0 10.96.1.1/24 -- f0 10.96.1.2 [FW forwards] f1 10.96.2.1 -- b0 10.96.2.2 B
# svr-router runs on A and B (adjacency A <-> B through FW), BFD every
# 100 ms, udp-transform-detect-interval 1.
# 0. Without CAP_NET_RAW / CAP_NET_ADMIN (setpriv drops them from the
#    bounding set) A still starts, logs one line naming CAP_NET_RAW, and
#    `show udp-transform` says unavailable / "no CAP_NET_RAW;".
# 1. No firewall: once A has had 3 bursts answered (the lost-bursts count
#    that would set a reason), Status disabled with no reasons.
# 2. FW gets `ct state invalid drop` + `tcp flags != syn ct state new drop`
#    (BFD on 1280/UDP still passes): A's Status becomes enabled with exactly
#    the reasons libsvrfwdet's own netns test asserts, Mid-flow; Out-of-order.
#    The table shows it; --json passes a schema check.
# Bounded: every wait has a deadline; cleanup by the trap in tests/lib/netns.sh.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces, raw sockets, nftables"
svr_require_cmd ip nft python3 setpriv
R="$SVR_BUILD_DIR/cli/svr-router"
[ -x "$R" ] || { echo "FAIL: $R not built"; exit 1; }
T=$SVR_TMP

svr_ns_add A; svr_ns_add F; svr_ns_add B
NA=$(svr_ns A); NF=$(svr_ns F); NB=$(svr_ns B)
svr_veth A 10.96.1.1/24 F 10.96.1.2/24 a0 f0
svr_veth F 10.96.2.1/24 B 10.96.2.2/24 f1 b0
ip -n "$NA" route add 10.96.2.0/24 via 10.96.1.2
ip -n "$NB" route add 10.96.1.0/24 via 10.96.2.1
ip netns exec "$NF" sysctl -qw net.ipv4.ip_forward=1

conf() { # conf ME PEER MY_ADDR PEER_ADDR
  printf '%s\n' "router router-$1" "node node-$1" "control-socket $T/$1.sock" \
    "desired-tx-interval 100" "required-min-rx-interval 100" \
    "hold-down-time 0ms" "link-test-length 0" "path-mtu-discovery disabled" \
    "udp-transform-detect-interval 1" \
    "[interface wan]" "address $3" \
    "[neighborhood lab]" "interface wan" \
    "[adjacency router-$2]" "neighborhood lab" "address $4" >"$T/$1.conf"
}
conf a b 10.96.1.1 10.96.2.2
conf b a 10.96.2.2 10.96.1.1

ut() { "$R" -s "$T/$1.sock" show udp-transform "${@:2}"; }
# ut_field ROUTER EXPR: EXPR evaluated on the first row as u
ut_field() {
  ut "$1" --json 2>/dev/null | python3 -c '
import json,sys
u = json.load(sys.stdin)["udp_transform"][0]
v = eval(sys.argv[1])
print(";".join(v) if isinstance(v, list) else v)' "$2" 2>/dev/null
}
peer_status() {
  "$R" -s "$T/$1.sock" show peers --json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"][0]["status"])' 2>/dev/null
}

echo "== 0. without CAP_NET_RAW / CAP_NET_ADMIN"
svr_bg A setpriv --inh-caps=-all --bounding-set=-net_raw,-net_admin "$R" -c "$T/a.conf"
LOG0=$SVR_LAST_LOG; PID0=$SVR_LAST_PID
if svr_wait_for 5 '[ -n "$(ut_field a "u[\"status\"]")" ]'; then
  st=$(ut_field a "u['status']"); rs=$(ut_field a "u['reasons']")
  [ "$st" = unavailable ] && [ "$rs" = "no CAP_NET_RAW" ] &&
    svr_pass "no capabilities: started, Status unavailable, Reason(s) no CAP_NET_RAW" ||
    svr_fail "no capabilities: status '$st' reasons '$rs'"
  [ "$(grep -c 'udp-transform detection unavailable (no CAP_NET_RAW)' "$LOG0")" = 1 ] &&
    svr_pass "no capabilities: one log line names CAP_NET_RAW" ||
    { cat "$LOG0"; svr_fail "no capabilities: log line missing"; }
else
  cat "$LOG0"; svr_fail "A did not start without capabilities"
fi
kill "$PID0" 2>/dev/null
svr_wait_for 5 "! kill -0 $PID0 2>/dev/null" || svr_fail "A (no caps) did not stop"
rm -f "$T/a.sock"

echo "== 1. no firewall"
# A detector killed with SIGKILL leaves its table; a dead PID's table (and
# only that one) is removed when the next detector starts.
dead=4000000; while kill -0 "$dead" 2>/dev/null; do dead=$((dead + 1)); done
ip netns exec "$(svr_ns A)" nft add table inet "svr_fwdet_$dead"
ip netns exec "$(svr_ns A)" nft add table inet "svr_fwdet_$$"   # alive: kept
svr_bg A "$R" -c "$T/a.conf"; LOG_A=$SVR_LAST_LOG
svr_bg B "$R" -c "$T/b.conf"; LOG_B=$SVR_LAST_LOG
if ! svr_wait_for 10 '[ "$(peer_status a)" = up ]'; then
  cat "$LOG_A" "$LOG_B"; svr_fail "BFD path A - B not up"; svr_finish
fi
svr_pass "BFD path A - B up through FW"
tables=$(ip netns exec "$(svr_ns A)" nft list tables inet)
if ! grep -q "svr_fwdet_$dead\b" <<<"$tables" && grep -q "svr_fwdet_$$\b" <<<"$tables" &&
   grep -q 'removed 1 nftables table(s) svr_fwdet_<pid> left by detectors' "$LOG_A"; then
  svr_pass "stale svr_fwdet_$dead (dead PID) removed at start and logged; a live PID's table kept"
else
  svr_fail "stale table sweep: $tables / $(grep -c removed "$LOG_A") log lines"
fi
ip netns exec "$(svr_ns A)" nft delete table inet "svr_fwdet_$$"
if svr_wait_for 15 '[ "$(ut_field a "u[\"bursts_answered\"]")" -ge 3 ] 2>/dev/null'; then
  st=$(ut_field a "u['status']"); rs=$(ut_field a "u['reasons']")
  [ "$st" = disabled ] && [ -z "$rs" ] &&
    svr_pass "no firewall: disabled, no reasons after 3 answered bursts" ||
    svr_fail "no firewall: status '$st' reasons '$rs'"
else
  cat "$LOG_A" "$LOG_B"; ut a; svr_fail "no firewall: A never had 3 bursts answered"
fi

echo "== 2. stateful ruleset in FW"
ip netns exec "$NF" nft -f - <<'EON'
table inet fw {
  chain forward {
    type filter hook forward priority 0; policy accept;
    udp dport 1280 accept
    udp sport 1280 accept
    ct state established,related accept
    ct state invalid counter drop comment "invalid"
    tcp flags != syn ct state new counter drop comment "newnonsyn"
  }
}
EON
t0=$(date +%s%N)
if svr_wait_for 20 '[ "$(ut_field a "u[\"status\"]")" = enabled ]'; then
  t1=$(date +%s%N)
  rs=$(ut_field a "u['reasons']")
  [ "$rs" = "Mid-flow;Out-of-order" ] &&
    svr_pass "stateful: enabled, reasons exactly Mid-flow; Out-of-order ($(( (t1 - t0) / 1000000 )) ms)" ||
    svr_fail "stateful: reasons '$rs', want Mid-flow;Out-of-order"
else
  cat "$LOG_A"; ut a; svr_fail "stateful: status '$(ut_field a "u['status']")', want enabled"
fi
[ "$(peer_status a)" = up ] && svr_pass "BFD still up through the firewall" ||
  svr_fail "BFD path went down under the firewall"
ut a | tee "$T/table.txt"
head -1 "$T/table.txt" | grep -q '^Router Name *Node Name *Peer *Status *Reason(s)$' &&
  grep -q '^router-a *node-a *router-b *enabled *Mid-flow; Out-of-order;*$' "$T/table.txt" &&
  svr_pass "table: Router Name, Node Name, Peer, Status, Reason(s)" ||
  svr_fail "table layout"
ut a --json >"$T/a.json"
python3 - "$T/a.json" <<'EOPY' && svr_pass "--json passes the schema check" || { cat "$T/a.json"; svr_fail "--json schema"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"router", "node", "udp_transform"}, d.keys()
assert d["router"] == "router-a" and d["node"] == "node-a"
assert len(d["udp_transform"]) == 1
for u in d["udp_transform"]:
    assert set(u) == {"router", "node", "peer", "mode", "status", "reasons",
                      "bursts_sent", "bursts_answered"}, u.keys()
    assert u["mode"] in ("auto-detect", "always-transform", "disabled")
    assert u["status"] in ("enabled", "disabled", "unavailable")
    assert isinstance(u["reasons"], list) and all(isinstance(r, str) for r in u["reasons"])
    assert isinstance(u["bursts_sent"], int) and isinstance(u["bursts_answered"], int)
    assert u["bursts_answered"] <= u["bursts_sent"]
assert d["udp_transform"][0]["peer"] == "router-b"
assert d["udp_transform"][0]["reasons"] == ["Mid-flow", "Out-of-order"]
EOPY
svr_finish
