/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr_frr: one BFD session as an object of FRR bfdd's 'show bfd peers
 * json' (its key names, units and words), written once for svr-bfd and
 * svr-router (`show --json --format frr`, docs/cli.md "JSON").
 *
 * Internal to cli/: not installed, no ABI.  No dependency on libsvrbfd:
 * states and diagnostics are RFC 5880's numbers (section 4.1).
 */
#ifndef SVR_FRR_H
#define SVR_FRR_H

#include <stddef.h>
#include <stdint.h>

typedef struct svr_frr_peer {
  int multihop;         /* RFC 5883 session */
  int min_ttl;          /* printed for multihop sessions only */
  const char *peer;     /* the peer's address */
  const char *local;    /* our address */
  uint32_t id, remote_id;
  int passive;
  int state;            /* RFC 5880: 0 AdminDown, 1 Down, 2 Init, 3 Up */
  uint64_t since_s;     /* seconds Up (state 3), else seconds not Up */
  int diag, remote_diag; /* RFC 5880 diagnostic codes */
  uint32_t rx_ms, tx_ms, mult;  /* ours: required min rx, desired min tx */
  uint32_t remote_rx_ms, remote_tx_ms, remote_echo_rx_ms, remote_mult;
} svr_frr_peer;

/* bfdd's word for RFC 5880 diagnostic |diag| ("ok", "control detection
 * time expired", ...); "unknown" outside 0-8. */
const char *svr_frr_diag(int diag);

/* |p| as one JSON object of bfdd's array (no separator, no newline) into
 * |buf|.  Returns the length snprintf would have written: the object is
 * complete when it is below |cap|. */
int svr_frr_peer_json(char *buf, size_t cap, const svr_frr_peer *p);

/* Room that always suffices for svr_frr_peer_json (addresses up to 64). */
#define SVR_FRR_PEER_JSON_MAX 1024

#endif
