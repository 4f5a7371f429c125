/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the echo burst scheduler (libsvrbfd pq), with literal
 * timestamps: spacing, the peer's min echo interval, timeouts, duplicates,
 * reordering, history, stop/start and reconfiguration.
 */
#include <string.h>

#include <svrbfd/svrbfd_pq.h>

#include "svr_test.h"

#define MS 1000000ULL
#define S 1000000000ULL

typedef struct rec {
  int calls;
  svrbfd_pq_result last;
} rec;

static int on_burst(svrbfd_pq_path *p, const svrbfd_pq_result *r, void *ud) {
  rec *c = ud;
  (void)p;
  c->calls++;
  c->last = *r;
  return 0;
}

static svrbfd_pq_path *mk(svrbfd_pq_settings *s, rec *c) {
  svrbfd_pq_path *p = NULL;
  svrbfd_pq_callbacks cb;
  memset(&cb, 0, sizeof(cb));
  cb.burst_done = on_burst;
  CU_ASSERT_EQUAL_FATAL(svrbfd_pq_path_new(&p, s, &cb, NULL, c), 0);
  return p;
}

/* Reflects |req| at the given reflector times and feeds the reply. */
static int answer(svrbfd_pq_path *p, const uint8_t *req, size_t n,
                  uint64_t refl_rx, uint64_t refl_tx, uint64_t arrive) {
  uint8_t rep[SVRBFD_PQ_MAX_PKT_LEN + 32];
  svrbfd_ssize m = svrbfd_pq_reflect(rep, sizeof(rep), req, n, refl_rx, refl_tx);
  CU_ASSERT_FATAL(m > 0);
  return svrbfd_pq_path_read_pkt(p, rep, (size_t)m, arrive);
}

static void test_settings(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p = NULL;
  svrbfd_pq_settings_default(&s);
  CU_ASSERT_EQUAL(s.link_test_interval_ns, 10 * S);
  CU_ASSERT_EQUAL(s.link_test_length, 10);
  CU_ASSERT_EQUAL(s.reply_timeout_ns, 1 * S);
  CU_ASSERT_EQUAL(s.history_len, 60);
  s.link_test_interval_ns = S - 1;
  CU_ASSERT_EQUAL(svrbfd_pq_path_new(&p, &s, NULL, NULL, NULL),
                  SVRBFD_PQ_ERR_INTERVAL);
  svrbfd_pq_settings_default(&s);
  s.reply_timeout_ns = 0;
  CU_ASSERT_EQUAL(svrbfd_pq_path_new(&p, &s, NULL, NULL, NULL),
                  SVRBFD_PQ_ERR_INTERVAL);
  svrbfd_pq_settings_default(&s);
  s.history_len = 0;
  CU_ASSERT_EQUAL(svrbfd_pq_path_new(&p, &s, NULL, NULL, NULL),
                  SVRBFD_PQ_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(p);
  CU_ASSERT_EQUAL(svrbfd_pq_path_new_versioned(&p, 99, &s, 1, NULL, NULL, NULL),
                  SVRBFD_PQ_ERR_VERSION);
  svrbfd_pq_path_del(NULL);
}

/* A clean burst: 10 requests 10 ms apart, replies after 20 ms of which 2 ms
 * are spent in the reflector. */
static void test_clean_burst(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p;
  rec c;
  uint8_t buf[256];
  svrbfd_pq_result r;
  svrbfd_pq_stats st;
  int i;
  uint64_t t0 = 5 * S;

  memset(&c, 0, sizeof(c));
  svrbfd_pq_settings_default(&s);
  s.token = 77;
  p = mk(&s, &c);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), UINT64_MAX); /* not started */
  CU_ASSERT_EQUAL(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), t0), 0);
  svrbfd_pq_path_start(p, t0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), t0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_result(p, &r), 0);
  for (i = 0; i < 10; i++) {
    uint64_t t = t0 + (uint64_t)i * 10 * MS;
    svrbfd_ssize n;
    CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), t);
    /* not due 1 ns early */
    CU_ASSERT_EQUAL(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), t - 1), 0);
    n = svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), t);
    CU_ASSERT_EQUAL(n, 54 + 40);
    CU_ASSERT_EQUAL(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), t), 0);
    /* reflector clock is unrelated to ours: 1e12 offset */
    CU_ASSERT_EQUAL(answer(p, buf, (size_t)n, 1000 * S + t, 1000 * S + t + 2 * MS,
                           t + 20 * MS + (i % 2 ? MS : 0)), 0);
  }
  /* all answered: evaluation is due at the last reply */
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), t0 + 90 * MS + 21 * MS);
  CU_ASSERT_EQUAL(svrbfd_pq_path_handle_expiry(p, t0 + 111 * MS), 0);
  CU_ASSERT_EQUAL(c.calls, 1);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_result(p, &r), 1);
  CU_ASSERT_EQUAL(r.sent, 10);
  CU_ASSERT_EQUAL(r.received, 10);
  CU_ASSERT_EQUAL(r.burst, 1);
  CU_ASSERT_EQUAL(r.started, t0);
  /* RTT 18 or 19 ms (reflector's 2 ms removed): mean 18.5, jitter 1 */
  CU_ASSERT_DOUBLE_EQUAL(r.latency_ms, 18.5, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(r.jitter_ms, 1.0, 1e-9);
  CU_ASSERT_EQUAL(r.loss_pct, 0.0);
  CU_ASSERT_DOUBLE_EQUAL(r.mos, svrbfd_pq_mos(18.5, 1.0, 0.0), 1e-12);
  CU_ASSERT_EQUAL(c.last.burst, 1);
  /* next burst one interval after the first */
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), t0 + 10 * S);
  svrbfd_pq_path_get_stats(p, &st);
  CU_ASSERT_EQUAL(st.tx_requests, 10);
  CU_ASSERT_EQUAL(st.rx_replies, 10);
  CU_ASSERT_EQUAL(st.bursts, 1);
  svrbfd_pq_path_del(p);
}

/* Loss, late replies, duplicates, reordering, foreign tokens. */
static void test_loss_late_dup_reorder(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p;
  rec c;
  uint8_t req[10][256];
  size_t len[10];
  svrbfd_pq_result r;
  svrbfd_pq_stats st;
  int i;
  uint64_t t0 = 1000;

  memset(&c, 0, sizeof(c));
  svrbfd_pq_settings_default(&s);
  s.link_test_length = 6;
  s.reply_timeout_ns = 500 * MS;
  p = mk(&s, &c);
  svrbfd_pq_path_start(p, t0);
  for (i = 0; i < 6; i++) {
    svrbfd_ssize n = svrbfd_pq_path_write_pkt(p, req[i], sizeof(req[i]),
                                              t0 + (uint64_t)i * 10 * MS);
    CU_ASSERT_FATAL(n > 0);
    len[i] = (size_t)n;
  }
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), t0 + 50 * MS + 500 * MS);
  /* 0: normal (RTT 30).  2 arrives before 1 (reordered).  3: duplicated.
   * 4: late (after 500 ms).  5: lost. */
  CU_ASSERT_EQUAL(answer(p, req[0], len[0], 0, 0, t0 + 30 * MS), 0);
  CU_ASSERT_EQUAL(answer(p, req[2], len[2], 0, 0, t0 + 50 * MS), 0);
  CU_ASSERT_EQUAL(answer(p, req[1], len[1], 0, 0, t0 + 60 * MS), 0);
  CU_ASSERT_EQUAL(answer(p, req[3], len[3], 0, 0, t0 + 70 * MS), 0);
  CU_ASSERT_EQUAL(answer(p, req[3], len[3], 0, 0, t0 + 71 * MS),
                  SVRBFD_PQ_ERR_PKT_DUPLICATE);
  CU_ASSERT_EQUAL(answer(p, req[4], len[4], 0, 0, t0 + 40 * MS + 500 * MS + 1),
                  SVRBFD_PQ_ERR_PKT_LATE);
  /* a request fed to read_pkt must be reflected, not counted */
  CU_ASSERT_EQUAL(svrbfd_pq_path_read_pkt(p, req[5], len[5], t0 + 80 * MS),
                  SVRBFD_PQ_ERR_PKT_NOT_REPLY);
  /* garbage */
  CU_ASSERT_EQUAL(svrbfd_pq_path_read_pkt(p, req[5], 5, t0 + 80 * MS),
                  SVRBFD_PQ_ERR_PKT_SHORT);
  /* a reply whose reflector delay exceeds the measured round trip */
  {
    uint8_t rep[256];
    svrbfd_ssize m = svrbfd_pq_reflect(rep, sizeof(rep), req[5], len[5], 0,
                                       400 * MS);
    CU_ASSERT_EQUAL(svrbfd_pq_path_read_pkt(p, rep, (size_t)m, t0 + 60 * MS),
                    SVRBFD_PQ_ERR_PKT_RTT);
  }
  CU_ASSERT_EQUAL(svrbfd_pq_path_handle_expiry(p, t0 + 550 * MS - 1), 0);
  CU_ASSERT_EQUAL(c.calls, 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_handle_expiry(p, t0 + 550 * MS), 0);
  CU_ASSERT_EQUAL(c.calls, 1);
  svrbfd_pq_path_get_result(p, &r);
  CU_ASSERT_EQUAL(r.sent, 6);
  CU_ASSERT_EQUAL(r.received, 4);
  CU_ASSERT_EQUAL(r.lost, 2);
  CU_ASSERT_EQUAL(r.late, 1);
  CU_ASSERT_EQUAL(r.duplicates, 1);
  CU_ASSERT_EQUAL(r.reordered, 1);
  CU_ASSERT_DOUBLE_EQUAL(r.loss_pct, 100.0 * 2 / 6, 1e-9);
  /* RTTs in sequence order: 30, 50, 30, 40 -> mean 37.5, jitter (20+20+10)/3 */
  CU_ASSERT_DOUBLE_EQUAL(r.latency_ms, 37.5, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(r.jitter_ms, 50.0 / 3.0, 1e-9);
  CU_ASSERT_EQUAL(r.rtt_min_ns, 30 * MS);
  CU_ASSERT_EQUAL(r.rtt_max_ns, 50 * MS);
  /* the lost one arriving after evaluation: late, result unchanged */
  CU_ASSERT_EQUAL(answer(p, req[5], len[5], 0, 0, t0 + 600 * MS),
                  SVRBFD_PQ_ERR_PKT_LATE);
  svrbfd_pq_path_get_result(p, &r);
  CU_ASSERT_EQUAL(r.received, 4);
  svrbfd_pq_path_get_stats(p, &st);
  CU_ASSERT_EQUAL(st.rx_late, 2);
  CU_ASSERT_EQUAL(st.rx_duplicates, 1);
  CU_ASSERT_EQUAL(st.rx_requests, 1);
  CU_ASSERT_EQUAL(st.rx_bad, 2);
  CU_ASSERT_EQUAL(st.burst_sent, 6);
  CU_ASSERT_EQUAL(st.burst_received, 4);
  svrbfd_pq_path_del(p);
}

/* Wrong token and a forged transmit timestamp are refused. */
static void test_token_and_forgery(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p;
  rec c;
  uint8_t req[256], rep[256];
  svrbfd_pq_echo e;
  svrbfd_ssize n, m;

  memset(&c, 0, sizeof(c));
  svrbfd_pq_settings_default(&s);
  s.token = 5;
  s.link_test_length = 1;
  p = mk(&s, &c);
  svrbfd_pq_path_start(p, 0);
  n = svrbfd_pq_path_write_pkt(p, req, sizeof(req), 0);
  CU_ASSERT_FATAL(n > 0);
  CU_ASSERT_EQUAL(svrbfd_pq_echo_decode(&e, req, (size_t)n), 0);
  e.reply = 1;
  e.token = 6;
  m = svrbfd_pq_echo_encode(rep, sizeof(rep), &e);
  CU_ASSERT_EQUAL(svrbfd_pq_path_read_pkt(p, rep, (size_t)m, 5 * MS),
                  SVRBFD_PQ_ERR_PKT_TOKEN);
  e.token = 5;
  e.tx_ts = 1; /* not what we sent */
  m = svrbfd_pq_echo_encode(rep, sizeof(rep), &e);
  CU_ASSERT_EQUAL(svrbfd_pq_path_read_pkt(p, rep, (size_t)m, 5 * MS),
                  SVRBFD_PQ_ERR_PKT_LATE); /* same burst number: late/stray */
  e.burst = 1000;
  m = svrbfd_pq_echo_encode(rep, sizeof(rep), &e);
  CU_ASSERT_EQUAL(svrbfd_pq_path_read_pkt(p, rep, (size_t)m, 5 * MS),
                  SVRBFD_PQ_ERR_PKT_UNKNOWN_SEQ);
  CU_ASSERT_EQUAL(answer(p, req, (size_t)n, 3, 3, 5 * MS), 0);
  svrbfd_pq_path_del(p);
}

/* Never faster than the peer's required min echo interval. */
static void test_peer_min_echo(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p;
  rec c;
  uint8_t buf[256];
  int i;
  memset(&c, 0, sizeof(c));
  svrbfd_pq_settings_default(&s);
  s.link_test_length = 4;
  p = mk(&s, &c);
  svrbfd_pq_path_set_peer_min_echo_rx(p, 50000); /* 50 ms */
  CU_ASSERT_EQUAL(svrbfd_pq_path_tx_spacing(p), 50 * MS);
  svrbfd_pq_path_start(p, S);
  for (i = 0; i < 4; i++) {
    uint64_t t = S + (uint64_t)i * 50 * MS;
    CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), t);
    CU_ASSERT_EQUAL(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), t - 1), 0);
    CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), t) > 0);
  }
  svrbfd_pq_path_set_peer_min_echo_rx(p, 1000); /* 1 ms: ours (10 ms) wins */
  CU_ASSERT_EQUAL(svrbfd_pq_path_tx_spacing(p), 10 * MS);
  /* nothing answered: evaluated at last + timeout, all lost */
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), S + 150 * MS + S);
  svrbfd_pq_path_handle_expiry(p, S + 150 * MS + S);
  CU_ASSERT_EQUAL(c.calls, 1);
  CU_ASSERT_EQUAL(c.last.received, 0);
  CU_ASSERT_EQUAL(c.last.loss_pct, 100.0);
  CU_ASSERT_EQUAL(c.last.mos, 1.0);
  svrbfd_pq_path_del(p);
}

/* A burst longer than the interval delays the next burst, never overlaps. */
static void test_long_burst_and_late_host(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p;
  rec c;
  uint8_t buf[256];
  memset(&c, 0, sizeof(c));
  svrbfd_pq_settings_default(&s);
  s.link_test_interval_ns = 1 * S;
  s.link_test_length = 3;
  s.min_tx_spacing_ns = 600 * MS;
  s.reply_timeout_ns = 500 * MS;
  p = mk(&s, &c);
  svrbfd_pq_path_start(p, 0);
  CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 0) > 0);
  CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 600 * MS) > 0);
  CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 1200 * MS) > 0);
  /* interval would be due at 1 s, but the burst is evaluated at 1.7 s */
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), 1700 * MS);
  /* the host wakes up late, at 5 s: evaluate, start the next burst now */
  CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 5 * S) > 0);
  CU_ASSERT_EQUAL(c.calls, 1);
  CU_ASSERT_EQUAL(c.last.finished, 5 * S);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), 5 * S + 600 * MS);
  svrbfd_pq_path_del(p);
}

/* History keeps the newest history_len results, newest first. */
static void test_history(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p;
  rec c;
  uint8_t buf[256];
  svrbfd_pq_result h[8];
  uint64_t t = 0;
  uint64_t b;
  memset(&c, 0, sizeof(c));
  svrbfd_pq_settings_default(&s);
  s.link_test_interval_ns = 1 * S;
  s.link_test_length = 1;
  s.history_len = 3;
  p = mk(&s, &c);
  svrbfd_pq_path_start(p, 0);
  for (b = 0; b < 5; b++) {
    svrbfd_ssize n;
    t = b * S;
    n = svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), t);
    CU_ASSERT_FATAL(n > 0);
    /* RTT b+1 ms */
    CU_ASSERT_EQUAL(answer(p, buf, (size_t)n, 0, 0, t + (b + 1) * MS), 0);
    CU_ASSERT_EQUAL(svrbfd_pq_path_handle_expiry(p, t + (b + 1) * MS), 0);
  }
  CU_ASSERT_EQUAL(c.calls, 5);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_history(p, h, 8), 3);
  CU_ASSERT_DOUBLE_EQUAL(h[0].latency_ms, 5.0, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(h[1].latency_ms, 4.0, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(h[2].latency_ms, 3.0, 1e-9);
  CU_ASSERT_EQUAL(h[0].burst, 5);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_history(p, h, 1), 1);
  svrbfd_pq_path_del(p);
}

/* Stop drops the burst in progress; length 0 disables; reconfiguration. */
static void test_stop_disable_reconfig(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_path *p;
  rec c;
  uint8_t buf[256];
  memset(&c, 0, sizeof(c));
  svrbfd_pq_settings_default(&s);
  s.link_test_length = 0;
  p = mk(&s, &c);
  svrbfd_pq_path_start(p, 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), UINT64_MAX);
  CU_ASSERT_EQUAL(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 100 * S), 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_set_link_test(p, 2 * S, 2), 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), 0);
  CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 100 * S) > 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_stop(p), 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_started(p), 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), UINT64_MAX);
  CU_ASSERT_EQUAL(svrbfd_pq_path_handle_expiry(p, 200 * S), 0);
  CU_ASSERT_EQUAL(c.calls, 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_set_link_test(p, 0, 2), SVRBFD_PQ_ERR_INTERVAL);
  svrbfd_pq_path_start(p, 300 * S);
  CU_ASSERT_EQUAL(svrbfd_pq_path_get_expiry(p), 300 * S);
  CU_ASSERT_EQUAL(svrbfd_pq_path_write_pkt(p, buf, 10, 300 * S),
                  SVRBFD_PQ_ERR_NOBUF);
  CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 300 * S) > 0);
  svrbfd_pq_path_del(p);
}

static int fail_cb(svrbfd_pq_path *p, const svrbfd_pq_result *r, void *ud) {
  (void)p;
  (void)r;
  (void)ud;
  return -1;
}

static void test_callback_failure(void) {
  svrbfd_pq_settings s;
  svrbfd_pq_callbacks cb;
  svrbfd_pq_path *p = NULL;
  uint8_t buf[256];
  svrbfd_pq_settings_default(&s);
  s.link_test_length = 1;
  memset(&cb, 0, sizeof(cb));
  cb.burst_done = fail_cb;
  CU_ASSERT_EQUAL_FATAL(svrbfd_pq_path_new(&p, &s, &cb, NULL, NULL), 0);
  svrbfd_pq_path_start(p, 0);
  CU_ASSERT(svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), 0) > 0);
  CU_ASSERT_EQUAL(svrbfd_pq_path_handle_expiry(p, 2 * S),
                  SVRBFD_ERR_CALLBACK_FAILURE);
  svrbfd_pq_path_del(p);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"settings", test_settings},
      {"clean_burst", test_clean_burst},
      {"loss_late_dup_reorder", test_loss_late_dup_reorder},
      {"token_and_forgery", test_token_and_forgery},
      {"peer_min_echo", test_peer_min_echo},
      {"long_burst_and_late_host", test_long_burst_and_late_host},
      {"history", test_history},
      {"stop_disable_reconfig", test_stop_disable_reconfig},
      {"callback_failure", test_callback_failure},
      {NULL, NULL}};
  return svr_test_run("pq_path", cases);
}
