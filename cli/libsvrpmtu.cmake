# SPDX-License-Identifier: BSD-2-Clause
# svr-pmtu: path MTU probe / responder (libsvrpmtu + Linux socket glue).
if(TARGET svrpmtu)
  add_executable(svr-pmtu svr-pmtu.c glue/pmtu_sock.c)
  target_link_libraries(svr-pmtu PRIVATE svrpmtu_static svr_cli)
  install(TARGETS svr-pmtu RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
