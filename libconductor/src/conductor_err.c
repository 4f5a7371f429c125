/* SPDX-License-Identifier: BSD-2-Clause */
/* Error strings and the library version. */
#include <conductor/conductor.h>

const char *conductor_strerror(int liberr) {
  switch (liberr) {
  case 0:
    return "success";
  case CONDUCTOR_ERR_INVALID_ARGUMENT:
    return "invalid argument";
  case CONDUCTOR_ERR_NOBUF:
    return "buffer too small";
  case CONDUCTOR_ERR_VERSION:
    return "unknown settings version";
  case CONDUCTOR_ERR_OUTBOX_FULL:
    return "alarm outbox full";
  case CONDUCTOR_ERR_UNKNOWN_SEQ:
    return "acknowledgement for an unknown sequence number";
  case CONDUCTOR_ERR_SEQ_ORDER:
    return "journal sequence numbers out of order";
  case CONDUCTOR_ERR_ADDRESS:
    return "not a numeric IPv4 or IPv6 address (resolve host names first)";
  case CONDUCTOR_ERR_FRAME_TOO_LONG:
    return "frame length above the maximum";
  case CONDUCTOR_ERR_FRAME_FLAGS:
    return "reserved frame flags set";
  case CONDUCTOR_ERR_FRAME_LENGTH:
    return "frame length does not match the buffer";
  case CONDUCTOR_ERR_TLV_TRUNCATED:
    return "TLV runs past the frame body";
  case CONDUCTOR_ERR_FIELD_MISSING:
    return "mandatory field missing";
  case CONDUCTOR_ERR_FIELD_LENGTH:
    return "field has the wrong length";
  case CONDUCTOR_ERR_FIELD_VALUE:
    return "field value out of range";
  case CONDUCTOR_ERR_FIELD_DUPLICATE:
    return "field present twice";
  case CONDUCTOR_ERR_UNKNOWN_TYPE:
    return "unknown message type";
  case CONDUCTOR_ERR_PROTO_VERSION:
    return "no common protocol version";
  case CONDUCTOR_ERR_UNEXPECTED:
    return "message not expected in this state";
  case CONDUCTOR_ERR_IO:
    return "I/O error";
  case CONDUCTOR_ERR_SSH:
    return "SSH error";
  case CONDUCTOR_ERR_HOSTKEY_CHANGED:
    return "conductor host key changed";
  case CONDUCTOR_ERR_HOSTKEY_UNKNOWN:
    return "conductor host key unknown";
  case CONDUCTOR_ERR_AUTH_DENIED:
    return "router key not enrolled on the conductor";
  case CONDUCTOR_ERR_CLOSED:
    return "connection closed by peer";
  case CONDUCTOR_ERR_DB:
    return "database error";
  case CONDUCTOR_ERR_AGAIN:
    return "operation would block";
  case CONDUCTOR_ERR_BIND:
    return "cannot bind the listen address";
  case CONDUCTOR_ERR_NOT_FOUND:
    return "not found";
  case CONDUCTOR_ERR_DENIED:
    return "refused by policy";
  case CONDUCTOR_ERR_NOMEM:
    return "out of memory";
  case CONDUCTOR_ERR_FATAL:
    return "fatal error";
  default:
    return liberr < CONDUCTOR_ERR_FATAL ? "fatal error" : "unknown error";
  }
}

int conductor_err_is_fatal(int liberr) { return liberr < CONDUCTOR_ERR_FATAL; }

static const conductor_info version_info = {1, CONDUCTOR_VERSION_NUM,
                                            CONDUCTOR_VERSION};

const conductor_info *conductor_version(int least_version) {
  return least_version > CONDUCTOR_VERSION_NUM ? NULL : &version_info;
}
