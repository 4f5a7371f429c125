/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrpmtu over a simulated network: a prober context A and a responder
 * context B joined by a path with a settable MTU (IP bytes), one-way delay,
 * optional ICMP "fragmentation needed" generation (quoting up to 548 bytes
 * of the probe, like a Linux router) and optional total loss.  Literal
 * timestamps only; everything is deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svrpmtu/svrpmtu.h>

#include "svr_test.h"

#define HDR4 28
#define QMAX 64

typedef struct simpkt {
  uint64_t at;
  int to_a;         /* 1: A receives, 0: B receives */
  int ptb;          /* an ICMP report to A */
  uint32_t mtu;
  size_t len;
  uint8_t buf[SVRPMTU_MAX_PKT_LEN];
} simpkt;

typedef struct sim {
  svrpmtu_ctx *a, *b;
  svrpmtu_path *path;
  uint64_t now;
  unsigned path_mtu;
  int icmp;
  int blackout;      /* drop everything */
  unsigned loss_pct; /* drop this share of datagrams at random */
  uint64_t delay;    /* one way */
  simpkt *q[QMAX];
  size_t nq;
  uint64_t rng;
  /* event counts */
  unsigned n_complete, n_unresolvable, n_black_hole, n_ptb, n_acked, n_lost;
  uint16_t last_pmtu;
  uint64_t first_too_big_ts; /* 0 = none yet */
  uint64_t lost_ts[3];
  /* every probe outcome: size, count (losses so far / 1), time, lost? */
  struct {
    uint16_t size;
    uint8_t lost;
    uint32_t count;
    uint64_t ts;
  } log[64];
  unsigned nlog;
} sim;

static void rnd(uint8_t *d, size_t n, void *u) {
  sim *s = u;
  size_t i;
  for (i = 0; i < n; i++) {
    d[i] = (uint8_t)svr_test_rand(&s->rng);
  }
}

static int on_event(svrpmtu_ctx *ctx, svrpmtu_path *p, const svrpmtu_event *ev,
                    void *u) {
  sim *s = u;
  (void)ctx;
  (void)p;
  switch (ev->type) {
  case SVRPMTU_EV_COMPLETE:
    s->n_complete++;
    s->last_pmtu = ev->pmtu;
    break;
  case SVRPMTU_EV_UNRESOLVABLE:
    s->n_unresolvable++;
    break;
  case SVRPMTU_EV_BLACK_HOLE:
    s->n_black_hole++;
    break;
  case SVRPMTU_EV_PTB:
    s->n_ptb++;
    break;
  case SVRPMTU_EV_PROBE_ACKED:
  case SVRPMTU_EV_PROBE_LOST:
    if (s->nlog < sizeof(s->log) / sizeof(s->log[0])) {
      s->log[s->nlog].size = ev->size;
      s->log[s->nlog].lost = ev->type == SVRPMTU_EV_PROBE_LOST;
      s->log[s->nlog].count = ev->count;
      s->log[s->nlog].ts = ev->ts;
      s->nlog++;
    }
    if (ev->type == SVRPMTU_EV_PROBE_ACKED) {
      s->n_acked++;
      break;
    }
    if (s->n_lost < 3) {
      s->lost_ts[s->n_lost] = ev->ts;
    }
    s->n_lost++;
    break;
  case SVRPMTU_EV_SIZE_TOO_BIG:
    if (!s->first_too_big_ts) {
      s->first_too_big_ts = ev->ts;
    }
    break;
  default:
    break;
  }
  return 0;
}

static void push(sim *s, simpkt *p) {
  CU_ASSERT_FATAL(s->nq < QMAX);
  s->q[s->nq++] = p;
}

static void sim_init(sim *s, unsigned path_mtu, int icmp,
                     const svrpmtu_path_config *cfg_in) {
  svrpmtu_callbacks cb = {rnd, on_event};
  svrpmtu_path_config cfg;
  memset(s, 0, sizeof(*s));
  s->rng = 42;
  s->path_mtu = path_mtu;
  s->icmp = icmp;
  s->delay = 10 * SVRPMTU_MILLISECONDS;
  s->now = 1000 * SVRPMTU_SECONDS;
  CU_ASSERT_EQUAL_FATAL(svrpmtu_ctx_new(&s->a, &cb, NULL, NULL, s), 0);
  CU_ASSERT_EQUAL_FATAL(svrpmtu_ctx_new(&s->b, &cb, NULL, NULL, s), 0);
  if (cfg_in) {
    cfg = *cfg_in;
  } else {
    svrpmtu_path_config_default(&cfg, 4);
  }
  CU_ASSERT_EQUAL_FATAL(svrpmtu_path_new(s->a, &s->path, &cfg, NULL, s->now), 0);
}

static void sim_free(sim *s) {
  size_t i;
  for (i = 0; i < s->nq; i++) {
    free(s->q[i]);
  }
  svrpmtu_ctx_del(s->a);
  svrpmtu_ctx_del(s->b);
}

/* Sends what both contexts have due now. */
static void flush(sim *s) {
  svrpmtu_addr to;
  svrpmtu_ssize n;
  for (;;) {
    simpkt *p = calloc(1, sizeof(*p));
    int from_a = 1;
    n = svrpmtu_ctx_write_pkt(s->a, &to, p->buf, sizeof(p->buf), s->now);
    CU_ASSERT_FATAL(n >= 0);
    if (n == 0) {
      from_a = 0;
      n = svrpmtu_ctx_write_pkt(s->b, &to, p->buf, sizeof(p->buf), s->now);
      CU_ASSERT_FATAL(n >= 0);
    }
    if (n == 0) {
      free(p);
      return;
    }
    p->len = (size_t)n;
    if (s->blackout ||
        (s->loss_pct && svr_test_rand(&s->rng) % 100 < s->loss_pct)) {
      free(p);
      continue;
    }
    if (from_a && p->len + HDR4 > s->path_mtu) {
      if (s->icmp) { /* the router quotes the start of the probe */
        p->ptb = 1;
        p->mtu = s->path_mtu;
        if (p->len > 548) {
          p->len = 548;
        }
        p->to_a = 1;
        p->at = s->now + s->delay / 2;
        push(s, p);
      } else {
        free(p);
      }
      continue;
    }
    p->to_a = !from_a;
    p->at = s->now + s->delay;
    push(s, p);
  }
}

/* Runs until |until| (absolute). */
static void sim_run(sim *s, uint64_t until) {
  for (;;) {
    uint64_t next = svrpmtu_ctx_get_expiry(s->a);
    size_t i, imin = SIZE_MAX;
    svrpmtu_addr from;
    flush(s);
    next = svrpmtu_ctx_get_expiry(s->a);
    if (svrpmtu_ctx_get_expiry(s->b) < next) {
      next = svrpmtu_ctx_get_expiry(s->b);
    }
    for (i = 0; i < s->nq; i++) {
      if (s->q[i]->at < next || (imin == SIZE_MAX && s->q[i]->at == next)) {
        next = s->q[i]->at;
        imin = i;
      }
    }
    if (next > until) {
      s->now = until;
      return;
    }
    if (next > s->now) {
      s->now = next;
    }
    if (imin != SIZE_MAX) {
      simpkt *p = s->q[imin];
      s->q[imin] = s->q[--s->nq];
      memset(&from, 0, sizeof(from));
      from.family = 4;
      if (p->ptb) {
        svrpmtu_ptb ptb = {p->mtu, p->buf, p->len};
        CU_ASSERT(svrpmtu_ctx_read_ptb(s->a, &ptb, s->now) == 0);
      } else {
        CU_ASSERT(svrpmtu_ctx_read_pkt(p->to_a ? s->a : s->b, &from, p->buf,
                                       p->len, s->now) == 0);
      }
      free(p);
    } else {
      CU_ASSERT_FATAL(svrpmtu_ctx_handle_expiry(s->a, s->now) == 0);
      CU_ASSERT_FATAL(svrpmtu_ctx_handle_expiry(s->b, s->now) == 0);
    }
  }
}

static svrpmtu_path_info info_of(sim *s) {
  svrpmtu_path_info i;
  svrpmtu_path_get_info(s->path, &i);
  return i;
}

/* Searches once; returns probes used, asserts the exact result. */
static uint32_t converge(unsigned path_mtu, int icmp, uint16_t max) {
  sim s;
  svrpmtu_path_config cfg;
  svrpmtu_path_info i;
  svrpmtu_path_config_default(&cfg, 4);
  cfg.max_mtu = max;
  sim_init(&s, path_mtu, icmp, &cfg);
  sim_run(&s, s.now + 300 * SVRPMTU_SECONDS);
  i = info_of(&s);
  if (i.state != SVRPMTU_STATE_COMPLETE || i.pmtu != path_mtu) {
    printf("\npath %u icmp %d: state %s pmtu %u\n", path_mtu, icmp,
           svrpmtu_state_name(i.state), i.pmtu);
  }
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_COMPLETE);
  CU_ASSERT_EQUAL(i.pmtu, path_mtu);
  CU_ASSERT_EQUAL(s.n_complete, 1);
  sim_free(&s);
  return i.search_probes;
}

static void test_every_mtu_576_1500(void) {
  unsigned m, worst = 0, sum = 0;
  for (m = 576; m <= 1500; m++) {
    uint32_t n = converge(m, 0, 9216);
    sum += n;
    if (n > worst) {
      worst = n;
    }
  }
  printf("\n  576..1500 in 576..9216, no ICMP: worst %u probes, mean %.2f\n",
         worst, (double)sum / (1500 - 576 + 1));
  CU_ASSERT(worst <= 18);
}

static void test_every_mtu_max1500(void) {
  unsigned m;
  for (m = 576; m <= 1500; m += 1) {
    converge(m, 0, 1500);
  }
}

static void test_jumbo(void) {
  CU_ASSERT(converge(9000, 0, 9216) <= 7);
  CU_ASSERT(converge(9216, 0, 9216) <= 3);
  CU_ASSERT(converge(8000, 0, 9216) <= 16);
}

static void test_probe_counts(void) {
  /* The goal: 1400 in 576..9216 without ICMP in at most 12; we
   * take 8 (bench/pmtu_probes: quiche-style 32, SCTP-style 40). */
  uint32_t n1400 = converge(1400, 0, 9216);
  uint32_t n1500 = converge(1500, 0, 9216);
  uint32_t n1500l = converge(1500, 0, 1500);
  printf("\n  probes: 1400 -> %u, 1500 -> %u, 1500 (max 1500) -> %u\n", n1400,
         n1500, n1500l);
  CU_ASSERT(n1400 <= 8);
  CU_ASSERT(n1500 <= 6);
  CU_ASSERT(n1500l <= 2);
}

static void test_icmp_shortens(void) {
  /* 1500 probe -> validated PTB 1400 -> 1400 acked: done. */
  uint32_t n = converge(1400, 1, 9216), m;
  printf("\n  ICMP: 1400 in %u probes\n", n);
  CU_ASSERT(n <= 3);
  for (m = 576; m <= 1500; m += 7) {
    CU_ASSERT(converge(m, 1, 9216) <= 6);
  }
}

static void test_ptb_validation(void) {
  sim s;
  uint8_t probe[SVRPMTU_MAX_PKT_LEN];
  svrpmtu_addr to;
  svrpmtu_ssize n;
  svrpmtu_ptb ptb;
  svrpmtu_path_info before, after;
  svrpmtu_ctx_stats st;
  svrpmtu_msg m;

  sim_init(&s, 1400, 0, NULL);
  n = svrpmtu_ctx_write_pkt(s.a, &to, probe, sizeof(probe), s.now);
  CU_ASSERT_FATAL(n > 0);
  CU_ASSERT_EQUAL_FATAL(svrpmtu_msg_decode(&m, probe, (size_t)n, 0), 0);
  before = info_of(&s);

  /* PTB claiming an MTU >= the probe: inconsistent, ignored. */
  ptb.quote = probe;
  ptb.quotelen = 548;
  ptb.mtu = m.probed_size;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now), SVRPMTU_ERR_PTB_MTU);
  ptb.mtu = 9000;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now), SVRPMTU_ERR_PTB_MTU);
  /* Below the IPv4 minimum of 68: invalid. */
  ptb.mtu = 60;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now), SVRPMTU_ERR_PTB_MTU);
  /* Quote with a wrong nonce (off-path forgery). */
  ptb.mtu = 1000;
  probe[30] ^= 0x5a;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now),
                  SVRPMTU_ERR_PTB_NOT_OURS);
  probe[30] ^= 0x5a;
  /* Quote cut before the probe TLV (RFC 792 minimum quote). */
  ptb.quotelen = 8;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now),
                  SVRPMTU_ERR_PTB_NOT_OURS);
  /* Not our datagram at all. */
  ptb.quote = (const uint8_t *)"GET / HTTP/1.0\r\n\r\n";
  ptb.quotelen = 18;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now),
                  SVRPMTU_ERR_PTB_NOT_OURS);
  after = info_of(&s);
  CU_ASSERT_EQUAL(after.search_high, before.search_high);
  CU_ASSERT_EQUAL(after.search_low, before.search_low);
  CU_ASSERT_EQUAL(after.ptbs, 0);
  svrpmtu_ctx_get_stats(s.a, &st);
  CU_ASSERT_EQUAL(st.ptb_ignored, 6);
  CU_ASSERT_EQUAL(st.ptb_accepted, 0);

  /* A valid one (quote of the real probe, MTU below it) is used. */
  ptb.quote = probe;
  ptb.quotelen = 548;
  ptb.mtu = 1400;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now), 0);
  after = info_of(&s);
  CU_ASSERT_EQUAL(after.search_high, 1400);
  CU_ASSERT_EQUAL(after.pmtu, 0); /* a PTB never sets the PMTU */
  CU_ASSERT_EQUAL(after.probing_size, 1400);
  sim_free(&s);
}

static void test_ptb_mtu_zero(void) {
  /* An old router reports MTU 0: the probe is too big, no size suggested. */
  sim s;
  uint8_t probe[SVRPMTU_MAX_PKT_LEN];
  svrpmtu_addr to;
  svrpmtu_ssize n;
  svrpmtu_ptb ptb;
  svrpmtu_msg m;
  sim_init(&s, 1400, 0, NULL);
  n = svrpmtu_ctx_write_pkt(s.a, &to, probe, sizeof(probe), s.now);
  CU_ASSERT_FATAL(n > 0);
  CU_ASSERT_EQUAL_FATAL(svrpmtu_msg_decode(&m, probe, (size_t)n, 0), 0);
  ptb.quote = probe;
  ptb.quotelen = 100;
  ptb.mtu = 0;
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now), 0);
  CU_ASSERT_EQUAL(info_of(&s).search_high, m.probed_size - 1);
  CU_ASSERT(info_of(&s).probing_size < m.probed_size);
  sim_run(&s, s.now + 120 * SVRPMTU_SECONDS);
  CU_ASSERT_EQUAL(info_of(&s).pmtu, 1400);
  sim_free(&s);
}

static void test_late_acks(void) {
  /* RTT 1.4 s > the 1 s probe timer: every ack arrives after its probe
   * timed out.  Late acks still count; the result is still exact. */
  sim s;
  svrpmtu_path_info i;
  sim_init(&s, 1400, 0, NULL);
  s.delay = 700 * SVRPMTU_MILLISECONDS;
  sim_run(&s, s.now + 300 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_COMPLETE);
  CU_ASSERT_EQUAL(i.pmtu, 1400);
  printf("\n  RTT 1.4 s: %u probes\n", i.search_probes);
  sim_free(&s);
}

/* The probe outcomes of a 1400 path with max 1500, in order. */
static const struct {
  uint16_t size;
  uint8_t lost;
  uint32_t count;
} seq1400[] = {{1500, 1, 1}, {1400, 0, 1}, {1451, 1, 1}, {1420, 1, 1},
               {1401, 1, 1}, {1401, 1, 2}, {1401, 1, 3}};

static void spacing_case(uint64_t spacing, const uint64_t want_ms[3]) {
  sim s;
  svrpmtu_path_config cfg;
  uint64_t t0;
  unsigned k, n1401 = 0;
  svrpmtu_path_config_default(&cfg, 4);
  cfg.max_mtu = 1500;
  cfg.probe_spacing_ns = spacing;
  sim_init(&s, 1400, 0, &cfg);
  t0 = s.now;
  sim_run(&s, s.now + 60 * SVRPMTU_SECONDS);
  /* One probe per size while searching (a loss is believed at once), then
   * 1401, the size right above the largest ack, until it is lost 3 times. */
  CU_ASSERT_EQUAL_FATAL(s.nlog, sizeof(seq1400) / sizeof(seq1400[0]));
  for (k = 0; k < s.nlog; k++) {
    CU_ASSERT_EQUAL(s.log[k].size, seq1400[k].size);
    CU_ASSERT_EQUAL(s.log[k].lost, seq1400[k].lost);
    CU_ASSERT_EQUAL(s.log[k].count, seq1400[k].count);
    if (s.log[k].size == 1401 && n1401 < 3) {
      CU_ASSERT_EQUAL(s.log[k].ts - t0, want_ms[n1401] * SVRPMTU_MILLISECONDS);
      n1401++;
    }
  }
  CU_ASSERT_EQUAL(s.first_too_big_ts - t0, want_ms[2] * SVRPMTU_MILLISECONDS);
  CU_ASSERT_EQUAL(info_of(&s).pmtu, 1400);
  CU_ASSERT_EQUAL(info_of(&s).search_probes, 7);
  CU_ASSERT_EQUAL(info_of(&s).last_complete - t0,
                  want_ms[2] * SVRPMTU_MILLISECONDS);
  sim_free(&s);
}

static void test_probe_spacing(void) {
  /* Each probe gets the full 1 s timer (10 ms each way here).  1401 is
   * first lost at 4.02 s; its 2nd probe goes at once, and with 333 ms
   * spacing the 3rd goes before the 2nd times out, so 1401 fails at
   * 5.353 s instead of 6.02 s, for the same number of probes. */
  static const uint64_t spaced[3] = {4020, 5020, 5353};
  static const uint64_t serial[3] = {4020, 5020, 6020};
  spacing_case(333 * SVRPMTU_MILLISECONDS, spaced);
  spacing_case(0, serial);
}

static void test_random_loss(void) {
  /* 10 % of probes and 10 % of acks vanish at random (19 % of round
   * trips fail).  A lone loss only steers the search; a result needs three
   * losses in a row of the size above it, so it is never too big, and low
   * only after three random losses of a size that fits: about 5 % of
   * searches here (the search with MAX_PROBES on every size: 4.7 %; with
   * no confirm round at all most results would be low). */
  unsigned run, exact = 0, low = 0, probes = 0;
  for (run = 0; run < 1000; run++) {
    sim s;
    svrpmtu_path_config cfg;
    svrpmtu_path_info i;
    unsigned mtu = 1300 + run % 200;
    svrpmtu_path_config_default(&cfg, 4);
    cfg.max_mtu = 1500;
    sim_init(&s, mtu, 0, &cfg);
    s.rng = 1000 + run;
    s.loss_pct = 10;
    sim_run(&s, s.now + 300 * SVRPMTU_SECONDS);
    i = info_of(&s);
    CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_COMPLETE);
    CU_ASSERT(i.pmtu <= mtu);
    if (i.pmtu == mtu) {
      exact++;
    } else {
      low++;
    }
    probes += i.search_probes;
    sim_free(&s);
  }
  printf("\n  10 %% loss each way: %u of 1000 exact, %u low, mean %.2f probes\n",
         exact, low, probes / 1000.0);
  CU_ASSERT(exact >= 930);
}

static void test_forged_ptb_during_search(void) {
  /* Forged PTBs (wrong nonce, bigger MTU) sprayed while searching change
   * nothing: the result is still exact. */
  sim s;
  int k;
  sim_init(&s, 1400, 0, NULL);
  for (k = 0; k < 40; k++) {
    uint8_t fake[600];
    svrpmtu_msg m = {SVRPMTU_MSG_PROBE, 1, (uint32_t)k, 0x1122334455667788ULL,
                     1500, 1472};
    svrpmtu_ptb ptb = {700, fake, sizeof(fake)};
    m.udp_len = 600;
    CU_ASSERT_EQUAL(svrpmtu_probe_encode(fake, sizeof(fake), &m), 600);
    CU_ASSERT_EQUAL(svrpmtu_ctx_read_ptb(s.a, &ptb, s.now),
                    SVRPMTU_ERR_PTB_NOT_OURS);
    sim_run(&s, s.now + SVRPMTU_SECONDS / 2);
  }
  sim_run(&s, s.now + 120 * SVRPMTU_SECONDS);
  CU_ASSERT_EQUAL(info_of(&s).pmtu, 1400);
  CU_ASSERT_EQUAL(info_of(&s).ptbs, 0);
  sim_free(&s);
}

static void test_decrease_and_increase(void) {
  sim s;
  svrpmtu_path_config cfg;
  svrpmtu_path_info i;
  uint64_t t0;
  svrpmtu_path_config_default(&cfg, 4);
  cfg.interval_ns = 60 * SVRPMTU_SECONDS;
  sim_init(&s, 1400, 0, &cfg);
  sim_run(&s, s.now + 50 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.pmtu, 1400);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_COMPLETE);
  t0 = i.last_complete;
  /* The path drops to 1300 with no ICMP: the next run (60 s after the
   * result) finds it. */
  s.path_mtu = 1300;
  sim_run(&s, t0 + 60 * SVRPMTU_SECONDS + 30 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.pmtu, 1300);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_COMPLETE);
  CU_ASSERT_EQUAL(s.n_complete, 2);
  printf("\n  1400 -> 1300: re-run used %u probes\n", i.search_probes);
  /* Unchanged path: a re-run costs the confirmation of the old value. */
  t0 = i.last_complete;
  sim_run(&s, t0 + 60 * SVRPMTU_SECONDS + 30 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.pmtu, 1300);
  CU_ASSERT(i.search_probes <= 4);
  /* And it rises again to 1500. */
  s.path_mtu = 1500;
  t0 = i.last_complete;
  sim_run(&s, t0 + 60 * SVRPMTU_SECONDS + 30 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.pmtu, 1500);
  printf("  1300 -> 1500: re-run used %u probes\n", i.search_probes);
  sim_free(&s);
}

static void test_black_hole_confirm(void) {
  sim s;
  svrpmtu_path_config cfg;
  svrpmtu_path_info i;
  svrpmtu_path_config_default(&cfg, 4);
  cfg.confirm_interval_ns = 10 * SVRPMTU_SECONDS; /* raise timer stays 600 s */
  sim_init(&s, 1400, 0, &cfg);
  sim_run(&s, s.now + 50 * SVRPMTU_SECONDS);
  CU_ASSERT_EQUAL(info_of(&s).pmtu, 1400);
  s.path_mtu = 1280;
  /* At most 10 s to the next confirmation + 1.67 s for its three losses
   * (spaced 333 ms, 1 s timer each), then a downward search. */
  {
    uint64_t limit = s.now + 10 * SVRPMTU_SECONDS + 1667 * SVRPMTU_MILLISECONDS;
    while (s.n_black_hole == 0 && s.now < limit) {
      sim_run(&s, s.now + SVRPMTU_MILLISECONDS);
    }
  }
  CU_ASSERT_EQUAL(s.n_black_hole, 1);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_SEARCHING);
  CU_ASSERT_EQUAL(i.pmtu, 576); /* the base meanwhile (RFC 8899 4.3) */
  CU_ASSERT(i.search_high <= 1399);
  sim_run(&s, s.now + 60 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.pmtu, 1280);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_COMPLETE);
  sim_free(&s);
}

static void test_unresolvable(void) {
  sim s;
  svrpmtu_path_config cfg;
  svrpmtu_path_info i;
  svrpmtu_path_config_default(&cfg, 4);
  cfg.interval_ns = 120 * SVRPMTU_SECONDS;
  sim_init(&s, 1500, 0, &cfg);
  s.blackout = 1;
  sim_run(&s, s.now + 100 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_ERROR);
  CU_ASSERT_EQUAL(s.n_unresolvable, 1);
  CU_ASSERT_EQUAL(i.pmtu, 0);
  CU_ASSERT_EQUAL(i.acks, 0);
  printf("\n  unresolvable after %u probes\n", i.search_probes);
  /* The path heals; the next run (interval after the error) resolves it. */
  s.blackout = 0;
  sim_run(&s, s.now + 200 * SVRPMTU_SECONDS);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_COMPLETE);
  CU_ASSERT_EQUAL(i.pmtu, 1500);
  sim_free(&s);
}

static void test_below_base_unresolvable(void) {
  sim s;
  sim_init(&s, 500, 0, NULL); /* nothing >= 576 passes */
  sim_run(&s, s.now + 100 * SVRPMTU_SECONDS);
  CU_ASSERT_EQUAL(info_of(&s).state, SVRPMTU_STATE_ERROR);
  CU_ASSERT_EQUAL(s.n_unresolvable, 1);
  sim_free(&s);
}

static void test_ack_checks(void) {
  sim s;
  uint8_t probe[SVRPMTU_MAX_PKT_LEN], ack[64];
  svrpmtu_addr to, from = {4, 0, 1280, {10, 0, 0, 2}};
  svrpmtu_ssize n, an;
  sim_init(&s, 1400, 0, NULL);
  n = svrpmtu_ctx_write_pkt(s.a, &to, probe, sizeof(probe), s.now);
  CU_ASSERT_FATAL(n > 100);
  CU_ASSERT_EQUAL(to.port, 1280);
  /* Responder got fewer bytes than sent: truncated, not an ack. */
  an = svrpmtu_ack_build(ack, sizeof(ack), probe, (size_t)n);
  CU_ASSERT_EQUAL(an, SVRPMTU_ACK_LEN);
  ack[40] ^= 0x01; /* received length field off by one */
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_pkt(s.a, &from, ack, (size_t)an, s.now),
                  SVRPMTU_ERR_PKT_TRUNCATED);
  ack[40] ^= 0x01;
  ack[30] ^= 0x01; /* nonce */
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_pkt(s.a, &from, ack, (size_t)an, s.now),
                  SVRPMTU_ERR_PKT_UNKNOWN);
  ack[30] ^= 0x01;
  CU_ASSERT_EQUAL(info_of(&s).acks, 0);
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_pkt(s.a, &from, ack, (size_t)an, s.now), 0);
  CU_ASSERT_EQUAL(info_of(&s).acks, 1);
  /* A replayed ack is harmless. */
  CU_ASSERT_EQUAL(svrpmtu_ctx_read_pkt(s.a, &from, ack, (size_t)an, s.now), 0);
  sim_free(&s);
}

static void test_many_paths(void) {
  /* One context, many paths, one heap: all converge. */
  svrpmtu_callbacks cb = {rnd, NULL};
  svrpmtu_ctx *a, *b;
  svrpmtu_path *p[50];
  svrpmtu_path_config cfg;
  svrpmtu_path_info i;
  sim s;
  uint64_t now = SVRPMTU_SECONDS;
  int k, done;
  memset(&s, 0, sizeof(s));
  s.rng = 7;
  CU_ASSERT_EQUAL_FATAL(svrpmtu_ctx_new(&a, &cb, NULL, NULL, &s), 0);
  CU_ASSERT_EQUAL_FATAL(svrpmtu_ctx_new(&b, &cb, NULL, NULL, &s), 0);
  svrpmtu_path_config_default(&cfg, 4);
  cfg.max_mtu = 1500;
  for (k = 0; k < 50; k++) {
    cfg.remote.addr[3] = (uint8_t)k; /* path k has MTU 1000 + 10k */
    CU_ASSERT_EQUAL_FATAL(svrpmtu_path_new(a, &p[k], &cfg, NULL, now), 0);
  }
  for (done = 0; done < 2000; done++) {
    uint8_t buf[SVRPMTU_MAX_PKT_LEN], ab[64];
    svrpmtu_addr to;
    svrpmtu_ssize n;
    while ((n = svrpmtu_ctx_write_pkt(a, &to, buf, sizeof(buf), now)) > 0) {
      if ((size_t)n + HDR4 <= 1000u + 10u * to.addr[3]) {
        svrpmtu_ssize an = svrpmtu_ack_build(ab, sizeof(ab), buf, (size_t)n);
        CU_ASSERT_FATAL(an > 0);
        CU_ASSERT(svrpmtu_ctx_read_pkt(a, &to, ab, (size_t)an, now) == 0);
      }
    }
    if (svrpmtu_ctx_get_expiry(a) > now + 100 * SVRPMTU_SECONDS) {
      break;
    }
    now = svrpmtu_ctx_get_expiry(a);
    CU_ASSERT_FATAL(svrpmtu_ctx_handle_expiry(a, now) == 0);
  }
  for (k = 0; k < 50; k++) {
    svrpmtu_path_get_info(p[k], &i);
    CU_ASSERT_EQUAL(i.pmtu, 1000 + 10 * k);
  }
  svrpmtu_path_del(p[3]);
  svrpmtu_ctx_del(a);
  svrpmtu_ctx_del(b);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"probe_counts", test_probe_counts},
      {"every_mtu_576_1500", test_every_mtu_576_1500},
      {"every_mtu_max1500", test_every_mtu_max1500},
      {"jumbo", test_jumbo},
      {"icmp_shortens", test_icmp_shortens},
      {"ptb_validation", test_ptb_validation},
      {"forged_ptb_during_search", test_forged_ptb_during_search},
      {"ptb_mtu_zero", test_ptb_mtu_zero},
      {"probe_spacing", test_probe_spacing},
      {"random_loss", test_random_loss},
      {"late_acks", test_late_acks},
      {"decrease_and_increase", test_decrease_and_increase},
      {"black_hole_confirm", test_black_hole_confirm},
      {"unresolvable", test_unresolvable},
      {"below_base_unresolvable", test_below_base_unresolvable},
      {"ack_checks", test_ack_checks},
      {"many_paths", test_many_paths},
      {NULL, NULL}};
  return svr_test_run("pmtu_sim", cases);
}
