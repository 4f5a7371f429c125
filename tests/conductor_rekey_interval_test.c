/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The conductor's rekey-interval schedule (issue 15), stepped with literal
 * Unix-ns timestamps through the key manager's clock (ckm_new's |clock|):
 * no sleeps, no sockets.  Two routers rA and rB, one security element
 * rA <-> rB in a fresh SQLite store, one fake connection per router that
 * records the KEYs it is sent and acknowledges them on request.
 *
 *  - no KEY at all before the first interval is over (1 ns before: none);
 *  - at the interval: ADD of key 1 to both, ACTIVATE once both acked;
 *  - the next rekey is due one interval after the previous due time (not
 *    after the tick that started it, which may run late, nor after its
 *    activation), and brings ADD 2, ACTIVATE 2 and then REMOVE 1 once both
 *    send with 2;
 *  - key-status rows carry the clock's time as last_rekey_ns;
 *  - the schedule is stored: a key manager made again before the next due
 *    time keeps it (no rekey at start), one made after a missed due time
 *    rekeys at its first tick;
 *  - a key manager made with a different interval starts a new schedule;
 *  - rekey-interval never (0): no KEY whatever the clock says.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conductor_glue.h"
#include "svr_test.h"

#define SEC 1000000000ULL
#define T0 1800000000000000000ULL /* 2027-01-15T08:00:00Z */
#define IVL (60 * SEC)

typedef struct fake_link {
  const char *router;
  conductor_msg sent[32];
  size_t nsent;
} fake_link;

static fake_link la = {"rA", {{0}}, 0}, lb = {"rB", {{0}}, 0};
static uint64_t clock_now;
static char dir[64], dbpath[128];

static uint64_t test_clock(void *ud) {
  (void)ud;
  return clock_now;
}

static void on_send(void *link, const conductor_msg *m, void *ud) {
  fake_link *l = link;
  (void)ud;
  if (l->nsent < sizeof l->sent / sizeof l->sent[0]) {
    l->sent[l->nsent++] = *m;
  }
}

static void nolog(int level, const char *text, void *ud) {
  (void)level;
  (void)text;
  (void)ud;
}

static conductor_store *open_store(void) {
  conductor_store *st = NULL;
  CU_ASSERT_FATAL(conductor_store_open(&st, dbpath, 0) == 0);
  return st;
}

static void fresh_store(void) {
  conductor_store *st;
  char *err = NULL;
  snprintf(dir, sizeof dir, "/tmp/ckm_interval.XXXXXX");
  CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
  snprintf(dbpath, sizeof dbpath, "%s/conductor.db", dir);
  st = open_store();
  CU_ASSERT_FATAL(sqlite3_exec(conductor_store_db(st),
                               "INSERT INTO security_elements(router_a, "
                               "router_b, created_ns) VALUES('rA','rB',1)",
                               NULL, NULL, &err) == SQLITE_OK);
  conductor_store_close(st);
}

static void drop_store(void) {
  char p[200];
  const char *sfx[] = {"", "-wal", "-shm", "-journal"};
  size_t i;
  for (i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s%s", dbpath, sfx[i]);
    unlink(p);
  }
  rmdir(dir);
}

static void reset_links(void) {
  la.nsent = 0;
  lb.nsent = 0;
}

/* The |i|th KEY sent on |l| is op |op| of |index|. */
static int sent_is(const fake_link *l, size_t i, uint8_t op, uint32_t index) {
  return i < l->nsent && l->sent[i].type == CONDUCTOR_MSG_KEY &&
         l->sent[i].key_op == op && l->sent[i].key_index == index;
}

static void ack(ckm *k, fake_link *l, uint8_t op, uint32_t index) {
  conductor_msg m;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_KEY_ACK;
  snprintf(m.peer, sizeof m.peer, "%s", l == &la ? "rB" : "rA");
  m.key_op = op;
  m.key_index = index;
  ckm_on_ack(k, l, &m);
}

static ckm *make(conductor_store *st, uint64_t interval) {
  ckm *k = NULL;
  CU_ASSERT_FATAL(ckm_new(&k, st, "c1", interval, on_send, nolog, NULL,
                          test_clock, NULL) == 0);
  ckm_link_up(k, &la, "rA", "n1", 5);
  ckm_link_up(k, &lb, "rB", "n1", 5);
  ckm_flush(k);
  return k;
}

/* The status row rA -> rB: its rekey index and last_rekey_ns. */
static void status_of(conductor_store *st, int64_t *index, int64_t *last) {
  sqlite3_stmt *s = NULL;
  *index = -1;
  *last = -1;
  CU_ASSERT_FATAL(sqlite3_prepare_v2(conductor_store_db(st),
                                     "SELECT rekey_index, last_rekey_ns FROM "
                                     "key_status WHERE router='rA' AND "
                                     "peer='rB'",
                                     -1, &s, NULL) == SQLITE_OK);
  if (sqlite3_step(s) == SQLITE_ROW) {
    *index = sqlite3_column_int64(s, 0);
    *last = sqlite3_column_int64(s, 1);
  }
  sqlite3_finalize(s);
}

static void test_schedule(void) {
  conductor_store *st;
  ckm *k;
  int64_t idx, last;
  fresh_store();
  st = open_store();
  reset_links();
  clock_now = T0;
  k = make(st, IVL);
  CU_ASSERT_EQUAL(ckm_next_rekey(k), T0 + IVL);
  /* no key yet: nothing to catch up, nothing before the interval */
  CU_ASSERT_EQUAL(la.nsent, 0);
  CU_ASSERT_EQUAL(lb.nsent, 0);
  clock_now = T0 + IVL - 1;
  ckm_tick(k);
  ckm_flush(k);
  CU_ASSERT_EQUAL(la.nsent, 0);
  CU_ASSERT_EQUAL(lb.nsent, 0);

  /* due: key 1 to both; activated once both acked */
  clock_now = T0 + IVL;
  ckm_tick(k);
  ckm_flush(k);
  CU_ASSERT_EQUAL(la.nsent, 1);
  CU_ASSERT_EQUAL(lb.nsent, 1);
  CU_ASSERT(sent_is(&la, 0, CONDUCTOR_KEY_ADD, 1));
  CU_ASSERT(sent_is(&lb, 0, CONDUCTOR_KEY_ADD, 1));
  CU_ASSERT_EQUAL(ckm_next_rekey(k), T0 + 2 * IVL);
  clock_now = T0 + IVL + 2 * SEC; /* the acks come 2 s later */
  ack(k, &la, CONDUCTOR_KEY_ADD, 1);
  ckm_flush(k);
  CU_ASSERT_EQUAL(la.nsent, 1); /* rB has not acked: no activate yet */
  ack(k, &lb, CONDUCTOR_KEY_ADD, 1);
  ckm_flush(k);
  CU_ASSERT(sent_is(&la, 1, CONDUCTOR_KEY_ACTIVATE, 1));
  CU_ASSERT(sent_is(&lb, 1, CONDUCTOR_KEY_ACTIVATE, 1));
  ack(k, &la, CONDUCTOR_KEY_ACTIVATE, 1);
  ack(k, &lb, CONDUCTOR_KEY_ACTIVATE, 1);
  ckm_flush(k);
  status_of(st, &idx, &last);
  CU_ASSERT_EQUAL(idx, 1);
  CU_ASSERT_EQUAL(last, (int64_t)(T0 + IVL + 2 * SEC));
  CU_ASSERT_EQUAL(la.nsent, 2); /* nothing to remove after the first key */

  /* the second rekey is due one interval after the first's due time */
  clock_now = T0 + 2 * IVL - 1;
  ckm_tick(k);
  ckm_flush(k);
  CU_ASSERT_EQUAL(la.nsent, 2);
  clock_now = T0 + 2 * IVL + 500000000ULL; /* a tick half a second late */
  ckm_tick(k);
  ckm_flush(k);
  CU_ASSERT(sent_is(&la, 2, CONDUCTOR_KEY_ADD, 2));
  CU_ASSERT(sent_is(&lb, 2, CONDUCTOR_KEY_ADD, 2));
  CU_ASSERT_EQUAL(ckm_next_rekey(k), T0 + 3 * IVL);
  ack(k, &la, CONDUCTOR_KEY_ADD, 2);
  ack(k, &lb, CONDUCTOR_KEY_ADD, 2);
  ckm_flush(k);
  CU_ASSERT(sent_is(&la, 3, CONDUCTOR_KEY_ACTIVATE, 2));
  ack(k, &la, CONDUCTOR_KEY_ACTIVATE, 2);
  ack(k, &lb, CONDUCTOR_KEY_ACTIVATE, 2);
  ckm_flush(k);
  CU_ASSERT(sent_is(&la, 4, CONDUCTOR_KEY_REMOVE, 1));
  CU_ASSERT(sent_is(&lb, 4, CONDUCTOR_KEY_REMOVE, 1));
  status_of(st, &idx, &last);
  CU_ASSERT_EQUAL(idx, 2);
  CU_ASSERT_EQUAL(last, (int64_t)(T0 + 2 * IVL + 500000000ULL));
  ckm_del(k);

  /* made again before the due time: the stored schedule holds */
  reset_links();
  clock_now = T0 + 3 * IVL - 10 * SEC;
  k = make(st, IVL);
  CU_ASSERT_EQUAL(ckm_next_rekey(k), T0 + 3 * IVL);
  /* the catch-up of a (re)connecting node: active key 2, add + activate */
  CU_ASSERT(sent_is(&la, 0, CONDUCTOR_KEY_ADD, 2));
  CU_ASSERT(sent_is(&la, 1, CONDUCTOR_KEY_ACTIVATE, 2));
  CU_ASSERT_EQUAL(la.nsent, 2);
  ckm_tick(k);
  ckm_flush(k);
  CU_ASSERT_EQUAL(la.nsent, 2); /* no rekey at start */
  ckm_del(k);

  /* made again after a missed due time: rekeys at its first tick */
  reset_links();
  clock_now = T0 + 10 * IVL;
  k = make(st, IVL);
  CU_ASSERT_EQUAL(la.nsent, 2);
  ckm_tick(k);
  ckm_flush(k);
  CU_ASSERT(sent_is(&la, 2, CONDUCTOR_KEY_ADD, 3));
  CU_ASSERT(sent_is(&lb, 2, CONDUCTOR_KEY_ADD, 3));
  CU_ASSERT_EQUAL(ckm_next_rekey(k), T0 + 11 * IVL);
  ckm_del(k);

  /* another interval: a new schedule from now */
  reset_links();
  clock_now = T0 + 10 * IVL + SEC;
  k = make(st, 2 * IVL);
  CU_ASSERT_EQUAL(ckm_next_rekey(k), T0 + 12 * IVL + SEC);
  ckm_del(k);
  conductor_store_close(st);
  drop_store();
}

static void test_never(void) {
  conductor_store *st;
  ckm *k;
  fresh_store();
  st = open_store();
  reset_links();
  clock_now = T0;
  k = make(st, 0);
  CU_ASSERT_EQUAL(ckm_next_rekey(k), 0);
  clock_now = T0 + 1000 * IVL;
  ckm_tick(k);
  ckm_flush(k);
  CU_ASSERT_EQUAL(la.nsent, 0);
  CU_ASSERT_EQUAL(lb.nsent, 0);
  ckm_del(k);
  conductor_store_close(st);
  drop_store();
}

int main(void) {
  static const svr_test_case cases[] = {
      {"rekey-interval schedule, stepped clock", test_schedule},
      {"rekey-interval never", test_never},
      {NULL, NULL}};
  return svr_test_run("conductor_rekey_interval", cases);
}
