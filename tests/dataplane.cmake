# Data-plane tests (issue 12): two svr-routers forwarding between a client
# and a server namespace; `ctest -R dataplane` runs them all.  Root and
# namespaces (label netns); tests/lib/dataplane.sh builds the topology.
if(TARGET svr-router)
  svr_add_script_test(NAME dataplane_basic LABEL netns
                      SCRIPT dataplane_basic.sh TIMEOUT 240)
endif()
