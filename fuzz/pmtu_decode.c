/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: libsvrpmtu's probe/ack decoder, both as a datagram and as an
 * ICMP quote, and the responder's ack builder.  Checks the invariants the
 * header promises: no reads past the input, |msg| unchanged on error, a
 * decoded probe re-encodes to the same header, acks only for full probes.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <svrpmtu/svrpmtu.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Copy into an exact-size heap buffer so ASan sees any over-read. */
  uint8_t *p = malloc(size ? size : 1);
  uint8_t ack[SVRPMTU_ACK_LEN];
  svrpmtu_msg m, sentinel;
  int quote, rv;
  if (!p) {
    return 0;
  }
  memcpy(p, data, size);
  for (quote = 0; quote <= 1; quote++) {
    memset(&m, 0xa5, sizeof(m));
    sentinel = m;
    rv = svrpmtu_msg_decode(&m, p, size, quote);
    if (rv != 0) {
      assert(rv <= -300 && rv > -400);
      assert(memcmp(&m, &sentinel, sizeof(m)) == 0);
      continue;
    }
    assert(m.kind == SVRPMTU_MSG_PROBE || m.kind == SVRPMTU_MSG_ACK);
    if (m.kind == SVRPMTU_MSG_PROBE) {
      uint8_t *re;
      assert(m.udp_len >= SVRPMTU_PROBE_MIN_PAYLOAD);
      if (!quote) {
        assert(m.udp_len == size);
      }
      re = malloc(m.udp_len);
      if (re) {
        svrpmtu_msg d;
        assert(svrpmtu_probe_encode(re, m.udp_len, &m) == (svrpmtu_ssize)m.udp_len);
        assert(svrpmtu_msg_decode(&d, re, m.udp_len, 0) == 0);
        assert(d.nonce == m.nonce && d.seq == m.seq && d.path_id == m.path_id &&
               d.probed_size == m.probed_size && d.udp_len == m.udp_len);
        free(re);
      }
    }
  }
  rv = (int)svrpmtu_ack_build(ack, sizeof(ack), p, size);
  if (rv > 0) {
    assert(rv == SVRPMTU_ACK_LEN);
    assert(svrpmtu_msg_decode(&m, ack, (size_t)rv, 0) == 0);
    assert(m.kind == SVRPMTU_MSG_ACK && m.udp_len == size);
  }
  free(p);
  return 0;
}
