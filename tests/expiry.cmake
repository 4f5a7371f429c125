# SPDX-License-Identifier: BSD-2-Clause
# One meaning for *_get_expiry across the cores with a write_pkt (a due time
# while write_pkt has output: docs/architecture.md "Timers").
if(TARGET svrpmtu AND TARGET svrbfd AND TARGET svrfwdet)
  svr_add_test(NAME expiry_rule_test LABEL unit SOURCES expiry_rule_test.c
               LIBS svrbfd_static svrpmtu_static svrfwdet_static m)
endif()
