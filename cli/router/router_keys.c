/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router: data-plane keys pushed by the conductor (IPC version 3 KEY
 * messages, docs/libconductor.md section 2.5 and 8).
 *
 * A KEY names the other router of a security element (the peer, as our
 * adjacencies name it), a rekey index and an operation.  Index i becomes
 * data-plane security ID RT_CND_KEY_BASE + i on every path to that peer:
 * add installs it (accepted on receive at once), activate sends with it
 * (the previous key overlaps), remove forgets an older one.  The result
 * goes back in the KEY_ACK.  A KEY that cannot be done raises the
 * product's platform/critical "Security Rekey failed for: <node>", cleared
 * by the next key that is activated.  The key itself is never logged.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <conductor/conductor.h>

#include "router.h"
#include "router_alarm.h"
#include "router_fwd.h"
#include "router_keys.h"

static rt_key_peer *key_peer(rt *r, const char *name) {
  rt_keys *k = &r->keys;
  size_t i;
  for (i = 0; i < k->n; i++) {
    if (strcmp(k->peers[i].peer, name) == 0) {
      return &k->peers[i];
    }
  }
  if (k->n == RC_MAX_ADJACENCIES) {
    return NULL;
  }
  memset(&k->peers[k->n], 0, sizeof(k->peers[0]));
  snprintf(k->peers[k->n].peer, sizeof(k->peers[0].peer), "%s", name);
  return &k->peers[k->n++];
}

void rt_keys_on_key(int idx, const conductor_msg *m, conductor_msg *ack,
                    void *rt_ptr) {
  rt *r = rt_ptr;
  rt_keys *k = &r->keys;
  rt_key_peer *kp;
  char msg[CONDUCTOR_TEXT_MAX];
  int rc;
  (void)idx;
  if (m->interval_ns) {
    k->interval_ns = m->interval_ns;
  }
  if (m->key_index > UINT32_MAX - RT_CND_KEY_BASE) {
    snprintf(msg, sizeof(msg), "rekey index %lu out of range",
             (unsigned long)m->key_index);
    rc = -1;
  } else {
    rc = rt_fwd_key_op(r, m->peer, RT_CND_KEY_BASE + m->key_index, m->key_op,
                       m->key, m->keylen, msg, sizeof(msg));
  }
  kp = rc == 0 ? key_peer(r, m->peer) : NULL;
  if (rc != 0 || kp == NULL) {
    char alarm[RT_ALARM_MESSAGE_MAX];
    if (rc == 0) {
      snprintf(msg, sizeof(msg), "too many peers with keys");
    }
    k->errors++;
    snprintf(k->last_error, sizeof(k->last_error), "%s", msg);
    ack->error_code = (uint16_t)-CONDUCTOR_ERR_NOT_FOUND;
    snprintf(ack->text, sizeof(ack->text), "%s", msg);
    rt_log(r, "conductor key %lu for %s (%s) failed: %s",
           (unsigned long)m->key_index, m->peer,
           m->key_op == RT_KEY_ADD        ? "add"
           : m->key_op == RT_KEY_ACTIVATE ? "activate"
                                          : "remove",
           msg);
    snprintf(alarm, sizeof(alarm), "Security Rekey failed for: %s",
             r->cfg->node);
    rt_alarm_raise(r, &k->alarm, CONDUCTOR_SEV_CRITICAL, "platform",
                   r->cfg->node, alarm);
    return;
  }
  switch (m->key_op) {
  case RT_KEY_ADD:
    if (m->key_index > kp->installed) {
      kp->installed = m->key_index;
    }
    break;
  case RT_KEY_ACTIVATE:
    if (m->key_index != kp->active) {
      kp->active = m->key_index;
      k->changes++;
      k->last_rekey_ns = cglue_unix_ns();
    }
    if (m->key_index > kp->installed) {
      kp->installed = m->key_index;
    }
    rt_alarm_clear(r, &k->alarm);
    break;
  default:
    break;
  }
}

/* "active": every peer sends with its newest key; "rekeying": one has a
 * newer key installed than active; "inactive": no key from a conductor
 * (none configured, or none pushed yet: the configured key is used). */
static const char *km_state(const rt *r, uint32_t *index) {
  const rt_keys *k = &r->keys;
  size_t i;
  int any = 0, pending = 0;
  *index = 0;
  for (i = 0; i < k->n; i++) {
    if (k->peers[i].installed) {
      any = 1;
    }
    if (k->peers[i].installed > k->peers[i].active) {
      pending = 1;
    }
    if (k->peers[i].active > *index) {
      *index = k->peers[i].active;
    }
  }
  if (r->cnd == NULL || !any) {
    return "inactive";
  }
  return pending ? "rekeying" : "active";
}

static void fmt_time(char *buf, size_t len, uint64_t unix_ns) {
  time_t t = (time_t)(unix_ns / 1000000000ULL);
  struct tm tm;
  if (unix_ns == 0) {
    snprintf(buf, len, "never");
    return;
  }
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The product's "0 hrs 20 min 24 sec", or "n/a" without an interval. */
static uint64_t next_rekey(const rt_keys *k, char *buf, size_t len) {
  uint64_t now = cglue_unix_ns(), next, left;
  if (k->interval_ns == 0) {
    snprintf(buf, len, "n/a");
    return 0;
  }
  next = (k->last_rekey_ns ? k->last_rekey_ns : now) + k->interval_ns;
  left = next > now ? (next - now) / 1000000000ULL : 0;
  snprintf(buf, len, "%llu hrs %llu min %llu sec",
           (unsigned long long)(left / 3600),
           (unsigned long long)(left / 60 % 60),
           (unsigned long long)(left % 60));
  return left;
}

void rt_keys_show(rt *r, rf_buf *b, int json) {
  const rt_keys *k = &r->keys;
  uint32_t index;
  const char *state = km_state(r, &index);
  char last[32], next[64];
  size_t i;
  fmt_time(last, sizeof(last), k->last_rekey_ns);
  next_rekey(k, next, sizeof(next));
  if (json) {
    rf_printf(b, "{\"router\":");
    rf_json_str(b, r->cfg->router);
    rf_printf(b, ",\"node\":");
    rf_json_str(b, r->cfg->node);
    rf_printf(b, ",\"key_manager_state\":\"%s\",\"rekey_index\":%lu,"
                 "\"last_rekey\":",
              state, (unsigned long)index);
    if (k->last_rekey_ns) {
      rf_json_str(b, last);
    } else {
      rf_printf(b, "null");
    }
    rf_printf(b, ",\"next_rekey\":\"%s\",\"rekey_interval_s\":%llu,"
                 "\"key_change_count\":%llu,\"key_change_errors\":%llu,"
                 "\"last_error\":",
              next, (unsigned long long)(k->interval_ns / 1000000000ULL),
              (unsigned long long)k->changes, (unsigned long long)k->errors);
    if (k->last_error[0]) {
      rf_json_str(b, k->last_error);
    } else {
      rf_printf(b, "null");
    }
    rf_printf(b, ",\"peers\":[");
    for (i = 0; i < k->n; i++) {
      rf_printf(b, "%s{\"peer\":", i ? "," : "");
      rf_json_str(b, k->peers[i].peer);
      rf_printf(b, ",\"installed_index\":%lu,\"active_index\":%lu,"
                   "\"security_id\":%lu}",
                (unsigned long)k->peers[i].installed,
                (unsigned long)k->peers[i].active,
                (unsigned long)(k->peers[i].active
                                    ? RT_CND_KEY_BASE + k->peers[i].active
                                    : 0));
    }
    rf_printf(b, "]}\n");
    return;
  }
  rf_printf(b, "Router:             %s\n", r->cfg->router);
  rf_printf(b, "Node:               %s\n", r->cfg->node);
  rf_printf(b, "Key manager state:  %s\n", state);
  rf_printf(b, "Rekey index:        %lu\n", (unsigned long)index);
  rf_printf(b, "Last rekey:         %s\n", last);
  rf_printf(b, "Next rekey:         %s\n", next);
  rf_printf(b, "Key change count:   %llu\n", (unsigned long long)k->changes);
  rf_printf(b, "Key change errors:  %llu\n", (unsigned long long)k->errors);
  rf_printf(b, "Last error:         %s\n",
            k->last_error[0] ? k->last_error : "-");
  if (k->n) {
    static const char *head[3] = {"Peer", "Installed", "Active"};
    const char *cell[3 * RC_MAX_ADJACENCIES];
    char num[2 * RC_MAX_ADJACENCIES][12];
    for (i = 0; i < k->n; i++) {
      snprintf(num[2 * i], sizeof(num[0]), "%lu",
               (unsigned long)k->peers[i].installed);
      snprintf(num[2 * i + 1], sizeof(num[0]), "%lu",
               (unsigned long)k->peers[i].active);
      cell[3 * i] = k->peers[i].peer;
      cell[3 * i + 1] = num[2 * i];
      cell[3 * i + 2] = num[2 * i + 1];
    }
    rf_grid(b, head, 3, cell, k->n);
  }
}
