# SPDX-License-Identifier: BSD-2-Clause
# libsvrbfd path quality: the echo datagram decoder (seed corpus in
# fuzz/corpus/pq_echo_decode/).
svr_add_fuzzer(NAME pq_echo_decode SOURCES pq_echo_decode.c LIBS svrbfd_static)
# echo tests owned by sessions: two contexts, a fuzzed link and script
svr_add_fuzzer(NAME pq_ctx SOURCES pq_ctx.c LIBS svrbfd_static)
