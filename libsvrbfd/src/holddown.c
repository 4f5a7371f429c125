/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hold-down and dynamic damping of the reported peer-path status
 * (docs/libsvrbfd.md "Hold-down and damping").
 *
 *  - "up" is reported once the session has stayed Up for the current
 *    hold-down (default 5 s); "down" is reported as soon as it leaves Up.
 *  - With damping on, a flap (leaving Up) that comes less than
 *    BFD_DAMP_WINDOW_NS (60 s) plus the current hold-down after the previous
 *    flap doubles the hold-down, capped at damping_max_ns (default 3600 s).
 *  - Each BFD_DAMP_DECAY_NS (60 s) that the session then stays reported up
 *    halves it again, down to the configured hold-down.
 */
#include "bfd_int.h"

static int bfd_report(svrbfd_session *s, int up, svrbfd_tstamp ts) {
  svrbfd_ctx *ctx = s->ctx;
  s->reported_up = up;
  if (ctx->cb.path_status && !s->deleted &&
      ctx->cb.path_status(ctx, s, up, ts, ctx->user_data) != 0) {
    return SVRBFD_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

int svrbfd__hold_on_up(svrbfd_session *s, svrbfd_tstamp ts) {
  s->decay_at = BFD_NEVER;
  if (s->hold_cur == 0) {
    s->hold_at = BFD_NEVER;
    return bfd_report(s, 1, ts);
  }
  s->hold_at = ts > BFD_NEVER - s->hold_cur ? BFD_NEVER - 1 : ts + s->hold_cur;
  return 0;
}

int svrbfd__hold_on_down(svrbfd_session *s, svrbfd_tstamp ts) {
  s->hold_at = BFD_NEVER;
  s->decay_at = BFD_NEVER;
  if (s->cfg.damping) {
    if (s->last_flap != 0 && ts - s->last_flap < BFD_DAMP_WINDOW_NS + s->hold_cur) {
      svrbfd_duration cap = s->cfg.damping_max_ns;
      svrbfd_duration next = s->hold_cur ? s->hold_cur * 2 : SVRBFD_SECONDS;
      if (cap < s->cfg.hold_down_ns) {
        cap = s->cfg.hold_down_ns;
      }
      s->hold_cur = next > cap ? cap : next;
    }
    s->last_flap = ts ? ts : 1;
  }
  if (s->reported_up) {
    return bfd_report(s, 0, ts);
  }
  return 0;
}

int svrbfd__hold_expiry(svrbfd_session *s, svrbfd_tstamp ts) {
  if (s->hold_at <= ts) {
    s->hold_at = BFD_NEVER;
    if (s->state == SVRBFD_STATE_UP) {
      if (s->cfg.damping && s->hold_cur > s->cfg.hold_down_ns) {
        s->decay_at = ts + BFD_DAMP_DECAY_NS;
      }
      return bfd_report(s, 1, ts);
    }
  }
  if (s->decay_at <= ts) {
    s->decay_at = BFD_NEVER;
    s->hold_cur /= 2;
    if (s->hold_cur <= s->cfg.hold_down_ns) {
      s->hold_cur = s->cfg.hold_down_ns;
    } else if (s->state == SVRBFD_STATE_UP) {
      s->decay_at = ts + BFD_DAMP_DECAY_NS;
    }
  }
  return 0;
}
