# Phase-1 build of the libsvrbfd path-quality module (libsvrbfd/src/pq_*.c)
# as its own static library, svrbfd_pq_lib, while libsvrbfd's own source list
# is being written.  Once pq_*.c are in libsvrbfd/CMakeLists.txt this file
# only makes svrbfd_pq_lib an alias of svrbfd_static.  Included (once) by
# tests/libsvrbfd_pq.cmake, fuzz/libsvrbfd_pq.cmake and cli/libsvrbfd_router.cmake.
if(TARGET svrbfd_pq_lib)
  return()
endif()
set(_pq_dir "${PROJECT_SOURCE_DIR}/libsvrbfd")
set(_pq_srcs "${_pq_dir}/src/pq_echo.c" "${_pq_dir}/src/pq_mos.c"
             "${_pq_dir}/src/pq_path.c")
set(_pq_in_lib OFF)
if(TARGET svrbfd_static)
  get_target_property(_pq_lib_srcs svrbfd_static SOURCES)
  if("src/pq_path.c" IN_LIST _pq_lib_srcs)
    set(_pq_in_lib ON)
  endif()
endif()
if(_pq_in_lib)
  add_library(svrbfd_pq_lib INTERFACE)
  target_link_libraries(svrbfd_pq_lib INTERFACE svrbfd_static)
else()
  set(_pq_gen "${PROJECT_BINARY_DIR}/svrbfd_pq_gen")
  if(NOT EXISTS "${_pq_gen}/svrbfd/version.h")
    set(SVR_PFX SVRBFD)
    set(SVR_LIB_VERSION "0.1.0")
    set(SVR_LIB_VERSION_NUM "0x000100")
    configure_file("${PROJECT_SOURCE_DIR}/cmake/version.h.in"
                   "${_pq_gen}/svrbfd/version.h" @ONLY)
  endif()
  add_library(svrbfd_pq_lib STATIC ${_pq_srcs})
  target_compile_definitions(svrbfd_pq_lib PUBLIC SVRBFD_STATICLIB)
  target_include_directories(svrbfd_pq_lib
    PUBLIC "${_pq_dir}/include" "${_pq_gen}"
    PRIVATE "${_pq_dir}/src" "${PROJECT_SOURCE_DIR}/common")
endif()
