/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control packet codec: RFC 5880 section 4.1 (mandatory section), 4.2-4.4
 * (authentication section shape) and the stateless checks of 6.8.6 steps 1-6.
 */
#include <string.h>

#include "bfd_int.h"
#include "svr_endian.h"

/* Expected Auth Len for a type, or 0 when it varies/unknown. */
static int bfd_auth_len_ok(uint8_t type, uint8_t auth_len) {
  switch (type) {
  case SVRBFD_AUTH_SIMPLE: /* 4.2: Key ID + 1..16 password bytes */
    return auth_len >= 4 && auth_len <= 19;
  case SVRBFD_AUTH_KEYED_MD5:
  case SVRBFD_AUTH_METICULOUS_KEYED_MD5: /* 4.3 */
    return auth_len == BFD_AUTH_LEN_MD5;
  case SVRBFD_AUTH_KEYED_SHA1:
  case SVRBFD_AUTH_METICULOUS_KEYED_SHA1: /* 4.4 */
    return auth_len == BFD_AUTH_LEN_SHA1;
  case SVRBFD_AUTH_HMAC_SHA256: /* ours, docs/libsvrbfd.md */
    return auth_len == BFD_AUTH_LEN_SHA256;
  default: /* unknown types: at least Type and Len; the session rejects */
    return auth_len >= 2;
  }
}

int svrbfd_pkt_decode(svrbfd_pkt *pkt, const uint8_t *data, size_t datalen) {
  uint8_t b0, b1, length;
  if (pkt == NULL || (data == NULL && datalen > 0)) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (datalen < SVRBFD_MIN_PKT_LEN) {
    return SVRBFD_ERR_PKT_SHORT;
  }
  b0 = data[0];
  b1 = data[1];
  memset(pkt, 0, sizeof(*pkt));
  pkt->version = (uint8_t)(b0 >> 5);
  pkt->diag = (uint8_t)(b0 & 0x1f);
  pkt->state = (uint8_t)(b1 >> 6);
  pkt->poll = (uint8_t)((b1 >> 5) & 1);
  pkt->final = (uint8_t)((b1 >> 4) & 1);
  pkt->cpi = (uint8_t)((b1 >> 3) & 1);
  pkt->auth_present = (uint8_t)((b1 >> 2) & 1);
  pkt->demand = (uint8_t)((b1 >> 1) & 1);
  pkt->multipoint = (uint8_t)(b1 & 1);
  pkt->detect_mult = data[2];
  pkt->length = length = data[3];
  pkt->my_discr = svr_get_be32(data + 4);
  pkt->your_discr = svr_get_be32(data + 8);
  pkt->desired_min_tx_us = svr_get_be32(data + 12);
  pkt->required_min_rx_us = svr_get_be32(data + 16);
  pkt->required_min_echo_rx_us = svr_get_be32(data + 20);

  if (pkt->version != 1) { /* 6.8.6 step 1 */
    return SVRBFD_ERR_PKT_VERSION;
  }
  if (length < SVRBFD_MIN_PKT_LEN ||
      (pkt->auth_present && length < SVRBFD_MIN_PKT_LEN + 2)) { /* step 2 */
    return SVRBFD_ERR_PKT_LENGTH;
  }
  if (length > datalen) { /* step 3 (shorter than the payload is legal) */
    return SVRBFD_ERR_PKT_LENGTH_EXCEEDS;
  }
  if (pkt->detect_mult == 0) { /* step 4 */
    return SVRBFD_ERR_PKT_DETECT_MULT;
  }
  if (pkt->multipoint) { /* step 5 */
    return SVRBFD_ERR_PKT_MULTIPOINT;
  }
  if (pkt->my_discr == 0) { /* step 6 */
    return SVRBFD_ERR_PKT_MY_DISCR;
  }
  if (pkt->auth_present) {
    /* 4.2-4.4: the section fills the packet exactly up to Length. */
    const uint8_t *a = data + SVRBFD_MIN_PKT_LEN;
    pkt->auth_type = a[0];
    pkt->auth_len = a[1];
    if ((size_t)pkt->auth_len + SVRBFD_MIN_PKT_LEN != length ||
        !bfd_auth_len_ok(pkt->auth_type, pkt->auth_len)) {
      return SVRBFD_ERR_PKT_AUTH_LEN;
    }
    if (pkt->auth_len >= 3) {
      pkt->auth_key_id = a[2];
    }
    switch (pkt->auth_type) {
    case SVRBFD_AUTH_SIMPLE:
      pkt->auth_data = a + 3;
      pkt->auth_data_len = (size_t)pkt->auth_len - 3;
      break;
    case SVRBFD_AUTH_KEYED_MD5:
    case SVRBFD_AUTH_METICULOUS_KEYED_MD5:
    case SVRBFD_AUTH_KEYED_SHA1:
    case SVRBFD_AUTH_METICULOUS_KEYED_SHA1:
    case SVRBFD_AUTH_HMAC_SHA256:
      pkt->auth_seq = svr_get_be32(a + 4);
      pkt->auth_data = a + 8;
      pkt->auth_data_len = (size_t)pkt->auth_len - 8;
      break;
    default:
      pkt->auth_data = a + 2;
      pkt->auth_data_len = (size_t)pkt->auth_len - 2;
      break;
    }
  }
  pkt->trailer = data + length;
  pkt->trailer_len = datalen - length;
  return 0;
}

svrbfd_ssize svrbfd_pkt_encode(uint8_t *buf, size_t buflen,
                               const svrbfd_pkt *pkt) {
  if (buf == NULL || pkt == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (buflen < SVRBFD_MIN_PKT_LEN) {
    return SVRBFD_ERR_NOBUF;
  }
  buf[0] = (uint8_t)(((pkt->version & 7u) << 5) | (pkt->diag & 0x1fu));
  buf[1] = (uint8_t)(((pkt->state & 3u) << 6) | ((pkt->poll & 1u) << 5) |
                     ((pkt->final & 1u) << 4) | ((pkt->cpi & 1u) << 3) |
                     ((pkt->auth_present & 1u) << 2) |
                     ((pkt->demand & 1u) << 1) | (pkt->multipoint & 1u));
  buf[2] = pkt->detect_mult;
  buf[3] = pkt->length ? pkt->length : (uint8_t)SVRBFD_MIN_PKT_LEN;
  svr_put_be32(buf + 4, pkt->my_discr);
  svr_put_be32(buf + 8, pkt->your_discr);
  svr_put_be32(buf + 12, pkt->desired_min_tx_us);
  svr_put_be32(buf + 16, pkt->required_min_rx_us);
  svr_put_be32(buf + 20, pkt->required_min_echo_rx_us);
  return SVRBFD_MIN_PKT_LEN;
}
