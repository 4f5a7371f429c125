/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SVR metadata codec (docs/libsvrfwd.md section 3): the 12-byte base header
 * of common/svr_meta.h, then header TLVs, then payload TLVs.  The decoder
 * checks the length of every known type; unknown types are skipped.
 */
#include <string.h>

#include "fwd_int.h"
#include "svr_meta.h"

static void put_ctx(svr_tlv_writer *w, uint16_t t4, uint16_t t6,
                    const svrfwd_flow *f) {
  uint8_t v[37];
  size_t alen = f->family == 6 ? 16 : 4;
  memcpy(v, f->src, alen);
  memcpy(v + alen, f->dst, alen);
  svr_put_be16(v + 2 * alen, f->sport);
  svr_put_be16(v + 2 * alen + 2, f->dport);
  v[2 * alen + 4] = f->proto;
  svr_tlv_put(w, f->family == 6 ? t6 : t4, v, (uint16_t)(2 * alen + 5));
}

static int get_ctx(svrfwd_flow *f, const svr_tlv *t, int v6) {
  size_t alen = v6 ? 16 : 4;
  if (t->len != 2 * alen + 5) {
    return SVRFWD_ERR_PKT_META_TLV;
  }
  memset(f, 0, sizeof(*f));
  f->family = v6 ? 6 : 4;
  memcpy(f->src, t->value, alen);
  memcpy(f->dst, t->value + alen, alen);
  f->sport = svr_get_be16(t->value + 2 * alen);
  f->dport = svr_get_be16(t->value + 2 * alen + 2);
  f->proto = t->value[2 * alen + 4];
  return 0;
}

static void put_bytes(svr_tlv_writer *w, uint16_t type, svrfwd_bytes b) {
  svr_tlv_put(w, type, b.p, b.len);
}

/* Writes the TLVs of |m| that belong in the area |header| (1) or payload. */
static void put_area(svr_tlv_writer *w, const svrfwd_meta *m, int header) {
  uint32_t sel = header ? (m->present & m->in_header)
                        : (m->present & ~m->in_header);
  if (sel & SVRFWD_META_SECURITY_ID) {
    svr_tlv_put_u32(w, SVR_TLV_SECURITY_ID, m->security_id);
  }
  if (sel & SVRFWD_META_SEQ) {
    svr_tlv_put_u64(w, SVRFWD_TLV_SEQ, m->seq);
  }
  if (sel & SVRFWD_META_TIME) {
    svr_tlv_put_u64(w, SVRFWD_TLV_TIME, m->time_ms);
  }
  if (sel & SVRFWD_META_FRAGMENT) {
    svr_tlv_put(w, SVR_TLV_FRAGMENT, m->fragment, 10);
  }
  if (sel & SVRFWD_META_CONTROL) {
    svr_tlv_put_u8(w, SVR_TLV_CONTROL_MESSAGE, m->control);
  }
  if (sel & SVRFWD_META_PATH_METRICS) {
    svr_tlv_put(w, SVR_TLV_PATH_METRICS, m->path_metrics, 10);
  }
  if (sel & SVRFWD_META_UUID) {
    svr_tlv_put(w, SVR_TLV_SESSION_UUID, m->uuid, 16);
  }
  if (sel & SVRFWD_META_FWD_CTX) {
    put_ctx(w, SVR_TLV_FWD_CTX_V4, SVR_TLV_FWD_CTX_V6, &m->fwd_ctx);
  }
  if (sel & SVRFWD_META_REV_CTX) {
    put_ctx(w, SVR_TLV_REV_CTX_V4, SVR_TLV_REV_CTX_V6, &m->rev_ctx);
  }
  if (sel & SVRFWD_META_TENANT) {
    put_bytes(w, SVR_TLV_TENANT, m->tenant);
  }
  if (sel & SVRFWD_META_SERVICE) {
    put_bytes(w, SVR_TLV_SERVICE, m->service);
  }
  if (sel & SVRFWD_META_SOURCE_ROUTER) {
    put_bytes(w, SVR_TLV_SOURCE_ROUTER, m->source_router);
  }
  if (sel & SVRFWD_META_DEST_ROUTER) {
    put_bytes(w, SVR_TLV_DEST_ROUTER, m->dest_router);
  }
  if (sel & SVRFWD_META_PATHWAY_ID) {
    put_bytes(w, SVR_TLV_PEER_PATHWAY_ID, m->pathway_id);
  }
  if (sel & SVRFWD_META_ENCRYPTED) {
    svr_tlv_put(w, SVR_TLV_PAYLOAD_ENCRYPTED, NULL, 0);
  }
  if (sel & SVRFWD_META_TCP_SYN) {
    svr_tlv_put(w, SVR_TLV_TCP_SYN, NULL, 0);
  }
  if (sel & SVRFWD_META_DISABLE_FWD) {
    svr_tlv_put(w, SVR_TLV_DISABLE_FWD_META, NULL, 0);
  }
  if (sel & SVRFWD_META_L4_CKSUM) {
    svr_tlv_put_u16(w, SVRFWD_TLV_L4_CKSUM, m->l4_cksum);
  }
}

svrfwd_ssize svrfwd_meta_encode(uint8_t *buf, size_t buflen,
                                const svrfwd_meta *m, size_t *needed) {
  svr_tlv_writer hw, pw;
  size_t total;
  if (!m || ((m->present & SVRFWD_META_FWD_CTX) && m->fwd_ctx.family != 4 &&
             m->fwd_ctx.family != 6) ||
      ((m->present & SVRFWD_META_REV_CTX) && m->rev_ctx.family != 4 &&
       m->rev_ctx.family != 6)) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  /* sizing pass */
  svr_tlv_writer_init(&hw, NULL, 0);
  put_area(&hw, m, 1);
  svr_tlv_writer_init(&pw, NULL, 0);
  put_area(&pw, m, 0);
  total = SVR_META_HDR_LEN + hw.len + pw.len;
  if (needed) {
    *needed = total;
  }
  if (SVR_META_HDR_LEN + hw.len > SVR_META_MAX_HDR_LEN || pw.len > 0xffff) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (!buf || buflen < total) {
    return SVRFWD_ERR_NOBUF;
  }
  svr_meta_hdr_encode(buf, (uint16_t)(SVR_META_HDR_LEN + hw.len),
                      (uint16_t)pw.len);
  svr_tlv_writer_init(&hw, buf + SVR_META_HDR_LEN, hw.len);
  put_area(&hw, m, 1);
  svr_tlv_writer_init(&pw, buf + SVR_META_HDR_LEN + hw.len, pw.len);
  put_area(&pw, m, 0);
  return (svrfwd_ssize)total;
}

static int want_len(const svr_tlv *t, uint16_t n) {
  return t->len == n ? 0 : SVRFWD_ERR_PKT_META_TLV;
}

int svrfwd__meta_tlvs(svrfwd_meta *m, const uint8_t *p, size_t len,
                      int header) {
  svr_tlv_iter it;
  svr_tlv t;
  int rv;
  svr_tlv_iter_init(&it, p, len);
  while ((rv = svr_tlv_next(&it, &t)) == 1) {
    uint32_t bit = 0;
    int e = 0;
    switch (t.type) {
    case SVR_TLV_FRAGMENT:
      if (!(e = want_len(&t, 10))) {
        memcpy(m->fragment, t.value, 10);
        bit = SVRFWD_META_FRAGMENT;
      }
      break;
    case SVR_TLV_FWD_CTX_V4:
    case SVR_TLV_FWD_CTX_V6:
      if (!(e = get_ctx(&m->fwd_ctx, &t, t.type == SVR_TLV_FWD_CTX_V6))) {
        bit = SVRFWD_META_FWD_CTX;
      }
      break;
    case SVR_TLV_REV_CTX_V4:
    case SVR_TLV_REV_CTX_V6:
      if (!(e = get_ctx(&m->rev_ctx, &t, t.type == SVR_TLV_REV_CTX_V6))) {
        bit = SVRFWD_META_REV_CTX;
      }
      break;
    case SVR_TLV_SESSION_UUID:
      if (!(e = want_len(&t, 16))) {
        memcpy(m->uuid, t.value, 16);
        bit = SVRFWD_META_UUID;
      }
      break;
    case SVR_TLV_TENANT:
      m->tenant.p = t.value;
      m->tenant.len = t.len;
      bit = SVRFWD_META_TENANT;
      break;
    case SVR_TLV_SERVICE:
      m->service.p = t.value;
      m->service.len = t.len;
      bit = SVRFWD_META_SERVICE;
      break;
    case SVR_TLV_SOURCE_ROUTER:
      m->source_router.p = t.value;
      m->source_router.len = t.len;
      bit = SVRFWD_META_SOURCE_ROUTER;
      break;
    case SVR_TLV_DEST_ROUTER:
      m->dest_router.p = t.value;
      m->dest_router.len = t.len;
      bit = SVRFWD_META_DEST_ROUTER;
      break;
    case SVR_TLV_PEER_PATHWAY_ID:
      m->pathway_id.p = t.value;
      m->pathway_id.len = t.len;
      bit = SVRFWD_META_PATHWAY_ID;
      break;
    case SVR_TLV_PAYLOAD_ENCRYPTED:
      if (!(e = want_len(&t, 0))) {
        bit = SVRFWD_META_ENCRYPTED;
      }
      break;
    case SVR_TLV_TCP_SYN:
      if (!(e = want_len(&t, 0))) {
        bit = SVRFWD_META_TCP_SYN;
      }
      break;
    case SVR_TLV_DISABLE_FWD_META:
      if (!(e = want_len(&t, 0))) {
        bit = SVRFWD_META_DISABLE_FWD;
      }
      break;
    case SVR_TLV_SECURITY_ID:
      if (!(e = want_len(&t, 4))) {
        m->security_id = svr_get_be32(t.value);
        bit = SVRFWD_META_SECURITY_ID;
      }
      break;
    case SVR_TLV_CONTROL_MESSAGE:
      if (!(e = want_len(&t, 1))) {
        m->control = t.value[0];
        bit = SVRFWD_META_CONTROL;
      }
      break;
    case SVR_TLV_PATH_METRICS:
      if (!(e = want_len(&t, 10))) {
        memcpy(m->path_metrics, t.value, 10);
        bit = SVRFWD_META_PATH_METRICS;
      }
      break;
    case SVRFWD_TLV_SEQ:
      if (!(e = want_len(&t, 8))) {
        m->seq = svr_get_be64(t.value);
        bit = SVRFWD_META_SEQ;
      }
      break;
    case SVRFWD_TLV_TIME:
      if (!(e = want_len(&t, 8))) {
        m->time_ms = svr_get_be64(t.value);
        bit = SVRFWD_META_TIME;
      }
      break;
    case SVRFWD_TLV_L4_CKSUM:
      if (!(e = want_len(&t, 2))) {
        m->l4_cksum = svr_get_be16(t.value);
        bit = SVRFWD_META_L4_CKSUM;
      }
      break;
    default:
      break; /* unknown: skipped by length */
    }
    if (e) {
      return e;
    }
    m->present |= bit;
    if (header) {
      m->in_header |= bit;
    }
  }
  return rv == 0 ? 0 : SVRFWD_ERR_PKT_META_TLV;
}

int svrfwd__meta_map_err(int rv) {
  switch (rv) {
  case SVR_META_ERR_SHORT: return SVRFWD_ERR_PKT_META_SHORT;
  case SVR_META_ERR_COOKIE: return SVRFWD_ERR_PKT_META_COOKIE;
  case SVR_META_ERR_VERSION: return SVRFWD_ERR_PKT_META_VERSION;
  case SVR_META_ERR_HDRLEN: return SVRFWD_ERR_PKT_META_HDRLEN;
  case SVR_META_ERR_PAYLEN: return SVRFWD_ERR_PKT_META_PAYLEN;
  default: return SVRFWD_ERR_PKT_META_TLV;
  }
}

svrfwd_ssize svrfwd_meta_decode(svrfwd_meta *m, const uint8_t *p, size_t len) {
  svr_meta_hdr h;
  int rv;
  if (!m || (!p && len)) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  rv = svr_meta_hdr_decode(&h, p, len);
  if (rv != SVR_META_OK) {
    return svrfwd__meta_map_err(rv);
  }
  memset(m, 0, sizeof(*m));
  m->hdr_len = h.hdr_len;
  m->payload_len = h.payload_len;
  rv = svrfwd__meta_tlvs(m, h.hdr_tlvs, h.hdr_tlvs_len, 1);
  if (rv == 0) {
    rv = svrfwd__meta_tlvs(m, h.payload_tlvs, h.payload_tlvs_len, 0);
  }
  return rv ? rv : (svrfwd_ssize)h.total_len;
}
