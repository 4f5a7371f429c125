# bench/fwd_core: libsvrfwd ingress+egress with AES-256-GCM against
# `openssl speed -evp aes-256-gcm` (and a direct EVP loop) in the same run.
add_executable(fwd_core fwd_core.c)
target_link_libraries(fwd_core PRIVATE svrfwd_static PkgConfig::LIBCRYPTO)
