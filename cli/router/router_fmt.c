/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: formatting of `show peers [detail]` (table and JSON).
 *
 * Table cells follow the product: "router -> peer" in Peer, "unavailable"
 * for an unknown Hostname or Path MTU; in detail, "unavailable" for the
 * quality columns and Uptime while the path is not up, "-" while it is up
 * but no echo burst has been evaluated yet.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_fmt.h"
#include "svr_table.h"

void rf_buf_init(rf_buf *b) {
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

void rf_buf_free(rf_buf *b) {
  free(b->p);
  rf_buf_init(b);
}

/* Room for |n| more bytes and the NUL (0), or failed (-1). */
int rf_reserve(rf_buf *b, size_t n) {
  size_t ncap;
  char *np;
  if (b->failed) {
    return -1;
  }
  if (b->p && b->cap - b->len > n) {
    return 0;
  }
  ncap = b->cap ? b->cap * 2 : 1024;
  while (ncap - b->len <= n) {
    ncap *= 2;
  }
  np = realloc(b->p, ncap);
  if (np == NULL) {
    b->failed = 1;
    return -1;
  }
  b->p = np;
  b->cap = ncap;
  return 0;
}

void rf_put(rf_buf *b, const char *s, size_t n) {
  if (rf_reserve(b, n) != 0) {
    return;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void rf_puts(rf_buf *b, const char *s) { rf_put(b, s, strlen(s)); }

/* A string literal, its length known at compile time. */
#define PUTL(b, lit) rf_put((b), (lit), sizeof(lit) - 1)

void rf_put_u64(rf_buf *b, uint64_t v) {
  char t[20];
  size_t i = sizeof(t);
  do {
    t[--i] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  rf_put(b, t + i, sizeof(t) - i);
}

void rf_printf(rf_buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  if (b->failed) {
    return;
  }
  for (;;) {
    size_t room = b->cap - b->len;
    va_start(ap, fmt);
    n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if (b->p && (size_t)n < room) {
      b->len += (size_t)n;
      return;
    }
    if (rf_reserve(b, (size_t)n) != 0) {
      return;
    }
  }
}

void rf_uptime(char *buf, size_t len, uint64_t s) {
  uint64_t d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60;
  snprintf(buf, len, "%" PRIu64 "d%" PRIu64 "h%" PRIu64 "m", d, h, m);
}

#define NCOL 12

static void cells(const rf_row *r, char c[NCOL][96]) {
  int down = strcmp(r->status, "up") != 0;
  snprintf(c[0], 96, "%s -> %s", r->router, r->peer);
  snprintf(c[1], 96, "%s", r->node);
  snprintf(c[2], 96, "%s", r->interface);
  snprintf(c[3], 96, "%s", r->destination);
  snprintf(c[4], 96, "%s", r->status);
  snprintf(c[5], 96, "%s", r->hostname[0] ? r->hostname : "unavailable");
  if (r->path_mtu) {
    snprintf(c[6], 96, "%u", r->path_mtu);
  } else {
    snprintf(c[6], 96, "unavailable");
  }
  if (down) {
    int i;
    for (i = 7; i < NCOL; i++) {
      snprintf(c[i], 96, "unavailable");
    }
    return;
  }
  if (r->has_pq) {
    snprintf(c[7], 96, "%.3f", r->latency_ms);
    snprintf(c[8], 96, "%.3f", r->jitter_ms);
    snprintf(c[9], 96, "%.1f", r->loss_pct);
    snprintf(c[10], 96, "%.3f", r->mos);
  } else {
    snprintf(c[7], 96, "-");
    snprintf(c[8], 96, "-");
    snprintf(c[9], 96, "-");
    snprintf(c[10], 96, "-");
  }
  if (r->has_uptime) {
    rf_uptime(c[11], 96, r->uptime_s);
  } else {
    snprintf(c[11], 96, "-");
  }
}

/* The suite's one table style (cli/common/svr_table.h, docs/cli.md). */
void rf_grid(rf_buf *b, const char *const *head, int ncol,
             const char *const *cell, size_t nrows) {
  char *s;
  if (ncol > RF_GRID_MAXCOL) {
    b->failed = 1;
    return;
  }
  s = svr_table_grid(head, ncol, cell, nrows, 0);
  if (s == NULL) {
    b->failed = 1;
    return;
  }
  rf_puts(b, s);
  free(s);
}

void rf_table(rf_buf *b, const rf_row *rows, size_t n, int detail) {
  static const char *head[NCOL] = {
      "Peer", "Node", "Network Interface", "Destination", "Status",
      "Hostname", "Path MTU", "Latency(ms)", "Jitter(ms)", "Loss(%)", "MOS",
      "Uptime"};
  size_t i;
  int k, ncol = detail ? NCOL : 7;
  char (*c)[NCOL][96] = malloc((n ? n : 1) * sizeof(*c));
  const char **cell = malloc((n ? n * NCOL : 1) * sizeof(*cell));
  if (c == NULL || cell == NULL) {
    b->failed = 1;
    free(c);
    free(cell);
    return;
  }
  for (i = 0; i < n; i++) {
    cells(&rows[i], c[i]);
    for (k = 0; k < ncol; k++) {
      cell[i * (size_t)ncol + (size_t)k] = c[i][k];
    }
  }
  rf_grid(b, head, ncol, cell, n);
  free(cell);
  free(c);
}

/* The body of |s| as a JSON string (no quotes): runs of characters that
 * need no escape are copied at once. */
static void json_body(rf_buf *b, const char *s) {
  for (;;) {
    const char *q = s;
    unsigned char ch;
    while ((ch = (unsigned char)*q) >= 0x20 && ch != '"' && ch != '\\') {
      q++;
    }
    if (q > s) {
      rf_put(b, s, (size_t)(q - s));
    }
    if (ch == '\0') {
      return;
    }
    if (ch == '"' || ch == '\\') {
      char e[2] = {'\\', (char)ch};
      rf_put(b, e, 2);
    } else {
      static const char hex[] = "0123456789abcdef";
      char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
      rf_put(b, e, 6);
    }
    s = q + 1;
  }
}

void rf_json_str(rf_buf *b, const char *s) {
  PUTL(b, "\"");
  json_body(b, s);
  PUTL(b, "\"");
}

static void jstr_or_null(rf_buf *b, const char *s) {
  if (s[0]) {
    rf_json_str(b, s);
  } else {
    PUTL(b, "null");
  }
}

/* One pass over the rows straight into |b|: fixed text copied, strings
 * escaped in runs, integers converted here (no printf but for the four
 * quality figures of detail). */
void rf_json_begin(rf_buf *b, const char *router, const char *node,
                   size_t n, int detail) {
  /* about 240 bytes a row, 420 with detail: the buffer grows at most once
   * or twice */
  (void)rf_reserve(b, 128 + n * (detail ? 448u : 256u));
  PUTL(b, "{\"router\":");
  rf_json_str(b, router);
  PUTL(b, ",\"node\":");
  rf_json_str(b, node);
  if (detail) {
    PUTL(b, ",\"detail\":true,\"peers\":[");
  } else {
    PUTL(b, ",\"detail\":false,\"peers\":[");
  }
}

void rf_json_rows(rf_buf *b, const rf_row *rows, size_t n, int detail,
                  int first) {
  size_t i;
  for (i = 0; i < n; i++) {
    const rf_row *r = &rows[i];
    if (i || !first) {
      PUTL(b, ",");
    }
    PUTL(b, "{\"peer\":\"");
    json_body(b, r->router);
    PUTL(b, " -> ");
    json_body(b, r->peer);
    PUTL(b, "\",\"router\":");
    rf_json_str(b, r->router);
    PUTL(b, ",\"peer_router\":");
    rf_json_str(b, r->peer);
    PUTL(b, ",\"node\":");
    rf_json_str(b, r->node);
    PUTL(b, ",\"peer_node\":");
    jstr_or_null(b, r->peer_node);
    PUTL(b, ",\"network_interface\":");
    rf_json_str(b, r->interface);
    PUTL(b, ",\"destination\":");
    rf_json_str(b, r->destination);
    PUTL(b, ",\"port\":");
    rf_put_u64(b, r->port);
    PUTL(b, ",\"topology\":");
    rf_json_str(b, r->topology);
    PUTL(b, ",\"status\":");
    rf_json_str(b, r->status);
    PUTL(b, ",\"hostname\":");
    jstr_or_null(b, r->hostname);
    PUTL(b, ",\"path_mtu\":");
    if (r->path_mtu) {
      rf_put_u64(b, r->path_mtu);
    } else {
      PUTL(b, "null");
    }
    if (detail) {
      int up = strcmp(r->status, "up") == 0;
      if (r->has_pq && up) {
        rf_printf(b, ",\"latency_ms\":%.6f,\"jitter_ms\":%.6f,"
                     "\"loss_pct\":%.3f,\"mos\":%.4f",
                  r->latency_ms, r->jitter_ms, r->loss_pct, r->mos);
      } else {
        PUTL(b, ",\"latency_ms\":null,\"jitter_ms\":null,"
                "\"loss_pct\":null,\"mos\":null");
      }
      PUTL(b, ",\"bursts\":");
      rf_put_u64(b, r->bursts);
      PUTL(b, ",\"echo_sent\":");
      rf_put_u64(b, r->echo_sent);
      PUTL(b, ",\"echo_received\":");
      rf_put_u64(b, r->echo_received);
      PUTL(b, ",\"detect_time_ms\":");
      if (r->detect_time_ms) {
        rf_put_u64(b, r->detect_time_ms);
      } else {
        PUTL(b, "null");
      }
      if (r->has_uptime && up) {
        char t[48];
        rf_uptime(t, sizeof(t), r->uptime_s);
        PUTL(b, ",\"uptime_s\":");
        rf_put_u64(b, r->uptime_s);
        PUTL(b, ",\"uptime\":\"");
        rf_puts(b, t);
        PUTL(b, "\"");
      } else {
        PUTL(b, ",\"uptime_s\":null,\"uptime\":null");
      }
    }
    PUTL(b, "}");
  }
}

void rf_json_end(rf_buf *b) { PUTL(b, "]}\n"); }

void rf_json(rf_buf *b, const char *router, const char *node,
             const rf_row *rows, size_t n, int detail) {
  rf_json_begin(b, router, node, n, detail);
  rf_json_rows(b, rows, n, detail, 1);
  rf_json_end(b);
}

/* ---- show udp-transform ---------------------------------------------------- */

#define UT_NCOL 5

void rf_ut_table(rf_buf *b, const rf_ut_row *rows, size_t n) {
  static const char *head[UT_NCOL] = {"Router Name", "Node Name", "Peer",
                                      "Status", "Reason(s)"};
  const char **cell = calloc(n ? n * UT_NCOL : 1, sizeof(*cell));
  size_t i;
  if (cell == NULL) {
    b->failed = 1;
    return;
  }
  for (i = 0; i < n; i++) {
    const char **c = cell + i * UT_NCOL;
    c[0] = rows[i].router;
    c[1] = rows[i].node;
    c[2] = rows[i].peer;
    c[3] = rows[i].status;
    c[4] = rows[i].reasons;
  }
  rf_grid(b, head, UT_NCOL, cell, n);
  free(cell);
}

void rf_ut_json(rf_buf *b, const char *router, const char *node,
                const rf_ut_row *rows, size_t n) {
  size_t i;
  rf_printf(b, "{\"router\":");
  rf_json_str(b, router);
  rf_printf(b, ",\"node\":");
  rf_json_str(b, node);
  rf_printf(b, ",\"udp_transform\":[");
  for (i = 0; i < n; i++) {
    const rf_ut_row *r = &rows[i];
    char tmp[sizeof(r->reasons)];
    const char *s = r->reasons;
    int first = 1;
    rf_printf(b, "%s{\"router\":", i ? "," : "");
    rf_json_str(b, r->router);
    rf_printf(b, ",\"node\":");
    rf_json_str(b, r->node);
    rf_printf(b, ",\"peer\":");
    rf_json_str(b, r->peer);
    rf_printf(b, ",\"mode\":");
    rf_json_str(b, r->mode);
    rf_printf(b, ",\"status\":");
    rf_json_str(b, r->status);
    rf_printf(b, ",\"reasons\":[");
    /* "Mid-flow; Out-of-order;" -> ["Mid-flow","Out-of-order"] */
    while (*s) {
      size_t l;
      while (*s == ' ' || *s == ';') {
        s++;
      }
      l = strcspn(s, ";");
      if (l == 0) {
        break;
      }
      snprintf(tmp, sizeof(tmp), "%.*s", (int)l, s);
      rf_printf(b, "%s", first ? "" : ",");
      rf_json_str(b, tmp);
      first = 0;
      s += l;
    }
    rf_printf(b, "],\"bursts_sent\":%u,\"bursts_answered\":%u}",
              (unsigned)r->bursts_sent, (unsigned)r->bursts_answered);
  }
  rf_printf(b, "]}\n");
}
