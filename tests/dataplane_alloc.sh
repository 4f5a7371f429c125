#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The data plane allocates nothing per packet (issue 12): both routers run
# under a malloc-counting preload (tests/malloc_count.c); during at least 20 MB of a
# steady transfer through them (the session exists already) neither router
# calls malloc, calloc or realloc once: first with TCP carried as TCP, then
# with udp-transform-mode always-transform (TCP inside UDP, the UDP GSO
# batching).  Before the window the counters must be moving (start-up
# allocates), so the shim is known to work.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices and nftables"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"
SHIM=$SVR_BUILD_DIR/tests/libsvr_malloc_count.so
[ -f "$SHIM" ] || { echo "FAIL: $SHIM not built"; exit 1; }
R=$SVR_BUILD_DIR/cli/svr-router
DP_ROUTER=$R
dp_topo
mkdir -p www
dp_gen_file www/f.bin 60 >/dev/null
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"
cnt() { od -An -tu8 "$SVR_TMP/$1.cnt" | tr -d ' '; }
size() { stat -c %s "$SVR_TMP/got.bin" 2>/dev/null || echo 0; }

phase() {  # LABEL [KEY VALUE]...
  local label=$1 pa pb a0 b0 a1 b1 s0 s1 c; shift
  dp_router_conf A "$@" >/dev/null
  dp_router_conf B "$@" >/dev/null
  rm -f a.cnt b.cnt got.bin
  svr_bg A env LD_PRELOAD="$SHIM" SVR_MALLOC_COUNT_FILE="$SVR_TMP/a.cnt" "$R" -c routerA.conf; pa=$SVR_LAST_PID
  svr_bg B env LD_PRELOAD="$SHIM" SVR_MALLOC_COUNT_FILE="$SVR_TMP/b.cnt" "$R" -c routerB.conf; pb=$SVR_LAST_PID
  svr_wait_for 30 "dp_peers_up '$SVR_TMP/routerA.conf' && dp_peers_up '$SVR_TMP/routerB.conf'" \
    || { svr_fail "$label: routers did not come up"; return; }
  svr_bg C curl -sS --fail --limit-rate 15M -o "$SVR_TMP/got.bin" http://10.2.0.2:8080/f.bin; c=$SVR_LAST_PID
  svr_wait_for 20 "[ \$(size) -gt 10000000 ]" || { svr_fail "$label: transfer stalled"; return; }
  a0=$(cnt a); b0=$(cnt b); s0=$(size)
  svr_wait_for 20 "[ \$(size) -gt 40000000 ]" || { svr_fail "$label: transfer stalled"; return; }
  a1=$(cnt a); b1=$(cnt b); s1=$(size)
  echo "$label: $((s1 - s0)) bytes in the window; allocations A $((a1 - a0)) B $((b1 - b0)) (A ${a0} before, B ${b0})"
  if [ "$a0" -gt 0 ] && [ "$b0" -gt 0 ] && [ $((a1 - a0)) = 0 ] && [ $((b1 - b0)) = 0 ] &&
     [ $((s1 - s0)) -ge 20000000 ]; then
    svr_pass "$label: no allocation on either router during $((s1 - s0)) bytes of forwarding"
  else
    svr_fail "$label: allocations A $((a1 - a0)), B $((b1 - b0)) over $((s1 - s0)) bytes (counters before: $a0, $b0)"
  fi
  dp_kill "$c"; dp_kill "$pa"; dp_kill "$pb"
}
phase "TCP carried as TCP"
phase "always-transform (TCP inside UDP)" udp-transform-mode always-transform
svr_finish
