/* SPDX-License-Identifier: BSD-2-Clause */
/* libconductor IPC frame codec: vectors, round trips, malformed frames;
 * HELLO with and without the epoch (IPC versions 2 and 1); KEY and KEY_ACK
 * (version 3) with every malformed-input error; ADDRESS and PEER_ADDRESS
 * (version 5, dynamic peer update) likewise. */
#include <stdio.h>
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

/* Literal vector (docs/libconductor.md 2.4): KEY add, peer "rb", index 2,
 * key 00..0f (16 bytes). */
static const char key_hex[] = "00000027" "000a" "0000"
                              "e0b30002" "7262"
                              "e0b40004" "00000002"
                              "e0b50001" "01"
                              "e0b60010" "000102030405060708090a0b0c0d0e0f";

static conductor_msg sample_key(uint8_t op) {
  conductor_msg m;
  size_t i;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_KEY;
  strcpy(m.peer, "rb");
  m.key_index = 2;
  m.key_op = op;
  if (op == CONDUCTOR_KEY_ADD) {
    m.keylen = 16;
    for (i = 0; i < 16; i++) {
      m.key[i] = (uint8_t)i;
    }
  }
  return m;
}

static void test_key_vector(void) {
  uint8_t want[128], buf[128];
  conductor_msg m = sample_key(CONDUCTOR_KEY_ADD), d;
  int n = svr_test_unhex(want, sizeof want, key_hex);
  CU_ASSERT_EQUAL(n, 8 + 0x27);
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m), n);
  CU_ASSERT_EQUAL(memcmp(buf, want, (size_t)n), 0);
  memset(&d, 0, sizeof d);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, want, (size_t)n), 0);
  CU_ASSERT_EQUAL(memcmp(&d, &m, sizeof m), 0);
  CU_ASSERT_STRING_EQUAL(conductor_msg_type_name(CONDUCTOR_MSG_KEY), "key");
  CU_ASSERT_STRING_EQUAL(conductor_msg_type_name(CONDUCTOR_MSG_KEY_ACK),
                         "key-ack");
}

static void roundtrip(const conductor_msg *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg d;
  conductor_ssize len = conductor_msg_encode(buf, sizeof buf, m);
  CU_ASSERT_FATAL(len > 0);
  memset(&d, 0x55, sizeof d);
  CU_ASSERT_EQUAL_FATAL(conductor_msg_decode(&d, buf, (size_t)len), 0);
  CU_ASSERT_EQUAL(d.type, m->type);
  CU_ASSERT_STRING_EQUAL(d.peer, m->peer);
  CU_ASSERT_EQUAL(d.key_index, m->key_index);
  CU_ASSERT_EQUAL(d.key_op, m->key_op);
  CU_ASSERT_EQUAL(d.keylen, m->keylen);
  CU_ASSERT_EQUAL(memcmp(d.key, m->key, sizeof d.key), 0);
  CU_ASSERT_EQUAL(d.interval_ns, m->interval_ns);
  CU_ASSERT_EQUAL(d.error_code, m->error_code);
  CU_ASSERT_STRING_EQUAL(d.text, m->text);
}

static void test_key_roundtrip(void) {
  conductor_msg m = sample_key(CONDUCTOR_KEY_ADD);
  size_t i;
  /* 64-byte key, longest peer name, the rekey interval */
  m.keylen = CONDUCTOR_KEY_MAX;
  for (i = 0; i < CONDUCTOR_KEY_MAX; i++) {
    m.key[i] = (uint8_t)(0xff - i);
  }
  memset(m.peer, 'p', CONDUCTOR_NAME_MAX - 1);
  m.key_index = 0xffffffffu;
  m.interval_ns = 3600ULL * CONDUCTOR_SECONDS;
  roundtrip(&m);
  m = sample_key(CONDUCTOR_KEY_ACTIVATE);
  roundtrip(&m);
  m = sample_key(CONDUCTOR_KEY_REMOVE);
  roundtrip(&m);
  /* acks: success, and a refusal with its reason */
  m = sample_key(CONDUCTOR_KEY_ACTIVATE);
  m.type = CONDUCTOR_MSG_KEY_ACK;
  roundtrip(&m);
  m.key_op = CONDUCTOR_KEY_ADD;
  m.error_code = 207;
  strcpy(m.text, "no forwarding path to router 'rb'");
  roundtrip(&m);
}

/* Frame of |type| around the TLVs in |body_hex|; returns its length. */
static size_t frame(uint8_t *b, size_t cap, unsigned type,
                    const char *body_hex) {
  char hex[2048];
  int n;
  snprintf(hex, sizeof hex, "%08zx%04x0000%s", strlen(body_hex) / 2, type,
           body_hex);
  n = svr_test_unhex(b, cap, hex);
  CU_ASSERT_FATAL(n >= 8);
  return (size_t)n;
}

#define PEER "e0b300027262"
#define IDX "e0b4000400000002"
#define OPADD "e0b5000101"
#define OPACT "e0b5000102"
#define KEY16 "e0b60010000102030405060708090a0b0c0d0e0f"
#define EC0 "e0af00020000"

static void expect(unsigned type, const char *body_hex, int want) {
  uint8_t b[1024];
  conductor_msg d;
  size_t n = frame(b, sizeof b, type, body_hex);
  memset(&d, 0xAA, sizeof d);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, b, n), want);
  if (want != 0) {
    CU_ASSERT_EQUAL(d.type, 0xAAAA); /* nothing changed on error */
    CU_ASSERT_EQUAL(d.key[0], 0xAA);
  }
}

static void test_key_malformed(void) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg m;
  conductor_ssize len;
  size_t i;
  /* the well-formed ones the cases below break */
  expect(CONDUCTOR_MSG_KEY, PEER IDX OPADD KEY16, 0);
  expect(CONDUCTOR_MSG_KEY, PEER IDX OPACT, 0);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER IDX OPACT EC0, 0);
  /* each mandatory field missing */
  expect(CONDUCTOR_MSG_KEY, IDX OPADD KEY16, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_KEY, PEER OPADD KEY16, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_KEY, PEER IDX KEY16, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_KEY_ACK, IDX OPACT EC0, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER OPACT EC0, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER IDX EC0, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER IDX OPACT, CONDUCTOR_ERR_FIELD_MISSING);
  /* ADD without its key; a key with anything but ADD */
  expect(CONDUCTOR_MSG_KEY, PEER IDX OPADD, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_KEY, PEER IDX OPACT KEY16, CONDUCTOR_ERR_FIELD_VALUE);
  expect(CONDUCTOR_MSG_KEY, PEER IDX "e0b5000103" KEY16,
         CONDUCTOR_ERR_FIELD_VALUE);
  /* key length: 15 and 65 bytes */
  expect(CONDUCTOR_MSG_KEY,
         PEER IDX OPADD "e0b6000f000102030405060708090a0b0c0d0e",
         CONDUCTOR_ERR_FIELD_LENGTH);
  {
    char body[512];
    snprintf(body, sizeof body, "%s%s%se0b60041", PEER, IDX, OPADD);
    for (i = 0; i < 65; i++) {
      strcat(body, "11");
    }
    expect(CONDUCTOR_MSG_KEY, body, CONDUCTOR_ERR_FIELD_LENGTH);
    body[strlen(body) - 2] = '\0'; /* 64: accepted */
    body[strlen(PEER IDX OPADD) + 7] = '0';
    expect(CONDUCTOR_MSG_KEY, body, 0);
  }
  /* index 0; op 0 and 4; wrong sizes of index and op */
  expect(CONDUCTOR_MSG_KEY, PEER "e0b4000400000000" OPACT,
         CONDUCTOR_ERR_FIELD_VALUE);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER "e0b4000400000000" OPACT EC0,
         CONDUCTOR_ERR_FIELD_VALUE);
  expect(CONDUCTOR_MSG_KEY, PEER IDX "e0b5000100", CONDUCTOR_ERR_FIELD_VALUE);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER IDX "e0b5000104" EC0,
         CONDUCTOR_ERR_FIELD_VALUE);
  expect(CONDUCTOR_MSG_KEY, PEER "e0b40002" "0002" OPACT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_KEY, PEER IDX "e0b500020002",
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER IDX OPACT "e0af000100",
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_KEY, PEER IDX OPACT "e0ae000400000001",
         CONDUCTOR_ERR_FIELD_LENGTH); /* interval is a u64 */
  /* peer: empty, 64 bytes, an embedded NUL */
  expect(CONDUCTOR_MSG_KEY, "e0b30000" IDX OPACT, CONDUCTOR_ERR_FIELD_LENGTH);
  {
    char body[512];
    strcpy(body, "e0b30040");
    for (i = 0; i < 64; i++) {
      strcat(body, "70");
    }
    strcat(body, IDX OPACT);
    expect(CONDUCTOR_MSG_KEY, body, CONDUCTOR_ERR_FIELD_LENGTH);
  }
  expect(CONDUCTOR_MSG_KEY, "e0b30003720062" IDX OPACT,
         CONDUCTOR_ERR_FIELD_VALUE);
  /* duplicates: the key twice, the peer twice */
  expect(CONDUCTOR_MSG_KEY, PEER IDX OPADD KEY16 KEY16,
         CONDUCTOR_ERR_FIELD_DUPLICATE);
  expect(CONDUCTOR_MSG_KEY_ACK, PEER PEER IDX OPACT EC0,
         CONDUCTOR_ERR_FIELD_DUPLICATE);
  /* a TLV running past the body */
  expect(CONDUCTOR_MSG_KEY, PEER IDX OPADD "e0b60010" "0001",
         CONDUCTOR_ERR_TLV_TRUNCATED);
  /* a key TLV in an ACK is another message's field: skipped, not stored */
  {
    uint8_t b[256];
    size_t n = frame(b, sizeof b, CONDUCTOR_MSG_KEY_ACK,
                     PEER IDX OPADD EC0 KEY16);
    memset(&m, 0, sizeof m);
    CU_ASSERT_EQUAL(conductor_msg_decode(&m, b, n), 0);
    CU_ASSERT_EQUAL(m.keylen, 0);
  }
  /* every prefix of a KEY is refused, none crashes */
  m = sample_key(CONDUCTOR_KEY_ADD);
  len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_FATAL(len > 0);
  for (i = 0; i < (size_t)len; i++) {
    CU_ASSERT(conductor_msg_decode(&m, buf, i) < 0);
  }
  /* the encoder refuses what the decoder would */
  m = sample_key(CONDUCTOR_KEY_ADD);
  m.keylen = 15;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m.keylen = 65;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_key(CONDUCTOR_KEY_ACTIVATE);
  m.keylen = 16;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_key(CONDUCTOR_KEY_ACTIVATE);
  m.key_index = 0;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_key(CONDUCTOR_KEY_ACTIVATE);
  m.key_op = 4;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_key(CONDUCTOR_KEY_ACTIVATE);
  m.peer[0] = '\0';
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_key(CONDUCTOR_KEY_ACTIVATE);
  memset(m.peer, 'x', sizeof m.peer); /* unterminated */
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_key(CONDUCTOR_KEY_ADD);
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, 30, &m), CONDUCTOR_ERR_NOBUF);
}

/* ---- ADDRESS / PEER_ADDRESS (IPC version 5) ------------------------------ */

/* Literal vector (docs/libconductor.md 2.4): ADDRESS, neighborhood "inet",
 * interface "wan", 10.0.3.2, port 1280. */
static const char addr_hex[] = "0000001d" "000c" "0000"
                               "e0b70004696e6574" "e0b8000377616e"
                               "e0b900040a000302" "e0ba00020500";

static conductor_msg sample_addr(uint16_t type) {
  conductor_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  snprintf(m.neighborhood, sizeof m.neighborhood, "inet");
  if (type == CONDUCTOR_MSG_ADDRESS) {
    snprintf(m.interface, sizeof m.interface, "wan");
  } else {
    snprintf(m.peer, sizeof m.peer, "rc");
    snprintf(m.node, sizeof m.node, "node1");
  }
  m.addr_family = 4;
  m.address[0] = 10;
  m.address[2] = 3;
  m.address[3] = 2;
  m.port = 1280;
  return m;
}

static void addr_roundtrip(const conductor_msg *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg d;
  conductor_ssize n = conductor_msg_encode(buf, sizeof buf, m);
  CU_ASSERT_FATAL(n > 0);
  memset(&d, 0, sizeof d);
  CU_ASSERT_EQUAL_FATAL(conductor_msg_decode(&d, buf, (size_t)n), 0);
  CU_ASSERT_EQUAL(d.type, m->type);
  CU_ASSERT_STRING_EQUAL(d.neighborhood, m->neighborhood);
  CU_ASSERT_STRING_EQUAL(d.interface, m->interface);
  CU_ASSERT_STRING_EQUAL(d.peer, m->peer);
  CU_ASSERT_STRING_EQUAL(d.node, m->node);
  CU_ASSERT_EQUAL(d.addr_family, m->addr_family);
  CU_ASSERT_EQUAL(memcmp(d.address, m->address, sizeof d.address), 0);
  CU_ASSERT_EQUAL(d.port, m->port);
}

static void test_address_vector(void) {
  uint8_t want[64], buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg m = sample_addr(CONDUCTOR_MSG_ADDRESS), d;
  int n = svr_test_unhex(want, sizeof want, addr_hex);
  conductor_ssize len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_EQUAL_FATAL(len, n);
  CU_ASSERT_EQUAL(memcmp(buf, want, (size_t)n), 0);
  memset(&d, 0, sizeof d);
  CU_ASSERT_EQUAL(conductor_msg_decode(&d, want, (size_t)n), 0);
  CU_ASSERT_EQUAL(d.addr_family, 4);
  CU_ASSERT_EQUAL(d.port, 1280);
  CU_ASSERT_STRING_EQUAL(d.interface, "wan");
  CU_ASSERT_STRING_EQUAL(conductor_msg_type_name(CONDUCTOR_MSG_ADDRESS),
                         "address");
  CU_ASSERT_STRING_EQUAL(conductor_msg_type_name(CONDUCTOR_MSG_PEER_ADDRESS),
                         "peer-address");
  CU_ASSERT(CONDUCTOR_PROTO_VERSION >= CONDUCTOR_VERSION_DPU);
}

static void test_address_roundtrip(void) {
  conductor_msg m = sample_addr(CONDUCTOR_MSG_ADDRESS);
  size_t i;
  addr_roundtrip(&m);
  m = sample_addr(CONDUCTOR_MSG_PEER_ADDRESS);
  addr_roundtrip(&m);
  /* IPv6, the longest names, port 65535 */
  m.addr_family = 6;
  for (i = 0; i < 16; i++) {
    m.address[i] = (uint8_t)(0xfd + i);
  }
  memset(m.peer, 'p', sizeof m.peer - 1);
  memset(m.neighborhood, 'n', sizeof m.neighborhood - 1);
  m.port = 65535;
  addr_roundtrip(&m);
}

#define NBH "e0b70004696e6574"
#define IFN "e0b8000377616e"
#define A4 "e0b900040a000302"
#define PORT "e0ba00020500"
#define APEER "e0b300027263"
#define ANODE "e0a400056e6f646531"

static void test_address_malformed(void) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg m;
  conductor_ssize len;
  size_t i;
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN A4 PORT, 0);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, APEER ANODE NBH A4 PORT, 0);
  expect(CONDUCTOR_MSG_ADDRESS,
         NBH IFN "e0b90010fd000000000000000000000000000001" PORT, 0);
  /* each mandatory field missing */
  expect(CONDUCTOR_MSG_ADDRESS, IFN A4 PORT, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_ADDRESS, NBH A4 PORT, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN PORT, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN A4, CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, ANODE NBH A4 PORT,
         CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, APEER NBH A4 PORT,
         CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, APEER ANODE A4 PORT,
         CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, APEER ANODE NBH PORT,
         CONDUCTOR_ERR_FIELD_MISSING);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, APEER ANODE NBH A4,
         CONDUCTOR_ERR_FIELD_MISSING);
  /* an interface is ADDRESS's field: in PEER_ADDRESS it is skipped */
  expect(CONDUCTOR_MSG_PEER_ADDRESS, APEER ANODE NBH IFN A4 PORT, 0);
  /* address: 0, 5, 15 and 17 bytes; unspecified 0.0.0.0 and :: */
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN "e0b90000" PORT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN "e0b900050a00030201" PORT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_ADDRESS,
         NBH IFN "e0b9000ffd0000000000000000000000000001" PORT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_ADDRESS,
         NBH IFN "e0b90011fd00000000000000000000000000000001" PORT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN "e0b9000400000000" PORT,
         CONDUCTOR_ERR_FIELD_VALUE);
  expect(CONDUCTOR_MSG_PEER_ADDRESS,
         APEER ANODE NBH "e0b9001000000000000000000000000000000000" PORT,
         CONDUCTOR_ERR_FIELD_VALUE);
  /* port: 0, one byte, four bytes */
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN A4 "e0ba00020000",
         CONDUCTOR_ERR_FIELD_VALUE);
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN A4 "e0ba000105",
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN A4 "e0ba000400000500",
         CONDUCTOR_ERR_FIELD_LENGTH);
  /* names: empty, 64 bytes, an embedded NUL */
  expect(CONDUCTOR_MSG_ADDRESS, "e0b70000" IFN A4 PORT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_ADDRESS, NBH "e0b80000" A4 PORT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, "e0b30000" ANODE NBH A4 PORT,
         CONDUCTOR_ERR_FIELD_LENGTH);
  {
    char body[512];
    strcpy(body, "e0b70040");
    for (i = 0; i < 64; i++) {
      strcat(body, "6e");
    }
    strcat(body, IFN A4 PORT);
    expect(CONDUCTOR_MSG_ADDRESS, body, CONDUCTOR_ERR_FIELD_LENGTH);
  }
  expect(CONDUCTOR_MSG_ADDRESS, NBH "e0b80003770061" A4 PORT,
         CONDUCTOR_ERR_FIELD_VALUE);
  /* duplicates */
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN A4 A4 PORT,
         CONDUCTOR_ERR_FIELD_DUPLICATE);
  expect(CONDUCTOR_MSG_PEER_ADDRESS, APEER ANODE NBH NBH A4 PORT,
         CONDUCTOR_ERR_FIELD_DUPLICATE);
  /* truncated TLV */
  expect(CONDUCTOR_MSG_ADDRESS, NBH IFN PORT "e0b90004" "0a00",
         CONDUCTOR_ERR_TLV_TRUNCATED);
  /* every prefix refused, none crashes */
  m = sample_addr(CONDUCTOR_MSG_PEER_ADDRESS);
  len = conductor_msg_encode(buf, sizeof buf, &m);
  CU_ASSERT_FATAL(len > 0);
  for (i = 0; i < (size_t)len; i++) {
    CU_ASSERT(conductor_msg_decode(&m, buf, i) < 0);
  }
  /* the encoder refuses what the decoder would */
  m = sample_addr(CONDUCTOR_MSG_ADDRESS);
  m.addr_family = 5;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_addr(CONDUCTOR_MSG_ADDRESS);
  memset(m.address, 0, sizeof m.address);
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_addr(CONDUCTOR_MSG_ADDRESS);
  m.port = 0;
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_addr(CONDUCTOR_MSG_ADDRESS);
  m.interface[0] = '\0';
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_addr(CONDUCTOR_MSG_PEER_ADDRESS);
  m.node[0] = '\0';
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_addr(CONDUCTOR_MSG_PEER_ADDRESS);
  memset(m.neighborhood, 'x', sizeof m.neighborhood); /* unterminated */
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, sizeof buf, &m),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  m = sample_addr(CONDUCTOR_MSG_ADDRESS);
  CU_ASSERT_EQUAL(conductor_msg_encode(buf, 20, &m), CONDUCTOR_ERR_NOBUF);
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
      {"key_vector", test_key_vector},
      {"key_roundtrip", test_key_roundtrip},
      {"key_malformed", test_key_malformed},
      {"address_vector", test_address_vector},
      {"address_roundtrip", test_address_roundtrip},
      {"address_malformed", test_address_malformed},
      {"names", test_names},
      {NULL, NULL}};
  return svr_test_run("conductor_codec", cases);
}
