# SPDX-License-Identifier: BSD-2-Clause
# bench/fwdet_paths: libsvrfwdet cost per path at 1k / 10k / 100k paths on
# one context (creation, one detection cycle), as a ratio to 1k.
if(TARGET svrfwdet_static)
  add_executable(fwdet_paths fwdet_paths.c)
  target_link_libraries(fwdet_paths PRIVATE svrfwdet_static)
endif()
