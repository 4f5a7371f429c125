/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: libsvrfwd's SVR metadata decoder.  Whatever decodes must
 * re-encode to the same TLV set and decode again to the same length of
 * known content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <svrfwd/svrfwd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  svrfwd_meta m, m2;
  uint8_t out[70000];
  svrfwd_ssize n = svrfwd_meta_decode(&m, data, size), e, d;
  if (n < 0) {
    if (n > -300 || n < -308) {
      abort(); /* only metadata error codes */
    }
    return 0;
  }
  if ((size_t)n > size) {
    abort();
  }
  e = svrfwd_meta_encode(out, sizeof(out), &m, NULL);
  if (e < 0) {
    return 0; /* e.g. over-long header area after normalising */
  }
  d = svrfwd_meta_decode(&m2, out, (size_t)e);
  if (d != e || m2.present != m.present) {
    abort();
  }
  return 0;
}
