/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router dynamic peer update (docs/svr-router.md "Dynamic peer
 * update"; the conductor's side is docs/libconductor.md section 9).
 *
 * Our side: an [interface] with `dynamic-address DEVICE` has its address
 * learned on that kernel device (DHCP, PPPoE).  An rtnetlink socket joined
 * to RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR, on a libuv poll handle,
 * tells us every address added to or removed from a device (no polling).
 * When the waypoint address of such an interface is gone and another
 * address of its family is on the device (or the other way round), the
 * interface moves to it: a copy of the running configuration with the new
 * address goes through the same apply() as a SIGHUP reload, which binds
 * the new address and replaces the sessions whose local address changed
 * (AdminDown on the old ones).  The new address is then reported to the
 * conductor (ADDRESS, per neighborhood of the interface).
 *
 * The peers' side: the conductor pushes PEER_ADDRESS (router, neighborhood,
 * address, port) to every router that peers with the one that moved.  Our
 * adjacencies to that router in that neighborhood get the new remote
 * address, again through apply(): the path at the old address is retired
 * and a new one starts at the new address (BFD and the forwarder peer).
 *
 * Both kinds of override are kept here and applied again to the file's
 * configuration at every SIGHUP (rt_dpu_patch), so a reload does not undo
 * them.  They live in memory: after a restart the interface's current
 * address is read from the device before the sockets are bound, and the
 * conductor pushes the peers' addresses when the link comes up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "router.h"
#include "router_dpu.h"

typedef struct dpu_if {   /* one interface with dynamic-address */
  char name[RC_NAME_MAX];
  int learned;            /* |addr| overrides the file's address */
  svrbfd_addr addr;       /* address (port unused) */
  int cur_present;        /* the running address is on the device */
  int cand;               /* another address of the family is there */
  svrbfd_addr cand_addr;
} dpu_if;

typedef struct dpu_peer { /* a peer's address pushed by the conductor */
  char peer[RC_NAME_MAX];
  char neighborhood[RC_NAME_MAX];
  svrbfd_addr addr;       /* .port = the peer's port */
} dpu_peer;

struct rt_dpu {
  rt_dpu_apply_fn apply; /* the reload machinery (rt_apply) */
  dpu_if ifs[RC_MAX_INTERFACES];
  size_t nifs;
  dpu_peer peers[RC_MAX_ADJACENCIES];
  size_t npeers;
  int fd;
  uv_poll_t poll;
  int poll_init;
  uint64_t moves, peer_moves;
};

static int addr_eq(const svrbfd_addr *a, const svrbfd_addr *b) {
  return a->family == b->family &&
         memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static dpu_if *find_if(struct rt_dpu *d, const char *name) {
  size_t i;
  for (i = 0; i < d->nifs; i++) {
    if (strcmp(d->ifs[i].name, name) == 0) {
      return &d->ifs[i];
    }
  }
  return NULL;
}

/* Sets interface |i| of |c| (and its adjacencies' local address) to
 * |a|, keeping the port. */
static void set_if_addr(rc_config *c, size_t i, const svrbfd_addr *a) {
  rc_interface *it = &c->interfaces[i];
  uint16_t port = it->address.port;
  size_t j;
  memset(&it->address, 0, sizeof(it->address));
  it->address.family = a->family;
  memcpy(it->address.addr, a->addr, sizeof(it->address.addr));
  it->address.port = port;
  rc_addr_str(&it->address, it->address_text, sizeof(it->address_text));
  for (j = 0; j < c->n_adjacencies; j++) {
    if (c->adjacencies[j].interface == (int)i) {
      c->adjacencies[j].local = it->address;
    }
  }
}

/* Applies |p| to the adjacencies of |c| it names; returns how many changed. */
static size_t set_peer_addr(rc_config *c, const dpu_peer *p) {
  size_t j, n = 0;
  for (j = 0; j < c->n_adjacencies; j++) {
    rc_adjacency *a = &c->adjacencies[j];
    if (strcmp(a->peer, p->peer) != 0 ||
        strcmp(a->neighborhood_name, p->neighborhood) != 0 ||
        a->remote.family != p->addr.family) {
      continue;
    }
    if (addr_eq(&a->remote, &p->addr) && a->remote.port == p->addr.port) {
      continue;
    }
    a->remote = p->addr;
    rc_addr_str(&a->remote, a->address_text, sizeof(a->address_text));
    n++;
  }
  return n;
}

void rt_dpu_patch(rt *r, rc_config *c) {
  struct rt_dpu *d = r->dpu;
  size_t i;
  if (d == NULL) {
    return;
  }
  for (i = 0; i < c->n_interfaces; i++) {
    dpu_if *f = find_if(d, c->interfaces[i].name);
    if (f && f->learned && c->interfaces[i].device[0] &&
        f->addr.family == c->interfaces[i].address.family) {
      set_if_addr(c, i, &f->addr);
    }
  }
  for (i = 0; i < d->npeers; i++) {
    (void)set_peer_addr(c, &d->peers[i]);
  }
}

/* Runs |c| (a patched copy of the running configuration) through the
 * reload machinery.  Frees |c| when it is refused. */
static int reapply(rt *r, rc_config *c, const char *why) {
  char err[1024];
  if (r->dpu->apply(r, c, err, sizeof(err)) != 0) {
    rt_log(r, "dynamic peer update (%s) not applied: %s", why, err);
    rc_config_free(c);
    return -1;
  }
  rt_log(r, "dynamic peer update (%s): %zu peer path(s), %zu kept unchanged",
         why, r->n_paths, r->kept);
  return 0;
}

/* Reports the address of every dynamic interface, per neighborhood. */
void rt_dpu_report(rt *r) {
  const rc_config *c = r->cfg;
  size_t i, j;
  if (r->cnd == NULL) {
    return;
  }
  for (i = 0; i < c->n_interfaces; i++) {
    const rc_interface *it = &c->interfaces[i];
    if (it->device[0] == '\0') {
      continue;
    }
    for (j = 0; j < c->n_neighborhoods; j++) {
      if (c->neighborhoods[j].interface != (int)i) {
        continue;
      }
      int rc = rtr_set_address(r->cnd, c->neighborhoods[j].name, it->name,
                               it->address.family, it->address.addr,
                               it->address.port ? it->address.port
                                                : RC_DEFAULT_PORT);
      if (rc != 0) {
        rt_log(r, "dynamic peer update: %s in %s not reported: %s", it->name,
               c->neighborhoods[j].name, conductor_strerror(rc));
      }
    }
  }
}

/* Interface |f| (index |i| of the running configuration) moves to |a|. */
static void move_if(rt *r, dpu_if *f, size_t i, const svrbfd_addr *a) {
  rc_config *c = malloc(sizeof(*c));
  char was[64], now[64];
  if (c == NULL || rc_config_copy(c, r->cfg) != 0) {
    rt_log(r, "dynamic peer update: out of memory");
    rc_config_free(c);
    return;
  }
  snprintf(was, sizeof(was), "%s", c->interfaces[i].address_text);
  set_if_addr(c, i, a);
  snprintf(now, sizeof(now), "%s", c->interfaces[i].address_text);
  rt_log(r, "interface %s: address on %s changed %s -> %s", f->name,
         c->interfaces[i].device, was, now);
  f->learned = 1;
  f->addr = *a;
  f->cur_present = 1;
  f->cand = 0;
  r->dpu->moves++;
  if (reapply(r, c, f->name) == 0) {
    rt_dpu_report(r);
  }
}

/* The local address of an RTM_NEWADDR/DELADDR (IFA_LOCAL, else
 * IFA_ADDRESS: IPv6 has only that) and its flags (IFA_FLAGS if given), or
 * NULL. */
static const uint8_t *ifa_local(const struct nlmsghdr *h, uint32_t *flags) {
  const struct ifaddrmsg *ifa = NLMSG_DATA(h);
  const uint8_t *p, *end, *local = NULL, *addr = NULL;
  size_t want;
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
      (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)) {
    return NULL;
  }
  want = ifa->ifa_family == AF_INET ? 4 : 16;
  *flags = ifa->ifa_flags;
  p = (const uint8_t *)ifa + NLMSG_ALIGN(sizeof(*ifa));
  end = (const uint8_t *)h + h->nlmsg_len;
  while (p + sizeof(struct rtattr) <= end) {
    struct rtattr ra;
    size_t plen;
    memcpy(&ra, p, sizeof(ra));
    if (ra.rta_len < sizeof(ra) || p + ra.rta_len > end) {
      break;
    }
    plen = ra.rta_len - RTA_LENGTH(0);
    if (ra.rta_type == IFA_LOCAL && plen == want) {
      local = p + RTA_LENGTH(0);
    } else if (ra.rta_type == IFA_ADDRESS && plen == want) {
      addr = p + RTA_LENGTH(0);
    } else if (ra.rta_type == IFA_FLAGS && plen == 4) {
      memcpy(flags, p + RTA_LENGTH(0), 4);
    }
    p += RTA_ALIGN(ra.rta_len);
  }
  return local ? local : addr;
}

/* One RTM_NEWADDR / RTM_DELADDR (or a dump entry). */
static void on_ifaddr(rt *r, const struct nlmsghdr *h) {
  struct rt_dpu *d = r->dpu;
  const struct ifaddrmsg *ifa = NLMSG_DATA(h);
  uint32_t flags = 0;
  const uint8_t *local = ifa_local(h, &flags);
  svrbfd_addr a;
  size_t i;
  if (local == NULL) {
    return;
  }
  memset(&a, 0, sizeof(a));
  a.family = ifa->ifa_family == AF_INET ? 4 : 6;
  memcpy(a.addr, local, a.family == 4 ? 4 : 16);
  for (i = 0; i < r->cfg->n_interfaces; i++) {
    const rc_interface *it = &r->cfg->interfaces[i];
    dpu_if *f;
    if (it->device[0] == '\0' || it->address.family != a.family ||
        if_nametoindex(it->device) != ifa->ifa_index ||
        (f = find_if(d, it->name)) == NULL) {
      continue;
    }
    if (h->nlmsg_type == RTM_DELADDR) {
      if (addr_eq(&a, &it->address)) {
        f->cur_present = 0;
        rt_log(r, "interface %s: %s removed from %s", it->name,
               it->address_text, it->device);
        if (f->cand) {
          svrbfd_addr to = f->cand_addr;
          move_if(r, f, i, &to);
          return; /* the running configuration was replaced */
        }
      } else if (f->cand && addr_eq(&a, &f->cand_addr)) {
        f->cand = 0;
      }
      continue;
    }
    /* RTM_NEWADDR: global scope, usable (not tentative or failed DAD) */
    if (ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
        (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) != 0) {
      continue;
    }
    if (addr_eq(&a, &it->address)) {
      f->cur_present = 1;
    } else if (!f->cur_present) {
      move_if(r, f, i, &a);
    } else if (!f->cand) {
      f->cand = 1; /* taken if the running address goes */
      f->cand_addr = a;
    }
    return; /* the configuration may have changed: one interface a message */
  }
}

static void on_nl(uv_poll_t *h, int status, int events) {
  rt *r = h->data;
  struct rt_dpu *d = r->dpu;
  static uint8_t buf[16384];
  (void)events;
  if (status < 0 || r->stopping) {
    return;
  }
  for (;;) {
    ssize_t n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT);
    struct nlmsghdr *nh;
    if (n < 0) {
      if (errno == ENOBUFS) {
        /* events were lost: ask for the whole table again */
        rt_log(r, "dynamic peer update: netlink overrun, re-reading the "
                  "addresses");
        (void)rt_dpu_dump_request(d->fd);
        continue;
      }
      break;
    }
    if (n == 0) {
      break;
    }
    for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
         nh = NLMSG_NEXT(nh, n)) {
      if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_DELADDR) {
        on_ifaddr(r, nh);
      }
    }
  }
}

int rt_dpu_dump_request(int fd) {
  struct {
    struct nlmsghdr nh;
    struct ifaddrmsg ifa;
  } req;
  memset(&req, 0, sizeof(req));
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
  req.nh.nlmsg_type = RTM_GETADDR;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = 1;
  req.ifa.ifa_family = AF_UNSPEC;
  return send(fd, &req, req.nh.nlmsg_len, 0) < 0 ? -errno : 0;
}

/* Before the first bind: an interface whose file address is no longer on
 * its device (the router restarted after a change) starts at the device's
 * current address of that family, if it has one. */
void rt_dpu_prestart(rc_config *c) {
  static uint8_t buf[16384];
  struct timeval tv = {1, 0};
  size_t i;
  int fd, found[RC_MAX_INTERFACES] = {0}, done = 0;
  svrbfd_addr first[RC_MAX_INTERFACES];
  for (i = 0; i < c->n_interfaces && c->interfaces[i].device[0] == '\0';
       i++) {
  }
  if (i == c->n_interfaces) {
    return;
  }
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    return;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (rt_dpu_dump_request(fd) != 0) {
    close(fd);
    return;
  }
  memset(first, 0, sizeof(first));
  while (!done) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    struct nlmsghdr *nh;
    if (n <= 0) {
      break;
    }
    for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
         nh = NLMSG_NEXT(nh, n)) {
      const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
      uint32_t flags = 0;
      const uint8_t *local;
      size_t want;
      if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
        done = 1;
        break;
      }
      if (nh->nlmsg_type != RTM_NEWADDR ||
          (local = ifa_local(nh, &flags)) == NULL ||
          ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
          (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))) {
        continue;
      }
      want = ifa->ifa_family == AF_INET ? 4 : 16;
      for (i = 0; local && i < c->n_interfaces; i++) {
        rc_interface *it = &c->interfaces[i];
        svrbfd_addr a;
        if (it->device[0] == '\0' ||
            it->address.family != (ifa->ifa_family == AF_INET ? 4 : 6) ||
            if_nametoindex(it->device) != ifa->ifa_index) {
          continue;
        }
        memset(&a, 0, sizeof(a));
        a.family = it->address.family;
        memcpy(a.addr, local, want);
        if (addr_eq(&a, &it->address)) {
          found[i] = 2; /* the file's address is there: keep it */
        } else if (found[i] == 0) {
          found[i] = 1;
          first[i] = a;
        }
      }
    }
  }
  close(fd);
  for (i = 0; i < c->n_interfaces; i++) {
    if (found[i] == 1) {
      char was[64];
      snprintf(was, sizeof(was), "%s", c->interfaces[i].address_text);
      set_if_addr(c, i, &first[i]);
      fprintf(stderr, "svr-router: interface %s: %s is not on %s, starting "
                      "at its address %s\n",
              c->interfaces[i].name, was, c->interfaces[i].device,
              c->interfaces[i].address_text);
    }
  }
}

int rt_dpu_init(rt *r, rt_dpu_apply_fn apply, char *err, size_t errlen) {
  struct rt_dpu *d;
  struct sockaddr_nl sa;
  size_t i;
  d = calloc(1, sizeof(*d));
  if (d == NULL) {
    snprintf(err, errlen, "dynamic peer update: out of memory");
    return -1;
  }
  d->fd = -1;
  d->apply = apply;
  r->dpu = d;
  for (i = 0; i < r->cfg->n_interfaces; i++) {
    const rc_interface *it = &r->cfg->interfaces[i];
    if (it->device[0] != '\0' && d->nifs < RC_MAX_INTERFACES) {
      dpu_if *f = &d->ifs[d->nifs++];
      snprintf(f->name, sizeof(f->name), "%s", it->name);
      f->cur_present = 1; /* it was bound */
    }
  }
  if (d->nifs == 0) {
    return 0; /* nothing to watch; pushed peer addresses still apply */
  }
  d->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 NETLINK_ROUTE);
  if (d->fd < 0) {
    snprintf(err, errlen, "dynamic-address: netlink socket: %s",
             strerror(errno));
    return -1;
  }
  memset(&sa, 0, sizeof(sa));
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind(d->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    snprintf(err, errlen, "dynamic-address: netlink bind: %s",
             strerror(errno));
    close(d->fd);
    d->fd = -1;
    return -1;
  }
  uv_poll_init(r->loop, &d->poll, d->fd);
  d->poll.data = r;
  d->poll_init = 1;
  uv_poll_start(&d->poll, UV_READABLE, on_nl);
  /* a change between the bind and the subscription is caught here */
  (void)rt_dpu_dump_request(d->fd);
  rt_log(r, "dynamic peer update: following %zu interface(s) through "
            "rtnetlink", d->nifs);
  return 0;
}

void rt_dpu_on_peer(int idx, const conductor_msg *m, void *rt_ptr) {
  rt *r = rt_ptr;
  struct rt_dpu *d = r->dpu;
  dpu_peer p, *slot = NULL;
  rc_config *c;
  char text[64];
  size_t i, n;
  (void)idx;
  if (d == NULL || r->stopping) {
    return;
  }
  memset(&p, 0, sizeof(p));
  snprintf(p.peer, sizeof(p.peer), "%s", m->peer);
  snprintf(p.neighborhood, sizeof(p.neighborhood), "%s", m->neighborhood);
  p.addr.family = m->addr_family;
  memcpy(p.addr.addr, m->address, m->addr_family == 4 ? 4 : 16);
  p.addr.port = m->port;
  rc_addr_str(&p.addr, text, sizeof(text));
  for (i = 0; i < d->npeers; i++) {
    if (strcmp(d->peers[i].peer, p.peer) == 0 &&
        strcmp(d->peers[i].neighborhood, p.neighborhood) == 0 &&
        d->peers[i].addr.family == p.addr.family) {
      slot = &d->peers[i];
    }
  }
  if (slot == NULL) {
    if (d->npeers == RC_MAX_ADJACENCIES) {
      rt_log(r, "dynamic peer update: too many peer addresses, %s in %s "
                "ignored", p.peer, p.neighborhood);
      return;
    }
    slot = &d->peers[d->npeers++];
  }
  *slot = p;
  c = malloc(sizeof(*c));
  if (c == NULL || rc_config_copy(c, r->cfg) != 0) {
    rc_config_free(c);
    return;
  }
  n = set_peer_addr(c, &p);
  if (n == 0) {
    if (r->verbose) {
      rt_log(r, "dynamic peer update: %s (node %s) in %s at %s port %u: no "
                "adjacency changes", m->peer, m->node, m->neighborhood, text,
             (unsigned)m->port);
    }
    rc_config_free(c);
    return;
  }
  d->peer_moves++;
  rt_log(r, "dynamic peer update from the conductor: %s (node %s) in %s is "
            "now at %s port %u: %zu adjacency(ies) move",
         m->peer, m->node, m->neighborhood, text, (unsigned)m->port, n);
  (void)reapply(r, c, m->peer);
}

void rt_dpu_close(rt *r) {
  if (r->dpu && r->dpu->poll_init) {
    uv_poll_stop(&r->dpu->poll);
    uv_close((uv_handle_t *)&r->dpu->poll, NULL);
  }
}

void rt_dpu_free(rt *r) {
  if (r->dpu) {
    if (r->dpu->fd >= 0) {
      close(r->dpu->fd);
    }
    free(r->dpu);
    r->dpu = NULL;
  }
}
