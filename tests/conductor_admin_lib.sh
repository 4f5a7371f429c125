# SPDX-License-Identifier: BSD-2-Clause
# Setup shared by the conductor administration tests (conductor_logs*,
# conductor_shell*; sourced after conductor_lib.sh): a conductor node c1
# with an administrator key file, the administrator "alice" (key
# alice.key), router r1 node n1 connected with --log-dir logs and any
# extra router options given, and ADMIN, the options every `svr-conductor
# logs/connect` of the test needs.

# admin_setup [extra router run options...]
admin_setup() {
  mkdir -p logs
  "$COND" keygen alice.key >/dev/null
  echo "$(cut -d' ' -f1,2 alice.key.pub) alice" > admins
  cond_start C1 cnd1 c1 0 --admin-keys "$SVR_TMP/admins"
  known_host c1 "$C1_PORT" > kh
  "$ROUTER" keygen r1.key >/dev/null
  "$COND" --dir c1 enroll r1 r1.key.pub >/dev/null
  svr_bg - "$ROUTER" run --router r1 --node n1 --key r1.key --known-hosts kh \
    --conductor 127.0.0.1:"$C1_PORT" --log-dir "$SVR_TMP/logs" \
    --backoff-base-ms 100 --backoff-cap-ms 200 -v "$@"
  R1_PID=$SVR_LAST_PID R1_LOG=$SVR_LAST_LOG
  if ! svr_wait_for 10 "grep -q 'router r1 node n1 connected' '$C1_LOG'"; then
    echo "FAIL: r1 did not connect"; cat "$R1_LOG" "$C1_LOG"; exit 1
  fi
  ADMIN=(--conductor 127.0.0.1:"$C1_PORT" --key alice.key --known-hosts kh)
}
