/* SPDX-License-Identifier: BSD-2-Clause */
/* svr_ctl: control socket of a running daemon (svr_ctl.h). */
#define _GNU_SOURCE
#include "svr_ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "svr_cli.h"

#define CTL_MAX_LINE 256
/* An answer longer than this gets a send buffer of its size, up to
 * CTL_SNDBUF_MAX: `svr-router show peers --json` of 10,000 paths is about
 * 5 MB; a buffer that holds most of it lets the loop hand it over in a few
 * writes rather than one per ~200 KB the client drains (each a wakeup on
 * a busy host).  Beyond net.core.wmem_max only with CAP_NET_ADMIN. */
#define CTL_SNDBUF_FROM (256 << 10)
#define CTL_SNDBUF_MAX (4 << 20)

typedef struct ctl_conn ctl_conn;

struct svr_ctl {
  uv_loop_t *loop;
  uv_poll_t poll; /* the listening socket */
  int fd;
  int closing;
  unsigned open;  /* the listening handle + connections not yet freed */
  ctl_conn *conns;
  svr_ctl_handler handler;
  void *user_data;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct ctl_conn {
  ctl_conn *next, **pprev; /* svr_ctl.conns */
  svr_ctl *ctl;
  int fd;
  int closing;
  int handles;             /* poll and timer not yet closed */
  uv_poll_t poll;
  uv_timer_t timer;        /* idle timeout */
  char line[CTL_MAX_LINE];
  size_t len;
  char *head, *body;       /* status line (+ output), handler's buffer */
  size_t head_len, body_len, sent;
};

static void ctl_release(svr_ctl *c) {
  if (--c->open == 0) {
    free(c);
  }
}

static void conn_handle_closed(uv_handle_t *h) {
  ctl_conn *k = h->data;
  if (--k->handles > 0) {
    return;
  }
  close(k->fd);
  free(k->head);
  free(k->body);
  ctl_release(k->ctl);
  free(k);
}

static void conn_close(ctl_conn *k) {
  if (k->closing) {
    return;
  }
  k->closing = 1;
  *k->pprev = k->next;
  if (k->next) {
    k->next->pprev = k->pprev;
  }
  uv_close((uv_handle_t *)&k->poll, conn_handle_closed);
  uv_close((uv_handle_t *)&k->timer, conn_handle_closed);
}

static void conn_idle(uv_timer_t *t) { conn_close(t->data); }

static void conn_busy(ctl_conn *k) {
  uv_timer_start(&k->timer, conn_idle, SVR_CTL_IDLE_MS, 0);
}

/* Sends what the socket takes; closes the connection when all is sent
 * or the client is gone, else waits until it is writable. */
static void conn_send(ctl_conn *k) {
  size_t total = k->head_len + k->body_len;
  while (k->sent < total) {
    struct iovec iov[2];
    struct msghdr mh;
    ssize_t n;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = iov;
    if (k->sent < k->head_len) {
      iov[0].iov_base = k->head + k->sent;
      iov[0].iov_len = k->head_len - k->sent;
      iov[1].iov_base = k->body;
      iov[1].iov_len = k->body_len;
      mh.msg_iovlen = k->body_len ? 2 : 1;
    } else {
      iov[0].iov_base = k->body + (k->sent - k->head_len);
      iov[0].iov_len = total - k->sent;
      mh.msg_iovlen = 1;
    }
    n = sendmsg(k->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return; /* the poll handle waits for UV_WRITABLE */
    }
    if (n <= 0) {
      break; /* the client went away (EPIPE, ECONNRESET) */
    }
    k->sent += (size_t)n;
    conn_busy(k);
  }
  conn_close(k);
}

static void conn_writable(uv_poll_t *p, int status, int events) {
  ctl_conn *k = p->data;
  (void)events;
  if (status < 0) {
    conn_close(k);
    return;
  }
  conn_send(k);
}

static void answer(ctl_conn *k) {
  svr_ctl_reply reply;
  const char *err;
  size_t total;
  memset(&reply, 0, sizeof(reply));
  reply.out = open_memstream(&k->head, &k->head_len);
  if (reply.out == NULL) {
    conn_close(k);
    return;
  }
  fputs("ok\n", reply.out);
  err = k->ctl->handler(k->ctl->user_data, k->line, &reply);
  k->body = reply.body;
  k->body_len = reply.body ? reply.body_len : 0;
  if (fclose(reply.out) != 0 || k->head == NULL) {
    err = "out of memory";
  }
  if (err != NULL) {
    /* only the error goes out, not what the handler wrote */
    size_t cap = strlen(err) + 16;
    free(k->body);
    k->body = NULL;
    k->body_len = 0;
    free(k->head);
    k->head = malloc(cap);
    if (k->head == NULL) {
      conn_close(k);
      return;
    }
    snprintf(k->head, cap, "error: %s\n", err);
    k->head_len = strlen(k->head);
  }
  total = k->head_len + k->body_len;
  if (total > CTL_SNDBUF_FROM) {
    int sz = total < CTL_SNDBUF_MAX ? (int)total : CTL_SNDBUF_MAX;
    if (setsockopt(k->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0) {
      (void)setsockopt(k->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
  }
  if (uv_poll_start(&k->poll, UV_WRITABLE, conn_writable) != 0) {
    conn_close(k);
    return;
  }
  conn_send(k);
}

static void conn_readable(uv_poll_t *p, int status, int events) {
  ctl_conn *k = p->data;
  char *nl;
  ssize_t n;
  (void)events;
  if (status < 0) {
    conn_close(k);
    return;
  }
  n = recv(k->fd, k->line + k->len, sizeof(k->line) - 1 - k->len,
           MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    return;
  }
  if (n <= 0) {
    conn_close(k); /* closed or failed before a whole line */
    return;
  }
  conn_busy(k);
  k->len += (size_t)n;
  k->line[k->len] = '\0';
  nl = strchr(k->line, '\n');
  if (nl) {
    *nl = '\0';
    if (nl > k->line && nl[-1] == '\r') {
      nl[-1] = '\0';
    }
    answer(k);
  } else if (k->len >= sizeof(k->line) - 1) {
    k->line[0] = '\0'; /* too long: the handler's "unknown command" */
    answer(k);
  }
}

static void conn_open(svr_ctl *c, int fd) {
  ctl_conn *k = calloc(1, sizeof(*k));
  if (k == NULL) {
    close(fd);
    return;
  }
  k->ctl = c;
  k->fd = fd;
  if (uv_poll_init(c->loop, &k->poll, fd) != 0) {
    close(fd);
    free(k);
    return;
  }
  uv_timer_init(c->loop, &k->timer);
  k->poll.data = k->timer.data = k;
  k->handles = 2;
  c->open++;
  k->next = c->conns;
  if (k->next) {
    k->next->pprev = &k->next;
  }
  k->pprev = &c->conns;
  c->conns = k;
  conn_busy(k);
  if (uv_poll_start(&k->poll, UV_READABLE, conn_readable) != 0) {
    conn_close(k);
  }
}

static void on_accept(uv_poll_t *p, int status, int events) {
  svr_ctl *c = p->data;
  int fd;
  (void)events;
  if (status < 0 || c->closing) {
    return;
  }
  while ((fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
         0) {
    conn_open(c, fd);
  }
}

/* 1 if something answers on |path| (another daemon). */
static int socket_alive(const char *path) {
  struct sockaddr_un sa;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;
  if (fd < 0) {
    return 0;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
  close(fd);
  return ok;
}

/* Why bind(|path|) failed with |e|: a missing directory named as such. */
static void bind_error(const char *path, int e, char *err, size_t errlen) {
  char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
  const char *slash = strrchr(path, '/');
  struct stat ds;
  memset(&ds, 0, sizeof(ds));
  if (slash == NULL) {
    snprintf(dir, sizeof(dir), ".");
  } else if (slash == path) {
    snprintf(dir, sizeof(dir), "/");
  } else {
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  }
  if ((e == ENOENT || e == ENOTDIR || e == EACCES) && stat(dir, &ds) != 0) {
    snprintf(err, errlen, "control socket %s: directory %s: %s", path, dir,
             strerror(errno));
  } else if ((e == ENOENT || e == ENOTDIR) && !S_ISDIR(ds.st_mode)) {
    snprintf(err, errlen, "control socket %s: %s is not a directory", path,
             dir);
  } else {
    snprintf(err, errlen, "control socket %s: %s", path, strerror(e));
  }
}

static void ctl_listen_closed(uv_handle_t *h) {
  svr_ctl *c = h->data;
  close(c->fd);
  ctl_release(c);
}

int svr_ctl_listen(svr_ctl **pc, uv_loop_t *loop, const char *path,
                   const char *who, svr_ctl_handler handler, void *user_data,
                   char *err, size_t errlen) {
  struct sockaddr_un sa;
  struct stat st;
  svr_ctl *c;
  mode_t old;
  int fd, rc;
  *pc = NULL;
  if (strlen(path) >= sizeof(sa.sun_path)) {
    snprintf(err, errlen, "control socket %s: path longer than %zu bytes",
             path, sizeof(sa.sun_path) - 1);
    return -1;
  }
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      snprintf(err, errlen, "control socket %s: exists and is not a socket",
               path);
      return -1;
    }
    if (socket_alive(path)) {
      snprintf(err, errlen, "control socket %s: another %s answers there",
               path, who ? who : "daemon");
      return -1;
    }
    unlink(path); /* stale, from a daemon that died */
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
    return -1;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  old = umask(0117); /* the socket is created 0660 */
  rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
  umask(old);
  if (rc != 0) {
    bind_error(path, errno, err, errlen);
    close(fd);
    return -1;
  }
  chmod(path, 0660);
  if (listen(fd, 16) != 0) {
    snprintf(err, errlen, "control socket %s: listen: %s", path,
             strerror(errno));
    rc = -1;
  } else if ((c = calloc(1, sizeof(*c))) == NULL) {
    snprintf(err, errlen, "control socket %s: out of memory", path);
    rc = -1;
  } else if ((rc = uv_poll_init(loop, &c->poll, fd)) != 0) {
    snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(rc));
    free(c);
  }
  if (rc != 0) {
    close(fd);
    unlink(path);
    return -1;
  }
  c->loop = loop;
  c->fd = fd;
  c->open = 1;
  c->handler = handler;
  c->user_data = user_data;
  snprintf(c->path, sizeof(c->path), "%s", path);
  c->poll.data = c;
  if ((rc = uv_poll_start(&c->poll, UV_READABLE, on_accept)) != 0) {
    snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(rc));
    unlink(path);
    uv_close((uv_handle_t *)&c->poll, ctl_listen_closed);
    return -1;
  }
  *pc = c;
  return 0;
}

void svr_ctl_close(svr_ctl *c) {
  if (c == NULL || c->closing) {
    return;
  }
  c->closing = 1;
  unlink(c->path);
  while (c->conns) {
    conn_close(c->conns);
  }
  uv_close((uv_handle_t *)&c->poll, ctl_listen_closed);
}

int svr_ctl_request(const char *prog, const char *path, const char *cmd) {
  struct sockaddr_un sa;
  struct timeval tv = {SVR_CTL_CLIENT_TIMEOUT_S, 0};
  static char buf[65536]; /* answers of thousands of paths: fewer reads */
  struct iovec iov[2];
  struct msghdr mh;
  int fd, first = 1, ok = 0;
  size_t cl = strlen(cmd);
  ssize_t n;

  if (strlen(path) >= sizeof(sa.sun_path)) {
    fprintf(stderr, "%s: control socket path too long: %s\n", prog, path);
    return SVR_EXIT_USAGE;
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
    return SVR_EXIT_SYSTEM;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    int e = errno;
    fprintf(stderr, "%s: cannot reach the daemon at %s: %s\n", prog, path,
            strerror(e));
    close(fd);
    return e == EACCES || e == EPERM ? SVR_EXIT_PERMISSION : SVR_EXIT_SYSTEM;
  }
  /* one write, and no SIGPIPE when the daemon closes first */
  iov[0].iov_base = (void *)cmd;
  iov[0].iov_len = cl;
  iov[1].iov_base = "\n";
  iov[1].iov_len = 1;
  memset(&mh, 0, sizeof(mh));
  mh.msg_iov = iov;
  mh.msg_iovlen = 2;
  if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)(cl + 1)) {
    fprintf(stderr, "%s: write to %s: %s\n", prog, path, strerror(errno));
    close(fd);
    return SVR_EXIT_SYSTEM;
  }
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    char *p = buf;
    size_t len = (size_t)n;
    if (first) {
      char *nl = memchr(buf, '\n', len);
      first = 0;
      if (nl == NULL) {
        fprintf(stderr, "%s: malformed answer from %s\n", prog, path);
        close(fd);
        return SVR_EXIT_SYSTEM;
      }
      if (strncmp(buf, "ok\n", 3) != 0) {
        fprintf(stderr, "%s: %.*s\n", prog, (int)(nl - buf), buf);
        close(fd);
        return SVR_EXIT_USAGE;
      }
      ok = 1;
      len -= (size_t)(nl + 1 - buf);
      p = nl + 1;
    }
    fwrite(p, 1, len, stdout);
  }
  if (n < 0 || !ok) {
    int e = errno;
    if (n < 0 && (e == EAGAIN || e == EWOULDBLOCK)) {
      fprintf(stderr, "%s: no answer from %s within %d s\n", prog, path,
              SVR_CTL_CLIENT_TIMEOUT_S);
    } else if (n < 0) {
      fprintf(stderr, "%s: no answer from %s: %s\n", prog, path, strerror(e));
    } else {
      fprintf(stderr, "%s: no answer from %s\n", prog, path);
    }
    close(fd);
    return SVR_EXIT_SYSTEM;
  }
  close(fd);
  return SVR_EXIT_OK;
}
