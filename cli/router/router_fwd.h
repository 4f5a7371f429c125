/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: the data plane (router_fwd.c: libsvrfwd on a TUN and a TAP
 * device).
 */
#ifndef SVR_ROUTER_FWD_H
#define SVR_ROUTER_FWD_H

#include "router.h"

int rt_fwd_init(rt *r, char *err, size_t errlen); /* after the paths exist */
void rt_fwd_path_add(rt *r, rt_path *p);            /* a path was created */
void rt_fwd_path_del(rt *r, rt_path *p);            /* before it is freed */
void rt_fwd_path_status(rt *r, rt_path *p, int up); /* BFD up/down */
void rt_fwd_path_mtu(rt *r, rt_path *p, uint16_t pmtu);
void rt_fwd_transform(rt *r, rt_path *p, int on);  /* detector verdict */
uint64_t rt_fwd_bytes(rt *r);
/* Installs (|hex| not NULL) or activates key |id| on every path to router
 * |peer| (a rekey without loss: add on both routers, then activate).
 * Returns 0 or -1; |msg| says what was done or why not (never the key). */
int rt_fwd_key(rt *r, const char *peer, const char *id, const char *hex,
               char *msg, size_t msglen);
/* The same with binary key material and |op| RT_KEY_ADD (key, keylen),
 * RT_KEY_ACTIVATE or RT_KEY_REMOVE (svrfwd_peer_key_remove): the conductor
 * path (router_keys.c). */
enum { RT_KEY_ADD = 1, RT_KEY_ACTIVATE = 2, RT_KEY_REMOVE = 3 };
int rt_fwd_key_op(rt *r, const char *peer, uint32_t id, int op,
                  const uint8_t *key, size_t keylen, char *msg, size_t msglen);
void rt_fwd_show_sessions(rt *r, rf_buf *b, int json);
void rt_fwd_show_stats(rt *r, rf_buf *b, int json);
void rt_fwd_close(rt *r); /* libuv handles */
void rt_fwd_free(rt *r);  /* context, devices, rules, routes, nft */

#endif /* SVR_ROUTER_FWD_H */
