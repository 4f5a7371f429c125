/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bfd_poll.c: libsvrbfd with nothing but poll(2) -- the core needs no
 * particular event loop.
 *
 *   bfd_poll LOCAL_ADDR PEER_ADDR      (IPv4; SVR mode on port 1280/UDP)
 *
 * The loop: poll() the socket with a timeout equal to the time left until
 * svrbfd_ctx_get_expiry(); feed what arrives to svrbfd_ctx_read_pkt();
 * run svrbfd_ctx_handle_expiry(); send everything svrbfd_ctx_write_pkt()
 * returns.  CLOCK_MONOTONIC is the clock.  Stop with Ctrl-C.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <svrbfd/svrbfd.h>

static volatile sig_atomic_t stop_now;

static void on_sigint(int signum) {
  (void)signum;
  stop_now = 1;
}

static svrbfd_tstamp now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (svrbfd_tstamp)ts.tv_sec * 1000000000u + (svrbfd_tstamp)ts.tv_nsec;
}

static void fill_random(uint8_t *dest, size_t len, void *user_data) {
  (void)user_data;
  while (len > 0) {
    ssize_t n = getrandom(dest, len, 0);
    if (n > 0) {
      dest += n;
      len -= (size_t)n;
    }
  }
}

static int on_state(svrbfd_ctx *c, svrbfd_session *s, svrbfd_state from,
                    svrbfd_state to, svrbfd_diag diag, svrbfd_tstamp ts,
                    void *user_data) {
  (void)c, (void)s, (void)user_data;
  printf("%.3f s: %s -> %s (%s)\n", (double)ts / 1e9, svrbfd_state_name(from),
         svrbfd_state_name(to), svrbfd_diag_name(diag));
  fflush(stdout);
  return 0;
}

static void send_due(svrbfd_ctx *ctx, int fd) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path;
  svrbfd_ssize n;
  while ((n = svrbfd_ctx_write_pkt(ctx, &path, buf, sizeof(buf), now_ns())) >
         0) {
    struct sockaddr_in to;
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons(path.remote.port ? path.remote.port : SVRBFD_PORT_SVR);
    memcpy(&to.sin_addr, path.remote.addr, 4);
    (void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
  }
}

int main(int argc, char **argv) {
  svrbfd_callbacks cb = {0};
  svrbfd_session_config cfg;
  svrbfd_session *sess;
  svrbfd_ctx *ctx;
  struct sockaddr_in me;
  int fd, rc, ttl = 255;

  if (argc != 3) {
    fprintf(stderr, "usage: %s LOCAL_IPV4 PEER_IPV4\n", argv[0]);
    return 2;
  }
  svrbfd_session_config_default(&cfg);
  cfg.local.family = cfg.remote.family = 4;
  if (inet_pton(AF_INET, argv[1], cfg.local.addr) != 1 ||
      inet_pton(AF_INET, argv[2], cfg.remote.addr) != 1) {
    fprintf(stderr, "addresses must be IPv4\n");
    return 2;
  }
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  memset(&me, 0, sizeof(me));
  me.sin_family = AF_INET;
  me.sin_port = htons(SVRBFD_PORT_SVR);
  memcpy(&me.sin_addr, cfg.local.addr, 4);
  if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
    perror("bind");
    return 1;
  }
  setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));

  cb.rand = fill_random;
  cb.session_state = on_state;
  if ((rc = svrbfd_ctx_new(&ctx, &cb, NULL, NULL, NULL)) != 0 ||
      (rc = svrbfd_session_new(ctx, &sess, &cfg, NULL, now_ns())) != 0) {
    fprintf(stderr, "libsvrbfd: %s\n", svrbfd_strerror(rc));
    return 1;
  }
  signal(SIGINT, on_sigint);

  while (!stop_now) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    svrbfd_tstamp exp, now;
    int timeout_ms = -1;

    send_due(ctx, fd);
    exp = svrbfd_ctx_get_expiry(ctx);
    now = now_ns();
    if (exp != SVRBFD_TSTAMP_MAX) { /* round up: never wake too early */
      timeout_ms = exp <= now ? 0 : (int)((exp - now + 999999) / 1000000);
    }
    if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) {
      perror("poll");
      break;
    }
    if (pfd.revents & POLLIN) {
      uint8_t buf[2048];
      struct sockaddr_in from;
      socklen_t fl = sizeof(from);
      ssize_t n;
      while ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
                           &fl)) > 0) {
        svrbfd_path path;
        memset(&path, 0, sizeof(path));
        path.local = cfg.local;
        path.local.port = SVRBFD_PORT_SVR;
        path.remote.family = 4;
        path.remote.port = ntohs(from.sin_port);
        memcpy(path.remote.addr, &from.sin_addr, 4);
        path.ttl = -1; /* not asked for; SVR mode does not check it */
        svrbfd_ctx_read_pkt(ctx, &path, buf, (size_t)n, now_ns());
        fl = sizeof(from);
      }
    }
    svrbfd_ctx_handle_expiry(ctx, now_ns());
  }
  svrbfd_ctx_del(ctx);
  close(fd);
  return 0;
}
