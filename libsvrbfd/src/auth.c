/*
 * Authentication: RFC 5880 sections 4.2-4.4 (formats) and 6.7 (procedures),
 * plus our HMAC-SHA256 type 240 (docs/libsvrbfd.md "HMAC-SHA256").  Digests
 * come from OpenSSL libcrypto (EVP / HMAC).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bfd_int.h"
#include "svr_endian.h"

int bfd_auth_meticulous(svrbfd_auth_type t) {
  return t == SVRBFD_AUTH_METICULOUS_KEYED_MD5 ||
         t == SVRBFD_AUTH_METICULOUS_KEYED_SHA1 || t == SVRBFD_AUTH_HMAC_SHA256;
}

int bfd_auth_has_seq(svrbfd_auth_type t) {
  return t == SVRBFD_AUTH_KEYED_MD5 || t == SVRBFD_AUTH_KEYED_SHA1 ||
         bfd_auth_meticulous(t);
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

int bfd_auth_config_check(const svrbfd_auth *a) {
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

size_t bfd_auth_section_len(const svrbfd_auth *a) {
  switch (a->type) {
  case SVRBFD_AUTH_NONE:
    return 0;
  case SVRBFD_AUTH_SIMPLE:
    return 3u + a->key_len;
  default:
    return 8u + bfd_auth_digest_len(a->type);
  }
}

int bfd_crypto_init(bfd_crypto *c) {
  int i;
  memset(c, 0, sizeof(*c));
  for (i = 0; i < 3; i++) {
    c->mdctx[i] = EVP_MD_CTX_new();
  }
  c->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
  c->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
  c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (!c->mdctx[0] || !c->mdctx[1] || !c->mdctx[2] || !c->sha1 ||
      !c->sha256) {
    /* MD5 may be missing in a FIPS-only build: those sessions then fail
     * with SVRBFD_ERR_CRYPTO; SHA1/SHA-256 are required. */
    bfd_crypto_free(c);
    return SVRBFD_ERR_CRYPTO;
  }
  return 0;
}

void bfd_crypto_free(bfd_crypto *c) {
  int i;
  for (i = 0; i < 3; i++) {
    EVP_MD_CTX_free(c->mdctx[i]);
  }
  EVP_MD_free(c->md5);
  EVP_MD_free(c->sha1);
  EVP_MD_free(c->sha256);
  memset(c, 0, sizeof(*c));
}

/*
 * H(a || b) with the context's pre-fetched digest and its own reused
 * EVP_MD_CTX (one per digest, so re-initialising never switches algorithm:
 * no fetch, lock or allocation per packet), or, with |c| NULL, a
 * temporary context (tests and one-off use).
 */
static int bfd_md2(bfd_crypto *c, int which, const uint8_t *a, size_t alen,
                   const uint8_t *b, size_t blen, uint8_t *out) {
  EVP_MD_CTX *mctx = c ? c->mdctx[which] : EVP_MD_CTX_new();
  const EVP_MD *md;
  unsigned int outlen = 0;
  int ok;
  if (c) {
    md = which == 0 ? c->md5 : which == 1 ? c->sha1 : c->sha256;
  } else {
    md = which == 0 ? EVP_md5() : which == 1 ? EVP_sha1() : EVP_sha256();
  }
  if (mctx == NULL || md == NULL) {
    if (!c) {
      EVP_MD_CTX_free(mctx);
    }
    return SVRBFD_ERR_CRYPTO;
  }
  ok = EVP_DigestInit_ex2(mctx, md, NULL) == 1 &&
       EVP_DigestUpdate(mctx, a, alen) == 1 &&
       (blen == 0 || EVP_DigestUpdate(mctx, b, blen) == 1) &&
       EVP_DigestFinal_ex(mctx, out, &outlen) == 1;
  if (!c) {
    EVP_MD_CTX_free(mctx);
  }
  return ok ? 0 : SVRBFD_ERR_CRYPTO;
}

/* RFC 2104 HMAC-SHA256; keys are at most 64 bytes = one block. */
static int bfd_hmac_sha256(bfd_crypto *c, const svrbfd_auth *a,
                           const uint8_t *pkt, size_t len, uint8_t *out) {
  uint8_t pad[64], inner[32];
  size_t i;
  int rv;
  for (i = 0; i < sizeof(pad); i++) {
    pad[i] = (uint8_t)((i < a->key_len ? a->key[i] : 0) ^ 0x36);
  }
  rv = bfd_md2(c, 2, pad, sizeof(pad), pkt, len, inner);
  for (i = 0; i < sizeof(pad); i++) {
    pad[i] = (uint8_t)(pad[i] ^ 0x36 ^ 0x5c);
  }
  if (rv == 0) {
    rv = bfd_md2(c, 2, pad, sizeof(pad), inner, sizeof(inner), out);
  }
  OPENSSL_cleanse(pad, sizeof(pad));
  return rv;
}

/*
 * Computes the digest of pkt[0..len) into |out| for the type; for MD5/SHA1
 * the caller has put the zero-padded key into the digest field (6.7.3/6.7.4),
 * for HMAC-SHA256 zeros.
 */
static int bfd_auth_digest(bfd_crypto *c, const svrbfd_auth *a,
                           const uint8_t *pkt, size_t len, uint8_t *out) {
  switch (a->type) {
  case SVRBFD_AUTH_KEYED_MD5:
  case SVRBFD_AUTH_METICULOUS_KEYED_MD5:
    return bfd_md2(c, 0, pkt, len, NULL, 0, out);
  case SVRBFD_AUTH_KEYED_SHA1:
  case SVRBFD_AUTH_METICULOUS_KEYED_SHA1:
    return bfd_md2(c, 1, pkt, len, NULL, 0, out);
  case SVRBFD_AUTH_HMAC_SHA256:
    return bfd_hmac_sha256(c, a, pkt, len, out);
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

int bfd_auth_sign(bfd_crypto *c, const svrbfd_auth *a, uint32_t seq,
                  uint8_t *buf, size_t len) {
  uint8_t *sec = buf + SVRBFD_MIN_PKT_LEN;
  size_t slen = bfd_auth_section_len(a);
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
  rv = bfd_auth_digest(c, a, buf, len, digest);
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
int bfd_auth_seq_ok(svrbfd_auth_type t, int known, uint32_t rcv_seq,
                    uint32_t seq, uint8_t mult) {
  uint32_t delta = seq - rcv_seq; /* wraps */
  uint32_t hi = 3u * mult;
  if (!known) {
    return 1;
  }
  if (bfd_auth_meticulous(t)) {
    return delta >= 1 && delta <= hi;
  }
  return delta <= hi;
}

int bfd_auth_verify(bfd_crypto *c, const svrbfd_session *s,
                    const svrbfd_pkt *pkt, const uint8_t *data) {
  const svrbfd_auth *a = &s->cfg.auth;
  uint8_t copy[SVRBFD_MIN_PKT_LEN + BFD_AUTH_LEN_SHA256];
  uint8_t digest[32];
  size_t dlen;
  int rv;

  if (pkt->auth_type != (uint8_t)a->type) {
    return SVRBFD_ERR_PKT_AUTH_TYPE;
  }
  if (pkt->auth_len != bfd_auth_section_len(a) &&
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
  if (!bfd_auth_seq_ok(a->type, s->rcv_seq_known, s->rcv_seq, pkt->auth_seq,
                       pkt->detect_mult)) {
    return SVRBFD_ERR_PKT_AUTH_SEQ;
  }
  dlen = bfd_auth_digest_len(a->type);
  if (pkt->length > sizeof(copy) || pkt->auth_data_len != dlen) {
    return SVRBFD_ERR_PKT_AUTH_LEN;
  }
  memcpy(copy, data, pkt->length);
  bfd_auth_fill_field(a, copy + SVRBFD_MIN_PKT_LEN + 8, dlen);
  rv = bfd_auth_digest(c, a, copy, pkt->length, digest);
  if (rv != 0) {
    return rv;
  }
  if (CRYPTO_memcmp(digest, pkt->auth_data, dlen) != 0) {
    return SVRBFD_ERR_PKT_AUTH_DIGEST;
  }
  return 0;
}
