/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SVR metadata trailer that follows the BFD Length in SVR mode
 * (docs/libsvrbfd.md "Metadata trailer"): one common/svr_meta.h block whose
 * header TLVs carry our router name (TLV 14), node name (0xE010) and the hop
 * count we observe on the peer's packets (0xE011).
 */
#include <string.h>

#include "bfd_int.h"
#include "svr_meta.h"

svrbfd_ssize svrbfd__meta_encode(uint8_t *buf, size_t buflen,
                                 const char *router,
                                 const char *node, int rx_hops) {
  svr_tlv_writer w;
  if (buflen < SVR_META_HDR_LEN) {
    return SVRBFD_ERR_NOBUF;
  }
  svr_tlv_writer_init(&w, buf + SVR_META_HDR_LEN, buflen - SVR_META_HDR_LEN);
  if (router[0] != '\0') {
    svr_tlv_put_str(&w, SVR_TLV_SOURCE_ROUTER, router);
  }
  if (node[0] != '\0') {
    svr_tlv_put_str(&w, BFD_TLV_NODE_NAME, node);
  }
  if (rx_hops >= 0 && rx_hops <= 255) {
    svr_tlv_put_u8(&w, BFD_TLV_RX_HOPS, (uint8_t)rx_hops);
  }
  if (w.overflow || w.len + SVR_META_HDR_LEN > SVR_META_MAX_HDR_LEN) {
    return SVRBFD_ERR_NOBUF;
  }
  svr_meta_hdr_encode(buf, (uint16_t)(SVR_META_HDR_LEN + w.len), 0);
  return (svrbfd_ssize)(SVR_META_HDR_LEN + w.len);
}

static void bfd_meta_copy_name(char *dst, const svr_tlv *t) {
  size_t n = t->len < SVRBFD_NAME_MAX - 1 ? t->len : SVRBFD_NAME_MAX - 1;
  memcpy(dst, t->value, n);
  dst[n] = '\0';
}

/* Walks one TLV area into |m|; -1 on a truncated TLV or a bad value. */
static int bfd_meta_walk(bfd_meta *m, const uint8_t *p, size_t len) {
  svr_tlv_iter it;
  svr_tlv t;
  int rv;
  svr_tlv_iter_init(&it, p, len);
  while ((rv = svr_tlv_next(&it, &t)) == 1) {
    switch (t.type) {
    case SVR_TLV_SOURCE_ROUTER:
      bfd_meta_copy_name(m->router, &t);
      m->has_router = 1;
      break;
    case BFD_TLV_NODE_NAME:
      bfd_meta_copy_name(m->node, &t);
      m->has_node = 1;
      break;
    case BFD_TLV_RX_HOPS:
      if (t.len != 1) {
        return -1;
      }
      m->rx_hops = t.value[0];
      break;
    default: /* unknown types are skipped by length */
      break;
    }
  }
  return rv == 0 ? 0 : -1;
}

int svrbfd__meta_decode(bfd_meta *m, const uint8_t *p, size_t len) {
  svr_meta_hdr h;
  memset(m, 0, sizeof(*m));
  m->rx_hops = -1;
  if (svr_meta_hdr_decode(&h, p, len) != SVR_META_OK) {
    return -1;
  }
  if (bfd_meta_walk(m, h.hdr_tlvs, h.hdr_tlvs_len) != 0 ||
      bfd_meta_walk(m, h.payload_tlvs, h.payload_tlvs_len) != 0) {
    return -1;
  }
  return 0;
}
