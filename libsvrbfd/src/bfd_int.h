/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrbfd internal definitions: the context and session objects and the
 * functions the source files share.  Never installed.
 */
#ifndef SVRBFD_INT_H
#define SVRBFD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <svrbfd/svrbfd.h>

#include "pq_int.h"

struct svr_hmac_sha256; /* common/svr_digest.h */

#define BFD_NEVER UINT64_MAX
#define BFD_SLOW_TX_US 1000000u /* RFC 5880 6.8.3: >= 1 s while not Up */
#define BFD_MAX_INTERVAL_US 4294000000u
#define BFD_DAMP_WINDOW_NS (60 * SVRBFD_SECONDS)
#define BFD_DAMP_DECAY_NS (60 * SVRBFD_SECONDS)

/* Auth section lengths (RFC 5880 4.2-4.4; 240 is ours). */
#define BFD_AUTH_LEN_MD5 24
#define BFD_AUTH_LEN_SHA1 28
#define BFD_AUTH_LEN_SHA256 40

/* TLV numbers of the BFD metadata trailer (docs/libsvrbfd.md). */
#define BFD_TLV_NODE_NAME 0xE010 /* string, the sender's node name */
#define BFD_TLV_RX_HOPS 0xE011   /* 1 byte: 255 - TTL the sender observed */

/* ---- mem.c ------------------------------------------------------------ */
const svrbfd_mem *svrbfd__mem_default(void);
void *svrbfd__malloc(const svrbfd_mem *mem, size_t n);
void *svrbfd__calloc(const svrbfd_mem *mem, size_t nmemb, size_t size);
void svrbfd__free(const svrbfd_mem *mem, void *p);

/* ---- tab.c: open-addressing hash of session pointers ------------------ */
typedef struct bfd_tab_ent {
  uint64_t hash;
  svrbfd_session *s; /* NULL = empty slot */
} bfd_tab_ent;

typedef struct bfd_tab {
  bfd_tab_ent *ents;
  size_t cap; /* power of two */
  size_t n;
} bfd_tab;

int svrbfd__tab_init(bfd_tab *t, const svrbfd_mem *mem, size_t hint);
void svrbfd__tab_free(bfd_tab *t, const svrbfd_mem *mem);
/* Inserts; grows at 50 % load.  Returns 0 or SVRBFD_ERR_NOMEM. */
int svrbfd__tab_insert(bfd_tab *t, const svrbfd_mem *mem, uint64_t hash,
                       svrbfd_session *s);
/* Removes exactly |s| (backward-shift deletion, no tombstones). */
void svrbfd__tab_remove(bfd_tab *t, uint64_t hash, const svrbfd_session *s);
/* Iteration over candidates with |hash|: start with *pos = (size_t)-1. */
svrbfd_session *svrbfd__tab_next(const bfd_tab *t, uint64_t hash, size_t *pos);
uint64_t svrbfd__hash_u32(uint32_t v);
uint64_t svrbfd__hash_pair(const svrbfd_addr *local, const svrbfd_addr *remote);
int svrbfd__addr_ip_equal(const svrbfd_addr *a, const svrbfd_addr *b);

/* ---- timers.c --------------------------------------------------------- */
/* xorshift64* generator for transmit jitter (seeded from the rand callback). */
uint64_t svrbfd__rng_next(uint64_t *state);
/* RFC 5880 6.8.7: |interval_ns| reduced by 0-25 % (10-25 % if mult == 1). */
uint64_t svrbfd__jitter(uint64_t interval_ns, uint8_t detect_mult,
                        uint64_t *rng);

/* ---- theap.c: the context's timer heap --------------------------------- */
typedef struct bfd_theap_ent {
  uint64_t key; /* deadline, ns */
  uint64_t seq; /* order in which deadlines were set: breaks ties */
  svrbfd_session *s;
} bfd_theap_ent;
typedef struct bfd_theap {
  bfd_theap_ent *a;
  size_t len, cap;
  uint64_t next_seq;
} bfd_theap;
#define BFD_THEAP_NONE SIZE_MAX
/* Capacity for |n| entries: 0 or SVRBFD_ERR_NOMEM. */
int svrbfd__theap_reserve(bfd_theap *h, const svrbfd_mem *mem, size_t n);
void svrbfd__theap_free(bfd_theap *h, const svrbfd_mem *mem);
/* Inserts |s| at |key| or moves it there; never allocates. */
void svrbfd__theap_set(bfd_theap *h, svrbfd_session *s, uint64_t key);
void svrbfd__theap_remove(bfd_theap *h, svrbfd_session *s);

/* ---- session ---------------------------------------------------------- */
struct svrbfd_session {
  svrbfd_ctx *ctx;
  void *user_data;
  size_t hidx; /* index in ctx->theap, BFD_THEAP_NONE when absent */
  /* creation-order list */
  svrbfd_session *prev, *next;
  /* ready (transmit) list */
  svrbfd_session *rprev, *rnext;
  /* svrbfd_session_del called from a callback: freed when the library call
   * that ran the callback returns (ctx->graveyard); reported no more */
  int deleted;
  int probe; /* svrbfd_session_set_probe: never advertise Init or Up */
  svrbfd_session *gnext;
  int on_ready;

  svrbfd_session_config cfg;
  struct svr_hmac_sha256 *hmac; /* keyed once (auth.c); NULL unless type 240 */
  uint64_t pair_hash;

  /* RFC 5880 6.8.1 state variables */
  svrbfd_state state;
  svrbfd_state remote_state;
  uint32_t local_discr;
  uint32_t remote_discr;
  svrbfd_diag local_diag;
  svrbfd_diag remote_diag;
  uint32_t adv_tx_us;     /* bfd.DesiredMinTxInterval (advertised) */
  uint32_t adv_rx_us;     /* bfd.RequiredMinRxInterval (advertised) */
  uint32_t used_tx_us;    /* tx value in force (6.8.3: old until Final) */
  uint32_t used_rx_us;    /* rx value in force for the detection time */
  uint32_t remote_min_rx_us;
  uint32_t remote_tx_us;
  uint32_t remote_echo_rx_us;
  uint8_t remote_mult;
  uint8_t remote_demand;
  uint8_t detect_mult;
  uint8_t poll_active;
  uint8_t poll_pending;   /* a further change waits for this poll's end */
  uint8_t final_pending;  /* answer a Poll with Final */
  uint8_t tx_due;         /* a packet must be sent now */
  uint8_t last_sent_d;
  uint8_t rcv_seq_known;  /* bfd.AuthSeqKnown */
  uint32_t rcv_seq;       /* bfd.RcvAuthSeq */
  uint32_t xmit_seq;      /* bfd.XmitAuthSeq */

  /* deadlines (BFD_NEVER when not armed) */
  svrbfd_tstamp next_tx;
  svrbfd_tstamp detect_at;    /* detection time expiry */
  svrbfd_tstamp seq_reset_at; /* AuthSeqKnown reset, 2x detection time */
  svrbfd_tstamp hold_at;      /* hold-down end: report up */
  svrbfd_tstamp decay_at;     /* damping decay step */

  uint64_t detect_time_ns; /* last computed (async) */
  svrbfd_tstamp last_rx;
  svrbfd_tstamp up_since;
  svrbfd_tstamp last_flap;
  int reported_up;
  int seen_remote;          /* destination learned from a packet */
  svrbfd_addr dest;         /* where packets go */
  svrbfd_duration hold_cur; /* current (damped) hold-down */

  int rx_hops;
  int peer_rx_hops;
  char peer_router_name[SVRBFD_NAME_MAX];
  char peer_node_name[SVRBFD_NAME_MAX];

  uint64_t rx_packets, tx_packets, rx_drops, auth_failures;
  uint64_t up_count, down_count, remote_changes;

  /* path quality (pq_session.c) */
  svrbfd_pq_path *pq;          /* echo tests, NULL = none configured */
  svrbfd_session *pq_rnext;    /* echo ready list */
  int on_pq_ready;
};

/* ---- context ---------------------------------------------------------- */
struct svrbfd_ctx {
  svrbfd_mem mem;
  svrbfd_callbacks cb;
  void *user_data;
  char router_name[SVRBFD_NAME_MAX];
  char node_name[SVRBFD_NAME_MAX];
  bfd_theap theap; /* deadlines of all sessions (theap.c) */
  bfd_tab by_discr;
  bfd_tab by_pair;
  svrbfd_session *first, *last;     /* creation order */
  svrbfd_session *rhead, *rtail;    /* ready list */
  uint64_t rng;
  svrbfd_ctx_stats stats;
  void (*log_printf)(void *user_data, const char *fmt, ...);
  /* path quality (pq_session.c) */
  struct bfd_pq_ctx *pq;            /* reflection queue, allocated on use */
  svrbfd_session *pq_rhead, *pq_rtail; /* sessions with an echo request due */
  svrbfd_pq_ctx_stats stats_echo;
  /* > 0 while a library call that may run callbacks is in progress */
  int busy;
  svrbfd_session *graveyard; /* deleted from a callback, not yet freed */
};

/* ---- pq_session.c: echo tests owned by sessions ------------------------ */
void svrbfd__pq_ctx_free(svrbfd_ctx *ctx);
int svrbfd__pq_ctx_read(svrbfd_ctx *ctx, const svrbfd_path *path,
                        const uint8_t *data, size_t datalen, svrbfd_tstamp ts);
svrbfd_ssize svrbfd__pq_ctx_write(svrbfd_ctx *ctx, svrbfd_path *path,
                                  uint8_t *buf,
                                  size_t buflen, svrbfd_tstamp ts);
int svrbfd__pq_ctx_pending(const svrbfd_ctx *ctx);
void svrbfd__pq_session_free(svrbfd_session *s);
svrbfd_tstamp svrbfd__pq_session_deadline(const svrbfd_session *s);
int svrbfd__pq_session_expiry(svrbfd_session *s, svrbfd_tstamp ts);
void svrbfd__pq_on_state(svrbfd_session *s, svrbfd_state old, svrbfd_state ns,
                         svrbfd_tstamp ts);
/* session.c: a whole echo burst lost; Down (Diag 2) if in Demand mode. */
int svrbfd__session_echo_failed(svrbfd_session *s, svrbfd_tstamp ts);

/* ---- ctx.c ------------------------------------------------------------ */
void svrbfd__ctx_ready_push(svrbfd_ctx *ctx, svrbfd_session *s);
void svrbfd__ctx_ready_remove(svrbfd_ctx *ctx, svrbfd_session *s);
/* Around a public call that may run callbacks: a session deleted from one
 * is freed by svrbfd__ctx_leave when the outermost call ends. */
void svrbfd__ctx_enter(svrbfd_ctx *ctx);
void svrbfd__ctx_leave(svrbfd_ctx *ctx);
/* Recomputes the session's heap key from its deadlines. */
void svrbfd__session_reschedule(svrbfd_session *s);

/* ---- auth.c ----------------------------------------------------------- */
/* Validates a session auth config: 0 or SVRBFD_ERR_AUTH_CONFIG. */
int svrbfd__auth_config_check(const svrbfd_auth *a);
/* Auth section length for the config (0 for none). */
size_t svrbfd__auth_section_len(const svrbfd_auth *a);
/*
 * The keyed state a session keeps for |a| (common/svr_digest.h): for
 * HMAC-SHA256 the inner and outer hashes after the key blocks, allocated
 * here; NULL for the other types.  0, SVRBFD_ERR_NOMEM or SVRBFD_ERR_CRYPTO.
 */
int svrbfd__auth_keyed_new(const svrbfd_mem *mem, const svrbfd_auth *a,
                           struct svr_hmac_sha256 **out);
void svrbfd__auth_keyed_free(const svrbfd_mem *mem, struct svr_hmac_sha256 *h);
/* Writes the auth section at buf[24..] and signs buf[0..len).  |h| is the
 * session's keyed state; NULL keys a temporary one (no allocation). */
int svrbfd__auth_sign(const struct svr_hmac_sha256 *h, const svrbfd_auth *a,
                      uint32_t seq, uint8_t *buf, size_t len);
/* 1 if |a|'s type sequences meticulously. */
int svrbfd__auth_meticulous(svrbfd_auth_type t);
int svrbfd__auth_has_seq(svrbfd_auth_type t);
/*
 * Checks pkt's authentication against the session (6.7, 6.8.6 step 10).
 * Changes nothing; on success *seq_out is the accepted sequence number.
 */
int svrbfd__auth_verify(const svrbfd_session *s, const svrbfd_pkt *pkt,
                        const uint8_t *data);
/* Sequence window check alone (exposed for tests). */
int svrbfd__auth_seq_ok(svrbfd_auth_type t, int known, uint32_t rcv_seq,
                        uint32_t seq, uint8_t mult);

/* ---- meta.c ----------------------------------------------------------- */
/* Writes our metadata block; returns its length or SVRBFD_ERR_NOBUF. */
svrbfd_ssize svrbfd__meta_encode(uint8_t *buf, size_t buflen,
                                 const char *router,
                                 const char *node, int rx_hops);
typedef struct bfd_meta {
  char router[SVRBFD_NAME_MAX];
  char node[SVRBFD_NAME_MAX];
  int has_router, has_node;
  int rx_hops; /* -1 absent */
} bfd_meta;
/* Parses a trailer; 0 or -1 when it is not a valid metadata block. */
int svrbfd__meta_decode(bfd_meta *m, const uint8_t *p, size_t len);

/* ---- holddown.c ------------------------------------------------------- */
int svrbfd__hold_on_up(svrbfd_session *s, svrbfd_tstamp ts);
int svrbfd__hold_on_down(svrbfd_session *s, svrbfd_tstamp ts);
int svrbfd__hold_expiry(svrbfd_session *s, svrbfd_tstamp ts);

/* ---- session.c -------------------------------------------------------- */
uint64_t svrbfd__tx_interval_ns(const svrbfd_session *s);
int svrbfd__session_periodic_allowed(const svrbfd_session *s);
int svrbfd__session_rx(svrbfd_session *s, const svrbfd_path *path,
                       const svrbfd_pkt *pkt, const uint8_t *data, size_t len,
                       svrbfd_tstamp ts);
svrbfd_ssize svrbfd__session_build(svrbfd_session *s, svrbfd_path *path,
                                   uint8_t *buf, size_t buflen,
                                   svrbfd_tstamp ts);
int svrbfd__session_expiry(svrbfd_session *s, svrbfd_tstamp ts);

/* The well-known destination port of a mode (RFC 5881 / 5883 / SVR). */
static inline uint16_t bfd_mode_port(svrbfd_mode mode) {
  switch (mode) {
  case SVRBFD_MODE_RFC5881:
    return SVRBFD_PORT_RFC5881;
  case SVRBFD_MODE_RFC5883:
    return SVRBFD_PORT_RFC5883;
  default:
    return SVRBFD_PORT_SVR;
  }
}

#endif /* SVRBFD_INT_H */
