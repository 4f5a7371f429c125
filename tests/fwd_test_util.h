/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for the libsvrfwd tests: packet builders, checksum checks, a
 * two-router fixture.  Header-only (static functions). */
#ifndef FWD_TEST_UTIL_H
#define FWD_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <svrfwd/svrfwd.h>

#include "svr_cksum.h"
#include "svr_endian.h"
#include "svr_test.h"

#define FT_BUFCAP 4096
#define FT_OFF 1024

typedef struct ft_pkt {
  uint8_t mem[FT_BUFCAP];
  svrfwd_buf b;
} ft_pkt;

static inline uint8_t *ft_ip(ft_pkt *p) { return p->b.base + p->b.off; }

static inline void ft_v4(uint8_t *a, unsigned x0, unsigned x1, unsigned x2,
                         unsigned x3) {
  a[0] = (uint8_t)x0;
  a[1] = (uint8_t)x1;
  a[2] = (uint8_t)x2;
  a[3] = (uint8_t)x3;
}

static inline uint16_t ft_l4_cksum_v4(const uint8_t *ip, size_t len) {
  size_t l3 = (size_t)(ip[0] & 15) * 4;
  uint8_t ph[12];
  uint32_t s;
  memcpy(ph, ip + 12, 8);
  ph[8] = 0;
  ph[9] = ip[9];
  svr_put_be16(ph + 10, (uint16_t)(len - l3));
  s = svr_cksum_add(0, ph, 12);
  s = svr_cksum_add(s, ip + l3, len - l3);
  return svr_cksum_finish(s); /* 0 when the stored checksum is right */
}

/* Builds IPv4 + UDP/TCP with valid checksums at FT_OFF. */
static inline void ft_build_v4(ft_pkt *p, uint8_t proto, const uint8_t src[4],
                               const uint8_t dst[4], uint16_t sport,
                               uint16_t dport, const uint8_t *payload,
                               size_t plen, uint8_t ttl, uint8_t tcpflags) {
  uint8_t *ip;
  size_t l4h = proto == 6 ? 20 : 8, len = 20 + l4h + plen;
  uint16_t c;
  memset(p->mem, 0xee, sizeof(p->mem));
  p->b.base = p->mem;
  p->b.cap = sizeof(p->mem);
  p->b.off = FT_OFF;
  p->b.len = len;
  ip = ft_ip(p);
  memset(ip, 0, 20 + l4h);
  ip[0] = 0x45;
  svr_put_be16(ip + 2, (uint16_t)len);
  svr_put_be16(ip + 4, 0x1234);
  svr_put_be16(ip + 6, 0x4000);
  ip[8] = ttl;
  ip[9] = proto;
  memcpy(ip + 12, src, 4);
  memcpy(ip + 16, dst, 4);
  svr_put_be16(ip + 10, svr_cksum(ip, 20));
  svr_put_be16(ip + 20, sport);
  svr_put_be16(ip + 22, dport);
  if (proto == 17) {
    svr_put_be16(ip + 24, (uint16_t)(8 + plen));
  } else {
    svr_put_be32(ip + 24, 1000);
    svr_put_be32(ip + 28, 2000);
    ip[32] = 0x50;
    ip[33] = tcpflags;
    svr_put_be16(ip + 34, 65535);
  }
  if (plen) {
    memcpy(ip + 20 + l4h, payload, plen);
  }
  c = ft_l4_cksum_v4(ip, len);
  if (proto == 17 && c == 0) {
    c = 0xffff;
  }
  svr_put_be16(ip + 20 + (proto == 6 ? 16 : 6), c);
}

/* IPv4 + ICMP message (echo layout: type, code, checksum, identifier,
 * sequence, data) with valid checksums at FT_OFF; DF set. */
static inline void ft_build_icmp4(ft_pkt *p, const uint8_t src[4],
                                  const uint8_t dst[4], uint8_t type,
                                  uint16_t ident, uint16_t seq,
                                  const uint8_t *payload, size_t plen) {
  uint8_t *ip;
  size_t len = 28 + plen;
  memset(p->mem, 0xee, sizeof(p->mem));
  p->b.base = p->mem;
  p->b.cap = sizeof(p->mem);
  p->b.off = FT_OFF;
  p->b.len = len;
  ip = ft_ip(p);
  memset(ip, 0, 28);
  ip[0] = 0x45;
  svr_put_be16(ip + 2, (uint16_t)len);
  svr_put_be16(ip + 4, 0x4321);
  svr_put_be16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 1;
  memcpy(ip + 12, src, 4);
  memcpy(ip + 16, dst, 4);
  svr_put_be16(ip + 10, svr_cksum(ip, 20));
  ip[20] = type;
  svr_put_be16(ip + 24, ident);
  svr_put_be16(ip + 26, seq);
  if (plen) {
    memcpy(ip + 28, payload, plen);
  }
  svr_put_be16(ip + 22, svr_cksum(ip + 20, 8 + plen)); /* RFC 792 */
}

/* 1 when the IPv4 header checksum and the L4 checksum verify. */
static inline int ft_cksums_ok(ft_pkt *p) {
  uint8_t *ip = ft_ip(p);
  size_t len = p->b.len;
  if (svr_cksum(ip, (size_t)(ip[0] & 15) * 4) != 0) {
    return 0;
  }
  if (ip[9] == 17 && svr_get_be16(ip + 26) == 0) {
    return 1; /* IPv4 UDP without checksum */
  }
  if (ip[9] == 1) {
    size_t l3 = (size_t)(ip[0] & 15) * 4;
    return svr_cksum(ip + l3, len - l3) == 0; /* ICMP: no pseudo header */
  }
  return ft_l4_cksum_v4(ip, len) == 0;
}

static inline void ft_rand(uint8_t *d, size_t n, void *u) {
  static uint64_t st = 12345;
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    d[i] = (uint8_t)svr_test_rand(&st);
  }
}

/*
 * Two routers A (waypoint 203.0.113.1) and B (198.51.100.2); client
 * 10.0.0.5 behind A, server 10.1.0.9 behind B.
 */
typedef struct ft_pair {
  svrfwd_ctx *a, *b;
  svrfwd_peer *ab; /* A's peer B */
  svrfwd_peer *ba; /* B's peer A */
  uint8_t wa[4], wb[4], client[4], server[4];
} ft_pair;

static inline void ft_pair_init(ft_pair *t, svrfwd_cipher c,
                                const svrfwd_settings *st) {
  svrfwd_callbacks cb;
  svrfwd_settings s;
  svrfwd_peer_config pc;
  static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                  23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  memset(t, 0, sizeof(*t));
  ft_v4(t->wa, 203, 0, 113, 1);
  ft_v4(t->wb, 198, 51, 100, 2);
  ft_v4(t->client, 10, 0, 0, 5);
  ft_v4(t->server, 10, 1, 0, 9);
  memset(&cb, 0, sizeof(cb));
  cb.rand = ft_rand;
  if (st) {
    s = *st;
  } else {
    svrfwd_settings_default(&s);
  }
  s.router_name = "router-a";
  CU_ASSERT_FATAL(svrfwd_ctx_new(&t->a, &cb, &s, NULL, NULL) == 0);
  s.router_name = "router-b";
  CU_ASSERT_FATAL(svrfwd_ctx_new(&t->b, &cb, &s, NULL, NULL) == 0);
  svrfwd_peer_config_default(&pc);
  pc.cipher = c;
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  memcpy(pc.local_waypoint.addr, t->wa, 4);
  memcpy(pc.remote_waypoint.addr, t->wb, 4);
  pc.name = "router-b";
  CU_ASSERT_FATAL(svrfwd_peer_add(t->a, &t->ab, &pc) == 0);
  memcpy(pc.local_waypoint.addr, t->wb, 4);
  memcpy(pc.remote_waypoint.addr, t->wa, 4);
  pc.name = "router-a";
  CU_ASSERT_FATAL(svrfwd_peer_add(t->b, &t->ba, &pc) == 0);
  if (c != SVRFWD_CIPHER_NONE) {
    size_t kl = c == SVRFWD_CIPHER_AES128_CBC_HMAC ? 16 : 32;
    CU_ASSERT_FATAL(svrfwd_peer_key_add(t->ab, 7, key, kl, 1, 0) == 0);
    CU_ASSERT_FATAL(svrfwd_peer_key_add(t->ba, 7, key, kl, 1, 0) == 0);
  }
}

static inline void ft_pair_free(ft_pair *t) {
  svrfwd_ctx_del(t->a);
  svrfwd_ctx_del(t->b);
}

/* Client -> server packet through A's ingress then B's egress. */
static inline int ft_fwd(ft_pair *t, ft_pkt *p, svrfwd_tstamp ts) {
  svrfwd_route r = {t->ab, "tenant-1", "web"};
  int rv = svrfwd_ctx_ingress(t->a, &p->b, NULL, NULL, ts);
  if (rv == SVRFWD_ERR_PKT_NO_SESSION) {
    rv = svrfwd_ctx_ingress(t->a, &p->b, &r, NULL, ts);
  }
  if (rv != 0) {
    return rv;
  }
  return svrfwd_ctx_egress(t->b, &p->b, NULL, ts);
}

/* Server -> client through B's ingress then A's egress. */
static inline int ft_rev(ft_pair *t, ft_pkt *p, svrfwd_tstamp ts) {
  int rv = svrfwd_ctx_ingress(t->b, &p->b, NULL, NULL, ts);
  if (rv != 0) {
    return rv;
  }
  return svrfwd_ctx_egress(t->a, &p->b, NULL, ts);
}

/* IPv6 + UDP/TCP with a valid checksum at FT_OFF. */
static inline uint16_t ft_l4_cksum_v6(const uint8_t *ip, size_t len) {
  uint8_t ph[8];
  uint32_t s = svr_cksum_add(0, ip + 8, 32);
  svr_put_be32(ph, (uint32_t)(len - 40));
  ph[4] = ph[5] = ph[6] = 0;
  ph[7] = ip[6];
  s = svr_cksum_add(s, ph, 8);
  s = svr_cksum_add(s, ip + 40, len - 40);
  return svr_cksum_finish(s);
}

static inline void ft_build_v6(ft_pkt *p, uint8_t proto, const uint8_t src[16],
                               const uint8_t dst[16], uint16_t sport,
                               uint16_t dport, const uint8_t *payload,
                               size_t plen) {
  uint8_t *ip;
  size_t l4h = proto == 6 ? 20 : 8, len = 40 + l4h + plen;
  uint16_t c;
  memset(p->mem, 0xee, sizeof(p->mem));
  p->b.base = p->mem;
  p->b.cap = sizeof(p->mem);
  p->b.off = FT_OFF;
  p->b.len = len;
  ip = ft_ip(p);
  memset(ip, 0, 40 + l4h);
  ip[0] = 0x60;
  svr_put_be16(ip + 4, (uint16_t)(len - 40));
  ip[6] = proto;
  ip[7] = 64;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
  svr_put_be16(ip + 40, sport);
  svr_put_be16(ip + 42, dport);
  if (proto == 17) {
    svr_put_be16(ip + 44, (uint16_t)(8 + plen));
  } else {
    ip[52] = 0x50;
    ip[53] = 0x02;
  }
  if (plen) {
    memcpy(ip + 40 + l4h, payload, plen);
  }
  c = ft_l4_cksum_v6(ip, len);
  if (proto == 17 && c == 0) {
    c = 0xffff;
  }
  svr_put_be16(ip + 40 + (proto == 6 ? 16 : 6), c);
}

/* IPv6 + ICMPv6 echo (type 128/129) with a valid checksum at FT_OFF. */
static inline void ft_build_icmp6(ft_pkt *p, const uint8_t src[16],
                                  const uint8_t dst[16], uint8_t type,
                                  uint16_t ident, uint16_t seq,
                                  const uint8_t *payload, size_t plen) {
  uint8_t *ip;
  size_t len = 48 + plen;
  memset(p->mem, 0xee, sizeof(p->mem));
  p->b.base = p->mem;
  p->b.cap = sizeof(p->mem);
  p->b.off = FT_OFF;
  p->b.len = len;
  ip = ft_ip(p);
  memset(ip, 0, 48);
  ip[0] = 0x60;
  svr_put_be16(ip + 4, (uint16_t)(len - 40));
  ip[6] = 58;
  ip[7] = 64;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
  ip[40] = type;
  svr_put_be16(ip + 44, ident);
  svr_put_be16(ip + 46, seq);
  if (plen) {
    memcpy(ip + 48, payload, plen);
  }
  svr_put_be16(ip + 42, ft_l4_cksum_v6(ip, len)); /* RFC 4443 2.3 */
}

#endif /* FWD_TEST_UTIL_H */
