/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UDP impairment relay for svr-router tests (this kernel has no netem).
 *
 * Two faces, each a UDP socket bound to an address and port.  A datagram
 * that arrives on face A is sent DELAY_MS later from face B to B's peer, and
 * the other way round.  Each router is configured with the relay's face on
 * its side as the peer address, so both see the addresses they expect while
 * the path gets a known one-way delay.  Test code, not part of the suite.
 *
 *   router_udp_relay A_FACE A_PEER B_FACE B_PEER DELAY_MS
 *   (IPv4 addresses as IP:PORT).  Prints "ready" once both faces are bound;
 *   runs until killed.
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

#define QMAX 4096

typedef struct item {
  uint64_t due;
  int out; /* face index to send from */
  size_t len;
  unsigned char data[2048];
} item;

static item q[QMAX]; /* FIFO: the delay is constant, so due times ascend */
static size_t qhead, qn;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse(struct sockaddr_in *sa, const char *text) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (colon == NULL || (size_t)(colon - text) >= sizeof(host)) {
    return -1;
  }
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)atoi(colon + 1));
  return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv) {
  struct sockaddr_in face[2], peer[2];
  struct pollfd pfd[2];
  uint64_t delay;
  int i;
  if (argc != 6 || parse(&face[0], argv[1]) || parse(&peer[0], argv[2]) ||
      parse(&face[1], argv[3]) || parse(&peer[1], argv[4])) {
    fprintf(stderr, "usage: %s A_FACE A_PEER B_FACE B_PEER DELAY_MS\n", argv[0]);
    return 2;
  }
  delay = (uint64_t)atol(argv[5]) * 1000000u;
  for (i = 0; i < 2; i++) {
    pfd[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
    pfd[i].events = POLLIN;
    if (pfd[i].fd < 0 ||
        bind(pfd[i].fd, (struct sockaddr *)&face[i], sizeof(face[i])) != 0) {
      perror("bind");
      return 1;
    }
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    uint64_t t = now_ns();
    int timeout_ms = -1;
    while (qn > 0 && q[qhead].due <= t) {
      item *it = &q[qhead];
      sendto(pfd[it->out].fd, it->data, it->len, 0,
             (struct sockaddr *)&peer[it->out], sizeof(peer[it->out]));
      qhead = (qhead + 1) % QMAX;
      qn--;
    }
    if (qn > 0) {
      struct timespec ts;
      uint64_t wait = q[qhead].due - t;
      ts.tv_sec = (time_t)(wait / 1000000000u);
      ts.tv_nsec = (long)(wait % 1000000000u);
      if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR) {
        return 1;
      }
    } else if (poll(pfd, 2, timeout_ms) < 0 && errno != EINTR) {
      return 1;
    }
    for (i = 0; i < 2; i++) {
      if (pfd[i].revents & POLLIN) {
        item *it;
        ssize_t n;
        if (qn == QMAX) { /* full: drop, as a real queue would */
          char sink[2048];
          (void)recv(pfd[i].fd, sink, sizeof(sink), 0);
          continue;
        }
        it = &q[(qhead + qn) % QMAX];
        n = recv(pfd[i].fd, it->data, sizeof(it->data), 0);
        if (n <= 0) {
          continue;
        }
        it->len = (size_t)n;
        it->out = 1 - i;
        it->due = now_ns() + delay;
        qn++;
      }
    }
  }
}
