/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Router-side alarm outbox (sans-I/O): every alarm stays here until the
 * conductor acknowledges it, which it does only after the alarm is
 * committed to its database.  Entries are kept in sequence order in one
 * array; acknowledged entries at the front are dropped in bulk.
 *
 * Sending is windowed (max_inflight).  The SSH channel is reliable, so a
 * resend is only needed after a reconnect (everything unacknowledged goes
 * again) or when an ack does not come within ack_timeout (the conductor
 * could not commit): then the whole unacknowledged window is resent.  The
 * conductor drops the duplicates by (router, node, seq).
 */
#include <string.h>

#include <conductor/conductor.h>

#include "conductor_mem.h"

enum { ENT_QUEUED = 0, ENT_INFLIGHT = 1, ENT_ACKED = 2 };

typedef struct outbox_entry {
  conductor_alarm alarm;
  conductor_tstamp sent_ts;
  uint8_t state;
} outbox_entry;

struct conductor_outbox {
  conductor_outbox_settings settings;
  conductor_mem mem;
  int has_mem;
  outbox_entry *ent;
  size_t head;   /* first entry not yet dropped */
  size_t len;    /* one past the last entry */
  size_t cap;
  size_t cursor; /* entries before it (from head) are not QUEUED */
  size_t inflight;
  size_t pending;
  uint64_t next_seq;
  uint64_t retransmits;
  int connected;
};

void conductor_outbox_settings_default(conductor_outbox_settings *s) {
  memset(s, 0, sizeof *s);
  s->version = CONDUCTOR_OUTBOX_SETTINGS_V1;
  s->max_inflight = 256;
  s->max_entries = 1000000;
  s->ack_timeout_ns = 30 * CONDUCTOR_SECONDS;
}

int conductor_outbox_new(conductor_outbox **pob,
                         const conductor_outbox_settings *s,
                         const conductor_mem *mem) {
  conductor_outbox_settings def;
  conductor_outbox *ob;
  if (pob == NULL) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (s == NULL) {
    conductor_outbox_settings_default(&def);
    s = &def;
  }
  if (s->version != CONDUCTOR_OUTBOX_SETTINGS_V1) {
    return CONDUCTOR_ERR_VERSION;
  }
  if (s->max_inflight == 0 || s->max_entries == 0 || s->ack_timeout_ns == 0) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  ob = conductor_mem_calloc(mem, 1, sizeof *ob);
  if (ob == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  ob->settings = *s;
  if (mem) {
    ob->mem = *mem;
    ob->has_mem = 1;
  }
  ob->next_seq = 1;
  *pob = ob;
  return 0;
}

static const conductor_mem *obmem(const conductor_outbox *ob) {
  return ob->has_mem ? &ob->mem : NULL;
}

void conductor_outbox_del(conductor_outbox *ob) {
  if (ob == NULL) {
    return;
  }
  conductor_mem_free(obmem(ob), ob->ent);
  conductor_mem_free(obmem(ob), ob);
}

/* Drops acknowledged entries at the front; compacts when half is dead. */
static void trim(conductor_outbox *ob) {
  while (ob->head < ob->len && ob->ent[ob->head].state == ENT_ACKED) {
    ob->head++;
    if (ob->cursor > 0) {
      ob->cursor--;
    }
  }
  if (ob->head == ob->len) {
    ob->head = ob->len = ob->cursor = 0;
  } else if (ob->head > ob->cap / 2) {
    memmove(ob->ent, ob->ent + ob->head,
            (ob->len - ob->head) * sizeof *ob->ent);
    ob->len -= ob->head;
    ob->head = 0;
  }
}

static int append(conductor_outbox *ob, const conductor_alarm *a) {
  outbox_entry *e;
  if (ob->pending >= ob->settings.max_entries) {
    return CONDUCTOR_ERR_OUTBOX_FULL;
  }
  if (ob->len == ob->cap) {
    size_t ncap = ob->cap ? ob->cap * 2 : 64;
    outbox_entry *n = conductor_mem_realloc(obmem(ob), ob->ent,
                                            ncap * sizeof *ob->ent);
    if (n == NULL) {
      return CONDUCTOR_ERR_NOMEM;
    }
    ob->ent = n;
    ob->cap = ncap;
  }
  e = &ob->ent[ob->len++];
  e->alarm = *a;
  e->sent_ts = 0;
  e->state = ENT_QUEUED;
  ob->pending++;
  return 0;
}

int conductor_outbox_push(conductor_outbox *ob, conductor_alarm *a) {
  int rv;
  if (ob == NULL || a == NULL) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  a->seq = ob->next_seq;
  rv = append(ob, a);
  if (rv == 0) {
    ob->next_seq++;
  }
  return rv;
}

int conductor_outbox_restore(conductor_outbox *ob, const conductor_alarm *a) {
  int rv;
  if (ob == NULL || a == NULL || a->seq == 0) {
    return CONDUCTOR_ERR_INVALID_ARGUMENT;
  }
  if (ob->len > ob->head && ob->ent[ob->len - 1].alarm.seq >= a->seq) {
    return CONDUCTOR_ERR_SEQ_ORDER;
  }
  rv = append(ob, a);
  if (rv == 0 && a->seq >= ob->next_seq) {
    ob->next_seq = a->seq + 1;
  }
  return rv;
}

void conductor_outbox_set_next_seq(conductor_outbox *ob, uint64_t next_seq) {
  if (next_seq > ob->next_seq) {
    ob->next_seq = next_seq;
  }
}

uint64_t conductor_outbox_next_seq(const conductor_outbox *ob) {
  return ob->next_seq;
}

void conductor_outbox_connected(conductor_outbox *ob, conductor_tstamp ts) {
  (void)ts;
  ob->connected = 1;
}

static void requeue_all(conductor_outbox *ob) {
  size_t i;
  for (i = ob->head; i < ob->len; i++) {
    if (ob->ent[i].state == ENT_INFLIGHT) {
      ob->ent[i].state = ENT_QUEUED;
    }
  }
  ob->inflight = 0;
  ob->cursor = 0;
}

void conductor_outbox_disconnected(conductor_outbox *ob) {
  ob->connected = 0;
  requeue_all(ob);
}

const conductor_alarm *conductor_outbox_next(conductor_outbox *ob,
                                             conductor_tstamp ts) {
  size_t i;
  if (!ob->connected || ob->inflight >= ob->settings.max_inflight) {
    return NULL;
  }
  for (i = ob->head + ob->cursor; i < ob->len; i++) {
    outbox_entry *e = &ob->ent[i];
    if (e->state == ENT_QUEUED) {
      e->state = ENT_INFLIGHT;
      e->sent_ts = ts;
      ob->inflight++;
      ob->cursor = i + 1 - ob->head;
      return &e->alarm;
    }
  }
  ob->cursor = ob->len - ob->head;
  return NULL;
}

/* Binary search by seq among [head, len); entries are in seq order. */
static outbox_entry *find(conductor_outbox *ob, uint64_t seq) {
  size_t lo = ob->head, hi = ob->len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t s = ob->ent[mid].alarm.seq;
    if (s == seq) {
      return &ob->ent[mid];
    }
    if (s < seq) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return NULL;
}

int conductor_outbox_ack(conductor_outbox *ob, uint64_t seq) {
  outbox_entry *e = find(ob, seq);
  if (e == NULL || e->state == ENT_ACKED) {
    return CONDUCTOR_ERR_UNKNOWN_SEQ;
  }
  /* An ack for a queued (not in flight) entry is still valid: it can be the
   * answer to a send from before a reconnect. */
  if (e->state == ENT_INFLIGHT) {
    ob->inflight--;
  }
  e->state = ENT_ACKED;
  ob->pending--;
  trim(ob);
  return 0;
}

conductor_tstamp conductor_outbox_get_expiry(const conductor_outbox *ob) {
  size_t i;
  conductor_tstamp oldest = CONDUCTOR_TSTAMP_MAX;
  if (!ob->connected || ob->inflight == 0) {
    return CONDUCTOR_TSTAMP_MAX;
  }
  /* In-flight entries were sent in seq order after each requeue, so the
   * first one found is the oldest. */
  for (i = ob->head; i < ob->len; i++) {
    if (ob->ent[i].state == ENT_INFLIGHT) {
      oldest = ob->ent[i].sent_ts;
      break;
    }
  }
  if (oldest == CONDUCTOR_TSTAMP_MAX) {
    return oldest;
  }
  return oldest + ob->settings.ack_timeout_ns;
}

size_t conductor_outbox_handle_expiry(conductor_outbox *ob,
                                      conductor_tstamp ts) {
  size_t n = ob->inflight;
  if (conductor_outbox_get_expiry(ob) > ts) {
    return 0;
  }
  requeue_all(ob);
  ob->retransmits += n;
  return n;
}

size_t conductor_outbox_pending(const conductor_outbox *ob) {
  return ob->pending;
}

size_t conductor_outbox_inflight(const conductor_outbox *ob) {
  return ob->inflight;
}

uint64_t conductor_outbox_retransmits(const conductor_outbox *ob) {
  return ob->retransmits;
}
