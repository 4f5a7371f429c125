/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Request and report control datagrams: an SVR metadata block (cookie,
 * version, lengths) whose header TLVs are the control kind
 * SVR_CTRL_FWDET_REPORT followed by our private TLVs (0xE060-0xE065) and
 * optionally the source router name (public TLV 14).  No payload TLVs.
 */
#include <string.h>

#include "fwdet_int.h"
#include "svr_meta.h"

static size_t name_len(const char *s) {
  size_t n = s ? strlen(s) : 0;
  return n >= SVRFWDET_NAME_MAX ? SVRFWDET_NAME_MAX - 1 : n;
}

svrfwdet_ssize svrfwdet_msg_encode(uint8_t *buf, size_t buflen,
                                   const svrfwdet_msg *m) {
  svr_tlv_writer w;
  size_t rn, nn;
  if (!buf || !m ||
      (m->op != SVRFWDET_OP_REQUEST && m->op != SVRFWDET_OP_REPORT) ||
      (m->kinds & ~SVRFWDET_REASON_ALL)) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if (buflen < SVR_META_HDR_LEN) {
    return SVRFWDET_ERR_NOBUF;
  }
  rn = name_len(m->router_name);
  nn = name_len(m->node_name);
  svr_tlv_writer_init(&w, buf + SVR_META_HDR_LEN, buflen - SVR_META_HDR_LEN);
  svr_tlv_put_u16(&w, SVR_TLV_CTRL_KIND, SVR_CTRL_FWDET_REPORT);
  svr_tlv_put_u8(&w, FWDET_TLV_OP, (uint8_t)m->op);
  svr_tlv_put_u32(&w, FWDET_TLV_PATH_ID, m->path_id);
  svr_tlv_put_u32(&w, FWDET_TLV_BURST, m->burst);
  svr_tlv_put_u8(&w, FWDET_TLV_KINDS, m->kinds);
  if (m->op == SVRFWDET_OP_REPORT) {
    svr_tlv_put(&w, FWDET_TLV_FLAGS_SEEN, m->flags_seen, SVRFWDET_NKINDS);
  }
  if (rn) {
    svr_tlv_put(&w, SVR_TLV_SOURCE_ROUTER, m->router_name, (uint16_t)rn);
  }
  if (nn) {
    svr_tlv_put(&w, FWDET_TLV_NODE_NAME, m->node_name, (uint16_t)nn);
  }
  if (w.overflow) {
    return SVRFWDET_ERR_NOBUF;
  }
  svr_meta_hdr_encode(buf, (uint16_t)(SVR_META_HDR_LEN + w.len), 0);
  return (svrfwdet_ssize)(SVR_META_HDR_LEN + w.len);
}

int svrfwdet_msg_decode(svrfwdet_msg *out, const uint8_t *p, size_t len) {
  svr_meta_hdr h;
  svr_tlv_iter it;
  svr_tlv t;
  svrfwdet_msg m;
  int rv, kind;
  unsigned have = 0;
  enum { HAVE_OP = 1, HAVE_PATH = 2, HAVE_BURST = 4, HAVE_KINDS = 8 };
  if (!out || (!p && len)) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  rv = svr_meta_hdr_decode(&h, p, len);
  switch (rv) {
  case SVR_META_OK:
    break;
  case SVR_META_ERR_SHORT:
    return SVRFWDET_ERR_MSG_SHORT;
  case SVR_META_ERR_COOKIE:
    return SVRFWDET_ERR_MSG_COOKIE;
  default:
    return SVRFWDET_ERR_MSG_HEADER;
  }
  kind = svr_ctrl_kind(&h);
  if (kind < 0) {
    return SVRFWDET_ERR_MSG_TLV;
  }
  if (kind != SVR_CTRL_FWDET_REPORT) {
    return SVRFWDET_ERR_MSG_KIND;
  }
  memset(&m, 0, sizeof(m));
  m.router_name = "";
  m.node_name = "";
  svr_tlv_iter_init(&it, h.hdr_tlvs, h.hdr_tlvs_len);
  while ((rv = svr_tlv_next(&it, &t)) > 0) {
    switch (t.type) {
    case FWDET_TLV_OP:
      if (t.len != 1) {
        return SVRFWDET_ERR_MSG_FIELD;
      }
      m.op = (svrfwdet_op)t.value[0];
      have |= HAVE_OP;
      break;
    case FWDET_TLV_PATH_ID:
      if (t.len != 4) {
        return SVRFWDET_ERR_MSG_FIELD;
      }
      m.path_id = svr_get_be32(t.value);
      have |= HAVE_PATH;
      break;
    case FWDET_TLV_BURST:
      if (t.len != 4) {
        return SVRFWDET_ERR_MSG_FIELD;
      }
      m.burst = svr_get_be32(t.value);
      have |= HAVE_BURST;
      break;
    case FWDET_TLV_KINDS:
      if (t.len != 1 || (t.value[0] & ~SVRFWDET_REASON_ALL)) {
        return SVRFWDET_ERR_MSG_FIELD;
      }
      m.kinds = t.value[0];
      have |= HAVE_KINDS;
      break;
    case FWDET_TLV_FLAGS_SEEN:
      if (t.len != SVRFWDET_NKINDS) {
        return SVRFWDET_ERR_MSG_FIELD;
      }
      memcpy(m.flags_seen, t.value, SVRFWDET_NKINDS);
      break;
    case SVR_TLV_SOURCE_ROUTER:
      if (t.len >= SVRFWDET_NAME_MAX || memchr(t.value, 0, t.len)) {
        return SVRFWDET_ERR_MSG_FIELD;
      }
      m.router_name = (const char *)t.value;
      m.router_name_len = t.len;
      break;
    case FWDET_TLV_NODE_NAME:
      if (t.len >= SVRFWDET_NAME_MAX || memchr(t.value, 0, t.len)) {
        return SVRFWDET_ERR_MSG_FIELD;
      }
      m.node_name = (const char *)t.value;
      m.node_name_len = t.len;
      break;
    default: /* the control kind, and anything newer: skipped by length */
      break;
    }
  }
  if (rv < 0) {
    return SVRFWDET_ERR_MSG_TLV;
  }
  if (have != (HAVE_OP | HAVE_PATH | HAVE_BURST | HAVE_KINDS)) {
    return SVRFWDET_ERR_MSG_MISSING;
  }
  if (m.op != SVRFWDET_OP_REQUEST && m.op != SVRFWDET_OP_REPORT) {
    return SVRFWDET_ERR_MSG_OP;
  }
  *out = m;
  return 0;
}
