/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: dynamic peer update (router_dpu.c, docs/svr-router.md).  A
 * change is applied through the reload machinery, which it reaches only
 * as the callback it is given (router_daemon.c's rt_apply).
 */
#ifndef SVR_ROUTER_DPU_H
#define SVR_ROUTER_DPU_H

#include "router.h"

/* Makes |c| the running configuration (rt_apply's contract). */
typedef int (*rt_dpu_apply_fn)(rt *r, rc_config *c, char *err,
                               size_t errlen);

void rt_dpu_prestart(rc_config *c); /* before the first bind */
int rt_dpu_init(rt *r, rt_dpu_apply_fn apply, char *err,
                size_t errlen);      /* rtnetlink watch */
void rt_dpu_report(rt *r);          /* our learned addresses -> conductor */
void rt_dpu_patch(rt *r, rc_config *c); /* re-apply overrides (SIGHUP) */
/* The conductor link's on_peer_address handler (rt_alarm_hooks). */
void rt_dpu_on_peer(int idx, const conductor_msg *m, void *rt_ptr);
int rt_dpu_dump_request(int fd);
void rt_dpu_close(rt *r); /* libuv handles */
void rt_dpu_free(rt *r);

#endif /* SVR_ROUTER_DPU_H */
