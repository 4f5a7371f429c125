/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Echo datagram codec and reflector (docs/libsvrbfd-pq.md).
 *
 * An echo datagram is an SVR control datagram (docs/wire-format.md 2.3):
 * the metadata base header, one header TLV (0xE000 control kind: 1 request,
 * 2 reply), then payload TLVs 0xE030-0xE036.  Header and payload TLV areas
 * are both scanned for the echo TLVs so that a peer that puts them in the
 * header is still understood; unknown TLVs are skipped.
 */
#include <string.h>

#include "pq_int.h"
#include "svr_meta.h"

const char *svrbfd_pq_strerror(int liberr) {
  switch (liberr) {
  case 0: return "success";
  case SVRBFD_PQ_ERR_INVALID_ARGUMENT: return "invalid argument";
  case SVRBFD_PQ_ERR_NOBUF: return "output buffer too small";
  case SVRBFD_PQ_ERR_VERSION: return "unknown struct version";
  case SVRBFD_PQ_ERR_INTERVAL: return "interval or timeout out of range";
  case SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED:
    return "the peer does not allow echo (Required Min Echo RX Interval 0)";
  case SVRBFD_PQ_ERR_PKT_SHORT: return "echo shorter than the SVR header";
  case SVRBFD_PQ_ERR_PKT_COOKIE: return "no SVR cookie";
  case SVRBFD_PQ_ERR_PKT_VERSION: return "SVR metadata version is not 1";
  case SVRBFD_PQ_ERR_PKT_HDRLEN: return "bad SVR header length";
  case SVRBFD_PQ_ERR_PKT_PAYLEN: return "SVR payload length past the datagram";
  case SVRBFD_PQ_ERR_PKT_TLV: return "truncated TLV";
  case SVRBFD_PQ_ERR_PKT_KIND: return "not an echo control datagram";
  case SVRBFD_PQ_ERR_PKT_TLV_LEN: return "echo TLV with a wrong length";
  case SVRBFD_PQ_ERR_PKT_TLV_DUP: return "echo TLV repeated";
  case SVRBFD_PQ_ERR_PKT_MISSING: return "required echo TLV missing";
  case SVRBFD_PQ_ERR_PKT_REFLECT_TS: return "bad reflector timestamps";
  case SVRBFD_PQ_ERR_PKT_NOT_REPLY: return "echo request (to be reflected)";
  case SVRBFD_PQ_ERR_PKT_UNKNOWN_SEQ: return "reply to no request in progress";
  case SVRBFD_PQ_ERR_PKT_DUPLICATE: return "duplicate echo reply";
  case SVRBFD_PQ_ERR_PKT_LATE: return "echo reply after the timeout";
  case SVRBFD_PQ_ERR_PKT_TOKEN: return "echo reply for another path";
  case SVRBFD_PQ_ERR_PKT_RTT: return "reflector delay exceeds the round trip";
  case SVRBFD_ERR_NOMEM: return "out of memory";
  case SVRBFD_ERR_CALLBACK_FAILURE: return "callback failed";
  default: return "unknown error";
  }
}

static int pq_meta_err(int rv) {
  switch (rv) {
  case SVR_META_ERR_SHORT: return SVRBFD_PQ_ERR_PKT_SHORT;
  case SVR_META_ERR_COOKIE: return SVRBFD_PQ_ERR_PKT_COOKIE;
  case SVR_META_ERR_VERSION: return SVRBFD_PQ_ERR_PKT_VERSION;
  case SVR_META_ERR_HDRLEN: return SVRBFD_PQ_ERR_PKT_HDRLEN;
  case SVR_META_ERR_PAYLEN: return SVRBFD_PQ_ERR_PKT_PAYLEN;
  default: return SVRBFD_PQ_ERR_PKT_TLV;
  }
}

/* Bits of the TLVs seen, to catch duplicates and missing ones. */
#define PQ_HAVE_TOKEN 0x01u
#define PQ_HAVE_BURST 0x02u
#define PQ_HAVE_SEQ 0x04u
#define PQ_HAVE_TX 0x08u
#define PQ_HAVE_RRX 0x10u
#define PQ_HAVE_RTX 0x20u
#define PQ_HAVE_PAD 0x40u
#define PQ_HAVE_REQUIRED (PQ_HAVE_TOKEN | PQ_HAVE_BURST | PQ_HAVE_SEQ | PQ_HAVE_TX)

static int pq_scan(svrbfd_pq_echo *e, unsigned *have, const uint8_t *p,
                   size_t len, int skip_first) {
  svr_tlv_iter it;
  svr_tlv t;
  int rv;
  svr_tlv_iter_init(&it, p, len);
  while ((rv = svr_tlv_next(&it, &t)) == 1) {
    unsigned bit;
    uint16_t want;
    if (skip_first) { /* the control kind, already checked */
      skip_first = 0;
      continue;
    }
    switch (t.type) {
    case SVRBFD_PQ_TLV_TOKEN: bit = PQ_HAVE_TOKEN; want = 4; break;
    case SVRBFD_PQ_TLV_BURST: bit = PQ_HAVE_BURST; want = 4; break;
    case SVRBFD_PQ_TLV_SEQ: bit = PQ_HAVE_SEQ; want = 4; break;
    case SVRBFD_PQ_TLV_TX_TS: bit = PQ_HAVE_TX; want = 8; break;
    case SVRBFD_PQ_TLV_REFL_RX_TS: bit = PQ_HAVE_RRX; want = 8; break;
    case SVRBFD_PQ_TLV_REFL_TX_TS: bit = PQ_HAVE_RTX; want = 8; break;
    case SVRBFD_PQ_TLV_PAD: bit = PQ_HAVE_PAD; want = t.len; break;
    default: continue; /* unknown: skipped by length */
    }
    if (t.len != want) {
      return SVRBFD_PQ_ERR_PKT_TLV_LEN;
    }
    if (*have & bit) {
      return SVRBFD_PQ_ERR_PKT_TLV_DUP;
    }
    *have |= bit;
    switch (bit) {
    case PQ_HAVE_TOKEN: e->token = svr_get_be32(t.value); break;
    case PQ_HAVE_BURST: e->burst = svr_get_be32(t.value); break;
    case PQ_HAVE_SEQ: e->seq = svr_get_be32(t.value); break;
    case PQ_HAVE_TX: e->tx_ts = svr_get_be64(t.value); break;
    case PQ_HAVE_RRX: e->refl_rx_ts = svr_get_be64(t.value); break;
    case PQ_HAVE_RTX: e->refl_tx_ts = svr_get_be64(t.value); break;
    default: e->pad_len = t.len; break;
    }
  }
  return rv < 0 ? SVRBFD_PQ_ERR_PKT_TLV : 0;
}

int svrbfd_pq_echo_decode(svrbfd_pq_echo *echo, const uint8_t *data,
                          size_t datalen) {
  svr_meta_hdr h;
  svrbfd_pq_echo e;
  unsigned have = 0;
  int rv, kind;

  if (data == NULL) {
    return SVRBFD_PQ_ERR_PKT_SHORT;
  }
  rv = svr_meta_hdr_decode(&h, data, datalen);
  if (rv != SVR_META_OK) {
    return pq_meta_err(rv);
  }
  kind = svr_ctrl_kind(&h);
  if (kind < 0) {
    /* No kind TLV first: a truncated TLV area is a TLV error, anything
     * else is simply not a control datagram of ours. */
    svr_tlv_iter it;
    svr_tlv t;
    svr_tlv_iter_init(&it, h.hdr_tlvs, h.hdr_tlvs_len);
    return svr_tlv_next(&it, &t) < 0 ? SVRBFD_PQ_ERR_PKT_TLV
                                     : SVRBFD_PQ_ERR_PKT_KIND;
  }
  if (kind != SVR_CTRL_ECHO_REQUEST && kind != SVR_CTRL_ECHO_REPLY) {
    return SVRBFD_PQ_ERR_PKT_KIND;
  }
  memset(&e, 0, sizeof(e));
  e.reply = kind == SVR_CTRL_ECHO_REPLY;
  rv = pq_scan(&e, &have, h.hdr_tlvs, h.hdr_tlvs_len, 1);
  if (rv == 0) {
    rv = pq_scan(&e, &have, h.payload_tlvs, h.payload_tlvs_len, 0);
  }
  if (rv != 0) {
    return rv;
  }
  if ((have & PQ_HAVE_REQUIRED) != PQ_HAVE_REQUIRED) {
    return SVRBFD_PQ_ERR_PKT_MISSING;
  }
  if (e.reply) {
    if ((have & (PQ_HAVE_RRX | PQ_HAVE_RTX)) != (PQ_HAVE_RRX | PQ_HAVE_RTX)) {
      return SVRBFD_PQ_ERR_PKT_MISSING;
    }
    if (e.refl_tx_ts < e.refl_rx_ts) {
      return SVRBFD_PQ_ERR_PKT_REFLECT_TS;
    }
  } else if (have & (PQ_HAVE_RRX | PQ_HAVE_RTX)) {
    return SVRBFD_PQ_ERR_PKT_REFLECT_TS;
  }
  *echo = e;
  return 0;
}

svrbfd_ssize svrbfd_pq_echo_encode(uint8_t *buf, size_t buflen,
                                   const svrbfd_pq_echo *echo) {
  static const uint8_t zeros[64];
  svr_tlv_writer w;
  size_t hdr_tlv_len, need;

  if (echo == NULL || echo->pad_len > SVRBFD_PQ_MAX_PAD ||
      (buf == NULL && buflen > 0)) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  hdr_tlv_len = SVR_TLV_HDR_LEN + 2;
  need = SVR_META_HDR_LEN + hdr_tlv_len + 3 * (SVR_TLV_HDR_LEN + 4) +
         (SVR_TLV_HDR_LEN + 8) +
         (echo->reply ? 2 * (SVR_TLV_HDR_LEN + 8) : 0) +
         (echo->pad_len ? SVR_TLV_HDR_LEN + (size_t)echo->pad_len : 0);
  if (buflen < need) {
    return SVRBFD_PQ_ERR_NOBUF;
  }
  svr_tlv_writer_init(&w, buf + SVR_META_HDR_LEN, buflen - SVR_META_HDR_LEN);
  svr_tlv_put_u16(&w, SVR_TLV_CTRL_KIND,
                  echo->reply ? SVR_CTRL_ECHO_REPLY : SVR_CTRL_ECHO_REQUEST);
  svr_tlv_put_u32(&w, SVRBFD_PQ_TLV_TOKEN, echo->token);
  svr_tlv_put_u32(&w, SVRBFD_PQ_TLV_BURST, echo->burst);
  svr_tlv_put_u32(&w, SVRBFD_PQ_TLV_SEQ, echo->seq);
  svr_tlv_put_u64(&w, SVRBFD_PQ_TLV_TX_TS, echo->tx_ts);
  if (echo->reply) {
    svr_tlv_put_u64(&w, SVRBFD_PQ_TLV_REFL_RX_TS, echo->refl_rx_ts);
    svr_tlv_put_u64(&w, SVRBFD_PQ_TLV_REFL_TX_TS, echo->refl_tx_ts);
  }
  if (echo->pad_len) {
    /* Written as a header then zeros, without a padding-sized stack buffer. */
    size_t off = w.len + SVR_TLV_HDR_LEN, left = echo->pad_len;
    svr_tlv_put(&w, SVRBFD_PQ_TLV_PAD, NULL, 0);
    svr_put_be16(w.p + w.len - 2, echo->pad_len);
    while (left > 0) {
      size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
      memcpy(w.p + off, zeros, n);
      off += n;
      left -= n;
    }
    w.len = off;
  }
  if (w.overflow || SVR_META_HDR_LEN + w.len != need) {
    return SVRBFD_PQ_ERR_NOBUF; /* cannot happen: size checked above */
  }
  svr_meta_hdr_encode(buf, (uint16_t)(SVR_META_HDR_LEN + hdr_tlv_len),
                      (uint16_t)(w.len - hdr_tlv_len));
  return (svrbfd_ssize)need;
}

svrbfd_ssize svrbfd_pq_reflect(uint8_t *buf, size_t buflen, const uint8_t *req,
                               size_t reqlen, svrbfd_tstamp rx_ts,
                               svrbfd_tstamp tx_ts) {
  svrbfd_pq_echo e;
  int rv = svrbfd_pq_echo_decode(&e, req, reqlen);
  if (rv != 0) {
    return rv;
  }
  if (e.reply) {
    return SVRBFD_PQ_ERR_PKT_KIND;
  }
  if (tx_ts < rx_ts) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  e.reply = 1;
  e.refl_rx_ts = rx_ts;
  e.refl_tx_ts = tx_ts;
  return svrbfd_pq_echo_encode(buf, buflen, &e);
}
