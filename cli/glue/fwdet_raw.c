/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwdet glue: raw IP sender, AF_PACKET tap with a BPF filter, UDP control
 * socket and the nftables RST-silencing table (fwdet_glue.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fwdet_glue.h"

uint64_t fwdet_glue_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fwdet_glue_rand(uint8_t *dest, size_t len, void *user_data) {
  size_t off = 0;
  (void)user_data;
  while (off < len) {
    ssize_t n = getrandom(dest + off, len - off, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) {
        continue;
      }
      abort(); /* no randomness: never guess sequence numbers */
    }
    off += (size_t)n;
  }
}

int fwdet_glue_parse_addr(svrfwdet_addr *a, const char *s) {
  memset(a, 0, sizeof(*a));
  if (inet_pton(AF_INET, s, a->addr) == 1) {
    a->family = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, s, a->addr) == 1) {
    a->family = 6;
    return 0;
  }
  return -1;
}

void fwdet_glue_format_addr(char *buf, size_t len, const svrfwdet_addr *a) {
  if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, buf,
                 (socklen_t)len)) {
    snprintf(buf, len, "?");
  }
}

static socklen_t to_sockaddr(struct sockaddr_storage *ss,
                             const svrfwdet_addr *a, uint16_t port) {
  memset(ss, 0, sizeof(*ss));
  if (a->family == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, a->addr, 4);
    return sizeof(*s4);
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    memcpy(&s6->sin6_addr, a->addr, 16);
    return sizeof(*s6);
  }
}

static void from_sockaddr(svrfwdet_addr *a, const struct sockaddr_storage *ss) {
  memset(a, 0, sizeof(*a));
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    a->family = 4;
    a->port = ntohs(s4->sin_port);
    memcpy(a->addr, &s4->sin_addr, 4);
  } else {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    a->family = 6;
    a->port = ntohs(s6->sin6_port);
    memcpy(a->addr, &s6->sin6_addr, 16);
  }
}

static int fail(fwdet_glue *g, int err, const char *what) {
  int priv = err == EPERM || err == EACCES;
  if (priv) {
    snprintf(g->err, sizeof(g->err),
             "%s: %s: needs CAP_NET_RAW (raw IP and AF_PACKET sockets) and "
             "CAP_NET_ADMIN (nftables); run as root or grant them with "
             "'setcap cap_net_raw,cap_net_admin+ep svr-fwdet'",
             what, strerror(err));
    return -FWDET_GLUE_EPRIV;
  }
  snprintf(g->err, sizeof(g->err), "%s: %s", what, strerror(err));
  return -FWDET_GLUE_ESYS;
}

int fwdet_glue_route(fwdet_glue *g, const svrfwdet_addr *peer,
                     svrfwdet_addr *local, uint32_t *mtu) {
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd, v = 0;
  socklen_t vl = sizeof(v);
  char p[64];
  fd = socket(peer->family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) {
    return fail(g, errno, "socket(UDP) for the route lookup");
  }
  sl = to_sockaddr(&ss, peer, SVRFWDET_PORT_CTRL);
  if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    close(fd);
    fwdet_glue_format_addr(p, sizeof(p), peer);
    snprintf(g->err, sizeof(g->err), "no route to peer %s: %s", p,
             strerror(e));
    return -FWDET_GLUE_ESYS;
  }
  sl = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
    int e = errno;
    close(fd);
    return fail(g, e, "getsockname");
  }
  from_sockaddr(local, &ss);
  local->port = 0;
  if (peer->family == 4) {
    if (getsockopt(fd, IPPROTO_IP, IP_MTU, &v, &vl) != 0) {
      v = 1500;
    }
  } else if (getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &v, &vl) != 0) {
    v = 1500;
  }
  close(fd);
  *mtu = (uint32_t)v;
  return 0;
}

/*
 * Classic BPF for the tap (SOCK_DGRAM: offsets from the network header):
 * TCP with source or destination port 1280/1283, and TCP fragments.
 */
typedef struct {
  uint16_t code;
  uint32_t k;
  int jt, jf; /* absolute instruction numbers, -1 = next */
} bpf_ins;

#define ACC 23
#define DRP 24
static const bpf_ins tap_prog[] = {
    /* 0 */ {BPF_LD | BPF_H | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL), -1, -1},
    /* 1 */ {BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 3, 2},
    /* 2 */ {BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 14, DRP},
    /* 3 */ {BPF_LD | BPF_B | BPF_ABS, 9, -1, -1},
    /* 4 */ {BPF_JMP | BPF_JEQ | BPF_K, 6, 5, DRP},
    /* 5 */ {BPF_LD | BPF_H | BPF_ABS, 6, -1, -1},
    /* 6 */ {BPF_JMP | BPF_JSET | BPF_K, 0x1fff, ACC, 7},
    /* 7 */ {BPF_LDX | BPF_B | BPF_MSH, 0, -1, -1},
    /* 8 */ {BPF_LD | BPF_H | BPF_IND, 0, -1, -1},
    /* 9 */ {BPF_JMP | BPF_JEQ | BPF_K, 1280, ACC, 10},
    /* 10 */ {BPF_JMP | BPF_JEQ | BPF_K, 1283, ACC, 11},
    /* 11 */ {BPF_LD | BPF_H | BPF_IND, 2, -1, -1},
    /* 12 */ {BPF_JMP | BPF_JEQ | BPF_K, 1280, ACC, 13},
    /* 13 */ {BPF_JMP | BPF_JEQ | BPF_K, 1283, ACC, DRP},
    /* 14 */ {BPF_LD | BPF_B | BPF_ABS, 6, -1, -1},
    /* 15 */ {BPF_JMP | BPF_JEQ | BPF_K, 44, ACC, 16},
    /* 16 */ {BPF_JMP | BPF_JEQ | BPF_K, 6, 17, DRP},
    /* 17 */ {BPF_LD | BPF_H | BPF_ABS, 40, -1, -1},
    /* 18 */ {BPF_JMP | BPF_JEQ | BPF_K, 1280, ACC, 19},
    /* 19 */ {BPF_JMP | BPF_JEQ | BPF_K, 1283, ACC, 20},
    /* 20 */ {BPF_LD | BPF_H | BPF_ABS, 42, -1, -1},
    /* 21 */ {BPF_JMP | BPF_JEQ | BPF_K, 1280, ACC, 22},
    /* 22 */ {BPF_JMP | BPF_JEQ | BPF_K, 1283, ACC, DRP},
    /* 23 */ {BPF_RET | BPF_K, 0x40000, -1, -1},
    /* 24 */ {BPF_RET | BPF_K, 0, -1, -1},
};

static int attach_filter(int fd) {
  struct sock_filter f[sizeof(tap_prog) / sizeof(tap_prog[0])];
  struct sock_fprog prog;
  size_t i, n = sizeof(tap_prog) / sizeof(tap_prog[0]);
  for (i = 0; i < n; i++) {
    f[i].code = tap_prog[i].code;
    f[i].k = tap_prog[i].k;
    f[i].jt = (uint8_t)(tap_prog[i].jt < 0 ? 0 : tap_prog[i].jt - (int)i - 1);
    f[i].jf = (uint8_t)(tap_prog[i].jf < 0 ? 0 : tap_prog[i].jf - (int)i - 1);
  }
  prog.len = (unsigned short)n;
  prog.filter = f;
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/* The tap wants only what arrives (read_tap() skipped PACKET_OUTGOING):
 * without this the kernel clones every packet the host sends, BFD and echo
 * included, for the tap to filter and drop (5 % of a 10,000-path hub's
 * CPU).  Before Linux 4.20 the option is unknown and read_tap() still
 * skips them. */
static void ignore_outgoing(int fd) {
#ifdef PACKET_IGNORE_OUTGOING
  int one = 1;
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
#else
  (void)fd;
#endif
}

static int open_udp(fwdet_glue *g, int family, int *pfd) {
  struct sockaddr_storage ss;
  svrfwdet_addr any;
  socklen_t sl;
  int one = 1, af = family == 4 ? AF_INET : AF_INET6;
  int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return fail(g, errno, family == 4 ? "socket(UDP)" : "socket(UDPv6)");
  }
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (af == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  uint16_t port = g->udp_port_set ? g->udp_port : SVRFWDET_PORT_CTRL;
  memset(&any, 0, sizeof(any));
  any.family = (uint8_t)family;
  if (g->udp_bind_set && g->udp_bind.family == family) {
    any = g->udp_bind;
  }
  sl = to_sockaddr(&ss, &any, port);
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    char as[64];
    close(fd);
    fwdet_glue_format_addr(as, sizeof(as), &any);
    snprintf(g->err, sizeof(g->err),
             "bind UDP%s %s port %u: %s%s",
             family == 6 ? "v6" : "", as, (unsigned)port, strerror(e),
             e == EADDRINUSE ? " (another svr-fwdet or svr-router already "
                               "owns it? a probe can use --port 0)" : "");
    return e == EACCES || e == EPERM ? -FWDET_GLUE_EPRIV : -FWDET_GLUE_ESYS;
  }
  *pfd = fd;
  return 0;
}

int fwdet_glue_open(fwdet_glue *g, svrfwdet_ctx *ctx, int family,
                    int send_probes) {
  int rv;
  g->ctx = ctx;
  g->family = family;
  g->raw_fd = g->tap_fd = g->udp_fd = g->udp6_fd = -1;
  if (send_probes) {
    g->raw_fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
                       IPPROTO_RAW);
    if (g->raw_fd < 0) {
      return fail(g, errno, "socket(SOCK_RAW, IPPROTO_RAW) to send probes");
    }
  }
  g->tap_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                     htons(ETH_P_ALL));
  if (g->tap_fd < 0) {
    rv = fail(g, errno, "socket(AF_PACKET) to capture probes");
    fwdet_glue_close(g);
    return rv;
  }
  if (attach_filter(g->tap_fd) != 0) {
    rv = fail(g, errno, "SO_ATTACH_FILTER on the packet tap");
    fwdet_glue_close(g);
    return rv;
  }
  ignore_outgoing(g->tap_fd);
  rv = open_udp(g, family == 6 ? 6 : 4, &g->udp_fd);
  if (rv != 0) {
    fwdet_glue_close(g);
    return rv;
  }
  if (family == 0) {
    /* the responder also answers over IPv6 when the host has it */
    int fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd6 >= 0) {
      close(fd6);
      rv = open_udp(g, 6, &g->udp6_fd);
      if (rv != 0) {
        fwdet_glue_close(g);
        return rv;
      }
    }
  }
  return 0;
}

int fwdet_glue_open_probe(fwdet_glue *g, svrfwdet_ctx *ctx, int family,
                          int tap) {
  int rv;
  g->ctx = ctx;
  g->family = family;
  g->raw_fd = g->tap_fd = g->udp_fd = g->udp6_fd = -1;
  g->raw_fd = socket(family == 6 ? AF_INET6 : AF_INET,
                     SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
  if (g->raw_fd < 0) {
    return fail(g, errno, "socket(SOCK_RAW, IPPROTO_RAW) to send probes");
  }
  if (!tap) {
    return 0;
  }
  g->tap_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                     htons(ETH_P_ALL));
  if (g->tap_fd < 0) {
    rv = fail(g, errno, "socket(AF_PACKET) to capture probes");
    fwdet_glue_close(g);
    return rv;
  }
  if (attach_filter(g->tap_fd) != 0) {
    rv = fail(g, errno, "SO_ATTACH_FILTER on the packet tap");
    fwdet_glue_close(g);
    return rv;
  }
  ignore_outgoing(g->tap_fd);
  return 0;
}

int fwdet_glue_send_ip(fwdet_glue *g, const svrfwdet_addr *dst,
                       const uint8_t *buf, size_t len) {
  struct sockaddr_storage ss;
  socklen_t sl;
  if (g->raw_fd < 0) {
    return -EBADF;
  }
  sl = to_sockaddr(&ss, dst, 0); /* port 0 for raw IPv6 sockets */
  if (sendto(g->raw_fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0) {
    g->tx_errors++;
    g->last_tx_errno = errno;
    return -errno;
  }
  return 0;
}

/* Runs "nft -f -" with |script| on stdin; stderr goes to g->err. */
static int run_nft(fwdet_glue *g, const char *script) {
  int in[2], errp[2];
  pid_t pid;
  int status;
  ssize_t n;
  size_t off = 0;
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
    return fail(g, errno, "pipe");
  }
  pid = fork();
  if (pid < 0) {
    return fail(g, errno, "fork");
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(errp[1], 2);
    dup2(errp[1], 1);
    execlp("nft", "nft", "-f", "-", (char *)NULL);
    fprintf(stderr, "cannot run nft: %s (install nftables)", strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(errp[1]);
  if (write(in[1], script, strlen(script)) < 0) {
    /* nft died early; its stderr says why */
  }
  close(in[1]);
  g->err[0] = '\0';
  while (off + 1 < sizeof(g->err) &&
         (n = read(errp[0], g->err + off, sizeof(g->err) - 1 - off)) > 0) {
    off += (size_t)n;
  }
  g->err[off] = '\0';
  close(errp[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return 0;
  }
  if (strstr(g->err, "Operation not permitted")) {
    char tmp[sizeof(g->err)];
    snprintf(tmp, sizeof(tmp), "nft: %.400s: needs CAP_NET_ADMIN", g->err);
    memcpy(g->err, tmp, sizeof(g->err));
    return -FWDET_GLUE_EPRIV;
  }
  return -FWDET_GLUE_ESYS;
}

/* Deletes the svr_fwdet_<pid> tables of processes that no longer exist
 * (a detector killed with SIGKILL cannot remove its own): left behind, they
 * would keep dropping TCP to 1280/1283 on this host.  Best effort. */
static void nft_sweep_stale(fwdet_glue *g) {
  FILE *f = popen("nft list tables inet 2>/dev/null", "r");
  char line[256], script[128];
  long pid;
  if (f == NULL) {
    return;
  }
  while (fgets(line, sizeof(line), f)) {
    if (sscanf(line, "table inet svr_fwdet_%ld", &pid) == 1 && pid > 0 &&
        pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
      snprintf(script, sizeof(script), "delete table inet svr_fwdet_%ld\n",
               pid);
      if (run_nft(g, script) == 0) {
        g->nft_swept++;
      }
    }
  }
  pclose(f);
}

int fwdet_glue_nft_install(fwdet_glue *g) {
  char script[1024];
  int rv;
  nft_sweep_stale(g);
  snprintf(g->nft_table, sizeof(g->nft_table), "svr_fwdet_%ld",
           (long)getpid());
  /* Input hook: only packets addressed to this host; the tap has already
   * seen them (AF_PACKET taps run before netfilter). */
  snprintf(script, sizeof(script),
           "table inet %s {\n"
           "  chain input {\n"
           "    type filter hook input priority -300; policy accept;\n"
           "    meta l4proto tcp tcp dport { %d, %d } counter drop\n"
           "  }\n"
           "}\n",
           g->nft_table, SVRFWDET_PORT_A, SVRFWDET_PORT_B);
  rv = run_nft(g, script);
  if (rv == 0) {
    g->nft_installed = 1;
  } else {
    char tmp[sizeof(g->err)];
    snprintf(tmp, sizeof(tmp),
             "cannot install the nftables rule that keeps this host from "
             "answering probes with RST: %.400s",
             g->err);
    memcpy(g->err, tmp, sizeof(g->err));
  }
  return rv;
}

void fwdet_glue_nft_remove(fwdet_glue *g) {
  char script[128];
  if (!g->nft_installed) {
    return;
  }
  snprintf(script, sizeof(script), "delete table inet %s\n", g->nft_table);
  run_nft(g, script);
  g->nft_installed = 0;
}

static void send_due(fwdet_glue *g) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_out out;
  svrfwdet_ssize n;
  uint64_t now = fwdet_glue_now();
  while ((n = svrfwdet_ctx_write_pkt(g->ctx, &out, buf, sizeof(buf), now)) >
         0) {
    struct sockaddr_storage ss;
    socklen_t sl;
    ssize_t s;
    if (out.type == SVRFWDET_OUT_UDP) {
      int fd = out.dst.family == 6 && g->udp6_fd >= 0 ? g->udp6_fd : g->udp_fd;
      sl = to_sockaddr(&ss, &out.dst, out.dst.port);
      s = sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&ss, sl);
    } else if (g->raw_fd >= 0) {
      /* the port field must be 0 for raw IPv6 sockets */
      sl = to_sockaddr(&ss, &out.dst, 0);
      s = sendto(g->raw_fd, buf, (size_t)n, 0, (struct sockaddr *)&ss, sl);
    } else {
      continue;
    }
    if (s < 0) {
      g->tx_errors++;
      g->last_tx_errno = errno;
    }
  }
}

static void read_tap(fwdet_glue *g) {
  static uint8_t buf[65536];
  int i;
  for (i = 0; i < 256; i++) {
    struct sockaddr_ll sll;
    socklen_t sl = sizeof(sll);
    ssize_t n = recvfrom(g->tap_fd, buf, sizeof(buf), 0,
                         (struct sockaddr *)&sll, &sl);
    if (n < 0) {
      return;
    }
    if (sll.sll_pkttype == PACKET_OUTGOING) {
      continue; /* our own probes on their way out */
    }
    g->rx_ip++;
    svrfwdet_ctx_read_ip(g->ctx, buf, (size_t)n, fwdet_glue_now());
  }
}

void fwdet_glue_read_tap(fwdet_glue *g) {
  if (g->tap_fd >= 0) {
    read_tap(g);
  }
}

static void read_udp(fwdet_glue *g, int ufd) {
  static uint8_t buf[2048];
  int i;
  for (i = 0; i < 256; i++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    svrfwdet_addr from, to;
    ssize_t n = recvfrom(ufd, buf, sizeof(buf), 0, (struct sockaddr *)&ss,
                         &sl);
    if (n < 0) {
      return;
    }
    g->rx_udp++;
    from_sockaddr(&from, &ss);
    memset(&to, 0, sizeof(to));
    to.family = from.family;
    to.port = SVRFWDET_PORT_CTRL;
    svrfwdet_ctx_read_ctrl(g->ctx, &from, &to, buf, (size_t)n,
                           fwdet_glue_now());
  }
}

int fwdet_glue_run_once(fwdet_glue *g, uint64_t until) {
  struct pollfd p[3];
  uint64_t now, exp;
  int timeout_ms, rv;
  now = fwdet_glue_now();
  svrfwdet_ctx_handle_expiry(g->ctx, now);
  send_due(g);
  exp = svrfwdet_ctx_get_expiry(g->ctx);
  if (exp > until) {
    exp = until;
  }
  now = fwdet_glue_now();
  timeout_ms = exp <= now ? 0 : (int)((exp - now + 999999) / 1000000);
  p[0].fd = g->tap_fd;
  p[0].events = POLLIN;
  p[1].fd = g->udp_fd;
  p[1].events = POLLIN;
  p[2].fd = g->udp6_fd; /* -1 is ignored by poll() */
  p[2].events = POLLIN;
  p[2].revents = 0;
  rv = poll(p, 3, timeout_ms);
  if (rv < 0) {
    if (errno == EINTR) {
      return 0;
    }
    return fail(g, errno, "poll");
  }
  if (p[0].revents & POLLIN) {
    read_tap(g);
  }
  if (p[1].revents & POLLIN) {
    read_udp(g, g->udp_fd);
  }
  if (p[2].revents & POLLIN) {
    read_udp(g, g->udp6_fd);
  }
  svrfwdet_ctx_handle_expiry(g->ctx, fwdet_glue_now());
  send_due(g);
  return 0;
}

void fwdet_glue_close(fwdet_glue *g) {
  if (g->raw_fd >= 0) {
    close(g->raw_fd);
  }
  if (g->tap_fd >= 0) {
    close(g->tap_fd);
  }
  if (g->udp_fd >= 0) {
    close(g->udp_fd);
  }
  if (g->udp6_fd >= 0) {
    close(g->udp6_fd);
  }
  g->raw_fd = g->tap_fd = g->udp_fd = g->udp6_fd = -1;
  fwdet_glue_nft_remove(g);
}
