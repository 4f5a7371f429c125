/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The context: owns every path, one expiry heap, the queue of probes due
 * and the queue of acks to send; dispatches received datagrams and PTBs.
 */
#include <stdlib.h>
#include <string.h>

#include "svrpmtu_int.h"
#include "svr_mem.h"

void svrpmtu_settings_default_versioned(int settings_version,
                                        svrpmtu_settings *s) {
  (void)settings_version;
  memset(s, 0, sizeof(*s));
  s->respond = 1;
  s->ack_queue_len = 64;
}

int svrpmtu_ctx_new_versioned(svrpmtu_ctx **pctx, int callbacks_version,
                              const svrpmtu_callbacks *cb,
                              int settings_version,
                              const svrpmtu_settings *settings,
                              const svrpmtu_mem *mem, void *user_data) {
  svrpmtu_ctx *ctx;
  svrpmtu_mem m;
  if (!pctx || !cb) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  if (callbacks_version != SVRPMTU_CALLBACKS_V1 ||
      (settings && settings_version != SVRPMTU_SETTINGS_V1)) {
    return SVRPMTU_ERR_VERSION;
  }
  if (!cb->rand) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  if (mem) {
    m = *mem;
  } else {
    m.user_data = NULL;
    m.malloc = svr_libc_malloc;
    m.free = svr_libc_free;
    m.calloc = svr_libc_calloc;
    m.realloc = svr_libc_realloc;
  }
  ctx = m.calloc(1, sizeof(*ctx), m.user_data);
  if (!ctx) {
    return SVRPMTU_ERR_NOMEM;
  }
  ctx->mem = m;
  ctx->cb = *cb;
  if (settings) {
    ctx->settings = *settings;
  } else {
    svrpmtu_settings_default(&ctx->settings);
  }
  if (ctx->settings.ack_queue_len == 0) {
    ctx->settings.ack_queue_len = 1;
  }
  ctx->ackq = m.calloc(ctx->settings.ack_queue_len, sizeof(*ctx->ackq),
                       m.user_data);
  if (!ctx->ackq) {
    m.free(ctx, m.user_data);
    return SVRPMTU_ERR_NOMEM;
  }
  ctx->user_data = user_data;
  svr_heap_init(&ctx->heap);
  *pctx = ctx;
  return 0;
}

void svrpmtu_ctx_del(svrpmtu_ctx *ctx) {
  size_t i;
  if (!ctx) {
    return;
  }
  for (i = 0; i < ctx->npaths_cap; i++) {
    if (ctx->paths[i]) {
      ctx->mem.free(ctx->paths[i], ctx->mem.user_data);
    }
  }
  ctx->mem.free(ctx->paths, ctx->mem.user_data);
  ctx->mem.free(ctx->ackq, ctx->mem.user_data);
  ctx->mem.free(ctx, ctx->mem.user_data);
}

void svrpmtu__ctx_tx_enqueue(svrpmtu_ctx *ctx, svrpmtu_path *p) {
  if (p->tx_queued) {
    return;
  }
  p->tx_queued = 1;
  p->tx_next = NULL;
  if (ctx->tx_tail) {
    ctx->tx_tail->tx_next = p;
  } else {
    ctx->tx_head = p;
  }
  ctx->tx_tail = p;
}

void svrpmtu__ctx_tx_remove(svrpmtu_ctx *ctx, svrpmtu_path *p) {
  svrpmtu_path **pp, *prev = NULL;
  if (!p->tx_queued) {
    return;
  }
  for (pp = &ctx->tx_head; *pp; prev = *pp, pp = &(*pp)->tx_next) {
    if (*pp == p) {
      *pp = p->tx_next;
      if (ctx->tx_tail == p) {
        ctx->tx_tail = prev;
      }
      break;
    }
  }
  p->tx_queued = 0;
  p->tx_next = NULL;
}

int svrpmtu__ctx_emit(svrpmtu_ctx *ctx, svrpmtu_path *path,
                      svrpmtu_event_type type, uint16_t size, uint16_t pmtu,
                      uint16_t old_pmtu, uint32_t count, svrpmtu_tstamp ts) {
  svrpmtu_event ev;
  if (!ctx->cb.path_event) {
    return 0;
  }
  ev.type = type;
  ev.ts = ts;
  ev.size = size;
  ev.pmtu = pmtu;
  ev.old_pmtu = old_pmtu;
  ev.count = count;
  if (ctx->cb.path_event(ctx, path, &ev, ctx->user_data) != 0) {
    ctx->fatal = 1;
    return SVRPMTU_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

static svrpmtu_path *path_by_id(const svrpmtu_ctx *ctx, uint32_t id) {
  if (id == 0 || id > ctx->npaths_cap) {
    return NULL;
  }
  return ctx->paths[id - 1];
}

int svrpmtu_ctx_read_pkt(svrpmtu_ctx *ctx, const svrpmtu_addr *remote,
                         const uint8_t *pkt, size_t pktlen,
                         svrpmtu_tstamp ts) {
  svrpmtu_msg m;
  int rv;
  if (!ctx || !remote || !pkt) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  if (ctx->fatal) {
    return SVRPMTU_ERR_CALLBACK_FAILURE;
  }
  ctx->stats.rx_packets++;
  rv = svrpmtu_msg_decode(&m, pkt, pktlen, 0);
  if (rv == 0 && m.kind == SVRPMTU_MSG_PROBE) {
    svrpmtu_ackq *q;
    if (!ctx->settings.respond) {
      rv = SVRPMTU_ERR_PKT_KIND;
    } else if (ctx->ackq_len == ctx->settings.ack_queue_len) {
      rv = SVRPMTU_ERR_ACK_QUEUE;
    } else {
      q = &ctx->ackq[(ctx->ackq_head + ctx->ackq_len) %
                     ctx->settings.ack_queue_len];
      m.udp_len = (uint16_t)pktlen;
      if (svrpmtu__ack_encode(q->buf, sizeof(q->buf), &m) < 0) {
        rv = SVRPMTU_ERR_NOBUF; /* cannot happen: the slot fits an ack */
      } else {
        q->remote = *remote;
        ctx->ackq_len++;
        ctx->stats.rx_probes++;
      }
    }
  } else if (rv == 0) {
    svrpmtu_path *p = path_by_id(ctx, m.path_id);
    rv = p ? svrpmtu__path_on_ack(p, &m, ts) : SVRPMTU_ERR_PKT_UNKNOWN;
    if (rv == 0) {
      ctx->stats.rx_acks++;
    }
  }
  if (rv < 0 && rv > SVRPMTU_ERR_FATAL) {
    ctx->stats.rx_drops++;
  }
  return rv;
}

int svrpmtu_ctx_read_ptb(svrpmtu_ctx *ctx, const svrpmtu_ptb *ptb,
                         svrpmtu_tstamp ts) {
  svrpmtu_msg m;
  svrpmtu_path *p;
  int rv;
  if (!ctx || !ptb || (!ptb->quote && ptb->quotelen)) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  if (ctx->fatal) {
    return SVRPMTU_ERR_CALLBACK_FAILURE;
  }
  /* RFC 8899 section 4.6.1: only a quote of a probe we sent (path id,
   * sequence number and the 64-bit nonce an off-path attacker cannot see)
   * makes a PTB usable. */
  if (!ptb->quote ||
      svrpmtu_msg_decode(&m, ptb->quote, ptb->quotelen, 1) != 0 ||
      m.kind != SVRPMTU_MSG_PROBE || (p = path_by_id(ctx, m.path_id)) == NULL) {
    ctx->stats.ptb_ignored++;
    return SVRPMTU_ERR_PTB_NOT_OURS;
  }
  rv = svrpmtu__path_on_ptb(p, &m, ptb->mtu, ts);
  if (rv == 0) {
    ctx->stats.ptb_accepted++;
  } else if (rv > SVRPMTU_ERR_FATAL) {
    ctx->stats.ptb_ignored++;
  }
  return rv;
}

svrpmtu_ssize svrpmtu_ctx_write_pkt(svrpmtu_ctx *ctx, svrpmtu_addr *remote,
                                    uint8_t *buf, size_t buflen,
                                    svrpmtu_tstamp ts) {
  svrpmtu_path *p;
  svrpmtu_ssize n;
  if (!ctx || !remote || !buf) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  if (ctx->fatal) {
    return SVRPMTU_ERR_CALLBACK_FAILURE;
  }
  if (ctx->ackq_len) {
    svrpmtu_ackq *q = &ctx->ackq[ctx->ackq_head];
    if (buflen < SVRPMTU_ACK_LEN) {
      return SVRPMTU_ERR_NOBUF;
    }
    memcpy(buf, q->buf, SVRPMTU_ACK_LEN);
    *remote = q->remote;
    ctx->ackq_head = (ctx->ackq_head + 1) % ctx->settings.ack_queue_len;
    ctx->ackq_len--;
    ctx->stats.tx_acks++;
    return SVRPMTU_ACK_LEN;
  }
  p = ctx->tx_head;
  if (!p) {
    return 0;
  }
  n = svrpmtu__path_write_probe(p, buf, buflen, ts);
  if (n < 0) {
    return n;
  }
  svrpmtu__ctx_tx_remove(ctx, p);
  *remote = p->cfg.remote;
  ctx->stats.tx_probes++;
  return n;
}

svrpmtu_tstamp svrpmtu_ctx_get_expiry(const svrpmtu_ctx *ctx) {
  if (ctx == NULL) {
    return SVRPMTU_TSTAMP_MAX;
  }
  if (ctx->ackq_len || ctx->tx_head) {
    return 0; /* an ack or a probe is waiting for write_pkt */
  }
  return svr_heap_min_key(&ctx->heap);
}

int svrpmtu_ctx_handle_expiry(svrpmtu_ctx *ctx, svrpmtu_tstamp ts) {
  svr_heap_node *n;
  int rv;
  if (!ctx) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  if (ctx->fatal) {
    return SVRPMTU_ERR_CALLBACK_FAILURE;
  }
  while ((n = svr_heap_min(&ctx->heap)) != NULL && n->key <= ts) {
    svrpmtu_path *p = (svrpmtu_path *)(void *)n;
    svr_heap_remove(&ctx->heap, n);
    rv = svrpmtu__path_on_expiry(p, ts);
    if (rv != 0) {
      return rv;
    }
  }
  return 0;
}

void(svrpmtu_ctx_get_stats)(const svrpmtu_ctx *ctx, svrpmtu_ctx_stats *stats) {
  *stats = ctx->stats;
}

/* The bytes of svrpmtu_ctx_stats that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrpmtu_ctx_get_stats_size(int v) {
  return v == SVRPMTU_CTX_STATS_V1 ? sizeof(svrpmtu_ctx_stats) : 0;
}

int svrpmtu_ctx_get_stats_versioned(const svrpmtu_ctx *o, int v, svrpmtu_ctx_stats *out) {
  svrpmtu_ctx_stats full;
  size_t n = svrpmtu_ctx_get_stats_size(v);
  if (n == 0) {
    return SVRPMTU_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRPMTU_ERR_INVALID_ARGUMENT;
  }
  (svrpmtu_ctx_get_stats)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
