/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ingress: a packet entering the SVR fabric towards a peer.  New flows get a
 * session and a waypoint pair; the packet is rewritten to the waypoints,
 * carries metadata while the handshake needs it, is encrypted, and its TTL
 * padded.  Layouts: docs/libsvrfwd.md sections 3-5.
 */
#include <string.h>

#include "fwd_int.h"
#include "svr_cksum.h"
#include "svr_meta.h"

#define FWD_META_MAX 600

static void copy_name(char *dst, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n > SVRFWD_NAME_MAX) {
    n = SVRFWD_NAME_MAX;
  }
  memcpy(dst, src ? src : "", n);
  dst[n] = '\0';
}

static svrfwd_bytes name_bytes(const char *s) {
  svrfwd_bytes b;
  b.p = (const uint8_t *)s;
  b.len = (uint16_t)strlen(s);
  return b;
}

static int create_session(svrfwd_ctx *ctx, const fwd_pkt *pp,
                          const svrfwd_route *route, svrfwd_tstamp ts,
                          svrfwd_session **ps) {
  svrfwd_peer *peer = route->peer;
  svrfwd_session *s;
  svrfwd_wpalloc *wa;
  uint16_t self_port, peer_port;
  uint8_t outer_proto;
  int transformed, rv;
  size_t alen = pp->flow.family == 6 ? 16 : 4;

  if (!peer || peer->ctx != ctx) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (peer->cfg.local_waypoint.family != pp->flow.family) {
    return SVRFWD_ERR_PKT_UNSUPPORTED;
  }
  if (peer->cfg.cipher != SVRFWD_CIPHER_NONE && peer->active < 0) {
    return SVRFWD_ERR_NO_KEY;
  }
  if (ctx->stats.sessions >= ctx->settings.max_sessions) {
    return SVRFWD_ERR_PKT_SESSIONS_FULL;
  }
  /* ICMP echo always rides UDP (docs/libsvrfwd.md section 6): a waypoint
   * pair is a pair of ports, and ICMP has none */
  transformed = (pp->flow.proto == 6 && peer->transform) ||
                fwd_proto_is_icmp(pp->flow.proto);
  outer_proto = transformed ? 17 : pp->flow.proto;
  wa = outer_proto == 6 ? peer->wp_tcp : peer->wp_udp;
  if (svrfwd_wpalloc_alloc(wa, &self_port, &peer_port, ts) != 0) {
    return SVRFWD_ERR_PKT_WAYPOINTS;
  }
  rv = svrfwd__session_new(ctx, peer, &s);
  if (rv != 0) {
    svrfwd_wpalloc_free(wa, self_port, peer_port, ts);
    return rv;
  }
  ctx->cb.rand(s->uuid, 16, ctx->user_data);
  s->uuid[6] = (uint8_t)((s->uuid[6] & 0x0f) | 0x40); /* RFC 4122 v4 */
  s->uuid[8] = (uint8_t)((s->uuid[8] & 0x3f) | 0x80);
  s->originator = 1;
  s->meta_tx = 1;
  s->transformed = (uint8_t)transformed;
  s->orig_proto = pp->flow.proto;
  s->self_port = self_port;
  s->peer_port = peer_port;
  s->wp_own = wa;
  s->lan.key = pp->flow;
  memset(&s->wan.key, 0, sizeof(s->wan.key));
  s->wan.key.family = pp->flow.family;
  s->wan.key.proto = outer_proto;
  memcpy(s->wan.key.src, peer->cfg.remote_waypoint.addr, alen);
  memcpy(s->wan.key.dst, peer->cfg.local_waypoint.addr, alen);
  s->wan.key.sport = peer_port;
  s->wan.key.dport = self_port;
  copy_name(s->tenant, route->tenant);
  copy_name(s->service, route->service);
  copy_name(s->peer_router, peer->name);
  if (svrfwd__table_find(&ctx->table, &s->wan.key, FWD_KEY_WAN) ||
      svrfwd__table_find(&ctx->table, &s->wan.key, FWD_KEY_WAN_OLD)) {
    svrfwd_wpalloc_free(wa, self_port, peer_port, ts);
    svrfwd__session_discard(ctx, s);
    return SVRFWD_ERR_PKT_COLLISION;
  }
  svrfwd__session_link(ctx, s, ts);
  *ps = s;
  return 0;
}

/* Fills the metadata of the next packet of |s| (forward or reverse). */
void svrfwd__build_meta(const svrfwd_ctx *ctx, const svrfwd_session *s,
                        svrfwd_cipher c, uint32_t key_id, uint64_t seq,
                        uint16_t l4cksum, svrfwd_tstamp ts, svrfwd_meta *m) {
  memset(m, 0, sizeof(*m));
  if (c != SVRFWD_CIPHER_NONE) {
    m->present |= SVRFWD_META_SECURITY_ID | SVRFWD_META_SEQ |
                  SVRFWD_META_UUID | SVRFWD_META_ENCRYPTED |
                  SVRFWD_META_L4_CKSUM;
    m->in_header |= SVRFWD_META_SECURITY_ID | SVRFWD_META_SEQ |
                    SVRFWD_META_UUID;
    m->security_id = key_id;
    m->seq = seq;
    m->l4_cksum = l4cksum;
    if (c != SVRFWD_CIPHER_AES256_GCM) {
      m->present |= SVRFWD_META_TIME;
      m->in_header |= SVRFWD_META_TIME;
      m->time_ms = ts / SVRFWD_MILLISECONDS;
    }
  } else {
    m->present |= SVRFWD_META_UUID;
  }
  memcpy(m->uuid, s->uuid, 16);
  if (ctx->router_name[0]) {
    m->present |= SVRFWD_META_SOURCE_ROUTER;
    m->source_router = name_bytes(ctx->router_name);
  }
  if (s->originator) {
    m->present |= SVRFWD_META_FWD_CTX | SVRFWD_META_TENANT |
                  SVRFWD_META_SERVICE;
    m->fwd_ctx = s->lan.key;
    m->tenant = name_bytes(s->tenant);
    m->service = name_bytes(s->service);
    if (s->transformed && s->orig_proto == 6) {
      m->present |= SVRFWD_META_TCP_SYN;
    }
  } else {
    m->present |= SVRFWD_META_REV_CTX | SVRFWD_META_DISABLE_FWD;
    m->rev_ctx = s->lan.key;
  }
}

/* The exact length of |pp| when it leaves ingress: metadata (|mbuf|,
 * |mlen|) or the fast-path prefix, the UDP header of a carried TCP/ICMP
 * session, the ciphertext with its padding and tag. */
static size_t wire_len(const fwd_pkt *pp, const svrfwd_session *s,
                       svrfwd_cipher c, const uint8_t *mbuf, size_t mlen) {
  size_t ol4 = s->transformed ? 8 : pp->l4hlen;
  size_t region = pp->len - pp->l3len + (s->transformed ? 8 : 0) + mlen - ol4;
  size_t aad, pt;
  if (c == SVRFWD_CIPHER_NONE) {
    return pp->l3len + ol4 + region;
  }
  aad = mbuf ? (size_t)(svr_get_be16(mbuf + 8) & 0x0fff)
             : svrfwd__prefix_len(c);
  pt = region - aad;
  if (c == SVRFWD_CIPHER_AES256_GCM) {
    return pp->l3len + ol4 + aad + pt + FWD_GCM_TAG;
  }
  return pp->l3len + ol4 + aad + pt + (16 - pt % 16) + FWD_HMAC_TAG;
}

int svrfwd_ctx_ingress(svrfwd_ctx *ctx, svrfwd_buf *buf,
                       const svrfwd_route *route, svrfwd_session **psession,
                       svrfwd_tstamp ts) {
  fwd_pkt pp;
  fwd_hnode *hn;
  svrfwd_session *s;
  svrfwd_peer *peer;
  svrfwd_cipher c;
  uint8_t mbuf[FWD_META_MAX];
  size_t mlen = 0, grow, hmove, plen, tagroom, newlen;
  uint8_t *ip, *nip, *gap, *data;
  uint16_t orig_cksum;
  const fwd_peer_key *tk = NULL;
  fwd_skey *sk = NULL;
  uint64_t seq = 0;
  int rv, with_meta, marker = 0, partial;
  uint8_t tcpfl;
  size_t inner_len;

  if (!ctx || !buf || !buf->base || buf->off > buf->cap ||
      buf->len > buf->cap - buf->off) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  ip = buf->base + buf->off;
  rv = svrfwd__pkt_parse(&pp, ip, buf->len);
  if (rv != 0) {
    return svrfwd__drop(ctx, rv);
  }
  hn = svrfwd__table_find(&ctx->table, &pp.flow, FWD_KEY_LAN);
  if (hn) {
    s = (svrfwd_session *)(void *)((char *)hn - offsetof(svrfwd_session, lan));
  } else {
    if (fwd_proto_is_icmp(pp.flow.proto) &&
        !fwd_icmp_is_request(pp.flow.proto, pp.icmp_type)) {
      /* only an echo request opens an ICMP session, never a reply */
      return svrfwd__drop(ctx, SVRFWD_ERR_PKT_NO_SESSION);
    }
    if (!route) {
      /* a question to the host (which route?), not a drop: the host
       * calls again with one, or counts its own refusal */
      return SVRFWD_ERR_PKT_NO_SESSION;
    }
    rv = create_session(ctx, &pp, route, ts, &s);
    if (rv != 0) {
      return rv <= -300 ? svrfwd__drop(ctx, rv) : rv;
    }
  }
  peer = s->peer;
  c = peer->cfg.cipher;
  tcpfl = pp.tcp_flags;
  inner_len = pp.len;
  with_meta = s->meta_tx;
  orig_cksum = svr_get_be16(pp.l4 + svrfwd__l4_cksum_off(pp.flow.proto));
  data = pp.l4 + pp.l4hlen;
  plen = pp.len - pp.l3len - pp.l4hlen;

  if (c != SVRFWD_CIPHER_NONE) {
    tk = svrfwd__peer_tx_key(peer);
    if (!tk) {
      return SVRFWD_ERR_NO_KEY;
    }
    rv = svrfwd__session_key(s, tk->id, 1, ts, &sk);
    if (rv != 0) {
      return rv <= -300 ? svrfwd__drop(ctx, rv) : rv;
    }
    seq = s->tx_seq + 1;
  }
  if (with_meta) {
    svrfwd_meta m;
    svrfwd_ssize n;
    svrfwd__build_meta(ctx, s, c, tk ? tk->id : 0, seq, orig_cksum, ts, &m);
    n = svrfwd_meta_encode(mbuf, sizeof(mbuf), &m, NULL);
    if (n < 0) {
      return SVRFWD_ERR_NOBUF;
    }
    mlen = (size_t)n;
  } else if (c != SVRFWD_CIPHER_NONE) {
    mlen = svrfwd__prefix_len(c) + 2;
  } else if (!s->transformed && svr_meta_has_cookie(data, plen)) {
    /* false-positive marker: the payload itself starts with the cookie */
    svr_meta_hdr_encode(mbuf, SVR_META_HDR_LEN, 0);
    mlen = SVR_META_HDR_LEN;
    marker = 1;
  }
  grow = mlen + (s->transformed ? 8 : 0);
  tagroom = c == SVRFWD_CIPHER_NONE ? 0 : svrfwd__tag_len(c) + 16;
  if (buf->off < grow || buf->cap - buf->off - pp.len < tagroom) {
    return SVRFWD_ERR_NOBUF;
  }
  newlen = pp.len + grow + (c == SVRFWD_CIPHER_NONE ? 0 : tagroom);
  if (newlen > 65535 + (pp.flow.family == 6 ? 40 : 0)) {
    return svrfwd__drop(ctx, SVRFWD_ERR_PKT_TOO_BIG);
  }
  if (peer->path_mtu && pp.flow.family == 4 &&
      (svr_get_be16(pp.ip + 6) & 0x4000)) {
    if (pp.len + svrfwd__session_overhead(s) > peer->path_mtu) {
      /* DF set and too big for the path even on the fast path (RFC 1191):
       * the buffer is untouched, so the host can quote it in an ICMP
       * "fragmentation needed" */
      if (psession) {
        *psession = s;
      }
      return svrfwd__drop(ctx, SVRFWD_ERR_PKT_PATH_MTU);
    }
    if (with_meta &&
        wire_len(&pp, s, c, mbuf, mlen) > peer->path_mtu) {
      /* Only the metadata of the first round trip makes it too big: the
       * packet goes without DF and the network fragments it, rather than
       * the host learning an MTU that is too small for the whole session
       * (the peer reassembles; docs/libsvrfwd.md section 8). */
      uint16_t fo = svr_get_be16(pp.ip + 6);
      uint16_t nf = (uint16_t)(fo & ~0x4000u);
      svr_put_be16(pp.ip + 6, nf);
      svr_put_be16(pp.ip + 10,
                   svr_cksum_update16(svr_get_be16(pp.ip + 10), fo, nf));
    }
  }
  if (s->orig_proto == 6 && (tcpfl & 0x02) && peer->path_mtu) {
    /* SYN or SYN-ACK, either direction: clamp the MSS option (RFC 6691) */
    uint16_t oc = orig_cksum;
    svrfwd__tcp_clamp_mss(&pp, svrfwd__mss_limit(s));
    orig_cksum = svr_get_be16(pp.l4 + 16);
    if (with_meta && c != SVRFWD_CIPHER_NONE && orig_cksum != oc) {
      /* the original checksum travels in the metadata: encode it again */
      svrfwd_meta m;
      svrfwd__build_meta(ctx, s, c, tk->id, seq, orig_cksum, ts, &m);
      if (svrfwd_meta_encode(mbuf, sizeof(mbuf), &m, NULL) !=
          (svrfwd_ssize)mlen) {
        return SVRFWD_ERR_NOBUF;
      }
    }
  }

  /* Make room: move the headers into the headroom. */
  hmove = s->transformed ? pp.l3len : pp.l3len + pp.l4hlen;
  nip = ip - grow;
  memmove(nip, ip, hmove);
  pp.ip = nip;
  if (s->transformed) {
    /* new UDP header; the TCP header rides as payload */
    pp.l4 = nip + pp.l3len;
    pp.l4hlen = 8;
    memcpy(pp.l4, pp.l4 + 8 + mlen, 4); /* ports, rewritten below */
    memset(pp.l4 + 4, 0, 4);
    svrfwd__pkt_set_proto(&pp, 17);
    pp.tcp_flags = 0;
  } else {
    pp.l4 = nip + pp.l3len;
  }
  gap = pp.l4 + pp.l4hlen;
  newlen = pp.len + grow;

  if (c != SVRFWD_CIPHER_NONE) {
    uint8_t *pt;
    size_t aadlen;
    svrfwd_ssize ct;
    if (with_meta) {
      memcpy(gap, mbuf, mlen);
      aadlen = svr_get_be16(gap + 8) & 0x0fff;
    } else {
      aadlen = svrfwd__prefix_len(c);
      svr_put_be32(gap, tk->id);
      svr_put_be64(gap + 4, seq);
      if (c != SVRFWD_CIPHER_AES256_GCM) {
        svr_put_be64(gap + 12, ts / SVRFWD_MILLISECONDS);
      }
      svr_put_be16(gap + aadlen, orig_cksum);
    }
    pt = gap + aadlen;
    ct = svrfwd__seal(sk, c, seq, s->originator ? 0 : 1, gap, aadlen, pt,
                      (size_t)(nip + newlen - pt));
    if (ct < 0) {
      return (int)ct;
    }
    s->tx_seq = seq;
    newlen = (size_t)(pt - nip) + (size_t)ct;
  } else if (mlen) {
    memcpy(gap, mbuf, mlen);
  }
  svrfwd__pkt_set_len(&pp, newlen);
  partial = ctx->l4_csum_partial &&
            (pp.flow.proto == 6 || pp.flow.proto == 17);
  if (c == SVRFWD_CIPHER_NONE && grow == 0 &&
      !(partial && !(pp.flow.proto == 17 && svr_get_be16(pp.l4 + 6) == 0))) {
    svrfwd__pkt_rewrite(&pp, &s->to_peer, 1); /* RFC 1624 */
  } else if (c == SVRFWD_CIPHER_NONE && grow == 0) {
    /* offload: the rewritten addresses and ports are summed by whoever
     * completes it */
    svrfwd__pkt_rewrite(&pp, &s->to_peer, 0);
    svrfwd__pkt_l4_cksum_partial(&pp);
  } else {
    svrfwd__pkt_rewrite(&pp, &s->to_peer, 0);
    if (pp.flow.proto == 17 && pp.flow.family == 4 &&
        c != SVRFWD_CIPHER_NONE) {
      /* IPv4 UDP may omit the checksum; the AEAD tag covers the payload */
      svr_put_be16(pp.l4 + 6, 0);
    } else if (partial) {
      svrfwd__pkt_l4_cksum_partial(&pp);
    } else {
      svrfwd__pkt_l4_cksum(&pp);
    }
  }
  if (peer->cfg.ttl_mode != SVRFWD_TTL_OFF) {
    unsigned pad = peer->cfg.ttl_mode == SVRFWD_TTL_FIXED
                       ? peer->cfg.ttl_padding
                       : peer->hops;
    unsigned ttl = svrfwd__pkt_ttl(&pp) + pad;
    svrfwd__pkt_set_ttl(&pp, (uint8_t)(ttl > 255 ? 255 : ttl));
  }
  svrfwd__session_touch(s, tcpfl, 1, ts);
  buf->off = (size_t)(nip - buf->base);
  buf->len = newlen;
  s->tx_packets++;
  s->tx_bytes += inner_len;
  ctx->stats.ingress_packets++;
  ctx->stats.ingress_bytes += inner_len;
  if (with_meta) {
    ctx->stats.meta_tx++;
  }
  if (marker) {
    ctx->stats.false_positive_tx++;
  }
  if (psession) {
    *psession = s;
  }
  return 0;
}
