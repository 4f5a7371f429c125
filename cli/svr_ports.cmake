# SPDX-License-Identifier: BSD-2-Clause
# svr-ports: the ports a firewall must open or forward for svr-routers and
# their conductor, from the routers' own config files (svr-router's parser,
# svrrouter_core) and the libraries' port constants (headers only).
# docs/svr-ports.md.
if(TARGET svrrouter_core AND TARGET svrfwd_static AND TARGET svrfwdet
   AND TARGET conductor)
  add_executable(svr-ports svr-ports.c)
  target_include_directories(svr-ports PRIVATE
    $<TARGET_PROPERTY:svrfwdet,INTERFACE_INCLUDE_DIRECTORIES>
    $<TARGET_PROPERTY:conductor,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(svr-ports PRIVATE svrrouter_core svrfwd_static svr_cli)
  install(TARGETS svr-ports RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
