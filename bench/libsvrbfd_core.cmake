# SPDX-License-Identifier: BSD-2-Clause
# bfd_core: packets per second through the libsvrbfd sans-I/O receive and
# transmit path (no sockets): two contexts, 10,000 sessions each, on a
# virtual clock, against an independent minimal RFC 5880 decoder written in
# the bench (bfd_core.c).  Prints key=value lines.
if(TARGET svrbfd_static)
  add_executable(bfd_core bfd_core.c)
  target_link_libraries(bfd_core PRIVATE svrbfd_static PkgConfig::LIBCRYPTO)
endif()
