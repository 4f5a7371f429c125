/* Allocator plumbing: the host's svrfwd_mem or libc's. */
#include <stdlib.h>

#include "fwd_int.h"

static void *libc_malloc(size_t n, void *u) {
  (void)u;
  return malloc(n);
}
static void libc_free(void *p, void *u) {
  (void)u;
  free(p);
}
static void *libc_calloc(size_t a, size_t n, void *u) {
  (void)u;
  return calloc(a, n);
}
static void *libc_realloc(void *p, size_t n, void *u) {
  (void)u;
  return realloc(p, n);
}

static const svrfwd_mem libc_mem = {NULL, libc_malloc, libc_free, libc_calloc,
                                    libc_realloc};

const svrfwd_mem *fwd_mem_default(void) { return &libc_mem; }

void *fwd_malloc(const svrfwd_mem *mem, size_t n) {
  return mem->malloc(n, mem->user_data);
}

void *fwd_calloc(const svrfwd_mem *mem, size_t nmemb, size_t n) {
  return mem->calloc(nmemb, n, mem->user_data);
}

void fwd_free(const svrfwd_mem *mem, void *p) {
  if (p) {
    mem->free(p, mem->user_data);
  }
}
