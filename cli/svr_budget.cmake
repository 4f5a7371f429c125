# SPDX-License-Identifier: BSD-2-Clause
# svr-budget: management-plane bandwidth of svr-routers and their conductor,
# per channel, from the routers' own config files (svr-router's parser,
# svrrouter_core), the libraries run in virtual time (libsvrbfd, libsvrpmtu,
# libsvrfwdet) and libconductor's codec.  docs/svr-budget.md.
if(TARGET svrrouter_core AND TARGET svrpmtu AND TARGET svrfwdet
   AND TARGET conductor)
  add_executable(svr-budget svr-budget.c)
  target_include_directories(svr-budget PRIVATE
    "${CMAKE_CURRENT_SOURCE_DIR}/glue"
    $<TARGET_PROPERTY:PkgConfig::LIBUV,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(svr-budget PRIVATE svrrouter_core svrpmtu svrfwdet
                        conductor_asset
                        conductor svr_cli m)
  set_target_properties(svr-budget PROPERTIES
    INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  install(TARGETS svr-budget RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
