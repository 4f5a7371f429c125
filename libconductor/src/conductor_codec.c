/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPC frame codec (sans-I/O): docs/libconductor.md section 2.
 *
 *   length (u32, body bytes) | type (u16) | flags (u16, 0) | body
 *   body = TLVs (common/svr_meta.h codec), private range 0xE0A0-0xE0FF.
 */
#include <string.h>

#include <conductor/conductor.h>

#include "conductor_tlv.h"
#include "svr_endian.h"

conductor_ssize conductor_frame_length(const uint8_t *p, size_t len) {
  uint32_t blen;
  if (len < CONDUCTOR_FRAME_HDR_LEN) {
    return 0;
  }
  blen = svr_get_be32(p);
  if (blen > CONDUCTOR_MAX_BODY_LEN) {
    return CONDUCTOR_ERR_FRAME_TOO_LONG;
  }
  if (svr_get_be16(p + 6) != 0) {
    return CONDUCTOR_ERR_FRAME_FLAGS;
  }
  return (conductor_ssize)(CONDUCTOR_FRAME_HDR_LEN + blen);
}

/* Bit per TLV index for the "required" and "duplicate" checks. */
#define F(tlv) (1u << ((tlv)-SVR_TLV_CONDUCTOR_FIRST))

static uint32_t required_fields(uint16_t type) {
  switch (type) {
  case CONDUCTOR_MSG_HELLO:
    return F(CONDUCTOR_TLV_VERSION_MIN) | F(CONDUCTOR_TLV_VERSION_MAX) |
           F(CONDUCTOR_TLV_ROUTER) | F(CONDUCTOR_TLV_NODE);
  case CONDUCTOR_MSG_HELLO_ACK:
    return F(CONDUCTOR_TLV_VERSION) | F(CONDUCTOR_TLV_NODE);
  case CONDUCTOR_MSG_ALARM:
    return F(CONDUCTOR_TLV_SEQ) | F(CONDUCTOR_TLV_ALARM_NUM) |
           F(CONDUCTOR_TLV_ALARM_OP) | F(CONDUCTOR_TLV_SEVERITY) |
           F(CONDUCTOR_TLV_TIME) | F(CONDUCTOR_TLV_SOURCE) |
           F(CONDUCTOR_TLV_CATEGORY) | F(CONDUCTOR_TLV_MESSAGE);
  case CONDUCTOR_MSG_ALARM_ACK:
  case CONDUCTOR_MSG_ENTITLEMENT_ACK:
    return F(CONDUCTOR_TLV_SEQ);
  case CONDUCTOR_MSG_KEEPALIVE:
  case CONDUCTOR_MSG_KEEPALIVE_ACK:
    return F(CONDUCTOR_TLV_SEQ) | F(CONDUCTOR_TLV_TIME);
  case CONDUCTOR_MSG_ENTITLEMENT:
    return F(CONDUCTOR_TLV_SEQ) | F(CONDUCTOR_TLV_TIME) |
           F(CONDUCTOR_TLV_PEAK_BPS) | F(CONDUCTOR_TLV_INTERVAL);
  case CONDUCTOR_MSG_ERROR:
    return F(CONDUCTOR_TLV_ERROR_CODE) | F(CONDUCTOR_TLV_REF_TYPE);
  case CONDUCTOR_MSG_KEY:
    return F(CONDUCTOR_TLV_PEER) | F(CONDUCTOR_TLV_KEY_INDEX) |
           F(CONDUCTOR_TLV_KEY_OP);
  case CONDUCTOR_MSG_KEY_ACK:
    return F(CONDUCTOR_TLV_PEER) | F(CONDUCTOR_TLV_KEY_INDEX) |
           F(CONDUCTOR_TLV_KEY_OP) | F(CONDUCTOR_TLV_ERROR_CODE);
  case CONDUCTOR_MSG_ADDRESS:
    return F(CONDUCTOR_TLV_NEIGHBORHOOD) | F(CONDUCTOR_TLV_INTERFACE) |
           F(CONDUCTOR_TLV_ADDRESS) | F(CONDUCTOR_TLV_PORT);
  case CONDUCTOR_MSG_PEER_ADDRESS:
    return F(CONDUCTOR_TLV_PEER) | F(CONDUCTOR_TLV_NODE) |
           F(CONDUCTOR_TLV_NEIGHBORHOOD) | F(CONDUCTOR_TLV_ADDRESS) |
           F(CONDUCTOR_TLV_PORT);
  default:
    return 0;
  }
}

/* Copies a string TLV into |dst| (cap bytes with the NUL).  A NUL inside
 * the value would make the C string lie about the wire, so it is refused. */
static int get_str(char *dst, size_t cap, const svr_tlv *t, int nonempty) {
  if ((size_t)t->len >= cap) {
    return CONDUCTOR_ERR_FIELD_LENGTH;
  }
  if (nonempty && t->len == 0) {
    return CONDUCTOR_ERR_FIELD_LENGTH;
  }
  if (t->len && memchr(t->value, 0, t->len) != NULL) {
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
  case 4:
    *v = svr_get_be32(t->value);
    break;
  default:
    *v = svr_get_be64(t->value);
    break;
  }
  return 0;
}

static int decode_field(conductor_msg *m, const svr_tlv *t) {
  uint64_t v = 0;
  int rv;
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
  case CONDUCTOR_TLV_ROUTER:
    return get_str(m->router, sizeof m->router, t, 1);
  case CONDUCTOR_TLV_NODE:
    return get_str(m->node, sizeof m->node, t, 1);
  case CONDUCTOR_TLV_SEQ:
    rv = get_uint(&v, t, 8);
    m->seq = v;
    m->alarm.seq = v;
    return rv;
  case CONDUCTOR_TLV_ALARM_NUM:
    rv = get_uint(&v, t, 4);
    m->alarm.alarm_num = (uint32_t)v;
    return rv;
  case CONDUCTOR_TLV_ALARM_OP:
    rv = get_uint(&v, t, 1);
    m->alarm.op = (uint8_t)v;
    return rv;
  case CONDUCTOR_TLV_SEVERITY:
    rv = get_uint(&v, t, 1);
    m->alarm.severity = (uint8_t)v;
    return rv;
  case CONDUCTOR_TLV_TIME:
    rv = get_uint(&v, t, 8);
    m->time_ns = v;
    m->alarm.time_ns = v;
    return rv;
  case CONDUCTOR_TLV_SOURCE:
    return get_str(m->alarm.source, sizeof m->alarm.source, t, 1);
  case CONDUCTOR_TLV_CATEGORY:
    return get_str(m->alarm.category, sizeof m->alarm.category, t, 1);
  case CONDUCTOR_TLV_MESSAGE:
    return get_str(m->alarm.message, sizeof m->alarm.message, t, 0);
  case CONDUCTOR_TLV_PEAK_BPS:
    rv = get_uint(&v, t, 8);
    m->peak_bps = v;
    return rv;
  case CONDUCTOR_TLV_INTERVAL:
    rv = get_uint(&v, t, 8);
    m->interval_ns = v;
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
    return get_str(m->text, sizeof m->text, t, 0);
  case CONDUCTOR_TLV_EPOCH:
    rv = get_uint(&v, t, 8);
    if (rv == 0 && v == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE; /* "no epoch" is said by absence */
    }
    m->epoch = v;
    return rv;
  case CONDUCTOR_TLV_PEER:
    return get_str(m->peer, sizeof m->peer, t, 1);
  case CONDUCTOR_TLV_KEY_INDEX:
    rv = get_uint(&v, t, 4);
    m->key_index = (uint32_t)v;
    return rv;
  case CONDUCTOR_TLV_KEY_OP:
    rv = get_uint(&v, t, 1);
    m->key_op = (uint8_t)v;
    return rv;
  case CONDUCTOR_TLV_KEY:
    if (t->len < CONDUCTOR_KEY_MIN || t->len > CONDUCTOR_KEY_MAX) {
      return CONDUCTOR_ERR_FIELD_LENGTH;
    }
    memcpy(m->key, t->value, t->len);
    m->keylen = (uint8_t)t->len;
    return 0;
  case CONDUCTOR_TLV_NEIGHBORHOOD:
    return get_str(m->neighborhood, sizeof m->neighborhood, t, 1);
  case CONDUCTOR_TLV_INTERFACE:
    return get_str(m->interface, sizeof m->interface, t, 1);
  case CONDUCTOR_TLV_ADDRESS: {
    static const uint8_t zero[16];
    if (t->len != 4 && t->len != 16) {
      return CONDUCTOR_ERR_FIELD_LENGTH;
    }
    if (memcmp(t->value, zero, t->len) == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE; /* 0.0.0.0 / :: says nowhere */
    }
    memcpy(m->address, t->value, t->len);
    m->addr_family = t->len == 4 ? 4 : 6;
    return 0;
  }
  case CONDUCTOR_TLV_PORT:
    rv = get_uint(&v, t, 2);
    if (rv == 0 && v == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    m->port = (uint16_t)v;
    return rv;
  default:
    return 0; /* unknown TLV: skipped by length, later versions add fields */
  }
}

static int check_values(const conductor_msg *m) {
  switch (m->type) {
  case CONDUCTOR_MSG_HELLO:
    if (m->version_min == 0 || m->version_min > m->version_max) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CONDUCTOR_MSG_HELLO_ACK:
    if (m->version == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CONDUCTOR_MSG_ALARM:
    if (m->alarm.seq == 0 ||
        (m->alarm.op != CONDUCTOR_ALARM_RAISE &&
         m->alarm.op != CONDUCTOR_ALARM_CLEAR) ||
        m->alarm.severity > CONDUCTOR_SEV_CRITICAL) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CONDUCTOR_MSG_ALARM_ACK:
  case CONDUCTOR_MSG_ENTITLEMENT_ACK:
    if (m->seq == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CONDUCTOR_MSG_ENTITLEMENT:
    if (m->seq == 0 || m->interval_ns == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CONDUCTOR_MSG_KEY:
  case CONDUCTOR_MSG_KEY_ACK:
    if (m->key_index == 0 || m->key_op < CONDUCTOR_KEY_ADD ||
        m->key_op > CONDUCTOR_KEY_REMOVE) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    /* The material comes with ADD and only with it. */
    if (m->type == CONDUCTOR_MSG_KEY &&
        (m->key_op == CONDUCTOR_KEY_ADD) != (m->keylen != 0)) {
      return m->keylen ? CONDUCTOR_ERR_FIELD_VALUE
                       : CONDUCTOR_ERR_FIELD_MISSING;
    }
    break;
  default:
    break;
  }
  return 0;
}

/* Wipes what a decode may have left of a key on the stack: the compiler
 * may not drop these stores (volatile). */
static void wipe(void *p, size_t n) {
  volatile uint8_t *v = p;
  while (n--) {
    *v++ = 0;
  }
}

int conductor_msg_decode(conductor_msg *m, const uint8_t *p, size_t len) {
  conductor_msg tmp;
  conductor_ssize flen;
  uint32_t seen = 0, need, allowed;
  svr_tlv_iter it;
  svr_tlv t;
  int rv;

  if (m == NULL || (p == NULL && len != 0)) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  flen = conductor_frame_length(p, len);
  if (flen < 0) {
    return (int)flen;
  }
  if (flen == 0 || (size_t)flen != len) {
    return CONDUCTOR_ERR_FRAME_LENGTH;
  }
  memset(&tmp, 0, sizeof tmp);
  tmp.type = svr_get_be16(p + 4);
  need = required_fields(tmp.type);
  if (need == 0) {
    m->type = tmp.type;
    return CONDUCTOR_ERR_UNKNOWN_TYPE;
  }
  /* Optional fields: ERROR's text, HELLO's epoch (IPC version 2; absent
   * from a version 1 router's HELLO). */
  allowed = need;
  if (tmp.type == CONDUCTOR_MSG_ERROR) {
    allowed |= F(CONDUCTOR_TLV_TEXT);
  } else if (tmp.type == CONDUCTOR_MSG_HELLO) {
    allowed |= F(CONDUCTOR_TLV_EPOCH);
  } else if (tmp.type == CONDUCTOR_MSG_KEY) {
    allowed |= F(CONDUCTOR_TLV_KEY) | F(CONDUCTOR_TLV_INTERVAL);
  } else if (tmp.type == CONDUCTOR_MSG_KEY_ACK) {
    allowed |= F(CONDUCTOR_TLV_TEXT);
  }
  /* ADDRESS / PEER_ADDRESS: no optional fields */
  svr_tlv_iter_init(&it, p + CONDUCTOR_FRAME_HDR_LEN,
                    len - CONDUCTOR_FRAME_HDR_LEN);
  while ((rv = svr_tlv_next(&it, &t)) == 1) {
    if (t.type >= SVR_TLV_CONDUCTOR_FIRST &&
        t.type < SVR_TLV_CONDUCTOR_FIRST + CONDUCTOR_TLV_COUNT) {
      uint32_t bit = F(t.type);
      if (!(allowed & bit)) {
        continue; /* a field of another message: skipped like unknown */
      }
      if (seen & bit) {
        rv = CONDUCTOR_ERR_FIELD_DUPLICATE;
        goto out;
      }
      seen |= bit;
    } else {
      continue;
    }
    rv = decode_field(&tmp, &t);
    if (rv != 0) {
      goto out;
    }
  }
  if (rv < 0) {
    rv = CONDUCTOR_ERR_TLV_TRUNCATED;
  } else if ((seen & need) != need) {
    rv = CONDUCTOR_ERR_FIELD_MISSING;
  } else {
    rv = check_values(&tmp);
  }
  if (rv == 0) {
    *m = tmp;
  }
out:
  wipe(tmp.key, sizeof tmp.key);
  return rv;
}

static int str_ok(const char *s, size_t cap) {
  return memchr(s, 0, cap) != NULL;
}

static void put_str(svr_tlv_writer *w, uint16_t type, const char *s) {
  svr_tlv_put(w, type, s, (uint16_t)strlen(s));
}

conductor_ssize conductor_msg_encode(uint8_t *buf, size_t cap,
                                     const conductor_msg *m) {
  svr_tlv_writer w;
  const conductor_alarm *a;
  if (m == NULL || (buf == NULL && cap != 0)) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  a = &m->alarm;
  if (!str_ok(m->router, sizeof m->router) ||
      !str_ok(m->node, sizeof m->node) || !str_ok(m->text, sizeof m->text) ||
      !str_ok(a->source, sizeof a->source) ||
      !str_ok(a->category, sizeof a->category) ||
      !str_ok(a->message, sizeof a->message) ||
      !str_ok(m->peer, sizeof m->peer) ||
      !str_ok(m->neighborhood, sizeof m->neighborhood) ||
      !str_ok(m->interface, sizeof m->interface)) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (cap < CONDUCTOR_FRAME_HDR_LEN) {
    return CONDUCTOR_ERR_NOBUF;
  }
  svr_tlv_writer_init(&w, buf + CONDUCTOR_FRAME_HDR_LEN,
                      cap - CONDUCTOR_FRAME_HDR_LEN);
  switch (m->type) {
  case CONDUCTOR_MSG_HELLO:
    if (m->version_min == 0 || m->version_min > m->version_max ||
        m->router[0] == '\0' || m->node[0] == '\0') {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_VERSION_MIN, m->version_min);
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_VERSION_MAX, m->version_max);
    put_str(&w, CONDUCTOR_TLV_ROUTER, m->router);
    put_str(&w, CONDUCTOR_TLV_NODE, m->node);
    if (m->epoch != 0) {
      svr_tlv_put_u64(&w, CONDUCTOR_TLV_EPOCH, m->epoch);
    }
    break;
  case CONDUCTOR_MSG_HELLO_ACK:
    if (m->version == 0 || m->node[0] == '\0') {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_VERSION, m->version);
    put_str(&w, CONDUCTOR_TLV_NODE, m->node);
    break;
  case CONDUCTOR_MSG_ALARM:
    if (a->seq == 0 || a->source[0] == '\0' || a->category[0] == '\0' ||
        (a->op != CONDUCTOR_ALARM_RAISE && a->op != CONDUCTOR_ALARM_CLEAR) ||
        a->severity > CONDUCTOR_SEV_CRITICAL) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, a->seq);
    svr_tlv_put_u32(&w, CONDUCTOR_TLV_ALARM_NUM, a->alarm_num);
    svr_tlv_put_u8(&w, CONDUCTOR_TLV_ALARM_OP, a->op);
    svr_tlv_put_u8(&w, CONDUCTOR_TLV_SEVERITY, a->severity);
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_TIME, a->time_ns);
    put_str(&w, CONDUCTOR_TLV_SOURCE, a->source);
    put_str(&w, CONDUCTOR_TLV_CATEGORY, a->category);
    put_str(&w, CONDUCTOR_TLV_MESSAGE, a->message);
    break;
  case CONDUCTOR_MSG_ALARM_ACK:
  case CONDUCTOR_MSG_ENTITLEMENT_ACK:
    if (m->seq == 0) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, m->seq);
    break;
  case CONDUCTOR_MSG_KEEPALIVE:
  case CONDUCTOR_MSG_KEEPALIVE_ACK:
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, m->seq);
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_TIME, m->time_ns);
    break;
  case CONDUCTOR_MSG_ENTITLEMENT:
    if (m->seq == 0 || m->interval_ns == 0) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SEQ, m->seq);
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_TIME, m->time_ns);
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_PEAK_BPS, m->peak_bps);
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_INTERVAL, m->interval_ns);
    break;
  case CONDUCTOR_MSG_ERROR:
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_ERROR_CODE, m->error_code);
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_REF_TYPE, m->ref_type);
    if (m->text[0]) {
      put_str(&w, CONDUCTOR_TLV_TEXT, m->text);
    }
    break;
  case CONDUCTOR_MSG_KEY:
  case CONDUCTOR_MSG_KEY_ACK:
    if (m->peer[0] == '\0' || m->key_index == 0 ||
        m->key_op < CONDUCTOR_KEY_ADD || m->key_op > CONDUCTOR_KEY_REMOVE) {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    put_str(&w, CONDUCTOR_TLV_PEER, m->peer);
    svr_tlv_put_u32(&w, CONDUCTOR_TLV_KEY_INDEX, m->key_index);
    svr_tlv_put_u8(&w, CONDUCTOR_TLV_KEY_OP, m->key_op);
    if (m->type == CONDUCTOR_MSG_KEY) {
      if (m->key_op == CONDUCTOR_KEY_ADD
              ? (m->keylen < CONDUCTOR_KEY_MIN || m->keylen > CONDUCTOR_KEY_MAX)
              : m->keylen != 0) {
        return CONDUCTOR_ERR_INVALID_ARGUMENT;
      }
      if (m->keylen) {
        svr_tlv_put(&w, CONDUCTOR_TLV_KEY, m->key, m->keylen);
      }
      if (m->interval_ns) {
        svr_tlv_put_u64(&w, CONDUCTOR_TLV_INTERVAL, m->interval_ns);
      }
    } else {
      svr_tlv_put_u16(&w, CONDUCTOR_TLV_ERROR_CODE, m->error_code);
      if (m->text[0]) {
        put_str(&w, CONDUCTOR_TLV_TEXT, m->text);
      }
    }
    break;
  case CONDUCTOR_MSG_ADDRESS:
  case CONDUCTOR_MSG_PEER_ADDRESS: {
    static const uint8_t zero[16];
    size_t alen = m->addr_family == 4 ? 4 : 16;
    if ((m->addr_family != 4 && m->addr_family != 6) ||
        memcmp(m->address, zero, alen) == 0 || m->port == 0 ||
        m->neighborhood[0] == '\0') {
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    if (m->type == CONDUCTOR_MSG_ADDRESS) {
      if (m->interface[0] == '\0') {
        return CONDUCTOR_ERR_INVALID_ARGUMENT;
      }
      put_str(&w, CONDUCTOR_TLV_NEIGHBORHOOD, m->neighborhood);
      put_str(&w, CONDUCTOR_TLV_INTERFACE, m->interface);
    } else {
      if (m->peer[0] == '\0' || m->node[0] == '\0') {
        return CONDUCTOR_ERR_INVALID_ARGUMENT;
      }
      put_str(&w, CONDUCTOR_TLV_PEER, m->peer);
      put_str(&w, CONDUCTOR_TLV_NODE, m->node);
      put_str(&w, CONDUCTOR_TLV_NEIGHBORHOOD, m->neighborhood);
    }
    svr_tlv_put(&w, CONDUCTOR_TLV_ADDRESS, m->address, (uint16_t)alen);
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_PORT, m->port);
    break;
  }
  default:
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (w.overflow) {
    return CONDUCTOR_ERR_NOBUF;
  }
  if (w.len > CONDUCTOR_MAX_BODY_LEN) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  svr_put_be32(buf, (uint32_t)w.len);
  svr_put_be16(buf + 4, m->type);
  svr_put_be16(buf + 6, 0);
  return (conductor_ssize)(CONDUCTOR_FRAME_HDR_LEN + w.len);
}

const char *conductor_msg_type_name(uint16_t type) {
  switch (type) {
  case CONDUCTOR_MSG_HELLO:
    return "hello";
  case CONDUCTOR_MSG_HELLO_ACK:
    return "hello-ack";
  case CONDUCTOR_MSG_ALARM:
    return "alarm";
  case CONDUCTOR_MSG_ALARM_ACK:
    return "alarm-ack";
  case CONDUCTOR_MSG_KEEPALIVE:
    return "keepalive";
  case CONDUCTOR_MSG_KEEPALIVE_ACK:
    return "keepalive-ack";
  case CONDUCTOR_MSG_ENTITLEMENT:
    return "entitlement";
  case CONDUCTOR_MSG_ENTITLEMENT_ACK:
    return "entitlement-ack";
  case CONDUCTOR_MSG_ERROR:
    return "error";
  case CONDUCTOR_MSG_KEY:
    return "key";
  case CONDUCTOR_MSG_KEY_ACK:
    return "key-ack";
  case CONDUCTOR_MSG_ADDRESS:
    return "address";
  case CONDUCTOR_MSG_PEER_ADDRESS:
    return "peer-address";
  default:
    return "unknown";
  }
}

static const char *const sev_names[] = {"info", "minor", "major", "critical"};

const char *conductor_severity_name(uint8_t severity) {
  return severity <= CONDUCTOR_SEV_CRITICAL ? sev_names[severity] : "unknown";
}

int conductor_severity_parse(const char *name) {
  int i;
  if (name == NULL) {
    return -1;
  }
  for (i = 0; i <= CONDUCTOR_SEV_CRITICAL; i++) {
    if (strcmp(name, sev_names[i]) == 0) {
      return i;
    }
  }
  return -1;
}
