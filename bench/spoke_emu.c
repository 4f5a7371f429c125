/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spoke_emu: N spoke routers in one process, for bench/router_scale.sh.
 *
 *   spoke_emu --hub ADDR --first ADDR --count N [--demand] [--spoke-echo]
 *             [--tx MS] [--rx MS] [--mult N] [--no-fwdet] [--port N]
 *             [--router-name NAME] [--node-name NAME]
 *
 * What it emulates, per spoke i (address FIRST + i, all of them local to
 * the namespace through one AnyIP route, served by one wildcard UDP socket
 * on the SVR port with IP_PKTINFO, bfd_uv BFD_UV_BIND_ANY):
 *
 *   - BFD, SVR mode (libsvrbfd), one session to the hub: desired-tx --tx
 *     (1000 ms), required-min-rx --rx (500 ms), multiplier --mult (3),
 *     metadata with one router name and node name for every spoke,
 *     required-min-echo 1000 ms (the product default: the hub may run its
 *     echo bursts toward the spoke).  With --demand the spoke asks the hub
 *     for Demand mode once Up (RFC 5880 6.6, what a 'topology spoke'
 *     adjacency of svr-router does): the hub then stops periodic packets
 *     toward it, the spoke keeps sending its own.
 *   - Echo: the hub's echo requests are reflected (libsvrbfd does it for
 *     every session's peer).  With --spoke-echo each spoke also runs its own
 *     link test toward the hub, 10 requests every 10 s (the product default;
 *     in Demand mode a spoke relies on it: a whole burst lost takes the
 *     session Down with Diag 2).  Without it the spoke only reflects.
 *   - Path MTU: every PMTU probe is answered with an ack
 *     (svrpmtu_ack_build(), from the address the probe came to).  The spokes
 *     run no PMTU search of their own.
 *   - Firewall detector: one libsvrfwdet context as responder (its requests
 *     arrive on the SVR port, its TCP probes are captured by the fwdet glue's
 *     AF_PACKET tap, an nftables table keeps the kernel from answering them;
 *     reports go back from the probed address).  The spokes send no bursts of
 *     their own.  --no-fwdet (or no CAP_NET_RAW/CAP_NET_ADMIN) leaves the
 *     hub's requests unanswered (its detector then times out, no verdict).
 *   - Not emulated: conductor links, the data plane, NAT.
 *
 * Output: "spoke_emu ready n=N" once every session exists, then on SIGUSR1
 * (and at exit) one line of key=value counters:
 *   time (monotonic s) sessions up down_events bfd_rx bfd_tx echo_reflected
 *   pmtu_acks fwdet_requests fwdet_reports ctrl_other tx_errors
 * down_events counts transitions out of Up (a false Down when nothing was
 * cut).  SIGTERM/SIGINT exit (AdminDown on every session first).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svrbfd/svrbfd.h>
#include <svrbfd/svrbfd_pq.h>
#include <svrfwdet/svrfwdet.h>
#include <svrpmtu/svrpmtu.h>
#include <uv.h>

#include "bfd_uv.h"
#include "fwdet_glue.h"

typedef struct emu {
  uv_loop_t *loop;
  svrbfd_ctx *ctx;
  bfd_uv *glue;
  svrfwdet_ctx *fw;
  fwdet_glue fwg;
  uv_poll_t fw_poll;
  uv_timer_t fw_timer;
  int fw_open;
  uv_signal_t sig_usr1, sig_term, sig_int;
  uint32_t n;
  uint16_t port;
  uint64_t down_events, pmtu_acks, fwdet_requests, ctrl_other;
  int stopping;
} emu;

static void usage(FILE *f) {
  fprintf(f, "usage: spoke_emu --hub ADDR --first ADDR --count N [--demand] "
             "[--spoke-echo] [--tx MS] [--rx MS] [--mult N] [--no-fwdet] "
             "[--port N] [--router-name NAME] [--node-name NAME]\n");
}

static int cb_state(svrbfd_ctx *c, svrbfd_session *s, svrbfd_state from,
                    svrbfd_state to, svrbfd_diag d, svrbfd_tstamp ts,
                    void *ud) {
  emu *e = ud;
  (void)c, (void)s, (void)d, (void)ts;
  if (from == SVRBFD_STATE_UP && to != SVRBFD_STATE_UP && !e->stopping) {
    e->down_events++;
  }
  return 0;
}

static void fw_kick(emu *e);
static void on_fw_timer(uv_timer_t *t) { fw_kick(t->data); }

/* Sends the detector's reports (responder only: no OUT_IP) and re-arms. */
static void fw_kick(emu *e) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_tstamp now = bfd_uv_now(), exp;
  if (e->fw == NULL || e->stopping) {
    return;
  }
  (void)svrfwdet_ctx_handle_expiry(e->fw, now);
  for (;;) {
    svrfwdet_out out;
    svrbfd_addr src, dst;
    svrfwdet_ssize n = svrfwdet_ctx_write_pkt(e->fw, &out, buf, sizeof(buf),
                                              now);
    if (n <= 0) {
      break;
    }
    if (out.type != SVRFWDET_OUT_UDP) {
      continue; /* never: no paths of our own */
    }
    memset(&src, 0, sizeof(src));
    memset(&dst, 0, sizeof(dst));
    src.family = out.src.family;
    memcpy(src.addr, out.src.addr, sizeof(src.addr));
    src.port = e->port;
    dst.family = out.dst.family;
    memcpy(dst.addr, out.dst.addr, sizeof(dst.addr));
    dst.port = out.dst.port;
    (void)bfd_uv_send_ctrl(e->glue, &src, &dst, buf, (size_t)n);
  }
  exp = svrfwdet_ctx_get_expiry(e->fw);
  if (exp == SVRFWDET_TSTAMP_MAX) {
    uv_timer_stop(&e->fw_timer);
  } else {
    uint64_t ms = exp > now ? (exp - now + 999999u) / 1000000u : 0;
    uv_timer_start(&e->fw_timer, on_fw_timer, ms ? ms : 1, 0);
  }
}

static void on_tap(uv_poll_t *h, int status, int events) {
  emu *e = h->data;
  (void)events;
  if (status < 0 || e->fw == NULL) {
    return;
  }
  fwdet_glue_read_tap(&e->fwg);
  fw_kick(e);
}

/* SVR control datagrams libsvrbfd does not handle: PMTU and detector. */
static void on_ctrl(void *ud, const svrbfd_path *path, const uint8_t *pkt,
                    size_t len, svrbfd_tstamp now) {
  emu *e = ud;
  svrpmtu_msg msg;
  if (e->stopping) {
    return;
  }
  if (svrpmtu_msg_decode(&msg, pkt, len, 0) == 0) {
    if (msg.kind == SVRPMTU_MSG_PROBE) {
      uint8_t ack[SVRPMTU_ACK_LEN];
      svrpmtu_ssize n = svrpmtu_ack_build(ack, sizeof(ack), pkt, len);
      if (n > 0 && bfd_uv_send_ctrl(e->glue, &path->local, &path->remote, ack,
                                    (size_t)n) == 0) {
        e->pmtu_acks++;
      }
    } else {
      e->ctrl_other++;
    }
    return;
  }
  if (e->fw != NULL) {
    svrfwdet_addr from, to;
    int rc;
    memset(&from, 0, sizeof(from));
    memset(&to, 0, sizeof(to));
    from.family = path->remote.family;
    from.port = path->remote.port;
    memcpy(from.addr, path->remote.addr, sizeof(from.addr));
    to.family = path->local.family;
    to.port = path->local.port;
    memcpy(to.addr, path->local.addr, sizeof(to.addr));
    rc = svrfwdet_ctx_read_ctrl(e->fw, &from, &to, pkt, len, now);
    if (rc == 0) {
      e->fwdet_requests++;
      fw_kick(e);
      return;
    }
  }
  e->ctrl_other++;
}

static void report(emu *e) {
  svrbfd_ctx_stats st;
  bfd_uv_stats gs;
  svrbfd_pq_ctx_stats es;
  svrfwdet_stats fs;
  memset(&fs, 0, sizeof(fs));
  svrbfd_ctx_get_stats(e->ctx, &st);
  bfd_uv_get_stats(e->glue, &gs);
  memset(&es, 0, sizeof(es));
  svrbfd_ctx_get_echo_stats(e->ctx, &es);
  if (e->fw) {
    svrfwdet_ctx_get_stats(e->fw, &fs);
  }
  printf("spoke_emu time=%.6f sessions=%" PRIu64 " up=%" PRIu64
         " down_events=%" PRIu64 " bfd_rx=%" PRIu64 " bfd_tx=%" PRIu64
         " echo_reflected=%" PRIu64 " pmtu_acks=%" PRIu64
         " fwdet_requests=%" PRIu64 " fwdet_reports=%" PRIu64
         " ctrl_other=%" PRIu64 " tx_errors=%" PRIu64 "\n",
         (double)bfd_uv_now() / 1e9, st.sessions, st.sessions_up,
         e->down_events, st.rx_packets, st.tx_packets, es.tx_replies,
         e->pmtu_acks, e->fwdet_requests, fs.reply_sent, e->ctrl_other,
         gs.tx_errors);
  fflush(stdout);
}

static void on_signal(uv_signal_t *h, int signum) {
  emu *e = h->data;
  svrbfd_session *s = NULL;
  if (signum == SIGUSR1) {
    report(e);
    return;
  }
  report(e);
  e->stopping = 1;
  while ((s = svrbfd_ctx_next_session(e->ctx, s)) != NULL) {
    svrbfd_session_set_admin_down(s, 1, bfd_uv_now());
  }
  bfd_uv_kick(e->glue);
  bfd_uv_close(e->glue);
  if (e->fw_open) {
    uv_poll_stop(&e->fw_poll);
    uv_close((uv_handle_t *)&e->fw_poll, NULL);
  }
  uv_close((uv_handle_t *)&e->fw_timer, NULL);
  uv_close((uv_handle_t *)&e->sig_usr1, NULL);
  uv_close((uv_handle_t *)&e->sig_term, NULL);
  uv_close((uv_handle_t *)&e->sig_int, NULL);
}

static int fw_setup(emu *e, const char *router, const char *node) {
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  memset(&cb, 0, sizeof(cb));
  cb.rand = bfd_uv_rand;
  svrfwdet_settings_default(&st);
  st.router_name = router;
  st.node_name = node;
  st.respond = 1;
  if (svrfwdet_ctx_new(&e->fw, &cb, &st, NULL, e) != 0) {
    e->fw = NULL;
    return -1;
  }
  e->fwg.raw_fd = e->fwg.tap_fd = e->fwg.udp_fd = e->fwg.udp6_fd = -1;
  if (fwdet_glue_open_probe(&e->fwg, e->fw, 4, 1) != 0 ||
      fwdet_glue_nft_install(&e->fwg) != 0) {
    fprintf(stderr, "spoke_emu: detector responder unavailable: %s\n",
            e->fwg.err);
    fwdet_glue_close(&e->fwg);
    svrfwdet_ctx_del(e->fw);
    e->fw = NULL;
    return -1;
  }
  uv_poll_init(e->loop, &e->fw_poll, e->fwg.tap_fd);
  e->fw_poll.data = e;
  uv_poll_start(&e->fw_poll, UV_READABLE, on_tap);
  e->fw_open = 1;
  return 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"hub", required_argument, NULL, 'H'},
      {"first", required_argument, NULL, 'f'},
      {"count", required_argument, NULL, 'n'},
      {"demand", no_argument, NULL, 'd'},
      {"spoke-echo", no_argument, NULL, 'e'},
      {"tx", required_argument, NULL, 't'},
      {"rx", required_argument, NULL, 'r'},
      {"mult", required_argument, NULL, 'm'},
      {"no-fwdet", no_argument, NULL, 'F'},
      {"port", required_argument, NULL, 'p'},
      {"router-name", required_argument, NULL, 'R'},
      {"node-name", required_argument, NULL, 'N'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  emu e;
  svrbfd_addr hub, first, local;
  svrbfd_callbacks cb;
  svrbfd_settings st;
  const char *router = "spoke", *node = "node1";
  int have_hub = 0, have_first = 0, demand = 0, echo = 0, fwdet = 1, c;
  uint32_t tx = 1000, rx = 500, mult = 3, i, base;
  long v;

  memset(&e, 0, sizeof(e));
  e.port = SVRBFD_PORT_SVR;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'H':
      have_hub = bfd_addr_parse(&hub, optarg) == 0 && hub.family == 4;
      break;
    case 'f':
      have_first = bfd_addr_parse(&first, optarg) == 0 && first.family == 4;
      break;
    case 'n':
      v = strtol(optarg, NULL, 10);
      e.n = v > 0 && v <= 1000000 ? (uint32_t)v : 0;
      break;
    case 'd': demand = 1; break;
    case 'e': echo = 1; break;
    case 't': tx = (uint32_t)strtoul(optarg, NULL, 10); break;
    case 'r': rx = (uint32_t)strtoul(optarg, NULL, 10); break;
    case 'm': mult = (uint32_t)strtoul(optarg, NULL, 10); break;
    case 'F': fwdet = 0; break;
    case 'p': e.port = (uint16_t)strtoul(optarg, NULL, 10); break;
    case 'R': router = optarg; break;
    case 'N': node = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (!have_hub || !have_first || e.n == 0 || tx < 1 || rx < 1 ||
      mult < 1 || mult > 255 || optind != argc) {
    fprintf(stderr, "spoke_emu: --hub and --first (IPv4) and --count "
                    "1..1000000 are required\n");
    usage(stderr);
    return 2;
  }
  hub.port = e.port;
  e.loop = uv_default_loop();
  memset(&cb, 0, sizeof(cb));
  cb.rand = bfd_uv_rand;
  cb.session_state = cb_state;
  svrbfd_settings_default(&st);
  st.router_name = router;
  st.node_name = node;
  st.sessions_hint = e.n;
  if (svrbfd_ctx_new(&e.ctx, &cb, &st, NULL, &e) != 0 ||
      bfd_uv_new(&e.glue, e.loop, e.ctx, BFD_UV_BIND_ANY) != 0) {
    fprintf(stderr, "spoke_emu: cannot create the context\n");
    return 1;
  }
  (void)bfd_uv_set_ctrl_handler(e.glue, on_ctrl, &e, 0);
  uv_timer_init(e.loop, &e.fw_timer);
  e.fw_timer.data = &e;
  if (fwdet) {
    (void)fw_setup(&e, router, node);
  }
  base = (uint32_t)first.addr[0] << 24 | (uint32_t)first.addr[1] << 16 |
         (uint32_t)first.addr[2] << 8 | first.addr[3];
  for (i = 0; i < e.n; i++) {
    svrbfd_session_config sc;
    svrbfd_session *s;
    uint32_t a = base + i;
    int rc;
    local = first;
    local.addr[0] = (uint8_t)(a >> 24);
    local.addr[1] = (uint8_t)(a >> 16);
    local.addr[2] = (uint8_t)(a >> 8);
    local.addr[3] = (uint8_t)a;
    local.port = e.port;
    if (i == 0 && (rc = bfd_uv_add_local(e.glue, &local, SVRBFD_MODE_SVR)) !=
                      0) {
      fprintf(stderr, "spoke_emu: bind port %u: %s\n", e.port,
              bfd_uv_last_error(e.glue));
      return 1;
    }
    svrbfd_session_config_default(&sc);
    sc.mode = SVRBFD_MODE_SVR;
    sc.local = local;
    sc.remote = hub;
    sc.desired_min_tx_us = tx * 1000u;
    sc.required_min_rx_us = rx * 1000u;
    sc.required_min_echo_rx_us = 1000000u;
    sc.detect_mult = (uint8_t)mult;
    sc.hold_down_ns = 0;
    sc.demand = (uint8_t)demand;
    rc = svrbfd_session_new(e.ctx, &s, &sc, NULL, bfd_uv_now());
    if (rc != 0) {
      fprintf(stderr, "spoke_emu: session %u: %s\n", i, svrbfd_strerror(rc));
      return 1;
    }
    if (echo) {
      svrbfd_pq_settings ps;
      svrbfd_pq_settings_default(&ps);
      ps.link_test_interval_ns = 10 * SVRBFD_SECONDS;
      ps.link_test_length = 10;
      (void)svrbfd_session_set_link_test(s, &ps, bfd_uv_now());
    }
  }
  uv_signal_init(e.loop, &e.sig_usr1);
  uv_signal_init(e.loop, &e.sig_term);
  uv_signal_init(e.loop, &e.sig_int);
  e.sig_usr1.data = e.sig_term.data = e.sig_int.data = &e;
  uv_signal_start(&e.sig_usr1, on_signal, SIGUSR1);
  uv_signal_start(&e.sig_term, on_signal, SIGTERM);
  uv_signal_start(&e.sig_int, on_signal, SIGINT);
  printf("spoke_emu ready n=%u demand=%d spoke_echo=%d fwdet=%s\n", e.n,
         demand, echo, e.fw ? "on" : "off");
  fflush(stdout);
  bfd_uv_kick(e.glue);
  uv_run(e.loop, UV_RUN_DEFAULT);
  if (e.fw) {
    fwdet_glue_close(&e.fwg);
    svrfwdet_ctx_del(e.fw);
  }
  bfd_uv_del(e.glue);
  svrbfd_ctx_del(e.ctx);
  uv_loop_close(e.loop);
  return 0;
}
