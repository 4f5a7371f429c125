# SPDX-License-Identifier: BSD-2-Clause
# libsvrbfd fuzz targets (seed corpora in corpus/<target>/).
#   bfd_pkt_decode  svrbfd_pkt_decode + re-encode + metadata trailer parse
#   bfd_ctx         a context driven by fuzzed packets, timestamps, API calls
#                   and allocation failures
if(TARGET svrbfd_static)
  svr_add_fuzzer(NAME bfd_pkt_decode SOURCES bfd_pkt_decode.c
                 LIBS svrbfd_static PkgConfig::LIBCRYPTO)
  target_include_directories(bfd_pkt_decode PRIVATE
                             "${PROJECT_SOURCE_DIR}/libsvrbfd/src")
  svr_add_fuzzer(NAME bfd_ctx SOURCES bfd_ctx.c
                 LIBS svrbfd_static PkgConfig::LIBCRYPTO)
  target_include_directories(bfd_ctx PRIVATE
                             "${PROJECT_SOURCE_DIR}/libsvrbfd/src")
endif()
