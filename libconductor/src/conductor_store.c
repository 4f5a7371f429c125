/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A conductor node's database (SQLite, WAL, synchronous=EXTRA): enrolled
 * router keys, alarm events (deduplicated by router, node, epoch, seq), the
 * active alarm table, monthly entitlement peaks and the connection table.
 * Schema: docs/libconductor.md section 5.  A database from before epochs is
 * migrated when it is opened read-write (migrate_epochs()).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <conductor/conductor.h>

enum {
  ST_ADD_EVENT,
  ST_RAISE,
  ST_CLEAR,
  ST_ENTITLEMENT,
  ST_CONNECTION,
  ST_ENROLL,
  ST_LOOKUP,
  ST_SHELVE,
  ST_UNENROLL,
  ST_ENROLLED,
  ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    "INSERT OR IGNORE INTO alarm_events(router,node,seq,alarm_num,op,severity,"
    "time_ns,source,category,message,received_ns,epoch) "
    "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
    "INSERT INTO alarms(alarm_id,router,node,alarm_num,severity,time_ns,"
    "source,category,message,shelved) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,0) "
    "ON CONFLICT(alarm_id) DO UPDATE SET severity=excluded.severity,"
    "time_ns=excluded.time_ns,source=excluded.source,"
    "category=excluded.category,message=excluded.message",
    "DELETE FROM alarms WHERE alarm_id=?1",
    "INSERT INTO entitlement(router,month,peak_bps,updated_ns) "
    "VALUES(?1,strftime('%Y-%m',?2/1000000000,'unixepoch'),?3,?2) "
    "ON CONFLICT(router,month) DO UPDATE SET "
    "peak_bps=max(peak_bps,excluded.peak_bps),updated_ns=excluded.updated_ns",
    "INSERT INTO connections(router,node,conductor_node,state,since_ns,"
    "last_ka_ns) VALUES(?1,?2,?3,?4,?5,?6) "
    "ON CONFLICT(router,node,conductor_node) DO UPDATE SET "
    "state=excluded.state,since_ns=excluded.since_ns,"
    "last_ka_ns=excluded.last_ka_ns",
    "INSERT INTO routers(key_b64,key_type,name,fingerprint) "
    "VALUES(?1,?2,?3,?4) ON CONFLICT(key_b64) DO UPDATE SET "
    "name=excluded.name,key_type=excluded.key_type,"
    "fingerprint=excluded.fingerprint",
    "SELECT name FROM routers WHERE key_b64=?1",
    "UPDATE alarms SET shelved=?2 WHERE alarm_id=?1",
    "DELETE FROM routers WHERE name=?1",
    "SELECT 1 FROM routers WHERE name=?1 LIMIT 1",
};

/* Every alarm event once per router run: a router node that restarts
 * without a journal numbers its events from 1 again under a new epoch. */
#define ALARM_EVENTS_TABLE(name)                                             \
  "CREATE TABLE IF NOT EXISTS " name "("                                     \
  " router TEXT NOT NULL, node TEXT NOT NULL,"                               \
  " epoch INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL,"                 \
  " alarm_num INTEGER NOT NULL, op INTEGER NOT NULL,"                        \
  " severity INTEGER NOT NULL, time_ns INTEGER NOT NULL,"                    \
  " source TEXT NOT NULL, category TEXT NOT NULL, message TEXT NOT NULL,"    \
  " received_ns INTEGER NOT NULL,"                                           \
  " PRIMARY KEY(router,node,epoch,seq)) WITHOUT ROWID;"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS routers("
    " key_b64 TEXT PRIMARY KEY, key_type TEXT NOT NULL, name TEXT NOT NULL,"
    " fingerprint TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS routers_name ON routers(name);"
    ALARM_EVENTS_TABLE("alarm_events")
    "CREATE TABLE IF NOT EXISTS alarms("
    " alarm_id TEXT PRIMARY KEY, router TEXT NOT NULL, node TEXT NOT NULL,"
    " alarm_num INTEGER NOT NULL, severity INTEGER NOT NULL,"
    " time_ns INTEGER NOT NULL, source TEXT NOT NULL,"
    " category TEXT NOT NULL, message TEXT NOT NULL,"
    " shelved INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS entitlement("
    " router TEXT NOT NULL, month TEXT NOT NULL, peak_bps INTEGER NOT NULL,"
    " updated_ns INTEGER NOT NULL, PRIMARY KEY(router,month));"
    "CREATE TABLE IF NOT EXISTS connections("
    " router TEXT NOT NULL, node TEXT NOT NULL, conductor_node TEXT NOT NULL,"
    " state TEXT NOT NULL, since_ns INTEGER NOT NULL,"
    " last_ka_ns INTEGER NOT NULL,"
    " PRIMARY KEY(router,node,conductor_node));"
    /* rekey (docs/libconductor.md section 8) */
    "CREATE TABLE IF NOT EXISTS security_elements("
    " router_a TEXT NOT NULL, router_b TEXT NOT NULL,"
    " active_index INTEGER NOT NULL DEFAULT 0,"
    " pending_index INTEGER NOT NULL DEFAULT 0,"
    " created_ns INTEGER NOT NULL, PRIMARY KEY(router_a,router_b),"
    " CHECK(router_a < router_b));"
    "CREATE TABLE IF NOT EXISTS security_keys("
    " router_a TEXT NOT NULL, router_b TEXT NOT NULL,"
    " key_index INTEGER NOT NULL, key BLOB NOT NULL,"
    " created_ns INTEGER NOT NULL,"
    " PRIMARY KEY(router_a,router_b,key_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS key_status("
    " router TEXT NOT NULL, node TEXT NOT NULL, peer TEXT NOT NULL,"
    " conductor_node TEXT NOT NULL, rekey_index INTEGER NOT NULL,"
    " last_rekey_ns INTEGER NOT NULL, change_count INTEGER NOT NULL,"
    " error_count INTEGER NOT NULL, last_error TEXT,"
    " updated_ns INTEGER NOT NULL,"
    " PRIMARY KEY(router,node,peer,conductor_node));"
    "CREATE TABLE IF NOT EXISTS key_manager("
    " conductor_node TEXT PRIMARY KEY, interval_ns INTEGER NOT NULL,"
    " next_rekey_ns INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rekey_requests("
    " id INTEGER PRIMARY KEY, router TEXT, requested_ns INTEGER NOT NULL);"
    /* dynamic peer update (docs/libconductor.md section 9) */
    "CREATE TABLE IF NOT EXISTS peer_addresses("
    " router TEXT NOT NULL, node TEXT NOT NULL, neighborhood TEXT NOT NULL,"
    " interface TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL,"
    " updated_ns INTEGER NOT NULL, change_count INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(router,node,neighborhood));"
    "CREATE TABLE IF NOT EXISTS peer_address_pushes("
    " router TEXT NOT NULL, node TEXT NOT NULL, conductor_node TEXT NOT NULL,"
    " peer TEXT NOT NULL, peer_node TEXT NOT NULL,"
    " neighborhood TEXT NOT NULL, address TEXT NOT NULL,"
    " port INTEGER NOT NULL, pushed_ns INTEGER NOT NULL,"
    " PRIMARY KEY(router,node,conductor_node,peer,peer_node,neighborhood));"
    "CREATE TABLE IF NOT EXISTS peer_address_sync("
    " id INTEGER PRIMARY KEY, router TEXT, requested_ns INTEGER NOT NULL);";

struct conductor_store {
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT];
  char err[256];
};

static int db_err(conductor_store *st, const char *what) {
  snprintf(st->err, sizeof st->err, "%s: %s", what,
           st->db ? sqlite3_errmsg(st->db) : "cannot open");
  return CONDUCTOR_ERR_DB;
}

/* One integer from |sql|, or -1. */
static sqlite3_int64 query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s;
  sqlite3_int64 v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
    return -1;
  }
  if (sqlite3_step(s) == SQLITE_ROW) {
    v = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  return v;
}

/* A database created before epochs has alarm_events keyed (router, node,
 * seq).  SQLite cannot change a primary key in place, so the table is
 * rebuilt: a new one with the epoch column (default 0) and the key
 * (router, node, epoch, seq), the old events copied as epoch 0 (what a
 * router without epochs still sends, so its retransmissions of them stay
 * duplicates), the old table dropped, the new one renamed.  Runs inside
 * the caller's transaction: all or nothing. */
static const char migrate_epochs_sql[] =
    "DROP TABLE IF EXISTS alarm_events_v2;"
    ALARM_EVENTS_TABLE("alarm_events_v2")
    "INSERT INTO alarm_events_v2(router,node,epoch,seq,alarm_num,op,"
    "severity,time_ns,source,category,message,received_ns) "
    "SELECT router,node,0,seq,alarm_num,op,severity,time_ns,source,"
    "category,message,received_ns FROM alarm_events;"
    "DROP TABLE alarm_events;"
    "ALTER TABLE alarm_events_v2 RENAME TO alarm_events;";

static int migrate_epochs(conductor_store *st) {
  if (query_int(st->db, "SELECT count(*) FROM sqlite_master WHERE "
                        "type='table' AND name='alarm_events'") != 1 ||
      query_int(st->db, "SELECT count(*) FROM pragma_table_info("
                        "'alarm_events') WHERE name='epoch'") != 0) {
    return 0; /* new database, or already migrated */
  }
  if (sqlite3_exec(st->db, migrate_epochs_sql, NULL, NULL, NULL) !=
      SQLITE_OK) {
    return db_err(st, "migrate alarm_events to epochs");
  }
  return 0;
}

int conductor_store_open(conductor_store **pst, const char *path,
                         int readonly) {
  conductor_store *st;
  int i, flags;
  if (pst == NULL || path == NULL) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  st = calloc(1, sizeof *st);
  if (st == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  *pst = st;
  flags = readonly ? SQLITE_OPEN_READONLY
                   : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK) {
    return db_err(st, path);
  }
  sqlite3_busy_timeout(st->db, 5000);
  if (readonly) {
    return 0;
  }
  /* WAL: readers (show commands) never block the daemon's commits.
   * "An ack means the alarm is on disk" needs at least synchronous=FULL
   * (the WAL is synced at every COMMIT).  Set explicitly, and to EXTRA (3),
   * which SQLite does not default to (its compiled-in default is FULL;
   * Debian's build reads 2 in WAL mode without being asked), so reading it
   * back proves this line ran: the daemon logs it at start and the tests
   * check it.  In WAL mode EXTRA syncs what FULL does;
   * it only adds a directory sync for rollback journals. */
  if (sqlite3_exec(st->db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=EXTRA;", NULL,
                   NULL, NULL) != SQLITE_OK) {
    return db_err(st, "schema");
  }
  /* Schema and migration in one write transaction: another process opening
   * the same file at the same time waits, then finds it done. */
  if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
      SQLITE_OK) {
    return db_err(st, "schema");
  }
  if (migrate_epochs(st) != 0) {
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return CONDUCTOR_ERR_DB;
  }
  if (sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    db_err(st, "schema");
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return CONDUCTOR_ERR_DB;
  }
  for (i = 0; i < ST_COUNT; i++) {
    if (sqlite3_prepare_v2(st->db, stmt_sql[i], -1, &st->st[i], NULL) !=
        SQLITE_OK) {
      return db_err(st, "prepare");
    }
  }
  return 0;
}

void conductor_store_close(conductor_store *st) {
  int i;
  if (st == NULL) {
    return;
  }
  for (i = 0; i < ST_COUNT; i++) {
    sqlite3_finalize(st->st[i]);
  }
  sqlite3_close(st->db);
  free(st);
}

const char *conductor_store_errmsg(const conductor_store *st) {
  return st ? st->err : "no store";
}

void *conductor_store_db(conductor_store *st) { return st->db; }

static int exec(conductor_store *st, const char *sql) {
  if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
    return db_err(st, sql);
  }
  return 0;
}

int conductor_store_begin(conductor_store *st) {
  return exec(st, "BEGIN IMMEDIATE");
}
int conductor_store_commit(conductor_store *st) { return exec(st, "COMMIT"); }
int conductor_store_rollback(conductor_store *st) {
  return exec(st, "ROLLBACK");
}

static sqlite3_stmt *reset(conductor_store *st, int which) {
  sqlite3_stmt *s = st->st[which];
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return s;
}

static int step_done(conductor_store *st, sqlite3_stmt *s, const char *what) {
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    return db_err(st, what);
  }
  return 0;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v) {
  sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_u64(sqlite3_stmt *s, int i, uint64_t v) {
  /* SQLite integers are signed 64-bit; nanosecond Unix times fit until
   * 2262, sequence numbers and rates long before that. */
  sqlite3_bind_int64(s, i, v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v);
}

int conductor_store_add_alarm(conductor_store *st, const char *router,
                              const char *node, const conductor_alarm *a,
                              uint64_t received_ns) {
  return conductor_store_add_alarm2(st, router, node, 0, a, received_ns);
}

int conductor_store_add_alarm2(conductor_store *st, const char *router,
                               const char *node, uint64_t epoch,
                               const conductor_alarm *a,
                               uint64_t received_ns) {
  sqlite3_stmt *s = reset(st, ST_ADD_EVENT);
  char id[2 * CONDUCTOR_NAME_MAX + 16];
  sqlite3_int64 epoch_bits;
  int rv;
  /* An identity, not a quantity: all 64 bits, as SQLite's signed integer
   * (bind_u64 would clamp the upper half onto one value). */
  memcpy(&epoch_bits, &epoch, sizeof epoch_bits);
  bind_text(s, 1, router);
  bind_text(s, 2, node);
  bind_u64(s, 3, a->seq);
  sqlite3_bind_int64(s, 4, a->alarm_num);
  sqlite3_bind_int(s, 5, a->op);
  sqlite3_bind_int(s, 6, a->severity);
  bind_u64(s, 7, a->time_ns);
  bind_text(s, 8, a->source);
  bind_text(s, 9, a->category);
  bind_text(s, 10, a->message);
  bind_u64(s, 11, received_ns);
  sqlite3_bind_int64(s, 12, epoch_bits);
  rv = step_done(st, s, "insert alarm event");
  if (rv != 0) {
    return rv;
  }
  if (sqlite3_changes(st->db) == 0) {
    return 0; /* retransmission of a committed event */
  }
  snprintf(id, sizeof id, "%s.%s:%u", node, router, a->alarm_num);
  if (a->op == CONDUCTOR_ALARM_RAISE) {
    s = reset(st, ST_RAISE);
    bind_text(s, 1, id);
    bind_text(s, 2, router);
    bind_text(s, 3, node);
    sqlite3_bind_int64(s, 4, a->alarm_num);
    sqlite3_bind_int(s, 5, a->severity);
    bind_u64(s, 6, a->time_ns);
    bind_text(s, 7, a->source);
    bind_text(s, 8, a->category);
    bind_text(s, 9, a->message);
  } else {
    s = reset(st, ST_CLEAR);
    bind_text(s, 1, id);
  }
  rv = step_done(st, s, "update active alarms");
  return rv != 0 ? rv : 1;
}

int conductor_store_add_entitlement(conductor_store *st, const char *router,
                                    const char *node, uint64_t time_ns,
                                    uint64_t peak_bps) {
  sqlite3_stmt *s = reset(st, ST_ENTITLEMENT);
  (void)node; /* the entitlement is per router: its nodes share one row */
  bind_text(s, 1, router);
  bind_u64(s, 2, time_ns);
  bind_u64(s, 3, peak_bps);
  return step_done(st, s, "entitlement");
}

int conductor_store_set_connection(conductor_store *st, const char *router,
                                   const char *node,
                                   const char *conductor_node,
                                   const char *state, uint64_t since_ns,
                                   uint64_t last_ka_ns) {
  sqlite3_stmt *s = reset(st, ST_CONNECTION);
  bind_text(s, 1, router);
  bind_text(s, 2, node);
  bind_text(s, 3, conductor_node);
  bind_text(s, 4, state);
  bind_u64(s, 5, since_ns);
  bind_u64(s, 6, last_ka_ns);
  return step_done(st, s, "connection");
}

int conductor_store_enroll(conductor_store *st, const char *router,
                           const char *key_type, const char *key_b64,
                           const char *fingerprint) {
  sqlite3_stmt *s = reset(st, ST_ENROLL);
  bind_text(s, 1, key_b64);
  bind_text(s, 2, key_type);
  bind_text(s, 3, router);
  bind_text(s, 4, fingerprint);
  return step_done(st, s, "enroll");
}

int conductor_store_lookup_key(conductor_store *st, const char *key_b64,
                               char *router, size_t cap) {
  sqlite3_stmt *s = reset(st, ST_LOOKUP);
  int rc;
  bind_text(s, 1, key_b64);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    const unsigned char *n = sqlite3_column_text(s, 0);
    snprintf(router, cap, "%s", n ? (const char *)n : "");
    sqlite3_reset(s);
    return 0;
  }
  sqlite3_reset(s);
  if (rc == SQLITE_DONE) {
    return CONDUCTOR_ERR_NOT_FOUND;
  }
  return db_err(st, "lookup key");
}

int conductor_store_unenroll(conductor_store *st, const char *router,
                             unsigned *removed) {
  sqlite3_stmt *s = reset(st, ST_UNENROLL);
  int rv;
  bind_text(s, 1, router);
  rv = step_done(st, s, "unenroll");
  if (rv != 0) {
    return rv;
  }
  if (removed) {
    *removed = (unsigned)sqlite3_changes(st->db);
  }
  return sqlite3_changes(st->db) == 0 ? CONDUCTOR_ERR_NOT_FOUND : 0;
}

int conductor_store_router_enrolled(conductor_store *st, const char *router) {
  sqlite3_stmt *s = reset(st, ST_ENROLLED);
  int rc;
  bind_text(s, 1, router);
  rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc == SQLITE_ROW) {
    return 1;
  }
  return rc == SQLITE_DONE ? 0 : db_err(st, "enrolled");
}

int conductor_store_data_version(conductor_store *st, int64_t *version) {
  sqlite3_stmt *s;
  int rc;
  if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s, NULL) !=
      SQLITE_OK) {
    return db_err(st, "data_version");
  }
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *version = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  return rc == SQLITE_ROW ? 0 : db_err(st, "data_version");
}

int conductor_store_shelve(conductor_store *st, const char *alarm_id,
                           int shelve) {
  sqlite3_stmt *s = reset(st, ST_SHELVE);
  int rv;
  bind_text(s, 1, alarm_id);
  sqlite3_bind_int(s, 2, shelve ? 1 : 0);
  rv = step_done(st, s, "shelve");
  if (rv != 0) {
    return rv;
  }
  return sqlite3_changes(st->db) == 0 ? CONDUCTOR_ERR_NOT_FOUND : 0;
}
