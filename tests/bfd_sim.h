/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory simulated network for libsvrbfd tests: two nodes (contexts)
 * joined by a link with a per-direction delay, random loss, a cut switch and
 * an optional source NAT in front of node 0.  One virtual clock, no sleeps,
 * deterministic for a given seed.
 */
#ifndef BFD_SIM_H
#define BFD_SIM_H

#include <stdint.h>

#include <svrbfd/svrbfd.h>

#define BFD_SIM_QMAX 4096
#define BFD_SIM_EVMAX 256

typedef struct bfd_sim_pkt {
  uint64_t at;
  uint64_t seq;
  int to;
  svrbfd_path path;
  uint8_t data[SVRBFD_MAX_PKT_LEN];
  size_t len;
} bfd_sim_pkt;

typedef struct bfd_sim_event {
  uint64_t ts;
  int kind; /* 0 state, 1 path_status, 2 remote_changed */
  int a, b; /* state: old,new / status: up / remote: new port */
  int diag;
} bfd_sim_event;

struct bfd_sim;

typedef struct bfd_sim_node {
  struct bfd_sim *sim;
  int idx;
  svrbfd_ctx *ctx;
  svrbfd_addr addr; /* its own address */
  bfd_sim_event ev[BFD_SIM_EVMAX];
  int nev;
  uint64_t sent;          /* datagrams it wrote */
  uint64_t dropped;       /* lost on the way out */
  int loss_run;           /* current run of consecutive losses */
  int loss_runs3;         /* runs of >= 3 consecutive losses */
  int last_state;
  uint64_t last_up_at, last_down_at;
  int downs;              /* transitions out of Up */
  int downs_detect;       /* ... of them by detection time expiry */
  int downs_primary;      /* ... while the peer's session was still Up */
  int status_up;          /* last path_status */
} bfd_sim_node;

typedef struct bfd_sim {
  uint64_t now;
  uint64_t rng;
  uint64_t pkt_seq;
  bfd_sim_node node[2];
  uint64_t delay_ns[2];  /* from node i */
  uint32_t loss_ppm[2];  /* from node i, parts per million */
  int cut;
  int rx_ttl;            /* TTL the receiver sees (-1 = pass the sender's) */
  /* Source NAT in front of node 0: when family != 0, node 1 sees node 0's
   * packets from this address, and only packets sent to it reach node 0. */
  svrbfd_addr nat;
  uint64_t nat_drops;
  bfd_sim_pkt *q;
  int nq;
} bfd_sim;

/* Creates both contexts (names "r0"/"r1", nodes "n0"/"n1"). */
void bfd_sim_init(bfd_sim *sim, uint64_t seed);
void bfd_sim_free(bfd_sim *sim);
/* A session on node |i| towards the other node with |cfg| (addresses are
 * filled in).  Returns the session. */
svrbfd_session *bfd_sim_session(bfd_sim *sim, int i, svrbfd_session_config *cfg);
/* Runs the network until |until| (inclusive). */
void bfd_sim_run(bfd_sim *sim, uint64_t until);
/* First event of |kind| on node |i| at or after |from| with b == |b|; its
 * timestamp or UINT64_MAX. */
uint64_t bfd_sim_find(const bfd_sim *sim, int i, int kind, int b,
                      uint64_t from);

#endif /* BFD_SIM_H */
