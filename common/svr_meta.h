/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: the SVR metadata block and its TLV codec.
 *
 * Layout (docs/wire-format.md section 2; public SVR description):
 *
 *   cookie (8) = 4C 48 DB C6 DD F6 67 0C
 *   version (4 bits, = 1) | header length (12 bits, bytes: 12 + header TLVs)
 *   payload length (16 bits, bytes of payload TLVs, may be encrypted)
 *   header TLVs ... payload TLVs ...
 *   TLV = type (16) | length (16, value only) | value, all big-endian.
 *
 * Unknown TLV types are skipped by length.  Every decoder here takes
 * (pointer, length), trusts no length field and never reads past the buffer.
 */
#ifndef SVR_META_H
#define SVR_META_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "svr_endian.h"

#define SVR_META_COOKIE_LEN 8
#define SVR_META_HDR_LEN 12 /* cookie + version/header length + payload length */
#define SVR_META_VERSION 1
#define SVR_TLV_HDR_LEN 4
#define SVR_META_MAX_HDR_LEN 0xfff

/* TLV types of the public catalogue (DESIGN.md section 4). */
#define SVR_TLV_FRAGMENT 1
#define SVR_TLV_FWD_CTX_V4 2
#define SVR_TLV_FWD_CTX_V6 3
#define SVR_TLV_REV_CTX_V4 4
#define SVR_TLV_REV_CTX_V6 5
#define SVR_TLV_SESSION_UUID 6
#define SVR_TLV_TENANT 7
#define SVR_TLV_SERVICE 10
#define SVR_TLV_PAYLOAD_ENCRYPTED 11
#define SVR_TLV_TCP_SYN 12
#define SVR_TLV_SOURCE_ROUTER 14
#define SVR_TLV_SECURITY_ID 16
#define SVR_TLV_DEST_ROUTER 17
#define SVR_TLV_DISABLE_FWD_META 18
#define SVR_TLV_PEER_PATHWAY_ID 19
#define SVR_TLV_CONTROL_MESSAGE 24
#define SVR_TLV_PATH_METRICS 26

/*
 * svr-suite private TLV types: 0xE000-0xEFFF, split per library so that no
 * two libraries ever pick the same number.  docs/wire-format.md is the
 * registry; add a number there in the same commit that uses it.
 */
#define SVR_TLV_PRIVATE_FIRST 0xE000
#define SVR_TLV_CTRL_KIND 0xE000       /* 2: control datagram kind, below */
#define SVR_TLV_BFD_FIRST 0xE010       /* 0xE010-0xE03F libsvrbfd */
#define SVR_TLV_PMTU_FIRST 0xE040      /* 0xE040-0xE05F libsvrpmtu */
#define SVR_TLV_FWDET_FIRST 0xE060     /* 0xE060-0xE07F libsvrfwdet */
#define SVR_TLV_FWD_FIRST 0xE080       /* 0xE080-0xE09F libsvrfwd */
#define SVR_TLV_CONDUCTOR_FIRST 0xE0A0 /* 0xE0A0-0xE0FF libconductor */
#define SVR_TLV_PRIVATE_LAST 0xEFFF

/*
 * Kinds of SVR control datagram on the peer-path port (value of
 * SVR_TLV_CTRL_KIND, which is always the first header TLV).
 */
#define SVR_CTRL_ECHO_REQUEST 1
#define SVR_CTRL_ECHO_REPLY 2
#define SVR_CTRL_PMTU_PROBE 3
#define SVR_CTRL_PMTU_ACK 4
#define SVR_CTRL_FWDET_REPORT 5

/* Internal decode results; each library maps them to its own error codes. */
#define SVR_META_OK 0
#define SVR_META_ERR_SHORT (-1)   /* buffer shorter than the base header */
#define SVR_META_ERR_COOKIE (-2)  /* first 8 bytes are not the cookie */
#define SVR_META_ERR_VERSION (-3) /* version != 1 */
#define SVR_META_ERR_HDRLEN (-4)  /* header length < 12 or > buffer */
#define SVR_META_ERR_PAYLEN (-5)  /* header + payload length > buffer */
#define SVR_META_ERR_TLV (-6)     /* a TLV runs past its area */

static const uint8_t svr_meta_cookie[SVR_META_COOKIE_LEN] = {
    0x4c, 0x48, 0xdb, 0xc6, 0xdd, 0xf6, 0x67, 0x0c};

typedef struct svr_meta_hdr {
  uint16_t hdr_len;     /* 12 + header TLV bytes */
  uint16_t payload_len; /* payload TLV bytes */
  const uint8_t *hdr_tlvs;
  size_t hdr_tlvs_len;
  const uint8_t *payload_tlvs;
  size_t payload_tlvs_len;
  size_t total_len; /* hdr_len + payload_len: where the original payload starts */
} svr_meta_hdr;

static inline int svr_meta_has_cookie(const uint8_t *p, size_t len) {
  return len >= SVR_META_COOKIE_LEN &&
         memcmp(p, svr_meta_cookie, SVR_META_COOKIE_LEN) == 0;
}

/* Decodes the base header at |p|; fills |h| only on success. */
static inline int svr_meta_hdr_decode(svr_meta_hdr *h, const uint8_t *p,
                                      size_t len) {
  uint16_t w;
  uint16_t hdr_len, payload_len;
  if (len < SVR_META_HDR_LEN) {
    return SVR_META_ERR_SHORT;
  }
  if (!svr_meta_has_cookie(p, len)) {
    return SVR_META_ERR_COOKIE;
  }
  w = svr_get_be16(p + 8);
  if ((w >> 12) != SVR_META_VERSION) {
    return SVR_META_ERR_VERSION;
  }
  hdr_len = (uint16_t)(w & 0x0fff);
  payload_len = svr_get_be16(p + 10);
  if (hdr_len < SVR_META_HDR_LEN || hdr_len > len) {
    return SVR_META_ERR_HDRLEN;
  }
  if ((size_t)hdr_len + payload_len > len) {
    return SVR_META_ERR_PAYLEN;
  }
  h->hdr_len = hdr_len;
  h->payload_len = payload_len;
  h->hdr_tlvs = p + SVR_META_HDR_LEN;
  h->hdr_tlvs_len = (size_t)hdr_len - SVR_META_HDR_LEN;
  h->payload_tlvs = p + hdr_len;
  h->payload_tlvs_len = payload_len;
  h->total_len = (size_t)hdr_len + payload_len;
  return SVR_META_OK;
}

/* Writes the 12-byte base header; |p| must have room for it. */
static inline void svr_meta_hdr_encode(uint8_t *p, uint16_t hdr_len,
                                       uint16_t payload_len) {
  memcpy(p, svr_meta_cookie, SVR_META_COOKIE_LEN);
  svr_put_be16(p + 8, (uint16_t)((SVR_META_VERSION << 12) | (hdr_len & 0xfff)));
  svr_put_be16(p + 10, payload_len);
}

/* Iterates over a TLV area. */
typedef struct svr_tlv_iter {
  const uint8_t *p;
  size_t len;
  size_t off;
} svr_tlv_iter;

typedef struct svr_tlv {
  uint16_t type;
  uint16_t len;
  const uint8_t *value;
} svr_tlv;

static inline void svr_tlv_iter_init(svr_tlv_iter *it, const uint8_t *p,
                                     size_t len) {
  it->p = p;
  it->len = len;
  it->off = 0;
}

/* Returns 1 and fills |t|, 0 at the clean end, SVR_META_ERR_TLV if truncated. */
static inline int svr_tlv_next(svr_tlv_iter *it, svr_tlv *t) {
  size_t rem = it->len - it->off;
  uint16_t vlen;
  if (rem == 0) {
    return 0;
  }
  if (rem < SVR_TLV_HDR_LEN) {
    return SVR_META_ERR_TLV;
  }
  vlen = svr_get_be16(it->p + it->off + 2);
  if ((size_t)vlen > rem - SVR_TLV_HDR_LEN) {
    return SVR_META_ERR_TLV;
  }
  t->type = svr_get_be16(it->p + it->off);
  t->len = vlen;
  t->value = it->p + it->off + SVR_TLV_HDR_LEN;
  it->off += SVR_TLV_HDR_LEN + (size_t)vlen;
  return 1;
}

/*
 * TLV writer into a caller buffer.  Once the buffer is too small it keeps
 * counting, so |len| always ends as the size the caller needs and
 * |overflow| says whether anything was cut.
 */
typedef struct svr_tlv_writer {
  uint8_t *p;
  size_t cap;
  size_t len;
  int overflow;
} svr_tlv_writer;

static inline void svr_tlv_writer_init(svr_tlv_writer *w, uint8_t *p,
                                       size_t cap) {
  w->p = p;
  w->cap = cap;
  w->len = 0;
  w->overflow = 0;
}

static inline void svr_tlv_put(svr_tlv_writer *w, uint16_t type,
                               const void *value, uint16_t vlen) {
  size_t need = SVR_TLV_HDR_LEN + (size_t)vlen;
  if (!w->overflow && w->cap - w->len >= need) {
    uint8_t *q = w->p + w->len;
    svr_put_be16(q, type);
    svr_put_be16(q + 2, vlen);
    if (vlen) {
      memcpy(q + SVR_TLV_HDR_LEN, value, vlen);
    }
  } else {
    w->overflow = 1;
  }
  w->len += need;
}

static inline void svr_tlv_put_u8(svr_tlv_writer *w, uint16_t type,
                                  uint8_t v) {
  svr_tlv_put(w, type, &v, 1);
}

static inline void svr_tlv_put_u16(svr_tlv_writer *w, uint16_t type,
                                   uint16_t v) {
  uint8_t b[2];
  svr_put_be16(b, v);
  svr_tlv_put(w, type, b, 2);
}

static inline void svr_tlv_put_u32(svr_tlv_writer *w, uint16_t type,
                                   uint32_t v) {
  uint8_t b[4];
  svr_put_be32(b, v);
  svr_tlv_put(w, type, b, 4);
}

static inline void svr_tlv_put_u64(svr_tlv_writer *w, uint16_t type,
                                   uint64_t v) {
  uint8_t b[8];
  svr_put_be64(b, v);
  svr_tlv_put(w, type, b, 8);
}

static inline void svr_tlv_put_str(svr_tlv_writer *w, uint16_t type,
                                   const char *s) {
  size_t n = strlen(s);
  svr_tlv_put(w, type, s, (uint16_t)(n > 0xffff ? 0xffff : n));
}

/*
 * What arrives on the peer-path port (docs/wire-format.md section 1):
 * a datagram that starts with the cookie is an SVR control datagram; one
 * whose top three bits are 001 is a BFD control packet (RFC 5880 version 1).
 * The cookie's first byte 0x4C has version bits 010, so the two never mix.
 */
#define SVR_DEMUX_UNKNOWN 0
#define SVR_DEMUX_BFD 1
#define SVR_DEMUX_CONTROL 2

static inline int svr_demux_classify(const uint8_t *p, size_t len) {
  if (svr_meta_has_cookie(p, len)) {
    return SVR_DEMUX_CONTROL;
  }
  if (len >= 1 && (p[0] >> 5) == 1) {
    return SVR_DEMUX_BFD;
  }
  return SVR_DEMUX_UNKNOWN;
}

/*
 * Reads the control-datagram kind: a decoded header whose first header TLV
 * is SVR_TLV_CTRL_KIND with a 2-byte value.  Returns the kind or a negative
 * SVR_META_ERR_*.
 */
static inline int svr_ctrl_kind(const svr_meta_hdr *h) {
  svr_tlv_iter it;
  svr_tlv t;
  int rv;
  svr_tlv_iter_init(&it, h->hdr_tlvs, h->hdr_tlvs_len);
  rv = svr_tlv_next(&it, &t);
  if (rv <= 0 || t.type != SVR_TLV_CTRL_KIND || t.len != 2) {
    return SVR_META_ERR_TLV;
  }
  return svr_get_be16(t.value);
}

#endif /* SVR_META_H */
