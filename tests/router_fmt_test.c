/* SPDX-License-Identifier: BSD-2-Clause */
/* svr-router show peers formatting: uptime, table cells, JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_fmt.h"
#include "svr_test.h"

static void test_uptime(void) {
  char b[32];
  rf_uptime(b, sizeof(b), 0);
  CU_ASSERT_STRING_EQUAL(b, "0d0h0m");
  rf_uptime(b, sizeof(b), 59);
  CU_ASSERT_STRING_EQUAL(b, "0d0h0m");
  rf_uptime(b, sizeof(b), 10 * 3600 + 2 * 60 + 7);
  CU_ASSERT_STRING_EQUAL(b, "0d10h2m");
  rf_uptime(b, sizeof(b), 12 * 86400 + 4 * 3600 + 31 * 60);
  CU_ASSERT_STRING_EQUAL(b, "12d4h31m");
}

static rf_row row(const char *peer, const char *status) {
  rf_row r;
  memset(&r, 0, sizeof(r));
  snprintf(r.router, sizeof(r.router), "burl-corp");
  snprintf(r.peer, sizeof(r.peer), "%s", peer);
  snprintf(r.node, sizeof(r.node), "burl-corp-secondary");
  snprintf(r.interface, sizeof(r.interface), "lighttower");
  snprintf(r.destination, sizeof(r.destination), "1.2.3.4");
  snprintf(r.topology, sizeof(r.topology), "mesh");
  r.port = 1280;
  r.status = status;
  return r;
}

/* The product's sample row: 88 ms, 0, 0 % -> MOS 4.357, 12d4h31m. */
static void test_table(void) {
  rf_row rows[3];
  rf_buf b;
  rows[0] = row("seattle-site", "up");
  rows[0].has_pq = 1;
  rows[0].latency_ms = 88;
  rows[0].mos = 4.357;
  rows[0].has_uptime = 1;
  rows[0].uptime_s = 12 * 86400 + 4 * 3600 + 31 * 60;
  rows[1] = row("tp-colo", "down");
  rows[2] = row("new-site", "up"); /* up, no burst yet */
  rows[2].has_uptime = 1;
  rf_buf_init(&b);
  rf_table(&b, rows, 3, 1);
  CU_ASSERT_FATAL(b.p != NULL);
  fputs(b.p, stdout);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "Peer "));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "Network Interface"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "Latency(ms) Jitter(ms)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, " Loss(%) "));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, " MOS "));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, " Uptime\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "burl-corp -> seattle-site"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "88.000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "4.357"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "12d4h31m\n"));
  /* down: quality and uptime unavailable */
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "down   unavailable unavailable "
                                     "unavailable unavailable unavailable"));
  /* up without a result: dashes */
  {
    const char *l = strstr(b.p, "burl-corp -> new-site");
    CU_ASSERT_FATAL(l != NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(l, "unavailable -"));
    CU_ASSERT_PTR_NOT_NULL(strstr(l, "-           0d0h0m\n"));
  }
  CU_ASSERT_PTR_NULL(strstr(b.p, " \n")); /* no trailing blanks */
  rf_buf_free(&b);
  rf_buf_init(&b);
  rf_table(&b, rows, 3, 0);
  CU_ASSERT_PTR_NULL(strstr(b.p, "Latency"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "Path MTU\n"));
  rf_buf_free(&b);
}

static void test_json(void) {
  rf_row rows[2];
  rf_buf b;
  rows[0] = row("seattle-site", "up");
  rows[0].has_pq = 1;
  rows[0].latency_ms = 22;
  rows[0].jitter_ms = 1;
  rows[0].mos = 4.392;
  rows[0].bursts = 3;
  rows[0].echo_sent = 30;
  rows[0].echo_received = 29;
  rows[0].detect_time_ms = 3000;
  rows[0].has_uptime = 1;
  rows[0].uptime_s = 61;
  snprintf(rows[0].hostname, sizeof(rows[0].hostname), "a\"b");
  rows[1] = row("tp-colo", "down");
  rows[1].has_pq = 1; /* stale result: not shown while down */
  rf_buf_init(&b);
  rf_json(&b, "burl-corp", "n1", rows, 2, 1);
  fputs(b.p, stdout);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "{\"router\":\"burl-corp\",\"node\":\"n1\","
                                     "\"detail\":true,\"peers\":[{"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"peer\":\"burl-corp -> seattle-site\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"hostname\":\"a\\\"b\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"latency_ms\":22.000000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"mos\":4.3920"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"uptime_s\":61,\"uptime\":\"0d0h1m\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"bursts\":3,\"echo_sent\":30,"
                                     "\"echo_received\":29,\"detect_time_ms\":3000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"detect_time_ms\":null"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\"status\":\"down\",\"hostname\":null,"
                                     "\"path_mtu\":null,\"latency_ms\":null"));
  CU_ASSERT_EQUAL(b.p[b.len - 1], '\n');
  rf_buf_free(&b);
  rf_buf_init(&b);
  rf_json(&b, "r", "n", rows, 0, 0);
  CU_ASSERT_STRING_EQUAL(b.p, "{\"router\":\"r\",\"node\":\"n\",\"detail\":false,"
                              "\"peers\":[]}\n");
  rf_buf_free(&b);
}

/* The JSON made a chunk of rows at a time (as the daemon does) is the same
 * bytes as in one call; escapes and integers written without printf are
 * what printf wrote. */
static void test_json_chunks(void) {
  rf_row rows[7];
  rf_buf whole, parts;
  size_t i, at;
  int detail;
  for (i = 0; i < 7; i++) {
    char name[32];
    snprintf(name, sizeof(name), "spoke-%zu", i);
    rows[i] = row(name, i % 3 ? "up" : "down");
    rows[i].has_pq = (int)(i % 2);
    rows[i].path_mtu = i % 4 ? 1500u : 0u;
    rows[i].bursts = i == 6 ? UINT64_MAX : i;
    rows[i].detect_time_ms = i == 5 ? 0 : 3000;
    rows[i].has_uptime = 1;
    rows[i].uptime_s = i * 86461;
  }
  snprintf(rows[1].hostname, sizeof(rows[1].hostname), "a\001b\\c\"d\x1f");
  snprintf(rows[2].peer_node, sizeof(rows[2].peer_node), "n\te");
  for (detail = 0; detail < 2; detail++) {
    rf_buf_init(&whole);
    rf_json(&whole, "r\"1", "n", rows, 7, detail);
    rf_buf_init(&parts);
    rf_json_begin(&parts, "r\"1", "n", 7, detail);
    for (at = 0; at < 7; at += 3) {
      rf_json_rows(&parts, rows + at, at + 3 <= 7 ? 3 : 7 - at, detail, at == 0);
    }
    rf_json_end(&parts);
    CU_ASSERT_FATAL(whole.p != NULL && parts.p != NULL);
    CU_ASSERT_STRING_EQUAL(whole.p, parts.p);
    CU_ASSERT_EQUAL(whole.len, strlen(whole.p));
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.p, "{\"router\":\"r\\\"1\",\"node\":\"n\","));
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.p, "\"hostname\":\"a\\u0001b\\\\c\\\"d\\u001f\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.p, "\"peer_node\":\"n\\u0009e\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.p, "\"peer\":\"burl-corp -> spoke-6\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.p, "\"port\":1280,\"topology\":\"mesh\""));
    if (detail) {
      CU_ASSERT_PTR_NOT_NULL(strstr(whole.p, "\"bursts\":18446744073709551615,"));
      CU_ASSERT_PTR_NOT_NULL(strstr(whole.p, "\"uptime_s\":345844,\"uptime\":\"4d0h4m\""));
    }
    rf_buf_free(&whole);
    rf_buf_free(&parts);
  }
}

int main(void) {
  static const svr_test_case cases[] = {
      {"uptime", test_uptime},
      {"table", test_table},
      {"json", test_json},
      {"json_chunks", test_json_chunks},
      {NULL, NULL}};
  return svr_test_run("router_fmt", cases);
}
