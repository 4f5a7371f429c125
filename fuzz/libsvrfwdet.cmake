# SPDX-License-Identifier: BSD-2-Clause
# libsvrfwdet fuzz targets.
svr_add_fuzzer(NAME fwdet_msg_decode SOURCES fwdet_msg_decode.c
               LIBS svrfwdet_static)
svr_add_fuzzer(NAME fwdet_read_ip SOURCES fwdet_read_ip.c
               LIBS svrfwdet_static)
