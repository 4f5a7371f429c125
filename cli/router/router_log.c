/* SPDX-License-Identifier: BSD-2-Clause */
/* svr-router's log (router_log.h). */
#include "router_log.h"

#include <stdio.h>

#include "svr_cli.h"

void rt_logv(const char *router, const char *fmt, va_list ap) {
  char when[SVR_CLI_TIME_LEN], line[1024];
  va_list again;
  int n, m;
  /* one write per line (stderr is unbuffered: three calls were three
   * writes, 30,000 per 10,000 paths coming up) */
  va_copy(again, ap);
  n = snprintf(line, sizeof(line), "%s svr-router[%s]: ",
               svr_cli_time_now(when, sizeof(when)), router);
  m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
  if (m < 0 || (size_t)(n + m) >= sizeof(line) - 1) {
    /* longer than the buffer (a reload's list of errors): as it was */
    fwrite(line, 1, (size_t)n, stderr);
    vfprintf(stderr, fmt, again);
    va_end(again);
    fputc('\n', stderr);
    return;
  }
  va_end(again);
  n += m;
  line[n++] = '\n';
  fwrite(line, 1, (size_t)n, stderr);
}
