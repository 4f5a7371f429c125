/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 reassembly of the data plane (cli/glue/fwd_reasm.c): fragments in
 * order, reversed, duplicated, overlapping consistently and not, a second
 * last fragment, timeouts and slot eviction.
 */
#include <stdlib.h>
#include <string.h>

#include "fwd_reasm.h"
#include "svr_cksum.h"
#include "svr_endian.h"
#include "svr_test.h"

static uint8_t payload[4000];

/* One fragment of datagram |id|: payload bytes [off, off+len). */
static size_t frag(uint8_t *out, uint16_t id, size_t off, size_t len,
                   int more) {
  memset(out, 0, 20);
  out[0] = 0x45;
  svr_put_be16(out + 2, (uint16_t)(20 + len));
  svr_put_be16(out + 4, id);
  svr_put_be16(out + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
  out[8] = 64;
  out[9] = 17;
  out[12] = 192, out[13] = 168, out[14] = 50, out[15] = 1;
  out[16] = 192, out[17] = 168, out[18] = 50, out[19] = 2;
  svr_put_be16(out + 10, svr_cksum(out, 20));
  /* far offsets (the 65535 check) carry arbitrary bytes */
  memcpy(out + 20, payload + (off + len <= sizeof(payload) ? off : 0), len);
  return 20 + len;
}

static uint8_t whole[65536], f[3000];

static void check_whole(ptrdiff_t n, size_t plen) {
  CU_ASSERT_EQUAL_FATAL(n, (ptrdiff_t)(20 + plen));
  CU_ASSERT_EQUAL(svr_get_be16(whole + 2), 20 + plen);
  CU_ASSERT_EQUAL(svr_get_be16(whole + 6) & 0x3fff, 0);
  CU_ASSERT_EQUAL(svr_cksum(whole, 20), 0);
  CU_ASSERT(memcmp(whole + 20, payload, plen) == 0);
}

static void test_orders(void) {
  fwd_reasm r;
  size_t n;
  CU_ASSERT_EQUAL_FATAL(fwd_reasm_init(&r, 2000000000u), 0);
  /* in order: 1480 + 1480 + 40 */
  n = frag(f, 1, 0, 1480, 1);
  CU_ASSERT(fwd_reasm_is_fragment(f, n));
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 1, whole, sizeof(whole)), 0);
  n = frag(f, 1, 1480, 1480, 1);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 2, whole, sizeof(whole)), 0);
  n = frag(f, 1, 2960, 40, 0);
  check_whole(fwd_reasm_add(&r, f, n, 3, whole, sizeof(whole)), 3000);
  /* reversed, with a duplicate in the middle and an odd last length */
  n = frag(f, 2, 2960, 37, 0);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 4, whole, sizeof(whole)), 0);
  n = frag(f, 2, 1480, 1480, 1);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 5, whole, sizeof(whole)), 0);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 5, whole, sizeof(whole)), 0);
  n = frag(f, 2, 0, 1480, 1);
  check_whole(fwd_reasm_add(&r, f, n, 6, whole, sizeof(whole)), 2997);
  /* an overlap that repeats the same bytes is accepted */
  n = frag(f, 3, 0, 1480, 1);
  fwd_reasm_add(&r, f, n, 7, whole, sizeof(whole));
  n = frag(f, 3, 1000, 1000, 0);
  check_whole(fwd_reasm_add(&r, f, n, 8, whole, sizeof(whole)), 2000);
  CU_ASSERT_EQUAL(r.completed, 3);
  CU_ASSERT_EQUAL(r.bad, 0);
  fwd_reasm_free(&r);
}

static void test_bad(void) {
  fwd_reasm r;
  size_t n;
  CU_ASSERT_EQUAL_FATAL(fwd_reasm_init(&r, 2000000000u), 0);
  /* overlapping with other bytes: dropped */
  n = frag(f, 9, 0, 1480, 1);
  fwd_reasm_add(&r, f, n, 1, whole, sizeof(whole));
  n = frag(f, 9, 1000, 1000, 0);
  f[20] ^= 1;
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 2, whole, sizeof(whole)), -1);
  /* the rest of that datagram no longer completes it */
  n = frag(f, 9, 1480, 520, 0);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 3, whole, sizeof(whole)), 0);
  /* two different last fragments */
  n = frag(f, 10, 800, 40, 0);
  fwd_reasm_add(&r, f, n, 4, whole, sizeof(whole));
  n = frag(f, 10, 800, 48, 0);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 5, whole, sizeof(whole)), -1);
  /* a middle fragment that is not a multiple of 8 */
  n = frag(f, 11, 0, 1001, 1);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 6, whole, sizeof(whole)), -1);
  /* beyond 65535 */
  n = frag(f, 12, 65000, 1000, 0);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 7, whole, sizeof(whole)), -1);
  /* truncated header / length field beyond the buffer */
  n = frag(f, 13, 0, 100, 1);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, 19, 8, whole, sizeof(whole)), -1);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n - 1, 8, whole, sizeof(whole)), -1);
  CU_ASSERT_EQUAL(r.bad, 6);
  CU_ASSERT_EQUAL(r.completed, 0);
  fwd_reasm_free(&r);
}

static void test_timeout_evict(void) {
  fwd_reasm r;
  size_t n, i;
  CU_ASSERT_EQUAL_FATAL(fwd_reasm_init(&r, 1000), 0);
  n = frag(f, 20, 0, 1480, 1);
  fwd_reasm_add(&r, f, n, 100, whole, sizeof(whole));
  /* its tail comes after the timeout: the head is gone */
  n = frag(f, 20, 1480, 100, 0);
  CU_ASSERT_EQUAL(fwd_reasm_add(&r, f, n, 2000, whole, sizeof(whole)), 0);
  CU_ASSERT_EQUAL(r.timed_out, 1);
  /* more datagrams in flight than slots: the oldest is evicted */
  for (i = 0; i < FWD_REASM_SLOTS + 1; i++) {
    n = frag(f, (uint16_t)(100 + i), 0, 8, 1);
    fwd_reasm_add(&r, f, n, 2001 + i, whole, sizeof(whole));
  }
  CU_ASSERT(r.evicted >= 1);
  /* the newest still completes */
  n = frag(f, (uint16_t)(100 + FWD_REASM_SLOTS), 8, 8, 0);
  check_whole(fwd_reasm_add(&r, f, n, 2100, whole, sizeof(whole)), 16);
  fwd_reasm_free(&r);
}

int main(void) {
  static const svr_test_case cases[] = {{"orders", test_orders},
                                        {"bad", test_bad},
                                        {"timeout_evict", test_timeout_evict},
                                        {NULL, NULL}};
  size_t i;
  for (i = 0; i < sizeof(payload); i++) {
    payload[i] = (uint8_t)(i * 7 + 3);
  }
  return svr_test_run("fwd_reasm", cases);
}
