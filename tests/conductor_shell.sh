#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-conductor connect (label sim, loopback, no root): a shell on the
# router through its own connection to the conductor (docs/libconductor.md
# 2.7), driven on a pseudo-terminal (tests/conductor_shell_pty.py).
#  1. A session on a 37x91 terminal runs `echo` and `stty size` on the
#     router and gets their output; after the terminal is resized to 40x100
#     `stty size` says so; the shell holds only its terminal (none of the
#     router's descriptors); `exit 7` ends it and connect exits 7.
#  2. Both sides logged it: who, start, end, duration, exit status.
#  3. A key not in the conductor's --admin-keys is refused at login (exit
#     1, "not an enrolled administrator"), so is a router's enrolled key
#     used as an administrator's; the conductor logs the refusal.
#  4. A router with --no-remote-login refuses: exit 1 with a message that
#     says remote login is disabled; the router logs the refusal.
#  5. Piped input (no terminal) works too: the output comes back and the
#     end of input ends the shell.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
. "$SVR_SOURCE_DIR/tests/conductor_admin_lib.sh"
cd "$SVR_TMP"
PTY="$SVR_SOURCE_DIR/tests/conductor_shell_pty.py"

admin_setup
echo "== 1. scripted session"
cat > script <<'EOS'
send echo hello-$((6*7))
expect hello-42
send stty size
expect 37 91
resize 40 100
send stty size
expect 40 100
send echo fds: $(ls -l /proc/$$/fd | grep -v -e /dev/pts -e /dev/tty -e pipe: -e 'total ' | wc -l) end
expect end
send exit 7
EOS
out=$(timeout 60 python3 "$PTY" 37 91 script -- "$COND" connect --router r1 "${ADMIN[@]}" 2>&1); rc=$?
printf '%s\n' "$out" | tr -d '\r' | sed 's/^/  pty: /' | tail -12
clean=$(tr -d '\r' <<<"$out")
# (a line may start with the shell prompt: the script types ahead)
grep -Eq '(^|[#$] )hello-42$' <<<"$clean" && svr_pass "echo ran on the router: hello-42" ||
  svr_fail "no echo output"
grep -Eq '(^|[#$] )37 91$' <<<"$clean" && svr_pass "stty size on the router: 37 91 (the terminal's)" ||
  svr_fail "stty size: not 37 91"
grep -Eq '(^|[#$] )40 100$' <<<"$clean" && svr_pass "after the resize: 40 100" ||
  svr_fail "resize did not pass through"
# (what it has open besides its terminal and the command substitution's
# pipe: nothing)
fds=$(grep -Eo 'fds: [0-9]+ end' <<<"$clean" | tail -1)
[ "$fds" = "fds: 0 end" ] &&
  svr_pass "the shell holds none of the router's descriptors ($fds)" ||
  svr_fail "descriptors leaked into the shell: '$fds'"
[ "$rc" = 0 ] && grep -q '^exit=7$' <<<"$clean" &&
  svr_pass "exit 7 on the router: connect exits 7" || svr_fail "exit status: rc $rc, $(tail -1 <<<"$clean")"

echo "== 2. logged on both sides"
svr_wait_for 5 "grep -q 'audit: shell of administrator alice on router r1 node n1 ended after [0-9.]* s: exit status 7' '$C1_LOG'" &&
  grep -q 'audit: shell of administrator alice (127.0.0.1:[0-9]*) on router r1 node n1 started' "$C1_LOG" &&
  svr_pass "conductor: $(grep -o 'audit: shell .* ended .*' "$C1_LOG" | head -1)" ||
  svr_fail "conductor did not log the session: $(grep audit "$C1_LOG")"
grep -q 'remote login: alice via conductor node cnd1: shell /bin/sh pid [0-9]* started (91x37)' "$R1_LOG" &&
  grep -q 'remote login: session of alice via conductor node cnd1 ended after [0-9.]* s, exit status 7' "$R1_LOG" &&
  svr_pass "router: $(grep -o 'remote login: session of alice .* ended .*' "$R1_LOG" | head -1)" ||
  svr_fail "router did not log the session: $(grep 'remote login' "$R1_LOG")"

echo "== 3. keys that are not an administrator's"
"$COND" keygen bob.key >/dev/null
timeout 20 "$COND" connect --router r1 --conductor 127.0.0.1:$C1_PORT --key bob.key \
  --known-hosts kh </dev/null >/dev/null 2>err; rc=$?
fpb=$(ssh-keygen -lf bob.key.pub | awk '{print $2}')
[ "$rc" = 1 ] && grep -q 'not an enrolled administrator' err &&
  grep -q "refused unknown administrator key ssh-ed25519 $fpb (user svr-admin" "$C1_LOG" &&
  svr_pass "unenrolled key: exit 1, '$(cat err)'; conductor logged $fpb" ||
  svr_fail "unenrolled key: exit $rc: $(cat err)"
timeout 20 "$COND" connect --router r1 --conductor 127.0.0.1:$C1_PORT --key r1.key \
  --known-hosts kh </dev/null >/dev/null 2>err; rc=$?
[ "$rc" = 1 ] && grep -q 'not an enrolled administrator' err &&
  svr_pass "a router's key used as an administrator's: exit 1" ||
  svr_fail "router key as admin: exit $rc: $(cat err)"

echo "== 4. remote login disabled on the router"
"$ROUTER" keygen r2.key >/dev/null
"$COND" --dir c1 enroll r2 r2.key.pub >/dev/null
svr_bg - "$ROUTER" run --router r2 --node n1 --key r2.key --known-hosts kh \
  --conductor 127.0.0.1:"$C1_PORT" --no-remote-login -v
R2_LOG=$SVR_LAST_LOG
svr_wait_for 10 "grep -q 'router r2 node n1 connected' '$C1_LOG'" || svr_fail "r2 did not connect"
timeout 20 "$COND" connect --router r2 "${ADMIN[@]}" </dev/null >/dev/null 2>err; rc=$?
[ "$rc" = 1 ] && grep -q 'connect to router r2 refused: remote login is disabled on this router' err &&
  grep -q 'remote login: refused alice via conductor node cnd1: remote login is disabled' "$R2_LOG" &&
  svr_pass "remote login disabled: exit 1, '$(cat err)'; logged on the router" ||
  svr_fail "remote login disabled: exit $rc: $(cat err)"
grep -q 'audit: shell of administrator alice on router r2 node n1 ended after [0-9.]* s: refused by the router: remote login is disabled' "$C1_LOG" &&
  svr_pass "the conductor logged the refusal" || svr_fail "refusal not logged on the conductor"

echo "== 5. piped input"
out=$(printf 'echo piped-$((2+3))\n' | timeout 20 "$COND" connect --router r1 "${ADMIN[@]}" 2>&1); rc=$?
grep -q 'piped-5' <<<"$(tr -d '\r' <<<"$out")" && [ "$rc" = 0 ] &&
  svr_pass "piped input: output back, end of input ends the shell (exit 0)" ||
  svr_fail "piped: exit $rc: $out"
"$COND" connect --router nobody "${ADMIN[@]}" </dev/null >/dev/null 2>err; rc=$?
[ "$rc" = 1 ] && grep -q 'router nobody is not connected' err &&
  svr_pass "unknown router: exit 1" || svr_fail "unknown router: exit $rc $(cat err)"
svr_finish
