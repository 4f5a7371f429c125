#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The log retriever serves only regular files under the router's log
# directory (label sim, loopback, no root; the device case needs root).
# Every attempt below must be refused by the router with the reason, exit 1
# (refused), write no output file, and be logged on the router with the
# administrator's name:
#   ../secret            parent directory
#   sub/../../secret     parent directory through a subdirectory
#   ..                   the parent itself
#   /etc/hostname        absolute path (and $PWD/secret)
#   escape.log           symlink to a file outside the directory
#   outdir/secret        symlink to a directory outside, then a file in it
#   fifo                 a fifo (opening it must not block the router)
#   subdir               a directory
#   sock                 a Unix socket
#   null                 a character device (root only: mknod)
# while inside.log, a symlink to a file inside the directory, is served.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
. "$SVR_SOURCE_DIR/tests/conductor_admin_lib.sh"
cd "$SVR_TMP"

admin_setup
echo "top secret" > secret
mkdir -p logs/sub logs/subdir outside
echo "also secret" > outside/secret
echo "fine" > logs/real.log
ln -s ../secret logs/escape.log
ln -s ../outside logs/outdir
ln -s real.log logs/inside.log
mkfifo logs/fifo
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' logs/sock
names=("../secret" "sub/../../secret" ".." "/etc/hostname" "$SVR_TMP/secret"
       "escape.log" "outdir/secret" "fifo" "subdir" "sock")
if [ "$(id -u)" = 0 ] && mknod logs/null c 1 3 2>/dev/null; then
  names+=("null")
else
  echo "SKIP (part): not root, no device file case"
fi
kinds=0
for n in "${names[@]}"; do
  rm -f out.log out.log.part
  t0=$(date +%s%N)
  "$COND" logs --router r1 --get "$n" -o out.log --timeout 10 "${ADMIN[@]}" >/dev/null 2>err; rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ "$rc" = 1 ] && grep -q 'refused: ' err && [ ! -s out.log ] &&
     grep -q "log retriever: refused '$n' to alice" "$R1_LOG"; then
    svr_pass "'$n' refused in $ms ms: $(sed 's/.*refused: //' err)"
    kinds=$((kinds + 1))
  else
    svr_fail "'$n': exit $rc: $(cat err)"
  fi
done
[ "$kinds" -ge 6 ] && svr_pass "$kinds kinds of traversal refused (>= 6)" ||
  svr_fail "only $kinds kinds refused"
out=$("$COND" logs --router r1 --get inside.log -o in.log "${ADMIN[@]}" 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(cat in.log)" = fine ] &&
  svr_pass "a symlink that stays inside the directory is served" ||
  svr_fail "inside.log: exit $rc: $out"
# the router still answers after all that (the fifo did not block it)
"$COND" logs --router r1 "${ADMIN[@]}" | grep -q '^real\.log' &&
  svr_pass "router still serving after the refusals" || svr_fail "router stuck"
svr_finish
