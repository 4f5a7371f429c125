/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One meaning for *_get_expiry across the cores that write datagrams
 * (docs/architecture.md "Timers"): while write_pkt has something to send,
 * get_expiry returns a due time (<= now; the cores return 0), so a host
 * that only calls write_pkt after its timer fires or a datagram arrives
 * never sits on queued output.  Issue 16 item 10: libsvrpmtu returned
 * "never" right after svrpmtu_path_new (the first probe waited for the
 * next packet or timer, 1.6 s instead of 0.6 s for a naive host) and
 * while a responder's ack was queued.
 *
 * Each core is driven by a naive host for a few simulated seconds: it
 * sleeps until get_expiry, runs handle_expiry, then drains write_pkt.
 * Before every sleep it checks the rule: get_expiry > now implies
 * write_pkt has nothing (a datagram found then is a violation).
 * libsvrfwd has no write_pkt (its output is synchronous): nothing to check.
 */
#include <string.h>

#include <svrbfd/svrbfd.h>
#include <svrfwdet/svrfwdet.h>
#include <svrpmtu/svrpmtu.h>

#include "svr_test.h"

#define MS 1000000ULL
#define S 1000000000ULL

static uint64_t rng = 11;
static void rnd(uint8_t *d, size_t n, void *u) {
  (void)u;
  while (n--) {
    *d++ = (uint8_t)svr_test_rand(&rng);
  }
}

/* ---- libsvrpmtu --------------------------------------------------------- */

/* Writes everything |ctx| has at |now| into |last| (the last datagram);
 * returns how many. */
static int pmtu_drain(svrpmtu_ctx *ctx, uint64_t now, uint8_t *last,
                      size_t *lastlen) {
  uint8_t buf[SVRPMTU_MAX_PKT_LEN];
  svrpmtu_addr to;
  int k = 0;
  svrpmtu_ssize n;
  while ((n = svrpmtu_ctx_write_pkt(ctx, &to, buf, sizeof buf, now)) > 0) {
    if (last) {
      memcpy(last, buf, (size_t)n);
      *lastlen = (size_t)n;
    }
    k++;
  }
  CU_ASSERT_EQUAL(n, 0);
  return k;
}

/* get_expiry > now and write_pkt still had output: counts violations */
static int pmtu_check(svrpmtu_ctx *ctx, uint64_t now) {
  if (svrpmtu_ctx_get_expiry(ctx) > now) {
    return pmtu_drain(ctx, now, NULL, NULL);
  }
  return 0;
}

static void test_pmtu(void) {
  svrpmtu_callbacks cb = {rnd, NULL};
  svrpmtu_ctx *a = NULL, *b = NULL;
  svrpmtu_path *p = NULL;
  svrpmtu_path_config cfg;
  svrpmtu_addr from;
  uint8_t probe[SVRPMTU_MAX_PKT_LEN];
  size_t plen = 0;
  uint64_t now = 100 * S, end = now + 5 * S;
  int bad = 0, sent = 0;
  CU_ASSERT_FATAL(svrpmtu_ctx_new(&a, &cb, NULL, NULL, NULL) == 0);
  CU_ASSERT_FATAL(svrpmtu_ctx_new(&b, &cb, NULL, NULL, NULL) == 0);
  svrpmtu_path_config_default(&cfg, 4);
  CU_ASSERT_FATAL(svrpmtu_path_new(a, &p, &cfg, NULL, now) == 0);
  /* right after path_new: the first probe is due now */
  CU_ASSERT(svrpmtu_ctx_get_expiry(a) <= now);
  while (now < end) {
    uint64_t e;
    bad += pmtu_check(a, now);
    e = svrpmtu_ctx_get_expiry(a);
    if (e == SVRPMTU_TSTAMP_MAX) {
      break;
    }
    if (e > now) {
      now = e;
    }
    CU_ASSERT_FATAL(svrpmtu_ctx_handle_expiry(a, now) == 0);
    sent += pmtu_drain(a, now, probe, &plen);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(sent >= 2);
  /* the responder: an ack queued by read_pkt is due now */
  CU_ASSERT_FATAL(plen > 0);
  memset(&from, 0, sizeof from);
  from.family = 4;
  CU_ASSERT_EQUAL(svrpmtu_ctx_get_expiry(b), SVRPMTU_TSTAMP_MAX);
  CU_ASSERT_FATAL(svrpmtu_ctx_read_pkt(b, &from, probe, plen, now) == 0);
  CU_ASSERT(svrpmtu_ctx_get_expiry(b) <= now);
  CU_ASSERT_EQUAL(pmtu_drain(b, now, NULL, NULL), 1);
  CU_ASSERT(svrpmtu_ctx_get_expiry(b) > now);
  svrpmtu_ctx_del(a);
  svrpmtu_ctx_del(b);
}

/* ---- libsvrbfd ---------------------------------------------------------- */

static int bfd_drain(svrbfd_ctx *ctx, uint64_t now) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path;
  svrbfd_ssize n;
  int k = 0;
  while ((n = svrbfd_ctx_write_pkt(ctx, &path, buf, sizeof buf, now)) > 0) {
    k++;
  }
  CU_ASSERT_EQUAL(n, 0);
  return k;
}

static void test_bfd(void) {
  svrbfd_callbacks cb;
  svrbfd_settings st;
  svrbfd_session_config c;
  svrbfd_ctx *ctx = NULL;
  svrbfd_session *s = NULL;
  uint64_t now = 100 * S, end = now + 5 * S;
  int bad = 0, sent = 0;
  memset(&cb, 0, sizeof cb);
  cb.rand = rnd;
  svrbfd_settings_default(&st);
  CU_ASSERT_FATAL(svrbfd_ctx_new(&ctx, &cb, &st, NULL, NULL) == 0);
  svrbfd_session_config_default(&c);
  c.local.family = 4;
  c.local.addr[0] = 10, c.local.addr[3] = 1;
  c.remote.family = 4;
  c.remote.addr[0] = 10, c.remote.addr[3] = 2;
  c.remote.port = SVRBFD_PORT_SVR;
  CU_ASSERT_FATAL(svrbfd_session_new(ctx, &s, &c, NULL, now) == 0);
  while (now < end) {
    uint64_t e = svrbfd_ctx_get_expiry(ctx);
    if (e > now) {
      bad += bfd_drain(ctx, now);
    }
    if (e == SVRBFD_TSTAMP_MAX) {
      break;
    }
    if (e > now) {
      now = e;
    }
    CU_ASSERT_FATAL(svrbfd_ctx_handle_expiry(ctx, now) == 0);
    sent += bfd_drain(ctx, now);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(sent >= 4); /* Down: one a second */
  svrbfd_ctx_del(ctx);
}

/* ---- libsvrfwdet -------------------------------------------------------- */

static int fwdet_drain(svrfwdet_ctx *ctx, uint64_t now) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_out out;
  svrfwdet_ssize n;
  int k = 0;
  while ((n = svrfwdet_ctx_write_pkt(ctx, &out, buf, sizeof buf, now)) > 0) {
    k++;
  }
  CU_ASSERT_EQUAL(n, 0);
  return k;
}

static void test_fwdet(void) {
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  svrfwdet_path_config pc;
  svrfwdet_ctx *ctx = NULL;
  svrfwdet_path *p = NULL;
  uint64_t now = 100 * S, end = now + 25 * S;
  int bad = 0, sent = 0;
  memset(&cb, 0, sizeof cb);
  cb.rand = rnd;
  svrfwdet_settings_default(&st);
  CU_ASSERT_FATAL(svrfwdet_ctx_new(&ctx, &cb, &st, NULL, NULL) == 0);
  svrfwdet_path_config_default(&pc);
  pc.local.family = 4;
  pc.local.addr[0] = 10, pc.local.addr[3] = 1;
  pc.remote.family = 4;
  pc.remote.addr[0] = 10, pc.remote.addr[3] = 2;
  pc.mode = SVRFWDET_MODE_AUTO;
  pc.detect_interval_s = 10;
  CU_ASSERT_FATAL(svrfwdet_path_new(ctx, &p, &pc, NULL, now) == 0);
  while (now < end) {
    uint64_t e = svrfwdet_ctx_get_expiry(ctx);
    if (e > now) {
      bad += fwdet_drain(ctx, now);
    }
    if (e == SVRFWDET_TSTAMP_MAX) {
      break;
    }
    if (e > now) {
      now = e;
    }
    CU_ASSERT_FATAL(svrfwdet_ctx_handle_expiry(ctx, now) == 0);
    sent += fwdet_drain(ctx, now);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(sent >= 2);
  svrfwdet_ctx_del(ctx);
}

int main(void) {
  static const svr_test_case cases[] = {{"pmtu", test_pmtu},
                                        {"bfd", test_bfd},
                                        {"fwdet", test_fwdet},
                                        {NULL, NULL}};
  return svr_test_run("expiry_rule", cases);
}
