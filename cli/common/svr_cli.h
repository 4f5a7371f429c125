/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr_cli: what every svr-suite program shares (docs/cli.md): the exit
 * status table, the timestamp format of logs and JSON lines, and the
 * mapping of a failed system call to an exit status.
 *
 * Internal to cli/: not installed, no ABI.
 */
#ifndef SVR_CLI_H
#define SVR_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* One exit status table for all programs (docs/cli.md, "Exit status"). */
enum {
  SVR_EXIT_OK = 0,           /* done; the answer is positive */
  SVR_EXIT_NEGATIVE = 1,     /* the answer is negative (no reply, not Up,
                                unresolvable, interference found, refused) */
  SVR_EXIT_USAGE = 2,        /* bad option, argument or configuration */
  SVR_EXIT_INCONCLUSIVE = 3, /* stopped before an answer (interrupted,
                                deadline, too few replies to decide) */
  SVR_EXIT_PERMISSION = 4,   /* missing privilege or file permission */
  SVR_EXIT_SYSTEM = 5,       /* system or runtime error */
  SVR_EXIT_UNREACHABLE = 6   /* the peer is unreachable: ICMP destination
                                unreachable, no route, connection refused */
};

/* Unix time now in nanoseconds (CLOCK_REALTIME). */
int64_t svr_cli_unix_ns(void);

/* Writes |unix_ns| as ISO-8601 UTC with milliseconds,
 * "2026-12-07T19:30:01.123Z" (24 characters and a NUL), into |buf|.
 * Returns |buf|.  |cap| must be at least SVR_CLI_TIME_LEN. */
#define SVR_CLI_TIME_LEN 25
char *svr_cli_time_iso(char *buf, size_t cap, int64_t unix_ns);
/* The same for the current time: what log lines start with. */
char *svr_cli_time_now(char *buf, size_t cap);

/* The exit status for a system call that failed with |err|: PERMISSION
 * for EPERM and EACCES, UNREACHABLE for the "no way to the peer" family
 * (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH), SYSTEM otherwise. */
int svr_cli_exit_for_errno(int err);

/* A short, stable name for a reachability error, for JSON "reason"
 * fields: "port_unreachable" (ECONNREFUSED), "host_unreachable",
 * "net_unreachable", "prohibited" (EACCES/EPERM from an ICMP
 * administratively prohibited), else NULL. */
const char *svr_cli_unreach_reason(int err);

/* A usage error, the suite's way (docs/cli.md, "Options"): "PROG: MESSAGE"
 * and "Try 'PROG --help'." on stderr, then exit(SVR_EXIT_USAGE).  Programs
 * that parse with getopt set opterr = 0 and report an unknown option with
 * svr_cli_bad_option(), so no message carries the path the program was
 * started by. */
void svr_cli_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void svr_cli_vusage_error(const char *prog, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0), noreturn));
/* getopt_long() returned '?' for |argv|: names the argument it stopped at
 * ("unknown option or missing value: '--x'") as a usage error. */
void svr_cli_bad_option(const char *prog, char *const *argv, int optind_now)
    __attribute__((noreturn));

#endif
