/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: the daemon (router_daemon.c): start, reload, the paths and
 * their BFD/PMTU sessions.  The top of the modules below router_main
 * (docs/architecture.md, "svr-router's modules").
 */
#ifndef SVR_ROUTER_DAEMON_H
#define SVR_ROUTER_DAEMON_H

#include "router.h"

int rt_run(const char *cfg_path, int verbose);
/* Makes |c| the running configuration as a SIGHUP reload does (unchanged
 * adjacencies keep their session, changed ones are replaced).  Takes |c|
 * on success; on failure nothing changed and |err| says why.  Reached
 * from router_dpu.c only as its rt_dpu_apply_fn. */
int rt_apply(rt *r, rc_config *c, char *err, size_t errlen);
/* `show peers [detail]`: the table or the JSON object of every path. */
void rt_show_peers(rt *r, rf_buf *b, int json, int detail);
/* The BFD sessions as FRR bfdd's 'show bfd peers json' (an array; paths
 * with BFD disabled are left out). */
void rt_frr_json(rt *r, rf_buf *b);

/* Fills an empty control_socket with /run/svr-router-ROUTER.sock. */
void rt_default_socket(rc_config *c);

#endif /* SVR_ROUTER_DAEMON_H */
