/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow table: chained hash of 5-tuples, keyed with a random seed from the
 * host's rand callback (no hash flooding by chosen ports).  Nodes are
 * embedded in sessions, so lookups and inserts never allocate.
 */
#include <string.h>

#include "fwd_int.h"

int svrfwd__flow_eq(const svrfwd_flow *a, const svrfwd_flow *b) {
  return memcmp(a, b, sizeof(*a)) == 0;
}

void svrfwd__flow_swap(svrfwd_flow *out, const svrfwd_flow *in) {
  svrfwd_flow t = *in;
  memcpy(t.src, in->dst, sizeof(t.src));
  memcpy(t.dst, in->src, sizeof(t.dst));
  t.sport = in->dport;
  t.dport = in->sport;
  *out = t;
}

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

static uint64_t flow_hash(const fwd_table *t, const svrfwd_flow *k) {
  /* the key's bytes as five 64-bit words, the last one zero-padded */
  const uint8_t *b = (const uint8_t *)k;
  uint64_t h = t->seed, w;
  size_t i;
  for (i = 0; i + 8 <= sizeof(*k); i += 8) {
    memcpy(&w, b + i, 8);
    h = mix(h, w);
  }
  w = 0;
  memcpy(&w, b + i, sizeof(*k) - i);
  h = mix(h, w);
  return mix(h, t->seed >> 7);
}

int svrfwd__table_init(fwd_table *t, size_t nbuckets, uint64_t seed,
                       const svrfwd_mem *mem) {
  size_t n = 16;
  while (n < nbuckets && n < ((size_t)1 << 30)) {
    n <<= 1;
  }
  t->buckets = svrfwd__calloc(mem, n, sizeof(*t->buckets));
  if (!t->buckets) {
    return SVRFWD_ERR_NOMEM;
  }
  t->mask = n - 1;
  t->seed = seed;
  return 0;
}

void svrfwd__table_free(fwd_table *t, const svrfwd_mem *mem) {
  svrfwd__free(mem, t->buckets);
  t->buckets = NULL;
}

fwd_hnode *svrfwd__table_find(const fwd_table *t, const svrfwd_flow *key,
                              uint8_t kind) {
  uint64_t h = flow_hash(t, key);
  fwd_hnode *n;
  for (n = t->buckets[h & t->mask]; n; n = n->next) {
    if (n->hash == h && n->kind == kind && svrfwd__flow_eq(&n->key, key)) {
      return n;
    }
  }
  return NULL;
}

void svrfwd__table_insert(fwd_table *t, fwd_hnode *n) {
  size_t b;
  n->hash = flow_hash(t, &n->key);
  b = (size_t)(n->hash & t->mask);
  n->next = t->buckets[b];
  t->buckets[b] = n;
}

void svrfwd__table_remove(fwd_table *t, fwd_hnode *n) {
  fwd_hnode **pp = &t->buckets[n->hash & t->mask];
  while (*pp) {
    if (*pp == n) {
      *pp = n->next;
      n->next = NULL;
      return;
    }
    pp = &(*pp)->next;
  }
}
