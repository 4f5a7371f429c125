# SPDX-License-Identifier: BSD-2-Clause
# libconductor tests (docs/libconductor.md section 7).
if(TARGET conductor)
  svr_add_test(NAME conductor_codec_test LABEL unit
               SOURCES conductor_codec_test.c LIBS conductor)
  svr_add_test(NAME conductor_state_test LABEL unit
               SOURCES conductor_state_test.c LIBS conductor_static)
  svr_add_test(NAME conductor_keyfile_test LABEL unit
               SOURCES conductor_keyfile_test.c LIBS conductor)
  # numeric addresses only in the transport: a name is refused, never looked up
  svr_add_test(NAME conductor_addr_test LABEL unit
               SOURCES conductor_addr_test.c LIBS conductor)
  svr_add_test(NAME conductor_store_test LABEL unit
               SOURCES conductor_store_test.c LIBS conductor_static PkgConfig::SQLITE3)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_loopback LABEL interop
                      SCRIPT conductor_loopback.sh TIMEOUT 180)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_once LABEL sim
                      SCRIPT conductor_once.sh TIMEOUT 120)
  svr_add_script_test(NAME conductor_exit LABEL sim
                      SCRIPT conductor_exit.sh TIMEOUT 120)
  svr_add_script_test(NAME conductor_unenroll LABEL sim
                      SCRIPT conductor_unenroll.sh TIMEOUT 90)
  svr_add_script_test(NAME conductor_fd_reuse LABEL sim
                      SCRIPT conductor_fd_reuse.sh TIMEOUT 120)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_openssh LABEL interop
                      SCRIPT conductor_openssh.sh TIMEOUT 120)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_crash LABEL interop
                      SCRIPT conductor_crash.sh TIMEOUT 240)
endif()
if(TARGET conductor_uv)
  svr_add_test(NAME conductor_glue_test LABEL sim
               SOURCES conductor_glue_test.c
               LIBS conductor_uv PkgConfig::SQLITE3 TIMEOUT 120)
  svr_add_test(NAME conductor_rekey_interval_test LABEL unit
               SOURCES conductor_rekey_interval_test.c
               LIBS conductor_uv PkgConfig::SQLITE3)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_restart LABEL interop
                      SCRIPT conductor_restart.sh TIMEOUT 120)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_connect LABEL sim
                      SCRIPT conductor_connect.sh TIMEOUT 120)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_flood LABEL sim
                      SCRIPT conductor_flood.sh TIMEOUT 240)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_sendbuf LABEL interop
                      SCRIPT conductor_sendbuf.sh TIMEOUT 180)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_alarmid LABEL sim
                      SCRIPT conductor_alarmid.sh TIMEOUT 120)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_keepalive_openssh LABEL interop
                      SCRIPT conductor_keepalive_openssh.sh TIMEOUT 120)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_keepalive_dead LABEL sim
                      SCRIPT conductor_keepalive_dead.sh TIMEOUT 120)
endif()
# dynamic peer update across three svr-routers and a conductor (issue 15)
if(TARGET svr-conductor AND TARGET svr-router)
  svr_add_script_test(NAME conductor_dpu LABEL netns
                      SCRIPT conductor_dpu.sh TIMEOUT 240)
endif()
# administration streams (issue 20): log retriever and shell connect
if(TARGET conductor)
  svr_add_test(NAME conductor_admin_test LABEL unit
               SOURCES conductor_admin_test.c LIBS conductor)
endif()
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_logs LABEL sim
                      SCRIPT conductor_logs.sh TIMEOUT 120)
  svr_add_script_test(NAME conductor_logs_resume LABEL sim
                      SCRIPT conductor_logs_resume.sh TIMEOUT 120)
  svr_add_script_test(NAME conductor_logs_traversal LABEL sim
                      SCRIPT conductor_logs_traversal.sh TIMEOUT 120)
  svr_add_script_test(NAME conductor_shell LABEL sim
                      SCRIPT conductor_shell.sh TIMEOUT 180)
  svr_add_script_test(NAME conductor_repository LABEL sim
                      SCRIPT conductor_repository.sh TIMEOUT 180)
endif()
# the asset channel core (4505/4506): codec vectors and schedules
if(TARGET conductor_asset)
  svr_add_test(NAME conductor_asset_test LABEL unit
               SOURCES conductor_asset_test.c LIBS conductor_asset)
endif()
# the asset channel on 4505/4506: TLS refusals, show assets, version check,
# a frozen and a killed router
if(TARGET svr-conductor)
  svr_add_script_test(NAME conductor_assets LABEL sim
                      SCRIPT conductor_assets.sh TIMEOUT 120)
endif()
