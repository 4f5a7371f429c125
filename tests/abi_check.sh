#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# abi_check: the ABI of each shared library against its baseline in abi/
# (abidw XML from Debian's abigail-tools, committed in the tree; issue 16
# item 8, docs/architecture.md "Build and ABI").
#   - an incompatible change (abidiff reports something Removed or Changed:
#     a function or variable removed, a public type changed in size or
#     layout, a parameter changed) fails: bump the SONAME and regenerate the
#     baseline in the same commit;
#   - a compatible change (only additions) fails too, so the baseline
#     always describes the ABI of the tree: regenerate it in the same commit;
#   - a SONAME that differs from the baseline's fails: a bump comes with a
#     new baseline.
# Regenerate with: tests/abi_check.sh --update BUILD_DIR  (a RelWithDebInfo
# or Debug build: the types come from the DWARF).
set -u
S=${SVR_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
LIBS="svrbfd svrpmtu svrfwdet svrfwd conductor"

dump() { # dump LIB SO OUT
  local l=$1 so=$2 out=$3 hd=()
  hd=(--headers-dir "$(ls -d "$S"/lib*/include/"$l" | head -n 1)/..")
  hd+=(--headers-dir "$(dirname "$so")/include")
  abidw "${hd[@]}" --drop-private-types --no-corpus-path --no-comp-dir-path \
    --short-locs --type-id-style hash "$so" >"$out"
}
so_of() { find "$1" -name "lib$2.so" -not -path '*/CMakeFiles/*' | head -n 1; }

if [ "${1:-}" = --update ]; then
  B=${2:?usage: tests/abi_check.sh --update BUILD_DIR}
  mkdir -p "$S/abi"
  for l in $LIBS; do
    so=$(so_of "$B" "$l")
    [ -n "$so" ] || { echo "no lib$l.so under $B" >&2; exit 1; }
    dump "$l" "$so" "$S/abi/lib$l.abi" || exit 1
    echo "abi/lib$l.abi: $(grep -o "soname='[^']*'" "$S/abi/lib$l.abi")"
  done
  exit 0
fi

. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_cmd abidw abidiff
B=$SVR_BUILD_DIR
case "$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$B/CMakeCache.txt")" in
  RelWithDebInfo|Debug) ;;
  *) echo "skipped: the ABI is read from DWARF: build with -DCMAKE_BUILD_TYPE=RelWithDebInfo"; exit 77 ;;
esac
for l in $LIBS; do
  base=$S/abi/lib$l.abi so=$(so_of "$B" "$l")
  if [ -z "$so" ]; then svr_fail "lib$l.so not built"; continue; fi
  if [ ! -f "$base" ]; then
    svr_fail "no baseline abi/lib$l.abi: create it with tests/abi_check.sh --update $B"; continue
  fi
  if ! dump "$l" "$so" "$SVR_TMP/lib$l.abi"; then svr_fail "abidw failed on $so"; continue; fi
  old=$(grep -o "soname='[^']*'" "$base" | head -n 1)
  new=$(grep -o "soname='[^']*'" "$SVR_TMP/lib$l.abi" | head -n 1)
  abidiff --no-show-locs "$base" "$SVR_TMP/lib$l.abi" >"$SVR_TMP/diff.$l"
  rc=$?
  if [ "$old" != "$new" ]; then
    svr_fail "lib$l: SONAME $new, the baseline has $old: regenerate the baseline in the commit that bumps the SONAME (tests/abi_check.sh --update BUILD_DIR)"
  elif [ $((rc & 8)) -ne 0 ] || { [ $((rc & 4)) -ne 0 ] &&
         grep -E 'summary:' "$SVR_TMP/diff.$l" | grep -qE '[1-9][0-9]* (Removed|Changed)'; }; then
    sed 's/^/    /' "$SVR_TMP/diff.$l" | head -n 60
    svr_fail "lib$l: INCOMPATIBLE ABI change against abi/lib$l.abi (above): bump the SONAME (VERSION major in lib$l/CMakeLists.txt) and regenerate the baseline (tests/abi_check.sh --update BUILD_DIR) in the same commit"
  elif [ $((rc & 4)) -ne 0 ]; then
    sed 's/^/    /' "$SVR_TMP/diff.$l" | head -n 60
    svr_fail "lib$l: compatible ABI change (above): regenerate the baseline (tests/abi_check.sh --update BUILD_DIR) in the same commit"
  elif [ $rc -ne 0 ]; then
    cat "$SVR_TMP/diff.$l"
    svr_fail "lib$l: abidiff failed (exit $rc)"
  else
    svr_pass "lib$l: ABI equal to abi/lib$l.abi ($new)"
  fi
done
svr_finish
