/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Router side of the asset channel (docs/libconductor.md section 10): two
 * TLS 1.3 connections to one conductor node, 4505 (HELLO, then only TCP
 * keepalives, 10 s) and 4506 (HELLO, an asset keepalive every second,
 * answers to the version check).  The router presents a certificate of its
 * SSH key and accepts only the conductor whose key is pinned for its 930
 * address in the known-hosts file.  Reconnects with a capped backoff.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conductor_asset.h"
#include "conductor_glue.h"
#include "conductor_tls.h"

enum { A_IDLE = 0, A_CONNECTING, A_TLS, A_HELLO, A_UP };

typedef struct achan {
  rasset *a;
  int ch;
  int state;
  int fd;
  SSL *ssl;
  uv_poll_t *poll;
  int poll_events;
  uint64_t retry_at; /* monotonic: next connect while A_IDLE */
  uint64_t deadline; /* connect/handshake deadline */
  unsigned attempt;
  uint8_t rbuf[CASSET_MAX_FRAME_LEN];
  size_t rlen;
  uint8_t wbuf[4 * CASSET_MAX_FRAME_LEN];
  size_t wlen;
  casset_ka ka;
  uint64_t ka_seq;
  char last_err[256];
} achan;

struct rasset {
  uv_loop_t *loop;
  rasset_opts o;
  char router[CONDUCTOR_NAME_MAX], node[CONDUCTOR_NAME_MAX];
  char addr[64], asset_id[CASSET_NAME_MAX], installed[CASSET_NAME_MAX];
  char key_path[1024], known_hosts[1024];
  char avail[RASSET_MAX_AVAILABLE][CASSET_NAME_MAX];
  SSL_CTX *ctx;
  achan ch[2];
  uv_timer_t tick;
  int stopping;
};

static void alog(rasset *a, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void alog(rasset *a, int level, const char *fmt, ...) {
  char line[768];
  va_list ap;
  if (a->o.log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  a->o.log(level, line, a->o.log_data);
}

static uint16_t chport(const achan *c) {
  return c->ch == CASSET_CH_PUB ? c->a->o.port_pub : c->a->o.port_req;
}

static void on_poll_closed(uv_handle_t *h) { free(h); }

static void chan_teardown(achan *c) {
  if (c->poll) {
    uv_poll_stop(c->poll);
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
    c->poll = NULL;
  }
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
  c->rlen = c->wlen = 0;
  c->poll_events = 0;
}

static void chan_fail(achan *c, const char *why) {
  rasset *a = c->a;
  uint64_t d;
  int was_up = c->state == A_UP;
  chan_teardown(c);
  c->state = A_IDLE;
  if (was_up) {
    c->attempt = 0;
  }
  d = 1000000000ULL << (c->attempt < 5 ? c->attempt : 5); /* 1 s .. 32 s */
  if (d > 30ULL * 1000000000ULL) {
    d = 30ULL * 1000000000ULL;
  }
  c->attempt++;
  c->retry_at = uv_hrtime() + d;
  /* Log a failure once per kind, not every retry. */
  if (was_up || strcmp(why, c->last_err) != 0) {
    alog(a, was_up ? 1 : 2, "asset channel %s:%u: %s; retrying", a->addr,
         (unsigned)chport(c), why);
    snprintf(c->last_err, sizeof c->last_err, "%s", why);
  }
}

static int queue(achan *c, const casset_msg *m) {
  conductor_ssize n;
  if (c->wlen + CASSET_MAX_FRAME_LEN > sizeof c->wbuf) {
    return CONDUCTOR_ERR_NOBUF;
  }
  n = casset_encode(c->wbuf + c->wlen, sizeof c->wbuf - c->wlen, m);
  if (n < 0) {
    return (int)n;
  }
  c->wlen += (size_t)n;
  return 0;
}

static void chan_update_poll(achan *c);
static void chan_process(achan *c);

static void on_poll(uv_poll_t *h, int status, int events) {
  achan *c = h->data;
  (void)events;
  if (status < 0) {
    chan_fail(c, "poll error");
    return;
  }
  chan_process(c);
}

static void chan_update_poll(achan *c) {
  int ev = UV_READABLE;
  if (c->poll == NULL) {
    return;
  }
  if (c->state == A_CONNECTING || c->wlen > 0 ||
      (c->ssl && SSL_want_write(c->ssl))) {
    ev |= UV_WRITABLE;
  }
  if (ev != c->poll_events) {
    c->poll_events = ev;
    uv_poll_start(c->poll, ev, on_poll);
  }
}

/* The conductor's certificate must carry its pinned SSH host key. */
static int verify_cb(int preverify, X509_STORE_CTX *xs) {
  SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
                                        SSL_get_ex_data_X509_STORE_CTX_idx());
  achan *c = ssl ? SSL_get_app_data(ssl) : NULL;
  char got[128], want[128];
  (void)preverify;
  if (c == NULL) {
    return 0;
  }
  if (X509_STORE_CTX_get_error_depth(xs) != 0) {
    return 1;
  }
  if (ctls_peer_b64(ssl, xs, got, sizeof got) != 0 ||
      ctls_known_host_key(c->a->known_hosts, c->a->addr, c->a->o.ssh_port,
                          want, sizeof want) != 0 ||
      strcmp(got, want) != 0) {
    X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

static void send_hello(achan *c) {
  rasset *a = c->a;
  casset_msg m;
  memset(&m, 0, sizeof m);
  m.type = CASSET_MSG_HELLO;
  m.version_min = 1;
  m.version_max = CASSET_PROTO_VERSION;
  m.channel = (uint8_t)c->ch;
  snprintf(m.node, sizeof m.node, "%s", a->node);
  snprintf(m.asset_id, sizeof m.asset_id, "%s", a->asset_id);
  snprintf(m.installed, sizeof m.installed, "%s", a->installed);
  queue(c, &m);
  c->state = A_HELLO;
}

static int on_msg(achan *c, const casset_msg *m, char *why, size_t cap) {
  rasset *a = c->a;
  casset_msg r;
  int i;
  casset_ka_on_rx(&c->ka, uv_hrtime());
  memset(&r, 0, sizeof r);
  if (c->state == A_HELLO) {
    if (m->type != CASSET_MSG_HELLO_ACK) {
      snprintf(why, cap, "%s instead of HELLO_ACK%s%.150s",
               casset_type_name(m->type), m->text[0] ? ": " : "", m->text);
      return -1;
    }
    c->state = A_UP;
    c->attempt = 0;
    c->last_err[0] = '\0';
    alog(a, 2, "asset channel %s:%u up (conductor node %s, asset %s)",
         a->addr, (unsigned)chport(c), m->node, a->asset_id);
    return 0;
  }
  switch (m->type) {
  case CASSET_MSG_KEEPALIVE_ACK:
    return 0;
  case CASSET_MSG_VERSION_CHECK:
    r.type = CASSET_MSG_VERSION_LIST;
    r.seq = m->seq;
    snprintf(r.installed, sizeof r.installed, "%s", a->installed);
    for (i = 0; i < a->o.n_available; i++) {
      snprintf(r.available[i], sizeof r.available[i], "%s", a->avail[i]);
    }
    r.n_available = (uint8_t)a->o.n_available;
    alog(a, 2, "asset channel: version check %llu: %d version(s) available",
         (unsigned long long)m->seq, a->o.n_available);
    return queue(c, &r) == 0 ? 0 : -1;
  case CASSET_MSG_ERROR:
    snprintf(why, cap, "conductor refused our %s: %.150s",
             casset_type_name(m->ref_type), m->text);
    return -1;
  default:
    snprintf(why, cap, "unexpected %s", casset_type_name(m->type));
    return -1;
  }
}

static void chan_process(achan *c) {
  char why[256] = "";
  if (c->state == A_CONNECTING) {
    int err = 0;
    socklen_t sl = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
    if (err == EINPROGRESS) {
      return;
    }
    if (err != 0) {
      snprintf(why, sizeof why, "connect: %s", strerror(err));
      chan_fail(c, why);
      return;
    }
    c->state = A_TLS;
  }
  if (c->state == A_TLS) {
    int rv = SSL_connect(c->ssl);
    if (rv != 1) {
      int e = SSL_get_error(c->ssl, rv);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        chan_update_poll(c);
        return;
      }
      if (SSL_get_verify_result(c->ssl) ==
          X509_V_ERR_APPLICATION_VERIFICATION) {
        snprintf(why, sizeof why,
                 "TLS: the conductor's key is not the one pinned for "
                 "[%s]:%u in %.120s",
                 c->a->addr, (unsigned)c->a->o.ssh_port, c->a->known_hosts);
      } else {
        unsigned long er = ERR_peek_error();
        char buf[200];
        ERR_error_string_n(er, buf, sizeof buf);
        snprintf(why, sizeof why, "TLS: %s", er ? buf : "handshake failed");
      }
      ERR_clear_error();
      chan_fail(c, why);
      return;
    }
    send_hello(c);
    casset_ka_init(&c->ka, uv_hrtime(), CASSET_KA_INTERVAL_NS,
                   CASSET_KA_MAX_DEFAULT);
    c->ka.next_tx = UINT64_MAX; /* keepalives start when HELLO is answered */
  }
  for (;;) { /* read */
    int n = SSL_read(c->ssl, c->rbuf + c->rlen,
                     (int)(sizeof c->rbuf - c->rlen));
    if (n <= 0) {
      int e = SSL_get_error(c->ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        break;
      }
      if (SSL_get_verify_result(c->ssl) == X509_V_OK) {
        unsigned long er = ERR_peek_error();
        char buf[200];
        ERR_error_string_n(er, buf, sizeof buf);
        snprintf(why, sizeof why, "%s",
                 e == SSL_ERROR_ZERO_RETURN ? "closed by the conductor"
                 : er                       ? buf
                                            : "connection lost");
      }
      ERR_clear_error();
      chan_fail(c, why[0] ? why : "connection lost");
      return;
    }
    c->rlen += (size_t)n;
    for (;;) {
      conductor_ssize fl = casset_frame_length(c->rbuf, c->rlen);
      casset_msg m;
      int rv;
      if (fl < 0) {
        chan_fail(c, "framing lost");
        return;
      }
      if (fl == 0 || (size_t)fl > c->rlen) {
        break;
      }
      rv = casset_decode(&m, c->rbuf, (size_t)fl);
      if (rv != 0) {
        snprintf(why, sizeof why, "refused frame from the conductor: %s",
                 conductor_strerror(rv));
        chan_fail(c, why);
        return;
      }
      if (on_msg(c, &m, why, sizeof why) != 0) {
        chan_fail(c, why);
        return;
      }
      memmove(c->rbuf, c->rbuf + fl, c->rlen - (size_t)fl);
      c->rlen -= (size_t)fl;
    }
  }
  while (c->wlen > 0) { /* write */
    int n = SSL_write(c->ssl, c->wbuf, (int)c->wlen);
    if (n <= 0) {
      int e = SSL_get_error(c->ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        break;
      }
      ERR_clear_error();
      chan_fail(c, "write failed");
      return;
    }
    memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
    c->wlen -= (size_t)n;
  }
  chan_update_poll(c);
}

static void chan_connect(achan *c) {
  rasset *a = c->a;
  struct sockaddr_storage ss;
  socklen_t sl;
  char why[256];
  memset(&ss, 0, sizeof ss);
  if (inet_pton(AF_INET, a->addr, &((struct sockaddr_in *)&ss)->sin_addr) ==
      1) {
    ss.ss_family = AF_INET;
    ((struct sockaddr_in *)&ss)->sin_port = htons(chport(c));
    sl = sizeof(struct sockaddr_in);
  } else {
    inet_pton(AF_INET6, a->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
    ss.ss_family = AF_INET6;
    ((struct sockaddr_in6 *)&ss)->sin6_port = htons(chport(c));
    sl = sizeof(struct sockaddr_in6);
  }
  c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    snprintf(why, sizeof why, "socket: %s", strerror(errno));
    chan_fail(c, why);
    return;
  }
  if (c->ch == CASSET_CH_PUB) {
    int on = 1, idle = CASSET_TCP_KA_ROUTER_S, cnt = 3;
    setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle);
    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  }
  if (connect(c->fd, (struct sockaddr *)&ss, sl) != 0 &&
      errno != EINPROGRESS) {
    snprintf(why, sizeof why, "connect: %s", strerror(errno));
    chan_fail(c, why);
    return;
  }
  c->ssl = SSL_new(a->ctx);
  c->poll = malloc(sizeof *c->poll);
  if (c->ssl == NULL || c->poll == NULL) {
    free(c->poll);
    c->poll = NULL;
    chan_fail(c, "out of memory");
    return;
  }
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_app_data(c->ssl, c);
  uv_poll_init(a->loop, c->poll, c->fd);
  c->poll->data = c;
  c->state = A_CONNECTING;
  c->deadline = uv_hrtime() + 10ULL * 1000000000ULL;
  c->poll_events = 0;
  chan_update_poll(c);
}

static void on_tick(uv_timer_t *h) {
  rasset *a = h->data;
  uint64_t now = uv_hrtime();
  int i;
  for (i = 0; i < 2; i++) {
    achan *c = &a->ch[i];
    if (c->state == A_IDLE) {
      if (now >= c->retry_at) {
        chan_connect(c);
      }
      continue;
    }
    if (c->state != A_UP) {
      if (now > c->deadline) {
        chan_fail(c, "no answer within 10 s");
      }
      continue;
    }
    if (c->ch != CASSET_CH_REQ) {
      continue; /* 4505: the kernel's TCP keepalives do the work */
    }
    if (casset_ka_dead(&c->ka, now)) {
      chan_fail(c, "the conductor stopped answering asset keepalives");
      continue;
    }
    if (c->ka.next_tx == UINT64_MAX) {
      c->ka.next_tx = now;
    }
    if (casset_ka_tx_due(&c->ka, now)) {
      casset_msg m;
      memset(&m, 0, sizeof m);
      m.type = CASSET_MSG_KEEPALIVE;
      m.seq = ++c->ka_seq;
      m.time_ns = cglue_unix_ns();
      m.status = CASSET_ST_RUNNING;
      snprintf(m.asset_id, sizeof m.asset_id, "%s", a->asset_id);
      snprintf(m.installed, sizeof m.installed, "%s", a->installed);
      queue(c, &m);
      chan_process(c);
    }
  }
}

int rasset_new(rasset **pa, uv_loop_t *loop, const rasset_opts *o, char *err,
               size_t errcap) {
  rasset *a = calloc(1, sizeof *a);
  int i;
  *pa = a;
  if (a == NULL) {
    snprintf(err, errcap, "out of memory");
    return CONDUCTOR_ERR_NOMEM;
  }
  a->loop = loop;
  a->o = *o;
  snprintf(a->router, sizeof a->router, "%s", o->router);
  snprintf(a->node, sizeof a->node, "%s", o->node);
  snprintf(a->addr, sizeof a->addr, "%s", o->addr);
  snprintf(a->key_path, sizeof a->key_path, "%s", o->key_path);
  snprintf(a->known_hosts, sizeof a->known_hosts, "%s", o->known_hosts);
  if (o->asset_id) {
    snprintf(a->asset_id, sizeof a->asset_id, "%s", o->asset_id);
  } else {
    snprintf(a->asset_id, sizeof a->asset_id, "%s.%s", o->router, o->node);
  }
  snprintf(a->installed, sizeof a->installed, "%s",
           o->installed ? o->installed : CONDUCTOR_VERSION);
  if (!casset_name_ok(a->asset_id) || !casset_version_ok(a->installed) ||
      o->n_available < 0 || o->n_available > RASSET_MAX_AVAILABLE) {
    snprintf(err, errcap, "asset id \"%s\" or version \"%s\" not valid "
                          "(1-63 of A-Z a-z 0-9 . _ -, versions also + ~)",
             a->asset_id, a->installed);
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < o->n_available; i++) {
    int j;
    if (!casset_version_ok(o->available[i])) {
      snprintf(err, errcap, "available version \"%s\" not valid",
               o->available[i]);
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    for (j = 0; j < i; j++) {
      if (strcmp(o->available[i], o->available[j]) == 0) {
        snprintf(err, errcap, "available version \"%s\" given twice",
                 o->available[i]);
        return CONDUCTOR_ERR_INVALID_ARGUMENT;
      }
    }
    snprintf(a->avail[i], sizeof a->avail[i], "%s", o->available[i]);
  }
  a->o.router = a->router;
  a->o.node = a->node;
  a->o.addr = a->addr;
  a->o.key_path = a->key_path;
  a->o.known_hosts = a->known_hosts;
  a->o.asset_id = a->asset_id;
  a->o.installed = a->installed;
  memset(a->o.available, 0, sizeof a->o.available);
  a->ctx = ctls_ctx_new(0, a->key_path, a->router, verify_cb, err, errcap);
  if (a->ctx == NULL) {
    return CONDUCTOR_ERR_SSH;
  }
  for (i = 0; i < 2; i++) {
    a->ch[i].a = a;
    a->ch[i].ch = i == 0 ? CASSET_CH_PUB : CASSET_CH_REQ;
    a->ch[i].fd = -1;
    a->ch[i].state = A_IDLE;
    a->ch[i].retry_at = 0;
  }
  uv_timer_init(loop, &a->tick);
  a->tick.data = a;
  uv_timer_start(&a->tick, on_tick, 0, 100);
  return 0;
}

int rasset_up(const rasset *a) {
  return a != NULL && a->ch[0].state == A_UP && a->ch[1].state == A_UP;
}

void rasset_stop(rasset *a) {
  int i;
  if (a == NULL) {
    return;
  }
  a->stopping = 1;
  for (i = 0; i < 2; i++) {
    if (a->ch[i].ssl && a->ch[i].state >= A_HELLO) {
      SSL_shutdown(a->ch[i].ssl);
    }
    chan_teardown(&a->ch[i]);
  }
  uv_close((uv_handle_t *)&a->tick, NULL);
}

void rasset_del(rasset *a) {
  if (a == NULL) {
    return;
  }
  SSL_CTX_free(a->ctx);
  free(a);
}
