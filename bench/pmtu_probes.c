/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/pmtu_probes: probes and simulated time for path MTU discovery to
 * converge, libsvrpmtu against two published algorithms re-implemented
 * here from their descriptions (reference/rfc-algorithms.md section 3.7):
 *
 *   quiche  "optimistic binary": first probe at the max; a size lost
 *           MAX_PROBES (3) times is the smallest failure; next probe is the
 *           midpoint (floor) of the largest success and the smallest
 *           failure, the base counting as a success without a probe; done
 *           when failure - success <= 1.
 *   sctp    Linux SCTP PLPMTUD: confirm the base, then +32 bytes while
 *           acked; the first size lost 3 times becomes probe_high and the
 *           current PMTU is re-probed once; then +4 bytes until probe_high
 *           or a size lost 3 times (then the PMTU is re-probed once more).
 *           Its result is only exact to 4 bytes ("sctp_result" says what it
 *           ends on).
 *
 * All three run over the same path: no ICMP (the black-hole case), every
 * probe waits the same probe timer (1 s) before it counts as lost, an acked
 * probe costs one RTT (50 ms).  Probe counts include every lost probe.
 * The peers send one probe at a time; libsvrpmtu runs unmodified (public
 * API, responder = svrpmtu_ack_build) with its default probe spacing (in
 * the final confirm round the 2nd and 3rd probe go 1/3 s after the
 * previous one, each still waiting the full timer), and "ours_serial_ms"
 * gives its time with one probe at a time like the peers (same probe
 * count, checked).
 *
 * Confirmation rule.  ours takes a lone loss as "too big" for steering and
 * proves only the size above the result with three losses in a row
 * (docs/libsvrpmtu.md); the peers, as published, apply MAX_PROBES to every
 * size.  That is not the same rule, so each peer runs under both and both
 * are reported:
 *   same rule  ("quiche", "sctp", ratio_quiche, ratio_sctp): a lone loss
 *              steers, and the size the result rests on (the smallest
 *              size lost: quiche's failure bound, SCTP's probe_high or
 *              last +4 step) is lost 3 times in a row, the first loss
 *              counting; the like-for-like comparison.
 *   published  ("quiche_pub", "sctp_pub", ratio_quiche_pub, ...):
 *              MAX_PROBES on every size.
 *
 * Output: key=value lines, one per row (common path MTUs: sizes a search
 * may favour), then per range a summary of the rows and a "uniform" line:
 * the mean over path MTUs spread evenly with no favoured size.  For
 * 576..9216 that is every 8 bytes from 1280 to 9000 (966 values; --all
 * uses every integer from 576 to 9216 instead, ~8600 searches); for
 * 576..1500 and 1200..1500 every integer in the range.  The uniform lines
 * are the headline figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svrpmtu/svrpmtu.h>

#define PROBE_TIMER_MS 1000.0
#define RTT_MS 50.0

typedef struct result {
  unsigned probes;
  unsigned lost;
  unsigned found;
  double ms;
} result;

/* ---- libsvrpmtu ------------------------------------------------------- */

static void rnd(uint8_t *d, size_t n, void *u) {
  uint64_t *s = u;
  size_t i;
  for (i = 0; i < n; i++) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    d[i] = (uint8_t)(*s >> 56);
  }
}

static result run_ours(unsigned base, unsigned max, unsigned path_mtu,
                       int serial) {
  static uint8_t buf[SVRPMTU_MAX_PKT_LEN];
  uint64_t seed = 99, t0 = 1000000000ULL, now = t0;
  svrpmtu_callbacks cb = {rnd, NULL};
  svrpmtu_ctx *ctx;
  svrpmtu_path *path;
  svrpmtu_path_config cfg;
  svrpmtu_path_info info;
  result r = {0, 0, 0, 0};
  int guard;

  if (svrpmtu_ctx_new(&ctx, &cb, NULL, NULL, &seed) != 0) {
    exit(3);
  }
  svrpmtu_path_config_default(&cfg, 4);
  cfg.base_mtu = (uint16_t)base;
  cfg.max_mtu = (uint16_t)max;
  cfg.probe_timeout_ns = (uint64_t)(PROBE_TIMER_MS * 1e6);
  if (serial) {
    cfg.probe_spacing_ns = 0; /* next probe of a size only after a loss */
  }
  if (svrpmtu_path_new(ctx, &path, &cfg, NULL, now) != 0) {
    exit(3);
  }
  for (guard = 0; guard < 1000; guard++) {
    svrpmtu_addr to;
    svrpmtu_ssize n;
    svrpmtu_path_get_info(path, &info);
    if (info.state != SVRPMTU_STATE_SEARCHING) {
      break;
    }
    n = svrpmtu_ctx_write_pkt(ctx, &to, buf, sizeof(buf), now);
    if (n > 0) {
      if ((unsigned)n + 28 <= path_mtu) {
        uint8_t ack[SVRPMTU_ACK_LEN];
        svrpmtu_ssize an = svrpmtu_ack_build(ack, sizeof(ack), buf, (size_t)n);
        now += (uint64_t)(RTT_MS * 1e6);
        svrpmtu_ctx_read_pkt(ctx, &to, ack, (size_t)an, now);
      }
      continue;
    }
    now = svrpmtu_ctx_get_expiry(ctx);
    svrpmtu_ctx_handle_expiry(ctx, now);
  }
  svrpmtu_path_get_info(path, &info);
  r.probes = info.search_probes;
  r.lost = (unsigned)info.losses;
  r.found = info.state == SVRPMTU_STATE_COMPLETE ? info.pmtu : 0;
  r.ms = (double)(info.last_complete - t0) / 1e6;
  svrpmtu_ctx_del(ctx);
  return r;
}

/* ---- the peers, from their published algorithms ----------------------- */

typedef enum rule { SAME_RULE, PUBLISHED } rule;

/* One size probed up to |tries| times: returns 1 if acked. */
static int probe_n(result *r, unsigned size, unsigned path_mtu, int tries) {
  int k;
  for (k = 0; k < tries; k++) {
    r->probes++;
    if (size <= path_mtu) {
      r->ms += RTT_MS;
      return 1;
    }
    r->lost++;
    r->ms += PROBE_TIMER_MS;
  }
  return 0;
}

/* A steering probe: 3 tries (published) or 1 (same rule as ours). */
static int probe_size(result *r, unsigned size, unsigned path_mtu, rule u) {
  return probe_n(r, size, path_mtu, u == PUBLISHED ? 3 : 1);
}

/* Same rule: the size the result rests on, lost once while steering, is
 * lost twice more (three in a row, the first counting).  No random loss
 * here, so a size that was lost once is lost again. */
static void confirm_lost(result *r, unsigned size, unsigned path_mtu, rule u) {
  if (u == SAME_RULE && size > path_mtu) {
    probe_n(r, size, path_mtu, 2);
  }
}

static result run_quiche(unsigned base, unsigned max, unsigned path_mtu,
                         rule u) {
  result r = {0, 0, 0, 0};
  unsigned ok = base, fail = 0, size = max;
  for (;;) {
    if (probe_size(&r, size, path_mtu, u)) {
      ok = size;
      if (size == max) {
        break;
      }
    } else {
      fail = size;
    }
    if (fail && fail - ok <= 1) {
      confirm_lost(&r, fail, path_mtu, u);
      break;
    }
    size = (ok + fail) / 2;
  }
  r.found = ok;
  return r;
}

static result run_sctp(unsigned base, unsigned max, unsigned path_mtu,
                       rule u) {
  result r = {0, 0, 0, 0};
  unsigned pmtu, high = 0, size;
  if (!probe_size(&r, base, path_mtu, u)) {
    return r; /* error state */
  }
  pmtu = base;
  for (;;) {
    if (!high) {
      if (pmtu >= max) {
        break;
      }
      size = pmtu + 32 > max ? max : pmtu + 32;
      if (probe_size(&r, size, path_mtu, u)) {
        pmtu = size;
      } else {
        high = size;
        probe_size(&r, pmtu, path_mtu, u); /* re-probe the current PMTU */
      }
    } else {
      size = pmtu + 4;
      if (size >= high) {
        confirm_lost(&r, high, path_mtu, u); /* the result rests on it */
        break;
      }
      if (probe_size(&r, size, path_mtu, u)) {
        pmtu = size;
      } else {
        confirm_lost(&r, size, path_mtu, u);
        probe_size(&r, pmtu, path_mtu, u);
        break;
      }
    }
  }
  r.found = pmtu;
  return r;
}

/* ---- table -------------------------------------------------------------- */

static const unsigned rows[] = {576,  1006, 1200, 1280, 1300, 1337, 1380, 1400,
                                1420, 1450, 1460, 1472, 1476, 1480, 1492, 1499,
                                1500, 2000, 4352, 5000, 8000, 9000, 9216};

/* The four peer runs of one path MTU. */
typedef struct peers {
  result q, s, qp, sp; /* same rule, then published */
} peers;

static peers run_peers(unsigned base, unsigned max, unsigned m) {
  peers p;
  p.q = run_quiche(base, max, m, SAME_RULE);
  p.s = run_sctp(base, max, m, SAME_RULE);
  p.qp = run_quiche(base, max, m, PUBLISHED);
  p.sp = run_sctp(base, max, m, PUBLISHED);
  /* both rules must reach the same answer: quiche exact, SCTP to 4 bytes */
  if (p.q.found != m || p.qp.found != m || p.s.found != p.sp.found ||
      p.s.found > m || p.s.found + 4 <= m) {
    printf("ERROR peers found quiche %u/%u sctp %u/%u for %u\n", p.q.found,
           p.qp.found, p.s.found, p.sp.found, m);
    exit(1);
  }
  return p;
}

static result checked_ours(unsigned base, unsigned max, unsigned m) {
  result o = run_ours(base, max, m, 0);
  if (o.found != m) {
    printf("ERROR ours found %u for %u\n", o.found, m);
    exit(1);
  }
  return o;
}

/* Mean probes and seconds over path MTUs first, first + step, ... <= last;
 * printed as one "uniform" line. */
static void uniform(const char *name, unsigned base, unsigned max,
                    unsigned first, unsigned step, unsigned last) {
  unsigned m, k = 0, wo = 0, wq = 0, ws = 0, wqp = 0, wsp = 0;
  double o_p = 0, q_p = 0, s_p = 0, qp_p = 0, sp_p = 0;
  double o_t = 0, q_t = 0, s_t = 0, qp_t = 0, sp_t = 0;
#define WORST(w, v) ((v) > (w) ? (v) : (w))
  for (m = first; m <= last; m += step) {
    result o = checked_ours(base, max, m);
    peers p = run_peers(base, max, m);
    k++;
    o_p += o.probes, q_p += p.q.probes, s_p += p.s.probes;
    qp_p += p.qp.probes, sp_p += p.sp.probes;
    o_t += o.ms, q_t += p.q.ms, s_t += p.s.ms, qp_t += p.qp.ms, sp_t += p.sp.ms;
    wo = WORST(wo, o.probes), wq = WORST(wq, p.q.probes);
    ws = WORST(ws, p.s.probes), wqp = WORST(wqp, p.qp.probes);
    wsp = WORST(wsp, p.sp.probes);
  }
#undef WORST
  printf("uniform range=%s set=%u:%u:%u values=%u mean_ours=%.2f "
         "mean_quiche=%.2f mean_sctp=%.2f ratio_quiche=%.2f ratio_sctp=%.2f "
         "mean_quiche_pub=%.2f mean_sctp_pub=%.2f ratio_quiche_pub=%.2f "
         "ratio_sctp_pub=%.2f worst_ours=%u worst_quiche=%u worst_sctp=%u "
         "worst_quiche_pub=%u worst_sctp_pub=%u mean_s_ours=%.2f "
         "mean_s_quiche=%.2f mean_s_sctp=%.2f mean_s_quiche_pub=%.2f "
         "mean_s_sctp_pub=%.2f\n",
         name, first, step, last, k, o_p / k, q_p / k, s_p / k, o_p / q_p,
         o_p / s_p, qp_p / k, sp_p / k, o_p / qp_p, o_p / sp_p, wo, wq, ws,
         wqp, wsp, o_t / k / 1000, q_t / k / 1000, s_t / k / 1000,
         qp_t / k / 1000, sp_t / k / 1000);
  fflush(stdout);
}

static void range(const char *name, unsigned base, unsigned max,
                  unsigned u_first, unsigned u_step, unsigned u_last) {
  size_t i;
  unsigned n = 0, wins = 0, ties_or_losses = 0;
  char not_fewer[256] = "";
  double so = 0, sq = 0, ss = 0, to = 0, tq = 0, ts = 0;
  printf("# range %s: base %u, max %u (IP bytes), no ICMP, probe timer %.0f ms, "
         "RTT %.0f ms; peers under our confirmation rule (pub = as "
         "published, MAX_PROBES on every size)\n",
         name, base, max, PROBE_TIMER_MS, RTT_MS);
  printf("# %6s %6s %7s %6s %10s %10s %8s %9s %9s %8s %8s\n", "mtu", "ours",
         "quiche", "sctp", "quiche_pub", "sctp_pub", "sctp_res", "ours_s",
         "quiche_s", "sctp_s", "winner");
  for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    unsigned m = rows[i];
    result o, os;
    peers p;
    const char *w;
    if (m < base || m > max) {
      continue;
    }
    o = checked_ours(base, max, m);
    os = run_ours(base, max, m, 1);
    if (os.probes != o.probes || os.found != m) {
      printf("ERROR serial run differs for %u\n", m);
      exit(1);
    }
    p = run_peers(base, max, m);
    n++;
    so += o.probes;
    sq += p.q.probes;
    ss += p.s.probes;
    to += o.ms;
    tq += p.q.ms;
    ts += p.s.ms;
    /* winner under the same rule */
    if (o.probes < p.q.probes && o.probes < p.s.probes) {
      wins++;
      w = "ours";
    } else {
      ties_or_losses++;
      w = o.probes <= p.q.probes && o.probes <= p.s.probes ? "tie" : "peer";
      snprintf(not_fewer + strlen(not_fewer), sizeof(not_fewer) - strlen(not_fewer),
               "%s%u", not_fewer[0] ? "," : "", m);
    }
    printf("# %6u %6u %7u %6u %10u %10u %8u %9.2f %9.2f %8.2f %8s\n", m,
           o.probes, p.q.probes, p.s.probes, p.qp.probes, p.sp.probes,
           p.s.found, o.ms / 1000, p.q.ms / 1000, p.s.ms / 1000, w);
    printf("row range=%s mtu=%u ours=%u quiche=%u sctp=%u quiche_pub=%u "
           "sctp_pub=%u ours_lost=%u quiche_lost=%u sctp_lost=%u "
           "sctp_result=%u ours_ms=%.0f ours_serial_ms=%.0f quiche_ms=%.0f "
           "sctp_ms=%.0f quiche_pub_ms=%.0f sctp_pub_ms=%.0f "
           "ratio_quiche=%.2f ratio_sctp=%.2f\n",
           name, m, o.probes, p.q.probes, p.s.probes, p.qp.probes,
           p.sp.probes, o.lost, p.q.lost, p.s.lost, p.s.found, o.ms, os.ms,
           p.q.ms, p.s.ms, p.qp.ms, p.sp.ms, (double)o.probes / p.q.probes,
           (double)o.probes / p.s.probes);
  }
  printf("rows_summary range=%s rows=%u ours_fewer_than_both=%u not_fewer=%u "
         "not_fewer_rows=%s mean_ours=%.2f mean_quiche=%.2f mean_sctp=%.2f "
         "ratio_quiche=%.2f ratio_sctp=%.2f mean_s_ours=%.2f "
         "mean_s_quiche=%.2f mean_s_sctp=%.2f (common sizes only: see "
         "uniform)\n",
         name, n, wins, ties_or_losses, not_fewer[0] ? not_fewer : "none",
         so / n, sq / n, ss / n, so / sq, so / ss, to / n / 1000,
         tq / n / 1000, ts / n / 1000);
  uniform(name, base, max, u_first, u_step, u_last);
}

int main(int argc, char **argv) {
  int all = argc > 1 && strcmp(argv[1], "--all") == 0;
  if (argc > 1 && !all) {
    fprintf(stderr, "usage: pmtu_probes [--all]\n");
    return 2;
  }
  if (all) {
    range("576-9216", 576, 9216, 576, 1, 9216);
  } else {
    range("576-9216", 576, 9216, 1280, 8, 9000);
  }
  range("576-1500", 576, 1500, 576, 1, 1500);
  range("1200-1500", 1200, 1500, 1200, 1, 1500);
  return 0;
}
