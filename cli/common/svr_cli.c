/* SPDX-License-Identifier: BSD-2-Clause */
/* svr_cli: shared helpers of the svr-suite programs (svr_cli.h). */
#define _GNU_SOURCE
#include "svr_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t svr_cli_unix_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *svr_cli_time_iso(char *buf, size_t cap, int64_t unix_ns) {
  time_t s = (time_t)(unix_ns / 1000000000LL);
  int ms = (int)((unix_ns % 1000000000LL) / 1000000LL);
  struct tm tm;
  if (cap < SVR_CLI_TIME_LEN) {
    if (cap > 0) {
      buf[0] = '\0';
    }
    return buf;
  }
  gmtime_r(&s, &tm);
  snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

char *svr_cli_time_now(char *buf, size_t cap) {
  return svr_cli_time_iso(buf, cap, svr_cli_unix_ns());
}

int svr_cli_exit_for_errno(int err) {
  switch (err) {
  case EPERM:
  case EACCES:
    return SVR_EXIT_PERMISSION;
  case ECONNREFUSED:
  case EHOSTUNREACH:
  case ENETUNREACH:
    return SVR_EXIT_UNREACHABLE;
  default:
    return SVR_EXIT_SYSTEM;
  }
}

const char *svr_cli_unreach_reason(int err) {
  switch (err) {
  case ECONNREFUSED: return "port_unreachable";
  case EHOSTUNREACH: return "host_unreachable";
  case ENETUNREACH: return "net_unreachable";
  case EACCES:
  case EPERM: return "prohibited";
  default: return NULL;
  }
}

void svr_cli_vusage_error(const char *prog, const char *fmt, va_list ap) {
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry '%s --help'.\n", prog);
  exit(SVR_EXIT_USAGE);
}

void svr_cli_usage_error(const char *prog, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  svr_cli_vusage_error(prog, fmt, ap);
}

void svr_cli_bad_option(const char *prog, char *const *argv, int optind_now) {
  const char *arg = optind_now > 0 ? argv[optind_now - 1] : "?";
  svr_cli_usage_error(prog, "unknown option or missing value: '%s'", arg);
}
