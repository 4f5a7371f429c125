/*
 * libsvrfwd crypto: tamper and replay rejection, key overlap and expiry,
 * unknown keys, the time-based HMAC window, key installation rules.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* The GCM fast path (nonce loaded through the provider's fixed/invocation
 * IV fields) produces exactly the reference ciphertext and tag for the
 * nonce dir || seq: consecutive sequences, jumps back and forth, a change
 * of direction and a re-derived key; open accepts only the right nonce. */
static void test_gcm_nonce_kat(void) {
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
  CU_ASSERT_FATAL(fwd_skey_init(&k) == 0);
  CU_ASSERT_FATAL(fwd_skey_derive(&k, SVRFWD_CIPHER_AES256_GCM, &pk, uuid) ==
                  0);
  for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    size_t len = 17 + 5 * i; /* partial blocks of several lengths */
    svrfwd_ssize n;
    if (steps[i].rederive) {
      CU_ASSERT_FATAL(fwd_skey_derive(&k, SVRFWD_CIPHER_AES256_GCM, &pk,
                                      uuid) == 0);
    }
    for (j = 0; j < len; j++) {
      pt[j] = (uint8_t)(i * 31 + j);
    }
    svr_put_be32(aad, 7);
    svr_put_be64(aad + 4, steps[i].seq);
    ref_seal(key, steps[i].dir, steps[i].seq, aad, 12, pt, len, want);
    memcpy(box, pt, len);
    n = fwd_seal(&k, SVRFWD_CIPHER_AES256_GCM, steps[i].seq, steps[i].dir,
                 aad, 12, box, len);
    CU_ASSERT_EQUAL(n, (svrfwd_ssize)(len + 16));
    if (memcmp(box, want, len + 16) != 0) {
      fprintf(stderr, "step %zu: seal differs from the reference\n", i);
      CU_FAIL("seal differs");
    }
    /* wrong sequence, wrong direction: the tag does not verify */
    memcpy(box, want, len + 16);
    CU_ASSERT_EQUAL(fwd_open(&k, SVRFWD_CIPHER_AES256_GCM,
                             steps[i].seq ^ 1, steps[i].dir, aad, 12, box,
                             len + 16),
                    SVRFWD_ERR_PKT_AUTH);
    memcpy(box, want, len + 16);
    CU_ASSERT_EQUAL(fwd_open(&k, SVRFWD_CIPHER_AES256_GCM, steps[i].seq,
                             steps[i].dir ^ 1, aad, 12, box, len + 16),
                    SVRFWD_ERR_PKT_AUTH);
    memcpy(box, want, len + 16);
    CU_ASSERT_EQUAL(fwd_open(&k, SVRFWD_CIPHER_AES256_GCM, steps[i].seq,
                             steps[i].dir, aad, 12, box, len + 16),
                    (svrfwd_ssize)len);
    CU_ASSERT(memcmp(box, pt, len) == 0);
  }
  fwd_skey_free(&k);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"tamper", test_tamper},
      {"replay", test_replay},
      {"key_overlap", test_key_overlap},
      {"hmac_time_window", test_hmac_time_window},
      {"key_rules", test_key_rules},
      {"gcm_nonce_kat", test_gcm_nonce_kat},
      {NULL, NULL}};
  return svr_test_run("fwd_crypto", cases);
}
