# svr-router: the router daemon (libsvrbfd BFD + path quality) and its
# show commands.  docs/svr-router.md.
if(TARGET svrbfd)
  include("${PROJECT_SOURCE_DIR}/libsvrbfd/src/pq_objs.cmake")
  add_library(svrrouter_core STATIC router/router_conf.c router/router_fmt.c)
  target_include_directories(svrrouter_core PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/router")
  target_link_libraries(svrrouter_core PUBLIC svrbfd_static)

  add_executable(svr-router router/router_main.c router/router_daemon.c
                            router/router_ctl.c)
  target_include_directories(svr-router PRIVATE "${SVR_COMMON_DIR}")
  target_link_libraries(svr-router PRIVATE svrrouter_core svrbfd_pq_lib
                        svrbfd_static PkgConfig::LIBUV)
  install(TARGETS svr-router RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
