/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrbfd session and context unit tests: one context, packets from a
 * scripted peer, literal timestamps.  RFC 5880 sections cited per test.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bfd_int.h"
#include "svr_meta.h"
#include "svr_test.h"

#define MS SVRBFD_MILLISECONDS
#define SEC SVRBFD_SECONDS
#define PEER 0xabcd1234u

typedef struct rec {
  int nstate;
  svrbfd_state old[64], nw[64];
  svrbfd_diag diag[64];
  int nstatus;
  int status[64];
  uint64_t status_ts[64];
  int nremote;
  uint16_t remote_port;
  uint64_t rng;
  uint64_t remote_ts;
  int nev;
  int ev[128]; /* callback order: 100 + new state, 200 + path status */
} rec;

static rec R;

static void t_rand(uint8_t *d, size_t n, void *u) {
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    d[i] = (uint8_t)(svr_test_rand(&R.rng) >> 17);
  }
}
static int t_state(svrbfd_ctx *c, svrbfd_session *s, svrbfd_state o,
                   svrbfd_state n, svrbfd_diag d, svrbfd_tstamp ts, void *u) {
  (void)c;
  (void)s;
  (void)ts;
  (void)u;
  if (R.nev < 128) {
    R.ev[R.nev++] = 100 + (int)n;
  }
  if (R.nstate < 64) {
    R.old[R.nstate] = o;
    R.nw[R.nstate] = n;
    R.diag[R.nstate] = d;
    R.nstate++;
  }
  return 0;
}
static int t_status(svrbfd_ctx *c, svrbfd_session *s, int up, svrbfd_tstamp ts,
                    void *u) {
  (void)c;
  (void)s;
  (void)u;
  if (R.nev < 128) {
    R.ev[R.nev++] = 200 + up;
  }
  if (R.nstatus < 64) {
    R.status[R.nstatus] = up;
    R.status_ts[R.nstatus] = ts;
    R.nstatus++;
  }
  return 0;
}
static int t_remote(svrbfd_ctx *c, svrbfd_session *s, const svrbfd_addr *b,
                    const svrbfd_addr *n, svrbfd_tstamp ts, void *u) {
  (void)c;
  (void)s;
  (void)b;
  (void)u;
  R.remote_ts = ts;
  R.nremote++;
  R.remote_port = n->port;
  return 0;
}

static svrbfd_ctx *mkctx(void) {
  svrbfd_callbacks cb;
  svrbfd_settings st;
  svrbfd_ctx *ctx = NULL;
  memset(&R, 0, sizeof(R));
  R.rng = 7;
  memset(&cb, 0, sizeof(cb));
  cb.rand = t_rand;
  cb.session_state = t_state;
  cb.path_status = t_status;
  cb.remote_changed = t_remote;
  svrbfd_settings_default(&st);
  st.router_name = "me";
  st.node_name = "node-a";
  CU_ASSERT_FATAL(svrbfd_ctx_new(&ctx, &cb, &st, NULL, NULL) == 0);
  return ctx;
}

static void addr4(svrbfd_addr *a, uint8_t last, uint16_t port) {
  memset(a, 0, sizeof(*a));
  a->family = 4;
  a->addr[0] = 192;
  a->addr[1] = 0;
  a->addr[2] = 2;
  a->addr[3] = last;
  a->port = port;
}

static void mkcfg(svrbfd_session_config *cfg) {
  svrbfd_session_config_default(cfg);
  addr4(&cfg->local, 1, 0);
  addr4(&cfg->remote, 2, 0);
}

static svrbfd_session *mksess(svrbfd_ctx *ctx, svrbfd_session_config *cfg,
                              uint64_t ts) {
  svrbfd_session *s = NULL;
  CU_ASSERT_FATAL(svrbfd_session_new(ctx, &s, cfg, NULL, ts) == 0);
  return s;
}

typedef struct peer {
  uint8_t state, poll, final, demand, mult;
  uint32_t your, tx, rx;
  int ttl;
  uint16_t port;
} peer;

static void peer_default(peer *p) {
  memset(p, 0, sizeof(*p));
  p->state = SVRBFD_STATE_DOWN;
  p->mult = 3;
  p->tx = 1000000;
  p->rx = 1000000;
  p->ttl = 255;
  p->port = SVRBFD_PORT_SVR;
}

static size_t peer_build(const peer *pp, uint8_t *buf) {
  svrbfd_pkt p;
  memset(&p, 0, sizeof(p));
  p.version = 1;
  p.state = pp->state;
  p.poll = pp->poll;
  p.final = pp->final;
  p.demand = pp->demand;
  p.detect_mult = pp->mult;
  p.my_discr = PEER;
  p.your_discr = pp->your;
  p.desired_min_tx_us = pp->tx;
  p.required_min_rx_us = pp->rx;
  (void)svrbfd_pkt_encode(buf, 24, &p);
  return 24;
}

static void peer_path(const peer *pp, svrbfd_path *path) {
  memset(path, 0, sizeof(*path));
  addr4(&path->local, 1, SVRBFD_PORT_SVR);
  addr4(&path->remote, 2, pp->port);
  path->ttl = pp->ttl;
}

static int feed(svrbfd_ctx *ctx, const peer *pp, uint64_t ts) {
  uint8_t buf[64];
  svrbfd_path path;
  size_t n = peer_build(pp, buf);
  peer_path(pp, &path);
  return svrbfd_ctx_read_pkt(ctx, &path, buf, n, ts);
}

/* Writes one packet due at |ts|; returns its length (0: none). */
static svrbfd_ssize take(svrbfd_ctx *ctx, uint64_t ts, svrbfd_pkt *out,
                         svrbfd_path *path, uint8_t *buf) {
  svrbfd_path p2;
  uint8_t b2[SVRBFD_MAX_PKT_LEN];
  svrbfd_ssize n =
      svrbfd_ctx_write_pkt(ctx, path ? path : &p2, buf ? buf : b2,
                           SVRBFD_MAX_PKT_LEN, ts);
  if (n > 0 && out) {
    CU_ASSERT_EQUAL(svrbfd_pkt_decode(out, buf ? buf : b2, (size_t)n), 0);
  }
  return n;
}

static void drain(svrbfd_ctx *ctx, uint64_t ts) {
  while (take(ctx, ts, NULL, NULL, NULL) > 0) {
  }
}

/* Brings a fresh session Up through the three-way handshake at |ts|. */
static svrbfd_session *bring_up(svrbfd_ctx *ctx, svrbfd_session_config *cfg,
                                peer *pp, uint64_t ts) {
  svrbfd_session *s = mksess(ctx, cfg, ts);
  svrbfd_session_info info;
  drain(ctx, ts);
  pp->state = SVRBFD_STATE_INIT;
  svrbfd_session_get_info(s, &info);
  pp->your = info.local_discr;
  CU_ASSERT_EQUAL(feed(ctx, pp, ts), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL_FATAL(info.state, SVRBFD_STATE_UP);
  pp->state = SVRBFD_STATE_UP;
  drain(ctx, ts);
  return s;
}

static void test_config_errors(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s = NULL;
  mkcfg(&cfg);
  cfg.detect_mult = 2;
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0),
                  SVRBFD_ERR_DETECT_MULT);
  cfg.detect_mult = 21;
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0),
                  SVRBFD_ERR_DETECT_MULT);
  mkcfg(&cfg);
  cfg.desired_min_tx_us = 0;
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0),
                  SVRBFD_ERR_INTERVAL);
  cfg.desired_min_tx_us = 4294000001u;
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0),
                  SVRBFD_ERR_INTERVAL);
  mkcfg(&cfg);
  cfg.auth.type = SVRBFD_AUTH_KEYED_MD5;
  cfg.auth.key_len = 17;
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0),
                  SVRBFD_ERR_AUTH_CONFIG);
  mkcfg(&cfg);
  cfg.remote.family = 6;
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0),
                  SVRBFD_ERR_ADDRESS);
  mkcfg(&cfg);
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0), 0);
  {
    svrbfd_session *dup = NULL;
    CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &dup, &cfg, NULL, 0),
                    SVRBFD_ERR_SESSION_EXISTS);
    CU_ASSERT_PTR_NULL(dup);
  }
  CU_ASSERT_EQUAL(svrbfd_session_set_timers(s, 100000, 100000, 2, 0),
                  SVRBFD_ERR_DETECT_MULT);
  CU_ASSERT_EQUAL(svrbfd_session_set_timers(s, 0, 100000, 3, 0),
                  SVRBFD_ERR_INTERVAL);
  svrbfd_ctx_del(ctx);
}

static void test_three_way_handshake(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_pkt p;
  peer pp;
  mkcfg(&cfg);
  s = mksess(ctx, &cfg, 1000);
  CU_ASSERT_EQUAL(svrbfd_ctx_get_expiry(ctx), 1000);
  CU_ASSERT_EQUAL(take(ctx, 999, &p, NULL, NULL), 0);
  CU_ASSERT(take(ctx, 1000, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(p.your_discr, 0);
  CU_ASSERT_EQUAL(p.desired_min_tx_us, 1000000u); /* slow start */
  CU_ASSERT_EQUAL(p.required_min_rx_us, 500000u);
  CU_ASSERT_EQUAL(p.detect_mult, 3);
  CU_ASSERT_EQUAL(p.auth_present, 0);
  peer_default(&pp);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2000), 0); /* Down -> Init */
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
  CU_ASSERT_EQUAL(info.remote_discr, PEER);
  CU_ASSERT(take(ctx, 2000, &p, NULL, NULL) > 0); /* sent at once */
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_INIT);
  CU_ASSERT_EQUAL(p.your_discr, PEER);
  pp.state = SVRBFD_STATE_UP;
  pp.your = info.local_discr;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 3000), 0); /* Init -> Up */
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(info.up_count, 1);
  CU_ASSERT_EQUAL(R.nstate, 2);
  CU_ASSERT_EQUAL(R.nw[0], SVRBFD_STATE_INIT);
  CU_ASSERT_EQUAL(R.nw[1], SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(info.up, 0); /* hold-down still running */
  /* Up + rx Init: stay Up; Up + rx Down: Down, diag 3 */
  pp.state = SVRBFD_STATE_INIT;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 4000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  pp.state = SVRBFD_STATE_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 5000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(info.local_diag, SVRBFD_DIAG_NEIGHBOR_DOWN);
  CU_ASSERT_EQUAL(info.down_count, 1);
  CU_ASSERT(take(ctx, 5000, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.diag, SVRBFD_DIAG_NEIGHBOR_DOWN);
  svrbfd_ctx_del(ctx);
}

static void test_table_rows(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  peer pp;
  mkcfg(&cfg);
  s = mksess(ctx, &cfg, 0);
  svrbfd_session_get_info(s, &info);
  peer_default(&pp);
  /* Down + rx Up: stay Down */
  pp.state = SVRBFD_STATE_UP;
  pp.your = info.local_discr;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 10), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  /* Down + rx AdminDown: stay Down */
  pp.state = SVRBFD_STATE_ADMIN_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 20), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  /* Down + rx Init: Up directly */
  pp.state = SVRBFD_STATE_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 30), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
  /* Init + rx Down: stay Init; Init + rx AdminDown: Down diag 3 */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 40), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
  pp.state = SVRBFD_STATE_ADMIN_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 50), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(info.local_diag, SVRBFD_DIAG_NEIGHBOR_DOWN);
  pp.state = SVRBFD_STATE_INIT;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 60), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  /* Up + rx AdminDown: Down diag 3 */
  pp.state = SVRBFD_STATE_ADMIN_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 70), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(info.local_diag, SVRBFD_DIAG_NEIGHBOR_DOWN);
  svrbfd_ctx_del(ctx);
}

static void test_detection_expiry(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  peer pp;
  mkcfg(&cfg);
  peer_default(&pp);
  s = bring_up(ctx, &cfg, &pp, 0);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1 * SEC), 0);
  svrbfd_session_get_info(s, &info);
  /* 6.8.4: 3 x max(our rx 500 ms, peer tx 1 s) = 3 s after the last rx */
  CU_ASSERT_EQUAL(info.detect_time_ns, 3 * SEC);
  CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, 4 * SEC - 1), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, 4 * SEC), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(info.local_diag, SVRBFD_DIAG_CTL_DETECT_EXPIRED);
  CU_ASSERT_EQUAL(info.remote_discr, 0); /* 6.8.1 */
  CU_ASSERT_EQUAL(R.diag[R.nstate - 1], SVRBFD_DIAG_CTL_DETECT_EXPIRED);
  svrbfd_ctx_del(ctx);
}

static void test_discr_rules(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_ctx_stats st;
  peer pp;
  mkcfg(&cfg);
  s = mksess(ctx, &cfg, 0);
  peer_default(&pp);
  pp.state = SVRBFD_STATE_UP; /* step 8 */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1), SVRBFD_ERR_PKT_YOUR_DISCR);
  pp.state = SVRBFD_STATE_INIT;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1), SVRBFD_ERR_PKT_YOUR_DISCR);
  svrbfd_session_get_info(s, &info);
  pp.your = info.local_discr + 1; /* step 7 */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1), SVRBFD_ERR_PKT_NO_SESSION);
  /* Your Discr 0 from an unknown address: no session (step 9) */
  {
    uint8_t buf[64];
    svrbfd_path path;
    peer q;
    peer_default(&q);
    peer_path(&q, &path);
    path.remote.addr[3] = 99;
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, peer_build(&q, buf),
                                        1),
                    SVRBFD_ERR_PKT_NO_SESSION);
    buf[2] = 0;
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, 24, 1),
                    SVRBFD_ERR_PKT_DETECT_MULT);
  }
  svrbfd_ctx_get_stats(ctx, &st);
  CU_ASSERT_EQUAL(st.rx_drop[-SVRBFD_ERR_PKT_YOUR_DISCR - 300], 2);
  CU_ASSERT_EQUAL(st.rx_drop[-SVRBFD_ERR_PKT_NO_SESSION - 300], 2);
  CU_ASSERT_EQUAL(st.rx_drop[-SVRBFD_ERR_PKT_DETECT_MULT - 300], 1);
  CU_ASSERT_EQUAL(st.rx_packets, 5);
  CU_ASSERT_EQUAL(st.rx_accepted, 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(info.remote_discr, 0); /* bad input changed nothing */
  CU_ASSERT_EQUAL(info.rx_packets, 0);
  svrbfd_ctx_del(ctx);
}

static void test_admin_down(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_pkt p;
  peer pp;
  mkcfg(&cfg);
  peer_default(&pp);
  s = bring_up(ctx, &cfg, &pp, 0);
  CU_ASSERT_EQUAL(svrbfd_session_set_admin_down(s, 1, 100), 0);
  CU_ASSERT(take(ctx, 100, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_ADMIN_DOWN);
  CU_ASSERT_EQUAL(p.diag, SVRBFD_DIAG_ADMIN_DOWN);
  /* -317 discards a packet that passed every check only after 6.8.6 steps
   * 11-14 took the peer's values (docs/libsvrbfd.md): here its new timers */
  pp.tx = 700000;
  pp.rx = 800000;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 200), SVRBFD_ERR_PKT_ADMIN_DOWN); /* 15 */
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_ADMIN_DOWN);
  CU_ASSERT_EQUAL(info.remote_desired_min_tx_us, 700000);
  CU_ASSERT_EQUAL(info.remote_required_min_rx_us, 800000);
  CU_ASSERT_EQUAL(info.rx_drops, 1);
  CU_ASSERT_EQUAL(svrbfd_session_set_admin_down(s, 0, 300), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  svrbfd_ctx_del(ctx);
}

static void test_poll_answered_with_final(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_pkt p;
  peer pp;
  mkcfg(&cfg);
  peer_default(&pp);
  (void)bring_up(ctx, &cfg, &pp, 0);
  pp.poll = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 200 * MS), 0);
  CU_ASSERT(take(ctx, 200 * MS, &p, NULL, NULL) > 0); /* step 18: at once */
  CU_ASSERT_EQUAL(p.final, 1);
  CU_ASSERT_EQUAL(p.poll, 0);
  CU_ASSERT_EQUAL(take(ctx, 200 * MS, &p, NULL, NULL), 0);
  svrbfd_ctx_del(ctx);
}

/* 6.8.3 slow start, then the configured value through a Poll. */
static void test_slow_start_poll(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_pkt p;
  peer pp;
  mkcfg(&cfg);
  cfg.desired_min_tx_us = 100000;
  cfg.required_min_rx_us = 100000;
  s = mksess(ctx, &cfg, 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.desired_min_tx_us, 1000000u);
  peer_default(&pp);
  pp.rx = 50000;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 0), 0); /* Init */
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.tx_interval_ns, 1 * SEC);
  CU_ASSERT_EQUAL(info.poll_active, 0);
  pp.state = SVRBFD_STATE_UP;
  pp.your = info.local_discr;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 10 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(info.desired_min_tx_us, 100000u);
  CU_ASSERT_EQUAL(info.tx_interval_ns, 100 * MS); /* faster: at once */
  CU_ASSERT_EQUAL(info.poll_active, 1);
  CU_ASSERT(take(ctx, 10 * MS, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.poll, 1);
  CU_ASSERT_EQUAL(p.desired_min_tx_us, 100000u);
  pp.final = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 20 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.poll_active, 0);
  /* the next periodic packet comes within 100 ms and has no P */
  CU_ASSERT(svrbfd_ctx_get_expiry(ctx) <= 110 * MS);
  CU_ASSERT(take(ctx, 110 * MS, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.poll, 0);
  svrbfd_ctx_del(ctx);
}

/* 6.8.3 asymmetric rules: slower tx / faster rx only after Final. */
static void test_asymmetric_poll(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_pkt p;
  peer pp;
  mkcfg(&cfg);
  cfg.desired_min_tx_us = 100000;
  cfg.required_min_rx_us = 100000;
  peer_default(&pp);
  pp.tx = 50000;
  pp.rx = 50000;
  s = bring_up(ctx, &cfg, &pp, 0);
  pp.final = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1 * MS), 0); /* ends the Up poll */
  pp.final = 0;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.poll_active, 0);
  CU_ASSERT_EQUAL(info.tx_interval_ns, 100 * MS);
  CU_ASSERT_EQUAL(info.detect_time_ns, 300 * MS);

  /* slower tx: advertised now, used only after Final */
  CU_ASSERT_EQUAL(svrbfd_session_set_timers(s, 500000, 100000, 3, 3 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.poll_active, 1);
  CU_ASSERT_EQUAL(info.desired_min_tx_us, 500000u);
  CU_ASSERT_EQUAL(info.tx_interval_ns, 100 * MS);
  drain(ctx, 3 * MS);
  CU_ASSERT(take(ctx, 103 * MS, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.poll, 1);
  CU_ASSERT_EQUAL(p.desired_min_tx_us, 500000u);
  pp.final = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 110 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.poll_active, 0);
  CU_ASSERT_EQUAL(info.tx_interval_ns, 500 * MS);
  pp.final = 0;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 120 * MS), 0);

  /* faster rx: detection time keeps the old value until Final */
  CU_ASSERT_EQUAL(svrbfd_session_set_timers(s, 500000, 20000, 3, 130 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.required_min_rx_us, 20000u);
  CU_ASSERT_EQUAL(info.detect_time_ns, 300 * MS); /* 3 x max(100, 50) */
  pp.final = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 140 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.detect_time_ns, 150 * MS); /* 3 x max(20, 50) */
  pp.final = 0;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 150 * MS), 0);

  /* slower rx: at once (and still a Poll) */
  CU_ASSERT_EQUAL(svrbfd_session_set_timers(s, 500000, 200000, 3, 160 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.detect_time_ns, 600 * MS);
  CU_ASSERT_EQUAL(info.poll_active, 1);
  /* a second change during the Poll waits for it (6.5) */
  CU_ASSERT_EQUAL(svrbfd_session_set_timers(s, 400000, 200000, 3, 170 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.desired_min_tx_us, 500000u);
  pp.final = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 180 * MS), 0);
  pp.final = 0;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 190 * MS), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.desired_min_tx_us, 400000u);
  CU_ASSERT_EQUAL(info.poll_active, 1);
  CU_ASSERT_EQUAL(info.tx_interval_ns, 400 * MS); /* faster: at once */
  svrbfd_ctx_del(ctx);
}

/* 6.8.7: nothing periodic when the peer's Required Min RX is 0. */
static void test_remote_min_rx_zero(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_pkt p;
  peer pp;
  uint64_t t;
  int sent = 0;
  mkcfg(&cfg);
  peer_default(&pp);
  (void)bring_up(ctx, &cfg, &pp, 0);
  pp.rx = 0;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1 * MS), 0);
  drain(ctx, 1 * MS);
  for (t = 10 * MS; t < 2 * SEC; t += 10 * MS) {
    CU_ASSERT_EQUAL(feed(ctx, &pp, t), 0);
    while (take(ctx, t, &p, NULL, NULL) > 0) {
      sent++;
    }
  }
  CU_ASSERT_EQUAL(sent, 0);
  pp.poll = 1; /* a Poll is still answered */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2 * SEC), 0);
  CU_ASSERT(take(ctx, 2 * SEC, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.final, 1);
  svrbfd_ctx_del(ctx);
}

/* 6.8.7: statistical jitter bounds over many draws. */
static void test_jitter_bounds(void) {
  uint64_t rng = 12345, iv = 1 * SEC, lo = UINT64_MAX, hi = 0, sum = 0, j;
  int i, n = 200000;
  for (i = 0; i < n; i++) {
    j = svrbfd__jitter(iv, 3, &rng);
    lo = j < lo ? j : lo;
    hi = j > hi ? j : hi;
    sum += j / 1000;
  }
  CU_ASSERT(lo >= 750 * MS);
  CU_ASSERT(hi <= 1000 * MS);
  CU_ASSERT(lo < 751 * MS); /* the whole range is used */
  CU_ASSERT(hi > 999 * MS);
  /* mean 87.5 %: the sd of the mean is ~0.016 %, allow 0.2 % */
  CU_ASSERT(sum / (uint64_t)n > 873000 && sum / (uint64_t)n < 877000);
  lo = UINT64_MAX;
  hi = 0;
  for (i = 0; i < n; i++) {
    j = svrbfd__jitter(iv, 1, &rng);
    lo = j < lo ? j : lo;
    hi = j > hi ? j : hi;
  }
  CU_ASSERT(lo >= 750 * MS);
  CU_ASSERT(hi <= 900 * MS);
  CU_ASSERT(lo < 751 * MS);
  CU_ASSERT(hi > 899 * MS);
  /* tiny intervals stay in range too */
  for (i = 0; i < 1000; i++) {
    j = svrbfd__jitter(3, 3, &rng);
    CU_ASSERT(j >= 2 && j <= 3);
  }
}

/* Periodic packets of a real session respect [75 %, 100 %]. */
static void test_periodic_spacing(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  peer pp;
  uint64_t last = 0, t;
  int k = 0;
  mkcfg(&cfg);
  cfg.desired_min_tx_us = 100000;
  peer_default(&pp);
  pp.rx = 100000;
  pp.tx = 100000;
  (void)bring_up(ctx, &cfg, &pp, 0);
  pp.final = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 0), 0);
  pp.final = 0;
  drain(ctx, 0);
  last = 0;
  for (k = 0; k < 500; k++) {
    t = svrbfd_ctx_get_expiry(ctx);
    CU_ASSERT_FATAL(t != SVRBFD_TSTAMP_MAX);
    if (k % 3 == 0) { /* keep the session Up */
      CU_ASSERT_EQUAL(feed(ctx, &pp, t), 0);
    }
    if (take(ctx, t, NULL, NULL, NULL) > 0) {
      if (last != 0) {
        CU_ASSERT(t - last >= 75 * MS && t - last <= 100 * MS);
      }
      last = t;
    }
  }
  svrbfd_ctx_del(ctx);
}

static size_t signed_peer_pkt(const peer *pp, const svrbfd_auth *a,
                              uint32_t seq, uint8_t *buf) {
  size_t alen = svrbfd__auth_section_len(a);
  svrbfd_pkt p;
  memset(&p, 0, sizeof(p));
  p.version = 1;
  p.state = pp->state;
  p.auth_present = 1;
  p.detect_mult = pp->mult;
  p.length = (uint8_t)(24 + alen);
  p.my_discr = PEER;
  p.your_discr = pp->your;
  p.desired_min_tx_us = pp->tx;
  p.required_min_rx_us = pp->rx;
  (void)svrbfd_pkt_encode(buf, 24, &p);
  CU_ASSERT_EQUAL(svrbfd__auth_sign(NULL, a, seq, buf, 24 + alen), 0);
  return 24 + alen;
}

static void set_key(svrbfd_auth *a, svrbfd_auth_type t, const char *k) {
  memset(a, 0, sizeof(*a));
  a->type = t;
  a->key_id = 5;
  a->key_len = (uint8_t)strlen(k);
  memcpy(a->key, k, a->key_len);
}

static void test_auth_session(void) {
  static const svrbfd_auth_type types[] = {
      SVRBFD_AUTH_SIMPLE, SVRBFD_AUTH_KEYED_MD5,
      SVRBFD_AUTH_METICULOUS_KEYED_MD5, SVRBFD_AUTH_KEYED_SHA1,
      SVRBFD_AUTH_METICULOUS_KEYED_SHA1, SVRBFD_AUTH_HMAC_SHA256};
  size_t ti;
  for (ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
    svrbfd_ctx *ctx = mkctx();
    svrbfd_session_config cfg;
    svrbfd_session *s;
    svrbfd_session_info info;
    svrbfd_auth good, bad;
    svrbfd_path path;
    uint8_t buf[128];
    size_t n;
    peer pp;
    int seqd = svrbfd__auth_has_seq(types[ti]);
    mkcfg(&cfg);
    set_key(&cfg.auth, types[ti], "sekrit");
    good = cfg.auth;
    set_key(&bad, types[ti], "sekrut");
    s = mksess(ctx, &cfg, 0);
    peer_default(&pp);
    peer_path(&pp, &path);
    /* our packets are signed and verify with the shared key */
    {
      svrbfd_pkt p;
      uint8_t out[SVRBFD_MAX_PKT_LEN];
      CU_ASSERT(take(ctx, 0, &p, NULL, out) > 0);
      CU_ASSERT_EQUAL(p.auth_present, 1);
      CU_ASSERT_EQUAL(p.auth_type, (uint8_t)types[ti]);
      CU_ASSERT_EQUAL(p.auth_key_id, 5);
    }
    /* wrong key: never accepted, nothing changes */
    n = signed_peer_pkt(&pp, &bad, 100, buf);
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 1),
                    SVRBFD_ERR_PKT_AUTH_DIGEST);
    svrbfd_session_get_info(s, &info);
    CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
    CU_ASSERT_EQUAL(info.auth_failures, 1);
    CU_ASSERT_EQUAL(s->rcv_seq_known, 0); /* only after a verified digest */
    /* missing auth, wrong key id, wrong type */
    n = peer_build(&pp, buf);
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 2),
                    SVRBFD_ERR_PKT_AUTH_MISSING);
    good.key_id = 6;
    n = signed_peer_pkt(&pp, &good, 100, buf);
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 3),
                    SVRBFD_ERR_PKT_AUTH_KEY_ID);
    good.key_id = 5;
    {
      svrbfd_auth other;
      set_key(&other, types[ti] == SVRBFD_AUTH_KEYED_SHA1
                          ? SVRBFD_AUTH_METICULOUS_KEYED_SHA1
                          : SVRBFD_AUTH_KEYED_SHA1,
              "sekrit");
      n = signed_peer_pkt(&pp, &other, 100, buf);
      CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 4),
                      SVRBFD_ERR_PKT_AUTH_TYPE);
    }
    /* the right key: Init */
    n = signed_peer_pkt(&pp, &good, 100, buf);
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 10), 0);
    svrbfd_session_get_info(s, &info);
    CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
    if (seqd) {
      int met = svrbfd__auth_meticulous(types[ti]);
      uint64_t last;
      CU_ASSERT_EQUAL(s->rcv_seq_known, 1);
      CU_ASSERT_EQUAL(s->rcv_seq, 100);
      /* replay: meticulous refuses the same number, keyed accepts it */
      CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 11),
                      met ? SVRBFD_ERR_PKT_AUTH_SEQ : 0);
      /* beyond the window 3 x mult */
      n = signed_peer_pkt(&pp, &good, 110, buf);
      CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 12),
                      SVRBFD_ERR_PKT_AUTH_SEQ);
      /* in window but forged: RcvAuthSeq does not move */
      n = signed_peer_pkt(&pp, &bad, 105, buf);
      CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 13),
                      SVRBFD_ERR_PKT_AUTH_DIGEST);
      CU_ASSERT_EQUAL(s->rcv_seq, 100);
      /* 6.8.1: AuthSeqKnown back to 0 after 2 x Detection Time (3 s) */
      last = met ? 10 : 11; /* keyed accepted the replay at 11 */
      CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, last + 6 * SEC - 1), 0);
      CU_ASSERT_EQUAL(s->rcv_seq_known, 1);
      CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, last + 6 * SEC), 0);
      CU_ASSERT_EQUAL(s->rcv_seq_known, 0);
      /* then any number is taken again, including across the wrap */
      n = signed_peer_pkt(&pp, &good, 0xfffffffeu, buf);
      CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 7 * SEC), 0);
      n = signed_peer_pkt(&pp, &good, 1u, buf);
      CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 7 * SEC + 1), 0);
      CU_ASSERT_EQUAL(s->rcv_seq, 1u);
    }
    svrbfd_ctx_del(ctx);
  }
}

/* RFC 5880 6.8.6 step 10, both directions.  A session without auth gets a
 * packet with an authentication section (A = 1): SVRBFD_ERR_PKT_AUTH_UNEXPECTED;
 * a session with auth gets one without: SVRBFD_ERR_PKT_AUTH_MISSING.  First
 * from a scripted peer, then between two real endpoints configured on one
 * side only: neither ever comes Up and each discard is counted where it
 * belongs and changes nothing. */
static void test_auth_one_side_only(void) {
  static const svrbfd_auth_type types[] = {
      SVRBFD_AUTH_SIMPLE, SVRBFD_AUTH_KEYED_MD5,
      SVRBFD_AUTH_METICULOUS_KEYED_SHA1, SVRBFD_AUTH_HMAC_SHA256};
  size_t ti;
  for (ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
    svrbfd_ctx *ctx = mkctx();
    svrbfd_session_config cfg;
    svrbfd_session *s;
    svrbfd_session_info info;
    svrbfd_ctx_stats st;
    svrbfd_auth a;
    svrbfd_path path;
    uint8_t buf[128];
    size_t n;
    peer pp;
    mkcfg(&cfg); /* no auth */
    s = mksess(ctx, &cfg, 0);
    peer_default(&pp);
    peer_path(&pp, &path);
    set_key(&a, types[ti], "sekrit");
    svrbfd_session_get_info(s, &info);
    pp.your = info.local_discr;
    pp.state = SVRBFD_STATE_INIT; /* would bring us Up if accepted */
    n = signed_peer_pkt(&pp, &a, 100, buf);
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, n, 1),
                    SVRBFD_ERR_PKT_AUTH_UNEXPECTED);
    svrbfd_session_get_info(s, &info);
    CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
    CU_ASSERT_EQUAL(info.remote_discr, 0);
    CU_ASSERT_EQUAL(info.rx_drops, 1);
    CU_ASSERT_EQUAL(info.auth_failures, 1);
    svrbfd_ctx_get_stats(ctx, &st);
    CU_ASSERT_EQUAL(st.rx_drop[-SVRBFD_ERR_PKT_AUTH_UNEXPECTED - 300], 1);
    CU_ASSERT_EQUAL(st.rx_drop[-SVRBFD_ERR_PKT_AUTH_MISSING - 300], 0);
    CU_ASSERT_EQUAL(st.rx_accepted, 0);
    /* the same packet unsigned is accepted: only the section was wrong */
    CU_ASSERT_EQUAL(feed(ctx, &pp, 2), 0);
    svrbfd_session_get_info(s, &info);
    CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
    svrbfd_ctx_del(ctx);
  }
  for (ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
    /* two endpoints: ctx[0] authenticates, ctx[1] does not */
    uint8_t buf[SVRBFD_MAX_PKT_LEN];
    svrbfd_callbacks cb;
    svrbfd_ctx *c[2];
    svrbfd_session *ss[2];
    svrbfd_session_config cfg;
    svrbfd_path path, rx;
    svrbfd_ctx_stats st;
    svrbfd_session_info info;
    uint64_t t = 0, sent[2] = {0, 0};
    int k;
    memset(&cb, 0, sizeof(cb));
    cb.rand = t_rand;
    for (k = 0; k < 2; k++) {
      CU_ASSERT_FATAL(svrbfd_ctx_new(&c[k], &cb, NULL, NULL, NULL) == 0);
      mkcfg(&cfg);
      cfg.local.addr[3] = (uint8_t)(1 + k);
      cfg.remote.addr[3] = (uint8_t)(2 - k);
      if (k == 0) {
        set_key(&cfg.auth, types[ti], "sekrit");
      }
      CU_ASSERT_FATAL(svrbfd_session_new(c[k], &ss[k], &cfg, NULL, 0) == 0);
    }
    while (t <= 10 * SEC) { /* slow start: one packet a second each way */
      for (k = 0; k < 2; k++) {
        svrbfd_ssize m;
        while ((m = svrbfd_ctx_write_pkt(c[k], &path, buf, sizeof(buf), t)) >
               0) {
          rx.local = path.remote;
          rx.remote = path.local;
          rx.ttl = 255;
          sent[k]++;
          CU_ASSERT_EQUAL(
              svrbfd_ctx_read_pkt(c[1 - k], &rx, buf, (size_t)m, t),
              k == 0 ? SVRBFD_ERR_PKT_AUTH_UNEXPECTED
                     : SVRBFD_ERR_PKT_AUTH_MISSING);
        }
      }
      t = svrbfd_ctx_get_expiry(c[0]) < svrbfd_ctx_get_expiry(c[1])
              ? svrbfd_ctx_get_expiry(c[0])
              : svrbfd_ctx_get_expiry(c[1]);
    }
    CU_ASSERT(sent[0] >= 10 && sent[1] >= 10);
    for (k = 0; k < 2; k++) {
      int code = k == 0 ? SVRBFD_ERR_PKT_AUTH_MISSING
                        : SVRBFD_ERR_PKT_AUTH_UNEXPECTED;
      int other = k == 0 ? SVRBFD_ERR_PKT_AUTH_UNEXPECTED
                         : SVRBFD_ERR_PKT_AUTH_MISSING;
      svrbfd_ctx_get_stats(c[k], &st);
      CU_ASSERT_EQUAL(st.rx_drop[-code - 300], sent[1 - k]);
      CU_ASSERT_EQUAL(st.rx_drop[-other - 300], 0);
      CU_ASSERT_EQUAL(st.rx_accepted, 0);
      svrbfd_session_get_info(ss[k], &info);
      CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
      CU_ASSERT_EQUAL(info.remote_discr, 0);
      CU_ASSERT_EQUAL(info.auth_failures, sent[1 - k]);
      svrbfd_ctx_del(c[k]);
    }
  }
}

/* Our transmit sequence starts random and increases per packet. */
static void test_xmit_seq(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_pkt p;
  uint32_t first;
  uint64_t t;
  mkcfg(&cfg);
  set_key(&cfg.auth, SVRBFD_AUTH_METICULOUS_KEYED_SHA1, "k");
  (void)mksess(ctx, &cfg, 0);
  CU_ASSERT(take(ctx, 0, &p, NULL, NULL) > 0);
  first = p.auth_seq;
  CU_ASSERT(first != 0); /* from the rand callback (not a constant 0) */
  t = svrbfd_ctx_get_expiry(ctx);
  CU_ASSERT(take(ctx, t, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.auth_seq, first + 1);
  svrbfd_ctx_del(ctx);
}

static void test_hold_down_and_damping(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  peer pp;
  uint64_t t;
  mkcfg(&cfg);
  cfg.damping = 1;
  cfg.damping_max_ns = 15 * SEC;
  peer_default(&pp);
  s = bring_up(ctx, &cfg, &pp, 1 * SEC);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 3 * SEC), 0);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 5 * SEC), 0); /* detection time is 3 s */
  CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, 6 * SEC - 1), 0);
  CU_ASSERT_EQUAL(R.nstatus, 0);
  CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, 6 * SEC), 0);
  CU_ASSERT_EQUAL(R.nstatus, 1);
  CU_ASSERT_EQUAL(R.status[0], 1);
  CU_ASSERT_EQUAL(R.status_ts[0], 6 * SEC);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.up, 1);
  /* down is reported at once */
  pp.state = SVRBFD_STATE_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 7 * SEC), 0);
  CU_ASSERT_EQUAL(R.nstatus, 2);
  CU_ASSERT_EQUAL(R.status[1], 0);
  CU_ASSERT_EQUAL(R.status_ts[1], 7 * SEC);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.hold_down_ns, 5 * SEC); /* first flap: no history */
  /* flap again within the window: 10 s, then 15 s (capped) */
  t = 8 * SEC;
  pp.state = SVRBFD_STATE_INIT;
  CU_ASSERT_EQUAL(feed(ctx, &pp, t), 0);
  pp.state = SVRBFD_STATE_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, t + 1), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.hold_down_ns, 10 * SEC);
  pp.state = SVRBFD_STATE_INIT;
  CU_ASSERT_EQUAL(feed(ctx, &pp, t + 2), 0);
  pp.state = SVRBFD_STATE_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, t + 3), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.hold_down_ns, 15 * SEC);
  CU_ASSERT_EQUAL(R.nstatus, 2); /* never reported up in between */
  /* stay Up: reported after 15 s, then decays by half per 60 s */
  pp.state = SVRBFD_STATE_INIT;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 10 * SEC), 0);
  pp.state = SVRBFD_STATE_UP;
  for (t = 10 * SEC; t <= 100 * SEC; t += 1 * SEC) {
    CU_ASSERT_EQUAL(feed(ctx, &pp, t), 0);
    CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, t), 0);
  }
  CU_ASSERT_EQUAL(R.nstatus, 3);
  CU_ASSERT_EQUAL(R.status_ts[2], 25 * SEC);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.hold_down_ns, 7500 * MS); /* one decay at 85 s */
  svrbfd_ctx_del(ctx);
}

static void test_rfc5881_ttl(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_path path;
  svrbfd_pkt p;
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_ssize n;
  peer pp;
  mkcfg(&cfg);
  cfg.mode = SVRBFD_MODE_RFC5881;
  s = mksess(ctx, &cfg, 0);
  n = take(ctx, 0, &p, &path, buf);
  CU_ASSERT_EQUAL(n, 24); /* no metadata in RFC 5881 mode */
  CU_ASSERT_EQUAL(path.ttl, 255);
  CU_ASSERT_EQUAL(path.remote.port, SVRBFD_PORT_RFC5881);
  CU_ASSERT(path.local.port >= 49152);
  peer_default(&pp);
  pp.ttl = 254;
  pp.port = 1234; /* a source port outside 49152-65535 is fine too */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1), SVRBFD_ERR_PKT_TTL);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  pp.ttl = 255;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2), 0);
  n = take(ctx, 2, &p, &path, buf);
  CU_ASSERT(n > 0);
  CU_ASSERT_EQUAL(path.remote.port, SVRBFD_PORT_RFC5881); /* not 1234 */
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
  svrbfd_ctx_del(ctx);
}

/* RFC 5883 multihop: port 4784, TTL 255 sent, no GTSM, a configurable TTL
 * floor, no metadata, no Echo; and the V1 config layout still works. */
static void test_rfc5883_multihop(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s, *bad = NULL;
  svrbfd_session_info info;
  svrbfd_path path;
  svrbfd_pkt p;
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_ssize n;
  peer pp;
  mkcfg(&cfg);
  cfg.mode = SVRBFD_MODE_RFC5883;
  cfg.required_min_echo_rx_us = 50000; /* RFC 5883 section 3: no Echo */
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &bad, &cfg, NULL, 0),
                  SVRBFD_ERR_INVALID_ARGUMENT);
  mkcfg(&cfg);
  cfg.min_rx_ttl = 254; /* a TTL floor outside multihop mode */
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &bad, &cfg, NULL, 0),
                  SVRBFD_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(bad);
  mkcfg(&cfg);
  cfg.mode = SVRBFD_MODE_RFC5883;
  cfg.min_rx_ttl = 253; /* at most two routers in between */
  s = mksess(ctx, &cfg, 0);
  n = take(ctx, 0, &p, &path, buf);
  CU_ASSERT_EQUAL(n, 24); /* no metadata */
  CU_ASSERT_EQUAL(path.ttl, 255);
  CU_ASSERT_EQUAL(path.remote.port, SVRBFD_PORT_RFC5883);
  CU_ASSERT(path.local.port >= 49152);
  peer_default(&pp);
  pp.port = 50000;
  pp.ttl = 252; /* three hops: below the floor */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1), SVRBFD_ERR_PKT_TTL);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  pp.ttl = 253; /* two hops: accepted (GTSM's 255 is not required) */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
  pp.ttl = -1; /* the glue could not tell: no check */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 3), 0);
  n = take(ctx, 3, &p, &path, buf);
  CU_ASSERT(n > 0);
  CU_ASSERT_EQUAL(path.remote.port, SVRBFD_PORT_RFC5883); /* not 50000 */
  svrbfd_ctx_del(ctx);

  /* A caller built against the V1 layout (no min_rx_ttl): its bytes are
   * taken, the newer field defaults to 0. */
  ctx = mkctx();
  {
    unsigned char v1[sizeof(svrbfd_session_config) + 8];
    mkcfg(&cfg);
    cfg.mode = SVRBFD_MODE_RFC5883;
    memset(v1, 0xee, sizeof(v1)); /* what follows a V1 struct: garbage */
    memcpy(v1, &cfg, offsetof(svrbfd_session_config, min_rx_ttl));
    CU_ASSERT_EQUAL(svrbfd_session_new_versioned(
                        ctx, &s, SVRBFD_SESSION_CONFIG_V1,
                        (const svrbfd_session_config *)(void *)v1, NULL, 0),
                    0);
    CU_ASSERT_EQUAL(svrbfd_session_new_versioned(ctx, &bad, 99, &cfg, NULL, 0),
                    SVRBFD_ERR_VERSION);
    memset(v1, 0xee, sizeof(v1));
    svrbfd_session_config_default_versioned(SVRBFD_SESSION_CONFIG_V1,
                                            (svrbfd_session_config *)(void *)v1);
    CU_ASSERT_EQUAL(v1[offsetof(svrbfd_session_config, min_rx_ttl)], 0xee);
  }
  peer_default(&pp);
  pp.ttl = 1; /* no floor configured: anything goes */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1), 0);
  svrbfd_ctx_del(ctx);
}

static void test_metadata_and_nat(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_path path;
  svrbfd_pkt p;
  svrbfd_ctx_stats st;
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_ssize n, m;
  bfd_meta meta;
  peer pp;
  mkcfg(&cfg);
  s = mksess(ctx, &cfg, 0);
  peer_default(&pp);
  pp.ttl = 252;
  pp.port = 40000;
  n = (svrbfd_ssize)peer_build(&pp, buf);
  m = svrbfd__meta_encode(buf + n, sizeof(buf) - (size_t)n, "peer-r", "peer-n",
                          3);
  CU_ASSERT(m > 0);
  peer_path(&pp, &path);
  CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, (size_t)(n + m), 1), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_STRING_EQUAL(info.peer_router_name, "peer-r");
  CU_ASSERT_STRING_EQUAL(info.peer_node_name, "peer-n");
  CU_ASSERT_EQUAL(info.peer_rx_hops, 3);
  CU_ASSERT_EQUAL(info.rx_hops, 3);
  CU_ASSERT_EQUAL(info.remote.port, 40000); /* observed, silently first */
  CU_ASSERT_EQUAL(R.nremote, 0);
  /* our packet carries our names and the hops we observe */
  n = take(ctx, 1, &p, &path, buf);
  CU_ASSERT(n > 24);
  CU_ASSERT_EQUAL(path.remote.port, 40000);
  CU_ASSERT_EQUAL(svrbfd__meta_decode(&meta, p.trailer, p.trailer_len), 0);
  CU_ASSERT_STRING_EQUAL(meta.router, "me");
  CU_ASSERT_STRING_EQUAL(meta.node, "node-a");
  CU_ASSERT_EQUAL(meta.rx_hops, 3);
  /* a malformed trailer is counted, the packet still processed */
  pp.port = 40001;
  pp.your = info.local_discr;
  pp.state = SVRBFD_STATE_INIT;
  n = (svrbfd_ssize)peer_build(&pp, buf);
  memcpy(buf + n, "\x4c\x48\xdb\xc6\xdd\xf6\x67\x0c\x10\x20\x00\x00", 12);
  peer_path(&pp, &path);
  CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, (size_t)n + 12, 2), 0);
  svrbfd_ctx_get_stats(ctx, &st);
  CU_ASSERT_EQUAL(st.rx_bad_metadata, 1);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  /* NAT rebinding: port 40000 -> 40001 */
  CU_ASSERT_EQUAL(info.remote_changes, 1);
  CU_ASSERT_EQUAL(R.nremote, 1);
  CU_ASSERT_EQUAL(R.remote_ts, 2); /* the receive time of the packet */
  CU_ASSERT_EQUAL(R.remote_port, 40001);
  CU_ASSERT_EQUAL(info.remote.port, 40001);
  n = take(ctx, 2, &p, &path, buf);
  CU_ASSERT(n > 0);
  CU_ASSERT_EQUAL(path.remote.port, 40001);
  CU_ASSERT_STRING_EQUAL(info.peer_router_name, "peer-r"); /* kept */
  svrbfd_ctx_del(ctx);
}

static void test_demand_bits(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_pkt p;
  peer pp;
  uint64_t t;
  int sent = 0;
  mkcfg(&cfg);
  cfg.demand = 1;
  peer_default(&pp);
  s = bring_up(ctx, &cfg, &pp, 0);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1 * MS), 0); /* peer Up: both Up now */
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.demand_active, 1);
  CU_ASSERT_EQUAL(info.poll_active, 1); /* 6.6: D bit change polls */
  /* P rides on the next periodic packet (no extra packet, 6.5) */
  t = svrbfd_ctx_get_expiry(ctx);
  CU_ASSERT(t <= 1 * SEC);
  CU_ASSERT(take(ctx, t, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.demand, 1);
  CU_ASSERT_EQUAL(p.poll, 1);
  pp.final = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2 * MS), 0);
  /* peer silent for a minute: we stay Up (no detection in Demand) */
  CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, 60 * SEC), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  /* a Poll verifies the path; unanswered it brings the session Down */
  CU_ASSERT_EQUAL(svrbfd_session_poll(s, 61 * SEC), 0);
  drain(ctx, 61 * SEC);
  for (t = 61 * SEC; t < 70 * SEC; t = svrbfd_ctx_get_expiry(ctx)) {
    CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, t), 0);
    drain(ctx, t);
  }
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(info.local_diag, SVRBFD_DIAG_CTL_DETECT_EXPIRED);
  svrbfd_ctx_del(ctx);

  /* the other side: a peer sending D makes us stop periodic packets */
  ctx = mkctx();
  mkcfg(&cfg);
  peer_default(&pp);
  s = bring_up(ctx, &cfg, &pp, 0);
  pp.demand = 1;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 1 * MS), 0);
  drain(ctx, 1 * MS);
  for (t = 10 * MS; t < 10 * SEC; t += 10 * MS) {
    if (t % (500 * MS) == 0) { /* the peer keeps sending to us */
      CU_ASSERT_EQUAL(feed(ctx, &pp, t), 0);
    }
    CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, t), 0);
    while (take(ctx, t, NULL, NULL, NULL) > 0) {
      sent++;
    }
  }
  CU_ASSERT_EQUAL(sent, 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.remote_demand, 1);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  svrbfd_ctx_del(ctx);
}

static void test_passive(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  peer pp;
  mkcfg(&cfg);
  cfg.passive = 1;
  (void)mksess(ctx, &cfg, 0);
  CU_ASSERT_EQUAL(svrbfd_ctx_get_expiry(ctx), SVRBFD_TSTAMP_MAX);
  CU_ASSERT_EQUAL(take(ctx, 10 * SEC, NULL, NULL, NULL), 0);
  peer_default(&pp);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 11 * SEC), 0);
  CU_ASSERT(take(ctx, 11 * SEC, NULL, NULL, NULL) > 0);
  /* after a Detection Time of silence RemoteDiscr is 0: quiet again */
  CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, 14 * SEC), 0);
  drain(ctx, 14 * SEC);
  CU_ASSERT_EQUAL(take(ctx, 30 * SEC, NULL, NULL, NULL), 0);
  svrbfd_ctx_del(ctx);
}

/* 100,000 sessions in one context: tables grow, lookups hit, the heap
 * gives the earliest deadline, deletes keep everything consistent. */
static void test_many_sessions(void) {
  enum { N = 100000 };
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session **ss = calloc(N, sizeof(*ss));
  svrbfd_session_info info;
  svrbfd_ctx_stats st;
  peer pp;
  uint32_t i;
  mkcfg(&cfg);
  for (i = 0; i < N; i++) {
    cfg.remote.addr[0] = 10;
    cfg.remote.addr[1] = (uint8_t)(i >> 16);
    cfg.remote.addr[2] = (uint8_t)(i >> 8);
    cfg.remote.addr[3] = (uint8_t)i;
    CU_ASSERT_FATAL(svrbfd_session_new(ctx, &ss[i], &cfg, NULL,
                                       1000 + (uint64_t)(N - i)) == 0);
  }
  CU_ASSERT_EQUAL(svrbfd_ctx_get_expiry(ctx), 1001);
  for (i = 0; i < N; i += 2) {
    svrbfd_session_del(ss[i]);
    ss[i] = NULL;
  }
  CU_ASSERT_EQUAL(svrbfd_ctx_get_expiry(ctx), 1001);
  svrbfd_session_del(ss[N - 1]);
  ss[N - 1] = NULL;
  svrbfd_ctx_get_stats(ctx, &st);
  CU_ASSERT_EQUAL(st.sessions, N / 2 - 1);
  CU_ASSERT_EQUAL(svrbfd_ctx_get_expiry(ctx), 1003);
  /* every remaining session is still found by address (Your Discr 0)
   * after the deletions shifted entries in the pair table */
  {
    uint8_t buf[64];
    svrbfd_path path;
    int found = 0;
    peer_default(&pp);
    for (i = 1; i < N - 1; i += 2) {
      peer_path(&pp, &path);
      path.remote.addr[0] = 10;
      path.remote.addr[1] = (uint8_t)(i >> 16);
      path.remote.addr[2] = (uint8_t)(i >> 8);
      path.remote.addr[3] = (uint8_t)i;
      if (svrbfd_ctx_read_pkt(ctx, &path, buf, peer_build(&pp, buf), 1500) ==
          0) {
        found++;
      }
    }
    CU_ASSERT_EQUAL(found, N / 2 - 1);
    /* and a deleted one is not */
    peer_path(&pp, &path);
    path.remote.addr[0] = 10;
    path.remote.addr[3] = 2;
    CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, peer_build(&pp, buf),
                                        1500),
                    SVRBFD_ERR_PKT_NO_SESSION);
  }
  peer_default(&pp);
  pp.state = SVRBFD_STATE_UP;
  for (i = 1; i < N - 1; i += 998) {
    svrbfd_session_get_info(ss[i], &info);
    pp.your = info.local_discr;
    /* Down + rx Up stays Down but the packet is accepted by this session */
    CU_ASSERT_EQUAL(feed(ctx, &pp, 2000), 0);
    svrbfd_session_get_info(ss[i], &info);
    CU_ASSERT_EQUAL(info.rx_packets, 2);
  }
  svrbfd_ctx_del(ctx);
  free(ss);
}

/* IPv6 sessions, and a wildcard local address matching any local IP. */
static void test_ipv6_wildcard(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_path path;
  uint8_t buf[64];
  peer pp;
  svrbfd_session_config_default(&cfg);
  cfg.local.family = 0; /* any */
  cfg.remote.family = 6;
  cfg.remote.addr[0] = 0x20;
  cfg.remote.addr[1] = 0x01;
  cfg.remote.addr[15] = 2;
  s = mksess(ctx, &cfg, 0);
  peer_default(&pp);
  memset(&path, 0, sizeof(path));
  path.local.family = 6;
  path.local.addr[0] = 0x20;
  path.local.addr[1] = 0x01;
  path.local.addr[15] = 1;
  path.remote = cfg.remote;
  path.remote.port = 1280;
  path.ttl = 255;
  CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, peer_build(&pp, buf), 1),
                  0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
  path.remote.addr[15] = 3; /* another peer: no session */
  CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(ctx, &path, buf, peer_build(&pp, buf), 2),
                  SVRBFD_ERR_PKT_NO_SESSION);
  /* mixed families are refused */
  cfg.local.family = 4;
  CU_ASSERT_EQUAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0),
                  SVRBFD_ERR_ADDRESS);
  svrbfd_ctx_del(ctx);
}

/* ---- the fast path allocates nothing ---------------------------------- */

static uint64_t n_lib_allocs, n_ssl_allocs;

static void *c_malloc(size_t n, void *u) {
  (void)u;
  n_lib_allocs++;
  return malloc(n);
}
static void c_free(void *p, void *u) {
  (void)u;
  free(p);
}
static void *c_calloc(size_t a, size_t b, void *u) {
  (void)u;
  n_lib_allocs++;
  return calloc(a, b);
}
static void *c_realloc(void *p, size_t n, void *u) {
  (void)u;
  n_lib_allocs++;
  return realloc(p, n);
}
static void *ssl_malloc(size_t n, const char *f, int l) {
  (void)f;
  (void)l;
  n_ssl_allocs++;
  return malloc(n);
}
static void *ssl_realloc(void *p, size_t n, const char *f, int l) {
  (void)f;
  (void)l;
  n_ssl_allocs++;
  return realloc(p, n);
}
static void ssl_free(void *p, const char *f, int l) {
  (void)f;
  (void)l;
  free(p);
}

/* Two contexts back to back; returns packets moved until |until|. */
static uint64_t pump(svrbfd_ctx *a, svrbfd_ctx *b, uint64_t from,
                     uint64_t until) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path, rx;
  svrbfd_ctx *c[2] = {a, b};
  uint64_t t = from, moved = 0;
  for (;;) {
    uint64_t e0 = svrbfd_ctx_get_expiry(a), e1 = svrbfd_ctx_get_expiry(b);
    int k;
    t = e0 < e1 ? e0 : e1;
    if (t < from) {
      t = from;
    }
    if (t > until) {
      return moved;
    }
    from = t;
    for (k = 0; k < 2; k++) {
      svrbfd_ssize n;
      while ((n = svrbfd_ctx_write_pkt(c[k], &path, buf, sizeof(buf), t)) >
             0) {
        rx.local = path.remote;
        rx.remote = path.local;
        rx.ttl = 255;
        CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(c[1 - k], &rx, buf, (size_t)n, t),
                        0);
        moved++;
      }
    }
  }
}

/* Every auth type: once the sessions exist and are Up, signing, verifying,
 * sending and receiving allocate nothing, through svrbfd_mem or libcrypto
 * (main() installs counting CRYPTO_set_mem_functions before libcrypto's
 * first allocation).  HMAC-SHA256 keys its hash states at session_new. */
static void test_fast_path_no_alloc(void) {
  static const svrbfd_auth_type types[] = {
      SVRBFD_AUTH_NONE,
      SVRBFD_AUTH_SIMPLE,
      SVRBFD_AUTH_KEYED_MD5,
      SVRBFD_AUTH_METICULOUS_KEYED_MD5,
      SVRBFD_AUTH_KEYED_SHA1,
      SVRBFD_AUTH_METICULOUS_KEYED_SHA1,
      SVRBFD_AUTH_HMAC_SHA256};
  enum { NT = sizeof(types) / sizeof(types[0]) };
  svrbfd_mem mem = {NULL, c_malloc, c_free, c_calloc, c_realloc};
  svrbfd_callbacks cb;
  svrbfd_ctx *ctx[2];
  svrbfd_session_config cfg;
  svrbfd_session *s[2][NT];
  uint64_t lib0, ssl0, moved, rx0[NT];
  size_t t;
  int k;
  memset(&cb, 0, sizeof(cb));
  cb.rand = t_rand;
  for (k = 0; k < 2; k++) {
    CU_ASSERT_FATAL(svrbfd_ctx_new(&ctx[k], &cb, NULL, &mem, NULL) == 0);
  }
  for (t = 0; t < NT; t++) {
    for (k = 0; k < 2; k++) { /* one session per auth type, same ctx pair */
      mkcfg(&cfg);
      cfg.local.addr[3] = (uint8_t)(1 + k);
      cfg.remote.addr[3] = (uint8_t)(2 - k);
      cfg.local.addr[2] = cfg.remote.addr[2] = (uint8_t)(10 + t);
      cfg.desired_min_tx_us = cfg.required_min_rx_us = 100000;
      set_key(&cfg.auth, types[t], "key");
      CU_ASSERT_FATAL(svrbfd_session_new(ctx[k], &s[k][t], &cfg, NULL, 0) ==
                      0);
    }
  }
  (void)pump(ctx[0], ctx[1], 0, 10 * SEC); /* all Up */
  for (t = 0; t < NT; t++) {
    svrbfd_session_info info;
    svrbfd_session_get_info(s[0][t], &info);
    rx0[t] = info.rx_packets;
  }
  lib0 = n_lib_allocs;
  ssl0 = n_ssl_allocs;
  moved = pump(ctx[0], ctx[1], 10 * SEC, 20 * SEC);
  CU_ASSERT(moved > NT * 2 * 80); /* ~10 s of 100 ms packets, NT pairs */
  CU_ASSERT_EQUAL(n_lib_allocs - lib0, 0);
  CU_ASSERT_EQUAL(n_ssl_allocs - ssl0, 0);
  if (n_lib_allocs != lib0 || n_ssl_allocs != ssl0) {
    fprintf(stderr, "%llu packets: %llu + %llu allocations\n",
            (unsigned long long)moved,
            (unsigned long long)(n_lib_allocs - lib0),
            (unsigned long long)(n_ssl_allocs - ssl0));
  }
  for (t = 0; t < NT; t++) { /* every type really moved packets */
    svrbfd_session_info info;
    svrbfd_session_get_info(s[0][t], &info);
    CU_ASSERT(info.rx_packets - rx0[t] >= 80);
    CU_ASSERT_EQUAL(info.auth_failures, 0);
    CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  }
  {
    svrbfd_ctx_stats st;
    svrbfd_ctx_get_stats(ctx[0], &st);
    CU_ASSERT_EQUAL(st.sessions_up, NT);
  }
  svrbfd_ctx_del(ctx[0]);
  svrbfd_ctx_del(ctx[1]);
}

/* With hold-down 0, "up" is reported at once: the protocol state change must
 * still reach the host first, and on the way down likewise. */
static void test_callback_order(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  peer pp;
  int i, up_state = -1, up_status = -1, down_state = -1, down_status = -1;
  mkcfg(&cfg);
  cfg.hold_down_ns = 0;
  peer_default(&pp);
  s = bring_up(ctx, &cfg, &pp, 1 * SEC);
  pp.state = SVRBFD_STATE_DOWN;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2 * SEC), 0);
  for (i = 0; i < R.nev; i++) {
    if (R.ev[i] == 100 + SVRBFD_STATE_UP && up_state < 0) up_state = i;
    if (R.ev[i] == 201 && up_status < 0) up_status = i;
    if (R.ev[i] == 100 + SVRBFD_STATE_DOWN && up_state >= 0 && down_state < 0)
      down_state = i;
    if (R.ev[i] == 200 && down_status < 0) down_status = i;
  }
  CU_ASSERT(up_state >= 0 && up_status > up_state);
  CU_ASSERT(down_state > up_status && down_status > down_state);
  (void)s;
  svrbfd_ctx_del(ctx);
}

/* Probe role (svrbfd_session_set_probe): the session learns that the peer
 * hears us without ever bringing the peer past Init.  It answers a peer's
 * Down with a Down that reflects the peer's discriminator (never Init),
 * reports Up when the peer's packet shows it received ours (Init, Up, or a
 * Down carrying our discriminator: another prober), and keeps advertising
 * Down once "Up". */
static void test_probe(void) {
  svrbfd_ctx *ctx = mkctx();
  svrbfd_session_config cfg;
  svrbfd_session *s;
  svrbfd_session_info info;
  svrbfd_pkt p;
  peer pp;
  mkcfg(&cfg);
  s = mksess(ctx, &cfg, 1000);
  CU_ASSERT_EQUAL(svrbfd_session_set_probe(NULL, 1), SVRBFD_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(svrbfd_session_set_probe(s, 1), 0);
  CU_ASSERT(take(ctx, 1000, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(p.your_discr, 0);
  /* the peer's Down (it has not heard us yet): stay Down, reflect it now */
  peer_default(&pp);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 2000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(R.nstate, 0);
  CU_ASSERT(take(ctx, 2000, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(p.your_discr, PEER);
  /* the peer went Init: it hears us; we report Up but still send Down */
  pp.state = SVRBFD_STATE_INIT;
  pp.your = info.local_discr;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 3000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(R.nstate, 1);
  CU_ASSERT_EQUAL(R.old[0], SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(R.nw[0], SVRBFD_STATE_UP);
  CU_ASSERT(take(ctx, 3000, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(p.your_discr, PEER);
  /* periodic packets stay Down too; the peer's Init keeps us Up */
  CU_ASSERT_EQUAL(feed(ctx, &pp, 3500 * MS), 0);
  CU_ASSERT_EQUAL(svrbfd_ctx_handle_expiry(ctx, 4 * SEC), 0);
  while (take(ctx, 4 * SEC, &p, NULL, NULL) > 0) {
    CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_DOWN);
  }
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(info.remote_state, SVRBFD_STATE_INIT);
  /* AdminDown at the end goes out as AdminDown */
  CU_ASSERT_EQUAL(svrbfd_session_set_admin_down(s, 1, 5 * SEC), 0);
  CU_ASSERT(take(ctx, 5 * SEC, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_ADMIN_DOWN);
  svrbfd_session_del(s);

  /* another prober: its Down reflecting our discriminator means Up, and
   * its later Downs keep us Up; a Down without it (it restarted) is Down */
  R.nstate = 0;
  s = mksess(ctx, &cfg, 6 * SEC);
  CU_ASSERT_EQUAL(svrbfd_session_set_probe(s, 1), 0);
  drain(ctx, 6 * SEC);
  svrbfd_session_get_info(s, &info);
  peer_default(&pp);
  pp.your = info.local_discr;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 6 * SEC + 1000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  CU_ASSERT(take(ctx, 6 * SEC + 1000, &p, NULL, NULL) > 0);
  CU_ASSERT_EQUAL(p.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(p.your_discr, PEER);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 6 * SEC + 2000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  pp.your = 0;
  CU_ASSERT_EQUAL(feed(ctx, &pp, 6 * SEC + 3000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_DOWN);
  CU_ASSERT_EQUAL(info.local_diag, SVRBFD_DIAG_NEIGHBOR_DOWN);
  svrbfd_session_del(s);

  /* not a prober: the same Down moves it to Init (6.8.6) */
  R.nstate = 0;
  s = mksess(ctx, &cfg, 7 * SEC);
  CU_ASSERT_EQUAL(svrbfd_session_set_probe(s, 1), 0);
  CU_ASSERT_EQUAL(svrbfd_session_set_probe(s, 0), 0);
  drain(ctx, 7 * SEC);
  peer_default(&pp);
  CU_ASSERT_EQUAL(feed(ctx, &pp, 7 * SEC + 1000), 0);
  svrbfd_session_get_info(s, &info);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_INIT);
  svrbfd_ctx_del(ctx);
}

static const svr_test_case cases[] = {
    {"config errors", test_config_errors},
    {"three-way handshake, Up/Down rows", test_three_way_handshake},
    {"state table rows (6.8.6)", test_table_rows},
    {"detection time expiry, diag 1, RemoteDiscr reset", test_detection_expiry},
    {"discriminator rules and drop counters", test_discr_rules},
    {"AdminDown", test_admin_down},
    {"Poll answered with Final at once", test_poll_answered_with_final},
    {"slow start then configured rate via Poll", test_slow_start_poll},
    {"asymmetric Poll rules (6.8.3)", test_asymmetric_poll},
    {"no periodic tx when remote min rx is 0", test_remote_min_rx_zero},
    {"jitter bounds over many draws", test_jitter_bounds},
    {"periodic spacing within 75-100 %", test_periodic_spacing},
    {"authenticated sessions: types, windows, wrap, reset", test_auth_session},
    {"auth on one side only: AUTH_UNEXPECTED, AUTH_MISSING",
     test_auth_one_side_only},
    {"random initial XmitAuthSeq, increments", test_xmit_seq},
    {"hold-down and damping", test_hold_down_and_damping},
    {"session_state reported before path_status", test_callback_order},
    {"RFC 5881 TTL and ports", test_rfc5881_ttl},
    {"RFC 5883 multihop", test_rfc5883_multihop},
    {"metadata trailer and NAT rebinding", test_metadata_and_nat},
    {"demand mode bits and polls", test_demand_bits},
    {"passive role", test_passive},
    {"probe role: the peer never past Init", test_probe},
    {"100,000 sessions in one context", test_many_sessions},
    {"IPv6 and wildcard local address", test_ipv6_wildcard},
    {"steady state allocates nothing (lib and libcrypto, every auth type)",
     test_fast_path_no_alloc},
    {NULL, NULL}};

int main(void) {
  /* count libcrypto's allocations too (must precede its first one) */
  if (!CRYPTO_set_mem_functions(ssl_malloc, ssl_realloc, ssl_free)) {
    return 1;
  }
  return svr_test_run("bfd_session", cases);
}
