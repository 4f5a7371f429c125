/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux glue for libsvrpmtu: a UDP socket that sends probes with DF set
 * without consulting the kernel's cached PMTU (IP_PMTUDISC_PROBE /
 * IPV6_DONTFRAG), receives ICMP "fragmentation needed" / "packet too big"
 * through IP_RECVERR, and drives a svrpmtu context with poll().
 */
#ifndef PMTU_GLUE_H
#define PMTU_GLUE_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include <svrpmtu/svrpmtu.h>

typedef struct pmtu_sockaddr {
  struct sockaddr_storage ss;
  socklen_t len;
} pmtu_sockaddr;

/* Parses an IPv4/IPv6 literal and port; 0 or -1. */
int pmtu_parse_addr(pmtu_sockaddr *out, const char *text, uint16_t port);
/* Formats "addr" (no port) into |buf|. */
const char *pmtu_addr_str(const pmtu_sockaddr *a, char *buf, size_t buflen);
void pmtu_to_svr(svrpmtu_addr *out, const pmtu_sockaddr *in);
void pmtu_from_svr(pmtu_sockaddr *out, const svrpmtu_addr *in);

/*
 * Opens a UDP socket of |family| (AF_INET/AF_INET6) bound to |bind_addr|
 * (NULL = wildcard, port |port|, 0 = ephemeral).  |probe| = 1 sets DF
 * without the cached PMTU and IP_RECVERR.  Returns the fd or -1 with
 * |err| filled.
 */
int pmtu_socket(int family, const pmtu_sockaddr *bind_addr, uint16_t port,
                int probe, char *err, size_t errlen);

/*
 * MTU of the interface that owns the local address of connected socket
 * |fd|; also its name in |ifname| (IFNAMSIZ).  Returns the MTU or -1.
 */
int pmtu_local_iface_mtu(int fd, char *ifname, size_t ifnamelen);

/*
 * Reads one error-queue entry of |fd|.  Returns 1 and fills |ptb| (quote
 * points into |buf|) for an ICMP too-big or local EMSGSIZE report, 0 for
 * another error (|*other_errno| set, e.g. ECONNREFUSED from ICMP port
 * unreachable), -1 when the queue is empty.
 */
int pmtu_read_errqueue(int fd, uint8_t *buf, size_t buflen, svrpmtu_ptb *ptb,
                       int *other_errno);

/* Monotonic clock in nanoseconds. */
uint64_t pmtu_now(void);

#endif /* PMTU_GLUE_H */
