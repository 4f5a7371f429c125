/* SPDX-License-Identifier: BSD-2-Clause */
/* The asset channel core (4505/4506, docs/libconductor.md section 10):
 * literal vectors, round trips of every message, each malformed-input
 * error with the output untouched, and the keepalive and version-check
 * schedules with literal timestamps. */
#include <stdio.h>
#include <string.h>

#include "conductor_asset.h"
#include "svr_test.h"

#define S (1000000000ULL)

/* KEEPALIVE seq 1, time 2, running, asset r1-n1, installed 0.1.0. */
static const char ka_hex[] = "0000002f" "0003" "0000"
                             "e0a50008" "0000000000000001"
                             "e0a90008" "0000000000000002"
                             "e0f20001" "02"
                             "e0f00005" "72312d6e31"
                             "e0f30005" "302e312e30";
/* HELLO versions 1-1 on 4506 (channel 2), node n1, asset r1-n1, 0.1.0. */
static const char hello_hex[] = "00000029" "0001" "0000"
                                "e0a10002" "0001" "e0a20002" "0001"
                                "e0f10001" "02"
                                "e0a40002" "6e31"
                                "e0f00005" "72312d6e31"
                                "e0f30005" "302e312e30";
/* VERSION_LIST seq 7, installed 1.0.0, available 1.1.0 and 2.0.0. */
static const char vl_hex[] = "00000027" "0006" "0000"
                             "e0a50008" "0000000000000007"
                             "e0f30005" "312e302e30"
                             "e0f40005" "312e312e30"
                             "e0f40005" "322e302e30";

/* Field by field: a struct returned by value may carry any padding. */
static int same(const casset_msg *a, const casset_msg *b) {
  unsigned i;
  if (a->type != b->type || a->version != b->version ||
      a->version_min != b->version_min || a->version_max != b->version_max ||
      a->error_code != b->error_code || a->ref_type != b->ref_type ||
      a->channel != b->channel || a->status != b->status ||
      a->n_available != b->n_available || a->seq != b->seq ||
      a->time_ns != b->time_ns || strcmp(a->node, b->node) != 0 ||
      strcmp(a->asset_id, b->asset_id) != 0 ||
      strcmp(a->installed, b->installed) != 0 ||
      strcmp(a->text, b->text) != 0) {
    return 0;
  }
  for (i = 0; i < a->n_available; i++) {
    if (strcmp(a->available[i], b->available[i]) != 0) {
      return 0;
    }
  }
  return 1;
}

static void check_vector(const char *hex, const casset_msg *m) {
  uint8_t want[256], buf[256];
  casset_msg d;
  int n = svr_test_unhex(want, sizeof want, hex);
  conductor_ssize len;
  CU_ASSERT_FATAL(n > 0);
  len = casset_encode(buf, sizeof buf, m);
  CU_ASSERT_EQUAL(len, n);
  CU_ASSERT_EQUAL(memcmp(buf, want, (size_t)n), 0);
  CU_ASSERT_EQUAL(casset_frame_length(want, (size_t)n), n);
  CU_ASSERT_EQUAL(casset_frame_length(want, 7), 0);
  memset(&d, 0, sizeof d);
  CU_ASSERT_EQUAL(casset_decode(&d, want, (size_t)n), 0);
  CU_ASSERT(same(&d, m));
}

static casset_msg msg(uint16_t type) {
  casset_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  return m;
}

static void test_vectors(void) {
  casset_msg m = msg(CASSET_MSG_KEEPALIVE);
  m.seq = 1;
  m.time_ns = 2;
  m.status = CASSET_ST_RUNNING;
  strcpy(m.asset_id, "r1-n1");
  strcpy(m.installed, "0.1.0");
  check_vector(ka_hex, &m);

  m = msg(CASSET_MSG_HELLO);
  m.version_min = m.version_max = 1;
  m.channel = CASSET_CH_REQ;
  strcpy(m.node, "n1");
  strcpy(m.asset_id, "r1-n1");
  strcpy(m.installed, "0.1.0");
  check_vector(hello_hex, &m);

  m = msg(CASSET_MSG_VERSION_LIST);
  m.seq = 7;
  strcpy(m.installed, "1.0.0");
  m.n_available = 2;
  strcpy(m.available[0], "1.1.0");
  strcpy(m.available[1], "2.0.0");
  check_vector(vl_hex, &m);
}

static void roundtrip(const casset_msg *m) {
  uint8_t buf[CASSET_MAX_FRAME_LEN];
  casset_msg d;
  conductor_ssize n = casset_encode(buf, sizeof buf, m);
  CU_ASSERT_FATAL(n > 0);
  memset(&d, 0x5a, sizeof d);
  CU_ASSERT_EQUAL(casset_decode(&d, buf, (size_t)n), 0);
  CU_ASSERT(same(&d, m));
  /* every strict prefix is refused */
  CU_ASSERT_NOT_EQUAL(casset_decode(&d, buf, (size_t)n - 1), 0);
}

static void test_roundtrips(void) {
  casset_msg m = msg(CASSET_MSG_HELLO_ACK);
  unsigned i;
  m.version = 1;
  strcpy(m.node, "cnd1");
  roundtrip(&m);
  m = msg(CASSET_MSG_KEEPALIVE_ACK);
  m.seq = 99;
  m.time_ns = 12345;
  roundtrip(&m);
  m = msg(CASSET_MSG_VERSION_CHECK);
  m.seq = 3;
  roundtrip(&m);
  m = msg(CASSET_MSG_ERROR);
  m.error_code = 306;
  m.ref_type = CASSET_MSG_HELLO;
  strcpy(m.text, "asset id: 1-63 characters");
  roundtrip(&m);
  m = msg(CASSET_MSG_HELLO);
  m.version_min = 1;
  m.version_max = 3;
  m.channel = CASSET_CH_PUB;
  strcpy(m.node, "node-1.a_b");
  strcpy(m.asset_id, "A1");
  strcpy(m.installed, "6.1.0+r2~rc1");
  roundtrip(&m);
  /* 32 available versions of 63 bytes: the largest list fits one frame */
  m = msg(CASSET_MSG_VERSION_LIST);
  m.seq = 1;
  strcpy(m.installed, "1");
  m.n_available = CASSET_MAX_AVAILABLE;
  for (i = 0; i < CASSET_MAX_AVAILABLE; i++) {
    memset(m.available[i], 'v', 63);
    snprintf(m.available[i], 4, "%03u", i);
    m.available[i][3] = 'v';
  }
  roundtrip(&m);
  /* none available */
  m.n_available = 0;
  memset(m.available, 0, sizeof m.available);
  roundtrip(&m);
}

/* Decodes |hex| (a frame of type |type|, body given) and expects |want|;
 * the output must be untouched on error. */
static void refuse(uint16_t type, const char *body_hex, int want) {
  uint8_t buf[CASSET_MAX_FRAME_LEN];
  casset_msg d, sentinel;
  int n = svr_test_unhex(buf + CASSET_HDR_LEN, sizeof buf - CASSET_HDR_LEN,
                         body_hex);
  int rv;
  CU_ASSERT_FATAL(n >= 0);
  buf[0] = (uint8_t)(n >> 24);
  buf[1] = (uint8_t)(n >> 16);
  buf[2] = (uint8_t)(n >> 8);
  buf[3] = (uint8_t)n;
  buf[4] = (uint8_t)(type >> 8);
  buf[5] = (uint8_t)type;
  buf[6] = buf[7] = 0;
  memset(&sentinel, 0xa5, sizeof sentinel);
  d = sentinel;
  rv = casset_decode(&d, buf, (size_t)n + CASSET_HDR_LEN);
  if (rv != want) {
    printf("  type %u body %s: got %d, want %d\n", type, body_hex, rv, want);
  }
  CU_ASSERT_EQUAL(rv, want);
  if (want == 0) {
    CU_ASSERT_EQUAL(d.type, type);
  } else if (want == CONDUCTOR_ERR_UNKNOWN_TYPE) {
    CU_ASSERT_EQUAL(d.type, type);
  } else {
    CU_ASSERT_EQUAL(memcmp(&d, &sentinel, sizeof d), 0);
  }
}

#define KA_SEQ "e0a50008" "0000000000000001"
#define KA_TIME "e0a90008" "0000000000000002"
#define KA_ST "e0f20001" "02"
#define KA_ID "e0f00005" "72312d6e31"
#define KA_INST "e0f30005" "302e312e30"

static void test_malformed(void) {
  uint8_t buf[64];
  casset_msg d;
  int n;
  /* the keepalive with each mandatory field missing */
  refuse(CASSET_MSG_KEEPALIVE, KA_TIME KA_ST KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_MISSING);
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_ST KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_MISSING);
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_MISSING);
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST KA_INST,
         CONDUCTOR_ERR_FIELD_MISSING);
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST KA_ID,
         CONDUCTOR_ERR_FIELD_MISSING);
  /* a field twice */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_SEQ KA_TIME KA_ST KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_DUPLICATE);
  /* wrong sizes and values */
  refuse(CASSET_MSG_KEEPALIVE, "e0a50004" "00000001" KA_TIME KA_ST KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_LENGTH);
  refuse(CASSET_MSG_KEEPALIVE,
         "e0a50008" "0000000000000000" KA_TIME KA_ST KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_VALUE); /* seq 0 */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME "e0f20001" "03" KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_VALUE); /* status 3 */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME "e0f20001" "00" KA_ID KA_INST,
         CONDUCTOR_ERR_FIELD_VALUE); /* status 0 */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST "e0f00000" KA_INST,
         CONDUCTOR_ERR_FIELD_LENGTH); /* empty asset id */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST "e0f00003" "722f31" KA_INST,
         CONDUCTOR_ERR_FIELD_VALUE); /* "r/1" */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST "e0f00003" "720031" KA_INST,
         CONDUCTOR_ERR_FIELD_VALUE); /* a NUL inside */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST "e0f00002" "722b" KA_INST,
         CONDUCTOR_ERR_FIELD_VALUE); /* '+' only in versions */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST KA_ID "e0f30003" "31201b",
         CONDUCTOR_ERR_FIELD_VALUE); /* space and ESC in a version */
  refuse(CASSET_MSG_KEEPALIVE,
         KA_SEQ KA_TIME KA_ST KA_ID
         "e0f30040"
         "31313131313131313131313131313131313131313131313131313131313131313131"
         "313131313131313131313131313131313131313131313131313131313131",
         CONDUCTOR_ERR_FIELD_LENGTH); /* a 64-byte version */
  /* truncated TLV */
  refuse(CASSET_MSG_KEEPALIVE, KA_SEQ KA_TIME KA_ST KA_ID "e0f30009" "302e",
         CONDUCTOR_ERR_TLV_TRUNCATED);
  /* HELLO: channel 0 and 3, versions 0 and min > max */
  refuse(CASSET_MSG_HELLO,
         "e0a10002" "0001" "e0a20002" "0001" "e0f10001" "00"
         "e0a40002" "6e31" KA_ID KA_INST, CONDUCTOR_ERR_FIELD_VALUE);
  refuse(CASSET_MSG_HELLO,
         "e0a10002" "0001" "e0a20002" "0001" "e0f10001" "03"
         "e0a40002" "6e31" KA_ID KA_INST, CONDUCTOR_ERR_FIELD_VALUE);
  refuse(CASSET_MSG_HELLO,
         "e0a10002" "0000" "e0a20002" "0001" "e0f10001" "01"
         "e0a40002" "6e31" KA_ID KA_INST, CONDUCTOR_ERR_FIELD_VALUE);
  refuse(CASSET_MSG_HELLO,
         "e0a10002" "0002" "e0a20002" "0001" "e0f10001" "01"
         "e0a40002" "6e31" KA_ID KA_INST, CONDUCTOR_ERR_FIELD_VALUE);
  /* VERSION_LIST: a version twice, 33 versions */
  refuse(CASSET_MSG_VERSION_LIST,
         KA_SEQ KA_INST "e0f40001" "31" "e0f40001" "31",
         CONDUCTOR_ERR_FIELD_DUPLICATE);
  {
    char body[1024];
    int i, o = snprintf(body, sizeof body, "%s", KA_SEQ KA_INST);
    for (i = 0; i < 33; i++) {
      o += snprintf(body + o, sizeof body - (size_t)o, "e0f40002%02x%02x",
                    '0' + i / 10, '0' + i % 10);
    }
    refuse(CASSET_MSG_VERSION_LIST, body, CONDUCTOR_ERR_FIELD_VALUE);
    body[strlen(body) - 12] = '\0'; /* 32: accepted */
    refuse(CASSET_MSG_VERSION_LIST, body, 0);
  }
  /* unknown type: the type is reported */
  refuse(99, "", CONDUCTOR_ERR_UNKNOWN_TYPE);
  /* unknown TLVs and other messages' fields are skipped */
  {
    uint8_t f[128];
    casset_msg m;
    int len = svr_test_unhex(f, sizeof f,
                             "0000001c" "0005" "0000"
                             "e0a50008" "0000000000000004" /* seq */
                             "e0f40001" "31"     /* available: not here */
                             "ffff0003" "616263" /* unknown */
                             "e0ef0000");        /* unknown, empty */
    CU_ASSERT_EQUAL(len, 36);
    CU_ASSERT_EQUAL(casset_decode(&m, f, (size_t)len), 0);
    CU_ASSERT_EQUAL(m.seq, 4);
    CU_ASSERT_EQUAL(m.n_available, 0);
  }
  /* frame header */
  n = svr_test_unhex(buf, sizeof buf, "00001001" "0005" "0000");
  CU_ASSERT_EQUAL(casset_frame_length(buf, (size_t)n),
                  CONDUCTOR_ERR_FRAME_TOO_LONG);
  n = svr_test_unhex(buf, sizeof buf, "0000000c" "0005" "0001" KA_SEQ);
  CU_ASSERT_EQUAL(casset_frame_length(buf, (size_t)n),
                  CONDUCTOR_ERR_FRAME_FLAGS);
  CU_ASSERT_EQUAL(casset_decode(&d, buf, (size_t)n), CONDUCTOR_ERR_FRAME_FLAGS);
  n = svr_test_unhex(buf, sizeof buf, "0000000c" "0005" "0000" KA_SEQ "00");
  CU_ASSERT_EQUAL(casset_decode(&d, buf, (size_t)n), CONDUCTOR_ERR_FRAME_LENGTH);
}

static void test_encode_refuses(void) {
  uint8_t buf[CASSET_MAX_FRAME_LEN];
  casset_msg m = msg(CASSET_MSG_KEEPALIVE);
  m.seq = 1;
  m.status = CASSET_ST_RUNNING;
  strcpy(m.asset_id, "a b");
  strcpy(m.installed, "1");
  CU_ASSERT_EQUAL(casset_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  strcpy(m.asset_id, "ab");
  CU_ASSERT_EQUAL(casset_encode(buf, 20, &m), CONDUCTOR_ERR_NOBUF);
  CU_ASSERT(casset_encode(buf, sizeof buf, &m) > 0);
  m.status = 7;
  CU_ASSERT_EQUAL(casset_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = msg(CASSET_MSG_VERSION_LIST);
  m.seq = 1;
  strcpy(m.installed, "1");
  m.n_available = 2;
  strcpy(m.available[0], "2");
  strcpy(m.available[1], "2");
  CU_ASSERT_EQUAL(casset_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m.n_available = CASSET_MAX_AVAILABLE + 1;
  CU_ASSERT_EQUAL(casset_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = msg(42);
  CU_ASSERT_EQUAL(casset_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
}

static void test_keepalive_schedule(void) {
  casset_ka k;
  casset_ka_init(&k, 100 * S, 0, 0); /* defaults: 1 s x 3 */
  CU_ASSERT_EQUAL(k.interval_ns, S);
  CU_ASSERT_EQUAL(k.max, 3);
  CU_ASSERT_EQUAL(casset_ka_tx_due(&k, 100 * S), 1); /* the first at once */
  CU_ASSERT_EQUAL(casset_ka_tx_due(&k, 100 * S), 0);
  CU_ASSERT_EQUAL(casset_ka_tx_due(&k, 101 * S - 1), 0);
  CU_ASSERT_EQUAL(casset_ka_tx_due(&k, 101 * S), 1);
  CU_ASSERT_EQUAL(casset_ka_next(&k), 102 * S);
  /* a caller 5 s late sends one, then the next a second later */
  CU_ASSERT_EQUAL(casset_ka_tx_due(&k, 107 * S), 1);
  CU_ASSERT_EQUAL(casset_ka_tx_due(&k, 107 * S), 0);
  CU_ASSERT_EQUAL(k.next_tx, 108 * S);
  /* death: 3 s after the last packet, not before */
  casset_ka_init(&k, 200 * S, S, 3);
  casset_ka_on_rx(&k, 201 * S);
  casset_ka_on_rx(&k, 200 * S); /* an older time does not move it back */
  CU_ASSERT_EQUAL(casset_ka_dead(&k, 204 * S - 1), 0);
  CU_ASSERT_EQUAL(casset_ka_dead(&k, 204 * S), 1);
  CU_ASSERT_EQUAL(casset_ka_next(&k), 200 * S); /* first tx still due */
}

static void test_version_check_schedule(void) {
  casset_vc v;
  uint64_t seq = 0;
  casset_vc_init(&v, 10 * S, 0); /* default 12 h */
  CU_ASSERT_EQUAL(v.interval_ns, 12ULL * 3600 * S);
  CU_ASSERT_EQUAL(casset_vc_due(&v, 10 * S, &seq), 0);
  CU_ASSERT_EQUAL(casset_vc_due(&v, 10 * S + 12ULL * 3600 * S - 1, &seq), 0);
  CU_ASSERT_EQUAL(casset_vc_due(&v, 10 * S + 12ULL * 3600 * S, &seq), 1);
  CU_ASSERT_EQUAL(seq, 1);
  CU_ASSERT_EQUAL(casset_vc_on_reply(&v, 2), CONDUCTOR_ERR_UNKNOWN_SEQ);
  CU_ASSERT_EQUAL(casset_vc_on_reply(&v, 1), 0);
  CU_ASSERT_EQUAL(casset_vc_on_reply(&v, 1), CONDUCTOR_ERR_UNKNOWN_SEQ);
  /* shortened (test-only) interval: 2 s */
  casset_vc_init(&v, 0, 2 * S);
  CU_ASSERT_EQUAL(casset_vc_due(&v, 2 * S, &seq), 1);
  CU_ASSERT_EQUAL(seq, 1);
  CU_ASSERT_EQUAL(casset_vc_due(&v, 3 * S, &seq), 0);
  CU_ASSERT_EQUAL(casset_vc_due(&v, 4 * S, &seq), 1);
  CU_ASSERT_EQUAL(seq, 2);
  CU_ASSERT_EQUAL(casset_vc_on_reply(&v, 1), CONDUCTOR_ERR_UNKNOWN_SEQ);
  CU_ASSERT_EQUAL(casset_vc_on_reply(&v, 2), 0);
}

static void test_names(void) {
  CU_ASSERT(casset_name_ok("r1-n1.a_B"));
  CU_ASSERT(!casset_name_ok(""));
  CU_ASSERT(!casset_name_ok("a+b"));
  CU_ASSERT(casset_version_ok("6.1.0+r2~rc1"));
  CU_ASSERT(!casset_version_ok("6.1 0"));
  CU_ASSERT_STRING_EQUAL(casset_type_name(CASSET_MSG_VERSION_LIST),
                         "version-list");
  CU_ASSERT_STRING_EQUAL(casset_status_name(CASSET_ST_RUNNING), "running");
  CU_ASSERT_STRING_EQUAL(casset_status_name(9), "unknown");
}

int main(void) {
  static const svr_test_case cases[] = {
      {"vectors", test_vectors},
      {"roundtrips", test_roundtrips},
      {"malformed", test_malformed},
      {"encode_refuses", test_encode_refuses},
      {"keepalive_schedule", test_keepalive_schedule},
      {"version_check_schedule", test_version_check_schedule},
      {"names", test_names},
      {NULL, NULL}};
  return svr_test_run("conductor_asset", cases);
}
