/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwd: the fast path allocates nothing.  Every allocation is counted,
 * libsvrfwd's (through svrfwd_mem) and libcrypto's (through
 * CRYPTO_set_mem_functions, installed before libcrypto allocates anything),
 * while established sessions (UDP, TCP, TCP carried as UDP, ICMP echo,
 * IPv4 and IPv6) forward packets both ways with AES-256-GCM, with
 * AES-128/256-CBC + HMAC-SHA256 and with no encryption, with a path MTU set
 * (MSS clamp and DF check on the path) and after a move to another path.
 * Only ingress and egress are called per packet.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fwd_test_util.h"

#define NS ((svrfwd_tstamp)1000000000)

static unsigned long fwd_allocs, ssl_allocs;
static int ssl_hooked;

static void *cm(size_t n, const char *file, int line) {
  (void)file;
  (void)line;
  ssl_allocs++;
  return malloc(n);
}
static void *cr(void *p, size_t n, const char *file, int line) {
  (void)file;
  (void)line;
  ssl_allocs++;
  return realloc(p, n);
}
static void cf(void *p, const char *file, int line) {
  (void)file;
  (void)line;
  free(p);
}

static void *fm(size_t n, void *u) {
  (void)u;
  fwd_allocs++;
  return malloc(n);
}
static void ff(void *p, void *u) {
  (void)u;
  free(p);
}
static void *fc(size_t a, size_t n, void *u) {
  (void)u;
  fwd_allocs++;
  return calloc(a, n);
}
static void *fr(void *p, size_t n, void *u) {
  (void)u;
  fwd_allocs++;
  return realloc(p, n);
}
static const svrfwd_mem counting = {NULL, fm, ff, fc, fr};

typedef struct two {
  svrfwd_ctx *a, *b;
  svrfwd_peer *ab, *ba, *ab2, *ba2;
} two;

static void add_path(two *w, svrfwd_cipher c, int fam, uint8_t last,
                     svrfwd_peer **pab, svrfwd_peer **pba) {
  svrfwd_peer_config pc;
  static const uint8_t key[32] = {5, 4, 3, 2, 1};
  svrfwd_peer_config_default(&pc);
  pc.cipher = c;
  pc.local_waypoint.family = pc.remote_waypoint.family = (uint8_t)fam;
  if (fam == 4) {
    ft_v4(pc.local_waypoint.addr, 203, 0, 113, last);
    ft_v4(pc.remote_waypoint.addr, 198, 51, 100, last);
  } else {
    pc.local_waypoint.addr[0] = 0x20;
    pc.local_waypoint.addr[15] = last;
    pc.remote_waypoint.addr[0] = 0x20;
    pc.remote_waypoint.addr[14] = 1;
    pc.remote_waypoint.addr[15] = last;
  }
  CU_ASSERT_FATAL(svrfwd_peer_add(w->a, pab, &pc) == 0);
  {
    svrfwd_addr t = pc.local_waypoint;
    pc.local_waypoint = pc.remote_waypoint;
    pc.remote_waypoint = t;
  }
  CU_ASSERT_FATAL(svrfwd_peer_add(w->b, pba, &pc) == 0);
  if (c != SVRFWD_CIPHER_NONE) {
    CU_ASSERT_FATAL(svrfwd_peer_key_add(*pab, 1, key, 32, 1, 0) == 0);
    CU_ASSERT_FATAL(svrfwd_peer_key_add(*pba, 1, key, 32, 1, 0) == 0);
  }
}

/* One flow's packet: kind 0 UDP, 1 TCP, 2 ICMP echo; dir 0 client->server. */
static void build(ft_pkt *p, int fam, int kind, int dir, size_t plen) {
  static const uint8_t c4[4] = {10, 0, 0, 5}, s4[4] = {10, 1, 0, 9};
  static const uint8_t c6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
                                 0,    0, 0, 0, 0, 0, 0, 5};
  static const uint8_t s6[16] = {0xfd, 1, 0, 0, 0, 0, 0, 0,
                                 0,    0, 0, 0, 0, 0, 0, 9};
  uint8_t pay[1400];
  memset(pay, 0x17, sizeof(pay));
  if (fam == 4) {
    const uint8_t *src = dir ? s4 : c4, *dst = dir ? c4 : s4;
    if (kind == 2) {
      ft_build_icmp4(p, src, dst, dir ? 0 : 8, 77, 1, pay, plen);
    } else {
      ft_build_v4(p, kind ? 6 : 17, src, dst, dir ? 443 : 5555,
                  dir ? 5555 : 443, pay, plen, 64, 0x10);
    }
  } else {
    const uint8_t *src = dir ? s6 : c6, *dst = dir ? c6 : s6;
    if (kind == 2) {
      ft_build_icmp6(p, src, dst, dir ? 129 : 128, 77, 1, pay, plen);
    } else {
      ft_build_v6(p, kind ? 6 : 17, src, dst, dir ? 443 : 5555,
                  dir ? 5555 : 443, pay, plen);
    }
  }
}

static int one(two *w, svrfwd_peer *route, int fam, int kind, int dir,
               size_t plen, svrfwd_tstamp ts) {
  ft_pkt p;
  svrfwd_route r = {route, "t", "s"};
  int rv;
  build(&p, fam, kind, dir, plen);
  rv = svrfwd_ctx_ingress(dir ? w->b : w->a, &p.b, dir ? NULL : &r, NULL,
                          ts);
  if (rv == 0) {
    rv = svrfwd_ctx_egress(dir ? w->a : w->b, &p.b, NULL, ts);
  }
  return rv;
}

static void run(svrfwd_cipher c, int fam, int transform) {
  svrfwd_callbacks cb;
  two w;
  int kind, i, k;
  unsigned long fa, sa;
  memset(&w, 0, sizeof(w));
  memset(&cb, 0, sizeof(cb));
  cb.rand = ft_rand;
  CU_ASSERT_FATAL(svrfwd_ctx_new(&w.a, &cb, NULL, &counting, NULL) == 0);
  CU_ASSERT_FATAL(svrfwd_ctx_new(&w.b, &cb, NULL, &counting, NULL) == 0);
  add_path(&w, c, fam, 1, &w.ab, &w.ba);
  add_path(&w, c, fam, 2, &w.ab2, &w.ba2);
  svrfwd_peer_set_udp_transform(w.ab, transform);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(w.ab, fam == 4 ? 1500 : 1400), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(w.ba, fam == 4 ? 1500 : 1400), 0);
  /* sessions and handshakes: allocation allowed here */
  for (kind = 0; kind < 3; kind++) {
    for (i = 0; i < 2; i++) {
      CU_ASSERT_EQUAL(one(&w, w.ab, fam, kind, 0, 100, 0), 0);
      CU_ASSERT_EQUAL(one(&w, w.ab, fam, kind, 1, 100, 0), 0);
    }
  }
  for (k = 0; k < 2; k++) {
    fa = fwd_allocs;
    sa = ssl_allocs;
    for (i = 0; i < 300; i++) {
      for (kind = 0; kind < 3; kind++) {
        size_t plen = (size_t)(i % 3 == 0 ? 1300 : 1 + i);
        CU_ASSERT_EQUAL(one(&w, w.ab, fam, kind, 0, plen, 1), 0);
        CU_ASSERT_EQUAL(one(&w, w.ab, fam, kind, 1, plen, 1), 0);
      }
    }
    CU_ASSERT_EQUAL(fwd_allocs - fa, 0);
    if (ssl_hooked) {
      CU_ASSERT_EQUAL(ssl_allocs - sa, 0);
    }
    if (fwd_allocs != fa || ssl_allocs != sa) {
      fprintf(stderr, "cipher %d family %d transform %d round %d: %lu + %lu "
              "allocations\n", (int)c, fam, transform, k, fwd_allocs - fa,
              ssl_allocs - sa);
    }
    /* the second round after every session moved to path 2 (the move's
     * metadata round trip may allocate nothing either, but it is not the
     * fast path) */
    if (k == 0) {
      svrfwd_session *s;
      ft_pkt p;
      svrfwd_route r = {w.ab, "t", "s"};
      for (kind = 0; kind < 3; kind++) {
        build(&p, fam, kind, 0, 10);
        CU_ASSERT_EQUAL(svrfwd_ctx_ingress(w.a, &p.b, &r, &s, 2), 0);
        CU_ASSERT_EQUAL(svrfwd_ctx_egress(w.b, &p.b, NULL, 2), 0);
        CU_ASSERT_EQUAL(svrfwd_session_set_peer(s, w.ab2, 2), 0);
        CU_ASSERT_EQUAL(one(&w, w.ab, fam, kind, 0, 10, 2), 0);
        CU_ASSERT_EQUAL(one(&w, w.ab, fam, kind, 1, 10, 2), 0);
        CU_ASSERT_EQUAL(one(&w, w.ab, fam, kind, 0, 10, 2), 0);
      }
    }
  }
  svrfwd_ctx_del(w.a);
  svrfwd_ctx_del(w.b);
}

static void test_fast_path_gcm(void) {
  CU_ASSERT(ssl_hooked); /* or libcrypto allocated before main */
  run(SVRFWD_CIPHER_AES256_GCM, 4, 0);
  run(SVRFWD_CIPHER_AES256_GCM, 4, 1);
  run(SVRFWD_CIPHER_AES256_GCM, 6, 0);
}

static void test_fast_path_cbc(void) {
  CU_ASSERT(ssl_hooked);
  run(SVRFWD_CIPHER_AES256_CBC_HMAC, 4, 0);
  run(SVRFWD_CIPHER_AES256_CBC_HMAC, 4, 1);
  run(SVRFWD_CIPHER_AES256_CBC_HMAC, 6, 0);
  run(SVRFWD_CIPHER_AES128_CBC_HMAC, 4, 0);
  run(SVRFWD_CIPHER_AES128_CBC_HMAC, 4, 1);
  run(SVRFWD_CIPHER_AES128_CBC_HMAC, 6, 0);
}

static void test_fast_path_none(void) {
  run(SVRFWD_CIPHER_NONE, 4, 0);
  run(SVRFWD_CIPHER_NONE, 4, 1);
  run(SVRFWD_CIPHER_NONE, 6, 0);
}

/* A first packet whose tag (or one ciphertext byte) was changed on the way:
 * refused with SVRFWD_ERR_PKT_AUTH before the receiving context creates or
 * changes anything.  No allocation (libsvrfwd's or libcrypto's), no
 * session, every counter as before except drop[auth]; the untouched packet
 * then opens the session, and a forged first packet after that allocates
 * nothing either.  Every cipher; the receiving context has never seen a
 * packet before the first forgery. */
static void forged_first(svrfwd_cipher c, size_t at_from_end) {
  svrfwd_callbacks cb;
  svrfwd_ctx_stats before, after;
  two w;
  int round;
  memset(&w, 0, sizeof(w));
  memset(&cb, 0, sizeof(cb));
  cb.rand = ft_rand;
  CU_ASSERT_FATAL(svrfwd_ctx_new(&w.a, &cb, NULL, &counting, NULL) == 0);
  CU_ASSERT_FATAL(svrfwd_ctx_new(&w.b, &cb, NULL, &counting, NULL) == 0);
  add_path(&w, c, 4, 1, &w.ab, &w.ba);
  for (round = 0; round < 2; round++) {
    ft_pkt p, forged;
    svrfwd_route r = {w.ab, "t", "s"};
    unsigned long fa, sa;
    int kind = round; /* a UDP flow, then a TCP flow */
    build(&p, 4, kind, 0, 100);
    CU_ASSERT_FATAL(svrfwd_ctx_ingress(w.a, &p.b, &r, NULL, 0) == 0);
    forged = p;
    forged.b.base = forged.mem;
    forged.mem[forged.b.off + forged.b.len - at_from_end] ^= 0x01;
    svrfwd_ctx_get_stats(w.b, &before);
    fa = fwd_allocs;
    sa = ssl_allocs;
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(w.b, &forged.b, NULL, 0),
                    SVRFWD_ERR_PKT_AUTH);
    CU_ASSERT_EQUAL(fwd_allocs - fa, 0);
    CU_ASSERT_EQUAL(ssl_allocs - sa, 0);
    if (fwd_allocs != fa || ssl_allocs != sa) {
      fprintf(stderr, "forged first packet, cipher %d round %d: %lu + %lu "
              "allocations\n", (int)c, round, fwd_allocs - fa,
              ssl_allocs - sa);
    }
    svrfwd_ctx_get_stats(w.b, &after);
    CU_ASSERT_EQUAL(after.drop[-SVRFWD_ERR_PKT_AUTH - 300],
                    before.drop[-SVRFWD_ERR_PKT_AUTH - 300] + 1);
    after.drop[-SVRFWD_ERR_PKT_AUTH - 300]--;
    CU_ASSERT(memcmp(&before, &after, sizeof(before)) == 0);
    CU_ASSERT_EQUAL(after.sessions, (uint64_t)round);
    /* the genuine packet is still accepted: nothing of the forgery stuck */
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(w.b, &p.b, NULL, 0), 0);
    svrfwd_ctx_get_stats(w.b, &after);
    CU_ASSERT_EQUAL(after.sessions, (uint64_t)round + 1);
    /* and the reply goes back through the session it opened */
    build(&p, 4, kind, 1, 50);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(w.b, &p.b, NULL, NULL, 0), 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(w.a, &p.b, NULL, 0), 0);
  }
  svrfwd_ctx_del(w.a);
  svrfwd_ctx_del(w.b);
}

/* A forged packet of an established session under a key the session has
 * not used yet (the peer's new key, right after a rekey): refused with
 * SVRFWD_ERR_PKT_AUTH, no allocation (the session's second key slot is not
 * made for it) and no counter but drop[auth]; the genuine packet then
 * moves the session to the new key. */
static void forged_rekeyed(svrfwd_cipher c) {
  static const uint8_t key2[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
  svrfwd_callbacks cb;
  svrfwd_ctx_stats before, after;
  two w;
  ft_pkt p, forged;
  svrfwd_route r;
  unsigned long fa, sa;
  memset(&w, 0, sizeof(w));
  memset(&cb, 0, sizeof(cb));
  cb.rand = ft_rand;
  CU_ASSERT_FATAL(svrfwd_ctx_new(&w.a, &cb, NULL, &counting, NULL) == 0);
  CU_ASSERT_FATAL(svrfwd_ctx_new(&w.b, &cb, NULL, &counting, NULL) == 0);
  add_path(&w, c, 4, 1, &w.ab, &w.ba);
  r.peer = w.ab;
  r.tenant = "t";
  r.service = "s";
  /* the session, its handshake done (a forward packet without metadata) */
  CU_ASSERT_EQUAL(one(&w, w.ab, 4, 0, 0, 100, 0), 0);
  CU_ASSERT_EQUAL(one(&w, w.ab, 4, 0, 1, 100, 0), 0);
  CU_ASSERT_EQUAL(one(&w, w.ab, 4, 0, 0, 100, 0), 0);
  CU_ASSERT_EQUAL(one(&w, w.ab, 4, 0, 1, 100, 0), 0);
  /* key 2 on both, A sends with it */
  CU_ASSERT_FATAL(svrfwd_peer_key_add(w.ab, 2, key2, 32, 1, 1) == 0);
  CU_ASSERT_FATAL(svrfwd_peer_key_add(w.ba, 2, key2, 32, 0, 1) == 0);
  build(&p, 4, 0, 0, 100);
  CU_ASSERT_FATAL(svrfwd_ctx_ingress(w.a, &p.b, &r, NULL, 1) == 0);
  forged = p;
  forged.b.base = forged.mem;
  forged.mem[forged.b.off + forged.b.len - 1] ^= 0x01;
  svrfwd_ctx_get_stats(w.b, &before);
  fa = fwd_allocs;
  sa = ssl_allocs;
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(w.b, &forged.b, NULL, 1),
                  SVRFWD_ERR_PKT_AUTH);
  CU_ASSERT_EQUAL(fwd_allocs - fa, 0);
  CU_ASSERT_EQUAL(ssl_allocs - sa, 0);
  if (fwd_allocs != fa || ssl_allocs != sa) {
    fprintf(stderr, "forged packet under a new key, cipher %d: %lu + %lu "
            "allocations\n", (int)c, fwd_allocs - fa, ssl_allocs - sa);
  }
  svrfwd_ctx_get_stats(w.b, &after);
  CU_ASSERT_EQUAL(after.drop[-SVRFWD_ERR_PKT_AUTH - 300],
                  before.drop[-SVRFWD_ERR_PKT_AUTH - 300] + 1);
  after.drop[-SVRFWD_ERR_PKT_AUTH - 300]--;
  CU_ASSERT(memcmp(&before, &after, sizeof(before)) == 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(w.b, &p.b, NULL, 1), 0);
  /* the old key still opens B's answers at A (the overlap) */
  CU_ASSERT_EQUAL(one(&w, w.ab, 4, 0, 1, 100, 1), 0);
  CU_ASSERT_EQUAL(one(&w, w.ab, 4, 0, 0, 100, 1), 0);
  svrfwd_ctx_del(w.a);
  svrfwd_ctx_del(w.b);
}

static void test_forged_rekeyed_packet(void) {
  CU_ASSERT(ssl_hooked);
  forged_rekeyed(SVRFWD_CIPHER_AES256_GCM);
  forged_rekeyed(SVRFWD_CIPHER_AES256_CBC_HMAC);
}

static void test_forged_first_packet(void) {
  CU_ASSERT(ssl_hooked);
  forged_first(SVRFWD_CIPHER_AES256_GCM, 1);  /* tag */
  forged_first(SVRFWD_CIPHER_AES256_GCM, 20); /* ciphertext */
  forged_first(SVRFWD_CIPHER_AES256_CBC_HMAC, 1);
  forged_first(SVRFWD_CIPHER_AES256_CBC_HMAC, 40);
  forged_first(SVRFWD_CIPHER_AES128_CBC_HMAC, 1);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"fast_path_gcm", test_fast_path_gcm},
      {"fast_path_cbc_hmac", test_fast_path_cbc},
      {"fast_path_none", test_fast_path_none},
      {"forged_first_packet", test_forged_first_packet},
      {"forged_rekeyed_packet", test_forged_rekeyed_packet},
      {NULL, NULL}};
  /* before anything else: libcrypto accepts the hooks only while it has
   * allocated nothing */
  ssl_hooked = CRYPTO_set_mem_functions(cm, cr, cf);
  return svr_test_run("fwd_alloc", cases);
}
