/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the libconductor ADDRESS and PEER_ADDRESS decoder (dynamic
 * peer update, IPC version 5).  Input: byte 0 picks the message type (even:
 * ADDRESS, odd: PEER_ADDRESS), the rest is the frame body (TLVs); the
 * target adds the 8-byte header so that every input reaches the TLV
 * decoder.  Checks:
 *   - a refused frame leaves the output message untouched and the error is
 *     a malformed-input one (-3xx);
 *   - an accepted one satisfies the wire rules of docs/libconductor.md
 *     section 2.6 (family 4 or 6, a specified address, port > 0, non-empty
 *     NUL-terminated names: neighborhood and interface for ADDRESS, peer,
 *     node and neighborhood for PEER_ADDRESS);
 *   - decode(encode(decode(x))) == decode(x).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <conductor/conductor.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int name_ok(const char *s, size_t cap) {
  return s[0] != '\0' && memchr(s, 0, cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t zero[16];
  static uint8_t in[CONDUCTOR_MAX_FRAME_LEN], out[CONDUCTOR_MAX_FRAME_LEN];
  conductor_msg m, m2, sentinel;
  size_t blen;
  uint16_t type;
  conductor_ssize n;
  int rv;

  if (size < 1) {
    return 0;
  }
  type = (data[0] & 1) ? CONDUCTOR_MSG_PEER_ADDRESS : CONDUCTOR_MSG_ADDRESS;
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
  if (m.type != type || (m.addr_family != 4 && m.addr_family != 6) ||
      memcmp(m.address, zero, m.addr_family == 4 ? 4 : 16) == 0 ||
      (m.addr_family == 4 && memcmp(m.address + 4, zero, 12) != 0) ||
      m.port == 0 || !name_ok(m.neighborhood, sizeof m.neighborhood) ||
      m.keylen != 0) {
    abort();
  }
  if (type == CONDUCTOR_MSG_ADDRESS
          ? !name_ok(m.interface, sizeof m.interface)
          : (!name_ok(m.peer, sizeof m.peer) ||
             !name_ok(m.node, sizeof m.node))) {
    abort();
  }
  n = conductor_msg_encode(out, sizeof out, &m);
  memset(&m2, 0, sizeof m2);
  if (n <= 0 || conductor_msg_decode(&m2, out, (size_t)n) != 0 ||
      memcmp(&m, &m2, sizeof m) != 0) {
    abort();
  }
  return 0;
}
