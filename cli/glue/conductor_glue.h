/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libuv glue for libconductor (never installed).
 *
 *   cnd_*  a conductor node: SSH server on 930/TCP, SQLite store, batched
 *          commits (acknowledge after COMMIT), connection table, "No
 *          connectivity" alarm, optional link check to the other node.
 *   rtr_*  the router side of one router node: one SSH client per conductor
 *          node (up to two), an on-disk alarm journal, the outbox per
 *          conductor, keepalives, reconnect with capped backoff and jitter,
 *          and the entitlement meter.  svr-router embeds an rtr on its own
 *          uv loop; svr-conductor-router is the test front end.
 * Both run on a caller-owned uv_loop_t, one thread, no thread per router.
 */
#ifndef CONDUCTOR_GLUE_H
#define CONDUCTOR_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <conductor/conductor.h>

/* Log sink: level 0 error, 1 warning, 2 info, 3 debug. */
typedef void (*cglue_log_fn)(int level, const char *text, void *user_data);

/* Wall clock, Unix nanoseconds. */
uint64_t cglue_unix_ns(void);

/* Router and node names (docs/libconductor.md 2.2): 1-63 characters, each
 * of A-Z a-z 0-9 . _ -.  Returns 1 if |s| is one. */
int cglue_name_ok(const char *s);
/* Copies |in| to |out| (NUL-terminated, truncated to |cap|) so that it is
 * safe on a terminal, in JSON and in a log line: C0 controls, DEL, C1
 * controls (U+0080-U+009F) and bytes that are not valid UTF-8 become the
 * text \xNN, a backslash becomes \\; printable ASCII and valid UTF-8
 * otherwise pass.  Returns the length written. */
size_t cglue_escape(char *out, size_t cap, const char *in);

/* Defaults of the options below that are left 0 (conductor_router.c,
 * conductor_node.c); svr-budget models the same values from here. */
#define CGLUE_KA_INTERVAL_DEFAULT_S 5u /* SSH keepalive interval, both sides */
#define CGLUE_KA_MAX_DEFAULT 3u
#define RTR_ENT_SAMPLE_DEFAULT_NS (5 * CONDUCTOR_SECONDS)   /* entitlement */
#define RTR_ENT_REPORT_DEFAULT_NS (300 * CONDUCTOR_SECONDS) /* report period */
#define RTR_REPO_INTERVAL_DEFAULT_NS (20 * CONDUCTOR_SECONDS) /* repo checks */

/* ---- conductor node -------------------------------------------------- */

typedef struct cnd cnd;

typedef struct cnd_opts {
  const char *db_path;     /* SQLite database (created) */
  const char *host_key;    /* OpenSSH private host key (created if absent) */
  const char *listen_addr; /* default 0.0.0.0 */
  uint16_t port;           /* 930 normally; 0 = any free port */
  const char *node_name;   /* this conductor node, e.g. "cnd1" */
  unsigned ka_interval_s;  /* router keepalive interval, 1-10, default 5 */
  unsigned ka_max;         /* unanswered intervals before dead, default 3 */
  /* Link check to the other conductor node (host:port of its SSH
   * listener); NULL disables.  Latency from TCP connect + SSH banner. */
  const char *peer;
  unsigned link_check_interval_s; /* default 10 */
  double link_max_latency_ms;     /* alarm threshold, default 150 */
  double link_max_loss_pct;       /* alarm threshold, default 0.01 */
  /* Fault injection, a testing aid (svr-conductor run --fault-kill-at):
   * the process raises SIGKILL at a chosen point of the batch commit, so a
   * test can crash it there instead of racing a kill -9 against a timer.
   * fault_k counts alarm events from routers that this process newly
   * inserted (duplicates and its own alarms do not count).
   *   CND_FAULT_INSERT: right after the fault_k-th such insert, inside the
   *                     batch transaction, before COMMIT;
   *   CND_FAULT_COMMIT: right after the COMMIT of the batch that brings
   *                     the count of such committed inserts to >= fault_k,
   *                     before any ack of that batch is sent. */
  /* Limits for connections not yet authenticated (docs/libconductor.md,
   * "Threat model and limits"); 0 = the default. */
  unsigned max_unauth;          /* in total, default 256 */
  unsigned max_unauth_per_addr; /* from one source address, default 16 */
  unsigned login_grace_s;       /* to authenticate, default 10 */
  /* Descriptors kept free below RLIMIT_NOFILE (SQLite, the link check):
   * no connection is accepted beyond the limit minus this; default 64. */
  unsigned fd_reserve;
  /* Answers queued for a router that does not read them; beyond, the
   * connection is closed.  Default CONDUCTOR_SEND_LIMIT_DEFAULT (256 KiB). */
  size_t max_send_buffer;
  /* Administrators (shell connect, log retriever): OpenSSH authorized_keys
   * file, read at each administrator login; NULL: nobody. */
  const char *admin_keys;
  /* The software repository / proxy this node hosts for its routers
   * (docs/libconductor.md 2.8; a URL or path, named in the answers to the
   * routers' checks); NULL: none (checks are answered "unavailable"). */
  const char *repository;
  int fault_kind; /* CND_FAULT_NONE (0), CND_FAULT_INSERT, CND_FAULT_COMMIT */
  uint64_t rekey_interval_ns; /* rekey-interval; 0 = never (the default) */
  /* Asset channel (docs/libconductor.md section 10): TLS listeners on
   * asset_port_pub (4505) and asset_port_req (4506), 0 = any free port;
   * asset_enabled 0 = none.  asset_version_check_ns: 0 = 12 h (a test-only
   * setting shortens it). */
  int asset_enabled;
  uint16_t asset_port_pub, asset_port_req;
  uint64_t asset_version_check_ns;
  uint64_t fault_k;
  cglue_log_fn log;
  void *log_data;
} cnd_opts;

enum { CND_FAULT_NONE = 0, CND_FAULT_INSERT, CND_FAULT_COMMIT };

/* Returns 0 or a CONDUCTOR_ERR_*; |err| gets the reason. */
int cnd_new(cnd **pc, uv_loop_t *loop, const cnd_opts *o, char *err,
            size_t errcap);
/* Stops listening and closes every connection (handles close on the next
 * loop turn); then cnd_del after uv_run returns. */
void cnd_stop(cnd *c);
void cnd_del(cnd *c);
/* Statistics for the bench. */
typedef struct cnd_stats {
  uint64_t connections;
  uint64_t alarms_committed;
  uint64_t alarms_duplicate;
  uint64_t commits;
  uint64_t commit_latency_ns_sum; /* receive -> commit done, summed */
  uint64_t commit_latency_ns_max;
  uint64_t batch_max; /* largest batch committed at once */
  uint64_t unenrolled_closed; /* connections closed by svr-conductor unenroll */
  uint64_t conn_refused_addr;  /* refused: per-address unauthenticated limit */
  uint64_t conn_refused_fds;   /* refused: descriptor reserve reached */
  uint64_t conn_evicted;       /* oldest unauthenticated, closed for a new one */
  uint64_t accept_emfile;      /* accept() failed: out of descriptors */
  uint64_t login_timeouts;     /* not authenticated within login_grace_s */
  uint64_t sendbuf_closed;     /* closed: send buffer over max_send_buffer */
  uint64_t frames_refused;     /* invalid frames, or not valid when sent */
  uint64_t auth_refused;       /* failed authentication attempts */
  uint64_t auth_tries_closed;  /* connections closed at 6 failed attempts */
} cnd_stats;
void cnd_get_stats(const cnd *c, cnd_stats *s);
/* The port actually bound. */
uint16_t cnd_port(const cnd *c);
/* The asset channel's bound port of channel 1 (4505) or 2 (4506); 0 when
 * it is off. */
uint16_t cnd_asset_port(const cnd *c, int ch);

/* ---- conductor key manager (conductor_keys.c, used by the node) -------- */

typedef struct ckm ckm;
/* Sends one KEY to the router connection |link| (wipe nothing: ckm does). */
typedef void (*ckm_send_fn)(void *link, const conductor_msg *m, void *ud);

/* The key manager's clock, Unix ns (the rekey schedule, key-status times). */
typedef uint64_t (*ckm_clock_fn)(void *clock_ud);

/* Loads the security elements and their keys from |store|; |interval_ns|
 * 0 = rekey-interval never.  |clock| NULL = cglue_unix_ns(); tests pass
 * their own to step the rekey schedule with literal timestamps. */
int ckm_new(ckm **pk, conductor_store *store, const char *node_name,
            uint64_t interval_ns, ckm_send_fn send, cglue_log_fn log,
            void *ud, ckm_clock_fn clock, void *clock_ud);
void ckm_del(ckm *k);
/* A router node's HELLO was answered with |version|: catch it up. */
void ckm_link_up(ckm *k, void *link, const char *router, const char *node,
                 uint16_t version);
void ckm_link_down(ckm *k, void *link);
void ckm_on_ack(ckm *k, void *link, const conductor_msg *key_ack);
/* The paths of |router| were replaced (dynamic peer update: it and its
 * peers start new ones with their configured key): every element of it
 * with an active key pushes that key again (add + activate) to every
 * connected node of both routers. */
void ckm_resend(ckm *k, const char *router);
/* Every second: configuration / rekey requests written by svr-conductor
 * commands, and the rekey interval. */
void ckm_tick(ckm *k);
/* Once per event-loop turn, outside any other transaction: the database
 * writes queued since the last call in one transaction, then the KEYs held
 * back for them. */
void ckm_flush(ckm *k);
void ckm_get_stats(const ckm *k, uint64_t *rekeys, uint64_t *activations);
/* Unix ns of the next interval rekey, 0 = never. */
uint64_t ckm_next_rekey(const ckm *k);

/* ---- dynamic peer update (conductor_dpu.c, used by the node) ------------ */

typedef struct cdpu cdpu;
/* Sends one PEER_ADDRESS to the router connection |link|. */
typedef void (*cdpu_send_fn)(void *link, const conductor_msg *m, void *ud);

int cdpu_new(cdpu **pp, conductor_store *store, const char *node_name,
             cdpu_send_fn send, cglue_log_fn log, void *ud);
void cdpu_del(cdpu *p);
/* A router node's HELLO was answered with |version|: from version 5 on it
 * gets the current addresses of every router it peers with. */
void cdpu_link_up(cdpu *p, void *link, const char *router, const char *node,
                  uint16_t version);
void cdpu_link_down(cdpu *p, void *link);
/* An ADDRESS from |link|: stored; when it changed, pushed to the peers.
 * Returns 1 (changed and pushed), 0 (unchanged), or a CONDUCTOR_ERR_*
 * with |why| (answer with ERROR). */
int cdpu_on_address(cdpu *p, void *link, const conductor_msg *m, char *why,
                    size_t whycap);
/* Every second: sync requests written by svr-conductor. */
void cdpu_tick(cdpu *p);
void cdpu_get_stats(const cdpu *p, uint64_t *changes, uint64_t *pushes);

/* ---- asset channel, conductor side (conductor_asset_srv.c) -------------- */

/* TLS 1.3 listeners on 4505 and 4506 (docs/libconductor.md section 10):
 * routers authenticate with a certificate of their enrolled SSH key; the
 * asset tables (assets, asset_software) are kept in |store|. */
typedef struct casrv casrv;
typedef struct casrv_opts {
  const char *listen_addr; /* numeric; default 0.0.0.0 */
  uint16_t port_pub;       /* 4505; 0 = any free port */
  uint16_t port_req;       /* 4506; 0 = any free port */
  const char *host_key;    /* the conductor's SSH host key (Ed25519) */
  const char *node_name;
  conductor_store *store;
  uint64_t version_check_ns; /* 0 = 12 h (the product's fixed cadence) */
  unsigned ka_max;           /* asset keepalives missed: gone; default 3 */
  /* The asset of router.node stopped answering (|raise| 1) or is back (0). */
  void (*alarm)(int raise, const char *router, const char *node,
                const char *asset_id, void *ud);
  void *alarm_data;
  cglue_log_fn log;
  void *log_data;
} casrv_opts;
int casrv_new(casrv **ps, uv_loop_t *loop, const casrv_opts *o, char *err,
              size_t errcap);
/* The bound port of channel 1 (4505) or 2 (4506). */
uint16_t casrv_port(const casrv *s, int ch);
void casrv_stop(casrv *s);
void casrv_del(casrv *s);

/* ---- asset channel, router side (conductor_asset_rtr.c) ------------------ */

typedef struct rasset rasset;
#define RASSET_MAX_AVAILABLE 32
typedef struct rasset_opts {
  const char *addr;        /* the conductor node, numeric */
  uint16_t ssh_port;       /* its 930 port: the known-hosts entry to pin */
  uint16_t port_pub, port_req;
  const char *key_path;    /* the router's SSH key (Ed25519) */
  const char *known_hosts;
  const char *router, *node;
  const char *asset_id;    /* NULL: "<router>.<node>" */
  const char *installed;   /* NULL: this build's version */
  const char *available[RASSET_MAX_AVAILABLE]; /* versions it may download */
  int n_available;
  cglue_log_fn log;
  void *log_data;
} rasset_opts;
int rasset_new(rasset **pa, uv_loop_t *loop, const rasset_opts *o, char *err,
               size_t errcap);
/* 1 when both connections said HELLO and got HELLO_ACK. */
int rasset_up(const rasset *a);
void rasset_stop(rasset *a);
void rasset_del(rasset *a);

/* ---- router node ------------------------------------------------------- */

typedef struct rtr rtr;

#define RTR_MAX_CONDUCTORS 2

typedef struct rtr_opts {
  const char *router;      /* router name (must match the enrolment) */
  const char *node;        /* node name */
  const char *key_path;    /* router private key */
  const char *known_hosts; /* pinned conductor host keys */
  int tofu;                /* add unknown conductors on first use */
  const char *state_dir;   /* journal directory; NULL = memory only */
  const char *conductors[RTR_MAX_CONDUCTORS]; /* "host:port" */
  int n_conductors;
  unsigned ka_interval_s;  /* 1-10, default 5 */
  unsigned ka_max;         /* 1-20, default 3 */
  uint64_t backoff_base_ns; /* default 1 s */
  uint64_t backoff_cap_ns;  /* default 60 s */
  uint64_t ent_sample_ns;   /* default 5 s */
  uint64_t ent_report_ns;   /* default 300 s */
  int fsync_journal;        /* fdatasync after each journal append */
  /* Called when a connection attempt or a connection fails (may be NULL);
   * |rv| is the CONDUCTOR_ERR_* reason, |sys_errno| the errno of a
   * CONDUCTOR_ERR_IO (ECONNREFUSED...), else 0. */
  void (*on_link_fail)(int idx, int rv, int sys_errno, const char *why,
                       void *user_data);
  /* A KEY from a conductor node (IPC version 3, docs/libconductor.md 2.5):
   * do it and fill |ack| (type, peer, index and op are set; leave
   * error_code 0 and text "" when done, else set a negated CONDUCTOR_ERR_*
   * and the reason).  The message is wiped when this returns; never log
   * the key.  NULL: every KEY is refused ("this router takes no keys"). */
  void (*on_key)(int idx, const conductor_msg *key, conductor_msg *ack,
                 void *user_data);
  void *key_data;
  /* A PEER_ADDRESS from a conductor node (IPC version 5, dynamic peer
   * update, docs/libconductor.md 2.6): router |m->peer| (node |m->node|)
   * is now reached at m->address / m->port in neighborhood
   * |m->neighborhood|.  Names are checked (cglue_name_ok) before.  NULL:
   * ignored. */
  void (*on_peer_address)(int idx, const conductor_msg *m, void *user_data);
  void *peer_address_data;
  /* Administration (IPC version 6, docs/libconductor.md 2.7): the
   * directory whose regular files the log retriever serves (NULL: none),
   * remote login (shell connect) refused when |no_remote_login|, the shell
   * it runs (NULL: /bin/sh).  |test_log_drop_after|: a testing aid, the
   * link is dropped once, after that many log bytes were sent (0: never). */
  const char *log_dir;
  int no_remote_login;
  const char *shell;
  uint64_t test_log_drop_after;
  /* Conductor-hosted software repository / proxy (docs/libconductor.md
   * 2.8): the product's software-update repository source-type.  NULL or
   * "internet-only" (the default): no check, nothing is sent;
   * "conductor-only" or "prefer-conductor": every repo_interval_ns (0: 20
   * s) a REPO_STATUS probe goes to each conductor node, and one not
   * answered within repo_timeout_ns (0: 5 s) is a failed check. */
  const char *repo_source;
  uint64_t repo_interval_ns;
  uint64_t repo_timeout_ns;
  /* Asset channel (docs/libconductor.md section 10), per conductor node:
   * asset_mode 0 = on for a conductor on 930 (ports 4505 and 4506), off
   * for others; 1 = on for every conductor, on asset_port_pub /
   * asset_port_req; -1 = off.  asset_id NULL = "<router>.<node>";
   * software_installed NULL = this build's version; software_available:
   * the versions this router may download (answer to the version check). */
  int asset_mode;
  uint16_t asset_port_pub, asset_port_req;
  const char *asset_id;
  const char *software_installed;
  const char *software_available[RASSET_MAX_AVAILABLE];
  int n_software_available;
  cglue_log_fn log;
  void *log_data;
} rtr_opts;

int rtr_new(rtr **pr, uv_loop_t *loop, const rtr_opts *o, char *err,
            size_t errcap);
/* Raises an alarm (journaled before return).  |*num| gets its number.
 * Returns 0 or a CONDUCTOR_ERR_*. */
int rtr_raise(rtr *r, uint8_t severity, const char *source,
              const char *category, const char *message, uint32_t *num);
int rtr_clear(rtr *r, uint32_t num, uint8_t severity, const char *source,
              const char *category, const char *message);
/* Dynamic peer update: this router node's waypoint address in
 * |neighborhood| (on our interface |interface|) is |address| (4 or 16
 * bytes, |family| 4 or 6), |port|.  Reported (ADDRESS) to every conductor
 * node now if its link is up (IPC version 5 or later), and again after
 * every reconnect; a later call for the same neighborhood replaces it.
 * Returns 0, CONDUCTOR_ERR_INVALID_ARGUMENT (a bad name, family or port)
 * or CONDUCTOR_ERR_NOBUF (more than RTR_MAX_ADDRESSES neighborhoods). */
#define RTR_MAX_ADDRESSES 64
int rtr_set_address(rtr *r, const char *neighborhood, const char *interface,
                    int family, const uint8_t *address, uint16_t port);
/* Largest outbox over the conductors (0 = everything acknowledged). */
size_t rtr_pending(const rtr *r);
/* Next sequence number (alarms raised so far + 1). */
uint64_t rtr_next_seq(const rtr *r);
/* Conductor links up (HELLO answered). */
int rtr_links_up(const rtr *r);
/* Asset channels up (both connections to a conductor node answered). */
int rtr_assets_up(const rtr *r);
/* The forwarded-byte counter, for the entitlement meter. */
void rtr_set_forwarded_bytes(rtr *r, uint64_t bytes_total);
/* Repository check state of conductor link |idx| (docs/libconductor.md
 * 2.8).  Returns 0, or -1 when checks are off or |idx| is out of range. */
typedef struct rtr_repo_info {
  const char *source;   /* "conductor-only" / "prefer-conductor" */
  char conductor[300];  /* the conductor node (name, else host:port) */
  const char *status;   /* "reachable", "unreachable", "pending" */
  char reason[CONDUCTOR_TEXT_MAX]; /* why unreachable ("" otherwise) */
  char repository[CONDUCTOR_ADMIN_NAME_MAX]; /* what the node hosts */
  uint64_t latency_ns;  /* of the last answered check */
  uint64_t last_check_ns; /* Unix ns (0: none yet) */
  uint64_t checks, failures, bytes_sent;
} rtr_repo_info;
int rtr_repo_status(const rtr *r, int idx, rtr_repo_info *out);
int rtr_n_conductors(const rtr *r);

/* Closes the handles (on the next loop turn); then rtr_del. */
void rtr_stop(rtr *r);
void rtr_del(rtr *r);

/* ---- conductor-side administration relay (conductor_admin.c) ---------- */

/* The SSH user name of an administrator's connection (any other user name
 * is a router's). */
#define CADM_SSH_USER "svr-admin"

typedef struct cadm cadm;
typedef struct cadm_opts {
  const char *admin_keys; /* authorized_keys file; NULL: no administrator */
  /* A connected router node of |router| (|node| NULL: any) speaking IPC
   * version 6 or later if there is one; its node name and version. */
  void *(*find)(const char *router, const char *node, char *node_out,
                uint16_t *version, void *ud);
  void (*send)(void *link, const uint8_t *frame, size_t len, void *ud);
  uint64_t (*now)(void *ud); /* monotonic ns */
  void *ud;
  cglue_log_fn log;
  void *log_data;
} cadm_opts;
int cadm_new(cadm **pa, const cadm_opts *o);
void cadm_del(cadm *a);
/* 0 and the administrator's name if |key_b64| is listed, else -1. */
int cadm_authorize(cadm *a, const char *key_b64, char *name, size_t cap);
void cadm_on_admin_frame(cadm *a, void *admin, const char *admin_name,
                         const char *admin_peer, const uint8_t *f,
                         size_t len);
/* An administration frame from a router link: relayed.  Returns 0 or a
 * CONDUCTOR_ERR_* (answer ERROR). */
int cadm_on_router_frame(cadm *a, void *link, const uint8_t *f, size_t len);
/* A connection (administrator's or router's) is gone. */
void cadm_link_down(cadm *a, void *link);

/* ---- router-side administration (conductor_radmin.c, used by rtr) ------ */

typedef struct radmin radmin;
typedef struct radmin_opts {
  const char *log_dir;
  int no_remote_login;
  const char *shell;
  uint64_t drop_after;
  /* Sends one frame on conductor link |idx| (< 0: gone); returns 0 or < 0
   * when the link failed. */
  int (*send)(int idx, const conductor_admin *m, void *ud);
  /* Test hook: drop link |idx| now. */
  void (*drop)(int idx, const char *why, void *ud);
  void *ud;
  cglue_log_fn log;
  void *log_data;
} radmin_opts;
int radmin_new(radmin **pra, uv_loop_t *loop, const radmin_opts *o);
/* An administration frame (conductor_admin_type()) from link |idx|. */
void radmin_on_frame(radmin *ra, int idx, const char *peer_node,
                     const uint8_t *f, size_t len);
/* Link |idx| went down: its shells are hung up. */
void radmin_link_down(radmin *ra, int idx);
void radmin_stop(radmin *ra);
void radmin_del(radmin *ra);

#endif /* CONDUCTOR_GLUE_H */
