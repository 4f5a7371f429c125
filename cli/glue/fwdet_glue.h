/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwdet glue: binds one libsvrfwdet context to Linux sockets.
 *
 *   send probes   socket(AF_INET[6], SOCK_RAW, IPPROTO_RAW): the library
 *                 builds whole IP datagrams (IP_HDRINCL implied) and
 *                 fragments the jumbo SYN itself, because raw sockets never
 *                 fragment (raw(7)).                         needs CAP_NET_RAW
 *   capture       socket(AF_PACKET, SOCK_DGRAM, ETH_P_ALL) with a classic
 *                 BPF filter: TCP to or from port 1280/1283 and IP fragments
 *                 of TCP (their ports are not visible).  Frames are tapped
 *                 before netfilter, so a drop rule can silence the kernel
 *                 and still let us see the probe.           needs CAP_NET_RAW
 *   control       UDP socket bound to port 1280 (requests and reports).
 *   RST silence   an nftables table "svr_fwdet_<pid>" with an input-hook
 *                 rule dropping TCP to local ports 1280/1283, so the kernel
 *                 neither answers probes with RST/SYN-ACK nor lets them reach
 *                 a socket; removed on exit.  Tables of detectors that died
 *                 without removing theirs (SIGKILL) are deleted at the next
 *                 install (nft_swept).                     needs CAP_NET_ADMIN
 *
 * Time is CLOCK_MONOTONIC; randomness is getrandom(2).
 */
#ifndef SVR_FWDET_GLUE_H
#define SVR_FWDET_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include <svrfwdet/svrfwdet.h>

typedef struct fwdet_glue {
  svrfwdet_ctx *ctx;
  int family;     /* 4 or 6 */
  int raw_fd;     /* -1 when not opened */
  int tap_fd;
  int udp_fd;  /* UDP 1280 of |family| */
  int udp6_fd; /* respond: a second UDP socket for IPv6 (-1 if none) */
  /* Set before fwdet_glue_open() to bind the UDP control socket elsewhere
   * than the wildcard address and port 1280 (a probe beside a running
   * svr-router): */
  int udp_port_set;      /* 1: use udp_port (0 = an ephemeral port) */
  uint16_t udp_port;
  int udp_bind_set;      /* 1: bind to udp_bind (port ignored) */
  svrfwdet_addr udp_bind;
  int nft_installed;
  unsigned nft_swept; /* stale tables of dead detectors removed at install */
  char nft_table[64];
  uint64_t tx_errors;
  int last_tx_errno;
  uint64_t rx_ip, rx_udp;
  char err[512]; /* the last error, naming the problem */
} fwdet_glue;

/* Glue error classes (returned negated): usage vs. privilege vs. system. */
#define FWDET_GLUE_EPRIV 1 /* missing CAP_NET_RAW / CAP_NET_ADMIN */
#define FWDET_GLUE_ESYS 2  /* any other failure */

/* Monotonic nanoseconds. */
uint64_t fwdet_glue_now(void);

/* svrfwdet_callbacks.rand backed by getrandom(2). */
void fwdet_glue_rand(uint8_t *dest, size_t len, void *user_data);

/*
 * Parses a numeric IPv4/IPv6 address into |a| (port 0).  Returns 0 or -1.
 */
int fwdet_glue_parse_addr(svrfwdet_addr *a, const char *s);
/* Formats |a| without port. */
void fwdet_glue_format_addr(char *buf, size_t len, const svrfwdet_addr *a);

/*
 * Asks the kernel's routing table for the source address and the path MTU
 * toward |peer| (a connected UDP socket: getsockname + IP_MTU/IPV6_MTU).
 * Returns 0 or -FWDET_GLUE_ESYS with g->err set.
 */
int fwdet_glue_route(fwdet_glue *g, const svrfwdet_addr *peer,
                     svrfwdet_addr *local, uint32_t *mtu);

/*
 * Opens the sockets for |family|: raw sender (if |send_probes|), the packet
 * tap (both families), and the UDP control socket on port 1280.  With
 * |family| 0 (responder) it opens UDP sockets for IPv4 and, when the host
 * has IPv6, for IPv6.  Returns 0,
 * -FWDET_GLUE_EPRIV (EPERM/EACCES: the message names CAP_NET_RAW) or
 * -FWDET_GLUE_ESYS.  g->err says what failed.
 */
int fwdet_glue_open(fwdet_glue *g, svrfwdet_ctx *ctx, int family,
                    int send_probes);

/*
 * Installs the nftables table that keeps this host's kernel from answering
 * probes (see above).  Returns 0, -FWDET_GLUE_EPRIV or -FWDET_GLUE_ESYS
 * (nft missing or refused: its stderr is in g->err).
 */
int fwdet_glue_nft_install(fwdet_glue *g);
/* Removes it again (no-op when not installed).  Safe in exit paths. */
void fwdet_glue_nft_remove(fwdet_glue *g);

/*
 * Sends what the context has due, then waits for input until the next
 * deadline or |until| (monotonic ns), feeding what arrives to the context.
 * Returns 0, or -FWDET_GLUE_ESYS when poll() failed (EINTR is not an
 * error: it returns 0 so the caller can check its stop flag).
 */
int fwdet_glue_run_once(fwdet_glue *g, uint64_t until);

/*
 * For hosts that already own 1280/UDP (svr-router: control datagrams go
 * through its own peer-path sockets): opens only the raw sender for
 * |family| (4 or 6) and, when |tap| is 1, the packet tap.  Same returns as
 * fwdet_glue_open(); g->udp_fd stays -1.
 */
int fwdet_glue_open_probe(fwdet_glue *g, svrfwdet_ctx *ctx, int family,
                          int tap);
/* Sends one SVRFWDET_OUT_IP buffer through the raw socket.  0 or -errno. */
int fwdet_glue_send_ip(fwdet_glue *g, const svrfwdet_addr *dst,
                       const uint8_t *buf, size_t len);
/* Reads what the tap has (non-blocking) into g->ctx. */
void fwdet_glue_read_tap(fwdet_glue *g);

/* Closes the sockets and removes the nft table. */
void fwdet_glue_close(fwdet_glue *g);

#endif /* SVR_FWDET_GLUE_H */
