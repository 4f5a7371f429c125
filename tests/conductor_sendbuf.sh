#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A router that stops reading (label interop: OpenSSH's ssh client as the
# router; loopback, no root): issue 14 item 4.
#  1. HELLO and then 1,000,000 KEEPALIVEs (32 MB) over the svr-conductor
#     subsystem, with ssh's stdout a pipe nobody reads: every KEEPALIVE is
#     answered, nothing drains the answers.  The conductor closes that
#     connection once its send buffer passes the limit (--max-send-buffer,
#     here the default 256 KiB), says so in its log, counts it, and its
#     resident memory grows by less than 16 MB (it was unbounded: 1 GB of
#     keepalives took it to 1.0 GB).
#  2. A router that does read is served normally meanwhile and after.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd ssh ssh-keygen python3 sqlite3
cd "$SVR_TMP"
mkdir -p home
export HOME="$SVR_TMP/home"
unset SSH_AUTH_SOCK

cond_start C1 cnd1 c1
P=$C1_PORT
known_host c1 $P > kh
ssh-keygen -q -t ed25519 -N '' -f rk
"$COND" --dir c1 enroll burl-corp rk.pub >/dev/null
"$ROUTER" keygen ok.key >/dev/null
"$COND" --dir c1 enroll good ok.key.pub >/dev/null
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
python3 - <<'PY'
import struct
def tlv(t, v): return struct.pack(">HH", t, len(v)) + v
def frame(t, body): return struct.pack(">IHH", len(body), t, 0) + body
hello = frame(1, tlv(0xe0a1, b"\0\1") + tlv(0xe0a2, b"\0\2") +
              tlv(0xe0a3, b"burl-corp") + tlv(0xe0a4, b"node1") +
              tlv(0xe0b2, struct.pack(">Q", 7)))
with open("flood.bin", "wb") as f:
    f.write(hello)
    for i in range(1, 1000001):
        f.write(frame(5, tlv(0xe0a5, struct.pack(">Q", i)) +
                      tlv(0xe0a9, struct.pack(">Q", i))))
PY
rss0=$(rss_kb $C1_PID)
# ssh's stdout goes to a pipe whose reader only sleeps
# (stdin stays open after the frames: EOF would close the channel)
# (bounded: the pipeline ends by itself after 120 s; killed as a tree below)
svr_bg - bash -c "{ cat flood.bin; sleep 120; } | ssh -F /dev/null -p $P -o BatchMode=yes \
  -o StrictHostKeyChecking=yes -o UserKnownHostsFile='$SVR_TMP/kh' -o IdentitiesOnly=yes \
  -i rk burl-corp@127.0.0.1 -s svr-conductor | sleep 120"
FLOOD_PID=$SVR_LAST_PID
# kill_tree PID: the process and every descendant (the cleanup trap kills
# only the PID it recorded; the pipeline's subshell and sleeps outlived it)
kill_tree() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
  kill "$1" 2>/dev/null
}
if svr_wait_for 60 "grep -q 'send buffer over' '$C1_LOG'"; then
  svr_pass "conductor closed the router that does not read: $(grep -o 'router burl-corp.*send buffer over.*' "$C1_LOG" | head -1)"
else
  svr_fail "no send-buffer close within 60 s"; tail -3 "$C1_LOG"
fi
rss1=$(rss_kb $C1_PID)
grow=$(( (rss1 - rss0) / 1024 ))
[ "$grow" -lt 16 ] && svr_pass "conductor RSS grew by $grow MB ($rss0 -> $rss1 kB)" ||
  svr_fail "conductor RSS grew by $grow MB ($rss0 -> $rss1 kB)"
"$ROUTER" run --router good --node n1 --key ok.key --known-hosts kh \
  --conductor 127.0.0.1:$P --raise "major:peer:still served" --exit-when-acked \
  --timeout 10 >/dev/null 2>good.log &&
  svr_pass "a router that reads is still served" || { svr_fail "good router"; cat good.log; }
kill $C1_PID; svr_wait_for 10 "! kill -0 $C1_PID 2>/dev/null"
kill_tree "$FLOOD_PID"
c=$(grep -o 'counters: .*' "$C1_LOG")
[[ "$c" =~ send\ buffer\ ([1-9][0-9]*) ]] && svr_pass "counter: $c" || svr_fail "counters: '$c'"
svr_finish
