/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: command line.  `svr-router -c FILE` runs the daemon;
 * `svr-router -c FILE check` validates a configuration; `svr-router show
 * peers [detail] [--json]` asks a running daemon.  docs/svr-router.md.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "router_ctl.h"
#include "router_daemon.h"
#include "svr_cli.h"

#define DEFAULT_CONFIG "/etc/svr-router.conf"

static const char usage_text[] =
"Usage: svr-router [-c FILE] [-v]                 run the router daemon\n"
"       svr-router [-c FILE] check                validate FILE and exit\n"
"       svr-router [-c FILE | -s SOCKET] show peers [detail] [--json]\n"
"       svr-router [-c FILE | -s SOCKET] show [bfd] peers --json --format frr\n"
"       svr-router [-c FILE | -s SOCKET] show udp-transform [--json]\n"
"       svr-router [-c FILE | -s SOCKET] show alarms [--json]\n"
"       svr-router [-c FILE | -s SOCKET] show sessions [--json]\n"
"       svr-router [-c FILE | -s SOCKET] show stats [--json]\n"
"       svr-router [-c FILE | -s SOCKET] show security key-status [--json]\n"
"       svr-router [-c FILE | -s SOCKET] show software repository [--json]\n"
"       svr-router [-c FILE | -s SOCKET] key add PEER ID < HEXKEY\n"
"       svr-router [-c FILE | -s SOCKET] key activate PEER ID\n"
"\n"
"Runs one SVR router node: BFD peer-path detection (libsvrbfd, RFC 5880 on\n"
"the peer-path port) and echo-burst path quality (latency, jitter, loss, MOS)\n"
"toward every configured adjacency, and answers show commands on a local\n"
"control socket (Unix domain, mode 0660).  With 'forwarding enabled' it is\n"
"also an SVR data plane: client traffic to configured services crosses to\n"
"the peer router on waypoints, encrypted, with first-packet metadata\n"
"(docs/dataplane.md; needs CAP_NET_ADMIN).\n"
"\n"
"Options:\n"
"  -c, --config FILE   configuration (default " DEFAULT_CONFIG "); format in\n"
"                      docs/svr-router.md, example in examples/router-a.conf\n"
"  -s, --socket PATH   control socket of the daemon to ask (default: the\n"
"                      control-socket of the configuration, or\n"
"                      /run/svr-router-ROUTER.sock)\n"
"      --json          show commands print JSON (schema: docs/svr-router.md)\n"
"      --format svr|frr  show peers --json: our field names (svr, default) or\n"
"                      FRR bfdd's 'show bfd peers json' (frr: an array of\n"
"                      BFD sessions, bfdd's keys and units: status, id,\n"
"                      remote-id, transmit-interval in ms, uptime in s)\n"
"  -v, --verbose       daemon logs every echo burst\n"
"  -h, --help          this text\n"
"  -V, --version       program and library versions\n"
"\n"
"Commands:\n"
"  run                 (default) start the daemon in the foreground; SIGHUP\n"
"                      reloads FILE keeping unchanged sessions, SIGTERM or\n"
"                      SIGINT sends AdminDown to every peer and exits\n"
"  check               parse and validate FILE, print every error as\n"
"                      FILE:LINE: message\n"
"  show peers          Peer, Node, Network Interface, Destination, Status,\n"
"                      Hostname, Path MTU\n"
"  show peers detail   adds Latency(ms), Jitter(ms), Loss(%), MOS, Uptime\n"
"  show udp-transform  firewall detector: Status and Reason(s) per peer\n"
"  show alarms         active peer alarms (ID, Severity, Category, Source,\n"
"                      Message) and the conductor link: nodes up, alarms\n"
"                      not yet acknowledged\n"
"  show sessions       data plane: Tenant, Service, Proto, Source,\n"
"                      Destination, Waypoints, Path, Tx and Rx\n"
"                      packets/bytes, Age/Idle, Transformed\n"
"  show stats          data plane counters and drops by reason\n"
"  show security key-status\n"
"                      keys from the conductor: key manager state, rekey\n"
"                      index, last and next rekey, key change count and\n"
"                      errors, per peer the installed and active index\n"
"  show software repository\n"
"                      checks of the conductor-hosted software repository\n"
"                      (software-repository conductor-only or\n"
"                      prefer-conductor): status, latency, checks per\n"
"                      conductor node\n"
"  key add PEER ID     install data-plane key ID (hex, 16..64 bytes, read\n"
"                      from standard input, never from the command line)\n"
"                      on every path to router PEER; packets with it are\n"
"                      accepted at once\n"
"  key activate PEER ID  send with key ID from now on; the previous key is\n"
"                      still accepted for 30 s.  Rekey without loss: add on\n"
"                      both routers, then activate on both\n"
"\n"
"Exit status (the suite's table, docs/cli.md): 0 success; 2 usage or\n"
"configuration error, or a command the daemon does not know; 4 the control\n"
"socket is not accessible (permission); 5 system error (a socket could not\n"
"be bound, the control socket is taken, the data plane cannot be set up,\n"
"the daemon is not reachable).\n";

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"socket", required_argument, NULL, 's'},
      {"json", no_argument, NULL, 'j'},
      {"format", required_argument, NULL, 'F'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  const char *cfg = NULL, *sock = NULL;
  int json = 0, verbose = 0, frr = 0, ch, i;
  char cmd[384];

  opterr = 0; /* our own message, without the path we were started by */
  while ((ch = getopt_long(argc, argv, "c:s:vhV", opts, NULL)) != -1) {
    switch (ch) {
    case 'c': cfg = optarg; break;
    case 's': sock = optarg; break;
    case 'j': json = 1; break;
    case 'F':
      if (strcmp(optarg, "frr") == 0) {
        frr = 1;
      } else if (strcmp(optarg, "svr") == 0) {
        frr = 0;
      } else {
        svr_cli_usage_error("svr-router", "--format %s: expected svr or frr",
                            optarg);
      }
      break;
    case 'v': verbose = 1; break;
    case 'h': fputs(usage_text, stdout); return RT_EXIT_OK;
    case 'V': {
      const svrbfd_info *in = svrbfd_version(0);
      printf("svr-router %s (libsvrbfd %s)\n", SVRBFD_VERSION,
             in ? in->version_str : "?");
      return RT_EXIT_OK;
    }
    default: svr_cli_bad_option("svr-router", argv, optind);
    }
  }
  if (optind == argc || strcmp(argv[optind], "run") == 0) {
    if (optind < argc && optind + 1 != argc) {
      fprintf(stderr, "svr-router: 'run' takes no arguments\n");
      return RT_EXIT_USAGE;
    }
    return rt_run(cfg ? cfg : DEFAULT_CONFIG, verbose);
  }
  if (strcmp(argv[optind], "check") == 0) {
    rc_config *c = malloc(sizeof(*c));
    char err[8192];
    int n;
    if (optind + 1 != argc) {
      fprintf(stderr, "svr-router: 'check' takes no arguments\n");
      free(c);
      return RT_EXIT_USAGE;
    }
    if (c == NULL) {
      return RT_EXIT_FAIL;
    }
    n = rc_parse_file(c, cfg ? cfg : DEFAULT_CONFIG, err, sizeof(err));
    if (n != 0) {
      fputs(err, stderr);
      fprintf(stderr, "svr-router: %d error%s\n", n, n == 1 ? "" : "s");
      rc_config_free(c);
      return RT_EXIT_USAGE;
    }
    printf("%s: ok: router %s, node %s, %zu interface(s), %zu "
           "neighborhood(s), %zu adjacency(ies), forwarding %s, %zu "
           "tenant(s), %zu service(s)\n", c->file, c->router, c->node,
           c->n_interfaces, c->n_neighborhoods, c->n_adjacencies,
           c->forwarding ? "enabled" : "disabled", c->n_tenants,
           c->n_services);
    rc_config_free(c);
    return RT_EXIT_OK;
  }
  if (strcmp(argv[optind], "key") == 0) {
    char path[RC_PATH_MAX], hex[160];
    const char *sub = optind + 1 < argc ? argv[optind + 1] : "";
    int add = strcmp(sub, "add") == 0 && optind + 4 == argc;
    int act = strcmp(sub, "activate") == 0 && optind + 4 == argc;
    if (!add && !act) {
      fprintf(stderr, "svr-router: usage: key add PEER ID < HEXKEY | key "
                      "activate PEER ID\n");
      return RT_EXIT_USAGE;
    }
    hex[0] = '\0';
    if (add) {
      size_t n;
      if (fgets(hex, sizeof(hex), stdin) == NULL) {
        fprintf(stderr, "svr-router: key add: no key on standard input\n");
        return RT_EXIT_USAGE;
      }
      n = strcspn(hex, " \t\r\n");
      hex[n] = '\0';
    }
    if (sock) {
      snprintf(path, sizeof(path), "%s", sock);
    } else {
      rc_config *c = malloc(sizeof(*c));
      char err[8192];
      if (c == NULL ||
          rc_parse_file(c, cfg ? cfg : DEFAULT_CONFIG, err, sizeof(err)) != 0) {
        if (c) {
          fputs(err, stderr);
        }
        fprintf(stderr, "svr-router: cannot find the control socket; use -s\n");
        rc_config_free(c);
        return RT_EXIT_USAGE;
      }
      rt_default_socket(c);
      snprintf(path, sizeof(path), "%s", c->control_socket);
      rc_config_free(c);
    }
    snprintf(cmd, sizeof(cmd), "key %s %s %s%s%s", sub, argv[optind + 2],
             argv[optind + 3], add ? " " : "", hex);
    i = rt_ctl_request(path, cmd);
    memset(cmd, 0, sizeof(cmd));
    memset(hex, 0, sizeof(hex));
    return i;
  }
  if (strcmp(argv[optind], "show") == 0) {
    int detail = 0, ut = 0, al = 0, first = optind + 2;
    const char *what = optind + 1 < argc ? argv[optind + 1] : "";
    char path[RC_PATH_MAX];
    if (strcmp(what, "bfd") == 0 && optind + 2 < argc &&
        strcmp(argv[optind + 2], "peers") == 0) {
      what = "peers"; /* vtysh's words */
      first = optind + 3;
    } else if (strcmp(what, "security") == 0 && optind + 2 < argc &&
        strcmp(argv[optind + 2], "key-status") == 0) {
      what = "security key-status";
      ut = 1;
      first = optind + 3;
    } else if (strcmp(what, "software") == 0 && optind + 2 < argc &&
               strcmp(argv[optind + 2], "repository") == 0) {
      what = "software repository";
      ut = 1;
      first = optind + 3;
    } else if (strcmp(what, "udp-transform") == 0 || strcmp(what, "sessions") == 0 ||
        strcmp(what, "stats") == 0) {
      ut = 1;
    } else if (strcmp(what, "alarms") == 0) {
      al = 1;
    } else if (strcmp(what, "peers") != 0) {
      fprintf(stderr, "svr-router: usage: show peers [detail] [--json] | "
                      "show udp-transform [--json] | show alarms [--json] | "
                      "show sessions [--json] | show stats [--json] | "
                      "show security key-status [--json] | "
                      "show software repository [--json]\n");
      return RT_EXIT_USAGE;
    }
    for (i = first; i < argc; i++) {
      if (strcmp(argv[i], "detail") == 0 && !ut && !al) {
        detail = 1;
      } else if (strcmp(argv[i], "json") == 0) {
        json = 1;
      } else {
        fprintf(stderr, "svr-router: show %s: unexpected '%s'\n", what,
                argv[i]);
        return RT_EXIT_USAGE;
      }
    }
    if (frr && (strcmp(what, "peers") != 0 || !json || detail)) {
      svr_cli_usage_error("svr-router", "--format frr is for show peers "
                                        "--json (without detail)");
    }
    if (sock) {
      snprintf(path, sizeof(path), "%s", sock);
    } else {
      rc_config *c = malloc(sizeof(*c));
      char err[8192];
      if (c == NULL) {
        return RT_EXIT_FAIL;
      }
      if (rc_parse_file(c, cfg ? cfg : DEFAULT_CONFIG, err, sizeof(err)) != 0) {
        fputs(err, stderr);
        fprintf(stderr, "svr-router: cannot find the control socket; use -s\n");
        rc_config_free(c);
        return RT_EXIT_USAGE;
      }
      rt_default_socket(c);
      snprintf(path, sizeof(path), "%s", c->control_socket);
      rc_config_free(c);
    }
    snprintf(cmd, sizeof(cmd), "show %s%s%s%s", what, detail ? " detail" : "",
             json ? " json" : "", frr ? " frr" : "");
    return rt_ctl_request(path, cmd);
  }
  fprintf(stderr, "svr-router: unknown command '%s'\n%s", argv[optind],
          usage_text);
  return RT_EXIT_USAGE;
}
