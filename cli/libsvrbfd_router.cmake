# SPDX-License-Identifier: BSD-2-Clause
# svr-router: the router daemon (libsvrbfd BFD + echo path quality on the
# libuv glue, libsvrpmtu path MTU, libsvrfwdet UDP transform via the fwdet
# glue: svrfwdet_glue from cli/libsvrfwdet.cmake), peer alarms to the conductor
# (conductor_uv from cli/libconductor.cmake), the data plane (libsvrfwd on the
# forwarding glue: svrfwd_glue from cli/fwd_glue.cmake) and its show commands.  docs/svr-router.md.
if(TARGET svrbfd_uv AND TARGET svrpmtu AND TARGET svrfwdet AND TARGET conductor_uv
   AND TARGET svrfwd_glue AND TARGET svr_ctl)
  add_library(svrrouter_core STATIC router/router_conf.c router/router_fmt.c)
  target_include_directories(svrrouter_core PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/router"
                             "${SVR_COMMON_DIR}")
  target_link_libraries(svrrouter_core PUBLIC svrbfd svr_cli)

  add_executable(svr-router router/router_main.c router/router_daemon.c router/router_log.c
                            router/router_ctl.c router/router_fwdet.c
                            router/router_alarm.c router/router_fwd.c router/router_keys.c
                            router/router_dpu.c
                            glue/pmtu_sock.c)
  target_include_directories(svr-router PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/glue"
                             "${SVR_COMMON_DIR}")
  target_link_libraries(svr-router PRIVATE svrrouter_core svrbfd_uv svrpmtu_static
                        svrfwdet_glue conductor_uv svrfwd_glue svrfwd_static
                        svr_cli svr_ctl)
  install(TARGETS svr-router RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
