/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router alarms and the conductor link.
 *
 * The product's peer alarms (docs/svr-router.md "Alarms"):
 *   peer/major    "Peer <name> path is down"        one peer path left Up
 *   peer/critical "Peer <name> is not reachable"    every path to it down
 *   peer/major    "Peer <name> path MTU is unresolvable"
 * Each is logged when raised and cleared.  With 'conductor HOST[:PORT]' in
 * the configuration they also go to the conductor over the management
 * channel (libconductor router side, cli/glue/conductor_router.c): journaled
 * before they are sent, kept until every conductor node acknowledged them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <conductor/conductor.h>

#include "router.h"
#include "router_alarm.h"

static void cnd_log(int level, const char *text, void *ud) {
  rt *r = ud;
  /* errors and warnings always; connection events with -v */
  if (level <= 1 || r->verbose) {
    rt_log(r, "conductor: %s", text);
  }
}

int rt_alarm_init(rt *r, const rt_alarm_hooks *hooks, char *err,
                  size_t errlen) {
  const rc_config *c = r->cfg;
  rtr_opts o;
  size_t i;
  if (c->n_conductors == 0) {
    return 0;
  }
  /* The files are read when connecting; unreadable ones fail the start
   * here rather than as a stream of reconnect warnings. */
  {
    const char *files[2] = {c->conductor_key, c->conductor_known_hosts};
    const char *keys[2] = {"conductor-key", "conductor-known-hosts"};
    for (i = 0; i < 2; i++) {
      FILE *f = fopen(files[i], "r");
      if (f == NULL) {
        snprintf(err, errlen, "%s %s: %s", keys[i], files[i], strerror(errno));
        return -1;
      }
      fclose(f);
    }
  }
  memset(&o, 0, sizeof(o));
  o.router = c->router;
  o.node = c->node;
  o.key_path = c->conductor_key;
  o.known_hosts = c->conductor_known_hosts;
  o.state_dir = c->conductor_state_dir[0] ? c->conductor_state_dir : NULL;
  o.ka_interval_s = c->conductor_ka_s; /* 0: the glue's default */
  for (i = 0; i < c->n_conductors; i++) {
    o.conductors[i] = c->conductors[i];
  }
  o.n_conductors = (int)c->n_conductors;
  o.log = cnd_log;
  o.log_data = r;
  o.on_key = hooks->on_key;
  o.key_data = r;
  o.on_peer_address = hooks->on_peer_address;
  o.peer_address_data = r;
  o.log_dir = c->conductor_log_dir[0] ? c->conductor_log_dir : NULL;
  o.no_remote_login = c->remote_login_disabled;
  o.repo_source = c->software_repository[0] ? c->software_repository : NULL;
  o.asset_mode = c->asset_mode;
  o.asset_port_pub = c->asset_port_pub;
  o.asset_port_req = c->asset_port_req;
  for (i = 0; i < (size_t)c->n_software_available; i++) {
    o.software_available[i] = c->software_available[i];
  }
  o.n_software_available = c->n_software_available;
  if (rtr_new(&r->cnd, r->loop, &o, err, errlen) != 0) {
    r->cnd = NULL;
    return -1;
  }
  rt_log(r, "conductor link: %s%s%s (router %s, node %s)", c->conductors[0],
         c->n_conductors > 1 ? ", " : "",
         c->n_conductors > 1 ? c->conductors[1] : "", c->router, c->node);
  return 0;
}

void rt_alarm_stop(rt *r) {
  if (r->cnd) {
    rtr_stop(r->cnd);
  }
}

void rt_alarm_free(rt *r) {
  if (r->cnd) {
    rtr_del(r->cnd);
    r->cnd = NULL;
  }
  while (r->n_peers > 0) {
    free(r->peers[--r->n_peers].a);
  }
  free(r->peers);
  r->peers = NULL;
  r->n_peers = r->cap_peers = 0;
  rh_free(&r->peer_index);
}

void rt_alarm_raise(rt *r, rt_alarm *a, uint8_t sev, const char *category,
                    const char *source, const char *message) {
  if (a->active) {
    return;
  }
  memset(a, 0, sizeof(*a));
  a->sev = sev;
  snprintf(a->category, sizeof(a->category), "%s", category);
  snprintf(a->source, sizeof(a->source), "%s", source);
  snprintf(a->message, sizeof(a->message), "%s", message);
  if (r->cnd) {
    int rc = rtr_raise(r->cnd, sev, a->source, a->category, a->message,
                       &a->num);
    if (rc != 0) {
      rt_log(r, "alarm not sent to the conductor: %s", conductor_strerror(rc));
      a->num = ++r->local_alarms;
    }
  } else {
    a->num = ++r->local_alarms;
  }
  a->active = 1;
  rt_log(r, "alarm #%u raised (%s/%s, source %s): %s", a->num, a->category,
         conductor_severity_name(sev), a->source, a->message);
}

/* Peer alarms live in *|slot| while raised: allocated here, freed when
 * cleared. */
static void raise_alarm(rt *r, rt_alarm **slot, uint8_t sev,
                        const char *source, const char *message) {
  if (*slot == NULL && (*slot = calloc(1, sizeof(**slot))) == NULL) {
    rt_log(r, "alarm not raised (out of memory): %s", message);
    return;
  }
  rt_alarm_raise(r, *slot, sev, "peer", source, message);
}

void rt_alarm_clear(rt *r, rt_alarm *a) {
  if (!a->active) {
    return;
  }
  a->active = 0;
  if (r->cnd) {
    int rc = rtr_clear(r->cnd, a->num, a->sev, a->source, a->category,
                       a->message);
    if (rc != 0) {
      rt_log(r, "alarm clear not sent to the conductor: %s",
             conductor_strerror(rc));
    }
  }
  rt_log(r, "alarm #%u cleared (%s/%s, source %s)", a->num, a->category,
         conductor_severity_name(a->sev), a->source);
}

static void clear_alarm(rt *r, rt_alarm **slot) {
  if (*slot) {
    rt_alarm_clear(r, *slot);
    free(*slot);
    *slot = NULL;
  }
}

static int raised(const rt_alarm *a) { return a && a->active; }

static void path_source(const rt *r, const rt_path *p, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s/%s", r->cfg->node,
           r->cfg->interfaces[p->adj.interface].name, p->adj.address_text);
}

/* The entry of peer |name|, created on first use; NULL = out of memory.
 * A hash index by name: the linear scan it replaces made 10,000 paths
 * coming up or going down O(N^2). */
static rt_peer *peer_entry(rt *r, const char *name) {
  uint64_t h = rh_hash_str(name);
  size_t i, pos;
  rt_peer *e;
  if (r->peer_index.slot) {
    for (i = rh_first(&r->peer_index, h);
         (pos = rh_get(&r->peer_index, i)) != RH_NONE;
         i = rh_next(&r->peer_index, i)) {
      if (strcmp(r->peers[pos].name, name) == 0) {
        return &r->peers[pos];
      }
    }
  }
  if (r->n_peers == r->cap_peers) {
    size_t ncap = r->cap_peers ? 2 * r->cap_peers : 16;
    rt_peer *np = realloc(r->peers, ncap * sizeof(*np));
    rh_index ni;
    if (np == NULL || rh_init(&ni, ncap) != 0) {
      if (np) {
        r->peers = np; /* keeps the old entries */
      }
      return NULL;
    }
    r->peers = np;
    r->cap_peers = ncap;
    for (pos = 0; pos < r->n_peers; pos++) {
      rh_put(&ni, rh_hash_str(r->peers[pos].name), pos);
    }
    rh_free(&r->peer_index);
    r->peer_index = ni;
  }
  e = &r->peers[r->n_peers];
  memset(e, 0, sizeof(*e));
  snprintf(e->name, sizeof(e->name), "%s", name);
  rh_put(&r->peer_index, h, r->n_peers);
  r->n_peers++;
  return e;
}

int rt_alarm_link_peers(rt *r) {
  size_t i;
  int rc = 0;
  for (i = 0; i < r->n_peers; i++) {
    r->peers[i].first = NULL;
  }
  /* backwards, so that each chain is in configuration order */
  for (i = r->n_paths; i-- > 0;) {
    rt_path *p = r->paths[i];
    rt_peer *e = peer_entry(r, p->adj.peer);
    if (e == NULL) {
      p->peer_idx = SIZE_MAX;
      p->next_same_peer = NULL;
      rc = -1;
      continue;
    }
    p->peer_idx = (size_t)(e - r->peers);
    p->next_same_peer = e->first;
    e->first = p;
  }
  return rc;
}

static rt_peer *peer_of(rt *r, const rt_path *p) {
  return p->peer_idx < r->n_peers ? &r->peers[p->peer_idx] : NULL;
}

static int peer_has_path_up(rt *r, const rt_path *p) {
  const rt_peer *e = peer_of(r, p);
  const rt_path *q;
  for (q = e ? e->first : NULL; q; q = q->next_same_peer) {
    if (q != p && q->up_at) {
      return 1;
    }
  }
  return 0;
}

void rt_alarm_path(rt *r, rt_path *p, int up) {
  char src[RT_ALARM_SOURCE_MAX], msg[RT_ALARM_MESSAGE_MAX];
  rt_alarm **pa;
  if (r->stopping || p->retiring) {
    return; /* our own AdminDown: shutdown or a removed adjacency */
  }
  pa = peer_of(r, p) ? &peer_of(r, p)->a : NULL;
  if (up) {
    clear_alarm(r, &p->a_down);
    if (pa) {
      clear_alarm(r, pa);
    }
    return;
  }
  path_source(r, p, src, sizeof(src));
  snprintf(msg, sizeof(msg), "Peer %s path is down", p->adj.peer);
  raise_alarm(r, &p->a_down, CONDUCTOR_SEV_MAJOR, src, msg);
  if (pa && !peer_has_path_up(r, p)) {
    snprintf(msg, sizeof(msg), "Peer %s is not reachable", p->adj.peer);
    raise_alarm(r, pa, CONDUCTOR_SEV_CRITICAL, r->cfg->node, msg);
  }
}

void rt_alarm_pmtu(rt *r, rt_path *p, int unresolvable) {
  char src[RT_ALARM_SOURCE_MAX], msg[RT_ALARM_MESSAGE_MAX];
  if (!unresolvable) {
    clear_alarm(r, &p->a_mtu);
    return;
  }
  path_source(r, p, src, sizeof(src));
  snprintf(msg, sizeof(msg), "Peer %s path MTU is unresolvable", p->adj.peer);
  raise_alarm(r, &p->a_mtu, CONDUCTOR_SEV_MAJOR, src, msg);
}

void rt_alarm_retire(rt *r, rt_path *p) {
  rt_peer *e = peer_of(r, p);
  rt_path **pp;
  clear_alarm(r, &p->a_down);
  clear_alarm(r, &p->a_mtu);
  if (e == NULL) {
    return;
  }
  /* out of its peer's chain (it is freed next) */
  for (pp = &e->first; *pp; pp = &(*pp)->next_same_peer) {
    if (*pp == p) {
      *pp = p->next_same_peer;
      break;
    }
  }
  /* the last adjacency to that peer is gone: nothing left to reach */
  if (raised(e->a)) {
    const rt_path *q;
    int others = 0;
    for (q = e->first; q; q = q->next_same_peer) {
      others |= q->keep;
    }
    if (!others) {
      clear_alarm(r, &e->a);
    }
  }
}

/* ---- show alarms ----------------------------------------------------------- */

static int by_num(const void *x, const void *y) {
  const rt_alarm *a = *(const rt_alarm *const *)x;
  const rt_alarm *b = *(const rt_alarm *const *)y;
  return a->num < b->num ? -1 : a->num > b->num;
}

/* The active alarms, oldest (lowest number) first. */
static size_t collect(const rt *r, const rt_alarm **out, size_t max) {
  size_t i, n = 0;
  for (i = 0; i < r->n_paths; i++) {
    const rt_path *p = r->paths[i];
    if (p && raised(p->a_down) && n < max) {
      out[n++] = p->a_down;
    }
    if (p && raised(p->a_mtu) && n < max) {
      out[n++] = p->a_mtu;
    }
  }
  for (i = 0; i < r->n_peers; i++) {
    if (raised(r->peers[i].a) && n < max) {
      out[n++] = r->peers[i].a;
    }
  }
  if (r->keys.alarm.active && n < max) {
    out[n++] = &r->keys.alarm;
  }
  /* thousands when a head end loses its spokes: not an insertion sort */
  qsort(out, n, sizeof(*out), by_num);
  return n;
}

/* show software repository (docs/libconductor.md 2.8): this router's
 * checks of the conductor-hosted repository, one row per conductor node. */
void rt_repo_show(rt *r, rf_buf *b, int json) {
  const rc_config *c = r->cfg;
  int i, n = r->cnd ? rtr_n_conductors(r->cnd) : 0, rows = 0;
  const char *src = c->software_repository[0] ? c->software_repository
                                              : "internet-only";
  if (json) {
    rf_printf(b, "{\"source\":");
    rf_json_str(b, src);
    rf_printf(b, ",\"conductors\":[");
  } else {
    rf_printf(b, "Software repository source: %s%s\n", src,
              r->cnd && strcmp(src, "internet-only") != 0
                  ? ""
                  : " (no conductor-hosted repository checks)");
  }
  for (i = 0; i < n; i++) {
    rtr_repo_info ri;
    if (rtr_repo_status(r->cnd, i, &ri) != 0) {
      continue;
    }
    if (json) {
      rf_printf(b, "%s{\"conductor\":", rows ? "," : "");
      rf_json_str(b, ri.conductor);
      rf_printf(b, ",\"status\":\"%s\",\"reason\":", ri.status);
      rf_json_str(b, ri.reason);
      rf_printf(b, ",\"repository\":");
      rf_json_str(b, ri.repository);
      rf_printf(b, ",\"latency_ns\":%llu,\"last_check_ns\":%llu,"
                "\"checks\":%llu,\"failures\":%llu,\"bytes_sent\":%llu}",
                (unsigned long long)ri.latency_ns,
                (unsigned long long)ri.last_check_ns,
                (unsigned long long)ri.checks,
                (unsigned long long)ri.failures,
                (unsigned long long)ri.bytes_sent);
    } else {
      if (rows == 0) {
        rf_printf(b, "%-16s %-12s %-11s %7s %7s  %s\n", "Conductor", "Status",
                  "Latency(ms)", "Checks", "Failed", "Repository / Reason");
      }
      rf_printf(b, "%-16s %-12s %11.3f %7llu %7llu  %s\n", ri.conductor,
                ri.status, (double)ri.latency_ns / 1e6,
                (unsigned long long)ri.checks,
                (unsigned long long)ri.failures,
                ri.reason[0] ? ri.reason : ri.repository);
    }
    rows++;
  }
  rf_printf(b, json ? "]}\n" : "");
}

static void show(rt *r, rf_buf *b, int json, const rt_alarm **a, size_t n) {
  const rc_config *c = r->cfg;
  size_t i;
  if (json) {
    rf_printf(b, "{\"router\":");
    rf_json_str(b, c->router);
    rf_printf(b, ",\"node\":");
    rf_json_str(b, c->node);
    rf_printf(b, ",\"conductor\":");
    if (r->cnd) {
      rf_printf(b, "{\"nodes\":[");
      for (i = 0; i < c->n_conductors; i++) {
        rf_printf(b, "%s", i ? "," : "");
        rf_json_str(b, c->conductors[i]);
      }
      rf_printf(b, "],\"links_up\":%d,\"unacknowledged\":%zu}",
                rtr_links_up(r->cnd), rtr_pending(r->cnd));
    } else {
      rf_printf(b, "null");
    }
    rf_printf(b, ",\"alarms\":[");
    for (i = 0; i < n; i++) {
      rf_printf(b, "%s{\"id\":%u,\"severity\":\"%s\",\"category\":",
                i ? "," : "", a[i]->num, conductor_severity_name(a[i]->sev));
      rf_json_str(b, a[i]->category);
      rf_printf(b, ",\"source\":");
      rf_json_str(b, a[i]->source);
      rf_printf(b, ",\"message\":");
      rf_json_str(b, a[i]->message);
      rf_printf(b, "}");
    }
    rf_printf(b, "]}\n");
    return;
  }
  {
    static const char *head[5] = {"ID", "Severity", "Category", "Source",
                                  "Message"};
    char (*ids)[12] = calloc(n ? n : 1, sizeof(*ids));
    const char **cell = calloc(n ? n * 5 : 1, sizeof(*cell));
    if (ids == NULL || cell == NULL) {
      b->failed = 1;
      free(ids);
      free(cell);
      return;
    }
    for (i = 0; i < n; i++) {
      snprintf(ids[i], sizeof(ids[i]), "%u", a[i]->num);
      cell[i * 5 + 0] = ids[i];
      cell[i * 5 + 1] = conductor_severity_name(a[i]->sev);
      cell[i * 5 + 2] = a[i]->category;
      cell[i * 5 + 3] = a[i]->source;
      cell[i * 5 + 4] = a[i]->message;
    }
    rf_grid(b, head, 5, cell, n);
    free(cell);
    free(ids);
  }
  rf_printf(b, "%zu active alarm%s\n", n, n == 1 ? "" : "s");
  if (r->cnd) {
    rf_printf(b, "conductor %s%s%s: %d of %zu link(s) up, %zu waiting for "
                 "acknowledgement\n",
              c->conductors[0], c->n_conductors > 1 ? ", " : "",
              c->n_conductors > 1 ? c->conductors[1] : "",
              rtr_links_up(r->cnd), c->n_conductors, rtr_pending(r->cnd));
  } else {
    rf_printf(b, "no conductor configured: alarms are only logged\n");
  }
}

void rt_alarm_show(rt *r, rf_buf *b, int json) {
  size_t max = 2 * r->n_paths + r->n_peers + 1;
  const rt_alarm **a = malloc(max * sizeof(*a));
  if (a == NULL) {
    b->failed = 1;
    return;
  }
  show(r, b, json, a, collect(r, a, max));
  free(a);
}
