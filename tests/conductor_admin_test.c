/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Codec of the administration messages (IPC version 6,
 * docs/libconductor.md 2.7): every type round-trips, the vector of the
 * docs, and each kind of malformed frame gets its own error.
 */
#include <stdio.h>
#include <string.h>

#include <conductor/conductor.h>

static int failures;
#define CHECK(c)                                                             \
  do {                                                                       \
    if (!(c)) {                                                              \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                    \
      failures++;                                                            \
    }                                                                        \
  } while (0)

static int same(const conductor_admin *a, const conductor_admin *b) {
  conductor_admin x = *a, y = *b;
  if (x.datalen != y.datalen ||
      (x.datalen && memcmp(x.data, y.data, x.datalen) != 0)) {
    return 0;
  }
  x.data = y.data = NULL;
  return memcmp(&x, &y, sizeof x) == 0;
}

static void roundtrip(conductor_admin *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_admin d;
  conductor_ssize n = conductor_admin_encode(buf, sizeof buf, m);
  CHECK(n > 0);
  if (n <= 0) {
    printf("  type %u: encode %d\n", (unsigned)m->type, (int)n);
    return;
  }
  memset(&d, 0, sizeof d);
  CHECK(conductor_admin_decode(&d, buf, (size_t)n) == 0);
  CHECK(same(m, &d));
  /* conductor_msg_decode does not take them */
  {
    conductor_msg cm;
    CHECK(conductor_msg_decode(&cm, buf, (size_t)n) ==
          CONDUCTOR_ERR_UNKNOWN_TYPE);
  }
}

static conductor_ssize frame(uint8_t *buf, uint16_t type, const uint8_t *body,
                             size_t blen) {
  buf[0] = buf[1] = 0;
  buf[2] = (uint8_t)(blen >> 8);
  buf[3] = (uint8_t)blen;
  buf[4] = (uint8_t)(type >> 8);
  buf[5] = (uint8_t)type;
  buf[6] = buf[7] = 0;
  memcpy(buf + 8, body, blen);
  return (conductor_ssize)(8 + blen);
}

int main(void) {
  static const uint8_t payload[CONDUCTOR_ADMIN_DATA_MAX] = {1, 2, 3};
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_admin m, d;
  conductor_ssize n;
  uint16_t t;

  for (t = CONDUCTOR_MSG_LOG_LIST; t <= CONDUCTOR_MSG_REPO_STATUS; t++) {
    CHECK(conductor_admin_type(t));
    memset(&m, 0, sizeof m);
    m.type = t;
    m.stream = 7;
    switch (t) {
    case CONDUCTOR_MSG_LOG_LIST:
      strcpy(m.router, "r1");
      strcpy(m.user, "alice");
      break;
    case CONDUCTOR_MSG_LOG_FILE:
      strcpy(m.name, "router.log");
      m.size = 20971520;
      m.has_size = 1;
      m.mtime_ns = 1765000000000000000ull;
      break;
    case CONDUCTOR_MSG_LOG_GET:
      strcpy(m.router, "r1");
      strcpy(m.node, "n1");
      strcpy(m.name, "router.log");
      m.offset = 131072;
      m.length = 131072;
      m.has_size = 1;
      m.size = 20971520;
      break;
    case CONDUCTOR_MSG_LOG_DATA:
    case CONDUCTOR_MSG_SHELL_DATA:
      m.offset = t == CONDUCTOR_MSG_LOG_DATA ? 4000 : 0;
      m.data = payload;
      m.datalen = sizeof payload;
      break;
    case CONDUCTOR_MSG_LOG_END:
      m.has_size = 1;
      m.size = 5;
      m.mtime_ns = 9;
      m.has_sha256 = 1;
      memset(m.sha256, 0xab, 32);
      break;
    case CONDUCTOR_MSG_SHELL_OPEN:
      strcpy(m.router, "r1");
      strcpy(m.user, "alice");
      strcpy(m.term, "xterm-256color");
      m.rows = 37;
      m.cols = 91;
      break;
    case CONDUCTOR_MSG_SHELL_RESIZE:
      m.rows = 40;
      m.cols = 100;
      break;
    case CONDUCTOR_MSG_SHELL_ACK:
      m.length = 8192;
      break;
    case CONDUCTOR_MSG_SHELL_EXIT:
      m.has_exit_status = 1;
      m.exit_status = 7;
      break;
    case CONDUCTOR_MSG_REPO_STATUS:
      m.stream = 0;
      strcpy(m.name, "https://192.0.2.1/repo");
      m.error_code = (uint16_t)-CONDUCTOR_ERR_CLOSED;
      m.mtime_ns = 1;
      m.length = 2500000;
      strcpy(m.text, "connection refused");
      break;
    default:
      break;
    }
    roundtrip(&m);
  }
  CHECK(!conductor_admin_type(CONDUCTOR_MSG_PEER_ADDRESS));
  CHECK(!conductor_admin_type(26));

  /* vector (docs/libconductor.md 2.7): LOG_GET stream 1, router r1, file
   * a.log, offset 0, length 131072 */
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_LOG_GET;
  m.stream = 1;
  strcpy(m.router, "r1");
  strcpy(m.name, "a.log");
  m.length = 131072;
  n = conductor_admin_encode(buf, sizeof buf, &m);
  {
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x2f, 0x00, 0x10, 0x00, 0x00, 0xe0, 0xbb, 0x00,
        0x04, 0x00, 0x00, 0x00, 0x01, 0xe0, 0xa3, 0x00, 0x02, 0x72, 0x31,
        0xe0, 0xbc, 0x00, 0x05, 0x61, 0x2e, 0x6c, 0x6f, 0x67, 0xe0, 0xbd,
        0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0xbe, 0x00, 0x08,
        0, 0, 0, 0, 0, 0x02, 0x00, 0x00};
    CHECK(n == (conductor_ssize)sizeof want);
    CHECK(n == (conductor_ssize)sizeof want && memcmp(buf, want, sizeof want) == 0);
  }

  /* malformed */
  {
    /* stream 0 */
    static const uint8_t s0[] = {0xe0, 0xbb, 0, 4, 0, 0, 0, 0};
    /* SHELL_CLOSE stream 1 twice */
    static const uint8_t dup[] = {0xe0, 0xbb, 0, 4, 0, 0, 0, 1,
                                  0xe0, 0xbb, 0, 4, 0, 0, 0, 1};
    /* stream of 2 bytes */
    static const uint8_t shortf[] = {0xe0, 0xbb, 0, 2, 0, 1};
    /* truncated TLV */
    static const uint8_t trunc[] = {0xe0, 0xbb, 0, 4, 0, 0};
    /* LOG_END: size without mtime */
    static const uint8_t half[] = {0xe0, 0xbb, 0, 4, 0, 0, 0, 1,
                                   0xe0, 0xaf, 0, 2, 0, 0,
                                   0xe0, 0xbf, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1};
    /* SHELL_RESIZE rows 0 */
    static const uint8_t rows0[] = {0xe0, 0xbb, 0, 4, 0, 0, 0, 1,
                                    0xe0, 0xc3, 0, 2, 0, 0,
                                    0xe0, 0xc4, 0, 2, 0, 80};
    /* SHELL_DATA without data bytes */
    static const uint8_t empty[] = {0xe0, 0xbb, 0, 4, 0, 0, 0, 1,
                                    0xe0, 0xc1, 0, 0};
    /* a file name with a NUL */
    static const uint8_t nul[] = {0xe0, 0xbb, 0, 4, 0, 0, 0, 1,
                                  0xe0, 0xbc, 0, 3, 'a', 0, 'b',
                                  0xe0, 0xbd, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0xe0, 0xbe, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1};
    memset(&d, 0x5a, sizeof d);
    m = d;
    n = frame(buf, CONDUCTOR_MSG_SHELL_CLOSE, s0, sizeof s0);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_VALUE);
    n = frame(buf, CONDUCTOR_MSG_SHELL_CLOSE, dup, sizeof dup);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_DUPLICATE);
    n = frame(buf, CONDUCTOR_MSG_SHELL_CLOSE, shortf, sizeof shortf);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_LENGTH);
    n = frame(buf, CONDUCTOR_MSG_SHELL_CLOSE, trunc, sizeof trunc);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_TLV_TRUNCATED);
    n = frame(buf, CONDUCTOR_MSG_LOG_END, half, sizeof half);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_MISSING);
    n = frame(buf, CONDUCTOR_MSG_SHELL_RESIZE, rows0, sizeof rows0);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_VALUE);
    n = frame(buf, CONDUCTOR_MSG_SHELL_DATA, empty, sizeof empty);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_LENGTH);
    n = frame(buf, CONDUCTOR_MSG_LOG_GET, nul, sizeof nul);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_VALUE);
    n = frame(buf, CONDUCTOR_MSG_LOG_GET, s0, sizeof s0);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_FIELD_MISSING);
    n = frame(buf, CONDUCTOR_MSG_HELLO, s0, sizeof s0);
    CHECK(conductor_admin_decode(&d, buf, (size_t)n) ==
          CONDUCTOR_ERR_UNKNOWN_TYPE);
    CHECK(memcmp(&d, &m, sizeof d) == 0); /* untouched by every refusal */
  }
  /* encode refuses what decode would */
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_SHELL_DATA;
  m.stream = 1;
  m.data = payload;
  m.datalen = CONDUCTOR_ADMIN_DATA_MAX + 1;
  CHECK(conductor_admin_encode(buf, sizeof buf, &m) ==
        CONDUCTOR_ERR_INVALID_ARGUMENT);
  m.datalen = 0;
  CHECK(conductor_admin_encode(buf, sizeof buf, &m) ==
        CONDUCTOR_ERR_INVALID_ARGUMENT);
  m.type = CONDUCTOR_MSG_LOG_GET; /* no name, length 0 */
  CHECK(conductor_admin_encode(buf, sizeof buf, &m) ==
        CONDUCTOR_ERR_INVALID_ARGUMENT);
  if (failures == 0) {
    printf("conductor_admin_test: all passed\n");
  }
  return failures ? 1 : 0;
}
