# SPDX-License-Identifier: BSD-2-Clause
# svr-bfd, the libuv glue and the examples: real-socket tests (scripts).
#   bfd_loopback     sim      two processes on 127.0.0.1/127.0.0.2, no root
#   bfd_netns        netns    namespaces: Up, link cut -> Down in detect time, NAT
#   bfd_interop_frr  interop  RFC 5881 against FRR bfdd 8.4 (start order, timers, cut)
#   bfd_interop_frr_multihop interop  RFC 5883 against FRR bfdd across a router
#   bfd_interop_bird interop  RFC 5880 authentication against BIRD 2
#   bfd_probe_frr    interop  svr-bfd --once against FRR bfdd: the peer never Up
if(TARGET svr-bfd)
  svr_add_script_test(NAME bfd_loopback LABEL sim SCRIPT bfd_loopback.sh TIMEOUT 60)
endif()
if(TARGET svr-bfd)
  svr_add_script_test(NAME bfd_netns LABEL netns SCRIPT bfd_netns.sh TIMEOUT 60)
endif()
if(TARGET svr-bfd)
  svr_add_script_test(NAME bfd_interop_frr LABEL interop SCRIPT bfd_interop_frr.sh TIMEOUT 120)
endif()
if(TARGET svr-bfd)
  svr_add_script_test(NAME bfd_interop_frr_multihop LABEL interop
                      SCRIPT bfd_interop_frr_multihop.sh TIMEOUT 90)
endif()
if(TARGET svr-bfd)
  svr_add_script_test(NAME bfd_interop_bird LABEL interop SCRIPT bfd_interop_bird.sh TIMEOUT 120)
endif()
if(TARGET svr-bfd)
  svr_add_script_test(NAME bfd_probe_frr LABEL interop SCRIPT bfd_probe_frr.sh TIMEOUT 120)
endif()
