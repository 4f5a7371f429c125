#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# version_check: each of the five libraries has a version macro pair
# (<PFX>_VERSION, <PFX>_VERSION_NUM in <name>/version.h) and a runtime
# <name>_version(least) exported by its shared library (issue 16 item 9:
# libconductor had none).  A program built against the headers and linked
# with the shared libraries checks, for each: version(0) is not NULL, its
# age is at least 1, its string and number equal the headers' macros, and
# version(NUM + 1) is NULL.
set -u
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_cmd cc
B=$SVR_BUILD_DIR S=$SVR_SOURCE_DIR
c=$SVR_TMP/ver.c
{
  echo '#include <stdio.h>'
  echo '#include <string.h>'
  echo '#include <svrbfd/svrbfd.h>'
  echo '#include <svrpmtu/svrpmtu.h>'
  echo '#include <svrfwd/svrfwd.h>'
  echo '#include <svrfwdet/svrfwdet.h>'
  echo '#include <conductor/conductor.h>'
  echo 'static int bad;'
  echo '#define CHECK(fn, PFX) do { \'
  echo '  int ok = fn(0) != NULL && fn(0)->age >= 1 && \'
  echo '    fn(0)->version_num == PFX##_VERSION_NUM && \'
  echo '    strcmp(fn(0)->version_str, PFX##_VERSION) == 0 && \'
  echo '    fn(PFX##_VERSION_NUM + 1) == NULL; \'
  echo '  printf("%-18s %s 0x%06x %s\n", #fn, PFX##_VERSION, PFX##_VERSION_NUM, ok ? "ok" : "WRONG"); \'
  echo '  bad += !ok; } while (0)'
  echo 'int main(void) {'
  for l in svrbfd:SVRBFD svrpmtu:SVRPMTU svrfwd:SVRFWD svrfwdet:SVRFWDET conductor:CONDUCTOR; do
    echo "  CHECK(${l%%:*}_version, ${l##*:});"
  done
  echo '  return bad != 0;'
  echo '}'
} >"$c"
inc=""; lib=""
for d in "$S"/lib*/include "$B"/lib*/include; do inc="$inc -I$d"; done
for d in "$B"/lib*; do [ -d "$d" ] && lib="$lib -L$d"; done
# shellcheck disable=SC2086
if ! cc -std=c11 -Wall -Werror -o "$SVR_TMP/ver" "$c" $inc $lib -lsvrbfd \
     -lsvrpmtu -lsvrfwd -lsvrfwdet -lconductor 2>"$SVR_TMP/cc.log"; then
  cat "$SVR_TMP/cc.log"; svr_fail "a library lacks its version macros or <name>_version()"; svr_finish
fi
libpath=$(for d in "$B"/lib*; do printf '%s:' "$d"; done)
if out=$(LD_LIBRARY_PATH="$libpath" "$SVR_TMP/ver"); then
  echo "$out"
  svr_pass "the five libraries' <name>_version() agree with their headers' macros"
else
  echo "$out"
  svr_fail "a library's runtime version disagrees with its headers"
fi
svr_finish
