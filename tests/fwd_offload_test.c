/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of user-space GSO and GRO (cli/glue/fwd_offload.h) on literal
 * packets.  Every checksum is verified by recomputation with the reference
 * RFC 1071 code in common/svr_cksum.h, never with the code under test.
 */
#include <string.h>

#include "fwd_offload.h"
#include "svr_cksum.h"
#include "svr_endian.h"
#include "svr_test.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* IPv4 10.0.0.1 -> 10.0.0.2, ID 0x1c46, DF, TTL 64, TCP; total length and
 * checksum filled by mk(). */
static const char ip4_hex[] = "450000001c464000400600000a0000010a000002";
/* IPv6 fd00::1 -> fd00::2, flow label 0x12345, hop limit 64, TCP. */
static const char ip6_hex[] =
    "60012345000006 40fd000000000000000000000000000001"
    "fd000000000000000000000000000002";
/* TCP 40000 -> 5201, seq 0x01020304, ack 0x0a0b0c0d, data offset 8 (NOP
 * NOP timestamps), flags filled by mk(), window 502. */
static const char tcp_hex[] = "9c401451010203040a0b0c0d800001f600000000"
                              "0101080a000003e8000007d0";
/* UDP 40000 -> 4789. */
static const char udp_hex[] = "9c4012b500000000";

static int unhex_spaced(uint8_t *out, size_t cap, const char *hex) {
  char clean[256];
  size_t n = 0;
  for (; *hex && n + 1 < sizeof(clean); hex++) {
    if (*hex != ' ') {
      clean[n++] = *hex;
    }
  }
  clean[n] = '\0';
  return svr_test_unhex(out, cap, clean);
}

/* Reference pseudo-header sum of the IP packet |p|. */
static uint32_t ref_pseudo(const uint8_t *p, uint8_t proto, size_t l4len) {
  uint32_t s = (p[0] >> 4) == 4 ? svr_cksum_add(0, p + 12, 8)
                                : svr_cksum_add(0, p + 8, 32);
  uint8_t ph[4] = {0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};
  return svr_cksum_add(s, ph, 4);
}

static size_t l4_off(const uint8_t *p) { return (p[0] >> 4) == 4 ? 20 : 40; }

/* Does the L4 checksum of the complete IP packet |p| verify? */
static int l4_ok(const uint8_t *p, size_t len, uint8_t proto) {
  size_t o = l4_off(p);
  uint32_t s = svr_cksum_add(ref_pseudo(p, proto, len - o), p + o, len - o);
  return svr_cksum_fold(s) == 0xffff;
}

static int ip_ok(const uint8_t *p, size_t len) {
  if ((p[0] >> 4) == 4) {
    return svr_cksum(p, 20) == 0 && svr_get_be16(p + 2) == len;
  }
  return svr_get_be16(p + 4) + 40u == len;
}

static uint8_t pay_byte(size_t i) { return (uint8_t)(i * 7 + 3 + (i >> 8)); }

/*
 * Builds a packet like the kernel hands one over TUN: |family| 4 or 6,
 * |proto| 6 or 17, |tcpopts| with the 12 option bytes, |pay| payload bytes
 * (pay_byte pattern), TCP |flags|.  With |partial| the L4 checksum field
 * holds the folded pseudo-header sum (CHECKSUM_PARTIAL) and *vh asks for
 * it; otherwise the checksum is complete.  Returns the length.
 */
static size_t mk(uint8_t *p, struct virtio_net_hdr *vh, int family,
                 uint8_t proto, int tcpopts, size_t pay, uint8_t flags,
                 int partial) {
  size_t l3 = family == 4 ? 20 : 40, l4h, len, i;
  uint8_t *l4 = p + l3;
  CU_ASSERT_FATAL(unhex_spaced(p, 64, family == 4 ? ip4_hex : ip6_hex) ==
                  (int)l3);
  if (proto == 6) {
    CU_ASSERT_FATAL(svr_test_unhex(l4, 32, tcp_hex) == 32);
    l4h = tcpopts ? 32 : 20;
    l4[12] = (uint8_t)((l4h / 4) << 4);
    l4[13] = flags;
  } else {
    CU_ASSERT_FATAL(svr_test_unhex(l4, 8, udp_hex) == 8);
    l4h = 8;
  }
  p[family == 4 ? 9 : 6] = proto;
  for (i = 0; i < pay; i++) {
    p[l3 + l4h + i] = pay_byte(i);
  }
  len = l3 + l4h + pay;
  if (family == 4) {
    svr_put_be16(p + 2, (uint16_t)len);
    svr_put_be16(p + 10, svr_cksum(p, 20));
  } else {
    svr_put_be16(p + 4, (uint16_t)(len - 40));
  }
  if (proto == 17) {
    svr_put_be16(l4 + 4, (uint16_t)(len - l3));
  }
  memset(vh, 0, sizeof(*vh));
  {
    size_t co = proto == 6 ? 16 : 6;
    uint32_t ps = ref_pseudo(p, proto, len - l3);
    if (partial) {
      svr_put_be16(l4 + co, svr_cksum_fold(ps));
      vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
      vh->csum_start = (uint16_t)l3;
      vh->csum_offset = (uint16_t)co;
    } else {
      svr_put_be16(l4 + co, svr_cksum_finish(svr_cksum_add(ps, l4, len - l3)));
    }
  }
  vh->hdr_len = (uint16_t)(l3 + l4h);
  return len;
}

static uint8_t super[FWD_PKT_MAX], segs[48][2048], out[FWD_PKT_MAX];
static uint8_t grobuf[FWD_PKT_MAX];

/* 3 full segments + a remainder: seq, lengths, flags, IPv4 ID, checksums. */
static void test_tcp4_split(void) {
  struct virtio_net_hdr vh;
  fwd_gso g;
  size_t len = mk(super, &vh, 4, 6, 1, 3500,
                  TCP_CWR | TCP_ECE | TCP_ACK | TCP_PSH | TCP_FIN, 1);
  ptrdiff_t n;
  int i;
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
  vh.gso_size = 1000;
  CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vh, super, len), 0);
  CU_ASSERT_EQUAL(g.hdrlen, 52);
  for (i = 0; i < 4; i++) {
    size_t want = i < 3 ? 1000 : 500;
    uint8_t fl;
    n = fwd_gso_next(&g, segs[i], sizeof(segs[i]));
    CU_ASSERT_EQUAL_FATAL(n, (ptrdiff_t)(52 + want));
    CU_ASSERT_EQUAL(svr_get_be16(segs[i] + 2), 52 + want);
    CU_ASSERT_EQUAL(svr_get_be16(segs[i] + 4), 0x1c46 + i);
    CU_ASSERT_TRUE(ip_ok(segs[i], (size_t)n));
    CU_ASSERT_TRUE(l4_ok(segs[i], (size_t)n, 6));
    CU_ASSERT_EQUAL(svr_get_be32(segs[i] + 24), 0x01020304u + 1000u * (unsigned)i);
    CU_ASSERT_EQUAL(svr_get_be32(segs[i] + 28), 0x0a0b0c0du);
    fl = segs[i][33];
    CU_ASSERT_EQUAL(fl & TCP_CWR, i == 0 ? TCP_CWR : 0);
    CU_ASSERT_EQUAL(fl & (TCP_PSH | TCP_FIN), i == 3 ? TCP_PSH | TCP_FIN : 0);
    CU_ASSERT_EQUAL(fl & (TCP_ACK | TCP_ECE), TCP_ACK | TCP_ECE);
    CU_ASSERT_EQUAL(memcmp(segs[i] + 34, super + 34, 2), 0);  /* window */
    CU_ASSERT_EQUAL(memcmp(segs[i] + 38, super + 38, 14), 0); /* options */
    CU_ASSERT_EQUAL(memcmp(segs[i] + 52, super + 52 + 1000 * i, want), 0);
  }
  CU_ASSERT_EQUAL(fwd_gso_next(&g, segs[4], sizeof(segs[4])), 0);
  CU_ASSERT_EQUAL(fwd_gso_next(&g, segs[4], sizeof(segs[4])), 0);
}

static void test_tcp6_split(void) {
  struct virtio_net_hdr vh;
  fwd_gso g;
  size_t len = mk(super, &vh, 6, 6, 0, 2900, TCP_ACK | TCP_PSH, 1);
  ptrdiff_t n;
  int i;
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
  vh.gso_size = 1440;
  CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vh, super, len), 0);
  for (i = 0; i < 3; i++) {
    size_t want = i < 2 ? 1440 : 20;
    n = fwd_gso_next(&g, segs[i], sizeof(segs[i]));
    CU_ASSERT_EQUAL_FATAL(n, (ptrdiff_t)(60 + want));
    CU_ASSERT_TRUE(ip_ok(segs[i], (size_t)n));
    CU_ASSERT_TRUE(l4_ok(segs[i], (size_t)n, 6));
    CU_ASSERT_EQUAL(svr_get_be32(segs[i] + 44), 0x01020304u + 1440u * (unsigned)i);
    CU_ASSERT_EQUAL(segs[i][53] & TCP_PSH, i == 2 ? TCP_PSH : 0);
    CU_ASSERT_EQUAL(memcmp(segs[i], super, 4), 0); /* flow label kept */
  }
  CU_ASSERT_EQUAL(fwd_gso_next(&g, segs[3], sizeof(segs[3])), 0);
}

/* IPv6 with a hop-by-hop header before TCP: segments keep it, payload
 * length and the checksum count from the L4 header at csum_start. */
static void test_tcp6_ext_header(void) {
  static const uint8_t hbh[8] = {6, 0, 1, 4, 0, 0, 0, 0}; /* TCP, PadN */
  struct virtio_net_hdr vh;
  fwd_gso g;
  size_t len = mk(super, &vh, 6, 6, 0, 2500, TCP_ACK, 1);
  uint32_t ps;
  int i;
  memmove(super + 48, super + 40, len - 40);
  memcpy(super + 40, hbh, 8);
  super[6] = 0;
  len += 8;
  svr_put_be16(super + 4, (uint16_t)(len - 40));
  ps = ref_pseudo(super, 6, len - 48); /* L4 length without the HBH */
  svr_put_be16(super + 48 + 16, svr_cksum_fold(ps));
  vh.csum_start = 48;
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
  vh.gso_size = 1000;
  CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vh, super, len), 0);
  CU_ASSERT_EQUAL(g.l4off, 48);
  CU_ASSERT_EQUAL(g.hdrlen, 68);
  for (i = 0; i < 3; i++) {
    size_t want = i < 2 ? 1000 : 500;
    ptrdiff_t n = fwd_gso_next(&g, segs[i], sizeof(segs[i]));
    uint32_t sum;
    CU_ASSERT_EQUAL_FATAL(n, (ptrdiff_t)(68 + want));
    CU_ASSERT_EQUAL(svr_get_be16(segs[i] + 4), 28 + want);
    CU_ASSERT_EQUAL(memcmp(segs[i] + 40, hbh, 8), 0);
    CU_ASSERT_EQUAL(svr_get_be32(segs[i] + 52), 0x01020304u + 1000u * (unsigned)i);
    sum = svr_cksum_add(ref_pseudo(segs[i], 6, (size_t)n - 48), segs[i] + 48,
                        (size_t)n - 48);
    CU_ASSERT_EQUAL(svr_cksum_fold(sum), 0xffff);
  }
  CU_ASSERT_EQUAL(fwd_gso_next(&g, segs[3], sizeof(segs[3])), 0);
  /* GRO leaves extension headers alone */
  {
    fwd_gro r;
    fwd_gro_init(&r, grobuf, sizeof(grobuf));
    CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], 1068), -1);
  }
}

/* A non-GSO packet yields itself, its partial checksum completed to the
 * value a full computation gives; without NEEDS_CSUM it is left alone. */
static void test_partial_csum(void) {
  static uint8_t full[2048];
  struct virtio_net_hdr vh, vf;
  fwd_gso g;
  size_t len, flen;
  int fam;
  for (fam = 4; fam <= 6; fam += 2) {
    uint8_t proto;
    for (proto = 6; proto <= 17; proto = (uint8_t)(proto + 11)) {
      size_t co;
      len = mk(super, &vh, fam, proto, 1, 777, TCP_ACK, 1);
      co = l4_off(super) + (proto == 6 ? 16u : 6u);
      flen = mk(full, &vf, fam, proto, 1, 777, TCP_ACK, 0);
      CU_ASSERT_EQUAL_FATAL(len, flen);
      CU_ASSERT_NOT_EQUAL(memcmp(super, full, len), 0);
      CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vh, super, len), 0);
      CU_ASSERT_EQUAL(fwd_gso_next(&g, out, 10), -1); /* cap too small */
      CU_ASSERT_EQUAL_FATAL(fwd_gso_next(&g, out, sizeof(out)), (ptrdiff_t)len);
      CU_ASSERT_TRUE(l4_ok(out, len, proto));
      CU_ASSERT_EQUAL(svr_get_be16(out + co), svr_get_be16(full + co));
      CU_ASSERT_EQUAL(memcmp(out, full, len), 0);
      CU_ASSERT_EQUAL(fwd_gso_next(&g, out, sizeof(out)), 0);
      /* complete already: copied as it is */
      CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vf, full, flen), 0);
      CU_ASSERT_EQUAL_FATAL(fwd_gso_next(&g, out, sizeof(out)), (ptrdiff_t)flen);
      CU_ASSERT_EQUAL(memcmp(out, full, flen), 0);
    }
  }
}

/* UDP_L4 (USO): one datagram per gso_size, lengths, IDs, checksums. */
static void test_udp_uso(void) {
  struct virtio_net_hdr vh;
  fwd_gso g;
  int fam;
  for (fam = 4; fam <= 6; fam += 2) {
    size_t l3 = fam == 4 ? 20 : 40;
    size_t len = mk(super, &vh, fam, 17, 0, 3000, 0, 1);
    int i;
    vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
    vh.gso_size = 1200;
    CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vh, super, len), 0);
    for (i = 0; i < 3; i++) {
      size_t want = i < 2 ? 1200 : 600;
      ptrdiff_t n = fwd_gso_next(&g, segs[i], sizeof(segs[i]));
      CU_ASSERT_EQUAL_FATAL(n, (ptrdiff_t)(l3 + 8 + want));
      CU_ASSERT_TRUE(ip_ok(segs[i], (size_t)n));
      CU_ASSERT_EQUAL(svr_get_be16(segs[i] + l3 + 4), 8 + want);
      CU_ASSERT_NOT_EQUAL(svr_get_be16(segs[i] + l3 + 6), 0);
      CU_ASSERT_TRUE(l4_ok(segs[i], (size_t)n, 17));
      CU_ASSERT_EQUAL(memcmp(segs[i] + l3 + 8, super + l3 + 8 + 1200 * i, want), 0);
      if (fam == 4) {
        CU_ASSERT_EQUAL(svr_get_be16(segs[i] + 4), 0x1c46 + i);
      }
    }
    CU_ASSERT_EQUAL(fwd_gso_next(&g, segs[3], sizeof(segs[3])), 0);
  }
}

/* no_l4_csum (a peer's super-packet under encryption): the same segments,
 * but the L4 checksum field is the super-packet's, never summed. */
static void test_no_l4_csum(void) {
  struct virtio_net_hdr vh;
  fwd_gso g;
  int fam, k;
  for (k = 0; k < 2; k++) {
    for (fam = 4; fam <= 6; fam += 2) {
      uint8_t proto = k ? 6 : 17;
      size_t l3 = fam == 4 ? 20 : 40, ck = l3 + (proto == 6 ? 16 : 6);
      size_t len = mk(super, &vh, fam, proto, 0, 3000, 0, 1);
      size_t hl = l3 + (proto == 6 ? (size_t)(super[l3 + 12] >> 4) * 4 : 8);
      int i;
      vh.gso_type = proto == 17   ? VIRTIO_NET_HDR_GSO_UDP_L4
                    : fam == 4    ? VIRTIO_NET_HDR_GSO_TCPV4
                                  : VIRTIO_NET_HDR_GSO_TCPV6;
      vh.gso_size = 1200;
      CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vh, super, len), 0);
      g.no_l4_csum = 1;
      for (i = 0; i < 3; i++) {
        size_t want = i < 2 ? 1200 : 600;
        ptrdiff_t n = fwd_gso_next(&g, segs[i], sizeof(segs[i]));
        CU_ASSERT_EQUAL_FATAL(n, (ptrdiff_t)(hl + want));
        CU_ASSERT_TRUE(ip_ok(segs[i], (size_t)n));
        CU_ASSERT_EQUAL(svr_get_be16(segs[i] + ck), svr_get_be16(super + ck));
        CU_ASSERT_FALSE(l4_ok(segs[i], (size_t)n, proto));
        CU_ASSERT_EQUAL(memcmp(segs[i] + hl, super + hl + 1200 * i, want), 0);
        if (proto == 17) {
          CU_ASSERT_EQUAL(svr_get_be16(segs[i] + l3 + 4), 8 + want);
        }
      }
      CU_ASSERT_EQUAL(fwd_gso_next(&g, segs[3], sizeof(segs[3])), 0);
    }
  }
}

/* Splits |len| bytes of super with |vh| into segs[]; returns the count. */
static int split(const struct virtio_net_hdr *vh, size_t len, size_t *lens) {
  fwd_gso g;
  ptrdiff_t n;
  int k = 0;
  CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, vh, super, len), 0);
  while ((n = fwd_gso_next(&g, segs[k], sizeof(segs[k]))) > 0) {
    lens[k++] = (size_t)n;
    CU_ASSERT_FATAL(k < 48);
  }
  CU_ASSERT_EQUAL(n, 0);
  return k;
}

/* Completes the partial checksum of a GRO result the way the kernel would
 * (sum from csum_start, store at csum_start + csum_offset). */
static void kernel_complete(uint8_t *p, size_t len,
                            const struct virtio_net_hdr *vh) {
  uint16_t c = svr_cksum_finish(
      svr_cksum_add(0, p + vh->csum_start, len - vh->csum_start));
  svr_put_be16(p + vh->csum_start + vh->csum_offset, c);
}

/* The segments of test_tcp4_split (without CWR/FIN, which GRO refuses)
 * join back into the original super-packet, byte for byte, with the header
 * the kernel wants; the kernel completing the checksum gets a valid one. */
static void test_gro_roundtrip(void) {
  struct virtio_net_hdr vh, gvh;
  fwd_gro r;
  size_t lens[48], len, glen;
  int k, i;
  len = mk(super, &vh, 4, 6, 1, 3500, TCP_ACK | TCP_PSH, 1);
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.gso_size = 1000;
  k = split(&vh, len, lens);
  CU_ASSERT_EQUAL_FATAL(k, 4);
  fwd_gro_init(&r, grobuf, sizeof(grobuf));
  for (i = 0; i < k; i++) {
    CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[i], lens[i]), 1);
  }
  glen = fwd_gro_flush(&r, &gvh);
  CU_ASSERT_EQUAL_FATAL(glen, len);
  CU_ASSERT_EQUAL(memcmp(grobuf, super, len), 0);
  CU_ASSERT_EQUAL(gvh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
  CU_ASSERT_EQUAL(gvh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
  CU_ASSERT_EQUAL(gvh.gso_size, 1000);
  CU_ASSERT_EQUAL(gvh.hdr_len, 52);
  CU_ASSERT_EQUAL(gvh.csum_start, 20);
  CU_ASSERT_EQUAL(gvh.csum_offset, 16);
  CU_ASSERT_TRUE(ip_ok(grobuf, glen));
  CU_ASSERT_EQUAL(r.len, 0);
  CU_ASSERT_EQUAL(fwd_gro_flush(&r, &gvh), 0);
  kernel_complete(grobuf, glen, &vh);
  CU_ASSERT_TRUE(l4_ok(grobuf, glen, 6));
  /* one segment alone: untouched, no virtio header */
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], lens[0]), 1);
  CU_ASSERT_EQUAL(fwd_gro_flush(&r, &gvh), lens[0]);
  CU_ASSERT_EQUAL(gvh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
  CU_ASSERT_EQUAL(gvh.flags, 0);
  CU_ASSERT_EQUAL(memcmp(grobuf, segs[0], lens[0]), 0);
}

static void set_tcp_flags(uint8_t *p, size_t len, uint8_t flags) {
  size_t o = l4_off(p);
  p[o + 13] = flags;
  p[o + 16] = p[o + 17] = 0;
  svr_put_be16(p + o + 16, svr_cksum_finish(svr_cksum_add(
                               ref_pseudo(p, 6, len - o), p + o, len - o)));
}

/* -1: never coalesced; 0: not this super-packet (flush, offer again). */
static void test_gro_refusals(void) {
  static uint8_t pkt[2048];
  struct virtio_net_hdr vh, gvh;
  fwd_gro r;
  size_t lens[48], len, plen;
  int k;
  len = mk(super, &vh, 4, 6, 0, 4000, TCP_ACK, 1);
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.gso_size = 1000;
  k = split(&vh, len, lens);
  CU_ASSERT_EQUAL_FATAL(k, 4);
  fwd_gro_init(&r, grobuf, sizeof(grobuf));

  memcpy(pkt, segs[0], lens[0]);
  set_tcp_flags(pkt, lens[0], TCP_SYN | TCP_ACK);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[0]), -1);
  set_tcp_flags(pkt, lens[0], TCP_FIN | TCP_ACK);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[0]), -1);
  set_tcp_flags(pkt, lens[0], TCP_CWR | TCP_ACK);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[0]), -1);
  set_tcp_flags(pkt, lens[0], 0);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[0]), -1); /* no ACK */
  plen = mk(pkt, &gvh, 4, 6, 0, 0, TCP_ACK, 0);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, plen), -1); /* pure ACK */
  plen = mk(pkt, &gvh, 4, 17, 0, 100, 0, 0);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, plen), -1); /* UDP */
  memcpy(pkt, segs[0], lens[0]);
  pkt[0] = 0x46; /* IPv4 options */
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[0]), -1);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], lens[0] - 1), -1); /* truncated */
  CU_ASSERT_EQUAL(r.len, 0);

  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], lens[0]), 1);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[2], lens[2]), 0); /* out of order */
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], lens[0]), 0); /* repeated */
  memcpy(pkt, segs[1], lens[1]);
  pkt[20 + 1] ^= 1; /* another source port: another flow */
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[1]), 0);
  memcpy(pkt, segs[1], lens[1]);
  pkt[8] = 63; /* another TTL */
  svr_put_be16(pkt + 10, 0);
  svr_put_be16(pkt + 10, svr_cksum(pkt, 20));
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[1]), 0);
  memcpy(pkt, segs[1], lens[1]);
  pkt[31] ^= 1; /* another ACK number */
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[1]), 0);
  CU_ASSERT_EQUAL(r.nsegs, 1);

  /* in order joins; PSH closes: nothing joins after it */
  memcpy(pkt, segs[1], lens[1]);
  set_tcp_flags(pkt, lens[1], TCP_ACK | TCP_PSH);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[1]), 1);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[2], lens[2]), 0);
  CU_ASSERT_EQUAL(fwd_gro_flush(&r, &gvh), lens[0] + lens[1] - 40);
  CU_ASSERT_EQUAL(grobuf[33] & TCP_PSH, TCP_PSH);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[2], lens[2]), 1); /* starts anew */
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[3], lens[3]), 1);
  CU_ASSERT_EQUAL(fwd_gro_flush(&r, &gvh), lens[2] + lens[3] - 40);
  CU_ASSERT_EQUAL(gvh.gso_size, 1000);

  /* a segment longer than the first does not join */
  len = mk(super, &vh, 4, 6, 0, 1500, TCP_ACK, 1);
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.gso_size = 500;
  CU_ASSERT_EQUAL_FATAL(split(&vh, len, lens), 3);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], lens[0]), 1);
  memcpy(pkt, segs[0], lens[0]);
  CU_ASSERT_EQUAL(fwd_gro_flush(&r, &gvh), lens[0]);
  vh.gso_size = 400;
  CU_ASSERT_EQUAL_FATAL(split(&vh, len, lens), 4);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], lens[0]), 1); /* 400 bytes */
  svr_put_be32(pkt + 24, 0x01020304u + 400u);             /* 500 bytes */
  set_tcp_flags(pkt, lens[0] + 100, TCP_ACK);
  CU_ASSERT_EQUAL(fwd_gro_add(&r, pkt, lens[0] + 100), 0);
  CU_ASSERT_EQUAL(fwd_gro_flush(&r, &gvh), lens[0]);
  fwd_gro_init(&r, grobuf, 100); /* a buffer too small for the segment */
  CU_ASSERT_EQUAL(fwd_gro_add(&r, segs[0], lens[0]), -1);
}

/* Header and packet that disagree are refused. */
static void test_gso_malformed(void) {
  struct virtio_net_hdr vh, bad;
  fwd_gso g;
  size_t len = mk(super, &vh, 4, 6, 0, 3000, TCP_ACK, 1);
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.gso_size = 1000;
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &vh, super, len), 0);
  bad = vh;
  bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &bad, super, len), -1);
  bad = vh;
  bad.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &bad, super, len), -1);
  bad = vh;
  bad.gso_type = VIRTIO_NET_HDR_GSO_UDP; /* UFO */
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &bad, super, len), -1);
  bad = vh;
  bad.gso_size = 0;
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &bad, super, len), -1);
  bad = vh;
  bad.csum_start = 24;
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &bad, super, len), -1);
  bad = vh;
  bad.gso_type = VIRTIO_NET_HDR_GSO_NONE;
  bad.csum_offset = (uint16_t)(len - 21);
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &bad, super, len), -1);
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &vh, super, len - 1), -1); /* short */
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &vh, super, 19), -1);
  super[0] = 0x55;
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &vh, super, len), -1);
  len = mk(super, &vh, 4, 6, 0, 0, TCP_ACK, 1); /* GSO without payload */
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.gso_size = 1000;
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &vh, super, len), -1);
  len = mk(super, &vh, 4, 6, 0, 3000, TCP_ACK, 1);
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.gso_size = 1000;
  svr_put_be16(super + 6, 0x2000); /* more fragments */
  CU_ASSERT_EQUAL(fwd_gso_init(&g, &vh, super, len), -1);
}

/* Property: for random sizes, families, options and payloads, every
 * segment verifies, the payload reassembles, and GRO gives back the
 * original super-packet byte for byte. */
static void test_roundtrip_random(void) {
  uint64_t rs = 42;
  int iter;
  for (iter = 0; iter < 400; iter++) {
    struct virtio_net_hdr vh, gvh;
    fwd_gro r;
    fwd_gso g;
    int fam = svr_test_rand(&rs) & 1 ? 6 : 4, opts = (int)(svr_test_rand(&rs) & 1);
    size_t hdr = (fam == 4 ? 20u : 40u) + (opts ? 32u : 20u);
    size_t seg = 1 + svr_test_rand(&rs) % 1460;
    size_t pay = 1 + svr_test_rand(&rs) % (seg * 44 < 65535 - hdr ? seg * 44 : 65535 - hdr);
    uint8_t flags = (uint8_t)(svr_test_rand(&rs) & 1 ? TCP_ACK | TCP_PSH : TCP_ACK);
    size_t len, i, got = 0, glen, o;
    ptrdiff_t n;
    int k = 0, ok = 1;
    len = mk(super, &vh, fam, 6, opts, pay, flags, 1);
    for (i = 0; i < pay; i++) {
      super[hdr + i] = (uint8_t)svr_test_rand(&rs);
    }
    vh.gso_type = fam == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
    vh.gso_size = (uint16_t)seg;
    CU_ASSERT_EQUAL_FATAL(fwd_gso_init(&g, &vh, super, len), 0);
    fwd_gro_init(&r, grobuf, sizeof(grobuf));
    while ((n = fwd_gso_next(&g, out, sizeof(out))) > 0) {
      size_t m = (size_t)n - hdr;
      ok &= ip_ok(out, (size_t)n) && l4_ok(out, (size_t)n, 6);
      ok &= memcmp(out + hdr, super + hdr + got, m) == 0;
      ok &= svr_get_be32(out + hdr - (opts ? 32 : 20) + 4) ==
            0x01020304u + (uint32_t)got;
      ok &= m == seg || got + m == pay;
      ok &= fwd_gro_add(&r, out, (size_t)n) == 1;
      got += m;
      k++;
    }
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(got, pay);
    CU_ASSERT_EQUAL((size_t)k, (pay + seg - 1) / seg);
    glen = fwd_gro_flush(&r, &gvh);
    CU_ASSERT_EQUAL_FATAL(glen, len);
    if (k == 1) {
      /* one segment comes back complete, with no virtio header */
      CU_ASSERT_EQUAL(gvh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
      CU_ASSERT_TRUE(l4_ok(grobuf, glen, 6));
      continue;
    }
    CU_ASSERT_EQUAL(memcmp(grobuf, super, len), 0);
    CU_ASSERT_EQUAL(gvh.gso_type, vh.gso_type);
    CU_ASSERT_EQUAL(gvh.gso_size, seg);
    CU_ASSERT_EQUAL(gvh.hdr_len, hdr);
    o = gvh.csum_start;
    CU_ASSERT_EQUAL(o, fam == 4 ? 20u : 40u);
    kernel_complete(grobuf, glen, &gvh);
    CU_ASSERT_TRUE(l4_ok(grobuf, glen, 6));
  }
}

int main(void) {
  static const svr_test_case cases[] = {
      {"tcp4_split", test_tcp4_split},
      {"tcp6_split", test_tcp6_split},
      {"tcp6_ext_header", test_tcp6_ext_header},
      {"partial_csum", test_partial_csum},
      {"udp_uso", test_udp_uso},
      {"no_l4_csum", test_no_l4_csum},
      {"gro_roundtrip", test_gro_roundtrip},
      {"gro_refusals", test_gro_refusals},
      {"gso_malformed", test_gso_malformed},
      {"roundtrip_random", test_roundtrip_random},
      {NULL, NULL}};
  return svr_test_run("fwd_offload", cases);
}
