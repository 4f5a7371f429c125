/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conductor key manager (ckm): the data-plane keys of security elements,
 * generated, stored and pushed by a conductor node (docs/libconductor.md
 * section 8).
 *
 * A security element is an unordered pair of routers {A, B} configured on
 * the conductor node (`svr-conductor security add A B`): the adjacency
 * between them, whose every path uses one key.  Its keys are numbered by a
 * rekey index (1, 2, ...).  A rekey of an element is two-phase so that no
 * flow drops:
 *   1. a fresh random key N+1 is stored (SQLite, one transaction) and an
 *      ADD is sent to every connected node of A and B;
 *   2. once A and B each have a connected node and every connected node of
 *      both acknowledged the ADD, ACTIVATE N+1 goes to all of them;
 *   3. once every one of them acknowledged the ACTIVATE, REMOVE N (the
 *      previous key) goes to all, and its row is deleted.
 * A router node that (re)connects gets the element's active key (ADD +
 * ACTIVATE) and the pending one (ADD), so it catches up with what it
 * missed; an offline router holds up phase 2, so its peer keeps sending
 * with the key both have.  A rekey asked for while one is pending runs
 * when the pending one is activated.
 *
 * Per router node and element, key_status keeps the rekey index the node
 * acknowledged activating, when, how many changes and how many errors
 * (show security key-status).  The key material is never logged.
 *
 * Scale (10,000 routers, bench/conductor_scale --fleet-rekey): routers are
 * found by name in a hash table that lists each router's elements and
 * connected nodes, links by their handle in another, so an ack, a send to
 * an element or a catch-up costs the router's own elements and nodes, not
 * the whole fleet; a link keeps state only for its router's elements.
 * Database writes (keys, element indexes, key status) are queued and done
 * by ckm_flush() in one transaction per event-loop turn, and the KEYs that
 * follow them are sent only after that COMMIT: a fleet rekey costs a few
 * fsyncs, not three per element, and a key is never activated on the
 * routers before the database says so.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sqlite3.h>

#include "conductor_glue.h"

#define CKM_KEYLEN 32

typedef struct ckm_elem {
  char a[CONDUCTOR_NAME_MAX], b[CONDUCTOR_NAME_MAX]; /* a < b */
  uint32_t active, pending, old;
  uint8_t key_active[CKM_KEYLEN], key_pending[CKM_KEYLEN];
  int wanted; /* a rekey was asked for while one was pending */
  int gone;   /* removed from the configuration */
  int seen;   /* reload bookkeeping */
} ckm_elem;

typedef struct ckm_rt ckm_rt;

typedef struct ckm_le { /* one link's view of one element */
  uint32_t add, act;    /* highest index acknowledged on this connection */
  int loaded;           /* status row read */
  uint32_t index;       /* status: index it acknowledged activating */
  uint64_t last_rekey_ns, changes, errors;
} ckm_le;

typedef struct ckm_link {
  void *h;
  int dead; /* gone while ckm was busy: freed by sweep() */
  char router[CONDUCTOR_NAME_MAX], node[CONDUCTOR_NAME_MAX];
  ckm_rt *rt;
  ckm_le *le; /* [rt->capel]: le[j] is about element rt->el[j] */
  struct ckm_link *rnext; /* the router's links */
  struct ckm_link *hnext; /* hash chain by handle */
  struct ckm_link *dnext; /* dead list */
} ckm_link;

/* One router name: its elements and its connected nodes. */
struct ckm_rt {
  char name[CONDUCTOR_NAME_MAX];
  size_t *el;
  size_t nel, capel;
  ckm_link *links;
  ckm_rt *hnext;
};

#define CKM_HBUCKETS 16384u

/* A database write queued for ckm_flush(). */
enum { W_ELEM = 1, W_KEY, W_DELKEYS, W_STATUS };
typedef struct ckm_write {
  int kind;
  char a[CONDUCTOR_NAME_MAX], b[CONDUCTOR_NAME_MAX]; /* element; status:
                                                      * router, peer */
  char node[CONDUCTOR_NAME_MAX];
  uint32_t i1, i2;        /* active, pending / key index / below */
  uint8_t key[CKM_KEYLEN];
  uint64_t last_ns, changes, errors;
  char *error; /* status: last error text (malloc'ed) or NULL */
} ckm_write;

/* A KEY held back until the writes before it are committed. */
typedef struct ckm_out {
  void *h;
  conductor_msg m;
} ckm_out;

struct ckm {
  conductor_store *store;
  sqlite3 *db;
  char node_name[CONDUCTOR_NAME_MAX];
  uint64_t interval_ns;
  uint64_t next_rekey_ns; /* Unix, 0 = never */
  ckm_send_fn send;
  cglue_log_fn log;
  void *ud;
  ckm_clock_fn clock;
  void *clock_ud;
  ckm_elem *elem;
  size_t nelem, nelem_cap;
  ckm_rt *rt_hash[CKM_HBUCKETS];
  ckm_link *link_hash[CKM_HBUCKETS];
  ckm_link *dead_links;
  ckm_write *w;
  size_t nw, capw;
  ckm_out *out;
  size_t nout, capout;
  int64_t data_version;
  uint64_t rekeys_started, activations;
  /* A send may close a connection at once (its send buffer is full), and
   * then ckm_link_down() runs inside our own loop over the links: while
   * busy, a link going down is only marked, and freed by sweep(). */
  int busy;
  int ndead;
};

static void sweep(ckm *k);

static uint64_t ckm_now(const ckm *k) {
  return k->clock ? k->clock(k->clock_ud) : cglue_unix_ns();
}

static void klog(ckm *k, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void klog(ckm *k, int level, const char *fmt, ...) {
  char line[512];
  va_list ap;
  if (k->log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  k->log(level, line, k->ud);
}

static int exec(ckm *k, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(k->db, sql, NULL, NULL, &err) != SQLITE_OK) {
    klog(k, 0, "key store: %s: %s", sql, err ? err : "?");
    sqlite3_free(err);
    return -1;
  }
  return 0;
}

/* ---- persistence --------------------------------------------------------- */

static int load_key(ckm *k, const ckm_elem *e, uint32_t index, uint8_t *out) {
  sqlite3_stmt *s;
  int rv = -1;
  if (sqlite3_prepare_v2(k->db,
                         "SELECT key FROM security_keys WHERE router_a=?1 "
                         "AND router_b=?2 AND key_index=?3",
                         -1, &s, NULL) != SQLITE_OK) {
    return -1;
  }
  sqlite3_bind_text(s, 1, e->a, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, e->b, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, index);
  if (sqlite3_step(s) == SQLITE_ROW &&
      sqlite3_column_bytes(s, 0) == CKM_KEYLEN) {
    memcpy(out, sqlite3_column_blob(s, 0), CKM_KEYLEN);
    rv = 0;
  }
  sqlite3_finalize(s);
  return rv;
}

static ckm_write *wq(ckm *k, int kind) {
  ckm_write *w;
  if (k->nw == k->capw) {
    size_t cap = k->capw ? 2 * k->capw : 256;
    ckm_write *p = realloc(k->w, cap * sizeof *p);
    if (p == NULL) {
      klog(k, 0, "key store: out of memory");
      return NULL;
    }
    k->w = p;
    k->capw = cap;
  }
  w = &k->w[k->nw++];
  memset(w, 0, sizeof *w);
  w->kind = kind;
  return w;
}

static void save_elem(ckm *k, const ckm_elem *e) {
  ckm_write *w = wq(k, W_ELEM);
  if (w) {
    snprintf(w->a, sizeof w->a, "%s", e->a);
    snprintf(w->b, sizeof w->b, "%s", e->b);
    w->i1 = e->active;
    w->i2 = e->pending;
  }
}

static void delete_keys_below(ckm *k, const ckm_elem *e, uint32_t index) {
  ckm_write *w = wq(k, W_DELKEYS);
  if (w) {
    snprintf(w->a, sizeof w->a, "%s", e->a);
    snprintf(w->b, sizeof w->b, "%s", e->b);
    w->i1 = index;
  }
}

static const char *other(const ckm_elem *e, const char *router) {
  return strcmp(e->a, router) == 0 ? e->b : e->a;
}

static int in_elem(const ckm_elem *e, const char *router) {
  return !e->gone && (strcmp(e->a, router) == 0 || strcmp(e->b, router) == 0);
}

static ckm_le *le_of(ckm_link *l, size_t ei);

static void status_load(ckm *k, ckm_link *l, size_t ei) {
  ckm_le *le = le_of(l, ei);
  sqlite3_stmt *s;
  if (le == NULL || le->loaded) {
    return;
  }
  le->loaded = 1;
  if (sqlite3_prepare_v2(k->db,
                         "SELECT rekey_index, last_rekey_ns, change_count, "
                         "error_count FROM key_status WHERE router=?1 AND "
                         "node=?2 AND peer=?3 AND conductor_node=?4",
                         -1, &s, NULL) != SQLITE_OK) {
    return;
  }
  sqlite3_bind_text(s, 1, l->router, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, l->node, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, other(&k->elem[ei], l->router), -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, k->node_name, -1, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW) {
    le->index = (uint32_t)sqlite3_column_int64(s, 0);
    le->last_rekey_ns = (uint64_t)sqlite3_column_int64(s, 1);
    le->changes = (uint64_t)sqlite3_column_int64(s, 2);
    le->errors = (uint64_t)sqlite3_column_int64(s, 3);
  }
  sqlite3_finalize(s);
}

static ckm_le *le_of(ckm_link *l, size_t ei);

static void status_save(ckm *k, ckm_link *l, size_t ei, const char *error) {
  ckm_le *le = le_of(l, ei);
  ckm_write *w = le ? wq(k, W_STATUS) : NULL;
  if (w == NULL) {
    return;
  }
  snprintf(w->a, sizeof w->a, "%s", l->router);
  snprintf(w->node, sizeof w->node, "%s", l->node);
  snprintf(w->b, sizeof w->b, "%s", other(&k->elem[ei], l->router));
  w->i1 = le->index;
  w->last_ns = le->last_rekey_ns;
  w->changes = le->changes;
  w->errors = le->errors;
  w->error = error ? strdup(error) : NULL;
}

/* Runs the queued writes in one transaction, then sends the KEYs held
 * back for them.  Called once per event-loop turn. */
void ckm_flush(ckm *k) {
  static const char *const sql[] = {
      NULL,
      "UPDATE security_elements SET active_index=?3, pending_index=?4 WHERE "
      "router_a=?1 AND router_b=?2",
      "INSERT OR REPLACE INTO security_keys(router_a, router_b, key_index, "
      "key, created_ns) VALUES(?1,?2,?3,?4,?5)",
      "DELETE FROM security_keys WHERE router_a=?1 AND router_b=?2 AND "
      "key_index<?3",
      "INSERT INTO key_status(router, node, peer, conductor_node, "
      "rekey_index, last_rekey_ns, change_count, error_count, last_error, "
      "updated_ns) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON "
      "CONFLICT(router, node, peer, conductor_node) DO UPDATE SET "
      "rekey_index=?5, last_rekey_ns=?6, change_count=?7, error_count=?8, "
      "last_error=coalesce(?9, last_error), updated_ns=?10"};
  sqlite3_stmt *st[5] = {NULL, NULL, NULL, NULL, NULL};
  size_t i;
  int ok = 1, kind;
  uint64_t now = ckm_now(k);
  if (k->nw == 0 && k->nout == 0) {
    return;
  }
  if (k->nw > 0) {
    ok = exec(k, "BEGIN IMMEDIATE") == 0;
    for (kind = 1; ok && kind <= W_STATUS; kind++) {
      ok = sqlite3_prepare_v2(k->db, sql[kind], -1, &st[kind], NULL) ==
           SQLITE_OK;
    }
    for (i = 0; ok && i < k->nw; i++) {
      ckm_write *w = &k->w[i];
      sqlite3_stmt *s = st[w->kind];
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
      sqlite3_bind_text(s, 1, w->a, -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 2, w->b, -1, SQLITE_STATIC);
      switch (w->kind) {
      case W_ELEM:
        sqlite3_bind_int64(s, 3, w->i1);
        sqlite3_bind_int64(s, 4, w->i2);
        break;
      case W_KEY:
        sqlite3_bind_int64(s, 3, w->i1);
        sqlite3_bind_blob(s, 4, w->key, CKM_KEYLEN, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)now);
        break;
      case W_DELKEYS:
        sqlite3_bind_int64(s, 3, w->i1);
        break;
      default: /* W_STATUS: a = router, b = peer */
        sqlite3_bind_text(s, 2, w->node, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, w->b, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, k->node_name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, w->i1);
        sqlite3_bind_int64(s, 6, (sqlite3_int64)w->last_ns);
        sqlite3_bind_int64(s, 7, (sqlite3_int64)w->changes);
        sqlite3_bind_int64(s, 8, (sqlite3_int64)w->errors);
        if (w->error) {
          sqlite3_bind_text(s, 9, w->error, -1, SQLITE_STATIC);
        } else {
          sqlite3_bind_null(s, 9);
        }
        sqlite3_bind_int64(s, 10, (sqlite3_int64)now);
        break;
      }
      ok = sqlite3_step(s) == SQLITE_DONE;
    }
    for (kind = 1; kind <= W_STATUS; kind++) {
      sqlite3_finalize(st[kind]);
    }
    if (!ok || exec(k, "COMMIT") != 0) {
      klog(k, 0, "key store: %zu writes not stored: %s; the keys waiting "
                 "for them are not sent",
           k->nw, sqlite3_errmsg(k->db));
      exec(k, "ROLLBACK");
      ok = 0;
    }
    for (i = 0; i < k->nw; i++) {
      explicit_bzero(k->w[i].key, CKM_KEYLEN);
      free(k->w[i].error);
    }
    k->nw = 0;
  }
  k->busy++;
  for (i = 0; i < k->nout; i++) {
    ckm_link *l;
    if (ok) {
      /* the link may have gone since: look it up again */
      for (l = k->link_hash[((uintptr_t)k->out[i].h >> 4) % CKM_HBUCKETS]; l;
           l = l->hnext) {
        if (l->h == k->out[i].h && !l->dead) {
          k->send(l->h, &k->out[i].m, k->ud);
          break;
        }
      }
    }
    explicit_bzero(&k->out[i].m, sizeof k->out[i].m);
  }
  k->nout = 0;
  k->busy--;
  sweep(k);
}

static void save_schedule(ckm *k) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(k->db,
                         "INSERT OR REPLACE INTO key_manager(conductor_node, "
                         "interval_ns, next_rekey_ns) VALUES(?1,?2,?3)",
                         -1, &s, NULL) != SQLITE_OK) {
    return;
  }
  sqlite3_bind_text(s, 1, k->node_name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (sqlite3_int64)k->interval_ns);
  sqlite3_bind_int64(s, 3, (sqlite3_int64)k->next_rekey_ns);
  sqlite3_step(s);
  sqlite3_finalize(s);
}

/* ---- links ---------------------------------------------------------------- */

static unsigned name_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) {
    h = (h ^ (uint8_t)*s) * 16777619u;
  }
  return h % CKM_HBUCKETS;
}

static ckm_rt *rt_get(ckm *k, const char *name, int create) {
  unsigned b = name_hash(name);
  ckm_rt *r;
  for (r = k->rt_hash[b]; r; r = r->hnext) {
    if (strcmp(r->name, name) == 0) {
      return r;
    }
  }
  if (!create || (r = calloc(1, sizeof *r)) == NULL) {
    return NULL;
  }
  snprintf(r->name, sizeof r->name, "%s", name);
  r->hnext = k->rt_hash[b];
  k->rt_hash[b] = r;
  return r;
}

/* Element |ei| joins router |r|: every link of |r| gets a slot for it. */
static int rt_add_elem(ckm_rt *r, size_t ei) {
  ckm_link *l;
  if (r->nel == r->capel) {
    size_t cap = r->capel ? 2 * r->capel : 2;
    size_t *p = realloc(r->el, cap * sizeof *p);
    if (p == NULL) {
      return -1;
    }
    r->el = p;
    for (l = r->links; l; l = l->rnext) {
      ckm_le *q = realloc(l->le, cap * sizeof *q);
      if (q == NULL) {
        return -1;
      }
      memset(q + r->capel, 0, (cap - r->capel) * sizeof *q);
      l->le = q;
    }
    r->capel = cap;
  }
  r->el[r->nel++] = ei;
  return 0;
}

static ckm_le *le_of(ckm_link *l, size_t ei) {
  size_t j;
  for (j = 0; j < l->rt->nel; j++) {
    if (l->rt->el[j] == ei) {
      return &l->le[j];
    }
  }
  return NULL;
}

static unsigned ptr_hash(const void *h) {
  return (unsigned)(((uintptr_t)h >> 4) % CKM_HBUCKETS);
}

static ckm_link *find_link(ckm *k, void *h) {
  ckm_link *l;
  for (l = k->link_hash[ptr_hash(h)]; l; l = l->hnext) {
    if (!l->dead && l->h == h) {
      return l;
    }
  }
  return NULL;
}

static void send_key(ckm *k, ckm_link *l, size_t ei, uint32_t index,
                     uint8_t op) {
  const ckm_elem *e = &k->elem[ei];
  conductor_msg m;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_KEY;
  snprintf(m.peer, sizeof m.peer, "%s", other(e, l->router));
  m.key_index = index;
  m.key_op = op;
  m.interval_ns = k->interval_ns;
  if (op == CONDUCTOR_KEY_ADD) {
    memcpy(m.key, index == e->pending ? e->key_pending : e->key_active,
           CKM_KEYLEN);
    m.keylen = CKM_KEYLEN;
  }
  if (k->nw > 0 || k->nout > 0) {
    /* after the writes queued before it (ckm_flush), in order */
    if (k->nout == k->capout) {
      size_t cap = k->capout ? 2 * k->capout : 256;
      ckm_out *p = realloc(k->out, cap * sizeof *p);
      if (p == NULL) {
        klog(k, 0, "key manager: out of memory, a KEY not sent");
        explicit_bzero(&m, sizeof m);
        return;
      }
      k->out = p;
      k->capout = cap;
    }
    k->out[k->nout].h = l->h;
    k->out[k->nout].m = m;
    k->nout++;
  } else {
    k->send(l->h, &m, k->ud);
  }
  explicit_bzero(&m, sizeof m);
}

static void send_all(ckm *k, size_t ei, uint32_t index, uint8_t op) {
  const ckm_elem *e = &k->elem[ei];
  ckm_rt *r[2];
  ckm_link *l;
  int i;
  r[0] = rt_get(k, e->a, 0);
  r[1] = rt_get(k, e->b, 0);
  for (i = 0; i < 2; i++) {
    for (l = r[i] ? r[i]->links : NULL; l; l = l->rnext) {
      if (!l->dead) {
        send_key(k, l, ei, index, op);
      }
    }
  }
}

/* Both routers have a node connected, and every connected node of either
 * acknowledged |index| in phase |op|. */
static int all_acked(ckm *k, size_t ei, uint32_t index, uint8_t op) {
  const ckm_elem *e = &k->elem[ei];
  ckm_rt *r[2];
  ckm_link *l;
  int i, have[2] = {0, 0};
  if (e->gone) {
    return 0;
  }
  r[0] = rt_get(k, e->a, 0);
  r[1] = rt_get(k, e->b, 0);
  for (i = 0; i < 2; i++) {
    for (l = r[i] ? r[i]->links : NULL; l; l = l->rnext) {
      ckm_le *le;
      if (l->dead || (le = le_of(l, ei)) == NULL) {
        continue;
      }
      if ((op == CONDUCTOR_KEY_ADD ? le->add : le->act) < index) {
        return 0;
      }
      have[i] = 1;
    }
  }
  return have[0] && have[1];
}

static void start_rekey(ckm *k, size_t ei);

static void check_activate(ckm *k, size_t ei) {
  ckm_elem *e = &k->elem[ei];
  if (e->pending == 0 || !all_acked(k, ei, e->pending, CONDUCTOR_KEY_ADD)) {
    return;
  }
  e->old = e->active; /* 0 for the first key: nothing to remove later */
  e->active = e->pending;
  memcpy(e->key_active, e->key_pending, CKM_KEYLEN);
  explicit_bzero(e->key_pending, CKM_KEYLEN);
  e->pending = 0;
  save_elem(k, e);
  k->activations++;
  klog(k, 2, "security element %s <-> %s: key %lu installed on both, "
             "activating",
       e->a, e->b, (unsigned long)e->active);
  send_all(k, ei, e->active, CONDUCTOR_KEY_ACTIVATE);
  if (e->wanted) {
    e->wanted = 0;
    start_rekey(k, ei);
  }
}

static void check_remove(ckm *k, size_t ei) {
  ckm_elem *e = &k->elem[ei];
  if (e->old == 0 || !all_acked(k, ei, e->active, CONDUCTOR_KEY_ACTIVATE)) {
    return;
  }
  klog(k, 2, "security element %s <-> %s: both send with key %lu, removing "
             "key %lu",
       e->a, e->b, (unsigned long)e->active, (unsigned long)e->old);
  send_all(k, ei, e->old, CONDUCTOR_KEY_REMOVE);
  delete_keys_below(k, e, e->active);
  e->old = 0;
}

static void start_rekey(ckm *k, size_t ei) {
  ckm_elem *e = &k->elem[ei];
  uint32_t n;
  uint8_t key[CKM_KEYLEN];
  if (e->pending) {
    e->wanted = 1; /* after the pending one is activated */
    return;
  }
  n = e->active + 1;
  if (n == 0 || getrandom(key, sizeof key, 0) != (ssize_t)sizeof key) {
    klog(k, 0, "security element %s <-> %s: cannot make key %lu", e->a, e->b,
         (unsigned long)n);
    return;
  }
  {
    ckm_write *w = wq(k, W_KEY);
    if (w == NULL) {
      explicit_bzero(key, sizeof key);
      return;
    }
    snprintf(w->a, sizeof w->a, "%s", e->a);
    snprintf(w->b, sizeof w->b, "%s", e->b);
    w->i1 = n;
    memcpy(w->key, key, CKM_KEYLEN);
  }
  e->pending = n;
  save_elem(k, e); /* in the same transaction as the key (ckm_flush) */
  memcpy(e->key_pending, key, CKM_KEYLEN);
  explicit_bzero(key, sizeof key);
  k->rekeys_started++;
  klog(k, 2, "security element %s <-> %s: rekey index %lu, pushing the key",
       e->a, e->b, (unsigned long)n);
  send_all(k, ei, n, CONDUCTOR_KEY_ADD);
  check_activate(k, ei); /* nobody connected: waits; else on the acks */
}

/* ---- configuration -------------------------------------------------------- */

static ckm_elem *add_elem(ckm *k, const char *a, const char *b) {
  ckm_rt *ra, *rb;
  size_t ei;
  if (k->nelem == k->nelem_cap) {
    size_t cap = k->nelem_cap ? 2 * k->nelem_cap : 16;
    ckm_elem *p = realloc(k->elem, cap * sizeof *p);
    if (p == NULL) {
      return NULL;
    }
    k->elem = p;
    k->nelem_cap = cap;
  }
  ra = rt_get(k, a, 1);
  rb = rt_get(k, b, 1);
  ei = k->nelem;
  if (ra == NULL || rb == NULL || rt_add_elem(ra, ei) != 0 ||
      rt_add_elem(rb, ei) != 0) {
    return NULL; /* (a slot of ra may stay: harmless, never matched) */
  }
  memset(&k->elem[ei], 0, sizeof k->elem[0]);
  snprintf(k->elem[ei].a, sizeof k->elem[ei].a, "%s", a);
  snprintf(k->elem[ei].b, sizeof k->elem[ei].b, "%s", b);
  k->nelem++;
  return &k->elem[ei];
}

static ckm_elem *find_elem(ckm *k, const char *a, const char *b) {
  ckm_rt *r = rt_get(k, a, 0);
  size_t j;
  for (j = 0; r && j < r->nel; j++) {
    ckm_elem *e = &k->elem[r->el[j]];
    if (!e->gone && strcmp(e->a, a) == 0 && strcmp(e->b, b) == 0) {
      return e;
    }
  }
  return NULL;
}

/* (Re)reads security_elements: new ones are added (with the keys the
 * database holds for them), removed ones forgotten. */
static void load_elements(ckm *k) {
  sqlite3_stmt *s;
  size_t i;
  for (i = 0; i < k->nelem; i++) {
    k->elem[i].seen = 0;
  }
  if (sqlite3_prepare_v2(k->db,
                         "SELECT router_a, router_b, active_index, "
                         "pending_index FROM security_elements",
                         -1, &s, NULL) != SQLITE_OK) {
    klog(k, 0, "key store: %s", sqlite3_errmsg(k->db));
    return;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    const char *a = (const char *)sqlite3_column_text(s, 0);
    const char *b = (const char *)sqlite3_column_text(s, 1);
    ckm_elem *e = NULL;
    if (a == NULL || b == NULL) {
      continue;
    }
    e = find_elem(k, a, b);
    if (e == NULL) {
      e = add_elem(k, a, b);
      if (e == NULL) {
        break;
      }
      e->active = (uint32_t)sqlite3_column_int64(s, 2);
      e->pending = (uint32_t)sqlite3_column_int64(s, 3);
      if (e->active && load_key(k, e, e->active, e->key_active) != 0) {
        klog(k, 1, "security element %s <-> %s: key %lu missing", a, b,
             (unsigned long)e->active);
        e->active = 0;
      }
      if (e->pending && load_key(k, e, e->pending, e->key_pending) != 0) {
        e->pending = 0;
      }
      klog(k, 2, "security element %s <-> %s (rekey index %lu%s)", a, b,
           (unsigned long)e->active, e->pending ? ", a rekey pending" : "");
    }
    e->seen = 1;
  }
  sqlite3_finalize(s);
  for (i = 0; i < k->nelem; i++) {
    if (!k->elem[i].seen && !k->elem[i].gone) {
      klog(k, 2, "security element %s <-> %s removed", k->elem[i].a,
           k->elem[i].b);
      k->elem[i].gone = 1;
      explicit_bzero(k->elem[i].key_active, CKM_KEYLEN);
      explicit_bzero(k->elem[i].key_pending, CKM_KEYLEN);
    }
  }
}

static void rekey_matching(ckm *k, const char *router, const char *why) {
  size_t i, n = 0;
  for (i = 0; i < k->nelem; i++) {
    if (!k->elem[i].gone && (router == NULL || in_elem(&k->elem[i], router))) {
      start_rekey(k, i);
      n++;
    }
  }
  klog(k, n ? 2 : 1, "rekey (%s%s%s): %zu security element(s)", why,
       router ? ", router " : "", router ? router : "", n);
}

static void take_requests(ckm *k) {
  sqlite3_stmt *s;
  int64_t last = 0;
  if (sqlite3_prepare_v2(k->db,
                         "SELECT id, router FROM rekey_requests ORDER BY id",
                         -1, &s, NULL) != SQLITE_OK) {
    return;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(s, 1);
    char router[CONDUCTOR_NAME_MAX];
    last = sqlite3_column_int64(s, 0);
    snprintf(router, sizeof router, "%s", r ? r : "");
    rekey_matching(k, r ? router : NULL, "forced");
  }
  sqlite3_finalize(s);
  if (last && sqlite3_prepare_v2(k->db,
                                 "DELETE FROM rekey_requests WHERE id<=?1",
                                 -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, last);
    sqlite3_step(s);
    sqlite3_finalize(s);
  }
}

/* ---- API ------------------------------------------------------------------ */

int ckm_new(ckm **pk, conductor_store *store, const char *node_name,
            uint64_t interval_ns, ckm_send_fn send, cglue_log_fn log,
            void *ud, ckm_clock_fn clock, void *clock_ud) {
  ckm *k = calloc(1, sizeof *k);
  uint64_t now;
  if (k == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  k->clock = clock;
  k->clock_ud = clock_ud;
  now = ckm_now(k);
  k->store = store;
  k->db = conductor_store_db(store);
  snprintf(k->node_name, sizeof k->node_name, "%s", node_name);
  k->interval_ns = interval_ns;
  k->send = send;
  k->log = log;
  k->ud = ud;
  conductor_store_data_version(store, &k->data_version);
  load_elements(k);
  if (interval_ns) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(k->db,
                           "SELECT interval_ns, next_rekey_ns FROM "
                           "key_manager WHERE conductor_node=?1",
                           -1, &s, NULL) == SQLITE_OK) {
      sqlite3_bind_text(s, 1, k->node_name, -1, SQLITE_STATIC);
      if (sqlite3_step(s) == SQLITE_ROW &&
          (uint64_t)sqlite3_column_int64(s, 0) == interval_ns) {
        k->next_rekey_ns = (uint64_t)sqlite3_column_int64(s, 1);
      }
      sqlite3_finalize(s);
    }
    /* the schedule survives a restart; one missed while down runs now */
    if (k->next_rekey_ns == 0 || k->next_rekey_ns > now + interval_ns) {
      k->next_rekey_ns = now + interval_ns;
    }
  }
  save_schedule(k);
  take_requests(k); /* asked for while the daemon was not running */
  *pk = k;
  return 0;
}

void ckm_del(ckm *k) {
  unsigned b;
  size_t i;
  if (k == NULL) {
    return;
  }
  ckm_flush(k);
  for (b = 0; b < CKM_HBUCKETS; b++) {
    ckm_rt *r, *rn;
    for (r = k->rt_hash[b]; r; r = rn) {
      ckm_link *l, *ln;
      rn = r->hnext;
      for (l = r->links; l; l = ln) {
        ln = l->rnext;
        free(l->le);
        free(l);
      }
      free(r->el);
      free(r);
    }
  }
  while (k->dead_links) {
    ckm_link *l = k->dead_links;
    k->dead_links = l->dnext;
    free(l->le);
    free(l);
  }
  for (i = 0; i < k->nw; i++) {
    free(k->w[i].error);
  }
  if (k->w) {
    explicit_bzero(k->w, k->capw * sizeof *k->w);
  }
  free(k->w);
  if (k->out) {
    explicit_bzero(k->out, k->capout * sizeof *k->out);
  }
  free(k->out);
  if (k->elem) {
    explicit_bzero(k->elem, k->nelem_cap * sizeof *k->elem);
  }
  free(k->elem);
  free(k);
}

void ckm_link_up(ckm *k, void *h, const char *router, const char *node,
                 uint16_t version) {
  ckm_link *l;
  ckm_rt *r;
  size_t j;
  unsigned b;
  if (version < 3) {
    r = rt_get(k, router, 0);
    if (r && r->nel) {
      klog(k, 1, "router %s node %s speaks IPC v%u: it cannot take keys of "
                 "its %zu security element(s)",
           router, node, (unsigned)version, r->nel);
    }
    return;
  }
  r = rt_get(k, router, 1);
  l = calloc(1, sizeof *l);
  if (r == NULL || l == NULL ||
      (r->capel && (l->le = calloc(r->capel, sizeof *l->le)) == NULL)) {
    free(l);
    return;
  }
  l->h = h;
  l->rt = r;
  snprintf(l->router, sizeof l->router, "%s", router);
  snprintf(l->node, sizeof l->node, "%s", node);
  l->rnext = r->links;
  r->links = l;
  b = ptr_hash(h);
  l->hnext = k->link_hash[b];
  k->link_hash[b] = l;
  /* catch up: the active key, then the pending one */
  k->busy++;
  for (j = 0; j < r->nel; j++) {
    size_t i = r->el[j];
    if (k->elem[i].gone) {
      continue;
    }
    status_load(k, l, i);
    if (k->elem[i].active && !l->dead) {
      send_key(k, l, i, k->elem[i].active, CONDUCTOR_KEY_ADD);
    }
    if (k->elem[i].active && !l->dead) {
      send_key(k, l, i, k->elem[i].active, CONDUCTOR_KEY_ACTIVATE);
    }
    if (k->elem[i].pending && !l->dead) {
      send_key(k, l, i, k->elem[i].pending, CONDUCTOR_KEY_ADD);
    }
  }
  k->busy--;
  sweep(k);
}

/* Frees the links that went down and, with one node fewer to wait for,
 * lets their routers' elements move on. */
static void sweep(ckm *k) {
  while (k->busy == 0 && k->dead_links) {
    ckm_link *l = k->dead_links, **pp;
    ckm_rt *r = l->rt;
    size_t j;
    k->dead_links = l->dnext;
    k->ndead--;
    for (pp = &r->links; *pp; pp = &(*pp)->rnext) {
      if (*pp == l) {
        *pp = l->rnext;
        break;
      }
    }
    for (pp = &k->link_hash[ptr_hash(l->h)]; *pp; pp = &(*pp)->hnext) {
      if (*pp == l) {
        *pp = l->hnext;
        break;
      }
    }
    free(l->le);
    free(l);
    k->busy++;
    for (j = 0; j < r->nel; j++) {
      if (!k->elem[r->el[j]].gone) {
        check_activate(k, r->el[j]);
        check_remove(k, r->el[j]);
      }
    }
    k->busy--;
  }
}

void ckm_link_down(ckm *k, void *h) {
  ckm_link *l = find_link(k, h);
  if (l == NULL) {
    return;
  }
  l->dead = 1;
  l->dnext = k->dead_links;
  k->dead_links = l;
  k->ndead++;
  sweep(k);
}

static void on_ack(ckm *k, ckm_link *l, const conductor_msg *m);

void ckm_on_ack(ckm *k, void *h, const conductor_msg *m) {
  ckm_link *l = find_link(k, h);
  if (l == NULL) {
    return;
  }
  k->busy++;
  on_ack(k, l, m);
  k->busy--;
  sweep(k);
}

static void on_ack(ckm *k, ckm_link *l, const conductor_msg *m) {
  size_t j, ei = SIZE_MAX;
  ckm_le *le;
  for (j = 0; j < l->rt->nel; j++) {
    size_t i = l->rt->el[j];
    if (in_elem(&k->elem[i], l->router) &&
        strcmp(other(&k->elem[i], l->router), m->peer) == 0) {
      ei = i;
    }
  }
  if (ei == SIZE_MAX) {
    klog(k, 1, "router %s node %s: key ack for peer %s: no such security "
               "element",
         l->router, l->node, m->peer);
    return;
  }
  le = le_of(l, ei);
  status_load(k, l, ei);
  if (m->error_code != 0) {
    le->errors++;
    klog(k, 1, "router %s node %s could not %s key %lu for %s: %s",
         l->router, l->node,
         m->key_op == CONDUCTOR_KEY_ADD        ? "install"
         : m->key_op == CONDUCTOR_KEY_ACTIVATE ? "activate"
                                               : "remove",
         (unsigned long)m->key_index, m->peer, m->text);
    status_save(k, l, ei, m->text[0] ? m->text : "refused");
    return;
  }
  switch (m->key_op) {
  case CONDUCTOR_KEY_ADD:
    if (m->key_index > le->add) {
      le->add = m->key_index;
    }
    check_activate(k, ei);
    break;
  case CONDUCTOR_KEY_ACTIVATE:
    if (m->key_index > le->act) {
      le->act = m->key_index;
    }
    if (m->key_index > le->add) {
      le->add = m->key_index;
    }
    if (m->key_index != le->index) {
      le->index = m->key_index;
      le->changes++;
      le->last_rekey_ns = ckm_now(k);
      status_save(k, l, ei, NULL);
    }
    check_remove(k, ei);
    break;
  default:
    break;
  }
}

void ckm_resend(ckm *k, const char *router) {
  ckm_rt *rt = rt_get(k, router, 0);
  size_t j;
  k->busy++;
  for (j = 0; rt && j < rt->nel; j++) {
    size_t i = rt->el[j];
    ckm_elem *e = &k->elem[i];
    ckm_rt *r[2];
    ckm_link *l;
    int side;
    if (!in_elem(e, router) || e->active == 0) {
      continue;
    }
    r[0] = rt_get(k, e->a, 0);
    r[1] = rt_get(k, e->b, 0);
    for (side = 0; side < 2; side++) {
      for (l = r[side] ? r[side]->links : NULL; l; l = l->rnext) {
        if (!l->dead) {
          send_key(k, l, i, e->active, CONDUCTOR_KEY_ADD);
        }
        if (!l->dead) {
          send_key(k, l, i, e->active, CONDUCTOR_KEY_ACTIVATE);
        }
      }
    }
    klog(k, 2, "security element %s <-> %s: key %lu pushed again (the "
               "paths of %s moved)",
         e->a, e->b, (unsigned long)e->active, router);
  }
  k->busy--;
  sweep(k);
}

void ckm_tick(ckm *k) {
  int64_t v;
  uint64_t now;
  k->busy++;
  if (conductor_store_data_version(k->store, &v) == 0 &&
      v != k->data_version) {
    k->data_version = v;
    load_elements(k);
    take_requests(k);
  }
  now = ckm_now(k);
  if (k->interval_ns && now >= k->next_rekey_ns) {
    /* one interval after the previous due time, not after this tick: on
     * the 1 s tick a rekey-interval of whole seconds otherwise came out a
     * second longer whenever this tick ran a little later than the one
     * that is due (budget_measure: 6 s instead of 5 now and then) */
    k->next_rekey_ns += k->interval_ns;
    if (k->next_rekey_ns <= now) { /* missed (stopped, clock stepped) */
      k->next_rekey_ns = now + k->interval_ns;
    }
    save_schedule(k);
    rekey_matching(k, NULL, "rekey-interval");
  }
  k->busy--;
  sweep(k);
}

uint64_t ckm_next_rekey(const ckm *k) {
  return k->interval_ns ? k->next_rekey_ns : 0;
}

void ckm_get_stats(const ckm *k, uint64_t *rekeys, uint64_t *activations) {
  *rekeys = k->rekeys_started;
  *activations = k->activations;
}
