# SPDX-License-Identifier: BSD-2-Clause
# svr-budget (cli/svr-budget.c): known rows of its model (unit) and its
# prediction against three svr-routers and a conductor counted with
# nftables in namespaces, for two profiles (netns).  docs/svr-budget.md.
if(TARGET svr-budget)
  svr_add_script_test(NAME budget_model LABEL unit SCRIPT budget_model.sh TIMEOUT 60)
  if(TARGET svr-router AND TARGET svr-conductor)
    svr_add_script_test(NAME budget_measure_fast LABEL netns SCRIPT budget_measure_fast.sh TIMEOUT 120)
    svr_add_script_test(NAME budget_measure_lte LABEL netns SCRIPT budget_measure_lte.sh TIMEOUT 120)
  endif()
endif()
