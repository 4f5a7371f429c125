/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libconductor's transport never blocks (docs/libconductor.md section 1):
 * it takes numeric IPv4/IPv6 addresses only and never asks the resolver.
 * A host name given to conductor_client_new or conductor_server_new is
 * refused with CONDUCTOR_ERR_ADDRESS and a message saying so (issue 16
 * item 13: both called getaddrinfo, which blocks on DNS for a name).
 * "localhost" is in /etc/hosts everywhere, so the old code accepted it
 * without any network; numeric addresses of both families still work.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <conductor/conductor.h>

#include "svr_test.h"

static char dir[64], key[128], kh[128];

static void test_client_name_refused(void) {
  static const char *names[] = {"localhost", "conductor.example",
                                "127.0.0.1.example", ""};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    conductor_client *cl = NULL;
    int rv = conductor_client_new(&cl, names[i], 930, "r", key, kh, 1);
    CU_ASSERT_EQUAL(rv, CONDUCTOR_ERR_ADDRESS);
    if (cl != NULL) {
      CU_ASSERT_EQUAL(conductor_client_get_state(cl), CONDUCTOR_CLIENT_FAILED);
      CU_ASSERT_PTR_NOT_NULL(strstr(conductor_client_errmsg(cl), "numeric"));
      conductor_client_del(cl);
    }
  }
}

static void test_client_numeric(void) {
  static const char *addrs[] = {"127.0.0.1", "::1", "192.0.2.7",
                                "2001:db8::1"};
  size_t i;
  for (i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
    conductor_client *cl = NULL;
    CU_ASSERT_EQUAL(conductor_client_new(&cl, addrs[i], 930, "r", key, kh, 1),
                    0);
    CU_ASSERT_NOT_EQUAL(conductor_client_get_state(cl),
                        CONDUCTOR_CLIENT_FAILED);
    conductor_client_del(cl);
  }
}

static int no_auth(conductor_server *srv, const char *user,
                   const char *key_type, const char *key_b64, char *router,
                   void *user_data) {
  (void)srv, (void)user, (void)key_type, (void)key_b64, (void)router,
      (void)user_data;
  return 1;
}
static void no_frame(conductor_sconn *c, const uint8_t *frame, size_t len,
                     void *user_data) {
  (void)c, (void)frame, (void)len, (void)user_data;
}
static void no_close(conductor_sconn *c, int reason, void *user_data) {
  (void)c, (void)reason, (void)user_data;
}
static void no_log(int level, const char *text, void *user_data) {
  (void)level, (void)text, (void)user_data;
}

static void test_server_name_refused(void) {
  conductor_server_callbacks cb;
  conductor_server *srv = NULL;
  int rv;
  memset(&cb, 0, sizeof cb);
  cb.authorize = no_auth;
  cb.on_frame = no_frame;
  cb.on_close = no_close;
  cb.log = no_log;
  /* the host key: any OpenSSH private key will do */
  CU_ASSERT_EQUAL(conductor_server_new(&srv, "localhost", 0, key, &cb, NULL),
                  CONDUCTOR_ERR_ADDRESS);
  conductor_server_del(srv);
  srv = NULL;
  rv = conductor_server_new(&srv, "127.0.0.1", 0, key, &cb, NULL);
  if (rv != 0) {
    fprintf(stderr, "server_new: %s: %s\n", conductor_strerror(rv),
            srv ? conductor_server_errmsg(srv) : "");
  }
  CU_ASSERT_EQUAL(rv, 0);
  CU_ASSERT_FATAL(srv != NULL);
  CU_ASSERT(conductor_server_fd(srv) >= 0);
  conductor_server_del(srv);
}

static void test_strerror(void) {
  CU_ASSERT_PTR_NOT_NULL(
      strstr(conductor_strerror(CONDUCTOR_ERR_ADDRESS), "numeric"));
}

int main(void) {
  static const svr_test_case cases[] = {
      {"client_name_refused", test_client_name_refused},
      {"client_numeric", test_client_numeric},
      {"server_name_refused", test_server_name_refused},
      {"strerror", test_strerror},
      {NULL, NULL}};
  char pub[160];
  int rv;
  snprintf(dir, sizeof dir, "/tmp/cnd_addr_test.%d", (int)getpid());
  if (mkdir(dir, 0700) != 0) {
    perror(dir);
    return 1;
  }
  snprintf(key, sizeof key, "%s/k", dir);
  snprintf(kh, sizeof kh, "%s/known_hosts", dir);
  if (conductor_key_generate(key) != 0) {
    fprintf(stderr, "cannot generate %s\n", key);
    return 1;
  }
  rv = svr_test_run("conductor_addr", cases);
  snprintf(pub, sizeof pub, "%s.pub", key);
  unlink(key);
  unlink(pub);
  unlink(kh);
  rmdir(dir);
  return rv;
}
