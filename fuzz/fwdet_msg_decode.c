/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the firewall-detector control datagram decoder, and the
 * context's read path for it (a request creates a responder record, a
 * report is matched against an outstanding burst).  The first byte picks
 * the path: even = decoder only, odd = also through a context whose path
 * has a burst outstanding, so reports for it can change its decision.  Its
 * high nibble N > 0 makes the context's allocator fail from the Nth
 * allocation on (allocation failures must be clean errors, never leaks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <svrfwdet/svrfwdet.h>

static void frand(uint8_t *d, size_t n, void *u) {
  (void)u;
  memset(d, 0x11, n); /* path id 0x11111111 */
}

static int alloc_left; /* allocations that still succeed; -1 = all */

static void *fmalloc(size_t n, void *u) {
  (void)u;
  if (alloc_left == 0) {
    return NULL;
  }
  if (alloc_left > 0) {
    alloc_left--;
  }
  return malloc(n);
}
static void ffree(void *p, void *u) {
  (void)u;
  free(p);
}
static void *fcalloc(size_t a, size_t b, void *u) {
  void *p = fmalloc(a * b, u);
  if (p) {
    memset(p, 0, a * b);
  }
  return p;
}
static void *frealloc(void *p, size_t n, void *u) {
  (void)u;
  if (alloc_left == 0) {
    return NULL;
  }
  return realloc(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  svrfwdet_msg m;
  uint8_t out[SVRFWDET_MAX_PKT_LEN];
  int rv;
  if (size < 1) {
    return 0;
  }
  rv = svrfwdet_msg_decode(&m, data + 1, size - 1);
  if (rv == 0) {
    /* what decodes must re-encode to something that decodes the same */
    svrfwdet_msg m2;
    char rn[SVRFWDET_NAME_MAX], nn[SVRFWDET_NAME_MAX];
    svrfwdet_ssize n;
    memcpy(rn, m.router_name, m.router_name_len);
    rn[m.router_name_len] = '\0';
    memcpy(nn, m.node_name, m.node_name_len);
    nn[m.node_name_len] = '\0';
    m.router_name = rn;
    m.node_name = nn;
    n = svrfwdet_msg_encode(out, sizeof(out), &m);
    if (n <= 0 || svrfwdet_msg_decode(&m2, out, (size_t)n) != 0 ||
        m2.path_id != m.path_id || m2.burst != m.burst ||
        m2.kinds != m.kinds || m2.op != m.op) {
      __builtin_trap();
    }
  } else if (rv > -300 || rv < -310) {
    __builtin_trap(); /* decoder errors are -300..-310 only */
  }
  if (data[0] & 1) {
    svrfwdet_ctx *ctx;
    svrfwdet_callbacks cb;
    svrfwdet_settings st;
    svrfwdet_path_config pc;
    svrfwdet_out o;
    svrfwdet_addr a, b;
    svrfwdet_mem mem = {NULL, fmalloc, ffree, fcalloc, frealloc};
    alloc_left = (data[0] >> 4) ? (data[0] >> 4) - 1 : -1;
    memset(&cb, 0, sizeof(cb));
    cb.rand = frand;
    svrfwdet_settings_default(&st);
    if (svrfwdet_ctx_new(&ctx, &cb, &st, &mem, NULL) != 0) {
      return 0;
    }
    memset(&a, 0, sizeof(a));
    a.family = 4;
    a.addr[0] = 10;
    a.addr[3] = 1;
    b = a;
    b.addr[3] = 2;
    svrfwdet_path_config_default(&pc);
    pc.local = a;
    pc.remote = b;
    pc.detect_interval_s = 1;
    svrfwdet_path_new(ctx, NULL, &pc, NULL, 0);
    svrfwdet_ctx_handle_expiry(ctx, 0);
    while (svrfwdet_ctx_write_pkt(ctx, &o, out, sizeof(out), 0) > 0) {
    }
    svrfwdet_ctx_read_ctrl(ctx, &b, &a, data + 1, size - 1, 1);
    svrfwdet_ctx_handle_expiry(ctx, 2 * SVRFWDET_SECONDS);
    while (svrfwdet_ctx_write_pkt(ctx, &o, out, sizeof(out),
                                  2 * SVRFWDET_SECONDS) > 0) {
    }
    svrfwdet_ctx_del(ctx);
  }
  return 0;
}
