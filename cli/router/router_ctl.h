/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: the control socket's commands (router_ctl.c; the socket is
 * cli/common/svr_ctl.c).  What only the daemon knows (the rows of `show
 * peers`) comes through rt_ctl_peers.
 */
#ifndef SVR_ROUTER_CTL_H
#define SVR_ROUTER_CTL_H

#include "router.h"

/* The daemon's part of `show peers` (router_daemon.c: rt_show_peers,
 * rt_frr_json). */
typedef struct rt_ctl_peers {
  void (*show_peers)(rt *r, rf_buf *b, int json, int detail);
  void (*frr_json)(rt *r, rf_buf *b);
} rt_ctl_peers;

/* Listens on |path| (Unix domain, mode 0660); |peers| must outlive it. */
int rt_ctl_listen(rt *r, const char *path, const rt_ctl_peers *peers,
                  char *err, size_t errlen);
void rt_ctl_close(rt *r);
/* Client side: sends |cmd|, prints the answer; returns an exit code. */
int rt_ctl_request(const char *path, const char *cmd);

#endif /* SVR_ROUTER_CTL_H */
