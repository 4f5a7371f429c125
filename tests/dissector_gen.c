/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes a capture of svr-suite packets, each built by the libraries
 * themselves, and what a dissector must find in each: the input of
 * tests/dissector_svr.sh, which runs tshark with cli/wireshark/svr.lua.
 *
 *   usage: dissector_gen OUT.pcap OUT.expect
 *
 * OUT.pcap: classic pcap, link type 101 (raw IP).  OUT.expect: one JSON
 * object per frame: {"frame": N, "what": "...", "fields": {name: value},
 * "flag": null | "svr.truncated" | "svr.malformed"}.  Values are what
 * tshark's JSON output prints (decimal integers, 0x%08x for hex fields).
 * The expected values come from the inputs we gave the encoders, or from
 * the library's own view of the packet (the session UUID), never from the
 * bytes the dissector reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svrbfd/svrbfd.h>
#include <svrbfd/svrbfd_pq.h>
#include <svrfwd/svrfwd.h>
#include <svrfwdet/svrfwdet.h>
#include <svrpmtu/svrpmtu.h>

#include "fwd_test_util.h"

static FILE *pcap, *expect;
static unsigned frame;

static void pcap_open(const char *path) {
  uint8_t h[24];
  memset(h, 0, sizeof(h));
  h[0] = 0xd4; /* magic a1b2c3d4, little-endian file */
  h[1] = 0xc3;
  h[2] = 0xb2;
  h[3] = 0xa1;
  h[4] = 2;  /* version 2.4 */
  h[6] = 4;
  h[16] = 0xff; /* snaplen 65535 */
  h[17] = 0xff;
  h[20] = 101; /* LINKTYPE_RAW */
  pcap = fopen(path, "wb");
  CU_ASSERT_FATAL(pcap != NULL);
  CU_ASSERT_FATAL(fwrite(h, 1, sizeof(h), pcap) == sizeof(h));
}

static void le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Writes one IP packet as the next frame and starts its expectation
 * line; finish it with fields and end_frame(). */
static void put_frame(const uint8_t *ip, size_t len, const char *what) {
  uint8_t h[16];
  frame++;
  le32(h, 1700000000u + frame);
  le32(h + 4, 0);
  le32(h + 8, (uint32_t)len);
  le32(h + 12, (uint32_t)len);
  CU_ASSERT_FATAL(fwrite(h, 1, 16, pcap) == 16);
  CU_ASSERT_FATAL(fwrite(ip, 1, len, pcap) == len);
  fprintf(expect, "{\"frame\": %u, \"what\": \"%s\", \"fields\": {", frame,
          what);
}

static int nfields;
static void field(const char *name, const char *fmt, ...) {
  va_list ap;
  fprintf(expect, "%s\"%s\": \"", nfields++ ? ", " : "", name);
  va_start(ap, fmt);
  vfprintf(expect, fmt, ap);
  va_end(ap);
  fputc('"', expect);
}

static void end_frame(const char *flag) {
  if (flag) {
    fprintf(expect, "}, \"flag\": \"%s\"}\n", flag);
  } else {
    fprintf(expect, "}, \"flag\": null}\n");
  }
  nfields = 0;
}

/* IPv4 + UDP around |payload| (valid checksums). */
static void put_udp(const uint8_t *payload, size_t len, uint16_t sport,
                    uint16_t dport, const char *what) {
  static ft_pkt p;
  uint8_t a[4], b[4];
  ft_v4(a, 192, 0, 2, 1);
  ft_v4(b, 192, 0, 2, 2);
  CU_ASSERT_FATAL(len + 28 < sizeof(p.mem) - FT_OFF);
  ft_build_v4(&p, 17, a, b, sport, dport, payload, len, 64, 0);
  put_frame(ft_ip(&p), p.b.len, what);
}

/* ---- BFD with the SVR metadata trailer -------------------------------- */

static uint64_t rng = 5;
static void bfd_rand(uint8_t *d, size_t n, void *u) {
  size_t i;
  (void)u;
  for (i = 0; i < n; i++) {
    d[i] = (uint8_t)svr_test_rand(&rng);
  }
}

static void gen_bfd(void) {
  svrbfd_callbacks cb;
  svrbfd_settings st;
  svrbfd_ctx *ctx = NULL;
  svrbfd_session_config cfg;
  svrbfd_session *s = NULL;
  svrbfd_pkt pk;
  svrbfd_path path;
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_ssize n = 0;
  uint64_t ts;
  memset(&cb, 0, sizeof(cb));
  cb.rand = bfd_rand;
  svrbfd_settings_default(&st);
  st.router_name = "rtr-a";
  st.node_name = "node-a";
  CU_ASSERT_FATAL(svrbfd_ctx_new(&ctx, &cb, &st, NULL, NULL) == 0);
  svrbfd_session_config_default(&cfg);
  cfg.local.family = cfg.remote.family = 4;
  ft_v4(cfg.local.addr, 192, 0, 2, 1);
  ft_v4(cfg.remote.addr, 192, 0, 2, 2);
  CU_ASSERT_FATAL(svrbfd_session_new(ctx, &s, &cfg, NULL, 0) == 0);
  /* The peer's Down packet, seen with TTL 252: our hop count becomes 3. */
  memset(&pk, 0, sizeof(pk));
  pk.version = 1;
  pk.state = SVRBFD_STATE_DOWN;
  pk.detect_mult = 3;
  pk.my_discr = 0x77;
  pk.desired_min_tx_us = 1000000;
  pk.required_min_rx_us = 1000000;
  CU_ASSERT_FATAL(svrbfd_pkt_encode(buf, sizeof(buf), &pk) == 24);
  memset(&path, 0, sizeof(path));
  path.local = cfg.local;
  path.remote = cfg.remote;
  path.local.port = path.remote.port = SVRBFD_PORT_SVR;
  path.ttl = 252;
  CU_ASSERT_FATAL(svrbfd_ctx_read_pkt(ctx, &path, buf, 24, 1) == 0);
  for (ts = 2; ts < 5000000000ull && n <= 0; ts += 1000000) {
    CU_ASSERT_FATAL(svrbfd_ctx_handle_expiry(ctx, ts) == 0);
    n = svrbfd_ctx_write_pkt(ctx, &path, buf, sizeof(buf), ts);
  }
  CU_ASSERT_FATAL(n > 24);
  put_udp(buf, (size_t)n, 49200, 1280, "BFD control + SVR trailer");
  field("bfd.your_discriminator", "0x%08x", 0x77);
  field("svr.router", "rtr-a");
  field("svr.node", "node-a");
  field("svr.hops", "3");
  end_frame(NULL);
  /* The same with its trailer cut in the middle of the node-name TLV. */
  put_udp(buf, (size_t)n - 3, 49200, 1280, "BFD + trailer cut by 3 bytes");
  field("svr.router", "rtr-a");
  end_frame("svr.truncated");
  /* A trailer whose header length is below 12. */
  buf[24 + 8] = 0x10;
  buf[24 + 9] = 0x0b;
  put_udp(buf, (size_t)n, 49200, 1280, "BFD + trailer with header length 11");
  field("bfd.your_discriminator", "0x%08x", 0x77);
  end_frame("svr.malformed");
  svrbfd_ctx_del(ctx);
}

/* ---- path-quality echo, PMTU, detector report ------------------------- */

static void gen_control(void) {
  svrbfd_pq_echo e;
  svrpmtu_msg pm;
  svrfwdet_msg dm;
  uint8_t req[256], rep[300], probe[400], ack[64];
  svrbfd_ssize n, m;
  svrpmtu_ssize pn, an;
  svrfwdet_ssize dn;

  memset(&e, 0, sizeof(e));
  e.token = 0x01020304;
  e.burst = 7;
  e.seq = 0xfffffffe;
  e.tx_ts = 0x1122334455667788ull;
  e.pad_len = 36;
  n = svrbfd_pq_echo_encode(req, sizeof(req), &e);
  CU_ASSERT_FATAL(n == 94);
  put_udp(req, (size_t)n, 1280, 1280, "echo request");
  field("svr.ctrl_kind", "1");
  field("svr.echo.token", "0x01020304");
  field("svr.echo.burst", "7");
  field("svr.echo.seq", "4294967294");
  field("svr.echo.tx_time", "%llu", 0x1122334455667788ull);
  field("svr.pad_len", "36");
  end_frame(NULL);
  m = svrbfd_pq_reflect(rep, sizeof(rep), req, (size_t)n, 1000, 1500);
  CU_ASSERT_FATAL(m == n + 24);
  put_udp(rep, (size_t)m, 1280, 1280, "echo reply");
  field("svr.ctrl_kind", "2");
  field("svr.echo.token", "0x01020304");
  field("svr.echo.refl_rx_time", "1000");
  field("svr.echo.refl_tx_time", "1500");
  end_frame(NULL);
  put_udp(req, 40, 1280, 1280, "echo request cut at 40 bytes");
  field("svr.ctrl_kind", "1");
  end_frame("svr.truncated");

  memset(&pm, 0, sizeof(pm));
  pm.kind = SVRPMTU_MSG_PROBE;
  pm.path_id = 0xabcd0001;
  pm.seq = 9;
  pm.nonce = 0x0102030405060708ull;
  pm.probed_size = 328;
  pm.udp_len = 300;
  pn = svrpmtu_probe_encode(probe, sizeof(probe), &pm);
  CU_ASSERT_FATAL(pn == 300);
  put_udp(probe, (size_t)pn, 1280, 1280, "PMTU probe");
  field("svr.ctrl_kind", "3");
  field("svr.pmtu.path_id", "0xabcd0001");
  field("svr.pmtu.seq", "9");
  field("svr.pmtu.nonce", "0x0102030405060708");
  field("svr.pmtu.probed_size", "328");
  field("svr.pmtu.udp_len", "300");
  field("svr.pad_len", "254");
  end_frame(NULL);
  an = svrpmtu_ack_build(ack, sizeof(ack), probe, (size_t)pn);
  CU_ASSERT_FATAL(an == 42);
  put_udp(ack, (size_t)an, 1280, 1280, "PMTU ack");
  field("svr.ctrl_kind", "4");
  field("svr.pmtu.path_id", "0xabcd0001");
  field("svr.pmtu.udp_len", "300");
  end_frame(NULL);

  memset(&dm, 0, sizeof(dm));
  dm.op = SVRFWDET_OP_REPORT;
  dm.path_id = 0x5eed;
  dm.burst = 4;
  dm.kinds = 0x0b;
  dm.flags_seen[0] = 0x02;
  dm.flags_seen[1] = 0x18;
  dm.flags_seen[3] = 0x18;
  dm.router_name = "rtrB";
  dm.node_name = "nodeB";
  dn = svrfwdet_msg_encode(probe, sizeof(probe), &dm);
  CU_ASSERT_FATAL(dn == 69);
  put_udp(probe, (size_t)dn, 1280, 1280, "detector report");
  field("svr.ctrl_kind", "5");
  field("svr.fwdet.op", "2");
  field("svr.fwdet.path_id", "0x00005eed");
  field("svr.fwdet.burst", "4");
  field("svr.fwdet.kinds", "0x0b");
  field("svr.fwdet.flags_seen", "02:18:00:18");
  field("svr.router", "rtrB");
  field("svr.node", "nodeB");
  end_frame(NULL);
  /* A TLV whose length runs past the header area: header length shrunk
   * by 2 so the node-name TLV no longer fits in it. */
  probe[9] = (uint8_t)(probe[9] - 2);
  put_udp(probe, (size_t)dn, 1280, 1280, "detector report, TLV past area");
  field("svr.ctrl_kind", "5");
  end_frame("svr.truncated");
}

/* ---- detector TCP probes ------------------------------------------------ */

static void gen_probes(void) {
  static uint8_t dgram[8192], frag[2048];
  static const char *names[4] = {"SYN", "mid-flow", "jumbo", "out-of-order"};
  svrfwdet_probe pr;
  int k;
  for (k = 0; k < 4; k++) {
    svrfwdet_ssize n;
    memset(&pr, 0, sizeof(pr));
    pr.kind = (svrfwdet_kind)k;
    pr.src.family = pr.dst.family = 4;
    ft_v4(pr.src.addr, 192, 0, 2, 1);
    ft_v4(pr.dst.addr, 192, 0, 2, 2);
    pr.src.port = (uint16_t)(50000 + k);
    pr.dst.port = (k == 0 || k == 3) ? 1283 : 1280;
    pr.seq = 1000;
    pr.ack = 2000;
    pr.path_id = 0xfeed0001;
    pr.burst = 12;
    pr.ip_id = (uint16_t)(0x100 + k);
    n = svrfwdet_probe_encode(dgram, sizeof(dgram), &pr);
    CU_ASSERT_FATAL(n > 0);
    if (k == SVRFWDET_KIND_JUMBO) {
      size_t i;
      svrfwdet_ssize fl;
      for (i = 0; (fl = svrfwdet_ip_fragment(frag, sizeof(frag), dgram,
                                             (size_t)n, 1500, i)) > 0;
           i++) {
        char what[64];
        snprintf(what, sizeof(what), "detector probe jumbo, fragment %zu", i);
        put_frame(frag, (size_t)fl, what);
        if (svrfwdet_ip_fragment(frag, sizeof(frag), dgram, (size_t)n, 1500,
                                 i + 1) == 0) {
          /* the last fragment: Wireshark reassembles the datagram here */
          field("svr.probe.kind", "2");
          field("svr.probe.payload_len", "6516");
          field("svr.probe.path_id", "0xfeed0001");
        }
        end_frame(NULL);
      }
      CU_ASSERT_FATAL(i == 5);
      continue;
    }
    put_frame(dgram, (size_t)n, names[k]);
    field("svr.probe.magic", "SVRFWDET");
    field("svr.probe.version", "1");
    field("svr.probe.kind", "%d", k);
    field("svr.probe.payload_len", "100");
    field("svr.probe.path_id", "0xfeed0001");
    field("svr.probe.burst", "12");
    end_frame(NULL);
  }
}

/* ---- data plane --------------------------------------------------------- */

static int uuid_of(svrfwd_session *s, void *ud) {
  svrfwd_session_info in;
  svrfwd_session_get_info(s, &in);
  memcpy(ud, in.uuid, 16);
  return 1;
}

static void uuid_field(svrfwd_ctx *ctx) {
  uint8_t u[16];
  memset(u, 0, sizeof(u));
  CU_ASSERT_FATAL(svrfwd_ctx_session_foreach(ctx, uuid_of, u) >= 0);
  field("svr.uuid",
        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
        u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
        u[11], u[12], u[13], u[14], u[15]);
}

/* One session through two routers: first packets both ways, then the fast
 * path both ways; every outer packet is a frame. */
static void gen_session(svrfwd_cipher c, uint8_t proto, const char *label) {
  static ft_pkt p;
  svrfwd_settings s;
  ft_pair t;
  svrfwd_route r;
  static const uint8_t marker[] = "svr-dissector-marker-payload";
  char what[96];
  int i;
  const char *hexid = "0x00000007";
  svrfwd_settings_default(&s);
  ft_pair_init(&t, c, &s);
  r.peer = t.ab;
  r.tenant = "tenant-1";
  r.service = "web";
  for (i = 0; i < 4; i++) {
    int fwd = (i % 2) == 0, first = i < 2;
    if (fwd) {
      ft_build_v4(&p, proto, t.client, t.server, 40000, 8080, marker,
                  sizeof(marker), 64, proto == 6 ? (first ? 0x02 : 0x10) : 0);
      CU_ASSERT_FATAL(svrfwd_ctx_ingress(t.a, &p.b, first ? &r : NULL, NULL,
                                         (svrfwd_tstamp)(i + 1) * 1000) == 0);
    } else {
      ft_build_v4(&p, proto, t.server, t.client, 8080, 40000, marker,
                  sizeof(marker), 64, proto == 6 ? (first ? 0x12 : 0x10) : 0);
      CU_ASSERT_FATAL(svrfwd_ctx_ingress(t.b, &p.b, NULL, NULL,
                                         (svrfwd_tstamp)(i + 1) * 1000) == 0);
    }
    snprintf(what, sizeof(what), "%s %s %s", label, fwd ? "A->B" : "B->A",
             first ? "first packet" : "fast path");
    put_frame(ft_ip(&p), p.b.len, what);
    if (first) {
      uuid_field(t.a);
      if (c != SVRFWD_CIPHER_NONE) {
        field("svr.security_id", hexid);
        field("svr.seq", "1");
      } else {
        field("svr.router", fwd ? "router-a" : "router-b");
        field("svr.ctx.direction", fwd ? "forward" : "reverse");
        field("svr.ctx.src", fwd ? "10.0.0.5" : "10.1.0.9");
        field("svr.ctx.dst", fwd ? "10.1.0.9" : "10.0.0.5");
        field("svr.ctx.sport", fwd ? "40000" : "8080");
        field("svr.ctx.dport", fwd ? "8080" : "40000");
        field("svr.ctx.proto", "%u", proto);
        if (fwd) {
          field("svr.tenant", "tenant-1");
          field("svr.service", "web");
        } else {
          field("svr.disable_fwd_meta", "1");
        }
      }
      if (c == SVRFWD_CIPHER_AES256_CBC_HMAC) {
        field("svr.time_ms", "0");
      }
    } else if (c != SVRFWD_CIPHER_NONE) {
      field("svr.fp.security_id", hexid);
      field("svr.fp.seq", "2");
    } else {
      field("svr.clear_payload", "*");
    }
    end_frame(NULL);
    CU_ASSERT_FATAL(svrfwd_ctx_egress(fwd ? t.b : t.a, &p.b, NULL,
                                      (svrfwd_tstamp)(i + 1) * 1000) == 0);
  }
  ft_pair_free(&t);
}

/* A data-plane first packet cut after |keep| bytes of metadata. */
static void gen_cut_first(void) {
  static ft_pkt p, q;
  svrfwd_settings s;
  ft_pair t;
  svrfwd_route r;
  static const uint8_t pay[8] = "abcdefg";
  svrfwd_settings_default(&s);
  ft_pair_init(&t, SVRFWD_CIPHER_AES256_GCM, &s);
  r.peer = t.ab;
  r.tenant = "tenant-1";
  r.service = "web";
  ft_build_v4(&p, 17, t.client, t.server, 40001, 53, pay, sizeof(pay), 64, 0);
  CU_ASSERT_FATAL(svrfwd_ctx_ingress(t.a, &p.b, &r, NULL, 1000) == 0);
  /* outer: IPv4 (20) + UDP (8) + metadata; keep 30 bytes of it */
  ft_build_v4(&q, 17, t.wa, t.wb, svr_get_be16(ft_ip(&p) + 20),
              svr_get_be16(ft_ip(&p) + 22), ft_ip(&p) + 28, 30, 64, 0);
  put_frame(ft_ip(&q), q.b.len, "data-plane first packet cut at 30 bytes");
  field("svr.cookie", "4c:48:db:c6:dd:f6:67:0c");
  end_frame("svr.truncated");
  ft_pair_free(&t);
}

static char *out_pcap, *out_expect;

static void test_write_capture(void) {
  pcap_open(out_pcap);
  expect = fopen(out_expect, "w");
  CU_ASSERT_FATAL(expect != NULL);
  gen_bfd();
  gen_control();
  gen_probes();
  gen_session(SVRFWD_CIPHER_AES256_GCM, 17, "GCM UDP");
  gen_session(SVRFWD_CIPHER_AES256_GCM, 6, "GCM TCP");
  gen_session(SVRFWD_CIPHER_AES256_CBC_HMAC, 17, "CBC+HMAC UDP");
  gen_session(SVRFWD_CIPHER_NONE, 17, "cipher none UDP");
  gen_cut_first();
  CU_ASSERT(fclose(pcap) == 0);
  CU_ASSERT(fclose(expect) == 0);
}

int main(int argc, char **argv) {
  static const svr_test_case cases[] = {
      {"write_capture", test_write_capture}, {NULL, NULL}};
  if (argc != 3) {
    fprintf(stderr, "usage: dissector_gen OUT.pcap OUT.expect\n");
    return 2;
  }
  out_pcap = argv[1];
  out_expect = argv[2];
  return svr_test_run("dissector_gen", cases);
}
