/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The context: sessions, their discriminator and address tables, the
 * expiry heap and the ready list, and the sans-I/O entry points
 * (read_pkt / write_pkt / get_expiry / handle_expiry).
 */
#include <stddef.h>
#include <string.h>

#include "bfd_int.h"
#include "svr_meta.h"


void svrbfd_settings_default_versioned(int settings_version,
                                       svrbfd_settings *settings) {
  (void)settings_version;
  if (settings == NULL) {
    return;
  }
  memset(settings, 0, sizeof(*settings));
}

/* Bytes of svrbfd_session_config a caller built for |config_version|
 * knows about (fields are only ever appended); 0 = unknown version. */
static size_t bfd_config_size(int config_version) {
  switch (config_version) {
  case SVRBFD_SESSION_CONFIG_V1:
    return offsetof(svrbfd_session_config, min_rx_ttl);
  case SVRBFD_SESSION_CONFIG_V2:
    return sizeof(svrbfd_session_config);
  default:
    return 0;
  }
}

void svrbfd_session_config_default_versioned(int config_version,
                                             svrbfd_session_config *cfg) {
  svrbfd_session_config d;
  size_t n = bfd_config_size(config_version);
  if (cfg == NULL || n == 0) {
    return;
  }
  memset(&d, 0, sizeof(d));
  d.mode = SVRBFD_MODE_SVR;
  d.desired_min_tx_us = 1000000;
  d.required_min_rx_us = 500000;
  d.required_min_echo_rx_us = 0;
  d.detect_mult = 3;
  d.send_metadata = 1;
  d.auth.type = SVRBFD_AUTH_NONE;
  d.hold_down_ns = 5 * SVRBFD_SECONDS;
  d.damping = 0;
  d.damping_max_ns = 3600 * SVRBFD_SECONDS;
  d.min_rx_ttl = 0;
  memcpy(cfg, &d, n); /* an older caller's struct is only |n| bytes */
}

uint16_t svrbfd_mode_port(svrbfd_mode mode) { return bfd_mode_port(mode); }

static void bfd_copy_name(char *dst, const char *src) {
  size_t n = 0;
  if (src) {
    n = strlen(src);
    if (n > SVRBFD_NAME_MAX - 1) {
      n = SVRBFD_NAME_MAX - 1;
    }
    memcpy(dst, src, n);
  }
  dst[n] = '\0';
}

int svrbfd_ctx_new_versioned(svrbfd_ctx **pctx, int callbacks_version,
                             const svrbfd_callbacks *callbacks,
                             int settings_version,
                             const svrbfd_settings *settings,
                             const svrbfd_mem *mem, void *user_data) {
  svrbfd_ctx *ctx;
  svrbfd_settings defaults;
  size_t hint;
  int rv;

  if (pctx == NULL || callbacks == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  *pctx = NULL;
  if (callbacks_version != SVRBFD_CALLBACKS_V1 ||
      settings_version != SVRBFD_SETTINGS_V1) {
    return SVRBFD_ERR_VERSION;
  }
  if (callbacks->rand == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (mem == NULL) {
    mem = svrbfd__mem_default();
  } else if (!mem->malloc || !mem->free || !mem->calloc || !mem->realloc) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (settings == NULL) {
    svrbfd_settings_default(&defaults);
    settings = &defaults;
  }
  ctx = svrbfd__calloc(mem, 1, sizeof(*ctx));
  if (ctx == NULL) {
    return SVRBFD_ERR_NOMEM;
  }
  ctx->mem = *mem;
  ctx->cb = *callbacks;
  ctx->user_data = user_data;
  ctx->log_printf = settings->log_printf;
  bfd_copy_name(ctx->router_name, settings->router_name);
  bfd_copy_name(ctx->node_name, settings->node_name);
  hint = settings->sessions_hint ? settings->sessions_hint : 64;
  if (hint > ((size_t)1 << 28)) {
    hint = (size_t)1 << 28;
  }
  rv = svrbfd__tab_init(&ctx->by_discr, &ctx->mem, hint);
  if (rv == 0) {
    rv = svrbfd__tab_init(&ctx->by_pair, &ctx->mem, hint);
  }
  if (rv != 0) {
    svrbfd__tab_free(&ctx->by_discr, &ctx->mem);
    svrbfd__tab_free(&ctx->by_pair, &ctx->mem);
    svrbfd__free(&ctx->mem, ctx);
    return rv;
  }
  ctx->cb.rand((uint8_t *)&ctx->rng, sizeof(ctx->rng), user_data);
  *pctx = ctx;
  return 0;
}

void svrbfd_ctx_del(svrbfd_ctx *ctx) {
  svrbfd_session *s, *next;
  svrbfd_mem mem;
  if (ctx == NULL) {
    return;
  }
  mem = ctx->mem;
  for (s = ctx->first; s; s = next) {
    next = s->next;
    svrbfd_pq_path_del(s->pq);
    svrbfd__auth_keyed_free(&mem, s->hmac);
    svrbfd__free(&mem, s);
  }
  svrbfd__pq_ctx_free(ctx);
  svrbfd__theap_free(&ctx->theap, &mem);
  svrbfd__tab_free(&ctx->by_discr, &mem);
  svrbfd__tab_free(&ctx->by_pair, &mem);
  svrbfd__free(&mem, ctx);
}

/* ---- ready list and heap ----------------------------------------------- */

void svrbfd__ctx_ready_push(svrbfd_ctx *ctx, svrbfd_session *s) {
  if (s->on_ready || s->deleted) {
    return;
  }
  s->on_ready = 1;
  s->rnext = NULL;
  s->rprev = ctx->rtail;
  if (ctx->rtail) {
    ctx->rtail->rnext = s;
  } else {
    ctx->rhead = s;
  }
  ctx->rtail = s;
}

void svrbfd__ctx_ready_remove(svrbfd_ctx *ctx, svrbfd_session *s) {
  if (!s->on_ready) {
    return;
  }
  if (s->rprev) {
    s->rprev->rnext = s->rnext;
  } else {
    ctx->rhead = s->rnext;
  }
  if (s->rnext) {
    s->rnext->rprev = s->rprev;
  } else {
    ctx->rtail = s->rprev;
  }
  s->rprev = s->rnext = NULL;
  s->on_ready = 0;
}

void svrbfd__session_reschedule(svrbfd_session *s) {
  svrbfd_tstamp k = s->next_tx;
  if (s->deleted) {
    svrbfd__theap_remove(&s->ctx->theap, s);
    return;
  }
  if (s->detect_at < k) {
    k = s->detect_at;
  }
  if (s->seq_reset_at < k) {
    k = s->seq_reset_at;
  }
  if (s->hold_at < k) {
    k = s->hold_at;
  }
  if (s->decay_at < k) {
    k = s->decay_at;
  }
  if (s->pq) {
    svrbfd_tstamp e = svrbfd__pq_session_deadline(s);
    if (e < k) {
      k = e;
    }
  }
  if (k == BFD_NEVER) {
    svrbfd__theap_remove(&s->ctx->theap, s);
  } else {
    svrbfd__theap_set(&s->ctx->theap, s, k);
  }
}

svrbfd_tstamp svrbfd_ctx_get_expiry(const svrbfd_ctx *ctx) {
  if (ctx == NULL) {
    return SVRBFD_TSTAMP_MAX;
  }
  if (ctx->rhead || svrbfd__pq_ctx_pending(ctx)) {
    return 0; /* packets are waiting for write_pkt */
  }
  return ctx->theap.len ? ctx->theap.a[0].key : SVRBFD_TSTAMP_MAX;
}

static int bfd_handle_expiry(svrbfd_ctx *ctx, svrbfd_tstamp ts) {
  while (ctx->theap.len && ctx->theap.a[0].key <= ts) {
    svrbfd_session *s = ctx->theap.a[0].s;
    int rv;
    if (s->deleted) {
      svrbfd__theap_remove(&ctx->theap, s);
      continue;
    }
    /* echo deadlines first: svrbfd__session_expiry reschedules with them */
    rv = svrbfd__pq_session_expiry(s, ts);
    if (rv == 0) {
      rv = svrbfd__session_expiry(s, ts);
    }
    if (rv != 0) {
      return rv;
    }
  }
  return 0;
}

int svrbfd_ctx_handle_expiry(svrbfd_ctx *ctx, svrbfd_tstamp ts) {
  int rv;
  if (ctx == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  svrbfd__ctx_enter(ctx);
  rv = bfd_handle_expiry(ctx, ts);
  svrbfd__ctx_leave(ctx);
  return rv;
}

svrbfd_ssize svrbfd_ctx_write_pkt(svrbfd_ctx *ctx, svrbfd_path *path,
                                  uint8_t *buf, size_t buflen,
                                  svrbfd_tstamp ts) {
  int rv;
  if (ctx == NULL || path == NULL || buf == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  rv = svrbfd_ctx_handle_expiry(ctx, ts);
  if (rv != 0) {
    return rv;
  }
  while (ctx->rhead) {
    svrbfd_session *s = ctx->rhead;
    svrbfd_ssize n = svrbfd__session_build(s, path, buf, buflen, ts);
    if (n < 0) {
      return n; /* NOBUF keeps it queued */
    }
    svrbfd__ctx_ready_remove(ctx, s);
    svrbfd__session_reschedule(s);
    if (n > 0) {
      ctx->stats.tx_packets++;
      return n;
    }
  }
  /* then echo replies we reflect and echo requests of our sessions */
  {
    svrbfd_ssize n = svrbfd__pq_ctx_write(ctx, path, buf, buflen, ts);
    if (n > 0) {
      ctx->stats.tx_packets++;
    }
    return n;
  }
}

/* ---- receive ------------------------------------------------------------ */

static svrbfd_session *bfd_find_by_discr(const svrbfd_ctx *ctx, uint32_t d) {
  uint64_t h = svrbfd__hash_u32(d);
  size_t pos = (size_t)-1;
  svrbfd_session *s;
  while ((s = svrbfd__tab_next(&ctx->by_discr, h, &pos)) != NULL) {
    if (s->local_discr == d) {
      return s;
    }
  }
  return NULL;
}

static svrbfd_session *bfd_find_by_pair(const svrbfd_ctx *ctx,
                                        const svrbfd_addr *local,
                                        const svrbfd_addr *remote) {
  uint64_t h = svrbfd__hash_pair(local, remote);
  size_t pos = (size_t)-1;
  svrbfd_session *s;
  while ((s = svrbfd__tab_next(&ctx->by_pair, h, &pos)) != NULL) {
    if (svrbfd__addr_ip_equal(&s->cfg.local, local) &&
        svrbfd__addr_ip_equal(&s->cfg.remote, remote)) {
      return s;
    }
  }
  return NULL;
}

static int bfd_drop(svrbfd_ctx *ctx, svrbfd_session *s, int code) {
  if (code <= SVRBFD_ERR_PKT_SHORT && code >= SVRBFD_ERR_PKT_ADMIN_DOWN) {
    ctx->stats.rx_drop[-(code)-300]++;
  }
  if (s) {
    s->rx_drops++;
    if (code <= SVRBFD_ERR_PKT_AUTH_MISSING &&
        code >= SVRBFD_ERR_PKT_AUTH_DIGEST) {
      s->auth_failures++;
    }
  }
  return code;
}

static int bfd_read_pkt(svrbfd_ctx *ctx, const svrbfd_path *path,
                        const uint8_t *data, size_t datalen,
                        svrbfd_tstamp ts);

int svrbfd_ctx_read_pkt(svrbfd_ctx *ctx, const svrbfd_path *path,
                        const uint8_t *data, size_t datalen,
                        svrbfd_tstamp ts) {
  int rv;
  if (ctx == NULL || path == NULL || (data == NULL && datalen)) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  svrbfd__ctx_enter(ctx);
  rv = bfd_read_pkt(ctx, path, data, datalen, ts);
  svrbfd__ctx_leave(ctx);
  return rv;
}

static int bfd_read_pkt(svrbfd_ctx *ctx, const svrbfd_path *path,
                        const uint8_t *data, size_t datalen,
                        svrbfd_tstamp ts) {
  svrbfd_pkt pkt;
  svrbfd_session *s;
  int rv;

  ctx->stats.rx_packets++;
  if (svr_demux_classify(data, datalen) == SVR_DEMUX_CONTROL) {
    /* an SVR control datagram: echo request or reply (pq_session.c) */
    return svrbfd__pq_ctx_read(ctx, path, data, datalen, ts);
  }
  rv = svrbfd_pkt_decode(&pkt, data, datalen); /* 6.8.6 steps 1-6 */
  if (rv != 0) {
    return bfd_drop(ctx, NULL, rv);
  }
  if (pkt.your_discr != 0) { /* step 7 */
    s = bfd_find_by_discr(ctx, pkt.your_discr);
  } else {
    if (pkt.state != SVRBFD_STATE_DOWN &&
        pkt.state != SVRBFD_STATE_ADMIN_DOWN) { /* step 8 */
      return bfd_drop(ctx, NULL, SVRBFD_ERR_PKT_YOUR_DISCR);
    }
    /* step 9: by (local IP, remote IP), then a wildcard local */
    s = bfd_find_by_pair(ctx, &path->local, &path->remote);
    if (s == NULL) {
      svrbfd_addr any;
      memset(&any, 0, sizeof(any));
      s = bfd_find_by_pair(ctx, &any, &path->remote);
    }
  }
  if (s == NULL) {
    return bfd_drop(ctx, NULL, SVRBFD_ERR_PKT_NO_SESSION);
  }
  /* RFC 5881 section 5 (GTSM), before any crypto; -1 = unknown TTL. */
  if (s->cfg.mode == SVRBFD_MODE_RFC5881 &&
      s->cfg.auth.type == SVRBFD_AUTH_NONE && path->ttl >= 0 &&
      path->ttl != 255) {
    return bfd_drop(ctx, s, SVRBFD_ERR_PKT_TTL);
  }
  /* RFC 5883 section 5: a configured floor on the received TTL. */
  if (s->cfg.mode == SVRBFD_MODE_RFC5883 && path->ttl >= 0 &&
      path->ttl < s->cfg.min_rx_ttl) {
    return bfd_drop(ctx, s, SVRBFD_ERR_PKT_TTL);
  }
  /* step 10 */
  if (pkt.auth_present && s->cfg.auth.type == SVRBFD_AUTH_NONE) {
    return bfd_drop(ctx, s, SVRBFD_ERR_PKT_AUTH_UNEXPECTED);
  }
  if (!pkt.auth_present && s->cfg.auth.type != SVRBFD_AUTH_NONE) {
    return bfd_drop(ctx, s, SVRBFD_ERR_PKT_AUTH_MISSING);
  }
  if (pkt.auth_present) {
    rv = svrbfd__auth_verify(s, &pkt, data);
    if (rv != 0) {
      if (svrbfd_err_is_fatal(rv)) {
        return rv;
      }
      return bfd_drop(ctx, s, rv);
    }
  }
  rv = svrbfd__session_rx(s, path, &pkt, data, datalen, ts);
  svrbfd__session_reschedule(s);
  if (rv == SVRBFD_ERR_PKT_ADMIN_DOWN) {
    return bfd_drop(ctx, s, rv);
  }
  if (rv == 0) {
    ctx->stats.rx_accepted++;
  }
  return rv;
}

/* ---- sessions ------------------------------------------------------------ */

static int bfd_check_config(const svrbfd_session_config *cfg) {
  if (cfg->remote.family != 4 && cfg->remote.family != 6) {
    return SVRBFD_ERR_ADDRESS;
  }
  if (cfg->local.family != 0 && cfg->local.family != cfg->remote.family) {
    return SVRBFD_ERR_ADDRESS;
  }
  if (cfg->mode != SVRBFD_MODE_SVR && cfg->mode != SVRBFD_MODE_RFC5881 &&
      cfg->mode != SVRBFD_MODE_RFC5883) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  /* RFC 5883 section 3: no Echo over multiple hops; a TTL floor only
   * means something there (single hop checks 255, SVR mode none). */
  if (cfg->mode == SVRBFD_MODE_RFC5883 && cfg->required_min_echo_rx_us != 0) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (cfg->mode != SVRBFD_MODE_RFC5883 && cfg->min_rx_ttl != 0) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (cfg->detect_mult < 3 || cfg->detect_mult > 20) {
    return SVRBFD_ERR_DETECT_MULT;
  }
  if (cfg->desired_min_tx_us == 0 ||
      cfg->desired_min_tx_us > BFD_MAX_INTERVAL_US ||
      cfg->required_min_rx_us > BFD_MAX_INTERVAL_US ||
      cfg->required_min_echo_rx_us > BFD_MAX_INTERVAL_US) {
    return SVRBFD_ERR_INTERVAL;
  }
  return svrbfd__auth_config_check(&cfg->auth);
}

int svrbfd_session_new_versioned(svrbfd_ctx *ctx, svrbfd_session **psession,
                                 int config_version,
                                 const svrbfd_session_config *cfg,
                                 void *user_data, svrbfd_tstamp ts) {
  svrbfd_session *s;
  svrbfd_session_config full;
  uint64_t ph;
  size_t cfgsize = bfd_config_size(config_version);
  int rv;

  if (ctx == NULL || psession == NULL || cfg == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  *psession = NULL;
  if (cfgsize == 0) {
    return SVRBFD_ERR_VERSION;
  }
  if (cfgsize < sizeof(full)) {
    /* an older caller: its fields, defaults for the ones it predates */
    svrbfd_session_config_default_versioned(SVRBFD_SESSION_CONFIG_VERSION,
                                            &full);
    memcpy(&full, cfg, cfgsize);
    cfg = &full;
  }
  rv = bfd_check_config(cfg);
  if (rv != 0) {
    return rv;
  }
  if (bfd_find_by_pair(ctx, &cfg->local, &cfg->remote) != NULL) {
    return SVRBFD_ERR_SESSION_EXISTS;
  }
  /* one heap slot per session, so moving a deadline never allocates */
  rv = svrbfd__theap_reserve(&ctx->theap, &ctx->mem,
                             (size_t)ctx->stats.sessions + 1);
  if (rv != 0) {
    return rv;
  }
  s = svrbfd__calloc(&ctx->mem, 1, sizeof(*s));
  if (s == NULL) {
    return SVRBFD_ERR_NOMEM;
  }
  s->ctx = ctx;
  s->user_data = user_data;
  s->cfg = *cfg;
  s->cfg.local.reserved = s->cfg.remote.reserved = 0;
  s->hidx = BFD_THEAP_NONE;
  /* keyed once here, so signing and verifying allocate nothing */
  rv = svrbfd__auth_keyed_new(&ctx->mem, &s->cfg.auth, &s->hmac);
  if (rv != 0) {
    svrbfd__free(&ctx->mem, s);
    return rv;
  }
  /* 6.8.1: a random nonzero discriminator, unique in the context. */
  do {
    ctx->cb.rand((uint8_t *)&s->local_discr, sizeof(s->local_discr),
                 ctx->user_data);
  } while (s->local_discr == 0 || bfd_find_by_discr(ctx, s->local_discr));
  ctx->cb.rand((uint8_t *)&s->xmit_seq, sizeof(s->xmit_seq), ctx->user_data);

  ph = svrbfd__hash_pair(&s->cfg.local, &s->cfg.remote);
  s->pair_hash = ph;
  rv = svrbfd__tab_insert(&ctx->by_discr, &ctx->mem,
                          svrbfd__hash_u32(s->local_discr), s);
  if (rv == 0) {
    rv = svrbfd__tab_insert(&ctx->by_pair, &ctx->mem, ph, s);
    if (rv != 0) {
      svrbfd__tab_remove(&ctx->by_discr, svrbfd__hash_u32(s->local_discr), s);
    }
  }
  if (rv != 0) {
    svrbfd__auth_keyed_free(&ctx->mem, s->hmac);
    svrbfd__free(&ctx->mem, s);
    return rv;
  }

  s->state = SVRBFD_STATE_DOWN;
  s->remote_state = SVRBFD_STATE_DOWN;
  s->local_diag = SVRBFD_DIAG_NONE;
  s->detect_mult = cfg->detect_mult;
  s->adv_tx_us = cfg->desired_min_tx_us > BFD_SLOW_TX_US
                     ? cfg->desired_min_tx_us
                     : BFD_SLOW_TX_US; /* 6.8.3 slow start */
  s->adv_rx_us = cfg->required_min_rx_us;
  s->used_tx_us = s->adv_tx_us;
  s->used_rx_us = s->adv_rx_us;
  s->remote_min_rx_us = 1; /* 6.8.1 initial bfd.RemoteMinRxInterval */
  s->detect_at = s->seq_reset_at = s->hold_at = s->decay_at = BFD_NEVER;
  s->next_tx = cfg->passive ? BFD_NEVER : ts;
  s->hold_cur = cfg->hold_down_ns;
  s->rx_hops = s->peer_rx_hops = -1;
  s->dest = s->cfg.remote;
  if (s->dest.port == 0 || cfg->mode != SVRBFD_MODE_SVR) {
    s->dest.port = bfd_mode_port(cfg->mode);
  }

  s->prev = ctx->last;
  if (ctx->last) {
    ctx->last->next = s;
  } else {
    ctx->first = s;
  }
  ctx->last = s;
  ctx->stats.sessions++;
  svrbfd__session_reschedule(s);
  *psession = s;
  return 0;
}

static void bfd_session_free(svrbfd_session *s);

void svrbfd__ctx_enter(svrbfd_ctx *ctx) { ctx->busy++; }

void svrbfd__ctx_leave(svrbfd_ctx *ctx) {
  if (--ctx->busy > 0) {
    return;
  }
  while (ctx->graveyard) {
    svrbfd_session *s = ctx->graveyard;
    ctx->graveyard = s->gnext;
    bfd_session_free(s);
  }
}

/* From a callback (the context is busy) the session is only marked: the
 * call that ran the callback may still hold it.  It leaves the ready list,
 * reports nothing more, and is freed when that call ends. */
void svrbfd_session_del(svrbfd_session *s) {
  svrbfd_ctx *ctx;
  if (s == NULL || s->deleted) {
    return;
  }
  ctx = s->ctx;
  if (ctx->busy) {
    s->deleted = 1;
    s->gnext = ctx->graveyard;
    ctx->graveyard = s;
    svrbfd__ctx_ready_remove(ctx, s);
    return;
  }
  bfd_session_free(s);
}

static void bfd_session_free(svrbfd_session *s) {
  svrbfd_ctx *ctx = s->ctx;
  svrbfd__ctx_ready_remove(ctx, s);
  svrbfd__theap_remove(&ctx->theap, s);
  svrbfd__tab_remove(&ctx->by_discr, svrbfd__hash_u32(s->local_discr), s);
  svrbfd__tab_remove(&ctx->by_pair, s->pair_hash, s);
  if (s->prev) {
    s->prev->next = s->next;
  } else {
    ctx->first = s->next;
  }
  if (s->next) {
    s->next->prev = s->prev;
  } else {
    ctx->last = s->prev;
  }
  ctx->stats.sessions--;
  if (s->state == SVRBFD_STATE_UP) {
    ctx->stats.sessions_up--;
  }
  svrbfd__pq_session_free(s);
  svrbfd__auth_keyed_free(&ctx->mem, s->hmac);
  svrbfd__free(&ctx->mem, s);
}

void(svrbfd_ctx_get_stats)(const svrbfd_ctx *ctx, svrbfd_ctx_stats *stats) {
  if (ctx && stats) {
    *stats = ctx->stats;
  }
}

svrbfd_session *svrbfd_ctx_next_session(const svrbfd_ctx *ctx,
                                        const svrbfd_session *prev) {
  if (ctx == NULL) {
    return NULL;
  }
  {
    svrbfd_session *n = prev ? prev->next : ctx->first;
    while (n && n->deleted) { /* deleted from a callback, not yet freed */
      n = n->next;
    }
    return n;
  }
}

void(svrbfd_session_get_info)(const svrbfd_session *s,
                             svrbfd_session_info *info) {
  if (s == NULL || info == NULL) {
    return;
  }
  memset(info, 0, sizeof(*info));
  info->state = s->state;
  info->remote_state = s->remote_state;
  info->local_diag = s->local_diag;
  info->remote_diag = s->remote_diag;
  info->up = s->reported_up;
  info->local_discr = s->local_discr;
  info->remote_discr = s->remote_discr;
  info->local = s->cfg.local;
  info->remote = s->dest;
  info->mode = s->cfg.mode;
  info->desired_min_tx_us = s->adv_tx_us;
  info->required_min_rx_us = s->adv_rx_us;
  info->detect_mult = s->detect_mult;
  info->remote_desired_min_tx_us = s->remote_tx_us;
  info->remote_required_min_rx_us = s->remote_min_rx_us;
  info->remote_required_min_echo_rx_us = s->remote_echo_rx_us;
  info->remote_detect_mult = s->remote_mult;
  info->tx_interval_ns = svrbfd__tx_interval_ns(s);
  info->detect_time_ns = s->detect_at == BFD_NEVER ? 0 : s->detect_time_ns;
  info->poll_active = s->poll_active;
  info->demand_active = s->cfg.demand && s->state == SVRBFD_STATE_UP &&
                        s->remote_state == SVRBFD_STATE_UP;
  info->remote_demand = s->remote_demand;
  info->up_since = s->up_since;
  info->last_rx = s->last_rx;
  info->hold_down_ns = s->hold_cur;
  info->rx_packets = s->rx_packets;
  info->tx_packets = s->tx_packets;
  info->rx_drops = s->rx_drops;
  info->auth_failures = s->auth_failures;
  info->up_count = s->up_count;
  info->down_count = s->down_count;
  info->remote_changes = s->remote_changes;
  memcpy(info->peer_router_name, s->peer_router_name,
         sizeof(info->peer_router_name));
  memcpy(info->peer_node_name, s->peer_node_name,
         sizeof(info->peer_node_name));
  info->rx_hops = s->rx_hops;
  info->peer_rx_hops = s->peer_rx_hops;
  info->auth_type = s->cfg.auth.type;
}

void *svrbfd_session_get_user_data(const svrbfd_session *s) {
  return s ? s->user_data : NULL;
}

void svrbfd_session_set_user_data(svrbfd_session *s, void *user_data) {
  if (s) {
    s->user_data = user_data;
  }
}

svrbfd_ctx *svrbfd_session_get_ctx(const svrbfd_session *s) {
  return s ? s->ctx : NULL;
}

/* The bytes of svrbfd_ctx_stats that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrbfd_ctx_get_stats_size(int v) {
  return v == SVRBFD_CTX_STATS_V1 ? sizeof(svrbfd_ctx_stats) : 0;
}

int svrbfd_ctx_get_stats_versioned(const svrbfd_ctx *o, int v, svrbfd_ctx_stats *out) {
  svrbfd_ctx_stats full;
  size_t n = svrbfd_ctx_get_stats_size(v);
  if (n == 0) {
    return SVRBFD_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  (svrbfd_ctx_get_stats)(o, &full);
  memcpy(out, &full, n);
  return 0;
}

/* The bytes of svrbfd_session_info that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrbfd_session_get_info_size(int v) {
  return v == SVRBFD_SESSION_INFO_V1 ? sizeof(svrbfd_session_info) : 0;
}

int svrbfd_session_get_info_versioned(const svrbfd_session *o, int v, svrbfd_session_info *out) {
  svrbfd_session_info full;
  size_t n = svrbfd_session_get_info_size(v);
  if (n == 0) {
    return SVRBFD_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  (svrbfd_session_get_info)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
