/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Path quality over a simulated link (label sim): one path sends echo bursts,
 * a reflector on the far side answers after a processing delay, and the link
 * in between adds a one-way delay D, jitter J and loss L per direction.
 * Checks that latency, jitter and loss come out as configured (tolerances
 * stated per test) and that MOS is exactly the formula of the measured values.
 *
 * Everything is deterministic: literal timestamps, a seeded generator.
 */
#include <math.h>
#include <string.h>

#include <svrbfd/svrbfd_pq.h>

#include "svr_test.h"

#define MS 1000000ULL
#define S 1000000000ULL
#define MAXQ 4096

typedef enum jitter_model {
  JIT_NONE,
  JIT_ALTERNATE_FWD, /* forward: +0, +J, +0, +J ... per request */
  JIT_UNIFORM_BOTH   /* each direction: + uniform [0, J) */
} jitter_model;

typedef struct link_cfg {
  uint64_t delay_ns;    /* one way, each direction */
  uint64_t jitter_ns;
  jitter_model model;
  double loss;          /* per direction, 0..1 */
  double dup;           /* reply duplicated, 0..1 */
  uint64_t refl_ns;     /* reflector processing delay */
  uint64_t stall_every; /* every Nth request held 3 s (late), 0 = never */
} link_cfg;

typedef struct inflight {
  uint64_t at;
  int to_reflector; /* 1: request on its way, 0: reply on its way back */
  uint64_t refl_rx; /* for requests: arrival time at the reflector */
  size_t len;
  uint8_t data[256];
} inflight;

typedef struct sim {
  link_cfg cfg;
  uint64_t rng;
  uint64_t nreq;
  inflight q[MAXQ];
  size_t nq;
  svrbfd_pq_result res[2048];
  size_t nres;
} sim;

static double rnd01(sim *s) {
  return (double)(svr_test_rand(&s->rng) >> 11) / 9007199254740992.0;
}

static uint64_t jitter(sim *s, int fwd, uint64_t reqno) {
  switch (s->cfg.model) {
  case JIT_ALTERNATE_FWD:
    return fwd && (reqno % 2) ? s->cfg.jitter_ns : 0;
  case JIT_UNIFORM_BOTH:
    return (uint64_t)(rnd01(s) * (double)s->cfg.jitter_ns);
  default:
    return 0;
  }
}

static void push(sim *s, uint64_t at, int to_refl, const uint8_t *d, size_t n) {
  inflight *f;
  CU_ASSERT_FATAL(s->nq < MAXQ && n <= sizeof(f->data));
  f = &s->q[s->nq++];
  f->at = at;
  f->to_reflector = to_refl;
  f->len = n;
  memcpy(f->data, d, n);
}

static int on_burst(svrbfd_pq_path *p, const svrbfd_pq_result *r, void *ud) {
  sim *s = ud;
  (void)p;
  if (s->nres < sizeof(s->res) / sizeof(s->res[0])) {
    s->res[s->nres++] = *r;
  }
  return 0;
}

/* Runs the path for |duration| of simulated time. */
static void run(sim *s, svrbfd_pq_path *p, uint64_t t0, uint64_t duration) {
  uint64_t now = t0, end = t0 + duration;
  uint8_t buf[256];
  svrbfd_pq_path_start(p, t0);
  while (now < end) {
    uint64_t next = svrbfd_pq_path_get_expiry(p);
    size_t i, first = SIZE_MAX;
    for (i = 0; i < s->nq; i++) {
      if (s->q[i].at < next) {
        next = s->q[i].at;
        first = i;
      }
    }
    if (next >= end) {
      break;
    }
    now = next;
    if (first != SIZE_MAX) {
      inflight f = s->q[first];
      s->q[first] = s->q[--s->nq];
      if (f.to_reflector) {
        /* the reflector answers refl_ns after the request arrived */
        uint8_t rep[300];
        svrbfd_ssize m = svrbfd_pq_reflect(rep, sizeof(rep), f.data, f.len,
                                           f.at + 7 * S, /* its own clock */
                                           f.at + 7 * S + s->cfg.refl_ns);
        uint64_t back;
        CU_ASSERT_FATAL(m > 0);
        if (rnd01(s) < s->cfg.loss) {
          continue;
        }
        back = f.at + s->cfg.refl_ns + s->cfg.delay_ns + jitter(s, 0, 0);
        push(s, back, 0, rep, (size_t)m);
        if (rnd01(s) < s->cfg.dup) {
          push(s, back + 1 * MS, 0, rep, (size_t)m);
        }
      } else {
        int rv = svrbfd_pq_path_read_pkt(p, f.data, f.len, now);
        CU_ASSERT(rv == 0 || rv == SVRBFD_PQ_ERR_PKT_DUPLICATE ||
                  rv == SVRBFD_PQ_ERR_PKT_LATE);
      }
    } else {
      CU_ASSERT_EQUAL_FATAL(svrbfd_pq_path_handle_expiry(p, now), 0);
    }
    for (;;) {
      svrbfd_ssize n = svrbfd_pq_path_write_pkt(p, buf, sizeof(buf), now);
      uint64_t reqno, at;
      CU_ASSERT_FATAL(n >= 0);
      if (n == 0) {
        break;
      }
      reqno = s->nreq++;
      if (rnd01(s) < s->cfg.loss) {
        continue;
      }
      at = now + s->cfg.delay_ns + jitter(s, 1, reqno);
      if (s->cfg.stall_every && reqno % s->cfg.stall_every == 0) {
        at += 3 * S;
      }
      push(s, at, 1, buf, (size_t)n);
    }
  }
}

static svrbfd_pq_path *mk_path(sim *s, uint8_t len, uint64_t interval) {
  svrbfd_pq_settings st;
  svrbfd_pq_callbacks cb;
  svrbfd_pq_path *p = NULL;
  svrbfd_pq_settings_default(&st);
  st.link_test_length = len;
  st.link_test_interval_ns = interval;
  memset(&cb, 0, sizeof(cb));
  cb.burst_done = on_burst;
  CU_ASSERT_FATAL(svrbfd_pq_path_new(&p, &st, &cb, NULL, s) == 0);
  return p;
}

/* MOS of every burst is the formula applied to that burst's measurements. */
static void check_mos(const sim *s) {
  size_t i;
  for (i = 0; i < s->nres; i++) {
    const svrbfd_pq_result *r = &s->res[i];
    CU_ASSERT_EQUAL(r->mos, svrbfd_pq_mos(r->latency_ms, r->jitter_ms,
                                          r->loss_pct));
  }
}

/*
 * Deterministic link: D = 20 ms, forward jitter alternating 0 / 4 ms,
 * reflector holds each request 3 ms.  Every burst must measure exactly
 * latency 2D + J/2 = 42 ms (the 3 ms are subtracted), jitter J = 4 ms,
 * loss 0 (tolerance 1 us: integer ns arithmetic only).
 */
static void test_deterministic(void) {
  static sim s;
  svrbfd_pq_path *p;
  size_t i;
  memset(&s, 0, sizeof(s));
  s.rng = 1;
  s.cfg.delay_ns = 20 * MS;
  s.cfg.jitter_ns = 4 * MS;
  s.cfg.model = JIT_ALTERNATE_FWD;
  s.cfg.refl_ns = 3 * MS;
  p = mk_path(&s, 10, 10 * S);
  run(&s, p, 1 * S, 100 * S);
  CU_ASSERT_EQUAL(s.nres, 10);
  for (i = 0; i < s.nres; i++) {
    CU_ASSERT_EQUAL(s.res[i].sent, 10);
    CU_ASSERT_EQUAL(s.res[i].received, 10);
    CU_ASSERT_DOUBLE_EQUAL(s.res[i].latency_ms, 42.0, 0.001);
    CU_ASSERT_DOUBLE_EQUAL(s.res[i].jitter_ms, 4.0, 0.001);
    CU_ASSERT_EQUAL(s.res[i].loss_pct, 0.0);
  }
  CU_ASSERT_DOUBLE_EQUAL(s.res[0].mos, svrbfd_pq_mos(42, 4, 0), 1e-12);
  check_mos(&s);
  svrbfd_pq_path_del(p);
}

/*
 * Late packets: every 5th request is held 3 s (the reply timeout is 1 s), so
 * each burst of 10 loses exactly 2 to the timeout: loss 20 %, and the late
 * replies show up in the late counter, not in the latency.
 */
static void test_timeout_counts_as_loss(void) {
  static sim s;
  svrbfd_pq_path *p;
  size_t i;
  memset(&s, 0, sizeof(s));
  s.rng = 2;
  s.cfg.delay_ns = 5 * MS;
  s.cfg.stall_every = 5;
  p = mk_path(&s, 10, 10 * S);
  run(&s, p, 0, 60 * S);
  CU_ASSERT(s.nres >= 5);
  for (i = 0; i < s.nres; i++) {
    CU_ASSERT_EQUAL(s.res[i].lost, 2);
    CU_ASSERT_DOUBLE_EQUAL(s.res[i].loss_pct, 20.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(s.res[i].latency_ms, 10.0, 0.001);
  }
  /* late replies arrive during the next burst's lifetime or after */
  check_mos(&s);
  svrbfd_pq_path_del(p);
}

/*
 * Random link: D = 15 ms, jitter uniform [0, 10 ms) on each direction,
 * loss 10 % per direction, 5 % of replies duplicated, 400 bursts of 10.
 * Expected: latency 2D + J = 40 ms; jitter E|X - X'| for X the sum of two
 * uniforms = 7J/15 = 4.667 ms; loss 1 - 0.9^2 = 19 %.
 * Tolerances (about 5 standard errors for 4000 requests): latency +-0.5 ms
 * (sd of X 4.1 ms / sqrt(3200)), jitter +-0.5 ms, loss +-3 points
 * (sd sqrt(.19 * .81 / 4000) = 0.62 points).  Duplicates and reordering
 * (jitter > spacing) must not disturb the arithmetic.
 */
static void test_random(void) {
  static sim s;
  svrbfd_pq_path *p;
  size_t i, nlat = 0, njit = 0;
  double lat = 0, jit = 0, loss = 0;
  svrbfd_pq_stats st;
  memset(&s, 0, sizeof(s));
  s.rng = 3;
  s.cfg.delay_ns = 15 * MS;
  s.cfg.jitter_ns = 10 * MS;
  s.cfg.model = JIT_UNIFORM_BOTH;
  s.cfg.loss = 0.10;
  s.cfg.dup = 0.05;
  p = mk_path(&s, 10, 2 * S);
  run(&s, p, 0, 800 * S);
  CU_ASSERT_EQUAL(s.nres, 400);
  for (i = 0; i < s.nres; i++) {
    const svrbfd_pq_result *r = &s.res[i];
    CU_ASSERT_EQUAL(r->sent, 10);
    CU_ASSERT(r->received <= 10);
    CU_ASSERT_EQUAL(r->sent, r->received + r->lost);
    loss += r->loss_pct;
    if (r->received > 0) {
      lat += r->latency_ms;
      nlat++;
    }
    if (r->received > 1) {
      jit += r->jitter_ms;
      njit++;
    }
  }
  lat /= (double)nlat;
  jit /= (double)njit;
  loss /= (double)s.nres;
  printf("\nsim random: latency %.3f ms (40), jitter %.3f ms (4.667), "
         "loss %.2f %% (19)\n", lat, jit, loss);
  CU_ASSERT_DOUBLE_EQUAL(lat, 40.0, 0.5);
  CU_ASSERT_DOUBLE_EQUAL(jit, 70.0 / 15.0, 0.5);
  CU_ASSERT_DOUBLE_EQUAL(loss, 19.0, 3.0);
  svrbfd_pq_path_get_stats(p, &st);
  CU_ASSERT(st.rx_duplicates > 0);
  check_mos(&s);
  svrbfd_pq_path_del(p);
}

/* A dead link: every burst is wholly lost, MOS 1.0, and nothing else. */
static void test_dead_link(void) {
  static sim s;
  svrbfd_pq_path *p;
  size_t i;
  memset(&s, 0, sizeof(s));
  s.rng = 4;
  s.cfg.delay_ns = 1 * MS;
  s.cfg.loss = 1.0;
  p = mk_path(&s, 10, 10 * S);
  run(&s, p, 0, 50 * S);
  CU_ASSERT_EQUAL(s.nres, 5);
  for (i = 0; i < s.nres; i++) {
    CU_ASSERT_EQUAL(s.res[i].received, 0);
    CU_ASSERT_EQUAL(s.res[i].loss_pct, 100.0);
    CU_ASSERT_EQUAL(s.res[i].mos, 1.0);
  }
  svrbfd_pq_path_del(p);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"deterministic", test_deterministic},
      {"timeout_counts_as_loss", test_timeout_counts_as_loss},
      {"random", test_random},
      {"dead_link", test_dead_link},
      {NULL, NULL}};
  return svr_test_run("pq_sim", cases);
}
