/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Error strings, names, the reason formatter and the version query.
 */
#include <stdio.h>
#include <string.h>

#include "fwdet_int.h"

const char *svrfwdet_strerror(int e) {
  switch (e) {
  case 0:
    return "success";
  case SVRFWDET_ERR_INVALID_ARGUMENT:
    return "invalid argument";
  case SVRFWDET_ERR_NOBUF:
    return "output buffer too small";
  case SVRFWDET_ERR_VERSION:
    return "unknown struct version";
  case SVRFWDET_ERR_ADDRESS:
    return "bad or mixed address family";
  case SVRFWDET_ERR_INTERVAL:
    return "detect interval outside 1..86400 s";
  case SVRFWDET_ERR_PATH_EXISTS:
    return "a path with these addresses exists";
  case SVRFWDET_ERR_MTU:
    return "MTU below the IP minimum or above 9216";
  case SVRFWDET_ERR_MSG_SHORT:
    return "control datagram shorter than the SVR header";
  case SVRFWDET_ERR_MSG_COOKIE:
    return "not an SVR control datagram (cookie)";
  case SVRFWDET_ERR_MSG_HEADER:
    return "bad SVR header version or lengths";
  case SVRFWDET_ERR_MSG_TLV:
    return "TLV runs past its area";
  case SVRFWDET_ERR_MSG_KIND:
    return "control datagram of another kind";
  case SVRFWDET_ERR_MSG_FIELD:
    return "firewall-detector TLV with a bad length or value";
  case SVRFWDET_ERR_MSG_MISSING:
    return "mandatory firewall-detector TLV missing";
  case SVRFWDET_ERR_MSG_OP:
    return "unknown firewall-detector operation";
  case SVRFWDET_ERR_MSG_UNKNOWN:
    return "report for no outstanding burst";
  case SVRFWDET_ERR_IP_MALFORMED:
    return "truncated or inconsistent IP/TCP packet";
  case SVRFWDET_ERR_IP_NOT_PROBE:
    return "not a firewall-detector probe";
  case SVRFWDET_ERR_NOMEM:
    return "out of memory";
  case SVRFWDET_ERR_FATAL:
    return "fatal error";
  default:
    return "unknown error";
  }
}

const char *svrfwdet_kind_name(svrfwdet_kind kind) {
  switch (kind) {
  case SVRFWDET_KIND_SYN:
    return "TCP SYN";
  case SVRFWDET_KIND_MIDFLOW:
    return "Mid-flow";
  case SVRFWDET_KIND_JUMBO:
    return "TCP SYN Jumbo";
  case SVRFWDET_KIND_OOO:
    return "Out-of-order";
  default:
    return NULL;
  }
}

const char *svrfwdet_mode_name(svrfwdet_mode mode) {
  switch (mode) {
  case SVRFWDET_MODE_AUTO:
    return "auto-detect";
  case SVRFWDET_MODE_ALWAYS_TRANSFORM:
    return "always-transform";
  case SVRFWDET_MODE_DISABLED:
    return "disabled";
  default:
    return "unknown";
  }
}

size_t svrfwdet_reasons_format(char *buf, size_t buflen, unsigned mask) {
  size_t n = 0, l;
  int k;
  const char *parts[SVRFWDET_NKINDS + 1];
  int np = 0, i;
  if (mask & SVRFWDET_REASON_CONFIGURED) {
    parts[np++] = "Configured";
  }
  for (k = 0; k < SVRFWDET_NKINDS; k++) {
    if (mask & (1u << k)) {
      parts[np++] = svrfwdet_kind_name((svrfwdet_kind)k);
    }
  }
  if (buf && buflen) {
    buf[0] = '\0';
  }
  for (i = 0; i < np; i++) {
    const char *sep = i ? "; " : "";
    l = strlen(sep) + strlen(parts[i]);
    if (buf && n + l < buflen) {
      memcpy(buf + n, sep, strlen(sep));
      memcpy(buf + n + strlen(sep), parts[i], strlen(parts[i]));
      buf[n + l] = '\0';
    } else if (buf && buflen) {
      buf[buflen - 1] = '\0';
      if (n < buflen - 1) {
        size_t c = buflen - 1 - n;
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%s%s", sep, parts[i]);
        memcpy(buf + n, tmp, c < strlen(tmp) ? c : strlen(tmp));
      }
    }
    n += l;
  }
  return n;
}

static const svrfwdet_info version_info = {1, SVRFWDET_VERSION_NUM,
                                           SVRFWDET_VERSION};

const svrfwdet_info *svrfwdet_version(int least_version) {
  if (least_version > SVRFWDET_VERSION_NUM) {
    return NULL;
  }
  return &version_info;
}
