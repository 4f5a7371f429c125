/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwd: SVR metadata encode/decode for every TLV, byte-exact against
 * the layouts of the digest (DESIGN.md section 4 / reference section 1.5),
 * decoder error cases, and checksum update vectors of the rewrite path.
 */
#include <stdio.h>
#include <string.h>

#include <svrfwd/svrfwd.h>

#include "fwd_int.h"
#include "fwd_test_util.h"

#define COOKIE "4c48dbc6ddf6670c"

static const char *s_acme = "acme";

static svrfwd_bytes bs(const char *s) {
  svrfwd_bytes b;
  b.p = (const uint8_t *)s;
  b.len = (uint16_t)strlen(s);
  return b;
}

/* Encodes |m|, compares with |hex|, decodes it back and re-encodes. */
static void roundtrip(const svrfwd_meta *m, const char *hex) {
  uint8_t want[512], got[512], again[512];
  int n = svr_test_unhex(want, sizeof(want), hex);
  svrfwd_ssize e, d, e2;
  svrfwd_meta back;
  size_t need = 0;
  CU_ASSERT_FATAL(n > 0);
  e = svrfwd_meta_encode(NULL, 0, m, &need);
  CU_ASSERT_EQUAL(e, SVRFWD_ERR_NOBUF);
  CU_ASSERT_EQUAL(need, (size_t)n);
  e = svrfwd_meta_encode(got, sizeof(got), m, NULL);
  CU_ASSERT_EQUAL_FATAL(e, n);
  CU_ASSERT(memcmp(got, want, (size_t)n) == 0);
  d = svrfwd_meta_decode(&back, want, (size_t)n);
  CU_ASSERT_EQUAL_FATAL(d, n);
  CU_ASSERT_EQUAL(back.present, m->present);
  CU_ASSERT_EQUAL(back.in_header, m->in_header & m->present);
  e2 = svrfwd_meta_encode(again, sizeof(again), &back, NULL);
  CU_ASSERT_EQUAL(e2, n);
  CU_ASSERT(memcmp(again, want, (size_t)n) == 0);
}

static void flow4(svrfwd_flow *f) {
  memset(f, 0, sizeof(*f));
  f->family = 4;
  f->proto = 6;
  ft_v4(f->src, 10, 0, 0, 5);
  ft_v4(f->dst, 10, 1, 0, 9);
  f->sport = 12345;
  f->dport = 80;
}

static void flow6(svrfwd_flow *f) {
  memset(f, 0, sizeof(*f));
  f->family = 6;
  f->proto = 17;
  f->src[0] = 0x20;
  f->src[1] = 0x01;
  f->src[2] = 0x0d;
  f->src[3] = 0xb8;
  f->src[15] = 1;
  memcpy(f->dst, f->src, 16);
  f->dst[15] = 2;
  f->sport = 5353;
  f->dport = 53;
}

static void test_base_header(void) {
  svrfwd_meta m;
  memset(&m, 0, sizeof(m));
  /* the bare header is also the false-positive marker */
  roundtrip(&m, COOKIE "100c 0000");
}

static void test_ctx_tlvs(void) {
  svrfwd_meta m;
  memset(&m, 0, sizeof(m));
  m.present = SVRFWD_META_FWD_CTX;
  flow4(&m.fwd_ctx);
  /* type 2, 13 bytes: src, dst, sport, dport, proto */
  roundtrip(&m, COOKIE "100c 0011 0002000d 0a000005 0a010009 3039 0050 06");
  m.present = SVRFWD_META_REV_CTX;
  flow4(&m.rev_ctx);
  roundtrip(&m, COOKIE "100c 0011 0004000d 0a000005 0a010009 3039 0050 06");
  m.present = SVRFWD_META_FWD_CTX;
  flow6(&m.fwd_ctx);
  /* type 3, 37 bytes */
  roundtrip(&m, COOKIE "100c 0029 00030025"
                       "20010db8000000000000000000000001"
                       "20010db8000000000000000000000002 14e9 0035 11");
  m.present = SVRFWD_META_REV_CTX;
  flow6(&m.rev_ctx);
  roundtrip(&m, COOKIE "100c 0029 00050025"
                       "20010db8000000000000000000000001"
                       "20010db8000000000000000000000002 14e9 0035 11");
}

static void test_string_tlvs(void) {
  svrfwd_meta m;
  memset(&m, 0, sizeof(m));
  m.present = SVRFWD_META_TENANT;
  m.tenant = bs(s_acme);
  roundtrip(&m, COOKIE "100c 0008 00070004 61636d65");
  m.present = SVRFWD_META_SERVICE;
  m.service = bs("web");
  roundtrip(&m, COOKIE "100c 0007 000a0003 776562");
  m.present = SVRFWD_META_SOURCE_ROUTER;
  m.source_router = bs("r1");
  roundtrip(&m, COOKIE "100c 0006 000e0002 7231");
  m.present = SVRFWD_META_DEST_ROUTER;
  m.dest_router = bs("r2");
  roundtrip(&m, COOKIE "100c 0006 00110002 7232");
  m.present = SVRFWD_META_PATHWAY_ID;
  m.pathway_id = bs("eth0");
  roundtrip(&m, COOKIE "100c 0008 00130004 65746830");
}

static void test_flag_tlvs(void) {
  svrfwd_meta m;
  memset(&m, 0, sizeof(m));
  m.present = SVRFWD_META_ENCRYPTED;
  roundtrip(&m, COOKIE "100c 0004 000b0000");
  m.present = SVRFWD_META_TCP_SYN;
  roundtrip(&m, COOKIE "100c 0004 000c0000");
  m.present = SVRFWD_META_DISABLE_FWD;
  roundtrip(&m, COOKIE "100c 0004 00120000");
}

static void test_fixed_tlvs(void) {
  svrfwd_meta m;
  int i;
  memset(&m, 0, sizeof(m));
  m.present = SVRFWD_META_UUID;
  for (i = 0; i < 16; i++) {
    m.uuid[i] = (uint8_t)(0xa0 + i);
  }
  roundtrip(&m, COOKIE "100c 0014 00060010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  /* header TLVs: security ID (16), fragment (1), control (24), metrics (26) */
  memset(&m, 0, sizeof(m));
  m.present = m.in_header = SVRFWD_META_SECURITY_ID;
  m.security_id = 0x01020304;
  roundtrip(&m, COOKIE "1014 0000 00100004 01020304");
  m.present = m.in_header = SVRFWD_META_FRAGMENT;
  memcpy(m.fragment, "\x00\x00\x00\x2a\x12\x34\x20\x05\x05\xdc", 10);
  roundtrip(&m, COOKIE "101a 0000 0001000a 0000002a 1234 2005 05dc");
  m.present = m.in_header = SVRFWD_META_CONTROL;
  m.control = 3; /* disable SVR metadata */
  roundtrip(&m, COOKIE "1011 0000 00180001 03");
  m.present = m.in_header = SVRFWD_META_PATH_METRICS;
  memcpy(m.path_metrics, "\x10\x00\x00\x64\x20\x00\x00\xc8\x80\x05", 10);
  roundtrip(&m, COOKIE "101a 0000 001a000a 10000064 200000c8 8005");
  /* our private TLVs */
  m.present = m.in_header = SVRFWD_META_SEQ | SVRFWD_META_TIME;
  m.seq = 0x1122334455667788ull;
  m.time_ms = 1000;
  roundtrip(&m, COOKIE "1024 0000 e0800008 1122334455667788"
                       "e0810008 00000000000003e8");
  m.present = SVRFWD_META_L4_CKSUM;
  m.in_header = 0;
  m.l4_cksum = 0xbeef;
  roundtrip(&m, COOKIE "100c 0006 e0820002 beef");
}

/* What ingress sends on a first packet: header and payload areas together. */
static void test_first_packet_layout(void) {
  svrfwd_meta m, d;
  uint8_t buf[512];
  svrfwd_ssize n;
  memset(&m, 0, sizeof(m));
  m.present = SVRFWD_META_SECURITY_ID | SVRFWD_META_SEQ | SVRFWD_META_UUID |
              SVRFWD_META_FWD_CTX | SVRFWD_META_TENANT |
              SVRFWD_META_SERVICE | SVRFWD_META_SOURCE_ROUTER |
              SVRFWD_META_ENCRYPTED | SVRFWD_META_L4_CKSUM;
  m.in_header = SVRFWD_META_SECURITY_ID | SVRFWD_META_SEQ | SVRFWD_META_UUID;
  m.security_id = 7;
  m.seq = 1;
  flow4(&m.fwd_ctx);
  m.tenant = bs("t");
  m.service = bs("s");
  m.source_router = bs("r");
  n = svrfwd_meta_encode(buf, sizeof(buf), &m, NULL);
  CU_ASSERT_FATAL(n > 0);
  /* header length = 12 + (4+4) + (4+8) + (4+16) = 52 */
  CU_ASSERT_EQUAL(svr_get_be16(buf + 8), 0x1000 | 52);
  /* payload = ctx 17 + 5 + 5 + 5 + 4 + cksum 6 = 42 */
  CU_ASSERT_EQUAL(svr_get_be16(buf + 10), 42);
  CU_ASSERT_EQUAL(n, 52 + 42);
  CU_ASSERT_EQUAL(svrfwd_meta_decode(&d, buf, (size_t)n), n);
  CU_ASSERT_EQUAL(d.present, m.present);
  CU_ASSERT_EQUAL(d.in_header, m.in_header);
  CU_ASSERT(svrfwd__flow_eq(&d.fwd_ctx, &m.fwd_ctx));
  CU_ASSERT(d.tenant.len == 1 && d.tenant.p[0] == 't');
}

static void expect_err(const char *hex, svrfwd_ssize err) {
  uint8_t b[256];
  svrfwd_meta m;
  int n = svr_test_unhex(b, sizeof(b), hex);
  CU_ASSERT_FATAL(n >= 0);
  svrfwd_ssize got = svrfwd_meta_decode(&m, b, (size_t)n);
  if (got != err) {
    fprintf(stderr, "%s: got %ld want %ld\n", hex, (long)got, (long)err);
  }
  CU_ASSERT_EQUAL(got, err);
}

static void test_decode_errors(void) {
  expect_err(COOKIE "100c", SVRFWD_ERR_PKT_META_SHORT);
  expect_err("4c48dbc6ddf6670d 100c 0000", SVRFWD_ERR_PKT_META_COOKIE);
  expect_err(COOKIE "200c 0000", SVRFWD_ERR_PKT_META_VERSION);
  expect_err(COOKIE "100b 0000", SVRFWD_ERR_PKT_META_HDRLEN);
  expect_err(COOKIE "1010 0000 0000", SVRFWD_ERR_PKT_META_HDRLEN);
  expect_err(COOKIE "100c 0005 0000", SVRFWD_ERR_PKT_META_PAYLEN);
  expect_err(COOKIE "100c 0005 000a0003 77", SVRFWD_ERR_PKT_META_TLV);
  expect_err(COOKIE "100c 0003 000a00", SVRFWD_ERR_PKT_META_TLV);
  /* known types with the wrong length */
  expect_err(COOKIE "100c 0010 0002000c 0a0000050a01000930390050",
             SVRFWD_ERR_PKT_META_TLV);
  expect_err(COOKIE "1011 0000 00100001 00", SVRFWD_ERR_PKT_META_TLV);
  expect_err(COOKIE "100c 0005 00120001 00", SVRFWD_ERR_PKT_META_TLV);
  expect_err(COOKIE "100c 0013 0006000f 000000000000000000000000000000",
             SVRFWD_ERR_PKT_META_TLV);
  /* unknown types are skipped by length; trailing payload is not metadata */
  expect_err(COOKIE "1013 0004 7777 0003 aabbcc 000b0000 deadbeef", 23);
}

/* RFC 1624 section 4 example and the rewrite path against recomputation. */
static void test_cksum_vectors(void) {
  uint64_t rs = 99;
  int i;
  CU_ASSERT_EQUAL(svr_cksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
  for (i = 0; i < 2000; i++) {
    ft_pkt p;
    fwd_pkt pp;
    svrfwd_flow f;
    uint8_t src[4], dst[4], pay[64];
    size_t j, plen = (size_t)(svr_test_rand(&rs) % 60);
    uint8_t proto = (i & 1) ? 6 : 17;
    for (j = 0; j < 4; j++) {
      src[j] = (uint8_t)svr_test_rand(&rs);
      dst[j] = (uint8_t)svr_test_rand(&rs);
    }
    for (j = 0; j < plen; j++) {
      pay[j] = (uint8_t)svr_test_rand(&rs);
    }
    ft_build_v4(&p, proto, src, dst, (uint16_t)svr_test_rand(&rs),
                (uint16_t)svr_test_rand(&rs), pay, plen, 64, 0x10);
    CU_ASSERT_FATAL(ft_cksums_ok(&p));
    CU_ASSERT_FATAL(svrfwd__pkt_parse(&pp, ft_ip(&p), p.b.len) == 0);
    f = pp.flow;
    for (j = 0; j < 4; j++) {
      f.src[j] = (uint8_t)svr_test_rand(&rs);
      f.dst[j] = (i % 7 == 0) ? 0 : (uint8_t)svr_test_rand(&rs);
    }
    f.sport = (uint16_t)svr_test_rand(&rs);
    f.dport = (i % 5 == 0) ? 0 : (uint16_t)svr_test_rand(&rs);
    svrfwd__pkt_rewrite(&pp, &f, 1);
    CU_ASSERT(ft_cksums_ok(&p));
    CU_ASSERT(memcmp(ft_ip(&p) + 12, f.src, 4) == 0);
    CU_ASSERT_EQUAL(svr_get_be16(ft_ip(&p) + 22), f.dport);
  }
  /* a UDP checksum of 0 ("none") stays 0 */
  {
    ft_pkt p;
    fwd_pkt pp;
    svrfwd_flow f;
    uint8_t a[4] = {1, 2, 3, 4};
    ft_build_v4(&p, 17, a, a, 1, 2, (const uint8_t *)"x", 1, 64, 0);
    svr_put_be16(ft_ip(&p) + 26, 0);
    CU_ASSERT_FATAL(svrfwd__pkt_parse(&pp, ft_ip(&p), p.b.len) == 0);
    f = pp.flow;
    f.sport = 999;
    svrfwd__pkt_rewrite(&pp, &f, 1);
    CU_ASSERT_EQUAL(svr_get_be16(ft_ip(&p) + 26), 0);
  }
}

int main(void) {
  static const svr_test_case cases[] = {
      {"base_header", test_base_header},
      {"ctx_tlvs", test_ctx_tlvs},
      {"string_tlvs", test_string_tlvs},
      {"flag_tlvs", test_flag_tlvs},
      {"fixed_tlvs", test_fixed_tlvs},
      {"first_packet_layout", test_first_packet_layout},
      {"decode_errors", test_decode_errors},
      {"cksum_vectors", test_cksum_vectors},
      {NULL, NULL}};
  return svr_test_run("fwd_meta", cases);
}
