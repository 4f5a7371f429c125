/*
 * bench/fwd_core: packets per second through libsvrfwd's ingress (router A)
 * and egress (router B) with AES-256-GCM on an established UDP session (the
 * fast path: no metadata), for 64-byte and 1400-byte IP packets.
 *
 * Peers measured in the same run, for the same sizes:
 *   openssl  `openssl speed -evp aes-256-gcm -bytes N -seconds S` (popen);
 *            one AES-256-GCM encryption of N bytes per operation.
 *   evp      our own loop over EVP (set IV, encrypt N bytes, get tag), in
 *            case the openssl binary is missing.
 * One packet through ingress + egress costs one seal and one open, so 0.5
 * is the ceiling of ratio_openssl; ratio_per_crypto_op = 2 x that.
 *
 * Rates are per CPU second of this process (openssl speed's default divisor
 * is user CPU time too).
 *
 * The three are measured in 3 interleaved rounds per size and the best
 * round of each is reported.
 *
 * Output: key=value lines.  Usage: fwd_core [CPU seconds per size, default 3]
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
  return (double)n / (t1 - t0);
}

static double run_evp(size_t size, double secs) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  uint8_t key[32] = {0}, iv[12] = {0}, buf[2048], tag[16];
  uint64_t n = 0;
  double t0, t1;
  int l;
  EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, NULL);
  memset(buf, 0xab, sizeof(buf));
  t0 = now_s();
  do {
    int i;
    for (i = 0; i < 4096; i++) {
      iv[11] = (uint8_t)i;
      EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv);
      EVP_EncryptUpdate(c, buf, &l, buf, (int)size);
      EVP_EncryptFinal_ex(c, buf + l, &l);
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    }
    n += 4096;
    t1 = now_s();
  } while (t1 - t0 < secs);
  EVP_CIPHER_CTX_free(c);
  return (double)n / (t1 - t0);
}

/* openssl speed: returns operations per second of |size| bytes, or 0. */
static double run_openssl(size_t size, int secs) {
  char cmd[160], line[512];
  double v = 0;
  FILE *f;
  snprintf(cmd, sizeof(cmd),
           "openssl speed -evp aes-256-gcm -bytes %zu -seconds %d 2>/dev/null",
           size, secs);
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
  return v > 0 ? v / (double)size : 0;
}

#define ROUNDS 3

int main(int argc, char **argv) {
  static const size_t sizes[] = {64, 1400};
  double secs = argc > 1 ? atof(argv[1]) : 3.0;
  int osecs;
  bench bn;
  size_t i;
  if (secs <= 0) {
    secs = 3.0;
  }
  osecs = (int)(secs / ROUNDS + 0.5) > 0 ? (int)(secs / ROUNDS + 0.5) : 1;
  setup(&bn);
  printf("bench=fwd_core\ncipher=aes-256-gcm\npath=ingress+egress fast path, "
         "UDP/IPv4\nopenssl_cmd=openssl speed -evp aes-256-gcm -bytes N "
         "-seconds %d\ntime_base=process CPU time (openssl speed: user CPU "
         "time)\nrounds=%d (interleaved, best of each)\n",
         osecs, ROUNDS);
  for (i = 0; i < 2; i++) {
    size_t sz = sizes[i];
    double pps = 0, evp = 0, ossl = 0;
    int round;
    /* ROUNDS interleaved rounds, best of each: the machine is shared, and
     * this way all three see the same conditions */
    for (round = 0; round < ROUNDS; round++) {
      double v = run_fwd(&bn, sz, secs / ROUNDS, (uint16_t)(40000 + i));
      if (v > pps) {
        pps = v;
      }
      v = run_evp(sz, secs / ROUNDS);
      if (v > evp) {
        evp = v;
      }
      v = run_openssl(sz, osecs);
      if (v > ossl) {
        ossl = v;
      }
    }
    printf("size=%zu fwd_pps=%.0f fwd_gbps=%.3f evp_ops=%.0f evp_gbps=%.3f "
           "openssl_ops=%.0f openssl_gbps=%.3f ratio_openssl=%.3f "
           "ratio_per_crypto_op=%.3f ratio_evp=%.3f\n",
           sz, pps, pps * (double)sz * 8 / 1e9, evp,
           evp * (double)sz * 8 / 1e9, ossl, ossl * (double)sz * 8 / 1e9,
           ossl > 0 ? pps / ossl : 0, ossl > 0 ? 2 * pps / ossl : 0,
           pps / evp);
    fflush(stdout);
  }
  svrfwd_ctx_del(bn.a);
  svrfwd_ctx_del(bn.b);
  return 0;
}
