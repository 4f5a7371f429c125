/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conductor_key_generate(): the private key file never exists with a mode
 * that lets anyone but its owner read it, and an existing file is never
 * overwritten or followed.
 *
 * Race: a reader thread stat()s the key path in a tight loop while the main
 * thread creates keys there over and over (umask 0, so a file created with
 * the default mode 0666 and chmod'ed afterwards shows a readable mode in
 * the window between the two).  A second reader opens and reads the path
 * and records whether it ever got bytes while the mode still allowed group
 * or others.  Both must never see it.  Running as another user is not
 * needed: the mode bits are what another user's open() is checked against.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <conductor/conductor.h>

#include "svr_test.h"

static char dir[64], path[128];
static atomic_int stop;
static atomic_long seen_open_mode, seen_files, worst_mode;

static void *watch(void *arg) {
  struct stat st;
  (void)arg;
  while (!atomic_load(&stop)) {
    if (lstat(path, &st) == 0) {
      atomic_fetch_add(&seen_files, 1);
      if (st.st_mode & 077) {
        atomic_fetch_add(&seen_open_mode, 1);
        atomic_store(&worst_mode, (long)(st.st_mode & 0777));
      }
    }
  }
  return NULL;
}

static void test_created_private(void) {
  pthread_t th;
  mode_t old = umask(0);
  int i, made = 0;
  char pub[160];
  struct stat st;
  snprintf(pub, sizeof pub, "%s.pub", path);
  atomic_store(&stop, 0);
  CU_ASSERT_FATAL(pthread_create(&th, NULL, watch, NULL) == 0);
  for (i = 0; i < 300; i++) {
    unlink(path);
    unlink(pub);
    if (conductor_key_generate(path) == 0) {
      made++;
    }
  }
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  umask(old);
  CU_ASSERT_EQUAL(made, 300);
  CU_ASSERT(atomic_load(&seen_files) > 0); /* the watcher did watch */
  if (atomic_load(&seen_open_mode) != 0) {
    fprintf(stderr, "  key seen %ld times with mode %03lo\n",
            atomic_load(&seen_open_mode), atomic_load(&worst_mode));
  }
  CU_ASSERT_EQUAL(atomic_load(&seen_open_mode), 0);
  CU_ASSERT_FATAL(stat(path, &st) == 0);
  CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
  CU_ASSERT_FATAL(stat(pub, &st) == 0);
  CU_ASSERT_EQUAL(st.st_mode & 0777, 0644);
  {
    /* both halves load and are the same key */
    char t1[64], b1[1024], f1[128], t2[64], b2[1024], f2[128];
    CU_ASSERT_EQUAL(conductor_key_read_public(path, t1, sizeof t1, b1,
                                              sizeof b1, f1, sizeof f1), 0);
    CU_ASSERT_EQUAL(conductor_key_read_public(pub, t2, sizeof t2, b2,
                                              sizeof b2, f2, sizeof f2), 0);
    CU_ASSERT_STRING_EQUAL(t1, "ssh-ed25519");
    CU_ASSERT_STRING_EQUAL(f1, f2);
  }
}

static void test_never_overwrites(void) {
  char other[160], buf[64];
  int fd;
  ssize_t n;
  /* an existing file: refused with EEXIST, left as it was */
  unlink(path);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT_EQUAL(write(fd, "old", 3), 3);
  close(fd);
  errno = 0;
  CU_ASSERT_EQUAL(conductor_key_generate(path), CONDUCTOR_ERR_IO);
  CU_ASSERT_EQUAL(errno, EEXIST);
  fd = open(path, O_RDONLY);
  n = read(fd, buf, sizeof buf);
  close(fd);
  CU_ASSERT(n == 3 && memcmp(buf, "old", 3) == 0);
  /* a symlink planted at the path is not followed */
  unlink(path);
  snprintf(other, sizeof other, "%s/victim", dir);
  unlink(other);
  CU_ASSERT_FATAL(symlink(other, path) == 0);
  CU_ASSERT_EQUAL(conductor_key_generate(path), CONDUCTOR_ERR_IO);
  CU_ASSERT_EQUAL(access(other, F_OK), -1);
  unlink(path);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"created_private", test_created_private},
      {"never_overwrites", test_never_overwrites},
      {NULL, NULL}};
  char pub[160], other[160];
  int rv;
  snprintf(dir, sizeof dir, "/tmp/cnd_keyfile_test.%d", (int)getpid());
  if (mkdir(dir, 0700) != 0) {
    perror(dir);
    return 1;
  }
  snprintf(path, sizeof path, "%s/k", dir);
  rv = svr_test_run("conductor_keyfile", cases);
  snprintf(pub, sizeof pub, "%s.pub", path);
  snprintf(other, sizeof other, "%s/victim", dir);
  unlink(path);
  unlink(pub);
  unlink(other);
  rmdir(dir);
  return rv;
}
