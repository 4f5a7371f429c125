/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwd path MTU: TCP MSS clamping on SYNs (RFC 879, RFC 6691) with an
 * RFC 1624 checksum update, the DF check at ingress, and the ICMP
 * "fragmentation needed" reply (RFC 792, RFC 1191).
 */
#include <stdio.h>
#include <string.h>

#include "fwd_test_util.h"

#define NS ((svrfwd_tstamp)1000000000)

/* IPv4 + TCP with |opts| (a multiple of 4 bytes) and valid checksums. */
static void build_tcp_opts(ft_pkt *p, const uint8_t src[4],
                           const uint8_t dst[4], uint16_t sport,
                           uint16_t dport, uint8_t flags, const uint8_t *opts,
                           size_t olen, size_t plen) {
  uint8_t *ip;
  size_t i, l4h = 20 + olen, len = 20 + l4h + plen;
  memset(p->mem, 0xee, sizeof(p->mem));
  p->b.base = p->mem;
  p->b.cap = sizeof(p->mem);
  p->b.off = FT_OFF;
  p->b.len = len;
  ip = ft_ip(p);
  memset(ip, 0, 20 + l4h);
  ip[0] = 0x45;
  svr_put_be16(ip + 2, (uint16_t)len);
  svr_put_be16(ip + 4, 0x777);
  svr_put_be16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 6;
  memcpy(ip + 12, src, 4);
  memcpy(ip + 16, dst, 4);
  svr_put_be16(ip + 10, svr_cksum(ip, 20));
  svr_put_be16(ip + 20, sport);
  svr_put_be16(ip + 22, dport);
  svr_put_be32(ip + 24, 0x01020304);
  svr_put_be32(ip + 28, flags & 0x10 ? 0x0a0b0c0d : 0);
  ip[32] = (uint8_t)((l4h / 4) << 4);
  ip[33] = flags;
  svr_put_be16(ip + 34, 64240);
  memcpy(ip + 40, opts, olen);
  for (i = 0; i < plen; i++) {
    ip[20 + l4h + i] = (uint8_t)(i * 7);
  }
  svr_put_be16(ip + 36, ft_l4_cksum_v4(ip, len));
}

/* The value of the MSS option in the TCP header of |ip|, or -1. */
static int mss_of(const uint8_t *ip) {
  size_t l4h = (size_t)(ip[32] >> 4) * 4, i = 20;
  const uint8_t *t = ip + 20;
  while (i < l4h) {
    if (t[i] == 0) {
      break;
    }
    if (t[i] == 1) {
      i++;
      continue;
    }
    if (t[i] == 2) {
      return svr_get_be16(t + i + 2);
    }
    i += t[i + 1];
  }
  return -1;
}

/* Linux-style SYN options: MSS, SACK permitted, timestamps, NOP, WS. */
static const uint8_t syn_opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
/* The MSS option at an odd offset: NOP first. */
static const uint8_t odd_opts[8] = {1, 2, 4, 0x05, 0xb4, 1, 1, 0};

/* Sends |p| through ingress of |in| and egress of |out|; returns the
 * restored packet's MSS, -2 on a drop.  The restored packet's checksums
 * must verify and every byte but the MSS value and the TCP checksum must
 * equal the original. */
static int mss_through(ft_pair *t, svrfwd_ctx *in, svrfwd_ctx *out,
                       ft_pkt *p, svrfwd_tstamp ts) {
  svrfwd_route r = {t->ab, "t", "web"};
  ft_pkt orig = *p;
  size_t i;
  int rv;
  orig.b.base = orig.mem;
  rv = svrfwd_ctx_ingress(in, &p->b, NULL, NULL, ts);
  if (rv == SVRFWD_ERR_PKT_NO_SESSION) {
    rv = svrfwd_ctx_ingress(in, &p->b, &r, NULL, ts);
  }
  CU_ASSERT_EQUAL(rv, 0);
  if (rv != 0) {
    return -2;
  }
  CU_ASSERT(ft_cksums_ok(p));
  rv = svrfwd_ctx_egress(out, &p->b, NULL, ts);
  CU_ASSERT_EQUAL(rv, 0);
  if (rv != 0) {
    return -2;
  }
  CU_ASSERT_EQUAL(p->b.len, orig.b.len);
  CU_ASSERT(ft_cksums_ok(p)); /* recomputed from scratch: 0 if right */
  for (i = 0; i < orig.b.len && p->b.len == orig.b.len; i++) {
    int in_mss = 0, m = mss_of(ft_ip(&orig)) >= 0;
    size_t j;
    for (j = 20; m && j < 60; j++) {
      if (ft_ip(&orig)[j] == 2 && ft_ip(&orig)[j + 1] == 4) {
        in_mss = i == j + 2 || i == j + 3;
        break;
      }
    }
    if (i == 36 || i == 37 || in_mss) {
      continue;
    }
    if (ft_ip(p)[i] != ft_ip(&orig)[i]) {
      fprintf(stderr, "byte %zu changed\n", i);
      CU_FAIL("a byte other than MSS/checksum changed");
      break;
    }
  }
  return mss_of(ft_ip(p));
}

static void set_mtu(ft_pair *t, uint32_t mtu) {
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(t->ab, mtu), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(t->ba, mtu), 0);
}

/* The documented formula: path MTU - IP header - 20 - overhead. */
static int expected_mss(uint32_t mtu, svrfwd_cipher c, int carried) {
  int over;
  switch (c) {
  case SVRFWD_CIPHER_AES256_GCM: over = 12 + 2 + 16; break;
  case SVRFWD_CIPHER_NONE: over = carried ? 0 : 12; break;
  default: over = 20 + 2 + 16 + 32; break;
  }
  return (int)mtu - 20 - 20 - over - (carried ? 8 : 0);
}

/* SYN MSS 1460 with path MTU 1400 and GCM: 1400 - 20 - 20 - 30 = 1330 in
 * the SYN (A's ingress) and in the SYN-ACK (B's ingress). */
static void test_mss_clamp_gcm(void) {
  ft_pair t;
  ft_pkt p;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  set_mtu(&t, 1400);
  CU_ASSERT_EQUAL(svrfwd_peer_overhead(t.ab, 6), 30);
  CU_ASSERT_EQUAL(svrfwd_peer_overhead(t.ab, 17), 30);
  CU_ASSERT_EQUAL(svrfwd_peer_overhead(t.ab, 1), 38);
  CU_ASSERT_EQUAL(expected_mss(1400, SVRFWD_CIPHER_AES256_GCM, 0), 1330);
  build_tcp_opts(&p, t.client, t.server, 40000, 443, 0x02, syn_opts, 20, 0);
  CU_ASSERT_EQUAL(mss_of(ft_ip(&p)), 1460);
  CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 1 * NS), 1330);
  /* retransmitted SYN (still with metadata): clamped again */
  build_tcp_opts(&p, t.client, t.server, 40000, 443, 0x02, syn_opts, 20, 0);
  CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 1 * NS), 1330);
  /* SYN-ACK from the server, at B's ingress (not the originator) */
  build_tcp_opts(&p, t.server, t.client, 443, 40000, 0x12, syn_opts, 20, 0);
  CU_ASSERT_EQUAL(mss_through(&t, t.b, t.a, &p, 2 * NS), 1330);
  /* a later SYN-ACK retransmission on the fast path: clamped too */
  build_tcp_opts(&p, t.client, t.server, 40000, 443, 0x10, syn_opts, 20, 0);
  CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 3 * NS), 1460); /* no SYN */
  build_tcp_opts(&p, t.server, t.client, 443, 40000, 0x12, syn_opts, 20, 0);
  CU_ASSERT_EQUAL(mss_through(&t, t.b, t.a, &p, 4 * NS), 1330);
  /* odd offset (after one NOP): the RFC 1624 update spans two words */
  build_tcp_opts(&p, t.client, t.server, 40001, 443, 0x02, odd_opts, 8, 0);
  CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 5 * NS), 1330);
  /* smaller already: never raised */
  {
    uint8_t small[4] = {2, 4, 0x04, 0xb0}; /* 1200 */
    build_tcp_opts(&p, t.client, t.server, 40002, 443, 0x02, small, 4, 0);
    CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 6 * NS), 1200);
  }
  /* no MSS option: none added */
  {
    uint8_t noopt[4] = {1, 1, 1, 0};
    build_tcp_opts(&p, t.client, t.server, 40003, 443, 0x02, noopt, 4, 0);
    CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 7 * NS), -1);
  }
  /* path MTU unknown again: left alone */
  set_mtu(&t, 0);
  build_tcp_opts(&p, t.client, t.server, 40004, 443, 0x02, syn_opts, 20, 0);
  CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 8 * NS), 1460);
  ft_pair_free(&t);
}

/* The same formula for every cipher, and for TCP carried as UDP. */
static void test_mss_clamp_ciphers(void) {
  static const svrfwd_cipher cs[] = {
      SVRFWD_CIPHER_AES256_GCM, SVRFWD_CIPHER_AES128_CBC_HMAC,
      SVRFWD_CIPHER_AES256_CBC_HMAC, SVRFWD_CIPHER_NONE};
  size_t ci;
  int carried;
  for (ci = 0; ci < 4; ci++) {
    for (carried = 0; carried < 2; carried++) {
      ft_pair t;
      ft_pkt p;
      int want = expected_mss(1400, cs[ci], carried);
      ft_pair_init(&t, cs[ci], NULL);
      set_mtu(&t, 1400);
      svrfwd_peer_set_udp_transform(t.ab, carried);
      CU_ASSERT_EQUAL(svrfwd_peer_overhead(t.ab, 6),
                      1400 - 40 - want);
      build_tcp_opts(&p, t.client, t.server, 40000, 443, 0x02, syn_opts, 20,
                     0);
      CU_ASSERT_EQUAL(mss_through(&t, t.a, t.b, &p, 1 * NS), want);
      build_tcp_opts(&p, t.server, t.client, 443, 40000, 0x12, odd_opts, 8,
                     0);
      CU_ASSERT_EQUAL(mss_through(&t, t.b, t.a, &p, 2 * NS), want);
      ft_pair_free(&t);
    }
  }
}

static void test_path_mtu_args(void) {
  ft_pair t;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(t.ab, 575),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(t.ab, 65536),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(NULL, 1400),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(t.ab, 576), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_set_path_mtu(t.ab, 0), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_overhead(t.ab, 58), SVRFWD_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrfwd_peer_overhead(t.ab, 47), SVRFWD_ERR_INVALID_ARGUMENT);
  ft_pair_free(&t);
}

/* One UDP round trip so the session is on the fast path. */
static void establish_udp(ft_pair *t, uint16_t cport) {
  ft_pkt p;
  svrfwd_route r = {t->ab, "t", "s"};
  ft_build_v4(&p, 17, t->client, t->server, cport, 53, (const uint8_t *)"q",
              1, 64, 0);
  CU_ASSERT_FATAL(svrfwd_ctx_ingress(t->a, &p.b, &r, NULL, 0) == 0);
  CU_ASSERT_FATAL(svrfwd_ctx_egress(t->b, &p.b, NULL, 0) == 0);
  ft_build_v4(&p, 17, t->server, t->client, 53, cport, (const uint8_t *)"a",
              1, 64, 0);
  CU_ASSERT_FATAL(svrfwd_ctx_ingress(t->b, &p.b, NULL, NULL, 0) == 0);
  CU_ASSERT_FATAL(svrfwd_ctx_egress(t->a, &p.b, NULL, 0) == 0);
}

/* Checks an ICMP fragmentation-needed reply to |orig|. */
static void check_frag_needed(const uint8_t *icmp, svrfwd_ssize n,
                              const uint8_t *orig, const uint8_t src[4],
                              uint16_t mtu) {
  size_t quote = 20 + 8;
  CU_ASSERT_EQUAL_FATAL(n, 20 + 8 + (svrfwd_ssize)quote);
  CU_ASSERT_EQUAL(icmp[0], 0x45);
  CU_ASSERT_EQUAL(svr_get_be16(icmp + 2), n);
  CU_ASSERT_EQUAL(icmp[9], 1);
  CU_ASSERT_EQUAL(svr_cksum(icmp, 20), 0);
  CU_ASSERT(memcmp(icmp + 12, src, 4) == 0);
  CU_ASSERT(memcmp(icmp + 16, orig + 12, 4) == 0); /* to the sender */
  CU_ASSERT_EQUAL(icmp[20], 3);                     /* unreachable */
  CU_ASSERT_EQUAL(icmp[21], 4);                     /* frag needed, DF */
  CU_ASSERT_EQUAL(svr_cksum(icmp + 20, (size_t)n - 20), 0);
  CU_ASSERT_EQUAL(svr_get_be16(icmp + 24), 0);      /* unused */
  CU_ASSERT_EQUAL(svr_get_be16(icmp + 26), mtu);    /* RFC 1191 */
  CU_ASSERT(memcmp(icmp + 28, orig, quote) == 0);   /* header + 8 bytes */
}

/* A DF packet that would leave bigger than the path MTU: PATH_MTU, the
 * buffer untouched, counted; the ICMP reply; the largest packet that fits
 * passes; without DF nothing is refused. */
static void test_df_too_big(void) {
  ft_pair t;
  ft_pkt p, copy;
  svrfwd_session *s = NULL;
  svrfwd_ctx_stats st;
  uint8_t pay[1500], icmp[128];
  static const uint8_t me[4] = {10, 0, 0, 1};
  svrfwd_ssize n;
  memset(pay, 0x3c, sizeof(pay));
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  set_mtu(&t, 1400);
  establish_udp(&t, 5000);
  /* 1370 bytes in, 1400 out: fits exactly */
  ft_build_v4(&p, 17, t.client, t.server, 5000, 53, pay, 1370 - 28, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 1 * NS), 0);
  CU_ASSERT_EQUAL(p.b.len, 1400);
  /* 1371: refused, untouched */
  ft_build_v4(&p, 17, t.client, t.server, 5000, 53, pay, 1371 - 28, 64, 0);
  copy = p;
  copy.b.base = copy.mem;
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, &s, 1 * NS),
                  SVRFWD_ERR_PKT_PATH_MTU);
  CU_ASSERT(s != NULL);
  CU_ASSERT_EQUAL(p.b.off, copy.b.off);
  CU_ASSERT_EQUAL(p.b.len, copy.b.len);
  CU_ASSERT(memcmp(p.mem, copy.mem, sizeof(p.mem)) == 0);
  svrfwd_ctx_get_stats(t.a, &st);
  CU_ASSERT_EQUAL(st.drop[-SVRFWD_ERR_PKT_PATH_MTU - 300], 1);
  CU_ASSERT_STRING_EQUAL(svrfwd_strerror(SVRFWD_ERR_PKT_PATH_MTU),
                         "DF set and too big for the path MTU");
  n = svrfwd_session_frag_needed(s, ft_ip(&p), p.b.len, me, icmp,
                                 sizeof(icmp));
  check_frag_needed(icmp, n, ft_ip(&copy), me, 1400 - 30);
  CU_ASSERT_EQUAL(svrfwd_session_frag_needed(s, ft_ip(&p), p.b.len, me, icmp,
                                             55),
                  SVRFWD_ERR_NOBUF);
  CU_ASSERT_EQUAL(svrfwd_session_frag_needed(s, ft_ip(&p), 10, me, icmp,
                                             sizeof(icmp)),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  /* the same size without DF goes out (routers fragment it) */
  ft_build_v4(&p, 17, t.client, t.server, 5000, 53, pay, 1371 - 28, 64, 0);
  svr_put_be16(ft_ip(&p) + 6, 0);
  svr_put_be16(ft_ip(&p) + 10, 0);
  svr_put_be16(ft_ip(&p) + 10, svr_cksum(ft_ip(&p), 20));
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 1 * NS), 0);
  CU_ASSERT_EQUAL(p.b.len, 1401);
  /* B's direction has its own check */
  ft_build_v4(&p, 17, t.server, t.client, 53, 5000, pay, 1371 - 28, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.b, &p.b, NULL, NULL, 1 * NS),
                  SVRFWD_ERR_PKT_PATH_MTU);
  /* no path MTU: no check, and no reply to build */
  set_mtu(&t, 0);
  ft_build_v4(&p, 17, t.client, t.server, 5000, 53, pay, 1371 - 28, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 1 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_session_frag_needed(s, ft_ip(&copy), copy.b.len, me,
                                             icmp, sizeof(icmp)),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  ft_pair_free(&t);
}

/* While a session still sends metadata, its packets grow more: a packet
 * that fits the fast path but not with its metadata leaves without DF;
 * the reply always reports the fast path's MTU. */
static void test_df_first_packet(void) {
  static const svrfwd_cipher cs[] = {
      SVRFWD_CIPHER_AES256_GCM, SVRFWD_CIPHER_AES256_CBC_HMAC,
      SVRFWD_CIPHER_NONE};
  size_t ci;
  for (ci = 0; ci < 3; ci++) {
    ft_pair t;
    ft_pkt p, copy;
    svrfwd_session *s = NULL;
    svrfwd_route r;
    uint8_t pay[1500], icmp[128];
    static const uint8_t me[4] = {10, 0, 0, 1};
    svrfwd_ssize n, over;
    uint16_t mtu;
    size_t sz;
    memset(pay, 0x3c, sizeof(pay));
    ft_pair_init(&t, cs[ci], NULL);
    set_mtu(&t, 1400);
    r.peer = t.ab;
    r.tenant = "tenant-1";
    r.service = "dns";
    over = svrfwd_peer_overhead(t.ab, 17);
    /* one byte more than the fast path takes: the new flow's session is
     * created, the packet refused untouched, and the MTU announced is the
     * fast path's, not the first round trip's (its metadata would make the
     * host learn an MTU too small for the whole session) */
    ft_build_v4(&p, 17, t.client, t.server, 6000, 53, pay,
                (size_t)(1400 - over) + 1 - 28, 64, 0);
    copy = p;
    copy.b.base = copy.mem;
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, &s, 1 * NS),
                    SVRFWD_ERR_PKT_PATH_MTU);
    CU_ASSERT(memcmp(p.mem, copy.mem, sizeof(p.mem)) == 0);
    n = svrfwd_session_frag_needed(s, ft_ip(&p), p.b.len, me, icmp,
                                   sizeof(icmp));
    CU_ASSERT_EQUAL_FATAL(n, 56);
    mtu = svr_get_be16(icmp + 26);
    CU_ASSERT_EQUAL(mtu, 1400 - over);
    check_frag_needed(icmp, n, ft_ip(&copy), me, mtu);
    /* sizes up to that MTU pass while metadata is still on: those that
     * the metadata makes larger than the path leave without DF (the
     * network fragments them), the others keep DF */
    for (sz = (size_t)mtu - 200; sz <= mtu; sz++) {
      uint8_t *ip;
      ft_build_v4(&p, 17, t.client, t.server, 6000, 53, pay, sz - 28, 64, 0);
      CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 1 * NS), 0);
      ip = p.b.base + p.b.off;
      CU_ASSERT_EQUAL((svr_get_be16(ip + 6) & 0x4000) != 0, p.b.len <= 1400);
      CU_ASSERT_EQUAL(svr_cksum(ip, 20), 0);
    }
    CU_ASSERT(p.b.len > 1400); /* the largest did need fragmenting */
    /* handshake done: the fast-path limit applies, DF kept */
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, NULL, 1 * NS), 0);
    ft_build_v4(&p, 17, t.server, t.client, 53, 6000, pay, 1, 64, 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.b, &p.b, NULL, NULL, 1 * NS), 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.a, &p.b, NULL, 1 * NS), 0);
    for (sz = (size_t)(1400 - over) - 20; sz <= (size_t)(1400 - over); sz++) {
      ft_build_v4(&p, 17, t.client, t.server, 6000, 53, pay, sz - 28, 64, 0);
      CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 1 * NS), 0);
      CU_ASSERT(p.b.len <= 1400);
      CU_ASSERT(svr_get_be16(p.b.base + p.b.off + 6) & 0x4000);
    }
    ft_build_v4(&p, 17, t.client, t.server, 6000, 53, pay,
                (size_t)(1400 - over) + 16 - 28, 64, 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, &s, 1 * NS),
                    SVRFWD_ERR_PKT_PATH_MTU);
    n = svrfwd_session_frag_needed(s, ft_ip(&p), p.b.len, me, icmp,
                                   sizeof(icmp));
    CU_ASSERT_EQUAL(n, 56);
    CU_ASSERT_EQUAL(svr_get_be16(icmp + 26), 1400 - over);
    ft_pair_free(&t);
  }
}

/* A ping too big for the path: refused, and the reply quotes the ICMP
 * header; the next-hop MTU counts the UDP header ICMP rides in. */
static void test_df_icmp(void) {
  ft_pair t;
  ft_pkt p, copy;
  svrfwd_session *s = NULL;
  svrfwd_route r;
  uint8_t pay[1500], icmp[128];
  static const uint8_t me[4] = {192, 0, 2, 1};
  int i;
  memset(pay, 0x61, sizeof(pay));
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  set_mtu(&t, 1400);
  r.peer = t.ab;
  r.tenant = "t";
  r.service = "ping";
  for (i = 0; i < 2; i++) { /* handshake */
    ft_build_icmp4(&p, t.client, t.server, 8, 99, (uint16_t)i, pay, 56);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 0), 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, NULL, 0), 0);
    ft_build_icmp4(&p, t.server, t.client, 0, 99, (uint16_t)i, pay, 56);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.b, &p.b, NULL, NULL, 0), 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.a, &p.b, NULL, 0), 0);
  }
  ft_build_icmp4(&p, t.client, t.server, 8, 99, 5, pay, 1400 - 38 - 28);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 0), 0);
  CU_ASSERT_EQUAL(p.b.len, 1400);
  ft_build_icmp4(&p, t.client, t.server, 8, 99, 6, pay, 1400 - 38 - 28 + 1);
  copy = p;
  copy.b.base = copy.mem;
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, &s, 0),
                  SVRFWD_ERR_PKT_PATH_MTU);
  CU_ASSERT(memcmp(p.mem, copy.mem, sizeof(p.mem)) == 0);
  check_frag_needed(icmp,
                    svrfwd_session_frag_needed(s, ft_ip(&p), p.b.len, me,
                                               icmp, sizeof(icmp)),
                    ft_ip(&copy), me, 1400 - 38);
  ft_pair_free(&t);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"mss_clamp_gcm", test_mss_clamp_gcm},
      {"mss_clamp_ciphers", test_mss_clamp_ciphers},
      {"path_mtu_args", test_path_mtu_args},
      {"df_too_big", test_df_too_big},
      {"df_first_packet", test_df_first_packet},
      {"df_icmp", test_df_icmp},
      {NULL, NULL}};
  return svr_test_run("fwd_pmtu", cases);
}
