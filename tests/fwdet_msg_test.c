/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwdet request/report codec: round trips, the exact byte layout,
 * and one specific error per malformation.
 */
#include <string.h>

#include <svrfwdet/svrfwdet.h>

#include "svr_test.h"

static void mk(svrfwdet_msg *m, svrfwdet_op op) {
  memset(m, 0, sizeof(*m));
  m->op = op;
  m->path_id = 0x11223344u;
  m->burst = 5;
  m->kinds = 0x0b;
  m->flags_seen[0] = 0x02;
  m->flags_seen[1] = 0x18;
  m->flags_seen[3] = 0x18;
  m->router_name = "rtrB";
  m->node_name = "nodeB";
}

static void test_layout(void) {
  uint8_t b[256], want[256];
  svrfwdet_msg m;
  int n, wn;
  mk(&m, SVRFWDET_OP_REQUEST);
  m.router_name = NULL;
  m.node_name = "";
  n = (int)svrfwdet_msg_encode(b, sizeof(b), &m);
  /* cookie, version 1 | hdr len 12+6+5+8+8+5 = 44, payload 0,
   * E000 kind 5, E060 op 1, E061 path, E062 burst, E063 kinds */
  wn = svr_test_unhex(want, sizeof(want),
                      "4c48dbc6ddf6670c" "102c" "0000"
                      "e00000020005" "e0600001" "01"
                      "e061000411223344" "e06200040000" "0005"
                      "e06300010b");
  CU_ASSERT_EQUAL(n, 44);
  CU_ASSERT_EQUAL(wn, 44);
  CU_ASSERT_EQUAL(memcmp(b, want, 44), 0);
}

static void test_roundtrip(void) {
  uint8_t b[256];
  svrfwdet_msg m, d;
  svrfwdet_ssize n;
  mk(&m, SVRFWDET_OP_REPORT);
  n = svrfwdet_msg_encode(b, sizeof(b), &m);
  CU_ASSERT_FATAL(n > 0);
  CU_ASSERT_EQUAL(n, 44 + 8 + 8 + 9);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, (size_t)n), 0);
  CU_ASSERT_EQUAL(d.op, SVRFWDET_OP_REPORT);
  CU_ASSERT_EQUAL(d.path_id, m.path_id);
  CU_ASSERT_EQUAL(d.burst, 5);
  CU_ASSERT_EQUAL(d.kinds, 0x0b);
  CU_ASSERT_EQUAL(memcmp(d.flags_seen, m.flags_seen, 4), 0);
  CU_ASSERT_EQUAL(d.router_name_len, 4);
  CU_ASSERT_EQUAL(memcmp(d.router_name, "rtrB", 4), 0);
  CU_ASSERT_EQUAL(d.node_name_len, 5);
  CU_ASSERT_EQUAL(svrfwdet_msg_encode(b, (size_t)n - 1, &m),
                  SVRFWDET_ERR_NOBUF);
  m.kinds = 0x10;
  CU_ASSERT_EQUAL(svrfwdet_msg_encode(b, sizeof(b), &m),
                  SVRFWDET_ERR_INVALID_ARGUMENT);
}

/* Builds a datagram from raw header-TLV hex after the base header. */
static size_t raw(uint8_t *b, const char *tlvhex) {
  int n = svr_test_unhex(b + 12, 200, tlvhex);
  size_t hl = 12 + (size_t)n;
  memcpy(b, "\x4c\x48\xdb\xc6\xdd\xf6\x67\x0c", 8);
  b[8] = (uint8_t)(0x10 | (hl >> 8));
  b[9] = (uint8_t)hl;
  b[10] = b[11] = 0;
  return hl;
}

#define KIND "e00000020005"
#define OP1 "e060000101"
#define PATH "e061000411223344"
#define BURST "e062000400000005"
#define KINDS "e06300010f"

static void test_errors(void) {
  uint8_t b[256];
  svrfwdet_msg d;
  size_t n;
  memset(&d, 0x5a, sizeof(d));
  memset(b, 0, sizeof(b));
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, 0), SVRFWDET_ERR_MSG_SHORT);
  n = raw(b, KIND OP1 PATH BURST KINDS);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n - 1), SVRFWDET_ERR_MSG_HEADER);
  b[0] ^= 1;
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_COOKIE);
  b[0] ^= 1;
  b[8] = 0x20 | b[8];
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_HEADER);
  /* nothing above touched |d| */
  CU_ASSERT_EQUAL(d.path_id, 0x5a5a5a5au);
  n = raw(b, "e00000020003" OP1 PATH BURST KINDS);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_KIND);
  n = raw(b, OP1 KIND PATH BURST KINDS);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_TLV);
  n = raw(b, KIND OP1 PATH BURST "e0630002");
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_TLV);
  n = raw(b, KIND "e06000020101" PATH BURST KINDS);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_FIELD);
  n = raw(b, KIND OP1 "e0610003112233" BURST KINDS);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_FIELD);
  n = raw(b, KIND OP1 PATH BURST "e063000110");
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_FIELD);
  n = raw(b, KIND OP1 PATH BURST KINDS "e064000102");
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_FIELD);
  n = raw(b, KIND OP1 PATH BURST KINDS "000e00026100");
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_FIELD);
  n = raw(b, KIND OP1 PATH KINDS);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_MISSING);
  n = raw(b, KIND "e060000103" PATH BURST KINDS);
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), SVRFWDET_ERR_MSG_OP);
  CU_ASSERT_EQUAL(d.path_id, 0x5a5a5a5au);
  /* unknown TLVs are skipped */
  n = raw(b, KIND "e07f0003aabbcc" OP1 PATH BURST KINDS "00630000");
  CU_ASSERT_EQUAL(svrfwdet_msg_decode(&d, b, n), 0);
  CU_ASSERT_EQUAL(d.op, SVRFWDET_OP_REQUEST);
  CU_ASSERT_EQUAL(d.kinds, 0x0f);
}

static void test_strerror(void) {
  CU_ASSERT_STRING_EQUAL(svrfwdet_strerror(SVRFWDET_ERR_MSG_KIND),
                         "control datagram of another kind");
  CU_ASSERT_STRING_EQUAL(svrfwdet_strerror(-999), "unknown error");
  CU_ASSERT_PTR_NOT_NULL(svrfwdet_version(0));
  CU_ASSERT_PTR_NULL(svrfwdet_version(0x7fffffff));
}

int main(void) {
  static const svr_test_case cases[] = {{"exact layout", test_layout},
                                        {"round trip", test_roundtrip},
                                        {"malformations", test_errors},
                                        {"strerror/version", test_strerror},
                                        {NULL, NULL}};
  return svr_test_run("fwdet_msg", cases);
}
