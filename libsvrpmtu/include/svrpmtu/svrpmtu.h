/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrpmtu: sans-I/O path MTU discovery for SVR peer paths, in the spirit
 * of RFC 8899 (DPLPMTUD) with an acknowledged packetization layer: probes
 * and acks are SVR control datagrams on the peer-path port (1280/UDP).
 *
 * Unit: every "MTU" and "size" in this API is an IP packet size in bytes
 * (IP header + UDP header + UDP payload), i.e. what `ip link ... mtu` and
 * ICMP "fragmentation needed" talk about.  A probe of size S on IPv4 carries
 * S - 28 bytes of UDP payload, on IPv6 S - 48 (no IP options/extensions).
 *
 * The library never touches a socket or a clock.  The host (see cli/glue):
 *   - sends probes with DF set (IP_PMTUDISC_PROBE / IPV6_DONTFRAG);
 *   - feeds every PMTU control datagram it receives to svrpmtu_ctx_read_pkt()
 *     (probes are answered by queueing an ack, acks advance the search);
 *   - feeds ICMP "fragmentation needed" / "packet too big" reports that quote
 *     a probe (IP_RECVERR) to svrpmtu_ctx_read_ptb(), which validates them;
 *   - calls svrpmtu_ctx_write_pkt() until it returns 0 and sends each
 *     datagram to the address it names, padded exactly as written;
 *   - arms one timer for svrpmtu_ctx_get_expiry() and calls
 *     svrpmtu_ctx_handle_expiry() when it fires.
 * One context owns every peer path and keeps their deadlines in one heap.
 *
 * Search: one probe per size; an ack confirms it, a loss steers the search
 * below it.  Only the size right above the largest acked one is probed to
 * SVRPMTU_MAX_PROBES losses in a row, which proves it too big.  The next
 * size is chosen to minimise the expected number of probes under a prior
 * over common path MTUs and the previous result; see docs/libsvrpmtu.md.
 * The search always ends on the exact byte value: the largest acked size
 * whose successor is proven too big (or the max).
 *
 * Functions may not be called from inside a callback unless their comment
 * says so.  A context is not thread safe.
 *
 * Error codes are negative: -2xx usage errors, -3xx reasons a datagram or
 * PTB report was discarded, below -500 fatal.  svrpmtu_strerror() names them.
 */
#ifndef SVRPMTU_H
#define SVRPMTU_H

#include <stddef.h>
#include <stdint.h>

#include <svrpmtu/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SVRPMTU_STATICLIB)
#define SVRPMTU_EXTERN
#elif defined(BUILDING_SVRPMTU)
#define SVRPMTU_EXTERN __attribute__((visibility("default")))
#else
#define SVRPMTU_EXTERN
#endif

/* ---- time ------------------------------------------------------------ */

typedef uint64_t svrpmtu_tstamp;   /* monotonic nanoseconds, host's clock */
typedef uint64_t svrpmtu_duration; /* nanoseconds */
typedef ptrdiff_t svrpmtu_ssize;

#define SVRPMTU_MILLISECONDS ((svrpmtu_duration)1000000ULL)
#define SVRPMTU_SECONDS ((svrpmtu_duration)1000000000ULL)
#define SVRPMTU_TSTAMP_MAX UINT64_MAX

/* ---- errors ---------------------------------------------------------- */

#define SVRPMTU_ERR_INVALID_ARGUMENT (-201)
#define SVRPMTU_ERR_NOBUF (-202)     /* output buffer too small */
#define SVRPMTU_ERR_VERSION (-203)   /* unknown struct version */
#define SVRPMTU_ERR_MTU_RANGE (-204) /* base/max outside 96..9216 or base>max */
#define SVRPMTU_ERR_INTERVAL (-205)  /* interval not 0 or 1..86400 s, bad timeout */
#define SVRPMTU_ERR_ADDRESS (-206)   /* family not 4 or 6 */

/* Why a datagram or a PTB report was discarded (nothing changes). */
#define SVRPMTU_ERR_PKT_SHORT (-300)    /* shorter than the SVR base header */
#define SVRPMTU_ERR_PKT_COOKIE (-301)   /* not an SVR control datagram */
#define SVRPMTU_ERR_PKT_META (-302)     /* bad version or header/payload length */
#define SVRPMTU_ERR_PKT_TLV (-303)      /* a TLV runs past its area */
#define SVRPMTU_ERR_PKT_KIND (-304)     /* control kind is not PMTU probe/ack */
#define SVRPMTU_ERR_PKT_MISSING (-305)  /* probe/ack TLV absent or duplicated */
#define SVRPMTU_ERR_PKT_TLV_LEN (-306)  /* probe/ack TLV of the wrong length */
#define SVRPMTU_ERR_PKT_SIZE (-307)     /* probe length disagrees with its TLV */
#define SVRPMTU_ERR_PKT_UNKNOWN (-308)  /* ack for no probe we have in flight */
#define SVRPMTU_ERR_PKT_TRUNCATED (-309) /* ack: peer got fewer bytes than sent */
#define SVRPMTU_ERR_PTB_NOT_OURS (-310) /* PTB quote is not a probe we sent */
#define SVRPMTU_ERR_PTB_MTU (-311)      /* PTB MTU >= probe size or < minimum */
#define SVRPMTU_ERR_ACK_QUEUE (-312)    /* probe not answered: ack queue full */

#define SVRPMTU_ERR_FATAL (-500)
#define SVRPMTU_ERR_NOMEM (-501)
#define SVRPMTU_ERR_CALLBACK_FAILURE (-502)

/* Text for an error code (never NULL). */
SVRPMTU_EXTERN const char *svrpmtu_strerror(int liberr);
/* Nonzero if |liberr| is fatal (< SVRPMTU_ERR_FATAL). */
SVRPMTU_EXTERN int svrpmtu_err_is_fatal(int liberr);

/* ---- constants ------------------------------------------------------- */

#define SVRPMTU_PORT 1280          /* the SVR peer-path port */
#define SVRPMTU_MAX_PROBES 3       /* RFC 8899 MAX_PROBES */
#define SVRPMTU_BASE_MTU_V4 576    /* default lower bound, IPv4 */
#define SVRPMTU_BASE_MTU_V6 1200   /* default lower bound, IPv6 */
#define SVRPMTU_MAX_MTU 9216       /* largest size ever probed */
#define SVRPMTU_MIN_MTU 96         /* smallest base accepted */
#define SVRPMTU_IP_UDP_HDR_V4 28
#define SVRPMTU_IP_UDP_HDR_V6 48
/* Smallest probe UDP payload: base header, kind and probe TLVs, empty pad. */
#define SVRPMTU_PROBE_MIN_PAYLOAD 46
/* Size of the ack datagram (UDP payload) svrpmtu_ack_build() writes. */
#define SVRPMTU_ACK_LEN 42
/* Largest datagram write_pkt produces (a 9216-byte IPv4 probe's payload). */
#define SVRPMTU_MAX_PKT_LEN (SVRPMTU_MAX_MTU - SVRPMTU_IP_UDP_HDR_V4)

/* ---- probe / ack codec ------------------------------------------------ */

typedef enum svrpmtu_msg_kind {
  SVRPMTU_MSG_PROBE = 3, /* SVR_CTRL_PMTU_PROBE */
  SVRPMTU_MSG_ACK = 4    /* SVR_CTRL_PMTU_ACK */
} svrpmtu_msg_kind;

/* A decoded probe or ack (docs/libsvrpmtu.md "Wire format"). */
typedef struct svrpmtu_msg {
  svrpmtu_msg_kind kind;
  uint32_t path_id;     /* the prober's path, echoed by the ack */
  uint32_t seq;         /* probe sequence number on that path */
  uint64_t nonce;       /* random per probe: matches acks and PTB quotes */
  uint16_t probed_size; /* IP size under test */
  /* probe: the UDP payload length it was sent with;
   * ack: the UDP payload length the responder received. */
  uint16_t udp_len;
} svrpmtu_msg;

/*
 * Decodes a probe or an ack in |p| (a UDP payload).  With |quote| = 0 the
 * datagram must be complete (a probe's length must equal its udp_len); with
 * |quote| = 1 a probe may be cut anywhere after its probe TLV, as in the
 * payload an ICMP error quotes.  Returns 0, or SVRPMTU_ERR_PKT_SHORT,
 * _COOKIE, _META, _TLV, _KIND, _MISSING, _TLV_LEN, _SIZE.  Never reads
 * outside p[0..len); |msg| is unchanged on error.
 */
SVRPMTU_EXTERN int svrpmtu_msg_decode(svrpmtu_msg *msg, const uint8_t *p,
                                      size_t len, int quote);

/*
 * Writes a probe of exactly msg->udp_len bytes (>= SVRPMTU_PROBE_MIN_PAYLOAD;
 * the rest is a zero pad TLV).  Returns msg->udp_len, SVRPMTU_ERR_NOBUF, or
 * SVRPMTU_ERR_INVALID_ARGUMENT when udp_len is below the minimum.
 */
SVRPMTU_EXTERN svrpmtu_ssize svrpmtu_probe_encode(uint8_t *buf, size_t buflen,
                                                  const svrpmtu_msg *msg);

/*
 * The responder side as a plain function: checks that |probe| (|probelen|
 * bytes, as received) is a complete PMTU probe and writes the ack naming
 * its path id, sequence number, nonce, probed size and |probelen|.
 * Returns SVRPMTU_ACK_LEN, SVRPMTU_ERR_NOBUF, or a decode error of
 * svrpmtu_msg_decode().  A context answers probes by itself; this is for
 * hosts that answer without one.
 */
SVRPMTU_EXTERN svrpmtu_ssize svrpmtu_ack_build(uint8_t *buf, size_t buflen,
                                               const uint8_t *probe,
                                               size_t probelen);

/* ---- addresses ------------------------------------------------------- */

typedef struct svrpmtu_addr {
  uint8_t family;   /* 4 or 6 */
  uint8_t reserved;
  uint16_t port;    /* host byte order; 0 = SVRPMTU_PORT */
  uint8_t addr[16]; /* IPv4 in addr[0..3], network byte order */
} svrpmtu_addr;

/* ---- memory ---------------------------------------------------------- */

typedef struct svrpmtu_mem {
  void *user_data;
  void *(*malloc)(size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} svrpmtu_mem;

/* ---- context, paths, events ------------------------------------------ */

typedef struct svrpmtu_ctx svrpmtu_ctx;
typedef struct svrpmtu_path svrpmtu_path;

typedef enum svrpmtu_state {
  SVRPMTU_STATE_DISABLED = 0,  /* not started / stopped */
  SVRPMTU_STATE_SEARCHING = 1,
  SVRPMTU_STATE_COMPLETE = 2,  /* pmtu known; waiting for the next run */
  SVRPMTU_STATE_ERROR = 3      /* even the base size got no answer */
} svrpmtu_state;

typedef enum svrpmtu_event_type {
  SVRPMTU_EV_PROBE_ACKED = 1,   /* size acked (count = probes of it sent) */
  SVRPMTU_EV_PROBE_LOST = 2,    /* a probe timed out (count = losses so far) */
  SVRPMTU_EV_SIZE_TOO_BIG = 3,  /* MAX_PROBES losses, or a validated PTB */
  SVRPMTU_EV_PTB = 4,           /* validated PTB: size probed, pmtu reported */
  SVRPMTU_EV_SEARCH_START = 5,
  SVRPMTU_EV_COMPLETE = 6,      /* pmtu found (old_pmtu = previous result) */
  SVRPMTU_EV_UNRESOLVABLE = 7,  /* base size unanswered: raise the alarm
                                   "Peer <name> path MTU is unresolvable" */
  SVRPMTU_EV_BLACK_HOLE = 8     /* full-size probes stopped being acked */
} svrpmtu_event_type;

typedef struct svrpmtu_event {
  svrpmtu_event_type type;
  svrpmtu_tstamp ts;
  uint16_t size;      /* the probe size concerned (0 if none) */
  uint16_t pmtu;      /* COMPLETE: result; PTB: MTU in the report */
  uint16_t old_pmtu;  /* COMPLETE: previous result, 0 if none */
  uint32_t count;     /* ACKED/LOST: probes of |size|; COMPLETE: probes used */
} svrpmtu_event;

#define SVRPMTU_CALLBACKS_V1 1
#define SVRPMTU_CALLBACKS_VERSION SVRPMTU_CALLBACKS_V1

typedef struct svrpmtu_callbacks {
  /* Required.  |len| random bytes for probe nonces; use a CSPRNG. */
  void (*rand)(uint8_t *dest, size_t len, void *user_data);
  /* Optional.  Something happened on |path|; nonzero return is fatal
   * (SVRPMTU_ERR_CALLBACK_FAILURE).  May call svrpmtu_path_get_info(). */
  int (*path_event)(svrpmtu_ctx *ctx, svrpmtu_path *path,
                    const svrpmtu_event *ev, void *user_data);
} svrpmtu_callbacks;

#define SVRPMTU_SETTINGS_V1 1
#define SVRPMTU_SETTINGS_VERSION SVRPMTU_SETTINGS_V1

typedef struct svrpmtu_settings {
  /* Answer probes from peers (queue acks).  Default 1. */
  int respond;
  /* Acks waiting for write_pkt; further probes are dropped.  Default 64. */
  size_t ack_queue_len;
} svrpmtu_settings;

SVRPMTU_EXTERN void svrpmtu_settings_default_versioned(int settings_version,
                                                       svrpmtu_settings *s);
#define svrpmtu_settings_default(S)                                            \
  svrpmtu_settings_default_versioned(SVRPMTU_SETTINGS_VERSION, (S))

/*
 * Creates a context.  |settings| and |mem| may be NULL (defaults, libc).
 * Returns 0, SVRPMTU_ERR_VERSION, SVRPMTU_ERR_INVALID_ARGUMENT (no rand
 * callback) or SVRPMTU_ERR_NOMEM.
 */
SVRPMTU_EXTERN int svrpmtu_ctx_new_versioned(svrpmtu_ctx **pctx,
                                             int callbacks_version,
                                             const svrpmtu_callbacks *cb,
                                             int settings_version,
                                             const svrpmtu_settings *settings,
                                             const svrpmtu_mem *mem,
                                             void *user_data);
#define svrpmtu_ctx_new(P, CB, S, M, U)                                        \
  svrpmtu_ctx_new_versioned((P), SVRPMTU_CALLBACKS_VERSION, (CB),              \
                            SVRPMTU_SETTINGS_VERSION, (S), (M), (U))

/* Frees the context and all its paths.  NULL is a no-op. */
SVRPMTU_EXTERN void svrpmtu_ctx_del(svrpmtu_ctx *ctx);

/*
 * Processes one datagram received on the peer-path port from |remote|.
 * A probe is answered (an ack is queued for write_pkt, to |remote|); an ack
 * advances the search of the path it names.  Returns 0, a SVRPMTU_ERR_PKT_*
 * code or SVRPMTU_ERR_ACK_QUEUE (the datagram was discarded), or a fatal
 * error.  May call path_event.
 */
SVRPMTU_EXTERN int svrpmtu_ctx_read_pkt(svrpmtu_ctx *ctx,
                                        const svrpmtu_addr *remote,
                                        const uint8_t *pkt, size_t pktlen,
                                        svrpmtu_tstamp ts);

/* An ICMP "fragmentation needed" (v4 type 3 code 4) or "packet too big"
 * (v6 type 2) report as the glue got it from the error queue. */
typedef struct svrpmtu_ptb {
  uint32_t mtu;           /* the next-hop MTU in the message (ee_info) */
  const uint8_t *quote;   /* quoted UDP payload of the offending datagram */
  size_t quotelen;
} svrpmtu_ptb;

/*
 * Validates |ptb| (RFC 8899 section 4.6.1): the quote must decode as a
 * probe this context sent recently (path id, sequence number and nonce) and
 * the MTU must be smaller than that probe and not below the path's minimum
 * (68 IPv4, 1280 IPv6); MTU 0 (a pre-RFC 1191 router) marks the probe too
 * big without suggesting a size.  A valid report marks the probe's size too big at
 * once and makes the reported MTU the next probe size; it never raises or
 * sets the PMTU by itself.  Returns 0, SVRPMTU_ERR_PTB_NOT_OURS,
 * SVRPMTU_ERR_PTB_MTU, or a fatal error.  May call path_event.
 */
SVRPMTU_EXTERN int svrpmtu_ctx_read_ptb(svrpmtu_ctx *ctx,
                                        const svrpmtu_ptb *ptb,
                                        svrpmtu_tstamp ts);

/*
 * Writes the next datagram due at |ts| (acks first, then probes) into
 * |buf| and its destination into |remote|.  Returns its length (send it
 * exactly, with DF), 0 when nothing is due, SVRPMTU_ERR_NOBUF (use
 * SVRPMTU_MAX_PKT_LEN; the datagram stays queued), or a fatal error.
 * Call until it returns 0.
 */
SVRPMTU_EXTERN svrpmtu_ssize svrpmtu_ctx_write_pkt(svrpmtu_ctx *ctx,
                                                   svrpmtu_addr *remote,
                                                   uint8_t *buf, size_t buflen,
                                                   svrpmtu_tstamp ts);

/* The earliest deadline of any path; 0 while an ack or a probe waits for
 * svrpmtu_ctx_write_pkt() (call it now); SVRPMTU_TSTAMP_MAX when nothing
 * is scheduled (docs/architecture.md "Timers"). */
SVRPMTU_EXTERN svrpmtu_tstamp svrpmtu_ctx_get_expiry(const svrpmtu_ctx *ctx);

/*
 * Runs every deadline at or before |ts|: probe timeouts, re-runs,
 * confirmation probes.  Returns 0 or a fatal error.  May call path_event.
 */
SVRPMTU_EXTERN int svrpmtu_ctx_handle_expiry(svrpmtu_ctx *ctx,
                                             svrpmtu_tstamp ts);

typedef struct svrpmtu_ctx_stats {
  uint64_t rx_packets;
  uint64_t rx_probes;       /* answered */
  uint64_t rx_acks;         /* accepted */
  uint64_t rx_drops;        /* read_pkt returned an error */
  uint64_t ptb_accepted;
  uint64_t ptb_ignored;
  uint64_t tx_probes;
  uint64_t tx_acks;
} svrpmtu_ctx_stats;

SVRPMTU_EXTERN void (svrpmtu_ctx_get_stats)(const svrpmtu_ctx *ctx,
                                          svrpmtu_ctx_stats *stats);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRPMTU_CTX_STATS_VERSION; returns 0,
 * SVRPMTU_ERR_VERSION (unknown version: nothing written) or
 * SVRPMTU_ERR_INVALID_ARGUMENT (NULL).  svrpmtu_ctx_get_stats() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRPMTU_CTX_STATS_V1 1
#define SVRPMTU_CTX_STATS_VERSION SVRPMTU_CTX_STATS_V1
SVRPMTU_EXTERN int svrpmtu_ctx_get_stats_versioned(const svrpmtu_ctx *ctx,
    int stats_version, svrpmtu_ctx_stats *stats);
#define svrpmtu_ctx_get_stats(O, S) svrpmtu_ctx_get_stats_versioned((O), SVRPMTU_CTX_STATS_VERSION, (S))

#define SVRPMTU_PATH_CONFIG_V1 1
#define SVRPMTU_PATH_CONFIG_VERSION SVRPMTU_PATH_CONFIG_V1

typedef struct svrpmtu_path_config {
  svrpmtu_addr remote;           /* the peer (port 0 = 1280) */
  uint16_t base_mtu;             /* default 576 (v4) / 1200 (v6); >= 96 */
  uint16_t max_mtu;              /* default 9216; the glue lowers it to the
                                    local interface MTU; base..9216 */
  svrpmtu_duration interval_ns;  /* re-run period (the raise timer), default
                                    600 s; 0 = never; else 1..86400 s */
  svrpmtu_duration confirm_interval_ns; /* black-hole check: one probe at the
                                    PMTU this often; default 0 = only at each
                                    re-run; else 1..86400 s */
  svrpmtu_duration probe_timeout_ns; /* wait for an ack, default 1 s (RFC 8899
                                    PROBE_TIMER); 1 ms..60 s */
  svrpmtu_duration probe_spacing_ns; /* the next probe of the same size goes
                                    this long after the previous one, without
                                    waiting for its timeout; each probe still
                                    gets the full probe_timeout_ns before it
                                    counts as lost.  Default 1/3 s; 0 = only
                                    after a loss; above probe_timeout_ns it
                                    is lowered to it.
                                    Raised to twice the slowest ack seen on
                                    the path (capped at the timeout). */
} svrpmtu_path_config;

/* Defaults for |family| (4 or 6): the values listed above. */
SVRPMTU_EXTERN void svrpmtu_path_config_default_versioned(
    int config_version, svrpmtu_path_config *cfg, int family);
#define svrpmtu_path_config_default(C, F)                                      \
  svrpmtu_path_config_default_versioned(SVRPMTU_PATH_CONFIG_VERSION, (C), (F))

/*
 * Creates a path and starts its first search at |ts| (the first probe is
 * due at once: call svrpmtu_ctx_write_pkt()).  Returns 0,
 * SVRPMTU_ERR_VERSION, _INVALID_ARGUMENT, _ADDRESS, _MTU_RANGE, _INTERVAL,
 * _NOMEM or _CALLBACK_FAILURE (path_event failed); nothing is created on
 * error.  May call path_event (SEARCH_START).
 */
SVRPMTU_EXTERN int svrpmtu_path_new_versioned(svrpmtu_ctx *ctx,
                                              svrpmtu_path **ppath,
                                              int config_version,
                                              const svrpmtu_path_config *cfg,
                                              void *user_data,
                                              svrpmtu_tstamp ts);
#define svrpmtu_path_new(C, P, CFG, U, TS)                                     \
  svrpmtu_path_new_versioned((C), (P), SVRPMTU_PATH_CONFIG_VERSION, (CFG),     \
                             (U), (TS))

/* Removes and frees a path.  NULL is a no-op. */
SVRPMTU_EXTERN void svrpmtu_path_del(svrpmtu_path *path);

/*
 * Starts a new search now (keeping the previous result as the first guess).
 * Returns 0 or SVRPMTU_ERR_CALLBACK_FAILURE.  May call path_event.
 */
SVRPMTU_EXTERN int svrpmtu_path_restart(svrpmtu_path *path, svrpmtu_tstamp ts);

/*
 * The host saw full-size packets go unanswered: probe the current PMTU now
 * and search down if MAX_PROBES of them are lost.  No-op unless COMPLETE.
 * Returns 0 or SVRPMTU_ERR_CALLBACK_FAILURE.  May call path_event.
 */
SVRPMTU_EXTERN int svrpmtu_path_suspect_black_hole(svrpmtu_path *path,
                                                   svrpmtu_tstamp ts);

/*
 * Lowers (or raises, up to the configured max) the largest size probed,
 * e.g. to the local interface MTU; a search in progress restarts.  Returns
 * 0, SVRPMTU_ERR_MTU_RANGE or SVRPMTU_ERR_CALLBACK_FAILURE.
 */
SVRPMTU_EXTERN int svrpmtu_path_set_max_mtu(svrpmtu_path *path,
                                            uint16_t max_mtu,
                                            svrpmtu_tstamp ts);

typedef struct svrpmtu_path_info {
  svrpmtu_state state;
  uint16_t pmtu;         /* usable size now: the last result, the base after
                            a black hole, 0 before the first result */
  uint16_t search_low;   /* largest size acked in this search, 0 = none */
  uint16_t search_high;  /* largest size not proven too big */
  uint16_t base_mtu;
  uint16_t max_mtu;      /* effective (after set_max_mtu) */
  uint16_t probing_size; /* size in flight, 0 = none */
  uint32_t search_probes; /* probes sent in the current/last search */
  uint64_t probes;       /* probes sent since the path was created */
  uint64_t acks;
  uint64_t losses;
  uint64_t ptbs;         /* validated PTB reports */
  uint64_t searches;     /* searches started */
  uint64_t unresolvable; /* times the base size went unanswered */
  svrpmtu_tstamp last_complete; /* 0 = never */
  svrpmtu_tstamp next_run;      /* next re-run, SVRPMTU_TSTAMP_MAX = none */
  svrpmtu_addr remote;
} svrpmtu_path_info;

SVRPMTU_EXTERN void (svrpmtu_path_get_info)(const svrpmtu_path *path,
                                          svrpmtu_path_info *info);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRPMTU_PATH_INFO_VERSION; returns 0,
 * SVRPMTU_ERR_VERSION (unknown version: nothing written) or
 * SVRPMTU_ERR_INVALID_ARGUMENT (NULL).  svrpmtu_path_get_info() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRPMTU_PATH_INFO_V1 1
#define SVRPMTU_PATH_INFO_VERSION SVRPMTU_PATH_INFO_V1
SVRPMTU_EXTERN int svrpmtu_path_get_info_versioned(const svrpmtu_path *path,
    int info_version, svrpmtu_path_info *info);
#define svrpmtu_path_get_info(O, S) svrpmtu_path_get_info_versioned((O), SVRPMTU_PATH_INFO_VERSION, (S))
SVRPMTU_EXTERN void *svrpmtu_path_get_user_data(const svrpmtu_path *path);

/* "disabled", "searching", "complete", "error". */
SVRPMTU_EXTERN const char *svrpmtu_state_name(svrpmtu_state state);

/* ---- version --------------------------------------------------------- */

typedef struct svrpmtu_info {
  int age;
  int version_num;
  const char *version_str;
} svrpmtu_info;

/* The running library's version, or NULL if older than |least_version|. */
SVRPMTU_EXTERN const svrpmtu_info *svrpmtu_version(int least_version);

#ifdef __cplusplus
}
#endif

#endif /* SVRPMTU_H */
