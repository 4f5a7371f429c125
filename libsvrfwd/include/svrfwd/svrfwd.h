/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwd: sans-I/O Secure Vector Routing forwarding core.
 *
 * Waypoint allocation, first-packet SVR metadata and the metadata handshake,
 * tunnel-free NAT to and from waypoints, per-session encryption and
 * integrity (AES-256-GCM by default; AES-CBC + HMAC-SHA256 as the product's
 * compatible mode), UDP transform of TCP sessions, ICMP echo sessions, TTL
 * padding, path MTU (MSS clamping, DF check, ICMP fragmentation needed),
 * moving sessions between paths to one peer router, session aging and
 * counters.  docs/libsvrfwd.md is the reference for every wire layout.
 *
 * The library never touches a socket or a clock.  The host:
 *   - gives every IP packet that enters the SVR fabric here (from a client or
 *     a server, towards a peer router) to svrfwd_ctx_ingress();
 *   - gives every IP packet that arrives from a peer router on a waypoint to
 *     svrfwd_ctx_egress();
 *   - both rewrite the packet in the caller's buffer; the host then routes
 *     it by its (new) destination address;
 *   - arms one timer for svrfwd_ctx_get_expiry() and calls
 *     svrfwd_ctx_handle_expiry() when it fires (session aging).
 *
 * Packets live in caller buffers (svrfwd_buf) with SVRFWD_HEADROOM bytes
 * free before the IP header and SVRFWD_TAILROOM bytes free after the packet:
 * ingress grows the packet at both ends (metadata after the L4 header, the
 * integrity tag at the end) by moving the IP and L4 headers into the
 * headroom, so the payload is never copied.
 *
 * Nothing here allocates on the per-packet path: sessions and their cipher
 * contexts are allocated when a session is created (with AES-256-GCM or no
 * encryption the fast path allocates nothing, libcrypto included; the CBC
 * modes' HMAC still allocates inside libcrypto).  Per packet the host calls
 * only svrfwd_ctx_ingress() or svrfwd_ctx_egress().  A context is not
 * thread safe.  No function may be called from inside a callback, except
 * where its comment says so.
 *
 * Error codes are negative: -2xx usage and configuration, -3xx reasons a
 * packet was dropped (each counted in svrfwd_ctx_stats.drop[]), -5xx fatal.
 */
#ifndef SVRFWD_H
#define SVRFWD_H

#include <stddef.h>
#include <stdint.h>

#include <svrfwd/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SVRFWD_STATICLIB)
#define SVRFWD_EXTERN
#elif defined(BUILDING_SVRFWD)
#define SVRFWD_EXTERN __attribute__((visibility("default")))
#else
#define SVRFWD_EXTERN
#endif

/* ---- time ------------------------------------------------------------ */

typedef uint64_t svrfwd_tstamp;   /* nanoseconds, chosen by the host */
typedef uint64_t svrfwd_duration; /* nanoseconds */
typedef ptrdiff_t svrfwd_ssize;

#define SVRFWD_MILLISECONDS ((svrfwd_duration)1000000ULL)
#define SVRFWD_SECONDS ((svrfwd_duration)1000000000ULL)
#define SVRFWD_TSTAMP_MAX UINT64_MAX

/* ---- errors ---------------------------------------------------------- */

#define SVRFWD_ERR_INVALID_ARGUMENT (-201)
#define SVRFWD_ERR_NOBUF (-202)        /* headroom/tailroom/output too small */
#define SVRFWD_ERR_VERSION (-203)      /* unknown struct version */
#define SVRFWD_ERR_WAYPOINTS_EXHAUSTED (-204) /* max-way-points pairs in use */
#define SVRFWD_ERR_WAYPOINTS_QUARANTINE (-205) /* every free pair quarantined */
#define SVRFWD_ERR_SESSIONS_FULL (-206) /* settings.max_sessions reached */
#define SVRFWD_ERR_KEY (-207)          /* bad key length or reserved key id */
#define SVRFWD_ERR_NO_KEY (-208)       /* peer encrypts but has no active key */
#define SVRFWD_ERR_PEER_EXISTS (-209)  /* same waypoint pair already a peer */
#define SVRFWD_ERR_ADDRESS (-210)      /* bad family, mixed families */
#define SVRFWD_ERR_PORT_RANGE (-211)   /* range outside 1025..65535, empty */

/* Reasons a packet is dropped; index = -(code) - 300 in stats.drop[]. */
#define SVRFWD_ERR_PKT_MALFORMED (-300)   /* IP/L4 header truncated or bad */
#define SVRFWD_ERR_PKT_UNSUPPORTED (-301) /* not TCP/UDP/ICMP echo, fragment */
#define SVRFWD_ERR_PKT_NO_SESSION (-302)  /* no session, no route / metadata */
#define SVRFWD_ERR_PKT_META_SHORT (-303)  /* metadata shorter than 12 bytes */
#define SVRFWD_ERR_PKT_META_COOKIE (-304) /* new flow without the cookie */
#define SVRFWD_ERR_PKT_META_VERSION (-305)
#define SVRFWD_ERR_PKT_META_HDRLEN (-306)
#define SVRFWD_ERR_PKT_META_PAYLEN (-307)
#define SVRFWD_ERR_PKT_META_TLV (-308)    /* TLV overruns its area, bad length */
#define SVRFWD_ERR_PKT_META_MISSING (-309) /* a required TLV is missing */
#define SVRFWD_ERR_PKT_UNKNOWN_PEER (-310) /* waypoints of no configured peer */
#define SVRFWD_ERR_PKT_KEY_UNKNOWN (-311)  /* security ID not installed */
#define SVRFWD_ERR_PKT_KEY_EXPIRED (-312)  /* old key after the overlap */
#define SVRFWD_ERR_PKT_AUTH (-313)         /* GCM tag / HMAC mismatch */
#define SVRFWD_ERR_PKT_REPLAY (-314)       /* sequence seen or left of window */
#define SVRFWD_ERR_PKT_STALE (-315)        /* time-based HMAC outside window */
#define SVRFWD_ERR_PKT_TOO_BIG (-316)      /* result above 65535 bytes */
#define SVRFWD_ERR_PKT_COLLISION (-317)    /* metadata names a flow in use */
#define SVRFWD_ERR_PKT_SESSIONS_FULL (-318) /* no room for a new session */
#define SVRFWD_ERR_PKT_WAYPOINTS (-319)    /* no waypoint pair for a new flow */
#define SVRFWD_ERR_PKT_CLOSED (-320)       /* reserved (not returned yet) */
#define SVRFWD_ERR_PKT_PATH_MTU (-321)     /* IPv4 DF set, above the path MTU */
#define SVRFWD_NUM_DROP_REASONS 22

#define SVRFWD_ERR_FATAL (-500)
#define SVRFWD_ERR_NOMEM (-501)
#define SVRFWD_ERR_CRYPTO (-502) /* libcrypto failed */

/* Text for an error code (never NULL). */
SVRFWD_EXTERN const char *svrfwd_strerror(int liberr);
/* Nonzero if |liberr| is fatal. */
SVRFWD_EXTERN int svrfwd_err_is_fatal(int liberr);

/* ---- memory ---------------------------------------------------------- */

typedef struct svrfwd_mem {
  void *user_data;
  void *(*malloc)(size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} svrfwd_mem;

/* ---- addresses and flows -------------------------------------------- */

typedef struct svrfwd_addr {
  uint8_t family;   /* 4 or 6 */
  uint8_t addr[16]; /* IPv4 uses addr[0..3], network byte order */
} svrfwd_addr;

/*
 * A 5-tuple in the direction the packet travels.  For ICMP echo (proto 1,
 * or 58 for ICMPv6) both ports hold the echo identifier, so a reply (the
 * addresses swapped, the same identifier) has the swapped key.
 */
typedef struct svrfwd_flow {
  uint8_t family; /* 4 or 6 */
  uint8_t proto;  /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
  uint16_t sport; /* host byte order; ICMP echo: the identifier */
  uint16_t dport; /* ICMP echo: the identifier */
  uint8_t src[16];
  uint8_t dst[16];
} svrfwd_flow;

/*
 * A packet in a caller buffer: the IP header starts at base + off and the
 * packet is len bytes; cap is the size of base.  Ingress needs
 * off >= SVRFWD_HEADROOM and cap - off - len >= SVRFWD_TAILROOM; it and
 * egress move off and change len.
 */
typedef struct svrfwd_buf {
  uint8_t *base;
  size_t cap;
  size_t off;
  size_t len;
} svrfwd_buf;

/* Largest growth at the front: UDP header (transform) + metadata. */
#define SVRFWD_HEADROOM 640
/* Largest growth at the end: CBC padding (16) + HMAC-SHA256 (32). */
#define SVRFWD_TAILROOM 48
/* Names (tenant, service, router) are cut to this many bytes. */
#define SVRFWD_NAME_MAX 96

/* ---- SVR metadata codec ---------------------------------------------- */

/* TLV presence bits of svrfwd_meta.present. */
#define SVRFWD_META_FRAGMENT (1u << 0)       /* type 1 */
#define SVRFWD_META_FWD_CTX (1u << 1)        /* type 2 or 3 */
#define SVRFWD_META_REV_CTX (1u << 2)        /* type 4 or 5 */
#define SVRFWD_META_UUID (1u << 3)           /* type 6 */
#define SVRFWD_META_TENANT (1u << 4)         /* type 7 */
#define SVRFWD_META_SERVICE (1u << 5)        /* type 10 */
#define SVRFWD_META_ENCRYPTED (1u << 6)      /* type 11 */
#define SVRFWD_META_TCP_SYN (1u << 7)        /* type 12 */
#define SVRFWD_META_SOURCE_ROUTER (1u << 8)  /* type 14 */
#define SVRFWD_META_SECURITY_ID (1u << 9)    /* type 16 */
#define SVRFWD_META_DEST_ROUTER (1u << 10)   /* type 17 */
#define SVRFWD_META_DISABLE_FWD (1u << 11)   /* type 18 */
#define SVRFWD_META_PATHWAY_ID (1u << 12)    /* type 19 */
#define SVRFWD_META_CONTROL (1u << 13)       /* type 24 */
#define SVRFWD_META_PATH_METRICS (1u << 14)  /* type 26 */
#define SVRFWD_META_SEQ (1u << 15)           /* private 0xE080 */
#define SVRFWD_META_TIME (1u << 16)          /* private 0xE081 */
#define SVRFWD_META_L4_CKSUM (1u << 17)      /* private 0xE082 */

/* Private TLV types of libsvrfwd (range 0xE080-0xE09F). */
#define SVRFWD_TLV_SEQ 0xE080      /* 8: per-session packet sequence */
#define SVRFWD_TLV_TIME 0xE081     /* 8: sender time, ms (time-based HMAC) */
#define SVRFWD_TLV_L4_CKSUM 0xE082 /* 2: the original L4 checksum */

typedef struct svrfwd_bytes {
  const uint8_t *p;
  uint16_t len;
} svrfwd_bytes;

/*
 * Decoded (or to-be-encoded) SVR metadata.  On decode, byte strings point
 * into the decoded buffer; on encode, a TLV is written when its bit is set
 * in |present|, in the header area if its bit is in |in_header|.
 */
typedef struct svrfwd_meta {
  uint32_t present;
  uint32_t in_header;
  uint8_t fragment[10];     /* ext id(4) orig id(2) flags|offset(2) largest(2) */
  svrfwd_flow fwd_ctx;      /* family selects type 2 (13 B) or 3 (37 B) */
  svrfwd_flow rev_ctx;      /* type 4 or 5 */
  uint8_t uuid[16];
  svrfwd_bytes tenant;
  svrfwd_bytes service;
  svrfwd_bytes source_router;
  svrfwd_bytes dest_router;
  svrfwd_bytes pathway_id;
  uint32_t security_id;
  uint8_t control;          /* type 24 */
  uint8_t path_metrics[10]; /* type 26 */
  uint64_t seq;
  uint64_t time_ms;
  uint16_t l4_cksum;
  /* decode only: where the areas are in the input */
  uint16_t hdr_len;         /* 12 + header TLVs */
  uint16_t payload_len;     /* payload TLVs */
} svrfwd_meta;

/*
 * Encodes |m| (cookie, version 1, header TLVs, payload TLVs) into |buf|.
 * Returns the encoded length; if |buflen| is smaller, returns
 * SVRFWD_ERR_NOBUF (call with buflen 0 to learn the size: the needed size is
 * written to *needed when |needed| is not NULL).  SVRFWD_ERR_INVALID_ARGUMENT
 * if the header area would exceed 4095 bytes or a family is not 4/6.
 */
SVRFWD_EXTERN svrfwd_ssize svrfwd_meta_encode(uint8_t *buf, size_t buflen,
                                              const svrfwd_meta *m,
                                              size_t *needed);

/*
 * Decodes plaintext metadata at the start of |p|.  Returns the metadata
 * length (where the original payload starts) or SVRFWD_ERR_PKT_META_SHORT,
 * _COOKIE, _VERSION, _HDRLEN, _PAYLEN or _TLV (a TLV overruns its area or a
 * known type has the wrong length).  Unknown types are skipped.  |m| is
 * unspecified on error.
 */
SVRFWD_EXTERN svrfwd_ssize svrfwd_meta_decode(svrfwd_meta *m, const uint8_t *p,
                                              size_t len);

/* ---- waypoint allocator ---------------------------------------------- */

/*
 * Per peer path and protocol.  Default (start_port == 0): ports
 * 16385..65533, this router takes even ports, the peer odd ones, so the two
 * routers of a pair never pick the same pair (no glare).  With a configured
 * range the even/odd rule is dropped (each router's own port from its range,
 * the peer's from the peer's range); glare is then avoided by our rule
 * (docs/libsvrfwd.md): the router with the lower waypoint address uses only
 * the lower half of its own range for itself, the other uses only the upper
 * half of that range for its peer.  Pairs are handed out round-robin, freed
 * pairs wait |quarantine_ns| before reuse; allocate and free are O(1).
 */
/* The default waypoint port range (TCP and UDP, both routers of a pair):
 * what a firewall between two forwarding routers must let through
 * (svr-ports, docs/svr-ports.md). */
#define SVRFWD_WP_DEFAULT_FIRST 16385
#define SVRFWD_WP_DEFAULT_LAST 65533

typedef struct svrfwd_wp_config {
  uint16_t self_start_port, self_end_port; /* 0 = default even/odd rule */
  uint16_t peer_start_port, peer_end_port; /* with a range: the peer's */
  int lower;                    /* range mode: 1 if our address is lower */
  uint32_t max_waypoints;       /* pairs in use at once; default 50000 */
  svrfwd_duration quarantine_ns; /* default 10 s */
} svrfwd_wp_config;

typedef struct svrfwd_wpalloc svrfwd_wpalloc;

SVRFWD_EXTERN void svrfwd_wp_config_default(svrfwd_wp_config *cfg);
/*
 * Creates an allocator (memory for max_waypoints entries is taken here).
 * Returns 0, SVRFWD_ERR_INVALID_ARGUMENT, SVRFWD_ERR_PORT_RANGE or
 * SVRFWD_ERR_NOMEM.
 */
SVRFWD_EXTERN int svrfwd_wpalloc_new(svrfwd_wpalloc **pwa,
                                     const svrfwd_wp_config *cfg,
                                     const svrfwd_mem *mem);
SVRFWD_EXTERN void svrfwd_wpalloc_del(svrfwd_wpalloc *wa);
/*
 * Takes a pair: our port in *self_port, the peer's in *peer_port.  Returns
 * 0, SVRFWD_ERR_WAYPOINTS_EXHAUSTED (max_waypoints pairs are in use, or the
 * port space is) or SVRFWD_ERR_WAYPOINTS_QUARANTINE (free pairs exist but
 * all are still in quarantine at |ts|).
 */
SVRFWD_EXTERN int svrfwd_wpalloc_alloc(svrfwd_wpalloc *wa, uint16_t *self_port,
                                       uint16_t *peer_port, svrfwd_tstamp ts);
/* Returns a pair; it is reusable from ts + quarantine.  Returns 0 or
 * SVRFWD_ERR_INVALID_ARGUMENT (not a pair of this allocator / not in use). */
SVRFWD_EXTERN int svrfwd_wpalloc_free(svrfwd_wpalloc *wa, uint16_t self_port,
                                      uint16_t peer_port, svrfwd_tstamp ts);
/* Pairs in use now. */
SVRFWD_EXTERN size_t svrfwd_wpalloc_in_use(const svrfwd_wpalloc *wa);

/* ---- context --------------------------------------------------------- */

typedef struct svrfwd_ctx svrfwd_ctx;
typedef struct svrfwd_peer svrfwd_peer;
typedef struct svrfwd_session svrfwd_session;

typedef enum svrfwd_close_reason {
  SVRFWD_CLOSE_IDLE = 0,   /* UDP idle / TCP idle timeout */
  SVRFWD_CLOSE_FIN = 1,    /* TCP FIN both ways, then the linger time */
  SVRFWD_CLOSE_RST = 2,    /* TCP RST, then the linger time */
  SVRFWD_CLOSE_PEER = 3,   /* peer removed */
  SVRFWD_CLOSE_CTX = 4     /* context deleted */
} svrfwd_close_reason;

#define SVRFWD_CALLBACKS_V1 1
#define SVRFWD_CALLBACKS_VERSION SVRFWD_CALLBACKS_V1

typedef struct svrfwd_callbacks {
  /* Required.  |len| random bytes (session UUIDs, the hash seed). */
  void (*rand)(uint8_t *dest, size_t len, void *user_data);
  /* Optional.  A session was created (ingress: new flow; egress: valid
   * first-packet metadata). */
  void (*session_new)(svrfwd_ctx *ctx, svrfwd_session *session,
                      void *user_data);
  /* Optional.  A session is about to be freed. */
  void (*session_closed)(svrfwd_ctx *ctx, svrfwd_session *session,
                         svrfwd_close_reason reason, void *user_data);
} svrfwd_callbacks;

#define SVRFWD_SETTINGS_V1 1
#define SVRFWD_SETTINGS_VERSION SVRFWD_SETTINGS_V1

typedef struct svrfwd_settings {
  const char *router_name;          /* sent as TLV 14; default "" */
  size_t max_sessions;              /* default 65536 */
  svrfwd_duration udp_idle_ns;      /* default 60 s */
  svrfwd_duration tcp_idle_ns;      /* default 1800 s */
  svrfwd_duration tcp_linger_ns;    /* after FIN both ways / RST: 10 s */
  svrfwd_duration key_overlap_ns;   /* old key accepted after rekey: 30 s */
  svrfwd_duration hmac_window_ns;   /* time-based HMAC window: 5 s */
} svrfwd_settings;

SVRFWD_EXTERN void svrfwd_settings_default_versioned(int settings_version,
                                                     svrfwd_settings *s);
#define svrfwd_settings_default(S)                                             \
  svrfwd_settings_default_versioned(SVRFWD_SETTINGS_VERSION, (S))

/*
 * Creates a context; |mem| may be NULL (libc).  Returns 0,
 * SVRFWD_ERR_VERSION, SVRFWD_ERR_INVALID_ARGUMENT (no rand callback,
 * max_sessions 0) or SVRFWD_ERR_NOMEM.
 */
SVRFWD_EXTERN int svrfwd_ctx_new_versioned(svrfwd_ctx **pctx,
                                           int callbacks_version,
                                           const svrfwd_callbacks *callbacks,
                                           int settings_version,
                                           const svrfwd_settings *settings,
                                           const svrfwd_mem *mem,
                                           void *user_data);
#define svrfwd_ctx_new(P, CB, S, M, U)                                         \
  svrfwd_ctx_new_versioned((P), SVRFWD_CALLBACKS_VERSION, (CB),                \
                           SVRFWD_SETTINGS_VERSION, (S), (M), (U))

/* Frees the context, its peers and sessions (session_closed is called with
 * SVRFWD_CLOSE_CTX).  NULL is a no-op. */
SVRFWD_EXTERN void svrfwd_ctx_del(svrfwd_ctx *ctx);

/*
 * Checksum offload of the outer packets (default off).  With |on| 1,
 * every TCP packet and every UDP packet with a checksum (not an IPv4 UDP
 * packet sent with checksum 0) that svrfwd_ctx_ingress() writes leaves
 * with a partial checksum, as Linux's CHECKSUM_PARTIAL: its checksum
 * field holds the folded sum of the pseudo header (RFC 9293 section
 * 3.1, RFC 768, RFC 8200 section 8.1), not complemented, and the one's
 * complement sum over the transport header and payload is left to
 * whoever sends it (a device with checksum offload, through a
 * virtio-net header with VIRTIO_NET_HDR_F_NEEDS_CSUM: csum_start = the
 * IP header length, csum_offset = 16 for TCP and 6 for UDP), which
 * completes it before the packet is on the wire.  Saves one pass over
 * every outer packet.  svrfwd_ctx_egress() is not affected and does not
 * check the outer checksum (the AEAD tag or HMAC authenticates the
 * packet; a cipher-less session restores the inner checksum from the
 * outer one, so its outer checksum must be complete when it reaches
 * the peer).
 */
SVRFWD_EXTERN void svrfwd_ctx_set_l4_csum_partial(svrfwd_ctx *ctx, int on);

/* ---- peers ----------------------------------------------------------- */

typedef enum svrfwd_cipher {
  SVRFWD_CIPHER_AES256_GCM = 0,   /* default: AEAD per session */
  SVRFWD_CIPHER_AES128_CBC_HMAC = 1, /* product: aes-cbc-128 + time HMAC-SHA256 */
  SVRFWD_CIPHER_AES256_CBC_HMAC = 2, /* product: aes-cbc-256 + time HMAC-SHA256 */
  SVRFWD_CIPHER_NONE = 3          /* no encryption, no integrity */
} svrfwd_cipher;

typedef enum svrfwd_ttl_mode {
  SVRFWD_TTL_OFF = 0,   /* TTL left as it is */
  SVRFWD_TTL_FIXED = 1, /* outer TTL raised by ttl_padding (0-255) */
  SVRFWD_TTL_AUTO = 2   /* raised by the hop count set by the host */
} svrfwd_ttl_mode;

#define SVRFWD_PEER_CONFIG_V1 1
#define SVRFWD_PEER_CONFIG_VERSION SVRFWD_PEER_CONFIG_V1

typedef struct svrfwd_peer_config {
  svrfwd_addr local_waypoint;  /* our waypoint address on this peer path */
  svrfwd_addr remote_waypoint; /* the peer's */
  const char *name;            /* peer router name (informational) */
  svrfwd_cipher cipher;        /* default AES-256-GCM */
  svrfwd_ttl_mode ttl_mode;    /* default off */
  uint8_t ttl_padding;         /* FIXED: 0-255 */
  uint8_t udp_transform;       /* 1: carry TCP as UDP (libsvrfwdet verdict) */
  svrfwd_wp_config waypoints;  /* ports, max-way-points, quarantine */
} svrfwd_peer_config;

SVRFWD_EXTERN void svrfwd_peer_config_default_versioned(int v,
                                                        svrfwd_peer_config *c);
#define svrfwd_peer_config_default(C)                                          \
  svrfwd_peer_config_default_versioned(SVRFWD_PEER_CONFIG_VERSION, (C))

/*
 * Adds a peer path.  For a range-mode allocator, |lower| is computed here
 * from the two waypoint addresses.  Returns 0, SVRFWD_ERR_VERSION,
 * _INVALID_ARGUMENT, _ADDRESS, _PORT_RANGE, _PEER_EXISTS or _NOMEM.
 */
SVRFWD_EXTERN int svrfwd_peer_add_versioned(svrfwd_ctx *ctx,
                                            svrfwd_peer **ppeer, int v,
                                            const svrfwd_peer_config *cfg);
#define svrfwd_peer_add(C, P, CFG)                                             \
  svrfwd_peer_add_versioned((C), (P), SVRFWD_PEER_CONFIG_VERSION, (CFG))

/* Removes a peer and closes its sessions.  NULL is a no-op. */
SVRFWD_EXTERN void svrfwd_peer_del(svrfwd_peer *peer);

/*
 * Installs key |security_id| (TLV 16) for the peer.  It is accepted on
 * receive at once.  With |activate| it also becomes the key we send with,
 * and the previously active key stays accepted until ts + key_overlap_ns.
 * A rekey without loss: add the new key on both routers, then activate it.
 * Key length: 32 bytes (GCM, CBC-256 + HMAC), 16 (CBC-128 + HMAC) or more
 * (it is the input of the per-session key derivation; 16..64 accepted).
 * Returns 0, SVRFWD_ERR_KEY (length, or id 0x4C48DBC6 which is reserved
 * because it would look like the cookie), SVRFWD_ERR_INVALID_ARGUMENT.
 */
SVRFWD_EXTERN int svrfwd_peer_key_add(svrfwd_peer *peer, uint32_t security_id,
                                      const uint8_t *key, size_t keylen,
                                      int activate, svrfwd_tstamp ts);
/* Makes an installed key the send key (old one overlaps).  Returns 0 or
 * SVRFWD_ERR_KEY (not installed). */
SVRFWD_EXTERN int svrfwd_peer_key_activate(svrfwd_peer *peer,
                                           uint32_t security_id,
                                           svrfwd_tstamp ts);
/* Forgets key |security_id| before its overlap ends (both sides send with
 * a newer key): packets under it are then refused as
 * SVRFWD_ERR_PKT_KEY_UNKNOWN, and the sessions' keys derived from it are
 * wiped.  Returns 0 (also when it is not installed: removing is
 * idempotent) or SVRFWD_ERR_KEY (it is the key we send with). */
SVRFWD_EXTERN int svrfwd_peer_key_remove(svrfwd_peer *peer,
                                         uint32_t security_id);
/*
 * Makes every session of the peer send metadata again, as on a new flow
 * (the peer failed over, rebooted, or BFD saw its source NAT change): the
 * peer recreates or refreshes its state and the handshake runs again.
 */
SVRFWD_EXTERN void svrfwd_peer_retrigger_metadata(svrfwd_peer *peer);
/*
 * The path MTU of this peer path in bytes (libsvrpmtu's result: the largest
 * outer IP packet that crosses the path), or 0 = unknown, the default.
 * While it is set, ingress on sessions of this peer
 *   - clamps the MSS option of every TCP SYN and SYN-ACK (either direction,
 *     originator or not) down to
 *       mtu_bytes - IP header (20 or 40) - 20 (TCP)
 *                 - svrfwd_peer_overhead(peer, 6) of the session,
 *     never up, and adds none where there is none (RFC 879, RFC 6691), with
 *     an RFC 1624 update of the TCP checksum;
 *   - refuses an IPv4 packet with DF set that would leave larger than
 *     mtu_bytes on the fast path, with SVRFWD_ERR_PKT_PATH_MTU
 *     (svrfwd_session_frag_needed); a packet that only its first-round-trip
 *     metadata makes larger leaves with DF cleared (to be fragmented).
 * Returns 0, or SVRFWD_ERR_INVALID_ARGUMENT (peer NULL; mtu_bytes not 0 and
 * below 576 for an IPv4 peer (RFC 791), 1280 for IPv6 (RFC 8200), or above
 * 65535).
 */
SVRFWD_EXTERN int svrfwd_peer_set_path_mtu(svrfwd_peer *peer,
                                           uint32_t mtu_bytes);
/*
 * The bytes a fast-path packet (no metadata) whose inner protocol is
 * |proto| grows by on this peer path, the worst case:
 *   AES-256-GCM:  12 (security ID + sequence) + 2 (original checksum) + 16
 *                 (tag) = 30;
 *   AES-CBC-*:    20 (+ time) + 2 + 16 (largest PKCS#7 padding) + 32 (HMAC)
 *                 = 70;
 *   none:         12 for TCP and UDP (the false-positive marker of a
 *                 payload that begins with the cookie), 0 when carried;
 * plus 8 (a UDP header) for ICMP echo and, on a path with UDP transform,
 * TCP.  Packets with metadata (the first round trip) grow more.  Returns
 * the overhead, or SVRFWD_ERR_INVALID_ARGUMENT (peer NULL, |proto| not 6,
 * 17, or 1 (58 on an IPv6 peer)).
 */
SVRFWD_EXTERN svrfwd_ssize svrfwd_peer_overhead(const svrfwd_peer *peer,
                                                uint8_t proto);
/* libsvrfwdet's verdict: 1 = new TCP sessions ride UDP. */
SVRFWD_EXTERN void svrfwd_peer_set_udp_transform(svrfwd_peer *peer, int on);
/* Hop count learned by libsvrbfd (255 - received TTL) for SVRFWD_TTL_AUTO. */
SVRFWD_EXTERN void svrfwd_peer_set_hop_count(svrfwd_peer *peer, uint8_t hops);

/* ---- packets --------------------------------------------------------- */

/* Where a new flow goes: the policy decision of the host. */
typedef struct svrfwd_route {
  svrfwd_peer *peer;
  const char *tenant;  /* TLV 7 */
  const char *service; /* TLV 10 */
} svrfwd_route;

/*
 * A packet entering the fabric (from a client towards a service, or a
 * server's reply on a session created by egress).  Looks the flow up by its
 * 5-tuple; with no session and |route| not NULL it creates one (UUID from
 * the rand callback, a waypoint pair from the peer's allocator).  Rewrites
 * addresses and ports to the waypoints, adds metadata while the handshake
 * requires it, encrypts, pads the TTL.
 *
 * IPv4/IPv6 with TCP, UDP or ICMP echo.  An ICMP echo request (type 8;
 * ICMPv6 128) opens a session keyed by its identifier; replies (0; 129)
 * and requests then use it both ways; a reply never opens one
 * (_NO_SESSION).  ICMP rides UDP on the peer's UDP waypoints.  ICMP errors
 * and every other ICMP type are refused with _UNSUPPORTED.
 *
 * With a path MTU set on the peer (svrfwd_peer_set_path_mtu), TCP SYNs
 * get their MSS clamped, and an IPv4 packet with DF set that would leave
 * larger than the path MTU is refused with _PATH_MTU: then the buffer is
 * untouched (the original packet, for svrfwd_session_frag_needed) and
 * *psession is set to its session (created if the flow was new).
 *
 * Returns 0 (send buf to its new destination address) or a drop reason:
 * SVRFWD_ERR_PKT_MALFORMED, _UNSUPPORTED, _NO_SESSION (no session and
 * route NULL: decide a route and call again; not counted in
 * stats.drop[], the packet is not dropped yet; an ICMP echo reply with no
 * session is a counted drop), _SESSIONS_FULL, _WAYPOINTS,
 * _TOO_BIG, _COLLISION, _PATH_MTU; or SVRFWD_ERR_NOBUF
 * (headroom/tailroom), SVRFWD_ERR_NO_KEY, or a fatal code.  *psession (if
 * not NULL) is set to the session on success and on _PATH_MTU.  After any
 * other drop the buffer content is unspecified.
 */
SVRFWD_EXTERN int svrfwd_ctx_ingress(svrfwd_ctx *ctx, svrfwd_buf *buf,
                                     const svrfwd_route *route,
                                     svrfwd_session **psession,
                                     svrfwd_tstamp ts);

/*
 * A packet from a peer on a waypoint.  Checks the cookie, then integrity
 * and replay, strips the metadata, restores the original 5-tuple and
 * checksums.  A packet of no session must carry valid first-packet
 * metadata, which creates the mirrored session.  Metadata with the UUID
 * and context of a session we have, arriving on a tuple that is not the
 * session's (the peer router moved it to another path or pair:
 * svrfwd_session_set_peer), moves the session there once it is verified
 * with the session's keys and replay window; the same context with another
 * UUID is _COLLISION.  Returns 0 (deliver buf to its restored destination)
 * or a drop reason (SVRFWD_ERR_PKT_*), or fatal.  The buffer content is
 * unspecified after a drop.
 */
SVRFWD_EXTERN int svrfwd_ctx_egress(svrfwd_ctx *ctx, svrfwd_buf *buf,
                                    svrfwd_session **psession,
                                    svrfwd_tstamp ts);

/*
 * Builds in |out| the ICMPv4 "fragmentation needed and DF set" (type 3,
 * code 4; RFC 792, RFC 1191 section 4) for |pkt|, an IPv4 packet that
 * svrfwd_ctx_ingress() refused with SVRFWD_ERR_PKT_PATH_MTU on |session|
 * (pass buf->base + buf->off and buf->len: ingress left them untouched).
 * The reply goes from |src| (an address of the host, network order) to the
 * packet's source with TTL 64, and quotes the packet's IP header (options
 * included) and the first 8 bytes of its data (RFC 792).  Its next-hop MTU
 * is the largest inner packet that fits:
 *   path MTU - svrfwd_peer_overhead() of the session
 * (a first-round-trip packet that fits the fast path but not with its
 * metadata is not refused: it leaves without DF); never below 68 (RFC 791).
 * Returns the length written (20 + 8 + quote, at most 96), or
 * SVRFWD_ERR_NOBUF (|outlen| too small), SVRFWD_ERR_INVALID_ARGUMENT (NULL
 * argument, |pkt| not a well-formed IPv4 header, no path MTU set on the
 * session's peer).
 */
SVRFWD_EXTERN svrfwd_ssize svrfwd_session_frag_needed(
    const svrfwd_session *session, const uint8_t *pkt, size_t pktlen,
    const uint8_t src[4], uint8_t *out, size_t outlen);

/* Next session deadline, or SVRFWD_TSTAMP_MAX (libsvrfwd queues no output:
 * docs/architecture.md "Timers"). */
SVRFWD_EXTERN svrfwd_tstamp svrfwd_ctx_get_expiry(const svrfwd_ctx *ctx);
/* Ages out sessions whose deadline is <= ts.  Returns 0. */
SVRFWD_EXTERN int svrfwd_ctx_handle_expiry(svrfwd_ctx *ctx, svrfwd_tstamp ts);

typedef struct svrfwd_ctx_stats {
  uint64_t ingress_packets;  /* accepted by ingress */
  uint64_t egress_packets;   /* accepted by egress */
  /* Bytes of the inner IP packets (as ingress took them in, as egress
   * delivered them), without metadata, crypto or UDP transform overhead:
   * what entitlement counts. */
  uint64_t ingress_bytes;
  uint64_t egress_bytes;
  uint64_t meta_tx;          /* packets sent with metadata */
  uint64_t meta_rx;          /* packets received with metadata */
  uint64_t false_positive_tx; /* bare markers added (payload began with cookie) */
  uint64_t false_positive_rx;
  uint64_t sessions_created;
  uint64_t sessions_closed;
  uint64_t sessions;         /* now */
  uint64_t rekeys;
  uint64_t drop[SVRFWD_NUM_DROP_REASONS];
} svrfwd_ctx_stats;

SVRFWD_EXTERN void (svrfwd_ctx_get_stats)(const svrfwd_ctx *ctx,
                                        svrfwd_ctx_stats *stats);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRFWD_CTX_STATS_VERSION; returns 0,
 * SVRFWD_ERR_VERSION (unknown version: nothing written) or
 * SVRFWD_ERR_INVALID_ARGUMENT (NULL).  svrfwd_ctx_get_stats() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRFWD_CTX_STATS_V1 1
#define SVRFWD_CTX_STATS_VERSION SVRFWD_CTX_STATS_V1
SVRFWD_EXTERN int svrfwd_ctx_get_stats_versioned(const svrfwd_ctx *ctx,
    int stats_version, svrfwd_ctx_stats *stats);
#define svrfwd_ctx_get_stats(O, S) svrfwd_ctx_get_stats_versioned((O), SVRFWD_CTX_STATS_VERSION, (S))

/* A session's state (svrfwd_session_get_info). */
typedef struct svrfwd_session_info {
  uint8_t uuid[16];
  int originator;        /* 1: created by ingress here */
  int meta_tx;           /* 1: we still add metadata */
  int transformed;       /* TCP carried as UDP (ICMP always is: not set) */
  uint32_t tx_security_id;
  svrfwd_flow lan;       /* tuple of packets we take in at ingress */
  svrfwd_flow wan;       /* tuple of packets we take in at egress */
  char tenant[SVRFWD_NAME_MAX + 1];
  char service[SVRFWD_NAME_MAX + 1];
  char peer_router[SVRFWD_NAME_MAX + 1];
  uint64_t tx_packets, rx_packets;
  svrfwd_tstamp last_active;
  svrfwd_tstamp created; /* when the session was created (its age) */
  /* Inner IP packet bytes: tx taken in at ingress, rx delivered by egress
   * (no metadata, crypto or transform overhead). */
  uint64_t tx_bytes, rx_bytes;
  svrfwd_peer *peer;     /* the peer path the session uses now */
  uint16_t self_port;    /* waypoint ports on the wire: ours (= wan.dport) */
  uint16_t peer_port;    /* and the peer router's (= wan.sport) */
} svrfwd_session_info;

/*
 * Moves |session| to another peer path |peer| of the same peer router (path
 * failover: other waypoint addresses), at once and without loss:
 *   - takes a waypoint pair on |peer| (its UDP allocator, or TCP for a TCP
 *     session when |peer| has no UDP transform; the path's transform
 *     verdict applies to the session from now on);
 *   - makes it the session's wan key and sends on it from the next packet;
 *   - sends metadata again (as svrfwd_peer_retrigger_metadata) until the
 *     peer router acknowledges, so that it moves its side too;
 *   - keeps accepting packets on the previous pair until the first packet
 *     arrives on the new one, then frees the previous pair (into its
 *     allocator's quarantine).
 * The peer router moves its side by itself when the metadata arrives
 * (docs/libsvrfwd.md section 9).  Either router may move a session first;
 * if both do at once, the originator's new pair wins.
 * Keys: session keys derive from the peer key of the security ID and the
 * UUID, so |peer| must have the same security IDs with the same key
 * material as the old path (install the same keys on every path to one
 * router); the receiver drops a packet whose ID its new path lacks
 * (_KEY_UNKNOWN).  The cipher of both paths must be the same.
 * Moving to the path the session is on is a no-op.  May be called from a
 * svrfwd_ctx_session_foreach() callback (to move every session of a failed
 * path), not from a libsvrfwd callback.
 * Returns 0; SVRFWD_ERR_INVALID_ARGUMENT (NULL, a peer of another context,
 * another cipher); SVRFWD_ERR_ADDRESS (another address family);
 * SVRFWD_ERR_NO_KEY (the path encrypts and has no active key);
 * SVRFWD_ERR_WAYPOINTS_EXHAUSTED or _QUARANTINE (no pair free on |peer|);
 * SVRFWD_ERR_PORT_RANGE (the pair taken is one the peer router chose: the
 * two routers' port ranges disagree).  On error the session is unchanged.
 */
SVRFWD_EXTERN int svrfwd_session_set_peer(svrfwd_session *session,
                                          svrfwd_peer *peer, svrfwd_tstamp ts);

/* Fills |info| from |session|.  May be called from a callback. */
SVRFWD_EXTERN void (svrfwd_session_get_info)(const svrfwd_session *session,
                                           svrfwd_session_info *info);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRFWD_SESSION_INFO_VERSION; returns 0,
 * SVRFWD_ERR_VERSION (unknown version: nothing written) or
 * SVRFWD_ERR_INVALID_ARGUMENT (NULL).  svrfwd_session_get_info() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRFWD_SESSION_INFO_V1 1
#define SVRFWD_SESSION_INFO_VERSION SVRFWD_SESSION_INFO_V1
SVRFWD_EXTERN int svrfwd_session_get_info_versioned(const svrfwd_session *session,
    int info_version, svrfwd_session_info *info);
#define svrfwd_session_get_info(O, S) svrfwd_session_get_info_versioned((O), SVRFWD_SESSION_INFO_VERSION, (S))

typedef int (*svrfwd_session_cb)(svrfwd_session *session, void *user_data);

/*
 * Calls |cb| for every session of the context (newest first), for a "show
 * sessions" command or to move the sessions of a failed path.  A non-zero
 * return of |cb| stops the walk.  |cb| may call svrfwd_session_get_info()
 * and svrfwd_session_set_peer(); it must not create or delete sessions
 * (no svrfwd_ctx_ingress, _egress, _handle_expiry, svrfwd_peer_del,
 * svrfwd_ctx_del).  This function must not be called from a svrfwd
 * callback (session_new, session_closed).
 * Returns 0 after the last session, the non-zero value |cb| returned, or
 * SVRFWD_ERR_INVALID_ARGUMENT (ctx or cb NULL).
 */
SVRFWD_EXTERN int svrfwd_ctx_session_foreach(svrfwd_ctx *ctx,
                                             svrfwd_session_cb cb,
                                             void *user_data);

typedef struct svrfwd_info {
  int age;
  int version_num;
  const char *version_str;
} svrfwd_info;

SVRFWD_EXTERN const svrfwd_info *svrfwd_version(int least_version);

#ifdef __cplusplus
}
#endif

#endif /* SVRFWD_H */
