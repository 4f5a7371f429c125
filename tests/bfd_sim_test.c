/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrbfd simulation tests (label sim): two contexts over the in-memory
 * link of bfd_sim.c with delay, loss, cuts and a NAT.  Public API only, so
 * the same file runs against the static and the shared library.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_sim.h"
#include "svr_test.h"

#define MS SVRBFD_MILLISECONDS
#define SEC SVRBFD_SECONDS

static svrbfd_session *S[2];

static void pair(bfd_sim *sim, svrbfd_session_config *c0,
                 svrbfd_session_config *c1) {
  S[0] = bfd_sim_session(sim, 0, c0);
  S[1] = bfd_sim_session(sim, 1, c1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(S[0]);
  CU_ASSERT_PTR_NOT_NULL_FATAL(S[1]);
}

static void fast_cfg(svrbfd_session_config *c) {
  svrbfd_session_config_default(c);
  c->desired_min_tx_us = 100000;
  c->required_min_rx_us = 100000;
  c->detect_mult = 3;
}

static svrbfd_state state_of(svrbfd_session *s) {
  svrbfd_session_info info;
  svrbfd_session_get_info(s, &info);
  return info.state;
}

/* Defaults (1 s / 500 ms / 3): Up fast, "up" reported after hold-down. */
static void test_up_with_slow_start(void) {
  bfd_sim sim;
  svrbfd_session_config c0, c1;
  svrbfd_session_info i0, i1;
  uint64_t up0, up1;
  bfd_sim_init(&sim, 1);
  sim.rx_ttl = 253; /* two routed hops */
  svrbfd_session_config_default(&c0);
  svrbfd_session_config_default(&c1);
  pair(&sim, &c0, &c1);
  bfd_sim_run(&sim, 20 * SEC);
  up0 = bfd_sim_find(&sim, 0, 0, SVRBFD_STATE_UP, 0);
  up1 = bfd_sim_find(&sim, 1, 0, SVRBFD_STATE_UP, 0);
  /* both send Down at 0; Init at 10 ms; Up at 20 ms (delay 10 ms) */
  CU_ASSERT_EQUAL(up0, 20 * MS);
  CU_ASSERT_EQUAL(up1, 20 * MS);
  CU_ASSERT_EQUAL(bfd_sim_find(&sim, 0, 1, 1, 0), up0 + 5 * SEC);
  CU_ASSERT_EQUAL(bfd_sim_find(&sim, 1, 1, 1, 0), up1 + 5 * SEC);
  svrbfd_session_get_info(S[0], &i0);
  svrbfd_session_get_info(S[1], &i1);
  CU_ASSERT_EQUAL(i0.up, 1);
  CU_ASSERT_EQUAL(i0.tx_interval_ns, 1 * SEC);
  CU_ASSERT_EQUAL(i0.detect_time_ns, 3 * SEC);
  CU_ASSERT_STRING_EQUAL(i0.peer_router_name, "r1");
  CU_ASSERT_STRING_EQUAL(i1.peer_node_name, "n0");
  CU_ASSERT_EQUAL(i0.rx_hops, 2);
  CU_ASSERT_EQUAL(i0.peer_rx_hops, 2); /* learned from the peer's TLV */
  /* about one packet per 0.75-1 s each way over 20 s */
  CU_ASSERT(sim.node[0].sent >= 20 && sim.node[0].sent <= 28);
  bfd_sim_free(&sim);

  /* The peer appears 5 s later: Up within one slow-start interval. */
  bfd_sim_init(&sim, 2);
  svrbfd_session_config_default(&c0);
  S[0] = bfd_sim_session(&sim, 0, &c0);
  bfd_sim_run(&sim, 5 * SEC);
  CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_DOWN);
  svrbfd_session_config_default(&c1);
  S[1] = bfd_sim_session(&sim, 1, &c1);
  bfd_sim_run(&sim, 20 * SEC);
  up0 = bfd_sim_find(&sim, 0, 0, SVRBFD_STATE_UP, 0);
  CU_ASSERT(up0 <= 5 * SEC + 1 * SEC + 20 * MS);
  CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(state_of(S[1]), SVRBFD_STATE_UP);
  bfd_sim_free(&sim);
}

/* Cut the link: Down within the detection time, diag 1. */
static void test_cut_detected_in_time(void) {
  bfd_sim sim;
  svrbfd_session_config c0, c1;
  svrbfd_session_info info;
  const uint64_t cut = 10 * SEC;
  int i;
  bfd_sim_init(&sim, 3);
  fast_cfg(&c0);
  fast_cfg(&c1);
  pair(&sim, &c0, &c1);
  bfd_sim_run(&sim, cut);
  svrbfd_session_get_info(S[0], &info);
  CU_ASSERT_EQUAL_FATAL(info.state, SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(info.tx_interval_ns, 100 * MS);
  CU_ASSERT_EQUAL(info.detect_time_ns, 300 * MS);
  sim.cut = 1;
  bfd_sim_run(&sim, cut + 2 * SEC);
  for (i = 0; i < 2; i++) {
    uint64_t d = bfd_sim_find(&sim, i, 0, SVRBFD_STATE_DOWN, cut);
    /* last arrival in [cut - 90 ms, cut + 10 ms] (spacing <= 100 ms,
     * delay 10 ms), Down exactly 300 ms later */
    CU_ASSERT(d >= cut + 210 * MS);
    CU_ASSERT(d <= cut + 310 * MS);
    svrbfd_session_get_info(S[i], &info);
    CU_ASSERT_EQUAL(info.local_diag, SVRBFD_DIAG_CTL_DETECT_EXPIRED);
    CU_ASSERT_EQUAL(info.up, 0);
  }
  /* heal: back Up, reported after hold-down again */
  sim.cut = 0;
  bfd_sim_run(&sim, cut + 20 * SEC);
  CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(sim.node[0].status_up, 1);
  bfd_sim_free(&sim);
}

/*
 * 10 % loss each way, 100 ms timers, mult 3, 1000 intervals.  A false Down
 * needs at least 3 consecutive lost packets from the peer (2 losses leave a
 * gap of at most 3 x 100 ms = the detection time, which does not expire
 * before the packet arrives).  Packets per direction <= 100 s / 75 ms =
 * 1334, so the number of loss runs of length >= 3 over both directions is
 * at most Binomial(n = 2668, p = 0.1^3).  The bound K below is the smallest
 * k with P(X >= k) < 1e-6 (computed here: 14).  A "primary" Down is a
 * detection-time expiry (diag 1) while the peer's session is still Up; we
 * assert primaries < K and, exactly, <= the observed runs of >= 3 losses.
 * Each primary takes the peer Down too: with diag 3, or with diag 1 when
 * the Down packet is lost as the peer has already slowed to 1 s (slow
 * start, RFC 5880 6.8.3), so all Downs are <= 2 x primaries.
 */
static void test_loss_no_false_down(void) {
  bfd_sim sim;
  svrbfd_session_config c0, c1;
  const uint64_t t0 = 5 * SEC, t1 = t0 + 1000 * 100 * MS;
  const int n = 2 * 1334;
  const double p = 0.001;
  double tail = 1.0, pmf = pow(1 - p, n);
  int k, K = 0, downs, primary, runs;
  for (k = 0; k <= n; k++) { /* tail = P(X >= k + 1) after each step */
    tail -= pmf;
    if (tail < 1e-6) {
      K = k + 1;
      break;
    }
    pmf = pmf * (double)(n - k) / (double)(k + 1) * p / (1 - p);
  }
  CU_ASSERT_EQUAL(K, 14);
  bfd_sim_init(&sim, 4);
  fast_cfg(&c0);
  fast_cfg(&c1);
  pair(&sim, &c0, &c1);
  bfd_sim_run(&sim, t0);
  CU_ASSERT_EQUAL_FATAL(state_of(S[0]), SVRBFD_STATE_UP);
  sim.loss_ppm[0] = sim.loss_ppm[1] = 100000;
  sim.node[0].loss_runs3 = sim.node[1].loss_runs3 = 0;
  sim.node[0].downs = sim.node[1].downs = 0;
  sim.node[0].downs_primary = sim.node[1].downs_primary = 0;
  bfd_sim_run(&sim, t1);
  downs = sim.node[0].downs + sim.node[1].downs;
  primary = sim.node[0].downs_primary + sim.node[1].downs_primary;
  runs = sim.node[0].loss_runs3 + sim.node[1].loss_runs3;
  CU_ASSERT(primary < K);
  CU_ASSERT(primary <= runs);
  CU_ASSERT(downs <= 2 * primary);
  if (getenv("BFD_SIM_VERBOSE")) {
    printf("\n  loss: downs=%d primary=%d runs>=3=%d bound=%d\n", downs,
           primary, runs, K);
  }
  /* the loss really was about 10 % */
  CU_ASSERT(sim.node[0].dropped * 100 >= sim.node[0].sent * 7);
  CU_ASSERT(sim.node[0].dropped * 100 <= sim.node[0].sent * 13);
  bfd_sim_free(&sim);
}

/* Node 0 behind a NAT that rebinds its port: node 1 follows it. */
static void test_nat_rebinding(void) {
  bfd_sim sim;
  svrbfd_session_config c0, c1;
  svrbfd_session_info info;
  bfd_sim_init(&sim, 5);
  sim.nat.family = 4;
  sim.nat.addr[0] = 203;
  sim.nat.addr[1] = 0;
  sim.nat.addr[2] = 113;
  sim.nat.addr[3] = 5;
  sim.nat.port = 40000;
  fast_cfg(&c0);
  S[0] = bfd_sim_session(&sim, 0, &c0);
  fast_cfg(&c1);
  c1.local = sim.node[1].addr;
  c1.remote = sim.nat;
  c1.remote.port = 0; /* port unknown: learned from packets */
  CU_ASSERT_FATAL(svrbfd_session_new(sim.node[1].ctx, &S[1], &c1, NULL, 0) ==
                  0);
  bfd_sim_run(&sim, 10 * SEC);
  CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(state_of(S[1]), SVRBFD_STATE_UP);
  svrbfd_session_get_info(S[1], &info);
  CU_ASSERT_EQUAL(info.remote.port, 40000);
  CU_ASSERT_EQUAL(info.remote_changes, 0);
  sim.nat.port = 40001; /* rebinding */
  bfd_sim_run(&sim, 20 * SEC);
  svrbfd_session_get_info(S[1], &info);
  CU_ASSERT_EQUAL(info.remote.port, 40001);
  CU_ASSERT_EQUAL(info.remote_changes, 1);
  CU_ASSERT_EQUAL(bfd_sim_find(&sim, 1, 2, 40001, 10 * SEC) < 11 * SEC, 1);
  CU_ASSERT_EQUAL(sim.node[0].downs, 0);
  CU_ASSERT_EQUAL(sim.node[1].downs, 0);
  CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_UP);
  bfd_sim_free(&sim);
}

/* Node 0 asks for Demand: node 1 stops periodic packets; polls verify. */
static void test_demand_mode(void) {
  bfd_sim sim;
  svrbfd_session_config c0, c1;
  svrbfd_session_info info;
  uint64_t before, down;
  bfd_sim_init(&sim, 6);
  svrbfd_session_config_default(&c0);
  c0.demand = 1;
  svrbfd_session_config_default(&c1);
  pair(&sim, &c0, &c1);
  bfd_sim_run(&sim, 10 * SEC);
  svrbfd_session_get_info(S[0], &info);
  CU_ASSERT_EQUAL(info.demand_active, 1);
  CU_ASSERT_EQUAL(info.poll_active, 0);
  before = sim.node[1].sent;
  bfd_sim_run(&sim, 40 * SEC);
  CU_ASSERT_EQUAL(sim.node[1].sent, before); /* silent for 30 s */
  CU_ASSERT(sim.node[0].sent > 25);          /* node 0 still sends */
  CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(state_of(S[1]), SVRBFD_STATE_UP);
  /* a Poll is answered */
  CU_ASSERT_EQUAL(svrbfd_session_poll(S[0], sim.now), 0);
  bfd_sim_run(&sim, 42 * SEC);
  CU_ASSERT(sim.node[1].sent > before);
  svrbfd_session_get_info(S[0], &info);
  CU_ASSERT_EQUAL(info.poll_active, 0);
  CU_ASSERT_EQUAL(info.state, SVRBFD_STATE_UP);
  /* cut + Poll: Down within mult x tx interval = 3 s */
  sim.cut = 1;
  CU_ASSERT_EQUAL(svrbfd_session_poll(S[0], sim.now), 0);
  bfd_sim_run(&sim, 50 * SEC);
  down = bfd_sim_find(&sim, 0, 0, SVRBFD_STATE_DOWN, 42 * SEC);
  CU_ASSERT(down <= 42 * SEC + 3 * SEC);
  CU_ASSERT_EQUAL(state_of(S[1]), SVRBFD_STATE_DOWN);
  bfd_sim_free(&sim);
}

static void set_key(svrbfd_auth *a, svrbfd_auth_type t, const char *k) {
  memset(a, 0, sizeof(*a));
  a->type = t;
  a->key_id = 3;
  a->key_len = (uint8_t)strlen(k);
  memcpy(a->key, k, a->key_len);
}

static void test_auth_sessions(void) {
  static const svrbfd_auth_type types[] = {
      SVRBFD_AUTH_SIMPLE, SVRBFD_AUTH_KEYED_MD5,
      SVRBFD_AUTH_METICULOUS_KEYED_MD5, SVRBFD_AUTH_KEYED_SHA1,
      SVRBFD_AUTH_METICULOUS_KEYED_SHA1, SVRBFD_AUTH_HMAC_SHA256};
  size_t t;
  for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
    bfd_sim sim;
    svrbfd_session_config c0, c1;
    svrbfd_session_info i0, i1;
    /* same key: Up and stays Up with 1 % loss for 60 s */
    bfd_sim_init(&sim, 10 + t);
    fast_cfg(&c0);
    fast_cfg(&c1);
    set_key(&c0.auth, types[t], "s3cret");
    set_key(&c1.auth, types[t], "s3cret");
    pair(&sim, &c0, &c1);
    sim.loss_ppm[0] = sim.loss_ppm[1] = 10000;
    bfd_sim_run(&sim, 60 * SEC);
    svrbfd_session_get_info(S[0], &i0);
    svrbfd_session_get_info(S[1], &i1);
    CU_ASSERT_EQUAL(i0.state, SVRBFD_STATE_UP);
    CU_ASSERT_EQUAL(i1.state, SVRBFD_STATE_UP);
    CU_ASSERT_EQUAL(i0.auth_failures, 0);
    CU_ASSERT_EQUAL(i0.auth_type, types[t]);
    CU_ASSERT(bfd_sim_find(&sim, 0, 0, SVRBFD_STATE_UP, 0) < 1 * SEC);
    bfd_sim_free(&sim);
    /* wrong key: never Up */
    bfd_sim_init(&sim, 20 + t);
    fast_cfg(&c0);
    fast_cfg(&c1);
    set_key(&c0.auth, types[t], "s3cret");
    set_key(&c1.auth, types[t], "s3cre7");
    pair(&sim, &c0, &c1);
    bfd_sim_run(&sim, 30 * SEC);
    svrbfd_session_get_info(S[0], &i0);
    svrbfd_session_get_info(S[1], &i1);
    CU_ASSERT_EQUAL(i0.state, SVRBFD_STATE_DOWN);
    CU_ASSERT_EQUAL(i1.state, SVRBFD_STATE_DOWN);
    CU_ASSERT_EQUAL(i0.up_count + i1.up_count, 0);
    CU_ASSERT_EQUAL(i0.rx_packets, 0);
    CU_ASSERT(i0.auth_failures >= 20);
    CU_ASSERT_EQUAL(sim.node[0].nev, 0);
    bfd_sim_free(&sim);
  }
}

/* RFC 5881 mode: TTL 255 accepted, anything else dropped (GTSM). */
static void test_rfc5881_gtsm(void) {
  int ttl;
  for (ttl = 254; ttl <= 255; ttl++) {
    bfd_sim sim;
    svrbfd_session_config c0, c1;
    svrbfd_ctx_stats st;
    bfd_sim_init(&sim, 30 + (uint64_t)ttl);
    sim.rx_ttl = ttl;
    fast_cfg(&c0);
    fast_cfg(&c1);
    c0.mode = c1.mode = SVRBFD_MODE_RFC5881;
    pair(&sim, &c0, &c1);
    bfd_sim_run(&sim, 10 * SEC);
    svrbfd_ctx_get_stats(sim.node[0].ctx, &st);
    if (ttl == 255) {
      CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_UP);
      CU_ASSERT_EQUAL(st.rx_drop[-SVRBFD_ERR_PKT_TTL - 300], 0);
    } else {
      CU_ASSERT_EQUAL(state_of(S[0]), SVRBFD_STATE_DOWN);
      CU_ASSERT(st.rx_drop[-SVRBFD_ERR_PKT_TTL - 300] >= 5);
    }
    bfd_sim_free(&sim);
  }
}

static const svr_test_case cases[] = {
    {"Up with slow start, hold-down, metadata", test_up_with_slow_start},
    {"cut detected within the detection time", test_cut_detected_in_time},
    {"10% loss: no false Down beyond the binomial bound",
     test_loss_no_false_down},
    {"NAT rebinding followed", test_nat_rebinding},
    {"Demand mode stops periodic packets", test_demand_mode},
    {"auth sessions Up, wrong key never", test_auth_sessions},
    {"RFC 5881 GTSM", test_rfc5881_gtsm},
    {NULL, NULL}};

int main(void) { return svr_test_run("bfd_sim", cases); }
