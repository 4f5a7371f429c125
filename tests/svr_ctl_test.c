/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of the daemons' control socket (cli/common/svr_ctl.c), built here
 * with SVR_CTL_IDLE_MS 300 and SVR_CTL_CLIENT_TIMEOUT_S 1: a server on a
 * libuv loop in a second thread, clients on raw sockets and through
 * svr_ctl_request.  SIGPIPE keeps its default action: a write to a client
 * that has gone away without MSG_NOSIGNAL kills this process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "svr_ctl.h"
#include "svr_test.h"

#define BIG_LEN (5u << 20)

static char dir[64], sock_path[100];
static uv_loop_t loop;
static uv_async_t stop_async;
static svr_ctl *ctl;
static pthread_t server;
static char *big;

static const char *handler(void *user_data, const char *line,
                           svr_ctl_reply *reply) {
  (void)user_data;
  if (strcmp(line, "big") == 0) {
    reply->body = malloc(BIG_LEN);
    if (reply->body == NULL) {
      return "out of memory";
    }
    memcpy(reply->body, big, BIG_LEN);
    reply->body_len = BIG_LEN;
  } else if (strcmp(line, "mixed") == 0) {
    fputs("head-", reply->out);
    reply->body = strdup("body\n");
    reply->body_len = reply->body ? 5 : 0;
  } else if (strcmp(line, "fail") == 0) {
    fputs("not sent", reply->out);
    reply->body = strdup("not sent either");
    reply->body_len = 15;
    snprintf(reply->err, sizeof(reply->err), "failed %d", 42);
    return reply->err;
  } else {
    fprintf(reply->out, "line=<%s>\n", line);
  }
  return NULL;
}

static void on_stop(uv_async_t *a) {
  svr_ctl_close(ctl);
  ctl = NULL;
  uv_close((uv_handle_t *)a, NULL);
}

static void *server_main(void *arg) {
  (void)arg;
  uv_run(&loop, UV_RUN_DEFAULT);
  return NULL;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void addr_of(struct sockaddr_un *sa, const char *path) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
}

/* A Unix stream socket bound to |path|, or -1. */
static int bound(const char *path) {
  struct sockaddr_un sa;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr_of(&sa, path);
  if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

static int client(void) {
  struct sockaddr_un sa;
  struct timeval tv = {5, 0};
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  addr_of(&sa, sock_path);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends |raw| and reads the whole answer (until EOF) into a malloc'd
 * buffer; *len gets its length.  NULL on failure or timeout. */
static char *ask(const char *raw, size_t *len) {
  size_t cap = BIG_LEN + 4096, n = 0;
  char *buf = malloc(cap + 1);
  ssize_t r;
  int fd = client();
  if (buf == NULL || fd < 0 ||
      send(fd, raw, strlen(raw), MSG_NOSIGNAL) != (ssize_t)strlen(raw)) {
    free(buf);
    if (fd >= 0) {
      close(fd);
    }
    return NULL;
  }
  while (n < cap && (r = read(fd, buf + n, cap - n)) > 0) {
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void check_answer(const char *raw, const char *want) {
  size_t len = 0;
  char *got = ask(raw, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(got);
  CU_ASSERT_EQUAL(len, strlen(want));
  CU_ASSERT_STRING_EQUAL(got, want);
  free(got);
}

static void test_answers(void) {
  check_answer("mixed\n", "ok\nhead-body\n");
  check_answer("echo\r\n", "ok\nline=<echo>\n");
  check_answer("  spaced words \n", "ok\nline=<  spaced words >\n");
}

static void test_error_sends_only_the_error(void) {
  check_answer("fail\n", "error: failed 42\n");
}

static void test_too_long_line(void) {
  char raw[402];
  memset(raw, 'x', 400);
  raw[400] = '\n';
  raw[401] = '\0';
  check_answer(raw, "ok\nline=<>\n");
}

static void test_big_answer(void) {
  size_t len = 0;
  char *got = ask("big\n", &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(got);
  CU_ASSERT_EQUAL_FATAL(len, BIG_LEN + 3);
  CU_ASSERT(memcmp(got, "ok\n", 3) == 0);
  CU_ASSERT(memcmp(got + 3, big, BIG_LEN) == 0);
  free(got);
}

/* Clients that ask for 5 MB and close at once: the daemon's writes fail
 * with EPIPE, never a SIGPIPE (default action here: this process would
 * die), and it answers the next client. */
static void test_client_gone_no_sigpipe(void) {
  int i;
  for (i = 0; i < 20; i++) {
    int fd = client();
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(send(fd, "big\n", 4, MSG_NOSIGNAL) == 4);
    if (i % 2) {
      char b[64]; /* half of them read a little first */
      CU_ASSERT(read(fd, b, sizeof(b)) > 0);
    }
    close(fd);
  }
  check_answer("mixed\n", "ok\nhead-body\n");
}

/* A client that sends nothing, or half a line, is closed after the idle
 * time (300 ms in this build), not kept forever. */
static void test_idle_closed(void) {
  int k;
  for (k = 0; k < 2; k++) {
    char b[16];
    uint64_t t0;
    ssize_t n;
    int fd = client();
    CU_ASSERT_FATAL(fd >= 0);
    if (k == 1) {
      CU_ASSERT(send(fd, "show pe", 7, MSG_NOSIGNAL) == 7);
    }
    t0 = now_ms();
    n = read(fd, b, sizeof(b)); /* EOF from the daemon, or 5 s timeout */
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(now_ms() - t0 >= SVR_CTL_IDLE_MS - 50);
    CU_ASSERT(now_ms() - t0 < 4000);
    close(fd);
  }
}

/* svr_ctl_request: output to stdout (here: /dev/null), the exit codes. */
static void test_request(void) {
  int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
  char missing[100];
  CU_ASSERT_FATAL(saved >= 0 && null >= 0);
  fflush(stdout);
  dup2(null, STDOUT_FILENO);
  CU_ASSERT_EQUAL(svr_ctl_request("svr_ctl_test", sock_path, "mixed"), 0);
  CU_ASSERT_EQUAL(svr_ctl_request("svr_ctl_test", sock_path, "big"), 0);
  CU_ASSERT_EQUAL(svr_ctl_request("svr_ctl_test", sock_path, "fail"), 2);
  snprintf(missing, sizeof(missing), "%s/none.sock", dir);
  CU_ASSERT_EQUAL(svr_ctl_request("svr_ctl_test", missing, "mixed"), 5);
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  close(null);
}

/* A daemon that accepts and never answers: the client gives up after its
 * timeout (1 s in this build) with exit 5. */
static void test_request_timeout(void) {
  char path[100];
  uint64_t t0;
  int fd;
  snprintf(path, sizeof(path), "%s/mute.sock", dir);
  fd = bound(path);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT_FATAL(listen(fd, 4) == 0);
  t0 = now_ms();
  CU_ASSERT_EQUAL(svr_ctl_request("svr_ctl_test", path, "show"), 5);
  CU_ASSERT(now_ms() - t0 >= SVR_CTL_CLIENT_TIMEOUT_S * 1000 - 50);
  CU_ASSERT(now_ms() - t0 < 4000);
  close(fd);
  unlink(path);
}

static void listen_fails(const char *path, const char *who, const char *want) {
  uv_loop_t l;
  svr_ctl *c = (svr_ctl *)1;
  char err[512] = "";
  CU_ASSERT_FATAL(uv_loop_init(&l) == 0);
  CU_ASSERT_EQUAL(
      svr_ctl_listen(&c, &l, path, who, handler, NULL, err, sizeof(err)), -1);
  CU_ASSERT_PTR_NULL(c);
  if (strstr(err, want) == NULL) {
    fprintf(stderr, "got '%s', want '%s'\n", err, want);
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
  uv_run(&l, UV_RUN_DEFAULT);
  CU_ASSERT_EQUAL(uv_loop_close(&l), 0); /* nothing left open */
}

static void test_listen_refusals(void) {
  char p[100], want[300];
  int fd;
  /* a live socket: the running server's */
  listen_fails(sock_path, "svr-test", "another svr-test answers there");
  listen_fails(sock_path, NULL, "another daemon answers there");
  /* a file that is not a socket */
  snprintf(p, sizeof(p), "%s/plain", dir);
  fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  listen_fails(p, NULL, "exists and is not a socket");
  /* a missing directory: ENOENT named, not "permission denied" */
  snprintf(p, sizeof(p), "%s/missing/x.sock", dir);
  snprintf(want, sizeof(want), "directory %s/missing: No such file or "
           "directory", dir);
  listen_fails(p, NULL, want);
  /* a path component that is a file */
  snprintf(p, sizeof(p), "%s/plain/x.sock", dir);
  snprintf(want, sizeof(want), "%s/plain is not a directory", dir);
  listen_fails(p, NULL, want);
}

/* A socket file left by a daemon that died is replaced; the socket is
 * mode 0660 and removed by svr_ctl_close. */
static void test_stale_replaced(void) {
  struct stat st;
  uv_loop_t l;
  svr_ctl *c = NULL;
  char p[100], err[256];
  int fd;
  snprintf(p, sizeof(p), "%s/stale.sock", dir);
  fd = bound(p);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd); /* never listened: nothing answers */
  CU_ASSERT_FATAL(uv_loop_init(&l) == 0);
  CU_ASSERT_EQUAL(
      svr_ctl_listen(&c, &l, p, NULL, handler, NULL, err, sizeof(err)), 0);
  CU_ASSERT_PTR_NOT_NULL(c);
  CU_ASSERT(stat(p, &st) == 0 && S_ISSOCK(st.st_mode) &&
            (st.st_mode & 0777) == 0660);
  svr_ctl_close(c);
  CU_ASSERT(stat(p, &st) != 0 && errno == ENOENT);
  uv_run(&l, UV_RUN_DEFAULT);
  CU_ASSERT_EQUAL(uv_loop_close(&l), 0);
}

static const svr_test_case cases[] = {
    {"answers: output then handed-over buffer", test_answers},
    {"an error answer sends only the error", test_error_sends_only_the_error},
    {"a too long line reaches the handler as empty", test_too_long_line},
    {"a 5 MB answer arrives whole", test_big_answer},
    {"clients gone before the answer: no SIGPIPE", test_client_gone_no_sigpipe},
    {"idle connections are closed", test_idle_closed},
    {"svr_ctl_request exit codes", test_request},
    {"svr_ctl_request times out on a mute daemon", test_request_timeout},
    {"listen refuses a live socket, a file, a missing directory",
     test_listen_refusals},
    {"listen replaces a stale socket", test_stale_replaced},
    {NULL, NULL}};

int main(void) {
  char err[256];
  size_t i;
  int rc;
  signal(SIGPIPE, SIG_DFL);
  snprintf(dir, sizeof(dir), "/tmp/svr_ctl_test.XXXXXX");
  if (mkdtemp(dir) == NULL || (big = malloc(BIG_LEN)) == NULL) {
    perror("svr_ctl_test");
    return 1;
  }
  for (i = 0; i < BIG_LEN; i++) {
    big[i] = (char)('a' + (i * 7 + i / 251) % 26);
  }
  snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
  if (uv_loop_init(&loop) != 0 ||
      svr_ctl_listen(&ctl, &loop, sock_path, "svr-test", handler, NULL, err,
                     sizeof(err)) != 0 ||
      uv_async_init(&loop, &stop_async, on_stop) != 0 ||
      pthread_create(&server, NULL, server_main, NULL) != 0) {
    fprintf(stderr, "svr_ctl_test: server: %s\n", err);
    return 1;
  }
  rc = svr_test_run("svr_ctl", cases);
  uv_async_send(&stop_async);
  pthread_join(server, NULL);
  if (access(sock_path, F_OK) == 0) {
    fprintf(stderr, "svr_ctl_test: %s left behind\n", sock_path);
    rc = 1;
  }
  if (uv_loop_close(&loop) != 0) {
    fprintf(stderr, "svr_ctl_test: handles left open\n");
    rc = 1;
  }
  {
    char p[200];
    const char *left[] = {"plain", NULL};
    for (i = 0; left[i]; i++) {
      snprintf(p, sizeof(p), "%s/%s", dir, left[i]);
      unlink(p);
    }
  }
  rmdir(dir);
  free(big);
  return rc;
}
