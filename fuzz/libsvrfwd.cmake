# SPDX-License-Identifier: BSD-2-Clause
# libsvrfwd fuzz targets: the metadata decoder, and arbitrary packets into
# the egress side (seed corpus = real ingress outputs).
svr_add_fuzzer(NAME fwd_meta_decode SOURCES fwd_meta_decode.c LIBS svrfwd_static)
svr_add_fuzzer(NAME fwd_egress SOURCES fwd_egress.c LIBS svrfwd_static)
