/* SPDX-License-Identifier: BSD-2-Clause */
/* Tests of the intrusive expiry heap (common/svr_heap.h). */
#include <stdlib.h>

#include "svr_heap.h"
#include "svr_test.h"

#define N 2000

static int heap_valid(const svr_heap_node *n, size_t *count) {
  if (n == NULL) {
    return 1;
  }
  (*count)++;
  if (n->left && (n->left->parent != n || svr_heap__less(n->left, n))) {
    return 0;
  }
  if (n->right && (n->right->parent != n || svr_heap__less(n->right, n))) {
    return 0;
  }
  return heap_valid(n->left, count) && heap_valid(n->right, count);
}

static void check_valid(const svr_heap *h) {
  size_t count = 0;
  CU_ASSERT_FATAL(heap_valid(h->min, &count));
  CU_ASSERT_EQUAL_FATAL(count, h->nelts);
  if (h->min) {
    CU_ASSERT_PTR_NULL(h->min->parent);
  }
}

static void test_empty(void) {
  svr_heap h;
  svr_heap_node n;
  svr_heap_init(&h);
  svr_heap_node_init(&n);
  CU_ASSERT_PTR_NULL(svr_heap_min(&h));
  CU_ASSERT_EQUAL(svr_heap_min_key(&h), UINT64_MAX);
  svr_heap_remove(&h, &n); /* not linked: no-op */
  CU_ASSERT_EQUAL(h.nelts, 0);
  svr_heap_insert(&h, &n, 7);
  CU_ASSERT_PTR_EQUAL(svr_heap_min(&h), &n);
  CU_ASSERT_TRUE(svr_heap_node_linked(&n));
  svr_heap_remove(&h, &n);
  CU_ASSERT_FALSE(svr_heap_node_linked(&n));
  CU_ASSERT_PTR_NULL(svr_heap_min(&h));
}

/* Equal keys come out in insertion order. */
static void test_ties_fifo(void) {
  svr_heap h;
  svr_heap_node n[8];
  int i;
  svr_heap_init(&h);
  for (i = 0; i < 8; i++) {
    svr_heap_node_init(&n[i]);
    svr_heap_insert(&h, &n[i], 100);
  }
  for (i = 0; i < 8; i++) {
    CU_ASSERT_PTR_EQUAL(svr_heap_min(&h), &n[i]);
    svr_heap_remove(&h, svr_heap_min(&h));
  }
}

/* Random inserts, updates and removals against a brute-force minimum. */
static void test_random_against_reference(void) {
  static svr_heap_node n[N];
  static int in[N];
  svr_heap h;
  uint64_t rs = 42;
  int step, i;
  svr_heap_init(&h);
  for (i = 0; i < N; i++) {
    svr_heap_node_init(&n[i]);
    in[i] = 0;
  }
  for (step = 0; step < 50000; step++) {
    uint64_t r = svr_test_rand(&rs);
    i = (int)(r % N);
    switch ((r >> 20) % 3) {
    case 0:
      svr_heap_update(&h, &n[i], (r >> 32) % 1000);
      in[i] = 1;
      break;
    case 1:
      svr_heap_remove(&h, &n[i]);
      in[i] = 0;
      break;
    default:
      if (svr_heap_min(&h)) {
        svr_heap_node *m = svr_heap_min(&h);
        int j;
        for (j = 0; j < N; j++) {
          if (in[j]) {
            CU_ASSERT_FATAL(n[j].key >= m->key);
          }
        }
        in[m - n] = 0;
        svr_heap_remove(&h, m);
      }
    }
    if (step % 997 == 0) {
      check_valid(&h);
    }
  }
  check_valid(&h);
  {
    uint64_t last = 0;
    size_t left = h.nelts;
    while (svr_heap_min(&h)) {
      CU_ASSERT_FATAL(svr_heap_min_key(&h) >= last);
      last = svr_heap_min_key(&h);
      svr_heap_remove(&h, svr_heap_min(&h));
      left--;
    }
    CU_ASSERT_EQUAL(left, 0);
  }
}

static const svr_test_case cases[] = {
    {"empty heap and single node", test_empty},
    {"equal keys pop in insertion order", test_ties_fifo},
    {"random ops match brute-force minimum", test_random_against_reference},
    {NULL, NULL}};

int main(void) { return svr_test_run("common_heap", cases); }
