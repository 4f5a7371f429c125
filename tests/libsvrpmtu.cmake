# SPDX-License-Identifier: BSD-2-Clause
# libsvrpmtu tests (docs/libsvrpmtu.md).
if(TARGET svrpmtu)
  svr_add_test(NAME pmtu_wire_test LABEL unit SOURCES pmtu_wire_test.c
               LIBS svrpmtu_static)
  target_include_directories(pmtu_wire_test PRIVATE "${SVR_COMMON_DIR}"
                             "${PROJECT_SOURCE_DIR}/libsvrpmtu/src")
  svr_add_test(NAME pmtu_sim_test LABEL sim SOURCES pmtu_sim_test.c
               LIBS svrpmtu_static TIMEOUT 300)
  if(TARGET svr-pmtu)
    svr_add_script_test(NAME cli_pmtu LABEL sim SCRIPT cli_pmtu.sh TIMEOUT 120)
    svr_add_script_test(NAME pmtu_netns LABEL netns SCRIPT pmtu_netns.sh
                        TIMEOUT 240)
  endif()
endif()
