/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libconductor internal: TLV numbers of the IPC frame body, in the
 * svr-suite private range reserved for libconductor (common/svr_meta.h,
 * SVR_TLV_CONDUCTOR_FIRST = 0xE0A0 .. 0xE0FF).  docs/libconductor.md
 * section 2.3 is the registry.
 */
#ifndef CONDUCTOR_TLV_H
#define CONDUCTOR_TLV_H

#include "svr_meta.h"

#define CONDUCTOR_TLV_VERSION (SVR_TLV_CONDUCTOR_FIRST + 0x00)     /* u16 */
#define CONDUCTOR_TLV_VERSION_MIN (SVR_TLV_CONDUCTOR_FIRST + 0x01) /* u16 */
#define CONDUCTOR_TLV_VERSION_MAX (SVR_TLV_CONDUCTOR_FIRST + 0x02) /* u16 */
#define CONDUCTOR_TLV_ROUTER (SVR_TLV_CONDUCTOR_FIRST + 0x03)      /* str */
#define CONDUCTOR_TLV_NODE (SVR_TLV_CONDUCTOR_FIRST + 0x04)        /* str */
#define CONDUCTOR_TLV_SEQ (SVR_TLV_CONDUCTOR_FIRST + 0x05)         /* u64 */
#define CONDUCTOR_TLV_ALARM_NUM (SVR_TLV_CONDUCTOR_FIRST + 0x06)   /* u32 */
#define CONDUCTOR_TLV_ALARM_OP (SVR_TLV_CONDUCTOR_FIRST + 0x07)    /* u8 */
#define CONDUCTOR_TLV_SEVERITY (SVR_TLV_CONDUCTOR_FIRST + 0x08)    /* u8 */
#define CONDUCTOR_TLV_TIME (SVR_TLV_CONDUCTOR_FIRST + 0x09)        /* u64 */
#define CONDUCTOR_TLV_SOURCE (SVR_TLV_CONDUCTOR_FIRST + 0x0A)      /* str */
#define CONDUCTOR_TLV_CATEGORY (SVR_TLV_CONDUCTOR_FIRST + 0x0B)    /* str */
#define CONDUCTOR_TLV_MESSAGE (SVR_TLV_CONDUCTOR_FIRST + 0x0C)     /* str */
#define CONDUCTOR_TLV_PEAK_BPS (SVR_TLV_CONDUCTOR_FIRST + 0x0D)    /* u64 */
#define CONDUCTOR_TLV_INTERVAL (SVR_TLV_CONDUCTOR_FIRST + 0x0E)    /* u64 */
#define CONDUCTOR_TLV_ERROR_CODE (SVR_TLV_CONDUCTOR_FIRST + 0x0F)  /* u16 */
#define CONDUCTOR_TLV_REF_TYPE (SVR_TLV_CONDUCTOR_FIRST + 0x10)    /* u16 */
#define CONDUCTOR_TLV_TEXT (SVR_TLV_CONDUCTOR_FIRST + 0x11)        /* str */
#define CONDUCTOR_TLV_EPOCH (SVR_TLV_CONDUCTOR_FIRST + 0x12)       /* u64 */
#define CONDUCTOR_TLV_PEER (SVR_TLV_CONDUCTOR_FIRST + 0x13)       /* str */
#define CONDUCTOR_TLV_KEY_INDEX (SVR_TLV_CONDUCTOR_FIRST + 0x14)  /* u32 */
#define CONDUCTOR_TLV_KEY_OP (SVR_TLV_CONDUCTOR_FIRST + 0x15)     /* u8 */
#define CONDUCTOR_TLV_KEY (SVR_TLV_CONDUCTOR_FIRST + 0x16)        /* bytes */
#define CONDUCTOR_TLV_COUNT 0x17

#endif /* CONDUCTOR_TLV_H */
