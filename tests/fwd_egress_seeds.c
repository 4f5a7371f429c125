/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes seed inputs for fuzz/fwd_egress.c: real outputs of router A's
 * ingress, as records of [length (2 bytes, big-endian)][IPv4 packet].
 * A has the same four paths as the fuzz target's router B (A1/A2 to
 * 198.51.100.2, A1'/A2' to 198.51.100.12; GCM paths with key id 7 = bytes
 * 1..32).  A second router B, set up like the fuzz target's, answers every
 * packet, so the handshakes complete and later records take the fast path;
 * every record is checked to be accepted by that B.
 *
 *   usage: fwd_egress_seeds DIR     (e.g. fuzz/corpus/fwd_egress)
 *
 * Seeds: gcm_icmp, none_icmp (ping), gcm_migrate, none_migrate (UDP, TCP
 * and ICMP sessions on the first path, then moved by A to the second path:
 * metadata on the new pair, B's answer there, fast path).  Record lengths
 * are never a multiple of 11 (the target would jump the clock by 61 s) and
 * file sizes never a multiple of 5 (it would fail allocations).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svrfwd/svrfwd.h>

static uint64_t rs = 99;
static void grand(uint8_t *d, size_t n, void *u) {
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    d[i] = (uint8_t)(rs >> 56);
  }
}

static const uint8_t client[4] = {10, 0, 0, 5}, server[4] = {10, 1, 0, 9};

typedef struct router {
  svrfwd_ctx *ctx;
  svrfwd_peer *p[4]; /* A1, A2, A1', A2' (or B's view of them) */
} router;

static void make(router *r, int is_a) {
  static const char *a_addr[4] = {"\xcb\x00\x71\x01", "\xcb\x00\x71\x05",
                                  "\xcb\x00\x71\x0b", "\xcb\x00\x71\x0f"};
  static const char *b_addr[4] = {"\xc6\x33\x64\x02", "\xc6\x33\x64\x02",
                                  "\xc6\x33\x64\x0c", "\xc6\x33\x64\x0c"};
  svrfwd_callbacks cb;
  svrfwd_settings s;
  svrfwd_peer_config pc;
  uint8_t key[32];
  int i;
  for (i = 0; i < 32; i++) {
    key[i] = (uint8_t)(i + 1);
  }
  memset(&cb, 0, sizeof(cb));
  cb.rand = grand;
  svrfwd_settings_default(&s);
  s.router_name = is_a ? "router-a" : "router-b";
  if (svrfwd_ctx_new(&r->ctx, &cb, &s, NULL, NULL) != 0) {
    exit(1);
  }
  for (i = 0; i < 4; i++) {
    svrfwd_peer_config_default(&pc);
    pc.waypoints.max_waypoints = 256;
    pc.cipher = (i & 1) ? SVRFWD_CIPHER_NONE : SVRFWD_CIPHER_AES256_GCM;
    pc.local_waypoint.family = pc.remote_waypoint.family = 4;
    memcpy(pc.local_waypoint.addr, is_a ? a_addr[i] : b_addr[i], 4);
    memcpy(pc.remote_waypoint.addr, is_a ? b_addr[i] : a_addr[i], 4);
    if (svrfwd_peer_add(r->ctx, &r->p[i], &pc) != 0 ||
        (pc.cipher != SVRFWD_CIPHER_NONE &&
         svrfwd_peer_key_add(r->p[i], 7, key, 32, 1, 0) != 0)) {
      exit(1);
    }
  }
}

typedef struct seed {
  uint8_t out[8192];
  size_t len;
  router a, b;
  svrfwd_tstamp ts;
} seed;

static uint16_t cksum(const uint8_t *p, size_t n) {
  uint32_t s = 0;
  size_t i;
  for (i = 0; i + 1 < n; i += 2) {
    s += (uint32_t)(p[i] << 8 | p[i + 1]);
  }
  if (n & 1) {
    s += (uint32_t)(p[n - 1] << 8);
  }
  while (s >> 16) {
    s = (s & 0xffff) + (s >> 16);
  }
  return (uint16_t)~s;
}

/* An IPv4 packet of |proto| (17, 6, or 1 = ICMP echo) from client to
 * server (dir 0) or back, with |plen| bytes of data, checksums right. */
static size_t build(uint8_t *ip, int dir, uint8_t proto, size_t plen,
                    uint8_t tcpflags) {
  size_t l4h = proto == 6 ? 20 : 8, len = 20 + l4h + plen, i;
  uint8_t ph[12];
  uint32_t s = 0;
  uint16_t c;
  memset(ip, 0, len);
  ip[0] = 0x45;
  ip[2] = (uint8_t)(len >> 8);
  ip[3] = (uint8_t)len;
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = proto;
  memcpy(ip + 12, dir ? server : client, 4);
  memcpy(ip + 16, dir ? client : server, 4);
  c = cksum(ip, 20);
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
  for (i = 0; i < plen; i++) {
    ip[20 + l4h + i] = (uint8_t)(i * 13 + proto);
  }
  if (proto == 1) {
    ip[20] = dir ? 0 : 8; /* echo reply / request */
    ip[25] = 42;          /* identifier */
    ip[27] = (uint8_t)plen;
    c = cksum(ip + 20, len - 20);
    ip[22] = (uint8_t)(c >> 8);
    ip[23] = (uint8_t)c;
    return len;
  }
  ip[20] = dir ? 0x01 : 0x9c; /* ports 443 <-> 40000 */
  ip[21] = dir ? 0xbb : 0x40;
  ip[22] = dir ? 0x9c : 0x01;
  ip[23] = dir ? 0x40 : 0xbb;
  if (proto == 17) {
    ip[24] = (uint8_t)((len - 20) >> 8);
    ip[25] = (uint8_t)(len - 20);
  } else {
    ip[27] = 1;
    ip[32] = 0x50;
    ip[33] = tcpflags;
    ip[34] = 0xff;
  }
  memcpy(ph, ip + 12, 8);
  ph[8] = 0;
  ph[9] = proto;
  ph[10] = (uint8_t)((len - 20) >> 8);
  ph[11] = (uint8_t)(len - 20);
  {
    size_t k;
    for (k = 0; k < 12; k += 2) {
      s += (uint32_t)(ph[k] << 8 | ph[k + 1]);
    }
  }
  for (i = 20; i + 1 < len; i += 2) {
    s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  }
  if (len & 1) {
    s += (uint32_t)(ip[len - 1] << 8);
  }
  while (s >> 16) {
    s = (s & 0xffff) + (s >> 16);
  }
  c = (uint16_t)~s;
  ip[20 + (proto == 6 ? 16 : 6)] = (uint8_t)(c >> 8);
  ip[20 + (proto == 6 ? 17 : 7)] = (uint8_t)c;
  return len;
}

/* A packet of the flow through A's ingress (recorded when dir 0) and the
 * other router's egress; returns A's session. */
static svrfwd_session *pkt(seed *sd, int path, int dir, uint8_t proto,
                           size_t plen, uint8_t flags) {
  static uint8_t mem[1024 + 4096];
  svrfwd_buf b;
  svrfwd_route r;
  svrfwd_session *s = NULL;
  size_t len;
  int rv;
  len = build(mem + 1024, dir, proto, plen, flags);
  b.base = mem;
  b.cap = sizeof(mem);
  b.off = 1024;
  b.len = len;
  r.peer = sd->a.p[path];
  r.tenant = "tenant-1";
  r.service = proto == 1 ? "ping" : "web";
  rv = svrfwd_ctx_ingress(dir ? sd->b.ctx : sd->a.ctx, &b, dir ? NULL : &r,
                          &s, sd->ts);
  if (rv != 0) {
    fprintf(stderr, "ingress: %s\n", svrfwd_strerror(rv));
    exit(1);
  }
  if (dir == 0) {
    if (b.len % 11 == 0 || sd->len + 2 + b.len > sizeof(sd->out)) {
      fprintf(stderr, "record length %zu (proto %u, %zu bytes of data)\n",
              b.len, proto, plen);
      exit(1);
    }
    sd->out[sd->len] = (uint8_t)(b.len >> 8);
    sd->out[sd->len + 1] = (uint8_t)b.len;
    memcpy(sd->out + sd->len + 2, mem + b.off, b.len);
    sd->len += 2 + b.len;
  }
  rv = svrfwd_ctx_egress(dir ? sd->a.ctx : sd->b.ctx, &b, dir ? &s : NULL,
                         sd->ts);
  if (rv != 0) {
    fprintf(stderr, "egress: %s\n", svrfwd_strerror(rv));
    exit(1);
  }
  sd->ts += 2000000;
  return s;
}

static void start(seed *sd) {
  memset(sd, 0, sizeof(*sd));
  make(&sd->a, 1);
  make(&sd->b, 0);
  sd->ts = 1000000000ull;
}

static void finish(seed *sd, const char *dir, const char *name) {
  char path[4096];
  FILE *f;
  if (sd->len % 5 == 0) {
    sd->out[sd->len++] = 0; /* a lone trailing byte is no record */
  }
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f || fwrite(sd->out, 1, sd->len, f) != sd->len || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
  svrfwd_ctx_del(sd->a.ctx);
  svrfwd_ctx_del(sd->b.ctx);
  printf("%s: %zu bytes\n", path, sd->len);
}

static void ping(const char *dir, int path, const char *name) {
  static seed sd;
  start(&sd);
  pkt(&sd, path, 0, 1, 56, 0);
  pkt(&sd, path, 1, 1, 56, 0);
  pkt(&sd, path, 0, 1, 57, 0);
  pkt(&sd, path, 1, 1, 57, 0);
  pkt(&sd, path, 0, 1, 58, 0);
  finish(&sd, dir, name);
}

static void migrate(const char *dir, int path, const char *name) {
  static seed sd;
  svrfwd_session *s[3];
  static const uint8_t protos[3] = {17, 6, 1};
  int i;
  start(&sd);
  s[0] = pkt(&sd, path, 0, 17, 20, 0);
  pkt(&sd, path, 1, 17, 30, 0);
  s[1] = pkt(&sd, path, 0, 6, 0, 0x02);
  pkt(&sd, path, 1, 6, 0, 0x12);
  pkt(&sd, path, 0, 6, 0, 0x10);
  s[2] = pkt(&sd, path, 0, 1, 25, 0);
  pkt(&sd, path, 1, 1, 25, 0);
  for (i = 0; i < 3; i++) {
    if (svrfwd_session_set_peer(s[i], sd.a.p[path + 2], sd.ts) != 0) {
      exit(1);
    }
  }
  for (i = 0; i < 3; i++) {
    pkt(&sd, path, 0, protos[i], 40, 0x18); /* metadata on path 2 */
    pkt(&sd, path, 1, protos[i], 41, 0x18); /* B answers there */
    pkt(&sd, path, 0, protos[i], 42, 0x18); /* fast path */
  }
  finish(&sd, dir, name);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  ping(argv[1], 0, "gcm_icmp");
  ping(argv[1], 1, "none_icmp");
  migrate(argv[1], 0, "gcm_migrate");
  migrate(argv[1], 1, "none_migrate");
  return 0;
}
