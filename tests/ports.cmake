# SPDX-License-Identifier: BSD-2-Clause
# svr-ports (cli/svr-ports.c): its output checked by nft and parsed (unit),
# its nftables ruleset on a default-drop firewall between two svr-routers
# and with DNAT in front of a conductor (netns).  docs/svr-ports.md.
if(TARGET svr-ports)
  svr_add_script_test(NAME ports_check LABEL unit SCRIPT ports_check.sh TIMEOUT 60)
  if(TARGET svr-router)
    svr_add_script_test(NAME ports_nft LABEL netns SCRIPT ports_nft.sh TIMEOUT 120)
    if(TARGET svr-conductor)
      svr_add_script_test(NAME ports_dnat LABEL netns SCRIPT ports_dnat.sh TIMEOUT 120)
    endif()
  endif()
endif()
