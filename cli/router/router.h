/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router internals shared by its source files.
 */
#ifndef SVR_ROUTER_H
#define SVR_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include <svrbfd/svrbfd.h>
#include <svrbfd/svrbfd_pq.h>
#include <svrfwd/svrfwd.h>
#include <svrfwdet/svrfwdet.h>
#include <svrpmtu/svrpmtu.h>
#include <uv.h>

#include "router_conf.h"
#include "router_hash.h"
#include "svr_heap.h"
#include "conductor_glue.h"
#include "fwdet_glue.h"
#include "router_fmt.h"

/* the suite's exit status table (docs/cli.md, cli/common/svr_cli.h) */
#define RT_EXIT_OK 0
#define RT_EXIT_USAGE 2      /* bad command line or configuration */
#define RT_EXIT_PERMISSION 4 /* the control socket is not accessible */
#define RT_EXIT_FAIL 5       /* system error: bind, daemon not reachable */

typedef struct rt rt;

#define RT_ALARM_SOURCE_MAX 160
#define RT_ALARM_MESSAGE_MAX 128

/* One alarm this router raised (router_alarm.c). */
typedef struct rt_alarm {
  int active;
  uint32_t num; /* the conductor's sequence number, or a local count */
  uint8_t sev;  /* conductor_severity */
  char category[16]; /* "peer", "platform" */
  char source[RT_ALARM_SOURCE_MAX];
  char message[RT_ALARM_MESSAGE_MAX];
} rt_alarm;

/* One peer path = one adjacency: a BFD session with its echo engine. */
typedef struct rt_path {
  rc_adjacency adj;
  rt *r;
  svrbfd_session *s;     /* NULL when BFD is disabled for the adjacency */
  svrbfd_tstamp up_at;   /* reported up since (0 = not up) */
  svrbfd_tstamp state_at; /* BFD state entered at (path created: its start) */
  uint64_t logged_bursts;
  int keep;              /* reload bookkeeping */
  int retiring;          /* removed by a reload: AdminDown being sent */
  svrpmtu_path *pm;      /* PMTU discovery while the path is up, else NULL */
  uint16_t pmtu_logged;  /* last result logged */
  int pmtu_alarm;        /* "path MTU is unresolvable" raised */
  svrfwdet_path *fp;     /* UDP-transform detection while up, else NULL */
  /* allocated while raised (a head end has thousands of paths, few of
   * them with an alarm: 632 bytes per path otherwise) */
  rt_alarm *a_down;      /* "Peer <name> path is down" */
  rt_alarm *a_mtu;       /* "Peer <name> path MTU is unresolvable" */
  svrfwd_peer *fpeer;    /* data plane (router_fwd.c), NULL = not forwarding */
  uint32_t fwd_pmtu;     /* PMTU discovery's result, 0 = none yet */
  uint32_t fwd_ifmtu;    /* MTU of the interface with our waypoint */
  /* head-end scale (docs/scale.md section 3) */
  size_t peer_idx;       /* r->peers entry of adj.peer */
  struct rt_path *next_same_peer; /* the other paths to that router */
  svr_heap_node pm_start, fw_start; /* staggered first PMTU search and
                                       detector burst (r->pm_starts,
                                       r->fw_starts) */
} rt_path;

/* One peer router: its "Peer <name> is not reachable" alarm and its paths
 * (router_alarm.c).  Entries outlive reloads, so an alarm raised before a
 * reload is cleared by the same entry after it. */
typedef struct rt_peer {
  char name[RC_NAME_MAX];
  rt_alarm *a;    /* "Peer <name> is not reachable", while raised */
  rt_path *first; /* chained by next_same_peer; rebuilt by every apply */
} rt_peer;

struct rt_fwd;

/* Keys the conductor pushed (router_keys.c, docs/svr-router.md "Keys from
 * the conductor"): per peer router, the newest installed and the active
 * rekey index (0 = none: the configured security-key is in use). */
typedef struct rt_key_peer {
  char peer[RC_NAME_MAX];
  uint32_t installed;
  uint32_t active;
} rt_key_peer;

typedef struct rt_keys {
  rt_key_peer peers[RC_MAX_ADJACENCIES];
  size_t n;
  uint64_t changes;      /* activations of a new index */
  uint64_t errors;       /* KEYs that could not be done */
  uint64_t last_rekey_ns; /* Unix ns of the last activation, 0 = never */
  uint64_t interval_ns;  /* the conductor's rekey interval, 0 = never */
  char last_error[CONDUCTOR_TEXT_MAX];
  rt_alarm alarm;        /* platform/critical "Security Rekey failed for:" */
} rt_keys;

/* Data-plane security ID of the conductor's rekey index |i|: above the
 * IDs a configuration uses, so that index 1 never replaces the configured
 * key while it is active. */
#define RT_CND_KEY_BASE 0x10000u

struct rt {
  uv_loop_t *loop;
  rc_config *cfg;
  char cfg_path[256];
  svrbfd_ctx *ctx;
  struct bfd_uv *glue;
  rt_path **paths;       /* n_paths of them, in configuration order */
  size_t n_paths, cap_paths;
  rh_index by_remote;    /* paths by remote address (PMTU probes) */
  rh_index by_identity;  /* paths by local + remote (reload matching) */
  svr_heap pm_starts, fw_starts; /* staggered starts, one timer */
  uv_timer_t start_timer;
  int start_timer_init;
  int if_mtu[RC_MAX_INTERFACES];        /* cached interface MTU, 0 = none */
  uint64_t if_mtu_at[RC_MAX_INTERFACES]; /* when read (ns) */
  size_t kept;           /* paths kept by the last reload */
  uv_signal_t sig_term, sig_int, sig_hup, sig_pipe;
  uv_timer_t verbose_timer;
  svrpmtu_ctx *pmtu;     /* one PMTU context for every peer path */
  uv_timer_t pmtu_timer; /* its one deadline */
  int pmtu_timer_init;
  svrfwdet_ctx *fw;      /* firewall detector; NULL = unavailable */
  fwdet_glue fw4, fw6;   /* raw senders (fw4 also owns the tap and nft) */
  char fw_why[64];       /* why unavailable: "no CAP_NET_RAW" */
  uv_timer_t fw_timer;
  uv_poll_t fw_poll;
  int fw_timer_init, fw_poll_init;
  int fw_inited;         /* rt_fw_init() ran: fw4/fw6 fds are valid or -1 */
  struct svr_ctl *ctl;   /* the control socket (router_ctl.c), or NULL */
  rtr *cnd;              /* conductor link; NULL = alarms only logged */
  struct rt_fwd *fwd;    /* data plane; NULL = forwarding disabled */
  uint32_t local_alarms; /* alarm numbers without a conductor */
  rt_keys keys;          /* keys pushed by the conductor */
  struct rt_dpu *dpu;    /* dynamic peer update (router_dpu.c) */
  rt_peer *peers;        /* every peer router named since the start */
  size_t n_peers, cap_peers;
  rh_index peer_index;   /* peers by name */
  int verbose;
  int stopping;
};

/* router_daemon.c */
int rt_run(const char *cfg_path, int verbose);
/* Makes |c| the running configuration as a SIGHUP reload does (unchanged
 * adjacencies keep their session, changed ones are replaced).  Takes |c|
 * on success; on failure nothing changed and |err| says why. */
int rt_apply(rt *r, rc_config *c, char *err, size_t errlen);
/* `show peers [detail]`: the table or the JSON object of every path. */
void rt_show_peers(rt *r, rf_buf *b, int json, int detail);
/* The BFD sessions as FRR bfdd's 'show bfd peers json' (an array; paths
 * with BFD disabled are left out). */
void rt_frr_json(rt *r, rf_buf *b);
void rt_log(rt *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* router_fwdet.c: UDP transform detection (libsvrfwdet). */
int rt_fw_init(rt *r, const rc_config *c);
void rt_fw_start(rt *r, rt_path *p);
void rt_fw_stop(rt *r, rt_path *p);
void rt_fw_kick(rt *r);
/* 1 when the datagram was the detector's (consumed). */
int rt_fw_ctrl(rt *r, const svrbfd_path *path, const uint8_t *pkt, size_t len,
               svrbfd_tstamp now);
void rt_fw_close(rt *r); /* libuv handles */
void rt_fw_free(rt *r);  /* context, sockets, nft table */
size_t rt_ut_rows(rt *r, rf_ut_row *rows, size_t max);

/* router_alarm.c: peer alarms, logged and sent to the conductor. */
int rt_alarm_init(rt *r, char *err, size_t errlen); /* after the config */
void rt_alarm_path(rt *r, rt_path *p, int up);      /* path status */
void rt_alarm_pmtu(rt *r, rt_path *p, int unresolvable);
void rt_alarm_retire(rt *r, rt_path *p);            /* adjacency removed */
/* Links every path to its peer entry (created on first use); after each
 * change of r->paths.  0 or -1 (out of memory). */
int rt_alarm_link_peers(rt *r);
/* `show alarms [json]`: the active ones and the conductor link. */
void rt_alarm_show(rt *r, rf_buf *b, int json);
void rt_repo_show(rt *r, rf_buf *b, int json);
/* Any alarm (category "peer", "platform"...): raised once until cleared. */
void rt_alarm_raise(rt *r, rt_alarm *a, uint8_t sev, const char *category,
                    const char *source, const char *message);
void rt_alarm_clear(rt *r, rt_alarm *a);

/* router_keys.c: keys pushed by the conductor (KEY -> rt_fwd_key_op). */
void rt_keys_on_key(int idx, const conductor_msg *key, conductor_msg *ack,
                    void *rt_ptr);
/* `show security key-status [json]`. */
void rt_keys_show(rt *r, rf_buf *b, int json);
void rt_alarm_stop(rt *r); /* libuv handles */
void rt_alarm_free(rt *r);

/* router_fwd.c: the data plane (libsvrfwd on a TUN and a TAP device). */
int rt_fwd_init(rt *r, char *err, size_t errlen); /* after the paths exist */
void rt_fwd_path_add(rt *r, rt_path *p);            /* a path was created */
void rt_fwd_path_del(rt *r, rt_path *p);            /* before it is freed */
void rt_fwd_path_status(rt *r, rt_path *p, int up); /* BFD up/down */
void rt_fwd_path_mtu(rt *r, rt_path *p, uint16_t pmtu);
void rt_fwd_transform(rt *r, rt_path *p, int on);  /* detector verdict */
uint64_t rt_fwd_bytes(rt *r);
/* Installs (|hex| not NULL) or activates key |id| on every path to router
 * |peer| (a rekey without loss: add on both routers, then activate).
 * Returns 0 or -1; |msg| says what was done or why not (never the key). */
int rt_fwd_key(rt *r, const char *peer, const char *id, const char *hex,
               char *msg, size_t msglen);
/* The same with binary key material and |op| RT_KEY_ADD (key, keylen),
 * RT_KEY_ACTIVATE or RT_KEY_REMOVE (svrfwd_peer_key_remove): the conductor
 * path (router_keys.c). */
enum { RT_KEY_ADD = 1, RT_KEY_ACTIVATE = 2, RT_KEY_REMOVE = 3 };
int rt_fwd_key_op(rt *r, const char *peer, uint32_t id, int op,
                  const uint8_t *key, size_t keylen, char *msg, size_t msglen);
void rt_fwd_show_sessions(rt *r, rf_buf *b, int json);
void rt_fwd_show_stats(rt *r, rf_buf *b, int json);
void rt_fwd_close(rt *r); /* libuv handles */
void rt_fwd_free(rt *r);  /* context, devices, rules, routes, nft */

/* router_dpu.c: dynamic peer update (docs/svr-router.md). */
void rt_dpu_prestart(rc_config *c); /* before the first bind */
int rt_dpu_init(rt *r, char *err, size_t errlen); /* rtnetlink watch */
void rt_dpu_report(rt *r);          /* our learned addresses -> conductor */
void rt_dpu_patch(rt *r, rc_config *c); /* re-apply overrides (SIGHUP) */
void rt_dpu_on_peer(int idx, const conductor_msg *m, void *rt_ptr);
int rt_dpu_dump_request(int fd);
void rt_dpu_close(rt *r); /* libuv handles */
void rt_dpu_free(rt *r);

/* Fills an empty control_socket with /run/svr-router-ROUTER.sock. */
void rt_default_socket(rc_config *c);

/* router_ctl.c: the control socket (Unix domain, mode 0660). */
int rt_ctl_listen(rt *r, const char *path, char *err, size_t errlen);
void rt_ctl_close(rt *r);
/* Client side: sends |cmd|, prints the answer; returns an exit code. */
int rt_ctl_request(const char *path, const char *cmd);

#endif /* SVR_ROUTER_H */
