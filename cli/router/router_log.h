/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router's log (router_log.c): one line on stderr per event,
 * "2026-12-08T00:30:01.123Z svr-router[ROUTER]: TEXT".  Depends on nothing
 * else of cli/router; the modules call it as rt_log(r, ...) (router.h).
 */
#ifndef SVR_ROUTER_LOG_H
#define SVR_ROUTER_LOG_H

#include <stdarg.h>

/* Writes one line tagged with |router| ("-" before it is known). */
void rt_logv(const char *router, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif /* SVR_ROUTER_LOG_H */
