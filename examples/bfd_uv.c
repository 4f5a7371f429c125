/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bfd_uv.c: the smallest useful host for libsvrbfd in a libuv loop.
 *
 *   bfd_uv LOCAL_ADDR PEER_ADDR        (IPv4; SVR mode on port 1280/UDP)
 *
 * One uv_udp socket, one uv_timer, uv_hrtime() as the clock.  The library
 * does the protocol; this file only moves bytes and time:
 *   datagram in  -> svrbfd_ctx_read_pkt()
 *   timer fires  -> svrbfd_ctx_handle_expiry()
 *   after either -> svrbfd_ctx_write_pkt() until 0, then re-arm the timer
 *                   for svrbfd_ctx_get_expiry().
 * Stop with Ctrl-C.  (cli/glue/bfd_uv.c is the production version: batched
 * I/O, TTL and DSCP, RFC 5881 sockets.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <svrbfd/svrbfd.h>
#include <uv.h>

static svrbfd_ctx *ctx;
static uv_udp_t sock;
static uv_timer_t timer;

static void fill_random(uint8_t *dest, size_t len, void *user_data) {
  (void)user_data;
  while (len > 0) { /* getrandom: a CSPRNG, as the header asks */
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

static void on_timer(uv_timer_t *t);

/* Sends whatever is due, then arms the one timer for the next deadline. */
static void flush_and_rearm(void) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path;
  svrbfd_ssize n;
  svrbfd_tstamp now = uv_hrtime(), exp;

  while ((n = svrbfd_ctx_write_pkt(ctx, &path, buf, sizeof(buf), now)) > 0) {
    struct sockaddr_in to;
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons(path.remote.port ? path.remote.port : SVRBFD_PORT_SVR);
    memcpy(&to.sin_addr, path.remote.addr, 4);
    uv_udp_try_send(&sock, &b, 1, (const struct sockaddr *)&to);
  }
  exp = svrbfd_ctx_get_expiry(ctx);
  if (exp == SVRBFD_TSTAMP_MAX) {
    uv_timer_stop(&timer);
  } else {
    uv_update_time(uv_default_loop());
    now = uv_hrtime();
    uv_timer_start(&timer, on_timer,
                   exp <= now ? 0 : (exp - now + 999999) / 1000000, 0);
  }
}

static void on_timer(uv_timer_t *t) {
  (void)t;
  svrbfd_ctx_handle_expiry(ctx, uv_hrtime());
  flush_and_rearm();
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  static char rxbuf[2048];
  (void)h, (void)hint;
  *b = uv_buf_init(rxbuf, sizeof(rxbuf));
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *b,
                    const struct sockaddr *from, unsigned flags) {
  const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
  svrbfd_path path;
  (void)flags;
  if (nread <= 0 || !from || from->sa_family != AF_INET) {
    return;
  }
  memset(&path, 0, sizeof(path));
  path.local = *(const svrbfd_addr *)h->data; /* the address we bound */
  path.remote.family = 4;
  path.remote.port = ntohs(sin->sin_port);
  memcpy(path.remote.addr, &sin->sin_addr, 4);
  path.ttl = -1; /* uv_udp does not report the TTL; SVR mode needs none */
  svrbfd_ctx_read_pkt(ctx, &path, (const uint8_t *)b->base, (size_t)nread,
                      uv_hrtime());
  flush_and_rearm();
}

static void on_sigint(uv_signal_t *h, int signum) {
  (void)signum;
  uv_close((uv_handle_t *)h, NULL);
  uv_close((uv_handle_t *)&sock, NULL);
  uv_close((uv_handle_t *)&timer, NULL);
}

int main(int argc, char **argv) {
  svrbfd_callbacks cb = {0};
  svrbfd_session_config cfg;
  svrbfd_session *sess;
  struct sockaddr_in bindto;
  uv_signal_t sig;
  int rc;

  if (argc != 3) {
    fprintf(stderr, "usage: %s LOCAL_IPV4 PEER_IPV4\n", argv[0]);
    return 2;
  }
  svrbfd_session_config_default(&cfg); /* 1 s TX, 500 ms RX, mult 3, SVR */
  cfg.local.family = cfg.remote.family = 4;
  if (inet_pton(AF_INET, argv[1], cfg.local.addr) != 1 ||
      inet_pton(AF_INET, argv[2], cfg.remote.addr) != 1) {
    fprintf(stderr, "addresses must be IPv4\n");
    return 2;
  }
  cb.rand = fill_random;
  cb.session_state = on_state;
  if ((rc = svrbfd_ctx_new(&ctx, &cb, NULL, NULL, NULL)) != 0 ||
      (rc = svrbfd_session_new(ctx, &sess, &cfg, NULL, uv_hrtime())) != 0) {
    fprintf(stderr, "libsvrbfd: %s\n", svrbfd_strerror(rc));
    return 1;
  }
  uv_ip4_addr(argv[1], SVRBFD_PORT_SVR, &bindto);
  uv_udp_init(uv_default_loop(), &sock);
  sock.data = &cfg.local;
  if ((rc = uv_udp_bind(&sock, (const struct sockaddr *)&bindto, 0)) != 0) {
    fprintf(stderr, "bind %s:%d: %s\n", argv[1], SVRBFD_PORT_SVR,
            uv_strerror(rc));
    return 1;
  }
  uv_udp_set_ttl(&sock, 255); /* every BFD packet leaves with TTL 255 */
  uv_udp_recv_start(&sock, on_alloc, on_recv);
  uv_timer_init(uv_default_loop(), &timer);
  uv_signal_init(uv_default_loop(), &sig);
  uv_signal_start(&sig, on_sigint, SIGINT);

  flush_and_rearm(); /* the first packet is due now */
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
  svrbfd_ctx_del(ctx);
  return 0;
}
