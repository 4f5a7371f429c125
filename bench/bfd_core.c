/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bfd_core: throughput of the libsvrbfd core (read_pkt + state machine +
 * timers + write_pkt), no sockets.  Two contexts with N sessions each are
 * joined back to back on a virtual clock with 100 ms timers; every packet
 * one writes is read by the other at the same virtual instant.  For each
 * auth mode it prints the packets processed per CPU second and the
 * cost per packet (one write + one read), and the ratio against a peer
 * measured in the same run on the same packets: indep_decode(), a minimal
 * parser of the RFC 5880 section 4.1 layout written in this file for the
 * benchmark (it shares no code with libsvrbfd).  It applies the stateless
 * reception checks of RFC 5880 section 6.8.6 steps 1-6 and reads the
 * authentication section's type and length, no more: the least any BFD
 * implementation must do with a received packet.  Our own decoder,
 * svrbfd_pkt_decode, is timed on the same packets and printed as "ours",
 * not as the peer.  Before timing, the two must agree on every field of
 * every sampled packet (the benchmark exits 1 otherwise).
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

/* Packets kept from the run for the decode-only peer (distinct packets,
 * so neither decoder times one cached buffer). */
#define SAMPLES 1024

typedef struct bench {
  svrbfd_ctx *ctx[2];
  uint64_t rng[2];
  uint64_t pkts;
  uint8_t sample[SAMPLES][SVRBFD_MAX_PKT_LEN];
  size_t sample_len[SAMPLES];
  size_t samples;
} bench;

/* ---- the peer: an independent minimal RFC 5880 section 4.1 parser ---------
 *
 * Written here from the RFC's figure, not from libsvrbfd:
 *
 *   byte 0  Vers(3) Diag(5)          byte 1  Sta(2) P F C A D M
 *   byte 2  Detect Mult              byte 3  Length
 *   4..7 My Discriminator            8..11 Your Discriminator
 *   12..15 Desired Min TX Interval   16..19 Required Min RX Interval
 *   20..23 Required Min Echo RX Interval
 *   [24 Auth Type, 25 Auth Len, ...] when A is set
 */
typedef struct indep_bfd {
  unsigned vers, diag, sta, flags, mult, len;
  uint32_t my, your, tx, rx, echo;
  unsigned auth_type, auth_len;
} indep_bfd;

static uint32_t indep_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/* 0 when the packet passes RFC 5880 6.8.6 steps 1-6, else -1. */
static int indep_decode(indep_bfd *o, const uint8_t *d, size_t n) {
  if (n < 24) {
    return -1;
  }
  o->vers = d[0] >> 5;
  o->diag = d[0] & 0x1f;
  o->sta = d[1] >> 6;
  o->flags = d[1] & 0x3f;
  o->mult = d[2];
  o->len = d[3];
  if (o->vers != 1 || o->len < ((o->flags & 0x04) ? 26u : 24u) || o->len > n ||
      o->mult == 0 || (o->flags & 0x01) != 0) {
    return -1; /* steps 1-5 (0x04 = A, 0x01 = M) */
  }
  o->my = indep_be32(d + 4);
  o->your = indep_be32(d + 8);
  o->tx = indep_be32(d + 12);
  o->rx = indep_be32(d + 16);
  o->echo = indep_be32(d + 20);
  if (o->my == 0) {
    return -1; /* step 6 */
  }
  o->auth_type = o->auth_len = 0;
  if (o->flags & 0x04) {
    o->auth_type = d[24];
    o->auth_len = d[25];
    if (o->auth_len < 2 || 24u + o->auth_len > o->len) {
      return -1;
    }
  }
  return 0;
}

/* The two decoders agree on |d| (checked before anything is timed). */
static int decoders_agree(const uint8_t *d, size_t n) {
  indep_bfd o;
  svrbfd_pkt p;
  if (indep_decode(&o, d, n) != 0 || svrbfd_pkt_decode(&p, d, n) != 0) {
    return 0;
  }
  return o.vers == p.version && o.diag == p.diag && o.sta == p.state &&
         o.flags == (unsigned)(p.poll << 5 | p.final << 4 | p.cpi << 3 |
                               p.auth_present << 2 | p.demand << 1 |
                               p.multipoint) &&
         o.mult == p.detect_mult && o.len == p.length && o.my == p.my_discr &&
         o.your == p.your_discr && o.tx == p.desired_min_tx_us &&
         o.rx == p.required_min_rx_us && o.echo == p.required_min_echo_rx_us &&
         (!p.auth_present ||
          (o.auth_type == p.auth_type && o.auth_len == p.auth_len));
}

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
        if (b->samples < SAMPLES) {
          memcpy(b->sample[b->samples], buf, (size_t)n);
          b->sample_len[b->samples++] = (size_t)n;
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

/* CPU ns per packet of |which| (0 = the independent peer, 1 = ours) over
 * |cnt| packets taken round-robin from the samples. */
static double time_decode(const bench *b, int which, uint64_t cnt,
                          uint64_t *acc) {
  uint64_t i, d0 = now_ns();
  size_t k = 0;
  for (i = 0; i < cnt; i++) {
    if (which == 0) {
      indep_bfd o;
      if (indep_decode(&o, b->sample[k], b->sample_len[k]) == 0) {
        *acc += o.my ^ o.your;
      }
    } else {
      svrbfd_pkt p;
      if (svrbfd_pkt_decode(&p, b->sample[k], b->sample_len[k]) == 0) {
        *acc += p.my_discr ^ p.your_discr;
      }
    }
    k = k + 1 == b->samples ? 0 : k + 1;
  }
  return (double)(now_ns() - d0) / (double)cnt;
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
  uint64_t secs = argc > 2 ? strtoull(argv[2], NULL, 10) : 20;
  static const svrbfd_auth_type modes[] = {SVRBFD_AUTH_NONE,
                                           SVRBFD_AUTH_METICULOUS_KEYED_SHA1,
                                           SVRBFD_AUTH_HMAC_SHA256};
  static bench b;
  size_t m;

  printf("sessions_per_ctx=%u\nvirtual_seconds=%llu\n"
         "peer=indep_decode (RFC 5880 4.1 layout + 6.8.6 steps 1-6, written "
         "in bench/bfd_core.c, not libsvrbfd)\n",
         n, (unsigned long long)secs);
  for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
    uint64_t w0, w1, p0, sessions_up, wall0, wall1;
    svrbfd_ctx_stats st;
    double ns, peer_ns;
    if (setup(&b, n, modes[m]) != 0 ||
        run(&b, 5 * SVRBFD_SECONDS) != 0) { /* warm-up: all Up */
      fprintf(stderr, "setup failed\n");
      return 1;
    }
    svrbfd_ctx_get_stats(b.ctx[0], &st);
    sessions_up = st.sessions_up;
    b.samples = 0; /* sample the measured packets, not the bring-up */
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
    { /* the peer: decode only, this mode's packets, the same count */
      uint64_t acc = 0, cnt = b.pkts - p0;
      double ours_ns;
      size_t k;
      for (k = 0; k < b.samples; k++) {
        if (!decoders_agree(b.sample[k], b.sample_len[k])) {
          fprintf(stderr, "indep_decode and svrbfd_pkt_decode disagree on "
                          "sampled packet %zu (auth=%s)\n",
                  k, auth_name(modes[m]));
          return 1;
        }
      }
      peer_ns = time_decode(&b, 0, cnt, &acc);
      ours_ns = time_decode(&b, 1, cnt, &acc);
      printf("auth=%s sessions_up=%llu packets=%llu pps=%.0f "
             "ns_per_packet=%.1f wall_ns_per_packet=%.1f "
             "decode_samples=%zu decoders_agree=yes "
             "peer_indep_decode_ns=%.1f ours_svrbfd_pkt_decode_ns=%.1f "
             "ratio_core_vs_peer_decode=%.1f decode_checksum=%llu\n",
             auth_name(modes[m]), (unsigned long long)sessions_up,
             (unsigned long long)cnt, 1e9 / ns, ns,
             (double)(wall1 - wall0) / (double)cnt, b.samples, peer_ns,
             ours_ns, ns / peer_ns, (unsigned long long)(acc & 0xff));
      fflush(stdout);
    }
    svrbfd_ctx_del(b.ctx[0]);
    svrbfd_ctx_del(b.ctx[1]);
  }
  return 0;
}
