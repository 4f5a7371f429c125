/* SPDX-License-Identifier: BSD-2-Clause */
/* libconductor SQLite store: dedup by (router, node, epoch, seq), active
 * alarms, monthly entitlement peak, enrolment, shelving, WAL mode and
 * synchronous=EXTRA; the migration of a database of the schema before
 * epochs; the duplicate filter in front of the store never acknowledges
 * an event that has no row. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include <conductor/conductor.h>

#include "svr_test.h"

static char dir[64];
static char path[128];
static char path_old[128];

static int64_t q1(conductor_store *st, const char *sql) {
  sqlite3_stmt *s;
  int64_t v = -1;
  if (sqlite3_prepare_v2(conductor_store_db(st), sql, -1, &s, NULL) !=
      SQLITE_OK) {
    return -2;
  }
  if (sqlite3_step(s) == SQLITE_ROW) {
    v = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  return v;
}

static conductor_alarm mk(uint64_t seq, uint32_t num, uint8_t op) {
  conductor_alarm a;
  memset(&a, 0, sizeof a);
  a.seq = seq;
  a.alarm_num = num;
  a.op = op;
  a.severity = CONDUCTOR_SEV_CRITICAL;
  a.time_ns = 1700000000000000000ULL;
  strcpy(a.source, "node1");
  strcpy(a.category, "peer");
  strcpy(a.message, "Peer x is not reachable");
  return a;
}

static void test_alarms(void) {
  conductor_store *st = NULL;
  conductor_alarm a;
  CU_ASSERT_FATAL(conductor_store_open(&st, path, 0) == 0);
  CU_ASSERT_EQUAL(conductor_store_begin(st), 0);
  a = mk(1, 4, CONDUCTOR_ALARM_RAISE);
  CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "r1", "n1", &a, 5), 1);
  CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "r1", "n1", &a, 6), 0);
  CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "r1", "n2", &a, 6), 1);
  a = mk(2, 5, CONDUCTOR_ALARM_RAISE);
  CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "r1", "n1", &a, 7), 1);
  CU_ASSERT_EQUAL(conductor_store_commit(st), 0);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events"), 3);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarms"), 3);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarms WHERE "
                         "alarm_id='n1.r1:4'"), 1);
  /* clear 4 on n1 */
  a = mk(3, 4, CONDUCTOR_ALARM_CLEAR);
  CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "r1", "n1", &a, 8), 1);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarms"), 2);
  /* shelving */
  CU_ASSERT_EQUAL(conductor_store_shelve(st, "n1.r1:5", 1), 0);
  CU_ASSERT_EQUAL(conductor_store_shelve(st, "n1.r1:4", 1),
                  CONDUCTOR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarms WHERE shelved=1"), 1);
  conductor_store_close(st);
}

static void test_wal_and_persist(void) {
  conductor_store *st = NULL;
  sqlite3_stmt *s;
  const unsigned char *mode;
  CU_ASSERT_FATAL(conductor_store_open(&st, path, 0) == 0);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events"), 4);
  CU_ASSERT_FATAL(sqlite3_prepare_v2(conductor_store_db(st),
                                     "PRAGMA journal_mode", -1, &s,
                                     NULL) == SQLITE_OK);
  CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_ROW);
  mode = sqlite3_column_text(s, 0);
  CU_ASSERT_STRING_EQUAL((const char *)mode, "wal");
  sqlite3_finalize(s);
  conductor_store_close(st);
}

/* The durability promise (an ack means the alarm is on disk) rests on two
 * settings of the daemon's own connection.  synchronous must read 3
 * (EXTRA), which SQLite does not default to (Debian's build reads 2, FULL,
 * in WAL mode without being asked): this fails if the store stops setting
 * it. */
static void test_durability_pragmas(void) {
  conductor_store *st = NULL;
  sqlite3_stmt *s;
  CU_ASSERT_FATAL(conductor_store_open(&st, path, 0) == 0);
  CU_ASSERT_EQUAL(q1(st, "PRAGMA synchronous"), 3);
  CU_ASSERT_FATAL(sqlite3_prepare_v2(conductor_store_db(st),
                                     "PRAGMA journal_mode", -1, &s,
                                     NULL) == SQLITE_OK);
  CU_ASSERT_EQUAL_FATAL(sqlite3_step(s), SQLITE_ROW);
  CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(s, 0), "wal");
  sqlite3_finalize(s);
  conductor_store_close(st);
}

static void test_entitlement_and_enroll(void) {
  conductor_store *st = NULL;
  char name[CONDUCTOR_NAME_MAX];
  /* 2023-11-14 and 2023-12-01 (UTC) */
  const uint64_t nov = 1700000000ULL * 1000000000ULL;
  const uint64_t dec = 1701388800ULL * 1000000000ULL;
  CU_ASSERT_FATAL(conductor_store_open(&st, path, 0) == 0);
  CU_ASSERT_EQUAL(conductor_store_add_entitlement(st, "r1", "n1", nov,
                                                  11940000), 0);
  CU_ASSERT_EQUAL(conductor_store_add_entitlement(st, "r1", "n2", nov,
                                                  9000000), 0);
  CU_ASSERT_EQUAL(conductor_store_add_entitlement(st, "r1", "n1", dec, 5), 0);
  CU_ASSERT_EQUAL(q1(st, "SELECT peak_bps FROM entitlement WHERE "
                         "router='r1' AND month='2023-11'"), 11940000);
  CU_ASSERT_EQUAL(q1(st, "SELECT peak_bps FROM entitlement WHERE "
                         "router='r1' AND month='2023-12'"), 5);
  CU_ASSERT_EQUAL(conductor_store_lookup_key(st, "AAAAkey", name, sizeof name),
                  CONDUCTOR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(conductor_store_enroll(st, "r1", "ssh-ed25519", "AAAAkey",
                                         "SHA256:x"), 0);
  CU_ASSERT_EQUAL(conductor_store_lookup_key(st, "AAAAkey", name, sizeof name),
                  0);
  CU_ASSERT_STRING_EQUAL(name, "r1");
  CU_ASSERT_EQUAL(conductor_store_set_connection(st, "r1", "n1", "c1",
                                                 "connected", 1, 2), 0);
  CU_ASSERT_EQUAL(conductor_store_set_connection(st, "r1", "n1", "c1",
                                                 "disconnected", 3, 2), 0);
  CU_ASSERT_EQUAL(q1(st, "SELECT since_ns FROM connections"), 3);
  conductor_store_close(st);
}

/* Revocation: unenroll removes every key of a router; the daemon sees the
 * write of another process through data_version. */
static void test_unenroll(void) {
  conductor_store *daemon = NULL, *cli = NULL;
  char name[CONDUCTOR_NAME_MAX];
  unsigned removed = 99;
  int64_t v0, v1, v2;
  CU_ASSERT_FATAL(conductor_store_open(&daemon, path, 0) == 0);
  CU_ASSERT_FATAL(conductor_store_open(&cli, path, 0) == 0);
  CU_ASSERT_EQUAL(conductor_store_enroll(cli, "r9", "ssh-ed25519", "AAAAk1",
                                         "SHA256:1"), 0);
  CU_ASSERT_EQUAL(conductor_store_enroll(cli, "r9", "ssh-ed25519", "AAAAk2",
                                         "SHA256:2"), 0);
  CU_ASSERT_EQUAL(conductor_store_enroll(cli, "r8", "ssh-ed25519", "AAAAk3",
                                         "SHA256:3"), 0);
  CU_ASSERT_EQUAL(conductor_store_router_enrolled(daemon, "r9"), 1);
  CU_ASSERT_EQUAL(conductor_store_data_version(daemon, &v0), 0);
  CU_ASSERT_EQUAL(conductor_store_data_version(daemon, &v1), 0);
  CU_ASSERT_EQUAL(v0, v1); /* nobody wrote */
  CU_ASSERT_EQUAL(conductor_store_unenroll(cli, "r9", &removed), 0);
  CU_ASSERT_EQUAL(removed, 2);
  CU_ASSERT_EQUAL(conductor_store_data_version(daemon, &v2), 0);
  CU_ASSERT_NOT_EQUAL(v2, v1); /* the other connection wrote */
  CU_ASSERT_EQUAL(conductor_store_router_enrolled(daemon, "r9"), 0);
  CU_ASSERT_EQUAL(conductor_store_router_enrolled(daemon, "r8"), 1);
  CU_ASSERT_EQUAL(conductor_store_lookup_key(daemon, "AAAAk1", name,
                                             sizeof name),
                  CONDUCTOR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(conductor_store_unenroll(cli, "r9", &removed),
                  CONDUCTOR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(removed, 0);
  conductor_store_close(cli);
  conductor_store_close(daemon);
}

/* What the conductor node does with an ALARM (cli/glue/conductor_node.c):
 * a seq the connection's filter knows committed is acknowledged at once;
 * anything else is stored (INSERT OR IGNORE), committed, then marked and
 * acknowledged.  Returns the number of acks (0 or 1). */
static int conductor_receive(conductor_store *st, conductor_dedup *d,
                             const char *router, const char *node,
                             const conductor_alarm *a) {
  if (conductor_dedup_seen(d, a->seq)) {
    return 1;
  }
  if (conductor_store_begin(st) != 0 ||
      conductor_store_add_alarm(st, router, node, a, 1) < 0 ||
      conductor_store_commit(st) != 0) {
    return 0;
  }
  conductor_dedup_mark(d, a->seq);
  return 1;
}

/* Issue 14, item 2: seq 5000, then 1..10 (a gap larger than the window):
 * 11 acks must mean 11 rows.  A retransmission of any of them is acked
 * again and adds no row (it is stored). */
static void test_gap_acks_mean_rows(void) {
  conductor_store *st = NULL;
  conductor_dedup d;
  conductor_alarm a;
  int acks = 0;
  uint64_t s;
  CU_ASSERT_FATAL(conductor_store_open(&st, path, 0) == 0);
  conductor_dedup_init(&d);
  a = mk(5000, 5000, CONDUCTOR_ALARM_RAISE);
  acks += conductor_receive(st, &d, "rgap", "n1", &a);
  for (s = 1; s <= 10; s++) {
    a = mk(s, (uint32_t)s, CONDUCTOR_ALARM_RAISE);
    acks += conductor_receive(st, &d, "rgap", "n1", &a);
  }
  CU_ASSERT_EQUAL(acks, 11);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events WHERE "
                         "router='rgap'"), 11);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarms WHERE router='rgap'"),
                  11);
  /* retransmissions of all 11: acked, no new row */
  for (s = 1; s <= 10; s++) {
    a = mk(s, (uint32_t)s, CONDUCTOR_ALARM_RAISE);
    acks += conductor_receive(st, &d, "rgap", "n1", &a);
  }
  a = mk(5000, 5000, CONDUCTOR_ALARM_RAISE);
  acks += conductor_receive(st, &d, "rgap", "n1", &a);
  CU_ASSERT_EQUAL(acks, 22);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events WHERE "
                         "router='rgap'"), 11);
  conductor_store_close(st);
}

/* Issue 14, item 1: a router run is (router, node, epoch).  A restarted
 * router without a journal has a new epoch and starts at seq 1 again: its
 * events are new, while a replay in the same epoch is a duplicate. */
static void test_epochs(void) {
  conductor_store *st = NULL;
  conductor_alarm a, b;
  const uint64_t e1 = 0x1111, e2 = 0x2222;
  const uint64_t top = 0x8000000000000001ULL; /* above INT64_MAX */
  CU_ASSERT_FATAL(conductor_store_open(&st, path, 0) == 0);
  a = mk(1, 1, CONDUCTOR_ALARM_RAISE);
  strcpy(a.message, "run one");
  b = mk(1, 2, CONDUCTOR_ALARM_RAISE);
  strcpy(b.message, "run two");
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", e1, &a, 1), 1);
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", e1, &a, 2), 0);
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", e2, &b, 3), 1);
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", e2, &b, 4), 0);
  /* every bit of the epoch counts, also above INT64_MAX */
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", top, &b, 5), 1);
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", INT64_MAX, &b,
                                             5), 1);
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", UINT64_MAX, &b,
                                             5), 1);
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", top, &b, 6), 0);
  /* the old call is epoch 0: a router that sends none */
  CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "rep", "n1", &a, 7), 1);
  CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rep", "n1", 0, &a, 8), 0);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events WHERE "
                         "router='rep'"), 6);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(DISTINCT epoch) FROM alarm_events "
                         "WHERE router='rep'"), 6);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events WHERE "
                         "router='rep' AND message='run one'"), 2);
  CU_ASSERT_EQUAL(q1(st, "SELECT epoch FROM alarm_events WHERE router='rep' "
                         "AND message='run one' AND epoch!=0"), 0x1111);
  /* the active alarms of both runs are there (their numbers differ) */
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarms WHERE router='rep'"),
                  2);
  conductor_store_close(st);
}

/* A database created before epochs: alarm_events keyed (router, node, seq).
 * Opening it read-write migrates it in one transaction: the rows stay (as
 * epoch 0), the key becomes (router, node, epoch, seq). */
static const char old_schema[] =
    "CREATE TABLE alarm_events("
    " router TEXT NOT NULL, node TEXT NOT NULL, seq INTEGER NOT NULL,"
    " alarm_num INTEGER NOT NULL, op INTEGER NOT NULL,"
    " severity INTEGER NOT NULL, time_ns INTEGER NOT NULL,"
    " source TEXT NOT NULL, category TEXT NOT NULL, message TEXT NOT NULL,"
    " received_ns INTEGER NOT NULL,"
    " PRIMARY KEY(router,node,seq)) WITHOUT ROWID;"
    "CREATE TABLE alarms("
    " alarm_id TEXT PRIMARY KEY, router TEXT NOT NULL, node TEXT NOT NULL,"
    " alarm_num INTEGER NOT NULL, severity INTEGER NOT NULL,"
    " time_ns INTEGER NOT NULL, source TEXT NOT NULL,"
    " category TEXT NOT NULL, message TEXT NOT NULL,"
    " shelved INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO alarm_events VALUES('rold','n1',1,1,1,2,100,'n1','peer',"
    " 'old one',101);"
    "INSERT INTO alarm_events VALUES('rold','n1',2,2,1,3,200,'n1','peer',"
    " 'old two',201);"
    "INSERT INTO alarms VALUES('n1.rold:2','rold','n1',2,3,200,'n1','peer',"
    " 'old two',0);";

static void test_migrate_old_schema(void) {
  conductor_store *st = NULL;
  sqlite3 *h = NULL;
  conductor_alarm a;
  int pass;
  CU_ASSERT_FATAL(sqlite3_open(path_old, &h) == SQLITE_OK);
  CU_ASSERT_FATAL(sqlite3_exec(h, "PRAGMA journal_mode=WAL;", NULL, NULL,
                               NULL) == SQLITE_OK);
  CU_ASSERT_FATAL(sqlite3_exec(h, old_schema, NULL, NULL, NULL) ==
                  SQLITE_OK);
  sqlite3_close(h);
  /* a read-only open (show commands) neither migrates nor fails */
  CU_ASSERT_FATAL(conductor_store_open(&st, path_old, 1) == 0);
  CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events"), 2);
  conductor_store_close(st);
  st = NULL;
  for (pass = 0; pass < 2; pass++) { /* the second open finds it migrated */
    CU_ASSERT_FATAL(conductor_store_open(&st, path_old, 0) == 0);
    CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM pragma_table_info("
                           "'alarm_events') WHERE name='epoch'"), 1);
    CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM pragma_table_info("
                           "'alarm_events') WHERE pk>0"), 4);
    CU_ASSERT_EQUAL(q1(st, "SELECT pk FROM pragma_table_info("
                           "'alarm_events') WHERE name='epoch'"), 3);
    CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events WHERE "
                           "router='rold' AND epoch=0 AND ((seq=1 AND "
                           "message='old one' AND received_ns=101) OR "
                           "(seq=2 AND message='old two' AND "
                           "received_ns=201))"), 2);
    CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarm_events"),
                    pass ? 4 : 2);
    CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM sqlite_master WHERE "
                           "name LIKE 'alarm_events_%'"), 0);
    CU_ASSERT_EQUAL(q1(st, "SELECT count(*) FROM alarms"), pass ? 3 : 1);
    if (pass == 0) {
      /* seq 1 of the old rows is still a duplicate for epoch 0 (a router
       * without epochs), and new for another epoch */
      a = mk(1, 1, CONDUCTOR_ALARM_RAISE);
      CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "rold", "n1", &a, 300),
                      0);
      a = mk(3, 3, CONDUCTOR_ALARM_RAISE);
      strcpy(a.message, "old three");
      CU_ASSERT_EQUAL(conductor_store_add_alarm(st, "rold", "n1", &a, 300),
                      1);
      a = mk(1, 9, CONDUCTOR_ALARM_RAISE);
      CU_ASSERT_EQUAL(conductor_store_add_alarm2(st, "rold", "n1", 42, &a,
                                                 300), 1);
    }
    CU_ASSERT_EQUAL(q1(st, "PRAGMA synchronous"), 3);
    conductor_store_close(st);
    st = NULL;
  }
}

int main(void) {
  static const svr_test_case cases[] = {
      {"alarms", test_alarms},
      {"wal_and_persist", test_wal_and_persist},
      {"durability_pragmas", test_durability_pragmas},
      {"entitlement_and_enroll", test_entitlement_and_enroll},
      {"unenroll", test_unenroll},
      {"gap_acks_mean_rows", test_gap_acks_mean_rows},
      {"epochs", test_epochs},
      {"migrate_old_schema", test_migrate_old_schema},
      {NULL, NULL}};
  int rv;
  snprintf(dir, sizeof dir, "/tmp/conductor_store_test.XXXXXX");
  if (mkdtemp(dir) == NULL) {
    return 1;
  }
  snprintf(path, sizeof path, "%s/c.db", dir);
  snprintf(path_old, sizeof path_old, "%s/old.db", dir);
  rv = svr_test_run("conductor_store", cases);
  {
    static const char *const sfx[] = {"", "-wal", "-shm"};
    char p[160];
    int i;
    for (i = 0; i < 3; i++) {
      snprintf(p, sizeof p, "%s%s", path_old, sfx[i]);
      unlink(p);
    }
  }
  unlink(path);
  snprintf(path, sizeof path, "%s/c.db-wal", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/c.db-shm", dir);
  unlink(path);
  rmdir(dir);
  return rv;
}
