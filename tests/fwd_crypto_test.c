/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwd crypto: tamper and replay rejection, key overlap and expiry,
 * unknown keys, the time-based HMAC window, key installation rules; and
 * known answers with literal expected bytes: published vectors for every
 * primitive (McGrew-Viega GCM test cases 13-16, RFC 4231 HMAC-SHA256,
 * NIST SP 800-38A F.2.1/F.2.5 AES-CBC), driven through crypto.c's own
 * session key slot with fixed keys, nonces and IVs, and the whole CBC +
 * HMAC composition and key derivation against bytes computed outside
 * libsvrfwd.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>

#include "fwd_int.h"
#include "fwd_test_util.h"

#define NS ((svrfwd_tstamp)1000000000)

static const svrfwd_cipher ciphers[] = {SVRFWD_CIPHER_AES256_GCM,
                                        SVRFWD_CIPHER_AES128_CBC_HMAC,
                                        SVRFWD_CIPHER_AES256_CBC_HMAC};

/* One client packet through A's ingress; |p| holds the outer packet. */
static void make_outer(ft_pair *t, ft_pkt *p, uint16_t cport, size_t plen,
                       svrfwd_tstamp ts) {
  uint8_t pay[200];
  svrfwd_route r = {t->ab, "t", "s"};
  memset(pay, 0x42, sizeof(pay));
  ft_build_v4(p, 17, t->client, t->server, cport, 80, pay, plen, 64, 0);
  CU_ASSERT_FATAL(svrfwd_ctx_ingress(t->a, &p->b, &r, NULL, ts) == 0);
}

static void copy_pkt(ft_pkt *dst, const ft_pkt *src) {
  *dst = *src;
  dst->b.base = dst->mem;
}

/* Flipping any bit after the outer UDP header is detected: first-packet
 * metadata (AAD and ciphertext) and fast-path packets alike. */
static void test_tamper(void) {
  size_t ci;
  for (ci = 0; ci < 3; ci++) {
    ft_pair t;
    ft_pkt p, q;
    size_t i;
    int pass;
    ft_pair_init(&t, ciphers[ci], NULL);
    for (pass = 0; pass < 2; pass++) {
      make_outer(&t, &p, 1000, 40, 0);
      for (i = 28; i < p.b.len; i++) {
        int rv;
        copy_pkt(&q, &p);
        ft_ip(&q)[i] ^= 0x01;
        rv = svrfwd_ctx_egress(t.b, &q.b, NULL, 0);
        if (rv >= 0) {
          fprintf(stderr, "cipher %zu pass %d: flip at %zu accepted\n", ci,
                  pass, i);
        }
        CU_ASSERT(rv < 0);
      }
      /* untampered goes through */
      copy_pkt(&q, &p);
      CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0), 0);
      if (pass == 0) {
        /* complete the handshake so the next round uses the fast path */
        ft_pkt r;
        uint8_t x = 1;
        ft_build_v4(&r, 17, t.server, t.client, 80, 1000, &x, 1, 64, 0);
        CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.b, &r.b, NULL, NULL, 0), 0);
        CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.a, &r.b, NULL, 0), 0);
      }
    }
    {
      svrfwd_ctx_stats st;
      svrfwd_ctx_get_stats(t.b, &st);
      CU_ASSERT(st.drop[-SVRFWD_ERR_PKT_AUTH - 300] > 0);
    }
    ft_pair_free(&t);
  }
}

/* A packet accepted once is refused the second time; so is one that fell
 * out of the 64-packet window; reordering inside the window is fine. */
static void test_replay(void) {
  size_t ci;
  for (ci = 0; ci < 3; ci++) {
    ft_pair t;
    ft_pkt p[70], q;
    int i;
    ft_pair_init(&t, ciphers[ci], NULL);
    for (i = 0; i < 70; i++) {
      make_outer(&t, &p[i], 2000, 10, 0);
    }
    copy_pkt(&q, &p[0]);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0), 0);
    copy_pkt(&q, &p[0]);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0),
                    SVRFWD_ERR_PKT_REPLAY);
    copy_pkt(&q, &p[5]);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0), 0);
    copy_pkt(&q, &p[3]); /* late but inside the window */
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0), 0);
    copy_pkt(&q, &p[3]);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0),
                    SVRFWD_ERR_PKT_REPLAY);
    copy_pkt(&q, &p[69]);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0), 0);
    copy_pkt(&q, &p[4]); /* seq 5, top 70: outside the window */
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0),
                    SVRFWD_ERR_PKT_REPLAY);
    copy_pkt(&q, &p[10]); /* seq 11: inside (70 - 11 < 64) */
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0), 0);
    {
      svrfwd_ctx_stats st;
      svrfwd_ctx_get_stats(t.b, &st);
      CU_ASSERT_EQUAL(st.drop[-SVRFWD_ERR_PKT_REPLAY - 300], 3);
    }
    ft_pair_free(&t);
  }
}

/* Both keys accepted during the overlap; the old one refused after it;
 * a key the receiver never got is refused as unknown. */
static void test_key_overlap(void) {
  ft_pair t;
  ft_pkt old1, old2, nw, unk;
  static const uint8_t k8[32] = {8};
  static const uint8_t k9[32] = {9};
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  make_outer(&t, &old1, 3000, 20, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &old1.b, NULL, 0), 0);
  make_outer(&t, &old1, 3000, 21, 0);
  make_outer(&t, &old2, 3000, 22, 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(t.ab, 8, k8, 32, 1, 1 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(t.ba, 8, k8, 32, 1, 1 * NS), 0);
  make_outer(&t, &nw, 3000, 23, 1 * NS);
  CU_ASSERT_EQUAL(svr_get_be32(ft_ip(&nw) + 28 + 12 + 4), 8); /* TLV 16 */
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &nw.b, NULL, 2 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &old1.b, NULL, 30 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &old2.b, NULL, 31 * NS),
                  SVRFWD_ERR_PKT_KEY_EXPIRED);
  /* A sends with key 9 that B does not have */
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(t.ab, 9, k9, 32, 1, 32 * NS), 0);
  make_outer(&t, &unk, 3000, 24, 32 * NS);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &unk.b, NULL, 32 * NS),
                  SVRFWD_ERR_PKT_KEY_UNKNOWN);
  ft_pair_free(&t);
}

/* Removing the old key ends its overlap at once: a packet under it is
 * refused as unknown; the key we send with cannot be removed; removing a
 * key that is not installed is fine (idempotent). */
static void test_key_remove(void) {
  ft_pair t;
  ft_pkt old1, nw;
  static const uint8_t k8[32] = {8};
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  make_outer(&t, &old1, 3000, 20, 0); /* under the pair's key 7 */
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(t.ab, 8, k8, 32, 1, 1 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(t.ba, 8, k8, 32, 1, 1 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_remove(t.ba, 8), SVRFWD_ERR_KEY);
  CU_ASSERT_EQUAL(svrfwd_peer_key_remove(t.ba, 7), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_remove(t.ba, 7), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_remove(t.ba, 99), 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &old1.b, NULL, 2 * NS),
                  SVRFWD_ERR_PKT_KEY_UNKNOWN);
  make_outer(&t, &nw, 3000, 21, 2 * NS);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &nw.b, NULL, 2 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_remove(NULL, 7),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  ft_pair_free(&t);
}

/* Time-based HMAC (CBC modes): a packet outside the window is stale. */
static void test_hmac_time_window(void) {
  ft_pair t;
  ft_pkt p, q;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_CBC_HMAC, NULL);
  make_outer(&t, &p, 4000, 10, 100 * NS);
  copy_pkt(&q, &p);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 106 * NS),
                  SVRFWD_ERR_PKT_STALE);
  copy_pkt(&q, &p);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 104 * NS), 0);
  ft_pair_free(&t);
}

/* Key rules; no key = no session; metadata without integrity TLVs. */
static void test_key_rules(void) {
  ft_pair t;
  ft_pkt p;
  svrfwd_callbacks cb;
  svrfwd_ctx *ctx;
  svrfwd_peer *peer;
  svrfwd_peer_config pc;
  svrfwd_route r;
  static const uint8_t k[32] = {1};
  memset(&cb, 0, sizeof(cb));
  cb.rand = ft_rand;
  CU_ASSERT_FATAL(svrfwd_ctx_new(&ctx, &cb, NULL, NULL, NULL) == 0);
  svrfwd_peer_config_default(&pc);
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  ft_v4(pc.local_waypoint.addr, 1, 1, 1, 1);
  ft_v4(pc.remote_waypoint.addr, 2, 2, 2, 2);
  CU_ASSERT_FATAL(svrfwd_peer_add(ctx, &peer, &pc) == 0);
  CU_ASSERT_EQUAL(svrfwd_peer_add(ctx, &peer, &pc), SVRFWD_ERR_PEER_EXISTS);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(peer, 0x4C48DBC6u, k, 32, 1, 0),
                  SVRFWD_ERR_KEY);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(peer, 1, k, 8, 1, 0), SVRFWD_ERR_KEY);
  CU_ASSERT_EQUAL(svrfwd_peer_key_activate(peer, 5, 0), SVRFWD_ERR_KEY);
  r.peer = peer;
  r.tenant = r.service = "x";
  {
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    ft_build_v4(&p, 17, a, b, 1, 2, NULL, 0, 64, 0);
  }
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(ctx, &p.b, &r, NULL, 0),
                  SVRFWD_ERR_NO_KEY);
  svrfwd_ctx_del(ctx);

  /* unencrypted metadata sent to an encrypting peer is refused */
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  {
    ft_pair n;
    ft_pair_init(&n, SVRFWD_CIPHER_NONE, NULL);
    {
      svrfwd_route rn = {n.ab, "t", "s"};
      ft_build_v4(&p, 17, n.client, n.server, 5, 80, NULL, 0, 64, 0);
      CU_ASSERT_EQUAL(svrfwd_ctx_ingress(n.a, &p.b, &rn, NULL, 0), 0);
    }
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, NULL, 0),
                    SVRFWD_ERR_PKT_META_MISSING);
    ft_pair_free(&n);
  }
  ft_pair_free(&t);
}

/* Reference AES-256-GCM seal with a fresh context: nonce dir || seq. */
static void ref_seal(const uint8_t key[32], uint32_t dir, uint64_t seq,
                     const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                     size_t len, uint8_t *out) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  uint8_t iv[12];
  int n = 0;
  svr_put_be32(iv, dir);
  svr_put_be64(iv + 4, seq);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT_FATAL(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) ==
                  1);
  CU_ASSERT_FATAL(EVP_EncryptUpdate(c, NULL, &n, aad, (int)aadlen) == 1);
  CU_ASSERT_FATAL(EVP_EncryptUpdate(c, out, &n, pt, (int)len) == 1);
  CU_ASSERT_FATAL(EVP_EncryptFinal_ex(c, out + n, &n) == 1);
  CU_ASSERT_FATAL(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
                                      out + len) == 1);
  EVP_CIPHER_CTX_free(c);
}

/* Not a known answer (those are test_gcm_vectors and test_derive_vectors):
 * the GCM fast path (nonce loaded through the provider's fixed/invocation
 * IV fields) produces exactly what a fresh OpenSSL context computes for the
 * nonce dir || seq over consecutive sequences, jumps back and forth, a
 * change of direction and a re-derived key; open accepts only the right
 * nonce. */
static void test_gcm_fast_vs_fresh(void) {
  static const struct {
    uint32_t dir;
    uint64_t seq;
    int rederive;
  } steps[] = {{0, 1, 0},  {0, 2, 0},  {0, 3, 0},         {0, 10, 0},
               {0, 11, 0}, {0, 5, 0},  {0, 6, 0},         {1, 7, 0},
               {1, 8, 0},  {0, 9, 0},  {0, 10, 1},        {0, 11, 0},
               {0, 12, 0}, {1, 1, 1},  {0, UINT64_MAX, 0}, {0, 1, 0}};
  fwd_peer_key pk;
  fwd_skey k;
  uint8_t uuid[16], key[32], in[48], aad[12], pt[100], box[120], want[120];
  unsigned int kl = 0;
  size_t i, j;
  memset(&pk, 0, sizeof(pk));
  pk.used = 1;
  pk.id = 7;
  pk.keylen = 32;
  for (i = 0; i < 32; i++) {
    pk.key[i] = (uint8_t)(3 * i + 1);
  }
  for (i = 0; i < 16; i++) {
    uuid[i] = (uint8_t)(0xa0 + i);
  }
  memcpy(in, "svrfwd v1 gcm", 13);
  memcpy(in + 13, uuid, 16);
  CU_ASSERT_FATAL(HMAC(EVP_sha256(), pk.key, 32, in, 29, key, &kl) != NULL);
  CU_ASSERT_FATAL(svrfwd__skey_init(&k) == 0);
  CU_ASSERT_FATAL(svrfwd__skey_derive(&k, SVRFWD_CIPHER_AES256_GCM, &pk,
                                      uuid) ==
                  0);
  for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    size_t len = 17 + 5 * i; /* partial blocks of several lengths */
    svrfwd_ssize n;
    if (steps[i].rederive) {
      CU_ASSERT_FATAL(svrfwd__skey_derive(&k, SVRFWD_CIPHER_AES256_GCM, &pk,
                                          uuid) == 0);
    }
    for (j = 0; j < len; j++) {
      pt[j] = (uint8_t)(i * 31 + j);
    }
    svr_put_be32(aad, 7);
    svr_put_be64(aad + 4, steps[i].seq);
    ref_seal(key, steps[i].dir, steps[i].seq, aad, 12, pt, len, want);
    memcpy(box, pt, len);
    n = svrfwd__seal(&k, SVRFWD_CIPHER_AES256_GCM, steps[i].seq, steps[i].dir,
                     aad, 12, box, len);
    CU_ASSERT_EQUAL(n, (svrfwd_ssize)(len + 16));
    if (memcmp(box, want, len + 16) != 0) {
      fprintf(stderr, "step %zu: seal differs from the reference\n", i);
      CU_FAIL("seal differs");
    }
    /* wrong sequence, wrong direction: the tag does not verify */
    memcpy(box, want, len + 16);
    CU_ASSERT_EQUAL(svrfwd__open(&k, SVRFWD_CIPHER_AES256_GCM,
                                 steps[i].seq ^ 1, steps[i].dir, aad, 12, box,
                                 len + 16),
                    SVRFWD_ERR_PKT_AUTH);
    memcpy(box, want, len + 16);
    CU_ASSERT_EQUAL(svrfwd__open(&k, SVRFWD_CIPHER_AES256_GCM, steps[i].seq,
                                 steps[i].dir ^ 1, aad, 12, box, len + 16),
                    SVRFWD_ERR_PKT_AUTH);
    memcpy(box, want, len + 16);
    CU_ASSERT_EQUAL(svrfwd__open(&k, SVRFWD_CIPHER_AES256_GCM, steps[i].seq,
                                 steps[i].dir, aad, 12, box, len + 16),
                    (svrfwd_ssize)len);
    CU_ASSERT(memcmp(box, pt, len) == 0);
  }
  svrfwd__skey_free(&k);
}

/* ---- known answers ---------------------------------------------------- */

static size_t hexbuf(uint8_t *out, size_t cap, const char *hex) {
  int n = svr_test_unhex(out, cap, hex);
  CU_ASSERT_FATAL(n >= 0);
  return (size_t)n;
}

static void expect_bytes(const char *what, const uint8_t *got,
                         const char *hex) {
  uint8_t want[256];
  size_t n = hexbuf(want, sizeof(want), hex);
  if (memcmp(got, want, n) != 0) {
    size_t i;
    fprintf(stderr, "%s: got ", what);
    for (i = 0; i < n; i++) {
      fprintf(stderr, "%02x", got[i]);
    }
    fprintf(stderr, "\n%s: want %s\n", what, hex);
    CU_FAIL("bytes differ from the known answer");
  }
}

/* McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", test
 * cases 13-16 (AES-256).  libsvrfwd's nonce is dir (4 bytes) || seq (8),
 * so the 96-bit IV of each case is split that way.  Sealed through the
 * fast path (nonce through the provider's fixed/invocation fields) and the
 * re-init path; opened, and refused with one tag bit flipped. */
static void test_gcm_vectors(void) {
  static const char *k15 =
      "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
  static const char *p15 =
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
  static const char *c15 =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";
  static const struct {
    const char *name, *key, *iv, *aad, *pt, *ct, *tag;
    size_t ptlen; /* bytes of pt/ct used (case 16: 60 of case 15's 64) */
  } tc[] = {
      {"GCM test case 13", NULL, "000000000000000000000000", "", "", "",
       "530f8afbc74536b9a963b4f1c4cb738b", 0},
      {"GCM test case 14", NULL, "000000000000000000000000", "",
       "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
       "d0d1c8a799996bf0265b98b5d48ab919", 16},
      {"GCM test case 15", "k15", "cafebabefacedbaddecaf888", "", "p15", "c15",
       "b094dac5d93471bdec1a502270e3cc6c", 64},
      {"GCM test case 16", "k15", "cafebabefacedbaddecaf888",
       "feedfacedeadbeeffeedfacedeadbeefabaddad2", "p15", "c15",
       "76fc6ece0f4e1768cddf8853bb2d551b", 60},
  };
  size_t i;
  int path;
  for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
    for (path = 0; path < 2; path++) {
      fwd_skey k;
      uint8_t key[32], iv[12], aad[32], pt[80], box[100], want[80];
      size_t aadlen;
      uint32_t dir;
      uint64_t seq;
      svrfwd_ssize n;
      memset(key, 0, sizeof(key));
      if (tc[i].key) {
        hexbuf(key, sizeof(key), k15);
      }
      CU_ASSERT_FATAL(hexbuf(iv, sizeof(iv), tc[i].iv) == 12);
      dir = svr_get_be32(iv);
      seq = svr_get_be64(iv + 4);
      aadlen = hexbuf(aad, sizeof(aad), tc[i].aad);
      memset(pt, 0, sizeof(pt));
      memset(want, 0, sizeof(want));
      hexbuf(pt, sizeof(pt), strcmp(tc[i].pt, "p15") ? tc[i].pt : p15);
      hexbuf(want, sizeof(want), strcmp(tc[i].ct, "c15") ? tc[i].ct : c15);
      CU_ASSERT_FATAL(svrfwd__skey_init(&k) == 0);
      CU_ASSERT_FATAL(svrfwd__skey_set(&k, SVRFWD_CIPHER_AES256_GCM, key, NULL,
                                       0) == 0);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
      if (path == 0) {
        CU_ASSERT(k.gcm_fast); /* the fast path is what runs in production */
      }
#endif
      if (path == 1) {
        k.gcm_fast = 0; /* the re-init path (OpenSSL 1.1, other providers) */
      }
      memcpy(box, pt, tc[i].ptlen);
      n = svrfwd__seal(&k, SVRFWD_CIPHER_AES256_GCM, seq, dir, aad, aadlen, box,
                       tc[i].ptlen);
      CU_ASSERT_EQUAL(n, (svrfwd_ssize)(tc[i].ptlen + 16));
      if (tc[i].ptlen) {
        CU_ASSERT(memcmp(box, want, tc[i].ptlen) == 0);
      }
      expect_bytes(tc[i].name, box + tc[i].ptlen, tc[i].tag);
      n = svrfwd__open(&k, SVRFWD_CIPHER_AES256_GCM, seq, dir, aad, aadlen, box,
                       tc[i].ptlen + 16);
      CU_ASSERT_EQUAL(n, (svrfwd_ssize)tc[i].ptlen);
      CU_ASSERT(memcmp(box, pt, tc[i].ptlen) == 0);
      /* the published ciphertext and tag, one tag bit flipped */
      memcpy(box, want, tc[i].ptlen);
      hexbuf(box + tc[i].ptlen, 16, tc[i].tag);
      box[tc[i].ptlen + 15] ^= 0x80;
      CU_ASSERT_EQUAL(svrfwd__open(&k, SVRFWD_CIPHER_AES256_GCM, seq, dir, aad,
                                   aadlen, box, tc[i].ptlen + 16),
                      SVRFWD_ERR_PKT_AUTH);
      svrfwd__skey_free(&k);
    }
  }
}

/* RFC 4231 section 4 test cases 1-7, through a session key slot's MAC key
 * (keyed once by svrfwd__skey_set, used twice to show it is not consumed). */
static void test_hmac_rfc4231(void) {
  static const char big[] =
      "This is a test using a larger than block-size key and a larger than "
      "block-size data. The key needs to be hashed before being used by the "
      "HMAC algorithm.";
  static const char big_key_first[] =
      "Test Using Larger Than Block-Size Key - Hash Key First";
  uint8_t k0b[20], kaa20[20], k1to25[25], k0c[20], kaa131[131];
  uint8_t ddd[50], cdd[50];
  const struct {
    const uint8_t *key;
    size_t keylen;
    const uint8_t *data;
    size_t datalen;
    const char *hmac; /* case 5: the first 128 bits (truncated output) */
  } tc[] = {
      {k0b, 20, (const uint8_t *)"Hi There", 8,
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {(const uint8_t *)"Jefe", 4,
       (const uint8_t *)"what do ya want for nothing?", 28,
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {kaa20, 20, ddd, 50,
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {k1to25, 25, cdd, 50,
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {k0c, 20, (const uint8_t *)"Test With Truncation", 20,
       "a3b6167473100ee06e0c796c2955552b"},
      {kaa131, 131, (const uint8_t *)big_key_first, sizeof(big_key_first) - 1,
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {kaa131, 131, (const uint8_t *)big, sizeof(big) - 1,
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  static const uint8_t enc[32] = {0};
  size_t i;
  memset(k0b, 0x0b, sizeof(k0b));
  memset(kaa20, 0xaa, sizeof(kaa20));
  for (i = 0; i < sizeof(k1to25); i++) {
    k1to25[i] = (uint8_t)(i + 1);
  }
  memset(k0c, 0x0c, sizeof(k0c));
  memset(kaa131, 0xaa, sizeof(kaa131));
  memset(ddd, 0xdd, sizeof(ddd));
  memset(cdd, 0xcd, sizeof(cdd));
  CU_ASSERT_EQUAL(sizeof(big) - 1, 152);
  for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
    fwd_skey k;
    uint8_t out[32];
    char name[32];
    snprintf(name, sizeof(name), "RFC 4231 case %zu", i + 1);
    CU_ASSERT_FATAL(svrfwd__skey_init(&k) == 0);
    CU_ASSERT_FATAL(svrfwd__skey_set(&k, SVRFWD_CIPHER_AES256_CBC_HMAC, enc,
                                     tc[i].key, tc[i].keylen) == 0);
    CU_ASSERT_EQUAL(svrfwd__mac(&k, out, tc[i].data, tc[i].datalen), 0);
    expect_bytes(name, out, tc[i].hmac);
    memset(out, 0, sizeof(out));
    CU_ASSERT_EQUAL(svrfwd__mac(&k, out, tc[i].data, tc[i].datalen), 0);
    expect_bytes(name, out, tc[i].hmac);
    svrfwd__skey_free(&k);
  }
}

/* NIST SP 800-38A F.2.5 CBC-AES256.Encrypt and F.2.1 CBC-AES128.Encrypt
 * (key, IV 000102..0f, four plaintext blocks), through crypto.c's CBC +
 * HMAC seal with that fixed IV: the first 64 bytes are the published
 * ciphertext; then libsvrfwd's PKCS#7 block (16 x 0x10, so one more block)
 * and HMAC-SHA256(MAC key, AAD || ciphertext).  Those last 48 bytes were
 * computed outside libsvrfwd (python3: cryptography's AES-CBC with its
 * PKCS7 padder, whose first 64 bytes match SP 800-38A, and the hmac
 * module; the padding block also with `openssl enc -aes-256-cbc`).
 * Then the whole svrfwd__seal with a fixed key, direction and sequence: IV =
 * AES(K, dir || seq || 0^4), 37 bytes padded to 48, tag; same tools. */
static void test_cbc_vectors(void) {
  static const char *pt_hex =
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  static const struct {
    svrfwd_cipher c;
    const char *name, *key, *ct, *pad_block, *tag, *seal_iv, *seal;
  } tc[] = {
      {SVRFWD_CIPHER_AES256_CBC_HMAC, "SP 800-38A F.2.5",
       "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
       "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
       "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
       "3f461796d6b0d6b2e0c2a72b4d80e644",
       "3e52e1bf6d712732b1503ded278e1eef95032927b2c202d4c2c8c2797bf66921",
       "df6809db2bd3ec0606dabd6f8280117e",
       "e89cadbd755b0e93c5e56a45f1ed00f047bf27cb39fc90c678f93fc1346932cc"
       "dfe7806c716a85d10b6f3ada6787b241e66ee0e52be9fa98b800b34ca821abf9"
       "6148cf53c83f5870e14ad97d4af94c97"},
      {SVRFWD_CIPHER_AES128_CBC_HMAC, "SP 800-38A F.2.1",
       "2b7e151628aed2a6abf7158809cf4f3c",
       "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
       "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
       "8cb82807230e1321d3fae00d18cc2012",
       "0ea4bcd9997657b8c81757d576b3bcad6f42f074e4dd061abff7e6badb73a893",
       "6fb524c9ad57244b8e839524f3a57da5",
       "01b2473a17b5a9309082f3b3d124b18bae721818fb58888ba38e1b5e0a288bb8"
       "0d0479ca8352701e045a645fa29abd8eebd303c86476ac83d84d235ec0b6f99c"
       "6463b1ab0f26e266dee4bae9b3f38641"},
  };
  static const char *iv_hex = "000102030405060708090a0b0c0d0e0f";
  /* key id 1, seq 1, time 1000 ms: a fast-path prefix */
  static const char *aad_hex = "00000001 0000000000000001 00000000000003e8";
  /* key id 1, seq 0x0102030405060708, time 1000 ms */
  static const char *aad2_hex = "00000001 0102030405060708 00000000000003e8";
  size_t i, j;
  for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
    fwd_skey k;
    uint8_t key[32], mk[32], iv[16], pt[64], buf[20 + 64 + 16 + 32];
    uint8_t *box = buf + 20;
    char what[64];
    svrfwd_ssize n;
    memset(key, 0, sizeof(key));
    hexbuf(key, sizeof(key), tc[i].key);
    for (j = 0; j < sizeof(mk); j++) {
      mk[j] = (uint8_t)(0x20 + j);
    }
    CU_ASSERT_FATAL(hexbuf(iv, sizeof(iv), iv_hex) == 16);
    CU_ASSERT_FATAL(hexbuf(pt, sizeof(pt), pt_hex) == 64);
    CU_ASSERT_FATAL(hexbuf(buf, 20, aad_hex) == 20);
    CU_ASSERT_FATAL(svrfwd__skey_init(&k) == 0);
    CU_ASSERT_FATAL(svrfwd__skey_set(&k, tc[i].c, key, mk, sizeof(mk)) == 0);
    memcpy(box, pt, 64);
    n = svrfwd__cbc_seal_iv(&k, iv, buf, 20, box, 64);
    CU_ASSERT_EQUAL(n, 64 + 16 + 32);
    snprintf(what, sizeof(what), "%s ciphertext", tc[i].name);
    expect_bytes(what, box, tc[i].ct);
    snprintf(what, sizeof(what), "%s padding block", tc[i].name);
    expect_bytes(what, box + 64, tc[i].pad_block);
    snprintf(what, sizeof(what), "%s HMAC", tc[i].name);
    expect_bytes(what, box + 80, tc[i].tag);
    /* opened with the same fixed IV; any flipped bit is refused */
    {
      uint8_t copy[sizeof(buf)];
      memcpy(copy, buf, sizeof(buf));
      n = svrfwd__cbc_open_iv(&k, 0, 0, iv, copy, 20, copy + 20, 112);
      CU_ASSERT_EQUAL(n, 64);
      CU_ASSERT(memcmp(copy + 20, pt, 64) == 0);
      for (j = 0; j < sizeof(buf); j += 7) {
        memcpy(copy, buf, sizeof(buf));
        copy[j] ^= 0x04;
        CU_ASSERT_EQUAL(svrfwd__cbc_open_iv(&k, 0, 0, iv, copy, 20, copy + 20,
                                            112),
                        SVRFWD_ERR_PKT_AUTH);
      }
    }
    /* the whole svrfwd__seal: the IV from direction 1, sequence 0x0102..08 */
    CU_ASSERT_EQUAL(svrfwd__cbc_iv(&k, iv, 0x0102030405060708ull, 1), 0);
    snprintf(what, sizeof(what), "%s derived IV", tc[i].name);
    expect_bytes(what, iv, tc[i].seal_iv);
    CU_ASSERT_FATAL(hexbuf(buf, 20, aad2_hex) == 20);
    memcpy(box, pt, 37);
    n = svrfwd__seal(&k, tc[i].c, 0x0102030405060708ull, 1, buf, 20, box, 37);
    CU_ASSERT_EQUAL(n, 48 + 32);
    snprintf(what, sizeof(what), "%s svrfwd__seal", tc[i].name);
    expect_bytes(what, box, tc[i].seal);
    n = svrfwd__open(&k, tc[i].c, 0x0102030405060708ull, 1, buf, 20, box, 80);
    CU_ASSERT_EQUAL(n, 37);
    CU_ASSERT(memcmp(box, pt, 37) == 0);
    svrfwd__skey_free(&k);
  }
}

/* Session key derivation (docs/libsvrfwd.md section 4) from a fixed peer
 * key and UUID, then one svrfwd__seal with direction 0 and sequence 1, for each
 * cipher; the expected bytes were computed outside libsvrfwd (python3:
 * hmac + hashlib for the KDF and the MAC, cryptography for AES). */
static void test_derive_vectors(void) {
  static const struct {
    svrfwd_cipher c;
    const char *aad, *out;
  } tc[] = {
      {SVRFWD_CIPHER_AES256_GCM, "00000007 0000000000000001",
       "a7809cab49702df20705a21b6d7c660350672739fa9ba469303d628eead6edc2"
       "f294a0"},
      {SVRFWD_CIPHER_AES256_CBC_HMAC,
       "00000007 0000000000000001 00000000000003e8",
       "612cee15c2e38005fb8ba19f9c1f10d8ff51fe3b95e924a7c609151e2a0a4cb3"
       "3f59f95a3db176ffeb0cfd5fecea2425cb80636f97d3417af86bed5f533c5fa8"},
      {SVRFWD_CIPHER_AES128_CBC_HMAC,
       "00000007 0000000000000001 00000000000003e8",
       "af1c04cf6d55383b0d0087958028799bc9c63aa6352ded42426d28bc26eba72a"
       "3bc12901c920742cd3b571dcfd6d45126716bbd5221c1313b044fa84c10d054b"},
  };
  static const char pt[] = "svrfwd known answer"; /* 19 bytes */
  fwd_peer_key pk;
  uint8_t uuid[16];
  size_t i;
  memset(&pk, 0, sizeof(pk));
  pk.used = 1;
  pk.id = 7;
  pk.keylen = 32;
  for (i = 0; i < 32; i++) {
    pk.key[i] = (uint8_t)(3 * i + 1);
  }
  for (i = 0; i < 16; i++) {
    uuid[i] = (uint8_t)(0xa0 + i);
  }
  for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
    fwd_skey k;
    uint8_t buf[20 + 19 + 16 + 32]; /* the AAD directly before the text */
    size_t aadlen = hexbuf(buf, 20, tc[i].aad);
    uint8_t *aad = buf, *box = buf + aadlen;
    size_t outlen = svrfwd__tag_len(tc[i].c) +
                    (tc[i].c == SVRFWD_CIPHER_AES256_GCM ? 19 : 32);
    CU_ASSERT_FATAL(svrfwd__skey_init(&k) == 0);
    CU_ASSERT_FATAL(svrfwd__skey_derive(&k, tc[i].c, &pk, uuid) == 0);
    CU_ASSERT_EQUAL(k.id, 7);
    memcpy(box, pt, 19);
    CU_ASSERT_EQUAL(svrfwd__seal(&k, tc[i].c, 1, 0, aad, aadlen, box, 19),
                    (svrfwd_ssize)outlen);
    expect_bytes("derived key seal", box, tc[i].out);
    CU_ASSERT_EQUAL(svrfwd__open(&k, tc[i].c, 1, 0, aad, aadlen, box, outlen),
                    19);
    CU_ASSERT(memcmp(box, pt, 19) == 0);
    svrfwd__skey_free(&k);
  }
}

int main(void) {
  static const svr_test_case cases[] = {
      {"tamper", test_tamper},
      {"replay", test_replay},
      {"key_overlap", test_key_overlap},
      {"key_remove", test_key_remove},
      {"hmac_time_window", test_hmac_time_window},
      {"key_rules", test_key_rules},
      {"gcm_fast_path_vs_fresh_context", test_gcm_fast_vs_fresh},
      {"gcm_vectors_mcgrew_viega_13_16", test_gcm_vectors},
      {"hmac_sha256_rfc4231", test_hmac_rfc4231},
      {"cbc_hmac_sp800_38a_fixed_iv", test_cbc_vectors},
      {"derive_and_seal_fixed_keys", test_derive_vectors},
      {NULL, NULL}};
  return svr_test_run("fwd_crypto", cases);
}
