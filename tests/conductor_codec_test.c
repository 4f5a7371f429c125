/* libconductor IPC frame codec: vectors, round trips, malformed frames;
 * HELLO with and without the epoch (IPC versions 2 and 1). */
#include <string.h>

#include <conductor/conductor.h>

#include "svr_test.h"

static conductor_msg sample_alarm(void) {
  conductor_msg m;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ALARM;
  m.alarm.seq = 7;
  m.alarm.alarm_num = 4;
  m.alarm.op = CONDUCTOR_ALARM_RAISE;
  m.alarm.severity = CONDUCTOR_SEV_MAJOR;
  m.alarm.time_ns = 1700000000000000000ULL;
  strcpy(m.alarm.source, "node1/ge-0-0/10.0.0.1/0");
  strcpy(m.alarm.category, "peer");
  strcpy(m.alarm.message, "Peer tp-colo path is down");
  return m;
}

/* Literal vector: KEEPALIVE seq 1 time 2 (docs/libconductor.md 2.4). */
static const char ka_hex[] = "00000018" "0005" "0000"
                             "e0a50008" "0000000000000001"
                             "e0a90008" "0000000000000002";

static void test_keepalive_vector(void) {
  uint8_t want[64], buf[64];
  conductor_msg m;
  int n = svr_test_unhex(want, sizeof want, ka_hex);
  conductor_ssize len;
  CU_ASSERT_EQUAL(n, 32);
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_KEEPALIVE;
  m.seq = 1;
  m.time_ns = 2;
  len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_EQUAL(len, 32);
  CU_ASSERT_EQUAL(memcmp(buf, want, 32), 0);
  CU_ASSERT_EQUAL(conductor_frame_length(want, 32), 32);
  CU_ASSERT_EQUAL(conductor_frame_length(want, 7), 0);
  memset(&m, 0, sizeof m);
  CU_ASSERT_EQUAL(conductor_msg_decode(&m, want, 32), 0);
  CU_ASSERT_EQUAL(m.type, CONDUCTOR_MSG_KEEPALIVE);
  CU_ASSERT_EQUAL(m.seq, 1);
  CU_ASSERT_EQUAL(m.time_ns, 2);
}

static void test_alarm_roundtrip(void) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg m = sample_alarm(), d;
  conductor_ssize len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_FATAL(len > 0);
  /* 8 header + seq 12 + num 8 + op 5 + sev 5 + time 12 + 3 strings */
  CU_ASSERT_EQUAL(len, 8 + 12 + 8 + 5 + 5 + 12 + (4 + 23) + (4 + 4) +
                           (4 + 25));
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, buf, (size_t)len), 0);
  CU_ASSERT_EQUAL(d.alarm.seq, 7);
  CU_ASSERT_EQUAL(d.alarm.alarm_num, 4);
  CU_ASSERT_EQUAL(d.alarm.severity, CONDUCTOR_SEV_MAJOR);
  CU_ASSERT_EQUAL(d.alarm.time_ns, 1700000000000000000ULL);
  CU_ASSERT_STRING_EQUAL(d.alarm.message, "Peer tp-colo path is down");
  CU_ASSERT_STRING_EQUAL(d.alarm.category, "peer");
  /* every shorter buffer is refused with NOBUF */
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, (size_t)len - 1, &m),
                  CONDUCTOR_ERR_NOBUF);
}

static void test_hello_roundtrip(void) {
  uint8_t buf[256];
  conductor_msg m, d;
  conductor_ssize len;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_HELLO;
  m.version_min = 1;
  m.version_max = 3;
  strcpy(m.router, "burl-corp");
  strcpy(m.node, "node1");
  len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_FATAL(len > 0);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, buf, (size_t)len), 0);
  CU_ASSERT_STRING_EQUAL(d.router, "burl-corp");
  CU_ASSERT_EQUAL(d.version_max, 3);
  m.version_min = 4; /* min > max */
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
}

/* HELLO of IPC version 1 (no epoch: an old router) and of version 2 with
 * the epoch TLV (0xE0B2, u64), docs/libconductor.md 2.4. */
static const char hello_v1_hex[] = "00000022" "0001" "0000"
                                   "e0a10002" "0001" "e0a20002" "0001"
                                   "e0a30009" "6275726c2d636f7270"
                                   "e0a40005" "6e6f646531";
static const char hello_v2_hex[] = "0000002e" "0001" "0000"
                                   "e0a10002" "0001" "e0a20002" "0002"
                                   "e0a30009" "6275726c2d636f7270"
                                   "e0a40005" "6e6f646531"
                                   "e0b20008" "0123456789abcdef";

static void test_hello_epoch(void) {
  uint8_t want[128], buf[128], b2[128];
  conductor_msg m, d;
  conductor_ssize len;
  int n;
  /* an old router's HELLO: understood, epoch 0 */
  n = svr_test_unhex(want, sizeof want, hello_v1_hex);
  CU_ASSERT_EQUAL_FATAL(n, 42);
  memset(&d, 0xAA, sizeof d);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, want, (size_t)n), 0);
  CU_ASSERT_EQUAL(d.version_max, 1);
  CU_ASSERT_STRING_EQUAL(d.router, "burl-corp");
  CU_ASSERT_EQUAL(d.epoch, 0);
  /* encoding it back (epoch 0) sends no epoch TLV: the same bytes */
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &d), n);
  CU_ASSERT_EQUAL(memcmp(buf, want, (size_t)n), 0);
  /* version 2 with an epoch: literal vector both ways */
  n = svr_test_unhex(want, sizeof want, hello_v2_hex);
  CU_ASSERT_EQUAL_FATAL(n, 54);
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_HELLO;
  m.version_min = 1;
  m.version_max = 2;
  strcpy(m.router, "burl-corp");
  strcpy(m.node, "node1");
  m.epoch = 0x0123456789abcdefULL;
  len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_EQUAL(len, n);
  CU_ASSERT_EQUAL(memcmp(buf, want, (size_t)n), 0);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, want, (size_t)n), 0);
  CU_ASSERT_EQUAL(d.epoch, 0x0123456789abcdefULL);
  CU_ASSERT_EQUAL(d.version_max, 2);
  m.epoch = UINT64_MAX; /* every bit is carried */
  len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_FATAL(len > 0);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, buf, (size_t)len), 0);
  CU_ASSERT_EQUAL(d.epoch, UINT64_MAX);
  /* epoch 0 on the wire: "none" is said by leaving the TLV out */
  memcpy(b2, want, (size_t)n);
  memset(b2 + n - 8, 0, 8);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, (size_t)n),
                  CONDUCTOR_ERR_FIELD_VALUE);
  /* epoch of 4 bytes */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "0000002a" "0001" "0000"
                                 "e0a10002" "0001" "e0a20002" "0002"
                                 "e0a30009" "6275726c2d636f7270"
                                 "e0a40005" "6e6f646531"
                                 "e0b20004" "01234567"),
                  50);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 50),
                  CONDUCTOR_ERR_FIELD_LENGTH);
  /* epoch twice */
  memcpy(b2, want, (size_t)n);
  memcpy(b2 + n, want + n - 12, 12);
  b2[3] = 0x3a;
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, (size_t)n + 12),
                  CONDUCTOR_ERR_FIELD_DUPLICATE);
  /* an epoch TLV in another message is skipped like an unknown field */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "00000024" "0005" "0000"
                                 "e0a50008" "0000000000000001"
                                 "e0b20008" "0123456789abcdef"
                                 "e0a90008" "0000000000000002"),
                  44);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 44), 0);
  CU_ASSERT_EQUAL(d.type, CONDUCTOR_MSG_KEEPALIVE);
  CU_ASSERT_EQUAL(d.epoch, 0);
  CU_ASSERT_EQUAL(d.seq, 1);
}

static void test_malformed(void) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN + 16], b2[64];
  conductor_msg m = sample_alarm(), d;
  conductor_ssize len = conductor_msg_encode(buf, sizeof buf, &m);
  size_t i;
  CU_ASSERT_FATAL(len > 0);

  memset(&d, 0xAA, sizeof d);
  /* truncated: the length field no longer matches */
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, buf, (size_t)len - 1),
                  CONDUCTOR_ERR_FRAME_LENGTH);
  CU_ASSERT_EQUAL(d.type, 0xAAAA); /* nothing changed on error */
  /* every prefix is refused, none crashes */
  for (i = 0; i < (size_t)len; i++) {
    CU_ASSERT(conductor_msg_decode(&d, buf, i) < 0);
  }
  /* length field too big */
  memcpy(b2, buf, 8);
  b2[0] = 0x01;
  CU_ASSERT_EQUAL(conductor_frame_length(b2, 8), CONDUCTOR_ERR_FRAME_TOO_LONG);
  /* reserved flags */
  memcpy(b2, buf, 8);
  b2[7] = 1;
  CU_ASSERT_EQUAL(conductor_frame_length(b2, 8), CONDUCTOR_ERR_FRAME_FLAGS);
  /* unknown type: reported with the type so an ERROR can name it */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2, "000000000063" "0000"), 8);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 8), CONDUCTOR_ERR_UNKNOWN_TYPE);
  CU_ASSERT_EQUAL(d.type, 0x63);
  /* missing mandatory field: an ALARM_ACK without seq */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2, "000000000004" "0000"), 8);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 8), CONDUCTOR_ERR_FIELD_MISSING);
  /* wrong field size: seq of 4 bytes */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "00000008" "0004" "0000" "e0a50004" "00000001"),
                  16);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 16), CONDUCTOR_ERR_FIELD_LENGTH);
  /* TLV running past the body */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "00000008" "0004" "0000" "e0a50010" "00000001"),
                  16);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 16),
                  CONDUCTOR_ERR_TLV_TRUNCATED);
  /* duplicate field */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "00000018" "0004" "0000"
                                 "e0a50008" "0000000000000001"
                                 "e0a50008" "0000000000000002"),
                  32);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 32),
                  CONDUCTOR_ERR_FIELD_DUPLICATE);
  /* seq 0 is not a valid ack */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "0000000c" "0004" "0000"
                                 "e0a50008" "0000000000000000"),
                  20);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 20), CONDUCTOR_ERR_FIELD_VALUE);
  /* unknown TLV inside a known message is skipped */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "00000014" "0004" "0000"
                                 "e0ff0004" "deadbeef"
                                 "e0a50008" "0000000000000009"),
                  28);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 28), 0);
  CU_ASSERT_EQUAL(d.seq, 9);
  /* embedded NUL in a string */
  CU_ASSERT_EQUAL(svr_test_unhex(b2, sizeof b2,
                                 "00000013" "0009" "0000" "e0af00020001"
                                 "e0b000020003" "e0b10003610062"),
                  27);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 27), CONDUCTOR_ERR_FIELD_VALUE);
  b2[25] = 0x41; /* "aAb" is fine */
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b2, 27), 0);
  CU_ASSERT_STRING_EQUAL(d.text, "aAb");
  CU_ASSERT_EQUAL(d.ref_type, 3);
  /* severity out of range */
  m.alarm.severity = 9;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
}

static void test_names(void) {
  CU_ASSERT_STRING_EQUAL(conductor_severity_name(CONDUCTOR_SEV_CRITICAL),
                         "critical");
  CU_ASSERT_EQUAL(conductor_severity_parse("minor"), CONDUCTOR_SEV_MINOR);
  CU_ASSERT_EQUAL(conductor_severity_parse("bad"), -1);
  CU_ASSERT_STRING_EQUAL(conductor_msg_type_name(CONDUCTOR_MSG_ALARM_ACK),
                         "alarm-ack");
  CU_ASSERT_STRING_EQUAL(conductor_strerror(CONDUCTOR_ERR_UNKNOWN_TYPE),
                         "unknown message type");
}

int main(void) {
  static const svr_test_case cases[] = {
      {"keepalive_vector", test_keepalive_vector},
      {"alarm_roundtrip", test_alarm_roundtrip},
      {"hello_roundtrip", test_hello_roundtrip},
      {"hello_epoch", test_hello_epoch},
      {"malformed", test_malformed},
      {"names", test_names},
      {NULL, NULL}};
  return svr_test_run("conductor_codec", cases);
}
