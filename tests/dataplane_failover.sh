#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Data plane and peer-path state (issue 12): two peer paths between routerA
# and routerB (192.168.50.0/24 and 192.168.51.0/24), BFD at 100 ms x 3.
#   - an iperf3 TCP flow from C to S keeps moving data after the path it
#     uses is cut (link down): both routers move the session to the other
#     path (show sessions says so), and iperf3 completes;
#   - with both paths down, a new connection is refused at once (ICMP host
#     unreachable: connect() fails with EHOSTUNREACH in well under its
#     8 s timeout), not left to hang;
#   - once a path is back, new sessions work again.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd iperf3 curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

dp_topo --two-paths
for r in A B; do
  dp_router_conf $r desired-tx-interval 100 required-min-rx-interval 100 \
    hold-down-time 0ms >/dev/null
done
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"

svr_bg S iperf3 -s -B 10.2.0.2 -1
svr_wait_for 10 "dp_exec S ss -Hltn 'sport = :5201' | grep -q ." || svr_fail "iperf3 server"
# 10 s flow; 1 s reports
svr_bg C iperf3 -c 10.2.0.2 -t 10 -i 1 -J --connect-timeout 3000
IPERF=$SVR_LAST_PID; IPERF_LOG=$SVR_LAST_LOG
# the flow's session is on the first path
path_of() {  # ROUTER-CMD: the path of the TCP session to port 5201 (data conn)
  $1 show sessions --json | python3 -c '
import json, sys
ss = [s for s in json.load(sys.stdin)["sessions"] if s["protocol"] == "tcp"
      and s["destination"] == "10.2.0.2:5201"]
ss.sort(key=lambda s: -s["tx_bytes"] - s["rx_bytes"])
print(ss[0]["path"] if ss else "-")'
}
svr_wait_for 10 "[ \"\$(path_of \"$RA\")\" = 192.168.50.2 ]" \
  && svr_pass "the iperf3 session starts on the first path (192.168.50.2)" \
  || svr_fail "session path before the cut: $(path_of "$RA")"
sleep 3   # data flows on path 1 for a while: the cut happens mid-transfer
cut=$(date +%s.%N)
dp_ip A link set aB down
svr_wait_for 5 "[ \"\$(path_of \"$RA\")\" = 192.168.51.2 ] && [ \"\$(path_of \"$RB\")\" = 192.168.51.1 ]" \
  && svr_pass "after the cut both routers carry the session on the second path (in $(echo "$(date +%s.%N) - $cut" | bc | cut -c1-4) s)" \
  || svr_fail "session path after the cut: A $(path_of "$RA"), B $(path_of "$RB")"
wait $IPERF; rc=$?
python3 - "$IPERF_LOG" $rc <<'PY' && svr_pass "iperf3 TCP flow survived the loss of its path: completed, data in each of the last 4 seconds" || svr_fail "iperf3 after the cut: rc=$rc $(tail -c 400 "$IPERF_LOG")"
import json, sys
d = json.load(open(sys.argv[1]))
assert sys.argv[2] == "0" and "error" not in d, d.get("error")
iv = [i["sum"]["bytes"] for i in d["intervals"]]
print("bytes per second:", iv)
assert len(iv) >= 9 and all(b > 0 for b in iv[-4:]), iv
PY
grep -q "session(s) moved from 192.168.50.2 to 192.168.51.2" "$DP_ROUTER_LOG_A" \
  && svr_pass "router A logged the move of its sessions" \
  || svr_fail "no move logged by A: $(grep forwarding "$DP_ROUTER_LOG_A" | tail -3)"

# ---- both paths down: refused at once
dp_ip A link set aB2 down
svr_wait_for 5 "$RA show peers --json | python3 -c 'import json,sys; p=json.load(sys.stdin)[\"peers\"]; sys.exit(0 if all(x[\"status\"]!=\"up\" for x in p) else 1)'" \
  || svr_fail "paths still up after both links went down"
dp_http_serve "$SVR_TMP" 8080 >/dev/null 2>&1
cat >connect.py <<'PY'
import errno, socket, sys, time
s = socket.socket()
s.settimeout(8)
t0 = time.monotonic()
try:
    s.connect(("10.2.0.2", 8080))
    print("connected", "%.3f" % (time.monotonic() - t0))
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e)), "%.3f" % (time.monotonic() - t0))
PY
read -r why el < <(dp_exec C python3 connect.py)
echo "connect with no path: $why after $el s"
if [ "$why" = EHOSTUNREACH ] && [ "$(echo "$el < 3" | bc)" = 1 ]; then
  svr_pass "no Up path: a new connection is refused at once (ICMP host unreachable: EHOSTUNREACH in $el s)"
else
  svr_fail "no Up path: connect gave $why after $el s"
fi
$RA show stats --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["drops"]["path-down"] >= 1 and d["icmp_sent"] >= 1 else 1)' \
  && svr_pass "show stats counts the refusal (path-down, icmp_sent)" \
  || svr_fail "show stats: $($RA show stats --json)"

# ---- a path back: new sessions work
dp_ip A link set aB2 up
svr_wait_for 10 "$RA show peers --json | grep -q '\"up\"'" || svr_fail "path 2 did not come back"
if dp_exec C curl -sS --fail --connect-timeout 5 --max-time 20 -o /dev/null http://10.2.0.2:8080/; then
  svr_pass "path back up: a new connection works again"
else
  svr_fail "path back up: curl failed"
fi
svr_finish
