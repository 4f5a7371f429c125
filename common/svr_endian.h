/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: big-endian load/store helpers (never installed).
 *
 * Wire formats in this suite are all network byte order.  These helpers read
 * and write through byte pointers so they are alignment- and endian-safe; the
 * caller is responsible for checking the buffer length first.
 */
#ifndef SVR_ENDIAN_H
#define SVR_ENDIAN_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t svr_get_be16(const uint8_t *p) {
  return (uint16_t)(((uint16_t)p[0] << 8) | (uint16_t)p[1]);
}

static inline uint32_t svr_get_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t svr_get_be64(const uint8_t *p) {
  return ((uint64_t)svr_get_be32(p) << 32) | (uint64_t)svr_get_be32(p + 4);
}

static inline uint8_t *svr_put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
  return p + 2;
}

static inline uint8_t *svr_put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
  return p + 4;
}

static inline uint8_t *svr_put_be64(uint8_t *p, uint64_t v) {
  svr_put_be32(p, (uint32_t)(v >> 32));
  return svr_put_be32(p + 4, (uint32_t)v);
}

#endif /* SVR_ENDIAN_H */
