/*
 * Choosing the next probe size.
 *
 * Costs are asymmetric: an acked size costs one probe, a size that is too
 * big costs MAX_PROBES (3) lost probes.  Plain bisection (quiche) or +32/+4
 * stepping (Linux SCTP) ignore that, and ignore that path MTUs cluster on a
 * few values (1500, 1492, 1480, 1460, 1450, 1420, 1400, 1380, 1280, 9000...).
 *
 * So we keep a prior weight per candidate answer A in [lo, hi] (1 per byte
 * plus extra mass on common sizes, on the configured max, i.e. usually the
 * local interface MTU, and on the previous result) and pick the probe p
 * that minimises the estimated expected cost
 *
 *   P(A >= p) * (1 + H(A | A >= p) / R) + P(A < p) * (3 + H(A | A < p) / R)
 *
 * where H is the entropy of the prior restricted to each side and R is the
 * information one cost unit can buy when an answer costs 1 and a failure 3:
 * R = log2(x) with x^3 = x^2 + 1, x = 1.46557 (R = 0.5515 bits).  Without
 * point masses this is a biased bisection that probes about a third of the
 * way up; with them it probes common sizes first.  Each choice is O(hi-lo).
 *
 * RFC 8899 section 5.3 leaves the search algorithm open ("select probe
 * sizes to maximize gain per step").
 */
#include <math.h>

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
/* The max is usually the local interface MTU, very often the path MTU too
 * (Ethernet everywhere).  When it is only the 9216 ceiling it is merely a
 * plausible jumbo size. */
#define W_MAX_INTERFACE 12000.0
#define W_MAX_CEILING 3000.0
#define W_HINT 20000.0       /* the previous result usually still holds */
#define BITS_PER_COST 0.55146 /* log2(1.465571) */

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

/* Expected remaining cost of a side with mass m and sum of w*log2(w) sl. */
static double side_cost(double m, double sl) {
  double h;
  if (m <= 0) {
    return 0;
  }
  h = log2(m) - sl / m;
  if (h < 0) {
    h = 0;
  }
  return h / BITS_PER_COST;
}

int svrpmtu_search_done(const svrpmtu_search *s) {
  if (s->lo > 0 && s->lo >= s->hi) {
    return 1;
  }
  if (s->lo == 0 && s->hi < s->base) {
    return -1;
  }
  return 0;
}

uint16_t svrpmtu_search_next(const svrpmtu_search *s) {
  unsigned first = s->lo ? s->lo : (unsigned)s->base - 1u;
  unsigned a, p, best = s->hi;
  double m = 0, sl = 0, mf = 0, sf = 0, best_cost = HUGE_VAL;
  size_t c1 = 0, c2 = 0;

  for (a = first; a <= s->hi; a++) {
    double w = weight(s, a, &c1);
    m += w;
    sl += wlogw(w);
  }
  /* p splits [first, p-1] (too big: 3 probes) from [p, hi] (acked: 1). */
  for (p = first + 1; p <= s->hi; p++) {
    double w = weight(s, p - 1, &c2), ms, cost;
    mf += w;
    sf += wlogw(w);
    ms = m - mf;
    cost = (ms / m) * (1.0 + side_cost(ms, sl - sf)) +
           (mf / m) * (3.0 + side_cost(mf, sf));
    if (cost < best_cost - 1e-9) {
      best_cost = cost;
      best = p;
    }
  }
  return (uint16_t)best;
}
