# SPDX-License-Identifier: BSD-2-Clause
# cli/common: the text table printer (svr_table.c, docs/cli.md "Tables");
# the daemons' control socket (svr_ctl.c, docs/cli.md "Control sockets"),
# built into the test with short idle and client timeouts.
svr_add_test(NAME svr_table_test LABEL unit SOURCES svr_table_test.c
             LIBS svr_cli)
if(TARGET svr_ctl)
  find_package(Threads REQUIRED)
  svr_add_test(NAME svr_ctl_test LABEL unit TIMEOUT 60
               SOURCES svr_ctl_test.c "${PROJECT_SOURCE_DIR}/cli/common/svr_ctl.c"
               LIBS svr_cli PkgConfig::LIBUV Threads::Threads)
  target_compile_definitions(svr_ctl_test PRIVATE SVR_CTL_IDLE_MS=300
                             SVR_CTL_CLIENT_TIMEOUT_S=1)
endif()
