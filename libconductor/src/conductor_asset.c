/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The asset channel's codec and schedules (sans-I/O): docs/libconductor.md
 * section 10.  Frame = length (u32, body bytes) | type (u16) | flags (u16,
 * 0) | TLVs (common/svr_meta.h), as the 930 IPC.
 */
#include <string.h>

#include "conductor_asset.h"
#include "conductor_tlv.h"
#include "svr_endian.h"

conductor_ssize casset_frame_length(const uint8_t *p, size_t len) {
  uint32_t blen;
  if (len < CASSET_HDR_LEN) {
    return 0;
  }
  blen = svr_get_be32(p);
  if (blen > CASSET_MAX_BODY_LEN) {
    return CONDUCTOR_ERR_FRAME_TOO_LONG;
  }
  if (svr_get_be16(p + 6) != 0) {
    return CONDUCTOR_ERR_FRAME_FLAGS;
  }
  return (conductor_ssize)(CASSET_HDR_LEN + blen);
}

/* Field bits for the required / allowed / seen checks. */
enum {
  B_VERSION = 1u << 0,
  B_VERSION_MIN = 1u << 1,
  B_VERSION_MAX = 1u << 2,
  B_NODE = 1u << 3,
  B_SEQ = 1u << 4,
  B_TIME = 1u << 5,
  B_ERROR_CODE = 1u << 6,
  B_REF_TYPE = 1u << 7,
  B_TEXT = 1u << 8,
  B_ASSET_ID = 1u << 9,
  B_CHANNEL = 1u << 10,
  B_STATUS = 1u << 11,
  B_INSTALLED = 1u << 12,
  B_AVAILABLE = 1u << 13
};

static uint32_t field_bit(uint16_t tlv) {
  switch (tlv) {
  case CONDUCTOR_TLV_VERSION:
    return B_VERSION;
  case CONDUCTOR_TLV_VERSION_MIN:
    return B_VERSION_MIN;
  case CONDUCTOR_TLV_VERSION_MAX:
    return B_VERSION_MAX;
  case CONDUCTOR_TLV_NODE:
    return B_NODE;
  case CONDUCTOR_TLV_SEQ:
    return B_SEQ;
  case CONDUCTOR_TLV_TIME:
    return B_TIME;
  case CONDUCTOR_TLV_ERROR_CODE:
    return B_ERROR_CODE;
  case CONDUCTOR_TLV_REF_TYPE:
    return B_REF_TYPE;
  case CONDUCTOR_TLV_TEXT:
    return B_TEXT;
  case CASSET_TLV_ASSET_ID:
    return B_ASSET_ID;
  case CASSET_TLV_CHANNEL:
    return B_CHANNEL;
  case CASSET_TLV_STATUS:
    return B_STATUS;
  case CASSET_TLV_INSTALLED:
    return B_INSTALLED;
  case CASSET_TLV_AVAILABLE:
    return B_AVAILABLE;
  default:
    return 0;
  }
}

static uint32_t required(uint16_t type) {
  switch (type) {
  case CASSET_MSG_HELLO:
    return B_VERSION_MIN | B_VERSION_MAX | B_CHANNEL | B_NODE | B_ASSET_ID |
           B_INSTALLED;
  case CASSET_MSG_HELLO_ACK:
    return B_VERSION | B_NODE;
  case CASSET_MSG_KEEPALIVE:
    return B_SEQ | B_TIME | B_STATUS | B_ASSET_ID | B_INSTALLED;
  case CASSET_MSG_KEEPALIVE_ACK:
    return B_SEQ | B_TIME;
  case CASSET_MSG_VERSION_CHECK:
    return B_SEQ;
  case CASSET_MSG_VERSION_LIST:
    return B_SEQ | B_INSTALLED;
  case CASSET_MSG_ERROR:
    return B_ERROR_CODE | B_REF_TYPE;
  default:
    return 0;
  }
}

static uint32_t optional(uint16_t type) {
  switch (type) {
  case CASSET_MSG_VERSION_LIST:
    return B_AVAILABLE;
  case CASSET_MSG_ERROR:
    return B_TEXT;
  default:
    return 0;
  }
}

static int chars_ok(const char *s, size_t n, int version) {
  size_t i;
  if (n == 0 || n >= CASSET_NAME_MAX) {
    return 0;
  }
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' ||
          (version && (ch == '+' || ch == '~')))) {
      return 0;
    }
  }
  return 1;
}

/* Length of |s| if a NUL comes within CASSET_NAME_MAX bytes, else the
 * maximum (which chars_ok refuses). */
static size_t name_len(const char *s) {
  const char *z = memchr(s, 0, CASSET_NAME_MAX);
  return z ? (size_t)(z - s) : CASSET_NAME_MAX;
}

int casset_name_ok(const char *s) {
  return s != NULL && chars_ok(s, name_len(s), 0);
}

int casset_version_ok(const char *s) {
  return s != NULL && chars_ok(s, name_len(s), 1);
}

/* A name or version TLV: 1-63 bytes of the allowed characters. */
static int get_name(char *dst, const svr_tlv *t, int version) {
  if (t->len == 0 || t->len >= CASSET_NAME_MAX) {
    return CONDUCTOR_ERR_FIELD_LENGTH;
  }
  if (!chars_ok((const char *)t->value, t->len, version)) {
    return CONDUCTOR_ERR_FIELD_VALUE;
  }
  memcpy(dst, t->value, t->len);
  dst[t->len] = '\0';
  return 0;
}

static int get_uint(uint64_t *v, const svr_tlv *t, uint16_t size) {
  if (t->len != size) {
    return CONDUCTOR_ERR_FIELD_LENGTH;
  }
  switch (size) {
  case 1:
    *v = t->value[0];
    break;
  case 2:
    *v = svr_get_be16(t->value);
    break;
  default:
    *v = svr_get_be64(t->value);
    break;
  }
  return 0;
}

static int decode_field(casset_msg *m, const svr_tlv *t) {
  uint64_t v = 0;
  int rv;
  unsigned i;
  switch (t->type) {
  case CONDUCTOR_TLV_VERSION:
    rv = get_uint(&v, t, 2);
    m->version = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_VERSION_MIN:
    rv = get_uint(&v, t, 2);
    m->version_min = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_VERSION_MAX:
    rv = get_uint(&v, t, 2);
    m->version_max = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_NODE:
    return get_name(m->node, t, 0);
  case CONDUCTOR_TLV_SEQ:
    rv = get_uint(&v, t, 8);
    m->seq = v;
    return rv;
  case CONDUCTOR_TLV_TIME:
    rv = get_uint(&v, t, 8);
    m->time_ns = v;
    return rv;
  case CONDUCTOR_TLV_ERROR_CODE:
    rv = get_uint(&v, t, 2);
    m->error_code = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_REF_TYPE:
    rv = get_uint(&v, t, 2);
    m->ref_type = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_TEXT:
    if (t->len >= CASSET_TEXT_MAX) {
      return CONDUCTOR_ERR_FIELD_LENGTH;
    }
    if (t->len && memchr(t->value, 0, t->len) != NULL) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    memcpy(m->text, t->value, t->len);
    m->text[t->len] = '\0';
    return 0;
  case CASSET_TLV_ASSET_ID:
    return get_name(m->asset_id, t, 0);
  case CASSET_TLV_CHANNEL:
    rv = get_uint(&v, t, 1);
    if (rv == 0 && v != CASSET_CH_PUB && v != CASSET_CH_REQ) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    m->channel = (uint8_t)v;
    return rv;
  case CASSET_TLV_STATUS:
    rv = get_uint(&v, t, 1);
    if (rv == 0 && v != CASSET_ST_PENDING && v != CASSET_ST_RUNNING) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    m->status = (uint8_t)v;
    return rv;
  case CASSET_TLV_INSTALLED:
    return get_name(m->installed, t, 1);
  case CASSET_TLV_AVAILABLE: {
    char tmp[CASSET_NAME_MAX];
    if (m->n_available == CASSET_MAX_AVAILABLE) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    rv = get_name(tmp, t, 1);
    if (rv != 0) {
      return rv;
    }
    for (i = 0; i < m->n_available; i++) {
      if (strcmp(m->available[i], tmp) == 0) {
        return CONDUCTOR_ERR_FIELD_DUPLICATE;
      }
    }
    memcpy(m->available[m->n_available++], tmp, sizeof tmp);
    return 0;
  }
  default:
    return 0;
  }
}

static int check_values(const casset_msg *m) {
  switch (m->type) {
  case CASSET_MSG_HELLO:
    if (m->version_min == 0 || m->version_min > m->version_max) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CASSET_MSG_HELLO_ACK:
    if (m->version == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CASSET_MSG_KEEPALIVE:
  case CASSET_MSG_VERSION_CHECK:
  case CASSET_MSG_VERSION_LIST:
    if (m->seq == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  default:
    break;
  }
  return 0;
}

int casset_decode(casset_msg *m, const uint8_t *p, size_t len) {
  casset_msg tmp;
  conductor_ssize flen;
  uint32_t need, allowed, seen = 0;
  svr_tlv_iter it;
  svr_tlv t;
  int rv;
  if (m == NULL || (p == NULL && len != 0)) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  flen = casset_frame_length(p, len);
  if (flen < 0) {
    return (int)flen;
  }
  if (flen == 0 || (size_t)flen != len) {
    return CONDUCTOR_ERR_FRAME_LENGTH;
  }
  memset(&tmp, 0, sizeof tmp);
  tmp.type = svr_get_be16(p + 4);
  need = required(tmp.type);
  if (need == 0) {
    m->type = tmp.type;
    return CONDUCTOR_ERR_UNKNOWN_TYPE;
  }
  allowed = need | optional(tmp.type);
  svr_tlv_iter_init(&it, p + CASSET_HDR_LEN, len - CASSET_HDR_LEN);
  while ((rv = svr_tlv_next(&it, &t)) == 1) {
    uint32_t bit = field_bit(t.type);
    if (!(allowed & bit)) {
      continue; /* unknown, or another message's field: skipped */
    }
    if ((seen & bit) && bit != B_AVAILABLE) {
      return CONDUCTOR_ERR_FIELD_DUPLICATE;
    }
    seen |= bit;
    rv = decode_field(&tmp, &t);
    if (rv != 0) {
      return rv;
    }
  }
  if (rv < 0) {
    return CONDUCTOR_ERR_TLV_TRUNCATED;
  }
  if ((seen & need) != need) {
    return CONDUCTOR_ERR_FIELD_MISSING;
  }
  rv = check_values(&tmp);
  if (rv == 0) {
    *m = tmp;
  }
  return rv;
}

static void put_str(svr_tlv_writer *w, uint16_t type, const char *s) {
  svr_tlv_put(w, type, s, (uint16_t)strlen(s));
}

conductor_ssize casset_encode(uint8_t *buf, size_t cap, const casset_msg *m) {
  svr_tlv_writer w;
  unsigned i, j;
  if (m == NULL || (buf == NULL && cap != 0)) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (cap < CASSET_HDR_LEN) {
    return CONDUCTOR_ERR_NOBUF;
  }
  svr_tlv_writer_init(&w, buf + CASSET_HDR_LEN, cap - CASSET_HDR_LEN);
  switch (m->type) {
  case CASSET_MSG_HELLO:
    if (m->version_min == 0 || m->version_min > m->version_max ||
        (m->channel != CASSET_CH_PUB && m->channel != CASSET_CH_REQ) ||
        !casset_name_ok(m->node) || !casset_name_ok(m->asset_id) ||
        !casset_version_ok(m->installed)) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_VERSION_MIN, m->version_min);
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_VERSION_MAX, m->version_max);
    svr_tlv_put_u8(&w, CASSET_TLV_CHANNEL, m->channel);
    put_str(&w, CONDUCTOR_TLV_NODE, m->node);
    put_str(&w, CASSET_TLV_ASSET_ID, m->asset_id);
    put_str(&w, CASSET_TLV_INSTALLED, m->installed);
    break;
  case CASSET_MSG_HELLO_ACK:
    if (m->version == 0 || !casset_name_ok(m->node)) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_VERSION, m->version);
    put_str(&w, CONDUCTOR_TLV_NODE, m->node);
    break;
  case CASSET_MSG_KEEPALIVE:
    if (m->seq == 0 ||
        (m->status != CASSET_ST_PENDING && m->status != CASSET_ST_RUNNING) ||
        !casset_name_ok(m->asset_id) || !casset_version_ok(m->installed)) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, m->seq);
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_TIME, m->time_ns);
    svr_tlv_put_u8(&w, CASSET_TLV_STATUS, m->status);
    put_str(&w, CASSET_TLV_ASSET_ID, m->asset_id);
    put_str(&w, CASSET_TLV_INSTALLED, m->installed);
    break;
  case CASSET_MSG_KEEPALIVE_ACK:
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, m->seq);
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_TIME, m->time_ns);
    break;
  case CASSET_MSG_VERSION_CHECK:
    if (m->seq == 0) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, m->seq);
    break;
  case CASSET_MSG_VERSION_LIST:
    if (m->seq == 0 || !casset_version_ok(m->installed) ||
        m->n_available > CASSET_MAX_AVAILABLE) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    for (i = 0; i < m->n_available; i++) {
      if (!casset_version_ok(m->available[i])) {
        return CONDUCTOR_ERR_INVALID_ARGUMENT;
      }
      for (j = 0; j < i; j++) {
        if (strcmp(m->available[i], m->available[j]) == 0) {
          return CONDUCTOR_ERR_INVALID_ARGUMENT;
        }
      }
    }
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, m->seq);
    put_str(&w, CASSET_TLV_INSTALLED, m->installed);
    for (i = 0; i < m->n_available; i++) {
      put_str(&w, CASSET_TLV_AVAILABLE, m->available[i]);
    }
    break;
  case CASSET_MSG_ERROR:
    if (memchr(m->text, 0, sizeof m->text) == NULL) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_ERROR_CODE, m->error_code);
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_REF_TYPE, m->ref_type);
    if (m->text[0]) {
      put_str(&w, CONDUCTOR_TLV_TEXT, m->text);
    }
    break;
  default:
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (w.overflow) {
    return CONDUCTOR_ERR_NOBUF;
  }
  if (w.len > CASSET_MAX_BODY_LEN) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  svr_put_be32(buf, (uint32_t)w.len);
  svr_put_be16(buf + 4, m->type);
  svr_put_be16(buf + 6, 0);
  return (conductor_ssize)(CASSET_HDR_LEN + w.len);
}

const char *casset_type_name(uint16_t type) {
  switch (type) {
  case CASSET_MSG_HELLO:
    return "hello";
  case CASSET_MSG_HELLO_ACK:
    return "hello-ack";
  case CASSET_MSG_KEEPALIVE:
    return "keepalive";
  case CASSET_MSG_KEEPALIVE_ACK:
    return "keepalive-ack";
  case CASSET_MSG_VERSION_CHECK:
    return "version-check";
  case CASSET_MSG_VERSION_LIST:
    return "version-list";
  case CASSET_MSG_ERROR:
    return "error";
  default:
    return "unknown";
  }
}

const char *casset_status_name(uint8_t status) {
  switch (status) {
  case CASSET_ST_PENDING:
    return "pending";
  case CASSET_ST_RUNNING:
    return "running";
  default:
    return "unknown";
  }
}

/* ---- schedules ----------------------------------------------------------- */

void casset_ka_init(casset_ka *k, uint64_t now, uint64_t interval_ns,
                    unsigned max) {
  k->interval_ns = interval_ns ? interval_ns : CASSET_KA_INTERVAL_NS;
  k->max = max ? max : CASSET_KA_MAX_DEFAULT;
  k->last_rx = now;
  k->next_tx = now; /* the first one at once */
}

void casset_ka_on_rx(casset_ka *k, uint64_t now) {
  if (now > k->last_rx) {
    k->last_rx = now;
  }
}

int casset_ka_tx_due(casset_ka *k, uint64_t now) {
  if (now < k->next_tx) {
    return 0;
  }
  k->next_tx += k->interval_ns;
  if (k->next_tx <= now) {
    k->next_tx = now + k->interval_ns; /* late: one now, not a burst */
  }
  return 1;
}

int casset_ka_dead(const casset_ka *k, uint64_t now) {
  return now >= k->last_rx && now - k->last_rx >= k->interval_ns * k->max;
}

uint64_t casset_ka_next(const casset_ka *k) {
  uint64_t dead = k->last_rx + k->interval_ns * k->max;
  return k->next_tx < dead ? k->next_tx : dead;
}

void casset_vc_init(casset_vc *v, uint64_t now, uint64_t interval_ns) {
  v->interval_ns = interval_ns ? interval_ns : CASSET_VERSION_CHECK_NS;
  v->next = now + v->interval_ns;
  v->seq = 0;
  v->outstanding = 0;
}

int casset_vc_due(casset_vc *v, uint64_t now, uint64_t *seq) {
  if (now < v->next) {
    return 0;
  }
  v->next += v->interval_ns;
  if (v->next <= now) {
    v->next = now + v->interval_ns;
  }
  v->outstanding = ++v->seq;
  *seq = v->seq;
  return 1;
}

int casset_vc_on_reply(casset_vc *v, uint64_t seq) {
  if (seq == 0 || seq != v->outstanding) {
    return CONDUCTOR_ERR_UNKNOWN_SEQ;
  }
  v->outstanding = 0;
  return 0;
}
