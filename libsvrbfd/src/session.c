/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One BFD session: the RFC 5880 state machine (6.2, 6.8.6), timer
 * negotiation with Poll/Final (6.5, 6.8.2-6.8.4), Demand mode (6.6),
 * transmission (6.8.7) and the SVR/RFC 5881 addressing rules.
 */
#include <string.h>

#include "bfd_int.h"

static uint32_t bfd_max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* 6.8.2/6.8.3: max(bfd.DesiredMinTxInterval in force, RemoteMinRxInterval). */
uint64_t svrbfd__tx_interval_ns(const svrbfd_session *s) {
  return (uint64_t)bfd_max_u32(s->used_tx_us, s->remote_min_rx_us) *
         SVRBFD_MICROSECONDS;
}

/* 6.8.4, asynchronous mode: remote Detect Mult x max(our RequiredMinRx in
 * force, last received Desired Min TX). */
static uint64_t bfd_detect_time_ns(const svrbfd_session *s) {
  return (uint64_t)s->remote_mult *
         (uint64_t)bfd_max_u32(s->used_rx_us, s->remote_tx_us) *
         SVRBFD_MICROSECONDS;
}

/* We asked for Demand and both sides are Up: the peer stops sending (6.6). */
static int bfd_local_demand_active(const svrbfd_session *s) {
  return s->cfg.demand && s->state == SVRBFD_STATE_UP &&
         s->remote_state == SVRBFD_STATE_UP;
}

/* 6.8.7: when periodic Control packets may be sent. */
int svrbfd__session_periodic_allowed(const svrbfd_session *s) {
  if (s->cfg.passive && s->remote_discr == 0) {
    return 0; /* 6.1: passive waits for the peer */
  }
  if (s->remote_min_rx_us == 0) {
    return 0; /* the peer asked for no periodic packets */
  }
  if (s->remote_demand && s->state == SVRBFD_STATE_UP &&
      s->remote_state == SVRBFD_STATE_UP && !s->poll_active) {
    return 0; /* the peer is in Demand mode */
  }
  return 1;
}

static void bfd_mark_tx_now(svrbfd_session *s) {
  s->tx_due = 1;
  svrbfd__ctx_ready_push(s->ctx, s);
}

/* Starts or stops the periodic timer after a change; an interval that got
 * shorter takes effect now rather than after the old, longer one. */
static void bfd_arm_tx(svrbfd_session *s, svrbfd_tstamp ts) {
  if (!svrbfd__session_periodic_allowed(s)) {
    s->next_tx = BFD_NEVER;
    return;
  }
  if (s->next_tx == BFD_NEVER) {
    if (!s->tx_due) {
      s->next_tx = ts;
    }
  } else if (s->next_tx > ts) {
    uint64_t iv = svrbfd__tx_interval_ns(s);
    if (s->next_tx > ts + iv) {
      s->next_tx = ts + svrbfd__jitter(iv, s->detect_mult, &s->ctx->rng);
    }
  }
}

/* Detection timer (6.8.4) relative to the last received packet. */
static void bfd_arm_detect(svrbfd_session *s) {
  if (s->remote_discr == 0 || s->last_rx == 0 || s->detect_time_ns == 0) {
    s->detect_at = BFD_NEVER;
  } else if (bfd_local_demand_active(s)) {
    /* The peer is silent by our request; polls arm the timer. */
    if (!s->poll_active) {
      s->detect_at = BFD_NEVER;
    }
  } else {
    s->detect_at = s->last_rx + s->detect_time_ns;
  }
}

static void bfd_start_poll(svrbfd_session *s, svrbfd_tstamp ts) {
  s->poll_active = 1;
  if (bfd_local_demand_active(s) && s->detect_at == BFD_NEVER) {
    /* 6.8.4 Demand mode: our mult x max(DesiredMinTx, RemoteMinRx). */
    s->detect_at = ts + (uint64_t)s->detect_mult * svrbfd__tx_interval_ns(s);
  }
  bfd_arm_tx(s, ts);
}

/* Applies advertised values (6.8.3): a faster tx and a slower rx take
 * effect now, a slower tx and a faster rx only after the Poll's Final. */
static void bfd_apply_desired(svrbfd_session *s, uint32_t tx_us,
                              uint32_t rx_us, svrbfd_tstamp ts) {
  int up = s->state == SVRBFD_STATE_UP;
  int changed = tx_us != s->adv_tx_us || rx_us != s->adv_rx_us ||
                s->detect_mult != s->cfg.detect_mult;
  s->adv_tx_us = tx_us;
  s->adv_rx_us = rx_us;
  s->detect_mult = s->cfg.detect_mult;
  if (!up || tx_us < s->used_tx_us) {
    s->used_tx_us = tx_us;
  }
  if (!up || rx_us > s->used_rx_us) {
    s->used_rx_us = rx_us;
  }
  s->detect_time_ns = bfd_detect_time_ns(s);
  if (changed && s->remote_discr != 0 && s->state != SVRBFD_STATE_DOWN &&
      s->state != SVRBFD_STATE_ADMIN_DOWN) {
    bfd_start_poll(s, ts); /* 6.8.3: any change starts a Poll Sequence */
  }
  if (s->last_rx != 0) {
    bfd_arm_detect(s);
  }
  bfd_arm_tx(s, ts);
}

/* Recomputes what we advertise from the config and the state (slow start:
 * >= 1 s while not Up, 6.8.3). */
static void bfd_update_desired(svrbfd_session *s, svrbfd_tstamp ts) {
  uint32_t tx = s->cfg.desired_min_tx_us;
  if (s->state != SVRBFD_STATE_UP) {
    tx = bfd_max_u32(tx, BFD_SLOW_TX_US);
  }
  if (tx == s->adv_tx_us && s->cfg.required_min_rx_us == s->adv_rx_us &&
      s->cfg.detect_mult == s->detect_mult) {
    return;
  }
  if (s->poll_active) {
    s->poll_pending = 1; /* 6.5: one change per Poll Sequence */
    return;
  }
  bfd_apply_desired(s, tx, s->cfg.required_min_rx_us, ts);
}

/* 6.6: changing the D bit needs a Poll Sequence. */
static void bfd_check_demand_bit(svrbfd_session *s, svrbfd_tstamp ts) {
  uint8_t d = (uint8_t)bfd_local_demand_active(s);
  if (d != s->last_sent_d) {
    s->last_sent_d = d;
    if (s->state == SVRBFD_STATE_UP && s->remote_discr != 0 &&
        !s->poll_active) {
      bfd_start_poll(s, ts);
    }
  }
}

static int bfd_set_state(svrbfd_session *s, svrbfd_state ns, svrbfd_diag diag,
                         svrbfd_tstamp ts) {
  svrbfd_ctx *ctx = s->ctx;
  svrbfd_state old = s->state;
  int rv = 0;
  if (old == ns) {
    return 0;
  }
  int hrv = 0;
  s->state = ns;
  s->local_diag = diag;
  if (old == SVRBFD_STATE_UP) {
    s->down_count++;
    ctx->stats.sessions_up--;
    s->poll_active = 0; /* a pending poll cannot hold back slow start */
    s->poll_pending = 0;
  }
  if (ns == SVRBFD_STATE_UP) {
    s->up_count++;
    s->up_since = ts;
    ctx->stats.sessions_up++;
  }
  bfd_update_desired(s, ts);
  bfd_check_demand_bit(s, ts);
  bfd_mark_tx_now(s); /* 6.8.7: do not delay a state change */
  svrbfd__pq_on_state(s, old, ns, ts); /* echo tests run while Up (6.8.9) */
  /* The protocol state change is reported before the path status it
   * causes (hold-down 0 reports "up" at once), so a host always sees
   * session_state(.., UP) before path_status(.., 1). */
  if (ctx->cb.session_state && !s->deleted &&
      ctx->cb.session_state(ctx, s, old, ns, diag, ts, ctx->user_data) != 0) {
    rv = SVRBFD_ERR_CALLBACK_FAILURE;
  }
  /* The hold-down bookkeeping runs even after a failed callback, so the
   * session stays consistent; the first error is returned. */
  if (old == SVRBFD_STATE_UP) {
    hrv = svrbfd__hold_on_down(s, ts);
  }
  if (ns == SVRBFD_STATE_UP && hrv == 0) {
    hrv = svrbfd__hold_on_up(s, ts);
  }
  return rv != 0 ? rv : hrv;
}

static int bfd_addr_equal(const svrbfd_addr *a, const svrbfd_addr *b) {
  return svrbfd__addr_ip_equal(a, b) && a->port == b->port;
}

/* SVR mode answers the observed source address and port (NAT); RFC 5881
 * and 5883 modes answer port 3784 / 4784 of the observed address. */
static int bfd_update_dest(svrbfd_session *s, const svrbfd_path *path,
                           svrbfd_tstamp ts) {
  svrbfd_ctx *ctx = s->ctx;
  svrbfd_addr obs = path->remote;
  obs.reserved = 0;
  if (s->cfg.mode != SVRBFD_MODE_SVR || obs.port == 0) {
    obs.port = bfd_mode_port(s->cfg.mode);
  }
  if (!s->seen_remote) {
    s->seen_remote = 1;
    s->dest = obs;
    return 0;
  }
  if (!bfd_addr_equal(&obs, &s->dest)) {
    svrbfd_addr before = s->dest;
    s->dest = obs;
    s->remote_changes++;
    if (ctx->cb.remote_changed && !s->deleted &&
        ctx->cb.remote_changed(ctx, s, &before, &obs, ts, ctx->user_data) != 0) {
      return SVRBFD_ERR_CALLBACK_FAILURE;
    }
  }
  return 0;
}

static void bfd_take_metadata(svrbfd_session *s, const svrbfd_pkt *pkt) {
  bfd_meta m;
  if (pkt->trailer_len == 0 || s->cfg.mode != SVRBFD_MODE_SVR) {
    return;
  }
  if (svrbfd__meta_decode(&m, pkt->trailer, pkt->trailer_len) != 0) {
    s->ctx->stats.rx_bad_metadata++;
    return;
  }
  if (m.has_router) {
    memcpy(s->peer_router_name, m.router, sizeof(m.router));
  }
  if (m.has_node) {
    memcpy(s->peer_node_name, m.node, sizeof(m.node));
  }
  if (m.rx_hops >= 0) {
    s->peer_rx_hops = m.rx_hops;
  }
}

/* 6.8.6 steps 11-19, for a packet that passed every check. */
int svrbfd__session_rx(svrbfd_session *s, const svrbfd_path *path,
                       const svrbfd_pkt *pkt, const uint8_t *data, size_t len,
                       svrbfd_tstamp ts) {
  svrbfd_state rs = (svrbfd_state)pkt->state;
  uint32_t old_remote_discr = s->remote_discr;
  int rv;
  (void)data;
  (void)len;

  s->rx_packets++;
  if (svrbfd__auth_has_seq(s->cfg.auth.type)) {
    /* Only now that the digest verified (6.7.3 hardening). */
    s->rcv_seq = pkt->auth_seq;
    s->rcv_seq_known = 1;
  }
  /* step 11 */
  s->remote_discr = pkt->my_discr;
  s->remote_state = rs;
  s->remote_demand = pkt->demand;
  s->remote_min_rx_us = pkt->required_min_rx_us;
  s->remote_tx_us = pkt->desired_min_tx_us;
  s->remote_echo_rx_us = pkt->required_min_echo_rx_us; /* step 12: no echo tx */
  s->remote_mult = pkt->detect_mult;
  s->remote_diag = (svrbfd_diag)pkt->diag;
  s->rx_hops = path->ttl >= 0 && path->ttl <= 255 ? 255 - path->ttl : -1;
  s->last_rx = ts;
  rv = bfd_update_dest(s, path, ts);
  bfd_take_metadata(s, pkt);

  /* step 13: Final ends our Poll; deferred values now apply (6.8.3). */
  if (s->poll_active && pkt->final) {
    s->poll_active = 0;
    s->used_tx_us = s->adv_tx_us;
    s->used_rx_us = s->adv_rx_us;
    if (bfd_local_demand_active(s)) {
      s->detect_at = BFD_NEVER; /* the peer answered: path verified */
    }
  }
  /* step 14 */
  s->detect_time_ns = bfd_detect_time_ns(s);
  if (svrbfd__auth_has_seq(s->cfg.auth.type)) {
    s->seq_reset_at = ts + 2 * s->detect_time_ns; /* 6.8.1 AuthSeqKnown */
  }
  /* step 15 */
  if (s->state == SVRBFD_STATE_ADMIN_DOWN) {
    bfd_arm_detect(s);
    bfd_arm_tx(s, ts);
    return rv != 0 ? rv : SVRBFD_ERR_PKT_ADMIN_DOWN;
  }
  /* step 16: state machine (6.2; table in docs/libsvrbfd.md) */
  if (rv == 0) {
    if (rs == SVRBFD_STATE_ADMIN_DOWN) {
      if (s->state != SVRBFD_STATE_DOWN) {
        rv = bfd_set_state(s, SVRBFD_STATE_DOWN, SVRBFD_DIAG_NEIGHBOR_DOWN, ts);
      }
    } else if (s->state == SVRBFD_STATE_DOWN && s->probe) {
      /* probe role: Up once the peer shows it heard us, never Init */
      if (rs == SVRBFD_STATE_INIT || rs == SVRBFD_STATE_UP ||
          pkt->your_discr != 0) {
        rv = bfd_set_state(s, SVRBFD_STATE_UP, SVRBFD_DIAG_NONE, ts);
      } else if (old_remote_discr != pkt->my_discr) {
        bfd_mark_tx_now(s); /* reflect its discriminator at once */
      }
    } else if (s->state == SVRBFD_STATE_DOWN) {
      if (rs == SVRBFD_STATE_DOWN) {
        rv = bfd_set_state(s, SVRBFD_STATE_INIT, SVRBFD_DIAG_NONE, ts);
      } else if (rs == SVRBFD_STATE_INIT) {
        rv = bfd_set_state(s, SVRBFD_STATE_UP, SVRBFD_DIAG_NONE, ts);
      }
    } else if (s->state == SVRBFD_STATE_INIT) {
      if (rs == SVRBFD_STATE_INIT || rs == SVRBFD_STATE_UP) {
        rv = bfd_set_state(s, SVRBFD_STATE_UP, SVRBFD_DIAG_NONE, ts);
      }
    } else { /* Up */
      /* a prober peer keeps sending Down with our discriminator */
      if (rs == SVRBFD_STATE_DOWN && !(s->probe && pkt->your_discr != 0)) {
        rv = bfd_set_state(s, SVRBFD_STATE_DOWN, SVRBFD_DIAG_NEIGHBOR_DOWN, ts);
      }
    }
  }
  bfd_check_demand_bit(s, ts);
  /* 6.5: a change queued behind a Poll starts once a packet without F
   * shows the peer saw the end of the previous one. */
  if (!s->poll_active && s->poll_pending && !pkt->final) {
    s->poll_pending = 0;
    bfd_update_desired(s, ts);
  }
  /* step 17: periodic transmission on or off */
  bfd_arm_tx(s, ts);
  /* step 18: answer a Poll with Final at once */
  if (pkt->poll) {
    s->final_pending = 1;
    svrbfd__ctx_ready_push(s->ctx, s);
  }
  /* step 19 */
  bfd_arm_detect(s);
  return rv;
}

static uint16_t bfd_local_port(const svrbfd_session *s) {
  if (s->cfg.local.port != 0) {
    return s->cfg.local.port;
  }
  if (s->cfg.mode != SVRBFD_MODE_SVR) {
    /* RFC 5881 section 4 (and RFC 5883 section 5): 49152-65535, fixed
     * for the session. */
    return (uint16_t)(49152u + (s->local_discr & 0x3fffu));
  }
  return SVRBFD_PORT_SVR;
}

/* 6.8.7: builds the packet for this session; 0 when nothing may be sent. */
svrbfd_ssize svrbfd__session_build(svrbfd_session *s, svrbfd_path *path,
                                   uint8_t *buf, size_t buflen,
                                   svrbfd_tstamp ts) {
  svrbfd_pkt p;
  size_t alen = svrbfd__auth_section_len(&s->cfg.auth);
  size_t len = SVRBFD_MIN_PKT_LEN + alen;
  size_t total = len;
  int final = s->final_pending;

  if (!final && s->cfg.passive && s->remote_discr == 0) {
    s->tx_due = 0;
    return 0; /* 6.1 passive role */
  }
  if (!final && !s->tx_due) {
    return 0;
  }
  if (buflen < len) {
    return SVRBFD_ERR_NOBUF;
  }
  memset(&p, 0, sizeof(p));
  p.version = 1;
  p.diag = (uint8_t)s->local_diag;
  p.state = (uint8_t)s->state;
  if (s->probe && s->state != SVRBFD_STATE_ADMIN_DOWN) {
    p.state = SVRBFD_STATE_DOWN; /* probe role: never Init or Up */
  }
  p.final = (uint8_t)final;
  p.poll = (uint8_t)(s->poll_active && !final); /* never both (6.5) */
  p.auth_present = alen ? 1 : 0;
  p.demand = (uint8_t)bfd_local_demand_active(s);
  p.detect_mult = s->detect_mult;
  p.length = (uint8_t)len;
  p.my_discr = s->local_discr;
  p.your_discr = s->remote_discr;
  p.desired_min_tx_us = s->adv_tx_us;
  p.required_min_rx_us = s->adv_rx_us;
  p.required_min_echo_rx_us = s->cfg.required_min_echo_rx_us;
  (void)svrbfd_pkt_encode(buf, buflen, &p);
  if (s->cfg.mode == SVRBFD_MODE_SVR && s->cfg.send_metadata) {
    svrbfd_ssize m = svrbfd__meta_encode(buf + len, buflen - len,
                                         s->ctx->router_name, s->ctx->node_name,
                                         s->rx_hops);
    if (m < 0) {
      return SVRBFD_ERR_NOBUF;
    }
    total += (size_t)m;
  }
  if (alen) {
    int rv = svrbfd__auth_sign(s->hmac, &s->cfg.auth, s->xmit_seq, buf,
                               len);
    if (rv != 0) {
      return rv;
    }
    if (svrbfd__auth_has_seq(s->cfg.auth.type)) {
      s->xmit_seq++; /* 6.7.3: every packet (required when meticulous) */
    }
  }
  memset(path, 0, sizeof(*path));
  path->local = s->cfg.local;
  path->local.port = bfd_local_port(s);
  path->remote = s->dest;
  path->ttl = 255; /* RFC 5881 section 5 and SVR hop counting */

  s->final_pending = 0;
  s->tx_due = 0;
  s->tx_packets++;
  if (!svrbfd__session_periodic_allowed(s)) {
    s->next_tx = BFD_NEVER;
  } else if (s->next_tx == BFD_NEVER || s->next_tx <= ts) {
    s->next_tx = ts + svrbfd__jitter(svrbfd__tx_interval_ns(s), s->detect_mult,
                                     &s->ctx->rng);
  }
  return (svrbfd_ssize)total;
}

/* A whole echo burst lost (pq_session.c).  In Demand mode nothing else
 * watches the path, so the session goes Down with Diag 2 (RFC 5880 6.6,
 * 6.8.5); otherwise the async detection timer is the judge. */
int svrbfd__session_echo_failed(svrbfd_session *s, svrbfd_tstamp ts) {
  int rv;
  if (!bfd_local_demand_active(s)) {
    return 0;
  }
  rv = bfd_set_state(s, SVRBFD_STATE_DOWN, SVRBFD_DIAG_ECHO_FAILED, ts);
  s->remote_state = SVRBFD_STATE_DOWN;
  s->remote_demand = 0;
  s->poll_active = 0;
  s->last_sent_d = 0;
  bfd_arm_tx(s, ts);
  svrbfd__session_reschedule(s);
  return rv;
}

int svrbfd__session_expiry(svrbfd_session *s, svrbfd_tstamp ts) {
  int rv = 0;
  if (s->next_tx <= ts) {
    /* Schedule the following packet now, so the heap moves once per
     * packet (the ready list carries this one to write_pkt). */
    bfd_mark_tx_now(s);
    s->next_tx = svrbfd__session_periodic_allowed(s)
                     ? ts + svrbfd__jitter(svrbfd__tx_interval_ns(s),
                                           s->detect_mult, &s->ctx->rng)
                     : BFD_NEVER;
  }
  if (s->detect_at <= ts) {
    s->detect_at = BFD_NEVER;
    if (s->state == SVRBFD_STATE_INIT || s->state == SVRBFD_STATE_UP) {
      rv = bfd_set_state(s, SVRBFD_STATE_DOWN, SVRBFD_DIAG_CTL_DETECT_EXPIRED,
                         ts);
    }
    /* 6.8.1: RemoteDiscr back to 0 after a Detection Time of silence. */
    s->remote_discr = 0;
    s->remote_state = SVRBFD_STATE_DOWN;
    s->remote_demand = 0;
    s->poll_active = 0;
    s->last_sent_d = 0;
    bfd_arm_tx(s, ts);
  }
  if (s->seq_reset_at <= ts) {
    s->seq_reset_at = BFD_NEVER;
    s->rcv_seq_known = 0; /* 6.8.1: after 2x Detection Time */
  }
  if (rv == 0) {
    rv = svrbfd__hold_expiry(s, ts);
  }
  svrbfd__session_reschedule(s);
  return rv;
}

int svrbfd_session_set_admin_down(svrbfd_session *s, int down,
                                  svrbfd_tstamp ts) {
  int rv;
  svrbfd_ctx *ctx;
  if (s == NULL || s->deleted) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  ctx = s->ctx;
  svrbfd__ctx_enter(ctx);
  if (down) {
    rv = bfd_set_state(s, SVRBFD_STATE_ADMIN_DOWN, SVRBFD_DIAG_ADMIN_DOWN, ts);
  } else if (s->state == SVRBFD_STATE_ADMIN_DOWN) {
    rv = bfd_set_state(s, SVRBFD_STATE_DOWN, SVRBFD_DIAG_NONE, ts);
  } else {
    rv = 0;
  }
  bfd_arm_tx(s, ts);
  svrbfd__session_reschedule(s);
  svrbfd__ctx_leave(ctx); /* |s| may be freed here */
  return rv;
}

int svrbfd_session_set_probe(svrbfd_session *s, int on) {
  if (s == NULL || s->deleted) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  s->probe = on ? 1 : 0;
  return 0;
}

int svrbfd_session_set_timers(svrbfd_session *s, uint32_t desired_min_tx_us,
                              uint32_t required_min_rx_us, uint8_t detect_mult,
                              svrbfd_tstamp ts) {
  if (s == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (detect_mult < 3 || detect_mult > 20) {
    return SVRBFD_ERR_DETECT_MULT;
  }
  if (desired_min_tx_us == 0 || desired_min_tx_us > BFD_MAX_INTERVAL_US ||
      required_min_rx_us > BFD_MAX_INTERVAL_US) {
    return SVRBFD_ERR_INTERVAL;
  }
  s->cfg.desired_min_tx_us = desired_min_tx_us;
  s->cfg.required_min_rx_us = required_min_rx_us;
  s->cfg.detect_mult = detect_mult;
  bfd_update_desired(s, ts);
  svrbfd__session_reschedule(s);
  return 0;
}

int svrbfd_session_poll(svrbfd_session *s, svrbfd_tstamp ts) {
  if (s == NULL) {
    return SVRBFD_ERR_INVALID_ARGUMENT;
  }
  if (!s->poll_active) {
    bfd_start_poll(s, ts);
  }
  svrbfd__session_reschedule(s);
  return 0;
}
