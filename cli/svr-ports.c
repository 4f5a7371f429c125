/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-ports: what a firewall between svr-routers, and in front of a
 * conductor, must let through (docs/svr-ports.md).  It reads the routers'
 * own config files with svr-router's parser (cli/router/router_conf.c) and
 * takes every port from the libraries that use it: the peer-path port from
 * the config (default RC_DEFAULT_PORT), the firewall detector's probe ports
 * (SVRFWDET_PORT_A/B), the waypoint range (SVRFWD_WP_DEFAULT_FIRST/LAST),
 * the conductor port (CONDUCTOR_PORT or the config's HOST:PORT).
 *
 * Output: a table (default), an nftables ruleset, iptables commands, or one
 * JSON object (--json).  Exit: 0 done, 2 usage or a bad config file.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <conductor/conductor.h>
#include <svrfwd/svrfwd.h>
#include <svrfwdet/svrfwdet.h>

#include "router_conf.h"
#include "svr_cli.h"
#include "svr_table.h"

/* The product's asset (Salt) channel: the conductor listens on them and the
 * product's routers dial them; svr-suite's daemons do not use them yet
 * (README, "not yet"), but a firewall built for the product must pass them. */
#define PORTS_ASSET_PUB 4505
#define PORTS_ASSET_RET 4506

#define MAX_RULES 4096
#define MAX_NODES 8
#define MAX_CONFIGS 32

typedef struct rule {
  const char *channel; /* bfd, fwdet, waypoint, conductor, asset */
  const char *proto;   /* "udp" or "tcp" */
  svrbfd_addr src;     /* family 0 = any */
  svrbfd_addr dst;
  svrbfd_addr dnat;    /* family 0 = none */
  unsigned lo, hi;
  int used; /* 1 = svr-suite's daemons use it, 0 = the product's only */
  const char *what;
} rule;

typedef struct node {
  svrbfd_addr addr;
  unsigned port;
  svrbfd_addr dnat;
} node;

static rule rules[MAX_RULES];
static size_t n_rules;
static node nodes[MAX_NODES];
static size_t n_nodes;

static void usage(FILE *f) {
  fprintf(f,
"usage: svr-ports [options] ROUTER.conf...\n"
"\n"
"Prints what a firewall must open or forward for the svr-routers of the\n"
"given config files (svr-router's format, docs/svr-router.md): peer paths\n"
"between adjacencies and the management channel to each conductor node.\n"
"\n"
"options:\n"
"  --format F             table (default), nft (an nftables ruleset for a\n"
"                         firewall between the parties: table inet\n"
"                         svr_ports, forward policy drop), iptables\n"
"  --json                 one JSON object (event \"result\") with the rules\n"
"  --conductor-node ADDR  a conductor node, ADDR or ADDR:PORT ([v6]:PORT);\n"
"                         repeatable, added to the configs' 'conductor'\n"
"                         lines (default port %d)\n"
"  --dnat-to ADDR         the conductor sits behind the firewall at ADDR:\n"
"                         DNAT its ports (%d, %d, %d) arriving for the\n"
"                         conductor node to ADDR; repeatable, one per\n"
"                         conductor node in order (configs first)\n"
"  -h, --help             this text\n"
"  -V, --version          program version\n"
"\n"
"exit status (docs/cli.md):\n"
"  0  done\n"
"  2  usage error, or a config file with errors (each printed with its line)\n"
"\n"
"examples:\n"
"  svr-ports examples/router-a.conf\n"
"  svr-ports --format nft a.conf b.conf > fw.nft && nft -c -f fw.nft\n"
"  svr-ports --format nft --conductor-node 192.0.2.10 --dnat-to 10.0.0.10 a.conf\n",
          CONDUCTOR_PORT, CONDUCTOR_PORT, PORTS_ASSET_PUB, PORTS_ASSET_RET);
}

static int addr_eq(const svrbfd_addr *a, const svrbfd_addr *b) {
  size_t n = a->family == 6 ? 16 : 4;
  return a->family == b->family && (a->family == 0 || !memcmp(a->addr, b->addr, n));
}

static void add_rule(const char *channel, const char *proto,
                     const svrbfd_addr *src, const svrbfd_addr *dst,
                     const svrbfd_addr *dnat, unsigned lo, unsigned hi,
                     int used, const char *what) {
  svrbfd_addr none;
  size_t i;
  rule *r;
  memset(&none, 0, sizeof none);
  if (!src) src = &none;
  if (!dnat) dnat = &none;
  for (i = 0; i < n_rules; i++) {
    r = &rules[i];
    if (!strcmp(r->proto, proto) && r->lo == lo && r->hi == hi &&
        addr_eq(&r->src, src) && addr_eq(&r->dst, dst) &&
        addr_eq(&r->dnat, dnat)) {
      return; /* both routers' configs name the same path */
    }
  }
  if (n_rules == MAX_RULES) {
    return;
  }
  r = &rules[n_rules++];
  r->channel = channel;
  r->proto = proto;
  r->src = *src;
  r->dst = *dst;
  r->dnat = *dnat;
  r->src.port = r->dst.port = r->dnat.port = 0;
  r->lo = lo;
  r->hi = hi;
  r->used = used;
  r->what = what;
}

/* One direction of a peer path: |from| sends to |to| (whose peer-path port
 * is to->port). */
static void peer_flows(const svrbfd_addr *from, const svrbfd_addr *to) {
  unsigned port = to->port ? to->port : RC_DEFAULT_PORT;
  add_rule("bfd", "udp", from, to, NULL, port, port, 1,
           "BFD, echo link test, path MTU probes, detector request/report");
  add_rule("fwdet", "tcp", from, to, NULL, SVRFWDET_PORT_A, SVRFWDET_PORT_A, 1,
           "firewall detector probes (mid-flow, jumbo SYN)");
  add_rule("fwdet", "tcp", from, to, NULL, SVRFWDET_PORT_B, SVRFWDET_PORT_B, 1,
           "firewall detector probes (SYN with data, out-of-order)");
  add_rule("waypoint", "udp", from, to, NULL, SVRFWD_WP_DEFAULT_FIRST,
           SVRFWD_WP_DEFAULT_LAST, 1, "data plane: waypoint sessions (UDP, "
           "and TCP carried as UDP)");
  add_rule("waypoint", "tcp", from, to, NULL, SVRFWD_WP_DEFAULT_FIRST,
           SVRFWD_WP_DEFAULT_LAST, 1, "data plane: waypoint sessions (TCP)");
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT", a bare IPv6 address: 0 or -1 (also for
 * a host name: a firewall rule needs an address). */
static int parse_node(const char *s, svrbfd_addr *a, unsigned *port) {
  char host[RC_HOSTPORT_MAX];
  const char *colon;
  char *end;
  long p;
  *port = CONDUCTOR_PORT;
  if (rc_addr_parse(a, s) == 0) {
    return 0;
  }
  colon = strrchr(s, ':');
  if (!colon || colon == s || (size_t)(colon - s) >= sizeof host) {
    return -1;
  }
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  if (host[0] == '[' && host[strlen(host) - 1] == ']') {
    host[strlen(host) - 1] = '\0';
    memmove(host, host + 1, strlen(host));
  }
  p = strtol(colon + 1, &end, 10);
  if (*end || colon[1] == '\0' || p <= 0 || p > 65535) {
    return -1;
  }
  *port = (unsigned)p;
  return rc_addr_parse(a, host);
}

static int add_node(const char *s, const char *where) {
  svrbfd_addr a;
  unsigned port;
  size_t i;
  if (parse_node(s, &a, &port) != 0) {
    fprintf(stderr,
            "svr-ports: %s: conductor '%s' is not ADDR or ADDR:PORT (a host "
            "name cannot go into a firewall rule: give --conductor-node ADDR)\n",
            where, s);
    return -1;
  }
  for (i = 0; i < n_nodes; i++) {
    if (addr_eq(&nodes[i].addr, &a) && nodes[i].port == port) {
      return 0;
    }
  }
  if (n_nodes == MAX_NODES) {
    fprintf(stderr, "svr-ports: more than %d conductor nodes\n", MAX_NODES);
    return -1;
  }
  memset(&nodes[n_nodes], 0, sizeof nodes[n_nodes]);
  nodes[n_nodes].addr = a;
  nodes[n_nodes].port = port;
  n_nodes++;
  return 0;
}

static const char *astr(const svrbfd_addr *a, char *buf, size_t len) {
  if (a->family == 0) {
    snprintf(buf, len, "any");
    return buf;
  }
  return rc_addr_str(a, buf, len);
}

static const char *ports_str(const rule *r, char *buf, size_t len,
                             char sep) {
  if (r->lo == r->hi) {
    snprintf(buf, len, "%u", r->lo);
  } else {
    snprintf(buf, len, "%u%c%u", r->lo, sep, r->hi);
  }
  return buf;
}

static const char *notes[] = {
  "routers dial out to the conductor (TCP): the conductor side must be "
  "reachable (forwarded/DNAT when it sits behind a firewall or NAT); a "
  "router behind NAT needs nothing forwarded for it",
  "peer paths: at least one router of each pair must be reachable on its "
  "peer-path port (UDP) and the detector ports (TCP); the router behind NAT "
  "starts the path, so its peer must accept it from the NAT's public "
  "address, not from the private address in the config",
  "waypoint ports carry traffic only when forwarding is enabled on both "
  "routers of a pair (they are listed regardless); "
  "conntrack (established,related) carries the replies of every flow",
};

static void print_table(void) {
  static const char *const head[6] = {"CHANNEL", "PROTO", "FROM", "TO",
                                      "PORT(S)", "PURPOSE"};
  char s[64], d[64], n[64], p[32], what[512];
  size_t i;
  svr_table tab; /* the suite's table style (svr_table.h) */
  svr_table_init(&tab, 6, head);
  for (i = 0; i < n_rules; i++) {
    const rule *r = &rules[i];
    char to[96];
    const char *row[6];
    if (r->dnat.family) {
      snprintf(to, sizeof to, "%s->%s", astr(&r->dst, d, sizeof d),
               astr(&r->dnat, n, sizeof n));
    } else {
      snprintf(to, sizeof to, "%s", astr(&r->dst, d, sizeof d));
    }
    snprintf(what, sizeof what, "%s%s", r->what,
             r->used ? "" : " (product only)");
    row[0] = r->channel;
    row[1] = r->proto;
    row[2] = astr(&r->src, s, sizeof s);
    row[3] = to;
    row[4] = ports_str(r, p, sizeof p, '-');
    row[5] = what;
    svr_table_add(&tab, row);
  }
  svr_table_print(&tab, stdout);
  svr_table_free(&tab);
  printf("\n");
  for (i = 0; i < sizeof notes / sizeof notes[0]; i++) {
    printf("note: %s\n", notes[i]);
  }
}

static const char *fam_kw(const svrbfd_addr *a) {
  return a->family == 6 ? "ip6" : "ip";
}

static void print_nft(void) {
  char s[64], d[64], n[64], p[32];
  size_t i;
  int any_dnat = 0;
  printf("# svr-ports: firewall between svr-routers and their conductor\n"
         "# (docs/svr-ports.md); apply with: nft -f FILE\n");
  for (i = 0; i < sizeof notes / sizeof notes[0]; i++) {
    printf("# note: %s\n", notes[i]);
  }
  printf("table inet svr_ports {\n");
  for (i = 0; i < n_rules; i++) {
    any_dnat |= rules[i].dnat.family != 0;
  }
  if (any_dnat) {
    printf("  chain prerouting {\n"
           "    type nat hook prerouting priority dstnat; policy accept;\n");
    for (i = 0; i < n_rules; i++) {
      const rule *r = &rules[i];
      if (!r->dnat.family) continue;
      printf("    %s daddr %s %s dport %s counter dnat %s to %s "
             "comment \"%s\"\n",
             fam_kw(&r->dst), astr(&r->dst, d, sizeof d), r->proto,
             ports_str(r, p, sizeof p, '-'), fam_kw(&r->dnat),
             r->dnat.family == 6 ? (snprintf(n, sizeof n, "[%s]",
                                             astr(&r->dnat, s, sizeof s)), n)
                                 : astr(&r->dnat, n, sizeof n),
             r->channel);
    }
    printf("  }\n");
  }
  printf("  chain forward {\n"
         "    type filter hook forward priority filter; policy drop;\n"
         "    ct state established,related accept\n");
  for (i = 0; i < n_rules; i++) {
    const rule *r = &rules[i];
    const svrbfd_addr *dst = r->dnat.family ? &r->dnat : &r->dst;
    printf("    ");
    if (r->src.family) {
      printf("%s saddr %s ", fam_kw(&r->src), astr(&r->src, s, sizeof s));
    }
    printf("%s daddr %s %s dport %s counter accept comment \"%s\"\n",
           fam_kw(dst), astr(dst, d, sizeof d), r->proto,
           ports_str(r, p, sizeof p, '-'), r->channel);
  }
  printf("    counter drop comment \"not in the list\"\n"
         "  }\n"
         "}\n");
}

static void print_iptables(void) {
  char s[64], d[64], n[64], p[32];
  size_t i;
  printf("# svr-ports: firewall between svr-routers and their conductor\n"
         "# (docs/svr-ports.md); run as root\n");
  for (i = 0; i < sizeof notes / sizeof notes[0]; i++) {
    printf("# note: %s\n", notes[i]);
  }
  printf("iptables -P FORWARD DROP\nip6tables -P FORWARD DROP\n"
         "iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
         "ip6tables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
  for (i = 0; i < n_rules; i++) {
    const rule *r = &rules[i];
    const char *ipt = r->dst.family == 6 ? "ip6tables" : "iptables";
    if (!r->dnat.family) continue;
    printf("%s -t nat -A PREROUTING -d %s -p %s --dport %s -j DNAT "
           "--to-destination %s\n", ipt, astr(&r->dst, d, sizeof d), r->proto,
           ports_str(r, p, sizeof p, ':'), astr(&r->dnat, n, sizeof n));
  }
  for (i = 0; i < n_rules; i++) {
    const rule *r = &rules[i];
    const svrbfd_addr *dst = r->dnat.family ? &r->dnat : &r->dst;
    printf("%s -A FORWARD", dst->family == 6 ? "ip6tables" : "iptables");
    if (r->src.family) {
      printf(" -s %s", astr(&r->src, s, sizeof s));
    }
    printf(" -d %s -p %s --dport %s -j ACCEPT -m comment --comment %s\n",
           astr(dst, d, sizeof d), r->proto, ports_str(r, p, sizeof p, ':'),
           r->channel);
  }
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') {
      printf("\\%c", *s);
    } else if ((unsigned char)*s < 0x20) {
      printf("\\u%04x", *s);
    } else {
      putchar(*s);
    }
  }
  putchar('"');
}

static void json_addr(const svrbfd_addr *a) {
  char b[64];
  if (a->family == 0) {
    printf("null");
  } else {
    json_str(rc_addr_str(a, b, sizeof b));
  }
}

static void print_json(char **files, int nfiles) {
  char t[SVR_CLI_TIME_LEN];
  size_t i;
  int k;
  printf("{\"event\":\"result\",\"time\":\"%s\",\"configs\":[",
         svr_cli_time_iso(t, sizeof t, svr_cli_unix_ns()));
  for (k = 0; k < nfiles; k++) {
    printf(k ? "," : "");
    json_str(files[k]);
  }
  printf("],\"rules\":[");
  for (i = 0; i < n_rules; i++) {
    const rule *r = &rules[i];
    printf("%s{\"channel\":\"%s\",\"protocol\":\"%s\",\"source\":", i ? "," : "",
           r->channel, r->proto);
    json_addr(&r->src);
    printf(",\"destination\":");
    json_addr(&r->dst);
    printf(",\"dnat_to\":");
    json_addr(&r->dnat);
    printf(",\"port_first\":%u,\"port_last\":%u,\"used_by_suite\":%s,"
           "\"purpose\":", r->lo, r->hi, r->used ? "true" : "false");
    json_str(r->what);
    printf("}");
  }
  printf("],\"notes\":[");
  for (i = 0; i < sizeof notes / sizeof notes[0]; i++) {
    printf(i ? "," : "");
    json_str(notes[i]);
  }
  printf("]}\n");
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
    {"format", required_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'j'},
    {"conductor-node", required_argument, NULL, 'c'},
    {"dnat-to", required_argument, NULL, 'd'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};
  const char *format = "table";
  const char *cli_nodes[MAX_NODES];
  const char *dnats[MAX_NODES];
  size_t n_cli = 0, n_dnat = 0, i, j;
  int json = 0, c, k;
  static rc_config conf;
  char err[4096];

  while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
    switch (c) {
      case 'f':
        format = optarg;
        if (strcmp(format, "table") && strcmp(format, "nft") &&
            strcmp(format, "iptables")) {
          fprintf(stderr, "svr-ports: --format: '%s' is not table, nft or "
                          "iptables\n", format);
          return SVR_EXIT_USAGE;
        }
        break;
      case 'j': json = 1; break;
      case 'c':
        if (n_cli == MAX_NODES) {
          fprintf(stderr, "svr-ports: more than %d --conductor-node\n", MAX_NODES);
          return SVR_EXIT_USAGE;
        }
        cli_nodes[n_cli++] = optarg;
        break;
      case 'd':
        if (n_dnat == MAX_NODES) {
          fprintf(stderr, "svr-ports: more than %d --dnat-to\n", MAX_NODES);
          return SVR_EXIT_USAGE;
        }
        dnats[n_dnat++] = optarg;
        break;
      case 'h': usage(stdout); return SVR_EXIT_OK;
      case 'V':
        printf("svr-ports (libsvrfwd %s)\n", svrfwd_version(0)->version_str);
        return SVR_EXIT_OK;
      default: usage(stderr); return SVR_EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "svr-ports: no router config file given\n");
    usage(stderr);
    return SVR_EXIT_USAGE;
  }
  if (argc - optind > MAX_CONFIGS) {
    fprintf(stderr, "svr-ports: more than %d config files\n", MAX_CONFIGS);
    return SVR_EXIT_USAGE;
  }
  /* every config first (all errors of all files), then the rules */
  for (k = optind; k < argc; k++) {
    int nerr = rc_parse_file(&conf, argv[k], err, sizeof err);
    if (nerr) {
      fprintf(stderr, "%s", err);
      fprintf(stderr, "svr-ports: %s: %d error(s)\n", argv[k], nerr);
      return SVR_EXIT_USAGE;
    }
    for (i = 0; i < conf.n_adjacencies; i++) {
      const rc_adjacency *a = &conf.adjacencies[i];
      peer_flows(&a->local, &a->remote);
      peer_flows(&a->remote, &a->local);
    }
    for (i = 0; i < conf.n_conductors; i++) {
      char where[RC_FILE_MAX + 32];
      snprintf(where, sizeof where, "%s:%d", argv[k], conf.conductor_line);
      if (add_node(conf.conductors[i], where) != 0) {
        return SVR_EXIT_USAGE;
      }
    }
  }
  for (i = 0; i < n_cli; i++) {
    if (add_node(cli_nodes[i], "--conductor-node") != 0) {
      return SVR_EXIT_USAGE;
    }
  }
  if (n_dnat > n_nodes) {
    fprintf(stderr, "svr-ports: %zu --dnat-to for %zu conductor node(s)\n",
            n_dnat, n_nodes);
    return SVR_EXIT_USAGE;
  }
  for (i = 0; i < n_dnat; i++) {
    if (rc_addr_parse(&nodes[i].dnat, dnats[i]) != 0) {
      fprintf(stderr, "svr-ports: --dnat-to: '%s' is not an IPv4 or IPv6 "
                      "address\n", dnats[i]);
      return SVR_EXIT_USAGE;
    }
    if (nodes[i].dnat.family != nodes[i].addr.family) {
      fprintf(stderr, "svr-ports: --dnat-to %s: not the family of conductor "
                      "node %zu\n", dnats[i], i + 1);
      return SVR_EXIT_USAGE;
    }
  }
  for (j = 0; j < n_nodes; j++) {
    const node *nd = &nodes[j];
    const svrbfd_addr *dn = nd->dnat.family ? &nd->dnat : NULL;
    add_rule("conductor", "tcp", NULL, &nd->addr, dn, nd->port, nd->port, 1,
             "management channel: SSH (alarms, entitlement, keys, "
             "dynamic peer update)");
    add_rule("asset", "tcp", NULL, &nd->addr, dn, PORTS_ASSET_PUB,
             PORTS_ASSET_PUB, 0, "asset channel (publish)");
    add_rule("asset", "tcp", NULL, &nd->addr, dn, PORTS_ASSET_RET,
             PORTS_ASSET_RET, 0, "asset channel (return)");
  }
  if (json) {
    print_json(argv + optind, argc - optind);
  } else if (!strcmp(format, "nft")) {
    print_nft();
  } else if (!strcmp(format, "iptables")) {
    print_iptables();
  } else {
    print_table();
  }
  return SVR_EXIT_OK;
}
