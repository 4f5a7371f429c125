# SPDX-License-Identifier: BSD-2-Clause
# svr-router UDP transform detection (libsvrfwdet composed in the daemon)
# across namespaces A - FW - B with a stateful firewall in FW.
# docs/svr-router.md (show udp-transform).
if(TARGET svr-router)
  svr_add_script_test(NAME router_fwdet LABEL netns SCRIPT router_fwdet.sh TIMEOUT 90)
endif()
