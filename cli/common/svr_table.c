/* SPDX-License-Identifier: BSD-2-Clause */
/* svr_table: the suite's text tables (svr_table.h, docs/cli.md). */
#define _GNU_SOURCE
#include "svr_table.h"

#include <stdlib.h>
#include <string.h>

/* Characters on the terminal: UTF-8 continuation bytes add none. */
static size_t width(const char *s) {
  size_t n = 0;
  for (; *s; s++) {
    if (((unsigned char)*s & 0xC0) != 0x80) {
      n++;
    }
  }
  return n;
}

static char *put(char *p, char c, size_t n) {
  memset(p, c, n);
  return p + n;
}

/* One line: |ncol| cells padded to |w|, without trailing blanks (a
 * left-aligned last column is not padded, empty cells at the end leave
 * none).  |p| has room (the caller counted). */
static char *line(char *p, const char *const *c, int ncol, const size_t *w,
                  unsigned right) {
  char *start = p;
  int k;
  for (k = 0; k < ncol; k++) {
    const char *s = c[k] ? c[k] : "";
    size_t l = strlen(s), pad = w[k] - width(s);
    if (k > 0) {
      *p++ = ' ';
    }
    if (right & (1u << k)) {
      p = put(p, ' ', pad);
    }
    memcpy(p, s, l);
    p += l;
    if (!(right & (1u << k)) && k < ncol - 1) {
      p = put(p, ' ', pad);
    }
  }
  while (p > start && p[-1] == ' ') {
    p--;
  }
  *p++ = '\n';
  return p;
}

char *svr_table_grid(const char *const *head, int ncol,
                     const char *const *cell, size_t nrows, unsigned right) {
  size_t w[SVR_TABLE_MAXCOL], total = 0, bytes = 0, i, rowlen = 0;
  const char *dash[SVR_TABLE_MAXCOL];
  char *out, *p, *rule;
  int k;
  if (ncol < 1 || ncol > SVR_TABLE_MAXCOL) {
    return NULL;
  }
  for (k = 0; k < ncol; k++) {
    w[k] = width(head[k]);
    bytes += strlen(head[k]);
    for (i = 0; i < nrows; i++) {
      const char *s = cell[i * (size_t)ncol + (size_t)k];
      size_t cw = s ? width(s) : 0;
      w[k] = cw > w[k] ? cw : w[k];
      bytes += s ? strlen(s) : 0;
    }
    rowlen += w[k] + 1; /* padding and separator or newline */
  }
  /* every line at most its padding plus its bytes: bounded generously */
  total = bytes + (nrows + 2) * rowlen + rowlen + 1;
  rule = malloc(rowlen + 1);
  out = malloc(total);
  if (rule == NULL || out == NULL) {
    free(rule);
    free(out);
    return NULL;
  }
  p = rule;
  for (k = 0; k < ncol; k++) {
    dash[k] = p;
    p = put(p, '=', w[k]);
    *p++ = '\0';
  }
  p = line(out, head, ncol, w, right);
  p = line(p, dash, ncol, w, 0);
  for (i = 0; i < nrows; i++) {
    p = line(p, cell + i * (size_t)ncol, ncol, w, right);
  }
  *p = '\0';
  free(rule);
  return out;
}

void svr_table_init(svr_table *t, int ncol, const char *const *head) {
  int k;
  memset(t, 0, sizeof *t);
  if (ncol < 1 || ncol > SVR_TABLE_MAXCOL) {
    t->failed = 1;
    return;
  }
  t->ncol = ncol;
  for (k = 0; k < ncol; k++) {
    t->head[k] = head[k];
  }
}

void svr_table_add(svr_table *t, const char *const *cells) {
  int k;
  if (t->failed) {
    return;
  }
  if (t->nrows == t->cap) {
    size_t ncap = t->cap ? t->cap * 2 : 16;
    char **nc = realloc(t->cells, ncap * (size_t)t->ncol * sizeof *nc);
    if (nc == NULL) {
      t->failed = 1;
      return;
    }
    t->cells = nc;
    t->cap = ncap;
  }
  for (k = 0; k < t->ncol; k++) {
    char *c = strdup(cells[k] ? cells[k] : "");
    if (c == NULL) {
      while (k-- > 0) {
        free(t->cells[t->nrows * (size_t)t->ncol + (size_t)k]);
      }
      t->failed = 1;
      return;
    }
    t->cells[t->nrows * (size_t)t->ncol + (size_t)k] = c;
  }
  t->nrows++;
}

int svr_table_print(const svr_table *t, FILE *f) {
  char *s;
  int rv;
  if (t->failed) {
    return -1;
  }
  s = svr_table_grid(t->head, t->ncol, (const char *const *)t->cells,
                     t->nrows, t->right);
  if (s == NULL) {
    return -1;
  }
  rv = fputs(s, f) < 0 ? -1 : 0;
  free(s);
  return rv;
}

void svr_table_free(svr_table *t) {
  size_t i;
  for (i = 0; i < t->nrows * (size_t)t->ncol; i++) {
    free(t->cells[i]);
  }
  free(t->cells);
  t->cells = NULL;
  t->nrows = t->cap = 0;
}
