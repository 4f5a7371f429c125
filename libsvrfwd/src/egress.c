/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Egress: a packet from a peer on a waypoint.  The cookie is checked first,
 * then integrity and replay; first-packet metadata creates the mirrored
 * session once the packet verified (a forged first packet allocates and
 * changes nothing but its drop counter), and metadata of a known session
 * on a new tuple moves it (migrate.c); metadata (or the fast-path crypto
 * prefix, or a false-positive marker) is stripped and the original 5-tuple
 * and checksum restored.
 */
#include <string.h>

#include "fwd_int.h"
#include "svr_meta.h"

static void copy_bytes(char *dst, svrfwd_bytes b) {
  size_t n = b.len > SVRFWD_NAME_MAX ? SVRFWD_NAME_MAX : b.len;
  if (n) {
    memcpy(dst, b.p, n);
  }
  dst[n] = '\0';
}

/* Verifies time and replay, then opens; |aad| precedes |ct|.  |s| is the
 * session, or NULL for a first packet (the session |uuid| of |peer| that
 * does not exist yet).  Changes nothing but the packet: a key no slot of
 * |s| holds is derived into the peer's probe, and *pkey says which key
 * opened it, for svrfwd__rx_key_commit() once the packet is accepted. */
static int open_checked(svrfwd_ctx *ctx, svrfwd_peer *peer,
                        const svrfwd_session *s, const uint8_t uuid[16],
                        uint32_t key_id, uint64_t seq, uint64_t time_ms,
                        const uint8_t *aad, size_t aadlen, uint8_t *ct,
                        size_t ctlen, svrfwd_tstamp ts, fwd_skey **pkey,
                        size_t *ptlen) {
  svrfwd_cipher c = peer->cfg.cipher;
  fwd_skey *sk;
  svrfwd_ssize n;
  int rv;
  if (!s) {
    if (seq == 0) {
      return SVRFWD_ERR_PKT_REPLAY; /* sequences start at 1 */
    }
  } else if ((rv = svrfwd__replay_check(s, seq)) != 0) {
    return rv;
  }
  if (c != SVRFWD_CIPHER_AES256_GCM) {
    uint64_t now_ms = ts / SVRFWD_MILLISECONDS;
    uint64_t win_ms = ctx->settings.hmac_window_ns / SVRFWD_MILLISECONDS;
    uint64_t d = now_ms > time_ms ? now_ms - time_ms : time_ms - now_ms;
    if (d > win_ms) {
      return SVRFWD_ERR_PKT_STALE;
    }
  }
  if ((rv = svrfwd__rx_key(peer, s, uuid, key_id, ts, &sk)) != 0) {
    return rv;
  }
  /* direction 0 = from the originator; a new session's peer is it */
  n = svrfwd__open(sk, c, seq, s && s->originator ? 1 : 0, aad, aadlen, ct,
                   ctlen);
  if (n < 0) {
    return (int)n;
  }
  *pkey = sk;
  *ptlen = (size_t)n;
  return 0;
}

/* The mirrored session that verified first-packet metadata describes:
 * checks it and fills |mi| without creating anything. */
typedef struct mirror_info {
  uint8_t orig_proto;
  uint8_t transformed;
  svrfwd_flow lan;
} mirror_info;

static int mirror_check(svrfwd_ctx *ctx, const fwd_pkt *pp,
                        const svrfwd_meta *m, mirror_info *mi) {
  uint8_t orig_proto;
  if (!(m->present & SVRFWD_META_FWD_CTX) || !(m->present & SVRFWD_META_UUID)) {
    return SVRFWD_ERR_PKT_META_MISSING;
  }
  orig_proto = m->fwd_ctx.proto;
  if (m->fwd_ctx.family != pp->flow.family ||
      (orig_proto != 6 && orig_proto != 17 &&
       orig_proto != (pp->flow.family == 4 ? FWD_PROTO_ICMP
                                           : FWD_PROTO_ICMPV6))) {
    return SVRFWD_ERR_PKT_UNSUPPORTED;
  }
  mi->transformed = 0;
  if (m->present & SVRFWD_META_TCP_SYN) {
    if (orig_proto != 6 || pp->flow.proto != 17) {
      return SVRFWD_ERR_PKT_META_TLV;
    }
    mi->transformed = 1;
  } else if (fwd_proto_is_icmp(orig_proto)) {
    /* ICMP echo rides UDP; its key has the identifier in both ports */
    if (pp->flow.proto != 17 || m->fwd_ctx.sport != m->fwd_ctx.dport) {
      return SVRFWD_ERR_PKT_META_TLV;
    }
    mi->transformed = 1;
  } else if (orig_proto != pp->flow.proto) {
    return SVRFWD_ERR_PKT_META_TLV;
  }
  mi->orig_proto = orig_proto;
  svrfwd__flow_swap(&mi->lan, &m->fwd_ctx);
  if (svrfwd__table_find(&ctx->table, &mi->lan, FWD_KEY_LAN)) {
    return SVRFWD_ERR_PKT_COLLISION;
  }
  return 0;
}

/* Fills the new session |s| from the checked metadata. */
static void mirror_fill(svrfwd_session *s, const fwd_pkt *pp,
                        const svrfwd_meta *m, const mirror_info *mi) {
  s->transformed = mi->transformed;
  s->orig_proto = mi->orig_proto;
  s->wan.key = pp->flow;
  s->lan.key = mi->lan;
  s->originator = 0;
  s->meta_tx = 1; /* reverse metadata until a forward packet comes without */
  memcpy(s->uuid, m->uuid, 16); /* without encryption it is a payload TLV */
  copy_bytes(s->tenant, m->tenant);
  copy_bytes(s->service, m->service);
  copy_bytes(s->peer_router, m->source_router);
}

int svrfwd_ctx_egress(svrfwd_ctx *ctx, svrfwd_buf *buf,
                      svrfwd_session **psession, svrfwd_tstamp ts) {
  fwd_pkt pp;
  fwd_hnode *hn;
  svrfwd_session *s = NULL, *fresh = NULL;
  svrfwd_peer *peer, *path = NULL;
  svrfwd_cipher c;
  svrfwd_meta m;
  fwd_skey *rxkey = NULL;
  int first = 0; /* first packet of a session that does not exist yet */
  uint8_t *ip, *pay, *data, *nip;
  size_t plen, dlen, hmove, newlen;
  uint16_t orig_cksum = 0;
  int rv, have_cksum = 0, had_meta = 0, marker = 0, stripped = 0;
  int via_old = 0, moved = 0, carried;

  if (!ctx || !buf || !buf->base || buf->off > buf->cap ||
      buf->len > buf->cap - buf->off) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  ip = buf->base + buf->off;
  rv = svrfwd__pkt_parse(&pp, ip, buf->len);
  if (rv != 0) {
    return svrfwd__drop(ctx, rv);
  }
  if (pp.flow.proto != 6 && pp.flow.proto != 17) {
    /* waypoints: TCP/UDP */
    return svrfwd__drop(ctx, SVRFWD_ERR_PKT_UNSUPPORTED);
  }
  pay = pp.l4 + pp.l4hlen;
  plen = pp.len - pp.l3len - pp.l4hlen;
  hn = svrfwd__table_find(&ctx->table, &pp.flow, FWD_KEY_WAN);
  if (hn) {
    s = (svrfwd_session *)(void *)((char *)hn - offsetof(svrfwd_session, wan));
  } else if ((hn = svrfwd__table_find(&ctx->table, &pp.flow,
                                      FWD_KEY_WAN_OLD))) {
    /* the peer has not switched to the pair we moved to yet */
    s = (svrfwd_session *)(void *)((char *)hn -
                                   offsetof(svrfwd_session, wan_old));
    via_old = 1;
  }
  if (s) {
    peer = s->peer;
  } else {
    if (!svr_meta_has_cookie(pay, plen)) {
      return svrfwd__drop(ctx, SVRFWD_ERR_PKT_NO_SESSION);
    }
    peer = svrfwd__peer_find(ctx, pp.flow.dst, pp.flow.src, pp.flow.family);
    if (!peer) {
      return svrfwd__drop(ctx, SVRFWD_ERR_PKT_UNKNOWN_PEER);
    }
  }
  c = peer->cfg.cipher;
  data = pay;
  dlen = plen;

  if (svr_meta_has_cookie(pay, plen)) {
    svr_meta_hdr h;
    rv = svr_meta_hdr_decode(&h, pay, plen);
    if (rv != SVR_META_OK) {
      return svrfwd__drop(ctx, svrfwd__meta_map_err(rv));
    }
    memset(&m, 0, sizeof(m));
    rv = svrfwd__meta_tlvs(&m, h.hdr_tlvs, h.hdr_tlvs_len, 1);
    if (rv != 0) {
      return svrfwd__drop(ctx, rv);
    }
    if (h.hdr_len == SVR_META_HDR_LEN && h.payload_len == 0 &&
        c == SVRFWD_CIPHER_NONE) {
      /* false-positive marker: only on an existing session */
      if (!s) {
        return svrfwd__drop(ctx, SVRFWD_ERR_PKT_NO_SESSION);
      }
      data = pay + SVR_META_HDR_LEN;
      dlen = plen - SVR_META_HDR_LEN;
      marker = 1;
    } else {
      const uint8_t *ptlvs;
      size_t pt_avail;
      if (!s) {
        svrfwd_session *known = NULL;
        if (c == SVRFWD_CIPHER_NONE) {
          /* plaintext: the UUID is among the payload TLVs */
          svrfwd_meta pm;
          memset(&pm, 0, sizeof(pm));
          if (svrfwd__meta_tlvs(&pm, h.payload_tlvs, h.payload_len, 0) == 0 &&
              (pm.present & SVRFWD_META_UUID)) {
            known = svrfwd__session_by_uuid(ctx, pm.uuid);
          }
        } else if (m.present & SVRFWD_META_UUID) {
          known = svrfwd__session_by_uuid(ctx, m.uuid);
        }
        if (known) {
          /* a session we know on a tuple we do not: it may have moved to
           * another path or pair (migrate.c); verified like any packet of
           * it (its keys, its replay window) before anything changes */
          if (known->peer->cfg.cipher != c ||
              known->lan.key.family != pp.flow.family) {
            return svrfwd__drop(ctx, SVRFWD_ERR_PKT_UNSUPPORTED);
          }
          if (c != SVRFWD_CIPHER_NONE &&
              (m.present & SVRFWD_META_SECURITY_ID) &&
              !svrfwd__peer_has_key(peer, m.security_id)) {
            return svrfwd__drop(ctx, SVRFWD_ERR_PKT_KEY_UNKNOWN);
          }
          path = peer;
          s = known;
          peer = s->peer;
        } else {
          /* nothing is created before the packet verified */
          first = 1;
        }
      }
      if (c != SVRFWD_CIPHER_NONE) {
        uint32_t need = SVRFWD_META_SECURITY_ID | SVRFWD_META_SEQ |
                        SVRFWD_META_UUID;
        size_t ptlen = 0;
        if (c != SVRFWD_CIPHER_AES256_GCM) {
          need |= SVRFWD_META_TIME;
        }
        if ((m.in_header & need) != need) {
          return svrfwd__drop(ctx, SVRFWD_ERR_PKT_META_MISSING);
        }
        if (!first && memcmp(m.uuid, s->uuid, 16) != 0) {
          return svrfwd__drop(ctx, SVRFWD_ERR_PKT_COLLISION);
        }
        rv = open_checked(ctx, peer, first ? NULL : s, m.uuid, m.security_id,
                          m.seq, m.time_ms, pay, h.hdr_len, pay + h.hdr_len,
                          plen - h.hdr_len, ts, &rxkey, &ptlen);
        if (rv != 0) {
          return rv <= -300 ? svrfwd__drop(ctx, rv) : rv;
        }
        if (h.payload_len > ptlen) {
          return svrfwd__drop(ctx, SVRFWD_ERR_PKT_META_PAYLEN);
        }
        ptlvs = pay + h.hdr_len;
        pt_avail = ptlen;
      } else {
        ptlvs = h.payload_tlvs;
        pt_avail = plen - h.hdr_len;
      }
      rv = svrfwd__meta_tlvs(&m, ptlvs, h.payload_len, 0);
      if (rv != 0) {
        return svrfwd__drop(ctx, rv);
      }
      if (c != SVRFWD_CIPHER_NONE) {
        if (!(m.present & SVRFWD_META_L4_CKSUM)) {
          return svrfwd__drop(ctx, SVRFWD_ERR_PKT_META_MISSING);
        }
        orig_cksum = m.l4_cksum;
        have_cksum = 1;
      }
      if (first) {
        /* verified and complete: only now the session is made */
        mirror_info mi;
        rv = mirror_check(ctx, &pp, &m, &mi);
        if (rv != 0) {
          return svrfwd__drop(ctx, rv);
        }
        if (ctx->stats.sessions >= ctx->settings.max_sessions) {
          return svrfwd__drop(ctx, SVRFWD_ERR_PKT_SESSIONS_FULL);
        }
        if ((rv = svrfwd__session_new(ctx, peer, &fresh)) != 0) {
          return rv;
        }
        s = fresh;
        mirror_fill(s, &pp, &m, &mi);
        if (rxkey && (rv = svrfwd__rx_key_commit(s, rxkey)) != 0) {
          goto fail;
        }
      } else {
        if (path && (rv = svrfwd__migrate_check(s, &pp, &m)) != 0) {
          return svrfwd__drop(ctx, rv);
        }
        /* accepted: a key the session did not hold yet joins it */
        if (rxkey && (rv = svrfwd__rx_key_commit(s, rxkey)) != 0) {
          return rv;
        }
        if (path) {
          /* Move only on the newest packet (a late one must not move it
           * back), and an originator waiting for the ack of its own move
           * keeps its pair: the originator's choice wins. */
          moved = !(s->originator && s->moving) &&
                  (c == SVRFWD_CIPHER_NONE || m.seq > s->rx_top);
          if (moved && s->originator) {
            if (m.present & SVRFWD_META_DISABLE_FWD) {
              s->meta_tx = 0; /* the peer has our context */
            }
          } else if (moved) {
            s->meta_tx = 1; /* answer with reverse metadata on the new pair */
          }
        } else if (s->originator && (m.present & SVRFWD_META_DISABLE_FWD)) {
          if (!via_old) {
            s->meta_tx = 0; /* handshake complete */
            s->moving = 0;
          }
        } else if (!s->originator) {
          s->meta_tx = 1; /* forward metadata again: answer with reverse */
        }
      }
      if (c != SVRFWD_CIPHER_NONE) {
        svrfwd__replay_update(s, m.seq);
      }
      data = (uint8_t *)ptlvs + h.payload_len;
      dlen = pt_avail - h.payload_len;
      had_meta = 1;
      if (fresh) {
        svrfwd__session_link(ctx, s, ts);
        fresh = NULL;
      }
      if (moved) {
        svrfwd__migrate_adopt(ctx, s, path, &pp, ts);
      }
    }
  } else if (c != SVRFWD_CIPHER_NONE) {
    size_t pre = svrfwd__prefix_len(c), ptlen = 0;
    uint64_t seq, tms = 0;
    if (plen < pre + 2 + svrfwd__tag_len(c)) {
      return svrfwd__drop(ctx, SVRFWD_ERR_PKT_AUTH);
    }
    seq = svr_get_be64(pay + 4);
    if (c != SVRFWD_CIPHER_AES256_GCM) {
      tms = svr_get_be64(pay + 12);
    }
    rv = open_checked(ctx, peer, s, s->uuid, svr_get_be32(pay), seq, tms,
                      pay, pre, pay + pre, plen - pre, ts, &rxkey, &ptlen);
    if (rv != 0) {
      return svrfwd__drop(ctx, rv);
    }
    if (ptlen < 2) {
      return svrfwd__drop(ctx, SVRFWD_ERR_PKT_AUTH);
    }
    if ((rv = svrfwd__rx_key_commit(s, rxkey)) != 0) {
      return rv;
    }
    svrfwd__replay_update(s, seq);
    orig_cksum = svr_get_be16(pay + pre);
    have_cksum = 1;
    data = pay + pre + 2;
    dlen = ptlen - 2;
  }
  stripped = data != pay || dlen != plen;
  if (!via_old && !path) {
    if (!had_meta && !s->originator) {
      s->meta_tx = 0; /* a forward packet without metadata: peer got ours */
    }
    if (s->wan_old_on) {
      svrfwd__migrate_retire_old(ctx, s, ts); /* the peer uses the new pair */
    }
  }

  /* Rebuild: move the headers up against the data.  Whether the inner L4
   * header rides in a UDP payload is read from this packet: one that came
   * on the previous pair may still be in the previous path's form. */
  carried = pp.flow.proto != s->orig_proto;
  hmove = carried ? pp.l3len : pp.l3len + pp.l4hlen;
  if ((size_t)(data - ip) < hmove) {
    return svrfwd__drop(ctx, SVRFWD_ERR_PKT_MALFORMED);
  }
  nip = data - hmove;
  memmove(nip, ip, hmove);
  newlen = hmove + dlen;
  pp.ip = nip;
  pp.l4 = nip + pp.l3len;
  if (carried) {
    fwd_pkt tp;
    svrfwd__pkt_set_proto(&pp, s->orig_proto);
    svrfwd__pkt_set_len(&pp, newlen);
    rv = svrfwd__pkt_parse(&tp, nip, newlen);
    if (rv != 0) {
      return svrfwd__drop(ctx, rv);
    }
    pp = tp;
    /* the TCP or ICMP header travelled untouched: with the original
     * addresses back, its checksum is right again */
    svrfwd__pkt_rewrite(&pp, &s->to_host, 0);
  } else {
    svrfwd__pkt_set_len(&pp, newlen);
    if (have_cksum) {
      svrfwd__pkt_rewrite(&pp, &s->to_host, 0);
      svr_put_be16(pp.l4 + svrfwd__l4_cksum_off(pp.flow.proto), orig_cksum);
    } else if (stripped) {
      svrfwd__pkt_rewrite(&pp, &s->to_host, 0);
      svrfwd__pkt_l4_cksum(&pp);
    } else {
      svrfwd__pkt_rewrite(&pp, &s->to_host, 1); /* RFC 1624 */
    }
  }
  svrfwd__session_touch(s, pp.tcp_flags, 0, ts);
  buf->off = (size_t)(nip - buf->base);
  buf->len = newlen;
  s->rx_packets++;
  s->rx_bytes += newlen;
  ctx->stats.egress_packets++;
  ctx->stats.egress_bytes += newlen;
  if (had_meta) {
    ctx->stats.meta_rx++;
  }
  if (marker) {
    ctx->stats.false_positive_rx++;
  }
  if (psession) {
    *psession = s;
  }
  return 0;

fail:
  if (fresh) {
    svrfwd__session_discard(ctx, fresh);
  }
  return rv <= -300 ? svrfwd__drop(ctx, rv) : rv;
}
