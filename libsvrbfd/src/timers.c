/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timer helpers: the transmit jitter of RFC 5880 section 6.8.7 and its
 * generator.  Negotiation itself lives with the session (session.c).
 */
#include "bfd_int.h"

/* xorshift64*: fast, deterministic, seeded from the host's rand callback. */
uint64_t svrbfd__rng_next(uint64_t *state) {
  uint64_t x = *state;
  if (x == 0) {
    x = 0x9e3779b97f4a7c15ULL;
  }
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545f4914f6cdd1dULL;
}

/*
 * 6.8.7: each interval is reduced by a uniformly random 0-25 %, or by
 * 10-25 % when bfd.DetectMult is 1, so the result is in [75 %, 100 %]
 * ([75 %, 90 %]).  Drawn in steps of 0.01 % of the interval.
 */
uint64_t svrbfd__jitter(uint64_t interval_ns, uint8_t detect_mult,
                        uint64_t *rng) {
  uint64_t r = svrbfd__rng_next(rng) >> 11;
  uint64_t lo = detect_mult == 1 ? 1000 : 0; /* reduction in 1/10000 */
  uint64_t span = 2500 - lo + 1;
  uint64_t red = lo + r % span;
  /* interval_ns <= 255 * 4295 s fits in 2^61: split to avoid overflow. */
  return interval_ns - ((interval_ns / 10000) * red +
                        ((interval_ns % 10000) * red) / 10000);
}
