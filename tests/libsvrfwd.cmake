# SPDX-License-Identifier: BSD-2-Clause
# libsvrfwd tests (tests/fwd_*_test.c); helpers in fwd_test_util.h.
# Registered unconditionally: a missing source is a configure error, never a
# silently dropped test.
foreach(t fwd_waypoint_test fwd_meta_test fwd_crypto_test fwd_pmtu_test
          fwd_alloc_test)
  svr_add_test(NAME ${t} LABEL unit SOURCES ${t}.c LIBS svrfwd_static)
  target_include_directories(${t} PRIVATE
    "${PROJECT_SOURCE_DIR}/libsvrfwd/src")
endforeach()
svr_add_test(NAME fwd_migrate_test LABEL sim SOURCES fwd_migrate_test.c
             LIBS svrfwd_static)
target_include_directories(fwd_migrate_test PRIVATE
  "${PROJECT_SOURCE_DIR}/libsvrfwd/src")
svr_add_test(NAME fwd_sim_test LABEL sim SOURCES fwd_sim_test.c
             LIBS svrfwd_static)
# the same scenarios against the shared library
svr_add_test(NAME fwd_sim_shared_test LABEL sim SOURCES fwd_sim_test.c
             LIBS svrfwd)
# Seed writer for fuzz/corpus/fwd_egress (a tool, not a test):
#   build/tests/fwd_egress_seeds fuzz/corpus/fwd_egress
add_executable(fwd_egress_seeds fwd_egress_seeds.c)
target_link_libraries(fwd_egress_seeds PRIVATE svrfwd_static)
