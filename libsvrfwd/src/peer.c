/* SPDX-License-Identifier: BSD-2-Clause */
/* Peer paths: waypoint addresses, allocators, keys, transform, hop count. */
#include <string.h>

#include <openssl/crypto.h>

#include "fwd_int.h"

#define FWD_RESERVED_KEY_ID 0x4C48DBC6u /* first 4 cookie bytes */

svrfwd_peer *svrfwd__peer_find(const svrfwd_ctx *ctx, const uint8_t *local,
                               const uint8_t *remote, uint8_t family) {
  svrfwd_peer *p;
  size_t alen = family == 6 ? 16 : 4;
  for (p = ctx->peers; p; p = p->next) {
    if (p->cfg.local_waypoint.family == family &&
        memcmp(p->cfg.local_waypoint.addr, local, alen) == 0 &&
        memcmp(p->cfg.remote_waypoint.addr, remote, alen) == 0) {
      return p;
    }
  }
  return NULL;
}

const fwd_peer_key *svrfwd__peer_tx_key(const svrfwd_peer *peer) {
  return peer->active >= 0 ? &peer->keys[peer->active] : NULL;
}

int svrfwd__peer_has_key(const svrfwd_peer *peer, uint32_t id) {
  int i;
  for (i = 0; i < FWD_PEER_KEYS; i++) {
    if (peer->keys[i].used && peer->keys[i].id == id) {
      return 1;
    }
  }
  return 0;
}

int svrfwd_peer_add_versioned(svrfwd_ctx *ctx, svrfwd_peer **ppeer, int v,
                              const svrfwd_peer_config *cfg) {
  svrfwd_peer *p;
  svrfwd_wp_config wc;
  uint8_t fam;
  int rv;
  if (v != SVRFWD_PEER_CONFIG_V1) {
    return SVRFWD_ERR_VERSION;
  }
  if (!ctx || !ppeer || !cfg || cfg->cipher > SVRFWD_CIPHER_NONE ||
      cfg->ttl_mode > SVRFWD_TTL_AUTO) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  fam = cfg->local_waypoint.family;
  if ((fam != 4 && fam != 6) || cfg->remote_waypoint.family != fam) {
    return SVRFWD_ERR_ADDRESS;
  }
  if (svrfwd__peer_find(ctx, cfg->local_waypoint.addr,
                        cfg->remote_waypoint.addr, fam)) {
    return SVRFWD_ERR_PEER_EXISTS;
  }
  p = svrfwd__calloc(&ctx->mem, 1, sizeof(*p));
  if (!p) {
    return SVRFWD_ERR_NOMEM;
  }
  p->ctx = ctx;
  p->cfg = *cfg;
  p->active = -1;
  p->transform = cfg->udp_transform;
  if (cfg->name) {
    strncpy(p->name, cfg->name, SVRFWD_NAME_MAX);
  }
  p->cfg.name = p->name;
  wc = cfg->waypoints;
  wc.lower = memcmp(cfg->local_waypoint.addr, cfg->remote_waypoint.addr,
                    fam == 6 ? 16 : 4) < 0;
  p->cfg.waypoints = wc;
  if ((rv = svrfwd_wpalloc_new(&p->wp_tcp, &wc, &ctx->mem)) != 0 ||
      (rv = svrfwd_wpalloc_new(&p->wp_udp, &wc, &ctx->mem)) != 0 ||
      (cfg->cipher != SVRFWD_CIPHER_NONE &&
       ((rv = svrfwd__skey_init(&p->rx_probe)) != 0 ||
        (rv = svrfwd__skey_prime(&p->rx_probe, cfg->cipher)) != 0))) {
    svrfwd__skey_free(&p->rx_probe);
    svrfwd_wpalloc_del(p->wp_tcp);
    svrfwd_wpalloc_del(p->wp_udp);
    svrfwd__free(&ctx->mem, p);
    return rv;
  }
  p->next = ctx->peers;
  ctx->peers = p;
  *ppeer = p;
  return 0;
}

void svrfwd__peer_free(svrfwd_peer *p, svrfwd_close_reason why);
void svrfwd__peer_free(svrfwd_peer *p, svrfwd_close_reason why) {
  svrfwd_ctx *ctx = p->ctx;
  svrfwd_session *s, *nx;
  svrfwd_peer **pp;
  for (s = ctx->sessions; s; s = nx) {
    nx = s->next;
    if (s->peer == p) {
      svrfwd__session_close(ctx, s, why, 0);
    }
  }
  for (s = ctx->sessions; s; s = s->next) {
    if (s->wan_old_on && s->old_peer == p) {
      svrfwd__migrate_retire_old(ctx, s, 0); /* moved away from this path */
    }
  }
  for (pp = &ctx->peers; *pp; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  }
  svrfwd_wpalloc_del(p->wp_tcp);
  svrfwd_wpalloc_del(p->wp_udp);
  svrfwd__skey_free(&p->rx_probe);
  OPENSSL_cleanse(p->keys, sizeof(p->keys));
  svrfwd__free(&ctx->mem, p);
}

void svrfwd_peer_del(svrfwd_peer *p) {
  if (p) {
    svrfwd__peer_free(p, SVRFWD_CLOSE_PEER);
  }
}

/* Drops keys whose overlap has ended, so their slots can be reused. */
static void expire_keys(svrfwd_peer *p, svrfwd_tstamp ts) {
  int i;
  for (i = 0; i < FWD_PEER_KEYS; i++) {
    if (p->keys[i].used && i != p->active && p->keys[i].expires <= ts) {
      OPENSSL_cleanse(&p->keys[i], sizeof(p->keys[i]));
    }
  }
}

int svrfwd_peer_key_activate(svrfwd_peer *p, uint32_t id, svrfwd_tstamp ts) {
  int i, found = -1;
  for (i = 0; i < FWD_PEER_KEYS; i++) {
    if (p->keys[i].used && p->keys[i].id == id) {
      found = i;
    }
  }
  if (found < 0) {
    return SVRFWD_ERR_KEY;
  }
  if (p->active >= 0 && p->active != found) {
    svrfwd_duration ov = p->ctx->settings.key_overlap_ns;
    p->keys[p->active].expires = ts > UINT64_MAX - ov ? UINT64_MAX : ts + ov;
    p->ctx->stats.rekeys++;
  }
  p->keys[found].expires = UINT64_MAX;
  p->active = found;
  return 0;
}

int svrfwd_peer_key_add(svrfwd_peer *p, uint32_t id, const uint8_t *key,
                        size_t keylen, int activate, svrfwd_tstamp ts) {
  int i, slot = -1;
  if (!p || !key) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (keylen < 16 || keylen > FWD_MAX_KEY || id == FWD_RESERVED_KEY_ID) {
    return SVRFWD_ERR_KEY;
  }
  expire_keys(p, ts);
  for (i = 0; i < FWD_PEER_KEYS; i++) {
    if (p->keys[i].used && p->keys[i].id == id) {
      slot = i; /* replacing the material of an id: sessions re-derive */
    }
  }
  if (slot < 0) {
    for (i = 0; i < FWD_PEER_KEYS && slot < 0; i++) {
      if (!p->keys[i].used) {
        slot = i;
      }
    }
  }
  if (slot < 0) {
    /* full: replace the oldest non-active key (the one expiring first) */
    for (i = 0; i < FWD_PEER_KEYS; i++) {
      if (i != p->active &&
          (slot < 0 || p->keys[i].expires < p->keys[slot].expires)) {
        slot = i;
      }
    }
  }
  p->keys[slot].used = 1;
  p->keys[slot].id = id;
  memcpy(p->keys[slot].key, key, keylen);
  p->keys[slot].keylen = keylen;
  p->keys[slot].expires = UINT64_MAX;
  {
    svrfwd_session *s;
    for (s = p->ctx->sessions; s; s = s->next) {
      if (s->peer == p) {
        for (i = 0; i < 2; i++) {
          if (s->skeys[i].valid && s->skeys[i].id == id) {
            s->skeys[i].valid = 0;
          }
        }
      }
    }
  }
  return activate ? svrfwd_peer_key_activate(p, id, ts) : 0;
}

int svrfwd_peer_key_remove(svrfwd_peer *p, uint32_t id) {
  svrfwd_session *s;
  int i, k;
  if (!p) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < FWD_PEER_KEYS; i++) {
    if (p->keys[i].used && p->keys[i].id == id) {
      if (i == p->active) {
        return SVRFWD_ERR_KEY;
      }
      OPENSSL_cleanse(&p->keys[i], sizeof(p->keys[i]));
    }
  }
  for (s = p->ctx->sessions; s; s = s->next) {
    if (s->peer == p) {
      for (k = 0; k < 2; k++) {
        if (s->skeys[k].valid && s->skeys[k].id == id) {
          OPENSSL_cleanse(&s->skeys[k], sizeof(s->skeys[k]));
        }
      }
    }
  }
  return 0;
}

void svrfwd_peer_retrigger_metadata(svrfwd_peer *p) {
  svrfwd_session *s;
  for (s = p->ctx->sessions; s; s = s->next) {
    if (s->peer == p) {
      s->meta_tx = 1;
    }
  }
}

void svrfwd_peer_set_udp_transform(svrfwd_peer *p, int on) {
  p->transform = on ? 1 : 0;
}

void svrfwd_peer_set_hop_count(svrfwd_peer *p, uint8_t hops) { p->hops = hops; }
