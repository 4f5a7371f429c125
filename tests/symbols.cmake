# SPDX-License-Identifier: BSD-2-Clause
# Every global symbol of the shipped libraries carries the library's public
# or private prefix (tests/symbols_check.sh, docs/architecture.md "Build and
# ABI"), and a vendor file defining bfd_malloc and fwd_open links with the
# static archives.
svr_add_script_test(NAME symbols_check LABEL unit SCRIPT symbols_check.sh
                    TIMEOUT 120)
