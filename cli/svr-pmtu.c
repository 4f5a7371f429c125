/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-pmtu: path MTU discovery over the SVR peer-path port with libsvrpmtu.
 *
 *   svr-pmtu probe --peer ADDR [options]   find the path MTU to a responder
 *   svr-pmtu respond [options]             answer probes
 *
 * Exit status: the suite's table (docs/cli.md, cli/common/svr_cli.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <svrpmtu/svrpmtu.h>

#include "glue/pmtu_glue.h"
#include "svr_cli.h"

#define EXIT_FOUND SVR_EXIT_OK
#define EXIT_UNRESOLVABLE SVR_EXIT_NEGATIVE
#define EXIT_USAGE SVR_EXIT_USAGE
#define EXIT_STOPPED SVR_EXIT_INCONCLUSIVE
#define EXIT_SYSTEM SVR_EXIT_SYSTEM
#define EXIT_UNREACHABLE SVR_EXIT_UNREACHABLE

static const char usage_text[] =
    "Usage:\n"
    "  svr-pmtu probe --peer ADDR [--port N] [--bind ADDR] [--base N] [--max N]\n"
    "                 [--timeout MS] [--interval S] [--confirm S] [--runs N]\n"
    "                 [--json] [--quiet]\n"
    "  svr-pmtu respond [--bind ADDR] [--port N] [--count N] [--duration S]\n"
    "                   [--json] [--quiet]\n"
    "  svr-pmtu --help | --version\n"
    "\n"
    "Path MTU discovery between SVR peers (libsvrpmtu, RFC 8899 style).  The\n"
    "prober sends SVR control datagrams of kind PMTU probe, padded to exactly\n"
    "the size under test and sent with DF set (IP_PMTUDISC_PROBE, IPV6_DONTFRAG,\n"
    "so the kernel's cached PMTU is not used); the responder answers each with\n"
    "a 42-byte ack naming the probe and the bytes it received.  Each size gets\n"
    "one probe while searching (a loss steers the search lower); the size just\n"
    "above the largest acked one must go unanswered 3 times in a row to be too\n"
    "big.  A validated ICMP 'fragmentation needed' / 'packet too big' (it must\n"
    "quote one of our probes, nonce included, and give an MTU below the probe)\n"
    "marks a size too big at once.  The search ends on the exact byte value.\n"
    "\n"
    "Every MTU is an IP packet size in bytes: IP header + UDP header + payload\n"
    "(IPv4: payload + 28, IPv6: payload + 48), as in 'ip link set mtu'.\n"
    "\n"
    "probe options:\n"
    "  --peer ADDR      responder's IPv4 or IPv6 address (required)\n"
    "  --port N         UDP port of the responder (default 1280)\n"
    "  --bind ADDR      local address to send from (default: chosen by route)\n"
    "  --base N         smallest size searched; if even N gets no ack the path\n"
    "                   is unresolvable (default 576 IPv4, 1200 IPv6)\n"
    "  --max N          largest size probed, up to 9216 (default 9216); lowered\n"
    "                   to the MTU of the local outgoing interface\n"
    "  --timeout MS     each probe waits MS for its ack before it counts as\n"
    "                   lost, 1..60000 ms (default 1000); the next probe of the\n"
    "                   same size goes MS/3 after the previous one\n"
    "  --interval S     re-run the search S seconds after each result,\n"
    "                   1..86400 (default 600; only matters with --runs)\n"
    "  --confirm S      between runs, check for a black hole every S seconds\n"
    "                   with one probe at the current PMTU (default off)\n"
    "  --runs N         stop after N results (default 1; 0 = run until killed)\n"
    "\n"
    "respond options:\n"
    "  --bind ADDR      address to listen on (default 0.0.0.0; use :: for IPv6)\n"
    "  --port N         UDP port (default 1280)\n"
    "  --count N        exit after answering N probes (default: never)\n"
    "  --duration S     exit after S seconds (default: never)\n"
    "\n"
    "common options:\n"
    "  --json           one JSON object per line instead of text\n"
    "  --quiet          print only the result (probe) or nothing (respond)\n"
    "  -h, --help       this text\n"
    "  -V, --version    program and library version\n"
    "\n"
    "Output (probe): one line per probe outcome, then\n"
    "  result peer 10.98.2.2 pmtu 1400 state complete probes 12 elapsed 3.214s\n"
    "where elapsed is the search's own time (from its first probe).\n"
    "With --json, one object per line, each with \"event\" and \"time\"\n"
    "(ISO-8601 UTC): start, search, acked, lost, too_big, ptb, black_hole,\n"
    "unreachable {\"reason\":\"port_unreachable\"|\"host_unreachable\"|\n"
    "\"net_unreachable\"|\"prohibited\"}, and result {\"pmtu\":N|null,\n"
    "\"state\":\"complete\"|\"unresolvable\"|\"unreachable\",\"probes\":N,\n"
    "\"elapsed_ms\":N,\"unresolvable\":bool,\"previous_pmtu\":N|null,\"run\":N}.\n"
    "Unknown values are null.\n"
    "\n"
    "Exit status (the suite's table, docs/cli.md):\n"
    "  0  path MTU found (probe) or normal end (respond)\n"
    "  1  path MTU unresolvable: even the base size got no answer\n"
    "  2  usage error\n"
    "  3  inconclusive: stopped (SIGINT/SIGTERM) before a result\n"
    "  4  permission denied (socket, bind)\n"
    "  5  other system error (socket, bind, interface lookup)\n"
    "  6  peer unreachable: ICMP port, host or network unreachable (the\n"
    "     probe stops at the first one), or no route\n"
    "\n"
    "Examples:\n"
    "  svr-pmtu respond --bind 10.98.2.2\n"
    "  svr-pmtu probe --peer 10.98.2.2 --max 9216 --json\n";

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

typedef struct app {
  int json, quiet;
  char peer_str[INET6_ADDRSTRLEN];
  uint64_t t0;
  uint64_t search_t0; /* when the current search started */
  unsigned results;
  int last_state;
  uint16_t last_pmtu;
  uint32_t last_probes;
  int unreach; /* errno of an ICMP destination unreachable, 0 if none */
} app;

/* ICMP errors that say nobody answers there: the probe stops at once. */
static int is_unreach(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EACCES;
}

static void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  svr_cli_vusage_error("svr-pmtu", fmt, ap);
}

static long parse_num(const char *opt, const char *s, long lo, long hi) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi) {
    die_usage("%s: '%s' is not a number in %ld..%ld", opt, s, lo, hi);
  }
  return v;
}

static void rand_cb(uint8_t *d, size_t n, void *u) {
  (void)u;
  while (n > 0) {
    ssize_t r = getrandom(d, n, 0);
    if (r <= 0) {
      continue;
    }
    d += r;
    n -= (size_t)r;
  }
}

static double secs(const app *a, uint64_t ts) {
  return (double)(ts - a->t0) / 1e9;
}

/* The "time" of a JSON line: now, ISO-8601 UTC (docs/cli.md). */
static const char *jtime(void) {
  static char b[SVR_CLI_TIME_LEN];
  return svr_cli_time_iso(b, sizeof(b), svr_cli_unix_ns());
}

static int event_cb(svrpmtu_ctx *ctx, svrpmtu_path *path,
                    const svrpmtu_event *ev, void *u) {
  app *a = u;
  (void)ctx;
  if (ev->type == SVRPMTU_EV_SEARCH_START) {
    a->search_t0 = ev->ts;
  }
  if (ev->type == SVRPMTU_EV_COMPLETE || ev->type == SVRPMTU_EV_UNRESOLVABLE) {
    svrpmtu_path_info i;
    svrpmtu_path_get_info(path, &i);
    a->results++;
    a->last_state = (int)i.state;
    a->last_pmtu = i.pmtu;
    a->last_probes = ev->count;
    /* elapsed: this search's time (from its first probe), not the
     * program's */
    double el = (double)(ev->ts - a->search_t0) / 1e9;
    if (a->json) {
      char pm[16], prev[16];
      if (ev->type == SVRPMTU_EV_COMPLETE) {
        snprintf(pm, sizeof(pm), "%u", i.pmtu);
      } else {
        snprintf(pm, sizeof(pm), "null");
      }
      if (ev->old_pmtu != 0) {
        snprintf(prev, sizeof(prev), "%u", ev->old_pmtu);
      } else {
        snprintf(prev, sizeof(prev), "null");
      }
      printf("{\"event\":\"result\",\"time\":\"%s\",\"peer\":\"%s\",\"pmtu\":%s,"
             "\"state\":\"%s\",\"probes\":%u,\"elapsed_ms\":%.0f,"
             "\"unresolvable\":%s,\"previous_pmtu\":%s,\"run\":%u}\n",
             jtime(), a->peer_str, pm,
             ev->type == SVRPMTU_EV_COMPLETE ? "complete" : "unresolvable",
             ev->count, el * 1000,
             ev->type == SVRPMTU_EV_UNRESOLVABLE ? "true" : "false", prev, a->results);
    } else if (ev->type == SVRPMTU_EV_COMPLETE) {
      printf("result peer %s pmtu %u state complete probes %u elapsed %.3fs\n",
             a->peer_str, i.pmtu, ev->count, el);
    } else {
      printf("result peer %s pmtu unknown state unresolvable probes %u elapsed %.3fs\n",
             a->peer_str, ev->count, el);
      fprintf(stderr,
              "svr-pmtu: Peer %s path MTU is unresolvable: no ack even for "
              "%u-byte probes (is 'svr-pmtu respond' running there, and is "
              "UDP port %u open?)\n",
              a->peer_str, ev->size, i.remote.port);
    }
    fflush(stdout);
    return 0;
  }
  if (a->quiet) {
    return 0;
  }
  switch (ev->type) {
  case SVRPMTU_EV_PROBE_ACKED:
    if (a->json) {
      printf("{\"event\":\"acked\",\"time\":\"%s\",\"size\":%u,\"t\":%.3f}\n", jtime(), ev->size, secs(a, ev->ts));
    } else {
      printf("%8.3fs  probe %5u  acked\n", secs(a, ev->ts), ev->size);
    }
    break;
  case SVRPMTU_EV_PROBE_LOST:
    if (a->json) {
      printf("{\"event\":\"lost\",\"time\":\"%s\",\"size\":%u,\"losses\":%u,\"t\":%.3f}\n", jtime(), ev->size,
             ev->count, secs(a, ev->ts));
    } else {
      printf("%8.3fs  probe %5u  no answer (%u/%u)\n", secs(a, ev->ts), ev->size,
             ev->count, SVRPMTU_MAX_PROBES);
    }
    break;
  case SVRPMTU_EV_SIZE_TOO_BIG:
    if (a->json) {
      printf("{\"event\":\"too_big\",\"time\":\"%s\",\"size\":%u,\"t\":%.3f}\n", jtime(), ev->size, secs(a, ev->ts));
    } else {
      printf("%8.3fs  size  %5u  too big\n", secs(a, ev->ts), ev->size);
    }
    break;
  case SVRPMTU_EV_PTB:
    if (a->json) {
      printf("{\"event\":\"ptb\",\"time\":\"%s\",\"size\":%u,\"mtu\":%u,\"t\":%.3f}\n", jtime(), ev->size,
             ev->pmtu, secs(a, ev->ts));
    } else {
      printf("%8.3fs  probe %5u  ICMP too big, next-hop MTU %u (validated)\n",
             secs(a, ev->ts), ev->size, ev->pmtu);
    }
    break;
  case SVRPMTU_EV_BLACK_HOLE:
    if (a->json) {
      printf("{\"event\":\"black_hole\",\"time\":\"%s\",\"size\":%u,\"t\":%.3f}\n", jtime(), ev->size,
             secs(a, ev->ts));
    } else {
      printf("%8.3fs  black hole: %u-byte probes no longer get through\n",
             secs(a, ev->ts), ev->size);
    }
    break;
  case SVRPMTU_EV_SEARCH_START:
    if (a->json) {
      printf("{\"event\":\"search\",\"time\":\"%s\",\"t\":%.3f}\n", jtime(), secs(a, ev->ts));
    } else {
      printf("%8.3fs  search starts\n", secs(a, ev->ts));
    }
    break;
  default:
    break;
  }
  fflush(stdout);
  return 0;
}

static int cmd_probe(int argc, char **argv) {
  static const struct option opts[] = {
      {"peer", required_argument, 0, 'p'},    {"port", required_argument, 0, 'P'},
      {"bind", required_argument, 0, 'b'},    {"base", required_argument, 0, 'B'},
      {"max", required_argument, 0, 'm'},     {"timeout", required_argument, 0, 't'},
      {"interval", required_argument, 0, 'i'}, {"confirm", required_argument, 0, 'c'},
      {"runs", required_argument, 0, 'r'},    {"json", no_argument, 0, 'j'},
      {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *peer = NULL, *bind_s = NULL;
  long port = SVRPMTU_PORT, base = -1, max = SVRPMTU_MAX_MTU, timeout_ms = 1000;
  long interval = 600, confirm = 0, runs = 1;
  pmtu_sockaddr peer_sa, bind_sa;
  svrpmtu_callbacks cb = {rand_cb, event_cb};
  svrpmtu_settings st;
  svrpmtu_path_config cfg;
  svrpmtu_ctx *ctx;
  svrpmtu_path *path;
  char err[256], ifname[64] = "";
  static uint8_t buf[65536];
  app a;
  int c, fd, rv, ifmtu, family;
  int reported_errno = 0;

  memset(&a, 0, sizeof(a));
  optind = 1;
  opterr = 0; /* our own message, without the path we were started by */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'p': peer = optarg; break;
    case 'P': port = parse_num("--port", optarg, 1, 65535); break;
    case 'b': bind_s = optarg; break;
    case 'B': base = parse_num("--base", optarg, SVRPMTU_MIN_MTU, SVRPMTU_MAX_MTU); break;
    case 'm': max = parse_num("--max", optarg, SVRPMTU_MIN_MTU, SVRPMTU_MAX_MTU); break;
    case 't': timeout_ms = parse_num("--timeout", optarg, 1, 60000); break;
    case 'i': interval = parse_num("--interval", optarg, 1, 86400); break;
    case 'c': confirm = parse_num("--confirm", optarg, 1, 86400); break;
    case 'r': runs = parse_num("--runs", optarg, 0, INT_MAX); break;
    case 'j': a.json = 1; break;
    case 'q': a.quiet = 1; break;
    case 'h': fputs(usage_text, stdout); return 0;
    default: die_usage("probe: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) {
    die_usage("probe: unexpected argument '%s'", argv[optind]);
  }
  if (!peer) {
    die_usage("probe: --peer ADDR is required");
  }
  if (pmtu_parse_addr(&peer_sa, peer, (uint16_t)port) != 0) {
    die_usage("probe: --peer '%s' is not an IPv4 or IPv6 address", peer);
  }
  family = peer_sa.ss.ss_family;
  if (bind_s && pmtu_parse_addr(&bind_sa, bind_s, 0) != 0) {
    die_usage("probe: --bind '%s' is not an IPv4 or IPv6 address", bind_s);
  }
  if (base < 0) {
    base = family == AF_INET ? SVRPMTU_BASE_MTU_V4 : SVRPMTU_BASE_MTU_V6;
  }
  if (base > max) {
    die_usage("probe: --base %ld is above --max %ld", base, max);
  }
  pmtu_addr_str(&peer_sa, a.peer_str, sizeof(a.peer_str));

  fd = pmtu_socket(family, bind_s ? &bind_sa : NULL, 0, 1, err, sizeof(err));
  if (fd < 0) {
    int e = errno;
    fprintf(stderr, "svr-pmtu: %s\n", err);
    return e == EPERM || e == EACCES ? SVR_EXIT_PERMISSION : EXIT_SYSTEM;
  }
  if (connect(fd, (struct sockaddr *)&peer_sa.ss, peer_sa.len) != 0) {
    int e = errno;
    fprintf(stderr, "svr-pmtu: no route to %s: %s\n", a.peer_str, strerror(e));
    close(fd);
    return svr_cli_exit_for_errno(e);
  }
  ifmtu = pmtu_local_iface_mtu(fd, ifname, sizeof(ifname));
  if (ifmtu < 0) {
    fprintf(stderr, "svr-pmtu: cannot find the MTU of the interface toward %s; "
                    "probing up to --max %ld\n", a.peer_str, max);
  } else if (ifmtu < max) {
    if (ifmtu < base) {
      fprintf(stderr, "svr-pmtu: interface %s MTU %d is below --base %ld\n",
              ifname, ifmtu, base);
      close(fd);
      return EXIT_USAGE;
    }
    max = ifmtu;
  }

  svrpmtu_settings_default(&st);
  st.respond = 0;
  if ((rv = svrpmtu_ctx_new(&ctx, &cb, &st, NULL, &a)) != 0) {
    fprintf(stderr, "svr-pmtu: %s\n", svrpmtu_strerror(rv));
    close(fd);
    return EXIT_SYSTEM;
  }
  svrpmtu_path_config_default(&cfg, family == AF_INET ? 4 : 6);
  pmtu_to_svr(&cfg.remote, &peer_sa);
  cfg.base_mtu = (uint16_t)base;
  cfg.max_mtu = (uint16_t)max;
  cfg.probe_timeout_ns = (uint64_t)timeout_ms * SVRPMTU_MILLISECONDS;
  cfg.probe_spacing_ns = cfg.probe_timeout_ns / 3;
  cfg.interval_ns = (uint64_t)interval * SVRPMTU_SECONDS;
  cfg.confirm_interval_ns = (uint64_t)confirm * SVRPMTU_SECONDS;
  if (!a.quiet) {
    if (a.json) {
      char ifn[80], ifm[16];
      if (ifmtu > 0) {
        snprintf(ifn, sizeof(ifn), "\"%s\"", ifname);
        snprintf(ifm, sizeof(ifm), "%d", ifmtu);
      } else {
        snprintf(ifn, sizeof(ifn), "null");
        snprintf(ifm, sizeof(ifm), "null");
      }
      printf("{\"event\":\"start\",\"time\":\"%s\",\"peer\":\"%s\",\"port\":%ld,\"base\":%ld,"
             "\"max\":%ld,\"interface\":%s,\"interface_mtu\":%s}\n",
             jtime(), a.peer_str, port, base, max, ifn, ifm);
    } else {
      if (ifmtu > 0) {
        printf("svr-pmtu: probing %s port %ld, sizes %ld..%ld (IP bytes), "
               "interface %s MTU %d\n", a.peer_str, port, base, max, ifname, ifmtu);
      } else {
        printf("svr-pmtu: probing %s port %ld, sizes %ld..%ld (IP bytes)\n",
               a.peer_str, port, base, max);
      }
    }
    fflush(stdout);
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  a.t0 = pmtu_now();
  a.search_t0 = a.t0;
  if ((rv = svrpmtu_path_new(ctx, &path, &cfg, NULL, a.t0)) != 0) {
    fprintf(stderr, "svr-pmtu: %s\n", svrpmtu_strerror(rv));
    svrpmtu_ctx_del(ctx);
    close(fd);
    return EXIT_USAGE;
  }

  while (!stop_flag && (runs == 0 || a.results < (unsigned)runs)) {
    svrpmtu_addr to;
    svrpmtu_ssize n;
    struct pollfd pfd = {fd, POLLIN, 0};
    uint64_t now = pmtu_now(), exp;
    int wait_ms;

    while ((n = svrpmtu_ctx_write_pkt(ctx, &to, buf, sizeof(buf), now)) > 0) {
      if (send(fd, buf, (size_t)n, 0) >= 0 || errno == EMSGSIZE || errno == EAGAIN) {
        /* EMSGSIZE: the error queue carries the local report (read below). */
        continue;
      }
      if (is_unreach(errno)) {
        /* the error of an earlier ICMP message, reported by send() */
        a.unreach = errno;
        break;
      }
      fprintf(stderr, "svr-pmtu: send %zd bytes to %s: %s\n", n, a.peer_str,
              strerror(errno));
    }
    if (n < 0) {
      fprintf(stderr, "svr-pmtu: %s\n", svrpmtu_strerror((int)n));
      break;
    }
    if (runs != 0 && a.results >= (unsigned)runs) {
      break;
    }
    exp = svrpmtu_ctx_get_expiry(ctx);
    now = pmtu_now();
    wait_ms = exp == SVRPMTU_TSTAMP_MAX ? 1000
              : exp <= now               ? 0
                                         : (int)((exp - now) / 1000000ULL + 1);
    if (wait_ms > 1000) {
      wait_ms = 1000;
    }
    rv = poll(&pfd, 1, wait_ms);
    now = pmtu_now();
    if (rv < 0 && errno != EINTR) {
      fprintf(stderr, "svr-pmtu: poll: %s\n", strerror(errno));
      break;
    }
    if (rv > 0 && (pfd.revents & POLLERR)) {
      svrpmtu_ptb ptb;
      int other, k;
      while ((k = pmtu_read_errqueue(fd, buf, sizeof(buf), &ptb, &other)) >= 0) {
        if (k == 1) {
          int pr = svrpmtu_ctx_read_ptb(ctx, &ptb, now);
          if (pr != 0 && !a.quiet && !a.json) {
            printf("%8.3fs  ICMP too big (mtu %u) ignored: %s\n", secs(&a, now),
                   ptb.mtu, svrpmtu_strerror(pr));
          }
        } else if (is_unreach(other)) {
          a.unreach = other;
        } else if (!reported_errno) {
          /* Not a PMTU signal: the probe simply counts as lost.  Say so once. */
          reported_errno = 1;
          fprintf(stderr, "svr-pmtu: ICMP error toward %s: %s\n", a.peer_str,
                  strerror(other));
        }
      }
    }
    if (a.unreach) {
      break;
    }
    if (rv > 0 && (pfd.revents & POLLIN)) {
      for (;;) {
        svrpmtu_addr from;
        ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r < 0) {
          break;
        }
        pmtu_to_svr(&from, &peer_sa);
        (void)svrpmtu_ctx_read_pkt(ctx, &from, buf, (size_t)r, now);
      }
    }
    if ((rv = svrpmtu_ctx_handle_expiry(ctx, pmtu_now())) != 0) {
      fprintf(stderr, "svr-pmtu: %s\n", svrpmtu_strerror(rv));
      break;
    }
  }
  svrpmtu_ctx_del(ctx);
  close(fd);
  if (a.unreach) {
    /* Nobody answers there: no size can be learnt, stop at once. */
    const char *why = svr_cli_unreach_reason(a.unreach);
    double el = (double)(pmtu_now() - a.search_t0) / 1e9;
    if (a.json) {
      printf("{\"event\":\"unreachable\",\"time\":\"%s\",\"peer\":\"%s\",\"port\":%ld,"
             "\"reason\":\"%s\"}\n", jtime(), a.peer_str, port, why);
      printf("{\"event\":\"result\",\"time\":\"%s\",\"peer\":\"%s\",\"pmtu\":null,"
             "\"state\":\"unreachable\",\"probes\":null,\"elapsed_ms\":%.0f,"
             "\"unresolvable\":false,\"previous_pmtu\":null,\"run\":%u}\n",
             jtime(), a.peer_str, el * 1000, a.results + 1);
    } else {
      printf("result peer %s pmtu unknown state unreachable (%s) elapsed %.3fs\n",
             a.peer_str, why, el);
    }
    fflush(stdout);
    fprintf(stderr, "svr-pmtu: %s port %ld: %s (ICMP destination unreachable%s)\n",
            a.peer_str, port, strerror(a.unreach),
            a.unreach == ECONNREFUSED ? ": no 'svr-pmtu respond' there?" : "");
    return EXIT_UNREACHABLE;
  }
  if (a.results == 0) {
    fprintf(stderr, "svr-pmtu: stopped before a result\n");
    return EXIT_STOPPED;
  }
  return a.last_state == SVRPMTU_STATE_COMPLETE ? EXIT_FOUND : EXIT_UNRESOLVABLE;
}

static int cmd_respond(int argc, char **argv) {
  static const struct option opts[] = {
      {"bind", required_argument, 0, 'b'},   {"port", required_argument, 0, 'P'},
      {"count", required_argument, 0, 'n'},  {"duration", required_argument, 0, 'd'},
      {"json", no_argument, 0, 'j'},         {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  const char *bind_s = "0.0.0.0";
  long port = SVRPMTU_PORT, count = 0, duration = 0, answered = 0;
  int json = 0, quiet = 0, c, fd;
  pmtu_sockaddr bind_sa;
  char err[256];
  static uint8_t buf[65536];
  uint64_t t0, end;

  optind = 1;
  opterr = 0; /* our own message, without the path we were started by */
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'b': bind_s = optarg; break;
    case 'P': port = parse_num("--port", optarg, 1, 65535); break;
    case 'n': count = parse_num("--count", optarg, 1, LONG_MAX); break;
    case 'd': duration = parse_num("--duration", optarg, 1, 86400 * 365); break;
    case 'j': json = 1; break;
    case 'q': quiet = 1; break;
    case 'h': fputs(usage_text, stdout); return 0;
    default: die_usage("respond: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) {
    die_usage("respond: unexpected argument '%s'", argv[optind]);
  }
  if (pmtu_parse_addr(&bind_sa, bind_s, 0) != 0) {
    die_usage("respond: --bind '%s' is not an IPv4 or IPv6 address", bind_s);
  }
  fd = pmtu_socket(bind_sa.ss.ss_family, &bind_sa, (uint16_t)port, 0, err, sizeof(err));
  if (fd < 0) {
    int e = errno;
    fprintf(stderr, "svr-pmtu: %s\n", err);
    return e == EPERM || e == EACCES ? SVR_EXIT_PERMISSION : EXIT_SYSTEM;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (!quiet) {
    if (json) {
      printf("{\"event\":\"listening\",\"time\":\"%s\",\"bind\":\"%s\",\"port\":%ld}\n",
             jtime(), bind_s, port);
    } else {
      printf("svr-pmtu: answering PMTU probes on %s port %ld\n", bind_s, port);
    }
    fflush(stdout);
  }
  t0 = pmtu_now();
  end = duration ? t0 + (uint64_t)duration * SVRPMTU_SECONDS : UINT64_MAX;
  while (!stop_flag && (count == 0 || answered < count) && pmtu_now() < end) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int rv = poll(&pfd, 1, 200);
    if (rv < 0 && errno != EINTR) {
      fprintf(stderr, "svr-pmtu: poll: %s\n", strerror(errno));
      close(fd);
      return EXIT_SYSTEM;
    }
    while (rv > 0 && (count == 0 || answered < count)) {
      pmtu_sockaddr from;
      uint8_t ack[SVRPMTU_ACK_LEN];
      svrpmtu_ssize an;
      char as[INET6_ADDRSTRLEN];
      ssize_t r;
      from.len = sizeof(from.ss);
      r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from.ss,
                   &from.len);
      if (r < 0) {
        break;
      }
      an = svrpmtu_ack_build(ack, sizeof(ack), buf, (size_t)r);
      pmtu_addr_str(&from, as, sizeof(as));
      if (an < 0) {
        if (!quiet && !json) {
          printf("ignored %zd bytes from %s: %s\n", r, as, svrpmtu_strerror((int)an));
        }
        continue;
      }
      if (sendto(fd, ack, (size_t)an, 0, (struct sockaddr *)&from.ss, from.len) < 0) {
        fprintf(stderr, "svr-pmtu: send ack to %s: %s\n", as, strerror(errno));
        continue;
      }
      answered++;
      if (!quiet) {
        int hdr = from.ss.ss_family == AF_INET ? 28 : 48;
        if (json) {
          printf("{\"event\":\"ack\",\"time\":\"%s\",\"from\":\"%s\",\"size\":%zd,\"t\":%.3f}\n", jtime(), as,
                 r + hdr, (double)(pmtu_now() - t0) / 1e9);
        } else {
          printf("%8.3fs  acked %5zd-byte probe from %s\n",
                 (double)(pmtu_now() - t0) / 1e9, r + hdr, as);
        }
        fflush(stdout);
      }
    }
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    die_usage("missing command: probe or respond");
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
    const svrpmtu_info *v = svrpmtu_version(0);
    printf("svr-pmtu (libsvrpmtu %s)\n", v->version_str);
    return 0;
  }
  if (!strcmp(argv[1], "probe")) {
    return cmd_probe(argc - 1, argv + 1);
  }
  if (!strcmp(argv[1], "respond")) {
    return cmd_respond(argc - 1, argv + 1);
  }
  die_usage("unknown command '%s' (expected probe or respond)", argv[1]);
  return EXIT_USAGE;
}
