/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the Internet checksum helpers (common/svr_cksum.h). */
#include "svr_cksum.h"
#include "svr_endian.h"
#include "svr_test.h"

/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static void test_rfc1071_example(void) {
  static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CU_ASSERT_EQUAL(svr_cksum_fold(svr_cksum_add(0, b, sizeof(b))), 0xddf2);
  CU_ASSERT_EQUAL(svr_cksum(b, sizeof(b)), 0x220d);
}

/* IPv4 header vector from the digest: checksum 0x3c60, verifies to 0. */
static void test_ipv4_header(void) {
  uint8_t h[20];
  CU_ASSERT_EQUAL(svr_test_unhex(h, sizeof(h),
                                 "4500002d1234400040060000c0000201c6336402"),
                  20);
  CU_ASSERT_EQUAL(svr_cksum(h, 20), 0x3c60);
  svr_put_be16(h + 10, 0x3c60);
  CU_ASSERT_EQUAL(svr_cksum(h, 20), 0);
}

/* Odd length pads with a zero byte; chained sums equal one sum. */
static void test_odd_and_chained(void) {
  static const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
  uint32_t s = svr_cksum_add(0, b, 4);
  s = svr_cksum_add(s, b + 4, 1);
  CU_ASSERT_EQUAL(svr_cksum_finish(s), svr_cksum(b, 5));
  CU_ASSERT_EQUAL(svr_cksum(b, 5), (uint16_t)~(0x1234 + 0x5678 + 0x9a00 -
                                               0x10000 + 1));
}

/* RFC 1624: incremental update equals recomputation, many random cases. */
static void test_incremental_matches_full(void) {
  uint64_t rs = 7;
  int i;
  for (i = 0; i < 10000; i++) {
    uint8_t buf[40];
    size_t j;
    uint16_t before, after, inc;
    uint32_t old32, new32;
    size_t off = (svr_test_rand(&rs) % 9) * 4;
    for (j = 0; j < sizeof(buf); j++) {
      buf[j] = (uint8_t)svr_test_rand(&rs);
    }
    before = svr_cksum(buf, sizeof(buf));
    old32 = svr_get_be32(buf + off);
    new32 = (uint32_t)svr_test_rand(&rs);
    if (i % 5 == 0) {
      new32 = 0; /* the RFC 1624 corner: fields going to zero */
    }
    svr_put_be32(buf + off, new32);
    after = svr_cksum(buf, sizeof(buf));
    inc = svr_cksum_update32(before, old32, new32);
    /* 0x0000 and 0xffff are the same number in one's complement. */
    CU_ASSERT_FATAL(inc == after || (inc == 0xffff && after == 0) ||
                    (inc == 0 && after == 0xffff));
  }
}

static const svr_test_case cases[] = {
    {"RFC 1071 example", test_rfc1071_example},
    {"IPv4 header vector", test_ipv4_header},
    {"odd length and chaining", test_odd_and_chained},
    {"RFC 1624 incremental update", test_incremental_matches_full},
    {NULL, NULL}};

int main(void) { return svr_test_run("common_cksum", cases); }
