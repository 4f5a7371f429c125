/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Echo burst scheduler of one peer path: when requests are due, matching
 * replies to requests, and evaluating a burst once its last request has had
 * the reply timeout to come back.
 *
 * Timeline of one burst (T = link-test-interval, s = spacing, w = timeout):
 *   t0          first request (burst starts)
 *   t0 + k*s    request k (k < link-test-length), s >= peer's min echo rx
 *   tlast + w   evaluation: result, history, burst_done callback
 *   t0 + T      next burst, or the evaluation time if that is later.
 * A reply counts when it comes within w of its own request; later ones are
 * "late" and the request stays lost.  Replies are matched by (token, burst,
 * sequence number, our transmit timestamp), so a stray or replayed reply
 * cannot complete a request it does not belong to.
 */
#include <stdlib.h>
#include <string.h>

#include "pq_int.h"
#include "svr_mem.h"

#define PQ_MIN_INTERVAL_NS (1 * SVRBFD_SECONDS)
#define PQ_MAX_INTERVAL_NS (86400 * SVRBFD_SECONDS)
#define PQ_MIN_TIMEOUT_NS (1 * SVRBFD_MILLISECONDS)
#define PQ_MAX_TIMEOUT_NS (60 * SVRBFD_SECONDS)

/* ---- settings ----------------------------------------------------------- */

void svrbfd_pq_settings_default_versioned(int settings_version,
                                          svrbfd_pq_settings *s) {
  (void)settings_version;
  if (s == NULL) {
    return;
  }
  memset(s, 0, sizeof(*s));
  s->link_test_interval_ns = 10 * SVRBFD_SECONDS;
  s->link_test_length = 10;
  s->min_tx_spacing_ns = 10 * SVRBFD_MILLISECONDS;
  s->reply_timeout_ns = 1 * SVRBFD_SECONDS;
  s->history_len = 60;
  s->pad_len = 36;
  s->token = 0;
}

static int pq_interval_ok(svrbfd_duration interval_ns) {
  return interval_ns >= PQ_MIN_INTERVAL_NS && interval_ns <= PQ_MAX_INTERVAL_NS;
}

int svrbfd_pq_path_new_versioned(svrbfd_pq_path **ppath, int settings_version,
                                 const svrbfd_pq_settings *settings,
                                 int callbacks_version,
                                 const svrbfd_pq_callbacks *callbacks,
                                 const svrbfd_mem *mem, void *user_data) {
  svrbfd_pq_path *p;
  svrbfd_mem m;

  if (ppath == NULL || settings == NULL) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  if (settings_version != SVRBFD_PQ_SETTINGS_V1 ||
      (callbacks && callbacks_version != SVRBFD_PQ_CALLBACKS_V1)) {
    return SVRBFD_PQ_ERR_VERSION;
  }
  if (settings->history_len == 0 || settings->pad_len > SVRBFD_PQ_MAX_PAD) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  if (!pq_interval_ok(settings->link_test_interval_ns) ||
      settings->reply_timeout_ns < PQ_MIN_TIMEOUT_NS ||
      settings->reply_timeout_ns > PQ_MAX_TIMEOUT_NS ||
      settings->min_tx_spacing_ns > PQ_MAX_TIMEOUT_NS) {
    return SVRBFD_PQ_ERR_INTERVAL;
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
  p = m.calloc(1, sizeof(*p), m.user_data);
  if (p == NULL) {
    return SVRBFD_ERR_NOMEM;
  }
  p->hist = m.calloc(settings->history_len, sizeof(*p->hist), m.user_data);
  p->nslots = settings->link_test_length ? settings->link_test_length : 1;
  p->slots = m.calloc(p->nslots, sizeof(*p->slots), m.user_data);
  if (p->hist == NULL || p->slots == NULL) {
    m.free(p->hist, m.user_data);
    m.free(p->slots, m.user_data);
    m.free(p, m.user_data);
    return SVRBFD_ERR_NOMEM;
  }
  p->mem = m;
  p->s = *settings;
  if (callbacks) {
    p->cb = *callbacks;
  }
  p->user_data = user_data;
  p->next_burst_at = PQ_NEVER;
  p->next_tx_at = PQ_NEVER;
  p->eval_at = PQ_NEVER;
  *ppath = p;
  return 0;
}

void svrbfd_pq_path_del(svrbfd_pq_path *p) {
  svrbfd_mem m;
  if (p == NULL) {
    return;
  }
  m = p->mem;
  m.free(p->hist, m.user_data);
  m.free(p->slots, m.user_data);
  m.free(p, m.user_data);
}

int svrbfd_pq_path_start(svrbfd_pq_path *p, svrbfd_tstamp ts) {
  if (p->started) {
    return 0;
  }
  p->started = 1;
  p->in_burst = 0;
  p->eval_at = PQ_NEVER;
  p->next_tx_at = PQ_NEVER;
  p->next_burst_at = p->s.link_test_length ? ts : PQ_NEVER;
  return 0;
}

int svrbfd_pq_path_stop(svrbfd_pq_path *p) {
  p->started = 0;
  p->in_burst = 0;
  p->next_burst_at = PQ_NEVER;
  p->next_tx_at = PQ_NEVER;
  p->eval_at = PQ_NEVER;
  return 0;
}

int svrbfd_pq_path_started(const svrbfd_pq_path *p) { return p->started; }

int svrbfd_pq_path_set_peer_min_echo_rx(svrbfd_pq_path *p,
                                        uint32_t interval_us) {
  p->peer_min_echo_rx_us = interval_us;
  return 0;
}

svrbfd_duration svrbfd_pq_path_tx_spacing(const svrbfd_pq_path *p) {
  svrbfd_duration peer = (svrbfd_duration)p->peer_min_echo_rx_us *
                         SVRBFD_MICROSECONDS;
  return peer > p->s.min_tx_spacing_ns ? peer : p->s.min_tx_spacing_ns;
}

int svrbfd_pq_path_set_link_test(svrbfd_pq_path *p, svrbfd_duration interval_ns,
                                 uint8_t length) {
  uint8_t old_len = p->s.link_test_length;
  if (!pq_interval_ok(interval_ns)) {
    return SVRBFD_PQ_ERR_INTERVAL;
  }
  p->s.link_test_interval_ns = interval_ns;
  p->s.link_test_length = length;
  if (!p->started) {
    return 0;
  }
  if (length == 0) {
    p->next_burst_at = PQ_NEVER;
  } else if (old_len == 0 || p->next_burst_at == PQ_NEVER) {
    p->next_burst_at = 0; /* due at once */
  } else if (p->burst_started != 0 || p->burst != 0) {
    p->next_burst_at = p->burst_started + interval_ns;
  }
  return 0;
}

svrbfd_tstamp svrbfd_pq_path_get_expiry(const svrbfd_pq_path *p) {
  svrbfd_tstamp t;
  if (!p->started) {
    return PQ_NEVER;
  }
  if (!p->in_burst) {
    return p->next_burst_at;
  }
  t = p->eval_at;
  if (p->tx_count < p->burst_len && p->next_tx_at < t) {
    t = p->next_tx_at;
  }
  return t;
}

static void pq_hist_push(svrbfd_pq_path *p, const svrbfd_pq_result *r) {
  p->hist[p->hist_head] = *r;
  p->hist_head = (p->hist_head + 1) % p->s.history_len;
  if (p->hist_n < p->s.history_len) {
    p->hist_n++;
  }
}

static int pq_evaluate(svrbfd_pq_path *p, svrbfd_tstamp ts) {
  uint64_t rtt[256];
  svrbfd_pq_result r;
  size_t i;

  p->in_burst = 0;
  p->eval_at = PQ_NEVER;
  p->next_tx_at = PQ_NEVER;
  if (p->tx_count == 0) {
    return 0;
  }
  for (i = 0; i < p->tx_count; i++) {
    rtt[i] = p->slots[i].rtt_ns;
  }
  svrbfd_pq_result_compute(&r, rtt, p->tx_count);
  r.burst = p->burst;
  r.started = p->burst_started;
  r.finished = ts;
  r.late = p->late;
  r.duplicates = p->dups;
  r.reordered = p->reordered;
  p->last = r;
  p->have_result = 1;
  pq_hist_push(p, &r);
  p->stats.bursts++;
  p->stats.burst_sent += r.sent;
  p->stats.burst_received += r.received;
  if (r.received == 0) {
    p->stats.bursts_all_lost++;
  }
  if (p->cb.burst_done && p->cb.burst_done(p, &p->last, p->user_data) != 0) {
    return SVRBFD_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

static void pq_begin_burst(svrbfd_pq_path *p, svrbfd_tstamp ts) {
  p->in_burst = 1;
  p->burst++;
  p->first_seq = p->next_seq;
  p->burst_len = p->s.link_test_length;
  if (p->burst_len > p->nslots) {
    /* a longer burst than any before (set_link_test): more slots, or,
     * without memory, the burst is cut to the slots there are */
    pq_slot *ns = p->mem.calloc(p->burst_len, sizeof(*ns), p->mem.user_data);
    if (ns != NULL) {
      p->mem.free(p->slots, p->mem.user_data); /* nothing in them yet */
      p->slots = ns;
      p->nslots = p->burst_len;
    } else {
      p->burst_len = (uint8_t)p->nslots;
    }
  }
  p->tx_count = 0;
  p->any_rx = 0;
  p->last_rx_seq = 0;
  p->late = p->dups = p->reordered = 0;
  p->eval_at = PQ_NEVER;
  p->next_tx_at = p->next_burst_at;
  p->burst_started = p->next_burst_at; /* replaced by the first send time */
  /* The next burst is one interval after this one was due, or one interval
   * from now when the host ran late, so bursts never bunch up. */
  p->next_burst_at += p->s.link_test_interval_ns;
  if (p->next_burst_at <= ts) {
    p->next_burst_at = ts + p->s.link_test_interval_ns;
  }
}

/* Runs every deadline at or before |ts|. */
static int pq_advance(svrbfd_pq_path *p, svrbfd_tstamp ts) {
  int rv;
  if (!p->started) {
    return 0;
  }
  if (p->in_burst && p->eval_at <= ts) {
    rv = pq_evaluate(p, ts);
    if (rv != 0) {
      return rv;
    }
  }
  if (!p->in_burst && p->next_burst_at <= ts && p->s.link_test_length > 0) {
    pq_begin_burst(p, ts);
  }
  return 0;
}

int svrbfd_pq_path_handle_expiry(svrbfd_pq_path *p, svrbfd_tstamp ts) {
  return pq_advance(p, ts);
}

svrbfd_ssize svrbfd_pq_path_write_pkt(svrbfd_pq_path *p, uint8_t *buf,
                                      size_t buflen, svrbfd_tstamp ts) {
  svrbfd_pq_echo e;
  svrbfd_ssize n;
  pq_slot *slot;
  int rv = pq_advance(p, ts);
  if (rv != 0) {
    return rv;
  }
  if (!p->in_burst || p->tx_count >= p->burst_len || p->next_tx_at > ts) {
    return 0;
  }
  memset(&e, 0, sizeof(e));
  e.token = p->s.token;
  e.burst = p->burst;
  e.seq = p->first_seq + p->tx_count;
  e.tx_ts = ts;
  e.pad_len = p->s.pad_len;
  n = svrbfd_pq_echo_encode(buf, buflen, &e);
  if (n < 0) {
    return n;
  }
  slot = &p->slots[p->tx_count];
  slot->tx_ts = ts;
  slot->rtt_ns = PQ_RTT_NONE;
  slot->sent = 1;
  if (p->tx_count == 0) {
    p->burst_started = ts;
  }
  p->tx_count++;
  p->next_seq++;
  p->stats.tx_requests++;
  if (p->tx_count < p->burst_len) {
    p->next_tx_at = ts + svrbfd_pq_path_tx_spacing(p);
  } else {
    p->next_tx_at = PQ_NEVER;
    p->eval_at = ts + p->s.reply_timeout_ns;
  }
  return n;
}

int svrbfd_pq_path_read_echo(svrbfd_pq_path *p, const svrbfd_pq_echo *e,
                             svrbfd_tstamp ts) {
  uint32_t idx;
  pq_slot *slot;
  uint64_t raw, refl;

  if (!e->reply) {
    p->stats.rx_requests++;
    return SVRBFD_PQ_ERR_PKT_NOT_REPLY;
  }
  if (e->token != p->s.token) {
    p->stats.rx_bad++;
    return SVRBFD_PQ_ERR_PKT_TOKEN;
  }
  idx = e->seq - p->first_seq; /* modulo 2^32: wrap-safe */
  if (!p->in_burst || e->burst != p->burst || idx >= p->tx_count ||
      p->slots[idx].tx_ts != e->tx_ts) {
    /* An answer to the burst just evaluated (or the one before) is late;
     * anything else is unknown. */
    if (e->burst == p->burst || e->burst + 1 == p->burst) {
      p->stats.rx_late++;
      return SVRBFD_PQ_ERR_PKT_LATE;
    }
    p->stats.rx_unknown++;
    return SVRBFD_PQ_ERR_PKT_UNKNOWN_SEQ;
  }
  slot = &p->slots[idx];
  if (slot->rtt_ns != PQ_RTT_NONE) {
    p->dups++;
    p->stats.rx_duplicates++;
    return SVRBFD_PQ_ERR_PKT_DUPLICATE;
  }
  refl = e->refl_tx_ts - e->refl_rx_ts;
  raw = ts >= slot->tx_ts ? ts - slot->tx_ts : 0;
  if (ts < slot->tx_ts || refl > raw) {
    p->stats.rx_bad++;
    return SVRBFD_PQ_ERR_PKT_RTT;
  }
  if (raw > p->s.reply_timeout_ns) {
    if (p->late < UINT16_MAX) {
      p->late++;
    }
    p->stats.rx_late++;
    return SVRBFD_PQ_ERR_PKT_LATE;
  }
  slot->rtt_ns = raw - refl;
  if (p->any_rx && idx < p->last_rx_seq) {
    p->reordered++;
  } else {
    p->last_rx_seq = idx;
    p->any_rx = 1;
  }
  p->stats.rx_replies++;
  /* Every request answered: evaluate now rather than at the timeout. */
  if (p->tx_count == p->burst_len) {
    uint32_t i, got = 0;
    for (i = 0; i < p->tx_count; i++) {
      got += p->slots[i].rtt_ns != PQ_RTT_NONE;
    }
    if (got == p->tx_count) {
      p->eval_at = ts;
    }
  }
  return 0;
}

int svrbfd_pq_path_read_pkt(svrbfd_pq_path *p, const uint8_t *data,
                            size_t datalen, svrbfd_tstamp ts) {
  svrbfd_pq_echo e;
  int rv = svrbfd_pq_echo_decode(&e, data, datalen);
  if (rv != 0) {
    p->stats.rx_bad++;
    return rv;
  }
  return svrbfd_pq_path_read_echo(p, &e, ts);
}

int svrbfd_pq_path_get_result(const svrbfd_pq_path *p, svrbfd_pq_result *res) {
  if (!p->have_result) {
    return 0;
  }
  *res = p->last;
  return 1;
}

size_t svrbfd_pq_path_get_history(const svrbfd_pq_path *p,
                                  svrbfd_pq_result *out, size_t n) {
  size_t i, k = n < p->hist_n ? n : p->hist_n;
  for (i = 0; i < k; i++) {
    size_t pos = (p->hist_head + p->s.history_len - 1 - i) % p->s.history_len;
    out[i] = p->hist[pos];
  }
  return k;
}

void(svrbfd_pq_path_get_stats)(const svrbfd_pq_path *p, svrbfd_pq_stats *st) {
  *st = p->stats;
}

void *svrbfd_pq_path_get_user_data(const svrbfd_pq_path *p) {
  return p->user_data;
}

/* The bytes of svrbfd_pq_stats that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrbfd_pq_path_get_stats_size(int v) {
  return v == SVRBFD_PQ_STATS_V1 ? sizeof(svrbfd_pq_stats) : 0;
}

int svrbfd_pq_path_get_stats_versioned(const svrbfd_pq_path *o, int v, svrbfd_pq_stats *out) {
  svrbfd_pq_stats full;
  size_t n = svrbfd_pq_path_get_stats_size(v);
  if (n == 0) {
    return SVRBFD_PQ_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  (svrbfd_pq_path_get_stats)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
