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
if(TARGET svr-router)
  svr_add_script_test(NAME dataplane_rekey LABEL netns
                      SCRIPT dataplane_rekey.sh TIMEOUT 180)
endif()
# LD_PRELOAD shim that counts a process's allocations (dataplane_alloc)
add_library(svr_malloc_count MODULE malloc_count.c)
set_target_properties(svr_malloc_count PROPERTIES PREFIX "lib"
  LIBRARY_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
if(TARGET svr-router)
  svr_add_script_test(NAME dataplane_alloc LABEL netns
                      SCRIPT dataplane_alloc.sh TIMEOUT 180)
endif()
# dataplane_badinput: bad input on B's waypoint ports; dataplane_forge
# (libsvrfwd) writes first packets of sessions under another key
if(TARGET svr-router AND TARGET svrfwd_static)
  add_executable(dataplane_forge dataplane_forge.c)
  target_link_libraries(dataplane_forge PRIVATE svrfwd_static)
  svr_add_script_test(NAME dataplane_badinput LABEL netns
                      SCRIPT dataplane_badinput.sh TIMEOUT 120)
endif()
if(TARGET svr-router)
  svr_add_script_test(NAME dataplane_firewall LABEL netns
                      SCRIPT dataplane_firewall.sh TIMEOUT 240)
endif()
