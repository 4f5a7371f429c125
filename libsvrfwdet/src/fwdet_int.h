/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwdet internals shared by the source files (never installed).
 */
#ifndef FWDET_INT_H
#define FWDET_INT_H

#include <svrfwdet/svrfwdet.h>

#include "svr_heap.h"

/* Probe identifier at the start of every probe's TCP payload (24 bytes):
 *   magic "SVRFWDET" (8) | version 1 (1) | kind (1) | payload length (2) |
 *   path id (4) | burst (4) | reserved, zero (4)                          */
#define FWDET_MAGIC "SVRFWDET"
#define FWDET_MAGIC_LEN 8
#define FWDET_ID_VERSION 1

/* TLV numbers of our private range (docs/libsvrfwdet.md section 3). */
#define FWDET_TLV_OP 0xE060         /* 1: svrfwdet_op */
#define FWDET_TLV_PATH_ID 0xE061    /* 4 */
#define FWDET_TLV_BURST 0xE062      /* 4 */
#define FWDET_TLV_KINDS 0xE063      /* 1: bit per kind */
#define FWDET_TLV_FLAGS_SEEN 0xE064 /* 4: TCP flags per kind, 0 = not seen */
#define FWDET_TLV_NODE_NAME 0xE065  /* string */

#define FWDET_TCP_FIN 0x01
#define FWDET_TCP_SYN 0x02
#define FWDET_TCP_RST 0x04
#define FWDET_TCP_PSH 0x08
#define FWDET_TCP_ACK 0x10

/* Sequence distance of the out-of-order probe past the SYN probe's data. */
#define FWDET_OOO_GAP (1u << 20)

/* Lowest IPv4 / IPv6 MTU we fragment for (RFC 791 / RFC 8200). */
#define FWDET_MIN_MTU_V4 576
#define FWDET_MIN_MTU_V6 1280

size_t svrfwdet__probe_payload_len(svrfwdet_kind kind);
uint8_t svrfwdet__probe_flags(svrfwdet_kind kind);

/* Parses a TCP segment (header + payload) of a probe; |seg_total| is the
 * whole segment length when known (it may exceed |len| for a fragment's
 * leading bytes).  Fills kind/path_id/burst/flags/payload_len. */
int svrfwdet__tcp_parse(svrfwdet_probe_info *info, const uint8_t *tcp,
                        size_t len, size_t seg_total);

#endif /* FWDET_INT_H */
