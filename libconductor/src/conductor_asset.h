/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libconductor internal module (not installed, no ABI): the asset channel
 * between a router node and a conductor node on 4505/TCP and 4506/TCP,
 * inside TLS 1.3 (docs/libconductor.md section 10).
 *
 *   4505: the long-lived keepalive connection.  The router says HELLO once,
 *         the conductor answers HELLO_ACK; after that only TCP keepalives
 *         (10 s router, 20 s conductor) cross it.
 *   4506: request/reply.  HELLO / HELLO_ACK, then an asset KEEPALIVE from
 *         the router every second (asset id, status, installed version),
 *         answered by KEEPALIVE_ACK; the conductor's VERSION_CHECK every
 *         12 h, answered by VERSION_LIST (installed + the versions the
 *         router may download).
 *
 * Sans-I/O: the codec works on byte buffers; the keepalive and version
 * check schedules take the caller's monotonic timestamps (ns).  No socket,
 * no clock, no global state.  Errors are the CONDUCTOR_ERR_* codes of
 * <conductor/conductor.h>.
 */
#ifndef CONDUCTOR_ASSET_H
#define CONDUCTOR_ASSET_H

#include <stddef.h>
#include <stdint.h>

#include <conductor/conductor.h>

#define CASSET_PROTO_VERSION 1  /* highest asset protocol version we speak */
#define CASSET_PORT_PUB 4505    /* long-lived keepalive connection */
#define CASSET_PORT_REQ 4506    /* request/reply, asset keepalives */
#define CASSET_HDR_LEN 8        /* length(4) type(2) flags(2), as the IPC */
#define CASSET_MAX_BODY_LEN 4096
#define CASSET_MAX_FRAME_LEN (CASSET_HDR_LEN + CASSET_MAX_BODY_LEN)
#define CASSET_NAME_MAX 64      /* node, asset id, version: 1-63 + NUL */
#define CASSET_TEXT_MAX 256
#define CASSET_MAX_AVAILABLE 32 /* versions in one VERSION_LIST */

/* Product cadences (public M2M channel table): asset keepalives every 1 s;
 * software version check every 12 h; TCP keepalive on 4505 10 s (router)
 * and 20 s (conductor). */
#define CASSET_KA_INTERVAL_NS (1000000000ULL)
#define CASSET_KA_MAX_DEFAULT 3
#define CASSET_VERSION_CHECK_NS (12ULL * 3600ULL * 1000000000ULL)
#define CASSET_TCP_KA_ROUTER_S 10
#define CASSET_TCP_KA_CONDUCTOR_S 20

typedef enum casset_msg_type {
  CASSET_MSG_HELLO = 1,         /* router -> conductor, first on both ports */
  CASSET_MSG_HELLO_ACK = 2,     /* conductor -> router */
  CASSET_MSG_KEEPALIVE = 3,     /* router -> conductor, 4506, every 1 s */
  CASSET_MSG_KEEPALIVE_ACK = 4, /* conductor -> router */
  CASSET_MSG_VERSION_CHECK = 5, /* conductor -> router, 4506, every 12 h */
  CASSET_MSG_VERSION_LIST = 6,  /* router -> conductor: the answer */
  CASSET_MSG_ERROR = 7          /* either way: a frame was refused */
} casset_msg_type;

typedef enum casset_channel {
  CASSET_CH_PUB = 1, /* the 4505 connection */
  CASSET_CH_REQ = 2  /* the 4506 connection */
} casset_channel;

typedef enum casset_status {
  CASSET_ST_PENDING = 1, /* starting: not forwarding yet */
  CASSET_ST_RUNNING = 2  /* the router's software runs */
} casset_status;

/* TLVs: the IPC's where the meaning is the same (docs/libconductor.md
 * 2.3), and the asset channel's own block at the top of the libconductor
 * range, 0xE0F0-0xE0FF. */
#define CASSET_TLV_ASSET_ID 0xE0F0  /* 1-63 bytes, A-Z a-z 0-9 . _ - */
#define CASSET_TLV_CHANNEL 0xE0F1   /* u8: 1 = 4505, 2 = 4506 */
#define CASSET_TLV_STATUS 0xE0F2    /* u8: casset_status */
#define CASSET_TLV_INSTALLED 0xE0F3 /* version string */
#define CASSET_TLV_AVAILABLE 0xE0F4 /* version string, repeatable */

/* A decoded or to-be-encoded message.  Which fields count:
 *   HELLO:         version_min, version_max, channel, node, asset_id,
 *                  installed
 *   HELLO_ACK:     version, node (the conductor node)
 *   KEEPALIVE:     seq (> 0), time_ns, status, asset_id, installed
 *   KEEPALIVE_ACK: seq, time_ns (echoed)
 *   VERSION_CHECK: seq (> 0, the request id)
 *   VERSION_LIST:  seq (the request's), installed, available[0..n) (0-32
 *                  versions the router may download)
 *   ERROR:         error_code (a CONDUCTOR_ERR_* negated), ref_type, text
 *                  (optional)
 * Versions are 1-63 bytes of A-Z a-z 0-9 . _ - + ~. */
typedef struct casset_msg {
  uint16_t type;
  uint16_t version;
  uint16_t version_min;
  uint16_t version_max;
  uint16_t error_code;
  uint16_t ref_type;
  uint8_t channel;
  uint8_t status;
  uint8_t n_available;
  uint64_t seq;
  uint64_t time_ns;
  char node[CASSET_NAME_MAX];
  char asset_id[CASSET_NAME_MAX];
  char installed[CASSET_NAME_MAX];
  char text[CASSET_TEXT_MAX];
  char available[CASSET_MAX_AVAILABLE][CASSET_NAME_MAX];
} casset_msg;

/* As conductor_frame_length(): the length of the first frame (header
 * included) once 8 bytes are there, 0 before, or
 * CONDUCTOR_ERR_FRAME_TOO_LONG / CONDUCTOR_ERR_FRAME_FLAGS (framing lost:
 * close the connection). */
conductor_ssize casset_frame_length(const uint8_t *p, size_t len);

/* Decodes exactly one complete frame.  Fills |m| only on success (0).
 * Errors: the frame codes, CONDUCTOR_ERR_TLV_TRUNCATED,
 * CONDUCTOR_ERR_FIELD_MISSING / _LENGTH / _VALUE / _DUPLICATE (AVAILABLE
 * may repeat, up to CASSET_MAX_AVAILABLE times; a repeated version is
 * _DUPLICATE), CONDUCTOR_ERR_UNKNOWN_TYPE (|m->type| set, nothing else).
 * Unknown TLVs are skipped. */
int casset_decode(casset_msg *m, const uint8_t *p, size_t len);

/* Encodes |m| into |buf|.  Returns the frame length, CONDUCTOR_ERR_NOBUF,
 * or CONDUCTOR_ERR_INVALID_ARGUMENT (unknown type, a field out of range or
 * a string the decoder would refuse). */
conductor_ssize casset_encode(uint8_t *buf, size_t cap, const casset_msg *m);

const char *casset_type_name(uint16_t type); /* "hello"...; "unknown" */
const char *casset_status_name(uint8_t status); /* "pending", "running" */

/* 1 if |s| is a valid asset id / node name (1-63 of A-Z a-z 0-9 . _ -),
 * or, for casset_version_ok, a version (also + and ~). */
int casset_name_ok(const char *s);
int casset_version_ok(const char *s);

/* ---- keepalive schedule (both ends of 4506) ------------------------------ */

/* Each side sends every |interval_ns| and declares the other gone when
 * nothing arrived for |max| intervals. */
typedef struct casset_ka {
  uint64_t interval_ns;
  unsigned max;
  uint64_t last_rx;
  uint64_t next_tx;
} casset_ka;

void casset_ka_init(casset_ka *k, uint64_t now, uint64_t interval_ns,
                    unsigned max);
/* Something arrived from the peer. */
void casset_ka_on_rx(casset_ka *k, uint64_t now);
/* 1 if a keepalive is due now (the next one is scheduled an interval on,
 * never in the past: a late caller sends one, not a burst), else 0. */
int casset_ka_tx_due(casset_ka *k, uint64_t now);
/* 1 once nothing arrived for max x interval. */
int casset_ka_dead(const casset_ka *k, uint64_t now);
/* When to look again: the next send or the death deadline. */
uint64_t casset_ka_next(const casset_ka *k);

/* ---- software version check schedule (conductor) ------------------------ */

typedef struct casset_vc {
  uint64_t interval_ns;
  uint64_t next;        /* when the next check is sent */
  uint64_t seq;         /* id of the last check sent (0: none yet) */
  uint64_t outstanding; /* id awaiting its VERSION_LIST (0: none) */
} casset_vc;

/* The first check is due |interval_ns| after |now| (the connection's
 * start). */
void casset_vc_init(casset_vc *v, uint64_t now, uint64_t interval_ns);
/* 1 and |*seq| = the new request id when a check is due, else 0. */
int casset_vc_due(casset_vc *v, uint64_t now, uint64_t *seq);
/* A VERSION_LIST with |seq| arrived: 0 if it answers the outstanding
 * check, CONDUCTOR_ERR_UNKNOWN_SEQ otherwise (a reply nobody asked for). */
int casset_vc_on_reply(casset_vc *v, uint64_t seq);

#endif /* CONDUCTOR_ASSET_H */
