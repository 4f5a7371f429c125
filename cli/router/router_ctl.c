/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router control socket: a Unix domain stream socket (mode 0660) on
 * which the running daemon answers one command per connection.
 *
 * Protocol (docs/svr-router.md): the client writes one line,
 *   show peers [detail] [json]
 *   show [bfd] peers json frr   (FRR bfdd's 'show bfd peers json')
 *   show udp-transform [json]
 *   show alarms [json]
 *   show sessions [json]
 *   show stats [json]
 *   show security key-status [json]
 *   show software repository [json]
 *   key add PEER ID HEX      install a data-plane key on every path to PEER
 *   key activate PEER ID     send with it (the previous one overlaps)
 * the daemon answers "ok\n" followed by the output, or "error: TEXT\n",
 * and closes the connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "router.h"

#define CTL_MAX_LINE 256

typedef struct ctl_conn {
  uv_pipe_t pipe;
  rt *r;
  char line[CTL_MAX_LINE];
  size_t len;
  int answered;
  rf_buf out;
  uv_write_t wr;
} ctl_conn;

static void conn_closed(uv_handle_t *h) {
  ctl_conn *c = h->data;
  rf_buf_free(&c->out);
  free(c);
}

static void conn_written(uv_write_t *w, int status) {
  ctl_conn *c = w->data;
  (void)status;
  uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

static void answer(ctl_conn *c) {
  char *words[8];
  int n = 0, detail = 0, json = 0, frr = 0, i;
  char *save = NULL, *tok;
  uv_buf_t b;

  c->answered = 1;
  uv_read_stop((uv_stream_t *)&c->pipe);
  for (tok = strtok_r(c->line, " \t\r", &save); tok && n < 8;
       tok = strtok_r(NULL, " \t\r", &save)) {
    words[n++] = tok;
  }
  /* "show bfd peers ..." (vtysh's words) is "show peers ..." */
  if (n >= 3 && strcmp(words[0], "show") == 0 &&
      strcmp(words[1], "bfd") == 0 && strcmp(words[2], "peers") == 0) {
    for (i = 1; i + 1 < n; i++) {
      words[i] = words[i + 1];
    }
    n--;
  }
  for (i = 2; i < n; i++) {
    if (strcmp(words[i], "detail") == 0) {
      detail = 1;
    } else if (strcmp(words[i], "json") == 0) {
      json = 1;
    } else if (strcmp(words[i], "frr") == 0 && n >= 2 &&
               strcmp(words[1], "peers") == 0) {
      frr = 1;
    } else {
      break;
    }
  }
  if (n >= 2 && strcmp(words[0], "show") == 0 &&
      strcmp(words[1], "peers") == 0 && i == n && frr) {
    if (json && !detail) {
      rf_printf(&c->out, "ok\n");
      rt_frr_json(c->r, &c->out);
    } else {
      rf_printf(&c->out, "error: frr (FRR bfdd's field names) needs json "
                         "and no detail\n");
    }
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
      strcmp(words[1], "peers") == 0 && i == n) {
    size_t max = c->r->n_paths ? c->r->n_paths : 1;
    rf_row *rows = calloc(max, sizeof(*rows));
    size_t nr = rows ? rt_rows(c->r, rows, max) : 0;
    rf_printf(&c->out, "ok\n");
    if (json) {
      rf_json(&c->out, c->r->cfg->router, c->r->cfg->node, rows, nr, detail);
    } else {
      rf_table(&c->out, rows, nr, detail);
    }
    free(rows);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "udp-transform") == 0 && i == n && !detail) {
    size_t max = c->r->n_paths ? c->r->n_paths : 1;
    rf_ut_row *rows = calloc(max, sizeof(*rows));
    size_t nr = rows ? rt_ut_rows(c->r, rows, max) : 0;
    rf_printf(&c->out, "ok\n");
    if (json) {
      rf_ut_json(&c->out, c->r->cfg->router, c->r->cfg->node, rows, nr);
    } else {
      rf_ut_table(&c->out, rows, nr);
    }
    free(rows);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "alarms") == 0 && i == n && !detail) {
    rf_printf(&c->out, "ok\n");
    rt_alarm_show(c->r, &c->out, json);
  } else if (n >= 1 && strcmp(words[0], "key") == 0) {
    /* key add PEER ID HEX | key activate PEER ID: never logs the key */
    char msg[256];
    int add = n == 5 && strcmp(words[1], "add") == 0;
    int act = n == 4 && strcmp(words[1], "activate") == 0;
    if (!add && !act) {
      rf_printf(&c->out, "error: expected 'key add PEER ID HEX' or 'key "
                         "activate PEER ID'\n");
    } else if (rt_fwd_key(c->r, words[2], words[3], add ? words[4] : NULL,
                          msg, sizeof(msg)) == 0) {
      rf_printf(&c->out, "ok\n%s\n", msg);
    } else {
      rf_printf(&c->out, "error: %s\n", msg);
    }
  } else if (n >= 3 && n <= 4 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "security") == 0 &&
             strcmp(words[2], "key-status") == 0 &&
             (n == 3 || strcmp(words[3], "json") == 0)) {
    rf_printf(&c->out, "ok\n");
    rt_keys_show(c->r, &c->out, n == 4);
  } else if (n >= 3 && n <= 4 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "software") == 0 &&
             strcmp(words[2], "repository") == 0 &&
             (n == 3 || strcmp(words[3], "json") == 0)) {
    rf_printf(&c->out, "ok\n");
    rt_repo_show(c->r, &c->out, n == 4);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "sessions") == 0 && i == n && !detail) {
    rf_printf(&c->out, "ok\n");
    rt_fwd_show_sessions(c->r, &c->out, json);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "stats") == 0 && i == n && !detail) {
    rf_printf(&c->out, "ok\n");
    rt_fwd_show_stats(c->r, &c->out, json);
  } else {
    rf_printf(&c->out, "error: unknown command (expected: show peers "
                       "[detail] [json], show [bfd] peers json frr, show udp-transform [json], show "
                       "alarms [json], show sessions [json], show stats "
                       "[json], show security key-status [json] or show "
                       "software repository [json])\n");
  }
  if (c->out.failed || c->out.p == NULL) {
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
    return;
  }
  b = uv_buf_init(c->out.p, (unsigned)c->out.len);
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
    answer(c);
  } else if (c->len >= sizeof(c->line) - 1) {
    c->line[0] = '\0';
    answer(c); /* too long: "unknown command" */
  }
}

static void on_connection(uv_stream_t *server, int status) {
  rt *r = server->data;
  ctl_conn *c;
  if (status < 0) {
    return;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    return;
  }
  c->r = r;
  rf_buf_init(&c->out);
  uv_pipe_init(r->loop, &c->pipe, 0);
  c->pipe.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
      uv_read_start((uv_stream_t *)&c->pipe, conn_alloc, conn_read) != 0) {
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
    return;
  }
  {
    /* `show peers --json` of 10,000 paths is about 5 MB: a send buffer
     * that holds most of it lets the loop hand it over in a few writes
     * rather than one per 200 KB drained by the client (each a wakeup on a
     * busy host); beyond net.core.wmem_max only with CAP_NET_ADMIN */
    uv_os_fd_t fd;
    int sz = 4 << 20;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0) {
      (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
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

int rt_ctl_listen(rt *r, const char *path, char *err, size_t errlen) {
  struct stat st;
  mode_t old;
  int rc;
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      snprintf(err, errlen, "control socket %s: exists and is not a socket",
               path);
      return -1;
    }
    if (socket_alive(path)) {
      snprintf(err, errlen, "control socket %s: another svr-router answers "
                            "there", path);
      return -1;
    }
    unlink(path); /* stale, from a daemon that died */
  }
  uv_pipe_init(r->loop, &r->ctl, 0);
  r->ctl.data = r;
  r->ctl_open = 1;
  old = umask(0117); /* the socket is created 0660 */
  rc = uv_pipe_bind(&r->ctl, path);
  umask(old);
  if (rc == 0) {
    chmod(path, 0660);
    rc = uv_listen((uv_stream_t *)&r->ctl, 16, on_connection);
  }
  if (rc != 0) {
    /* libuv reports a missing directory as EACCES (for Windows' sake):
     * name the real cause */
    char dir[256];
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
    return -1;
  }
  return 0;
}

void rt_ctl_close(rt *r) {
  if (r->ctl_open) {
    r->ctl_open = 0;
    uv_close((uv_handle_t *)&r->ctl, NULL);
    unlink(r->cfg->control_socket);
  }
}

int rt_ctl_request(const char *path, const char *cmd) {
  struct sockaddr_un sa;
  struct timeval tv = {5, 0};
  static char buf[65536]; /* answers of thousands of paths: fewer reads */
  int fd, first = 1, ok = 0;
  size_t cl = strlen(cmd);
  ssize_t n;

  if (strlen(path) >= sizeof(sa.sun_path)) {
    fprintf(stderr, "svr-router: control socket path too long: %s\n", path);
    return RT_EXIT_USAGE;
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("svr-router: socket");
    return RT_EXIT_FAIL;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    int e = errno;
    fprintf(stderr, "svr-router: cannot reach the daemon at %s: %s\n", path,
            strerror(e));
    close(fd);
    return e == EACCES || e == EPERM ? RT_EXIT_PERMISSION : RT_EXIT_FAIL;
  }
  if (write(fd, cmd, cl) != (ssize_t)cl || write(fd, "\n", 1) != 1) {
    fprintf(stderr, "svr-router: write to %s: %s\n", path, strerror(errno));
    close(fd);
    return RT_EXIT_FAIL;
  }
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    char *p = buf;
    size_t len = (size_t)n;
    if (first) {
      /* status line */
      char *nl = memchr(buf, '\n', len);
      first = 0;
      if (nl == NULL) {
        fprintf(stderr, "svr-router: malformed answer\n");
        close(fd);
        return RT_EXIT_FAIL;
      }
      if (strncmp(buf, "ok\n", 3) == 0) {
        ok = 1;
      } else {
        fprintf(stderr, "svr-router: %.*s\n", (int)(nl - buf), buf);
        close(fd);
        return RT_EXIT_USAGE;
      }
      len -= (size_t)(nl + 1 - buf);
      p = nl + 1;
    }
    fwrite(p, 1, len, stdout);
  }
  close(fd);
  if (n < 0 || !ok) {
    fprintf(stderr, "svr-router: no answer from %s\n", path);
    return RT_EXIT_FAIL;
  }
  return RT_EXIT_OK;
}
