/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libconductor: the router <-> conductor management channel (930/TCP, IPC
 * over SSH).
 *
 * Three layers, in this header from the bottom up:
 *   1. the IPC frame codec (sans-I/O): length-prefixed frames whose body is
 *      a list of TLVs in the svr-suite private range 0xE0A0-0xE0FF;
 *   2. sans-I/O state machines the hosts drive with caller timestamps:
 *      the router's alarm outbox (retransmit until acknowledged), the
 *      conductor's duplicate filter, the keepalive detector, the reconnect
 *      backoff and the entitlement meter (peak of 5-second intervals);
 *   3. the SQLite store of a conductor node (WAL) and the libssh transport
 *      (conductor = SSH server, router node = SSH client).  These do I/O but
 *      never block and never read a clock: the host (cli/glue, libuv) polls
 *      their file descriptors and passes timestamps in.
 * docs/libconductor.md is the normative description of the wire format.
 *
 * Times are uint64_t nanoseconds.  Timestamps given to the state machines
 * are monotonic; alarm and report times carried on the wire are Unix-epoch
 * nanoseconds.  UINT64_MAX means "never".
 *
 * Error codes are negative: -2xx usage, -3xx malformed input or protocol
 * violation (the frame is discarded and, for the IPC, answered with an
 * ERROR message), -4xx transport and storage, below -500 fatal.
 * No object is thread safe; none of the functions may be called from inside
 * a callback of the same object unless its comment says so.
 */
#ifndef CONDUCTOR_H
#define CONDUCTOR_H

#include <stddef.h>
#include <stdint.h>

#include <conductor/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CONDUCTOR_STATICLIB)
#define CONDUCTOR_EXTERN
#elif defined(BUILDING_CONDUCTOR)
#define CONDUCTOR_EXTERN __attribute__((visibility("default")))
#else
#define CONDUCTOR_EXTERN
#endif

typedef uint64_t conductor_tstamp;
typedef uint64_t conductor_duration;
typedef ptrdiff_t conductor_ssize;

#define CONDUCTOR_MILLISECONDS ((conductor_duration)1000000ULL)
#define CONDUCTOR_SECONDS ((conductor_duration)1000000000ULL)
#define CONDUCTOR_TSTAMP_MAX UINT64_MAX

/* ---- errors ---------------------------------------------------------- */

#define CONDUCTOR_ERR_INVALID_ARGUMENT (-201)
#define CONDUCTOR_ERR_NOBUF (-202)        /* output buffer too small */
#define CONDUCTOR_ERR_VERSION (-203)      /* unknown settings struct version */
#define CONDUCTOR_ERR_OUTBOX_FULL (-204)  /* outbox holds max_entries */
#define CONDUCTOR_ERR_UNKNOWN_SEQ (-205)  /* ack for a seq not in flight */
#define CONDUCTOR_ERR_SEQ_ORDER (-206)    /* restored seq not increasing */
#define CONDUCTOR_ERR_ADDRESS (-207)      /* not a numeric IPv4/IPv6 address */

#define CONDUCTOR_ERR_FRAME_TOO_LONG (-300) /* length field > max body */
#define CONDUCTOR_ERR_FRAME_FLAGS (-301)    /* reserved flags not zero */
#define CONDUCTOR_ERR_FRAME_LENGTH (-302)   /* buffer != 8 + length field */
#define CONDUCTOR_ERR_TLV_TRUNCATED (-303)  /* a TLV runs past the body */
#define CONDUCTOR_ERR_FIELD_MISSING (-304)  /* a mandatory TLV is absent */
#define CONDUCTOR_ERR_FIELD_LENGTH (-305)   /* TLV value has the wrong size */
#define CONDUCTOR_ERR_FIELD_VALUE (-306)    /* value out of range */
#define CONDUCTOR_ERR_FIELD_DUPLICATE (-307) /* same TLV twice */
#define CONDUCTOR_ERR_UNKNOWN_TYPE (-308)   /* message type not known */
#define CONDUCTOR_ERR_PROTO_VERSION (-309)  /* no common protocol version */
#define CONDUCTOR_ERR_UNEXPECTED (-310)     /* message not valid in state */

#define CONDUCTOR_ERR_IO (-400)          /* socket / file error, see errno */
#define CONDUCTOR_ERR_SSH (-401)         /* libssh error, see last_error */
#define CONDUCTOR_ERR_HOSTKEY_CHANGED (-402) /* pinned host key differs */
#define CONDUCTOR_ERR_HOSTKEY_UNKNOWN (-403) /* no pin and no TOFU */
#define CONDUCTOR_ERR_AUTH_DENIED (-404) /* router key not enrolled */
#define CONDUCTOR_ERR_CLOSED (-405)      /* peer closed the connection */
#define CONDUCTOR_ERR_DB (-406)          /* SQLite error, see last_error */
#define CONDUCTOR_ERR_AGAIN (-407)       /* would block: poll, then retry */
#define CONDUCTOR_ERR_BIND (-408)        /* cannot bind the listen port */
#define CONDUCTOR_ERR_NOT_FOUND (-409)   /* no such router / alarm */
#define CONDUCTOR_ERR_DENIED (-410)      /* refused by policy (admin) */

#define CONDUCTOR_ERR_FATAL (-500)
#define CONDUCTOR_ERR_NOMEM (-501)

/* Text for an error code (never NULL). */
CONDUCTOR_EXTERN const char *conductor_strerror(int liberr);
/* Nonzero if |liberr| is fatal (< CONDUCTOR_ERR_FATAL). */
CONDUCTOR_EXTERN int conductor_err_is_fatal(int liberr);

/* ---- memory ---------------------------------------------------------- */

/* Allocator; NULL everywhere one is taken means malloc/calloc/realloc/free. */
typedef struct conductor_mem {
  void *user_data;
  void *(*malloc)(size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} conductor_mem;

/* ---- IPC frame codec (docs/libconductor.md section 2) ------------------ */

#define CONDUCTOR_PORT 930            /* default conductor SSH port */
#define CONDUCTOR_SUBSYSTEM "svr-conductor" /* SSH subsystem bearing the IPC */
#define CONDUCTOR_PROTO_VERSION 6     /* highest IPC version we speak; 2:
                                         HELLO carries the router's epoch;
                                         3: KEY and KEY_ACK (rekey);
                                         4: liveness by SSH keepalives;
                                         5: ADDRESS and PEER_ADDRESS
                                         (dynamic peer update);
                                         6: administration streams (log
                                         retriever, shell connect,
                                         repository checks) */
/* From this IPC version on, neither side needs KEEPALIVE frames: liveness
 * is SSH-level (keepalive@openssh.com, docs/libconductor.md 1.2). */
#define CONDUCTOR_VERSION_SSH_KEEPALIVE 4
/* From this IPC version on, ADDRESS and PEER_ADDRESS (dynamic peer update,
 * docs/libconductor.md 2.6) may be sent. */
#define CONDUCTOR_VERSION_DPU 5
/* From this IPC version on, the administration messages (LOG_*, SHELL_*,
 * REPO_STATUS; docs/libconductor.md 2.7) may be sent. */
#define CONDUCTOR_VERSION_ADMIN 6
#define CONDUCTOR_FRAME_HDR_LEN 8     /* length(4) type(2) flags(2) */
#define CONDUCTOR_MAX_BODY_LEN 4096   /* largest body we accept */
#define CONDUCTOR_MAX_FRAME_LEN (CONDUCTOR_FRAME_HDR_LEN + CONDUCTOR_MAX_BODY_LEN)

#define CONDUCTOR_NAME_MAX 64         /* router / node names, with NUL */
#define CONDUCTOR_SOURCE_MAX 128
#define CONDUCTOR_CATEGORY_MAX 32
#define CONDUCTOR_MESSAGE_MAX 512
#define CONDUCTOR_TEXT_MAX 256

typedef enum conductor_msg_type {
  CONDUCTOR_MSG_HELLO = 1,           /* router -> conductor */
  CONDUCTOR_MSG_HELLO_ACK = 2,       /* conductor -> router */
  CONDUCTOR_MSG_ALARM = 3,           /* router -> conductor */
  CONDUCTOR_MSG_ALARM_ACK = 4,       /* conductor -> router, after commit */
  CONDUCTOR_MSG_KEEPALIVE = 5,       /* either way */
  CONDUCTOR_MSG_KEEPALIVE_ACK = 6,   /* answer to KEEPALIVE */
  CONDUCTOR_MSG_ENTITLEMENT = 7,     /* router -> conductor, every 300 s */
  CONDUCTOR_MSG_ENTITLEMENT_ACK = 8, /* conductor -> router, after commit */
  CONDUCTOR_MSG_ERROR = 9,           /* either way: a frame was refused */
  CONDUCTOR_MSG_KEY = 10,            /* conductor -> router (version 3) */
  CONDUCTOR_MSG_KEY_ACK = 11,        /* router -> conductor (version 3) */
  CONDUCTOR_MSG_ADDRESS = 12,        /* router -> conductor (version 5) */
  CONDUCTOR_MSG_PEER_ADDRESS = 13,   /* conductor -> router (version 5) */
  /* Administration streams (version 6): conductor_admin_decode(), not
   * conductor_msg_decode() (which answers CONDUCTOR_ERR_UNKNOWN_TYPE). */
  CONDUCTOR_MSG_LOG_LIST = 14,     /* conductor -> router */
  CONDUCTOR_MSG_LOG_FILE = 15,     /* router -> conductor: one file */
  CONDUCTOR_MSG_LOG_GET = 16,      /* conductor -> router: a byte range */
  CONDUCTOR_MSG_LOG_DATA = 17,     /* router -> conductor: a chunk */
  CONDUCTOR_MSG_LOG_END = 18,      /* router -> conductor: list/range done */
  CONDUCTOR_MSG_SHELL_OPEN = 19,   /* conductor -> router */
  CONDUCTOR_MSG_SHELL_DATA = 20,   /* either way */
  CONDUCTOR_MSG_SHELL_RESIZE = 21, /* conductor -> router */
  CONDUCTOR_MSG_SHELL_ACK = 22,    /* conductor -> router: bytes consumed */
  CONDUCTOR_MSG_SHELL_EXIT = 23,   /* router -> conductor */
  CONDUCTOR_MSG_SHELL_CLOSE = 24,  /* conductor -> router */
  CONDUCTOR_MSG_REPO_STATUS = 25   /* router -> conductor */
} conductor_msg_type;

/* KEY op: what the router does with key |key_index| of a security element
 * (docs/libconductor.md section 2.5). */
typedef enum conductor_key_op {
  CONDUCTOR_KEY_ADD = 1,      /* install (accepted on receive), carries key */
  CONDUCTOR_KEY_ACTIVATE = 2, /* send with it; the previous key overlaps */
  CONDUCTOR_KEY_REMOVE = 3    /* forget it (an older, no longer sent key) */
} conductor_key_op;

#define CONDUCTOR_KEY_MIN 16 /* key material bytes on the wire */
#define CONDUCTOR_KEY_MAX 64

typedef enum conductor_severity {
  CONDUCTOR_SEV_INFO = 0,
  CONDUCTOR_SEV_MINOR = 1,
  CONDUCTOR_SEV_MAJOR = 2,
  CONDUCTOR_SEV_CRITICAL = 3
} conductor_severity;

typedef enum conductor_alarm_op {
  CONDUCTOR_ALARM_RAISE = 1,
  CONDUCTOR_ALARM_CLEAR = 2
} conductor_alarm_op;

/* One alarm event as carried by CONDUCTOR_MSG_ALARM.  Strings are NUL
 * terminated; on the wire they are TLV values without the NUL. */
typedef struct conductor_alarm {
  uint64_t seq;        /* outbox sequence number, per router node, from 1 */
  uint32_t alarm_num;  /* the <n> of alarm ID "<node>.<router>:<n>" */
  uint8_t op;          /* conductor_alarm_op */
  uint8_t severity;    /* conductor_severity */
  uint64_t time_ns;    /* Unix time of the raise/clear, nanoseconds */
  char source[CONDUCTOR_SOURCE_MAX];
  char category[CONDUCTOR_CATEGORY_MAX];
  char message[CONDUCTOR_MESSAGE_MAX];
} conductor_alarm;

/* A decoded or to-be-encoded message.  Which fields count depends on type:
 *   HELLO:        version_min, version_max, router, node; epoch (optional
 *                 TLV: 0 = absent, the router has no run identity, as an
 *                 IPC version 1 router)
 *   HELLO_ACK:    version (chosen), node (conductor node name)
 *   ALARM:        alarm
 *   *_ACK (alarm, entitlement): seq
 *   KEEPALIVE, KEEPALIVE_ACK: seq, time_ns (echoed unchanged in the ack)
 *   ENTITLEMENT:  seq, time_ns (period end, Unix ns), peak_bps, interval_ns
 *   ERROR:        error_code (a CONDUCTOR_ERR_* value, negated), ref_type,
 *                 text
 *   KEY:          peer, key_index, key_op; key/keylen (ADD only, 16-64
 *                 bytes; absent otherwise); interval_ns (optional: the
 *                 conductor's rekey interval, 0 = absent = never)
 *   KEY_ACK:      peer, key_index, key_op, error_code (0 = done, else a
 *                 negated error of the router), text (optional)
 *   ADDRESS:      neighborhood, interface, addr_family/address, port: the
 *                 sending router's learned waypoint address on the
 *                 interface that this neighborhood uses
 *   PEER_ADDRESS: peer, node (the peer's node), neighborhood,
 *                 addr_family/address, port: where router |peer| is now
 *                 reached in that neighborhood
 * The key material is secret: callers wipe a conductor_msg that held one
 * and never log it. */
typedef struct conductor_msg {
  uint16_t type;
  uint16_t version;
  uint16_t version_min;
  uint16_t version_max;
  uint16_t error_code;
  uint16_t ref_type;
  uint64_t seq;
  uint64_t time_ns;
  uint64_t peak_bps;
  uint64_t interval_ns;
  char router[CONDUCTOR_NAME_MAX];
  char node[CONDUCTOR_NAME_MAX];
  char text[CONDUCTOR_TEXT_MAX];
  conductor_alarm alarm;
  /* HELLO: the router node's run identity (epoch), random and non-zero,
   * chosen when a router starts without a journal and kept in its journal
   * otherwise.  The conductor deduplicates alarms by (router, node, epoch,
   * seq), so a router that restarts without a journal and numbers its
   * alarms from 1 again is not taken for a retransmission.  0 = none (the
   * TLV is absent). */
  uint64_t epoch;
  /* KEY / KEY_ACK (IPC version 3).  |peer| is the other router of the
   * security element, as the receiving router names it. */
  char peer[CONDUCTOR_NAME_MAX];
  uint32_t key_index; /* the element's rekey index, > 0 */
  uint8_t key_op;     /* conductor_key_op */
  uint8_t keylen;     /* bytes of |key| used: 0 or 16-64 */
  uint8_t key[CONDUCTOR_KEY_MAX];
  /* ADDRESS / PEER_ADDRESS (IPC version 5: dynamic peer update).  The
   * address is 4 bytes (addr_family 4) or 16 (addr_family 6) on the wire,
   * never unspecified; the port is not 0. */
  char neighborhood[CONDUCTOR_NAME_MAX];
  char interface[CONDUCTOR_NAME_MAX];
  uint8_t addr_family; /* 4 or 6 */
  uint8_t address[16]; /* network order; IPv4 in the first 4 bytes */
  uint16_t port;
} conductor_msg;

/*
 * Looks at the start of a byte stream.  Returns the length of the first
 * frame (header included) when the header is there, 0 when fewer than 8
 * bytes are buffered, CONDUCTOR_ERR_FRAME_TOO_LONG or
 * CONDUCTOR_ERR_FRAME_FLAGS when the header is invalid: framing is lost and
 * the connection must be closed.  The frame may not be complete yet: the
 * caller waits until it holds the returned number of bytes.
 */
CONDUCTOR_EXTERN conductor_ssize conductor_frame_length(const uint8_t *p,
                                                        size_t len);

/*
 * Decodes exactly one complete frame (|len| = conductor_frame_length()).
 * Fills |m| only on success (returns 0).  Errors: the frame-header codes
 * above, CONDUCTOR_ERR_FRAME_LENGTH, CONDUCTOR_ERR_TLV_TRUNCATED,
 * CONDUCTOR_ERR_FIELD_MISSING, CONDUCTOR_ERR_FIELD_LENGTH,
 * CONDUCTOR_ERR_FIELD_VALUE, CONDUCTOR_ERR_FIELD_DUPLICATE and
 * CONDUCTOR_ERR_UNKNOWN_TYPE (|m->type| is then set so that the caller can
 * answer with an ERROR naming it).  Unknown TLV types in a known message
 * are skipped, so later versions may add fields.
 */
CONDUCTOR_EXTERN int conductor_msg_decode(conductor_msg *m, const uint8_t *p,
                                          size_t len);

/*
 * Encodes |m| as one frame into |buf|.  Returns the frame length, or
 * CONDUCTOR_ERR_NOBUF (nothing useful written) if |cap| is too small, or
 * CONDUCTOR_ERR_INVALID_ARGUMENT for an unknown type or an out-of-range
 * field.  Strings longer than their TLV limit are not possible (the fields
 * are bounded arrays; an unterminated one is an invalid argument).
 */
CONDUCTOR_EXTERN conductor_ssize conductor_msg_encode(uint8_t *buf, size_t cap,
                                                      const conductor_msg *m);

/*
 * Administration messages (IPC version 6, docs/libconductor.md 2.7): one
 * struct for the log retriever (LOG_*), the shell (SHELL_*) and the
 * repository checks (REPO_STATUS).  Every one carries |stream|, a non-zero
 * number the requester chose; the answers carry it back.  On an
 * administrator's connection to the conductor node the requests also name
 * |router| (and optionally |node|); the conductor node relays them to that
 * router's connection under a stream number of its own.  Which fields
 * count:
 *   LOG_LIST:     stream; user (optional: the administrator, for logs)
 *   LOG_FILE:     stream, name, size, mtime_ns
 *   LOG_GET:      stream, name, offset, length; user; size (optional,
 *                 has_size: also hash the first |size| bytes and put the
 *                 SHA-256 in LOG_END)
 *   LOG_DATA:     stream, offset, data/datalen (1-CONDUCTOR_ADMIN_DATA_MAX)
 *   LOG_END:      stream, error_code (0 = done); optional size and
 *                 mtime_ns (has_size), sha256 (has_sha256), text
 *   SHELL_OPEN:   stream, user, rows, cols; optional term
 *   SHELL_DATA:   stream, data/datalen (1-CONDUCTOR_ADMIN_DATA_MAX)
 *   SHELL_RESIZE: stream, rows, cols
 *   SHELL_ACK:    stream, length (bytes of SHELL_DATA written out)
 *   SHELL_EXIT:   stream, error_code (0: the shell ran); optional
 *                 exit_status (has_exit_status), text
 *   SHELL_CLOSE:  stream
 *   REPO_STATUS:  stream (0 allowed: unsolicited), name (the URL checked),
 *                 error_code (0 = reachable), mtime_ns (when checked),
 *                 length (latency, ns); optional text
 * router and node (optional in each request) are names of 1-63 bytes,
 * user 1-63, term 1-31, name 1-255, text 0-255; none may hold a NUL.
 * |data| points into the decoded frame: it is valid while that buffer is.
 */
#define CONDUCTOR_ADMIN_DATA_MAX 4000 /* bytes of data per frame */
#define CONDUCTOR_ADMIN_NAME_MAX 256  /* file name / URL, with NUL */
typedef struct conductor_admin {
  uint16_t type;
  uint16_t error_code; /* negated CONDUCTOR_ERR_* (0 = none) */
  uint32_t stream;
  uint16_t rows, cols;
  uint8_t has_size, has_sha256, has_exit_status;
  uint32_t exit_status; /* exit code 0-255, or 128 + signal */
  uint64_t offset, length, size, mtime_ns;
  char router[CONDUCTOR_NAME_MAX];
  char node[CONDUCTOR_NAME_MAX];
  char user[CONDUCTOR_NAME_MAX];
  char term[32];
  char name[CONDUCTOR_ADMIN_NAME_MAX];
  char text[CONDUCTOR_TEXT_MAX];
  uint8_t sha256[32];
  const uint8_t *data;
  size_t datalen;
} conductor_admin;

/* 1 if |type| is one of the administration messages above. */
CONDUCTOR_EXTERN int conductor_admin_type(uint16_t type);
/* Decodes one complete frame of an administration message, as
 * conductor_msg_decode() (same errors; CONDUCTOR_ERR_UNKNOWN_TYPE for a
 * type that is not one).  Fills |m| only on success. */
CONDUCTOR_EXTERN int conductor_admin_decode(conductor_admin *m,
                                            const uint8_t *p, size_t len);
/* Encodes |m| as one frame; as conductor_msg_encode(). */
CONDUCTOR_EXTERN conductor_ssize conductor_admin_encode(
    uint8_t *buf, size_t cap, const conductor_admin *m);

/* Names: "hello", "alarm", ...; "unknown" otherwise. */
CONDUCTOR_EXTERN const char *conductor_msg_type_name(uint16_t type);
/* "info", "minor", "major", "critical"; "unknown" otherwise. */
CONDUCTOR_EXTERN const char *conductor_severity_name(uint8_t severity);
/* Parses those names (case-sensitive); returns the value or -1. */
CONDUCTOR_EXTERN int conductor_severity_parse(const char *name);

/* ---- alarm outbox (router side, sans-I/O) ------------------------------ */

typedef struct conductor_outbox conductor_outbox;

#define CONDUCTOR_OUTBOX_SETTINGS_V1 1
typedef struct conductor_outbox_settings {
  int version;              /* CONDUCTOR_OUTBOX_SETTINGS_V1 */
  size_t max_inflight;      /* sent, unacknowledged; default 256 */
  size_t max_entries;       /* queued + in flight; default 1,000,000 */
  conductor_duration ack_timeout_ns; /* resend everything unacknowledged
                                        after this; default 30 s */
} conductor_outbox_settings;

CONDUCTOR_EXTERN void conductor_outbox_settings_default(
    conductor_outbox_settings *s);

/* Returns 0, CONDUCTOR_ERR_VERSION, CONDUCTOR_ERR_INVALID_ARGUMENT or
 * CONDUCTOR_ERR_NOMEM.  |settings| NULL means defaults. */
CONDUCTOR_EXTERN int conductor_outbox_new(conductor_outbox **pob,
                                          const conductor_outbox_settings *s,
                                          const conductor_mem *mem);
CONDUCTOR_EXTERN void conductor_outbox_del(conductor_outbox *ob);

/*
 * Queues a new alarm: assigns it the next sequence number (written to
 * |a->seq| in the caller's struct too, so the caller can journal it).
 * Returns 0, CONDUCTOR_ERR_OUTBOX_FULL or CONDUCTOR_ERR_NOMEM.
 */
CONDUCTOR_EXTERN int conductor_outbox_push(conductor_outbox *ob,
                                           conductor_alarm *a);
/*
 * Puts back an alarm read from the journal after a restart, keeping its
 * sequence number; next_seq moves past it.  Returns 0,
 * CONDUCTOR_ERR_SEQ_ORDER (seq not above every queued one),
 * CONDUCTOR_ERR_OUTBOX_FULL or CONDUCTOR_ERR_NOMEM.
 */
CONDUCTOR_EXTERN int conductor_outbox_restore(conductor_outbox *ob,
                                              const conductor_alarm *a);
/* Makes the next push use at least |next_seq| (journal compaction marker). */
CONDUCTOR_EXTERN void conductor_outbox_set_next_seq(conductor_outbox *ob,
                                                    uint64_t next_seq);
CONDUCTOR_EXTERN uint64_t conductor_outbox_next_seq(const conductor_outbox *ob);

/* The channel came up (after HELLO_ACK): sending may start at |ts|. */
CONDUCTOR_EXTERN void conductor_outbox_connected(conductor_outbox *ob,
                                                 conductor_tstamp ts);
/* The channel went down: everything in flight is queued again. */
CONDUCTOR_EXTERN void conductor_outbox_disconnected(conductor_outbox *ob);

/*
 * Next alarm to send at |ts|, or NULL if the window is full, nothing is
 * queued or the channel is down.  The returned entry is now in flight; the
 * pointer is valid until the next call that changes the outbox.
 */
CONDUCTOR_EXTERN const conductor_alarm *conductor_outbox_next(
    conductor_outbox *ob, conductor_tstamp ts);
/*
 * The conductor acknowledged |seq| (committed).  Returns 0 when an entry
 * was released, CONDUCTOR_ERR_UNKNOWN_SEQ for an ack of nothing we hold
 * (duplicate ack: harmless).
 */
CONDUCTOR_EXTERN int conductor_outbox_ack(conductor_outbox *ob, uint64_t seq);
/* When handle_expiry must run: the oldest in-flight send + ack_timeout;
 * UINT64_MAX if nothing is in flight or the channel is down. */
CONDUCTOR_EXTERN conductor_tstamp conductor_outbox_get_expiry(
    const conductor_outbox *ob);
/* At or after get_expiry(): every unacknowledged entry is queued again so
 * the following next() calls resend it.  Returns how many were requeued. */
CONDUCTOR_EXTERN size_t conductor_outbox_handle_expiry(conductor_outbox *ob,
                                                       conductor_tstamp ts);
/* Entries not yet acknowledged (queued + in flight) / in flight. */
CONDUCTOR_EXTERN size_t conductor_outbox_pending(const conductor_outbox *ob);
CONDUCTOR_EXTERN size_t conductor_outbox_inflight(const conductor_outbox *ob);
/* Counters for tests and show commands. */
CONDUCTOR_EXTERN uint64_t conductor_outbox_retransmits(
    const conductor_outbox *ob);

/* ---- duplicate filter (conductor side, sans-I/O) ------------------------ */

/*
 * Remembers which sequence numbers of one router node's connection (one
 * router run: one epoch) are committed, as a 1024-wide bitmap: bit i is
 * seq floor + 1 + i.  A fast path in front of the store, never instead of
 * it: seen() answers 1 only for a seq that mark() recorded and that is
 * still in the window; everything else (below floor, above the newest
 * mark, and everything after a restart, when the filter starts empty) is
 * "not known" and goes to the store, whose INSERT OR IGNORE on (router,
 * node, epoch, seq) decides.  So an acknowledgement sent on seen() always
 * has a row behind it.
 */
#define CONDUCTOR_DEDUP_WINDOW 1024
typedef struct conductor_dedup {
  uint64_t floor; /* the window covers floor + 1 .. floor + 1024 */
  uint64_t bits[CONDUCTOR_DEDUP_WINDOW / 64];
} conductor_dedup;

CONDUCTOR_EXTERN void conductor_dedup_init(conductor_dedup *d);
/* 1 if |seq| was marked committed and is still in the window, 0 if not
 * known (the caller must ask the store). */
CONDUCTOR_EXTERN int conductor_dedup_seen(const conductor_dedup *d,
                                          uint64_t seq);
/* Records |seq| as committed (call it only after the COMMIT).  A seq above
 * the window slides it up so that seq is its last bit; the numbers that
 * fall below it are forgotten (seen() returns 0 for them, never 1).  A seq
 * below the window is not recorded. */
CONDUCTOR_EXTERN void conductor_dedup_mark(conductor_dedup *d, uint64_t seq);

/* ---- keepalive (both sides, sans-I/O) ------------------------------------ */

#define CONDUCTOR_KA_NONE 0
#define CONDUCTOR_KA_SEND 1   /* send a KEEPALIVE now */
#define CONDUCTOR_KA_DEAD 2   /* max_attempts unanswered: connection dead */

typedef struct conductor_keepalive {
  conductor_duration interval_ns; /* 1-10 s, default 5 s */
  unsigned max_attempts;          /* 1-20, default 3 */
  unsigned outstanding;           /* keepalives sent since last receive */
  conductor_tstamp next_ts;
  conductor_tstamp last_rx_ts;
} conductor_keepalive;

/* Returns 0 or CONDUCTOR_ERR_INVALID_ARGUMENT (interval outside 1-10 s or
 * max_attempts outside 1-20). */
CONDUCTOR_EXTERN int conductor_keepalive_init(conductor_keepalive *k,
                                              conductor_duration interval_ns,
                                              unsigned max_attempts,
                                              conductor_tstamp ts);
/* Anything arrived from the peer at |ts|: the peer is alive. */
CONDUCTOR_EXTERN void conductor_keepalive_on_rx(conductor_keepalive *k,
                                                conductor_tstamp ts);
CONDUCTOR_EXTERN conductor_tstamp conductor_keepalive_get_expiry(
    const conductor_keepalive *k);
/* Returns CONDUCTOR_KA_NONE (not due), CONDUCTOR_KA_SEND or
 * CONDUCTOR_KA_DEAD. */
CONDUCTOR_EXTERN int conductor_keepalive_handle_expiry(conductor_keepalive *k,
                                                       conductor_tstamp ts);

/* ---- reconnect backoff (sans-I/O) --------------------------------------- */

/*
 * Delay before reconnect attempt number |attempt| (0 = first retry):
 * d = min(cap_ns, base_ns * 2^attempt), then "equal jitter": d/2 plus
 * |rnd| mod (d/2 + 1).  |rnd| comes from the caller's random source.
 */
CONDUCTOR_EXTERN conductor_duration conductor_backoff_delay(
    unsigned attempt, conductor_duration base_ns, conductor_duration cap_ns,
    uint64_t rnd);

/* ---- entitlement meter (router side, sans-I/O) -------------------------- */

/*
 * Site-wide entitlement: the router samples its forwarded-byte counter,
 * the meter turns it into the rate of each 5-second interval and keeps the
 * peak; every report period (300 s) the peak is reported and reset.
 */
typedef struct conductor_meter {
  conductor_duration sample_ns;  /* 5 s */
  conductor_duration report_ns;  /* 300 s */
  conductor_tstamp period_start_ts;
  conductor_tstamp last_ts;
  uint64_t last_bytes;
  uint64_t peak_bps;
  int have_sample;
} conductor_meter;

CONDUCTOR_EXTERN void conductor_meter_init(conductor_meter *m,
                                           conductor_duration sample_ns,
                                           conductor_duration report_ns,
                                           conductor_tstamp ts,
                                           uint64_t bytes_total);
/*
 * Feeds the forwarded-byte counter at |ts| (called every sample_ns).  The
 * rate over [last, ts] counts only when the interval is at least half a
 * sample long (so a jittery timer cannot make a tiny interval look fast).
 * Returns 1 and fills |*peak_bps| when a report is due (period complete),
 * 0 otherwise.
 */
CONDUCTOR_EXTERN int conductor_meter_sample(conductor_meter *m,
                                            conductor_tstamp ts,
                                            uint64_t bytes_total,
                                            uint64_t *peak_bps);

/* ---- store: the conductor node's SQLite database (I/O) ------------------ */

typedef struct conductor_store conductor_store;

/*
 * Opens (creating if needed) the database at |path| in WAL mode with
 * synchronous=EXTRA (at least FULL: a COMMIT is on disk when it returns)
 * and the schema of docs/libconductor.md section 5.  A database of the
 * schema before epochs (alarm_events keyed by router, node, seq) is
 * migrated in one transaction: its events are kept as epoch 0.  A
 * read-only open changes nothing.
 * Returns 0, CONDUCTOR_ERR_DB (message in conductor_store_errmsg of the
 * returned object, which the caller must still delete) or
 * CONDUCTOR_ERR_NOMEM.
 */
CONDUCTOR_EXTERN int conductor_store_open(conductor_store **pst,
                                          const char *path, int readonly);
CONDUCTOR_EXTERN void conductor_store_close(conductor_store *st);
CONDUCTOR_EXTERN const char *conductor_store_errmsg(const conductor_store *st);

/* Batched writes: begin, any number of add_* calls, commit.  Nothing is
 * acknowledged to a router before commit returns 0.  Return 0 or
 * CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_begin(conductor_store *st);
CONDUCTOR_EXTERN int conductor_store_commit(conductor_store *st);
CONDUCTOR_EXTERN int conductor_store_rollback(conductor_store *st);

/* Stores one alarm event of router run |epoch| (the epoch of the router
 * node's HELLO, 0 if it sent none); a retransmission (same router, node,
 * epoch, seq) is ignored.  Every bit of |epoch| counts (it is stored as
 * the signed 64-bit integer of the same bits).  Returns 1 if stored, 0 if
 * it was a duplicate (already stored: it may be acknowledged), or
 * CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_add_alarm2(conductor_store *st,
                                                const char *router,
                                                const char *node,
                                                uint64_t epoch,
                                                const conductor_alarm *a,
                                                uint64_t received_ns);
/* conductor_store_add_alarm2() with epoch 0 (a router without epochs). */
CONDUCTOR_EXTERN int conductor_store_add_alarm(conductor_store *st,
                                               const char *router,
                                               const char *node,
                                               const conductor_alarm *a,
                                               uint64_t received_ns);
/* Keeps max(peak) per router and calendar month (UTC) of |time_ns|.
 * Returns 0 or CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_add_entitlement(conductor_store *st,
                                                     const char *router,
                                                     const char *node,
                                                     uint64_t time_ns,
                                                     uint64_t peak_bps);
/* Connection table row for show assets.  |state| "connected" or
 * "disconnected"; |since_ns|/|last_ka_ns| Unix ns (0 = never). */
CONDUCTOR_EXTERN int conductor_store_set_connection(
    conductor_store *st, const char *router, const char *node,
    const char *conductor_node, const char *state, uint64_t since_ns,
    uint64_t last_ka_ns);

/* Router enrolment: binds an SSH public key (OpenSSH "type base64" text)
 * and its SHA256 fingerprint to a router name.  Returns 0 or
 * CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_enroll(conductor_store *st,
                                            const char *router,
                                            const char *key_type,
                                            const char *key_b64,
                                            const char *fingerprint);
/* Looks up the router enrolled with |key_b64|; copies its name into
 * |router| (cap bytes).  Returns 0, CONDUCTOR_ERR_NOT_FOUND or
 * CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_lookup_key(conductor_store *st,
                                                const char *key_b64,
                                                char *router, size_t cap);
/* Revokes every key enrolled for |router|: it can no longer connect, and a
 * conductor node closes its open connections at its next check (within a
 * second: conductor_store_data_version changes).  |*removed| (may be NULL)
 * gets the number of keys.  Returns 0, CONDUCTOR_ERR_NOT_FOUND (nothing
 * enrolled under that name) or CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_unenroll(conductor_store *st,
                                              const char *router,
                                              unsigned *removed);
/* 1 if a key is enrolled for |router|, 0 if not, or CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_router_enrolled(conductor_store *st,
                                                     const char *router);
/* SQLite's PRAGMA data_version: changes when another connection (another
 * process: enroll, unenroll, shelve) has written the database since this
 * store last looked.  Returns 0 or CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_data_version(conductor_store *st,
                                                  int64_t *version);
/* Shelves / unshelves alarm ID "<node>.<router>:<n>".  Returns 0,
 * CONDUCTOR_ERR_NOT_FOUND (no such active alarm) or CONDUCTOR_ERR_DB. */
CONDUCTOR_EXTERN int conductor_store_shelve(conductor_store *st,
                                            const char *alarm_id, int shelve);
/* The raw sqlite3 handle, for read-only show queries in front ends. */
CONDUCTOR_EXTERN void *conductor_store_db(conductor_store *st);

/* ---- transport: SSH over 930/TCP (I/O, non-blocking) -------------------- */

typedef struct conductor_server conductor_server;
typedef struct conductor_sconn conductor_sconn;  /* one router connection */
typedef struct conductor_client conductor_client;

/* Poll interest returned by the *_events() functions. */
#define CONDUCTOR_POLL_IN 1
#define CONDUCTOR_POLL_OUT 2

/* Failed authentication attempts per connection before it is closed (as
 * OpenSSH's MaxAuthTries, default 6).  "none" requests are not counted. */
#define CONDUCTOR_MAX_AUTH_TRIES 6

/* A refused authentication attempt (conductor_server_callbacks.auth_refused).
 * Strings are valid during the call only. */
typedef struct conductor_auth_refusal {
  const char *peer;        /* "addr:port" */
  const char *method;      /* "publickey", "password", "none", ... */
  const char *key_type;    /* publickey: "ssh-ed25519"...; else NULL */
  const char *fingerprint; /* publickey: "SHA256:..."; else NULL */
  const char *user;        /* the SSH user name ("" if none) */
  int attempt;             /* failures so far on this connection */
  int max_attempts;        /* CONDUCTOR_MAX_AUTH_TRIES */
  int closing;             /* this was the last: the connection closes */
} conductor_auth_refusal;

typedef struct conductor_server_callbacks {
  /*
   * Public key auth: return 0 and the router name (cap CONDUCTOR_NAME_MAX)
   * if |key_b64| (type |key_type|) is enrolled, nonzero to refuse.  Called
   * for the key offer and again for the signed request.
   */
  int (*authorize)(conductor_server *srv, const char *user,
                   const char *key_type, const char *key_b64, char *router,
                   void *user_data);
  /* A complete IPC frame arrived on an authenticated subsystem channel. */
  void (*on_frame)(conductor_sconn *c, const uint8_t *frame, size_t len,
                   void *user_data);
  /* The connection is gone (EOF, error, or after conductor_sconn_close);
   * the object is freed when this returns. */
  void (*on_close)(conductor_sconn *c, int reason, void *user_data);
  /* Log line (never NULL text); level 0 error, 1 warning, 2 info. */
  void (*log)(int level, const char *text, void *user_data);
  /* Optional: an authentication attempt was refused (for the host to log
   * at a rate it chooses and count).  NULL: each is logged through |log|. */
  void (*auth_refused)(const conductor_auth_refusal *r, void *user_data);
} conductor_server_callbacks;

/*
 * Listens on |addr|:|port| (TCP, SO_REUSEADDR) with the host key at
 * |host_key_path| (OpenSSH private key; generate with ssh-keygen -t
 * ed25519).  Returns 0, CONDUCTOR_ERR_BIND (errno kept: EACCES below 1024
 * without CAP_NET_BIND_SERVICE, EADDRINUSE...), CONDUCTOR_ERR_SSH (host
 * key unreadable), CONDUCTOR_ERR_NOMEM.
 */
CONDUCTOR_EXTERN int conductor_server_new(
    conductor_server **psrv, const char *addr, uint16_t port,
    const char *host_key_path, const conductor_server_callbacks *cb,
    void *user_data);
CONDUCTOR_EXTERN void conductor_server_del(conductor_server *srv);
CONDUCTOR_EXTERN int conductor_server_fd(const conductor_server *srv);
/* Limit of frames queued per connection and not yet taken by libssh (which
 * itself holds at most what one write of the channel window left): a peer
 * that stops reading makes conductor_sconn_send() fail with
 * CONDUCTOR_ERR_NOBUF once it is reached.  0 = the default. */
#define CONDUCTOR_SEND_LIMIT_DEFAULT (256u * 1024u)
CONDUCTOR_EXTERN void conductor_server_set_send_limit(conductor_server *srv,
                                                      size_t bytes);
/* The bound port (useful after asking for port 0), or 0 on error. */
CONDUCTOR_EXTERN uint16_t conductor_server_port(const conductor_server *srv);
/* Text of the last error of the server (bind, key load). */
CONDUCTOR_EXTERN const char *conductor_server_errmsg(
    const conductor_server *srv);
/* Accepts one pending connection (listen fd readable).  Returns 0 and the
 * new connection, CONDUCTOR_ERR_AGAIN or CONDUCTOR_ERR_IO (errno kept).  On
 * EMFILE/ENFILE the server uses a descriptor it holds in reserve to accept
 * the connection at the head of the queue and close it at once (so the
 * listener does not stay readable), then returns CONDUCTOR_ERR_IO with
 * errno EMFILE/ENFILE: the caller should stop accepting for a while. */
CONDUCTOR_EXTERN int conductor_server_accept(conductor_server *srv,
                                             conductor_sconn **pc);
CONDUCTOR_EXTERN int conductor_sconn_fd(const conductor_sconn *c);
/* Poll interest (CONDUCTOR_POLL_*) after the last process/send call. */
CONDUCTOR_EXTERN int conductor_sconn_events(const conductor_sconn *c);
/* The fd is ready: runs the SSH handshake / reads packets and calls
 * on_frame for each complete frame.  Returns 0 or a negative code after
 * which the connection has been closed (on_close called, object freed). */
CONDUCTOR_EXTERN int conductor_sconn_process(conductor_sconn *c);
/* Queues one frame on the IPC channel; it is written by the next
 * conductor_sconn_process() (conductor_sconn_events() asks for POLL_OUT
 * meanwhile).  May be called from on_frame.  Returns 0,
 * CONDUCTOR_ERR_UNEXPECTED (no subsystem channel yet or closing),
 * CONDUCTOR_ERR_NOBUF (the send limit is reached: the peer does not read;
 * close it) or CONDUCTOR_ERR_NOMEM. */
CONDUCTOR_EXTERN int conductor_sconn_send(conductor_sconn *c,
                                          const uint8_t *frame, size_t len);
/* Router name from authentication ("" before). */
CONDUCTOR_EXTERN const char *conductor_sconn_router(const conductor_sconn *c);
/* The peer as "addr:port" ("[addr]:port" for IPv6), and its numeric source
 * address alone (for limits per address). */
CONDUCTOR_EXTERN const char *conductor_sconn_peer(const conductor_sconn *c);
/* Base64 blob of the public key it authenticated with ("" before), so the
 * host can re-check it when the enrolments change. */
CONDUCTOR_EXTERN const char *conductor_sconn_key(const conductor_sconn *c);
CONDUCTOR_EXTERN const char *conductor_sconn_peer_addr(
    const conductor_sconn *c);
CONDUCTOR_EXTERN void conductor_sconn_set_user_data(conductor_sconn *c,
                                                    void *p);
CONDUCTOR_EXTERN void *conductor_sconn_get_user_data(const conductor_sconn *c);
/* Closes the connection.  Outside callbacks, on_close is called and the
 * object freed before it returns; from inside on_frame the close happens
 * when conductor_sconn_process() returns (which then returns < 0). */
CONDUCTOR_EXTERN void conductor_sconn_close(conductor_sconn *c, int reason);
/* SSH-level liveness (docs/libconductor.md 1.2).  Sends a
 * "keepalive@openssh.com" global request with want-reply (RFC 4254 4) on
 * an authenticated connection, unless one is still unanswered (the peer
 * answers in order; a second would prove nothing more).  The answer,
 * REQUEST_SUCCESS or REQUEST_FAILURE, and anything else the peer sends,
 * advance conductor_sconn_rx_packets().  Call it outside callbacks, as
 * conductor_sconn_process(); returns 0, or < 0 after the connection was
 * closed and freed (on_close ran), like conductor_sconn_process(). */
CONDUCTOR_EXTERN int conductor_sconn_keepalive(conductor_sconn *c);
/* SSH packets received from the peer so far (any kind, after the key
 * exchange's first packets): a host compares it between its keepalive
 * ticks. */
CONDUCTOR_EXTERN uint64_t conductor_sconn_rx_packets(const conductor_sconn *c);

typedef enum conductor_client_state {
  CONDUCTOR_CLIENT_CONNECTING = 0,
  CONDUCTOR_CLIENT_HOSTKEY,
  CONDUCTOR_CLIENT_AUTH,
  CONDUCTOR_CLIENT_CHANNEL,
  CONDUCTOR_CLIENT_SUBSYSTEM,
  CONDUCTOR_CLIENT_READY,
  CONDUCTOR_CLIENT_FAILED
} conductor_client_state;

/*
 * Router side: starts a non-blocking SSH connection to |host|:|port|,
 * user |user|, authenticating with the private key at |key_path|, pinning
 * the host key in the OpenSSH known-hosts file |known_hosts| (|tofu|
 * nonzero: an unknown host is added on first connection; a changed key is
 * always refused).  Returns 0, CONDUCTOR_ERR_SSH (key unreadable...),
 * CONDUCTOR_ERR_NOMEM.
 */
CONDUCTOR_EXTERN int conductor_client_new(conductor_client **pcl,
                                          const char *host, uint16_t port,
                                          const char *user,
                                          const char *key_path,
                                          const char *known_hosts, int tofu);
CONDUCTOR_EXTERN void conductor_client_del(conductor_client *cl);
/* The socket, or -1 before the first conductor_client_process(). */
CONDUCTOR_EXTERN int conductor_client_fd(const conductor_client *cl);
CONDUCTOR_EXTERN int conductor_client_events(const conductor_client *cl);
CONDUCTOR_EXTERN conductor_client_state conductor_client_get_state(
    const conductor_client *cl);
/*
 * Advances the handshake or reads data.  Complete frames are appended to
 * an internal buffer and returned one by one by conductor_client_read_frame.
 * Returns 0 (progress or would block), or a negative code (connection
 * failed; conductor_client_errmsg says why): CONDUCTOR_ERR_IO (the TCP
 * connection could not be made; errno says why on return, ECONNREFUSED,
 * EHOSTUNREACH, ENETUNREACH...), CONDUCTOR_ERR_HOSTKEY_CHANGED,
 * CONDUCTOR_ERR_HOSTKEY_UNKNOWN, CONDUCTOR_ERR_AUTH_DENIED,
 * CONDUCTOR_ERR_CLOSED, CONDUCTOR_ERR_SSH, CONDUCTOR_ERR_FRAME_*.
 */
CONDUCTOR_EXTERN int conductor_client_process(conductor_client *cl);
/* Copies the next complete frame into |buf|; returns its length, 0 if none
 * is buffered, CONDUCTOR_ERR_NOBUF. */
CONDUCTOR_EXTERN conductor_ssize conductor_client_read_frame(
    conductor_client *cl, uint8_t *buf, size_t cap);
/* Returns 0, CONDUCTOR_ERR_UNEXPECTED (not READY) or CONDUCTOR_ERR_SSH. */
CONDUCTOR_EXTERN int conductor_client_send(conductor_client *cl,
                                           const uint8_t *frame, size_t len);
CONDUCTOR_EXTERN const char *conductor_client_errmsg(
    const conductor_client *cl);
/* As conductor_sconn_keepalive() for the router side (only when READY):
 * returns 0, CONDUCTOR_ERR_UNEXPECTED (not READY) or CONDUCTOR_ERR_SSH. */
CONDUCTOR_EXTERN int conductor_client_keepalive(conductor_client *cl);
CONDUCTOR_EXTERN uint64_t conductor_client_rx_packets(
    const conductor_client *cl);

/* ---- keys ---------------------------------------------------------------- */

/* Generates an Ed25519 key pair: |path| (OpenSSH private key, created with
 * mode 0600, O_EXCL and O_NOFOLLOW: never readable by others, never over an
 * existing file or through a symlink) and |path|.pub (0644).  Returns 0,
 * CONDUCTOR_ERR_SSH or CONDUCTOR_ERR_IO (errno says why: EEXIST if |path|
 * or |path|.pub exists; nothing is left behind on failure). */
CONDUCTOR_EXTERN int conductor_key_generate(const char *path);
/* Reads an OpenSSH public key file (a private key file works too) and
 * returns its type ("ssh-ed25519"), base64 blob and SHA256 fingerprint
 * ("SHA256:...").  Returns 0, CONDUCTOR_ERR_NOBUF or CONDUCTOR_ERR_SSH
 * (unreadable or not a key). */
CONDUCTOR_EXTERN int conductor_key_read_public(const char *path, char *type,
                                               size_t type_cap, char *b64,
                                               size_t b64_cap, char *fp,
                                               size_t fp_cap);

/* ---- version --------------------------------------------------------- */

typedef struct conductor_info {
  int age;         /* 1 */
  int version_num; /* CONDUCTOR_VERSION_NUM of the running library */
  const char *version_str;
} conductor_info;

/*
 * Returns the running library's version, or NULL when it is older than
 * |least_version| (0 accepts any).  CONDUCTOR_VERSION and
 * CONDUCTOR_VERSION_NUM (conductor/version.h) give the headers' version.
 */
CONDUCTOR_EXTERN const conductor_info *conductor_version(int least_version);

#ifdef __cplusplus
}
#endif

#endif /* CONDUCTOR_H */
