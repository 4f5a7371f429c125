# SPDX-License-Identifier: BSD-2-Clause
# bench/fwd_core: libsvrfwd ingress+egress with AES-256-GCM, cost per crypto
# operation against EVP seal + open of the same lengths in the same process
# (and `openssl speed -aead` on the same lengths).
add_executable(fwd_core fwd_core.c)
target_link_libraries(fwd_core PRIVATE svrfwd_static PkgConfig::LIBCRYPTO)
