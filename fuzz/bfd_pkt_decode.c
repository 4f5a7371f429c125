/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: svrbfd_pkt_decode on arbitrary bytes.  A decoded packet must
 * re-encode to the same 24 mandatory bytes, its pointers must stay inside
 * the input, and the trailer goes through the metadata parser.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* exact-size copy so any overread is caught by ASan */
  uint8_t *buf = malloc(size ? size : 1);
  svrbfd_pkt pkt;
  int rv;
  memcpy(buf, data, size);
  rv = svrbfd_pkt_decode(&pkt, buf, size);
  if (rv == 0) {
    uint8_t out[SVRBFD_MIN_PKT_LEN];
    bfd_meta meta;
    assert(pkt.length >= SVRBFD_MIN_PKT_LEN && pkt.length <= size);
    assert(pkt.trailer == buf + pkt.length);
    assert(pkt.trailer_len == size - pkt.length);
    if (pkt.auth_present) {
      assert(pkt.auth_data >= buf + SVRBFD_MIN_PKT_LEN);
      assert(pkt.auth_data + pkt.auth_data_len <= buf + pkt.length);
    }
    assert(svrbfd_pkt_encode(out, sizeof(out), &pkt) == SVRBFD_MIN_PKT_LEN);
    assert(memcmp(out, buf, SVRBFD_MIN_PKT_LEN) == 0);
    if (svrbfd__meta_decode(&meta, pkt.trailer, pkt.trailer_len) == 0) {
      assert(strlen(meta.router) < SVRBFD_NAME_MAX);
      assert(strlen(meta.node) < SVRBFD_NAME_MAX);
      assert(meta.rx_hops >= -1 && meta.rx_hops <= 255);
    }
  } else {
    assert(rv <= SVRBFD_ERR_PKT_SHORT && rv >= SVRBFD_ERR_PKT_ADMIN_DOWN);
  }
  free(buf);
  return 0;
}
