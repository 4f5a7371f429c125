/* SPDX-License-Identifier: BSD-2-Clause */
/* svr_frr: FRR bfdd's 'show bfd peers json' objects (svr_frr.h). */
#include "svr_frr.h"

#include <inttypes.h>
#include <stdio.h>

const char *svr_frr_diag(int diag) {
  static const char *const w[] = {"ok",
                                  "control detection time expired",
                                  "echo function failed",
                                  "neighbor signaled session down",
                                  "forwarding plane reset",
                                  "path down",
                                  "concatenated path down",
                                  "administratively down",
                                  "reverse concatenated path down"};
  return diag >= 0 && diag < (int)(sizeof(w) / sizeof(w[0])) ? w[diag]
                                                             : "unknown";
}

int svr_frr_peer_json(char *buf, size_t cap, const svr_frr_peer *p) {
  static const char *const st[] = {"shutdown", "down", "init", "up"};
  char ttl[32] = "";
  if (p->multihop) {
    snprintf(ttl, sizeof(ttl), "\"minimum-ttl\":%d,", p->min_ttl);
  }
  return snprintf(
      buf, cap,
      "{\"multihop\":%s,\"peer\":\"%s\",\"local\":\"%s\","
      "\"vrf\":\"default\",\"id\":%" PRIu32 ",\"remote-id\":%" PRIu32
      ",\"passive-mode\":%s,%s\"status\":\"%s\",\"%s\":%" PRIu64 ","
      "\"diagnostic\":\"%s\",\"remote-diagnostic\":\"%s\","
      "\"receive-interval\":%" PRIu32 ",\"transmit-interval\":%" PRIu32
      ",\"echo-receive-interval\":0,\"echo-transmit-interval\":0,"
      "\"detect-multiplier\":%" PRIu32 ",\"remote-receive-interval\":%" PRIu32
      ",\"remote-transmit-interval\":%" PRIu32
      ",\"remote-echo-receive-interval\":%" PRIu32
      ",\"remote-detect-multiplier\":%" PRIu32 ",\"rtt-min\":0,"
      "\"rtt-avg\":0,\"rtt-max\":0}",
      p->multihop ? "true" : "false", p->peer, p->local, p->id, p->remote_id,
      p->passive ? "true" : "false", ttl,
      st[p->state >= 0 && p->state <= 3 ? p->state : 1],
      p->state == 3 ? "uptime" : "downtime", p->since_s,
      svr_frr_diag(p->diag), svr_frr_diag(p->remote_diag), p->rx_ms, p->tx_ms,
      p->mult, p->remote_rx_ms, p->remote_tx_ms, p->remote_echo_rx_ms,
      p->remote_mult);
}
