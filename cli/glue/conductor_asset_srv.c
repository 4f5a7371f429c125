/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conductor side of the asset channel (docs/libconductor.md section 10):
 * TLS 1.3 listeners on 4505 and 4506, mutual authentication by the
 * routers' enrolled SSH keys, asset keepalives, the software version check
 * and the asset tables behind `svr-conductor show assets`.
 *
 * Sockets are non-blocking and watched with uv_poll; OpenSSL works on them
 * directly (SSL_set_fd) and says through WANT_READ / WANT_WRITE what to
 * wait for.  Protocol decisions are the sans-I/O core's
 * (libconductor/src/conductor_asset.c); this file only moves bytes, keeps
 * the tables and raises the asset alarm.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#include "conductor_asset.h"
#include "conductor_glue.h"
#include "conductor_tls.h"

typedef struct aconn aconn;

struct casrv {
  uv_loop_t *loop;
  casrv_opts o;
  char node_name[CONDUCTOR_NAME_MAX];
  SSL_CTX *ctx;
  int lfd[2]; /* [0] 4505, [1] 4506 */
  uint16_t port[2];
  uv_poll_t lpoll[2];
  uv_timer_t tick;
  aconn *conns;
  int stopping;
  uint64_t refused;
};

struct aconn {
  casrv *s;
  int fd;
  int ch; /* CASSET_CH_PUB / CASSET_CH_REQ */
  SSL *ssl;
  uv_poll_t *poll;
  int poll_events;
  int handshake_done;
  int hello_done;
  int closing;
  char peer[64];
  char router[CONDUCTOR_NAME_MAX];
  char node[CASSET_NAME_MAX];
  char asset_id[CASSET_NAME_MAX];
  char installed[CASSET_NAME_MAX];
  uint8_t status;
  uint8_t rbuf[CASSET_MAX_FRAME_LEN];
  size_t rlen;
  uint8_t *wbuf;
  size_t wlen, wcap;
  uint64_t accepted;
  casset_ka ka;
  casset_vc vc;
  aconn *prev, *next;
};

/* The store's connection is also the node's: this file writes only
 * between the node's own transactions (same thread, one at a time). */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS assets(router TEXT NOT NULL, node TEXT NOT "
    "NULL, conductor_node TEXT NOT NULL, asset_id TEXT, version TEXT, "
    "status TEXT, since_ns INTEGER, last_ka_ns INTEGER, pub_state TEXT, "
    "PRIMARY KEY(router, node, conductor_node));"
    "CREATE TABLE IF NOT EXISTS asset_software(router TEXT NOT NULL, node "
    "TEXT NOT NULL, conductor_node TEXT NOT NULL, installed TEXT, available "
    "TEXT, checked_ns INTEGER, PRIMARY KEY(router, node, conductor_node));";

static void slog(casrv *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void slog(casrv *s, int level, const char *fmt, ...) {
  char line[768];
  va_list ap;
  if (s->o.log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  s->o.log(level, line, s->o.log_data);
}

static sqlite3 *db(casrv *s) { return conductor_store_db(s->o.store); }

static void db_exec_row(casrv *s, const char *sql, const char *router,
                        const char *node, const char *a, const char *b,
                        int64_t t) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db(s), sql, -1, &st, NULL) != SQLITE_OK) {
    slog(s, 0, "asset store: %s", sqlite3_errmsg(db(s)));
    return;
  }
  sqlite3_bind_text(st, 1, router, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, node, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, s->node_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, a, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, b, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 6, t);
  if (sqlite3_step(st) != SQLITE_DONE) {
    slog(s, 0, "asset store: %s", sqlite3_errmsg(db(s)));
  }
  sqlite3_finalize(st);
}

/* The asset row of (router, node): the 4506 state (asset id, version,
 * status) or the 4505 state. */
static void store_asset(casrv *s, const aconn *c, const char *status) {
  int64_t now = (int64_t)cglue_unix_ns();
  if (c->ch == CASSET_CH_REQ) {
    db_exec_row(s,
                "INSERT INTO assets(router,node,conductor_node,asset_id,"
                "version,status,since_ns,last_ka_ns) VALUES(?1,?2,?3,?4,?5,"
                "?7,?6,?6) ON CONFLICT(router,node,conductor_node) DO UPDATE "
                "SET asset_id=?4, version=?5, status=?7, since_ns=?6, "
                "last_ka_ns=?6",
                c->router, c->node, c->asset_id, c->installed, now);
    {
      sqlite3_stmt *st;
      if (sqlite3_prepare_v2(db(s),
                             "UPDATE assets SET status=?4 WHERE router=?1 AND "
                             "node=?2 AND conductor_node=?3",
                             -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, c->router, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, c->node, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, s->node_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, status, -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_finalize(st);
      }
    }
    db_exec_row(s,
                "INSERT INTO asset_software(router,node,conductor_node,"
                "installed,available,checked_ns) VALUES(?1,?2,?3,?4,NULL,0) "
                "ON CONFLICT(router,node,conductor_node) DO UPDATE SET "
                "installed=?4",
                c->router, c->node, c->installed, NULL, 0);
  } else {
    db_exec_row(s,
                "INSERT INTO assets(router,node,conductor_node,pub_state) "
                "VALUES(?1,?2,?3,?4) ON CONFLICT(router,node,conductor_node) "
                "DO UPDATE SET pub_state=?4",
                c->router, c->node, status, NULL, now);
  }
}

/* ---- connections ---------------------------------------------------------- */

static void aconn_update_poll(aconn *c);

static void on_poll_closed(uv_handle_t *h) { free(h); }

static void aconn_free(aconn *c) {
  casrv *s = c->s;
  if (c->prev) {
    c->prev->next = c->next;
  } else {
    s->conns = c->next;
  }
  if (c->next) {
    c->next->prev = c->prev;
  }
  if (c->poll) {
    uv_poll_stop(c->poll);
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
  }
  if (c->ssl) {
    SSL_free(c->ssl);
  }
  if (c->fd >= 0) {
    close(c->fd);
  }
  free(c->wbuf);
  free(c);
}

/* Another live connection of the same (router, node, channel)? */
static aconn *find_other(casrv *s, const aconn *c) {
  aconn *o;
  for (o = s->conns; o; o = o->next) {
    if (o != c && !o->closing && o->hello_done && o->ch == c->ch &&
        strcmp(o->router, c->router) == 0 && strcmp(o->node, c->node) == 0) {
      return o;
    }
  }
  return NULL;
}

static void aconn_close(aconn *c, const char *why) {
  casrv *s = c->s;
  if (c->hello_done) {
    slog(s, 1, "asset %s: %s.%s (%s) on %u: %s", c->asset_id, c->router,
         c->node, c->peer, (unsigned)s->port[c->ch - 1], why);
    if (!s->stopping && find_other(s, c) == NULL) {
      store_asset(s, c, "disconnected");
      if (c->ch == CASSET_CH_REQ && s->o.alarm) {
        s->o.alarm(1, c->router, c->node, c->asset_id, s->o.alarm_data);
      }
    }
  } else if (why) {
    slog(s, 2, "asset channel %s on %u: %s", c->peer,
         (unsigned)s->port[c->ch - 1], why);
  }
  if (c->ssl && c->handshake_done) {
    SSL_shutdown(c->ssl); /* best effort close_notify, never waited for */
  }
  aconn_free(c);
}

static int queue(aconn *c, const casset_msg *m) {
  uint8_t frame[CASSET_MAX_FRAME_LEN];
  conductor_ssize n = casset_encode(frame, sizeof frame, m);
  if (n < 0) {
    return (int)n;
  }
  if (c->wlen + (size_t)n > 256 * 1024) {
    return CONDUCTOR_ERR_NOBUF; /* a router that does not read */
  }
  if (c->wlen + (size_t)n > c->wcap) {
    size_t nc = c->wcap ? c->wcap * 2 : 4096;
    uint8_t *nb;
    while (nc < c->wlen + (size_t)n) {
      nc *= 2;
    }
    nb = realloc(c->wbuf, nc);
    if (nb == NULL) {
      return CONDUCTOR_ERR_NOMEM;
    }
    c->wbuf = nb;
    c->wcap = nc;
  }
  memcpy(c->wbuf + c->wlen, frame, (size_t)n);
  c->wlen += (size_t)n;
  return 0;
}

static void send_error(aconn *c, int err, uint16_t ref, const char *text) {
  casset_msg m;
  memset(&m, 0, sizeof m);
  m.type = CASSET_MSG_ERROR;
  m.error_code = (uint16_t)-err;
  m.ref_type = ref;
  snprintf(m.text, sizeof m.text, "%s", text);
  queue(c, &m);
}

/* Returns -1 when the connection must close (|why| set). */
static int on_msg(aconn *c, const casset_msg *m, char *why, size_t cap) {
  casrv *s = c->s;
  casset_msg r;
  uint64_t now = uv_hrtime();
  memset(&r, 0, sizeof r);
  if (!c->hello_done) {
    if (m->type != CASSET_MSG_HELLO) {
      send_error(c, CONDUCTOR_ERR_UNEXPECTED, m->type, "HELLO first");
      snprintf(why, cap, "%s before HELLO", casset_type_name(m->type));
      return -1;
    }
    if (m->channel != c->ch) {
      send_error(c, CONDUCTOR_ERR_FIELD_VALUE, m->type, "wrong channel");
      snprintf(why, cap, "HELLO for channel %u on port %u", m->channel,
               (unsigned)s->port[c->ch - 1]);
      return -1;
    }
    if (m->version_min > CASSET_PROTO_VERSION) {
      send_error(c, CONDUCTOR_ERR_PROTO_VERSION, m->type,
                 "no common version");
      snprintf(why, cap, "no common version (%u-%u)", m->version_min,
               m->version_max);
      return -1;
    }
    snprintf(c->node, sizeof c->node, "%s", m->node);
    snprintf(c->asset_id, sizeof c->asset_id, "%s", m->asset_id);
    snprintf(c->installed, sizeof c->installed, "%s", m->installed);
    c->hello_done = 1;
    c->status = CASSET_ST_PENDING;
    {
      aconn *o = find_other(s, c);
      if (o) { /* a reconnect whose old connection is not yet gone */
        o->hello_done = 0;
        aconn_close(o, NULL);
      }
    }
    r.type = CASSET_MSG_HELLO_ACK;
    r.version = m->version_max < CASSET_PROTO_VERSION ? m->version_max
                                                      : CASSET_PROTO_VERSION;
    snprintf(r.node, sizeof r.node, "%s", s->node_name);
    queue(c, &r);
    slog(s, 2, "asset %s: %s.%s (%s) connected on %u, version %s", c->asset_id,
         c->router, c->node, c->peer, (unsigned)s->port[c->ch - 1],
         c->installed);
    if (c->ch == CASSET_CH_REQ) {
      casset_ka_init(&c->ka, now, CASSET_KA_INTERVAL_NS, s->o.ka_max);
      casset_vc_init(&c->vc, now, s->o.version_check_ns);
      store_asset(s, c, "pending");
      if (s->o.alarm) {
        s->o.alarm(0, c->router, c->node, c->asset_id, s->o.alarm_data);
      }
    } else {
      store_asset(s, c, "connected");
    }
    return 0;
  }
  if (c->ch == CASSET_CH_PUB) {
    send_error(c, CONDUCTOR_ERR_UNEXPECTED, m->type,
               "nothing follows HELLO on 4505");
    snprintf(why, cap, "%s on the keepalive connection",
             casset_type_name(m->type));
    return -1;
  }
  casset_ka_on_rx(&c->ka, now);
  switch (m->type) {
  case CASSET_MSG_KEEPALIVE:
    if (strcmp(m->asset_id, c->asset_id) != 0 ||
        strcmp(m->installed, c->installed) != 0 || m->status != c->status) {
      snprintf(c->asset_id, sizeof c->asset_id, "%s", m->asset_id);
      snprintf(c->installed, sizeof c->installed, "%s", m->installed);
      c->status = m->status;
      store_asset(s, c, casset_status_name(c->status));
    }
    r.type = CASSET_MSG_KEEPALIVE_ACK;
    r.seq = m->seq;
    r.time_ns = m->time_ns;
    queue(c, &r);
    return 0;
  case CASSET_MSG_KEEPALIVE_ACK:
    return 0;
  case CASSET_MSG_VERSION_LIST: {
    char avail[CASSET_MAX_AVAILABLE * CASSET_NAME_MAX + 1];
    size_t o = 0;
    unsigned i;
    if (casset_vc_on_reply(&c->vc, m->seq) != 0) {
      send_error(c, CONDUCTOR_ERR_UNKNOWN_SEQ, m->type,
                 "no such version check");
      return 0; /* a late answer: harmless */
    }
    avail[0] = '\0';
    for (i = 0; i < m->n_available; i++) {
      o += (size_t)snprintf(avail + o, sizeof avail - o, "%s%s", i ? "," : "",
                            m->available[i]);
    }
    db_exec_row(s,
                "INSERT INTO asset_software(router,node,conductor_node,"
                "installed,available,checked_ns) VALUES(?1,?2,?3,?4,?5,?6) "
                "ON CONFLICT(router,node,conductor_node) DO UPDATE SET "
                "installed=?4, available=?5, checked_ns=?6",
                c->router, c->node, m->installed, avail,
                (int64_t)cglue_unix_ns());
    slog(s, 2, "asset %s: %s.%s version check %llu: installed %s, %u "
               "available%s%s",
         c->asset_id, c->router, c->node, (unsigned long long)m->seq,
         m->installed, m->n_available, m->n_available ? ": " : "", avail);
    return 0;
  }
  case CASSET_MSG_ERROR:
    slog(s, 1, "asset %s: %s.%s sent ERROR %d about %s", c->asset_id,
         c->router, c->node, -(int)m->error_code,
         casset_type_name(m->ref_type));
    return 0;
  default:
    send_error(c, CONDUCTOR_ERR_UNEXPECTED, m->type, "not from a router");
    snprintf(why, cap, "unexpected %s", casset_type_name(m->type));
    return -1;
  }
}

/* Reads what TLS has, decodes complete frames.  -1: close (|why|). */
static int do_read(aconn *c, char *why, size_t cap) {
  for (;;) {
    int n = SSL_read(c->ssl, c->rbuf + c->rlen,
                     (int)(sizeof c->rbuf - c->rlen));
    if (n <= 0) {
      int e = SSL_get_error(c->ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        return 0;
      }
      snprintf(why, cap, "%s",
               e == SSL_ERROR_ZERO_RETURN ? "closed by the router"
               : e == SSL_ERROR_SYSCALL ||
                       (e == SSL_ERROR_SSL &&
                        ERR_GET_REASON(ERR_peek_error()) ==
                            SSL_R_UNEXPECTED_EOF_WHILE_READING)
                   ? "connection lost (closed without TLS close_notify)"
                   : "TLS error");
      ERR_clear_error();
      return -1;
    }
    c->rlen += (size_t)n;
    for (;;) {
      conductor_ssize fl = casset_frame_length(c->rbuf, c->rlen);
      casset_msg m;
      int rv;
      if (fl < 0) {
        snprintf(why, cap, "framing lost: %s", conductor_strerror((int)fl));
        return -1;
      }
      if (fl == 0 || (size_t)fl > c->rlen) {
        break;
      }
      rv = casset_decode(&m, c->rbuf, (size_t)fl);
      if (rv != 0) {
        send_error(c, rv, rv == CONDUCTOR_ERR_UNKNOWN_TYPE ? m.type : 0,
                   conductor_strerror(rv));
        snprintf(why, cap, "refused frame: %s", conductor_strerror(rv));
        return -1;
      }
      if (on_msg(c, &m, why, cap) != 0) {
        return -1;
      }
      memmove(c->rbuf, c->rbuf + fl, c->rlen - (size_t)fl);
      c->rlen -= (size_t)fl;
    }
  }
}

static int do_write(aconn *c, char *why, size_t cap) {
  while (c->wlen > 0) {
    int n = SSL_write(c->ssl, c->wbuf, (int)c->wlen);
    if (n <= 0) {
      int e = SSL_get_error(c->ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        return 0;
      }
      snprintf(why, cap, "write failed");
      ERR_clear_error();
      return -1;
    }
    memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
    c->wlen -= (size_t)n;
  }
  return 0;
}

/* Key check in the handshake: the certificate's key must be an enrolled
 * router key (the same lookup as SSH authentication on 930). */
static int verify_cb(int preverify, X509_STORE_CTX *xs) {
  SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
                                        SSL_get_ex_data_X509_STORE_CTX_idx());
  aconn *c = ssl ? SSL_get_app_data(ssl) : NULL;
  char b64[128];
  (void)preverify;
  if (c == NULL) {
    return 0;
  }
  if (X509_STORE_CTX_get_error_depth(xs) != 0) {
    return 1; /* a chain above the leaf means nothing here */
  }
  if (ctls_peer_b64(ssl, xs, b64, sizeof b64) != 0) {
    snprintf(c->router, sizeof c->router, "%s", "");
    X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (conductor_store_lookup_key(c->s->o.store, b64, c->router,
                                 sizeof c->router) != 0) {
    c->router[0] = '\0';
    snprintf(c->installed, sizeof c->installed, "%.40s", b64 + 19);
    X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

static void aconn_process(aconn *c) {
  char why[256] = "";
  if (!c->handshake_done) {
    int rv = SSL_accept(c->ssl);
    if (rv != 1) {
      int e = SSL_get_error(c->ssl, rv);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        aconn_update_poll(c);
        return;
      }
      c->s->refused++;
      if (SSL_get_verify_result(c->ssl) == X509_V_ERR_APPLICATION_VERIFICATION) {
        slog(c->s, 1, "asset channel %s on %u: refused: client key not "
                      "enrolled (key ...%s)",
             c->peer, (unsigned)c->s->port[c->ch - 1], c->installed);
      } else {
        unsigned long err = ERR_peek_error();
        char buf[200];
        ERR_error_string_n(err, buf, sizeof buf);
        slog(c->s, 1, "asset channel %s on %u: refused: %s", c->peer,
             (unsigned)c->s->port[c->ch - 1],
             err ? buf : "handshake failed");
      }
      ERR_clear_error();
      c->installed[0] = '\0';
      aconn_close(c, NULL);
      return;
    }
    c->handshake_done = 1;
    c->installed[0] = '\0';
    if (c->router[0] == '\0') { /* no certificate reached the callback */
      c->s->refused++;
      slog(c->s, 1, "asset channel %s on %u: refused: no client certificate",
           c->peer, (unsigned)c->s->port[c->ch - 1]);
      aconn_close(c, NULL);
      return;
    }
  }
  if (do_read(c, why, sizeof why) != 0 || do_write(c, why, sizeof why) != 0) {
    aconn_close(c, why);
    return;
  }
  aconn_update_poll(c);
}

static void on_conn_poll(uv_poll_t *h, int status, int events) {
  aconn *c = h->data;
  (void)events;
  if (status < 0) {
    aconn_close(c, "poll error");
    return;
  }
  aconn_process(c);
}

static void aconn_update_poll(aconn *c) {
  int ev = UV_READABLE;
  if (c->wlen > 0 || SSL_want_write(c->ssl)) {
    ev |= UV_WRITABLE;
  }
  if (ev != c->poll_events) {
    c->poll_events = ev;
    uv_poll_start(c->poll, ev, on_conn_poll);
  }
}

static void set_tcp_keepalive(int fd, int idle_s) {
  int on = 1, cnt = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle_s, sizeof idle_s);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

static void on_listen(uv_poll_t *h, int status, int events) {
  casrv *s = h->data;
  int ch = h == &s->lpoll[0] ? CASSET_CH_PUB : CASSET_CH_REQ;
  (void)events;
  if (status < 0 || s->stopping) {
    return;
  }
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char a[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    aconn *c;
    int fd = accept4(s->lfd[ch - 1], (struct sockaddr *)&ss, &sl,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      return; /* EAGAIN, or out of descriptors: the next readiness retries */
    }
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *in = (struct sockaddr_in *)&ss;
      inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
      port = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
      inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
      port = ntohs(in6->sin6_port);
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
      close(fd);
      return;
    }
    c->s = s;
    c->fd = fd;
    c->ch = ch;
    c->accepted = uv_hrtime();
    snprintf(c->peer, sizeof c->peer, "%s:%u", a, port);
    if (ch == CASSET_CH_PUB) {
      set_tcp_keepalive(fd, CASSET_TCP_KA_CONDUCTOR_S);
    }
    c->ssl = SSL_new(s->ctx);
    c->poll = malloc(sizeof *c->poll);
    if (c->ssl == NULL || c->poll == NULL) {
      free(c->poll);
      c->poll = NULL;
      c->next = s->conns;
      if (s->conns) {
        s->conns->prev = c;
      }
      s->conns = c;
      aconn_free(c);
      continue;
    }
    SSL_set_fd(c->ssl, fd);
    SSL_set_app_data(c->ssl, c);
    uv_poll_init(s->loop, c->poll, fd);
    c->poll->data = c;
    c->next = s->conns;
    if (s->conns) {
      s->conns->prev = c;
    }
    s->conns = c;
    c->poll_events = UV_READABLE;
    uv_poll_start(c->poll, UV_READABLE, on_conn_poll);
  }
}

static void on_tick(uv_timer_t *h) {
  casrv *s = h->data;
  uint64_t now = uv_hrtime();
  aconn *c, *next;
  for (c = s->conns; c; c = next) {
    uint64_t seq;
    next = c->next;
    if (!c->hello_done) {
      if (now - c->accepted > 10ULL * CONDUCTOR_SECONDS) {
        aconn_close(c, "no HELLO within 10 s");
      }
      continue;
    }
    if (c->ch != CASSET_CH_REQ) {
      continue;
    }
    if (casset_ka_dead(&c->ka, now)) {
      char why[128];
      snprintf(why, sizeof why,
               "no asset keepalive for %.1f s: not running",
               (double)(now - c->ka.last_rx) / 1e9);
      aconn_close(c, why);
      continue;
    }
    if (casset_vc_due(&c->vc, now, &seq)) {
      casset_msg m;
      memset(&m, 0, sizeof m);
      m.type = CASSET_MSG_VERSION_CHECK;
      m.seq = seq;
      queue(c, &m);
      slog(s, 2, "asset %s: %s.%s: version check %llu sent", c->asset_id,
           c->router, c->node, (unsigned long long)seq);
      aconn_process(c);
    }
  }
}

static int listen_on(casrv *s, int i, uint16_t port, char *err, size_t cap) {
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd, one = 1;
  const char *addr = s->o.listen_addr ? s->o.listen_addr : "0.0.0.0";
  memset(&ss, 0, sizeof ss);
  if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
    ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
    ((struct sockaddr_in *)&ss)->sin_port = htons(port);
    sl = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, addr,
                       &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
    ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
    ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
    sl = sizeof(struct sockaddr_in6);
  } else {
    snprintf(err, cap, "asset channel: %s is not a numeric address", addr);
    return CONDUCTOR_ERR_ADDRESS;
  }
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, cap, "asset channel: socket: %s", strerror(errno));
    return CONDUCTOR_ERR_BIND;
  }
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
    snprintf(err, cap, "asset channel: bind %s:%u: %s%s", addr,
             (unsigned)port, strerror(errno),
             errno == EACCES && port < 1024
                 ? " (below 1024 needs root or CAP_NET_BIND_SERVICE)"
                 : "");
    close(fd);
    return CONDUCTOR_ERR_BIND;
  }
  sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  s->port[i] = ntohs(ss.ss_family == AF_INET
                         ? ((struct sockaddr_in *)&ss)->sin_port
                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
  s->lfd[i] = fd;
  return 0;
}

int casrv_new(casrv **ps, uv_loop_t *loop, const casrv_opts *o, char *err,
              size_t errcap) {
  casrv *s = calloc(1, sizeof *s);
  int i, rv;
  char *e = NULL;
  *ps = s;
  if (s == NULL) {
    snprintf(err, errcap, "out of memory");
    return CONDUCTOR_ERR_NOMEM;
  }
  s->loop = loop;
  s->o = *o;
  s->lfd[0] = s->lfd[1] = -1;
  if (s->o.ka_max == 0) {
    s->o.ka_max = CASSET_KA_MAX_DEFAULT;
  }
  if (s->o.version_check_ns == 0) {
    s->o.version_check_ns = CASSET_VERSION_CHECK_NS;
  }
  snprintf(s->node_name, sizeof s->node_name, "%s",
           o->node_name ? o->node_name : "cnd1");
  if (sqlite3_exec(db(s), schema, NULL, NULL, &e) != SQLITE_OK) {
    snprintf(err, errcap, "asset tables: %s", e ? e : "?");
    sqlite3_free(e);
    return CONDUCTOR_ERR_DB;
  }
  /* Rows a crash left behind are stale. */
  sqlite3_exec(db(s),
               "UPDATE assets SET status='disconnected' WHERE status IS NOT "
               "NULL AND status!='disconnected';"
               "UPDATE assets SET pub_state='disconnected' WHERE pub_state IS "
               "NOT NULL",
               NULL, NULL, NULL);
  s->ctx = ctls_ctx_new(1, o->host_key, s->node_name, verify_cb, err, errcap);
  if (s->ctx == NULL) {
    return CONDUCTOR_ERR_SSH;
  }
  for (i = 0; i < 2; i++) {
    rv = listen_on(s, i, i == 0 ? o->port_pub : o->port_req, err, errcap);
    if (rv != 0) {
      return rv;
    }
    uv_poll_init(loop, &s->lpoll[i], s->lfd[i]);
    s->lpoll[i].data = s;
    uv_poll_start(&s->lpoll[i], UV_READABLE, on_listen);
  }
  uv_timer_init(loop, &s->tick);
  s->tick.data = s;
  uv_timer_start(&s->tick, on_tick, 100, 100);
  return 0;
}

uint16_t casrv_port(const casrv *s, int ch) {
  return s->port[ch == CASSET_CH_PUB ? 0 : 1];
}

void casrv_stop(casrv *s) {
  int i;
  if (s == NULL) {
    return;
  }
  s->stopping = 1;
  /* A stopped node serves no asset: its rows say so (no alarm: the
   * routers did not stop). */
  sqlite3_exec(db(s),
               "UPDATE assets SET status='disconnected' WHERE status IS NOT "
               "NULL AND status!='disconnected';"
               "UPDATE assets SET pub_state='disconnected' WHERE pub_state IS "
               "NOT NULL",
               NULL, NULL, NULL);
  while (s->conns) {
    aconn_close(s->conns, NULL);
  }
  for (i = 0; i < 2; i++) {
    if (s->lfd[i] >= 0) {
      uv_poll_stop(&s->lpoll[i]);
      uv_close((uv_handle_t *)&s->lpoll[i], NULL);
    }
  }
  uv_close((uv_handle_t *)&s->tick, NULL);
}

void casrv_del(casrv *s) {
  int i;
  if (s == NULL) {
    return;
  }
  for (i = 0; i < 2; i++) {
    if (s->lfd[i] >= 0) {
      close(s->lfd[i]);
    }
  }
  SSL_CTX_free(s->ctx);
  free(s);
}
