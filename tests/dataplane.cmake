# Data-plane tests (issue 12): two svr-routers forwarding between a client
# and a server namespace; `ctest -R dataplane` runs them all.  Root and
# namespaces (label netns); tests/lib/dataplane.sh builds the topology.
if(TARGET svr-router)
  svr_add_script_test(NAME dataplane_basic LABEL netns
                      SCRIPT dataplane_basic.sh TIMEOUT 240)
endif()
if(TARGET svr-router)
  svr_add_script_test(NAME dataplane_failover LABEL netns
                      SCRIPT dataplane_failover.sh TIMEOUT 180)
endif()
if(TARGET svr-router)
  svr_add_script_test(NAME dataplane_mtu LABEL netns
                      SCRIPT dataplane_mtu.sh TIMEOUT 180)
endif()
