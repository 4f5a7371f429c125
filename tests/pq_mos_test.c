/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the burst arithmetic and the E-model MOS (libsvrbfd pq). */
#include <math.h>
#include <stdint.h>

#include <svrbfd/svrbfd_pq.h>

#include "svr_test.h"

#define NONE UINT64_MAX
#define MS 1000000ULL

static int near(double a, double b, double eps) { return fabs(a - b) <= eps; }

/* DESIGN.md section 4: the product's own sample rows. */
static void test_design_vectors(void) {
  CU_ASSERT(near(svrbfd_pq_mos(22, 1, 0), 4.392, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(88, 0, 0), 4.357, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(8, 0, 0), 4.400, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(0, 0, 0), 4.404, 0.0005));
  /* reference/svr-and-product-docs.md 2.2: a fifth sample row */
  CU_ASSERT(near(svrbfd_pq_mos(33, 0, 0), 4.388, 0.0005));
}

/* reference/rfc-algorithms.md 2.4 (simplified model, computed vectors). */
static void test_reference_vectors(void) {
  CU_ASSERT(near(svrbfd_pq_mos(500, 0, 0), 2.796, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(0, 100, 0), 4.172, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(0, 200, 0), 3.315, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(0, 0, 1), 4.350, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(0, 0, 10), 3.499, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(10, 10, 10), 3.463, 0.0005));
  CU_ASSERT(near(svrbfd_pq_mos(100, 20, 1), 4.2573, 0.00005));
  CU_ASSERT(near(svrbfd_pq_mos(150, 25, 2), 3.9934, 0.00005));
  CU_ASSERT(near(svrbfd_pq_mos(300, 50, 5), 2.6644, 0.00005));
  CU_ASSERT(near(svrbfd_pq_mos(40, 2, 0.5), 4.3534, 0.00005));
}

/* Edge cases: clamping and the EL = 160 branch change. */
static void test_edges(void) {
  /* 100 % loss: R far below 0 -> MOS 1.0 exactly */
  CU_ASSERT_EQUAL(svrbfd_pq_mos(0, 0, 100), 1.0);
  CU_ASSERT_EQUAL(svrbfd_pq_mos(20, 3, 100), 1.0);
  /* loss above 100 is capped, not extrapolated */
  CU_ASSERT_EQUAL(svrbfd_pq_mos(0, 0, 250), 1.0);
  /* 1000 ms: the raw cubic gives 0.990, clamped to 1.0 */
  CU_ASSERT_EQUAL(svrbfd_pq_mos(1000, 0, 0), 1.0);
  /* huge jitter */
  CU_ASSERT_EQUAL(svrbfd_pq_mos(0, 1e6, 0), 1.0);
  CU_ASSERT_EQUAL(svrbfd_pq_mos(0, 1e300, 0), 1.0);
  /* EL just below and at 160: both branches give R = 89.2 (continuous) */
  CU_ASSERT(near(svrbfd_pq_mos(149.999999, 0, 0), svrbfd_pq_mos(150, 0, 0),
                 1e-6));
  /* EL >= 160 uses the steep branch: EL 270 -> R 78.2 -> 3.9542 */
  CU_ASSERT(near(svrbfd_pq_mos(200, 30, 0), 3.9542, 0.00005));
  CU_ASSERT(near(svrbfd_pq_mos(150, 0, 0), 1 + 0.035 * 89.2 +
                 7e-6 * 89.2 * 29.2 * 10.8, 1e-9));
  /* never above 4.5, never below 1, NaN and negatives count as 0 */
  CU_ASSERT(svrbfd_pq_mos(0, 0, 0) <= 4.5);
  CU_ASSERT_EQUAL(svrbfd_pq_mos(NAN, NAN, NAN), svrbfd_pq_mos(0, 0, 0));
  CU_ASSERT_EQUAL(svrbfd_pq_mos(-5, -1, -3), svrbfd_pq_mos(0, 0, 0));
  /* monotonic in loss */
  CU_ASSERT(svrbfd_pq_mos(20, 1, 5) < svrbfd_pq_mos(20, 1, 4));
}

static void test_result_basic(void) {
  svrbfd_pq_result r;
  uint64_t rtt[10] = {22 * MS, 23 * MS, 21 * MS, 22 * MS, 22 * MS,
                      22 * MS, 23 * MS, 22 * MS, 21 * MS, 22 * MS};
  CU_ASSERT_EQUAL(svrbfd_pq_result_compute(&r, rtt, 10), 0);
  CU_ASSERT_EQUAL(r.sent, 10);
  CU_ASSERT_EQUAL(r.received, 10);
  CU_ASSERT_EQUAL(r.lost, 0);
  CU_ASSERT(near(r.latency_ms, 22.0, 1e-9));
  /* |diffs| 1,2,1,0,0,1,1,1,1 -> 8/9 */
  CU_ASSERT(near(r.jitter_ms, 8.0 / 9.0, 1e-9));
  CU_ASSERT_EQUAL(r.loss_pct, 0.0);
  CU_ASSERT_EQUAL(r.rtt_min_ns, 21 * MS);
  CU_ASSERT_EQUAL(r.rtt_max_ns, 23 * MS);
  CU_ASSERT_EQUAL(r.mos, svrbfd_pq_mos(r.latency_ms, r.jitter_ms, r.loss_pct));
}

static void test_result_loss(void) {
  svrbfd_pq_result r;
  uint64_t all_lost[10] = {NONE, NONE, NONE, NONE, NONE,
                           NONE, NONE, NONE, NONE, NONE};
  /* lost requests are skipped: jitter pairs neighbours among received */
  uint64_t some[5] = {10 * MS, NONE, 14 * MS, NONE, 12 * MS};
  uint64_t one[3] = {NONE, 7 * MS, NONE};

  CU_ASSERT_EQUAL(svrbfd_pq_result_compute(&r, all_lost, 10), 0);
  CU_ASSERT_EQUAL(r.received, 0);
  CU_ASSERT_EQUAL(r.lost, 10);
  CU_ASSERT_EQUAL(r.loss_pct, 100.0);
  CU_ASSERT_EQUAL(r.latency_ms, 0.0);
  CU_ASSERT_EQUAL(r.jitter_ms, 0.0);
  CU_ASSERT_EQUAL(r.mos, 1.0);

  CU_ASSERT_EQUAL(svrbfd_pq_result_compute(&r, some, 5), 0);
  CU_ASSERT_EQUAL(r.received, 3);
  CU_ASSERT(near(r.loss_pct, 40.0, 1e-12));
  CU_ASSERT(near(r.latency_ms, 12.0, 1e-9));
  CU_ASSERT(near(r.jitter_ms, 3.0, 1e-9)); /* |14-10|, |12-14| */

  CU_ASSERT_EQUAL(svrbfd_pq_result_compute(&r, one, 3), 0);
  CU_ASSERT_EQUAL(r.received, 1);
  CU_ASSERT(near(r.latency_ms, 7.0, 1e-9));
  CU_ASSERT_EQUAL(r.jitter_ms, 0.0);

  CU_ASSERT_EQUAL(svrbfd_pq_result_compute(&r, one, 0),
                  SVRBFD_PQ_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrbfd_pq_result_compute(NULL, one, 3),
                  SVRBFD_PQ_ERR_INVALID_ARGUMENT);
}

/* Huge RTTs and jitter: no overflow, MOS clamps. */
static void test_result_huge(void) {
  svrbfd_pq_result r;
  uint64_t rtt[4] = {1, UINT64_MAX - 1, 1, UINT64_MAX - 1};
  CU_ASSERT_EQUAL(svrbfd_pq_result_compute(&r, rtt, 4), 0);
  CU_ASSERT_EQUAL(r.received, 4);
  CU_ASSERT(r.jitter_ms > 1e12);
  CU_ASSERT_EQUAL(r.mos, 1.0);
  CU_ASSERT_EQUAL(r.rtt_max_ns, UINT64_MAX - 1);
}

static void test_strerror(void) {
  CU_ASSERT_STRING_EQUAL(svrbfd_pq_strerror(SVRBFD_PQ_ERR_PKT_LATE),
                         "echo reply after the timeout");
  CU_ASSERT_STRING_EQUAL(svrbfd_pq_strerror(12345), "unknown error");
}

int main(void) {
  static const svr_test_case cases[] = {
      {"design_vectors", test_design_vectors},
      {"reference_vectors", test_reference_vectors},
      {"edges", test_edges},
      {"result_basic", test_result_basic},
      {"result_loss", test_result_loss},
      {"result_huge", test_result_huge},
      {"strerror", test_strerror},
      {NULL, NULL}};
  return svr_test_run("pq_mos", cases);
}
