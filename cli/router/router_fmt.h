/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: `show peers [detail]` as a table (modelled on the product's
 * PCLI output) and as JSON (schema in docs/svr-router.md).  Pure functions,
 * unit tested in tests/router_fmt_test.c.
 */
#ifndef SVR_ROUTER_FMT_H
#define SVR_ROUTER_FMT_H

#include <stddef.h>
#include <stdint.h>

typedef struct rf_row {
  char router[64];      /* our router name */
  char peer[64];        /* peer router name */
  char node[64];        /* our node */
  char peer_node[64];   /* from the peer's BFD metadata, "" = unknown */
  char interface[64];   /* our network interface */
  char destination[64]; /* the peer's address */
  uint16_t port;
  char hostname[64];    /* "" = unavailable */
  char topology[8];
  const char *status;   /* "up", "down", "init" */
  uint32_t path_mtu;    /* 0 = unavailable */
  int has_pq;           /* a burst result exists */
  double latency_ms, jitter_ms, loss_pct, mos;
  uint64_t bursts;
  uint64_t echo_sent, echo_received; /* over every evaluated burst */
  uint64_t detect_time_ms;            /* BFD detection time, 0 = not armed */
  int has_uptime;       /* reported up */
  uint64_t uptime_s;
} rf_row;

/* A growing text buffer (NUL-terminated; p == NULL after allocation failure). */
typedef struct rf_buf {
  char *p;
  size_t len, cap;
  int failed;
} rf_buf;

void rf_buf_init(rf_buf *b);
void rf_buf_free(rf_buf *b);
void rf_printf(rf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for |n| more bytes (and the NUL): 0, or -1 and b->failed. */
int rf_reserve(rf_buf *b, size_t n);
/* Appends |n| bytes, a string, a decimal number: no printf. */
void rf_put(rf_buf *b, const char *s, size_t n);
void rf_puts(rf_buf *b, const char *s);
void rf_put_u64(rf_buf *b, uint64_t v);

/* A table in the suite's one style (svr_table_grid, cli/common/svr_table.h):
 * |ncol| headers, an underline of '=' per column, then |nrows| rows of
 * |cell| (row-major, nrows * ncol strings); columns are as wide as their
 * widest entry, the last one unpadded. */
#define RF_GRID_MAXCOL 16
void rf_grid(rf_buf *b, const char *const *head, int ncol,
             const char *const *cell, size_t nrows);

/* |s| as a JSON string, quotes included (control characters escaped). */
void rf_json_str(rf_buf *b, const char *s);

/* "12d4h31m": days, hours, minutes (seconds truncated). */
void rf_uptime(char *buf, size_t len, uint64_t seconds);

/* The table; detail adds Latency(ms) Jitter(ms) Loss(%) MOS Uptime. */
void rf_table(rf_buf *b, const rf_row *rows, size_t n, int detail);

/* One JSON object {"router":..,"node":..,"detail":..,"peers":[..]} + "\n". */
void rf_json(rf_buf *b, const char *router, const char *node,
             const rf_row *rows, size_t n, int detail);
/* The same in pieces, for rows made a chunk at a time: the head (|n|, the
 * rows to come, sizes the buffer), the rows (|first|: no comma before the
 * first of them), the tail. */
void rf_json_begin(rf_buf *b, const char *router, const char *node,
                   size_t n, int detail);
void rf_json_rows(rf_buf *b, const rf_row *rows, size_t n, int detail,
                  int first);
void rf_json_end(rf_buf *b);

/* One row of `show udp-transform`. */
typedef struct rf_ut_row {
  char router[64];
  char node[64];
  char peer[64];
  char mode[24];        /* auto-detect, always-transform, disabled */
  const char *status;   /* "enabled", "disabled", "unavailable" */
  char reasons[128];    /* "Mid-flow; Out-of-order;" or "" */
  uint32_t bursts_sent, bursts_answered;
} rf_ut_row;

/* Router Name, Node Name, Peer, Status, Reason(s). */
void rf_ut_table(rf_buf *b, const rf_ut_row *rows, size_t n);
/* {"router":..,"node":..,"udp_transform":[{..}]} + "\n". */
void rf_ut_json(rf_buf *b, const char *router, const char *node,
                const rf_ut_row *rows, size_t n);

#endif /* SVR_ROUTER_FMT_H */
