# SPDX-License-Identifier: BSD-2-Clause
# Man pages (man/*.scd) against the programs' --help, one page per program
# and per library (tests/man_check.sh); the systemd units in systemd/
# (tests/systemd_units_check.sh).
if(SVR_BUILD_CLI)
  svr_add_script_test(NAME man_check LABEL unit SCRIPT man_check.sh TIMEOUT 60)
endif()
if(SVR_BUILD_CLI AND NOT SVR_SANITIZE AND NOT SVR_FUZZ)
  svr_add_script_test(NAME systemd_units_check LABEL unit
                      SCRIPT systemd_units_check.sh TIMEOUT 60)
endif()
