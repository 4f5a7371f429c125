# SPDX-License-Identifier: BSD-2-Clause
# libsvrfwdet front end: Linux glue (raw IP sender, AF_PACKET tap, nftables)
# and svr-fwdet.  Needs no libuv: one poll() loop.
if(TARGET svrfwdet)
  add_library(svrfwdet_glue STATIC glue/fwdet_raw.c)
  target_include_directories(svrfwdet_glue PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/glue")
  target_link_libraries(svrfwdet_glue PUBLIC svrfwdet)
  add_executable(svr-fwdet svr-fwdet.c)
  target_link_libraries(svr-fwdet PRIVATE svrfwdet_glue svr_cli)
  install(TARGETS svr-fwdet RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
