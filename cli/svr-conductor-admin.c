/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-conductor logs / connect: an administrator's commands that reach a
 * router through its conductor node (docs/libconductor.md 2.7).  The
 * command connects to the conductor node's SSH port as user "svr-admin"
 * with the administrator's key (listed in the node's --admin-keys file),
 * opens the IPC subsystem and speaks the administration messages; the
 * node relays them over the router's own connection (the conductor never
 * dials a router).  Blocking poll(2) loop, one connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conductor_glue.h"
#include "svr-conductor-admin.h"
#include "svr_cli.h"
#include "svr_table.h"

#define RANGE (128u * 1024u)       /* bytes asked per LOG_GET */
#define CLIENT_KA_S 20             /* keepalive of the administrator side */
#define CLIENT_KA_MAX 3

typedef struct aopts {
  char host[256];
  uint16_t port;
  const char *key;
  const char *known_hosts;
  const char *router;
  const char *node;
  const char *get;
  const char *out;
  int json;
  unsigned timeout_s;
} aopts;

typedef struct aconn {
  conductor_client *cl;
  uint64_t rx_pkts;
  uint64_t last_rx_ms;
  uint64_t last_ka_ms;
  unsigned ka_out;
} aconn;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  svr_cli_vusage_error("svr-conductor", fmt, ap);
}

/* The exit status for a local file that could not be used. */
static int file_exit(int err) {
  return err == EACCES || err == EPERM ? SVR_EXIT_PERMISSION
                                       : SVR_EXIT_SYSTEM;
}

static void parse_common(int argc, char **argv, aopts *o, int logs) {
  static const struct option lo[] = {
      {"conductor", required_argument, NULL, 'c'},
      {"key", required_argument, NULL, 'k'},
      {"known-hosts", required_argument, NULL, 'K'},
      {"router", required_argument, NULL, 'r'},
      {"node", required_argument, NULL, 'n'},
      {"get", required_argument, NULL, 'g'},
      {"output", required_argument, NULL, 'o'},
      {"json", no_argument, NULL, 'j'},
      {"timeout", required_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *home = getenv("HOME");
  static char defkey[1024], defkh[1024];
  const char *hp = "127.0.0.1:930";
  int c;
  memset(o, 0, sizeof *o);
  o->timeout_s = 60;
  snprintf(defkey, sizeof defkey, "%s/.ssh/id_ed25519", home ? home : "");
  snprintf(defkh, sizeof defkh, "%s/.ssh/known_hosts", home ? home : "");
  o->key = defkey;
  o->known_hosts = defkh;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
    switch (c) {
    case 'c':
      hp = optarg;
      break;
    case 'k':
      o->key = optarg;
      break;
    case 'K':
      o->known_hosts = optarg;
      break;
    case 'r':
      o->router = optarg;
      break;
    case 'n':
      o->node = optarg;
      break;
    case 'g':
      if (!logs) {
        die_usage("--get is an option of logs");
      }
      o->get = optarg;
      break;
    case 'o':
      if (!logs) {
        die_usage("-o is an option of logs --get");
      }
      o->out = optarg;
      break;
    case 'j':
      if (!logs) {
        die_usage("--json is an option of logs");
      }
      o->json = 1;
      break;
    case 't': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || v < 1 || v > 86400) {
        die_usage("--timeout: expected 1-86400 seconds, got '%s'", optarg);
      }
      o->timeout_s = (unsigned)v;
      break;
    }
    case 'h':
      printf("see svr-conductor --help\n");
      exit(0);
    default:
      svr_cli_bad_option("svr-conductor", argv, optind);
    }
  }
  if (optind < argc) {
    die_usage("%s: unexpected argument '%s'", logs ? "logs" : "connect",
              argv[optind]);
  }
  if (o->router == NULL || !cglue_name_ok(o->router)) {
    die_usage("%s needs --router R (1-63 characters of A-Z a-z 0-9 . _ -)",
              logs ? "logs" : "connect");
  }
  if (o->node && !cglue_name_ok(o->node)) {
    die_usage("--node: 1-63 characters of A-Z a-z 0-9 . _ -");
  }
  if (o->out && !o->get) {
    die_usage("-o needs --get NAME");
  }
  if (o->get && o->json) {
    die_usage("--json lists; it does not go with --get");
  }
  {
    const char *colon = strrchr(hp, ':');
    char *end;
    long p;
    size_t hl;
    if (colon == NULL || colon == hp) {
      die_usage("--conductor: expected ADDRESS:PORT, got '%s'", hp);
    }
    p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535) {
      die_usage("--conductor: bad port in '%s'", hp);
    }
    hl = (size_t)(colon - hp);
    if (hp[0] == '[' && hl >= 2 && hp[hl - 1] == ']') {
      hp++;
      hl -= 2;
    }
    if (hl >= sizeof o->host) {
      die_usage("--conductor: address too long");
    }
    memcpy(o->host, hp, hl);
    o->host[hl] = '\0';
    o->port = (uint16_t)p;
  }
}

/* Connects and waits for the IPC channel.  Returns 0, or the exit status
 * after printing why. */
static int aconn_open(aconn *a, const aopts *o, uint64_t deadline_ms) {
  int rv;
  memset(a, 0, sizeof *a);
  rv = conductor_client_new(&a->cl, o->host, o->port, CADM_SSH_USER, o->key,
                            o->known_hosts, 0);
  if (rv != 0) {
    int e = access(o->key, R_OK) == 0 ? 0 : errno;
    fprintf(stderr, "svr-conductor: cannot use key %s or conductor %s: %s\n",
            o->key, o->host, e ? strerror(e) : conductor_strerror(rv));
    conductor_client_del(a->cl);
    a->cl = NULL;
    if (rv == CONDUCTOR_ERR_NOMEM) {
      return SVR_EXIT_SYSTEM;
    }
    /* not a numeric address, a key that is missing or not a key: usage;
     * a key we may not read: permission */
    return e == EACCES || e == EPERM ? SVR_EXIT_PERMISSION : SVR_EXIT_USAGE;
  }
  for (;;) {
    struct pollfd p;
    int ev;
    uint64_t now;
    rv = conductor_client_process(a->cl);
    if (rv < 0) {
      int e = errno; /* of a CONDUCTOR_ERR_IO: the TCP connect's */
      if (rv == CONDUCTOR_ERR_AUTH_DENIED) {
        fprintf(stderr, "svr-conductor: conductor %s:%u refused the key %s: "
                "not an enrolled administrator (its public key must be in "
                "the node's --admin-keys file)\n", o->host, (unsigned)o->port,
                o->key);
        conductor_client_del(a->cl);
        a->cl = NULL;
        return SVR_EXIT_NEGATIVE;
      }
      fprintf(stderr, "svr-conductor: %s\n", conductor_client_errmsg(a->cl));
      conductor_client_del(a->cl);
      a->cl = NULL;
      switch (rv) {
      case CONDUCTOR_ERR_HOSTKEY_CHANGED:
      case CONDUCTOR_ERR_HOSTKEY_UNKNOWN:
        return SVR_EXIT_NEGATIVE; /* we refused it */
      case CONDUCTOR_ERR_IO:
        return svr_cli_exit_for_errno(e); /* refused: UNREACHABLE */
      default:
        return SVR_EXIT_SYSTEM;
      }
    }
    if (conductor_client_get_state(a->cl) == CONDUCTOR_CLIENT_READY) {
      a->last_rx_ms = a->last_ka_ms = now_ms();
      a->rx_pkts = conductor_client_rx_packets(a->cl);
      return 0;
    }
    now = now_ms();
    if (now >= deadline_ms) {
      fprintf(stderr, "svr-conductor: conductor %s:%u: no answer\n", o->host,
              (unsigned)o->port);
      conductor_client_del(a->cl);
      a->cl = NULL;
      return SVR_EXIT_INCONCLUSIVE;
    }
    p.fd = conductor_client_fd(a->cl);
    ev = conductor_client_events(a->cl);
    p.events = (short)(((ev & CONDUCTOR_POLL_IN) ? POLLIN : 0) |
                       ((ev & CONDUCTOR_POLL_OUT) ? POLLOUT : 0));
    if (p.fd < 0) {
      continue;
    }
    poll(&p, 1, (int)(deadline_ms - now < 200 ? deadline_ms - now : 200));
  }
}

static void aconn_close(aconn *a) {
  conductor_client_del(a->cl);
  a->cl = NULL;
}

static int aconn_send(aconn *a, const conductor_admin *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n = conductor_admin_encode(buf, sizeof buf, m);
  if (n < 0) {
    return (int)n;
  }
  return conductor_client_send(a->cl, buf, (size_t)n);
}

/* SSH keepalives every CLIENT_KA_S s of silence; returns -1 when
 * CLIENT_KA_MAX went unanswered. */
static int aconn_keepalive(aconn *a) {
  uint64_t n = conductor_client_rx_packets(a->cl), now = now_ms();
  if (n != a->rx_pkts) {
    a->rx_pkts = n;
    a->last_rx_ms = now;
    a->ka_out = 0;
  }
  if (now - a->last_rx_ms >= (uint64_t)CLIENT_KA_S * 1000u * (a->ka_out + 1)) {
    if (a->ka_out >= CLIENT_KA_MAX) {
      return -1;
    }
    a->ka_out++;
    conductor_client_keepalive(a->cl);
  }
  return 0;
}

/* Waits for the next administration frame (|fds| extra descriptors are
 * polled too: returns 0 with *got = 0 when one of them is ready).
 * Returns 0 or -1 (connection lost, message printed). */
static int aconn_wait(aconn *a, conductor_admin *m, uint8_t *frame,
                      int *got, struct pollfd *extra, int nextra,
                      int timeout_ms) {
  struct pollfd p[4];
  int i, ev;
  conductor_ssize n;
  *got = 0;
  for (;;) {
    n = conductor_client_read_frame(a->cl, frame, CONDUCTOR_MAX_FRAME_LEN);
    if (n < 0) {
      fprintf(stderr, "svr-conductor: %s\n", conductor_client_errmsg(a->cl));
      return -1;
    }
    if (n > 0) {
      if (conductor_admin_decode(m, frame, (size_t)n) != 0) {
        continue; /* ERROR or a frame we do not know: not ours */
      }
      *got = 1;
      return 0;
    }
    if (aconn_keepalive(a) != 0) {
      fprintf(stderr, "svr-conductor: conductor not answering %d SSH "
              "keepalives (%d s apart)\n", CLIENT_KA_MAX, CLIENT_KA_S);
      return -1;
    }
    p[0].fd = conductor_client_fd(a->cl);
    ev = conductor_client_events(a->cl);
    p[0].events = (short)(((ev & CONDUCTOR_POLL_IN) ? POLLIN : 0) |
                          ((ev & CONDUCTOR_POLL_OUT) ? POLLOUT : 0));
    p[0].revents = 0;
    for (i = 0; i < nextra; i++) {
      p[1 + i] = extra[i];
      p[1 + i].revents = 0;
    }
    if (poll(p, (nfds_t)(1 + nextra), timeout_ms) < 0 && errno != EINTR) {
      return -1;
    }
    for (i = 0; i < nextra; i++) {
      extra[i].revents = p[1 + i].revents;
    }
    if (conductor_client_process(a->cl) < 0) {
      fprintf(stderr, "svr-conductor: %s\n", conductor_client_errmsg(a->cl));
      return -1;
    }
    for (i = 0; i < nextra; i++) {
      if (extra[i].revents) {
        return 0;
      }
    }
    if (timeout_ms >= 0) {
      /* back to the caller for its descriptors and deadlines */
      n = conductor_client_read_frame(a->cl, frame, CONDUCTOR_MAX_FRAME_LEN);
      if (n > 0 && conductor_admin_decode(m, frame, (size_t)n) == 0) {
        *got = 1;
      }
      return 0;
    }
  }
}

static void print_json_str(const char *raw) {
  char buf[4 * CONDUCTOR_ADMIN_NAME_MAX];
  const char *s = buf;
  cglue_escape(buf, sizeof buf, raw);
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      printf("\\%c", ch);
    } else {
      putchar(ch);
    }
  }
  putchar('"');
}

static void fmt_time(uint64_t ns, char *buf, size_t cap) {
  time_t t = (time_t)(ns / 1000000000ull);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The exit status for an error the router or the node answered:
 * not found (router not connected, no such file) and refused (a file it
 * does not serve, remote login disabled) are negative answers. */
static int exit_for(int err) {
  switch (err) {
  case CONDUCTOR_ERR_NOT_FOUND:
  case CONDUCTOR_ERR_DENIED:
  case CONDUCTOR_ERR_AUTH_DENIED:
    return SVR_EXIT_NEGATIVE;
  default:
    return SVR_EXIT_SYSTEM;
  }
}

/* ---- logs -------------------------------------------------------------- */

/* The listing, in the suite's table style (svr_table.h), printed once the
 * router's LOG_END came: a refusal prints no table, only why. */
static int logs_list(aconn *a, const aopts *o) {
  static const char *const head[3] = {"Name", "Size", "Modified (UTC)"};
  conductor_admin m, r;
  uint8_t frame[CONDUCTOR_MAX_FRAME_LEN];
  int got, n = 0, rc;
  uint64_t deadline = now_ms() + (uint64_t)o->timeout_s * 1000u;
  svr_table tab;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_LOG_LIST;
  m.stream = 1;
  snprintf(m.router, sizeof m.router, "%s", o->router);
  if (o->node) {
    snprintf(m.node, sizeof m.node, "%s", o->node);
  }
  if (aconn_send(a, &m) != 0) {
    fprintf(stderr, "svr-conductor: %s\n", conductor_client_errmsg(a->cl));
    return SVR_EXIT_SYSTEM;
  }
  svr_table_init(&tab, 3, head);
  tab.right = 1u << 1; /* Size */
  if (o->json) {
    printf("[");
  }
  for (;;) {
    if (now_ms() > deadline) {
      fprintf(stderr, "svr-conductor: no answer from router %s within %u s\n",
              o->router, o->timeout_s);
      rc = SVR_EXIT_INCONCLUSIVE;
      break;
    }
    if (aconn_wait(a, &r, frame, &got, NULL, 0, 200) != 0) {
      rc = SVR_EXIT_SYSTEM; /* connection lost */
      break;
    }
    if (!got || r.stream != 1) {
      continue;
    }
    if (r.type == CONDUCTOR_MSG_LOG_FILE) {
      char t[32], nm[4 * CONDUCTOR_ADMIN_NAME_MAX], sz[24];
      fmt_time(r.mtime_ns, t, sizeof t);
      if (o->json) {
        printf("%s\n  {\"name\": ", n ? "," : "");
        print_json_str(r.name);
        printf(", \"size\": %llu, \"mtime\": \"%s\", \"mtime_ns\": %llu}",
               (unsigned long long)r.size, t,
               (unsigned long long)r.mtime_ns);
      } else {
        const char *row[3] = {nm, sz, t};
        cglue_escape(nm, sizeof nm, r.name);
        snprintf(sz, sizeof sz, "%llu", (unsigned long long)r.size);
        svr_table_add(&tab, row);
      }
      n++;
    } else if (r.type == CONDUCTOR_MSG_LOG_END) {
      if (o->json) {
        printf("%s]\n", n ? "\n" : "");
      }
      if (r.error_code) {
        char t[2 * CONDUCTOR_TEXT_MAX];
        cglue_escape(t, sizeof t, r.text);
        fprintf(stderr, "svr-conductor: router %s: %s\n", o->router, t);
        rc = exit_for(-(int)r.error_code);
      } else if (!o->json && svr_table_print(&tab, stdout) != 0) {
        fprintf(stderr, "svr-conductor: out of memory\n");
        rc = SVR_EXIT_SYSTEM;
      } else {
        rc = SVR_EXIT_OK;
      }
      break;
    }
  }
  svr_table_free(&tab);
  return rc;
}

/* SHA-256 of the whole file |fd|. */
static int sha256_fd(int fd, uint8_t out[32]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  uint8_t buf[65536];
  unsigned olen = 0;
  off_t off = 0;
  ssize_t n;
  int rv = -1;
  if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
    while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
      EVP_DigestUpdate(ctx, buf, (size_t)n);
      off += n;
    }
    if (n == 0 && EVP_DigestFinal_ex(ctx, out, &olen) == 1) {
      rv = 0;
    }
  }
  EVP_MD_CTX_free(ctx);
  return rv;
}

static void hex(const uint8_t *p, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) {
    sprintf(out + 2 * i, "%02x", p[i]);
  }
}

static int logs_get(const aopts *o) {
  char out[1024], part[1100];
  struct stat st;
  int fd, got, rc = SVR_EXIT_SYSTEM, connected = 0, tty = isatty(2);
  uint64_t offset, size = UINT64_MAX, received = 0, deadline;
  unsigned requests = 0, resumes = 0, stream = 0;
  uint8_t frame[CONDUCTOR_MAX_FRAME_LEN], want[32], have[32];
  int have_want = 0;
  aconn a;
  if (o->out) {
    snprintf(out, sizeof out, "%s", o->out);
  } else {
    const char *b = strrchr(o->get, '/');
    snprintf(out, sizeof out, "%s", b ? b + 1 : o->get);
    if (out[0] == '\0' || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
      die_usage("--get %s: give -o FILE", o->get);
    }
  }
  snprintf(part, sizeof part, "%s.part", out);
  fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || fstat(fd, &st) != 0) {
    int e = errno;
    fprintf(stderr, "svr-conductor: %s: %s\n", part, strerror(e));
    return file_exit(e);
  }
  offset = (uint64_t)st.st_size;
  if (offset > 0) {
    fprintf(stderr, "svr-conductor: %s holds %llu bytes: resuming there\n",
            part, (unsigned long long)offset);
  }
  deadline = now_ms() + (uint64_t)o->timeout_s * 1000u;
  memset(&a, 0, sizeof a);
  for (;;) {
    conductor_admin m, r;
    int done = 0, lost = 0;
    if (now_ms() > deadline) {
      fprintf(stderr, "svr-conductor: gave up after %u s at byte %llu (%s "
              "kept: run again to resume)\n", o->timeout_s,
              (unsigned long long)offset, part);
      rc = SVR_EXIT_INCONCLUSIVE;
      break;
    }
    if (!connected) {
      int e = aconn_open(&a, o, deadline);
      if (e != 0) {
        rc = e;
        break;
      }
      connected = 1;
    }
    memset(&m, 0, sizeof m);
    m.type = CONDUCTOR_MSG_LOG_GET;
    m.stream = ++stream;
    snprintf(m.router, sizeof m.router, "%s", o->router);
    if (o->node) {
      snprintf(m.node, sizeof m.node, "%s", o->node);
    }
    snprintf(m.name, sizeof m.name, "%s", o->get);
    m.offset = offset;
    m.length = RANGE;
    if (size != UINT64_MAX && size - offset <= RANGE) {
      m.length = size > offset ? size - offset : 1;
      m.has_size = 1; /* last range: ask for the hash */
      m.size = size;
    }
    if (aconn_send(&a, &m) != 0) {
      lost = 1;
    }
    requests++;
    while (!lost && !done) {
      if (aconn_wait(&a, &r, frame, &got, NULL, 0, 200) != 0) {
        lost = 1;
        break;
      }
      if (now_ms() > deadline) {
        break;
      }
      if (!got || r.stream != m.stream) {
        continue;
      }
      if (r.type == CONDUCTOR_MSG_LOG_DATA) {
        if (r.offset != offset ||
            pwrite(fd, r.data, r.datalen, (off_t)offset) !=
                (ssize_t)r.datalen) {
          fprintf(stderr, "svr-conductor: %s\n",
                  r.offset != offset ? "chunk out of order" : strerror(errno));
          close(fd);
          aconn_close(&a);
          return SVR_EXIT_SYSTEM;
        }
        offset += r.datalen;
        received += r.datalen;
      } else if (r.type == CONDUCTOR_MSG_LOG_END) {
        done = 1;
      }
    }
    if (lost) {
      aconn_close(&a);
      connected = 0;
      resumes++;
      fprintf(stderr, "svr-conductor: connection to the conductor lost at "
              "byte %llu; resuming\n", (unsigned long long)offset);
      usleep(200000);
      continue;
    }
    if (!done) {
      continue; /* deadline: reported at the top */
    }
    if (r.error_code) {
      char t[2 * CONDUCTOR_TEXT_MAX];
      cglue_escape(t, sizeof t, r.text);
      if (-(int)r.error_code == CONDUCTOR_ERR_CLOSED ||
          (-(int)r.error_code == CONDUCTOR_ERR_NOT_FOUND && requests > 1)) {
        /* the router's link dropped: wait for it, ask from here */
        resumes++;
        fprintf(stderr, "svr-conductor: %s at byte %llu; resuming at offset "
                "%llu when it is back\n", t, (unsigned long long)offset,
                (unsigned long long)offset);
        usleep(200000);
        continue;
      }
      fprintf(stderr, "svr-conductor: router %s: %s\n", o->router, t);
      rc = exit_for(-(int)r.error_code);
      break;
    }
    if (size == UINT64_MAX) {
      size = r.size; /* the file as it was at the first answer */
    }
    if (tty) {
      fprintf(stderr, "\r%s: %llu / %llu bytes (%llu %%)", o->get,
              (unsigned long long)offset, (unsigned long long)size,
              (unsigned long long)(size ? offset * 100 / size : 100));
    }
    if (r.has_sha256) {
      memcpy(want, r.sha256, 32);
      have_want = 1;
    }
    if (offset > size) {
      fprintf(stderr, "svr-conductor: %s holds more than the file's %llu "
              "bytes: remove it\n", part, (unsigned long long)size);
      rc = SVR_EXIT_NEGATIVE; /* nothing downloaded */
      break;
    }
    if (offset == size && have_want) {
      char hw[65], hh[65];
      if (tty) {
        fputc('\n', stderr);
      }
      if (sha256_fd(fd, have) != 0 || memcmp(have, want, 32) != 0) {
        hex(want, 32, hw);
        hex(have, 32, hh);
        fprintf(stderr, "svr-conductor: sha256 mismatch: router %s, "
                "received %s; %s removed\n", hw, hh, part);
        unlink(part);
        rc = SVR_EXIT_NEGATIVE; /* did not verify */
        break;
      }
      if (rename(part, out) != 0) {
        int e = errno;
        fprintf(stderr, "svr-conductor: %s: %s\n", out, strerror(e));
        rc = file_exit(e);
        break;
      }
      hex(want, 32, hw);
      printf("%s: %llu bytes, sha256 %s verified; received %llu bytes in "
             "%u requests, %u resumes\n", out, (unsigned long long)size, hw,
             (unsigned long long)received, requests, resumes);
      rc = 0;
      break;
    }
  }
  close(fd);
  if (connected) {
    aconn_close(&a);
  }
  return rc;
}

int svr_conductor_logs(int argc, char **argv) {
  aopts o;
  aconn a;
  int rc;
  parse_common(argc, argv, &o, 1);
  if (o.get) {
    return logs_get(&o);
  }
  rc = aconn_open(&a, &o, now_ms() + (uint64_t)o.timeout_s * 1000u);
  if (rc != 0) {
    return rc;
  }
  rc = logs_list(&a, &o);
  aconn_close(&a);
  return rc;
}

/* ---- connect ----------------------------------------------------------- */

static volatile sig_atomic_t g_winch;
static struct termios g_saved;
static int g_raw;

static void on_winch(int sig) {
  (void)sig;
  g_winch = 1;
}

static void tty_restore(void) {
  if (g_raw) {
    tcsetattr(0, TCSAFLUSH, &g_saved);
    g_raw = 0;
  }
}

static void get_size(uint16_t *rows, uint16_t *cols) {
  struct winsize ws;
  *rows = 24;
  *cols = 80;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
    *rows = ws.ws_row;
    *cols = ws.ws_col;
  }
}

int svr_conductor_connect(int argc, char **argv) {
  aopts o;
  aconn a;
  conductor_admin m, r;
  uint8_t frame[CONDUCTOR_MAX_FRAME_LEN];
  int rc, got, in_open = 1, in_tty = isatty(0);
  uint64_t unacked = 0;
  struct sigaction sa;
  parse_common(argc, argv, &o, 0);
  rc = aconn_open(&a, &o, now_ms() + (uint64_t)o.timeout_s * 1000u);
  if (rc != 0) {
    return rc;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, NULL);
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_SHELL_OPEN;
  m.stream = 1;
  snprintf(m.router, sizeof m.router, "%s", o.router);
  if (o.node) {
    snprintf(m.node, sizeof m.node, "%s", o.node);
  }
  snprintf(m.user, sizeof m.user, "%s", "admin"); /* the node names us */
  get_size(&m.rows, &m.cols);
  {
    const char *t = getenv("TERM");
    if (t && t[0] && strlen(t) < sizeof m.term) {
      snprintf(m.term, sizeof m.term, "%s", t);
    }
  }
  if (aconn_send(&a, &m) != 0) {
    fprintf(stderr, "svr-conductor: %s\n", conductor_client_errmsg(a.cl));
    aconn_close(&a);
    return SVR_EXIT_SYSTEM;
  }
  if (in_tty && tcgetattr(0, &g_saved) == 0) {
    struct termios raw = g_saved;
    cfmakeraw(&raw);
    if (tcsetattr(0, TCSANOW, &raw) == 0) { /* keep typed-ahead input */
      g_raw = 1;
      atexit(tty_restore);
    }
  }
  for (;;) {
    struct pollfd in;
    in.fd = in_open ? 0 : -1;
    in.events = POLLIN;
    in.revents = 0;
    if (g_winch) {
      conductor_admin w;
      g_winch = 0;
      memset(&w, 0, sizeof w);
      w.type = CONDUCTOR_MSG_SHELL_RESIZE;
      w.stream = 1;
      get_size(&w.rows, &w.cols);
      aconn_send(&a, &w);
    }
    if (aconn_wait(&a, &r, frame, &got, &in, 1, 1000) != 0) {
      tty_restore();
      fprintf(stderr, "svr-conductor: connection to the conductor lost\n");
      aconn_close(&a);
      return SVR_EXIT_SYSTEM; /* connection lost */
    }
    if (in.revents) {
      uint8_t buf[CONDUCTOR_ADMIN_DATA_MAX];
      ssize_t n = read(0, buf, sizeof buf);
      conductor_admin d;
      memset(&d, 0, sizeof d);
      d.type = CONDUCTOR_MSG_SHELL_DATA;
      d.stream = 1;
      d.data = buf;
      if (n > 0) {
        d.datalen = (size_t)n;
        aconn_send(&a, &d);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        in_open = 0;
        if (!in_tty) {
          buf[0] = 0x04; /* end of input: the remote terminal's EOF */
          d.datalen = 1;
          aconn_send(&a, &d);
        }
      }
    }
    if (!got || r.stream != 1) {
      continue;
    }
    if (r.type == CONDUCTOR_MSG_SHELL_DATA) {
      size_t off = 0;
      while (off < r.datalen) {
        ssize_t w = write(1, r.data + off, r.datalen - off);
        if (w <= 0 && errno != EINTR) {
          break;
        }
        if (w > 0) {
          off += (size_t)w;
        }
      }
      unacked += r.datalen;
      if (unacked >= 8192) {
        conductor_admin k;
        memset(&k, 0, sizeof k);
        k.type = CONDUCTOR_MSG_SHELL_ACK;
        k.stream = 1;
        k.length = unacked;
        unacked = 0;
        aconn_send(&a, &k);
      }
    } else if (r.type == CONDUCTOR_MSG_SHELL_EXIT) {
      tty_restore();
      aconn_close(&a);
      if (r.error_code) {
        char t[2 * CONDUCTOR_TEXT_MAX];
        cglue_escape(t, sizeof t, r.text);
        fprintf(stderr, "svr-conductor: connect to router %s refused: %s\n",
                o.router, t);
        return exit_for(-(int)r.error_code);
      }
      return r.has_exit_status ? (int)(r.exit_status & 0xff) : 1;
    }
    if (unacked > 0) {
      conductor_admin k;
      memset(&k, 0, sizeof k);
      k.type = CONDUCTOR_MSG_SHELL_ACK;
      k.stream = 1;
      k.length = unacked;
      unacked = 0;
      aconn_send(&a, &k);
    }
  }
}
