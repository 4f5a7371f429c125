#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Forwarding glue on real traffic (label netns, root): cli/glue/fwd_tun.c and
# fwd_offload.c driven by tests/fwd_tun_probe.c.
#
#   C c0 10.77.1.2 -- r0 10.77.1.1 [R] r1 10.77.2.1 -- s0 10.77.2.2 S
#     (and fd00:77:1::/64, fd00:77:2::/64; links MTU 1500)
#
# In R the probe opens TUN svrt0 (+ TAP svrt0w) with fwd_tun_open, and with
# fwd_nl_rule / fwd_nl_route / fwd_sysctl / fwd_nft_install sets up:
#   pref 100  iif svrt0 lookup main                      (no loop back in)
#   pref 101  from C to S ipproto tcp dport 5201 lookup 100
#   pref 102  from C to S ipproto udp dport 5300-5310 lookup 100 (IPv4)
#   pref 103  fwmark 0x64 lookup 100
#   table 100: S's prefix dev svrt0 mtu 1400, C's prefix dev svrt0
#   nft: iifname svrt0 sets ct mark 0x64, replies get meta mark 0x64;
#        netdev ingress on r0: TCP/UDP to R's r0 address, ports
#        16385-65533, `fwd to` the TAP.
# So C -> S streams go through the TUN (rule 101), S's answers too (ct mark
# -> fwmark rule 103), and C -> R:16400 arrives on the TAP (netdev fwd).
# The probe splits every packet it reads (user-space GSO), checks each
# segment's checksums by recomputation, joins them again (user-space GRO)
# and writes the super-packets back into the TUN.
#
# Asserts: rules, routes and both nft tables appear as configured (and a
# stale table of a dead pid is swept); 24 MB TCP over IPv4 and IPv6 and 12
# MB to R's waypoint address arrive intact (SHA-256); UDP GSO datagrams
# arrive with the right count and size; the TUN hands over TCPv4 and TCPv6
# super-packets larger than the MTU (gso_type 1 and 4) when the kernel took
# TSO4/6, USO super-packets (gso_type 5) when it took USO, the TAP gets
# super-packets from the netdev fwd rule; no segment with a bad checksum,
# nothing malformed, no write refused; after SIGTERM every rule, route and
# table is gone; without CAP_NET_ADMIN the error names it.  Then the same
# IPv4 stream with the probe in "split" mode
# (one write per segment) and "echo" mode (super-packets written back as
# read).  Bounded by timeouts; cleanup by trap (tests/lib/netns.sh).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces, TUN devices, nftables"
svr_require_cmd nft python3 timeout setpriv
PROBE="$SVR_BUILD_DIR/tests/fwd_tun_probe"
[ -x "$PROBE" ] || { echo "FAIL: $PROBE not built"; exit 1; }
[ -c /dev/net/tun ] || { echo "skipped: no /dev/net/tun"; exit 77; }

svr_ns_add C; svr_ns_add R; svr_ns_add S
svr_veth C 10.77.1.2/24 R 10.77.1.1/24 c0 r0
svr_veth R 10.77.2.1/24 S 10.77.2.2/24 r1 s0
C=$(svr_ns C); R=$(svr_ns R); S=$(svr_ns S)
ip -n "$C" addr add fd00:77:1::2/64 dev c0 nodad
ip -n "$R" addr add fd00:77:1::1/64 dev r0 nodad
ip -n "$R" addr add fd00:77:2::1/64 dev r1 nodad
ip -n "$S" addr add fd00:77:2::2/64 dev s0 nodad
ip -n "$C" route add 10.77.2.0/24 via 10.77.1.1
ip -n "$S" route add 10.77.1.0/24 via 10.77.2.1
ip -n "$C" route add fd00:77:2::/64 via fd00:77:1::1
ip -n "$S" route add fd00:77:1::/64 via fd00:77:2::1

cat >"$SVR_TMP/sink.py" <<'EOPY'
import hashlib, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b)
    n += len(b)
print("bytes=%d sha=%s" % (n, h.hexdigest()), flush=True)
EOPY
cat >"$SVR_TMP/send.py" <<'EOPY'
import hashlib, random, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
data = random.Random(int(sys.argv[4])).randbytes(int(sys.argv[3]))
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
s.sendall(data)
s.close()
print("bytes=%d sha=%s" % (len(data), hashlib.sha256(data).hexdigest()))
EOPY
cat >"$SVR_TMP/udp_sink.py" <<'EOPY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(30)  # the sender may be slow to start; then 3 s of silence ends it
print("listening", flush=True)
n, sizes, bad = 0, set(), 0
while True:
    try:
        b = s.recv(65535)
    except socket.timeout:
        break
    s.settimeout(3)
    n += 1
    sizes.add(len(b))
    bad += len(set(b)) != 1
print("dgrams=%d sizes=%s bad=%d" % (n, ",".join(map(str, sorted(sizes))), bad), flush=True)
EOPY
cat >"$SVR_TMP/udp_gso_send.py" <<'EOPY'
import socket, sys, time
UDP_SEGMENT = 103
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, UDP_SEGMENT, int(sys.argv[4]))
for i in range(int(sys.argv[3])):
    s.sendto(bytes([i % 251]) * (10 * int(sys.argv[4])), (sys.argv[1], int(sys.argv[2])))
    time.sleep(0.02)
print("sent")
EOPY

# A stale table of a process that is gone: the probe must sweep it.
sleep 0 & DEAD=$!; wait $DEAD
ip netns exec "$R" nft add table inet svr_fwd_$DEAD
ip netns exec "$R" nft add table netdev svr_fwd_$DEAD

RULES=(--rule fam=4,pref=100,iif=svrt0,table=254
       --rule fam=4,pref=101,from=10.77.1.0/24,to=10.77.2.0/24,proto=6,dport=5201,table=100
       --rule fam=4,pref=102,from=10.77.1.0/24,to=10.77.2.0/24,proto=17,dport=5300-5310,table=100
       --rule fam=4,pref=103,fwmark=0x64,table=100
       --rule fam=6,pref=100,iif=svrt0,table=254
       --rule fam=6,pref=101,from=fd00:77:1::/64,to=fd00:77:2::/64,proto=6,dport=5201,table=100
       --rule fam=6,pref=103,fwmark=0x64,table=100)
ROUTES=(--route 10.77.2.0/24,mtu=1400 --route 10.77.1.0/24
        --route fd00:77:2::/64,mtu=1400 --route fd00:77:1::/64)
SYSCTLS=(--sysctl ipv4/ip_forward=1 --sysctl ipv6/conf/all/forwarding=1
         --sysctl ipv4/conf/all/rp_filter=0 --sysctl ipv4/conf/@TUN/rp_filter=0)

start_probe() { # mode [extra args]
  local mode=$1; shift
  svr_bg R timeout 200 "$PROBE" --tun svrt0 --mtu 1500 --table 100 --print 3 \
    --mode "$mode" "${SYSCTLS[@]}" "${RULES[@]}" "${ROUTES[@]}" \
    --nft-mark 0x64 --ports 16385-65533 "$@"
  PROBE_PID=$SVR_LAST_PID; PROBE_LOG=$SVR_LAST_LOG
  svr_wait_for 10 "grep -qs '^ready' '$PROBE_LOG'" ||
    { cat "$PROBE_LOG"; echo "FAIL: probe did not start"; exit 1; }
}
stop_probe() {
  kill -TERM "$PROBE_PID" 2>/dev/null
  wait "$PROBE_PID" 2>/dev/null
  grep -q '^cleaned' "$PROBE_LOG" || { cat "$PROBE_LOG"; svr_fail "probe did not clean up"; }
}
# field DEV KEY: a number from the probe's summary line for DEV
field() { grep "^summary dev=$1 " "$PROBE_LOG" | grep -o " $2=[0-9]*" | cut -d= -f2; }

# tcp_stream NAME SINK_NS ADDR PORT BYTES: C sends BYTES to ADDR:PORT,
# the sink in SINK_NS must get the same bytes.
tcp_stream() {
  local name=$1 ns=$2 addr=$3 port=$4 bytes=$5 sent got
  svr_bg "$ns" timeout 60 python3 "$SVR_TMP/sink.py" "$addr" "$port"
  local sink_pid=$SVR_LAST_PID sink_log=$SVR_LAST_LOG
  svr_wait_for 10 "grep -qs listening '$sink_log'" || { svr_fail "$name: sink did not start"; return; }
  sent=$(timeout 60 ip netns exec "$C" python3 "$SVR_TMP/send.py" "$addr" "$port" "$bytes" "$port" 2>&1)
  wait "$sink_pid" 2>/dev/null
  got=$(grep '^bytes=' "$sink_log")
  if [ -n "$got" ] && [ "$got" = "$sent" ]; then
    svr_pass "$name: $bytes bytes arrived intact ($got)"
  else
    svr_fail "$name: sent '$sent', received '$got'"
  fi
}

start_probe regro --tap svrt0w --waypoint 10.77.1.1 --waypoint fd00:77:1::1
cat "$PROBE_LOG"
PP=$(pgrep -P "$PROBE_PID" -x fwd_tun_probe || echo "$PROBE_PID")
TABLE=$(sed -n 's/^nft table //p' "$PROBE_LOG")
OFFL=$(sed -n 's/^ready .* offloads=\(0x[0-9a-f]*\).*/\1/p' "$PROBE_LOG")
echo "TUN offloads accepted: $OFFL (CSUM 0x1 TSO4 0x2 TSO6 0x4 TSO_ECN 0x8 USO4 0x20 USO6 0x40)"

# ---- configuration as the kernel shows it ----
RULES4=$(ip -n "$R" rule show); RULES6=$(ip -n "$R" -6 rule show)
echo "$RULES4"; echo "$RULES6"
check_line() { # name text regex
  if grep -Eq "$3" <<<"$2"; then svr_pass "$1"; else svr_fail "$1: no line matching '$3'"; fi
}
check_line "rule iif" "$RULES4" '^100:[[:space:]]+from all iif svrt0 lookup main'
check_line "rule from/to/ipproto/dport" "$RULES4" '^101:[[:space:]]+from 10\.77\.1\.0/24 to 10\.77\.2\.0/24 ipproto tcp dport 5201 lookup 100'
check_line "rule dport range" "$RULES4" '^102:[[:space:]]+from 10\.77\.1\.0/24 to 10\.77\.2\.0/24 ipproto udp dport 5300-5310 lookup 100'
check_line "rule fwmark" "$RULES4" '^103:[[:space:]]+from all fwmark 0x64 lookup 100'
check_line "IPv6 rule" "$RULES6" '^101:[[:space:]]+from fd00:77:1::/64 to fd00:77:2::/64 ipproto tcp dport 5201 lookup 100'
[ "$(grep -c '^10[0-3]:' <<<"$RULES4")" = 4 ] && svr_pass "each rule once (adding again is a no-op)" ||
  svr_fail "rules duplicated or missing"
ROUTES4=$(ip -n "$R" route show table 100); ROUTES6=$(ip -n "$R" -6 route show table 100)
echo "$ROUTES4"; echo "$ROUTES6"
check_line "route with MTU" "$ROUTES4" '^10\.77\.2\.0/24 dev svrt0 proto static scope link mtu 1400'
check_line "route without MTU" "$ROUTES4" '^10\.77\.1\.0/24 dev svrt0 proto static scope link *$'
check_line "IPv6 route with MTU" "$ROUTES6" '^fd00:77:2::/64 dev svrt0 proto static metric 1024 mtu 1400'
TABLES=$(ip netns exec "$R" nft list tables)
check_line "nft inet table" "$TABLES" "^table inet $TABLE\$"
check_line "nft netdev table" "$TABLES" "^table netdev $TABLE\$"
[ "$TABLE" = "svr_fwd_$PP" ] && svr_pass "table named after the pid ($TABLE)" ||
  svr_fail "table $TABLE, probe pid $PP"
grep -q "svr_fwd_$DEAD" <<<"$TABLES" && svr_fail "stale tables of dead pid $DEAD not swept" ||
  svr_pass "stale tables of dead pid $DEAD swept"
RULESET=$(ip netns exec "$R" nft list table inet "$TABLE"; ip netns exec "$R" nft list table netdev "$TABLE")
echo "$RULESET"
check_line "ct mark rule" "$RULESET" 'iifname "svrt0" ct direction original ct mark set 0x00000064'
check_line "reply mark rule" "$RULESET" 'iifname != "svrt0" ct direction reply ct mark 0x00000064 meta mark set 0x00000064'
check_line "netdev fwd rule" "$RULESET" 'ip daddr 10\.77\.1\.1 ip frag-off & 16383 == 0 meta l4proto \{ tcp, udp \} th dport 16385-65533 fwd to "svrt0w"'
check_line "netdev fwd rule IPv6" "$RULESET" 'ip6 daddr fd00:77:1::1 meta l4proto \{ tcp, udp \} th dport 16385-65533 fwd to "svrt0w"'
check_line "netdev fwd rule for fragments" "$RULESET" 'ip daddr 10\.77\.1\.1 ip frag-off & 16383 != 0 fwd to "svrt0w"'
check_line "ingress hook on r0" "$RULESET" 'type filter hook ingress device "r0" priority -500'

# ---- traffic ----
tcp_stream "TCPv4 C->S through the TUN" S 10.77.2.2 5201 25165824
tcp_stream "TCPv6 C->S through the TUN" S fd00:77:2::2 5201 25165824
tcp_stream "TCPv4 C->R waypoint via the TAP" R 10.77.1.1 16400 12582912
tcp_stream "TCPv6 C->R waypoint via the TAP" R fd00:77:1::1 16401 12582912
svr_bg S timeout 60 python3 "$SVR_TMP/udp_sink.py" 10.77.2.2 5301
USINK_PID=$SVR_LAST_PID; USINK_LOG=$SVR_LAST_LOG
svr_wait_for 10 "grep -qs listening '$USINK_LOG'"
timeout 30 ip netns exec "$C" python3 "$SVR_TMP/udp_gso_send.py" 10.77.2.2 5301 40 1200 >/dev/null
wait "$USINK_PID" 2>/dev/null
UGOT=$(grep '^dgrams=' "$USINK_LOG")
[ "$UGOT" = "dgrams=400 sizes=1200 bad=0" ] && svr_pass "UDP GSO: 40 x 10 datagrams of 1200 bytes arrived ($UGOT)" ||
  svr_fail "UDP GSO: expected dgrams=400 sizes=1200 bad=0, got '$UGOT'"

stop_probe
grep -E '^(pkt|summary)' "$PROBE_LOG" | head -40
for k in bad_csum malformed tx_err; do
  [ "$(field tun $k)" = 0 ] && [ "$(field tap $k)" = 0 ] && svr_pass "no $k" ||
    svr_fail "$k: tun $(field tun $k) tap $(field tap $k)"
done
gso_check() { # dev count_key max_key offload_bit what
  local dev=$1 key=$2 bit=$4 what=$5 n max
  n=$(field "$dev" "$key"); max=$(field "$dev" "$3")
  if (( OFFL & bit )); then
    [ "${n:-0}" -gt 0 ] && [ "${max:-0}" -gt 1500 ] &&
      svr_pass "$dev: $n $what super-packets, largest $max bytes (MTU 1500)" ||
      svr_fail "$dev: offload $bit accepted but $key=$n largest=$max"
  else
    echo "note: the kernel did not take offload $bit: no $what super-packets expected"
  fi
}
gso_check tun gso_tcp4 max_tcp4 2 "TCPv4 (gso_type 1)"
gso_check tun gso_tcp6 max_tcp6 4 "TCPv6 (gso_type 4)"
gso_check tun gso_udp max_udp 32 "UDP_L4 (gso_type 5)"
gso_check tap gso_tcp4 max_tcp4 2 "TCPv4 from the netdev fwd rule"
gso_check tap gso_tcp6 max_tcp6 4 "TCPv6 from the netdev fwd rule"
[ "$(field tun gro_super)" -gt 0 ] && svr_pass "GRO wrote $(field tun gro_super) super-packets back" ||
  svr_fail "GRO wrote no super-packet"

RULES4=$(ip -n "$R" rule show; ip -n "$R" -6 rule show)
grep -Eq '^10[0-3]:' <<<"$RULES4" && svr_fail "rules left behind: $RULES4" || svr_pass "rules removed"
[ -z "$(ip -n "$R" route show table 100; ip -n "$R" -6 route show table 100)" ] &&
  svr_pass "routes removed" || svr_fail "routes left in table 100"
ip netns exec "$R" nft list tables | grep -q svr_fwd_ && svr_fail "nft tables left behind" ||
  svr_pass "nft tables removed"

# ---- without CAP_NET_ADMIN the message says so ----
NOCAP=$(ip netns exec "$R" setpriv --reuid=65534 --regid=65534 --clear-groups \
  --inh-caps=-all --bounding-set=-all "$PROBE" --tun svrt9 --seconds 1 2>&1)
grep -q "needs CAP_NET_ADMIN" <<<"$NOCAP" && svr_pass "unprivileged: '$NOCAP'" ||
  svr_fail "unprivileged open did not name CAP_NET_ADMIN: '$NOCAP'"

# ---- the other write modes ----
for mode in split echo; do
  start_probe "$mode"
  tcp_stream "TCPv4 C->S, probe mode $mode" S 10.77.2.2 5201 8388608
  stop_probe
  [ "$(field tun tx_err)" = 0 ] && [ "$(field tun malformed)" = 0 ] && [ "$(field tun bad_csum)" = 0 ] &&
    svr_pass "mode $mode: $(field tun rx) packets read, $(field tun tx) written, no errors" ||
    svr_fail "mode $mode: $(grep '^summary' "$PROBE_LOG")"
done
svr_finish
