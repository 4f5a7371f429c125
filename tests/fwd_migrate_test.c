/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwd sim: sessions moving between two peer paths of the same pair
 * of routers (path failover).  A and B are joined by path 1 (203.0.113.1 -
 * 198.51.100.2) and path 2 (203.0.113.11 - 198.51.100.12), with the same
 * key on both.  A TCP-like flow and a UDP flow run over path 1; then A
 * moves them to path 2 (or B does first, or both at once) in mid-flow.
 * Every packet must arrive byte-exact and none may be dropped; packets
 * after the move must use path 2 on both sides.
 */
#include <stdio.h>
#include <string.h>

#include "fwd_int.h" /* the allocators, to see the old pairs freed */
#include "fwd_test_util.h"

#define NS ((svrfwd_tstamp)1000000000)

static const svrfwd_cipher ciphers[] = {
    SVRFWD_CIPHER_AES256_GCM, SVRFWD_CIPHER_AES256_CBC_HMAC,
    SVRFWD_CIPHER_NONE};

typedef struct mt {
  ft_pair t;
  svrfwd_peer *ab2, *ba2; /* path 2 */
  uint8_t wa2[4], wb2[4];
  svrfwd_session *a_tcp, *a_udp, *b_tcp, *b_udp;
} mt;

static void mt_init(mt *m, svrfwd_cipher c, int transform2) {
  svrfwd_peer_config pc;
  static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                  23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  memset(m, 0, sizeof(*m));
  ft_pair_init(&m->t, c, NULL);
  ft_v4(m->wa2, 203, 0, 113, 11);
  ft_v4(m->wb2, 198, 51, 100, 12);
  svrfwd_peer_config_default(&pc);
  pc.cipher = c;
  pc.udp_transform = (uint8_t)transform2;
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  memcpy(pc.local_waypoint.addr, m->wa2, 4);
  memcpy(pc.remote_waypoint.addr, m->wb2, 4);
  pc.name = "router-b";
  CU_ASSERT_FATAL(svrfwd_peer_add(m->t.a, &m->ab2, &pc) == 0);
  memcpy(pc.local_waypoint.addr, m->wb2, 4);
  memcpy(pc.remote_waypoint.addr, m->wa2, 4);
  pc.name = "router-a";
  CU_ASSERT_FATAL(svrfwd_peer_add(m->t.b, &m->ba2, &pc) == 0);
  if (c != SVRFWD_CIPHER_NONE) {
    CU_ASSERT_FATAL(svrfwd_peer_key_add(m->ab2, 7, key, 32, 1, 0) == 0);
    CU_ASSERT_FATAL(svrfwd_peer_key_add(m->ba2, 7, key, 32, 1, 0) == 0);
  }
}

/* Which path an outer packet used: 1, 2, or 0 (neither). */
static int path_of(mt *m, const uint8_t *ip) {
  if ((memcmp(ip + 12, m->t.wa, 4) == 0 && memcmp(ip + 16, m->t.wb, 4) == 0) ||
      (memcmp(ip + 12, m->t.wb, 4) == 0 && memcmp(ip + 16, m->t.wa, 4) == 0)) {
    return 1;
  }
  if ((memcmp(ip + 12, m->wa2, 4) == 0 && memcmp(ip + 16, m->wb2, 4) == 0) ||
      (memcmp(ip + 12, m->wb2, 4) == 0 && memcmp(ip + 16, m->wa2, 4) == 0)) {
    return 2;
  }
  return 0;
}

/* Builds one packet of the TCP (proto 6, port 40000) or UDP (17, 40001)
 * flow, client->server (dir 0) or back (dir 1). */
static void build(mt *m, ft_pkt *p, int dir, uint8_t proto, uint8_t flags,
                  size_t plen) {
  uint8_t pay[200];
  uint16_t cport = proto == 6 ? 40000 : 40001;
  size_t i;
  for (i = 0; i < sizeof(pay); i++) {
    pay[i] = (uint8_t)(i + plen + (size_t)dir);
  }
  if (dir == 0) {
    ft_build_v4(p, proto, m->t.client, m->t.server, cport, 443, pay, plen, 64,
                flags);
  } else {
    ft_build_v4(p, proto, m->t.server, m->t.client, 443, cport, pay, plen, 64,
                flags);
  }
}

/* Ingress at the sending router; returns the outer packet's path, or -1. */
static int send_half(mt *m, ft_pkt *p, int dir, svrfwd_tstamp ts,
                     svrfwd_session **ps) {
  svrfwd_route r = {m->t.ab, "tenant-1", "web"};
  int rv = svrfwd_ctx_ingress(dir ? m->t.b : m->t.a, &p->b,
                              dir ? NULL : &r, ps, ts);
  CU_ASSERT_EQUAL(rv, 0);
  if (rv != 0) {
    fprintf(stderr, "ingress dir %d: %s\n", dir, svrfwd_strerror(rv));
    return -1;
  }
  CU_ASSERT(ft_cksums_ok(p));
  return path_of(m, ft_ip(p));
}

/* Egress at the receiving router; 1 if the packet equals |orig|. */
static int recv_half(mt *m, ft_pkt *p, const ft_pkt *orig, int dir,
                     svrfwd_tstamp ts, svrfwd_session **ps) {
  int rv = svrfwd_ctx_egress(dir ? m->t.a : m->t.b, &p->b, ps, ts);
  CU_ASSERT_EQUAL(rv, 0);
  if (rv != 0) {
    fprintf(stderr, "egress dir %d: %s\n", dir, svrfwd_strerror(rv));
    return 0;
  }
  CU_ASSERT_EQUAL(p->b.len, orig->b.len);
  CU_ASSERT(memcmp(ft_ip(p), orig->mem + orig->b.off, orig->b.len) == 0);
  return p->b.len == orig->b.len &&
         memcmp(ft_ip(p), orig->mem + orig->b.off, orig->b.len) == 0;
}

/* One packet all the way; returns the path it used (or -1). */
static int xfer(mt *m, int dir, uint8_t proto, uint8_t flags, size_t plen,
                svrfwd_tstamp ts) {
  ft_pkt p, orig;
  svrfwd_session *si = NULL, *se = NULL;
  int path;
  build(m, &p, dir, proto, flags, plen);
  orig = p;
  path = send_half(m, &p, dir, ts, &si);
  if (path < 0 || !recv_half(m, &p, &orig, dir, ts, &se)) {
    return -1;
  }
  if (dir == 0) {
    *(proto == 6 ? &m->a_tcp : &m->a_udp) = si;
    *(proto == 6 ? &m->b_tcp : &m->b_udp) = se;
  }
  return path;
}

/* Both flows established on path 1, handshakes complete. */
static void mt_start(mt *m) {
  CU_ASSERT_EQUAL(xfer(m, 0, 6, 0x02, 0, 1 * NS), 1);
  CU_ASSERT_EQUAL(xfer(m, 1, 6, 0x12, 0, 1 * NS), 1);
  CU_ASSERT_EQUAL(xfer(m, 0, 6, 0x10, 0, 1 * NS), 1);
  CU_ASSERT_EQUAL(xfer(m, 0, 17, 0, 60, 1 * NS), 1);
  CU_ASSERT_EQUAL(xfer(m, 1, 17, 0, 90, 1 * NS), 1);
  CU_ASSERT_EQUAL(xfer(m, 0, 17, 0, 61, 1 * NS), 1);
  CU_ASSERT_EQUAL(xfer(m, 0, 6, 0x18, 100, 2 * NS), 1);
  CU_ASSERT_EQUAL(xfer(m, 1, 6, 0x18, 150, 2 * NS), 1);
}

static uint64_t drops(svrfwd_ctx *ctx) {
  svrfwd_ctx_stats st;
  uint64_t n = 0;
  int i;
  svrfwd_ctx_get_stats(ctx, &st);
  for (i = 0; i < SVRFWD_NUM_DROP_REASONS; i++) {
    n += st.drop[i];
  }
  return n;
}

static int meta_on(svrfwd_session *s) {
  svrfwd_session_info in;
  svrfwd_session_get_info(s, &in);
  return in.meta_tx;
}

static svrfwd_peer *peer_of(svrfwd_session *s) {
  svrfwd_session_info in;
  svrfwd_session_get_info(s, &in);
  return in.peer;
}

/* Both sides on path 2, fast path again, path 1's pairs freed. */
static void mt_check_settled(mt *m) {
  int i;
  for (i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL(xfer(m, 0, 6, 0x10, 10 + (size_t)i, 9 * NS), 2);
    CU_ASSERT_EQUAL(xfer(m, 1, 6, 0x10, 20 + (size_t)i, 9 * NS), 2);
    CU_ASSERT_EQUAL(xfer(m, 0, 17, 0, 30 + (size_t)i, 9 * NS), 2);
    CU_ASSERT_EQUAL(xfer(m, 1, 17, 0, 40 + (size_t)i, 9 * NS), 2);
  }
  CU_ASSERT(!meta_on(m->a_tcp) && !meta_on(m->b_tcp));
  CU_ASSERT(!meta_on(m->a_udp) && !meta_on(m->b_udp));
  CU_ASSERT(peer_of(m->a_tcp) == m->ab2 && peer_of(m->a_udp) == m->ab2);
  CU_ASSERT(peer_of(m->b_tcp) == m->ba2 && peer_of(m->b_udp) == m->ba2);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m->t.ab->wp_tcp) +
                      svrfwd_wpalloc_in_use(m->t.ab->wp_udp) +
                      svrfwd_wpalloc_in_use(m->t.ba->wp_tcp) +
                      svrfwd_wpalloc_in_use(m->t.ba->wp_udp),
                  0);
  CU_ASSERT_EQUAL(drops(m->t.a), 0);
  CU_ASSERT_EQUAL(drops(m->t.b), 0);
  {
    svrfwd_ctx_stats sa, sb;
    svrfwd_ctx_get_stats(m->t.a, &sa);
    svrfwd_ctx_get_stats(m->t.b, &sb);
    CU_ASSERT_EQUAL(sa.sessions, 2);
    CU_ASSERT_EQUAL(sb.sessions, 2);
    CU_ASSERT_EQUAL(sa.sessions_created, 2);
    CU_ASSERT_EQUAL(sb.sessions_created, 2);
  }
}

static int move_cb(svrfwd_session *s, void *ud) {
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(s, ud, 5 * NS), 0);
  return 0;
}

/* A moves both flows to path 2 (from a foreach callback).  B's packets
 * still on path 1 are delivered; A's metadata on path 2 moves B; B's
 * reverse metadata acknowledges. */
static void test_move_at_a(void) {
  size_t ci;
  for (ci = 0; ci < sizeof(ciphers) / sizeof(ciphers[0]); ci++) {
    mt m;
    mt_init(&m, ciphers[ci], 0);
    mt_start(&m);
    CU_ASSERT_EQUAL(svrfwd_ctx_session_foreach(m.t.a, move_cb, m.ab2), 0);
    CU_ASSERT(meta_on(m.a_tcp) && meta_on(m.a_udp));
    /* B has not heard yet: it sends on path 1, A takes it on the old pair */
    CU_ASSERT_EQUAL(xfer(&m, 1, 6, 0x18, 70, 6 * NS), 1);
    CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 71, 6 * NS), 1);
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.t.ab->wp_udp), 1); /* held */
    /* A's first packets on path 2 carry metadata; B moves */
    CU_ASSERT_EQUAL(xfer(&m, 0, 6, 0x18, 72, 6 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 73, 6 * NS), 2);
    CU_ASSERT(peer_of(m.b_tcp) == m.ba2);
    CU_ASSERT(meta_on(m.b_udp)); /* B answers with reverse metadata */
    /* B's reply on path 2 acknowledges; A frees path 1's pair */
    CU_ASSERT_EQUAL(xfer(&m, 1, 6, 0x18, 74, 7 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 75, 7 * NS), 2);
    CU_ASSERT(!meta_on(m.a_tcp) && !meta_on(m.a_udp));
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.t.ab->wp_udp), 0);
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ab2->wp_udp), 1);
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ab2->wp_tcp), 1);
    mt_check_settled(&m);
    ft_pair_free(&m.t);
  }
}

/* B (not the originator) moves first: A's packets on path 1 still reach
 * it; B's reverse metadata on path 2 moves A. */
static void test_move_at_b_first(void) {
  size_t ci;
  for (ci = 0; ci < sizeof(ciphers) / sizeof(ciphers[0]); ci++) {
    mt m;
    mt_init(&m, ciphers[ci], 0);
    mt_start(&m);
    CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.b_tcp, m.ba2, 5 * NS), 0);
    CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.b_udp, m.ba2, 5 * NS), 0);
    CU_ASSERT(peer_of(m.b_tcp) == m.ba2);
    /* B's own allocator on path 2 gave the pair (B's port even, A's odd) */
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ba2->wp_udp), 1);
    CU_ASSERT_EQUAL(xfer(&m, 0, 6, 0x18, 80, 6 * NS), 1);
    CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 81, 6 * NS), 1);
    CU_ASSERT_EQUAL(xfer(&m, 1, 6, 0x18, 82, 6 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 83, 6 * NS), 2);
    CU_ASSERT(peer_of(m.a_tcp) == m.ab2 && peer_of(m.a_udp) == m.ab2);
    {
      svrfwd_session_info in;
      svrfwd_session_get_info(m.a_udp, &in);
      CU_ASSERT_EQUAL(in.self_port & 1, 1); /* A adopted B's choice */
      CU_ASSERT(memcmp(in.wan.src, m.wb2, 4) == 0);
    }
    CU_ASSERT_EQUAL(xfer(&m, 0, 6, 0x18, 84, 7 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 85, 7 * NS), 2);
    mt_check_settled(&m);
    /* A took no pair on path 2: B owns the one in use */
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ab2->wp_udp), 0);
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ba2->wp_udp), 1);
    ft_pair_free(&m.t);
  }
}

/* Both move at once and their metadata crosses: the originator's pair
 * wins and the pair B took is freed. */
static void test_move_both(void) {
  size_t ci;
  for (ci = 0; ci < sizeof(ciphers) / sizeof(ciphers[0]); ci++) {
    mt m;
    ft_pkt pa, pb, oa, ob;
    mt_init(&m, ciphers[ci], 0);
    mt_start(&m);
    CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.ab2, 5 * NS), 0);
    CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.b_udp, m.ba2, 5 * NS), 0);
    build(&m, &pa, 0, 17, 0, 90);
    build(&m, &pb, 1, 17, 0, 91);
    oa = pa;
    ob = pb;
    CU_ASSERT_EQUAL(send_half(&m, &pa, 0, 6 * NS, NULL), 2);
    CU_ASSERT_EQUAL(send_half(&m, &pb, 1, 6 * NS, NULL), 2);
    CU_ASSERT(recv_half(&m, &pa, &oa, 0, 6 * NS, NULL)); /* B adopts A's */
    CU_ASSERT(recv_half(&m, &pb, &ob, 1, 6 * NS, NULL)); /* A keeps its own */
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ba2->wp_udp), 0);
    CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ab2->wp_udp), 1);
    CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 92, 7 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 93, 7 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 94, 7 * NS), 2);
    CU_ASSERT(!meta_on(m.a_udp) && !meta_on(m.b_udp));
    {
      svrfwd_session_info ia, ib;
      svrfwd_session_get_info(m.a_udp, &ia);
      svrfwd_session_get_info(m.b_udp, &ib);
      CU_ASSERT_EQUAL(ia.self_port & 1, 0); /* A's pair: A even */
      CU_ASSERT_EQUAL(ia.self_port, ib.peer_port);
      CU_ASSERT_EQUAL(ia.peer_port, ib.self_port);
    }
    CU_ASSERT_EQUAL(drops(m.t.a), 0);
    CU_ASSERT_EQUAL(drops(m.t.b), 0);
    ft_pair_free(&m.t);
  }
}

/* Path 2 has UDP transform: the TCP session rides UDP after the move;
 * packets still coming on path 1 in plain TCP form are restored right. */
static void test_move_transform(void) {
  size_t ci;
  for (ci = 0; ci < sizeof(ciphers) / sizeof(ciphers[0]); ci++) {
    mt m;
    ft_pkt p, o;
    svrfwd_session_info in;
    mt_init(&m, ciphers[ci], 1);
    mt_start(&m);
    CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_tcp, m.ab2, 5 * NS), 0);
    CU_ASSERT_EQUAL(xfer(&m, 1, 6, 0x18, 50, 6 * NS), 1); /* old, TCP */
    build(&m, &p, 0, 6, 0x18, 51);
    o = p;
    CU_ASSERT_EQUAL(send_half(&m, &p, 0, 6 * NS, NULL), 2);
    CU_ASSERT_EQUAL(ft_ip(&p)[9], 17);
    CU_ASSERT(recv_half(&m, &p, &o, 0, 6 * NS, NULL));
    svrfwd_session_get_info(m.b_tcp, &in);
    CU_ASSERT(in.transformed);
    CU_ASSERT_EQUAL(xfer(&m, 1, 6, 0x18, 52, 7 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 0, 6, 0x18, 53, 7 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 1, 6, 0x11, 54, 7 * NS), 2);
    svrfwd_session_get_info(m.a_tcp, &in);
    CU_ASSERT(in.transformed);
    CU_ASSERT_EQUAL(in.wan.proto, 17);
    CU_ASSERT_EQUAL(drops(m.t.a), 0);
    CU_ASSERT_EQUAL(drops(m.t.b), 0);
    ft_pair_free(&m.t);
  }
}

/* What must not move a session: another UUID for the same context (a
 * second router claiming the client's flow), an old packet replayed on a
 * new tuple, the same UUID with another context, a late packet. */
static void test_move_refused(void) {
  mt m;
  ft_pkt first, p, o;
  svrfwd_route r;
  svrfwd_callbacks cb;
  svrfwd_ctx *a2;
  svrfwd_peer *a2b;
  svrfwd_peer_config pc;
  static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                  23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  svrfwd_ctx_stats st;
  mt_init(&m, SVRFWD_CIPHER_AES256_GCM, 0);
  r.peer = m.t.ab;
  r.tenant = "tenant-1";
  r.service = "web";
  build(&m, &first, 0, 17, 0, 60);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(m.t.a, &first.b, &r, &m.a_udp, 1 * NS),
                  0);
  p = first;
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(m.t.b, &p.b, &m.b_udp, 1 * NS), 0);
  CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 90, 1 * NS), 1);
  CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 61, 1 * NS), 1);
  /* another router with path 2's address opens the same flow: new UUID */
  memset(&cb, 0, sizeof(cb));
  cb.rand = ft_rand;
  CU_ASSERT_FATAL(svrfwd_ctx_new(&a2, &cb, NULL, NULL, NULL) == 0);
  svrfwd_peer_config_default(&pc);
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  memcpy(pc.local_waypoint.addr, m.wa2, 4);
  memcpy(pc.remote_waypoint.addr, m.wb2, 4);
  CU_ASSERT_FATAL(svrfwd_peer_add(a2, &a2b, &pc) == 0);
  CU_ASSERT_FATAL(svrfwd_peer_key_add(a2b, 7, key, 32, 1, 0) == 0);
  r.peer = a2b;
  build(&m, &p, 0, 17, 0, 62);
  CU_ASSERT_EQUAL(svrfwd_ctx_ingress(a2, &p.b, &r, NULL, 2 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(m.t.b, &p.b, NULL, 2 * NS),
                  SVRFWD_ERR_PKT_COLLISION);
  svrfwd_ctx_del(a2);
  /* A's very first packet (seq 1), replayed with other outer ports */
  p = first;
  svr_put_be16(ft_ip(&p) + 20, 20000);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(m.t.b, &p.b, NULL, 3 * NS),
                  SVRFWD_ERR_PKT_REPLAY);
  CU_ASSERT(peer_of(m.b_udp) == m.t.ba);
  /* move, settle, then the first metadata packet on path 2 once more, on
   * another tuple: a replay, refused, and the session stays on path 2 */
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.ab2, 4 * NS), 0);
  build(&m, &p, 0, 17, 0, 63);
  o = p;
  CU_ASSERT_EQUAL(send_half(&m, &p, 0, 4 * NS, NULL), 2);
  {
    ft_pkt late = p;
    CU_ASSERT(recv_half(&m, &p, &o, 0, 4 * NS, NULL));
    CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 64, 5 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 65, 5 * NS), 2);
    CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 66, 5 * NS), 2); /* old key gone */
    svr_put_be16(ft_ip(&late) + 20, 30000);
    CU_ASSERT_EQUAL(svrfwd_ctx_egress(m.t.b, &late.b, NULL, 5 * NS),
                    SVRFWD_ERR_PKT_REPLAY); /* that very packet was seen */
  }
  CU_ASSERT(peer_of(m.b_udp) == m.ba2);
  svrfwd_ctx_get_stats(m.t.b, &st);
  CU_ASSERT_EQUAL(st.drop[-SVRFWD_ERR_PKT_COLLISION - 300], 1);
  CU_ASSERT_EQUAL(st.drop[-SVRFWD_ERR_PKT_REPLAY - 300], 2);
  CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 67, 6 * NS), 2);
  ft_pair_free(&m.t);
}

/* A reordered packet: two metadata packets after the move, the later one
 * arrives first and moves B; the earlier one (inside the window, never
 * seen) is delivered and moves nothing back. */
static void test_move_reordered(void) {
  mt m;
  ft_pkt p1, p2, o1, o2;
  mt_init(&m, SVRFWD_CIPHER_AES256_GCM, 0);
  mt_start(&m);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.ab2, 5 * NS), 0);
  build(&m, &p1, 0, 17, 0, 10);
  o1 = p1;
  CU_ASSERT_EQUAL(send_half(&m, &p1, 0, 6 * NS, NULL), 2);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.t.ab, 6 * NS), 0);
  build(&m, &p2, 0, 17, 0, 11);
  o2 = p2;
  /* back on path 1 (a flap): A still holds path 1's pair as the old one,
   * so it goes out on a new pair of path 1 */
  CU_ASSERT_EQUAL(send_half(&m, &p2, 0, 6 * NS, NULL), 1);
  CU_ASSERT(recv_half(&m, &p2, &o2, 0, 6 * NS, NULL));
  CU_ASSERT(peer_of(m.b_udp) == m.t.ba);
  CU_ASSERT(recv_half(&m, &p1, &o1, 0, 6 * NS, NULL)); /* late: no move */
  CU_ASSERT(peer_of(m.b_udp) == m.t.ba);
  CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 12, 7 * NS), 1);
  CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 13, 7 * NS), 1);
  CU_ASSERT_EQUAL(xfer(&m, 1, 17, 0, 14, 7 * NS), 1);
  CU_ASSERT(!meta_on(m.a_udp) && !meta_on(m.b_udp));
  CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.ab2->wp_udp), 0);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.t.ab->wp_udp), 1);
  CU_ASSERT_EQUAL(drops(m.t.a), 0);
  CU_ASSERT_EQUAL(drops(m.t.b), 0);
  ft_pair_free(&m.t);
}

/* Cipher none: the same UUID with another context is a collision. */
static void test_move_other_context(void) {
  mt m;
  ft_pkt p;
  svrfwd_meta md;
  svrfwd_ssize n;
  mt_init(&m, SVRFWD_CIPHER_NONE, 0);
  mt_start(&m);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.ab2, 5 * NS), 0);
  build(&m, &p, 0, 17, 0, 10);
  CU_ASSERT_EQUAL(send_half(&m, &p, 0, 6 * NS, NULL), 2);
  n = svrfwd_meta_decode(&md, ft_ip(&p) + 28, p.b.len - 28);
  CU_ASSERT_FATAL(n > 0);
  CU_ASSERT_FATAL(md.present & SVRFWD_META_FWD_CTX);
  /* the forward context's client port is at 28 + 12 + TLV offset: find
   * it by value and change it */
  {
    size_t i;
    int done = 0;
    for (i = 28; i + 13 <= (size_t)(28 + n) && !done; i++) {
      if (svr_get_be16(ft_ip(&p) + i) == 2 &&
          svr_get_be16(ft_ip(&p) + i + 2) == 13) {
        svr_put_be16(ft_ip(&p) + i + 4 + 8, 40002); /* sport */
        done = 1;
      }
    }
    CU_ASSERT_FATAL(done);
  }
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(m.t.b, &p.b, NULL, 6 * NS),
                  SVRFWD_ERR_PKT_COLLISION);
  CU_ASSERT(peer_of(m.b_udp) == m.t.ba);
  ft_pair_free(&m.t);
}

/* set_peer's arguments and failures leave the session as it was; the new
 * path must have the key; deleting the old path while its pair is held. */
static void test_set_peer_rules(void) {
  mt m;
  svrfwd_peer *other, *small;
  svrfwd_peer_config pc;
  svrfwd_session_info after;
  static const uint8_t k9[32] = {9};
  mt_init(&m, SVRFWD_CIPHER_AES256_GCM, 0);
  mt_start(&m);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(NULL, m.ab2, 0),
                  SVRFWD_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.ba2, 0),
                  SVRFWD_ERR_INVALID_ARGUMENT); /* B's peer */
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.t.ab, 0), 0); /* no-op */
  CU_ASSERT(!meta_on(m.a_udp));
  svrfwd_peer_config_default(&pc);
  pc.cipher = SVRFWD_CIPHER_NONE;
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  ft_v4(pc.local_waypoint.addr, 203, 0, 113, 21);
  ft_v4(pc.remote_waypoint.addr, 198, 51, 100, 22);
  CU_ASSERT_FATAL(svrfwd_peer_add(m.t.a, &other, &pc) == 0);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, other, 0),
                  SVRFWD_ERR_INVALID_ARGUMENT); /* another cipher */
  pc.cipher = SVRFWD_CIPHER_AES256_GCM;
  pc.waypoints.max_waypoints = 1;
  ft_v4(pc.local_waypoint.addr, 203, 0, 113, 31);
  CU_ASSERT_FATAL(svrfwd_peer_add(m.t.a, &small, &pc) == 0);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, small, 0),
                  SVRFWD_ERR_NO_KEY);
  CU_ASSERT_FATAL(svrfwd_peer_key_add(small, 7, k9, 32, 1, 0) == 0);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, small, 0), 0);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_tcp, small, 0),
                  0); /* TCP allocator: its own max */
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.ab2, 0), 0);
  CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(small->wp_udp), 0); /* released */
  CU_ASSERT_EQUAL(svrfwd_wpalloc_in_use(m.t.ab->wp_udp), 1); /* kept */
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, small, 0),
                  SVRFWD_ERR_WAYPOINTS_QUARANTINE);
  svrfwd_session_get_info(m.a_udp, &after);
  CU_ASSERT(after.peer == m.ab2);
  /* the old path goes away while its pair is still held: no leak, no
   * dangling pair; then the new path works */
  svrfwd_peer_del(m.t.ab);
  m.t.ab = NULL;
  CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 20, 9 * NS), 2);
  CU_ASSERT(peer_of(m.b_udp) == m.ba2);
  ft_pair_free(&m.t);
}

/* The new path must have the security ID the packets use: B's path 2
 * lacks key 8 (its path 1 has it), so A's move is refused there and the
 * session stays on path 1 at B. */
static void test_move_key_missing(void) {
  mt m;
  ft_pkt p;
  static const uint8_t k8[32] = {8};
  svrfwd_ctx_stats st;
  mt_init(&m, SVRFWD_CIPHER_AES256_GCM, 0);
  mt_start(&m);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(m.t.ba, 8, k8, 32, 0, 3 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(m.ab2, 8, k8, 32, 1, 3 * NS), 0);
  CU_ASSERT_EQUAL(svrfwd_session_set_peer(m.a_udp, m.ab2, 5 * NS), 0);
  build(&m, &p, 0, 17, 0, 10);
  CU_ASSERT_EQUAL(send_half(&m, &p, 0, 6 * NS, NULL), 2);
  CU_ASSERT_EQUAL(svrfwd_ctx_egress(m.t.b, &p.b, NULL, 6 * NS),
                  SVRFWD_ERR_PKT_KEY_UNKNOWN);
  CU_ASSERT(peer_of(m.b_udp) == m.t.ba);
  svrfwd_ctx_get_stats(m.t.b, &st);
  CU_ASSERT_EQUAL(st.drop[-SVRFWD_ERR_PKT_KEY_UNKNOWN - 300], 1);
  /* once the host installs it there too, the next packet moves B */
  CU_ASSERT_EQUAL(svrfwd_peer_key_add(m.ba2, 8, k8, 32, 0, 6 * NS), 0);
  CU_ASSERT_EQUAL(xfer(&m, 0, 17, 0, 11, 7 * NS), 2);
  CU_ASSERT(peer_of(m.b_udp) == m.ba2);
  ft_pair_free(&m.t);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"move_at_a", test_move_at_a},
      {"move_at_b_first", test_move_at_b_first},
      {"move_both", test_move_both},
      {"move_transform", test_move_transform},
      {"move_refused", test_move_refused},
      {"move_reordered", test_move_reordered},
      {"move_other_context", test_move_other_context},
      {"set_peer_rules", test_set_peer_rules},
      {"move_key_missing", test_move_key_missing},
      {NULL, NULL}};
  return svr_test_run("fwd_migrate", cases);
}
