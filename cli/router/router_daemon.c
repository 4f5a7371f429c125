/*
 * svr-router daemon: one router node.  Composes libsvrbfd (BFD peer-path
 * detection and echo path quality) over UDP sockets in a libuv loop.
 *
 * Sockets: one per interface (waypoint address and port).  Each datagram is
 * classified with the peer-path demux rule (common/svr_meta.h): BFD control
 * packets go to the libsvrbfd context, SVR control datagrams of the echo
 * kinds to the path-quality engine (requests from a configured peer are
 * reflected at once, with our receive and transmit timestamps; replies go to
 * the path whose token they carry).  One timer covers the context and every
 * echo engine.
 *
 * Lifecycle: the configuration is parsed and validated completely, then
 * every socket is bound and the control socket opened; any failure stops
 * the start before a single packet is sent.  SIGHUP re-reads the file and
 * keeps sessions whose adjacency is unchanged; SIGTERM/SIGINT send AdminDown
 * on every session and exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "router.h"
#include "svr_meta.h"

#define RT_RXBUF 2048

static svrbfd_tstamp now_ns(void) { return (svrbfd_tstamp)uv_hrtime(); }

void rt_log(rt *r, const char *fmt, ...) {
  va_list ap;
  struct timespec ts;
  struct tm tm;
  char when[32];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(when, sizeof(when), "%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03ld svr-router[%s]: ", when, ts.tv_nsec / 1000000,
          r->cfg && r->cfg->router[0] ? r->cfg->router : "-");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void rand_cb(uint8_t *dest, size_t len, void *ud) {
  (void)ud;
  while (len > 0) {
    ssize_t n = getrandom(dest, len, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) {
        continue;
      }
      abort(); /* no entropy: nothing safe to do */
    }
    dest += n;
    len -= (size_t)n;
  }
}

/* ---- addresses --------------------------------------------------------- */

static socklen_t to_sockaddr(const svrbfd_addr *a, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (a->family == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    memcpy(&s4->sin_addr, a->addr, 4);
    return sizeof(*s4);
  }
  {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->addr, 16);
    return sizeof(*s6);
  }
}

static int from_sockaddr(svrbfd_addr *a, const struct sockaddr *sa) {
  memset(a, 0, sizeof(*a));
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    a->family = 4;
    a->port = ntohs(s4->sin_port);
    memcpy(a->addr, &s4->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    a->family = 6;
    a->port = ntohs(s6->sin6_port);
    memcpy(a->addr, &s6->sin6_addr, 16);
    return 0;
  }
  return -1;
}

static int addr_eq(const svrbfd_addr *a, const svrbfd_addr *b, int port) {
  return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0 &&
         (!port || a->port == b->port);
}

/* ---- sending ----------------------------------------------------------- */

static rt_sock *sock_for(rt *r, const svrbfd_addr *local) {
  size_t i;
  for (i = 0; i < r->n_socks; i++) {
    if (!r->socks[i]->closing && addr_eq(&r->socks[i]->addr, local, 1)) {
      return r->socks[i];
    }
  }
  return NULL;
}

static void send_to(rt *r, rt_sock *s, const svrbfd_addr *to,
                    const uint8_t *data, size_t len) {
  struct sockaddr_storage ss;
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  int rc;
  if (s == NULL || s->closing) {
    return;
  }
  to_sockaddr(to, &ss);
  rc = uv_udp_try_send(&s->udp, &b, 1, (const struct sockaddr *)&ss);
  if (rc < 0 && r->verbose) {
    char t[64];
    rt_log(r, "send to %s: %s", rc_addr_str(to, t, sizeof(t)), uv_strerror(rc));
  }
}

static void arm_timer(rt *r);

/* Sends everything due now: BFD control packets, then echo requests. */
static void flush(rt *r) {
  uint8_t buf[SVRBFD_PQ_MAX_PKT_LEN + 64];
  svrbfd_tstamp ts = now_ns();
  size_t i;
  for (;;) {
    svrbfd_path path;
    svrbfd_ssize n = svrbfd_ctx_write_pkt(r->ctx, &path, buf, sizeof(buf), ts);
    if (n <= 0) {
      if (n < 0) {
        rt_log(r, "write_pkt: %s", svrbfd_strerror((int)n));
      }
      break;
    }
    send_to(r, sock_for(r, &path.local), &path.remote, buf, (size_t)n);
  }
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    svrbfd_session_info in;
    if (p->s == NULL || !svrbfd_pq_path_started(p->pq)) {
      continue;
    }
    svrbfd_session_get_info(p->s, &in);
    /* RFC 5880 6.8.9: never faster than the peer's Required Min Echo RX */
    svrbfd_pq_path_set_peer_min_echo_rx(p->pq,
                                        in.remote_required_min_echo_rx_us);
    for (;;) {
      svrbfd_ssize n;
      ts = now_ns();
      n = svrbfd_pq_path_write_pkt(p->pq, buf, sizeof(buf), ts);
      if (n <= 0) {
        break;
      }
      send_to(r, p->sock, &in.remote, buf, (size_t)n);
    }
  }
  arm_timer(r);
}

/* ---- timer ------------------------------------------------------------- */

static svrbfd_tstamp next_deadline(rt *r) {
  svrbfd_tstamp t = svrbfd_ctx_get_expiry(r->ctx);
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    if (r->paths[i]->pq) {
      svrbfd_tstamp e = svrbfd_pq_path_get_expiry(r->paths[i]->pq);
      if (e < t) {
        t = e;
      }
    }
  }
  return t;
}

static void on_timer(uv_timer_t *t) {
  rt *r = t->data;
  svrbfd_tstamp ts = now_ns();
  size_t i;
  int rc = svrbfd_ctx_handle_expiry(r->ctx, ts);
  if (rc != 0) {
    rt_log(r, "handle_expiry: %s", svrbfd_strerror(rc));
  }
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    if (p->pq && svrbfd_pq_path_get_expiry(p->pq) <= ts) {
      svrbfd_pq_path_handle_expiry(p->pq, ts);
    }
  }
  flush(r);
}

static void arm_timer(rt *r) {
  svrbfd_tstamp next = next_deadline(r), ts = now_ns();
  uint64_t ms;
  if (r->stopping) {
    return;
  }
  if (next == SVRBFD_TSTAMP_MAX) {
    uv_timer_stop(&r->timer);
    return;
  }
  ms = next <= ts ? 0 : (next - ts + 999999) / 1000000;
  uv_timer_start(&r->timer, on_timer, ms, 0);
}

/* ---- receiving ---------------------------------------------------------- */

static rt_path *path_by_token(rt *r, uint32_t token) {
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    if (r->paths[i]->s && r->paths[i]->token == token) {
      return r->paths[i];
    }
  }
  return NULL;
}

/* Echo requests are reflected only for configured peers (no reflection
 * service for strangers): the configured or the observed address. */
static int known_peer(rt *r, rt_sock *s, const svrbfd_addr *from) {
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    svrbfd_session_info in;
    if (p->sock != s || p->s == NULL) {
      continue;
    }
    if (addr_eq(&p->adj.remote, from, 0)) {
      return 1;
    }
    svrbfd_session_get_info(p->s, &in);
    if (addr_eq(&in.remote, from, 0)) {
      return 1;
    }
  }
  return 0;
}

static void on_control(rt *r, rt_sock *s, const svrbfd_addr *from,
                       const uint8_t *data, size_t len, svrbfd_tstamp rx_ts) {
  svrbfd_pq_echo e;
  int rc = svrbfd_pq_echo_decode(&e, data, len);
  if (rc != 0) {
    r->rx_dropped++;
    return;
  }
  if (!e.reply) {
    uint8_t out[SVRBFD_PQ_MAX_PKT_LEN + 64];
    svrbfd_ssize n;
    if (!known_peer(r, s, from)) {
      r->echo_refused++;
      return;
    }
    n = svrbfd_pq_reflect(out, sizeof(out), data, len, rx_ts, now_ns());
    if (n > 0) {
      r->echo_reflected++;
      send_to(r, s, from, out, (size_t)n);
    }
    return;
  }
  {
    rt_path *p = path_by_token(r, e.token);
    if (p == NULL || p->pq == NULL) {
      r->rx_dropped++;
      return;
    }
    svrbfd_pq_path_read_echo(p->pq, &e, rx_ts);
  }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  static char rxbuf[RT_RXBUF];
  (void)h;
  (void)hint;
  buf->base = rxbuf;
  buf->len = sizeof(rxbuf);
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
  rt_sock *s = u->data;
  rt *r = s->r;
  svrbfd_tstamp ts = now_ns();
  svrbfd_addr from;
  const uint8_t *data = (const uint8_t *)buf->base;
  size_t len;
  (void)flags;
  if (nread <= 0 || addr == NULL || from_sockaddr(&from, addr) != 0) {
    return;
  }
  len = (size_t)nread;
  switch (svr_demux_classify(data, len)) {
  case SVR_DEMUX_BFD: {
    svrbfd_path path;
    int rc;
    memset(&path, 0, sizeof(path));
    path.local = s->addr;
    path.remote = from;
    path.ttl = -1;
    rc = svrbfd_ctx_read_pkt(r->ctx, &path, data, len, ts);
    if (rc != 0 && svrbfd_err_is_fatal(rc)) {
      rt_log(r, "read_pkt: %s", svrbfd_strerror(rc));
    }
    break;
  }
  case SVR_DEMUX_CONTROL:
    on_control(r, s, &from, data, len, ts);
    break;
  default:
    r->rx_dropped++;
    break;
  }
  flush(r);
}

/* ---- sockets ------------------------------------------------------------ */

static void sock_closed(uv_handle_t *h) { free(h->data); }

static void sock_close(rt_sock *s) {
  if (!s->closing) {
    s->closing = 1;
    uv_udp_recv_stop(&s->udp);
    uv_close((uv_handle_t *)&s->udp, sock_closed);
  }
}

static int sock_open(rt *r, const svrbfd_addr *a, rt_sock **out, char *err,
                     size_t errlen) {
  rt_sock *s = calloc(1, sizeof(*s));
  struct sockaddr_storage ss;
  char t[64];
  int rc;
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  s->addr = *a;
  s->r = r;
  uv_udp_init(r->loop, &s->udp);
  s->udp.data = s;
  to_sockaddr(a, &ss);
  rc = uv_udp_bind(&s->udp, (const struct sockaddr *)&ss, 0);
  if (rc == 0) {
    /* BFD is sent with TTL 255 (DESIGN.md section 5, auto TTL padding) */
    uv_udp_set_ttl(&s->udp, 255);
    rc = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
  }
  if (rc != 0) {
    snprintf(err, errlen, "bind %s port %u: %s", rc_addr_str(a, t, sizeof(t)),
             a->port, uv_strerror(rc));
    s->closing = 1;
    uv_close((uv_handle_t *)&s->udp, sock_closed);
    return -1;
  }
  *out = s;
  return 0;
}

/* ---- sessions ----------------------------------------------------------- */

static int cb_state(svrbfd_ctx *ctx, svrbfd_session *s, svrbfd_state old_state,
                    svrbfd_state new_state, svrbfd_diag diag, svrbfd_tstamp ts,
                    void *ud) {
  rt *r = ud;
  rt_path *p = svrbfd_session_get_user_data(s);
  (void)ctx;
  if (p == NULL) {
    return 0;
  }
  rt_log(r, "%s -> %s via %s: %s -> %s (%s)", r->cfg->router, p->adj.peer,
         r->cfg->interfaces[p->adj.interface].name,
         svrbfd_state_name(old_state), svrbfd_state_name(new_state),
         svrbfd_diag_name(diag));
  if (new_state == SVRBFD_STATE_UP && p->pq) {
    /* Echo tests run while the session is Up (RFC 5880 6.8.9) */
    p->echo_down = 0;
    svrbfd_pq_path_start(p->pq, ts);
  } else if (old_state == SVRBFD_STATE_UP && p->pq) {
    svrbfd_pq_path_stop(p->pq);
  }
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
  return 0;
}

static int cb_remote(svrbfd_ctx *ctx, svrbfd_session *s,
                     const svrbfd_addr *before, const svrbfd_addr *now,
                     void *ud) {
  rt *r = ud;
  rt_path *p = svrbfd_session_get_user_data(s);
  char a[64], b[64];
  (void)ctx;
  if (p) {
    rt_log(r, "%s: peer address changed %s:%u -> %s:%u (NAT)", p->adj.peer,
           rc_addr_str(before, a, sizeof(a)), before->port,
           rc_addr_str(now, b, sizeof(b)), now->port);
  }
  return 0;
}

/* A whole burst lost while the peer sends no periodic packets (Demand mode):
 * nothing else would notice the path is dead, so report it down and start a
 * Poll Sequence, which takes the session Down if the peer does not answer
 * within the detection time (RFC 5880 6.6). */
static int cb_burst(svrbfd_pq_path *pq, const svrbfd_pq_result *res, void *ud) {
  rt_path *p = ud;
  rt *r = p->r;
  (void)pq;
  if (r->verbose) {
    rt_log(r, "%s: burst %u: %u/%u back, latency %.3f ms, jitter %.3f ms, "
              "loss %.1f %%, MOS %.3f", p->adj.peer, res->burst, res->received,
           res->sent, res->latency_ms, res->jitter_ms, res->loss_pct, res->mos);
  }
  if (res->received == 0 && p->s) {
    svrbfd_session_info in;
    svrbfd_session_get_info(p->s, &in);
    if (in.demand_active && !p->echo_down) {
      p->echo_down = 1;
      rt_log(r, "%s: whole echo burst lost in Demand mode: path down, polling",
             p->adj.peer);
      svrbfd_session_poll(p->s, now_ns());
    }
  } else if (res->received > 0) {
    p->echo_down = 0;
  }
  return 0;
}

static void path_free(rt_path *p) {
  if (p == NULL) {
    return;
  }
  svrbfd_session_del(p->s);
  svrbfd_pq_path_del(p->pq);
  free(p);
}

static int path_new(rt *r, const rc_adjacency *adj, rt_path **out, char *err,
                    size_t errlen) {
  rt_path *p = calloc(1, sizeof(*p));
  svrbfd_session_config sc;
  svrbfd_pq_settings ps;
  svrbfd_pq_callbacks pcb;
  svrbfd_session_info in;
  int rc;
  if (p == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  p->adj = *adj;
  p->r = r;
  p->sock = sock_for(r, &adj->local);
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
  rc = svrbfd_session_new(r->ctx, &p->s, &sc, p, now_ns());
  if (rc != 0) {
    snprintf(err, errlen, "%s:%d: [adjacency %s]: BFD session: %s",
             r->cfg->file, adj->line, adj->peer, svrbfd_strerror(rc));
    free(p);
    return -1;
  }
  svrbfd_session_get_info(p->s, &in);
  p->token = in.local_discr;
  svrbfd_pq_settings_default(&ps);
  ps.link_test_interval_ns =
      (svrbfd_duration)adj->bfd.link_test_interval_s * SVRBFD_SECONDS;
  ps.link_test_length = (uint8_t)adj->bfd.link_test_length;
  ps.token = p->token;
  memset(&pcb, 0, sizeof(pcb));
  pcb.burst_done = cb_burst;
  rc = svrbfd_pq_path_new(&p->pq, &ps, &pcb, NULL, p);
  if (rc != 0) {
    snprintf(err, errlen, "[adjacency %s]: echo: %s", adj->peer,
             svrbfd_pq_strerror(rc));
    svrbfd_session_del(p->s);
    free(p);
    return -1;
  }
  *out = p;
  return 0;
}

/* ---- show peers ---------------------------------------------------------- */

size_t rt_rows(rt *r, rf_row *rows, size_t max) {
  size_t i, n = 0;
  svrbfd_tstamp ts = now_ns();
  for (i = 0; i < r->n_paths && n < max; i++) {
    rt_path *p = r->paths[i];
    rf_row *w = &rows[n++];
    svrbfd_pq_result res;
    svrbfd_pq_stats st;
    memset(w, 0, sizeof(*w));
    snprintf(w->router, sizeof(w->router), "%s", r->cfg->router);
    snprintf(w->peer, sizeof(w->peer), "%s", p->adj.peer);
    snprintf(w->node, sizeof(w->node), "%s", r->cfg->node);
    snprintf(w->interface, sizeof(w->interface), "%s",
             r->cfg->interfaces[p->adj.interface].name);
    snprintf(w->destination, sizeof(w->destination), "%s",
             p->adj.address_text);
    snprintf(w->hostname, sizeof(w->hostname), "%s", p->adj.hostname);
    snprintf(w->topology, sizeof(w->topology), "%s",
             rc_topology_name(p->adj.topology));
    w->port = p->adj.remote.port;
    w->status = "down";
    if (p->s) {
      svrbfd_session_info in;
      svrbfd_session_get_info(p->s, &in);
      snprintf(w->peer_node, sizeof(w->peer_node), "%s", in.peer_node_name);
      if (in.up && !p->echo_down) {
        w->status = "up";
      } else if (!p->echo_down && (in.state == SVRBFD_STATE_INIT ||
                                   in.state == SVRBFD_STATE_UP)) {
        w->status = "init";
      }
      w->detect_time_ms = in.detect_time_ns / 1000000u;
      if (in.up && p->up_at) {
        w->has_uptime = 1;
        w->uptime_s = ts > p->up_at ? (ts - p->up_at) / SVRBFD_SECONDS : 0;
      }
    }
    if (p->pq && svrbfd_pq_path_get_result(p->pq, &res)) {
      w->has_pq = 1;
      w->latency_ms = res.latency_ms;
      w->jitter_ms = res.jitter_ms;
      w->loss_pct = res.loss_pct;
      w->mos = res.mos;
    }
    if (p->pq) {
      svrbfd_pq_path_get_stats(p->pq, &st);
      w->bursts = st.bursts;
      w->echo_sent = st.burst_sent;
      w->echo_received = st.burst_received;
    }
  }
  return n;
}

/* ---- apply a configuration ------------------------------------------------ */

static int ctx_create(rt *r, const rc_config *c, char *err, size_t errlen) {
  svrbfd_callbacks cb;
  svrbfd_settings st;
  int rc;
  memset(&cb, 0, sizeof(cb));
  cb.rand = rand_cb;
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
  return 0;
}

/* Sends AdminDown for |p| now (best effort) and frees it. */
static void path_retire(rt *r, rt_path *p) {
  if (p->s) {
    svrbfd_session_set_admin_down(p->s, 1, now_ns());
    flush(r);
  }
  path_free(p);
}

/*
 * Makes |c| the running configuration.  On failure nothing changed (new
 * sockets are closed again) and -1 is returned with |err|.
 */
static int apply(rt *r, rc_config *c, char *err, size_t errlen) {
  rt_sock *opened[RC_MAX_INTERFACES];
  size_t n_opened = 0, i, j;
  rt_path *np[RC_MAX_ADJACENCIES];
  int restart_all = r->cfg != NULL && (strcmp(r->cfg->router, c->router) != 0 ||
                                       strcmp(r->cfg->node, c->node) != 0);

  /* 1. sockets: open what is new; any failure undoes this step */
  for (i = 0; i < r->n_socks; i++) {
    r->socks[i]->used = 0;
  }
  for (i = 0; i < c->n_interfaces; i++) {
    rt_sock *s = sock_for(r, &c->interfaces[i].address);
    if (s == NULL) {
      if (sock_open(r, &c->interfaces[i].address, &s, err, errlen) != 0) {
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s", err);
        snprintf(err, errlen, "%s:%d: [interface %s]: %s", c->file,
                 c->interfaces[i].line, c->interfaces[i].name, tmp);
        for (j = 0; j < n_opened; j++) {
          sock_close(opened[j]);
        }
        return -1;
      }
      opened[n_opened++] = s;
      r->socks[r->n_socks++] = s;
    }
    s->used = 1;
  }

  /* 2. the context (new, or new because the names changed) */
  if (restart_all) {
    rt_log(r, "router or node name changed: restarting every session");
    for (i = 0; i < r->n_paths; i++) {
      path_retire(r, r->paths[i]);
    }
    r->n_paths = 0;
    svrbfd_ctx_del(r->ctx);
    r->ctx = NULL;
  }
  if (r->ctx == NULL && ctx_create(r, c, err, errlen) != 0) {
    for (j = 0; j < n_opened; j++) {
      sock_close(opened[j]);
    }
    r->n_socks -= n_opened;
    return -1;
  }

  /* 3. paths: keep unchanged ones, create new ones */
  for (i = 0; i < r->n_paths; i++) {
    r->paths[i]->keep = 0;
  }
  for (i = 0; i < c->n_adjacencies; i++) {
    const rc_adjacency *a = &c->adjacencies[i];
    np[i] = NULL;
    for (j = 0; j < r->n_paths; j++) {
      rt_path *p = r->paths[j];
      if (!p->keep && rc_adjacency_same(&p->adj, a)) {
        p->keep = 1;
        p->adj = *a; /* hostname, line numbers, link-test settings */
        if (p->pq) {
          svrbfd_pq_path_set_link_test(
              p->pq, (svrbfd_duration)a->bfd.link_test_interval_s * SVRBFD_SECONDS,
              (uint8_t)a->bfd.link_test_length);
        }
        np[i] = p;
        break;
      }
    }
  }
  /* 4. retire paths that are gone or changed (AdminDown) before creating
   * their replacements, which may use the same addresses */
  for (i = 0; i < r->n_paths; i++) {
    if (!r->paths[i]->keep) {
      rt_log(r, "adjacency %s (%s) removed or changed: AdminDown",
             r->paths[i]->adj.peer, r->paths[i]->adj.address_text);
      path_retire(r, r->paths[i]);
      r->paths[i] = NULL;
    }
  }
  for (i = 0, j = 0; i < r->n_paths; i++) {
    if (r->paths[i]) {
      r->paths[j++] = r->paths[i];
    }
  }
  r->n_paths = j;
  {
    rc_config *old = r->cfg;
    int failed = 0;
    r->cfg = c; /* names used in messages and callbacks */
    for (i = 0; i < c->n_adjacencies; i++) {
      if (np[i] == NULL && path_new(r, &c->adjacencies[i], &np[i], err,
                                    errlen) != 0) {
        /* validated configs do not get here (out of memory, library
         * limits); the adjacency stays out and the error is logged */
        rt_log(r, "%s", err);
        failed = 1;
      }
    }
    for (i = 0, j = 0; i < c->n_adjacencies; i++) {
      if (np[i]) {
        np[j++] = np[i];
      }
    }
    if (failed && old == NULL) {
      for (i = 0; i < j; i++) {
        path_free(np[i]);
      }
      r->cfg = NULL;
      for (i = 0; i < n_opened; i++) {
        sock_close(opened[i]);
      }
      r->n_socks -= n_opened;
      return -1;
    }
    free(old);
  }
  for (i = 0; i < j; i++) {
    r->paths[i] = np[i];
    np[i]->sock = sock_for(r, &np[i]->adj.local);
  }
  r->n_paths = j;
  for (i = 0, j = 0; i < r->n_socks; i++) {
    if (r->socks[i]->used) {
      r->socks[j++] = r->socks[i];
    } else {
      sock_close(r->socks[i]);
    }
  }
  r->n_socks = j;
  return 0;
}

/* ---- signals -------------------------------------------------------------- */

static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) {
    uv_close(h, h->type == UV_UDP ? sock_closed : NULL);
  }
}

static void shutdown_now(rt *r) {
  size_t i;
  if (r->stopping) {
    return;
  }
  rt_log(r, "shutting down: AdminDown to %zu peer path(s)", r->n_paths);
  for (i = 0; i < r->n_paths; i++) {
    if (r->paths[i]->s) {
      svrbfd_session_set_admin_down(r->paths[i]->s, 1, now_ns());
    }
  }
  flush(r);
  r->stopping = 1;
  rt_ctl_close(r);
  uv_timer_stop(&r->timer);
  uv_walk(r->loop, close_walk, NULL);
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
      free(c);
      return;
    }
    if (strcmp(c->control_socket[0] ? c->control_socket : "",
               r->cfg->control_socket) != 0 && c->control_socket[0]) {
      rt_log(r, "reload: control-socket changes need a restart; keeping %s",
             r->cfg->control_socket);
    }
    snprintf(c->control_socket, sizeof(c->control_socket), "%s",
             r->cfg->control_socket);
    if (apply(r, c, err, sizeof(err)) != 0) {
      rt_log(r, "reload rejected, configuration kept: %s", err);
      free(c);
      return;
    }
    {
      size_t k, kept = 0;
      for (k = 0; k < r->n_paths; k++) {
        kept += r->paths[k]->keep ? 1u : 0u;
      }
      rt_log(r, "reloaded: %zu peer path(s), %zu kept unchanged", r->n_paths,
             kept);
    }
    flush(r);
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

int rt_run(const char *cfg_path, int verbose) {
  rt r;
  rc_config *c = malloc(sizeof(*c));
  char err[8192];
  size_t i;

  memset(&r, 0, sizeof(r));
  r.verbose = verbose;
  snprintf(r.cfg_path, sizeof(r.cfg_path), "%s", cfg_path);
  if (c == NULL) {
    fprintf(stderr, "svr-router: out of memory\n");
    return RT_EXIT_FAIL;
  }
  if (rc_parse_file(c, cfg_path, err, sizeof(err)) != 0) {
    fprintf(stderr, "%ssvr-router: configuration rejected, nothing started\n",
            err);
    free(c);
    return RT_EXIT_USAGE;
  }
  rt_default_socket(c);
  r.loop = uv_default_loop();
  uv_timer_init(r.loop, &r.timer);
  r.timer.data = &r;
  if (apply(&r, c, err, sizeof(err)) != 0 ||
      rt_ctl_listen(&r, c->control_socket, err, sizeof(err)) != 0) {
    fprintf(stderr, "svr-router: %s\nsvr-router: nothing started\n", err);
    /* close without sending: no session has transmitted yet */
    for (i = 0; i < r.n_paths; i++) {
      path_free(r.paths[i]);
    }
    r.n_paths = 0;
    r.stopping = 1;
    if (r.cfg == NULL) {
      free(c);
    } else {
      r.cfg->control_socket[0] = '\0';
    }
    r.ctl_open = 0;
    uv_walk(r.loop, close_walk, NULL);
    uv_run(r.loop, UV_RUN_DEFAULT);
    svrbfd_ctx_del(r.ctx);
    free(r.cfg);
    uv_loop_close(r.loop);
    return RT_EXIT_FAIL;
  }
  uv_signal_init(r.loop, &r.sig_term);
  uv_signal_init(r.loop, &r.sig_int);
  uv_signal_init(r.loop, &r.sig_hup);
  r.sig_term.data = r.sig_int.data = r.sig_hup.data = &r;
  uv_signal_start(&r.sig_term, on_signal, SIGTERM);
  uv_signal_start(&r.sig_int, on_signal, SIGINT);
  uv_signal_start(&r.sig_hup, on_signal, SIGHUP);
  rt_log(&r, "started: node %s, %zu interface(s), %zu peer path(s), control "
             "socket %s", r.cfg->node, r.n_socks, r.n_paths,
         r.cfg->control_socket);
  flush(&r);
  uv_run(r.loop, UV_RUN_DEFAULT);
  for (i = 0; i < r.n_paths; i++) {
    path_free(r.paths[i]);
  }
  svrbfd_ctx_del(r.ctx);
  rt_log(&r, "stopped");
  free(r.cfg);
  uv_loop_close(r.loop);
  return RT_EXIT_OK;
}
