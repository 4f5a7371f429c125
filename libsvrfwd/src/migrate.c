/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sessions moving between peer paths of one peer router (path failover,
 * docs/libsvrfwd.md section 9).
 *
 * The router that moves a session takes a waypoint pair on the new path
 * from its own allocator and sends metadata on it.  The allocators of the
 * two routers never hand out the same pair (the even/odd rule, or the
 * half-range rule), so a pair either router takes is free at both.  The
 * other router, when metadata with the session's UUID and context arrives
 * on a tuple it does not know, adopts that tuple.  If both move at once,
 * the originator's pair wins: an originator that has not yet seen its own
 * move acknowledged does not adopt the peer's pair, and the peer adopts the
 * originator's.
 *
 * Make before break: the previous wan key stays in the table (wan_old)
 * until a packet arrives on the new one, so packets the peer sends on the
 * old pair before it learns of the move are still delivered.
 */
#include <string.h>

#include "fwd_int.h"

#define container_of(p, T, m) ((T *)(void *)((char *)(p)-offsetof(T, m)))

void svrfwd__uuid_key(svrfwd_flow *k, const uint8_t uuid[16]) {
  memset(k, 0, sizeof(*k)); /* family 0: no packet tuple has it */
  memcpy(k->src, uuid, 16);
}

svrfwd_session *svrfwd__session_by_uuid(const svrfwd_ctx *ctx,
                                        const uint8_t uuid[16]) {
  svrfwd_flow k;
  fwd_hnode *n;
  svrfwd__uuid_key(&k, uuid);
  n = svrfwd__table_find(&ctx->table, &k, FWD_KEY_UUID);
  return n ? container_of(n, svrfwd_session, uid) : NULL;
}

void svrfwd__migrate_retire_old(svrfwd_ctx *ctx, svrfwd_session *s,
                                svrfwd_tstamp ts) {
  if (!s->wan_old_on) {
    return;
  }
  svrfwd__table_remove(&ctx->table, &s->wan_old);
  if (s->old_wp_own) {
    svrfwd_wpalloc_free(s->old_wp_own, s->old_self_port, s->old_peer_port,
                        ts);
  }
  s->old_wp_own = NULL;
  s->old_peer = NULL;
  s->wan_old_on = 0;
}

/*
 * Takes the current wan key out of the table before a new one goes in.
 * The previous key stays accepted unless an older one is already held: the
 * older one is then the last the peer confirmed (no packet came on the
 * current one since the last move), so the current one is released.
 */
static void demote_wan(svrfwd_ctx *ctx, svrfwd_session *s, svrfwd_tstamp ts) {
  svrfwd__table_remove(&ctx->table, &s->wan);
  if (s->wan_old_on) {
    if (s->wp_own) {
      svrfwd_wpalloc_free(s->wp_own, s->self_port, s->peer_port, ts);
    }
  } else {
    s->wan_old.key = s->wan.key;
    s->old_wp_own = s->wp_own;
    s->old_self_port = s->self_port;
    s->old_peer_port = s->peer_port;
    s->old_peer = s->peer;
    svrfwd__table_insert(&ctx->table, &s->wan_old);
    s->wan_old_on = 1;
  }
  s->wp_own = NULL;
  s->self_port = s->peer_port = 0;
}

static void set_wan(svrfwd_ctx *ctx, svrfwd_session *s, svrfwd_peer *np,
                    const svrfwd_flow *wan) {
  s->wan.key = *wan;
  svrfwd__table_insert(&ctx->table, &s->wan);
  svrfwd__flow_swap(&s->to_peer, &s->wan.key);
  s->transformed = s->orig_proto != wan->proto;
  if (np != s->peer) {
    s->peer->nsessions--;
    np->nsessions++;
    s->peer = np;
  }
}

int svrfwd_session_set_peer(svrfwd_session *s, svrfwd_peer *np,
                            svrfwd_tstamp ts) {
  svrfwd_ctx *ctx;
  svrfwd_wpalloc *wa;
  svrfwd_flow wan;
  uint16_t self_port, peer_port;
  uint8_t outer;
  size_t alen;
  int rv;
  if (!s || !np || np->ctx != s->peer->ctx) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (np->cfg.local_waypoint.family != s->lan.key.family) {
    return SVRFWD_ERR_ADDRESS;
  }
  if (np->cfg.cipher != s->peer->cfg.cipher) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (np == s->peer) {
    return 0;
  }
  if (np->cfg.cipher != SVRFWD_CIPHER_NONE && np->active < 0) {
    return SVRFWD_ERR_NO_KEY;
  }
  ctx = np->ctx;
  /* the new path's transform verdict applies (TCP); ICMP always rides UDP */
  outer = s->orig_proto == 6 ? (np->transform ? 17 : 6) : 17;
  wa = outer == 6 ? np->wp_tcp : np->wp_udp;
  if ((rv = svrfwd_wpalloc_alloc(wa, &self_port, &peer_port, ts)) != 0) {
    return rv;
  }
  alen = s->lan.key.family == 6 ? 16 : 4;
  memset(&wan, 0, sizeof(wan));
  wan.family = s->lan.key.family;
  wan.proto = outer;
  memcpy(wan.src, np->cfg.remote_waypoint.addr, alen);
  memcpy(wan.dst, np->cfg.local_waypoint.addr, alen);
  wan.sport = peer_port;
  wan.dport = self_port;
  if (svrfwd__table_find(&ctx->table, &wan, FWD_KEY_WAN) ||
      svrfwd__table_find(&ctx->table, &wan, FWD_KEY_WAN_OLD)) {
    /* a pair the peer router chose: the two routers' ranges disagree */
    svrfwd_wpalloc_free(wa, self_port, peer_port, ts);
    return SVRFWD_ERR_PORT_RANGE;
  }
  demote_wan(ctx, s, ts);
  set_wan(ctx, s, np, &wan);
  s->wp_own = wa;
  s->self_port = self_port;
  s->peer_port = peer_port;
  s->meta_tx = 1; /* the peer learns the new pair from our metadata */
  s->moving = 1;
  return 0;
}

int svrfwd__migrate_check(const svrfwd_session *s, const fwd_pkt *pp,
                          const svrfwd_meta *m) {
  svrfwd_flow want;
  uint8_t orig = s->orig_proto;
  /* from the originator: its forward context; towards it: the reverse */
  uint32_t need = s->originator ? SVRFWD_META_REV_CTX : SVRFWD_META_FWD_CTX;
  if (!(m->present & (SVRFWD_META_FWD_CTX | SVRFWD_META_REV_CTX))) {
    return SVRFWD_ERR_PKT_META_MISSING;
  }
  if (!(m->present & need)) {
    return SVRFWD_ERR_PKT_COLLISION;
  }
  svrfwd__flow_swap(&want, s->originator ? &m->rev_ctx : &m->fwd_ctx);
  if (!svrfwd__flow_eq(&want, &s->lan.key)) {
    return SVRFWD_ERR_PKT_COLLISION; /* same UUID, another flow */
  }
  /* the outer protocol: TCP or UDP itself, or UDP carrying TCP or ICMP
   * (egress takes only TCP and UDP from a peer) */
  if (pp->flow.proto == 17
          ? !(orig == 17 || orig == 6 || fwd_proto_is_icmp(orig))
          : orig != 6) {
    return SVRFWD_ERR_PKT_META_TLV;
  }
  if ((m->present & SVRFWD_META_TCP_SYN) &&
      !(orig == 6 && pp->flow.proto == 17)) {
    return SVRFWD_ERR_PKT_META_TLV; /* TLV 12 only on TCP carried as UDP */
  }
  return 0;
}

void svrfwd__migrate_adopt(svrfwd_ctx *ctx, svrfwd_session *s, svrfwd_peer *np,
                           const fwd_pkt *pp, svrfwd_tstamp ts) {
  demote_wan(ctx, s, ts);
  set_wan(ctx, s, np, &pp->flow);
  s->moving = 0;
}
