/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SSH transport of the management channel (libssh, non-blocking).
 *
 * Conductor: our own non-blocking TCP listener; each accepted socket is
 * handed to libssh (ssh_bind_accept_fd), the key exchange is driven with
 * ssh_handle_key_exchange() until it stops returning SSH_AGAIN, and then
 * the session is pumped with a per-session ssh_event polled with timeout 0
 * whenever the host's event loop says the socket is ready.  Only public key
 * authentication is offered; the host's authorize callback decides from the
 * enrolment table.  The IPC rides on the "svr-conductor" subsystem; exec,
 * shell and pty requests are refused.
 *
 * Router: our own non-blocking TCP connect, then ssh_connect() on that fd
 * (SSH_OPTIONS_FD), host key checked against a known-hosts file, public key
 * authentication, a session channel and the subsystem request, each step
 * retried on SSH_AGAIN from conductor_client_process().
 *
 * Both sides buffer outgoing frames and write what the SSH channel window
 * allows; libssh buffers what the socket does not take and reports it with
 * SSH_WRITE_PENDING, which the *_events() functions turn into POLL_OUT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <conductor/conductor.h>

/* ---- byte buffer ---------------------------------------------------- */

typedef struct bytebuf {
  uint8_t *p;
  size_t len, cap;
} bytebuf;

static int buf_append(bytebuf *b, const void *data, size_t n) {
  if (b->cap - b->len < n) {
    size_t ncap = b->cap ? b->cap : 4096;
    uint8_t *np;
    while (ncap - b->len < n) {
      ncap *= 2;
    }
    np = realloc(b->p, ncap);
    if (np == NULL) {
      return CONDUCTOR_ERR_NOMEM;
    }
    b->p = np;
    b->cap = ncap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return 0;
}

static void buf_consume(bytebuf *b, size_t n) {
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
  /* Give memory back after a burst: 10,000 idle connections must stay
   * small. */
  if (b->len == 0 && b->cap > 65536) {
    free(b->p);
    b->p = NULL;
    b->cap = 0;
  }
}

static void buf_free(bytebuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* Writes as much of |b| as the channel window takes.  With |bounded|,
 * only while libssh has nothing left unwritten to the socket: a peer that
 * grants window but does not read would otherwise pile it all up inside
 * libssh, out of reach of the send-buffer limit.  Returns 0 or
 * CONDUCTOR_ERR_SSH. */
static int flush_channel_(ssh_session s, ssh_channel ch, bytebuf *b,
                          int bounded) {
  while (b->len > 0) {
    uint32_t win = ssh_channel_window_size(ch);
    size_t n = b->len;
    int w;
    if (win == 0) {
      return 0;
    }
    if (bounded && (ssh_get_poll_flags(s) & SSH_WRITE_PENDING)) {
      return 0;
    }
    if (n > win) {
      n = win;
    }
    if (n > 32768) {
      n = 32768;
    }
    w = ssh_channel_write(ch, b->p, (uint32_t)n);
    if (w == SSH_ERROR) {
      return CONDUCTOR_ERR_SSH;
    }
    if (w <= 0) {
      return 0;
    }
    buf_consume(b, (size_t)w);
  }
  return 0;
}

static int flush_channel(ssh_channel ch, bytebuf *b) {
  return flush_channel_(NULL, ch, b, 0);
}

/*
 * |host| as a socket address for |port|: a numeric IPv4 or IPv6 address
 * only (AI_NUMERICHOST), so the resolver is never asked and nothing here
 * blocks; a host name is CONDUCTOR_ERR_ADDRESS (the host resolves names
 * itself, asynchronously or before its loop starts).
 */
static int resolve(const char *host, uint16_t port, int passive,
                   struct sockaddr_storage *ss, socklen_t *sl) {
  struct addrinfo hints, *res = NULL;
  char ps[8];
  int rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  snprintf(ps, sizeof ps, "%u", (unsigned)port);
  rc = getaddrinfo(host, ps, &hints, &res);
  if (rc != 0 || res == NULL) {
    if (res != NULL) {
      freeaddrinfo(res);
    }
    return CONDUCTOR_ERR_ADDRESS;
  }
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *sl = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

/* ---- keys -------------------------------------------------------------- */

/* Writes |text| to a new file |path| created with |mode| from the start:
 * O_EXCL (an existing file or a symlink planted at |path| is an error,
 * EEXIST), so no other user ever sees the contents under a wider mode. */
static int write_new_file(const char *path, mode_t mode, const char *text) {
  size_t len = strlen(text), off = 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                mode);
  if (fd < 0) {
    return CONDUCTOR_ERR_IO;
  }
  /* umask may only narrow |mode|; fchmod makes it exact (0600 stays
   * 0600 under umask 0077 too, and a 0644 .pub is readable). */
  if (fchmod(fd, mode) != 0) {
    goto fail;
  }
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      goto fail;
    }
    off += (size_t)w;
  }
  if (fsync(fd) != 0) {
    goto fail;
  }
  return close(fd) == 0 ? 0 : CONDUCTOR_ERR_IO;
fail: {
  int e = errno;
  close(fd);
  unlink(path);
  errno = e;
  return CONDUCTOR_ERR_IO;
}
}

int conductor_key_generate(const char *path) {
  ssh_key k = NULL;
  char pub[4096], *priv_text = NULL, *pub_b64 = NULL, *line = NULL;
  int rv = 0;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &k) != SSH_OK) {
    return CONDUCTOR_ERR_SSH;
  }
  if (ssh_pki_export_privkey_base64(k, NULL, NULL, NULL, &priv_text) !=
          SSH_OK ||
      ssh_pki_export_pubkey_base64(k, &pub_b64) != SSH_OK ||
      asprintf(&line, "%s %s\n", ssh_key_type_to_char(ssh_key_type(k)),
               pub_b64) < 0) {
    line = NULL;
    rv = CONDUCTOR_ERR_SSH;
  } else if (write_new_file(path, 0600, priv_text) != 0) {
    rv = CONDUCTOR_ERR_IO;
  } else {
    snprintf(pub, sizeof pub, "%s.pub", path);
    if (write_new_file(pub, 0644, line) != 0) {
      int e = errno;
      unlink(path); /* no private key without its public half */
      errno = e;
      rv = CONDUCTOR_ERR_IO;
    }
  }
  if (priv_text) {
    explicit_bzero(priv_text, strlen(priv_text));
    ssh_string_free_char(priv_text);
  }
  ssh_string_free_char(pub_b64);
  free(line);
  ssh_key_free(k);
  return rv;
}

static int key_strings(ssh_key k, char *type, size_t tcap, char *b64,
                       size_t bcap, char *fp, size_t fcap) {
  char *b = NULL, *f = NULL;
  unsigned char *hash = NULL;
  size_t hlen = 0;
  const char *t = ssh_key_type_to_char(ssh_key_type(k));
  int rv = 0;
  if (t == NULL || ssh_pki_export_pubkey_base64(k, &b) != SSH_OK ||
      ssh_get_publickey_hash(k, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) !=
          SSH_OK ||
      (f = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen)) ==
          NULL) {
    rv = CONDUCTOR_ERR_SSH;
  } else if (strlen(t) >= tcap || strlen(b) >= bcap ||
             (fp && strlen(f) >= fcap)) {
    rv = CONDUCTOR_ERR_NOBUF;
  } else {
    strcpy(type, t);
    strcpy(b64, b);
    if (fp) {
      strcpy(fp, f);
    }
  }
  ssh_string_free_char(b);
  ssh_string_free_char(f);
  if (hash) {
    ssh_clean_pubkey_hash(&hash);
  }
  return rv;
}

int conductor_key_read_public(const char *path, char *type, size_t type_cap,
                              char *b64, size_t b64_cap, char *fp,
                              size_t fp_cap) {
  ssh_key k = NULL;
  int rv;
  if (ssh_pki_import_pubkey_file(path, &k) != SSH_OK) {
    if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &k) != SSH_OK) {
      return CONDUCTOR_ERR_SSH;
    }
  }
  rv = key_strings(k, type, type_cap, b64, b64_cap, fp, fp_cap);
  ssh_key_free(k);
  return rv;
}

/* ---- conductor (server) ------------------------------------------------ */

struct conductor_server {
  int fd;
  int spare_fd; /* held open to accept-and-close one connection on EMFILE */
  size_t max_send; /* per connection, frames not yet taken by libssh */
  ssh_bind bind;
  conductor_server_callbacks cb;
  void *user_data;
  char err[256];
};

enum { SC_KEX = 0, SC_AUTH, SC_OPEN, SC_CLOSING };

struct conductor_sconn {
  conductor_server *srv;
  ssh_session session;
  ssh_event event;
  ssh_channel channel;
  struct ssh_server_callbacks_struct scb;
  struct ssh_channel_callbacks_struct ccb;
  int fd;
  int state;
  int subsystem_ok;
  int in_process;
  int close_reason;
  int auth_failures;
  bytebuf rx, tx;
  char peer[64];      /* "addr:port" or "[addr6]:port" */
  char peer_addr[48]; /* numeric source address alone */
  char router[CONDUCTOR_NAME_MAX];
  char *key_b64; /* the key it authenticated with (malloc'ed) */
  void *user_data;
  struct ssh_counter_struct rcnt; /* SSH packets in and out (libssh) */
};

static void slog(conductor_server *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void slog(conductor_server *srv, int level, const char *fmt, ...) {
  char line[512];
  va_list ap;
  if (srv->cb.log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  srv->cb.log(level, line, srv->user_data);
}

int conductor_server_new(conductor_server **psrv, const char *addr,
                         uint16_t port, const char *host_key_path,
                         const conductor_server_callbacks *cb,
                         void *user_data) {
  conductor_server *srv;
  struct sockaddr_storage ss;
  socklen_t sl;
  ssh_key key = NULL;
  int one = 1;
  if (psrv == NULL || host_key_path == NULL || cb == NULL ||
      cb->authorize == NULL || cb->on_frame == NULL || cb->on_close == NULL) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  srv = calloc(1, sizeof *srv);
  if (srv == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  *psrv = srv;
  srv->fd = -1;
  srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  srv->max_send = CONDUCTOR_SEND_LIMIT_DEFAULT;
  srv->cb = *cb;
  srv->user_data = user_data;
  if (ssh_pki_import_privkey_file(host_key_path, NULL, NULL, NULL, &key) !=
      SSH_OK) {
    snprintf(srv->err, sizeof srv->err,
             "cannot read host key %s (create one with ssh-keygen -t "
             "ed25519 -N '' -f %s)",
             host_key_path, host_key_path);
    return CONDUCTOR_ERR_SSH;
  }
  srv->bind = ssh_bind_new();
  if (srv->bind == NULL ||
      ssh_bind_options_set(srv->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) !=
          SSH_OK) {
    ssh_key_free(key);
    snprintf(srv->err, sizeof srv->err, "cannot use host key %s",
             host_key_path);
    return CONDUCTOR_ERR_SSH;
  }
  /* The bind now owns |key|. */
  if (resolve(addr ? addr : "0.0.0.0", port, 1, &ss, &sl) != 0) {
    snprintf(srv->err, sizeof srv->err,
             "listen address %s is not a numeric IPv4 or IPv6 address",
             addr ? addr : "0.0.0.0");
    return CONDUCTOR_ERR_ADDRESS;
  }
  srv->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
  if (srv->fd < 0) {
    snprintf(srv->err, sizeof srv->err, "socket: %s", strerror(errno));
    return CONDUCTOR_ERR_BIND;
  }
  setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(srv->fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    if (e == EACCES && port < 1024) {
      snprintf(srv->err, sizeof srv->err,
               "cannot bind %s:%u: %s (ports below 1024 need root or "
               "CAP_NET_BIND_SERVICE; use --port to pick a high port)",
               addr ? addr : "0.0.0.0", (unsigned)port, strerror(e));
    } else {
      snprintf(srv->err, sizeof srv->err, "cannot bind %s:%u: %s",
               addr ? addr : "0.0.0.0", (unsigned)port, strerror(e));
    }
    errno = e;
    return CONDUCTOR_ERR_BIND;
  }
  if (listen(srv->fd, 4096) != 0) {
    snprintf(srv->err, sizeof srv->err, "listen: %s", strerror(errno));
    return CONDUCTOR_ERR_BIND;
  }
  return 0;
}

void conductor_server_del(conductor_server *srv) {
  if (srv == NULL) {
    return;
  }
  if (srv->fd >= 0) {
    close(srv->fd);
  }
  if (srv->spare_fd >= 0) {
    close(srv->spare_fd);
  }
  if (srv->bind) {
    ssh_bind_free(srv->bind);
  }
  free(srv);
}

int conductor_server_fd(const conductor_server *srv) { return srv->fd; }

void conductor_server_set_send_limit(conductor_server *srv, size_t bytes) {
  srv->max_send = bytes ? bytes : CONDUCTOR_SEND_LIMIT_DEFAULT;
}

uint16_t conductor_server_port(const conductor_server *srv) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(srv->fd, (struct sockaddr *)&ss, &sl) != 0) {
    return 0;
  }
  if (ss.ss_family == AF_INET) {
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  }
  if (ss.ss_family == AF_INET6) {
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  return 0;
}

const char *conductor_server_errmsg(const conductor_server *srv) {
  return srv ? srv->err : "no server";
}

/* One failed authentication attempt: reported (the host rate-limits its
 * log), and after CONDUCTOR_MAX_AUTH_TRIES the connection is closed. */
static int auth_failed(conductor_sconn *c, const char *method,
                       const char *key_type, const char *fp,
                       const char *user) {
  conductor_auth_refusal r;
  c->auth_failures++;
  memset(&r, 0, sizeof r);
  r.peer = c->peer;
  r.method = method;
  r.key_type = key_type;
  r.fingerprint = fp;
  r.user = user ? user : "";
  r.attempt = c->auth_failures;
  r.max_attempts = CONDUCTOR_MAX_AUTH_TRIES;
  r.closing = c->auth_failures >= CONDUCTOR_MAX_AUTH_TRIES;
  if (c->srv->cb.auth_refused) {
    c->srv->cb.auth_refused(&r, c->srv->user_data);
  } else if (key_type) {
    slog(c->srv, 1, "%s: refused unknown router key %s %s (user %s, "
         "attempt %d of %d)", c->peer, key_type, fp, r.user, r.attempt,
         r.max_attempts);
  } else {
    slog(c->srv, 1, "%s: refused %s authentication (user %s, attempt %d of "
         "%d)", c->peer, method, r.user, r.attempt, r.max_attempts);
  }
  if (r.closing) {
    if (!c->srv->cb.auth_refused) {
      slog(c->srv, 1, "%s: closing after %d failed authentication attempts",
           c->peer, c->auth_failures);
    }
    c->state = SC_CLOSING;
    c->close_reason = CONDUCTOR_ERR_AUTH_DENIED;
  }
  return SSH_AUTH_DENIED;
}

static int s_auth_none(ssh_session session, const char *user,
                       void *userdata) {
  conductor_sconn *c = userdata;
  conductor_auth_refusal r;
  (void)session;
  /* Clients ask with "none" first to learn the methods (OpenSSH does not
   * count it either): reported, not counted. */
  memset(&r, 0, sizeof r);
  r.peer = c->peer;
  r.method = "none";
  r.user = user ? user : "";
  r.attempt = c->auth_failures;
  r.max_attempts = CONDUCTOR_MAX_AUTH_TRIES;
  if (c->srv->cb.auth_refused) {
    c->srv->cb.auth_refused(&r, c->srv->user_data);
  }
  return SSH_AUTH_DENIED;
}

static int s_auth_password(ssh_session session, const char *user,
                           const char *password, void *userdata) {
  (void)session;
  (void)password; /* never looked at, never logged */
  return auth_failed(userdata, "password", NULL, NULL, user);
}

static int s_auth_pubkey(ssh_session session, const char *user,
                         struct ssh_key_struct *pubkey, char signature_state,
                         void *userdata) {
  conductor_sconn *c = userdata;
  char type[64], b64[1024], fp[128], router[CONDUCTOR_NAME_MAX];
  (void)session;
  if (signature_state != SSH_PUBLICKEY_STATE_NONE &&
      signature_state != SSH_PUBLICKEY_STATE_VALID) {
    return auth_failed(c, "publickey (bad signature)", NULL, NULL, user);
  }
  if (key_strings(pubkey, type, sizeof type, b64, sizeof b64, fp,
                  sizeof fp) != 0) {
    return auth_failed(c, "publickey (unusable key)", NULL, NULL, user);
  }
  router[0] = '\0';
  if (c->srv->cb.authorize(c->srv, user ? user : "", type, b64, router,
                           c->srv->user_data) != 0 ||
      router[0] == '\0') {
    return auth_failed(c, "publickey", type, fp, user);
  }
  if (signature_state == SSH_PUBLICKEY_STATE_VALID) {
    free(c->key_b64);
    c->key_b64 = strdup(b64);
    if (c->key_b64 == NULL) {
      return SSH_AUTH_DENIED;
    }
    snprintf(c->router, sizeof c->router, "%s", router);
    c->state = SC_OPEN;
    slog(c->srv, 2, "%s: router %s authenticated with %s", c->peer, router,
         fp);
  }
  return SSH_AUTH_SUCCESS;
}

static void deliver_frames(conductor_sconn *c) {
  size_t off = 0;
  while (c->state != SC_CLOSING) {
    conductor_ssize flen = conductor_frame_length(c->rx.p + off,
                                                  c->rx.len - off);
    if (flen < 0) {
      slog(c->srv, 1, "%s: %s: framing lost, closing", c->peer,
           conductor_strerror((int)flen));
      c->state = SC_CLOSING;
      c->close_reason = (int)flen;
      break;
    }
    if (flen == 0 || (size_t)flen > c->rx.len - off) {
      break;
    }
    c->srv->cb.on_frame(c, c->rx.p + off, (size_t)flen, c->srv->user_data);
    off += (size_t)flen;
  }
  if (off) {
    buf_consume(&c->rx, off);
  }
}

static int s_channel_data(ssh_session session, ssh_channel channel,
                          void *data, uint32_t len, int is_stderr,
                          void *userdata) {
  conductor_sconn *c = userdata;
  (void)session;
  (void)channel;
  if (is_stderr || !c->subsystem_ok || c->state == SC_CLOSING) {
    return (int)len;
  }
  if (buf_append(&c->rx, data, len) != 0) {
    c->state = SC_CLOSING;
    c->close_reason = CONDUCTOR_ERR_NOMEM;
    return (int)len;
  }
  deliver_frames(c);
  return (int)len;
}

static void s_channel_eof(ssh_session session, ssh_channel channel,
                          void *userdata) {
  conductor_sconn *c = userdata;
  (void)session;
  (void)channel;
  c->state = SC_CLOSING;
  c->close_reason = CONDUCTOR_ERR_CLOSED;
}

static int s_subsystem(ssh_session session, ssh_channel channel,
                       const char *subsystem, void *userdata) {
  conductor_sconn *c = userdata;
  (void)session;
  (void)channel;
  if (strcmp(subsystem, CONDUCTOR_SUBSYSTEM) != 0 || c->subsystem_ok) {
    slog(c->srv, 1, "%s: refused subsystem \"%s\"", c->peer, subsystem);
    return -1;
  }
  c->subsystem_ok = 1;
  return 0;
}

static ssh_channel s_channel_open(ssh_session session, void *userdata) {
  conductor_sconn *c = userdata;
  if (c->state != SC_OPEN || c->channel != NULL) {
    return NULL; /* one IPC channel per connection, only after auth */
  }
  c->channel = ssh_channel_new(session);
  if (c->channel == NULL) {
    return NULL;
  }
  memset(&c->ccb, 0, sizeof c->ccb);
  c->ccb.userdata = c;
  c->ccb.channel_data_function = s_channel_data;
  c->ccb.channel_eof_function = s_channel_eof;
  c->ccb.channel_close_function = s_channel_eof;
  c->ccb.channel_subsystem_request_function = s_subsystem;
  ssh_callbacks_init(&c->ccb);
  ssh_set_channel_callbacks(c->channel, &c->ccb);
  return c->channel;
}

int conductor_server_accept(conductor_server *srv, conductor_sconn **pc) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  conductor_sconn *c;
  int fd, one = 1;
  fd = accept4(srv->fd, (struct sockaddr *)&ss, &sl,
               SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED) {
      return CONDUCTOR_ERR_AGAIN;
    }
    if ((e == EMFILE || e == ENFILE) && srv->spare_fd >= 0) {
      /* Out of descriptors: the connection at the head of the queue would
       * stay there and keep the listener readable (a busy loop).  Give up
       * the spare descriptor to accept it and close it at once, then take
       * the spare back. */
      close(srv->spare_fd);
      fd = accept(srv->fd, NULL, NULL);
      if (fd >= 0) {
        close(fd);
      }
      srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    errno = e;
    return CONDUCTOR_ERR_IO;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c = calloc(1, sizeof *c);
  if (c == NULL) {
    close(fd);
    return CONDUCTOR_ERR_NOMEM;
  }
  c->srv = srv;
  c->fd = fd;
  c->state = SC_KEX;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    char a[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
    snprintf(c->peer, sizeof c->peer, "%s:%u", a, ntohs(s4->sin_port));
    snprintf(c->peer_addr, sizeof c->peer_addr, "%s", a);
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    char a[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
    snprintf(c->peer, sizeof c->peer, "[%s]:%u", a, ntohs(s6->sin6_port));
    snprintf(c->peer_addr, sizeof c->peer_addr, "%s", a);
  }
  c->session = ssh_new();
  if (c->session == NULL) {
    close(fd);
    free(c);
    return CONDUCTOR_ERR_NOMEM;
  }
  ssh_set_counters(c->session, NULL, &c->rcnt);
  if (ssh_bind_accept_fd(srv->bind, c->session, fd) != SSH_OK) {
    slog(srv, 1, "%s: ssh accept: %s", c->peer, ssh_get_error(srv->bind));
    ssh_free(c->session);
    close(fd);
    free(c);
    return CONDUCTOR_ERR_SSH;
  }
  memset(&c->scb, 0, sizeof c->scb);
  c->scb.userdata = c;
  c->scb.auth_pubkey_function = s_auth_pubkey;
  c->scb.auth_none_function = s_auth_none;
  c->scb.auth_password_function = s_auth_password;
  c->scb.channel_open_request_session_function = s_channel_open;
  ssh_callbacks_init(&c->scb);
  ssh_set_server_callbacks(c->session, &c->scb);
  /* Public key only: password and keyboard-interactive are never offered. */
  ssh_set_auth_methods(c->session, SSH_AUTH_METHOD_PUBLICKEY);
  ssh_set_blocking(c->session, 0);
  *pc = c;
  return 0;
}

int conductor_sconn_fd(const conductor_sconn *c) { return c->fd; }

int conductor_sconn_events(const conductor_sconn *c) {
  int ev = CONDUCTOR_POLL_IN;
  if (c->session && (ssh_get_poll_flags(c->session) & SSH_WRITE_PENDING)) {
    ev |= CONDUCTOR_POLL_OUT;
  }
  if (c->tx.len > 0 && c->channel && ssh_channel_window_size(c->channel) > 0) {
    ev |= CONDUCTOR_POLL_OUT;
  }
  return ev;
}

static void sconn_free(conductor_sconn *c) {
  int reason = c->close_reason;
  c->srv->cb.on_close(c, reason, c->srv->user_data);
  if (c->channel) {
    /* Answers to the last frames (e.g. before the peer's EOF) still go out
     * if the window and the socket take them; then a clean close. */
    if (c->tx.len && ssh_channel_is_open(c->channel)) {
      flush_channel(c->channel, &c->tx);
    }
    if (ssh_channel_is_open(c->channel)) {
      ssh_channel_send_eof(c->channel);
      ssh_channel_close(c->channel);
    }
    ssh_channel_free(c->channel);
  }
  if (c->event) {
    ssh_event_remove_session(c->event, c->session);
    ssh_event_free(c->event);
  }
  if (c->session) {
    ssh_disconnect(c->session); /* closes the fd */
    ssh_free(c->session);
  }
  buf_free(&c->rx);
  buf_free(&c->tx);
  free(c->key_b64);
  free(c);
}

int conductor_sconn_process(conductor_sconn *c) {
  int rc;
  c->in_process = 1;
  if (c->state == SC_KEX) {
    int k = 0;
    /* libssh may read several packets from the socket but handle one per
     * call; the rest would wait for a readiness event that never comes.
     * A few calls in a row drain what it buffered. */
    do {
      rc = ssh_handle_key_exchange(c->session);
    } while (rc == SSH_AGAIN && ++k < 4);
    if (rc == SSH_AGAIN) {
      c->in_process = 0;
      return 0;
    }
    if (rc != SSH_OK) {
      slog(c->srv, 1, "%s: key exchange failed: %s", c->peer,
           ssh_get_error(c->session));
      c->state = SC_CLOSING;
      c->close_reason = CONDUCTOR_ERR_SSH;
    } else {
      c->state = SC_AUTH;
      c->event = ssh_event_new();
      if (c->event == NULL ||
          ssh_event_add_session(c->event, c->session) != SSH_OK) {
        c->state = SC_CLOSING;
        c->close_reason = CONDUCTOR_ERR_NOMEM;
      }
    }
  }
  if (c->state != SC_CLOSING && c->state != SC_KEX) {
    int k = 0;
    do {
      rc = ssh_event_dopoll(c->event, 0);
    } while (rc == SSH_OK && ++k < 8 && c->state != SC_CLOSING);
    if (rc == SSH_ERROR ||
        (ssh_get_status(c->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
      if (c->state != SC_CLOSING) {
        c->state = SC_CLOSING;
        c->close_reason = CONDUCTOR_ERR_CLOSED;
      }
    }
  }
  if (c->state != SC_CLOSING && c->channel && c->tx.len) {
    if (flush_channel_(c->session, c->channel, &c->tx, 1) != 0) {
      c->state = SC_CLOSING;
      c->close_reason = CONDUCTOR_ERR_SSH;
    }
  }
  c->in_process = 0;
  if (c->state == SC_CLOSING) {
    rc = c->close_reason;
    sconn_free(c);
    return rc ? rc : CONDUCTOR_ERR_CLOSED;
  }
  return 0;
}

int conductor_sconn_send(conductor_sconn *c, const uint8_t *frame,
                         size_t len) {
  if (c->channel == NULL || !c->subsystem_ok || c->state == SC_CLOSING) {
    return CONDUCTOR_ERR_UNEXPECTED;
  }
  if (c->tx.len + len > c->srv->max_send) {
    return CONDUCTOR_ERR_NOBUF; /* the peer does not read */
  }
  if (buf_append(&c->tx, frame, len) != 0) {
    return CONDUCTOR_ERR_NOMEM;
  }
  /* Only buffered here: writing to libssh may run its packet loop, whose
   * callbacks could re-enter the host.  conductor_sconn_events() now asks
   * for POLL_OUT and the next conductor_sconn_process() writes it. */
  return 0;
}

const char *conductor_sconn_router(const conductor_sconn *c) {
  return c->router;
}

const char *conductor_sconn_peer(const conductor_sconn *c) { return c->peer; }

const char *conductor_sconn_key(const conductor_sconn *c) {
  return c->key_b64 ? c->key_b64 : "";
}

const char *conductor_sconn_peer_addr(const conductor_sconn *c) {
  return c->peer_addr;
}

void conductor_sconn_set_user_data(conductor_sconn *c, void *p) {
  c->user_data = p;
}

void *conductor_sconn_get_user_data(const conductor_sconn *c) {
  return c->user_data;
}

void conductor_sconn_close(conductor_sconn *c, int reason) {
  if (c->state != SC_CLOSING) {
    c->state = SC_CLOSING;
    c->close_reason = reason;
  }
  if (!c->in_process) {
    sconn_free(c);
  }
}

/* ---- SSH keepalives ------------------------------------------------------ */

/*
 * keepalive@openssh.com (RFC 4254 section 4: a global request the peer does
 * not know is answered with SSH_MSG_REQUEST_FAILURE; OpenSSH and libssh
 * answer this one with SUCCESS or FAILURE, both prove the peer alive).
 * libssh's ssh_send_keepalive() sends it with want-reply in non-blocking
 * mode, polls once and leaves the request pending; a later call first
 * collects that answer (and sends nothing).  So a second call is made only
 * when the first sent nothing (libssh's packet counter |cnt| did not move):
 * then it collected the previous answer, and the second sends the new
 * request.  When the first call sent a request itself, a second one would
 * send another as soon as the first's answer came within its poll: two
 * keepalives a millisecond apart (svr-budget's measurement saw a router
 * send 23 in 20 s at a 1 s interval).  The answer itself is counted by
 * libssh's packet counter, which is what the host watches.
 */
static void send_keepalive(ssh_session s, const struct ssh_counter_struct *cnt) {
  uint64_t sent = cnt->out_packets;
  ssh_send_keepalive(s);
  if (cnt->out_packets == sent) {
    ssh_send_keepalive(s);
  }
}

int conductor_sconn_keepalive(conductor_sconn *c) {
  int rc;
  if (c->state != SC_OPEN || c->in_process) {
    return 0;
  }
  /* libssh handles whatever is already readable while it waits for the
   * answer: channel data reaches on_frame from here, as from process. */
  c->in_process = 1;
  send_keepalive(c->session, &c->rcnt);
  c->in_process = 0;
  if (c->state != SC_CLOSING &&
      (ssh_get_status(c->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
    c->state = SC_CLOSING;
    c->close_reason = CONDUCTOR_ERR_CLOSED;
  }
  if (c->state == SC_CLOSING) {
    rc = c->close_reason;
    sconn_free(c);
    return rc ? rc : CONDUCTOR_ERR_CLOSED;
  }
  return 0;
}

uint64_t conductor_sconn_rx_packets(const conductor_sconn *c) {
  return c->rcnt.in_packets;
}

/* ---- router node (client) ---------------------------------------------- */

struct conductor_client {
  ssh_session session;
  ssh_channel channel;
  ssh_key key;
  int fd;
  int tcp_connected;
  conductor_client_state state;
  int tofu;
  uint16_t port;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  bytebuf rx, tx;
  struct ssh_counter_struct rcnt; /* SSH packets in and out (libssh) */
  char host[256];
  char known_hosts[512];
  char err[512];
};

int conductor_client_new(conductor_client **pcl, const char *host,
                         uint16_t port, const char *user,
                         const char *key_path, const char *known_hosts,
                         int tofu) {
  conductor_client *cl;
  int verb = SSH_LOG_NOLOG, no = 0;
  unsigned int p = port;
  if (pcl == NULL || host == NULL || key_path == NULL ||
      known_hosts == NULL) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  cl = calloc(1, sizeof *cl);
  if (cl == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  *pcl = cl;
  cl->fd = -1;
  cl->tofu = tofu;
  cl->port = port;
  snprintf(cl->host, sizeof cl->host, "%s", host);
  snprintf(cl->known_hosts, sizeof cl->known_hosts, "%s", known_hosts);
  if (ssh_pki_import_privkey_file(key_path, NULL, NULL, NULL, &cl->key) !=
      SSH_OK) {
    snprintf(cl->err, sizeof cl->err, "cannot read router key %s", key_path);
    cl->state = CONDUCTOR_CLIENT_FAILED;
    return CONDUCTOR_ERR_SSH;
  }
  if (resolve(host, port, 0, &cl->addr, &cl->addrlen) != 0) {
    snprintf(cl->err, sizeof cl->err,
             "conductor address \"%s\" is not a numeric IPv4 or IPv6 "
             "address (the library never resolves names)",
             host);
    cl->state = CONDUCTOR_CLIENT_FAILED;
    return CONDUCTOR_ERR_ADDRESS;
  }
  cl->session = ssh_new();
  if (cl->session == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  ssh_set_counters(cl->session, NULL, &cl->rcnt);
  ssh_options_set(cl->session, SSH_OPTIONS_HOST, host);
  ssh_options_set(cl->session, SSH_OPTIONS_PORT, &p);
  ssh_options_set(cl->session, SSH_OPTIONS_USER, user ? user : "router");
  ssh_options_set(cl->session, SSH_OPTIONS_LOG_VERBOSITY, &verb);
  ssh_options_set(cl->session, SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(cl->session, SSH_OPTIONS_KNOWNHOSTS, known_hosts);
  ssh_options_set(cl->session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  ssh_set_blocking(cl->session, 0);
  cl->state = CONDUCTOR_CLIENT_CONNECTING;
  return 0;
}

void conductor_client_del(conductor_client *cl) {
  if (cl == NULL) {
    return;
  }
  if (cl->channel) {
    ssh_channel_free(cl->channel);
  }
  if (cl->session) {
    /* libssh closes a descriptor given with SSH_OPTIONS_FD only when the
     * connection failed under it (EOF, socket error, DISCONNECT received:
     * ssh_get_fd() is then -1); ssh_disconnect() and ssh_free() leave an
     * open one to its owner.  Close it here, or every connection the router
     * ends itself (key refused, conductor dead, handshake timeout) leaks a
     * socket in CLOSE-WAIT. */
    int still_open = cl->tcp_connected && ssh_get_fd(cl->session) == cl->fd;
    if (cl->tcp_connected) {
      ssh_disconnect(cl->session);
    }
    ssh_free(cl->session);
    if (still_open) {
      close(cl->fd);
    }
  }
  if (cl->fd >= 0 && !cl->tcp_connected) {
    close(cl->fd);
  }
  ssh_key_free(cl->key);
  buf_free(&cl->rx);
  buf_free(&cl->tx);
  free(cl);
}

int conductor_client_fd(const conductor_client *cl) { return cl->fd; }

int conductor_client_events(const conductor_client *cl) {
  int ev = CONDUCTOR_POLL_IN;
  if (cl->fd >= 0 && !cl->tcp_connected) {
    return CONDUCTOR_POLL_OUT;
  }
  if (cl->session && (ssh_get_poll_flags(cl->session) & SSH_WRITE_PENDING)) {
    ev |= CONDUCTOR_POLL_OUT;
  }
  return ev;
}

conductor_client_state conductor_client_get_state(const conductor_client *cl) {
  return cl->state;
}

const char *conductor_client_errmsg(const conductor_client *cl) {
  return cl->err;
}

static int cfail(conductor_client *cl, int rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps errno: a CONDUCTOR_ERR_IO leaves the failed call's errno. */
static int cfail(conductor_client *cl, int rv, const char *fmt, ...) {
  va_list ap;
  int e = errno;
  va_start(ap, fmt);
  vsnprintf(cl->err, sizeof cl->err, fmt, ap);
  va_end(ap);
  cl->state = CONDUCTOR_CLIENT_FAILED;
  errno = e;
  return rv;
}

static int host_fingerprint(conductor_client *cl, char *fp, size_t cap) {
  ssh_key k = NULL;
  char t[64], b[1024];
  int rv;
  if (ssh_get_server_publickey(cl->session, &k) != SSH_OK) {
    return -1;
  }
  rv = key_strings(k, t, sizeof t, b, sizeof b, fp, cap);
  ssh_key_free(k);
  return rv;
}

static int client_step(conductor_client *cl) {
  int rc;
  char fp[128] = "?";
  switch (cl->state) {
  case CONDUCTOR_CLIENT_CONNECTING:
    if (cl->fd < 0) {
      int one = 1;
      cl->fd = socket(cl->addr.ss_family,
                      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (cl->fd < 0) {
        return cfail(cl, CONDUCTOR_ERR_IO, "socket: %s", strerror(errno));
      }
      setsockopt(cl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(cl->fd, (struct sockaddr *)&cl->addr, cl->addrlen) != 0 &&
          errno != EINPROGRESS) {
        return cfail(cl, CONDUCTOR_ERR_IO, "connect to %s:%u: %s", cl->host,
                     (unsigned)cl->port, strerror(errno));
      }
      return 1; /* wait for writable */
    }
    if (!cl->tcp_connected) {
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      struct sockaddr_storage peer;
      socklen_t pl = sizeof peer;
      if (getsockopt(cl->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
        soerr = errno;
      }
      if (soerr != 0) {
        errno = soerr;
        return cfail(cl, CONDUCTOR_ERR_IO, "connect to %s:%u: %s", cl->host,
                     (unsigned)cl->port, strerror(soerr));
      }
      if (getpeername(cl->fd, (struct sockaddr *)&peer, &pl) != 0) {
        return 1; /* still in progress */
      }
      cl->tcp_connected = 1;
      ssh_options_set(cl->session, SSH_OPTIONS_FD, &cl->fd);
    }
    rc = ssh_connect(cl->session);
    if (rc == SSH_AGAIN) {
      return 1;
    }
    if (rc != SSH_OK) {
      return cfail(cl, CONDUCTOR_ERR_SSH, "SSH handshake with %s:%u: %s",
                   cl->host, (unsigned)cl->port, ssh_get_error(cl->session));
    }
    cl->state = CONDUCTOR_CLIENT_HOSTKEY;
    return 0;
  case CONDUCTOR_CLIENT_HOSTKEY:
    host_fingerprint(cl, fp, sizeof fp);
    switch (ssh_session_is_known_server(cl->session)) {
    case SSH_KNOWN_HOSTS_OK:
      break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      return cfail(cl, CONDUCTOR_ERR_HOSTKEY_CHANGED,
                   "REFUSED: the host key of conductor %s:%u has CHANGED "
                   "(now %s, pinned in %s). This may be an impostor; if the "
                   "conductor was really re-keyed, remove its line from %s",
                   cl->host, (unsigned)cl->port, fp, cl->known_hosts,
                   cl->known_hosts);
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      if (!cl->tofu) {
        return cfail(cl, CONDUCTOR_ERR_HOSTKEY_UNKNOWN,
                     "REFUSED: conductor %s:%u (key %s) is not in %s; add "
                     "it or run with --trust-first-use",
                     cl->host, (unsigned)cl->port, fp, cl->known_hosts);
      }
      if (ssh_session_update_known_hosts(cl->session) != SSH_OK) {
        return cfail(cl, CONDUCTOR_ERR_IO, "cannot write %s: %s",
                     cl->known_hosts, ssh_get_error(cl->session));
      }
      break;
    default:
      return cfail(cl, CONDUCTOR_ERR_SSH, "cannot check host key: %s",
                   ssh_get_error(cl->session));
    }
    cl->state = CONDUCTOR_CLIENT_AUTH;
    return 0;
  case CONDUCTOR_CLIENT_AUTH:
    rc = ssh_userauth_publickey(cl->session, NULL, cl->key);
    if (rc == SSH_AUTH_AGAIN) {
      return 1;
    }
    if (rc != SSH_AUTH_SUCCESS) {
      return cfail(cl, CONDUCTOR_ERR_AUTH_DENIED,
                   "conductor %s:%u refused the router key (enroll it with "
                   "'svr-conductor enroll ROUTER KEY.pub')",
                   cl->host, (unsigned)cl->port);
    }
    cl->state = CONDUCTOR_CLIENT_CHANNEL;
    return 0;
  case CONDUCTOR_CLIENT_CHANNEL:
    if (cl->channel == NULL) {
      cl->channel = ssh_channel_new(cl->session);
      if (cl->channel == NULL) {
        return cfail(cl, CONDUCTOR_ERR_NOMEM, "out of memory");
      }
    }
    rc = ssh_channel_open_session(cl->channel);
    if (rc == SSH_AGAIN) {
      return 1;
    }
    if (rc != SSH_OK) {
      return cfail(cl, CONDUCTOR_ERR_SSH, "channel open: %s",
                   ssh_get_error(cl->session));
    }
    cl->state = CONDUCTOR_CLIENT_SUBSYSTEM;
    return 0;
  case CONDUCTOR_CLIENT_SUBSYSTEM:
    rc = ssh_channel_request_subsystem(cl->channel, CONDUCTOR_SUBSYSTEM);
    if (rc == SSH_AGAIN) {
      return 1;
    }
    if (rc != SSH_OK) {
      return cfail(cl, CONDUCTOR_ERR_SSH, "subsystem %s refused: %s",
                   CONDUCTOR_SUBSYSTEM, ssh_get_error(cl->session));
    }
    cl->state = CONDUCTOR_CLIENT_READY;
    return 0;
  case CONDUCTOR_CLIENT_READY: {
    uint8_t tmp[16384];
    for (;;) {
      int n = ssh_channel_read_nonblocking(cl->channel, tmp, sizeof tmp, 0);
      if (n == SSH_ERROR) {
        return cfail(cl, CONDUCTOR_ERR_CLOSED, "connection to %s:%u lost: %s",
                     cl->host, (unsigned)cl->port,
                     ssh_get_error(cl->session));
      }
      if (n == SSH_EOF || (n == 0 && ssh_channel_is_eof(cl->channel))) {
        return cfail(cl, CONDUCTOR_ERR_CLOSED,
                     "conductor %s:%u closed the channel", cl->host,
                     (unsigned)cl->port);
      }
      if (n <= 0) {
        break;
      }
      if (buf_append(&cl->rx, tmp, (size_t)n) != 0) {
        return cfail(cl, CONDUCTOR_ERR_NOMEM, "out of memory");
      }
    }
    if (!ssh_is_connected(cl->session)) {
      return cfail(cl, CONDUCTOR_ERR_CLOSED, "conductor %s:%u disconnected",
                   cl->host, (unsigned)cl->port);
    }
    if (cl->tx.len && flush_channel(cl->channel, &cl->tx) != 0) {
      return cfail(cl, CONDUCTOR_ERR_SSH, "write: %s",
                   ssh_get_error(cl->session));
    }
    return 1;
  }
  case CONDUCTOR_CLIENT_FAILED:
  default:
    return CONDUCTOR_ERR_CLOSED;
  }
}

int conductor_client_process(conductor_client *cl) {
  int rv;
  if (cl->state == CONDUCTOR_CLIENT_FAILED) {
    return CONDUCTOR_ERR_CLOSED;
  }
  /* Run steps until one would block (1) or fails (< 0). */
  while ((rv = client_step(cl)) == 0) {
  }
  return rv < 0 ? rv : 0;
}

conductor_ssize conductor_client_read_frame(conductor_client *cl,
                                            uint8_t *buf, size_t cap) {
  conductor_ssize flen = conductor_frame_length(cl->rx.p, cl->rx.len);
  if (flen < 0) {
    cfail(cl, (int)flen, "conductor sent a bad frame header: %s",
          conductor_strerror((int)flen));
    return flen;
  }
  if (flen == 0 || (size_t)flen > cl->rx.len) {
    return 0;
  }
  if ((size_t)flen > cap) {
    return CONDUCTOR_ERR_NOBUF;
  }
  memcpy(buf, cl->rx.p, (size_t)flen);
  buf_consume(&cl->rx, (size_t)flen);
  return flen;
}

int conductor_client_send(conductor_client *cl, const uint8_t *frame,
                          size_t len) {
  if (cl->state != CONDUCTOR_CLIENT_READY) {
    return CONDUCTOR_ERR_UNEXPECTED;
  }
  if (buf_append(&cl->tx, frame, len) != 0) {
    return CONDUCTOR_ERR_NOMEM;
  }
  if (flush_channel(cl->channel, &cl->tx) != 0) {
    cfail(cl, CONDUCTOR_ERR_SSH, "write: %s", ssh_get_error(cl->session));
    return CONDUCTOR_ERR_SSH;
  }
  return 0;
}

int conductor_client_keepalive(conductor_client *cl) {
  if (cl->state != CONDUCTOR_CLIENT_READY) {
    return CONDUCTOR_ERR_UNEXPECTED;
  }
  send_keepalive(cl->session, &cl->rcnt);
  if (!ssh_is_connected(cl->session)) {
    cfail(cl, CONDUCTOR_ERR_CLOSED, "conductor %s:%u disconnected", cl->host,
          (unsigned)cl->port);
    return CONDUCTOR_ERR_SSH;
  }
  return 0;
}

uint64_t conductor_client_rx_packets(const conductor_client *cl) {
  return cl->rcnt.in_packets;
}
