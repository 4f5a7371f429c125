/* SPDX-License-Identifier: BSD-2-Clause */
/* libsvrpmtu internals (not installed). */
#ifndef SVRPMTU_INT_H
#define SVRPMTU_INT_H

#include <svrpmtu/svrpmtu.h>

#include "svr_heap.h"
#include "svr_meta.h"

/* Private TLV numbers (common/svr_meta.h range 0xE040-0xE05F). */
#define SVRPMTU_TLV_PROBE (SVR_TLV_PMTU_FIRST + 0) /* 0xE040, 20 bytes */
#define SVRPMTU_TLV_PAD (SVR_TLV_PMTU_FIRST + 1)   /* 0xE041, zeros */
#define SVRPMTU_TLV_ACK (SVR_TLV_PMTU_FIRST + 2)   /* 0xE042, 20 bytes */
#define SVRPMTU_TLV_PROBE_LEN 20
/* Base header + kind TLV + probe/ack TLV. */
#define SVRPMTU_HDR_LEN (SVR_META_HDR_LEN + 6 + 4 + SVRPMTU_TLV_PROBE_LEN)

svrpmtu_ssize svrpmtu__ack_encode(uint8_t *buf, size_t buflen,
                                  const svrpmtu_msg *msg);

/* ---- search (svrpmtu_search.c) --------------------------------------- */

/*
 * The answer A (largest size that gets through) is known to lie in
 * [lo, hi]; lo = 0 means nothing was acked yet, and then "A below base"
 * (unresolvable) is still possible.  hi only moves down on proof: a size
 * lost MAX_PROBES times, or a validated PTB.
 *
 * A single lost probe is taken as a hint, not a proof: the size goes on the
 * |fail| stack (sizes in (lo, hi], strictly decreasing, the top is the
 * smallest) with its loss count, and the search goes on below it.  Only the
 * size right above lo is ever probed to MAX_PROBES losses in a row (the
 * "confirm" round).  It continues the count of that size's earlier losses;
 * once the path has shown a random loss (|lossy|, kept across searches)
 * only losses with no ack of any size since count (RFC 8899 PROBE_COUNT).  An ack pops every stacked size it proves wrong (a random loss),
 * so a lost ack or probe costs probes, never a wrong result.
 */
#define SVRPMTU_FAIL_MAX 24

typedef struct svrpmtu_search {
  uint16_t base;
  uint16_t max;
  uint16_t lo;
  uint16_t hi;
  uint16_t hint; /* previous result, weighted heavily; 0 = none */
  uint8_t nfail;
  uint16_t fail[SVRPMTU_FAIL_MAX];       /* decreasing; [nfail-1] smallest */
  uint8_t fail_losses[SVRPMTU_FAIL_MAX]; /* losses of fail[i] in a row */
  uint32_t fail_epoch[SVRPMTU_FAIL_MAX]; /* |acks| at its last loss */
  uint32_t acks; /* acks in this search: an ack ends a run of losses */
  uint8_t lossy; /* a lost probe was proven to fit (a random loss) */
} svrpmtu_search;

/* Largest size still believed to pass: below the smallest lost size. */
uint16_t svrpmtu__search_upper(const svrpmtu_search *s);
/* The next size to probe, in (lo or base-1, upper + 1].  Sets *confirm when
 * it is the lost size right above lo, to be probed to MAX_PROBES losses.
 * Call only while svrpmtu__search_done() is 0. */
uint16_t svrpmtu__search_next(const svrpmtu_search *s, int *confirm);
/* The same choice, remembered: the split it computes costs O(upper - lo)
 * (thousands of candidates up to a 9,216-byte ceiling), and every path of a
 * head end with the same base and max makes the same choices, so the
 * context keeps the last ones by everything they depend on (first, upper,
 * base, and max and hint where they fall in range).  The answer is the one
 * svrpmtu__search_next() gives, from the cache or not. */
#define SVRPMTU_CHOICES 64
typedef struct svrpmtu_choice {
  uint16_t first; /* 0 = empty slot (first >= base - 1 >= 67) */
  uint16_t upper, base, max, hint;
  uint16_t best;
} svrpmtu_choice;
typedef struct svrpmtu_choices {
  svrpmtu_choice e[SVRPMTU_CHOICES];
  uint64_t hits, misses;
} svrpmtu_choices;
uint16_t svrpmtu__search_next_cached(const svrpmtu_search *s, int *confirm,
                                     svrpmtu_choices *c);
/* 1 when A is known (lo == hi, lo > 0), -1 when even base is too big, else 0 */
int svrpmtu__search_done(const svrpmtu_search *s);
/* What a confirm round of |size| starts from: its losses so far, or on a
 * lossy path only those with no ack of any size since.  0 if not stacked. */
unsigned svrpmtu__search_losses(const svrpmtu_search *s, uint16_t size);
/* |size| was acked: lo rises, stacked sizes <= it are dropped. */
void svrpmtu__search_acked(svrpmtu_search *s, uint16_t size);
/* Every probe of a round of |size| was lost, |losses| in all: proof at
 * MAX_PROBES (hi = size - 1), else a hint on the stack. */
void svrpmtu__search_lost(svrpmtu_search *s, uint16_t size, unsigned losses);
/* hi = |hi| if lower (a validated PTB); drops stacked sizes above it. */
void svrpmtu__search_cap(svrpmtu_search *s, uint16_t hi);

/* ---- paths and context ------------------------------------------------ */

#define SVRPMTU_RECENT 8 /* probes remembered for late acks and PTBs */

typedef struct svrpmtu_sent {
  uint32_t seq;
  uint64_t nonce;
  uint16_t size;
  uint16_t udp_len;
  uint8_t used;
  svrpmtu_tstamp sent_ts;
} svrpmtu_sent;

struct svrpmtu_path {
  svr_heap_node timer;  /* first member: heap node -> path */
  svrpmtu_ctx *ctx;
  void *user_data;
  uint32_t id;          /* index + 1 in ctx->paths */
  svrpmtu_path_config cfg;
  uint16_t hdr;         /* IP + UDP header bytes: 28 or 48 */
  uint16_t min_ptb;     /* smallest plausible PTB MTU: 68 or 1280 */
  uint16_t max_eff;     /* max after set_max_mtu */
  svrpmtu_state state;
  svrpmtu_search s;
  uint16_t pmtu;
  uint16_t ptb_next;    /* next probe size suggested by a valid PTB */
  uint8_t confirming;   /* COMPLETE: probing the PMTU for a black hole */
  uint8_t in_flight;    /* probes of cur_size waiting for an ack */
  uint8_t cur_losses;   /* losses of cur_size in a row */
  uint8_t cur_sent;     /* probes of cur_size sent */
  uint8_t cur_budget;   /* probes of cur_size to send this round */
  uint16_t cur_size;    /* size being probed, 0 = none */
  uint32_t cur_seq;     /* seq of the probe in flight */
  struct svrpmtu_path *tx_next; /* ctx->tx list: a probe is due */
  uint8_t tx_queued;
  uint32_t next_seq;
  svrpmtu_sent recent[SVRPMTU_RECENT];
  unsigned recent_pos;
  svrpmtu_tstamp next_run;     /* next re-run (raise timer) */
  svrpmtu_tstamp next_confirm; /* next black-hole check */
  svrpmtu_tstamp deadline[SVRPMTU_MAX_PROBES]; /* per probe sent, MAX = done */
  svrpmtu_tstamp retry_at; /* next probe of cur_size may go (spacing) */
  svrpmtu_duration max_rtt; /* largest probe->ack time seen on this path */
  uint32_t search_probes;
  uint64_t probes, acks, losses, ptbs, searches, unresolvable;
  svrpmtu_tstamp last_complete;
};

typedef struct svrpmtu_ackq {
  svrpmtu_addr remote;
  uint8_t buf[SVRPMTU_ACK_LEN];
} svrpmtu_ackq;

struct svrpmtu_ctx {
  svrpmtu_mem mem;
  svrpmtu_callbacks cb;
  svrpmtu_settings settings;
  void *user_data;
  svr_heap heap;
  svrpmtu_path **paths; /* by id - 1; NULL = free slot */
  size_t npaths_cap;
  size_t npaths;
  svrpmtu_path *tx_head, *tx_tail;
  svrpmtu_ackq *ackq; /* ring */
  size_t ackq_head, ackq_len;
  svrpmtu_ctx_stats stats;
  svrpmtu_choices choices; /* probe sizes chosen (svrpmtu_search.c) */
  int fatal; /* a callback failed */
};

/* svrpmtu_path.c */
int svrpmtu__path_on_ack(svrpmtu_path *path, const svrpmtu_msg *m,
                         svrpmtu_tstamp ts);
int svrpmtu__path_on_ptb(svrpmtu_path *path, const svrpmtu_msg *m,
                         uint32_t mtu, svrpmtu_tstamp ts);
int svrpmtu__path_on_expiry(svrpmtu_path *path, svrpmtu_tstamp ts);
/* Fills the probe to send; returns its UDP length. */
svrpmtu_ssize svrpmtu__path_write_probe(svrpmtu_path *path, uint8_t *buf,
                                        size_t buflen, svrpmtu_tstamp ts);
const svrpmtu_sent *svrpmtu__path_find_sent(const svrpmtu_path *path,
                                            const svrpmtu_msg *m);
/* svrpmtu_ctx.c */
void svrpmtu__ctx_tx_enqueue(svrpmtu_ctx *ctx, svrpmtu_path *path);
void svrpmtu__ctx_tx_remove(svrpmtu_ctx *ctx, svrpmtu_path *path);
int svrpmtu__ctx_emit(svrpmtu_ctx *ctx, svrpmtu_path *path,
                      svrpmtu_event_type type, uint16_t size, uint16_t pmtu,
                      uint16_t old_pmtu, uint32_t count, svrpmtu_tstamp ts);

#endif /* SVRPMTU_INT_H */
