/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the asset channel decoder (4505/4506, docs/libconductor.md
 * section 10).  Input: byte 0 picks the message type (its low 3 bits: 1-7
 * the seven messages, 0 an unknown one), the rest is the frame body
 * (TLVs); the target adds the 8-byte header so that every input reaches
 * the TLV decoder.  Checks:
 *   - a refused frame leaves the output untouched (bar the type of an
 *     unknown one) and the error is a malformed-input one (-3xx);
 *   - an accepted one obeys the wire rules: names and versions 1-63
 *     allowed characters, NUL-terminated; at most 32 distinct available
 *     versions; channel and status in range; seq > 0 where required;
 *   - decode(encode(decode(x))) == decode(x), field by field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conductor_asset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static void check_accepted(const casset_msg *m) {
  unsigned i, j;
  switch (m->type) {
  case CASSET_MSG_HELLO:
    if (m->version_min == 0 || m->version_min > m->version_max ||
        (m->channel != CASSET_CH_PUB && m->channel != CASSET_CH_REQ) ||
        !casset_name_ok(m->node) || !casset_name_ok(m->asset_id) ||
        !casset_version_ok(m->installed)) {
      abort();
    }
    break;
  case CASSET_MSG_HELLO_ACK:
    if (m->version == 0 || !casset_name_ok(m->node)) {
      abort();
    }
    break;
  case CASSET_MSG_KEEPALIVE:
    if (m->seq == 0 ||
        (m->status != CASSET_ST_PENDING && m->status != CASSET_ST_RUNNING) ||
        !casset_name_ok(m->asset_id) || !casset_version_ok(m->installed)) {
      abort();
    }
    break;
  case CASSET_MSG_VERSION_CHECK:
    if (m->seq == 0) {
      abort();
    }
    break;
  case CASSET_MSG_VERSION_LIST:
    if (m->seq == 0 || !casset_version_ok(m->installed) ||
        m->n_available > CASSET_MAX_AVAILABLE) {
      abort();
    }
    for (i = 0; i < m->n_available; i++) {
      if (!casset_version_ok(m->available[i])) {
        abort();
      }
      for (j = 0; j < i; j++) {
        if (strcmp(m->available[i], m->available[j]) == 0) {
          abort();
        }
      }
    }
    break;
  case CASSET_MSG_KEEPALIVE_ACK:
  case CASSET_MSG_ERROR:
    if (memchr(m->text, 0, sizeof m->text) == NULL) {
      abort();
    }
    break;
  default:
    abort();
  }
  if (m->type != CASSET_MSG_VERSION_LIST && m->n_available != 0) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t in[CASSET_MAX_FRAME_LEN], out[CASSET_MAX_FRAME_LEN];
  static casset_msg m, m2, sentinel;
  size_t blen;
  uint16_t type;
  conductor_ssize n;
  int rv;

  if (size < 1) {
    return 0;
  }
  type = (uint16_t)(data[0] & 7);
  blen = size - 1;
  if (blen > CASSET_MAX_BODY_LEN) {
    blen = CASSET_MAX_BODY_LEN;
  }
  in[0] = (uint8_t)(blen >> 24);
  in[1] = (uint8_t)(blen >> 16);
  in[2] = (uint8_t)(blen >> 8);
  in[3] = (uint8_t)blen;
  in[4] = (uint8_t)(type >> 8);
  in[5] = (uint8_t)type;
  in[6] = in[7] = 0;
  memcpy(in + CASSET_HDR_LEN, data + 1, blen);

  memset(&sentinel, 0xA5, sizeof sentinel);
  m = sentinel;
  rv = casset_decode(&m, in, CASSET_HDR_LEN + blen);
  if (rv != 0) {
    if (rv > CONDUCTOR_ERR_FRAME_TOO_LONG || rv < CONDUCTOR_ERR_UNEXPECTED) {
      abort();
    }
    if (rv == CONDUCTOR_ERR_UNKNOWN_TYPE) {
      if (m.type != type) {
        abort();
      }
      m.type = sentinel.type;
    }
    if (memcmp(&m, &sentinel, sizeof m) != 0) {
      abort();
    }
    return 0;
  }
  if (m.type != type) {
    abort();
  }
  check_accepted(&m);
  n = casset_encode(out, sizeof out, &m);
  memset(&m2, 0, sizeof m2);
  if (n <= 0 || casset_decode(&m2, out, (size_t)n) != 0 || !same(&m, &m2)) {
    abort();
  }
  return 0;
}
