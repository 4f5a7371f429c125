/* SPDX-License-Identifier: BSD-2-Clause */
/* Error strings, names, version. */
#include "svrpmtu_int.h"

const char *svrpmtu_strerror(int e) {
  switch (e) {
  case 0:
    return "success";
  case SVRPMTU_ERR_INVALID_ARGUMENT:
    return "invalid argument";
  case SVRPMTU_ERR_NOBUF:
    return "output buffer too small";
  case SVRPMTU_ERR_VERSION:
    return "unknown settings, callbacks or config version";
  case SVRPMTU_ERR_MTU_RANGE:
    return "MTU bounds outside 96..9216 or base above max";
  case SVRPMTU_ERR_INTERVAL:
    return "interval not 0 or 1..86400 s, or probe timeout not 1 ms..60 s";
  case SVRPMTU_ERR_ADDRESS:
    return "address family is not 4 or 6";
  case SVRPMTU_ERR_PKT_SHORT:
    return "datagram shorter than the SVR header";
  case SVRPMTU_ERR_PKT_COOKIE:
    return "not an SVR control datagram (no cookie)";
  case SVRPMTU_ERR_PKT_META:
    return "bad SVR version, header length or payload length";
  case SVRPMTU_ERR_PKT_TLV:
    return "TLV runs past its area";
  case SVRPMTU_ERR_PKT_KIND:
    return "control kind is not a PMTU probe or ack";
  case SVRPMTU_ERR_PKT_MISSING:
    return "probe/ack TLV missing or repeated";
  case SVRPMTU_ERR_PKT_TLV_LEN:
    return "probe/ack TLV has the wrong length";
  case SVRPMTU_ERR_PKT_SIZE:
    return "probe length disagrees with its declared size";
  case SVRPMTU_ERR_PKT_UNKNOWN:
    return "ack for no probe in flight";
  case SVRPMTU_ERR_PKT_TRUNCATED:
    return "ack reports fewer bytes than the probe carried";
  case SVRPMTU_ERR_PTB_NOT_OURS:
    return "ICMP too-big report does not quote a probe we sent";
  case SVRPMTU_ERR_PTB_MTU:
    return "ICMP too-big MTU not below the probe or below the minimum";
  case SVRPMTU_ERR_ACK_QUEUE:
    return "ack queue full, probe not answered";
  case SVRPMTU_ERR_NOMEM:
    return "out of memory";
  case SVRPMTU_ERR_CALLBACK_FAILURE:
    return "callback failed";
  case SVRPMTU_ERR_FATAL:
    return "fatal error";
  default:
    return "unknown error";
  }
}

int svrpmtu_err_is_fatal(int e) { return e < SVRPMTU_ERR_FATAL; }

const char *svrpmtu_state_name(svrpmtu_state s) {
  switch (s) {
  case SVRPMTU_STATE_DISABLED:
    return "disabled";
  case SVRPMTU_STATE_SEARCHING:
    return "searching";
  case SVRPMTU_STATE_COMPLETE:
    return "complete";
  case SVRPMTU_STATE_ERROR:
    return "error";
  }
  return "unknown";
}

static const svrpmtu_info version_info = {1, SVRPMTU_VERSION_NUM,
                                          SVRPMTU_VERSION};

const svrpmtu_info *svrpmtu_version(int least_version) {
  if (least_version > SVRPMTU_VERSION_NUM) {
    return NULL;
  }
  return &version_info;
}
