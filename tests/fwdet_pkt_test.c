/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwdet probe builders, fragmenter and parser.  Checksums are checked
 * with an independent implementation written here (32-bit word sums, no
 * shared code with common/svr_cksum.h) against RFC 1071's example and the
 * SYN+"hello" vector of reference/rfc-algorithms.md 4.4.
 *
 * With "--pcap FILE" the program instead writes every probe and fragment
 * (IPv4 and IPv6) to FILE as a LINKTYPE_RAW pcap for tshark
 * (tests/fwdet_tshark.sh) and exits.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svrfwdet/svrfwdet.h>

#include "svr_test.h"

/* ---- independent checksum -------------------------------------------- */

/* Sums |len| bytes as big-endian 16-bit words into a 64-bit accumulator,
 * reading byte by byte (different shape from the library's loop). */
static uint64_t ref_sum(uint64_t acc, const uint8_t *p, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    acc += (i % 2 == 0) ? (uint64_t)p[i] * 256u : (uint64_t)p[i];
  }
  return acc;
}

static uint16_t ref_fold(uint64_t acc) {
  while (acc > 0xffff) {
    acc = (acc >> 16) + (acc & 0xffff);
  }
  return (uint16_t)acc;
}

/* Verifies the TCP checksum of a whole IPv4/IPv6 datagram: the sum over
 * pseudo-header + segment must fold to 0xffff. */
static int ref_tcp_ok(const uint8_t *d, size_t len) {
  uint64_t acc = 0;
  uint8_t ph[8];
  size_t hl, tl;
  if ((d[0] >> 4) == 4) {
    hl = (size_t)(d[0] & 15) * 4;
    tl = len - hl;
    acc = ref_sum(acc, d + 12, 8);
    ph[0] = 0;
    ph[1] = 6;
    ph[2] = (uint8_t)(tl >> 8);
    ph[3] = (uint8_t)tl;
    acc = ref_sum(acc, ph, 4);
  } else {
    hl = 40;
    tl = len - hl;
    acc = ref_sum(acc, d + 8, 32);
    memset(ph, 0, 8);
    ph[2] = (uint8_t)(tl >> 8);
    ph[3] = (uint8_t)tl;
    ph[7] = 6;
    acc = ref_sum(acc, ph, 8);
  }
  acc = ref_sum(acc, d + hl, tl);
  return ref_fold(acc) == 0xffff;
}

static int ref_ip4_ok(const uint8_t *d) {
  return ref_fold(ref_sum(0, d, 20)) == 0xffff;
}

static void test_ref_cksum_vectors(void) {
  uint8_t b[64], ip[20], tcp[32];
  int n, ni, nt;
  uint64_t acc;
  uint8_t ph[4];
  /* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 -> sum ddf2, cksum 220d */
  n = svr_test_unhex(b, sizeof(b), "0001f203f4f5f6f7");
  CU_ASSERT_EQUAL(n, 8);
  CU_ASSERT_EQUAL(ref_fold(ref_sum(0, b, 8)), 0xddf2);
  CU_ASSERT_EQUAL((uint16_t)~ref_fold(ref_sum(0, b, 8)), 0x220d);
  /* digest 4.4 SYN+"hello" vector */
  ni = svr_test_unhex(ip, sizeof(ip), "4500002d1234400040063c60c0000201c6336402");
  nt = svr_test_unhex(tcp, sizeof(tcp),
                      "9c40005000000001000000005002ffffe342000068656c6c6f");
  CU_ASSERT_EQUAL(ni, 20);
  CU_ASSERT_EQUAL(nt, 25);
  CU_ASSERT(ref_ip4_ok(ip));
  acc = ref_sum(0, ip + 12, 8);
  ph[0] = 0;
  ph[1] = 6;
  ph[2] = 0;
  ph[3] = 25;
  acc = ref_sum(acc, ph, 4);
  acc = ref_sum(acc, tcp, 25);
  CU_ASSERT_EQUAL(ref_fold(acc), 0xffff);
  /* and the checker notices a flipped bit */
  tcp[24] ^= 1;
  acc = ref_sum(ref_sum(ref_sum(0, ip + 12, 8), ph, 4), tcp, 25);
  CU_ASSERT_NOT_EQUAL(ref_fold(acc), 0xffff);
}

/* ---- builders -------------------------------------------------------- */

static void mk_probe(svrfwdet_probe *p, svrfwdet_kind kind, int family) {
  memset(p, 0, sizeof(*p));
  p->kind = kind;
  p->src.family = p->dst.family = (uint8_t)family;
  if (family == 4) {
    /* the digest's addresses: 192.0.2.1 -> 198.51.100.2 */
    p->src.addr[0] = 192, p->src.addr[1] = 0, p->src.addr[2] = 2,
    p->src.addr[3] = 1;
    p->dst.addr[0] = 198, p->dst.addr[1] = 51, p->dst.addr[2] = 100,
    p->dst.addr[3] = 2;
  } else {
    p->src.addr[0] = 0x20, p->src.addr[1] = 0x01, p->src.addr[2] = 0x0d,
    p->src.addr[3] = 0xb8, p->src.addr[15] = 1;
    p->dst.addr[0] = 0x20, p->dst.addr[1] = 0x01, p->dst.addr[2] = 0x0d,
    p->dst.addr[3] = 0xb8, p->dst.addr[15] = 2;
  }
  p->src.port = 40000;
  p->dst.port = kind == SVRFWDET_KIND_SYN || kind == SVRFWDET_KIND_OOO
                    ? SVRFWDET_PORT_B
                    : SVRFWDET_PORT_A;
  p->seq = 0x01020304u + (uint32_t)kind;
  p->ack = 0x0a0b0c0du;
  p->path_id = 0xdeadbeefu;
  p->burst = 7;
  p->ip_id = 0x1234;
}

static uint8_t big[16384];

static void test_probe_layouts_v4(void) {
  static const size_t want_len[4] = {140, 140, 6556, 140};
  static const uint8_t want_flags[4] = {0x02, 0x18, 0x02, 0x18};
  int k;
  for (k = 0; k < 4; k++) {
    svrfwdet_probe p;
    svrfwdet_probe_info info;
    svrfwdet_ssize n;
    mk_probe(&p, (svrfwdet_kind)k, 4);
    n = svrfwdet_probe_encode(big, sizeof(big), &p);
    CU_ASSERT_EQUAL((size_t)n, want_len[k]);
    CU_ASSERT_EQUAL(big[0], 0x45);
    CU_ASSERT_EQUAL((big[2] << 8 | big[3]), (int)want_len[k]);
    CU_ASSERT_EQUAL(big[8], 64);
    CU_ASSERT_EQUAL(big[9], 6);
    /* DF on small probes, not on the jumbo SYN */
    CU_ASSERT_EQUAL(big[6], k == SVRFWDET_KIND_JUMBO ? 0x00 : 0x40);
    CU_ASSERT(ref_ip4_ok(big));
    CU_ASSERT(ref_tcp_ok(big, (size_t)n));
    CU_ASSERT_EQUAL(big[20 + 13], want_flags[k]);
    CU_ASSERT_EQUAL(big[20 + 12], 0x50);
    CU_ASSERT_EQUAL(memcmp(big + 40, "SVRFWDET", 8), 0);
    CU_ASSERT_EQUAL(big[40 + 9], k);
    /* ack field only with ACK */
    CU_ASSERT_EQUAL(big[28] != 0, (want_flags[k] & 0x10) != 0);
    CU_ASSERT_EQUAL(svrfwdet_probe_parse(&info, big, (size_t)n), 0);
    CU_ASSERT_EQUAL(info.kind, (svrfwdet_kind)k);
    CU_ASSERT_EQUAL(info.path_id, 0xdeadbeefu);
    CU_ASSERT_EQUAL(info.burst, 7);
    CU_ASSERT_EQUAL(info.tcp_flags, want_flags[k]);
    CU_ASSERT_EQUAL(info.src.port, 40000);
    /* a corrupted identifier is not a probe; truncation is malformed */
    big[40] ^= 0xff;
    CU_ASSERT_EQUAL(svrfwdet_probe_parse(&info, big, (size_t)n),
                    SVRFWDET_ERR_IP_NOT_PROBE);
    big[40] ^= 0xff;
    CU_ASSERT_EQUAL(svrfwdet_probe_parse(&info, big, (size_t)n - 1),
                    SVRFWDET_ERR_IP_MALFORMED);
    CU_ASSERT_EQUAL(svrfwdet_probe_encode(big, (size_t)n - 1, &p),
                    SVRFWDET_ERR_NOBUF);
  }
}

static void test_probe_layouts_v6(void) {
  int k;
  for (k = 0; k < 4; k++) {
    svrfwdet_probe p;
    svrfwdet_probe_info info;
    svrfwdet_ssize n;
    mk_probe(&p, (svrfwdet_kind)k, 6);
    n = svrfwdet_probe_encode(big, sizeof(big), &p);
    CU_ASSERT_EQUAL((size_t)n, k == SVRFWDET_KIND_JUMBO ? 6576u : 160u);
    CU_ASSERT_EQUAL(big[0], 0x60);
    CU_ASSERT_EQUAL(big[6], 6);
    CU_ASSERT_EQUAL((size_t)(big[4] << 8 | big[5]) + 40, (size_t)n);
    CU_ASSERT(ref_tcp_ok(big, (size_t)n));
    CU_ASSERT_EQUAL(svrfwdet_probe_parse(&info, big, (size_t)n), 0);
    CU_ASSERT_EQUAL(info.kind, (svrfwdet_kind)k);
    CU_ASSERT_EQUAL(info.src.family, 6);
  }
}

static void test_probe_bad_args(void) {
  svrfwdet_probe p;
  mk_probe(&p, SVRFWDET_KIND_SYN, 4);
  p.dst.family = 6;
  CU_ASSERT_EQUAL(svrfwdet_probe_encode(big, sizeof(big), &p),
                  SVRFWDET_ERR_INVALID_ARGUMENT);
  mk_probe(&p, (svrfwdet_kind)4, 4);
  CU_ASSERT_EQUAL(svrfwdet_probe_encode(big, sizeof(big), &p),
                  SVRFWDET_ERR_INVALID_ARGUMENT);
}

/* Fragments the jumbo SYN, checks every fragment and reassembles. */
static void frag_check(int family, size_t mtu, size_t want_nfrags,
                       size_t want_first_data) {
  static uint8_t orig[8192], re[8192], fr[9216];
  svrfwdet_probe p;
  svrfwdet_ssize n, f;
  size_t i, hl = family == 4 ? 20 : 48, body = 0, got = 0;
  mk_probe(&p, SVRFWDET_KIND_JUMBO, family);
  n = svrfwdet_probe_encode(orig, sizeof(orig), &p);
  CU_ASSERT_FATAL(n > 0);
  memset(re, 0, sizeof(re));
  for (i = 0;; i++) {
    size_t off, dlen;
    int more;
    f = svrfwdet_ip_fragment(fr, sizeof(fr), orig, (size_t)n, mtu, i);
    CU_ASSERT(f >= 0);
    if (f <= 0) {
      break;
    }
    CU_ASSERT((size_t)f <= mtu);
    dlen = (size_t)f - hl;
    if (family == 4) {
      CU_ASSERT(ref_ip4_ok(fr));
      CU_ASSERT_EQUAL((size_t)(fr[2] << 8 | fr[3]), (size_t)f);
      CU_ASSERT_EQUAL(fr[4], 0x12);
      CU_ASSERT_EQUAL(fr[5], 0x34); /* same ID in every fragment */
      off = (size_t)((fr[6] & 0x1f) << 8 | fr[7]) * 8;
      more = (fr[6] & 0x20) != 0;
      CU_ASSERT_EQUAL(fr[6] & 0x40, 0); /* no DF */
    } else {
      CU_ASSERT_EQUAL(fr[6], 44);
      CU_ASSERT_EQUAL(fr[40], 6);
      CU_ASSERT_EQUAL((size_t)(fr[4] << 8 | fr[5]) + 40, (size_t)f);
      off = (size_t)(fr[42] << 8 | (fr[43] & 0xf8));
      more = fr[43] & 1;
      CU_ASSERT_EQUAL(fr[44], 0x53);
      CU_ASSERT_EQUAL(fr[45], 0x46);
    }
    if (i == 0) {
      CU_ASSERT_EQUAL(dlen, want_first_data);
    }
    if (more) {
      CU_ASSERT_EQUAL(dlen % 8, 0);
    }
    CU_ASSERT_EQUAL(off, got);
    memcpy(re + off, fr + hl, dlen);
    got += dlen;
    if (!more) {
      body = off + dlen;
    }
  }
  CU_ASSERT_EQUAL(i, want_nfrags);
  CU_ASSERT_EQUAL(body, (size_t)n - (family == 4 ? 20u : 40u));
  CU_ASSERT_EQUAL(memcmp(re, orig + (family == 4 ? 20 : 40), body), 0);
}

static void test_fragment_v4(void) {
  /* 6536 bytes of TCP: 4 x 1480 + 616 */
  frag_check(4, 1500, 5, 1480);
  /* MTU 1400: (1400-20)&~7 = 1376 -> 4 x 1376 + 1032 */
  frag_check(4, 1400, 5, 1376);
}

static void test_fragment_v6(void) {
  /* (1280-48)&~7 = 1232: 5 x 1232 + 376 */
  frag_check(6, 1280, 6, 1232);
  frag_check(6, 1500, 5, 1448);
}

static void test_fragment_small_and_errors(void) {
  static uint8_t d[8192], fr[9216];
  svrfwdet_probe p;
  svrfwdet_ssize n;
  mk_probe(&p, SVRFWDET_KIND_SYN, 4);
  n = svrfwdet_probe_encode(d, sizeof(d), &p);
  CU_ASSERT_EQUAL(svrfwdet_ip_fragment(fr, sizeof(fr), d, (size_t)n, 1500, 0),
                  n);
  CU_ASSERT_EQUAL(svrfwdet_ip_fragment(fr, sizeof(fr), d, (size_t)n, 1500, 1),
                  0);
  CU_ASSERT_EQUAL(svrfwdet_ip_fragment(fr, sizeof(fr), d, (size_t)n, 500, 0),
                  SVRFWDET_ERR_MTU);
  mk_probe(&p, SVRFWDET_KIND_JUMBO, 4);
  n = svrfwdet_probe_encode(d, sizeof(d), &p);
  CU_ASSERT_EQUAL(svrfwdet_ip_fragment(fr, 100, d, (size_t)n, 1500, 0),
                  SVRFWDET_ERR_NOBUF);
  d[6] = 0x40; /* DF and too big */
  CU_ASSERT_EQUAL(svrfwdet_ip_fragment(fr, sizeof(fr), d, (size_t)n, 1500, 0),
                  SVRFWDET_ERR_INVALID_ARGUMENT);
  d[6] = 0x20; /* already a fragment */
  CU_ASSERT_EQUAL(svrfwdet_ip_fragment(fr, sizeof(fr), d, (size_t)n, 1500, 0),
                  SVRFWDET_ERR_INVALID_ARGUMENT);
}

static void test_reasons_format(void) {
  char b[128];
  CU_ASSERT_EQUAL(svrfwdet_reasons_format(b, sizeof(b), 0), 0);
  CU_ASSERT_STRING_EQUAL(b, "");
  svrfwdet_reasons_format(b, sizeof(b),
                          SVRFWDET_REASON_SYN | SVRFWDET_REASON_MIDFLOW |
                              SVRFWDET_REASON_JUMBO);
  CU_ASSERT_STRING_EQUAL(b, "TCP SYN; Mid-flow; TCP SYN Jumbo");
  svrfwdet_reasons_format(b, sizeof(b), SVRFWDET_REASON_CONFIGURED);
  CU_ASSERT_STRING_EQUAL(b, "Configured");
  CU_ASSERT_EQUAL(svrfwdet_reasons_format(b, 5, SVRFWDET_REASON_JUMBO), 13);
  CU_ASSERT_STRING_EQUAL(b, "TCP ");
}

/* ---- pcap output for tshark ------------------------------------------ */

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

static void pcap_rec(FILE *f, const uint8_t *d, size_t n, uint32_t t) {
  put32(f, t);
  put32(f, 0);
  put32(f, (uint32_t)n);
  put32(f, (uint32_t)n);
  fwrite(d, 1, n, f);
}

static int write_pcap(const char *path) {
  static uint8_t d[8192], fr[9216];
  FILE *f = fopen(path, "wb");
  uint32_t t = 1;
  int fam, k;
  if (!f) {
    perror(path);
    return 1;
  }
  put32(f, 0xa1b2c3d4u); /* native-endian pcap */
  put16(f, 2);
  put16(f, 4);
  put32(f, 0);
  put32(f, 0);
  put32(f, 65535);
  put32(f, 101); /* LINKTYPE_RAW */
  for (fam = 4; fam <= 6; fam += 2) {
    for (k = 0; k < 4; k++) {
      svrfwdet_probe p;
      svrfwdet_ssize n, m;
      size_t i;
      mk_probe(&p, (svrfwdet_kind)k, fam);
      n = svrfwdet_probe_encode(d, sizeof(d), &p);
      if (n <= 0) {
        fclose(f);
        return 1;
      }
      /* whole datagram (as seen on a 9000-MTU path), then the fragments */
      pcap_rec(f, d, (size_t)n, t++);
      if (k == SVRFWDET_KIND_JUMBO) {
        for (i = 0; (m = svrfwdet_ip_fragment(fr, sizeof(fr), d, (size_t)n,
                                              fam == 4 ? 1500 : 1280, i)) > 0;
             i++) {
          pcap_rec(f, fr, (size_t)m, t++);
        }
      }
    }
  }
  return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  static const svr_test_case cases[] = {
      {"reference checksum vectors", test_ref_cksum_vectors},
      {"IPv4 probe layouts", test_probe_layouts_v4},
      {"IPv6 probe layouts", test_probe_layouts_v6},
      {"probe bad arguments", test_probe_bad_args},
      {"IPv4 fragments", test_fragment_v4},
      {"IPv6 fragments", test_fragment_v6},
      {"fragment edge cases", test_fragment_small_and_errors},
      {"reason formatting", test_reasons_format},
      {NULL, NULL}};
  if (argc == 3 && strcmp(argv[1], "--pcap") == 0) {
    return write_pcap(argv[2]);
  }
  return svr_test_run("fwdet_pkt", cases);
}
