# SPDX-License-Identifier: BSD-2-Clause
# libsvrfwdet tests (docs/libsvrfwdet.md section 7).
svr_add_test(NAME fwdet_pkt_test LABEL unit SOURCES fwdet_pkt_test.c
             LIBS svrfwdet_static)
target_include_directories(fwdet_pkt_test PRIVATE "${SVR_COMMON_DIR}")
svr_add_test(NAME fwdet_msg_test LABEL unit SOURCES fwdet_msg_test.c
             LIBS svrfwdet_static)
target_include_directories(fwdet_msg_test PRIVATE "${SVR_COMMON_DIR}")
svr_add_test(NAME fwdet_ctx_test LABEL sim SOURCES fwdet_ctx_test.c
             LIBS svrfwdet_static)
target_include_directories(fwdet_ctx_test PRIVATE "${SVR_COMMON_DIR}")
# The same builders, checked by an independent decoder: tshark.
svr_add_script_test(NAME fwdet_tshark LABEL unit SCRIPT fwdet_tshark.sh
                    TIMEOUT 120)
if(SVR_BUILD_CLI)
  svr_add_script_test(NAME fwdet_netns LABEL netns SCRIPT fwdet_netns.sh
                      TIMEOUT 600)
endif()
