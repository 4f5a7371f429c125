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
#include <sys/un.h>
#include <unistd.h>

#include "svr_cli.h"

#define CTL_MAX_LINE 256

struct svr_ctl {
  uv_pipe_t pipe;
  svr_ctl_handler handler;
  void *user_data;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

typedef struct ctl_conn {
  uv_pipe_t pipe;
  svr_ctl *ctl;
  char line[CTL_MAX_LINE];
  size_t len;
  int answered;
  char *out;
  size_t outlen;
  uv_write_t wr;
} ctl_conn;

static void conn_closed(uv_handle_t *h) {
  ctl_conn *c = h->data;
  free(c->out);
  free(c);
}

static void conn_written(uv_write_t *w, int status) {
  ctl_conn *c = w->data;
  (void)status;
  uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

static void answer(ctl_conn *c) {
  FILE *f;
  const char *err;
  uv_buf_t b;
  c->answered = 1;
  uv_read_stop((uv_stream_t *)&c->pipe);
  f = open_memstream(&c->out, &c->outlen);
  if (f == NULL) {
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
    return;
  }
  fputs("ok\n", f);
  err = c->ctl->handler(c->ctl->user_data, c->line, f);
  if (fclose(f) != 0 || c->out == NULL) {
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
    return;
  }
  if (err != NULL) {
    /* only the error goes out, not what the handler wrote */
    size_t cap = strlen(err) + 16;
    char *e = malloc(cap);
    if (e == NULL) {
      uv_close((uv_handle_t *)&c->pipe, conn_closed);
      return;
    }
    snprintf(e, cap, "error: %s\n", err);
    free(c->out);
    c->out = e;
    c->outlen = strlen(e);
  }
  b = uv_buf_init(c->out, (unsigned)c->outlen);
  c->wr.data = c;
  if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, conn_written) != 0) {
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
  }
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  ctl_conn *c = h->data;
  (void)hint;
  buf->base = c->line + c->len;
  buf->len = sizeof(c->line) - 1 - c->len;
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  ctl_conn *c = s->data;
  char *nl;
  (void)buf;
  if (c->answered) {
    return;
  }
  if (n < 0) {
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
    return;
  }
  c->len += (size_t)n;
  c->line[c->len] = '\0';
  nl = strchr(c->line, '\n');
  if (nl) {
    *nl = '\0';
    if (nl > c->line && nl[-1] == '\r') {
      nl[-1] = '\0';
    }
    answer(c);
  } else if (c->len >= sizeof(c->line) - 1) {
    c->line[0] = '\0'; /* too long: the handler's "unknown command" */
    answer(c);
  }
}

static void on_connection(uv_stream_t *server, int status) {
  svr_ctl *ctl = server->data;
  ctl_conn *c;
  if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL) {
    return;
  }
  c->ctl = ctl;
  uv_pipe_init(server->loop, &c->pipe, 0);
  c->pipe.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
      uv_read_start((uv_stream_t *)&c->pipe, conn_alloc, conn_read) != 0) {
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
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

static void ctl_freed(uv_handle_t *h) { free(h->data); }

int svr_ctl_listen(svr_ctl **pc, uv_loop_t *loop, const char *path,
                   svr_ctl_handler handler, void *user_data, char *err,
                   size_t errlen) {
  struct stat st;
  svr_ctl *c;
  mode_t old;
  int rc;
  *pc = NULL;
  if (strlen(path) >= sizeof(c->path)) {
    snprintf(err, errlen, "control socket %s: path longer than %zu bytes",
             path, sizeof(c->path) - 1);
    return -1;
  }
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      snprintf(err, errlen, "control socket %s: exists and is not a socket",
               path);
      return -1;
    }
    if (socket_alive(path)) {
      snprintf(err, errlen, "control socket %s: another daemon answers there",
               path);
      return -1;
    }
    unlink(path); /* stale, from a daemon that died */
  }
  if ((c = calloc(1, sizeof(*c))) == NULL) {
    snprintf(err, errlen, "control socket %s: out of memory", path);
    return -1;
  }
  snprintf(c->path, sizeof(c->path), "%s", path);
  c->handler = handler;
  c->user_data = user_data;
  uv_pipe_init(loop, &c->pipe, 0);
  c->pipe.data = c;
  old = umask(0117); /* the socket is created 0660 */
  rc = uv_pipe_bind(&c->pipe, path);
  umask(old);
  if (rc == 0) {
    chmod(path, 0660);
    rc = uv_listen((uv_stream_t *)&c->pipe, 16, on_connection);
  }
  if (rc != 0) {
    /* libuv reports a missing directory as EACCES: name the real cause */
    char dir[sizeof(c->path)];
    const char *slash = strrchr(path, '/');
    struct stat ds;
    if (slash == NULL) {
      snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
      snprintf(dir, sizeof(dir), "/");
    } else {
      snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    }
    if (rc == UV_EACCES && stat(dir, &ds) != 0) {
      snprintf(err, errlen, "control socket %s: directory %s: %s", path, dir,
               strerror(errno));
    } else if (rc == UV_EACCES && !S_ISDIR(ds.st_mode)) {
      snprintf(err, errlen, "control socket %s: %s is not a directory", path,
               dir);
    } else {
      snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(rc));
    }
    uv_close((uv_handle_t *)&c->pipe, ctl_freed);
    return -1;
  }
  *pc = c;
  return 0;
}

void svr_ctl_close(svr_ctl *c) {
  if (c == NULL) {
    return;
  }
  unlink(c->path);
  uv_close((uv_handle_t *)&c->pipe, ctl_freed);
}

int svr_ctl_request(const char *prog, const char *path, const char *cmd) {
  struct sockaddr_un sa;
  struct timeval tv = {5, 0};
  char buf[4096];
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
  if (write(fd, cmd, cl) != (ssize_t)cl || write(fd, "\n", 1) != 1) {
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
  close(fd);
  if (n < 0 || !ok) {
    fprintf(stderr, "%s: no answer from %s\n", prog, path);
    return SVR_EXIT_SYSTEM;
  }
  return SVR_EXIT_OK;
}
