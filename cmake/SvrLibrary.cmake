# SPDX-License-Identifier: BSD-2-Clause
# svr_add_library(): one protocol library, built shared and static from one
# source list (see docs/architecture.md "Build and ABI").
#
#   svr_add_library(NAME svrbfd PREFIX SVRBFD VERSION 0.1.0
#                   DESCRIPTION "..." SOURCES src/a.c ...
#                   [LIBS PkgConfig::LIBCRYPTO ...] [PC_REQUIRES "libcrypto"]
#                   [PC_LIBS_PRIVATE "-lm"])
#
# Expects, in the calling folder: include/<NAME>/<NAME>.h (the umbrella
# header) and lib<NAME>.map (the linker version script, `local: *;`).
# Creates targets <NAME> (shared, SONAME lib<NAME>.so.<major>) and
# <NAME>_static, aliases svr::<NAME> and svr::<NAME>_static, a generated
# include/<NAME>/version.h and a lib<NAME>.pc, and installs all of them.
function(svr_add_library)
  cmake_parse_arguments(L ""
                        "NAME;PREFIX;VERSION;DESCRIPTION;PC_REQUIRES;PC_LIBS_PRIVATE"
                        "SOURCES;LIBS" ${ARGN})
  set(dir "${CMAKE_CURRENT_SOURCE_DIR}")
  set(gen "${CMAKE_CURRENT_BINARY_DIR}/include")
  string(REPLACE "." ";" vparts "${L_VERSION}")
  list(GET vparts 0 vmajor)
  list(GET vparts 1 vminor)
  list(GET vparts 2 vpatch)
  math(EXPR vnum "(${vmajor} << 16) | (${vminor} << 8) | ${vpatch}"
       OUTPUT_FORMAT HEXADECIMAL)

  set(SVR_PFX "${L_PREFIX}")
  set(SVR_LIB_VERSION "${L_VERSION}")
  set(SVR_LIB_VERSION_NUM "${vnum}")
  set(SVR_LIB_NAME "${L_NAME}")
  set(SVR_LIB_DESCRIPTION "${L_DESCRIPTION}")
  set(SVR_LIB_PC_REQUIRES "${L_PC_REQUIRES}")
  set(SVR_LIB_PC_LIBS_PRIVATE "${L_PC_LIBS_PRIVATE}")
  # The .pc names its prefix relative to where it is installed
  # (${pcfiledir}), so `cmake --install --prefix DIR` (or moving the tree)
  # needs no reconfigure; an absolute libdir keeps the absolute prefix.
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(SVR_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  else()
    file(RELATIVE_PATH rel "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
    string(REGEX REPLACE "/$" "" rel "${rel}")
    set(SVR_PC_PREFIX "\${pcfiledir}/${rel}")
  endif()
  configure_file("${PROJECT_SOURCE_DIR}/cmake/version.h.in"
                 "${gen}/${L_NAME}/version.h" @ONLY)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/lib.pc.in"
                 "${CMAKE_CURRENT_BINARY_DIR}/lib${L_NAME}.pc" @ONLY)

  set(map "${dir}/lib${L_NAME}.map")
  if(NOT EXISTS "${map}")
    message(FATAL_ERROR "${L_NAME}: missing linker version script ${map}")
  endif()

  foreach(kind shared static)
    if(kind STREQUAL "shared")
      set(t ${L_NAME})
      add_library(${t} SHARED ${L_SOURCES})
      set_target_properties(${t} PROPERTIES
        VERSION ${L_VERSION} SOVERSION ${vmajor}
        LINK_DEPENDS "${map}")
      target_link_options(${t} PRIVATE "-Wl,--version-script=${map}")
      # Every symbol resolved at link time, except in sanitizer builds with
      # clang: clang links the sanitizer runtimes (__asan_*, __ubsan_*,
      # __sanitizer_cov_*) only into executables, so there the shared
      # library takes them from the executable that loads it.
      if(NOT SVR_SHARED_ALLOW_UNDEFINED)
        target_link_options(${t} PRIVATE "-Wl,--no-undefined")
      endif()
    else()
      set(t ${L_NAME}_static)
      add_library(${t} STATIC ${L_SOURCES})
      target_compile_definitions(${t} PUBLIC ${L_PREFIX}_STATICLIB)
    endif()
    set_target_properties(${t} PROPERTIES
      OUTPUT_NAME ${L_NAME}
      C_VISIBILITY_PRESET hidden
      EXPORT_NAME ${t})
    target_compile_definitions(${t} PRIVATE BUILDING_${L_PREFIX})
    target_include_directories(${t}
      PUBLIC "$<BUILD_INTERFACE:${dir}/include>"
             "$<BUILD_INTERFACE:${gen}>"
             "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>"
      PRIVATE "${dir}/src" "${PROJECT_SOURCE_DIR}/common")
    if(L_LIBS)
      target_link_libraries(${t} PRIVATE ${L_LIBS})
    endif()
    add_library(svr::${t} ALIAS ${t})
    install(TARGETS ${t} EXPORT svr-suite-targets
            LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
            ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
  endforeach()

  set_property(GLOBAL APPEND PROPERTY SVR_LIBRARIES ${L_NAME})
  install(DIRECTORY "${dir}/include/${L_NAME}" "${gen}/${L_NAME}"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  install(FILES "${CMAKE_CURRENT_BINARY_DIR}/lib${L_NAME}.pc"
          DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endfunction()
