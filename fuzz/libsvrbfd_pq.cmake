# libsvrbfd path quality: the echo datagram decoder (seed corpus in
# fuzz/corpus/pq_echo_decode/).
svr_add_fuzzer(NAME pq_echo_decode SOURCES pq_echo_decode.c LIBS svrbfd_static)
