/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router configuration parser: a valid file with inheritance, and one
 * case per kind of error (message with file:line, nonzero result).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_conf.h"
#include "svr_test.h"

static const char good[] =
    "# router-a\n"
    "router router-a\n"
    "node node1   # trailing comment\n"
    "control-socket /tmp/a.sock\n"
    "conductor cnd1.example:930\n"
    "conductor 10.9.9.9\n"
    "conductor-key /etc/svr/router.key\n"
    "conductor-known-hosts /etc/svr/known_hosts\nconductor-keepalive-interval 7\n"
    "desired-tx-interval 300\n"
    "\n"
    "[interface wan0]\n"
    "address 10.0.0.1\n"
    "\n"
    "[interface wan1]\n"
    "address fd00::1\n"
    "dynamic-address ppp0\n"
    "port 2280\n"
    "\n"
    "[neighborhood internet]\n"
    "interface wan0\n"
    "topology spoke\n"
    "multiplier 5\n"
    "link-test-length 0\n"
    "path-mtu-discovery-interval 60\n"
    "path-mtu-confirm-interval disabled\n"
    "authentication-type sha256\n"
    "authentication-key neighborhood-secret\n"
    "\n"
    "[neighborhood v6]\n"
    "interface wan1\n"
    "path-mtu-discovery disabled\n"
    "udp-transform-mode always-transform\n"
    "udp-transform-detect-interval 60\n"
    "\n"
    "[adjacency router-b]\n"
    "neighborhood internet\n"
    "address 10.0.0.2\n"
    "hostname b.example\n"
    "multiplier 4\n"
    "hold-down-time 250ms\n"
    "path-mtu-discovery-interval 30\n"
    "path-mtu-confirm-interval 5\n"
    "authentication-key adjacency-secret\n"
    "dynamic-damping enabled\n"
    "maximum-hold-down-time 600\n"
    "udp-transform-mode disabled\n"
    "\n"
    "[adjacency router-b]\n"
    "neighborhood v6\n"
    "address fd00::2\n"
    "port 3000\n";

static rc_config *parse(const char *text, char *err, size_t errlen, int *n) {
  rc_config *c = malloc(sizeof(*c));
  CU_ASSERT_FATAL(c != NULL);
  *n = rc_parse_string(c, "t.conf", text, err, errlen);
  return c;
}

static void test_good(void) {
  char err[2048];
  int n;
  rc_config *c = parse(good, err, sizeof(err), &n);
  const rc_adjacency *a;
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_STRING_EQUAL(err, "");
  CU_ASSERT_STRING_EQUAL(c->router, "router-a");
  CU_ASSERT_STRING_EQUAL(c->node, "node1");
  CU_ASSERT_STRING_EQUAL(c->control_socket, "/tmp/a.sock");
  CU_ASSERT_EQUAL(c->n_conductors, 2);
  CU_ASSERT_STRING_EQUAL(c->conductors[0], "cnd1.example:930");
  CU_ASSERT_STRING_EQUAL(c->conductors[1], "10.9.9.9");
  CU_ASSERT_STRING_EQUAL(c->conductor_key, "/etc/svr/router.key");
  CU_ASSERT_STRING_EQUAL(c->conductor_known_hosts, "/etc/svr/known_hosts");
  CU_ASSERT_STRING_EQUAL(c->conductor_state_dir, "");
  CU_ASSERT_EQUAL(c->conductor_ka_s, 7);
  CU_ASSERT_EQUAL(c->n_interfaces, 2);
  CU_ASSERT_EQUAL(c->interfaces[0].address.port, 1280);
  CU_ASSERT_EQUAL(c->interfaces[1].address.port, 2280);
  CU_ASSERT_EQUAL(c->interfaces[1].address.family, 6);
  CU_ASSERT_STRING_EQUAL(c->interfaces[0].device, "");
  CU_ASSERT_STRING_EQUAL(c->interfaces[1].device, "ppp0");
  CU_ASSERT_EQUAL(c->n_adjacencies, 2);
  a = &c->adjacencies[0];
  CU_ASSERT_STRING_EQUAL(a->peer, "router-b");
  CU_ASSERT_EQUAL(a->topology, RC_SPOKE);
  CU_ASSERT_EQUAL(a->remote.port, 1280);
  CU_ASSERT_EQUAL(a->local.addr[3], 1);
  CU_ASSERT_STRING_EQUAL(a->hostname, "b.example");
  /* router < neighborhood < adjacency */
  CU_ASSERT_EQUAL(a->bfd.desired_tx_ms, 300);   /* router level */
  CU_ASSERT_EQUAL(a->bfd.multiplier, 4);        /* adjacency beats 5 */
  CU_ASSERT_EQUAL(a->bfd.link_test_length, 0);  /* neighborhood */
  CU_ASSERT_EQUAL(a->bfd.hold_down_ms, 250);
  CU_ASSERT_EQUAL(a->bfd.required_min_rx_ms, 500); /* default */
  CU_ASSERT_EQUAL(a->bfd.link_test_interval_s, 10);
  CU_ASSERT_EQUAL(a->bfd.pmtu_enabled, 1);        /* default */
  CU_ASSERT_EQUAL(a->bfd.pmtu_interval_s, 30);    /* adjacency beats 60 */
  CU_ASSERT_EQUAL(a->bfd.pmtu_confirm_s, 5);      /* adjacency beats off */
  CU_ASSERT_EQUAL(a->bfd.auth_type, RC_AUTH_SHA256); /* neighborhood */
  CU_ASSERT_STRING_EQUAL(a->bfd.auth_key, "adjacency-secret");
  CU_ASSERT_EQUAL(a->bfd.damping, 1);
  CU_ASSERT_EQUAL(a->bfd.max_hold_down_s, 600);
  CU_ASSERT_EQUAL(a->bfd.ut_mode, 2);             /* adjacency: disabled */
  CU_ASSERT_EQUAL(a->bfd.ut_interval_s, 300);     /* default */
  a = &c->adjacencies[1];
  CU_ASSERT_EQUAL(a->bfd.pmtu_enabled, 0);        /* neighborhood */
  CU_ASSERT_EQUAL(a->bfd.pmtu_interval_s, 600);   /* default */
  CU_ASSERT_EQUAL(a->bfd.pmtu_confirm_s, 60);     /* default */
  CU_ASSERT_EQUAL(a->bfd.auth_type, RC_AUTH_NONE); /* default */
  CU_ASSERT_EQUAL(a->bfd.damping, 0);
  CU_ASSERT_EQUAL(a->bfd.max_hold_down_s, 3600);
  CU_ASSERT_EQUAL(a->bfd.ut_mode, 1);             /* neighborhood */
  CU_ASSERT_EQUAL(a->bfd.ut_interval_s, 60);      /* neighborhood */
  CU_ASSERT_EQUAL(a->topology, RC_MESH);
  CU_ASSERT_EQUAL(a->remote.port, 3000);
  CU_ASSERT_EQUAL(a->local.port, 2280);
  CU_ASSERT_EQUAL(a->bfd.multiplier, 3);
  CU_ASSERT_EQUAL(a->bfd.hold_down_ms, 5000);
  CU_ASSERT_FALSE(rc_adjacency_same(&c->adjacencies[0], &c->adjacencies[1]));
  CU_ASSERT_TRUE(rc_adjacency_same(&c->adjacencies[0], &c->adjacencies[0]));
  rc_config_free(c);
}

typedef struct bad_case {
  const char *text;
  const char *want; /* substring of the message, with file:line */
} bad_case;

#define HEAD "router r\n[interface i]\naddress 10.0.0.1\n[neighborhood n]\ninterface i\n"
/* HEAD without its router line, plus an adjacency p at line 7 (after a
 * two-line global part) */
#define HEAD_REST "[interface i]\naddress 10.0.0.1\n[neighborhood n]\n" \
  "interface i\n[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"

static const bad_case bad[] = {
    /* syntax */
    {"router r\nnode\n", "t.conf:2: 'node' needs a value"},
    {"router r a\n", "t.conf:1: 'router' takes one value, got more ('a')"},
    {"router r\n[interface i\n", "t.conf:2: section header without ']'"},
    {"router r\n[interface]\n", "t.conf:2: section header must be"},
    {"router r\n[interface i] x\n", "t.conf:2: text after ']'"},
    {"router r\n[peer x]\n", "t.conf:2: unknown section 'peer'"},
    {"router r\n[interface b@d]\n", "t.conf:2: 'b@d' is not a name"},
    /* unknown keys, per level */
    {"router r\ncolour blue\n", "t.conf:2: unknown key 'colour' at router level"},
    {HEAD "topology mesh\nmtu 1500\n",
     "t.conf:7: unknown key 'mtu' in [neighborhood n]"},
    {"router r\n[interface i]\naddress 10.0.0.1\ntopology mesh\n",
     "t.conf:4: unknown key 'topology' in [interface i]"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\ninterface i\n",
     "t.conf:9: unknown key 'interface' in [adjacency p]"},
    /* bad values */
    {"router r\nmultiplier 2\n", "t.conf:2: multiplier: expected 3..20, got '2'"},
    {"router r\nmultiplier 21\n", "multiplier: expected 3..20, got '21'"},
    {"router r\ndesired-tx-interval 49\n", "desired-tx-interval: expected 50..600000"},
    {"router r\nrequired-min-rx-interval fast\n", "required-min-rx-interval: expected"},
    {"router r\nrequired-min-echo-interval -1\n", "required-min-echo-interval: expected"},
    {"router r\nhold-down-time 0\n", "hold-down-time: expected 1..300 (s)"},
    {"router r\nhold-down-time 301\n", "hold-down-time: expected"},
    {"router r\nlink-test-interval 0\n", "link-test-interval: expected 1..86400"},
    {"router r\nlink-test-length 256\n", "link-test-length: expected 0..255"},
    {"router r\nstate maybe\n", "state: expected enabled or disabled"},
    {"router r\nudp-transform-mode on\n",
     "t.conf:2: udp-transform-mode: expected auto-detect, always-transform or "
     "disabled, got 'on'"},
    {"router r\nudp-transform-detect-interval 0\n",
     "t.conf:2: udp-transform-detect-interval: expected 1..86400 (s), got '0'"},
    {HEAD "udp-transform-detect-interval 86401\n",
     "t.conf:6: udp-transform-detect-interval: expected 1..86400 (s)"},
    {"router r\npath-mtu-discovery on\n",
     "t.conf:2: path-mtu-discovery: expected enabled or disabled, got 'on'"},
    {"router r\npath-mtu-discovery-interval 0\n",
     "t.conf:2: path-mtu-discovery-interval: expected 1..86400 (s), got '0'"},
    {"router r\nauthentication-type md5\n",
     "t.conf:2: authentication-type: expected simple, sha256 or none, got "
     "'md5'"},
    {"router r\nauthentication-key "
     "12345678901234567890123456789012345678901234567890123456789012345\n",
     "t.conf:2: authentication-key: expected 1..64 characters"},
    {HEAD "authentication-type sha256\n[adjacency p]\nneighborhood n\n"
          "address 10.0.0.2\n",
     "t.conf:7: [adjacency p]: authentication-type sha256 needs "
     "authentication-key"},
    {HEAD "authentication-type simple\nauthentication-key 12345678901234567\n"
          "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n",
     "t.conf:8: [adjacency p]: authentication-type simple takes a key of at "
     "most 16 characters (RFC 5880 4.2)"},
    {HEAD "dynamic-damping enabled\nhold-down-time 10\n"
          "maximum-hold-down-time 10\n"
          "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n",
     "t.conf:9: [adjacency p]: maximum-hold-down-time (10 s) must exceed "
     "hold-down-time"},
    {"router r\ndynamic-damping yes\n",
     "t.conf:2: dynamic-damping: expected enabled or disabled, got 'yes'"},
    {"router r\nconductor c1:930\n",
     "t.conf:2: conductor: needs conductor-key FILE and conductor-known-hosts "
     "FILE"},
    {"router r\nconductor-key /k\n",
     "t.conf:1: conductor-key / conductor-known-hosts / conductor-state-dir "
     "/ conductor-keepalive-interval given without 'conductor HOST[:PORT]'"},
    {"router r\nconductor-keepalive-interval 2\n",
     "t.conf:1: conductor-key / conductor-known-hosts / conductor-state-dir "
     "/ conductor-keepalive-interval given without 'conductor HOST[:PORT]'"},
    {"router r\nconductor a\nconductor-key /k\nconductor-known-hosts /h\n"
     "conductor-keepalive-interval 0\n",
     "t.conf:5: conductor-keepalive-interval: expected 1-10 (s), got '0'"},
    {"router r\nconductor a\nconductor b\nconductor c\n"
     "conductor-key /k\nconductor-known-hosts /h\n",
     "t.conf:4: conductor: at most 2 conductor nodes"},
    {"router r\nconductor a\nconductor-key /k\nconductor-key /k2\n"
     "conductor-known-hosts /h\n",
     "t.conf:4: conductor-key given twice in this section"},
    {"router r\npath-mtu-confirm-interval 0\n",
     "t.conf:2: path-mtu-confirm-interval: expected 1..86400 (s) or disabled, "
     "got '0'"},
    {HEAD "path-mtu-discovery-interval 86401\n",
     "t.conf:6: path-mtu-discovery-interval: expected 1..86400 (s)"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
          "path-mtu-discovery enabled\npath-mtu-discovery disabled\n",
     "t.conf:10: path-mtu-discovery given twice in this section"},
    {"router r\n[interface i]\naddress 10.0.0.300\n",
     "t.conf:3: address: '10.0.0.300' is not an IPv4 or IPv6 address"},
    {"router r\n[interface i]\naddress 10.0.0.1\nport 0\n",
     "t.conf:4: port: expected 1..65535, got '0'"},
    {"router r\n[interface i]\naddress 10.0.0.1\nport 65536\n", "port: expected"},
    {HEAD "topology star\n", "t.conf:6: topology: expected mesh, hub or spoke"},
    {"router r_x!\n", "t.conf:1: router: 'r_x!' is not a name"},
    /* duplicates */
    {"router r\nrouter s\n", "t.conf:2: router given twice"},
    {"router r\nmultiplier 3\nmultiplier 4\n", "t.conf:3: multiplier given twice"},
    {"router r\n[interface i]\naddress 10.0.0.1\n[interface i]\naddress 10.0.0.2\n",
     "t.conf:4: interface 'i' already defined at line 2"},
    {HEAD "[neighborhood n]\ninterface i\n",
     "t.conf:6: neighborhood 'n' already defined at line 4"},
    {"router r\n[interface i]\naddress 10.0.0.1\n[interface j]\naddress 10.0.0.1\n",
     "t.conf:4: [interface j] uses the address and port of [interface i]"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
          "[adjacency q]\nneighborhood n\naddress 10.0.0.2\n",
     "t.conf:9: [adjacency q]: 10.0.0.2 port 1280 on interface i is already "
     "the adjacency at line 6"},
    /* missing things */
    {"node n\n", "t.conf:1: missing 'router NAME'"},
    {"router r\n[interface i]\nport 1\n", "t.conf:2: [interface i] has no 'address'"},
    {"router r\n[interface i]\naddress 10.0.0.1\n[neighborhood n]\n",
     "t.conf:4: [neighborhood n] has no 'interface'"},
    {HEAD "[adjacency p]\naddress 10.0.0.2\n",
     "t.conf:6: [adjacency p] has no 'neighborhood'"},
    {HEAD "[adjacency p]\nneighborhood n\n", "t.conf:6: [adjacency p] has no 'address'"},
    /* references */
    {"router r\n[neighborhood n]\ninterface nope\n",
     "t.conf:2: [neighborhood n]: no [interface nope] is defined"},
    {HEAD "[adjacency p]\nneighborhood other\naddress 10.0.0.2\n",
     "t.conf:6: [adjacency p]: no [neighborhood other] is defined"},
    /* semantics */
    {HEAD "[adjacency p]\nneighborhood n\naddress fd00::2\n",
     "t.conf:6: [adjacency p]: address fd00::2 is IPv6 but [interface i] is IPv4"},
    {HEAD "[adjacency r]\nneighborhood n\naddress 10.0.0.2\n",
     "t.conf:6: [adjacency r]: a router cannot peer with itself"},
    /* data plane */
    {"router r\nforwarding on\n",
     "t.conf:2: forwarding: expected enabled or disabled, got 'on'"},
    {"router r\n[interface i]\naddress 10.0.0.1\ndynamic-address a-name-too-long0\n",
     "t.conf:4: dynamic-address: 'a-name-too-long0' is not a device name"},
    {"router r\n[interface i]\naddress 10.0.0.1\ndynamic-address e/th\n",
     "t.conf:4: dynamic-address: 'e/th' is not a device name"},
    {"router r\n[interface i]\naddress 10.0.0.1\ndynamic-address eth0\n"
     "dynamic-address eth1\n",
     "t.conf:5: dynamic-address given twice"},
    {"router r\nforwarding-device a-name-too-long0\n",
     "t.conf:2: forwarding-device: 'a-name-too-long0' is not a device name"},
    {"router r\nforwarding-table 254\n",
     "t.conf:2: forwarding-table: expected 1..2147483647 but not 253-255"},
    {"router r\nforwarding-peer-input ring\n",
     "t.conf:2: forwarding-peer-input: expected auto or tap, got 'ring'"},
    {"router r\nforwarding-peer-input tap\nforwarding-peer-input auto\n",
     "t.conf:3: forwarding-peer-input given twice in this section"},
    {"router r\nbusy-poll-us 1001\n",
     "t.conf:2: busy-poll-us: expected 0..1000, got '1001'"},
    {"router r\n[tenant t]\nprefix 10.1.0.1/24\n",
     "t.conf:3: prefix: '10.1.0.1/24' is not ADDRESS/LENGTH with the host "
     "bits zero"},
    {"router r\n[tenant t]\nprefix 10.1.0.0/33\n",
     "t.conf:3: prefix: '10.1.0.0/33' is not ADDRESS/LENGTH"},
    {"router r\n[tenant t]\nprefix 10.1.0.0/24\nprefix 10.1.0.0/24\n",
     "t.conf:4: prefix 10.1.0.0/24 given twice in [tenant t]"},
    {"router r\n[tenant t]\n", "t.conf:2: [tenant t] has no 'prefix'"},
    {"router r\n[tenant t]\nprefix 10.1.0.0/24\n[tenant t]\n",
     "t.conf:4: tenant 't' already defined at line 2"},
    {"router r\n[tenant t]\ncolour red\n",
     "t.conf:3: unknown key 'colour' in [tenant t]"},
    {"router r\nforwarding enabled\n[service s]\nprefix 10.2.0.0/16\n",
     "t.conf:3: [service s] has no 'peer' (the router that reaches it)"},
    {"router r\nforwarding enabled\n[service s]\npeer p\n",
     "t.conf:3: [service s] has no 'prefix'"},
    {"router r\nforwarding enabled\n[service s]\nprefix 10.2.0.0/16\n"
     "peer p\n", "t.conf:3: [service s]: peer p has no [adjacency p]"},
    {"router r\n[service s]\nprotocol sctp\n",
     "t.conf:3: protocol: expected tcp, udp, icmp or any, got 'sctp'"},
    {"router r\n[service s]\nport 90-80\n",
     "t.conf:3: port: expected PORT or LOW-HIGH in 1..65535, got '90-80'"},
    {"router r\nforwarding enabled\n" HEAD_REST
     "encryption none\n[service s]\nprefix 10.2.0.0/16\npeer p\nport 80\n",
     "t.conf:11: [service s]: 'port' needs 'protocol tcp' or 'protocol udp'"},
    {"router r\nforwarding enabled\n" HEAD_REST "encryption none\n"
     "[service s]\nprefix 10.2.0.0/16\npeer p\ntenant blue\n",
     "t.conf:11: [service s]: no [tenant blue] is defined"},
    {"router r\n" HEAD_REST "encryption none\n[service s]\n"
     "prefix 10.2.0.0/16\npeer p\n",
     "t.conf:10: [service s] given but forwarding is disabled"},
    {"router r\nforwarding enabled\n" HEAD_REST,
     "t.conf:7: [adjacency p]: encryption aes-256-gcm needs security-key"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
     "encryption chacha\n",
     "t.conf:9: encryption: expected aes-256-gcm, aes-cbc-128, aes-cbc-256 or "
     "none, got 'chacha'"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
     "security-key 0011\n",
     "t.conf:9: security-key: expected 32..128 hex digits (16..64 bytes), got "
     "4 characters"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
     "security-key 000102030405060708090a0b0c0d0e0g\n",
     "t.conf:9: security-key: '0g' at character 31 is not hex"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
     "security-key 000102030405060708090a0b0c0d0e0f\n",
     "t.conf:6: [adjacency p]: aes-256-gcm takes a 32-byte security-key (64 "
     "hex digits), got 16 bytes"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
     "security-key-id 1279843270\n",
     "t.conf:9: security-key-id: expected 1..4294967295 (but not "
     "1279843270, the cookie's first word), got '1279843270'"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
     "ttl-padding 256\n",
     "t.conf:9: ttl-padding: expected 0..255, automatic or off, got '256'"},
    {HEAD "[adjacency p]\nneighborhood n\naddress 10.0.0.2\n"
     "encryption none\n[adjacency p]\nneighborhood n\naddress 10.0.0.3\n",
     "t.conf:10: [adjacency p]: every path to one router needs the same "
     "encryption, security-key and security-key-id (differs from line 6)"},
    {NULL, NULL}};

static const char fwd_good[] =
    "router a\nforwarding enabled\nforwarding-device svrA\n"
    "forwarding-table 77\nforwarding-peer-input tap\nbusy-poll-us 50\n"
    "[interface i]\naddress 10.0.0.1\n[neighborhood n]\ninterface i\n"
    "[adjacency b]\nneighborhood n\naddress 10.0.0.2\n"
    "security-key "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "security-key-id 7\nttl-padding automatic\n"
    "[tenant blue]\nprefix 10.1.0.0/24\nprefix fd01::/64\n"
    "[tenant red]\nprefix 10.9.0.0/16\n"
    "[service web]\nprefix 10.2.0.0/24\nprotocol tcp\nport 80-443\n"
    "peer b\ntenant blue\n"
    "[service any]\nprefix 0.0.0.0/0\npeer b\n";

/* Data-plane keys: values, defaults, prefix matching. */
static void test_fwd_good(void) {
  char err[2048];
  int n;
  rc_config *c = parse(fwd_good, err, sizeof(err), &n);
  const rc_adjacency *a = &c->adjacencies[0];
  const rc_service *s = &c->services[0];
  uint8_t in[4] = {10, 2, 0, 77}, out[4] = {10, 3, 0, 1};
  char buf[64];
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_STRING_EQUAL(err, "");
  CU_ASSERT_EQUAL(c->forwarding, 1);
  CU_ASSERT_STRING_EQUAL(c->forwarding_device, "svrA");
  CU_ASSERT_EQUAL(c->forwarding_table, 77);
  CU_ASSERT_EQUAL(c->forwarding_peer_tap, 1);
  CU_ASSERT_EQUAL(c->busy_poll_us, 50);
  CU_ASSERT_EQUAL(a->cipher, 0);
  CU_ASSERT_EQUAL(a->keylen, 32);
  CU_ASSERT_EQUAL(a->key[0], 0x00);
  CU_ASSERT_EQUAL(a->key[31], 0x1f);
  CU_ASSERT_EQUAL(a->key_id, 7);
  CU_ASSERT_EQUAL(a->ttl_mode, 2);
  CU_ASSERT_EQUAL(c->n_tenants, 2);
  CU_ASSERT_EQUAL(c->tenants[0].n_prefixes, 2);
  CU_ASSERT_EQUAL(c->tenants[0].prefixes[1].family, 6);
  CU_ASSERT_EQUAL(c->n_services, 2);
  CU_ASSERT_EQUAL(s->protocol, 6);
  CU_ASSERT_EQUAL(s->port_lo, 80);
  CU_ASSERT_EQUAL(s->port_hi, 443);
  CU_ASSERT_STRING_EQUAL(s->peer, "b");
  CU_ASSERT_EQUAL(s->n_tenants, 1);
  CU_ASSERT_EQUAL(s->tenant_idx[0], 0);
  CU_ASSERT(rc_prefix_match(&s->prefixes[0], 4, in));
  CU_ASSERT(!rc_prefix_match(&s->prefixes[0], 4, out));
  CU_ASSERT(rc_prefix_match(&c->services[1].prefixes[0], 4, out));
  CU_ASSERT(!rc_prefix_match(&s->prefixes[0], 6, in));
  CU_ASSERT_STRING_EQUAL(rc_prefix_str(&c->tenants[1].prefixes[0], buf,
                                       sizeof(buf)), "10.9.0.0/16");
  rc_config_free(c);
  /* defaults */
  c = parse("router a\n", err, sizeof(err), &n);
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(c->forwarding, 0);
  CU_ASSERT_STRING_EQUAL(c->forwarding_device, "svr0");
  CU_ASSERT_EQUAL(c->forwarding_table, RC_FWD_TABLE_DEFAULT);
  CU_ASSERT_EQUAL(c->forwarding_peer_tap, 0);
  CU_ASSERT_EQUAL(c->busy_poll_us, 0);
  rc_config_free(c);
}

static void test_bad(void) {
  const bad_case *b;
  for (b = bad; b->text; b++) {
    char err[2048];
    int n;
    rc_config *c = parse(b->text, err, sizeof(err), &n);
    CU_ASSERT(n > 0);
    if (strstr(err, b->want) == NULL) {
      fprintf(stderr, "\nwant: %s\ngot:  %s\n", b->want, err);
      CU_FAIL("message");
    }
    rc_config_free(c);
  }
}

/* All errors are reported, not only the first. */
static void test_many_errors(void) {
  char err[4096];
  int n;
  rc_config *c = parse("router r\nmultiplier 1\nlink-test-length 999\nfoo bar\n",
                       err, sizeof(err), &n);
  CU_ASSERT_EQUAL(n, 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:2:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:3:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:4:"));
  rc_config_free(c);
  /* tiny error buffer: truncated, never overrun */
  c = parse("router r\nmultiplier 1\n", err, 8, &n);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT(strlen(err) < 8);
  rc_config_free(c);
}

static void test_file(void) {
  rc_config *c = malloc(sizeof(*c));
  char err[512];
  CU_ASSERT_EQUAL(rc_parse_file(c, "/nonexistent/x.conf", err, sizeof(err)), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.conf: cannot open:"));
  rc_config_free(c);
}

/* A head end (docs/scale.md): 10,000 adjacencies parse (the limit was
 * 256), the duplicate address and per-router key checks still find the
 * culprit among them, and a copy owns its own array. */
static char *many(size_t n, const char *extra) {
  size_t cap = 200 + 80 * n + strlen(extra), len = 0, i;
  char *t = malloc(cap);
  CU_ASSERT_FATAL(t != NULL);
  len += (size_t)snprintf(t + len, cap - len,
                          "router hub\n[interface i]\naddress 10.64.0.1\n"
                          "[neighborhood n]\ninterface i\ntopology hub\n");
  for (i = 0; i < n; i++) {
    len += (size_t)snprintf(t + len, cap - len,
                            "[adjacency s%zu]\nneighborhood n\n"
                            "address 10.128.%zu.%zu\n", i, i / 256, i % 256);
  }
  snprintf(t + len, cap - len, "%s", extra);
  return t;
}

static void test_many(void) {
  char err[512];
  int n;
  char *t = many(10000, "");
  rc_config *c = parse(t, err, sizeof(err), &n), *d;
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(c->n_adjacencies, 10000);
  CU_ASSERT_STRING_EQUAL(c->adjacencies[9999].peer, "s9999");
  CU_ASSERT_STRING_EQUAL(c->adjacencies[9999].address_text, "10.128.39.15");
  d = malloc(sizeof(*d));
  CU_ASSERT_FATAL(d != NULL);
  CU_ASSERT_EQUAL(rc_config_copy(d, c), 0);
  CU_ASSERT(d->adjacencies != c->adjacencies);
  CU_ASSERT_EQUAL(d->n_adjacencies, 10000);
  CU_ASSERT_STRING_EQUAL(d->adjacencies[5000].peer, "s5000");
  rc_config_free(c);
  CU_ASSERT_STRING_EQUAL(d->adjacencies[5000].peer, "s5000");
  rc_config_free(d);
  free(t);
  /* the 10,001st repeats the address of s7000 (line 7 + 3 x 7000) */
  t = many(10000, "[adjacency dup]\nneighborhood n\naddress 10.128.27.88\n");
  c = parse(t, err, sizeof(err), &n);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:30007: [adjacency dup]: "
                                     "10.128.27.88 port 1280 on interface i "
                                     "is already the adjacency at line 21007"));
  rc_config_free(c);
  free(t);
  /* a second path to s9000 with another key id */
  t = many(10000, "[adjacency s9000]\nneighborhood n\naddress 10.200.0.1\n"
                  "security-key-id 7\n");
  c = parse(t, err, sizeof(err), &n);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:30007: [adjacency s9000]: every "
                                     "path to one router needs the same"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "(differs from line 27007)"));
  rc_config_free(c);
  free(t);
  /* beyond RC_MAX_ADJACENCIES: refused */
  t = many(RC_MAX_ADJACENCIES + 1, "");
  c = parse(t, err, sizeof(err), &n);
  CU_ASSERT(n >= 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "too many adjacencies (at most 16384)"));
  rc_config_free(c);
  free(t);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"many", test_many},
      {"good", test_good},
      {"bad", test_bad},
      {"fwd_good", test_fwd_good},
      {"many_errors", test_many_errors},
      {"file", test_file},
      {NULL, NULL}};
  return svr_test_run("router_conf", cases);
}
