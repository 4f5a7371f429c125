# SPDX-License-Identifier: BSD-2-Clause
# The Wireshark dissector (cli/wireshark/svr.lua) against a capture of
# packets that the libraries build themselves (tests/dissector_gen.c),
# decoded by the real tshark: label interop.
add_executable(dissector_gen dissector_gen.c)
target_include_directories(dissector_gen PRIVATE "${SVR_COMMON_DIR}")
target_link_libraries(dissector_gen PRIVATE svrtest svrbfd_static
  svrfwd_static svrfwdet_static svrpmtu_static)
svr_add_script_test(NAME dissector_svr LABEL interop
                    SCRIPT dissector_svr.sh TIMEOUT 120)
