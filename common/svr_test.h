/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-suite internal: small CUnit helpers shared by tests/ (never installed).
 */
#ifndef SVR_TEST_H
#define SVR_TEST_H

#include <stdint.h>
#include <stddef.h>

#include <CUnit/CUnit.h>

typedef struct svr_test_case {
  const char *name;
  void (*fn)(void);
} svr_test_case;

/*
 * Runs |cases| (terminated by a {NULL, NULL} entry) as one CUnit suite with
 * the basic interface, verbose.  Returns the process exit status: 0 when
 * every assertion passed, 1 otherwise (including CUnit setup failures).
 */
int svr_test_run(const char *suite, const svr_test_case *cases);

/*
 * For tests that need root and network namespaces: returns normally when
 * the process may create namespaces.  Otherwise, outside CI, prints
 * "skipped: needs root" and exits 77 (ctest's SKIP_RETURN_CODE); inside CI
 * (environment variable CI set and not "false") it prints why and exits 1,
 * because CI runs as root and a skip there would hide a missing feature.
 */
void svr_test_require_root(const char *what);

/* Hex string -> bytes; returns the byte count or -1.  For test vectors. */
int svr_test_unhex(uint8_t *out, size_t cap, const char *hex);

/* Deterministic generator for tests (splitmix64). */
uint64_t svr_test_rand(uint64_t *state);

#endif /* SVR_TEST_H */
