/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router configuration: the file format (docs/svr-router.md), its parser
 * and the validated data model.  Parsing is all-or-nothing: a file with any
 * error yields the list of "file:line: what is wrong" messages and no config.
 */
#ifndef SVR_ROUTER_CONF_H
#define SVR_ROUTER_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <svrbfd/svrbfd.h>

#define RC_NAME_MAX 64
#define RC_PATH_MAX 108 /* sun_path */
#define RC_FILE_MAX 256
#define RC_HOSTPORT_MAX 300 /* host name (255) + ':' + port */
#define RC_MAX_CONDUCTORS 2
#define RC_MAX_INTERFACES 32
#define RC_MAX_NEIGHBORHOODS 64
/* Adjacencies are a growing array: a head end holds 10,000 peer paths
 * (docs/scale.md); this is the most one configuration may have. */
#define RC_MAX_ADJACENCIES 16384
#define RC_DEFAULT_PORT 1280
#define RC_MAX_PREFIXES 16     /* per tenant or service */
#define RC_MAX_TENANTS 32
#define RC_MAX_SERVICES 64
#define RC_MAX_SVC_TENANTS 8   /* 'tenant' lines of one service */
#define RC_KEY_MAX 64          /* security-key bytes */
#define RC_DEVNAME_MAX 16      /* IFNAMSIZ */
#define RC_FWD_TABLE_DEFAULT 5356u /* routing table and mark ("SV") */

typedef enum rc_topology { RC_MESH = 0, RC_HUB = 1, RC_SPOKE = 2 } rc_topology;

/* BFD and link-test settings; each level (router, neighborhood, adjacency)
 * overrides only the keys it sets. */
/* authentication-type: none (default), simple (RFC 5880 simple password),
 * sha256 (HMAC-SHA256, libsvrbfd's type 240). */
enum { RC_AUTH_NONE = 0, RC_AUTH_SIMPLE = 1, RC_AUTH_SHA256 = 2 };

typedef struct rc_bfd {
  uint32_t set;                   /* RC_BFD_* bits given at this level */
  int enabled;                    /* state enabled|disabled */
  uint32_t desired_tx_ms;         /* 50..600000, default 1000 */
  uint32_t required_min_rx_ms;    /* 50..600000, default 500 */
  uint32_t required_min_echo_ms;  /* 0..600000, default 1000 */
  uint32_t multiplier;            /* 3..20, default 3 */
  uint32_t hold_down_ms;          /* hold-down-time s (0..300) or ms, default 5 s */
  uint32_t link_test_interval_s;  /* 1..86400, default 10 */
  uint32_t link_test_length;      /* 0..255, default 10 (0 disables) */
  int pmtu_enabled;               /* path-mtu-discovery enabled|disabled */
  uint32_t pmtu_interval_s;       /* path-mtu-discovery-interval 1..86400,
                                     default 600 */
  uint32_t pmtu_confirm_s;        /* path-mtu-confirm-interval: probe the
                                     path MTU for a black hole every N s,
                                     1..86400 or 0 (disabled), default 60 */
  int ut_mode;                    /* udp-transform-mode: 0 auto-detect,
                                     1 always-transform, 2 disabled
                                     (svrfwdet_mode values) */
  uint32_t ut_interval_s;         /* udp-transform-detect-interval 1..86400,
                                     default 300 */
  int auth_type;                  /* authentication-type: RC_AUTH_* */
  char auth_key[65];              /* authentication-key (ours), 1..64 */
  int damping;                    /* dynamic-damping enabled|disabled */
  uint32_t max_hold_down_s;       /* maximum-hold-down-time, default 3600 */
} rc_bfd;

typedef struct rc_interface {
  char name[RC_NAME_MAX];
  int line;
  char address_text[64];
  svrbfd_addr address; /* the waypoint address; .port = port */
  /* dynamic-address DEVICE: the address is learned (DHCP, PPPoE) on that
   * kernel device; svr-router follows it (router_dpu.c) and reports it to
   * the conductor.  "" = static. */
  char device[RC_DEVNAME_MAX];
} rc_interface;

typedef struct rc_neighborhood {
  char name[RC_NAME_MAX];
  int line;
  char interface_name[RC_NAME_MAX];
  int interface;       /* index into interfaces */
  rc_topology topology;
  rc_bfd bfd;
} rc_neighborhood;

typedef struct rc_adjacency {
  char peer[RC_NAME_MAX]; /* peer router name */
  int line;
  char neighborhood_name[RC_NAME_MAX];
  int neighborhood;
  int interface;
  char address_text[64];
  svrbfd_addr remote;   /* .port = port */
  svrbfd_addr local;    /* the interface's waypoint address and port */
  char hostname[RC_NAME_MAX]; /* "" = unavailable */
  rc_topology topology; /* the neighborhood's */
  rc_bfd bfd;           /* effective: router < neighborhood < adjacency */
  /* Data plane (docs/svr-router.md "Forwarding"): per peer path. */
  int cipher;           /* svrfwd_cipher; default AES-256-GCM */
  uint8_t key[RC_KEY_MAX]; /* security-key */
  size_t keylen;        /* 0 = none given */
  uint32_t key_id;      /* security-key-id, default 1 */
  int ttl_mode;         /* svrfwd_ttl_mode: off, fixed, auto */
  uint8_t ttl_padding;  /* fixed mode */
  uint32_t fwd_set;     /* which data-plane keys were given */
} rc_adjacency;

/* An IPv4 or IPv6 prefix, host bits zero. */
typedef struct rc_prefix {
  uint8_t family; /* 4 or 6 */
  uint8_t len;
  uint8_t addr[16];
} rc_prefix;

/* [tenant NAME]: the source prefixes whose traffic belongs to it. */
typedef struct rc_tenant {
  char name[RC_NAME_MAX];
  int line;
  rc_prefix prefixes[RC_MAX_PREFIXES];
  size_t n_prefixes;
} rc_tenant;

/* [service NAME]: destinations reached through a peer router. */
typedef struct rc_service {
  char name[RC_NAME_MAX];
  int line;
  rc_prefix prefixes[RC_MAX_PREFIXES];
  size_t n_prefixes;
  uint8_t protocol;          /* 0 any, 1 icmp, 6 tcp, 17 udp */
  uint16_t port_lo, port_hi; /* 0 = any port */
  char peer[RC_NAME_MAX];    /* the router that reaches it */
  char tenants[RC_MAX_SVC_TENANTS][RC_NAME_MAX]; /* none = every tenant */
  size_t n_tenants;
  int tenant_idx[RC_MAX_SVC_TENANTS]; /* resolved */
} rc_service;

typedef struct rc_config {
  char file[256];
  char router[RC_NAME_MAX];
  char node[RC_NAME_MAX];
  char control_socket[RC_PATH_MAX];
  /* The conductor link (libconductor, router side): up to two conductor
   * nodes "host:port"; none = alarms are only logged. */
  char conductors[RC_MAX_CONDUCTORS][RC_HOSTPORT_MAX];
  size_t n_conductors;
  int conductor_line;                      /* first 'conductor' line */
  char conductor_key[RC_FILE_MAX];         /* router private key */
  char conductor_known_hosts[RC_FILE_MAX]; /* pinned conductor host keys */
  char conductor_state_dir[RC_FILE_MAX];   /* alarm journal; "" = memory */
  /* Administration over the conductor link (docs/libconductor.md 2.7,
   * 2.8): the log retriever's directory ("" = none), remote login (shell
   * connect) disabled, the software repository source ("" or
   * internet-only: no checks). */
  char conductor_log_dir[RC_FILE_MAX];
  int remote_login_disabled;
  char software_repository[32];
  /* Asset channel (docs/libconductor.md section 10): asset_mode 0 = the
   * default (on for a conductor on 930, ports 4505/4506), 1 = on the
   * given ports, -1 = off; the versions this router may download (the
   * answer to the conductor's software version check). */
  int asset_mode;
  uint16_t asset_port_pub, asset_port_req;
  char software_available[32][64];
  int n_software_available;
  /* conductor-keepalive-interval: SSH keepalive after this many seconds
   * without a packet from a conductor node, 1-10; 0 = the glue's default
   * (CGLUE_KA_INTERVAL_DEFAULT_S, 5 s).  Read at start. */
  uint32_t conductor_ka_s;
  rc_bfd bfd; /* router-level defaults */
  rc_interface interfaces[RC_MAX_INTERFACES];
  size_t n_interfaces;
  rc_neighborhood neighborhoods[RC_MAX_NEIGHBORHOODS];
  size_t n_neighborhoods;
  rc_adjacency *adjacencies; /* n_adjacencies of them (heap; see
                                rc_config_free and rc_config_copy) */
  size_t n_adjacencies;
  size_t cap_adjacencies;
  /* Data plane */
  int forwarding;                        /* forwarding enabled|disabled */
  char forwarding_device[RC_DEVNAME_MAX]; /* TUN device, default svr0 */
  uint32_t forwarding_table;             /* table and fwmark */
  int forwarding_peer_tap;               /* forwarding-peer-input tap */
  uint32_t busy_poll_us;                 /* busy-poll-us, 0 = off */
  rc_tenant tenants[RC_MAX_TENANTS];
  size_t n_tenants;
  rc_service services[RC_MAX_SERVICES];
  size_t n_services;
} rc_config;

/*
 * Parses |text| (named |file| in messages).  Returns 0 and fills |c|, or the
 * number of errors, with one "file:line: message\n" per error in |err|
 * (truncated to |errlen|).  |c| is unspecified on error.
 */
int rc_parse_string(rc_config *c, const char *file, const char *text,
                    char *err, size_t errlen);

/* Same for a file; an unreadable file is one error "file: reason". */
int rc_parse_file(rc_config *c, const char *file, char *err, size_t errlen);

/* A configuration owns its adjacency array: after rc_parse_string() or
 * rc_parse_file() (successful or not) release it with rc_config_release(),
 * or release it and free(c) with rc_config_free() (NULL is a no-op).  A
 * structure copy would share the array: rc_config_copy() copies it too
 * (0, or -1 out of memory with |dst| holding no array). */
void rc_config_release(rc_config *c);
void rc_config_free(rc_config *c);
int rc_config_copy(rc_config *dst, const rc_config *src);

/* Fills |b| with the product defaults (set = 0). */
void rc_bfd_default(rc_bfd *b);

/* 1 if two adjacencies would run the same session with the same settings
 * (SIGHUP keeps such sessions). */
int rc_adjacency_same(const rc_adjacency *a, const rc_adjacency *b);

const char *rc_topology_name(rc_topology t);

/* "10.1.0.0/24" -> |p| (host bits must be zero).  0 or -1. */
int rc_prefix_parse(rc_prefix *p, const char *text);
/* 1 if |addr| (family 4 or 6, network order) is inside |p|. */
int rc_prefix_match(const rc_prefix *p, int family, const uint8_t *addr);
const char *rc_prefix_str(const rc_prefix *p, char *buf, size_t len);
/* Name of an svrfwd_cipher value as written in the file. */
const char *rc_cipher_name(int cipher);

/* "10.0.0.1" / "fe80::1" for |a| (no port). */
const char *rc_addr_str(const svrbfd_addr *a, char *buf, size_t len);
int rc_addr_parse(svrbfd_addr *a, const char *text);

#endif /* SVR_ROUTER_CONF_H */
