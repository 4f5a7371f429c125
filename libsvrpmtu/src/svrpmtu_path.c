/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One peer path: the DPLPMTUD state machine (RFC 8899 section 5.2) for an
 * acknowledged packetization layer.
 *
 *   SEARCHING --(search converged)--> COMPLETE --(interval: raise timer)-->
 *   SEARCHING (seeded with the old result); COMPLETE --(confirm probe lost
 *   MAX_PROBES times, or validated PTB below the PMTU)--> SEARCHING downward
 *   ("black hole", PMTU drops to the base meanwhile); SEARCHING --(base size
 *   unanswered)--> ERROR ("unresolvable"), retried every interval.
 */
#include <string.h>

#include "svrpmtu_int.h"

static void schedule(svrpmtu_path *p) {
  uint64_t key = UINT64_MAX;
  unsigned i;
  for (i = 0; i < p->cur_sent; i++) {
    if (p->deadline[i] < key) {
      key = p->deadline[i];
    }
  }
  if (p->cur_size && !p->tx_queued && p->cur_sent < p->cur_budget &&
      p->retry_at < key) {
    key = p->retry_at;
  }
  if (p->state == SVRPMTU_STATE_COMPLETE || p->state == SVRPMTU_STATE_ERROR) {
    if (p->next_run < key) {
      key = p->next_run;
    }
    if (p->state == SVRPMTU_STATE_COMPLETE && !p->confirming &&
        p->next_confirm < key) {
      key = p->next_confirm;
    }
  }
  if (key == UINT64_MAX) {
    svr_heap_remove(&p->ctx->heap, &p->timer);
  } else {
    svr_heap_update(&p->ctx->heap, &p->timer, key);
  }
}

static uint64_t after(svrpmtu_tstamp ts, svrpmtu_duration d) {
  if (d == 0) {
    return UINT64_MAX;
  }
  return ts > UINT64_MAX - d ? UINT64_MAX - 1 : ts + d;
}

/* Forgets the probes of the current size (in flight or queued). */
static void reset_probes(svrpmtu_path *p) {
  unsigned i;
  p->in_flight = 0;
  p->cur_losses = 0;
  p->cur_sent = 0;
  p->cur_budget = SVRPMTU_MAX_PROBES;
  p->retry_at = UINT64_MAX;
  for (i = 0; i < SVRPMTU_MAX_PROBES; i++) {
    p->deadline[i] = UINT64_MAX;
  }
}

/* Stops whatever probe is in flight or queued. */
static void drop_probe(svrpmtu_path *p) {
  reset_probes(p);
  p->cur_size = 0;
  svrpmtu__ctx_tx_remove(p->ctx, p);
}

static int complete(svrpmtu_path *p, svrpmtu_tstamp ts) {
  uint16_t old = p->pmtu;
  drop_probe(p);
  p->state = SVRPMTU_STATE_COMPLETE;
  p->confirming = 0;
  p->pmtu = p->s.lo;
  p->last_complete = ts;
  p->next_run = after(ts, p->cfg.interval_ns);
  p->next_confirm = after(ts, p->cfg.confirm_interval_ns);
  schedule(p);
  return svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_COMPLETE, 0, p->pmtu, old,
                           p->search_probes, ts);
}

static int unresolvable(svrpmtu_path *p, svrpmtu_tstamp ts) {
  drop_probe(p);
  p->state = SVRPMTU_STATE_ERROR;
  p->pmtu = 0;
  p->unresolvable++;
  p->next_run = after(ts, p->cfg.interval_ns);
  schedule(p);
  return svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_UNRESOLVABLE, p->s.base, 0, 0,
                           p->search_probes, ts);
}

/* Picks the next size (or finishes) and queues a probe of it. */
static int step(svrpmtu_path *p, svrpmtu_tstamp ts) {
  int d = svrpmtu__search_done(&p->s);
  uint16_t first = p->s.lo ? p->s.lo : (uint16_t)(p->s.base - 1);
  uint16_t size;
  int confirm = 0;
  if (d > 0) {
    return complete(p, ts);
  }
  if (d < 0) {
    return unresolvable(p, ts);
  }
  if (p->ptb_next > first && p->ptb_next <= svrpmtu__search_upper(&p->s)) {
    size = p->ptb_next;
  } else {
    size = svrpmtu__search_next_cached(&p->s, &confirm, &p->ctx->choices);
  }
  p->ptb_next = 0;
  reset_probes(p);
  p->cur_size = size;
  /* One probe per size while searching; the size right above lo goes on
   * until MAX_PROBES losses in all (svrpmtu_search.c). */
  p->cur_losses = (uint8_t)svrpmtu__search_losses(&p->s, size);
  p->cur_budget = confirm ? (uint8_t)(SVRPMTU_MAX_PROBES - p->cur_losses) : 1;
  svrpmtu__ctx_tx_enqueue(p->ctx, p);
  schedule(p);
  return 0;
}

static int start_search(svrpmtu_path *p, uint16_t hi, uint16_t hint,
                        svrpmtu_tstamp ts) {
  int rv;
  drop_probe(p);
  p->state = SVRPMTU_STATE_SEARCHING;
  p->confirming = 0;
  p->s.base = p->cfg.base_mtu;
  p->s.max = p->max_eff;
  p->s.lo = 0;
  p->s.hi = hi < p->max_eff ? hi : p->max_eff;
  p->s.hint = hint;
  p->s.nfail = 0;
  p->s.acks = 0;
  p->search_probes = 0;
  p->searches++;
  p->next_run = UINT64_MAX;
  rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_SEARCH_START, 0, p->pmtu, 0, 0,
                         ts);
  if (rv != 0) {
    return rv;
  }
  return step(p, ts);
}

static int black_hole(svrpmtu_path *p, uint16_t too_big, uint16_t hint,
                      svrpmtu_tstamp ts) {
  int rv;
  /* RFC 8899 section 4.3: fall back to the base size and search down. */
  p->pmtu = p->cfg.base_mtu;
  rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_BLACK_HOLE, too_big, p->pmtu, 0,
                         0, ts);
  if (rv != 0) {
    return rv;
  }
  rv = start_search(p, (uint16_t)(too_big - 1), hint, ts);
  p->pmtu = p->cfg.base_mtu;
  return rv;
}

const svrpmtu_sent *svrpmtu__path_find_sent(const svrpmtu_path *p,
                                            const svrpmtu_msg *m) {
  unsigned i;
  for (i = 0; i < SVRPMTU_RECENT; i++) {
    const svrpmtu_sent *s = &p->recent[i];
    if (s->used && s->seq == m->seq && s->nonce == m->nonce &&
        s->size == m->probed_size) {
      return s;
    }
  }
  return NULL;
}

svrpmtu_ssize svrpmtu__path_write_probe(svrpmtu_path *p, uint8_t *buf,
                                        size_t buflen, svrpmtu_tstamp ts) {
  svrpmtu_msg m;
  svrpmtu_sent *s;
  uint8_t nb[8];
  svrpmtu_ssize n;
  unsigned i;

  if (buflen < (size_t)(p->cur_size - p->hdr)) {
    return SVRPMTU_ERR_NOBUF;
  }
  p->ctx->cb.rand(nb, sizeof(nb), p->ctx->user_data);
  memset(&m, 0, sizeof(m));
  m.kind = SVRPMTU_MSG_PROBE;
  m.path_id = p->id;
  m.seq = p->next_seq++;
  m.nonce = 0;
  for (i = 0; i < 8; i++) {
    m.nonce = (m.nonce << 8) | nb[i];
  }
  m.probed_size = p->cur_size;
  m.udp_len = (uint16_t)(p->cur_size - p->hdr);
  n = svrpmtu_probe_encode(buf, buflen, &m);
  if (n < 0) {
    return n;
  }
  s = &p->recent[p->recent_pos++ % SVRPMTU_RECENT];
  s->seq = m.seq;
  s->nonce = m.nonce;
  s->size = m.probed_size;
  s->udp_len = m.udp_len;
  s->used = 1;
  s->sent_ts = ts;
  p->cur_seq = m.seq;
  p->deadline[p->cur_sent] = after(ts, p->cfg.probe_timeout_ns);
  p->cur_sent++;
  p->in_flight++;
  p->probes++;
  p->search_probes++;
  /* The next probe of this size may go before this one times out (the
   * spacing), or only after it is lost (spacing 0). */
  if (p->cfg.probe_spacing_ns) {
    /* Never closer than twice the slowest ack seen: on a long path the
     * ack of the previous probe may still be on its way. */
    svrpmtu_duration spacing = p->cfg.probe_spacing_ns;
    if (p->max_rtt > spacing / 2) {
      spacing = p->max_rtt > p->cfg.probe_timeout_ns / 2
                    ? p->cfg.probe_timeout_ns
                    : 2 * p->max_rtt;
    }
    p->retry_at = after(ts, spacing);
  } else {
    p->retry_at = UINT64_MAX;
  }
  svrpmtu__ctx_tx_remove(p->ctx, p); /* sent: off the queue before scheduling */
  schedule(p);
  return n;
}

int svrpmtu__path_on_ack(svrpmtu_path *p, const svrpmtu_msg *m,
                         svrpmtu_tstamp ts) {
  const svrpmtu_sent *sent = svrpmtu__path_find_sent(p, m);
  uint16_t size;
  int rv;
  if (!sent) {
    return SVRPMTU_ERR_PKT_UNKNOWN;
  }
  if (m->udp_len != sent->udp_len) {
    return SVRPMTU_ERR_PKT_TRUNCATED;
  }
  size = sent->size;
  p->acks++;
  if (ts > sent->sent_ts && ts - sent->sent_ts > p->max_rtt) {
    p->max_rtt = ts - sent->sent_ts;
  }
  if (p->state == SVRPMTU_STATE_COMPLETE && p->confirming) {
    if (size >= p->pmtu) {
      rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_PROBE_ACKED, size, 0, 0,
                             p->cur_sent, ts);
      drop_probe(p);
      p->confirming = 0;
      p->next_confirm = after(ts, p->cfg.confirm_interval_ns);
      schedule(p);
      return rv;
    }
    return 0;
  }
  if (p->state != SVRPMTU_STATE_SEARCHING) {
    return 0; /* late ack after the search ended */
  }
  rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_PROBE_ACKED, size, 0, 0,
                         size == p->cur_size ? p->cur_sent : 1, ts);
  if (rv != 0) {
    return rv;
  }
  /* Raises lo; a late ack beats an earlier "too big" or lost probe. */
  svrpmtu__search_acked(&p->s, size);
  if (p->cur_size != 0 && p->cur_size <= p->s.lo) {
    return step(p, ts); /* what we were probing is now known to pass */
  }
  return 0;
}

int svrpmtu__path_on_ptb(svrpmtu_path *p, const svrpmtu_msg *m, uint32_t mtu,
                         svrpmtu_tstamp ts) {
  const svrpmtu_sent *sent = svrpmtu__path_find_sent(p, m);
  uint16_t size, hint;
  int rv;
  if (!sent) {
    return SVRPMTU_ERR_PTB_NOT_OURS;
  }
  size = sent->size;
  /* RFC 8899 section 4.6.2: a PTB at or above the probe is inconsistent,
   * one below the minimum is invalid.  MTU 0 comes from pre-RFC 1191
   * routers: the probe is too big, the right size unknown. */
  if (mtu >= size || (mtu != 0 && mtu < p->min_ptb)) {
    return SVRPMTU_ERR_PTB_MTU;
  }
  hint = (uint16_t)mtu;
  p->ptbs++;
  rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_PTB, size, hint, 0, 0, ts);
  if (rv != 0) {
    return rv;
  }
  if (p->state == SVRPMTU_STATE_COMPLETE && size <= p->pmtu) {
    return black_hole(p, size, hint ? hint : size, ts);
  }
  if (p->state != SVRPMTU_STATE_SEARCHING) {
    return 0;
  }
  if (p->s.lo && size <= p->s.lo) {
    return black_hole(p, size, hint ? hint : size, ts); /* contradicts an ack */
  }
  /* The router that saw our probe cannot forward more than |mtu|: that is
   * an upper bound, never a result (the PMTU only grows on acks). */
  svrpmtu__search_cap(&p->s, (uint16_t)(size - 1));
  if (hint != 0 && hint >= p->s.lo && hint < p->s.hi &&
      hint >= p->cfg.base_mtu) {
    svrpmtu__search_cap(&p->s, hint);
  }
  p->ptb_next = hint; /* 0: none */
  rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_SIZE_TOO_BIG, size, hint, 0, 0,
                         ts);
  if (rv != 0) {
    return rv;
  }
  if (p->cur_size != 0 && p->cur_size > p->s.hi) {
    return step(p, ts);
  }
  return 0;
}

int svrpmtu__path_on_expiry(svrpmtu_path *p, svrpmtu_tstamp ts) {
  int rv;
  unsigned i;
  uint16_t size = p->cur_size;
  /* Each probe is lost when its own PROBE_TIMER runs out. */
  for (i = 0; size != 0 && i < p->cur_sent; i++) {
    if (p->deadline[i] > ts) {
      continue;
    }
    p->deadline[i] = UINT64_MAX;
    p->in_flight--;
    p->cur_losses++;
    p->losses++;
    rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_PROBE_LOST, size, 0, 0,
                           p->cur_losses, ts);
    if (rv != 0) {
      return rv;
    }
  }
  if (size != 0 && p->cur_losses < SVRPMTU_MAX_PROBES &&
      p->cur_sent < p->cur_budget && !p->tx_queued &&
      (p->in_flight == 0 || ts >= p->retry_at)) {
    svrpmtu__ctx_tx_enqueue(p->ctx, p); /* the same size again */
  }
  if (size != 0 && p->cur_losses >= SVRPMTU_MAX_PROBES) {
    rv = svrpmtu__ctx_emit(p->ctx, p, SVRPMTU_EV_SIZE_TOO_BIG, size, 0, 0,
                           p->cur_losses, ts);
    if (rv != 0) {
      return rv;
    }
    if (p->state == SVRPMTU_STATE_COMPLETE && p->confirming) {
      return black_hole(p, size, size, ts);
    }
    svrpmtu__search_lost(&p->s, size, p->cur_losses);
    return step(p, ts);
  }
  if (size != 0 && p->state == SVRPMTU_STATE_SEARCHING && p->in_flight == 0 &&
      p->cur_sent >= p->cur_budget) {
    /* The round's probes are all lost: below this size from now on. */
    svrpmtu__search_lost(&p->s, size, p->cur_losses);
    return step(p, ts);
  }
  if ((p->state == SVRPMTU_STATE_COMPLETE ||
       p->state == SVRPMTU_STATE_ERROR) &&
      ts >= p->next_run) {
    return start_search(p, p->max_eff,
                        p->state == SVRPMTU_STATE_COMPLETE ? p->pmtu : 0, ts);
  }
  if (p->state == SVRPMTU_STATE_COMPLETE && !p->confirming &&
      ts >= p->next_confirm) {
    p->confirming = 1;
    reset_probes(p);
    p->cur_size = p->pmtu;
    svrpmtu__ctx_tx_enqueue(p->ctx, p);
  }
  schedule(p);
  return 0;
}

/* ---- public path API -------------------------------------------------- */

void svrpmtu_path_config_default_versioned(int config_version,
                                           svrpmtu_path_config *cfg,
                                           int family) {
  (void)config_version;
  memset(cfg, 0, sizeof(*cfg));
  cfg->remote.family = (uint8_t)(family == 6 ? 6 : 4);
  cfg->remote.port = SVRPMTU_PORT;
  cfg->base_mtu = family == 6 ? SVRPMTU_BASE_MTU_V6 : SVRPMTU_BASE_MTU_V4;
  cfg->max_mtu = SVRPMTU_MAX_MTU;
  cfg->interval_ns = 600 * SVRPMTU_SECONDS;
  cfg->confirm_interval_ns = 0;
  cfg->probe_timeout_ns = SVRPMTU_SECONDS;
  cfg->probe_spacing_ns = SVRPMTU_SECONDS / 3;
}

static int check_interval(svrpmtu_duration d) {
  return d == 0 || (d >= SVRPMTU_SECONDS && d <= 86400 * SVRPMTU_SECONDS);
}

int svrpmtu_path_new_versioned(svrpmtu_ctx *ctx, svrpmtu_path **ppath,
                               int config_version,
                               const svrpmtu_path_config *cfg,
                               void *user_data, svrpmtu_tstamp ts) {
  svrpmtu_path *p;
  size_t slot;
  uint16_t hdr;
  int rv;

  if (!ctx || !ppath || !cfg) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  if (config_version != SVRPMTU_PATH_CONFIG_V1) {
    return SVRPMTU_ERR_VERSION;
  }
  if (cfg->remote.family != 4 && cfg->remote.family != 6) {
    return SVRPMTU_ERR_ADDRESS;
  }
  hdr = cfg->remote.family == 4 ? SVRPMTU_IP_UDP_HDR_V4 : SVRPMTU_IP_UDP_HDR_V6;
  if (cfg->base_mtu < SVRPMTU_MIN_MTU ||
      cfg->base_mtu < hdr + SVRPMTU_PROBE_MIN_PAYLOAD ||
      cfg->max_mtu > SVRPMTU_MAX_MTU || cfg->base_mtu > cfg->max_mtu) {
    return SVRPMTU_ERR_MTU_RANGE;
  }
  if (!check_interval(cfg->interval_ns) ||
      !check_interval(cfg->confirm_interval_ns) ||
      cfg->probe_timeout_ns < SVRPMTU_MILLISECONDS ||
      cfg->probe_timeout_ns > 60 * SVRPMTU_SECONDS) {
    return SVRPMTU_ERR_INTERVAL;
  }
  for (slot = 0; slot < ctx->npaths_cap; slot++) {
    if (ctx->paths[slot] == NULL) {
      break;
    }
  }
  if (slot == ctx->npaths_cap) {
    size_t ncap = ctx->npaths_cap ? ctx->npaths_cap * 2 : 16;
    svrpmtu_path **np;
    if (ncap > UINT32_MAX) {
      return SVRPMTU_ERR_NOMEM;
    }
    np = ctx->mem.realloc(ctx->paths, ncap * sizeof(*np), ctx->mem.user_data);
    if (!np) {
      return SVRPMTU_ERR_NOMEM;
    }
    memset(np + ctx->npaths_cap, 0, (ncap - ctx->npaths_cap) * sizeof(*np));
    ctx->paths = np;
    ctx->npaths_cap = ncap;
  }
  p = ctx->mem.calloc(1, sizeof(*p), ctx->mem.user_data);
  if (!p) {
    return SVRPMTU_ERR_NOMEM;
  }
  svr_heap_node_init(&p->timer);
  p->ctx = ctx;
  p->user_data = user_data;
  p->id = (uint32_t)(slot + 1);
  p->cfg = *cfg;
  if (p->cfg.probe_spacing_ns > p->cfg.probe_timeout_ns) {
    p->cfg.probe_spacing_ns = p->cfg.probe_timeout_ns; /* e.g. a short timeout
                                                          with the default */
  }
  if (p->cfg.remote.port == 0) {
    p->cfg.remote.port = SVRPMTU_PORT;
  }
  p->hdr = hdr;
  p->min_ptb = cfg->remote.family == 4 ? 68 : 1280;
  p->max_eff = cfg->max_mtu;
  p->next_run = UINT64_MAX;
  p->next_confirm = UINT64_MAX;
  reset_probes(p);
  ctx->paths[slot] = p;
  ctx->npaths++;
  *ppath = p;
  rv = start_search(p, p->max_eff, 0, ts);
  if (rv != 0) {
    svrpmtu_path_del(p);
    *ppath = NULL;
  }
  return rv;
}

void svrpmtu_path_del(svrpmtu_path *p) {
  svrpmtu_ctx *ctx;
  if (!p) {
    return;
  }
  ctx = p->ctx;
  svr_heap_remove(&ctx->heap, &p->timer);
  svrpmtu__ctx_tx_remove(ctx, p);
  ctx->paths[p->id - 1] = NULL;
  ctx->npaths--;
  ctx->mem.free(p, ctx->mem.user_data);
}

int svrpmtu_path_restart(svrpmtu_path *p, svrpmtu_tstamp ts) {
  return start_search(p, p->max_eff,
                      p->state == SVRPMTU_STATE_COMPLETE ? p->pmtu : 0, ts);
}

int svrpmtu_path_suspect_black_hole(svrpmtu_path *p, svrpmtu_tstamp ts) {
  if (p->state != SVRPMTU_STATE_COMPLETE || p->confirming) {
    return 0;
  }
  p->next_confirm = ts;
  return svrpmtu__path_on_expiry(p, ts);
}

int svrpmtu_path_set_max_mtu(svrpmtu_path *p, uint16_t max_mtu,
                             svrpmtu_tstamp ts) {
  if (max_mtu < p->cfg.base_mtu || max_mtu > p->cfg.max_mtu) {
    return SVRPMTU_ERR_MTU_RANGE;
  }
  if (max_mtu == p->max_eff) {
    return 0;
  }
  p->max_eff = max_mtu;
  if (p->state == SVRPMTU_STATE_SEARCHING) {
    return start_search(p, max_mtu, p->s.hint, ts);
  }
  if (p->state == SVRPMTU_STATE_COMPLETE && p->pmtu > max_mtu) {
    p->pmtu = max_mtu;
  }
  return 0;
}

void(svrpmtu_path_get_info)(const svrpmtu_path *p, svrpmtu_path_info *info) {
  memset(info, 0, sizeof(*info));
  info->state = p->state;
  info->pmtu = p->pmtu;
  info->search_low = p->s.lo;
  info->search_high = p->s.hi;
  info->base_mtu = p->cfg.base_mtu;
  info->max_mtu = p->max_eff;
  info->probing_size = p->cur_size;
  info->search_probes = p->search_probes;
  info->probes = p->probes;
  info->acks = p->acks;
  info->losses = p->losses;
  info->ptbs = p->ptbs;
  info->searches = p->searches;
  info->unresolvable = p->unresolvable;
  info->last_complete = p->last_complete;
  info->next_run = p->state == SVRPMTU_STATE_SEARCHING ? UINT64_MAX
                                                        : p->next_run;
  info->remote = p->cfg.remote;
}

void *svrpmtu_path_get_user_data(const svrpmtu_path *p) {
  return p->user_data;
}

/* The bytes of svrpmtu_path_info that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrpmtu_path_get_info_size(int v) {
  return v == SVRPMTU_PATH_INFO_V1 ? sizeof(svrpmtu_path_info) : 0;
}

int svrpmtu_path_get_info_versioned(const svrpmtu_path *o, int v, svrpmtu_path_info *out) {
  svrpmtu_path_info full;
  size_t n = svrpmtu_path_get_info_size(v);
  if (n == 0) {
    return SVRPMTU_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  (svrpmtu_path_get_info)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
