/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The detector context: peer paths (sender side: bursts, report timeout,
 * decision), responder records (receiver side: which probes of which burst
 * arrived, the report) and IP fragment reassembly of jumbo probes.  All
 * deadlines live in one expiry heap.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fwdet_int.h"
#include "svr_mem.h"
#include "svr_endian.h"
#include "svr_hash.h"
#include "svr_heap.h"
#include "svr_meta.h"

#define REC_MAX 1024      /* responder records kept at once */
#define FRAG_MAX_ENTRIES 64
#define FRAG_MAX_BYTES 8192 /* IP payload we reassemble (jumbo TCP: 6536) */
#define FRAG_FIRST_KEEP 64  /* bytes of the first fragment kept: TCP + id */
#define FRAG_TIMEOUT_NS (2 * SVRFWDET_SECONDS)

enum { T_PATH = 1, T_REC = 2, T_FRAG = 3 };

typedef struct fwdet_timer {
  svr_heap_node node; /* first member: a node pointer is a timer pointer */
  int type;
} fwdet_timer;

/*
 * Intrusive chained hash: objects embed an fh_link per index.  Paths are
 * found by path id (reports) and by remote address (duplicates, TCP
 * resets), responder records by (path id, burst): O(1) at 100k paths.
 * Keys are mixed with a per-context random seed (path ids and bursts
 * come off the wire).
 */
typedef struct fh_link {
  struct fh_link *next;
  uint64_t key;
} fh_link;

typedef struct fwdet_hash {
  fh_link **b; /* NULL until the first insert */
  size_t nb;   /* power of two */
  size_t n;
} fwdet_hash;

#define FH_ENTRY(l, type, member)                                              \
  ((type *)(void *)((char *)(l) - offsetof(type, member)))

/* Steps of a burst on the wire, in sending order. */
enum {
  STEP_REQUEST = 0,
  STEP_SYN,
  STEP_MIDFLOW,
  STEP_JUMBO,
  STEP_OOO,
  STEP_DONE
};

struct svrfwdet_path {
  fwdet_timer tm;
  svrfwdet_ctx *ctx;
  svrfwdet_path *prev, *next; /* every path */
  fh_link by_id, by_remote;   /* ctx->paths_by_id, ctx->paths_by_remote */
  svrfwdet_path *tx_next;     /* FIFO of paths with output */
  int in_txq;
  svrfwdet_path_config cfg;
  void *user_data;
  uint32_t path_id;
  svrfwdet_duration interval_ns;
  svrfwdet_duration timeout_ns;
  svrfwdet_tstamp next_burst;
  svrfwdet_tstamp report_deadline;
  int awaiting;
  uint32_t burst;
  uint8_t sent_kinds;
  int tx_step;
  size_t tx_frag;
  svrfwdet_probe probes[SVRFWDET_NKINDS];
  unsigned reasons;
  int transform;
  uint32_t lost_streak[SVRFWDET_NKINDS];
  uint32_t passed_streak[SVRFWDET_NKINDS];
  uint32_t bursts_sent, bursts_answered, bursts_timed_out;
  uint8_t last_arrived;
  uint64_t tcp_resets;
  char peer_router[SVRFWDET_NAME_MAX];
  char peer_node[SVRFWDET_NAME_MAX];
};

typedef struct fwdet_rec {
  fwdet_timer tm;
  struct fwdet_rec *prev, *next;
  fh_link by_key; /* ctx->recs_by_key: (path id, burst) */
  struct fwdet_rec *tx_next;
  int in_txq;
  uint32_t path_id, burst;
  uint8_t announced, arrived;
  int have_request;
  uint8_t flags_seen[SVRFWDET_NKINDS];
  svrfwdet_addr reply_to;
  svrfwdet_addr local;
} fwdet_rec;

typedef struct fwdet_frag {
  fwdet_timer tm;
  struct fwdet_frag *prev, *next;
  uint8_t family;
  uint8_t src[16], dst[16];
  uint32_t id;
  size_t total; /* 0 until the last fragment arrived */
  int have_first;
  size_t first_len;
  uint8_t first[FRAG_FIRST_KEEP];
  uint8_t bits[FRAG_MAX_BYTES / 8 / 8];
} fwdet_frag;

struct svrfwdet_ctx {
  svrfwdet_mem mem;
  svrfwdet_callbacks cb;
  svrfwdet_settings settings;
  char router_name[SVRFWDET_NAME_MAX];
  char node_name[SVRFWDET_NAME_MAX];
  void *user_data;
  svr_heap heap;
  svrfwdet_path *paths;
  fwdet_hash paths_by_id, paths_by_remote, recs_by_key;
  uint64_t hseed;
  svrfwdet_path *ptx_head, *ptx_tail;
  fwdet_rec *recs;
  size_t nrecs;
  fwdet_rec *rtx_head, *rtx_tail;
  fwdet_frag *frags; /* oldest first */
  fwdet_frag *frags_tail;
  size_t nfrags;
  svrfwdet_stats stats;
  /* The jumbo SYN of the path at the head of the transmit queue, built once
   * per burst and cut into fragments from here. */
  size_t scratch_len;
  uint8_t scratch[SVRFWDET_MAX_DGRAM_LEN];
};

/* ---- memory ---------------------------------------------------------- */

static void *ctx_calloc(svrfwdet_ctx *ctx, size_t n) {
  return ctx->mem.calloc(1, n, ctx->mem.user_data);
}
static void ctx_free(svrfwdet_ctx *ctx, void *p) {
  if (p) {
    ctx->mem.free(p, ctx->mem.user_data);
  }
}

/* ---- hash indices ------------------------------------------------------ */

static uint64_t key_id(const svrfwdet_ctx *ctx, uint32_t path_id) {
  return svr_mix64(ctx->hseed ^ path_id);
}

static uint64_t key_rec(const svrfwdet_ctx *ctx, uint32_t path_id,
                        uint32_t burst) {
  return svr_mix64(ctx->hseed ^ (((uint64_t)path_id << 32) | burst));
}

static uint64_t key_addr(const svrfwdet_ctx *ctx, const svrfwdet_addr *a) {
  uint64_t k = ctx->hseed ^ a->family;
  size_t i, n = a->family == 4 ? 4 : 16;
  for (i = 0; i < n; i++) {
    k = svr_mix64(k ^ a->addr[i]);
  }
  return k;
}

/* Inserts |l| under |key|.  Grows the table at load 1; when that
 * allocation fails the old table keeps working (longer chains).  Fails
 * only when there is no table at all and none can be had. */
static int fh_insert(svrfwdet_ctx *ctx, fwdet_hash *h, fh_link *l,
                     uint64_t key) {
  if (h->n >= h->nb) {
    size_t nb = h->nb ? h->nb * 2 : 16, i;
    fh_link **b = nb <= SIZE_MAX / sizeof(*b) ? ctx_calloc(ctx, nb * sizeof(*b))
                                               : NULL;
    if (b) {
      for (i = 0; i < h->nb; i++) {
        fh_link *e = h->b[i], *next;
        for (; e; e = next) {
          next = e->next;
          e->next = b[e->key & (nb - 1)];
          b[e->key & (nb - 1)] = e;
        }
      }
      ctx_free(ctx, h->b);
      h->b = b;
      h->nb = nb;
    } else if (!h->b) {
      return -1;
    }
  }
  l->key = key;
  l->next = h->b[key & (h->nb - 1)];
  h->b[key & (h->nb - 1)] = l;
  h->n++;
  return 0;
}

static void fh_remove(fwdet_hash *h, fh_link *l) {
  fh_link **pp;
  if (!h->b) {
    return;
  }
  for (pp = &h->b[l->key & (h->nb - 1)]; *pp; pp = &(*pp)->next) {
    if (*pp == l) {
      *pp = l->next;
      h->n--;
      return;
    }
  }
}

/* First entry under |key| (then fh_next): callers compare the object. */
static fh_link *fh_first(const fwdet_hash *h, uint64_t key) {
  fh_link *l = h->b ? h->b[key & (h->nb - 1)] : NULL;
  while (l && l->key != key) {
    l = l->next;
  }
  return l;
}

static fh_link *fh_next(fh_link *l) {
  uint64_t key = l->key;
  for (l = l->next; l && l->key != key; l = l->next) {
  }
  return l;
}

static void copy_name(char *dst, const char *src, size_t n) {
  if (n >= SVRFWDET_NAME_MAX) {
    n = SVRFWDET_NAME_MAX - 1;
  }
  if (n) {
    memcpy(dst, src, n);
  }
  dst[n] = '\0';
}

/* ---- settings -------------------------------------------------------- */

void svrfwdet_settings_default_versioned(int settings_version,
                                         svrfwdet_settings *s) {
  (void)settings_version;
  if (!s) {
    return;
  }
  memset(s, 0, sizeof(*s));
  s->respond = 1;
  s->collect_ns = 500 * SVRFWDET_MILLISECONDS;
}

void svrfwdet_path_config_default_versioned(int config_version,
                                            svrfwdet_path_config *c) {
  (void)config_version;
  if (!c) {
    return;
  }
  memset(c, 0, sizeof(*c));
  c->mode = SVRFWDET_MODE_AUTO;
  c->detect_interval_s = SVRFWDET_DEFAULT_INTERVAL_S;
  c->report_timeout_ns = 5 * SVRFWDET_SECONDS;
  c->lost_bursts = SVRFWDET_DEFAULT_LOST_BURSTS;
  c->passed_bursts = SVRFWDET_DEFAULT_PASSED_BURSTS;
  c->mtu = 1500;
  c->kinds = SVRFWDET_REASON_ALL;
}

/* ---- context --------------------------------------------------------- */

int svrfwdet_ctx_new_versioned(svrfwdet_ctx **pctx, int callbacks_version,
                               const svrfwdet_callbacks *callbacks,
                               int settings_version,
                               const svrfwdet_settings *settings,
                               const svrfwdet_mem *mem, void *user_data) {
  svrfwdet_ctx *ctx;
  svrfwdet_mem m;
  if (!pctx || !callbacks || !settings) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if (callbacks_version != SVRFWDET_CALLBACKS_V1 ||
      settings_version != SVRFWDET_SETTINGS_V1) {
    return SVRFWDET_ERR_VERSION;
  }
  if (!callbacks->rand) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
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
    return SVRFWDET_ERR_NOMEM;
  }
  ctx->mem = m;
  ctx->cb = *callbacks;
  ctx->settings = *settings;
  copy_name(ctx->router_name, settings->router_name ? settings->router_name : "",
            settings->router_name ? strlen(settings->router_name) : 0);
  copy_name(ctx->node_name, settings->node_name ? settings->node_name : "",
            settings->node_name ? strlen(settings->node_name) : 0);
  ctx->settings.router_name = ctx->router_name;
  ctx->settings.node_name = ctx->node_name;
  ctx->user_data = user_data;
  {
    uint8_t seed[8];
    size_t i;
    ctx->cb.rand(seed, sizeof(seed), user_data);
    for (i = 0; i < sizeof(seed); i++) {
      ctx->hseed = (ctx->hseed << 8) | seed[i];
    }
  }
  svr_heap_init(&ctx->heap);
  *pctx = ctx;
  return 0;
}

static void rec_free(svrfwdet_ctx *ctx, fwdet_rec *r);
static void frag_free(svrfwdet_ctx *ctx, fwdet_frag *f);

void svrfwdet_ctx_del(svrfwdet_ctx *ctx) {
  if (!ctx) {
    return;
  }
  while (ctx->paths) {
    svrfwdet_path_del(ctx->paths);
  }
  while (ctx->recs) {
    rec_free(ctx, ctx->recs);
  }
  while (ctx->frags) {
    frag_free(ctx, ctx->frags);
  }
  ctx_free(ctx, ctx->paths_by_id.b);
  ctx_free(ctx, ctx->paths_by_remote.b);
  ctx_free(ctx, ctx->recs_by_key.b);
  ctx_free(ctx, ctx);
}

void(svrfwdet_ctx_get_stats)(const svrfwdet_ctx *ctx, svrfwdet_stats *stats) {
  if (ctx && stats) {
    *stats = ctx->stats;
  }
}

svrfwdet_tstamp svrfwdet_ctx_get_expiry(const svrfwdet_ctx *ctx) {
  const svr_heap_node *n;
  if (!ctx) {
    return SVRFWDET_TSTAMP_MAX;
  }
  if (ctx->ptx_head || ctx->rtx_head) {
    return 0; /* output is waiting: write_pkt now */
  }
  n = svr_heap_min(&ctx->heap);
  return n ? n->key : SVRFWDET_TSTAMP_MAX;
}

static void timer_set(svrfwdet_ctx *ctx, fwdet_timer *t, svrfwdet_tstamp at) {
  svr_heap_remove(&ctx->heap, &t->node);
  if (at != SVRFWDET_TSTAMP_MAX) {
    svr_heap_insert(&ctx->heap, &t->node, at);
  }
}

/* ---- paths ----------------------------------------------------------- */

static int addr_eq(const svrfwdet_addr *a, const svrfwdet_addr *b) {
  return a->family == b->family &&
         memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static uint32_t rand32(svrfwdet_ctx *ctx) {
  uint8_t b[4];
  ctx->cb.rand(b, sizeof(b), ctx->user_data);
  return svr_get_be32(b);
}

static void path_arm(svrfwdet_path *p) {
  svrfwdet_tstamp at = SVRFWDET_TSTAMP_MAX;
  if (p->cfg.mode == SVRFWDET_MODE_AUTO) {
    at = p->awaiting ? p->report_deadline : p->next_burst;
  }
  timer_set(p->ctx, &p->tm, at);
}

static void path_txq_remove(svrfwdet_path *p) {
  svrfwdet_ctx *ctx = p->ctx;
  svrfwdet_path **pp;
  if (!p->in_txq) {
    return;
  }
  ctx->ptx_tail = NULL;
  for (pp = &ctx->ptx_head; *pp;) {
    if (*pp == p) {
      *pp = p->tx_next;
    } else {
      ctx->ptx_tail = *pp;
      pp = &(*pp)->tx_next;
    }
  }
  p->tx_next = NULL;
  p->in_txq = 0;
}

static void path_txq_push(svrfwdet_path *p) {
  svrfwdet_ctx *ctx = p->ctx;
  if (p->in_txq) {
    return;
  }
  p->tx_next = NULL;
  if (ctx->ptx_tail) {
    ctx->ptx_tail->tx_next = p;
  } else {
    ctx->ptx_head = p;
  }
  ctx->ptx_tail = p;
  p->in_txq = 1;
}

static void notify(svrfwdet_path *p, int old_transform, unsigned old_reasons,
                   svrfwdet_tstamp ts) {
  if ((old_transform != p->transform || old_reasons != p->reasons) &&
      p->ctx->cb.transform_changed) {
    p->ctx->cb.transform_changed(p->ctx, p, p->transform, p->reasons, ts,
                                 p->ctx->user_data);
  }
}

static void path_apply_mode(svrfwdet_path *p) {
  memset(p->lost_streak, 0, sizeof(p->lost_streak));
  memset(p->passed_streak, 0, sizeof(p->passed_streak));
  p->awaiting = 0;
  switch (p->cfg.mode) {
  case SVRFWDET_MODE_ALWAYS_TRANSFORM:
    p->transform = 1;
    p->reasons = SVRFWDET_REASON_CONFIGURED;
    break;
  case SVRFWDET_MODE_DISABLED:
  case SVRFWDET_MODE_AUTO:
  default:
    p->transform = 0;
    p->reasons = 0;
    break;
  }
}

int svrfwdet_path_new_versioned(svrfwdet_ctx *ctx, svrfwdet_path **ppath,
                                int config_version,
                                const svrfwdet_path_config *cfg,
                                void *user_data, svrfwdet_tstamp ts) {
  svrfwdet_path *p, *q;
  fh_link *l;
  size_t minmtu;
  if (!ctx || !cfg) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if (config_version != SVRFWDET_PATH_CONFIG_V1) {
    return SVRFWDET_ERR_VERSION;
  }
  if ((cfg->local.family != 4 && cfg->local.family != 6) ||
      cfg->local.family != cfg->remote.family) {
    return SVRFWDET_ERR_ADDRESS;
  }
  if ((unsigned)cfg->mode > SVRFWDET_MODE_DISABLED || cfg->lost_bursts == 0 ||
      cfg->passed_bursts == 0 || cfg->kinds == 0 ||
      (cfg->kinds & ~SVRFWDET_REASON_ALL)) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if (cfg->detect_interval_ns == 0 &&
      (cfg->detect_interval_s < 1 || cfg->detect_interval_s > 86400)) {
    return SVRFWDET_ERR_INTERVAL;
  }
  minmtu = cfg->local.family == 4 ? FWDET_MIN_MTU_V4 : FWDET_MIN_MTU_V6;
  if (cfg->mtu < minmtu || cfg->mtu > SVRFWDET_MAX_MTU) {
    return SVRFWDET_ERR_MTU;
  }
  for (l = fh_first(&ctx->paths_by_remote, key_addr(ctx, &cfg->remote)); l;
       l = fh_next(l)) {
    q = FH_ENTRY(l, svrfwdet_path, by_remote);
    if (addr_eq(&q->cfg.local, &cfg->local) &&
        addr_eq(&q->cfg.remote, &cfg->remote)) {
      return SVRFWDET_ERR_PATH_EXISTS;
    }
  }
  p = ctx_calloc(ctx, sizeof(*p));
  if (!p) {
    return SVRFWDET_ERR_NOMEM;
  }
  p->tm.type = T_PATH;
  svr_heap_node_init(&p->tm.node);
  p->ctx = ctx;
  p->cfg = *cfg;
  p->user_data = user_data;
  p->interval_ns = cfg->detect_interval_ns
                       ? cfg->detect_interval_ns
                       : (svrfwdet_duration)cfg->detect_interval_s *
                             SVRFWDET_SECONDS;
  p->timeout_ns = cfg->report_timeout_ns ? cfg->report_timeout_ns
                                         : 5 * SVRFWDET_SECONDS;
  if (p->timeout_ns > p->interval_ns) {
    p->timeout_ns = p->interval_ns;
  }
  /* A nonzero path id nobody else on this context uses. */
  do {
    p->path_id = rand32(ctx);
    q = NULL;
    for (l = fh_first(&ctx->paths_by_id, key_id(ctx, p->path_id)); l && !q;
         l = fh_next(l)) {
      if (FH_ENTRY(l, svrfwdet_path, by_id)->path_id == p->path_id) {
        q = FH_ENTRY(l, svrfwdet_path, by_id);
      }
    }
  } while (p->path_id == 0 || q);
  if (fh_insert(ctx, &ctx->paths_by_id, &p->by_id,
                key_id(ctx, p->path_id)) != 0) {
    ctx_free(ctx, p);
    return SVRFWDET_ERR_NOMEM;
  }
  if (fh_insert(ctx, &ctx->paths_by_remote, &p->by_remote,
                key_addr(ctx, &cfg->remote)) != 0) {
    fh_remove(&ctx->paths_by_id, &p->by_id);
    ctx_free(ctx, p);
    return SVRFWDET_ERR_NOMEM;
  }
  p->tx_step = STEP_DONE;
  path_apply_mode(p);
  p->next_burst = ts;
  p->next = ctx->paths;
  if (ctx->paths) {
    ctx->paths->prev = p;
  }
  ctx->paths = p;
  path_arm(p);
  if (ppath) {
    *ppath = p;
  }
  return 0;
}

void svrfwdet_path_del(svrfwdet_path *p) {
  svrfwdet_ctx *ctx;
  if (!p) {
    return;
  }
  ctx = p->ctx;
  path_txq_remove(p);
  svr_heap_remove(&ctx->heap, &p->tm.node);
  fh_remove(&ctx->paths_by_id, &p->by_id);
  fh_remove(&ctx->paths_by_remote, &p->by_remote);
  if (p->prev) {
    p->prev->next = p->next;
  } else {
    ctx->paths = p->next;
  }
  if (p->next) {
    p->next->prev = p->prev;
  }
  ctx_free(ctx, p);
}

int svrfwdet_path_set_mode(svrfwdet_path *p, svrfwdet_mode mode,
                           svrfwdet_tstamp ts) {
  int ot;
  unsigned orr;
  if (!p || (unsigned)mode > SVRFWDET_MODE_DISABLED) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if (mode == p->cfg.mode) {
    return 0;
  }
  ot = p->transform;
  orr = p->reasons;
  p->cfg.mode = mode;
  path_apply_mode(p);
  path_txq_remove(p);
  p->tx_step = STEP_DONE;
  p->next_burst = ts;
  path_arm(p);
  notify(p, ot, orr, ts);
  return 0;
}

void(svrfwdet_path_get_info)(const svrfwdet_path *p, svrfwdet_path_info *i) {
  if (!p || !i) {
    return;
  }
  memset(i, 0, sizeof(*i));
  i->mode = p->cfg.mode;
  i->transform = p->transform;
  i->reasons = p->reasons;
  i->path_id = p->path_id;
  i->bursts_sent = p->bursts_sent;
  i->bursts_answered = p->bursts_answered;
  i->bursts_timed_out = p->bursts_timed_out;
  i->last_arrived = p->last_arrived;
  memcpy(i->lost_streak, p->lost_streak, sizeof(i->lost_streak));
  memcpy(i->passed_streak, p->passed_streak, sizeof(i->passed_streak));
  i->tcp_resets = p->tcp_resets;
  i->local = p->cfg.local;
  i->remote = p->cfg.remote;
  memcpy(i->peer_router_name, p->peer_router, SVRFWDET_NAME_MAX);
  memcpy(i->peer_node_name, p->peer_node, SVRFWDET_NAME_MAX);
}

void *svrfwdet_path_get_user_data(const svrfwdet_path *p) {
  return p ? p->user_data : NULL;
}

/* Starts a burst: fresh source ports and sequence numbers for each probe. */
static void path_start_burst(svrfwdet_path *p, svrfwdet_tstamp ts) {
  svrfwdet_ctx *ctx = p->ctx;
  int k;
  p->burst++;
  p->bursts_sent++;
  p->sent_kinds = p->cfg.kinds;
  for (k = 0; k < SVRFWDET_NKINDS; k++) {
    svrfwdet_probe *pr = &p->probes[k];
    uint32_t r = rand32(ctx);
    memset(pr, 0, sizeof(*pr));
    pr->kind = (svrfwdet_kind)k;
    pr->src = p->cfg.local;
    pr->dst = p->cfg.remote;
    pr->src.port = (uint16_t)(49152u + (r & 0x3fffu));
    pr->seq = rand32(ctx);
    pr->ack = rand32(ctx);
    pr->ip_id = (uint16_t)(r >> 16);
    pr->path_id = p->path_id;
    pr->burst = p->burst;
  }
  p->probes[SVRFWDET_KIND_SYN].dst.port = SVRFWDET_PORT_B;
  p->probes[SVRFWDET_KIND_MIDFLOW].dst.port = SVRFWDET_PORT_A;
  p->probes[SVRFWDET_KIND_JUMBO].dst.port = SVRFWDET_PORT_A;
  /* The out-of-order segment rides the SYN probe's 4-tuple with a sequence
   * number far beyond the SYN's data: a stateful tracker that saw the SYN
   * (state SYN_SENT) finds an ACK it cannot accept. */
  p->probes[SVRFWDET_KIND_OOO].dst.port = SVRFWDET_PORT_B;
  p->probes[SVRFWDET_KIND_OOO].src.port =
      p->probes[SVRFWDET_KIND_SYN].src.port;
  p->probes[SVRFWDET_KIND_OOO].seq = p->probes[SVRFWDET_KIND_SYN].seq + 1u +
                                     SVRFWDET_SMALL_PAYLOAD + FWDET_OOO_GAP;
  p->awaiting = 1;
  p->report_deadline = ts + p->timeout_ns;
  p->next_burst = ts + p->interval_ns;
  p->tx_step = STEP_REQUEST;
  p->tx_frag = 0;
  path_txq_push(p);
}

/*
 * The decision rule (docs/libsvrfwdet.md section 4): per probe kind, a run
 * of cfg.lost_bursts answered bursts that lost it makes it a reason, a run
 * of cfg.passed_bursts answered bursts in which it arrived clears it.
 */
static void path_report(svrfwdet_path *p, uint8_t arrived, svrfwdet_tstamp ts) {
  int k, ot = p->transform;
  unsigned orr = p->reasons;
  arrived &= p->sent_kinds;
  for (k = 0; k < SVRFWDET_NKINDS; k++) {
    unsigned bit = 1u << k;
    if (!(p->sent_kinds & bit)) {
      continue;
    }
    if (arrived & bit) {
      p->lost_streak[k] = 0;
      if (p->passed_streak[k] < UINT32_MAX) {
        p->passed_streak[k]++;
      }
      if ((p->reasons & bit) && p->passed_streak[k] >= p->cfg.passed_bursts) {
        p->reasons &= ~bit;
      }
    } else {
      p->passed_streak[k] = 0;
      if (p->lost_streak[k] < UINT32_MAX) {
        p->lost_streak[k]++;
      }
      if (!(p->reasons & bit) && p->lost_streak[k] >= p->cfg.lost_bursts) {
        p->reasons |= bit;
      }
    }
  }
  p->last_arrived = arrived;
  p->bursts_answered++;
  p->transform = p->reasons != 0;
  notify(p, ot, orr, ts);
}

static void path_expire(svrfwdet_path *p, svrfwdet_tstamp ts) {
  svrfwdet_ctx *ctx = p->ctx;
  if (p->cfg.mode != SVRFWDET_MODE_AUTO) {
    return;
  }
  if (p->awaiting && ts >= p->report_deadline) {
    p->awaiting = 0;
    p->bursts_timed_out++;
    ctx->stats.discovery_timeout++;
    if (ctx->cb.burst_done) {
      ctx->cb.burst_done(ctx, p, p->burst, -1, ts, ctx->user_data);
    }
  }
  if (!p->awaiting && ts >= p->next_burst) {
    path_start_burst(p, ts);
  }
  path_arm(p);
}

/* ---- responder records ----------------------------------------------- */

static void rec_free(svrfwdet_ctx *ctx, fwdet_rec *r) {
  fwdet_rec **pp;
  svr_heap_remove(&ctx->heap, &r->tm.node);
  if (r->in_txq) {
    ctx->rtx_tail = NULL;
    for (pp = &ctx->rtx_head; *pp;) {
      if (*pp == r) {
        *pp = r->tx_next;
      } else {
        ctx->rtx_tail = *pp;
        pp = &(*pp)->tx_next;
      }
    }
  }
  fh_remove(&ctx->recs_by_key, &r->by_key);
  if (r->prev) {
    r->prev->next = r->next;
  } else {
    ctx->recs = r->next;
  }
  if (r->next) {
    r->next->prev = r->prev;
  }
  ctx->nrecs--;
  ctx_free(ctx, r);
}

static fwdet_rec *rec_get(svrfwdet_ctx *ctx, uint32_t path_id, uint32_t burst,
                          svrfwdet_tstamp ts, int *nomem) {
  fwdet_rec *r;
  fh_link *l;
  uint64_t key = key_rec(ctx, path_id, burst);
  *nomem = 0;
  for (l = fh_first(&ctx->recs_by_key, key); l; l = fh_next(l)) {
    r = FH_ENTRY(l, fwdet_rec, by_key);
    if (r->path_id == path_id && r->burst == burst) {
      return r;
    }
  }
  if (ctx->nrecs >= REC_MAX) {
    return NULL;
  }
  r = ctx_calloc(ctx, sizeof(*r));
  if (!r) {
    *nomem = 1;
    return NULL;
  }
  if (fh_insert(ctx, &ctx->recs_by_key, &r->by_key, key) != 0) {
    ctx_free(ctx, r);
    *nomem = 1;
    return NULL;
  }
  r->tm.type = T_REC;
  svr_heap_node_init(&r->tm.node);
  r->path_id = path_id;
  r->burst = burst;
  r->next = ctx->recs;
  if (ctx->recs) {
    ctx->recs->prev = r;
  }
  ctx->recs = r;
  ctx->nrecs++;
  timer_set(ctx, &r->tm, ts + ctx->settings.collect_ns);
  return r;
}

static void rec_make_due(svrfwdet_ctx *ctx, fwdet_rec *r) {
  if (r->in_txq) {
    return;
  }
  svr_heap_remove(&ctx->heap, &r->tm.node);
  r->tx_next = NULL;
  if (ctx->rtx_tail) {
    ctx->rtx_tail->tx_next = r;
  } else {
    ctx->rtx_head = r;
  }
  ctx->rtx_tail = r;
  r->in_txq = 1;
}

static void rec_check_complete(svrfwdet_ctx *ctx, fwdet_rec *r) {
  if (r->have_request && (r->arrived & r->announced) == r->announced) {
    rec_make_due(ctx, r);
  }
}

static int record_probe(svrfwdet_ctx *ctx, const svrfwdet_probe_info *info,
                        svrfwdet_tstamp ts) {
  fwdet_rec *r;
  int nomem;
  ctx->stats.probes_received++;
  if (!ctx->settings.respond) {
    return 0;
  }
  r = rec_get(ctx, info->path_id, info->burst, ts, &nomem);
  if (!r) {
    return nomem ? SVRFWDET_ERR_NOMEM : 0;
  }
  if (r->in_txq) {
    return 0; /* report already queued; a late duplicate */
  }
  r->arrived = (uint8_t)(r->arrived | (1u << info->kind));
  r->flags_seen[info->kind] = info->tcp_flags;
  rec_check_complete(ctx, r);
  return 0;
}

/* ---- control datagrams ----------------------------------------------- */

int svrfwdet_ctx_read_ctrl(svrfwdet_ctx *ctx, const svrfwdet_addr *from,
                           const svrfwdet_addr *to, const uint8_t *data,
                           size_t len, svrfwdet_tstamp ts) {
  svrfwdet_msg m;
  svrfwdet_path *p;
  fh_link *l;
  int rv, nomem;
  if (!ctx || !from || !to || (!data && len)) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  rv = svrfwdet_msg_decode(&m, data, len);
  if (rv != 0) {
    ctx->stats.unknown_received++;
    return rv;
  }
  if (m.op == SVRFWDET_OP_REQUEST) {
    fwdet_rec *r;
    ctx->stats.request_received++;
    if (!ctx->settings.respond) {
      return 0;
    }
    r = rec_get(ctx, m.path_id, m.burst, ts, &nomem);
    if (!r) {
      return nomem ? SVRFWDET_ERR_NOMEM : 0;
    }
    if (!r->in_txq) {
      r->have_request = 1;
      r->announced = m.kinds;
      r->reply_to = *from;
      r->local = *to;
      rec_check_complete(ctx, r);
    }
    return 0;
  }
  /* a report */
  p = NULL;
  for (l = fh_first(&ctx->paths_by_id, key_id(ctx, m.path_id)); l && !p;
       l = fh_next(l)) {
    if (FH_ENTRY(l, svrfwdet_path, by_id)->path_id == m.path_id) {
      p = FH_ENTRY(l, svrfwdet_path, by_id);
    }
  }
  if (!p || !p->awaiting || p->burst != m.burst ||
      p->cfg.mode != SVRFWDET_MODE_AUTO) {
    ctx->stats.unknown_received++;
    return SVRFWDET_ERR_MSG_UNKNOWN;
  }
  ctx->stats.reply_received++;
  copy_name(p->peer_router, m.router_name, m.router_name_len);
  copy_name(p->peer_node, m.node_name, m.node_name_len);
  p->awaiting = 0;
  path_report(p, m.kinds, ts);
  if (ctx->cb.burst_done) {
    ctx->cb.burst_done(ctx, p, p->burst, m.kinds & p->sent_kinds, ts,
                       ctx->user_data);
  }
  path_arm(p);
  return 0;
}

/* ---- captured IP packets --------------------------------------------- */

static void frag_free(svrfwdet_ctx *ctx, fwdet_frag *f) {
  svr_heap_remove(&ctx->heap, &f->tm.node);
  if (f->prev) {
    f->prev->next = f->next;
  } else {
    ctx->frags = f->next;
  }
  if (f->next) {
    f->next->prev = f->prev;
  } else {
    ctx->frags_tail = f->prev;
  }
  ctx->nfrags--;
  ctx_free(ctx, f);
}

/* One fragment of a TCP datagram: |data| (|n| bytes) at byte |off|. */
static int frag_input(svrfwdet_ctx *ctx, uint8_t family, const uint8_t *src,
                      const uint8_t *dst, uint32_t id, size_t off, int more,
                      const uint8_t *data, size_t n, svrfwdet_tstamp ts) {
  size_t alen = family == 4 ? 4 : 16, b, nblocks;
  fwdet_frag *f;
  svrfwdet_probe_info info;
  int rv;
  if ((more && (n % 8) != 0) || n == 0) {
    return SVRFWDET_ERR_IP_MALFORMED;
  }
  if (off + n > FRAG_MAX_BYTES) {
    return SVRFWDET_ERR_IP_NOT_PROBE; /* bigger than any probe */
  }
  for (f = ctx->frags; f; f = f->next) {
    if (f->family == family && f->id == id && !memcmp(f->src, src, alen) &&
        !memcmp(f->dst, dst, alen)) {
      break;
    }
  }
  if (!f) {
    if (ctx->nfrags >= FRAG_MAX_ENTRIES) {
      frag_free(ctx, ctx->frags); /* the oldest */
    }
    f = ctx_calloc(ctx, sizeof(*f));
    if (!f) {
      return SVRFWDET_ERR_NOMEM;
    }
    f->tm.type = T_FRAG;
    svr_heap_node_init(&f->tm.node);
    f->family = family;
    memcpy(f->src, src, alen);
    memcpy(f->dst, dst, alen);
    f->id = id;
    f->prev = ctx->frags_tail;
    if (ctx->frags_tail) {
      ctx->frags_tail->next = f;
    } else {
      ctx->frags = f;
    }
    ctx->frags_tail = f;
    ctx->nfrags++;
    timer_set(ctx, &f->tm, ts + FRAG_TIMEOUT_NS);
  }
  for (b = off / 8; b < (off + n + 7) / 8; b++) {
    f->bits[b / 8] = (uint8_t)(f->bits[b / 8] | (1u << (b % 8)));
  }
  if (off == 0) {
    f->first_len = n < FRAG_FIRST_KEEP ? n : FRAG_FIRST_KEEP;
    memcpy(f->first, data, f->first_len);
    f->have_first = 1;
  }
  if (!more) {
    f->total = off + n;
  }
  if (!f->total || !f->have_first) {
    return 0;
  }
  nblocks = (f->total + 7) / 8;
  for (b = 0; b < nblocks; b++) {
    if (!(f->bits[b / 8] & (1u << (b % 8)))) {
      return 0;
    }
  }
  memset(&info, 0, sizeof(info));
  rv = svrfwdet__tcp_parse(&info, f->first, f->first_len, f->total);
  if (rv == 0) {
    info.src.family = info.dst.family = family;
    memcpy(info.src.addr, f->src, alen);
    memcpy(info.dst.addr, f->dst, alen);
  }
  frag_free(ctx, f);
  if (rv != 0) {
    return rv;
  }
  return record_probe(ctx, &info, ts);
}

/* A TCP RST from a peer's probe port: the peer's kernel answered a probe. */
static int check_rst(svrfwdet_ctx *ctx, uint8_t family, const uint8_t *src,
                     const uint8_t *tcp, size_t len) {
  svrfwdet_path *p;
  fh_link *l;
  uint16_t sport;
  svrfwdet_addr a;
  if (len < 20 || !(tcp[13] & FWDET_TCP_RST)) {
    return 0;
  }
  sport = svr_get_be16(tcp);
  if (sport != SVRFWDET_PORT_A && sport != SVRFWDET_PORT_B) {
    return 0;
  }
  memset(&a, 0, sizeof(a));
  a.family = family;
  memcpy(a.addr, src, family == 4 ? 4 : 16);
  for (l = fh_first(&ctx->paths_by_remote, key_addr(ctx, &a)); l;
       l = fh_next(l)) {
    p = FH_ENTRY(l, svrfwdet_path, by_remote);
    if (addr_eq(&p->cfg.remote, &a)) {
      p->tcp_resets++;
      ctx->stats.tcp_reset_received++;
      return 1;
    }
  }
  return 0;
}

int svrfwdet_ctx_read_ip(svrfwdet_ctx *ctx, const uint8_t *pkt, size_t len,
                         svrfwdet_tstamp ts) {
  svrfwdet_probe_info info;
  size_t iphl, total;
  int rv;
  if (!ctx || (!pkt && len)) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if (len < 1) {
    return SVRFWDET_ERR_IP_MALFORMED;
  }
  if ((pkt[0] >> 4) == 4) {
    uint16_t fo;
    if (len < 20) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    iphl = (size_t)(pkt[0] & 0x0f) * 4;
    total = svr_get_be16(pkt + 2);
    if (iphl < 20 || total < iphl || total > len) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    if (pkt[9] != 6) {
      return SVRFWDET_ERR_IP_NOT_PROBE;
    }
    fo = svr_get_be16(pkt + 6);
    if (fo & 0x3fff) {
      return frag_input(ctx, 4, pkt + 12, pkt + 16, svr_get_be16(pkt + 4),
                        (size_t)(fo & 0x1fff) * 8, (fo & 0x2000) != 0,
                        pkt + iphl, total - iphl, ts);
    }
    if (check_rst(ctx, 4, pkt + 12, pkt + iphl, total - iphl)) {
      return 0;
    }
  } else if ((pkt[0] >> 4) == 6) {
    if (len < 40) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    total = 40 + (size_t)svr_get_be16(pkt + 4);
    if (total > len) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    if (pkt[6] == 44) {
      uint16_t fo;
      if (total < 48) {
        return SVRFWDET_ERR_IP_MALFORMED;
      }
      if (pkt[40] != 6) {
        return SVRFWDET_ERR_IP_NOT_PROBE;
      }
      fo = svr_get_be16(pkt + 42);
      if ((fo & 0xfff8) == 0 && !(fo & 1)) {
        /* an atomic fragment (RFC 8200 section 4.5): treat as whole */
        svrfwdet_probe_info ai;
        memset(&ai, 0, sizeof(ai));
        rv = svrfwdet__tcp_parse(&ai, pkt + 48, total - 48, total - 48);
        if (rv != 0) {
          return rv;
        }
        ai.src.family = ai.dst.family = 6;
        memcpy(ai.src.addr, pkt + 8, 16);
        memcpy(ai.dst.addr, pkt + 24, 16);
        return record_probe(ctx, &ai, ts);
      }
      return frag_input(ctx, 6, pkt + 8, pkt + 24, svr_get_be32(pkt + 44),
                        (size_t)(fo & 0xfff8), (fo & 1) != 0, pkt + 48,
                        total - 48, ts);
    }
    if (pkt[6] != 6) {
      return SVRFWDET_ERR_IP_NOT_PROBE;
    }
    if (check_rst(ctx, 6, pkt + 8, pkt + 40, total - 40)) {
      return 0;
    }
  } else {
    return SVRFWDET_ERR_IP_MALFORMED;
  }
  rv = svrfwdet_probe_parse(&info, pkt, len);
  if (rv != 0) {
    return rv;
  }
  return record_probe(ctx, &info, ts);
}

/* ---- timers and output ----------------------------------------------- */

int svrfwdet_ctx_handle_expiry(svrfwdet_ctx *ctx, svrfwdet_tstamp ts) {
  svr_heap_node *n;
  if (!ctx) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  while ((n = svr_heap_min(&ctx->heap)) != NULL && n->key <= ts) {
    fwdet_timer *t = (fwdet_timer *)(void *)n;
    svr_heap_remove(&ctx->heap, n);
    switch (t->type) {
    case T_PATH:
      path_expire((svrfwdet_path *)(void *)t, ts);
      break;
    case T_REC: {
      fwdet_rec *r = (fwdet_rec *)(void *)t;
      if (r->have_request) {
        rec_make_due(ctx, r); /* report what arrived by now */
      } else {
        rec_free(ctx, r); /* probes nobody announced: nobody to tell */
      }
      break;
    }
    case T_FRAG:
    default:
      frag_free(ctx, (fwdet_frag *)(void *)t);
      break;
    }
  }
  return 0;
}

static svrfwdet_ssize write_report(svrfwdet_ctx *ctx, svrfwdet_out *out,
                                   uint8_t *buf, size_t buflen) {
  fwdet_rec *r = ctx->rtx_head;
  svrfwdet_msg m;
  svrfwdet_ssize n;
  memset(&m, 0, sizeof(m));
  m.op = SVRFWDET_OP_REPORT;
  m.path_id = r->path_id;
  m.burst = r->burst;
  m.kinds = r->arrived;
  memcpy(m.flags_seen, r->flags_seen, sizeof(m.flags_seen));
  m.router_name = ctx->router_name;
  m.node_name = ctx->node_name;
  n = svrfwdet_msg_encode(buf, buflen, &m);
  if (n < 0) {
    return n;
  }
  memset(out, 0, sizeof(*out));
  out->type = SVRFWDET_OUT_UDP;
  out->dst = r->reply_to;
  out->src = r->local;
  out->src.port = SVRFWDET_PORT_CTRL;
  out->path = NULL;
  ctx->stats.reply_sent++;
  rec_free(ctx, r);
  return n;
}

/* Advances |p| past steps whose probe kind is not sent. */
static void path_skip(svrfwdet_path *p) {
  while (p->tx_step >= STEP_SYN && p->tx_step <= STEP_OOO) {
    static const svrfwdet_kind kinds[] = {SVRFWDET_KIND_SYN,
                                          SVRFWDET_KIND_MIDFLOW,
                                          SVRFWDET_KIND_JUMBO,
                                          SVRFWDET_KIND_OOO};
    if (p->sent_kinds & (1u << kinds[p->tx_step - STEP_SYN])) {
      return;
    }
    p->tx_step++;
  }
}

static svrfwdet_ssize write_path(svrfwdet_ctx *ctx, svrfwdet_path *p,
                                 svrfwdet_out *out, uint8_t *buf,
                                 size_t buflen) {
  svrfwdet_ssize n;
  memset(out, 0, sizeof(*out));
  out->path = p;
  out->src = p->cfg.local;
  out->dst = p->cfg.remote;
  path_skip(p);
  switch (p->tx_step) {
  case STEP_REQUEST: {
    svrfwdet_msg m;
    memset(&m, 0, sizeof(m));
    m.op = SVRFWDET_OP_REQUEST;
    m.path_id = p->path_id;
    m.burst = p->burst;
    m.kinds = p->sent_kinds;
    m.router_name = ctx->router_name;
    m.node_name = ctx->node_name;
    n = svrfwdet_msg_encode(buf, buflen, &m);
    if (n < 0) {
      return n;
    }
    out->type = SVRFWDET_OUT_UDP;
    out->src.port = SVRFWDET_PORT_CTRL;
    out->dst.port = SVRFWDET_PORT_CTRL;
    ctx->stats.request_sent++;
    p->tx_step++;
    break;
  }
  case STEP_SYN:
  case STEP_MIDFLOW:
  case STEP_OOO: {
    const svrfwdet_probe *pr =
        &p->probes[p->tx_step == STEP_SYN       ? SVRFWDET_KIND_SYN
                   : p->tx_step == STEP_MIDFLOW ? SVRFWDET_KIND_MIDFLOW
                                                : SVRFWDET_KIND_OOO];
    n = svrfwdet_probe_encode(buf, buflen, pr);
    if (n < 0) {
      return n;
    }
    out->type = SVRFWDET_OUT_IP;
    out->src.port = pr->src.port;
    out->dst.port = pr->dst.port;
    ctx->stats.probes_sent++;
    p->tx_step++;
    break;
  }
  case STEP_JUMBO: {
    const svrfwdet_probe *pr = &p->probes[SVRFWDET_KIND_JUMBO];
    svrfwdet_ssize d;
    if (p->tx_frag == 0) {
      d = svrfwdet_probe_encode(ctx->scratch, sizeof(ctx->scratch), pr);
      if (d < 0) {
        return d;
      }
      ctx->scratch_len = (size_t)d;
    }
    d = (svrfwdet_ssize)ctx->scratch_len;
    n = svrfwdet_ip_fragment(buf, buflen, ctx->scratch, (size_t)d, p->cfg.mtu,
                             p->tx_frag);
    if (n < 0) {
      return n;
    }
    if (n == 0) { /* cannot happen for index 0; defensive */
      p->tx_step++;
      p->tx_frag = 0;
      return write_path(ctx, p, out, buf, buflen);
    }
    out->type = SVRFWDET_OUT_IP;
    out->src.port = pr->src.port;
    out->dst.port = pr->dst.port;
    if (p->tx_frag == 0) {
      ctx->stats.probes_sent++;
    }
    p->tx_frag++;
    {
      /* peek: was that the last fragment? */
      size_t per = p->cfg.local.family == 4
                       ? ((p->cfg.mtu - 20) & ~(size_t)7)
                       : ((p->cfg.mtu - 48) & ~(size_t)7);
      size_t body = (size_t)d - (p->cfg.local.family == 4 ? 20 : 40);
      if ((size_t)d <= p->cfg.mtu || p->tx_frag * per >= body) {
        p->tx_step++;
        p->tx_frag = 0;
      }
    }
    break;
  }
  default:
    return 0;
  }
  path_skip(p);
  if (p->tx_step >= STEP_DONE) {
    path_txq_remove(p);
  }
  return n;
}

svrfwdet_ssize svrfwdet_ctx_write_pkt(svrfwdet_ctx *ctx, svrfwdet_out *out,
                                      uint8_t *buf, size_t buflen,
                                      svrfwdet_tstamp ts) {
  (void)ts;
  if (!ctx || !out || !buf) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if (ctx->rtx_head) {
    return write_report(ctx, out, buf, buflen);
  }
  while (ctx->ptx_head) {
    svrfwdet_path *p = ctx->ptx_head;
    if (p->tx_step >= STEP_DONE) {
      path_txq_remove(p);
      continue;
    }
    return write_path(ctx, p, out, buf, buflen);
  }
  return 0;
}

/* The bytes of svrfwdet_stats that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrfwdet_ctx_get_stats_size(int v) {
  return v == SVRFWDET_STATS_V1 ? sizeof(svrfwdet_stats) : 0;
}

int svrfwdet_ctx_get_stats_versioned(const svrfwdet_ctx *o, int v, svrfwdet_stats *out) {
  svrfwdet_stats full;
  size_t n = svrfwdet_ctx_get_stats_size(v);
  if (n == 0) {
    return SVRFWDET_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  (svrfwdet_ctx_get_stats)(o, &full);
  memcpy(out, &full, n);
  return 0;
}

/* The bytes of svrfwdet_path_info that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrfwdet_path_get_info_size(int v) {
  return v == SVRFWDET_PATH_INFO_V1 ? sizeof(svrfwdet_path_info) : 0;
}

int svrfwdet_path_get_info_versioned(const svrfwdet_path *o, int v, svrfwdet_path_info *out) {
  svrfwdet_path_info full;
  size_t n = svrfwdet_path_get_info_size(v);
  if (n == 0) {
    return SVRFWDET_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  (svrfwdet_path_get_info)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
