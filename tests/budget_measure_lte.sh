#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-budget against the real daemons, an LTE-like profile scaled down so
# that every periodic channel runs several times in 30 s: slow BFD (1 s,
# required-min-rx 1 s, multiplier 5), short echo bursts (3 every second,
# 250 ms apart), path MTU re-run every 5 s with a confirmation every
# second, firewall detector off (always-transform: no probes at all); the
# conductor rekeys one security element, router-a and router-b, every 5 s
# (the routers forward, aes-256-gcm, to install the keys; one element per
# router, so that no two elements' KEYs share an SSH packet; SSH
# keepalives every 2 s, so that a rekey never races a keepalive: 12 of
# them in the window, where one more is 8 %).
# tests/lib/budget.sh does the rest.
BUDGET_NAME="LTE-like with rekey"
BUDGET_WINDOW=${BUDGET_WINDOW:-30}
BUDGET_KA=2
BUDGET_REKEY=5s
BUDGET_ELEMENTS=router-a:router-b
BUDGET_PROFILE_LINES=(
  "desired-tx-interval 1000" "required-min-rx-interval 1000" "multiplier 5"
  "required-min-echo-interval 250" "hold-down-time 0ms"
  "link-test-interval 1" "link-test-length 3"
  "path-mtu-discovery-interval 5" "path-mtu-confirm-interval 1"
  "udp-transform-mode always-transform" "forwarding enabled")
BUDGET_ADJ_LINES=(
  "encryption aes-256-gcm" "security-key-id 1"
  "security-key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
. "$SVR_SOURCE_DIR/tests/lib/budget.sh"
