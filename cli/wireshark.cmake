# SPDX-License-Identifier: BSD-2-Clause
# The Wireshark/tshark dissector for svr-suite's packets (docs/wireshark.md):
# installed to share/svr-suite/wireshark/; load it with
#   tshark -X lua_script:<prefix>/share/svr-suite/wireshark/svr.lua
# or copy it to ~/.local/lib/wireshark/plugins/.
install(FILES "${CMAKE_CURRENT_SOURCE_DIR}/wireshark/svr.lua"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/svr-suite/wireshark")
