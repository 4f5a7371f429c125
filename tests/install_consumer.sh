#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# install_consumer: what a vendor does with the installed tree, from the
# docs alone.  `cmake --install` to a temporary prefix that was not the
# configured one, then:
#   - the installed svr-bfd runs with no LD_LIBRARY_PATH (RUNPATH
#     $ORIGIN/../lib);
#   - pkg-config from that prefix names that prefix (the .pc files are
#     relative to themselves), and a program built with its flags links and
#     runs against the shared libraries;
#   - `pkg-config --static` links the same program against the static
#     archives (libsvrpmtu needs -lm: Libs.private), and it runs with no
#     shared svr library loaded;
#   - a CMake project with find_package(svr-suite) and svr::svrpmtu builds
#     and runs.
set -u
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_cmd pkg-config cc cmake
pfx=$SVR_TMP/pfx
cmake --install "$SVR_BUILD_DIR" --prefix "$pfx" >"$SVR_TMP/install.log" 2>&1 \
  || { cat "$SVR_TMP/install.log"; svr_fail "cmake --install to $pfx"; svr_finish; }

if out=$(env -u LD_LIBRARY_PATH "$pfx/bin/svr-bfd" --version 2>&1); then
  svr_pass "installed svr-bfd runs without LD_LIBRARY_PATH: $out"
else
  svr_fail "installed svr-bfd: $out"
fi

cat >"$SVR_TMP/consumer.c" <<'C'
#include <stdio.h>
#include <svrbfd/svrbfd.h>
#include <svrpmtu/svrpmtu.h>
int main(void) {
  const svrpmtu_info *p = svrpmtu_version(0);
  const svrbfd_info *b = svrbfd_version(0);
  svrpmtu_ctx *ctx = NULL;
  /* a context pulls in the search (log2: libm) in a static link; without
   * a rand callback it is refused with INVALID_ARGUMENT */
  int rv = svrpmtu_ctx_new(&ctx, NULL, NULL, NULL, NULL);
  if (!p || !b || rv != SVRPMTU_ERR_INVALID_ARGUMENT) return 1;
  printf("svrpmtu %s svrbfd %s\n", p->version_str, b->version_str);
  return 0;
}
C
export PKG_CONFIG_PATH="$pfx/lib/pkgconfig"
flags=$(pkg-config --cflags --libs libsvrpmtu libsvrbfd)
case "$flags" in
  *"$pfx"*) svr_pass "pkg-config names the install prefix: $flags" ;;
  *) svr_fail "pkg-config flags do not name $pfx: $flags" ;;
esac
# shellcheck disable=SC2086
if cc -o "$SVR_TMP/consumer" "$SVR_TMP/consumer.c" $flags 2>"$SVR_TMP/cc.log" &&
   out=$(LD_LIBRARY_PATH="$pfx/lib" "$SVR_TMP/consumer") &&
   LD_LIBRARY_PATH="$pfx/lib" ldd "$SVR_TMP/consumer" | grep -q "$pfx/lib/libsvrpmtu.so"; then
  svr_pass "shared: built with pkg-config, runs against $pfx/lib ($out)"
else
  svr_fail "shared consumer: $(cat "$SVR_TMP/cc.log") $out"
fi
sflags=$(pkg-config --static --cflags --libs libsvrpmtu libsvrbfd)
# shellcheck disable=SC2086
if cc -o "$SVR_TMP/consumer-static" "$SVR_TMP/consumer.c" \
     $(pkg-config --cflags libsvrpmtu libsvrbfd) -Wl,-Bstatic -lsvrpmtu -lsvrbfd -Wl,-Bdynamic \
     $(echo " $sflags " | sed -e 's/ -lsvrpmtu / /' -e 's/ -lsvrbfd / /') 2>"$SVR_TMP/cc.log" &&
   out=$(env -u LD_LIBRARY_PATH "$SVR_TMP/consumer-static") &&
   ! ldd "$SVR_TMP/consumer-static" | grep -q libsvr; then
  svr_pass "static: linked with pkg-config --static (Libs.private), no shared svr library ($out)"
else
  svr_fail "static consumer: $(cat "$SVR_TMP/cc.log") $out"
fi

mkdir -p "$SVR_TMP/cm"
cat >"$SVR_TMP/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(svr-suite REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE svr::svrpmtu svr::svrbfd)
CM
if cmake -S "$SVR_TMP/cm" -B "$SVR_TMP/cm/build" -DCMAKE_PREFIX_PATH="$pfx" \
     >"$SVR_TMP/cm.log" 2>&1 &&
   cmake --build "$SVR_TMP/cm/build" >>"$SVR_TMP/cm.log" 2>&1 &&
   out=$(LD_LIBRARY_PATH="$pfx/lib" "$SVR_TMP/cm/build/consumer"); then
  svr_pass "find_package(svr-suite): svr::svrpmtu and svr::svrbfd build and run ($out)"
else
  svr_fail "find_package consumer: $(tail -n 15 "$SVR_TMP/cm.log")"
fi

# Issue 16 item 5: a consumer that only wants svr::svrpmtu (and the static
# svr::svrbfd_static, whose libcrypto comes through OpenSSL::Crypto) needs no
# pkg-config (PKG_CONFIG_EXECUTABLE points nowhere, as on a machine without
# it: the old package's find_dependency(PkgConfig) failed there), and
# find_package leaves none of our dependency variables (LIBCRYPTO_*,
# LIBSSH_*, SQLITE3_*) in its scope.
mkdir -p "$SVR_TMP/np"
cat >"$SVR_TMP/np/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(svr-suite REQUIRED)
get_cmake_property(vars VARIABLES)
foreach(v ${vars})
  if(v MATCHES "^(LIBCRYPTO|LIBSSH|SQLITE3)_")
    message(FATAL_ERROR "find_package(svr-suite) leaked ${v}")
  endif()
endforeach()
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE svr::svrpmtu svr::svrbfd_static)
CM
if cmake -S "$SVR_TMP/np" -B "$SVR_TMP/np/build" -DCMAKE_PREFIX_PATH="$pfx" \
     -DPKG_CONFIG_EXECUTABLE=/nonexistent/pkg-config >"$SVR_TMP/np.log" 2>&1 &&
   cmake --build "$SVR_TMP/np/build" >>"$SVR_TMP/np.log" 2>&1 &&
   out=$(LD_LIBRARY_PATH="$pfx/lib" "$SVR_TMP/np/build/consumer"); then
  svr_pass "find_package(svr-suite) without pkg-config, no leaked variables: svr::svrpmtu + svr::svrbfd_static ($out)"
else
  svr_fail "consumer without pkg-config: $(grep -E 'Error|leaked|PkgConfig' "$SVR_TMP/np.log" | head -n 5)"
fi
svr_finish
