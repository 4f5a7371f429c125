/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helper for fwd_tun_netns.sh (test code, not part of the suite).
 *
 * Opens a TUN device (and optionally a TAP device) with fwd_tun_open(),
 * installs FIB rules and routes with fwd_nl_*(), sysctls with fwd_sysctl()
 * and the nftables tables with fwd_nft_install(), then forwards what it
 * reads back into the TUN device, the way svr-router's data plane does:
 *
 *   --mode regro   (default) split with fwd_gso_*(), verify every
 *                  segment's checksums by recomputation, join TCP segments
 *                  again with fwd_gro_*() and write super-packets back
 *   --mode split   write every segment on its own, no virtio header
 *   --mode echo    write each packet back as read, with its virtio header
 *
 * Options (repeatable ones marked *):
 *   --tun NAME  --tap NAME  --mtu N  --table T  --seconds S  --print N
 *   --sysctl PATH=VALUE *
 *   --rule fam=4|6,pref=N,table=T[,from=P][,to=P][,proto=N]
 *          [,dport=LO[-HI]][,fwmark=M][,iif=DEV] *
 *   --route PREFIX[,mtu=N] *           (dev TUN, table --table)
 *   --nft-mark M  --waypoint ADDR *  --ports LO-HI
 *
 * Prints "ready tun=NAME ifindex=N offloads=0x.. [tap=NAME]" once set up,
 * the virtio-net header of the first --print packets ("pkt dev=tun len=..
 * gso_type=.. gso_size=.. hdr_len=.. csum_start=.. csum_offset=..
 * flags=.."), and on SIGTERM/SIGINT or after --seconds a summary line per
 * device ("summary dev=tun rx=.. gso_tcp4=.. gso_tcp6=.. gso_udp=..
 * max_len=.. segs=.. bad_csum=.. malformed=.. tx=.. tx_err=.. max_tcp4=..
 * max_tcp6=.. max_udp=.."), removes
 * what it installed and prints "cleaned".  Exit 0, or 1 on a setup error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd_offload.h"
#include "fwd_tun.h"
#include "svr_cksum.h"
#include "svr_endian.h"

#define MAX_ITEMS 16

typedef struct stats {
  unsigned long rx, gso_tcp4, gso_tcp6, gso_udp, max_len, max_gso_size;
  unsigned long segs, bad_csum, malformed, non_ip, tx, tx_err, tx_full;
  unsigned long gro_super, max_tcp4, max_tcp6, max_udp;
} stats;

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static fwd_tun tun, tap;
static fwd_gro gro;
static stats st_tun, st_tap;
static uint8_t inbuf[FWD_PKT_MAX + 64], segbuf[FWD_PKT_MAX], grobuf[FWD_PKT_MAX];
static int mode_regro = 1, mode_echo;
static long print_left;

static int parse_prefix(fwd_prefix *p, const char *s) {
  char a[64], *slash;
  memset(p, 0, sizeof(*p));
  snprintf(a, sizeof(a), "%s", s);
  slash = strchr(a, '/');
  if (slash) {
    *slash = '\0';
  }
  if (inet_pton(AF_INET, a, p->addr) == 1) {
    p->family = 4;
  } else if (inet_pton(AF_INET6, a, p->addr) == 1) {
    p->family = 6;
  } else {
    return -1;
  }
  p->len = (uint8_t)(slash ? atoi(slash + 1) : (p->family == 4 ? 32 : 128));
  return 0;
}

static int parse_rule(fwd_rule *r, char *spec) {
  char *kv, *save = NULL;
  memset(r, 0, sizeof(*r));
  for (kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *v = strchr(kv, '=');
    if (v == NULL) {
      return -1;
    }
    *v++ = '\0';
    if (strcmp(kv, "fam") == 0) {
      r->family = (uint8_t)atoi(v);
    } else if (strcmp(kv, "pref") == 0) {
      r->priority = (uint32_t)strtoul(v, NULL, 0);
    } else if (strcmp(kv, "table") == 0) {
      r->table = (uint32_t)strtoul(v, NULL, 0);
    } else if (strcmp(kv, "from") == 0) {
      if (parse_prefix(&r->from, v) != 0) return -1;
    } else if (strcmp(kv, "to") == 0) {
      if (parse_prefix(&r->to, v) != 0) return -1;
    } else if (strcmp(kv, "proto") == 0) {
      r->ipproto = (uint8_t)atoi(v);
    } else if (strcmp(kv, "dport") == 0) {
      char *dash = strchr(v, '-');
      r->dport_lo = (uint16_t)atoi(v);
      r->dport_hi = (uint16_t)(dash ? atoi(dash + 1) : 0);
    } else if (strcmp(kv, "fwmark") == 0) {
      r->fwmark = (uint32_t)strtoul(v, NULL, 0);
    } else if (strcmp(kv, "iif") == 0) {
      snprintf(r->iifname, sizeof(r->iifname), "%s", v);
    } else {
      return -1;
    }
  }
  return r->family == 4 || r->family == 6 ? 0 : -1;
}

/* Does the segment at |p| carry valid IPv4 and TCP/UDP checksums?
 * Recomputed with the reference code, not the code under test. */
static int csum_ok(const uint8_t *p, size_t len) {
  size_t l3, l4len;
  uint8_t proto, ph[4];
  uint32_t s;
  if ((p[0] >> 4) == 4) {
    l3 = (size_t)(p[0] & 15) * 4;
    if (svr_cksum(p, l3) != 0) {
      return 0;
    }
    proto = p[9];
    s = svr_cksum_add(0, p + 12, 8);
  } else {
    l3 = 40;
    proto = p[6];
    s = svr_cksum_add(0, p + 8, 32);
  }
  if ((proto != 6 && proto != 17) ||
      ((p[0] >> 4) == 4 && (svr_get_be16(p + 6) & 0x3fff) != 0)) {
    return 1; /* not ours to check (ICMP, fragments) */
  }
  if (proto == 17 && svr_get_be16(p + l3 + 6) == 0 && (p[0] >> 4) == 4) {
    return 1; /* UDP without checksum */
  }
  l4len = len - l3;
  ph[0] = 0;
  ph[1] = proto;
  ph[2] = (uint8_t)(l4len >> 8);
  ph[3] = (uint8_t)l4len;
  s = svr_cksum_add(s, ph, 4);
  return svr_cksum_fold(svr_cksum_add(s, p + l3, l4len)) == 0xffff;
}

static void write_tun(stats *st, const struct virtio_net_hdr *vh,
                      const uint8_t *p, size_t len) {
  char err[256];
  int rc = fwd_tun_write(&tun, vh, p, len, err, sizeof(err));
  if (rc == 0) {
    st->tx++;
  } else if (rc == 1) {
    st->tx_full++;
  } else {
    st->tx_err++;
    if (st->tx_err <= 5) {
      fprintf(stderr, "%s\n", err);
    }
  }
}

static void flush_gro(stats *st) {
  struct virtio_net_hdr vh;
  size_t n = fwd_gro_flush(&gro, &vh);
  if (n) {
    if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
      st->gro_super++;
    }
    write_tun(st, &vh, grobuf, n);
  }
}

static void process(stats *st, const char *dev, struct virtio_net_hdr *vh,
                    const uint8_t *p, size_t len) {
  fwd_gso g;
  ptrdiff_t n;
  unsigned gt = vh->gso_type & (unsigned)~VIRTIO_NET_HDR_GSO_ECN;
  st->rx++;
  st->max_len = len > st->max_len ? len : st->max_len;
  if (gt == VIRTIO_NET_HDR_GSO_TCPV4) {
    st->gso_tcp4++;
    st->max_tcp4 = len > st->max_tcp4 ? len : st->max_tcp4;
  } else if (gt == VIRTIO_NET_HDR_GSO_TCPV6) {
    st->gso_tcp6++;
    st->max_tcp6 = len > st->max_tcp6 ? len : st->max_tcp6;
  } else if (gt == VIRTIO_NET_HDR_GSO_UDP_L4) {
    st->gso_udp++;
    st->max_udp = len > st->max_udp ? len : st->max_udp;
  }
  if (gt != VIRTIO_NET_HDR_GSO_NONE && vh->gso_size > st->max_gso_size) {
    st->max_gso_size = vh->gso_size;
  }
  if (print_left > 0 || (gt != VIRTIO_NET_HDR_GSO_NONE && print_left > -20)) {
    print_left--;
    printf("pkt dev=%s len=%zu gso_type=%u gso_size=%u hdr_len=%u "
           "csum_start=%u csum_offset=%u flags=%u\n",
           dev, len, vh->gso_type, vh->gso_size, vh->hdr_len, vh->csum_start,
           vh->csum_offset, vh->flags);
  }
  if (mode_echo) {
    write_tun(st, vh, p, len);
    return;
  }
  if (fwd_gso_init(&g, vh, p, len) != 0) {
    st->malformed++;
    return;
  }
  while ((n = fwd_gso_next(&g, segbuf, sizeof(segbuf))) > 0) {
    int rc;
    st->segs++;
    if (!csum_ok(segbuf, (size_t)n)) {
      st->bad_csum++;
    }
    if (!mode_regro) {
      write_tun(st, NULL, segbuf, (size_t)n);
      continue;
    }
    rc = fwd_gro_add(&gro, segbuf, (size_t)n);
    if (rc == 0) {
      flush_gro(st);
      rc = fwd_gro_add(&gro, segbuf, (size_t)n);
    }
    if (rc < 0) {
      flush_gro(st);
      write_tun(st, NULL, segbuf, (size_t)n);
    }
  }
  if (n < 0) {
    st->malformed++;
  }
}

static void drain(fwd_tun *t, stats *st, int is_tap) {
  int i;
  for (i = 0; i < 64; i++) {
    struct virtio_net_hdr vh;
    char err[256];
    ptrdiff_t n = fwd_tun_read(t, &vh, inbuf, sizeof(inbuf), err, sizeof(err));
    const uint8_t *p = inbuf;
    size_t len;
    if (n == 0) {
      break;
    }
    if (n < 0) {
      fprintf(stderr, "%s\n", err);
      break;
    }
    len = (size_t)n;
    if (is_tap) {
      /* an Ethernet frame: the header's offsets count it too */
      uint16_t et = len >= 14 ? svr_get_be16(p + 12) : 0;
      if (et != 0x0800 && et != 0x86dd) {
        st->non_ip++;
        continue;
      }
      p += 14;
      len -= 14;
      if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        vh.csum_start = (uint16_t)(vh.csum_start - 14);
      }
      vh.hdr_len = (uint16_t)(vh.hdr_len >= 14 ? vh.hdr_len - 14 : 0);
    }
    process(st, is_tap ? "tap" : "tun", &vh, p, len);
  }
  flush_gro(st);
}

static void summary(const char *dev, const stats *s) {
  printf("summary dev=%s rx=%lu gso_tcp4=%lu gso_tcp6=%lu gso_udp=%lu "
         "max_len=%lu max_gso_size=%lu segs=%lu bad_csum=%lu malformed=%lu "
         "non_ip=%lu tx=%lu tx_err=%lu tx_full=%lu gro_super=%lu "
         "max_tcp4=%lu max_tcp6=%lu max_udp=%lu\n",
         dev, s->rx, s->gso_tcp4, s->gso_tcp6, s->gso_udp, s->max_len,
         s->max_gso_size, s->segs, s->bad_csum, s->malformed, s->non_ip,
         s->tx, s->tx_err, s->tx_full, s->gro_super, s->max_tcp4, s->max_tcp6,
         s->max_udp);
}

int main(int argc, char **argv) {
  const char *tun_name = "svrt0", *tap_name = NULL;
  int mtu = 1500, i, seconds = 60;
  uint32_t table = 100, mark = 0;
  uint16_t port_lo = 0, port_hi = 0;
  fwd_rule rules[MAX_ITEMS];
  fwd_prefix routes[MAX_ITEMS];
  uint32_t route_mtu[MAX_ITEMS];
  fwd_nft_wp wps[MAX_ITEMS];
  char *sysctls[MAX_ITEMS];
  size_t n_rules = 0, n_routes = 0, n_wps = 0, n_sysctls = 0, k;
  fwd_nft nft;
  char err[512];
  struct sigaction sa;
  time_t end;
  memset(&nft, 0, sizeof(nft));
  for (i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      fprintf(stderr, "%s needs a value\n", o);
      return 1;
    }
    i++;
    if (strcmp(o, "--tun") == 0) {
      tun_name = v;
    } else if (strcmp(o, "--tap") == 0) {
      tap_name = v;
    } else if (strcmp(o, "--mtu") == 0) {
      mtu = atoi(v);
    } else if (strcmp(o, "--table") == 0) {
      table = (uint32_t)strtoul(v, NULL, 0);
    } else if (strcmp(o, "--seconds") == 0) {
      seconds = atoi(v);
    } else if (strcmp(o, "--print") == 0) {
      print_left = atol(v);
    } else if (strcmp(o, "--mode") == 0) {
      mode_regro = strcmp(v, "regro") == 0;
      mode_echo = strcmp(v, "echo") == 0;
    } else if (strcmp(o, "--sysctl") == 0 && n_sysctls < MAX_ITEMS) {
      sysctls[n_sysctls++] = argv[i];
    } else if (strcmp(o, "--rule") == 0 && n_rules < MAX_ITEMS) {
      if (parse_rule(&rules[n_rules++], argv[i]) != 0) {
        fprintf(stderr, "bad --rule %s\n", v);
        return 1;
      }
    } else if (strcmp(o, "--route") == 0 && n_routes < MAX_ITEMS) {
      char *c = strchr(argv[i], ',');
      route_mtu[n_routes] = 0;
      if (c) {
        *c = '\0';
        route_mtu[n_routes] = (uint32_t)atoi(c + 5); /* ",mtu=" */
      }
      if (parse_prefix(&routes[n_routes++], argv[i]) != 0) {
        fprintf(stderr, "bad --route %s\n", v);
        return 1;
      }
    } else if (strcmp(o, "--nft-mark") == 0) {
      mark = (uint32_t)strtoul(v, NULL, 0);
    } else if (strcmp(o, "--waypoint") == 0 && n_wps < MAX_ITEMS) {
      memset(&wps[n_wps], 0, sizeof(wps[n_wps]));
      if (parse_prefix(&wps[n_wps].addr, v) != 0 ||
          fwd_dev_of_addr(&wps[n_wps].addr, wps[n_wps].dev,
                          sizeof(wps[n_wps].dev)) != 0) {
        fprintf(stderr, "--waypoint %s: not a local address\n", v);
        return 1;
      }
      n_wps++;
    } else if (strcmp(o, "--ports") == 0) {
      const char *dash = strchr(v, '-');
      port_lo = (uint16_t)atoi(v);
      port_hi = (uint16_t)(dash ? atoi(dash + 1) : port_lo);
    } else {
      fprintf(stderr, "unknown option %s\n", o);
      return 1;
    }
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sig;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  fwd_gro_init(&gro, grobuf, sizeof(grobuf));
  tap.fd = -1;
  if (fwd_tun_open(&tun, tun_name, mtu, 0, err, sizeof(err)) != 0 ||
      (tap_name && fwd_tun_open(&tap, tap_name, mtu, 1, err, sizeof(err)) != 0)) {
    fprintf(stderr, "FAIL open: %s\n", err);
    return 1;
  }
  for (k = 0; k < n_sysctls; k++) {
    char *eq = strchr(sysctls[k], '=');
    char path[128];
    if (eq == NULL) {
      fprintf(stderr, "bad --sysctl %s\n", sysctls[k]);
      return 1;
    }
    *eq = '\0';
    /* "@TUN" in the path stands for the device the kernel named */
    if (strstr(sysctls[k], "@TUN")) {
      char *at = strstr(sysctls[k], "@TUN");
      *at = '\0';
      snprintf(path, sizeof(path), "%s%s%s", sysctls[k], tun.name, at + 4);
    } else {
      snprintf(path, sizeof(path), "%s", sysctls[k]);
    }
    if (fwd_sysctl(path, eq + 1, err, sizeof(err)) != 0) {
      fprintf(stderr, "FAIL sysctl: %s\n", err);
      return 1;
    }
  }
  for (k = 0; k < n_routes; k++) {
    if (fwd_nl_route(table, &routes[k], tun.ifindex, route_mtu[k], 1, err,
                     sizeof(err)) != 0) {
      fprintf(stderr, "FAIL route: %s\n", err);
      return 1;
    }
  }
  for (k = 0; k < n_rules; k++) {
    if (fwd_nl_rule(&rules[k], 1, err, sizeof(err)) != 0) {
      fprintf(stderr, "FAIL rule: %s\n", err);
      return 1;
    }
    /* adding it again is not an error (EEXIST taken as done) */
    if (fwd_nl_rule(&rules[k], 1, err, sizeof(err)) != 0) {
      fprintf(stderr, "FAIL rule again: %s\n", err);
      return 1;
    }
  }
  if (mark) {
    char script[4096];
    if (fwd_nft_install(&nft, tun.name, tap_name ? tap.name : NULL, wps, n_wps,
                        NULL, 0, port_lo, port_hi, mark, script,
                        sizeof(script), err, sizeof(err)) != 0) {
      fprintf(stderr, "FAIL nft: %s\n", err);
      return 1;
    }
    printf("nft table %s\n", nft.table);
  }
  printf("ready tun=%s ifindex=%d offloads=0x%x", tun.name, tun.ifindex,
         tun.offloads);
  if (tap_name) {
    printf(" tap=%s tap_offloads=0x%x", tap.name, tap.offloads);
  }
  printf("\n");
  fflush(stdout);

  end = time(NULL) + seconds;
  while (!stop && time(NULL) < end) {
    struct pollfd p[2];
    p[0].fd = tun.fd;
    p[0].events = POLLIN;
    p[1].fd = tap.fd;
    p[1].events = POLLIN;
    p[1].revents = 0;
    if (poll(p, 2, 200) < 0) {
      continue;
    }
    if (p[0].revents & POLLIN) {
      drain(&tun, &st_tun, 0);
    }
    if (p[1].revents & POLLIN) {
      drain(&tap, &st_tap, 1);
    }
  }
  summary("tun", &st_tun);
  if (tap_name) {
    summary("tap", &st_tap);
  }
  for (k = n_rules; k-- > 0;) {
    if (fwd_nl_rule(&rules[k], 0, err, sizeof(err)) != 0 ||
        fwd_nl_rule(&rules[k], 0, err, sizeof(err)) != 0) { /* gone: fine */
      fprintf(stderr, "rule delete: %s\n", err);
    }
  }
  for (k = 0; k < n_routes; k++) {
    if (fwd_nl_route(table, &routes[k], tun.ifindex, 0, 0, err, sizeof(err)) != 0 ||
        fwd_nl_route(table, &routes[k], tun.ifindex, 0, 0, err, sizeof(err)) != 0) {
      fprintf(stderr, "route delete: %s\n", err);
    }
  }
  fwd_nft_remove(&nft);
  fwd_tun_close(&tun);
  fwd_tun_close(&tap);
  printf("cleaned\n");
  fflush(stdout);
  return 0;
}
