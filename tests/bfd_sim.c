/* SPDX-License-Identifier: BSD-2-Clause */
/* In-memory simulated network for libsvrbfd tests (see bfd_sim.h). */
#include "bfd_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svr_test.h"

static void sim_rand(uint8_t *dest, size_t len, void *user_data) {
  bfd_sim_node *n = user_data;
  size_t i;
  for (i = 0; i < len; i++) {
    dest[i] = (uint8_t)(svr_test_rand(&n->sim->rng) >> 24);
  }
}

static void sim_event(bfd_sim_node *n, int kind, int a, int b, int diag,
                      uint64_t ts) {
  if (n->nev < BFD_SIM_EVMAX) {
    bfd_sim_event *e = &n->ev[n->nev++];
    e->ts = ts;
    e->kind = kind;
    e->a = a;
    e->b = b;
    e->diag = diag;
  }
}

static int sim_state_cb(svrbfd_ctx *ctx, svrbfd_session *s, svrbfd_state o,
                        svrbfd_state nw, svrbfd_diag diag, svrbfd_tstamp ts,
                        void *user_data) {
  bfd_sim_node *n = user_data;
  (void)ctx;
  (void)s;
  sim_event(n, 0, (int)o, (int)nw, (int)diag, ts);
  if (getenv("BFD_SIM_TRACE")) {
    fprintf(stderr, "%llu.%06llu node%d %d->%d diag %d (peer loss run %d)\n",
            (unsigned long long)(ts / 1000000000u),
            (unsigned long long)(ts % 1000000000u / 1000u), n->idx, (int)o,
            (int)nw, (int)diag, n->sim->node[1 - n->idx].loss_run);
  }
  n->last_state = (int)nw;
  if (nw == SVRBFD_STATE_UP) {
    n->last_up_at = ts;
  }
  if (o == SVRBFD_STATE_UP) {
    n->last_down_at = ts;
    n->downs++;
    if (diag == SVRBFD_DIAG_CTL_DETECT_EXPIRED) {
      n->downs_detect++;
      if (n->sim->node[1 - n->idx].last_state == SVRBFD_STATE_UP) {
        n->downs_primary++;
      }
    }
  }
  return 0;
}

static int sim_status_cb(svrbfd_ctx *ctx, svrbfd_session *s, int up,
                         svrbfd_tstamp ts, void *user_data) {
  bfd_sim_node *n = user_data;
  (void)ctx;
  (void)s;
  sim_event(n, 1, 0, up, 0, ts);
  n->status_up = up;
  return 0;
}

static int sim_remote_cb(svrbfd_ctx *ctx, svrbfd_session *s,
                         const svrbfd_addr *before, const svrbfd_addr *now,
                         svrbfd_tstamp ts, void *user_data) {
  bfd_sim_node *n = user_data;
  (void)ctx;
  (void)s;
  sim_event(n, 2, before->port, now->port, 0, ts);
  return 0;
}

void bfd_sim_init(bfd_sim *sim, uint64_t seed) {
  int i;
  memset(sim, 0, sizeof(*sim));
  sim->rng = seed;
  sim->rx_ttl = -1;
  sim->q = calloc(BFD_SIM_QMAX, sizeof(*sim->q));
  for (i = 0; i < 2; i++) {
    bfd_sim_node *n = &sim->node[i];
    svrbfd_callbacks cb;
    svrbfd_settings st;
    memset(&cb, 0, sizeof(cb));
    cb.rand = sim_rand;
    cb.session_state = sim_state_cb;
    cb.path_status = sim_status_cb;
    cb.remote_changed = sim_remote_cb;
    svrbfd_settings_default(&st);
    st.router_name = i == 0 ? "r0" : "r1";
    st.node_name = i == 0 ? "n0" : "n1";
    n->sim = sim;
    n->idx = i;
    n->last_state = SVRBFD_STATE_DOWN;
    n->addr.family = 4;
    n->addr.port = SVRBFD_PORT_SVR;
    n->addr.addr[0] = 10;
    n->addr.addr[3] = (uint8_t)(1 + i);
    if (svrbfd_ctx_new(&n->ctx, &cb, &st, NULL, n) != 0) {
      abort();
    }
    sim->delay_ns[i] = 10 * SVRBFD_MILLISECONDS;
  }
}

void bfd_sim_free(bfd_sim *sim) {
  svrbfd_ctx_del(sim->node[0].ctx);
  svrbfd_ctx_del(sim->node[1].ctx);
  free(sim->q);
}

svrbfd_session *bfd_sim_session(bfd_sim *sim, int i,
                                svrbfd_session_config *cfg) {
  svrbfd_session *s = NULL;
  cfg->local = sim->node[i].addr;
  cfg->remote = sim->node[1 - i].addr;
  if (cfg->mode == SVRBFD_MODE_RFC5881) {
    cfg->local.port = 0;
    cfg->remote.port = 0;
  }
  if (svrbfd_session_new(sim->node[i].ctx, &s, cfg, NULL, sim->now) != 0) {
    return NULL;
  }
  return s;
}

static void sim_enqueue(bfd_sim *sim, int from, const svrbfd_path *path,
                        const uint8_t *data, size_t len) {
  bfd_sim_node *n = &sim->node[from];
  bfd_sim_pkt *p;
  int lost;
  n->sent++;
  lost = sim->cut ||
         (svr_test_rand(&sim->rng) % 1000000u) < (uint64_t)sim->loss_ppm[from];
  if (lost) {
    n->dropped++;
    if (++n->loss_run == 3) {
      n->loss_runs3++;
    }
    return;
  }
  n->loss_run = 0;
  if (sim->nq >= BFD_SIM_QMAX) {
    abort();
  }
  p = &sim->q[sim->nq++];
  p->at = sim->now + sim->delay_ns[from];
  p->seq = sim->pkt_seq++;
  p->to = 1 - from;
  p->path.local = path->remote; /* destination as the receiver sees it */
  p->path.remote = path->local;
  p->path.ttl = sim->rx_ttl >= 0 ? sim->rx_ttl : path->ttl;
  if (from == 0 && sim->nat.family != 0) {
    p->path.remote = sim->nat;
  }
  if (from == 1 && sim->nat.family != 0) {
    /* only what is addressed to the NAT mapping gets through */
    if (memcmp(&path->remote, &sim->nat, sizeof(sim->nat)) != 0) {
      sim->nq--;
      sim->nat_drops++;
      return;
    }
    p->path.local = sim->node[0].addr;
  }
  memcpy(p->data, data, len);
  p->len = len;
}

static void sim_flush(bfd_sim *sim, int i) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path;
  svrbfd_ssize n;
  if (svrbfd_ctx_handle_expiry(sim->node[i].ctx, sim->now) != 0) {
    abort();
  }
  while ((n = svrbfd_ctx_write_pkt(sim->node[i].ctx, &path, buf, sizeof(buf),
                                   sim->now)) > 0) {
    sim_enqueue(sim, i, &path, buf, (size_t)n);
  }
  if (n < 0) {
    abort();
  }
}

static int sim_next_pkt(const bfd_sim *sim) {
  int i, best = -1;
  for (i = 0; i < sim->nq; i++) {
    if (best < 0 || sim->q[i].at < sim->q[best].at ||
        (sim->q[i].at == sim->q[best].at && sim->q[i].seq < sim->q[best].seq)) {
      best = i;
    }
  }
  return best;
}

void bfd_sim_run(bfd_sim *sim, uint64_t until) {
  for (;;) {
    uint64_t t = UINT64_MAX;
    int i, pi = sim_next_pkt(sim);
    if (pi >= 0) {
      t = sim->q[pi].at;
    }
    for (i = 0; i < 2; i++) {
      uint64_t e = svrbfd_ctx_get_expiry(sim->node[i].ctx);
      if (e < t) {
        t = e;
      }
    }
    if (t < sim->now) {
      t = sim->now;
    }
    if (t > until) {
      sim->now = until;
      return;
    }
    sim->now = t;
    while ((pi = sim_next_pkt(sim)) >= 0 && sim->q[pi].at <= sim->now) {
      bfd_sim_pkt p = sim->q[pi];
      sim->q[pi] = sim->q[--sim->nq];
      (void)svrbfd_ctx_read_pkt(sim->node[p.to].ctx, &p.path, p.data, p.len,
                                sim->now);
    }
    sim_flush(sim, 0);
    sim_flush(sim, 1);
  }
}

uint64_t bfd_sim_find(const bfd_sim *sim, int i, int kind, int b,
                      uint64_t from) {
  const bfd_sim_node *n = &sim->node[i];
  int k;
  for (k = 0; k < n->nev; k++) {
    if (n->ev[k].kind == kind && n->ev[k].b == b && n->ev[k].ts >= from) {
      return n->ev[k].ts;
    }
  }
  return UINT64_MAX;
}
