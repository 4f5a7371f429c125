/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Router-node glue: one SSH client per conductor node, driven by libuv
 * (uv_poll on the libssh socket, one uv_timer per link for the handshake
 * deadline, keepalives, ack timeouts and reconnect backoff).
 *
 * Alarm journal (<state_dir>/outbox.journal), so that an alarm raised is
 * never lost before every conductor node acknowledged it, even across a
 * kill -9 of the router: a sequence of records
 *   kind (1 byte) | IPC frame (docs/libconductor.md section 2)
 * kind 'A' = an ALARM frame as raised; '0'/'1' = an ALARM_ACK frame from
 * conductor link 0/1; 'N' = a KEEPALIVE frame used as a marker whose seq
 * is the next alarm sequence number and time_ns the next alarm number
 * (written when the journal is compacted); 'H' = the HELLO this router
 * node sends, for its epoch (first record of a new or compacted journal).
 * Replay rebuilds every outbox; a torn record at the end is cut off.
 * Appends are write(2) calls (a process kill loses nothing the kernel
 * accepted); fdatasync after each append with fsync_journal for power loss.
 *
 * Epoch: the identity of a router run, sent in HELLO; the conductor
 * deduplicates alarms by (router, node, epoch, seq).  Without a journal
 * every start is a new run (sequence numbers restart at 1) and picks a new
 * random epoch; with one, the epoch is the journal's, so the alarms it
 * replays after a restart are still recognised as retransmissions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conductor_asset.h"
#include "conductor_glue.h"

enum {
  L_IDLE = 0,  /* waiting for the backoff timer */
  L_CONNECTING, /* TCP + SSH handshake */
  L_HELLO,      /* HELLO sent */
  L_UP
};

typedef struct ent_report {
  uint64_t seq, time_ns, peak_bps, interval_ns;
  int inflight;
} ent_report;

typedef struct rlink {
  rtr *r;
  int idx;
  char host[256]; /* as configured: a name or an address, for logs */
  char addr[64];  /* numeric address libconductor connects to */
  uint16_t port;
  int state;
  conductor_client *cl;
  uv_poll_t *poll; /* allocated per connection; freed in its close cb */
  int poll_events;
  uv_timer_t timer;
  conductor_outbox *ob;
  conductor_keepalive ka;
  uint64_t ka_seq;
  uint64_t rx_pkts;     /* SSH packets from the conductor seen so far */
  unsigned ipc_version; /* chosen in HELLO_ACK */
  int no_conn_alarm;    /* "No connectivity" raised (locally) */
  unsigned attempt;
  uint64_t deadline; /* handshake deadline, monotonic ns */
  char last_err[512];
  char peer_node[CONDUCTOR_NAME_MAX];
  ent_report ent[16];
  size_t nent;
  /* repository checks (docs/libconductor.md 2.8) */
  uint32_t repo_seq;       /* stream of the probe in flight */
  uint64_t repo_sent;      /* monotonic ns it was sent (0: none) */
  uint64_t repo_next;      /* monotonic ns the next is due */
  int repo_state;          /* 0 pending, 1 reachable, 2 unreachable */
  char repo_reason[CONDUCTOR_TEXT_MAX];
  char repo_name[CONDUCTOR_ADMIN_NAME_MAX];
  uint64_t repo_latency, repo_checked, repo_checks, repo_failures, repo_bytes;
} rlink;

/* Dynamic peer update: this router's learned waypoint address per
 * neighborhood, reported (ADDRESS, IPC version 5) at every link up and at
 * every change (docs/libconductor.md section 2.6). */
typedef struct raddr {
  conductor_msg m; /* type ADDRESS */
  int sent[RTR_MAX_CONDUCTORS];
} raddr;

struct rtr {
  uv_loop_t *loop;
  rtr_opts o;
  char router[CONDUCTOR_NAME_MAX], node[CONDUCTOR_NAME_MAX];
  rlink links[RTR_MAX_CONDUCTORS];
  int nlinks;
  int jfd;
  off_t jbytes;
  uint64_t next_seq;
  uint32_t next_alarm_num;
  uint64_t epoch; /* this run's identity in HELLO (0: a pre-epoch journal) */
  uint64_t rnd;
  conductor_meter meter;
  uint64_t bytes_total;
  uint64_t ent_seq;
  uv_timer_t ent_timer;
  raddr addrs[RTR_MAX_ADDRESSES];
  size_t naddrs;
  /* Our copies of the option strings: svr-router's configuration (which
   * they pointed into) is replaced by every reload and dynamic peer
   * update, and reconnects read them later. */
  char key_path[1024], known_hosts[1024], state_dir[1024];
  int stopping;
  radmin *admin; /* log retriever and shell (IPC version 6) */
  char repo_source[32]; /* "" = repository checks off */
  uv_timer_t repo_timer;
  int repo_timer_on;
  rasset *assets[RTR_MAX_CONDUCTORS]; /* asset channel per conductor node */
};

static void rlog(rtr *r, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rlog(rtr *r, int level, const char *fmt, ...) {
  char line[768];
  va_list ap;
  if (r->o.log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  r->o.log(level, line, r->o.log_data);
}

static uint64_t rnd_next(rtr *r) {
  /* splitmix64, seeded from the clock and pid: jitter only, not secrets */
  uint64_t z = (r->rnd += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A new run identity: random, non-zero, below 2^63 (so that it reads as
 * the same positive number in the conductor's SQLite and JSON). */
static uint64_t new_epoch(rtr *r) {
  uint64_t e = 0;
  if (getrandom(&e, sizeof e, GRND_NONBLOCK) != (ssize_t)sizeof e) {
    /* no kernel entropy yet (early boot): clock, pid and jitter state;
     * unique enough to tell this run from the previous one */
    e = rnd_next(r) ^ cglue_unix_ns();
  }
  e &= (uint64_t)INT64_MAX;
  return e ? e : 1;
}

/* ---- journal ------------------------------------------------------------ */

static int journal_append(rtr *r, char kind, const conductor_msg *m) {
  uint8_t buf[1 + CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n;
  size_t off = 0;
  if (r->jfd < 0) {
    return 0;
  }
  buf[0] = (uint8_t)kind;
  n = conductor_msg_encode(buf + 1, sizeof buf - 1, m);
  if (n < 0) {
    return (int)n;
  }
  while (off < (size_t)n + 1) {
    ssize_t w = write(r->jfd, buf + off, (size_t)n + 1 - off);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      rlog(r, 0, "journal write: %s", strerror(errno));
      return CONDUCTOR_ERR_IO;
    }
    off += (size_t)w;
  }
  r->jbytes += (off_t)off;
  if (r->o.fsync_journal) {
    fdatasync(r->jfd);
  }
  return 0;
}

static void hello_msg(const rtr *r, conductor_msg *m) {
  memset(m, 0, sizeof *m);
  m->type = CONDUCTOR_MSG_HELLO;
  m->version_min = 1;
  m->version_max = CONDUCTOR_PROTO_VERSION;
  snprintf(m->router, sizeof m->router, "%s", r->router);
  snprintf(m->node, sizeof m->node, "%s", r->node);
  m->epoch = r->epoch;
}

/* The epoch record ('H'): the HELLO this router node sends. */
static int journal_epoch(rtr *r) {
  conductor_msg m;
  hello_msg(r, &m);
  return journal_append(r, 'H', &m);
}

static int journal_marker(rtr *r) {
  conductor_msg m;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_KEEPALIVE;
  m.seq = r->next_seq;
  m.time_ns = r->next_alarm_num;
  return journal_append(r, 'N', &m);
}

/* When every conductor has acknowledged everything, the journal restarts
 * from a marker. */
static void journal_maybe_compact(rtr *r) {
  int i;
  if (r->jfd < 0 || r->jbytes < (off_t)(1 << 20)) {
    return;
  }
  for (i = 0; i < r->nlinks; i++) {
    if (conductor_outbox_pending(r->links[i].ob) > 0) {
      return;
    }
  }
  if (ftruncate(r->jfd, 0) == 0 && lseek(r->jfd, 0, SEEK_SET) == 0) {
    r->jbytes = 0;
    journal_epoch(r);
    journal_marker(r);
    if (r->o.fsync_journal) {
      fdatasync(r->jfd);
    }
  }
}

static int journal_open(rtr *r, char *err, size_t errcap) {
  char path[1024];
  struct stat st;
  uint8_t *data = NULL;
  size_t off = 0, len, restored = 0, acked = 0;
  int i, have_epoch = 0;
  snprintf(path, sizeof path, "%s/outbox.journal", r->o.state_dir);
  mkdir(r->o.state_dir, 0700);
  r->jfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (r->jfd < 0) {
    snprintf(err, errcap, "cannot open journal %s: %s", path,
             strerror(errno));
    return CONDUCTOR_ERR_IO;
  }
  if (fstat(r->jfd, &st) != 0) {
    snprintf(err, errcap, "stat %s: %s", path, strerror(errno));
    return CONDUCTOR_ERR_IO;
  }
  len = (size_t)st.st_size;
  if (len > 0) {
    size_t got = 0;
    data = malloc(len);
    if (data == NULL) {
      snprintf(err, errcap, "out of memory reading %s", path);
      return CONDUCTOR_ERR_NOMEM;
    }
    while (got < len) {
      ssize_t n = pread(r->jfd, data + got, len - got, (off_t)got);
      if (n <= 0) {
        break;
      }
      got += (size_t)n;
    }
    len = got;
  }
  while (off < len) {
    conductor_msg m;
    conductor_ssize flen;
    char kind = (char)data[off];
    flen = conductor_frame_length(data + off + 1, len - off - 1);
    if (flen <= 0 || (size_t)flen > len - off - 1 ||
        conductor_msg_decode(&m, data + off + 1, (size_t)flen) != 0) {
      break; /* torn or corrupt tail */
    }
    if (kind == 'A' && m.type == CONDUCTOR_MSG_ALARM) {
      for (i = 0; i < r->nlinks; i++) {
        conductor_outbox_restore(r->links[i].ob, &m.alarm);
      }
      if (m.alarm.seq >= r->next_seq) {
        r->next_seq = m.alarm.seq + 1;
      }
      if (m.alarm.op == CONDUCTOR_ALARM_RAISE &&
          m.alarm.alarm_num >= r->next_alarm_num) {
        r->next_alarm_num = m.alarm.alarm_num + 1;
      }
      restored++;
    } else if ((kind == '0' || kind == '1') &&
               m.type == CONDUCTOR_MSG_ALARM_ACK) {
      int li = kind - '0';
      if (li < r->nlinks &&
          conductor_outbox_ack(r->links[li].ob, m.seq) == 0) {
        acked++;
      }
    } else if (kind == 'N' && m.type == CONDUCTOR_MSG_KEEPALIVE) {
      if (m.seq > r->next_seq) {
        r->next_seq = m.seq;
      }
      if (m.time_ns > r->next_alarm_num && m.time_ns < UINT32_MAX) {
        r->next_alarm_num = (uint32_t)m.time_ns;
      }
    } else if (kind == 'H' && m.type == CONDUCTOR_MSG_HELLO) {
      r->epoch = m.epoch;
      have_epoch = 1;
    } else {
      break;
    }
    off += 1 + (size_t)flen;
  }
  free(data);
  if (off < len) {
    rlog(r, 1, "journal %s: cut %zu bytes of torn tail", path, len - off);
    if (ftruncate(r->jfd, (off_t)off) != 0) {
      snprintf(err, errcap, "truncate %s: %s", path, strerror(errno));
      return CONDUCTOR_ERR_IO;
    }
  }
  r->jbytes = (off_t)off;
  lseek(r->jfd, (off_t)off, SEEK_SET);
  for (i = 0; i < r->nlinks; i++) {
    conductor_outbox_set_next_seq(r->links[i].ob, r->next_seq);
  }
  if (!have_epoch) {
    if (off == 0) {
      r->epoch = new_epoch(r); /* a new journal: a new run */
    } else {
      /* Written before epochs: its alarms reached the conductor as epoch
       * 0, so replays must stay epoch 0 to remain duplicates. */
      r->epoch = 0;
      rlog(r, 1, "journal %s has no epoch (written before epochs): "
                 "keeping epoch 0", path);
    }
    if (journal_epoch(r) != 0) {
      snprintf(err, errcap, "cannot write journal %s", path);
      return CONDUCTOR_ERR_IO;
    }
  }
  rlog(r, 2,
       "journal %s: %zu alarms, %zu acks replayed; pending %zu; next seq "
       "%llu; epoch %llu",
       path, restored, acked, rtr_pending(r),
       (unsigned long long)r->next_seq, (unsigned long long)r->epoch);
  return 0;
}

/* ---- links ------------------------------------------------------------- */

static void link_arm(rlink *l);
static void link_connect(rlink *l);

static void on_poll_closed(uv_handle_t *h) { free(h); }

static void link_teardown(rlink *l) {
  if (l->poll) {
    uv_poll_stop(l->poll);
    uv_close((uv_handle_t *)l->poll, on_poll_closed);
    l->poll = NULL;
  }
  conductor_client_del(l->cl);
  l->cl = NULL;
  l->poll_events = 0;
  if (l->state == L_UP) {
    conductor_outbox_disconnected(l->ob);
  }
  l->state = L_IDLE;
}

static void link_fail(rlink *l, int rv, const char *why) {
  int sys_errno = rv == CONDUCTOR_ERR_IO ? errno : 0; /* the connect's */
  rtr *r = l->r;
  uint64_t delay;
  int was_up = l->state == L_UP;
  snprintf(l->last_err, sizeof l->last_err, "%s", why);
  link_teardown(l);
  if (r->admin) {
    radmin_link_down(r->admin, l->idx);
  }
  l->repo_sent = 0; /* the next tick reports the link down */
  if (r->o.on_link_fail) {
    r->o.on_link_fail(l->idx, rv, sys_errno, l->last_err, r->o.log_data);
  }
  if (r->stopping) {
    return;
  }
  if (was_up && !l->no_conn_alarm) {
    /* The product's system/major alarm, raised here on the router: the
     * conductor node cannot be told over the link that just died. */
    l->no_conn_alarm = 1;
    rlog(r, 1, "alarm raised (system/major): No connectivity to "
               "conductor.%s (%s:%u: %s)",
         l->peer_node, l->host, (unsigned)l->port, l->last_err);
  }
  delay = conductor_backoff_delay(l->attempt, r->o.backoff_base_ns,
                                  r->o.backoff_cap_ns, rnd_next(r));
  if (l->attempt < 30) {
    l->attempt++;
  }
  rlog(r, rv == CONDUCTOR_ERR_HOSTKEY_CHANGED ||
               rv == CONDUCTOR_ERR_AUTH_DENIED ||
               rv == CONDUCTOR_ERR_HOSTKEY_UNKNOWN
           ? 0
           : 1,
       "conductor %s:%u: %s%s; retry in %.1f s", l->host, (unsigned)l->port,
       was_up ? "connection lost: " : "", l->last_err, (double)delay / 1e9);
  l->deadline = uv_hrtime() + delay;
  link_arm(l);
}

static int link_send(rlink *l, const conductor_msg *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n = conductor_msg_encode(buf, sizeof buf, m);
  if (n < 0) {
    return (int)n;
  }
  return conductor_client_send(l->cl, buf, (size_t)n);
}

static void link_pump(rlink *l) {
  rtr *r = l->r;
  const conductor_alarm *a;
  uint64_t now = uv_hrtime();
  size_t i;
  if (l->state != L_UP) {
    return;
  }
  conductor_outbox_handle_expiry(l->ob, now);
  while ((a = conductor_outbox_next(l->ob, now)) != NULL) {
    conductor_msg m;
    memset(&m, 0, sizeof m);
    m.type = CONDUCTOR_MSG_ALARM;
    m.alarm = *a;
    if (link_send(l, &m) != 0) {
      link_fail(l, CONDUCTOR_ERR_SSH, conductor_client_errmsg(l->cl));
      return;
    }
  }
  for (i = 0; l->ipc_version >= CONDUCTOR_VERSION_DPU && i < r->naddrs; i++) {
    raddr *ra = &r->addrs[i];
    if (!ra->sent[l->idx]) {
      if (link_send(l, &ra->m) != 0) {
        link_fail(l, CONDUCTOR_ERR_SSH, conductor_client_errmsg(l->cl));
        return;
      }
      ra->sent[l->idx] = 1;
    }
  }
  for (i = 0; i < l->nent; i++) {
    if (!l->ent[i].inflight) {
      conductor_msg m;
      memset(&m, 0, sizeof m);
      m.type = CONDUCTOR_MSG_ENTITLEMENT;
      m.seq = l->ent[i].seq;
      m.time_ns = l->ent[i].time_ns;
      m.peak_bps = l->ent[i].peak_bps;
      m.interval_ns = l->ent[i].interval_ns;
      if (link_send(l, &m) == 0) {
        l->ent[i].inflight = 1;
      }
    }
  }
}

/* ---- repository checks (docs/libconductor.md 2.8) ---------------------- */

static const char *const repo_states[] = {"pending", "reachable",
                                          "unreachable"};

static void repo_result(rlink *l, int state, const char *reason) {
  rtr *r = l->r;
  int changed = state != l->repo_state ||
                (state == 2 && strcmp(reason, l->repo_reason) != 0);
  l->repo_state = state;
  snprintf(l->repo_reason, sizeof l->repo_reason, "%s", reason);
  l->repo_checked = cglue_unix_ns();
  l->repo_checks++;
  if (state == 2) {
    l->repo_failures++;
  }
  if (changed) {
    rlog(r, state == 2 ? 1 : 2,
         "software repository (%s) via conductor node %s: %s%s%s",
         r->repo_source, l->peer_node[0] ? l->peer_node : l->host,
         repo_states[state], state == 2 ? ": " : "", reason);
  }
}

static void repo_answer(rlink *l, const uint8_t *f, size_t len) {
  conductor_admin m;
  char t[2 * CONDUCTOR_TEXT_MAX];
  if (l->r->repo_source[0] == '\0' ||
      conductor_admin_decode(&m, f, len) != 0 || l->repo_sent == 0 ||
      m.stream != l->repo_seq) {
    return; /* not ours, or late: the timeout counted it */
  }
  l->repo_latency = uv_hrtime() - l->repo_sent;
  l->repo_sent = 0;
  snprintf(l->repo_name, sizeof l->repo_name, "%s", m.name);
  cglue_escape(t, sizeof t, m.text);
  repo_result(l, m.error_code ? 2 : 1, m.error_code ? t : "");
}

static int admin_send(int idx, const conductor_admin *m, void *ud);

static void on_repo_timer(uv_timer_t *h) {
  rtr *r = h->data;
  uint64_t now = uv_hrtime();
  int i;
  for (i = 0; i < r->nlinks; i++) {
    rlink *l = &r->links[i];
    if (l->repo_sent && now - l->repo_sent >= r->o.repo_timeout_ns) {
      char why[96];
      l->repo_sent = 0;
      snprintf(why, sizeof why, "no answer within %.1f s",
               (double)r->o.repo_timeout_ns / 1e9);
      repo_result(l, 2, why);
    }
    if (now < l->repo_next || l->repo_sent) {
      continue;
    }
    l->repo_next = now + r->o.repo_interval_ns;
    if (l->state != L_UP) {
      repo_result(l, 2, "conductor node not connected");
    } else if (l->ipc_version < CONDUCTOR_VERSION_ADMIN) {
      repo_result(l, 2, "conductor node speaks IPC below version 6");
    } else {
      conductor_admin m;
      uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
      memset(&m, 0, sizeof m);
      m.type = CONDUCTOR_MSG_REPO_STATUS;
      if (++l->repo_seq == 0) {
        l->repo_seq = 1;
      }
      m.stream = l->repo_seq;
      snprintf(m.name, sizeof m.name, "%s", r->repo_source);
      /* the probe reports the previous result to the conductor node */
      m.error_code = l->repo_state == 2 ? (uint16_t)-CONDUCTOR_ERR_CLOSED : 0;
      snprintf(m.text, sizeof m.text, "%s",
               l->repo_state == 2 ? l->repo_reason
                                  : repo_states[l->repo_state]);
      m.mtime_ns = l->repo_checked;
      m.length = l->repo_latency;
      l->repo_bytes += (uint64_t)conductor_admin_encode(buf, sizeof buf, &m);
      l->repo_sent = now;
      if (admin_send(i, &m, r) != 0) {
        l->repo_sent = 0;
      }
    }
  }
}

int rtr_n_conductors(const rtr *r) { return r->nlinks; }

int rtr_repo_status(const rtr *r, int idx, rtr_repo_info *out) {
  const rlink *l;
  if (r->repo_source[0] == '\0' || idx < 0 || idx >= r->nlinks) {
    return -1;
  }
  l = &r->links[idx];
  memset(out, 0, sizeof *out);
  out->source = r->repo_source;
  if (l->peer_node[0]) {
    snprintf(out->conductor, sizeof out->conductor, "%s", l->peer_node);
  } else {
    snprintf(out->conductor, sizeof out->conductor, "%s:%u", l->host,
             (unsigned)l->port);
  }
  out->status = repo_states[l->repo_state];
  snprintf(out->reason, sizeof out->reason, "%s", l->repo_reason);
  snprintf(out->repository, sizeof out->repository, "%s", l->repo_name);
  out->latency_ns = l->repo_latency;
  out->last_check_ns = l->repo_checked;
  out->checks = l->repo_checks;
  out->failures = l->repo_failures;
  out->bytes_sent = l->repo_bytes;
  return 0;
}

static void handle_frame(rlink *l, const uint8_t *f, size_t len) {
  rtr *r = l->r;
  conductor_msg m;
  int rv;
  size_t i;
  if (conductor_admin_type((uint16_t)((f[4] << 8) | f[5]))) {
    if ((uint16_t)((f[4] << 8) | f[5]) == CONDUCTOR_MSG_REPO_STATUS) {
      repo_answer(l, f, len);
      return;
    }
    if (l->state == L_UP && l->ipc_version >= CONDUCTOR_VERSION_ADMIN &&
        r->admin) {
      radmin_on_frame(r->admin, l->idx, l->peer_node, f, len);
    }
    return;
  }
  rv = conductor_msg_decode(&m, f, len);
  if (rv != 0) {
    conductor_msg e;
    rlog(r, 1, "conductor %s:%u sent a bad frame: %s", l->host,
         (unsigned)l->port, conductor_strerror(rv));
    memset(&e, 0, sizeof e);
    e.type = CONDUCTOR_MSG_ERROR;
    e.error_code = (uint16_t)(-rv);
    e.ref_type = rv == CONDUCTOR_ERR_UNKNOWN_TYPE ? m.type : 0;
    snprintf(e.text, sizeof e.text, "%s", conductor_strerror(rv));
    link_send(l, &e);
    return;
  }
  switch (m.type) {
  case CONDUCTOR_MSG_HELLO_ACK:
    if (l->state == L_HELLO) {
      l->state = L_UP;
      l->attempt = 0;
      l->repo_next = 0; /* a repository check at once */
      snprintf(l->peer_node, sizeof l->peer_node, "%s", m.node);
      l->ipc_version = m.version;
      for (i = 0; i < r->naddrs; i++) {
        r->addrs[i].sent[l->idx] = 0; /* this node learns them again */
      }
      conductor_outbox_connected(l->ob, uv_hrtime());
      if (l->no_conn_alarm) {
        l->no_conn_alarm = 0;
        rlog(r, 1, "alarm cleared (system/major): No connectivity to "
                   "conductor.%s",
             l->peer_node);
      }
      for (i = 0; i < l->nent; i++) {
        l->ent[i].inflight = 0;
      }
      rlog(r, 2,
           "connected to conductor node %s at %s:%u (IPC v%u, epoch %llu); "
           "outbox %zu",
           m.node, l->host, (unsigned)l->port, (unsigned)m.version,
           (unsigned long long)r->epoch, conductor_outbox_pending(l->ob));
      if (m.version < 2 && r->jfd < 0) {
        rlog(r, 1,
             "conductor node %s speaks IPC v%u: it cannot tell this run "
             "from an earlier one, so alarms whose sequence numbers an "
             "earlier run used may be dropped; give a state directory",
             m.node, (unsigned)m.version);
      }
    }
    break;
  case CONDUCTOR_MSG_ALARM_ACK:
    if (conductor_outbox_ack(l->ob, m.seq) == 0) {
      conductor_msg a;
      memset(&a, 0, sizeof a);
      a.type = CONDUCTOR_MSG_ALARM_ACK;
      a.seq = m.seq;
      journal_append(r, (char)('0' + l->idx), &a);
    }
    break;
  case CONDUCTOR_MSG_ENTITLEMENT_ACK:
    for (i = 0; i < l->nent; i++) {
      if (l->ent[i].seq == m.seq) {
        memmove(&l->ent[i], &l->ent[i + 1],
                (l->nent - i - 1) * sizeof l->ent[0]);
        l->nent--;
        break;
      }
    }
    break;
  case CONDUCTOR_MSG_KEEPALIVE: {
    conductor_msg a = m;
    a.type = CONDUCTOR_MSG_KEEPALIVE_ACK;
    link_send(l, &a);
    break;
  }
  case CONDUCTOR_MSG_KEEPALIVE_ACK:
    break;
  case CONDUCTOR_MSG_ERROR:
    rlog(r, 1, "conductor %s:%u refused %s: %s", l->host, (unsigned)l->port,
         conductor_msg_type_name(m.ref_type), m.text);
    break;
  case CONDUCTOR_MSG_KEY: {
    conductor_msg a;
    memset(&a, 0, sizeof a);
    a.type = CONDUCTOR_MSG_KEY_ACK;
    memcpy(a.peer, m.peer, sizeof a.peer);
    a.key_index = m.key_index;
    a.key_op = m.key_op;
    if (l->state != L_UP) {
      a.error_code = (uint16_t)-CONDUCTOR_ERR_UNEXPECTED;
      snprintf(a.text, sizeof a.text, "KEY before HELLO_ACK");
    } else if (r->o.on_key == NULL) {
      a.error_code = (uint16_t)-CONDUCTOR_ERR_UNEXPECTED;
      snprintf(a.text, sizeof a.text, "this router takes no keys");
    } else {
      r->o.on_key(l->idx, &m, &a, r->o.key_data);
    }
    explicit_bzero(&m, sizeof m);
    if (a.error_code != 0) {
      rlog(r, 1, "conductor node %s: key %lu for %s (op %u) refused: %s",
           l->peer_node, (unsigned long)a.key_index, a.peer,
           (unsigned)a.key_op, a.text);
    }
    link_send(l, &a);
    break;
  }
  case CONDUCTOR_MSG_PEER_ADDRESS:
    if (l->state != L_UP) {
      break;
    }
    if (!cglue_name_ok(m.peer) || !cglue_name_ok(m.node) ||
        !cglue_name_ok(m.neighborhood)) {
      conductor_msg e;
      memset(&e, 0, sizeof e);
      e.type = CONDUCTOR_MSG_ERROR;
      e.error_code = (uint16_t)-CONDUCTOR_ERR_FIELD_VALUE;
      e.ref_type = m.type;
      snprintf(e.text, sizeof e.text,
               "names: 1-63 characters of A-Z a-z 0-9 . _ -");
      rlog(r, 1, "conductor node %s: peer address refused: %s", l->peer_node,
           e.text);
      link_send(l, &e);
      break;
    }
    if (r->o.on_peer_address) {
      r->o.on_peer_address(l->idx, &m, r->o.peer_address_data);
    }
    break;
  default:
    break;
  }
}

static void link_update_poll(rlink *l);

/* The SSH handshake just completed: HELLO.  Returns 0, or -1 after
 * link_fail. */
static int link_maybe_hello(rlink *l) {
  rtr *r = l->r;
  conductor_msg m;
  if (l->state != L_CONNECTING ||
      conductor_client_get_state(l->cl) != CONDUCTOR_CLIENT_READY) {
    return 0;
  }
  hello_msg(r, &m);
  if (link_send(l, &m) != 0) {
    link_fail(l, CONDUCTOR_ERR_SSH, conductor_client_errmsg(l->cl));
    return -1;
  }
  l->state = L_HELLO;
  l->ipc_version = 0;
  conductor_keepalive_init(&l->ka, (uint64_t)r->o.ka_interval_s *
                                       CONDUCTOR_SECONDS,
                           r->o.ka_max, uv_hrtime());
  l->rx_pkts = conductor_client_rx_packets(l->cl);
  return 0;
}

/* Liveness: any SSH packet from the conductor (a frame, the answer to our
 * keepalive@openssh.com, its own keepalive request) since the last look. */
static void link_note_rx(rlink *l) {
  uint64_t n;
  if (l->cl == NULL || l->state < L_HELLO) {
    return;
  }
  n = conductor_client_rx_packets(l->cl);
  if (n != l->rx_pkts) {
    l->rx_pkts = n;
    conductor_keepalive_on_rx(&l->ka, uv_hrtime());
  }
}

static void link_process(rlink *l) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n;
  int rv = conductor_client_process(l->cl);
  if (rv < 0) {
    link_fail(l, rv, conductor_client_errmsg(l->cl));
    return;
  }
  if (link_maybe_hello(l) != 0) {
    return;
  }
  link_note_rx(l);
  while (l->cl && (n = conductor_client_read_frame(l->cl, buf, sizeof buf)) >
                      0) {
    handle_frame(l, buf, (size_t)n);
    explicit_bzero(buf, (size_t)n); /* a KEY frame holds key material */
    if (l->cl == NULL) {
      return;
    }
  }
  if (l->cl && n < 0) {
    link_fail(l, (int)n, conductor_client_errmsg(l->cl));
    return;
  }
  link_pump(l);
  if (l->cl == NULL) {
    return;
  }
  /* Sends may have buffered output or left input in libssh: run once more
   * without waiting for the socket.  That run may finish the handshake
   * (the subsystem reply already read): then HELLO now, not at the 1 s
   * safety tick (1 in 5-7 connections took 1.06 s instead of 0.06 s). */
  rv = conductor_client_process(l->cl);
  if (rv < 0) {
    link_fail(l, rv, conductor_client_errmsg(l->cl));
    return;
  }
  if (link_maybe_hello(l) != 0) {
    return;
  }
  while ((n = conductor_client_read_frame(l->cl, buf, sizeof buf)) > 0) {
    handle_frame(l, buf, (size_t)n);
    explicit_bzero(buf, (size_t)n);
    if (l->cl == NULL) {
      return;
    }
  }
  link_pump(l);
  if (l->cl == NULL) {
    return;
  }
  link_update_poll(l);
  link_arm(l);
  journal_maybe_compact(l->r);
}

static void on_link_poll(uv_poll_t *h, int status, int events) {
  rlink *l = h->data;
  (void)events;
  (void)status; /* errors surface in conductor_client_process */
  if (l->cl) {
    link_process(l);
  }
}

static void link_update_poll(rlink *l) {
  int ev, uvev = 0, fd;
  if (l->cl == NULL) {
    return;
  }
  fd = conductor_client_fd(l->cl);
  if (fd < 0) {
    return;
  }
  if (l->poll == NULL) {
    l->poll = malloc(sizeof *l->poll);
    if (l->poll == NULL) {
      return;
    }
    uv_poll_init(l->r->loop, l->poll, fd);
    l->poll->data = l;
    l->poll_events = 0;
  }
  ev = conductor_client_events(l->cl);
  if (ev & CONDUCTOR_POLL_IN) {
    uvev |= UV_READABLE;
  }
  if (ev & CONDUCTOR_POLL_OUT) {
    uvev |= UV_WRITABLE;
  }
  if (uvev != l->poll_events) {
    l->poll_events = uvev;
    uv_poll_start(l->poll, uvev, on_link_poll);
  }
}

static void on_link_timer(uv_timer_t *h) {
  rlink *l = h->data;
  rtr *r = l->r;
  uint64_t now = uv_hrtime();
  switch (l->state) {
  case L_IDLE:
    link_connect(l);
    return;
  case L_CONNECTING:
  case L_HELLO:
    if (now >= l->deadline) {
      errno = ETIMEDOUT; /* for on_link_fail: no answer, not a refusal */
      link_fail(l, CONDUCTOR_ERR_IO, "handshake timed out");
      return;
    }
    link_process(l); /* also a safety net for readiness libssh hid */
    return;
  case L_UP:
  default:
    /* What arrived and was not read yet counts too. */
    if (conductor_client_process(l->cl) < 0) {
      link_fail(l, CONDUCTOR_ERR_CLOSED, conductor_client_errmsg(l->cl));
      return;
    }
    link_note_rx(l);
    switch (conductor_keepalive_handle_expiry(&l->ka, now)) {
    case CONDUCTOR_KA_DEAD: {
      char why[160];
      snprintf(why, sizeof why,
               "no answer to %u SSH keepalives (%u s apart): conductor "
               "declared dead, silent for %.2f s",
               r->o.ka_max, r->o.ka_interval_s,
               (double)(now - l->ka.last_rx_ts) / 1e9);
      link_fail(l, CONDUCTOR_ERR_CLOSED, why);
      return;
    }
    case CONDUCTOR_KA_SEND:
      if (conductor_client_keepalive(l->cl) != 0) {
        link_fail(l, CONDUCTOR_ERR_SSH, conductor_client_errmsg(l->cl));
        return;
      }
      if (l->ipc_version < CONDUCTOR_VERSION_SSH_KEEPALIVE) {
        /* A conductor before IPC version 4 counts only frames. */
        conductor_msg m;
        memset(&m, 0, sizeof m);
        m.type = CONDUCTOR_MSG_KEEPALIVE;
        m.seq = ++l->ka_seq;
        m.time_ns = now;
        link_send(l, &m);
      }
      break;
    default:
      break;
    }
    link_process(l);
    return;
  }
}

/* Arms the link timer for its next deadline. */
static void link_arm(rlink *l) {
  uint64_t now = uv_hrtime(), when;
  if (l->state == L_IDLE) {
    when = l->deadline;
  } else if (l->state == L_UP) {
    uint64_t a = conductor_keepalive_get_expiry(&l->ka);
    uint64_t b = conductor_outbox_get_expiry(l->ob);
    when = a < b ? a : b;
  } else {
    /* handshake: readiness drives it; a 1 s tick is only a safety net
     * (a 100 ms tick cost more than it saved with 1,000 routers at once) */
    when = now + 1000 * CONDUCTOR_MILLISECONDS;
    if (when > l->deadline) {
      when = l->deadline;
    }
  }
  if (when == UINT64_MAX) {
    uv_timer_stop(&l->timer);
    return;
  }
  uv_timer_start(&l->timer, on_link_timer,
                 when > now ? (when - now + 999999) / 1000000 : 0, 0);
}

static void link_connect(rlink *l) {
  rtr *r = l->r;
  char user[CONDUCTOR_NAME_MAX * 2 + 2];
  int rv;
  snprintf(user, sizeof user, "%s", r->router);
  rv = conductor_client_new(&l->cl, l->addr, l->port, user, r->o.key_path,
                            r->o.known_hosts, r->o.tofu);
  if (rv != 0) {
    char why[600];
    snprintf(why, sizeof why, "%s",
             l->cl ? conductor_client_errmsg(l->cl) : "out of memory");
    link_fail(l, rv, why);
    return;
  }
  l->state = L_CONNECTING;
  l->deadline = uv_hrtime() + 10 * CONDUCTOR_SECONDS;
  link_process(l);
}

/* ---- entitlement ---------------------------------------------------- */

static void on_ent_timer(uv_timer_t *h) {
  rtr *r = h->data;
  uint64_t peak;
  int i;
  if (conductor_meter_sample(&r->meter, uv_hrtime(), r->bytes_total,
                             &peak)) {
    r->ent_seq++;
    for (i = 0; i < r->nlinks; i++) {
      rlink *l = &r->links[i];
      ent_report *e;
      if (l->nent == sizeof l->ent / sizeof l->ent[0]) {
        memmove(&l->ent[0], &l->ent[1], (l->nent - 1) * sizeof l->ent[0]);
        l->nent--; /* keep the newest reports */
      }
      e = &l->ent[l->nent++];
      e->seq = r->ent_seq;
      e->time_ns = cglue_unix_ns();
      e->peak_bps = peak;
      e->interval_ns = r->o.ent_sample_ns;
      e->inflight = 0;
      if (l->state == L_UP) {
        link_process(l);
      }
    }
    rlog(r, 2, "entitlement report: peak %.2f Mbps", (double)peak / 1e6);
  }
}

void rtr_set_forwarded_bytes(rtr *r, uint64_t bytes_total) {
  r->bytes_total = bytes_total;
}

/* ---- API ----------------------------------------------------------------- */

static int parse_hostport(const char *s, char *host, size_t cap,
                          uint16_t *port) {
  const char *colon = strrchr(s, ':');
  long p;
  char *end;
  if (colon == NULL) {
    snprintf(host, cap, "%s", s);
    *port = CONDUCTOR_PORT;
    return 0;
  }
  if ((size_t)(colon - s) >= cap || colon == s) {
    return -1;
  }
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  if (host[0] == '[' && host[strlen(host) - 1] == ']') {
    memmove(host, host + 1, strlen(host));
    host[strlen(host) - 1] = '\0';
  }
  p = strtol(colon + 1, &end, 10);
  if (*end || p <= 0 || p > 65535) {
    return -1;
  }
  *port = (uint16_t)p;
  return 0;
}

/*
 * libconductor takes numeric addresses only (it never blocks): a host name
 * is resolved here, once, when the router is created (before its loop
 * runs), to its first address.  0 or a getaddrinfo error.
 */
static int numeric_addr(const char *host, char *addr, size_t cap) {
  struct addrinfo hints, *res = NULL;
  int rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  if (getaddrinfo(host, NULL, &hints, &res) == 0) {
    freeaddrinfo(res);
    snprintf(addr, cap, "%s", host);
    return 0;
  }
  hints.ai_flags = AI_ADDRCONFIG;
  rc = getaddrinfo(host, NULL, &hints, &res);
  if (rc != 0) {
    return rc;
  }
  rc = getnameinfo(res->ai_addr, res->ai_addrlen, addr, (socklen_t)cap, NULL,
                   0, NI_NUMERICHOST);
  freeaddrinfo(res);
  return rc;
}

static void link_update_poll(rlink *l);

/* radmin_opts.send: one administration frame on link |idx|. */
static int admin_send(int idx, const conductor_admin *m, void *ud) {
  rtr *r = ud;
  rlink *l;
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n;
  if (idx < 0 || idx >= r->nlinks) {
    return -1;
  }
  l = &r->links[idx];
  if (l->state != L_UP || l->cl == NULL) {
    return -1;
  }
  n = conductor_admin_encode(buf, sizeof buf, m);
  if (n < 0) {
    rlog(r, 0, "administration frame %u not encoded: %s", (unsigned)m->type,
         conductor_strerror((int)n));
    return (int)n;
  }
  if (conductor_client_send(l->cl, buf, (size_t)n) != 0) {
    link_fail(l, CONDUCTOR_ERR_SSH, conductor_client_errmsg(l->cl));
    return -1;
  }
  link_update_poll(l);
  return 0;
}

static void admin_drop(int idx, const char *why, void *ud) {
  rtr *r = ud;
  if (idx >= 0 && idx < r->nlinks && r->links[idx].cl) {
    link_fail(&r->links[idx], CONDUCTOR_ERR_CLOSED, why);
  }
}

/* The asset channel to conductor node |i| (docs/libconductor.md section
 * 10): on 4505/4506 of the same address, pinned by the same known-hosts
 * entry as its 930 connection. */
static int start_assets(rtr *r, int i, char *err, size_t errcap) {
  const rtr_opts *o = &r->o;
  rlink *l = &r->links[i];
  rasset_opts ao;
  int k;
  if (o->asset_mode < 0 || (o->asset_mode == 0 && l->port != CONDUCTOR_PORT)) {
    return 0;
  }
  memset(&ao, 0, sizeof ao);
  ao.addr = l->addr;
  ao.ssh_port = l->port;
  ao.port_pub = o->asset_mode == 1 ? o->asset_port_pub : CASSET_PORT_PUB;
  ao.port_req = o->asset_mode == 1 ? o->asset_port_req : CASSET_PORT_REQ;
  ao.key_path = r->key_path;
  ao.known_hosts = r->known_hosts;
  ao.router = r->router;
  ao.node = r->node;
  ao.asset_id = o->asset_id;
  ao.installed = o->software_installed;
  for (k = 0; k < o->n_software_available && k < RASSET_MAX_AVAILABLE; k++) {
    ao.available[k] = o->software_available[k];
  }
  ao.n_available = o->n_software_available;
  ao.log = o->log;
  ao.log_data = o->log_data;
  return rasset_new(&r->assets[i], r->loop, &ao, err, errcap);
}

int rtr_new(rtr **pr, uv_loop_t *loop, const rtr_opts *o, char *err,
            size_t errcap) {
  rtr *r;
  int i, rv;
  r = calloc(1, sizeof *r);
  if (r == NULL) {
    snprintf(err, errcap, "out of memory");
    return CONDUCTOR_ERR_NOMEM;
  }
  *pr = r;
  r->loop = loop;
  r->o = *o;
  r->jfd = -1;
  r->next_seq = 1;
  r->next_alarm_num = 1;
  r->rnd = uv_hrtime() ^ ((uint64_t)getpid() << 32);
  if (r->o.ka_interval_s == 0) {
    r->o.ka_interval_s = CGLUE_KA_INTERVAL_DEFAULT_S;
  }
  if (r->o.ka_max == 0) {
    r->o.ka_max = CGLUE_KA_MAX_DEFAULT;
  }
  if (r->o.ka_interval_s > 10 || r->o.ka_max > 20) {
    snprintf(err, errcap, "keepalive interval must be 1-10 s, attempts 1-20");
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (r->o.backoff_base_ns == 0) {
    r->o.backoff_base_ns = CONDUCTOR_SECONDS;
  }
  if (r->o.backoff_cap_ns == 0) {
    r->o.backoff_cap_ns = 60 * CONDUCTOR_SECONDS;
  }
  if (r->o.ent_sample_ns == 0) {
    r->o.ent_sample_ns = RTR_ENT_SAMPLE_DEFAULT_NS;
  }
  if (r->o.ent_report_ns == 0) {
    r->o.ent_report_ns = RTR_ENT_REPORT_DEFAULT_NS;
  }
  if (o->router == NULL || o->node == NULL || o->key_path == NULL ||
      o->known_hosts == NULL || o->n_conductors < 1 ||
      o->n_conductors > RTR_MAX_CONDUCTORS) {
    snprintf(err, errcap,
             "router, node, key, known-hosts and 1-2 conductors are needed");
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  snprintf(r->router, sizeof r->router, "%s", o->router);
  snprintf(r->node, sizeof r->node, "%s", o->node);
  if (strlen(o->key_path) >= sizeof r->key_path ||
      strlen(o->known_hosts) >= sizeof r->known_hosts ||
      (o->state_dir && strlen(o->state_dir) >= sizeof r->state_dir)) {
    snprintf(err, errcap, "key, known-hosts or state directory path longer "
                          "than %zu bytes", sizeof r->key_path - 1);
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  snprintf(r->key_path, sizeof r->key_path, "%s", o->key_path);
  snprintf(r->known_hosts, sizeof r->known_hosts, "%s", o->known_hosts);
  r->o.key_path = r->key_path;
  r->o.known_hosts = r->known_hosts;
  if (o->state_dir) {
    snprintf(r->state_dir, sizeof r->state_dir, "%s", o->state_dir);
    r->o.state_dir = r->state_dir;
  }
  r->o.router = r->router;
  r->o.node = r->node;
  r->nlinks = o->n_conductors;
  for (i = 0; i < r->nlinks; i++) {
    rlink *l = &r->links[i];
    l->r = r;
    l->idx = i;
    if (parse_hostport(o->conductors[i], l->host, sizeof l->host,
                       &l->port) != 0) {
      snprintf(err, errcap, "bad conductor address \"%s\" (HOST:PORT)",
               o->conductors[i]);
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    rv = numeric_addr(l->host, l->addr, sizeof l->addr);
    if (rv != 0) {
      snprintf(err, errcap, "cannot resolve conductor \"%s\": %s", l->host,
               gai_strerror(rv));
      return CONDUCTOR_ERR_ADDRESS;
    }
    rv = conductor_outbox_new(&l->ob, NULL, NULL);
    if (rv != 0) {
      snprintf(err, errcap, "outbox: %s", conductor_strerror(rv));
      return rv;
    }
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
  }
  memset(r->o.conductors, 0, sizeof r->o.conductors); /* parsed above */
  if (o->state_dir) {
    rv = journal_open(r, err, errcap);
    if (rv != 0) {
      return rv;
    }
  } else {
    r->epoch = new_epoch(r); /* no journal: every start is a new run */
    rlog(r, 2, "no journal: alarm seq from 1, epoch %llu",
         (unsigned long long)r->epoch);
  }
  {
    radmin_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.log_dir = o->log_dir;
    ao.no_remote_login = o->no_remote_login;
    ao.shell = o->shell;
    ao.drop_after = o->test_log_drop_after;
    ao.send = admin_send;
    ao.drop = admin_drop;
    ao.ud = r;
    ao.log = o->log;
    ao.log_data = o->log_data;
    rv = radmin_new(&r->admin, loop, &ao);
    if (rv != 0) {
      snprintf(err, errcap, "out of memory");
      return rv;
    }
    if (o->test_log_drop_after) {
      rlog(r, 1, "test hook armed: the link drops once after %llu log bytes",
           (unsigned long long)o->test_log_drop_after);
    }
  }
  if (o->repo_source && strcmp(o->repo_source, "internet-only") != 0) {
    if (strcmp(o->repo_source, "conductor-only") != 0 &&
        strcmp(o->repo_source, "prefer-conductor") != 0) {
      snprintf(err, errcap, "software repository source \"%s\": expected "
               "conductor-only, prefer-conductor or internet-only",
               o->repo_source);
      return CONDUCTOR_ERR_INVALID_ARGUMENT;
    }
    snprintf(r->repo_source, sizeof r->repo_source, "%s", o->repo_source);
    if (r->o.repo_interval_ns == 0) {
      r->o.repo_interval_ns = RTR_REPO_INTERVAL_DEFAULT_NS;
    }
    if (r->o.repo_timeout_ns == 0) {
      r->o.repo_timeout_ns = 5 * CONDUCTOR_SECONDS;
    }
    uv_timer_init(loop, &r->repo_timer);
    r->repo_timer.data = r;
    r->repo_timer_on = 1;
    {
      uint64_t tick = r->o.repo_interval_ns < CONDUCTOR_SECONDS
                          ? r->o.repo_interval_ns
                          : CONDUCTOR_SECONDS;
      uint64_t ms = tick / 1000000 ? tick / 1000000 : 1;
      uv_timer_start(&r->repo_timer, on_repo_timer, ms, ms);
    }
    rlog(r, 2, "software repository checks (%s): every %.1f s, answer "
         "within %.1f s", r->repo_source,
         (double)r->o.repo_interval_ns / 1e9,
         (double)r->o.repo_timeout_ns / 1e9);
  }
  r->o.repo_source = NULL;
  r->o.log_dir = NULL; /* copied by radmin */
  r->o.shell = NULL;
  conductor_meter_init(&r->meter, r->o.ent_sample_ns, r->o.ent_report_ns,
                       uv_hrtime(), 0);
  uv_timer_init(loop, &r->ent_timer);
  r->ent_timer.data = r;
  uv_timer_start(&r->ent_timer, on_ent_timer, r->o.ent_sample_ns / 1000000,
                 r->o.ent_sample_ns / 1000000);
  for (i = 0; i < r->nlinks; i++) {
    rv = start_assets(r, i, err, errcap);
    if (rv != 0) {
      return rv;
    }
  }
  for (i = 0; i < r->nlinks; i++) {
    link_connect(&r->links[i]);
  }
  return 0;
}

int rtr_assets_up(const rtr *r) {
  int i, n = 0;
  for (i = 0; i < r->nlinks; i++) {
    n += rasset_up(r->assets[i]);
  }
  return n;
}

static int rtr_event(rtr *r, uint8_t op, uint32_t num, uint8_t severity,
                     const char *source, const char *category,
                     const char *message) {
  conductor_msg m;
  int i, rv;
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ALARM;
  m.alarm.seq = r->next_seq;
  m.alarm.alarm_num = num;
  m.alarm.op = op;
  m.alarm.severity = severity;
  m.alarm.time_ns = cglue_unix_ns();
  snprintf(m.alarm.source, sizeof m.alarm.source, "%s", source);
  snprintf(m.alarm.category, sizeof m.alarm.category, "%s", category);
  snprintf(m.alarm.message, sizeof m.alarm.message, "%s", message);
  /* Journal first: once rtr_raise returns, the alarm survives a crash. */
  rv = journal_append(r, 'A', &m);
  if (rv != 0) {
    return rv;
  }
  r->next_seq++;
  for (i = 0; i < r->nlinks; i++) {
    rv = conductor_outbox_restore(r->links[i].ob, &m.alarm);
    if (rv != 0) {
      rlog(r, 0, "outbox %d: %s", i, conductor_strerror(rv));
    }
    if (r->links[i].state == L_UP) {
      link_pump(&r->links[i]);
      if (r->links[i].cl) {
        link_update_poll(&r->links[i]);
        link_arm(&r->links[i]);
      }
    }
  }
  return 0;
}

int rtr_set_address(rtr *r, const char *neighborhood, const char *interface,
                    int family, const uint8_t *address, uint16_t port) {
  raddr *a = NULL;
  size_t i;
  int k;
  if (!cglue_name_ok(neighborhood) || !cglue_name_ok(interface) ||
      (family != 4 && family != 6) || address == NULL || port == 0) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < r->naddrs; i++) {
    if (strcmp(r->addrs[i].m.neighborhood, neighborhood) == 0) {
      a = &r->addrs[i];
    }
  }
  if (a == NULL) {
    if (r->naddrs == RTR_MAX_ADDRESSES) {
      return CONDUCTOR_ERR_NOBUF;
    }
    a = &r->addrs[r->naddrs++];
    memset(a, 0, sizeof *a);
    a->m.type = CONDUCTOR_MSG_ADDRESS;
    snprintf(a->m.neighborhood, sizeof a->m.neighborhood, "%s", neighborhood);
  }
  snprintf(a->m.interface, sizeof a->m.interface, "%s", interface);
  a->m.addr_family = (uint8_t)family;
  memset(a->m.address, 0, sizeof a->m.address);
  memcpy(a->m.address, address, family == 4 ? 4 : 16);
  a->m.port = port;
  for (k = 0; k < r->nlinks; k++) {
    rlink *l = &r->links[k];
    a->sent[k] = 0;
    if (l->state == L_UP) {
      link_pump(l);
      if (l->cl) {
        link_update_poll(l);
        link_arm(l);
      }
    }
  }
  return 0;
}

int rtr_raise(rtr *r, uint8_t severity, const char *source,
              const char *category, const char *message, uint32_t *num) {
  uint32_t n = r->next_alarm_num;
  int rv = rtr_event(r, CONDUCTOR_ALARM_RAISE, n, severity, source, category,
                     message);
  if (rv == 0) {
    r->next_alarm_num++;
    if (num) {
      *num = n;
    }
  }
  return rv;
}

int rtr_clear(rtr *r, uint32_t num, uint8_t severity, const char *source,
              const char *category, const char *message) {
  return rtr_event(r, CONDUCTOR_ALARM_CLEAR, num, severity, source, category,
                   message);
}

size_t rtr_pending(const rtr *r) {
  size_t m = 0;
  int i;
  for (i = 0; i < r->nlinks; i++) {
    size_t p = conductor_outbox_pending(r->links[i].ob);
    if (p > m) {
      m = p;
    }
    if (r->links[i].nent > m) {
      m = r->links[i].nent;
    }
  }
  return m;
}

uint64_t rtr_next_seq(const rtr *r) { return r->next_seq; }

int rtr_links_up(const rtr *r) {
  int i, n = 0;
  for (i = 0; i < r->nlinks; i++) {
    n += r->links[i].state == L_UP;
  }
  return n;
}

void rtr_stop(rtr *r) {
  int i;
  r->stopping = 1;
  if (r->admin) {
    radmin_stop(r->admin);
  }
  for (i = 0; i < r->nlinks; i++) {
    link_teardown(&r->links[i]);
    uv_close((uv_handle_t *)&r->links[i].timer, NULL);
    rasset_stop(r->assets[i]);
  }
  uv_close((uv_handle_t *)&r->ent_timer, NULL);
  if (r->repo_timer_on) {
    uv_close((uv_handle_t *)&r->repo_timer, NULL);
  }
}

void rtr_del(rtr *r) {
  int i;
  if (r == NULL) {
    return;
  }
  for (i = 0; i < r->nlinks; i++) {
    conductor_outbox_del(r->links[i].ob);
    rasset_del(r->assets[i]);
  }
  radmin_del(r->admin);
  if (r->jfd >= 0) {
    close(r->jfd);
  }
  free(r);
}
