/* libconductor SQLite store: dedup by (router, node, seq), active alarms,
 * monthly entitlement peak, enrolment, shelving, WAL mode and
 * synchronous=EXTRA. */
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

int main(void) {
  static const svr_test_case cases[] = {
      {"alarms", test_alarms},
      {"wal_and_persist", test_wal_and_persist},
      {"durability_pragmas", test_durability_pragmas},
      {"entitlement_and_enroll", test_entitlement_and_enroll},
      {"unenroll", test_unenroll},
      {NULL, NULL}};
  int rv;
  snprintf(dir, sizeof dir, "/tmp/conductor_store_test.XXXXXX");
  if (mkdtemp(dir) == NULL) {
    return 1;
  }
  snprintf(path, sizeof path, "%s/c.db", dir);
  rv = svr_test_run("conductor_store", cases);
  unlink(path);
  snprintf(path, sizeof path, "%s/c.db-wal", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/c.db-shm", dir);
  unlink(path);
  rmdir(dir);
  return rv;
}
