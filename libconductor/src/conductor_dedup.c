/*
 * Conductor-side duplicate filter (sans-I/O): which alarm sequence numbers
 * of one router node are already committed.  seq <= floor are all seen;
 * bit i of the window is seq floor + 1 + i.
 */
#include <string.h>

#include <conductor/conductor.h>

#define W CONDUCTOR_DEDUP_WINDOW

void conductor_dedup_init(conductor_dedup *d) { memset(d, 0, sizeof *d); }

static int bit_get(const conductor_dedup *d, uint64_t i) {
  return (int)((d->bits[i / 64] >> (i % 64)) & 1u);
}

int conductor_dedup_seen(const conductor_dedup *d, uint64_t seq) {
  if (seq <= d->floor) {
    return 1;
  }
  if (seq - d->floor - 1 >= W) {
    return 0;
  }
  return bit_get(d, seq - d->floor - 1);
}

/* Moves the window up by |n| positions (bit 0 leaves first). */
static void shift(conductor_dedup *d, uint64_t n) {
  uint64_t i;
  if (n >= W) {
    memset(d->bits, 0, sizeof d->bits);
    d->floor += n;
    return;
  }
  for (i = 0; i < W; i++) {
    uint64_t src = i + n;
    int b = src < W ? bit_get(d, src) : 0;
    if (b) {
      d->bits[i / 64] |= (uint64_t)1 << (i % 64);
    } else {
      d->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
    }
  }
  d->floor += n;
}

void conductor_dedup_mark(conductor_dedup *d, uint64_t seq) {
  uint64_t off;
  if (seq <= d->floor) {
    return;
  }
  off = seq - d->floor - 1;
  if (off >= W) {
    /* Slide so that seq is the last bit of the window.  Sequence numbers
     * that fall below the new floor without having been marked are
     * reported as seen from now on; the caller only slides this far when
     * a router skipped them, which a router never does (it sends in
     * order), so this only loses precision for a misbehaving peer and the
     * store's UNIQUE constraint still decides. */
    shift(d, off - W + 1);
    off = W - 1;
  }
  d->bits[off / 64] |= (uint64_t)1 << (off % 64);
  /* Advance the floor over the contiguous run at the start. */
  if (bit_get(d, 0)) {
    uint64_t run = 0;
    while (run < W && bit_get(d, run)) {
      run++;
    }
    shift(d, run);
  }
}
