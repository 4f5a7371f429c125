/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: libc behind the allocator callbacks every library
 * takes (malloc, free, calloc, realloc, each with the host's user_data),
 * used when the host gives no allocator.  Header-only, no exported symbol.
 */
#ifndef SVR_MEM_H
#define SVR_MEM_H

#include <stdlib.h>

static inline void *svr_libc_malloc(size_t n, void *user_data) {
  (void)user_data;
  return malloc(n);
}

static inline void svr_libc_free(void *p, void *user_data) {
  (void)user_data;
  free(p);
}

static inline void *svr_libc_calloc(size_t nmemb, size_t n, void *user_data) {
  (void)user_data;
  return calloc(nmemb, n);
}

static inline void *svr_libc_realloc(void *p, size_t n, void *user_data) {
  (void)user_data;
  return realloc(p, n);
}

#endif /* SVR_MEM_H */
