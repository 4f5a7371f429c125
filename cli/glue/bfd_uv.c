/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bfd_uv.c: libsvrbfd <-> UDP sockets in a libuv loop.  See bfd_uv.h for the
 * socket layout.  Linux only (recvmmsg, sendmmsg, IP_PKTINFO, getrandom).
 */
#define _GNU_SOURCE
#include "bfd_uv.h"

#include <svrbfd/svrbfd_pq.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/* RFC 9764 padded packets may exceed 512; SVR control datagrams of other
 * kinds reach 9188 bytes (a 9216-byte IPv4 PMTU probe, the largest size
 * libsvrpmtu tests), and must be read whole to be answered. */
#define BFD_UV_RXBUF 9216
#define BFD_UV_RX_ROUNDS 64 /* recvmmsg calls per wakeup before yielding */
/* Datagrams sent per callback before yielding to the loop: with 100,000
 * sessions a burst of due packets must not starve receive processing (the
 * peers' packets would overflow the socket buffer and sessions would flap).
 * Receiving gets the larger share (64 x 64 per wakeup): a received packet
 * not read in time is lost, a packet sent a little late is not. */
#define BFD_UV_TX_BUDGET 1024
#define BFD_UV_TOS_CS6 0xc0
#define BFD_UV_SPORT_MIN 49152
#define BFD_UV_SPORT_MAX 65535

typedef struct bfd_uv_sock {
  uv_poll_t poll;
  int fd;
  int family;          /* AF_INET / AF_INET6 */
  int wildcard;        /* bound to the any address: use PKTINFO */
  svrbfd_addr bound;   /* address (zero if wildcard) and port */
  struct bfd_uv *g;
  struct bfd_uv_sock *next;
} bfd_uv_sock;

/* One local address (or wildcard) and receive port, and where to send. */
typedef struct bfd_uv_ep {
  svrbfd_addr key;     /* family, addr (zero if wildcard), receive port */
  bfd_uv_sock *rx;
  bfd_uv_sock *tx;     /* == rx in SVR mode */
  struct bfd_uv_ep *next; /* hash chain */
} bfd_uv_ep;

typedef struct bfd_uv_txmsg {
  struct sockaddr_storage to;
  struct iovec iov;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  uint8_t data[SVRBFD_MAX_PKT_LEN];
} bfd_uv_txmsg;

typedef struct bfd_uv_rxmsg {
  struct sockaddr_storage from;
  struct iovec iov;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) +
             64];
    struct cmsghdr align;
  } ctl;
  uint8_t data[BFD_UV_RXBUF];
} bfd_uv_rxmsg;

struct bfd_uv {
  uv_loop_t *loop;
  svrbfd_ctx *ctx;
  int bind_mode;
  uv_timer_t timer;
  uv_idle_t idle;      /* runs while a transmit backlog remains */
  int idle_active;
  int closing;
  bfd_uv_sock *socks;
  bfd_uv_ep **table;   /* hash of endpoints by key */
  size_t table_size;   /* power of two */
  size_t n_eps;
  bfd_uv_stats stats;
  char err[160];
  bfd_uv_ctrl_cb ctrl_cb;  /* other SVR control kinds (PMTU, ...) */
  void *ctrl_ud;
  int dont_fragment;       /* DF on every socket */
  bfd_uv_errq_cb errq_cb;  /* IP_RECVERR on every socket */
  void *errq_ud;
  /* transmit batch: all for one socket */
  bfd_uv_sock *tx_sock;
  unsigned tx_n;
  bfd_uv_txmsg tx[BFD_UV_BATCH];
  struct mmsghdr tx_hdr[BFD_UV_BATCH];
  bfd_uv_rxmsg rx[BFD_UV_BATCH];
  struct mmsghdr rx_hdr[BFD_UV_BATCH];
};

svrbfd_tstamp bfd_uv_now(void) { return (svrbfd_tstamp)uv_hrtime(); }

void bfd_uv_rand(uint8_t *dest, size_t len, void *user_data) {
  (void)user_data;
  while (len > 0) {
    ssize_t n = getrandom(dest, len, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      /* getrandom cannot fail on Linux >= 3.17 once the pool is ready; a
       * silent weak fallback would be worse than stopping. */
      perror("getrandom");
      abort();
    }
    dest += n;
    len -= (size_t)n;
  }
}

/* ---- addresses ------------------------------------------------------ */

int bfd_addr_parse(svrbfd_addr *a, const char *text) {
  memset(a, 0, sizeof(*a));
  if (inet_pton(AF_INET, text, a->addr) == 1) {
    a->family = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, a->addr) == 1) {
    a->family = 6;
    return 0;
  }
  return -1;
}

const char *bfd_addr_str(const svrbfd_addr *a, int with_port, char *buf,
                         size_t buflen) {
  char t[INET6_ADDRSTRLEN];
  if (a->family == 4) {
    inet_ntop(AF_INET, a->addr, t, sizeof(t));
  } else if (a->family == 6) {
    inet_ntop(AF_INET6, a->addr, t, sizeof(t));
  } else {
    snprintf(t, sizeof(t), "*");
  }
  if (!with_port) {
    snprintf(buf, buflen, "%s", t);
  } else if (a->family == 6) {
    snprintf(buf, buflen, "[%s]:%u", t, a->port);
  } else {
    snprintf(buf, buflen, "%s:%u", t, a->port);
  }
  return buf;
}

static void addr_to_sockaddr(const svrbfd_addr *a, uint16_t port,
                             struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof(*ss));
  if (a->family == 6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    memcpy(&s6->sin6_addr, a->addr, 16);
    *len = sizeof(*s6);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, a->addr, 4);
    *len = sizeof(*s4);
  }
}

static void sockaddr_to_addr(const struct sockaddr_storage *ss,
                             svrbfd_addr *a) {
  memset(a, 0, sizeof(*a));
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    a->family = 6;
    a->port = ntohs(s6->sin6_port);
    memcpy(a->addr, &s6->sin6_addr, 16);
  } else if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    a->family = 4;
    a->port = ntohs(s4->sin_port);
    memcpy(a->addr, &s4->sin_addr, 4);
  }
}


/* ---- endpoint hash -------------------------------------------------- */

static size_t ep_hash(const svrbfd_addr *k, size_t size) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  size_t i;
  h = (h ^ k->family) * 1099511628211ULL;
  h = (h ^ (k->port & 0xff)) * 1099511628211ULL;
  h = (h ^ (k->port >> 8)) * 1099511628211ULL;
  for (i = 0; i < 16; i++) {
    h = (h ^ k->addr[i]) * 1099511628211ULL;
  }
  return (size_t)(h & (size - 1));
}

static int key_eq(const svrbfd_addr *a, const svrbfd_addr *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->addr, b->addr, 16) == 0;
}

static bfd_uv_ep *ep_find(const bfd_uv *g, const svrbfd_addr *key) {
  bfd_uv_ep *e;
  for (e = g->table[ep_hash(key, g->table_size)]; e; e = e->next) {
    if (key_eq(&e->key, key)) {
      return e;
    }
  }
  return NULL;
}

static int ep_insert(bfd_uv *g, bfd_uv_ep *ep) {
  size_t h;
  if (g->n_eps + 1 > g->table_size) { /* grow: load factor <= 1 */
    size_t nsize = g->table_size * 2, i;
    bfd_uv_ep **nt = calloc(nsize, sizeof(*nt));
    if (!nt) {
      return -ENOMEM;
    }
    for (i = 0; i < g->table_size; i++) {
      bfd_uv_ep *e = g->table[i], *n;
      for (; e; e = n) {
        n = e->next;
        h = ep_hash(&e->key, nsize);
        e->next = nt[h];
        nt[h] = e;
      }
    }
    free(g->table);
    g->table = nt;
    g->table_size = nsize;
  }
  h = ep_hash(&ep->key, g->table_size);
  ep->next = g->table[h];
  g->table[h] = ep;
  g->n_eps++;
  return 0;
}

/* ---- sockets -------------------------------------------------------- */

static void on_readable(uv_poll_t *h, int status, int events);

static int sock_setopts(bfd_uv *g, int fd, int family) {
  int one = 1, ttl = 255, tos = BFD_UV_TOS_CS6;
  int rc = 0;
  if (family == AF_INET) {
    rc |= setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
    rc |= setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
    rc |= setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    rc |= setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
  } else {
    rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
    rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
    rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
  }
  if (rc != 0) {
    snprintf(g->err, sizeof(g->err), "setsockopt: %s", strerror(errno));
    return -errno;
  }
  return 0;
}

/* DF without the route's cached PMTU (bfd_uv_set_ctrl_handler()). */
static int sock_set_df(bfd_uv *g, int fd, int family) {
  int probe = family == AF_INET ? IP_PMTUDISC_PROBE : IPV6_PMTUDISC_PROBE;
  int one = 1, rc;
  if (family == AF_INET) {
    rc = setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof(probe));
  } else {
    rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe,
                    sizeof(probe));
    rc |= setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
  }
  if (rc != 0) {
    snprintf(g->err, sizeof(g->err), "setsockopt DF: %s", strerror(errno));
    return -errno;
  }
  return 0;
}

static int sock_set_recverr(bfd_uv *g, int fd, int family) {
  int one = 1;
  int rc = family == AF_INET
               ? setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one))
               : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
  if (rc != 0) {
    snprintf(g->err, sizeof(g->err), "setsockopt RECVERR: %s",
             strerror(errno));
    return -errno;
  }
  return 0;
}

/* Opens and binds a socket on |addr| (family set; zero addr if wildcard),
 * port |port|; port 0 picks a free one in 49152-65535. */
static int sock_open(bfd_uv *g, const svrbfd_addr *addr, int wildcard,
                     uint16_t port, bfd_uv_sock **out) {
  int family = addr->family == 6 ? AF_INET6 : AF_INET;
  struct sockaddr_storage ss;
  socklen_t sl;
  char ab[80];
  bfd_uv_sock *s;
  int fd, rc, bufsz = 16 << 20;
  uint32_t start, i;

  fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    snprintf(g->err, sizeof(g->err), "socket: %s", strerror(errno));
    return -errno;
  }
  if ((rc = sock_setopts(g, fd, family)) != 0 ||
      (g->dont_fragment && (rc = sock_set_df(g, fd, family)) != 0) ||
      (g->errq_cb && (rc = sock_set_recverr(g, fd, family)) != 0)) {
    close(fd);
    return rc;
  }
  /* Large buffers: 100,000 sessions burst thousands of packets per ms
   * (16 MB holds ~20,000 small datagrams at ~800 bytes of truesize). */
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz));
  if (port != 0) {
    addr_to_sockaddr(addr, port, &ss, &sl);
    rc = bind(fd, (struct sockaddr *)&ss, sl);
  } else {
    /* RFC 5881 section 4: source port 49152-65535; start at a random
     * point so restarts do not reuse the previous port at once. */
    uint8_t r[4];
    bfd_uv_rand(r, sizeof(r), NULL);
    start = ((uint32_t)r[0] << 8 | r[1]) % 16384u;
    rc = -1;
    for (i = 0; i < 16384u && rc != 0; i++) {
      port = (uint16_t)(BFD_UV_SPORT_MIN + (start + i) % 16384u);
      addr_to_sockaddr(addr, port, &ss, &sl);
      rc = bind(fd, (struct sockaddr *)&ss, sl);
      if (rc != 0 && errno != EADDRINUSE) {
        break;
      }
    }
  }
  if (rc != 0) {
    int e = errno;
    svrbfd_addr tmp = *addr;
    tmp.port = port;
    snprintf(g->err, sizeof(g->err), "bind %s: %s",
             bfd_addr_str(&tmp, 1, ab, sizeof(ab)), strerror(e));
    close(fd);
    return -e;
  }
  s = calloc(1, sizeof(*s));
  if (!s) {
    close(fd);
    return -ENOMEM;
  }
  s->fd = fd;
  s->family = family;
  s->wildcard = wildcard;
  s->bound = *addr;
  s->bound.port = port;
  s->g = g;
  rc = uv_poll_init(g->loop, &s->poll, fd);
  if (rc == 0) {
    s->poll.data = s;
    rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  }
  if (rc != 0) {
    snprintf(g->err, sizeof(g->err), "uv_poll: %s", uv_strerror(rc));
    close(fd);
    free(s);
    return rc;
  }
  s->next = g->socks;
  g->socks = s;
  *out = s;
  return 0;
}

int bfd_uv_add_local(bfd_uv *g, const svrbfd_addr *local, svrbfd_mode mode) {
  svrbfd_addr key = *local;
  bfd_uv_ep *ep;
  int rc;
  if (local->family != 4 && local->family != 6) {
    snprintf(g->err, sizeof(g->err), "local address has no family");
    return -EINVAL;
  }
  if (key.port == 0) {
    key.port = svrbfd_mode_port(mode);
  }
  if (g->bind_mode == BFD_UV_BIND_ANY) {
    memset(key.addr, 0, sizeof(key.addr));
  }
  ep = ep_find(g, &key);
  if (ep) {
    if (mode != SVRBFD_MODE_SVR && ep->tx == ep->rx) {
      /* the same address also serves an RFC 5881/5883 session: add a
       * sender */
      goto add_tx;
    }
    return 0;
  }
  ep = calloc(1, sizeof(*ep));
  if (!ep) {
    return -ENOMEM;
  }
  ep->key = key;
  rc = sock_open(g, &key, g->bind_mode == BFD_UV_BIND_ANY, key.port, &ep->rx);
  if (rc != 0) {
    free(ep);
    return rc;
  }
  ep->tx = ep->rx;
  if ((rc = ep_insert(g, ep)) != 0) {
    free(ep);
    return rc;
  }
  if (mode == SVRBFD_MODE_SVR) {
    return 0;
  }
add_tx: /* RFC 5881/5883: send from a port of our own, 49152-65535 */
  return sock_open(g, &key, g->bind_mode == BFD_UV_BIND_ANY, 0, &ep->tx);
}

/* ---- transmit ------------------------------------------------------- */

static void tx_flush(bfd_uv *g) {
  unsigned done = 0;
  while (done < g->tx_n) {
    int n = sendmmsg(g->tx_sock->fd, g->tx_hdr + done, g->tx_n - done, 0);
    g->stats.tx_syscalls++;
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      /* The first message failed (no route, buffer full...): BFD tolerates
       * loss, so drop it and go on with the rest. */
      g->stats.tx_errors++;
      g->stats.last_tx_errno = errno;
      done++;
      continue;
    }
    g->stats.tx_datagrams += (uint64_t)n;
    done += (unsigned)n;
  }
  g->tx_n = 0;
  g->tx_sock = NULL;
}

/* The endpoint that sends |path|: its local address and port if bound,
 * else the one of the session's mode, told by the destination port (RFC
 * 5881 / 5883 sessions always send to 3784 / 4784), else SVR's. */
static bfd_uv_ep *ep_for_local(bfd_uv *g, const svrbfd_path *path) {
  static const uint16_t order_svr[] = {SVRBFD_PORT_SVR, SVRBFD_PORT_RFC5881,
                                       SVRBFD_PORT_RFC5883};
  static const uint16_t order_5881[] = {SVRBFD_PORT_RFC5881, SVRBFD_PORT_SVR,
                                        SVRBFD_PORT_RFC5883};
  static const uint16_t order_5883[] = {SVRBFD_PORT_RFC5883, SVRBFD_PORT_SVR,
                                        SVRBFD_PORT_RFC5881};
  const uint16_t *order = path->remote.port == SVRBFD_PORT_RFC5881 ? order_5881
                          : path->remote.port == SVRBFD_PORT_RFC5883
                              ? order_5883
                              : order_svr;
  svrbfd_addr key = path->local;
  bfd_uv_ep *ep;
  unsigned i;
  if (g->bind_mode == BFD_UV_BIND_ANY) {
    memset(key.addr, 0, sizeof(key.addr));
  }
  if (key.port != 0 && (ep = ep_find(g, &key)) != NULL) {
    return ep;
  }
  for (i = 0; i < 3; i++) {
    key.port = order[i];
    if ((ep = ep_find(g, &key)) != NULL) {
      return ep;
    }
  }
  return NULL;
}

/* Queues one datagram produced by write_pkt into the batch. */
static void tx_queue(bfd_uv *g, const svrbfd_path *path, size_t len) {
  bfd_uv_txmsg *m;
  struct mmsghdr *h;
  struct msghdr *mh;
  struct cmsghdr *c;
  socklen_t sl;
  size_t ctl = 0;
  bfd_uv_ep *ep = ep_for_local(g, path);
  bfd_uv_sock *s;

  if (!ep) {
    g->stats.tx_no_socket++;
    return;
  }
  s = ep->tx;
  if (g->tx_sock && g->tx_sock != s) {
    /* A batch holds one socket's datagrams: send it, then move this
     * datagram (written at index tx_n) to the front of the new batch. */
    unsigned at = g->tx_n;
    tx_flush(g);
    memcpy(g->tx[0].data, g->tx[at].data, len);
  }
  g->tx_sock = s;
  m = &g->tx[g->tx_n];
  h = &g->tx_hdr[g->tx_n];
  /* write_pkt wrote into g->tx[tx_n].data already */
  addr_to_sockaddr(&path->remote,
                   path->remote.port ? path->remote.port
                                     : (uint16_t)SVRBFD_PORT_SVR,
                   &m->to, &sl);
  m->iov.iov_base = m->data;
  m->iov.iov_len = len;
  memset(h, 0, sizeof(*h));
  mh = &h->msg_hdr;
  mh->msg_name = &m->to;
  mh->msg_namelen = sl;
  mh->msg_iov = &m->iov;
  mh->msg_iovlen = 1;
  mh->msg_control = m->ctl.buf;
  mh->msg_controllen = sizeof(m->ctl.buf);
  c = CMSG_FIRSTHDR(mh);
  if (s->wildcard) { /* choose the source address */
    if (s->family == AF_INET) {
      struct in_pktinfo pi;
      memset(&pi, 0, sizeof(pi));
      memcpy(&pi.ipi_spec_dst, path->local.addr, 4);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(c), &pi, sizeof(pi));
      ctl += CMSG_SPACE(sizeof(pi));
    } else {
      struct in6_pktinfo pi;
      memset(&pi, 0, sizeof(pi));
      memcpy(&pi.ipi6_addr, path->local.addr, 16);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(c), &pi, sizeof(pi));
      ctl += CMSG_SPACE(sizeof(pi));
    }
    c = CMSG_NXTHDR(mh, c);
  }
  if (path->ttl >= 0 && path->ttl != 255 && c) { /* sockets default to 255 */
    int ttl = path->ttl;
    c->cmsg_level = s->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    c->cmsg_type = s->family == AF_INET ? IP_TTL : IPV6_HOPLIMIT;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &ttl, sizeof(int));
    ctl += CMSG_SPACE(sizeof(int));
  }
  mh->msg_controllen = ctl;
  if (ctl == 0) {
    mh->msg_control = NULL;
  }
  g->tx_n++;
  if (g->tx_n == BFD_UV_BATCH) {
    tx_flush(g);
  }
}

static void on_idle(uv_idle_t *h);

/* Sends up to BFD_UV_TX_BUDGET due datagrams; if more may be due, an idle
 * handle continues on the next loop iteration, after pending I/O. */
static void drain_writes(bfd_uv *g, svrbfd_tstamp now) {
  unsigned budget = BFD_UV_TX_BUDGET;
  svrbfd_ssize n = 0;
  while (budget-- > 0) {
    svrbfd_path path;
    if (g->tx_n == BFD_UV_BATCH) {
      tx_flush(g);
    }
    memset(&path, 0, sizeof(path));
    n = svrbfd_ctx_write_pkt(g->ctx, &path, g->tx[g->tx_n].data,
                             sizeof(g->tx[g->tx_n].data), now);
    if (n <= 0) {
      if (n < 0) {
        fprintf(stderr, "svrbfd_ctx_write_pkt: %s\n",
                svrbfd_strerror((int)n));
      }
      break;
    }
    tx_queue(g, &path, (size_t)n);
  }
  if (g->tx_n > 0) {
    tx_flush(g);
  }
  if (n > 0 && !g->closing) { /* budget used up: more may be due */
    if (!g->idle_active) {
      uv_idle_start(&g->idle, on_idle);
      g->idle_active = 1;
    }
  } else if (g->idle_active) {
    uv_idle_stop(&g->idle);
    g->idle_active = 0;
  }
}

static void on_idle(uv_idle_t *h) {
  bfd_uv *g = h->data;
  drain_writes(g, bfd_uv_now());
}

/* ---- timer ---------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

static void rearm(bfd_uv *g) {
  svrbfd_tstamp exp;
  uint64_t exp_ms, loop_ms, delay;
  if (g->closing) {
    return;
  }
  exp = svrbfd_ctx_get_expiry(g->ctx);
  if (exp == SVRBFD_TSTAMP_MAX) {
    uv_timer_stop(&g->timer);
    return;
  }
  /* libuv timers fire when the loop's cached clock (uv_hrtime() in ms,
   * refreshed once per loop iteration) reaches start + delay.  Aim at the
   * deadline rounded up to the next millisecond on that clock, and never
   * use a delay of 0: a timer re-armed with 0 from its own callback runs
   * again in the same uv__run_timers pass, and with 100,000 sessions
   * something is always due, so I/O and signals would starve. */
  exp_ms = exp / 1000000u + (exp % 1000000u != 0);
  loop_ms = uv_now(g->loop);
  delay = exp_ms > loop_ms ? exp_ms - loop_ms : 1;
  uv_timer_start(&g->timer, on_timer, delay, 0);
}

void bfd_uv_kick(bfd_uv *g) {
  svrbfd_tstamp now = bfd_uv_now();
  int rc = svrbfd_ctx_handle_expiry(g->ctx, now);
  if (rc != 0) {
    fprintf(stderr, "svrbfd_ctx_handle_expiry: %s\n", svrbfd_strerror(rc));
  }
  drain_writes(g, now);
  rearm(g);
}

static void on_timer(uv_timer_t *t) { bfd_uv_kick((bfd_uv *)t->data); }

/* ---- receive -------------------------------------------------------- */

static void rx_one(bfd_uv *g, bfd_uv_sock *s, bfd_uv_rxmsg *m,
                   const struct msghdr *mh, size_t len, svrbfd_tstamp now) {
  svrbfd_path path;
  struct cmsghdr *c;
  int rc;
  memset(&path, 0, sizeof(path));
  path.ttl = -1;
  sockaddr_to_addr(&m->from, &path.remote);
  path.local = s->bound;
  for (c = CMSG_FIRSTHDR((struct msghdr *)mh); c;
       c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      int v;
      memcpy(&v, CMSG_DATA(c), sizeof(v));
      path.ttl = v;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      memcpy(path.local.addr, &pi.ipi_addr, 4);
    } else if (c->cmsg_level == IPPROTO_IPV6 &&
               c->cmsg_type == IPV6_HOPLIMIT) {
      int v;
      memcpy(&v, CMSG_DATA(c), sizeof(v));
      path.ttl = v;
    } else if (c->cmsg_level == IPPROTO_IPV6 &&
               c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      memcpy(path.local.addr, &pi.ipi6_addr, 16);
    }
  }
  rc = svrbfd_ctx_read_pkt(g->ctx, &path, m->data, len, now);
  if (rc == SVRBFD_PQ_ERR_PKT_KIND && g->ctrl_cb != NULL) {
    /* an SVR control datagram of another library's kind */
    g->stats.rx_ctrl++;
    g->ctrl_cb(g->ctrl_ud, &path, m->data, len, now);
    return;
  }
  if (rc != 0) {
    g->stats.rx_rejected++;
    g->stats.last_rx_reject = rc;
    if (svrbfd_err_is_fatal(rc)) {
      fprintf(stderr, "svrbfd_ctx_read_pkt: %s\n", svrbfd_strerror(rc));
    }
  }
}

/* Hands the error queue to the host, then discards what it left. */
static void errq_drain(bfd_uv *g, bfd_uv_sock *s) {
  uint8_t junk[64];
  union {
    char b[256];
    struct cmsghdr align;
  } ctl;
  int i;
  g->stats.errq_wakeups++;
  g->errq_cb(g->errq_ud, s->fd, &s->bound, bfd_uv_now());
  for (i = 0; i < BFD_UV_ERRQ_MAX; i++) {
    struct iovec iov = {junk, sizeof(junk)};
    struct msghdr mh;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof(ctl.b);
    if (recvmsg(s->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
      break;
    }
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  bfd_uv_sock *s = h->data;
  bfd_uv *g = s->g;
  int round, i;
  svrbfd_tstamp now;
  (void)events;
  if (status < 0) {
    /* POLLERR: libuv stopped the handle.  With IP_RECVERR that is the
     * error queue: drain it and poll again. */
    if (status != UV_EBADF || g->errq_cb == NULL || g->closing || s->fd < 0) {
      return;
    }
    errq_drain(g, s);
    if (uv_poll_start(&s->poll, UV_READABLE, on_readable) != 0) {
      return;
    }
  }
  for (round = 0; round < BFD_UV_RX_ROUNDS; round++) {
    int n;
    for (i = 0; i < BFD_UV_BATCH; i++) {
      struct msghdr *mh = &g->rx_hdr[i].msg_hdr;
      g->rx[i].iov.iov_base = g->rx[i].data;
      g->rx[i].iov.iov_len = sizeof(g->rx[i].data);
      memset(mh, 0, sizeof(*mh));
      mh->msg_name = &g->rx[i].from;
      mh->msg_namelen = sizeof(g->rx[i].from);
      mh->msg_iov = &g->rx[i].iov;
      mh->msg_iovlen = 1;
      mh->msg_control = g->rx[i].ctl.buf;
      mh->msg_controllen = sizeof(g->rx[i].ctl.buf);
    }
    n = recvmmsg(s->fd, g->rx_hdr, BFD_UV_BATCH, MSG_DONTWAIT, NULL);
    g->stats.rx_syscalls++;
    if (n <= 0) {
      break;
    }
    now = bfd_uv_now();
    g->stats.rx_datagrams += (uint64_t)n;
    for (i = 0; i < n; i++) {
      rx_one(g, s, &g->rx[i], &g->rx_hdr[i].msg_hdr, g->rx_hdr[i].msg_len,
             now);
    }
    /* Write before the next batch: the context queues at most 64 echo
     * reflections (one batch) and drops the rest, so a hub reading many
     * batches of its peers' requests in one wakeup lost whole bursts, and
     * a Demand-mode peer took its session Down (echo function failed). */
    drain_writes(g, now);
    if (n < BFD_UV_BATCH) {
      break; /* the queue is empty; save the EAGAIN syscall */
    }
  }
  /* answers to Poll, state changes: send now, then re-arm */
  bfd_uv_kick(g);
}

/* ---- lifecycle ------------------------------------------------------ */

int bfd_uv_new(bfd_uv **pg, uv_loop_t *loop, svrbfd_ctx *ctx, int bind_mode) {
  bfd_uv *g = calloc(1, sizeof(*g));
  if (!g) {
    return -ENOMEM;
  }
  g->loop = loop;
  g->ctx = ctx;
  g->bind_mode = bind_mode;
  g->table_size = 64;
  g->table = calloc(g->table_size, sizeof(*g->table));
  if (!g->table) {
    free(g);
    return -ENOMEM;
  }
  uv_timer_init(loop, &g->timer);
  g->timer.data = g;
  uv_idle_init(loop, &g->idle);
  g->idle.data = g;
  *pg = g;
  return 0;
}

static void on_sock_closed(uv_handle_t *h) {
  bfd_uv_sock *s = h->data;
  close(s->fd);
  s->fd = -1;
}

void bfd_uv_close(bfd_uv *g) {
  bfd_uv_sock *s;
  if (g->closing) {
    return;
  }
  g->closing = 1;
  uv_timer_stop(&g->timer);
  uv_close((uv_handle_t *)&g->timer, NULL);
  uv_idle_stop(&g->idle);
  uv_close((uv_handle_t *)&g->idle, NULL);
  for (s = g->socks; s; s = s->next) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
  }
}

void bfd_uv_del(bfd_uv *g) {
  size_t i;
  bfd_uv_sock *s, *sn;
  if (!g) {
    return;
  }
  for (s = g->socks; s; s = sn) {
    sn = s->next;
    if (s->fd >= 0) {
      close(s->fd);
    }
    free(s);
  }
  for (i = 0; i < g->table_size; i++) {
    bfd_uv_ep *e = g->table[i], *n;
    for (; e; e = n) {
      n = e->next;
      free(e);
    }
  }
  free(g->table);
  free(g);
}

int bfd_uv_set_ctrl_handler(bfd_uv *g, bfd_uv_ctrl_cb cb, void *user_data,
                            int dont_fragment) {
  bfd_uv_sock *s;
  g->ctrl_cb = cb;
  g->ctrl_ud = user_data;
  if (dont_fragment && !g->dont_fragment) {
    for (s = g->socks; s; s = s->next) {
      int rc = sock_set_df(g, s->fd, s->family);
      if (rc != 0) {
        return rc;
      }
    }
    g->dont_fragment = 1;
  }
  return 0;
}

int bfd_uv_set_errq_handler(bfd_uv *g, bfd_uv_errq_cb cb, void *user_data) {
  bfd_uv_sock *s;
  if (cb == NULL) {
    return 0;
  }
  g->errq_ud = user_data;
  if (g->errq_cb == NULL) {
    for (s = g->socks; s; s = s->next) {
      int rc = sock_set_recverr(g, s->fd, s->family);
      if (rc != 0) {
        return rc;
      }
    }
  }
  g->errq_cb = cb;
  return 0;
}

int bfd_uv_send_ctrl(bfd_uv *g, const svrbfd_addr *local,
                     const svrbfd_addr *remote, const uint8_t *pkt,
                     size_t len) {
  struct sockaddr_storage to;
  socklen_t sl;
  struct msghdr mh;
  struct iovec iov;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctl;
  bfd_uv_ep *ep;
  bfd_uv_sock *s;
  ssize_t n;

  svrbfd_path via;
  memset(&via, 0, sizeof(via));
  via.local = *local;
  via.remote = *remote;
  if (g->closing || (ep = ep_for_local(g, &via)) == NULL) {
    return -ENOENT;
  }
  s = ep->rx; /* SVR mode: the receive socket sends (NAT traversal) */
  addr_to_sockaddr(remote, remote->port ? remote->port
                                        : (uint16_t)SVRBFD_PORT_SVR,
                   &to, &sl);
  iov.iov_base = (void *)(uintptr_t)pkt;
  iov.iov_len = len;
  memset(&mh, 0, sizeof(mh));
  mh.msg_name = &to;
  mh.msg_namelen = sl;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (s->wildcard) { /* choose the source address */
    struct cmsghdr *c;
    memset(&ctl, 0, sizeof(ctl));
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof(ctl.buf);
    c = CMSG_FIRSTHDR(&mh);
    if (s->family == AF_INET) {
      struct in_pktinfo pi;
      memset(&pi, 0, sizeof(pi));
      memcpy(&pi.ipi_spec_dst, local->addr, 4);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(c), &pi, sizeof(pi));
      mh.msg_controllen = CMSG_SPACE(sizeof(pi));
    } else {
      struct in6_pktinfo pi;
      memset(&pi, 0, sizeof(pi));
      memcpy(&pi.ipi6_addr, local->addr, 16);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(c), &pi, sizeof(pi));
      mh.msg_controllen = CMSG_SPACE(sizeof(pi));
    }
  }
  do {
    n = sendmsg(s->fd, &mh, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    g->stats.tx_ctrl_errors++;
    return -errno;
  }
  g->stats.tx_ctrl++;
  return 0;
}

void bfd_uv_get_stats(const bfd_uv *g, bfd_uv_stats *stats) {
  *stats = g->stats;
}

const char *bfd_uv_last_error(const bfd_uv *g) { return g->err; }
