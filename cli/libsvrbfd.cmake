# SPDX-License-Identifier: BSD-2-Clause
# libsvrbfd front end: the libuv glue (cli/glue/bfd_uv.c) and svr-bfd.
# The glue is a small static library so examples/ and bench/ can reuse it;
# it is never installed (hosts write or copy their own glue).
if(TARGET svrbfd)
  add_library(svrbfd_uv STATIC glue/bfd_uv.c)
  target_include_directories(svrbfd_uv PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/glue")
  target_link_libraries(svrbfd_uv PUBLIC svrbfd PkgConfig::LIBUV)

  add_executable(svr-bfd svr-bfd.c)
  target_link_libraries(svr-bfd PRIVATE svrbfd_uv svr_cli svr_ctl)
  install(TARGETS svr-bfd RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
