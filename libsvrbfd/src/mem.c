/* SPDX-License-Identifier: BSD-2-Clause */
/* Allocator plumbing: the caller's svrbfd_mem or libc. */
#include <stdlib.h>

#include "bfd_int.h"
#include "svr_mem.h"

static const svrbfd_mem bfd_libc_mem = {NULL, svr_libc_malloc, svr_libc_free,
                                        svr_libc_calloc, svr_libc_realloc};

const svrbfd_mem *svrbfd__mem_default(void) { return &bfd_libc_mem; }

void *svrbfd__malloc(const svrbfd_mem *mem, size_t n) {
  return mem->malloc(n, mem->user_data);
}

void *svrbfd__calloc(const svrbfd_mem *mem, size_t nmemb, size_t size) {
  return mem->calloc(nmemb, size, mem->user_data);
}

void svrbfd__free(const svrbfd_mem *mem, void *p) {
  if (p) {
    mem->free(p, mem->user_data);
  }
}
