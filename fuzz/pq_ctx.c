/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: echo tests owned by BFD sessions.  Two libsvrbfd contexts
 * joined by an in-memory link reach Up by themselves; the fuzzed script
 * decides, record by record, how far the clock jumps, which queued datagram
 * is delivered, dropped, duplicated or corrupted, injects raw datagrams
 * (often SVR control datagrams) into either context, and changes link-test
 * settings, Demand mode via AdminDown, or deletes a session.  Every API
 * return is checked against the documented codes.
 *
 * Input: records of op (1 byte), arg (2 bytes), then for op 3 a length
 * byte and that many datagram bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <svrbfd/svrbfd.h>
#include <svrbfd/svrbfd_pq.h>

#include "svr_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QMAX 64
#define MS 1000000ULL

typedef struct dgram {
  int to;
  svrbfd_path path;
  size_t len;
  uint8_t data[SVRBFD_PQ_MAX_PKT_LEN + 64];
} dgram;

typedef struct world {
  svrbfd_ctx *ctx[2];
  svrbfd_session *s[2];
  svrbfd_addr addr[2];
  uint64_t now;
  uint64_t rng;
  dgram q[QMAX];
  int nq;
} world;

static void rnd(uint8_t *d, size_t n, void *ud) {
  world *w = ud;
  while (n--) {
    w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    *d++ = (uint8_t)(w->rng >> 56);
  }
}

static void check_rv(int rv) {
  if (svrbfd_err_is_fatal(rv) && rv != SVRBFD_ERR_NOMEM) {
    __builtin_trap();
  }
}

static void drain(world *w, int i) {
  uint8_t buf[SVRBFD_PQ_MAX_PKT_LEN + 64];
  int guard = 0;
  for (;;) {
    svrbfd_path path;
    svrbfd_ssize n = svrbfd_ctx_write_pkt(w->ctx[i], &path, buf, sizeof(buf),
                                          w->now);
    check_rv((int)n);
    if (n <= 0 || ++guard > 1000) {
      return;
    }
    if ((size_t)n > sizeof(buf)) {
      __builtin_trap();
    }
    if (w->nq < QMAX) {
      dgram *d = &w->q[w->nq++];
      d->to = 1 - i;
      d->path.local = path.remote;
      d->path.remote = path.local;
      d->path.ttl = 255;
      d->len = (size_t)n;
      memcpy(d->data, buf, (size_t)n);
    }
  }
}

static void deliver(world *w, int k, int corrupt, uint16_t arg) {
  dgram d = w->q[k];
  int rv;
  if (corrupt && d.len > 0) {
    d.data[arg % d.len] ^= (uint8_t)(arg >> 8 | 1);
  }
  if (w->s[d.to] == NULL && w->ctx[d.to] == NULL) {
    return;
  }
  rv = svrbfd_ctx_read_pkt(w->ctx[d.to], &d.path, d.data, d.len, w->now);
  check_rv(rv);
  drain(w, d.to);
}

static void set_link_test(world *w, int i, uint16_t arg) {
  svrbfd_pq_settings ps;
  int rv;
  if (w->s[i] == NULL) {
    return;
  }
  svrbfd_pq_settings_default(&ps);
  ps.link_test_interval_ns = (uint64_t)(arg % 5) * 1000 * MS; /* 0 invalid */
  ps.link_test_length = (uint8_t)(arg >> 8);
  ps.min_tx_spacing_ns = (arg & 0x40) ? 0 : 5 * MS;
  ps.reply_timeout_ns = (arg & 0x80) ? 2 * MS : 300 * MS;
  rv = svrbfd_session_set_link_test(w->s[i], &ps, w->now);
  if (rv != 0 && rv != SVRBFD_PQ_ERR_INTERVAL && rv != SVRBFD_ERR_NOMEM &&
      rv != SVRBFD_PQ_ERR_ECHO_NOT_ALLOWED) {
    __builtin_trap();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static world w;
  svrbfd_callbacks cb;
  svrbfd_settings st;
  int i, steps = 0;

  memset(&w, 0, sizeof(w));
  w.now = 1000 * MS;
  w.rng = size;
  memset(&cb, 0, sizeof(cb));
  cb.rand = rnd;
  for (i = 0; i < 2; i++) {
    svrbfd_settings_default(&st);
    if (svrbfd_ctx_new(&w.ctx[i], &cb, &st, NULL, &w) != 0) {
      return 0;
    }
    w.addr[i].family = 4;
    w.addr[i].addr[0] = 10;
    w.addr[i].addr[3] = (uint8_t)(i + 1);
    w.addr[i].port = SVRBFD_PORT_SVR;
  }
  for (i = 0; i < 2; i++) {
    svrbfd_session_config c;
    svrbfd_session_config_default(&c);
    c.local = w.addr[i];
    c.remote = w.addr[1 - i];
    c.desired_min_tx_us = 50000;
    c.required_min_rx_us = 50000;
    c.required_min_echo_rx_us = (size & 1) ? 0 : 5000;
    c.hold_down_ns = 0;
    c.demand = (uint8_t)(i == 0 && (size & 2));
    if (svrbfd_session_new(w.ctx[i], &w.s[i], &c, NULL, w.now) != 0) {
      goto out;
    }
    set_link_test(&w, i, (uint16_t)(0x0a01 + i));
  }
  while (size >= 3 && steps++ < 2000) {
    uint8_t op = data[0];
    uint16_t arg = (uint16_t)(data[1] << 8 | data[2]);
    data += 3;
    size -= 3;
    switch (op % 8) {
    case 0: /* time passes; both contexts run their deadlines */
      w.now += (uint64_t)arg * 100000;
      for (i = 0; i < 2; i++) {
        check_rv(svrbfd_ctx_handle_expiry(w.ctx[i], w.now));
        drain(&w, i);
      }
      break;
    case 1: /* deliver (or with op bit 3, corrupt and deliver) one */
    case 2:
      if (w.nq > 0) {
        int k = arg % w.nq;
        deliver(&w, k, op & 8, arg);
        if (!(op & 16)) { /* bit 4 keeps it: a duplicate later */
          w.q[k] = w.q[--w.nq];
        }
      }
      break;
    case 3: { /* inject raw bytes into one context, from its peer */
      uint8_t len;
      svrbfd_path p;
      int to = arg & 1;
      if (size < 1) {
        goto out;
      }
      len = data[0];
      data++;
      size--;
      if (len > size) {
        len = (uint8_t)size;
      }
      memset(&p, 0, sizeof(p));
      p.local = w.addr[to];
      p.remote = w.addr[1 - to];
      if (arg & 2) {
        p.remote.addr[3] = 77; /* a stranger */
      }
      p.ttl = 255;
      check_rv(svrbfd_ctx_read_pkt(w.ctx[to], &p, data, len, w.now));
      drain(&w, to);
      data += len;
      size -= len;
      break;
    }
    case 4: /* drop one */
      if (w.nq > 0) {
        int k = arg % w.nq;
        w.nq--;
        w.q[k] = w.q[w.nq];
      }
      break;
    case 5:
      set_link_test(&w, arg & 1, arg);
      drain(&w, arg & 1);
      break;
    case 6: /* AdminDown / back */
      if (w.s[arg & 1]) {
        check_rv(svrbfd_session_set_admin_down(w.s[arg & 1], (arg >> 1) & 1,
                                               w.now));
        drain(&w, arg & 1);
      }
      break;
    default: /* delete a session (its echo engine with it) */
      if ((arg & 0xff) == 0x5a && w.s[arg >> 15]) {
        svrbfd_session_del(w.s[arg >> 15]);
        w.s[arg >> 15] = NULL;
      }
      break;
    }
    for (i = 0; i < 2; i++) {
      svrbfd_pq_path *pq = w.s[i] ? svrbfd_session_get_pq(w.s[i]) : NULL;
      svrbfd_pq_result r;
      if (pq && svrbfd_pq_path_get_result(pq, &r) &&
          (r.received > r.sent || r.mos < 1.0 || r.mos > 4.5 ||
           r.loss_pct < 0 || r.loss_pct > 100)) {
        __builtin_trap();
      }
    }
  }
out:
  svrbfd_ctx_del(w.ctx[0]);
  svrbfd_ctx_del(w.ctx[1]);
  return 0;
}
