/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Burst arithmetic: mean RTT, jitter, loss and the E-model MOS.
 *
 * Jitter is the mean absolute difference of consecutive RTTs, taken in
 * sequence-number order over the requests that were answered (a lost request
 * is skipped, so RTT(i) - RTT(j) pairs neighbours among the received ones).
 * This is the PingPlotter/NetBeez reading that the simplified E-model was
 * calibrated with; RFC 3550's smoothed interarrival jitter would need one-way
 * transit times and a long-running filter, neither of which a 10-packet
 * burst has (reference/rfc-algorithms.md 2.5).  Ordering by sequence number
 * rather than arrival makes reordering harmless to the arithmetic.
 */
#include <string.h>

#include "pq_int.h"

static double pq_sane(double v) {
  return (v > 0.0 && v < 1e12) ? v : (v >= 1e12 ? 1e12 : 0.0); /* NaN -> 0 */
}

double svrbfd_pq_mos(double latency_ms, double jitter_ms, double loss_pct) {
  double el, r, mos;
  latency_ms = pq_sane(latency_ms);
  jitter_ms = pq_sane(jitter_ms);
  loss_pct = pq_sane(loss_pct);
  if (loss_pct > 100.0) {
    loss_pct = 100.0;
  }
  el = latency_ms + 2.0 * jitter_ms + 10.0;
  if (el < 160.0) {
    r = 93.2 - el / 40.0;
  } else {
    r = 93.2 - (el - 120.0) / 10.0;
  }
  r -= 2.5 * loss_pct;
  /* G.107 Annex B: MOS = 1 below R = 0 and 4.5 above R = 100; the cubic
   * also dips below 1 for 0 < R < 6.5, hence the clamp on MOS itself. */
  if (r <= 0.0) {
    return 1.0;
  }
  if (r >= 100.0) {
    return 4.5;
  }
  mos = 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r);
  if (mos < 1.0) {
    mos = 1.0;
  } else if (mos > 4.5) {
    mos = 4.5;
  }
  return mos;
}

int svrbfd_pq_result_compute(svrbfd_pq_result *res, const uint64_t *rtt_ns,
                             size_t n) {
  size_t i, received = 0, pairs = 0;
  uint64_t prev = PQ_RTT_NONE;
  double sum_rtt = 0.0, sum_diff = 0.0;

  if (res == NULL || rtt_ns == NULL || n == 0 || n > 0xffff) {
    return SVRBFD_PQ_ERR_INVALID_ARGUMENT;
  }
  memset(res, 0, sizeof(*res));
  for (i = 0; i < n; i++) {
    uint64_t r = rtt_ns[i];
    if (r == PQ_RTT_NONE) {
      continue;
    }
    if (received == 0 || r < res->rtt_min_ns) {
      res->rtt_min_ns = r;
    }
    if (r > res->rtt_max_ns) {
      res->rtt_max_ns = r;
    }
    received++;
    sum_rtt += (double)r;
    if (prev != PQ_RTT_NONE) {
      sum_diff += (double)(r > prev ? r - prev : prev - r);
      pairs++;
    }
    prev = r;
  }
  res->sent = (uint16_t)n;
  res->received = (uint16_t)received;
  res->lost = (uint16_t)(n - received);
  res->loss_pct = 100.0 * (double)(n - received) / (double)n;
  if (received > 0) {
    res->latency_ms = sum_rtt / (double)received / 1e6;
  }
  if (pairs > 0) {
    res->jitter_ms = sum_diff / (double)pairs / 1e6;
  }
  res->mos = svrbfd_pq_mos(res->latency_ms, res->jitter_ms, res->loss_pct);
  return 0;
}
