/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router configuration parser (format: docs/svr-router.md).
 *
 *   # comment
 *   router NAME            global keys first (router-level BFD defaults too)
 *   [interface NAME]       address, port
 *   [neighborhood NAME]    interface, topology, BFD keys
 *   [adjacency PEER]       neighborhood, address, port, hostname, BFD keys,
 *                          encryption, security-key(-id), ttl-padding
 *   [tenant NAME]          prefix (repeatable)
 *   [service NAME]         prefix (repeatable), protocol, port, peer, tenant
 *
 * Every error is collected with its file and line; a file with any error
 * produces no configuration.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_conf.h"
#include "router_hash.h"

#define RC_BFD_STATE 0x001u
#define RC_BFD_TX 0x002u
#define RC_BFD_RX 0x004u
#define RC_BFD_ECHO 0x008u
#define RC_BFD_MULT 0x010u
#define RC_BFD_HOLD 0x020u
#define RC_BFD_LTI 0x040u
#define RC_BFD_LTL 0x080u
#define RC_BFD_PMTU 0x100u
#define RC_BFD_PMTUI 0x200u
#define RC_BFD_UTM 0x400u
#define RC_BFD_UTI 0x800u
#define RC_BFD_PMTUC 0x1000u
#define RC_BFD_AUTH 0x2000u
#define RC_BFD_AKEY 0x4000u
#define RC_BFD_DAMP 0x8000u
#define RC_BFD_MAXHOLD 0x10000u

#define RC_MAX_ERRORS 50

typedef enum sec_kind { SEC_GLOBAL, SEC_INTERFACE, SEC_NEIGHBORHOOD,
                        SEC_ADJACENCY, SEC_TENANT, SEC_SERVICE,
                        SEC_BROKEN } sec_kind;

typedef struct parser {
  rc_config *c;
  const char *file;
  char *err;
  size_t errlen, errpos;
  int nerr;
  int line;
  sec_kind sec;
  void *cur;      /* current section object */
  uint32_t seen;  /* non-BFD keys seen in the current section */
} parser;

static void perr(parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(parser *p, int line, const char *fmt, ...) {
  va_list ap;
  int n;
  p->nerr++;
  if (p->nerr > RC_MAX_ERRORS || p->errpos >= p->errlen) {
    return;
  }
  n = snprintf(p->err + p->errpos, p->errlen - p->errpos, "%s:%d: ", p->file,
               line);
  if (n > 0) {
    p->errpos += (size_t)n;
  }
  if (p->errpos >= p->errlen) {
    p->errpos = p->errlen;
    return;
  }
  va_start(ap, fmt);
  n = vsnprintf(p->err + p->errpos, p->errlen - p->errpos, fmt, ap);
  va_end(ap);
  if (n > 0) {
    p->errpos += (size_t)n;
  }
  if (p->errpos + 1 < p->errlen) {
    p->err[p->errpos++] = '\n';
    p->err[p->errpos] = '\0';
  } else {
    p->errpos = p->errlen;
  }
}

void rc_bfd_default(rc_bfd *b) {
  memset(b, 0, sizeof(*b));
  b->enabled = 1;
  b->desired_tx_ms = 1000;
  b->required_min_rx_ms = 500;
  b->required_min_echo_ms = 1000;
  b->multiplier = 3;
  b->hold_down_ms = 5000;
  b->link_test_interval_s = 10;
  b->link_test_length = 10;
  b->pmtu_enabled = 1;
  b->pmtu_interval_s = 600;
  b->pmtu_confirm_s = 60;
  b->auth_type = RC_AUTH_NONE;
  b->damping = 0;
  b->max_hold_down_s = 3600;
  b->ut_mode = 0;
  b->ut_interval_s = 300;
}

const char *rc_topology_name(rc_topology t) {
  switch (t) {
  case RC_HUB: return "hub";
  case RC_SPOKE: return "spoke";
  default: return "mesh";
  }
}

int rc_addr_parse(svrbfd_addr *a, const char *text) {
  memset(a, 0, sizeof(*a));
  if (inet_pton(AF_INET, text, a->addr) == 1) {
    a->family = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, a->addr) == 1) {
    a->family = 6;
    return 0;
  }
  memset(a, 0, sizeof(*a));
  return -1;
}

const char *rc_addr_str(const svrbfd_addr *a, char *buf, size_t len) {
  if (a->family == 4) {
    inet_ntop(AF_INET, a->addr, buf, (socklen_t)len);
  } else if (a->family == 6) {
    inet_ntop(AF_INET6, a->addr, buf, (socklen_t)len);
  } else {
    snprintf(buf, len, "-");
  }
  return buf;
}

/* Names: letters, digits, '-', '_', '.', 1..63 characters. */
static int name_ok(const char *s) {
  size_t n = strlen(s), i;
  if (n == 0 || n >= RC_NAME_MAX) {
    return 0;
  }
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.') {
      return 0;
    }
  }
  return 1;
}

/* Unsigned decimal in [lo, hi]; 0 or -1. */
static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end;
  unsigned long long v;
  if (!isdigit((unsigned char)s[0])) {
    return -1;
  }
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno || *end || v < lo || v > hi) {
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

/* A BFD / link-test key at any level.  Returns 1 if |key| is one (errors
 * reported), 0 if not. */
static int bfd_key(parser *p, rc_bfd *b, const char *key, const char *val) {
  uint32_t v;
  uint32_t bit;
  if (strcmp(key, "state") == 0) {
    bit = RC_BFD_STATE;
    if (strcmp(val, "enabled") == 0) {
      b->enabled = 1;
    } else if (strcmp(val, "disabled") == 0) {
      b->enabled = 0;
    } else {
      perr(p, p->line, "state: expected enabled or disabled, got '%s'", val);
      return 1;
    }
  } else if (strcmp(key, "desired-tx-interval") == 0) {
    bit = RC_BFD_TX;
    if (parse_u32(val, 50, 600000, &v)) {
      perr(p, p->line, "desired-tx-interval: expected 50..600000 (ms), got '%s'",
           val);
      return 1;
    }
    b->desired_tx_ms = v;
  } else if (strcmp(key, "required-min-rx-interval") == 0) {
    bit = RC_BFD_RX;
    if (parse_u32(val, 50, 600000, &v)) {
      perr(p, p->line,
           "required-min-rx-interval: expected 50..600000 (ms), got '%s'", val);
      return 1;
    }
    b->required_min_rx_ms = v;
  } else if (strcmp(key, "required-min-echo-interval") == 0) {
    bit = RC_BFD_ECHO;
    if (parse_u32(val, 0, 600000, &v)) {
      perr(p, p->line,
           "required-min-echo-interval: expected 0..600000 (ms), got '%s'", val);
      return 1;
    }
    b->required_min_echo_ms = v;
  } else if (strcmp(key, "multiplier") == 0) {
    bit = RC_BFD_MULT;
    if (parse_u32(val, 3, 20, &v)) {
      perr(p, p->line, "multiplier: expected 3..20, got '%s'", val);
      return 1;
    }
    b->multiplier = v;
  } else if (strcmp(key, "hold-down-time") == 0) {
    size_t n = strlen(val);
    bit = RC_BFD_HOLD;
    if (n > 2 && strcmp(val + n - 2, "ms") == 0) {
      char tmp[32];
      if (n - 2 >= sizeof(tmp)) {
        n = sizeof(tmp) + 2; /* forces the error below */
      }
      snprintf(tmp, sizeof(tmp), "%.*s", (int)(n - 2), val);
      if (parse_u32(tmp, 0, 300000, &v)) {
        perr(p, p->line,
             "hold-down-time: expected 1..300 (s) or 0ms..300000ms, got '%s'",
             val);
        return 1;
      }
      b->hold_down_ms = v;
    } else {
      if (parse_u32(val, 1, 300, &v)) {
        perr(p, p->line,
             "hold-down-time: expected 1..300 (s) or 0ms..300000ms, got '%s'",
             val);
        return 1;
      }
      b->hold_down_ms = v * 1000;
    }
  } else if (strcmp(key, "link-test-interval") == 0) {
    bit = RC_BFD_LTI;
    if (parse_u32(val, 1, 86400, &v)) {
      perr(p, p->line, "link-test-interval: expected 1..86400 (s), got '%s'",
           val);
      return 1;
    }
    b->link_test_interval_s = v;
  } else if (strcmp(key, "link-test-length") == 0) {
    bit = RC_BFD_LTL;
    if (parse_u32(val, 0, 255, &v)) {
      perr(p, p->line, "link-test-length: expected 0..255, got '%s'", val);
      return 1;
    }
    b->link_test_length = v;
  } else if (strcmp(key, "path-mtu-discovery") == 0) {
    bit = RC_BFD_PMTU;
    if (strcmp(val, "enabled") == 0) {
      b->pmtu_enabled = 1;
    } else if (strcmp(val, "disabled") == 0) {
      b->pmtu_enabled = 0;
    } else {
      perr(p, p->line,
           "path-mtu-discovery: expected enabled or disabled, got '%s'", val);
      return 1;
    }
  } else if (strcmp(key, "path-mtu-discovery-interval") == 0) {
    bit = RC_BFD_PMTUI;
    if (parse_u32(val, 1, 86400, &v)) {
      perr(p, p->line,
           "path-mtu-discovery-interval: expected 1..86400 (s), got '%s'", val);
      return 1;
    }
    b->pmtu_interval_s = v;
  } else if (strcmp(key, "authentication-type") == 0) {
    bit = RC_BFD_AUTH;
    if (strcmp(val, "simple") == 0) {
      b->auth_type = RC_AUTH_SIMPLE;
    } else if (strcmp(val, "sha256") == 0) {
      b->auth_type = RC_AUTH_SHA256;
    } else if (strcmp(val, "none") == 0) {
      b->auth_type = RC_AUTH_NONE;
    } else {
      perr(p, p->line,
           "authentication-type: expected simple, sha256 or none, got '%s'",
           val);
      return 1;
    }
  } else if (strcmp(key, "authentication-key") == 0) {
    bit = RC_BFD_AKEY;
    if (strlen(val) < 1 || strlen(val) > 64) {
      perr(p, p->line, "authentication-key: expected 1..64 characters");
      return 1;
    }
    snprintf(b->auth_key, sizeof(b->auth_key), "%s", val);
  } else if (strcmp(key, "dynamic-damping") == 0) {
    bit = RC_BFD_DAMP;
    if (strcmp(val, "enabled") == 0) {
      b->damping = 1;
    } else if (strcmp(val, "disabled") == 0) {
      b->damping = 0;
    } else {
      perr(p, p->line,
           "dynamic-damping: expected enabled or disabled, got '%s'", val);
      return 1;
    }
  } else if (strcmp(key, "maximum-hold-down-time") == 0) {
    bit = RC_BFD_MAXHOLD;
    if (parse_u32(val, 1, 86400, &v)) {
      perr(p, p->line,
           "maximum-hold-down-time: expected 1..86400 (s), got '%s'", val);
      return 1;
    }
    b->max_hold_down_s = v;
  } else if (strcmp(key, "path-mtu-confirm-interval") == 0) {
    bit = RC_BFD_PMTUC;
    if (strcmp(val, "disabled") == 0) {
      v = 0;
    } else if (parse_u32(val, 1, 86400, &v)) {
      perr(p, p->line,
           "path-mtu-confirm-interval: expected 1..86400 (s) or disabled, "
           "got '%s'", val);
      return 1;
    }
    b->pmtu_confirm_s = v;
  } else if (strcmp(key, "udp-transform-mode") == 0) {
    bit = RC_BFD_UTM;
    if (strcmp(val, "auto-detect") == 0) {
      b->ut_mode = 0;
    } else if (strcmp(val, "always-transform") == 0) {
      b->ut_mode = 1;
    } else if (strcmp(val, "disabled") == 0) {
      b->ut_mode = 2;
    } else {
      perr(p, p->line,
           "udp-transform-mode: expected auto-detect, always-transform or "
           "disabled, got '%s'", val);
      return 1;
    }
  } else if (strcmp(key, "udp-transform-detect-interval") == 0) {
    bit = RC_BFD_UTI;
    if (parse_u32(val, 1, 86400, &v)) {
      perr(p, p->line,
           "udp-transform-detect-interval: expected 1..86400 (s), got '%s'",
           val);
      return 1;
    }
    b->ut_interval_s = v;
  } else {
    return 0;
  }
  if (b->set & bit) {
    perr(p, p->line, "%s given twice in this section", key);
  }
  b->set |= bit;
  return 1;
}

/* Applies the keys |over| sets onto |base|. */
static void bfd_merge(rc_bfd *base, const rc_bfd *over) {
  if (over->set & RC_BFD_STATE) base->enabled = over->enabled;
  if (over->set & RC_BFD_TX) base->desired_tx_ms = over->desired_tx_ms;
  if (over->set & RC_BFD_RX) base->required_min_rx_ms = over->required_min_rx_ms;
  if (over->set & RC_BFD_ECHO)
    base->required_min_echo_ms = over->required_min_echo_ms;
  if (over->set & RC_BFD_MULT) base->multiplier = over->multiplier;
  if (over->set & RC_BFD_HOLD) base->hold_down_ms = over->hold_down_ms;
  if (over->set & RC_BFD_LTI)
    base->link_test_interval_s = over->link_test_interval_s;
  if (over->set & RC_BFD_LTL) base->link_test_length = over->link_test_length;
  if (over->set & RC_BFD_PMTU) base->pmtu_enabled = over->pmtu_enabled;
  if (over->set & RC_BFD_PMTUI) base->pmtu_interval_s = over->pmtu_interval_s;
  if (over->set & RC_BFD_PMTUC) base->pmtu_confirm_s = over->pmtu_confirm_s;
  if (over->set & RC_BFD_AUTH) base->auth_type = over->auth_type;
  if (over->set & RC_BFD_AKEY)
    memcpy(base->auth_key, over->auth_key, sizeof(base->auth_key));
  if (over->set & RC_BFD_DAMP) base->damping = over->damping;
  if (over->set & RC_BFD_MAXHOLD) base->max_hold_down_s = over->max_hold_down_s;
  if (over->set & RC_BFD_UTM) base->ut_mode = over->ut_mode;
  if (over->set & RC_BFD_UTI) base->ut_interval_s = over->ut_interval_s;
}

/* Non-BFD key bits, for "given twice". */
#define K_ROUTER 0x01u
#define K_NODE 0x02u
#define K_SOCKET 0x04u
#define K_ADDRESS 0x08u
#define K_PORT 0x10u
#define K_INTERFACE 0x20u
#define K_TOPOLOGY 0x40u
#define K_CKEY 0x80u
#define K_CKNOWN 0x100u
#define K_CSTATE 0x200u
#define K_NEIGHBORHOOD 0x80u
#define K_HOSTNAME 0x100u
#define K_FWD 0x400u
#define K_FWDDEV 0x800u
#define K_FWDTABLE 0x1000u
#define K_PROTOCOL 0x2000u
#define K_PEER 0x4000u
#define K_DYNADDR 0x8000u
#define K_FWDINPUT 0x10000u
#define K_BUSYPOLL 0x20000u
#define K_CLOGDIR 0x40000u
#define K_RLOGIN 0x80000u
#define K_SWREPO 0x100000u
#define K_ASSETPORTS 0x200000u
#define K_CKA 0x800000u
/* rc_adjacency.fwd_set */
#define F_CIPHER 0x1u
#define F_KEY 0x2u
#define F_KEYID 0x4u
#define F_TTL 0x8u

static int once(parser *p, uint32_t bit, const char *key) {
  if (p->seen & bit) {
    perr(p, p->line, "%s given twice in this section", key);
    return 0;
  }
  p->seen |= bit;
  return 1;
}

static void set_name(parser *p, char *dst, const char *key, const char *val) {
  if (!name_ok(val)) {
    perr(p, p->line,
         "%s: '%s' is not a name (1-63 of letters, digits, '-', '_', '.')",
         key, val);
    return;
  }
  snprintf(dst, RC_NAME_MAX, "%s", val);
}

static void set_port(parser *p, uint16_t *port, const char *val) {
  uint32_t v;
  if (parse_u32(val, 1, 65535, &v)) {
    perr(p, p->line, "port: expected 1..65535, got '%s'", val);
    return;
  }
  *port = (uint16_t)v;
}

static void set_addr(parser *p, svrbfd_addr *a, char *text, const char *val) {
  uint16_t port = a->port;
  if (rc_addr_parse(a, val) != 0) {
    perr(p, p->line, "address: '%s' is not an IPv4 or IPv6 address", val);
    a->port = port;
    /* keep the text: the section has an address, a bad one already
     * reported; the "has no 'address'" check must not report it again */
    snprintf(text, 64, "%s", val);
    return;
  }
  a->port = port;
  snprintf(text, 64, "%s", val);
}

static void key_global(parser *p, const char *key, const char *val) {
  rc_config *c = p->c;
  if (strcmp(key, "router") == 0) {
    if (once(p, K_ROUTER, key)) set_name(p, c->router, key, val);
  } else if (strcmp(key, "node") == 0) {
    if (once(p, K_NODE, key)) set_name(p, c->node, key, val);
  } else if (strcmp(key, "control-socket") == 0) {
    if (!once(p, K_SOCKET, key)) return;
    if (strlen(val) >= RC_PATH_MAX) {
      perr(p, p->line, "control-socket: path longer than %d bytes",
           RC_PATH_MAX - 1);
      return;
    }
    snprintf(c->control_socket, sizeof(c->control_socket), "%s", val);
  } else if (strcmp(key, "conductor") == 0) {
    if (c->n_conductors == RC_MAX_CONDUCTORS) {
      perr(p, p->line, "conductor: at most %d conductor nodes",
           RC_MAX_CONDUCTORS);
    } else if (strlen(val) >= RC_HOSTPORT_MAX || strchr(val, ' ')) {
      perr(p, p->line, "conductor: expected HOST or HOST:PORT, got '%s'", val);
    } else {
      if (c->n_conductors == 0) {
        c->conductor_line = p->line;
      }
      snprintf(c->conductors[c->n_conductors++], RC_HOSTPORT_MAX, "%s", val);
    }
  } else if (strcmp(key, "conductor-key") == 0 ||
             strcmp(key, "conductor-known-hosts") == 0 ||
             strcmp(key, "conductor-state-dir") == 0) {
    char *dst = c->conductor_state_dir;
    uint32_t bit = K_CSTATE;
    if (strcmp(key, "conductor-key") == 0) {
      dst = c->conductor_key;
      bit = K_CKEY;
    } else if (strcmp(key, "conductor-known-hosts") == 0) {
      dst = c->conductor_known_hosts;
      bit = K_CKNOWN;
    }
    if (!once(p, bit, key)) return;
    if (strlen(val) >= RC_FILE_MAX) {
      perr(p, p->line, "%s: path longer than %d bytes", key, RC_FILE_MAX - 1);
      return;
    }
    snprintf(dst, RC_FILE_MAX, "%s", val);
  } else if (strcmp(key, "conductor-log-dir") == 0) {
    if (!once(p, K_CLOGDIR, key)) return;
    if (strlen(val) >= RC_FILE_MAX || val[0] != '/') {
      perr(p, p->line, "%s: expected an absolute path shorter than %d bytes",
           key, RC_FILE_MAX);
      return;
    }
    snprintf(c->conductor_log_dir, RC_FILE_MAX, "%s", val);
  } else if (strcmp(key, "remote-login") == 0) {
    if (!once(p, K_RLOGIN, key)) return;
    if (strcmp(val, "enabled") == 0) {
      c->remote_login_disabled = 0;
    } else if (strcmp(val, "disabled") == 0) {
      c->remote_login_disabled = 1;
    } else {
      perr(p, p->line, "remote-login: expected enabled or disabled, got '%s'",
           val);
    }
  } else if (strcmp(key, "software-repository") == 0) {
    if (!once(p, K_SWREPO, key)) return;
    if (strcmp(val, "conductor-only") != 0 &&
        strcmp(val, "prefer-conductor") != 0 &&
        strcmp(val, "internet-only") != 0) {
      perr(p, p->line, "software-repository: expected conductor-only, "
           "prefer-conductor or internet-only, got '%s'", val);
      return;
    }
    snprintf(c->software_repository, sizeof c->software_repository, "%s", val);
  } else if (strcmp(key, "conductor-asset-ports") == 0) {
    unsigned a, b;
    char end;
    if (!once(p, K_ASSETPORTS, key)) return;
    if (strcmp(val, "off") == 0) {
      c->asset_mode = -1;
    } else if (sscanf(val, "%u,%u%c", &a, &b, &end) == 2 && a > 0 && b > 0 &&
               a <= 65535 && b <= 65535 && a != b) {
      c->asset_mode = 1;
      c->asset_port_pub = (uint16_t)a;
      c->asset_port_req = (uint16_t)b;
    } else {
      perr(p, p->line, "conductor-asset-ports: expected PUB,REQ (two "
           "different ports 1-65535) or off, got '%s'", val);
    }
  } else if (strcmp(key, "software-available") == 0) {
    /* repeatable: one version a line */
    int i, dup = 0, ok;
    size_t n = strlen(val), k;
    ok = n > 0 && n < 64;
    for (k = 0; ok && k < n; k++) {
      char ch = val[k];
      ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' ||
           ch == '+' || ch == '~';
    }
    if (!ok) {
      perr(p, p->line, "software-available: '%s' is not a version (1-63 "
           "of A-Z a-z 0-9 . _ - + ~)", val);
      return;
    }
    for (i = 0; i < c->n_software_available; i++) {
      dup |= strcmp(c->software_available[i], val) == 0;
    }
    if (dup) {
      perr(p, p->line, "software-available: '%s' given twice", val);
    } else if (c->n_software_available == 32) {
      perr(p, p->line, "software-available: at most 32 versions");
    } else {
      snprintf(c->software_available[c->n_software_available++], 64, "%s",
               val);
    }
  } else if (strcmp(key, "conductor-keepalive-interval") == 0) {
    uint32_t v;
    if (!once(p, K_CKA, key)) return;
    if (parse_u32(val, 1, 10, &v)) {
      perr(p, p->line, "conductor-keepalive-interval: expected 1-10 (s), "
                       "got '%s'", val);
      return;
    }
    c->conductor_ka_s = v;
  } else if (strcmp(key, "forwarding") == 0) {
    if (!once(p, K_FWD, key)) return;
    if (strcmp(val, "enabled") == 0) {
      c->forwarding = 1;
    } else if (strcmp(val, "disabled") == 0) {
      c->forwarding = 0;
    } else {
      perr(p, p->line, "forwarding: expected enabled or disabled, got '%s'",
           val);
    }
  } else if (strcmp(key, "forwarding-device") == 0) {
    if (!once(p, K_FWDDEV, key)) return;
    if (strlen(val) >= RC_DEVNAME_MAX || !name_ok(val) ||
        strcmp(val, ".") == 0 || strcmp(val, "..") == 0) {
      perr(p, p->line, "forwarding-device: '%s' is not a device name (1-15 "
                       "of letters, digits, '-', '_', '.')", val);
      return;
    }
    snprintf(c->forwarding_device, sizeof(c->forwarding_device), "%s", val);
  } else if (strcmp(key, "forwarding-table") == 0) {
    uint32_t v;
    if (!once(p, K_FWDTABLE, key)) return;
    /* 253-255 are the kernel's default, main and local tables */
    if (parse_u32(val, 1, 0x7fffffff, &v) || (v >= 253 && v <= 255)) {
      perr(p, p->line, "forwarding-table: expected 1..2147483647 but not "
                       "253-255 (the kernel's own tables), got '%s'", val);
      return;
    }
    c->forwarding_table = v;
  } else if (strcmp(key, "forwarding-peer-input") == 0) {
    if (!once(p, K_FWDINPUT, key)) return;
    if (strcmp(val, "auto") == 0) {
      c->forwarding_peer_tap = 0;
    } else if (strcmp(val, "tap") == 0) {
      c->forwarding_peer_tap = 1;
    } else {
      perr(p, p->line, "forwarding-peer-input: expected auto or tap, got "
                       "'%s'", val);
    }
  } else if (strcmp(key, "busy-poll-us") == 0) {
    uint32_t v;
    if (!once(p, K_BUSYPOLL, key)) return;
    if (parse_u32(val, 0, 1000, &v)) {
      perr(p, p->line, "busy-poll-us: expected 0..1000, got '%s'", val);
      return;
    }
    c->busy_poll_us = v;
  } else if (!bfd_key(p, &c->bfd, key, val)) {
    perr(p, p->line, "unknown key '%s' at router level", key);
  }
}

int rc_prefix_parse(rc_prefix *pf, const char *text) {
  char buf[64];
  const char *slash = strchr(text, '/');
  uint32_t len;
  size_t alen, i;
  memset(pf, 0, sizeof(*pf));
  if (slash == NULL || (size_t)(slash - text) >= sizeof(buf)) {
    return -1;
  }
  memcpy(buf, text, (size_t)(slash - text));
  buf[slash - text] = '\0';
  if (inet_pton(AF_INET, buf, pf->addr) == 1) {
    pf->family = 4;
  } else if (inet_pton(AF_INET6, buf, pf->addr) == 1) {
    pf->family = 6;
  } else {
    return -1;
  }
  alen = pf->family == 4 ? 4 : 16;
  if (parse_u32(slash + 1, 0, (uint32_t)alen * 8, &len)) {
    return -1;
  }
  pf->len = (uint8_t)len;
  for (i = 0; i < alen; i++) { /* host bits must be zero */
    size_t bits = i * 8;
    unsigned mask = bits >= len       ? 0u
                    : bits + 8 <= len ? 0xffu
                                      : (0xffu << (8 - (len - bits))) & 0xffu;
    if (pf->addr[i] & ~mask & 0xffu) {
      return -1;
    }
  }
  return 0;
}

int rc_prefix_match(const rc_prefix *pf, int family, const uint8_t *addr) {
  size_t full = pf->len / 8u, rest = pf->len % 8u;
  if (pf->family != family) {
    return 0;
  }
  if (memcmp(pf->addr, addr, full) != 0) {
    return 0;
  }
  if (rest) {
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (pf->addr[full] & mask) == (addr[full] & mask);
  }
  return 1;
}

const char *rc_prefix_str(const rc_prefix *pf, char *buf, size_t len) {
  char a[64];
  inet_ntop(pf->family == 6 ? AF_INET6 : AF_INET, pf->addr, a, sizeof(a));
  snprintf(buf, len, "%s/%u", a, pf->len);
  return buf;
}

const char *rc_cipher_name(int cipher) {
  switch (cipher) {
  case 1: return "aes-cbc-128";
  case 2: return "aes-cbc-256";
  case 3: return "none";
  default: return "aes-256-gcm";
  }
}

static void add_prefix(parser *p, rc_prefix *arr, size_t *n, const char *what,
                       const char *val) {
  rc_prefix pf;
  size_t i;
  if (rc_prefix_parse(&pf, val) != 0) {
    perr(p, p->line, "prefix: '%s' is not ADDRESS/LENGTH with the host bits "
                     "zero (e.g. 10.1.0.0/24)", val);
    return;
  }
  for (i = 0; i < *n; i++) {
    if (memcmp(&arr[i], &pf, sizeof(pf)) == 0) {
      perr(p, p->line, "prefix %s given twice in [%s]", val, what);
      return;
    }
  }
  if (*n == RC_MAX_PREFIXES) {
    perr(p, p->line, "too many prefixes in [%s] (at most %d)", what,
         RC_MAX_PREFIXES);
    return;
  }
  arr[(*n)++] = pf;
}

static void key_tenant(parser *p, rc_tenant *t, const char *key,
                       const char *val) {
  char what[RC_NAME_MAX + 8];
  snprintf(what, sizeof(what), "tenant %s", t->name);
  if (strcmp(key, "prefix") == 0) {
    add_prefix(p, t->prefixes, &t->n_prefixes, what, val);
  } else {
    perr(p, p->line, "unknown key '%s' in [tenant %s]", key, t->name);
  }
}

static void key_service(parser *p, rc_service *sv, const char *key,
                        const char *val) {
  char what[RC_NAME_MAX + 9];
  snprintf(what, sizeof(what), "service %s", sv->name);
  if (strcmp(key, "prefix") == 0) {
    add_prefix(p, sv->prefixes, &sv->n_prefixes, what, val);
  } else if (strcmp(key, "protocol") == 0) {
    if (!once(p, K_PROTOCOL, key)) return;
    if (strcmp(val, "any") == 0) sv->protocol = 0;
    else if (strcmp(val, "icmp") == 0) sv->protocol = 1;
    else if (strcmp(val, "tcp") == 0) sv->protocol = 6;
    else if (strcmp(val, "udp") == 0) sv->protocol = 17;
    else perr(p, p->line, "protocol: expected tcp, udp, icmp or any, got '%s'",
              val);
  } else if (strcmp(key, "port") == 0) {
    uint32_t lo, hi;
    char buf[16];
    const char *dash = strchr(val, '-');
    if (!once(p, K_PORT, key)) return;
    if (dash && (size_t)(dash - val) < sizeof(buf)) {
      memcpy(buf, val, (size_t)(dash - val));
      buf[dash - val] = '\0';
      if (parse_u32(buf, 1, 65535, &lo) || parse_u32(dash + 1, 1, 65535, &hi) ||
          hi < lo) {
        perr(p, p->line, "port: expected PORT or LOW-HIGH in 1..65535, "
                         "got '%s'", val);
        return;
      }
    } else if (dash || parse_u32(val, 1, 65535, &lo)) {
      perr(p, p->line, "port: expected PORT or LOW-HIGH in 1..65535, got '%s'",
           val);
      return;
    } else {
      hi = lo;
    }
    sv->port_lo = (uint16_t)lo;
    sv->port_hi = (uint16_t)hi;
  } else if (strcmp(key, "peer") == 0) {
    if (once(p, K_PEER, key)) set_name(p, sv->peer, key, val);
  } else if (strcmp(key, "tenant") == 0) {
    if (sv->n_tenants == RC_MAX_SVC_TENANTS) {
      perr(p, p->line, "tenant: at most %d per service", RC_MAX_SVC_TENANTS);
      return;
    }
    set_name(p, sv->tenants[sv->n_tenants], key, val);
    if (sv->tenants[sv->n_tenants][0]) {
      sv->n_tenants++;
    }
  } else {
    perr(p, p->line, "unknown key '%s' in [service %s]", key, sv->name);
  }
}

/* Data-plane keys of an adjacency.  1 if |key| is one. */
static int fwd_key(parser *p, rc_adjacency *a, const char *key,
                   const char *val) {
  uint32_t v;
  if (strcmp(key, "encryption") == 0) {
    if (a->fwd_set & F_CIPHER) {
      perr(p, p->line, "%s given twice in this section", key);
      return 1;
    }
    a->fwd_set |= F_CIPHER;
    if (strcmp(val, "aes-256-gcm") == 0) a->cipher = 0;
    else if (strcmp(val, "aes-cbc-128") == 0) a->cipher = 1;
    else if (strcmp(val, "aes-cbc-256") == 0) a->cipher = 2;
    else if (strcmp(val, "none") == 0) a->cipher = 3;
    else perr(p, p->line, "encryption: expected aes-256-gcm, aes-cbc-128, "
                          "aes-cbc-256 or none, got '%s'", val);
  } else if (strcmp(key, "security-key") == 0) {
    size_t n = strlen(val), i;
    if (a->fwd_set & F_KEY) {
      perr(p, p->line, "%s given twice in this section", key);
      return 1;
    }
    a->fwd_set |= F_KEY;
    if (n % 2 || n < 32 || n > 2 * RC_KEY_MAX) {
      perr(p, p->line, "security-key: expected 32..128 hex digits (16..64 "
                       "bytes), got %zu characters", n);
      return 1;
    }
    for (i = 0; i < n; i += 2) {
      char h[3] = {val[i], val[i + 1], 0};
      char *end;
      if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1])) {
        perr(p, p->line, "security-key: '%c%c' at character %zu is not hex",
             h[0], h[1], i + 1);
        return 1;
      }
      a->key[i / 2] = (uint8_t)strtoul(h, &end, 16);
    }
    a->keylen = n / 2;
  } else if (strcmp(key, "security-key-id") == 0) {
    if (a->fwd_set & F_KEYID) {
      perr(p, p->line, "%s given twice in this section", key);
      return 1;
    }
    a->fwd_set |= F_KEYID;
    /* 0x4C48DBC6 would read as the first four bytes of the SVR cookie */
    if (parse_u32(val, 1, 0xffffffffu, &v) || v == 0x4C48DBC6u) {
      perr(p, p->line, "security-key-id: expected 1..4294967295 (but not "
                       "1279843270, the cookie's first word), got '%s'", val);
      return 1;
    }
    a->key_id = v;
  } else if (strcmp(key, "ttl-padding") == 0) {
    if (a->fwd_set & F_TTL) {
      perr(p, p->line, "%s given twice in this section", key);
      return 1;
    }
    a->fwd_set |= F_TTL;
    if (strcmp(val, "off") == 0) {
      a->ttl_mode = 0;
    } else if (strcmp(val, "automatic") == 0) {
      a->ttl_mode = 2;
    } else if (parse_u32(val, 0, 255, &v) == 0) {
      a->ttl_mode = 1;
      a->ttl_padding = (uint8_t)v;
    } else {
      perr(p, p->line, "ttl-padding: expected 0..255, automatic or off, "
                       "got '%s'", val);
    }
  } else {
    return 0;
  }
  return 1;
}

static void key_interface(parser *p, rc_interface *i, const char *key,
                          const char *val) {
  if (strcmp(key, "address") == 0) {
    if (once(p, K_ADDRESS, key)) set_addr(p, &i->address, i->address_text, val);
  } else if (strcmp(key, "port") == 0) {
    if (once(p, K_PORT, key)) set_port(p, &i->address.port, val);
  } else if (strcmp(key, "dynamic-address") == 0) {
    /* the address is learned on that kernel device (DHCP, PPPoE): the
     * daemon follows it (rtnetlink) and reports it to the conductor */
    if (!once(p, K_DYNADDR, key)) return;
    if (strlen(val) >= RC_DEVNAME_MAX || !name_ok(val) ||
        strcmp(val, ".") == 0 || strcmp(val, "..") == 0) {
      perr(p, p->line, "dynamic-address: '%s' is not a device name (1-15 "
                       "of letters, digits, '-', '_', '.')", val);
      return;
    }
    snprintf(i->device, sizeof(i->device), "%s", val);
  } else {
    perr(p, p->line, "unknown key '%s' in [interface %s]", key, i->name);
  }
}

static void key_neighborhood(parser *p, rc_neighborhood *n, const char *key,
                             const char *val) {
  if (strcmp(key, "interface") == 0) {
    if (once(p, K_INTERFACE, key)) set_name(p, n->interface_name, key, val);
  } else if (strcmp(key, "topology") == 0) {
    if (!once(p, K_TOPOLOGY, key)) return;
    if (strcmp(val, "mesh") == 0) {
      n->topology = RC_MESH;
    } else if (strcmp(val, "hub") == 0) {
      n->topology = RC_HUB;
    } else if (strcmp(val, "spoke") == 0) {
      n->topology = RC_SPOKE;
    } else {
      perr(p, p->line, "topology: expected mesh, hub or spoke, got '%s'", val);
    }
  } else if (!bfd_key(p, &n->bfd, key, val)) {
    perr(p, p->line, "unknown key '%s' in [neighborhood %s]", key, n->name);
  }
}

static void key_adjacency(parser *p, rc_adjacency *a, const char *key,
                          const char *val) {
  if (strcmp(key, "neighborhood") == 0) {
    if (once(p, K_NEIGHBORHOOD, key))
      set_name(p, a->neighborhood_name, key, val);
  } else if (strcmp(key, "address") == 0) {
    if (once(p, K_ADDRESS, key)) set_addr(p, &a->remote, a->address_text, val);
  } else if (strcmp(key, "port") == 0) {
    if (once(p, K_PORT, key)) set_port(p, &a->remote.port, val);
  } else if (strcmp(key, "hostname") == 0) {
    if (!once(p, K_HOSTNAME, key)) return;
    if (strlen(val) >= RC_NAME_MAX) {
      perr(p, p->line, "hostname: longer than %d bytes", RC_NAME_MAX - 1);
      return;
    }
    snprintf(a->hostname, sizeof(a->hostname), "%s", val);
  } else if (!fwd_key(p, a, key, val) && !bfd_key(p, &a->bfd, key, val)) {
    perr(p, p->line, "unknown key '%s' in [adjacency %s]", key, a->peer);
  }
}

/* "[kind name]" */
static void section(parser *p, char *s) {
  char *end = strchr(s, ']');
  char *kind, *name, *extra, *save = NULL;
  rc_config *c = p->c;
  size_t i;

  p->seen = 0;
  p->sec = SEC_GLOBAL;
  p->cur = NULL;
  if (end == NULL) {
    perr(p, p->line, "section header without ']'");
    p->sec = SEC_BROKEN; /* keys ignored until the next section */
    return;
  }
  if (end[1] != '\0') {
    perr(p, p->line, "text after ']' in section header");
  }
  *end = '\0';
  kind = strtok_r(s + 1, " \t", &save);
  name = kind ? strtok_r(NULL, " \t", &save) : NULL;
  extra = name ? strtok_r(NULL, " \t", &save) : NULL;
  p->sec = SEC_BROKEN; /* keys ignored until the next section */
  if (kind == NULL || name == NULL || extra != NULL) {
    perr(p, p->line, "section header must be [interface NAME], "
                     "[neighborhood NAME], [adjacency PEER-ROUTER], "
                     "[tenant NAME] or [service NAME]");
    return;
  }
  if (!name_ok(name)) {
    perr(p, p->line,
         "'%s' is not a name (1-63 of letters, digits, '-', '_', '.')", name);
    return;
  }
  if (strcmp(kind, "interface") == 0) {
    rc_interface *it;
    for (i = 0; i < c->n_interfaces; i++) {
      if (strcmp(c->interfaces[i].name, name) == 0) {
        perr(p, p->line, "interface '%s' already defined at line %d", name,
             c->interfaces[i].line);
        return;
      }
    }
    if (c->n_interfaces == RC_MAX_INTERFACES) {
      perr(p, p->line, "too many interfaces (at most %d)", RC_MAX_INTERFACES);
      return;
    }
    it = &c->interfaces[c->n_interfaces++];
    snprintf(it->name, sizeof(it->name), "%s", name);
    it->line = p->line;
    it->address.port = RC_DEFAULT_PORT;
    p->sec = SEC_INTERFACE;
    p->cur = it;
  } else if (strcmp(kind, "neighborhood") == 0) {
    rc_neighborhood *n;
    for (i = 0; i < c->n_neighborhoods; i++) {
      if (strcmp(c->neighborhoods[i].name, name) == 0) {
        perr(p, p->line, "neighborhood '%s' already defined at line %d", name,
             c->neighborhoods[i].line);
        return;
      }
    }
    if (c->n_neighborhoods == RC_MAX_NEIGHBORHOODS) {
      perr(p, p->line, "too many neighborhoods (at most %d)",
           RC_MAX_NEIGHBORHOODS);
      return;
    }
    n = &c->neighborhoods[c->n_neighborhoods++];
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->line = p->line;
    n->interface = -1;
    p->sec = SEC_NEIGHBORHOOD;
    p->cur = n;
  } else if (strcmp(kind, "adjacency") == 0) {
    rc_adjacency *a;
    if (c->n_adjacencies == RC_MAX_ADJACENCIES) {
      perr(p, p->line, "too many adjacencies (at most %d)", RC_MAX_ADJACENCIES);
      return;
    }
    if (c->n_adjacencies == c->cap_adjacencies) {
      size_t ncap = c->cap_adjacencies ? 2 * c->cap_adjacencies : 8;
      rc_adjacency *na;
      if (ncap > RC_MAX_ADJACENCIES) {
        ncap = RC_MAX_ADJACENCIES;
      }
      na = realloc(c->adjacencies, ncap * sizeof(*na));
      if (na == NULL) {
        perr(p, p->line, "out of memory");
        return;
      }
      c->adjacencies = na;
      c->cap_adjacencies = ncap;
    }
    a = &c->adjacencies[c->n_adjacencies++];
    memset(a, 0, sizeof(*a));
    snprintf(a->peer, sizeof(a->peer), "%s", name);
    a->line = p->line;
    a->neighborhood = -1;
    a->interface = -1;
    a->remote.port = RC_DEFAULT_PORT;
    a->key_id = 1;
    p->sec = SEC_ADJACENCY;
    p->cur = a;
  } else if (strcmp(kind, "tenant") == 0) {
    rc_tenant *t;
    for (i = 0; i < c->n_tenants; i++) {
      if (strcmp(c->tenants[i].name, name) == 0) {
        perr(p, p->line, "tenant '%s' already defined at line %d", name,
             c->tenants[i].line);
        return;
      }
    }
    if (c->n_tenants == RC_MAX_TENANTS) {
      perr(p, p->line, "too many tenants (at most %d)", RC_MAX_TENANTS);
      return;
    }
    t = &c->tenants[c->n_tenants++];
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->line = p->line;
    p->sec = SEC_TENANT;
    p->cur = t;
  } else if (strcmp(kind, "service") == 0) {
    rc_service *sv;
    for (i = 0; i < c->n_services; i++) {
      if (strcmp(c->services[i].name, name) == 0) {
        perr(p, p->line, "service '%s' already defined at line %d", name,
             c->services[i].line);
        return;
      }
    }
    if (c->n_services == RC_MAX_SERVICES) {
      perr(p, p->line, "too many services (at most %d)", RC_MAX_SERVICES);
      return;
    }
    sv = &c->services[c->n_services++];
    snprintf(sv->name, sizeof(sv->name), "%s", name);
    sv->line = p->line;
    p->sec = SEC_SERVICE;
    p->cur = sv;
  } else {
    perr(p, p->line,
         "unknown section '%s' (expected interface, neighborhood, adjacency, "
         "tenant or service)", kind);
  }
}

static void one_line(parser *p, char *s) {
  char *key, *val, *extra, *save = NULL, *hash;
  /* comments: '#' at the start or after white space */
  for (hash = s; (hash = strchr(hash, '#')) != NULL; hash++) {
    if (hash == s || isspace((unsigned char)hash[-1])) {
      *hash = '\0';
      break;
    }
  }
  while (isspace((unsigned char)*s)) s++;
  {
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  }
  if (*s == '\0') {
    return;
  }
  if (*s == '[') {
    section(p, s);
    return;
  }
  key = strtok_r(s, " \t", &save);
  val = strtok_r(NULL, " \t", &save);
  extra = val ? strtok_r(NULL, " \t", &save) : NULL;
  if (val == NULL) {
    perr(p, p->line, "'%s' needs a value", key);
    return;
  }
  if (extra != NULL) {
    perr(p, p->line, "'%s' takes one value, got more ('%s')", key, extra);
    return;
  }
  switch (p->sec) {
  case SEC_GLOBAL: key_global(p, key, val); break;
  case SEC_INTERFACE: key_interface(p, p->cur, key, val); break;
  case SEC_NEIGHBORHOOD: key_neighborhood(p, p->cur, key, val); break;
  case SEC_ADJACENCY: key_adjacency(p, p->cur, key, val); break;
  case SEC_TENANT: key_tenant(p, p->cur, key, val); break;
  case SEC_SERVICE: key_service(p, p->cur, key, val); break;
  default: break; /* inside a broken section header: already reported */
  }
}

/* Cross-checks once everything is read. */
/* Hash of an adjacency's interface, remote address and port. */
static uint64_t addr_key(const rc_adjacency *a) {
  uint8_t k[24];
  memset(k, 0, sizeof(k));
  memcpy(k, a->remote.addr, 16);
  k[16] = (uint8_t)a->remote.family;
  k[17] = (uint8_t)(a->remote.port >> 8);
  k[18] = (uint8_t)a->remote.port;
  k[19] = (uint8_t)a->interface;
  return rh_hash(k, sizeof(k));
}

static void finish(parser *p) {
  rc_config *c = p->c;
  size_t i, j;
  rh_index dup;
  if (rh_init(&dup, c->n_adjacencies) != 0) {
    perr(p, 1, "out of memory");
  }
  if (c->router[0] == '\0') {
    perr(p, 1, "missing 'router NAME' (the router name)");
  }
  if (c->node[0] == '\0') {
    snprintf(c->node, sizeof(c->node), "node1");
  }
  if (c->n_conductors > 0 &&
      (c->conductor_key[0] == '\0' || c->conductor_known_hosts[0] == '\0')) {
    perr(p, c->conductor_line,
         "conductor: needs conductor-key FILE and conductor-known-hosts FILE");
  }
  if (c->n_conductors == 0 &&
      (c->conductor_key[0] || c->conductor_known_hosts[0] ||
       c->conductor_state_dir[0] || c->conductor_ka_s)) {
    perr(p, 1, "conductor-key / conductor-known-hosts / conductor-state-dir "
               "/ conductor-keepalive-interval given without 'conductor "
               "HOST[:PORT]'");
  }
  for (i = 0; i < c->n_interfaces; i++) {
    rc_interface *it = &c->interfaces[i];
    if (it->address.family == 0) {
      if (it->address_text[0] == '\0') {
        perr(p, it->line, "[interface %s] has no 'address'", it->name);
      }
      continue;
    }
    for (j = 0; j < i; j++) {
      const rc_interface *o = &c->interfaces[j];
      if (o->address.family == it->address.family &&
          o->address.port == it->address.port &&
          memcmp(o->address.addr, it->address.addr, 16) == 0) {
        perr(p, it->line, "[interface %s] uses the address and port of "
                          "[interface %s] (line %d)", it->name, o->name,
             o->line);
      }
    }
  }
  for (i = 0; i < c->n_neighborhoods; i++) {
    rc_neighborhood *n = &c->neighborhoods[i];
    if (n->interface_name[0] == '\0') {
      perr(p, n->line, "[neighborhood %s] has no 'interface'", n->name);
      continue;
    }
    for (j = 0; j < c->n_interfaces; j++) {
      if (strcmp(c->interfaces[j].name, n->interface_name) == 0) {
        n->interface = (int)j;
      }
    }
    if (n->interface < 0) {
      perr(p, n->line, "[neighborhood %s]: no [interface %s] is defined",
           n->name, n->interface_name);
    }
  }
  for (i = 0; i < c->n_adjacencies; i++) {
    rc_adjacency *a = &c->adjacencies[i];
    const rc_neighborhood *n;
    rc_bfd eff;
    if (a->neighborhood_name[0] == '\0') {
      perr(p, a->line, "[adjacency %s] has no 'neighborhood'", a->peer);
      continue;
    }
    if (a->remote.family == 0) {
      if (a->address_text[0] == '\0') {
        perr(p, a->line, "[adjacency %s] has no 'address'", a->peer);
      }
      continue;
    }
    for (j = 0; j < c->n_neighborhoods; j++) {
      if (strcmp(c->neighborhoods[j].name, a->neighborhood_name) == 0) {
        a->neighborhood = (int)j;
      }
    }
    if (a->neighborhood < 0) {
      perr(p, a->line, "[adjacency %s]: no [neighborhood %s] is defined",
           a->peer, a->neighborhood_name);
      continue;
    }
    n = &c->neighborhoods[a->neighborhood];
    if (n->interface < 0) {
      continue; /* reported with the neighborhood */
    }
    if (strcmp(a->peer, c->router) == 0) {
      perr(p, a->line, "[adjacency %s]: a router cannot peer with itself",
           a->peer);
    }
    a->interface = n->interface;
    a->topology = n->topology;
    a->local = c->interfaces[n->interface].address;
    if (a->local.family != 0 && a->local.family != a->remote.family) {
      perr(p, a->line, "[adjacency %s]: address %s is IPv%d but [interface %s] "
                       "is IPv%d", a->peer, a->address_text, a->remote.family,
           c->interfaces[n->interface].name, a->local.family);
      continue;
    }
    rc_bfd_default(&eff);
    bfd_merge(&eff, &c->bfd);
    bfd_merge(&eff, &n->bfd);
    bfd_merge(&eff, &a->bfd);
    eff.set = a->bfd.set | n->bfd.set | c->bfd.set;
    a->bfd = eff;
    if (eff.auth_type != RC_AUTH_NONE && eff.auth_key[0] == '\0') {
      perr(p, a->line, "[adjacency %s]: authentication-type %s needs "
                       "authentication-key", a->peer,
           eff.auth_type == RC_AUTH_SIMPLE ? "simple" : "sha256");
    } else if (eff.auth_type == RC_AUTH_SIMPLE && strlen(eff.auth_key) > 16) {
      perr(p, a->line, "[adjacency %s]: authentication-type simple takes a "
                       "key of at most 16 characters (RFC 5880 4.2)", a->peer);
    }
    if (eff.damping && (uint64_t)eff.max_hold_down_s * 1000 <= eff.hold_down_ms) {
      perr(p, a->line, "[adjacency %s]: maximum-hold-down-time (%u s) must "
                       "exceed hold-down-time", a->peer, eff.max_hold_down_s);
    }
    /* the first earlier adjacency with this interface, address and port
     * (an index: a linear scan per adjacency is O(N^2) at 10,000) */
    if (dup.slot) {
      uint64_t h = addr_key(a);
      size_t k, pos;
      for (k = rh_first(&dup, h); (pos = rh_get(&dup, k)) != RH_NONE;
           k = rh_next(&dup, k)) {
        const rc_adjacency *o = &c->adjacencies[pos];
        if (o->interface == a->interface &&
            o->remote.family == a->remote.family &&
            o->remote.port == a->remote.port &&
            memcmp(o->remote.addr, a->remote.addr, 16) == 0) {
          perr(p, a->line, "[adjacency %s]: %s port %u on interface %s is "
                           "already the adjacency at line %d", a->peer,
               a->address_text, a->remote.port,
               c->interfaces[a->interface].name, o->line);
          break;
        }
      }
      if (pos == RH_NONE) {
        rh_put(&dup, h, i);
      }
    }
  }
  rh_free(&dup);
}

/* Data-plane cross-checks: keys per peer router, services and tenants. */
static void finish_fwd(parser *p) {
  rc_config *c = p->c;
  size_t i, j, k;
  rh_index byname;
  if (rh_init(&byname, c->n_adjacencies) != 0) {
    perr(p, 1, "out of memory");
  }
  if (c->forwarding_device[0] == '\0') {
    snprintf(c->forwarding_device, sizeof(c->forwarding_device), "svr0");
  }
  if (c->forwarding_table == 0) {
    c->forwarding_table = RC_FWD_TABLE_DEFAULT;
  }
  for (i = 0; i < c->n_adjacencies; i++) {
    rc_adjacency *a = &c->adjacencies[i];
    if (c->forwarding && a->cipher != 3 && a->keylen == 0) {
      perr(p, a->line, "[adjacency %s]: encryption %s needs security-key "
                       "(or 'encryption none')", a->peer,
           rc_cipher_name(a->cipher));
    } else if (a->keylen && a->cipher == 0 && a->keylen != 32) {
      perr(p, a->line, "[adjacency %s]: aes-256-gcm takes a 32-byte "
                       "security-key (64 hex digits), got %zu bytes", a->peer,
           a->keylen);
    } else if (a->keylen && a->cipher == 2 && a->keylen != 32) {
      perr(p, a->line, "[adjacency %s]: aes-cbc-256 takes a 32-byte "
                       "security-key (64 hex digits), got %zu bytes", a->peer,
           a->keylen);
    }
    /* against the first adjacency to the same router (an index by name:
     * a scan of the earlier ones is O(N^2) at 10,000); the earlier ones
     * that differed from it were reported themselves */
    if (byname.slot) {
      uint64_t h = rh_hash_str(a->peer);
      size_t q, pos;
      for (q = rh_first(&byname, h); (pos = rh_get(&byname, q)) != RH_NONE;
           q = rh_next(&byname, q)) {
        const rc_adjacency *o = &c->adjacencies[pos];
        if (strcmp(o->peer, a->peer) != 0) {
          continue;
        }
        if (o->cipher != a->cipher || o->key_id != a->key_id ||
            o->keylen != a->keylen || memcmp(o->key, a->key, a->keylen) != 0) {
          perr(p, a->line, "[adjacency %s]: every path to one router needs "
                           "the same encryption, security-key and "
                           "security-key-id (differs from line %d)", a->peer,
               o->line);
        }
        break;
      }
      if (pos == RH_NONE) {
        rh_put(&byname, h, i);
      }
    }
  }
  rh_free(&byname);
  for (i = 0; i < c->n_tenants; i++) {
    if (c->tenants[i].n_prefixes == 0) {
      perr(p, c->tenants[i].line, "[tenant %s] has no 'prefix'",
           c->tenants[i].name);
    }
  }
  for (i = 0; i < c->n_services; i++) {
    rc_service *sv = &c->services[i];
    int found = 0;
    if (sv->n_prefixes == 0) {
      perr(p, sv->line, "[service %s] has no 'prefix'", sv->name);
    }
    if (sv->peer[0] == '\0') {
      perr(p, sv->line, "[service %s] has no 'peer' (the router that "
                        "reaches it)", sv->name);
    } else {
      for (j = 0; j < c->n_adjacencies; j++) {
        found |= strcmp(c->adjacencies[j].peer, sv->peer) == 0;
      }
      if (!found) {
        perr(p, sv->line, "[service %s]: peer %s has no [adjacency %s]",
             sv->name, sv->peer, sv->peer);
      }
    }
    if (sv->port_lo && sv->protocol != 6 && sv->protocol != 17) {
      perr(p, sv->line, "[service %s]: 'port' needs 'protocol tcp' or "
                        "'protocol udp'", sv->name);
    }
    for (k = 0; k < sv->n_tenants; k++) {
      sv->tenant_idx[k] = -1;
      for (j = 0; j < c->n_tenants; j++) {
        if (strcmp(c->tenants[j].name, sv->tenants[k]) == 0) {
          sv->tenant_idx[k] = (int)j;
        }
      }
      if (sv->tenant_idx[k] < 0) {
        perr(p, sv->line, "[service %s]: no [tenant %s] is defined", sv->name,
             sv->tenants[k]);
      }
    }
  }
  if (c->n_services > 0 && !c->forwarding) {
    perr(p, c->services[0].line, "[service %s] given but forwarding is "
                                 "disabled ('forwarding enabled' at router "
                                 "level)", c->services[0].name);
  }
}

int rc_parse_string(rc_config *c, const char *file, const char *text,
                    char *err, size_t errlen) {
  parser p;
  const char *s = text;
  char line[1024];

  memset(c, 0, sizeof(*c));
  memset(&p, 0, sizeof(p));
  snprintf(c->file, sizeof(c->file), "%s", file);
  p.c = c;
  p.file = file;
  p.err = err;
  p.errlen = errlen;
  if (errlen) {
    err[0] = '\0';
  }
  p.sec = SEC_GLOBAL;
  while (*s) {
    const char *nl = strchr(s, '\n');
    size_t n = nl ? (size_t)(nl - s) : strlen(s);
    p.line++;
    if (n >= sizeof(line)) {
      perr(&p, p.line, "line longer than %zu bytes", sizeof(line) - 1);
    } else {
      memcpy(line, s, n);
      line[n] = '\0';
      if (memchr(line, '\0', n) != NULL) {
        perr(&p, p.line, "NUL byte in line");
      } else {
        one_line(&p, line);
      }
    }
    s += n;
    if (*s == '\n') {
      s++;
    }
  }
  finish(&p);
  finish_fwd(&p);
  if (p.nerr > RC_MAX_ERRORS) {
    perr(&p, p.line, "too many errors, %d more not shown",
         p.nerr - RC_MAX_ERRORS);
  }
  return p.nerr;
}

void rc_config_release(rc_config *c) {
  if (c) {
    free(c->adjacencies);
    c->adjacencies = NULL;
    c->n_adjacencies = c->cap_adjacencies = 0;
  }
}

void rc_config_free(rc_config *c) {
  rc_config_release(c);
  free(c);
}

int rc_config_copy(rc_config *dst, const rc_config *src) {
  *dst = *src;
  dst->adjacencies = NULL;
  dst->n_adjacencies = dst->cap_adjacencies = 0;
  if (src->n_adjacencies) {
    dst->adjacencies = malloc(src->n_adjacencies * sizeof(*dst->adjacencies));
    if (dst->adjacencies == NULL) {
      return -1;
    }
    memcpy(dst->adjacencies, src->adjacencies,
           src->n_adjacencies * sizeof(*dst->adjacencies));
    dst->n_adjacencies = dst->cap_adjacencies = src->n_adjacencies;
  }
  return 0;
}

int rc_parse_file(rc_config *c, const char *file, char *err, size_t errlen) {
  FILE *f;
  memset(c, 0, sizeof(*c)); /* no array to release if it cannot be read */
  f = fopen(file, "r");
  char *buf;
  size_t n = 0, cap = 4096;
  int rv;
  if (f == NULL) {
    snprintf(err, errlen, "%s: cannot open: %s\n", file, strerror(errno));
    return 1;
  }
  buf = malloc(cap + 1);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) {
      break;
    }
    if (cap >= (1u << 22)) {
      fclose(f);
      free(buf);
      snprintf(err, errlen, "%s: larger than 4 MiB\n", file);
      return 1;
    }
    cap *= 2;
    {
      char *nb = realloc(buf, cap + 1);
      if (nb == NULL) {
        free(buf);
        buf = NULL;
      } else {
        buf = nb;
      }
    }
  }
  if (buf == NULL || ferror(f)) {
    fclose(f);
    free(buf);
    snprintf(err, errlen, "%s: cannot read\n", file);
    return 1;
  }
  fclose(f);
  buf[n] = '\0';
  if (strlen(buf) != n) {
    free(buf);
    snprintf(err, errlen, "%s: contains a NUL byte\n", file);
    return 1;
  }
  rv = rc_parse_string(c, file, buf, err, errlen);
  free(buf);
  return rv;
}

int rc_adjacency_same(const rc_adjacency *a, const rc_adjacency *b) {
  rc_bfd x = a->bfd, y = b->bfd;
  x.set = y.set = 0;
  return strcmp(a->peer, b->peer) == 0 &&
         memcmp(&a->local, &b->local, sizeof(a->local)) == 0 &&
         memcmp(&a->remote, &b->remote, sizeof(a->remote)) == 0 &&
         a->topology == b->topology &&
         x.enabled == y.enabled &&
         /* desired-tx, required-min-rx and multiplier change on a running
          * session (a Poll Sequence, svrbfd_session_set_timers) */
         x.required_min_echo_ms == y.required_min_echo_ms &&
         x.hold_down_ms == y.hold_down_ms &&
         x.auth_type == y.auth_type &&
         strcmp(x.auth_key, y.auth_key) == 0 && x.damping == y.damping &&
         x.max_hold_down_s == y.max_hold_down_s;
}
