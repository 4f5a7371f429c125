/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router daemon: one router node.  Composes libsvrbfd (BFD peer-path
 * detection and, owned by each session, echo path quality) on the shared
 * libuv glue (cli/glue/bfd_uv.c): one UDP socket per interface (waypoint
 * address and port).  The library demultiplexes BFD control packets and echo
 * datagrams, reflects its peers' echo requests and keeps every deadline in
 * one expiry heap; this file maps the configuration onto sessions.
 *
 * Path MTU: one libsvrpmtu context per router runs discovery on every peer
 * path while its BFD path is up (started by path_status up, deleted by
 * down).  Its probes and acks share the peer-path sockets: the glue hands
 * us the SVR control datagrams libsvrbfd does not handle
 * (bfd_uv_set_ctrl_handler) and sends ours with DF (bfd_uv_send_ctrl).
 * Probes from any peer are answered with svrpmtu_ack_build() from the
 * socket they arrived on; the context's own responder is off because its
 * acks would not say which local address to send from.
 *
 * UDP transform: router_fwdet.c runs one libsvrfwdet context the same way
 * (a detector path per up BFD path); control datagrams that are not PMTU
 * go to it.
 *
 * Lifecycle: the configuration is parsed and validated completely, then
 * every socket is bound and the control socket opened; any failure stops
 * the start before a single packet is sent.  SIGHUP re-reads the file and
 * keeps sessions whose adjacency is unchanged; SIGTERM/SIGINT send AdminDown
 * on every session and exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bfd_uv.h"
#include "pmtu_glue.h"
#include "router.h"
#include "router_alarm.h"
#include "router_ctl.h"
#include "router_daemon.h"
#include "router_dpu.h"
#include "router_fwd.h"
#include "router_fwdet.h"
#include "router_keys.h"
#include "svr_cli.h"
#include "svr_frr.h"

static svrbfd_tstamp now_ns(void) { return bfd_uv_now(); }

/* ---- path MTU discovery (libsvrpmtu) ------------------------------------- */

static void pmtu_kick(rt *r);

static void pm_addr(svrpmtu_addr *o, const svrbfd_addr *a) {
  memset(o, 0, sizeof(*o));
  o->family = a->family;
  o->port = a->port;
  memcpy(o->addr, a->addr, sizeof(o->addr));
}

/* MTU of the interface owning |local| (a temporary socket bound to it, as
 * svr-pmtu does), or -1. */
static int local_if_mtu(const svrbfd_addr *local) {
  pmtu_sockaddr b;
  svrpmtu_addr a;
  char err[160], ifname[64];
  int fd, mtu;
  pm_addr(&a, local);
  a.port = 0;
  pmtu_from_svr(&b, &a);
  fd = pmtu_socket(local->family == 6 ? AF_INET6 : AF_INET, &b, 0, 0, err,
                   sizeof(err));
  if (fd < 0) {
    return -1;
  }
  mtu = pmtu_local_iface_mtu(fd, ifname, sizeof(ifname));
  close(fd);
  return mtu;
}

/* The MTU of interface |i|'s address, read at most every 10 s (a socket,
 * a bind and an ioctl per path were 10,000 of each when a head end's paths
 * came up); -1 when unknown. */
static int if_mtu(rt *r, const rt_path *p) {
  int i = p->adj.interface;
  uint64_t now = now_ns();
  if (i < 0 || i >= RC_MAX_INTERFACES) {
    return local_if_mtu(&p->adj.local);
  }
  if (r->if_mtu[i] == 0 || now - r->if_mtu_at[i] > 10 * SVRBFD_SECONDS) {
    int mtu = local_if_mtu(&p->adj.local);
    r->if_mtu[i] = mtu > 0 ? mtu : -1;
    r->if_mtu_at[i] = now;
  }
  return r->if_mtu[i];
}

static void pmtu_start(rt *r, rt_path *p) {
  svrpmtu_path_config pc;
  int rc, ifmtu;
  if (r->pmtu == NULL || p->pm != NULL || !p->adj.bfd.pmtu_enabled ||
      r->stopping) {
    return;
  }
  svrpmtu_path_config_default(&pc, p->adj.remote.family);
  pm_addr(&pc.remote, &p->adj.remote);
  pc.interval_ns = (svrpmtu_duration)p->adj.bfd.pmtu_interval_s *
                   SVRPMTU_SECONDS;
  /* between runs, one probe at the path MTU: a black hole below it is
   * found within this interval, not at the next run */
  pc.confirm_interval_ns = (svrpmtu_duration)p->adj.bfd.pmtu_confirm_s *
                           SVRPMTU_SECONDS;
  /* never probe beyond our own interface (loopback: 65536 -> 9216) */
  ifmtu = if_mtu(r, p);
  if (ifmtu > 0 && ifmtu < pc.max_mtu) {
    pc.max_mtu = ifmtu < pc.base_mtu ? pc.base_mtu : (uint16_t)ifmtu;
  }
  rc = svrpmtu_path_new(r->pmtu, &p->pm, &pc, p, now_ns());
  if (rc != 0) {
    rt_log(r, "%s: path MTU discovery not started: %s", p->adj.peer,
           svrpmtu_strerror(rc));
    p->pm = NULL;
    return;
  }
  pmtu_kick(r);
}

static void pmtu_stop(rt *r, rt_path *p) {
  (void)r;
  if (p->pm) {
    svrpmtu_path_del(p->pm);
    p->pm = NULL;
  }
  p->pmtu_logged = 0;
}

static uint16_t pmtu_of(const rt_path *p) {
  svrpmtu_path_info in;
  if (p->pm == NULL) {
    return 0;
  }
  svrpmtu_path_get_info(p->pm, &in);
  return in.state == SVRPMTU_STATE_ERROR ? 0 : in.pmtu;
}

static int cb_pmtu_event(svrpmtu_ctx *ctx, svrpmtu_path *path,
                         const svrpmtu_event *ev, void *ud) {
  rt *r = ud;
  rt_path *p = svrpmtu_path_get_user_data(path);
  (void)ctx;
  if (p == NULL) {
    return 0;
  }
  switch (ev->type) {
  case SVRPMTU_EV_COMPLETE:
    if (p->pmtu_alarm) {
      p->pmtu_alarm = 0;
      rt_alarm_pmtu(r, p, 0);
    }
    if (ev->pmtu != p->pmtu_logged || r->verbose) {
      rt_log(r, "%s at %s: path MTU %u (was %u, %u probes)", p->adj.peer,
             p->adj.address_text, ev->pmtu, ev->old_pmtu, ev->count);
    }
    p->pmtu_logged = ev->pmtu;
    rt_fwd_path_mtu(r, p, ev->pmtu);
    break;
  case SVRPMTU_EV_UNRESOLVABLE:
    p->pmtu_logged = 0;
    if (!p->pmtu_alarm) {
      p->pmtu_alarm = 1;
      rt_alarm_pmtu(r, p, 1); /* the product's alarm */
    }
    break;
  case SVRPMTU_EV_BLACK_HOLE:
    rt_log(r, "%s at %s: probes of %u (the path MTU) stopped being acked: "
           "black hole, searching down", p->adj.peer, p->adj.address_text,
           ev->size);
    break;
  default:
    break;
  }
  return 0;
}

static uint64_t remote_key(int family, const uint8_t *addr, uint16_t port) {
  uint8_t k[20];
  memcpy(k, addr, 16);
  k[16] = (uint8_t)family;
  k[17] = (uint8_t)(port >> 8);
  k[18] = (uint8_t)port;
  k[19] = 0;
  return rh_hash(k, sizeof(k));
}

/* The peer path that sends to |remote| (first match, with PMTU running):
 * an index by remote address (r->by_remote, rebuilt by apply), not a scan
 * of every path per probe. */
static rt_path *path_by_remote(rt *r, const svrpmtu_addr *remote) {
  uint16_t rport = remote->port ? remote->port : SVRPMTU_PORT;
  size_t i, pos;
  if (r->by_remote.slot == NULL) {
    return NULL;
  }
  for (i = rh_first(&r->by_remote,
                    remote_key(remote->family, remote->addr, rport));
       (pos = rh_get(&r->by_remote, i)) != RH_NONE;
       i = rh_next(&r->by_remote, i)) {
    rt_path *p = r->paths[pos];
    uint16_t port = p->adj.remote.port ? p->adj.remote.port : SVRPMTU_PORT;
    if (p->pm && p->adj.remote.family == remote->family && port == rport &&
        memcmp(p->adj.remote.addr, remote->addr, 16) == 0) {
      return p;
    }
  }
  return NULL;
}

/* ---- staggered starts ------------------------------------------------------
 * A path that comes up starts its path MTU search and its first detector
 * burst after a random delay in [0, W), W = min(interval, 10 ms x paths):
 * 10,000 paths that come up within seconds would otherwise search and
 * probe all at once, and stay in step every interval after.  One or two
 * paths start within 10-20 ms, as before.  One heap per kind, one timer. */

static void on_start_timer(uv_timer_t *t);

static void start_arm(rt *r) {
  uint64_t a = svr_heap_min_key(&r->pm_starts);
  uint64_t b = svr_heap_min_key(&r->fw_starts);
  uint64_t exp = a < b ? a : b, now = now_ns();
  if (!r->start_timer_init) {
    return;
  }
  if (exp == UINT64_MAX) {
    uv_timer_stop(&r->start_timer);
  } else {
    uint64_t ms = exp > now ? (exp - now + 999999u) / 1000000u : 0;
    uv_timer_start(&r->start_timer, on_start_timer, ms, 0);
  }
}

static void start_later(rt *r, svr_heap *h, svr_heap_node *n,
                        uint32_t interval_s) {
  uint64_t w = (uint64_t)r->n_paths * 10u * SVRBFD_MILLISECONDS;
  uint64_t iv = (uint64_t)interval_s * SVRBFD_SECONDS, x = 0;
  if (svr_heap_node_linked(n)) {
    return;
  }
  if (w > iv) {
    w = iv;
  }
  bfd_uv_rand((uint8_t *)&x, sizeof(x), NULL);
  svr_heap_insert(h, n, now_ns() + (w ? x % w : 0));
  start_arm(r);
}

static void start_cancel(rt *r, rt_path *p) {
  svr_heap_remove(&r->pm_starts, &p->pm_start);
  svr_heap_remove(&r->fw_starts, &p->fw_start);
}

static void on_start_timer(uv_timer_t *t) {
  rt *r = t->data;
  uint64_t now = now_ns();
  svr_heap_node *n;
  while ((n = svr_heap_min(&r->pm_starts)) != NULL && n->key <= now) {
    rt_path *p = (rt_path *)(void *)((char *)n - offsetof(rt_path, pm_start));
    svr_heap_remove(&r->pm_starts, n);
    if (p->up_at) {
      pmtu_start(r, p);
    }
  }
  while ((n = svr_heap_min(&r->fw_starts)) != NULL && n->key <= now) {
    rt_path *p = (rt_path *)(void *)((char *)n - offsetof(rt_path, fw_start));
    svr_heap_remove(&r->fw_starts, n);
    if (p->up_at) {
      rt_fw_start(r, p);
    }
  }
  start_arm(r);
}

/* A path is up: its PMTU search and detector start, staggered. */
static void features_start(rt *r, rt_path *p) {
  if (r->pmtu != NULL && p->adj.bfd.pmtu_enabled && p->pm == NULL) {
    start_later(r, &r->pm_starts, &p->pm_start, p->adj.bfd.pmtu_interval_s);
  }
  if (p->adj.bfd.ut_mode == SVRFWDET_MODE_AUTO) {
    if (r->fw != NULL && p->fp == NULL) {
      start_later(r, &r->fw_starts, &p->fw_start, p->adj.bfd.ut_interval_s);
    }
  } else {
    rt_fw_start(r, p); /* no probes: nothing to stagger */
  }
}

static void on_pmtu_timer(uv_timer_t *t);

/* Runs due deadlines, sends what is due, re-arms the one timer. */
static void pmtu_kick(rt *r) {
  static uint8_t buf[SVRPMTU_MAX_PKT_LEN];
  svrpmtu_tstamp now = now_ns(), exp;
  int rc;
  if (r->pmtu == NULL || r->stopping) {
    return;
  }
  rc = svrpmtu_ctx_handle_expiry(r->pmtu, now);
  if (rc != 0) {
    rt_log(r, "svrpmtu_ctx_handle_expiry: %s", svrpmtu_strerror(rc));
  }
  for (;;) {
    svrpmtu_addr to;
    svrbfd_addr dst;
    rt_path *p;
    svrpmtu_ssize n = svrpmtu_ctx_write_pkt(r->pmtu, &to, buf, sizeof(buf),
                                            now);
    if (n <= 0) {
      if (n < 0) {
        rt_log(r, "svrpmtu_ctx_write_pkt: %s", svrpmtu_strerror((int)n));
      }
      break;
    }
    p = path_by_remote(r, &to);
    if (p == NULL) {
      continue; /* its path was deleted meanwhile */
    }
    memset(&dst, 0, sizeof(dst));
    dst.family = to.family;
    dst.port = to.port;
    memcpy(dst.addr, to.addr, sizeof(dst.addr));
    /* -EMSGSIZE (beyond our interface) and other refusals: the probe is
     * lost, and the library counts it so after its timeout */
    (void)bfd_uv_send_ctrl(r->glue, &p->adj.local, &dst, buf, (size_t)n);
  }
  exp = svrpmtu_ctx_get_expiry(r->pmtu);
  if (exp == SVRPMTU_TSTAMP_MAX) {
    uv_timer_stop(&r->pmtu_timer);
  } else {
    /* the loop clock is in ms: aim at the deadline rounded up, never 0 */
    uint64_t exp_ms = exp / 1000000u + (exp % 1000000u != 0);
    uint64_t loop_ms = uv_now(r->loop);
    uv_timer_start(&r->pmtu_timer, on_pmtu_timer,
                   exp_ms > loop_ms ? exp_ms - loop_ms : 1, 0);
  }
}

static void on_pmtu_timer(uv_timer_t *t) { pmtu_kick((rt *)t->data); }

/* SVR control datagrams libsvrbfd does not handle (bfd_uv glue). */
static void on_ctrl(void *ud, const svrbfd_path *path, const uint8_t *pkt,
                    size_t len, svrbfd_tstamp now) {
  rt *r = ud;
  svrpmtu_msg msg;
  if (r->stopping) {
    return;
  }
  if (r->pmtu == NULL || svrpmtu_msg_decode(&msg, pkt, len, 0) != 0) {
    /* not PMTU: the firewall detector's requests and reports */
    (void)rt_fw_ctrl(r, path, pkt, len, now);
    return;
  }
  if (msg.kind == SVRPMTU_MSG_PROBE) {
    /* every router answers, from the socket the probe came to; an ack
     * is smaller than any probe (no amplification) */
    uint8_t ack[SVRPMTU_ACK_LEN];
    svrpmtu_ssize n = svrpmtu_ack_build(ack, sizeof(ack), pkt, len);
    if (n > 0) {
      (void)bfd_uv_send_ctrl(r->glue, &path->local, &path->remote, ack,
                             (size_t)n);
    }
  } else {
    svrpmtu_addr from;
    pm_addr(&from, &path->remote);
    (void)svrpmtu_ctx_read_pkt(r->pmtu, &from, pkt, len, now);
    pmtu_kick(r);
  }
}

/* ICMP "fragmentation needed" / "packet too big" (and local EMSGSIZE)
 * quoting one of our probes: libsvrpmtu validates the quote (path id,
 * sequence number, nonce) before it uses the MTU.  Other errors (port
 * unreachable from a peer that is down) are read and ignored. */
static void on_errq(void *ud, int fd, const svrbfd_addr *local,
                    svrbfd_tstamp now) {
  rt *r = ud;
  static uint8_t quote[2048];
  int i, used = 0;
  (void)local;
  for (i = 0; i < BFD_UV_ERRQ_MAX; i++) {
    svrpmtu_ptb ptb;
    int other = 0;
    int rc = pmtu_read_errqueue(fd, quote, sizeof(quote), &ptb, &other);
    if (rc < 0) {
      break;
    }
    if (rc == 1 && r->pmtu != NULL && !r->stopping &&
        svrpmtu_ctx_read_ptb(r->pmtu, &ptb, now) == 0) {
      used = 1;
    }
  }
  if (used) {
    pmtu_kick(r);
  }
}

/* ---- callbacks from the context ------------------------------------------ */

static int cb_state(svrbfd_ctx *ctx, svrbfd_session *s, svrbfd_state old_state,
                    svrbfd_state new_state, svrbfd_diag diag, svrbfd_tstamp ts,
                    void *ud) {
  rt *r = ud;
  rt_path *p = svrbfd_session_get_user_data(s);
  (void)ctx;
  if (p == NULL) {
    return 0;
  }
  p->state_at = ts;
  rt_log(r, "%s -> %s via %s: %s -> %s (%s)", r->cfg->router, p->adj.peer,
         r->cfg->interfaces[p->adj.interface].name,
         svrbfd_state_name(old_state), svrbfd_state_name(new_state),
         svrbfd_diag_name(diag));
  return 0;
}

static int cb_path(svrbfd_ctx *ctx, svrbfd_session *s, int up, svrbfd_tstamp ts,
                   void *ud) {
  rt *r = ud;
  rt_path *p = svrbfd_session_get_user_data(s);
  (void)ctx;
  if (p == NULL) {
    return 0;
  }
  p->up_at = up ? (ts ? ts : 1) : 0;
  rt_log(r, "peer path %s -> %s %s", r->cfg->router, p->adj.peer,
         up ? "up" : "down");
  rt_alarm_path(r, p, up);
  rt_fwd_path_status(r, p, up);
  /* libsvrpmtu calls are allowed here: they touch no libsvrbfd state */
  if (up) {
    features_start(r, p);
  } else {
    start_cancel(r, p);
    pmtu_stop(r, p);
    rt_fw_stop(r, p);
  }
  return 0;
}

static int cb_remote(svrbfd_ctx *ctx, svrbfd_session *s,
                     const svrbfd_addr *before, const svrbfd_addr *now,
                     svrbfd_tstamp ts, void *ud) {
  rt *r = ud;
  rt_path *p = svrbfd_session_get_user_data(s);
  char a[64], b[64];
  (void)ctx;
  (void)ts;
  if (p) {
    rt_log(r, "%s: peer address changed %s:%u -> %s:%u (NAT)", p->adj.peer,
           rc_addr_str(before, a, sizeof(a)), before->port,
           rc_addr_str(now, b, sizeof(b)), now->port);
  }
  return 0;
}

/* ---- paths ------------------------------------------------------------------ */

static void path_free(rt_path *p) {
  if (p) {
    start_cancel(p->r, p);
    rt_fwd_path_del(p->r, p);
    svrpmtu_path_del(p->pm);
    svrfwdet_path_del(p->fp);
    svrbfd_session_del(p->s); /* frees its echo engine too */
    free(p->a_down); /* alarms still raised at exit */
    free(p->a_mtu);
    free(p);
  }
}

static void pq_settings(svrbfd_pq_settings *ps, const rc_adjacency *adj) {
  svrbfd_pq_settings_default(ps);
  ps->link_test_interval_ns =
      (svrbfd_duration)adj->bfd.link_test_interval_s * SVRBFD_SECONDS;
  ps->link_test_length = (uint8_t)adj->bfd.link_test_length;
  /* show peers reports the last burst only: no rolling history (60
   * results by default, 5 KiB per path) */
  ps->history_len = 1;
}

static int path_new(rt *r, const rc_adjacency *adj, rt_path **out, char *err,
                    size_t errlen) {
  rt_path *p = calloc(1, sizeof(*p));
  svrbfd_session_config sc;
  svrbfd_pq_settings ps;
  int rc;
  if (p == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  p->adj = *adj;
  p->r = r;
  p->state_at = now_ns();
  svr_heap_node_init(&p->pm_start);
  svr_heap_node_init(&p->fw_start);
  if (!adj->bfd.enabled) {
    *out = p;
    return 0;
  }
  svrbfd_session_config_default(&sc);
  sc.local = adj->local;
  sc.remote = adj->remote;
  sc.mode = SVRBFD_MODE_SVR;
  sc.desired_min_tx_us = adj->bfd.desired_tx_ms * 1000u;
  sc.required_min_rx_us = adj->bfd.required_min_rx_ms * 1000u;
  sc.required_min_echo_rx_us = adj->bfd.required_min_echo_ms * 1000u;
  sc.detect_mult = (uint8_t)adj->bfd.multiplier;
  sc.hold_down_ns = (svrbfd_duration)adj->bfd.hold_down_ms * SVRBFD_MILLISECONDS;
  /* spokes ask their hub for Demand mode and rely on echo tests */
  sc.demand = adj->topology == RC_SPOKE;
  if (adj->bfd.auth_type != RC_AUTH_NONE) {
    size_t kl = strlen(adj->bfd.auth_key);
    sc.auth.type = adj->bfd.auth_type == RC_AUTH_SIMPLE
                       ? SVRBFD_AUTH_SIMPLE
                       : SVRBFD_AUTH_HMAC_SHA256;
    sc.auth.key_id = 1;
    sc.auth.key_len = (uint8_t)kl;
    memcpy(sc.auth.key, adj->bfd.auth_key, kl);
  }
  sc.damping = (uint8_t)adj->bfd.damping;
  sc.damping_max_ns =
      (svrbfd_duration)adj->bfd.max_hold_down_s * SVRBFD_SECONDS;
  rc = svrbfd_session_new(r->ctx, &p->s, &sc, p, now_ns());
  if (rc != 0) {
    snprintf(err, errlen, "%s:%d: [adjacency %s]: BFD session: %s",
             r->cfg->file, adj->line, adj->peer, svrbfd_strerror(rc));
    free(p);
    return -1;
  }
  pq_settings(&ps, adj);
  rc = svrbfd_session_set_link_test(p->s, &ps, now_ns());
  if (rc != 0) {
    snprintf(err, errlen, "%s:%d: [adjacency %s]: echo tests: %s",
             r->cfg->file, adj->line, adj->peer, svrbfd_pq_strerror(rc));
    svrbfd_session_del(p->s);
    free(p);
    return -1;
  }
  *out = p;
  return 0;
}

/* Sends AdminDown for |p| now (best effort) and frees it. */
static void path_retire(rt *r, rt_path *p) {
  p->retiring = 1; /* the AdminDown below raises no alarm */
  rt_alarm_retire(r, p);
  if (p->s) {
    svrbfd_session_set_admin_down(p->s, 1, now_ns());
    bfd_uv_kick(r->glue);
  }
  path_free(p);
}

/* -v: logs each evaluated burst (the engines belong to the sessions, so
 * this looks every half second rather than being called back). */
static void on_verbose_timer(uv_timer_t *t) {
  rt *r = t->data;
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    svrbfd_pq_path *pq = p->s ? svrbfd_session_get_pq(p->s) : NULL;
    svrbfd_pq_stats st;
    svrbfd_pq_result res;
    if (pq == NULL) {
      continue;
    }
    svrbfd_pq_path_get_stats(pq, &st);
    if (st.bursts != p->logged_bursts && svrbfd_pq_path_get_result(pq, &res)) {
      p->logged_bursts = st.bursts;
      rt_log(r, "%s: burst %u: %u/%u back, latency %.3f ms, jitter %.3f ms, "
                "loss %.1f %%, MOS %.3f", p->adj.peer, res.burst, res.received,
             res.sent, res.latency_ms, res.jitter_ms, res.loss_pct, res.mos);
    }
  }
}

/* ---- show peers ---------------------------------------------------------- */

/* |s| into |d| (size |n|), cut to fit: what snprintf("%s") did, without
 * parsing a format per field. */
static void cpy(char *d, size_t n, const char *s) {
  size_t l = strnlen(s, n - 1);
  memcpy(d, s, l);
  d[l] = '\0';
}

/* One row per path from path |start| on, at most |max|; returns the count. */
static size_t rows_from(rt *r, size_t start, rf_row *rows, size_t max,
                        svrbfd_tstamp ts) {
  size_t i, n = 0;
  for (i = start; i < r->n_paths && n < max; i++) {
    rt_path *p = r->paths[i];
    rf_row *w = &rows[n++];
    svrbfd_pq_path *pq = p->s ? svrbfd_session_get_pq(p->s) : NULL;
    svrbfd_pq_result res;
    /* every field is set below: no memset of the whole row */
    cpy(w->router, sizeof(w->router), r->cfg->router);
    cpy(w->peer, sizeof(w->peer), p->adj.peer);
    cpy(w->node, sizeof(w->node), r->cfg->node);
    cpy(w->interface, sizeof(w->interface),
        r->cfg->interfaces[p->adj.interface].name);
    cpy(w->destination, sizeof(w->destination), p->adj.address_text);
    cpy(w->hostname, sizeof(w->hostname), p->adj.hostname);
    cpy(w->topology, sizeof(w->topology), rc_topology_name(p->adj.topology));
    w->port = p->adj.remote.port;
    w->path_mtu = pmtu_of(p);
    w->status = "down";
    w->peer_node[0] = '\0';
    w->detect_time_ms = 0;
    w->has_uptime = 0;
    w->uptime_s = 0;
    w->has_pq = 0;
    w->latency_ms = w->jitter_ms = w->loss_pct = w->mos = 0;
    w->bursts = w->echo_sent = w->echo_received = 0;
    if (p->s) {
      svrbfd_session_info in;
      svrbfd_session_get_info(p->s, &in);
      cpy(w->peer_node, sizeof(w->peer_node), in.peer_node_name);
      if (in.up) {
        w->status = "up";
      } else if (in.state == SVRBFD_STATE_INIT || in.state == SVRBFD_STATE_UP) {
        w->status = "init"; /* coming up, or Up within the hold-down */
      }
      w->detect_time_ms = in.detect_time_ns / 1000000u;
      if (in.up && p->up_at) {
        w->has_uptime = 1;
        w->uptime_s = ts > p->up_at ? (ts - p->up_at) / SVRBFD_SECONDS : 0;
      }
    }
    if (pq) {
      svrbfd_pq_stats st;
      if (svrbfd_pq_path_get_result(pq, &res)) {
        w->has_pq = 1;
        w->latency_ms = res.latency_ms;
        w->jitter_ms = res.jitter_ms;
        w->loss_pct = res.loss_pct;
        w->mos = res.mos;
      }
      svrbfd_pq_path_get_stats(pq, &st);
      w->bursts = st.bursts;
      w->echo_sent = st.burst_sent;
      w->echo_received = st.burst_received;
    }
  }
  return n;
}

/* JSON rows are made 128 at a time into one buffer and formatted in the
 * same pass (no array of rows for every path: 10,000 of them were 6.5 MB
 * to allocate, fault in and fill per call); the table needs every row
 * first, for its column widths. */
#define SHOW_CHUNK 128

void rt_show_peers(rt *r, rf_buf *b, int json, int detail) {
  svrbfd_tstamp ts = now_ns();
  size_t max = json ? SHOW_CHUNK : (r->n_paths ? r->n_paths : 1), start, nr;
  rf_row *rows = malloc(max * sizeof(*rows));
  if (rows == NULL) {
    b->failed = 1;
    return;
  }
  if (!json) {
    nr = rows_from(r, 0, rows, max, ts);
    rf_table(b, rows, nr, detail);
    free(rows);
    return;
  }
  rf_json_begin(b, r->cfg->router, r->cfg->node, r->n_paths, detail);
  for (start = 0; start < r->n_paths; start += nr) {
    nr = rows_from(r, start, rows, max, ts);
    if (nr == 0) {
      break;
    }
    rf_json_rows(b, rows, nr, detail, start == 0);
  }
  rf_json_end(b);
  free(rows);
}

void rt_frr_json(rt *r, rf_buf *b) {
  svrbfd_tstamp now = now_ns();
  size_t i;
  int first = 1;
  rf_printf(b, "[");
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    svrbfd_session_info in;
    svr_frr_peer fp;
    char l[64], obj[SVR_FRR_PEER_JSON_MAX];
    svrbfd_tstamp since;
    if (p->s == NULL) {
      continue; /* BFD disabled: no session for bfdd to list */
    }
    svrbfd_session_get_info(p->s, &in);
    bfd_addr_str(&p->adj.local, 0, l, sizeof(l));
    memset(&fp, 0, sizeof(fp));
    fp.multihop = in.mode == SVRBFD_MODE_RFC5883;
    fp.min_ttl = 1;
    fp.peer = p->adj.address_text;
    fp.local = l;
    fp.id = in.local_discr;
    fp.remote_id = in.remote_discr;
    fp.state = (int)in.state;
    since = in.state == SVRBFD_STATE_UP ? in.up_since : p->state_at;
    fp.since_s = now > since ? (uint64_t)((now - since) / SVRBFD_SECONDS) : 0;
    fp.diag = (int)in.local_diag;
    fp.remote_diag = (int)in.remote_diag;
    fp.rx_ms = in.required_min_rx_us / 1000;
    fp.tx_ms = in.desired_min_tx_us / 1000;
    fp.mult = in.detect_mult;
    fp.remote_rx_ms = in.remote_required_min_rx_us / 1000;
    fp.remote_tx_ms = in.remote_desired_min_tx_us / 1000;
    fp.remote_echo_rx_ms = in.remote_required_min_echo_rx_us / 1000;
    fp.remote_mult = in.remote_detect_mult;
    svr_frr_peer_json(obj, sizeof(obj), &fp);
    rf_printf(b, "%s%s", first ? "" : ",", obj);
    first = 0;
  }
  rf_printf(b, "]\n");
}

/* ---- apply a configuration ------------------------------------------------ */

static int ctx_create(rt *r, const rc_config *c, char *err, size_t errlen) {
  svrbfd_callbacks cb;
  svrbfd_settings st;
  int rc;
  memset(&cb, 0, sizeof(cb));
  cb.rand = bfd_uv_rand;
  cb.session_state = cb_state;
  cb.path_status = cb_path;
  cb.remote_changed = cb_remote;
  svrbfd_settings_default(&st);
  st.router_name = c->router;
  st.node_name = c->node;
  st.sessions_hint = c->n_adjacencies;
  rc = svrbfd_ctx_new(&r->ctx, &cb, &st, NULL, r);
  if (rc != 0) {
    snprintf(err, errlen, "libsvrbfd context: %s", svrbfd_strerror(rc));
    return -1;
  }
  rc = bfd_uv_new(&r->glue, r->loop, r->ctx, BFD_UV_BIND_EACH);
  if (rc != 0) {
    snprintf(err, errlen, "libuv glue: %s", strerror(-rc));
    svrbfd_ctx_del(r->ctx);
    r->ctx = NULL;
    return -1;
  }
  {
    svrpmtu_callbacks pcb;
    svrpmtu_settings pst;
    memset(&pcb, 0, sizeof(pcb));
    pcb.rand = bfd_uv_rand;
    pcb.path_event = cb_pmtu_event;
    svrpmtu_settings_default(&pst);
    pst.respond = 0; /* on_ctrl answers, from the right socket */
    rc = svrpmtu_ctx_new(&r->pmtu, &pcb, &pst, NULL, r);
    if (rc != 0) {
      snprintf(err, errlen, "libsvrpmtu context: %s", svrpmtu_strerror(rc));
      r->pmtu = NULL;
      return -1; /* the caller's cleanup closes the glue */
    }
    uv_timer_init(r->loop, &r->pmtu_timer);
    r->pmtu_timer.data = r;
    r->pmtu_timer_init = 1;
    svr_heap_init(&r->pm_starts);
    svr_heap_init(&r->fw_starts);
    uv_timer_init(r->loop, &r->start_timer);
    r->start_timer.data = r;
    r->start_timer_init = 1;
    /* DF on the peer-path sockets before any is opened */
    (void)bfd_uv_set_ctrl_handler(r->glue, on_ctrl, r, 1);
    /* ICMP too-big reports shorten a search (IP_RECVERR) */
    (void)bfd_uv_set_errq_handler(r->glue, on_errq, r);
  }
  return 0;
}

/*
 * Makes |c| the running configuration.  A failure before any session was
 * touched (a bind, a name change) changes nothing and returns -1 with |err|.
 * The glue cannot close one socket, so interfaces that disappear keep their
 * socket until the next start.
 */
static uint64_t identity_key(const rc_adjacency *a) {
  uint8_t k[40];
  memset(k, 0, sizeof(k));
  memcpy(k, a->local.addr, 16);
  k[16] = (uint8_t)a->local.family;
  k[17] = (uint8_t)(a->local.port >> 8);
  k[18] = (uint8_t)a->local.port;
  memcpy(k + 20, a->remote.addr, 16);
  k[36] = (uint8_t)a->remote.family;
  k[37] = (uint8_t)(a->remote.port >> 8);
  k[38] = (uint8_t)a->remote.port;
  return rh_hash(k, sizeof(k));
}

/* The lookups by remote address and by peer, after r->paths changed. */
static void reindex(rt *r) {
  size_t i;
  rh_free(&r->by_remote);
  if (rh_init(&r->by_remote, r->n_paths) == 0) {
    for (i = 0; i < r->n_paths; i++) {
      const svrbfd_addr *a = &r->paths[i]->adj.remote;
      rh_put(&r->by_remote,
             remote_key(a->family, a->addr, a->port ? a->port : SVRPMTU_PORT),
             i);
    }
  } else {
    rt_log(r, "out of memory: path MTU probes are not sent");
  }
  if (rt_alarm_link_peers(r) != 0) {
    rt_log(r, "out of memory: some peer alarms are not raised");
  }
}

static int apply(rt *r, rc_config *c, char *err, size_t errlen) {
  size_t i, j, k, kept = 0;
  rt_path **np;
  rh_index ids;
  rc_config *old = r->cfg;

  if (old && (strcmp(old->router, c->router) != 0 ||
              strcmp(old->node, c->node) != 0)) {
    snprintf(err, errlen, "router or node name changed: restart svr-router "
                          "to apply that");
    return -1;
  }
  if (r->ctx == NULL && ctx_create(r, c, err, errlen) != 0) {
    return -1;
  }
  /* room first: nothing changes if memory is short */
  if (r->cap_paths < c->n_adjacencies) {
    rt_path **g = realloc(r->paths, c->n_adjacencies * sizeof(*g));
    if (g == NULL) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    r->paths = g;
    r->cap_paths = c->n_adjacencies;
  }
  np = calloc(c->n_adjacencies + 1, sizeof(*np));
  if (np == NULL || rh_init(&ids, r->n_paths) != 0) {
    free(np);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  for (i = 0; i < r->n_paths; i++) {
    rh_put(&ids, identity_key(&r->paths[i]->adj), i);
  }
  /* 1. sockets first: a bind failure rejects the configuration */
  for (i = 0; i < c->n_interfaces; i++) {
    int rc = bfd_uv_add_local(r->glue, &c->interfaces[i].address,
                              SVRBFD_MODE_SVR);
    if (rc != 0) {
      char t[64];
      snprintf(err, errlen, "%s:%d: [interface %s]: bind %s port %u: %s",
               c->file, c->interfaces[i].line, c->interfaces[i].name,
               rc_addr_str(&c->interfaces[i].address, t, sizeof(t)),
               c->interfaces[i].address.port,
               bfd_uv_last_error(r->glue)[0] ? bfd_uv_last_error(r->glue)
                                             : strerror(-rc));
      free(np);
      rh_free(&ids);
      return -1;
    }
  }
  /* 2. keep unchanged paths */
  for (i = 0; i < r->n_paths; i++) {
    r->paths[i]->keep = 0;
  }
  for (i = 0; i < c->n_adjacencies; i++) {
    const rc_adjacency *a = &c->adjacencies[i];
    np[i] = NULL;
    /* the running path with the same addresses (an index: a scan of every
     * path per adjacency made a reload of 10,000 O(N^2)) */
    for (k = rh_first(&ids, identity_key(a));
         (j = rh_get(&ids, k)) != RH_NONE; k = rh_next(&ids, k)) {
      rt_path *p = r->paths[j];
      if (!p->keep && rc_adjacency_same(&p->adj, a)) {
        int pm_changed = p->adj.bfd.pmtu_enabled != a->bfd.pmtu_enabled ||
                         p->adj.bfd.pmtu_interval_s != a->bfd.pmtu_interval_s ||
                         p->adj.bfd.pmtu_confirm_s != a->bfd.pmtu_confirm_s;
        int ut_changed = p->adj.bfd.ut_mode != a->bfd.ut_mode ||
                         p->adj.bfd.ut_interval_s != a->bfd.ut_interval_s;
        p->keep = 1;
        if (p->fpeer && (p->adj.cipher != a->cipher ||
                         p->adj.key_id != a->key_id ||
                         p->adj.keylen != a->keylen ||
                         memcmp(p->adj.key, a->key, a->keylen) != 0 ||
                         p->adj.ttl_mode != a->ttl_mode ||
                         p->adj.ttl_padding != a->ttl_padding)) {
          rt_log(r, "reload: %s (%s): encryption, security-key and "
                    "ttl-padding changes of a running path need a restart; "
                    "keys change without one with 'svr-router key add' and "
                    "'key activate'", a->peer, a->address_text);
        }
        if (p->s && (p->adj.bfd.desired_tx_ms != a->bfd.desired_tx_ms ||
                     p->adj.bfd.required_min_rx_ms !=
                         a->bfd.required_min_rx_ms ||
                     p->adj.bfd.multiplier != a->bfd.multiplier)) {
          /* RFC 5880 6.8.3: new timers on a running session through a
           * Poll Sequence; the session stays Up (no flap, no alarm) */
          int rc = svrbfd_session_set_timers(
              p->s, a->bfd.desired_tx_ms * 1000u,
              a->bfd.required_min_rx_ms * 1000u, (uint8_t)a->bfd.multiplier,
              now_ns());
          if (rc == 0) {
            rt_log(r, "reload: %s (%s): desired-tx %u ms, required-min-rx "
                      "%u ms, multiplier %u (Poll Sequence, session kept)",
                   a->peer, a->address_text, a->bfd.desired_tx_ms,
                   a->bfd.required_min_rx_ms, a->bfd.multiplier);
          } else {
            rt_log(r, "reload: %s (%s): new timers refused: %s", a->peer,
                   a->address_text, svrbfd_strerror(rc));
          }
        }
        p->adj = *a; /* hostname, line numbers, link-test and PMTU settings */
        if (pm_changed) {
          /* a new search decides again */
          p->pmtu_alarm = 0;
          rt_alarm_pmtu(r, p, 0);
        }
        if (pm_changed) {
          svr_heap_remove(&r->pm_starts, &p->pm_start);
          pmtu_stop(r, p);
        }
        if (ut_changed) {
          svr_heap_remove(&r->fw_starts, &p->fw_start);
          rt_fw_stop(r, p);
        }
        if ((pm_changed || ut_changed) && p->up_at) {
          features_start(r, p);
        }
        if (p->s) {
          svrbfd_pq_settings ps;
          pq_settings(&ps, a);
          svrbfd_session_set_link_test(p->s, &ps, now_ns());
        }
        np[i] = p;
        kept++;
        break;
      }
    }
  }
  /* 3. retire paths that are gone or changed (AdminDown) before creating
   * their replacements, which may use the same addresses */
  for (i = 0; i < r->n_paths; i++) {
    if (!r->paths[i]->keep) {
      rt_log(r, "adjacency %s (%s) removed or changed: AdminDown",
             r->paths[i]->adj.peer, r->paths[i]->adj.address_text);
      path_retire(r, r->paths[i]);
    }
    r->paths[i] = NULL;
  }
  r->n_paths = 0;
  /* 4. create the new ones */
  r->cfg = c; /* names used in messages and callbacks */
  for (i = 0; i < c->n_adjacencies; i++) {
    if (np[i] == NULL && path_new(r, &c->adjacencies[i], &np[i], err,
                                  errlen) != 0) {
      /* validated configurations do not get here (out of memory) */
      rt_log(r, "%s", err);
    }
  }
  for (i = 0, j = 0; i < c->n_adjacencies; i++) {
    if (np[i]) {
      r->paths[j++] = np[i];
      rt_fwd_path_add(r, np[i]); /* new paths of a reload */
    }
  }
  r->n_paths = j;
  r->kept = kept;
  reindex(r);
  free(np);
  rh_free(&ids);
  rc_config_free(old);
  bfd_uv_kick(r->glue);
  return 0;
}

int rt_apply(rt *r, rc_config *c, char *err, size_t errlen) {
  return apply(r, c, err, errlen);
}

/* ---- signals -------------------------------------------------------------- */

static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) {
    uv_close(h, NULL);
  }
}

static void shutdown_now(rt *r) {
  size_t i;
  if (r->stopping) {
    return;
  }
  rt_log(r, "shutting down: AdminDown to %zu peer path(s)", r->n_paths);
  r->stopping = 1; /* our own AdminDown raises no peer alarm */
  for (i = 0; i < r->n_paths; i++) {
    if (r->paths[i]->s) {
      svrbfd_session_set_admin_down(r->paths[i]->s, 1, now_ns());
    }
  }
  bfd_uv_kick(r->glue);
  rt_ctl_close(r);
  bfd_uv_close(r->glue);
  if (r->pmtu_timer_init) {
    uv_close((uv_handle_t *)&r->pmtu_timer, NULL);
  }
  if (r->start_timer_init) {
    r->start_timer_init = 0;
    uv_close((uv_handle_t *)&r->start_timer, NULL);
  }
  rt_fw_close(r);
  rt_fwd_close(r);
  rt_alarm_stop(r);
  rt_dpu_close(r);
  if (r->verbose) {
    uv_close((uv_handle_t *)&r->verbose_timer, NULL);
  }
  uv_close((uv_handle_t *)&r->sig_term, NULL);
  uv_close((uv_handle_t *)&r->sig_int, NULL);
  uv_close((uv_handle_t *)&r->sig_hup, NULL);
  uv_close((uv_handle_t *)&r->sig_pipe, NULL);
}

static void on_sigpipe(uv_signal_t *h, int signum) {
  (void)h;
  (void)signum; /* the write fails with EPIPE; the connection is closed */
}

static void on_signal(uv_signal_t *h, int signum) {
  rt *r = h->data;
  if (signum == SIGHUP) {
    rc_config *c = malloc(sizeof(*c));
    char err[4096];
    if (c == NULL) {
      rt_log(r, "reload: out of memory");
      return;
    }
    rt_log(r, "SIGHUP: reloading %s", r->cfg_path);
    if (rc_parse_file(c, r->cfg_path, err, sizeof(err)) != 0) {
      rt_log(r, "reload rejected, configuration kept:\n%s", err);
      rc_config_free(c);
      return;
    }
    if (c->control_socket[0] &&
        strcmp(c->control_socket, r->cfg->control_socket) != 0) {
      rt_log(r, "reload: control-socket changes need a restart; keeping %s",
             r->cfg->control_socket);
    }
    snprintf(c->control_socket, sizeof(c->control_socket), "%s",
             r->cfg->control_socket);
    if (c->n_conductors != r->cfg->n_conductors ||
        memcmp(c->conductors, r->cfg->conductors, sizeof(c->conductors)) ||
        strcmp(c->conductor_key, r->cfg->conductor_key) ||
        strcmp(c->conductor_known_hosts, r->cfg->conductor_known_hosts) ||
        strcmp(c->conductor_state_dir, r->cfg->conductor_state_dir)) {
      rt_log(r, "reload: conductor settings change need a restart; keeping "
                "the running link");
      c->n_conductors = r->cfg->n_conductors;
      c->conductor_line = r->cfg->conductor_line;
      memcpy(c->conductors, r->cfg->conductors, sizeof(c->conductors));
      memcpy(c->conductor_key, r->cfg->conductor_key, sizeof(c->conductor_key));
      memcpy(c->conductor_known_hosts, r->cfg->conductor_known_hosts,
             sizeof(c->conductor_known_hosts));
      memcpy(c->conductor_state_dir, r->cfg->conductor_state_dir,
             sizeof(c->conductor_state_dir));
    }
    if (c->forwarding != r->cfg->forwarding ||
        strcmp(c->forwarding_device, r->cfg->forwarding_device) ||
        c->forwarding_table != r->cfg->forwarding_table ||
        c->n_tenants != r->cfg->n_tenants ||
        c->n_services != r->cfg->n_services ||
        memcmp(c->tenants, r->cfg->tenants, sizeof(c->tenants)) ||
        memcmp(c->services, r->cfg->services, sizeof(c->services))) {
      rt_log(r, "reload: forwarding, tenant and service changes need a "
                "restart; keeping the running ones");
      c->forwarding = r->cfg->forwarding;
      memcpy(c->forwarding_device, r->cfg->forwarding_device,
             sizeof(c->forwarding_device));
      c->forwarding_table = r->cfg->forwarding_table;
      c->n_tenants = r->cfg->n_tenants;
      c->n_services = r->cfg->n_services;
      memcpy(c->tenants, r->cfg->tenants, sizeof(c->tenants));
      memcpy(c->services, r->cfg->services, sizeof(c->services));
    }
    /* addresses learned or pushed since the start (dynamic peer update)
     * stay in force over the file's */
    rt_dpu_patch(r, c);
    if (apply(r, c, err, sizeof(err)) != 0) {
      rt_log(r, "reload rejected, configuration kept: %s", err);
      rc_config_free(c);
      return;
    }
    rt_log(r, "reloaded: %zu peer path(s), %zu kept unchanged", r->n_paths,
           r->kept);
    return;
  }
  shutdown_now(r);
}

/* ---- main ---------------------------------------------------------------- */

void rt_default_socket(rc_config *c) {
  if (c->control_socket[0] == '\0') {
    snprintf(c->control_socket, sizeof(c->control_socket),
             "/run/svr-router-%s.sock", c->router);
  }
}

static void teardown(rt *r) {
  size_t i;
  rt_fwd_free(r); /* before the paths: their peers belong to its context */
  for (i = 0; i < r->n_paths; i++) {
    path_free(r->paths[i]);
  }
  r->n_paths = 0;
  free(r->paths);
  r->paths = NULL;
  rh_free(&r->by_remote);
  bfd_uv_del(r->glue);
  svrpmtu_ctx_del(r->pmtu);
  rt_fw_free(r);
  rt_alarm_free(r);
  rt_dpu_free(r);
  svrbfd_ctx_del(r->ctx);
  rc_config_free(r->cfg);
  uv_loop_close(r->loop);
}

static int run(rt *r, const char *cfg_path, int verbose);

/* The modules below reach the daemon and each other only through these
 * (docs/architecture.md, "svr-router's modules"). */
static const rt_ctl_peers ctl_peers = {rt_show_peers, rt_frr_json};
static const rt_alarm_hooks alarm_hooks = {rt_keys_on_key, rt_dpu_on_peer};

int rt_run(const char *cfg_path, int verbose) {
  /* on the heap: its fixed tables (keys per peer router) are sized for
   * RC_MAX_ADJACENCIES, far beyond a stack; calloc leaves the untouched
   * part unallocated */
  rt *r;
  int rc;
#ifdef __GLIBC__
  /* Large blocks always from mmap, given back when freed.  glibc raises
   * its threshold to the size of each mmap'd block freed, so after two
   * `show peers` of 10,000 paths their 2.5 MB answer came from the heap
   * and stayed resident (+190 bytes per path in the RSS). */
  (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  r = calloc(1, sizeof(*r));
  if (r == NULL) {
    fprintf(stderr, "svr-router: out of memory\n");
    return RT_EXIT_FAIL;
  }
  rc = run(r, cfg_path, verbose);
  free(r);
  return rc;
}

static int run(rt *r, const char *cfg_path, int verbose) {
  rc_config *c = malloc(sizeof(*c));
  char err[8192];

  r->verbose = verbose;
  snprintf(r->cfg_path, sizeof(r->cfg_path), "%s", cfg_path);
  if (c == NULL) {
    fprintf(stderr, "svr-router: out of memory\n");
    return RT_EXIT_FAIL;
  }
  if (rc_parse_file(c, cfg_path, err, sizeof(err)) != 0) {
    fprintf(stderr, "%ssvr-router: configuration rejected, nothing started\n",
            err);
    rc_config_free(c);
    return RT_EXIT_USAGE;
  }
  rt_default_socket(c);
  /* dynamic-address interfaces start at their device's current address */
  rt_dpu_prestart(c);
  r->loop = uv_default_loop();
  /* signals first: the control socket appears before the rest is set up
   * (nftables, raw sockets), and a SIGTERM in between must not kill the
   * process with its socket left behind; they are handled once the loop
   * runs, when everything exists */
  uv_signal_init(r->loop, &r->sig_term);
  uv_signal_init(r->loop, &r->sig_int);
  uv_signal_init(r->loop, &r->sig_hup);
  r->sig_term.data = r->sig_int.data = r->sig_hup.data = r;
  uv_signal_start(&r->sig_term, on_signal, SIGTERM);
  uv_signal_start(&r->sig_int, on_signal, SIGINT);
  uv_signal_start(&r->sig_hup, on_signal, SIGHUP);
  /* a `show` client that gives up (its 5 s timeout) and closes before the
   * answer is written must not kill the daemon with SIGPIPE: caught and
   * dropped (caught, not ignored, so programs we run get the default) */
  uv_signal_init(r->loop, &r->sig_pipe);
  uv_signal_start(&r->sig_pipe, on_sigpipe, SIGPIPE);
  if (apply(r, c, err, sizeof(err)) != 0 ||
      rt_ctl_listen(r, c->control_socket, &ctl_peers, err, sizeof(err)) != 0) {
    fprintf(stderr, "svr-router: %s\nsvr-router: nothing started\n", err);
    if (r->cfg == NULL) {
      rc_config_free(c);
    }
    /* no session has transmitted: the loop has not run */
    r->stopping = 1;
    if (r->glue) {
      bfd_uv_close(r->glue);
    }
    uv_walk(r->loop, close_walk, NULL);
    uv_run(r->loop, UV_RUN_DEFAULT);
    teardown(r);
    return RT_EXIT_FAIL;
  }
  /* the data plane: devices, routes and rules, or nothing started */
  if (rt_fwd_init(r, err, sizeof(err)) != 0) {
    fprintf(stderr, "svr-router: %s\nsvr-router: nothing started\n", err);
    r->stopping = 1;
    rt_ctl_close(r);
    bfd_uv_close(r->glue);
    rt_fwd_close(r);
    uv_walk(r->loop, close_walk, NULL);
    uv_run(r->loop, UV_RUN_DEFAULT);
    teardown(r);
    return RT_EXIT_FAIL;
  }
  /* UDP transform detection: never fails the start (unavailable instead) */
  (void)rt_fw_init(r, r->cfg);
  /* the conductor link: a bad key or known-hosts file fails the start */
  if (rt_alarm_init(r, &alarm_hooks, err, sizeof(err)) != 0) {
    fprintf(stderr, "svr-router: conductor link: %s\nsvr-router: nothing "
                    "started\n", err);
    r->stopping = 1;
    rt_ctl_close(r);
    bfd_uv_close(r->glue);
    uv_walk(r->loop, close_walk, NULL);
    uv_run(r->loop, UV_RUN_DEFAULT);
    teardown(r);
    return RT_EXIT_FAIL;
  }
  /* dynamic peer update: follow the dynamic-address devices, report */
  if (rt_dpu_init(r, rt_apply, err, sizeof(err)) != 0) {
    rt_log(r, "%s: addresses are not followed", err);
  }
  rt_dpu_report(r);
  if (r->verbose) {
    uv_timer_init(r->loop, &r->verbose_timer);
    r->verbose_timer.data = r;
    uv_timer_start(&r->verbose_timer, on_verbose_timer, 500, 500);
  }
  rt_log(r, "started: node %s, %zu interface(s), %zu peer path(s), control "
             "socket %s", r->cfg->node, r->cfg->n_interfaces, r->n_paths,
         r->cfg->control_socket);
  bfd_uv_kick(r->glue);
  uv_run(r->loop, UV_RUN_DEFAULT);
  rt_log(r, "stopped");
  teardown(r);
  return RT_EXIT_OK;
}
