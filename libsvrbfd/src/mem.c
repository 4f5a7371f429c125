/* Allocator plumbing: the caller's svrbfd_mem or libc. */
#include <stdlib.h>

#include "bfd_int.h"

static void *bfd_libc_malloc(size_t size, void *user_data) {
  (void)user_data;
  return malloc(size);
}
static void bfd_libc_free(void *ptr, void *user_data) {
  (void)user_data;
  free(ptr);
}
static void *bfd_libc_calloc(size_t nmemb, size_t size, void *user_data) {
  (void)user_data;
  return calloc(nmemb, size);
}
static void *bfd_libc_realloc(void *ptr, size_t size, void *user_data) {
  (void)user_data;
  return realloc(ptr, size);
}

static const svrbfd_mem bfd_libc_mem = {NULL, bfd_libc_malloc, bfd_libc_free,
                                        bfd_libc_calloc, bfd_libc_realloc};

const svrbfd_mem *bfd_mem_default(void) { return &bfd_libc_mem; }

void *bfd_malloc(const svrbfd_mem *mem, size_t n) {
  return mem->malloc(n, mem->user_data);
}

void *bfd_calloc(const svrbfd_mem *mem, size_t nmemb, size_t size) {
  return mem->calloc(nmemb, size, mem->user_data);
}

void bfd_free(const svrbfd_mem *mem, void *p) {
  if (p) {
    mem->free(p, mem->user_data);
  }
}
