/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the echo datagram decoder, the reflector, and a path reading
 * the datagram as a reply (libsvrbfd path quality).  The first 8 input bytes
 * double as a timestamp so the path's timing checks are fuzzed as well.
 */
#include <stdint.h>
#include <string.h>

#include <svrbfd/svrbfd_pq.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  svrbfd_pq_echo e;
  uint8_t out[SVRBFD_PQ_MAX_PKT_LEN + 64];
  svrbfd_pq_settings s;
  svrbfd_pq_path *p = NULL;
  uint64_t ts = 0;
  size_t i;
  int rv;

  rv = svrbfd_pq_echo_decode(&e, data, size);
  if (rv == 0) {
    /* what decodes must re-encode and decode to the same fields */
    svrbfd_ssize n = svrbfd_pq_echo_encode(out, sizeof(out), &e);
    svrbfd_pq_echo e2;
    if (n > 0 && (svrbfd_pq_echo_decode(&e2, out, (size_t)n) != 0 ||
                  e2.seq != e.seq || e2.token != e.token ||
                  e2.tx_ts != e.tx_ts || e2.reply != e.reply)) {
      __builtin_trap();
    }
  }
  (void)svrbfd_pq_reflect(out, sizeof(out), data, size, 10, 20);

  for (i = 0; i < 8 && i < size; i++) {
    ts = (ts << 8) | data[i];
  }
  svrbfd_pq_settings_default(&s);
  s.link_test_length = 3;
  if (svrbfd_pq_path_new(&p, &s, NULL, NULL, NULL) == 0) {
    svrbfd_pq_path_start(p, 0);
    while (svrbfd_pq_path_write_pkt(p, out, sizeof(out), 0) > 0) {
    }
    (void)svrbfd_pq_path_read_pkt(p, data, size, ts);
    (void)svrbfd_pq_path_handle_expiry(p, ts);
    svrbfd_pq_path_del(p);
  }
  return 0;
}
