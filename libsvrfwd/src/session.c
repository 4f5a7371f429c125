/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sessions: creation (the only allocation of the packet path), linking into
 * the flow table and the expiry heap, aging (TCP FIN/RST, idle timeouts),
 * per-session keys and the anti-replay window.
 */
#include <string.h>

#include "fwd_int.h"

#define container_of(p, T, m) ((T *)(void *)((char *)(p)-offsetof(T, m)))

int svrfwd__session_new(svrfwd_ctx *ctx, svrfwd_peer *peer,
                        svrfwd_session **ps) {
  svrfwd_session *s;
  int rv;
  s = svrfwd__calloc(&ctx->mem, 1, sizeof(*s));
  if (!s) {
    return SVRFWD_ERR_NOMEM;
  }
  s->peer = peer;
  s->lan.kind = FWD_KEY_LAN;
  s->wan.kind = FWD_KEY_WAN;
  s->wan_old.kind = FWD_KEY_WAN_OLD;
  s->uid.kind = FWD_KEY_UUID;
  svr_heap_node_init(&s->timer);
  if (peer->cfg.cipher != SVRFWD_CIPHER_NONE) {
    /* the second key slot gets its cipher contexts at the first rekey */
    if ((rv = svrfwd__skey_init(&s->skeys[0])) != 0) {
      svrfwd__free(&ctx->mem, s);
      return rv;
    }
  }
  *ps = s;
  return 0;
}

static void session_free(svrfwd_ctx *ctx, svrfwd_session *s) {
  svrfwd__skey_free(&s->skeys[0]);
  svrfwd__skey_free(&s->skeys[1]);
  svrfwd__free(&ctx->mem, s);
}

void svrfwd__session_discard(svrfwd_ctx *ctx, svrfwd_session *s) {
  session_free(ctx, s);
}

static svrfwd_duration session_timeout(const svrfwd_ctx *ctx,
                                       const svrfwd_session *s) {
  if (s->closing) {
    return ctx->settings.tcp_linger_ns;
  }
  return s->orig_proto == 6 ? ctx->settings.tcp_idle_ns
                            : ctx->settings.udp_idle_ns;
}

static svrfwd_tstamp deadline(const svrfwd_session *s) {
  return s->last_active > UINT64_MAX - s->timeout ? UINT64_MAX
                                                  : s->last_active + s->timeout;
}

void svrfwd__session_link(svrfwd_ctx *ctx, svrfwd_session *s,
                          svrfwd_tstamp ts) {
  svrfwd__flow_swap(&s->to_peer, &s->wan.key);
  svrfwd__flow_swap(&s->to_host, &s->lan.key);
  svrfwd__uuid_key(&s->uid.key, s->uuid);
  svrfwd__table_insert(&ctx->table, &s->lan);
  svrfwd__table_insert(&ctx->table, &s->wan);
  svrfwd__table_insert(&ctx->table, &s->uid);
  s->next = ctx->sessions;
  s->prev = NULL;
  if (ctx->sessions) {
    ctx->sessions->prev = s;
  }
  ctx->sessions = s;
  s->created = ts;
  s->last_active = ts;
  s->timeout = session_timeout(ctx, s);
  svr_heap_insert(&ctx->heap, &s->timer, deadline(s));
  s->peer->nsessions++;
  ctx->stats.sessions_created++;
  ctx->stats.sessions++;
  if (ctx->cb.session_new) {
    ctx->cb.session_new(ctx, s, ctx->user_data);
  }
}

void svrfwd__session_close(svrfwd_ctx *ctx, svrfwd_session *s,
                           svrfwd_close_reason why, svrfwd_tstamp ts) {
  if (ctx->cb.session_closed) {
    ctx->cb.session_closed(ctx, s, why, ctx->user_data);
  }
  svrfwd__table_remove(&ctx->table, &s->lan);
  svrfwd__table_remove(&ctx->table, &s->wan);
  svrfwd__table_remove(&ctx->table, &s->uid);
  if (s->wan_old_on) {
    svrfwd__migrate_retire_old(ctx, s, ts);
  }
  svr_heap_remove(&ctx->heap, &s->timer);
  if (s->prev) {
    s->prev->next = s->next;
  } else {
    ctx->sessions = s->next;
  }
  if (s->next) {
    s->next->prev = s->prev;
  }
  if (s->wp_own) {
    svrfwd_wpalloc_free(s->wp_own, s->self_port, s->peer_port, ts);
  }
  s->peer->nsessions--;
  ctx->stats.sessions_closed++;
  ctx->stats.sessions--;
  session_free(ctx, s);
}

void svrfwd__session_touch(svrfwd_session *s, uint8_t fl, int from_lan,
                           svrfwd_tstamp ts) {
  svrfwd_ctx *ctx = s->peer->ctx;
  if (ts > s->last_active) {
    s->last_active = ts;
  }
  if (s->orig_proto == 6 && !s->closing) {
    if (fl & 0x04) {
      s->rst = 1;
    }
    if (fl & 0x01) {
      if (from_lan) {
        s->fin_lan = 1;
      } else {
        s->fin_wan = 1;
      }
    }
    if (s->rst || (s->fin_lan && s->fin_wan)) {
      s->closing = 1;
      s->timeout = session_timeout(ctx, s);
      svr_heap_update(&ctx->heap, &s->timer, deadline(s));
    }
  }
}

svrfwd_tstamp svrfwd_ctx_get_expiry(const svrfwd_ctx *ctx) {
  return svr_heap_min_key(&ctx->heap);
}

int svrfwd_ctx_handle_expiry(svrfwd_ctx *ctx, svrfwd_tstamp ts) {
  svr_heap_node *n;
  while ((n = svr_heap_min(&ctx->heap)) != NULL && n->key <= ts) {
    svrfwd_session *s = container_of(n, svrfwd_session, timer);
    svrfwd_tstamp d = deadline(s);
    if (d > ts) {
      /* activity since it was scheduled: aging is lazy, re-arm */
      svr_heap_update(&ctx->heap, n, d);
      continue;
    }
    svrfwd__session_close(ctx, s,
                          s->rst ? SVRFWD_CLOSE_RST
                             : (s->closing ? SVRFWD_CLOSE_FIN
                                           : SVRFWD_CLOSE_IDLE),
                          ts);
  }
  return 0;
}

/* The peer key |id|: installed and, to receive with, not expired. */
static int peer_key(const svrfwd_peer *peer, uint32_t id, int for_tx,
                    svrfwd_tstamp ts, const fwd_peer_key **ppk) {
  const fwd_peer_key *pkey = NULL;
  int i;
  for (i = 0; i < FWD_PEER_KEYS; i++) {
    if (peer->keys[i].used && peer->keys[i].id == id) {
      pkey = &peer->keys[i];
    }
  }
  if (!pkey) {
    return SVRFWD_ERR_PKT_KEY_UNKNOWN;
  }
  if (!for_tx && pkey->expires <= ts) {
    return SVRFWD_ERR_PKT_KEY_EXPIRED;
  }
  *ppk = pkey;
  return 0;
}

/* The slot of |s| holding key |id|, or NULL. */
static fwd_skey *slot_with(const svrfwd_session *s, uint32_t id) {
  int i;
  for (i = 0; i < 2; i++) {
    if (s->skeys[i].valid && s->skeys[i].id == id) {
      return (fwd_skey *)&s->skeys[i];
    }
  }
  return NULL;
}

/* Where a new key of |s| goes: a free slot, else the one not used for
 * sending; with its cipher contexts (allocated at the first rekey). */
static int free_slot(svrfwd_session *s, fwd_skey **pslot) {
  fwd_skey *slot;
  int rv;
  if (!s->skeys[0].valid) {
    slot = &s->skeys[0];
  } else if (!s->skeys[1].valid) {
    slot = &s->skeys[1];
  } else {
    const fwd_peer_key *tx = svrfwd__peer_tx_key(s->peer);
    slot = (tx && s->skeys[0].id == tx->id) ? &s->skeys[1] : &s->skeys[0];
  }
  if (!slot->enc && (rv = svrfwd__skey_init(slot)) != 0) {
    return rv;
  }
  *pslot = slot;
  return 0;
}

int svrfwd__session_key(svrfwd_session *s, uint32_t id, int for_tx,
                        svrfwd_tstamp ts, fwd_skey **pk) {
  svrfwd_peer *peer = s->peer;
  const fwd_peer_key *pkey = NULL;
  fwd_skey *slot;
  int rv;
  if ((rv = peer_key(peer, id, for_tx, ts, &pkey)) != 0) {
    return rv;
  }
  if ((slot = slot_with(s, id)) != NULL) {
    *pk = slot;
    return 0;
  }
  if ((rv = free_slot(s, &slot)) != 0) {
    return rv;
  }
  rv = svrfwd__skey_derive(slot, peer->cfg.cipher, pkey, s->uuid);
  if (rv != 0) {
    return rv;
  }
  *pk = slot;
  return 0;
}

int svrfwd__rx_key(svrfwd_peer *peer, const svrfwd_session *s,
                   const uint8_t uuid[16], uint32_t id, svrfwd_tstamp ts,
                   fwd_skey **pk) {
  const fwd_peer_key *pkey = NULL;
  fwd_skey *slot;
  int rv;
  if ((rv = peer_key(peer, id, 0, ts, &pkey)) != 0) {
    return rv;
  }
  if (s && (slot = slot_with(s, id)) != NULL) {
    *pk = slot;
    return 0;
  }
  if (!peer->rx_probe.enc) {
    return SVRFWD_ERR_CRYPTO; /* a peer without a cipher has no keys */
  }
  rv = svrfwd__skey_derive(&peer->rx_probe, peer->cfg.cipher, pkey,
                           s ? s->uuid : uuid);
  if (rv != 0) {
    return rv;
  }
  *pk = &peer->rx_probe;
  return 0;
}

int svrfwd__rx_key_commit(svrfwd_session *s, fwd_skey *k) {
  svrfwd_peer *peer = s->peer;
  fwd_skey *slot, t;
  int rv;
  if (k != &peer->rx_probe) {
    return 0; /* a key the session had */
  }
  if ((rv = free_slot(s, &slot)) != 0) {
    return rv;
  }
  /* the verified key takes the slot; the slot's cipher contexts (and any
   * key left in them) become the next probe, primed again so the next
   * derivation into it allocates nothing */
  t = *slot;
  *slot = *k;
  *k = t;
  if (svrfwd__skey_prime(k, peer->cfg.cipher) != 0) {
    k->valid = 0; /* still usable: the next derivation keys it in full */
  }
  return 0;
}

int svrfwd__replay_check(const svrfwd_session *s, uint64_t seq) {
  if (seq == 0) {
    return SVRFWD_ERR_PKT_REPLAY;
  }
  if (seq > s->rx_top) {
    return 0;
  }
  if (s->rx_top - seq >= FWD_REPLAY_WINDOW ||
      (s->rx_bitmap >> (s->rx_top - seq)) & 1) {
    return SVRFWD_ERR_PKT_REPLAY;
  }
  return 0;
}

void svrfwd__replay_update(svrfwd_session *s, uint64_t seq) {
  if (seq > s->rx_top) {
    uint64_t shift = seq - s->rx_top;
    s->rx_bitmap = shift >= FWD_REPLAY_WINDOW ? 0 : s->rx_bitmap << shift;
    s->rx_bitmap |= 1;
    s->rx_top = seq;
  } else {
    s->rx_bitmap |= (uint64_t)1 << (s->rx_top - seq);
  }
}

void(svrfwd_session_get_info)(const svrfwd_session *s,
                             svrfwd_session_info *info) {
  const fwd_peer_key *k = svrfwd__peer_tx_key(s->peer);
  memset(info, 0, sizeof(*info));
  memcpy(info->uuid, s->uuid, 16);
  info->originator = s->originator;
  info->meta_tx = s->meta_tx;
  info->transformed = s->transformed && s->orig_proto == 6;
  info->tx_security_id = k ? k->id : 0;
  info->lan = s->lan.key;
  info->wan = s->wan.key;
  memcpy(info->tenant, s->tenant, sizeof(info->tenant));
  memcpy(info->service, s->service, sizeof(info->service));
  memcpy(info->peer_router, s->peer_router, sizeof(info->peer_router));
  info->tx_packets = s->tx_packets;
  info->rx_packets = s->rx_packets;
  info->tx_bytes = s->tx_bytes;
  info->rx_bytes = s->rx_bytes;
  info->peer = s->peer;
  info->self_port = s->wan.key.dport;
  info->peer_port = s->wan.key.sport;
  info->last_active = s->last_active;
  info->created = s->created;
}

int svrfwd_ctx_session_foreach(svrfwd_ctx *ctx, svrfwd_session_cb cb,
                               void *user_data) {
  svrfwd_session *s, *nx;
  if (!ctx || !cb) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  for (s = ctx->sessions; s; s = nx) {
    int rv;
    nx = s->next;
    if ((rv = cb(s, user_data)) != 0) {
      return rv;
    }
  }
  return 0;
}

/* The bytes of svrfwd_session_info that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrfwd_session_get_info_size(int v) {
  return v == SVRFWD_SESSION_INFO_V1 ? sizeof(svrfwd_session_info) : 0;
}

int svrfwd_session_get_info_versioned(const svrfwd_session *o, int v, svrfwd_session_info *out) {
  svrfwd_session_info full;
  size_t n = svrfwd_session_get_info_size(v);
  if (n == 0) {
    return SVRFWD_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  (svrfwd_session_get_info)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
