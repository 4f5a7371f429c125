/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrbfd: sans-I/O BFD (RFC 5880 asynchronous mode, RFC 5881 single hop)
 * for SVR peer paths.
 *
 * The library never touches a socket or a clock.  The host:
 *   - feeds every datagram received on the peer-path port to
 *     svrbfd_ctx_read_pkt() with the addresses, the received TTL and a
 *     monotonic timestamp in nanoseconds;
 *   - calls svrbfd_ctx_write_pkt() until it returns 0, sending each datagram
 *     it produces to the path it names;
 *   - arms one timer for svrbfd_ctx_get_expiry() and calls
 *     svrbfd_ctx_handle_expiry() (then write_pkt again) when it fires.
 * One context owns every session (peer path) of the host and keeps all their
 * deadlines in a single expiry queue.
 *
 * None of the functions below may be called from inside a callback unless its
 * comment says so.  A context is not thread safe: use it from one thread.
 *
 * Error codes are negative: -2xx usage and configuration errors, -3xx reasons
 * a received packet was discarded (each is also counted), -5xx fatal errors
 * after which the context should be deleted.  svrbfd_strerror() names them.
 */
#ifndef SVRBFD_H
#define SVRBFD_H

#include <stddef.h>
#include <stdint.h>

#include <svrbfd/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SVRBFD_STATICLIB)
#define SVRBFD_EXTERN
#elif defined(BUILDING_SVRBFD)
#define SVRBFD_EXTERN __attribute__((visibility("default")))
#else
#define SVRBFD_EXTERN
#endif

/* ---- time ------------------------------------------------------------ */

/* Monotonic timestamp in nanoseconds, chosen by the host. */
typedef uint64_t svrbfd_tstamp;
/* Duration in nanoseconds. */
typedef uint64_t svrbfd_duration;
/* Signed size for functions that return a length or a negative error. */
typedef ptrdiff_t svrbfd_ssize;

#define SVRBFD_MICROSECONDS ((svrbfd_duration)1000ULL)
#define SVRBFD_MILLISECONDS ((svrbfd_duration)1000000ULL)
#define SVRBFD_SECONDS ((svrbfd_duration)1000000000ULL)
/* "Never": returned by svrbfd_ctx_get_expiry() when nothing is scheduled. */
#define SVRBFD_TSTAMP_MAX UINT64_MAX

/* ---- errors ---------------------------------------------------------- */

#define SVRBFD_ERR_INVALID_ARGUMENT (-201)
#define SVRBFD_ERR_NOBUF (-202)            /* output buffer too small */
#define SVRBFD_ERR_SESSION_EXISTS (-203)   /* same local/remote address */
#define SVRBFD_ERR_DETECT_MULT (-204)      /* detect_mult outside 3..20 */
#define SVRBFD_ERR_INTERVAL (-205)         /* interval 0 or above 4294 s */
#define SVRBFD_ERR_AUTH_CONFIG (-206)      /* unknown type, bad key length */
#define SVRBFD_ERR_VERSION (-207)          /* unknown struct version */
#define SVRBFD_ERR_ADDRESS (-208)          /* bad family or mixed families */

/* Reasons a received packet is discarded, in RFC 5880 section 6.8.6 order. */
#define SVRBFD_ERR_PKT_SHORT (-300)        /* datagram < 24 bytes */
#define SVRBFD_ERR_PKT_VERSION (-301)      /* Vers != 1 (6.8.6 step 1) */
#define SVRBFD_ERR_PKT_LENGTH (-302)       /* Length < 24, or < 26 with A */
#define SVRBFD_ERR_PKT_LENGTH_EXCEEDS (-303) /* Length > datagram */
#define SVRBFD_ERR_PKT_DETECT_MULT (-304)  /* Detect Mult = 0 */
#define SVRBFD_ERR_PKT_MULTIPOINT (-305)   /* M bit set */
#define SVRBFD_ERR_PKT_MY_DISCR (-306)     /* My Discriminator = 0 */
#define SVRBFD_ERR_PKT_NO_SESSION (-307)   /* Your Discr unknown / no match */
#define SVRBFD_ERR_PKT_YOUR_DISCR (-308)   /* Your Discr 0 while not Down */
#define SVRBFD_ERR_PKT_TTL (-309)          /* RFC 5881 GTSM: TTL != 255 */
#define SVRBFD_ERR_PKT_AUTH_MISSING (-310) /* session authenticates, A = 0 */
#define SVRBFD_ERR_PKT_AUTH_UNEXPECTED (-311) /* A = 1, session has no auth */
#define SVRBFD_ERR_PKT_AUTH_TYPE (-312)    /* Auth Type differs */
#define SVRBFD_ERR_PKT_AUTH_LEN (-313)     /* Auth Len wrong for the type */
#define SVRBFD_ERR_PKT_AUTH_KEY_ID (-314)  /* Key ID not configured */
#define SVRBFD_ERR_PKT_AUTH_SEQ (-315)     /* sequence outside the window */
#define SVRBFD_ERR_PKT_AUTH_DIGEST (-316)  /* digest or password mismatch */
#define SVRBFD_ERR_PKT_ADMIN_DOWN (-317)   /* local session is AdminDown */

#define SVRBFD_ERR_FATAL (-500)            /* codes below this are fatal */
#define SVRBFD_ERR_NOMEM (-501)
#define SVRBFD_ERR_CALLBACK_FAILURE (-502)
#define SVRBFD_ERR_CRYPTO (-503)           /* libcrypto failed */

/* Human-readable text for an error code (never NULL). */
SVRBFD_EXTERN const char *svrbfd_strerror(int liberr);
/* Nonzero if |liberr| is fatal (< SVRBFD_ERR_FATAL). */
SVRBFD_EXTERN int svrbfd_err_is_fatal(int liberr);

/* ---- protocol constants ---------------------------------------------- */

typedef enum svrbfd_state {
  SVRBFD_STATE_ADMIN_DOWN = 0,
  SVRBFD_STATE_DOWN = 1,
  SVRBFD_STATE_INIT = 2,
  SVRBFD_STATE_UP = 3
} svrbfd_state;

/* RFC 5880 section 4.1 diagnostic codes. */
typedef enum svrbfd_diag {
  SVRBFD_DIAG_NONE = 0,
  SVRBFD_DIAG_CTL_DETECT_EXPIRED = 1,
  SVRBFD_DIAG_ECHO_FAILED = 2,
  SVRBFD_DIAG_NEIGHBOR_DOWN = 3,
  SVRBFD_DIAG_FWD_PLANE_RESET = 4,
  SVRBFD_DIAG_PATH_DOWN = 5,
  SVRBFD_DIAG_CONCAT_PATH_DOWN = 6,
  SVRBFD_DIAG_ADMIN_DOWN = 7,
  SVRBFD_DIAG_REV_CONCAT_PATH_DOWN = 8
} svrbfd_diag;

/*
 * RFC 5880 section 4.2 authentication types, plus HMAC-SHA256 for the
 * product's "sha256" setting.  HMAC-SHA256 is ours, not IANA's: type 240
 * (from the reserved range), section layout as meticulous keyed SHA1 with a
 * 32-byte HMAC, Auth Len 40 (docs/wire-format.md section 3.3).
 */
typedef enum svrbfd_auth_type {
  SVRBFD_AUTH_NONE = 0,
  SVRBFD_AUTH_SIMPLE = 1,
  SVRBFD_AUTH_KEYED_MD5 = 2,
  SVRBFD_AUTH_METICULOUS_KEYED_MD5 = 3,
  SVRBFD_AUTH_KEYED_SHA1 = 4,
  SVRBFD_AUTH_METICULOUS_KEYED_SHA1 = 5,
  SVRBFD_AUTH_HMAC_SHA256 = 240
} svrbfd_auth_type;

#define SVRBFD_PORT_SVR 1280     /* the SVR peer-path port */
#define SVRBFD_PORT_RFC5881 3784 /* RFC 5881 single-hop control */
#define SVRBFD_PORT_RFC5883 4784 /* RFC 5883 multihop control */
#define SVRBFD_MIN_PKT_LEN 24
#define SVRBFD_MAX_AUTH_KEY_LEN 64
/* Largest datagram write_pkt produces: an echo reply to the largest echo
 * request a context accepts for reflection (SVRBFD_PQ_MAX_PKT_LEN, 1500
 * bytes, in svrbfd_pq.h) plus the 24 bytes of reflector times.  Control
 * packets are at most 24 + 40 auth + metadata (< 512).  A host that passes
 * a smaller buffer still works: a reflection that does not fit is dropped
 * and counted (svrbfd_pq_ctx_stats.rx_queue_full), never kept queued. */
#define SVRBFD_MAX_PKT_LEN 1524
#define SVRBFD_NAME_MAX 64       /* router and node names, with the NUL */

/* ---- packet codec ---------------------------------------------------- */

/*
 * One decoded control packet.  Pointers point into the decoded buffer.
 * The trailer is whatever follows Length in the datagram (our SVR metadata
 * block, or padding from an RFC 9764 peer); standard speakers ignore it.
 */
typedef struct svrbfd_pkt {
  uint8_t version;
  uint8_t diag;
  uint8_t state;        /* svrbfd_state */
  uint8_t poll;         /* P */
  uint8_t final;        /* F */
  uint8_t cpi;          /* C: control plane independent */
  uint8_t auth_present; /* A */
  uint8_t demand;       /* D */
  uint8_t multipoint;   /* M */
  uint8_t detect_mult;
  uint8_t length;       /* the Length field */
  uint32_t my_discr;
  uint32_t your_discr;
  uint32_t desired_min_tx_us;
  uint32_t required_min_rx_us;
  uint32_t required_min_echo_rx_us;
  /* authentication section (auth_present) */
  uint8_t auth_type;
  uint8_t auth_len;
  uint8_t auth_key_id;
  uint32_t auth_seq;           /* types 2-5 and 240 */
  const uint8_t *auth_data;    /* password (type 1) or digest */
  size_t auth_data_len;
  const uint8_t *trailer;
  size_t trailer_len;
} svrbfd_pkt;

/*
 * Decodes and checks the packet in |data| against the stateless rules of
 * RFC 5880 section 6.8.6 (steps 1-6) and the shape of the authentication
 * section.  Returns 0, or SVRBFD_ERR_PKT_SHORT, _VERSION, _LENGTH,
 * _LENGTH_EXCEEDS, _DETECT_MULT, _MULTIPOINT, _MY_DISCR, _AUTH_LEN.  Never
 * reads outside data[0..datalen).  |pkt| is unspecified on error.
 */
SVRBFD_EXTERN int svrbfd_pkt_decode(svrbfd_pkt *pkt, const uint8_t *data,
                                    size_t datalen);

/*
 * Encodes the mandatory section of |pkt| (24 bytes; the Length field is
 * written from pkt->length, or 24 when it is 0) into |buf|.  Returns 24 or
 * SVRBFD_ERR_NOBUF.  Authentication is added by sessions, not here.
 */
SVRBFD_EXTERN svrbfd_ssize svrbfd_pkt_encode(uint8_t *buf, size_t buflen,
                                             const svrbfd_pkt *pkt);

/* ---- addresses ------------------------------------------------------- */

/* An IP address and UDP port, independent of any socket API. */
typedef struct svrbfd_addr {
  uint8_t family;   /* 4, 6, or 0 = unspecified (a wildcard) */
  uint8_t reserved;
  uint16_t port;    /* host byte order; 0 = the mode's default port */
  uint8_t addr[16]; /* IPv4 uses addr[0..3], network byte order */
} svrbfd_addr;

/* Where a datagram came from / goes to. */
typedef struct svrbfd_path {
  svrbfd_addr local;
  svrbfd_addr remote;
  /* read: the received TTL / hop limit, or -1 when unknown.
   * write: the TTL to send with (255 for every BFD packet). */
  int ttl;
} svrbfd_path;

/* ---- memory ---------------------------------------------------------- */

/* Allocator for one context; NULL in svrbfd_ctx_new() selects libc's. */
typedef struct svrbfd_mem {
  void *user_data;
  void *(*malloc)(size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} svrbfd_mem;

/* ---- context --------------------------------------------------------- */

typedef struct svrbfd_ctx svrbfd_ctx;
typedef struct svrbfd_session svrbfd_session;

#define SVRBFD_CALLBACKS_V1 1
#define SVRBFD_CALLBACKS_VERSION SVRBFD_CALLBACKS_V1

typedef struct svrbfd_callbacks {
  /*
   * Required.  Fills |dest| with |len| random bytes: discriminators, the
   * initial authentication sequence numbers and the seed of the transmit
   * jitter generator come from here.  Use a CSPRNG in production.
   */
  void (*rand)(uint8_t *dest, size_t len, void *user_data);
  /*
   * Optional.  The protocol state of |session| changed from |old_state| to
   * |new_state| with diagnostic |diag| (RFC 5880 section 6.2).
   */
  int (*session_state)(svrbfd_ctx *ctx, svrbfd_session *session,
                       svrbfd_state old_state, svrbfd_state new_state,
                       svrbfd_diag diag, svrbfd_tstamp ts, void *user_data);
  /*
   * Optional.  The reported peer-path status changed: |up| is 1 once the
   * session has been Up for the hold-down time, 0 as soon as it leaves Up.
   */
  int (*path_status)(svrbfd_ctx *ctx, svrbfd_session *session, int up,
                     svrbfd_tstamp ts, void *user_data);
  /*
   * Optional.  The peer's observed source address or port changed (a NAT
   * rebinding) in a packet received at |ts|; packets now go to |now|.
   */
  int (*remote_changed)(svrbfd_ctx *ctx, svrbfd_session *session,
                        const svrbfd_addr *before, const svrbfd_addr *now,
                        svrbfd_tstamp ts, void *user_data);
} svrbfd_callbacks;

#define SVRBFD_SETTINGS_V1 1
#define SVRBFD_SETTINGS_VERSION SVRBFD_SETTINGS_V1

typedef struct svrbfd_settings {
  /* Sent in the SVR metadata of every packet (NULL or "" = not sent). */
  const char *router_name;
  const char *node_name;
  /* Expected number of sessions, to size the discriminator table. 0 = 64. */
  size_t sessions_hint;
  /* Optional logging; NULL = silent. */
  void (*log_printf)(void *user_data, const char *fmt, ...);
} svrbfd_settings;

/* Fills |settings| with defaults: no names, sessions_hint 0, no log. */
SVRBFD_EXTERN void svrbfd_settings_default_versioned(int settings_version,
                                                     svrbfd_settings *settings);
#define svrbfd_settings_default(S)                                             \
  svrbfd_settings_default_versioned(SVRBFD_SETTINGS_VERSION, (S))

/*
 * Creates a context.  |mem| may be NULL.  Returns 0, SVRBFD_ERR_VERSION,
 * SVRBFD_ERR_INVALID_ARGUMENT (callbacks->rand missing) or SVRBFD_ERR_NOMEM.
 */
SVRBFD_EXTERN int svrbfd_ctx_new_versioned(svrbfd_ctx **pctx,
                                           int callbacks_version,
                                           const svrbfd_callbacks *callbacks,
                                           int settings_version,
                                           const svrbfd_settings *settings,
                                           const svrbfd_mem *mem,
                                           void *user_data);
#define svrbfd_ctx_new(P, CB, S, M, U)                                         \
  svrbfd_ctx_new_versioned((P), SVRBFD_CALLBACKS_VERSION, (CB),                \
                           SVRBFD_SETTINGS_VERSION, (S), (M), (U))

/* Frees the context and every session in it.  NULL is a no-op. */
SVRBFD_EXTERN void svrbfd_ctx_del(svrbfd_ctx *ctx);

/*
 * Processes one received datagram.  |path->local| and |path->remote| are the
 * datagram's destination and source, |path->ttl| its TTL (-1 if unknown).
 * Returns 0 when the packet was accepted, a SVRBFD_ERR_PKT_* code when it
 * was discarded (the matching counter is incremented and no session state
 * changes; except SVRBFD_ERR_PKT_ADMIN_DOWN: the packet passed every check
 * and the peer's values were taken, RFC 5880 6.8.6 steps 11-14, but the
 * local session is AdminDown), or a fatal error.  May call callbacks.
 * SVR control datagrams (those that start with the SVR cookie) go to the
 * sessions' echo engines (svrbfd_pq.h, svrbfd_session_set_link_test()):
 * echo requests from a session's peer are reflected, echo replies counted;
 * the codes are then 0, SVRBFD_ERR_PKT_NO_SESSION (no session for that
 * peer or token), SVRBFD_ERR_NOMEM, or a SVRBFD_PQ_ERR_* code from
 * svrbfd_pq.h.  Other control kinds (PMTU probes, firewall-detector
 * reports) return SVRBFD_PQ_ERR_PKT_KIND: hand them to their library
 * first.  svrbfd_strerror() names every one of these codes.
 */
SVRBFD_EXTERN int svrbfd_ctx_read_pkt(svrbfd_ctx *ctx, const svrbfd_path *path,
                                      const uint8_t *pkt, size_t pktlen,
                                      svrbfd_tstamp ts);

/*
 * Writes the next datagram that is due at |ts| into |buf| and its
 * addresses and TTL into |path|.  Returns its length, 0 when nothing is due,
 * SVRBFD_ERR_NOBUF when |buflen| is too small (use SVRBFD_MAX_PKT_LEN; the
 * packet stays queued), or a fatal error.  Call until it returns 0.
 */
SVRBFD_EXTERN svrbfd_ssize svrbfd_ctx_write_pkt(svrbfd_ctx *ctx,
                                                svrbfd_path *path,
                                                uint8_t *buf, size_t buflen,
                                                svrbfd_tstamp ts);

/* The next deadline of any session; 0 while packets wait for
 * svrbfd_ctx_write_pkt() (call it now); SVRBFD_TSTAMP_MAX when nothing is
 * scheduled (docs/architecture.md "Timers"). */
SVRBFD_EXTERN svrbfd_tstamp svrbfd_ctx_get_expiry(const svrbfd_ctx *ctx);

/*
 * Runs every deadline at or before |ts| (detection timeouts, transmit
 * times, hold-down ends).  Returns 0 or a fatal error.  May call callbacks.
 */
SVRBFD_EXTERN int svrbfd_ctx_handle_expiry(svrbfd_ctx *ctx, svrbfd_tstamp ts);

/* Context-wide counters. */
typedef struct svrbfd_ctx_stats {
  uint64_t rx_packets;       /* datagrams given to read_pkt */
  uint64_t rx_accepted;
  uint64_t tx_packets;       /* datagrams returned by write_pkt */
  uint64_t rx_drop[18];      /* indexed by -(code) - 300, PKT_SHORT..ADMIN_DOWN */
  uint64_t rx_bad_metadata;  /* packets whose trailer was not valid metadata */
  uint64_t sessions;
  uint64_t sessions_up;
} svrbfd_ctx_stats;

SVRBFD_EXTERN void (svrbfd_ctx_get_stats)(const svrbfd_ctx *ctx,
                                        svrbfd_ctx_stats *stats);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRBFD_CTX_STATS_VERSION; returns 0,
 * SVRBFD_ERR_VERSION (unknown version: nothing written) or
 * SVRBFD_ERR_INVALID_ARGUMENT (NULL).  svrbfd_ctx_get_stats() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRBFD_CTX_STATS_V1 1
#define SVRBFD_CTX_STATS_VERSION SVRBFD_CTX_STATS_V1
SVRBFD_EXTERN int svrbfd_ctx_get_stats_versioned(const svrbfd_ctx *ctx,
    int stats_version, svrbfd_ctx_stats *stats);
#define svrbfd_ctx_get_stats(O, S) svrbfd_ctx_get_stats_versioned((O), SVRBFD_CTX_STATS_VERSION, (S))

/*
 * Iterates over the sessions in creation order: NULL gives the first, the
 * last gives NULL.  Do not create or delete sessions while iterating.
 */
SVRBFD_EXTERN svrbfd_session *svrbfd_ctx_next_session(const svrbfd_ctx *ctx,
                                                      const svrbfd_session *prev);

/* ---- sessions -------------------------------------------------------- */

typedef enum svrbfd_mode {
  /* SVR peer path: port 1280, SVR metadata after Length, replies go to the
   * observed source address and port (NAT), no TTL check. */
  SVRBFD_MODE_SVR = 0,
  /* RFC 5881 single hop: port 3784, TTL 255 sent and checked (GTSM),
   * replies go to port 3784 of the observed address, no metadata. */
  SVRBFD_MODE_RFC5881 = 1,
  /* RFC 5883 multihop: port 4784, TTL 255 sent, the received TTL checked
   * against min_rx_ttl only, replies go to port 4784 of the observed
   * address, no metadata, no Echo (section 3: required_min_echo_rx_us must
   * be 0).  Sessions are found by (local, remote) address pair. */
  SVRBFD_MODE_RFC5883 = 2
} svrbfd_mode;

/* The well-known port of |mode|: 1280 (SVR), 3784 (RFC 5881), 4784 (RFC
 * 5883): where a mode's sessions listen and send to. */
SVRBFD_EXTERN uint16_t svrbfd_mode_port(svrbfd_mode mode);

typedef struct svrbfd_auth {
  svrbfd_auth_type type;
  uint8_t key_id;
  uint8_t key_len;   /* simple 1-16, MD5 1-16, SHA1 1-20, HMAC 1-64 */
  uint8_t key[SVRBFD_MAX_AUTH_KEY_LEN];
} svrbfd_auth;

#define SVRBFD_SESSION_CONFIG_V1 1
#define SVRBFD_SESSION_CONFIG_V2 2 /* adds min_rx_ttl */
#define SVRBFD_SESSION_CONFIG_VERSION SVRBFD_SESSION_CONFIG_V2

typedef struct svrbfd_session_config {
  svrbfd_addr local;   /* our address (port 0 = the mode's port) */
  svrbfd_addr remote;  /* the peer (port 0 = the mode's port) */
  svrbfd_mode mode;
  uint32_t desired_min_tx_us;       /* default 1000000 */
  uint32_t required_min_rx_us;      /* default 500000 */
  uint32_t required_min_echo_rx_us; /* default 0: no echo reception */
  uint8_t detect_mult;              /* default 3, accepted 3..20 */
  uint8_t passive;                  /* 1: send nothing until the peer speaks */
  uint8_t demand;                   /* 1: ask the peer for Demand mode */
  uint8_t send_metadata;            /* default 1 in SVR mode */
  svrbfd_auth auth;                 /* default none */
  svrbfd_duration hold_down_ns;     /* default 5 s before "up" is reported */
  uint8_t damping;                  /* 1: hold-down doubles per flap */
  svrbfd_duration damping_max_ns;   /* default 3600 s */
  /* V2.  RFC 5883 mode: packets received with a TTL / hop limit below this
   * are dropped (SVRBFD_ERR_PKT_TTL); 0 (default) = no check, 254 = at
   * most one router between the peers.  Must be 0 in the other modes. */
  uint8_t min_rx_ttl;
} svrbfd_session_config;

/* Fills |cfg| with the product defaults listed above (SVR mode). */
SVRBFD_EXTERN void svrbfd_session_config_default_versioned(
    int config_version, svrbfd_session_config *cfg);
#define svrbfd_session_config_default(C)                                       \
  svrbfd_session_config_default_versioned(SVRBFD_SESSION_CONFIG_VERSION, (C))

/*
 * Creates a session (state Down) and schedules its first packet at |ts|
 * (none if passive).  Returns 0, SVRBFD_ERR_VERSION, _INVALID_ARGUMENT,
 * _ADDRESS, _DETECT_MULT, _INTERVAL, _AUTH_CONFIG, _SESSION_EXISTS or
 * _NOMEM.  On error nothing is created.
 */
SVRBFD_EXTERN int svrbfd_session_new_versioned(svrbfd_ctx *ctx,
                                               svrbfd_session **psession,
                                               int config_version,
                                               const svrbfd_session_config *cfg,
                                               void *user_data,
                                               svrbfd_tstamp ts);
#define svrbfd_session_new(C, P, CFG, U, TS)                                   \
  svrbfd_session_new_versioned((C), (P), SVRBFD_SESSION_CONFIG_VERSION,       \
                               (CFG), (U), (TS))

/*
 * Removes and frees a session (sends nothing).  NULL is a no-op.  Safe from
 * inside any callback, for the session being reported too: there the
 * session is reported no more (no further callback), skipped by
 * svrbfd_ctx_next_session(), and freed before the library call that ran the
 * callback returns; a second call for it is a no-op.
 */
SVRBFD_EXTERN void svrbfd_session_del(svrbfd_session *session);

/*
 * down = 1: AdminDown with Diag 7 (the peer sees Down, diag 3); the next
 * write_pkt carries it.  down = 0: back to Down.  Returns 0.
 */
SVRBFD_EXTERN int svrbfd_session_set_admin_down(svrbfd_session *session,
                                                int down, svrbfd_tstamp ts);

/*
 * Probe role (on = 1), for a host that only wants to know whether the peer
 * runs BFD and hears us, and then goes away, without the peer ever counting
 * a session Up (and its clients seeing a flap when we leave).  The session
 * never advertises Init or Up: every packet says Down (AdminDown once set)
 * and reflects the peer's discriminator.  A peer's Down no longer moves it
 * to Init; it reports Up (session_state Down -> Up) as soon as a packet
 * from the peer shows it received ours: state Init or Up, or a Down that
 * carries our discriminator (another prober).  A standard peer therefore
 * stops at Init and falls back to Down after its Detection Time, or at
 * once on our AdminDown.  Set it before the first packet arrives, off by
 * default; on = 0 restores RFC 5880 behaviour.  Returns 0 or
 * SVRBFD_ERR_INVALID_ARGUMENT.
 */
SVRBFD_EXTERN int svrbfd_session_set_probe(svrbfd_session *session, int on);

/*
 * Changes the local timers; while Up this runs a Poll Sequence (RFC 5880
 * section 6.8.3: a slower transmit rate or a faster receive rate only take
 * effect once the peer answered with Final).  Returns 0,
 * SVRBFD_ERR_DETECT_MULT or SVRBFD_ERR_INTERVAL.
 */
SVRBFD_EXTERN int svrbfd_session_set_timers(svrbfd_session *session,
                                            uint32_t desired_min_tx_us,
                                            uint32_t required_min_rx_us,
                                            uint8_t detect_mult,
                                            svrbfd_tstamp ts);

/* Starts a Poll Sequence now (Demand mode verification).  Returns 0. */
SVRBFD_EXTERN int svrbfd_session_poll(svrbfd_session *session,
                                      svrbfd_tstamp ts);

typedef struct svrbfd_session_info {
  svrbfd_state state;
  svrbfd_state remote_state;
  svrbfd_diag local_diag;
  svrbfd_diag remote_diag;
  int up;                        /* reported status (after hold-down) */
  uint32_t local_discr;
  uint32_t remote_discr;
  svrbfd_addr local;
  svrbfd_addr remote;            /* where packets go now (observed) */
  svrbfd_mode mode;
  uint32_t desired_min_tx_us;    /* what we advertise now */
  uint32_t required_min_rx_us;
  uint8_t detect_mult;
  uint32_t remote_desired_min_tx_us;
  uint32_t remote_required_min_rx_us;
  uint32_t remote_required_min_echo_rx_us;
  uint8_t remote_detect_mult;
  uint64_t tx_interval_ns;       /* negotiated, before jitter */
  uint64_t detect_time_ns;       /* 0 while not armed */
  int poll_active;
  int demand_active;             /* the peer stopped periodic packets */
  int remote_demand;
  svrbfd_tstamp up_since;        /* protocol Up since (valid when Up) */
  svrbfd_tstamp last_rx;         /* 0 = never */
  svrbfd_duration hold_down_ns;  /* current (damped) hold-down */
  uint64_t rx_packets;
  uint64_t tx_packets;
  uint64_t rx_drops;             /* discarded after matching this session */
  uint64_t auth_failures;
  uint64_t up_count;             /* transitions into Up */
  uint64_t down_count;           /* transitions out of Up */
  uint64_t remote_changes;       /* observed source address/port changes */
  /* From the peer's SVR metadata ("" until received). */
  char peer_router_name[SVRBFD_NAME_MAX];
  char peer_node_name[SVRBFD_NAME_MAX];
  int rx_hops;           /* 255 - TTL we observe, -1 unknown */
  int peer_rx_hops;      /* what the peer observes of our packets, -1 */
  svrbfd_auth_type auth_type;
} svrbfd_session_info;

SVRBFD_EXTERN void (svrbfd_session_get_info)(const svrbfd_session *session,
                                           svrbfd_session_info *info);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRBFD_SESSION_INFO_VERSION; returns 0,
 * SVRBFD_ERR_VERSION (unknown version: nothing written) or
 * SVRBFD_ERR_INVALID_ARGUMENT (NULL).  svrbfd_session_get_info() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRBFD_SESSION_INFO_V1 1
#define SVRBFD_SESSION_INFO_VERSION SVRBFD_SESSION_INFO_V1
SVRBFD_EXTERN int svrbfd_session_get_info_versioned(const svrbfd_session *session,
    int info_version, svrbfd_session_info *info);
#define svrbfd_session_get_info(O, S) svrbfd_session_get_info_versioned((O), SVRBFD_SESSION_INFO_VERSION, (S))
SVRBFD_EXTERN void *svrbfd_session_get_user_data(const svrbfd_session *session);
SVRBFD_EXTERN void svrbfd_session_set_user_data(svrbfd_session *session,
                                                void *user_data);
SVRBFD_EXTERN svrbfd_ctx *svrbfd_session_get_ctx(const svrbfd_session *session);

/* Lower-case names: "admin-down", "down", "init", "up". */
SVRBFD_EXTERN const char *svrbfd_state_name(svrbfd_state state);
/* RFC 5880 wording, e.g. "control detection time expired". */
SVRBFD_EXTERN const char *svrbfd_diag_name(svrbfd_diag diag);

/* ---- version --------------------------------------------------------- */

typedef struct svrbfd_info {
  int age;             /* 1 */
  int version_num;     /* SVRBFD_VERSION_NUM of the running library */
  const char *version_str;
} svrbfd_info;

/*
 * Returns the running library's version, or NULL when it is older than
 * |least_version| (0 accepts any).
 */
SVRBFD_EXTERN const svrbfd_info *svrbfd_version(int least_version);

#ifdef __cplusplus
}
#endif

#endif /* SVRBFD_H */
