/* SPDX-License-Identifier: BSD-2-Clause */
/* Error, state and diagnostic names. */
#include "bfd_int.h"

const char *svrbfd_strerror(int liberr) {
  switch (liberr) {
  case 0: return "success";
  case SVRBFD_ERR_INVALID_ARGUMENT: return "invalid argument";
  case SVRBFD_ERR_NOBUF: return "output buffer too small";
  case SVRBFD_ERR_SESSION_EXISTS: return "session for these addresses exists";
  case SVRBFD_ERR_DETECT_MULT: return "detect multiplier outside 3..20";
  case SVRBFD_ERR_INTERVAL: return "interval 0 or above 4294 s";
  case SVRBFD_ERR_AUTH_CONFIG: return "bad authentication configuration";
  case SVRBFD_ERR_VERSION: return "unknown struct version";
  case SVRBFD_ERR_ADDRESS: return "bad or mixed address families";
  case SVRBFD_ERR_PKT_SHORT: return "datagram shorter than 24 bytes";
  case SVRBFD_ERR_PKT_VERSION: return "BFD version is not 1";
  case SVRBFD_ERR_PKT_LENGTH: return "Length field too small";
  case SVRBFD_ERR_PKT_LENGTH_EXCEEDS: return "Length field exceeds datagram";
  case SVRBFD_ERR_PKT_DETECT_MULT: return "Detect Mult is 0";
  case SVRBFD_ERR_PKT_MULTIPOINT: return "Multipoint bit set";
  case SVRBFD_ERR_PKT_MY_DISCR: return "My Discriminator is 0";
  case SVRBFD_ERR_PKT_NO_SESSION: return "no matching session";
  case SVRBFD_ERR_PKT_YOUR_DISCR: return "Your Discriminator 0 while not Down";
  case SVRBFD_ERR_PKT_TTL: return "received TTL is not 255";
  case SVRBFD_ERR_PKT_AUTH_MISSING: return "authentication missing";
  case SVRBFD_ERR_PKT_AUTH_UNEXPECTED: return "unexpected authentication";
  case SVRBFD_ERR_PKT_AUTH_TYPE: return "wrong authentication type";
  case SVRBFD_ERR_PKT_AUTH_LEN: return "bad authentication length";
  case SVRBFD_ERR_PKT_AUTH_KEY_ID: return "unknown authentication key ID";
  case SVRBFD_ERR_PKT_AUTH_SEQ: return "authentication sequence out of window";
  case SVRBFD_ERR_PKT_AUTH_DIGEST: return "authentication digest mismatch";
  case SVRBFD_ERR_PKT_ADMIN_DOWN: return "local session is AdminDown";
  case SVRBFD_ERR_FATAL: return "fatal error";
  case SVRBFD_ERR_NOMEM: return "out of memory";
  case SVRBFD_ERR_CALLBACK_FAILURE: return "callback failed";
  case SVRBFD_ERR_CRYPTO: return "libcrypto failure";
  default:
    /* path quality codes (svrbfd_pq.h) come back from read_pkt too */
    if ((liberr <= -280 && liberr > -300) || (liberr <= -380 && liberr > -400)) {
      return svrbfd_pq_strerror(liberr);
    }
    return "unknown error";
  }
}

int svrbfd_err_is_fatal(int liberr) { return liberr < SVRBFD_ERR_FATAL; }

const char *svrbfd_state_name(svrbfd_state state) {
  switch (state) {
  case SVRBFD_STATE_ADMIN_DOWN: return "admin-down";
  case SVRBFD_STATE_DOWN: return "down";
  case SVRBFD_STATE_INIT: return "init";
  case SVRBFD_STATE_UP: return "up";
  default: return "unknown";
  }
}

/* RFC 5880 section 4.1 wording. */
const char *svrbfd_diag_name(svrbfd_diag diag) {
  switch (diag) {
  case SVRBFD_DIAG_NONE: return "no diagnostic";
  case SVRBFD_DIAG_CTL_DETECT_EXPIRED: return "control detection time expired";
  case SVRBFD_DIAG_ECHO_FAILED: return "echo function failed";
  case SVRBFD_DIAG_NEIGHBOR_DOWN: return "neighbor signaled session down";
  case SVRBFD_DIAG_FWD_PLANE_RESET: return "forwarding plane reset";
  case SVRBFD_DIAG_PATH_DOWN: return "path down";
  case SVRBFD_DIAG_CONCAT_PATH_DOWN: return "concatenated path down";
  case SVRBFD_DIAG_ADMIN_DOWN: return "administratively down";
  case SVRBFD_DIAG_REV_CONCAT_PATH_DOWN: return "reverse concatenated path down";
  default: return "reserved";
  }
}
