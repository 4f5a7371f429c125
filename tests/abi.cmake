# SPDX-License-Identifier: BSD-2-Clause
# Versioned output structs, through the shared libraries' exports
# (docs/architecture.md "Output structs").
if(TARGET svrpmtu AND TARGET svrbfd AND TARGET svrfwdet AND TARGET svrfwd)
  svr_add_test(NAME output_struct_test LABEL unit SOURCES output_struct_test.c
               LIBS svrbfd svrpmtu svrfwdet svrfwd)
endif()
