/* SPDX-License-Identifier: BSD-2-Clause */
/* Linux socket glue for libsvrpmtu (see pmtu_glue.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "pmtu_glue.h"

uint64_t pmtu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int pmtu_parse_addr(pmtu_sockaddr *out, const char *text, uint16_t port) {
  struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    out->len = sizeof(*s4);
    return 0;
  }
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    out->len = sizeof(*s6);
    return 0;
  }
  return -1;
}

const char *pmtu_addr_str(const pmtu_sockaddr *a, char *buf, size_t buflen) {
  const void *src = a->ss.ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
  if (!inet_ntop(a->ss.ss_family, src, buf, (socklen_t)buflen)) {
    snprintf(buf, buflen, "?");
  }
  return buf;
}

void pmtu_to_svr(svrpmtu_addr *out, const pmtu_sockaddr *in) {
  memset(out, 0, sizeof(*out));
  if (in->ss.ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&in->ss;
    out->family = 4;
    out->port = ntohs(s4->sin_port);
    memcpy(out->addr, &s4->sin_addr, 4);
  } else {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&in->ss;
    out->family = 6;
    out->port = ntohs(s6->sin6_port);
    memcpy(out->addr, &s6->sin6_addr, 16);
  }
}

void pmtu_from_svr(pmtu_sockaddr *out, const svrpmtu_addr *in) {
  memset(out, 0, sizeof(*out));
  if (in->family == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(in->port);
    memcpy(&s4->sin_addr, in->addr, 4);
    out->len = sizeof(*s4);
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(in->port);
    memcpy(&s6->sin6_addr, in->addr, 16);
    out->len = sizeof(*s6);
  }
}

#define SETOPT(lvl, opt, val, what)                                            \
  do {                                                                         \
    int v_ = (val);                                                            \
    if (setsockopt(fd, (lvl), (opt), &v_, sizeof(v_)) != 0) {                  \
      snprintf(err, errlen, "setsockopt %s: %s", (what), strerror(errno));     \
      close(fd);                                                               \
      return -1;                                                               \
    }                                                                          \
  } while (0)

int pmtu_socket(int family, const pmtu_sockaddr *bind_addr, uint16_t port,
                int probe, char *err, size_t errlen) {
  pmtu_sockaddr b;
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return -1;
  }
  if (family == AF_INET6) {
    SETOPT(IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
  }
  if (probe) {
    if (family == AF_INET) {
      /* DF on, and ignore the route's cached PMTU: a probe must be sent at
       * exactly its size even after an ICMP taught the kernel less. */
      SETOPT(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE, "IP_MTU_DISCOVER");
      SETOPT(IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
    } else {
      SETOPT(IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE,
             "IPV6_MTU_DISCOVER");
      SETOPT(IPPROTO_IPV6, IPV6_DONTFRAG, 1, "IPV6_DONTFRAG");
      SETOPT(IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
    }
  }
  if (bind_addr) {
    b = *bind_addr;
  } else {
    memset(&b, 0, sizeof(b));
    b.ss.ss_family = (sa_family_t)family;
    b.len = family == AF_INET ? sizeof(struct sockaddr_in)
                              : sizeof(struct sockaddr_in6);
  }
  if (b.ss.ss_family != family) {
    snprintf(err, errlen, "bind address family differs from the peer's");
    close(fd);
    return -1;
  }
  if (family == AF_INET) {
    ((struct sockaddr_in *)&b.ss)->sin_port = htons(port);
  } else {
    ((struct sockaddr_in6 *)&b.ss)->sin6_port = htons(port);
  }
  if (bind(fd, (struct sockaddr *)&b.ss, b.len) != 0) {
    char as[INET6_ADDRSTRLEN];
    snprintf(err, errlen, "bind %s port %u: %s", pmtu_addr_str(&b, as, sizeof(as)),
             port, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

int pmtu_local_iface_mtu(int fd, char *ifname, size_t ifnamelen) {
  pmtu_sockaddr local;
  struct ifaddrs *ifa, *i;
  int mtu = -1;
  local.len = sizeof(local.ss);
  if (getsockname(fd, (struct sockaddr *)&local.ss, &local.len) != 0 ||
      getifaddrs(&ifa) != 0) {
    return -1;
  }
  for (i = ifa; i; i = i->ifa_next) {
    int match = 0;
    if (!i->ifa_addr || i->ifa_addr->sa_family != local.ss.ss_family) {
      continue;
    }
    if (local.ss.ss_family == AF_INET) {
      match = memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
                     &((struct sockaddr_in *)&local.ss)->sin_addr, 4) == 0;
    } else {
      match = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
                     &((struct sockaddr_in6 *)&local.ss)->sin6_addr, 16) == 0;
    }
    if (match) {
      struct ifreq ifr;
      memset(&ifr, 0, sizeof(ifr));
      snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->ifa_name);
      if (ioctl(fd, SIOCGIFMTU, &ifr) == 0) {
        mtu = ifr.ifr_mtu;
        snprintf(ifname, ifnamelen, "%s", i->ifa_name);
      }
      break;
    }
  }
  freeifaddrs(ifa);
  return mtu;
}

int pmtu_read_errqueue(int fd, uint8_t *buf, size_t buflen, svrpmtu_ptb *ptb,
                       int *other_errno) {
  union {
    char b[512];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {buf, buflen};
  struct sockaddr_storage from;
  struct msghdr msg;
  struct cmsghdr *c;
  ssize_t n;

  memset(&msg, 0, sizeof(msg));
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.b;
  msg.msg_controllen = sizeof(ctl.b);
  n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
  if (n < 0) {
    return -1;
  }
  *other_errno = 0;
  for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    const struct sock_extended_err *ee;
    int too_big = 0;
    if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))) {
      continue;
    }
    ee = (const struct sock_extended_err *)(const void *)CMSG_DATA(c);
    if (ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == ICMP_DEST_UNREACH &&
        ee->ee_code == ICMP_FRAG_NEEDED) {
      too_big = 1;
    } else if (ee->ee_origin == SO_EE_ORIGIN_ICMP6 &&
               ee->ee_type == ICMP6_PACKET_TOO_BIG) {
      too_big = 1;
    } else if (ee->ee_origin == SO_EE_ORIGIN_LOCAL &&
               ee->ee_errno == EMSGSIZE) {
      too_big = 1; /* larger than our own interface allows */
    }
    if (too_big) {
      /* The data returned is the offending datagram's UDP payload, as
       * much of it as the ICMP message quoted. */
      ptb->mtu = ee->ee_info;
      ptb->quote = buf;
      ptb->quotelen = (size_t)n;
      return 1;
    }
    *other_errno = (int)ee->ee_errno;
    return 0;
  }
  *other_errno = EIO;
  return 0;
}
