# SPDX-License-Identifier: BSD-2-Clause
# Forwarding glue (cli/glue/fwd_tun.c, fwd_offload.c): TUN/TAP device with
# virtio-net offloads, user-space GSO/GRO, rtnetlink rules and routes, the
# nftables tables.  No library dependency; svr-router links it.
if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/glue/fwd_tun.c")
  add_library(svrfwd_glue STATIC glue/fwd_tun.c glue/fwd_offload.c
                          glue/fwd_reasm.c)
  target_include_directories(svrfwd_glue
    PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/glue"
    PRIVATE "${SVR_COMMON_DIR}")
endif()
