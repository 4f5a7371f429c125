/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr_table: the one text table style of the suite's programs (docs/cli.md,
 * "Tables"): a header row, a row of '=' as wide as each column under it,
 * one space between columns, each column as wide as its widest cell
 * (counted in characters: UTF-8 sequences count once), cells left-aligned
 * unless their column is right-aligned, and the last column never padded
 * (no trailing blanks).  What the product's show commands print, used by
 * svr-router, svr-bfd, svr-fwdet, svr-conductor and svr-ports.
 *
 * Internal to cli/: not installed, no ABI.
 */
#ifndef SVR_TABLE_H
#define SVR_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define SVR_TABLE_MAXCOL 32

/* Formats |nrows| rows of |ncol| cells (row-major in |cell|) under |head|;
 * bit k of |right| right-aligns column k.  Returns a malloc'd string
 * (every line ends in '\n'), or NULL when out of memory or |ncol| is not
 * 1..SVR_TABLE_MAXCOL. */
char *svr_table_grid(const char *const *head, int ncol,
                     const char *const *cell, size_t nrows, unsigned right);

/* A table built row by row (cells copied). */
typedef struct svr_table {
  int ncol;
  const char *head[SVR_TABLE_MAXCOL];
  unsigned right; /* bit k: column k right-aligned */
  char **cells;
  size_t nrows, cap;
  int failed; /* out of memory: print fails */
} svr_table;

/* |ncol| headers from |head| (kept by pointer). */
void svr_table_init(svr_table *t, int ncol, const char *const *head);
/* Copies one row of t->ncol cells (NULL prints as ""). */
void svr_table_add(svr_table *t, const char *const *cells);
/* Writes the table to |f|; 0, or -1 (out of memory, write error). */
int svr_table_print(const svr_table *t, FILE *f);
void svr_table_free(svr_table *t);

#endif
