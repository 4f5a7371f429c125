/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conductor-side duplicate filter (sans-I/O): which alarm sequence numbers
 * of one router node's connection are already committed.  It remembers a
 * window of CONDUCTOR_DEDUP_WINDOW numbers: bit i is seq floor + 1 + i.
 *
 * It only ever answers "committed" for a seq it was told about: an answer
 * of "seen" is acknowledged without touching the database, so a wrong one
 * is an alarm acknowledged and never stored.  Everything outside the
 * window (below floor, or above the newest) is "not known", and the
 * caller stores it: INSERT OR IGNORE on (router, node, epoch, seq) then
 * decides, and a duplicate it finds may be acknowledged because it is
 * stored.
 */
#include <string.h>

#include <conductor/conductor.h>

#define W CONDUCTOR_DEDUP_WINDOW
#define NWORDS (W / 64)

void conductor_dedup_init(conductor_dedup *d) { memset(d, 0, sizeof *d); }

static int bit_get(const conductor_dedup *d, uint64_t i) {
  return (int)((d->bits[i / 64] >> (i % 64)) & 1u);
}

int conductor_dedup_seen(const conductor_dedup *d, uint64_t seq) {
  uint64_t off;
  if (seq <= d->floor) {
    return 0; /* below the window: not known, the store decides */
  }
  off = seq - d->floor - 1;
  if (off >= W) {
    return 0;
  }
  return bit_get(d, off);
}

/* Moves the window up by |n| positions: the lowest n bits are forgotten
 * (those numbers become "not known", never "seen"). */
static void shift(conductor_dedup *d, uint64_t n) {
  size_t words, i;
  unsigned bits;
  if (n >= W) {
    memset(d->bits, 0, sizeof d->bits);
    d->floor += n;
    return;
  }
  words = (size_t)(n / 64);
  bits = (unsigned)(n % 64);
  for (i = 0; i < NWORDS; i++) {
    uint64_t lo = i + words < NWORDS ? d->bits[i + words] : 0;
    uint64_t hi = i + words + 1 < NWORDS ? d->bits[i + words + 1] : 0;
    d->bits[i] = bits ? (lo >> bits) | (hi << (64 - bits)) : lo;
  }
  d->floor += n;
}

void conductor_dedup_mark(conductor_dedup *d, uint64_t seq) {
  uint64_t off;
  if (seq <= d->floor) {
    return; /* below the window: not remembered; the store has it */
  }
  off = seq - d->floor - 1;
  if (off >= W) {
    /* Slide so that seq is the last bit of the window.  The numbers that
     * fall below it are forgotten, not assumed committed: a router that
     * jumped (seq 5000, then 1..10) gets each of them stored. */
    shift(d, off - W + 1);
    off = W - 1;
  }
  d->bits[off / 64] |= (uint64_t)1 << (off % 64);
}
