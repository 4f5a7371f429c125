# SPDX-License-Identifier: BSD-2-Clause
# libsvrpmtu fuzz targets (seed corpora in corpus/pmtu_decode, corpus/pmtu_ctx).
if(TARGET svrpmtu_static)
  svr_add_fuzzer(NAME pmtu_decode SOURCES pmtu_decode.c LIBS svrpmtu_static)
  svr_add_fuzzer(NAME pmtu_ctx SOURCES pmtu_ctx.c LIBS svrpmtu_static)
endif()
