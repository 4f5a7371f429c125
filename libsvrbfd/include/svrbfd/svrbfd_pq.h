/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrbfd path quality: echo bursts, RTT latency, jitter, loss and MOS
 * per peer path (sans-I/O).
 *
 * Every link-test-interval a path sends a burst of link-test-length echo
 * requests (SVR control datagrams of kind SVR_CTRL_ECHO_REQUEST, layout in
 * docs/libsvrbfd-pq.md) on the peer-path port.  The peer's
 * library (never its kernel) turns each request into a reply with
 * svrbfd_pq_reflect(), adding its own receive and transmit timestamps so the
 * time the reflector held the packet is subtracted from the round trip.
 * When the burst is over (last request sent + reply timeout) the path
 * computes one svrbfd_pq_result: mean RTT, jitter, loss and the simplified
 * E-model MOS (svrbfd_pq_mos()), keeps it as the last result and in a rolling
 * history, and reports it through the burst_done callback.
 *
 * A path object can be driven on its own, like a context:
 *   svrbfd_pq_path_write_pkt() until 0  -> send each request to the peer;
 *   svrbfd_pq_path_read_pkt()           -> every echo reply received;
 *   svrbfd_pq_path_get_expiry() / svrbfd_pq_path_handle_expiry().
 * or be owned by a BFD session, whose context merges the path's deadline into
 * its own expiry heap and dispatches echo datagrams to it.
 *
 * Time is the caller's monotonic clock in nanoseconds (svrbfd_tstamp); the
 * reflector's timestamps are on the reflector's clock and only their
 * difference is used, so the two clocks need not agree.
 *
 * Error codes: -28x usage, -38x/-39x a datagram was not accepted (nothing
 * changed), -5xx fatal (shared with svrbfd.h).  svrbfd_pq_strerror() names
 * them.  A path object is not thread safe.
 */
#ifndef SVRBFD_PQ_H
#define SVRBFD_PQ_H

#include <stddef.h>
#include <stdint.h>

#include <svrbfd/svrbfd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------- */

#define SVRBFD_PQ_ERR_INVALID_ARGUMENT (-280)
#define SVRBFD_PQ_ERR_NOBUF (-281)    /* output buffer too small */
#define SVRBFD_PQ_ERR_VERSION (-282)  /* unknown struct version */
#define SVRBFD_PQ_ERR_INTERVAL (-283) /* interval or timeout out of range */
#define SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED (-284) /* peer's Required Min Echo RX
                                               * Interval is 0: no echo */

/* Reasons an echo datagram is not accepted by the decoder or a path. */
#define SVRBFD_PQ_ERR_PKT_SHORT (-380)    /* shorter than the SVR base header */
#define SVRBFD_PQ_ERR_PKT_COOKIE (-381)   /* does not start with the cookie */
#define SVRBFD_PQ_ERR_PKT_VERSION (-382)  /* metadata version != 1 */
#define SVRBFD_PQ_ERR_PKT_HDRLEN (-383)   /* header length < 12 or > datagram */
#define SVRBFD_PQ_ERR_PKT_PAYLEN (-384)   /* payload length past the datagram */
#define SVRBFD_PQ_ERR_PKT_TLV (-385)      /* a TLV runs past its area */
#define SVRBFD_PQ_ERR_PKT_KIND (-386)     /* first header TLV not echo kind */
#define SVRBFD_PQ_ERR_PKT_TLV_LEN (-387)  /* an echo TLV has the wrong length */
#define SVRBFD_PQ_ERR_PKT_TLV_DUP (-388)  /* an echo TLV appears twice */
#define SVRBFD_PQ_ERR_PKT_MISSING (-389)  /* a required echo TLV is missing */
#define SVRBFD_PQ_ERR_PKT_REFLECT_TS (-390) /* reply: reflector tx < rx, or
                                               timestamps in a request */
#define SVRBFD_PQ_ERR_PKT_NOT_REPLY (-391)  /* path got a request: reflect it */
#define SVRBFD_PQ_ERR_PKT_UNKNOWN_SEQ (-392) /* reply to no request we sent */
#define SVRBFD_PQ_ERR_PKT_DUPLICATE (-393)   /* second reply to one request */
#define SVRBFD_PQ_ERR_PKT_LATE (-394)        /* reply after the timeout */
#define SVRBFD_PQ_ERR_PKT_TOKEN (-395)       /* reply carries another path's
                                                token */
#define SVRBFD_PQ_ERR_PKT_RTT (-396)   /* reflector delay exceeds the RTT */

/* Text for any SVRBFD_PQ_ERR_* code (and svrbfd.h codes); never NULL. */
SVRBFD_EXTERN const char *svrbfd_pq_strerror(int liberr);

/* ---- echo datagram --------------------------------------------------- */

/* Private SVR TLV numbers (0xE030-0xE03F of libsvrbfd's range). */
#define SVRBFD_PQ_TLV_TOKEN 0xE030     /* 4: sender's path token */
#define SVRBFD_PQ_TLV_BURST 0xE031     /* 4: burst number */
#define SVRBFD_PQ_TLV_SEQ 0xE032       /* 4: sequence number */
#define SVRBFD_PQ_TLV_TX_TS 0xE033     /* 8: sender transmit time, ns */
#define SVRBFD_PQ_TLV_REFL_RX_TS 0xE034 /* 8: reflector receive time, ns */
#define SVRBFD_PQ_TLV_REFL_TX_TS 0xE035 /* 8: reflector transmit time, ns */
#define SVRBFD_PQ_TLV_PAD 0xE036       /* n: padding, zeros, ignored */

/* A request is at most this long (with the largest padding accepted). */
#define SVRBFD_PQ_MAX_PAD 1400
#define SVRBFD_PQ_MAX_PKT_LEN (100 + SVRBFD_PQ_MAX_PAD)

typedef struct svrbfd_pq_echo {
  int reply;             /* 0: request, 1: reply */
  uint32_t token;        /* sender's path token, echoed unchanged */
  uint32_t burst;
  uint32_t seq;
  svrbfd_tstamp tx_ts;   /* on the sender's clock */
  svrbfd_tstamp refl_rx_ts; /* replies only, on the reflector's clock */
  svrbfd_tstamp refl_tx_ts;
  uint16_t pad_len;      /* value length of the padding TLV (0 = none) */
} svrbfd_pq_echo;

/*
 * Decodes an echo request or reply.  Returns 0, or one of
 * SVRBFD_PQ_ERR_PKT_SHORT, _COOKIE, _VERSION, _HDRLEN, _PAYLEN, _TLV, _KIND,
 * _TLV_LEN, _TLV_DUP, _MISSING, _REFLECT_TS.  Unknown TLVs are skipped.
 * Never reads outside data[0..datalen); |echo| is written only on success.
 */
SVRBFD_EXTERN int svrbfd_pq_echo_decode(svrbfd_pq_echo *echo,
                                        const uint8_t *data, size_t datalen);

/*
 * Encodes |echo| (a request, or a reply when echo->reply) into |buf|.
 * Returns the length, or SVRBFD_PQ_ERR_NOBUF when |buflen| is too small,
 * SVRBFD_PQ_ERR_INVALID_ARGUMENT when pad_len > SVRBFD_PQ_MAX_PAD.
 */
SVRBFD_EXTERN svrbfd_ssize svrbfd_pq_echo_encode(uint8_t *buf, size_t buflen,
                                                 const svrbfd_pq_echo *echo);

/*
 * Reflector: turns the echo request in |req| into a reply in |buf|, with
 * |rx_ts| (when the request arrived) and |tx_ts| (now, when the reply is
 * handed to the socket), both on the reflector's clock.  The padding is
 * kept so the reply is as long as the request plus 24 bytes.  Returns the
 * reply length, a decode error from svrbfd_pq_echo_decode(),
 * SVRBFD_PQ_ERR_PKT_KIND when |req| is a reply (never reflect replies),
 * SVRBFD_PQ_ERR_INVALID_ARGUMENT when tx_ts < rx_ts, or SVRBFD_PQ_ERR_NOBUF.
 * Stateless; may be called from a callback.
 */
SVRBFD_EXTERN svrbfd_ssize svrbfd_pq_reflect(uint8_t *buf, size_t buflen,
                                             const uint8_t *req, size_t reqlen,
                                             svrbfd_tstamp rx_ts,
                                             svrbfd_tstamp tx_ts);

/* ---- MOS ------------------------------------------------------------- */

/*
 * The simplified E-model network tools publish (PingPlotter's knowledge-base
 * article "How is MOS calculated in PingPlotter Pro?", NetBeez); the R to
 * MOS curve is ITU-T G.107 Annex B:
 *   EL = latency + 2 * jitter + 10 (ms)
 *   R  = 93.2 - EL / 40 if EL < 160, else 93.2 - (EL - 120) / 10
 *   R -= 2.5 * loss_pct
 *   MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R), clamped to 1.0 .. 4.5
 * |latency_ms| is the mean RTT.  Negative or NaN inputs count as 0, loss
 * is capped at 100.  Never fails.
 */
SVRBFD_EXTERN double svrbfd_pq_mos(double latency_ms, double jitter_ms,
                                   double loss_pct);

/* ---- results --------------------------------------------------------- */

typedef struct svrbfd_pq_result {
  uint32_t burst;             /* burst number */
  svrbfd_tstamp started;      /* first request sent */
  svrbfd_tstamp finished;     /* burst evaluated */
  uint16_t sent;              /* requests sent */
  uint16_t received;          /* distinct replies within the timeout */
  uint16_t lost;              /* sent - received (late ones count here) */
  uint16_t late;              /* replies that came after the timeout */
  uint16_t duplicates;        /* extra copies of a reply (ignored) */
  uint16_t reordered;         /* replies that overtook an earlier one */
  uint64_t rtt_min_ns;        /* over received replies, reflector delay */
  uint64_t rtt_max_ns;        /* subtracted; 0 when nothing came back */
  double latency_ms;          /* mean RTT; 0 when nothing came back */
  double jitter_ms;           /* mean |RTT(i) - RTT(j)|, consecutive in
                                 sequence order among received; 0 if < 2 */
  double loss_pct;            /* 100 * lost / sent */
  double mos;                 /* svrbfd_pq_mos(latency, jitter, loss) */
} svrbfd_pq_result;

/*
 * Computes a burst result from per-request RTTs: |rtt_ns[i]| is the RTT of
 * request i (in sequence order), or UINT64_MAX for a lost one.  Fills every
 * field that follows from the RTTs (received, lost, rtt_min/max, latency,
 * jitter, loss, mos; sent = |n|); leaves the rest zero.  Returns 0, or
 * SVRBFD_PQ_ERR_INVALID_ARGUMENT when |n| is 0 or above 65535.
 */
SVRBFD_EXTERN int svrbfd_pq_result_compute(svrbfd_pq_result *res,
                                           const uint64_t *rtt_ns, size_t n);

/* ---- path ------------------------------------------------------------ */

typedef struct svrbfd_pq_path svrbfd_pq_path;

#define SVRBFD_PQ_SETTINGS_V1 1
#define SVRBFD_PQ_SETTINGS_VERSION SVRBFD_PQ_SETTINGS_V1

typedef struct svrbfd_pq_settings {
  /* Time from one burst's start to the next; default 10 s, 1 s .. 86400 s. */
  svrbfd_duration link_test_interval_ns;
  /* Requests per burst; default 10, 0 disables echo tests. */
  uint8_t link_test_length;
  /* Our minimum spacing of requests inside a burst; default 10 ms.  The
   * spacing used is max(this, the peer's required-min-echo-interval). */
  svrbfd_duration min_tx_spacing_ns;
  /* A reply later than this after its request is lost; default 1 s,
   * 1 ms .. 60 s. */
  svrbfd_duration reply_timeout_ns;
  /* Results kept in the rolling history; default 60 (10 min at 10 s),
   * 1 .. 65535. */
  uint16_t history_len;
  /* Padding value bytes per request (the product's echo is > 90 bytes);
   * default 36, 0 .. SVRBFD_PQ_MAX_PAD. */
  uint16_t pad_len;
  /* Token carried in every request and echoed back; lets a context find
   * the path of a reply.  Default 0. */
  uint32_t token;
} svrbfd_pq_settings;

/* Fills |settings| with the defaults listed above. */
SVRBFD_EXTERN void svrbfd_pq_settings_default_versioned(
    int settings_version, svrbfd_pq_settings *settings);
#define svrbfd_pq_settings_default(S)                                          \
  svrbfd_pq_settings_default_versioned(SVRBFD_PQ_SETTINGS_VERSION, (S))

#define SVRBFD_PQ_CALLBACKS_V1 1
#define SVRBFD_PQ_CALLBACKS_VERSION SVRBFD_PQ_CALLBACKS_V1

typedef struct svrbfd_pq_callbacks {
  /*
   * Optional.  A burst was evaluated; |res| is also the path's last result
   * now.  A whole-burst loss has res->received == 0.  Called from
   * handle_expiry (or write/read when they run an overdue deadline); it may
   * call the svrbfd_pq_path_get_* functions, nothing else on this path.
   * Return 0, or nonzero to make the calling function fail with
   * SVRBFD_ERR_CALLBACK_FAILURE.
   */
  int (*burst_done)(svrbfd_pq_path *path, const svrbfd_pq_result *res,
                    void *user_data);
} svrbfd_pq_callbacks;

/*
 * Creates a path.  Tests are off until svrbfd_pq_path_start().  |callbacks|
 * and |mem| may be NULL.  Returns 0, SVRBFD_PQ_ERR_VERSION,
 * SVRBFD_PQ_ERR_INVALID_ARGUMENT (NULL out pointer or settings, history_len
 * 0, pad_len too big), SVRBFD_PQ_ERR_INTERVAL (interval or timeout out of
 * range) or SVRBFD_ERR_NOMEM.
 */
SVRBFD_EXTERN int svrbfd_pq_path_new_versioned(
    svrbfd_pq_path **ppath, int settings_version,
    const svrbfd_pq_settings *settings, int callbacks_version,
    const svrbfd_pq_callbacks *callbacks, const svrbfd_mem *mem,
    void *user_data);
#define svrbfd_pq_path_new(P, S, CB, M, U)                                     \
  svrbfd_pq_path_new_versioned((P), SVRBFD_PQ_SETTINGS_VERSION, (S),           \
                               SVRBFD_PQ_CALLBACKS_VERSION, (CB), (M), (U))

/* Frees the path.  NULL is a no-op. */
SVRBFD_EXTERN void svrbfd_pq_path_del(svrbfd_pq_path *path);

/*
 * Starts echo tests: the first burst is due at |ts|.  Starting a started
 * path is a no-op.  With link_test_length 0 nothing is ever sent.  Returns 0.
 */
SVRBFD_EXTERN int svrbfd_pq_path_start(svrbfd_pq_path *path, svrbfd_tstamp ts);

/*
 * Stops echo tests (e.g. the BFD session left Up): a burst in progress is
 * dropped without a result; the last result and history stay.  Returns 0.
 */
SVRBFD_EXTERN int svrbfd_pq_path_stop(svrbfd_pq_path *path);

/* 1 while started. */
SVRBFD_EXTERN int svrbfd_pq_path_started(const svrbfd_pq_path *path);

/*
 * Sets the peer's Required Min Echo RX Interval (from its BFD control
 * packets, RFC 5880 section 6.8.9): requests are never spaced closer.
 * 0 means unknown (only our own spacing applies).  Takes effect from the
 * next request.  Returns 0.
 */
SVRBFD_EXTERN int svrbfd_pq_path_set_peer_min_echo_rx(svrbfd_pq_path *path,
                                                      uint32_t interval_us);

/*
 * Changes link-test interval and length (configuration reload) without
 * losing history; a burst in progress finishes with the old length.
 * Returns 0 or SVRBFD_PQ_ERR_INTERVAL.
 */
SVRBFD_EXTERN int svrbfd_pq_path_set_link_test(svrbfd_pq_path *path,
                                               svrbfd_duration interval_ns,
                                               uint8_t length);

/* The next deadline (request due, burst end, next burst), or UINT64_MAX. */
SVRBFD_EXTERN svrbfd_tstamp svrbfd_pq_path_get_expiry(
    const svrbfd_pq_path *path);

/*
 * Runs the deadlines at or before |ts|: starts a due burst, evaluates a
 * finished one (burst_done callback).  Requests themselves come out of
 * write_pkt.  Returns 0 or SVRBFD_ERR_CALLBACK_FAILURE.
 */
SVRBFD_EXTERN int svrbfd_pq_path_handle_expiry(svrbfd_pq_path *path,
                                               svrbfd_tstamp ts);

/*
 * Writes the next echo request due at |ts| into |buf| and records |ts| as
 * its transmit time (call it right before sending).  Returns the length, 0
 * when nothing is due, SVRBFD_PQ_ERR_NOBUF (the request stays due), or
 * SVRBFD_ERR_CALLBACK_FAILURE.  Call until it returns 0.
 */
SVRBFD_EXTERN svrbfd_ssize svrbfd_pq_path_write_pkt(svrbfd_pq_path *path,
                                                    uint8_t *buf, size_t buflen,
                                                    svrbfd_tstamp ts);

/*
 * Processes an echo reply received at |ts|.  Returns 0 when it was counted,
 * a decode error, SVRBFD_PQ_ERR_PKT_NOT_REPLY (it is a request: reflect it
 * with svrbfd_pq_reflect()), _TOKEN, _UNKNOWN_SEQ (not of the current burst,
 * e.g. after the burst was evaluated), _DUPLICATE, _LATE (after the reply
 * timeout: the request stays lost), _RTT; each of those is counted.
 * Or SVRBFD_ERR_CALLBACK_FAILURE.
 */
SVRBFD_EXTERN int svrbfd_pq_path_read_pkt(svrbfd_pq_path *path,
                                          const uint8_t *data, size_t datalen,
                                          svrbfd_tstamp ts);

/* Same as read_pkt for an already decoded reply. */
SVRBFD_EXTERN int svrbfd_pq_path_read_echo(svrbfd_pq_path *path,
                                           const svrbfd_pq_echo *echo,
                                           svrbfd_tstamp ts);

/*
 * The last burst result.  Returns 1 and fills |res|, or 0 when no burst has
 * been evaluated yet (|res| untouched).
 */
SVRBFD_EXTERN int svrbfd_pq_path_get_result(const svrbfd_pq_path *path,
                                            svrbfd_pq_result *res);

/*
 * Copies up to |n| results of the rolling history, newest first, into
 * |out|.  Returns how many were copied.
 */
SVRBFD_EXTERN size_t svrbfd_pq_path_get_history(const svrbfd_pq_path *path,
                                                svrbfd_pq_result *out,
                                                size_t n);

typedef struct svrbfd_pq_stats {
  uint64_t bursts;         /* evaluated */
  uint64_t bursts_all_lost;
  uint64_t tx_requests;
  uint64_t rx_replies;     /* counted into a burst */
  uint64_t rx_late;
  uint64_t rx_duplicates;
  uint64_t rx_unknown;     /* unknown sequence or burst already evaluated */
  uint64_t rx_bad;         /* decode errors, wrong token, bad RTT */
  uint64_t rx_requests;    /* requests handed to read_pkt (not ours) */
  uint64_t burst_sent;     /* sums of sent and received over every */
  uint64_t burst_received; /* evaluated burst (long-run loss) */
} svrbfd_pq_stats;

SVRBFD_EXTERN void (svrbfd_pq_path_get_stats)(const svrbfd_pq_path *path,
                                            svrbfd_pq_stats *stats);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRBFD_PQ_STATS_VERSION; returns 0,
 * SVRBFD_PQ_ERR_VERSION (unknown version: nothing written) or
 * SVRBFD_PQ_ERR_INVALID_ARGUMENT (NULL).  svrbfd_pq_path_get_stats() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRBFD_PQ_STATS_V1 1
#define SVRBFD_PQ_STATS_VERSION SVRBFD_PQ_STATS_V1
SVRBFD_EXTERN int svrbfd_pq_path_get_stats_versioned(const svrbfd_pq_path *path,
    int stats_version, svrbfd_pq_stats *stats);
#define svrbfd_pq_path_get_stats(O, S) svrbfd_pq_path_get_stats_versioned((O), SVRBFD_PQ_STATS_VERSION, (S))

/* The spacing in force between requests (ns). */
SVRBFD_EXTERN svrbfd_duration svrbfd_pq_path_tx_spacing(
    const svrbfd_pq_path *path);

SVRBFD_EXTERN void *svrbfd_pq_path_get_user_data(const svrbfd_pq_path *path);

/* ---- echo tests owned by a BFD session ------------------------------- */

/*
 * Gives |session| (SVR mode) an echo engine with |settings| (the token is
 * replaced by the session's local discriminator), or updates the
 * link-test interval and length of the one it has.  From then on the
 * context does everything: svrbfd_ctx_read_pkt() accepts echo requests and
 * replies (SVR control datagrams) on the peer-path port, reflects requests
 * that come from the address of one of its sessions, svrbfd_ctx_write_pkt()
 * emits the reflections and the requests, and the session's echo deadlines
 * are part of svrbfd_ctx_get_expiry().  Bursts run while the session is Up,
 * never faster than the peer's Required Min Echo RX Interval and not at all
 * when the peer advertises 0 (RFC 5880 6.8.9).  A burst wholly lost while
 * the session is in Demand mode takes it Down with Diag 2 (echo function
 * failed).  Returns 0, SVRBFD_PQ_ERR_INVALID_ARGUMENT, _VERSION, _INTERVAL
 * or SVRBFD_ERR_NOMEM (nothing changed), or SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED.
 *
 * Echo needs the peer's consent: with default settings (the peer's
 * required_min_echo_rx_us is 0 unless it configures one) no burst ever
 * runs.  SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED says the peer's packets already
 * advertise 0: the engine is set up or updated all the same and starts
 * when the peer advertises a nonzero interval.  Before the first packet
 * from the peer the call cannot know and returns 0; later,
 * svrbfd_session_get_info()'s remote_required_min_echo_rx_us tells.
 */
SVRBFD_EXTERN int svrbfd_session_set_link_test(
    svrbfd_session *session, const svrbfd_pq_settings *settings,
    svrbfd_tstamp ts);

/* The session's echo engine (results, history, stats), or NULL. */
SVRBFD_EXTERN svrbfd_pq_path *svrbfd_session_get_pq(
    const svrbfd_session *session);

typedef struct svrbfd_pq_ctx_stats {
  uint64_t rx_requests;   /* echo requests queued for reflection */
  uint64_t rx_replies;    /* echo replies handed to a session */
  uint64_t rx_refused;    /* requests from an address with no session */
  uint64_t rx_queue_full; /* requests not reflected: the reflection queue
                           * was full, or the reply did not fit the buffer
                           * the host gave svrbfd_ctx_write_pkt() */
  uint64_t rx_bad;        /* undecodable, or a reply for no session */
  uint64_t tx_replies;    /* reflections written */
  uint64_t tx_requests;   /* requests written */
} svrbfd_pq_ctx_stats;

/* Echo counters of the context. */
SVRBFD_EXTERN void (svrbfd_ctx_get_echo_stats)(const svrbfd_ctx *ctx,
                                             svrbfd_pq_ctx_stats *stats);
/* Versioned (docs/architecture.md "Output structs"): the library writes
 * only the bytes of the caller's SVRBFD_PQ_CTX_STATS_VERSION; returns 0,
 * SVRBFD_PQ_ERR_VERSION (unknown version: nothing written) or
 * SVRBFD_PQ_ERR_INVALID_ARGUMENT (NULL).  svrbfd_ctx_get_echo_stats() compiles to it; the
 * unversioned function stays for binaries built before and writes V1. */
#define SVRBFD_PQ_CTX_STATS_V1 1
#define SVRBFD_PQ_CTX_STATS_VERSION SVRBFD_PQ_CTX_STATS_V1
SVRBFD_EXTERN int svrbfd_ctx_get_echo_stats_versioned(const svrbfd_ctx *ctx,
    int stats_version, svrbfd_pq_ctx_stats *stats);
#define svrbfd_ctx_get_echo_stats(O, S) svrbfd_ctx_get_echo_stats_versioned((O), SVRBFD_PQ_CTX_STATS_VERSION, (S))

#ifdef __cplusplus
}
#endif

#endif /* SVRBFD_PQ_H */
