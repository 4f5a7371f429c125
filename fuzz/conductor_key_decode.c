/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the libconductor KEY and KEY_ACK decoder (rekey, IPC
 * version 3).  Input: byte 0 picks the message type (even: KEY, odd:
 * KEY_ACK), the rest is the frame body (TLVs); the target adds the 8-byte
 * header so that every input reaches the TLV decoder.  Checks:
 *   - a refused frame leaves the output message untouched and the error is
 *     a malformed-input one (-3xx);
 *   - an accepted one satisfies the wire rules of docs/libconductor.md
 *     section 2.5 (index > 0, op 1-3, key material with ADD and only with
 *     it, 16-64 bytes, a non-empty NUL-terminated peer name);
 *   - decode(encode(decode(x))) == decode(x).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <conductor/conductor.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t in[CONDUCTOR_MAX_FRAME_LEN], out[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg m, m2, sentinel;
  size_t blen;
  uint16_t type;
  conductor_ssize n;
  int rv;

  if (size < 1) {
    return 0;
  }
  type = (data[0] & 1) ? CONDUCTOR_MSG_KEY_ACK : CONDUCTOR_MSG_KEY;
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
  rv = conductor_msg_decode(&m, in, CONDUCTOR_FRAME_HDR_LEN + blen);
  if (rv != 0) {
    if (rv > CONDUCTOR_ERR_FRAME_TOO_LONG || rv < CONDUCTOR_ERR_UNEXPECTED ||
        memcmp(&m, &sentinel, sizeof m) != 0) {
      abort();
    }
    return 0;
  }
  if (m.type != type || m.key_index == 0 || m.key_op < CONDUCTOR_KEY_ADD ||
      m.key_op > CONDUCTOR_KEY_REMOVE || m.peer[0] == '\0' ||
      memchr(m.peer, 0, sizeof m.peer) == NULL ||
      memchr(m.text, 0, sizeof m.text) == NULL ||
      m.keylen > CONDUCTOR_KEY_MAX) {
    abort();
  }
  if (type == CONDUCTOR_MSG_KEY) {
    if ((m.key_op == CONDUCTOR_KEY_ADD) !=
            (m.keylen >= CONDUCTOR_KEY_MIN) ||
        (m.keylen != 0 && m.keylen < CONDUCTOR_KEY_MIN)) {
      abort();
    }
  } else if (m.keylen != 0) {
    abort(); /* an ACK never carries key material */
  }
  n = conductor_msg_encode(out, sizeof out, &m);
  memset(&m2, 0, sizeof m2);
  if (n <= 0 || conductor_msg_decode(&m2, out, (size_t)n) != 0 ||
      memcmp(&m, &m2, sizeof m) != 0) {
    abort();
  }
  return 0;
}
