#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# OpenSSH's client against the conductor's SSH port: the host key it serves
# is the one pinned (ssh-keyscan, StrictHostKeyChecking), a changed key is
# refused by OpenSSH too, only public key authentication is offered
# (password and keyboard-interactive refused), an unknown key is refused,
# exec is refused, and the svr-conductor subsystem answers a HELLO frame
# with a HELLO_ACK; a version 1 HELLO (no epoch, an old router) is still
# understood and its ALARM stored as epoch 0.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
svr_require_cmd ssh ssh-keygen ssh-keyscan od sqlite3
cd "$SVR_TMP"
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
mkdir -p home
export HOME="$SVR_TMP/home"   # no user ssh config or agent leaks in
unset SSH_AUTH_SOCK

cond_start C1 cnd1 c1
P=$C1_PORT
known_host c1 $P > kh
ssh-keygen -q -t ed25519 -N '' -f rk
"$COND" --dir c1 enroll burl-corp rk.pub >/dev/null
SSH=(ssh -F /dev/null -p "$P" -o BatchMode=yes -o StrictHostKeyChecking=yes
     -o UserKnownHostsFile="$SVR_TMP/kh" -o ConnectTimeout=10 -o IdentitiesOnly=yes)

scanned=$(ssh-keyscan -p "$P" -t ed25519 127.0.0.1 2>/dev/null | awk '{print $3}')
[ -n "$scanned" ] && [ "$scanned" = "$(cut -d' ' -f2 c1/ssh_host_ed25519_key.pub)" ] \
  && svr_pass "ssh-keyscan sees the conductor's pinned Ed25519 host key" \
  || svr_fail "ssh-keyscan: '$scanned'"

out=$("${SSH[@]}" -v -o PubkeyAuthentication=no \
      -o PreferredAuthentications=password,keyboard-interactive \
      burl-corp@127.0.0.1 true 2>&1); rc=$?
[ $rc = 255 ] && echo "$out" | grep -q 'Authentications that can continue: publickey' \
  && ! echo "$out" | grep -qE 'can continue:.*(password|keyboard)' \
  && echo "$out" | grep -q 'Permission denied (publickey)' \
  && svr_pass "password/keyboard-interactive refused, only publickey offered" \
  || { svr_fail "password auth: rc=$rc"; echo "$out" | tail -5; }

ssh-keygen -q -t ed25519 -N '' -f rogue
out=$("${SSH[@]}" -i rogue burl-corp@127.0.0.1 -s svr-conductor </dev/null 2>&1); rc=$?
[ $rc = 255 ] && echo "$out" | grep -q 'Permission denied (publickey)' \
  && svr_wait_for 5 "grep -q 'refused unknown router key' '$C1_LOG'" \
  && svr_pass "unknown key refused (and logged by the conductor)" \
  || { svr_fail "unknown key: rc=$rc"; echo "$out"; }

# 8 unknown keys offered on one connection: like OpenSSH's MaxAuthTries,
# the conductor gives up after the 6th refusal, logging each with the
# peer's address and the key's fingerprint (it logged only the first and let
# a client try keys without end)
ids=()
for i in 1 2 3 4 5 6 7 8; do
  ssh-keygen -q -t ed25519 -N '' -f try$i; ids+=(-i try$i)
done
before=$(grep -c 'refused unknown router key' "$C1_LOG")
out=$("${SSH[@]}" -v "${ids[@]}" burl-corp@127.0.0.1 -s svr-conductor </dev/null 2>&1); rc=$?
svr_wait_for 5 "grep -q 'closing after 6 failed authentication attempts' '$C1_LOG'"
new_lines=$(tail -n +1 "$C1_LOG" | grep 'refused unknown router key' | tail -n +$((before + 1)))
fp6=$(ssh-keygen -lf try6.pub | awk '{print $2}')
fp7=$(ssh-keygen -lf try7.pub | awk '{print $2}')
[ $rc = 255 ] && [ "$(grep -c . <<<"$new_lines")" = 6 ] \
  && grep -q "127.0.0.1:[0-9]*: refused unknown router key ssh-ed25519 $fp6 (user burl-corp, attempt 6 of 6)" <<<"$new_lines" \
  && ! grep -q "$fp7" "$C1_LOG" \
  && grep -q 'closing after 6 failed authentication attempts' "$C1_LOG" \
  && svr_pass "8 keys offered: 6 refusals logged with address and fingerprint, then closed" \
  || { svr_fail "auth tries: rc=$rc"; echo "$new_lines"; grep -E 'attempt|closing after' "$C1_LOG" | tail -3; }

# 30 more refused keys within seconds: at most 20 lines per 10 s, and a
# line counting those left out
before=$(grep -c 'refused unknown router key' "$C1_LOG")
for i in $(seq 1 6); do
  "${SSH[@]}" "${ids[@]:0:10}" burl-corp@127.0.0.1 -s svr-conductor </dev/null >/dev/null 2>&1
done
svr_wait_for 15 "grep -q 'refused authentication attempts were not logged' '$C1_LOG'"
n=$(( $(grep -c 'refused unknown router key' "$C1_LOG") - before ))
[ "$n" -le 20 ] && grep -q '[0-9]* refused authentication attempts were not logged' "$C1_LOG" \
  && svr_pass "a burst of 30 refusals: $n lines, then '$(grep -o '[0-9]* refused authentication attempts were not logged.*' "$C1_LOG" | tail -1)'" \
  || svr_fail "refusal burst: $n lines"

out=$("${SSH[@]}" -i rk burl-corp@127.0.0.1 uname 2>&1); rc=$?
[ $rc != 0 ] && ! echo "$out" | grep -q Linux \
  && svr_pass "exec refused for an enrolled key (rc=$rc)" \
  || { svr_fail "exec allowed: $out"; }

# HELLO (router burl-corp, node node1) -> expect HELLO_ACK naming cnd1
hello='\x00\x00\x00\x22\x00\x01\x00\x00\xe0\xa1\x00\x02\x00\x01\xe0\xa2\x00\x02\x00\x01\xe0\xa3\x00\x09burl-corp\xe0\xa4\x00\x05node1'
printf "$hello" | "${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor > ack.bin 2>ssh.err
hex=$(hexof ack.bin)
[ "${hex:8:4}" = 0002 ] && echo "$hex" | grep -q 636e6431 \
  && svr_pass "svr-conductor subsystem: HELLO answered by HELLO_ACK from cnd1" \
  || { svr_fail "subsystem HELLO: got '$hex'"; cat ssh.err; }

# the router name in HELLO must match the key's enrolment
bad='\x00\x00\x00\x1e\x00\x01\x00\x00\xe0\xa1\x00\x02\x00\x01\xe0\xa2\x00\x02\x00\x01\xe0\xa3\x00\x05other\xe0\xa4\x00\x05node1'
printf "$bad" | "${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor > err.bin 2>/dev/null
hex=$(hexof err.bin)
[ "${hex:8:4}" = 0009 ] && svr_pass "HELLO claiming another router answered with ERROR" \
  || svr_fail "HELLO for another router: got '$hex'"

# unknown message type after HELLO: ERROR naming type 0x0063, no crash
printf "$hello"'\x00\x00\x00\x00\x00\x63\x00\x00' | \
  "${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor > unk.bin 2>/dev/null
hex=$(hexof unk.bin)
echo "$hex" | grep -q '00090000.*e0b000020063' && kill -0 $C1_PID \
  && svr_pass "unknown message type answered with ERROR (ref type 0x63), conductor alive" \
  || svr_fail "unknown type: got '$hex'"

# a malformed frame of a known type (an ALARM with nothing but its seq):
# the refusal names the frame's own type (3) in the log and in the ERROR
# text, not whatever the decoder left in memory (it reported the HELLO's
# type 1 before, read from an uninitialised message)
short_alarm='\x00\x00\x00\x0c\x00\x03\x00\x00\xe0\xa5\x00\x08\x00\x00\x00\x00\x00\x00\x00\x07'
printf "$hello$short_alarm" | \
  "${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor > bad3.bin 2>/dev/null
hex=$(hexof bad3.bin)
# "(type 3)" in the ERROR's text TLV
svr_wait_for 5 "grep -q 'refused frame: .*(type 3)' '$C1_LOG'" \
  && echo "$hex" | grep -q '00090000.*2874797065203329' \
  && svr_pass "malformed ALARM refused naming type 3 (log and ERROR text)" \
  || { svr_fail "malformed ALARM: log '$(grep 'refused frame' "$C1_LOG" | tail -1)', got '$hex'"; }

# 4,000 malformed frames on one connection (their ERROR answers, 224 kB,
# stay under the send-buffer limit): the first is logged, then at
# most one line per 10 s, and a summary with the count when it closes (every
# one of them was a warning line before: ~12x the input on disk)
python3 -c '
import sys
hello = b"\x00\x00\x00\x22\x00\x01\x00\x00\xe0\xa1\x00\x02\x00\x01\xe0\xa2\x00\x02\x00\x01\xe0\xa3\x00\x09burl-corp\xe0\xa4\x00\x05node1"
bad = b"\x00\x00\x00\x0c\x00\x03\x00\x00\xe0\xa5\x00\x08" + b"\x00" * 7 + b"\x07"
sys.stdout.buffer.write(hello + bad * 4000)' > bad4k.bin
before=$(grep -c 'refused frame' "$C1_LOG")
"${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor < bad4k.bin > /dev/null 2>&1
svr_wait_for 10 "grep -q 'refused frames in all' '$C1_LOG'"
lines=$(( $(grep -c 'refused frame' "$C1_LOG") - before ))
summary=$(grep -o 'router burl-corp node node1: 4000 refused frames in all.*' "$C1_LOG" | tail -1)
[ "$lines" -le 3 ] && [ -n "$summary" ] \
  && svr_pass "4,000 malformed frames: $lines log lines, '$summary'" \
  || svr_fail "4,000 malformed frames: $lines log lines, summary '$summary'"

# a version 1 router (its HELLO above has no epoch) is still understood:
# its ALARM is acknowledged after the commit and stored as epoch 0
alarm='\x00\x00\x00\x5b\x00\x03\x00\x00\xe0\xa5\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01\xe0\xa6\x00\x04\x00\x00\x00\x01\xe0\xa7\x00\x01\x01\xe0\xa8\x00\x01\x02\xe0\xa9\x00\x08\x17\x97\x9c\xfe6\x2a\x00\x00\xe0\xaa\x00\x05node1\xe0\xab\x00\x04peer\xe0\xac\x00\x1cPeer old-router path is down'
ALARM_ACK1=0000000c00040000e0a500080000000000000001
got_ack() { hexof old.bin | grep -q $ALARM_ACK1; }
: > old.bin
{ printf "$hello$alarm"; svr_wait_for 10 got_ack; } | \
  "${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor > old.bin 2>/dev/null
n=$(q c1 "SELECT count(*) FROM alarm_events WHERE router='burl-corp' AND
  node='node1' AND epoch=0 AND seq=1 AND message='Peer old-router path is down'")
got_ack && [ "$n" = 1 ] \
  && svr_pass "IPC version 1 HELLO (no epoch): ALARM acknowledged and stored as epoch 0" \
  || svr_fail "version 1 router: ack '$(hexof old.bin)', stored $n"

# Router-supplied bytes (issue 14 item 10).  A node name outside
# A-Z a-z 0-9 . _ - is refused at HELLO; alarm text with an ESC sequence,
# a newline, a C1 control and invalid UTF-8 is stored as sent but shown
# escaped (\xNN) by show alarms, and show --json stays valid JSON; an
# ERROR text with a newline cannot forge a log line.
python3 - <<'PY'
import struct
def tlv(t, v): return struct.pack(">HH", t, len(v)) + v
def frame(t, body): return struct.pack(">IHH", len(body), t, 0) + body
def hello(node):
    return frame(1, tlv(0xe0a1, b"\0\1") + tlv(0xe0a2, b"\0\2") +
                 tlv(0xe0a3, b"burl-corp") + tlv(0xe0a4, node) +
                 tlv(0xe0b2, struct.pack(">Q", 99)))
open("badname.bin", "wb").write(hello(b"n\x1b[2Jx"))
alarm = frame(3, tlv(0xe0a5, struct.pack(">Q", 1)) + tlv(0xe0a6, struct.pack(">I", 77)) +
              tlv(0xe0a7, b"\1") + tlv(0xe0a8, b"\2") +
              tlv(0xe0a9, struct.pack(">Q", 1700000000000000000)) +
              tlv(0xe0aa, b"src\xc2\x9b31m") + tlv(0xe0ab, b"peer") +
              tlv(0xe0ac, b"evil \x1b[31mred\nFAKE LINE \xff end"))
err = frame(9, tlv(0xe0af, b"\0\1") + tlv(0xe0b0, b"\0\3") +
            tlv(0xe0b1, b"oops\n2026-01-01T00:00:00Z svr-conductor error: forged"))
open("evil.bin", "wb").write(hello(b"evil1") + alarm + err)
PY
"${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor < badname.bin > badname.out 2>/dev/null
hex=$(hexof badname.out)
[ "${hex:8:4}" = 0009 ] && grep -q 'node name' badname.out &&
  [ "$(q c1 "SELECT count(*) FROM connections WHERE node LIKE 'n%x'")" = 0 ] &&
  svr_pass "HELLO with an ESC in the node name refused: $(tr -cd '[:print:]' < badname.out | grep -o 'node name.*')" ||
  svr_fail "bad node name: got '$hex'"
: > evil.out
got_evil_ack() { hexof evil.out | grep -q 0000000c00040000e0a500080000000000000001; }
{ cat evil.bin; svr_wait_for 10 got_evil_ack; } |
  "${SSH[@]}" -i rk burl-corp@127.0.0.1 -s svr-conductor > evil.out 2>/dev/null
[ "$(q c1 "SELECT count(*) FROM alarms WHERE node='evil1' AND message=CAST(x'6576696c201b5b33316d7265640a46414b45204c494e4520ff20656e64' AS TEXT)")" = 1 ] &&
  svr_pass "the alarm is stored byte for byte" || svr_fail "evil alarm not stored as sent"
"$COND" --dir c1 show alarms --router burl-corp > show.txt
if LC_ALL=C grep -q $'\x1b\|\xff\|\xc2\x9b' show.txt || grep -q '^FAKE LINE' show.txt; then
  svr_fail "show alarms printed raw control bytes: $(od -c show.txt | head -5)"
elif grep -qF 'evil \x1b[31mred\x0aFAKE LINE \xff end' show.txt && grep -qF 'src\xc2\x9b31m' show.txt; then
  svr_pass "show alarms escapes them: $(grep -oF 'evil \x1b[31mred\x0aFAKE LINE \xff end' show.txt)"
else
  svr_fail "show alarms: $(grep evil show.txt)"
fi
"$COND" --dir c1 show alarms --router burl-corp --json > show.json
python3 -c '
import json, sys
a = [x for x in json.load(open("show.json")) if x.get("message", "").startswith("evil")]
assert a and a[0]["message"] == "evil \\x1b[31mred\\x0aFAKE LINE \\xff end", a
assert a[0]["source"] == "src\\xc2\\x9b31m", a
' && svr_pass "show alarms --json is valid JSON with the same escapes" ||
  svr_fail "show --json: $(grep evil show.json)"
svr_wait_for 5 "grep -q 'reports error' '$C1_LOG'"
grep -q '^2026-01-01T00:00:00Z svr-conductor error: forged' "$C1_LOG" &&
  svr_fail "a router forged a log line" ||
  { grep -qF 'oops\x0a2026-01-01' "$C1_LOG" && svr_pass "the ERROR text is logged escaped, no forged line" ||
    svr_fail "ERROR text in the log: $(grep 'reports error' "$C1_LOG")"; }

ssh-keygen -q -t ed25519 -N '' -f impostor
echo "[127.0.0.1]:$P $(cut -d' ' -f1,2 impostor.pub)" > kh2
out=$(ssh -F /dev/null -p "$P" -o BatchMode=yes -o StrictHostKeyChecking=yes \
      -o UserKnownHostsFile="$SVR_TMP/kh2" -i rk burl-corp@127.0.0.1 -s svr-conductor \
      </dev/null 2>&1); rc=$?
[ $rc = 255 ] && echo "$out" | grep -q 'REMOTE HOST IDENTIFICATION HAS CHANGED' \
  && svr_pass "OpenSSH also refuses when the pinned key differs" \
  || { svr_fail "changed key with OpenSSH: rc=$rc"; echo "$out" | head -3; }
svr_finish
