/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 reassembly for the data plane (fwd_reasm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fwd_reasm.h"
#include "svr_cksum.h"
#include "svr_endian.h"

int fwd_reasm_init(fwd_reasm *r, uint64_t timeout_ns) {
  size_t i;
  memset(r, 0, sizeof(*r));
  r->timeout_ns = timeout_ns;
  for (i = 0; i < FWD_REASM_SLOTS; i++) {
    r->slot[i].buf = malloc(FWD_REASM_MAX);
    if (r->slot[i].buf == NULL) {
      fwd_reasm_free(r);
      return -1;
    }
  }
  return 0;
}

void fwd_reasm_free(fwd_reasm *r) {
  size_t i;
  for (i = 0; i < FWD_REASM_SLOTS; i++) {
    free(r->slot[i].buf);
    r->slot[i].buf = NULL;
  }
}

int fwd_reasm_is_fragment(const uint8_t *ip, size_t len) {
  return len >= 20 && (ip[0] >> 4) == 4 &&
         (svr_get_be16(ip + 6) & 0x3fff) != 0;
}

static void slot_reset(fwd_reasm_slot *s) {
  uint8_t *buf = s->buf;
  memset(s, 0, sizeof(*s));
  s->buf = buf;
}

static int block_get(const fwd_reasm_slot *s, size_t b) {
  return (s->blocks[b / 8] >> (b % 8)) & 1;
}

static void block_set(fwd_reasm_slot *s, size_t b) {
  s->blocks[b / 8] = (uint8_t)(s->blocks[b / 8] | (1u << (b % 8)));
}

/* The slot of this datagram, or a free one (the oldest when all are
 * taken), after expiring old ones. */
static fwd_reasm_slot *find(fwd_reasm *r, const uint8_t *ip, uint64_t now) {
  fwd_reasm_slot *free_slot = NULL, *oldest = NULL;
  size_t i;
  for (i = 0; i < FWD_REASM_SLOTS; i++) {
    fwd_reasm_slot *s = &r->slot[i];
    if (s->used && now - s->first_ns > r->timeout_ns) {
      slot_reset(s);
      r->timed_out++;
    }
    if (!s->used) {
      if (free_slot == NULL) {
        free_slot = s;
      }
      continue;
    }
    if (s->id == svr_get_be16(ip + 4) && s->proto == ip[9] &&
        memcmp(s->src, ip + 12, 4) == 0 && memcmp(s->dst, ip + 16, 4) == 0) {
      return s;
    }
    if (oldest == NULL || s->first_ns < oldest->first_ns) {
      oldest = s;
    }
  }
  if (free_slot == NULL) {
    free_slot = oldest;
    slot_reset(free_slot);
    r->evicted++;
  }
  free_slot->used = 1;
  free_slot->first_ns = now;
  free_slot->id = svr_get_be16(ip + 4);
  free_slot->proto = ip[9];
  memcpy(free_slot->src, ip + 12, 4);
  memcpy(free_slot->dst, ip + 16, 4);
  return free_slot;
}

static ptrdiff_t bad(fwd_reasm *r, fwd_reasm_slot *s) {
  if (s) {
    slot_reset(s);
  }
  r->bad++;
  return -1;
}

ptrdiff_t fwd_reasm_add(fwd_reasm *r, const uint8_t *ip, size_t len,
                        uint64_t now_ns, uint8_t *out, size_t cap) {
  fwd_reasm_slot *s;
  size_t ihl, tot, off, plen, b, first, last, room;
  uint16_t fo;
  int more;
  if (len < 20 || (ip[0] >> 4) != 4) {
    return bad(r, NULL);
  }
  ihl = (size_t)(ip[0] & 15) * 4;
  tot = svr_get_be16(ip + 2);
  if (ihl < 20 || tot < ihl || tot > len) {
    return bad(r, NULL);
  }
  fo = svr_get_be16(ip + 6);
  more = (fo & 0x2000) != 0;
  off = (size_t)(fo & 0x1fff) * 8;
  plen = tot - ihl;
  /* every fragment but the last carries a multiple of 8 bytes (RFC 791) */
  if ((more && (plen == 0 || plen % 8)) || off + plen > FWD_REASM_MAX - ihl) {
    return bad(r, NULL);
  }
  r->fragments++;
  s = find(r, ip, now_ns);
  room = FWD_REASM_MAX - 60; /* payload is kept at offset 60 */
  if (off + plen > room) {
    return bad(r, s);
  }
  if (!more) {
    if (s->total && s->total != off + plen) {
      return bad(r, s); /* two different last fragments */
    }
    s->total = off + plen;
  } else if (s->total && off + plen > s->total) {
    return bad(r, s);
  }
  if (off == 0) {
    s->hdrlen = ihl;
    memcpy(s->buf, ip, ihl);
  }
  /* payload at 60 (the largest header) until the header is known: simpler
   * to keep it there always and move the header next to it at the end */
  first = off / 8;
  last = (off + plen + 7) / 8;
  for (b = first; b < last; b++) {
    if (block_get(s, b)) {
      /* an overlap: identical bytes (a duplicate) are fine */
      size_t bo = b * 8, n = bo + 8 <= off + plen ? 8 : off + plen - bo;
      if (memcmp(s->buf + 60 + bo, ip + ihl + (bo - off), n) != 0) {
        return bad(r, s);
      }
    } else {
      block_set(s, b);
      s->have += 8;
    }
  }
  memcpy(s->buf + 60 + off, ip + ihl, plen);
  if (!s->total || !s->hdrlen || s->have < s->total) {
    return 0;
  }
  /* the last block may be short: every block up to total is set */
  for (b = 0; b < (s->total + 7) / 8; b++) {
    if (!block_get(s, b)) {
      return 0;
    }
  }
  if (cap < s->hdrlen + s->total) {
    return bad(r, s);
  }
  memcpy(out, s->buf, s->hdrlen);
  memcpy(out + s->hdrlen, s->buf + 60, s->total);
  tot = s->hdrlen + s->total;
  svr_put_be16(out + 2, (uint16_t)tot);
  svr_put_be16(out + 6, (uint16_t)(svr_get_be16(out + 6) & 0x4000)); /* DF */
  out[10] = out[11] = 0;
  svr_put_be16(out + 10, svr_cksum(out, s->hdrlen));
  slot_reset(s);
  r->completed++;
  return (ptrdiff_t)tot;
}
