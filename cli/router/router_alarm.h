/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: alarms, logged and sent to the conductor, and the conductor
 * link itself (router_alarm.c).  What the link receives for the modules
 * above it (keys, peer addresses) reaches them through rt_alarm_hooks.
 */
#ifndef SVR_ROUTER_ALARM_H
#define SVR_ROUTER_ALARM_H

#include "router.h"

/* Handlers of what the conductor sends (set by router_daemon.c:
 * rt_keys_on_key, rt_dpu_on_peer); called with the rt as last argument. */
typedef struct rt_alarm_hooks {
  void (*on_key)(int idx, const conductor_msg *key, conductor_msg *ack,
                 void *rt_ptr);
  void (*on_peer_address)(int idx, const conductor_msg *m, void *rt_ptr);
} rt_alarm_hooks;

int rt_alarm_init(rt *r, const rt_alarm_hooks *hooks, char *err,
                  size_t errlen);                   /* after the config */
void rt_alarm_path(rt *r, rt_path *p, int up);      /* path status */
void rt_alarm_pmtu(rt *r, rt_path *p, int unresolvable);
void rt_alarm_retire(rt *r, rt_path *p);            /* adjacency removed */
/* Links every path to its peer entry (created on first use); after each
 * change of r->paths.  0 or -1 (out of memory). */
int rt_alarm_link_peers(rt *r);
/* `show alarms [json]`: the active ones and the conductor link. */
void rt_alarm_show(rt *r, rf_buf *b, int json);
void rt_repo_show(rt *r, rf_buf *b, int json);
/* Any alarm (category "peer", "platform"...): raised once until cleared. */
void rt_alarm_raise(rt *r, rt_alarm *a, uint8_t sev, const char *category,
                    const char *source, const char *message);
void rt_alarm_clear(rt *r, rt_alarm *a);
void rt_alarm_stop(rt *r); /* libuv handles */
void rt_alarm_free(rt *r);

#endif /* SVR_ROUTER_ALARM_H */
