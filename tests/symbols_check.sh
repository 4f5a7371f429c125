#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# symbols_check: every global symbol a shipped library defines carries that
# library's prefix (docs/architecture.md "Build and ABI"):
#   - the shared library exports only the public prefix (svrbfd_...);
#   - the static archive defines the public names the shared library exports
#     and, for everything internal, the private prefix (svrbfd__...), so a
#     vendor's own bfd_malloc or fwd_open cannot clash with ours; an internal
#     name under the public prefix fails too (a vendor may not define
#     svrbfd_* names, but an internal one there looks like API and is not).
# Every lib*.a and lib*.so in the build is looked at; one that is neither a
# shipped library nor listed below as build-internal fails, so a new library
# gets a prefix rule here before it ships.
# Then a vendor program that defines bfd_malloc and fwd_open (the names the
# first vendor tripped over) links against all five static archives and runs.
set -u
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_cmd nm cc
B=$SVR_BUILD_DIR

# library name -> public prefix; the private prefix is the public one plus
# one more underscore (libuv's uv_ / uv__).
declare -A PFX=([svrbfd]=svrbfd_ [svrpmtu]=svrpmtu_ [svrfwdet]=svrfwdet_
                [svrfwd]=svrfwd_ [conductor]=conductor_)
# Archives and objects of the build that are never installed: linked only
# into our own programs (cli/) or tests, so no vendor links them.
declare -A INTERNAL=(
  [conductor_uv]="cli glue, svr-conductor and svr-conductor-router only"
  [conductor_asset]="asset channel core: cli glue, its unit test and fuzz target only"
  [svr_cli]="cli/common helpers of the front ends only"
  [svr_ctl]="cli/common control socket of the daemons only"
  [svrbfd_uv]="cli glue, svr-bfd and svr-router only"
  [svrfwd_glue]="cli glue, svr-router only"
  [svrfwdet_glue]="cli glue, svr-fwdet and svr-router only"
  [svrrouter_core]="svr-router and svr-ports only"
  [svrtest]="CUnit helpers of the tests"
  [svr_malloc_count]="test preload that interposes malloc on purpose")

# global defined symbols, one per line; version nodes (type A in a .so) are
# not symbols a program can clash with
globals() {
  if [[ $1 == *.so ]]; then
    nm -D --defined-only "$1" | awk 'NF == 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }'
  else
    nm -g --defined-only "$1" | awk 'NF == 3 { print $3 }'
  fi | sort -u
}

libs=$(find "$B" \( -name 'lib*.a' -o -name 'lib*.so' \) \
         -not -path '*/CMakeFiles/*' | sort)
[ -n "$libs" ] || { svr_fail "no lib*.a or lib*.so under $B"; svr_finish; }
for f in $libs; do
  base=${f##*/}; name=${base#lib}; name=${name%.a}; name=${name%.so}
  if [ -n "${INTERNAL[$name]:-}" ]; then
    echo "skip: $base is not installed (${INTERNAL[$name]})"
    continue
  fi
  pub=${PFX[$name]:-}
  if [ -z "$pub" ]; then
    svr_fail "$f: no prefix rule for lib$name (add it to tests/symbols_check.sh, or list it as never installed)"
    continue
  fi
  priv=${pub}_
  globals "$f" >"$SVR_TMP/syms"
  n=$(wc -l <"$SVR_TMP/syms")
  if [[ $f == *.so ]]; then
    what="exported outside the public prefix $pub"
    mapfile -t bad < <(awk -v pub="$pub" -v priv="$priv" \
      'index($0, pub) != 1 || index($0, priv) == 1' "$SVR_TMP/syms")
  else
    what="outside the public prefix $pub and the private prefix $priv"
    so=${f%.a}.so
    if [ -e "$so" ]; then globals "$so"; fi >"$SVR_TMP/api"
    # a public-prefix name must be API, i.e. exported by the shared library
    mapfile -t bad < <(awk -v pub="$pub" -v priv="$priv" -v so="${so##*/}" \
      -v check="$([ -e "$so" ] && echo 1)" '
      FNR == NR { api[$0] = 1; next }
      index($0, priv) == 1 { next }
      index($0, pub) == 1 { if (check && !($0 in api))
                              print $0 " (internal: not exported by " so ")"
                            next }
      { print }' "$SVR_TMP/api" "$SVR_TMP/syms")
  fi
  if [ ${#bad[@]} -eq 0 ]; then
    svr_pass "$base: $n global symbols, all prefixed"
  else
    svr_fail "$base: ${#bad[@]} of $n global symbols $what:"
    printf '    %s\n' "${bad[@]}"
  fi
done

# Version scripts (issue 16 item 7): one naming scheme for the version
# nodes of the five libraries, <LIBRARY>_<major>.<minor> after the release
# that added the symbols (SVRBFD_0.1), and explicit symbol lists: a
# wildcard in a global: section would export a new function silently, so a
# new export must be a line in the map.  Every symbol a shared library
# exports carries one of its map's versions.
for name in "${!PFX[@]}"; do
  map=$(ls "$SVR_SOURCE_DIR"/lib*/"lib$name.map" 2>/dev/null | head -n 1)
  [ -n "$map" ] || { svr_fail "lib$name: no version script lib$name.map"; continue; }
  up=$(echo "$name" | tr a-z A-Z)
  nodes=$(sed 's|/\*.*\*/||' "$map" | awk '/^[A-Za-z0-9_.]+ *\{/ { print $1 }')
  badnode=$(echo "$nodes" | grep -vE "^${up}_[0-9]+\.[0-9]+$" || true)
  if [ -z "$nodes" ] || [ -n "$badnode" ]; then
    svr_fail "lib$name.map: version node(s) '$(echo $badnode)' not named ${up}_<major>.<minor>"
  else
    svr_pass "lib$name.map: version nodes $(echo $nodes)"
  fi
  # tokens of global: sections (comments dropped) with a glob character
  wild=$(sed 's|/\*.*\*/||' "$map" | awk '
    /global:/ { g = 1; sub(/.*global:/, "") }
    /local:/  { g = 0 }
    g { for (i = 1; i <= NF; i++) if ($i ~ /[*?\[]/) print $i }')
  if [ -n "$wild" ]; then
    svr_fail "lib$name.map: wildcard(s) in global: $(echo $wild) (list each exported function by name)"
  else
    svr_pass "lib$name.map: explicit symbol list, no wildcard"
  fi
  so=$(find "$B" -name "lib$name.so" -not -path '*/CMakeFiles/*' | head -n 1)
  if [ -n "$so" ]; then
    unv=$(nm -D --defined-only "$so" | awk -v nodes=" $(echo $nodes) " '
      NF == 3 && $2 != "A" { v = $3; sub(/^[^@]*@+/, "", v)
                             if (v == $3 || index(nodes, " " v " ") == 0) print $3 }')
    if [ -n "$unv" ]; then
      svr_fail "lib$name.so: exports outside the map's versions: $(echo $unv | head -c 300)"
    else
      svr_pass "lib$name.so: every export carries a version of lib$name.map"
    fi
  fi
done

# A vendor's program with its own bfd_malloc and fwd_open (different
# signatures from ours on purpose) links with every static archive.  main()
# calls into each library, pulling in the members that used to define
# bfd_malloc (mem.o) and fwd_open (crypto.o), and checks that the libraries
# still allocate through their own code, not the vendor's.
cc_=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$B/CMakeCache.txt")
[ -n "$cc_" ] || cc_=cc
flags=()
if grep -qE '^SVR_(SANITIZE|FUZZ):BOOL=ON' "$B/CMakeCache.txt"; then
  flags+=(-fsanitize=address,undefined)    # the archives are instrumented
fi
cat >"$SVR_TMP/vendor.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <svrbfd/svrbfd.h>
#include <svrfwd/svrfwd.h>
#include <svrfwdet/svrfwdet.h>
#include <svrpmtu/svrpmtu.h>
#include <conductor/conductor.h>

/* the vendor's own functions, named as a router codebase might name them */
int bfd_malloc_calls;
void *bfd_malloc(unsigned n);
int fwd_open(const char *ifname);
void *bfd_malloc(unsigned n) { bfd_malloc_calls++; (void)n; return NULL; }
int fwd_open(const char *ifname) { return ifname && strcmp(ifname, "fwd0") == 0 ? 7 : -1; }

static void rand_fill(uint8_t *dest, size_t len, void *user_data) {
  (void)user_data;
  memset(dest, 0x5a, len);
}

int main(void) {
  svrbfd_ctx *ctx = NULL;
  svrbfd_callbacks cb;
  svrbfd_settings st;
  int rv;
  memset(&cb, 0, sizeof(cb));
  cb.rand = rand_fill;
  svrbfd_settings_default(&st);
  /* a context allocates (the library's malloc wrapper: must not be ours) */
  rv = svrbfd_ctx_new(&ctx, &cb, &st, NULL, NULL);
  if (rv != 0 || ctx == NULL || bfd_malloc_calls != 0) {
    fprintf(stderr, "svrbfd_ctx_new %d (vendor bfd_malloc called %d times)\n",
            rv, bfd_malloc_calls);
    return 1;
  }
  svrbfd_ctx_del(ctx);
  /* a packet from the WAN that is no SVR packet: the egress path (which
   * decrypts, so the crypto member is linked in) drops it */
  {
    svrfwd_ctx *fctx = NULL;
    svrfwd_callbacks fcb;
    svrfwd_settings fst;
    uint8_t pkt[64];
    svrfwd_buf b;
    memset(&fcb, 0, sizeof(fcb));
    fcb.rand = rand_fill;
    svrfwd_settings_default(&fst);
    if (svrfwd_ctx_new(&fctx, &fcb, &fst, NULL, NULL) != 0) return 1;
    memset(pkt, 0, sizeof(pkt));
    b.base = pkt; b.cap = sizeof(pkt); b.off = 0; b.len = 20;
    rv = svrfwd_ctx_egress(fctx, &b, NULL, 1);
    svrfwd_ctx_del(fctx);
    if (rv >= 0 || svrfwd_err_is_fatal(rv)) {
      fprintf(stderr, "svrfwd_ctx_egress on garbage: %d\n", rv);
      return 1;
    }
  }
  if (fwd_open("fwd0") != 7) return 1;
  printf("%s %s %s %s %s\n", svrbfd_version(0)->version_str,
         svrfwd_version(0)->version_str, svrfwdet_version(0)->version_str,
         svrpmtu_version(0)->version_str, svrfwd_strerror(SVRFWD_ERR_NOMEM));
  (void)conductor_strerror(0);
  return 0;
}
C
incs=()
for d in libsvrbfd libsvrfwd libsvrfwdet libsvrpmtu libconductor; do
  incs+=(-I"$SVR_SOURCE_DIR/$d/include" -I"$B/$d/include")
done
defs=(-DSVRBFD_STATICLIB -DSVRFWD_STATICLIB -DSVRFWDET_STATICLIB
      -DSVRPMTU_STATICLIB -DCONDUCTOR_STATICLIB)
if out=$("$cc_" "${flags[@]}" -std=c11 "${defs[@]}" "${incs[@]}" \
           -o "$SVR_TMP/vendor" "$SVR_TMP/vendor.c" \
           "$B/libsvrbfd/libsvrbfd.a" "$B/libsvrfwd/libsvrfwd.a" \
           "$B/libsvrfwdet/libsvrfwdet.a" "$B/libsvrpmtu/libsvrpmtu.a" \
           "$B/libconductor/libconductor.a" -lcrypto -lm 2>&1); then
  svr_pass "a vendor file defining bfd_malloc and fwd_open links with the five static archives"
  if run=$("$SVR_TMP/vendor" 2>&1); then
    svr_pass "and runs, the libraries using their own allocator: $run"
  else
    svr_fail "vendor program: $run"
  fi
else
  svr_fail "vendor file defining bfd_malloc and fwd_open does not link:"
  printf '%s\n' "$out" | head -20
fi
svr_finish
