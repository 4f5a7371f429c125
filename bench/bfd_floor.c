/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bfd_floor: the cost floor for moving BFD-sized datagrams, for
 * bench/bfd_scale.sh.  One UDP socket, one sendto() per packet sent and one
 * recvfrom() per packet received, paced with poll() at 1 ms ticks: the
 * least a BFD implementation with the same packet rate could pay in the
 * kernel, with no protocol work at all.
 *
 *   bfd_floor LOCAL PEER PORT PPS SECONDS [SIZE]
 *
 * Sends PPS datagrams of SIZE bytes (default 24) per second from LOCAL:PORT
 * to PEER:PORT for SECONDS, receives whatever arrives, then prints
 * "sent=N received=N send_errors=N elapsed_s=S max_lag_ms=MS" and exits.
 * sent counts datagrams the kernel accepted; a send that failed (other than
 * a full socket buffer, which is retried) counts in send_errors instead.
 * max_lag_ms is the most the sender was ever behind its pacing (packets
 * due but not yet sent, in ms of the rate; it catches up after a stall):
 * bench/bfd_scale.sh calls a floor short of the rate or over 1 s behind
 * "behind" and prints no ratio from it.  IPv4 only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  struct sockaddr_in me, peer;
  uint8_t pkt[512], rx[2048];
  uint64_t start, end, t, sent = 0, received = 0, errors = 0, max_lag = 0;
  double pps, secs;
  size_t size = 24;
  int fd, ttl = 255, port;

  if (argc < 6) {
    fprintf(stderr, "usage: %s LOCAL PEER PORT PPS SECONDS [SIZE]\n", argv[0]);
    return 2;
  }
  port = atoi(argv[3]);
  pps = atof(argv[4]);
  secs = atof(argv[5]);
  if (argc > 6) {
    size = (size_t)atoi(argv[6]);
  }
  if (port <= 0 || port > 65535 || pps <= 0 || secs <= 0 || size < 1 ||
      size > sizeof(pkt)) {
    fprintf(stderr, "bfd_floor: bad arguments\n");
    return 2;
  }
  memset(&me, 0, sizeof(me));
  me.sin_family = AF_INET;
  me.sin_port = htons((uint16_t)port);
  peer = me;
  if (inet_pton(AF_INET, argv[1], &me.sin_addr) != 1 ||
      inet_pton(AF_INET, argv[2], &peer.sin_addr) != 1) {
    fprintf(stderr, "bfd_floor: addresses must be IPv4\n");
    return 2;
  }
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
    perror("bfd_floor: bind");
    return 1;
  }
  setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
  {
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
  }
  memset(pkt, 0, sizeof(pkt));
  pkt[0] = 0x20; /* BFD version 1, so a capture still reads as BFD */
  pkt[1] = 0xc0;
  pkt[2] = 3;
  pkt[3] = 24;
  printf("ready\n");
  fflush(stdout);

  start = now_ns();
  end = start + (uint64_t)(secs * 1e9);
  for (;;) {
    uint64_t due;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    t = now_ns();
    if (t >= end) {
      break;
    }
    due = (uint64_t)((double)(t - start) * pps / 1e9);
    if (due > sent + errors && due - sent - errors > max_lag) {
      max_lag = due - sent - errors;
    }
    while (sent + errors < due) {
      if (sendto(fd, pkt, size, 0, (struct sockaddr *)&peer, sizeof(peer)) <
          0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          break; /* retried at the next tick; the lag shows it */
        }
        errors++;
        continue;
      }
      sent++;
    }
    poll(&p, 1, 1);
    if (p.revents & POLLIN) {
      while (recvfrom(fd, rx, sizeof(rx), 0, NULL, NULL) > 0) {
        received++;
      }
    }
  }
  printf("sent=%llu received=%llu send_errors=%llu elapsed_s=%.3f "
         "max_lag_ms=%.1f\n",
         (unsigned long long)sent, (unsigned long long)received,
         (unsigned long long)errors, (double)(t - start) / 1e9,
         (double)max_lag * 1000.0 / pps);
  close(fd);
  return 0;
}
