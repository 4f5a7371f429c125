# SPDX-License-Identifier: BSD-2-Clause
# bench/pmtu_probes: probes to converge, libsvrpmtu vs quiche-style binary
# search vs Linux-SCTP-style stepping (same simulated path, same timers, same
# confirmation rule; as published too).
if(TARGET svrpmtu_static)
  add_executable(pmtu_probes pmtu_probes.c)
  target_link_libraries(pmtu_probes PRIVATE svrpmtu_static)
endif()
