/* SPDX-License-Identifier: BSD-2-Clause */
/* Probe/ack codec and configuration checks of libsvrpmtu (unit). */
#include <string.h>

#include <svrpmtu/svrpmtu.h>

#include "svr_meta.h"
#include "svr_test.h"
#include "svrpmtu_int.h" /* the search stack, white box */

static const svrpmtu_msg sample = {SVRPMTU_MSG_PROBE, 7, 0x01020304,
                                   0x1112131415161718ULL, 1400, 1372};

static void test_probe_layout(void) {
  uint8_t buf[1500], want[64];
  svrpmtu_msg m;
  int n = svr_test_unhex(want, sizeof(want),
                         "4c48dbc6ddf6670c" /* cookie */
                         "102a" "0532"      /* v1, hdr 42; payload 1330 */
                         "e0000002" "0003"  /* kind: PMTU probe */
                         "e0400014"         /* probe TLV, 20 bytes */
                         "00000007" "01020304" "1112131415161718" "0578" "055c"
                         "e041052e");       /* pad TLV, 1326 zeros */
  CU_ASSERT_EQUAL_FATAL(n, 46);
  CU_ASSERT_EQUAL(svrpmtu_probe_encode(buf, sizeof(buf), &sample), 1372);
  CU_ASSERT_EQUAL(memcmp(buf, want, 46), 0);
  CU_ASSERT_EQUAL(buf[1371], 0);
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&m, buf, 1372, 0), 0);
  CU_ASSERT_EQUAL(m.kind, SVRPMTU_MSG_PROBE);
  CU_ASSERT_EQUAL(m.path_id, 7);
  CU_ASSERT_EQUAL(m.seq, 0x01020304);
  CU_ASSERT_EQUAL(m.nonce, 0x1112131415161718ULL);
  CU_ASSERT_EQUAL(m.probed_size, 1400);
  CU_ASSERT_EQUAL(m.udp_len, 1372);
  /* It is an SVR control datagram for the port demux. */
  CU_ASSERT_EQUAL(svr_demux_classify(buf, 1372), SVR_DEMUX_CONTROL);
}

static void test_probe_sizes(void) {
  uint8_t buf[9216];
  svrpmtu_msg m = sample, d;
  unsigned len;
  for (len = SVRPMTU_PROBE_MIN_PAYLOAD; len <= 9188; len += 97) {
    m.udp_len = (uint16_t)len;
    CU_ASSERT_EQUAL(svrpmtu_probe_encode(buf, sizeof(buf), &m), (int)len);
    CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, buf, len, 0), 0);
    CU_ASSERT_EQUAL(d.udp_len, len);
  }
  m.udp_len = SVRPMTU_PROBE_MIN_PAYLOAD - 1;
  CU_ASSERT_EQUAL(svrpmtu_probe_encode(buf, sizeof(buf), &m),
                  SVRPMTU_ERR_INVALID_ARGUMENT);
  m.udp_len = 100;
  CU_ASSERT_EQUAL(svrpmtu_probe_encode(buf, 99, &m), SVRPMTU_ERR_NOBUF);
}

static void test_ack_build(void) {
  uint8_t buf[1500], ack[SVRPMTU_ACK_LEN + 8];
  svrpmtu_msg m;
  CU_ASSERT_EQUAL(svrpmtu_probe_encode(buf, sizeof(buf), &sample), 1372);
  CU_ASSERT_EQUAL(svrpmtu_ack_build(ack, sizeof(ack), buf, 1372),
                  SVRPMTU_ACK_LEN);
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&m, ack, SVRPMTU_ACK_LEN, 0), 0);
  CU_ASSERT_EQUAL(m.kind, SVRPMTU_MSG_ACK);
  CU_ASSERT_EQUAL(m.nonce, sample.nonce);
  CU_ASSERT_EQUAL(m.seq, sample.seq);
  CU_ASSERT_EQUAL(m.path_id, 7);
  CU_ASSERT_EQUAL(m.probed_size, 1400);
  CU_ASSERT_EQUAL(m.udp_len, 1372);
  CU_ASSERT_EQUAL(ack[17], 4); /* kind: PMTU ack */
  CU_ASSERT_EQUAL(ack[18], 0xe0);
  CU_ASSERT_EQUAL(ack[19], 0x42);
  CU_ASSERT_EQUAL(svrpmtu_ack_build(ack, SVRPMTU_ACK_LEN - 1, buf, 1372),
                  SVRPMTU_ERR_NOBUF);
  /* A truncated probe (the datagram lost its tail) is not acked. */
  CU_ASSERT_EQUAL(svrpmtu_ack_build(ack, sizeof(ack), buf, 1371),
                  SVRPMTU_ERR_PKT_META);
  /* An ack is not a probe. */
  CU_ASSERT_EQUAL(svrpmtu_ack_build(buf, sizeof(buf), ack, SVRPMTU_ACK_LEN),
                  SVRPMTU_ERR_PKT_KIND);
}

static void test_decode_errors(void) {
  uint8_t buf[200], c[200];
  svrpmtu_msg m = sample, d, untouched;
  m.udp_len = 120;
  CU_ASSERT_EQUAL_FATAL(svrpmtu_probe_encode(buf, sizeof(buf), &m), 120);
  memset(&d, 0xab, sizeof(d));
  untouched = d;

  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, buf, 11, 0), SVRPMTU_ERR_PKT_SHORT);
  memcpy(c, buf, 120);
  c[0] = 0x20; /* a BFD packet */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_COOKIE);
  memcpy(c, buf, 120);
  c[8] = 0x20; /* version 2 */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_META);
  memcpy(c, buf, 120);
  c[17] = 5; /* firewall-detector report */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_KIND);
  memcpy(c, buf, 120);
  c[12] = 0; /* first TLV is not the kind */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_KIND);
  memcpy(c, buf, 120);
  c[19] = 0x77; /* probe TLV renamed: missing */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_MISSING);
  memcpy(c, buf, 120);
  c[41] = 4; /* declared udp_len 4 < minimum */
  c[40] = 0;
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_SIZE);
  memcpy(c, buf, 120);
  c[41] = 121; /* declared 121, got 120 */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_SIZE);
  memcpy(c, buf, 120);
  c[45] = 200; /* pad TLV runs past the payload */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_TLV);
  memcpy(c, buf, 120);
  c[42] = 0x12; /* pad renamed: unknown payload TLV, no pad */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_MISSING);
  memcpy(c, buf, 120);
  c[21] = 19; /* probe TLV length 19 */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_TLV_LEN);
  memcpy(c, buf, 120);
  c[15] = 200; /* kind TLV runs past the header */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, c, 120, 0), SVRPMTU_ERR_PKT_TLV);
  CU_ASSERT_EQUAL(memcmp(&d, &untouched, sizeof(d)), 0);
}

static void test_quote(void) {
  uint8_t buf[1500];
  svrpmtu_msg d;
  CU_ASSERT_EQUAL(svrpmtu_probe_encode(buf, sizeof(buf), &sample), 1372);
  /* Linux routers quote up to 548 bytes of UDP payload; 42 is enough. */
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, buf, 548, 1), 0);
  CU_ASSERT_EQUAL(d.nonce, sample.nonce);
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, buf, 42, 1), 0);
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, buf, 41, 1), SVRPMTU_ERR_PKT_META);
  CU_ASSERT_EQUAL(svrpmtu_msg_decode(&d, buf, 548, 0), SVRPMTU_ERR_PKT_META);
}

static void rnd(uint8_t *d, size_t n, void *u) {
  (void)u;
  memset(d, 0x5a, n);
}

static void test_config_checks(void) {
  svrpmtu_callbacks cb = {rnd, NULL}, nocb = {NULL, NULL};
  svrpmtu_ctx *ctx;
  svrpmtu_path *p;
  svrpmtu_path_config cfg;
  svrpmtu_path_info i;
  CU_ASSERT_EQUAL(svrpmtu_ctx_new(&ctx, &nocb, NULL, NULL, NULL),
                  SVRPMTU_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL_FATAL(svrpmtu_ctx_new(&ctx, &cb, NULL, NULL, NULL), 0);
  svrpmtu_path_config_default(&cfg, 6);
  CU_ASSERT_EQUAL(cfg.base_mtu, 1200);
  CU_ASSERT_EQUAL(cfg.max_mtu, 9216);
  CU_ASSERT_EQUAL(cfg.interval_ns, 600 * SVRPMTU_SECONDS);
  svrpmtu_path_config_default(&cfg, 4);
  CU_ASSERT_EQUAL(cfg.base_mtu, 576);
  cfg.max_mtu = 9217;
  CU_ASSERT_EQUAL(svrpmtu_path_new(ctx, &p, &cfg, NULL, 0), SVRPMTU_ERR_MTU_RANGE);
  cfg.max_mtu = 500;
  CU_ASSERT_EQUAL(svrpmtu_path_new(ctx, &p, &cfg, NULL, 0), SVRPMTU_ERR_MTU_RANGE);
  svrpmtu_path_config_default(&cfg, 4);
  cfg.interval_ns = 86401 * SVRPMTU_SECONDS;
  CU_ASSERT_EQUAL(svrpmtu_path_new(ctx, &p, &cfg, NULL, 0), SVRPMTU_ERR_INTERVAL);
  cfg.interval_ns = SVRPMTU_SECONDS / 2;
  CU_ASSERT_EQUAL(svrpmtu_path_new(ctx, &p, &cfg, NULL, 0), SVRPMTU_ERR_INTERVAL);
  cfg.interval_ns = 0; /* disabled is fine */
  cfg.remote.family = 5;
  CU_ASSERT_EQUAL(svrpmtu_path_new(ctx, &p, &cfg, NULL, 0), SVRPMTU_ERR_ADDRESS);
  cfg.remote.family = 4;
  cfg.probe_timeout_ns = 100 * SVRPMTU_MILLISECONDS; /* spacing is clamped */
  CU_ASSERT_EQUAL_FATAL(svrpmtu_path_new(ctx, &p, &cfg, NULL, 0), 0);
  svrpmtu_path_get_info(p, &i);
  CU_ASSERT_EQUAL(i.state, SVRPMTU_STATE_SEARCHING);
  CU_ASSERT(i.probing_size >= 576 && i.probing_size <= 9216);
  CU_ASSERT_EQUAL(svrpmtu_path_set_max_mtu(p, 1500, 0), 0);
  svrpmtu_path_get_info(p, &i);
  CU_ASSERT_EQUAL(i.max_mtu, 1500);
  CU_ASSERT(i.probing_size <= 1500);
  CU_ASSERT_EQUAL(svrpmtu_path_set_max_mtu(p, 100, 0), SVRPMTU_ERR_MTU_RANGE);
  CU_ASSERT_STRING_EQUAL(svrpmtu_state_name(SVRPMTU_STATE_ERROR), "error");
  CU_ASSERT_STRING_EQUAL(svrpmtu_strerror(SVRPMTU_ERR_PTB_NOT_OURS),
                         "ICMP too-big report does not quote a probe we sent");
  CU_ASSERT(svrpmtu_err_is_fatal(SVRPMTU_ERR_NOMEM));
  CU_ASSERT(!svrpmtu_err_is_fatal(SVRPMTU_ERR_PKT_SHORT));
  CU_ASSERT_PTR_NOT_NULL(svrpmtu_version(0));
  CU_ASSERT_PTR_NULL(svrpmtu_version(0x7fffffff));
  svrpmtu_path_del(p);
  svrpmtu_path_del(NULL);
  svrpmtu_ctx_del(ctx);
  svrpmtu_ctx_del(NULL);
}

static void test_search_stack(void) {
  svrpmtu_search s;
  unsigned k;
  int confirm;
  memset(&s, 0, sizeof(s));
  s.base = 576;
  s.max = 9216;
  s.hi = 9216;
  /* Lone losses: kept smallest on top, the search goes on below them. */
  svrpmtu__search_lost(&s, 1500, 1);
  svrpmtu__search_lost(&s, 1400, 1);
  CU_ASSERT_EQUAL(s.nfail, 2);
  CU_ASSERT_EQUAL(svrpmtu__search_upper(&s), 1399);
  CU_ASSERT_EQUAL(s.hi, 9216); /* nothing proven yet */
  CU_ASSERT(svrpmtu__search_next(&s, &confirm) <= 1399);
  CU_ASSERT_EQUAL(confirm, 0);
  /* An ack below them keeps their counts (no random loss seen yet). */
  svrpmtu__search_acked(&s, 1300);
  CU_ASSERT_EQUAL(s.nfail, 2);
  CU_ASSERT_EQUAL(s.lossy, 0);
  CU_ASSERT_EQUAL(svrpmtu__search_losses(&s, 1400), 1);
  CU_ASSERT_EQUAL(svrpmtu__search_losses(&s, 1500), 1);
  /* An ack above a lost size proves that loss random: it is dropped... */
  svrpmtu__search_acked(&s, 1450);
  CU_ASSERT_EQUAL(s.lo, 1450);
  CU_ASSERT_EQUAL(s.nfail, 1);
  CU_ASSERT_EQUAL(s.lossy, 1);
  CU_ASSERT_EQUAL(svrpmtu__search_upper(&s), 1499);
  /* ...and from now on an ack restarts every count (RFC 8899 PROBE_COUNT). */
  CU_ASSERT_EQUAL(svrpmtu__search_losses(&s, 1500), 0);
  svrpmtu__search_lost(&s, 1451, 1);
  CU_ASSERT_EQUAL(svrpmtu__search_losses(&s, 1451), 1);
  /* Right above lo: the next probe is the confirm round of 1451. */
  CU_ASSERT_EQUAL(svrpmtu__search_next(&s, &confirm), 1451);
  CU_ASSERT_EQUAL(confirm, 1);
  svrpmtu__search_lost(&s, 1451, 2);
  CU_ASSERT_EQUAL(svrpmtu__search_losses(&s, 1451), 2);
  CU_ASSERT_EQUAL(svrpmtu__search_done(&s), 0);
  svrpmtu__search_lost(&s, 1451, SVRPMTU_MAX_PROBES);
  CU_ASSERT_EQUAL(s.hi, 1450);
  CU_ASSERT_EQUAL(s.nfail, 0);
  CU_ASSERT_EQUAL(svrpmtu__search_done(&s), 1);

  /* A full stack forgets its largest size; hi still bounds the search. */
  memset(&s, 0, sizeof(s));
  s.base = 576;
  s.max = 9216;
  s.hi = 9216;
  for (k = 0; k < SVRPMTU_FAIL_MAX + 6; k++) {
    svrpmtu__search_lost(&s, (uint16_t)(5000 - 10 * k), 1);
  }
  CU_ASSERT_EQUAL(s.nfail, SVRPMTU_FAIL_MAX);
  CU_ASSERT_EQUAL(s.fail[0], 5000 - 60);
  CU_ASSERT_EQUAL(svrpmtu__search_upper(&s),
                  5000 - 10 * (SVRPMTU_FAIL_MAX + 5) - 1);
  for (k = 1; k < s.nfail; k++) {
    CU_ASSERT(s.fail[k] < s.fail[k - 1]);
  }
  svrpmtu__search_lost(&s, 9000, 1); /* above all kept: not stored */
  CU_ASSERT_EQUAL(s.fail[0], 5000 - 60);
  svrpmtu__search_lost(&s, 4985, 1); /* in between: kept in order */
  CU_ASSERT_EQUAL(s.nfail, SVRPMTU_FAIL_MAX);
  for (k = 1; k < s.nfail; k++) {
    CU_ASSERT(s.fail[k] < s.fail[k - 1]);
  }
  /* A validated PTB caps hi and drops what lies above. */
  svrpmtu__search_cap(&s, 4800);
  CU_ASSERT_EQUAL(s.hi, 4800);
  for (k = 0; k < s.nfail; k++) {
    CU_ASSERT(s.fail[k] <= 4800);
  }
  /* Sizes already decided are ignored. */
  k = s.nfail;
  svrpmtu__search_lost(&s, 4900, 1);
  CU_ASSERT_EQUAL(s.nfail, k);
}

/* The context's cache of probe choices gives what the computation gives,
 * for every combination of range, base, max and hint it is keyed by, and
 * answers a repeated state without computing it again. */
static void test_search_cache(void) {
  static svrpmtu_choices c;
  svrpmtu_search s;
  uint32_t x = 12345;
  unsigned i;
  int confirm, confirm2;
  memset(&c, 0, sizeof(c));
  for (i = 0; i < 40000; i++) {
    uint16_t want, got;
    /* few distinct values, so that slots are shared and states repeat */
    x = x * 1103515245u + 12345u;
    memset(&s, 0, sizeof(s));
    s.base = (x >> 8) & 1 ? 1200 : 1280;
    s.max = (x >> 9) & 1 ? 1500 : ((x >> 10) & 7 ? 1400 : 9216);
    s.hi = s.max;
    s.lo = (x >> 11) & 1 ? 0 : (uint16_t)(s.base + ((x >> 12) & 7) * 16);
    s.hint = (x >> 15) & 1 ? 0 : (uint16_t)(1200 + (x >> 16) % 300);
    if ((x >> 18) & 1) {
      svrpmtu__search_lost(&s, (uint16_t)(1380 + ((x >> 19) & 3) * 20), 1);
    }
    if (svrpmtu__search_done(&s) != 0) {
      continue;
    }
    want = svrpmtu__search_next(&s, &confirm);
    got = svrpmtu__search_next_cached(&s, &confirm2, &c);
    if (want != got || confirm != confirm2) {
      CU_FAIL("cached choice differs");
      printf("base %u max %u lo %u hi %u hint %u nfail %u: %u, cached %u\n",
             s.base, s.max, s.lo, s.hi, s.hint, s.nfail, want, got);
      return;
    }
  }
  CU_ASSERT(c.misses > 0);
  CU_ASSERT(c.hits > 0); /* states repeat (and slots are shared) */
  /* the same state twice: the second is a hit */
  memset(&s, 0, sizeof(s));
  s.base = 1280;
  s.max = 9216;
  s.hi = 9216;
  s.lo = 1300;
  {
    uint64_t h0 = c.hits;
    uint16_t a = svrpmtu__search_next_cached(&s, &confirm, &c);
    CU_ASSERT_EQUAL(svrpmtu__search_next_cached(&s, &confirm, &c), a);
    CU_ASSERT_EQUAL(c.hits, h0 + 1);
    CU_ASSERT_EQUAL(a, svrpmtu__search_next(&s, &confirm));
  }
}

int main(void) {
  static const svr_test_case cases[] = {
      {"probe_layout", test_probe_layout},
      {"probe_sizes", test_probe_sizes},
      {"ack_build", test_ack_build},
      {"decode_errors", test_decode_errors},
      {"quote", test_quote},
      {"config_checks", test_config_checks},
      {"search_stack", test_search_stack},
      {"search_cache", test_search_cache},
      {NULL, NULL}};
  return svr_test_run("pmtu_wire", cases);
}
