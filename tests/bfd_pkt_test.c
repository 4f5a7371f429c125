/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrbfd packet codec and authentication: vectors from
 * /work/shared reference/rfc-algorithms.md section 1.3 (the SHA1 and MD5
 * digests were re-computed with python3 hashlib and `openssl dgst` before
 * being used here; the HMAC-SHA256 vector with python3 hmac), every
 * malformed-packet rule of RFC 5880 6.8.6 steps 1-6, and the sequence
 * windows of 6.7.3/6.7.4 including the uint32 wrap.
 */
#include <stdlib.h>
#include <string.h>

#include "bfd_int.h"
#include "svr_test.h"

#define VEC_SHA1_WIRE                                                          \
  "20c403340000000100000002000493e0000493e000000000041c0100000000107f180659e4" \
  "5dc8eb68aae04c74e7194c9f0d53ed"

static size_t unhex(uint8_t *out, size_t cap, const char *hex) {
  int n = svr_test_unhex(out, cap, hex);
  CU_ASSERT_FATAL(n >= 0);
  return (size_t)n;
}

/* Decodes from an exact-size heap copy so ASan sees any overread. */
static int decode_exact(svrbfd_pkt *p, const uint8_t *data, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  int rv;
  memcpy(copy, data, len);
  rv = svrbfd_pkt_decode(p, copy, len);
  free(copy);
  return rv;
}

static void test_plain_vectors(void) {
  uint8_t buf[64], out[64];
  svrbfd_pkt p;
  size_t n = unhex(buf, sizeof(buf),
                   "204003181122334400000000000f4240000f424000000000");
  CU_ASSERT_EQUAL(n, 24);
  CU_ASSERT_EQUAL(svrbfd_pkt_decode(&p, buf, n), 0);
  CU_ASSERT_EQUAL(p.version, 1);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(p.detect_mult, 3);
  CU_ASSERT_EQUAL(p.my_discr, 0x11223344u);
  CU_ASSERT_EQUAL(p.your_discr, 0);
  CU_ASSERT_EQUAL(p.desired_min_tx_us, 1000000u);
  CU_ASSERT_EQUAL(p.required_min_rx_us, 1000000u);
  CU_ASSERT_EQUAL(p.trailer_len, 0);
  CU_ASSERT_EQUAL(svrbfd_pkt_encode(out, sizeof(out), &p), 24);
  CU_ASSERT_EQUAL(memcmp(out, buf, 24), 0);

  n = unhex(buf, sizeof(buf),
            "20e003181122334455667788000493e0000493e00000c350");
  CU_ASSERT_EQUAL(svrbfd_pkt_decode(&p, buf, n), 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(p.poll, 1);
  CU_ASSERT_EQUAL(p.final, 0);
  CU_ASSERT_EQUAL(p.your_discr, 0x55667788u);
  CU_ASSERT_EQUAL(p.desired_min_tx_us, 300000u);
  CU_ASSERT_EQUAL(p.required_min_echo_rx_us, 50000u);
  CU_ASSERT_EQUAL(svrbfd_pkt_encode(out, sizeof(out), &p), 24);
  CU_ASSERT_EQUAL(memcmp(out, buf, 24), 0);
  CU_ASSERT_EQUAL(svrbfd_pkt_encode(out, 23, &p), SVRBFD_ERR_NOBUF);

  /* RFC 9764 padding / our trailer after Length is legal and exposed */
  memset(buf + 24, 0xab, 8);
  CU_ASSERT_EQUAL(svrbfd_pkt_decode(&p, buf, 32), 0);
  CU_ASSERT_EQUAL(p.trailer_len, 8);
  CU_ASSERT_PTR_EQUAL(p.trailer, buf + 24);
}

/* Every flag bit lands where RFC 5880 4.1 puts it. */
static void test_flag_bits(void) {
  svrbfd_pkt p, q;
  uint8_t out[24];
  int bit;
  for (bit = 0; bit < 6; bit++) {
    memset(&p, 0, sizeof(p));
    p.version = 1;
    p.state = SVRBFD_STATE_INIT;
    p.detect_mult = 5;
    p.my_discr = 7;
    p.poll = bit == 0;
    p.final = bit == 1;
    p.cpi = bit == 2;
    p.demand = bit == 4;
    p.diag = (uint8_t)(bit + 1);
    CU_ASSERT_EQUAL(svrbfd_pkt_encode(out, sizeof(out), &p), 24);
    CU_ASSERT_EQUAL(out[0], (uint8_t)(0x20 | (bit + 1)));
    CU_ASSERT_EQUAL(out[1], (uint8_t)(0x80 | (bit == 0 ? 0x20 : 0) |
                                      (bit == 1 ? 0x10 : 0) |
                                      (bit == 2 ? 0x08 : 0) |
                                      (bit == 4 ? 0x02 : 0)));
    CU_ASSERT_EQUAL(svrbfd_pkt_decode(&q, out, 24), 0);
    CU_ASSERT_EQUAL(q.poll, p.poll);
    CU_ASSERT_EQUAL(q.final, p.final);
    CU_ASSERT_EQUAL(q.cpi, p.cpi);
    CU_ASSERT_EQUAL(q.demand, p.demand);
    CU_ASSERT_EQUAL(q.diag, p.diag);
  }
}

static void test_malformed(void) {
  uint8_t good[64], b[64];
  svrbfd_pkt p;
  size_t n = unhex(good, sizeof(good),
                   "204003181122334400000000000f4240000f424000000000");
  size_t i;

  for (i = 0; i < 24; i++) { /* datagram shorter than 24 */
    CU_ASSERT_EQUAL(decode_exact(&p, good, i), SVRBFD_ERR_PKT_SHORT);
  }
  memcpy(b, good, n); /* step 1: version */
  b[0] = (uint8_t)((2 << 5) | (b[0] & 0x1f));
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_VERSION);
  b[0] = 0;
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_VERSION);
  memcpy(b, good, n); /* step 2: Length < 24 */
  b[3] = 23;
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_LENGTH);
  memcpy(b, good, n); /* step 2: A set and Length < 26 */
  b[1] |= 0x04;
  b[3] = 25;
  memset(b + 24, 0, 8);
  CU_ASSERT_EQUAL(decode_exact(&p, b, 32), SVRBFD_ERR_PKT_LENGTH);
  memcpy(b, good, n); /* step 3: Length > datagram */
  b[3] = 25;
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_LENGTH_EXCEEDS);
  memcpy(b, good, n); /* step 4 */
  b[2] = 0;
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_DETECT_MULT);
  memcpy(b, good, n); /* step 5 */
  b[1] |= 0x01;
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_MULTIPOINT);
  memcpy(b, good, n); /* step 6 */
  memset(b + 4, 0, 4);
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_MY_DISCR);
  /* auth shape: MD5 with Auth Len 23, Length consistent */
  memcpy(b, good, n);
  b[1] |= 0x04;
  b[3] = 24 + 23;
  memset(b + 24, 0, 40);
  b[24] = SVRBFD_AUTH_KEYED_MD5;
  b[25] = 23;
  CU_ASSERT_EQUAL(decode_exact(&p, b, 48), SVRBFD_ERR_PKT_AUTH_LEN);
  /* Auth Len disagrees with Length */
  b[25] = 24;
  b[3] = 24 + 26;
  CU_ASSERT_EQUAL(decode_exact(&p, b, 50), SVRBFD_ERR_PKT_AUTH_LEN);
  /* simple password with 0 bytes of password */
  b[24] = SVRBFD_AUTH_SIMPLE;
  b[25] = 3;
  b[3] = 27;
  CU_ASSERT_EQUAL(decode_exact(&p, b, 27), SVRBFD_ERR_PKT_AUTH_LEN);
  /* order: the first failing rule wins (version before everything) */
  memcpy(b, good, n);
  b[0] = 0x40;
  b[2] = 0;
  b[1] |= 1;
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), SVRBFD_ERR_PKT_VERSION);
}

/* Arbitrary bytes never crash and never read past the end. */
static void test_random_bytes(void) {
  uint64_t r = 42;
  uint8_t b[80];
  svrbfd_pkt p;
  int i;
  size_t k;
  for (i = 0; i < 20000; i++) {
    size_t len = (size_t)(svr_test_rand(&r) % sizeof(b));
    for (k = 0; k < len; k++) {
      b[k] = (uint8_t)svr_test_rand(&r);
    }
    if (len > 0) {
      b[0] = (uint8_t)(0x20 | (b[0] & 0x1f));
    }
    if (len > 3 && (i & 1)) {
      b[3] = (uint8_t)len;
    }
    if (decode_exact(&p, b, len) == 0) {
      CU_ASSERT(p.length <= len);
      CU_ASSERT(p.trailer + p.trailer_len <= b + len ||
                p.trailer_len == 0);
    }
  }
}

static void set_auth(svrbfd_auth *a, svrbfd_auth_type t, const char *key) {
  memset(a, 0, sizeof(*a));
  a->type = t;
  a->key_id = 1;
  a->key_len = (uint8_t)strlen(key);
  memcpy(a->key, key, a->key_len);
}

static void vec_pkt(uint8_t *buf, uint8_t type, uint8_t alen) {
  svrbfd_pkt p;
  memset(&p, 0, sizeof(p));
  p.version = 1;
  p.state = SVRBFD_STATE_UP;
  p.auth_present = 1;
  p.detect_mult = 3;
  p.length = (uint8_t)(24 + alen);
  p.my_discr = 1;
  p.your_discr = 2;
  p.desired_min_tx_us = 300000;
  p.required_min_rx_us = 300000;
  (void)svrbfd_pkt_encode(buf, 24, &p);
  buf[24] = type;
}

static void check_sign(svrbfd_auth_type t, size_t alen, const char *wire_hex,
                       const char *digest_hex) {
  svrbfd_auth a;
  uint8_t buf[64], want[64], dg[32];
  size_t dl;
  set_auth(&a, t, "secret");
  CU_ASSERT_EQUAL(svrbfd__auth_config_check(&a), 0);
  CU_ASSERT_EQUAL(svrbfd__auth_section_len(&a), alen);
  vec_pkt(buf, (uint8_t)t, (uint8_t)alen);
  CU_ASSERT_EQUAL(svrbfd__auth_sign(NULL, &a, 0x10, buf, 24 + alen), 0);
  { /* a session's state keyed once gives the same bytes, also reused */
    struct svr_hmac_sha256 *h = NULL;
    uint8_t buf2[64];
    CU_ASSERT_FATAL(svrbfd__auth_keyed_new(svrbfd__mem_default(), &a, &h) == 0);
    CU_ASSERT((h != NULL) == (t == SVRBFD_AUTH_HMAC_SHA256));
    vec_pkt(buf2, (uint8_t)t, (uint8_t)alen);
    CU_ASSERT_EQUAL(svrbfd__auth_sign(h, &a, 0x10, buf2, 24 + alen), 0);
    CU_ASSERT_EQUAL(memcmp(buf, buf2, 24 + alen), 0);
    vec_pkt(buf2, (uint8_t)t, (uint8_t)alen); /* the keyed state reused */
    CU_ASSERT_EQUAL(svrbfd__auth_sign(h, &a, 0x10, buf2, 24 + alen), 0);
    CU_ASSERT_EQUAL(memcmp(buf, buf2, 24 + alen), 0);
    svrbfd__auth_keyed_free(svrbfd__mem_default(), h);
  }
  if (wire_hex) {
    CU_ASSERT_EQUAL(unhex(want, sizeof(want), wire_hex), 24 + alen);
    CU_ASSERT_EQUAL(memcmp(buf, want, 24 + alen), 0);
  }
  if (digest_hex) {
    dl = unhex(dg, sizeof(dg), digest_hex);
    CU_ASSERT_EQUAL(memcmp(buf + 32, dg, dl), 0);
  }
}

static void test_auth_vectors(void) {
  /* Keyed SHA1 (4) wire packet from the digest, section 1.3 */
  check_sign(SVRBFD_AUTH_KEYED_SHA1, 28, VEC_SHA1_WIRE, NULL);
  check_sign(SVRBFD_AUTH_METICULOUS_KEYED_SHA1, 28, NULL,
             "defdaeec288907274fbfa2dbb4b69ed76d77d363");
  check_sign(SVRBFD_AUTH_KEYED_MD5, 24, NULL,
             "5673f375589dd1b76210d4ffc0ac0827");
  check_sign(SVRBFD_AUTH_SIMPLE, 9,
             "20c403210000000100000002000493e0000493e000000000010901736563726574",
             NULL);
  /* ours: HMAC-SHA256 over the 64-byte packet, HMAC field zeroed
   * (python3: hmac.new(b"secret", pkt, hashlib.sha256)) */
  check_sign(SVRBFD_AUTH_HMAC_SHA256, 40, NULL,
             "53cefd9eaf47f73074e0fec7b1b7bc4df7a85d72c1f0728dcb92a1e9c9db4dde");
}

static void test_auth_decode_vector(void) {
  uint8_t b[64];
  svrbfd_pkt p;
  size_t n = unhex(b, sizeof(b), VEC_SHA1_WIRE);
  CU_ASSERT_EQUAL(decode_exact(&p, b, n), 0);
  CU_ASSERT_EQUAL(svrbfd_pkt_decode(&p, b, n), 0); /* pointers into b */
  CU_ASSERT_EQUAL(p.auth_present, 1);
  CU_ASSERT_EQUAL(p.auth_type, SVRBFD_AUTH_KEYED_SHA1);
  CU_ASSERT_EQUAL(p.auth_len, 28);
  CU_ASSERT_EQUAL(p.auth_key_id, 1);
  CU_ASSERT_EQUAL(p.auth_seq, 0x10);
  CU_ASSERT_EQUAL(p.auth_data_len, 20);
  CU_ASSERT_EQUAL(p.auth_data[0], 0x7f);
}

static void test_seq_windows(void) {
  svrbfd_auth_type k = SVRBFD_AUTH_KEYED_SHA1;
  svrbfd_auth_type m = SVRBFD_AUTH_METICULOUS_KEYED_SHA1;
  /* unknown: anything */
  CU_ASSERT(svrbfd__auth_seq_ok(m, 0, 100, 5, 3));
  /* keyed: [rcv, rcv + 3M] */
  CU_ASSERT(svrbfd__auth_seq_ok(k, 1, 100, 100, 3));
  CU_ASSERT(svrbfd__auth_seq_ok(k, 1, 100, 109, 3));
  CU_ASSERT(!svrbfd__auth_seq_ok(k, 1, 100, 110, 3));
  CU_ASSERT(!svrbfd__auth_seq_ok(k, 1, 100, 99, 3));
  /* meticulous: [rcv + 1, rcv + 3M] */
  CU_ASSERT(!svrbfd__auth_seq_ok(m, 1, 100, 100, 3));
  CU_ASSERT(svrbfd__auth_seq_ok(m, 1, 100, 101, 3));
  CU_ASSERT(svrbfd__auth_seq_ok(m, 1, 100, 109, 3));
  CU_ASSERT(!svrbfd__auth_seq_ok(m, 1, 100, 110, 3));
  /* the window is the received Detect Mult's */
  CU_ASSERT(svrbfd__auth_seq_ok(m, 1, 100, 115, 5));
  CU_ASSERT(!svrbfd__auth_seq_ok(m, 1, 100, 116, 5));
  /* uint32 wrap */
  CU_ASSERT(svrbfd__auth_seq_ok(m, 1, 0xfffffffeu, 0xffffffffu, 3));
  CU_ASSERT(svrbfd__auth_seq_ok(m, 1, 0xfffffffeu, 0u, 3));
  CU_ASSERT(svrbfd__auth_seq_ok(m, 1, 0xfffffffeu, 7u, 3));
  CU_ASSERT(!svrbfd__auth_seq_ok(m, 1, 0xfffffffeu, 8u, 3));
  CU_ASSERT(!svrbfd__auth_seq_ok(m, 1, 0xfffffffeu, 0xfffffffeu, 3));
  CU_ASSERT(svrbfd__auth_seq_ok(k, 1, 0xfffffffau, 0xfffffffau, 3));
  CU_ASSERT(svrbfd__auth_seq_ok(k, 1, 0xfffffffau, 2u, 3));
  CU_ASSERT(!svrbfd__auth_seq_ok(k, 1, 0xfffffffau, 4u, 3));
  CU_ASSERT(!svrbfd__auth_seq_ok(k, 1, 3u, 0xffffffffu, 3));
  /* HMAC-SHA256 sequences meticulously */
  CU_ASSERT(!svrbfd__auth_seq_ok(SVRBFD_AUTH_HMAC_SHA256, 1, 9, 9, 3));
}

static void test_auth_config(void) {
  svrbfd_auth a;
  set_auth(&a, SVRBFD_AUTH_SIMPLE, "0123456789abcdefX");
  CU_ASSERT_EQUAL(svrbfd__auth_config_check(&a), SVRBFD_ERR_AUTH_CONFIG);
  set_auth(&a, SVRBFD_AUTH_KEYED_SHA1, "0123456789abcdef0123");
  CU_ASSERT_EQUAL(svrbfd__auth_config_check(&a), 0);
  a.key_len = 21;
  CU_ASSERT_EQUAL(svrbfd__auth_config_check(&a), SVRBFD_ERR_AUTH_CONFIG);
  a.key_len = 0;
  CU_ASSERT_EQUAL(svrbfd__auth_config_check(&a), SVRBFD_ERR_AUTH_CONFIG);
  set_auth(&a, SVRBFD_AUTH_HMAC_SHA256, "k");
  a.key_len = 64;
  CU_ASSERT_EQUAL(svrbfd__auth_config_check(&a), 0);
  a.type = (svrbfd_auth_type)7;
  CU_ASSERT_EQUAL(svrbfd__auth_config_check(&a), SVRBFD_ERR_AUTH_CONFIG);
}

static void test_strings(void) {
  int c;
  for (c = -317; c <= -300; c++) {
    CU_ASSERT_STRING_NOT_EQUAL(svrbfd_strerror(c), "unknown error");
    CU_ASSERT(!svrbfd_err_is_fatal(c));
  }
  CU_ASSERT(svrbfd_err_is_fatal(SVRBFD_ERR_NOMEM));
  CU_ASSERT_STRING_EQUAL(svrbfd_state_name(SVRBFD_STATE_ADMIN_DOWN),
                         "admin-down");
  CU_ASSERT_STRING_EQUAL(svrbfd_diag_name(SVRBFD_DIAG_CTL_DETECT_EXPIRED),
                         "control detection time expired");
  CU_ASSERT_PTR_NOT_NULL(svrbfd_version(0));
  CU_ASSERT_PTR_NULL(svrbfd_version(0x7fffffff));
  CU_ASSERT_EQUAL(svrbfd_version(0)->version_num, SVRBFD_VERSION_NUM);
}

static const svr_test_case cases[] = {
    {"plain packet vectors encode/decode", test_plain_vectors},
    {"flag bit positions", test_flag_bits},
    {"every 6.8.6 malformation has its code", test_malformed},
    {"random bytes stay in bounds", test_random_bytes},
    {"auth digest vectors (SHA1, MD5, simple, HMAC-SHA256)", test_auth_vectors},
    {"auth section decode", test_auth_decode_vector},
    {"sequence windows incl. uint32 wrap", test_seq_windows},
    {"auth config checks", test_auth_config},
    {"error, state and diag names", test_strings},
    {NULL, NULL}};

int main(void) { return svr_test_run("bfd_pkt", cases); }
