/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-budget: the management-plane bandwidth a deployment of svr-routers and
 * their conductor uses in steady state, per channel, per router WAN link and
 * per conductor node (docs/svr-budget.md).
 *
 * Input: the routers' own config files (svr-router's parser,
 * cli/router/router_conf.c), or a what-if description given by flags that
 * is written as such a config file and parsed by the same parser, so every
 * default comes from where the daemon takes it.
 *
 * Sizes and rates come from the libraries themselves: each distinct peer
 * path is run in virtual time for up to a day between two contexts of
 * libsvrbfd (BFD and echo), libsvrpmtu and libsvrfwdet configured as
 * svr-router configures them (router_daemon.c path_new/pmtu_start,
 * router_fwdet.c rt_fw_start), and every datagram they hand over is
 * counted with its IP and UDP headers.  The conductor channel's messages
 * are encoded with libconductor's codec and wrapped in the SSH packet and
 * TCP/IP segment model of docs/svr-budget.md, the asset channel's with its
 * asset encoder in TLS 1.3 records.  Channels the suite's
 * daemons do not implement are modelled from the product's published
 * payload sizes and marked "product".
 *
 * Exit: 0 done, 2 usage or a bad config file (docs/cli.md).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <conductor/conductor.h>
#include <svrbfd/svrbfd.h>
#include <svrbfd/svrbfd_pq.h>
#include <svrfwdet/svrfwdet.h>
#include <svrpmtu/svrpmtu.h>

#include "conductor_asset.h"
#include "conductor_glue.h"
#include "router_conf.h"
#include "svr_cli.h"
#include "svr_table.h"

#define DAY 86400.0
#define MAX_CONFIGS 32
#define MAX_LINKS 64
#define MAX_SIMS 64

/* ---- channels ------------------------------------------------------------ */

enum {
  CH_BFD, CH_ECHO, CH_FWDET, CH_PMTU, CH_VERSION, CH_ALARM, CH_ENT,
  CH_SALT_KA, CH_ASSET_KA, CH_KEYS, CH_SHELL, CH_LOG, CH_REPO, CH_PROXY,
  CH_SSH_KA, CH_DPU, NCH
};

typedef struct chan {
  const char *name;
  const char *dir;  /* as the product documents it */
  const char *port;
  int conductor;    /* 1: a router <-> conductor channel */
  int suite;        /* 1: svr-suite's daemons send it; 0: product model */
} chan;

static const chan chans[NCH] = {
  {"bfd-async", "bidir", "1280/udp", 0, 1},
  {"bfd-echo", "bidir", "1280/udp", 0, 1},
  {"fw-detector", "bidir", "1280/udp+1280,1283/tcp", 0, 1},
  {"path-mtu", "bidir", "1280/udp", 0, 1},
  {"version-check", "cond->router", "4506/tcp", 1, 0},
  {"alarms", "router->cond", "930/tcp", 1, 1},
  {"entitlement", "router->cond", "930/tcp", 1, 1},
  {"4505-keepalive", "router->cond", "4505/tcp", 1, 0},
  {"asset-keepalive", "bidir", "4506/tcp", 1, 0},
  {"key-exchange", "cond->router", "930/tcp", 1, 1},
  {"shell-keepalive", "bidir", "930/tcp", 1, 0},
  {"log-keepalive", "bidir", "930/tcp", 1, 0},
  {"repo-keepalive", "bidir", "930/tcp", 1, 0},
  {"proxy-keepalive", "bidir", "930/tcp", 1, 0},
  {"ssh-keepalive", "bidir", "930/tcp", 1, 1},
  {"dpu", "bidir", "930/tcp", 1, 1},
};

/* What one party (a router node's WAN link, a conductor node) sends and
 * receives per day on one channel.  An event is one datagram (UDP, raw IP)
 * or one message (TCP: its segment; the TCP ACKs it causes are counted in
 * bytes, not as events). */
typedef struct flow {
  double ev_out, ev_in;
  double b_out, b_in;
  double ack_out, ack_in; /* of b_out, b_in: TCP pure ACKs */
  /* TCP channels: the IP lengths of the segments with data that the
   * model sends out [0] and in [1] (--json "segments") */
  double seg[2][8];
  int nseg[2];
} flow;

static void note_seg(flow *f, int in, double len) {
  int i;
  for (i = 0; i < f->nseg[in]; i++) {
    if (f->seg[in][i] == len) return;
  }
  if (f->nseg[in] < 8) f->seg[in][f->nseg[in]++] = len;
}

typedef struct table {
  flow f[NCH];
  int off[NCH];   /* channel not in use by this configuration */
  int suite[NCH]; /* a product channel that svr-suite runs here */
  int nkey_elements; /* security elements rekeyed (key-exchange) */
} table;

/* ---- options ------------------------------------------------------------- */

typedef struct opts {
  int json;
  int suite_only;
  const char *profile;  /* NULL: as configured */
  const char *compare;  /* NULL: no comparison */
  /* what-if */
  int routers, nodes, peers, cnodes, hubs, family, mtu;
  int topo_hub;         /* hub-and-spoke instead of mesh */
  char bfd_lines[2048]; /* router-level keys from flags */
  /* conductor */
  unsigned ka_cond_s;   /* svr-conductor run --keepalive-interval */
  double rekey_s;       /* 0 = never */
  const char *elements; /* --security-elements: NULL = one per peer router */
  double alarms_day, addr_changes_day;
  unsigned chan_on;     /* bits of the optional product channels */
  int cipher;           /* SSH cipher model */
} opts;

enum { OPT_SHELL = 1, OPT_LOG = 2, OPT_REPO = 4, OPT_PROXY = 8, OPT_ASSET = 16,
       OPT_VERSION = 32 };
enum { CIPHER_CHACHA = 0, CIPHER_GCM = 1, CIPHER_CTR_HMAC = 2 };

/* ---- deterministic randomness for the simulations ------------------------ */

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
  uint64_t x = r->s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return r->s = x;
}

static void rng_fill(uint8_t *d, size_t n, void *ud) {
  rng *r = ud;
  size_t i;
  for (i = 0; i < n; i++) {
    d[i] = (uint8_t)(rng_next(r) >> 24);
  }
}

/* ---- peer-path simulation ------------------------------------------------ */

/* One side of a peer path as svr-router runs it. */
typedef struct side {
  const char *router, *node;
  rc_bfd bfd;
  rc_topology topo;
  svrbfd_addr addr; /* its waypoint address, .port its peer-path port */
} side;

/* Per channel, what side 0 sends (tx) over the counted window. */
typedef struct simres {
  double pkts[2][NCH]; /* [side] */
  double bytes[2][NCH];
  double secs;         /* counted window */
} simres;

static unsigned ip_udp_hdr(int family) { return family == 6 ? 48u : 28u; }

static void bfd_session_cfg(svrbfd_session_config *sc, const side *me,
                            const side *peer) {
  /* as router_daemon.c path_new() */
  svrbfd_session_config_default(sc);
  sc->local = me->addr;
  sc->remote = peer->addr;
  sc->mode = SVRBFD_MODE_SVR;
  sc->desired_min_tx_us = me->bfd.desired_tx_ms * 1000u;
  sc->required_min_rx_us = me->bfd.required_min_rx_ms * 1000u;
  sc->required_min_echo_rx_us = me->bfd.required_min_echo_ms * 1000u;
  sc->detect_mult = (uint8_t)me->bfd.multiplier;
  sc->hold_down_ns = (svrbfd_duration)me->bfd.hold_down_ms * SVRBFD_MILLISECONDS;
  sc->demand = me->topo == RC_SPOKE;
  if (me->bfd.auth_type != RC_AUTH_NONE) {
    size_t kl = strlen(me->bfd.auth_key);
    sc->auth.type = me->bfd.auth_type == RC_AUTH_SIMPLE
                        ? SVRBFD_AUTH_SIMPLE
                        : SVRBFD_AUTH_HMAC_SHA256;
    sc->auth.key_id = 1;
    sc->auth.key_len = (uint8_t)kl;
    memcpy(sc->auth.key, me->bfd.auth_key, kl);
  }
  sc->damping = (uint8_t)me->bfd.damping;
  sc->damping_max_ns = (svrbfd_duration)me->bfd.max_hold_down_s * SVRBFD_SECONDS;
}

/* BFD asynchronous and echo between two libsvrbfd contexts. */
static int sim_bfd(const side sd[2], double warm_s, double count_s,
                   simres *res) {
  svrbfd_ctx *ctx[2] = {NULL, NULL};
  svrbfd_session *ss[2] = {NULL, NULL};
  svrbfd_callbacks cb;
  svrbfd_settings st;
  rng rg[2] = {{0x9e3779b97f4a7c15ull}, {0xbf58476d1ce4e5b9ull}};
  static uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_tstamp now = 1, end, t0 = 0;
  int i, rc = 0, up_seen = 0;
  memset(&cb, 0, sizeof cb);
  cb.rand = rng_fill;
  for (i = 0; i < 2; i++) {
    svrbfd_session_config sc;
    svrbfd_pq_settings ps;
    svrbfd_settings_default(&st);
    st.router_name = sd[i].router;
    st.node_name = sd[i].node;
    if (svrbfd_ctx_new(&ctx[i], &cb, &st, NULL, &rg[i]) != 0) {
      rc = -1;
      goto out;
    }
    bfd_session_cfg(&sc, &sd[i], &sd[!i]);
    if (svrbfd_session_new(ctx[i], &ss[i], &sc, NULL, now) != 0) {
      rc = -1;
      goto out;
    }
    svrbfd_pq_settings_default(&ps);
    ps.link_test_interval_ns =
        (svrbfd_duration)sd[i].bfd.link_test_interval_s * SVRBFD_SECONDS;
    ps.link_test_length = (uint8_t)sd[i].bfd.link_test_length;
    (void)svrbfd_session_set_link_test(ss[i], &ps, now);
  }
  /* run until both report Up, then warm_s more, then count count_s */
  end = (svrbfd_tstamp)(3600.0 * 1e9); /* give up on Up after an hour */
  for (;;) {
    int moved;
    do {
      moved = 0;
      for (i = 0; i < 2; i++) {
        svrbfd_path p;
        svrbfd_ssize n = svrbfd_ctx_write_pkt(ctx[i], &p, buf, sizeof buf, now);
        if (n > 0) {
          svrbfd_path q;
          svrbfd_pq_echo e;
          moved = 1;
          if (t0 && now >= t0) {
            int ch = svrbfd_pq_echo_decode(&e, buf, (size_t)n) == 0 ? CH_ECHO
                                                                     : CH_BFD;
            res->pkts[i][ch] += 1;
            res->bytes[i][ch] += (double)n + ip_udp_hdr(p.remote.family);
          }
          q.local = p.remote;
          q.remote = p.local;
          q.ttl = p.ttl;
          (void)svrbfd_ctx_read_pkt(ctx[!i], &q, buf, (size_t)n, now);
        }
      }
    } while (moved);
    if (!t0) {
      svrbfd_session_info a, b;
      svrbfd_session_get_info(ss[0], &a);
      svrbfd_session_get_info(ss[1], &b);
      if (a.up && b.up && !up_seen) {
        up_seen = 1;
        t0 = now + (svrbfd_tstamp)(warm_s * 1e9);
        end = t0 + (svrbfd_tstamp)(count_s * 1e9);
      }
    }
    {
      svrbfd_tstamp e0 = svrbfd_ctx_get_expiry(ctx[0]);
      svrbfd_tstamp e1 = svrbfd_ctx_get_expiry(ctx[1]);
      svrbfd_tstamp nx = e0 < e1 ? e0 : e1;
      if (nx < now) {
        nx = now;
      }
      if (nx > end) {
        break;
      }
      now = nx;
    }
    for (i = 0; i < 2; i++) {
      if (svrbfd_ctx_handle_expiry(ctx[i], now) != 0) {
        rc = -1;
        goto out;
      }
    }
  }
  if (!up_seen) {
    rc = -1;
  }
  res->secs = count_s;
out:
  for (i = 0; i < 2; i++) {
    svrbfd_ctx_del(ctx[i]);
  }
  return rc;
}

static void pm_addr(svrpmtu_addr *o, const svrbfd_addr *a) {
  memset(o, 0, sizeof *o);
  o->family = a->family;
  o->port = a->port;
  memcpy(o->addr, a->addr, sizeof o->addr);
}

/* Path MTU discovery: each side probes the other, as pmtu_start(). */
static int sim_pmtu(const side sd[2], int mtu, double warm_s, double count_s,
                    simres *res) {
  svrpmtu_ctx *ctx[2] = {NULL, NULL};
  svrpmtu_callbacks cb;
  rng rg[2] = {{0x94d049bb133111ebull}, {0x2545f4914f6cdd1dull}};
  static uint8_t buf[SVRPMTU_MAX_PKT_LEN];
  svrpmtu_tstamp now = 1, t0, end;
  int i, rc = 0;
  memset(&cb, 0, sizeof cb);
  cb.rand = rng_fill;
  for (i = 0; i < 2; i++) {
    svrpmtu_path_config pc;
    svrpmtu_path *p;
    if (svrpmtu_ctx_new(&ctx[i], &cb, NULL, NULL, &rg[i]) != 0) {
      rc = -1;
      goto out;
    }
    if (!sd[i].bfd.pmtu_enabled) {
      continue;
    }
    svrpmtu_path_config_default(&pc, sd[i].addr.family);
    pm_addr(&pc.remote, &sd[!i].addr);
    pc.interval_ns = (svrpmtu_duration)sd[i].bfd.pmtu_interval_s * SVRPMTU_SECONDS;
    pc.confirm_interval_ns =
        (svrpmtu_duration)sd[i].bfd.pmtu_confirm_s * SVRPMTU_SECONDS;
    if (mtu < pc.max_mtu) { /* the glue's cap: the local interface MTU */
      pc.max_mtu = mtu < pc.base_mtu ? pc.base_mtu : (uint16_t)mtu;
    }
    if (svrpmtu_path_new(ctx[i], &p, &pc, NULL, now) != 0) {
      rc = -1;
      goto out;
    }
  }
  t0 = now + (svrpmtu_tstamp)(warm_s * 1e9);
  end = t0 + (svrpmtu_tstamp)(count_s * 1e9);
  for (;;) {
    int moved;
    do {
      moved = 0;
      for (i = 0; i < 2; i++) {
        svrpmtu_addr to, from;
        svrpmtu_ssize n = svrpmtu_ctx_write_pkt(ctx[i], &to, buf, sizeof buf, now);
        unsigned hdr = ip_udp_hdr(sd[i].addr.family);
        if (n > 0) {
          moved = 1;
          if (now >= t0) {
            res->pkts[i][CH_PMTU] += 1;
            res->bytes[i][CH_PMTU] += (double)n + hdr;
          }
          if ((int)((unsigned)n + hdr) > mtu) {
            continue; /* DF: lost on the path */
          }
          pm_addr(&from, &sd[i].addr);
          (void)svrpmtu_ctx_read_pkt(ctx[!i], &from, buf, (size_t)n, now);
        }
      }
    } while (moved);
    {
      svrpmtu_tstamp e0 = svrpmtu_ctx_get_expiry(ctx[0]);
      svrpmtu_tstamp e1 = svrpmtu_ctx_get_expiry(ctx[1]);
      svrpmtu_tstamp nx = e0 < e1 ? e0 : e1;
      if (nx < now) {
        nx = now;
      }
      if (nx > end) {
        break;
      }
      now = nx;
    }
    for (i = 0; i < 2; i++) {
      if (svrpmtu_ctx_handle_expiry(ctx[i], now) != 0) {
        rc = -1;
        goto out;
      }
    }
  }
out:
  for (i = 0; i < 2; i++) {
    svrpmtu_ctx_del(ctx[i]);
  }
  return rc;
}

static void fw_addr(svrfwdet_addr *o, const svrbfd_addr *a) {
  memset(o, 0, sizeof *o);
  o->family = a->family;
  o->port = a->port;
  memcpy(o->addr, a->addr, sizeof o->addr);
}

/* Firewall detector: each side's path to the other, as rt_fw_start(). */
static int sim_fwdet(const side sd[2], int mtu, double warm_s, double count_s,
                     simres *res) {
  svrfwdet_ctx *ctx[2] = {NULL, NULL};
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  rng rg[2] = {{0x853c49e6748fea9bull}, {0xda3e39cb94b95bdbull}};
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_tstamp now = 1, t0, end;
  int i, rc = 0;
  memset(&cb, 0, sizeof cb);
  cb.rand = rng_fill;
  for (i = 0; i < 2; i++) {
    svrfwdet_path_config pc;
    svrfwdet_path *p;
    svrfwdet_settings_default(&st);
    st.router_name = sd[i].router;
    st.node_name = sd[i].node;
    st.respond = 1;
    if (svrfwdet_ctx_new(&ctx[i], &cb, &st, NULL, &rg[i]) != 0) {
      rc = -1;
      goto out;
    }
    svrfwdet_path_config_default(&pc);
    fw_addr(&pc.local, &sd[i].addr);
    fw_addr(&pc.remote, &sd[!i].addr);
    pc.mode = (svrfwdet_mode)sd[i].bfd.ut_mode;
    pc.detect_interval_s = sd[i].bfd.ut_interval_s;
    if (svrfwdet_path_new(ctx[i], &p, &pc, NULL, now) != 0) {
      rc = -1;
      goto out;
    }
  }
  (void)mtu; /* svr-router leaves the detector's MTU at its default */
  t0 = now + (svrfwdet_tstamp)(warm_s * 1e9);
  end = t0 + (svrfwdet_tstamp)(count_s * 1e9);
  for (;;) {
    int moved;
    do {
      moved = 0;
      for (i = 0; i < 2; i++) {
        svrfwdet_out o;
        svrfwdet_ssize n = svrfwdet_ctx_write_pkt(ctx[i], &o, buf, sizeof buf, now);
        if (n > 0) {
          double b = o.type == SVRFWDET_OUT_UDP
                         ? (double)n + ip_udp_hdr(sd[i].addr.family)
                         : (double)n;
          moved = 1;
          if (now >= t0) {
            res->pkts[i][CH_FWDET] += 1;
            res->bytes[i][CH_FWDET] += b;
          }
          if (o.type == SVRFWDET_OUT_UDP) {
            (void)svrfwdet_ctx_read_ctrl(ctx[!i], &o.src, &o.dst, buf,
                                         (size_t)n, now);
          } else {
            (void)svrfwdet_ctx_read_ip(ctx[!i], buf, (size_t)n, now);
          }
        }
      }
    } while (moved);
    {
      svrfwdet_tstamp e0 = svrfwdet_ctx_get_expiry(ctx[0]);
      svrfwdet_tstamp e1 = svrfwdet_ctx_get_expiry(ctx[1]);
      svrfwdet_tstamp nx = e0 < e1 ? e0 : e1;
      if (nx < now) {
        nx = now;
      }
      if (nx > end) {
        break;
      }
      now = nx;
    }
    for (i = 0; i < 2; i++) {
      if (svrfwdet_ctx_handle_expiry(ctx[i], now) != 0) {
        rc = -1;
        goto out;
      }
    }
  }
out:
  for (i = 0; i < 2; i++) {
    svrfwdet_ctx_del(ctx[i]);
  }
  return rc;
}

/* How long to count: a day, or less when the day would take long to run
 * (about 200,000 datagrams), but at least 20 periods of the slowest
 * periodic channel and 10 minutes. */
static double count_window(const side sd[2]) {
  double per = 1, pps = 0, w;
  int i;
  for (i = 0; i < 2; i++) {
    const rc_bfd *b = &sd[i].bfd;
    double tx = (b->desired_tx_ms > sd[!i].bfd.required_min_rx_ms
                     ? b->desired_tx_ms
                     : sd[!i].bfd.required_min_rx_ms) / 1000.0;
    pps += 1.2 / tx;
    if (b->link_test_length) {
      per = fmax(per, b->link_test_interval_s);
      pps += 2.0 * b->link_test_length / b->link_test_interval_s;
    }
    if (b->pmtu_enabled) {
      per = fmax(per, b->pmtu_interval_s);
      pps += 4.0 / (b->pmtu_confirm_s ? b->pmtu_confirm_s : b->pmtu_interval_s);
    }
    if (b->ut_mode == 0) {
      per = fmax(per, b->ut_interval_s);
      pps += 14.0 / b->ut_interval_s;
    }
    per = fmax(per, tx);
  }
  w = DAY;
  if (pps * w > 2e5) {
    w = fmax(fmax(2e5 / pps, 20 * per), 600);
  }
  return fmin(w, fmax(DAY, 20 * per));
}

typedef struct simkey {
  side sd[2];
  int mtu;
} simkey;

typedef struct simcache {
  simkey key;
  simres res;
} simcache;

static simcache sims[MAX_SIMS];
static size_t n_sims;

static int key_eq(const simkey *a, const simkey *b) {
  int i;
  if (a->mtu != b->mtu) return 0;
  for (i = 0; i < 2; i++) {
    const side *x = &a->sd[i], *y = &b->sd[i];
    rc_bfd bx = x->bfd, by = y->bfd;
    bx.set = by.set = 0;
    /* names matter by their length only (the metadata TLVs) */
    if (strlen(x->router) != strlen(y->router) ||
        strlen(x->node) != strlen(y->node) ||
        x->topo != y->topo || x->addr.family != y->addr.family ||
        memcmp(&bx, &by, sizeof bx)) {
      return 0;
    }
  }
  return 1;
}

/* The traffic of one peer path, side 0 = the router whose link we total. */
static int sim_path(const side sd[2], int mtu, simres *out) {
  simkey k;
  size_t i;
  double w, warm;
  memset(&k, 0, sizeof k);
  k.sd[0] = sd[0];
  k.sd[1] = sd[1];
  k.mtu = mtu;
  for (i = 0; i < n_sims; i++) {
    if (key_eq(&sims[i].key, &k)) {
      *out = sims[i].res;
      return 0;
    }
  }
  memset(out, 0, sizeof *out);
  w = count_window(sd);
  warm = 10.0;
  if (sd[0].bfd.enabled && sd[1].bfd.enabled) {
    simres r;
    int c;
    memset(&r, 0, sizeof r);
    if (sim_bfd(sd, warm, w, &r) != 0) {
      return -1;
    }
    for (c = 0; c < 2; c++) {
      out->pkts[c][CH_BFD] = r.pkts[c][CH_BFD] / w * DAY;
      out->bytes[c][CH_BFD] = r.bytes[c][CH_BFD] / w * DAY;
      out->pkts[c][CH_ECHO] = r.pkts[c][CH_ECHO] / w * DAY;
      out->bytes[c][CH_ECHO] = r.bytes[c][CH_ECHO] / w * DAY;
    }
  }
  {
    simres r;
    int c;
    memset(&r, 0, sizeof r);
    if (sim_pmtu(sd, mtu, warm, w, &r) != 0) {
      return -1;
    }
    for (c = 0; c < 2; c++) {
      out->pkts[c][CH_PMTU] = r.pkts[c][CH_PMTU] / w * DAY;
      out->bytes[c][CH_PMTU] = r.bytes[c][CH_PMTU] / w * DAY;
    }
    memset(&r, 0, sizeof r);
    if (sim_fwdet(sd, mtu, warm, w, &r) != 0) {
      return -1;
    }
    for (c = 0; c < 2; c++) {
      out->pkts[c][CH_FWDET] = r.pkts[c][CH_FWDET] / w * DAY;
      out->bytes[c][CH_FWDET] = r.bytes[c][CH_FWDET] / w * DAY;
    }
  }
  out->secs = DAY;
  if (n_sims < MAX_SIMS) {
    sims[n_sims].key = k;
    sims[n_sims].res = *out;
    n_sims++;
  }
  return 0;
}

/* ---- conductor channel: SSH over TCP ------------------------------------- */

/* TCP/IP header of one segment: IP + TCP + the timestamp option (12) that
 * Linux puts in every segment of a connection that negotiated it. */
static double tcp_hdr(int family) { return (family == 6 ? 40 : 20) + 20 + 12; }

/* Bytes of one SSH binary packet (RFC 4253 section 6) carrying |payload|
 * bytes, as libssh pads it for the cipher: chacha20-poly1305@openssh.com
 * (block 8, the 4-byte length not counted in the padding, 16-byte tag),
 * aes-gcm (block 16, length not counted, 16-byte tag), aes-ctr with
 * hmac-sha2-256 (block 16, length counted, 32-byte MAC). */
static double ssh_len(size_t payload, int cipher) {
  size_t block = cipher == CIPHER_CHACHA ? 8 : 16;
  size_t lenf = cipher == CIPHER_CTR_HMAC ? 0 : 4; /* not padded over */
  size_t mac = cipher == CIPHER_CTR_HMAC ? 32 : 16;
  size_t covered = 4 + 1 + payload - lenf;
  size_t pad = block - covered % block;
  if (pad < 4) pad += block;
  return (double)(4 + 1 + payload + pad + mac);
}

/* SSH_MSG_CHANNEL_DATA carrying one IPC frame: type, channel, length. */
static double ipc_ssh(const conductor_msg *m, int cipher) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n = conductor_msg_encode(buf, sizeof buf, m);
  if (n < 0) {
    return 0;
  }
  return ssh_len((size_t)n + 9, cipher);
}

/* keepalive@openssh.com global request (want-reply) and its answer
 * (SSH_MSG_REQUEST_SUCCESS, one byte). */
#define SSH_KA_PAYLOAD (1 + 4 + 21 + 1)
#define SSH_KA_REPLY_PAYLOAD 1

/* Adds |per_day| exchanges: a message of |req| SSH bytes from the router
 * (|from_router|) or the conductor, answered by |rep| SSH bytes (0: no
 * answer, the peer's delayed pure ACK), the requester's pure ACK after the
 * answer. */
static void add_exchange(flow *f, int from_router, double req, double rep,
                         double per_day, int family) {
  double h = tcp_hdr(family);
  double a = req + h + (rep > 0 ? h : 0); /* requester's bytes */
  double b = rep > 0 ? rep + h : h;       /* answerer's bytes */
  double ev_req = per_day, ev_rep = rep > 0 ? per_day : 0;
  double ack_a = rep > 0 ? h : 0, ack_b = rep > 0 ? 0 : h;
  if (per_day > 0) {
    note_seg(f, !from_router, req + h);
    if (rep > 0) note_seg(f, from_router, rep + h);
  }
  if (from_router) {
    f->ack_out += ack_a * per_day;
    f->ack_in += ack_b * per_day;
  } else {
    f->ack_in += ack_a * per_day;
    f->ack_out += ack_b * per_day;
  }
  if (from_router) {
    f->b_out += a * per_day;
    f->b_in += b * per_day;
    f->ev_out += ev_req;
    f->ev_in += ev_rep;
  } else {
    f->b_in += a * per_day;
    f->b_out += b * per_day;
    f->ev_in += ev_req;
    f->ev_out += ev_rep;
  }
}

/* A product channel given by its published payload per message (client =
 * the router, server = the conductor) and interval: one TCP segment each
 * way (a payload of 0: a bare segment, as a TCP keepalive probe and its
 * ACK). */
static void add_product(flow *f, double out_payload, double in_payload,
                        double interval_s, int family) {
  double h = tcp_hdr(family), n = DAY / interval_s;
  f->b_out += (out_payload + h) * n;
  f->b_in += (in_payload + h) * n;
  f->ev_out += n;
  f->ev_in += n;
}

/* ---- asset channel: TLS 1.3 over TCP (4505, 4506) ------------------------ */

/* One asset-channel frame (libconductor's encoder) as the glue writes it:
 * in its own TLS 1.3 record (RFC 8446 section 5.2), 5-byte record header,
 * the frame, the inner content type (1 byte) and the 16-byte AEAD tag of
 * every cipher suite OpenSSL negotiates for TLS 1.3 (AES-GCM,
 * ChaCha20-Poly1305); OpenSSL adds no record padding. */
#define TLS13_RECORD_OVERHEAD (5 + 1 + 16)

static double asset_tls(const casset_msg *m) {
  uint8_t buf[CASSET_MAX_FRAME_LEN];
  conductor_ssize n = casset_encode(buf, sizeof buf, m);
  if (n < 0) {
    return 0;
  }
  return (double)n + TLS13_RECORD_OVERHEAD;
}

/* The port of a 'conductor HOST[:PORT]' line: 930 when none is given. */
static unsigned hostport_port(const char *hp) {
  const char *colon = strrchr(hp, ':');
  const char *close = strrchr(hp, ']');
  if (colon == NULL || (close == NULL && strchr(hp, ':') != colon) ||
      (close != NULL && colon < close)) {
    return CONDUCTOR_PORT;
  }
  return (unsigned)strtoul(colon + 1, NULL, 10);
}

/* How long a Linux timer of |s| seconds really runs when it is re-armed
 * from its own expiry, as TCP's keepalive timer is (kernel/time/timer.c):
 * the timer wheel puts a timer of d jiffies in level L (L = 0 below 63
 * jiffies, else the highest L with d >= 63 * 8^(L-1)) and fires it at the
 * first multiple of that level's granularity (8^L jiffies) after d.  The
 * 10 s keepalive runs 10.24 s and the 20 s one 20.48 s, with HZ 100, 250
 * or 1000 alike (computed here for 250, Debian's). */
static double kernel_timer_s(double s) {
  const double hz = 250;
  uint64_t d = (uint64_t)ceil(s * hz), gran = 1;
  int lvl = 0;
  while (lvl < 8 && d >= (63ull << (3 * lvl))) {
    lvl++;
  }
  if (lvl == 0) {
    return (double)d / hz;
  }
  gran = 1ull << (3 * lvl);
  return (double)((d / gran + 1) * gran) / hz;
}

/* svr-router runs the asset channel to its conductor nodes by default when
 * they listen on 930 (conductor_router.c start_assets), on the ports of
 * conductor-asset-ports PUB,REQ, never with conductor-asset-ports off.  A
 * what-if config names no conductor: the default (930). */
static int asset_on(const rc_config *c) {
  if (c->asset_mode < 0) {
    return 0;
  }
  return c->asset_mode == 1 || c->n_conductors == 0 ||
         hostport_port(c->conductors[0]) == CONDUCTOR_PORT;
}

/* The asset channel of one router node toward one conductor node, at the
 * glue's cadences (conductor_asset_rtr.c, conductor_asset_srv.c):
 *   4505: after HELLO only TCP keepalive probes, the router's after
 *   CASSET_TCP_KA_ROUTER_S idle, the conductor's after
 *   CASSET_TCP_KA_CONDUCTOR_S (each as the kernel's timer runs it,
 *   kernel_timer_s): a bare segment (sequence one before the window, no
 *   data) answered by a bare ACK.  A probe lies outside the receiver's
 *   window and does not restart the receiver's own timer, so both sides
 *   probe at their own interval.
 *   4506: a KEEPALIVE from the router every CASSET_KA_INTERVAL_NS (asset
 *   id "ROUTER.NODE", status running, the installed version), answered by
 *   KEEPALIVE_ACK (sequence and time echoed); the conductor's
 *   VERSION_CHECK every CASSET_VERSION_CHECK_NS, answered by VERSION_LIST
 *   (the installed version and the config's software-available lines).
 * Each message is one TLS record in one TCP segment; the answered side
 * sends the delayed pure ACK of the answer (add_exchange). */
static void asset_flows(table *t, const rc_config *c, int family) {
  casset_msg m;
  double h = tcp_hdr(family), req, rep, n;
  flow *f = &t->f[CH_SALT_KA];
  int i;
  char id[CASSET_NAME_MAX];

  n = DAY / kernel_timer_s(CASSET_TCP_KA_ROUTER_S) +
      DAY / kernel_timer_s(CASSET_TCP_KA_CONDUCTOR_S);
  f->ev_out += n;
  f->ev_in += n;
  f->b_out += h * n;
  f->b_in += h * n;

  snprintf(id, sizeof id, "%.31s.%.31s", c->router, c->node);
  memset(&m, 0, sizeof m);
  m.type = CASSET_MSG_KEEPALIVE;
  m.seq = 1000;
  m.time_ns = 1;
  m.status = CASSET_ST_RUNNING;
  snprintf(m.asset_id, sizeof m.asset_id, "%s", id);
  snprintf(m.installed, sizeof m.installed, "%s", CONDUCTOR_VERSION);
  req = asset_tls(&m);
  memset(&m, 0, sizeof m);
  m.type = CASSET_MSG_KEEPALIVE_ACK;
  m.seq = 1000;
  m.time_ns = 1;
  rep = asset_tls(&m);
  add_exchange(&t->f[CH_ASSET_KA], 1, req, rep,
               DAY / ((double)CASSET_KA_INTERVAL_NS / 1e9), family);

  memset(&m, 0, sizeof m);
  m.type = CASSET_MSG_VERSION_CHECK;
  m.seq = 1;
  req = asset_tls(&m);
  memset(&m, 0, sizeof m);
  m.type = CASSET_MSG_VERSION_LIST;
  m.seq = 1;
  snprintf(m.installed, sizeof m.installed, "%s", CONDUCTOR_VERSION);
  for (i = 0; i < c->n_software_available && i < CASSET_MAX_AVAILABLE; i++) {
    snprintf(m.available[i], sizeof m.available[i], "%s",
             c->software_available[i]);
  }
  m.n_available = (uint8_t)i;
  rep = asset_tls(&m);
  add_exchange(&t->f[CH_VERSION], 0, req, rep,
               DAY / ((double)CASSET_VERSION_CHECK_NS / 1e9), family);
  t->suite[CH_SALT_KA] = t->suite[CH_ASSET_KA] = t->suite[CH_VERSION] = 1;
}

/* SSH keepalives per day of the asking side, in virtual time with
 * libconductor's own keepalive timer (conductor_keepalive_*, as the glue
 * drives it: a keepalive after |ka_s| without an SSH packet from the other
 * side, any packet restarting the wait): its keepalives, answered one
 * round trip (1 ms) later, and the messages it receives from the other
 * channels, each a train of period |per[i]| s starting one period (and
 * 37 ms per train before it: the channels' timers are independent) after
 * the connection.  A message that arrives x seconds into a wait moves
 * every later keepalive x on: a train whose period is a multiple of the
 * interval takes the place of one keepalive per message (the messages
 * then come just before a keepalive would; on a real link the order of
 * the two is a race), another train of fewer (half of one for a period of
 * 2.5 intervals). */
static double ssh_keepalives(double ka_s, const double *per, int n) {
  conductor_keepalive k;
  conductor_tstamp next[NCH], reply = CONDUCTOR_TSTAMP_MAX;
  const conductor_tstamp rtt = CONDUCTOR_MILLISECONDS;
  const conductor_tstamp end = (conductor_tstamp)(DAY * 1e9);
  double sent = 0;
  int i;
  if (conductor_keepalive_init(&k, (conductor_duration)(ka_s * 1e9), 20, 0)) {
    return 0;
  }
  for (i = 0; i < n; i++) { /* independent timers: apart by 37 ms */
    next[i] = (conductor_tstamp)(per[i] * 1e9) + rtt +
              (conductor_tstamp)i * 37 * CONDUCTOR_MILLISECONDS;
  }
  for (;;) {
    conductor_tstamp now = conductor_keepalive_get_expiry(&k);
    if (reply < now) now = reply;
    for (i = 0; i < n; i++) {
      if (next[i] < now) now = next[i];
    }
    if (now > end) {
      break;
    }
    if (reply == now) { /* the answer to our keepalive */
      conductor_keepalive_on_rx(&k, now);
      reply = CONDUCTOR_TSTAMP_MAX;
    }
    for (i = 0; i < n; i++) {
      if (next[i] == now) {
        conductor_keepalive_on_rx(&k, now);
        next[i] += (conductor_tstamp)(per[i] * 1e9);
      }
    }
    if (conductor_keepalive_handle_expiry(&k, now) == CONDUCTOR_KA_SEND) {
      sent += 1;
      reply = now + rtt;
    }
  }
  return sent;
}

/* The security elements of router |c| on the conductor (docs/libconductor.md
 * section 8): --security-elements names them as "A:B" pairs, as
 * svr-conductor security add A B; by default one per peer router of its
 * adjacencies.  Fills |peers| with the other router of each (the KEY's
 * peer field) and returns their number. */
static int key_elements(const rc_config *c, const opts *o,
                        char peers[][RC_NAME_MAX], int cap) {
  int n = 0;
  size_t i;
  if (o->elements == NULL) {
    for (i = 0; i < c->n_adjacencies && n < cap; i++) {
      int j;
      for (j = 0; j < n; j++) {
        if (!strcmp(peers[j], c->adjacencies[i].peer)) break;
      }
      if (j == n) {
        snprintf(peers[n++], RC_NAME_MAX, "%s", c->adjacencies[i].peer);
      }
    }
    return n;
  }
  {
    char tmp[2048], *tok, *save = NULL;
    snprintf(tmp, sizeof tmp, "%s", o->elements);
    for (tok = strtok_r(tmp, ",", &save); tok && n < cap;
         tok = strtok_r(NULL, ",", &save)) {
      char *b = strchr(tok, ':');
      if (b == NULL) continue; /* "none"; checked by elements_arg */
      *b++ = '\0';
      if (!strcmp(tok, c->router)) {
        snprintf(peers[n++], RC_NAME_MAX, "%s", b);
      } else if (!strcmp(b, c->router)) {
        snprintf(peers[n++], RC_NAME_MAX, "%s", tok);
      }
    }
  }
  return n;
}

/* One rekey of a router node's |ne| security elements every |rekey_s|, as
 * the conductor's key manager sends it (conductor_keys.c): the KEY adds of
 * all its elements are queued in one event-loop turn and leave in one
 * SSH_MSG_CHANNEL_DATA; an element is activated, then its old key
 * removed, once both of its routers acknowledged the step, which their
 * answers reach in different turns: one SSH packet per element each (when
 * two elements' acknowledgements complete in the same turn the conductor
 * sends their KEYs in one packet: 52 bytes of TCP/IP and up to 24 of SSH
 * less, so this is an upper bound for more than one element).  The
 * router answers every KEY with a KEY_ACK of its own (one SSH packet and
 * segment each); the conductor's delayed pure ACK follows the last one. */
static void key_flows(flow *f, char peers[][RC_NAME_MAX], int ne,
                      double rekey_s, int cph, int family) {
  static const uint8_t ops[3] = {CONDUCTOR_KEY_ADD, CONDUCTOR_KEY_ACTIVATE,
                                 CONDUCTOR_KEY_REMOVE};
  double h = tcp_hdr(family), per = DAY / rekey_s;
  size_t adds = 0;
  int e, k;
  for (e = 0; e < ne; e++) {
    for (k = 0; k < 3; k++) {
      conductor_msg m;
      uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
      conductor_ssize n;
      double ack;
      memset(&m, 0, sizeof m);
      m.type = CONDUCTOR_MSG_KEY;
      snprintf(m.peer, sizeof m.peer, "%s", peers[e]);
      m.key_index = 2;
      m.key_op = ops[k];
      m.keylen = ops[k] == CONDUCTOR_KEY_ADD ? 32 : 0;
      m.interval_ns = (uint64_t)(rekey_s * 1e9);
      n = conductor_msg_encode(buf, sizeof buf, &m);
      if (n < 0) continue;
      if (ops[k] == CONDUCTOR_KEY_ADD) {
        adds += (size_t)n;
      } else {
        double len = ssh_len((size_t)n + 9, cph) + h;
        f->b_in += len * per;
        f->ev_in += per;
        note_seg(f, 1, len);
      }
      m.type = CONDUCTOR_MSG_KEY_ACK;
      m.keylen = 0;
      m.interval_ns = 0;
      ack = ipc_ssh(&m, cph) + h;
      f->b_out += ack * per;
      f->ev_out += per;
      note_seg(f, 0, ack);
    }
  }
  if (adds > 0) {
    double len = ssh_len(adds + 9, cph) + h;
    f->b_in += (len + h) * per; /* and the pure ACK of the last KEY_ACK */
    f->ack_in += h * per;
    f->ev_in += per;
    note_seg(f, 1, len);
  }
}

/* The conductor channels of one router node toward one conductor node. */
static void conductor_flows(table *t, const rc_config *c, const opts *o,
                            int family) {
  conductor_msg m;
  double req, rep, ka;
  int cph = o->cipher;
  unsigned ka_r = c->conductor_ka_s ? c->conductor_ka_s
                                    : CGLUE_KA_INTERVAL_DEFAULT_S;
  unsigned ka_c = o->ka_cond_s ? o->ka_cond_s : CGLUE_KA_INTERVAL_DEFAULT_S;

  /* entitlement: ENTITLEMENT every report period, ENTITLEMENT_ACK */
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ENTITLEMENT;
  m.seq = 1000;
  m.time_ns = 1;
  m.peak_bps = 1000000;
  m.interval_ns = RTR_ENT_SAMPLE_DEFAULT_NS;
  req = ipc_ssh(&m, cph);
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ENTITLEMENT_ACK;
  m.seq = 1000;
  rep = ipc_ssh(&m, cph);
  add_exchange(&t->f[CH_ENT], 1, req, rep,
               DAY / ((double)RTR_ENT_REPORT_DEFAULT_NS / 1e9), family);

  /* alarms: event-driven; an ALARM as svr-router raises "Peer X path is
   * down" (router_alarm.c), answered by ALARM_ACK */
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ALARM;
  m.alarm.seq = 1000;
  m.alarm.alarm_num = 10;
  m.alarm.op = CONDUCTOR_ALARM_RAISE;
  m.alarm.severity = CONDUCTOR_SEV_MAJOR;
  m.alarm.time_ns = 1;
  snprintf(m.alarm.source, sizeof m.alarm.source, "%.40s/%.40s/%.40s", c->node,
           c->n_interfaces ? c->interfaces[0].name : "wan",
           c->n_adjacencies ? c->adjacencies[0].address_text : "192.0.2.1");
  snprintf(m.alarm.category, sizeof m.alarm.category, "peer");
  snprintf(m.alarm.message, sizeof m.alarm.message, "Peer %s path is down",
           c->n_adjacencies ? c->adjacencies[0].peer : "peer");
  req = ipc_ssh(&m, cph);
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ALARM_ACK;
  m.seq = 1000;
  rep = ipc_ssh(&m, cph);
  add_exchange(&t->f[CH_ALARM], 1, req, rep, o->alarms_day, family);

  /* key exchange: per rekey, every security element of this router
   * (key_elements) goes through KEY add, activate and remove
   * (conductor_keys.c), each KEY answered by a KEY_ACK */
  {
    int cap = (int)c->n_adjacencies + 1, ne = 0;
    const char *q;
    char(*peers)[RC_NAME_MAX];
    for (q = o->elements; q && *q; q++) {
      cap += *q == ':';
    }
    peers = calloc((size_t)cap, sizeof *peers);
    if (peers != NULL) {
      ne = key_elements(c, o, peers, cap);
    }
    if (o->rekey_s > 0 && ne > 0) {
      key_flows(&t->f[CH_KEYS], peers, ne, o->rekey_s, cph, family);
      t->nkey_elements = ne;
    } else {
      t->off[CH_KEYS] = 1;
    }
    free(peers);
  }

  /* dynamic peer update: ADDRESS per change (no answer) */
  memset(&m, 0, sizeof m);
  m.type = CONDUCTOR_MSG_ADDRESS;
  snprintf(m.neighborhood, sizeof m.neighborhood, "%s",
           c->n_neighborhoods ? c->neighborhoods[0].name : "wan");
  snprintf(m.interface, sizeof m.interface, "%s",
           c->n_interfaces ? c->interfaces[0].name : "wan");
  m.addr_family = (uint8_t)family;
  m.address[0] = 10;
  m.address[15] = 1;
  m.port = RC_DEFAULT_PORT;
  req = ipc_ssh(&m, cph);
  add_exchange(&t->f[CH_DPU], 1, req, 0, o->addr_changes_day, family);
  if (o->addr_changes_day <= 0) {
    t->off[CH_DPU] = 1;
  }
  if (o->alarms_day <= 0) {
    t->off[CH_ALARM] = 1;
  }

  /* the asset channel: svr-router's own when its config runs it (the
   * default beside a conductor on 930), else the product's published
   * sizes when --channels names it */
  if (asset_on(c)) {
    asset_flows(t, c, family);
  } else {
    if (o->chan_on & OPT_VERSION) {
      add_product(&t->f[CH_VERSION], 950, 2100, 12 * 3600.0, family);
    } else {
      t->off[CH_VERSION] = 1;
    }
    if (o->chan_on & OPT_ASSET) {
      add_product(&t->f[CH_SALT_KA], 0, 0, 10, family);
      add_product(&t->f[CH_ASSET_KA], 514, 84, 1, family);
    } else {
      t->off[CH_SALT_KA] = t->off[CH_ASSET_KA] = 1;
    }
  }
  {
    static const int chs[4] = {CH_SHELL, CH_LOG, CH_REPO, CH_PROXY};
    static const unsigned bits[4] = {OPT_SHELL, OPT_LOG, OPT_REPO, OPT_PROXY};
    int k;
    for (k = 0; k < 4; k++) {
      if (chs[k] == CH_REPO && c->software_repository[0] &&
          strcmp(c->software_repository, "internet-only")) {
        /* svr-router's own repository check (software-repository
         * conductor-only / prefer-conductor, docs/libconductor.md 2.8):
         * REPO_STATUS with the previous result every check interval,
         * answered by the conductor node's REPO_STATUS naming what it
         * hosts (here an URL of 40 bytes) */
        conductor_admin am;
        uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
        conductor_ssize n;
        memset(&am, 0, sizeof am);
        am.type = CONDUCTOR_MSG_REPO_STATUS;
        am.stream = 1000;
        snprintf(am.name, sizeof am.name, "%s", c->software_repository);
        snprintf(am.text, sizeof am.text, "reachable");
        am.mtime_ns = 1;
        am.length = 1000000;
        n = conductor_admin_encode(buf, sizeof buf, &am);
        req = n > 0 ? ssh_len((size_t)n + 9, cph) : 0;
        memset(&am, 0, sizeof am);
        am.type = CONDUCTOR_MSG_REPO_STATUS;
        am.stream = 1000;
        snprintf(am.name, sizeof am.name, "https://conductor.example.net/repo/x");
        am.mtime_ns = 1;
        n = conductor_admin_encode(buf, sizeof buf, &am);
        rep = n > 0 ? ssh_len((size_t)n + 9, cph) : 0;
        add_exchange(&t->f[CH_REPO], 1, req, rep,
                     DAY / ((double)RTR_REPO_INTERVAL_DEFAULT_NS / 1e9), family);
        t->suite[CH_REPO] = 1;
      } else if (o->chan_on & bits[k]) {
        add_product(&t->f[chs[k]], 104, 104, 20, family); /* client */
        add_product(&t->f[chs[k]], 104, 104, 5, family);  /* server */
      } else {
        t->off[chs[k]] = 1;
      }
    }
  }

  /* SSH keepalives: the side with the shorter interval asks whenever it
   * heard nothing for that long; the other side then never has to.  What
   * the asker receives restarts its timer (ssh_keepalives). */
  {
    int from_router = ka_r <= ka_c;
    double per[NCH];
    int ch, np = 0;
    ka = from_router ? ka_r : ka_c;
    for (ch = 0; ch < NCH; ch++) {
      double n;
      if (ch == CH_SSH_KA || t->off[ch] || !chans[ch].conductor ||
          strcmp(chans[ch].port, "930/tcp") ||
          !(chans[ch].suite || t->suite[ch])) {
        continue;
      }
      /* a rekey's KEYs (or KEY_ACKs) arrive within round trips of each
       * other: one burst per rekey, whatever the number of elements */
      n = ch == CH_KEYS ? (t->nkey_elements ? DAY / o->rekey_s : 0)
                        : from_router ? t->f[ch].ev_in : t->f[ch].ev_out;
      if (n > 0) {
        per[np++] = DAY / n;
      }
    }
    add_exchange(&t->f[CH_SSH_KA], from_router, ssh_len(SSH_KA_PAYLOAD, cph),
                 ssh_len(SSH_KA_REPLY_PAYLOAD, cph),
                 ssh_keepalives(ka, per, np), family);
  }
}

/* ---- configurations ------------------------------------------------------ */

/* One router node's WAN link (one config file, or a what-if role). */
typedef struct wlink {
  char label[160];
  const rc_config *cfg;
  int count;     /* routers nodes like this one (what-if) */
  int cnodes;    /* conductor nodes it connects to */
  int family;
  table t;
} wlink;

static wlink links[MAX_LINKS];
static size_t n_links;
static rc_config *configs[MAX_CONFIGS];
static rc_config *pristine[MAX_CONFIGS]; /* as parsed, before a profile */
static int n_configs;

static rc_topology peer_topo(rc_topology t) {
  return t == RC_SPOKE ? RC_HUB : t == RC_HUB ? RC_SPOKE : RC_MESH;
}

/* The peer's side of adjacency |a| of |c|: its own config when given. */
static void peer_side(side *ps, const rc_config *c, const rc_adjacency *a) {
  int k;
  size_t j;
  for (k = 0; k < n_configs; k++) {
    const rc_config *pc = configs[k];
    if (strcmp(pc->router, a->peer)) continue;
    for (j = 0; j < pc->n_adjacencies; j++) {
      const rc_adjacency *b = &pc->adjacencies[j];
      if (!strcmp(b->peer, c->router) && b->remote.family == a->local.family &&
          !memcmp(b->remote.addr, a->local.addr, 16)) {
        ps->router = pc->router;
        ps->node = pc->node;
        ps->bfd = b->bfd;
        ps->topo = b->topology;
        ps->addr = b->local;
        return;
      }
    }
  }
  ps->router = a->peer;
  ps->node = c->node;
  ps->bfd = a->bfd;
  ps->topo = peer_topo(a->topology);
  ps->addr = a->remote;
}

/* Profiles: knob values written over every adjacency. */
static int apply_profile(rc_config *c, const char *profile) {
  size_t i;
  if (profile == NULL || !strcmp(profile, "configured")) {
    return 0;
  }
  for (i = 0; i < c->n_adjacencies; i++) {
    rc_bfd *b = &c->adjacencies[i].bfd;
    if (!strcmp(profile, "defaults")) {
      rc_bfd keep = *b;
      rc_bfd_default(b);
      b->auth_type = keep.auth_type;
      memcpy(b->auth_key, keep.auth_key, sizeof b->auth_key);
    } else if (!strcmp(profile, "lte")) {
      /* issue 19's LTE profile: 60 s BFD, echo every 120 s, detector off
       * with always-transform */
      b->desired_tx_ms = 60000;
      b->required_min_rx_ms = 60000;
      b->link_test_interval_s = 120;
      b->ut_mode = SVRFWDET_MODE_ALWAYS_TRANSFORM;
    } else {
      return -1;
    }
  }
  return 0;
}

static int link_compute(wlink *l, const opts *o) {
  const rc_config *c = l->cfg;
  size_t i;
  int ch;
  memset(&l->t, 0, sizeof l->t);
  for (i = 0; i < c->n_adjacencies; i++) {
    const rc_adjacency *a = &c->adjacencies[i];
    side sd[2];
    simres r;
    sd[0].router = c->router;
    sd[0].node = c->node;
    sd[0].bfd = a->bfd;
    sd[0].topo = a->topology;
    sd[0].addr = a->local;
    peer_side(&sd[1], c, a);
    if (sd[0].addr.port == 0) sd[0].addr.port = RC_DEFAULT_PORT;
    if (sd[1].addr.port == 0) sd[1].addr.port = RC_DEFAULT_PORT;
    if (sim_path(sd, o->mtu, &r) != 0) {
      fprintf(stderr, "svr-budget: %s: [adjacency %s]: the peer path does "
                      "not come up in the simulation\n", c->file, a->peer);
      return -1;
    }
    for (ch = 0; ch < NCH; ch++) {
      l->t.f[ch].ev_out += r.pkts[0][ch];
      l->t.f[ch].b_out += r.bytes[0][ch];
      l->t.f[ch].ev_in += r.pkts[1][ch];
      l->t.f[ch].b_in += r.bytes[1][ch];
    }
  }
  if (l->cnodes > 0) {
    table ct;
    memset(&ct, 0, sizeof ct);
    conductor_flows(&ct, c, o, l->family);
    for (ch = 0; ch < NCH; ch++) {
      if (!chans[ch].conductor) continue;
      l->t.f[ch].ev_out = ct.f[ch].ev_out * l->cnodes;
      l->t.f[ch].ev_in = ct.f[ch].ev_in * l->cnodes;
      l->t.f[ch].b_out = ct.f[ch].b_out * l->cnodes;
      l->t.f[ch].b_in = ct.f[ch].b_in * l->cnodes;
      l->t.f[ch].ack_out = ct.f[ch].ack_out * l->cnodes;
      l->t.f[ch].ack_in = ct.f[ch].ack_in * l->cnodes;
      memcpy(l->t.f[ch].seg, ct.f[ch].seg, sizeof ct.f[ch].seg);
      memcpy(l->t.f[ch].nseg, ct.f[ch].nseg, sizeof ct.f[ch].nseg);
      l->t.off[ch] = ct.off[ch];
      l->t.suite[ch] = ct.suite[ch];
    }
  } else {
    for (ch = 0; ch < NCH; ch++) {
      if (chans[ch].conductor) l->t.off[ch] = 1;
    }
  }
  return 0;
}

/* ---- output -------------------------------------------------------------- */

static int is_suite(const table *t, int ch) {
  return chans[ch].suite || t->suite[ch];
}

static int shown_in(const opts *o, const table *t, int ch) {
  return !o->suite_only || is_suite(t, ch);
}

static const char *human(double v, char *buf, size_t len) {
  static const char *u[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (fabs(v) >= 1000 && i < 4) {
    v /= 1000;
    i++;
  }
  snprintf(buf, len, i ? "%.2f %s" : "%.0f %s", v, u[i]);
  return buf;
}

/* The text tables: the suite's one style (svr_table.h), numbers
 * right-aligned. */
static void table_begin(svr_table *t) {
  static const char *const head[9] = {"CHANNEL", "DIRECTION", "PORT",
                                      "MODEL", "B/EVENT", "EVENTS/DAY",
                                      "RATE", "PER DAY", "PER 30 DAYS"};
  svr_table_init(t, 9, head);
  t->right = 0x1f0; /* B/EVENT .. PER 30 DAYS */
}

static void table_end(svr_table *t) {
  svr_table_print(t, stdout);
  svr_table_free(t);
}

/* "12.34 kbit/s", "1.20 MB": human() and the unit. */
static const char *with_unit(double v, const char *unit, char *buf,
                             size_t len) {
  char h[32];
  snprintf(buf, len, "%s%s", human(v, h, sizeof h), unit);
  return buf;
}

static void row_text(svr_table *t, const char *name, const char *dir,
                     const char *port, const char *model, const flow *f,
                     int off) {
  char a[32], b[32], c[40], d[40], e[40];
  double ev = f->ev_out + f->ev_in, by = f->b_out + f->b_in;
  const char *row[9] = {name, dir, port, model, "off", "", "", "", ""};
  if (!off) {
    row[4] = ev > 0 ? (snprintf(a, sizeof a, "%.1f", by / ev), a) : "-";
    row[5] = human(ev, b, sizeof b);
    row[6] = with_unit(by * 8 / DAY, "bit/s", c, sizeof c);
    row[7] = with_unit(by, "B", d, sizeof d);
    row[8] = with_unit(by * 30, "B", e, sizeof e);
  }
  svr_table_add(t, row);
}

static void total_of(const table *t, const opts *o, flow *tot) {
  int ch;
  memset(tot, 0, sizeof *tot);
  for (ch = 0; ch < NCH; ch++) {
    if (t->off[ch] || !shown_in(o, t, ch)) continue;
    tot->ev_out += t->f[ch].ev_out;
    tot->ev_in += t->f[ch].ev_in;
    tot->b_out += t->f[ch].b_out;
    tot->b_in += t->f[ch].b_in;
    tot->ack_out += t->f[ch].ack_out;
    tot->ack_in += t->f[ch].ack_in;
  }
}

/* Conductor node's view: every router node's conductor flows, reversed. */
static void conductor_table(table *ct, const opts *o, int *nrouters) {
  size_t i;
  int ch;
  memset(ct, 0, sizeof *ct);
  *nrouters = 0;
  for (ch = 0; ch < NCH; ch++) {
    ct->off[ch] = 1; /* on when on for one router node */
  }
  for (i = 0; i < n_links; i++) {
    const wlink *l = &links[i];
    if (l->cnodes == 0) continue;
    *nrouters += l->count;
    for (ch = 0; ch < NCH; ch++) {
      if (!chans[ch].conductor) continue;
      ct->f[ch].ev_out += l->t.f[ch].ev_in / l->cnodes * l->count;
      ct->f[ch].ev_in += l->t.f[ch].ev_out / l->cnodes * l->count;
      ct->f[ch].b_out += l->t.f[ch].b_in / l->cnodes * l->count;
      ct->f[ch].b_in += l->t.f[ch].b_out / l->cnodes * l->count;
      ct->f[ch].ack_out += l->t.f[ch].ack_in / l->cnodes * l->count;
      ct->f[ch].ack_in += l->t.f[ch].ack_out / l->cnodes * l->count;
      {
        int d, q;
        for (d = 0; d < 2; d++) {
          for (q = 0; q < l->t.f[ch].nseg[d]; q++) {
            note_seg(&ct->f[ch], !d, l->t.f[ch].seg[d][q]);
          }
        }
      }
      ct->off[ch] = ct->off[ch] && l->t.off[ch];
      ct->suite[ch] |= l->t.suite[ch];
    }
  }
  for (ch = 0; ch < NCH; ch++) {
    if (!chans[ch].conductor) ct->off[ch] = 1;
  }
  (void)o;
}

static void print_text(const opts *o, const char *profile) {
  size_t i;
  int ch, nr;
  table ct;
  flow tot;
  svr_table tab;
  printf("profile: %s   (B = bytes on the wire: IP header and up, both "
         "directions;\n         model 'product' = a channel svr-suite does "
         "not run, from the product's published sizes)\n\n",
         profile ? profile : "configured");
  for (i = 0; i < n_links; i++) {
    const wlink *l = &links[i];
    char x[32], y[32];
    printf("router WAN link: %s, %d conductor node%s\n", l->label, l->cnodes,
           l->cnodes == 1 ? "" : "s");
    if (l->count > 1) {
      printf("  (%d router nodes like this one)\n", l->count);
    }
    table_begin(&tab);
    for (ch = 0; ch < NCH; ch++) {
      if (!shown_in(o, &l->t, ch)) continue;
      row_text(&tab, chans[ch].name, chans[ch].dir, chans[ch].port,
               is_suite(&l->t, ch) ? "suite" : "product", &l->t.f[ch], l->t.off[ch]);
    }
    total_of(&l->t, o, &tot);
    row_text(&tab, "TOTAL", "", "", "", &tot, 0);
    table_end(&tab);
    printf("  out (sent by the router) %sB/day, in %sB/day\n\n",
           human(tot.b_out, x, sizeof x), human(tot.b_in, y, sizeof y));
  }
  conductor_table(&ct, o, &nr);
  if (nr > 0) {
    printf("conductor node: %d router node connection%s\n", nr,
           nr == 1 ? "" : "s");
    table_begin(&tab);
    for (ch = 0; ch < NCH; ch++) {
      if (!chans[ch].conductor || !shown_in(o, &ct, ch)) continue;
      row_text(&tab, chans[ch].name, chans[ch].dir, chans[ch].port,
               is_suite(&ct, ch) ? "suite" : "product", &ct.f[ch], ct.off[ch]);
    }
    total_of(&ct, o, &tot);
    row_text(&tab, "TOTAL", "", "", "", &tot, 0);
    table_end(&tab);
    printf("\n");
  }
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') {
      printf("\\%c", *s);
    } else if ((unsigned char)*s < 0x20) {
      printf("\\u%04x", *s);
    } else {
      putchar(*s);
    }
  }
  putchar('"');
}

static void json_segs(const flow *f, int in) {
  int i;
  printf(",\"segments\":[");
  for (i = 0; i < f->nseg[in]; i++) {
    printf("%s%.0f", i ? "," : "", f->seg[in][i]);
  }
  printf("]}");
}

static void json_flow(const flow *f) {
  double ev = f->ev_out + f->ev_in, by = f->b_out + f->b_in;
  printf("\"out\":{\"events_per_day\":%.3f,\"bytes_per_day\":%.3f,"
         "\"tcp_ack_bytes_per_day\":%.3f",
         f->ev_out, f->b_out, f->ack_out);
  json_segs(f, 0);
  printf(",\"in\":{\"events_per_day\":%.3f,\"bytes_per_day\":%.3f,"
         "\"tcp_ack_bytes_per_day\":%.3f",
         f->ev_in, f->b_in, f->ack_in);
  json_segs(f, 1);
  printf(",\"events_per_day\":%.3f,\"bytes_per_event\":", ev);
  if (ev > 0) {
    printf("%.3f", by / ev);
  } else {
    printf("null");
  }
  printf(",\"bits_per_second\":%.6f,\"bytes_per_day\":%.3f,"
         "\"bytes_per_30_days\":%.3f", by * 8 / DAY, by, by * 30);
}

static void json_table(const table *t, const opts *o, int conductor_only) {
  int ch, first = 1;
  flow tot;
  printf("\"channels\":[");
  for (ch = 0; ch < NCH; ch++) {
    if (!shown_in(o, t, ch) || (conductor_only && !chans[ch].conductor)) continue;
    printf("%s{\"channel\":\"%s\",\"direction\":\"%s\",\"port\":\"%s\","
           "\"model\":\"%s\",\"enabled\":%s,", first ? "" : ",",
           chans[ch].name, chans[ch].dir, chans[ch].port,
           is_suite(t, ch) ? "suite" : "product",
           t->off[ch] ? "false" : "true");
    json_flow(&t->f[ch]);
    printf("}");
    first = 0;
  }
  total_of(t, o, &tot);
  printf("],\"total\":{");
  json_flow(&tot);
  printf("}");
}

static void print_json_profile(const opts *o, const char *profile) {
  size_t i;
  int nr;
  table ct;
  printf("{\"profile\":");
  json_str(profile ? profile : "configured");
  printf(",\"links\":[");
  for (i = 0; i < n_links; i++) {
    const wlink *l = &links[i];
    printf("%s{\"router\":", i ? "," : "");
    json_str(l->cfg->router);
    printf(",\"node\":");
    json_str(l->cfg->node);
    printf(",\"label\":");
    json_str(l->label);
    printf(",\"router_nodes\":%d,\"conductor_nodes\":%d,", l->count, l->cnodes);
    json_table(&l->t, o, 0);
    printf("}");
  }
  conductor_table(&ct, o, &nr);
  printf("],\"conductor\":{\"router_node_connections\":%d,", nr);
  json_table(&ct, o, 1);
  printf("}}");
}

/* ---- comparison ---------------------------------------------------------- */

typedef struct snapshot {
  table t[MAX_LINKS];
  table ct;
  int nr;
} snapshot;

static void snap(snapshot *s, const opts *o) {
  size_t i;
  for (i = 0; i < n_links; i++) {
    s->t[i] = links[i].t;
  }
  conductor_table(&s->ct, o, &s->nr);
}

static void cmp_row(svr_table *t, const char *name, const flow *a, int offa,
                    const flow *b, int offb) {
  char x[40], y[40], z[40], w[40];
  double ba = offa ? 0 : a->b_out + a->b_in, bb = offb ? 0 : b->b_out + b->b_in;
  const char *row[5];
  row[0] = name;
  row[1] = with_unit(ba * 8 / DAY, "bit/s", x, sizeof x);
  row[2] = with_unit(ba * 30, "B", y, sizeof y);
  row[3] = with_unit(bb * 8 / DAY, "bit/s", z, sizeof z);
  row[4] = with_unit(bb * 30, "B", w, sizeof w);
  svr_table_add(t, row);
}

/* Both profiles side by side in one table (the suite's style): the
 * profile's name heads its two columns. */
static void cmp_begin(svr_table *t, char head_txt[4][80], const char *pa,
                      const char *pb) {
  const char *head[5];
  snprintf(head_txt[0], 80, "RATE %s", pa ? pa : "configured");
  snprintf(head_txt[1], 80, "PER 30 DAYS %s", pa ? pa : "configured");
  snprintf(head_txt[2], 80, "RATE %s", pb);
  snprintf(head_txt[3], 80, "PER 30 DAYS %s", pb);
  head[0] = "CHANNEL";
  head[1] = head_txt[0];
  head[2] = head_txt[1];
  head[3] = head_txt[2];
  head[4] = head_txt[3];
  svr_table_init(t, 5, head);
  t->right = 0x1e; /* every column but CHANNEL */
}

static void print_compare(const opts *o, const snapshot *a, const char *pa,
                          const snapshot *b, const char *pb) {
  size_t i;
  int ch;
  flow ta, tb;
  svr_table tab;
  char head_txt[4][80];
  for (i = 0; i < n_links; i++) {
    printf("router WAN link: %s\n", links[i].label);
    cmp_begin(&tab, head_txt, pa, pb);
    for (ch = 0; ch < NCH; ch++) {
      if (!shown_in(o, &a->t[i], ch)) continue;
      cmp_row(&tab, chans[ch].name, &a->t[i].f[ch], a->t[i].off[ch],
              &b->t[i].f[ch], b->t[i].off[ch]);
    }
    total_of(&a->t[i], o, &ta);
    total_of(&b->t[i], o, &tb);
    cmp_row(&tab, "TOTAL", &ta, 0, &tb, 0);
    table_end(&tab);
    printf("\n");
  }
  if (a->nr > 0) {
    printf("conductor node: %d router node connection%s\n", a->nr,
           a->nr == 1 ? "" : "s");
    cmp_begin(&tab, head_txt, pa, pb);
    for (ch = 0; ch < NCH; ch++) {
      if (!chans[ch].conductor || !shown_in(o, &a->ct, ch)) continue;
      cmp_row(&tab, chans[ch].name, &a->ct.f[ch], a->ct.off[ch], &b->ct.f[ch],
              b->ct.off[ch]);
    }
    total_of(&a->ct, o, &ta);
    total_of(&b->ct, o, &tb);
    cmp_row(&tab, "TOTAL", &ta, 0, &tb, 0);
    table_end(&tab);
  }
}

/* ---- what-if configurations ----------------------------------------------- */

static char whatif_text[2][1 << 21]; /* 16,384 adjacencies fit */

/* A config for one router node of the what-if deployment: |npeers|
 * adjacencies of topology |topo| (mesh, hub or spoke). */
static void whatif_conf(char *buf, size_t cap, const opts *o, const char *name,
                        int npeers, const char *topo) {
  size_t n = 0;
  int k;
  n += (size_t)snprintf(buf + n, cap - n,
                        "router %s\nnode node1\n%s\n[interface wan]\naddress %s\n"
                        "[neighborhood wan]\ninterface wan\ntopology %s\n",
                        name, o->bfd_lines,
                        o->family == 6 ? "2001:db8::1" : "10.0.0.1", topo);
  for (k = 0; k < npeers && n + 128 < cap; k++) {
    if (o->family == 6) {
      n += (size_t)snprintf(buf + n, cap - n,
                            "[adjacency peer%d]\nneighborhood wan\naddress "
                            "2001:db8::%x\n", k + 1, k + 2);
    } else {
      n += (size_t)snprintf(buf + n, cap - n,
                            "[adjacency peer%d]\nneighborhood wan\naddress "
                            "10.0.%d.%d\n", k + 1, (k + 2) / 250, (k + 2) % 250 + 1);
    }
  }
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(f,
"usage: svr-budget [options] [ROUTER.conf...]\n"
"\n"
"Predicts the management-plane bandwidth of svr-routers and their conductor\n"
"in steady state: one row per channel (peer paths and the conductor\n"
"channel), totals per router WAN link and per conductor node, in bit/s,\n"
"bytes per day and per 30 days, every header counted (docs/svr-budget.md).\n"
"With config files (svr-router's format) each file is one router node;\n"
"without, the what-if options below describe the deployment.\n"
"\n"
"options:\n"
"  --json                 one JSON object (event \"result\")\n"
"  --profile P            apply profile P to every peer path: configured\n"
"                         (default), defaults (the product's defaults), lte\n"
"                         (60 s BFD, echo every 120 s, detector off with\n"
"                         always-transform)\n"
"  --compare P            show profile P side by side with --profile's\n"
"  --suite-only           only the channels svr-suite's daemons run\n"
"  --channels LIST        the product's channels svr-suite does not run,\n"
"                         comma-separated: version,asset,shell,log,repo,\n"
"                         proxy, or none (default version,asset,shell,log);\n"
"                         version and asset only count for a router whose\n"
"                         own asset channel is off (conductor-asset-ports)\n"
"  --mtu N                path MTU of the WAN links, 576-9216 (default 1500)\n"
"\n"
"conductor (svr-conductor run options):\n"
"  --conductor-nodes N    conductor nodes each router node connects to, 0-2\n"
"                         (default: the configs' conductor lines; what-if 1)\n"
"  --keepalive-interval S the conductor's SSH keepalive interval, 1-10\n"
"                         (default 5)\n"
"  --rekey-interval T     never (default), N minutes, or N with a unit s, m\n"
"                         or h\n"
"  --security-elements L  the conductor's security elements, rekeyed every\n"
"                         --rekey-interval: ROUTER:ROUTER pairs, comma-\n"
"                         separated, or none (default: one per pair of\n"
"                         routers with an adjacency)\n"
"  --alarms-per-day N     alarm events (raise or clear) per router node and\n"
"                         day (default 0: steady state)\n"
"  --address-changes-per-day N\n"
"                         dynamic peer updates per router node and day\n"
"                         (default 0)\n"
"  --ssh-cipher C         chacha20-poly1305 (default: what libssh picks\n"
"                         between our ends), aes-gcm, aes-ctr-hmac\n"
"\n"
"what-if (no config file):\n"
"  --routers N            routers (default 2)\n"
"  --nodes N              nodes per router, 1-2 (default 1)\n"
"  --peers N              peer paths per node (default: routers - 1 in a\n"
"                         mesh, 1 per hub for a spoke)\n"
"  --hub-spoke            hub-and-spoke instead of a full mesh\n"
"  --hubs N               hubs of --hub-spoke (default 1)\n"
"  --ipv6                 IPv6 waypoint addresses (default IPv4)\n"
"  --desired-tx MS, --required-min-rx MS, --required-min-echo MS\n"
"  --multiplier N, --echo-interval S, --echo-length N (0 = off)\n"
"  --pmtu-interval S (0 = path MTU discovery off)\n"
"  --detector-interval S, --detector-mode auto|always|disabled\n"
"                         the svr-router keys of the same names (default:\n"
"                         svr-router's defaults)\n"
"  -h, --help             this text\n"
"  -V, --version          program version\n"
"\n"
"exit status (docs/cli.md):\n"
"  0  done\n"
"  2  usage error, or a config file with errors (each printed with its line)\n"
"  5  a peer path did not come up in the simulation\n"
"\n"
"examples:\n"
"  svr-budget examples/router-a.conf\n"
"  svr-budget --routers 50 --hub-spoke --compare lte\n"
"  svr-budget --json --suite-only a.conf b.conf\n");
}

static void usage_error(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "svr-budget: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  exit(SVR_EXIT_USAGE);
}

static long num(const char *opt, const char *v, long lo, long hi) {
  char *end;
  long n = strtol(v, &end, 10);
  if (*v == '\0' || *end || n < lo || n > hi) {
    usage_error("%s: '%s' is not a number %ld-%ld", opt, v, lo, hi);
  }
  return n;
}

static double rekey_arg(const char *v) {
  char *end;
  double n;
  if (!strcmp(v, "never")) {
    return 0;
  }
  n = strtod(v, &end);
  if (end == v || n <= 0) {
    usage_error("--rekey-interval: '%s' is not never, N minutes or N{s,m,h}", v);
  }
  if (*end == '\0' || !strcmp(end, "m")) return n * 60;
  if (!strcmp(end, "s")) return n;
  if (!strcmp(end, "h")) return n * 3600;
  usage_error("--rekey-interval: '%s' is not never, N minutes or N{s,m,h}", v);
  return 0;
}

/* --security-elements: none, or A:B pairs of router names. */
static const char *elements_arg(const char *v) {
  char tmp[2048], *tok, *save = NULL;
  if (strlen(v) >= sizeof tmp) {
    usage_error("--security-elements: longer than %zu characters",
                sizeof tmp - 1);
  }
  snprintf(tmp, sizeof tmp, "%s", v);
  for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *b = strchr(tok, ':');
    if (!strcmp(tok, "none")) continue;
    if (b == NULL || b == tok || b[1] == '\0' || strchr(b + 1, ':') ||
        (size_t)(b - tok) >= RC_NAME_MAX || strlen(b + 1) >= RC_NAME_MAX ||
        (strlen(b + 1) == (size_t)(b - tok) &&
         !strncmp(tok, b + 1, (size_t)(b - tok)))) {
      usage_error("--security-elements: '%s' is not none or ROUTER:ROUTER "
                  "(two different routers)", tok);
    }
  }
  return v;
}

static unsigned channels_arg(const char *v) {
  char tmp[256], *tok, *save = NULL;
  unsigned bits = 0;
  snprintf(tmp, sizeof tmp, "%s", v);
  for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (!strcmp(tok, "none")) continue;
    else if (!strcmp(tok, "version")) bits |= OPT_VERSION;
    else if (!strcmp(tok, "asset")) bits |= OPT_ASSET;
    else if (!strcmp(tok, "shell")) bits |= OPT_SHELL;
    else if (!strcmp(tok, "log")) bits |= OPT_LOG;
    else if (!strcmp(tok, "repo")) bits |= OPT_REPO;
    else if (!strcmp(tok, "proxy")) bits |= OPT_PROXY;
    else usage_error("--channels: unknown channel '%s'", tok);
  }
  return bits;
}

static void add_line(opts *o, const char *key, const char *val) {
  size_t n = strlen(o->bfd_lines);
  snprintf(o->bfd_lines + n, sizeof o->bfd_lines - n, "%s %s\n", key, val);
}

static int compute_all(const opts *o, const char *profile) {
  size_t i;
  int k;
  for (k = 0; k < n_configs; k++) { /* the adjacencies as parsed */
    memcpy(configs[k]->adjacencies, pristine[k]->adjacencies,
           configs[k]->n_adjacencies * sizeof *configs[k]->adjacencies);
  }
  for (i = 0; i < n_links; i++) {
    if (apply_profile((rc_config *)links[i].cfg, profile) != 0) {
      usage_error("--profile/--compare: '%s' is not configured, defaults or "
                  "lte", profile);
    }
  }
  for (i = 0; i < n_links; i++) {
    if (link_compute(&links[i], o) != 0) {
      return -1;
    }
  }
  return 0;
}

static int load_whatif(const opts *o, int cnodes_given) {
  char err[4096];
  int peers = o->peers, nerr;
  rc_config *c;
  if (o->topo_hub) {
    int spokes = o->routers - o->hubs;
    if (spokes < 1) {
      usage_error("--hub-spoke: --routers must exceed --hubs");
    }
    /* the spoke: one path per hub (or --peers); the hub: every spoke's */
    if (peers == 0) peers = o->hubs;
    if ((spokes * peers + o->hubs - 1) / o->hubs > RC_MAX_ADJACENCIES) {
      usage_error("a hub would have %d peer paths, svr-router takes at most "
                  "%d per node: add --hubs", (spokes * peers + o->hubs - 1) /
                  o->hubs, RC_MAX_ADJACENCIES);
    }
    whatif_conf(whatif_text[0], sizeof whatif_text[0], o, "spoke", peers,
                "spoke");
    whatif_conf(whatif_text[1], sizeof whatif_text[1], o, "hub",
                (spokes * peers + o->hubs - 1) / o->hubs, "hub");
  } else {
    if (peers == 0) peers = o->routers - 1;
    if (peers > RC_MAX_ADJACENCIES) {
      usage_error("a node would have %d peer paths, svr-router takes at most "
                  "%d: give --peers", peers, RC_MAX_ADJACENCIES);
    }
    whatif_conf(whatif_text[0], sizeof whatif_text[0], o, "router", peers,
                "mesh");
  }
  for (n_configs = 0; n_configs < (o->topo_hub ? 2 : 1); n_configs++) {
    c = calloc(1, sizeof *c);
    if (!c) {
      fprintf(stderr, "svr-budget: out of memory\n");
      exit(SVR_EXIT_SYSTEM);
    }
    nerr = rc_parse_string(c, "what-if", whatif_text[n_configs], err, sizeof err);
    if (nerr) {
      fprintf(stderr, "%s", err);
      usage_error("the what-if options make an invalid router config (%d "
                  "error(s))", nerr);
    }
    if (c->n_adjacencies > RC_MAX_ADJACENCIES) {
      usage_error("at most %d peer paths per node", RC_MAX_ADJACENCIES);
    }
    configs[n_configs] = c;
    links[n_links].cfg = c;
    links[n_links].cnodes = cnodes_given >= 0 ? cnodes_given : 1;
    links[n_links].family = o->family;
    links[n_links].count =
        o->nodes * (o->topo_hub ? (n_configs ? o->hubs : o->routers - o->hubs)
                                : o->routers);
    snprintf(links[n_links].label, sizeof links[n_links].label,
             "%s node, %zu peer path%s", o->topo_hub ? (n_configs ? "hub" : "spoke")
                                                   : "mesh router",
             c->n_adjacencies, c->n_adjacencies == 1 ? "" : "s");
    n_links++;
  }
  return 0;
}

int main(int argc, char **argv) {
  enum {
    O_JSON = 256, O_PROFILE, O_COMPARE, O_SUITE, O_CHANNELS, O_MTU, O_CNODES,
    O_KA, O_REKEY, O_ALARMS, O_ADDR, O_CIPHER, O_ROUTERS, O_NODES, O_PEERS,
    O_HUBSPOKE, O_HUBS, O_IPV6, O_DTX, O_RMRX, O_RMECHO, O_MULT, O_ECHOI,
    O_ECHOL, O_PMTU, O_DETI, O_DETM, O_ELEMENTS
  };
  static const struct option lo[] = {
    {"json", no_argument, NULL, O_JSON},
    {"profile", required_argument, NULL, O_PROFILE},
    {"compare", required_argument, NULL, O_COMPARE},
    {"suite-only", no_argument, NULL, O_SUITE},
    {"channels", required_argument, NULL, O_CHANNELS},
    {"mtu", required_argument, NULL, O_MTU},
    {"conductor-nodes", required_argument, NULL, O_CNODES},
    {"keepalive-interval", required_argument, NULL, O_KA},
    {"rekey-interval", required_argument, NULL, O_REKEY},
    {"security-elements", required_argument, NULL, O_ELEMENTS},
    {"alarms-per-day", required_argument, NULL, O_ALARMS},
    {"address-changes-per-day", required_argument, NULL, O_ADDR},
    {"ssh-cipher", required_argument, NULL, O_CIPHER},
    {"routers", required_argument, NULL, O_ROUTERS},
    {"nodes", required_argument, NULL, O_NODES},
    {"peers", required_argument, NULL, O_PEERS},
    {"hub-spoke", no_argument, NULL, O_HUBSPOKE},
    {"hubs", required_argument, NULL, O_HUBS},
    {"ipv6", no_argument, NULL, O_IPV6},
    {"desired-tx", required_argument, NULL, O_DTX},
    {"required-min-rx", required_argument, NULL, O_RMRX},
    {"required-min-echo", required_argument, NULL, O_RMECHO},
    {"multiplier", required_argument, NULL, O_MULT},
    {"echo-interval", required_argument, NULL, O_ECHOI},
    {"echo-length", required_argument, NULL, O_ECHOL},
    {"pmtu-interval", required_argument, NULL, O_PMTU},
    {"detector-interval", required_argument, NULL, O_DETI},
    {"detector-mode", required_argument, NULL, O_DETM},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};
  static opts o;
  int c, k, cnodes = -1, whatif_flags = 0;
  char err[4096], t[SVR_CLI_TIME_LEN];

  o.routers = 2;
  o.nodes = 1;
  o.hubs = 1;
  o.family = 4;
  o.mtu = 1500;
  o.chan_on = OPT_VERSION | OPT_ASSET | OPT_SHELL | OPT_LOG;
  o.cipher = CIPHER_CHACHA;
  while ((c = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
    char *end;
    switch (c) {
      case O_JSON: o.json = 1; break;
      case O_PROFILE: o.profile = optarg; break;
      case O_COMPARE: o.compare = optarg; break;
      case O_SUITE: o.suite_only = 1; break;
      case O_CHANNELS: o.chan_on = channels_arg(optarg); break;
      case O_MTU: o.mtu = (int)num("--mtu", optarg, 576, 9216); break;
      case O_CNODES: cnodes = (int)num("--conductor-nodes", optarg, 0, 2); break;
      case O_KA: o.ka_cond_s = (unsigned)num("--keepalive-interval", optarg, 1, 10); break;
      case O_REKEY: o.rekey_s = rekey_arg(optarg); break;
      case O_ELEMENTS: o.elements = elements_arg(optarg); break;
      case O_ALARMS:
      case O_ADDR:
        {
          double v = strtod(optarg, &end);
          if (end == optarg || *end || v < 0 || v > 1e6) {
            usage_error("%s: '%s' is not a number 0-1000000",
                        c == O_ALARMS ? "--alarms-per-day"
                                      : "--address-changes-per-day", optarg);
          }
          if (c == O_ALARMS) o.alarms_day = v; else o.addr_changes_day = v;
        }
        break;
      case O_CIPHER:
        if (!strcmp(optarg, "chacha20-poly1305")) o.cipher = CIPHER_CHACHA;
        else if (!strcmp(optarg, "aes-gcm")) o.cipher = CIPHER_GCM;
        else if (!strcmp(optarg, "aes-ctr-hmac")) o.cipher = CIPHER_CTR_HMAC;
        else usage_error("--ssh-cipher: '%s' is not chacha20-poly1305, aes-gcm "
                         "or aes-ctr-hmac", optarg);
        break;
      case O_ROUTERS: o.routers = (int)num("--routers", optarg, 2, 100000); whatif_flags = 1; break;
      case O_NODES: o.nodes = (int)num("--nodes", optarg, 1, 2); whatif_flags = 1; break;
      case O_PEERS: o.peers = (int)num("--peers", optarg, 1, RC_MAX_ADJACENCIES); whatif_flags = 1; break;
      case O_HUBSPOKE: o.topo_hub = 1; whatif_flags = 1; break;
      case O_HUBS: o.hubs = (int)num("--hubs", optarg, 1, 1000); whatif_flags = 1; break;
      case O_IPV6: o.family = 6; whatif_flags = 1; break;
      case O_DTX: add_line(&o, "desired-tx-interval", optarg); whatif_flags = 1; break;
      case O_RMRX: add_line(&o, "required-min-rx-interval", optarg); whatif_flags = 1; break;
      case O_RMECHO: add_line(&o, "required-min-echo-interval", optarg); whatif_flags = 1; break;
      case O_MULT: add_line(&o, "multiplier", optarg); whatif_flags = 1; break;
      case O_ECHOI: add_line(&o, "link-test-interval", optarg); whatif_flags = 1; break;
      case O_ECHOL: add_line(&o, "link-test-length", optarg); whatif_flags = 1; break;
      case O_PMTU:
        if (!strcmp(optarg, "0")) {
          add_line(&o, "path-mtu-discovery", "disabled");
        } else {
          add_line(&o, "path-mtu-discovery-interval", optarg);
        }
        whatif_flags = 1;
        break;
      case O_DETI: add_line(&o, "udp-transform-detect-interval", optarg); whatif_flags = 1; break;
      case O_DETM:
        if (!strcmp(optarg, "auto")) add_line(&o, "udp-transform-mode", "auto-detect");
        else if (!strcmp(optarg, "always")) add_line(&o, "udp-transform-mode", "always-transform");
        else if (!strcmp(optarg, "disabled")) add_line(&o, "udp-transform-mode", "disabled");
        else usage_error("--detector-mode: '%s' is not auto, always or disabled", optarg);
        whatif_flags = 1;
        break;
      case 'h': usage(stdout); return SVR_EXIT_OK;
      case 'V':
        printf("svr-budget (libsvrbfd %s)\n", svrbfd_version(0)->version_str);
        return SVR_EXIT_OK;
      default: usage(stderr); return SVR_EXIT_USAGE;
    }
  }
  if (optind < argc && whatif_flags) {
    usage_error("the what-if options describe a deployment without config "
                "files; give one or the other");
  }
  if (argc - optind > MAX_CONFIGS) {
    usage_error("more than %d config files", MAX_CONFIGS);
  }
  if (o.profile && strcmp(o.profile, "configured") &&
      strcmp(o.profile, "defaults") && strcmp(o.profile, "lte")) {
    usage_error("--profile: '%s' is not configured, defaults or lte", o.profile);
  }
  if (o.compare && strcmp(o.compare, "configured") &&
      strcmp(o.compare, "defaults") && strcmp(o.compare, "lte")) {
    usage_error("--compare: '%s' is not configured, defaults or lte", o.compare);
  }
  if (optind < argc) {
    int bad = 0;
    for (k = optind; k < argc; k++) {
      rc_config *cf = calloc(1, sizeof *cf);
      int nerr;
      if (!cf) {
        fprintf(stderr, "svr-budget: out of memory\n");
        return SVR_EXIT_SYSTEM;
      }
      nerr = rc_parse_file(cf, argv[k], err, sizeof err);
      if (nerr) {
        fprintf(stderr, "%s", err);
        fprintf(stderr, "svr-budget: %s: %d error(s)\n", argv[k], nerr);
        bad = 1;
        rc_config_free(cf);
        continue;
      }
      configs[n_configs++] = cf;
    }
    if (bad) {
      return SVR_EXIT_USAGE;
    }
    for (k = 0; k < n_configs; k++) {
      wlink *l = &links[n_links++];
      const rc_config *cf = configs[k];
      l->cfg = cf;
      l->count = 1;
      l->cnodes = cnodes >= 0 ? cnodes : (int)cf->n_conductors;
      l->family = cf->n_adjacencies ? cf->adjacencies[0].local.family : 4;
      snprintf(l->label, sizeof l->label, "%.30s.%.30s (%.60s, %zu peer path%s)",
               cf->node, cf->router, cf->file, cf->n_adjacencies,
               cf->n_adjacencies == 1 ? "" : "s");
    }
  } else {
    load_whatif(&o, cnodes);
  }

  for (k = 0; k < n_configs; k++) {
    pristine[k] = malloc(sizeof *pristine[k]);
    if (!pristine[k] || rc_config_copy(pristine[k], configs[k]) != 0) {
      fprintf(stderr, "svr-budget: out of memory\n");
      return SVR_EXIT_SYSTEM;
    }
  }
  {
    static snapshot a, b;
    if (compute_all(&o, o.profile) != 0) {
      return SVR_EXIT_SYSTEM;
    }
    if (o.json) {
      printf("{\"event\":\"result\",\"time\":\"%s\",\"profiles\":[",
             svr_cli_time_iso(t, sizeof t, svr_cli_unix_ns()));
      print_json_profile(&o, o.profile);
    } else if (!o.compare) {
      print_text(&o, o.profile);
    }
    if (o.compare) {
      snap(&a, &o);
      if (compute_all(&o, o.compare) != 0) {
        return SVR_EXIT_SYSTEM;
      }
      snap(&b, &o);
      if (o.json) {
        printf(",");
        print_json_profile(&o, o.compare);
      } else {
        print_compare(&o, &a, o.profile, &b, o.compare);
      }
    }
    if (o.json) {
      printf("]}\n");
    }
  }
  return SVR_EXIT_OK;
}
