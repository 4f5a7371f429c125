/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsvrfwdet contexts over a simulated path: sender A with one peer path,
 * responder B, a "firewall" between them that drops chosen probe kinds or
 * fragments, literal timestamps.  Covers the decision rule (3 consecutive
 * lost bursts set a reason, 2 consecutive arrivals clear it, timeouts change
 * nothing), the modes, the counters, NAT (reports go to the observed
 * source), fragment reassembly and RST counting.
 */
#include <string.h>

#include <svrfwdet/svrfwdet.h>

#include "svr_test.h"

#define S SVRFWDET_SECONDS
#define MS SVRFWDET_MILLISECONDS

static uint64_t rng_state;

static void test_rand(uint8_t *d, size_t n, void *u) {
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    d[i] = (uint8_t)svr_test_rand(&rng_state);
  }
}

static int changes;
static int last_enabled;
static unsigned last_reasons;

static void on_change(svrfwdet_ctx *ctx, svrfwdet_path *p, int en,
                      unsigned reasons, svrfwdet_tstamp ts, void *u) {
  (void)ctx, (void)p, (void)ts, (void)u;
  changes++;
  last_enabled = en;
  last_reasons = reasons;
}

typedef struct sim {
  svrfwdet_ctx *a, *b;
  svrfwdet_path *pa;
  svrfwdet_addr addr_a, addr_b, nat; /* nat.family 0 = no NAT */
  unsigned drop_kinds;     /* firewall drops these probe kinds */
  int drop_nonfirst_frags; /* firewall drops fragments with offset != 0 */
  int drop_ctrl;           /* lose control datagrams */
  size_t ip_out, udp_out, frags_out;
} sim;

static void addr4(svrfwdet_addr *a, uint8_t last) {
  memset(a, 0, sizeof(*a));
  a->family = 4;
  a->addr[0] = 10, a->addr[1] = 0, a->addr[2] = 0, a->addr[3] = last;
}

static void sim_init(sim *s, svrfwdet_mode mode, svrfwdet_tstamp ts) {
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  svrfwdet_path_config pc;
  memset(s, 0, sizeof(*s));
  rng_state = 42;
  changes = 0;
  memset(&cb, 0, sizeof(cb));
  cb.rand = test_rand;
  cb.transform_changed = on_change;
  svrfwdet_settings_default(&st);
  st.router_name = "rtrA";
  CU_ASSERT_EQUAL_FATAL(svrfwdet_ctx_new(&s->a, &cb, &st, NULL, NULL), 0);
  st.router_name = "rtrB";
  st.node_name = "nodeB";
  CU_ASSERT_EQUAL_FATAL(svrfwdet_ctx_new(&s->b, &cb, &st, NULL, NULL), 0);
  addr4(&s->addr_a, 1);
  addr4(&s->addr_b, 2);
  svrfwdet_path_config_default(&pc);
  pc.local = s->addr_a;
  pc.remote = s->addr_b;
  pc.mode = mode;
  pc.detect_interval_s = 10;
  pc.report_timeout_ns = 2 * S;
  CU_ASSERT_EQUAL_FATAL(svrfwdet_path_new(s->a, &s->pa, &pc, NULL, ts), 0);
}

static void sim_free(sim *s) {
  svrfwdet_ctx_del(s->a);
  svrfwdet_ctx_del(s->b);
}

static int kind_of(const uint8_t *p, size_t n) {
  svrfwdet_probe_info info;
  if (svrfwdet_probe_parse(&info, p, n) == 0) {
    return (int)info.kind;
  }
  return -1;
}

/* Moves everything A wants to send at |ts| through the firewall to B. */
static void sim_a_to_b(sim *s, svrfwdet_tstamp ts) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_out out;
  svrfwdet_ssize n;
  int jumbo_frag_dropped = 0;
  while ((n = svrfwdet_ctx_write_pkt(s->a, &out, buf, sizeof(buf), ts)) > 0) {
    if (out.type == SVRFWDET_OUT_UDP) {
      svrfwdet_addr from = out.src;
      s->udp_out++;
      CU_ASSERT_EQUAL(out.dst.port, 1280);
      if (s->drop_ctrl) {
        continue;
      }
      if (s->nat.family) {
        from = s->nat;
      }
      CU_ASSERT_EQUAL(svrfwdet_ctx_read_ctrl(s->b, &from, &out.dst, buf,
                                             (size_t)n, ts),
                      0);
    } else {
      int k = kind_of(buf, (size_t)n);
      int frag = (buf[6] & 0x3f) != 0 || buf[7] != 0;
      s->ip_out++;
      CU_ASSERT((size_t)n <= 1500);
      if (frag) {
        s->frags_out++;
        if (s->drop_nonfirst_frags && ((buf[6] & 0x1f) || buf[7])) {
          jumbo_frag_dropped = 1;
          continue;
        }
        if (s->drop_kinds & SVRFWDET_REASON_JUMBO) {
          continue;
        }
      } else if (k >= 0 && (s->drop_kinds & (1u << k))) {
        continue;
      }
      if (s->nat.family) { /* rewrite the source (checksums don't matter) */
        memcpy(buf + 12, s->nat.addr, 4);
      }
      CU_ASSERT_EQUAL(svrfwdet_ctx_read_ip(s->b, buf, (size_t)n, ts), 0);
    }
  }
  CU_ASSERT_EQUAL(n, 0);
  (void)jumbo_frag_dropped;
}

/* B's reports (due at |ts|) back to A. */
static size_t sim_b_to_a(sim *s, svrfwdet_tstamp ts) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_out out;
  svrfwdet_ssize n;
  size_t cnt = 0;
  svrfwdet_ctx_handle_expiry(s->b, ts);
  while ((n = svrfwdet_ctx_write_pkt(s->b, &out, buf, sizeof(buf), ts)) > 0) {
    cnt++;
    CU_ASSERT_EQUAL(out.type, SVRFWDET_OUT_UDP);
    CU_ASSERT_PTR_NULL(out.path);
    if (s->nat.family) {
      CU_ASSERT_EQUAL(memcmp(out.dst.addr, s->nat.addr, 4), 0);
    } else {
      CU_ASSERT_EQUAL(memcmp(out.dst.addr, s->addr_a.addr, 4), 0);
    }
    CU_ASSERT_EQUAL(out.src.port, 1280);
    if (s->drop_ctrl) {
      continue;
    }
    CU_ASSERT_EQUAL(svrfwdet_ctx_read_ctrl(s->a, &s->addr_b, &s->addr_a, buf,
                                           (size_t)n, ts),
                    0);
  }
  return cnt;
}

/* One full burst cycle starting at |t0| (a multiple of the interval). */
static void sim_burst(sim *s, svrfwdet_tstamp t0) {
  CU_ASSERT_EQUAL(svrfwdet_ctx_get_expiry(s->a), t0);
  svrfwdet_ctx_handle_expiry(s->a, t0);
  sim_a_to_b(s, t0);
  /* B answers at once when everything announced arrived, else after the
   * 500 ms collection window */
  sim_b_to_a(s, t0 + 1 * MS);
  sim_b_to_a(s, t0 + 600 * MS);
  svrfwdet_ctx_handle_expiry(s->a, t0 + 3 * S); /* past the report timeout */
}

static svrfwdet_path_info info_of(sim *s) {
  svrfwdet_path_info i;
  svrfwdet_path_get_info(s->pa, &i);
  return i;
}

static void test_clean_path(void) {
  sim s;
  svrfwdet_stats st;
  svrfwdet_path_info i;
  sim_init(&s, SVRFWDET_MODE_AUTO, 1000 * S);
  sim_burst(&s, 1000 * S);
  /* request + 3 small probes + 5 jumbo fragments */
  CU_ASSERT_EQUAL(s.udp_out, 1);
  CU_ASSERT_EQUAL(s.ip_out, 8);
  CU_ASSERT_EQUAL(s.frags_out, 5);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.transform, 0);
  CU_ASSERT_EQUAL(i.reasons, 0);
  CU_ASSERT_EQUAL(i.last_arrived, 0x0f);
  CU_ASSERT_EQUAL(i.bursts_answered, 1);
  CU_ASSERT_STRING_EQUAL(i.peer_router_name, "rtrB");
  CU_ASSERT_STRING_EQUAL(i.peer_node_name, "nodeB");
  svrfwdet_ctx_get_stats(s.a, &st);
  CU_ASSERT_EQUAL(st.request_sent, 1);
  CU_ASSERT_EQUAL(st.reply_received, 1);
  CU_ASSERT_EQUAL(st.probes_sent, 4);
  CU_ASSERT_EQUAL(st.discovery_timeout, 0);
  svrfwdet_ctx_get_stats(s.b, &st);
  CU_ASSERT_EQUAL(st.request_received, 1);
  CU_ASSERT_EQUAL(st.reply_sent, 1);
  CU_ASSERT_EQUAL(st.probes_received, 4);
  /* next burst exactly one interval later */
  CU_ASSERT_EQUAL(svrfwdet_ctx_get_expiry(s.a), 1010 * S);
  CU_ASSERT_EQUAL(changes, 0);
  sim_free(&s);
}

/* The rule: 3 consecutive answered bursts losing a kind set its reason; 2
 * consecutive arrivals clear it; timeouts in between change nothing. */
static void test_decision_rule(void) {
  sim s;
  svrfwdet_path_info i;
  svrfwdet_tstamp t = 0;
  sim_init(&s, SVRFWDET_MODE_AUTO, 0);
  s.drop_kinds = SVRFWDET_REASON_MIDFLOW;
  sim_burst(&s, t);
  t += 10 * S;
  sim_burst(&s, t);
  t += 10 * S;
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.transform, 0); /* two losses are not enough */
  CU_ASSERT_EQUAL(i.lost_streak[SVRFWDET_KIND_MIDFLOW], 2);
  /* a burst whose report is lost: discovery timeout, no change */
  s.drop_ctrl = 1;
  sim_burst(&s, t);
  t += 10 * S;
  s.drop_ctrl = 0;
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.transform, 0);
  CU_ASSERT_EQUAL(i.bursts_timed_out, 1);
  CU_ASSERT_EQUAL(i.lost_streak[SVRFWDET_KIND_MIDFLOW], 2);
  sim_burst(&s, t);
  t += 10 * S;
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.transform, 1);
  CU_ASSERT_EQUAL(i.reasons, SVRFWDET_REASON_MIDFLOW);
  CU_ASSERT_EQUAL(changes, 1);
  CU_ASSERT_EQUAL(last_enabled, 1);
  CU_ASSERT_EQUAL(last_reasons, SVRFWDET_REASON_MIDFLOW);
  /* firewall removed: one good burst keeps the verdict, the second clears */
  s.drop_kinds = 0;
  sim_burst(&s, t);
  t += 10 * S;
  CU_ASSERT_EQUAL(info_of(&s).transform, 1);
  sim_burst(&s, t);
  t += 10 * S;
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.transform, 0);
  CU_ASSERT_EQUAL(i.reasons, 0);
  CU_ASSERT_EQUAL(changes, 2);
  /* an intermittent loss never reaches 3 in a row */
  s.drop_kinds = SVRFWDET_REASON_SYN;
  sim_burst(&s, t);
  t += 10 * S;
  sim_burst(&s, t);
  t += 10 * S;
  s.drop_kinds = 0;
  sim_burst(&s, t);
  t += 10 * S;
  s.drop_kinds = SVRFWDET_REASON_SYN;
  sim_burst(&s, t);
  t += 10 * S;
  sim_burst(&s, t);
  t += 10 * S;
  CU_ASSERT_EQUAL(info_of(&s).transform, 0);
  sim_burst(&s, t);
  t += 10 * S;
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.reasons, SVRFWDET_REASON_SYN);
  {
    svrfwdet_stats st;
    svrfwdet_ctx_get_stats(s.a, &st);
    CU_ASSERT_EQUAL(st.discovery_timeout, 1);
    CU_ASSERT_EQUAL(st.request_sent, 12);
    CU_ASSERT_EQUAL(st.reply_received, 11);
  }
  sim_free(&s);
}

/* Losing the non-first fragments loses the jumbo SYN: the library must
 * reassemble, not trust the first fragment. */
static void test_fragment_loss(void) {
  sim s;
  svrfwdet_tstamp t = 0;
  int n;
  sim_init(&s, SVRFWDET_MODE_AUTO, 0);
  s.drop_nonfirst_frags = 1;
  for (n = 0; n < 3; n++, t += 10 * S) {
    sim_burst(&s, t);
  }
  CU_ASSERT_EQUAL(info_of(&s).reasons, SVRFWDET_REASON_JUMBO);
  CU_ASSERT_EQUAL(info_of(&s).last_arrived, 0x0b);
  sim_free(&s);
}

static void test_nat(void) {
  sim s;
  sim_init(&s, SVRFWDET_MODE_AUTO, 0);
  addr4(&s.nat, 99);
  s.nat.port = 40123;
  sim_burst(&s, 0);
  CU_ASSERT_EQUAL(info_of(&s).bursts_answered, 1);
  CU_ASSERT_EQUAL(info_of(&s).last_arrived, 0x0f);
  sim_free(&s);
}

static void test_modes(void) {
  sim s;
  uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_out out;
  svrfwdet_path_info i;
  sim_init(&s, SVRFWDET_MODE_ALWAYS_TRANSFORM, 0);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.transform, 1);
  CU_ASSERT_EQUAL(i.reasons, SVRFWDET_REASON_CONFIGURED);
  CU_ASSERT_EQUAL(svrfwdet_ctx_get_expiry(s.a), SVRFWDET_TSTAMP_MAX);
  svrfwdet_ctx_handle_expiry(s.a, 1000 * S);
  CU_ASSERT_EQUAL(svrfwdet_ctx_write_pkt(s.a, &out, buf, sizeof(buf), 0), 0);
  /* to disabled: never transform, nothing sent */
  CU_ASSERT_EQUAL(svrfwdet_path_set_mode(s.pa, SVRFWDET_MODE_DISABLED, 5 * S),
                  0);
  i = info_of(&s);
  CU_ASSERT_EQUAL(i.transform, 0);
  CU_ASSERT_EQUAL(i.reasons, 0);
  CU_ASSERT_EQUAL(changes, 1);
  CU_ASSERT_EQUAL(svrfwdet_ctx_get_expiry(s.a), SVRFWDET_TSTAMP_MAX);
  /* to auto: a burst at once */
  CU_ASSERT_EQUAL(svrfwdet_path_set_mode(s.pa, SVRFWDET_MODE_AUTO, 7 * S), 0);
  sim_burst(&s, 7 * S);
  CU_ASSERT_EQUAL(info_of(&s).bursts_answered, 1);
  /* a report arriving after leaving auto is unknown */
  CU_ASSERT_EQUAL(svrfwdet_path_set_mode(s.pa, (svrfwdet_mode)3, 0),
                  SVRFWDET_ERR_INVALID_ARGUMENT);
  CU_ASSERT_STRING_EQUAL(svrfwdet_mode_name(SVRFWDET_MODE_AUTO), "auto-detect");
  sim_free(&s);
}

static void test_config_errors(void) {
  svrfwdet_ctx *ctx;
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  svrfwdet_path_config pc;
  svrfwdet_path *p;
  memset(&cb, 0, sizeof(cb));
  svrfwdet_settings_default(&st);
  CU_ASSERT_EQUAL(svrfwdet_ctx_new(&ctx, &cb, &st, NULL, NULL),
                  SVRFWDET_ERR_INVALID_ARGUMENT);
  cb.rand = test_rand;
  CU_ASSERT_EQUAL(svrfwdet_ctx_new(&ctx, &cb, &st, NULL, NULL), 0);
  svrfwdet_path_config_default(&pc);
  CU_ASSERT_EQUAL(pc.detect_interval_s, 300);
  CU_ASSERT_EQUAL(pc.lost_bursts, 3);
  CU_ASSERT_EQUAL(pc.passed_bursts, 2);
  CU_ASSERT_EQUAL(svrfwdet_path_new(ctx, &p, &pc, NULL, 0),
                  SVRFWDET_ERR_ADDRESS);
  addr4(&pc.local, 1);
  addr4(&pc.remote, 2);
  pc.detect_interval_s = 0;
  CU_ASSERT_EQUAL(svrfwdet_path_new(ctx, &p, &pc, NULL, 0),
                  SVRFWDET_ERR_INTERVAL);
  pc.detect_interval_s = 86401;
  CU_ASSERT_EQUAL(svrfwdet_path_new(ctx, &p, &pc, NULL, 0),
                  SVRFWDET_ERR_INTERVAL);
  pc.detect_interval_s = 86400;
  pc.mtu = 500;
  CU_ASSERT_EQUAL(svrfwdet_path_new(ctx, &p, &pc, NULL, 0), SVRFWDET_ERR_MTU);
  pc.mtu = 1500;
  CU_ASSERT_EQUAL(svrfwdet_path_new(ctx, &p, &pc, NULL, 0), 0);
  CU_ASSERT_EQUAL(svrfwdet_path_new(ctx, &p, &pc, NULL, 0),
                  SVRFWDET_ERR_PATH_EXISTS);
  svrfwdet_ctx_del(ctx);
  svrfwdet_ctx_del(NULL);
}

/* RSTs from the peer's probe ports are counted; garbage is counted as
 * unknown-received and changes nothing. */
static void test_rst_and_unknown(void) {
  sim s;
  uint8_t pkt[40];
  svrfwdet_stats st;
  sim_init(&s, SVRFWDET_MODE_AUTO, 0);
  memset(pkt, 0, sizeof(pkt));
  pkt[0] = 0x45;
  pkt[3] = 40;
  pkt[9] = 6;
  memcpy(pkt + 12, s.addr_b.addr, 4);
  memcpy(pkt + 16, s.addr_a.addr, 4);
  pkt[20] = 1280 >> 8;
  pkt[21] = 1280 & 0xff;
  pkt[32] = 0x50;
  pkt[33] = 0x14; /* RST|ACK */
  CU_ASSERT_EQUAL(svrfwdet_ctx_read_ip(s.a, pkt, sizeof(pkt), 0), 0);
  pkt[33] = 0x10;
  CU_ASSERT_EQUAL(svrfwdet_ctx_read_ip(s.a, pkt, sizeof(pkt), 0),
                  SVRFWDET_ERR_IP_NOT_PROBE);
  CU_ASSERT_EQUAL(svrfwdet_ctx_read_ip(s.a, pkt, 19, 0),
                  SVRFWDET_ERR_IP_MALFORMED);
  CU_ASSERT_EQUAL(svrfwdet_ctx_read_ctrl(s.a, &s.addr_b, &s.addr_a, pkt, 40, 0),
                  SVRFWDET_ERR_MSG_COOKIE);
  svrfwdet_ctx_get_stats(s.a, &st);
  CU_ASSERT_EQUAL(st.tcp_reset_received, 1);
  CU_ASSERT_EQUAL(st.unknown_received, 1);
  CU_ASSERT_EQUAL(info_of(&s).tcp_resets, 1);
  sim_free(&s);
}

/* A stale report (wrong burst) is unknown and does not count as a reply. */
static void test_stale_report(void) {
  sim s;
  uint8_t buf[256];
  svrfwdet_msg m;
  svrfwdet_ssize n;
  svrfwdet_stats st;
  sim_init(&s, SVRFWDET_MODE_AUTO, 0);
  svrfwdet_ctx_handle_expiry(s.a, 0);
  memset(&m, 0, sizeof(m));
  m.op = SVRFWDET_OP_REPORT;
  m.path_id = info_of(&s).path_id;
  m.burst = 99;
  n = svrfwdet_msg_encode(buf, sizeof(buf), &m);
  CU_ASSERT_EQUAL(svrfwdet_ctx_read_ctrl(s.a, &s.addr_b, &s.addr_a, buf,
                                         (size_t)n, 1),
                  SVRFWDET_ERR_MSG_UNKNOWN);
  svrfwdet_ctx_get_stats(s.a, &st);
  CU_ASSERT_EQUAL(st.reply_received, 0);
  CU_ASSERT_EQUAL(st.unknown_received, 1);
  sim_free(&s);
}

/* Both routers probe each other (the product's detector is bidirectional):
 * each context is sender and responder at once, and a one-way firewall
 * (dropping mid-flow from A towards B only) flips A's verdict, not B's. */
static void test_bidirectional(void) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  sim s;
  svrfwdet_path *pb;
  svrfwdet_path_config pc;
  svrfwdet_path_info ia, ib;
  svrfwdet_tstamp t = 0;
  int round;
  sim_init(&s, SVRFWDET_MODE_AUTO, 0);
  svrfwdet_path_config_default(&pc);
  pc.local = s.addr_b;
  pc.remote = s.addr_a;
  pc.detect_interval_s = 10;
  pc.report_timeout_ns = 2 * S;
  CU_ASSERT_EQUAL_FATAL(svrfwdet_path_new(s.b, &pb, &pc, NULL, 0), 0);
  for (round = 0; round < 3; round++, t += 10 * S) {
    svrfwdet_ctx *from[2] = {s.a, s.b}, *to[2] = {s.b, s.a};
    svrfwdet_tstamp when;
    for (when = t; when <= t + 600 * MS; when += 300 * MS) {
      int d;
      for (d = 0; d < 2; d++) {
        svrfwdet_out out;
        svrfwdet_ssize n;
        svrfwdet_ctx_handle_expiry(from[d], when);
        while ((n = svrfwdet_ctx_write_pkt(from[d], &out, buf, sizeof(buf),
                                           when)) > 0) {
          if (out.type == SVRFWDET_OUT_UDP) {
            svrfwdet_addr src = out.src;
            src.port = 1280;
            svrfwdet_ctx_read_ctrl(to[d], &src, &out.dst, buf, (size_t)n,
                                   when);
          } else {
            svrfwdet_probe_info info;
            if (d == 0 && svrfwdet_probe_parse(&info, buf, (size_t)n) == 0 &&
                info.kind == SVRFWDET_KIND_MIDFLOW) {
              continue; /* the firewall: A->B mid-flow only */
            }
            CU_ASSERT_EQUAL(svrfwdet_ctx_read_ip(to[d], buf, (size_t)n, when),
                            0);
          }
        }
      }
    }
  }
  svrfwdet_path_get_info(s.pa, &ia);
  svrfwdet_path_get_info(pb, &ib);
  CU_ASSERT_EQUAL(ia.bursts_answered, 3);
  CU_ASSERT_EQUAL(ib.bursts_answered, 3);
  CU_ASSERT_EQUAL(ia.reasons, SVRFWDET_REASON_MIDFLOW);
  CU_ASSERT_EQUAL(ib.reasons, 0);
  CU_ASSERT_STRING_EQUAL(ib.peer_router_name, "rtrA");
  sim_free(&s);
}

/* Many paths on one context: unique ids, duplicates refused, every report
 * and RST reaches its own path, deletions leave the others reachable (the
 * hash indices in src/fwdet_ctx.c). */
#define NPATHS 1000
static void test_many_paths(void) {
  sim s;
  static svrfwdet_path *p[NPATHS];
  svrfwdet_path_config pc;
  svrfwdet_path_info in;
  svrfwdet_path *dup;
  uint8_t pkt[40];
  unsigned k, j;
  sim_init(&s, SVRFWDET_MODE_AUTO, 0);
  svrfwdet_path_del(s.pa); /* only the NPATHS below */
  s.pa = NULL;
  svrfwdet_path_config_default(&pc);
  pc.local = s.addr_a;
  pc.mode = SVRFWDET_MODE_AUTO;
  pc.detect_interval_s = 10;
  pc.report_timeout_ns = 2 * S;
  for (k = 0; k < NPATHS; k++) {
    addr4(&pc.remote, 0);
    pc.remote.addr[1] = 1;
    pc.remote.addr[2] = (uint8_t)(k >> 8);
    pc.remote.addr[3] = (uint8_t)k;
    CU_ASSERT_EQUAL_FATAL(svrfwdet_path_new(s.a, &p[k], &pc, NULL, 0), 0);
  }
  /* Same local and remote again: refused, whichever path it is. */
  pc.remote.addr[2] = 1;
  pc.remote.addr[3] = 44; /* path 300 */
  CU_ASSERT_EQUAL(svrfwdet_path_new(s.a, &dup, &pc, NULL, 0),
                  SVRFWDET_ERR_PATH_EXISTS);
  pc.local.addr[3] = 9; /* another local address: a new path */
  CU_ASSERT_EQUAL(svrfwdet_path_new(s.a, &dup, &pc, NULL, 0), 0);
  svrfwdet_path_del(dup);
  for (k = 0; k < NPATHS; k++) {
    svrfwdet_path_info a;
    svrfwdet_path_get_info(p[k], &a);
    CU_ASSERT_NOT_EQUAL(a.path_id, 0);
    for (j = k + 1; j < NPATHS && k % 97 == 0; j++) {
      svrfwdet_path_get_info(p[j], &in);
      CU_ASSERT_NOT_EQUAL(a.path_id, in.path_id);
    }
  }
  /* One burst each, all answered by B: each report found its path. */
  svrfwdet_ctx_handle_expiry(s.a, 0);
  sim_a_to_b(&s, 0);
  sim_b_to_a(&s, 1 * MS);
  sim_b_to_a(&s, 600 * MS);
  svrfwdet_ctx_handle_expiry(s.a, 3 * S);
  for (k = 0; k < NPATHS; k++) {
    svrfwdet_path_get_info(p[k], &in);
    CU_ASSERT_EQUAL(in.bursts_answered, 1);
    CU_ASSERT_STRING_EQUAL(in.peer_router_name, "rtrB");
  }
  /* Every other path deleted: the rest still get their reports. */
  for (k = 0; k < NPATHS; k += 2) {
    svrfwdet_path_del(p[k]);
    p[k] = NULL;
  }
  svrfwdet_ctx_handle_expiry(s.a, 10 * S);
  sim_a_to_b(&s, 10 * S);
  sim_b_to_a(&s, 10 * S + 1 * MS);
  sim_b_to_a(&s, 10 * S + 600 * MS);
  svrfwdet_ctx_handle_expiry(s.a, 13 * S);
  for (k = 1; k < NPATHS; k += 2) {
    svrfwdet_path_get_info(p[k], &in);
    CU_ASSERT_EQUAL(in.bursts_answered, 2);
    CU_ASSERT_EQUAL(in.bursts_timed_out, 0);
  }
  /* A TCP RST from 10.1.3.7 (path 775) counts for that path only. */
  memset(pkt, 0, sizeof(pkt));
  pkt[0] = 0x45;
  pkt[3] = 40;
  pkt[9] = 6;
  pkt[12] = 10, pkt[13] = 1, pkt[14] = 3, pkt[15] = 7;
  memcpy(pkt + 16, s.addr_a.addr, 4);
  pkt[20] = 1280 >> 8;
  pkt[21] = 1280 & 0xff;
  pkt[32] = 0x50;
  pkt[33] = 0x14;
  CU_ASSERT_EQUAL(svrfwdet_ctx_read_ip(s.a, pkt, sizeof(pkt), 13 * S), 0);
  for (k = 1; k < NPATHS; k += 2) {
    svrfwdet_path_get_info(p[k], &in);
    CU_ASSERT_EQUAL(in.tcp_resets, k == 775 ? 1u : 0u);
  }
  sim_free(&s);
}

int main(void) {
  static const svr_test_case cases[] = {
      {"clean path", test_clean_path},
      {"decision rule", test_decision_rule},
      {"fragment loss", test_fragment_loss},
      {"NAT", test_nat},
      {"modes", test_modes},
      {"config errors", test_config_errors},
      {"RST and unknown", test_rst_and_unknown},
      {"stale report", test_stale_report},
      {"bidirectional", test_bidirectional},
      {"many paths", test_many_paths},
      {NULL, NULL}};
  return svr_test_run("fwdet_ctx", cases);
}
