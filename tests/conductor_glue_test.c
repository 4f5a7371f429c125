/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libconductor glue in one process, one uv loop, the way svr-router embeds
 * the router side: a conductor node (cnd) and three router nodes (rtr) on
 * loopback.  Alarms raised and cleared on the routers reach the database
 * exactly once; the journal of a router deleted before the acks arrived is
 * delivered by its successor under the same epoch; a router restarted
 * without a journal (seq from 1 again) has its alarms stored under a new
 * epoch; a journal from before epochs keeps epoch 0 (its replay stays a
 * duplicate); a router with a wrong pinned host key never connects.  Every wait is "run the loop until a condition holds", bounded
 * by a deadline timer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "conductor_glue.h"
#include "svr_test.h"

static char dir[64];
static uv_loop_t loop;
static cnd *node;
static char kh[128], kh_bad[128], key[128], addr[64], db[128];

static void nolog(int level, const char *text, void *ud) {
  (void)ud;
  if (level == 0) {
    fprintf(stderr, "  log: %s\n", text);
  }
}

/* Runs the loop until |cond| holds or |ms| passed; returns cond(). */
static int run_until(int (*cond)(void *), void *arg, unsigned ms) {
  uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000ULL;
  while (!cond(arg) && uv_hrtime() < end) {
    uv_run(&loop, UV_RUN_NOWAIT);
    usleep(1000); /* yield the CPU between turns, not a synchronisation */
  }
  return cond(arg);
}

static int64_t q1(const char *sql) {
  sqlite3 *h;
  sqlite3_stmt *s;
  int64_t v = -1;
  if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    return -2;
  }
  sqlite3_busy_timeout(h, 1000);
  if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
  return v;
}

static int all_acked(void *arg) {
  rtr **rs = arg;
  int i;
  for (i = 0; rs[i]; i++) {
    if (rtr_pending(rs[i]) != 0 || rtr_links_up(rs[i]) == 0) {
      return 0;
    }
  }
  return 1;
}

static rtr *mk_router(const char *node_name, const char *known_hosts,
                      const char *state) {
  rtr_opts o;
  rtr *r = NULL;
  char err[256];
  memset(&o, 0, sizeof o);
  o.router = "r1";
  o.node = node_name;
  o.key_path = key;
  o.known_hosts = known_hosts;
  o.conductors[0] = addr;
  o.n_conductors = 1;
  o.state_dir = state;
  o.backoff_base_ns = 50 * CONDUCTOR_MILLISECONDS;
  o.backoff_cap_ns = 200 * CONDUCTOR_MILLISECONDS;
  o.log = nolog;
  CU_ASSERT_FATAL(rtr_new(&r, &loop, &o, err, sizeof err) == 0);
  return r;
}

static void stop_router(rtr *r) {
  rtr_stop(r);
  uv_run(&loop, UV_RUN_NOWAIT); /* close callbacks */
  rtr_del(r);
}

static void test_alarms_exactly_once(void) {
  rtr *rs[4] = {NULL, NULL, NULL, NULL};
  char st[3][128];
  int i, k;
  uint32_t num = 0;
  static const char *const names[3] = {"n0", "n1", "n2"};
  for (i = 0; i < 3; i++) {
    snprintf(st[i], sizeof st[i], "%s/st%d", dir, i);
    rs[i] = mk_router(names[i], kh, st[i]);
  }
  for (i = 0; i < 3; i++) {
    for (k = 0; k < 100; k++) {
      CU_ASSERT_EQUAL(rtr_raise(rs[i], CONDUCTOR_SEV_MAJOR, "n", "peer",
                                "Peer x path is down", &num), 0);
    }
  }
  /* clear the last alarm of n0 */
  CU_ASSERT_EQUAL(rtr_clear(rs[0], num, CONDUCTOR_SEV_MAJOR, "n", "peer",
                            "Peer x path is up"), 0);
  CU_ASSERT_TRUE(run_until(all_acked, rs, 20000));
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE router='r1'"),
                  301);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarms WHERE router='r1'"), 299);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE router='r1' "
                     "AND node='n0' AND seq=101 AND op=2"),
                  1);
  for (i = 0; i < 3; i++) {
    stop_router(rs[i]);
  }
}

static int db_has(void *arg) {
  return q1((const char *)arg) > 0;
}

static void test_journal_survives_router(void) {
  char st[128];
  rtr *r, *rs[2] = {NULL, NULL};
  int k;
  int64_t before;
  snprintf(st, sizeof st, "%s/stj", dir);
  r = mk_router("nj", kh, st);
  /* raise before the link is up: nothing can be acknowledged yet */
  for (k = 0; k < 50; k++) {
    CU_ASSERT_EQUAL(rtr_raise(r, CONDUCTOR_SEV_MINOR, "nj", "system", "m",
                              NULL), 0);
  }
  CU_ASSERT_EQUAL(rtr_pending(r), 50);
  stop_router(r); /* gone before any ack: the journal has them */
  before = q1("SELECT count(*) FROM alarm_events WHERE node='nj'");
  CU_ASSERT(before < 50);
  rs[0] = mk_router("nj", kh, st);
  CU_ASSERT_EQUAL(rtr_next_seq(rs[0]), 51);
  CU_ASSERT_TRUE(run_until(all_acked, rs, 20000));
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE node='nj'"), 50);
  CU_ASSERT_EQUAL(q1("SELECT max(seq) FROM alarm_events WHERE node='nj'"), 50);
  /* both router objects ran under the journal's epoch */
  CU_ASSERT_EQUAL(q1("SELECT count(DISTINCT epoch) FROM alarm_events WHERE "
                     "node='nj'"), 1);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE node='nj' "
                     "AND epoch=0"), 0);
  stop_router(rs[0]);
  CU_ASSERT_TRUE(run_until(db_has,
                           "SELECT count(*) FROM connections WHERE node='nj' "
                           "AND state='disconnected'",
                           5000));
}

/* Issue 14: a router node without a journal starts at seq 1 on every
 * run.  Each run has its own epoch, so the second run's alarms are stored,
 * not acknowledged as duplicates of the first run's; and the first run's
 * alarms, still active when the second run says HELLO, are cleared. */
static void test_restart_without_journal(void) {
  rtr *rs[2] = {NULL, NULL};
  int run, k;
  for (run = 0; run < 2; run++) {
    rs[0] = mk_router("nr", kh, NULL);
    for (k = 0; k < 20; k++) {
      CU_ASSERT_EQUAL(rtr_raise(rs[0], CONDUCTOR_SEV_MINOR, "nr", "peer",
                                run ? "second run" : "first run", NULL), 0);
    }
    CU_ASSERT_EQUAL(rtr_next_seq(rs[0]), 21);
    CU_ASSERT_TRUE(run_until(all_acked, rs, 20000));
    stop_router(rs[0]);
  }
  /* 20 raises per run, and the 20 clears of run 1's alarms that the
   * conductor stored when run 2 began (events of run 1, seq 21..40) */
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE node='nr'"), 60);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE node='nr' AND "
                     "message='second run'"), 20);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE node='nr' AND "
                     "message='first run' AND op=2 AND seq>20"), 20);
  CU_ASSERT_EQUAL(q1("SELECT count(DISTINCT epoch) FROM alarm_events WHERE "
                     "node='nr' AND epoch!=0"), 2);
  /* only the second run's alarms are active */
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarms WHERE node='nr'"), 20);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarms WHERE node='nr' AND "
                     "message='second run'"), 20);
}

/* A journal written before epochs (no 'H' record) whose alarm seq 1 the
 * conductor already stored (as epoch 0, unacknowledged when the old
 * router stopped): the upgraded router keeps epoch 0, so the replay is a
 * duplicate and the next alarm continues at seq 2 under epoch 0. */
static void test_journal_before_epochs(void) {
  char st[128], jpath[160];
  uint8_t rec[1 + CONDUCTOR_MAX_FRAME_LEN];
  conductor_store *s = NULL;
  conductor_msg m;
  conductor_ssize n;
  rtr *rs[2] = {NULL, NULL};
  FILE *f;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ALARM;
  m.alarm.seq = 1;
  m.alarm.alarm_num = 1;
  m.alarm.op = CONDUCTOR_ALARM_RAISE;
  m.alarm.severity = CONDUCTOR_SEV_MAJOR;
  m.alarm.time_ns = 1700000000000000000ULL;
  strcpy(m.alarm.source, "no");
  strcpy(m.alarm.category, "peer");
  strcpy(m.alarm.message, "Peer old path is down");
  rec[0] = 'A';
  n = conductor_msg_encode(rec + 1, sizeof rec - 1, &m);
  CU_ASSERT_FATAL(n > 0);
  snprintf(st, sizeof st, "%s/sto", dir);
  CU_ASSERT_FATAL(mkdir(st, 0700) == 0);
  snprintf(jpath, sizeof jpath, "%s/outbox.journal", st);
  f = fopen(jpath, "wb");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT_EQUAL(fwrite(rec, 1, (size_t)n + 1, f), (size_t)n + 1);
  fclose(f);
  CU_ASSERT_FATAL(conductor_store_open(&s, db, 0) == 0);
  CU_ASSERT_EQUAL(conductor_store_add_alarm(s, "r1", "no", &m.alarm, 1), 1);
  conductor_store_close(s);
  rs[0] = mk_router("no", kh, st);
  CU_ASSERT_EQUAL(rtr_next_seq(rs[0]), 2);
  CU_ASSERT_EQUAL(rtr_raise(rs[0], CONDUCTOR_SEV_MAJOR, "no", "peer",
                            "Peer new path is down", NULL), 0);
  CU_ASSERT_TRUE(run_until(all_acked, rs, 20000));
  stop_router(rs[0]);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE node='no'"), 2);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM alarm_events WHERE node='no' AND "
                     "epoch=0 AND seq IN (1,2)"), 2);
}

static int failed_link, failed_errno;
static void on_fail(int idx, int rv, int sys_errno, const char *why,
                    void *ud) {
  (void)idx;
  (void)why;
  (void)ud;
  failed_link = rv;
  failed_errno = sys_errno;
}
static int got_fail(void *arg) {
  (void)arg;
  return failed_link != 0;
}

static void test_changed_host_key(void) {
  rtr_opts o;
  rtr *r = NULL;
  char err[256];
  memset(&o, 0, sizeof o);
  o.router = "r1";
  o.node = "nbad";
  o.key_path = key;
  o.known_hosts = kh_bad;
  o.conductors[0] = addr;
  o.n_conductors = 1;
  o.on_link_fail = on_fail;
  o.log = nolog;
  failed_link = failed_errno = 0;
  CU_ASSERT_FATAL(rtr_new(&r, &loop, &o, err, sizeof err) == 0);
  CU_ASSERT_TRUE(run_until(got_fail, NULL, 10000));
  CU_ASSERT_EQUAL(failed_link, CONDUCTOR_ERR_HOSTKEY_CHANGED);
  CU_ASSERT_EQUAL(failed_errno, 0);
  CU_ASSERT_EQUAL(rtr_links_up(r), 0);
  stop_router(r);
  CU_ASSERT_EQUAL(q1("SELECT count(*) FROM connections WHERE node='nbad'"),
                  0);
}

/* A port where nothing listens: the link fails with CONDUCTOR_ERR_IO and
 * the connect's errno, ECONNREFUSED (svr-conductor-router --once exits
 * "unreachable" on it, docs/cli.md). */
static void test_refused_port(void) {
  rtr_opts o;
  rtr *r = NULL;
  char err[256], closed[64];
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CU_ASSERT_FATAL(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
                  getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
  close(fd); /* bound, never listened: the port refuses */
  snprintf(closed, sizeof closed, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
  memset(&o, 0, sizeof o);
  o.router = "r1";
  o.node = "nref";
  o.key_path = key;
  o.known_hosts = kh;
  o.conductors[0] = closed;
  o.n_conductors = 1;
  o.on_link_fail = on_fail;
  o.log = nolog;
  failed_link = failed_errno = 0;
  CU_ASSERT_FATAL(rtr_new(&r, &loop, &o, err, sizeof err) == 0);
  CU_ASSERT_TRUE(run_until(got_fail, NULL, 10000));
  CU_ASSERT_EQUAL(failed_link, CONDUCTOR_ERR_IO);
  CU_ASSERT_EQUAL(failed_errno, ECONNREFUSED);
  stop_router(r);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"alarms_exactly_once", test_alarms_exactly_once},
      {"journal_survives_router", test_journal_survives_router},
      {"restart_without_journal", test_restart_without_journal},
      {"journal_before_epochs", test_journal_before_epochs},
      {"changed_host_key", test_changed_host_key},
      {"refused_port", test_refused_port},
      {NULL, NULL}};
  cnd_opts o;
  char err[256], hk[128], other[128], cmd[256];
  char type[64], b64[1024], fp[128];
  conductor_store *s = NULL;
  FILE *f;
  int rv;

  snprintf(dir, sizeof dir, "/tmp/conductor_glue_test.XXXXXX");
  if (mkdtemp(dir) == NULL) {
    return 1;
  }
  snprintf(db, sizeof db, "%s/c.db", dir);
  snprintf(hk, sizeof hk, "%s/hostkey", dir);
  snprintf(key, sizeof key, "%s/rkey", dir);
  snprintf(other, sizeof other, "%s/other", dir);
  snprintf(kh, sizeof kh, "%s/kh", dir);
  snprintf(kh_bad, sizeof kh_bad, "%s/kh_bad", dir);
  if (conductor_key_generate(hk) || conductor_key_generate(key) ||
      conductor_key_generate(other)) {
    return 1;
  }
  snprintf(cmd, sizeof cmd, "%s.pub", key);
  if (conductor_key_read_public(cmd, type, sizeof type, b64, sizeof b64, fp,
                                sizeof fp) ||
      conductor_store_open(&s, db, 0) ||
      conductor_store_enroll(s, "r1", type, b64, fp)) {
    return 1;
  }
  conductor_store_close(s);

  uv_loop_init(&loop);
  memset(&o, 0, sizeof o);
  o.db_path = db;
  o.host_key = hk;
  o.listen_addr = "127.0.0.1";
  o.port = 0;
  o.node_name = "cnd1";
  o.log = nolog;
  if (cnd_new(&node, &loop, &o, err, sizeof err) != 0) {
    fprintf(stderr, "cnd_new: %s\n", err);
    return 1;
  }
  snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)cnd_port(node));
  /* pins: the right key, and an impostor's for the changed-key case */
  conductor_key_read_public(hk, type, sizeof type, b64, sizeof b64, fp,
                            sizeof fp);
  f = fopen(kh, "w");
  fprintf(f, "[127.0.0.1]:%u %s %s\n", (unsigned)cnd_port(node), type, b64);
  fclose(f);
  conductor_key_read_public(other, type, sizeof type, b64, sizeof b64, fp,
                            sizeof fp);
  f = fopen(kh_bad, "w");
  fprintf(f, "[127.0.0.1]:%u %s %s\n", (unsigned)cnd_port(node), type, b64);
  fclose(f);

  rv = svr_test_run("conductor_glue", cases);

  cnd_stop(node);
  uv_run(&loop, UV_RUN_DEFAULT);
  cnd_del(node);
  uv_loop_close(&loop);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) {
    return 1;
  }
  return rv;
}
