#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# SSH keepalives interoperate with OpenSSH (docs/libconductor.md 1.2).
# 1. OpenSSH's client with ServerAliveInterval=1, ServerAliveCountMax=2 (it
#    gives up after about 3 s without an answer to its keepalive@openssh.com)
#    stays connected to the conductor through 10 s of idle, and the
#    conductor (keepalive 1 s x 2) keeps it: both sides' keepalives are
#    answered at the SSH level (a conductor that needed IPC frames closed
#    an idle session after 3 s).
# 2. Our router client against OpenSSH's sshd with ClientAliveInterval 1,
#    ClientAliveCountMax 2 and a subsystem that answers HELLO and nothing
#    else stays connected for 10 s: sshd's keepalive requests are answered
#    and the router's own keepalives, answered by sshd, keep the link up (a
#    router that needed KEEPALIVE_ACK frames dropped it after 3 s).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd ssh ssh-keygen python3 sqlite3
cd "$SVR_TMP"
mkdir -p home
export HOME="$SVR_TMP/home"   # no user ssh config or agent leaks in
unset SSH_AUTH_SOCK
IDLE=10

# ---- 1. OpenSSH client -> conductor --------------------------------------
cond_start C1 cnd1 c1 0 --keepalive-interval 1 --keepalive-max 2
known_host c1 $C1_PORT > kh
ssh-keygen -q -t ed25519 -N '' -f rk
"$COND" --dir c1 enroll burl-corp rk.pub >/dev/null
hello='\x00\x00\x00\x22\x00\x01\x00\x00\xe0\xa1\x00\x02\x00\x01\xe0\xa2\x00\x02\x00\x04\xe0\xa3\x00\x09burl-corp\xe0\xa4\x00\x05node1'
# HELLO, then the input stays open and silent for $IDLE s (the scenario's
# idle time, not a wait for anything)
{ printf "$hello"; sleep $IDLE; } | ssh -F /dev/null -p "$C1_PORT" -o BatchMode=yes \
  -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SVR_TMP/kh" \
  -o IdentitiesOnly=yes -i rk -o ServerAliveInterval=1 -o ServerAliveCountMax=2 \
  -v burl-corp@127.0.0.1 -s svr-conductor > ssh.out 2> ssh.err &
SSH_PID=$!
SVR_PIDS+=("$SSH_PID")
svr_wait_for 10 "[ \"\$(q c1 \"SELECT state FROM connections WHERE router='burl-corp' AND node='node1'\")\" = connected ]" \
  || svr_fail "the ssh session did not connect: $(tail -3 ssh.err)"
t0=$(date +%s%N)
# The session lives for IDLE s; it must neither be closed by the conductor
# nor give up on it before then.
svr_wait_for $((IDLE + 5)) "! kill -0 $SSH_PID 2>/dev/null"
t1=$(date +%s%N)
wait "$SSH_PID"; rc=$?
alive=$(( (t1 - t0) / 1000000 ))
if [ "$alive" -ge $(( (IDLE - 1) * 1000 )) ] && ! grep -q 'router burl-corp node node1: no answer' "$C1_LOG" \
   && ! grep -q 'Timeout, server' ssh.err; then
  svr_pass "OpenSSH (ServerAliveInterval=1, CountMax=2) stayed connected ${alive} ms idle; the conductor (1 s x 2) kept it (ssh rc=$rc)"
else
  svr_fail "OpenSSH session ended after ${alive} ms (rc=$rc): $(grep -E 'no answer|closing' "$C1_LOG" | tail -2) $(grep -i timeout ssh.err)"
fi
n=$(grep -c 'keepalive@openssh.com' ssh.err)
grep -q 'client_input_global_request: rtype keepalive@openssh.com want_reply 1' ssh.err \
  && svr_pass "the conductor also asked OpenSSH with keepalive@openssh.com" \
  || echo "note: no keepalive request from the conductor in ssh -v ($n mentions): OpenSSH's own kept it busy"

# ---- 2. our router -> OpenSSH sshd --------------------------------------
if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ]; then
  echo "SKIP: part 2 needs root and /usr/sbin/sshd"
  svr_finish
fi
# the stub subsystem: answers HELLO with HELLO_ACK (IPC version 4, node
# "sshd"), then reads and ignores everything (KEEPALIVE frames included)
cat > stub.py <<'PY'
import struct, sys
r, w = sys.stdin.buffer, sys.stdout.buffer
def frame():
    h = r.read(8)
    if len(h) < 8:
        sys.exit(0)
    n, t, _ = struct.unpack(">IHH", h)
    return t, r.read(n)
t, _ = frame()
def tlv(t, v): return struct.pack(">HH", t, len(v)) + v
body = tlv(0xe0a0, struct.pack(">H", 4)) + tlv(0xe0a4, b"sshd")
w.write(struct.pack(">IHH", len(body), 2, 0) + body); w.flush()
while True:
    frame()
PY
ssh-keygen -q -t ed25519 -N '' -f hostkey
"$ROUTER" keygen rt.key >/dev/null
mkdir -p /run/sshd
# a free port on loopback
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > sshd_config <<CFG
ListenAddress 127.0.0.1:$PORT
HostKey $SVR_TMP/hostkey
PidFile $SVR_TMP/sshd.pid
AuthorizedKeysFile $SVR_TMP/rt.key.pub
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
ClientAliveInterval 1
ClientAliveCountMax 2
LogLevel DEBUG1
Subsystem svr-conductor /usr/bin/python3 $SVR_TMP/stub.py
CFG
svr_bg - /usr/sbin/sshd -D -e -f "$SVR_TMP/sshd_config"
SSHD_LOG=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'Server listening on 127.0.0.1 port $PORT' '$SSHD_LOG'" \
  || { svr_fail "sshd did not start: $(tail -3 "$SSHD_LOG")"; svr_finish; }
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 hostkey.pub)" > kh2
# the router's SSH user is its router name: root here
svr_bg - "$ROUTER" run --router root --node n1 --key rt.key --known-hosts kh2 \
  --conductor 127.0.0.1:$PORT --keepalive-interval 1 --keepalive-max 2 -v
R_PID=$SVR_LAST_PID R_LOG=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'connected to conductor node sshd' '$R_LOG'" \
  || svr_fail "the router did not connect to sshd: $(tail -3 "$R_LOG")"
t0=$(date +%s%N)
# stays connected IDLE s: nothing may end it before then
svr_wait_for $IDLE "grep -q 'connection lost' '$R_LOG' || grep -q 'Timeout, client not responding' '$SSHD_LOG'"
t1=$(date +%s%N)
up=$(( (t1 - t0) / 1000000 ))
if [ "$up" -ge $(( IDLE * 1000 )) ] && [ "$(grep -c 'connected to conductor node sshd' "$R_LOG")" = 1 ] \
   && ! grep -q 'Timeout, client not responding' "$SSHD_LOG" && kill -0 $R_PID; then
  svr_pass "router against sshd (ClientAliveInterval 1, CountMax 2): connected for ${up} ms, one connection"
else
  svr_fail "router against sshd: $(grep -E 'connection lost|retry' "$R_LOG" | head -2) $(grep -i 'timeout' "$SSHD_LOG" | head -2) after ${up} ms"
fi
grep -q 'keepalive@openssh.com' "$SSHD_LOG" \
  && svr_pass "sshd saw the router's keepalive@openssh.com requests ($(grep -c 'keepalive@openssh.com' "$SSHD_LOG") lines)" \
  || svr_fail "no keepalive@openssh.com from the router in sshd's log"
svr_finish
