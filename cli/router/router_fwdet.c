/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: UDP transform (firewall detector, libsvrfwdet) on every peer
 * path.  One context per router; one detector path per adjacency while its
 * BFD path is up.  Requests and reports are SVR control datagrams on the
 * peer-path sockets (bfd_uv control-datagram hooks, shared with PMTU);
 * probes leave through a raw IP socket and are captured with the AF_PACKET
 * tap of the fwdet glue (cli/glue/fwdet_raw.c), with the glue's nftables
 * rule keeping this host's kernel from answering them.  Without
 * CAP_NET_RAW / CAP_NET_ADMIN the daemon still runs: auto-detect paths show
 * Status "unavailable" and neither probes nor reports are exchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_uv.h"
#include "fwdet_glue.h"
#include "router.h"
#include "router_fwd.h"
#include "router_fwdet.h"

static void fw_addr(svrfwdet_addr *o, const svrbfd_addr *a) {
  memset(o, 0, sizeof(*o));
  o->family = a->family;
  o->port = a->port;
  memcpy(o->addr, a->addr, sizeof(o->addr));
}

static void bfd_addr_of(svrbfd_addr *o, const svrfwdet_addr *a) {
  memset(o, 0, sizeof(*o));
  o->family = a->family;
  o->port = a->port;
  memcpy(o->addr, a->addr, sizeof(o->addr));
}

static void cb_transform(svrfwdet_ctx *ctx, svrfwdet_path *path, int enabled,
                         unsigned reasons, svrfwdet_tstamp ts, void *ud) {
  rt *r = ud;
  rt_path *p = svrfwdet_path_get_user_data(path);
  char why[128];
  (void)ctx;
  (void)ts;
  if (p == NULL) {
    return;
  }
  svrfwdet_reasons_format(why, sizeof(why), reasons);
  rt_log(r, "%s: udp-transform %s%s%s", p->adj.peer,
         enabled ? "enabled" : "disabled", why[0] ? ": " : "", why);
  rt_fwd_transform(r, p, enabled); /* new TCP sessions ride UDP, or not */
}

static void on_fw_timer(uv_timer_t *t);

void rt_fw_kick(rt *r) {
  static uint8_t buf[SVRFWDET_MAX_PKT_LEN];
  svrfwdet_tstamp now = bfd_uv_now(), exp;
  int rc;
  if (r->fw == NULL || r->stopping) {
    return;
  }
  rc = svrfwdet_ctx_handle_expiry(r->fw, now);
  if (rc != 0) {
    rt_log(r, "svrfwdet_ctx_handle_expiry: %s", svrfwdet_strerror(rc));
  }
  for (;;) {
    svrfwdet_out out;
    svrfwdet_ssize n = svrfwdet_ctx_write_pkt(r->fw, &out, buf, sizeof(buf),
                                              now);
    if (n <= 0) {
      if (n < 0) {
        rt_log(r, "svrfwdet_ctx_write_pkt: %s", svrfwdet_strerror((int)n));
      }
      break;
    }
    if (out.type == SVRFWDET_OUT_IP) {
      fwdet_glue *g = out.dst.family == 6 ? &r->fw6 : &r->fw4;
      (void)fwdet_glue_send_ip(g, &out.dst, buf, (size_t)n);
    } else {
      svrbfd_addr dst, src;
      rt_path *p = out.path ? svrfwdet_path_get_user_data(out.path) : NULL;
      bfd_addr_of(&dst, &out.dst);
      if (p) {
        src = p->adj.local;
      } else {
        /* a report as responder: from the address the request came to,
         * on the SVR port of the interface serving it */
        size_t i;
        bfd_addr_of(&src, &out.src);
        src.port = 0;
        for (i = 0; i < r->cfg->n_interfaces; i++) { /* not every path */
          const svrbfd_addr *l = &r->cfg->interfaces[i].address;
          if (l->family == src.family &&
              memcmp(l->addr, src.addr, sizeof(l->addr)) == 0) {
            src.port = l->port;
            break;
          }
        }
      }
      (void)bfd_uv_send_ctrl(r->glue, &src, &dst, buf, (size_t)n);
    }
  }
  exp = svrfwdet_ctx_get_expiry(r->fw);
  if (exp == SVRFWDET_TSTAMP_MAX) {
    uv_timer_stop(&r->fw_timer);
  } else {
    uint64_t exp_ms = exp / 1000000u + (exp % 1000000u != 0);
    uint64_t loop_ms;
    uv_update_time(r->loop);
    loop_ms = uv_now(r->loop);
    uv_timer_start(&r->fw_timer, on_fw_timer,
                   exp_ms > loop_ms ? exp_ms - loop_ms : 1, 0);
  }
}

static void on_fw_timer(uv_timer_t *t) { rt_fw_kick((rt *)t->data); }

static void on_tap(uv_poll_t *h, int status, int events) {
  rt *r = h->data;
  (void)events;
  if (status < 0 || r->fw == NULL) {
    return;
  }
  fwdet_glue_read_tap(&r->fw4);
  rt_fw_kick(r);
}

int rt_fw_init(rt *r, const rc_config *c) {
  svrfwdet_callbacks cb;
  svrfwdet_settings st;
  int rc;
  r->fw4.raw_fd = r->fw4.tap_fd = r->fw4.udp_fd = r->fw4.udp6_fd = -1;
  r->fw6.raw_fd = r->fw6.tap_fd = r->fw6.udp_fd = r->fw6.udp6_fd = -1;
  r->fw_inited = 1;
  uv_timer_init(r->loop, &r->fw_timer);
  r->fw_timer.data = r;
  r->fw_timer_init = 1;
  memset(&cb, 0, sizeof(cb));
  cb.rand = bfd_uv_rand;
  cb.transform_changed = cb_transform;
  svrfwdet_settings_default(&st);
  st.router_name = c->router;
  st.node_name = c->node;
  st.respond = 1;
  rc = svrfwdet_ctx_new(&r->fw, &cb, &st, NULL, r);
  if (rc != 0) {
    r->fw = NULL;
    snprintf(r->fw_why, sizeof(r->fw_why), "%s", svrfwdet_strerror(rc));
    rt_log(r, "udp-transform detection unavailable: libsvrfwdet: %s",
           svrfwdet_strerror(rc));
    return 0;
  }
  rc = fwdet_glue_open_probe(&r->fw4, r->fw, 4, 1);
  if (rc == 0) {
    rc = fwdet_glue_nft_install(&r->fw4);
    if (r->fw4.nft_swept) {
      rt_log(r, "removed %u nftables table(s) svr_fwdet_<pid> left by "
                "detectors that no longer run", r->fw4.nft_swept);
    }
    if (rc != 0) {
      snprintf(r->fw_why, sizeof(r->fw_why), "%s",
               rc == -FWDET_GLUE_EPRIV ? "no CAP_NET_ADMIN" : "nft failed");
    }
  } else {
    snprintf(r->fw_why, sizeof(r->fw_why), "%s",
             rc == -FWDET_GLUE_EPRIV ? "no CAP_NET_RAW" : "raw socket failed");
  }
  if (rc != 0) {
    if (rc == -FWDET_GLUE_EPRIV) {
      rt_log(r, "udp-transform detection unavailable (%s): auto-detect "
                "paths show Status unavailable; run as root or grant "
                "cap_net_raw,cap_net_admin", r->fw_why);
    } else {
      rt_log(r, "udp-transform detection unavailable (%s): auto-detect "
                "paths show Status unavailable; %s", r->fw_why, r->fw4.err);
    }
    fwdet_glue_close(&r->fw4);
    svrfwdet_ctx_del(r->fw);
    r->fw = NULL;
    return 0;
  }
  /* IPv6 probes: best effort (hosts without IPv6) */
  if (fwdet_glue_open_probe(&r->fw6, r->fw, 6, 0) != 0) {
    r->fw6.raw_fd = -1;
  }
  uv_poll_init(r->loop, &r->fw_poll, r->fw4.tap_fd);
  r->fw_poll.data = r;
  r->fw_poll_init = 1;
  uv_poll_start(&r->fw_poll, UV_READABLE, on_tap);
  return 0;
}

void rt_fw_start(rt *r, rt_path *p) {
  svrfwdet_path_config pc;
  int rc;
  if (r->fw == NULL || p->fp != NULL || r->stopping) {
    return;
  }
  svrfwdet_path_config_default(&pc);
  fw_addr(&pc.local, &p->adj.local);
  fw_addr(&pc.remote, &p->adj.remote);
  pc.mode = (svrfwdet_mode)p->adj.bfd.ut_mode;
  pc.detect_interval_s = p->adj.bfd.ut_interval_s;
  rc = svrfwdet_path_new(r->fw, &p->fp, &pc, p, bfd_uv_now());
  if (rc != 0) {
    rt_log(r, "%s: udp-transform detection: %s", p->adj.peer,
           svrfwdet_strerror(rc));
    p->fp = NULL;
    return;
  }
  rt_fw_kick(r);
}

void rt_fw_stop(rt *r, rt_path *p) {
  (void)r;
  if (p->fp) {
    svrfwdet_path_del(p->fp);
    p->fp = NULL;
  }
}

int rt_fw_ctrl(rt *r, const svrbfd_path *path, const uint8_t *pkt, size_t len,
               svrbfd_tstamp now) {
  svrfwdet_addr from, to;
  int rc;
  if (r->fw == NULL || r->stopping) {
    return 0;
  }
  fw_addr(&from, &path->remote);
  fw_addr(&to, &path->local);
  rc = svrfwdet_ctx_read_ctrl(r->fw, &from, &to, pkt, len, now);
  if (rc == SVRFWDET_ERR_MSG_KIND || rc == SVRFWDET_ERR_MSG_COOKIE) {
    return 0;
  }
  rt_fw_kick(r);
  return 1;
}

void rt_fw_close(rt *r) {
  if (r->fw_timer_init) {
    uv_close((uv_handle_t *)&r->fw_timer, NULL);
    r->fw_timer_init = 0;
  }
  if (r->fw_poll_init) {
    uv_poll_stop(&r->fw_poll);
    uv_close((uv_handle_t *)&r->fw_poll, NULL);
    r->fw_poll_init = 0;
  }
}

void rt_fw_free(rt *r) {
  if (!r->fw_inited) {
    return;
  }
  if (r->fw4.raw_fd >= 0 || r->fw4.tap_fd >= 0 || r->fw4.nft_installed) {
    fwdet_glue_close(&r->fw4);
  }
  if (r->fw6.raw_fd >= 0) {
    fwdet_glue_close(&r->fw6);
  }
  svrfwdet_ctx_del(r->fw);
  r->fw = NULL;
}

size_t rt_ut_rows(rt *r, rf_ut_row *rows, size_t max) {
  size_t i, n = 0;
  for (i = 0; i < r->n_paths && n < max; i++) {
    rt_path *p = r->paths[i];
    rf_ut_row *w = &rows[n++];
    memset(w, 0, sizeof(*w));
    snprintf(w->router, sizeof(w->router), "%s", r->cfg->router);
    snprintf(w->node, sizeof(w->node), "%s", r->cfg->node);
    snprintf(w->peer, sizeof(w->peer), "%s", p->adj.peer);
    snprintf(w->mode, sizeof(w->mode), "%s",
             svrfwdet_mode_name((svrfwdet_mode)p->adj.bfd.ut_mode));
    if (p->fp) {
      svrfwdet_path_info in;
      svrfwdet_path_get_info(p->fp, &in);
      w->status = in.transform ? "enabled" : "disabled";
      svrfwdet_reasons_format(w->reasons, sizeof(w->reasons), in.reasons);
      w->bursts_sent = in.bursts_sent;
      w->bursts_answered = in.bursts_answered;
    } else if (p->adj.bfd.ut_mode == SVRFWDET_MODE_ALWAYS_TRANSFORM) {
      w->status = "enabled";
      svrfwdet_reasons_format(w->reasons, sizeof(w->reasons),
                              SVRFWDET_REASON_CONFIGURED);
    } else if (p->adj.bfd.ut_mode == SVRFWDET_MODE_DISABLED) {
      w->status = "disabled";
    } else if (r->fw == NULL) {
      w->status = "unavailable";
      snprintf(w->reasons, sizeof(w->reasons), "%s", r->fw_why);
    } else {
      w->status = "disabled"; /* path not up: nothing detected yet */
    }
  }
  return n;
}
