/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: the data plane (docs/dataplane.md).  One libsvrfwd context per
 * router, fed from two kernel devices:
 *
 *   svr0  (TUN)  client packets to a service (FIB rules route them here)
 *                and a server's replies to sessions this router restored
 *                (ct mark -> fwmark rule); we write back the rewritten
 *                waypoint packets and the restored host packets, and the
 *                kernel routes them on.
 *   rings        waypoint packets addressed to this router: an AF_PACKET
 *                ring per peer-facing interface sees them before the nft
 *                netdev ingress rule drops them (with forwarding-peer-input
 *                tap, or without a ring: the TAP svr0w, nft `fwd`).
 *   send sockets waypoint TCP packets to peers, up to 64 per sendmmsg(),
 *                on an AF_PACKET socket of the peer-facing interface to the
 *                next hop's MAC address (raw IP sockets until it is known).
 *
 * A read may return a 64 KiB super-packet (TSO/USO); fwd_offload.c cuts it
 * into the segments the wire needs, each goes through libsvrfwd, and
 * restored TCP segments are joined again before they are written (GRO), so
 * the kernel handles 64 KiB per syscall on the host side.
 *
 * Everything the control plane knows steers the traffic: a path that BFD
 * has down gets no new session and its sessions move to an Up path to the
 * same router; the path MTU clamps TCP MSS and sets the route MTU (the
 * kernel answers too-big DF packets); the firewall detector's verdict turns
 * UDP transform on; BFD's hop count pads the TTL; forwarded bytes feed the
 * entitlement meter.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <svrfwd/svrfwd.h>

#include "bfd_uv.h"
#include "fwd_offload.h"
#include "fwd_reasm.h"
#include "fwd_tun.h"
#include "router.h"
#include "router_fwd.h"
#include "svr_cksum.h"
#include "svr_endian.h"

#define FWD_BUDGET 64            /* packets per device per loop turn */
#define FWD_IN_CAP (65536 + 64)  /* one read: frame + super-packet */
#define FWD_SEG_CAP (SVRFWD_HEADROOM + 65535 + SVRFWD_TAILROOM)
#define FWD_RULE_PREF 1000       /* first FIB rule priority we use */
#define FWD_MAX_RULES 512
#define FWD_MAX_ROUTES (RC_MAX_SERVICES * RC_MAX_PREFIXES + 2)

/* Drops and events of the glue itself (the core counts its own). */
enum {
  FD_NO_SERVICE,   /* no service matches the destination */
  FD_TENANT,       /* the service does not admit the source's tenant */
  FD_PATH_DOWN,    /* every path to the service's router is down */
  FD_MALFORMED,    /* virtio header and packet disagree, not IP */
  FD_TX_ERROR,     /* write to the device failed */
  FD_TX_FULL,      /* device queue full */
  FD_CORE_OTHER,   /* a usage/fatal code from the core */
  FD_COUNT
};

static const char *const fd_names[FD_COUNT] = {
    "no-service", "tenant-not-allowed", "path-down", "malformed-offload",
    "device-write-error", "device-queue-full", "core-error"};

typedef struct udp_batch {
  uint8_t *buf;
  size_t len, seg;
  unsigned nsegs;
  int closed;
  uint8_t key[13]; /* addresses, ports, TTL */
  uint64_t *writes; /* counter of the writes it made */
} udp_batch;

#define FWD_TX_CAP (FWD_SEG_CAP + FWD_RAW_BATCH * 2048)

typedef struct rt_fwd {
  rt *r;
  svrfwd_ctx *ctx;
  fwd_tun tun, tap;
  fwd_nft nft;
  uv_poll_t tun_poll, tap_poll;
  /* waypoint packets from peers: an AF_PACKET ring per peer-facing device
   * (ring mode), or the TAP device (tap mode) */
  fwd_ring rings[RC_MAX_INTERFACES];
  uv_poll_t ring_poll[RC_MAX_INTERFACES];
  size_t n_rings;
  int ring_mode;
  int any_source;      /* a ring's filter passes every source: check it */
  /* waypoint addresses (and their devices) and the peers' addresses
   * (sorted): the ring filters and the nft rules take waypoint packets
   * from these peers only; the peer set follows the paths */
  fwd_nft_wp wps[RC_MAX_INTERFACES];
  size_t n_wps;
  fwd_prefix peers[RC_MAX_ADJACENCIES];
  size_t n_peers;
  uv_timer_t peers_timer;
  uint64_t ring_drops; /* PACKET_STATISTICS tp_drops, summed */
  /* waypoint TCP packets to peers: sendmmsg on raw IP sockets, built in
   * place in |txbuf| (packet i at tx_pkt[i]); tx_family 0 = none pending */
  fwd_raw raw;
  int raw_ok;
  /* ... or, where the next hop's MAC address is known, sendmmsg on an
   * AF_PACKET socket of the peer-facing device (no route lookup, no
   * netfilter); peer_l2[i] belongs to peers[i] */
  fwd_ptx ptx[RC_MAX_INTERFACES];
  size_t n_ptx;
  struct {
    int ptx;          /* index in ptx[], -1 = unknown: raw socket */
    uint8_t eth[14];  /* next hop, our MAC address, EtherType */
  } peer_l2[RC_MAX_ADJACENCIES];
  int l2_last;        /* peer of the last packet looked up */
  uint64_t tx_wire_packet, tx_wire_raw, l2_lookups_failed;
  uint8_t *txbuf;
  size_t tx_off;
  uint8_t *tx_pkt[FWD_RAW_BATCH];
  size_t tx_len[FWD_RAW_BATCH];
  unsigned tx_n;
  int tx_family;
  uint64_t tx_raw_refused;
  /* the core leaves the outer TCP/UDP checksums partial: the AF_PACKET
   * socket has the device complete them, every other way out completes
   * them here (fwd_l4_csum_complete) */
  int csum_partial;
  /* every path is encrypted: the outer checksum of what peers send is
   * never read (egress restores the inner one), so a partial one is not
   * completed */
  int rx_csum_skip;
  uint64_t busy_polls; /* loop turns that found work while busy polling */
  uv_timer_t timer, tick;
  int handles; /* libuv handles initialised (16: ring polls, 32: peers) */
  uint8_t *in, *seg, *gro_buf, *reasm_buf;
  fwd_gro gro;
  /* outer UDP packets to one peer waypoint pair (wb), and restored UDP
   * datagrams of one flow for a host (hb), each joined into one UDP GSO
   * super-packet (USO): the kernel cuts it into the datagrams again, on the
   * wire, at the receiver of a veth, or before the host */
  udp_batch wb, hb;
  uint64_t tx_wire_writes;
  uint64_t frags_returned; /* reassembled datagrams for this host itself */
  uint64_t local_mcast;    /* IPv6 multicast of the kernel's own (MLD) */
  fwd_reasm reasm;     /* outer UDP fragments from peers */
  fwd_reasm reasm_in;  /* fragments from hosts (the kernel re-fragments
                        * what conntrack reassembled before it routes it
                        * to the device) */
  /* kernel state to undo */
  fwd_rule rules[FWD_MAX_RULES];
  size_t n_rules;
  fwd_prefix routes[FWD_MAX_ROUTES];
  uint32_t route_mtu[FWD_MAX_ROUTES];
  int route_svc[FWD_MAX_ROUTES]; /* service index, -1 = the fwmark default */
  size_t n_routes;
  int mark_route_v4, mark_route_v6;
  uint8_t icmp_src[4];           /* source of the ICMP errors we send */
  uint8_t icmp_src6[16];         /* and of the ICMPv6 ones (0: none) */
  int have_src6;
  /* counters */
  uint64_t rx_tun, rx_tap, rx_super, segments, tx_wire, tx_host,
      tx_host_writes, icmp_sent;
  uint64_t drop[FD_COUNT];
  char last_err[256];
} rt_fwd;

static svrfwd_tstamp now_ns(void) { return bfd_uv_now(); }

/* Short names of the core's drop reasons (index = -(code) - 300) for show
 * stats; svrfwd_strerror() has the sentences. */
static const char *drop_name(int i) {
  static const char *const n[] = {
      "malformed", "unsupported", "no-session", "meta-short", "meta-cookie",
      "meta-version", "meta-hdrlen", "meta-paylen", "meta-tlv",
      "meta-missing", "unknown-peer", "key-unknown", "key-expired", "auth",
      "replay", "stale", "too-big", "collision", "sessions-full",
      "waypoints", "closed", "path-mtu"};
  static char buf[16];
  if (i >= 0 && (size_t)i < sizeof(n) / sizeof(n[0])) {
    return n[i];
  }
  snprintf(buf, sizeof(buf), "drop-%d", 300 + i);
  return buf;
}

static void fwd_rand(uint8_t *dest, size_t len, void *ud) {
  (void)ud;
  bfd_uv_rand(dest, len, NULL);
}

static void note_err(rt_fwd *f, const char *what, const char *err) {
  if (strcmp(f->last_err, err) != 0) {
    rt_log(f->r, "forwarding: %s: %s", what, err);
    snprintf(f->last_err, sizeof(f->last_err), "%s", err);
  }
}

/* ---- paths ----------------------------------------------------------------- */

static int path_usable(const rt_path *p) {
  /* BFD disabled for the adjacency: nothing says it is down */
  return p->fpeer != NULL && !p->retiring && (p->s == NULL || p->up_at != 0);
}

/* First usable path to router |peer| in configuration order. */
static rt_path *path_to(rt *r, const char *peer, const rt_path *except) {
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    if (p != except && path_usable(p) && strcmp(p->adj.peer, peer) == 0) {
      return p;
    }
  }
  return NULL;
}

/* MTU of the interface that owns |a|, or 1500. */
static uint32_t dev_mtu_of(const svrbfd_addr *a) {
  fwd_prefix pf;
  char dev[IF_NAMESIZE];
  struct ifreq ifr;
  int fd, mtu = 1500;
  memset(&pf, 0, sizeof(pf));
  pf.family = a->family;
  pf.len = a->family == 4 ? 32 : 128;
  memcpy(pf.addr, a->addr, 16);
  if (fwd_dev_of_addr(&pf, dev, sizeof(dev)) != 0) {
    return 1500;
  }
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return 1500;
  }
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
  if (ioctl(fd, SIOCGIFMTU, &ifr) == 0) {
    mtu = ifr.ifr_mtu;
  }
  close(fd);
  return (uint32_t)mtu;
}

/* The path MTU we forward with: PMTU discovery's, else the interface's. */
static uint32_t path_mtu(const rt_path *p) {
  return p->fwd_pmtu ? p->fwd_pmtu : p->fwd_ifmtu;
}

/* Largest inner packet for service routes towards |peer|: the smallest
 * path MTU of its paths minus our largest fast-path overhead. */
static uint32_t inner_mtu(rt *r, const char *peer) {
  uint32_t best = 0;
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    uint32_t m, ov;
    if (p->fpeer == NULL || (peer && strcmp(p->adj.peer, peer) != 0)) {
      continue;
    }
    ov = (uint32_t)svrfwd_peer_overhead(p->fpeer, 6);
    m = path_mtu(p) > ov + 576 ? path_mtu(p) - ov : 576;
    if (best == 0 || m < best) {
      best = m;
    }
  }
  return best ? best : 1500;
}

/* ---- kernel plumbing -------------------------------------------------------- */

static void prefix_of(fwd_prefix *o, const rc_prefix *p) {
  memset(o, 0, sizeof(*o));
  o->family = p->family;
  o->len = p->len;
  memcpy(o->addr, p->addr, 16);
}

static int add_rule(rt_fwd *f, const fwd_rule *ru, char *err, size_t errlen) {
  if (f->n_rules == FWD_MAX_RULES) {
    snprintf(err, errlen, "more than %d policy rules needed", FWD_MAX_RULES);
    return -1;
  }
  if (fwd_nl_rule(ru, 1, err, errlen) != 0) {
    return -1;
  }
  f->rules[f->n_rules++] = *ru;
  return 0;
}

static int add_route(rt_fwd *f, const fwd_prefix *dst, uint32_t mtu, int svc,
                     char *err, size_t errlen) {
  if (f->n_routes == FWD_MAX_ROUTES) {
    snprintf(err, errlen, "too many routes");
    return -1;
  }
  if (fwd_nl_route(f->r->cfg->forwarding_table, dst, f->tun.ifindex, mtu, 1,
                   err, errlen) != 0) {
    return -1;
  }
  f->routes[f->n_routes] = *dst;
  f->route_mtu[f->n_routes] = mtu;
  f->route_svc[f->n_routes] = svc;
  f->n_routes++;
  return 0;
}

/* Route MTUs follow the path MTUs (the kernel then answers DF packets that
 * are too big with the right next-hop MTU, RFC 1191). */
static void update_route_mtus(rt_fwd *f) {
  rt *r = f->r;
  size_t i;
  char err[256];
  for (i = 0; i < f->n_routes; i++) {
    uint32_t mtu = f->route_svc[i] >= 0
                       ? inner_mtu(r, r->cfg->services[f->route_svc[i]].peer)
                       : inner_mtu(r, NULL);
    if (mtu != f->route_mtu[i]) {
      if (fwd_nl_route(r->cfg->forwarding_table, &f->routes[i],
                       f->tun.ifindex, mtu, 1, err, sizeof(err)) == 0) {
        f->route_mtu[i] = mtu;
      } else {
        note_err(f, "route MTU", err);
      }
    }
  }
}

static int sysctl_set(rt_fwd *f, const char *path, const char *val, char *err,
                      size_t errlen) {
  (void)f;
  return fwd_sysctl(path, val, err, errlen);
}

static void close_rings(rt_fwd *f) {
  size_t i;
  for (i = 0; i < f->n_rings; i++) {
    fwd_ring_close(&f->rings[i]);
  }
  f->n_rings = 0;
  f->ring_mode = 0;
  f->any_source = 0;
}

static int prefix_cmp(const void *a, const void *b) {
  const fwd_prefix *x = a, *y = b;
  if (x->family != y->family) {
    return x->family < y->family ? -1 : 1;
  }
  return memcmp(x->addr, y->addr, 16);
}

/* The peers' addresses: every path's remote waypoint, sorted, once each. */
static size_t collect_peers(rt *r, fwd_prefix *out) {
  size_t i, n = 0, k;
  for (i = 0; i < r->n_paths; i++) {
    const svrbfd_addr *a = &r->paths[i]->adj.remote;
    if (r->paths[i]->fpeer == NULL || (a->family != 4 && a->family != 6)) {
      continue;
    }
    memset(&out[n], 0, sizeof(out[n]));
    out[n].family = a->family;
    out[n].len = a->family == 4 ? 32 : 128;
    memcpy(out[n].addr, a->addr, a->family == 4 ? 4 : 16);
    n++;
  }
  qsort(out, n, sizeof(*out), prefix_cmp);
  for (i = 0, k = 0; i < n; i++) {
    if (k == 0 || prefix_cmp(&out[k - 1], &out[i]) != 0) {
      out[k++] = out[i];
    }
  }
  return k;
}

/* 1 if the IP packet |ip| comes from a peer (only asked when a ring's
 * filter could not check it). */
static int from_peer(const rt_fwd *f, const uint8_t *ip, size_t len) {
  fwd_prefix k;
  memset(&k, 0, sizeof(k));
  if (len >= 20 && ip[0] >> 4 == 4) {
    k.family = 4;
    k.len = 32;
    memcpy(k.addr, ip + 12, 4);
  } else if (len >= 40 && ip[0] >> 4 == 6) {
    k.family = 6;
    k.len = 128;
    memcpy(k.addr, ip + 8, 16);
  } else {
    return 0;
  }
  return bsearch(&k, f->peers, f->n_peers, sizeof(k), prefix_cmp) != NULL;
}

/* The ring filters' addresses of ring |rg|: the waypoints on its device. */
static size_t ring_addrs(const rt_fwd *f, const char *dev, fwd_prefix *out) {
  size_t j, na = 0;
  for (j = 0; j < f->n_wps; j++) {
    if (strcmp(f->wps[j].dev, dev) == 0) {
      out[na++] = f->wps[j].addr;
    }
  }
  return na;
}

static void resolve_l2(rt_fwd *f);

/* The waypoint addresses of this router and the devices that hold them:
 * the address of every interface a path uses, in configuration order (the
 * first of each family is also the source of our ICMP errors).  -1 with
 * |err| filled when an address is on no device (it is left out). */
static int collect_wps(rt_fwd *f, fwd_nft_wp *wps, size_t *nwp, char *err,
                       size_t errlen) {
  rt *r = f->r;
  const rc_config *c = r->cfg;
  size_t nw = 0, i, j;
  int rv = 0, have4 = 0, have6 = 0;
  for (i = 0; i < c->n_interfaces; i++) {
    const rc_interface *it = &c->interfaces[i];
    int used = 0;
    for (j = 0; j < r->n_paths; j++) {
      used |= r->paths[j]->adj.interface == (int)i;
    }
    if (!used || nw == RC_MAX_INTERFACES) {
      continue;
    }
    memset(&wps[nw], 0, sizeof(wps[nw]));
    wps[nw].addr.family = it->address.family;
    wps[nw].addr.len = it->address.family == 4 ? 32 : 128;
    memcpy(wps[nw].addr.addr, it->address.addr, 16);
    if (fwd_dev_of_addr(&wps[nw].addr, wps[nw].dev, sizeof(wps[nw].dev)) !=
        0) {
      snprintf(err, errlen, "[interface %s]: no network device has address "
                            "%s", it->name, it->address_text);
      rv = -1;
      continue;
    }
    if (it->address.family == 4 && !have4) {
      have4 = 1;
      memcpy(f->icmp_src, it->address.addr, 4);
    } else if (it->address.family == 6 && !have6) {
      have6 = 1;
      memcpy(f->icmp_src6, it->address.addr, 16);
      f->have_src6 = 1;
    }
    nw++;
  }
  *nwp = nw;
  return rv;
}

/* An AF_PACKET send socket for every device with a waypoint address that
 * has none yet (at start, and when our address moves to another device);
 * the raw IP socket stays the fallback. */
static void open_ptx(rt_fwd *f) {
  char err[256];
  size_t i, k;
  for (i = 0; f->raw_ok && i < f->n_wps && f->n_ptx < RC_MAX_INTERFACES;
       i++) {
    int have = 0;
    for (k = 0; k < f->n_ptx; k++) {
      have |= strcmp(f->ptx[k].dev, f->wps[i].dev) == 0;
    }
    if (have) {
      continue;
    }
    if (fwd_ptx_open(&f->ptx[f->n_ptx], f->wps[i].dev, err, sizeof(err)) ==
        0) {
      f->n_ptx++;
    } else {
      /* once per device: a later refresh finds it missing and retries */
      rt_log(f->r, "forwarding: %s: waypoint packets to peers on %s "
                   "through the raw IP socket", err, f->wps[i].dev);
    }
  }
}

static void on_ring(uv_poll_t *h, int status, int events);

/* Ring mode: an AF_PACKET ring for every device with a waypoint address
 * that has none yet (our address moved to another device).  A ring whose
 * device no longer holds one stays open with a filter that passes
 * nothing (refresh_peers). */
static void open_new_rings(rt_fwd *f) {
  fwd_prefix addrs[RC_MAX_INTERFACES];
  char err[256];
  size_t i, k;
  if (!f->ring_mode) {
    return;
  }
  for (i = 0; i < f->n_wps && f->n_rings < RC_MAX_INTERFACES; i++) {
    fwd_ring *rg = &f->rings[f->n_rings];
    int have = 0;
    size_t na;
    for (k = 0; k < f->n_rings; k++) {
      have |= strcmp(f->rings[k].dev, f->wps[i].dev) == 0;
    }
    if (have) {
      continue;
    }
    na = ring_addrs(f, f->wps[i].dev, addrs);
    if (fwd_ring_open(rg, f->wps[i].dev, addrs, na, f->peers, f->n_peers,
                      SVRFWD_WP_DEFAULT_FIRST, SVRFWD_WP_DEFAULT_LAST, err,
                      sizeof(err)) != 0) {
      note_err(f, "ring", err);
      continue;
    }
    uv_poll_init(f->r->loop, &f->ring_poll[f->n_rings], rg->fd);
    f->ring_poll[f->n_rings].data = f;
    uv_poll_start(&f->ring_poll[f->n_rings], UV_READABLE, on_ring);
    f->n_rings++;
    rt_log(f->r, "forwarding: AF_PACKET ring on %s", rg->dev);
  }
}

/* 1 when every path is encrypted (rx_csum_skip). */
static int all_sealed(const rt *r) {
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    if (r->paths[i]->fpeer && r->paths[i]->adj.cipher == SVRFWD_CIPHER_NONE) {
      return 0;
    }
  }
  return 1;
}

/* Paths came or went (a SIGHUP reload, a dynamic peer update) or our own
 * waypoint address moved (dynamic-address, a reload): the ring filters,
 * the nft rules and the next hops take the new peer and own addresses. */
static void refresh_peers(rt_fwd *f) {
  fwd_prefix np[RC_MAX_ADJACENCIES], addrs[RC_MAX_INTERFACES];
  fwd_nft_wp nwps[RC_MAX_INTERFACES];
  size_t n = collect_peers(f->r, np), nw = 0, i;
  char err[256], text[64];
  int any = 0, peers_same, wps_same;
  f->rx_csum_skip = all_sealed(f->r);
  if (collect_wps(f, nwps, &nw, err, sizeof(err)) != 0) {
    note_err(f, "waypoint address", err);
  }
  peers_same =
      n == f->n_peers && memcmp(np, f->peers, n * sizeof(np[0])) == 0;
  wps_same = nw == f->n_wps && memcmp(nwps, f->wps, nw * sizeof(nwps[0])) == 0;
  if (peers_same && wps_same) {
    return;
  }
  memcpy(f->peers, np, n * sizeof(np[0]));
  f->n_peers = n;
  if (!wps_same) {
    memcpy(f->wps, nwps, nw * sizeof(nwps[0]));
    f->n_wps = nw;
    open_new_rings(f);
    open_ptx(f);
  }
  f->l2_last = -1;
  resolve_l2(f);
  for (i = 0; i < f->n_rings; i++) {
    size_t na = ring_addrs(f, f->rings[i].dev, addrs);
    if (fwd_ring_set_filter(&f->rings[i], addrs, na, f->peers, f->n_peers,
                            SVRFWD_WP_DEFAULT_FIRST, SVRFWD_WP_DEFAULT_LAST,
                            err, sizeof(err)) != 0) {
      note_err(f, "ring filter", err);
    }
    any |= f->rings[i].any_source;
  }
  f->any_source = any;
  if (!wps_same) {
    /* the rules name our addresses: the tables are replaced in one
     * transaction (the peer sets with them) */
    if (fwd_nft_install(&f->nft, f->tun.name,
                        f->ring_mode ? NULL : f->tap.name, f->wps, f->n_wps,
                        f->peers, f->n_peers, SVRFWD_WP_DEFAULT_FIRST,
                        SVRFWD_WP_DEFAULT_LAST, f->r->cfg->forwarding_table,
                        NULL, 0, err, sizeof(err)) != 0) {
      note_err(f, "nftables", err);
    }
    for (i = 0; i < f->n_wps; i++) {
      inet_ntop(f->wps[i].addr.family == 4 ? AF_INET : AF_INET6,
                f->wps[i].addr.addr, text, sizeof(text));
      rt_log(f->r, "forwarding: waypoint address %s on %s", text,
             f->wps[i].dev);
    }
  } else if (fwd_nft_set_peers(&f->nft, f->peers, f->n_peers, err,
                               sizeof(err)) != 0) {
    note_err(f, "peer set", err);
  }
  rt_log(f->r, "forwarding: waypoint packets taken from %zu peer "
               "address(es)", f->n_peers);
}

static void on_peers_timer(uv_timer_t *t) { refresh_peers(t->data); }

/* The next hop's MAC address of every peer, from the kernel's route and
 * neighbour tables: at start, when the peers change, once a second.  A
 * peer without one (not resolved yet, or a failed entry) gets its packets
 * through the raw socket, whose route lookup makes the kernel resolve it. */
static void resolve_l2(rt_fwd *f) {
  size_t i, k;
  char err[256];
  for (i = 0; i < f->n_peers; i++) {
    int ifindex = 0, rc;
    uint8_t mac[6];
    f->peer_l2[i].ptx = -1;
    if (f->n_ptx == 0) {
      continue;
    }
    rc = fwd_nl_nexthop(&f->peers[i], &ifindex, mac, err, sizeof(err));
    if (rc < 0) {
      f->l2_lookups_failed++;
      note_err(f, "next hop", err);
      continue;
    }
    for (k = 0; rc == 0 && k < f->n_ptx; k++) {
      if (f->ptx[k].ifindex == ifindex) {
        uint8_t *e = f->peer_l2[i].eth;
        memcpy(e, mac, 6);
        memcpy(e + 6, f->ptx[k].mac, 6);
        e[12] = f->peers[i].family == 4 ? 0x08 : 0x86;
        e[13] = f->peers[i].family == 4 ? 0x00 : 0xdd;
        f->peer_l2[i].ptx = (int)k;
      }
    }
  }
}

/* The peer_l2 entry for the destination of outer packet |ip|, or -1. */
static int l2_of(rt_fwd *f, const uint8_t *ip) {
  const fwd_prefix *pp;
  fwd_prefix k;
  int fam = ip[0] >> 4, i = f->l2_last;
  size_t alen = fam == 4 ? 4 : 16;
  const uint8_t *dst = fam == 4 ? ip + 16 : ip + 24;
  if (i >= 0 && (size_t)i < f->n_peers && f->peers[i].family == fam &&
      memcmp(f->peers[i].addr, dst, alen) == 0) {
    return f->peer_l2[i].ptx >= 0 ? i : -1;
  }
  memset(&k, 0, sizeof(k));
  k.family = (uint8_t)fam;
  k.len = fam == 4 ? 32 : 128;
  memcpy(k.addr, dst, alen);
  pp = bsearch(&k, f->peers, f->n_peers, sizeof(k), prefix_cmp);
  if (pp == NULL) {
    return -1;
  }
  f->l2_last = (int)(pp - f->peers);
  return f->peer_l2[f->l2_last].ptx >= 0 ? f->l2_last : -1;
}

/* Where waypoint packets from peers come in: an AF_PACKET ring on every
 * device with a waypoint address (its filter: that device's addresses),
 * or, when forwarding-peer-input is tap or a ring cannot be set up, the
 * TAP device the nft rule `fwd`s them to. */
static int open_peer_input(rt_fwd *f, const fwd_nft_wp *wps, size_t nw,
                           char *err, size_t errlen) {
  rt *r = f->r;
  char tapname[RC_DEVNAME_MAX + 2], rerr[256];
  size_t i, j;
  rerr[0] = '\0';
  if (!r->cfg->forwarding_peer_tap && nw > 0) {
    f->ring_mode = 1;
    for (i = 0; i < nw && f->ring_mode; i++) {
      fwd_prefix addrs[RC_MAX_INTERFACES];
      size_t na = 0;
      int first = 1;
      for (j = 0; j < i; j++) {
        first &= strcmp(wps[j].dev, wps[i].dev) != 0;
      }
      if (!first) {
        continue;
      }
      for (j = i; j < nw; j++) {
        if (strcmp(wps[j].dev, wps[i].dev) == 0) {
          addrs[na++] = wps[j].addr;
        }
      }
      if (fwd_ring_open(&f->rings[f->n_rings], wps[i].dev, addrs, na,
                        f->peers, f->n_peers, SVRFWD_WP_DEFAULT_FIRST,
                        SVRFWD_WP_DEFAULT_LAST, rerr, sizeof(rerr)) != 0) {
        close_rings(f);
        break;
      }
      f->any_source |= f->rings[f->n_rings].any_source;
      f->n_rings++;
    }
    if (f->ring_mode) {
      return 0;
    }
    rt_log(r, "forwarding: no AF_PACKET ring (%s): waypoint packets from "
              "peers through the TAP device", rerr);
  }
  snprintf(tapname, sizeof(tapname), "%.13sw", r->cfg->forwarding_device);
  /* a TAP device carries an Ethernet header within 65535 */
  return fwd_tun_open(&f->tap, tapname, 65535 - 14, 1, err, errlen);
}

static int kernel_setup(rt_fwd *f, char *err, size_t errlen) {
  rt *r = f->r;
  rc_config *c = r->cfg;
  fwd_nft_wp wps[RC_MAX_INTERFACES];
  size_t nw = 0, i, j, k, t;
  char path[128];
  fwd_prefix any4, any6;
  fwd_rule ru;
  uint32_t pref = FWD_RULE_PREF;
  int have4 = 0, have6 = 0;

  if (sysctl_set(f, "ipv4/ip_forward", "1", err, errlen) != 0) {
    return -1;
  }
  snprintf(path, sizeof(path), "ipv4/conf/%s/accept_local", f->tun.name);
  /* the waypoint packets we write carry our own address as source */
  if (sysctl_set(f, path, "1", err, errlen) != 0) {
    return -1;
  }
  /* restored packets carry the client's address, which has no route back
   * through the TUN device in the main table: strict reverse-path checks
   * would drop them (the effective value is max(all, dev)) */
  snprintf(path, sizeof(path), "ipv4/conf/%s/rp_filter", f->tun.name);
  if (sysctl_set(f, path, "0", err, errlen) != 0 ||
      sysctl_set(f, "ipv4/conf/all/rp_filter", "0", err, errlen) != 0) {
    return -1;
  }
  /* waypoint addresses and their devices */
  if (collect_wps(f, wps, &nw, err, errlen) != 0) {
    return -1;
  }
  for (i = 0; i < nw; i++) {
    have4 |= wps[i].addr.family == 4;
    have6 |= wps[i].addr.family == 6;
  }
  memcpy(f->wps, wps, nw * sizeof(wps[0]));
  f->n_wps = nw;
  f->n_peers = collect_peers(r, f->peers);
  if (open_peer_input(f, wps, nw, err, errlen) != 0) {
    return -1;
  }
  if (fwd_nft_install(&f->nft, f->tun.name,
                      f->ring_mode ? NULL : f->tap.name, wps, nw, f->peers,
                      f->n_peers, SVRFWD_WP_DEFAULT_FIRST,
                      SVRFWD_WP_DEFAULT_LAST, c->forwarding_table, NULL, 0,
                      err, errlen) != 0) {
    return -1;
  }
  /* table T: the marked replies (any destination), and one route per
   * service prefix with its MTU */
  memset(&any4, 0, sizeof(any4));
  any4.family = 4;
  any6 = any4;
  any6.family = 6;
  f->mark_route_v4 = f->mark_route_v6 = -1;
  if (have4) {
    f->mark_route_v4 = (int)f->n_routes;
    if (add_route(f, &any4, inner_mtu(r, NULL), -1, err, errlen) != 0) {
      return -1;
    }
  }
  if (have6) {
    f->mark_route_v6 = (int)f->n_routes;
    if (add_route(f, &any6, inner_mtu(r, NULL), -1, err, errlen) != 0) {
      return -1;
    }
  }
  for (i = 0; i < c->n_services; i++) {
    for (j = 0; j < c->services[i].n_prefixes; j++) {
      fwd_prefix pf;
      prefix_of(&pf, &c->services[i].prefixes[j]);
      if (add_route(f, &pf, inner_mtu(r, c->services[i].peer), (int)i, err,
                    errlen) != 0) {
        return -1;
      }
    }
  }
  /* FIB rules: what we write into the device is routed by the main table
   * (never back into the device by a service rule: a loop), then the mark,
   * then (tenant prefix, service prefix, protocol, ports) per service in
   * configuration order */
  for (k = 0; k < 4; k++) {
    int fam = k % 2 == 0 ? 4 : 6;
    if ((fam == 4 && !have4) || (fam == 6 && !have6)) {
      continue;
    }
    memset(&ru, 0, sizeof(ru));
    ru.priority = pref + (uint32_t)(k / 2);
    ru.family = (uint8_t)fam;
    if (k < 2) {
      ru.table = 254; /* main */
      snprintf(ru.iifname, sizeof(ru.iifname), "%s", f->tun.name);
    } else {
      ru.table = c->forwarding_table;
      ru.fwmark = c->forwarding_table;
    }
    if (add_rule(f, &ru, err, errlen) != 0) {
      return -1;
    }
  }
  pref += 2;
  for (i = 0; i < c->n_services; i++) {
    const rc_service *sv = &c->services[i];
    for (j = 0; j < sv->n_prefixes; j++) {
      size_t nt = sv->n_tenants ? sv->n_tenants : 1;
      for (t = 0; t < nt; t++) {
        const rc_tenant *tn =
            sv->n_tenants ? &c->tenants[sv->tenant_idx[t]] : NULL;
        size_t np = tn ? tn->n_prefixes : 1;
        for (k = 0; k < np; k++) {
          memset(&ru, 0, sizeof(ru));
          ru.priority = pref++;
          ru.table = c->forwarding_table;
          ru.family = sv->prefixes[j].family;
          prefix_of(&ru.to, &sv->prefixes[j]);
          if (tn) {
            if (tn->prefixes[k].family != ru.family) {
              continue;
            }
            prefix_of(&ru.from, &tn->prefixes[k]);
          }
          ru.ipproto = sv->protocol;
          ru.dport_lo = sv->port_lo;
          ru.dport_hi = sv->port_hi;
          if (add_rule(f, &ru, err, errlen) != 0) {
            return -1;
          }
        }
      }
    }
  }
  return 0;
}

static void kernel_teardown(rt_fwd *f) {
  size_t i;
  char err[256];
  for (i = 0; i < f->n_rules; i++) {
    fwd_nl_rule(&f->rules[i], 0, err, sizeof(err));
  }
  f->n_rules = 0;
  for (i = 0; i < f->n_routes; i++) {
    fwd_nl_route(f->r->cfg->forwarding_table, &f->routes[i], f->tun.ifindex,
                 0, 0, err, sizeof(err));
  }
  f->n_routes = 0;
  fwd_nft_remove(&f->nft);
}

/* ---- packets ---------------------------------------------------------------- */

/* RFC 792 destination unreachable / RFC 1191 fragmentation needed, from
 * f->icmp_src to the source of |orig|, quoting its IP header and as much of
 * the rest as keeps the error within 576 bytes (RFC 1812 4.3.2.3). */
static size_t icmp4_error(const rt_fwd *f, uint8_t *out, const uint8_t *orig,
                          size_t origlen, uint8_t code, uint16_t mtu) {
  size_t q = origlen > 576 - 28 ? 576 - 28 : origlen, n = 28 + q, i;
  uint32_t sum = 0;
  memset(out, 0, 28);
  out[0] = 0x45;
  out[1] = 0xc0; /* CS6, as routers send their errors */
  out[2] = (uint8_t)(n >> 8);
  out[3] = (uint8_t)n;
  out[8] = 64;
  out[9] = 1;
  memcpy(out + 12, f->icmp_src, 4);
  memcpy(out + 16, orig + 12, 4);
  for (i = 0; i < 20; i += 2) {
    sum += (uint32_t)(out[i] << 8 | out[i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  out[10] = (uint8_t)(~sum >> 8);
  out[11] = (uint8_t)~sum;
  out[20] = 3;
  out[21] = code;
  out[26] = (uint8_t)(mtu >> 8);
  out[27] = (uint8_t)mtu;
  memcpy(out + 28, orig, q);
  sum = 0;
  for (i = 20; i + 1 < n; i += 2) {
    sum += (uint32_t)(out[i] << 8 | out[i + 1]);
  }
  if (i < n) {
    sum += (uint32_t)(out[i] << 8);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  out[22] = (uint8_t)(~sum >> 8);
  out[23] = (uint8_t)~sum;
  return n;
}

static void write_tun(rt_fwd *f, const struct virtio_net_hdr *vh,
                      const uint8_t *p, size_t len) {
  char err[256];
  int rc = fwd_tun_write(&f->tun, vh, p, len, err, sizeof(err));
  if (rc == 1) {
    f->drop[FD_TX_FULL]++;
  } else if (rc < 0) {
    f->drop[FD_TX_ERROR]++;
    note_err(f, "write", err);
  }
}

/* RFC 4443 section 3.1 destination unreachable from f->icmp_src6 to the
 * source of |orig|, quoting as much of it as keeps the error within the
 * IPv6 minimum MTU (section 2.4 (c)).  |out| holds 1280 bytes. */
static size_t icmp6_error(const rt_fwd *f, uint8_t *out, const uint8_t *orig,
                          size_t origlen, uint8_t code) {
  size_t q = origlen > 1280 - 48 ? 1280 - 48 : origlen, n = 48 + q;
  uint8_t ph[8];
  uint32_t sum;
  memset(out, 0, 48);
  out[0] = 0x6c; /* version 6, traffic class CS6 (0xc0) */
  svr_put_be16(out + 4, (uint16_t)(8 + q));
  out[6] = 58;
  out[7] = 64;
  memcpy(out + 8, f->icmp_src6, 16);
  memcpy(out + 24, orig + 8, 16);
  out[40] = 1; /* destination unreachable */
  out[41] = code;
  memcpy(out + 48, orig, q);
  /* checksum over the pseudo-header (RFC 8200 section 8.1) and message */
  svr_put_be32(ph, (uint32_t)(8 + q));
  ph[4] = ph[5] = ph[6] = 0;
  ph[7] = 58;
  sum = svr_cksum_add(0, out + 8, 32);
  sum = svr_cksum_add(sum, ph, 8);
  sum = svr_cksum_add(sum, out + 40, 8 + q);
  svr_put_be16(out + 42, svr_cksum_finish(sum));
  return n;
}

/* 1 when an ICMPv6 error may answer |ip| (RFC 4443 section 2.4 (e)): not
 * an error message itself, not to a multicast destination (no Packet Too
 * Big or Parameter Problem is sent here), not from the unspecified or a
 * multicast source, and only for the first fragment. */
static int icmp6_may_answer(const uint8_t *ip, size_t len) {
  static const uint8_t unspec[16];
  if (len < 40 || ip[24] == 0xff || ip[8] == 0xff ||
      memcmp(ip + 8, unspec, 16) == 0) {
    return 0;
  }
  if (ip[6] == 58 && len >= 41 && ip[40] < 128) {
    return 0; /* an ICMPv6 error message */
  }
  if (ip[6] == 44 && len >= 44 && (svr_get_be16(ip + 42) & 0xfff8) != 0) {
    return 0; /* a fragment other than the first */
  }
  return 1;
}

/* Answers a refused packet with an ICMP error: IPv4 (never one to an ICMP
 * error, RFC 1122 3.2.2) with |code| of RFC 792 / RFC 1812, IPv6 (RFC 4443
 * section 3.1) with the code that means the same. */
static void refuse(rt_fwd *f, const uint8_t *ip, size_t len, uint8_t code,
                   uint16_t mtu) {
  uint8_t out[1280];
  size_t n;
  if (len >= 1 && (ip[0] >> 4) == 6) {
    /* v4 0 net unreachable -> 0 no route to destination; 13 administratively
     * prohibited -> 1; 1 host unreachable -> 3 address unreachable */
    uint8_t c6 = code == 13 ? 1 : code == 1 ? 3 : 0;
    if (!f->have_src6 || !icmp6_may_answer(ip, len)) {
      return;
    }
    n = icmp6_error(f, out, ip, len, c6);
    write_tun(f, NULL, out, n);
    f->icmp_sent++;
    return;
  }
  if (len < 20 || (ip[0] >> 4) != 4 || f->icmp_src[0] == 0) {
    return;
  }
  if (ip[9] == 1 && len > (size_t)(ip[0] & 15) * 4 &&
      ip[(ip[0] & 15) * 4] != 8) {
    return;
  }
  if (ip[6] & 0x1f || ip[7]) { /* only for the first fragment */
    return;
  }
  n = icmp4_error(f, out, ip, len, code, mtu);
  write_tun(f, NULL, out, n);
  f->icmp_sent++;
}

/* Policy: which service (and tenant) a new flow belongs to. */
static const rc_service *policy(rt *r, const uint8_t *ip, size_t len,
                                const char **tenant, int *why) {
  const rc_config *c = r->cfg;
  int family = ip[0] >> 4;
  const uint8_t *src, *dst;
  uint8_t proto;
  size_t l3;
  uint16_t dport = 0;
  size_t i, j, k;
  if (family == 4) {
    l3 = (size_t)(ip[0] & 15) * 4;
    src = ip + 12;
    dst = ip + 16;
    proto = ip[9];
  } else {
    l3 = 40;
    src = ip + 8;
    dst = ip + 24;
    proto = ip[6];
  }
  if ((proto == 6 || proto == 17) && len >= l3 + 4) {
    dport = (uint16_t)(ip[l3 + 2] << 8 | ip[l3 + 3]);
  }
  *tenant = "";
  for (i = 0; i < c->n_tenants; i++) {
    for (j = 0; j < c->tenants[i].n_prefixes; j++) {
      if (rc_prefix_match(&c->tenants[i].prefixes[j], family, src)) {
        *tenant = c->tenants[i].name;
        i = c->n_tenants;
        break;
      }
    }
  }
  *why = FD_NO_SERVICE;
  for (i = 0; i < c->n_services; i++) {
    const rc_service *sv = &c->services[i];
    int hit = 0;
    if (sv->protocol && sv->protocol != proto) {
      continue;
    }
    if (sv->port_lo && (dport < sv->port_lo || dport > sv->port_hi)) {
      continue;
    }
    for (j = 0; j < sv->n_prefixes && !hit; j++) {
      hit = rc_prefix_match(&sv->prefixes[j], family, dst);
    }
    if (!hit) {
      continue;
    }
    if (sv->n_tenants) {
      int ok = 0;
      for (k = 0; k < sv->n_tenants; k++) {
        ok |= strcmp(sv->tenants[k], *tenant) == 0;
      }
      if (!ok) {
        *why = FD_TENANT;
        continue;
      }
    }
    return sv;
  }
  return NULL;
}

static void count_core(rt_fwd *f, int rv) {
  /* the core counts its -3xx drops itself; anything else is ours to say */
  if (rv <= -400 || rv > -300) {
    f->drop[FD_CORE_OTHER]++;
    note_err(f, "libsvrfwd", svrfwd_strerror(rv));
  }
}

static void flush_gro(rt_fwd *f) {
  struct virtio_net_hdr vh;
  size_t n = fwd_gro_flush(&f->gro, &vh);
  if (n) {
    write_tun(f, &vh, f->gro_buf, n);
    f->tx_host_writes++;
  }
}

static void ub_flush(rt_fwd *f, udp_batch *ub);
static int ub_fits(const rt_fwd *f, const uint8_t *p, size_t len);
static void ub_add(rt_fwd *f, udp_batch *ub, const uint8_t *p, size_t len);

/* A restored packet for a host behind this router: TCP segments join into
 * a TCP super-packet (GRO), UDP datagrams into a UDP one (USO). */
static void deliver(rt_fwd *f, const uint8_t *p, size_t len) {
  int rc;
  f->tx_host++;
  if (ub_fits(f, p, len)) {
    flush_gro(f);
    ub_add(f, &f->hb, p, len);
    return;
  }
  ub_flush(f, &f->hb);
  rc = fwd_gro_add(&f->gro, p, len);
  if (rc == 0) {
    flush_gro(f);
    rc = fwd_gro_add(&f->gro, p, len);
  }
  if (rc < 0) {
    flush_gro(f); /* keep the order */
    write_tun(f, NULL, p, len);
    f->tx_host_writes++;
  }
}

/* Writes the pending UDP super-packet: IP and UDP lengths of the whole,
 * the UDP checksum left partial (the pseudo-header sum, NEEDS_CSUM), and a
 * virtio-net header saying where the kernel cuts it (gso_size). */
static void ub_flush(rt_fwd *f, udp_batch *ub) {
  struct virtio_net_hdr vh;
  uint8_t *p = ub->buf;
  size_t len = ub->len;
  uint32_t sum;
  if (len == 0) {
    return;
  }
  ub->len = 0;
  (*ub->writes)++;
  if (ub->nsegs == 1) {
    if (ub == &f->wb && f->csum_partial) {
      fwd_l4_csum_complete(p, len);
    }
    write_tun(f, NULL, p, len);
    return;
  }
  svr_put_be16(p + 2, (uint16_t)len);
  p[10] = p[11] = 0;
  svr_put_be16(p + 10, svr_cksum(p, 20));
  svr_put_be16(p + 24, (uint16_t)(len - 20));
  sum = svr_cksum_add(0, p + 12, 8);
  sum += 17 + (uint32_t)(len - 20);
  svr_put_be16(p + 26, svr_cksum_fold(sum));
  memset(&vh, 0, sizeof(vh));
  vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
  vh.hdr_len = 28;
  vh.gso_size = (uint16_t)ub->seg;
  vh.csum_start = 20;
  vh.csum_offset = 6;
  write_tun(f, &vh, p, len);
}

/* 1 if |p| may join a UDP GSO super-packet: IPv4 without options, UDP, not
 * a fragment, some payload, and the device takes USO. */
static int ub_fits(const rt_fwd *f, const uint8_t *p, size_t len) {
  return (f->tun.offloads & TUN_F_USO4) && len > 28 && p[0] == 0x45 &&
         p[9] == 17 && (svr_get_be16(p + 6) & 0x3fff) == 0;
}

/* Consecutive packets of one UDP flow with equal payload sizes (the last
 * may be shorter) join: one write instead of up to 64 (the kernel's
 * UDP_MAX_SEGMENTS).  |p| must pass ub_fits(). */
static void ub_add(rt_fwd *f, udp_batch *ub, const uint8_t *p, size_t len) {
  size_t plen = len - 28;
  uint8_t key[13];
  memcpy(key, p + 12, 8);
  memcpy(key + 8, p + 20, 4);
  key[12] = p[8];
  if (ub->len &&
      (ub->closed || plen > ub->seg || ub->nsegs == 64 ||
       ub->len + plen > 65535 || memcmp(key, ub->key, 13) != 0 ||
       ub->buf[1] != p[1] || ub->buf[6] != p[6])) {
    ub_flush(f, ub);
  }
  if (ub->len == 0) {
    memcpy(ub->buf, p, len);
    memcpy(ub->key, key, 13);
    ub->len = len;
    ub->seg = plen;
    ub->nsegs = 1;
    ub->closed = 0;
    return;
  }
  memcpy(ub->buf + ub->len, p + 28, plen);
  ub->len += plen;
  ub->nsegs++;
  ub->closed = plen < ub->seg;
}

/* The kernel routes a client's packet on this router twice: into the TUN
 * device (one TTL decrement, and the time exceeded for a packet that came
 * with TTL 1, as any router does) and again when we write the waypoint
 * packet back.  A router is one hop (RFC 1812 5.3.1: decrement by one), so
 * the second decrement is given back here, before the write; at 255 it
 * stays.  The egress router writes restored packets, which the kernel
 * routes once: its one hop (docs/dataplane.md 1). */
static void ttl_give_back(uint8_t *ip, size_t len) {
  if (len >= 20 && ip[0] >> 4 == 4) {
    if (ip[8] < 255) {
      uint16_t c = svr_get_be16(ip + 10);
      c = svr_cksum_update16(c, (uint16_t)((ip[8] << 8) | ip[9]),
                             (uint16_t)(((ip[8] + 1) << 8) | ip[9]));
      ip[8]++;
      svr_put_be16(ip + 10, c);
    }
  } else if (len >= 40 && ip[0] >> 4 == 6 && ip[7] < 255) {
    ip[7]++;
  }
}

/* What the kernel said about packet |i| of the batch (0: taken); |partial|:
 * its checksum is still partial. */
static void tx_result(rt_fwd *f, uint8_t *pkt, size_t len, int e,
                      int partial) {
  if (e == 0) {
    return;
  }
  f->tx_raw_refused++;
  if (e == EMSGSIZE) {
    /* above the device MTU (the metadata of a session's first packets
     * after a move to another path): neither socket fragments, so the
     * kernel forwards it from the TUN device, fragmenting it as any
     * router does (the peer reassembles) */
    ttl_give_back(pkt, len);
    if (partial) {
      fwd_l4_csum_complete(pkt, len);
    }
    f->tx_wire_writes++;
    write_tun(f, NULL, pkt, len);
  } else if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
    f->drop[FD_TX_FULL]++;
  } else {
    f->drop[FD_TX_ERROR]++;
    note_err(f, "send", strerror(e));
  }
}

/* Sends the pending waypoint packets of txbuf: one sendmmsg() per output
 * socket for all (the AF_PACKET socket of a device for the peers whose
 * next hop is known, the raw socket for the rest). */
static void tx_flush(rt_fwd *f) {
  int errs[FWD_RAW_BATCH], calls;
  uint8_t *pk[FWD_RAW_BATCH];
  const uint8_t *eth[FWD_RAW_BATCH];
  size_t ln[FWD_RAW_BATCH];
  unsigned i, n, left = f->tx_n;
  size_t k;
  if (f->tx_n == 0) {
    return;
  }
  for (k = 0; k < f->n_ptx && left > 0; k++) {
    for (i = 0, n = 0; i < f->tx_n; i++) {
      int j;
      if (f->tx_pkt[i] == NULL) {
        continue;
      }
      j = l2_of(f, f->tx_pkt[i]);
      if (j >= 0 && f->peer_l2[j].ptx == (int)k) {
        pk[n] = f->tx_pkt[i];
        ln[n] = f->tx_len[i];
        eth[n] = f->peer_l2[j].eth;
        n++;
        f->tx_pkt[i] = NULL; /* taken */
      }
    }
    if (n == 0) {
      continue;
    }
    left -= n;
    calls = fwd_ptx_send(&f->ptx[k], eth, pk, ln, n, f->csum_partial, errs);
    if (calls > 0) {
      f->tx_wire_writes += (uint64_t)calls;
      f->tx_wire_packet += n;
    }
    for (i = 0; calls > 0 && i < n; i++) {
      tx_result(f, pk[i], ln[i], errs[i],
                f->csum_partial && f->ptx[k].vnet);
    }
  }
  for (i = 0, n = 0; left > 0 && i < f->tx_n; i++) {
    if (f->tx_pkt[i] != NULL) {
      pk[n] = f->tx_pkt[i];
      ln[n] = f->tx_len[i];
      if (f->csum_partial) {
        fwd_l4_csum_complete(pk[n], ln[n]); /* a raw socket sends it as is */
      }
      n++;
    }
  }
  if (n > 0) {
    calls = fwd_raw_send(&f->raw, f->tx_family, pk, ln, n, errs);
    if (calls > 0) {
      f->tx_wire_writes += (uint64_t)calls;
      f->tx_wire_raw += n;
    }
    for (i = 0; calls > 0 && i < n; i++) {
      tx_result(f, pk[i], ln[i], errs[i], 0);
    }
  }
  f->tx_n = 0;
  f->tx_off = 0;
  f->tx_family = 0;
}

/* Where the next packet from the TUN device is built: in txbuf behind the
 * pending ones (with room for the largest), so that what leaves for the
 * wire is sent from where the core wrote it. */
static uint8_t *tx_work(rt_fwd *f) {
  if (!f->raw_ok) {
    return f->seg;
  }
  if (f->tx_n == FWD_RAW_BATCH || FWD_TX_CAP - f->tx_off < FWD_SEG_CAP) {
    tx_flush(f);
  }
  return f->txbuf + f->tx_off;
}

/* A waypoint packet for the wire.  UDP (transform) joins a UDP GSO
 * super-packet written to the TUN device, which the kernel routes (and
 * decrements: the TTL is given back first).  Anything else is queued for
 * the raw socket when it was built in txbuf: locally originated, the
 * kernel does not decrement it, and the router's one hop was the
 * decrement into the TUN device. */
static void wire_out(rt_fwd *f, uint8_t *p, size_t len) {
  int fam = p[0] >> 4;
  f->tx_wire++;
  if (ub_fits(f, p, len)) {
    ttl_give_back(p, len);
    ub_add(f, &f->wb, p, len);
    return;
  }
  ub_flush(f, &f->wb);
  if (f->raw_ok && p >= f->txbuf && p + len <= f->txbuf + FWD_TX_CAP &&
      ((fam == 4 && f->raw.fd4 >= 0) || (fam == 6 && f->raw.fd6 >= 0))) {
    size_t end;
    if (f->tx_n > 0 && f->tx_family != fam) {
      tx_flush(f); /* p stays where it is; the batch starts again there */
    }
    f->tx_family = fam;
    f->tx_pkt[f->tx_n] = p;
    f->tx_len[f->tx_n] = len;
    f->tx_n++;
    end = (size_t)(p + len - f->txbuf);
    f->tx_off = (end + 63) & ~(size_t)63;
    return;
  }
  ttl_give_back(p, len);
  if (f->csum_partial) {
    fwd_l4_csum_complete(p, len);
  }
  f->tx_wire_writes++;
  write_tun(f, NULL, p, len);
}

/* One wire-sized packet from the TUN device (at |w| + SVRFWD_HEADROOM,
 * with FWD_SEG_CAP bytes around it): into the fabric. */
static void one_ingress(rt_fwd *f, uint8_t *w, size_t len,
                        svrfwd_tstamp now) {
  rt *r = f->r;
  svrfwd_buf b;
  svrfwd_session *s = NULL;
  int rv;
  b.base = w;
  b.cap = FWD_SEG_CAP;
  b.off = SVRFWD_HEADROOM;
  b.len = len;
  rv = svrfwd_ctx_ingress(f->ctx, &b, NULL, &s, now);
  if (rv == SVRFWD_ERR_PKT_NO_SESSION) {
    const uint8_t *ip = w + SVRFWD_HEADROOM;
    const char *tenant;
    int why;
    const rc_service *sv = policy(r, ip, len, &tenant, &why);
    rt_path *p;
    svrfwd_route route;
    if (sv == NULL) {
      f->drop[why]++;
      refuse(f, ip, len, why == FD_TENANT ? 13 : 0, 0); /* RFC 1812 5.2.7.1 */
      return;
    }
    p = path_to(r, sv->peer, NULL);
    if (p == NULL) {
      f->drop[FD_PATH_DOWN]++;
      refuse(f, ip, len, 1, 0); /* host unreachable */
      return;
    }
    route.peer = p->fpeer;
    route.tenant = tenant;
    route.service = sv->name;
    rv = svrfwd_ctx_ingress(f->ctx, &b, &route, &s, now);
  }
  if (rv == SVRFWD_ERR_PKT_PATH_MTU) {
    uint8_t out[576];
    svrfwd_ssize n = svrfwd_session_frag_needed(
        s, b.base + b.off, b.len, f->icmp_src, out, sizeof(out));
    if (n > 0) {
      write_tun(f, NULL, out, (size_t)n);
      f->icmp_sent++;
    }
    return;
  }
  if (rv != 0) {
    count_core(f, rv);
    return;
  }
  wire_out(f, b.base + b.off, b.len);
}

/* One packet from a peer (TAP): out of the fabric. */
static void one_egress(rt_fwd *f, size_t len, svrfwd_tstamp now) {
  svrfwd_buf b;
  svrfwd_session *s = NULL;
  int rv;
  b.base = f->seg;
  b.cap = FWD_SEG_CAP;
  b.off = SVRFWD_HEADROOM;
  b.len = len;
  rv = svrfwd_ctx_egress(f->ctx, &b, &s, now);
  if (rv != 0) {
    count_core(f, rv);
    return;
  }
  deliver(f, b.base + b.off, b.len);
}

static void process(rt_fwd *f, const struct virtio_net_hdr *vh,
                    const uint8_t *pkt, size_t len, int egress,
                    svrfwd_tstamp now) {
  fwd_gso g;
  ptrdiff_t n;
  if (len < 1 || fwd_gso_init(&g, vh, pkt, len) != 0) {
    f->drop[FD_MALFORMED]++;
    return;
  }
  /* a peer's super-packet (outer UDP): egress never reads the outer
   * checksum of an encrypted packet, so its segments are not summed */
  g.no_l4_csum = egress && f->rx_csum_skip;
  if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
    f->rx_super++;
  }
  for (;;) {
    uint8_t *w = egress ? f->seg : tx_work(f);
    n = fwd_gso_next(&g, w + SVRFWD_HEADROOM, 65535);
    if (n <= 0) {
      break;
    }
    f->segments++;
    if (egress) {
      one_egress(f, (size_t)n, now);
    } else {
      one_ingress(f, w, (size_t)n, now);
    }
  }
  if (n < 0) {
    f->drop[FD_MALFORMED]++;
  }
}

static void arm_timer(rt_fwd *f);

/* 1 if |ip| is TCP or UDP to a waypoint port (what the nft rule takes
 * whole; fragments are taken whatever they are). */
static int is_waypoint_pkt(const uint8_t *ip, size_t len) {
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  uint16_t dport;
  if (len < ihl + 4 || (ip[9] != 6 && ip[9] != 17)) {
    return 0;
  }
  dport = svr_get_be16(ip + ihl + 2);
  return dport >= SVRFWD_WP_DEFAULT_FIRST && dport <= SVRFWD_WP_DEFAULT_LAST;
}

/* What a batch leaves pending: the joined super-packets for hosts, the
 * UDP GSO super-packet and the raw batch for the wire. */
static void drain_end(rt_fwd *f) {
  flush_gro(f);
  ub_flush(f, &f->hb);
  ub_flush(f, &f->wb);
  tx_flush(f);
  arm_timer(f);
}

/* One frame from a peer (ring or TAP): an Ethernet frame; offsets in the
 * virtio-net header count its header too. */
static void peer_frame(rt_fwd *f, struct virtio_net_hdr *vh, const uint8_t *p,
                       size_t len, svrfwd_tstamp now) {
  uint16_t et;
  f->rx_tap++;
  if (len < 15) {
    f->drop[FD_MALFORMED]++;
    return;
  }
  et = (uint16_t)(p[12] << 8 | p[13]);
  if (et != 0x0800 && et != 0x86dd) {
    return; /* not IP: nothing of ours */
  }
  p += 14;
  len -= 14;
  if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    vh->csum_start = (uint16_t)(vh->csum_start >= 14 ? vh->csum_start - 14
                                                     : 0);
    if (f->rx_csum_skip && vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
      /* a peer's partial outer checksum (a veth passes it on as the
       * sender left it): egress does not read it */
      vh->flags &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
    }
  }
  vh->hdr_len = (uint16_t)(vh->hdr_len >= 14 ? vh->hdr_len - 14 : 0);
  if (fwd_reasm_is_fragment(p, len)) {
    ptrdiff_t whole = fwd_reasm_add(&f->reasm, p, len, now, f->reasm_buf,
                                    FWD_REASM_MAX);
    if (whole <= 0) {
      return; /* more to come, or a bad fragment (counted) */
    }
    memset(vh, 0, sizeof(*vh));
    p = f->reasm_buf;
    len = (size_t)whole;
    if (!is_waypoint_pkt(p, len)) {
      /* for this host, not for the data plane (a large ping to our
       * address, the firewall detector's jumbo SYN to port 1280): back
       * to the kernel, which delivers it locally as if it had
       * reassembled it itself */
      write_tun(f, NULL, p, len);
      f->frags_returned++;
      return;
    }
  }
  process(f, vh, p, len, 1, now);
}

/* Up to FWD_BUDGET frames of a peer ring: no syscall per frame. */
static int drain_ring(rt_fwd *f, fwd_ring *rg) {
  struct virtio_net_hdr vh;
  svrfwd_tstamp now = now_ns();
  int i;
  for (i = 0; i < FWD_BUDGET; i++) {
    size_t len;
    const uint8_t *p = fwd_ring_next(rg, &vh, &len, f->in, FWD_IN_CAP);
    if (p == NULL) {
      break;
    }
    if (rg->any_source && (len < 14 || !from_peer(f, p + 14, len - 14))) {
      /* not from a peer: the nft rule left it to the kernel */
      fwd_ring_release(rg);
      continue;
    }
    peer_frame(f, &vh, p, len, now);
    fwd_ring_release(rg);
  }
  return i;
}

/* Up to FWD_BUDGET reads from the TUN (or TAP) device. */
static int drain(rt_fwd *f, fwd_tun *dev, int egress) {
  struct virtio_net_hdr vh;
  char err[256];
  int i;
  svrfwd_tstamp now = now_ns();
  for (i = 0; i < FWD_BUDGET; i++) {
    ptrdiff_t n = fwd_tun_read(dev, &vh, f->in, FWD_IN_CAP, err, sizeof(err));
    const uint8_t *p = f->in;
    size_t len;
    if (n == 0) {
      break;
    }
    if (n < 0) {
      note_err(f, "read", err);
      break;
    }
    len = (size_t)n;
    if (egress) {
      peer_frame(f, &vh, p, len, now);
      continue;
    }
    f->rx_tun++;
    if (len >= 40 && (p[0] >> 4) == 6 && p[24] == 0xff) {
      /* IPv6 multicast routed into the device: the kernel's own MLD
       * reports for the groups the device joins (no address, no DAD or
       * router solicitation: fwd_tun.c); never a flow of a host */
      f->local_mcast++;
      continue;
    }
    if (fwd_reasm_is_fragment(p, len)) {
      ptrdiff_t whole = fwd_reasm_add(&f->reasm_in, p, len, now,
                                      f->reasm_buf, FWD_REASM_MAX);
      if (whole <= 0) {
        continue;
      }
      memset(&vh, 0, sizeof(vh));
      p = f->reasm_buf;
      len = (size_t)whole;
    }
    process(f, &vh, p, len, 0, now);
  }
  return i;
}

/* busy-poll-us: after a batch, look for the next packet for up to that
 * long before going back to the event loop (which sleeps in epoll_wait):
 * the rings cost a memory read per look, the TUN (and TAP) device a
 * non-blocking read.  A wake-up from epoll costs tens of microseconds on
 * a VM; the answer to what we just sent often comes sooner.  Bounded: at
 * most one batch found, then back to the loop (BFD's timers run there). */
static void busy_poll(rt_fwd *f) {
  uint64_t us = f->r->cfg->busy_poll_us;
  svrfwd_tstamp end;
  size_t i;
  if (us == 0 || f->r->stopping) {
    return;
  }
  end = now_ns() + us * 1000u;
  do {
    int n = 0;
    for (i = 0; i < f->n_rings; i++) {
      n += drain_ring(f, &f->rings[i]);
    }
    if (!f->ring_mode && f->tap.fd >= 0) {
      n += drain(f, &f->tap, 1);
    }
    n += drain(f, &f->tun, 0);
    if (n > 0) {
      f->busy_polls++;
      drain_end(f);
      return;
    }
  } while (now_ns() < end);
}

static void on_tun(uv_poll_t *h, int status, int events) {
  rt_fwd *f = h->data;
  (void)events;
  if (status == 0) {
    drain(f, &f->tun, 0);
    drain_end(f);
    busy_poll(f);
  }
}

static void on_tap(uv_poll_t *h, int status, int events) {
  rt_fwd *f = h->data;
  (void)events;
  if (status == 0) {
    drain(f, &f->tap, 1);
    drain_end(f);
    busy_poll(f);
  }
}

/* "AF_PACKET sockets on eth1 (sendmmsg; raw IP sockets
 * without a next hop)", "raw IP sockets (sendmmsg)" or "TUN device
 * writes". */
static const char *wire_output_name(rt_fwd *f) {
  static char buf[200];
  size_t i, l;
  if (!f->raw_ok) {
    return "TUN device writes";
  }
  if (f->n_ptx == 0) {
    return "raw IP sockets (sendmmsg)";
  }
  l = (size_t)snprintf(buf, sizeof(buf), "AF_PACKET sockets on");
  for (i = 0; i < f->n_ptx && l < sizeof(buf); i++) {
    l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s %s", i ? "," : "",
                          f->ptx[i].dev);
  }
  if (l < sizeof(buf)) {
    snprintf(buf + l, sizeof(buf) - l, " (sendmmsg; raw IP "
                                       "sockets (sendmmsg) until a peer's "
                                       "next hop is known)");
  }
  return buf;
}

/* "AF_PACKET ring (TPACKET_V2) on eth1, eth2" or "TAP device svr0w". */
static const char *peer_input_name(rt_fwd *f) {
  static char buf[160];
  size_t i, l;
  if (!f->ring_mode) {
    snprintf(buf, sizeof(buf), "TAP device %s", f->tap.name);
    return buf;
  }
  l = (size_t)snprintf(buf, sizeof(buf), "AF_PACKET ring (TPACKET_V2) on");
  for (i = 0; i < f->n_rings && l < sizeof(buf); i++) {
    l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s %s", i ? "," : "",
                          f->rings[i].dev);
  }
  return buf;
}

static void on_ring(uv_poll_t *h, int status, int events) {
  rt_fwd *f = h->data;
  size_t i = (size_t)(h - f->ring_poll);
  (void)events;
  if (i >= f->n_rings) {
    return;
  }
  if (status < 0) {
    /* the device went down (the socket reports ENETDOWN; the kernel
     * hooks the socket in again when it comes back up) and libuv stopped
     * watching: take the error and watch again */
    int e = 0;
    socklen_t l = sizeof(e);
    getsockopt(f->rings[i].fd, SOL_SOCKET, SO_ERROR, &e, &l);
    uv_poll_start(h, UV_READABLE, on_ring);
    return;
  }
  drain_ring(f, &f->rings[i]);
  drain_end(f);
  busy_poll(f);
}

/* ---- timers ----------------------------------------------------------------- */

static void on_timer(uv_timer_t *t) {
  rt_fwd *f = t->data;
  svrfwd_ctx_handle_expiry(f->ctx, now_ns());
  arm_timer(f);
}

static void arm_timer(rt_fwd *f) {
  svrfwd_tstamp exp = svrfwd_ctx_get_expiry(f->ctx), now = now_ns();
  uint64_t ms;
  if (f->r->stopping || !(f->handles & 4)) {
    return;
  }
  if (exp == SVRFWD_TSTAMP_MAX) {
    uv_timer_stop(&f->timer);
    return;
  }
  ms = exp > now ? (exp - now + 999999) / 1000000 : 0;
  uv_timer_start(&f->timer, on_timer, ms, 0);
}

/* Once a second: the entitlement meter counts the bytes really forwarded,
 * and BFD's hop counts feed automatic TTL padding. */
static void on_tick(uv_timer_t *t) {
  rt_fwd *f = t->data;
  rt *r = f->r;
  svrfwd_ctx_stats st;
  size_t i;
  svrfwd_ctx_get_stats(f->ctx, &st);
  if (r->cnd) {
    rtr_set_forwarded_bytes(r->cnd, st.ingress_bytes + st.egress_bytes);
  }
  resolve_l2(f); /* next hops move, neighbour entries come and go */
  for (i = 0; i < r->n_paths; i++) {
    rt_path *p = r->paths[i];
    if (p->fpeer && p->s) {
      svrbfd_session_info in;
      svrbfd_session_get_info(p->s, &in);
      if (in.peer_rx_hops >= 0) {
        svrfwd_peer_set_hop_count(p->fpeer, (uint8_t)in.peer_rx_hops);
      }
    }
  }
}

/* ---- the control plane's view -------------------------------------------- */

static int peer_add(rt_fwd *f, rt_path *p, char *err, size_t errlen) {
  svrfwd_peer_config pc;
  int rc;
  svrfwd_peer_config_default(&pc);
  pc.local_waypoint.family = p->adj.local.family;
  memcpy(pc.local_waypoint.addr, p->adj.local.addr, 16);
  pc.remote_waypoint.family = p->adj.remote.family;
  memcpy(pc.remote_waypoint.addr, p->adj.remote.addr, 16);
  pc.name = p->adj.peer;
  pc.cipher = (svrfwd_cipher)p->adj.cipher;
  pc.ttl_mode = (svrfwd_ttl_mode)p->adj.ttl_mode;
  pc.ttl_padding = p->adj.ttl_padding;
  pc.udp_transform = p->adj.bfd.ut_mode == 1; /* always-transform */
  rc = svrfwd_peer_add(f->ctx, &p->fpeer, &pc);
  if (rc == 0 && p->adj.cipher != SVRFWD_CIPHER_NONE) {
    rc = svrfwd_peer_key_add(p->fpeer, p->adj.key_id, p->adj.key,
                             p->adj.keylen, 1, now_ns());
  }
  if (rc != 0) {
    snprintf(err, errlen, "%s:%d: [adjacency %s]: forwarding: %s",
             f->r->cfg->file, p->adj.line, p->adj.peer, svrfwd_strerror(rc));
    svrfwd_peer_del(p->fpeer);
    p->fpeer = NULL;
    return -1;
  }
  p->fwd_ifmtu = dev_mtu_of(&p->adj.local);
  svrfwd_peer_set_path_mtu(p->fpeer, (uint16_t)path_mtu(p));
  return 0;
}

/* The peer set is brought up to date once the reload (or dynamic peer
 * update) that adds and removes paths is done: one nft run for all. */
static void peers_changed(rt_fwd *f) {
  if ((f->handles & 32) && !f->r->stopping) {
    uv_timer_start(&f->peers_timer, on_peers_timer, 0, 0);
  }
}

void rt_fwd_path_add(rt *r, rt_path *p) {
  char err[256];
  if (r->fwd == NULL || p->fpeer != NULL) {
    return;
  }
  if (peer_add(r->fwd, p, err, sizeof(err)) != 0) {
    rt_log(r, "%s", err);
  }
  peers_changed(r->fwd);
}

void rt_fwd_path_del(rt *r, rt_path *p) {
  svrfwd_peer_del(p->fpeer); /* closes its sessions */
  p->fpeer = NULL;
  if (r->fwd) {
    peers_changed(r->fwd);
  }
}

typedef struct move_ctx {
  svrfwd_session *list[4096];
  size_t n;
  svrfwd_peer *from;
} move_ctx;

static int collect(svrfwd_session *s, void *ud) {
  move_ctx *m = ud;
  svrfwd_session_info in;
  svrfwd_session_get_info(s, &in);
  if (in.peer == m->from && m->n < sizeof(m->list) / sizeof(m->list[0])) {
    m->list[m->n++] = s;
  }
  return 0;
}

void rt_fwd_path_status(rt *r, rt_path *p, int up) {
  rt_fwd *f = r->fwd;
  rt_path *q;
  move_ctx *m;
  size_t i, moved = 0;
  if (f == NULL || p->fpeer == NULL || up) {
    return;
  }
  /* sessions on a path that went down move to an Up path to the same
   * router; the metadata they send again tells the peer */
  q = path_to(r, p->adj.peer, p);
  if (q == NULL) {
    return; /* nowhere to go: they resume if the path comes back */
  }
  m = calloc(1, sizeof(*m));
  if (m == NULL) {
    return;
  }
  m->from = p->fpeer;
  svrfwd_ctx_session_foreach(f->ctx, collect, m);
  for (i = 0; i < m->n; i++) {
    if (svrfwd_session_set_peer(m->list[i], q->fpeer, now_ns()) == 0) {
      moved++;
    }
  }
  if (m->n) {
    rt_log(r, "forwarding: %zu of %zu session(s) moved from %s to %s", moved,
           m->n, p->adj.address_text, q->adj.address_text);
  }
  free(m);
}

void rt_fwd_path_mtu(rt *r, rt_path *p, uint16_t pmtu) {
  if (r->fwd == NULL || p->fpeer == NULL || p->fwd_pmtu == pmtu) {
    return;
  }
  p->fwd_pmtu = pmtu;
  svrfwd_peer_set_path_mtu(p->fpeer, (uint16_t)path_mtu(p));
  update_route_mtus(r->fwd);
}

void rt_fwd_transform(rt *r, rt_path *p, int on) {
  if (r->fwd && p->fpeer) {
    svrfwd_peer_set_udp_transform(p->fpeer, on || p->adj.bfd.ut_mode == 1);
  }
}

int rt_fwd_key_op(rt *r, const char *peer, uint32_t id, int op,
                  const uint8_t *key, size_t keylen, char *msg,
                  size_t msglen) {
  static const char *const done[] = {"", "installed", "activated", "removed"};
  size_t i, npaths = 0;
  int rc = 0;
  if (r->fwd == NULL) {
    snprintf(msg, msglen, "forwarding is disabled");
    return -1;
  }
  if (op < RT_KEY_ADD || op > RT_KEY_REMOVE) {
    snprintf(msg, msglen, "key operation %d unknown", op);
    return -1;
  }
  if (id == 0 || id == 0x4C48DBC6u) {
    snprintf(msg, msglen, "key id: expected 1..4294967295 (not 1279843270), "
                          "got %lu", (unsigned long)id);
    return -1;
  }
  for (i = 0; i < r->n_paths && rc == 0; i++) {
    rt_path *p = r->paths[i];
    if (p->fpeer == NULL || strcmp(p->adj.peer, peer) != 0) {
      continue;
    }
    npaths++;
    if (op == RT_KEY_ADD) {
      rc = svrfwd_peer_key_add(p->fpeer, id, key, keylen, 0, now_ns());
    } else if (op == RT_KEY_ACTIVATE) {
      rc = svrfwd_peer_key_activate(p->fpeer, id, now_ns());
    } else {
      rc = svrfwd_peer_key_remove(p->fpeer, id);
    }
  }
  if (npaths == 0) {
    snprintf(msg, msglen, "no forwarding path to router '%s'", peer);
    return -1;
  }
  if (rc == SVRFWD_ERR_KEY && op == RT_KEY_ACTIVATE) {
    snprintf(msg, msglen, "key %lu for %s: not installed (key add first)",
             (unsigned long)id, peer);
    return -1;
  }
  if (rc == SVRFWD_ERR_KEY && op == RT_KEY_REMOVE) {
    snprintf(msg, msglen, "key %lu for %s: it is the key we send with",
             (unsigned long)id, peer);
    return -1;
  }
  if (rc != 0) {
    snprintf(msg, msglen, "key %lu for %s: %s", (unsigned long)id, peer,
             svrfwd_strerror(rc));
    return -1;
  }
  snprintf(msg, msglen, "key %lu %s for %s on %zu path(s)", (unsigned long)id,
           done[op], peer, npaths);
  rt_log(r, "forwarding: %s", msg);
  return 0;
}

int rt_fwd_key(rt *r, const char *peer, const char *id, const char *hex,
               char *msg, size_t msglen) {
  uint8_t key[RC_KEY_MAX];
  size_t keylen = 0, i;
  unsigned long long v;
  char *end;
  int rc;
  if (r->fwd == NULL) {
    snprintf(msg, msglen, "forwarding is disabled");
    return -1;
  }
  errno = 0;
  v = strtoull(id, &end, 10);
  if (errno || *end || v == 0 || v > 0xffffffffu || v == 0x4C48DBC6u) {
    snprintf(msg, msglen, "key id: expected 1..4294967295 (not 1279843270), "
                          "got '%s'", id);
    return -1;
  }
  if (hex) {
    size_t n = strlen(hex);
    if (n % 2 || n < 32 || n > 2 * RC_KEY_MAX) {
      snprintf(msg, msglen, "key: expected 32..128 hex digits, got %zu "
                            "characters", n);
      return -1;
    }
    for (i = 0; i < n; i += 2) {
      char h[3] = {hex[i], hex[i + 1], 0};
      if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1])) {
        snprintf(msg, msglen, "key: character %zu is not hex", i + 1);
        return -1;
      }
      key[i / 2] = (uint8_t)strtoul(h, NULL, 16);
    }
    keylen = n / 2;
  }
  rc = rt_fwd_key_op(r, peer, (uint32_t)v, hex ? RT_KEY_ADD : RT_KEY_ACTIVATE,
                     key, keylen, msg, msglen);
  explicit_bzero(key, sizeof(key));
  return rc;
}

uint64_t rt_fwd_bytes(rt *r) {
  svrfwd_ctx_stats st;
  if (r->fwd == NULL) {
    return 0;
  }
  svrfwd_ctx_get_stats(r->fwd->ctx, &st);
  return st.ingress_bytes + st.egress_bytes;
}

/* ---- start and stop ---------------------------------------------------------- */

int rt_fwd_init(rt *r, char *err, size_t errlen) {
  rt_fwd *f;
  svrfwd_callbacks cb;
  svrfwd_settings st;
  char rawerr[256];
  size_t i;
  int rc;
  if (!r->cfg->forwarding) {
    return 0;
  }
  f = calloc(1, sizeof(*f));
  if (f == NULL) {
    snprintf(err, errlen, "forwarding: out of memory");
    return -1;
  }
  f->r = r;
  f->tun.fd = f->tap.fd = -1;
  f->raw.fd4 = f->raw.fd6 = -1;
  r->fwd = f;
  f->in = malloc(FWD_IN_CAP);
  f->seg = malloc(FWD_SEG_CAP);
  f->gro_buf = malloc(65536);
  f->reasm_buf = malloc(FWD_REASM_MAX);
  f->wb.buf = malloc(65536);
  f->hb.buf = malloc(65536);
  f->txbuf = malloc(FWD_TX_CAP);
  f->wb.writes = &f->tx_wire_writes;
  f->hb.writes = &f->tx_host_writes;
  if (!f->in || !f->seg || !f->gro_buf || !f->reasm_buf || !f->wb.buf ||
      !f->hb.buf || !f->txbuf ||
      fwd_reasm_init(&f->reasm, 2 * SVRFWD_SECONDS) != 0 ||
      fwd_reasm_init(&f->reasm_in, 2 * SVRFWD_SECONDS) != 0) {
    snprintf(err, errlen, "forwarding: out of memory");
    return -1;
  }
  fwd_gro_init(&f->gro, f->gro_buf, 65536);
  memset(&cb, 0, sizeof(cb));
  f->csum_partial = 1;
  cb.rand = fwd_rand;
  svrfwd_settings_default(&st);
  st.router_name = r->cfg->router;
  rc = svrfwd_ctx_new(&f->ctx, &cb, &st, NULL, f);
  if (rc != 0) {
    snprintf(err, errlen, "forwarding: libsvrfwd context: %s",
             svrfwd_strerror(rc));
    return -1;
  }
  svrfwd_ctx_set_l4_csum_partial(f->ctx, f->csum_partial);
  for (i = 0; i < r->n_paths; i++) {
    if (peer_add(f, r->paths[i], err, errlen) != 0) {
      return -1;
    }
  }
  if (fwd_tun_open(&f->tun, r->cfg->forwarding_device, 65535, 0, err,
                   errlen) != 0) {
    return -1;
  }
  if (kernel_setup(f, err, errlen) != 0) {
    return -1;
  }
  if (fwd_raw_open(&f->raw, rawerr, sizeof(rawerr)) == 0) {
    f->raw_ok = 1;
  } else {
    rt_log(r, "forwarding: %s: waypoint packets to peers through the TUN "
              "device, one write each", rawerr);
  }
  /* an AF_PACKET send socket per peer-facing device (the raw socket stays
   * the fallback: it builds on the same send buffer) */
  open_ptx(f);
  f->l2_last = -1;
  resolve_l2(f);
  f->rx_csum_skip = all_sealed(r);
  uv_poll_init(r->loop, &f->tun_poll, f->tun.fd);
  uv_timer_init(r->loop, &f->timer);
  uv_timer_init(r->loop, &f->tick);
  uv_timer_init(r->loop, &f->peers_timer);
  f->tun_poll.data = f->tap_poll.data = f->timer.data = f->tick.data = f;
  f->peers_timer.data = f;
  f->handles = 1 | 4 | 8 | 32;
  uv_poll_start(&f->tun_poll, UV_READABLE, on_tun);
  if (f->ring_mode) {
    for (i = 0; i < f->n_rings; i++) {
      uv_poll_init(r->loop, &f->ring_poll[i], f->rings[i].fd);
      f->ring_poll[i].data = f;
      uv_poll_start(&f->ring_poll[i], UV_READABLE, on_ring);
    }
    f->handles |= 16;
  } else {
    uv_poll_init(r->loop, &f->tap_poll, f->tap.fd);
    f->handles |= 2;
    uv_poll_start(&f->tap_poll, UV_READABLE, on_tap);
  }
  uv_timer_start(&f->tick, on_tick, 1000, 1000);
  rt_log(r, "forwarding: %s (TUN, offloads 0x%x), table %u, %zu rule(s), "
            "%zu route(s), %zu service(s); from peers: %s; to peers: %s",
         f->tun.name, f->tun.offloads, r->cfg->forwarding_table, f->n_rules,
         f->n_routes, r->cfg->n_services, peer_input_name(f),
         wire_output_name(f));
  return 0;
}

void rt_fwd_close(rt *r) {
  rt_fwd *f = r->fwd;
  if (f == NULL) {
    return;
  }
  if (f->handles & 1) uv_close((uv_handle_t *)&f->tun_poll, NULL);
  if (f->handles & 2) uv_close((uv_handle_t *)&f->tap_poll, NULL);
  if (f->handles & 4) uv_close((uv_handle_t *)&f->timer, NULL);
  if (f->handles & 8) uv_close((uv_handle_t *)&f->tick, NULL);
  if (f->handles & 32) uv_close((uv_handle_t *)&f->peers_timer, NULL);
  if (f->handles & 16) {
    size_t i;
    for (i = 0; i < f->n_rings; i++) {
      uv_close((uv_handle_t *)&f->ring_poll[i], NULL);
    }
  }
  f->handles = 0;
}

void rt_fwd_free(rt *r) {
  rt_fwd *f = r->fwd;
  size_t i;
  if (f == NULL) {
    return;
  }
  kernel_teardown(f);
  for (i = 0; i < r->n_paths; i++) {
    r->paths[i]->fpeer = NULL; /* freed with the context */
  }
  svrfwd_ctx_del(f->ctx);
  fwd_tun_close(&f->tun);
  fwd_tun_close(&f->tap);
  close_rings(f);
  fwd_raw_close(&f->raw);
  for (i = 0; i < f->n_ptx; i++) {
    fwd_ptx_close(&f->ptx[i]);
  }
  free(f->txbuf);
  free(f->in);
  free(f->seg);
  free(f->gro_buf);
  free(f->reasm_buf);
  free(f->wb.buf);
  free(f->hb.buf);
  fwd_reasm_free(&f->reasm);
  fwd_reasm_free(&f->reasm_in);
  free(f);
  r->fwd = NULL;
}

/* ---- show sessions, show stats ------------------------------------------- */

static const char *flow_str(const svrfwd_flow *fl, int src, char *buf,
                            size_t len) {
  char a[64];
  inet_ntop(fl->family == 6 ? AF_INET6 : AF_INET, src ? fl->src : fl->dst, a,
            sizeof(a));
  if (fl->proto == 1 || fl->proto == 58) {
    snprintf(buf, len, "%s", a);
  } else {
    snprintf(buf, len, fl->family == 6 ? "[%s]:%u" : "%s:%u", a,
             src ? fl->sport : fl->dport);
  }
  return buf;
}

static const char *proto_name(uint8_t p) {
  switch (p) {
  case 1: return "icmp";
  case 6: return "tcp";
  case 17: return "udp";
  case 58: return "icmpv6";
  default: return "?";
  }
}

typedef struct show_ctx {
  rt *r;
  rf_buf *b;
  int json;
  size_t n;
  svrfwd_tstamp now;
  char (*cells)[64];
  size_t cap;
} show_ctx;

#define SESS_COLS 11

static const char *path_name(rt *r, const svrfwd_peer *fp, char *buf,
                             size_t len) {
  size_t i;
  for (i = 0; i < r->n_paths; i++) {
    if (r->paths[i]->fpeer == fp) {
      snprintf(buf, len, "%s", r->paths[i]->adj.address_text);
      return buf;
    }
  }
  snprintf(buf, len, "-");
  return buf;
}

static int show_one(svrfwd_session *s, void *ud) {
  show_ctx *c = ud;
  svrfwd_session_info in;
  char src[80], dst[80], wp[200], path[64], a[64], b[64];
  const svrfwd_flow *client;
  svrfwd_flow rev;
  uint64_t age, idle;
  svrfwd_session_get_info(s, &in);
  /* the client-to-server tuple: the originator takes it in at ingress; the
   * other router restores it (the reverse of what it takes in) */
  if (in.originator) {
    client = &in.lan;
  } else {
    memset(&rev, 0, sizeof(rev));
    rev.family = in.lan.family;
    rev.proto = in.lan.proto;
    memcpy(rev.src, in.lan.dst, 16);
    memcpy(rev.dst, in.lan.src, 16);
    rev.sport = in.lan.dport;
    rev.dport = in.lan.sport;
    client = &rev;
  }
  flow_str(client, 1, src, sizeof(src));
  flow_str(client, 0, dst, sizeof(dst));
  inet_ntop(in.wan.family == 6 ? AF_INET6 : AF_INET, in.wan.dst, a, sizeof(a));
  inet_ntop(in.wan.family == 6 ? AF_INET6 : AF_INET, in.wan.src, b, sizeof(b));
  snprintf(wp, sizeof(wp), "%s:%u-%s:%u", a, in.self_port, b, in.peer_port);
  path_name(c->r, in.peer, path, sizeof(path));
  age = c->now > in.created ? (c->now - in.created) / 1000000000u : 0;
  idle = c->now > in.last_active ? (c->now - in.last_active) / 1000000000u
                                  : 0;
  if (c->json) {
    rf_printf(c->b, "%s\n    {\"tenant\": ", c->n ? "," : "");
    rf_json_str(c->b, in.tenant);
    rf_printf(c->b, ", \"service\": ");
    rf_json_str(c->b, in.service);
    rf_printf(c->b, ", \"protocol\": \"%s\", \"source\": \"%s\", "
                    "\"destination\": \"%s\", \"waypoints\": \"%s\", "
                    "\"path\": ", proto_name(client->proto), src, dst, wp);
    rf_json_str(c->b, path);
    rf_printf(c->b, ", \"peer\": ");
    rf_json_str(c->b, in.peer_router);
    rf_printf(c->b, ", \"originator\": %s, \"transformed\": %s, "
                    "\"tx_packets\": %" PRIu64 ", \"tx_bytes\": %" PRIu64
                    ", \"rx_packets\": %" PRIu64 ", \"rx_bytes\": %" PRIu64
                    ", \"age_s\": %" PRIu64 ", \"idle_s\": %" PRIu64
                    ", \"security_id\": %u}",
              in.originator ? "true" : "false",
              in.transformed ? "true" : "false", in.tx_packets, in.tx_bytes,
              in.rx_packets, in.rx_bytes, age, idle, in.tx_security_id);
  } else if (c->n < c->cap) {
    char(*row)[64] = c->cells + c->n * SESS_COLS;
    snprintf(row[0], 64, "%.63s", in.tenant[0] ? in.tenant : "-");
    snprintf(row[1], 64, "%.63s", in.service[0] ? in.service : "-");
    snprintf(row[2], 64, "%s", proto_name(client->proto));
    snprintf(row[3], 64, "%.63s", src);
    snprintf(row[4], 64, "%.63s", dst);
    snprintf(row[5], 64, "%.63s", wp);
    snprintf(row[6], 64, "%s", path);
    snprintf(row[7], 64, "%" PRIu64 "/%" PRIu64, in.tx_packets, in.tx_bytes);
    snprintf(row[8], 64, "%" PRIu64 "/%" PRIu64, in.rx_packets, in.rx_bytes);
    snprintf(row[9], 64, "%" PRIu64 "s/%" PRIu64 "s", age, idle);
    snprintf(row[10], 64, "%s", in.transformed ? "yes" : "no");
  }
  c->n++;
  return 0;
}

void rt_fwd_show_sessions(rt *r, rf_buf *b, int json) {
  show_ctx c;
  memset(&c, 0, sizeof(c));
  c.r = r;
  c.b = b;
  c.json = json;
  c.now = now_ns();
  if (json) {
    rf_printf(b, "{\"router\": ");
    rf_json_str(b, r->cfg->router);
    rf_printf(b, ", \"node\": ");
    rf_json_str(b, r->cfg->node);
    rf_printf(b, ", \"forwarding\": %s, \"sessions\": [",
              r->fwd ? "true" : "false");
    if (r->fwd) {
      svrfwd_ctx_session_foreach(r->fwd->ctx, show_one, &c);
    }
    rf_printf(b, "%s]}\n", c.n ? "\n  " : "");
    return;
  }
  if (r->fwd == NULL) {
    rf_printf(b, "forwarding is disabled ('forwarding enabled' in the "
                 "configuration)\n");
    return;
  }
  {
    svrfwd_ctx_stats st;
    static const char *const head[SESS_COLS] = {
        "Tenant", "Service", "Proto", "Source", "Destination", "Waypoints",
        "Path", "Tx pkts/bytes", "Rx pkts/bytes", "Age/Idle", "Transformed"};
    const char **cell;
    size_t i, n;
    svrfwd_ctx_get_stats(r->fwd->ctx, &st);
    c.cap = st.sessions < 10000 ? (size_t)st.sessions : 10000;
    c.cells = calloc(c.cap ? c.cap * SESS_COLS : 1, sizeof(*c.cells));
    cell = calloc(c.cap ? c.cap * SESS_COLS : 1, sizeof(*cell));
    if (c.cells == NULL || cell == NULL) {
      free(c.cells);
      free(cell);
      rf_printf(b, "out of memory\n");
      return;
    }
    svrfwd_ctx_session_foreach(r->fwd->ctx, show_one, &c);
    n = c.n < c.cap ? c.n : c.cap;
    for (i = 0; i < n * SESS_COLS; i++) {
      cell[i] = c.cells[i];
    }
    rf_grid(b, head, SESS_COLS, cell, n);
    rf_printf(b, "%zu session(s)%s\n", c.n, c.n > n ? " (table cut)" : "");
    free(c.cells);
    free(cell);
  }
}

void rt_fwd_show_stats(rt *r, rf_buf *b, int json) {
  rt_fwd *f = r->fwd;
  svrfwd_ctx_stats st;
  uint64_t ring_copies = 0, ring_cut = 0;
  int i;
  if (f == NULL) {
    if (json) {
      rf_printf(b, "{\"forwarding\": false}\n");
    } else {
      rf_printf(b, "forwarding is disabled\n");
    }
    return;
  }
  svrfwd_ctx_get_stats(f->ctx, &st);
  for (i = 0; i < (int)f->n_rings; i++) {
    f->ring_drops += fwd_ring_drops(&f->rings[i]);
    ring_copies += f->rings[i].copies;
    ring_cut += f->rings[i].cut;
  }
  if (json) {
    rf_printf(b, "{\"forwarding\": true, \"device\": ");
    rf_json_str(b, f->tun.name);
    rf_printf(b, ", \"peer_input\": \"%s\", \"peer_input_detail\": ",
              f->ring_mode ? "ring" : "tap");
    rf_json_str(b, peer_input_name(f));
    rf_printf(b, ", \"wire_output\": \"%s\", \"tx_wire_packet\": %" PRIu64
                 ", \"tx_wire_raw\": %" PRIu64 ", \"ring_drops\": %" PRIu64
                 ", \"ring_copies\": %" PRIu64 ", \"ring_cut\": %" PRIu64
                 ", \"tx_raw_refused\": %" PRIu64 ", \"busy_polls\": %" PRIu64,
              !f->raw_ok ? "tun" : f->n_ptx ? "packet" : "raw",
              f->tx_wire_packet, f->tx_wire_raw, f->ring_drops, ring_copies,
              ring_cut,
              f->tx_raw_refused, f->busy_polls);
    rf_printf(b, ", \"rx_tun\": %" PRIu64 ", \"rx_tap\": %" PRIu64
                 ", \"rx_super_packets\": %" PRIu64 ", \"segments\": %" PRIu64
                 ", \"tx_wire\": %" PRIu64 ", \"tx_wire_writes\": %" PRIu64 ", \"tx_host\": %" PRIu64
                 ", \"tx_host_writes\": %" PRIu64 ", \"icmp_sent\": %" PRIu64
                 ", \"reassembled\": %" PRIu64 ", \"fragments\": %" PRIu64
                 ", \"returned_to_kernel\": %" PRIu64
                 ", \"local_multicast_ignored\": %" PRIu64
                 ", \"ingress_packets\": %" PRIu64 ", \"egress_packets\": %"
                 PRIu64 ", \"ingress_bytes\": %" PRIu64 ", \"egress_bytes\": %"
                 PRIu64 ", \"sessions\": %" PRIu64 ", \"sessions_created\": %"
                 PRIu64 ", \"sessions_closed\": %" PRIu64 ", \"rekeys\": %" PRIu64
                 ", \"drops\": {",
              f->rx_tun, f->rx_tap, f->rx_super, f->segments, f->tx_wire,
              f->tx_wire_writes,
              f->tx_host, f->tx_host_writes, f->icmp_sent,
              f->reasm.completed + f->reasm_in.completed,
              f->reasm.fragments + f->reasm_in.fragments, f->frags_returned,
              f->local_mcast, st.ingress_packets,
              st.egress_packets, st.ingress_bytes, st.egress_bytes,
              st.sessions, st.sessions_created, st.sessions_closed,
              st.rekeys);
    for (i = 0; i < SVRFWD_NUM_DROP_REASONS; i++) {
      rf_printf(b, "%s\"%s\": %" PRIu64, i ? ", " : "",
                drop_name(i), st.drop[i]);
    }
    for (i = 0; i < FD_COUNT; i++) {
      rf_printf(b, ", \"%s\": %" PRIu64, fd_names[i], f->drop[i]);
    }
    rf_printf(b, ", \"fragment-bad\": %" PRIu64 ", \"fragment-timeout\": %"
                 PRIu64 ", \"fragment-evicted\": %" PRIu64,
              f->reasm.bad, f->reasm.timed_out, f->reasm.evicted);
    rf_printf(b, "}}\n");
    return;
  }
  rf_printf(b, "Device %s: %" PRIu64 " read (%" PRIu64 " super-packets), %"
               PRIu64 " from peers, %" PRIu64 " segments\n",
            f->tun.name, f->rx_tun, f->rx_super, f->rx_tap, f->segments);
  rf_printf(b, "From peers: %s (%" PRIu64 " dropped with the ring full, %"
               PRIu64 " super-packets read whole, %" PRIu64 " cut); to peers: "
               "%s\n", peer_input_name(f), f->ring_drops, ring_copies,
            ring_cut, wire_output_name(f));
  rf_printf(b, "Sent: %" PRIu64 " to peers in %" PRIu64 " writes, %" PRIu64
               " to hosts in %" PRIu64 " writes, %" PRIu64 " ICMP errors\n",
            f->tx_wire, f->tx_wire_writes, f->tx_host, f->tx_host_writes,
            f->icmp_sent);
  rf_printf(b, "Sessions: %" PRIu64 " now, %" PRIu64 " created, %" PRIu64
               " closed; bytes in %" PRIu64 ", out %" PRIu64 "\n",
            st.sessions, st.sessions_created, st.sessions_closed,
            st.ingress_bytes, st.egress_bytes);
  rf_printf(b, "Fragments from peers: %" PRIu64 " in, %" PRIu64
               " datagrams reassembled, %" PRIu64 " of them for this host "
               "(returned to the kernel)\n", f->reasm.fragments,
            f->reasm.completed, f->frags_returned);
  if (f->local_mcast) {
    rf_printf(b, "IPv6 multicast of this host's own (MLD) ignored: %" PRIu64
                 "\n", f->local_mcast);
  }
  rf_printf(b, "Drops:\n");
  for (i = 0; i < SVRFWD_NUM_DROP_REASONS; i++) {
    if (st.drop[i]) {
      rf_printf(b, "  %-24s %" PRIu64 "\n", drop_name(i),
                st.drop[i]);
    }
  }
  for (i = 0; i < FD_COUNT; i++) {
    if (f->drop[i]) {
      rf_printf(b, "  %-24s %" PRIu64 "\n", fd_names[i], f->drop[i]);
    }
  }
  if (f->reasm.bad || f->reasm.timed_out || f->reasm.evicted) {
    rf_printf(b, "  %-24s %" PRIu64 "\n  %-24s %" PRIu64 "\n  %-24s %"
                 PRIu64 "\n", "fragment-bad", f->reasm.bad,
              "fragment-timeout", f->reasm.timed_out, "fragment-evicted",
              f->reasm.evicted);
  }
}
