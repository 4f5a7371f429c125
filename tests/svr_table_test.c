/* SPDX-License-Identifier: BSD-2-Clause */
/* svr_table (cli/common): the suite's one table style, docs/cli.md. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svr_table.h"
#include "svr_test.h"

/* Columns as wide as their widest cell, header or not; one space between
 * them; '=' under each header; the last column unpadded. */
static void test_alignment(void) {
  static const char *const head[3] = {"ID", "Severity", "Message"};
  static const char *const cell[] = {"n1.r1:1",    "major", "path down",
                                     "n1.r1:1234", "info",  "ok"};
  char *s = svr_table_grid(head, 3, cell, 2, 0);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_STRING_EQUAL(s, "ID         Severity Message\n"
                            "========== ======== =========\n"
                            "n1.r1:1    major    path down\n"
                            "n1.r1:1234 info     ok\n");
  free(s);
}

/* A right-aligned column pads on the left; a right-aligned last column is
 * padded to its width (its numbers line up), a left one never is. */
static void test_right(void) {
  static const char *const head[3] = {"Name", "Size", "Modified"};
  static const char *const cell[] = {"a.log", "7",      "2026-12-08",
                                     "b.log", "123456", "-"};
  char *s = svr_table_grid(head, 3, cell, 2, 1u << 1);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_STRING_EQUAL(s, "Name    Size Modified\n"
                            "===== ====== ==========\n"
                            "a.log      7 2026-12-08\n"
                            "b.log 123456 -\n");
  free(s);
  s = svr_table_grid(head, 2, cell, 1, 1u << 1);
  CU_ASSERT_FATAL(s != NULL);
  /* (rows of 2 cells: "a.log" "7", then "2026-12-08" "b.log" unused) */
  CU_ASSERT_STRING_EQUAL(s, "Name  Size\n"
                            "===== ====\n"
                            "a.log    7\n");
  free(s);
  /* empty cells at the end of a row leave no blanks behind */
  {
    static const char *const c2[] = {"bfd", "", "", "alarms", "off", ""};
    s = svr_table_grid(head, 3, c2, 2, 0x6);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_STRING_EQUAL(s, "Name   Size Modified\n"
                              "====== ==== ========\n"
                              "bfd\n"
                              "alarms  off\n");
    free(s);
  }
}

/* Wide cells: a cell far wider than its header widens the column for
 * every row; UTF-8 counts characters, not bytes (an escaped name and a
 * name with two-byte letters align alike); NULL and "" cells are blank. */
static void test_wide(void) {
  static const char *const head[2] = {"Router", "State"};
  char wide[301];
  const char *cell[6];
  char *s, *l2, *l3;
  memset(wide, 'w', 300);
  wide[300] = '\0';
  cell[0] = wide;
  cell[1] = "up";
  cell[2] = "r\xc3\xa9seau"; /* "réseau": 6 characters, 7 bytes */
  cell[3] = "down";
  cell[4] = NULL;
  cell[5] = "";
  s = svr_table_grid(head, 2, cell, 3, 0);
  CU_ASSERT_FATAL(s != NULL);
  l2 = strchr(strchr(s, '\n') + 1, '\n') + 1; /* first row */
  CU_ASSERT_EQUAL(strncmp(l2, wide, 300), 0);
  CU_ASSERT_EQUAL(strncmp(l2 + 300, " up\n", 4), 0);
  l3 = strchr(l2, '\n') + 1;
  CU_ASSERT_EQUAL(strncmp(l3, "r\xc3\xa9seau", 7), 0);
  CU_ASSERT_EQUAL(strspn(l3 + 7, " "), 300 - 6 + 1);
  CU_ASSERT_EQUAL(strncmp(l3 + 7 + 295, "down\n", 5), 0);
  /* the rule under Router is 300 '=' */
  CU_ASSERT_EQUAL(strspn(strchr(s, '\n') + 1, "="), 300);
  /* the NULL/"" row: blank cells, and no line ends in a blank */
  CU_ASSERT_STRING_EQUAL(strchr(l3, '\n') + 1, "\n");
  CU_ASSERT_PTR_NULL(strstr(s, " \n"));
  CU_ASSERT_PTR_NULL(strstr(s, "up \n"));
  free(s);
}

/* Row by row: cells copied; an empty table still has its header. */
static void test_builder(void) {
  static const char *const head[2] = {"Router", "Key Type"};
  svr_table t;
  char buf[32], out[256];
  FILE *f;
  size_t n;
  svr_table_init(&t, 2, head);
  f = fmemopen(out, sizeof out, "w");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT_EQUAL(svr_table_print(&t, f), 0);
  fclose(f);
  CU_ASSERT_STRING_EQUAL(out, "Router Key Type\n====== ========\n");
  snprintf(buf, sizeof buf, "burl-corp");
  {
    const char *row[2] = {buf, "ssh-ed25519"};
    svr_table_add(&t, row);
  }
  snprintf(buf, sizeof buf, "changed"); /* the table kept its own copy */
  f = fmemopen(out, sizeof out, "w");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT_EQUAL(svr_table_print(&t, f), 0);
  n = (size_t)ftell(f);
  fclose(f);
  out[n] = '\0';
  CU_ASSERT_STRING_EQUAL(out, "Router    Key Type\n"
                              "========= ===========\n"
                              "burl-corp ssh-ed25519\n");
  svr_table_free(&t);
  CU_ASSERT_PTR_NULL(svr_table_grid(head, 0, NULL, 0, 0));
  CU_ASSERT_PTR_NULL(svr_table_grid(head, SVR_TABLE_MAXCOL + 1, NULL, 0, 0));
}

int main(void) {
  static const svr_test_case cases[] = {{"alignment", test_alignment},
                                        {"right", test_right},
                                        {"wide", test_wide},
                                        {"builder", test_builder},
                                        {NULL, NULL}};
  return svr_test_run("svr_table", cases);
}
