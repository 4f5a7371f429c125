/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: a small open-addressing index (values are array positions)
 * for the lookups that were linear scans over every adjacency: duplicate
 * checks of the configuration, matching adjacencies on reload, the path of
 * a PMTU probe, the peer of an alarm.  With 10,000 peer paths those scans
 * were O(N) per event and O(N^2) per reload (docs/scale.md section 3).
 *
 * The caller hashes (rh_hash), probes from rh_first() with rh_next() while
 * the slot is used (rh_get() != RH_NONE) and compares the candidates
 * itself; rh_put() stores in the first free slot of the probe.  Keys come
 * from the configuration, not the network, so no per-table seed.
 */
#ifndef SVR_ROUTER_HASH_H
#define SVR_ROUTER_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svr_hash.h"

#define RH_NONE SIZE_MAX

typedef struct rh_index {
  size_t *slot; /* position + 1; 0 = free */
  size_t mask;
} rh_index;

/* Room for |n| entries at most half full.  0 or -1 (out of memory). */
static inline int rh_init(rh_index *h, size_t n) {
  size_t cap = 16;
  while (cap < 2 * n) {
    cap *= 2;
  }
  h->slot = calloc(cap, sizeof(*h->slot));
  h->mask = cap - 1;
  return h->slot ? 0 : -1;
}

static inline void rh_free(rh_index *h) {
  free(h->slot);
  h->slot = NULL;
  h->mask = 0;
}

static inline uint64_t rh_hash(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t x = 0xcbf29ce484222325ULL; /* FNV-1a, then the mixer */
  while (n--) {
    x = (x ^ *b++) * 0x100000001b3ULL;
  }
  return svr_mix64(x);
}

static inline uint64_t rh_hash_str(const char *s) {
  return rh_hash(s, strlen(s));
}

static inline size_t rh_first(const rh_index *h, uint64_t hash) {
  return (size_t)hash & h->mask;
}
static inline size_t rh_next(const rh_index *h, size_t i) {
  return (i + 1) & h->mask;
}
/* The position stored in slot |i|, or RH_NONE (free: end of the probe). */
static inline size_t rh_get(const rh_index *h, size_t i) {
  return h->slot[i] ? h->slot[i] - 1 : RH_NONE;
}
/* Stores |pos| in the first free slot from |hash|'s. */
static inline void rh_put(rh_index *h, uint64_t hash, size_t pos) {
  size_t i = rh_first(h, hash);
  while (h->slot[i]) {
    i = rh_next(h, i);
  }
  h->slot[i] = pos + 1;
}

#endif /* SVR_ROUTER_HASH_H */
