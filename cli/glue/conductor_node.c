/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conductor node glue: libuv + libconductor transport + store.
 *
 * Frames from routers are handled as they arrive; alarms and entitlement
 * reports go into a batch that a uv_check handle commits once per loop
 * iteration (one SQLite transaction), and only then are the acks sent.  A
 * 1-second tick runs the SSH keepalives of authenticated connections
 * (keepalive@openssh.com when nothing arrived for ka_interval; closed after
 * ka_max of them went unanswered), flushes the connection table and runs
 * the link check to the other conductor node.  For tests, the process can
 * SIGKILL itself at a chosen insert or COMMIT of a batch (fault_kind).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conductor_glue.h"

int cglue_name_ok(const char *s) {
  size_t n = 0;
  for (; s[n]; n++) {
    char ch = s[n];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')) {
      return 0;
    }
  }
  return n >= 1 && n < CONDUCTOR_NAME_MAX;
}

/* Length of the valid UTF-8 sequence at |p| (2-4), or 0. */
static size_t utf8_seq(const unsigned char *p) {
  uint32_t cp;
  size_t n, i;
  if (p[0] >= 0xc2 && p[0] <= 0xdf) {
    n = 2;
    cp = p[0] & 0x1fu;
  } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
    n = 3;
    cp = p[0] & 0x0fu;
  } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
    n = 4;
    cp = p[0] & 0x07u;
  } else {
    return 0;
  }
  for (i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80) {
      return 0; /* also stops at the NUL */
    }
    cp = (cp << 6) | (p[i] & 0x3fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f)) {
    return 0; /* overlong, surrogate, out of range, or a C1 control */
  }
  return n;
}

size_t cglue_escape(char *out, size_t cap, const char *in) {
  const unsigned char *p = (const unsigned char *)in;
  size_t o = 0;
  if (cap == 0) {
    return 0;
  }
  while (*p) {
    size_t n = 1;
    char tmp[8];
    const char *src = tmp;
    if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
      src = (const char *)p;
    } else if (*p == '\\') {
      memcpy(tmp, "\\\\", 2);
      n = 2;
    } else if (*p >= 0x80 && (n = utf8_seq(p)) != 0) {
      src = (const char *)p;
    } else {
      snprintf(tmp, sizeof tmp, "\\x%02x", *p);
      n = 4;
    }
    if (o + n >= cap) {
      break;
    }
    memcpy(out + o, src, n);
    o += n;
    p += (src == (const char *)p) ? n : 1;
  }
  out[o] = '\0';
  return o;
}

uint64_t cglue_unix_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A log line that may repeat at attack rates: at most one per
 * RLOG_INTERVAL_NS, and the next one says how many were left out. */
typedef struct rlog {
  uint64_t window_ns; /* start of the current 10 s window */
  uint64_t suppressed;
  unsigned in_window; /* lines written in it */
  unsigned burst;     /* lines allowed per window; 0 means 1 */
  int used;
} rlog;

#define RLOG_INTERVAL_NS (10ULL * 1000000000ULL)

/* 1 if a line may be written now; |*left_out| gets the number of lines
 * suppressed since the previous one. */
static int rlog_take(rlog *r, uint64_t now, uint64_t *left_out) {
  unsigned burst = r->burst ? r->burst : 1;
  if (!r->used || now - r->window_ns >= RLOG_INTERVAL_NS) {
    r->used = 1;
    r->window_ns = now;
    r->in_window = 0;
  }
  if (r->in_window >= burst) {
    r->suppressed++;
    return 0;
  }
  r->in_window++;
  *left_out = r->suppressed;
  r->suppressed = 0;
  return 1;
}

typedef struct dconn dconn;

struct dconn {
  uv_poll_t poll;
  cnd *d;
  conductor_sconn *sc; /* NULL once closed */
  int refs;            /* 1 while open + one per batch item */
  int hello_done;
  int authed;          /* the SSH key was accepted (counted in n_unauth before) */
  dconn *unext, *uprev; /* the list of unauthenticated ones, while !authed */
  int replaced;        /* a newer connection of the same node took over */
  int dirty;           /* connection row needs writing */
  int poll_events;
  int kill_sendbuf;    /* administration relay overran the send buffer */
  int repo_dirty;      /* a repository check to write (repo_status) */
  conductor_admin *repo; /* the router's last REPO_STATUS probe, or NULL */
  uint64_t repo_rx_ns, repo_probes;
  uint16_t version;    /* IPC version chosen in HELLO_ACK */
  char router[CONDUCTOR_NAME_MAX];
  char node[CONDUCTOR_NAME_MAX];
  uint64_t epoch;      /* the router run's identity, from HELLO (0: none) */
  uint64_t since_ns;   /* Unix */
  uint64_t last_ka_ns; /* Unix, last keepalive from the router */
  uint64_t last_rx_mono;
  uint64_t accepted_mono;
  conductor_keepalive ka; /* SSH keepalives, once authenticated */
  uint64_t rx_pkts;       /* SSH packets seen at the last tick */
  int ka_on;
  uint64_t frames_refused; /* by this connection, logged or not */
  rlog rl_frames;
  conductor_dedup dedup;
  dconn *prev, *next;
};

typedef struct batch_item {
  dconn *c;
  int kind; /* CONDUCTOR_MSG_ALARM or CONDUCTOR_MSG_ENTITLEMENT */
  uint64_t seq;
  uint64_t rx_mono;
  uint64_t peak_bps;
  uint64_t time_ns;
  conductor_alarm alarm;
} batch_item;

/* A connection-state change to write: kept apart from dconn because the
 * row must still be written after the dconn is gone. */
typedef struct conn_row {
  char router[CONDUCTOR_NAME_MAX], node[CONDUCTOR_NAME_MAX];
  char state[16];
  uint64_t since_ns, last_ka_ns;
  int raise; /* 1 raise "No connectivity", 2 clear it, 0 nothing */
} conn_row;

struct cnd {
  uv_loop_t *loop;
  cnd_opts o;
  char node_name[CONDUCTOR_NAME_MAX];
  conductor_store *store;
  conductor_server *srv;
  ckm *keys; /* security elements and their keys (conductor_keys.c) */
  cdpu *dpu; /* dynamic peer update (conductor_dpu.c) */
  cadm *adm; /* administration relay (conductor_admin.c) */
  casrv *assets; /* asset channel on 4505/4506 (conductor_asset_srv.c) */
  uv_poll_t listen_poll;
  uv_timer_t accept_timer; /* accepts paused after EMFILE */
  unsigned accept_delay_ms;
  int emfile_seen;         /* since the last tick */
  unsigned nconns;         /* open connections */
  unsigned n_unauth;       /* of which not yet authenticated */
  unsigned max_conns;      /* RLIMIT_NOFILE - fd_reserve */
  dconn **unauth;          /* scratch for admit(): max_unauth entries */
  dconn *unauth_list;      /* the connections not yet authenticated, newest
                            * first: admit() walks these, not every one */
  rlog rl_addr, rl_evict, rl_fds, rl_accept, rl_grace, rl_sendbuf;
  rlog rl_auth; /* refused authentication attempts: 20 lines per 10 s */
  uv_check_t check;
  uv_timer_t tick;
  dconn *conns;
  batch_item *batch;
  size_t nbatch, capbatch;
  conn_row *rows;
  size_t nrows, caprows;
  uint64_t own_seq; /* sequence of this node's own alarm events */
  unsigned n_kill;  /* connections flagged kill_sendbuf */
  int repo_dirty;   /* some connection has a repository check to write */
  cnd_stats stats;
  int stopping;
  int flush_rows; /* set by the tick: write connection rows now */
  unsigned ka_flush_tick; /* keepalive times are written when 0 */
  int64_t data_version;   /* of the store: another process wrote it */
  uint64_t new_committed; /* router alarm events this process committed
                           * (fault injection counts these) */
  /* link check */
  uv_tcp_t *probe;
  uv_connect_t probe_req;
  uint64_t probe_start;
  int probe_busy;
  unsigned link_tick;
  uint8_t link_ok[100];
  double link_rtt_ms[100];
  unsigned link_n, link_pos;
  int link_alarm;
};

static void clog_(cnd *d, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void clog_(cnd *d, int level, const char *fmt, ...) {
  char line[768], safe[1024];
  va_list ap;
  if (d->o.log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* Names, ERROR texts and SSH user names come from the peer: no raw
   * control byte (a newline would forge a log line) reaches the log. */
  cglue_escape(safe, sizeof safe, line);
  d->o.log(level, safe, d->o.log_data);
}

static void srv_log(int level, const char *text, void *ud) {
  cnd *d = ud;
  clog_(d, level, "%s", text);
}

/* ---- fault injection (testing aid, cnd_opts.fault_kind) -------------- */

static void fault_kill(cnd *d, const char *where) {
  clog_(d, 1, "fault-kill-at %s:%llu: SIGKILL %s (committed=%llu)",
        d->o.fault_kind == CND_FAULT_INSERT ? "insert" : "commit",
        (unsigned long long)d->o.fault_k, where,
        (unsigned long long)d->new_committed);
  raise(SIGKILL); /* what kill -9 does: no handler, no cleanup */
}

/* ---- own alarms ("No connectivity to <router>.<node>") ---------------- */

/* The 31-bit FNV-1a hash that numbered these alarms before: a router could
 * pick a node name with another router's number (issue 14).  Only used to
 * clear an alarm raised by an earlier version. */
static uint32_t legacy_alarm_num(const char *a, const char *b) {
  uint32_t h = 2166136261u;
  const char *s;
  for (s = a; *s; s++) {
    h = (h ^ (uint8_t)*s) * 16777619u;
  }
  h = (h ^ '.') * 16777619u;
  for (s = b; *s; s++) {
    h = (h ^ (uint8_t)*s) * 16777619u;
  }
  return h & 0x7fffffffu;
}

/* The number of this node's own alarm about (kind, a, b): assigned once,
 * in order, and kept in own_alarm_ids, so two subjects never share one and
 * a clear after a restart finds its raise.  Numbers start at 2^31, above
 * every legacy hash.  0 if the subject has none and |create| is 0.  Inside
 * a transaction. */
static uint32_t own_alarm_num(cnd *d, const char *kind, const char *a,
                              const char *b, int create) {
  sqlite3 *db = conductor_store_db(d->store);
  sqlite3_stmt *s;
  uint32_t num = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT num FROM own_alarm_ids WHERE kind=?1 AND "
                         "a=?2 AND b=?3",
                         -1, &s, NULL) != SQLITE_OK) {
    return 0;
  }
  sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, a, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, b, -1, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW) {
    num = (uint32_t)sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  if (num != 0 || !create) {
    return num;
  }
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO own_alarm_ids(kind,a,b,num) SELECT "
                         "?1,?2,?3,coalesce(max(num)+1,2147483648) FROM "
                         "own_alarm_ids RETURNING num",
                         -1, &s, NULL) != SQLITE_OK) {
    clog_(d, 0, "store: %s", sqlite3_errmsg(db));
    return 0;
  }
  sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, a, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, b, -1, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW) {
    num = (uint32_t)sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  return num;
}

static int own_alarm_active(cnd *d, uint32_t num) {
  sqlite3 *db = conductor_store_db(d->store);
  sqlite3_stmt *s;
  char id[200];
  int active = 0;
  snprintf(id, sizeof id, "%s.conductor:%u", d->node_name, num);
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM alarms WHERE alarm_id=?1", -1, &s,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    active = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
  }
  return active;
}

/* A router node's new run (HELLO with a non-zero epoch): the alarms still
 * active from an earlier run of that node are cleared.  That run has
 * ended (a journal keeps a run's epoch across restarts, so a journaled
 * router never gets here), and nothing else would ever clear them: the new
 * run knows only what it raises itself, and numbers its alarms from 1 again
 * when it has no journal, so its raise #1 would silently replace the old
 * run's #1.  Each clear is stored as an event of the old run (its next
 * sequence number), so the history shows raise and clear.  The epoch of an
 * active alarm is that of its latest raise event; alarms from routers
 * without epochs (0) are left alone.  Returns the number cleared. */
static size_t end_earlier_runs(cnd *d, const dconn *c) {
  sqlite3 *db = conductor_store_db(d->store);
  sqlite3_stmt *s = NULL, *q = NULL;
  conductor_alarm *v = NULL;
  uint64_t *ep = NULL;
  size_t n = 0, cap = 0, i, done = 0;
  uint64_t now = cglue_unix_ns();
  if (c->epoch == 0 ||
      sqlite3_prepare_v2(
          db,
          "SELECT a.alarm_num, a.severity, a.source, a.category, a.message, "
          "(SELECT e.epoch FROM alarm_events e WHERE e.router=a.router AND "
          "e.node=a.node AND e.alarm_num=a.alarm_num AND e.op=1 "
          "ORDER BY e.received_ns DESC, e.seq DESC LIMIT 1) FROM alarms a "
          "WHERE a.router=?1 AND a.node=?2",
          -1, &s, NULL) != SQLITE_OK) {
    return 0;
  }
  sqlite3_bind_text(s, 1, c->router, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, c->node, -1, SQLITE_TRANSIENT);
  while (sqlite3_step(s) == SQLITE_ROW) {
    uint64_t e = (uint64_t)sqlite3_column_int64(s, 5);
    if (sqlite3_column_type(s, 5) == SQLITE_NULL || e == 0 || e == c->epoch) {
      continue;
    }
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      conductor_alarm *nv = realloc(v, nc * sizeof(*v));
      uint64_t *ne;
      if (nv == NULL) {
        break;
      }
      v = nv;
      ne = realloc(ep, nc * sizeof(*ep));
      if (ne == NULL) {
        break;
      }
      ep = ne;
      cap = nc;
    }
    memset(&v[n], 0, sizeof(v[n]));
    v[n].alarm_num = (uint32_t)sqlite3_column_int64(s, 0);
    v[n].severity = (uint8_t)sqlite3_column_int(s, 1);
    snprintf(v[n].source, sizeof v[n].source, "%s",
             (const char *)sqlite3_column_text(s, 2));
    snprintf(v[n].category, sizeof v[n].category, "%s",
             (const char *)sqlite3_column_text(s, 3));
    snprintf(v[n].message, sizeof v[n].message, "%s",
             (const char *)sqlite3_column_text(s, 4));
    ep[n++] = e;
  }
  sqlite3_finalize(s);
  if (n &&
      sqlite3_prepare_v2(db,
                         "SELECT COALESCE(max(seq),0)+1 FROM alarm_events "
                         "WHERE router=?1 AND node=?2 AND epoch=?3",
                         -1, &q, NULL) == SQLITE_OK &&
      conductor_store_begin(d->store) == 0) {
    for (i = 0; i < n; i++) {
      sqlite3_reset(q);
      sqlite3_bind_text(q, 1, c->router, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(q, 2, c->node, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(q, 3, (sqlite3_int64)ep[i]);
      if (sqlite3_step(q) != SQLITE_ROW) {
        continue;
      }
      v[i].seq = (uint64_t)sqlite3_column_int64(q, 0);
      v[i].op = CONDUCTOR_ALARM_CLEAR;
      v[i].time_ns = now;
      if (conductor_store_add_alarm2(d->store, c->router, c->node, ep[i],
                                     &v[i], now) == 1) {
        done++;
      }
    }
    if (conductor_store_commit(d->store) != 0) {
      clog_(d, 0, "store: %s", conductor_store_errmsg(d->store));
      conductor_store_rollback(d->store);
      done = 0;
    }
  }
  sqlite3_finalize(q);
  if (done) {
    clog_(d, 1, "router %s node %s: new run (epoch %llu): cleared %zu alarm(s) "
                "of its earlier run(s)", c->router, c->node,
          (unsigned long long)c->epoch, done);
  }
  free(v);
  free(ep);
  return done;
}

/* Inside a transaction. */
static void own_alarm(cnd *d, int raise, uint32_t num, uint8_t sev,
                      const char *category, const char *msg) {
  conductor_alarm a;
  if (raise == own_alarm_active(d, num)) {
    return; /* already in that state */
  }
  memset(&a, 0, sizeof a);
  a.seq = ++d->own_seq;
  a.alarm_num = num;
  a.op = raise ? CONDUCTOR_ALARM_RAISE : CONDUCTOR_ALARM_CLEAR;
  a.severity = sev;
  a.time_ns = cglue_unix_ns();
  snprintf(a.source, sizeof a.source, "%s", d->node_name);
  snprintf(a.category, sizeof a.category, "%s", category);
  snprintf(a.message, sizeof a.message, "%s", msg);
  if (conductor_store_add_alarm(d->store, "conductor", d->node_name, &a,
                                a.time_ns) < 0) {
    clog_(d, 0, "store: %s", conductor_store_errmsg(d->store));
  } else {
    clog_(d, raise ? 1 : 2, "alarm %s: %s", raise ? "raised" : "cleared",
          msg);
  }
}

/* The durability settings as the daemon's own connection reads them back
 * (docs/libconductor.md section 5): an ack means on disk only with WAL and
 * synchronous >= FULL (2); the store sets EXTRA (3). */
static void log_store_settings(cnd *d) {
  sqlite3 *db = conductor_store_db(d->store);
  sqlite3_stmt *s;
  char mode[32] = "?";
  int sync = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) ==
      SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
      snprintf(mode, sizeof mode, "%s",
               (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &s, NULL) ==
      SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW) {
      sync = sqlite3_column_int(s, 0);
    }
    sqlite3_finalize(s);
  }
  if (strcmp(mode, "wal") == 0 && sync >= 2) {
    clog_(d, 2, "store: journal_mode=%s synchronous=%d", mode, sync);
  } else {
    clog_(d, 1,
          "store: journal_mode=%s synchronous=%d: acks are not durable "
          "(want wal and synchronous >= 2)",
          mode, sync);
  }
}

static void load_own_seq(cnd *d) {
  sqlite3 *db = conductor_store_db(d->store);
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db,
                         "SELECT coalesce(max(seq),0) FROM alarm_events "
                         "WHERE router='conductor' AND node=?1",
                         -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, d->node_name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW) {
      d->own_seq = (uint64_t)sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
}

/* ---- connection bookkeeping ------------------------------------------- */

static void queue_row(cnd *d, const dconn *c, const char *state, int raise) {
  conn_row *r;
  if (d->nrows == d->caprows) {
    size_t n = d->caprows ? d->caprows * 2 : 64;
    conn_row *p = realloc(d->rows, n * sizeof *p);
    if (p == NULL) {
      return;
    }
    d->rows = p;
    d->caprows = n;
  }
  r = &d->rows[d->nrows++];
  snprintf(r->router, sizeof r->router, "%s", c->router);
  snprintf(r->node, sizeof r->node, "%s", c->node);
  snprintf(r->state, sizeof r->state, "%s", state);
  r->since_ns = c->since_ns;
  r->last_ka_ns = c->last_ka_ns;
  r->raise = raise;
}

static void dconn_unref(dconn *c) {
  if (--c->refs == 0) {
    free(c->repo);
    free(c);
  }
}

static void on_poll_closed(uv_handle_t *h) {
  dconn *c = h->data;
  dconn_unref(c);
}

static void list_remove(cnd *d, dconn *c) {
  if (c->prev) {
    c->prev->next = c->next;
  } else if (d->conns == c) {
    d->conns = c->next;
  }
  if (c->next) {
    c->next->prev = c->prev;
  }
  c->prev = c->next = NULL;
}

/* A connection leaves the unauthenticated count and list: its key was
 * accepted, or it closed. */
static void mark_authed(cnd *d, dconn *c) {
  if (c->authed) {
    return;
  }
  c->authed = 1;
  d->n_unauth--;
  if (c->uprev) {
    c->uprev->unext = c->unext;
  } else if (d->unauth_list == c) {
    d->unauth_list = c->unext;
  }
  if (c->unext) {
    c->unext->uprev = c->uprev;
  }
  c->uprev = c->unext = NULL;
}

/* Transport callback: the sconn is going away. */
static void on_sconn_close(conductor_sconn *sc, int reason, void *ud) {
  cnd *d = ud;
  dconn *c = conductor_sconn_get_user_data(sc);
  if (c == NULL) {
    return;
  }
  if (c->frames_refused > 0) {
    clog_(d, 1, "router %s node %s: %llu refused frames in all on this "
          "connection (%s)",
          conductor_sconn_router(sc), c->node[0] ? c->node : "-",
          (unsigned long long)c->frames_refused, conductor_sconn_peer(sc));
  }
  c->sc = NULL;
  d->nconns--;
  if (d->adm) {
    cadm_link_down(d->adm, c);
  }
  mark_authed(d, c);
  if (c->hello_done && d->keys) {
    ckm_link_down(d->keys, c);
  }
  if (c->hello_done && d->dpu) {
    cdpu_link_down(d->dpu, c);
  }
  if (c->hello_done && c->replaced) {
    clog_(d, 2, "router %s node %s: old connection closed (reconnected)",
          c->router, c->node);
  } else if (c->hello_done) {
    clog_(d, 1, "router %s node %s disconnected: %s", c->router, c->node,
          conductor_strerror(reason));
    c->since_ns = cglue_unix_ns();
    queue_row(d, c, "disconnected", d->stopping ? 0 : 1);
  }
  list_remove(d, c);
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_poll_closed);
}

static void update_poll(dconn *c);

static void send_msg(dconn *c, const conductor_msg *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n;
  cnd *d = c->d;
  if (c->sc == NULL) {
    return;
  }
  n = conductor_msg_encode(buf, sizeof buf, m);
  if (n > 0 &&
      conductor_sconn_send(c->sc, buf, (size_t)n) == CONDUCTOR_ERR_NOBUF) {
    /* It sends and does not read what we answer: memory is not its. */
    uint64_t left_out;
    d->stats.sendbuf_closed++;
    if (rlog_take(&d->rl_sendbuf, uv_hrtime(), &left_out)) {
      clog_(d, 1,
            "router %s node %s (%s): send buffer over %zu bytes (it does "
            "not read), closing (%llu more since the last line)",
            conductor_sconn_router(c->sc), c->node[0] ? c->node : "-",
            conductor_sconn_peer(c->sc), d->o.max_send_buffer,
            (unsigned long long)left_out);
    }
    conductor_sconn_close(c->sc, CONDUCTOR_ERR_NOBUF);
  }
  if (n > 0 && m->type == CONDUCTOR_MSG_KEY) {
    explicit_bzero(buf, (size_t)n); /* key material */
  }
}

/* cdpu_send_fn: a PEER_ADDRESS to one router connection. */
static void dpu_send(void *link, const conductor_msg *m, void *ud) {
  dconn *c = link;
  (void)ud;
  send_msg(c, m);
  if (c->sc) {
    update_poll(c);
  }
}

/* ckm_send_fn: a KEY to one router connection. */
static void key_send(void *link, const conductor_msg *m, void *ud) {
  dconn *c = link;
  (void)ud;
  send_msg(c, m);
  update_poll(c);
}

static void send_error(dconn *c, int err, uint16_t ref_type, const char *text) {
  conductor_msg m;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ERROR;
  m.error_code = (uint16_t)(-err);
  m.ref_type = ref_type;
  snprintf(m.text, sizeof m.text, "%s", text);
  send_msg(c, &m);
}

static int batch_add(cnd *d, dconn *c, const conductor_msg *m) {
  batch_item *it;
  if (d->nbatch == d->capbatch) {
    size_t n = d->capbatch ? d->capbatch * 2 : 256;
    batch_item *p = realloc(d->batch, n * sizeof *p);
    if (p == NULL) {
      return -1;
    }
    d->batch = p;
    d->capbatch = n;
  }
  it = &d->batch[d->nbatch++];
  it->c = c;
  c->refs++;
  it->kind = m->type;
  it->seq = m->type == CONDUCTOR_MSG_ALARM ? m->alarm.seq : m->seq;
  it->rx_mono = uv_hrtime();
  it->peak_bps = m->peak_bps;
  it->time_ns = m->time_ns;
  if (m->type == CONDUCTOR_MSG_ALARM) {
    it->alarm = m->alarm;
  }
  return 0;
}

/* A frame that is not valid, or not valid now: the first of a connection
 * is logged, then at most one line per 10 s, and the count at close. */
static void refused_frame(dconn *c, const char *why) {
  cnd *d = c->d;
  uint64_t left_out;
  c->frames_refused++;
  d->stats.frames_refused++;
  if (rlog_take(&c->rl_frames, uv_hrtime(), &left_out)) {
    clog_(d, 1, "router %s node %s: refused frame: %s (%llu more refused "
          "frames from this connection since the last line)",
          conductor_sconn_router(c->sc), c->node[0] ? c->node : "-", why,
          (unsigned long long)left_out);
  }
}

/* A router's repository check (docs/libconductor.md 2.8): its last result
 * is kept for the repo_status table, and the probe answered with what
 * this node hosts. */
static int repo_probe(cnd *d, dconn *c, const uint8_t *frame, size_t len) {
  conductor_admin m, a;
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n;
  int rv = conductor_admin_decode(&m, frame, len);
  if (rv != 0) {
    return rv;
  }
  if (c->repo == NULL && (c->repo = malloc(sizeof *c->repo)) == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  *c->repo = m;
  c->repo->data = NULL;
  c->repo->datalen = 0;
  c->repo_rx_ns = cglue_unix_ns();
  c->repo_probes++;
  c->repo_dirty = 1;
  d->repo_dirty = 1;
  memset(&a, 0, sizeof a);
  a.type = CONDUCTOR_MSG_REPO_STATUS;
  a.stream = m.stream;
  a.mtime_ns = c->repo_rx_ns;
  if (d->o.repository) {
    snprintf(a.name, sizeof a.name, "%s", d->o.repository);
  } else {
    snprintf(a.name, sizeof a.name, "none");
    a.error_code = (uint16_t)-CONDUCTOR_ERR_NOT_FOUND;
    snprintf(a.text, sizeof a.text,
             "conductor node %s hosts no software repository", d->node_name);
  }
  n = conductor_admin_encode(buf, sizeof buf, &a);
  if (n > 0 && c->sc) {
    conductor_sconn_send(c->sc, buf, (size_t)n);
  }
  return 0;
}

/* Writes the repository checks that changed (each tick, one transaction). */
static void repo_write(cnd *d) {
  sqlite3 *db = conductor_store_db(d->store);
  sqlite3_stmt *st = NULL;
  dconn *c;
  if (!d->repo_dirty) {
    return;
  }
  d->repo_dirty = 0;
  if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
    return;
  }
  if (sqlite3_prepare_v2(db,
                         "INSERT OR REPLACE INTO repo_status(router, node, "
                         "conductor_node, source, status, reason, latency_ns, "
                         "checked_ns, probe_ns, probes) VALUES "
                         "(?,?,?,?,?,?,?,?,?,?)",
                         -1, &st, NULL) == SQLITE_OK) {
    for (c = d->conns; c; c = c->next) {
      const conductor_admin *m = c->repo;
      const char *status;
      if (!c->repo_dirty || m == NULL || !c->hello_done) {
        continue;
      }
      c->repo_dirty = 0;
      status = m->error_code ? "unreachable"
               : m->mtime_ns ? "reachable" : "pending";
      sqlite3_reset(st);
      sqlite3_bind_text(st, 1, c->router, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, c->node, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, d->node_name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 4, m->name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 6, m->error_code ? m->text : "", -1,
                        SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 7, (sqlite3_int64)m->length);
      sqlite3_bind_int64(st, 8, (sqlite3_int64)m->mtime_ns);
      sqlite3_bind_int64(st, 9, (sqlite3_int64)c->repo_rx_ns);
      sqlite3_bind_int64(st, 10, (sqlite3_int64)c->repo_probes);
      sqlite3_step(st);
    }
    sqlite3_finalize(st);
  }
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

static void on_frame(conductor_sconn *sc, const uint8_t *frame, size_t len,
                     void *ud) {
  cnd *d = ud;
  dconn *c = conductor_sconn_get_user_data(sc);
  conductor_msg m, r;
  int rv;
  uint16_t ftype = (uint16_t)((frame[4] << 8) | frame[5]);
  c->last_rx_mono = uv_hrtime();
  if (conductor_sconn_router(sc)[0] == '@') {
    /* an administrator's connection (docs/libconductor.md 2.7) */
    if (d->adm) {
      cadm_on_admin_frame(d->adm, c, conductor_sconn_router(sc) + 1,
                          conductor_sconn_peer(sc), frame, len);
    }
    return;
  }
  if (conductor_admin_type(ftype)) {
    char t[128];
    if (!c->hello_done || c->version < CONDUCTOR_VERSION_ADMIN) {
      snprintf(t, sizeof t, "%s before HELLO_ACK of IPC version 6 (type %u)",
               "administration message", (unsigned)ftype);
      refused_frame(c, t);
      send_error(c, CONDUCTOR_ERR_UNEXPECTED, ftype, t);
      return;
    }
    if (ftype == CONDUCTOR_MSG_REPO_STATUS) {
      rv = repo_probe(d, c, frame, len);
    } else {
      rv = d->adm ? cadm_on_router_frame(d->adm, c, frame, len) : 0;
    }
    if (rv != 0) {
      snprintf(t, sizeof t, "%s (type %u)", conductor_strerror(rv),
               (unsigned)ftype);
      refused_frame(c, t);
      send_error(c, rv, ftype, t);
    }
    return;
  }
  rv = conductor_msg_decode(&m, frame, len);
  if (rv != 0) {
    /* The decoder fills |m| only on success: the type comes from the frame
     * header (the transport delivers only whole frames, >= 8 bytes). */
    char t[128];
    snprintf(t, sizeof t, "%s (type %u)", conductor_strerror(rv),
             (unsigned)ftype);
    refused_frame(c, t);
    send_error(c, rv, ftype, t);
    return;
  }
  memset(&r, 0, sizeof r);
  if (!c->hello_done && m.type != CONDUCTOR_MSG_HELLO) {
    refused_frame(c, "HELLO first");
    send_error(c, CONDUCTOR_ERR_UNEXPECTED, m.type, "HELLO first");
    return;
  }
  switch (m.type) {
  case CONDUCTOR_MSG_HELLO:
    if (c->hello_done) {
      refused_frame(c, "second HELLO");
      send_error(c, CONDUCTOR_ERR_UNEXPECTED, m.type, "second HELLO");
      return;
    }
    if (m.version_min > CONDUCTOR_PROTO_VERSION) {
      char t[64];
      snprintf(t, sizeof t, "conductor speaks IPC versions 1-%d only",
               CONDUCTOR_PROTO_VERSION);
      send_error(c, CONDUCTOR_ERR_PROTO_VERSION, m.type, t);
      conductor_sconn_close(sc, CONDUCTOR_ERR_PROTO_VERSION);
      return;
    }
    if (!cglue_name_ok(m.router) || !cglue_name_ok(m.node)) {
      char t[160];
      snprintf(t, sizeof t, "%s name: 1-63 characters of A-Z a-z 0-9 . _ -",
               cglue_name_ok(m.router) ? "node" : "router");
      refused_frame(c, t);
      send_error(c, CONDUCTOR_ERR_FIELD_VALUE, m.type, t);
      conductor_sconn_close(sc, CONDUCTOR_ERR_FIELD_VALUE);
      return;
    }
    /* The router is who its key says, not who it claims to be. */
    if (strcmp(m.router, conductor_sconn_router(sc)) != 0) {
      char t[200];
      snprintf(t, sizeof t, "key is enrolled for router %s, not %s",
               conductor_sconn_router(sc), m.router);
      clog_(d, 1, "refused HELLO: %s", t);
      send_error(c, CONDUCTOR_ERR_AUTH_DENIED, m.type, t);
      conductor_sconn_close(sc, CONDUCTOR_ERR_AUTH_DENIED);
      return;
    }
    c->hello_done = 1;
    snprintf(c->router, sizeof c->router, "%s", m.router);
    snprintf(c->node, sizeof c->node, "%s", m.node);
    /* Alarms of this connection are deduplicated within this router run:
     * (router, node, epoch, seq).  0 from a router without epochs. */
    c->epoch = m.epoch;
    {
      /* A router node that reconnects before its old connection timed out
       * (restart, NAT change): the new connection wins, and closing the
       * old one must not report the node as gone. */
      dconn *o, *onext;
      for (o = d->conns; o; o = onext) {
        onext = o->next;
        if (o != c && o->sc && o->hello_done &&
            strcmp(o->router, c->router) == 0 &&
            strcmp(o->node, c->node) == 0) {
          o->replaced = 1;
          conductor_sconn_close(o->sc, CONDUCTOR_ERR_CLOSED);
        }
      }
    }
    end_earlier_runs(d, c);
    c->since_ns = cglue_unix_ns();
    c->last_ka_ns = c->since_ns;
    queue_row(d, c, "connected", 2);
    d->stats.connections++;
    clog_(d, 2, "router %s node %s connected (epoch %llu)", c->router,
          c->node, (unsigned long long)c->epoch);
    r.type = CONDUCTOR_MSG_HELLO_ACK;
    r.version = m.version_max < CONDUCTOR_PROTO_VERSION
                    ? m.version_max
                    : CONDUCTOR_PROTO_VERSION;
    snprintf(r.node, sizeof r.node, "%s", d->node_name);
    c->version = r.version;
    send_msg(c, &r);
    if (d->keys) {
      ckm_link_up(d->keys, c, c->router, c->node, r.version);
    }
    if (d->dpu && c->sc) {
      cdpu_link_up(d->dpu, c, c->router, c->node, r.version);
    }
    break;
  case CONDUCTOR_MSG_ALARM:
    /* seen() is 1 only for a seq this connection committed and still
     * remembers; anything else goes to the batch and the store decides
     * (INSERT OR IGNORE), so every ack has a row behind it. */
    if (conductor_dedup_seen(&c->dedup, m.alarm.seq)) {
      d->stats.alarms_duplicate++;
      r.type = CONDUCTOR_MSG_ALARM_ACK; /* committed before: ack again */
      r.seq = m.alarm.seq;
      send_msg(c, &r);
    } else if (batch_add(d, c, &m) != 0) {
      conductor_sconn_close(sc, CONDUCTOR_ERR_NOMEM);
    }
    break;
  case CONDUCTOR_MSG_ENTITLEMENT:
    if (batch_add(d, c, &m) != 0) {
      conductor_sconn_close(sc, CONDUCTOR_ERR_NOMEM);
    }
    break;
  case CONDUCTOR_MSG_KEEPALIVE:
    c->last_ka_ns = cglue_unix_ns();
    c->dirty = 1;
    r.type = CONDUCTOR_MSG_KEEPALIVE_ACK;
    r.seq = m.seq;
    r.time_ns = m.time_ns;
    send_msg(c, &r);
    break;
  case CONDUCTOR_MSG_KEEPALIVE_ACK:
    break;
  case CONDUCTOR_MSG_KEY_ACK:
    if (d->keys) {
      ckm_on_ack(d->keys, c, &m);
    }
    break;
  case CONDUCTOR_MSG_ADDRESS:
    if (d->dpu) {
      char why[160];
      rv = cdpu_on_address(d->dpu, c, &m, why, sizeof why);
      if (rv < 0) {
        refused_frame(c, why);
        send_error(c, rv, m.type, why);
      } else if (rv == 1 && d->keys && c->sc) {
        /* its paths and its peers' were replaced: they start with their
         * configured keys, so the conductor's active keys go again */
        ckm_resend(d->keys, c->router);
      }
    }
    break;
  case CONDUCTOR_MSG_ERROR:
    clog_(d, 1, "router %s node %s reports error %d on %s: %s", c->router,
          c->node, -(int)m.error_code, conductor_msg_type_name(m.ref_type),
          m.text);
    break;
  default:
    refused_frame(c, "message not valid from a router");
    send_error(c, CONDUCTOR_ERR_UNEXPECTED, m.type,
               "message not valid from a router");
    break;
  }
}

/* A connection leaves the unauthenticated count once its key is accepted. */
static void note_auth(dconn *c) {
  if (!c->authed && c->sc && conductor_sconn_router(c->sc)[0] != '\0') {
    mark_authed(c->d, c);
  }
}

static void on_conn_poll(uv_poll_t *h, int status, int events) {
  dconn *c = h->data;
  (void)events;
  if (c->sc == NULL) {
    return;
  }
  if (status < 0) {
    conductor_sconn_close(c->sc, CONDUCTOR_ERR_IO);
    return;
  }
  if (conductor_sconn_process(c->sc) < 0) {
    return; /* closed: on_sconn_close ran */
  }
  note_auth(c);
  update_poll(c);
}

static void update_poll(dconn *c) {
  int ev, uvev = 0;
  if (c->sc == NULL) {
    return;
  }
  ev = conductor_sconn_events(c->sc);
  if (ev & CONDUCTOR_POLL_IN) {
    uvev |= UV_READABLE;
  }
  if (ev & CONDUCTOR_POLL_OUT) {
    uvev |= UV_WRITABLE;
  }
  if (uvev != c->poll_events) {
    c->poll_events = uvev;
    uv_poll_start(&c->poll, uvev, on_conn_poll);
  }
}

static void on_listen(uv_poll_t *h, int status, int events);

static void on_accept_timer(uv_timer_t *h) {
  cnd *d = h->data;
  if (!d->stopping) {
    uv_poll_start(&d->listen_poll, UV_READABLE, on_listen);
  }
}

/* Out of descriptors: stop accepting for 50 ms, doubling up to 1 s while
 * it lasts (the tick resets the delay after a second without EMFILE). */
static void pause_accepts(cnd *d, int err) {
  uint64_t left_out;
  d->stats.accept_emfile++;
  d->emfile_seen = 1;
  d->accept_delay_ms = d->accept_delay_ms == 0 ? 50
                       : d->accept_delay_ms >= 500 ? 1000
                                                   : d->accept_delay_ms * 2;
  uv_poll_stop(&d->listen_poll);
  uv_timer_start(&d->accept_timer, on_accept_timer, d->accept_delay_ms, 0);
  if (rlog_take(&d->rl_accept, uv_hrtime(), &left_out)) {
    clog_(d, 1,
          "accept: %s: accepts paused for %u ms (%llu more such failures "
          "since the last line; %u connections open)",
          strerror(err), d->accept_delay_ms, (unsigned long long)left_out,
          d->nconns);
  }
}

static void refuse_conn(cnd *d, conductor_sconn *sc, rlog *rl,
                        uint64_t *counter, const char *why) {
  uint64_t left_out;
  (*counter)++;
  if (rlog_take(rl, uv_hrtime(), &left_out)) {
    clog_(d, 1,
          "%s: connection refused: %s (%llu more refusals since the last "
          "line)",
          conductor_sconn_peer(sc), why, (unsigned long long)left_out);
  }
  conductor_sconn_close(sc, CONDUCTOR_ERR_CLOSED); /* no dconn: not counted */
}

/* Admission of a new connection (docs/libconductor.md, "Threat model and
 * limits").  Returns 1 to keep it. */
static int admit(cnd *d, conductor_sconn *sc) {
  const char *addr = conductor_sconn_peer_addr(sc);
  dconn *o, *oldest = NULL;
  unsigned from_addr = 0, nun = 0;
  char t[96];
  if (d->nconns >= d->max_conns) {
    snprintf(t, sizeof t, "%u connections open, the descriptor limit less "
             "the reserve", d->nconns);
    refuse_conn(d, sc, &d->rl_fds, &d->stats.conn_refused_fds, t);
    return 0;
  }
  for (o = d->unauth_list; o; o = o->unext) {
    if (o->sc == NULL) {
      continue;
    }
    if (nun < d->o.max_unauth) {
      d->unauth[nun++] = o; /* newest first */
    }
    if (strcmp(conductor_sconn_peer_addr(o->sc), addr) == 0) {
      from_addr++;
    }
  }
  if (from_addr >= d->o.max_unauth_per_addr) {
    snprintf(t, sizeof t, "%u unauthenticated connections from %s (limit)",
             from_addr, addr);
    refuse_conn(d, sc, &d->rl_addr, &d->stats.conn_refused_addr, t);
    return 0;
  }
  if (d->n_unauth >= d->o.max_unauth && nun > 0) {
    /* Full: the newcomer may be a router.  Room is made by closing the
     * oldest unauthenticated connection of an address that holds several
     * (a flood), so that a router's single handshake is not the one to go;
     * among the 8 oldest, else the oldest. */
    unsigned i, j, k;
    oldest = d->unauth[nun - 1];
    for (i = nun, k = 0; i-- > 0 && k < 8; k++) {
      const char *ai = conductor_sconn_peer_addr(d->unauth[i]->sc);
      unsigned same = 0;
      for (j = 0; j < nun && same < 2; j++) {
        same += strcmp(conductor_sconn_peer_addr(d->unauth[j]->sc), ai) == 0;
      }
      if (same >= 2) {
        oldest = d->unauth[i];
        break;
      }
    }
    uint64_t left_out;
    d->stats.conn_evicted++;
    if (rlog_take(&d->rl_evict, uv_hrtime(), &left_out)) {
      clog_(d, 1,
            "%s: closed: %u unauthenticated connections (limit), the "
            "oldest makes room for %s (%llu more such closes since the last "
            "line)",
            conductor_sconn_peer(oldest->sc), d->n_unauth,
            conductor_sconn_peer(sc), (unsigned long long)left_out);
    }
    conductor_sconn_close(oldest->sc, CONDUCTOR_ERR_CLOSED);
  }
  return 1;
}

static void on_listen(uv_poll_t *h, int status, int events) {
  cnd *d = h->data;
  int i;
  (void)events;
  if (status < 0) {
    clog_(d, 0, "listen poll: %s", uv_strerror(status));
    return;
  }
  for (i = 0; i < 256; i++) {
    conductor_sconn *sc;
    dconn *c;
    int rv = conductor_server_accept(d->srv, &sc);
    if (rv == CONDUCTOR_ERR_AGAIN) {
      break;
    }
    if (rv != 0) {
      if (rv == CONDUCTOR_ERR_IO) {
        int e = errno;
        if (e == EMFILE || e == ENFILE) {
          pause_accepts(d, e);
        } else {
          uint64_t left_out;
          if (rlog_take(&d->rl_accept, uv_hrtime(), &left_out)) {
            clog_(d, 1, "accept: %s (%llu more since the last line)",
                  strerror(e), (unsigned long long)left_out);
          }
        }
        break;
      }
      continue;
    }
    if (!admit(d, sc)) {
      continue;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
      conductor_sconn_close(sc, CONDUCTOR_ERR_NOMEM);
      continue;
    }
    c->d = d;
    c->sc = sc;
    c->refs = 1;
    c->last_rx_mono = uv_hrtime();
    c->accepted_mono = c->last_rx_mono;
    d->nconns++;
    d->n_unauth++;
    conductor_dedup_init(&c->dedup);
    conductor_sconn_set_user_data(sc, c);
    uv_poll_init(d->loop, &c->poll, conductor_sconn_fd(sc));
    c->poll.data = c;
    c->next = d->conns;
    if (d->conns) {
      d->conns->prev = c;
    }
    d->conns = c;
    c->unext = d->unauth_list;
    if (d->unauth_list) {
      d->unauth_list->uprev = c;
    }
    d->unauth_list = c;
    c->poll_events = UV_READABLE;
    uv_poll_start(&c->poll, UV_READABLE, on_conn_poll);
    /* The client speaks first (its banner may already be here). */
    if (conductor_sconn_process(sc) == 0) {
      note_auth(c);
      update_poll(c);
    }
  }
}

/* An alarm an earlier version raised under the legacy hash is cleared by
 * its exact text (the number alone could be another subject's). */
static void legacy_clear(cnd *d, uint32_t num, const char *msg) {
  sqlite3 *db = conductor_store_db(d->store);
  sqlite3_stmt *s;
  char id[200];
  int found = 0;
  snprintf(id, sizeof id, "%s.conductor:%u", d->node_name, num);
  if (sqlite3_prepare_v2(db,
                         "SELECT 1 FROM alarms WHERE alarm_id=?1 AND "
                         "message=?2",
                         -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, msg, -1, SQLITE_STATIC);
    found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
  }
  if (found) {
    own_alarm(d, 0, num, CONDUCTOR_SEV_MAJOR, "system", msg);
  }
}

static void write_rows(cnd *d) {
  size_t i;
  for (i = 0; i < d->nrows; i++) {
    conn_row *r = &d->rows[i];
    char msg[200];
    uint32_t num;
    conductor_store_set_connection(d->store, r->router, r->node,
                                   d->node_name, r->state, r->since_ns,
                                   r->last_ka_ns);
    snprintf(msg, sizeof msg, "No connectivity to %s.%s", r->router, r->node);
    if (r->raise == 1) {
      num = own_alarm_num(d, "conn", r->router, r->node, 1);
      if (num != 0) {
        own_alarm(d, 1, num, CONDUCTOR_SEV_MAJOR, "system", msg);
      }
    } else if (r->raise == 2) {
      num = own_alarm_num(d, "conn", r->router, r->node, 0);
      if (num != 0) {
        own_alarm(d, 0, num, CONDUCTOR_SEV_MAJOR, "system", msg);
      }
      legacy_clear(d, legacy_alarm_num(r->router, r->node), msg);
    }
  }
  d->nrows = 0;
}

/* Commits the batch, then acknowledges it.  Runs once per loop turn. */
static void on_check(uv_check_t *h) {
  cnd *d = h->data;
  size_t i;
  uint64_t now_unix, done, batch_new = 0;
  int rv = 0;
  if (d->keys) {
    ckm_flush(d->keys); /* key writes of this turn, then their KEYs */
  }
  if (d->n_kill) {
    dconn *c, *next;
    d->n_kill = 0;
    for (c = d->conns; c; c = next) {
      next = c->next;
      if (c->kill_sendbuf && c->sc) {
        conductor_sconn_close(c->sc, CONDUCTOR_ERR_NOBUF);
      }
    }
  }
  /* Connection rows alone wait for the 1-second tick: a commit costs an
   * fsync, and 10,000 routers reconnecting must not cost 10,000 of them. */
  if (d->nbatch == 0 && (d->nrows == 0 || !d->flush_rows)) {
    return;
  }
  d->flush_rows = 0;
  d->stats.batch_max = d->nbatch > d->stats.batch_max ? d->nbatch
                                                       : d->stats.batch_max;
  now_unix = cglue_unix_ns();
  if (conductor_store_begin(d->store) != 0) {
    clog_(d, 0, "store: %s", conductor_store_errmsg(d->store));
    return; /* keep the batch; try again next turn */
  }
  for (i = 0; i < d->nbatch && rv >= 0; i++) {
    batch_item *it = &d->batch[i];
    if (it->kind == CONDUCTOR_MSG_ALARM) {
      rv = conductor_store_add_alarm2(d->store, it->c->router, it->c->node,
                                      it->c->epoch, &it->alarm, now_unix);
      if (rv == 1) {
        d->stats.alarms_committed++;
        batch_new++;
        if (d->o.fault_kind == CND_FAULT_INSERT &&
            d->new_committed + batch_new == d->o.fault_k) {
          fault_kill(d, "before COMMIT");
        }
      } else if (rv == 0) {
        d->stats.alarms_duplicate++;
      }
    } else {
      rv = conductor_store_add_entitlement(d->store, it->c->router,
                                           it->c->node, it->time_ns,
                                           it->peak_bps);
    }
  }
  if (rv >= 0) {
    write_rows(d);
  }
  if (rv < 0 || conductor_store_commit(d->store) != 0) {
    clog_(d, 0, "store commit failed, nothing acknowledged: %s",
          conductor_store_errmsg(d->store));
    conductor_store_rollback(d->store);
    return;
  }
  d->stats.commits++;
  d->new_committed += batch_new;
  if (d->o.fault_kind == CND_FAULT_COMMIT &&
      d->new_committed >= d->o.fault_k) {
    fault_kill(d, "after COMMIT, before the acks");
  }
  done = uv_hrtime();
  /* Committed: now, and only now, acknowledge. */
  for (i = 0; i < d->nbatch; i++) {
    batch_item *it = &d->batch[i];
    conductor_msg r;
    uint64_t lat = done - it->rx_mono;
    if (it->kind == CONDUCTOR_MSG_ALARM) {
      d->stats.commit_latency_ns_sum += lat;
      if (lat > d->stats.commit_latency_ns_max) {
        d->stats.commit_latency_ns_max = lat;
      }
    }
    if (it->c->sc != NULL) {
      memset(&r, 0, sizeof r);
      r.type = it->kind == CONDUCTOR_MSG_ALARM ? CONDUCTOR_MSG_ALARM_ACK
                                               : CONDUCTOR_MSG_ENTITLEMENT_ACK;
      r.seq = it->seq;
      if (it->kind == CONDUCTOR_MSG_ALARM) {
        conductor_dedup_mark(&it->c->dedup, it->seq);
      }
      send_msg(it->c, &r);
      update_poll(it->c);
    }
  }
  for (i = 0; i < d->nbatch; i++) {
    dconn_unref(d->batch[i].c);
  }
  d->nbatch = 0;
}

static void link_check(cnd *d);

/* Another process changed the database (svr-conductor unenroll, enroll,
 * shelve): every authenticated connection's key is looked up again, and a
 * connection whose key is gone or now enrolled for another router is
 * closed (it would keep speaking as the router its key no longer names). */
static void check_enrolment(cnd *d) {
  int64_t v;
  dconn *c, *next;
  if (conductor_store_data_version(d->store, &v) != 0 || v == d->data_version) {
    return;
  }
  d->data_version = v;
  for (c = d->conns; c; c = next) {
    const char *router;
    next = c->next;
    if (c->sc == NULL) {
      continue;
    }
    router = c->hello_done ? c->router : conductor_sconn_router(c->sc);
    if (router[0] == '\0' || router[0] == '@') {
      continue; /* not authenticated yet: its key is checked when it is;
                   administrators: their key file is read at each login */
    }
    {
      char owner[CONDUCTOR_NAME_MAX];
      int rv = conductor_store_lookup_key(
          d->store, conductor_sconn_key(c->sc), owner, sizeof owner);
      if (rv == CONDUCTOR_ERR_NOT_FOUND) {
        clog_(d, 1, "router %s node %s: no longer enrolled, closing", router,
              c->node[0] ? c->node : "-");
      } else if (rv == 0 && strcmp(owner, router) != 0) {
        clog_(d, 1,
              "router %s node %s: its key is now enrolled for router %s, "
              "closing",
              router, c->node[0] ? c->node : "-", owner);
      } else {
        continue; /* still its own (or the store failed: try next time) */
      }
      conductor_sconn_close(c->sc, CONDUCTOR_ERR_AUTH_DENIED);
      d->stats.unenrolled_closed++;
    }
  }
}

/* Once the window of a rate-limited line is over, the lines it left out
 * are counted in one line (not only when the next such line comes). */
static void rlog_flush(cnd *d, rlog *r, uint64_t now, const char *what) {
  if (r->suppressed && now - r->window_ns >= RLOG_INTERVAL_NS) {
    clog_(d, 1, "%llu %s were not logged (rate limit: %u lines per 10 s)",
          (unsigned long long)r->suppressed, what, r->burst ? r->burst : 1);
    r->suppressed = 0;
    r->used = 0;
  }
}

/* SSH-level liveness of an authenticated connection, at each tick: any
 * packet since the last tick proves the router alive; after ka_interval
 * without one the conductor asks (keepalive@openssh.com), and after
 * ka_max unanswered requests it closes the connection.  Returns 0, or -1
 * when the connection was closed. */
static int conn_keepalive(cnd *d, dconn *c, uint64_t now) {
  uint64_t n = conductor_sconn_rx_packets(c->sc);
  if (!c->ka_on) {
    c->ka_on = 1;
    c->rx_pkts = n;
    conductor_keepalive_init(&c->ka,
                             (uint64_t)d->o.ka_interval_s * CONDUCTOR_SECONDS,
                             d->o.ka_max, now);
  } else if (n != c->rx_pkts) {
    c->rx_pkts = n;
    conductor_keepalive_on_rx(&c->ka, now);
    if (c->hello_done) {
      c->last_ka_ns = cglue_unix_ns();
      c->dirty = 1;
    }
  }
  switch (conductor_keepalive_handle_expiry(&c->ka, now)) {
  case CONDUCTOR_KA_DEAD:
    clog_(d, 1,
          "router %s node %s: no answer to %u SSH keepalives (%u s apart), "
          "silent for %.2f s, closing",
          c->hello_done ? c->router : conductor_sconn_router(c->sc), c->node,
          d->o.ka_max, d->o.ka_interval_s,
          (double)(now - c->ka.last_rx_ts) / 1e9);
    conductor_sconn_close(c->sc, CONDUCTOR_ERR_CLOSED);
    return -1;
  case CONDUCTOR_KA_SEND:
    if (conductor_sconn_keepalive(c->sc) < 0) {
      return -1; /* closed: on_sconn_close ran */
    }
    update_poll(c);
    break;
  default:
    break;
  }
  return 0;
}

static void on_tick(uv_timer_t *h) {
  cnd *d = h->data;
  uint64_t now = uv_hrtime();
  dconn *c, *next;
  uint64_t grace_ns = (uint64_t)d->o.login_grace_s * CONDUCTOR_SECONDS;
  if (!d->emfile_seen) {
    d->accept_delay_ms = 0;
  }
  d->emfile_seen = 0;
  for (c = d->conns; c; c = next) {
    next = c->next;
    if (c->sc == NULL) {
      continue;
    }
    note_auth(c);
    if (!c->authed && now - c->accepted_mono > grace_ns) {
      uint64_t left_out;
      d->stats.login_timeouts++;
      if (rlog_take(&d->rl_grace, now, &left_out)) {
        clog_(d, 1,
              "%s: not authenticated within %u s, closing (%llu more "
              "since the last line)",
              conductor_sconn_peer(c->sc), d->o.login_grace_s,
              (unsigned long long)left_out);
      }
      conductor_sconn_close(c->sc, CONDUCTOR_ERR_CLOSED);
      continue;
    }
    if (c->authed && conn_keepalive(d, c, now) != 0) {
      continue;
    }
    /* "Last keepalive" is written every 10 s: one fsync'd transaction per
     * second for 10,000 routers' keepalives was the main idle cost. */
    if (c->dirty && c->hello_done && d->ka_flush_tick == 0) {
      queue_row(d, c, "connected", 0);
      c->dirty = 0;
    }
  }
  d->ka_flush_tick = (d->ka_flush_tick + 1) % 10;
  rlog_flush(d, &d->rl_auth, now, "refused authentication attempts");
  rlog_flush(d, &d->rl_addr, now, "refusals at the per-address limit");
  rlog_flush(d, &d->rl_evict, now, "closes at the unauthenticated limit");
  rlog_flush(d, &d->rl_fds, now, "refusals at the descriptor reserve");
  rlog_flush(d, &d->rl_accept, now, "accept failures");
  rlog_flush(d, &d->rl_grace, now, "login timeouts");
  rlog_flush(d, &d->rl_sendbuf, now, "send-buffer closes");
  check_enrolment(d);
  repo_write(d);
  if (d->keys) {
    ckm_tick(d->keys);
  }
  if (d->dpu) {
    cdpu_tick(d->dpu);
  }
  if (d->nrows > 0) {
    d->flush_rows = 1;
    on_check(&d->check);
  }
  if (d->o.peer && ++d->link_tick >= d->o.link_check_interval_s) {
    d->link_tick = 0;
    link_check(d);
  }
}

/* ---- link check to the other conductor node ---------------------------- */

static void link_result(cnd *d, int ok, double rtt_ms) {
  unsigned i, n_ok = 0, n;
  double sum = 0, loss;
  int bad;
  char msg[256];
  d->link_ok[d->link_pos] = (uint8_t)ok;
  d->link_rtt_ms[d->link_pos] = rtt_ms;
  d->link_pos = (d->link_pos + 1) % 100;
  if (d->link_n < 100) {
    d->link_n++;
  }
  n = d->link_n;
  for (i = 0; i < n; i++) {
    if (d->link_ok[i]) {
      n_ok++;
      sum += d->link_rtt_ms[i];
    }
  }
  loss = 100.0 * (double)(n - n_ok) / (double)n;
  bad = loss >= d->o.link_max_loss_pct ||
        (n_ok > 0 && sum / n_ok >= d->o.link_max_latency_ms);
  snprintf(msg, sizeof msg,
           "Link to conductor node %s degraded (latency %.1f ms, loss %.2f %% "
           "over %u probes; limits %.0f ms, %.2f %%)",
           d->o.peer, n_ok ? sum / n_ok : 0.0, loss, n, d->o.link_max_latency_ms,
           d->o.link_max_loss_pct);
  clog_(d, 2, "link check to %s: %s, rtt %.2f ms (%u probes, loss %.2f %%)",
        d->o.peer, ok ? "ok" : "lost", rtt_ms, n, loss);
  if (bad != d->link_alarm && conductor_store_begin(d->store) == 0) {
    /* Same number for raise and clear: keyed by the peer, not the text. */
    uint32_t num = own_alarm_num(d, "link", d->o.peer, "", 1);
    if (num != 0) {
      own_alarm(d, bad, num, CONDUCTOR_SEV_MAJOR, "system", msg);
    }
    conductor_store_commit(d->store);
    d->link_alarm = bad;
  }
}

static void on_probe_closed(uv_handle_t *h) { free(h); }

static void on_probe_connect(uv_connect_t *req, int status) {
  cnd *d = req->data;
  double rtt = (double)(uv_hrtime() - d->probe_start) / 1e6;
  link_result(d, status == 0, rtt);
  uv_close((uv_handle_t *)d->probe, on_probe_closed);
  d->probe = NULL;
  d->probe_busy = 0;
}

static void link_check(cnd *d) {
  char host[256];
  const char *colon;
  struct sockaddr_storage ss;
  int port;
  if (d->probe_busy) {
    link_result(d, 0, 0); /* previous probe still hanging: lost */
    return;
  }
  colon = strrchr(d->o.peer, ':');
  if (colon == NULL || (size_t)(colon - d->o.peer) >= sizeof host) {
    return;
  }
  memcpy(host, d->o.peer, (size_t)(colon - d->o.peer));
  host[colon - d->o.peer] = '\0';
  port = atoi(colon + 1);
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
      uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0) {
    return;
  }
  d->probe = malloc(sizeof *d->probe);
  if (d->probe == NULL) {
    return;
  }
  uv_tcp_init(d->loop, d->probe);
  d->probe_req.data = d;
  d->probe_start = uv_hrtime();
  d->probe_busy = 1;
  if (uv_tcp_connect(&d->probe_req, d->probe, (struct sockaddr *)&ss,
                     on_probe_connect) != 0) {
    d->probe_busy = 0;
    uv_close((uv_handle_t *)d->probe, on_probe_closed);
    d->probe = NULL;
    link_result(d, 0, 0);
  }
}

/* ---- lifecycle -------------------------------------------------------- */

static void on_auth_refused(const conductor_auth_refusal *r, void *ud) {
  cnd *d = ud;
  uint64_t left_out;
  if (strcmp(r->method, "none") == 0) {
    clog_(d, 2, "%s: method none refused (user %s): publickey only",
          r->peer, r->user);
    return;
  }
  d->stats.auth_refused++;
  if (r->closing) {
    d->stats.auth_tries_closed++;
  }
  if (!rlog_take(&d->rl_auth, uv_hrtime(), &left_out)) {
    return;
  }
  if (r->key_type) {
    clog_(d, 1, "%s: refused unknown %s key %s %s (user %s, attempt %d "
          "of %d)%s", r->peer,
          strcmp(r->user, CADM_SSH_USER) == 0 ? "administrator" : "router",
          r->key_type, r->fingerprint, r->user,
          r->attempt, r->max_attempts,
          r->closing ? ": closing after 6 failed authentication attempts"
                     : "");
  } else {
    clog_(d, 1, "%s: refused %s authentication (user %s, attempt %d of "
          "%d)%s", r->peer, r->method, r->user, r->attempt, r->max_attempts,
          r->closing ? ": closing after 6 failed authentication attempts"
                     : "");
  }
  if (left_out) {
    clog_(d, 1, "%llu refused authentication attempts were not logged "
          "(rate limit: 20 lines per 10 s)", (unsigned long long)left_out);
  }
}

static int authorize(conductor_server *srv, const char *user,
                     const char *key_type, const char *key_b64, char *router,
                     void *ud) {
  cnd *d = ud;
  (void)srv;
  (void)key_type;
  if (user != NULL && strcmp(user, CADM_SSH_USER) == 0) {
    /* An administrator: its name, marked with '@' (never a router name's
     * first character), is the connection's "router". */
    char name[CONDUCTOR_NAME_MAX - 1];
    if (d->adm == NULL ||
        cadm_authorize(d->adm, key_b64, name, sizeof name) != 0) {
      return -1;
    }
    snprintf(router, CONDUCTOR_NAME_MAX, "@%s", name);
    return 0;
  }
  return conductor_store_lookup_key(d->store, key_b64, router,
                                    CONDUCTOR_NAME_MAX) == 0
             ? 0
             : -1;
}

/* cadm_opts callbacks */
static void *adm_find(const char *router, const char *node, char *node_out,
                      uint16_t *version, void *ud) {
  cnd *d = ud;
  dconn *c, *best = NULL;
  for (c = d->conns; c; c = c->next) {
    if (c->sc == NULL || !c->hello_done || strcmp(c->router, router) != 0 ||
        (node && strcmp(c->node, node) != 0)) {
      continue;
    }
    if (best == NULL || c->version > best->version) {
      best = c;
    }
  }
  if (best) {
    snprintf(node_out, CONDUCTOR_NAME_MAX, "%s", best->node);
    *version = best->version;
  }
  return best;
}

static void adm_send(void *link, const uint8_t *frame, size_t len, void *ud) {
  dconn *c = link;
  cnd *d = ud;
  if (c->sc == NULL || c->kill_sendbuf) {
    return;
  }
  if (conductor_sconn_send(c->sc, frame, len) == CONDUCTOR_ERR_NOBUF) {
    /* closed from the check handle, not from inside the relay */
    d->stats.sendbuf_closed++;
    clog_(d, 1, "%s (%s): send buffer over %zu bytes (it does not read), "
          "closing", conductor_sconn_router(c->sc), conductor_sconn_peer(c->sc),
          d->o.max_send_buffer);
    c->kill_sendbuf = 1;
    d->n_kill++;
    return;
  }
  update_poll(c);
}

static uint64_t adm_now(void *ud) {
  (void)ud;
  return uv_hrtime();
}

/* The asset channel's alarm (asset/major, the product's catalogue): the
 * asset of router.node stopped answering, or is back. */
static void asset_alarm(int raise, const char *router, const char *node,
                        const char *asset_id, void *ud) {
  cnd *d = ud;
  char msg[200];
  uint32_t num;
  if (conductor_store_begin(d->store) != 0) {
    clog_(d, 0, "store: %s", conductor_store_errmsg(d->store));
    return;
  }
  snprintf(msg, sizeof msg, "Asset %s is not running", asset_id);
  num = own_alarm_num(d, "asset", router, node, raise);
  if (num != 0) {
    if (!raise) {
      /* the text of the raise, whatever id the router says now */
      sqlite3_stmt *s;
      char id[200];
      snprintf(id, sizeof id, "%s.conductor:%u", d->node_name, num);
      if (sqlite3_prepare_v2(conductor_store_db(d->store),
                             "SELECT message FROM alarms WHERE alarm_id=?1",
                             -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW) {
          snprintf(msg, sizeof msg, "%s", sqlite3_column_text(s, 0));
        }
        sqlite3_finalize(s);
      }
    }
    own_alarm(d, raise, num, CONDUCTOR_SEV_MAJOR, "asset", msg);
  }
  if (conductor_store_commit(d->store) != 0) {
    clog_(d, 0, "store: %s", conductor_store_errmsg(d->store));
    conductor_store_rollback(d->store);
  }
}

int cnd_new(cnd **pc, uv_loop_t *loop, const cnd_opts *o, char *err,
            size_t errcap) {
  cnd *d;
  conductor_server_callbacks cb;
  struct stat st;
  int rv;
  d = calloc(1, sizeof *d);
  if (d == NULL) {
    snprintf(err, errcap, "out of memory");
    return CONDUCTOR_ERR_NOMEM;
  }
  *pc = d;
  d->loop = loop;
  d->o = *o;
  if (d->o.ka_interval_s == 0) {
    d->o.ka_interval_s = CGLUE_KA_INTERVAL_DEFAULT_S;
  }
  if (d->o.ka_max == 0) {
    d->o.ka_max = CGLUE_KA_MAX_DEFAULT;
  }
  if (d->o.link_check_interval_s == 0) {
    d->o.link_check_interval_s = 10;
  }
  if (d->o.link_max_latency_ms <= 0) {
    d->o.link_max_latency_ms = 150;
  }
  if (d->o.link_max_loss_pct <= 0) {
    d->o.link_max_loss_pct = 0.01;
  }
  if (d->o.max_unauth == 0) {
    d->o.max_unauth = 256;
  }
  if (d->o.max_unauth_per_addr == 0) {
    d->o.max_unauth_per_addr = 16;
  }
  if (d->o.login_grace_s == 0) {
    d->o.login_grace_s = 10;
  }
  if (d->o.fd_reserve == 0) {
    d->o.fd_reserve = 64;
  }
  if (d->o.max_send_buffer == 0) {
    d->o.max_send_buffer = CONDUCTOR_SEND_LIMIT_DEFAULT;
  }
  d->unauth = calloc(d->o.max_unauth, sizeof *d->unauth);
  if (d->unauth == NULL) {
    snprintf(err, errcap, "out of memory");
    return CONDUCTOR_ERR_NOMEM;
  }
  {
    struct rlimit rl;
    rlim_t n = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
      n = rl.rlim_cur;
    }
    if (n > 1000000) {
      n = 1000000;
    }
    d->max_conns = n > d->o.fd_reserve ? (unsigned)(n - d->o.fd_reserve) : 0;
  }
  snprintf(d->node_name, sizeof d->node_name, "%s",
           o->node_name ? o->node_name : "cnd1");
  rv = conductor_store_open(&d->store, o->db_path, 0);
  if (rv != 0) {
    snprintf(err, errcap, "database %s: %s", o->db_path,
             conductor_store_errmsg(d->store));
    return rv;
  }
  log_store_settings(d);
  if (d->o.fault_kind != CND_FAULT_NONE) {
    clog_(d, 1, "fault injection armed: fault-kill-at %s:%llu (testing aid)",
          d->o.fault_kind == CND_FAULT_INSERT ? "insert" : "commit",
          (unsigned long long)d->o.fault_k);
  }
  load_own_seq(d);
  /* Numbers of this node's own alarms, one per subject (own_alarm_num). */
  if (sqlite3_exec(conductor_store_db(d->store),
                   "CREATE TABLE IF NOT EXISTS own_alarm_ids(kind TEXT NOT "
                   "NULL, a TEXT NOT NULL, b TEXT NOT NULL, num INTEGER NOT "
                   "NULL UNIQUE, PRIMARY KEY(kind, a, b)) WITHOUT ROWID",
                   NULL, NULL, NULL) != SQLITE_OK) {
    snprintf(err, errcap, "database %s: %s", o->db_path,
             sqlite3_errmsg(conductor_store_db(d->store)));
    return CONDUCTOR_ERR_DB;
  }
  /* Repository checks of the routers (docs/libconductor.md 2.8) and what
   * this node hosts, for svr-conductor show software repository. */
  if (sqlite3_exec(conductor_store_db(d->store),
                   "CREATE TABLE IF NOT EXISTS repo_status(router TEXT NOT "
                   "NULL, node TEXT NOT NULL, conductor_node TEXT NOT NULL, "
                   "source TEXT NOT NULL, status TEXT NOT NULL, reason TEXT "
                   "NOT NULL, latency_ns INTEGER NOT NULL, checked_ns INTEGER "
                   "NOT NULL, probe_ns INTEGER NOT NULL, probes INTEGER NOT "
                   "NULL, PRIMARY KEY(router, node, conductor_node)) WITHOUT "
                   "ROWID;"
                   "CREATE TABLE IF NOT EXISTS repo_hosted(conductor_node "
                   "TEXT PRIMARY KEY, repository TEXT NOT NULL) WITHOUT ROWID",
                   NULL, NULL, NULL) != SQLITE_OK) {
    snprintf(err, errcap, "database %s: %s", o->db_path,
             sqlite3_errmsg(conductor_store_db(d->store)));
    return CONDUCTOR_ERR_DB;
  }
  {
    sqlite3_stmt *hs = NULL;
    if (sqlite3_prepare_v2(conductor_store_db(d->store),
                           "INSERT OR REPLACE INTO repo_hosted VALUES (?, ?)",
                           -1, &hs, NULL) == SQLITE_OK) {
      sqlite3_bind_text(hs, 1, d->node_name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(hs, 2, o->repository ? o->repository : "", -1,
                        SQLITE_TRANSIENT);
      sqlite3_step(hs);
      sqlite3_finalize(hs);
    }
  }
  rv = ckm_new(&d->keys, d->store, d->node_name, d->o.rekey_interval_ns,
               key_send, d->o.log, d->o.log_data, NULL, NULL);
  if (rv != 0) {
    snprintf(err, errcap, "key manager: %s", conductor_strerror(rv));
    return rv;
  }
  {
    cadm_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.admin_keys = o->admin_keys;
    ao.find = adm_find;
    ao.send = adm_send;
    ao.now = adm_now;
    ao.ud = d;
    ao.log = d->o.log;
    ao.log_data = d->o.log_data;
    rv = cadm_new(&d->adm, &ao);
    if (rv != 0) {
      snprintf(err, errcap, "out of memory");
      return rv;
    }
    d->o.admin_keys = NULL;
  }
  rv = cdpu_new(&d->dpu, d->store, d->node_name, dpu_send, d->o.log,
                d->o.log_data);
  if (rv != 0) {
    snprintf(err, errcap, "dynamic peer update: %s", conductor_strerror(rv));
    return rv;
  }
  if (stat(o->host_key, &st) != 0) {
    if (conductor_key_generate(o->host_key) != 0) {
      snprintf(err, errcap, "cannot create host key %s", o->host_key);
      return CONDUCTOR_ERR_IO;
    }
    clog_(d, 2, "created host key %s", o->host_key);
  }
  memset(&cb, 0, sizeof cb);
  cb.authorize = authorize;
  cb.on_frame = on_frame;
  cb.on_close = on_sconn_close;
  cb.log = srv_log;
  cb.auth_refused = on_auth_refused;
  d->rl_auth.burst = 20;
  rv = conductor_server_new(&d->srv, d->o.listen_addr, d->o.port, o->host_key,
                            &cb, d);
  if (rv != 0) {
    snprintf(err, errcap, "%s", conductor_server_errmsg(d->srv));
    return rv;
  }
  d->o.port = conductor_server_port(d->srv);
  conductor_server_set_send_limit(d->srv, d->o.max_send_buffer);
  if (d->o.asset_enabled) {
    casrv_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.listen_addr = d->o.listen_addr;
    ao.port_pub = d->o.asset_port_pub;
    ao.port_req = d->o.asset_port_req;
    ao.host_key = o->host_key;
    ao.node_name = d->node_name;
    ao.store = d->store;
    ao.version_check_ns = d->o.asset_version_check_ns;
    ao.alarm = asset_alarm;
    ao.alarm_data = d;
    ao.log = d->o.log;
    ao.log_data = d->o.log_data;
    rv = casrv_new(&d->assets, loop, &ao, err, errcap);
    if (rv != 0) {
      return rv;
    }
    clog_(d, 2, "asset channel on %u (keepalive) and %u (request/reply), "
                "TLS 1.3, routers authenticated by their enrolled key",
          (unsigned)casrv_port(d->assets, 1),
          (unsigned)casrv_port(d->assets, 2));
  }
  /* Connections left "connected" by a crash are stale. */
  sqlite3_exec(conductor_store_db(d->store),
               "UPDATE connections SET state='disconnected' WHERE "
               "state='connected'",
               NULL, NULL, NULL);
  uv_poll_init(loop, &d->listen_poll, conductor_server_fd(d->srv));
  d->listen_poll.data = d;
  uv_poll_start(&d->listen_poll, UV_READABLE, on_listen);
  uv_timer_init(loop, &d->accept_timer);
  d->accept_timer.data = d;
  uv_check_init(loop, &d->check);
  d->check.data = d;
  uv_check_start(&d->check, on_check);
  uv_timer_init(loop, &d->tick);
  d->tick.data = d;
  uv_timer_start(&d->tick, on_tick, 1000, 1000);
  clog_(d, 2, "conductor node %s listening on %s:%u (SSH subsystem %s)",
        d->node_name, d->o.listen_addr ? d->o.listen_addr : "0.0.0.0",
        (unsigned)d->o.port, CONDUCTOR_SUBSYSTEM);
  clog_(d, 2,
        "limits: %u connections (descriptor limit less %u), %u "
        "unauthenticated, %u per address, %u s to authenticate, send "
        "buffer %zu bytes",
        d->max_conns, d->o.fd_reserve, d->o.max_unauth,
        d->o.max_unauth_per_addr, d->o.login_grace_s, d->o.max_send_buffer);
  return 0;
}

void cnd_stop(cnd *d) {
  dconn *c, *next;
  const cnd_stats *st = &d->stats;
  int any = st->conn_refused_addr || st->conn_refused_fds ||
            st->conn_evicted || st->accept_emfile || st->login_timeouts ||
            st->sendbuf_closed || st->frames_refused || st->auth_refused;
  clog_(d, any ? 1 : 2,
        "counters: refused %llu (per-address limit) %llu (descriptor "
        "reserve), evicted %llu (unauthenticated limit), accept EMFILE "
        "%llu, login timeouts %llu, closed for send buffer %llu, refused "
        "frames %llu, refused authentications %llu (%llu connections "
        "closed at the limit)",
        (unsigned long long)st->conn_refused_addr,
        (unsigned long long)st->conn_refused_fds,
        (unsigned long long)st->conn_evicted,
        (unsigned long long)st->accept_emfile,
        (unsigned long long)st->login_timeouts,
        (unsigned long long)st->sendbuf_closed,
        (unsigned long long)st->frames_refused,
        (unsigned long long)st->auth_refused,
        (unsigned long long)st->auth_tries_closed);
  d->stopping = 1;
  d->flush_rows = 1;
  on_check(&d->check); /* commit and ack what is pending */
  for (c = d->conns; c; c = next) {
    next = c->next;
    if (c->sc) {
      conductor_sconn_close(c->sc, CONDUCTOR_ERR_CLOSED);
    }
  }
  casrv_stop(d->assets);
  d->flush_rows = 1;
  on_check(&d->check); /* connection rows */
  uv_close((uv_handle_t *)&d->listen_poll, NULL);
  uv_close((uv_handle_t *)&d->accept_timer, NULL);
  uv_close((uv_handle_t *)&d->check, NULL);
  uv_close((uv_handle_t *)&d->tick, NULL);
}

void cnd_del(cnd *d) {
  if (d == NULL) {
    return;
  }
  conductor_server_del(d->srv);
  ckm_del(d->keys);
  cdpu_del(d->dpu);
  cadm_del(d->adm);
  casrv_del(d->assets);
  conductor_store_close(d->store);
  free(d->batch);
  free(d->rows);
  free(d->unauth);
  free(d);
}

void cnd_get_stats(const cnd *d, cnd_stats *s) { *s = d->stats; }

uint16_t cnd_port(const cnd *d) { return d->o.port; }

uint16_t cnd_asset_port(const cnd *d, int ch) {
  return d->assets ? casrv_port(d->assets, ch) : 0;
}
