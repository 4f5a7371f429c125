# SPDX-License-Identifier: BSD-2-Clause
# svr-router (cli/router/): config parser and show formatting (unit), the
# daemon on loopback (sim) and in namespaces (netns).  docs/svr-router.md.
# the layers of cli/router (docs/architecture.md "svr-router's modules")
svr_add_script_test(NAME router_layers_check LABEL unit
                    SCRIPT router_layers_check.sh TIMEOUT 60)
if(TARGET svrrouter_core)
  svr_add_test(NAME router_conf_test LABEL unit SOURCES router_conf_test.c
               LIBS svrrouter_core)
  svr_add_test(NAME router_fmt_test LABEL unit SOURCES router_fmt_test.c
               LIBS svrrouter_core)
endif()
if(TARGET svr-router)
  # test helper for router_netns.sh (a UDP relay adding a known delay)
  add_executable(router_udp_relay router_udp_relay.c)
  svr_add_script_test(NAME router_config LABEL unit SCRIPT router_config.sh TIMEOUT 60)
  svr_add_script_test(NAME router_loopback LABEL sim SCRIPT router_loopback.sh TIMEOUT 90)
  svr_add_script_test(NAME router_auth LABEL sim SCRIPT router_auth.sh TIMEOUT 180)
  # it times hold-downs to 1.5 s: alone on the two cores, not next to
  # another test of the -j2 unit/sim run (it failed there under load)
  set_tests_properties(router_auth PROPERTIES RUN_SERIAL TRUE)
  if(TARGET svr-conductor)
    svr_add_script_test(NAME router_conductor LABEL sim SCRIPT router_conductor.sh
                        TIMEOUT 90)
    svr_add_script_test(NAME conductor_rekey_refused LABEL sim
                        SCRIPT conductor_rekey_refused.sh TIMEOUT 120)
  endif()
  svr_add_script_test(NAME router_netns LABEL netns SCRIPT router_netns.sh TIMEOUT 150)
  svr_add_script_test(NAME router_demand LABEL netns SCRIPT router_demand.sh TIMEOUT 60)
  svr_add_script_test(NAME router_demand_many LABEL netns SCRIPT router_demand_many.sh
                      TIMEOUT 90)
endif()
