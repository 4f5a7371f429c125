# SPDX-License-Identifier: BSD-2-Clause
# The licence: LICENSE is BSD-2-Clause and every source file carries its
# SPDX-License-Identifier line (tests/license_check.sh).
svr_add_script_test(NAME license_check LABEL unit SCRIPT license_check.sh
                    TIMEOUT 60)
