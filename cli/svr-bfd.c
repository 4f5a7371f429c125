/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-bfd: run BFD sessions (libsvrbfd) from the command line.
 *
 * A thin front end: parses flags or a config file, creates one context and
 * its sessions, hands the context to the libuv glue (glue/bfd_uv.c) and
 * prints what happens.  Usage, config format, exit codes and the JSON
 * schema are in docs/svr-bfd.md and in --help.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <svrbfd/svrbfd.h>
#include <uv.h>

#include "bfd_uv.h"
#include "svr_cli.h"
#include "svr_table.h"
#include "svr_frr.h"
#include "svr_ctl.h"

/* the suite's exit status table (docs/cli.md) */
#define EXIT_UP SVR_EXIT_OK
#define EXIT_NOT_UP SVR_EXIT_NEGATIVE
#define EXIT_USAGE SVR_EXIT_USAGE
#define EXIT_STOPPED SVR_EXIT_INCONCLUSIVE
#define EXIT_UNREACHABLE SVR_EXIT_UNREACHABLE

static const char usage_text[] =
"Usage: svr-bfd --local ADDR --peer ADDR [options]\n"
"       svr-bfd --config FILE [options]\n"
"       svr-bfd show [--json [--format frr]] --control PATH\n"
"\n"
"Runs BFD (RFC 5880 asynchronous mode) sessions with libsvrbfd and reports\n"
"their state.  SVR mode (default) speaks on the SVR peer-path port 1280/UDP,\n"
"appends SVR metadata (router name, node name, observed hops) after the BFD\n"
"packet and answers the source address and port it observes, so a peer\n"
"behind NAT works.  --rfc5881 speaks standard single-hop BFD (3784/UDP,\n"
"TTL 255 checked, source port 49152-65535, no metadata) for FRR, BIRD and\n"
"router vendors; --rfc5883 standard multihop BFD (4784/UDP, sent with TTL\n"
"255, the received TTL checked only against --min-ttl, no Echo).\n"
"\n"
"Session options (with --config they are the defaults for every session):\n"
"  -l, --local ADDR        local IPv4/IPv6 address to send from and bind to\n"
"  -p, --peer ADDR         the peer's address\n"
"      --rfc5881           RFC 5881 single-hop mode instead of SVR mode\n"
"      --rfc5883           RFC 5883 multihop mode instead of SVR mode\n"
"      --min-ttl N         multihop: drop packets that arrive with a TTL / hop\n"
"                          limit below N, 1..255 (default: no check; 254 =\n"
"                          at most one router between the peers)\n"
"      --port N            UDP port on both sides (default 1280, RFC 5881:\n"
"                          3784, RFC 5883: 4784)\n"
"      --tx MS             desired min TX interval, ms (default 1000)\n"
"      --rx MS             required min RX interval, ms (default 500)\n"
"      --mult N            detect multiplier, 3..20 (default 3)\n"
"      --hold-down MS      time Up before the path is reported up (default 5000)\n"
"      --passive           send nothing until the peer speaks (RFC 5880 6.1)\n"
"      --demand            ask the peer for Demand mode once Up\n"
"      --auth TYPE:ID:KEY  authenticate: TYPE is simple, md5, meticulous-md5,\n"
"                          sha1, meticulous-sha1 or sha256 (HMAC-SHA256, type\n"
"                          240, svr-suite only); ID 0..255; KEY text, or hex\n"
"                          after 0x.  Example: --auth meticulous-sha1:7:secret\n"
"      --metadata on|off   send the SVR metadata trailer (SVR mode only;\n"
"                          default on)\n"
"      --count N           N sessions: --local and --peer are the first\n"
"                          addresses, session i uses each plus i (default 1)\n"
"\n"
"Program options:\n"
"  -c, --config FILE       read sessions from FILE (format below); SIGHUP\n"
"                          re-reads it: changed timers start a Poll Sequence,\n"
"                          new sessions are added\n"
"      --router-name NAME  our router name, sent in SVR metadata\n"
"      --node-name NAME    our node name, sent in SVR metadata\n"
"      --once              probe: exit 0 as soon as every peer has shown it\n"
"                          hears us; the peer is never brought past Init, so\n"
"                          it counts no session Up and sees no flap when we\n"
"                          exit (docs/cli.md); deadline --timeout, 10 s by\n"
"                          default (longer when 2 x mult x tx of a session is\n"
"                          longer)\n"
"      --timeout S         give up if not every session reached Up within\n"
"                          S s, naming why for each (default: with --once,\n"
"                          as above; else wait forever)\n"
"      --duration S        stop after S seconds (as on SIGTERM)\n"
"      --show-interval S   print the session table every S seconds\n"
"      --json              JSON lines instead of text (schema: docs/svr-bfd.md)\n"
"      --control PATH      answer 'svr-bfd show' on this Unix socket (mode\n"
"                          0660; default: none); with show, the socket of\n"
"                          the svr-bfd to ask\n"
"      --format svr|frr    show --json: our field names (svr, default) or\n"
"                          FRR bfdd's 'show bfd peers json' (frr: an array\n"
"                          with peer, local, id, status, uptime,\n"
"                          transmit-interval... in FRR's units)\n"
"  -q, --quiet             no per-session events; tables show the summary only\n"
"      --bind-any          one wildcard socket per port and family for every\n"
"                          local address (IP_PKTINFO) instead of one socket per\n"
"                          local address; for thousands of local addresses\n"
"  -h, --help              this text\n"
"  -V, --version           library and program version\n"
"\n"
"Commands:\n"
"  show [--json]           ask the svr-bfd listening on --control PATH for\n"
"                          its session table and summary (as on SIGUSR1;\n"
"                          --json: one JSON document); also 'show peers',\n"
"                          'show bfd peers'; --json --format frr: FRR's\n"
"                          field names\n"
"\n"
"Output: one line per state change (time, local, peer, old -> new state,\n"
"diagnostic), per reported path status change (after hold-down) and per\n"
"observed peer address change (NAT rebinding).  The session table (local,\n"
"peer, state, diag, remote discriminator, TX/RX intervals, detect time,\n"
"hops, peer router name, uptime) and a summary line are printed on exit, on\n"
"SIGUSR1 and every --show-interval seconds.\n"
"\n"
"Config file: one item per line, '#' starts a comment.\n"
"  router-name NAME\n"
"  node-name NAME\n"
"  session local=ADDR peer=ADDR [rfc5881|rfc5883] [min-ttl=N] [port=N]\n"
"          [tx=MS] [rx=MS] [mult=N]\n"
"          [hold-down=MS] [passive] [demand] [auth=TYPE:ID:KEY]\n"
"          [metadata=on|off]\n"
"Errors name the file and line: 'bfd.conf:3: mult=40: outside 3..20'.\n"
"\n"
"Signals: SIGINT/SIGTERM send AdminDown on every session, print the table\n"
"and exit; SIGUSR1 prints the table (to our standard output; 'svr-bfd show'\n"
"prints it where it is asked); SIGHUP re-reads --config.\n"
"\n"
"A session that did not reach Up is named with the reason: ICMP port,\n"
"host or network unreachable for our packets, the kernel refusing to send\n"
"them (no route), packets that arrived but were discarded (and why), or\n"
"no reply at all.\n"
"\n"
"Exit status (the suite's table, docs/cli.md):\n"
"  0  every session reached Up (with --once: as soon as they all are)\n"
"  1  not every session reached Up by --timeout or --duration, and the peer\n"
"     gave no sign of being unreachable\n"
"  2  usage or configuration error, or a socket could not be opened; show:\n"
"     the daemon did not know the command\n"
"  3  interrupted (SIGINT/SIGTERM) before every session reached Up\n"
"  5  the control socket could not be opened (show: no svr-bfd answers there)\n"
"  6  a session that did not reach Up had its packets answered by ICMP\n"
"     destination unreachable, or the kernel had no route for them\n"
"\n"
"Examples:\n"
"  svr-bfd -l 10.0.0.1 -p 10.0.0.2 --rfc5881 --once     # does FRR's bfdd answer?\n"
"  svr-bfd -c /etc/svr-bfd.conf --json --show-interval 10\n"
"  svr-bfd -c /etc/svr-bfd.conf --control /run/svr-bfd.sock &\n"
"  svr-bfd show --json --control /run/svr-bfd.sock | jq .summary\n";

/* ---- configuration -------------------------------------------------- */

typedef struct spec {
  svrbfd_addr local;
  svrbfd_addr peer;
  int rfc5881;
  int rfc5883;
  int min_ttl; /* 0 = no check */
  int port;            /* 0 = mode default */
  uint32_t tx_ms;
  uint32_t rx_ms;
  int mult;
  uint32_t hold_down_ms;
  int passive;
  int demand;
  int metadata;        /* -1 = mode default */
  svrbfd_auth auth;
  unsigned line;       /* config file line, 0 = command line */
} spec;

typedef struct sess {
  spec sp;
  svrbfd_session *s;
  int is_up;           /* protocol state Up now */
  int was_up;
  svrbfd_tstamp changed_at; /* last state change (or creation) */
  int icmp_errno;      /* last ICMP error for datagrams to the peer, 0 none */
  uint64_t icmp_errors;
} sess;

typedef struct app {
  uv_loop_t *loop;
  svrbfd_ctx *ctx;
  bfd_uv *glue;
  sess **sessions;
  size_t n, cap;
  size_t n_up;         /* sessions Up now */
  size_t n_reached;    /* sessions that have been Up at least once */
  int all_up_once;
  int json;
  int quiet;
  int once;
  int bind_any;
  double timeout_s;
  double duration_s;
  double show_interval_s;
  const char *config;
  const char *control; /* --control PATH */
  svr_ctl *ctl;
  char router_name[SVRBFD_NAME_MAX];
  char node_name[SVRBFD_NAME_MAX];
  int64_t wall_offset_ns; /* realtime - monotonic */
  int exit_code;
  int stopping;
  int icmp_unmatched;  /* ICMP errors for no session's peer address */
  uv_signal_t sig_int, sig_term, sig_usr1, sig_hup;
  uv_timer_t t_timeout, t_duration, t_show;
} app;

static void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  svr_cli_vusage_error("svr-bfd", fmt, ap);
}

static void spec_default(spec *sp) {
  memset(sp, 0, sizeof(*sp));
  sp->tx_ms = 1000;
  sp->rx_ms = 500;
  sp->mult = 3;
  sp->hold_down_ms = 5000;
  sp->metadata = -1;
}

/* Parses an unsigned decimal in [lo, hi]; 0 on success. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi,
                      unsigned long *out) {
  char *end;
  unsigned long v;
  if (!s || !*s || *s == '-' || *s == '+') {
    return -1;
  }
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno || *end || v < lo || v > hi) {
    return -1;
  }
  *out = v;
  return 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "TYPE:ID:KEY" -> auth.  Returns NULL or a message. */
static const char *parse_auth(const char *text, svrbfd_auth *a) {
  static const struct {
    const char *name;
    svrbfd_auth_type type;
    size_t max;
  } types[] = {
      {"simple", SVRBFD_AUTH_SIMPLE, 16},
      {"md5", SVRBFD_AUTH_KEYED_MD5, 16},
      {"meticulous-md5", SVRBFD_AUTH_METICULOUS_KEYED_MD5, 16},
      {"sha1", SVRBFD_AUTH_KEYED_SHA1, 20},
      {"meticulous-sha1", SVRBFD_AUTH_METICULOUS_KEYED_SHA1, 20},
      {"sha256", SVRBFD_AUTH_HMAC_SHA256, 64},
  };
  const char *c1 = strchr(text, ':'), *c2, *key;
  char idbuf[8];
  unsigned long id;
  size_t i, tl, klen;
  memset(a, 0, sizeof(*a));
  if (!c1 || !(c2 = strchr(c1 + 1, ':'))) {
    return "expected TYPE:ID:KEY";
  }
  tl = (size_t)(c1 - text);
  for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    if (strlen(types[i].name) == tl && strncmp(types[i].name, text, tl) == 0) {
      break;
    }
  }
  if (i == sizeof(types) / sizeof(types[0])) {
    return "unknown type (simple, md5, meticulous-md5, sha1, "
           "meticulous-sha1, sha256)";
  }
  if ((size_t)(c2 - c1 - 1) >= sizeof(idbuf)) {
    return "key ID must be 0..255";
  }
  memcpy(idbuf, c1 + 1, (size_t)(c2 - c1 - 1));
  idbuf[c2 - c1 - 1] = '\0';
  if (parse_uint(idbuf, 0, 255, &id) != 0) {
    return "key ID must be 0..255";
  }
  key = c2 + 1;
  if (strncmp(key, "0x", 2) == 0) {
    size_t hl = strlen(key + 2);
    if (hl == 0 || hl % 2) {
      return "hex key needs an even number of digits";
    }
    klen = hl / 2;
    if (klen > types[i].max) {
      return "key too long for this type (simple/md5 16, sha1 20, sha256 64 "
             "bytes)";
    }
    for (size_t k = 0; k < klen; k++) {
      int h = hexval(key[2 + 2 * k]), l = hexval(key[3 + 2 * k]);
      if (h < 0 || l < 0) {
        return "bad hex digit in key";
      }
      a->key[k] = (uint8_t)(h << 4 | l);
    }
  } else {
    klen = strlen(key);
    if (klen > types[i].max) {
      return "key too long for this type (simple/md5 16, sha1 20, sha256 64 "
             "bytes)";
    }
    memcpy(a->key, key, klen);
  }
  if (klen == 0) {
    return "empty key";
  }
  a->type = types[i].type;
  a->key_id = (uint8_t)id;
  a->key_len = (uint8_t)klen;
  return NULL;
}

static const char *auth_name(svrbfd_auth_type t) {
  switch (t) {
  case SVRBFD_AUTH_NONE: return "none";
  case SVRBFD_AUTH_SIMPLE: return "simple";
  case SVRBFD_AUTH_KEYED_MD5: return "md5";
  case SVRBFD_AUTH_METICULOUS_KEYED_MD5: return "meticulous-md5";
  case SVRBFD_AUTH_KEYED_SHA1: return "sha1";
  case SVRBFD_AUTH_METICULOUS_KEYED_SHA1: return "meticulous-sha1";
  case SVRBFD_AUTH_HMAC_SHA256: return "sha256";
  }
  return "?";
}

/*
 * Applies one "key=value" (or flag) setting to |sp|.  Shared by the command
 * line and the config file.  Returns NULL or a message naming the problem.
 */
static const char *spec_set(spec *sp, const char *key, const char *val) {
  static char msg[200];
  unsigned long v;
#define NEED_VAL                                                               \
  do {                                                                         \
    if (!val) {                                                                \
      snprintf(msg, sizeof(msg), "%s needs a value", key);                     \
      return msg;                                                              \
    }                                                                          \
  } while (0)
  if (strcmp(key, "local") == 0 || strcmp(key, "peer") == 0) {
    svrbfd_addr *a = key[0] == 'l' ? &sp->local : &sp->peer;
    NEED_VAL;
    if (bfd_addr_parse(a, val) != 0) {
      snprintf(msg, sizeof(msg), "%s=%s: not an IPv4 or IPv6 address", key,
               val);
      return msg;
    }
  } else if (strcmp(key, "rfc5881") == 0) {
    sp->rfc5881 = 1;
  } else if (strcmp(key, "rfc5883") == 0) {
    sp->rfc5883 = 1;
  } else if (strcmp(key, "min-ttl") == 0) {
    NEED_VAL;
    if (parse_uint(val, 1, 255, &v)) {
      snprintf(msg, sizeof(msg), "min-ttl=%s: outside 1..255", val);
      return msg;
    }
    sp->min_ttl = (int)v;
  } else if (strcmp(key, "passive") == 0) {
    sp->passive = 1;
  } else if (strcmp(key, "demand") == 0) {
    sp->demand = 1;
  } else if (strcmp(key, "port") == 0) {
    NEED_VAL;
    if (parse_uint(val, 1, 65535, &v)) {
      snprintf(msg, sizeof(msg), "port=%s: not a port number 1..65535", val);
      return msg;
    }
    sp->port = (int)v;
  } else if (strcmp(key, "tx") == 0 || strcmp(key, "rx") == 0) {
    NEED_VAL;
    if (parse_uint(val, 1, 4294967, &v)) {
      snprintf(msg, sizeof(msg), "%s=%s: interval must be 1..4294967 ms", key,
               val);
      return msg;
    }
    if (key[0] == 't') {
      sp->tx_ms = (uint32_t)v;
    } else {
      sp->rx_ms = (uint32_t)v;
    }
  } else if (strcmp(key, "mult") == 0) {
    NEED_VAL;
    if (parse_uint(val, 3, 20, &v)) {
      snprintf(msg, sizeof(msg), "mult=%s: outside 3..20", val);
      return msg;
    }
    sp->mult = (int)v;
  } else if (strcmp(key, "hold-down") == 0) {
    NEED_VAL;
    if (parse_uint(val, 0, 3600000, &v)) {
      snprintf(msg, sizeof(msg), "hold-down=%s: must be 0..3600000 ms", val);
      return msg;
    }
    sp->hold_down_ms = (uint32_t)v;
  } else if (strcmp(key, "auth") == 0) {
    const char *e;
    NEED_VAL;
    if ((e = parse_auth(val, &sp->auth)) != NULL) {
      snprintf(msg, sizeof(msg), "auth: %s", e);
      return msg;
    }
  } else if (strcmp(key, "metadata") == 0) {
    NEED_VAL;
    if (strcmp(val, "on") == 0) {
      sp->metadata = 1;
    } else if (strcmp(val, "off") == 0) {
      sp->metadata = 0;
    } else {
      snprintf(msg, sizeof(msg), "metadata=%s: expected on or off", val);
      return msg;
    }
  } else {
    snprintf(msg, sizeof(msg), "unknown setting '%s'", key);
    return msg;
  }
  return NULL;
#undef NEED_VAL
}

static const char *spec_check(const spec *sp) {
  if (sp->local.family == 0) {
    return "no local address (--local or local=)";
  }
  if (sp->peer.family == 0) {
    return "no peer address (--peer or peer=)";
  }
  if (sp->local.family != sp->peer.family) {
    return "local and peer addresses are of different families";
  }
  if (sp->rfc5881 && sp->rfc5883) {
    return "rfc5881 (single hop) and rfc5883 (multihop) exclude each other";
  }
  if (sp->min_ttl && !sp->rfc5883) {
    return "min-ttl applies to multihop (rfc5883) sessions only";
  }
  return NULL;
}

/* ---- output --------------------------------------------------------- */

/* |ts| (monotonic) as wall-clock ISO-8601 UTC with milliseconds, the
 * suite's one format (docs/cli.md); quoted for JSON. */
static void fmt_time(const app *a, svrbfd_tstamp ts, char *buf, size_t len,
                     int json) {
  char iso[SVR_CLI_TIME_LEN];
  svr_cli_time_iso(iso, sizeof(iso), (int64_t)ts + a->wall_offset_ns);
  snprintf(buf, len, json ? "\"%s\"" : "%s", iso);
}

/* JSON string escaping for names that came off the wire. */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      fprintf(f, "\\%c", c);
    } else if (c < 0x20 || c >= 0x7f) {
      fprintf(f, "\\u%04x", c);
    } else {
      fputc(c, f);
    }
  }
  fputc('"', f);
}

/* |v| as JSON, or null when negative (unknown). */
static const char *int_or_null(int v, char *buf) {
  if (v < 0) {
    return "null";
  }
  snprintf(buf, 16, "%d", v);
  return buf;
}

/* A name from the wire, or null when the peer sent none (unknown). */
static void json_name(FILE *f, const char *s) {
  if (*s == '\0') {
    fputs("null", f);
  } else {
    json_str(f, s);
  }
}

/* Names from the wire, made printable for the text table. */
static void safe_name(const char *in, char *out, size_t len) {
  size_t i;
  for (i = 0; in[i] && i + 1 < len; i++) {
    unsigned char c = (unsigned char)in[i];
    out[i] = (c < 0x21 || c >= 0x7f) ? '?' : (char)c;
  }
  out[i] = '\0';
  if (i == 0 && len > 1) {
    snprintf(out, len, "-");
  }
}

static void print_event_head(const app *a, const sess *se, const char *event,
                             svrbfd_tstamp ts) {
  char t[48], l[64], p[64];
  fmt_time(a, ts, t, sizeof(t), a->json);
  bfd_addr_str(&se->sp.local, 0, l, sizeof(l));
  bfd_addr_str(&se->sp.peer, 0, p, sizeof(p));
  if (a->json) {
    printf("{\"event\":\"%s\",\"time\":%s,\"local\":\"%s\",\"peer\":\"%s\"",
           event, t, l, p);
  } else {
    printf("%s %s %s -> %s ", t, event, l, p);
  }
}

static int cb_state(svrbfd_ctx *ctx, svrbfd_session *s, svrbfd_state old_state,
                    svrbfd_state new_state, svrbfd_diag diag,
                    svrbfd_tstamp ts, void *user_data) {
  app *a = user_data;
  sess *se = svrbfd_session_get_user_data(s);
  (void)ctx;
  if (!se) {
    return 0;
  }
  se->changed_at = ts;
  if (new_state == SVRBFD_STATE_UP && !se->is_up) {
    se->is_up = 1;
    if (!se->was_up) {
      se->was_up = 1;
      a->n_reached++;
    }
    a->n_up++;
  } else if (new_state != SVRBFD_STATE_UP && se->is_up) {
    se->is_up = 0;
    a->n_up--;
  }
  if (!a->quiet) {
    print_event_head(a, se, "state", ts);
    if (a->json) {
      printf(",\"from\":\"%s\",\"to\":\"%s\",\"diag\":\"%s\","
             "\"diag_code\":%d}\n",
             svrbfd_state_name(old_state), svrbfd_state_name(new_state),
             svrbfd_diag_name(diag), (int)diag);
    } else {
      printf("%s -> %s (diag: %s)\n", svrbfd_state_name(old_state),
             svrbfd_state_name(new_state), svrbfd_diag_name(diag));
    }
    fflush(stdout);
  }
  if (a->n_reached == a->n && a->n > 0) {
    a->all_up_once = 1;
  }
  return 0;
}

static int cb_path(svrbfd_ctx *ctx, svrbfd_session *s, int up,
                   svrbfd_tstamp ts, void *user_data) {
  app *a = user_data;
  sess *se = svrbfd_session_get_user_data(s);
  (void)ctx;
  if (!se || a->quiet) {
    return 0;
  }
  print_event_head(a, se, "path", ts);
  if (a->json) {
    printf(",\"path_up\":%s}\n", up ? "true" : "false");
  } else {
    printf("path %s\n", up ? "up (hold-down passed)" : "down");
  }
  fflush(stdout);
  return 0;
}

static int cb_remote(svrbfd_ctx *ctx, svrbfd_session *s,
                     const svrbfd_addr *before, const svrbfd_addr *now,
                     svrbfd_tstamp ts, void *user_data) {
  app *a = user_data;
  sess *se = svrbfd_session_get_user_data(s);
  char b[80], n[80];
  (void)ctx;
  if (!se || a->quiet) {
    return 0;
  }
  bfd_addr_str(before, 1, b, sizeof(b));
  bfd_addr_str(now, 1, n, sizeof(n));
  print_event_head(a, se, "remote", ts);
  if (a->json) {
    printf(",\"before\":\"%s\",\"now\":\"%s\"}\n", b, n);
  } else {
    printf("peer now seen at %s (was %s)\n", n, b);
  }
  fflush(stdout);
  return 0;
}

/* The session table and the summary, to |f|: text, JSON lines (a "table"
 * and a "summary" event) or, with |doc|, one JSON document ("show" event
 * with "sessions" and "summary") for the control socket. */
static void print_table_to(app *a, FILE *f, int json, int quiet, int doc) {
  svrbfd_ctx_stats cs;
  bfd_uv_stats gs;
  svrbfd_tstamp now = bfd_uv_now();
  uint64_t downs = 0;
  size_t i;
  char t[48];
  int first = 1;
  static const char *const head[11] = {
      "LOCAL", "PEER", "STATE", "DIAG", "REM-DISCR", "TX-MS", "RX-MS",
      "DETECT-MS", "HOPS", "PEER-ROUTER", "UPTIME"};
  svr_table tab; /* the suite's table style (svr_table.h) */

  svr_table_init(&tab, 11, head);
  tab.right = 0x1f0; /* REM-DISCR .. HOPS: numbers */
  for (i = 0; i < a->n; i++) {
    svrbfd_session_info in;
    svrbfd_session_get_info(a->sessions[i]->s, &in);
    downs += in.down_count;
  }
  fmt_time(a, now, t, sizeof(t), json);
  if (!quiet) {
    if (json) {
      fprintf(f, "{\"event\":\"%s\",\"time\":%s,\"sessions\":[",
              doc ? "show" : "table", t);
    }
    for (i = 0; i < a->n; i++) {
      sess *se = a->sessions[i];
      svrbfd_session_info in;
      char l[64], p[80], r[80], nm[SVRBFD_NAME_MAX], up[32];
      double uptime = 0;
      svrbfd_session_get_info(se->s, &in);
      bfd_addr_str(&se->sp.local, 0, l, sizeof(l));
      bfd_addr_str(&se->sp.peer, 0, p, sizeof(p));
      bfd_addr_str(&in.remote, 1, r, sizeof(r));
      if (in.state == SVRBFD_STATE_UP && now >= in.up_since) {
        uptime = (double)(now - in.up_since) / 1e9;
      }
      if (json) {
        char lp[80], h1[16], h2[16];
        bfd_addr_str(&in.local, 1, lp, sizeof(lp));
        fprintf(f, "%s{\"local\":\"%s\",\"peer\":\"%s\",\"local_endpoint\":\"%s\","
               "\"remote_endpoint\":\"%s\",\"remote_port\":%u,"
               "\"mode\":\"%s\",\"state\":\"%s\",\"remote_state\":\"%s\","
               "\"diag\":\"%s\",\"remote_diag\":\"%s\",\"path_up\":%s,"
               "\"local_discr\":%" PRIu32 ",\"remote_discr\":%" PRIu32 ","
               "\"desired_min_tx_ms\":%.3f,\"required_min_rx_ms\":%.3f,"
               "\"detect_mult\":%u,\"remote_desired_min_tx_ms\":%.3f,"
               "\"remote_required_min_rx_ms\":%.3f,\"remote_detect_mult\":%u,"
               "\"tx_interval_ms\":%.3f,\"detect_time_ms\":%.3f,"
               "\"rx_hops\":%s,\"peer_rx_hops\":%s,\"peer_router\":",
               first ? "" : ",", l, p, lp, r, in.remote.port,
               in.mode == SVRBFD_MODE_RFC5881   ? "rfc5881"
               : in.mode == SVRBFD_MODE_RFC5883 ? "rfc5883"
                                                : "svr",
               svrbfd_state_name(in.state), svrbfd_state_name(in.remote_state),
               svrbfd_diag_name(in.local_diag),
               svrbfd_diag_name(in.remote_diag), in.up ? "true" : "false",
               in.local_discr, in.remote_discr, in.desired_min_tx_us / 1e3,
               in.required_min_rx_us / 1e3, in.detect_mult,
               in.remote_desired_min_tx_us / 1e3,
               in.remote_required_min_rx_us / 1e3, in.remote_detect_mult,
               (double)in.tx_interval_ns / 1e6,
               (double)in.detect_time_ns / 1e6, int_or_null(in.rx_hops, h1),
               int_or_null(in.peer_rx_hops, h2));
        json_name(f, in.peer_router_name);
        fprintf(f, ",\"peer_node\":");
        json_name(f, in.peer_node_name);
        fprintf(f, ",\"uptime_s\":%.3f,\"poll_active\":%s,\"auth\":\"%s\","
               "\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64 ","
               "\"rx_drops\":%" PRIu64 ",\"auth_failures\":%" PRIu64 ","
               "\"up_count\":%" PRIu64 ",\"down_count\":%" PRIu64 ","
               "\"remote_changes\":%" PRIu64 "}",
               uptime, in.poll_active ? "true" : "false",
               auth_name(in.auth_type), in.rx_packets, in.tx_packets,
               in.rx_drops, in.auth_failures, in.up_count, in.down_count,
               in.remote_changes);
        first = 0;
      } else {
        char hops[16], rd[16], tx[24], rx[24], det[24];
        const char *row[11];
        safe_name(in.peer_router_name, nm, sizeof(nm));
        if (in.rx_hops >= 0) {
          snprintf(hops, sizeof(hops), "%d", in.rx_hops);
        } else {
          snprintf(hops, sizeof(hops), "-");
        }
        if (in.state == SVRBFD_STATE_UP) {
          snprintf(up, sizeof(up), "%.1fs", uptime);
        } else {
          snprintf(up, sizeof(up), "-");
        }
        snprintf(rd, sizeof(rd), "%" PRIu32, in.remote_discr);
        snprintf(tx, sizeof(tx), "%.0f", (double)in.tx_interval_ns / 1e6);
        snprintf(rx, sizeof(rx), "%.0f",
                 (double)(in.remote_desired_min_tx_us > in.required_min_rx_us
                              ? in.remote_desired_min_tx_us
                              : in.required_min_rx_us) / 1e3);
        snprintf(det, sizeof(det), "%.0f", (double)in.detect_time_ns / 1e6);
        row[0] = l;
        row[1] = r;
        row[2] = svrbfd_state_name(in.state);
        row[3] = svrbfd_diag_name(in.local_diag);
        row[4] = rd;
        row[5] = tx;
        row[6] = rx;
        row[7] = det;
        row[8] = hops;
        row[9] = nm;
        row[10] = up;
        svr_table_add(&tab, row);
      }
    }
    if (json) {
      fputs(doc ? "]," : "]}\n", f);
    } else {
      svr_table_print(&tab, f);
    }
  }
  svr_table_free(&tab);
  svrbfd_ctx_get_stats(a->ctx, &cs);
  bfd_uv_get_stats(a->glue, &gs);
  if (json) {
    if (doc) {
      fprintf(f, "\"summary\":{");
    } else {
      fprintf(f, "{\"event\":\"summary\",\"time\":%s,", t);
    }
    fprintf(f, "\"sessions\":%zu,\"up\":%zu,"
           "\"down_events\":%" PRIu64 ",\"tx_packets\":%" PRIu64
           ",\"rx_packets\":%" PRIu64 ",\"rx_accepted\":%" PRIu64
           ",\"tx_errors\":%" PRIu64 ",\"tx_syscalls\":%" PRIu64
           ",\"rx_syscalls\":%" PRIu64 ",\"rx_rejected\":%" PRIu64 "}%s\n",
           a->n, a->n_up, downs, gs.tx_datagrams, gs.rx_datagrams,
           cs.rx_accepted, gs.tx_errors, gs.tx_syscalls, gs.rx_syscalls,
           gs.rx_rejected, doc ? "}" : "");
  } else {
    fprintf(f, "summary: time=%s sessions=%zu up=%zu down_events=%" PRIu64
           " tx_packets=%" PRIu64 " rx_packets=%" PRIu64
           " rx_accepted=%" PRIu64 " tx_errors=%" PRIu64
           " tx_syscalls=%" PRIu64 " rx_syscalls=%" PRIu64
           " rx_rejected=%" PRIu64 "\n",
           t, a->n, a->n_up, downs, gs.tx_datagrams, gs.rx_datagrams,
           cs.rx_accepted, gs.tx_errors, gs.tx_syscalls, gs.rx_syscalls,
           gs.rx_rejected);
  }
  fflush(f);
}

static void print_table(app *a) {
  print_table_to(a, stdout, a->json, a->quiet, 0);
}

/* 'show bfd peers json' as FRR's bfdd prints it (an array, one object per
 * peer, its key names and units: ms, seconds; svr_frr.c, shared with
 * svr-router), so vtysh scripts carry over (docs/svr-bfd.md, "--format
 * frr"). */
static void print_frr_json(app *a, FILE *f) {
  svrbfd_tstamp now = bfd_uv_now();
  size_t i;
  fputc('[', f);
  for (i = 0; i < a->n; i++) {
    sess *se = a->sessions[i];
    svrbfd_session_info in;
    svr_frr_peer fp;
    char l[64], p[64], obj[SVR_FRR_PEER_JSON_MAX];
    svrbfd_session_get_info(se->s, &in);
    bfd_addr_str(&se->sp.local, 0, l, sizeof(l));
    bfd_addr_str(&se->sp.peer, 0, p, sizeof(p));
    memset(&fp, 0, sizeof(fp));
    fp.multihop = in.mode == SVRBFD_MODE_RFC5883;
    fp.min_ttl = se->sp.min_ttl ? se->sp.min_ttl : 1;
    fp.peer = p;
    fp.local = l;
    fp.id = in.local_discr;
    fp.remote_id = in.remote_discr;
    fp.passive = se->sp.passive;
    fp.state = (int)in.state;
    fp.since_s = (uint64_t)((now - (in.state == SVRBFD_STATE_UP
                                        ? in.up_since
                                        : se->changed_at)) /
                            SVRBFD_SECONDS);
    fp.diag = (int)in.local_diag;
    fp.remote_diag = (int)in.remote_diag;
    fp.rx_ms = in.required_min_rx_us / 1000;
    fp.tx_ms = in.desired_min_tx_us / 1000;
    fp.mult = in.detect_mult;
    fp.remote_rx_ms = in.remote_required_min_rx_us / 1000;
    fp.remote_tx_ms = in.remote_desired_min_tx_us / 1000;
    fp.remote_echo_rx_ms = in.remote_required_min_echo_rx_us / 1000;
    fp.remote_mult = in.remote_detect_mult;
    svr_frr_peer_json(obj, sizeof(obj), &fp);
    fprintf(f, "%s%s", i ? "," : "", obj);
  }
  fputs("]\n", f);
}

/* The control socket (--control): one command per connection. */
static const char *ctl_handler(void *user_data, const char *line,
                               svr_ctl_reply *reply) {
  app *a = user_data;
  FILE *out = reply->out;
  if (strcmp(line, "show") == 0 || strcmp(line, "show peers") == 0 ||
      strcmp(line, "show bfd peers") == 0) {
    print_table_to(a, out, 0, 0, 0);
  } else if (strcmp(line, "show json") == 0 ||
             strcmp(line, "show peers json") == 0 ||
             strcmp(line, "show bfd peers json") == 0) {
    print_table_to(a, out, 1, 0, 1);
  } else if (strcmp(line, "show json frr") == 0 ||
             strcmp(line, "show peers json frr") == 0 ||
             strcmp(line, "show bfd peers json frr") == 0) {
    print_frr_json(a, out);
  } else {
    return "unknown command (show [json [frr]], show bfd peers [json [frr]])";
  }
  return NULL;
}

/* ---- sessions ------------------------------------------------------- */

static int same_pair(const spec *x, const spec *y) {
  return x->local.family == y->local.family &&
         memcmp(x->local.addr, y->local.addr, 16) == 0 &&
         memcmp(x->peer.addr, y->peer.addr, 16) == 0 && x->port == y->port &&
         x->rfc5881 == y->rfc5881 && x->rfc5883 == y->rfc5883;
}

/* Creates the session for |sp|.  Returns 0 or prints why and returns -1. */
static int add_session(app *a, const spec *sp, const char *where) {
  svrbfd_session_config cfg;
  sess *se;
  int rc;
  char l[64], p[64];

  svrbfd_session_config_default(&cfg);
  cfg.local = sp->local;
  cfg.remote = sp->peer;
  cfg.local.port = (uint16_t)sp->port;
  cfg.remote.port = (uint16_t)sp->port;
  cfg.mode = sp->rfc5883   ? SVRBFD_MODE_RFC5883
             : sp->rfc5881 ? SVRBFD_MODE_RFC5881
                           : SVRBFD_MODE_SVR;
  cfg.min_rx_ttl = (uint8_t)sp->min_ttl;
  cfg.desired_min_tx_us = sp->tx_ms * 1000u;
  cfg.required_min_rx_us = sp->rx_ms * 1000u;
  cfg.detect_mult = (uint8_t)sp->mult;
  cfg.passive = (uint8_t)sp->passive;
  cfg.demand = (uint8_t)sp->demand;
  if (sp->metadata >= 0) {
    cfg.send_metadata = (uint8_t)sp->metadata;
  } else {
    cfg.send_metadata = cfg.mode == SVRBFD_MODE_SVR ? 1 : 0;
  }
  cfg.auth = sp->auth;
  cfg.hold_down_ns = (svrbfd_duration)sp->hold_down_ms * SVRBFD_MILLISECONDS;

  if (a->n == a->cap) {
    size_t nc = a->cap ? a->cap * 2 : 16;
    sess **ns = realloc(a->sessions, nc * sizeof(*ns));
    if (!ns) {
      fprintf(stderr, "svr-bfd: out of memory\n");
      return -1;
    }
    a->sessions = ns;
    a->cap = nc;
  }
  se = calloc(1, sizeof(*se));
  if (!se) {
    fprintf(stderr, "svr-bfd: out of memory\n");
    return -1;
  }
  se->sp = *sp;
  se->changed_at = bfd_uv_now();
  rc = bfd_uv_add_local(a->glue, &cfg.local, cfg.mode);
  if (rc != 0) {
    fprintf(stderr, "svr-bfd: %s%s%s\n", where ? where : "",
            where ? ": " : "", bfd_uv_last_error(a->glue));
    free(se);
    return -1;
  }
  rc = svrbfd_session_new(a->ctx, &se->s, &cfg, se, bfd_uv_now());
  if (rc != 0) {
    fprintf(stderr, "svr-bfd: %s%ssession %s -> %s: %s\n", where ? where : "",
            where ? ": " : "", bfd_addr_str(&sp->local, 0, l, sizeof(l)),
            bfd_addr_str(&sp->peer, 0, p, sizeof(p)), svrbfd_strerror(rc));
    free(se);
    return -1;
  }
  if (a->once) {
    /* a probe: the peer stops at Init, never counts a session Up, so
     * our exit is no flap for it (docs/cli.md, "svr-bfd --once") */
    (void)svrbfd_session_set_probe(se->s, 1);
  }
  a->sessions[a->n++] = se;
  return 0;
}

/* Reads the config file.  |specs| gets the session lines.  Returns 0, or -1
 * after printing "file:line: problem". */
/* Two session lines for the same local address, peer, mode and port
 * would be one session twice: each duplicate is an error naming both
 * lines.  Sorted, so 100,000 sessions cost n log n. */
static int spec_key_cmp(const spec *a, const spec *b) {
  int ma = a->rfc5883 ? 2 : a->rfc5881, mb = b->rfc5883 ? 2 : b->rfc5881;
  int c;
  if (ma != mb) return ma - mb;
  if (a->port != b->port) return a->port - b->port;
  if (a->local.family != b->local.family) return a->local.family - b->local.family;
  if ((c = memcmp(a->local.addr, b->local.addr, 16)) != 0) return c;
  if (a->peer.family != b->peer.family) return a->peer.family - b->peer.family;
  return memcmp(a->peer.addr, b->peer.addr, 16);
}

static int spec_ptr_cmp(const void *x, const void *y) {
  const spec *a = *(const spec *const *)x, *b = *(const spec *const *)y;
  int c = spec_key_cmp(a, b);
  return c ? c : (a->line < b->line ? -1 : a->line > b->line);
}

static unsigned check_duplicates(const char *path, const spec *specs, size_t n) {
  const spec **ix;
  size_t i;
  unsigned nerr = 0;
  if (n < 2 || (ix = malloc(n * sizeof(*ix))) == NULL) {
    return 0;
  }
  for (i = 0; i < n; i++) {
    ix[i] = &specs[i];
  }
  qsort(ix, n, sizeof(*ix), spec_ptr_cmp);
  for (i = 1; i < n; i++) {
    if (spec_key_cmp(ix[i - 1], ix[i]) == 0) {
      char l[64], p[64];
      bfd_addr_str(&ix[i]->local, 0, l, sizeof(l));
      bfd_addr_str(&ix[i]->peer, 0, p, sizeof(p));
      fprintf(stderr, "%s:%u: duplicate session %s -> %s (already at line %u)\n",
              path, ix[i]->line, l, p, ix[i - 1]->line);
      nerr++;
    }
  }
  free(ix);
  return nerr;
}

static int read_config(app *a, const char *path, const spec *defaults,
                       spec **specs, size_t *nspecs) {
  FILE *f = fopen(path, "r");
  char line[1024];
  unsigned lineno = 0, nerr = 0;
  size_t cap = 0;
  *specs = NULL;
  *nspecs = 0;
  if (!f) {
    fprintf(stderr, "svr-bfd: %s: %s\n", path, strerror(errno));
    return -1;
  }
  while (fgets(line, sizeof(line), f)) {
    char *save = NULL, *tok, *hash;
    lineno++;
    if (!strchr(line, '\n') && !feof(f)) {
      fprintf(stderr, "%s:%u: line longer than %zu bytes\n", path, lineno,
              sizeof(line) - 2);
      goto fail; /* the rest of the file cannot be read line by line */
    }
    if ((hash = strchr(line, '#')) != NULL) {
      *hash = '\0';
    }
    tok = strtok_r(line, " \t\r\n", &save);
    if (!tok) {
      continue;
    }
    if (strcmp(tok, "router-name") == 0 || strcmp(tok, "node-name") == 0) {
      char *name = strtok_r(NULL, " \t\r\n", &save);
      char *dst = tok[0] == 'r' ? a->router_name : a->node_name;
      if (!name || strtok_r(NULL, " \t\r\n", &save)) {
        fprintf(stderr, "%s:%u: %s takes exactly one name\n", path, lineno,
                tok);
        nerr++;
        continue;
      }
      if (strlen(name) >= SVRBFD_NAME_MAX) {
        fprintf(stderr, "%s:%u: %s longer than %d bytes\n", path, lineno, tok,
                SVRBFD_NAME_MAX - 1);
        nerr++;
        continue;
      }
      snprintf(dst, SVRBFD_NAME_MAX, "%s", name);
    } else if (strcmp(tok, "session") == 0) {
      spec sp = *defaults;
      const char *err;
      int bad = 0;
      sp.local.family = 0;
      sp.peer.family = 0;
      sp.line = lineno;
      while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
        char *eq = strchr(tok, '=');
        if (eq) {
          *eq = '\0';
        }
        if ((err = spec_set(&sp, tok, eq ? eq + 1 : NULL)) != NULL) {
          /* every bad item of the line, then the next line */
          fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
          bad = 1;
        }
      }
      if (!bad && (err = spec_check(&sp)) != NULL) {
        fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
        bad = 1;
      }
      if (bad) {
        nerr++;
        continue;
      }
      if (*nspecs == cap) {
        size_t nc = cap ? cap * 2 : 16;
        spec *n = realloc(*specs, nc * sizeof(*n));
        if (!n) {
          fprintf(stderr, "svr-bfd: out of memory\n");
          goto fail;
        }
        *specs = n;
        cap = nc;
      }
      (*specs)[(*nspecs)++] = sp;
    } else {
      fprintf(stderr,
              "%s:%u: unknown item '%s' (router-name, node-name, session)\n",
              path, lineno, tok);
      nerr++;
    }
  }
  fclose(f);
  nerr += check_duplicates(path, *specs, *nspecs);
  if (nerr > 0) {
    fprintf(stderr, "svr-bfd: %s: %u error%s\n", path, nerr, nerr == 1 ? "" : "s");
    free(*specs);
    *specs = NULL;
    return -1;
  }
  return 0;
fail:
  fclose(f);
  free(*specs);
  *specs = NULL;
  return -1;
}

static void reload_config(app *a, const spec *defaults) {
  spec *specs;
  size_t n, i, j, changed = 0, added = 0;
  char rn[SVRBFD_NAME_MAX], nn[SVRBFD_NAME_MAX];
  if (!a->config) {
    fprintf(stderr, "svr-bfd: SIGHUP ignored: no --config file\n");
    return;
  }
  memcpy(rn, a->router_name, sizeof(rn));
  memcpy(nn, a->node_name, sizeof(nn));
  if (read_config(a, a->config, defaults, &specs, &n) != 0) {
    fprintf(stderr, "svr-bfd: reload failed, keeping the running sessions\n");
    return;
  }
  /* names go into the context settings at creation only */
  memcpy(a->router_name, rn, sizeof(rn));
  memcpy(a->node_name, nn, sizeof(nn));
  for (i = 0; i < n; i++) {
    for (j = 0; j < a->n; j++) {
      if (same_pair(&specs[i], &a->sessions[j]->sp)) {
        break;
      }
    }
    if (j == a->n) {
      if (add_session(a, &specs[i], a->config) == 0) {
        added++;
      }
      continue;
    }
    {
      sess *se = a->sessions[j];
      if (se->sp.tx_ms != specs[i].tx_ms || se->sp.rx_ms != specs[i].rx_ms ||
          se->sp.mult != specs[i].mult) {
        int rc = svrbfd_session_set_timers(
            se->s, specs[i].tx_ms * 1000u, specs[i].rx_ms * 1000u,
            (uint8_t)specs[i].mult, bfd_uv_now());
        if (rc != 0) {
          fprintf(stderr, "svr-bfd: set_timers: %s\n", svrbfd_strerror(rc));
        } else {
          se->sp.tx_ms = specs[i].tx_ms;
          se->sp.rx_ms = specs[i].rx_ms;
          se->sp.mult = specs[i].mult;
          changed++;
        }
      }
    }
  }
  free(specs);
  if (a->json) {
    char t[48];
    fmt_time(a, bfd_uv_now(), t, sizeof(t), 1);
    printf("{\"event\":\"reload\",\"time\":%s,\"changed\":%zu,"
           "\"added\":%zu}\n", t, changed, added);
  } else {
    printf("reload: %zu sessions changed timers, %zu added\n", changed, added);
  }
  fflush(stdout);
  bfd_uv_kick(a->glue);
}

/* ---- why a session did not come Up --------------------------------- */

static int addr_is(const svrbfd_addr *a, const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET && a->family == 4) {
    return memcmp(a->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4) == 0;
  }
  if (ss->ss_family == AF_INET6 && a->family == 6) {
    return memcmp(a->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16) == 0;
  }
  return 0;
}

/* The error queue of a socket (IP_RECVERR): ICMP errors for our datagrams,
 * each with the destination it was sent to.  Kept per session, to say why
 * a session did not come Up. */
static void on_errq(void *ud, int fd, const svrbfd_addr *local, svrbfd_tstamp now) {
  app *a = ud;
  int k;
  (void)local, (void)now;
  for (k = 0; k < BFD_UV_ERRQ_MAX; k++) {
    struct sockaddr_storage to;
    uint8_t data[64];
    union {
      char b[512];
      struct cmsghdr align;
    } ctl;
    struct iovec iov = {data, sizeof(data)};
    struct msghdr mh;
    struct cmsghdr *c;
    int e = 0;
    size_t i;
    memset(&mh, 0, sizeof(mh));
    memset(&to, 0, sizeof(to));
    mh.msg_name = &to;
    mh.msg_namelen = sizeof(to);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof(ctl.b);
    if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
      return;
    }
    for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
        struct sock_extended_err ee;
        memcpy(&ee, CMSG_DATA(c), sizeof(ee));
        if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
          e = (int)ee.ee_errno;
        }
      }
    }
    if (e == 0 || e == EMSGSIZE) {
      continue;
    }
    for (i = 0; i < a->n; i++) {
      if (addr_is(&a->sessions[i]->sp.peer, &to)) {
        a->sessions[i]->icmp_errno = e;
        a->sessions[i]->icmp_errors++;
        break;
      }
    }
    if (i == a->n) {
      a->icmp_unmatched++;
    }
  }
}

static int errno_unreach(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH ||
         e == ENETDOWN || e == EACCES || e == EPERM;
}

/* Names why |se| has not been Up: a short JSON reason and a sentence.
 * Returns 1 when the peer is unreachable (ICMP or no route). */
static int why_not_up(const app *a, const sess *se, const char **reason,
                      char *text, size_t cap) {
  bfd_uv_stats gs;
  svrbfd_session_info in;
  char p[80];
  bfd_uv_get_stats(a->glue, &gs);
  svrbfd_session_get_info(se->s, &in);
  bfd_addr_str(&se->sp.peer, 0, p, sizeof(p));
  if (se->icmp_errno) {
    *reason = svr_cli_unreach_reason(se->icmp_errno);
    if (*reason == NULL) {
      *reason = "icmp_error";
    }
    snprintf(text, cap, "%llu ICMP error(s) for our packets to %s: %s%s",
             (unsigned long long)se->icmp_errors, p, strerror(se->icmp_errno),
             se->icmp_errno == ECONNREFUSED
                 ? " (port unreachable: no BFD listener on that port there)"
                 : "");
    return errno_unreach(se->icmp_errno);
  }
  if (gs.tx_errors > 0 && gs.last_tx_errno != 0) {
    *reason = errno_unreach(gs.last_tx_errno) ? "no_route" : "send_error";
    snprintf(text, cap, "the kernel refused %llu datagram(s): %s",
             (unsigned long long)gs.tx_errors, strerror(gs.last_tx_errno));
    return errno_unreach(gs.last_tx_errno);
  }
  if (in.state == SVRBFD_STATE_INIT) {
    *reason = "stuck_in_init";
    snprintf(text, cap, "%s answered but never confirmed (Init): does it "
                        "receive our packets?", p);
    return 0;
  }
  if (gs.rx_rejected > 0) {
    *reason = "rejected";
    snprintf(text, cap, "%llu packet(s) arrived and were discarded, last: %s",
             (unsigned long long)gs.rx_rejected,
             svrbfd_strerror(gs.last_rx_reject));
    return 0;
  }
  *reason = "no_reply";
  snprintf(text, cap, "no BFD packet and no ICMP error from %s (not running "
                      "BFD there, another port or mode, or a silent drop?)", p);
  return 0;
}

/* Prints why each session that never reached Up did not, and returns the
 * exit status for a deadline: UNREACHABLE if any of them is, else NOT_UP. */
static int report_not_up(app *a) {
  size_t i, shown = 0, missing = 0;
  int unreach = 0;
  char t[48];
  fmt_time(a, bfd_uv_now(), t, sizeof(t), a->json);
  for (i = 0; i < a->n; i++) {
    sess *se = a->sessions[i];
    const char *reason;
    char text[256], l[64], p[80];
    if (se->was_up) {
      continue;
    }
    missing++;
    unreach |= why_not_up(a, se, &reason, text, sizeof(text));
    if (shown >= 20 && !a->json) {
      continue;
    }
    shown++;
    bfd_addr_str(&se->sp.local, 0, l, sizeof(l));
    bfd_addr_str(&se->sp.peer, 0, p, sizeof(p));
    if (a->json) {
      printf("{\"event\":\"not_up\",\"time\":%s,\"local\":\"%s\",\"peer\":\"%s\","
             "\"reason\":\"%s\",\"detail\":", t, l, p, reason);
      json_str(stdout, text);
      printf("}\n");
    } else {
      fprintf(stderr, "svr-bfd: %s -> %s not Up: %s\n", l, p, text);
    }
  }
  if (!a->json && missing > shown) {
    fprintf(stderr, "svr-bfd: ... and %zu more sessions not Up\n", missing - shown);
  }
  fflush(stdout);
  return unreach ? EXIT_UNREACHABLE : EXIT_NOT_UP;
}

/* ---- main loop ------------------------------------------------------ */

static spec g_defaults; /* the command-line defaults, for SIGHUP */

static void stop(app *a, int code) {
  size_t i;
  if (a->stopping) {
    return;
  }
  a->stopping = 1;
  a->exit_code = code;
  print_table(a); /* the state reached, before we take it down */
  svr_ctl_close(a->ctl);
  a->ctl = NULL;
  /* Tell every peer we are going away on purpose (RFC 5880 6.8.16). */
  for (i = 0; i < a->n; i++) {
    svrbfd_session_set_admin_down(a->sessions[i]->s, 1, bfd_uv_now());
  }
  bfd_uv_kick(a->glue);
  bfd_uv_close(a->glue);
  uv_close((uv_handle_t *)&a->sig_int, NULL);
  uv_close((uv_handle_t *)&a->sig_term, NULL);
  uv_close((uv_handle_t *)&a->sig_usr1, NULL);
  uv_close((uv_handle_t *)&a->sig_hup, NULL);
  uv_close((uv_handle_t *)&a->t_timeout, NULL);
  uv_close((uv_handle_t *)&a->t_duration, NULL);
  uv_close((uv_handle_t *)&a->t_show, NULL);
}

static void on_signal(uv_signal_t *h, int signum) {
  app *a = h->data;
  if (signum == SIGUSR1) {
    print_table(a);
  } else if (signum == SIGHUP) {
    reload_config(a, &g_defaults);
  } else if (a->all_up_once) {
    stop(a, EXIT_UP);
  } else {
    /* interrupted before an answer: inconclusive, but say what we saw */
    (void)report_not_up(a);
    stop(a, EXIT_STOPPED);
  }
}

static void on_timeout(uv_timer_t *t) {
  app *a = t->data;
  if (a->n_reached < a->n) {
    if (!a->quiet || a->json) {
      fprintf(stderr, "svr-bfd: %zu of %zu sessions reached Up in %.1f s\n",
              a->n_reached, a->n, a->timeout_s);
    }
    stop(a, report_not_up(a));
  }
}

static void on_duration(uv_timer_t *t) {
  app *a = t->data;
  stop(a, a->all_up_once ? EXIT_UP : report_not_up(a));
}

static void on_show(uv_timer_t *t) { print_table(t->data); }

/* Checked each loop iteration: --once ends as soon as every session has
 * been Up (a peer that exits at once may already have taken it down again,
 * so "reached" rather than "is Up now"). */
static void on_check(uv_check_t *c) {
  app *a = c->data;
  if (a->once && !a->stopping && a->n > 0 && a->n_reached == a->n) {
    stop(a, EXIT_UP);
  }
  if (a->stopping) {
    uv_close((uv_handle_t *)c, NULL);
  }
}

static void addr_add(svrbfd_addr *a, uint32_t k) {
  /* adds k to the last 32 bits (IPv4: the address) */
  size_t off = a->family == 6 ? 12 : 0;
  uint32_t v = (uint32_t)a->addr[off] << 24 | (uint32_t)a->addr[off + 1] << 16 |
               (uint32_t)a->addr[off + 2] << 8 | a->addr[off + 3];
  v += k;
  a->addr[off] = (uint8_t)(v >> 24);
  a->addr[off + 1] = (uint8_t)(v >> 16);
  a->addr[off + 2] = (uint8_t)(v >> 8);
  a->addr[off + 3] = (uint8_t)v;
}

static uint64_t s_to_ms(double s) { return (uint64_t)(s * 1000.0 + 0.5); }

static double parse_seconds(const char *opt, const char *v) {
  char *end;
  double d;
  errno = 0;
  d = strtod(v, &end);
  if (errno || *end || !(d > 0) || d > 1e7) {
    die_usage("%s %s: expected a number of seconds > 0", opt, v);
  }
  return d;
}

int main(int argc, char **argv) {
  enum {
    O_RFC5881 = 256, O_PORT, O_TX, O_RX, O_MULT, O_HOLD, O_PASSIVE, O_DEMAND,
    O_AUTH, O_META, O_COUNT, O_RNAME, O_NNAME, O_ONCE, O_TIMEOUT, O_DURATION,
    O_SHOW, O_JSON, O_BIND_ANY, O_RFC5883, O_MIN_TTL, O_CONTROL, O_FORMAT
  };
  static const struct option opts[] = {
      {"local", required_argument, NULL, 'l'},
      {"peer", required_argument, NULL, 'p'},
      {"rfc5881", no_argument, NULL, O_RFC5881},
      {"rfc5883", no_argument, NULL, O_RFC5883},
      {"min-ttl", required_argument, NULL, O_MIN_TTL},
      {"port", required_argument, NULL, O_PORT},
      {"tx", required_argument, NULL, O_TX},
      {"rx", required_argument, NULL, O_RX},
      {"mult", required_argument, NULL, O_MULT},
      {"hold-down", required_argument, NULL, O_HOLD},
      {"passive", no_argument, NULL, O_PASSIVE},
      {"demand", no_argument, NULL, O_DEMAND},
      {"auth", required_argument, NULL, O_AUTH},
      {"metadata", required_argument, NULL, O_META},
      {"count", required_argument, NULL, O_COUNT},
      {"config", required_argument, NULL, 'c'},
      {"router-name", required_argument, NULL, O_RNAME},
      {"node-name", required_argument, NULL, O_NNAME},
      {"once", no_argument, NULL, O_ONCE},
      {"timeout", required_argument, NULL, O_TIMEOUT},
      {"duration", required_argument, NULL, O_DURATION},
      {"show-interval", required_argument, NULL, O_SHOW},
      {"json", no_argument, NULL, O_JSON},
      {"control", required_argument, NULL, O_CONTROL},
      {"format", required_argument, NULL, O_FORMAT},
      {"quiet", no_argument, NULL, 'q'},
      {"bind-any", no_argument, NULL, O_BIND_ANY},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  static app a;
  spec def;
  spec *specs = NULL;
  size_t nspecs = 0, i;
  unsigned long count = 1, v;
  const char *err, *cli_rname = NULL, *cli_nname = NULL;
  svrbfd_callbacks cb;
  svrbfd_settings st;
  uv_check_t check;
  struct timespec rt;
  int c, rc, format_frr = 0;

  spec_default(&def);
  opterr = 0; /* our own message, without the path we were started by */
  while ((c = getopt_long(argc, argv, "l:p:c:qhV", opts, NULL)) != -1) {
    const char *key = NULL, *val = optarg;
    switch (c) {
    case 'l': key = "local"; break;
    case 'p': key = "peer"; break;
    case O_RFC5881: key = "rfc5881"; break;
    case O_RFC5883: key = "rfc5883"; break;
    case O_MIN_TTL: key = "min-ttl"; break;
    case O_PORT: key = "port"; break;
    case O_TX: key = "tx"; break;
    case O_RX: key = "rx"; break;
    case O_MULT: key = "mult"; break;
    case O_HOLD: key = "hold-down"; break;
    case O_PASSIVE: key = "passive"; break;
    case O_DEMAND: key = "demand"; break;
    case O_AUTH: key = "auth"; break;
    case O_META: key = "metadata"; break;
    case O_COUNT:
      if (parse_uint(optarg, 1, 1000000, &v)) {
        die_usage("--count %s: expected 1..1000000", optarg);
      }
      count = v;
      break;
    case 'c': a.config = optarg; break;
    case O_RNAME:
    case O_NNAME:
      if (strlen(optarg) >= SVRBFD_NAME_MAX) {
        die_usage("--%s: longer than %d bytes",
                  c == O_RNAME ? "router-name" : "node-name",
                  SVRBFD_NAME_MAX - 1);
      }
      if (c == O_RNAME) {
        cli_rname = optarg;
      } else {
        cli_nname = optarg;
      }
      break;
    case O_ONCE: a.once = 1; break;
    case O_TIMEOUT: a.timeout_s = parse_seconds("--timeout", optarg); break;
    case O_DURATION: a.duration_s = parse_seconds("--duration", optarg); break;
    case O_SHOW: a.show_interval_s = parse_seconds("--show-interval", optarg); break;
    case O_JSON: a.json = 1; break;
    case O_FORMAT:
      if (strcmp(optarg, "frr") == 0) {
        format_frr = 1;
      } else if (strcmp(optarg, "svr") != 0) {
        die_usage("--format %s: expected svr or frr", optarg);
      }
      break;
    case O_CONTROL:
      if (*optarg == '\0') {
        die_usage("--control: empty path");
      }
      a.control = optarg;
      break;
    case 'q': a.quiet = 1; break;
    case O_BIND_ANY: a.bind_any = 1; break;
    case 'h': fputs(usage_text, stdout); return 0;
    case 'V': {
      const svrbfd_info *in = svrbfd_version(0);
      printf("svr-bfd (libsvrbfd %s)\n", in ? in->version_str : "?");
      return 0;
    }
    default:
      die_usage("unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (key) {
      if ((err = spec_set(&def, key, val)) != NULL) {
        die_usage("--%s", err);
      }
    }
  }
  if (optind < argc && strcmp(argv[optind], "show") == 0) {
    /* svr-bfd show [peers | bfd peers] [--json] --control PATH */
    int k = optind + 1;
    if (k < argc && strcmp(argv[k], "peers") == 0) {
      k++;
    } else if (k + 1 < argc && strcmp(argv[k], "bfd") == 0 &&
               strcmp(argv[k + 1], "peers") == 0) {
      k += 2;
    } else if (k < argc) {
      die_usage("show: unknown object '%s' (show, show peers, show bfd peers)",
                argv[k]);
    }
    if (k < argc) {
      die_usage("unexpected argument '%s'", argv[k]);
    }
    if (!a.control) {
      die_usage("show needs --control PATH (the socket of the running svr-bfd)");
    }
    if (format_frr && !a.json) {
      die_usage("--format frr needs --json (FRR's field names are JSON keys)");
    }
    return svr_ctl_request("svr-bfd", a.control,
                           format_frr ? "show json frr"
                           : a.json   ? "show json"
                                      : "show");
  }
  if (optind < argc) {
    die_usage("unexpected argument '%s'", argv[optind]);
  }
  if (format_frr) {
    die_usage("--format applies to show only");
  }
  g_defaults = def;
  if (a.config) {
    if (read_config(&a, a.config, &def, &specs, &nspecs) != 0) {
      return EXIT_USAGE;
    }
    if (nspecs == 0) {
      fprintf(stderr, "%s: no session lines\n", a.config);
      return EXIT_USAGE;
    }
  }
  if (def.local.family || def.peer.family || !a.config) {
    if ((err = spec_check(&def)) != NULL) {
      die_usage("%s", err);
    }
    for (i = 0; i < count; i++) {
      spec sp = def;
      spec *n;
      addr_add(&sp.local, (uint32_t)i);
      addr_add(&sp.peer, (uint32_t)i);
      n = realloc(specs, (nspecs + 1) * sizeof(*n));
      if (!n) {
        fprintf(stderr, "svr-bfd: out of memory\n");
        return EXIT_USAGE;
      }
      specs = n;
      specs[nspecs++] = sp;
    }
  } else if (count != 1) {
    die_usage("--count needs --local and --peer");
  }
  if (cli_rname) {
    snprintf(a.router_name, sizeof(a.router_name), "%s", cli_rname);
  }
  if (cli_nname) {
    snprintf(a.node_name, sizeof(a.node_name), "%s", cli_nname);
  }

  /* Many sessions, one socket each without --bind-any: raise the fd limit. */
  {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
  }

  a.loop = uv_default_loop();
  clock_gettime(CLOCK_REALTIME, &rt);
  a.wall_offset_ns = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec -
                     (int64_t)bfd_uv_now();

  memset(&cb, 0, sizeof(cb));
  cb.rand = bfd_uv_rand;
  cb.session_state = cb_state;
  cb.path_status = cb_path;
  cb.remote_changed = cb_remote;
  svrbfd_settings_default(&st);
  st.router_name = a.router_name;
  st.node_name = a.node_name;
  st.sessions_hint = nspecs;
  rc = svrbfd_ctx_new(&a.ctx, &cb, &st, NULL, &a);
  if (rc != 0) {
    fprintf(stderr, "svr-bfd: svrbfd_ctx_new: %s\n", svrbfd_strerror(rc));
    return EXIT_USAGE;
  }
  rc = bfd_uv_new(&a.glue, a.loop, a.ctx,
                  a.bind_any ? BFD_UV_BIND_ANY : BFD_UV_BIND_EACH);
  if (rc != 0) {
    fprintf(stderr, "svr-bfd: %s\n", strerror(-rc));
    return EXIT_USAGE;
  }
  if ((rc = bfd_uv_set_errq_handler(a.glue, on_errq, &a)) != 0) {
    fprintf(stderr, "svr-bfd: IP_RECVERR: %s\n", strerror(-rc));
    return SVR_EXIT_SYSTEM;
  }
  if (a.once && a.timeout_s <= 0) {
    /* --once has a deadline of its own (as ping -w): 10 s, or two
     * detection times of the slowest session if that is longer */
    a.timeout_s = 10;
    for (i = 0; i < nspecs; i++) {
      uint32_t iv = specs[i].tx_ms > specs[i].rx_ms ? specs[i].tx_ms : specs[i].rx_ms;
      double d = 2.0 * specs[i].mult * iv / 1000.0;
      if (d > a.timeout_s) {
        a.timeout_s = d;
      }
    }
  }
  for (i = 0; i < nspecs; i++) {
    if (add_session(&a, &specs[i], a.config) != 0) {
      return EXIT_USAGE;
    }
  }
  free(specs);

  uv_signal_init(a.loop, &a.sig_int);
  uv_signal_init(a.loop, &a.sig_term);
  uv_signal_init(a.loop, &a.sig_usr1);
  uv_signal_init(a.loop, &a.sig_hup);
  a.sig_int.data = a.sig_term.data = a.sig_usr1.data = a.sig_hup.data = &a;
  uv_signal_start(&a.sig_int, on_signal, SIGINT);
  uv_signal_start(&a.sig_term, on_signal, SIGTERM);
  uv_signal_start(&a.sig_usr1, on_signal, SIGUSR1);
  uv_signal_start(&a.sig_hup, on_signal, SIGHUP);
  uv_timer_init(a.loop, &a.t_timeout);
  uv_timer_init(a.loop, &a.t_duration);
  uv_timer_init(a.loop, &a.t_show);
  a.t_timeout.data = a.t_duration.data = a.t_show.data = &a;
  if (a.timeout_s > 0) {
    uv_timer_start(&a.t_timeout, on_timeout, s_to_ms(a.timeout_s), 0);
  }
  if (a.duration_s > 0) {
    uv_timer_start(&a.t_duration, on_duration, s_to_ms(a.duration_s), 0);
  }
  if (a.show_interval_s > 0) {
    uint64_t ms = s_to_ms(a.show_interval_s);
    uv_timer_start(&a.t_show, on_show, ms, ms);
  }
  uv_check_init(a.loop, &check);
  check.data = &a;
  uv_check_start(&check, on_check);

  if (a.control) {
    char msg[512];
    if (svr_ctl_listen(&a.ctl, a.loop, a.control, NULL, ctl_handler, &a, msg,
                       sizeof(msg)) != 0) {
      fprintf(stderr, "svr-bfd: %s\n", msg);
      return SVR_EXIT_SYSTEM;
    }
  }
  /* Signal handlers are in place: scripts may wait for this line. */
  {
    char t[48];
    fmt_time(&a, bfd_uv_now(), t, sizeof(t), a.json);
    if (a.json) {
      printf("{\"event\":\"start\",\"time\":%s,\"pid\":%ld,"
             "\"sessions\":%zu}\n",
             t, (long)getpid(), a.n);
    } else {
      printf("%s start pid %ld, %zu sessions\n", t, (long)getpid(), a.n);
    }
    fflush(stdout);
  }
  bfd_uv_kick(a.glue);
  uv_run(a.loop, UV_RUN_DEFAULT);

  bfd_uv_del(a.glue);
  for (i = 0; i < a.n; i++) {
    free(a.sessions[i]);
  }
  free(a.sessions);
  svrbfd_ctx_del(a.ctx);
  uv_loop_close(a.loop);
  return a.exit_code;
}
