/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the libconductor administration message decoder (IPC
 * version 6: LOG_*, SHELL_*, REPO_STATUS; docs/libconductor.md 2.7).
 * Input: byte 0 picks the message type (14 + byte mod 12), the rest is the
 * frame body (TLVs); the target adds the 8-byte header.  Checks:
 *   - a refused frame leaves the output untouched and the error is a
 *     malformed-input one (-3xx);
 *   - an accepted one keeps the wire rules (stream > 0 but for
 *     REPO_STATUS, NUL-terminated strings, data inside the frame and at
 *     most CONDUCTOR_ADMIN_DATA_MAX bytes, rows/cols > 0 where they count);
 *   - decode(encode(decode(x))) == decode(x).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <conductor/conductor.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const conductor_admin *a, const conductor_admin *b) {
  conductor_admin x = *a, y = *b;
  if (x.datalen != y.datalen ||
      (x.datalen && memcmp(x.data, y.data, x.datalen) != 0)) {
    return 0;
  }
  x.data = y.data = NULL;
  return memcmp(&x, &y, sizeof x) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t in[CONDUCTOR_MAX_FRAME_LEN], out[CONDUCTOR_MAX_FRAME_LEN];
  conductor_admin m, m2, sentinel;
  size_t blen;
  uint16_t type;
  conductor_ssize n;
  int rv;

  if (size < 1) {
    return 0;
  }
  type = (uint16_t)(CONDUCTOR_MSG_LOG_LIST + data[0] % 12);
  blen = size - 1;
  if (blen > CONDUCTOR_MAX_BODY_LEN) {
    blen = CONDUCTOR_MAX_BODY_LEN;
  }
  in[0] = (uint8_t)(blen >> 24);
  in[1] = (uint8_t)(blen >> 16);
  in[2] = (uint8_t)(blen >> 8);
  in[3] = (uint8_t)blen;
  in[4] = (uint8_t)(type >> 8);
  in[5] = (uint8_t)type;
  in[6] = in[7] = 0;
  memcpy(in + CONDUCTOR_FRAME_HDR_LEN, data + 1, blen);

  memset(&sentinel, 0xA5, sizeof sentinel);
  m = sentinel;
  rv = conductor_admin_decode(&m, in, CONDUCTOR_FRAME_HDR_LEN + blen);
  if (rv != 0) {
    if (rv > CONDUCTOR_ERR_FRAME_TOO_LONG || rv < CONDUCTOR_ERR_UNEXPECTED ||
        memcmp(&m, &sentinel, sizeof m) != 0) {
      abort();
    }
    return 0;
  }
  if (m.type != type || (m.stream == 0 && type != CONDUCTOR_MSG_REPO_STATUS) ||
      !memchr(m.router, 0, sizeof m.router) || !memchr(m.node, 0, sizeof m.node) ||
      !memchr(m.user, 0, sizeof m.user) || !memchr(m.term, 0, sizeof m.term) ||
      !memchr(m.name, 0, sizeof m.name) || !memchr(m.text, 0, sizeof m.text) ||
      m.datalen > CONDUCTOR_ADMIN_DATA_MAX ||
      (m.datalen && (m.data < in + CONDUCTOR_FRAME_HDR_LEN ||
                     m.data + m.datalen > in + CONDUCTOR_FRAME_HDR_LEN + blen))) {
    abort();
  }
  if ((type == CONDUCTOR_MSG_SHELL_OPEN || type == CONDUCTOR_MSG_SHELL_RESIZE) &&
      (m.rows == 0 || m.cols == 0)) {
    abort();
  }
  if ((type == CONDUCTOR_MSG_LOG_DATA || type == CONDUCTOR_MSG_SHELL_DATA) &&
      m.datalen == 0) {
    abort();
  }
  n = conductor_admin_encode(out, sizeof out, &m);
  memset(&m2, 0, sizeof m2);
  if (n <= 0 || conductor_admin_decode(&m2, out, (size_t)n) != 0 ||
      !same(&m, &m2)) {
    abort();
  }
  return 0;
}
