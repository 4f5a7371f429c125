/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router's state shared by its modules: the types (struct rt, rt_path,
 * rt_peer, alarms, keys) and rt_log.  Each module's functions are in its
 * own header (router_alarm.h, router_fwd.h...); which module may include
 * which is in docs/architecture.md ("svr-router's modules") and checked by
 * tests/router_layers_check.sh.
 */
#ifndef SVR_ROUTER_H
#define SVR_ROUTER_H

#include <stdarg.h>
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
#include "router_log.h"

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
  const struct rt_ctl_peers *ctl_peers; /* the daemon's rows for it */
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

/* Logs one line tagged with the router's name (router_log.c). */
static inline void rt_log(rt *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void rt_log(rt *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rt_logv(r->cfg && r->cfg->router[0] ? r->cfg->router : "-", fmt, ap);
  va_end(ap);
}

#endif /* SVR_ROUTER_H */
