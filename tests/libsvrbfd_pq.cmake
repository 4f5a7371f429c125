# SPDX-License-Identifier: BSD-2-Clause
# libsvrbfd path quality (echo bursts, loss, jitter, MOS): docs/libsvrbfd-pq.md.
svr_add_test(NAME pq_mos_test LABEL unit SOURCES pq_mos_test.c LIBS svrbfd_static m)
svr_add_test(NAME pq_echo_test LABEL unit SOURCES pq_echo_test.c LIBS svrbfd_static)
target_include_directories(pq_echo_test PRIVATE "${SVR_COMMON_DIR}")
svr_add_test(NAME pq_path_test LABEL unit SOURCES pq_path_test.c LIBS svrbfd_static)
svr_add_test(NAME pq_sim_test LABEL sim SOURCES pq_sim_test.c LIBS svrbfd_static m)
# echo tests owned by sessions: the context dispatches, reflects, schedules
svr_add_test(NAME pq_ctx_test LABEL sim SOURCES pq_ctx_test.c LIBS svrbfd_static)
target_include_directories(pq_ctx_test PRIVATE "${SVR_COMMON_DIR}")
# the same unit tests against the shared library (exports in libsvrbfd.map)
svr_add_test(NAME pq_path_shared_test LABEL unit SOURCES pq_path_test.c LIBS svrbfd)
