/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The context's timer heap: one entry per session that has a deadline, in
 * a binary min-heap stored as an array, ordered by (deadline, sequence) so
 * that equal deadlines fire in the order they were set.
 *
 * Why not common/svr_heap.h: that heap links nodes embedded in the
 * sessions, so every level of a sift is a cache miss on another session.
 * Each transmitted packet moves its session's deadline once, and at 100,000
 * sessions those misses were most of the library's CPU time per packet
 * (bench/bfd_scale_core).  Here a sift compares keys that sit next to each
 * other in one array and only writes back the moved sessions' indexes.
 *
 * The array holds at most one entry per session, so reserving one slot per
 * session when it is created means that moving a deadline never allocates.
 */
#include <stdint.h>
#include <string.h>

#include "bfd_int.h"

static int theap_less(const bfd_theap_ent *a, const bfd_theap_ent *b) {
  return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void theap_place(bfd_theap *h, size_t i, const bfd_theap_ent *e) {
  h->a[i] = *e;
  e->s->hidx = i;
}

static void theap_sift_up(bfd_theap *h, size_t i) {
  bfd_theap_ent e = h->a[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!theap_less(&e, &h->a[parent])) {
      break;
    }
    theap_place(h, i, &h->a[parent]);
    i = parent;
  }
  theap_place(h, i, &e);
}

static void theap_sift_down(bfd_theap *h, size_t i) {
  bfd_theap_ent e = h->a[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->len) {
      break;
    }
    if (c + 1 < h->len && theap_less(&h->a[c + 1], &h->a[c])) {
      c++;
    }
    if (!theap_less(&h->a[c], &e)) {
      break;
    }
    theap_place(h, i, &h->a[c]);
    i = c;
  }
  theap_place(h, i, &e);
}

int svrbfd__theap_reserve(bfd_theap *h, const svrbfd_mem *mem, size_t n) {
  bfd_theap_ent *a;
  size_t cap;
  if (n <= h->cap) {
    return 0;
  }
  cap = h->cap ? h->cap : 64;
  while (cap < n) {
    if (cap > SIZE_MAX / 2 / sizeof(*a)) {
      return SVRBFD_ERR_NOMEM;
    }
    cap *= 2;
  }
  a = svrbfd__malloc(mem, cap * sizeof(*a));
  if (a == NULL) {
    return SVRBFD_ERR_NOMEM;
  }
  if (h->len) {
    memcpy(a, h->a, h->len * sizeof(*a));
  }
  svrbfd__free(mem, h->a);
  h->a = a;
  h->cap = cap;
  return 0;
}

void svrbfd__theap_free(bfd_theap *h, const svrbfd_mem *mem) {
  svrbfd__free(mem, h->a);
  memset(h, 0, sizeof(*h));
}

static uint64_t theap_next_seq(bfd_theap *h) { return h->next_seq++; }

void svrbfd__theap_set(bfd_theap *h, svrbfd_session *s, uint64_t key) {
  bfd_theap_ent e;
  if (s->hidx != BFD_THEAP_NONE) {
    size_t i = s->hidx;
    if (h->a[i].key == key) {
      return;
    }
    h->a[i].key = key;
    h->a[i].seq = theap_next_seq(h); /* a moved deadline queues last */
    theap_sift_down(h, i);
    theap_sift_up(h, s->hidx);
    return;
  }
  /* len < cap: svrbfd__theap_reserve() ran when the session was created */
  e.key = key;
  e.seq = theap_next_seq(h);
  e.s = s;
  h->a[h->len] = e;
  s->hidx = h->len;
  h->len++;
  theap_sift_up(h, s->hidx);
}

void svrbfd__theap_remove(bfd_theap *h, svrbfd_session *s) {
  size_t i = s->hidx;
  if (i == BFD_THEAP_NONE) {
    return;
  }
  s->hidx = BFD_THEAP_NONE;
  h->len--;
  if (i == h->len) {
    return;
  }
  {
    svrbfd_session *moved = h->a[h->len].s;
    theap_place(h, i, &h->a[h->len]);
    theap_sift_down(h, i);
    theap_sift_up(h, moved->hidx);
  }
}
