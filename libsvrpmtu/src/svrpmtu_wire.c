/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Probe and ack datagrams: SVR control datagrams (DESIGN.md section 4) of
 * kind SVR_CTRL_PMTU_PROBE / SVR_CTRL_PMTU_ACK.  Layout in
 * docs/libsvrpmtu.md "Wire format":
 *
 *   SVR base header (12) | CTRL_KIND TLV (6) | PROBE or ACK TLV (24)   header
 *   probe only: PAD TLV (4 + n zero bytes)                             payload
 *
 * The probe TLV sits in the first 42 bytes so that an ICMP error quoting
 * more than the UDP header (RFC 1812 routers quote up to 576 bytes) carries
 * the nonce needed to validate it.
 */
#include <string.h>

#include "svrpmtu_int.h"

static int map_meta_err(int rv) {
  switch (rv) {
  case SVR_META_ERR_SHORT:
    return SVRPMTU_ERR_PKT_SHORT;
  case SVR_META_ERR_COOKIE:
    return SVRPMTU_ERR_PKT_COOKIE;
  case SVR_META_ERR_TLV:
    return SVRPMTU_ERR_PKT_TLV;
  default:
    return SVRPMTU_ERR_PKT_META;
  }
}

int svrpmtu_msg_decode(svrpmtu_msg *msg, const uint8_t *p, size_t len,
                       int quote) {
  svr_meta_hdr h;
  svr_tlv_iter it;
  svr_tlv t;
  int rv, kind, found = 0, pad = 0;
  svrpmtu_msg m;
  uint16_t want_tlv;

  memset(&m, 0, sizeof(m));
  memset(&h, 0, sizeof(h));
  if (len < SVR_META_HDR_LEN) {
    return SVRPMTU_ERR_PKT_SHORT;
  }
  if (!svr_meta_has_cookie(p, len)) {
    return SVRPMTU_ERR_PKT_COOKIE;
  }
  if (quote) {
    /* A quote may stop anywhere after the header TLVs: check those only. */
    uint16_t w = svr_get_be16(p + 8);
    size_t hl = (size_t)(w & 0x0fff);
    if ((w >> 12) != SVR_META_VERSION || hl < SVR_META_HDR_LEN || hl > len) {
      return SVRPMTU_ERR_PKT_META;
    }
    h.hdr_tlvs = p + SVR_META_HDR_LEN;
    h.hdr_tlvs_len = hl - SVR_META_HDR_LEN;
    h.payload_tlvs = NULL;
    h.payload_tlvs_len = 0;
  } else {
    rv = svr_meta_hdr_decode(&h, p, len);
    if (rv != SVR_META_OK) {
      return map_meta_err(rv);
    }
  }
  svr_tlv_iter_init(&it, h.hdr_tlvs, h.hdr_tlvs_len);
  rv = svr_tlv_next(&it, &t);
  if (rv < 0) {
    return SVRPMTU_ERR_PKT_TLV;
  }
  if (rv == 0 || t.type != SVR_TLV_CTRL_KIND || t.len != 2) {
    return SVRPMTU_ERR_PKT_KIND;
  }
  kind = svr_get_be16(t.value);
  if (kind == SVR_CTRL_PMTU_PROBE) {
    want_tlv = SVRPMTU_TLV_PROBE;
  } else if (kind == SVR_CTRL_PMTU_ACK) {
    want_tlv = SVRPMTU_TLV_ACK;
  } else {
    return SVRPMTU_ERR_PKT_KIND;
  }
  while ((rv = svr_tlv_next(&it, &t)) > 0) {
    if (t.type != want_tlv) {
      continue; /* unknown header TLVs are skipped by length */
    }
    if (found) {
      return SVRPMTU_ERR_PKT_MISSING;
    }
    if (t.len != SVRPMTU_TLV_PROBE_LEN) {
      return SVRPMTU_ERR_PKT_TLV_LEN;
    }
    found = 1;
    m.path_id = svr_get_be32(t.value);
    m.seq = svr_get_be32(t.value + 4);
    m.nonce = svr_get_be64(t.value + 8);
    m.probed_size = svr_get_be16(t.value + 16);
    m.udp_len = svr_get_be16(t.value + 18);
  }
  if (rv < 0) {
    return SVRPMTU_ERR_PKT_TLV;
  }
  if (!found) {
    return SVRPMTU_ERR_PKT_MISSING;
  }
  m.kind = (svrpmtu_msg_kind)kind;
  if (kind == SVR_CTRL_PMTU_PROBE) {
    if (m.udp_len < SVRPMTU_PROBE_MIN_PAYLOAD) {
      return SVRPMTU_ERR_PKT_SIZE;
    }
    if (!quote) {
      /* The whole datagram must have arrived, and be padded as declared. */
      if (len != m.udp_len || h.total_len != len) {
        return SVRPMTU_ERR_PKT_SIZE;
      }
      svr_tlv_iter_init(&it, h.payload_tlvs, h.payload_tlvs_len);
      while ((rv = svr_tlv_next(&it, &t)) > 0) {
        if (t.type == SVRPMTU_TLV_PAD) {
          pad = 1;
        }
      }
      if (rv < 0) {
        return SVRPMTU_ERR_PKT_TLV;
      }
      if (!pad) {
        return SVRPMTU_ERR_PKT_MISSING;
      }
    } else if (len > m.udp_len) {
      return SVRPMTU_ERR_PKT_SIZE;
    }
  }
  *msg = m;
  return 0;
}

/* Header part shared by probes and acks; |tlv| is PROBE or ACK. */
static void put_head(uint8_t *buf, uint16_t tlv, const svrpmtu_msg *m,
                     uint16_t payload_len) {
  uint8_t *q = buf + SVR_META_HDR_LEN;
  svr_meta_hdr_encode(buf, SVRPMTU_HDR_LEN, payload_len);
  svr_put_be16(q, SVR_TLV_CTRL_KIND);
  svr_put_be16(q + 2, 2);
  svr_put_be16(q + 4, (uint16_t)m->kind);
  q += 6;
  svr_put_be16(q, tlv);
  svr_put_be16(q + 2, SVRPMTU_TLV_PROBE_LEN);
  q += 4;
  svr_put_be32(q, m->path_id);
  svr_put_be32(q + 4, m->seq);
  svr_put_be64(q + 8, m->nonce);
  svr_put_be16(q + 16, m->probed_size);
  svr_put_be16(q + 18, m->udp_len);
}

svrpmtu_ssize svrpmtu_probe_encode(uint8_t *buf, size_t buflen,
                                   const svrpmtu_msg *msg) {
  size_t n;
  svrpmtu_msg m;
  if (!buf || !msg || msg->udp_len < SVRPMTU_PROBE_MIN_PAYLOAD) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  n = msg->udp_len;
  if (buflen < n) {
    return SVRPMTU_ERR_NOBUF;
  }
  m = *msg;
  m.kind = SVRPMTU_MSG_PROBE;
  put_head(buf, SVRPMTU_TLV_PROBE, &m, (uint16_t)(n - SVRPMTU_HDR_LEN));
  svr_put_be16(buf + SVRPMTU_HDR_LEN, SVRPMTU_TLV_PAD);
  svr_put_be16(buf + SVRPMTU_HDR_LEN + 2,
               (uint16_t)(n - SVRPMTU_HDR_LEN - SVR_TLV_HDR_LEN));
  memset(buf + SVRPMTU_HDR_LEN + SVR_TLV_HDR_LEN, 0,
         n - SVRPMTU_HDR_LEN - SVR_TLV_HDR_LEN);
  return (svrpmtu_ssize)n;
}

svrpmtu_ssize svrpmtu__ack_encode(uint8_t *buf, size_t buflen,
                                  const svrpmtu_msg *msg) {
  svrpmtu_msg m;
  if (buflen < SVRPMTU_ACK_LEN) {
    return SVRPMTU_ERR_NOBUF;
  }
  m = *msg;
  m.kind = SVRPMTU_MSG_ACK;
  put_head(buf, SVRPMTU_TLV_ACK, &m, 0);
  return SVRPMTU_ACK_LEN;
}

svrpmtu_ssize svrpmtu_ack_build(uint8_t *buf, size_t buflen,
                                const uint8_t *probe, size_t probelen) {
  svrpmtu_msg m;
  int rv;
  if (!buf || !probe) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  rv = svrpmtu_msg_decode(&m, probe, probelen, 0);
  if (rv != 0) {
    return rv;
  }
  if (m.kind != SVRPMTU_MSG_PROBE) {
    return SVRPMTU_ERR_PKT_KIND;
  }
  m.udp_len = (uint16_t)probelen; /* what arrived (== what was sent) */
  return svrpmtu__ack_encode(buf, buflen, &m);
}
