# SPDX-License-Identifier: BSD-2-Clause
# libsvrbfd scale benchmark: bench/bfd_scale.sh drives svr-bfd, FRR's bfdd
# and bfd_floor (a bare sendto/recvfrom loop, the cost floor).  Not a test.
add_executable(bfd_floor bfd_floor.c)
if(TARGET svrbfd)
  # the core alone on a simulated clock: CPU per packet without the kernel
  add_executable(bfd_scale_core bfd_scale_core.c)
  target_link_libraries(bfd_scale_core PRIVATE svrbfd)
endif()
