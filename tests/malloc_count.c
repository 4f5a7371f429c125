/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * LD_PRELOAD shim for tests: counts malloc, calloc and realloc calls of a
 * process into an 8-byte counter in the file named by SVR_MALLOC_COUNT_FILE
 * (shared, so the test reads it while the process runs).  Without that
 * variable it only forwards.  glibc's __libc_* entry points avoid dlsym,
 * which itself allocates.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static volatile uint64_t *cnt;
__attribute__((constructor)) static void init(void) {
  const char *f = getenv("SVR_MALLOC_COUNT_FILE");
  int fd;
  if (!f) return;
  fd = open(f, O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, 8) != 0) return;
  cnt = mmap(NULL, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (cnt == MAP_FAILED) cnt = NULL;
  close(fd);
}
static void bump(void) { if (cnt) __atomic_add_fetch(cnt, 1, __ATOMIC_RELAXED); }
void *malloc(size_t n) { bump(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { bump(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { bump(); return __libc_realloc(p, n); }
