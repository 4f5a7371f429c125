# SPDX-License-Identifier: BSD-2-Clause
# libsvrbfd tests: unit (codec, auth, state machine with literal
# timestamps) and sim (two contexts over the in-memory lossy link).
# They link the static library so internal helpers (src/bfd_int.h) are
# reachable.
if(TARGET svrbfd_static)
  set(bfd_test_inc "${PROJECT_SOURCE_DIR}/libsvrbfd/src")
  svr_add_test(NAME bfd_pkt_test LABEL unit SOURCES bfd_pkt_test.c
               LIBS svrbfd_static PkgConfig::LIBCRYPTO)
  target_include_directories(bfd_pkt_test PRIVATE ${bfd_test_inc})
  # svrbfd_session_del from inside the session's own callbacks (deferred)
  svr_add_test(NAME bfd_delete_test LABEL unit SOURCES bfd_delete_test.c
               LIBS svrbfd_static)
  svr_add_test(NAME bfd_session_test LABEL unit SOURCES bfd_session_test.c
               LIBS svrbfd_static PkgConfig::LIBCRYPTO)
  target_include_directories(bfd_session_test PRIVATE ${bfd_test_inc})
  svr_add_test(NAME bfd_sim_test LABEL sim SOURCES bfd_sim_test.c bfd_sim.c
               LIBS svrbfd_static PkgConfig::LIBCRYPTO)
  target_include_directories(bfd_sim_test PRIVATE ${bfd_test_inc})
  # The same scenarios against the shared library (public API only).
  svr_add_test(NAME bfd_sim_shared_test LABEL sim
               SOURCES bfd_sim_test.c bfd_sim.c LIBS svrbfd)
  target_compile_definitions(bfd_sim_shared_test PRIVATE BFD_SIM_SHARED=1)
endif()
