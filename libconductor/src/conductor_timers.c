/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small sans-I/O timers: keepalive detection, reconnect backoff and the
 * entitlement meter.
 */
#include <string.h>

#include <conductor/conductor.h>

int conductor_keepalive_init(conductor_keepalive *k,
                             conductor_duration interval_ns,
                             unsigned max_attempts, conductor_tstamp ts) {
  if (interval_ns < CONDUCTOR_SECONDS || interval_ns > 10 * CONDUCTOR_SECONDS ||
      max_attempts < 1 || max_attempts > 20) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  k->interval_ns = interval_ns;
  k->max_attempts = max_attempts;
  k->outstanding = 0;
  k->last_rx_ts = ts;
  k->next_ts = ts + interval_ns;
  return 0;
}

void conductor_keepalive_on_rx(conductor_keepalive *k, conductor_tstamp ts) {
  k->last_rx_ts = ts;
  k->outstanding = 0;
  k->next_ts = ts + k->interval_ns;
}

conductor_tstamp conductor_keepalive_get_expiry(const conductor_keepalive *k) {
  return k->next_ts;
}

int conductor_keepalive_handle_expiry(conductor_keepalive *k,
                                      conductor_tstamp ts) {
  if (ts < k->next_ts) {
    return CONDUCTOR_KA_NONE;
  }
  /* Like OpenSSH's ServerAliveCountMax: after max_attempts keepalives in a
   * row without anything back, the peer is declared dead. */
  if (k->outstanding >= k->max_attempts) {
    k->next_ts = CONDUCTOR_TSTAMP_MAX;
    return CONDUCTOR_KA_DEAD;
  }
  k->outstanding++;
  k->next_ts = ts + k->interval_ns;
  return CONDUCTOR_KA_SEND;
}

conductor_duration conductor_backoff_delay(unsigned attempt,
                                           conductor_duration base_ns,
                                           conductor_duration cap_ns,
                                           uint64_t rnd) {
  conductor_duration d = base_ns, half;
  unsigned i;
  for (i = 0; i < attempt && d < cap_ns; i++) {
    d = d > cap_ns / 2 ? cap_ns : d * 2;
  }
  if (d > cap_ns) {
    d = cap_ns;
  }
  half = d / 2;
  return half + rnd % (d - half + 1);
}

void conductor_meter_init(conductor_meter *m, conductor_duration sample_ns,
                          conductor_duration report_ns, conductor_tstamp ts,
                          uint64_t bytes_total) {
  memset(m, 0, sizeof *m);
  m->sample_ns = sample_ns;
  m->report_ns = report_ns;
  m->period_start_ts = ts;
  m->last_ts = ts;
  m->last_bytes = bytes_total;
  m->have_sample = 1;
}

int conductor_meter_sample(conductor_meter *m, conductor_tstamp ts,
                           uint64_t bytes_total, uint64_t *peak_bps) {
  conductor_duration dt = ts > m->last_ts ? ts - m->last_ts : 0;
  if (dt >= m->sample_ns / 2 && dt > 0) {
    /* A counter that went backwards (reset) counts from zero. */
    uint64_t bytes = bytes_total >= m->last_bytes ? bytes_total - m->last_bytes
                                                  : bytes_total;
    /* bits per second = bytes * 8 * 1e9 / dt, without overflow for any
     * realistic rate (long double keeps 64 bits of mantissa). */
    long double bps = (long double)bytes * 8.0L * 1e9L / (long double)dt;
    uint64_t v = bps >= 1.8e19L ? UINT64_MAX : (uint64_t)bps;
    if (v > m->peak_bps) {
      m->peak_bps = v;
    }
    m->last_ts = ts;
    m->last_bytes = bytes_total;
  } else if (dt == 0 && bytes_total < m->last_bytes) {
    m->last_bytes = bytes_total;
  }
  if (ts - m->period_start_ts >= m->report_ns) {
    *peak_bps = m->peak_bps;
    m->peak_bps = 0;
    m->period_start_ts = ts;
    return 1;
  }
  return 0;
}
