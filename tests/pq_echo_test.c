/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the echo datagram codec and the reflector (libsvrbfd pq). */
#include <string.h>

#include <svrbfd/svrbfd_pq.h>

#include "svr_meta.h"
#include "svr_test.h"

static svrbfd_pq_echo req_template(void) {
  svrbfd_pq_echo e;
  memset(&e, 0, sizeof(e));
  e.token = 0x01020304;
  e.burst = 7;
  e.seq = 0xfffffffe;
  e.tx_ts = 0x1122334455667788ULL;
  return e;
}

/* The exact bytes of a request without padding (docs/libsvrbfd-pq.md). */
static void test_request_bytes(void) {
  uint8_t buf[128], want[128];
  svrbfd_pq_echo e = req_template(), d;
  int wn = svr_test_unhex(want, sizeof(want),
      "4c48dbc6ddf6670c" "1012" "0024"  /* cookie, v1 hdr 18, payload 36 */
      "e0000002" "0001"                 /* kind: echo request */
      "e0300004" "01020304"             /* token */
      "e0310004" "00000007"             /* burst */
      "e0320004" "fffffffe"             /* sequence */
      "e0330008" "1122334455667788");   /* sender tx timestamp */
  svrbfd_ssize n = svrbfd_pq_echo_encode(buf, sizeof(buf), &e);
  CU_ASSERT_EQUAL(n, 54);
  CU_ASSERT_EQUAL(wn, 54);
  CU_ASSERT_EQUAL(memcmp(buf, want, 54), 0);
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, buf, (size_t)n), 0);
  CU_ASSERT_EQUAL(d.reply, 0);
  CU_ASSERT_EQUAL(d.token, e.token);
  CU_ASSERT_EQUAL(d.burst, 7);
  CU_ASSERT_EQUAL(d.seq, 0xfffffffe);
  CU_ASSERT_EQUAL(d.tx_ts, e.tx_ts);
  CU_ASSERT_EQUAL(d.pad_len, 0);
  /* every shorter buffer is refused and nothing is written past it */
  CU_ASSERT_EQUAL(svrbfd_pq_echo_encode(buf, 53, &e), SVRBFD_PQ_ERR_NOBUF);
  /* it is an SVR control datagram for the port demux */
  CU_ASSERT_EQUAL(svr_demux_classify(buf, (size_t)n), SVR_DEMUX_CONTROL);
}

static void test_reflect(void) {
  uint8_t req[256], rep[256], small[80];
  svrbfd_pq_echo e = req_template(), d;
  svrbfd_ssize n, m;
  e.pad_len = 36;
  n = svrbfd_pq_echo_encode(req, sizeof(req), &e);
  CU_ASSERT_EQUAL(n, 54 + 40);
  m = svrbfd_pq_reflect(rep, sizeof(rep), req, (size_t)n, 1000, 1500);
  CU_ASSERT_EQUAL(m, n + 24);
  CU_ASSERT_EQUAL(rep[17], SVR_CTRL_ECHO_REPLY);
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, rep, (size_t)m), 0);
  CU_ASSERT_EQUAL(d.reply, 1);
  CU_ASSERT_EQUAL(d.seq, e.seq);
  CU_ASSERT_EQUAL(d.token, e.token);
  CU_ASSERT_EQUAL(d.tx_ts, e.tx_ts);
  CU_ASSERT_EQUAL(d.refl_rx_ts, 1000);
  CU_ASSERT_EQUAL(d.refl_tx_ts, 1500);
  CU_ASSERT_EQUAL(d.pad_len, 36);
  /* replies are never reflected (no ping-pong between two reflectors) */
  CU_ASSERT_EQUAL(svrbfd_pq_reflect(req, sizeof(req), rep, (size_t)m, 1, 2),
                  SVRBFD_PQ_ERR_PKT_KIND);
  CU_ASSERT_EQUAL(svrbfd_pq_reflect(rep, sizeof(rep), req, (size_t)n, 5, 4),
                  SVRBFD_PQ_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrbfd_pq_reflect(small, sizeof(small), req, (size_t)n, 1, 1),
                  SVRBFD_PQ_ERR_NOBUF);
  CU_ASSERT_EQUAL(svrbfd_pq_reflect(rep, sizeof(rep), req, 20, 1, 1),
                  SVRBFD_PQ_ERR_PKT_PAYLEN);
}

/* One specific error per malformation. */
static void test_malformed(void) {
  uint8_t buf[160], b2[160];
  svrbfd_pq_echo e = req_template(), d;
  svrbfd_ssize n = svrbfd_pq_echo_encode(buf, sizeof(buf), &e);
  CU_ASSERT_EQUAL(n, 54);

  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, buf, 11), SVRBFD_PQ_ERR_PKT_SHORT);
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, NULL, 0), SVRBFD_PQ_ERR_PKT_SHORT);
  memcpy(b2, buf, 54);
  b2[0] ^= 0xff;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_COOKIE);
  memcpy(b2, buf, 54);
  b2[8] = 0x20;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_VERSION);
  memcpy(b2, buf, 54);
  b2[9] = 0x0b; /* header length 11 */
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_HDRLEN);
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, buf, 53), SVRBFD_PQ_ERR_PKT_PAYLEN);
  /* kind PMTU probe */
  memcpy(b2, buf, 54);
  b2[17] = SVR_CTRL_PMTU_PROBE;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_KIND);
  /* first header TLV is not the kind */
  memcpy(b2, buf, 54);
  b2[13] = 0x01;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_KIND);
  /* truncated header TLV: header length 16 leaves a 4-byte TLV of length 2 */
  memcpy(b2, buf, 54);
  b2[9] = 0x10;
  b2[11] = 38;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_TLV);
  /* payload TLV running past the payload */
  memcpy(b2, buf, 54);
  b2[45] = 9; /* tx timestamp TLV (at 42) claims 9 bytes */
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_TLV);
  /* token TLV with length 3 (+1 byte moved to an unknown TLV is not needed:
   * shorten the token and the payload) */
  {
    uint8_t b3[160];
    size_t k = 0;
    memcpy(b3, buf, 18);
    k = 18;
    memcpy(b3 + k, "\xe0\x30\x00\x03\x01\x02\x03", 7);
    k += 7;
    memcpy(b3 + k, buf + 26, 54 - 26);
    k += 54 - 26;
    b3[11] = (uint8_t)(k - 18);
    CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b3, k), SVRBFD_PQ_ERR_PKT_TLV_LEN);
  }
  /* duplicate sequence TLV */
  {
    uint8_t b3[160];
    memcpy(b3, buf, 54);
    memcpy(b3 + 54, buf + 34, 8); /* the sequence TLV again */
    b3[11] = 36 + 8;
    CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b3, 62), SVRBFD_PQ_ERR_PKT_TLV_DUP);
  }
  /* missing tx timestamp: payload ends before it */
  memcpy(b2, buf, 54);
  b2[11] = 24;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 42), SVRBFD_PQ_ERR_PKT_MISSING);
  /* a reply without reflector timestamps */
  memcpy(b2, buf, 54);
  b2[17] = SVR_CTRL_ECHO_REPLY;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, 54), SVRBFD_PQ_ERR_PKT_MISSING);
  /* a reply whose reflector sent before it received */
  {
    svrbfd_pq_echo r = req_template();
    r.reply = 1;
    r.refl_rx_ts = 10;
    r.refl_tx_ts = 9;
    n = svrbfd_pq_echo_encode(b2, sizeof(b2), &r);
    CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, (size_t)n),
                    SVRBFD_PQ_ERR_PKT_REFLECT_TS);
    /* a request carrying reflector timestamps */
    b2[17] = SVR_CTRL_ECHO_REQUEST;
    CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b2, (size_t)n),
                    SVRBFD_PQ_ERR_PKT_REFLECT_TS);
  }
  /* unknown TLVs (and trailing bytes past the payload) are ignored */
  {
    uint8_t b3[160];
    memcpy(b3, buf, 54);
    memcpy(b3 + 54, "\x00\x0e\x00\x03" "abc", 7); /* source router "abc" */
    b3[11] = 36 + 7;
    b3[61] = 0xee;
    CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&d, b3, 62), 0);
    CU_ASSERT_EQUAL(d.seq, 0xfffffffe);
  }
  /* pad too big */
  e.pad_len = SVRBFD_PQ_MAX_PAD + 1;
  CU_ASSERT_EQUAL(svrbfd_pq_echo_encode(buf, sizeof(buf), &e),
                  SVRBFD_PQ_ERR_INVALID_ARGUMENT);
}

/* Decoding random mutations never crashes and never accepts garbage shapes. */
static void test_mutations(void) {
  uint8_t buf[200], b2[200];
  uint64_t rng = 42;
  svrbfd_pq_echo e = req_template(), d;
  size_t i, ok = 0;
  svrbfd_ssize n;
  e.reply = 1;
  e.refl_rx_ts = 5;
  e.refl_tx_ts = 6;
  e.pad_len = 20;
  n = svrbfd_pq_echo_encode(buf, sizeof(buf), &e);
  CU_ASSERT(n > 0);
  for (i = 0; i < 20000; i++) {
    size_t len = (size_t)n;
    uint64_t r = svr_test_rand(&rng);
    memcpy(b2, buf, len);
    b2[r % len] ^= (uint8_t)(1u << ((r >> 8) % 8));
    if ((r >> 16) % 4 == 0) {
      len = (size_t)((r >> 20) % (uint64_t)len);
    }
    if (svrbfd_pq_echo_decode(&d, b2, len) == 0) {
      ok++;
      CU_ASSERT(d.refl_tx_ts >= d.refl_rx_ts || !d.reply);
    }
  }
  CU_ASSERT(ok < 20000);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"request_bytes", test_request_bytes},
      {"reflect", test_reflect},
      {"malformed", test_malformed},
      {"mutations", test_mutations},
      {NULL, NULL}};
  return svr_test_run("pq_echo", cases);
}
