# SPDX-License-Identifier: BSD-2-Clause
# libsvrbfd examples: the same tiny host twice, once in a libuv loop and once
# with plain poll(2), to show the core needs no particular event loop.
if(TARGET svrbfd)
  add_executable(bfd_uv_example bfd_uv.c)
  set_target_properties(bfd_uv_example PROPERTIES OUTPUT_NAME bfd_uv)
  target_link_libraries(bfd_uv_example PRIVATE svrbfd PkgConfig::LIBUV)

  add_executable(bfd_poll_example bfd_poll.c)
  set_target_properties(bfd_poll_example PROPERTIES OUTPUT_NAME bfd_poll)
  target_link_libraries(bfd_poll_example PRIVATE svrbfd)
endif()
