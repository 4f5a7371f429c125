/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: UDP transform detection (router_fwdet.c, libsvrfwdet); its
 * verdicts go to the data plane (router_fwd.h).
 */
#ifndef SVR_ROUTER_FWDET_H
#define SVR_ROUTER_FWDET_H

#include "router.h"

int rt_fw_init(rt *r, const rc_config *c);
void rt_fw_start(rt *r, rt_path *p);
void rt_fw_stop(rt *r, rt_path *p);
void rt_fw_kick(rt *r);
/* 1 when the datagram was the detector's (consumed). */
int rt_fw_ctrl(rt *r, const svrbfd_path *path, const uint8_t *pkt, size_t len,
               svrbfd_tstamp now);
void rt_fw_close(rt *r); /* libuv handles */
void rt_fw_free(rt *r);  /* context, sockets, nft table */
size_t rt_ut_rows(rt *r, rf_ut_row *rows, size_t max);

#endif /* SVR_ROUTER_FWDET_H */
