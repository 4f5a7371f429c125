#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Bad input on router B's waypoint ports (issue 12): dropped, counted by
# reason, no crash, no session created.
#
# C - routerA - routerB - S (tests/lib/dataplane.sh), AES-256-GCM, firewall
# detection off (udp-transform-mode disabled: its jumbo-SYN fragments to
# B's waypoint address reach B's data plane too and move its counters).
# A real UDP echo session (client 10.1.0.2:40001 -> 10.2.0.2:7007) is
# opened first and its packets are captured on B's side of the A-B link
# (AF_PACKET, tests/dataplane_inject.py).  Then, from namespace A, frames
# are written straight onto the A-B link to 192.168.50.2, and after each
# step the change of every drop counter of `show stats --json` on B must
# be exactly the one expected (the named reason by the number of frames
# sent, every other reason by 0), with no session created:
#   a1  40 UDP datagrams, random payload, random waypoint ports  no-session
#   a2  40 TCP segments (valid header, random flags), same       no-session
#   a3  20 with a bad L4 header (UDP length, TCP data offset)    malformed
#   a4  20 random payloads of >= 30 bytes on the session's own
#       waypoint pair (read as the fast-path prefix)             key-unknown
#   b   a packet of the session that B never got (held back: an nft
#       postrouting rule in A moves it to UDP port 9, which B's data
#       plane does not take; captured on B's link and its waypoint port
#       put back), one ciphertext byte flipped and one tag byte
#       flipped                                                  auth 2
#       then the untouched original: delivered (the client's echo comes
#       back), and sent again                                    replay 1
#   c   the session's first packet (metadata, sequence 1) and its second
#       packet (fast path), replayed verbatim                    replay 2
#   d   first packets of an unknown session forged by libsvrfwd
#       (tests/dataplane_forge.c) on an unused waypoint pair:
#       another key under B's security ID 1                      auth
#       B's key under security ID 9 (not installed)              key-unknown
#       metadata cut to 10 bytes / inside the header / inside
#       the payload TLVs                                         meta-short, meta-hdrlen, meta-paylen
#       from 192.168.50.77 (no peer there): not taken at all, B's
#       kernel gets it (its UDP NoPorts counts it)               nothing
# Then: show sessions on B lists exactly the session it had, both routers
# are alive, the original session still echoes (same waypoints, B's rx
# count up) and ping works.  What is not ours stays the kernel's: a ping
# from A to 192.168.50.2 is answered, 1000 bytes and 3000 bytes (fragments
# to the waypoint address that are no waypoint packet).  Control (last, as
# it creates a session): the forged first packet with B's key and security
# ID is accepted, so the refusals above are due to what was changed, not to
# the forgery.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices, nftables, AF_PACKET"
svr_require_cmd python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
FORGE=$SVR_BUILD_DIR/tests/dataplane_forge
INJ=$SVR_SOURCE_DIR/tests/dataplane_inject.py
# the interpreter itself, not a version manager's shim (0.6 s a call here)
PY=$(python3 -c 'import sys; print(sys.executable)')
[ -x "$FORGE" ] || { echo "FAIL: $FORGE not built"; exit 1; }
cd "$SVR_TMP"

dp_topo
for r in A B; do dp_router_conf $r udp-transform-mode disabled >/dev/null; done
dp_routers_up 30 || { svr_fail "routers did not come up"; svr_finish; }
RA="$DP_ROUTER -c $SVR_TMP/routerA.conf"
RB="$DP_ROUTER -c $SVR_TMP/routerB.conf"

inj() { local ns=$1; shift; dp_exec "$ns" "$PY" "$INJ" "$@"; }
stats_b() { $RB show stats --json; }
# jget FILE EXPR: EXPR on the JSON document in FILE as d
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
rx_tap() { stats_b | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["rx_tap"])'; }

# ---- the UDP echo server in S, and a client that sends one datagram from
# 10.1.0.2:PORT and waits for the echo
cat >udpecho.py <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.2.0.2", 7007))
print("listening", flush=True)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
EOF
# (with OUTFILE the result also goes there, written once it is known)
cat >udpone.py <<'EOF'
import os, socket, sys
port, msg, wait = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3])
def say(r):
    print(r)
    if len(sys.argv) > 4:
        with open(sys.argv[4] + ".tmp", "w") as f:
            f.write(r + "\n")
        os.rename(sys.argv[4] + ".tmp", sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.1.0.2", port))
s.settimeout(wait)
s.sendto(msg, ("10.2.0.2", 7007))
print("sent", flush=True)
try:
    d, _ = s.recvfrom(65535)
    say("echo" if d == msg else "wrong")
except socket.timeout:
    say("timeout")
EOF
svr_bg S "$PY" udpecho.py
svr_wait_for 10 "grep -q listening '$SVR_LAST_LOG'" || { svr_fail "UDP echo server"; svr_finish; }

# ---- the real session, captured on B's side of the link (A -> B only)
svr_bg B "$PY" "$INJ" capture bA "$SVR_TMP/real.hex" --count 3 --timeout 30 \
  --src 192.168.50.1 --dst 192.168.50.2 --proto 17 --wp
CAP=$SVR_LAST_PID
# (not the log: svr_bg may give a later process the name of a reaped one's)
svr_wait_for 10 "[ -e real.hex ]" || svr_fail "capture did not start"
ok=0
for i in 1 2 3; do
  [ "$(dp_exec C "$PY" udpone.py 40001 "real-$i-$$" 3 | tail -1)" = echo ] && ok=$((ok + 1))
done
dp_forget "$CAP" && [ "$(wc -l <real.hex)" = 3 ] || svr_fail "capture of the session: $(wc -l <real.hex) frames"
[ $ok = 3 ] && svr_pass "real UDP session: 3 echoes through the routers, its 3 packets A->B captured" \
  || svr_fail "real UDP session: $ok of 3 echoes"
F1=$(sed -n 1p real.hex); F2=$(sed -n 2p real.hex)
inj B info "$F1" >f1.json; inj B info "$F2" >f2.json
ASP=$(jget f1.json 'd["sport"]'); BDP=$(jget f1.json 'd["dport"]')
if [ "$(jget f1.json 'd["cookie"]')" = True ] && [ "$(jget f1.json 'd["seq"]')" = 1 ] &&
   [ "$(jget f2.json 'd["cookie"]')" = False ] && [ "$(jget f2.json 'd["seq"]')" = 2 ]; then
  svr_pass "captured: packet 1 carries metadata (sequence 1), packet 2 the fast-path prefix (sequence 2), waypoints $ASP -> $BDP"
else
  svr_fail "captured packets: $(cat f1.json f2.json)"
fi
$RB show sessions --json >sess0.json
"$PY" - sess0.json "$BDP" "$ASP" <<'EOF' || svr_fail "B's sessions before: $(cat sess0.json)"
import json, sys
ss = json.load(open(sys.argv[1]))["sessions"]
assert len(ss) == 1, ss
s = ss[0]
assert s["protocol"] == "udp" and s["source"] == "10.1.0.2:40001" and s["destination"] == "10.2.0.2:7007", s
assert s["waypoints"] == "192.168.50.2:%s-192.168.50.1:%s" % (sys.argv[2], sys.argv[3]), s
EOF

# ---- step helpers
# snap NAME: B's stats into NAME.json
snap() { stats_b >"$1.json"; }
# settle BEFORE N: wait until B has read N more frames from its TAP device
# (every frame we sent was then processed: reads and show run on one loop)
settle() {
  local want=$(( $(jget "$1.json" 'd["rx_tap"]') + $2 ))
  svr_wait_for 10 "[ \$(rx_tap) -ge $want ]" || echo "B read $(rx_tap) frames, want $want" >&2
}
# expect BEFORE AFTER WHAT 'reason=N ...' [FIELD=N ...]: every drop reason
# changed by exactly its N (0 when not named), sessions_created by 0
# unless named, the other FIELDs by their N
expect() {
  local b=$1 a=$2 what=$3; shift 3
  if out=$("$PY" - "$b.json" "$a.json" "$@" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))
want = {}
for kv in sys.argv[3:]:
    for x in kv.split():
        k, v = x.split("=")
        want[k] = int(v)
bad = []
for k in a["drops"]:
    d = a["drops"][k] - b["drops"][k]
    if d != want.pop(k, 0):
        bad.append("%s %+d" % (k, d))
want.setdefault("sessions_created", 0)
for k, v in want.items():
    d = a[k] - b[k]
    if d != v:
        bad.append("%s %+d (want %+d)" % (k, d, v))
got = {k: a["drops"][k] - b["drops"][k] for k in a["drops"] if a["drops"][k] != b["drops"][k]}
print("; ".join(bad) if bad else "drops %s" % got)
sys.exit(1 if bad else 0)
EOF
  ); then svr_pass "$what: $out"; else svr_fail "$what: $out"; fi
}

TPL=$F1   # Ethernet and IP addresses of a real A -> B frame

# ---- a: random bytes
snap s0
inj A random aB "$TPL" --proto udp --count 40 --avoid "$ASP:$BDP" --seed $$ >/dev/null
settle s0 40; snap s1
expect s0 s1 "a1: 40 random UDP datagrams to random waypoint ports" "no-session=40"
inj A random aB "$TPL" --proto tcp --count 40 --avoid "$ASP:$BDP" --seed $((~$$)) >/dev/null
settle s1 40; snap s2
expect s1 s2 "a2: 40 random TCP segments to random waypoint ports" "no-session=40"
inj A random aB "$TPL" --proto udp --count 10 --malformed --seed 1 >/dev/null
inj A random aB "$TPL" --proto tcp --count 10 --malformed --seed 2 >/dev/null
settle s2 20; snap s3
expect s2 s3 "a3: 10 UDP with a wrong length, 10 TCP with a data offset below 5" "malformed=20"
inj A random aB "$TPL" --proto udp --count 20 --pair "$ASP:$BDP" --min-len 30 --seed 3 >/dev/null
settle s3 20; snap s4
expect s3 s4 "a4: 20 random payloads on the session's own waypoint pair" "key-unknown=20" "egress_packets=0"

# ---- b: a packet B never got, tampered, then the original, then again.
# B's data plane reads its waypoint packets from an AF_PACKET socket, which
# sees a frame before any nft hook of B's could drop it; so the packet is
# held back in A, whose postrouting (forwarded from the TUN device or sent
# from a raw socket alike) moves it to UDP port 9, outside the waypoint
# ports: B's data plane never takes it, and it is captured on B's link
dp_exec A nft -f - <<EOF
table ip dpt_hold {
  chain post {
    type filter hook postrouting priority 0; policy accept;
    ip saddr 192.168.50.1 udp dport $BDP counter udp dport set 9
  }
}
EOF
svr_bg B "$PY" "$INJ" capture bA "$SVR_TMP/held.hex" --count 1 --timeout 20 \
  --src 192.168.50.1 --dst 192.168.50.2 --proto 17 --dport 9
CAP=$SVR_LAST_PID
svr_wait_for 10 "[ -e held.hex ]" || svr_fail "capture did not start"
svr_bg C "$PY" udpone.py 40001 "held-$$" 30 "$SVR_TMP/held.result"
CLI=$SVR_LAST_PID
dp_forget "$CAP" || svr_fail "the held packet was not captured"
held_drops=$(dp_exec A nft list table ip dpt_hold | grep -o 'packets [0-9]*' | awk '{print $2}')
dp_exec A nft delete table ip dpt_hold
H=$(inj B setdport "$(cat held.hex)" "$BDP"); inj B info "$H" >h.json
[ "$held_drops" = 1 ] && [ "$(jget h.json 'd["seq"]')" = 4 ] \
  && svr_pass "held back: the session's packet with sequence 4 captured and dropped before B's data plane" \
  || svr_fail "held packet: nft drops '$held_drops', $(cat h.json)"
snap s5
HC=$(inj B flip "$H" 14)    # prefix 12 + original checksum 2: the first data byte
HT=$(inj B flip "$H" -1)    # the last byte of the GCM tag
inj A send aB "$HC" "$HT" >/dev/null
settle s5 2; snap s6
expect s5 s6 "b: the unseen packet with a ciphertext byte, then a tag byte flipped" "auth=2" "egress_packets=0"
inj A send aB "$H" >/dev/null
settle s6 1; snap s7
expect s6 s7 "b: the untouched original is delivered" "egress_packets=1"
svr_wait_for 10 "[ -e held.result ]"
[ "$(cat held.result 2>/dev/null)" = echo ] && svr_pass "b: the client got the echo of the held datagram" \
  || svr_fail "b: client: '$(cat held.result 2>/dev/null)'"
dp_forget "$CLI"
inj A send aB "$H" >/dev/null
settle s7 1; snap s8
expect s7 s8 "b: the original sent a second time" "replay=1" "egress_packets=0"

# ---- c: replayed packets of the session
inj A send aB "$F1" "$F2" >/dev/null
settle s8 2; snap s9
expect s8 s9 "c: the first packet (metadata) and the second, replayed verbatim" "replay=2" "egress_packets=0"

# ---- d: first packets of an unknown session
WRONG=a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5
fp() { inj B frame "$TPL" "$("$FORGE" "$@")"; }
GW=$(fp "$WRONG" 1 40999 20000 20001)
GK=$(fp "$DP_KEY" 9 40999 20000 20001)
GOOD=$(fp "$DP_KEY" 1 40999 20000 20001)
[ -n "$GW" ] && [ -n "$GK" ] && [ -n "$GOOD" ] || svr_fail "dataplane_forge failed"
inj B info "$GOOD" >g.json
HL=$(jget g.json 'd["hdr_len"]')
GS=$(inj B cut "$GOOD" 10)
GH=$(inj B cut "$GOOD" $((HL - 8)))
GP=$(inj B cut "$GOOD" $((HL + 6)))
GU=$(inj B setsrc "$GOOD" 192.168.50.77)
snap s10
inj A send aB "$GW" >/dev/null
settle s10 1; snap s11
expect s10 s11 "d: first packet of an unknown session under another key (security ID 1)" "auth=1"
inj A send aB "$GK" >/dev/null
settle s11 1; snap s12
expect s11 s12 "d: first packet under security ID 9 (not installed)" "key-unknown=1"
inj A send aB "$GS" "$GH" "$GP" >/dev/null
settle s12 3; snap s13
expect s12 s13 "d: metadata cut to 10 bytes, into the header ($((HL - 8)) of $HL), into the payload TLVs" \
  "meta-short=1 meta-hdrlen=1 meta-paylen=1"
# UDP datagrams B's kernel found no socket for (or refused)
udp_b() { dp_exec B awk '/^Udp:/ { if (h) print $3 + $4 + $8; h = 1 }' /proc/net/snmp; }
u0=$(udp_b)
inj A send aB "$GU" >/dev/null
svr_wait_for 10 "[ \$(udp_b) -gt $u0 ]" || echo "B's kernel did not count the datagram from 192.168.50.77" >&2
snap s14
expect s13 s14 "d: first packet from 192.168.50.77, no peer of B: left to B's kernel (UDP errors $u0 -> $(udp_b)), not read by the data plane" "rx_tap=0"
expect s0 s14 "all bad input: no session created, nothing delivered but the held original" \
  "no-session=80 malformed=20 key-unknown=21 auth=3 replay=3 meta-short=1 meta-hdrlen=1 meta-paylen=1" \
  "sessions_created=0 egress_packets=1"

# ---- afterwards
$RB show sessions --json >sess1.json
"$PY" - sess0.json sess1.json <<'EOF' && svr_pass "show sessions on B: the same single session as before the bad input" || svr_fail "B's sessions after: $(cat sess1.json)"
import json, sys
key = lambda s: (s["protocol"], s["source"], s["destination"], s["waypoints"], s["path"])
b = [key(s) for s in json.load(open(sys.argv[1]))["sessions"]]
a = [key(s) for s in json.load(open(sys.argv[2]))["sessions"]]
assert a == b, (b, a)
EOF
kill -0 "$DP_ROUTER_PID_A" 2>/dev/null && kill -0 "$DP_ROUTER_PID_B" 2>/dev/null \
  && svr_pass "both routers still running" || svr_fail "a router died: $(tail -3 "$DP_ROUTER_LOG_A" "$DP_ROUTER_LOG_B")"
got=$(dp_exec C "$PY" udpone.py 40001 "after-$$" 3 | tail -1)
$RB show sessions --json >sess2.json
"$PY" - sess0.json sess2.json <<'EOF' && [ "$got" = echo ] \
  && svr_pass "the original session still echoes, on the same waypoints, B's receive count up" \
  || svr_fail "original session afterwards: client '$got', $(cat sess2.json)"
import json, sys
b = json.load(open(sys.argv[1]))["sessions"][0]
a = [s for s in json.load(open(sys.argv[2]))["sessions"] if s["source"] == "10.1.0.2:40001"]
assert len(a) == 1 and a[0]["waypoints"] == b["waypoints"], a
# 3 echoes + the held datagram + this one
assert a[0]["rx_packets"] == b["rx_packets"] + 2, (b["rx_packets"], a[0]["rx_packets"])
EOF
dp_reachable 3 && svr_pass "ping C -> S works" || svr_fail "ping C -> S"

# ---- what is not ours stays the kernel's: a ping from A to B's waypoint
# address (no waypoint port) is answered by B's kernel, whole or in
# fragments (3000 bytes over the 1500-byte link: both the echo and the
# reply arrive as fragments at a waypoint address)
dp_exec A ping -c 3 -i 0.2 -W 2 -q -s 1000 192.168.50.2 >/dev/null 2>&1 \
  && svr_pass "not ours: a 1000-byte ping from A to 192.168.50.2 is answered" \
  || svr_fail "not ours: a 1000-byte ping from A to 192.168.50.2 is not answered"
dp_exec A ping -c 3 -i 0.2 -W 2 -q -s 3000 192.168.50.2 >/dev/null 2>&1 \
  && svr_pass "not ours: a 3000-byte ping from A to 192.168.50.2 (fragments) is answered" \
  || svr_fail "not ours: a 3000-byte ping from A to 192.168.50.2 (fragments) is not answered: the fragments did not reach the kernel ($(stats_b | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print("B returned_to_kernel", d.get("returned_to_kernel"))'))"

# ---- control: the forged packet with B's key is accepted
snap s15
inj A send aB "$GOOD" >/dev/null
settle s15 1; snap s16
expect s15 s16 "control: the forged first packet with B's key and security ID 1 is accepted" \
  "sessions_created=1 egress_packets=1"
svr_finish
