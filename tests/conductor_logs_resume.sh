#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-conductor logs --get resumes after a dropped connection (label sim,
# loopback, no root).  The router is told (--test-log-drop-after, a testing
# aid) to drop its connection to the conductor once, right after it sent
# 10,000,000 bytes of log data: a chosen point, not a timer race.  The
# download of a 20 MiB file must
#  - notice the loss, wait for the router to reconnect and ask again from
#    the first byte it does not have (offset X, 0 < X <= what was sent);
#  - receive exactly 20,971,520 bytes in all (nothing that arrived is sent
#    again) and end with the original's SHA-256;
#  - and the router serves exactly 20,971,520 - X bytes after the drop.
# Then a second download into a .part file a previous run left (its first
# 5,000,000 bytes) asks only for the rest.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
. "$SVR_SOURCE_DIR/tests/conductor_admin_lib.sh"
cd "$SVR_TMP"

SIZE=$((20 * 1024 * 1024))
head -c $SIZE /dev/urandom > big.src
admin_setup --test-log-drop-after 10000000
cp big.src logs/big.log
want=$(sha256sum big.src | cut -d' ' -f1)

echo "== 1. dropped half-way, resumed"
out=$("$COND" logs --router r1 --get big.log -o got.log "${ADMIN[@]}" 2>&1); rc=$?
echo "$out" | sed 's/^/  cli: /'
have=$(sha256sum got.log 2>/dev/null | cut -d' ' -f1)
X=$(sed -n 's/.*resuming at offset \([0-9]*\).*/\1/p' <<<"$out" | head -1)
# the hook fires after the chunk that reaches 10,000,000 (chunks of 4000)
D=$(sed -n 's/.*test hook: dropping the connection to conductor node cnd1 after \([0-9]*\) log bytes.*/\1/p' "$R1_LOG")
[ -n "$D" ] && [ "$D" -ge 10000000 ] && [ "$D" -lt 10004000 ] &&
  svr_pass "the router dropped its connection after sending $D log bytes" ||
  svr_fail "the test hook did not fire: '$D'"
if [ "$rc" = 0 ] && [ "$have" = "$want" ] &&
   grep -q "received $SIZE bytes in [0-9]* requests, [1-9][0-9]* resumes" <<<"$out"; then
  svr_pass "downloaded after the drop: sha256 equal, received exactly $SIZE bytes"
else
  svr_fail "resume download: exit $rc, sha256 $have vs $want"
fi
if [ -n "$X" ] && [ -n "$D" ] && [ "$X" -gt 0 ] && [ "$X" -le "$D" ]; then
  svr_pass "resumed at offset $X (what had arrived of the $D the router sent)"
else
  svr_fail "resume offset '$X'"
fi
# what the router served after the drop: the ranges it logged after the hook
after=$(sed -n '/test hook: dropping/,$p' "$R1_LOG" |
  sed -n "s/.*alice got 'big.log' offset \([0-9]*\) length \([0-9]*\).*/\1 \2/p")
first=$(head -1 <<<"$after" | cut -d' ' -f1)
served=$(awk '{s += $2} END {print s + 0}' <<<"$after")
if [ "$first" = "$X" ] && [ "$served" = $((SIZE - X)) ]; then
  svr_pass "after the drop the router served from offset $first exactly $served bytes (= $SIZE - $X)"
else
  svr_fail "after the drop: first offset '$first', served $served, expected $((SIZE - X)) from $X"
fi

echo "== 2. a .part left by an earlier run"
head -c 5000000 big.src > again.log.part
out=$("$COND" logs --router r1 --get big.log -o again.log "${ADMIN[@]}" 2>&1); rc=$?
have=$(sha256sum again.log 2>/dev/null | cut -d' ' -f1)
if [ "$rc" = 0 ] && [ "$have" = "$want" ] && grep -q 'holds 5000000 bytes: resuming there' <<<"$out" &&
   grep -q "received $((SIZE - 5000000)) bytes" <<<"$out"; then
  svr_pass "resumed from the .part: received only the missing $((SIZE - 5000000)) bytes, sha256 equal"
else
  svr_fail "resume from .part: exit $rc: $out"
fi
echo "== 3. a .part that is not the file's start fails the SHA-256 check"
head -c 1000 /dev/zero > bad.log.part
out=$("$COND" logs --router r1 --get big.log -o bad.log "${ADMIN[@]}" 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q 'sha256 mismatch' <<<"$out" && [ ! -e bad.log ] && [ ! -e bad.log.part ] &&
  svr_pass "corrupt .part: exit 1, 'sha256 mismatch', nothing kept" ||
  svr_fail "corrupt .part: exit $rc: $out"
svr_finish
