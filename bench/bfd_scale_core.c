/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bfd_scale_core: libsvrbfd alone, no kernel.  Two contexts with N sessions
 * each exchange packets in memory on a simulated clock (1 ms steps, zero
 * delay), so the CPU time per packet is the core's own cost.
 *
 *   bfd_scale_core N INTERVAL_MS SIM_SECONDS
 *
 * BFD_CORE_BUDGET=K in the environment sends at most K packets per side per
 * 1 ms step (a host that cannot keep up: the ready queue grows).
 *
 * Prints key=value: packets moved, CPU ns per packet (process CPU time),
 * sessions Up at the end on each side, down events.  Used by
 * bench/bfd_scale.sh to separate the core's cost from the kernel's.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <svrbfd/svrbfd.h>

typedef struct side {
  svrbfd_ctx *ctx;
  uint64_t ups, downs;
} side;

static uint64_t rng = 88172645463325252ULL;

static void xrand(uint8_t *dest, size_t len, void *user_data) {
  (void)user_data;
  while (len--) { /* xorshift: deterministic, fine for a benchmark */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    *dest++ = (uint8_t)rng;
  }
}

static int on_state(svrbfd_ctx *c, svrbfd_session *s, svrbfd_state from,
                    svrbfd_state to, svrbfd_diag d, svrbfd_tstamp ts,
                    void *user_data) {
  side *sd = user_data;
  (void)c, (void)s, (void)d, (void)ts;
  if (to == SVRBFD_STATE_UP) {
    sd->ups++;
  } else if (from == SVRBFD_STATE_UP) {
    sd->downs++;
  }
  return 0;
}

static void addr(svrbfd_addr *a, uint32_t base, uint32_t i) {
  uint32_t v = base + i;
  memset(a, 0, sizeof(*a));
  a->family = 4;
  a->addr[0] = (uint8_t)(v >> 24);
  a->addr[1] = (uint8_t)(v >> 16);
  a->addr[2] = (uint8_t)(v >> 8);
  a->addr[3] = (uint8_t)v;
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t budget = UINT64_MAX; /* BFD_CORE_BUDGET: packets per step */

/* Moves what |from| has due at |now| (at most |budget|) into |to|. */
static uint64_t pump(side *from, side *to, svrbfd_tstamp now) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path p, q;
  svrbfd_ssize n;
  uint64_t moved = 0;
  while (moved < budget &&
         (n = svrbfd_ctx_write_pkt(from->ctx, &p, buf, sizeof(buf), now)) >
             0) {
    q.local = p.remote;
    q.remote = p.local;
    q.ttl = 255;
    svrbfd_ctx_read_pkt(to->ctx, &q, buf, (size_t)n, now);
    moved++;
  }
  return moved;
}

int main(int argc, char **argv) {
  side a = {0}, b = {0};
  svrbfd_callbacks cb;
  svrbfd_settings st;
  uint32_t n, ivl, i;
  double secs, c0, c1, c2;
  svrbfd_tstamp t, end, step = SVRBFD_MILLISECONDS;
  uint64_t moved = 0;
  svrbfd_ctx_stats sa, sb;

  if (argc != 4) {
    fprintf(stderr, "usage: %s N INTERVAL_MS SIM_SECONDS\n", argv[0]);
    return 2;
  }
  n = (uint32_t)strtoul(argv[1], NULL, 10);
  ivl = (uint32_t)strtoul(argv[2], NULL, 10);
  secs = atof(argv[3]);
  if (getenv("BFD_CORE_BUDGET")) {
    budget = strtoull(getenv("BFD_CORE_BUDGET"), NULL, 10);
  }
  memset(&cb, 0, sizeof(cb));
  cb.rand = xrand;
  cb.session_state = on_state;
  svrbfd_settings_default(&st);
  st.sessions_hint = n;
  if (svrbfd_ctx_new(&a.ctx, &cb, &st, NULL, &a) != 0 ||
      svrbfd_ctx_new(&b.ctx, &cb, &st, NULL, &b) != 0) {
    return 1;
  }
  c0 = cpu_s();
  for (i = 0; i < n; i++) {
    svrbfd_session_config cfg;
    svrbfd_session *s;
    svrbfd_session_config_default(&cfg);
    cfg.mode = SVRBFD_MODE_RFC5881;
    cfg.desired_min_tx_us = cfg.required_min_rx_us = ivl * 1000u;
    cfg.hold_down_ns = 0;
    addr(&cfg.local, 0x0a400001u, i);
    addr(&cfg.remote, 0x0a800001u, i);
    if (svrbfd_session_new(a.ctx, &s, &cfg, NULL, 0) != 0) {
      return 1;
    }
    addr(&cfg.local, 0x0a800001u, i);
    addr(&cfg.remote, 0x0a400001u, i);
    if (svrbfd_session_new(b.ctx, &s, &cfg, NULL, 0) != 0) {
      return 1;
    }
  }
  c1 = cpu_s();
  end = (svrbfd_tstamp)(secs * 1e9);
  for (t = 0; t <= end; t += step) {
    svrbfd_ctx_handle_expiry(a.ctx, t);
    svrbfd_ctx_handle_expiry(b.ctx, t);
    moved += pump(&a, &b, t);
    moved += pump(&b, &a, t);
  }
  c2 = cpu_s();
  svrbfd_ctx_get_stats(a.ctx, &sa);
  svrbfd_ctx_get_stats(b.ctx, &sb);
  printf("impl=core n=%u interval_ms=%u sim_s=%.0f create_s=%.3f cpu_s=%.3f "
         "packets=%llu ns_per_packet=%.0f up_a=%llu up_b=%llu "
         "down_events=%llu\n",
         n, ivl, secs, c1 - c0, c2 - c1, (unsigned long long)moved,
         moved ? (c2 - c1) * 1e9 / (double)moved : 0.0,
         (unsigned long long)sa.sessions_up,
         (unsigned long long)sb.sessions_up,
         (unsigned long long)(a.downs + b.downs));
  svrbfd_ctx_del(a.ctx);
  svrbfd_ctx_del(b.ctx);
  return 0;
}
