# SPDX-License-Identifier: BSD-2-Clause
# conductor_scale: N simulated router nodes (libssh clients) against one
# conductor node process; prints CPU %, RSS and alarm commit latency.
if(TARGET conductor_uv)
  add_executable(conductor_scale conductor_scale.c)
  target_link_libraries(conductor_scale PRIVATE conductor_uv PkgConfig::SQLITE3)
endif()
