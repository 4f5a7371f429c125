#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# conductor_once: `svr-conductor-router run --once` against a port where
# nothing listens exits 6 (the peer is unreachable, docs/cli.md) with the
# reason, every time (issue 17: it aborted in uv_close, exit 134, 4 of 4
# runs: the refusal came while the router was being created, before the
# program's own handles existed).  Loopback, no root.
# A host name (issue 16 item 13: libconductor takes numeric addresses only,
# the CLI resolves names once at start-up): localhost:PORT is resolved and
# refused the same way; a name that does not resolve exits 2 saying so.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
. "$SVR_SOURCE_DIR/tests/conductor_lib.sh"
cd "$SVR_TMP"
"$ROUTER" keygen rr.key >/dev/null
: >kh
# a port nobody listens on: bind one, note it, close it
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
ok=0
for i in 1 2 3 4 5; do
  timeout 20 "$ROUTER" run --router rr --node n1 --key rr.key --known-hosts kh \
    --conductor "127.0.0.1:$P" --once >out.$i 2>err.$i
  rc=$?
  if [ $rc = 6 ] && grep -q "Connection refused" err.$i; then
    ok=$((ok + 1))
  else
    echo "run $i: exit $rc: $(tr '\n' ' ' <err.$i)"
  fi
done
[ $ok = 5 ] && svr_pass "--once against a closed port: exit 6 with 'Connection refused', 5 of 5 runs" ||
  svr_fail "--once against a closed port: $ok of 5 runs exited 6 with the reason"
timeout 20 "$ROUTER" run --router rr --node n1 --key rr.key --known-hosts kh \
  --conductor "localhost:$P" --once >out.n 2>err.n
rc=$?
[ $rc = 6 ] && grep -q "Connection refused" err.n &&
  svr_pass "--conductor localhost:PORT resolved by the CLI: exit 6, 'Connection refused'" ||
  svr_fail "--conductor localhost:PORT: exit $rc: $(tr '\n' ' ' <err.n)"
timeout 20 "$ROUTER" run --router rr --node n1 --key rr.key --known-hosts kh \
  --conductor "no-such-host.invalid:$P" --once >out.x 2>err.x
rc=$?
[ $rc = 2 ] && grep -q 'cannot resolve conductor "no-such-host.invalid"' err.x &&
  svr_pass "an unresolvable conductor name: exit 2, 'cannot resolve conductor'" ||
  svr_fail "an unresolvable conductor name: exit $rc: $(tr '\n' ' ' <err.x)"
svr_finish
