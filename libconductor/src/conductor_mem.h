/* SPDX-License-Identifier: BSD-2-Clause */
/* libconductor internal: the default allocator behind conductor_mem. */
#ifndef CONDUCTOR_MEM_H
#define CONDUCTOR_MEM_H

#include <stdlib.h>

#include <conductor/conductor.h>

static inline void *conductor_mem_calloc(const conductor_mem *mem, size_t n,
                                         size_t size) {
  return mem && mem->calloc ? mem->calloc(n, size, mem->user_data)
                            : calloc(n, size);
}

static inline void *conductor_mem_realloc(const conductor_mem *mem, void *p,
                                          size_t size) {
  return mem && mem->realloc ? mem->realloc(p, size, mem->user_data)
                             : realloc(p, size);
}

static inline void conductor_mem_free(const conductor_mem *mem, void *p) {
  if (mem && mem->free) {
    mem->free(p, mem->user_data);
  } else {
    free(p);
  }
}

#endif /* CONDUCTOR_MEM_H */
