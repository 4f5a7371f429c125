# SPDX-License-Identifier: BSD-2-Clause
# svr-router path MTU discovery (libsvrpmtu composed in the daemon) across
# namespaces A - R - B with a 1400-byte R-B link.  docs/svr-router.md.
if(TARGET svr-router)
  svr_add_script_test(NAME router_pmtu LABEL netns SCRIPT router_pmtu.sh TIMEOUT 120)
endif()
