/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/fwdet_paths: libsvrfwdet cost per peer path as the number of paths
 * on one context grows.  For N paths: create them (10.1.x.y remotes, one
 * local address), then run one full detection cycle for every path (A's
 * burst: request + probes -> responder B -> B's report -> A), in waves of
 * 1000 paths (a responder keeps at most 1024 bursts at once).  Prints ns
 * per path for creation and for the cycle, and the ratio of each to the
 * smallest N measured in the same run: about 1.0 when lookups do not
 * depend on N.  Usage: fwdet_paths [N ...] (default 1000 10000 100000).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <svrfwdet/svrfwdet.h>

#define WAVE 1000

static uint64_t rng = 88172645463325252ULL;

static void bench_rand(uint8_t *d, size_t n, void *u) {
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    d[i] = (uint8_t)rng;
  }
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void addr4(svrfwdet_addr *a, uint8_t b1, uint8_t b2, uint8_t b3) {
  memset(a, 0, sizeof(*a));
  a->family = 4;
  a->addr[0] = 10, a->addr[1] = b1, a->addr[2] = b2, a->addr[3] = b3;
}

/* Moves what |from| has due at |ts| into |to|; returns datagrams moved. */
static size_t pump(svrfwdet_ctx *from, svrfwdet_ctx *to, svrfwdet_tstamp ts) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_out out;
  svrfwdet_ssize n;
  size_t cnt = 0;
  while ((n = svrfwdet_ctx_write_pkt(from, &out, buf, sizeof(buf), ts)) > 0) {
    cnt++;
    if (out.type == SVRFWDET_OUT_UDP) {
      svrfwdet_ctx_read_ctrl(to, &out.src, &out.dst, buf, (size_t)n, ts);
    } else {
      svrfwdet_ctx_read_ip(to, buf, (size_t)n, ts);
    }
  }
  return cnt;
}

typedef struct run {
  double create_ns, cycle_ns;
  unsigned answered;
} run;

static run measure(unsigned npaths) {
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  svrfwdet_path_config pc;
  svrfwdet_ctx *a, *b;
  svrfwdet_path **p = calloc(npaths, sizeof(*p));
  run r = {0, 0, 0};
  unsigned k, w;
  double t0;
  if (!p) {
    exit(3);
  }
  memset(&cb, 0, sizeof(cb));
  cb.rand = bench_rand;
  svrfwdet_settings_default(&st);
  st.router_name = "a";
  if (svrfwdet_ctx_new(&a, &cb, &st, NULL, NULL) != 0) {
    exit(3);
  }
  st.router_name = "b";
  if (svrfwdet_ctx_new(&b, &cb, &st, NULL, NULL) != 0) {
    exit(3);
  }
  svrfwdet_path_config_default(&pc);
  addr4(&pc.local, 0, 0, 1);
  pc.mode = SVRFWDET_MODE_AUTO;
  pc.detect_interval_s = 86400;
  pc.report_timeout_ns = 2 * SVRFWDET_SECONDS;
  t0 = now_ns();
  for (k = 0; k < npaths; k++) {
    /* wave w bursts at w seconds: its first burst is due then */
    svrfwdet_tstamp ts = (svrfwdet_tstamp)(k / WAVE) * 10 * SVRFWDET_SECONDS;
    addr4(&pc.remote, (uint8_t)(1 + (k >> 16)), (uint8_t)(k >> 8), (uint8_t)k);
    if (svrfwdet_path_new(a, &p[k], &pc, NULL, ts) != 0) {
      fprintf(stderr, "path_new failed at %u\n", k);
      exit(3);
    }
  }
  r.create_ns = (now_ns() - t0) / npaths;
  t0 = now_ns();
  for (w = 0; w * WAVE < npaths; w++) {
    svrfwdet_tstamp ts = (svrfwdet_tstamp)w * 10 * SVRFWDET_SECONDS;
    svrfwdet_ctx_handle_expiry(a, ts);
    pump(a, b, ts);
    svrfwdet_ctx_handle_expiry(b, ts + SVRFWDET_SECONDS);
    pump(b, a, ts + SVRFWDET_SECONDS);
  }
  r.cycle_ns = (now_ns() - t0) / npaths;
  for (k = 0; k < npaths; k++) {
    svrfwdet_path_info in;
    svrfwdet_path_get_info(p[k], &in);
    r.answered += in.bursts_answered == 1;
  }
  svrfwdet_ctx_del(a);
  svrfwdet_ctx_del(b);
  free(p);
  return r;
}

int main(int argc, char **argv) {
  unsigned def[] = {1000, 10000, 100000}, *ns = def, nn = 3, i;
  double base_create = 0, base_cycle = 0;
  if (argc > 1) {
    nn = (unsigned)(argc - 1);
    ns = calloc(nn, sizeof(*ns));
    for (i = 0; i < nn; i++) {
      long v = strtol(argv[i + 1], NULL, 10);
      if (v < 1 || v > 16000000) {
        fprintf(stderr, "usage: fwdet_paths [N ...] (1..16000000)\n");
        return 2;
      }
      ns[i] = (unsigned)v;
    }
  }
  printf("# one context, N paths; a cycle = burst, responder, report\n");
  for (i = 0; i < nn; i++) {
    run r = measure(ns[i]);
    if (i == 0) {
      base_create = r.create_ns;
      base_cycle = r.cycle_ns;
    }
    printf("paths=%u create_ns_per_path=%.0f cycle_ns_per_path=%.0f "
           "answered=%u create_ratio=%.2f cycle_ratio=%.2f\n",
           ns[i], r.create_ns, r.cycle_ns, r.answered,
           r.create_ns / base_create, r.cycle_ns / base_cycle);
    if (r.answered != ns[i]) {
      fprintf(stderr, "only %u of %u paths got their report\n", r.answered,
              ns[i]);
      return 1;
    }
  }
  return 0;
}
