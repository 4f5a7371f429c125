/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: one libsvrbfd context driven by a fuzzed script of received
 * packets, fuzzed timestamps (monotonic, with jumps), API calls and
 * allocation failures.  The harness can patch Your Discriminator and sign
 * packets with the session key so that the fuzzer gets past demux and
 * authentication into the state machine.
 *
 * Input: cfg byte, alloc-failure byte, then records
 *   op (low 3 bits = kind, high bits = flags), dt (2 bytes), kind data.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_int.h"
#include "svr_endian.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fz {
  const uint8_t *p;
  size_t n;
  uint64_t rng;
  long allocs_left; /* < 0: never fail */
} fz;

static int fz_u8(fz *f, uint8_t *v) {
  if (f->n < 1) {
    return -1;
  }
  *v = f->p[0];
  f->p++;
  f->n--;
  return 0;
}

static int fz_u16(fz *f, uint16_t *v) {
  if (f->n < 2) {
    return -1;
  }
  *v = svr_get_be16(f->p);
  f->p += 2;
  f->n -= 2;
  return 0;
}

static int fz_u32(fz *f, uint32_t *v) {
  if (f->n < 4) {
    return -1;
  }
  *v = svr_get_be32(f->p);
  f->p += 4;
  f->n -= 4;
  return 0;
}

static void fz_rand(uint8_t *d, size_t n, void *u) {
  fz *f = u;
  size_t i;
  for (i = 0; i < n; i++) {
    f->rng = f->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    d[i] = (uint8_t)(f->rng >> 56);
  }
}

static int fz_allow(fz *f) {
  if (f->allocs_left < 0) {
    return 1;
  }
  if (f->allocs_left == 0) {
    return 0;
  }
  f->allocs_left--;
  return 1;
}
static void *fz_malloc(size_t n, void *u) {
  return fz_allow(u) ? malloc(n) : NULL;
}
static void fz_free(void *p, void *u) {
  (void)u;
  free(p);
}
static void *fz_calloc(size_t a, size_t b, void *u) {
  return fz_allow(u) ? calloc(a, b) : NULL;
}
static void *fz_realloc(void *p, size_t n, void *u) {
  return fz_allow(u) ? realloc(p, n) : NULL;
}

static const svrbfd_auth_type fz_types[8] = {
    SVRBFD_AUTH_NONE,          SVRBFD_AUTH_SIMPLE,
    SVRBFD_AUTH_KEYED_MD5,     SVRBFD_AUTH_METICULOUS_KEYED_MD5,
    SVRBFD_AUTH_KEYED_SHA1,    SVRBFD_AUTH_METICULOUS_KEYED_SHA1,
    SVRBFD_AUTH_HMAC_SHA256,   SVRBFD_AUTH_NONE};

static void fz_cfg(svrbfd_session_config *cfg, uint8_t c, int second) {
  svrbfd_session_config_default(cfg);
  cfg->local.family = 4;
  cfg->local.addr[0] = 10;
  cfg->local.addr[3] = 1;
  cfg->remote.family = 4;
  cfg->remote.addr[0] = 10;
  cfg->remote.addr[3] = (uint8_t)(2 + second);
  cfg->auth.type = fz_types[c & 7];
  cfg->auth.key_id = 1;
  cfg->auth.key_len = 6;
  memcpy(cfg->auth.key, "secret", 6);
  cfg->mode = (c & 8) ? SVRBFD_MODE_RFC5881 : SVRBFD_MODE_SVR;
  if (c & 0x80) { /* multihop; with bit 3 a TTL floor that drops 254 */
    cfg->mode = SVRBFD_MODE_RFC5883;
    cfg->min_rx_ttl = (c & 8) ? 255 : 0;
  }
  cfg->demand = (c >> 4) & 1;
  cfg->passive = (uint8_t)(second ? 0 : (c >> 5) & 1);
  cfg->damping = (c >> 6) & 1;
  cfg->hold_down_ns = (c & 0x40) ? SVRBFD_SECONDS : 5 * SVRBFD_SECONDS;
}

static void fz_check(const svrbfd_ctx *ctx) {
  svrbfd_ctx_stats st;
  svrbfd_ctx_get_stats(ctx, &st);
  assert(st.sessions_up <= st.sessions);
  assert(st.rx_accepted <= st.rx_packets);
}

static void fz_drain(svrbfd_ctx *ctx, uint64_t ts) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path;
  svrbfd_ssize n;
  int guard = 0;
  while ((n = svrbfd_ctx_write_pkt(ctx, &path, buf, sizeof(buf), ts)) > 0) {
    svrbfd_pkt p;
    assert(svrbfd_pkt_decode(&p, buf, (size_t)n) == 0);
    assert(path.ttl == 255);
    assert(!(p.poll && p.final));
    assert(++guard < 64);
  }
  assert(n == 0 || svrbfd_err_is_fatal((int)n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz f;
  svrbfd_ctx *ctx = NULL;
  svrbfd_session *s[2] = {NULL, NULL};
  svrbfd_session_config cfg[2];
  svrbfd_callbacks cb;
  svrbfd_mem mem;
  uint8_t c, af, op;
  uint64_t ts = SVRBFD_SECONDS;
  int i, admin = 0;

  f.p = data;
  f.n = size;
  f.rng = 1;
  if (fz_u8(&f, &c) || fz_u8(&f, &af)) {
    return 0;
  }
  f.allocs_left = af ? (long)(af & 15) : -1;
  memset(&cb, 0, sizeof(cb));
  cb.rand = fz_rand;
  mem.user_data = &f;
  mem.malloc = fz_malloc;
  mem.free = fz_free;
  mem.calloc = fz_calloc;
  mem.realloc = fz_realloc;
  if (svrbfd_ctx_new(&ctx, &cb, NULL, &mem, &f) != 0) {
    return 0;
  }
  for (i = 0; i < ((c & 0x80) ? 2 : 1); i++) {
    fz_cfg(&cfg[i], c, i);
    (void)svrbfd_session_new(ctx, &s[i], &cfg[i], NULL, ts);
  }
  f.allocs_left = -1;
  while (fz_u8(&f, &op) == 0) {
    uint16_t dt;
    int which = (op >> 7) & 1;
    if (fz_u16(&f, &dt)) {
      break;
    }
    /* unit: microseconds, or milliseconds with flag 0x08 */
    ts += (uint64_t)dt * ((op & 0x08) ? SVRBFD_MILLISECONDS : 1000u);
    switch (op & 7) {
    case 0: { /* a received datagram */
      uint8_t len, buf[256];
      svrbfd_path path;
      if (fz_u8(&f, &len) || f.n < len) {
        goto out;
      }
      memcpy(buf, f.p, len);
      f.p += len;
      f.n -= len;
      memset(&path, 0, sizeof(path));
      path.local = cfg[0].local;
      path.local.port = 1280;
      path.remote = cfg[which].remote;
      path.remote.port = (op & 0x20) ? 40001 : 40000;
      path.ttl = (op & 0x40) ? 254 : 255;
      if ((op & 0x10) && s[which] && len >= 12) {
        svrbfd_session_info info;
        svrbfd_session_get_info(s[which], &info);
        svr_put_be32(buf + 8, info.local_discr);
      }
      if ((op & 0x20) && s[which] && cfg[which].auth.type != SVRBFD_AUTH_NONE) {
        size_t alen = svrbfd__auth_section_len(&cfg[which].auth);
        if (len >= SVRBFD_MIN_PKT_LEN + alen) {
          uint32_t seq = len >= 32 ? svr_get_be32(buf + 28) : 0;
          buf[1] |= 0x04;
          buf[3] = (uint8_t)(SVRBFD_MIN_PKT_LEN + alen);
          (void)svrbfd__auth_sign(NULL, &cfg[which].auth, seq, buf,
                                  SVRBFD_MIN_PKT_LEN + alen);
        }
      }
      {
        int rv = svrbfd_ctx_read_pkt(ctx, &path, buf, len, ts);
        /* svrbfd.h: a BFD packet gives a SVRBFD_ERR_PKT_* code, an SVR
         * control datagram (cookie) a SVRBFD_PQ_ERR_PKT_* one */
        assert(rv == 0 ||
               (rv <= SVRBFD_ERR_PKT_SHORT && rv >= SVRBFD_ERR_PKT_ADMIN_DOWN) ||
               (rv <= SVRBFD_PQ_ERR_PKT_SHORT && rv >= SVRBFD_PQ_ERR_PKT_RTT));
      }
      break;
    }
    case 1:
      assert(svrbfd_ctx_handle_expiry(ctx, ts) == 0);
      assert(svrbfd_ctx_get_expiry(ctx) > ts ||
             svrbfd_ctx_get_expiry(ctx) == 0); /* 0: packets ready */
      break;
    case 2:
      fz_drain(ctx, ts);
      break;
    case 3: { /* new timers */
      uint32_t tx, rx;
      uint8_t mult;
      if (fz_u32(&f, &tx) || fz_u32(&f, &rx) || fz_u8(&f, &mult)) {
        goto out;
      }
      if (s[which]) {
        (void)svrbfd_session_set_timers(s[which], tx, rx, mult, ts);
      }
      break;
    }
    case 4:
      if (s[which]) {
        admin = !admin;
        assert(svrbfd_session_set_admin_down(s[which], admin, ts) == 0);
      }
      break;
    case 5:
      if (s[which]) {
        assert(svrbfd_session_poll(s[which], ts) == 0);
      }
      break;
    case 6: /* delete and recreate */
      svrbfd_session_del(s[which]);
      s[which] = NULL;
      (void)svrbfd_session_new(ctx, &s[which], &cfg[which], NULL, ts);
      break;
    default: {
      svrbfd_session *it;
      svrbfd_session_info info;
      for (it = svrbfd_ctx_next_session(ctx, NULL); it;
           it = svrbfd_ctx_next_session(ctx, it)) {
        svrbfd_session_get_info(it, &info);
        assert(info.state <= SVRBFD_STATE_UP);
        assert(!info.up || info.state == SVRBFD_STATE_UP);
      }
      break;
    }
    }
    fz_check(ctx);
    if (ts > (UINT64_C(1) << 62)) {
      break;
    }
  }
out:
  /* let every timer run once more */
  ts += 3600 * SVRBFD_SECONDS;
  assert(svrbfd_ctx_handle_expiry(ctx, ts) == 0);
  fz_drain(ctx, ts);
  fz_check(ctx);
  svrbfd_ctx_del(ctx);
  return 0;
}
