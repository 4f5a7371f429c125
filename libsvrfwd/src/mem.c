/* SPDX-License-Identifier: BSD-2-Clause */
/* Allocator plumbing: the host's svrfwd_mem or libc's. */
#include <stdlib.h>

#include "fwd_int.h"
#include "svr_mem.h"

static const svrfwd_mem libc_mem = {NULL, svr_libc_malloc, svr_libc_free,
                                    svr_libc_calloc, svr_libc_realloc};

const svrfwd_mem *svrfwd__mem_default(void) { return &libc_mem; }

void *svrfwd__malloc(const svrfwd_mem *mem, size_t n) {
  return mem->malloc(n, mem->user_data);
}

void *svrfwd__calloc(const svrfwd_mem *mem, size_t nmemb, size_t n) {
  return mem->calloc(nmemb, n, mem->user_data);
}

void svrfwd__free(const svrfwd_mem *mem, void *p) {
  if (p) {
    mem->free(p, mem->user_data);
  }
}
