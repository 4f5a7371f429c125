/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4/IPv6 + TCP/UDP/ICMP echo header parsing and rewriting, with RFC 1624
 * incremental checksum updates for address and port changes.
 *
 * ICMP echo (RFC 792 types 8/0; RFC 4443 ICMPv6 128/129) is a flow keyed by
 * its identifier: the identifier stands in both port fields of the key, so
 * the reply (addresses swapped, same identifier) matches the swapped key.
 * Other ICMP messages (errors, timestamps, ...) are refused.
 */
#include <string.h>

#include "fwd_int.h"
#include "svr_cksum.h"
#include "svr_endian.h"

int svrfwd__pkt_parse(fwd_pkt *pp, uint8_t *ip, size_t len) {
  size_t l3, l4h;
  uint8_t proto;
  memset(&pp->flow, 0, sizeof(pp->flow));
  if (len < 1) {
    return SVRFWD_ERR_PKT_MALFORMED;
  }
  if ((ip[0] >> 4) == 4) {
    size_t tot;
    if (len < 20) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    l3 = (size_t)(ip[0] & 0x0f) * 4;
    tot = svr_get_be16(ip + 2);
    if (l3 < 20 || tot < l3 || tot > len) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    len = tot;
    if (svr_get_be16(ip + 6) & 0x3fff) { /* MF or offset: a fragment */
      return SVRFWD_ERR_PKT_UNSUPPORTED;
    }
    proto = ip[9];
    pp->flow.family = 4;
    memcpy(pp->flow.src, ip + 12, 4);
    memcpy(pp->flow.dst, ip + 16, 4);
  } else if ((ip[0] >> 4) == 6) {
    size_t plen;
    if (len < 40) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    plen = svr_get_be16(ip + 4);
    if (40 + plen > len) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    len = 40 + plen;
    l3 = 40;
    proto = ip[6]; /* extension headers are not supported */
    pp->flow.family = 6;
    memcpy(pp->flow.src, ip + 8, 16);
    memcpy(pp->flow.dst, ip + 24, 16);
  } else {
    return SVRFWD_ERR_PKT_MALFORMED;
  }
  if (proto == 17) {
    l4h = 8;
    if (len - l3 < 8) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    if (svr_get_be16(ip + l3 + 4) != len - l3) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    pp->tcp_flags = 0;
  } else if (proto == 6) {
    if (len - l3 < 20) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    l4h = (size_t)(ip[l3 + 12] >> 4) * 4;
    if (l4h < 20 || l4h > len - l3) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    pp->tcp_flags = ip[l3 + 13];
  } else if ((proto == FWD_PROTO_ICMP && pp->flow.family == 4) ||
             (proto == FWD_PROTO_ICMPV6 && pp->flow.family == 6)) {
    uint8_t type;
    if (len - l3 < 8) {
      return SVRFWD_ERR_PKT_MALFORMED;
    }
    type = ip[l3];
    if (!fwd_icmp_is_echo(proto, type)) {
      return SVRFWD_ERR_PKT_UNSUPPORTED; /* errors and other messages */
    }
    l4h = 8;
    pp->tcp_flags = 0;
    pp->icmp_type = type;
  } else {
    return SVRFWD_ERR_PKT_UNSUPPORTED;
  }
  pp->ip = ip;
  pp->len = len;
  pp->l3len = l3;
  pp->l4 = ip + l3;
  pp->l4hlen = l4h;
  pp->flow.proto = proto;
  if (fwd_proto_is_icmp(proto)) {
    /* the identifier in both port fields (RFC 792 echo layout) */
    pp->flow.sport = pp->flow.dport = svr_get_be16(pp->l4 + 4);
  } else {
    pp->icmp_type = 0;
    pp->flow.sport = svr_get_be16(pp->l4);
    pp->flow.dport = svr_get_be16(pp->l4 + 2);
  }
  return 0;
}

size_t svrfwd__l4_cksum_off(uint8_t proto) {
  return proto == 6 ? 16 : (fwd_proto_is_icmp(proto) ? 2 : 6);
}

/* RFC 1624 eqn. 3 over many words at once: the sum of ~old + new for the
 * address words (one's complement addition is associative, so one fold at
 * the end gives the same checksum as one update per word). */
static uint32_t delta_addr(uint32_t sum, const uint8_t *o, const uint8_t *n,
                           size_t alen) {
  size_t i;
  for (i = 0; i < alen; i += 2) {
    sum += (uint32_t)(uint16_t)~svr_get_be16(o + i) + svr_get_be16(n + i);
  }
  return sum;
}

static uint16_t apply_delta(uint16_t c, uint32_t delta) {
  return (uint16_t)~svr_cksum_fold((uint32_t)(uint16_t)~c + delta);
}

void svrfwd__pkt_rewrite(fwd_pkt *pp, const svrfwd_flow *f, int l4cksum) {
  size_t alen = pp->flow.family == 6 ? 16 : 4;
  uint8_t *src = pp->flow.family == 6 ? pp->ip + 8 : pp->ip + 12;
  uint8_t *dst = src + alen;
  uint8_t *ck = pp->l4 + svrfwd__l4_cksum_off(pp->flow.proto);
  int icmp = fwd_proto_is_icmp(pp->flow.proto);
  uint32_t da = delta_addr(delta_addr(0, src, f->src, alen), dst, f->dst,
                           alen); /* at most 16 words: no overflow */
  if (l4cksum && !(pp->flow.proto == 17 && svr_get_be16(ck) == 0)) {
    uint32_t d;
    uint16_t c;
    if (icmp) {
      /* one identifier field; ICMPv4 has no pseudo header (RFC 792),
       * ICMPv6 has (RFC 4443 section 2.3) */
      d = (pp->flow.proto == FWD_PROTO_ICMP ? 0 : da) +
          (uint16_t)~pp->flow.sport + f->sport;
    } else {
      d = da + (uint16_t)~pp->flow.sport + f->sport +
          (uint16_t)~pp->flow.dport + f->dport;
    }
    c = apply_delta(svr_get_be16(ck), d);
    if (pp->flow.proto == 17 && c == 0) {
      c = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
    }
    svr_put_be16(ck, c);
  }
  if (pp->flow.family == 4) {
    svr_put_be16(pp->ip + 10, apply_delta(svr_get_be16(pp->ip + 10), da));
  }
  memcpy(src, f->src, alen);
  memcpy(dst, f->dst, alen);
  if (icmp) {
    svr_put_be16(pp->l4 + 4, f->sport); /* the identifier */
  } else {
    svr_put_be16(pp->l4, f->sport);
    svr_put_be16(pp->l4 + 2, f->dport);
  }
  memcpy(pp->flow.src, f->src, alen);
  memcpy(pp->flow.dst, f->dst, alen);
  pp->flow.sport = f->sport;
  pp->flow.dport = f->dport;
}

void svrfwd__pkt_set_len(fwd_pkt *pp, size_t newlen) {
  if (pp->flow.family == 4) {
    uint16_t c = svr_get_be16(pp->ip + 10);
    c = svr_cksum_update16(c, svr_get_be16(pp->ip + 2), (uint16_t)newlen);
    svr_put_be16(pp->ip + 2, (uint16_t)newlen);
    svr_put_be16(pp->ip + 10, c);
  } else {
    svr_put_be16(pp->ip + 4, (uint16_t)(newlen - 40));
  }
  if (pp->flow.proto == 17) {
    svr_put_be16(pp->l4 + 4, (uint16_t)(newlen - pp->l3len));
  }
  pp->len = newlen;
}

void svrfwd__pkt_set_proto(fwd_pkt *pp, uint8_t proto) {
  if (pp->flow.family == 4) {
    uint16_t c = svr_get_be16(pp->ip + 10);
    c = svr_cksum_update16(c, (uint16_t)((pp->ip[8] << 8) | pp->ip[9]),
                           (uint16_t)((pp->ip[8] << 8) | proto));
    pp->ip[9] = proto;
    svr_put_be16(pp->ip + 10, c);
  } else {
    pp->ip[6] = proto;
  }
  pp->flow.proto = proto;
}

uint8_t svrfwd__pkt_ttl(const fwd_pkt *pp) {
  return pp->flow.family == 4 ? pp->ip[8] : pp->ip[7];
}

void svrfwd__pkt_set_ttl(fwd_pkt *pp, uint8_t ttl) {
  if (pp->flow.family == 4) {
    uint16_t c = svr_get_be16(pp->ip + 10);
    c = svr_cksum_update16(c, (uint16_t)((pp->ip[8] << 8) | pp->ip[9]),
                           (uint16_t)((ttl << 8) | pp->ip[9]));
    pp->ip[8] = ttl;
    svr_put_be16(pp->ip + 10, c);
  } else {
    pp->ip[7] = ttl;
  }
}

void svrfwd__pkt_l4_cksum(fwd_pkt *pp) {
  size_t alen = pp->flow.family == 6 ? 16 : 4;
  size_t l4len = pp->len - pp->l3len;
  uint8_t *ck = pp->l4 + svrfwd__l4_cksum_off(pp->flow.proto);
  uint8_t ph[4];
  uint32_t s;
  uint16_t c;
  s = 0;
  if (pp->flow.proto != FWD_PROTO_ICMP) { /* ICMPv4: no pseudo header */
    s = svr_cksum_add(0, pp->flow.family == 6 ? pp->ip + 8 : pp->ip + 12,
                      2 * alen);
    svr_put_be16(ph, 0);
    ph[2] = 0;
    ph[3] = pp->flow.proto;
    s = svr_cksum_add(s, ph, 4);
    svr_put_be16(ph, (uint16_t)(l4len >> 16));
    svr_put_be16(ph + 2, (uint16_t)l4len);
    s = svr_cksum_add(s, ph, 4);
  }
  svr_put_be16(ck, 0);
  s = svr_cksum_add(s, pp->l4, l4len);
  c = svr_cksum_finish(s);
  if (pp->flow.proto == 17 && c == 0) {
    c = 0xffff;
  }
  svr_put_be16(ck, c);
}

void svrfwd__pkt_l4_cksum_partial(fwd_pkt *pp) {
  size_t alen = pp->flow.family == 6 ? 16 : 4;
  size_t l4len = pp->len - pp->l3len;
  uint32_t s;
  s = svr_cksum_add(0, pp->flow.family == 6 ? pp->ip + 8 : pp->ip + 12,
                    2 * alen);
  s += pp->flow.proto + (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
  svr_put_be16(pp->l4 + svrfwd__l4_cksum_off(pp->flow.proto),
               svr_cksum_fold(s));
}

/* RFC 1624 eqn. 3 for bytes [off, off + 2) of the L4 segment at |l4| that
 * become |nb|: the update runs over the aligned 16-bit words around them,
 * so a field at an odd offset (after a single NOP) is right too. */
static void patch16(uint8_t *l4, size_t off, const uint8_t nb[2],
                    uint8_t *ck) {
  size_t a = off & ~(size_t)1, e = (off + 3) & ~(size_t)1, i;
  uint32_t sum = (uint16_t)~svr_get_be16(ck);
  for (i = a; i < e; i += 2) {
    sum += (uint16_t)~svr_get_be16(l4 + i);
  }
  l4[off] = nb[0];
  l4[off + 1] = nb[1];
  for (i = a; i < e; i += 2) {
    sum += svr_get_be16(l4 + i);
  }
  svr_put_be16(ck, (uint16_t)~svr_cksum_fold(sum));
}

int svrfwd__tcp_clamp_mss(fwd_pkt *pp, uint16_t limit) {
  uint8_t *o = pp->l4 + 20, *end = pp->l4 + pp->l4hlen;
  while (o < end) {
    size_t olen;
    if (o[0] == 0) { /* end of option list */
      break;
    }
    if (o[0] == 1) { /* NOP */
      o++;
      continue;
    }
    if (end - o < 2 || o[1] < 2 || o[1] > end - o) {
      break; /* malformed options: leave them alone */
    }
    olen = o[1];
    if (o[0] == 2 && olen == 4) { /* MSS, RFC 793 */
      uint8_t nb[2];
      if (svr_get_be16(o + 2) <= limit) {
        return 0; /* never raised */
      }
      svr_put_be16(nb, limit);
      patch16(pp->l4, (size_t)(o + 2 - pp->l4), nb, pp->l4 + 16);
      return 1;
    }
    o += olen;
  }
  return 0; /* no MSS option: the peer assumes 536 (RFC 879), left as is */
}
