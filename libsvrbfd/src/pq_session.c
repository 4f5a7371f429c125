/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Path quality owned by BFD sessions: the context dispatches echo datagrams
 * (SVR control datagrams of the echo kinds) received on the peer-path port,
 * reflects requests from its peers, and runs each session's echo engine from
 * its own expiry heap, so the host needs nothing beyond read_pkt / write_pkt
 * / get_expiry / handle_expiry.
 *
 * - Echo tests run while the session is Up (RFC 5880 6.8.9) and are never
 *   sent to a peer whose Required Min Echo RX Interval is 0, nor faster.
 * - A request is reflected only when it comes from the address of one of
 *   the context's sessions; the reply is built in write_pkt, so the
 *   reflector's transmit timestamp is the time it is handed to the host.
 * - A whole burst lost while the peer sends us no periodic Control packets
 *   (Demand mode, RFC 5880 6.6) takes the session Down with Diag 2
 *   ("echo function failed"): nothing else would notice.
 */
#include <string.h>

#include "bfd_int.h"
#include "pq_int.h"
#include "svr_meta.h"

#define PQ_REFLECT_QLEN 64

typedef struct pq_reflect_item {
  svrbfd_path path; /* where the reply goes (the request's, reversed) */
  svrbfd_tstamp rx_ts;
  size_t len;
  uint8_t data[SVRBFD_PQ_MAX_PKT_LEN];
} pq_reflect_item;

struct bfd_pq_ctx {
  pq_reflect_item q[PQ_REFLECT_QLEN];
  size_t head, n;
};

void svrbfd__pq_ctx_free(svrbfd_ctx *ctx) {
  svrbfd__free(&ctx->mem, ctx->pq);
  ctx->pq = NULL;
}

/* ---- per session ---------------------------------------------------------- */

static void pq_ready_push(svrbfd_session *s) {
  svrbfd_ctx *ctx = s->ctx;
  if (s->on_pq_ready || s->deleted) {
    return;
  }
  s->on_pq_ready = 1;
  s->pq_rnext = NULL;
  if (ctx->pq_rtail) {
    ctx->pq_rtail->pq_rnext = s;
  } else {
    ctx->pq_rhead = s;
  }
  ctx->pq_rtail = s;
}

static void pq_ready_remove(svrbfd_session *s) {
  svrbfd_ctx *ctx = s->ctx;
  svrbfd_session **pp = &ctx->pq_rhead, *prev = NULL;
  if (!s->on_pq_ready) {
    return;
  }
  while (*pp && *pp != s) {
    prev = *pp;
    pp = &(*pp)->pq_rnext;
  }
  if (*pp == s) {
    *pp = s->pq_rnext;
    if (ctx->pq_rtail == s) {
      ctx->pq_rtail = prev;
    }
  }
  s->on_pq_ready = 0;
  s->pq_rnext = NULL;
}

void svrbfd__pq_session_free(svrbfd_session *s) {
  pq_ready_remove(s);
  svrbfd_pq_path_del(s->pq);
  s->pq = NULL;
}

/* The session's echo deadline for the heap (never while it waits on the
 * ready list: write_pkt takes it from there). */
svrbfd_tstamp svrbfd__pq_session_deadline(const svrbfd_session *s) {
  if (s->pq == NULL || s->on_pq_ready) {
    return BFD_NEVER;
  }
  return svrbfd_pq_path_get_expiry(s->pq);
}

static int pq_echo_allowed(const svrbfd_session *s) {
  return s->cfg.mode == SVRBFD_MODE_SVR && s->state == SVRBFD_STATE_UP &&
         s->remote_echo_rx_us != 0;
}

int svrbfd__pq_session_expiry(svrbfd_session *s, svrbfd_tstamp ts) {
  int rv;
  if (s->pq == NULL || s->on_pq_ready ||
      svrbfd_pq_path_get_expiry(s->pq) > ts) {
    return 0;
  }
  rv = svrbfd_pq_path_handle_expiry(s->pq, ts);
  if (rv != 0) {
    return rv;
  }
  /* still due: a request is waiting to be written */
  if (s->pq && svrbfd_pq_path_get_expiry(s->pq) <= ts) {
    if (pq_echo_allowed(s)) {
      pq_ready_push(s);
    } else {
      svrbfd_pq_path_stop(s->pq);
    }
  }
  return 0;
}

void svrbfd__pq_on_state(svrbfd_session *s, svrbfd_state old, svrbfd_state ns,
                         svrbfd_tstamp ts) {
  if (s->pq == NULL) {
    return;
  }
  if (ns == SVRBFD_STATE_UP) {
    svrbfd_pq_path_start(s->pq, ts);
  } else if (old == SVRBFD_STATE_UP) {
    pq_ready_remove(s);
    svrbfd_pq_path_stop(s->pq);
  }
}

static int pq_burst_done(svrbfd_pq_path *pq, const svrbfd_pq_result *res,
                         void *ud) {
  svrbfd_session *s = ud;
  (void)pq;
  if (res->received == 0 && res->sent > 0) {
    return svrbfd__session_echo_failed(s, res->finished);
  }
  return 0;
}

/* The peer's packets said it receives no echo (RFC 5880 6.8.9). */
static int pq_peer_refuses(const svrbfd_session *s) {
  return s->last_rx != 0 && s->remote_echo_rx_us == 0;
}

int svrbfd_session_set_link_test(svrbfd_session *s,
                                 const svrbfd_pq_settings *settings,
                                 svrbfd_tstamp ts) {
  svrbfd_pq_settings st;
  svrbfd_pq_callbacks cb;
  int rv;
  if (s == NULL || settings == NULL) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  if (s->pq) {
    rv = svrbfd_pq_path_set_link_test(s->pq, settings->link_test_interval_ns,
                                      settings->link_test_length);
    svrbfd__session_reschedule(s);
    if (rv == 0 && pq_peer_refuses(s)) {
      return SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED;
    }
    return rv;
  }
  st = *settings;
  st.token = s->local_discr;
  memset(&cb, 0, sizeof(cb));
  cb.burst_done = pq_burst_done;
  rv = svrbfd_pq_path_new(&s->pq, &st, &cb, &s->ctx->mem, s);
  if (rv != 0) {
    return rv;
  }
  if (s->state == SVRBFD_STATE_UP) {
    svrbfd_pq_path_start(s->pq, ts);
  }
  svrbfd__session_reschedule(s);
  return pq_peer_refuses(s) ? SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED : 0;
}

svrbfd_pq_path *svrbfd_session_get_pq(const svrbfd_session *s) {
  return s ? s->pq : NULL;
}

/* ---- context: receive ------------------------------------------------------ */

/* A session whose peer is |remote| (configured or observed address):
 * the pair table first, then (NAT: an observed address) every session. */
static svrbfd_session *pq_session_of_peer(const svrbfd_ctx *ctx,
                                          const svrbfd_path *path) {
  svrbfd_session *s;
  svrbfd_addr any;
  size_t pos = (size_t)-1;
  uint64_t h = svrbfd__hash_pair(&path->local, &path->remote);
  while ((s = svrbfd__tab_next(&ctx->by_pair, h, &pos)) != NULL) {
    if (svrbfd__addr_ip_equal(&s->cfg.local, &path->local) &&
        svrbfd__addr_ip_equal(&s->cfg.remote, &path->remote)) {
      return s;
    }
  }
  memset(&any, 0, sizeof(any));
  h = svrbfd__hash_pair(&any, &path->remote);
  pos = (size_t)-1;
  while ((s = svrbfd__tab_next(&ctx->by_pair, h, &pos)) != NULL) {
    if (s->cfg.local.family == 0 &&
        svrbfd__addr_ip_equal(&s->cfg.remote, &path->remote)) {
      return s;
    }
  }
  for (s = ctx->first; s; s = s->next) {
    if ((svrbfd__addr_ip_equal(&s->cfg.remote, &path->remote) ||
         (s->seen_remote && svrbfd__addr_ip_equal(&s->dest, &path->remote))) &&
        (s->cfg.local.family == 0 ||
         svrbfd__addr_ip_equal(&s->cfg.local, &path->local))) {
      return s;
    }
  }
  return NULL;
}

int svrbfd__pq_ctx_read(svrbfd_ctx *ctx, const svrbfd_path *path,
                        const uint8_t *data, size_t datalen, svrbfd_tstamp ts) {
  svrbfd_pq_echo e;
  int rv = svrbfd_pq_echo_decode(&e, data, datalen);
  if (rv != 0) {
    ctx->stats_echo.rx_bad++;
    return rv;
  }
  if (!e.reply) {
    pq_reflect_item *it;
    if (pq_session_of_peer(ctx, path) == NULL) {
      ctx->stats_echo.rx_refused++;
      return SVRBFD_ERR_PKT_NO_SESSION;
    }
    if (ctx->pq == NULL) {
      ctx->pq = svrbfd__calloc(&ctx->mem, 1, sizeof(*ctx->pq));
      if (ctx->pq == NULL) {
        return SVRBFD_ERR_NOMEM;
      }
    }
    if (ctx->pq->n == PQ_REFLECT_QLEN || datalen > sizeof(it->data)) {
      ctx->stats_echo.rx_queue_full++;
      return SVRBFD_PQ_ERR_NOBUF;
    }
    it = &ctx->pq->q[(ctx->pq->head + ctx->pq->n) % PQ_REFLECT_QLEN];
    it->path.local = path->local;
    it->path.remote = path->remote;
    it->path.ttl = 255;
    it->rx_ts = ts;
    it->len = datalen;
    memcpy(it->data, data, datalen);
    ctx->pq->n++;
    ctx->stats_echo.rx_requests++;
    return 0;
  }
  {
    svrbfd_session *s = NULL;
    uint64_t h = svrbfd__hash_u32(e.token);
    size_t pos = (size_t)-1;
    while ((s = svrbfd__tab_next(&ctx->by_discr, h, &pos)) != NULL) {
      if (s->local_discr == e.token) {
        break;
      }
    }
    if (s == NULL || s->pq == NULL) {
      ctx->stats_echo.rx_bad++;
      return SVRBFD_ERR_PKT_NO_SESSION;
    }
    ctx->stats_echo.rx_replies++;
    rv = svrbfd_pq_path_read_echo(s->pq, &e, ts);
    svrbfd__session_reschedule(s); /* an all-answered burst is due at once */
    return rv;
  }
}

/* ---- context: send ----------------------------------------------------------- */

svrbfd_ssize svrbfd__pq_ctx_write(svrbfd_ctx *ctx, svrbfd_path *path,
                                  uint8_t *buf,
                                  size_t buflen, svrbfd_tstamp ts) {
  /* reflections first: their peers are timing them */
  while (ctx->pq && ctx->pq->n > 0) {
    pq_reflect_item *it = &ctx->pq->q[ctx->pq->head];
    svrbfd_ssize n = svrbfd_pq_reflect(buf, buflen, it->data, it->len,
                                       it->rx_ts, ts < it->rx_ts ? it->rx_ts : ts);
    ctx->pq->head = (ctx->pq->head + 1) % PQ_REFLECT_QLEN;
    ctx->pq->n--;
    if (n == SVRBFD_PQ_ERR_NOBUF) {
      /* the reply does not fit the host's buffer: kept queued it would
       * block every later packet (and a host retrying NOBUF would spin),
       * so it is dropped and counted, like a full queue */
      ctx->stats_echo.rx_queue_full++;
      continue;
    }
    if (n > 0) {
      *path = it->path;
      ctx->stats_echo.tx_replies++;
      return n;
    }
  }
  while (ctx->pq_rhead) {
    svrbfd_session *s = ctx->pq_rhead;
    svrbfd_ssize n = 0;
    if (pq_echo_allowed(s)) {
      /* RFC 5880 6.8.9: never faster than the peer's Required Min Echo RX */
      svrbfd_pq_path_set_peer_min_echo_rx(s->pq, s->remote_echo_rx_us);
      n = svrbfd_pq_path_write_pkt(s->pq, buf, buflen, ts);
      if (n == SVRBFD_PQ_ERR_NOBUF) {
        return SVRBFD_ERR_NOBUF;
      }
      if (n < 0) {
        return n;
      }
    }
    pq_ready_remove(s);
    svrbfd__session_reschedule(s);
    if (n > 0) {
      path->local = s->cfg.local;
      if (path->local.port == 0) {
        path->local.port = SVRBFD_PORT_SVR;
      }
      path->remote = s->dest;
      path->ttl = 255;
      ctx->stats_echo.tx_requests++;
      return n;
    }
  }
  return 0;
}

void(svrbfd_ctx_get_echo_stats)(const svrbfd_ctx *ctx,
                               svrbfd_pq_ctx_stats *stats) {
  if (ctx && stats) {
    *stats = ctx->stats_echo;
  }
}

int svrbfd__pq_ctx_pending(const svrbfd_ctx *ctx) {
  return (ctx->pq && ctx->pq->n > 0) || ctx->pq_rhead != NULL;
}

/* The bytes of svrbfd_pq_ctx_stats that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrbfd_ctx_get_echo_stats_size(int v) {
  return v == SVRBFD_PQ_CTX_STATS_V1 ? sizeof(svrbfd_pq_ctx_stats) : 0;
}

int svrbfd_ctx_get_echo_stats_versioned(const svrbfd_ctx *o, int v, svrbfd_pq_ctx_stats *out) {
  svrbfd_pq_ctx_stats full;
  size_t n = svrbfd_ctx_get_echo_stats_size(v);
  if (n == 0) {
    return SVRBFD_PQ_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  (svrbfd_ctx_get_echo_stats)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
