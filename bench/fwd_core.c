/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/fwd_core: packets per second through libsvrfwd's ingress (router A)
 * and egress (router B) with AES-256-GCM on an established UDP session (the
 * fast path: no metadata), for 64-byte and 1400-byte IP packets, and the
 * cost per crypto operation against AES-256-GCM done directly through EVP
 * in the same process on the same lengths.
 *
 * Each forwarded packet is sealed once (ingress) and opened once (egress).
 * The benchmark reads the lengths libsvrfwd really uses from a forwarded
 * packet: sealed_bytes (plaintext per seal: the UDP payload and the 2-byte
 * original checksum) and aad_bytes (the 12-byte fast-path prefix).  The
 * peers then do exactly that work per operation:
 *   evp      in this process: per packet one seal (nonce set, AAD, update,
 *            final, tag read) and one open (nonce set, tag set, AAD,
 *            update, final verified) of sealed_bytes with aad_bytes of
 *            AAD, each on a context keyed once, as libsvrfwd does.  The
 *            nonce is set the classic way, EVP_EncryptInit_ex(ctx, NULL,
 *            NULL, NULL, iv); libsvrfwd loads it through OpenSSL 3's TLS
 *            IV-generator parameters instead (libsvrfwd/src/crypto.c),
 *            which is cheaper, so fwd_minus_evp_ns_per_packet can be
 *            below zero: it is not the forwarding overhead.
 *   openssl  `openssl speed -evp aes-256-gcm -aead [-decrypt] -bytes
 *            sealed_bytes -seconds S` (popen): OpenSSL's own TLS-like AEAD
 *            sequence (13 bytes of AAD) on the same length, encrypt and
 *            decrypt; a second opinion from another process.
 * Printed per size: ns per packet through libsvrfwd, ns per seal and per
 * open for each peer, fwd_ns_per_crypto_op (half a packet) against
 * evp_ns_per_crypto_op (half a seal + open), their ratio, and the
 * difference per packet in ns.
 *
 * Times are CPU time of this process (openssl speed: user CPU time), so a
 * busy machine skews the ratio less.  Each measurement runs S seconds
 * (default 3); the four are interleaved in ROUNDS rounds (default 2) and
 * the best round of each is reported.
 *
 * Output: key=value lines.  Usage: fwd_core [S seconds] [rounds]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <svrfwd/svrfwd.h>

/*
 * CPU time of this process: `openssl speed` divides by user CPU time unless
 * given -elapsed, so we do the same and the ratio does not depend on how
 * busy the machine is.
 */
static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rs = 42;
static void brand(uint8_t *d, size_t n, void *u) {
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    d[i] = (uint8_t)(rs >> 56);
  }
}

static uint16_t cksum(const uint8_t *p, size_t n) {
  uint32_t s = 0;
  size_t i;
  for (i = 0; i + 1 < n; i += 2) {
    s += (uint32_t)(p[i] << 8 | p[i + 1]);
  }
  while (s >> 16) {
    s = (s & 0xffff) + (s >> 16);
  }
  return (uint16_t)~s;
}

/* IPv4/UDP packet of |len| bytes from a:sport to b:dport. */
static void build(uint8_t *ip, size_t len, const uint8_t *a, const uint8_t *b,
                  uint16_t sport, uint16_t dport) {
  uint16_t c;
  memset(ip, 0, len);
  ip[0] = 0x45;
  ip[2] = (uint8_t)(len >> 8);
  ip[3] = (uint8_t)len;
  ip[8] = 64;
  ip[9] = 17;
  memcpy(ip + 12, a, 4);
  memcpy(ip + 16, b, 4);
  c = cksum(ip, 20);
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
  ip[20] = (uint8_t)(sport >> 8);
  ip[21] = (uint8_t)sport;
  ip[22] = (uint8_t)(dport >> 8);
  ip[23] = (uint8_t)dport;
  ip[24] = (uint8_t)((len - 20) >> 8);
  ip[25] = (uint8_t)(len - 20);
  memset(ip + 28, 0xab, len - 28);
}

typedef struct bench {
  svrfwd_ctx *a, *b;
  svrfwd_peer *ab, *ba;
} bench;

static const uint8_t WA[4] = {203, 0, 113, 1}, WB[4] = {198, 51, 100, 2};
static const uint8_t CL[4] = {10, 0, 0, 5}, SV[4] = {10, 1, 0, 9};

static void setup(bench *bn) {
  svrfwd_callbacks cb;
  svrfwd_settings s;
  svrfwd_peer_config pc;
  uint8_t key[32];
  int i;
  for (i = 0; i < 32; i++) {
    key[i] = (uint8_t)i;
  }
  memset(&cb, 0, sizeof(cb));
  cb.rand = brand;
  svrfwd_settings_default(&s);
  s.max_sessions = 1024;
  if (svrfwd_ctx_new(&bn->a, &cb, &s, NULL, NULL) ||
      svrfwd_ctx_new(&bn->b, &cb, &s, NULL, NULL)) {
    exit(1);
  }
  svrfwd_peer_config_default(&pc);
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  memcpy(pc.local_waypoint.addr, WA, 4);
  memcpy(pc.remote_waypoint.addr, WB, 4);
  if (svrfwd_peer_add(bn->a, &bn->ab, &pc) ||
      svrfwd_peer_key_add(bn->ab, 1, key, 32, 1, 0)) {
    exit(1);
  }
  memcpy(pc.local_waypoint.addr, WB, 4);
  memcpy(pc.remote_waypoint.addr, WA, 4);
  if (svrfwd_peer_add(bn->b, &bn->ba, &pc) ||
      svrfwd_peer_key_add(bn->ba, 1, key, 32, 1, 0)) {
    exit(1);
  }
}

/* Runs the handshake for client port |cport| so the flow is on the fast path. */
static void handshake(bench *bn, uint8_t *mem, size_t cap, uint16_t cport) {
  svrfwd_buf b;
  svrfwd_route r = {bn->ab, "t", "s"};
  int k;
  for (k = 0; k < 2; k++) {
    b.base = mem;
    b.cap = cap;
    b.off = SVRFWD_HEADROOM;
    b.len = 100;
    build(mem + b.off, 100, CL, SV, cport, 9);
    if (svrfwd_ctx_ingress(bn->a, &b, k ? NULL : &r, NULL, 1) ||
        svrfwd_ctx_egress(bn->b, &b, NULL, 1)) {
      fprintf(stderr, "handshake failed\n");
      exit(1);
    }
    b.off = SVRFWD_HEADROOM;
    b.len = 100;
    build(mem + b.off, 100, SV, CL, 9, cport);
    if (svrfwd_ctx_ingress(bn->b, &b, NULL, NULL, 1) ||
        svrfwd_ctx_egress(bn->a, &b, NULL, 1)) {
      fprintf(stderr, "handshake (reverse) failed\n");
      exit(1);
    }
  }
}

/* Forwards one packet of |size| bytes and returns the length of the wire
 * packet between A and B (IPv4 + UDP + prefix + ciphertext + tag). */
static size_t wire_len(bench *bn, size_t size, uint16_t cport) {
  static uint8_t mem[SVRFWD_HEADROOM + 2048 + SVRFWD_TAILROOM];
  svrfwd_buf b;
  size_t wire;
  handshake(bn, mem, sizeof(mem), cport);
  b.base = mem;
  b.cap = sizeof(mem);
  b.off = SVRFWD_HEADROOM;
  b.len = size;
  build(mem + b.off, size, CL, SV, cport, 9);
  if (svrfwd_ctx_ingress(bn->a, &b, NULL, NULL, 2) != 0) {
    fprintf(stderr, "ingress failed\n");
    exit(1);
  }
  wire = b.len;
  if (svrfwd_ctx_egress(bn->b, &b, NULL, 2) != 0 || b.len != size) {
    fprintf(stderr, "egress failed\n");
    exit(1);
  }
  return wire;
}

/* ns per packet (ingress + egress) */
static double run_fwd(bench *bn, size_t size, double secs, uint16_t cport) {
  static uint8_t mem[SVRFWD_HEADROOM + 2048 + SVRFWD_TAILROOM];
  uint8_t tmpl[2048];
  svrfwd_buf b;
  uint64_t n = 0;
  double t0, t1;
  handshake(bn, mem, sizeof(mem), cport);
  build(tmpl, size, CL, SV, cport, 9);
  t0 = now_s();
  do {
    int i;
    for (i = 0; i < 4096; i++) {
      b.base = mem;
      b.cap = sizeof(mem);
      b.off = SVRFWD_HEADROOM;
      b.len = size;
      memcpy(mem + SVRFWD_HEADROOM, tmpl, size);
      if (svrfwd_ctx_ingress(bn->a, &b, NULL, NULL, 2) != 0 ||
          svrfwd_ctx_egress(bn->b, &b, NULL, 2) != 0) {
        fprintf(stderr, "packet dropped\n");
        exit(1);
      }
    }
    n += 4096;
    t1 = now_s();
  } while (t1 - t0 < secs);
  if (b.len != size || memcmp(mem + b.off, tmpl, size) != 0) {
    fprintf(stderr, "bytes differ after ingress+egress\n");
    exit(1);
  }
  return (t1 - t0) * 1e9 / (double)n;
}

/* The EVP peer: contexts keyed once, as libsvrfwd keeps them per session. */
typedef struct evp_peer {
  EVP_CIPHER_CTX *enc, *dec;
  uint8_t iv[12];
  uint8_t aad[12];
  uint8_t ct[2048], tag[16];
} evp_peer;

static void evp_init(evp_peer *e) {
  uint8_t key[32];
  int i;
  memset(e, 0, sizeof(*e));
  for (i = 0; i < 32; i++) {
    key[i] = (uint8_t)(i * 7);
  }
  e->enc = EVP_CIPHER_CTX_new();
  e->dec = EVP_CIPHER_CTX_new();
  if (!e->enc || !e->dec ||
      EVP_EncryptInit_ex(e->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
      EVP_DecryptInit_ex(e->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
    fprintf(stderr, "EVP init failed\n");
    exit(1);
  }
  memset(e->aad, 0x5a, sizeof(e->aad));
}

/* One AES-256-GCM seal of |len| bytes in place, nonce |seq|. */
static void evp_seal(evp_peer *e, uint8_t *buf, size_t len, uint32_t seq,
                     uint8_t tag[16]) {
  int n = 0, n2 = 0;
  e->iv[8] = (uint8_t)(seq >> 24);
  e->iv[9] = (uint8_t)(seq >> 16);
  e->iv[10] = (uint8_t)(seq >> 8);
  e->iv[11] = (uint8_t)seq;
  if (EVP_EncryptInit_ex(e->enc, NULL, NULL, NULL, e->iv) != 1 ||
      EVP_EncryptUpdate(e->enc, NULL, &n, e->aad, (int)sizeof(e->aad)) != 1 ||
      EVP_EncryptUpdate(e->enc, buf, &n, buf, (int)len) != 1 ||
      EVP_EncryptFinal_ex(e->enc, buf + n, &n2) != 1 ||
      EVP_CIPHER_CTX_ctrl(e->enc, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) {
    fprintf(stderr, "EVP seal failed\n");
    exit(1);
  }
}

/* One AES-256-GCM open of |len| bytes of e->ct into |out|; the tag must
 * verify. */
static void evp_open(evp_peer *e, uint8_t *out, size_t len, uint32_t seq) {
  int n = 0, n2 = 0;
  e->iv[8] = (uint8_t)(seq >> 24);
  e->iv[9] = (uint8_t)(seq >> 16);
  e->iv[10] = (uint8_t)(seq >> 8);
  e->iv[11] = (uint8_t)seq;
  if (EVP_DecryptInit_ex(e->dec, NULL, NULL, NULL, e->iv) != 1 ||
      EVP_CIPHER_CTX_ctrl(e->dec, EVP_CTRL_GCM_SET_TAG, 16, e->tag) != 1 ||
      EVP_DecryptUpdate(e->dec, NULL, &n, e->aad, (int)sizeof(e->aad)) != 1 ||
      EVP_DecryptUpdate(e->dec, out, &n, e->ct, (int)len) != 1 ||
      EVP_DecryptFinal_ex(e->dec, out + n, &n2) != 1) {
    fprintf(stderr, "EVP open failed (tag did not verify)\n");
    exit(1);
  }
}

/* ns per seal of |len| bytes */
static double run_evp_seal(evp_peer *e, size_t len, double secs) {
  uint8_t buf[2048], tag[16];
  uint64_t n = 0;
  double t0, t1;
  memset(buf, 0xab, sizeof(buf));
  t0 = now_s();
  do {
    uint32_t i;
    for (i = 0; i < 4096; i++) {
      evp_seal(e, buf, len, i, tag);
    }
    n += 4096;
    t1 = now_s();
  } while (t1 - t0 < secs);
  return (t1 - t0) * 1e9 / (double)n;
}

/* ns per open of |len| bytes (one sealed packet opened over and over: the
 * same nonce and tag each time, which is as much work as a fresh one) */
static double run_evp_open(evp_peer *e, size_t len, double secs) {
  uint8_t out[2048];
  uint64_t n = 0;
  double t0, t1;
  memset(e->ct, 0xab, len);
  evp_seal(e, e->ct, len, 7, e->tag);
  t0 = now_s();
  do {
    int i;
    for (i = 0; i < 4096; i++) {
      evp_open(e, out, len, 7);
    }
    n += 4096;
    t1 = now_s();
  } while (t1 - t0 < secs);
  return (t1 - t0) * 1e9 / (double)n;
}

/* openssl speed's AEAD sequence: ns per operation of |size| bytes, or 0. */
static double run_openssl(size_t size, int secs, int decrypt) {
  char cmd[200], line[512];
  double v = 0;
  FILE *f;
  snprintf(cmd, sizeof(cmd),
           "openssl speed -evp aes-256-gcm -aead%s -bytes %zu -seconds %d "
           "2>/dev/null",
           decrypt ? " -decrypt" : "", size, secs);
  f = popen(cmd, "r");
  if (!f) {
    return 0;
  }
  while (fgets(line, sizeof(line), f)) {
    /* result line: "AES-256-GCM   123456.78k" (1000s of bytes per second) */
    if (strncmp(line, "AES-256-GCM", 11) == 0 ||
        strncmp(line, "aes-256-gcm", 11) == 0) {
      char *last = strrchr(line, ' ');
      if (last) {
        v = strtod(last + 1, NULL) * 1000.0;
      }
    }
  }
  pclose(f);
  return v > 0 ? 1e9 * (double)size / v : 0;
}

static double best(double have, double v) {
  return v > 0 && (have == 0 || v < have) ? v : have;
}

int main(int argc, char **argv) {
  static const size_t sizes[] = {64, 1400};
  double secs = argc > 1 ? atof(argv[1]) : 3.0;
  int rounds = argc > 2 ? atoi(argv[2]) : 2;
  int osecs;
  bench bn;
  evp_peer ev;
  size_t i;
  if (argc > 3 || secs < 1 || rounds < 1) {
    fprintf(stderr, "usage: fwd_core [seconds >= 1] [rounds >= 1]\n");
    return 2;
  }
  osecs = (int)(secs + 0.5);
  setup(&bn);
  evp_init(&ev);
  printf("bench=fwd_core\ncipher=aes-256-gcm\npath=ingress+egress fast path, "
         "UDP/IPv4\nevp=same process, per packet one seal + one open of "
         "sealed_bytes with aad_bytes of AAD\nopenssl_cmd=openssl speed -evp "
         "aes-256-gcm -aead [-decrypt] -bytes sealed_bytes -seconds %d\n"
         "time_base=process CPU time (openssl speed: user CPU time)\n"
         "seconds_per_measurement=%.1f\nrounds=%d (interleaved, best of "
         "each)\n",
         osecs, secs, rounds);
  fflush(stdout);
  for (i = 0; i < 2; i++) {
    size_t sz = sizes[i];
    uint16_t cport = (uint16_t)(40000 + i);
    size_t wire = wire_len(&bn, sz, cport);
    size_t aad = 12, tag = 16, sealed;
    double fwd = 0, seal = 0, open = 0, oseal = 0, oopen = 0, pair;
    int round;
    if (wire < 28 + aad + tag || wire - 28 - aad - tag != sz - 26) {
      fprintf(stderr, "unexpected wire length %zu for %zu\n", wire, sz);
      return 1;
    }
    sealed = wire - 28 - aad - tag;
    for (round = 0; round < rounds; round++) {
      fwd = best(fwd, run_fwd(&bn, sz, secs, cport));
      seal = best(seal, run_evp_seal(&ev, sealed, secs));
      open = best(open, run_evp_open(&ev, sealed, secs));
      oseal = best(oseal, run_openssl(sealed, osecs, 0));
      oopen = best(oopen, run_openssl(sealed, osecs, 1));
    }
    pair = seal + open;
    printf("size=%zu wire_bytes=%zu sealed_bytes=%zu aad_bytes=%zu "
           "fwd_ns_per_packet=%.1f fwd_pps=%.0f fwd_gbps=%.3f "
           "evp_seal_ns=%.1f evp_open_ns=%.1f "
           "fwd_ns_per_crypto_op=%.1f evp_ns_per_crypto_op=%.1f "
           "ratio_fwd_vs_evp_per_crypto_op=%.3f fwd_minus_evp_ns_per_packet=%.1f",
           sz, wire, sealed, aad, fwd, 1e9 / fwd, 1e9 / fwd * (double)sz * 8 / 1e9,
           seal, open, fwd / 2, pair / 2, fwd / pair, fwd - pair);
    if (oseal > 0 && oopen > 0) {
      printf(" openssl_seal_ns=%.1f openssl_open_ns=%.1f "
             "ratio_fwd_vs_openssl_per_crypto_op=%.3f\n",
             oseal, oopen, fwd / (oseal + oopen));
    } else {
      printf(" openssl=not_run (no openssl binary or no result)\n");
    }
    fflush(stdout);
  }
  EVP_CIPHER_CTX_free(ev.enc);
  EVP_CIPHER_CTX_free(ev.dec);
  svrfwd_ctx_del(bn.a);
  svrfwd_ctx_del(bn.b);
  return 0;
}
