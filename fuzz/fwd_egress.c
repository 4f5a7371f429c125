/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: arbitrary packets into libsvrfwd's egress side.
 *
 * Input: records of [length (2 bytes, big-endian)][IPv4 packet] plus a
 * final timestamp step; each packet is given to svrfwd_ctx_egress() of a
 * router B (198.51.100.2 and, on a second path, 198.51.100.12) that has
 * four peer paths to one router A:
 *   A1  203.0.113.1  - 198.51.100.2   AES-256-GCM, key id 7 = bytes 1..32
 *   A2  203.0.113.5  - 198.51.100.2   no encryption
 *   A1' 203.0.113.11 - 198.51.100.12  AES-256-GCM, the same key (A1's
 *                                     second path)
 *   A2' 203.0.113.15 - 198.51.100.12  no encryption (A2's second path)
 * Accepted packets are answered through ingress (a UDP datagram, an ICMP
 * echo reply or a TCP segment, by the session's protocol) so reverse paths
 * run too; some sessions are moved by B to the other path of their cipher
 * first (svrfwd_session_set_peer), and metadata from A on the second path
 * moves sessions the other way (migration).  The seed corpus holds real
 * outputs of A's ingress (first packets with metadata, fast-path packets,
 * ICMP echo, sessions moved to the second path), made by
 * tests/fwd_egress_seeds.c.
 *
 * Also fuzzed: time (each record advances the clock by 1-8 ms, or by 61 s
 * when its length is a multiple of 11, and due expiries run), allocation
 * failure (for inputs whose size is a multiple of 5, the n-th allocation
 * after setup fails, n = size mod 23), and the path MTU of B's paths (for
 * inputs whose size is a multiple of 3: 576 + size mod 1000), so answers
 * run the MSS clamp and the DF check, and a refused answer gets its ICMP
 * "fragmentation needed" built.
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

/* B's paths: [0] A1, [1] A2, [2] A1', [3] A2'; i ^ 2 is the other path of
 * the same cipher. */
static svrfwd_peer *paths[4];

static svrfwd_ctx *make_b(uint32_t mtu) {
  static const struct {
    const char *local, *remote;
    svrfwd_cipher c;
  } cf[4] = {
      {"\xc6\x33\x64\x02", "\xcb\x00\x71\x01", SVRFWD_CIPHER_AES256_GCM},
      {"\xc6\x33\x64\x02", "\xcb\x00\x71\x05", SVRFWD_CIPHER_NONE},
      {"\xc6\x33\x64\x0c", "\xcb\x00\x71\x0b", SVRFWD_CIPHER_AES256_GCM},
      {"\xc6\x33\x64\x0c", "\xcb\x00\x71\x0f", SVRFWD_CIPHER_NONE}};
  svrfwd_callbacks cb;
  svrfwd_settings s;
  svrfwd_peer_config pc;
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
  for (i = 0; i < 4; i++) {
    svrfwd_peer_config_default(&pc);
    pc.waypoints.max_waypoints = 256; /* small allocator rings: fast inputs */
    pc.cipher = cf[i].c;
    pc.local_waypoint.family = pc.remote_waypoint.family = 4;
    memcpy(pc.local_waypoint.addr, cf[i].local, 4);
    memcpy(pc.remote_waypoint.addr, cf[i].remote, 4);
    if (svrfwd_peer_add(ctx, &paths[i], &pc) != 0 ||
        (pc.cipher != SVRFWD_CIPHER_NONE &&
         svrfwd_peer_key_add(paths[i], 7, key, 32, 1, 0) != 0) ||
        svrfwd_peer_set_path_mtu(paths[i], mtu) != 0) {
      abort();
    }
  }
  return ctx;
}

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* Answers on session |s| through ingress: a packet of the session's
 * protocol from the server side, |len| bytes long (at least the headers),
 * with DF; a TCP answer is a SYN-ACK with an MSS option when |syn|. */
static void answer(svrfwd_ctx *ctx, svrfwd_session *s, size_t len, int syn,
                   svrfwd_tstamp ts) {
  static uint8_t mem[1024 + 2048 + 64];
  svrfwd_session_info info;
  svrfwd_session *rs_ = NULL;
  svrfwd_buf b;
  uint8_t *ip = mem + 1024, icmp[128];
  size_t l4h;
  int rv;
  svrfwd_session_get_info(s, &info);
  if (info.lan.family != 4) {
    return;
  }
  l4h = info.lan.proto == 6 ? 24 : 8;
  if (len < 20 + l4h) {
    len = 20 + l4h;
  }
  if (len > 2048) {
    len = 2048;
  }
  memset(ip, 0, len);
  ip[0] = 0x45;
  put16(ip + 2, (unsigned)len);
  ip[6] = 0x40; /* DF */
  ip[8] = 64;
  ip[9] = info.lan.proto;
  memcpy(ip + 12, info.lan.src, 4);
  memcpy(ip + 16, info.lan.dst, 4);
  if (info.lan.proto == 1) {
    ip[20] = 0; /* echo reply */
    put16(ip + 24, info.lan.sport);
  } else {
    put16(ip + 20, info.lan.sport);
    put16(ip + 22, info.lan.dport);
    if (info.lan.proto == 17) {
      put16(ip + 24, (unsigned)(len - 20));
    } else {
      ip[32] = 0x60; /* 24-byte header: one option */
      ip[33] = syn ? 0x12 : 0x10;
      ip[40] = 2; /* MSS 1460 */
      ip[41] = 4;
      put16(ip + 42, 1460);
    }
  }
  b.base = mem;
  b.cap = sizeof(mem);
  b.off = 1024;
  b.len = len;
  rv = svrfwd_ctx_ingress(ctx, &b, NULL, &rs_, ts);
  if (rv == SVRFWD_ERR_PKT_PATH_MTU) {
    svrfwd_ssize n;
    if (rs_ != s || b.off != 1024 || b.len != len) {
      abort(); /* the buffer must be untouched */
    }
    n = svrfwd_session_frag_needed(s, mem + b.off, b.len,
                                   (const uint8_t *)"\xc0\x00\x02\x01", icmp,
                                   sizeof(icmp));
    if (n != 56) {
      abort(); /* header 20 + ICMP 8 + quoted 20 + 8 */
    }
  } else if (rv == 0 && (b.off > b.cap || b.len > b.cap - b.off)) {
    abort();
  }
}

static int count_cb(svrfwd_session *s, void *ud) {
  svrfwd_session_info info;
  svrfwd_session_get_info(s, &info);
  (*(size_t *)ud)++;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t mem[1024 + 65536 + 64];
  svrfwd_ctx *ctx;
  svrfwd_ctx_stats st;
  svrfwd_tstamp ts = 1000000000ull;
  size_t off = 0, n = 0;
  rs = 1;
  allocs_left = -1;
  ctx = make_b(size % 3 == 0 ? (uint32_t)(576 + size % 1000) : 0);
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
      if (len % 7 == 3) {
        /* B moves the session to the other path of its cipher */
        svrfwd_session_info info;
        int i;
        svrfwd_session_get_info(s, &info);
        for (i = 0; i < 4; i++) {
          if (paths[i] == info.peer) {
            (void)svrfwd_session_set_peer(s, paths[i ^ 2], ts);
          }
        }
      }
      /* send something back on that session (reverse direction) */
      answer(ctx, s, len % 4 == 0 ? b.len : 31, len % 3 == 0, ts);
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
  svrfwd_ctx_get_stats(ctx, &st);
  if (svrfwd_ctx_session_foreach(ctx, count_cb, &n) != 0 ||
      n != st.sessions) {
    abort();
  }
  svrfwd_ctx_handle_expiry(ctx, ts + 3600ull * 1000000000ull);
  svrfwd_ctx_del(ctx);
  return 0;
}
