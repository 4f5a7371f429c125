#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# systemd_units_check: the units the build configures (systemd/*.in):
#  - ExecStart/ExecStartPre name the installed program
#    (CMAKE_INSTALL_PREFIX/CMAKE_INSTALL_BINDIR) and only options its
#    --help prints;
#  - the command lines work: svr-router's 'check' accepts a configuration
#    (examples/router-a.conf for /etc/svr-suite/%i.conf), svr-conductor's
#    'run' starts (in a temporary --dir, on a free loopback port) and prints
#    "listening port=N";
#  - the hardening is there: dedicated user, only the capabilities each
#    daemon needs, ProtectSystem=strict, ProtectHome, PrivateTmp,
#    NoNewPrivileges, SystemCallFilter=@system-service, Restart=on-failure,
#    state/runtime directories, address families;
#  - systemd-analyze verify accepts them without a warning (Documentation=
#    man pages resolved against the built pages).  Without systemd-analyze
#    the test is skipped (77) outside CI and fails in CI.
set -u
build=${SVR_BUILD_DIR:?} src=${SVR_SOURCE_DIR:?}
fail=0
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
cpid=""
cleanup() {
  [ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

cache="$build/CMakeCache.txt"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$cache")
bindir=$(sed -n 's/^CMAKE_INSTALL_BINDIR:[A-Z]*=//p' "$cache")
case $bindir in /*) ;; *) bindir="$prefix/$bindir" ;; esac

# key=value lines of a unit, [Service] and the rest alike
val() { sed -n "s/^$2=//p" "$1"; }
need() { # unit key expected-value
  local got; got=$(val "$1" "$2")
  [ "$got" = "$3" ] || bad "$(basename "$1"): $2=${got:-<missing>}, want $2=$3"
}
# ExecStart-like line -> checks the program path and its options against --help
check_exec() { # unit key program
  local line prog help w
  line=$(val "$1" "$2")
  [ -n "$line" ] || { bad "$(basename "$1"): no $2="; return; }
  prog=${line%% *}
  [ "$prog" = "$bindir/$3" ] ||
    bad "$(basename "$1"): $2 runs $prog, not the installed $bindir/$3"
  help=$("$build/cli/$3" --help 2>&1)
  for w in ${line#* }; do
    case $w in
      --*) printf '%s\n' "$help" | grep -qE -- "(^|[^a-z0-9-])$w([^a-z0-9-]|\$)" ||
             bad "$(basename "$1"): $2 option $w is not in $3 --help" ;;
      -?) printf '%s\n' "$help" | grep -qE -- "(^|[^a-zA-Z0-9-])$w([^a-zA-Z0-9-]|\$)" ||
             bad "$(basename "$1"): $2 option $w is not in $3 --help" ;;
    esac
  done
}

router="$build/systemd/svr-router@.service"
conductor="$build/systemd/svr-conductor.service"
for u in "$router" "$conductor"; do
  [ -f "$u" ] || { bad "$u not generated (systemd/CMakeLists.txt)"; exit 1; }
done
[ -x "$build/cli/svr-router" ] && [ -x "$build/cli/svr-conductor" ] ||
  { echo "programs not built"; exit 77; }

# --- svr-router@.service
check_exec "$router" ExecStartPre svr-router
check_exec "$router" ExecStart svr-router
need "$router" User svr-router
need "$router" AmbientCapabilities "CAP_NET_ADMIN CAP_NET_RAW"
need "$router" CapabilityBoundingSet "CAP_NET_ADMIN CAP_NET_RAW"
need "$router" RestrictAddressFamilies "AF_INET AF_INET6 AF_UNIX AF_NETLINK AF_PACKET"
need "$router" RuntimeDirectory "svr-router/%i"
need "$router" StateDirectory "svr-router/%i"
need "$router" DeviceAllow "/dev/net/tun rw"
# the check command of the unit, on a real configuration: exit 0
pre=$(val "$router" ExecStartPre)
pre=${pre/\/etc\/svr-suite\/%i.conf/$src/examples/router-a.conf}
# shellcheck disable=SC2086
out=$("$build/cli/svr-router" ${pre#* } 2>&1) ||
  bad "svr-router@.service: ExecStartPre on examples/router-a.conf: $out"
# and it refuses a broken one (so the start is really stopped by it)
printf 'router r\nbogus-key 1\n' >"$tmp/bad.conf"
pre=$(val "$router" ExecStartPre)
pre=${pre/\/etc\/svr-suite\/%i.conf/$tmp/bad.conf}
# shellcheck disable=SC2086
"$build/cli/svr-router" ${pre#* } >/dev/null 2>&1 &&
  bad "svr-router@.service: ExecStartPre accepts a broken configuration"

# --- svr-conductor.service
check_exec "$conductor" ExecStart svr-conductor
need "$conductor" User svr-conductor
need "$conductor" AmbientCapabilities CAP_NET_BIND_SERVICE
need "$conductor" CapabilityBoundingSet CAP_NET_BIND_SERVICE
need "$conductor" RestrictAddressFamilies "AF_INET AF_INET6 AF_UNIX"
need "$conductor" StateDirectory svr-conductor
grep -q -- "--dir /var/lib/svr-conductor " "$conductor" ||
  bad "svr-conductor.service: ExecStart does not use the StateDirectory"
# the unit's command line, in a temporary state directory, on a free
# loopback port: it must start listening
cmd=$(val "$conductor" ExecStart)
cmd=${cmd/--dir \/var\/lib\/svr-conductor/--dir $tmp/cnd}
cmd=${cmd/\$SVR_CONDUCTOR_OPTS/--listen 127.0.0.1 --port 0 --node cnd-unitcheck}
mkdir -p "$tmp/cnd"
# shellcheck disable=SC2086
"$build/cli/svr-conductor" ${cmd#* } >"$tmp/cnd.out" 2>&1 &
cpid=$!
deadline=$((SECONDS + 15))
until grep -q "listening port=" "$tmp/cnd.out"; do
  if ! kill -0 "$cpid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    bad "svr-conductor.service: ExecStart did not start listening: $(cat "$tmp/cnd.out")"
    break
  fi
  sleep 0.1
done
kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; cpid=""

# --- hardening both share
for u in "$router" "$conductor"; do
  need "$u" ProtectSystem strict
  need "$u" ProtectHome yes
  need "$u" PrivateTmp yes
  need "$u" NoNewPrivileges yes
  need "$u" SystemCallFilter @system-service
  need "$u" Restart on-failure
done
need "$router" Type simple
need "$conductor" Type simple

# --- systemd-analyze verify, on copies whose programs are the built ones
if ! command -v systemd-analyze >/dev/null; then
  if [ -n "${CI:-}" ]; then
    bad "systemd-analyze not installed (tests/packages.txt lists systemd)"
  elif [ $fail = 0 ]; then
    echo "systemd-analyze not installed: units not verified (skipped)"; exit 77
  fi
  exit $fail
fi
mkdir -p "$tmp/units" "$tmp/man/man1"
for u in "$router" "$conductor"; do
  sed "s|$bindir/|$build/cli/|g" "$u" >"$tmp/units/$(basename "$u")"
done
man_opt=()
if ls "$build"/man/*.1 >/dev/null 2>&1; then
  cp "$build"/man/*.1 "$tmp/man/man1/"
else
  man_opt=(--man=no)   # no scdoc: Documentation= pages not built
fi
out=$(cd "$tmp" && MANPATH="$tmp/man" systemd-analyze verify "${man_opt[@]}" \
        "$tmp/units/svr-router@unitcheck.service" \
        "$tmp/units/svr-conductor.service" 2>&1)
rc=$?
if [ $rc != 0 ] || [ -n "$out" ]; then
  bad "systemd-analyze verify (rc $rc): $out"
fi
[ $fail = 0 ] && echo "systemd_units_check: ok (bindir $bindir)"
exit $fail
