/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Open-addressing hash tables owned by the context: sessions by local
 * discriminator (RFC 5880 6.8.6 step 7) and by (local IP, remote IP) for
 * packets with Your Discriminator 0 (step 9).  Linear probing, growth at
 * 50 % load, backward-shift deletion so lookups stay short without
 * tombstones.  Lookups never allocate.
 */
#include <string.h>

#include "bfd_int.h"
#include "svr_hash.h"

static size_t bfd_tab_pow2(size_t n) {
  size_t c = 16;
  while (c < n) {
    c <<= 1;
  }
  return c;
}

int svrbfd__tab_init(bfd_tab *t, const svrbfd_mem *mem, size_t hint) {
  t->cap = bfd_tab_pow2(hint * 2);
  t->n = 0;
  t->ents = svrbfd__calloc(mem, t->cap, sizeof(*t->ents));
  return t->ents ? 0 : SVRBFD_ERR_NOMEM;
}

void svrbfd__tab_free(bfd_tab *t, const svrbfd_mem *mem) {
  svrbfd__free(mem, t->ents);
  t->ents = NULL;
  t->cap = t->n = 0;
}

static void bfd_tab_place(bfd_tab_ent *ents, size_t cap, uint64_t hash,
                          svrbfd_session *s) {
  size_t mask = cap - 1, i = (size_t)hash & mask;
  while (ents[i].s != NULL) {
    i = (i + 1) & mask;
  }
  ents[i].hash = hash;
  ents[i].s = s;
}

int svrbfd__tab_insert(bfd_tab *t, const svrbfd_mem *mem, uint64_t hash,
                       svrbfd_session *s) {
  if ((t->n + 1) * 2 > t->cap) {
    size_t ncap = t->cap * 2, i;
    bfd_tab_ent *nents = svrbfd__calloc(mem, ncap, sizeof(*nents));
    if (nents == NULL) {
      return SVRBFD_ERR_NOMEM;
    }
    for (i = 0; i < t->cap; i++) {
      if (t->ents[i].s) {
        bfd_tab_place(nents, ncap, t->ents[i].hash, t->ents[i].s);
      }
    }
    svrbfd__free(mem, t->ents);
    t->ents = nents;
    t->cap = ncap;
  }
  bfd_tab_place(t->ents, t->cap, hash, s);
  t->n++;
  return 0;
}

void svrbfd__tab_remove(bfd_tab *t, uint64_t hash, const svrbfd_session *s) {
  size_t mask = t->cap - 1, i = (size_t)hash & mask, j;
  while (t->ents[i].s != s) {
    if (t->ents[i].s == NULL) {
      return; /* not present */
    }
    i = (i + 1) & mask;
  }
  /* Backward shift: move later entries of the run into the hole when
   * their home slot is not between the hole and their position. */
  j = i;
  for (;;) {
    size_t home;
    j = (j + 1) & mask;
    if (t->ents[j].s == NULL) {
      break;
    }
    home = (size_t)t->ents[j].hash & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) {
      t->ents[i] = t->ents[j];
      i = j;
    }
  }
  t->ents[i].s = NULL;
  t->ents[i].hash = 0;
  t->n--;
}

svrbfd_session *svrbfd__tab_next(const bfd_tab *t, uint64_t hash, size_t *pos) {
  size_t mask = t->cap - 1;
  size_t i = *pos == (size_t)-1 ? (size_t)hash & mask : (*pos + 1) & mask;
  while (t->ents[i].s != NULL) {
    if (t->ents[i].hash == hash) {
      *pos = i;
      return t->ents[i].s;
    }
    i = (i + 1) & mask;
  }
  return NULL;
}


uint64_t svrbfd__hash_u32(uint32_t v) { return svr_mix64((uint64_t)v + 1); }

static uint64_t bfd_hash_ip(uint64_t h, const svrbfd_addr *a) {
  size_t n = a->family == 4 ? 4 : a->family == 6 ? 16 : 0, i;
  h = svr_mix64(h ^ a->family);
  for (i = 0; i < n; i++) {
    h = (h ^ a->addr[i]) * 0x100000001b3ULL;
  }
  return svr_mix64(h);
}

uint64_t svrbfd__hash_pair(const svrbfd_addr *local,
                           const svrbfd_addr *remote) {
  return bfd_hash_ip(bfd_hash_ip(0x51ed270b27c8a6d3ULL, local), remote);
}

int svrbfd__addr_ip_equal(const svrbfd_addr *a, const svrbfd_addr *b) {
  size_t n;
  if (a->family != b->family) {
    return 0;
  }
  n = a->family == 4 ? 4 : a->family == 6 ? 16 : 0;
  return memcmp(a->addr, b->addr, n) == 0;
}
