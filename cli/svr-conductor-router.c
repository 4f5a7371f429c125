/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-conductor-router: the router side of the management channel as a
 * stand-alone program (the rtr object of cli/glue/conductor_router.c is
 * what svr-router embeds).  Connects to one or two conductor nodes, keeps
 * the alarm journal, raises the alarms given on the command line or a
 * flood of them, reports entitlement, and can exit once everything is
 * acknowledged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "conductor_glue.h"
#include "svr_cli.h"

#define PROG "svr-conductor-router"

static const char usage_text[] =
    "Usage: svr-conductor-router --help | --version\n"
    "       svr-conductor-router keygen FILE\n"
    "       svr-conductor-router run --router R --node N --key FILE\n"
    "              --known-hosts FILE --conductor HOST:PORT\n"
    "              [--conductor HOST:PORT] [OPTIONS]\n"
    "\n"
    "The router-node side of the SVR management channel: an SSH client\n"
    "(public key auth with the router's Ed25519 key, conductor host key\n"
    "pinned in a known-hosts file) to each of up to two conductor nodes,\n"
    "carrying alarms and entitlement reports.  Alarms are journaled in\n"
    "--state-dir before they are sent and kept until every conductor node\n"
    "acknowledged them (after its database commit).\n"
    "\n"
    "Options for run:\n"
    "  --router NAME            router name, as enrolled on the conductor\n"
    "  --node NAME              this router node's name\n"
    "  --key FILE               router private key (svr-conductor-router\n"
    "                           keygen FILE makes one)\n"
    "  --known-hosts FILE       pinned conductor host keys (OpenSSH format,\n"
    "                           \"[host]:port ssh-ed25519 AAAA...\")\n"
    "  --trust-first-use        add an unknown conductor's key to the file\n"
    "                           (a changed key is always refused)\n"
    "  --conductor HOST:PORT    a conductor node (default port 930); give it\n"
    "                           twice for a conductor pair; a host name is\n"
    "                           resolved once at start-up\n"
    "  --state-dir DIR          alarm journal directory (default: none, the\n"
    "                           outbox lives in memory only)\n"
    "  --fsync                  fdatasync the journal after every alarm\n"
    "  --keepalive-interval S   SSH keepalive interval, 1-10 s (default 5):\n"
    "                           a keepalive@openssh.com request when nothing\n"
    "                           arrived from the conductor for S s\n"
    "  --keepalive-max N        unanswered keepalives before the conductor is\n"
    "                           declared dead (alarm \"No connectivity\", then\n"
    "                           reconnect), 1-20 (default 3)\n"
    "  --backoff-base-ms MS     first reconnect delay (default 1000)\n"
    "  --backoff-cap-ms MS      reconnect delay cap (default 60000); delays\n"
    "                           double per attempt with equal jitter\n"
    "  --raise SEV:CATEGORY:MESSAGE\n"
    "                           raise an alarm at start (repeatable); SEV is\n"
    "                           info, minor, major or critical\n"
    "  --clear K                clear the alarm of the K-th --raise of this\n"
    "                           run, after every --raise (repeatable)\n"
    "  --flood N                raise N alarms as fast as the journal takes\n"
    "  --bandwidth-bps BPS      simulate forwarding at BPS for entitlement\n"
    "  --entitlement-report-s S entitlement report period (default 300)\n"
    "  --exit-when-acked        exit 0 once every alarm and report is\n"
    "                           acknowledged by every conductor node\n"
    "  --once                   exit on the first refused or failed\n"
    "                           connection instead of retrying (1, 3, 5\n"
    "                           or 6, below)\n"
    "  --timeout S              exit 3 after S seconds (default: never)\n"
    "  --log-dir DIR            the log retriever serves the regular files\n"
    "                           of DIR (default: none; svr-conductor logs)\n"
    "  --no-remote-login        refuse shell connect from the conductor\n"
    "                           (svr-conductor connect; allowed by default)\n"
    "  --shell FILE             shell run for svr-conductor connect\n"
    "                           (default /bin/sh)\n"
    "  --software-repository SOURCE\n"
    "                           internet-only (default: no check, nothing\n"
    "                           sent), conductor-only or prefer-conductor:\n"
    "                           check the conductor-hosted repository every\n"
    "                           20 s (answer within 5 s); the status is\n"
    "                           logged at each change and shown by the\n"
    "                           conductor (show software repository)\n"
    "  --asset-ports PUB,REQ | off\n"
    "                           the conductor's asset channel ports, TLS\n"
    "                           1.3 with a certificate of --key (default\n"
    "                           4505,4506 for a conductor on port 930, else\n"
    "                           off)\n"
    "  --asset-id ID            this router node's asset id (default\n"
    "                           ROUTER.NODE)\n"
    "  --software-version V     installed version reported (default: this\n"
    "                           build's)\n"
    "  --software-available V   a version this router may download, for the\n"
    "                           conductor's version check (repeatable, 32)\n"
    "  -v, --verbose            log connection events\n"
    "\n"
    "Testing aid (never in production):\n"
    "  --test-log-drop-after BYTES\n"
    "                           drop the connection to the conductor once,\n"
    "                           right after sending BYTES bytes of log files\n"
    "                           (the log retriever must resume)\n"
    "  --test-repo-interval-ms MS\n"
    "                           repository checks every MS ms instead of\n"
    "                           20 s\n"
    "  --fault-kill-at journal:K\n"
    "                           kill this process with SIGKILL (as kill -9\n"
    "                           would) right after the K-th alarm it raises\n"
    "                           (--raise first, then --flood) is journaled:\n"
    "                           that alarm is in the journal but cannot have\n"
    "                           been acknowledged.  Needs --state-dir; K is\n"
    "                           1 up to the number of alarms this run raises\n"
    "\n"
    "Exit status (the suite's table, docs/cli.md):\n"
    "  0  done: --exit-when-acked and everything acknowledged, or stopped\n"
    "     by SIGTERM/SIGINT without --exit-when-acked\n"
    "  1  --once: refused: the conductor's host key changed or is not\n"
    "     pinned, or it refused the router key (not enrolled); keygen: FILE\n"
    "     exists\n"
    "  2  usage error, a --conductor name that does not resolve\n"
    "  3  --timeout expired, or SIGTERM/SIGINT, before everything was\n"
    "     acknowledged (--exit-when-acked); --once: the SSH handshake got\n"
    "     no answer within 10 s\n"
    "  4  permission denied (journal directory, key file)\n"
    "  5  other system or runtime error (journal, SSH, connection lost)\n"
    "  6  --once: the conductor is unreachable (connection refused, no\n"
    "     route, host or network unreachable)\n"
    "\n"
    "Example:\n"
    "  svr-conductor-router run --router burl-corp --node n1 --key r1.key \\\n"
    "      --known-hosts r1.known --conductor 127.0.0.1:9300 \\\n"
    "      --raise major:peer:'path down' --exit-when-acked --timeout 30\n";

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  svr_cli_vusage_error(PROG, fmt, ap);
}

/* The exit status for a file that could not be used. */
static int file_exit(int err) {
  return err == EACCES || err == EPERM ? SVR_EXIT_PERMISSION
                                       : SVR_EXIT_SYSTEM;
}

static int g_verbose;
static uv_loop_t g_loop;
static rtr *g_rtr;
static int g_exit = -1;
static int g_exit_when_acked;
static int g_once;
static uint64_t g_flood_left;
static uint64_t g_flood_total;
static uint64_t g_bw_bps;
static uint64_t g_start;
static uv_timer_t g_tick;
static uv_idle_t g_flood;
static uv_signal_t g_sig[2];
static uint64_t g_fault_k; /* --fault-kill-at journal:K; 0 = off */
static uint64_t g_raised;  /* alarms raised (journaled) by this run */

static void logger(int level, const char *text, void *ud) {
  static const char *const lv[] = {"error", "warning", "info", "debug"};
  char ts[SVR_CLI_TIME_LEN];
  (void)ud;
  if (level > 1 + g_verbose) {
    return;
  }
  svr_cli_time_now(ts, sizeof ts);
  fprintf(stderr, "%s svr-conductor-router %s: %s\n", ts, lv[level & 3],
          text);
}

static int g_rtr_stopped;

static void finish(int code) {
  if (g_exit >= 0) {
    return;
  }
  g_exit = code;
  if (g_rtr) {
    rtr_stop(g_rtr); /* (from inside rtr_new: main stops it afterwards) */
    g_rtr_stopped = 1;
  }
  uv_close((uv_handle_t *)&g_tick, NULL);
  uv_close((uv_handle_t *)&g_flood, NULL);
  uv_close((uv_handle_t *)&g_sig[0], NULL);
  uv_close((uv_handle_t *)&g_sig[1], NULL);
}

/* After each rtr_raise that returned 0: the alarm is in the journal.  Its
 * ack cannot have arrived yet: acks are read only when the loop polls the
 * connection, and rtr_raise does not. */
static void raised_one(void) {
  if (++g_raised != g_fault_k) {
    return;
  }
  fflush(stdout);
  fprintf(stderr,
          "svr-conductor-router: fault-kill-at journal:%llu: SIGKILL with "
          "seq %llu journaled (pending=%zu)\n",
          (unsigned long long)g_fault_k,
          (unsigned long long)(rtr_next_seq(g_rtr) - 1), rtr_pending(g_rtr));
  raise(SIGKILL); /* what kill -9 does: no handler, no cleanup */
}

/* --once: the exit status for a failed connection (docs/cli.md). */
static int link_fail_exit(int rv, int sys_errno) {
  switch (rv) {
  case CONDUCTOR_ERR_HOSTKEY_CHANGED:
  case CONDUCTOR_ERR_HOSTKEY_UNKNOWN:
  case CONDUCTOR_ERR_AUTH_DENIED:
    return SVR_EXIT_NEGATIVE; /* refused, by us or by the conductor */
  case CONDUCTOR_ERR_IO:
    /* no answer to the handshake: no reply, no decision */
    return sys_errno == ETIMEDOUT ? SVR_EXIT_INCONCLUSIVE
                                  : svr_cli_exit_for_errno(sys_errno);
  default:
    return SVR_EXIT_SYSTEM;
  }
}

static void on_link_fail(int idx, int rv, int sys_errno, const char *why,
                         void *ud) {
  (void)ud;
  if (g_once) {
    fprintf(stderr, "svr-conductor-router: conductor %d: %s\n", idx, why);
    finish(link_fail_exit(rv, sys_errno));
  }
}

static uint64_t g_timeout_ns;

static void on_tick(uv_timer_t *h) {
  uint64_t el = uv_hrtime() - g_start;
  (void)h;
  if (g_bw_bps) {
    rtr_set_forwarded_bytes(g_rtr, (uint64_t)((double)g_bw_bps / 8.0 *
                                              (double)el / 1e9));
  }
  if (g_exit_when_acked && g_flood_left == 0 && rtr_pending(g_rtr) == 0 &&
      rtr_links_up(g_rtr) > 0) {
    printf("acked next_seq=%llu\n", (unsigned long long)rtr_next_seq(g_rtr));
    fflush(stdout);
    finish(0);
    return;
  }
  if (g_timeout_ns && el > g_timeout_ns) {
    fprintf(stderr,
            "svr-conductor-router: timeout with %zu alarms unacknowledged\n",
            rtr_pending(g_rtr));
    finish(SVR_EXIT_INCONCLUSIVE);
  }
}

static void on_flood(uv_idle_t *h) {
  int i;
  for (i = 0; i < 200 && g_flood_left > 0; i++) {
    char msg[128];
    uint64_t k = g_flood_total - g_flood_left + 1;
    snprintf(msg, sizeof msg, "Peer flood-%llu path is down",
             (unsigned long long)k);
    if (rtr_raise(g_rtr, CONDUCTOR_SEV_MAJOR, "node/flood", "peer", msg,
                  NULL) != 0) {
      fprintf(stderr, "svr-conductor-router: raise failed\n");
      finish(SVR_EXIT_SYSTEM);
      return;
    }
    g_flood_left--;
    raised_one();
  }
  if (g_flood_left == 0) {
    uv_idle_stop(h);
  }
}

static void on_signal(uv_signal_t *h, int signum) {
  (void)h;
  (void)signum;
  /* --exit-when-acked asked a question this stop leaves unanswered */
  finish(g_exit_when_acked ? SVR_EXIT_INCONCLUSIVE : SVR_EXIT_OK);
}

static long num_arg(const char *opt, const char *v, long lo, long hi) {
  char *end;
  long n;
  errno = 0;
  n = strtol(v, &end, 10);
  if (errno || *end || n < lo || n > hi) {
    usage_error("%s: expected a number in %ld..%ld, got '%s'", opt, lo, hi, v);
  }
  return n;
}

#define MAX_RAISE 64

/* --fault-kill-at journal:K */
static uint64_t fault_arg(const char *v) {
  char *end;
  unsigned long long k;
  if (strncmp(v, "journal:", 8) != 0) {
    usage_error("--fault-kill-at: expected journal:K, got '%s'", v);
  }
  errno = 0;
  k = strtoull(v + 8, &end, 10);
  if (v[8] < '0' || v[8] > '9' || errno || *end || k < 1 ||
      k > 100000000ULL) {
    usage_error("--fault-kill-at: K must be a number in 1..100000000, got "
                "'%s'",
                v);
  }
  return (uint64_t)k;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"router", required_argument, NULL, 'r'},
      {"node", required_argument, NULL, 'n'},
      {"key", required_argument, NULL, 'k'},
      {"known-hosts", required_argument, NULL, 'K'},
      {"trust-first-use", no_argument, NULL, 'T'},
      {"conductor", required_argument, NULL, 'c'},
      {"state-dir", required_argument, NULL, 's'},
      {"fsync", no_argument, NULL, 'F'},
      {"keepalive-interval", required_argument, NULL, 'i'},
      {"keepalive-max", required_argument, NULL, 'm'},
      {"backoff-base-ms", required_argument, NULL, 'b'},
      {"backoff-cap-ms", required_argument, NULL, 'B'},
      {"raise", required_argument, NULL, 'R'},
      {"clear", required_argument, NULL, 'C'},
      {"flood", required_argument, NULL, 'f'},
      {"bandwidth-bps", required_argument, NULL, 'w'},
      {"entitlement-report-s", required_argument, NULL, 'e'},
      {"exit-when-acked", no_argument, NULL, 'x'},
      {"once", no_argument, NULL, 'o'},
      {"timeout", required_argument, NULL, 't'},
      {"fault-kill-at", required_argument, NULL, 'X'},
      {"log-dir", required_argument, NULL, 'L'},
      {"no-remote-login", no_argument, NULL, 'N'},
      {"shell", required_argument, NULL, 'S'},
      {"test-log-drop-after", required_argument, NULL, 'D'},
      {"software-repository", required_argument, NULL, 'Q'},
      {"test-repo-interval-ms", required_argument, NULL, 'I'},
      {"asset-ports", required_argument, NULL, 'a'},
      {"asset-id", required_argument, NULL, 'J'},
      {"software-version", required_argument, NULL, 'W'},
      {"software-available", required_argument, NULL, 'A'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  rtr_opts o;
  char err[512];
  char *raises[MAX_RAISE];
  uint32_t raised_num[MAX_RAISE];
  int clears[MAX_RAISE];
  int nraise = 0, nclear = 0, c, i, rv;

  if (argc >= 2 && strcmp(argv[1], "keygen") == 0) {
    if (argc != 3) {
      usage_error("keygen needs FILE");
    }
    rv = conductor_key_generate(argv[2]);
    if (rv == 0) {
      printf("wrote %s and %s.pub\n", argv[2], argv[2]);
      return SVR_EXIT_OK;
    }
    c = errno;
    fprintf(stderr, "svr-conductor-router: cannot write key %s: %s\n",
            argv[2], rv == CONDUCTOR_ERR_IO ? strerror(c)
                                            : conductor_strerror(rv));
    /* an existing FILE is refused, never overwritten */
    return rv != CONDUCTOR_ERR_IO ? SVR_EXIT_SYSTEM
           : c == EEXIST          ? SVR_EXIT_NEGATIVE
                                  : file_exit(c);
  }
  if (argc >= 2 &&
      (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (argc >= 2 &&
      (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
    printf("svr-conductor-router (libconductor %s)\n",
           conductor_version(0)->version_str);
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "run") != 0) {
    usage_error("a command is needed: run or keygen");
  }
  argc--;
  argv++;
  memset(&o, 0, sizeof o);
  opterr = 0; /* our own usage errors, without the path we run by */
  while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      o.router = optarg;
      break;
    case 'n':
      o.node = optarg;
      break;
    case 'k':
      o.key_path = optarg;
      break;
    case 'K':
      o.known_hosts = optarg;
      break;
    case 'T':
      o.tofu = 1;
      break;
    case 'c':
      if (o.n_conductors == RTR_MAX_CONDUCTORS) {
        usage_error("at most %d --conductor", RTR_MAX_CONDUCTORS);
      }
      o.conductors[o.n_conductors++] = optarg;
      break;
    case 's':
      o.state_dir = optarg;
      break;
    case 'F':
      o.fsync_journal = 1;
      break;
    case 'i':
      o.ka_interval_s = (unsigned)num_arg("--keepalive-interval", optarg, 1, 10);
      break;
    case 'm':
      o.ka_max = (unsigned)num_arg("--keepalive-max", optarg, 1, 20);
      break;
    case 'b':
      o.backoff_base_ns = (uint64_t)num_arg("--backoff-base-ms", optarg, 1,
                                            3600000) * CONDUCTOR_MILLISECONDS;
      break;
    case 'B':
      o.backoff_cap_ns = (uint64_t)num_arg("--backoff-cap-ms", optarg, 1,
                                           3600000) * CONDUCTOR_MILLISECONDS;
      break;
    case 'R':
      if (nraise == MAX_RAISE) {
        usage_error("at most %d --raise", MAX_RAISE);
      }
      raises[nraise++] = optarg;
      break;
    case 'C':
      if (nclear == MAX_RAISE) {
        usage_error("at most %d --clear", MAX_RAISE);
      }
      clears[nclear++] = (int)num_arg("--clear", optarg, 1, MAX_RAISE);
      break;
    case 'f':
      g_flood_total = g_flood_left =
          (uint64_t)num_arg("--flood", optarg, 0, 100000000);
      break;
    case 'w':
      g_bw_bps = (uint64_t)num_arg("--bandwidth-bps", optarg, 0, 1000000000000L);
      break;
    case 'e':
      o.ent_report_ns = (uint64_t)num_arg("--entitlement-report-s", optarg, 1,
                                          86400) * CONDUCTOR_SECONDS;
      break;
    case 'x':
      g_exit_when_acked = 1;
      break;
    case 'o':
      g_once = 1;
      break;
    case 't':
      g_timeout_ns =
          (uint64_t)num_arg("--timeout", optarg, 1, 86400) * CONDUCTOR_SECONDS;
      break;
    case 'X':
      g_fault_k = fault_arg(optarg);
      break;
    case 'L':
      o.log_dir = optarg;
      break;
    case 'N':
      o.no_remote_login = 1;
      break;
    case 'S':
      o.shell = optarg;
      break;
    case 'Q':
      o.repo_source = optarg;
      break;
    case 'I':
      o.repo_interval_ns = (uint64_t)num_arg("--test-repo-interval-ms", optarg,
                                             10, 3600000) *
                           CONDUCTOR_MILLISECONDS;
      break;
    case 'D':
      o.test_log_drop_after =
          (uint64_t)num_arg("--test-log-drop-after", optarg, 1, 1L << 40);
      break;
    case 'a': {
      unsigned pa, pb;
      char end;
      if (strcmp(optarg, "off") == 0) {
        o.asset_mode = -1;
      } else if (sscanf(optarg, "%u,%u%c", &pa, &pb, &end) == 2 && pa > 0 &&
                 pb > 0 && pa <= 65535 && pb <= 65535 && pa != pb) {
        o.asset_mode = 1;
        o.asset_port_pub = (uint16_t)pa;
        o.asset_port_req = (uint16_t)pb;
      } else {
        usage_error("--asset-ports: expected PUB,REQ (two different ports "
                    "1-65535) or off, got '%s'", optarg);
      }
      break;
    }
    case 'J':
      o.asset_id = optarg;
      break;
    case 'W':
      o.software_installed = optarg;
      break;
    case 'A':
      if (o.n_software_available == RASSET_MAX_AVAILABLE) {
        usage_error("--software-available: at most %d versions",
                    RASSET_MAX_AVAILABLE);
      }
      o.software_available[o.n_software_available++] = optarg;
      break;
    case 'v':
      g_verbose = 1;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      svr_cli_bad_option(PROG, argv, optind);
    }
  }
  if (optind < argc) {
    usage_error("unexpected argument '%s'", argv[optind]);
  }
  if (!o.router || !o.node || !o.key_path || !o.known_hosts ||
      o.n_conductors == 0) {
    usage_error("run needs --router, --node, --key, --known-hosts and "
                "--conductor");
  }
  if (g_fault_k && o.state_dir == NULL) {
    usage_error("--fault-kill-at journal:K needs --state-dir (without it "
                "nothing is journaled)");
  }
  if (g_fault_k > (uint64_t)nraise + g_flood_total) {
    usage_error("--fault-kill-at journal:%llu: this run raises only %llu "
                "alarms (--raise, --flood)",
                (unsigned long long)g_fault_k,
                (unsigned long long)((uint64_t)nraise + g_flood_total));
  }
  for (i = 0; i < nclear; i++) {
    if (clears[i] > nraise) {
      usage_error("--clear %d: this run has only %d --raise", clears[i],
                  nraise);
    }
  }
  /* Check the --raise arguments before connecting anywhere. */
  for (i = 0; i < nraise; i++) {
    char *p1 = strchr(raises[i], ':'), *p2;
    if (p1 == NULL || (p2 = strchr(p1 + 1, ':')) == NULL) {
      usage_error("--raise wants SEV:CATEGORY:MESSAGE, got '%s'", raises[i]);
    }
    *p1 = '\0';
    *p2 = '\0';
    if (conductor_severity_parse(raises[i]) < 0) {
      usage_error("--raise: severity must be info, minor, major or "
                  "critical, got '%s'",
                  raises[i]);
    }
    if (p1[1] == '\0') {
      usage_error("--raise: empty category");
    }
  }
  if (access(o.key_path, R_OK) != 0) {
    c = errno;
    fprintf(stderr, "svr-conductor-router: --key %s: %s\n", o.key_path,
            strerror(c));
    return c == EACCES || c == EPERM ? SVR_EXIT_PERMISSION : SVR_EXIT_USAGE;
  }
  o.log = logger;
  o.on_link_fail = on_link_fail;
  if (g_fault_k) {
    char armed[96];
    snprintf(armed, sizeof armed,
             "fault injection armed: fault-kill-at journal:%llu (testing aid)",
             (unsigned long long)g_fault_k);
    logger(1, armed, NULL);
  }
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&g_loop);
  g_start = uv_hrtime();
  /* The handles exist before the router does: a connection refused at
   * once ends a --once run from inside rtr_new (on_link_fail -> finish),
   * which closes them (they were closed uninitialised: uv_close aborted). */
  uv_timer_init(&g_loop, &g_tick);
  uv_idle_init(&g_loop, &g_flood);
  uv_signal_init(&g_loop, &g_sig[0]);
  uv_signal_init(&g_loop, &g_sig[1]);
  rv = rtr_new(&g_rtr, &g_loop, &o, err, sizeof err);
  if (rv != 0) {
    c = errno; /* the journal's */
    fprintf(stderr, "svr-conductor-router: %s\n", err);
    if (rv == CONDUCTOR_ERR_INVALID_ARGUMENT || rv == CONDUCTOR_ERR_ADDRESS) {
      return SVR_EXIT_USAGE; /* a bad or unknown --conductor */
    }
    return rv == CONDUCTOR_ERR_IO ? file_exit(c) : SVR_EXIT_SYSTEM;
  }
  for (i = 0; i < nraise; i++) {
    char *cat = raises[i] + strlen(raises[i]) + 1;
    char *msg = cat + strlen(cat) + 1;
    char src[160];
    uint32_t num;
    snprintf(src, sizeof src, "%s", o.node);
    if (rtr_raise(g_rtr, (uint8_t)conductor_severity_parse(raises[i]), src,
                  cat, msg, &num) != 0) {
      fprintf(stderr, "svr-conductor-router: cannot journal alarm\n");
      return SVR_EXIT_SYSTEM;
    }
    printf("raised %s.%s:%u\n", o.node, o.router, num);
    raised_num[i] = num;
    raised_one();
  }
  for (i = 0; i < nclear; i++) {
    int k = clears[i] - 1;
    char *cat = raises[k] + strlen(raises[k]) + 1;
    char *msg = cat + strlen(cat) + 1;
    if (rtr_clear(g_rtr, raised_num[k],
                  (uint8_t)conductor_severity_parse(raises[k]), o.node, cat,
                  msg) != 0) {
      fprintf(stderr, "svr-conductor-router: cannot journal alarm clear\n");
      return SVR_EXIT_SYSTEM;
    }
    printf("cleared %s.%s:%u\n", o.node, o.router, raised_num[k]);
  }
  fflush(stdout);
  if (g_exit >= 0) {
    if (!g_rtr_stopped) {
      rtr_stop(g_rtr); /* finished while rtr_new ran: handles are closing */
    }
  } else {
    uv_timer_start(&g_tick, on_tick, 50, 50);
    if (g_flood_left) {
      uv_idle_start(&g_flood, on_flood);
    }
    uv_signal_start(&g_sig[0], on_signal, SIGTERM);
    uv_signal_start(&g_sig[1], on_signal, SIGINT);
  }
  uv_run(&g_loop, UV_RUN_DEFAULT);
  rtr_del(g_rtr);
  uv_loop_close(&g_loop);
  return g_exit < 0 ? 0 : g_exit;
}
