# SPDX-License-Identifier: BSD-2-Clause
# Forwarding glue (cli/glue/fwd_offload.c, fwd_tun.c): user-space GSO/GRO on
# literal packets (unit), and a TUN device with offloads, FIB rules, routes
# and the nftables table on real traffic in namespaces (netns).
if(TARGET svrfwd_glue)
  svr_add_test(NAME fwd_offload_test LABEL unit SOURCES fwd_offload_test.c
               LIBS svrfwd_glue)
  svr_add_test(NAME fwd_reasm_test LABEL unit SOURCES fwd_reasm_test.c
               LIBS svrfwd_glue)
  target_include_directories(fwd_reasm_test PRIVATE "${SVR_COMMON_DIR}")
  # test helper for fwd_tun_netns.sh: opens the TUN, installs rule, route
  # and nft tables, and forwards what it reads back through GSO and GRO
  add_executable(fwd_tun_probe fwd_tun_probe.c)
  target_link_libraries(fwd_tun_probe PRIVATE svrfwd_glue)
  target_include_directories(fwd_tun_probe PRIVATE "${SVR_COMMON_DIR}")
  svr_add_script_test(NAME fwd_tun_netns LABEL netns SCRIPT fwd_tun_netns.sh
                      TIMEOUT 240)
endif()
