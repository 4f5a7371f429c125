/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: a libsvrpmtu context driven by the input.  The input is a
 * script of records: op (1 byte), time step (2 bytes, ms), length (2
 * bytes), data.  Ops: datagram to read_pkt, PTB report (first 2 data bytes
 * are the MTU; the rest, or the last probe sent when empty, is the quote),
 * "ack the last probe", expiry.  Timestamps and PTB MTUs are fuzzed; the
 * context must never crash, every probe it writes must be exactly the
 * size it reports, between base and max, and the search state must stay
 * consistent (bounds ordered, the probe between them, results in range).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <svrpmtu/svrpmtu.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rnd(uint8_t *d, size_t n, void *u) {
  uint64_t *s = u;
  size_t i;
  for (i = 0; i < n; i++) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    d[i] = (uint8_t)(*s >> 56);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t buf[SVRPMTU_MAX_PKT_LEN], last[SVRPMTU_MAX_PKT_LEN];
  size_t lastlen = 0, off = 0;
  uint64_t seed = 1, now = 1000000000ULL;
  svrpmtu_callbacks cb = {rnd, NULL};
  svrpmtu_ctx *ctx;
  svrpmtu_path *path;
  svrpmtu_path_config cfg;
  svrpmtu_addr from = {4, 0, 1280, {192, 0, 2, 1}};

  if (svrpmtu_ctx_new(&ctx, &cb, NULL, NULL, &seed) != 0) {
    return 0;
  }
  svrpmtu_path_config_default(&cfg, 4);
  cfg.interval_ns = 5 * SVRPMTU_SECONDS;
  cfg.confirm_interval_ns = 2 * SVRPMTU_SECONDS;
  cfg.probe_timeout_ns = 100 * SVRPMTU_MILLISECONDS;
  /* Mostly a 1500-byte interface (fast); sometimes the full 9216 range. */
  cfg.max_mtu = 1500;
  if (size > 0 && (data[0] & 7) == 7) {
    cfg.max_mtu = 9216;
  }
  if (size > 1) {
    cfg.probe_spacing_ns = (data[1] & 1) ? 0 : 40 * SVRPMTU_MILLISECONDS;
  }
  /* A valid configuration: failing here would hide the whole target. */
  assert(svrpmtu_path_new(ctx, &path, &cfg, NULL, now) == 0);
  while (off + 5 <= size) {
    uint8_t op = data[off];
    uint64_t step = (uint64_t)((data[off + 1] << 8) | data[off + 2]);
    size_t len = (size_t)((data[off + 3] << 8) | data[off + 4]);
    const uint8_t *d = data + off + 5;
    svrpmtu_addr to;
    svrpmtu_ssize n;
    int rv = 0;
    off += 5;
    if (len > size - off) {
      len = size - off;
    }
    off += len;
    now += step * 1000000ULL;
    switch (op % 4) {
    case 0:
      rv = svrpmtu_ctx_read_pkt(ctx, &from, d, len, now);
      break;
    case 1: {
      svrpmtu_ptb ptb;
      ptb.mtu = len >= 2 ? (uint32_t)((d[0] << 8) | d[1]) : 1400;
      if (len > 2) {
        ptb.quote = d + 2;
        ptb.quotelen = len - 2;
      } else {
        ptb.quote = last;
        ptb.quotelen = lastlen;
      }
      rv = svrpmtu_ctx_read_ptb(ctx, &ptb, now);
      break;
    }
    case 2:
      if (lastlen) {
        uint8_t ack[SVRPMTU_ACK_LEN];
        svrpmtu_ssize an = svrpmtu_ack_build(ack, sizeof(ack), last, lastlen);
        assert(an == SVRPMTU_ACK_LEN);
        rv = svrpmtu_ctx_read_pkt(ctx, &from, ack, (size_t)an, now);
      }
      break;
    default:
      rv = svrpmtu_ctx_handle_expiry(ctx, now);
      break;
    }
    assert(!svrpmtu_err_is_fatal(rv));
    while ((n = svrpmtu_ctx_write_pkt(ctx, &to, buf, sizeof(buf), now)) > 0) {
      svrpmtu_msg m;
      assert(svrpmtu_msg_decode(&m, buf, (size_t)n, 0) == 0);
      if (m.kind == SVRPMTU_MSG_PROBE) {
        assert(m.probed_size == (size_t)n + 28);
        assert(m.probed_size >= cfg.base_mtu && m.probed_size <= cfg.max_mtu);
        memcpy(last, buf, (size_t)n);
        lastlen = (size_t)n;
      }
    }
    assert(n == 0);
    {
      /* The search bounds stay ordered, a probe in progress lies between
       * them, and a result is within [base, max]. */
      svrpmtu_path_info in;
      svrpmtu_path_get_info(path, &in);
      if (in.state == SVRPMTU_STATE_SEARCHING) {
        assert(in.search_low <= in.search_high);
        assert(in.search_high <= cfg.max_mtu);
        assert(in.probing_size == 0 || (in.probing_size > in.search_low &&
                                        in.probing_size <= in.search_high));
      }
      if (in.state == SVRPMTU_STATE_COMPLETE) {
        assert(in.pmtu >= cfg.base_mtu && in.pmtu <= cfg.max_mtu);
      }
    }
  }
  svrpmtu_ctx_del(ctx);
  return 0;
}
