/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-conductor: a conductor node (daemon) and its show/enroll commands.
 * The show commands read the node's SQLite database directly (read-only,
 * WAL lets them run while the daemon writes); they do not talk to the
 * daemon.  See docs/libconductor.md section 6.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "conductor_glue.h"
#include "svr-conductor-admin.h"
#include "svr_cli.h"
#include "svr_table.h"

#define PROG "svr-conductor"

static const char usage_text[] =
    "Usage: svr-conductor [--dir DIR] [--db FILE] COMMAND [ARGS]\n"
    "\n"
    "A conductor node of the SVR management channel: routers connect over\n"
    "SSH (930/TCP) and send alarms and entitlement reports, which this node\n"
    "stores in SQLite (WAL) and acknowledges only once committed.\n"
    "\n"
    "Commands:\n"
    "  run [OPTIONS]            run the conductor node in the foreground\n"
    "  enroll [--force] ROUTER KEY.pub\n"
    "                           allow the router whose SSH public key is in\n"
    "                           KEY.pub (OpenSSH format) to connect as ROUTER;\n"
    "                           a key enrolled for another router is refused\n"
    "                           (exit 1) unless --force, which moves it and\n"
    "                           closes its live connections\n"
    "  unenroll ROUTER          revoke every key of ROUTER: it can no longer\n"
    "                           connect, and a running node closes its\n"
    "                           connections within a second\n"
    "  show alarms [--router R] [--shelved] [--json]\n"
    "                           active alarms: ID, Time, Severity, Source,\n"
    "                           Category, Message (control bytes and invalid\n"
    "                           UTF-8 shown as \\xNN); shelved ones only with\n"
    "                           --shelved\n"
    "  show entitlement [--router R] [--json]\n"
    "                           peak router bandwidth of any 5-second\n"
    "                           interval, per router and month (* = current)\n"
    "  show assets [--router R] [--json]\n"
    "                           router nodes: Asset Id, Router, Node,\n"
    "                           Version, Status (asset channel: pending,\n"
    "                           running, disconnected, not-connected), then\n"
    "                           the 930 connection: state, since, last\n"
    "                           keepalive\n"
    "  show assets software [--router R] [--json]\n"
    "                           per router node: Installed and Available\n"
    "                           versions (the last software version check)\n"
    "  show routers [--json]    enrolled router keys\n"
    "  show security key-status [--router R] [--node N] [--json]\n"
    "                           per router node: key manager state, rekey\n"
    "                           index, last rekey, next rekey, key change\n"
    "                           count, key change errors\n"
    "  security add R1 R2 | security remove R1 R2\n"
    "                           configure a security element: the adjacency\n"
    "                           between routers R1 and R2, whose key this\n"
    "                           conductor node generates and pushes, and\n"
    "                           whose routers learn each other's dynamic\n"
    "                           addresses\n"
    "  rekey [--router R]       rekey every security element (of router R)\n"
    "                           now; the running daemon starts within 1 s\n"
    "  show dynamic-peer-update [--router R] [--json]\n"
    "                           learned addresses (router, node,\n"
    "                           neighborhood, interface, address) and what\n"
    "                           each router node was told of its peers'\n"
    "  show software repository [--router R] [--json]\n"
    "                           the repository this node hosts and each\n"
    "                           router node's last check of it (status,\n"
    "                           latency, when), as the routers report them\n"
    "  sync peer addresses [--router R]\n"
    "                           push every router (R) its peers' learned\n"
    "                           addresses again; the running daemon does it\n"
    "                           within 1 s\n"
    "  shelve ID | unshelve ID  hide / show an active alarm (ID as shown)\n"
    "  keygen FILE              write an Ed25519 key pair FILE (mode 0600),\n"
    "                           FILE.pub; refused if FILE exists\n"
    "  logs --router R [--node N] [--json] [ADMIN OPTIONS]\n"
    "                           the router's log files (name, size, mtime)\n"
    "  logs --router R --get NAME [-o FILE] [ADMIN OPTIONS]\n"
    "                           download one (FILE, default NAME; written\n"
    "                           to FILE.part first, resumed from there after\n"
    "                           a lost connection, checked by SHA-256)\n"
    "  connect --router R [--node N] [ADMIN OPTIONS]\n"
    "                           interactive shell on the router (a PTY),\n"
    "                           over the router's own connection; exits with\n"
    "                           the shell's exit status\n"
    "\n"
    "ADMIN OPTIONS (logs, connect: an administrator logs in to the running\n"
    "conductor node, which relays to the router):\n"
    "  --conductor ADDR:PORT    the conductor node (default 127.0.0.1:930)\n"
    "  --key FILE               administrator's private key, listed in the\n"
    "                           node's --admin-keys (default\n"
    "                           ~/.ssh/id_ed25519)\n"
    "  --known-hosts FILE       the node's pinned host key (default\n"
    "                           ~/.ssh/known_hosts)\n"
    "  --timeout S              give up after S s (default 60)\n"
    "\n"
    "Global options:\n"
    "  --dir DIR      state directory (default /var/lib/svr-conductor): the\n"
    "                 database DIR/conductor.db and the host key\n"
    "                 DIR/ssh_host_ed25519_key (created on first run)\n"
    "  --db FILE      database file (overrides DIR/conductor.db)\n"
    "  -h, --help     this text\n"
    "  -V, --version  program and library version\n"
    "\n"
    "run options:\n"
    "  --listen ADDR            listen address, numeric (default 0.0.0.0)\n"
    "  --port N                 SSH port (default 930; below 1024 needs root\n"
    "                           or CAP_NET_BIND_SERVICE; 0 picks a free port,\n"
    "                           printed on stdout as \"listening port=N\")\n"
    "  --host-key FILE          host key (default DIR/ssh_host_ed25519_key)\n"
    "  --node NAME              this conductor node's name (default cnd1)\n"
    "  --keepalive-interval S   SSH keepalive interval, 1-10 (default 5): a\n"
    "                           keepalive@openssh.com request to a router\n"
    "                           node from which nothing arrived for S s\n"
    "  --keepalive-max N        unanswered keepalives before a router node\n"
    "                           is declared gone, 1-20 (default 3)\n"
    "  --peer HOST:PORT         the other conductor node: link check every\n"
    "                           --link-check-interval S (default 10); alarm\n"
    "                           when latency >= 150 ms or loss >= 0.01 %\n"
    "                           over the last 100 probes (a probe is a TCP\n"
    "                           connect to the peer's SSH port)\n"
    "  --link-max-latency-ms MS, --link-max-loss-pct PCT\n"
    "                           change those two thresholds\n"
    "  --max-unauth N           connections not yet authenticated, in all\n"
    "                           (default 256; at the limit the oldest is\n"
    "                           closed to admit a new one)\n"
    "  --max-unauth-per-addr N  of those from one source address (default\n"
    "                           16; more are refused)\n"
    "  --login-grace S          seconds to authenticate (default 10)\n"
    "  --fd-reserve N           descriptors kept free below the open-files\n"
    "                           limit (default 64); no\n"
    "                           connection is accepted beyond\n"
    "  --max-send-buffer BYTES  answers queued for a router that does not\n"
    "                           read them (default 262144); beyond, the\n"
    "                           connection is closed\n"
    "  --rekey-interval T       rekey-interval: a new key for every security\n"
    "                           element every T: 'never' (default), N\n"
    "                           minutes (1-720) or N with a unit s, m or h\n"
    "                           (1 s to 720 h)\n"
    "  --repository URL         the software repository / proxy this node\n"
    "                           hosts for routers whose repository source is\n"
    "                           conductor-only or prefer-conductor; their\n"
    "                           checks are answered with it (default: none:\n"
    "                           answered unavailable)\n"
    "  --admin-keys FILE        administrators allowed to use logs and\n"
    "                           connect: OpenSSH authorized_keys lines, the\n"
    "                           comment is the name logged (default: none)\n"
    "  --asset-ports PUB,REQ | off\n"
    "                           asset channel ports, TLS 1.3 (default\n"
    "                           4505,4506 when --port is 930, else off; 0\n"
    "                           picks a free port, printed on stdout as\n"
    "                           \"asset ports pub=N req=N\")\n"
    "  -v, --verbose            log every connection (default: warnings)\n"
    "\n"
    "Testing aid (never in production):\n"
    "  --asset-version-check-interval S\n"
    "                           software version check every S seconds\n"
    "                           (1-43200) instead of the product's fixed 12 h\n"
    "  --fault-kill-at insert:K | commit:K\n"
    "                           the daemon kills itself with SIGKILL (as\n"
    "                           kill -9 would) at a chosen point, counting\n"
    "                           router alarms this process newly stores:\n"
    "                           insert:K right after the K-th is inserted,\n"
    "                           inside the batch transaction, before COMMIT;\n"
    "                           commit:K right after the COMMIT that brings\n"
    "                           the count to K or more, before any ack of\n"
    "                           that batch is sent.  K is 1-1000000000\n"
    "\n"
    "Exit status (the suite's table, docs/cli.md):\n"
    "  0  done\n"
    "  1  not found or refused: no database, unknown alarm ID, no key\n"
    "     enrolled for the router, no such security element; enroll of a\n"
    "     key enrolled for another router; keygen over an existing file;\n"
    "     logs/connect: the node refused the key or the host key is not the\n"
    "     pinned one, the router is not connected, it refused the file or\n"
    "     the login, the download did not verify (SHA-256)\n"
    "  2  usage error, a KEY.pub that is not a public key, a --key or\n"
    "     --conductor that cannot be used\n"
    "  3  logs/connect: no answer from the node or the router within\n"
    "     --timeout\n"
    "  4  permission denied (database, key or output file, port below 1024)\n"
    "  5  other system or runtime error (database, connection lost)\n"
    "  6  logs/connect: the conductor node is unreachable (connection\n"
    "     refused, no route)\n"
    "  connect exits with the remote shell's exit status once the shell ran.\n"
    "\n"
    "Example:\n"
    "  svr-conductor --dir /tmp/c1 enroll burl-corp router.pub\n"
    "  svr-conductor --dir /tmp/c1 run --port 9300 --node cnd1 &\n"
    "  svr-conductor --dir /tmp/c1 show alarms --router burl-corp\n";

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  svr_cli_vusage_error(PROG, fmt, ap);
}

/* The exit status for a file that could not be used: PERMISSION for
 * EACCES/EPERM, else SYSTEM. */
static int file_exit(int err) {
  return err == EACCES || err == EPERM ? SVR_EXIT_PERMISSION
                                       : SVR_EXIT_SYSTEM;
}

static char g_dir[512] = "/var/lib/svr-conductor";
static char g_db[600];
static int g_verbose;

static void logger(int level, const char *text, void *ud) {
  static const char *const lv[] = {"error", "warning", "info", "debug"};
  char ts[SVR_CLI_TIME_LEN];
  (void)ud;
  if (level > 1 + g_verbose) {
    return;
  }
  svr_cli_time_now(ts, sizeof ts);
  fprintf(stderr, "%s svr-conductor %s: %s\n", ts, lv[level & 3], text);
}

/* ---- run --------------------------------------------------------------- */

static uv_signal_t sigs[2];
static cnd *g_cnd;

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  (void)h;
  if (g_cnd) {
    cnd_stop(g_cnd);
  }
  uv_close((uv_handle_t *)&sigs[0], NULL);
  uv_close((uv_handle_t *)&sigs[1], NULL);
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

static double dbl_arg(const char *opt, const char *v) {
  char *end;
  double d;
  errno = 0;
  d = strtod(v, &end);
  if (errno || *end || !(d > 0) || d > 1e9) {
    usage_error("%s: expected a positive number, got '%s'", opt, v);
  }
  return d;
}

/* --rekey-interval never | N (minutes, 1-720) | N{s,m,h}; ns, 0 = never */
static uint64_t interval_arg(const char *v) {
  char *end;
  unsigned long long n, unit = 60;
  errno = 0;
  if (strcmp(v, "never") == 0) {
    return 0;
  }
  n = strtoull(v, &end, 10);
  if (v[0] >= '0' && v[0] <= '9' && !errno && end != v) {
    if (*end == 's' && end[1] == '\0') {
      unit = 1;
    } else if (*end == 'm' && end[1] == '\0') {
      unit = 60;
    } else if (*end == 'h' && end[1] == '\0') {
      unit = 3600;
    } else if (*end != '\0') {
      n = 0;
    }
    if (*end == '\0' && n > 720) {
      n = 0;
    }
    if (n >= 1 && n <= 720ULL * 3600 / unit) {
      return n * unit * CONDUCTOR_SECONDS;
    }
  }
  usage_error("--rekey-interval: expected never, N minutes (1-720) or N "
              "with s, m or h (1 s to 720 h), got '%s'",
              v);
}

/* --asset-ports PUB,REQ | off */
static void asset_ports_arg(const char *v, cnd_opts *o) {
  unsigned a, b;
  char end;
  if (strcmp(v, "off") == 0) {
    o->asset_enabled = 0;
    return;
  }
  if (sscanf(v, "%u,%u%c", &a, &b, &end) != 2 || a > 65535 || b > 65535 ||
      (a == b && a != 0)) {
    usage_error("--asset-ports: expected PUB,REQ (two different ports, 0 "
                "= any free one) or off, got '%s'", v);
  }
  o->asset_enabled = 1;
  o->asset_port_pub = (uint16_t)a;
  o->asset_port_req = (uint16_t)b;
}

/* --fault-kill-at insert:K | commit:K */
static void fault_arg(const char *v, cnd_opts *o) {
  const char *colon = strchr(v, ':');
  char *end;
  unsigned long long k;
  if (colon != NULL && (size_t)(colon - v) == 6 &&
      strncmp(v, "insert", 6) == 0) {
    o->fault_kind = CND_FAULT_INSERT;
  } else if (colon != NULL && (size_t)(colon - v) == 6 &&
             strncmp(v, "commit", 6) == 0) {
    o->fault_kind = CND_FAULT_COMMIT;
  } else {
    usage_error("--fault-kill-at: expected insert:K or commit:K, got '%s'",
                v);
  }
  errno = 0;
  k = strtoull(colon + 1, &end, 10);
  if (colon[1] < '0' || colon[1] > '9' || errno || *end || k < 1 ||
      k > 1000000000ULL) {
    usage_error("--fault-kill-at: K must be a number in 1..1000000000, got "
                "'%s'",
                v);
  }
  o->fault_k = (uint64_t)k;
}

static int cmd_run(int argc, char **argv) {
  static const struct option opts[] = {
      {"listen", required_argument, NULL, 'l'},
      {"port", required_argument, NULL, 'p'},
      {"host-key", required_argument, NULL, 'k'},
      {"node", required_argument, NULL, 'n'},
      {"keepalive-interval", required_argument, NULL, 'i'},
      {"keepalive-max", required_argument, NULL, 'm'},
      {"peer", required_argument, NULL, 'P'},
      {"link-check-interval", required_argument, NULL, 'L'},
      {"link-max-latency-ms", required_argument, NULL, 'T'},
      {"link-max-loss-pct", required_argument, NULL, 'S'},
      {"max-unauth", required_argument, NULL, 'U'},
      {"max-unauth-per-addr", required_argument, NULL, 'A'},
      {"login-grace", required_argument, NULL, 'G'},
      {"fd-reserve", required_argument, NULL, 'R'},
      {"max-send-buffer", required_argument, NULL, 'B'},
      {"fault-kill-at", required_argument, NULL, 'F'},
      {"rekey-interval", required_argument, NULL, 'X'},
      {"admin-keys", required_argument, NULL, 'a'},
      {"repository", required_argument, NULL, 'Y'},
      {"asset-ports", required_argument, NULL, 'Z'},
      {"asset-version-check-interval", required_argument, NULL, 'C'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  cnd_opts o;
  char hk[600], err[512];
  uv_loop_t loop;
  int c, rv, asset_given = 0;
  memset(&o, 0, sizeof o);
  snprintf(hk, sizeof hk, "%s/ssh_host_ed25519_key", g_dir);
  o.host_key = hk;
  o.port = CONDUCTOR_PORT;
  o.node_name = "cnd1";
  optind = 1;
  while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
    switch (c) {
    case 'l':
      o.listen_addr = optarg;
      break;
    case 'p':
      o.port = (uint16_t)num_arg("--port", optarg, 0, 65535);
      break;
    case 'k':
      o.host_key = optarg;
      break;
    case 'n':
      o.node_name = optarg;
      break;
    case 'i':
      o.ka_interval_s = (unsigned)num_arg("--keepalive-interval", optarg, 1, 10);
      break;
    case 'm':
      o.ka_max = (unsigned)num_arg("--keepalive-max", optarg, 1, 20);
      break;
    case 'P':
      o.peer = optarg;
      break;
    case 'L':
      o.link_check_interval_s =
          (unsigned)num_arg("--link-check-interval", optarg, 1, 3600);
      break;
    case 'T':
      o.link_max_latency_ms = dbl_arg("--link-max-latency-ms", optarg);
      break;
    case 'S':
      o.link_max_loss_pct = dbl_arg("--link-max-loss-pct", optarg);
      break;
    case 'U':
      o.max_unauth = (unsigned)num_arg("--max-unauth", optarg, 1, 100000);
      break;
    case 'A':
      o.max_unauth_per_addr =
          (unsigned)num_arg("--max-unauth-per-addr", optarg, 1, 100000);
      break;
    case 'G':
      o.login_grace_s = (unsigned)num_arg("--login-grace", optarg, 1, 600);
      break;
    case 'R':
      o.fd_reserve = (unsigned)num_arg("--fd-reserve", optarg, 1, 100000);
      break;
    case 'B':
      o.max_send_buffer =
          (size_t)num_arg("--max-send-buffer", optarg, 4096, 1L << 30);
      break;
    case 'F':
      fault_arg(optarg, &o);
      break;
    case 'X':
      o.rekey_interval_ns = interval_arg(optarg);
      break;
    case 'a':
      o.admin_keys = optarg;
      break;
    case 'Y':
      o.repository = optarg;
      break;
    case 'Z':
      asset_given = 1;
      asset_ports_arg(optarg, &o);
      break;
    case 'C':
      o.asset_version_check_ns =
          (uint64_t)num_arg("--asset-version-check-interval", optarg, 1,
                            43200) *
          1000000000ULL;
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
  /* The asset channel listens on 4505/4506 beside an SSH port of 930 (the
   * product's three inbound ports); beside any other SSH port (a test, a
   * second node on one host) only when --asset-ports says where. */
  if (!asset_given && o.port == CONDUCTOR_PORT) {
    o.asset_enabled = 1;
    o.asset_port_pub = 4505;
    o.asset_port_req = 4506;
  }
  if (optind < argc) {
    usage_error("run: unexpected argument '%s'", argv[optind]);
  }
  mkdir(g_dir, 0700);
  o.db_path = g_db;
  o.log = logger;
  uv_loop_init(&loop);
  rv = cnd_new(&g_cnd, &loop, &o, err, sizeof err);
  if (rv != 0) {
    int e = errno; /* bind (a port below 1024 needs privilege), files */
    fprintf(stderr, "svr-conductor: %s\n", err);
    cnd_del(g_cnd);
    return file_exit(e);
  }
  signal(SIGPIPE, SIG_IGN);
  uv_signal_init(&loop, &sigs[0]);
  uv_signal_start(&sigs[0], on_signal, SIGTERM);
  uv_signal_init(&loop, &sigs[1]);
  uv_signal_start(&sigs[1], on_signal, SIGINT);
  /* stdout lines for scripts: the daemon is ready */
  if (o.asset_enabled) {
    printf("asset ports pub=%u req=%u\n", (unsigned)cnd_asset_port(g_cnd, 1),
           (unsigned)cnd_asset_port(g_cnd, 2));
  }
  printf("listening port=%u node=%s db=%s\n", (unsigned)cnd_port(g_cnd),
         o.node_name, g_db);
  fflush(stdout);
  uv_run(&loop, UV_RUN_DEFAULT);
  cnd_del(g_cnd);
  uv_loop_close(&loop);
  return 0;
}

/* ---- database helpers for the show commands ----------------------------- */

static sqlite3 *open_ro(void) {
  sqlite3 *db = NULL;
  struct stat st;
  if (stat(g_db, &st) != 0) {
    int e = errno;
    if (e != ENOENT && e != ENOTDIR) {
      fprintf(stderr, "svr-conductor: %s: %s\n", g_db, strerror(e));
      exit(file_exit(e));
    }
    fprintf(stderr,
            "svr-conductor: no database at %s (run the daemon first, or "
            "give --dir/--db)\n",
            g_db);
    exit(SVR_EXIT_NEGATIVE);
  }
  if (access(g_db, R_OK) != 0) {
    int e = errno;
    fprintf(stderr, "svr-conductor: %s: %s\n", g_db, strerror(e));
    exit(file_exit(e));
  }
  if (sqlite3_open_v2(g_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    fprintf(stderr, "svr-conductor: cannot open %s: %s\n", g_db,
            db ? sqlite3_errmsg(db) : "out of memory");
    exit(SVR_EXIT_SYSTEM);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
    fprintf(stderr, "svr-conductor: %s: %s\n", g_db, sqlite3_errmsg(db));
    exit(SVR_EXIT_SYSTEM);
  }
  return s;
}

static const char *col(sqlite3_stmt *s, int i) {
  const unsigned char *t = sqlite3_column_text(s, i);
  return t ? (const char *)t : "";
}

static void fmt_time(char *buf, size_t cap, int64_t ns) {
  time_t t;
  struct tm tm;
  if (ns <= 0) {
    snprintf(buf, cap, "never");
    return;
  }
  t = (time_t)(ns / 1000000000LL);
  gmtime_r(&t, &tm);
  strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Stored text comes from routers: escaped for the terminal and JSON alike
 * (cglue_escape), then JSON-quoted. */
static void json_str(const char *raw) {
  char buf[4 * 4096 + 1];
  const char *s = buf;
  cglue_escape(buf, sizeof buf, raw);
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      printf("\\%c", ch);
    } else if (ch < 0x20) {
      printf("\\u%04x", ch);
    } else {
      putchar(ch);
    }
  }
  putchar('"');
}

/* A text table: rows of NCOL strings escaped for the terminal. */
#define MAXCOL 10
typedef struct table {
  int ncol;
  const char *head[MAXCOL];
  char **cells;
  size_t nrows, cap;
} table;

static void table_add(table *t, const char *const *vals) {
  int i;
  if (t->nrows == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 64;
    t->cells = realloc(t->cells, t->cap * (size_t)t->ncol * sizeof(char *));
    if (t->cells == NULL) {
      fprintf(stderr, "svr-conductor: out of memory\n");
      exit(SVR_EXIT_SYSTEM);
    }
  }
  for (i = 0; i < t->ncol; i++) {
    char buf[4 * 4096 + 1];
    cglue_escape(buf, sizeof buf, vals[i]);
    t->cells[t->nrows * (size_t)t->ncol + (size_t)i] = strdup(buf);
  }
  t->nrows++;
}

/* Prints the table in the suite's style (svr_table.h) and frees it. */
static void table_print(table *t) {
  char *s = svr_table_grid(t->head, t->ncol, (const char *const *)t->cells,
                           t->nrows, 0);
  size_t i;
  if (s == NULL) {
    fprintf(stderr, "svr-conductor: out of memory\n");
    exit(SVR_EXIT_SYSTEM);
  }
  fputs(s, stdout);
  free(s);
  for (i = 0; i < t->nrows * (size_t)t->ncol; i++) {
    free(t->cells[i]);
  }
  free(t->cells);
}

typedef struct show_args {
  const char *router;
  int json;
  int shelved;
} show_args;

static void parse_show(int argc, char **argv, show_args *a, int allow_shelved) {
  static const struct option opts[] = {{"router", required_argument, NULL, 'r'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"shelved", no_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  memset(a, 0, sizeof *a);
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      a->router = optarg;
      break;
    case 'j':
      a->json = 1;
      break;
    case 's':
      if (!allow_shelved) {
        usage_error("--shelved only applies to show alarms%s", "");
      }
      a->shelved = 1;
      break;
    case 'h':
      fputs(usage_text, stdout);
      exit(0);
    default:
      svr_cli_bad_option(PROG, argv, optind);
    }
  }
  if (optind < argc) {
    usage_error("show: unexpected argument '%s'", argv[optind]);
  }
}

static int show_alarms(int argc, char **argv) {
  show_args a;
  sqlite3 *db;
  sqlite3_stmt *s;
  table t = {6, {"ID", "Time", "Severity", "Source", "Category", "Message"},
             NULL, 0, 0};
  int64_t nshelved = 0;
  int first = 1;
  parse_show(argc, argv, &a, 1);
  db = open_ro();
  s = prep(db, "SELECT alarm_id,time_ns,severity,source,category,message,"
               "router,node,alarm_num FROM alarms WHERE shelved=?1 AND "
               "(?2 IS NULL OR router=?2) ORDER BY time_ns,alarm_id");
  sqlite3_bind_int(s, 1, a.shelved);
  if (a.router) {
    sqlite3_bind_text(s, 2, a.router, -1, SQLITE_STATIC);
  }
  if (a.json) {
    printf("[");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    char tb[32];
    const char *sev =
        conductor_severity_name((uint8_t)sqlite3_column_int(s, 2));
    fmt_time(tb, sizeof tb, sqlite3_column_int64(s, 1));
    if (a.json) {
      printf("%s\n  {\"id\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"router\": ");
      json_str(col(s, 6));
      printf(", \"node\": ");
      json_str(col(s, 7));
      printf(", \"time_ns\": %lld, \"time\": \"%sZ\", \"severity\": \"%s\", "
             "\"source\": ",
             (long long)sqlite3_column_int64(s, 1), tb, sev);
      json_str(col(s, 3));
      printf(", \"category\": ");
      json_str(col(s, 4));
      printf(", \"message\": ");
      json_str(col(s, 5));
      printf(", \"shelved\": %s}", a.shelved ? "true" : "false");
      first = 0;
    } else {
      const char *v[6] = {col(s, 0), tb, sev, col(s, 3), col(s, 4), col(s, 5)};
      table_add(&t, v);
    }
  }
  sqlite3_finalize(s);
  s = prep(db, "SELECT count(*) FROM alarms WHERE shelved=1 AND "
               "(?1 IS NULL OR router=?1)");
  if (a.router) {
    sqlite3_bind_text(s, 1, a.router, -1, SQLITE_STATIC);
  }
  if (sqlite3_step(s) == SQLITE_ROW) {
    nshelved = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  if (a.json) {
    printf("%s]\n", first ? "" : "\n");
  } else {
    size_t n = t.nrows;
    table_print(&t);
    printf("\n%zu %salarm%s. There are %lld shelved alarms\n", n,
           a.shelved ? "shelved " : "", n == 1 ? "" : "s",
           (long long)nshelved);
  }
  sqlite3_close(db);
  return 0;
}

static void fmt_bps(char *buf, size_t cap, int64_t bps) {
  if (bps >= 1000000000) {
    snprintf(buf, cap, "%.2f Gbps", (double)bps / 1e9);
  } else if (bps >= 1000000) {
    snprintf(buf, cap, "%.2f Mbps", (double)bps / 1e6);
  } else if (bps >= 1000) {
    snprintf(buf, cap, "%.2f Kbps", (double)bps / 1e3);
  } else {
    snprintf(buf, cap, "%lld bps", (long long)bps);
  }
}

static int show_entitlement(int argc, char **argv) {
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  show_args a;
  sqlite3 *db;
  sqlite3_stmt *s;
  table t = {3, {"Project", "Month", "Entitlement Utilized"}, NULL, 0, 0};
  char cur[8];
  time_t now = time(NULL);
  struct tm tm;
  int first = 1;
  parse_show(argc, argv, &a, 0);
  gmtime_r(&now, &tm);
  strftime(cur, sizeof cur, "%Y-%m", &tm);
  db = open_ro();
  s = prep(db, "SELECT router,month,peak_bps FROM entitlement WHERE "
               "(?1 IS NULL OR router=?1) ORDER BY router,month");
  if (a.router) {
    sqlite3_bind_text(s, 1, a.router, -1, SQLITE_STATIC);
  }
  if (a.json) {
    printf("[");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    const char *month = col(s, 1);
    int y = 0, m = 0;
    char mb[32], vb[32];
    int current = strcmp(month, cur) == 0;
    sscanf(month, "%d-%d", &y, &m);
    snprintf(mb, sizeof mb, "%s%s %d", current ? "*" : "",
             m >= 1 && m <= 12 ? mon[m - 1] : "?", y);
    fmt_bps(vb, sizeof vb, sqlite3_column_int64(s, 2));
    if (a.json) {
      printf("%s\n  {\"project\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"month\": \"%s\", \"current\": %s, \"peak_bps\": %lld}",
             month, current ? "true" : "false",
             (long long)sqlite3_column_int64(s, 2));
      first = 0;
    } else {
      const char *v[3] = {col(s, 0), mb, vb};
      table_add(&t, v);
    }
  }
  sqlite3_finalize(s);
  if (a.json) {
    printf("%s]\n", first ? "" : "\n");
  } else {
    table_print(&t);
  }
  sqlite3_close(db);
  return 0;
}

/* The asset tables exist once a node ran with the asset channel. */
static int have_asset_tables(sqlite3 *db) {
  sqlite3_stmt *s = prep(db, "SELECT count(*) FROM sqlite_master WHERE "
                             "type='table' AND name IN ('assets',"
                             "'asset_software')");
  int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  return n == 2;
}

/* show assets: one row per router node known to this conductor node, by
 * its 930 connection or its asset channel (docs/libconductor.md 10.4):
 * the product's Asset Id, Router, Node, Version, Status, then the 930
 * connection's Conductor Node, State, Since and Last Keepalive. */
static int show_assets(int argc, char **argv) {
  show_args a;
  sqlite3 *db;
  sqlite3_stmt *s;
  table t = {9,
             {"Asset Id", "Router", "Node", "Version", "Status",
              "Conductor Node", "State", "Since", "Last Keepalive"},
             NULL,
             0,
             0};
  int first = 1;
  parse_show(argc, argv, &a, 0);
  db = open_ro();
  if (have_asset_tables(db)) {
    s = prep(db,
             "WITH k(router,node,cn) AS (SELECT router,node,conductor_node "
             "FROM connections UNION SELECT router,node,conductor_node FROM "
             "assets) SELECT k.router,k.node,k.cn,c.state,c.since_ns,"
             "c.last_ka_ns,a.asset_id,a.version,a.status FROM k LEFT JOIN "
             "connections c ON c.router=k.router AND c.node=k.node AND "
             "c.conductor_node=k.cn LEFT JOIN assets a ON a.router=k.router "
             "AND a.node=k.node AND a.conductor_node=k.cn WHERE (?1 IS NULL "
             "OR k.router=?1) ORDER BY k.router,k.node,k.cn");
  } else {
    s = prep(db, "SELECT router,node,conductor_node,state,since_ns,"
                 "last_ka_ns,NULL,NULL,NULL FROM connections WHERE (?1 IS "
                 "NULL OR router=?1) ORDER BY router,node,conductor_node");
  }
  if (a.router) {
    sqlite3_bind_text(s, 1, a.router, -1, SQLITE_STATIC);
  }
  if (a.json) {
    printf("[");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    char sb[32], kb[32];
    /* no asset row: the router has no asset channel to this node yet */
    const char *status = sqlite3_column_type(s, 8) == SQLITE_NULL
                             ? "not-connected"
                             : col(s, 8);
    const char *state =
        sqlite3_column_type(s, 3) == SQLITE_NULL ? "-" : col(s, 3);
    fmt_time(sb, sizeof sb, sqlite3_column_int64(s, 4));
    fmt_time(kb, sizeof kb, sqlite3_column_int64(s, 5));
    if (a.json) {
      printf("%s\n  {\"asset_id\": ", first ? "" : ",");
      json_str(col(s, 6));
      printf(", \"router\": ");
      json_str(col(s, 0));
      printf(", \"node\": ");
      json_str(col(s, 1));
      printf(", \"version\": ");
      json_str(col(s, 7));
      printf(", \"status\": ");
      json_str(status);
      printf(", \"conductor_node\": ");
      json_str(col(s, 2));
      printf(", \"state\": ");
      json_str(state);
      printf(", \"since_ns\": %lld, \"last_keepalive_ns\": %lld}",
             (long long)sqlite3_column_int64(s, 4),
             (long long)sqlite3_column_int64(s, 5));
      first = 0;
    } else {
      const char *v[9] = {col(s, 6)[0] ? col(s, 6) : "-",
                          col(s, 0),
                          col(s, 1),
                          col(s, 7)[0] ? col(s, 7) : "-",
                          status,
                          col(s, 2),
                          state,
                          sb,
                          kb};
      table_add(&t, v);
    }
  }
  sqlite3_finalize(s);
  if (a.json) {
    printf("%s]\n", first ? "" : "\n");
  } else {
    table_print(&t);
  }
  sqlite3_close(db);
  return 0;
}

/* show assets software: what each router node runs and may download, as
 * its last answer to the software version check said. */
static int show_assets_software(int argc, char **argv) {
  show_args a;
  sqlite3 *db;
  sqlite3_stmt *s = NULL;
  table t = {5, {"Router", "Node", "Installed", "Available", "Checked"},
             NULL, 0, 0};
  int first = 1;
  parse_show(argc, argv, &a, 0);
  db = open_ro();
  if (have_asset_tables(db)) {
    s = prep(db, "SELECT router,node,installed,available,checked_ns FROM "
                 "asset_software WHERE (?1 IS NULL OR router=?1) ORDER BY "
                 "router,node,conductor_node");
    if (a.router) {
      sqlite3_bind_text(s, 1, a.router, -1, SQLITE_STATIC);
    }
  }
  if (a.json) {
    printf("[");
  }
  while (s != NULL && sqlite3_step(s) == SQLITE_ROW) {
    char cb[32];
    int checked = sqlite3_column_int64(s, 4) != 0;
    fmt_time(cb, sizeof cb, sqlite3_column_int64(s, 4));
    if (a.json) {
      const char *av = col(s, 3);
      printf("%s\n  {\"router\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"node\": ");
      json_str(col(s, 1));
      printf(", \"installed\": ");
      json_str(col(s, 2));
      printf(", \"available\": ");
      if (!checked) {
        printf("null");
      } else {
        /* versions are A-Z a-z 0-9 . _ - + ~ only: no escaping needed */
        printf("[");
        while (*av) {
          const char *comma = strchr(av, ',');
          size_t n = comma ? (size_t)(comma - av) : strlen(av);
          printf("\"%.*s\"%s", (int)n, av, comma ? ", " : "");
          av += n + (comma ? 1 : 0);
        }
        printf("]");
      }
      printf(", \"checked_ns\": %lld}",
             (long long)sqlite3_column_int64(s, 4));
      first = 0;
    } else {
      const char *v[5] = {col(s, 0), col(s, 1), col(s, 2),
                          !checked        ? "-"
                          : col(s, 3)[0]  ? col(s, 3)
                                          : "none",
                          checked ? cb : "never"};
      table_add(&t, v);
    }
  }
  if (s) {
    sqlite3_finalize(s);
  }
  if (a.json) {
    printf("%s]\n", first ? "" : "\n");
  } else {
    table_print(&t);
  }
  sqlite3_close(db);
  return 0;
}

static int show_routers(int argc, char **argv) {
  show_args a;
  sqlite3 *db;
  sqlite3_stmt *s;
  table t = {3, {"Router", "Key Type", "Fingerprint"}, NULL, 0, 0};
  int first = 1;
  parse_show(argc, argv, &a, 0);
  db = open_ro();
  s = prep(db, "SELECT name,key_type,fingerprint FROM routers WHERE "
               "(?1 IS NULL OR name=?1) ORDER BY name");
  if (a.router) {
    sqlite3_bind_text(s, 1, a.router, -1, SQLITE_STATIC);
  }
  if (a.json) {
    printf("[");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    if (a.json) {
      printf("%s\n  {\"router\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"key_type\": ");
      json_str(col(s, 1));
      printf(", \"fingerprint\": ");
      json_str(col(s, 2));
      printf("}");
      first = 0;
    } else {
      const char *v[3] = {col(s, 0), col(s, 1), col(s, 2)};
      table_add(&t, v);
    }
  }
  sqlite3_finalize(s);
  if (a.json) {
    printf("%s]\n", first ? "" : "\n");
  } else {
    table_print(&t);
  }
  sqlite3_close(db);
  return 0;
}

/* show software repository: what this node hosts and the routers' checks
 * of it (docs/libconductor.md 2.8). */
static int show_repository(int argc, char **argv) {
  show_args a;
  sqlite3 *db;
  sqlite3_stmt *s;
  table t = {8, {"Router", "Node", "Conductor", "Source", "Status",
                 "Latency(ms)", "Last Check", "Reason"}, NULL, 0, 0};
  int first = 1;
  parse_show(argc, argv, &a, 0);
  db = open_ro();
  if (sqlite3_table_column_metadata(db, NULL, "repo_status", "router", NULL,
                                    NULL, NULL, NULL, NULL) != SQLITE_OK) {
    if (a.json) {
      printf("{\"hosted\": [], \"routers\": []}\n");
    } else {
      printf("No repository checks yet (no conductor node of this version "
             "ran on this database).\n");
    }
    sqlite3_close(db);
    return 0;
  }
  s = prep(db, "SELECT conductor_node, repository FROM repo_hosted ORDER BY 1");
  if (a.json) {
    printf("{\"hosted\": [");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    if (a.json) {
      printf("%s{\"conductor_node\": ", first ? "" : ", ");
      json_str(col(s, 0));
      printf(", \"repository\": ");
      json_str(col(s, 1));
      printf("}");
    } else {
      printf("Conductor node %s hosts: %s\n", col(s, 0),
             col(s, 1)[0] ? col(s, 1) : "no software repository");
    }
    first = 0;
  }
  sqlite3_finalize(s);
  s = prep(db, "SELECT router, node, conductor_node, source, status, "
               "latency_ns, checked_ns, reason, probe_ns, probes FROM "
               "repo_status WHERE (?1 IS NULL OR router=?1) ORDER BY 1, 2, 3");
  if (a.router) {
    sqlite3_bind_text(s, 1, a.router, -1, SQLITE_STATIC);
  }
  first = 1;
  if (a.json) {
    printf("], \"routers\": [");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    char lat[32], when[32];
    snprintf(lat, sizeof lat, "%.3f", (double)sqlite3_column_int64(s, 5) / 1e6);
    fmt_time(when, sizeof when, sqlite3_column_int64(s, 6));
    if (a.json) {
      printf("%s\n  {\"router\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"node\": ");
      json_str(col(s, 1));
      printf(", \"conductor_node\": ");
      json_str(col(s, 2));
      printf(", \"source\": ");
      json_str(col(s, 3));
      printf(", \"status\": ");
      json_str(col(s, 4));
      printf(", \"reason\": ");
      json_str(col(s, 7));
      printf(", \"latency_ns\": %lld, \"checked_ns\": %lld, \"probe_ns\": "
             "%lld, \"probes\": %lld}",
             (long long)sqlite3_column_int64(s, 5),
             (long long)sqlite3_column_int64(s, 6),
             (long long)sqlite3_column_int64(s, 8),
             (long long)sqlite3_column_int64(s, 9));
    } else {
      const char *v[8] = {col(s, 0), col(s, 1), col(s, 2), col(s, 3),
                          col(s, 4), lat,       when,      col(s, 7)};
      table_add(&t, v);
    }
    first = 0;
  }
  sqlite3_finalize(s);
  if (a.json) {
    printf("%s]}\n", first ? "" : "\n");
  } else {
    table_print(&t);
  }
  sqlite3_close(db);
  return 0;
}

/* Opens the database for writing (created if missing).  Returns 0, or
 * the exit status after printing why. */
static int open_rw(conductor_store **st) {
  int rv;
  mkdir(g_dir, 0700);
  rv = conductor_store_open(st, g_db, 0);
  if (rv != 0) {
    /* a database, or the directory to create it in, we may not write:
     * permission; anything else: a system error */
    int e = 0;
    if (access(g_db, W_OK) != 0) {
      e = errno;
      if (e == ENOENT) {
        char dir[sizeof g_db];
        char *slash;
        snprintf(dir, sizeof dir, "%s", g_db);
        slash = strrchr(dir, '/');
        if (slash == NULL) {
          snprintf(dir, sizeof dir, ".");
        } else {
          slash[slash == dir ? 1 : 0] = '\0';
        }
        e = access(dir, W_OK | X_OK) == 0 ? 0 : errno;
      }
    }
    fprintf(stderr, "svr-conductor: database %s: %s\n", g_db,
            conductor_store_errmsg(*st));
    conductor_store_close(*st);
    return file_exit(e);
  }
  return 0;
}

/* ---- security elements and rekey ----------------------------------------- */

static void check_name(const char *what, const char *n) {
  if (n[0] == '\0' || strlen(n) >= CONDUCTOR_NAME_MAX) {
    usage_error("%s: router name must be 1-63 characters: '%s'", what, n);
  }
}

static int cmd_security(int argc, char **argv) {
  conductor_store *st = NULL;
  sqlite3 *db;
  sqlite3_stmt *s;
  const char *a, *b;
  int add, changed, rv;
  if (argc != 4 || (strcmp(argv[1], "add") != 0 &&
                    strcmp(argv[1], "remove") != 0)) {
    usage_error("expected 'security add R1 R2' or 'security remove R1 R2'%s",
                "");
  }
  add = strcmp(argv[1], "add") == 0;
  check_name("security", argv[2]);
  check_name("security", argv[3]);
  if (strcmp(argv[2], argv[3]) == 0) {
    usage_error("security: a security element joins two different routers, "
                "got '%s' twice",
                argv[2]);
  }
  /* stored as an unordered pair: a < b */
  a = strcmp(argv[2], argv[3]) < 0 ? argv[2] : argv[3];
  b = a == argv[2] ? argv[3] : argv[2];
  if ((rv = open_rw(&st)) != 0) {
    return rv;
  }
  db = conductor_store_db(st);
  sqlite3_busy_timeout(db, 5000);
  if (add) {
    s = prep(db, "INSERT OR IGNORE INTO security_elements(router_a, "
                 "router_b, created_ns) VALUES(?1,?2,?3)");
    sqlite3_bind_int64(s, 3, (sqlite3_int64)cglue_unix_ns());
  } else {
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    s = prep(db, "DELETE FROM security_keys WHERE router_a=?1 AND "
                 "router_b=?2");
    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_finalize(s);
    s = prep(db, "DELETE FROM key_status WHERE (router=?1 AND peer=?2) OR "
                 "(router=?2 AND peer=?1)");
    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_finalize(s);
    s = prep(db, "DELETE FROM security_elements WHERE router_a=?1 AND "
                 "router_b=?2");
  }
  sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_DONE) {
    fprintf(stderr, "svr-conductor: %s: %s\n", g_db, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    conductor_store_close(st);
    return SVR_EXIT_SYSTEM;
  }
  sqlite3_finalize(s);
  changed = sqlite3_changes(db);
  if (!add) {
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  }
  conductor_store_close(st);
  if (!add && !changed) {
    fprintf(stderr, "svr-conductor: no security element %s <-> %s\n", a, b);
    return SVR_EXIT_NEGATIVE;
  }
  printf("security element %s <-> %s %s\n", a, b,
         add ? (changed ? "added" : "already configured") : "removed");
  return 0;
}

/* What `rekey` and `sync peer addresses` share: the running node takes
 * the request from table |req_table| (the command's name |what|); refused when
 * no security element has |router| (NULL: any).  Returns the exit status;
 * |*n| = the elements concerned. */
static int post_element_request(const char *router, const char *req_table,
                                const char *what, const char *none, int *n) {
  conductor_store *st = NULL;
  sqlite3 *db;
  sqlite3_stmt *s;
  char sql[128];
  int c, rv;
  *n = 0;
  if ((rv = open_rw(&st)) != 0) {
    return rv;
  }
  db = conductor_store_db(st);
  sqlite3_busy_timeout(db, 5000);
  s = prep(db, "SELECT count(*) FROM security_elements WHERE ?1 IS NULL OR "
               "router_a=?1 OR router_b=?1");
  if (router) {
    sqlite3_bind_text(s, 1, router, -1, SQLITE_STATIC);
  }
  if (sqlite3_step(s) == SQLITE_ROW) {
    *n = sqlite3_column_int(s, 0);
  }
  sqlite3_finalize(s);
  if (*n == 0) {
    conductor_store_close(st);
    fprintf(stderr, "svr-conductor: no security element%s%s: %s "
                    "(svr-conductor security add R1 R2)\n",
            router ? " with router " : "", router ? router : "", none);
    return SVR_EXIT_NEGATIVE;
  }
  snprintf(sql, sizeof sql, "INSERT INTO %s(router, requested_ns) VALUES(?1,?2)",
           req_table);
  s = prep(db, sql);
  if (router) {
    sqlite3_bind_text(s, 1, router, -1, SQLITE_STATIC);
  }
  sqlite3_bind_int64(s, 2, (sqlite3_int64)cglue_unix_ns());
  c = sqlite3_step(s);
  sqlite3_finalize(s);
  conductor_store_close(st);
  if (c != SQLITE_DONE) {
    fprintf(stderr, "svr-conductor: %s: %s request not stored\n", g_db, what);
    return SVR_EXIT_SYSTEM;
  }
  return 0;
}

static int cmd_rekey(int argc, char **argv) {
  static const struct option opts[] = {{"router", required_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *router = NULL;
  int c, n = 0, rv;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      check_name("rekey --router", optarg);
      router = optarg;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      svr_cli_bad_option(PROG, argv, optind);
    }
  }
  if (optind < argc) {
    usage_error("rekey: unexpected argument '%s'", argv[optind]);
  }
  if ((rv = post_element_request(router, "rekey_requests", "rekey",
                                 "nothing to rekey", &n)) != 0) {
    return rv;
  }
  printf("rekey requested for %d security element%s\n", n, n == 1 ? "" : "s");
  return 0;
}

static void fmt_left(char *buf, size_t cap, int64_t interval, int64_t next) {
  int64_t now = (int64_t)cglue_unix_ns(), left;
  if (interval <= 0) {
    snprintf(buf, cap, "n/a");
    return;
  }
  left = next > now ? (next - now) / 1000000000LL : 0;
  snprintf(buf, cap, "%lld hrs %lld min %lld sec", (long long)(left / 3600),
           (long long)(left / 60 % 60), (long long)(left % 60));
}

static int show_key_status(int argc, char **argv) {
  static const struct option opts[] = {{"router", required_argument, NULL, 'r'},
                                       {"node", required_argument, NULL, 'n'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *router = NULL, *node = NULL;
  int json = 0, c, first = 1;
  sqlite3 *db;
  sqlite3_stmt *s, *p;
  int64_t interval = 0, next = 0;
  char next_txt[64];
  table t = {8,
             {"Router", "Node", "Key Manager State", "Rekey Index",
              "Last Rekey", "Next Rekey", "Key Change Count",
              "Key Change Errors"},
             NULL, 0, 0};
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      router = optarg;
      break;
    case 'n':
      node = optarg;
      break;
    case 'j':
      json = 1;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      svr_cli_bad_option(PROG, argv, optind);
    }
  }
  if (optind < argc) {
    usage_error("show security key-status: unexpected argument '%s'",
                argv[optind]);
  }
  db = open_ro();
  s = prep(db, "SELECT interval_ns, next_rekey_ns FROM key_manager LIMIT 1");
  if (sqlite3_step(s) == SQLITE_ROW) {
    interval = sqlite3_column_int64(s, 0);
    next = sqlite3_column_int64(s, 1);
  }
  sqlite3_finalize(s);
  fmt_left(next_txt, sizeof next_txt, interval, next);
  /* every router node that has a key status or a connection and belongs
   * to a security element */
  s = prep(db,
           "WITH members(router) AS (SELECT router_a FROM security_elements "
           " UNION SELECT router_b FROM security_elements),"
           " nodes(router, node) AS (SELECT router, node FROM key_status "
           " UNION SELECT c.router, c.node FROM connections c JOIN members m "
           " ON m.router=c.router) "
           "SELECT n.router, n.node,"
           " coalesce((SELECT state FROM connections c WHERE "
           "  c.router=n.router AND c.node=n.node), 'disconnected'),"
           " coalesce((SELECT max(rekey_index) FROM key_status k WHERE "
           "  k.router=n.router AND k.node=n.node), 0),"
           " coalesce((SELECT max(last_rekey_ns) FROM key_status k WHERE "
           "  k.router=n.router AND k.node=n.node), 0),"
           " coalesce((SELECT sum(change_count) FROM key_status k WHERE "
           "  k.router=n.router AND k.node=n.node), 0),"
           " coalesce((SELECT sum(error_count) FROM key_status k WHERE "
           "  k.router=n.router AND k.node=n.node), 0),"
           " (SELECT last_error FROM key_status k WHERE k.router=n.router AND "
           "  k.node=n.node AND last_error IS NOT NULL ORDER BY updated_ns "
           "  DESC LIMIT 1),"
           /* behind: an element of the router with a pending key, or one
            * whose active key this node has not acknowledged */
           " (SELECT count(*) FROM security_elements e WHERE "
           "  (e.router_a=n.router OR e.router_b=n.router) AND "
           "  (e.pending_index > 0 OR e.active_index > coalesce((SELECT "
           "   rekey_index FROM key_status k WHERE k.router=n.router AND "
           "   k.node=n.node AND k.peer=(CASE WHEN e.router_a=n.router THEN "
           "   e.router_b ELSE e.router_a END)), 0))),"
           " (SELECT count(*) FROM security_elements e WHERE "
           "  (e.router_a=n.router OR e.router_b=n.router) AND "
           "  e.active_index > 0) "
           "FROM nodes n WHERE (?1 IS NULL OR n.router=?1) AND "
           "(?2 IS NULL OR n.node=?2) ORDER BY n.router, n.node");
  if (router) {
    sqlite3_bind_text(s, 1, router, -1, SQLITE_STATIC);
  }
  if (node) {
    sqlite3_bind_text(s, 2, node, -1, SQLITE_STATIC);
  }
  p = prep(db, "SELECT k.peer, k.rekey_index, k.change_count, k.error_count,"
               " coalesce(e.active_index, 0), coalesce(e.pending_index, 0) "
               "FROM key_status k LEFT JOIN security_elements e ON "
               "(e.router_a=k.router AND e.router_b=k.peer) OR "
               "(e.router_b=k.router AND e.router_a=k.peer) "
               "WHERE k.router=?1 AND k.node=?2 ORDER BY k.peer");
  if (json) {
    printf("[");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    const char *conn = col(s, 2);
    const char *state;
    char last[32], idx[16], cnt[24], err[24];
    if (strcmp(conn, "connected") != 0) {
      state = "disconnected";
    } else if (sqlite3_column_int(s, 8) > 0) {
      state = "rekeying";
    } else if (sqlite3_column_int(s, 9) == 0) {
      state = "inactive";
    } else {
      state = "active";
    }
    fmt_time(last, sizeof last, sqlite3_column_int64(s, 4));
    snprintf(idx, sizeof idx, "%lld", (long long)sqlite3_column_int64(s, 3));
    snprintf(cnt, sizeof cnt, "%lld", (long long)sqlite3_column_int64(s, 5));
    snprintf(err, sizeof err, "%lld", (long long)sqlite3_column_int64(s, 6));
    if (json) {
      int pf = 1;
      printf("%s\n  {\"router\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"node\": ");
      json_str(col(s, 1));
      printf(", \"key_manager_state\": \"%s\", \"rekey_index\": %s, "
             "\"last_rekey\": ",
             state, idx);
      if (sqlite3_column_int64(s, 4) > 0) {
        json_str(last);
      } else {
        printf("null");
      }
      printf(", \"next_rekey\": \"%s\", \"key_change_count\": %s, "
             "\"key_change_errors\": %s, \"last_error\": ",
             next_txt, cnt, err);
      if (sqlite3_column_type(s, 7) == SQLITE_NULL) {
        printf("null");
      } else {
        json_str(col(s, 7));
      }
      printf(", \"peers\": [");
      sqlite3_bind_text(p, 1, col(s, 0), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(p, 2, col(s, 1), -1, SQLITE_TRANSIENT);
      while (sqlite3_step(p) == SQLITE_ROW) {
        printf("%s{\"peer\": ", pf ? "" : ", ");
        json_str(col(p, 0));
        printf(", \"rekey_index\": %lld, \"key_change_count\": %lld, "
               "\"key_change_errors\": %lld, \"element_active_index\": "
               "%lld, \"element_pending_index\": %lld}",
               (long long)sqlite3_column_int64(p, 1),
               (long long)sqlite3_column_int64(p, 2),
               (long long)sqlite3_column_int64(p, 3),
               (long long)sqlite3_column_int64(p, 4),
               (long long)sqlite3_column_int64(p, 5));
        pf = 0;
      }
      sqlite3_reset(p);
      printf("]}");
      first = 0;
    } else {
      const char *v[8] = {col(s, 0), col(s, 1), state, idx,
                          last,      next_txt,  cnt,   err};
      table_add(&t, v);
    }
  }
  sqlite3_finalize(p);
  sqlite3_finalize(s);
  if (json) {
    printf("%s]\n", first ? "" : "\n");
  } else {
    table_print(&t);
  }
  sqlite3_close(db);
  return 0;
}

/* ---- dynamic peer update -------------------------------------------------- */

static int cmd_sync(int argc, char **argv) {
  static const struct option opts[] = {{"router", required_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *router = NULL;
  int c, n = 0, rv;
  if (argc < 3 || strcmp(argv[1], "peer") != 0 ||
      strcmp(argv[2], "addresses") != 0) {
    usage_error("expected 'sync peer addresses [--router R]'%s", "");
  }
  argc -= 2;
  argv += 2;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      check_name("sync peer addresses --router", optarg);
      router = optarg;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      svr_cli_bad_option(PROG, argv, optind);
    }
  }
  if (optind < argc) {
    usage_error("sync peer addresses: unexpected argument '%s'", argv[optind]);
  }
  if ((rv = post_element_request(router, "peer_address_sync", "sync",
                                 "no router peers with another", &n)) != 0) {
    return rv;
  }
  printf("peer address sync requested%s%s (%d security element%s)\n",
         router ? " for router " : "", router ? router : "", n,
         n == 1 ? "" : "s");
  return 0;
}

static int show_dpu(int argc, char **argv) {
  static const struct option opts[] = {{"router", required_argument, NULL, 'r'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *router = NULL;
  int json = 0, c, first = 1;
  sqlite3 *db;
  sqlite3_stmt *s;
  table lt = {8,
              {"Router", "Node", "Neighborhood", "Interface", "Address",
               "Port", "Changes", "Updated"},
              NULL, 0, 0};
  table pt = {8,
              {"Router", "Node", "Peer", "Peer Node", "Neighborhood",
               "Address", "Port", "Pushed"},
              NULL, 0, 0};
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      router = optarg;
      break;
    case 'j':
      json = 1;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      svr_cli_bad_option(PROG, argv, optind);
    }
  }
  if (optind < argc) {
    usage_error("show dynamic-peer-update: unexpected argument '%s'",
                argv[optind]);
  }
  db = open_ro();
  s = prep(db, "SELECT router, node, neighborhood, interface, address, "
               "port, change_count, updated_ns FROM peer_addresses WHERE "
               "?1 IS NULL OR router=?1 ORDER BY router, node, neighborhood");
  if (router) {
    sqlite3_bind_text(s, 1, router, -1, SQLITE_STATIC);
  }
  if (json) {
    printf("{\"learned\": [");
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    char port[8], chg[24], when[32];
    snprintf(port, sizeof port, "%d", sqlite3_column_int(s, 5));
    snprintf(chg, sizeof chg, "%lld", (long long)sqlite3_column_int64(s, 6));
    fmt_time(when, sizeof when, sqlite3_column_int64(s, 7));
    if (json) {
      printf("%s\n  {\"router\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"node\": ");
      json_str(col(s, 1));
      printf(", \"neighborhood\": ");
      json_str(col(s, 2));
      printf(", \"interface\": ");
      json_str(col(s, 3));
      printf(", \"address\": ");
      json_str(col(s, 4));
      printf(", \"port\": %s, \"change_count\": %s, \"updated\": ", port,
             chg);
      json_str(when);
      printf(", \"updated_ns\": %lld}",
             (long long)sqlite3_column_int64(s, 7));
      first = 0;
    } else {
      char v[8][256];
      const char *pv[8];
      int i;
      for (i = 0; i < 5; i++) {
        cglue_escape(v[i], sizeof v[i], col(s, i));
      }
      snprintf(v[5], sizeof v[5], "%s", port);
      snprintf(v[6], sizeof v[6], "%s", chg);
      snprintf(v[7], sizeof v[7], "%s", when);
      for (i = 0; i < 8; i++) {
        pv[i] = v[i];
      }
      table_add(&lt, pv);
    }
  }
  sqlite3_finalize(s);
  s = prep(db, "SELECT router, node, peer, peer_node, neighborhood, address, "
               "port, pushed_ns FROM peer_address_pushes WHERE ?1 IS NULL OR "
               "router=?1 ORDER BY router, node, peer, peer_node, "
               "neighborhood");
  if (router) {
    sqlite3_bind_text(s, 1, router, -1, SQLITE_STATIC);
  }
  if (json) {
    printf("%s],\n \"peers\": [", first ? "" : "\n");
    first = 1;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    char port[8], when[32];
    snprintf(port, sizeof port, "%d", sqlite3_column_int(s, 6));
    fmt_time(when, sizeof when, sqlite3_column_int64(s, 7));
    if (json) {
      printf("%s\n  {\"router\": ", first ? "" : ",");
      json_str(col(s, 0));
      printf(", \"node\": ");
      json_str(col(s, 1));
      printf(", \"peer\": ");
      json_str(col(s, 2));
      printf(", \"peer_node\": ");
      json_str(col(s, 3));
      printf(", \"neighborhood\": ");
      json_str(col(s, 4));
      printf(", \"address\": ");
      json_str(col(s, 5));
      printf(", \"port\": %s, \"pushed\": ", port);
      json_str(when);
      printf(", \"pushed_ns\": %lld}", (long long)sqlite3_column_int64(s, 7));
      first = 0;
    } else {
      char v[8][256];
      const char *pv[8];
      int i;
      for (i = 0; i < 6; i++) {
        cglue_escape(v[i], sizeof v[i], col(s, i));
      }
      snprintf(v[6], sizeof v[6], "%s", port);
      snprintf(v[7], sizeof v[7], "%s", when);
      for (i = 0; i < 8; i++) {
        pv[i] = v[i];
      }
      table_add(&pt, pv);
    }
  }
  sqlite3_finalize(s);
  if (json) {
    printf("%s]}\n", first ? "" : "\n");
  } else {
    printf("Learned addresses\n");
    table_print(&lt);
    printf("\nPeer addresses (pushed to each router node)\n");
    table_print(&pt);
  }
  sqlite3_close(db);
  return 0;
}

static int cmd_enroll(int argc, char **argv) {
  char type[64], b64[2048], fp[128], owner[CONDUCTOR_NAME_MAX];
  conductor_store *st = NULL;
  int rv, force = 0;
  if (argc >= 2 && strcmp(argv[1], "--force") == 0) {
    force = 1;
    argc--;
    argv++;
  }
  if (argc != 3) {
    usage_error("enroll needs [--force] ROUTER and KEY.pub%s", "");
  }
  if (!cglue_name_ok(argv[1])) {
    usage_error("router name must be 1-63 characters of A-Z a-z 0-9 . _ -: "
                "'%s'",
                argv[1]);
  }
  rv = conductor_key_read_public(argv[2], type, sizeof type, b64, sizeof b64,
                                 fp, sizeof fp);
  if (rv != 0) {
    if (access(argv[2], R_OK) != 0) {
      int e = errno;
      fprintf(stderr, "svr-conductor: %s: %s\n", argv[2], strerror(e));
      return e == EACCES || e == EPERM ? SVR_EXIT_PERMISSION : SVR_EXIT_USAGE;
    }
    fprintf(stderr, "svr-conductor: %s: not an OpenSSH public key\n",
            argv[2]);
    return SVR_EXIT_USAGE;
  }
  if ((rv = open_rw(&st)) != 0) {
    return rv;
  }
  owner[0] = '\0';
  rv = conductor_store_lookup_key(st, b64, owner, sizeof owner);
  if (rv != 0 && rv != CONDUCTOR_ERR_NOT_FOUND) {
    fprintf(stderr, "svr-conductor: enroll: %s\n", conductor_store_errmsg(st));
    conductor_store_close(st);
    return SVR_EXIT_SYSTEM;
  }
  if (rv == 0 && strcmp(owner, argv[1]) != 0 && !force) {
    /* One key, one router: moving it silently would let router |owner|'s
     * host speak as argv[1]. */
    fprintf(stderr,
            "svr-conductor: enroll: key %s is already enrolled for router "
            "%s; 'enroll --force %s %s' moves it (router %s loses it, and "
            "its live connections are closed)\n",
            fp, owner, argv[1], argv[2], owner);
    conductor_store_close(st);
    return SVR_EXIT_NEGATIVE;
  }
  rv = conductor_store_enroll(st, argv[1], type, b64, fp);
  if (rv != 0) {
    fprintf(stderr, "svr-conductor: enroll: %s\n", conductor_store_errmsg(st));
    conductor_store_close(st);
    return SVR_EXIT_SYSTEM;
  }
  conductor_store_close(st);
  if (owner[0] != '\0' && strcmp(owner, argv[1]) != 0) {
    printf("enrolled router %s key %s %s (moved from router %s; a running "
           "conductor node closes its connections with this key within a "
           "second)\n",
           argv[1], type, fp, owner);
  } else {
    printf("enrolled router %s key %s %s\n", argv[1], type, fp);
  }
  return 0;
}

static int cmd_unenroll(int argc, char **argv) {
  conductor_store *st = NULL;
  unsigned removed = 0;
  int rv;
  if (argc != 2) {
    usage_error("unenroll needs ROUTER%s", "");
  }
  if ((rv = open_rw(&st)) != 0) {
    return rv;
  }
  rv = conductor_store_unenroll(st, argv[1], &removed);
  if (rv == CONDUCTOR_ERR_NOT_FOUND) {
    fprintf(stderr, "svr-conductor: unenroll: no key is enrolled for router "
                    "%s\n", argv[1]);
    conductor_store_close(st);
    return SVR_EXIT_NEGATIVE;
  }
  if (rv != 0) {
    fprintf(stderr, "svr-conductor: unenroll: %s\n",
            conductor_store_errmsg(st));
    conductor_store_close(st);
    return SVR_EXIT_SYSTEM;
  }
  conductor_store_close(st);
  printf("unenrolled router %s: %u key%s revoked; a running conductor node "
         "closes its connections within a second\n",
         argv[1], removed, removed == 1 ? "" : "s");
  return 0;
}

static int cmd_shelve(int argc, char **argv, int shelve) {
  conductor_store *st = NULL;
  int rv;
  if (argc != 2) {
    usage_error("%s needs an alarm ID (see show alarms)",
                shelve ? "shelve" : "unshelve");
  }
  if ((rv = open_rw(&st)) != 0) {
    return rv;
  }
  rv = conductor_store_shelve(st, argv[1], shelve);
  conductor_store_close(st);
  if (rv == CONDUCTOR_ERR_NOT_FOUND) {
    fprintf(stderr, "svr-conductor: no active alarm with ID %s\n", argv[1]);
    return SVR_EXIT_NEGATIVE;
  }
  if (rv != 0) {
    fprintf(stderr, "svr-conductor: shelve failed\n");
    return SVR_EXIT_SYSTEM;
  }
  printf("%s %s\n", shelve ? "shelved" : "unshelved", argv[1]);
  return 0;
}

/* keygen FILE: 0, or NEGATIVE when FILE or FILE.pub exists (refused),
 * PERMISSION, SYSTEM. */
static int keygen(const char *prog, const char *path) {
  int rv = conductor_key_generate(path);
  int e = errno;
  if (rv == 0) {
    printf("wrote %s and %s.pub\n", path, path);
    return 0;
  }
  if (rv != CONDUCTOR_ERR_IO) {
    fprintf(stderr, "%s: cannot write key %s: %s\n", prog, path,
            conductor_strerror(rv));
    return SVR_EXIT_SYSTEM;
  }
  fprintf(stderr, "%s: cannot write key %s: %s\n", prog, path, strerror(e));
  return e == EEXIST ? SVR_EXIT_NEGATIVE : file_exit(e);
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                       {"db", required_argument, NULL, 'b'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"version", no_argument, NULL, 'V'},
                                       {NULL, 0, NULL, 0}};
  int c;
  const char *db = NULL;
  /* Global options stop at the command word. */
  opterr = 0; /* our own usage errors, without the path we run by */
  while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
    switch (c) {
    case 'V':
      printf("svr-conductor (libconductor %s)\n", conductor_version(0)->version_str);
      return 0;
    case 'd':
      snprintf(g_dir, sizeof g_dir, "%s", optarg);
      break;
    case 'b':
      db = optarg;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      svr_cli_bad_option(PROG, argv, optind);
    }
  }
  if (db) {
    snprintf(g_db, sizeof g_db, "%s", db);
  } else {
    snprintf(g_db, sizeof g_db, "%s/conductor.db", g_dir);
  }
  if (optind >= argc) {
    usage_error("a command is needed (run, enroll, unenroll, show, shelve, "
                "keygen)%s",
                "");
  }
  argc -= optind;
  argv += optind;
  if (strcmp(argv[0], "run") == 0) {
    return cmd_run(argc, argv);
  }
  if (strcmp(argv[0], "enroll") == 0) {
    return cmd_enroll(argc, argv);
  }
  if (strcmp(argv[0], "unenroll") == 0) {
    return cmd_unenroll(argc, argv);
  }
  if (strcmp(argv[0], "shelve") == 0) {
    return cmd_shelve(argc, argv, 1);
  }
  if (strcmp(argv[0], "unshelve") == 0) {
    return cmd_shelve(argc, argv, 0);
  }
  if (strcmp(argv[0], "security") == 0) {
    return cmd_security(argc, argv);
  }
  if (strcmp(argv[0], "rekey") == 0) {
    return cmd_rekey(argc, argv);
  }
  if (strcmp(argv[0], "sync") == 0) {
    return cmd_sync(argc, argv);
  }
  if (strcmp(argv[0], "logs") == 0) {
    return svr_conductor_logs(argc, argv);
  }
  if (strcmp(argv[0], "connect") == 0) {
    return svr_conductor_connect(argc, argv);
  }
  if (strcmp(argv[0], "keygen") == 0) {
    if (argc != 2) {
      usage_error("keygen needs FILE%s", "");
    }
    return keygen(PROG, argv[1]);
  }
  if (strcmp(argv[0], "show") == 0) {
    if (argc < 2) {
      usage_error("show what? (alarms, entitlement, assets, routers, security "
                  "key-status, dynamic-peer-update)%s",
                  "");
    }
    argc--;
    argv++;
    if (strcmp(argv[0], "alarms") == 0) {
      return show_alarms(argc, argv);
    }
    if (strcmp(argv[0], "assets") == 0 && argc >= 2 &&
        strcmp(argv[1], "software") == 0) {
      return show_assets_software(argc - 1, argv + 1);
    }
    if (strcmp(argv[0], "entitlement") == 0) {
      return show_entitlement(argc, argv);
    }
    if (strcmp(argv[0], "assets") == 0) {
      return show_assets(argc, argv);
    }
    if (strcmp(argv[0], "routers") == 0) {
      return show_routers(argc, argv);
    }
    if (strcmp(argv[0], "security") == 0 && argc >= 2 &&
        strcmp(argv[1], "key-status") == 0) {
      return show_key_status(argc - 1, argv + 1);
    }
    if (strcmp(argv[0], "dynamic-peer-update") == 0) {
      return show_dpu(argc, argv);
    }
    if (strcmp(argv[0], "software") == 0 && argc >= 2 &&
        strcmp(argv[1], "repository") == 0) {
      return show_repository(argc - 1, argv + 1);
    }
    usage_error("unknown show target '%s'", argv[0]);
  }
  usage_error("unknown command '%s'", argv[0]);
}
