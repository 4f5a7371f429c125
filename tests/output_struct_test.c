/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Output structs are versioned like the settings structs (issue 16 item 6,
 * docs/architecture.md "Output structs"): each getter that fills a struct
 * a later release may grow has a *_versioned form taking the caller's
 * struct version, and the header's name compiles to it.  Checked against
 * the shared libraries (the exports themselves) for all ten getters:
 *   - an unknown version (0, VERSION + 1) is *_ERR_VERSION and writes
 *     nothing; a NULL object is *_ERR_INVALID_ARGUMENT and writes nothing;
 *   - version 1 writes exactly the struct's bytes (a canary after it stays)
 *     and the same bytes as the unversioned function that binaries built
 *     before keep calling.
 */
#include <string.h>

#include <svrbfd/svrbfd.h>
#include <svrbfd/svrbfd_pq.h>
#include <svrfwd/svrfwd.h>
#include <svrfwdet/svrfwdet.h>
#include <svrpmtu/svrpmtu.h>

#include "svr_test.h"

#define FILL 0x5A
static uint8_t buf[4096], ref[4096];

static int untouched(size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (buf[i] != FILL) {
      return 0;
    }
  }
  return 1;
}

/* |call(o, v, out)| is the versioned getter, |old(o, out)| the plain one. */
#define CHECK(fn, VER, ERR, T, o)                                              \
  do {                                                                         \
    CU_ASSERT_FATAL(sizeof(T) + 64 <= sizeof buf);                             \
    memset(buf, FILL, sizeof buf);                                             \
    CU_ASSERT_EQUAL(fn##_versioned((o), 0, (T *)(void *)buf), ERR##_VERSION);  \
    CU_ASSERT_EQUAL(fn##_versioned((o), VER##_VERSION + 1,                     \
                                   (T *)(void *)buf),                          \
                    ERR##_VERSION);                                            \
    CU_ASSERT_EQUAL(fn##_versioned(NULL, VER##_V1, (T *)(void *)buf),          \
                    ERR##_INVALID_ARGUMENT);                                   \
    CU_ASSERT(untouched(sizeof buf));                                          \
    if ((o) != NULL) {                                                         \
      CU_ASSERT_EQUAL(fn##_versioned((o), VER##_V1, (T *)(void *)buf), 0);     \
      CU_ASSERT(buf[sizeof(T)] == FILL && buf[sizeof(T) + 63] == FILL);        \
      memset(ref, FILL, sizeof ref);                                           \
      (fn)((o), (T *)(void *)ref);                                             \
      CU_ASSERT(memcmp(buf, ref, sizeof(T) + 64) == 0);                        \
      CU_ASSERT_EQUAL(fn((o), (T *)(void *)buf), 0); /* the header's name */   \
    }                                                                          \
  } while (0)

static uint64_t rng = 3;
static void rnd(uint8_t *d, size_t n, void *u) {
  (void)u;
  while (n--) {
    *d++ = (uint8_t)svr_test_rand(&rng);
  }
}

static void test_svrbfd(void) {
  svrbfd_callbacks cb;
  svrbfd_settings st;
  svrbfd_session_config c;
  svrbfd_ctx *ctx = NULL;
  svrbfd_session *s = NULL;
  svrbfd_pq_settings ps;
  svrbfd_pq_callbacks pcb;
  svrbfd_pq_path *pq = NULL;
  memset(&cb, 0, sizeof cb);
  cb.rand = rnd;
  svrbfd_settings_default(&st);
  CU_ASSERT_FATAL(svrbfd_ctx_new(&ctx, &cb, &st, NULL, NULL) == 0);
  svrbfd_session_config_default(&c);
  c.remote.family = 4;
  c.remote.addr[0] = 10;
  c.remote.addr[3] = 2;
  CU_ASSERT_FATAL(svrbfd_session_new(ctx, &s, &c, NULL, 1000) == 0);
  CHECK(svrbfd_ctx_get_stats, SVRBFD_CTX_STATS, SVRBFD_ERR, svrbfd_ctx_stats,
        ctx);
  CHECK(svrbfd_session_get_info, SVRBFD_SESSION_INFO, SVRBFD_ERR,
        svrbfd_session_info, s);
  CHECK(svrbfd_ctx_get_echo_stats, SVRBFD_PQ_CTX_STATS, SVRBFD_PQ_ERR,
        svrbfd_pq_ctx_stats, ctx);
  svrbfd_pq_settings_default(&ps);
  memset(&pcb, 0, sizeof pcb);
  CU_ASSERT_FATAL(svrbfd_pq_path_new(&pq, &ps, &pcb, NULL, NULL) == 0);
  CHECK(svrbfd_pq_path_get_stats, SVRBFD_PQ_STATS, SVRBFD_PQ_ERR,
        svrbfd_pq_stats, pq);
  svrbfd_pq_path_del(pq);
  svrbfd_ctx_del(ctx);
}

static void test_svrpmtu(void) {
  svrpmtu_callbacks cb = {rnd, NULL};
  svrpmtu_ctx *ctx = NULL;
  svrpmtu_path *p = NULL;
  svrpmtu_path_config cfg;
  CU_ASSERT_FATAL(svrpmtu_ctx_new(&ctx, &cb, NULL, NULL, NULL) == 0);
  svrpmtu_path_config_default(&cfg, 4);
  CU_ASSERT_FATAL(svrpmtu_path_new(ctx, &p, &cfg, NULL, 1000) == 0);
  CHECK(svrpmtu_ctx_get_stats, SVRPMTU_CTX_STATS, SVRPMTU_ERR,
        svrpmtu_ctx_stats, ctx);
  CHECK(svrpmtu_path_get_info, SVRPMTU_PATH_INFO, SVRPMTU_ERR,
        svrpmtu_path_info, p);
  svrpmtu_ctx_del(ctx);
}

static void test_svrfwdet(void) {
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  svrfwdet_path_config pc;
  svrfwdet_ctx *ctx = NULL;
  svrfwdet_path *p = NULL;
  memset(&cb, 0, sizeof cb);
  cb.rand = rnd;
  svrfwdet_settings_default(&st);
  CU_ASSERT_FATAL(svrfwdet_ctx_new(&ctx, &cb, &st, NULL, NULL) == 0);
  svrfwdet_path_config_default(&pc);
  pc.local.family = 4;
  pc.local.addr[3] = 1;
  pc.remote.family = 4;
  pc.remote.addr[3] = 2;
  CU_ASSERT_FATAL(svrfwdet_path_new(ctx, &p, &pc, NULL, 1000) == 0);
  CHECK(svrfwdet_ctx_get_stats, SVRFWDET_STATS, SVRFWDET_ERR, svrfwdet_stats,
        ctx);
  CHECK(svrfwdet_path_get_info, SVRFWDET_PATH_INFO, SVRFWDET_ERR,
        svrfwdet_path_info, p);
  svrfwdet_ctx_del(ctx);
}

static void test_svrfwd(void) {
  svrfwd_callbacks cb;
  svrfwd_ctx *ctx = NULL;
  svrfwd_session *none = NULL;
  memset(&cb, 0, sizeof cb);
  cb.rand = rnd;
  CU_ASSERT_FATAL(svrfwd_ctx_new(&ctx, &cb, NULL, NULL, NULL) == 0);
  CHECK(svrfwd_ctx_get_stats, SVRFWD_CTX_STATS, SVRFWD_ERR, svrfwd_ctx_stats,
        ctx);
  /* a session needs a handshake: the version and NULL checks only */
  CHECK(svrfwd_session_get_info, SVRFWD_SESSION_INFO, SVRFWD_ERR,
        svrfwd_session_info, none);
  svrfwd_ctx_del(ctx);
}

int main(void) {
  static const svr_test_case cases[] = {{"svrbfd", test_svrbfd},
                                        {"svrpmtu", test_svrpmtu},
                                        {"svrfwdet", test_svrfwdet},
                                        {"svrfwd", test_svrfwd},
                                        {NULL, NULL}};
  return svr_test_run("output_struct", cases);
}
