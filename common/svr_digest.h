/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: digests and HMAC-SHA256 that allocate nothing.
 * Header-only so every library gets its own private copy with no exported
 * symbol.
 *
 * Why not EVP: with OpenSSL 3.0 every EVP_DigestInit_ex2 (even on a reused
 * EVP_MD_CTX with a pre-fetched EVP_MD), every EVP_MD_CTX_copy_ex, every
 * EVP_MAC_init/final and every HMAC_Init_ex/Final allocates the provider's
 * digest context; one-shot HMAC() makes 13 allocations (counted with
 * CRYPTO_set_mem_functions on 3.0.22).  The per-packet paths promise no
 * allocation, so they use libcrypto's plain digest functions instead, whose
 * state is a struct the caller owns:
 *
 *   HMAC-SHA256 (RFC 2104): the key is absorbed once into an inner and an
 *   outer SHA256_CTX (key XOR ipad, key XOR opad); per message both are
 *   copied by assignment and finished.  Checked against RFC 4231 cases 1-7
 *   (through libsvrfwd's MAC key slot, tests/fwd_crypto_test.c) and a BFD
 *   packet signed with python3's hmac module (tests/bfd_pkt_test.c).
 *
 * Those functions are deprecated (not removed) since OpenSSL 3.0; the
 * deprecation warning is silenced here and nowhere else.
 */
#ifndef SVR_DIGEST_H
#define SVR_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#if defined(OPENSSL_NO_DEPRECATED_3_0)
#error "svr_digest.h needs the MD5_*, SHA1_*, SHA256_* functions"
#endif

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#define SVR_SHA256_LEN 32
#define SVR_SHA256_BLOCK 64

/* HMAC-SHA256 keyed once: the states after key XOR ipad / key XOR opad. */
typedef struct svr_hmac_sha256 {
  SHA256_CTX inner, outer;
} svr_hmac_sha256;

/*
 * Keys |h| with |key| (any length; longer than a block is hashed first,
 * RFC 2104 section 2).  Returns 0, or -1 if libcrypto failed.
 */
static inline int svr_hmac_sha256_init(svr_hmac_sha256 *h, const uint8_t *key,
                                       size_t keylen) {
  uint8_t k[SVR_SHA256_BLOCK], pad[SVR_SHA256_BLOCK];
  size_t i;
  int ok;
  memset(k, 0, sizeof(k));
  if (keylen > SVR_SHA256_BLOCK) {
    SHA256_CTX c;
    ok = SHA256_Init(&c) == 1 && SHA256_Update(&c, key, keylen) == 1 &&
         SHA256_Final(k, &c) == 1;
    OPENSSL_cleanse(&c, sizeof(c));
  } else {
    if (keylen) {
      memcpy(k, key, keylen);
    }
    ok = 1;
  }
  for (i = 0; i < sizeof(pad); i++) {
    pad[i] = (uint8_t)(k[i] ^ 0x36);
  }
  ok = ok && SHA256_Init(&h->inner) == 1 &&
       SHA256_Update(&h->inner, pad, sizeof(pad)) == 1;
  for (i = 0; i < sizeof(pad); i++) {
    pad[i] = (uint8_t)(k[i] ^ 0x5c);
  }
  ok = ok && SHA256_Init(&h->outer) == 1 &&
       SHA256_Update(&h->outer, pad, sizeof(pad)) == 1;
  OPENSSL_cleanse(k, sizeof(k));
  OPENSSL_cleanse(pad, sizeof(pad));
  return ok ? 0 : -1;
}

/* HMAC-SHA256 of |p| with the key |h| holds; |h| is not changed.  0 or -1. */
static inline int svr_hmac_sha256_compute(const svr_hmac_sha256 *h,
                                          const uint8_t *p, size_t len,
                                          uint8_t out[SVR_SHA256_LEN]) {
  SHA256_CTX c = h->inner;
  uint8_t inner[SVR_SHA256_LEN];
  int ok = (len == 0 || SHA256_Update(&c, p, len) == 1) &&
           SHA256_Final(inner, &c) == 1;
  c = h->outer;
  ok = ok && SHA256_Update(&c, inner, sizeof(inner)) == 1 &&
       SHA256_Final(out, &c) == 1;
  OPENSSL_cleanse(&c, sizeof(c));
  OPENSSL_cleanse(inner, sizeof(inner));
  return ok ? 0 : -1;
}

static inline void svr_hmac_sha256_clear(svr_hmac_sha256 *h) {
  OPENSSL_cleanse(h, sizeof(*h));
}

/* Plain MD5 (16 bytes out) and SHA-1 (20 bytes out) of |p|: 0 or -1. */
static inline int svr_md5(const uint8_t *p, size_t len, uint8_t out[16]) {
  MD5_CTX c;
  int ok = MD5_Init(&c) == 1 && (len == 0 || MD5_Update(&c, p, len) == 1) &&
           MD5_Final(out, &c) == 1;
  OPENSSL_cleanse(&c, sizeof(c));
  return ok ? 0 : -1;
}

static inline int svr_sha1(const uint8_t *p, size_t len, uint8_t out[20]) {
  SHA_CTX c;
  int ok = SHA1_Init(&c) == 1 && (len == 0 || SHA1_Update(&c, p, len) == 1) &&
           SHA1_Final(out, &c) == 1;
  OPENSSL_cleanse(&c, sizeof(c));
  return ok ? 0 : -1;
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif /* SVR_DIGEST_H */
