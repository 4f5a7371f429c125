# SPDX-License-Identifier: BSD-2-Clause
# What ships cites only files of the repository (tests/doc_refs_check.sh).
svr_add_script_test(NAME doc_refs_check LABEL unit SCRIPT doc_refs_check.sh
                    TIMEOUT 60)
