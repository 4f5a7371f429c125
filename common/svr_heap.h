/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: intrusive binary min-heap for timers.
 *
 * Each protocol context keeps all of its deadlines in one of these, so the
 * host needs a single timer (the minimum) however many sessions it runs.
 * Nodes are embedded in the caller's objects: inserting and removing never
 * allocates, and both are O(log n).  Nodes with equal keys come out in the
 * order they were (re)inserted, so runs are deterministic.
 *
 * The tree is complete and addressed like an array heap: node number n
 * (1-based, in level order) is reached from the root by following the bits
 * of n below its leading one bit, 0 = left, 1 = right.
 */
#ifndef SVR_HEAP_H
#define SVR_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct svr_heap_node {
  struct svr_heap_node *left;
  struct svr_heap_node *right;
  struct svr_heap_node *parent;
  uint64_t key; /* the deadline, nanoseconds */
  uint64_t seq; /* insertion order, breaks ties */
} svr_heap_node;

typedef struct svr_heap {
  svr_heap_node *min;
  size_t nelts;
  uint64_t next_seq;
} svr_heap;

static inline void svr_heap_init(svr_heap *h) {
  h->min = NULL;
  h->nelts = 0;
  h->next_seq = 0;
}

static inline void svr_heap_node_init(svr_heap_node *n) {
  n->left = n->right = n->parent = NULL;
  n->key = UINT64_MAX;
  n->seq = UINT64_MAX; /* UINT64_MAX marks "not in a heap" */
}

static inline int svr_heap_node_linked(const svr_heap_node *n) {
  return n->seq != UINT64_MAX;
}

static inline svr_heap_node *svr_heap_min(const svr_heap *h) { return h->min; }

static inline int svr_heap__less(const svr_heap_node *a,
                                 const svr_heap_node *b) {
  return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

/* Exchanges parent |p| with its child |c| by relinking, keeping the shape. */
static inline void svr_heap__swap(svr_heap *h, svr_heap_node *p,
                                  svr_heap_node *c) {
  svr_heap_node *pp = p->parent;
  svr_heap_node *cl = c->left, *cr = c->right, *sibling;

  if (p->left == c) {
    sibling = p->right;
    c->left = p;
    c->right = sibling;
  } else {
    sibling = p->left;
    c->right = p;
    c->left = sibling;
  }
  if (sibling) {
    sibling->parent = c;
  }
  p->left = cl;
  p->right = cr;
  if (cl) {
    cl->parent = p;
  }
  if (cr) {
    cr->parent = p;
  }
  c->parent = pp;
  p->parent = c;
  if (pp == NULL) {
    h->min = c;
  } else if (pp->left == p) {
    pp->left = c;
  } else {
    pp->right = c;
  }
}

/* Highest bit index of n (n >= 1). */
static inline unsigned svr_heap__depth(size_t n) {
  unsigned d = 0;
  while (n >>= 1) {
    d++;
  }
  return d;
}

/* Node number |n| (1-based level order); |n| must be <= nelts. */
static inline svr_heap_node *svr_heap__at(const svr_heap *h, size_t n) {
  svr_heap_node *x = h->min;
  unsigned bit = svr_heap__depth(n);
  while (bit-- > 0) {
    x = ((n >> bit) & 1) ? x->right : x->left;
  }
  return x;
}

static inline void svr_heap__sift_up(svr_heap *h, svr_heap_node *n) {
  while (n->parent && svr_heap__less(n, n->parent)) {
    svr_heap__swap(h, n->parent, n);
  }
}

static inline void svr_heap__sift_down(svr_heap *h, svr_heap_node *n) {
  for (;;) {
    svr_heap_node *s = n;
    if (n->left && svr_heap__less(n->left, s)) {
      s = n->left;
    }
    if (n->right && svr_heap__less(n->right, s)) {
      s = n->right;
    }
    if (s == n) {
      return;
    }
    svr_heap__swap(h, n, s);
  }
}

/* Inserts |n| (not linked) with deadline |key|. */
static inline void svr_heap_insert(svr_heap *h, svr_heap_node *n,
                                   uint64_t key) {
  size_t pos = h->nelts + 1;
  n->left = n->right = n->parent = NULL;
  n->key = key;
  n->seq = h->next_seq++;
  if (h->next_seq == UINT64_MAX) {
    h->next_seq = 0; /* never reached in practice; keeps the marker free */
  }
  h->nelts = pos;
  if (pos == 1) {
    h->min = n;
    return;
  }
  {
    svr_heap_node *parent = svr_heap__at(h, pos >> 1);
    if (pos & 1) {
      parent->right = n;
    } else {
      parent->left = n;
    }
    n->parent = parent;
  }
  svr_heap__sift_up(h, n);
}

/* Removes |n| if linked; a no-op otherwise. */
static inline void svr_heap_remove(svr_heap *h, svr_heap_node *n) {
  svr_heap_node *last;
  if (!svr_heap_node_linked(n) || h->nelts == 0) {
    return;
  }
  last = svr_heap__at(h, h->nelts);
  h->nelts--;
  if (last->parent == NULL) { /* the only node */
    h->min = NULL;
  } else if (last->parent->left == last) {
    last->parent->left = NULL;
  } else {
    last->parent->right = NULL;
  }
  if (last != n) {
    last->left = n->left;
    last->right = n->right;
    last->parent = n->parent;
    if (last->left) {
      last->left->parent = last;
    }
    if (last->right) {
      last->right->parent = last;
    }
    if (n->parent == NULL) {
      h->min = last;
    } else if (n->parent->left == n) {
      n->parent->left = last;
    } else {
      n->parent->right = last;
    }
    svr_heap__sift_down(h, last);
    svr_heap__sift_up(h, last);
  }
  svr_heap_node_init(n);
}

/* Moves |n| to deadline |key| (inserting it if it was not linked). */
static inline void svr_heap_update(svr_heap *h, svr_heap_node *n,
                                   uint64_t key) {
  if (svr_heap_node_linked(n)) {
    if (n->key == key) {
      return;
    }
    svr_heap_remove(h, n);
  }
  svr_heap_insert(h, n, key);
}

/* The earliest deadline, or UINT64_MAX when empty. */
static inline uint64_t svr_heap_min_key(const svr_heap *h) {
  return h->min ? h->min->key : UINT64_MAX;
}

#endif /* SVR_HEAP_H */
