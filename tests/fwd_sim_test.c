/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwd sim: two routers in memory (A: client side, B: server side),
 * client and server flows through them.  Checks that bytes arrive intact
 * (the restored packet equals the one sent, byte for byte), the metadata
 * handshake, rekey in mid-flow, UDP transform, TTL padding, the
 * false-positive marker and session aging.
 */
#include <stdio.h>
#include <string.h>

#include "fwd_test_util.h"

#define NS ((svrfwd_tstamp)1000000000)
#define COOKIE_AT(p, off) (memcmp(ft_ip(p) + (off), "\x4c\x48\xdb\xc6", 4) == 0)

static const svrfwd_cipher all_ciphers[] = {
    SVRFWD_CIPHER_AES256_GCM, SVRFWD_CIPHER_AES128_CBC_HMAC,
    SVRFWD_CIPHER_AES256_CBC_HMAC, SVRFWD_CIPHER_NONE};

/* Sends one packet client->server (dir 0) or server->client (dir 1) and
 * checks it arrives identical.  Returns 1 if the outer packet carried
 * metadata (the cookie right after the outer L4 header). */
static int send_one(ft_pair *t, int dir, uint8_t proto, uint16_t cport,
                    const uint8_t *pay, size_t plen, uint8_t flags,
                    svrfwd_tstamp ts, int *ok) {
  ft_pkt p, orig;
  int rv, meta;
  size_t l4h;
  svrfwd_route r = {t->ab, "tenant-1", "web"};
  if (dir == 0) {
    ft_build_v4(&p, proto, t->client, t->server, cport, 80, pay, plen, 64,
                flags);
  } else {
    ft_build_v4(&p, proto, t->server, t->client, 80, cport, pay, plen, 64,
                flags);
  }
  orig = p;
  orig.b.base = orig.mem;
  rv = svrfwd_ctx_ingress(dir ? t->b : t->a, &p.b, NULL, NULL, ts);
  if (rv == SVRFWD_ERR_PKT_NO_SESSION && dir == 0) {
    rv = svrfwd_ctx_ingress(t->a, &p.b, &r, NULL, ts);
  }
  CU_ASSERT_EQUAL(rv, 0);
  if (rv != 0) {
    fprintf(stderr, "ingress dir %d: %s\n", dir, svrfwd_strerror(rv));
    *ok = 0;
    return 0;
  }
  l4h = ft_ip(&p)[9] == 6 ? (size_t)(ft_ip(&p)[32] >> 4) * 4 : 8;
  meta = COOKIE_AT(&p, 20 + l4h);
  CU_ASSERT(ft_cksums_ok(&p));
  rv = svrfwd_ctx_egress(dir ? t->a : t->b, &p.b, NULL, ts);
  CU_ASSERT_EQUAL(rv, 0);
  CU_ASSERT_EQUAL(p.b.len, orig.b.len);
  if (rv != 0 || p.b.len != orig.b.len ||
      memcmp(ft_ip(&p), ft_ip(&orig), p.b.len) != 0) {
    *ok = 0;
  }
  return meta;
}

/* Handshake: metadata on until one round trip, then off both ways. */
static void flow_handshake(svrfwd_cipher c, uint8_t proto) {
  ft_pair t;
  int ok = 1;
  svrfwd_ctx_stats sa, sb;
  static const uint8_t hello[] = "hello, server";
  static const uint8_t reply[] = "hello, client; a longer reply body";
  ft_pair_init(&t, c, NULL);
  CU_ASSERT_EQUAL(send_one(&t, 0, proto, 40000, hello, sizeof(hello), 0x02,
                           1 * NS, &ok), 1);
  /* retransmitted first packet still has metadata */
  CU_ASSERT_EQUAL(send_one(&t, 0, proto, 40000, hello, sizeof(hello), 0x02,
                           1 * NS + 1, &ok), 1);
  CU_ASSERT_EQUAL(send_one(&t, 1, proto, 40000, reply, sizeof(reply), 0x12,
                           2 * NS, &ok), 1);
  CU_ASSERT_EQUAL(send_one(&t, 0, proto, 40000, hello, 5, 0x10, 3 * NS, &ok),
                  0);
  CU_ASSERT_EQUAL(send_one(&t, 1, proto, 40000, reply, 7, 0x10, 4 * NS, &ok),
                  0);
  CU_ASSERT_EQUAL(send_one(&t, 0, proto, 40000, NULL, 0, 0x10, 5 * NS, &ok),
                  0);
  CU_ASSERT(ok);
  svrfwd_ctx_get_stats(t.a, &sa);
  svrfwd_ctx_get_stats(t.b, &sb);
  CU_ASSERT_EQUAL(sa.meta_tx, 2);
  CU_ASSERT_EQUAL(sb.meta_rx, 2);
  CU_ASSERT_EQUAL(sb.meta_tx, 1);
  CU_ASSERT_EQUAL(sa.meta_rx, 1);
  CU_ASSERT_EQUAL(sa.sessions, 1);
  CU_ASSERT_EQUAL(sb.sessions, 1);
  ft_pair_free(&t);
}

static void test_udp_flow_all_ciphers(void) {
  size_t i;
  for (i = 0; i < sizeof(all_ciphers) / sizeof(all_ciphers[0]); i++) {
    flow_handshake(all_ciphers[i], 17);
  }
}

static void test_tcp_flow_all_ciphers(void) {
  size_t i;
  for (i = 0; i < sizeof(all_ciphers) / sizeof(all_ciphers[0]); i++) {
    flow_handshake(all_ciphers[i], 6);
  }
}

/* Outer packet: waypoint addresses, even port for A, odd for B. */
static void test_outer_waypoints(void) {
  ft_pair t;
  ft_pkt p, outer, q;
  svrfwd_route r;
  svrfwd_session *s;
  svrfwd_session_info info;
  uint8_t *ip;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  r.peer = t.ab;
  r.tenant = "tenant-1";
  r.service = "web";
  ft_build_v4(&p, 17, t.client, t.server, 5000, 53, (const uint8_t *)"q", 1,
              64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, &s, 0), 0);
  ip = ft_ip(&p);
  CU_ASSERT(memcmp(ip + 12, t.wa, 4) == 0);
  CU_ASSERT(memcmp(ip + 16, t.wb, 4) == 0);
  CU_ASSERT((svr_get_be16(ip + 20) & 1) == 0);
  CU_ASSERT((svr_get_be16(ip + 22) & 1) == 1);
  /* grew by metadata at the front and the tag at the end */
  CU_ASSERT(p.b.off < FT_OFF);
  CU_ASSERT_EQUAL(p.b.off + p.b.len, FT_OFF + 29 + 16);
  svrfwd_session_get_info(s, &info);
  CU_ASSERT(info.originator && info.meta_tx);
  CU_ASSERT_STRING_EQUAL(info.service, "web");
  CU_ASSERT_EQUAL(info.uuid[6] >> 4, 4);
  outer = p;
  outer.b.base = outer.mem;
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, &s, 0), 0);
  svrfwd_session_get_info(s, &info);
  CU_ASSERT(!info.originator);
  /* a waypoint tuple given to ingress (or a LAN tuple to egress) is no
   * session's: the two key kinds never mix */
  q = outer;
  q.b.base = q.mem;
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.b, &q.b, NULL, NULL, 0),
                  SVRFWD_ERR_PKT_NO_SESSION);
  {
    /* ingress without a route asks the host for one: not a drop */
    svrfwd_ctx_stats st;
    svrfwd_ctx_get_stats(t.b, &st);
    CU_ASSERT_EQUAL(st.drop[-SVRFWD_ERR_PKT_NO_SESSION - 300], 0);
  }
  q = p;
  q.b.base = q.mem;
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &q.b, NULL, 0),
                  SVRFWD_ERR_PKT_NO_SESSION);
  {
    /* egress of no session: a real drop */
    svrfwd_ctx_stats st;
    svrfwd_ctx_get_stats(t.b, &st);
    CU_ASSERT_EQUAL(st.drop[-SVRFWD_ERR_PKT_NO_SESSION - 300], 1);
  }
  CU_ASSERT_STRING_EQUAL(info.tenant, "tenant-1");
  CU_ASSERT_STRING_EQUAL(info.peer_router, "router-a");
  ft_pair_free(&t);
}

/* Rekey in mid-flow: new key added on both, activated on A then B; nothing
 * is lost; the old key is refused once the overlap is over. */
static void test_rekey_mid_flow(void) {
  ft_pair t;
  ft_pkt held_ok, held_late;
  svrfwd_ctx_stats sa, sb;
  static const uint8_t k2[32] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                 9, 9, 9, 9, 9, 9, 9, 9, 9, 8};
  int ok = 1, i;
  uint8_t pay[100];
  memset(pay, 0x5a, sizeof(pay));
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  for (i = 0; i < 5; i++) {
    send_one(&t, 0, 17, 41000, pay, sizeof(pay), 0, (svrfwd_tstamp)(unsigned)i * NS, &ok);
    send_one(&t, 1, 17, 41000, pay, sizeof(pay), 0, (svrfwd_tstamp)(unsigned)i * NS, &ok);
  }
  /* two packets sealed with key 7, delivered later */
  ft_build_v4(&held_ok, 17, t.client, t.server, 41000, 80, pay, 10, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &held_ok.b, NULL, NULL, 5 * NS), 0);
  ft_build_v4(&held_late, 17, t.client, t.server, 41000, 80, pay, 11, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &held_late.b, NULL, NULL, 5 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(t.ab, 8, k2, 32, 0, 6 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(t.ba, 8, k2, 32, 0, 6 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_activate(t.ab, 8, 7 * NS), 0);
  for (i = 7; i < 12; i++) {
    send_one(&t, 0, 17, 41000, pay, sizeof(pay), 0, (svrfwd_tstamp)(unsigned)i * NS, &ok);
    send_one(&t, 1, 17, 41000, pay, sizeof(pay), 0, (svrfwd_tstamp)(unsigned)i * NS, &ok);
  }
  CU_ASSERT_EQUAL(svrfwd_peer_key_activate(t.ba, 8, 12 * NS), 0);
  for (i = 12; i < 20; i++) {
    send_one(&t, 0, 17, 41000, pay, sizeof(pay), 0, (svrfwd_tstamp)(unsigned)i * NS, &ok);
    send_one(&t, 1, 17, 41000, pay, sizeof(pay), 0, (svrfwd_tstamp)(unsigned)i * NS, &ok);
  }
  CU_ASSERT(ok);
  /* old key inside the overlap (30 s from 7 s): accepted */
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &held_ok.b, NULL, 20 * NS), 0);
  /* after it: refused */
  /* B switched at 12 s: its overlap for key 7 ends at 42 s */
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &held_late.b, NULL, 42 * NS),
                  SVRFWD_ERR_PKT_KEY_EXPIRED);
  svrfwd_ctx_get_stats(t.a, &sa);
  svrfwd_ctx_get_stats(t.b, &sb);
  CU_ASSERT_EQUAL(sa.egress_packets, 18);
  CU_ASSERT_EQUAL(sb.egress_packets, 19);
  CU_ASSERT_EQUAL(sa.rekeys, 1);
  CU_ASSERT_EQUAL(sb.drop[-SVRFWD_ERR_PKT_KEY_EXPIRED - 300], 1);
  ft_pair_free(&t);
}

/* UDP transform: TCP rides as UDP with TLV 12, restored at egress. */
static void test_udp_transform(void) {
  size_t i;
  for (i = 0; i < sizeof(all_ciphers) / sizeof(all_ciphers[0]); i++) {
    ft_pair t;
    ft_pkt p, orig;
    svrfwd_route r;
    svrfwd_meta m;
    svrfwd_session *s;
    svrfwd_session_info info;
    int ok = 1;
    ft_pair_init(&t, all_ciphers[i], NULL);
    svrfwd_peer_set_udp_transform(t.ab, 1);
    r.peer = t.ab;
    r.tenant = "t";
    r.service = "ssh";
    ft_build_v4(&p, 6, t.client, t.server, 50000, 80, NULL, 0, 64, 0x02);
    orig = p;
    orig.b.base = orig.mem;
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 0), 0);
    CU_ASSERT_EQUAL(ft_ip(&p)[9], 17);
    if (all_ciphers[i] == SVRFWD_CIPHER_NONE) {
      CU_ASSERT(svrfwd_meta_decode(&m, ft_ip(&p) + 28, p.b.len - 28) > 0);
      CU_ASSERT(m.present & SVRFWD_META_TCP_SYN);
    }
    CU_ASSERT(ft_cksums_ok(&p));
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, &s, 0), 0);
    CU_ASSERT_EQUAL(p.b.len, orig.b.len);
    CU_ASSERT(memcmp(ft_ip(&p), ft_ip(&orig), orig.b.len) == 0);
    if (memcmp(ft_ip(&p), ft_ip(&orig), orig.b.len) != 0) {
      size_t j;
      for (j = 0; j < orig.b.len; j++) {
        fprintf(stderr, "%02x%s", ft_ip(&p)[j],
                ft_ip(&p)[j] != ft_ip(&orig)[j] ? "*" : " ");
      }
      fprintf(stderr, "\n");
    }
    svrfwd_session_get_info(s, &info);
    CU_ASSERT(info.transformed);
    /* both directions, then the fast path */
    send_one(&t, 1, 6, 50000, (const uint8_t *)"SSH-2.0", 7, 0x12, 1, &ok);
    send_one(&t, 0, 6, 50000, (const uint8_t *)"SSH-2.0-c", 9, 0x10, 2, &ok);
    send_one(&t, 1, 6, 50000, (const uint8_t *)"x", 1, 0x10, 3, &ok);
    CU_ASSERT(ok);
    ft_pair_free(&t);
  }
}

/* TTL padding: fixed, automatic (hop count from BFD), saturation, off. */
static void test_ttl_padding(void) {
  ft_pair t;
  ft_pkt p;
  svrfwd_route r;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  r.peer = t.ab;
  r.tenant = "t";
  r.service = "s";
  ft_build_v4(&p, 17, t.client, t.server, 1111, 53, NULL, 0, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 0), 0);
  CU_ASSERT_EQUAL(ft_ip(&p)[8], 64); /* off */
  svrfwd_peer_del(t.ab);
  {
    svrfwd_peer_config pc;
    static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                    12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                    23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    svrfwd_peer_config_default(&pc);
    pc.local_waypoint.family = pc.remote_waypoint.family = 4;
    memcpy(pc.local_waypoint.addr, t.wa, 4);
    memcpy(pc.remote_waypoint.addr, t.wb, 4);
    pc.ttl_mode = SVRFWD_TTL_FIXED;
    pc.ttl_padding = 10;
    CU_ASSERT_FATAL(svrfwd_peer_add(t.a, &t.ab, &pc) == 0);
    CU_ASSERT_FATAL(svrfwd_peer_key_add(t.ab, 7, key, 32, 1, 0) == 0);
    r.peer = t.ab;
    ft_build_v4(&p, 17, t.client, t.server, 1112, 53, NULL, 0, 64, 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 0), 0);
    CU_ASSERT_EQUAL(ft_ip(&p)[8], 74);
    CU_ASSERT(ft_cksums_ok(&p));
    ft_build_v4(&p, 17, t.client, t.server, 1113, 53, NULL, 0, 250, 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 0), 0);
    CU_ASSERT_EQUAL(ft_ip(&p)[8], 255);
    svrfwd_peer_del(t.ab);
    pc.ttl_mode = SVRFWD_TTL_AUTO;
    CU_ASSERT_FATAL(svrfwd_peer_add(t.a, &t.ab, &pc) == 0);
    CU_ASSERT_FATAL(svrfwd_peer_key_add(t.ab, 7, key, 32, 1, 0) == 0);
    svrfwd_peer_set_hop_count(t.ab, 3);
    r.peer = t.ab;
    ft_build_v4(&p, 17, t.client, t.server, 1114, 53, NULL, 0, 64, 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 0), 0);
    CU_ASSERT_EQUAL(ft_ip(&p)[8], 67);
    /* 3 routers on the way each decrement: the egress sees 64 again */
    ft_ip(&p)[8] = 64;
    svr_put_be16(ft_ip(&p) + 10, 0);
    svr_put_be16(ft_ip(&p) + 10, svr_cksum(ft_ip(&p), 20));
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, NULL, 0), 0);
    CU_ASSERT_EQUAL(ft_ip(&p)[8], 64);
  }
  ft_pair_free(&t);
}

/* No encryption: a payload that starts with the cookie gets a bare
 * 12-byte header (false-positive marker) that egress strips. */
static void test_false_positive_marker(void) {
  ft_pair t;
  ft_pkt p;
  int ok = 1;
  svrfwd_ctx_stats sa, sb;
  static const uint8_t evil[] = {0x4c, 0x48, 0xdb, 0xc6, 0xdd, 0xf6,
                                 0x67, 0x0c, 'd',  'a',  't',  'a'};
  ft_pair_init(&t, SVRFWD_CIPHER_NONE, NULL);
  send_one(&t, 0, 17, 7000, evil, sizeof(evil), 0, 0, &ok);
  send_one(&t, 1, 17, 7000, evil, sizeof(evil), 0, 1, &ok);
  /* handshake done: the marker is what carries the cookie now */
  CU_ASSERT_EQUAL(send_one(&t, 0, 17, 7000, evil, sizeof(evil), 0, 2, &ok), 1);
  CU_ASSERT_EQUAL(send_one(&t, 1, 17, 7000, evil, sizeof(evil), 0, 3, &ok), 1);
  CU_ASSERT_EQUAL(send_one(&t, 0, 17, 7000, evil + 1, 8, 0, 4, &ok), 0);
  CU_ASSERT(ok);
  svrfwd_ctx_get_stats(t.a, &sa);
  svrfwd_ctx_get_stats(t.b, &sb);
  CU_ASSERT_EQUAL(sa.false_positive_tx, 1);
  CU_ASSERT_EQUAL(sb.false_positive_rx, 1);
  CU_ASSERT_EQUAL(sb.false_positive_tx, 1);
  CU_ASSERT_EQUAL(sa.false_positive_rx, 1);
  /* a bare header on a flow with no session is dropped */
  ft_build_v4(&p, 17, t.wa, t.wb, 30000, 30001, evil, 8, 64, 0);
  memcpy(ft_ip(&p) + 36, "\x10\x0c\x00\x00", 4);
  svr_put_be16(ft_ip(&p) + 2, 40);
  svr_put_be16(ft_ip(&p) + 24, 20);
  p.b.len = 40;
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, NULL, 5),
                  SVRFWD_ERR_PKT_NO_SESSION);
  ft_pair_free(&t);
}

static int closed_count;
static svrfwd_close_reason last_reason;
static void on_closed(svrfwd_ctx *ctx, svrfwd_session *s,
                      svrfwd_close_reason why, void *u) {
  (void)ctx;
  (void)s;
  (void)u;
  closed_count++;
  last_reason = why;
}

/* Aging through the expiry queue: UDP idle; TCP FIN both ways; RST. */
static void test_aging(void) {
  ft_pair t;
  int ok = 1;
  svrfwd_ctx_stats sa;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  /* hook the callback on A by recreating nothing: set through the struct */
  send_one(&t, 0, 17, 9000, (const uint8_t *)"u", 1, 0, 0, &ok);
  send_one(&t, 1, 17, 9000, (const uint8_t *)"u", 1, 0, 10 * NS, &ok);
  CU_ASSERT_EQUAL(svrfwd_ctx_get_expiry(t.a), 60 * NS);
  svrfwd_ctx_handle_expiry(t.a, 60 * NS); /* active at 10 s: re-armed */
  svrfwd_ctx_get_stats(t.a, &sa);
  CU_ASSERT_EQUAL(sa.sessions, 1);
  CU_ASSERT_EQUAL(svrfwd_ctx_get_expiry(t.a), 70 * NS);
  svrfwd_ctx_handle_expiry(t.a, 70 * NS);
  svrfwd_ctx_handle_expiry(t.b, 70 * NS);
  svrfwd_ctx_get_stats(t.a, &sa);
  CU_ASSERT_EQUAL(sa.sessions, 0);
  svrfwd_ctx_get_stats(t.b, &sa);
  CU_ASSERT_EQUAL(sa.sessions, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_get_expiry(t.a), SVRFWD_TSTAMP_MAX);
  /* TCP: FIN both ways -> linger (10 s) */
  send_one(&t, 0, 6, 9001, NULL, 0, 0x02, 100 * NS, &ok);
  send_one(&t, 1, 6, 9001, NULL, 0, 0x12, 100 * NS, &ok);
  send_one(&t, 0, 6, 9001, NULL, 0, 0x11, 101 * NS, &ok);
  /* lazy aging: the heap still holds 100 + 1800 s until it fires */
  CU_ASSERT_EQUAL(svrfwd_ctx_get_expiry(t.a), 1900 * NS);
  send_one(&t, 1, 6, 9001, NULL, 0, 0x11, 102 * NS, &ok);
  CU_ASSERT_EQUAL(svrfwd_ctx_get_expiry(t.a), 112 * NS);
  svrfwd_ctx_handle_expiry(t.a, 112 * NS);
  svrfwd_ctx_handle_expiry(t.b, 112 * NS);
  svrfwd_ctx_get_stats(t.a, &sa);
  CU_ASSERT_EQUAL(sa.sessions, 0);
  svrfwd_ctx_get_stats(t.b, &sa);
  CU_ASSERT_EQUAL(sa.sessions, 0);
  /* TCP RST */
  send_one(&t, 0, 6, 9002, NULL, 0, 0x02, 200 * NS, &ok);
  send_one(&t, 1, 6, 9002, NULL, 0, 0x14, 201 * NS, &ok);
  CU_ASSERT_EQUAL(svrfwd_ctx_get_expiry(t.b), 211 * NS);
  svrfwd_ctx_handle_expiry(t.b, 211 * NS);
  svrfwd_ctx_get_stats(t.b, &sa);
  CU_ASSERT_EQUAL(sa.sessions, 0);
  CU_ASSERT_EQUAL(sa.sessions_closed, 3);
  CU_ASSERT(ok);
  ft_pair_free(&t);
}

/* Close callback and waypoint release. */
static void test_close_callback(void) {
  svrfwd_callbacks cb;
  svrfwd_ctx *ctx;
  svrfwd_peer *peer;
  svrfwd_peer_config pc;
  svrfwd_route r;
  ft_pkt p;
  uint8_t c[4] = {10, 0, 0, 1}, s[4] = {10, 0, 0, 2};
  memset(&cb, 0, sizeof(cb));
  cb.rand = ft_rand;
  cb.session_closed = on_closed;
  CU_ASSERT_FATAL(svrfwd_ctx_new(&ctx, &cb, NULL, NULL, NULL) == 0);
  svrfwd_peer_config_default(&pc);
  pc.cipher = SVRFWD_CIPHER_NONE;
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  ft_v4(pc.local_waypoint.addr, 1, 1, 1, 1);
  ft_v4(pc.remote_waypoint.addr, 2, 2, 2, 2);
  pc.waypoints.max_waypoints = 1;
  pc.waypoints.quarantine_ns = 5 * NS;
  CU_ASSERT_FATAL(svrfwd_peer_add(ctx, &peer, &pc) == 0);
  r.peer = peer;
  r.tenant = r.service = "x";
  ft_build_v4(&p, 17, c, s, 1, 2, NULL, 0, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(ctx, &p.b, &r, NULL, 0), 0);
  ft_build_v4(&p, 17, c, s, 3, 2, NULL, 0, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(ctx, &p.b, &r, NULL, 0),
                  SVRFWD_ERR_PKT_WAYPOINTS);
  closed_count = 0;
  svrfwd_ctx_handle_expiry(ctx, 60 * NS);
  CU_ASSERT_EQUAL(closed_count, 1);
  CU_ASSERT_EQUAL(last_reason, SVRFWD_CLOSE_IDLE);
  ft_build_v4(&p, 17, c, s, 3, 2, NULL, 0, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(ctx, &p.b, &r, NULL, 62 * NS),
                  SVRFWD_ERR_PKT_WAYPOINTS); /* quarantine */
  ft_build_v4(&p, 17, c, s, 3, 2, NULL, 0, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(ctx, &p.b, &r, NULL, 65 * NS), 0);
  closed_count = 0;
  svrfwd_ctx_del(ctx);
  CU_ASSERT_EQUAL(closed_count, 1);
  CU_ASSERT_EQUAL(last_reason, SVRFWD_CLOSE_CTX);
}

/* Both routers originate sessions at once on the same waypoint pair. */
static void test_glare_both_sides(void) {
  ft_pair t;
  int i, ok = 1;
  svrfwd_ctx_stats sa, sb;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  for (i = 0; i < 500; i++) {
    ft_pkt p, q, orig;
    svrfwd_route ra = {t.ab, "t", "s"}, rb = {t.ba, "t", "s"};
    ft_build_v4(&p, 17, t.client, t.server, (uint16_t)(20000 + i), 80, NULL, 0,
                64, 0);
    ft_build_v4(&q, 17, t.server, t.client, (uint16_t)(30000 + i), 443, NULL,
                0, 64, 0);
    orig = q;
    orig.b.base = orig.mem;
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &ra, NULL, 0), 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.b, &q.b, &rb, NULL, 0), 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, NULL, 0), 0);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.a, &q.b, NULL, 0), 0);
    if (memcmp(ft_ip(&q), ft_ip(&orig), orig.b.len) != 0) {
      ok = 0;
    }
  }
  CU_ASSERT(ok);
  svrfwd_ctx_get_stats(t.a, &sa);
  svrfwd_ctx_get_stats(t.b, &sb);
  CU_ASSERT_EQUAL(sa.sessions, 1000);
  CU_ASSERT_EQUAL(sb.sessions, 1000);
  CU_ASSERT_EQUAL(sa.drop[-SVRFWD_ERR_PKT_COLLISION - 300], 0);
  ft_pair_free(&t);
}

/* IPv6 waypoints and flows: both directions, every cipher, bytes intact. */
static void test_ipv6_flow(void) {
  size_t ci;
  for (ci = 0; ci < sizeof(all_ciphers) / sizeof(all_ciphers[0]); ci++) {
    svrfwd_callbacks cb;
    svrfwd_ctx *a, *b;
    svrfwd_peer *ab, *ba;
    svrfwd_peer_config pc;
    svrfwd_route r;
    uint8_t wa[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t wb[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    uint8_t cl[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
    uint8_t sv[16] = {0xfd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    static const uint8_t key[32] = {3};
    int k;
    memset(&cb, 0, sizeof(cb));
    cb.rand = ft_rand;
    CU_ASSERT_FATAL(svrfwd_ctx_new(&a, &cb, NULL, NULL, NULL) == 0);
    CU_ASSERT_FATAL(svrfwd_ctx_new(&b, &cb, NULL, NULL, NULL) == 0);
    svrfwd_peer_config_default(&pc);
    pc.cipher = all_ciphers[ci];
    pc.local_waypoint.family = pc.remote_waypoint.family = 6;
    memcpy(pc.local_waypoint.addr, wa, 16);
    memcpy(pc.remote_waypoint.addr, wb, 16);
    CU_ASSERT_FATAL(svrfwd_peer_add(a, &ab, &pc) == 0);
    memcpy(pc.local_waypoint.addr, wb, 16);
    memcpy(pc.remote_waypoint.addr, wa, 16);
    CU_ASSERT_FATAL(svrfwd_peer_add(b, &ba, &pc) == 0);
    if (pc.cipher != SVRFWD_CIPHER_NONE) {
      CU_ASSERT_FATAL(svrfwd_peer_key_add(ab, 1, key, 32, 1, 0) == 0);
      CU_ASSERT_FATAL(svrfwd_peer_key_add(ba, 1, key, 32, 1, 0) == 0);
    }
    r.peer = ab;
    r.tenant = "t";
    r.service = "dns6";
    for (k = 0; k < 6; k++) {
      ft_pkt p, o;
      uint8_t proto = (k & 1) ? 6 : 17;
      uint16_t cport = (uint16_t)(6000 + (k & 1));
      int rv;
      ft_build_v6(&p, proto, cl, sv, cport, 53, (const uint8_t *)"query", 5);
      o = p;
      o.b.base = o.mem;
      rv = svrfwd_ctx_ingress(a, &p.b, &r, NULL, 0);
      CU_ASSERT_EQUAL(rv, 0);
      CU_ASSERT(memcmp(ft_ip(&p) + 8, wa, 16) == 0);
      CU_ASSERT_EQUAL(ft_l4_cksum_v6(ft_ip(&p), p.b.len), 0);
      CU_ASSERT_EQUAL(svrfwd_ctx_egress(b, &p.b, NULL, 0), 0);
      CU_ASSERT(p.b.len == o.b.len &&
                memcmp(ft_ip(&p), ft_ip(&o), o.b.len) == 0);
      ft_build_v6(&p, proto, sv, cl, 53, cport, (const uint8_t *)"answer!", 7);
      o = p;
      o.b.base = o.mem;
      CU_ASSERT_EQUAL(svrfwd_ctx_ingress(b, &p.b, NULL, NULL, 0), 0);
      CU_ASSERT_EQUAL(ft_l4_cksum_v6(ft_ip(&p), p.b.len), 0);
      CU_ASSERT_EQUAL(svrfwd_ctx_egress(a, &p.b, NULL, 0), 0);
      CU_ASSERT(p.b.len == o.b.len &&
                memcmp(ft_ip(&p), ft_ip(&o), o.b.len) == 0);
    }
    svrfwd_ctx_del(a);
    svrfwd_ctx_del(b);
  }
}

/* After a peer failover, metadata is retriggered and the handshake runs
 * again; both sides turn it off after one more round trip. */
static void test_retrigger(void) {
  ft_pair t;
  int ok = 1;
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  send_one(&t, 0, 17, 8000, (const uint8_t *)"a", 1, 0, 0, &ok);
  send_one(&t, 1, 17, 8000, (const uint8_t *)"b", 1, 0, 0, &ok);
  CU_ASSERT_EQUAL(send_one(&t, 0, 17, 8000, (const uint8_t *)"c", 1, 0, 0, &ok), 0);
  CU_ASSERT_EQUAL(send_one(&t, 1, 17, 8000, (const uint8_t *)"d", 1, 0, 0, &ok), 0);
  svrfwd_peer_retrigger_metadata(t.ab);
  CU_ASSERT_EQUAL(send_one(&t, 0, 17, 8000, (const uint8_t *)"e", 1, 0, 0, &ok), 1);
  CU_ASSERT_EQUAL(send_one(&t, 1, 17, 8000, (const uint8_t *)"f", 1, 0, 0, &ok), 1);
  CU_ASSERT_EQUAL(send_one(&t, 0, 17, 8000, (const uint8_t *)"g", 1, 0, 0, &ok), 0);
  CU_ASSERT_EQUAL(send_one(&t, 1, 17, 8000, (const uint8_t *)"h", 1, 0, 0, &ok), 0);
  CU_ASSERT(ok);
  ft_pair_free(&t);
}

/* Takes |p| through ingress of |in| (with |r| if the flow is new) and
 * egress of |out|; 0 when both accept it and the restored packet equals the
 * original byte for byte.  *meta: the outer packet carried metadata. */
static int through(svrfwd_ctx *in, svrfwd_ctx *out, ft_pkt *p,
                   const svrfwd_route *r, svrfwd_tstamp ts, int *meta) {
  ft_pkt orig = *p;
  int rv;
  orig.b.base = orig.mem;
  rv = svrfwd_ctx_ingress(in, &p->b, NULL, NULL, ts);
  if (rv == SVRFWD_ERR_PKT_NO_SESSION && r) {
    rv = svrfwd_ctx_ingress(in, &p->b, r, NULL, ts);
  }
  if (rv != 0) {
    return rv;
  }
  if (meta) {
    *meta = COOKIE_AT(p, 28);
  }
  if (ft_ip(p)[9] != 17 || !ft_cksums_ok(p)) {
    return 1; /* ICMP rides UDP on the wire */
  }
  rv = svrfwd_ctx_egress(out, &p->b, NULL, ts);
  if (rv != 0) {
    return rv;
  }
  if (p->b.len != orig.b.len ||
      memcmp(ft_ip(p), ft_ip(&orig), orig.b.len) != 0) {
    return 2;
  }
  return 0;
}

/* Ping through two routers: the echo request opens a session keyed by the
 * identifier, the reply matches it in reverse; both arrive byte-exact
 * (checksum included); ICMP rides UDP with proto 1 in the forward context;
 * other ICMP types are refused; the session ages with udp_idle_ns. */
static void test_icmp_echo(void) {
  size_t ci;
  uint8_t data[56];
  size_t i;
  for (i = 0; i < sizeof(data); i++) {
    data[i] = (uint8_t)(0x10 + i);
  }
  for (ci = 0; ci < sizeof(all_ciphers) / sizeof(all_ciphers[0]); ci++) {
    svrfwd_cipher c = all_ciphers[ci];
    ft_pair t;
    ft_pkt p, orig;
    svrfwd_route r;
    svrfwd_session *s;
    svrfwd_session_info info;
    svrfwd_ctx_stats sa, sb;
    svrfwd_meta m;
    int meta = -1;
    uint16_t seq;
    ft_pair_init(&t, c, NULL);
    r.peer = t.ab;
    r.tenant = "tenant-1";
    r.service = "ping";
    /* first request: metadata on UDP between the waypoints */
    ft_build_icmp4(&p, t.client, t.server, 8, 0x1234, 1, data, sizeof(data));
    orig = p;
    orig.b.base = orig.mem;
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 1 * NS),
                    SVRFWD_ERR_PKT_NO_SESSION);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, &s, 1 * NS), 0);
    CU_ASSERT_EQUAL(ft_ip(&p)[9], 17);
    CU_ASSERT(memcmp(ft_ip(&p) + 12, t.wa, 4) == 0);
    CU_ASSERT((svr_get_be16(ft_ip(&p) + 20) & 1) == 0);
    CU_ASSERT(COOKIE_AT(&p, 28));
    CU_ASSERT(ft_cksums_ok(&p));
    if (c == SVRFWD_CIPHER_NONE) {
      svrfwd_ssize n = svrfwd_meta_decode(&m, ft_ip(&p) + 28, p.b.len - 28);
      CU_ASSERT_FATAL(n > 0);
      CU_ASSERT(m.present & SVRFWD_META_FWD_CTX);
      CU_ASSERT(!(m.present & SVRFWD_META_TCP_SYN));
      CU_ASSERT_EQUAL(m.fwd_ctx.proto, 1);
      CU_ASSERT_EQUAL(m.fwd_ctx.sport, 0x1234);
      CU_ASSERT_EQUAL(m.fwd_ctx.dport, 0x1234);
      /* then the whole ICMP message, untouched */
      CU_ASSERT_EQUAL(p.b.len - 28 - (size_t)n, orig.b.len - 20);
      CU_ASSERT(memcmp(ft_ip(&p) + 28 + n, ft_ip(&orig) + 20,
                       orig.b.len - 20) == 0);
    } else {
      /* the echo data is not visible on the wire */
      size_t j;
      int seen = 0;
      for (j = 0; j + sizeof(data) <= p.b.len; j++) {
        seen |= memcmp(ft_ip(&p) + j, data, sizeof(data)) == 0;
      }
      CU_ASSERT(!seen);
    }
    svrfwd_session_get_info(s, &info);
    CU_ASSERT_EQUAL(info.lan.proto, 1);
    CU_ASSERT_EQUAL(info.lan.sport, 0x1234);
    CU_ASSERT_EQUAL(info.lan.dport, 0x1234);
    CU_ASSERT_EQUAL(info.wan.proto, 17);
    CU_ASSERT(!info.transformed); /* that flag is for TCP */
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(t.b, &p.b, &s, 1 * NS), 0);
    CU_ASSERT_EQUAL(p.b.len, orig.b.len);
    CU_ASSERT(memcmp(ft_ip(&p), ft_ip(&orig), orig.b.len) == 0);
    CU_ASSERT(ft_cksums_ok(&p));
    /* replies and further requests, both ways, handshake then fast path */
    for (seq = 1; seq <= 4; seq++) {
      ft_build_icmp4(&p, t.server, t.client, 0, 0x1234, seq, data,
                     sizeof(data));
      CU_ASSERT_EQUAL(through(t.b, t.a, &p, NULL, 2 * NS, &meta), 0);
      CU_ASSERT_EQUAL(meta, seq == 1);
      ft_build_icmp4(&p, t.client, t.server, 8, 0x1234, (uint16_t)(seq + 1),
                     data, (size_t)seq * 10);
      CU_ASSERT_EQUAL(through(t.a, t.b, &p, &r, 2 * NS, &meta), 0);
      CU_ASSERT_EQUAL(meta, 0);
    }
    /* the server pings the client on the same identifier: same session */
    ft_build_icmp4(&p, t.server, t.client, 8, 0x1234, 9, data, 8);
    CU_ASSERT_EQUAL(through(t.b, t.a, &p, NULL, 2 * NS, &meta), 0);
    /* another identifier is another session */
    ft_build_icmp4(&p, t.client, t.server, 8, 0x1235, 1, data, 8);
    CU_ASSERT_EQUAL(through(t.a, t.b, &p, &r, 3 * NS, &meta), 0);
    CU_ASSERT_EQUAL(meta, 1);
    svrfwd_ctx_get_stats(t.a, &sa);
    svrfwd_ctx_get_stats(t.b, &sb);
    CU_ASSERT_EQUAL(sa.sessions, 2);
    CU_ASSERT_EQUAL(sb.sessions, 2);
    /* a reply opens no session, even with a route */
    ft_build_icmp4(&p, t.client, t.server, 0, 0x2000, 1, data, 8);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 3 * NS),
                    SVRFWD_ERR_PKT_NO_SESSION);
    /* errors (destination unreachable) and other types are refused */
    ft_build_icmp4(&p, t.client, t.server, 3, 0, 0, data, 28);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 3 * NS),
                    SVRFWD_ERR_PKT_UNSUPPORTED);
    ft_build_icmp4(&p, t.client, t.server, 13, 0x1234, 0, data, 12);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 3 * NS),
                    SVRFWD_ERR_PKT_UNSUPPORTED);
    /* truncated echo header */
    ft_build_icmp4(&p, t.client, t.server, 8, 0x1234, 0, NULL, 0);
    svr_put_be16(ft_ip(&p) + 2, 24);
    svr_put_be16(ft_ip(&p) + 10, 0);
    svr_put_be16(ft_ip(&p) + 10, svr_cksum(ft_ip(&p), 20));
    p.b.len = 24;
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 3 * NS),
                    SVRFWD_ERR_PKT_MALFORMED);
    /* aging: udp_idle_ns (60 s) after the last packet (2 s and 3 s) */
    svrfwd_ctx_handle_expiry(t.a, 62 * NS - 1);
    svrfwd_ctx_get_stats(t.a, &sa);
    CU_ASSERT_EQUAL(sa.sessions, 2);
    svrfwd_ctx_handle_expiry(t.a, 62 * NS);
    svrfwd_ctx_get_stats(t.a, &sa);
    CU_ASSERT_EQUAL(sa.sessions, 1);
    svrfwd_ctx_handle_expiry(t.a, 63 * NS);
    svrfwd_ctx_get_stats(t.a, &sa);
    CU_ASSERT_EQUAL(sa.sessions, 0);
    ft_pair_free(&t);
  }
}

/* ICMPv6 echo (RFC 4443 128/129) over IPv6 waypoints: the checksum covers
 * a pseudo header, and comes back right with the original addresses. */
static void test_icmp6_echo(void) {
  static const svrfwd_cipher cs[] = {SVRFWD_CIPHER_AES256_GCM,
                                     SVRFWD_CIPHER_NONE};
  size_t ci;
  for (ci = 0; ci < 2; ci++) {
    svrfwd_callbacks cb;
    svrfwd_ctx *a, *b;
    svrfwd_peer *ab, *ba;
    svrfwd_peer_config pc;
    svrfwd_route r;
    uint8_t wa[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t wb[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    uint8_t cl[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
    uint8_t sv[16] = {0xfd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    static const uint8_t key[32] = {3};
    ft_pkt p, o;
    int k;
    memset(&cb, 0, sizeof(cb));
    cb.rand = ft_rand;
    CU_ASSERT_FATAL(svrfwd_ctx_new(&a, &cb, NULL, NULL, NULL) == 0);
    CU_ASSERT_FATAL(svrfwd_ctx_new(&b, &cb, NULL, NULL, NULL) == 0);
    svrfwd_peer_config_default(&pc);
    pc.cipher = cs[ci];
    pc.local_waypoint.family = pc.remote_waypoint.family = 6;
    memcpy(pc.local_waypoint.addr, wa, 16);
    memcpy(pc.remote_waypoint.addr, wb, 16);
    CU_ASSERT_FATAL(svrfwd_peer_add(a, &ab, &pc) == 0);
    memcpy(pc.local_waypoint.addr, wb, 16);
    memcpy(pc.remote_waypoint.addr, wa, 16);
    CU_ASSERT_FATAL(svrfwd_peer_add(b, &ba, &pc) == 0);
    if (pc.cipher != SVRFWD_CIPHER_NONE) {
      CU_ASSERT_FATAL(svrfwd_peer_key_add(ab, 1, key, 32, 1, 0) == 0);
      CU_ASSERT_FATAL(svrfwd_peer_key_add(ba, 1, key, 32, 1, 0) == 0);
    }
    r.peer = ab;
    r.tenant = "t";
    r.service = "ping6";
    for (k = 0; k < 3; k++) {
      ft_build_icmp6(&p, cl, sv, 128, 77, (uint16_t)k,
                     (const uint8_t *)"abcdefgh", 8);
      o = p;
      o.b.base = o.mem;
      CU_ASSERT_EQUAL(svrfwd_ctx_ingress(a, &p.b, &r, NULL, 0), 0);
      CU_ASSERT_EQUAL(ft_ip(&p)[6], 17);
      CU_ASSERT_EQUAL(ft_l4_cksum_v6(ft_ip(&p), p.b.len), 0);
      CU_ASSERT_EQUAL(svrfwd_ctx_egress(b, &p.b, NULL, 0), 0);
      CU_ASSERT(p.b.len == o.b.len &&
                memcmp(ft_ip(&p), ft_ip(&o), o.b.len) == 0);
      CU_ASSERT_EQUAL(ft_l4_cksum_v6(ft_ip(&p), p.b.len), 0);
      ft_build_icmp6(&p, sv, cl, 129, 77, (uint16_t)k,
                     (const uint8_t *)"abcdefgh", 8);
      o = p;
      o.b.base = o.mem;
      CU_ASSERT_EQUAL(svrfwd_ctx_ingress(b, &p.b, NULL, NULL, 0), 0);
      CU_ASSERT_EQUAL(svrfwd_ctx_egress(a, &p.b, NULL, 0), 0);
      CU_ASSERT(p.b.len == o.b.len &&
                memcmp(ft_ip(&p), ft_ip(&o), o.b.len) == 0);
    }
    /* ICMPv6 errors (1 destination unreachable) are refused */
    ft_build_icmp6(&p, cl, sv, 1, 0, 0, (const uint8_t *)"abcdefgh", 8);
    CU_ASSERT_EQUAL(svrfwd_ctx_ingress(a, &p.b, &r, NULL, 0),
                    SVRFWD_ERR_PKT_UNSUPPORTED);
    svrfwd_ctx_del(a);
    svrfwd_ctx_del(b);
  }
}

typedef struct walk {
  int n, stop_at;
  svrfwd_session_info info[8];
} walk;

/* svrfwd_ctx_set_l4_csum_partial: every outer TCP packet, and every outer
 * UDP packet that has a checksum, leaves ingress with the folded
 * pseudo-header sum in its checksum field; completed over the L4 bytes
 * (what a device with checksum offload does) it verifies, and the peer
 * restores the inner packet byte for byte, first round trip and fast
 * path, for every cipher. */
static void test_csum_partial(void) {
  size_t ci;
  for (ci = 0; ci < sizeof(all_ciphers) / sizeof(all_ciphers[0]); ci++) {
    ft_pair t;
    int k;
    ft_pair_init(&t, all_ciphers[ci], NULL);
    svrfwd_ctx_set_l4_csum_partial(t.a, 1);
    svrfwd_ctx_set_l4_csum_partial(t.b, 1);
    for (k = 0; k < 8; k++) {
      ft_pkt p, o;
      uint8_t proto = (k & 1) ? 6 : 17, *ip, *ck;
      int dir = (k >> 1) & 1, rv;
      size_t l3, l4len;
      uint32_t ps;
      uint16_t c;
      svrfwd_route r = {t.ab, "tenant-1", "web"};
      if (dir == 0) {
        ft_build_v4(&p, proto, t.client, t.server, 5000, 80,
                    (const uint8_t *)"partial checksum", 16, 64, 0x18);
      } else {
        ft_build_v4(&p, proto, t.server, t.client, 80, 5000,
                    (const uint8_t *)"and back again", 14, 64, 0x18);
      }
      o = p;
      o.b.base = o.mem;
      rv = svrfwd_ctx_ingress(dir ? t.b : t.a, &p.b, dir ? NULL : &r, NULL,
                              (svrfwd_tstamp)k * NS);
      CU_ASSERT_EQUAL_FATAL(rv, 0);
      ip = ft_ip(&p);
      l3 = (size_t)(ip[0] & 15) * 4;
      l4len = p.b.len - l3;
      ck = ip + l3 + (ip[9] == 6 ? 16 : 6);
      if (ip[9] == 17 && all_ciphers[ci] != SVRFWD_CIPHER_NONE) {
        CU_ASSERT_EQUAL(svr_get_be16(ck), 0); /* IPv4 UDP: no checksum */
      } else {
        ps = svr_cksum_add(0, ip + 12, 8) + ip[9] + (uint32_t)l4len;
        CU_ASSERT_EQUAL(svr_get_be16(ck), svr_cksum_fold(ps));
        CU_ASSERT_FALSE(ft_cksums_ok(&p));
        c = (uint16_t)~svr_cksum_fold(svr_cksum_add(0, ip + l3, l4len));
        svr_put_be16(ck, c == 0 && ip[9] == 17 ? 0xffff : c);
      }
      CU_ASSERT(ft_cksums_ok(&p));
      CU_ASSERT_EQUAL(svrfwd_ctx_egress(dir ? t.a : t.b, &p.b, NULL,
                                        (svrfwd_tstamp)k * NS),
                      0);
      CU_ASSERT(p.b.len == o.b.len &&
                memcmp(ft_ip(&p), ft_ip(&o), o.b.len) == 0);
    }
    ft_pair_free(&t);
  }
}

static int on_session(svrfwd_session *s, void *ud) {
  walk *w = ud;
  svrfwd_session_get_info(s, &w->info[w->n++]);
  return w->n == w->stop_at ? 42 : 0;
}

/* Byte counters count inner packets (not metadata, crypto or transform
 * overhead) per session and per context; foreach lists every session with
 * its peer path and waypoint ports. */
static void test_counters_foreach(void) {
  ft_pair t;
  ft_pkt p;
  svrfwd_route r;
  svrfwd_ctx_stats sa, sb;
  walk w;
  uint8_t pay[300];
  int i, meta, found_icmp = 0;
  uint64_t a_in = 0, a_out = 0;
  memset(pay, 7, sizeof(pay));
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, NULL);
  r.peer = t.ab;
  r.tenant = "t";
  r.service = "s";
  svrfwd_peer_set_udp_transform(t.ab, 1); /* the TCP flow rides UDP */
  for (i = 0; i < 3; i++) {
    ft_build_v4(&p, 17, t.client, t.server, 1000, 53, pay, 100, 64, 0);
    a_in += p.b.len;
    CU_ASSERT_EQUAL(through(t.a, t.b, &p, &r, 0, &meta), 0);
    ft_build_v4(&p, 17, t.server, t.client, 53, 1000, pay, 250, 64, 0);
    a_out += p.b.len;
    CU_ASSERT_EQUAL(through(t.b, t.a, &p, NULL, 0, &meta), 0);
  }
  ft_build_v4(&p, 6, t.client, t.server, 1001, 80, pay, 10, 64, 0x02);
  a_in += p.b.len;
  CU_ASSERT_EQUAL(through(t.a, t.b, &p, &r, 0, &meta), 0);
  ft_build_icmp4(&p, t.client, t.server, 8, 5, 1, pay, 56);
  a_in += p.b.len;
  CU_ASSERT_EQUAL(through(t.a, t.b, &p, &r, 0, &meta), 0);
  svrfwd_ctx_get_stats(t.a, &sa);
  svrfwd_ctx_get_stats(t.b, &sb);
  CU_ASSERT_EQUAL(sa.ingress_bytes, a_in);
  CU_ASSERT_EQUAL(sa.egress_bytes, a_out);
  CU_ASSERT_EQUAL(sb.egress_bytes, a_in);
  CU_ASSERT_EQUAL(sb.ingress_bytes, a_out);
  CU_ASSERT_EQUAL(a_in, 3 * 128 + 50 + 84);
  /* a refused packet counts nothing */
  ft_build_v4(&p, 17, t.client, t.server, 1002, 53, pay, 10, 64, 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(t.a, &p.b, NULL, NULL, 0),
                  SVRFWD_ERR_PKT_NO_SESSION);
  svrfwd_ctx_get_stats(t.a, &sa);
  CU_ASSERT_EQUAL(sa.ingress_bytes, a_in);

  memset(&w, 0, sizeof(w));
  CU_ASSERT_EQUAL(svrfwd_ctx_session_foreach(t.a, on_session, &w), 0);
  CU_ASSERT_EQUAL(w.n, 3);
  for (i = 0; i < w.n; i++) {
    svrfwd_session_info *in = &w.info[i];
    CU_ASSERT(in->peer == t.ab);
    CU_ASSERT_EQUAL(in->self_port & 1, 0); /* A's ports are even */
    CU_ASSERT_EQUAL(in->peer_port & 1, 1);
    CU_ASSERT_EQUAL(in->self_port, in->wan.dport);
    if (in->lan.proto == 17) {
      CU_ASSERT_EQUAL(in->tx_bytes, 3 * 128);
      CU_ASSERT_EQUAL(in->rx_bytes, 3 * 278);
      CU_ASSERT_EQUAL(in->tx_packets, 3);
    } else if (in->lan.proto == 6) {
      CU_ASSERT_EQUAL(in->tx_bytes, 50);
      CU_ASSERT(in->transformed);
    } else {
      CU_ASSERT_EQUAL(in->lan.proto, 1);
      CU_ASSERT_EQUAL(in->tx_bytes, 84);
      CU_ASSERT_EQUAL(in->rx_bytes, 0);
      found_icmp = 1;
    }
  }
  CU_ASSERT(found_icmp);
  memset(&w, 0, sizeof(w));
  CU_ASSERT_EQUAL(svrfwd_ctx_session_foreach(t.b, on_session, &w), 0);
  CU_ASSERT_EQUAL(w.n, 3);
  CU_ASSERT(w.info[0].peer == t.ba);
  CU_ASSERT_EQUAL(w.info[0].self_port & 1, 1); /* B answers on odd ports */
  /* a non-zero return stops the walk and comes back */
  memset(&w, 0, sizeof(w));
  w.stop_at = 2;
  CU_ASSERT_EQUAL(svrfwd_ctx_session_foreach(t.a, on_session, &w), 42);
  CU_ASSERT_EQUAL(w.n, 2);
  CU_ASSERT_EQUAL(svrfwd_ctx_session_foreach(t.a, NULL, &w),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  ft_pair_free(&t);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"udp_flow_all_ciphers", test_udp_flow_all_ciphers},
      {"tcp_flow_all_ciphers", test_tcp_flow_all_ciphers},
      {"outer_waypoints", test_outer_waypoints},
      {"rekey_mid_flow", test_rekey_mid_flow},
      {"udp_transform", test_udp_transform},
      {"ttl_padding", test_ttl_padding},
      {"false_positive_marker", test_false_positive_marker},
      {"aging", test_aging},
      {"close_callback", test_close_callback},
      {"glare_both_sides", test_glare_both_sides},
      {"ipv6_flow", test_ipv6_flow},
      {"retrigger", test_retrigger},
      {"icmp_echo", test_icmp_echo},
      {"icmp6_echo", test_icmp6_echo},
      {"counters_foreach", test_counters_foreach},
      {"csum_partial", test_csum_partial},
      {NULL, NULL}};
  return svr_test_run("fwd_sim", cases);
}
