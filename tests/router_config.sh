#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-router configuration errors through the program (label unit): every
# kind of error prints FILE:LINE: message and exits 2, both for `check` and
# for a start; a start that cannot bind or finds its control socket taken
# exits 5 (system error) and leaves nothing running; a good file passes `check`.
# Sends nothing: the only sockets are bound to 127.0.0.1.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
R="$SVR_BUILD_DIR/cli/svr-router"
svr_require_cmd "$R"
T=$SVR_TMP

# expect_error NAME 'config text' 'message substring'
expect_error() {
  local name=$1 text=$2 want=$3 out rc
  printf '%s\n' "$text" >"$T/$name.conf"
  out=$("$R" -c "$T/$name.conf" check 2>&1); rc=$?
  if [ $rc -eq 2 ] && grep -qF -- "$T/$name.conf:$want" <<<"$out"; then
    svr_pass "check: $name"
  else
    svr_fail "check: $name (rc $rc, want '$want'): $out"
  fi
  out=$(timeout 10 "$R" -c "$T/$name.conf" 2>&1); rc=$?
  if [ $rc -eq 2 ] && grep -qF -- "$T/$name.conf:$want" <<<"$out" &&
     grep -q "nothing started" <<<"$out"; then
    svr_pass "start: $name"
  else
    svr_fail "start: $name (rc $rc): $out"
  fi
}

H="router r
control-socket $T/r.sock
[interface i]
address 127.0.0.1
port 41280
[neighborhood n]
interface i"

expect_error syntax        "router r
[interface i"                                 "2: section header without ']'"
expect_error missing_value "router"           "1: 'router' needs a value"
expect_error unknown_key   "router r
colour blue"                                  "2: unknown key 'colour' at router level"
expect_error unknown_sec   "router r
[peer x]"                                     "2: unknown section 'peer'"
expect_error range         "router r
multiplier 42"                                "2: multiplier: expected 3..20, got '42'"
expect_error bad_address   "$H
[adjacency p]
neighborhood n
address 10.1.2"                               "10: address: '10.1.2' is not an IPv4 or IPv6 address"
expect_error bad_enum      "$H
topology ring"                                "8: topology: expected mesh, hub or spoke"
expect_error duplicate     "$H
[interface i]"                                "8: interface 'i' already defined at line 3"
expect_error twice         "router r
router s"                                     "2: router given twice"
expect_error no_router     "node n"           "1: missing 'router NAME'"
expect_error remote_login  "router r
remote-login maybe"                           "2: remote-login: expected enabled or disabled, got 'maybe'"
expect_error sw_repository "router r
software-repository ftp"                      "2: software-repository: expected conductor-only, prefer-conductor or internet-only, got 'ftp'"
expect_error log_dir       "router r
conductor-log-dir logs"                       "2: conductor-log-dir: expected an absolute path"
expect_error asset_ports   "router r
conductor-asset-ports 4505"                   "2: conductor-asset-ports: expected PUB,REQ (two different ports 1-65535) or off, got '4505'"
expect_error sw_avail_dup  "router r
software-available 6.1.0
software-available 6.1.0"                     "3: software-available: '6.1.0' given twice"
expect_error sw_avail_bad  "router r
software-available 6/2"                       "2: software-available: '6/2' is not a version (1-63 of A-Z a-z 0-9 . _ - + ~)"
expect_error required      "$H
[adjacency p]
neighborhood n"                               "8: [adjacency p] has no 'address'"
expect_error reference     "$H
[adjacency p]
neighborhood nope
address 127.0.0.2"                            "8: [adjacency p]: no [neighborhood nope] is defined"
expect_error family        "$H
[adjacency p]
neighborhood n
address ::1"                                  "8: [adjacency p]: address ::1 is IPv6"
expect_error self          "$H
[adjacency r]
neighborhood n
address 127.0.0.2"                            "8: [adjacency r]: a router cannot peer with itself"

# unreadable file
out=$("$R" -c "$T/none.conf" check 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -qF "$T/none.conf: cannot open" <<<"$out"; then
  svr_pass "missing file"; else svr_fail "missing file (rc $rc): $out"; fi

# a good file
printf '%s\n' "$H
[adjacency p]
neighborhood n
address 127.0.0.2" >"$T/good.conf"
out=$("$R" -c "$T/good.conf" check 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "ok: router r" <<<"$out"; then
  svr_pass "good file"; else svr_fail "good file (rc $rc): $out"; fi
for f in "$SVR_SOURCE_DIR"/examples/router-*.conf; do
  if "$R" -c "$f" check >/dev/null 2>&1; then svr_pass "example $(basename "$f")"
  else svr_fail "example $f: $("$R" -c "$f" check 2>&1)"; fi
done

# a bad address is one error, not also "has no 'address'" (issue 17)
for sec in adjacency interface; do
  if [ $sec = adjacency ]; then
    txt="$H
[adjacency p]
neighborhood n
address 10.77.0.300"
  else
    txt="router r
control-socket $T/r.sock
[interface i]
address 10.77.0.300"
  fi
  printf '%s\n' "$txt" >"$T/one_$sec.conf"
  out=$("$R" -c "$T/one_$sec.conf" check 2>&1); rc=$?
  if [ $rc -eq 2 ] && grep -qF "'10.77.0.300' is not an IPv4 or IPv6 address" <<<"$out" &&
     ! grep -q "has no 'address'" <<<"$out" && grep -q "1 error" <<<"$out"; then
    svr_pass "bad $sec address: one error"
  else svr_fail "bad $sec address: knock-on errors (rc $rc): $out"; fi
done

# a control socket in a directory that does not exist says so (libuv calls
# it "permission denied")
sed "s#^control-socket .*#control-socket $T/missing/r.sock#" "$T/good.conf" >"$T/nodir.conf"
out=$(timeout 10 "$R" -c "$T/nodir.conf" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -qF "directory $T/missing: No such file or directory" <<<"$out" &&
   ! grep -qi "permission denied" <<<"$out"; then
  svr_pass "control socket in a missing directory: ENOENT named"
else svr_fail "control socket in a missing directory (rc $rc): $out"; fi

# cannot bind (address not on this host): exit 1, no control socket left
printf '%s\n' "router r
control-socket $T/nb.sock
[interface i]
address 192.0.2.77
[neighborhood n]
interface i
[adjacency p]
neighborhood n
address 192.0.2.78" >"$T/nobind.conf"
out=$(timeout 10 "$R" -c "$T/nobind.conf" 2>&1); rc=$?
if [ $rc -eq 5 ] && grep -qF "nobind.conf:3: [interface i]: bind 192.0.2.77 port 1280" <<<"$out" &&
   [ ! -e "$T/nb.sock" ]; then
  svr_pass "bind failure: exit 5 (system error), nothing started"
else svr_fail "bind failure (rc $rc): $out"; fi

# control socket taken by a running daemon: the second start fails
svr_bg - "$R" -c "$T/good.conf"
if svr_wait_for 10 "[ -S '$T/r.sock' ]"; then
  perm=$(stat -c %a "$T/r.sock")
  [ "$perm" = 660 ] && svr_pass "control socket mode 0660" || svr_fail "socket mode $perm"
  sed "s/port 41280/port 41282/" "$T/good.conf" >"$T/second.conf"
  out=$(timeout 10 "$R" -c "$T/second.conf" 2>&1); rc=$?
  if [ $rc -eq 5 ] && grep -q "another svr-router answers there" <<<"$out"; then
    svr_pass "control socket in use"; else svr_fail "socket in use (rc $rc): $out"; fi
  # unknown command and bad usage
  out=$("$R" -s "$T/r.sock" show routes 2>&1); rc=$?
  [ $rc -eq 2 ] && svr_pass "usage error exit 2" || svr_fail "show routes rc $rc: $out"
  kill -TERM "$SVR_LAST_PID"
  if svr_wait_for 10 "! kill -0 $SVR_LAST_PID 2>/dev/null" && [ ! -e "$T/r.sock" ]; then
    svr_pass "SIGTERM: exits and removes its control socket"
  else svr_fail "SIGTERM"; fi
else
  svr_fail "daemon did not create its control socket"
fi
out=$("$R" -s "$T/r.sock" show peers 2>&1); rc=$?
[ $rc -eq 5 ] && grep -q "cannot reach the daemon" <<<"$out" &&
  svr_pass "no daemon: exit 5" || svr_fail "no daemon: rc $rc $out"
"$R" --help | grep -q "show peers detail" && svr_pass "--help" || svr_fail "--help"
svr_finish
