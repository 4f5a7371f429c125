/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrbfd path quality, internal: the path object.  Never installed.
 */
#ifndef SVRBFD_PQ_INT_H
#define SVRBFD_PQ_INT_H

#include <stddef.h>
#include <stdint.h>

#include <svrbfd/svrbfd_pq.h>

#define PQ_NEVER UINT64_MAX
#define PQ_RTT_NONE UINT64_MAX

/* One request of the burst in progress. */
typedef struct pq_slot {
  svrbfd_tstamp tx_ts; /* 0 until sent (timestamps 0 are legal: see sent) */
  uint64_t rtt_ns;     /* PQ_RTT_NONE until a timely reply */
  uint8_t sent;
} pq_slot;

struct svrbfd_pq_path {
  svrbfd_mem mem;
  svrbfd_pq_settings s;
  svrbfd_pq_callbacks cb;
  void *user_data;

  int started;
  uint32_t peer_min_echo_rx_us;

  /* scheduling (PQ_NEVER when not armed) */
  svrbfd_tstamp next_burst_at; /* next burst start */
  svrbfd_tstamp next_tx_at;    /* next request of the burst in progress */
  svrbfd_tstamp eval_at;       /* evaluation of the burst in progress */

  /* burst in progress */
  int in_burst;
  uint32_t burst;        /* number of the burst in progress / last one */
  uint32_t first_seq;    /* sequence number of slot 0 */
  uint32_t next_seq;     /* next sequence number to use (whole path) */
  uint8_t burst_len;     /* requests in this burst */
  uint8_t tx_count;      /* requests sent so far */
  uint32_t last_rx_seq;  /* highest sequence answered so far (reordering) */
  int any_rx;
  svrbfd_tstamp burst_started;
  uint16_t late, dups, reordered;
  /* one per request of a burst, sized to the longest burst so far (the
   * default is 10: 240 bytes, where a fixed 256 were 6 KiB per path, most
   * of a head end's memory with 10,000 paths) */
  pq_slot *slots;
  uint16_t nslots;

  /* results */
  int have_result;
  svrbfd_pq_result last;
  svrbfd_pq_result *hist; /* ring of s.history_len */
  size_t hist_head;       /* next write position */
  size_t hist_n;

  svrbfd_pq_stats stats;
};

#endif /* SVRBFD_PQ_INT_H */
