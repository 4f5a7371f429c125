#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# strerror_check: every error code a public header defines has its own
# message in its library's strerror (issue 16 item 12: svrpmtu, svrfwd and
# svrfwdet said "unknown error" for their own *_ERR_FATAL).  The codes are
# read from the installed headers themselves (every `#define <PFX>_ERR_<X>
# (-N)`), so a new code without a message fails here.
set -u
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_cmd cc
B=$SVR_BUILD_DIR S=$SVR_SOURCE_DIR
c=$SVR_TMP/codes.c
{
  echo '#include <stdio.h>'
  echo '#include <string.h>'
  echo '#include <svrbfd/svrbfd.h>'
  echo '#include <svrbfd/svrbfd_pq.h>'
  echo '#include <svrpmtu/svrpmtu.h>'
  echo '#include <svrfwd/svrfwd.h>'
  echo '#include <svrfwdet/svrfwdet.h>'
  echo '#include <conductor/conductor.h>'
  echo 'static int bad;'
  echo 'static void one(const char *name, int code, const char *msg) {'
  echo '  int unknown = msg == NULL || *msg == 0 || strstr(msg, "unknown error") != NULL;'
  echo '  printf("%-40s %5d %s%s\n", name, code, msg ? msg : "(null)", unknown ? "   <-- no message" : "");'
  echo '  bad += unknown;'
  echo '}'
  echo 'int main(void) {'
  for spec in "svrbfd/svrbfd.h:SVRBFD_ERR_:svrbfd_strerror" \
              "svrbfd/svrbfd_pq.h:SVRBFD_PQ_ERR_:svrbfd_strerror" \
              "svrpmtu/svrpmtu.h:SVRPMTU_ERR_:svrpmtu_strerror" \
              "svrfwd/svrfwd.h:SVRFWD_ERR_:svrfwd_strerror" \
              "svrfwdet/svrfwdet.h:SVRFWDET_ERR_:svrfwdet_strerror" \
              "conductor/conductor.h:CONDUCTOR_ERR_:conductor_strerror"; do
    IFS=: read -r hdr pfx fn <<<"$spec"
    f=$(ls "$S"/lib*/include/"$hdr")
    grep -oE "^#define ${pfx}[A-Z0-9_]+ +\(-[0-9]+\)" "$f" | awk '{ print $2 }' |
      while read -r name; do echo "  one(\"$name\", $name, $fn($name));"; done
  done
  echo '  printf("%d codes without a message\n", bad);'
  echo '  return bad != 0;'
  echo '}'
} >"$c"
n=$(grep -c '^  one(' "$c")
inc=""; lib=""
for d in "$S"/lib*/include "$B"/lib*/include; do inc="$inc -I$d"; done
for d in "$B"/lib*; do [ -d "$d" ] && lib="$lib -L$d"; done
# shellcheck disable=SC2086
if ! cc -o "$SVR_TMP/codes" "$c" $inc $lib -lsvrbfd -lsvrpmtu -lsvrfwd \
     -lsvrfwdet -lconductor 2>"$SVR_TMP/cc.log"; then
  cat "$SVR_TMP/cc.log"; svr_fail "the code list does not compile"; svr_finish
fi
libpath=$(for d in "$B"/lib*; do printf '%s:' "$d"; done)
if out=$(LD_LIBRARY_PATH="$libpath" "$SVR_TMP/codes"); then
  svr_pass "all $n error codes of the five libraries' headers have their own strerror message"
else
  echo "$out" | grep -- "<--"
  svr_fail "$(echo "$out" | tail -n 1) (of $n)"
fi
[ "$n" -gt 100 ] && svr_pass "$n codes read from the headers" || svr_fail "only $n codes found in the headers"
svr_finish
