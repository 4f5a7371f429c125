/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User-space GSO and GRO (fwd_offload.h): what the kernel's tcp_gso_segment,
 * __udp_gso_segment and tcp_gro_receive do, on flat caller buffers.
 */
#include <string.h>

#include "fwd_offload.h"
#include "svr_cksum.h"
#include "svr_endian.h"

#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u
#define TCP_URG 0x20u
#define TCP_CWR 0x80u

#define IP4_MAX_LEN 65535u

/*
 * svr_cksum_add() with the same accumulator, but eight bytes per step: the
 * one's-complement sum is independent of byte order (RFC 1071 section
 * 2(B)), so the words are added in host order and the folded result is
 * swapped once.  Splitting each 64-bit word into two 32-bit halves keeps
 * the 64-bit accumulators from overflowing (2^32 words, far beyond 64 KiB).
 */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t a = 0, b = 0, t;
  uint32_t s;
  size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    uint64_t w0, w1;
    memcpy(&w0, p + i, 8);
    memcpy(&w1, p + i + 8, 8);
    a += (w0 & 0xffffffffu) + (w0 >> 32);
    b += (w1 & 0xffffffffu) + (w1 >> 32);
  }
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    memcpy(&w, p + i, 4);
    a += w;
  }
  for (; i + 2 <= len; i += 2) {
    uint16_t w;
    memcpy(&w, p + i, 2);
    b += w;
  }
  if (i < len) {
    a += p[i]; /* the odd byte is the high byte of a big-endian word */
  }
  t = (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32);
  t = (t & 0xffffffffu) + (t >> 32);
  t = (t & 0xffffffffu) + (t >> 32);
  s = svr_cksum_fold((uint32_t)t);
  s = ((s & 0xffu) << 8) | (s >> 8);
  t = (uint64_t)sum + s;
  return (uint32_t)((t & 0xffffffffu) + (t >> 32));
#else
  return svr_cksum_add(sum, p, len);
#endif
}

/* Pseudo-header sum (RFC 793 section 3.1, RFC 8200 section 8.1) of the
 * IP packet at |ip| for an L4 length |l4len|. */
static uint32_t pseudo_sum(const uint8_t *ip, int family, uint8_t proto,
                           size_t l4len) {
  uint32_t sum;
  if (family == 4) {
    sum = svr_cksum_add(0, ip + 12, 8);
  } else {
    sum = csum_add(0, ip + 8, 32);
  }
  return sum + proto + (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffffu);
}

/* Skips IPv6 extension headers that may precede TCP/UDP; *proto gets the
 * upper-layer protocol (44 when fragmented).  Returns the L4 offset, 0 when
 * the chain runs past |len|. */
static size_t ip6_l4(const uint8_t *p, size_t len, uint8_t *proto) {
  size_t off = 40;
  uint8_t nh = p[6];
  while (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, dest */
    if (off + 8 > len) {
      return 0;
    }
    nh = p[off];
    off += ((size_t)p[off + 1] + 1) * 8;
  }
  if (off > len) {
    return 0;
  }
  *proto = nh;
  return off;
}

int fwd_gso_init(fwd_gso *g, const struct virtio_net_hdr *vh,
                 const uint8_t *pkt, size_t len) {
  unsigned gtype = vh->gso_type & (unsigned)~VIRTIO_NET_HDR_GSO_ECN;
  int frag = 0;
  memset(g, 0, sizeof(*g));
  g->pkt = pkt;
  g->vh = *vh;
  if (len < 20) {
    return -1;
  }
  if (pkt[0] >> 4 == 4) {
    size_t tot = svr_get_be16(pkt + 2);
    g->family = 4;
    g->l3len = g->l4off = (size_t)(pkt[0] & 0x0f) * 4;
    if (g->l3len < 20 || g->l3len > len || tot > len) {
      return -1;
    }
    if (tot != 0 || gtype == VIRTIO_NET_HDR_GSO_NONE) {
      len = tot; /* 0 only in a BIG TCP super-packet: keep the read length */
    }
    g->proto = pkt[9];
    frag = (svr_get_be16(pkt + 6) & 0x3fff) != 0; /* MF or an offset */
  } else if (pkt[0] >> 4 == 6) {
    size_t tot;
    if (len < 40) {
      return -1;
    }
    tot = 40 + (size_t)svr_get_be16(pkt + 4);
    if (tot > len) {
      return -1;
    }
    len = tot;
    g->family = 6;
    g->l3len = 40;
    g->l4off = ip6_l4(pkt, len, &g->proto);
    if (g->l4off == 0) {
      return -1;
    }
    frag = g->proto == 44;
  } else {
    return -1;
  }
  if (g->l3len > len) {
    return -1;
  }
  g->len = len;
  if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
      (size_t)vh->csum_start + vh->csum_offset + 2 > len) {
    return -1;
  }
  if (gtype == VIRTIO_NET_HDR_GSO_NONE) {
    return 0;
  }
  if (frag || vh->gso_size == 0 ||
      ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
       vh->csum_start != g->l4off)) {
    return -1;
  }
  if (gtype == VIRTIO_NET_HDR_GSO_TCPV4 || gtype == VIRTIO_NET_HDR_GSO_TCPV6) {
    size_t doff;
    if (g->proto != 6 ||
        g->family != (gtype == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : 6) ||
        g->l4off + 20 > len) {
      return -1;
    }
    doff = (size_t)(pkt[g->l4off + 12] >> 4) * 4;
    if (doff < 20) {
      return -1;
    }
    g->hdrlen = g->l4off + doff;
  } else if (gtype == VIRTIO_NET_HDR_GSO_UDP_L4) {
    if (g->proto != 17) {
      return -1;
    }
    g->hdrlen = g->l4off + 8;
  } else {
    return -1; /* UFO (IP fragmentation) and anything newer */
  }
  if (g->hdrlen >= len) {
    return -1; /* beyond the packet, or a GSO packet with no payload */
  }
  g->seg = vh->gso_size;
  return 0;
}

/* Completes a CHECKSUM_PARTIAL packet: the field at start + offset holds
 * the pseudo-header sum; the sum over start..len finishes it. */
static void complete_csum(uint8_t *p, size_t len, size_t start,
                          size_t offset, int udp) {
  uint16_t c = svr_cksum_finish(csum_add(0, p + start, len - start));
  if (c == 0 && udp) {
    c = 0xffff;
  }
  svr_put_be16(p + start + offset, c);
}

int fwd_l4_csum_where(const uint8_t *ip, size_t len, size_t *start,
                      size_t *off) {
  size_t l3, tot;
  uint8_t proto;
  if (len >= 20 && ip[0] >> 4 == 4) {
    l3 = (size_t)(ip[0] & 0x0f) * 4;
    tot = svr_get_be16(ip + 2);
    proto = ip[9];
    if (l3 < 20 || tot > len || (svr_get_be16(ip + 6) & 0x3fff) != 0) {
      return 0;
    }
  } else if (len >= 40 && ip[0] >> 4 == 6) {
    l3 = 40;
    tot = 40 + (size_t)svr_get_be16(ip + 4);
    proto = ip[6];
    if (tot > len) {
      return 0;
    }
  } else {
    return 0;
  }
  if (proto == 6 && tot >= l3 + 20) {
    *off = 16;
  } else if (proto == 17 && tot >= l3 + 8 && svr_get_be16(ip + l3 + 6) != 0) {
    *off = 6;
  } else {
    return 0;
  }
  *start = l3;
  return 1;
}

void fwd_l4_csum_complete(uint8_t *ip, size_t len) {
  size_t start, off, tot;
  if (!fwd_l4_csum_where(ip, len, &start, &off)) {
    return;
  }
  tot = ip[0] >> 4 == 4 ? svr_get_be16(ip + 2)
                        : 40 + (size_t)svr_get_be16(ip + 4);
  complete_csum(ip, tot, start, off, off == 6);
}

ptrdiff_t fwd_gso_next(fwd_gso *g, uint8_t *out, size_t cap) {
  size_t paylen, n, olen, l4len, idx;
  uint32_t sum;
  uint16_t c;
  uint8_t *l4;
  if (g->done) {
    return 0;
  }
  if (g->seg == 0) {
    if (cap < g->len) {
      return -1;
    }
    memcpy(out, g->pkt, g->len);
    if (g->vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
      complete_csum(out, g->len, g->vh.csum_start, g->vh.csum_offset,
                    g->proto == 17 && g->vh.csum_start == g->l4off &&
                        g->vh.csum_offset == 6);
    }
    g->done = 1;
    return (ptrdiff_t)g->len;
  }
  paylen = g->len - g->hdrlen;
  n = paylen - g->pos < g->seg ? paylen - g->pos : g->seg;
  olen = g->hdrlen + n;
  if (cap < olen) {
    return -1;
  }
  idx = g->pos / g->seg;
  memcpy(out, g->pkt, g->hdrlen);
  memcpy(out + g->hdrlen, g->pkt + g->hdrlen + g->pos, n);
  if (g->family == 4) {
    svr_put_be16(out + 2, (uint16_t)olen);
    svr_put_be16(out + 4, (uint16_t)(svr_get_be16(g->pkt + 4) + idx));
    out[10] = out[11] = 0;
    svr_put_be16(out + 10, svr_cksum(out, g->l3len));
  } else {
    svr_put_be16(out + 4, (uint16_t)(olen - 40));
  }
  l4 = out + g->l4off;
  l4len = olen - g->l4off;
  if (g->proto == 6) {
    svr_put_be32(l4 + 4, svr_get_be32(g->pkt + g->l4off + 4) + (uint32_t)g->pos);
    if (idx > 0) {
      l4[13] &= (uint8_t)~TCP_CWR;
    }
    if (g->pos + n < paylen) {
      l4[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
    }
    if (!g->no_l4_csum) {
      l4[16] = l4[17] = 0;
      sum = pseudo_sum(out, g->family, 6, l4len);
      svr_put_be16(l4 + 16, svr_cksum_finish(csum_add(sum, l4, l4len)));
    }
  } else if (g->no_l4_csum) {
    svr_put_be16(l4 + 4, (uint16_t)l4len);
  } else {
    svr_put_be16(l4 + 4, (uint16_t)l4len);
    l4[6] = l4[7] = 0;
    sum = pseudo_sum(out, g->family, 17, l4len);
    c = svr_cksum_finish(csum_add(sum, l4, l4len));
    svr_put_be16(l4 + 6, c == 0 ? 0xffff : c);
  }
  g->pos += n;
  if (g->pos >= paylen) {
    g->done = 1;
  }
  return (ptrdiff_t)olen;
}

void fwd_gro_init(fwd_gro *g, uint8_t *buf, size_t cap) {
  memset(g, 0, sizeof(*g));
  g->buf = buf;
  g->cap = cap;
}

/* A coalescable TCP segment: *l3 and *hdr get the IP and all-header
 * lengths, *len is trimmed to the IP length.  0, or -1 when it never
 * joins anything. */
static int gro_parse(const uint8_t *p, size_t *len, size_t *l3,
                     size_t *hdr) {
  size_t tot, doff;
  uint8_t flags;
  if (*len < 40) {
    return -1;
  }
  if (p[0] == 0x45) { /* IPv4 without options */
    tot = svr_get_be16(p + 2);
    if (p[9] != 6 || (svr_get_be16(p + 6) & 0x3fff) != 0) {
      return -1;
    }
    *l3 = 20;
  } else if (p[0] >> 4 == 6) {
    if (p[6] != 6 || *len < 60) {
      return -1;
    }
    tot = 40 + (size_t)svr_get_be16(p + 4);
    *l3 = 40;
  } else {
    return -1;
  }
  if (tot > *len || tot < *l3 + 20) {
    return -1;
  }
  *len = tot;
  doff = (size_t)(p[*l3 + 12] >> 4) * 4;
  flags = p[*l3 + 13];
  *hdr = *l3 + doff;
  if (doff < 20 || *hdr >= tot) {
    return -1; /* no payload */
  }
  if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_URG | TCP_CWR)) ||
      !(flags & TCP_ACK)) {
    return -1;
  }
  return 0;
}

int fwd_gro_add(fwd_gro *g, const uint8_t *pkt, size_t len) {
  size_t l3, hdr, pay;
  const uint8_t *a, *b;
  if (gro_parse(pkt, &len, &l3, &hdr) != 0 || len > g->cap ||
      len > IP4_MAX_LEN) {
    return -1;
  }
  pay = len - hdr;
  if (g->len == 0) {
    memcpy(g->buf, pkt, len);
    g->len = len;
    g->l3len = l3;
    g->hdrlen = hdr;
    g->next_seq = svr_get_be32(pkt + l3 + 4) + (uint32_t)pay;
    g->seg = (uint16_t)pay;
    g->nsegs = 1;
    g->closed = (pkt[l3 + 13] & TCP_PSH) != 0;
    return 1;
  }
  if (g->closed || l3 != g->l3len || hdr != g->hdrlen || pay > g->seg ||
      g->len + pay > g->cap || g->len + pay > IP4_MAX_LEN) {
    return 0;
  }
  a = g->buf;
  b = pkt;
  if (l3 == 20) {
    /* version/IHL/TOS, flags/fragment/TTL/protocol, addresses */
    if (a[1] != b[1] || memcmp(a + 6, b + 6, 4) != 0 ||
        memcmp(a + 12, b + 12, 8) != 0) {
      return 0;
    }
  } else if (memcmp(a, b, 4) != 0 || memcmp(a + 6, b + 6, 34) != 0) {
    return 0; /* traffic class, flow label, next header, hops, addresses */
  }
  a += l3;
  b += l3;
  if (memcmp(a, b, 4) != 0 || svr_get_be32(b + 4) != g->next_seq ||
      memcmp(a + 8, b + 8, 5) != 0 || ((a[13] ^ b[13]) & ~TCP_PSH) != 0 ||
      memcmp(a + 20, b + 20, hdr - l3 - 20) != 0) {
    return 0; /* ports, sequence, ACK, data offset, flags, options */
  }
  memcpy(g->buf + g->len, pkt + hdr, pay);
  g->len += pay;
  g->next_seq += (uint32_t)pay;
  g->nsegs++;
  memcpy(g->buf + l3 + 14, b + 14, 2); /* the latest window */
  if ((b[13] & TCP_PSH) || pay < g->seg) {
    g->buf[l3 + 13] |= (uint8_t)(b[13] & TCP_PSH);
    g->closed = 1;
  }
  return 1;
}

size_t fwd_gro_flush(fwd_gro *g, struct virtio_net_hdr *vh) {
  size_t len = g->len;
  uint8_t *p = g->buf;
  memset(vh, 0, sizeof(*vh));
  if (len == 0) {
    return 0;
  }
  if (g->nsegs > 1) {
    int family = p[0] >> 4;
    if (family == 4) {
      svr_put_be16(p + 2, (uint16_t)len);
      p[10] = p[11] = 0;
      svr_put_be16(p + 10, svr_cksum(p, 20));
    } else {
      svr_put_be16(p + 4, (uint16_t)(len - 40));
    }
    svr_put_be16(p + g->l3len + 16,
                 svr_cksum_fold(pseudo_sum(p, family, 6, len - g->l3len)));
    vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh->gso_type = family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4
                               : VIRTIO_NET_HDR_GSO_TCPV6;
    vh->gso_size = g->seg;
    vh->hdr_len = (uint16_t)g->hdrlen;
    vh->csum_start = (uint16_t)g->l3len;
    vh->csum_offset = 16;
  }
  g->len = 0;
  g->nsegs = 0;
  g->closed = 0;
  return len;
}
