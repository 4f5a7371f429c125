/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conductor dynamic peer update (cdpu): docs/libconductor.md section 9.
 *
 * A router whose waypoint address is learned (DHCP, PPPoE; svr-router
 * follows its device through rtnetlink) reports it with ADDRESS: per
 * neighborhood, the interface and the address and port.  The conductor
 * node stores it (peer_addresses, SQLite) and, when it changed, pushes it
 * (PEER_ADDRESS) to every connected node of every router that peers with
 * the reporting router.  Who peers with whom is the conductor's one record
 * of router pairs, the security elements (`svr-conductor security add A
 * B`, conductor_keys.c): an element is the adjacency between two routers.
 * A router node that (re)connects gets the current addresses of all its
 * peers, so a change it missed while offline reaches it then;
 * `svr-conductor sync peer addresses [--router R]` asks the running node
 * (peer_address_sync, taken within a second) to push them again.  Each
 * push is recorded in peer_address_pushes for show dynamic-peer-update.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "conductor_glue.h"

typedef struct cdpu_link {
  void *h;
  int dead; /* gone while cdpu was busy: freed by sweep() */
  char router[CONDUCTOR_NAME_MAX], node[CONDUCTOR_NAME_MAX];
  struct cdpu_link *next;
} cdpu_link;

struct cdpu {
  conductor_store *store;
  sqlite3 *db;
  char node_name[CONDUCTOR_NAME_MAX];
  cdpu_send_fn send;
  cglue_log_fn log;
  void *ud;
  cdpu_link *links;
  int64_t data_version;
  uint64_t pushes, changes;
  /* A send may close a connection at once (send buffer full): while busy,
   * a link going down is only marked (as in conductor_keys.c). */
  int busy;
  int ndead;
};

static void plog(cdpu *p, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void plog(cdpu *p, int level, const char *fmt, ...) {
  char line[512];
  va_list ap;
  if (p->log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  p->log(level, line, p->ud);
}

static void sweep(cdpu *p) {
  cdpu_link **pp = &p->links, *l;
  if (p->busy || p->ndead == 0) {
    return;
  }
  while ((l = *pp) != NULL) {
    if (l->dead) {
      *pp = l->next;
      free(l);
    } else {
      pp = &l->next;
    }
  }
  p->ndead = 0;
}

/* 1 if routers |a| and |b| form a security element (they peer). */
static int peers(cdpu *p, const char *a, const char *b) {
  sqlite3_stmt *s;
  int yes = 0;
  if (strcmp(a, b) == 0 ||
      sqlite3_prepare_v2(p->db,
                         "SELECT 1 FROM security_elements WHERE "
                         "router_a=?1 AND router_b=?2",
                         -1, &s, NULL) != SQLITE_OK) {
    return 0;
  }
  sqlite3_bind_text(s, 1, strcmp(a, b) < 0 ? a : b, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, strcmp(a, b) < 0 ? b : a, -1, SQLITE_STATIC);
  yes = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return yes;
}

static int addr_to_text(char *out, size_t cap, int family,
                        const uint8_t *a) {
  return inet_ntop(family == 4 ? AF_INET : AF_INET6, a, out,
                   (socklen_t)cap) != NULL
             ? 0
             : -1;
}

static int addr_from_text(conductor_msg *m, const char *text) {
  memset(m->address, 0, sizeof m->address);
  if (inet_pton(AF_INET, text, m->address) == 1) {
    m->addr_family = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, m->address) == 1) {
    m->addr_family = 6;
    return 0;
  }
  return -1;
}

/* Sends one PEER_ADDRESS to |l| and records it. */
static void push(cdpu *p, cdpu_link *l, const conductor_msg *m,
                 const char *addr_text) {
  sqlite3_stmt *s;
  if (l->dead) {
    return;
  }
  p->send(l->h, m, p->ud);
  p->pushes++;
  plog(p, 2, "dynamic peer update: told router %s node %s: %s (node %s) "
             "in %s is at %s port %u",
       l->router, l->node, m->peer, m->node, m->neighborhood, addr_text,
       (unsigned)m->port);
  if (sqlite3_prepare_v2(
          p->db,
          "INSERT OR REPLACE INTO peer_address_pushes(router, node, "
          "conductor_node, peer, peer_node, neighborhood, address, port, "
          "pushed_ns) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
          -1, &s, NULL) != SQLITE_OK) {
    plog(p, 0, "peer address store: %s", sqlite3_errmsg(p->db));
    return;
  }
  sqlite3_bind_text(s, 1, l->router, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, l->node, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, p->node_name, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, m->peer, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, m->node, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, m->neighborhood, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 7, addr_text, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 8, m->port);
  sqlite3_bind_int64(s, 9, (sqlite3_int64)cglue_unix_ns());
  if (sqlite3_step(s) != SQLITE_DONE) {
    plog(p, 0, "peer address store: %s", sqlite3_errmsg(p->db));
  }
  sqlite3_finalize(s);
}

/* Pushes every stored address of every peer of |l|'s router to |l|. */
static void push_all_to(cdpu *p, cdpu_link *l) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(p->db,
                         "SELECT router, node, neighborhood, address, port "
                         "FROM peer_addresses ORDER BY router, node, "
                         "neighborhood",
                         -1, &s, NULL) != SQLITE_OK) {
    plog(p, 0, "peer address store: %s", sqlite3_errmsg(p->db));
    return;
  }
  while (!l->dead && sqlite3_step(s) == SQLITE_ROW) {
    const char *router = (const char *)sqlite3_column_text(s, 0);
    const char *node = (const char *)sqlite3_column_text(s, 1);
    const char *nbh = (const char *)sqlite3_column_text(s, 2);
    const char *addr = (const char *)sqlite3_column_text(s, 3);
    int port = sqlite3_column_int(s, 4);
    conductor_msg m;
    if (router == NULL || node == NULL || nbh == NULL || addr == NULL ||
        port <= 0 || port > 65535 || !peers(p, l->router, router)) {
      continue;
    }
    memset(&m, 0, sizeof m);
    m.type = CONDUCTOR_MSG_PEER_ADDRESS;
    snprintf(m.peer, sizeof m.peer, "%s", router);
    snprintf(m.node, sizeof m.node, "%s", node);
    snprintf(m.neighborhood, sizeof m.neighborhood, "%s", nbh);
    m.port = (uint16_t)port;
    if (addr_from_text(&m, addr) != 0) {
      continue;
    }
    push(p, l, &m, addr);
  }
  sqlite3_finalize(s);
}

static void take_sync_requests(cdpu *p) {
  sqlite3_stmt *s;
  int64_t last = 0;
  if (sqlite3_prepare_v2(p->db,
                         "SELECT id, router FROM peer_address_sync ORDER "
                         "BY id",
                         -1, &s, NULL) != SQLITE_OK) {
    return;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(s, 1);
    char router[CONDUCTOR_NAME_MAX];
    cdpu_link *l;
    size_t n = 0;
    last = sqlite3_column_int64(s, 0);
    snprintf(router, sizeof router, "%s", r ? r : "");
    for (l = p->links; l; l = l->next) {
      if (!l->dead && (r == NULL || strcmp(l->router, router) == 0)) {
        push_all_to(p, l);
        n++;
      }
    }
    plog(p, 2, "sync peer addresses%s%s: %zu router node(s)",
         r ? ", router " : "", r ? router : "", n);
  }
  sqlite3_finalize(s);
  if (last && sqlite3_prepare_v2(p->db,
                                 "DELETE FROM peer_address_sync WHERE id<=?1",
                                 -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, last);
    sqlite3_step(s);
    sqlite3_finalize(s);
  }
}

/* ---- API ------------------------------------------------------------------ */

int cdpu_new(cdpu **pp, conductor_store *store, const char *node_name,
             cdpu_send_fn send, cglue_log_fn log, void *ud) {
  cdpu *p = calloc(1, sizeof *p);
  if (p == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  p->store = store;
  p->db = conductor_store_db(store);
  snprintf(p->node_name, sizeof p->node_name, "%s", node_name);
  p->send = send;
  p->log = log;
  p->ud = ud;
  conductor_store_data_version(store, &p->data_version);
  /* asked for while the daemon was not running: the routers get them at
   * their connect anyway */
  take_sync_requests(p);
  *pp = p;
  return 0;
}

void cdpu_del(cdpu *p) {
  cdpu_link *l, *next;
  if (p == NULL) {
    return;
  }
  for (l = p->links; l; l = next) {
    next = l->next;
    free(l);
  }
  free(p);
}

void cdpu_link_up(cdpu *p, void *h, const char *router, const char *node,
                  uint16_t version) {
  cdpu_link *l;
  if (version < CONDUCTOR_VERSION_DPU) {
    return; /* it cannot take PEER_ADDRESS */
  }
  l = calloc(1, sizeof *l);
  if (l == NULL) {
    return;
  }
  l->h = h;
  snprintf(l->router, sizeof l->router, "%s", router);
  snprintf(l->node, sizeof l->node, "%s", node);
  l->next = p->links;
  p->links = l;
  p->busy++;
  push_all_to(p, l); /* catch up with what changed while it was away */
  p->busy--;
  sweep(p);
}

void cdpu_link_down(cdpu *p, void *h) {
  cdpu_link *l;
  for (l = p->links; l; l = l->next) {
    if (!l->dead && l->h == h) {
      l->dead = 1;
      p->ndead++;
    }
  }
  sweep(p);
}

int cdpu_on_address(cdpu *p, void *h, const conductor_msg *m, char *why,
                    size_t whycap) {
  cdpu_link *from = NULL, *l;
  sqlite3_stmt *s;
  char text[INET6_ADDRSTRLEN], old[INET6_ADDRSTRLEN] = "";
  int old_port = 0, known = 0, changed;
  size_t n = 0;
  conductor_msg pm;
  for (l = p->links; l; l = l->next) {
    if (!l->dead && l->h == h) {
      from = l;
    }
  }
  if (from == NULL) {
    snprintf(why, whycap, "ADDRESS needs IPC version %d", CONDUCTOR_VERSION_DPU);
    return CONDUCTOR_ERR_UNEXPECTED;
  }
  if (!cglue_name_ok(m->neighborhood) || !cglue_name_ok(m->interface)) {
    snprintf(why, whycap, "%s name: 1-63 characters of A-Z a-z 0-9 . _ -",
             cglue_name_ok(m->neighborhood) ? "interface" : "neighborhood");
    return CONDUCTOR_ERR_FIELD_VALUE;
  }
  if (addr_to_text(text, sizeof text, m->addr_family, m->address) != 0) {
    snprintf(why, whycap, "address family %u", (unsigned)m->addr_family);
    return CONDUCTOR_ERR_FIELD_VALUE;
  }
  if (sqlite3_prepare_v2(p->db,
                         "SELECT address, port FROM peer_addresses WHERE "
                         "router=?1 AND node=?2 AND neighborhood=?3",
                         -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, from->router, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, from->node, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, m->neighborhood, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
      known = 1;
      snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(s, 0));
      old_port = sqlite3_column_int(s, 1);
    }
    sqlite3_finalize(s);
  }
  changed = !known || strcmp(old, text) != 0 || old_port != m->port;
  if (sqlite3_prepare_v2(
          p->db,
          "INSERT INTO peer_addresses(router, node, neighborhood, interface, "
          "address, port, updated_ns, change_count) "
          "VALUES(?1,?2,?3,?4,?5,?6,?7,0) "
          "ON CONFLICT(router, node, neighborhood) DO UPDATE SET "
          "interface=?4, address=?5, port=?6, updated_ns=?7, "
          "change_count=change_count+?8",
          -1, &s, NULL) != SQLITE_OK) {
    snprintf(why, whycap, "store: %s", sqlite3_errmsg(p->db));
    return CONDUCTOR_ERR_DB;
  }
  sqlite3_bind_text(s, 1, from->router, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, from->node, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, m->neighborhood, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, m->interface, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 6, m->port);
  sqlite3_bind_int64(s, 7, (sqlite3_int64)cglue_unix_ns());
  sqlite3_bind_int(s, 8, changed && known);
  if (sqlite3_step(s) != SQLITE_DONE) {
    snprintf(why, whycap, "store: %s", sqlite3_errmsg(p->db));
    sqlite3_finalize(s);
    return CONDUCTOR_ERR_DB;
  }
  sqlite3_finalize(s);
  if (!changed) {
    return 0; /* its peers have it (pushed at the change or their connect) */
  }
  p->changes++;
  memset(&pm, 0, sizeof pm);
  pm.type = CONDUCTOR_MSG_PEER_ADDRESS;
  snprintf(pm.peer, sizeof pm.peer, "%s", from->router);
  snprintf(pm.node, sizeof pm.node, "%s", from->node);
  snprintf(pm.neighborhood, sizeof pm.neighborhood, "%s", m->neighborhood);
  pm.addr_family = m->addr_family;
  memcpy(pm.address, m->address, sizeof pm.address);
  pm.port = m->port;
  p->busy++;
  for (l = p->links; l; l = l->next) {
    if (!l->dead && peers(p, l->router, from->router)) {
      push(p, l, &pm, text);
      n++;
    }
  }
  p->busy--;
  {
    char was[INET6_ADDRSTRLEN + 16];
    if (known) {
      snprintf(was, sizeof was, "%s port %d", old, old_port);
    } else {
      snprintf(was, sizeof was, "(new)");
    }
    plog(p, 2, "dynamic peer update: router %s node %s in %s (interface "
               "%s): %s -> %s port %u, pushed to %zu router node(s)",
         from->router, from->node, m->neighborhood, m->interface, was, text,
         (unsigned)m->port, n);
  }
  sweep(p);
  return 1;
}

void cdpu_tick(cdpu *p) {
  int64_t v;
  if (conductor_store_data_version(p->store, &v) == 0 &&
      v != p->data_version) {
    p->data_version = v;
    p->busy++;
    take_sync_requests(p);
    p->busy--;
    sweep(p);
  }
}

void cdpu_get_stats(const cdpu *p, uint64_t *changes, uint64_t *pushes) {
  *changes = p->changes;
  *pushes = p->pushes;
}
