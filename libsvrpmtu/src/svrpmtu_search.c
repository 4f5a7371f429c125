/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Choosing the next probe size.
 *
 * Every probe answers one yes/no question ("does size p get through?") for
 * one probe: a lost probe is taken at its word at once and the search goes
 * on below it (svrpmtu_int.h: the |fail| stack).  The MAX_PROBES rule is
 * applied where it decides the result: the size right above the largest
 * acked one is probed until it is lost MAX_PROBES (3) times with no ack of
 * it in between (of any size, once the path has shown random loss), so the
 * result always rests on an ack of A and three successive non-responses
 * to A + 1.  A loss that was random is found out by a later ack above it
 * and costs probes only.
 *
 * Plain bisection (quiche) or +32/+4 stepping (Linux SCTP) ignore that path
 * MTUs cluster on a few values (1500, 1492, 1480, 1460, 1450, 1420, 1400,
 * 1380, 1280, 9000...).  We keep a prior weight per candidate answer A in
 * [lo, upper] (1 per byte plus extra mass on common sizes, on the configured
 * max, i.e. usually the local interface MTU, on the previous result and on
 * "nothing above the base") and probe the size p that minimises the
 * estimated expected number of probes
 *
 *   1 + P(A >= p) * H(A | A >= p) + P(A < p) * H(A | A < p)
 *
 * with H the entropy (bits) of the prior restricted to each side: one probe
 * buys at most one bit.  A re-run probes the previous result first: acked,
 * its + 1 comes next and a confirm round that follows its loss continues
 * the count, so an unchanged path costs 4 probes.  Without point masses this is bisection; with them
 * it probes common sizes first.  Each choice is O(upper - lo), computed once
 * per context for a given range (svrpmtu__search_next_cached()).
 *
 * RFC 8899 section 5.3 leaves the search algorithm open ("select probe
 * sizes to maximize gain per step"); its PROBE_COUNT counts consecutive
 * unacknowledged probes of any size (section 5.1.3), which is what a
 * confirm round continues from.
 */
#include <math.h>
#include <string.h>

#include "svrpmtu_int.h"

/* Common path MTUs (IP bytes) and how much more likely than any other byte
 * value we take each to be.  Ethernet, PPPoE, tunnels (GRE, IPsec, VXLAN,
 * WireGuard, 6in4), IPv6 minimum, jumbo frames; RFC 1191 table values. */
static const struct {
  uint16_t size;
  uint16_t weight;
} common_mtus[] = {
    {576, 40},   {1006, 20},  {1200, 40},  {1280, 600}, {1300, 150},
    {1350, 100}, {1360, 100}, {1380, 300}, {1400, 700}, {1420, 400},
    {1436, 100}, {1440, 150}, {1450, 400}, {1460, 250}, {1472, 200},
    {1476, 300}, {1480, 300}, {1492, 700}, {1500, 4000}, {2002, 20},
    {4352, 40},  {4464, 40},  {4470, 60},  {8192, 60},  {8996, 60},
    {9000, 1200}, {9001, 200}, {9196, 60}, {9216, 300},
};

#define W_UNRESOLVABLE 300.0 /* "nothing gets through" before any ack */
/* The base itself: where a path with a broken tunnel or a middlebox that
 * drops big datagrams ends up (RFC 8899 starts by confirming it). */
#define W_BASE 1000.0
/* The max is usually the local interface MTU, very often the path MTU too
 * (Ethernet everywhere).  When it is only the 9216 ceiling it is merely a
 * plausible jumbo size. */
#define W_MAX_INTERFACE 12000.0
#define W_MAX_CEILING 3000.0
#define W_HINT 100000.0      /* the previous result usually still holds */

#define N_COMMON (sizeof(common_mtus) / sizeof(common_mtus[0]))

/* Weight of answer |a|; |*cur| walks common_mtus as |a| ascends. */
static double weight(const svrpmtu_search *s, unsigned a, size_t *cur) {
  double w = 1.0;
  if (a < s->base) {
    return W_UNRESOLVABLE;
  }
  while (*cur < N_COMMON && common_mtus[*cur].size < a) {
    (*cur)++;
  }
  if (*cur < N_COMMON && common_mtus[*cur].size == a) {
    w += common_mtus[*cur].weight;
  }
  if (a == s->base) {
    w += W_BASE;
  }
  if (a == s->max) {
    w += s->max < SVRPMTU_MAX_MTU ? W_MAX_INTERFACE : W_MAX_CEILING;
  }
  if (s->hint && a == s->hint) {
    w += W_HINT;
  }
  return w;
}

/* Most candidates weigh exactly 1 (w log w = 0): skip the log for them. */
static double wlogw(double w) { return w == 1.0 ? 0.0 : w * log2(w); }

/* Entropy (bits) of a side with mass m and sum of w*log2(w) sl. */
static double side_bits(double m, double sl) {
  double h;
  if (m <= 0) {
    return 0;
  }
  h = log2(m) - sl / m;
  return h < 0 ? 0 : h;
}

int svrpmtu__search_done(const svrpmtu_search *s) {
  if (s->lo > 0 && s->lo >= s->hi) {
    return 1;
  }
  if (s->lo == 0 && s->hi < s->base) {
    return -1;
  }
  return 0;
}

uint16_t svrpmtu__search_upper(const svrpmtu_search *s) {
  return s->nfail ? (uint16_t)(s->fail[s->nfail - 1] - 1) : s->hi;
}

unsigned svrpmtu__search_losses(const svrpmtu_search *s, uint16_t size) {
  unsigned i;
  for (i = 0; i < s->nfail; i++) {
    if (s->fail[i] == size) {
      return !s->lossy || s->fail_epoch[i] == s->acks ? s->fail_losses[i] : 0;
    }
  }
  return 0;
}

/* Keeps only the stacked sizes in (lo, hi]. */
static void prune(svrpmtu_search *s) {
  unsigned i, n = 0;
  for (i = 0; i < s->nfail; i++) {
    if (s->fail[i] <= s->lo) {
      s->lossy = 1;
    }
    if (s->fail[i] > s->lo && s->fail[i] <= s->hi) {
      s->fail[n] = s->fail[i];
      s->fail_losses[n] = s->fail_losses[i];
      s->fail_epoch[n] = s->fail_epoch[i];
      n++;
    }
  }
  s->nfail = (uint8_t)n;
}

void svrpmtu__search_acked(svrpmtu_search *s, uint16_t size) {
  s->acks++;
  if (size > s->lo) {
    s->lo = size;
  }
  if (s->hi < s->lo) {
    s->hi = s->lo; /* a late ack beats an earlier "too big" */
  }
  prune(s);
}

void svrpmtu__search_cap(svrpmtu_search *s, uint16_t hi) {
  if (hi < s->hi) {
    s->hi = hi;
  }
  prune(s);
}

void svrpmtu__search_lost(svrpmtu_search *s, uint16_t size, unsigned losses) {
  unsigned i;
  if (size <= s->lo || size > s->hi) {
    return; /* already decided */
  }
  if (losses >= SVRPMTU_MAX_PROBES) {
    svrpmtu__search_cap(s, (uint16_t)(size - 1));
    return;
  }
  for (i = 0; i < s->nfail; i++) {
    if (s->fail[i] == size) {
      s->fail_losses[i] = (uint8_t)losses;
      s->fail_epoch[i] = s->acks;
      return;
    }
    if (s->fail[i] < size) {
      break; /* insert before the first smaller one */
    }
  }
  if (s->nfail == SVRPMTU_FAIL_MAX) {
    if (i == 0) {
      return; /* larger than everything kept: hi still bounds it */
    }
    /* Forget the largest: the next one (or hi) still bounds the search. */
    memmove(&s->fail[0], &s->fail[1], (s->nfail - 1) * sizeof(s->fail[0]));
    memmove(&s->fail_losses[0], &s->fail_losses[1], s->nfail - 1);
    memmove(&s->fail_epoch[0], &s->fail_epoch[1],
            (s->nfail - 1) * sizeof(s->fail_epoch[0]));
    s->nfail--;
    i--;
  }
  memmove(&s->fail[i + 1], &s->fail[i], (s->nfail - i) * sizeof(s->fail[0]));
  memmove(&s->fail_losses[i + 1], &s->fail_losses[i], s->nfail - i);
  memmove(&s->fail_epoch[i + 1], &s->fail_epoch[i],
          (s->nfail - i) * sizeof(s->fail_epoch[0]));
  s->fail[i] = size;
  s->fail_losses[i] = (uint8_t)losses;
  s->fail_epoch[i] = s->acks;
  s->nfail++;
}

/* The split of [first, upper] that minimises the expected probes. */
static uint16_t best_split(const svrpmtu_search *s, unsigned first,
                           unsigned upper) {
  unsigned a, p, best = upper;
  double m = 0, sl = 0, mf = 0, sf = 0, best_cost = HUGE_VAL;
  size_t c1 = 0, c2 = 0;
  for (a = first; a <= upper; a++) {
    double w = weight(s, a, &c1);
    m += w;
    sl += wlogw(w);
  }
  /* p splits [first, p-1] (lost) from [p, upper] (acked). */
  for (p = first + 1; p <= upper; p++) {
    double w = weight(s, p - 1, &c2), ms, cost;
    mf += w;
    sf += wlogw(w);
    ms = m - mf;
    cost = (ms / m) * side_bits(ms, sl - sf) + (mf / m) * side_bits(mf, sf);
    if (cost < best_cost - 1e-9) {
      best_cost = cost;
      best = p;
    }
  }
  return (uint16_t)best;
}

uint16_t svrpmtu__search_next_cached(const svrpmtu_search *s, int *confirm,
                                     svrpmtu_choices *c) {
  unsigned first = s->lo ? s->lo : (unsigned)s->base - 1u;
  unsigned upper = svrpmtu__search_upper(s);
  uint16_t max, hint, best;
  svrpmtu_choice *e;
  uint32_t h;

  *confirm = 0;
  if (upper <= first) {
    /* The smallest lost size is right above lo: prove it too big. */
    *confirm = 1;
    return s->fail[s->nfail - 1];
  }
  if (s->hint > first && s->hint <= upper && s->lo == 0 && s->nfail == 0) {
    return s->hint;
  }
  if (c == NULL) {
    return best_split(s, first, upper);
  }
  /* weight() looks at max and hint only for a candidate equal to them */
  max = s->max >= first && s->max <= upper ? s->max : 0;
  hint = s->hint && s->hint >= first && s->hint <= upper ? s->hint : 0;
  h = (first * 2654435761u) ^ (upper * 40503u) ^ ((uint32_t)s->base << 7) ^
      ((uint32_t)max << 3) ^ ((uint32_t)hint << 11);
  h ^= h >> 15;
  e = &c->e[h % SVRPMTU_CHOICES];
  if (e->first == first && e->upper == upper && e->base == s->base &&
      e->max == max && e->hint == hint) {
    c->hits++;
    return e->best;
  }
  best = best_split(s, first, upper);
  c->misses++;
  e->first = (uint16_t)first;
  e->upper = (uint16_t)upper;
  e->base = s->base;
  e->max = max;
  e->hint = hint;
  e->best = best;
  return best;
}

uint16_t svrpmtu__search_next(const svrpmtu_search *s, int *confirm) {
  return svrpmtu__search_next_cached(s, confirm, NULL);
}
