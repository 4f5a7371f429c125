/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Deleting a session from inside one of its own callbacks (issue 16 item
 * 11: it crashed, an ASan SEGV in the expiry heap).  svrbfd_session_del()
 * called from a callback is deferred: the session is reported no more
 * (no callback after the delete), svrbfd_ctx_next_session() skips it, and
 * it is freed before the library call that ran the callback returns.
 *
 * The context's allocator never hands memory back during the test: a freed
 * block is filled with 0xA5 and kept (quarantine), so a use after free reads
 * garbage and a write after free is found by checking the fill at the end;
 * the unit build fails on the old code without ASan, and the ASan build of
 * CI sees the same.  Cases: delete from session_state during read_pkt,
 * during handle_expiry (detection timeout) and during set_admin_down, and
 * from path_status; then a few seconds of read/expiry/write on the context
 * (another session in it keeps running), and the context's session count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <svrbfd/svrbfd.h>

#include "svr_test.h"

#define MS 1000000ULL
#define S 1000000000ULL
#define PEER 0x5eed0001u

/* ---- quarantine allocator ------------------------------------------------ */

typedef struct blk {
  struct blk *next;
  size_t size;
  int freed;
  uint64_t pad; /* keeps the payload 16-aligned */
} blk;

static blk *blocks;
static size_t live;

static void *q_malloc(size_t n, void *u) {
  blk *b = malloc(sizeof(blk) + n);
  (void)u;
  if (b == NULL) {
    return NULL;
  }
  b->size = n;
  b->freed = 0;
  b->next = blocks;
  blocks = b;
  live++;
  return b + 1;
}
static void q_free(void *p, void *u) {
  blk *b;
  (void)u;
  if (p == NULL) {
    return;
  }
  b = (blk *)p - 1;
  CU_ASSERT_FATAL(!b->freed); /* double free */
  b->freed = 1;
  memset(p, 0xA5, b->size);
  live--;
}
static void *q_calloc(size_t m, size_t n, void *u) {
  void *p = q_malloc(m * n, u);
  if (p) {
    memset(p, 0, m * n);
  }
  return p;
}
static void *q_realloc(void *p, size_t n, void *u) {
  void *r;
  if (p == NULL) {
    return q_malloc(n, u);
  }
  r = q_malloc(n, u);
  if (r) {
    size_t old = ((blk *)p - 1)->size;
    memcpy(r, p, old < n ? old : n);
    q_free(p, u);
  }
  return r;
}
/* Every freed block still holds its fill; frees them all. */
static int q_release(void) {
  int bad = 0;
  while (blocks) {
    blk *b = blocks;
    size_t i;
    blocks = b->next;
    if (b->freed) {
      for (i = 0; i < b->size; i++) {
        bad += ((uint8_t *)(b + 1))[i] != 0xA5;
      }
    }
    free(b);
  }
  live = 0;
  return bad;
}

/* ---- the context ---------------------------------------------------------- */

enum { DEL_NONE, DEL_ON_STATE, DEL_ON_STATUS };
static svrbfd_session *victim;
static int del_when;          /* DEL_ON_STATE or DEL_ON_STATUS */
static svrbfd_state del_state; /* on the change into this state */
static int deleted, after_delete;
static uint64_t rng = 5;

static void rnd(uint8_t *d, size_t n, void *u) {
  (void)u;
  while (n--) {
    *d++ = (uint8_t)svr_test_rand(&rng);
  }
}
static void maybe_del(svrbfd_session *s) {
  if (s == victim && !deleted) {
    svrbfd_session_del(s);
    svrbfd_session_del(s); /* a second call is a no-op, not a double free */
    deleted = 1;
  }
}
static int on_state(svrbfd_ctx *c, svrbfd_session *s, svrbfd_state o,
                    svrbfd_state n, svrbfd_diag d, svrbfd_tstamp ts, void *u) {
  (void)c, (void)o, (void)d, (void)ts, (void)u;
  if (s == victim && deleted) {
    after_delete++;
  }
  if (del_when == DEL_ON_STATE && n == del_state) {
    maybe_del(s);
  }
  return 0;
}
static int on_status(svrbfd_ctx *c, svrbfd_session *s, int up,
                     svrbfd_tstamp ts, void *u) {
  (void)c, (void)up, (void)ts, (void)u;
  if (s == victim && deleted) {
    after_delete++;
  }
  if (del_when == DEL_ON_STATUS) {
    maybe_del(s);
  }
  return 0;
}

static svrbfd_ctx *ctx;
static svrbfd_session *other;
static uint64_t now;

static void addr4(svrbfd_addr *a, uint8_t last, uint16_t port) {
  memset(a, 0, sizeof(*a));
  a->family = 4;
  a->addr[0] = 192, a->addr[1] = 0, a->addr[2] = 2, a->addr[3] = last;
  a->port = port;
}

static void setup(int when, svrbfd_state st) {
  static const svrbfd_mem mem = {NULL, q_malloc, q_free, q_calloc, q_realloc};
  svrbfd_callbacks cb;
  svrbfd_settings set;
  svrbfd_session_config c;
  memset(&cb, 0, sizeof cb);
  cb.rand = rnd;
  cb.session_state = on_state;
  cb.path_status = on_status;
  svrbfd_settings_default(&set);
  CU_ASSERT_FATAL(svrbfd_ctx_new(&ctx, &cb, &set, &mem, NULL) == 0);
  now = 10 * S;
  victim = NULL;
  deleted = after_delete = 0;
  del_when = when;
  del_state = st;
  svrbfd_session_config_default(&c);
  c.desired_min_tx_us = 100000;
  c.required_min_rx_us = 100000;
  c.hold_down_ns = 0;
  addr4(&c.local, 1, 0);
  addr4(&c.remote, 2, 0);
  CU_ASSERT_FATAL(svrbfd_session_new(ctx, &victim, &c, NULL, now) == 0);
  addr4(&c.remote, 3, 0); /* a bystander that keeps running */
  CU_ASSERT_FATAL(svrbfd_session_new(ctx, &other, &c, NULL, now) == 0);
}

/* A packet from the victim's peer (192.0.2.2) in |state|. */
static int feed(uint8_t state, uint32_t your) {
  svrbfd_pkt p;
  svrbfd_path path;
  uint8_t buf[64];
  memset(&p, 0, sizeof p);
  p.version = 1;
  p.state = state;
  p.detect_mult = 3;
  p.my_discr = PEER;
  p.your_discr = your;
  p.desired_min_tx_us = 100000;
  p.required_min_rx_us = 100000;
  CU_ASSERT_FATAL(svrbfd_pkt_encode(buf, 24, &p) == 24);
  memset(&path, 0, sizeof path);
  addr4(&path.local, 1, SVRBFD_PORT_SVR);
  addr4(&path.remote, 2, SVRBFD_PORT_SVR);
  path.ttl = 255;
  return svrbfd_ctx_read_pkt(ctx, &path, buf, 24, now);
}

static void drain(void) {
  uint8_t buf[SVRBFD_MAX_PKT_LEN];
  svrbfd_path path;
  svrbfd_ssize n;
  while ((n = svrbfd_ctx_write_pkt(ctx, &path, buf, sizeof buf, now)) > 0) {
    CU_ASSERT(path.remote.addr[3] == 2 || path.remote.addr[3] == 3);
  }
  CU_ASSERT_EQUAL(n, 0);
}

/* Runs the context for |d| ns, the peer silent. */
static void run(uint64_t d) {
  uint64_t end = now + d;
  for (;;) {
    uint64_t e = svrbfd_ctx_get_expiry(ctx);
    if (e > end) {
      now = end;
      return;
    }
    if (e > now) {
      now = e;
    }
    CU_ASSERT_FATAL(svrbfd_ctx_handle_expiry(ctx, now) == 0);
    drain();
  }
}

static uint32_t victim_discr(void) {
  svrbfd_session_info in;
  svrbfd_session_get_info(victim, &in);
  return in.local_discr;
}

/* After the delete: the context runs on, with one session left. */
static void check_after(void) {
  svrbfd_ctx_stats st;
  CU_ASSERT_EQUAL(deleted, 1);
  CU_ASSERT_EQUAL(after_delete, 0);
  CU_ASSERT_PTR_EQUAL(svrbfd_ctx_next_session(ctx, NULL), other);
  CU_ASSERT_PTR_NULL(svrbfd_ctx_next_session(ctx, other));
  svrbfd_ctx_get_stats(ctx, &st);
  CU_ASSERT_EQUAL(st.sessions, 1);
  drain();
  run(5 * S);
  /* the peer keeps talking: no session, a counted drop */
  CU_ASSERT_NOT_EQUAL(feed(SVRBFD_STATE_UP, 0x12345678u), 0);
  run(1 * S);
  svrbfd_ctx_del(ctx);
  CU_ASSERT_EQUAL(live, 0);
  CU_ASSERT_EQUAL(q_release(), 0); /* no write after free */
}

static void test_state_in_read_pkt(void) {
  setup(DEL_ON_STATE, SVRBFD_STATE_INIT);
  drain();
  CU_ASSERT_EQUAL(feed(SVRBFD_STATE_DOWN, 0), 0); /* Down -> Init */
  check_after();
}

static void test_state_in_handle_expiry(void) {
  uint32_t d;
  setup(DEL_ON_STATE, SVRBFD_STATE_DOWN);
  d = victim_discr();
  CU_ASSERT_EQUAL(feed(SVRBFD_STATE_INIT, d), 0); /* Down -> Up */
  drain();
  CU_ASSERT_EQUAL(deleted, 0);
  run(2 * S); /* detection time expires: Up -> Down in handle_expiry */
  check_after();
}

static void test_state_in_admin_down(void) {
  setup(DEL_ON_STATE, SVRBFD_STATE_ADMIN_DOWN);
  CU_ASSERT_EQUAL(svrbfd_session_set_admin_down(victim, 1, now), 0);
  check_after();
}

static void test_path_status(void) {
  uint32_t d;
  setup(DEL_ON_STATUS, SVRBFD_STATE_UP);
  d = victim_discr();
  CU_ASSERT_EQUAL(feed(SVRBFD_STATE_INIT, d), 0); /* Up, reported up at once */
  check_after();
}

int main(void) {
  static const svr_test_case cases[] = {
      {"session_state in read_pkt", test_state_in_read_pkt},
      {"session_state in handle_expiry", test_state_in_handle_expiry},
      {"session_state in set_admin_down", test_state_in_admin_down},
      {"path_status", test_path_status},
      {NULL, NULL}};
  return svr_test_run("bfd_delete", cases);
}
