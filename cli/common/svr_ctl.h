/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr_ctl: the control socket of a running svr-suite daemon (docs/cli.md,
 * "Control sockets").  A Unix domain stream socket, mode 0660; the client
 * writes one command line, the daemon answers "ok\n" and the output, or
 * "error: TEXT\n", and closes the connection.
 *
 * Internal to cli/: not installed, no ABI.
 */
#ifndef SVR_CTL_H
#define SVR_CTL_H

#include <stdio.h>

#include <uv.h>

typedef struct svr_ctl svr_ctl;

/* Answers one command |line| (without its newline): writes the output to
 * |out| and returns NULL, or returns an error text (nothing of |out| is
 * sent then). */
typedef const char *(*svr_ctl_handler)(void *user_data, const char *line,
                                       FILE *out);

/* Listens on |path|.  A stale socket left by a daemon that died is
 * replaced; a live one (something answers there), a file that is not a
 * socket or a missing directory is refused with a message naming it in
 * |err|.  Returns 0 or -1. */
int svr_ctl_listen(svr_ctl **pc, uv_loop_t *loop, const char *path,
                   svr_ctl_handler handler, void *user_data, char *err,
                   size_t errlen);

/* Stops listening and removes the socket file; the handle is freed by the
 * loop.  NULL is a no-op. */
void svr_ctl_close(svr_ctl *c);

/* Client: sends |cmd| to the daemon at |path| and copies the output to
 * stdout.  Errors go to stderr prefixed with |prog|.  Returns the suite's
 * exit status: 0, 2 for an error answer (unknown command), 4 when the
 * socket is not accessible, 5 when no daemon answers there. */
int svr_ctl_request(const char *prog, const char *path, const char *cmd);

#endif
