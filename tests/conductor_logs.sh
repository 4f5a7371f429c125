#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-conductor logs (label sim, loopback, no root): the log retriever over
# the router's own connection (docs/libconductor.md 2.7).
#  1. `logs --router r1` lists the regular files of the router's log
#     directory with their sizes (table and --json); a subdirectory, a
#     fifo and a dot file are not listed.
#  2. `logs --get big.log` downloads a 20 MiB file: the same SHA-256 as the
#     original, the file appears only when verified (no .part left), the
#     CLI reports the bytes it received (= the size: nothing twice).
#  3. An unknown router: exit 1; an unknown file: refused with the reason
#     (exit 1).
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
. "$SVR_SOURCE_DIR/tests/conductor_admin_lib.sh"
cd "$SVR_TMP"

head -c $((20 * 1024 * 1024)) /dev/urandom > big.src
admin_setup
cp big.src logs/big.log
printf 'line one\nline two\n' > logs/small.log
mkdir logs/subdir; mkfifo logs/fifo; echo x > logs/.hidden

echo "== 1. list"
out=$("$COND" logs --router r1 "${ADMIN[@]}" 2>&1); rc=$?
if [ "$rc" = 0 ] && grep -Eq '^big\.log +20971520 ' <<<"$out" &&
   grep -Eq '^small\.log +18 ' <<<"$out" && ! grep -Eq 'subdir|fifo|hidden' <<<"$out"; then
  svr_pass "logs lists big.log (20971520) and small.log (18) only"
else
  svr_fail "logs list: exit $rc: $out"; tail -5 "$R1_LOG"
fi
json=$("$COND" logs --router r1 --json "${ADMIN[@]}")
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); m={x["name"]:x["size"] for x in d}; assert m=={"big.log":20971520,"small.log":18}, m; assert all(x["mtime_ns"]>0 for x in d)' "$json"; then
  svr_pass "logs --json parses: two files, sizes and mtime_ns"
else
  svr_fail "logs --json: $json"
fi

echo "== 2. get a 20 MiB file"
t0=$(date +%s%N)
out=$("$COND" logs --router r1 --get big.log -o got.log "${ADMIN[@]}" 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
want=$(sha256sum big.src | cut -d' ' -f1)
have=$(sha256sum got.log 2>/dev/null | cut -d' ' -f1)
if [ "$rc" = 0 ] && [ "$want" = "$have" ] && [ ! -e got.log.part ] &&
   grep -q "sha256 $want verified; received 20971520 bytes" <<<"$out"; then
  svr_pass "20 MiB downloaded in $ms ms, sha256 equal ($want), received exactly 20971520 bytes"
else
  svr_fail "get: exit $rc, sha256 $have vs $want: $out"
fi
grep -q "log get from router r1 node n1 file big.log" "$C1_LOG" &&
  grep -q "log retriever: alice got 'big.log'" "$R1_LOG" &&
  svr_pass "both sides logged the download with the administrator's name" ||
  svr_fail "download not logged: $(grep -c 'log' "$C1_LOG") conductor lines"

echo "== 3. errors"
"$COND" logs --router nobody "${ADMIN[@]}" >/dev/null 2>err; rc=$?
[ "$rc" = 1 ] && grep -q 'router nobody is not connected' err &&
  svr_pass "unknown router: exit 1, '$(cat err)'" || svr_fail "unknown router: exit $rc $(cat err)"
"$COND" logs --router r1 --get missing.log -o m.log "${ADMIN[@]}" >/dev/null 2>err; rc=$?
[ "$rc" = 1 ] && grep -q 'refused: no such file' err &&
  svr_pass "missing file: exit 1, '$(cat err)'" || svr_fail "missing file: exit $rc $(cat err)"
"$COND" logs --get x "${ADMIN[@]}" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && svr_pass "no --router: usage error (2)" || svr_fail "no --router: exit $rc"
svr_finish
