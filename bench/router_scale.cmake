# SPDX-License-Identifier: BSD-2-Clause
# bench/router_scale.sh: one svr-router hub with N adjacencies against
# spoke_emu (N emulated spokes on AnyIP addresses in one process: BFD async
# or Demand, echo, PMTU acks, firewall-detector responder), and svr-bfd
# alone at the same N for the CPU ratio.  docs/scale.md.
if(TARGET svrbfd_uv AND TARGET svrpmtu AND TARGET svrfwdet_glue)
  add_executable(spoke_emu spoke_emu.c)
  target_link_libraries(spoke_emu PRIVATE svrbfd_uv svrpmtu_static svrfwdet_glue)
endif()
