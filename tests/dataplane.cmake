# SPDX-License-Identifier: BSD-2-Clause
# Data-plane tests (issue 12): two svr-routers forwarding between a client
# and a server namespace; `ctest -R dataplane` runs them all.  Root and
# namespaces (label netns); tests/lib/dataplane.sh builds the topology.
if(TARGET svr-router)
  foreach(t basic:240 failover:180 mtu:180 rekey:180 alloc:180 firewall:240
            ttl:120 entitlement:180 ttlpad:180 ipv6:180 io:180
            ownconn:180 ownaddr:240)
    string(REPLACE ":" ";" nt "${t}")
    list(GET nt 0 name)
    list(GET nt 1 secs)
    svr_add_script_test(NAME dataplane_${name} LABEL netns
                        SCRIPT dataplane_${name}.sh TIMEOUT ${secs})
  endforeach()
  # LD_PRELOAD shim that counts a process's allocations (dataplane_alloc)
  add_library(svr_malloc_count MODULE malloc_count.c)
  set_target_properties(svr_malloc_count PROPERTIES PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  # dataplane_badinput: bad input on B's waypoint ports; dataplane_forge
  # (libsvrfwd) writes first packets of sessions under another key
  add_executable(dataplane_forge dataplane_forge.c)
  target_link_libraries(dataplane_forge PRIVATE svrfwd_static)
  svr_add_script_test(NAME dataplane_badinput LABEL netns
                      SCRIPT dataplane_badinput.sh TIMEOUT 240)
  # conductor-driven rekey into the data plane (issue 15)
  if(TARGET svr-conductor)
    svr_add_script_test(NAME conductor_rekey LABEL netns
                        SCRIPT conductor_rekey.sh TIMEOUT 300)
  endif()
endif()
