/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: a 64-bit integer mixer for hash tables (the splitmix64
 * finaliser: every input bit affects every output bit, so sequential ids or
 * addresses spread over the buckets).  Header-only, no exported symbol.
 * Callers that hash values chosen by the network xor in a per-table random
 * seed first.
 */
#ifndef SVR_HASH_H
#define SVR_HASH_H

#include <stdint.h>

static inline uint64_t svr_mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

#endif /* SVR_HASH_H */
