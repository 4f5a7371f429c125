/* SPDX-License-Identifier: BSD-2-Clause */
/* libconductor sans-I/O state machines driven with literal timestamps:
 * alarm outbox (send window, ack, reconnect, ack timeout, restore),
 * duplicate filter, keepalive, reconnect backoff, entitlement meter. */
#include <string.h>

#include <conductor/conductor.h>

#include "svr_test.h"

#define S CONDUCTOR_SECONDS
#define MS CONDUCTOR_MILLISECONDS

static conductor_alarm mk(uint32_t num) {
  conductor_alarm a;
  memset(&a, 0, sizeof a);
  a.alarm_num = num;
  a.op = CONDUCTOR_ALARM_RAISE;
  a.severity = CONDUCTOR_SEV_MAJOR;
  strcpy(a.source, "src");
  strcpy(a.category, "peer");
  return a;
}

static conductor_outbox *mkbox(size_t window, size_t max) {
  conductor_outbox_settings s;
  conductor_outbox *ob = NULL;
  conductor_outbox_settings_default(&s);
  s.max_inflight = window;
  s.max_entries = max;
  s.ack_timeout_ns = 10 * S;
  CU_ASSERT_FATAL(conductor_outbox_new(&ob, &s, NULL) == 0);
  return ob;
}

static void test_outbox_window_and_ack(void) {
  conductor_outbox *ob = mkbox(2, 100);
  conductor_alarm a;
  const conductor_alarm *x;
  uint32_t i;
  for (i = 1; i <= 3; i++) {
    a = mk(i);
    CU_ASSERT_EQUAL(conductor_outbox_push(ob, &a), 0);
    CU_ASSERT_EQUAL(a.seq, i);
  }
  /* nothing goes out before the channel is up */
  CU_ASSERT_PTR_NULL(conductor_outbox_next(ob, 1000));
  CU_ASSERT_EQUAL(conductor_outbox_get_expiry(ob), CONDUCTOR_TSTAMP_MAX);
  conductor_outbox_connected(ob, 1000);
  x = conductor_outbox_next(ob, 1000);
  CU_ASSERT_FATAL(x != NULL);
  CU_ASSERT_EQUAL(x->seq, 1);
  x = conductor_outbox_next(ob, 2000);
  CU_ASSERT_FATAL(x != NULL);
  CU_ASSERT_EQUAL(x->seq, 2);
  CU_ASSERT_PTR_NULL(conductor_outbox_next(ob, 2000)); /* window of 2 */
  CU_ASSERT_EQUAL(conductor_outbox_get_expiry(ob), 1000 + 10 * S);
  /* out-of-order ack of 2 opens the window for 3 */
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 2), 0);
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 2), CONDUCTOR_ERR_UNKNOWN_SEQ);
  x = conductor_outbox_next(ob, 3000);
  CU_ASSERT_FATAL(x != NULL);
  CU_ASSERT_EQUAL(x->seq, 3);
  CU_ASSERT_EQUAL(conductor_outbox_pending(ob), 2);
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 1), 0);
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 3), 0);
  CU_ASSERT_EQUAL(conductor_outbox_pending(ob), 0);
  CU_ASSERT_EQUAL(conductor_outbox_inflight(ob), 0);
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 99), CONDUCTOR_ERR_UNKNOWN_SEQ);
  CU_ASSERT_EQUAL(conductor_outbox_get_expiry(ob), CONDUCTOR_TSTAMP_MAX);
  conductor_outbox_del(ob);
}

static void test_outbox_reconnect_resends(void) {
  conductor_outbox *ob = mkbox(8, 100);
  conductor_alarm a;
  const conductor_alarm *x;
  uint32_t i;
  for (i = 1; i <= 4; i++) {
    a = mk(i);
    conductor_outbox_push(ob, &a);
  }
  conductor_outbox_connected(ob, 0);
  for (i = 1; i <= 4; i++) {
    CU_ASSERT_PTR_NOT_NULL(conductor_outbox_next(ob, 5));
  }
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 1), 0);
  conductor_outbox_disconnected(ob); /* 2, 3, 4 lost in flight */
  CU_ASSERT_EQUAL(conductor_outbox_inflight(ob), 0);
  CU_ASSERT_PTR_NULL(conductor_outbox_next(ob, 10));
  conductor_outbox_connected(ob, 20 * S);
  for (i = 2; i <= 4; i++) {
    x = conductor_outbox_next(ob, 20 * S);
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_EQUAL(x->seq, i);
  }
  CU_ASSERT_PTR_NULL(conductor_outbox_next(ob, 20 * S));
  /* a late ack from the old connection for a resent entry still counts */
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 3), 0);
  CU_ASSERT_EQUAL(conductor_outbox_pending(ob), 2);
  conductor_outbox_del(ob);
}

static void test_outbox_ack_timeout(void) {
  conductor_outbox *ob = mkbox(8, 100);
  conductor_alarm a = mk(1);
  const conductor_alarm *x;
  conductor_outbox_push(ob, &a);
  a = mk(2);
  conductor_outbox_push(ob, &a);
  conductor_outbox_connected(ob, 100);
  conductor_outbox_next(ob, 100);
  conductor_outbox_next(ob, 200);
  CU_ASSERT_EQUAL(conductor_outbox_get_expiry(ob), 100 + 10 * S);
  CU_ASSERT_EQUAL(conductor_outbox_handle_expiry(ob, 10 * S), 0);
  CU_ASSERT_EQUAL(conductor_outbox_handle_expiry(ob, 100 + 10 * S), 2);
  CU_ASSERT_EQUAL(conductor_outbox_retransmits(ob), 2);
  x = conductor_outbox_next(ob, 11 * S);
  CU_ASSERT_FATAL(x != NULL);
  CU_ASSERT_EQUAL(x->seq, 1);
  CU_ASSERT_EQUAL(conductor_outbox_get_expiry(ob), 21 * S);
  conductor_outbox_del(ob);
}

static void test_outbox_restore_and_full(void) {
  conductor_outbox *ob = mkbox(8, 3);
  conductor_alarm a = mk(1);
  a.seq = 40;
  CU_ASSERT_EQUAL(conductor_outbox_restore(ob, &a), 0);
  a.seq = 39;
  CU_ASSERT_EQUAL(conductor_outbox_restore(ob, &a), CONDUCTOR_ERR_SEQ_ORDER);
  a.seq = 41;
  CU_ASSERT_EQUAL(conductor_outbox_restore(ob, &a), 0);
  CU_ASSERT_EQUAL(conductor_outbox_next_seq(ob), 42);
  conductor_outbox_set_next_seq(ob, 50);
  a = mk(2);
  CU_ASSERT_EQUAL(conductor_outbox_push(ob, &a), 0);
  CU_ASSERT_EQUAL(a.seq, 50);
  CU_ASSERT_EQUAL(conductor_outbox_push(ob, &a), CONDUCTOR_ERR_OUTBOX_FULL);
  CU_ASSERT_EQUAL(conductor_outbox_ack(ob, 41), 0);
  CU_ASSERT_EQUAL(conductor_outbox_push(ob, &a), 0);
  CU_ASSERT_EQUAL(a.seq, 51);
  conductor_outbox_del(ob);
}

/* 10,000 alarms with a random mix of acks, reconnects and timeouts: every
 * alarm is acknowledged exactly once and in the end nothing is pending. */
static void test_outbox_flood(void) {
  conductor_outbox *ob = mkbox(64, 20000);
  static uint8_t acked[10001];
  uint64_t rnd = 42, ts = 0;
  const conductor_alarm *x;
  conductor_alarm a;
  uint64_t inflight[64];
  size_t nin = 0, total_acked = 0, i;
  memset(acked, 0, sizeof acked);
  for (i = 1; i <= 10000; i++) {
    a = mk((uint32_t)i);
    CU_ASSERT_EQUAL_FATAL(conductor_outbox_push(ob, &a), 0);
  }
  conductor_outbox_connected(ob, ts);
  while (total_acked < 10000) {
    uint64_t r = svr_test_rand(&rnd) % 100;
    ts += MS;
    if (r < 2) {
      conductor_outbox_disconnected(ob);
      nin = 0;
      conductor_outbox_connected(ob, ts);
    }
    while (nin < 64 && (x = conductor_outbox_next(ob, ts)) != NULL) {
      inflight[nin++] = x->seq;
    }
    if (nin > 0) {
      size_t k = (size_t)(svr_test_rand(&rnd) % nin);
      uint64_t seq = inflight[k];
      inflight[k] = inflight[--nin];
      if (conductor_outbox_ack(ob, seq) == 0) {
        CU_ASSERT_EQUAL_FATAL(acked[seq], 0);
        acked[seq] = 1;
        total_acked++;
      }
    }
  }
  CU_ASSERT_EQUAL(conductor_outbox_pending(ob), 0);
  conductor_outbox_del(ob);
}

/* The filter remembers the last CONDUCTOR_DEDUP_WINDOW sequence numbers
 * (floor, floor + W]; anything below is "not known", which sends it to the
 * store (INSERT OR IGNORE decides).  It never reports a seq it was not
 * told about as seen: that would be acknowledged without a row. */
static void test_dedup(void) {
  conductor_dedup d;
  uint64_t s;
  conductor_dedup_init(&d);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 0), 0);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 1), 0);
  conductor_dedup_mark(&d, 2);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 2), 1);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 1), 0);
  conductor_dedup_mark(&d, 1);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 1), 1);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 3), 0);
  for (s = 3; s <= 5000; s++) {
    conductor_dedup_mark(&d, s);
  }
  /* the window follows the newest: the last 1024 are known, older ones go
   * to the store again */
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 5000), 1);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 5000 - CONDUCTOR_DEDUP_WINDOW + 1),
                  1);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 5000 - CONDUCTOR_DEDUP_WINDOW), 0);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 1), 0);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 5001), 0);
  /* a jump beyond the window slides it; what it skipped stays unknown */
  conductor_dedup_mark(&d, 5000 + 3000);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 8000), 1);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 7999), 0);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 5000), 0);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 8000 - CONDUCTOR_DEDUP_WINDOW), 0);
  /* a mark below the window is not remembered (the store has it) */
  conductor_dedup_mark(&d, 10);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 10), 0);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 8000), 1);
}

/* Issue 14, item 2: seq 5000 then 1..10.  The jump must not make 1..10
 * look committed (they were acknowledged and never stored). */
static void test_dedup_gap(void) {
  conductor_dedup d;
  uint64_t s, claimed = 0;
  conductor_dedup_init(&d);
  conductor_dedup_mark(&d, 5000);
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 5000), 1);
  for (s = 1; s <= 10; s++) {
    CU_ASSERT_EQUAL(conductor_dedup_seen(&d, s), 0);
    conductor_dedup_mark(&d, s); /* stored: below the window, forgotten */
  }
  for (s = 11; s < 5000; s++) {
    claimed += (uint64_t)conductor_dedup_seen(&d, s);
  }
  CU_ASSERT_EQUAL(claimed, 0); /* never marked, so never "seen" */
  CU_ASSERT_EQUAL(conductor_dedup_seen(&d, 5000), 1);
}

/* Random walks of marks (in order, with gaps, jumps and stragglers): the
 * filter never reports as seen a seq that was not marked, and remembers
 * every mark still inside its window. */
static void test_dedup_never_invents(void) {
  static uint8_t marked[200001];
  conductor_dedup d;
  uint64_t x = 0x853c49e6748fea9bULL, s = 0;
  int round, i, bad = 0, missed = 0, hits = 0;
  for (round = 0; round < 20; round++) {
    memset(marked, 0, sizeof marked);
    conductor_dedup_init(&d);
    s = 0;
    for (i = 0; i < 3000; i++) {
      uint64_t r, m;
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      r = x % 100;
      if (r < 70) {
        s += 1;               /* in order */
      } else if (r < 88) {
        s += 1 + x % 50;      /* small gap */
      } else if (r < 90) {
        s += 1 + x % 3000;    /* jump, often past the window */
      }
      m = r >= 90 && s > 0 ? 1 + (x >> 20) % s : s; /* straggler below */
      if (m == 0 || m > 200000) {
        continue;
      }
      conductor_dedup_mark(&d, m);
      marked[m] = 1;
    }
    for (s = 1; s <= 200000; s++) {
      int seen = conductor_dedup_seen(&d, s);
      hits += seen;
      if (seen && !marked[s]) {
        bad++; /* would be acknowledged without a row */
      }
      if (!seen && marked[s] && s > d.floor &&
          s <= d.floor + CONDUCTOR_DEDUP_WINDOW) {
        missed++; /* in the window, marked, but forgotten */
      }
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(missed, 0);
  CU_ASSERT(hits > 100); /* the fast path still answers */
}

static void test_keepalive(void) {
  conductor_keepalive k;
  CU_ASSERT_EQUAL(conductor_keepalive_init(&k, 500 * MS, 3, 0),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(conductor_keepalive_init(&k, 5 * S, 21, 0),
                  CONDUCTOR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(conductor_keepalive_init(&k, 5 * S, 3, 0), 0);
  CU_ASSERT_EQUAL(conductor_keepalive_get_expiry(&k), 5 * S);
  CU_ASSERT_EQUAL(conductor_keepalive_handle_expiry(&k, 4 * S),
                  CONDUCTOR_KA_NONE);
  CU_ASSERT_EQUAL(conductor_keepalive_handle_expiry(&k, 5 * S),
                  CONDUCTOR_KA_SEND);
  conductor_keepalive_on_rx(&k, 6 * S); /* answered */
  CU_ASSERT_EQUAL(conductor_keepalive_get_expiry(&k), 11 * S);
  CU_ASSERT_EQUAL(conductor_keepalive_handle_expiry(&k, 11 * S),
                  CONDUCTOR_KA_SEND);
  CU_ASSERT_EQUAL(conductor_keepalive_handle_expiry(&k, 16 * S),
                  CONDUCTOR_KA_SEND);
  CU_ASSERT_EQUAL(conductor_keepalive_handle_expiry(&k, 21 * S),
                  CONDUCTOR_KA_SEND);
  CU_ASSERT_EQUAL(conductor_keepalive_handle_expiry(&k, 26 * S),
                  CONDUCTOR_KA_DEAD); /* 3 unanswered: dead at 20 s silence */
  CU_ASSERT_EQUAL(conductor_keepalive_get_expiry(&k), CONDUCTOR_TSTAMP_MAX);
}

static void test_backoff(void) {
  /* base 1 s, cap 60 s: d = 1, 2, 4, ... 32, 60, 60 */
  CU_ASSERT_EQUAL(conductor_backoff_delay(0, S, 60 * S, 0), S / 2);
  CU_ASSERT_EQUAL(conductor_backoff_delay(0, S, 60 * S, S / 2), S);
  CU_ASSERT_EQUAL(conductor_backoff_delay(3, S, 60 * S, 0), 4 * S);
  CU_ASSERT_EQUAL(conductor_backoff_delay(6, S, 60 * S, 0), 30 * S);
  CU_ASSERT_EQUAL(conductor_backoff_delay(60, S, 60 * S, 30 * S), 60 * S);
  CU_ASSERT(conductor_backoff_delay(200, S, 60 * S, UINT64_MAX) <= 60 * S);
}

static void test_meter(void) {
  conductor_meter m;
  uint64_t peak = 0;
  conductor_meter_init(&m, 5 * S, 300 * S, 0, 1000);
  /* 5 s at 1,250,000 B/s = 10 Mbit/s */
  CU_ASSERT_EQUAL(conductor_meter_sample(&m, 5 * S, 1000 + 6250000, &peak), 0);
  CU_ASSERT_EQUAL(m.peak_bps, 10000000);
  /* a slower interval does not lower the peak */
  CU_ASSERT_EQUAL(conductor_meter_sample(&m, 10 * S, 1000 + 6250000 + 100,
                                         &peak), 0);
  /* a 1 s interval (timer jitter) is too short to count */
  CU_ASSERT_EQUAL(conductor_meter_sample(&m, 11 * S, 1000 + 6250000 + 100 +
                                         100000000, &peak), 0);
  CU_ASSERT_EQUAL(m.peak_bps, 10000000);
  CU_ASSERT_EQUAL(conductor_meter_sample(&m, 300 * S, 1000 + 6250000 + 100 +
                                         100000000, &peak), 1);
  CU_ASSERT_EQUAL(peak, 10000000);
  CU_ASSERT_EQUAL(m.peak_bps, 0);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"outbox_window_and_ack", test_outbox_window_and_ack},
      {"outbox_reconnect_resends", test_outbox_reconnect_resends},
      {"outbox_ack_timeout", test_outbox_ack_timeout},
      {"outbox_restore_and_full", test_outbox_restore_and_full},
      {"outbox_flood", test_outbox_flood},
      {"dedup", test_dedup},
      {"dedup_gap", test_dedup_gap},
      {"dedup_never_invents", test_dedup_never_invents},
      {"keepalive", test_keepalive},
      {"backoff", test_backoff},
      {"meter", test_meter},
      {NULL, NULL}};
  return svr_test_run("conductor_state", cases);
}
