/* SPDX-License-Identifier: BSD-2-Clause */
/* Error strings, version information, settings defaults. */
#include <string.h>

#include "fwd_int.h"

const char *svrfwd_strerror(int e) {
  switch (e) {
  case 0: return "success";
  case SVRFWD_ERR_INVALID_ARGUMENT: return "invalid argument";
  case SVRFWD_ERR_NOBUF: return "buffer too small (headroom, tailroom)";
  case SVRFWD_ERR_VERSION: return "unknown struct version";
  case SVRFWD_ERR_WAYPOINTS_EXHAUSTED:
    return "waypoints exhausted: max-way-points pairs in use";
  case SVRFWD_ERR_WAYPOINTS_QUARANTINE:
    return "waypoints exhausted: free pairs are still in quarantine";
  case SVRFWD_ERR_SESSIONS_FULL: return "session table full";
  case SVRFWD_ERR_KEY: return "bad key length or reserved security ID";
  case SVRFWD_ERR_NO_KEY: return "peer has no active key";
  case SVRFWD_ERR_PEER_EXISTS: return "peer already exists";
  case SVRFWD_ERR_ADDRESS: return "bad address family";
  case SVRFWD_ERR_PORT_RANGE: return "bad waypoint port range";
  case SVRFWD_ERR_PKT_MALFORMED: return "malformed IP/L4 header";
  case SVRFWD_ERR_PKT_UNSUPPORTED: return "unsupported packet (protocol, fragment)";
  case SVRFWD_ERR_PKT_NO_SESSION: return "no session";
  case SVRFWD_ERR_PKT_META_SHORT: return "metadata too short";
  case SVRFWD_ERR_PKT_META_COOKIE: return "metadata cookie missing";
  case SVRFWD_ERR_PKT_META_VERSION: return "metadata version";
  case SVRFWD_ERR_PKT_META_HDRLEN: return "metadata header length";
  case SVRFWD_ERR_PKT_META_PAYLEN: return "metadata payload length";
  case SVRFWD_ERR_PKT_META_TLV: return "metadata TLV malformed";
  case SVRFWD_ERR_PKT_META_MISSING: return "metadata TLV missing";
  case SVRFWD_ERR_PKT_UNKNOWN_PEER: return "unknown peer";
  case SVRFWD_ERR_PKT_KEY_UNKNOWN: return "unknown security ID";
  case SVRFWD_ERR_PKT_KEY_EXPIRED: return "security ID expired";
  case SVRFWD_ERR_PKT_AUTH: return "integrity check failed";
  case SVRFWD_ERR_PKT_REPLAY: return "replayed packet";
  case SVRFWD_ERR_PKT_STALE: return "time-based HMAC outside window";
  case SVRFWD_ERR_PKT_TOO_BIG: return "packet too big";
  case SVRFWD_ERR_PKT_COLLISION: return "flow already in use";
  case SVRFWD_ERR_PKT_SESSIONS_FULL: return "session table full";
  case SVRFWD_ERR_PKT_WAYPOINTS: return "no waypoint pair available";
  case SVRFWD_ERR_PKT_CLOSED: return "session closed";
  case SVRFWD_ERR_PKT_PATH_MTU:
    return "DF set and too big for the path MTU";
  case SVRFWD_ERR_NOMEM: return "out of memory";
  case SVRFWD_ERR_CRYPTO: return "libcrypto failure";
  case SVRFWD_ERR_FATAL: return "fatal error";
  default: return "unknown error";
  }
}

int svrfwd_err_is_fatal(int e) { return e < SVRFWD_ERR_FATAL; }

void svrfwd_settings_default_versioned(int v, svrfwd_settings *s) {
  (void)v;
  memset(s, 0, sizeof(*s));
  s->router_name = "";
  s->max_sessions = 65536;
  s->udp_idle_ns = 60 * SVRFWD_SECONDS;
  s->tcp_idle_ns = 1800 * SVRFWD_SECONDS;
  s->tcp_linger_ns = 10 * SVRFWD_SECONDS;
  s->key_overlap_ns = 30 * SVRFWD_SECONDS;
  s->hmac_window_ns = 5 * SVRFWD_SECONDS;
}

void svrfwd_wp_config_default(svrfwd_wp_config *c) {
  memset(c, 0, sizeof(*c));
  c->max_waypoints = 50000;
  c->quarantine_ns = 10 * SVRFWD_SECONDS;
}

void svrfwd_peer_config_default_versioned(int v, svrfwd_peer_config *c) {
  (void)v;
  memset(c, 0, sizeof(*c));
  c->cipher = SVRFWD_CIPHER_AES256_GCM;
  c->ttl_mode = SVRFWD_TTL_OFF;
  svrfwd_wp_config_default(&c->waypoints);
}

static const svrfwd_info fwd_info = {1, SVRFWD_VERSION_NUM, SVRFWD_VERSION};

const svrfwd_info *svrfwd_version(int least) {
  return least > SVRFWD_VERSION_NUM ? NULL : &fwd_info;
}

int svrfwd__drop(svrfwd_ctx *ctx, int code) {
  if (code <= -300 && code > -300 - SVRFWD_NUM_DROP_REASONS) {
    ctx->stats.drop[-code - 300]++;
  }
  return code;
}
