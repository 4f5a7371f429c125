# SPDX-License-Identifier: BSD-2-Clause
# The installed tree as a vendor uses it (tests/install_consumer.sh): install
# to a temporary prefix, pkg-config (shared and --static), find_package and
# the programs' RUNPATH.  Not in sanitizer builds: a consumer linking the
# instrumented static archives would need the sanitizer runtime too.
if(NOT SVR_SANITIZE AND NOT SVR_FUZZ)
  svr_add_script_test(NAME install_consumer LABEL unit
                      SCRIPT install_consumer.sh TIMEOUT 180)
endif()
# Every error code in the public headers has a strerror message
# (tests/strerror_check.sh builds a program from the headers' #defines).
if(NOT SVR_SANITIZE AND NOT SVR_FUZZ)
  svr_add_script_test(NAME strerror_check LABEL unit
                      SCRIPT strerror_check.sh TIMEOUT 60)
  svr_add_script_test(NAME cli_version LABEL unit
                      SCRIPT cli_version.sh TIMEOUT 60)
  # every library's <name>_version() against its version.h (issue 16 item 9)
  svr_add_script_test(NAME version_check LABEL unit
                      SCRIPT version_check.sh TIMEOUT 60)
endif()
