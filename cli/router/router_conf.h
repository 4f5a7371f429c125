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
#define RC_MAX_ADJACENCIES 256
#define RC_DEFAULT_PORT 1280

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
} rc_adjacency;

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
  rc_bfd bfd; /* router-level defaults */
  rc_interface interfaces[RC_MAX_INTERFACES];
  size_t n_interfaces;
  rc_neighborhood neighborhoods[RC_MAX_NEIGHBORHOODS];
  size_t n_neighborhoods;
  rc_adjacency adjacencies[RC_MAX_ADJACENCIES];
  size_t n_adjacencies;
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

/* Fills |b| with the product defaults (set = 0). */
void rc_bfd_default(rc_bfd *b);

/* 1 if two adjacencies would run the same session with the same settings
 * (SIGHUP keeps such sessions). */
int rc_adjacency_same(const rc_adjacency *a, const rc_adjacency *b);

const char *rc_topology_name(rc_topology t);

/* "10.0.0.1" / "fe80::1" for |a| (no port). */
const char *rc_addr_str(const svrbfd_addr *a, char *buf, size_t len);
int rc_addr_parse(svrbfd_addr *a, const char *text);

#endif /* SVR_ROUTER_CONF_H */
