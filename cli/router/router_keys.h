/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: keys pushed by the conductor (router_keys.c: KEY ->
 * rt_fwd_key_op, the rekey alarm).
 */
#ifndef SVR_ROUTER_KEYS_H
#define SVR_ROUTER_KEYS_H

#include "router.h"

/* The conductor link's on_key handler (rt_alarm_hooks). */
void rt_keys_on_key(int idx, const conductor_msg *key, conductor_msg *ack,
                    void *rt_ptr);
/* `show security key-status [json]`. */
void rt_keys_show(rt *r, rf_buf *b, int json);

#endif /* SVR_ROUTER_KEYS_H */
