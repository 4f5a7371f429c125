/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Waypoint port allocator, one per peer path and protocol.
 *
 * The pair space is the product of our port set S and the peer's port set
 * P.  Pair index k maps to (S[k mod |S|], P[(k div |S| + k mod |S|) mod |P|]),
 * a bijection on [0, |S||P|) that moves both ports at every step, so
 * consecutive sessions differ in both ports.  Only the first
 * min(max_waypoints, |S||P|) indices are ever used: fresh indices are handed
 * out first, then freed ones in the order they were freed (round-robin),
 * each only once its quarantine has passed.  Freed indices wait in a FIFO
 * ring whose entries are in time order, so allocate and free are O(1).
 *
 * Glare: both routers of a pair allocate from the same two waypoint
 * addresses.  Default rule (product): even ports for self, odd for the peer,
 * so the two sides' pairs differ in parity.  Range rule (ours): the router
 * with the lower address takes only the lower half of its own range for
 * itself, the other router gives it only the upper half; the two sides'
 * pairs differ in that port.
 */
#include <string.h>

#include "fwd_int.h"

#define WP_DEFAULT_FIRST SVRFWD_WP_DEFAULT_FIRST
#define WP_DEFAULT_LAST SVRFWD_WP_DEFAULT_LAST

struct svrfwd_wpalloc {
  svrfwd_mem mem;
  uint32_t s0, sstep, ns;
  uint32_t p0, pstep, np;
  uint64_t limit;
  uint64_t next_fresh;
  uint64_t in_use;
  svrfwd_duration quarantine_ns;
  uint32_t *ring_idx;
  svrfwd_tstamp *ring_ready;
  uint64_t head, count;
};

static int range_ok(uint16_t a, uint16_t b) {
  return a >= 1025 && b >= a;
}

int svrfwd_wpalloc_new(svrfwd_wpalloc **pwa, const svrfwd_wp_config *cfg,
                       const svrfwd_mem *mem) {
  svrfwd_wpalloc *wa;
  uint64_t space;
  if (!pwa || !cfg || cfg->max_waypoints == 0) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (!mem) {
    mem = svrfwd__mem_default();
  }
  wa = svrfwd__calloc(mem, 1, sizeof(*wa));
  if (!wa) {
    return SVRFWD_ERR_NOMEM;
  }
  wa->mem = *mem;
  if (cfg->self_start_port == 0) {
    /* even for self, odd for the peer */
    wa->s0 = WP_DEFAULT_FIRST + 1;
    wa->sstep = 2;
    wa->ns = (WP_DEFAULT_LAST - 1 - wa->s0) / 2 + 1;
    wa->p0 = WP_DEFAULT_FIRST;
    wa->pstep = 2;
    wa->np = (WP_DEFAULT_LAST - wa->p0) / 2 + 1;
  } else {
    uint16_t ps = cfg->peer_start_port, pe = cfg->peer_end_port;
    uint32_t nself, npeer;
    if (ps == 0) {
      ps = cfg->self_start_port;
      pe = cfg->self_end_port;
    }
    if (!range_ok(cfg->self_start_port, cfg->self_end_port) ||
        !range_ok(ps, pe)) {
      svrfwd__free(mem, wa);
      return SVRFWD_ERR_PORT_RANGE;
    }
    nself = (uint32_t)cfg->self_end_port - cfg->self_start_port + 1;
    npeer = (uint32_t)pe - ps + 1;
    wa->sstep = wa->pstep = 1;
    if (cfg->lower) {
      if (nself < 2) {
        svrfwd__free(mem, wa);
        return SVRFWD_ERR_PORT_RANGE;
      }
      wa->s0 = cfg->self_start_port;
      wa->ns = nself / 2;
      wa->p0 = ps;
      wa->np = npeer;
    } else {
      if (npeer < 2) {
        svrfwd__free(mem, wa);
        return SVRFWD_ERR_PORT_RANGE;
      }
      wa->s0 = cfg->self_start_port;
      wa->ns = nself;
      wa->p0 = ps + npeer / 2;
      wa->np = npeer - npeer / 2;
    }
  }
  space = (uint64_t)wa->ns * wa->np;
  wa->limit = cfg->max_waypoints < space ? cfg->max_waypoints : space;
  wa->quarantine_ns = cfg->quarantine_ns;
  wa->ring_idx = svrfwd__malloc(mem, (size_t)wa->limit * sizeof(uint32_t));
  wa->ring_ready = svrfwd__malloc(mem,
                                  (size_t)wa->limit * sizeof(svrfwd_tstamp));
  if (!wa->ring_idx || !wa->ring_ready) {
    svrfwd_wpalloc_del(wa);
    return SVRFWD_ERR_NOMEM;
  }
  *pwa = wa;
  return 0;
}

void svrfwd_wpalloc_del(svrfwd_wpalloc *wa) {
  svrfwd_mem mem;
  if (!wa) {
    return;
  }
  mem = wa->mem;
  svrfwd__free(&mem, wa->ring_idx);
  svrfwd__free(&mem, wa->ring_ready);
  svrfwd__free(&mem, wa);
}

int svrfwd_wpalloc_alloc(svrfwd_wpalloc *wa, uint16_t *self_port,
                         uint16_t *peer_port, svrfwd_tstamp ts) {
  uint64_t k, i, q;
  if (wa->in_use >= wa->limit) {
    return SVRFWD_ERR_WAYPOINTS_EXHAUSTED;
  }
  if (wa->next_fresh < wa->limit) {
    k = wa->next_fresh++;
  } else if (wa->count > 0 && wa->ring_ready[wa->head] <= ts) {
    k = wa->ring_idx[wa->head];
    wa->head = (wa->head + 1) % wa->limit;
    wa->count--;
  } else {
    return SVRFWD_ERR_WAYPOINTS_QUARANTINE;
  }
  i = k % wa->ns;
  q = k / wa->ns;
  *self_port = (uint16_t)(wa->s0 + i * wa->sstep);
  *peer_port = (uint16_t)(wa->p0 + ((q + i) % wa->np) * wa->pstep);
  wa->in_use++;
  return 0;
}

int svrfwd_wpalloc_free(svrfwd_wpalloc *wa, uint16_t self_port,
                        uint16_t peer_port, svrfwd_tstamp ts) {
  uint64_t i, j, q, k;
  if (self_port < wa->s0 || (self_port - wa->s0) % wa->sstep ||
      peer_port < wa->p0 || (peer_port - wa->p0) % wa->pstep) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  i = (uint64_t)(self_port - wa->s0) / wa->sstep;
  j = (uint64_t)(peer_port - wa->p0) / wa->pstep;
  if (i >= wa->ns || j >= wa->np) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  q = (j + wa->np - i % wa->np) % wa->np;
  k = q * wa->ns + i;
  if (k >= wa->next_fresh || wa->in_use == 0 || wa->count >= wa->limit) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  {
    uint64_t tail = (wa->head + wa->count) % wa->limit;
    wa->ring_idx[tail] = (uint32_t)k;
    wa->ring_ready[tail] =
        ts > UINT64_MAX - wa->quarantine_ns ? UINT64_MAX : ts + wa->quarantine_ns;
    wa->count++;
  }
  wa->in_use--;
  return 0;
}

size_t svrfwd_wpalloc_in_use(const svrfwd_wpalloc *wa) {
  return (size_t)wa->in_use;
}
