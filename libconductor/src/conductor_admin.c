/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Codec of the administration messages (IPC version 6, sans-I/O):
 * docs/libconductor.md section 2.7.  Same frame and TLV rules as
 * conductor_codec.c: unknown TLVs and TLVs of other messages are skipped,
 * a known one twice, a wrong size, a missing mandatory field or a value
 * out of range makes the frame invalid.
 */
#include <string.h>

#include <conductor/conductor.h>

#include "conductor_tlv.h"
#include "svr_endian.h"

#define B(tlv) (1ull << ((tlv)-SVR_TLV_CONDUCTOR_FIRST))

int conductor_admin_type(uint16_t type) {
  return type >= CONDUCTOR_MSG_LOG_LIST && type <= CONDUCTOR_MSG_REPO_STATUS;
}

/* Mandatory and allowed (mandatory + optional) TLVs per type. */
static int fields(uint16_t type, uint64_t *need, uint64_t *allowed) {
  const uint64_t target = B(CONDUCTOR_TLV_ROUTER) | B(CONDUCTOR_TLV_NODE);
  uint64_t n = B(CONDUCTOR_TLV_STREAM), o = 0;
  switch (type) {
  case CONDUCTOR_MSG_LOG_LIST:
    o = target | B(CONDUCTOR_TLV_USER);
    break;
  case CONDUCTOR_MSG_LOG_FILE:
    n |= B(CONDUCTOR_TLV_FILE_NAME) | B(CONDUCTOR_TLV_SIZE) |
         B(CONDUCTOR_TLV_MTIME);
    break;
  case CONDUCTOR_MSG_LOG_GET:
    n |= B(CONDUCTOR_TLV_FILE_NAME) | B(CONDUCTOR_TLV_OFFSET) |
         B(CONDUCTOR_TLV_LENGTH);
    o = target | B(CONDUCTOR_TLV_USER) | B(CONDUCTOR_TLV_SIZE);
    break;
  case CONDUCTOR_MSG_LOG_DATA:
    n |= B(CONDUCTOR_TLV_OFFSET) | B(CONDUCTOR_TLV_DATA);
    break;
  case CONDUCTOR_MSG_LOG_END:
    n |= B(CONDUCTOR_TLV_ERROR_CODE);
    o = B(CONDUCTOR_TLV_SIZE) | B(CONDUCTOR_TLV_MTIME) |
        B(CONDUCTOR_TLV_SHA256) | B(CONDUCTOR_TLV_TEXT);
    break;
  case CONDUCTOR_MSG_SHELL_OPEN:
    n |= B(CONDUCTOR_TLV_USER) | B(CONDUCTOR_TLV_ROWS) | B(CONDUCTOR_TLV_COLS);
    o = target | B(CONDUCTOR_TLV_TERM);
    break;
  case CONDUCTOR_MSG_SHELL_DATA:
    n |= B(CONDUCTOR_TLV_DATA);
    break;
  case CONDUCTOR_MSG_SHELL_RESIZE:
    n |= B(CONDUCTOR_TLV_ROWS) | B(CONDUCTOR_TLV_COLS);
    break;
  case CONDUCTOR_MSG_SHELL_ACK:
    n |= B(CONDUCTOR_TLV_LENGTH);
    break;
  case CONDUCTOR_MSG_SHELL_EXIT:
    n |= B(CONDUCTOR_TLV_ERROR_CODE);
    o = B(CONDUCTOR_TLV_EXIT_STATUS) | B(CONDUCTOR_TLV_TEXT);
    break;
  case CONDUCTOR_MSG_SHELL_CLOSE:
    break;
  case CONDUCTOR_MSG_REPO_STATUS:
    n |= B(CONDUCTOR_TLV_FILE_NAME) | B(CONDUCTOR_TLV_ERROR_CODE) |
         B(CONDUCTOR_TLV_MTIME) | B(CONDUCTOR_TLV_LENGTH);
    o = B(CONDUCTOR_TLV_TEXT);
    break;
  default:
    return -1;
  }
  *need = n;
  *allowed = n | o;
  return 0;
}

static int get_str(char *dst, size_t cap, const svr_tlv *t, int nonempty) {
  if ((size_t)t->len >= cap || (nonempty && t->len == 0)) {
    return CONDUCTOR_ERR_FIELD_LENGTH;
  }
  if (t->len && memchr(t->value, 0, t->len) != NULL) {
    return CONDUCTOR_ERR_FIELD_VALUE;
  }
  memcpy(dst, t->value, t->len);
  dst[t->len] = '\0';
  return 0;
}

static int get_u(uint64_t *v, const svr_tlv *t, uint16_t size) {
  if (t->len != size) {
    return CONDUCTOR_ERR_FIELD_LENGTH;
  }
  *v = size == 2 ? svr_get_be16(t->value)
                 : size == 4 ? svr_get_be32(t->value) : svr_get_be64(t->value);
  return 0;
}

static int decode_field(conductor_admin *m, const svr_tlv *t) {
  uint64_t v = 0;
  int rv = 0;
  switch (t->type) {
  case CONDUCTOR_TLV_ROUTER:
    return get_str(m->router, sizeof m->router, t, 1);
  case CONDUCTOR_TLV_NODE:
    return get_str(m->node, sizeof m->node, t, 1);
  case CONDUCTOR_TLV_USER:
    return get_str(m->user, sizeof m->user, t, 1);
  case CONDUCTOR_TLV_TERM:
    return get_str(m->term, sizeof m->term, t, 1);
  case CONDUCTOR_TLV_FILE_NAME:
    return get_str(m->name, sizeof m->name, t, 1);
  case CONDUCTOR_TLV_TEXT:
    return get_str(m->text, sizeof m->text, t, 0);
  case CONDUCTOR_TLV_ERROR_CODE:
    rv = get_u(&v, t, 2);
    m->error_code = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_STREAM:
    rv = get_u(&v, t, 4);
    m->stream = (uint32_t)v;
    return rv;
  case CONDUCTOR_TLV_OFFSET:
    rv = get_u(&v, t, 8);
    m->offset = v;
    return rv;
  case CONDUCTOR_TLV_LENGTH:
    rv = get_u(&v, t, 8);
    m->length = v;
    return rv;
  case CONDUCTOR_TLV_SIZE:
    rv = get_u(&v, t, 8);
    m->size = v;
    m->has_size = 1;
    return rv;
  case CONDUCTOR_TLV_MTIME:
    rv = get_u(&v, t, 8);
    m->mtime_ns = v;
    return rv;
  case CONDUCTOR_TLV_ROWS:
    rv = get_u(&v, t, 2);
    m->rows = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_COLS:
    rv = get_u(&v, t, 2);
    m->cols = (uint16_t)v;
    return rv;
  case CONDUCTOR_TLV_EXIT_STATUS:
    rv = get_u(&v, t, 4);
    m->exit_status = (uint32_t)v;
    m->has_exit_status = 1;
    return rv;
  case CONDUCTOR_TLV_SHA256:
    if (t->len != 32) {
      return CONDUCTOR_ERR_FIELD_LENGTH;
    }
    memcpy(m->sha256, t->value, 32);
    m->has_sha256 = 1;
    return 0;
  case CONDUCTOR_TLV_DATA:
    if (t->len > CONDUCTOR_ADMIN_DATA_MAX) {
      return CONDUCTOR_ERR_FIELD_LENGTH;
    }
    m->data = t->value;
    m->datalen = t->len;
    return 0;
  default:
    return 0;
  }
}

static int check_values(const conductor_admin *m) {
  /* REPO_STATUS may be unsolicited (stream 0); everything else belongs to
   * a stream. */
  if (m->stream == 0 && m->type != CONDUCTOR_MSG_REPO_STATUS) {
    return CONDUCTOR_ERR_FIELD_VALUE;
  }
  switch (m->type) {
  case CONDUCTOR_MSG_LOG_GET:
    if (m->length == 0 || m->offset > UINT64_MAX - m->length) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CONDUCTOR_MSG_LOG_DATA:
  case CONDUCTOR_MSG_SHELL_DATA:
    if (m->datalen == 0) {
      return CONDUCTOR_ERR_FIELD_LENGTH;
    }
    break;
  case CONDUCTOR_MSG_SHELL_OPEN:
  case CONDUCTOR_MSG_SHELL_RESIZE:
    if (m->rows == 0 || m->cols == 0) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  case CONDUCTOR_MSG_SHELL_EXIT:
    if (m->has_exit_status && m->exit_status > 255 + 128) {
      return CONDUCTOR_ERR_FIELD_VALUE;
    }
    break;
  default:
    break;
  }
  return 0;
}

int conductor_admin_decode(conductor_admin *m, const uint8_t *p, size_t len) {
  conductor_admin tmp;
  conductor_ssize flen;
  uint64_t seen = 0, need, allowed;
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
  if (fields(tmp.type, &need, &allowed) != 0) {
    return CONDUCTOR_ERR_UNKNOWN_TYPE;
  }
  svr_tlv_iter_init(&it, p + CONDUCTOR_FRAME_HDR_LEN,
                    len - CONDUCTOR_FRAME_HDR_LEN);
  while ((rv = svr_tlv_next(&it, &t)) == 1) {
    uint64_t bit;
    if (t.type < SVR_TLV_CONDUCTOR_FIRST ||
        t.type >= SVR_TLV_CONDUCTOR_FIRST + CONDUCTOR_TLV_ADMIN_COUNT) {
      continue;
    }
    bit = B(t.type);
    if (!(allowed & bit)) {
      continue;
    }
    if (seen & bit) {
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
  /* LOG_END: size and mtime come together or not at all. */
  if (tmp.type == CONDUCTOR_MSG_LOG_END &&
      !(seen & B(CONDUCTOR_TLV_SIZE)) != !(seen & B(CONDUCTOR_TLV_MTIME))) {
    return CONDUCTOR_ERR_FIELD_MISSING;
  }
  rv = check_values(&tmp);
  if (rv == 0) {
    *m = tmp;
  }
  return rv;
}

static int str_ok(const char *s, size_t cap) {
  return memchr(s, 0, cap) != NULL;
}

static void put_str(svr_tlv_writer *w, uint16_t type, const char *s) {
  svr_tlv_put(w, type, s, (uint16_t)strlen(s));
}

conductor_ssize conductor_admin_encode(uint8_t *buf, size_t cap,
                                       const conductor_admin *m) {
  svr_tlv_writer w;
  uint64_t need, allowed;
  if (m == NULL || (buf == NULL && cap != 0) ||
      fields(m->type, &need, &allowed) != 0) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (!str_ok(m->router, sizeof m->router) ||
      !str_ok(m->node, sizeof m->node) || !str_ok(m->user, sizeof m->user) ||
      !str_ok(m->term, sizeof m->term) || !str_ok(m->name, sizeof m->name) ||
      !str_ok(m->text, sizeof m->text) || check_values(m) != 0 ||
      m->datalen > CONDUCTOR_ADMIN_DATA_MAX ||
      (m->datalen && m->data == NULL)) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  /* Mandatory strings must not be empty. */
  if (((need & B(CONDUCTOR_TLV_FILE_NAME)) && m->name[0] == '\0') ||
      ((need & B(CONDUCTOR_TLV_USER)) && m->user[0] == '\0')) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (cap < CONDUCTOR_FRAME_HDR_LEN) {
    return CONDUCTOR_ERR_NOBUF;
  }
  svr_tlv_writer_init(&w, buf + CONDUCTOR_FRAME_HDR_LEN,
                      cap - CONDUCTOR_FRAME_HDR_LEN);
  svr_tlv_put_u32(&w, CONDUCTOR_TLV_STREAM, m->stream);
  if ((allowed & B(CONDUCTOR_TLV_ROUTER)) && m->router[0]) {
    put_str(&w, CONDUCTOR_TLV_ROUTER, m->router);
  }
  if ((allowed & B(CONDUCTOR_TLV_NODE)) && m->node[0]) {
    put_str(&w, CONDUCTOR_TLV_NODE, m->node);
  }
  if ((allowed & B(CONDUCTOR_TLV_USER)) && m->user[0]) {
    put_str(&w, CONDUCTOR_TLV_USER, m->user);
  }
  if ((allowed & B(CONDUCTOR_TLV_TERM)) && m->term[0]) {
    put_str(&w, CONDUCTOR_TLV_TERM, m->term);
  }
  if (need & B(CONDUCTOR_TLV_FILE_NAME)) {
    put_str(&w, CONDUCTOR_TLV_FILE_NAME, m->name);
  }
  if (need & B(CONDUCTOR_TLV_ERROR_CODE)) {
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_ERROR_CODE, m->error_code);
  }
  if (need & B(CONDUCTOR_TLV_OFFSET)) {
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_OFFSET, m->offset);
  }
  if (need & B(CONDUCTOR_TLV_LENGTH)) {
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_LENGTH, m->length);
  }
  if ((need & B(CONDUCTOR_TLV_SIZE)) ||
      ((allowed & B(CONDUCTOR_TLV_SIZE)) && m->has_size)) {
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_SIZE, m->size);
  }
  if ((need & B(CONDUCTOR_TLV_MTIME)) ||
      (m->type == CONDUCTOR_MSG_LOG_END && m->has_size)) {
    svr_tlv_put_u64(&w, CONDUCTOR_TLV_MTIME, m->mtime_ns);
  }
  if ((allowed & B(CONDUCTOR_TLV_SHA256)) && m->has_sha256) {
    svr_tlv_put(&w, CONDUCTOR_TLV_SHA256, m->sha256, 32);
  }
  if (need & B(CONDUCTOR_TLV_ROWS)) {
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_ROWS, m->rows);
    svr_tlv_put_u16(&w, CONDUCTOR_TLV_COLS, m->cols);
  }
  if ((allowed & B(CONDUCTOR_TLV_EXIT_STATUS)) && m->has_exit_status) {
    svr_tlv_put_u32(&w, CONDUCTOR_TLV_EXIT_STATUS, m->exit_status);
  }
  if (need & B(CONDUCTOR_TLV_DATA)) {
    svr_tlv_put(&w, CONDUCTOR_TLV_DATA, m->data, (uint16_t)m->datalen);
  }
  if ((allowed & B(CONDUCTOR_TLV_TEXT)) && m->text[0]) {
    put_str(&w, CONDUCTOR_TLV_TEXT, m->text);
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
