/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Echo tests owned by BFD sessions (label sim): two libsvrbfd contexts over
 * a simulated link; the contexts dispatch, reflect and schedule echo
 * datagrams themselves.  Literal timestamps, no sockets.
 */
#include <string.h>

#include <svrbfd/svrbfd.h>
#include <svrbfd/svrbfd_pq.h>

#include "svr_meta.h"
#include "svr_test.h"

#define MS 1000000ULL
#define S 1000000000ULL
#define QMAX 2048

typedef struct pkt {
  uint64_t at;
  int to;
  svrbfd_path path;
  size_t len;
  uint8_t data[SVRBFD_PQ_MAX_PKT_LEN + 64];
} pkt;

typedef struct sim {
  uint64_t now;
  svrbfd_ctx *ctx[2];
  svrbfd_session *s[2];
  svrbfd_addr addr[2];
  uint64_t delay_ns;
  int drop_echo_to[2];   /* drop SVR control datagrams arriving at node i */
  int cut;
  pkt q[QMAX];
  int nq;
  int downs_echo[2];     /* Down with Diag 2 */
  int downs[2];
  uint64_t foreign_sent; /* requests from a stranger */
  size_t bufcap[2];      /* write buffer a host gives (0: the largest) */
} sim;

static sim g;

static void rnd(uint8_t *d, size_t n, void *ud) {
  static uint64_t st = 7;
  (void)ud;
  while (n--) {
    *d++ = (uint8_t)svr_test_rand(&st);
  }
}

static int on_state(svrbfd_ctx *ctx, svrbfd_session *s, svrbfd_state o,
                    svrbfd_state n, svrbfd_diag diag, svrbfd_tstamp ts,
                    void *ud) {
  int i = ctx == g.ctx[1];
  (void)s;
  (void)ts;
  (void)ud;
  if (o == SVRBFD_STATE_UP && n == SVRBFD_STATE_DOWN) {
    g.downs[i]++;
    if (diag == SVRBFD_DIAG_ECHO_FAILED) {
      g.downs_echo[i]++;
    }
  }
  return 0;
}

static void setup(int demand0, uint32_t echo_rx_us) {
  int i;
  svrbfd_callbacks cb;
  svrbfd_settings st;
  memset(&g, 0, sizeof(g));
  g.now = 1 * S;
  g.delay_ns = 5 * MS;
  memset(&cb, 0, sizeof(cb));
  cb.rand = rnd;
  cb.session_state = on_state;
  for (i = 0; i < 2; i++) {
    svrbfd_settings_default(&st);
    st.router_name = i ? "r1" : "r0";
    CU_ASSERT_FATAL(svrbfd_ctx_new(&g.ctx[i], &cb, &st, NULL, NULL) == 0);
    g.addr[i].family = 4;
    g.addr[i].addr[0] = 10;
    g.addr[i].addr[3] = (uint8_t)(i + 1);
    g.addr[i].port = SVRBFD_PORT_SVR;
  }
  for (i = 0; i < 2; i++) {
    svrbfd_session_config c;
    svrbfd_session_config_default(&c);
    c.local = g.addr[i];
    c.remote = g.addr[1 - i];
    c.desired_min_tx_us = 100000;
    c.required_min_rx_us = 100000;
    c.required_min_echo_rx_us = echo_rx_us;
    c.hold_down_ns = 0;
    c.demand = (uint8_t)(i == 0 && demand0);
    CU_ASSERT_FATAL(svrbfd_session_new(g.ctx[i], &g.s[i], &c, NULL, g.now) == 0);
  }
}

static void teardown(void) {
  svrbfd_ctx_del(g.ctx[0]);
  svrbfd_ctx_del(g.ctx[1]);
}

static void link_tests(uint64_t interval, uint8_t len) {
  int i;
  for (i = 0; i < 2; i++) {
    svrbfd_pq_settings ps;
    svrbfd_pq_settings_default(&ps);
    ps.link_test_interval_ns = interval;
    ps.link_test_length = len;
    ps.min_tx_spacing_ns = 10 * MS;
    CU_ASSERT_EQUAL(svrbfd_session_set_link_test(g.s[i], &ps, g.now), 0);
  }
}

static void drain(int i) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN + 64];
  size_t cap = g.bufcap[i] ? g.bufcap[i] : sizeof(buf);
  for (;;) {
    svrbfd_path path;
    svrbfd_ssize n = svrbfd_ctx_write_pkt(g.ctx[i], &path, buf, cap, g.now);
    pkt *p;
    CU_ASSERT_FATAL(n >= 0);
    if (n == 0) {
      return;
    }
    CU_ASSERT_FATAL(g.nq < QMAX);
    CU_ASSERT(memcmp(path.local.addr, g.addr[i].addr, 4) == 0);
    CU_ASSERT(memcmp(path.remote.addr, g.addr[1 - i].addr, 4) == 0);
    if (g.cut) {
      continue;
    }
    p = &g.q[g.nq++];
    p->at = g.now + g.delay_ns;
    p->to = 1 - i;
    p->path.local = path.remote;
    p->path.remote = path.local;
    p->path.ttl = 255;
    p->len = (size_t)n;
    memcpy(p->data, buf, (size_t)n);
  }
}

static void run_until(uint64_t until) {
  for (;;) {
    uint64_t next = UINT64_MAX;
    int i, k = -1;
    for (i = 0; i < 2; i++) {
      uint64_t e = svrbfd_ctx_get_expiry(g.ctx[i]);
      if (e < next) {
        next = e;
      }
    }
    for (i = 0; i < g.nq; i++) {
      if (g.q[i].at < next) {
        next = g.q[i].at;
        k = i;
      }
    }
    if (next > until) {
      g.now = until;
      return;
    }
    if (next > g.now) {
      g.now = next;
    }
    if (k >= 0) {
      pkt p = g.q[k];
      g.q[k] = g.q[--g.nq];
      if (!(g.drop_echo_to[p.to] &&
            svr_demux_classify(p.data, p.len) == SVR_DEMUX_CONTROL)) {
        int rv = svrbfd_ctx_read_pkt(g.ctx[p.to], &p.path, p.data, p.len,
                                     g.now);
        CU_ASSERT(rv == 0 || rv == SVRBFD_PQ_ERR_PKT_LATE);
      }
      drain(p.to);
    } else {
      for (i = 0; i < 2; i++) {
        CU_ASSERT_FATAL(svrbfd_ctx_handle_expiry(g.ctx[i], g.now) == 0);
        drain(i);
      }
    }
  }
}

static svrbfd_state state(int i) {
  svrbfd_session_info in;
  svrbfd_session_get_info(g.s[i], &in);
  return in.state;
}

/* Both sides measure 2 x 5 ms; each reflects the other's requests. */
static void test_bursts(void) {
  svrbfd_pq_result r;
  svrbfd_pq_ctx_stats st;
  int i;
  setup(0, 20000);
  link_tests(1 * S, 10);
  run_until(g.now + 5 * S);
  /* the peer allows echo: updating the settings of a running engine is 0 */
  link_tests(1 * S, 10);
  for (i = 0; i < 2; i++) {
    svrbfd_pq_path *pq = svrbfd_session_get_pq(g.s[i]);
    CU_ASSERT_EQUAL(state(i), SVRBFD_STATE_UP);
    CU_ASSERT_FATAL(pq != NULL);
    CU_ASSERT_EQUAL(svrbfd_pq_path_get_result(pq, &r), 1);
    CU_ASSERT_EQUAL(r.sent, 10);
    CU_ASSERT_EQUAL(r.received, 10);
    CU_ASSERT_DOUBLE_EQUAL(r.latency_ms, 10.0, 0.001);
    CU_ASSERT_DOUBLE_EQUAL(r.jitter_ms, 0.0, 0.001);
    /* spacing: the peer's Required Min Echo RX (20 ms) beats our 10 ms */
    CU_ASSERT_EQUAL(svrbfd_pq_path_tx_spacing(pq), 20 * MS);
    svrbfd_ctx_get_echo_stats(g.ctx[i], &st);
    CU_ASSERT(st.tx_replies >= 30);
    CU_ASSERT(st.tx_requests >= 30);
    CU_ASSERT_EQUAL(st.rx_refused, 0);
  }
  teardown();
}

/* A peer that pads its echo requests to the maximum (1400 bytes of
 * padding: 1458-byte requests, 1482-byte replies).  Node 0 first gives
 * write_pkt a 512-byte buffer, the largest datagram svrbfd.h promised
 * before: the replies that do not fit are dropped and counted, write_pkt
 * never returns NOBUF (drain() asserts it: a kept reply used to block the
 * queue, and the host's retries spun), and node 0's own echo bursts still
 * run, 10 of 10.  With SVRBFD_MAX_PKT_LEN bytes every reply goes out. */
static void test_padded_peer_echo(void) {
  svrbfd_pq_settings ps;
  svrbfd_pq_result r;
  svrbfd_pq_ctx_stats st;
  int round;
  CU_ASSERT(SVRBFD_MAX_PKT_LEN >= SVRBFD_PQ_MAX_PKT_LEN + 24);
  for (round = 0; round < 2; round++) {
    int i;
    setup(0, 20000);
    for (i = 0; i < 2; i++) {
      svrbfd_pq_settings_default(&ps);
      ps.link_test_interval_ns = 1 * S;
      ps.link_test_length = 10;
      ps.min_tx_spacing_ns = 10 * MS;
      ps.pad_len = i == 1 ? SVRBFD_PQ_MAX_PAD : 36;
      CU_ASSERT_FATAL(svrbfd_session_set_link_test(g.s[i], &ps, g.now) == 0);
    }
    g.bufcap[0] = round == 0 ? 512 : 0;
    run_until(g.now + 5 * S);
    CU_ASSERT_EQUAL(state(0), SVRBFD_STATE_UP);
    CU_ASSERT_EQUAL(svrbfd_pq_path_get_result(svrbfd_session_get_pq(g.s[0]),
                                              &r), 1);
    CU_ASSERT_EQUAL(r.sent, 10);
    CU_ASSERT_EQUAL(r.received, 10);
    svrbfd_ctx_get_echo_stats(g.ctx[0], &st);
    CU_ASSERT(st.rx_requests >= 30);
    CU_ASSERT(st.tx_requests >= 30);
    CU_ASSERT_EQUAL(svrbfd_pq_path_get_result(svrbfd_session_get_pq(g.s[1]),
                                              &r), 1);
    if (round == 0) {
      CU_ASSERT_EQUAL(st.tx_replies, 0);
      CU_ASSERT_EQUAL(st.rx_queue_full, st.rx_requests);
      CU_ASSERT_EQUAL(r.received, 0);
    } else {
      CU_ASSERT_EQUAL(st.tx_replies, st.rx_requests);
      CU_ASSERT_EQUAL(st.rx_queue_full, 0);
      CU_ASSERT_EQUAL(r.sent, 10);
      CU_ASSERT_EQUAL(r.received, 10);
    }
    teardown();
  }
}

/* A peer advertising Required Min Echo RX 0 (the default) gets no echo
 * requests, and once its packets have said so, svrbfd_session_set_link_test
 * returns SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED instead of silently doing nothing
 * (issue 16 item 14); the engine is kept and its settings updated.  Before
 * the first packet from the peer the answer is 0 (not known yet). */
static void test_peer_refuses_echo(void) {
  svrbfd_pq_ctx_stats st;
  svrbfd_pq_settings ps;
  svrbfd_session_info in;
  setup(0, 0);
  link_tests(1 * S, 10);
  run_until(g.now + 4 * S);
  CU_ASSERT_EQUAL(state(0), SVRBFD_STATE_UP);
  svrbfd_ctx_get_echo_stats(g.ctx[0], &st);
  CU_ASSERT_EQUAL(st.tx_requests, 0);
  svrbfd_ctx_get_echo_stats(g.ctx[1], &st);
  CU_ASSERT_EQUAL(st.rx_requests, 0);
  svrbfd_session_get_info(g.s[0], &in);
  CU_ASSERT_EQUAL(in.remote_required_min_echo_rx_us, 0);
  svrbfd_pq_settings_default(&ps);
  ps.link_test_interval_ns = 2 * S;
  ps.link_test_length = 5;
  CU_ASSERT_EQUAL(svrbfd_session_set_link_test(g.s[0], &ps, g.now),
                  SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED);
  CU_ASSERT_PTR_NOT_NULL(svrbfd_session_get_pq(g.s[0]));
  CU_ASSERT_PTR_NOT_NULL(
      strstr(svrbfd_strerror(SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED), "echo"));
  run_until(g.now + 4 * S);
  svrbfd_ctx_get_echo_stats(g.ctx[0], &st);
  CU_ASSERT_EQUAL(st.tx_requests, 0);
  teardown();
  /* a session given its engine after the peer said 0 */
  setup(0, 0);
  run_until(g.now + 4 * S);
  CU_ASSERT_EQUAL(state(0), SVRBFD_STATE_UP);
  CU_ASSERT_EQUAL(svrbfd_session_set_link_test(g.s[0], &ps, g.now),
                  SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED);
  teardown();
}

/* Demand mode: node 0 asked for it, node 1 stops periodic packets; losing a
 * whole echo burst takes node 0 Down with Diag 2.  Without Demand the same
 * loss leaves the session Up (async detection is the judge). */
static void test_demand_echo_failure(void) {
  svrbfd_session_info in;
  setup(1, 20000);
  link_tests(1 * S, 5);
  run_until(g.now + 4 * S);
  svrbfd_session_get_info(g.s[0], &in);
  CU_ASSERT_EQUAL(in.state, SVRBFD_STATE_UP);
  CU_ASSERT_TRUE(in.demand_active);
  g.drop_echo_to[0] = 1;
  run_until(g.now + 4 * S);
  CU_ASSERT(g.downs_echo[0] >= 1);
  svrbfd_session_get_info(g.s[0], &in);
  CU_ASSERT(in.up_count >= 1);
  teardown();

  setup(0, 20000);
  link_tests(1 * S, 5);
  run_until(g.now + 3 * S);
  g.drop_echo_to[0] = 1;
  run_until(g.now + 5 * S);
  CU_ASSERT_EQUAL(g.downs[0], 0);
  CU_ASSERT_EQUAL(state(0), SVRBFD_STATE_UP);
  {
    svrbfd_pq_result r;
    CU_ASSERT_EQUAL(svrbfd_pq_path_get_result(svrbfd_session_get_pq(g.s[0]), &r), 1);
    CU_ASSERT_EQUAL(r.received, 0);
    CU_ASSERT_EQUAL(r.mos, 1.0);
  }
  teardown();
}

/* Echo requests from an address without a session are not reflected;
 * a cut stops echo (session Down) and deleting sessions frees the engines. */
static void test_stranger_and_cut(void) {
  uint8_t req[200], out[300];
  svrbfd_pq_echo e;
  svrbfd_path p;
  svrbfd_pq_ctx_stats st;
  svrbfd_ssize n;
  setup(0, 20000);
  link_tests(1 * S, 10);
  run_until(g.now + 3 * S);
  memset(&e, 0, sizeof(e));
  e.seq = 1;
  n = svrbfd_pq_echo_encode(req, sizeof(req), &e);
  memset(&p, 0, sizeof(p));
  p.local = g.addr[1];
  p.remote = g.addr[0];
  p.remote.addr[3] = 99; /* 10.0.0.99: nobody we know */
  p.ttl = 64;
  CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(g.ctx[1], &p, req, (size_t)n, g.now),
                  SVRBFD_ERR_PKT_NO_SESSION);
  svrbfd_ctx_get_echo_stats(g.ctx[1], &st);
  CU_ASSERT_EQUAL(st.rx_refused, 1);
  /* garbage control datagram, and a PMTU probe: not ours */
  CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(g.ctx[1], &p, req, 13, g.now),
                  SVRBFD_PQ_ERR_PKT_HDRLEN);
  req[17] = SVR_CTRL_PMTU_PROBE;
  CU_ASSERT_EQUAL(svrbfd_ctx_read_pkt(g.ctx[1], &p, req, (size_t)n, g.now),
                  SVRBFD_PQ_ERR_PKT_KIND);
  CU_ASSERT_STRING_EQUAL(svrbfd_strerror(SVRBFD_PQ_ERR_PKT_KIND),
                         "not an echo control datagram");
  (void)out;
  g.cut = 1;
  run_until(g.now + 3 * S);
  CU_ASSERT_EQUAL(state(0), SVRBFD_STATE_DOWN);
  CU_ASSERT_FALSE(svrbfd_pq_path_started(svrbfd_session_get_pq(g.s[0])));
  svrbfd_session_del(g.s[0]);
  teardown();
}

int main(void) {
  static const svr_test_case cases[] = {
      {"bursts", test_bursts},
      {"padded_peer_echo", test_padded_peer_echo},
      {"peer_refuses_echo", test_peer_refuses_echo},
      {"demand_echo_failure", test_demand_echo_failure},
      {"stranger_and_cut", test_stranger_and_cut},
      {NULL, NULL}};
  return svr_test_run("pq_ctx", cases);
}
