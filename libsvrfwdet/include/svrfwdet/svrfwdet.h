/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwdet: sans-I/O firewall detector for SVR peer paths ("UDP
 * transform" decision).
 *
 * Between two peering routers the sender emits, every detect interval, a
 * burst of four crafted TCP probes to the peer's 1280/TCP and 1283/TCP:
 *
 *   TCP SYN        SYN carrying 100 bytes of data            -> 1283/TCP
 *   Mid-flow       ACK|PSH + 100 bytes, no handshake         -> 1280/TCP
 *   TCP SYN Jumbo  SYN carrying 6516 bytes, fragmented        -> 1280/TCP
 *   Out-of-order   ACK|PSH + 100 bytes on the SYN probe's     -> 1283/TCP
 *                  4-tuple, sequence number 1 MiB past the
 *                  SYN's (a hole no handshake ever opened)
 *
 * preceded by a request datagram on 1280/UDP that announces the burst.  The
 * peer's library recognises the probes that arrived (the host hands it every
 * captured IP packet) and answers with a report on 1280/UDP.  The sender
 * decides per peer path whether to carry all traffic as UDP (transform
 * enabled) and why: the probe kinds the path keeps losing.  A kind becomes a
 * reason after SVRFWDET_DEFAULT_LOST_BURSTS consecutive answered bursts lost
 * it and stops being one after SVRFWDET_DEFAULT_PASSED_BURSTS consecutive
 * answered bursts in which it arrived; a burst without a report (discovery
 * timeout) changes nothing.  docs/libsvrfwdet.md has the wire formats.
 *
 * The library never touches a socket or a clock.  The host:
 *   - feeds every UDP datagram received on 1280/UDP that is an SVR control
 *     datagram to svrfwdet_ctx_read_ctrl();
 *   - feeds IP packets captured from the wire (a packet tap filtered on
 *     TCP 1280/1283 and IP fragments) to svrfwdet_ctx_read_ip();
 *   - calls svrfwdet_ctx_write_pkt() until it returns 0 and sends each
 *     output: UDP datagrams from its 1280/UDP socket, raw IP packets (probes,
 *     already fragmented to the path MTU) through a raw IP socket;
 *   - arms one timer for svrfwdet_ctx_get_expiry() and calls
 *     svrfwdet_ctx_handle_expiry() (then write_pkt) when it fires.
 *
 * No function may be called from inside a callback.  A context is not
 * thread safe.  Error codes are negative: -2xx usage, -3xx malformed or
 * unexpected input (counted, no state changes), below -500 fatal.
 */
#ifndef SVRFWDET_H
#define SVRFWDET_H

#include <stddef.h>
#include <stdint.h>

#include <svrfwdet/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SVRFWDET_STATICLIB)
#define SVRFWDET_EXTERN
#elif defined(BUILDING_SVRFWDET)
#define SVRFWDET_EXTERN __attribute__((visibility("default")))
#else
#define SVRFWDET_EXTERN
#endif

/* ---- time ------------------------------------------------------------ */

typedef uint64_t svrfwdet_tstamp;   /* monotonic nanoseconds, host's clock */
typedef uint64_t svrfwdet_duration; /* nanoseconds */
typedef ptrdiff_t svrfwdet_ssize;

#define SVRFWDET_MILLISECONDS ((svrfwdet_duration)1000000ULL)
#define SVRFWDET_SECONDS ((svrfwdet_duration)1000000000ULL)
#define SVRFWDET_TSTAMP_MAX UINT64_MAX

/* ---- errors ---------------------------------------------------------- */

#define SVRFWDET_ERR_INVALID_ARGUMENT (-201)
#define SVRFWDET_ERR_NOBUF (-202)         /* output buffer too small */
#define SVRFWDET_ERR_VERSION (-203)       /* unknown struct version */
#define SVRFWDET_ERR_ADDRESS (-204)       /* bad or mixed address family */
#define SVRFWDET_ERR_INTERVAL (-205)      /* detect interval not 1..86400 s */
#define SVRFWDET_ERR_PATH_EXISTS (-206)   /* same local/remote address */
#define SVRFWDET_ERR_MTU (-207)           /* MTU below 576 (v4) / 1280 (v6) */

/* Control datagram (request / report) malformations. */
#define SVRFWDET_ERR_MSG_SHORT (-300)     /* shorter than the SVR header */
#define SVRFWDET_ERR_MSG_COOKIE (-301)    /* not an SVR control datagram */
#define SVRFWDET_ERR_MSG_HEADER (-302)    /* bad version or lengths */
#define SVRFWDET_ERR_MSG_TLV (-303)       /* a TLV runs past its area */
#define SVRFWDET_ERR_MSG_KIND (-304)      /* control kind is not ours */
#define SVRFWDET_ERR_MSG_FIELD (-305)     /* a TLV of ours has a bad length */
#define SVRFWDET_ERR_MSG_MISSING (-306)   /* a mandatory TLV is absent */
#define SVRFWDET_ERR_MSG_OP (-307)        /* unknown operation */
#define SVRFWDET_ERR_MSG_UNKNOWN (-308)   /* a report nobody asked for */
/* Captured IP packet outcomes of svrfwdet_ctx_read_ip(). */
#define SVRFWDET_ERR_IP_MALFORMED (-310)  /* truncated / inconsistent IP/TCP */
#define SVRFWDET_ERR_IP_NOT_PROBE (-311)  /* well formed, not one of ours */

#define SVRFWDET_ERR_FATAL (-500)
#define SVRFWDET_ERR_NOMEM (-501)

/* Human-readable text for an error code (never NULL). */
SVRFWDET_EXTERN const char *svrfwdet_strerror(int liberr);

/* ---- constants ------------------------------------------------------- */

#define SVRFWDET_PORT_CTRL 1280       /* UDP: request and report */
#define SVRFWDET_PORT_A 1280          /* TCP: mid-flow, jumbo SYN */
#define SVRFWDET_PORT_B 1283          /* TCP: SYN with data, out-of-order */
#define SVRFWDET_SMALL_PAYLOAD 100    /* TCP payload of the small probes */
#define SVRFWDET_JUMBO_PAYLOAD 6516   /* TCP payload of the jumbo SYN */
#define SVRFWDET_PROBE_HDR_LEN 24     /* identifier at payload start */
/* Largest unfragmented probe: IPv6 40 + TCP 20 + 6516. */
#define SVRFWDET_MAX_DGRAM_LEN 6576
/* Largest single output of write_pkt (a fragment or a control datagram)
 * for the largest supported MTU. */
#define SVRFWDET_MAX_PKT_LEN 9216
#define SVRFWDET_MAX_MTU 9216
#define SVRFWDET_NAME_MAX 64

/* Probe kinds; the bit (1 << kind) is also the reason bit. */
typedef enum svrfwdet_kind {
  SVRFWDET_KIND_SYN = 0,       /* reason "TCP SYN" */
  SVRFWDET_KIND_MIDFLOW = 1,   /* reason "Mid-flow" */
  SVRFWDET_KIND_JUMBO = 2,     /* reason "TCP SYN Jumbo" */
  SVRFWDET_KIND_OOO = 3        /* reason "Out-of-order" */
} svrfwdet_kind;
#define SVRFWDET_NKINDS 4
#define SVRFWDET_REASON_SYN (1u << SVRFWDET_KIND_SYN)
#define SVRFWDET_REASON_MIDFLOW (1u << SVRFWDET_KIND_MIDFLOW)
#define SVRFWDET_REASON_JUMBO (1u << SVRFWDET_KIND_JUMBO)
#define SVRFWDET_REASON_OOO (1u << SVRFWDET_KIND_OOO)
#define SVRFWDET_REASON_ALL 0xfu
/* Not a probe: the path is in always-transform mode. */
#define SVRFWDET_REASON_CONFIGURED (1u << 8)

/* "TCP SYN", "Mid-flow", "TCP SYN Jumbo", "Out-of-order"; NULL if bad. */
SVRFWDET_EXTERN const char *svrfwdet_kind_name(svrfwdet_kind kind);

/*
 * Writes the reasons in |mask| as the product prints them, each followed by
 * "; " trimmed at the end ("TCP SYN; Mid-flow"), "" for none, "Configured"
 * for SVRFWDET_REASON_CONFIGURED.  Returns the string length (what it would
 * be when |buflen| is too small; the output is then truncated and NUL
 * terminated when buflen > 0).
 */
SVRFWDET_EXTERN size_t svrfwdet_reasons_format(char *buf, size_t buflen,
                                               unsigned mask);

/* ---- addresses ------------------------------------------------------- */

typedef struct svrfwdet_addr {
  uint8_t family;   /* 4 or 6 */
  uint8_t reserved;
  uint16_t port;    /* host byte order */
  uint8_t addr[16]; /* IPv4 in addr[0..3], network byte order */
} svrfwdet_addr;

/* ---- probe packets (stateless builders) ------------------------------- */

/* Everything that defines one probe's bytes. */
typedef struct svrfwdet_probe {
  svrfwdet_kind kind;
  svrfwdet_addr src;  /* .port = TCP source port */
  svrfwdet_addr dst;  /* .port = TCP destination port */
  uint32_t seq;
  uint32_t ack;       /* used when the ACK flag is set */
  uint32_t path_id;   /* sender's identifier of the peer path */
  uint32_t burst;     /* burst number on that path */
  uint16_t ip_id;     /* IPv4 ID / IPv6 fragment identification (low bits) */
  uint8_t ttl;        /* TTL / hop limit; 0 = 64 */
} svrfwdet_probe;

/*
 * Writes the complete, unfragmented IPv4 or IPv6 datagram of |probe| (IP
 * header + 20-byte TCP header + payload, checksums filled in) into |buf|.
 * Small probes set DF; the jumbo SYN does not (it is meant to be
 * fragmented by svrfwdet_ip_fragment()).  The payload starts with the
 * 24-byte identifier (docs/libsvrfwdet.md section 2) and is padded with a
 * byte pattern.  Returns the datagram length, SVRFWDET_ERR_NOBUF or
 * SVRFWDET_ERR_INVALID_ARGUMENT (bad kind, family mismatch).
 */
SVRFWDET_EXTERN svrfwdet_ssize svrfwdet_probe_encode(uint8_t *buf,
                                                     size_t buflen,
                                                     const svrfwdet_probe *probe);

/*
 * Fragment number |index| of the IPv4/IPv6 datagram |dgram| for link MTU
 * |mtu| (RFC 791 section 3.2 / RFC 8200 section 4.5; fragment data is a
 * multiple of 8 bytes except in the last).  A datagram that fits returns
 * itself as fragment 0.  IPv4 fragments copy the header (no options) and
 * clear DF; IPv6 fragments insert a Fragment header after the fixed header
 * with identification 0x5346PPSS (PP = low byte of the TCP source port,
 * SS = low byte of the sequence number: distinct per probe, the same in
 * every fragment of one datagram).
 * Returns the fragment length, 0 when |index| is past the last fragment,
 * SVRFWDET_ERR_NOBUF, SVRFWDET_ERR_MTU or SVRFWDET_ERR_INVALID_ARGUMENT
 * (|dgram| is not a plain IPv4/IPv6 datagram, or has DF set and does not
 * fit).
 */
SVRFWDET_EXTERN svrfwdet_ssize svrfwdet_ip_fragment(uint8_t *buf, size_t buflen,
                                                    const uint8_t *dgram,
                                                    size_t dgramlen, size_t mtu,
                                                    size_t index);

/* What svrfwdet_probe_parse() found in a whole (reassembled) datagram. */
typedef struct svrfwdet_probe_info {
  svrfwdet_kind kind;
  svrfwdet_addr src;
  svrfwdet_addr dst;
  uint32_t path_id;
  uint32_t burst;
  uint8_t tcp_flags;
  size_t payload_len;
} svrfwdet_probe_info;

/*
 * Recognises a probe in an unfragmented IPv4/IPv6 datagram.  Returns 0,
 * SVRFWDET_ERR_IP_MALFORMED or SVRFWDET_ERR_IP_NOT_PROBE.  Never reads
 * outside p[0..len).
 */
SVRFWDET_EXTERN int svrfwdet_probe_parse(svrfwdet_probe_info *info,
                                         const uint8_t *p, size_t len);

/* ---- control datagrams (request / report) ----------------------------- */

typedef enum svrfwdet_op {
  SVRFWDET_OP_REQUEST = 1, /* sender -> peer: a burst is on its way */
  SVRFWDET_OP_REPORT = 2   /* peer -> sender: what arrived */
} svrfwdet_op;

typedef struct svrfwdet_msg {
  svrfwdet_op op;
  uint32_t path_id;
  uint32_t burst;
  uint8_t kinds;    /* request: kinds sent; report: kinds that arrived */
  uint8_t flags_seen[SVRFWDET_NKINDS]; /* report: TCP flags as received */
  const char *router_name; /* optional, NUL-free, <= 63 bytes; "" = none */
  const char *node_name;
  size_t router_name_len;  /* decode only: lengths of the views above */
  size_t node_name_len;
} svrfwdet_msg;

/*
 * Encodes |msg| as an SVR control datagram of kind SVR_CTRL_FWDET_REPORT.
 * Returns its length or SVRFWDET_ERR_NOBUF / SVRFWDET_ERR_INVALID_ARGUMENT.
 */
SVRFWDET_EXTERN svrfwdet_ssize svrfwdet_msg_encode(uint8_t *buf, size_t buflen,
                                                   const svrfwdet_msg *msg);

/*
 * Decodes a control datagram.  Name pointers point into |p| and are not
 * NUL terminated (use the _len fields).  Unknown TLVs are skipped.  Returns
 * 0 or SVRFWDET_ERR_MSG_SHORT, _COOKIE, _HEADER, _TLV, _KIND, _FIELD,
 * _MISSING, _OP.  |msg| is untouched on error.
 */
SVRFWDET_EXTERN int svrfwdet_msg_decode(svrfwdet_msg *msg, const uint8_t *p,
                                        size_t len);

/* ---- memory ---------------------------------------------------------- */

typedef struct svrfwdet_mem {
  void *user_data;
  void *(*malloc)(size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} svrfwdet_mem;

/* ---- context --------------------------------------------------------- */

typedef struct svrfwdet_ctx svrfwdet_ctx;
typedef struct svrfwdet_path svrfwdet_path;

#define SVRFWDET_CALLBACKS_V1 1
#define SVRFWDET_CALLBACKS_VERSION SVRFWDET_CALLBACKS_V1

typedef struct svrfwdet_callbacks {
  /* Required: |len| random bytes (path ids, source ports, sequences). */
  void (*rand)(uint8_t *dest, size_t len, void *user_data);
  /* Optional: a path's transform state or reasons changed. */
  void (*transform_changed)(svrfwdet_ctx *ctx, svrfwdet_path *path,
                            int enabled, unsigned reasons, svrfwdet_tstamp ts,
                            void *user_data);
  /* Optional: a report for one of our bursts was processed (or timed out,
   * |arrived| < 0). */
  void (*burst_done)(svrfwdet_ctx *ctx, svrfwdet_path *path, uint32_t burst,
                     int arrived, svrfwdet_tstamp ts, void *user_data);
} svrfwdet_callbacks;

#define SVRFWDET_SETTINGS_V1 1
#define SVRFWDET_SETTINGS_VERSION SVRFWDET_SETTINGS_V1

typedef struct svrfwdet_settings {
  /* Put into reports we send (NULL or "" = not sent). */
  const char *router_name;
  const char *node_name;
  /* 1 (default): answer requests from peers with reports. */
  int respond;
  /* How long the responder waits for a burst's probes after the request
   * (or the first probe) before reporting.  Default 500 ms.  It reports at
   * once when every announced kind has arrived. */
  svrfwdet_duration collect_ns;
} svrfwdet_settings;

SVRFWDET_EXTERN void svrfwdet_settings_default_versioned(
    int settings_version, svrfwdet_settings *settings);
#define svrfwdet_settings_default(S)                                           \
  svrfwdet_settings_default_versioned(SVRFWDET_SETTINGS_VERSION, (S))

/*
 * Creates a context.  |mem| may be NULL (libc).  Returns 0,
 * SVRFWDET_ERR_VERSION, SVRFWDET_ERR_INVALID_ARGUMENT (no rand callback,
 * NULL pointers) or SVRFWDET_ERR_NOMEM.
 */
SVRFWDET_EXTERN int svrfwdet_ctx_new_versioned(
    svrfwdet_ctx **pctx, int callbacks_version,
    const svrfwdet_callbacks *callbacks, int settings_version,
    const svrfwdet_settings *settings, const svrfwdet_mem *mem,
    void *user_data);
#define svrfwdet_ctx_new(P, CB, S, M, U)                                       \
  svrfwdet_ctx_new_versioned((P), SVRFWDET_CALLBACKS_VERSION, (CB),            \
                             SVRFWDET_SETTINGS_VERSION, (S), (M), (U))

/* Frees the context and its paths.  NULL is a no-op. */
SVRFWDET_EXTERN void svrfwdet_ctx_del(svrfwdet_ctx *ctx);

/*
 * One SVR control datagram received on 1280/UDP from |from| (address and
 * UDP port as observed, i.e. after any NAT) to |to|.  Requests are
 * remembered for the report (answered to |from|); reports update the path
 * they belong to.  Returns 0, a SVRFWDET_ERR_MSG_* code (counted as
 * unknown-received, no state change) or SVRFWDET_ERR_NOMEM.
 */
SVRFWDET_EXTERN int svrfwdet_ctx_read_ctrl(svrfwdet_ctx *ctx,
                                           const svrfwdet_addr *from,
                                           const svrfwdet_addr *to,
                                           const uint8_t *data, size_t len,
                                           svrfwdet_tstamp ts);

/*
 * One IPv4 or IPv6 packet captured from the wire (starting at the IP
 * header; a fragment is fine, the library reassembles probe fragments).
 * Probes are recorded for the report; a TCP RST coming from 1280/1283 of a
 * configured peer counts as tcp-reset-received.  Returns 0 when the packet
 * was used (a probe, a probe fragment, or a counted RST),
 * SVRFWDET_ERR_IP_NOT_PROBE, SVRFWDET_ERR_IP_MALFORMED or
 * SVRFWDET_ERR_NOMEM.
 */
SVRFWDET_EXTERN int svrfwdet_ctx_read_ip(svrfwdet_ctx *ctx, const uint8_t *pkt,
                                         size_t len, svrfwdet_tstamp ts);

typedef enum svrfwdet_out_type {
  SVRFWDET_OUT_UDP = 1, /* send the buffer as a UDP payload from 1280/UDP */
  SVRFWDET_OUT_IP = 2   /* send the buffer as it is through a raw IP socket */
} svrfwdet_out_type;

typedef struct svrfwdet_out {
  svrfwdet_out_type type;
  svrfwdet_addr dst; /* UDP: address and port; IP: the packet's destination */
  svrfwdet_addr src; /* the local address of the path (port 1280 for UDP) */
  svrfwdet_path *path; /* the path, NULL for reports we send as responder */
} svrfwdet_out;

/*
 * Writes the next output due at |ts|: reports first, then each path's burst
 * in order (request, SYN, mid-flow, jumbo fragments, out-of-order).  Returns
 * its length, 0 when nothing is due, SVRFWDET_ERR_NOBUF (this output does
 * not fit; it stays queued: SVRFWDET_MAX_PKT_LEN always fits) or
 * SVRFWDET_ERR_INVALID_ARGUMENT.  Call until it returns 0.
 */
SVRFWDET_EXTERN svrfwdet_ssize svrfwdet_ctx_write_pkt(svrfwdet_ctx *ctx,
                                                      svrfwdet_out *out,
                                                      uint8_t *buf,
                                                      size_t buflen,
                                                      svrfwdet_tstamp ts);

/* The earliest deadline, 0 while output waits for write_pkt, or
 * SVRFWDET_TSTAMP_MAX when nothing is scheduled. */
SVRFWDET_EXTERN svrfwdet_tstamp svrfwdet_ctx_get_expiry(const svrfwdet_ctx *ctx);

/* Runs every deadline at or before |ts| (bursts, report timeouts, report
 * collection windows, fragment reassembly timeouts).  Returns 0, or
 * SVRFWDET_ERR_INVALID_ARGUMENT for a NULL context. */
SVRFWDET_EXTERN int svrfwdet_ctx_handle_expiry(svrfwdet_ctx *ctx,
                                               svrfwdet_tstamp ts);

/* Context-wide counters, named as the product's firewall-detector stats. */
typedef struct svrfwdet_stats {
  uint64_t request_sent;       /* request datagrams (one per burst) */
  uint64_t request_received;
  uint64_t reply_sent;         /* reports */
  uint64_t reply_received;
  uint64_t discovery_timeout;  /* bursts without a report in time */
  uint64_t tcp_reset_received; /* RSTs from a peer's 1280/1283 */
  uint64_t unknown_received;   /* control datagrams we could not use */
  uint64_t probes_sent;        /* probe datagrams (before fragmentation) */
  uint64_t probes_received;    /* whole probes recognised */
} svrfwdet_stats;

SVRFWDET_EXTERN void (svrfwdet_ctx_get_stats)(const svrfwdet_ctx *ctx,
                                            svrfwdet_stats *stats);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRFWDET_STATS_VERSION; returns 0,
 * SVRFWDET_ERR_VERSION (unknown version: nothing written) or
 * SVRFWDET_ERR_INVALID_ARGUMENT (NULL).  svrfwdet_ctx_get_stats() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRFWDET_STATS_V1 1
#define SVRFWDET_STATS_VERSION SVRFWDET_STATS_V1
SVRFWDET_EXTERN int svrfwdet_ctx_get_stats_versioned(const svrfwdet_ctx *ctx,
    int stats_version, svrfwdet_stats *stats);
#define svrfwdet_ctx_get_stats(O, S) svrfwdet_ctx_get_stats_versioned((O), SVRFWDET_STATS_VERSION, (S))

/* ---- peer paths ------------------------------------------------------ */

typedef enum svrfwdet_mode {
  SVRFWDET_MODE_AUTO = 0,             /* auto-detect (default) */
  SVRFWDET_MODE_ALWAYS_TRANSFORM = 1, /* transform, no probes sent */
  SVRFWDET_MODE_DISABLED = 2          /* never transform, no probes sent */
} svrfwdet_mode;

/* "auto-detect", "always-transform", "disabled". */
SVRFWDET_EXTERN const char *svrfwdet_mode_name(svrfwdet_mode mode);

#define SVRFWDET_DEFAULT_INTERVAL_S 300
#define SVRFWDET_DEFAULT_LOST_BURSTS 3
#define SVRFWDET_DEFAULT_PASSED_BURSTS 2

#define SVRFWDET_PATH_CONFIG_V1 1
#define SVRFWDET_PATH_CONFIG_VERSION SVRFWDET_PATH_CONFIG_V1

typedef struct svrfwdet_path_config {
  svrfwdet_addr local;   /* our address on the path (port ignored) */
  svrfwdet_addr remote;  /* the peer (port ignored; probes use 1280/1283) */
  svrfwdet_mode mode;    /* default SVRFWDET_MODE_AUTO */
  uint32_t detect_interval_s;      /* 1..86400, default 300 */
  /* Test hook: when nonzero, replaces detect_interval_s (nanoseconds). */
  svrfwdet_duration detect_interval_ns;
  svrfwdet_duration report_timeout_ns; /* default 5 s, capped to interval */
  uint32_t lost_bursts;    /* default 3: consecutive losses to set a reason */
  uint32_t passed_bursts;  /* default 2: consecutive arrivals to clear it */
  uint32_t mtu;            /* link MTU toward the peer, default 1500 */
  uint8_t kinds;           /* probe kinds to send, default all (0xf) */
} svrfwdet_path_config;

SVRFWDET_EXTERN void svrfwdet_path_config_default_versioned(
    int config_version, svrfwdet_path_config *cfg);
#define svrfwdet_path_config_default(C)                                        \
  svrfwdet_path_config_default_versioned(SVRFWDET_PATH_CONFIG_VERSION, (C))

/*
 * Adds a peer path.  In auto mode the first burst is due at |ts|.  Returns
 * 0, SVRFWDET_ERR_VERSION, _INVALID_ARGUMENT, _ADDRESS, _INTERVAL, _MTU,
 * _PATH_EXISTS or _NOMEM; nothing is created on error.
 */
SVRFWDET_EXTERN int svrfwdet_path_new_versioned(svrfwdet_ctx *ctx,
                                                svrfwdet_path **ppath,
                                                int config_version,
                                                const svrfwdet_path_config *cfg,
                                                void *user_data,
                                                svrfwdet_tstamp ts);
#define svrfwdet_path_new(C, P, CFG, U, TS)                                    \
  svrfwdet_path_new_versioned((C), (P), SVRFWDET_PATH_CONFIG_VERSION, (CFG),  \
                              (U), (TS))

/* Removes a path.  NULL is a no-op. */
SVRFWDET_EXTERN void svrfwdet_path_del(svrfwdet_path *path);

/*
 * Changes the mode; leaving auto-detect forgets the evidence, entering it
 * starts a burst at |ts|.  Returns 0 or SVRFWDET_ERR_INVALID_ARGUMENT.
 */
SVRFWDET_EXTERN int svrfwdet_path_set_mode(svrfwdet_path *path,
                                           svrfwdet_mode mode,
                                           svrfwdet_tstamp ts);

typedef struct svrfwdet_path_info {
  svrfwdet_mode mode;
  int transform;          /* 1 = all traffic to this peer goes as UDP */
  unsigned reasons;       /* SVRFWDET_REASON_* bits */
  uint32_t path_id;
  uint32_t bursts_sent;
  uint32_t bursts_answered;
  uint32_t bursts_timed_out;
  uint8_t last_arrived;   /* kinds that arrived in the last answered burst */
  uint32_t lost_streak[SVRFWDET_NKINDS];   /* consecutive answered losses */
  uint32_t passed_streak[SVRFWDET_NKINDS]; /* consecutive arrivals */
  uint64_t tcp_resets;    /* RSTs from this peer's probe ports */
  svrfwdet_addr local;
  svrfwdet_addr remote;
  /* From the peer's last report ("" until one arrives). */
  char peer_router_name[SVRFWDET_NAME_MAX];
  char peer_node_name[SVRFWDET_NAME_MAX];
} svrfwdet_path_info;

SVRFWDET_EXTERN void (svrfwdet_path_get_info)(const svrfwdet_path *path,
                                            svrfwdet_path_info *info);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRFWDET_PATH_INFO_VERSION; returns 0,
 * SVRFWDET_ERR_VERSION (unknown version: nothing written) or
 * SVRFWDET_ERR_INVALID_ARGUMENT (NULL).  svrfwdet_path_get_info() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRFWDET_PATH_INFO_V1 1
#define SVRFWDET_PATH_INFO_VERSION SVRFWDET_PATH_INFO_V1
SVRFWDET_EXTERN int svrfwdet_path_get_info_versioned(const svrfwdet_path *path,
    int info_version, svrfwdet_path_info *info);
#define svrfwdet_path_get_info(O, S) svrfwdet_path_get_info_versioned((O), SVRFWDET_PATH_INFO_VERSION, (S))
SVRFWDET_EXTERN void *svrfwdet_path_get_user_data(const svrfwdet_path *path);

/* ---- version --------------------------------------------------------- */

typedef struct svrfwdet_info {
  int age; /* 1 */
  int version_num;
  const char *version_str;
} svrfwdet_info;

/* The running library's version, or NULL if older than |least_version|. */
SVRFWDET_EXTERN const svrfwdet_info *svrfwdet_version(int least_version);

#ifdef __cplusplus
}
#endif

#endif /* SVRFWDET_H */
