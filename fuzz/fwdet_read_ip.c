/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: captured IP packets into a responder context (probe parser,
 * IPv4/IPv6 fragment reassembly, RST check).  The input is a sequence of
 * packets, each prefixed by a 2-byte big-endian length, fed at increasing
 * timestamps so reassembly timers also run.
 */
#include <stdint.h>
#include <string.h>

#include <svrfwdet/svrfwdet.h>

static void frand(uint8_t *d, size_t n, void *u) {
  (void)u;
  memset(d, 0x22, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  svrfwdet_ctx *ctx;
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  svrfwdet_path_config pc;
  svrfwdet_out o;
  uint8_t out[SVRFWDET_MAX_PKT_LEN];
  uint64_t ts = 0;
  memset(&cb, 0, sizeof(cb));
  cb.rand = frand;
  svrfwdet_settings_default(&st);
  if (svrfwdet_ctx_new(&ctx, &cb, &st, NULL, NULL) != 0) {
    return 0;
  }
  svrfwdet_path_config_default(&pc);
  pc.local.family = pc.remote.family = 4;
  pc.local.addr[0] = pc.remote.addr[0] = 10;
  pc.local.addr[3] = 1;
  pc.remote.addr[3] = 2;
  /* a path only so RSTs from its peer can be matched; no bursts, which
   * keeps the target fast (fwdet_msg_decode covers the sending side) */
  pc.mode = SVRFWDET_MODE_ALWAYS_TRANSFORM;
  svrfwdet_path_new(ctx, NULL, &pc, NULL, 0);
  while (size >= 2) {
    size_t n = (size_t)data[0] << 8 | data[1];
    data += 2;
    size -= 2;
    if (n > size) {
      n = size;
    }
    svrfwdet_ctx_read_ip(ctx, data, n, ts);
    data += n;
    size -= n;
    ts += 300 * SVRFWDET_MILLISECONDS;
    svrfwdet_ctx_handle_expiry(ctx, ts);
    while (svrfwdet_ctx_write_pkt(ctx, &o, out, sizeof(out), ts) > 0) {
    }
  }
  svrfwdet_ctx_del(ctx);
  return 0;
}
