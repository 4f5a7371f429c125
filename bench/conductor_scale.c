/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conductor_scale: one conductor node (a child process: svr-conductor's
 * glue, SQLite WAL, synchronous=EXTRA) and N simulated router nodes (this
 * process: N rtr objects, each its own libssh client, SSH keepalives
 * (keepalive@openssh.com) every --keepalive s on both sides) on loopback.  After every router is connected it
 * measures, over --duration seconds with --alarm-rate alarms per second
 * spread over random routers: the conductor process's CPU % of one core
 * and RSS, and the receive -> COMMIT latency of alarms.  Prints key=value
 * lines.  The goal ratios compare with the target (10,000 routers on < 25 %
 * of one core, < 2 GiB) only from a run of 10,000 or more routers that all
 * stayed connected: nothing is extrapolated from a smaller run, and a run
 * the machine's limits stop (file descriptors) prints the limit and no
 * figure.  Per-router figures divide by the routers Up at the end.
 *
 *   conductor_scale [--routers N] [--alarm-rate R] [--duration S]
 *                   [--keepalive S] [--connect-rate C]     (N default 10000)
 *                   [--fleet-rekey] [--connect-timeout S (600)]
 *       --fleet-rekey: each simulated router is a router of its own (r0,
 *       r1, ..., own key), the security elements pair r0-r1, r2-r3, ...;
 *       after the steady window, one rekey of the whole fleet is asked for
 *       as `svr-conductor rekey` does (a rekey_requests row) and timed
 *       until every router took ADD and ACTIVATE of the new key (and
 *       REMOVE of the old, from the second rekey of an element on), with
 *       the conductor's CPU over that time.
 *   conductor_scale --peer-sshd N [--duration S] [--keepalive S]
 *       the peer comparison: N raw clients against our conductor node and
 *       against OpenSSH sshd in the same run (see run_peer()).
 *
 * Exit status: 0 measured, 1 failed (no ratio), 2 usage, 77 skipped (the peer run
 * without root or sshd, or a machine limit below what the run needs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "conductor_glue.h"

static unsigned n_routers = 10000;
#define GOAL_ROUTERS 10000u /* the target is stated for this many */
static double alarm_rate = 100;
static unsigned duration_s = 30;
static unsigned ka_s = 5;
static unsigned connect_rate = 500; /* new routers per second */
static unsigned peer_n = 0;         /* --peer-sshd N: compare with sshd */
static int fleet = 0;               /* --fleet-rekey */
static unsigned connect_timeout_s = 600; /* --connect-timeout S */
static char db_path[300];

static char tmpdir[] = "/tmp/conductor_scale.XXXXXX";

/* ---- child: the conductor node ----------------------------------------- */

static cnd *child_cnd;
static int child_pipe;
static uv_signal_t child_sig;

static void child_on_signal(uv_signal_t *h, int signum) {
  cnd_stats st;
  ssize_t w;
  (void)signum;
  cnd_get_stats(child_cnd, &st);
  w = write(child_pipe, &st, sizeof st);
  (void)w;
  cnd_stop(child_cnd);
  uv_close((uv_handle_t *)h, NULL);
}

static void child_log(int level, const char *text, void *ud) {
  (void)ud;
  if (level == 0 || (level == 1 && getenv("BENCH_DEBUG"))) {
    fprintf(stderr, "conductor: %s\n", text);
  }
}

static int run_child(int wfd, const char *db, const char *hk) {
  uv_loop_t loop;
  cnd_opts o;
  char err[512];
  uint16_t port;
  ssize_t w;
  memset(&o, 0, sizeof o);
  o.db_path = db;
  o.host_key = hk;
  o.listen_addr = "127.0.0.1";
  o.port = 0;
  o.node_name = "cnd1";
  o.ka_interval_s = ka_s;
  o.log = child_log;
  /* Every simulated router connects from 127.0.0.1, where a fleet has one
   * address per router: the per-address limit on unauthenticated
   * connections (16 by default, against one host opening many) would
   * make this one address wait its turn, so it gets the total limit. */
  o.max_unauth = 256;
  o.max_unauth_per_addr = 256;
  uv_loop_init(&loop);
  if (cnd_new(&child_cnd, &loop, &o, err, sizeof err) != 0) {
    fprintf(stderr, "conductor: %s\n", err);
    return 1;
  }
  port = cnd_port(child_cnd);
  child_pipe = wfd;
  w = write(wfd, &port, sizeof port);
  (void)w;
  uv_signal_init(&loop, &child_sig);
  uv_signal_start(&child_sig, child_on_signal, SIGTERM);
  uv_run(&loop, UV_RUN_DEFAULT);
  cnd_del(child_cnd);
  return 0;
}

/* ---- parent: the routers -------------------------------------------------- */

static uv_loop_t loop;
static rtr **routers;
static unsigned n_started;
static char conductor_addr[64];
static char key_path[256], kh_path[256];
static uv_timer_t start_timer, alarm_timer, phase_timer;
static uint64_t rnd_state = 0x12345678;
static uint64_t alarms_sent;
static uint64_t t_connected;
static pid_t child;
static pid_t sshd_pid;

/* Whatever way the parent ends, the conductor child and sshd go too. */
static void kill_children(void) {
  if (child > 0) {
    kill(child, SIGKILL);
  }
  if (sshd_pid > 0) {
    kill(sshd_pid, SIGKILL);
  }
}

static long proc_ticks(pid_t pid);
static long proc_ticks_all(pid_t pid);

static uint64_t rnd(void) {
  uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void quiet(int level, const char *text, void *ud) {
  (void)ud;
  if (level == 0 || (level == 1 && getenv("BENCH_DEBUG"))) {
    fprintf(stderr, "router: %s\n", text);
  }
}

/* ---- --fleet-rekey: the routers' side of a rekey ------------------------- */

static uint32_t *key_done; /* per router: highest index activated */
static uint32_t rekey_target;
static unsigned n_rekeyed;
static uint64_t t_rekey0, t_rekey_done;
static uint64_t key_msgs;

static void on_key(int idx, const conductor_msg *key, conductor_msg *ack,
                   void *ud) {
  unsigned i = (unsigned)(uintptr_t)ud;
  (void)idx;
  (void)ack; /* taken: error_code 0 */
  key_msgs++;
  if (key->key_op == CONDUCTOR_KEY_ACTIVATE && key->key_index > key_done[i]) {
    key_done[i] = key->key_index;
    if (rekey_target && key->key_index >= rekey_target) {
      n_rekeyed++;
      if (n_rekeyed == n_routers) {
        t_rekey_done = uv_hrtime();
      }
    }
  }
}

/* What `svr-conductor rekey` does: a request row the daemon takes within
 * a second (it watches data_version). */
static int request_rekey(void) {
  sqlite3 *db;
  int rc;
  if (sqlite3_open(db_path, &db) != SQLITE_OK) {
    return -1;
  }
  sqlite3_busy_timeout(db, 10000);
  rc = sqlite3_exec(db,
                    "INSERT INTO rekey_requests(router, requested_ns) "
                    "VALUES(NULL, 0)",
                    NULL, NULL, NULL);
  sqlite3_close(db);
  return rc == SQLITE_OK ? 0 : -1;
}

/* N router keys and enrolments, N/2 security elements, one transaction. */
static int make_fleet(void) {
  conductor_store *st = NULL;
  sqlite3 *db;
  sqlite3_stmt *el = NULL;
  char dir[320], path[340], pub[350], type[64], b64[1024], fp[128],
      name[32], name2[32];
  unsigned i;
  int rv = 0;
  snprintf(dir, sizeof dir, "%s/keys", tmpdir);
  if (mkdir(dir, 0700) != 0 || conductor_store_open(&st, db_path, 0) != 0) {
    return -1;
  }
  db = conductor_store_db(st);
  sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (sqlite3_prepare_v2(db,
                         "INSERT OR IGNORE INTO security_elements(router_a, "
                         "router_b, created_ns) VALUES(?1,?2,0)",
                         -1, &el, NULL) != SQLITE_OK) {
    rv = -1;
  }
  for (i = 0; i < n_routers && rv == 0; i++) {
    snprintf(path, sizeof path, "%s/r%u", dir, i);
    snprintf(pub, sizeof pub, "%s.pub", path);
    snprintf(name, sizeof name, "r%u", i);
    if (conductor_key_generate(path) != 0 ||
        conductor_key_read_public(pub, type, sizeof type, b64, sizeof b64, fp,
                                  sizeof fp) != 0 ||
        conductor_store_enroll(st, name, type, b64, fp) != 0) {
      rv = -1;
      break;
    }
    if (i % 2 == 1) {
      /* router_a < router_b as text */
      snprintf(name2, sizeof name2, "r%u", i - 1);
      sqlite3_reset(el);
      if (strcmp(name2, name) < 0) {
        sqlite3_bind_text(el, 1, name2, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(el, 2, name, -1, SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_text(el, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(el, 2, name2, -1, SQLITE_TRANSIENT);
      }
      if (sqlite3_step(el) != SQLITE_DONE) {
        rv = -1;
      }
    }
  }
  sqlite3_finalize(el);
  if (sqlite3_exec(db, rv == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) !=
      SQLITE_OK) {
    rv = -1;
  }
  conductor_store_close(st);
  return rv;
}

static void on_start(uv_timer_t *h) {
  unsigned k, batch = connect_rate / 10 ? connect_rate / 10 : 1;
  for (k = 0; k < batch && n_started < n_routers; k++) {
    rtr_opts o;
    char node[32], err[256];
    memset(&o, 0, sizeof o);
    char rname[32], rkey[300];
    snprintf(node, sizeof node, "node%u", n_started);
    o.router = "bench";
    o.node = node;
    o.key_path = key_path;
    if (fleet) {
      snprintf(rname, sizeof rname, "r%u", n_started);
      snprintf(rkey, sizeof rkey, "%s/keys/r%u", tmpdir, n_started);
      o.router = rname;
      o.node = "n1";
      o.key_path = strdup(rkey); /* read at every connect: kept for good */
      o.on_key = on_key;
      o.key_data = (void *)(uintptr_t)n_started;
    }
    o.known_hosts = kh_path;
    o.tofu = 0;
    o.conductors[0] = conductor_addr;
    o.n_conductors = 1;
    o.ka_interval_s = ka_s;
    o.backoff_base_ns = 200 * CONDUCTOR_MILLISECONDS;
    o.backoff_cap_ns = 5 * CONDUCTOR_SECONDS;
    o.log = quiet;
    if (rtr_new(&routers[n_started], &loop, &o, err, sizeof err) != 0) {
      fprintf(stderr, "rtr_new: %s\n", err);
      exit(1);
    }
    n_started++;
  }
  if (n_started == n_routers) {
    uv_timer_stop(h);
  }
}

static void on_alarm(uv_timer_t *h) {
  /* 10 ms ticks: rate/100 alarms per tick, fractional part carried */
  static double carry;
  double want = alarm_rate / 100.0 + carry;
  unsigned k, n = (unsigned)want;
  (void)h;
  carry = want - n;
  for (k = 0; k < n; k++) {
    rtr *r = routers[rnd() % n_routers];
    char msg[64];
    snprintf(msg, sizeof msg, "Peer bench-%llu path is down",
             (unsigned long long)alarms_sent);
    if (rtr_raise(r, CONDUCTOR_SEV_MAJOR, "bench", "peer", msg, NULL) == 0) {
      alarms_sent++;
    }
  }
}

static long proc_ticks(pid_t pid) {
  char path[64], buf[1024], *p;
  unsigned long ut = 0, st = 0;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  f = fopen(path, "r");
  if (f == NULL) {
    return -1;
  }
  if (fgets(buf, sizeof buf, f) == NULL) {
    fclose(f);
    return -1;
  }
  fclose(f);
  p = strrchr(buf, ')');
  if (p == NULL ||
      sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
             &st) != 2) {
    return -1;
  }
  return (long)(ut + st);
}

/* utime + stime + cutime + cstime: children that exited and were reaped
 * (sshd's pre-authentication processes) stay counted in their parent, so
 * a sum over a process tree only grows. */
static long proc_ticks_all(pid_t pid) {
  char path[64], buf[1024], *p;
  unsigned long ut = 0, st = 0;
  long cut = 0, cst = 0;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  f = fopen(path, "r");
  if (f == NULL) {
    return -1;
  }
  if (fgets(buf, sizeof buf, f) == NULL) {
    fclose(f);
    return -1;
  }
  fclose(f);
  p = strrchr(buf, ')');
  if (p == NULL ||
      sscanf(p + 2,
             "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld",
             &ut, &st, &cut, &cst) != 4) {
    return -1;
  }
  return (long)(ut + st) + cut + cst;
}

static long proc_rss_kib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  f = fopen(path, "r");
  if (f == NULL) {
    return -1;
  }
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
      break;
    }
  }
  fclose(f);
  return kib;
}


/* ---- peer comparison: the same raw clients against OpenSSH sshd ---------- */

/*
 * --peer-sshd N: N raw SSH clients (conductor_client: same libssh client,
 * same key, subsystem "svr-conductor", HELLO then a KEEPALIVE frame every
 * --keepalive s) against (a) our conductor node and (b) OpenSSH's sshd
 * started here with "Subsystem svr-conductor /bin/cat" (an echo: it answers
 * every frame with the same frame, so both servers see the same traffic).
 * Server-side CPU and PSS (proportional set size, so that pages the sshd
 * processes share are not counted N times) are summed over the server's
 * process tree.
 */
typedef struct rawc {
  conductor_client *cl;
  uv_poll_t *poll;
  int events;
  int hello_sent;
  uint64_t next_ka;
  uint64_t ka_seq;
  uint64_t answered_seq; /* highest KEEPALIVE seq answered (ack or echo) */
  uint64_t window_seq;   /* ka_seq when the measurement window opened */
  int failed;
} rawc;

static rawc *raws;
static unsigned n_raw, n_raw_started;
static char raw_host_port[64];
static uint16_t raw_port;
static const char *raw_user;
static uv_timer_t raw_timer;
static unsigned raw_failed;

static void raw_poll_cb(uv_poll_t *h, int status, int events);

static void raw_update(rawc *r) {
  int ev, uvev = 0, fd;
  fd = conductor_client_fd(r->cl);
  if (fd < 0) {
    return;
  }
  if (r->poll == NULL) {
    r->poll = malloc(sizeof *r->poll);
    uv_poll_init(&loop, r->poll, fd);
    r->poll->data = r;
  }
  ev = conductor_client_events(r->cl);
  uvev = (ev & CONDUCTOR_POLL_IN ? UV_READABLE : 0) |
         (ev & CONDUCTOR_POLL_OUT ? UV_WRITABLE : 0);
  if (uvev != r->events) {
    r->events = uvev;
    uv_poll_start(r->poll, uvev, raw_poll_cb);
  }
}

static void raw_send(rawc *r, const conductor_msg *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n = conductor_msg_encode(buf, sizeof buf, m);
  if (n > 0) {
    conductor_client_send(r->cl, buf, (size_t)n);
  }
}

static void raw_step(rawc *r) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  if (r->failed) {
    return;
  }
  if (conductor_client_process(r->cl) < 0) {
    /* counted and reported (raw_failed), not fatal: sshd may drop a
     * session under load and the comparison is still worth printing */
    fprintf(stderr, "raw client: %s\n", conductor_client_errmsg(r->cl));
    r->failed = 1;
    raw_failed++;
    if (r->poll) {
      uv_poll_stop(r->poll);
    }
    return;
  }
  if (conductor_client_get_state(r->cl) == CONDUCTOR_CLIENT_READY &&
      !r->hello_sent) {
    conductor_msg m;
    memset(&m, 0, sizeof m);
    m.type = CONDUCTOR_MSG_HELLO;
    m.version_min = m.version_max = 1;
    snprintf(m.router, sizeof m.router, "bench");
    snprintf(m.node, sizeof m.node, "raw%u", (unsigned)(r - raws));
    raw_send(r, &m);
    r->hello_sent = 1;
    r->next_ka = uv_hrtime() + (uint64_t)(rnd() % (ka_s * 1000ull)) * 1000000ull;
  }
  for (;;) {
    conductor_msg m;
    conductor_ssize n = conductor_client_read_frame(r->cl, buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    /* the conductor answers KEEPALIVE_ACK, sshd's /bin/cat echoes the
     * KEEPALIVE: either way the same seq comes back */
    if (conductor_msg_decode(&m, buf, (size_t)n) == 0 &&
        (m.type == CONDUCTOR_MSG_KEEPALIVE ||
         m.type == CONDUCTOR_MSG_KEEPALIVE_ACK) &&
        m.seq > r->answered_seq && m.seq <= r->ka_seq) {
      r->answered_seq = m.seq;
    }
  }
  raw_update(r);
}

static void raw_poll_cb(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  raw_step(h->data);
}

static void raw_tick(uv_timer_t *h) {
  uint64_t now = uv_hrtime();
  unsigned i, k;
  (void)h;
  for (k = 0; k < 20 && n_raw_started < n_raw; k++) {
    rawc *r = &raws[n_raw_started++];
    if (conductor_client_new(&r->cl, "127.0.0.1", raw_port, raw_user,
                             key_path, kh_path, 0) != 0) {
      fprintf(stderr, "raw client: %s\n", conductor_client_errmsg(r->cl));
      exit(1);
    }
    raw_step(r);
  }
  for (i = 0; i < n_raw_started; i++) {
    rawc *r = &raws[i];
    if (r->failed) {
      continue;
    }
    if (conductor_client_get_state(r->cl) != CONDUCTOR_CLIENT_READY) {
      raw_step(r); /* handshake safety net */
    } else if (r->hello_sent && now >= r->next_ka) {
      conductor_msg m;
      memset(&m, 0, sizeof m);
      m.type = CONDUCTOR_MSG_KEEPALIVE;
      m.seq = ++r->ka_seq;
      m.time_ns = now;
      raw_send(r, &m);
      r->next_ka = now + ka_s * 1000000000ull;
      raw_step(r);
    }
  }
}

/* Clients settled: HELLO sent, or failed. */
static unsigned raw_settled(void) {
  unsigned i, n = 0;
  for (i = 0; i < n_raw_started; i++) {
    n += raws[i].hello_sent || raws[i].failed ? 1u : 0u;
  }
  return n;
}

/* Clients that completed the window: no failure, and every KEEPALIVE sent
 * in the window answered except at most the one still in flight (and at
 * least one answered). */
static unsigned raw_completed(void) {
  unsigned i, n = 0;
  for (i = 0; i < n_raw; i++) {
    const rawc *r = &raws[i];
    n += !r->failed && r->hello_sent && r->answered_seq > r->window_seq &&
                 r->answered_seq + 1 >= r->ka_seq
             ? 1u
             : 0u;
  }
  return n;
}

/* CPU ticks and PSS (KiB) summed over |root| and all its descendants. */
static void tree_usage(pid_t root, long *ticks, long *pss_kib, int *nproc) {
  static pid_t pids[65536], ppids[65536];
  int n = 0, i, changed;
  static char in[65536];
  DIR *d = opendir("/proc");
  struct dirent *e;
  *ticks = 0;
  *pss_kib = 0;
  *nproc = 0;
  while (d && (e = readdir(d)) != NULL && n < 65536) {
    char path[300], buf[1024], *p;
    FILE *f;
    int pp = 0;
    if (e->d_name[0] < '0' || e->d_name[0] > '9') {
      continue;
    }
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    f = fopen(path, "r");
    if (!f) {
      continue;
    }
    if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) &&
        sscanf(p + 2, "%*c %d", &pp) == 1) {
      pids[n] = (pid_t)atoi(e->d_name);
      ppids[n] = (pid_t)pp;
      n++;
    }
    fclose(f);
  }
  if (d) {
    closedir(d);
  }
  memset(in, 0, (size_t)n);
  for (i = 0; i < n; i++) {
    in[i] = pids[i] == root;
  }
  do {
    changed = 0;
    for (i = 0; i < n; i++) {
      int j;
      if (in[i]) {
        continue;
      }
      for (j = 0; j < n; j++) {
        if (in[j] && pids[j] == ppids[i]) {
          in[i] = 1;
          changed = 1;
          break;
        }
      }
    }
  } while (changed);
  for (i = 0; i < n; i++) {
    char path[64], line[256];
    FILE *f;
    long t;
    if (!in[i]) {
      continue;
    }
    (*nproc)++;
    t = proc_ticks_all(pids[i]);
    if (t > 0) {
      *ticks += t;
    }
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pids[i]);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
      long kib;
      if (sscanf(line, "Pss: %ld kB", &kib) == 1) {
        *pss_kib += kib;
        break;
      }
    }
    if (f) {
      fclose(f);
    }
  }
}

/* Runs the raw clients against 127.0.0.1:port (server tree |root|) and
 * prints <prefix>_cpu_pct and <prefix>_pss_mib. */
static unsigned raw_measure(const char *prefix, uint16_t port,
                            const char *user, pid_t root, unsigned n,
                            double *cpu, double *pss) {
  long t0, t1, p0, p1;
  int np;
  uint64_t start, deadline;
  unsigned i, completed;
  raw_port = port;
  raw_user = user;
  n_raw = n;
  n_raw_started = 0;
  raws = calloc(n, sizeof *raws);
  snprintf(raw_host_port, sizeof raw_host_port, "127.0.0.1:%u", port);
  uv_timer_init(&loop, &raw_timer);
  uv_timer_start(&raw_timer, raw_tick, 0, 50);
  deadline = uv_hrtime() + 300ull * 1000000000ull;
  while (raw_settled() < n && uv_hrtime() < deadline) {
    uv_run(&loop, UV_RUN_ONCE);
  }
  if (raw_settled() < n) {
    fprintf(stderr, "%s: only %u of %u clients settled\n", prefix,
            raw_settled(), n);
    exit(1);
  }
  /* sshd: wait until every pre-authentication process is gone (a session
   * is then the privileged monitor plus the session process), so that no
   * login cost falls into the window; then settle one keepalive period */
  deadline = uv_hrtime() + 300ull * 1000000000ull;
  for (;;) {
    uint64_t next = uv_hrtime() + 500000000ull;
    tree_usage(root, &t0, &p0, &np);
    if (root == child || (unsigned)np <= 1 + 2 * n ||
        uv_hrtime() > deadline) {
      break;
    }
    while (uv_hrtime() < next) {
      uv_run(&loop, UV_RUN_ONCE);
    }
  }
  deadline = uv_hrtime() + (uint64_t)ka_s * 1000000000ull;
  while (uv_hrtime() < deadline) {
    uv_run(&loop, UV_RUN_ONCE);
  }
  for (i = 0; i < n; i++) {
    raws[i].window_seq = raws[i].ka_seq;
  }
  tree_usage(root, &t0, &p0, &np);
  if (getenv("BENCH_DEBUG")) {
    fprintf(stderr, "%s: t0 ticks=%ld procs=%d\n", prefix, t0, np);
  }
  start = uv_hrtime();
  deadline = start + (uint64_t)duration_s * 1000000000ull;
  while (uv_hrtime() < deadline) {
    uv_run(&loop, UV_RUN_ONCE);
  }
  tree_usage(root, &t1, &p1, &np);
  if (getenv("BENCH_DEBUG")) {
    fprintf(stderr, "%s: t1 ticks=%ld procs=%d\n", prefix, t1, np);
  }
  *cpu = 100.0 * (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) /
         ((double)(uv_hrtime() - start) / 1e9);
  *pss = (double)p1 / 1024.0;
  completed = raw_completed();
  printf("%s_clients=%u\n%s_clients_completed=%u\n%s_failed_clients=%u\n"
         "%s_processes=%d\n%s_cpu_pct=%.2f\n%s_pss_mib=%.1f\n",
         prefix, n, prefix, completed, prefix, raw_failed, prefix, np, prefix,
         *cpu, prefix, *pss);
  raw_failed = 0;
  fflush(stdout);
  uv_timer_stop(&raw_timer);
  for (i = 0; i < n; i++) {
    if (raws[i].poll) {
      uv_poll_stop(raws[i].poll);
      uv_close((uv_handle_t *)raws[i].poll, (uv_close_cb)free);
    }
    conductor_client_del(raws[i].cl);
  }
  uv_close((uv_handle_t *)&raw_timer, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  free(raws);
  return completed;
}

static uint16_t free_port(void) {
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  uint16_t p = 0;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &l) == 0) {
    p = ntohs(a.sin_port);
  }
  close(fd);
  return p;
}

static int wait_port(uint16_t port, unsigned ms) {
  uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000ull;
  while (uv_hrtime() < end) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    if (ok) {
      return 0;
    }
    usleep(20000); /* polling a condition with a deadline */
  }
  return -1;
}

static int run_peer(unsigned n, uint16_t cport, const char *hk) {
  char cfg[300], akeys[300], pidf[300], line[2048];
  char type[64], b64[1024], fp[128], pub[300];
  double c_cpu, c_pss, s_cpu, s_pss;
  unsigned c_done, s_done;
  int rv = 0;
  uint16_t sport = free_port();
  pid_t sshd;
  FILE *f;
  if (access("/usr/sbin/sshd", X_OK) != 0 || geteuid() != 0) {
    printf("peer_sshd=skipped (needs root and /usr/sbin/sshd)\n");
    return 77;
  }
  snprintf(pub, sizeof pub, "%s.pub", key_path);
  conductor_key_read_public(pub, type, sizeof type, b64, sizeof b64, fp,
                            sizeof fp);
  snprintf(akeys, sizeof akeys, "%s/authorized_keys", tmpdir);
  f = fopen(akeys, "w");
  fprintf(f, "%s %s\n", type, b64);
  fclose(f);
  snprintf(cfg, sizeof cfg, "%s/sshd_config", tmpdir);
  snprintf(pidf, sizeof pidf, "%s/sshd.pid", tmpdir);
  f = fopen(cfg, "w");
  fprintf(f,
          "Port %u\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\n"
          "AuthorizedKeysFile %s\nPermitRootLogin prohibit-password\n"
          "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
          "UsePAM no\nStrictModes no\nMaxStartups 10000\nLogLevel %s\n"
          "Subsystem svr-conductor /bin/cat\n",
          (unsigned)sport, hk, pidf, akeys,
          getenv("BENCH_DEBUG") ? "VERBOSE" : "QUIET");
  fclose(f);
  mkdir("/run/sshd", 0755);
  sshd = sshd_pid = fork();
  if (sshd == 0) {
    execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", cfg, (char *)NULL);
    _exit(127);
  }
  if (wait_port(sport, 10000) != 0) {
    fprintf(stderr, "sshd did not start\n");
    kill(sshd, SIGKILL);
    return 1;
  }
  /* both servers present the same host key */
  f = fopen(kh_path, "a");
  conductor_key_read_public(hk, type, sizeof type, b64, sizeof b64, fp,
                            sizeof fp);
  fprintf(f, "[127.0.0.1]:%u %s %s\n", (unsigned)sport, type, b64);
  fclose(f);
  (void)line;
  c_done = raw_measure("peer_conductor", cport, "bench", child, n, &c_cpu,
                       &c_pss);
  s_done = raw_measure("peer_sshd", sport, "root", sshd, n, &s_cpu, &s_pss);
  /* a ratio only when both servers carried all N clients to the end */
  if (c_done == n && s_done == n && s_cpu > 0 && s_pss > 0) {
    printf("ratio_cpu_conductor_vs_sshd=%.3f\n"
           "ratio_pss_conductor_vs_sshd=%.3f\n",
           c_cpu / s_cpu, c_pss / s_pss);
  } else {
    printf("ratio=none (completed: conductor %u, sshd %u of %u; sshd CPU "
           "%.2f %%)\n",
           c_done, s_done, n, s_cpu);
    rv = 1;
  }
  fflush(stdout);
  kill(sshd, SIGTERM);
  waitpid(sshd, NULL, 0);
  sshd_pid = 0;
  return rv;
}

static int phase;
static long c_ticks0, p_ticks0;
static uint64_t t_measure0, sent0;
static uint64_t t_begin;
static int connect_failed;

static void on_phase(uv_timer_t *h) {
  unsigned i, up = 0;
  uint64_t now = uv_hrtime();
  (void)h;
  for (i = 0; i < n_started; i++) {
    up += (unsigned)rtr_links_up(routers[i]);
  }
  if (phase == 0) {
    if (getenv("BENCH_DEBUG")) {
      DIR *fdd = opendir("/proc/self/fd");
      unsigned nfd = 0;
      while (fdd && readdir(fdd)) {
        nfd++;
      }
      if (fdd) {
        closedir(fdd);
      }
      fprintf(stderr, "t=%.1f started=%u up=%u fds=%u\n",
              (double)(now - t_begin) / 1e9, n_started, up, nfd);
    }
    if (up == n_routers) {
      t_connected = now;
      printf("routers=%u\nconnect_s=%.2f\n", n_routers,
             (double)(now - t_begin) / 1e9);
      /* handshake CPU (both sides run on one shared machine: connect_s is
       * wall time and depends on the load; these do not) */
      printf("connect_cpu_ms_per_router_conductor=%.3f\n"
             "connect_cpu_ms_per_router_routers=%.3f\n",
             1000.0 * (double)proc_ticks(child) /
                 (double)sysconf(_SC_CLK_TCK) / n_routers,
             1000.0 * (double)proc_ticks(getpid()) /
                 (double)sysconf(_SC_CLK_TCK) / n_routers);
      fflush(stdout);
      phase = 1;
      /* settle one keepalive period, then measure */
      uv_timer_start(&phase_timer, on_phase, ka_s * 1000u, 0);
    } else if (now - t_begin > connect_timeout_s * 1000000000ull) {
      fprintf(stderr, "only %u of %u routers connected after %u s\n", up,
              n_routers, connect_timeout_s);
      printf("routers=%u\nconnected=%u\n", n_routers, up);
      connect_failed = 1; /* no figure; the conductor's counters say why */
      uv_stop(&loop);
    }
    return;
  }
  if (phase == 1) {
    c_ticks0 = proc_ticks(child);
    p_ticks0 = proc_ticks(getpid());
    t_measure0 = now;
    sent0 = alarms_sent;
    uv_timer_start(&alarm_timer, on_alarm, 10, 10);
    phase = 2;
    uv_timer_start(&phase_timer, on_phase, duration_s * 1000u, 0);
    return;
  }
  if (phase == 2) {
    double secs = (double)(now - t_measure0) / 1e9;
    double hz = (double)sysconf(_SC_CLK_TCK);
    long c_ticks = proc_ticks(child), p_ticks = proc_ticks(getpid());
    long c_rss = proc_rss_kib(child), p_rss = proc_rss_kib(getpid());
    double c_cpu = 100.0 * (double)(c_ticks - c_ticks0) / hz / secs;
    double p_cpu = 100.0 * (double)(p_ticks - p_ticks0) / hz / secs;
    size_t pending = 0;
    for (i = 0; i < n_routers; i++) {
      pending += rtr_pending(routers[i]);
    }
    printf("duration_s=%.1f\nkeepalive_s=%u\nrouters_up=%u\n", secs, ka_s, up);
    printf("alarm_rate_per_s=%.1f\nalarms_sent=%llu\nalarms_unacked_at_end=%zu\n",
           (double)(alarms_sent - sent0) / secs,
           (unsigned long long)(alarms_sent - sent0), pending);
    printf("conductor_cpu_pct=%.2f\nconductor_rss_mib=%.1f\n"
           "conductor_rss_per_router_kib=%.1f\n",
           c_cpu, (double)c_rss / 1024.0,
           up ? (double)c_rss / (double)up : 0.0);
    printf("routers_process_cpu_pct=%.2f\nrouters_process_rss_mib=%.1f\n",
           p_cpu, (double)p_rss / 1024.0);
    /* against the target, measured at its own size: never scaled */
    if (n_routers < GOAL_ROUTERS) {
      printf("goal=none (routers=%u; the target is for %u routers, run "
             "--routers %u)\n",
             n_routers, GOAL_ROUTERS, GOAL_ROUTERS);
    } else if (up < n_routers) {
      printf("goal=none (only %u of %u routers Up at the end)\n", up,
             n_routers);
    } else {
      printf("goal_cpu_ratio=%.3f\ngoal_rss_ratio=%.3f\n", c_cpu / 25.0,
             (double)c_rss / (2.0 * 1024 * 1024));
    }
    fflush(stdout);
    uv_timer_stop(&alarm_timer);
    if (!fleet) {
      uv_stop(&loop);
      return;
    }
    /* one rekey of the whole fleet */
    rekey_target = 1;
    for (i = 0; i < n_routers; i++) {
      if (key_done[i] + 1 > rekey_target) {
        rekey_target = key_done[i] + 1;
      }
    }
    for (i = 0, n_rekeyed = 0; i < n_routers; i++) {
      n_rekeyed += key_done[i] >= rekey_target;
    }
    c_ticks0 = proc_ticks(child);
    key_msgs = 0;
    t_rekey0 = uv_hrtime();
    if (request_rekey() != 0) {
      fprintf(stderr, "cannot store the rekey request\n");
      uv_stop(&loop);
      return;
    }
    phase = 3;
    uv_timer_start(&phase_timer, on_phase, 100, 100);
    return;
  }
  if (phase == 3) {
    double secs = (double)(now - t_rekey0) / 1e9;
    if (t_rekey_done == 0 && secs < 600) {
      return;
    }
    uv_timer_stop(&phase_timer);
    printf("rekey_routers=%u\nrekey_elements=%u\nrekey_index=%u\n",
           n_routers, n_routers / 2, (unsigned)rekey_target);
    if (t_rekey_done) {
      double rs = (double)(t_rekey_done - t_rekey0) / 1e9;
      printf("rekey_completion_s=%.2f\n", rs);
      printf("rekey_conductor_cpu_pct=%.2f\n",
             100.0 * (double)(proc_ticks(child) - c_ticks0) /
                 (double)sysconf(_SC_CLK_TCK) / rs);
    } else {
      printf("rekey_completion_s=none (%u of %u routers activated key %u "
             "within 600 s)\n",
             n_rekeyed, n_routers, (unsigned)rekey_target);
    }
    printf("rekey_key_messages_at_routers=%llu\n"
           "rekey_routers_up_at_end=%u\nconductor_rss_mib_after_rekey=%.1f\n",
           (unsigned long long)key_msgs, up,
           (double)proc_rss_kib(child) / 1024.0);
    if (n_routers >= GOAL_ROUTERS && t_rekey_done && up == n_routers) {
      printf("goal_rekey_ratio=%.3f\n",
             (double)(t_rekey_done - t_rekey0) / 1e9 / 60.0);
    } else {
      printf("goal_rekey=none (routers=%u, Up %u, %s)\n", n_routers, up,
             t_rekey_done ? "completed" : "not completed");
    }
    fflush(stdout);
    uv_stop(&loop);
  }
}

int main(int argc, char **argv) {
  int i, pfd[2];
  unsigned clients;
  char db[300], hk[300];
  uint16_t port;
  struct rlimit rl;
  cnd_stats st;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--routers") == 0 && i + 1 < argc) {
      n_routers = (unsigned)atoi(argv[++i]);
    } else if (strcmp(argv[i], "--alarm-rate") == 0 && i + 1 < argc) {
      alarm_rate = atof(argv[++i]);
    } else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
      duration_s = (unsigned)atoi(argv[++i]);
    } else if (strcmp(argv[i], "--keepalive") == 0 && i + 1 < argc) {
      ka_s = (unsigned)atoi(argv[++i]);
    } else if (strcmp(argv[i], "--peer-sshd") == 0 && i + 1 < argc) {
      peer_n = (unsigned)atoi(argv[++i]);
    } else if (strcmp(argv[i], "--connect-rate") == 0 && i + 1 < argc) {
      connect_rate = (unsigned)atoi(argv[++i]);
    } else if (strcmp(argv[i], "--fleet-rekey") == 0) {
      fleet = 1;
    } else if (strcmp(argv[i], "--connect-timeout") == 0 && i + 1 < argc) {
      connect_timeout_s = (unsigned)atoi(argv[++i]);
    } else {
      fprintf(stderr,
              "usage: conductor_scale [--routers N] [--alarm-rate R] "
              "[--duration S] [--keepalive S] [--connect-rate C] "
              "[--fleet-rekey] [--connect-timeout S] [--peer-sshd N]\n");
      return 2;
    }
  }
  if (n_routers == 0 || ka_s < 1 || ka_s > 10 || duration_s == 0) {
    fprintf(stderr, "conductor_scale: bad arguments\n");
    return 2;
  }
  clients = peer_n ? peer_n : n_routers;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < clients + 64) {
      /* the machine's limit, not a result: no figure */
      printf("clients=%u\nnot_run=limit RLIMIT_NOFILE hard=%lu need=%u\n",
             clients, (unsigned long)rl.rlim_cur, clients + 64);
      return 77;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(db, sizeof db, "%s/conductor.db", tmpdir);
  snprintf(db_path, sizeof db_path, "%s", db);
  snprintf(hk, sizeof hk, "%s/host_key", tmpdir);
  snprintf(key_path, sizeof key_path, "%s/router_key", tmpdir);
  snprintf(kh_path, sizeof kh_path, "%s/known_hosts", tmpdir);
  if (conductor_key_generate(key_path) != 0 ||
      conductor_key_generate(hk) != 0) {
    fprintf(stderr, "keygen failed\n");
    return 1;
  }
  {
    /* enrol the one router key (every simulated node is router "bench") */
    conductor_store *s = NULL;
    char type[64], b64[1024], fp[128], pub[300];
    snprintf(pub, sizeof pub, "%s.pub", key_path);
    if (conductor_key_read_public(pub, type, sizeof type, b64, sizeof b64, fp,
                                  sizeof fp) != 0 ||
        conductor_store_open(&s, db, 0) != 0 ||
        conductor_store_enroll(s, "bench", type, b64, fp) != 0) {
      fprintf(stderr, "enroll failed\n");
      return 1;
    }
    conductor_store_close(s);
  }
  if (fleet) {
    uint64_t t0 = uv_hrtime();
    key_done = calloc(n_routers, sizeof *key_done);
    if (key_done == NULL || make_fleet() != 0) {
      fprintf(stderr, "cannot make the fleet's keys and elements\n");
      return 1;
    }
    printf("fleet_setup_s=%.1f\n", (double)(uv_hrtime() - t0) / 1e9);
    fflush(stdout);
  }
  if (pipe(pfd) != 0) {
    perror("pipe");
    return 1;
  }
  child = fork();
  if (child == 0) {
    close(pfd[0]);
    _exit(run_child(pfd[1], db, hk));
  }
  atexit(kill_children);
  close(pfd[1]);
  if (read(pfd[0], &port, sizeof port) != (ssize_t)sizeof port) {
    fprintf(stderr, "conductor did not start\n");
    return 1;
  }
  snprintf(conductor_addr, sizeof conductor_addr, "127.0.0.1:%u",
           (unsigned)port);
  {
    /* pin the conductor's host key for every simulated router */
    char type[64], b64[1024], fp[128];
    FILE *f = fopen(kh_path, "w");
    if (f == NULL || conductor_key_read_public(hk, type, sizeof type, b64,
                                               sizeof b64, fp,
                                               sizeof fp) != 0) {
      fprintf(stderr, "cannot write %s\n", kh_path);
      return 1;
    }
    fprintf(f, "[127.0.0.1]:%u %s %s\n", (unsigned)port, type, b64);
    fclose(f);
  }
  routers = calloc(n_routers, sizeof *routers);
  uv_loop_init(&loop);
  if (peer_n > 0) {
    int prv = run_peer(peer_n, port, hk);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    child = 0;
    {
      char cmd[400];
      snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
      if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tmpdir);
      }
    }
    return prv;
  }
  t_begin = uv_hrtime();
  uv_timer_init(&loop, &start_timer);
  uv_timer_start(&start_timer, on_start, 0, 100);
  uv_timer_init(&loop, &alarm_timer);
  uv_timer_init(&loop, &phase_timer);
  uv_timer_start(&phase_timer, on_phase, 200, 200);
  uv_run(&loop, UV_RUN_DEFAULT);

  /* collect the conductor's commit statistics */
  kill(child, SIGTERM);
  memset(&st, 0, sizeof st);
  if (read(pfd[0], &st, sizeof st) == (ssize_t)sizeof st) {
    printf("alarms_committed=%llu\ncommits=%llu\nbatch_max=%llu\n",
           (unsigned long long)st.alarms_committed,
           (unsigned long long)st.commits,
           (unsigned long long)st.batch_max);
    printf("commit_latency_avg_ms=%.3f\ncommit_latency_max_ms=%.3f\n",
           st.alarms_committed
               ? (double)st.commit_latency_ns_sum / 1e6 /
                     (double)st.alarms_committed
               : 0.0,
           (double)st.commit_latency_ns_max / 1e6);
    printf("conn_refused_addr=%llu\nconn_refused_fds=%llu\n"
           "conn_evicted=%llu\naccept_emfile=%llu\nlogin_timeouts=%llu\n",
           (unsigned long long)st.conn_refused_addr,
           (unsigned long long)st.conn_refused_fds,
           (unsigned long long)st.conn_evicted,
           (unsigned long long)st.accept_emfile,
           (unsigned long long)st.login_timeouts);
  }
  waitpid(child, NULL, 0);
  child = 0;
  {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
      fprintf(stderr, "could not remove %s\n", tmpdir);
    }
  }
  return connect_failed ? 1 : 0;
}
