/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-fwdet: the SVR firewall detector from the command line.
 *
 *   svr-fwdet probe --peer ADDR [options]   send bursts, print the verdict
 *   svr-fwdet respond [options]             answer a prober's bursts
 *
 * Composes libsvrfwdet (sans-I/O) with the Linux glue in glue/fwdet_raw.c.
 * Output as `show udp-transform`: Router Name, Node Name, Peer, Status,
 * Reason(s); --json for scripts.  Exit codes are in usage() and
 * docs/libsvrfwdet.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svrfwdet/svrfwdet.h>

#include "fwdet_glue.h"
#include "svr_cli.h"
#include "svr_table.h"

/* the suite's exit status table (docs/cli.md) */
#define EX_DISABLED SVR_EXIT_OK        /* verdict "transform disabled" */
#define EX_ENABLED SVR_EXIT_NEGATIVE   /* verdict "transform enabled" */
#define EX_USAGE SVR_EXIT_USAGE
#define EX_INCONCLUSIVE SVR_EXIT_INCONCLUSIVE /* too few answered bursts */
#define EX_PRIV SVR_EXIT_PERMISSION    /* missing CAP_NET_RAW / CAP_NET_ADMIN */
#define EX_SYS SVR_EXIT_SYSTEM         /* any other system failure */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static const char *prog = "svr-fwdet";

static void usage(FILE *f) {
  svrfwdet_settings d;
  svrfwdet_settings_default(&d);
  fprintf(f,
"Usage: %s probe --peer ADDR [OPTIONS]\n"
"       %s respond [OPTIONS]\n"
"       %s --help | --version\n"
"\n"
"SVR firewall detector.  'probe' sends bursts of four crafted TCP probes to\n"
"the peer's 1280/TCP and 1283/TCP and a request on 1280/UDP; the peer runs\n"
"'respond', captures the probes that arrive and reports them back.  Probe kinds\n"
"the path keeps losing become the reasons to carry all traffic to that peer\n"
"as UDP (\"UDP transform\"), printed like `show udp-transform`.\n"
"\n"
"Probes (docs/libsvrfwdet.md):\n"
"  TCP SYN        SYN + 100 bytes of data to 1283/TCP (DF)\n"
"  Mid-flow       ACK|PSH + 100 bytes, no handshake, to 1280/TCP (DF)\n"
"  TCP SYN Jumbo  SYN + 6516 bytes to 1280/TCP, sent as IP fragments of the\n"
"                 path MTU (fragmented by svr-fwdet itself: raw sockets never\n"
"                 fragment)\n"
"  Out-of-order   ACK|PSH + 100 bytes on the SYN's ports, sequence 1 MiB past\n"
"                 the SYN's data\n"
"\n"
"Decision: a kind becomes a reason after --lost-bursts (3) answered bursts in\n"
"a row lost it, and stops being one after --passed-bursts (2) answered bursts\n"
"in a row delivered it.  A burst without a report (discovery timeout)\n"
"changes nothing.\n"
"\n"
"probe options:\n"
"  --peer ADDR            peer address (IPv4 or IPv6), required\n"
"  --bursts N             bursts to send before printing (default 3 = the\n"
"                         lost-bursts rule; 0 = until interrupted)\n"
"  --interval S           seconds between bursts, 1-86400 (default 1: a\n"
"                         one-shot probe answers in about 3 s; svr-router's\n"
"                         detector uses the product's 300); the first burst\n"
"                         goes at once\n"
"  --interval-ms MS       the same in milliseconds, 10-86400000\n"
"  --report-timeout-ms MS wait for a report this long, at least the\n"
"                         responder's collect time (%u ms by default) and at\n"
"                         most the interval (default 5000, capped to it)\n"
"  --port N               local UDP port for requests and reports (default\n"
"                         1280; 0 = any free port, to probe from a host where\n"
"                         svr-router owns 1280/UDP)\n"
"  --bind ADDR            local address to probe from (default: the route's\n"
"                         source address toward the peer)\n"
"  --lost-bursts N        consecutive losses that set a reason (default 3)\n"
"  --passed-bursts N      consecutive arrivals that clear it (default 2)\n"
"  --mode MODE            auto-detect (default), always-transform or disabled\n"
"                         (the last two send no probes)\n"
"  --mtu N                fragment the jumbo SYN for this MTU (default: the\n"
"                         kernel's path MTU toward the peer)\n"
"  --watch                print one line per burst (with --json: one JSON\n"
"                         object per line) and the table at the end; on by\n"
"                         default when standard output is a terminal\n"
"\n"
"respond options:\n"
"  --duration S           exit after S seconds (default: until SIGINT/SIGTERM)\n"
"  --collect-ms MS        wait this long for a burst's probes before\n"
"                         reporting (default 500)\n"
"  --no-nft               do not install the nftables drop rule (you must keep\n"
"                         the kernel from answering probes yourself)\n"
"\n"
"common options:\n"
"  --router-name NAME     our router name (default: the host name)\n"
"  --node-name NAME       our node name (default: the host name)\n"
"  --json                 machine-readable output on stdout\n"
"  -h, --help             this text\n"
"  -V, --version          program and library version\n"
"\n"
"Privileges: CAP_NET_RAW (raw IP socket to send, AF_PACKET socket to capture)\n"
"and, for 'respond', CAP_NET_ADMIN (it installs nftables table\n"
"inet svr_fwdet_<pid> dropping TCP to local ports 1280/1283 in the input hook,\n"
"so the kernel answers no probe with RST or SYN-ACK; removed on exit).\n"
"The responder binds UDP port 1280; the prober too unless --port says.\n"
"\n"
"Exit status (the suite's table, docs/cli.md):\n"
"  0  probe: transform disabled: enough bursts (--lost-bursts) were answered\n"
"     and none kept losing a kind; respond: clean exit\n"
"  1  probe: transform enabled (the Reason(s) column says why)\n"
"  2  usage error\n"
"  3  probe: inconclusive: fewer answered bursts than --lost-bursts (peer not\n"
"     running 'respond', 1280/UDP blocked, or interrupted), so no\n"
"     'no interference' can be concluded\n"
"  4  missing privilege (CAP_NET_RAW / CAP_NET_ADMIN)\n"
"  5  other system error (socket, route, nft)\n"
"\n"
"Examples:\n"
"  svr-fwdet respond                       # on the peer\n"
"  svr-fwdet probe --peer 10.99.0.2        # verdict in about 3 s\n"
"  svr-fwdet probe --peer 10.99.0.2 --port 0 --json   # beside svr-router\n",
          prog, prog, prog, (unsigned)(d.collect_ns / SVRFWDET_MILLISECONDS));
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
                      unsigned long *out, const char *opt) {
  char *end;
  unsigned long v;
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || *s == '-' || v < min || v > max) {
    fprintf(stderr, "%s: %s: '%s' is not a number in %lu..%lu\n", prog, opt,
            s, min, max);
    return -1;
  }
  *out = v;
  return 0;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      fprintf(f, "\\%c", c);
    } else if (c < 0x20) {
      fprintf(f, "\\u%04x", c);
    } else {
      fputc(c, f);
    }
  }
  fputc('"', f);
}

typedef struct app {
  int json;
  int inconclusive; /* probe ended without enough answered bursts */
  int watch;
  unsigned long bursts;
  unsigned long bursts_done;
  const char *router;
  const char *node;
  char peer_str[64];
  svrfwdet_path *path;
} app;

static void json_kinds(FILE *f, unsigned mask) {
  int k, first = 1;
  fputc('[', f);
  for (k = 0; k < SVRFWDET_NKINDS; k++) {
    if (mask & (1u << k)) {
      fprintf(f, "%s", first ? "" : ",");
      json_str(f, svrfwdet_kind_name((svrfwdet_kind)k));
      first = 0;
    }
  }
  if (mask & SVRFWDET_REASON_CONFIGURED) {
    fprintf(f, "%s\"Configured\"", first ? "" : ",");
  }
  fputc(']', f);
}

static void on_burst(svrfwdet_ctx *ctx, svrfwdet_path *p, uint32_t burst,
                     int arrived, svrfwdet_tstamp ts, void *u) {
  app *a = u;
  svrfwdet_path_info i;
  char r[128];
  (void)ctx, (void)ts;
  a->bursts_done++;
  if (!a->watch) {
    return;
  }
  svrfwdet_path_get_info(p, &i);
  svrfwdet_reasons_format(r, sizeof(r), i.reasons);
  if (a->json) {
    char tb[SVR_CLI_TIME_LEN];
    printf("{\"event\":\"burst\",\"time\":\"%s\",\"burst\":%u,\"answered\":%s,"
           "\"arrived\":",
           svr_cli_time_iso(tb, sizeof(tb), svr_cli_unix_ns()), burst,
           arrived >= 0 ? "true" : "false");
    json_kinds(stdout, arrived >= 0 ? (unsigned)arrived : 0u);
    printf(",\"lost\":");
    json_kinds(stdout, arrived >= 0 ? (~(unsigned)arrived) & 0xfu : 0u);
    printf(",\"status\":\"%s\",\"reasons\":", i.transform ? "enabled"
                                                          : "disabled");
    json_kinds(stdout, i.reasons);
    printf(",\"passed_streak\":[%u,%u,%u,%u],\"lost_streak\":[%u,%u,%u,%u]}\n",
           i.passed_streak[0], i.passed_streak[1], i.passed_streak[2],
           i.passed_streak[3], i.lost_streak[0], i.lost_streak[1],
           i.lost_streak[2], i.lost_streak[3]);
  } else if (arrived < 0) {
    printf("burst %u: no report (discovery timeout); status %s%s%s\n", burst,
           i.transform ? "enabled" : "disabled", r[0] ? ", reasons: " : "", r);
  } else {
    char got[128], lost[128];
    svrfwdet_reasons_format(got, sizeof(got), (unsigned)arrived);
    svrfwdet_reasons_format(lost, sizeof(lost), (~(unsigned)arrived) & 0xfu);
    printf("burst %u: arrived [%s] lost [%s]; status %s%s%s\n", burst, got,
           lost, i.transform ? "enabled" : "disabled",
           r[0] ? ", reasons: " : "", r);
  }
  fflush(stdout);
}

static void print_table(const app *a, const svrfwdet_ctx *ctx,
                        const svrfwdet_path *p, const fwdet_glue *g) {
  svrfwdet_path_info i;
  svrfwdet_stats st;
  char r[128];
  const char *peer;
  svrfwdet_path_get_info(p, &i);
  svrfwdet_ctx_get_stats(ctx, &st);
  svrfwdet_reasons_format(r, sizeof(r), i.reasons);
  peer = i.peer_router_name[0] ? i.peer_router_name : a->peer_str;
  if (a->json) {
    char tb[SVR_CLI_TIME_LEN];
    printf("{\"event\":\"result\",\"time\":\"%s\",\"verdict\":\"%s\",\"router\":",
           svr_cli_time_iso(tb, sizeof(tb), svr_cli_unix_ns()),
           a->inconclusive ? "inconclusive"
           : i.transform   ? "transform"
                           : "no_interference");
    json_str(stdout, a->router);
    printf(",\"node\":");
    json_str(stdout, a->node);
    printf(",\"peer\":");
    json_str(stdout, peer);
    printf(",\"peer_address\":");
    json_str(stdout, a->peer_str);
    printf(",\"peer_node\":");
    json_str(stdout, i.peer_node_name);
    printf(",\"mode\":\"%s\",\"status\":\"%s\",\"reasons\":",
           svrfwdet_mode_name(i.mode), i.transform ? "enabled" : "disabled");
    json_kinds(stdout, i.reasons);
    printf(",\"bursts_sent\":%u,\"bursts_answered\":%u,"
           "\"bursts_timed_out\":%u,\"last_arrived\":",
           i.bursts_sent, i.bursts_answered, i.bursts_timed_out);
    json_kinds(stdout, i.last_arrived);
    printf(",\"stats\":{\"request-sent\":%llu,\"request-received\":%llu,"
           "\"reply-sent\":%llu,\"reply-received\":%llu,"
           "\"discovery-timeout\":%llu,\"tcp-reset-received\":%llu,"
           "\"unknown-received\":%llu},\"tx_errors\":%llu}\n",
           (unsigned long long)st.request_sent,
           (unsigned long long)st.request_received,
           (unsigned long long)st.reply_sent,
           (unsigned long long)st.reply_received,
           (unsigned long long)st.discovery_timeout,
           (unsigned long long)st.tcp_reset_received,
           (unsigned long long)st.unknown_received,
           (unsigned long long)g->tx_errors);
    return;
  }
  {
    /* the suite's table style (svr_table.h), as svr-router's
     * show udp-transform */
    static const char *const head[5] = {"Router Name", "Node Name", "Peer",
                                        "Status", "Reason(s)"};
    const char *row[5];
    char *tab;
    row[0] = a->router;
    row[1] = a->node;
    row[2] = peer;
    row[3] = i.transform ? "enabled" : "disabled";
    row[4] = r;
    tab = svr_table_grid(head, 5, row, 1, 0);
    if (tab != NULL) {
      fputs(tab, stdout);
      free(tab);
    }
  }
  printf("\nmode %s, bursts sent %u, answered %u, timed out %u\n",
         svrfwdet_mode_name(i.mode), i.bursts_sent, i.bursts_answered,
         i.bursts_timed_out);
  printf("verdict: %s\n", a->inconclusive
                              ? "inconclusive (too few answered bursts to "
                                "conclude there is no interference)"
                          : i.transform ? "stateful interference: transform enabled"
                                        : "no stateful interference");
  printf("request-sent %llu  reply-received %llu  discovery-timeout %llu  "
         "tcp-reset-received %llu  unknown-received %llu\n",
         (unsigned long long)st.request_sent,
         (unsigned long long)st.reply_received,
         (unsigned long long)st.discovery_timeout,
         (unsigned long long)st.tcp_reset_received,
         (unsigned long long)st.unknown_received);
  if (g->tx_errors) {
    printf("send errors %llu (last: %s)\n", (unsigned long long)g->tx_errors,
           strerror(g->last_tx_errno));
  }
}

static int glue_exit(int rv) {
  return rv == -FWDET_GLUE_EPRIV ? EX_PRIV : EX_SYS;
}

enum {
  O_PEER = 256,
  O_BURSTS,
  O_INTERVAL,
  O_INTERVAL_MS,
  O_TIMEOUT_MS,
  O_LOST,
  O_PASSED,
  O_MODE,
  O_MTU,
  O_WATCH,
  O_DURATION,
  O_COLLECT_MS,
  O_NO_NFT,
  O_ROUTER,
  O_NODE,
  O_JSON,
  O_PORT,
  O_BIND
};

static const struct option long_opts[] = {
    {"peer", required_argument, NULL, O_PEER},
    {"bursts", required_argument, NULL, O_BURSTS},
    {"interval", required_argument, NULL, O_INTERVAL},
    {"interval-ms", required_argument, NULL, O_INTERVAL_MS},
    {"report-timeout-ms", required_argument, NULL, O_TIMEOUT_MS},
    {"lost-bursts", required_argument, NULL, O_LOST},
    {"passed-bursts", required_argument, NULL, O_PASSED},
    {"mode", required_argument, NULL, O_MODE},
    {"mtu", required_argument, NULL, O_MTU},
    {"watch", no_argument, NULL, O_WATCH},
    {"duration", required_argument, NULL, O_DURATION},
    {"collect-ms", required_argument, NULL, O_COLLECT_MS},
    {"no-nft", no_argument, NULL, O_NO_NFT},
    {"router-name", required_argument, NULL, O_ROUTER},
    {"node-name", required_argument, NULL, O_NODE},
    {"json", no_argument, NULL, O_JSON},
    {"port", required_argument, NULL, O_PORT},
    {"bind", required_argument, NULL, O_BIND},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

static const char *opt_name(int c) {
  const struct option *o;
  for (o = long_opts; o->name; o++) {
    if (o->val == c) {
      return o->name;
    }
  }
  return "?";
}

int main(int argc, char **argv) {
  const char *cmd;
  const char *peer = NULL;
  char host[64];
  app a;
  svrfwdet_path_config pc;
  svrfwdet_settings st;
  svrfwdet_callbacks cb;
  svrfwdet_ctx *ctx = NULL;
  fwdet_glue g;
  unsigned long v, duration_s = 0, mtu = 0;
  int probe, no_nft = 0, c, rv, ex;
  struct sigaction sa;

  memset(&a, 0, sizeof(a));
  memset(&g, 0, sizeof(g));
  g.raw_fd = g.tap_fd = g.udp_fd = g.udp6_fd = -1;
  svrfwdet_path_config_default(&pc);
  svrfwdet_settings_default(&st);
  a.bursts = SVRFWDET_DEFAULT_LOST_BURSTS;
  /* a one-shot probe: bursts 1 s apart, not the daemon's 300 s */
  pc.detect_interval_s = 1;
  pc.detect_interval_ns = 0;
  if (gethostname(host, sizeof(host)) != 0) {
    snprintf(host, sizeof(host), "localhost");
  }
  host[sizeof(host) - 1] = '\0';
  a.router = a.node = host;

  if (argc < 2) {
    usage(stderr);
    return EX_USAGE;
  }
  cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
    printf("svr-fwdet (libsvrfwdet %s)\n", svrfwdet_version(0)->version_str);
    return 0;
  }
  if (strcmp(cmd, "probe") && strcmp(cmd, "respond")) {
    svr_cli_usage_error(prog, "unknown command '%s' (want 'probe' or "
                              "'respond')", cmd);
  }
  probe = !strcmp(cmd, "probe");
  optind = 2;
  opterr = 0; /* our own message, without the path we were started by */
  while ((c = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1) {
    int probe_only = 0, respond_only = 0;
    switch (c) {
    case O_PEER:
      peer = optarg;
      probe_only = 1;
      break;
    case O_BURSTS:
      if (parse_uint(optarg, 0, 1000000, &a.bursts, "--bursts")) {
        return EX_USAGE;
      }
      probe_only = 1;
      break;
    case O_INTERVAL:
      if (parse_uint(optarg, 1, 86400, &v, "--interval")) {
        return EX_USAGE;
      }
      pc.detect_interval_s = (uint32_t)v;
      pc.detect_interval_ns = 0;
      probe_only = 1;
      break;
    case O_INTERVAL_MS:
      if (parse_uint(optarg, 10, 86400000, &v, "--interval-ms")) {
        return EX_USAGE;
      }
      pc.detect_interval_ns = (uint64_t)v * SVRFWDET_MILLISECONDS;
      probe_only = 1;
      break;
    case O_TIMEOUT_MS:
      if (parse_uint(optarg, 1, 86400000, &v, "--report-timeout-ms")) {
        return EX_USAGE;
      }
      if ((uint64_t)v * SVRFWDET_MILLISECONDS < st.collect_ns) {
        /* the responder reports only after collecting for that long: every
         * burst would time out and nothing could ever be concluded */
        fprintf(stderr, "%s: --report-timeout-ms %lu is shorter than the "
                        "responder's collect time (%llu ms): no report could "
                        "arrive in time\n", prog, v,
                (unsigned long long)(st.collect_ns / SVRFWDET_MILLISECONDS));
        return EX_USAGE;
      }
      pc.report_timeout_ns = (uint64_t)v * SVRFWDET_MILLISECONDS;
      probe_only = 1;
      break;
    case O_LOST:
      if (parse_uint(optarg, 1, 1000, &v, "--lost-bursts")) {
        return EX_USAGE;
      }
      pc.lost_bursts = (uint32_t)v;
      probe_only = 1;
      break;
    case O_PASSED:
      if (parse_uint(optarg, 1, 1000, &v, "--passed-bursts")) {
        return EX_USAGE;
      }
      pc.passed_bursts = (uint32_t)v;
      probe_only = 1;
      break;
    case O_MODE:
      if (!strcmp(optarg, "auto-detect")) {
        pc.mode = SVRFWDET_MODE_AUTO;
      } else if (!strcmp(optarg, "always-transform")) {
        pc.mode = SVRFWDET_MODE_ALWAYS_TRANSFORM;
      } else if (!strcmp(optarg, "disabled")) {
        pc.mode = SVRFWDET_MODE_DISABLED;
      } else {
        fprintf(stderr, "%s: --mode: '%s' is not auto-detect, "
                        "always-transform or disabled\n", prog, optarg);
        return EX_USAGE;
      }
      probe_only = 1;
      break;
    case O_MTU:
      if (parse_uint(optarg, 576, SVRFWDET_MAX_MTU, &mtu, "--mtu")) {
        return EX_USAGE;
      }
      probe_only = 1;
      break;
    case O_WATCH:
      a.watch = 1;
      probe_only = 1;
      break;
    case O_PORT:
      if (parse_uint(optarg, 0, 65535, &v, "--port")) {
        return EX_USAGE;
      }
      g.udp_port_set = 1;
      g.udp_port = (uint16_t)v;
      probe_only = 1;
      break;
    case O_BIND:
      if (fwdet_glue_parse_addr(&g.udp_bind, optarg) != 0) {
        fprintf(stderr, "%s: --bind: '%s' is not a numeric IPv4 or IPv6 "
                        "address\n", prog, optarg);
        return EX_USAGE;
      }
      g.udp_bind_set = 1;
      probe_only = 1;
      break;
    case O_DURATION:
      if (parse_uint(optarg, 1, 31536000, &duration_s, "--duration")) {
        return EX_USAGE;
      }
      respond_only = 1;
      break;
    case O_COLLECT_MS:
      if (parse_uint(optarg, 1, 60000, &v, "--collect-ms")) {
        return EX_USAGE;
      }
      st.collect_ns = (uint64_t)v * SVRFWDET_MILLISECONDS;
      respond_only = 1;
      break;
    case O_NO_NFT:
      no_nft = 1;
      respond_only = 1;
      break;
    case O_ROUTER:
      a.router = optarg;
      break;
    case O_NODE:
      a.node = optarg;
      break;
    case O_JSON:
      a.json = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      printf("svr-fwdet (libsvrfwdet %s)\n", svrfwdet_version(0)->version_str);
      return 0;
    default:
      svr_cli_bad_option(prog, argv, optind);
    }
    if ((probe_only && !probe) || (respond_only && probe)) {
      fprintf(stderr, "%s: option '--%s' does not apply to '%s'\n", prog,
              opt_name(c), cmd);
      return EX_USAGE;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
    return EX_USAGE;
  }
  if (probe && !peer) {
    fprintf(stderr, "%s: probe needs --peer ADDR\n", prog);
    return EX_USAGE;
  }
  if (probe && !a.json && isatty(STDOUT_FILENO)) {
    a.watch = 1; /* progress per burst on a terminal */
  }
  if (strlen(a.router) >= SVRFWDET_NAME_MAX ||
      strlen(a.node) >= SVRFWDET_NAME_MAX) {
    fprintf(stderr, "%s: names are limited to %d bytes\n", prog,
            SVRFWDET_NAME_MAX - 1);
    return EX_USAGE;
  }

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  memset(&cb, 0, sizeof(cb));
  cb.rand = fwdet_glue_rand;
  cb.burst_done = on_burst;
  st.router_name = a.router;
  st.node_name = a.node;
  rv = svrfwdet_ctx_new(&ctx, &cb, &st, NULL, &a);
  if (rv != 0) {
    fprintf(stderr, "%s: %s\n", prog, svrfwdet_strerror(rv));
    return EX_SYS;
  }

  if (probe) {
    uint32_t route_mtu = 1500;
    svrfwdet_addr remote;
    if (fwdet_glue_parse_addr(&remote, peer) != 0) {
      fprintf(stderr, "%s: --peer: '%s' is not a numeric IPv4 or IPv6 "
                      "address\n", prog, peer);
      svrfwdet_ctx_del(ctx);
      return EX_USAGE;
    }
    fwdet_glue_format_addr(a.peer_str, sizeof(a.peer_str), &remote);
    rv = fwdet_glue_route(&g, &remote, &pc.local, &route_mtu);
    if (rv != 0) {
      fprintf(stderr, "%s: %s\n", prog, g.err);
      svrfwdet_ctx_del(ctx);
      return glue_exit(rv);
    }
    if (g.udp_bind_set) {
      if (g.udp_bind.family != remote.family) {
        fprintf(stderr, "%s: --bind and --peer are of different address "
                        "families\n", prog);
        svrfwdet_ctx_del(ctx);
        return EX_USAGE;
      }
      pc.local = g.udp_bind;
    }
    pc.remote = remote;
    pc.mtu = mtu ? (uint32_t)mtu : route_mtu;
    rv = fwdet_glue_open(&g, ctx, remote.family,
                         pc.mode == SVRFWDET_MODE_AUTO);
    if (rv != 0) {
      fprintf(stderr, "%s: %s\n", prog, g.err);
      svrfwdet_ctx_del(ctx);
      return glue_exit(rv);
    }
    rv = svrfwdet_path_new(ctx, &a.path, &pc, NULL, fwdet_glue_now());
    if (rv != 0) {
      fprintf(stderr, "%s: cannot add the peer path: %s\n", prog,
              svrfwdet_strerror(rv));
      fwdet_glue_close(&g);
      svrfwdet_ctx_del(ctx);
      return rv == SVRFWDET_ERR_MTU ? EX_USAGE : EX_SYS;
    }
    while (!stop_flag && pc.mode == SVRFWDET_MODE_AUTO &&
           (a.bursts == 0 || a.bursts_done < a.bursts)) {
      rv = fwdet_glue_run_once(&g, UINT64_MAX);
      if (rv != 0) {
        fprintf(stderr, "%s: %s\n", prog, g.err);
        fwdet_glue_close(&g);
        svrfwdet_ctx_del(ctx);
        return EX_SYS;
      }
    }
    {
      svrfwdet_path_info i;
      unsigned need = pc.lost_bursts ? pc.lost_bursts
                                     : SVRFWDET_DEFAULT_LOST_BURSTS;
      svrfwdet_path_get_info(a.path, &i);
      /* "No interference" needs as many answered bursts as it takes to
       * find interference; an interrupted run short of its bursts has not
       * decided either.  A reason found is a decision whatever happens. */
      a.inconclusive = pc.mode == SVRFWDET_MODE_AUTO && !i.transform &&
                       (i.bursts_answered < need ||
                        (stop_flag && a.bursts != 0 && a.bursts_done < a.bursts));
      print_table(&a, ctx, a.path, &g);
      if (a.inconclusive) {
        if (i.bursts_answered == 0) {
          fprintf(stderr, "%s: no burst was answered by %s (is 'svr-fwdet "
                          "respond' running there, and 1280/UDP open?)\n",
                  prog, a.peer_str);
        } else {
          fprintf(stderr, "%s: inconclusive: %u of %lu bursts answered, %u "
                          "needed to conclude there is no interference%s\n",
                  prog, i.bursts_answered, a.bursts_done, need,
                  stop_flag ? " (interrupted)" : "");
        }
        ex = EX_INCONCLUSIVE;
      } else {
        ex = i.transform ? EX_ENABLED : EX_DISABLED;
      }
    }
  } else {
    uint64_t until = UINT64_MAX;
    svrfwdet_stats s;
    rv = fwdet_glue_open(&g, ctx, 0, 0);
    if (rv != 0) {
      fprintf(stderr, "%s: %s\n", prog, g.err);
      svrfwdet_ctx_del(ctx);
      return glue_exit(rv);
    }
    if (!no_nft) {
      rv = fwdet_glue_nft_install(&g);
      if (g.nft_swept) {
        fprintf(stderr, "%s: removed %u nftables table(s) svr_fwdet_<pid> "
                        "left by detectors that no longer run\n",
                prog, g.nft_swept);
      }
      if (rv != 0) {
        fprintf(stderr, "%s: %s (or use --no-nft if you silence the kernel "
                        "yourself)\n", prog, g.err);
        fwdet_glue_close(&g);
        svrfwdet_ctx_del(ctx);
        return glue_exit(rv);
      }
    }
    if (duration_s) {
      until = fwdet_glue_now() + duration_s * SVRFWDET_SECONDS;
    }
    if (!a.json) {
      printf("responding on 1280/UDP (IPv4%s), capturing TCP 1280/1283%s\n",
             g.udp6_fd >= 0 ? " and IPv6" : "",
             no_nft ? "" : "; kernel replies suppressed by nftables");
      fflush(stdout);
    }
    ex = EX_DISABLED;
    while (!stop_flag && fwdet_glue_now() < until) {
      rv = fwdet_glue_run_once(&g, until);
      if (rv != 0) {
        fprintf(stderr, "%s: %s\n", prog, g.err);
        ex = EX_SYS;
        break;
      }
    }
    svrfwdet_ctx_get_stats(ctx, &s);
    if (a.json) {
      char tb[SVR_CLI_TIME_LEN];
      printf("{\"event\":\"stats\",\"time\":\"%s\",\"router\":",
             svr_cli_time_iso(tb, sizeof(tb), svr_cli_unix_ns()));
      json_str(stdout, a.router);
      printf(",\"node\":");
      json_str(stdout, a.node);
      printf(",\"stats\":{\"request-received\":%llu,\"reply-sent\":%llu,"
             "\"unknown-received\":%llu,\"probes-received\":%llu}}\n",
             (unsigned long long)s.request_received,
             (unsigned long long)s.reply_sent,
             (unsigned long long)s.unknown_received,
             (unsigned long long)s.probes_received);
    } else {
      printf("request-received %llu  reply-sent %llu  probes-received %llu  "
             "unknown-received %llu\n",
             (unsigned long long)s.request_received,
             (unsigned long long)s.reply_sent,
             (unsigned long long)s.probes_received,
             (unsigned long long)s.unknown_received);
    }
  }
  fflush(stdout);
  fwdet_glue_close(&g);
  svrfwdet_ctx_del(ctx);
  return ex;
}
