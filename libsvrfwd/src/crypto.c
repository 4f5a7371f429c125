/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-session encryption and integrity (docs/libsvrfwd.md section 4).
 *
 * Session keys are derived from the peer key of a security ID and the
 * session UUID: HMAC-SHA256(peer key, label || UUID).  So no two sessions
 * share a key, and a GCM nonce only has to be unique within one session:
 * nonce = direction (4 bytes, 0 = from the originator) || sequence (8).
 *
 *   AES-256-GCM:  AAD = metadata header or fast-path prefix; ciphertext in
 *                 place; 16-byte tag appended.
 *   AES-CBC-128/256 + HMAC-SHA256 (encrypt-then-MAC): IV = AES(K, nonce ||
 *                 0^4), PKCS#7 padding, HMAC over AAD || ciphertext, 32-byte
 *                 tag appended.
 * The caller lays the AAD out directly before the plaintext.
 *
 * CBC modes: the MAC key is absorbed once per session key into an inner and
 * an outer SHA-256 state (common/svr_digest.h), copied per packet; with
 * OpenSSL 3.0 the one-shot HMAC() allocated 13 times per call and no EVP
 * digest or MAC context can be re-used without an allocation.
 *
 * GCM fast path (OpenSSL 3): one EVP_CIPHER_CTX per session key and
 * direction, keyed once.  Per packet the nonce is loaded without a re-init,
 * because EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) costs a full
 * get-params round in OpenSSL 3.0 (it re-queries the IV length):
 *   seal: the nonce is split as in TLS 1.2 GCM into a fixed field (the
 *         direction) and an invocation field (the sequence).  One
 *         get-params call after the final block returns the tag and makes
 *         the provider load the next nonce, direction || seq + 1, which it
 *         reports back; the next seal uses it only if that is exactly its
 *         own direction || sequence, else it re-inits with the full nonce.
 *   open: one set-params call gives the expected tag and the invocation
 *         field (the packet's sequence); the fixed field is set once.
 * Every packet is still a complete AES-256-GCM seal or open with its own
 * nonce; no keystream or tag is reused.  Without these params (OpenSSL
 * 1.1, or a provider that refuses them) the classic re-init path runs.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#define FWD_GCM_PARAMS 1
#else
#define FWD_GCM_PARAMS 0
#endif

#include "fwd_int.h"
#include "svr_endian.h"

size_t svrfwd__tag_len(svrfwd_cipher c) {
  switch (c) {
  case SVRFWD_CIPHER_AES256_GCM: return FWD_GCM_TAG;
  case SVRFWD_CIPHER_NONE: return 0;
  default: return FWD_HMAC_TAG;
  }
}

size_t svrfwd__prefix_len(svrfwd_cipher c) {
  switch (c) {
  case SVRFWD_CIPHER_AES256_GCM: return FWD_PREFIX_GCM;
  case SVRFWD_CIPHER_NONE: return 0;
  default: return FWD_PREFIX_CBC;
  }
}

int svrfwd__skey_init(fwd_skey *k) {
  memset(k, 0, sizeof(*k));
  k->enc = EVP_CIPHER_CTX_new();
  k->dec = EVP_CIPHER_CTX_new();
  if (!k->enc || !k->dec) {
    svrfwd__skey_free(k);
    return SVRFWD_ERR_NOMEM;
  }
  return 0;
}

void svrfwd__skey_free(fwd_skey *k) {
  EVP_CIPHER_CTX_free(k->enc);
  EVP_CIPHER_CTX_free(k->dec);
  k->enc = k->dec = NULL;
  svr_hmac_sha256_clear(&k->mac);
  k->valid = 0;
}

/* HMAC-SHA256(peer key, label || UUID) (docs/libsvrfwd.md section 4). */
static int kdf(uint8_t out[32], const fwd_peer_key *pk, const char *label,
               const uint8_t uuid[16]) {
  svr_hmac_sha256 h;
  uint8_t in[48];
  size_t ll = strlen(label);
  int rv;
  memcpy(in, label, ll);
  memcpy(in + ll, uuid, 16);
  rv = svr_hmac_sha256_init(&h, pk->key, pk->keylen) == 0 &&
               svr_hmac_sha256_compute(&h, in, ll + 16, out) == 0
           ? 0
           : SVRFWD_ERR_CRYPTO;
  svr_hmac_sha256_clear(&h);
  return rv;
}

/* |ci| for a (re-)key of |e|, or NULL when |e| already runs it: a re-key
 * with the cipher named again makes OpenSSL 3 free and allocate the
 * provider's context, a re-key with the key alone reuses it. */
static const EVP_CIPHER *cipher_for(EVP_CIPHER_CTX *e, const EVP_CIPHER *ci) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  const EVP_CIPHER *cur = EVP_CIPHER_CTX_get0_cipher(e);
#else
  const EVP_CIPHER *cur = EVP_CIPHER_CTX_cipher(e);
#endif
  return cur && EVP_CIPHER_nid(cur) == EVP_CIPHER_nid(ci) ? NULL : ci;
}

int svrfwd__skey_set(fwd_skey *k, svrfwd_cipher c, const uint8_t *enc_key,
                     const uint8_t *mac_key, size_t mac_key_len) {
  int rv = 0;
  k->valid = 0;
  if (c == SVRFWD_CIPHER_AES256_GCM) {
    const EVP_CIPHER *ci = EVP_aes_256_gcm();
    if (EVP_EncryptInit_ex(k->enc, cipher_for(k->enc, ci), NULL, enc_key,
                           NULL) != 1 ||
        EVP_DecryptInit_ex(k->dec, cipher_for(k->dec, ci), NULL, enc_key,
                           NULL) != 1) {
      rv = SVRFWD_ERR_CRYPTO;
    }
    /* a new key drops any loaded nonce (the key init resets GCM state) */
    k->tx_armed = 0;
    k->rx_fixed = 0;
    k->gcm_fast = 0;
#if FWD_GCM_PARAMS
    if (rv == 0) {
      /* enables the provider's fixed/invocation IV fields on |enc|; the
       * invocation field it fills is overwritten by the first seal's
       * re-init with the full nonce */
      uint8_t fixed[4] = {0, 0, 0, 0};
      OSSL_PARAM p[2] = {
          OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, fixed,
                                  sizeof(fixed)),
          OSSL_PARAM_END};
      k->gcm_fast = EVP_CIPHER_CTX_set_params(k->enc, p) == 1;
    }
#endif
  } else {
    const EVP_CIPHER *ci = c == SVRFWD_CIPHER_AES128_CBC_HMAC
                               ? EVP_aes_128_cbc()
                               : EVP_aes_256_cbc();
    /* keyed once per session key: no allocation per packet */
    if (svr_hmac_sha256_init(&k->mac, mac_key, mac_key_len) != 0 ||
        EVP_EncryptInit_ex(k->enc, cipher_for(k->enc, ci), NULL, enc_key,
                           NULL) != 1 ||
        EVP_DecryptInit_ex(k->dec, cipher_for(k->dec, ci), NULL, enc_key,
                           NULL) != 1) {
      rv = SVRFWD_ERR_CRYPTO;
    } else {
      EVP_CIPHER_CTX_set_padding(k->enc, 0);
      EVP_CIPHER_CTX_set_padding(k->dec, 0);
    }
  }
  if (rv == 0) {
    k->valid = 1;
  }
  return rv;
}

int svrfwd__skey_prime(fwd_skey *k, svrfwd_cipher c) {
  static const uint8_t zero[32];
  int rv = svrfwd__skey_set(k, c, zero, zero, sizeof(zero));
  k->valid = 0;
  svr_hmac_sha256_clear(&k->mac);
  return rv;
}

int svrfwd__skey_derive(fwd_skey *k, svrfwd_cipher c, const fwd_peer_key *pk,
                        const uint8_t uuid[16]) {
  uint8_t key[32], mac_key[32];
  int rv;
  k->valid = 0;
  if (c == SVRFWD_CIPHER_AES256_GCM) {
    rv = kdf(key, pk, "svrfwd v1 gcm", uuid);
    memset(mac_key, 0, sizeof(mac_key)); /* unused */
  } else if ((rv = kdf(key, pk, "svrfwd v1 cbc enc", uuid)) == 0) {
    rv = kdf(mac_key, pk, "svrfwd v1 cbc mac", uuid);
  }
  if (rv == 0) {
    rv = svrfwd__skey_set(k, c, key, mac_key, sizeof(mac_key));
  }
  OPENSSL_cleanse(key, sizeof(key));
  OPENSSL_cleanse(mac_key, sizeof(mac_key));
  if (rv == 0) {
    k->id = pk->id;
  }
  return rv;
}

static void nonce12(uint8_t n[16], uint64_t seq, uint32_t dir) {
  svr_put_be32(n, dir);
  svr_put_be64(n + 4, seq);
  memset(n + 12, 0, 4);
}

int svrfwd__cbc_iv(fwd_skey *k, uint8_t iv[16], uint64_t seq, uint32_t dir) {
  static const uint8_t zero[16];
  uint8_t blk[16];
  int n = 0;
  nonce12(blk, seq, dir);
  if (EVP_EncryptInit_ex(k->enc, NULL, NULL, NULL, zero) != 1 ||
      EVP_EncryptUpdate(k->enc, iv, &n, blk, 16) != 1 || n != 16) {
    return SVRFWD_ERR_CRYPTO;
  }
  return 0;
}

int svrfwd__mac(const fwd_skey *k, uint8_t out[32], const uint8_t *p,
                size_t len) {
  return svr_hmac_sha256_compute(&k->mac, p, len, out) == 0 ? 0
                                                            : SVRFWD_ERR_CRYPTO;
}

#if FWD_GCM_PARAMS
/* GCM seal with the nonce dir || seq (see the top of this file). */
static svrfwd_ssize gcm_seal_fast(fwd_skey *k, uint64_t seq, uint32_t dir,
                                  const uint8_t *aad, size_t aadlen,
                                  uint8_t *pt, size_t ptlen) {
  uint8_t gen[8];
  int n = 0, n2 = 0;
  int armed = k->tx_armed && k->tx_dir == dir && k->tx_next == seq;
  k->tx_armed = 0; /* consumed, or stale: any failure below re-inits */
  if (!armed) {
    uint8_t iv[16];
    OSSL_PARAM g[2] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, gen,
                                sizeof(gen)),
        OSSL_PARAM_END};
    nonce12(iv, seq, dir);
    /* load dir || seq, then have the generator take it (it loads exactly
     * what it reports, and counts on by one for the next packet) */
    if (EVP_EncryptInit_ex(k->enc, NULL, NULL, NULL, iv) != 1 ||
        EVP_CIPHER_CTX_get_params(k->enc, g) != 1 ||
        svr_get_be64(gen) != seq) {
      return SVRFWD_ERR_CRYPTO;
    }
  }
  if ((aadlen && EVP_EncryptUpdate(k->enc, NULL, &n, aad, (int)aadlen) != 1) ||
      EVP_EncryptUpdate(k->enc, pt, &n, pt, (int)ptlen) != 1 ||
      EVP_EncryptFinal_ex(k->enc, pt + n, &n2) != 1) {
    return SVRFWD_ERR_CRYPTO;
  }
  {
    /* the tag, and the next nonce loaded: dir || seq + 1 */
    OSSL_PARAM g[3] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, pt + ptlen,
                                FWD_GCM_TAG),
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, gen,
                                sizeof(gen)),
        OSSL_PARAM_END};
    if (EVP_CIPHER_CTX_get_params(k->enc, g) == 1) {
      if (seq != UINT64_MAX && svr_get_be64(gen) == seq + 1) {
        k->tx_armed = 1;
        k->tx_dir = dir;
        k->tx_next = seq + 1;
      }
    } else {
      g[1] = g[2]; /* the tag alone */
      if (EVP_CIPHER_CTX_get_params(k->enc, g) != 1) {
        return SVRFWD_ERR_CRYPTO;
      }
    }
  }
  return (svrfwd_ssize)(ptlen + FWD_GCM_TAG);
}

/* GCM open of |ct| (len bytes, tag after it) with the nonce dir || seq. */
static svrfwd_ssize gcm_open_fast(fwd_skey *k, uint64_t seq, uint32_t dir,
                                  const uint8_t *aad, size_t aadlen,
                                  uint8_t *ct, size_t len) {
  uint8_t inv[8];
  int n = 0, n2 = 0;
  OSSL_PARAM sp[3] = {
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, ct + len,
                              FWD_GCM_TAG),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, inv,
                              sizeof(inv)),
      OSSL_PARAM_END};
  if (k->rx_fixed != dir + 1) {
    uint8_t fixed[4];
    OSSL_PARAM fp[2] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, fixed,
                                sizeof(fixed)),
        OSSL_PARAM_END};
    svr_put_be32(fixed, dir);
    k->rx_fixed = 0;
    if (EVP_CIPHER_CTX_set_params(k->dec, fp) != 1) {
      return SVRFWD_ERR_CRYPTO;
    }
    k->rx_fixed = dir + 1;
  }
  svr_put_be64(inv, seq);
  /* expected tag + invocation field: loads the nonce dir || seq */
  if (EVP_CIPHER_CTX_set_params(k->dec, sp) != 1 ||
      (aadlen && EVP_DecryptUpdate(k->dec, NULL, &n, aad, (int)aadlen) != 1) ||
      EVP_DecryptUpdate(k->dec, ct, &n, ct, (int)len) != 1) {
    return SVRFWD_ERR_CRYPTO;
  }
  if (EVP_DecryptFinal_ex(k->dec, ct + n, &n2) != 1) {
    return SVRFWD_ERR_PKT_AUTH;
  }
  return (svrfwd_ssize)len;
}
#endif

svrfwd_ssize svrfwd__seal(fwd_skey *k, svrfwd_cipher c, uint64_t seq,
                          uint32_t dir,
                          const uint8_t *aad, size_t aadlen, uint8_t *pt,
                          size_t ptlen) {
  uint8_t iv[16];
  int n = 0, n2 = 0;
  if (c == SVRFWD_CIPHER_AES256_GCM) {
#if FWD_GCM_PARAMS
    if (k->gcm_fast) {
      return gcm_seal_fast(k, seq, dir, aad, aadlen, pt, ptlen);
    }
#endif
    nonce12(iv, seq, dir);
    if (EVP_EncryptInit_ex(k->enc, NULL, NULL, NULL, iv) != 1 ||
        (aadlen &&
         EVP_EncryptUpdate(k->enc, NULL, &n, aad, (int)aadlen) != 1) ||
        EVP_EncryptUpdate(k->enc, pt, &n, pt, (int)ptlen) != 1 ||
        EVP_EncryptFinal_ex(k->enc, pt + n, &n2) != 1 ||
        EVP_CIPHER_CTX_ctrl(k->enc, EVP_CTRL_GCM_GET_TAG, FWD_GCM_TAG,
                            pt + ptlen) != 1) {
      return SVRFWD_ERR_CRYPTO;
    }
    return (svrfwd_ssize)(ptlen + FWD_GCM_TAG);
  } else {
    if (svrfwd__cbc_iv(k, iv, seq, dir) != 0) {
      return SVRFWD_ERR_CRYPTO;
    }
    return svrfwd__cbc_seal_iv(k, iv, aad, aadlen, pt, ptlen);
  }
}

svrfwd_ssize svrfwd__open(fwd_skey *k, svrfwd_cipher c, uint64_t seq,
                          uint32_t dir,
                          const uint8_t *aad, size_t aadlen, uint8_t *ct,
                          size_t ctlen) {
  uint8_t iv[16];
  int n = 0, n2 = 0;
  if (c == SVRFWD_CIPHER_AES256_GCM) {
    size_t len;
    if (ctlen < FWD_GCM_TAG) {
      return SVRFWD_ERR_PKT_AUTH;
    }
    len = ctlen - FWD_GCM_TAG;
#if FWD_GCM_PARAMS
    if (k->gcm_fast) {
      return gcm_open_fast(k, seq, dir, aad, aadlen, ct, len);
    }
#endif
    nonce12(iv, seq, dir);
    if (EVP_DecryptInit_ex(k->dec, NULL, NULL, NULL, iv) != 1 ||
        (aadlen &&
         EVP_DecryptUpdate(k->dec, NULL, &n, aad, (int)aadlen) != 1) ||
        EVP_DecryptUpdate(k->dec, ct, &n, ct, (int)len) != 1 ||
        EVP_CIPHER_CTX_ctrl(k->dec, EVP_CTRL_GCM_SET_TAG, FWD_GCM_TAG,
                            ct + len) != 1) {
      return SVRFWD_ERR_CRYPTO;
    }
    if (EVP_DecryptFinal_ex(k->dec, ct + n, &n2) != 1) {
      return SVRFWD_ERR_PKT_AUTH;
    }
    return (svrfwd_ssize)len;
  } else {
    /* the IV is only needed once the HMAC verified */
    return svrfwd__cbc_open_iv(k, seq, dir, NULL, aad, aadlen, ct, ctlen);
  }
}

svrfwd_ssize svrfwd__cbc_seal_iv(fwd_skey *k, const uint8_t iv[16],
                                 const uint8_t *aad, size_t aadlen, uint8_t *pt,
                                 size_t ptlen) {
  size_t pad = 16 - ptlen % 16, ctlen = ptlen + pad;
  int n = 0;
  memset(pt + ptlen, (int)pad, pad); /* PKCS#7 */
  if (EVP_EncryptInit_ex(k->enc, NULL, NULL, NULL, iv) != 1 ||
      EVP_EncryptUpdate(k->enc, pt, &n, pt, (int)ctlen) != 1 ||
      (size_t)n != ctlen) {
    return SVRFWD_ERR_CRYPTO;
  }
  if (svrfwd__mac(k, pt + ctlen, aad, aadlen + ctlen) != 0) {
    return SVRFWD_ERR_CRYPTO;
  }
  return (svrfwd_ssize)(ctlen + FWD_HMAC_TAG);
}

svrfwd_ssize svrfwd__cbc_open_iv(fwd_skey *k, uint64_t seq, uint32_t dir,
                                 const uint8_t *fixed_iv, const uint8_t *aad,
                                 size_t aadlen, uint8_t *ct, size_t ctlen) {
  uint8_t want[32], iv[16];
  size_t len, pad, i;
  int n = 0;
  if (ctlen < 16 + FWD_HMAC_TAG || (ctlen - FWD_HMAC_TAG) % 16) {
    return SVRFWD_ERR_PKT_AUTH;
  }
  len = ctlen - FWD_HMAC_TAG;
  if (svrfwd__mac(k, want, aad, aadlen + len) != 0) {
    return SVRFWD_ERR_CRYPTO;
  }
  if (CRYPTO_memcmp(want, ct + len, FWD_HMAC_TAG) != 0) {
    return SVRFWD_ERR_PKT_AUTH;
  }
  if (fixed_iv != NULL) {
    memcpy(iv, fixed_iv, sizeof(iv));
  } else if (svrfwd__cbc_iv(k, iv, seq, dir) != 0) {
    return SVRFWD_ERR_CRYPTO;
  }
  if (EVP_DecryptInit_ex(k->dec, NULL, NULL, NULL, iv) != 1 ||
      EVP_DecryptUpdate(k->dec, ct, &n, ct, (int)len) != 1 ||
      (size_t)n != len) {
    return SVRFWD_ERR_CRYPTO;
  }
  pad = ct[len - 1];
  if (pad == 0 || pad > 16) {
    return SVRFWD_ERR_PKT_AUTH; /* authenticated, so a sender bug */
  }
  for (i = 0; i < pad; i++) {
    if (ct[len - 1 - i] != pad) {
      return SVRFWD_ERR_PKT_AUTH;
    }
  }
  return (svrfwd_ssize)(len - pad);
}
