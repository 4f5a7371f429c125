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
 * count, checked).  ours takes a lone loss as "too big" for steering and
 * proves only the size above the result with three losses in a row
 * (docs/libsvrpmtu.md); the peers apply MAX_PROBES to every size, as
 * published.
 *
 * Output: key=value lines, one per row, then per-range summaries with the
 * mean over every integer path MTU in the range (uniform prior: the worst
 * case for a search that favours common sizes).  --all adds the uniform
 * mean over 576..9216 (slow: ~9000 searches).
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

/* One size probed up to 3 times: returns 1 if acked. */
static int probe_size(result *r, unsigned size, unsigned path_mtu) {
  int k;
  for (k = 0; k < 3; k++) {
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

static result run_quiche(unsigned base, unsigned max, unsigned path_mtu) {
  result r = {0, 0, 0, 0};
  unsigned ok = base, fail = 0, size = max;
  for (;;) {
    if (probe_size(&r, size, path_mtu)) {
      ok = size;
      if (size == max) {
        break;
      }
    } else {
      fail = size;
    }
    if (fail && fail - ok <= 1) {
      break;
    }
    size = (ok + fail) / 2;
  }
  r.found = ok;
  return r;
}

static result run_sctp(unsigned base, unsigned max, unsigned path_mtu) {
  result r = {0, 0, 0, 0};
  unsigned pmtu, high = 0, size;
  if (!probe_size(&r, base, path_mtu)) {
    return r; /* error state */
  }
  pmtu = base;
  for (;;) {
    if (!high) {
      if (pmtu >= max) {
        break;
      }
      size = pmtu + 32 > max ? max : pmtu + 32;
      if (probe_size(&r, size, path_mtu)) {
        pmtu = size;
      } else {
        high = size;
        probe_size(&r, pmtu, path_mtu); /* re-probe the current PMTU */
      }
    } else {
      size = pmtu + 4;
      if (size >= high) {
        break;
      }
      if (probe_size(&r, size, path_mtu)) {
        pmtu = size;
      } else {
        probe_size(&r, pmtu, path_mtu);
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

static void range(const char *name, unsigned base, unsigned max, int uniform) {
  size_t i;
  unsigned n = 0, wins = 0, ties_or_losses = 0;
  char not_fewer[256] = "";
  double so = 0, sq = 0, ss = 0, to = 0, tq = 0, ts = 0;
  printf("# range %s: base %u, max %u (IP bytes), no ICMP, probe timer %.0f ms, "
         "RTT %.0f ms\n", name, base, max, PROBE_TIMER_MS, RTT_MS);
  printf("# %6s %6s %7s %6s %10s %9s %9s %8s %8s\n", "mtu", "ours", "quiche",
         "sctp", "sctp_res", "ours_s", "quiche_s", "sctp_s", "winner");
  for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    unsigned m = rows[i];
    result o, os, q, s;
    const char *w;
    if (m < base || m > max) {
      continue;
    }
    o = run_ours(base, max, m, 0);
    os = run_ours(base, max, m, 1);
    if (os.probes != o.probes || os.found != m) {
      printf("ERROR serial run differs for %u\n", m);
      exit(1);
    }
    q = run_quiche(base, max, m);
    s = run_sctp(base, max, m);
    if (o.found != m) {
      printf("ERROR ours found %u for %u\n", o.found, m);
      exit(1);
    }
    n++;
    so += o.probes;
    sq += q.probes;
    ss += s.probes;
    to += o.ms;
    tq += q.ms;
    ts += s.ms;
    if (o.probes < q.probes && o.probes < s.probes) {
      wins++;
      w = "ours";
    } else {
      ties_or_losses++;
      w = o.probes <= q.probes && o.probes <= s.probes ? "tie" : "peer";
      snprintf(not_fewer + strlen(not_fewer), sizeof(not_fewer) - strlen(not_fewer),
               "%s%u", not_fewer[0] ? "," : "", m);
    }
    printf("# %6u %6u %7u %6u %10u %9.2f %9.2f %8.2f %8s\n", m, o.probes, q.probes,
           s.probes, s.found, o.ms / 1000, q.ms / 1000, s.ms / 1000, w);
    printf("row range=%s mtu=%u ours=%u quiche=%u sctp=%u ours_lost=%u "
           "quiche_lost=%u sctp_lost=%u sctp_result=%u ours_ms=%.0f "
           "ours_serial_ms=%.0f quiche_ms=%.0f sctp_ms=%.0f ratio_quiche=%.2f "
           "ratio_sctp=%.2f\n",
           name, m, o.probes, q.probes, s.probes, o.lost, q.lost, s.lost, s.found,
           o.ms, os.ms, q.ms, s.ms, (double)o.probes / q.probes,
           (double)o.probes / s.probes);
  }
  printf("summary range=%s rows=%u ours_fewer_than_both=%u not_fewer=%u "
         "not_fewer_rows=%s "
         "mean_ours=%.2f mean_quiche=%.2f mean_sctp=%.2f ratio_quiche=%.2f "
         "ratio_sctp=%.2f mean_s_ours=%.2f mean_s_quiche=%.2f mean_s_sctp=%.2f\n",
         name, n, wins, ties_or_losses, not_fewer[0] ? not_fewer : "none", so / n, sq / n, ss / n, so / sq, so / ss,
         to / n / 1000, tq / n / 1000, ts / n / 1000);
  if (uniform) {
    unsigned m, k = 0, worst_o = 0, worst_q = 0, worst_s = 0;
    double uo = 0, uq = 0, us = 0;
    for (m = base; m <= max; m++) {
      result o = run_ours(base, max, m, 0), q = run_quiche(base, max, m),
             s = run_sctp(base, max, m);
      if (o.found != m) {
        printf("ERROR ours found %u for %u\n", o.found, m);
        exit(1);
      }
      k++;
      uo += o.probes;
      uq += q.probes;
      us += s.probes;
      worst_o = o.probes > worst_o ? o.probes : worst_o;
      worst_q = q.probes > worst_q ? q.probes : worst_q;
      worst_s = s.probes > worst_s ? s.probes : worst_s;
    }
    printf("uniform range=%s values=%u mean_ours=%.2f mean_quiche=%.2f "
           "mean_sctp=%.2f worst_ours=%u worst_quiche=%u worst_sctp=%u "
           "ratio_quiche=%.2f ratio_sctp=%.2f\n",
           name, k, uo / k, uq / k, us / k, worst_o, worst_q, worst_s, uo / uq,
           uo / us);
  }
}

int main(int argc, char **argv) {
  int all = argc > 1 && strcmp(argv[1], "--all") == 0;
  if (argc > 1 && !all) {
    fprintf(stderr, "usage: pmtu_probes [--all]\n");
    return 2;
  }
  range("576-9216", 576, 9216, all);
  range("576-1500", 576, 1500, 1);
  range("1200-1500", 1200, 1500, 1);
  return 0;
}
