/*
 * bfd_core: throughput of the libsvrbfd core (read_pkt + state machine +
 * timers + write_pkt), no sockets.  Two contexts with N sessions each are
 * joined back to back on a virtual clock with 100 ms timers; every packet
 * one writes is read by the other at the same virtual instant.  For each
 * auth mode it prints the packets processed per wall-clock second and the
 * cost per packet (one write + one read), and the ratio against a peer
 * measured in the same run: svrbfd_pkt_decode alone on the same packets.
 * Times are process CPU time (wall time is printed too).
 *
 *   bfd_core [sessions] [virtual seconds]     (defaults 10000 20)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <svrbfd/svrbfd.h>

/* CPU time of this process: the machine may be shared, and wall time
 * would then measure the neighbours too.  (wall time is printed as well) */
static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t wall_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void b_rand(uint8_t *d, size_t n, void *u) {
  uint64_t *s = u;
  size_t i;
  for (i = 0; i < n; i++) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    d[i] = (uint8_t)(*s >> 56);
  }
}

typedef struct bench {
  svrbfd_ctx *ctx[2];
  uint64_t rng[2];
  uint64_t pkts;
  uint8_t sample[SVRBFD_MAX_PKT_LEN];
  size_t sample_len;
} bench;

static void addr(svrbfd_addr *a, uint32_t host) {
  memset(a, 0, sizeof(*a));
  a->family = 4;
  a->addr[0] = 10;
  a->addr[1] = (uint8_t)(host >> 16);
  a->addr[2] = (uint8_t)(host >> 8);
  a->addr[3] = (uint8_t)host;
  a->port = SVRBFD_PORT_SVR;
}

static int setup(bench *b, uint32_t n, svrbfd_auth_type at) {
  svrbfd_callbacks cb;
  svrbfd_settings st;
  uint32_t i;
  int k;
  memset(b, 0, sizeof(*b));
  memset(&cb, 0, sizeof(cb));
  cb.rand = b_rand;
  for (k = 0; k < 2; k++) {
    b->rng[k] = 1 + (uint64_t)k;
    svrbfd_settings_default(&st);
    st.router_name = k ? "bench-b" : "bench-a";
    st.node_name = "node0";
    st.sessions_hint = n;
    if (svrbfd_ctx_new(&b->ctx[k], &cb, &st, NULL, &b->rng[k]) != 0) {
      return -1;
    }
  }
  for (i = 0; i < n; i++) {
    for (k = 0; k < 2; k++) {
      svrbfd_session_config cfg;
      svrbfd_session *s;
      svrbfd_session_config_default(&cfg);
      addr(k ? &cfg.remote : &cfg.local, 1);
      addr(k ? &cfg.local : &cfg.remote, 0x10000 + i);
      cfg.desired_min_tx_us = 100000;
      cfg.required_min_rx_us = 100000;
      cfg.auth.type = at;
      if (at != SVRBFD_AUTH_NONE) {
        cfg.auth.key_id = 1;
        cfg.auth.key_len = 8;
        memcpy(cfg.auth.key, "benchkey", 8);
      }
      if (svrbfd_session_new(b->ctx[k], &s, &cfg, NULL, 0) != 0) {
        return -1;
      }
    }
  }
  return 0;
}

/* Moves every due packet across until both sides are quiet at |ts|. */
static int exchange(bench *b, uint64_t ts) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path, rx;
  int moved = 1, k;
  while (moved) {
    moved = 0;
    for (k = 0; k < 2; k++) {
      svrbfd_ssize n;
      while ((n = svrbfd_ctx_write_pkt(b->ctx[k], &path, buf, sizeof(buf),
                                       ts)) > 0) {
        rx.local = path.remote;
        rx.remote = path.local;
        rx.ttl = 255;
        if (svrbfd_ctx_read_pkt(b->ctx[1 - k], &rx, buf, (size_t)n, ts) != 0) {
          return -1;
        }
        if (b->sample_len == 0) {
          memcpy(b->sample, buf, (size_t)n);
          b->sample_len = (size_t)n;
        }
        b->pkts++;
        moved = 1;
      }
      if (n < 0) {
        return -1;
      }
    }
  }
  return 0;
}

static int run(bench *b, uint64_t until) {
  for (;;) {
    uint64_t t = svrbfd_ctx_get_expiry(b->ctx[0]);
    uint64_t t1 = svrbfd_ctx_get_expiry(b->ctx[1]);
    if (t1 < t) {
      t = t1;
    }
    if (t > until) {
      return 0;
    }
    if (exchange(b, t) != 0) {
      return -1;
    }
  }
}

static const char *auth_name(svrbfd_auth_type t) {
  switch (t) {
  case SVRBFD_AUTH_NONE: return "none";
  case SVRBFD_AUTH_METICULOUS_KEYED_SHA1: return "meticulous-sha1";
  case SVRBFD_AUTH_HMAC_SHA256: return "hmac-sha256";
  default: return "other";
  }
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
  uint64_t secs = argc > 2 ? strtoull(argv[2], NULL, 10) : 20;
  static const svrbfd_auth_type modes[] = {SVRBFD_AUTH_NONE,
                                           SVRBFD_AUTH_METICULOUS_KEYED_SHA1,
                                           SVRBFD_AUTH_HMAC_SHA256};
  size_t m;
  double decode_ns = 0;

  printf("sessions_per_ctx=%u\nvirtual_seconds=%llu\n", n,
         (unsigned long long)secs);
  for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
    bench b;
    uint64_t w0, w1, p0, sessions_up, wall0, wall1;
    svrbfd_ctx_stats st;
    double ns;
    if (setup(&b, n, modes[m]) != 0 ||
        run(&b, 5 * SVRBFD_SECONDS) != 0) { /* warm-up: all Up */
      fprintf(stderr, "setup failed\n");
      return 1;
    }
    svrbfd_ctx_get_stats(b.ctx[0], &st);
    sessions_up = st.sessions_up;
    p0 = b.pkts;
    w0 = now_ns();
    wall0 = wall_ns();
    if (run(&b, (5 + secs) * SVRBFD_SECONDS) != 0) {
      fprintf(stderr, "run failed\n");
      return 1;
    }
    w1 = now_ns();
    wall1 = wall_ns();
    ns = (double)(w1 - w0) / (double)(b.pkts - p0);
    if (m == 0) { /* the peer: decode only, same packet, same count */
      svrbfd_pkt pkt;
      uint64_t i, cnt = b.pkts - p0, d0 = now_ns(), acc = 0;
      for (i = 0; i < cnt; i++) {
        b.sample[4] ^= (uint8_t)i; /* keep the compiler honest */
        if (svrbfd_pkt_decode(&pkt, b.sample, b.sample_len) == 0) {
          acc += pkt.my_discr;
        }
        b.sample[4] ^= (uint8_t)i;
      }
      decode_ns = (double)(now_ns() - d0) / (double)cnt;
      printf("decode_only_ns_per_packet=%.1f\ndecode_only_checksum=%llu\n",
             decode_ns, (unsigned long long)(acc & 0xff));
    }
    printf("auth=%s sessions_up=%llu packets=%llu pps=%.0f "
           "ns_per_packet=%.1f ratio_vs_decode_only=%.1f "
           "wall_ns_per_packet=%.1f\n",
           auth_name(modes[m]), (unsigned long long)sessions_up,
           (unsigned long long)(b.pkts - p0), 1e9 / ns, ns,
           decode_ns > 0 ? ns / decode_ns : 0.0,
           (double)(wall1 - wall0) / (double)(b.pkts - p0));
    svrbfd_ctx_del(b.ctx[0]);
    svrbfd_ctx_del(b.ctx[1]);
  }
  return 0;
}
