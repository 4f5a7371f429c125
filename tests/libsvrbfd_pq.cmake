# libsvrbfd path quality (echo bursts, loss, jitter, MOS): docs/libsvrbfd-pq.md.
include("${PROJECT_SOURCE_DIR}/libsvrbfd/src/pq_objs.cmake")
svr_add_test(NAME pq_mos_test LABEL unit SOURCES pq_mos_test.c LIBS svrbfd_pq_lib m)
svr_add_test(NAME pq_echo_test LABEL unit SOURCES pq_echo_test.c LIBS svrbfd_pq_lib)
target_include_directories(pq_echo_test PRIVATE "${SVR_COMMON_DIR}")
svr_add_test(NAME pq_path_test LABEL unit SOURCES pq_path_test.c LIBS svrbfd_pq_lib)
svr_add_test(NAME pq_sim_test LABEL sim SOURCES pq_sim_test.c LIBS svrbfd_pq_lib m)
