/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the libsvrfwd waypoint allocator. */
#include <stdlib.h>
#include <string.h>

#include <svrfwd/svrfwd.h>

#include "svr_test.h"

#define NS 1000000000ULL

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static int all_distinct(uint32_t *k, size_t n) {
  size_t i;
  qsort(k, n, sizeof(*k), cmp_u32);
  for (i = 1; i < n; i++) {
    if (k[i] == k[i - 1]) {
      return 0;
    }
  }
  return 1;
}

/* Default rule: even port for self, odd for the peer, in 16385..65533. */
static void test_even_odd_default(void) {
  svrfwd_wp_config c;
  svrfwd_wpalloc *wa;
  uint16_t lo = 65535, hi = 0;
  int i;
  svrfwd_wp_config_default(&c);
  CU_ASSERT_EQUAL(c.max_waypoints, 50000);
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&wa, &c, NULL) == 0);
  for (i = 0; i < 50000; i++) {
    uint16_t s, p;
    CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(wa, &s, &p, 0) == 0);
    CU_ASSERT((s & 1) == 0);
    CU_ASSERT((p & 1) == 1);
    if (s < lo) lo = s;
    if (s > hi) hi = s;
    CU_ASSERT(p >= 16385 && p <= 65533);
  }
  CU_ASSERT_EQUAL(lo, 16386);
  CU_ASSERT_EQUAL(hi, 65532);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(wa), 50000);
  svrfwd_wpalloc_del(wa);
}

/* Every pair handed out is distinct; consecutive pairs differ in both ports. */
static void test_pairs_unique(void) {
  svrfwd_wp_config c;
  svrfwd_wpalloc *wa;
  uint16_t ls = 0, lp = 0;
  size_t i, n = 100000;
  uint32_t *keys = calloc(n, sizeof(uint32_t));
  CU_ASSERT_FATAL(keys != NULL);
  svrfwd_wp_config_default(&c);
  c.max_waypoints = (uint32_t)n;
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&wa, &c, NULL) == 0);
  for (i = 0; i < n; i++) {
    uint16_t s, p;
    CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(wa, &s, &p, 0) == 0);
    keys[i] = (uint32_t)s << 16 | p;
    if (i > 0) {
      CU_ASSERT(s != ls && p != lp);
    }
    ls = s;
    lp = p;
  }
  CU_ASSERT(all_distinct(keys, n));
  free(keys);
  svrfwd_wpalloc_del(wa);
}

/* max-way-points: a clear error when exhausted, and free makes room. */
static void test_exhaustion(void) {
  svrfwd_wp_config c;
  svrfwd_wpalloc *wa;
  uint16_t s[8], p[8], x, y;
  int i;
  svrfwd_wp_config_default(&c);
  c.max_waypoints = 8;
  c.quarantine_ns = 0;
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&wa, &c, NULL) == 0);
  for (i = 0; i < 8; i++) {
    CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(wa, &s[i], &p[i], 0) == 0);
  }
  CU_ASSERT_EQUAL(svrfwd_wpalloc_alloc(wa, &x, &y, 0),
                  SVRFWD_ERR_WAYPOINTS_EXHAUSTED);
  CU_ASSERT(strstr(svrfwd_strerror(SVRFWD_ERR_WAYPOINTS_EXHAUSTED),
                   "max-way-points") != NULL);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_free(wa, s[3], p[3], 1), 0);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_alloc(wa, &x, &y, 1), 0);
  CU_ASSERT(x == s[3] && y == p[3]);
  /* a pair never handed out is refused */
  CU_ASSERT_EQUAL(svrfwd_wpalloc_free(wa, 16387, 16385, 1),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  svrfwd_wpalloc_del(wa);
}

/* A freed pair waits out the quarantine; reuse is round-robin (oldest). */
static void test_quarantine(void) {
  svrfwd_wp_config c;
  svrfwd_wpalloc *wa;
  uint16_t s[4], p[4], x, y;
  int i;
  svrfwd_wp_config_default(&c);
  c.max_waypoints = 4;
  c.quarantine_ns = 10 * NS;
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&wa, &c, NULL) == 0);
  for (i = 0; i < 4; i++) {
    CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(wa, &s[i], &p[i], 0) == 0);
  }
  CU_ASSERT_EQUAL(svrfwd_wpalloc_free(wa, s[2], p[2], 1 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_free(wa, s[0], p[0], 2 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_alloc(wa, &x, &y, 5 * NS),
                  SVRFWD_ERR_WAYPOINTS_QUARANTINE);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_alloc(wa, &x, &y, 11 * NS - 1),
                  SVRFWD_ERR_WAYPOINTS_QUARANTINE);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_alloc(wa, &x, &y, 11 * NS), 0);
  CU_ASSERT(x == s[2] && y == p[2]); /* freed first, reused first */
  CU_ASSERT_EQUAL(svrfwd_wpalloc_alloc(wa, &x, &y, 11 * NS),
                  SVRFWD_ERR_WAYPOINTS_QUARANTINE);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_alloc(wa, &x, &y, 12 * NS), 0);
  CU_ASSERT(x == s[0] && y == p[0]);
  svrfwd_wpalloc_del(wa);
}

/* Fresh pairs before reused ones: a freed pair is not handed back at once. */
static void test_round_robin(void) {
  svrfwd_wp_config c;
  svrfwd_wpalloc *wa;
  uint16_t s0, p0, x, y;
  svrfwd_wp_config_default(&c);
  c.max_waypoints = 100;
  c.quarantine_ns = 0;
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&wa, &c, NULL) == 0);
  CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(wa, &s0, &p0, 0) == 0);
  CU_ASSERT_FATAL(svrfwd_wpalloc_free(wa, s0, p0, 0) == 0);
  CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(wa, &x, &y, 0) == 0);
  CU_ASSERT(!(x == s0 && y == p0));
  svrfwd_wpalloc_del(wa);
}

/* Configured range: no even/odd rule, start may go down to 1025. */
static void test_port_range(void) {
  svrfwd_wp_config c;
  svrfwd_wpalloc *wa;
  int i, odd_self = 0, even_peer = 0;
  svrfwd_wp_config_default(&c);
  c.self_start_port = 1024;
  c.self_end_port = 2000;
  CU_ASSERT_EQUAL(svrfwd_wpalloc_new(&wa, &c, NULL), SVRFWD_ERR_PORT_RANGE);
  c.self_start_port = 1025;
  c.self_end_port = 1124; /* 100 ports */
  c.lower = 1;
  c.max_waypoints = 5000;
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&wa, &c, NULL) == 0);
  for (i = 0; i < 5000; i++) {
    uint16_t s, p;
    CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(wa, &s, &p, 0) == 0);
    CU_ASSERT(s >= 1025 && s <= 1074); /* lower half for self */
    CU_ASSERT(p >= 1025 && p <= 1124);
    odd_self += s & 1;
    even_peer += !(p & 1);
  }
  CU_ASSERT(odd_self > 0 && even_peer > 0); /* parity rule dropped */
  svrfwd_wpalloc_del(wa);
}

/*
 * Glare: routers A and B allocate on the same waypoint pair at the same
 * time.  A session of A has outer tuple (A:self, B:peer); of B, (B:self,
 * A:peer).  Collision = A.self == B.peer and A.peer == B.self.
 */
static void glare_run(svrfwd_wp_config *ca, svrfwd_wp_config *cb, size_t n) {
  svrfwd_wpalloc *a, *b;
  uint32_t *keys = calloc(2 * n, sizeof(uint32_t));
  size_t i;
  CU_ASSERT_FATAL(keys != NULL);
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&a, ca, NULL) == 0);
  CU_ASSERT_FATAL(svrfwd_wpalloc_new(&b, cb, NULL) == 0);
  for (i = 0; i < n; i++) {
    uint16_t s, p;
    CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(a, &s, &p, 0) == 0);
    keys[2 * i] = (uint32_t)s << 16 | p; /* (A port, B port) */
    CU_ASSERT_FATAL(svrfwd_wpalloc_alloc(b, &s, &p, 0) == 0);
    keys[2 * i + 1] = (uint32_t)p << 16 | s; /* (A port, B port) */
  }
  CU_ASSERT(all_distinct(keys, 2 * n));
  free(keys);
  svrfwd_wpalloc_del(a);
  svrfwd_wpalloc_del(b);
}

static void test_no_glare_even_odd(void) {
  svrfwd_wp_config c;
  svrfwd_wp_config_default(&c);
  glare_run(&c, &c, 50000);
}

static void test_no_glare_range(void) {
  svrfwd_wp_config ca, cb;
  svrfwd_wp_config_default(&ca);
  ca.self_start_port = 2000; /* A's range */
  ca.self_end_port = 2099;
  ca.peer_start_port = 3000; /* B's range */
  ca.peer_end_port = 3049;
  ca.lower = 1;
  ca.max_waypoints = 50 * 50;
  cb = ca;
  cb.self_start_port = 3000;
  cb.self_end_port = 3049;
  cb.peer_start_port = 2000;
  cb.peer_end_port = 2099;
  cb.lower = 0;
  /* A: 50 self x 50 peer = 2500; B: 50 self x 50 upper-half peer = 2500 */
  glare_run(&ca, &cb, 2500);
  /* same range on both sides (the usual neighborhood config) */
  ca.peer_start_port = 2000;
  ca.peer_end_port = 2099;
  cb.self_start_port = 2000;
  cb.self_end_port = 2099;
  glare_run(&ca, &cb, 2500);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"even_odd_default", test_even_odd_default},
      {"pairs_unique", test_pairs_unique},
      {"exhaustion", test_exhaustion},
      {"quarantine", test_quarantine},
      {"round_robin", test_round_robin},
      {"port_range", test_port_range},
      {"no_glare_even_odd", test_no_glare_even_odd},
      {"no_glare_range", test_no_glare_range},
      {NULL, NULL}};
  return svr_test_run("fwd_waypoint", cases);
}
