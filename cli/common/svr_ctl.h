/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr_ctl: the control socket of a running svr-suite daemon (docs/cli.md,
 * "Control sockets").  A Unix domain stream socket, mode 0660; the client
 * writes one command line, the daemon answers "ok\n" and the output, or
 * "error: TEXT\n", and closes the connection.  One implementation for
 * svr-bfd and svr-router.
 *
 * The daemon side runs on a libuv loop but does its own socket calls, so
 * that every write is MSG_NOSIGNAL (a client that goes away before the
 * answer is written cannot kill the daemon with SIGPIPE), a large answer
 * gets a send buffer that holds it, and a connection that moves no byte
 * for SVR_CTL_IDLE_MS is closed.
 *
 * Internal to cli/: not installed, no ABI.
 */
#ifndef SVR_CTL_H
#define SVR_CTL_H

#include <stddef.h>
#include <stdio.h>

#include <uv.h>

/* A connection that receives or sends nothing for this long is closed
 * (tests build svr_ctl.c with shorter times). */
#ifndef SVR_CTL_IDLE_MS
#define SVR_CTL_IDLE_MS 10000
#endif
/* The client waits this long for each part of the answer. */
#ifndef SVR_CTL_CLIENT_TIMEOUT_S
#define SVR_CTL_CLIENT_TIMEOUT_S 5
#endif

typedef struct svr_ctl svr_ctl;

/* The answer to one command, filled by the handler. */
typedef struct svr_ctl_reply {
  FILE *out;       /* write the output here (a memory stream)... */
  char *body;      /* ...and/or hand over a malloc'd buffer: sent after what
                      was written to |out|, then freed by svr_ctl (a large
                      answer built elsewhere goes out without a copy) */
  size_t body_len;
  char err[256];   /* room for an error text the handler formats */
} svr_ctl_reply;

/* Answers one command |line| (without its newline, CR dropped, "" when the
 * line was too long): fills |reply| and returns NULL, or returns an error
 * text (it may point into reply->err; nothing of the output is sent then). */
typedef const char *(*svr_ctl_handler)(void *user_data, const char *line,
                                       svr_ctl_reply *reply);

/* Listens on |path|.  A stale socket left by a daemon that died is
 * replaced; a live one (something answers there: "another |who| answers
 * there", |who| NULL: "daemon"), a file that is not a socket or a missing
 * directory is refused with a message naming it in |err|.  Returns 0 or
 * -1 (then nothing is left open). */
int svr_ctl_listen(svr_ctl **pc, uv_loop_t *loop, const char *path,
                   const char *who, svr_ctl_handler handler, void *user_data,
                   char *err, size_t errlen);

/* Stops listening, closes the open connections and removes the socket
 * file; the memory is freed by the loop.  NULL is a no-op. */
void svr_ctl_close(svr_ctl *c);

/* Client: sends |cmd| to the daemon at |path| and copies the output to
 * stdout.  Errors go to stderr prefixed with |prog|.  Returns the suite's
 * exit status: 0, 2 for an error answer (unknown command), 4 when the
 * socket is not accessible, 5 when no daemon answers there. */
int svr_ctl_request(const char *prog, const char *path, const char *cmd);

#endif
