/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: the Internet checksum (RFC 1071) and its incremental
 * update (RFC 1624).  Header-only so every library gets its own private copy
 * with no exported symbol.
 */
#ifndef SVR_CKSUM_H
#define SVR_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Adds the bytes of |p| (big-endian 16-bit words, an odd last byte padded
 * with zero) to the running 32-bit one's-complement accumulator |sum| and
 * returns the new accumulator.  Chain calls to checksum scattered data; an
 * odd-length chunk may only be the last one (RFC 1071 section 4.1 layout).
 */
static inline uint32_t svr_cksum_add(uint32_t sum, const uint8_t *p,
                                     size_t len) {
  uint64_t acc = sum;
  size_t i;
  for (i = 0; i + 1 < len; i += 2) {
    acc += (uint32_t)((p[i] << 8) | p[i + 1]);
  }
  if (len & 1) {
    acc += (uint32_t)(p[len - 1] << 8);
  }
  while (acc >> 32) {
    acc = (acc & 0xffffffffu) + (acc >> 32);
  }
  return (uint32_t)acc;
}

/* Folds the accumulator to 16 bits (end-around carry). */
static inline uint16_t svr_cksum_fold(uint32_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffffu) + (sum >> 16);
  }
  return (uint16_t)sum;
}

/* The checksum to put on the wire: complement of the folded sum. */
static inline uint16_t svr_cksum_finish(uint32_t sum) {
  return (uint16_t)~svr_cksum_fold(sum);
}

/* Checksum of one buffer (RFC 1071). */
static inline uint16_t svr_cksum(const uint8_t *p, size_t len) {
  return svr_cksum_finish(svr_cksum_add(0, p, len));
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), where a 16-bit field of the
 * checksummed data changes from |old_word| to |new_word|.  Returns the new
 * checksum.  Using eqn. 3 (not eqn. 2) avoids the -0/+0 ambiguity the RFC
 * describes in section 3.
 */
static inline uint16_t svr_cksum_update16(uint16_t cksum, uint16_t old_word,
                                          uint16_t new_word) {
  uint32_t sum = (uint32_t)(uint16_t)~cksum + (uint16_t)~old_word + new_word;
  return (uint16_t)~svr_cksum_fold(sum);
}

/* The same for a 32-bit field (an IPv4 address), as two 16-bit updates. */
static inline uint16_t svr_cksum_update32(uint16_t cksum, uint32_t old_word,
                                          uint32_t new_word) {
  cksum = svr_cksum_update16(cksum, (uint16_t)(old_word >> 16),
                             (uint16_t)(new_word >> 16));
  return svr_cksum_update16(cksum, (uint16_t)old_word, (uint16_t)new_word);
}

#endif /* SVR_CKSUM_H */
