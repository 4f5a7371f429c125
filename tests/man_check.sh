#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# man_check: every program in the build has a man page (man/PROGRAM.1.scd)
# that mentions every long option its --help prints, and every library has
# an overview page (man/LIBRARY.3.scd); an option a page defines that
# --help does not print fails too (stale).  With scdoc (CI always has it) each
# page must also convert without error.
set -u
build=${SVR_BUILD_DIR:?} src=${SVR_SOURCE_DIR:?}
fail=0
programs=$(find "$build/cli" -maxdepth 1 -type f -name 'svr-*' -perm -u+x -printf '%f\n' | sort)
if [ -z "$programs" ]; then
  echo "man_check: no programs in $build/cli (SVR_BUILD_CLI=OFF?)"; exit 77
fi
for p in $programs; do
  page="$src/man/$p.1.scd"
  if [ ! -f "$page" ]; then
    echo "FAIL: $p has no man page ($page)"; fail=1; continue
  fi
  help=$("$build/cli/$p" --help 2>&1)
  opts=$(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u)
  [ -n "$opts" ] || { echo "FAIL: $p --help printed no long option"; fail=1; }
  n=0
  for o in $opts; do
    n=$((n + 1))
    # the option as a whole word: --port must not be satisfied by --port-x
    if ! grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" "$page"; then
      echo "FAIL: $p: option $o (in --help) is not in man/$p.1.scd"; fail=1
    fi
  done
  # and the other way: an option the page defines (a line starting with it
  # in bold) that --help does not print is stale (--help and --version are
  # exempt: every program takes them)
  for o in $(grep -oE -- '^\*(-[a-zA-Z]\*, \*)?--[a-z0-9-]+\*' "$page" |
             grep -oE -- '--[a-z0-9-]+' | sort -u); do
    case $o in --help|--version) continue ;; esac
    if ! printf '%s\n' "$opts" | grep -qxF -- "$o"; then
      echo "FAIL: $p: man/$p.1.scd documents $o, which --help does not print"; fail=1
    fi
  done
  echo "$p: $n long options of --help checked against man/$p.1.scd"
done
for d in "$src"/lib*/; do
  lib=$(basename "$d")
  [ -f "$d/CMakeLists.txt" ] || continue
  if [ -f "$src/man/$lib.3.scd" ]; then
    echo "$lib: man/$lib.3.scd"
  else
    echo "FAIL: library $lib has no overview page man/$lib.3.scd"; fail=1
  fi
done
if command -v scdoc >/dev/null; then
  for page in "$src"/man/*.scd; do
    scdoc <"$page" >/dev/null || { echo "FAIL: scdoc rejects $page"; fail=1; }
  done
elif [ -n "${CI:-}" ]; then
  echo "FAIL: scdoc is not installed (tests/packages.txt lists it)"; fail=1
else
  echo "scdoc not installed: pages not converted"
fi
[ $fail = 0 ] && echo "man_check: ok"
exit $fail
