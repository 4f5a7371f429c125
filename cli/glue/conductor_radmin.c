/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Router side of the administration streams (IPC version 6,
 * docs/libconductor.md 2.7): the log retriever and the remote shell, both
 * carried as frames on the router node's existing connection to its
 * conductor node (the conductor never dials the router).
 *
 * Log retriever: LOG_LIST lists the regular files at the top of the
 * configured log directory; LOG_GET answers one byte range of one file in
 * LOG_DATA chunks and a LOG_END (with the SHA-256 of the first |size|
 * bytes when asked).  A name is opened beneath the directory only
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: no "..", no absolute
 * path, no symlink out of it), as O_PATH first so that opening a device or
 * a fifo has no side effect, and served only when it is a regular file;
 * every refusal is logged with the administrator's name.
 *
 * Shell: SHELL_OPEN forks the configured shell on a new PTY (forkpty); its
 * output goes out as SHELL_DATA while fewer than RADMIN_SHELL_WINDOW bytes
 * wait for the administrator's SHELL_ACK (the pty is not read meanwhile),
 * SHELL_RESIZE sets the window size (TIOCSWINSZ, the shell gets SIGWINCH),
 * SHELL_CLOSE or the loss of the link hangs it up, and SHELL_EXIT carries
 * its exit status back.  Each session is logged at start and end (who,
 * which conductor node, duration, exit status).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conductor_glue.h"

#define RADMIN_MAX_RANGE (1u << 20)    /* bytes answered per LOG_GET */
#define RADMIN_SHELL_WINDOW (64u * 1024u)
#define RADMIN_MAX_SHELLS 8

typedef struct rshell {
  radmin *ra;
  int used;
  int idx;          /* conductor link */
  uint32_t stream;
  pid_t pid;
  int master;
  uv_poll_t poll;
  int polling;
  int poll_open;
  uv_timer_t reap;
  int reap_open;
  unsigned reap_tries;
  uint64_t unacked;
  uint64_t start_mono;
  uint64_t bytes_out, bytes_in;
  int eof;
  char user[CONDUCTOR_NAME_MAX];
  char peer_node[CONDUCTOR_NAME_MAX];
} rshell;

struct radmin {
  uv_loop_t *loop;
  radmin_opts o;
  char log_dir[1024];
  char shell[256];
  uint64_t served; /* log bytes sent so far (test hook) */
  unsigned jobs;   /* hashes running on the thread pool */
  int stopping;
  int dropped;     /* the test hook fired */
  rshell shells[RADMIN_MAX_SHELLS];
};

static void ralog(radmin *ra, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ralog(radmin *ra, int level, const char *fmt, ...) {
  char line[900];
  va_list ap;
  if (ra->o.log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  ra->o.log(level, line, ra->o.log_data);
}

static int rsend(radmin *ra, int idx, const conductor_admin *m) {
  return ra->o.send(idx, m, ra->o.ud);
}

static void log_end(radmin *ra, int idx, uint32_t stream, int err,
                    const char *text) {
  conductor_admin e;
  memset(&e, 0, sizeof e);
  e.type = CONDUCTOR_MSG_LOG_END;
  e.stream = stream;
  e.error_code = (uint16_t)(-err);
  snprintf(e.text, sizeof e.text, "%s", text);
  rsend(ra, idx, &e);
}

/* ---- log retriever ------------------------------------------------------ */

static void log_list(radmin *ra, int idx, const conductor_admin *m) {
  DIR *dir;
  struct dirent *de;
  unsigned n = 0;
  int dfd;
  if (ra->log_dir[0] == '\0') {
    log_end(ra, idx, m->stream, CONDUCTOR_ERR_NOT_FOUND,
            "no log directory configured on this router");
    return;
  }
  dir = opendir(ra->log_dir);
  if (dir == NULL) {
    char t[CONDUCTOR_TEXT_MAX];
    snprintf(t, sizeof t, "log directory: %s", strerror(errno));
    log_end(ra, idx, m->stream, CONDUCTOR_ERR_IO, t);
    return;
  }
  dfd = dirfd(dir);
  while ((de = readdir(dir)) != NULL) {
    struct stat st;
    conductor_admin f;
    if (de->d_name[0] == '.' ||
        fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || strlen(de->d_name) >= sizeof f.name) {
      continue; /* only the regular files are offered */
    }
    memset(&f, 0, sizeof f);
    f.type = CONDUCTOR_MSG_LOG_FILE;
    f.stream = m->stream;
    snprintf(f.name, sizeof f.name, "%s", de->d_name);
    f.size = (uint64_t)st.st_size;
    f.has_size = 1;
    f.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
                 (uint64_t)st.st_mtim.tv_nsec;
    if (rsend(ra, idx, &f) != 0) {
      closedir(dir);
      return;
    }
    n++;
  }
  closedir(dir);
  log_end(ra, idx, m->stream, 0, "");
  ralog(ra, 2, "log retriever: %s listed %u log files", m->user[0] ? m->user
                                                                   : "-", n);
}

/* Opens |name| beneath the log directory for reading, or says why not.
 * Returns the fd or -1 with |why| filled. */
static int open_log(radmin *ra, const char *name, struct stat *st, char *why,
                    size_t whycap) {
  struct open_how how;
  int dfd, pfd, fd;
  struct stat st2;
  if (name[0] == '/') {
    snprintf(why, whycap, "absolute path");
    return -1;
  }
  dfd = open(ra->log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    snprintf(why, whycap, "log directory: %s", strerror(errno));
    return -1;
  }
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  pfd = (int)syscall(SYS_openat2, dfd, name, &how, sizeof how);
  if (pfd < 0) {
    int e = errno;
    close(dfd);
    snprintf(why, whycap, "%s",
             e == EXDEV ? "outside the log directory"
             : e == ENOENT ? "no such file"
             : e == ELOOP ? "symbolic link loop"
                          : strerror(e));
    return -1;
  }
  if (fstat(pfd, st) != 0 || !S_ISREG(st->st_mode)) {
    snprintf(why, whycap, "not a regular file (%s)",
             S_ISDIR(st->st_mode)    ? "directory"
             : S_ISFIFO(st->st_mode) ? "fifo"
             : S_ISCHR(st->st_mode)  ? "character device"
             : S_ISBLK(st->st_mode)  ? "block device"
             : S_ISSOCK(st->st_mode) ? "socket"
                                     : "other");
    close(pfd);
    close(dfd);
    return -1;
  }
  close(pfd);
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  fd = (int)syscall(SYS_openat2, dfd, name, &how, sizeof how);
  close(dfd);
  if (fd < 0 || fstat(fd, &st2) != 0 || st2.st_ino != st->st_ino ||
      st2.st_dev != st->st_dev || !S_ISREG(st2.st_mode)) {
    snprintf(why, whycap, "file changed while opened");
    if (fd >= 0) {
      close(fd);
    }
    return -1;
  }
  return fd;
}

/* SHA-256 of the first |n| bytes of |fd|.  Returns 0 or -1 (shorter). */
static int hash_prefix(int fd, uint64_t n, uint8_t out[32]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  uint8_t buf[65536];
  uint64_t off = 0;
  unsigned olen = 0;
  int rv = -1;
  if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    goto out;
  }
  while (off < n) {
    size_t want = n - off < sizeof buf ? (size_t)(n - off) : sizeof buf;
    ssize_t r = pread(fd, buf, want, (off_t)off);
    if (r <= 0) {
      goto out;
    }
    EVP_DigestUpdate(ctx, buf, (size_t)r);
    off += (uint64_t)r;
  }
  if (EVP_DigestFinal_ex(ctx, out, &olen) == 1 && olen == 32) {
    rv = 0;
  }
out:
  EVP_MD_CTX_free(ctx);
  return rv;
}

/* The SHA-256 of a LOG_GET that asked for it is computed on libuv's
 * thread pool (a file of gigabytes takes seconds, which would stall the
 * router's loop and its BFD timers); LOG_END goes out when it is done. */
typedef struct hash_job {
  uv_work_t req;
  radmin *ra;
  int idx;
  int fd;
  uint64_t size;
  int ok;
  conductor_admin end; /* LOG_END to send */
  char line[700];      /* the log line, written when sent */
} hash_job;

static void hash_work(uv_work_t *req) {
  hash_job *j = req->data;
  j->ok = hash_prefix(j->fd, j->size, j->end.sha256) == 0;
}

static void hash_done(uv_work_t *req, int status) {
  hash_job *j = req->data;
  radmin *ra = j->ra;
  close(j->fd);
  if (status == 0 && j->ok) {
    j->end.has_sha256 = 1;
  } else {
    j->end.error_code = (uint16_t)-CONDUCTOR_ERR_IO;
    snprintf(j->end.text, sizeof j->end.text, "file shorter than %llu bytes",
             (unsigned long long)j->size);
  }
  ra->jobs--;
  if (!ra->stopping) {
    ralog(ra, 2, "%s%s", j->line, j->end.has_sha256 ? " (sha256 sent)" : "");
    rsend(ra, j->idx, &j->end);
  }
  free(j);
}

/* Returns -1 when the test hook dropped the link (stop using it). */
static int log_get(radmin *ra, int idx, const char *peer_node,
                   const conductor_admin *m) {
  struct stat st;
  char why[160];
  uint64_t off, end, sent = 0;
  conductor_admin d, e;
  uint8_t buf[CONDUCTOR_ADMIN_DATA_MAX];
  int fd;
  const char *who = m->user[0] ? m->user : "-";
  char safe[2 * CONDUCTOR_ADMIN_NAME_MAX];
  cglue_escape(safe, sizeof safe, m->name);
  if (ra->log_dir[0] == '\0') {
    log_end(ra, idx, m->stream, CONDUCTOR_ERR_NOT_FOUND,
            "no log directory configured on this router");
    return 0;
  }
  fd = open_log(ra, m->name, &st, why, sizeof why);
  if (fd < 0) {
    char t[CONDUCTOR_TEXT_MAX];
    ralog(ra, 1, "log retriever: refused '%s' to %s via conductor node %s: "
          "%s", safe, who, peer_node, why);
    snprintf(t, sizeof t, "refused: %s", why);
    log_end(ra, idx, m->stream, CONDUCTOR_ERR_DENIED, t);
    return 0;
  }
  off = m->offset;
  end = m->length > RADMIN_MAX_RANGE ? off + RADMIN_MAX_RANGE
                                     : off + m->length;
  if (end > (uint64_t)st.st_size) {
    end = (uint64_t)st.st_size;
  }
  memset(&d, 0, sizeof d);
  d.type = CONDUCTOR_MSG_LOG_DATA;
  d.stream = m->stream;
  d.data = buf;
  while (off < end) {
    size_t want = end - off < sizeof buf ? (size_t)(end - off) : sizeof buf;
    ssize_t r = pread(fd, buf, want, (off_t)off);
    if (r <= 0) {
      break; /* truncated meanwhile: LOG_END says the size */
    }
    d.offset = off;
    d.datalen = (size_t)r;
    if (rsend(ra, idx, &d) != 0) {
      close(fd);
      return -1;
    }
    off += (uint64_t)r;
    sent += (uint64_t)r;
    ra->served += (uint64_t)r;
    if (ra->o.drop_after && !ra->dropped && ra->served >= ra->o.drop_after) {
      ra->dropped = 1;
      close(fd);
      ralog(ra, 1, "log retriever: test hook: dropping the connection to "
            "conductor node %s after %llu log bytes", peer_node,
            (unsigned long long)ra->served);
      ra->o.drop(idx, "test hook: log-drop-after", ra->o.ud);
      return -1;
    }
  }
  memset(&e, 0, sizeof e);
  e.type = CONDUCTOR_MSG_LOG_END;
  e.stream = m->stream;
  e.has_size = 1;
  e.size = (uint64_t)st.st_size;
  e.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
               (uint64_t)st.st_mtim.tv_nsec;
  if (m->has_size) {
    hash_job *j = calloc(1, sizeof *j);
    if (j != NULL) {
      j->ra = ra;
      j->idx = idx;
      j->fd = fd;
      j->size = m->size;
      j->end = e;
      j->req.data = j;
      snprintf(j->line, sizeof j->line,
               "log retriever: %s got '%s' offset %llu length %llu via "
               "conductor node %s", who, safe, (unsigned long long)m->offset,
               (unsigned long long)sent, peer_node);
      if (uv_queue_work(ra->loop, &j->req, hash_work, hash_done) == 0) {
        ra->jobs++;
        return 0; /* LOG_END when the hash is done */
      }
      free(j);
    }
    e.error_code = (uint16_t)-CONDUCTOR_ERR_NOMEM;
    snprintf(e.text, sizeof e.text, "cannot hash now");
  }
  close(fd);
  ralog(ra, 2, "log retriever: %s got '%s' offset %llu length %llu via "
        "conductor node %s%s",
        who, safe, (unsigned long long)m->offset, (unsigned long long)sent,
        peer_node, e.has_sha256 ? " (sha256 sent)" : "");
  rsend(ra, idx, &e);
  return 0;
}

/* ---- shell -------------------------------------------------------------- */

static rshell *shell_find(radmin *ra, int idx, uint32_t stream) {
  int i;
  for (i = 0; i < RADMIN_MAX_SHELLS; i++) {
    rshell *s = &ra->shells[i];
    if (s->used && s->idx == idx && s->stream == stream) {
      return s;
    }
  }
  return NULL;
}

static void shell_exit_msg(radmin *ra, int idx, uint32_t stream, int err,
                           const char *text, int has_status,
                           uint32_t status) {
  conductor_admin e;
  memset(&e, 0, sizeof e);
  e.type = CONDUCTOR_MSG_SHELL_EXIT;
  e.stream = stream;
  e.error_code = (uint16_t)(-err);
  e.has_exit_status = (uint8_t)has_status;
  e.exit_status = status;
  snprintf(e.text, sizeof e.text, "%s", text);
  rsend(ra, idx, &e);
}

static void on_handle_closed(uv_handle_t *h) {
  rshell *s = h->data;
  if (h == (uv_handle_t *)&s->poll) {
    s->poll_open = 0;
  } else {
    s->reap_open = 0;
  }
  if (!s->poll_open && !s->reap_open && s->pid == 0) {
    s->used = 0;
  }
}

/* The session is over: log it, report it (|report|), free the slot once
 * its handles are closed. */
static void shell_finish(rshell *s, int report, int has_status,
                         uint32_t status, const char *why) {
  radmin *ra = s->ra;
  double dur = (double)(uv_hrtime() - s->start_mono) / 1e9;
  if (has_status) {
    ralog(ra, 2, "remote login: session of %s via conductor node %s ended "
          "after %.1f s, exit status %u (%llu bytes out, %llu in)",
          s->user, s->peer_node, dur, (unsigned)status,
          (unsigned long long)s->bytes_out, (unsigned long long)s->bytes_in);
  } else {
    ralog(ra, 2, "remote login: session of %s via conductor node %s ended "
          "after %.1f s: %s", s->user, s->peer_node, dur, why);
  }
  if (report) {
    shell_exit_msg(ra, s->idx, s->stream, 0, why, has_status, status);
  }
  if (s->master >= 0) {
    if (s->poll_open) {
      uv_poll_stop(&s->poll);
      uv_close((uv_handle_t *)&s->poll, on_handle_closed);
    }
    close(s->master);
    s->master = -1;
  }
  s->pid = 0;
  if (s->reap_open) {
    uv_timer_stop(&s->reap);
    uv_close((uv_handle_t *)&s->reap, on_handle_closed);
  }
  if (!s->poll_open && !s->reap_open) {
    s->used = 0;
  }
}

/* After the pty reported EOF: wait (bounded) for the shell to exit. */
static void on_reap(uv_timer_t *h) {
  rshell *s = h->data;
  int st;
  pid_t p = waitpid(s->pid, &st, WNOHANG);
  if (p == s->pid) {
    uint32_t code = WIFEXITED(st) ? (uint32_t)WEXITSTATUS(st)
                                  : 128u + (uint32_t)WTERMSIG(st);
    shell_finish(s, 1, 1, code, "");
    return;
  }
  if (++s->reap_tries == 200) { /* 2 s after its terminal closed */
    kill(-s->pid, SIGKILL);
  }
  if (s->reap_tries > 500) {
    shell_finish(s, 1, 0, 0, "shell did not exit");
  }
}

static void shell_update_poll(rshell *s);

static void on_pty(uv_poll_t *h, int status, int events) {
  rshell *s = h->data;
  radmin *ra = s->ra;
  uint8_t buf[CONDUCTOR_ADMIN_DATA_MAX];
  (void)events;
  while (status >= 0 && s->unacked < RADMIN_SHELL_WINDOW) {
    ssize_t n = read(s->master, buf, sizeof buf);
    conductor_admin d;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      shell_update_poll(s);
      return;
    }
    if (n <= 0) {
      break; /* EIO: every slave closed, the shell is gone */
    }
    memset(&d, 0, sizeof d);
    d.type = CONDUCTOR_MSG_SHELL_DATA;
    d.stream = s->stream;
    d.data = buf;
    d.datalen = (size_t)n;
    s->unacked += (uint64_t)n;
    s->bytes_out += (uint64_t)n;
    if (rsend(ra, s->idx, &d) != 0) {
      return; /* link gone: radmin_link_down hangs up */
    }
  }
  if (s->unacked >= RADMIN_SHELL_WINDOW && status >= 0) {
    shell_update_poll(s);
    return;
  }
  /* EOF: stop reading, reap */
  s->eof = 1;
  uv_poll_stop(&s->poll);
  s->polling = 0;
  if (!s->reap_open) {
    uv_timer_init(ra->loop, &s->reap);
    s->reap.data = s;
    s->reap_open = 1;
    uv_timer_start(&s->reap, on_reap, 0, 10);
  }
}

static void shell_update_poll(rshell *s) {
  int want = !s->eof && s->master >= 0 && s->unacked < RADMIN_SHELL_WINDOW;
  if (!s->poll_open) {
    return;
  }
  if (want && !s->polling) {
    uv_poll_start(&s->poll, UV_READABLE, on_pty);
    s->polling = 1;
  } else if (!want && s->polling) {
    uv_poll_stop(&s->poll);
    s->polling = 0;
  }
}

static void shell_open(radmin *ra, int idx, const char *peer_node,
                       const conductor_admin *m) {
  rshell *s = NULL;
  struct winsize ws;
  char user[2 * CONDUCTOR_NAME_MAX];
  int i, master;
  pid_t pid;
  cglue_escape(user, sizeof user, m->user);
  if (ra->o.no_remote_login) {
    ralog(ra, 1, "remote login: refused %s via conductor node %s: remote "
          "login is disabled in this router's configuration", user,
          peer_node);
    shell_exit_msg(ra, idx, m->stream, CONDUCTOR_ERR_DENIED,
                   "remote login is disabled on this router "
                   "(remote-login no)", 0, 0);
    return;
  }
  if (shell_find(ra, idx, m->stream) != NULL) {
    shell_exit_msg(ra, idx, m->stream, CONDUCTOR_ERR_UNEXPECTED,
                   "stream already open", 0, 0);
    return;
  }
  for (i = 0; i < RADMIN_MAX_SHELLS; i++) {
    if (!ra->shells[i].used) {
      s = &ra->shells[i];
      break;
    }
  }
  if (s == NULL) {
    ralog(ra, 1, "remote login: refused %s: %d sessions open", user,
          RADMIN_MAX_SHELLS);
    shell_exit_msg(ra, idx, m->stream, CONDUCTOR_ERR_DENIED,
                   "too many remote sessions on this router", 0, 0);
    return;
  }
  memset(&ws, 0, sizeof ws);
  ws.ws_row = m->rows;
  ws.ws_col = m->cols;
  pid = forkpty(&master, NULL, NULL, &ws);
  if (pid < 0) {
    char t[CONDUCTOR_TEXT_MAX];
    snprintf(t, sizeof t, "cannot open a pty: %s", strerror(errno));
    ralog(ra, 0, "remote login: %s", t);
    shell_exit_msg(ra, idx, m->stream, CONDUCTOR_ERR_IO, t, 0, 0);
    return;
  }
  if (pid == 0) {
    char *argv[3];
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    /* The shell gets none of the router's descriptors (its conductor
     * connection, journal, sockets), and none of the ambient capabilities
     * a service manager gave the router process (CAP_NET_ADMIN...): it is
     * an ordinary process of the router's user. */
    close_range(3, ~0u, 0);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    setenv("TERM", m->term[0] ? m->term : "xterm", 1);
    setenv("SVR_REMOTE_ADMIN", m->user, 1);
    argv[0] = ra->shell;
    argv[1] = NULL;
    execv(ra->shell, argv);
    _exit(127);
  }
  memset(s, 0, sizeof *s);
  s->used = 1;
  s->ra = ra;
  s->idx = idx;
  s->stream = m->stream;
  s->pid = pid;
  s->master = master;
  s->start_mono = uv_hrtime();
  snprintf(s->user, sizeof s->user, "%s", m->user);
  cglue_escape(s->user, sizeof s->user, m->user);
  snprintf(s->peer_node, sizeof s->peer_node, "%s", peer_node);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  fcntl(master, F_SETFD, FD_CLOEXEC);
  uv_poll_init(ra->loop, &s->poll, master);
  s->poll.data = s;
  s->poll_open = 1;
  shell_update_poll(s);
  ralog(ra, 2, "remote login: %s via conductor node %s: shell %s pid %d "
        "started (%ux%u)", s->user, peer_node, ra->shell, (int)pid,
        (unsigned)m->cols, (unsigned)m->rows);
}

static void shell_hangup(rshell *s, const char *why) {
  if (s->pid > 0) {
    kill(-s->pid, SIGHUP);
    kill(s->pid, SIGHUP);
  }
  if (!s->eof) {
    s->eof = 1;
    if (s->polling) {
      uv_poll_stop(&s->poll);
      s->polling = 0;
    }
  }
  if (!s->reap_open && s->pid > 0) {
    uv_timer_init(s->ra->loop, &s->reap);
    s->reap.data = s;
    s->reap_open = 1;
    uv_timer_start(&s->reap, on_reap, 0, 10);
  }
  ralog(s->ra, 2, "remote login: session of %s: hang up (%s)", s->user, why);
}

/* ---- entry points ------------------------------------------------------- */

int radmin_new(radmin **pra, uv_loop_t *loop, const radmin_opts *o) {
  radmin *ra = calloc(1, sizeof *ra);
  int i;
  if (ra == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  ra->loop = loop;
  ra->o = *o;
  if (o->log_dir && strlen(o->log_dir) < sizeof ra->log_dir) {
    snprintf(ra->log_dir, sizeof ra->log_dir, "%s", o->log_dir);
  }
  snprintf(ra->shell, sizeof ra->shell, "%s",
           o->shell && o->shell[0] ? o->shell : "/bin/sh");
  for (i = 0; i < RADMIN_MAX_SHELLS; i++) {
    ra->shells[i].master = -1;
  }
  *pra = ra;
  return 0;
}

void radmin_on_frame(radmin *ra, int idx, const char *peer_node,
                     const uint8_t *f, size_t len) {
  conductor_admin m;
  rshell *s;
  int rv = conductor_admin_decode(&m, f, len);
  if (rv != 0) {
    ralog(ra, 1, "conductor node %s sent a bad administration frame: %s",
          peer_node, conductor_strerror(rv));
    return;
  }
  switch (m.type) {
  case CONDUCTOR_MSG_LOG_LIST:
    log_list(ra, idx, &m);
    break;
  case CONDUCTOR_MSG_LOG_GET:
    log_get(ra, idx, peer_node, &m);
    break;
  case CONDUCTOR_MSG_SHELL_OPEN:
    shell_open(ra, idx, peer_node, &m);
    break;
  case CONDUCTOR_MSG_SHELL_DATA:
    s = shell_find(ra, idx, m.stream);
    if (s && s->master >= 0) {
      /* Keystrokes are small; a full pty input queue drops them, as a
       * terminal line would. */
      ssize_t w = write(s->master, m.data, m.datalen);
      if (w > 0) {
        s->bytes_in += (uint64_t)w;
      }
    }
    break;
  case CONDUCTOR_MSG_SHELL_RESIZE:
    s = shell_find(ra, idx, m.stream);
    if (s && s->master >= 0) {
      struct winsize ws;
      memset(&ws, 0, sizeof ws);
      ws.ws_row = m.rows;
      ws.ws_col = m.cols;
      ioctl(s->master, TIOCSWINSZ, &ws);
    }
    break;
  case CONDUCTOR_MSG_SHELL_ACK:
    s = shell_find(ra, idx, m.stream);
    if (s) {
      s->unacked = m.length >= s->unacked ? 0 : s->unacked - m.length;
      shell_update_poll(s);
    }
    break;
  case CONDUCTOR_MSG_SHELL_CLOSE:
    s = shell_find(ra, idx, m.stream);
    if (s) {
      shell_hangup(s, "closed by the administrator");
    }
    break;
  default:
    ralog(ra, 1, "conductor node %s sent %u, not a request", peer_node,
          (unsigned)m.type);
    break;
  }
}

void radmin_link_down(radmin *ra, int idx) {
  int i;
  for (i = 0; i < RADMIN_MAX_SHELLS; i++) {
    rshell *s = &ra->shells[i];
    if (s->used && s->idx == idx && s->pid > 0) {
      s->idx = -1; /* nothing more is sent on that link */
      shell_hangup(s, "connection to the conductor lost");
    }
  }
}

void radmin_stop(radmin *ra) {
  int i;
  ra->stopping = 1; /* hashes still running finish without sending */
  for (i = 0; i < RADMIN_MAX_SHELLS; i++) {
    rshell *s = &ra->shells[i];
    if (s->used) {
      if (s->pid > 0) {
        kill(-s->pid, SIGHUP);
        kill(s->pid, SIGHUP);
        waitpid(s->pid, NULL, WNOHANG);
      }
      s->idx = -1;
      shell_finish(s, 0, 0, 0, "router stopping");
    }
  }
}

void radmin_del(radmin *ra) { free(ra); }
