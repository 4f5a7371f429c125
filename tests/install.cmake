# The installed tree as a vendor uses it (tests/install_consumer.sh): install
# to a temporary prefix, pkg-config (shared and --static), find_package and
# the programs' RUNPATH.  Not in sanitizer builds: a consumer linking the
# instrumented static archives would need the sanitizer runtime too.
if(NOT SVR_SANITIZE AND NOT SVR_FUZZ)
  svr_add_script_test(NAME install_consumer LABEL unit
                      SCRIPT install_consumer.sh TIMEOUT 180)
endif()
