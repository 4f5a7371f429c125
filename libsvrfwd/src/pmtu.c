/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Path MTU on a peer path (docs/libsvrfwd.md section 8): what a packet
 * grows by on the path, the TCP MSS clamp applied to SYNs at ingress, and
 * the ICMP "fragmentation needed" a host sends back for a DF packet that
 * ingress refused because it would not fit the path.
 */
#include <string.h>

#include "fwd_int.h"
#include "svr_cksum.h"
#include "svr_endian.h"
#include "svr_meta.h"

/*
 * What a fast-path packet (no metadata) grows by: the crypto prefix, the
 * original L4 checksum and the tag, with the worst-case PKCS#7 padding (16)
 * in the CBC modes; with cipher none, the 12-byte false-positive marker a
 * payload that begins with the cookie gets (never for a carried session,
 * section 2).  Plus the UDP header of a UDP-carried TCP or ICMP session.
 */
static size_t fast_overhead(svrfwd_cipher c, int carried) {
  size_t n;
  switch (c) {
  case SVRFWD_CIPHER_AES256_GCM:
    n = FWD_PREFIX_GCM + 2 + FWD_GCM_TAG;
    break;
  case SVRFWD_CIPHER_NONE:
    n = carried ? 0 : SVR_META_HDR_LEN;
    break;
  default:
    n = FWD_PREFIX_CBC + 2 + 16 + FWD_HMAC_TAG;
    break;
  }
  return n + (carried ? 8 : 0);
}

int svrfwd_peer_set_path_mtu(svrfwd_peer *peer, uint32_t mtu_bytes) {
  uint32_t min;
  if (!peer) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  /* RFC 791 (every IPv4 host takes 576) and RFC 8200 section 5 (1280) */
  min = peer->cfg.local_waypoint.family == 6 ? 1280 : 576;
  if (mtu_bytes != 0 && (mtu_bytes < min || mtu_bytes > 65535)) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  peer->path_mtu = mtu_bytes;
  return 0;
}

svrfwd_ssize svrfwd_peer_overhead(const svrfwd_peer *peer, uint8_t proto) {
  int carried;
  if (!peer) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (proto == 6) {
    carried = peer->transform;
  } else if (proto == 17) {
    carried = 0;
  } else if (proto == (peer->cfg.local_waypoint.family == 6 ? FWD_PROTO_ICMPV6
                                                            : FWD_PROTO_ICMP)) {
    carried = 1;
  } else {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  return (svrfwd_ssize)fast_overhead(peer->cfg.cipher, carried);
}

size_t svrfwd__session_overhead(const svrfwd_session *s) {
  return fast_overhead(s->peer->cfg.cipher, s->transformed);
}

uint16_t svrfwd__mss_limit(const svrfwd_session *s) {
  /* RFC 879 / RFC 6691: MSS = MTU - fixed IP header - fixed TCP header;
   * the path MTU is at least 576 (1280), so this is positive */
  size_t iph = s->lan.key.family == 6 ? 40 : 20;
  return (uint16_t)(s->peer->path_mtu - iph - 20 - svrfwd__session_overhead(s));
}

svrfwd_ssize svrfwd_session_frag_needed(const svrfwd_session *s,
                                        const uint8_t *pkt, size_t pktlen,
                                        const uint8_t src[4], uint8_t *out,
                                        size_t outlen) {
  size_t ihl, tot, quote, need, over;
  uint32_t mtu;
  if (!s || !pkt || !src || (!out && outlen)) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (pktlen < 20 || (pkt[0] >> 4) != 4 || s->peer->path_mtu == 0) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  ihl = (size_t)(pkt[0] & 0x0f) * 4;
  tot = svr_get_be16(pkt + 2);
  if (ihl < 20 || tot < ihl || tot > pktlen) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  /* RFC 792: the internet header plus the first 64 bits of the data */
  quote = ihl + (tot - ihl < 8 ? tot - ihl : 8);
  need = 20 + 8 + quote;
  if (!out || outlen < need) {
    return SVRFWD_ERR_NOBUF;
  }
  /* the fast path's growth: a first-round-trip packet that only its
   * metadata makes too big is sent without DF instead (ingress) */
  over = svrfwd__session_overhead(s);
  /* RFC 1191 section 4: the next-hop MTU, here the inner packet size that
   * fits the path; never below the IPv4 minimum of 68 (RFC 791) */
  mtu = s->peer->path_mtu > over + 68 ? s->peer->path_mtu - (uint32_t)over
                                      : 68;
  memset(out, 0, 28);
  out[0] = 0x45;
  svr_put_be16(out + 2, (uint16_t)need);
  out[8] = 64;
  out[9] = FWD_PROTO_ICMP;
  memcpy(out + 12, src, 4);
  memcpy(out + 16, pkt + 12, 4); /* back to the original source */
  svr_put_be16(out + 10, svr_cksum(out, 20));
  out[20] = 3; /* destination unreachable */
  out[21] = 4; /* fragmentation needed and DF set */
  svr_put_be16(out + 26, (uint16_t)mtu);
  memcpy(out + 28, pkt, quote);
  svr_put_be16(out + 22, svr_cksum(out + 20, 8 + quote));
  return (svrfwd_ssize)need;
}
