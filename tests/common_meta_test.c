/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the SVR metadata block and TLV codec (common/svr_meta.h). */
#include <string.h>

#include "svr_meta.h"
#include "svr_test.h"

static void test_roundtrip(void) {
  uint8_t buf[128];
  svr_tlv_writer w;
  svr_meta_hdr h;
  svr_tlv_iter it;
  svr_tlv t;
  uint16_t hdr_len;

  svr_tlv_writer_init(&w, buf + SVR_META_HDR_LEN, sizeof(buf) - SVR_META_HDR_LEN);
  svr_tlv_put_u16(&w, SVR_TLV_CTRL_KIND, SVR_CTRL_ECHO_REQUEST);
  hdr_len = (uint16_t)(SVR_META_HDR_LEN + w.len);
  svr_tlv_put_str(&w, SVR_TLV_SOURCE_ROUTER, "burl-corp");
  svr_tlv_put(&w, SVR_TLV_DISABLE_FWD_META, NULL, 0);
  CU_ASSERT_FALSE(w.overflow);
  svr_meta_hdr_encode(buf, hdr_len, (uint16_t)(w.len - (hdr_len - SVR_META_HDR_LEN)));

  CU_ASSERT_EQUAL(buf[0], 0x4c);
  CU_ASSERT_EQUAL(buf[8], 0x10); /* version 1, header length 18 = 0x012 */
  CU_ASSERT_EQUAL(buf[9], 0x12);
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, SVR_META_HDR_LEN + w.len), 0);
  CU_ASSERT_EQUAL(h.hdr_len, 18);
  CU_ASSERT_EQUAL(h.payload_len, 4 + 9 + 4);
  CU_ASSERT_EQUAL(svr_ctrl_kind(&h), SVR_CTRL_ECHO_REQUEST);
  svr_tlv_iter_init(&it, h.payload_tlvs, h.payload_tlvs_len);
  CU_ASSERT_EQUAL(svr_tlv_next(&it, &t), 1);
  CU_ASSERT_EQUAL(t.type, SVR_TLV_SOURCE_ROUTER);
  CU_ASSERT_EQUAL(t.len, 9);
  CU_ASSERT_EQUAL(memcmp(t.value, "burl-corp", 9), 0);
  CU_ASSERT_EQUAL(svr_tlv_next(&it, &t), 1);
  CU_ASSERT_EQUAL(t.type, SVR_TLV_DISABLE_FWD_META);
  CU_ASSERT_EQUAL(t.len, 0);
  CU_ASSERT_EQUAL(svr_tlv_next(&it, &t), 0);
}

static void test_malformed(void) {
  uint8_t buf[32];
  svr_meta_hdr h;
  memset(buf, 0, sizeof(buf));
  svr_meta_hdr_encode(buf, 12, 0);
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 11), SVR_META_ERR_SHORT);
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 12), 0);
  buf[3] ^= 1;
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 12), SVR_META_ERR_COOKIE);
  buf[3] ^= 1;
  buf[8] = 0x20; /* version 2 */
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 12), SVR_META_ERR_VERSION);
  svr_meta_hdr_encode(buf, 11, 0);
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 12), SVR_META_ERR_HDRLEN);
  svr_meta_hdr_encode(buf, 20, 0);
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 16), SVR_META_ERR_HDRLEN);
  svr_meta_hdr_encode(buf, 12, 5);
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 16), SVR_META_ERR_PAYLEN);
  CU_ASSERT_EQUAL(svr_meta_hdr_decode(&h, buf, 17), 0);
  CU_ASSERT_EQUAL(svr_ctrl_kind(&h), SVR_META_ERR_TLV); /* no kind TLV */
}

static void test_tlv_truncation(void) {
  /* type 14, length 5, but only 3 value bytes follow */
  static const uint8_t b[] = {0x00, 0x0e, 0x00, 0x05, 'a', 'b', 'c'};
  svr_tlv_iter it;
  svr_tlv t;
  svr_tlv_iter_init(&it, b, sizeof(b));
  CU_ASSERT_EQUAL(svr_tlv_next(&it, &t), SVR_META_ERR_TLV);
  svr_tlv_iter_init(&it, b, 3); /* shorter than a TLV header */
  CU_ASSERT_EQUAL(svr_tlv_next(&it, &t), SVR_META_ERR_TLV);
}

static void test_writer_overflow_counts(void) {
  uint8_t buf[6];
  svr_tlv_writer w;
  svr_tlv_writer_init(&w, buf, sizeof(buf));
  svr_tlv_put_u16(&w, 1, 2);      /* 6 bytes: fits */
  CU_ASSERT_FALSE(w.overflow);
  svr_tlv_put_u32(&w, 2, 3);      /* 8 more: does not */
  CU_ASSERT_TRUE(w.overflow);
  CU_ASSERT_EQUAL(w.len, 14);     /* the size the caller would need */
}

static void test_demux(void) {
  uint8_t bfd[24] = {0x20, 0x40};
  uint8_t ctl[12];
  svr_meta_hdr_encode(ctl, 12, 0);
  CU_ASSERT_EQUAL(svr_demux_classify(bfd, sizeof(bfd)), SVR_DEMUX_BFD);
  CU_ASSERT_EQUAL(svr_demux_classify(ctl, sizeof(ctl)), SVR_DEMUX_CONTROL);
  bfd[0] = 0x40;
  CU_ASSERT_EQUAL(svr_demux_classify(bfd, sizeof(bfd)), SVR_DEMUX_UNKNOWN);
  CU_ASSERT_EQUAL(svr_demux_classify(bfd, 0), SVR_DEMUX_UNKNOWN);
}

static const svr_test_case cases[] = {
    {"encode/decode round trip", test_roundtrip},
    {"malformed headers", test_malformed},
    {"truncated TLVs", test_tlv_truncation},
    {"writer reports needed size", test_writer_overflow_counts},
    {"peer-path port demux rule", test_demux},
    {NULL, NULL}};

int main(void) { return svr_test_run("common_meta", cases); }
