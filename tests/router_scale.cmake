# SPDX-License-Identifier: BSD-2-Clause
# Head-end scale harness (bench/router_scale.sh with bench/spoke_emu) at a
# small N, so CI runs it (spoke_emu is built by bench/, after this
# directory: hence SVR_BUILD_BENCH rather than TARGET spoke_emu); the full
# figures are docs/scale.md's.
if(TARGET svr-router AND TARGET svr-bfd AND SVR_BUILD_BENCH)
  svr_add_script_test(NAME router_scale_small LABEL netns SCRIPT router_scale_small.sh TIMEOUT 120)
endif()
# a show client that closes early must not kill the daemon (SIGPIPE)
if(TARGET svr-router)
  svr_add_script_test(NAME router_show_close LABEL sim SCRIPT router_show_close.sh TIMEOUT 60)
endif()
