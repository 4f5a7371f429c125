#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-budget against the real daemons, the product's defaults shortened so
# that every periodic channel runs several times in 20 s: BFD 100 ms
# (multiplier 10: the multiplier changes nothing that is sent, and a loaded
# CI machine that misses 300 ms would flap a path and add alarms, which
# are not steady state), echo bursts of 5 every second (100 ms apart),
# path MTU re-run every 4 s and confirmed every second, firewall detector
# every second (auto-detect).  tests/lib/budget.sh does the rest.
BUDGET_NAME="defaults shortened"
BUDGET_WINDOW=${BUDGET_WINDOW:-20}
BUDGET_PROFILE_LINES=(
  "desired-tx-interval 100" "required-min-rx-interval 100" "multiplier 10"
  "required-min-echo-interval 100" "hold-down-time 0ms"
  "link-test-interval 1" "link-test-length 5"
  "path-mtu-discovery-interval 4" "path-mtu-confirm-interval 1"
  "udp-transform-mode auto-detect" "udp-transform-detect-interval 1")
. "$SVR_SOURCE_DIR/tests/lib/budget.sh"
