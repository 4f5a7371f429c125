# SPDX-License-Identifier: BSD-2-Clause
# libconductor front ends: the libuv glue (conductor node + router node, a
# small static library reused by bench/), svr-conductor (daemon and show
# commands) and svr-conductor-router (router-side test program).
if(TARGET conductor)
  # libssl: the asset channel's TLS 1.3 (glue/conductor_tls.c)
  pkg_check_modules(LIBSSL REQUIRED IMPORTED_TARGET libssl)
  add_library(conductor_uv STATIC glue/conductor_node.c glue/conductor_router.c
              glue/conductor_keys.c glue/conductor_dpu.c
              glue/conductor_admin.c glue/conductor_radmin.c
              glue/conductor_tls.c glue/conductor_asset_srv.c
              glue/conductor_asset_rtr.c)
  target_include_directories(conductor_uv PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/glue")
  target_link_libraries(conductor_uv PUBLIC conductor conductor_asset
                        PkgConfig::LIBUV PkgConfig::SQLITE3 PkgConfig::LIBSSL
                        ${SVR_CRYPTO_TARGET} util)

  add_executable(svr-conductor svr-conductor.c svr-conductor-admin.c)
  target_link_libraries(svr-conductor PRIVATE conductor_uv svr_cli)
  add_executable(svr-conductor-router svr-conductor-router.c)
  target_link_libraries(svr-conductor-router PRIVATE conductor_uv svr_cli)
  install(TARGETS svr-conductor svr-conductor-router
          RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
