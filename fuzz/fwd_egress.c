/*
 * Fuzz target: arbitrary packets into libsvrfwd's egress side.
 *
 * Input: records of [length (2 bytes, big-endian)][IPv4 packet] plus a
 * final timestamp step; each packet is given to svrfwd_ctx_egress() of a
 * router B that has two peers: A1 (203.0.113.1, AES-256-GCM, key id 7 =
 * bytes 1..32) and A2 (203.0.113.5, no encryption).  Accepted packets are
 * then answered through ingress so that reverse paths run too.  The seed
 * corpus holds real outputs of A's ingress (first packets with metadata and
 * fast-path packets).
 *
 * Also fuzzed: time (each record advances the clock by 1-8 ms, or by 61 s
 * when its length is a multiple of 11, and due expiries run), and
 * allocation failure (for inputs whose size is a multiple of 5, the n-th
 * allocation after setup fails, n = size mod 23).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <svrfwd/svrfwd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rs;
static void frand(uint8_t *d, size_t n, void *u) {
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    d[i] = (uint8_t)(rs >> 56);
  }
}

static long allocs_left = -1; /* < 0: never fail */
static void *fmalloc(size_t n, void *u) {
  (void)u;
  if (allocs_left == 0) {
    return NULL;
  }
  if (allocs_left > 0) {
    allocs_left--;
  }
  return malloc(n);
}
static void ffree(void *p, void *u) {
  (void)u;
  free(p);
}
static void *fcalloc(size_t a, size_t n, void *u) {
  void *p = fmalloc(a * n, u);
  if (p) {
    memset(p, 0, a * n);
  }
  return p;
}
static void *frealloc(void *p, size_t n, void *u) {
  (void)u;
  return realloc(p, n);
}
static const svrfwd_mem fmem = {NULL, fmalloc, ffree, fcalloc, frealloc};

static svrfwd_ctx *make_b(void) {
  svrfwd_callbacks cb;
  svrfwd_settings s;
  svrfwd_peer_config pc;
  svrfwd_peer *p;
  svrfwd_ctx *ctx;
  uint8_t key[32];
  int i;
  for (i = 0; i < 32; i++) {
    key[i] = (uint8_t)(i + 1);
  }
  memset(&cb, 0, sizeof(cb));
  cb.rand = frand;
  svrfwd_settings_default(&s);
  s.max_sessions = 32;
  s.router_name = "router-b";
  if (svrfwd_ctx_new(&ctx, &cb, &s, &fmem, NULL) != 0) {
    abort();
  }
  svrfwd_peer_config_default(&pc);
  pc.waypoints.max_waypoints = 256; /* small allocator rings: fast inputs */
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  memcpy(pc.local_waypoint.addr, "\xc6\x33\x64\x02", 4);
  memcpy(pc.remote_waypoint.addr, "\xcb\x00\x71\x01", 4);
  if (svrfwd_peer_add(ctx, &p, &pc) != 0 ||
      svrfwd_peer_key_add(p, 7, key, 32, 1, 0) != 0) {
    abort();
  }
  pc.cipher = SVRFWD_CIPHER_NONE;
  memcpy(pc.remote_waypoint.addr, "\xcb\x00\x71\x05", 4);
  if (svrfwd_peer_add(ctx, &p, &pc) != 0) {
    abort();
  }
  return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t mem[1024 + 65536 + 64];
  svrfwd_ctx *ctx;
  svrfwd_tstamp ts = 1000000000ull;
  size_t off = 0;
  rs = 1;
  allocs_left = -1;
  ctx = make_b();
  if (size % 5 == 0) {
    allocs_left = (long)(size % 23);
  }
  while (off + 2 <= size) {
    size_t len = (size_t)data[off] << 8 | data[off + 1];
    svrfwd_buf b;
    svrfwd_session *s = NULL;
    int rv;
    off += 2;
    if (len > size - off) {
      len = size - off;
    }
    memcpy(mem + 1024, data + off, len);
    b.base = mem;
    b.cap = sizeof(mem);
    b.off = 1024;
    b.len = len;
    off += len;
    rv = svrfwd_ctx_egress(ctx, &b, &s, ts);
    if (rv == 0) {
      /* the result must still be a packet inside the buffer */
      if (b.off > b.cap || b.len > b.cap - b.off || s == NULL) {
        abort();
      }
      /* send something back on that session (reverse direction) */
      {
        svrfwd_session_info info;
        uint8_t *ip;
        svrfwd_session_get_info(s, &info);
        b.off = 1024;
        ip = mem + b.off;
        memset(ip, 0, 28);
        ip[0] = 0x45;
        ip[2] = 0;
        ip[3] = 31;
        ip[8] = 64;
        ip[9] = 17;
        memcpy(ip + 12, info.lan.src, 4);
        memcpy(ip + 16, info.lan.dst, 4);
        ip[20] = (uint8_t)(info.lan.sport >> 8);
        ip[21] = (uint8_t)info.lan.sport;
        ip[22] = (uint8_t)(info.lan.dport >> 8);
        ip[23] = (uint8_t)info.lan.dport;
        ip[25] = 11;
        b.len = 31;
        if (info.lan.proto == 17) {
          (void)svrfwd_ctx_ingress(ctx, &b, NULL, NULL, ts);
        }
      }
    } else if (rv > -300 || rv <= -300 - SVRFWD_NUM_DROP_REASONS) {
      if (rv != SVRFWD_ERR_NOBUF && rv != SVRFWD_ERR_NOMEM &&
          !svrfwd_err_is_fatal(rv)) {
        abort(); /* egress only reports drop reasons */
      }
    }
    ts += len % 11 == 0 ? 61000000000ull : 1000000ull * (1 + (len & 7));
    if (svrfwd_ctx_get_expiry(ctx) <= ts) {
      svrfwd_ctx_handle_expiry(ctx, ts);
    }
  }
  svrfwd_ctx_handle_expiry(ctx, ts + 3600ull * 1000000000ull);
  svrfwd_ctx_del(ctx);
  return 0;
}
