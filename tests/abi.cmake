# SPDX-License-Identifier: BSD-2-Clause
# Versioned output structs, through the shared libraries' exports
# (docs/architecture.md "Output structs").
if(TARGET svrpmtu AND TARGET svrbfd AND TARGET svrfwdet AND TARGET svrfwd)
  svr_add_test(NAME output_struct_test LABEL unit SOURCES output_struct_test.c
               LIBS svrbfd svrpmtu svrfwdet svrfwd)
endif()
# The shared libraries' ABI against the abidw baselines in abi/ (abigail-tools;
# tests/abi_check.sh --update BUILD_DIR regenerates them).  Not in the
# sanitizer or fuzzing builds: their instrumented libraries are not shipped.
if(NOT SVR_SANITIZE AND NOT SVR_FUZZ)
  svr_add_script_test(NAME abi_check LABEL unit SCRIPT abi_check.sh TIMEOUT 300)
endif()
