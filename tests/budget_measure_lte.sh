#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-budget against the real daemons, an LTE-like profile scaled down so
# that every periodic channel runs several times in 20 s: slow BFD (1 s,
# required-min-rx 1 s, multiplier 5), short echo bursts (3 every second,
# 250 ms apart), path MTU re-run every 4 s with a confirmation every
# second, firewall detector off (always-transform: no probes at all).  tests/lib/budget.sh does the rest.
BUDGET_NAME="LTE-like"
BUDGET_WINDOW=${BUDGET_WINDOW:-20}
BUDGET_PROFILE_LINES=(
  "desired-tx-interval 1000" "required-min-rx-interval 1000" "multiplier 5"
  "required-min-echo-interval 250" "hold-down-time 0ms"
  "link-test-interval 1" "link-test-length 3"
  "path-mtu-discovery-interval 4" "path-mtu-confirm-interval 1"
  "udp-transform-mode always-transform")
. "$SVR_SOURCE_DIR/tests/lib/budget.sh"
