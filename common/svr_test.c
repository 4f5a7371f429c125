/* SPDX-License-Identifier: BSD-2-Clause */
/* svr-suite internal: CUnit helpers for tests/ (see svr_test.h). */
#include "svr_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

int svr_test_run(const char *suite, const svr_test_case *cases) {
  CU_pSuite s;
  unsigned failed;
  const svr_test_case *c;

  if (CU_initialize_registry() != CUE_SUCCESS) {
    fprintf(stderr, "%s: CUnit: %s\n", suite, CU_get_error_msg());
    return 1;
  }
  s = CU_add_suite(suite, NULL, NULL);
  if (s == NULL) {
    fprintf(stderr, "%s: CUnit: %s\n", suite, CU_get_error_msg());
    CU_cleanup_registry();
    return 1;
  }
  for (c = cases; c->name; c++) {
    if (CU_add_test(s, c->name, c->fn) == NULL) {
      fprintf(stderr, "%s: CUnit: %s\n", suite, CU_get_error_msg());
      CU_cleanup_registry();
      return 1;
    }
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  if (CU_get_number_of_tests_run() == 0) {
    fprintf(stderr, "%s: no test ran\n", suite);
    failed = 1;
  }
  CU_cleanup_registry();
  return failed ? 1 : 0;
}

void svr_test_require_root(const char *what) {
  const char *ci = getenv("CI");
  int in_ci = ci && *ci && strcmp(ci, "false") != 0 && strcmp(ci, "0") != 0;
  if (geteuid() == 0) {
    return;
  }
  if (in_ci) {
    fprintf(stderr, "%s: needs root (network namespaces); CI is set, so this "
                    "is a failure, not a skip\n", what);
    exit(1);
  }
  printf("skipped: needs root (%s creates network namespaces)\n", what);
  exit(77);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int svr_test_unhex(uint8_t *out, size_t cap, const char *hex) {
  size_t n = 0;
  while (*hex) {
    int hi, lo;
    if (*hex == ' ' || *hex == ':' || *hex == '\n') {
      hex++;
      continue;
    }
    hi = hexval(hex[0]);
    lo = hex[1] ? hexval(hex[1]) : -1;
    if (hi < 0 || lo < 0 || n >= cap) {
      return -1;
    }
    out[n++] = (uint8_t)(hi << 4 | lo);
    hex += 2;
  }
  return (int)n;
}

uint64_t svr_test_rand(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
