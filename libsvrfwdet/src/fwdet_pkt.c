/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Probe packets: building complete IPv4/IPv6 + TCP datagrams, fragmenting
 * them in user space (raw IP_HDRINCL sockets never fragment, raw(7)), and
 * recognising them on the receiving side.
 */
#include <string.h>

#include "fwdet_int.h"
#include "svr_cksum.h"
#include "svr_endian.h"

#define IP4_HDR_LEN 20
#define IP6_HDR_LEN 40
#define IP6_FRAG_HDR_LEN 8
#define TCP_HDR_LEN 20
#define IPPROTO_TCP_NUM 6
#define IP6_NH_FRAGMENT 44

size_t svrfwdet__probe_payload_len(svrfwdet_kind kind) {
  return kind == SVRFWDET_KIND_JUMBO ? SVRFWDET_JUMBO_PAYLOAD
                                     : SVRFWDET_SMALL_PAYLOAD;
}

uint8_t svrfwdet__probe_flags(svrfwdet_kind kind) {
  switch (kind) {
  case SVRFWDET_KIND_SYN:
  case SVRFWDET_KIND_JUMBO:
    return FWDET_TCP_SYN;
  case SVRFWDET_KIND_MIDFLOW:
  case SVRFWDET_KIND_OOO:
  default:
    return FWDET_TCP_ACK | FWDET_TCP_PSH;
  }
}

/* One's-complement sum of the TCP pseudo-header (RFC 9293 section 3.1,
 * RFC 8200 section 8.1). */
static uint32_t pseudo_sum(const svrfwdet_addr *src, const svrfwdet_addr *dst,
                           size_t tcp_len) {
  uint8_t b[8];
  uint32_t sum;
  size_t alen = src->family == 4 ? 4 : 16;
  sum = svr_cksum_add(0, src->addr, alen);
  sum = svr_cksum_add(sum, dst->addr, alen);
  if (src->family == 4) {
    b[0] = 0;
    b[1] = IPPROTO_TCP_NUM;
    svr_put_be16(b + 2, (uint16_t)tcp_len);
    return svr_cksum_add(sum, b, 4);
  }
  svr_put_be32(b, (uint32_t)tcp_len);
  b[4] = b[5] = b[6] = 0;
  b[7] = IPPROTO_TCP_NUM;
  return svr_cksum_add(sum, b, 8);
}

svrfwdet_ssize svrfwdet_probe_encode(uint8_t *buf, size_t buflen,
                                     const svrfwdet_probe *pr) {
  size_t iphl, plen, tcplen, total, i;
  uint8_t *tcp, *pl;
  uint8_t flags;
  uint8_t ttl;
  if (!buf || !pr || (unsigned)pr->kind >= SVRFWDET_NKINDS ||
      (pr->src.family != 4 && pr->src.family != 6) ||
      pr->src.family != pr->dst.family) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  iphl = pr->src.family == 4 ? IP4_HDR_LEN : IP6_HDR_LEN;
  plen = svrfwdet__probe_payload_len(pr->kind);
  tcplen = TCP_HDR_LEN + plen;
  total = iphl + tcplen;
  if (buflen < total) {
    return SVRFWDET_ERR_NOBUF;
  }
  flags = svrfwdet__probe_flags(pr->kind);
  ttl = pr->ttl ? pr->ttl : 64;

  /* IP header */
  memset(buf, 0, iphl);
  if (pr->src.family == 4) {
    buf[0] = 0x45;
    svr_put_be16(buf + 2, (uint16_t)total);
    svr_put_be16(buf + 4, pr->ip_id);
    /* DF on the small probes; the jumbo SYN is fragmented on purpose. */
    svr_put_be16(buf + 6, pr->kind == SVRFWDET_KIND_JUMBO ? 0 : 0x4000);
    buf[8] = ttl;
    buf[9] = IPPROTO_TCP_NUM;
    memcpy(buf + 12, pr->src.addr, 4);
    memcpy(buf + 16, pr->dst.addr, 4);
    svr_put_be16(buf + 10, svr_cksum(buf, IP4_HDR_LEN));
  } else {
    buf[0] = 0x60;
    svr_put_be16(buf + 4, (uint16_t)tcplen);
    buf[6] = IPPROTO_TCP_NUM;
    buf[7] = ttl;
    memcpy(buf + 8, pr->src.addr, 16);
    memcpy(buf + 24, pr->dst.addr, 16);
  }

  /* TCP header: no options, window 65535 */
  tcp = buf + iphl;
  memset(tcp, 0, TCP_HDR_LEN);
  svr_put_be16(tcp, pr->src.port);
  svr_put_be16(tcp + 2, pr->dst.port);
  svr_put_be32(tcp + 4, pr->seq);
  svr_put_be32(tcp + 8, (flags & FWDET_TCP_ACK) ? pr->ack : 0);
  tcp[12] = (TCP_HDR_LEN / 4) << 4;
  tcp[13] = flags;
  svr_put_be16(tcp + 14, 0xffff);

  /* payload: identifier, then a pattern */
  pl = tcp + TCP_HDR_LEN;
  memcpy(pl, FWDET_MAGIC, FWDET_MAGIC_LEN);
  pl[8] = FWDET_ID_VERSION;
  pl[9] = (uint8_t)pr->kind;
  svr_put_be16(pl + 10, (uint16_t)plen);
  svr_put_be32(pl + 12, pr->path_id);
  svr_put_be32(pl + 16, pr->burst);
  memset(pl + 20, 0, 4);
  for (i = SVRFWDET_PROBE_HDR_LEN; i < plen; i++) {
    pl[i] = (uint8_t)(0x20 + i % 95); /* printable, easy to spot in dumps */
  }
  svr_put_be16(tcp + 16,
               svr_cksum_finish(svr_cksum_add(
                   pseudo_sum(&pr->src, &pr->dst, tcplen), tcp, tcplen)));
  return (svrfwdet_ssize)total;
}

svrfwdet_ssize svrfwdet_ip_fragment(uint8_t *buf, size_t buflen,
                                    const uint8_t *d, size_t dlen, size_t mtu,
                                    size_t index) {
  size_t per, off, n, hl;
  int more;
  if (!buf || !d || dlen < 1) {
    return SVRFWDET_ERR_INVALID_ARGUMENT;
  }
  if ((d[0] >> 4) == 4) {
    uint16_t fo;
    if (dlen < IP4_HDR_LEN || d[0] != 0x45 || svr_get_be16(d + 2) != dlen) {
      return SVRFWDET_ERR_INVALID_ARGUMENT;
    }
    if (mtu < FWDET_MIN_MTU_V4) {
      return SVRFWDET_ERR_MTU;
    }
    fo = svr_get_be16(d + 6);
    if (fo & 0x3fff) { /* already a fragment */
      return SVRFWDET_ERR_INVALID_ARGUMENT;
    }
    if (dlen <= mtu) {
      if (index > 0) {
        return 0;
      }
      if (buflen < dlen) {
        return SVRFWDET_ERR_NOBUF;
      }
      memcpy(buf, d, dlen);
      return (svrfwdet_ssize)dlen;
    }
    if (fo & 0x4000) {
      return SVRFWDET_ERR_INVALID_ARGUMENT; /* DF and too big */
    }
    per = (mtu - IP4_HDR_LEN) & ~(size_t)7;
    off = index * per;
    if (off >= dlen - IP4_HDR_LEN) {
      return 0;
    }
    n = dlen - IP4_HDR_LEN - off;
    more = n > per;
    if (more) {
      n = per;
    }
    if (buflen < IP4_HDR_LEN + n) {
      return SVRFWDET_ERR_NOBUF;
    }
    memcpy(buf, d, IP4_HDR_LEN);
    memcpy(buf + IP4_HDR_LEN, d + IP4_HDR_LEN + off, n);
    svr_put_be16(buf + 2, (uint16_t)(IP4_HDR_LEN + n));
    svr_put_be16(buf + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
    svr_put_be16(buf + 10, 0);
    svr_put_be16(buf + 10, svr_cksum(buf, IP4_HDR_LEN));
    return (svrfwdet_ssize)(IP4_HDR_LEN + n);
  }
  if ((d[0] >> 4) == 6) {
    if (dlen < IP6_HDR_LEN ||
        (size_t)svr_get_be16(d + 4) + IP6_HDR_LEN != dlen ||
        d[6] == IP6_NH_FRAGMENT) {
      return SVRFWDET_ERR_INVALID_ARGUMENT;
    }
    if (mtu < FWDET_MIN_MTU_V6) {
      return SVRFWDET_ERR_MTU;
    }
    if (dlen <= mtu) {
      if (index > 0) {
        return 0;
      }
      if (buflen < dlen) {
        return SVRFWDET_ERR_NOBUF;
      }
      memcpy(buf, d, dlen);
      return (svrfwdet_ssize)dlen;
    }
    hl = IP6_HDR_LEN + IP6_FRAG_HDR_LEN;
    per = (mtu - hl) & ~(size_t)7;
    off = index * per;
    if (off >= dlen - IP6_HDR_LEN) {
      return 0;
    }
    n = dlen - IP6_HDR_LEN - off;
    more = n > per;
    if (more) {
      n = per;
    }
    if (buflen < hl + n) {
      return SVRFWDET_ERR_NOBUF;
    }
    memcpy(buf, d, IP6_HDR_LEN);
    buf[6] = IP6_NH_FRAGMENT;
    svr_put_be16(buf + 4, (uint16_t)(IP6_FRAG_HDR_LEN + n));
    buf[40] = d[6]; /* next header of the fragmentable part */
    buf[41] = 0;
    svr_put_be16(buf + 42, (uint16_t)(off | (more ? 1u : 0u)));
    /* identification: "SF", then the low bytes of the TCP source port and
     * of the sequence number, so every probe gets its own and it is stable
     * across the fragments of one datagram */
    svr_put_be16(buf + 44, 0x5346);
    buf[46] = d[IP6_HDR_LEN + 1];
    buf[47] = d[IP6_HDR_LEN + 7];
    memcpy(buf + hl, d + IP6_HDR_LEN + off, n);
    return (svrfwdet_ssize)(hl + n);
  }
  return SVRFWDET_ERR_INVALID_ARGUMENT;
}

int svrfwdet__tcp_parse(svrfwdet_probe_info *info, const uint8_t *tcp,
                        size_t len, size_t seg_total) {
  size_t thl, plen;
  const uint8_t *pl;
  uint16_t dport;
  if (len < TCP_HDR_LEN) {
    return SVRFWDET_ERR_IP_MALFORMED;
  }
  thl = (size_t)(tcp[12] >> 4) * 4;
  if (thl < TCP_HDR_LEN || thl > seg_total) {
    return SVRFWDET_ERR_IP_MALFORMED;
  }
  dport = svr_get_be16(tcp + 2);
  if (dport != SVRFWDET_PORT_A && dport != SVRFWDET_PORT_B) {
    return SVRFWDET_ERR_IP_NOT_PROBE;
  }
  if (len < thl + SVRFWDET_PROBE_HDR_LEN) {
    return SVRFWDET_ERR_IP_NOT_PROBE;
  }
  pl = tcp + thl;
  plen = seg_total - thl;
  if (memcmp(pl, FWDET_MAGIC, FWDET_MAGIC_LEN) != 0 ||
      pl[8] != FWDET_ID_VERSION || pl[9] >= SVRFWDET_NKINDS ||
      svr_get_be16(pl + 10) != plen ||
      plen != svrfwdet__probe_payload_len((svrfwdet_kind)pl[9])) {
    return SVRFWDET_ERR_IP_NOT_PROBE;
  }
  info->kind = (svrfwdet_kind)pl[9];
  info->path_id = svr_get_be32(pl + 12);
  info->burst = svr_get_be32(pl + 16);
  info->tcp_flags = tcp[13];
  info->payload_len = plen;
  info->src.port = svr_get_be16(tcp);
  info->dst.port = dport;
  return 0;
}

int svrfwdet_probe_parse(svrfwdet_probe_info *info, const uint8_t *p,
                         size_t len) {
  svrfwdet_probe_info tmp;
  size_t iphl, total;
  int rv;
  if (!info || !p || len < 1) {
    return SVRFWDET_ERR_IP_MALFORMED;
  }
  memset(&tmp, 0, sizeof(tmp));
  if ((p[0] >> 4) == 4) {
    if (len < IP4_HDR_LEN) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    iphl = (size_t)(p[0] & 0x0f) * 4;
    total = svr_get_be16(p + 2);
    if (iphl < IP4_HDR_LEN || total < iphl || total > len) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    if (p[9] != IPPROTO_TCP_NUM || (svr_get_be16(p + 6) & 0x3fff)) {
      return SVRFWDET_ERR_IP_NOT_PROBE; /* not TCP, or a fragment */
    }
    tmp.src.family = tmp.dst.family = 4;
    memcpy(tmp.src.addr, p + 12, 4);
    memcpy(tmp.dst.addr, p + 16, 4);
  } else if ((p[0] >> 4) == 6) {
    if (len < IP6_HDR_LEN) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    iphl = IP6_HDR_LEN;
    total = IP6_HDR_LEN + (size_t)svr_get_be16(p + 4);
    if (total > len) {
      return SVRFWDET_ERR_IP_MALFORMED;
    }
    if (p[6] != IPPROTO_TCP_NUM) {
      return SVRFWDET_ERR_IP_NOT_PROBE;
    }
    tmp.src.family = tmp.dst.family = 6;
    memcpy(tmp.src.addr, p + 8, 16);
    memcpy(tmp.dst.addr, p + 24, 16);
  } else {
    return SVRFWDET_ERR_IP_MALFORMED;
  }
  rv = svrfwdet__tcp_parse(&tmp, p + iphl, total - iphl, total - iphl);
  if (rv != 0) {
    return rv;
  }
  *info = tmp;
  return 0;
}
