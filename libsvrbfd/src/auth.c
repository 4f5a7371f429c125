/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Authentication: RFC 5880 sections 4.2-4.4 (formats) and 6.7 (procedures),
 * plus our HMAC-SHA256 type 240 (docs/libsvrbfd.md "HMAC-SHA256").  Digests
 * come from OpenSSL libcrypto through common/svr_digest.h: nothing on the
 * packet path allocates; an HMAC-SHA256 session keys its inner and outer
 * hash states once, when it is created.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "bfd_int.h"
#include "svr_digest.h"
#include "svr_endian.h"

int svrbfd__auth_meticulous(svrbfd_auth_type t) {
  return t == SVRBFD_AUTH_METICULOUS_KEYED_MD5 ||
         t == SVRBFD_AUTH_METICULOUS_KEYED_SHA1 || t == SVRBFD_AUTH_HMAC_SHA256;
}

int svrbfd__auth_has_seq(svrbfd_auth_type t) {
  return t == SVRBFD_AUTH_KEYED_MD5 || t == SVRBFD_AUTH_KEYED_SHA1 ||
         svrbfd__auth_meticulous(t);
}

/* Digest bytes in the section, and the key field size for MD5/SHA1. */
static size_t bfd_auth_digest_len(svrbfd_auth_type t) {
  switch (t) {
  case SVRBFD_AUTH_KEYED_MD5:
  case SVRBFD_AUTH_METICULOUS_KEYED_MD5:
    return 16;
  case SVRBFD_AUTH_KEYED_SHA1:
  case SVRBFD_AUTH_METICULOUS_KEYED_SHA1:
    return 20;
  case SVRBFD_AUTH_HMAC_SHA256:
    return 32;
  default:
    return 0;
  }
}

int svrbfd__auth_config_check(const svrbfd_auth *a) {
  switch (a->type) {
  case SVRBFD_AUTH_NONE:
    return 0;
  case SVRBFD_AUTH_SIMPLE: /* 4.2: password 1-16 bytes */
  case SVRBFD_AUTH_KEYED_MD5:
  case SVRBFD_AUTH_METICULOUS_KEYED_MD5: /* 4.3: key up to 16 bytes */
    return a->key_len >= 1 && a->key_len <= 16 ? 0 : SVRBFD_ERR_AUTH_CONFIG;
  case SVRBFD_AUTH_KEYED_SHA1:
  case SVRBFD_AUTH_METICULOUS_KEYED_SHA1: /* 4.4: key up to 20 bytes */
    return a->key_len >= 1 && a->key_len <= 20 ? 0 : SVRBFD_ERR_AUTH_CONFIG;
  case SVRBFD_AUTH_HMAC_SHA256:
    return a->key_len >= 1 && a->key_len <= SVRBFD_MAX_AUTH_KEY_LEN
               ? 0
               : SVRBFD_ERR_AUTH_CONFIG;
  default:
    return SVRBFD_ERR_AUTH_CONFIG;
  }
}

size_t svrbfd__auth_section_len(const svrbfd_auth *a) {
  switch (a->type) {
  case SVRBFD_AUTH_NONE:
    return 0;
  case SVRBFD_AUTH_SIMPLE:
    return 3u + a->key_len;
  default:
    return 8u + bfd_auth_digest_len(a->type);
  }
}

int svrbfd__auth_keyed_new(const svrbfd_mem *mem, const svrbfd_auth *a,
                           svr_hmac_sha256 **out) {
  svr_hmac_sha256 *h;
  *out = NULL;
  if (a->type != SVRBFD_AUTH_HMAC_SHA256) {
    return 0; /* keyed MD5/SHA1 hash the key inside the packet */
  }
  h = svrbfd__malloc(mem, sizeof(*h));
  if (h == NULL) {
    return SVRBFD_ERR_NOMEM;
  }
  if (svr_hmac_sha256_init(h, a->key, a->key_len) != 0) {
    svrbfd__auth_keyed_free(mem, h);
    return SVRBFD_ERR_CRYPTO;
  }
  *out = h;
  return 0;
}

void svrbfd__auth_keyed_free(const svrbfd_mem *mem, svr_hmac_sha256 *h) {
  if (h != NULL) {
    svr_hmac_sha256_clear(h);
    svrbfd__free(mem, h);
  }
}

/*
 * Computes the digest of pkt[0..len) into |out| for the type; for MD5/SHA1
 * the caller has put the zero-padded key into the digest field (6.7.3/6.7.4),
 * for HMAC-SHA256 zeros.  |h| is the session's keyed HMAC state; NULL keys
 * a temporary one on the stack (tests and one-off use).  No allocation
 * either way (common/svr_digest.h says why not EVP).
 */
static int bfd_auth_digest(const svr_hmac_sha256 *h, const svrbfd_auth *a,
                           const uint8_t *pkt, size_t len, uint8_t *out) {
  svr_hmac_sha256 tmp;
  int rv;
  switch (a->type) {
  case SVRBFD_AUTH_KEYED_MD5:
  case SVRBFD_AUTH_METICULOUS_KEYED_MD5:
    return svr_md5(pkt, len, out) == 0 ? 0 : SVRBFD_ERR_CRYPTO;
  case SVRBFD_AUTH_KEYED_SHA1:
  case SVRBFD_AUTH_METICULOUS_KEYED_SHA1:
    return svr_sha1(pkt, len, out) == 0 ? 0 : SVRBFD_ERR_CRYPTO;
  case SVRBFD_AUTH_HMAC_SHA256:
    if (h != NULL) {
      return svr_hmac_sha256_compute(h, pkt, len, out) == 0 ? 0
                                                            : SVRBFD_ERR_CRYPTO;
    }
    rv = svr_hmac_sha256_init(&tmp, a->key, a->key_len) == 0 &&
                 svr_hmac_sha256_compute(&tmp, pkt, len, out) == 0
             ? 0
             : SVRBFD_ERR_CRYPTO;
    svr_hmac_sha256_clear(&tmp);
    return rv;
  default:
    return SVRBFD_ERR_CRYPTO;
  }
}

/* Fills the digest field with what is hashed in its place. */
static void bfd_auth_fill_field(const svrbfd_auth *a, uint8_t *field,
                                size_t flen) {
  memset(field, 0, flen);
  if (a->type != SVRBFD_AUTH_HMAC_SHA256) {
    memcpy(field, a->key, a->key_len <= flen ? a->key_len : flen);
  }
}

int svrbfd__auth_sign(const svr_hmac_sha256 *h, const svrbfd_auth *a,
                      uint32_t seq, uint8_t *buf, size_t len) {
  uint8_t *sec = buf + SVRBFD_MIN_PKT_LEN;
  size_t slen = svrbfd__auth_section_len(a);
  size_t dlen;
  uint8_t digest[32];
  int rv;

  sec[0] = (uint8_t)a->type;
  sec[1] = (uint8_t)slen;
  sec[2] = a->key_id;
  if (a->type == SVRBFD_AUTH_SIMPLE) { /* 4.2 */
    memcpy(sec + 3, a->key, a->key_len);
    return 0;
  }
  sec[3] = 0; /* Reserved */
  svr_put_be32(sec + 4, seq);
  dlen = bfd_auth_digest_len(a->type);
  bfd_auth_fill_field(a, sec + 8, dlen);
  rv = bfd_auth_digest(h, a, buf, len, digest);
  if (rv != 0) {
    return rv;
  }
  memcpy(sec + 8, digest, dlen);
  return 0;
}

/*
 * 6.7.3/6.7.4 windows (circular uint32): keyed [rcv, rcv + 3M], meticulous
 * [rcv + 1, rcv + 3M]; anything goes while AuthSeqKnown is 0.  M is the
 * Detect Mult of the received packet.
 */
int svrbfd__auth_seq_ok(svrbfd_auth_type t, int known, uint32_t rcv_seq,
                        uint32_t seq, uint8_t mult) {
  uint32_t delta = seq - rcv_seq; /* wraps */
  uint32_t hi = 3u * mult;
  if (!known) {
    return 1;
  }
  if (svrbfd__auth_meticulous(t)) {
    return delta >= 1 && delta <= hi;
  }
  return delta <= hi;
}

int svrbfd__auth_verify(const svrbfd_session *s, const svrbfd_pkt *pkt,
                        const uint8_t *data) {
  const svrbfd_auth *a = &s->cfg.auth;
  uint8_t copy[SVRBFD_MIN_PKT_LEN + BFD_AUTH_LEN_SHA256];
  uint8_t digest[32];
  size_t dlen;
  int rv;

  if (pkt->auth_type != (uint8_t)a->type) {
    return SVRBFD_ERR_PKT_AUTH_TYPE;
  }
  if (pkt->auth_len != svrbfd__auth_section_len(a) &&
      a->type != SVRBFD_AUTH_SIMPLE) {
    return SVRBFD_ERR_PKT_AUTH_LEN;
  }
  if (pkt->auth_key_id != a->key_id) {
    return SVRBFD_ERR_PKT_AUTH_KEY_ID;
  }
  if (a->type == SVRBFD_AUTH_SIMPLE) { /* 6.7.2 */
    if (pkt->auth_data_len != a->key_len ||
        CRYPTO_memcmp(pkt->auth_data, a->key, a->key_len) != 0) {
      return SVRBFD_ERR_PKT_AUTH_DIGEST;
    }
    return 0;
  }
  if (!svrbfd__auth_seq_ok(a->type, s->rcv_seq_known, s->rcv_seq, pkt->auth_seq,
                           pkt->detect_mult)) {
    return SVRBFD_ERR_PKT_AUTH_SEQ;
  }
  dlen = bfd_auth_digest_len(a->type);
  if (pkt->length > sizeof(copy) || pkt->auth_data_len != dlen) {
    return SVRBFD_ERR_PKT_AUTH_LEN;
  }
  memcpy(copy, data, pkt->length);
  bfd_auth_fill_field(a, copy + SVRBFD_MIN_PKT_LEN + 8, dlen);
  rv = bfd_auth_digest(s->hmac, a, copy, pkt->length, digest);
  if (rv != 0) {
    return rv;
  }
  if (CRYPTO_memcmp(digest, pkt->auth_data, dlen) != 0) {
    return SVRBFD_ERR_PKT_AUTH_DIGEST;
  }
  return 0;
}
