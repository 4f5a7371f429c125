/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conductor side of the administration streams (IPC version 6,
 * docs/libconductor.md 2.7).  An administrator connects to the conductor
 * node's SSH server as user "svr-admin" with a key listed in the node's
 * administrator key file (--admin-keys, OpenSSH authorized_keys format,
 * the comment is the administrator's name), opens the same IPC subsystem
 * and sends LOG_LIST, LOG_GET or SHELL_OPEN naming a router (and
 * optionally its node).  This relay forwards each request on that router
 * node's existing connection under a stream number of its own, with the
 * administrator's name added, and forwards the answers back under the
 * administrator's stream number.  Nothing is stored; shell sessions are
 * logged at start and end (who, from where, which router node, duration,
 * exit status).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conductor_glue.h"

enum { S_LOG = 1, S_SHELL = 2 };

typedef struct cstream {
  uint32_t id; /* ours, on the router link */
  int kind;
  void *admin;
  uint32_t admin_stream;
  void *router_link;
  uint64_t start_mono;
  uint64_t bytes;
  char admin_name[CONDUCTOR_NAME_MAX];
  char router[CONDUCTOR_NAME_MAX], node[CONDUCTOR_NAME_MAX];
} cstream;

struct cadm {
  cadm_opts o;
  char keys_path[1024];
  cstream *s;
  size_t n, cap;
  uint32_t next_id;
};

static void alog(cadm *a, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void alog(cadm *a, int level, const char *fmt, ...) {
  char line[900];
  va_list ap;
  if (a->o.log == NULL) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  a->o.log(level, line, a->o.log_data);
}

int cadm_new(cadm **pa, const cadm_opts *o) {
  cadm *a = calloc(1, sizeof *a);
  if (a == NULL) {
    return CONDUCTOR_ERR_NOMEM;
  }
  a->o = *o;
  if (o->admin_keys) {
    snprintf(a->keys_path, sizeof a->keys_path, "%s", o->admin_keys);
  }
  a->o.admin_keys = NULL;
  a->next_id = 1;
  *pa = a;
  return 0;
}

void cadm_del(cadm *a) {
  if (a) {
    free(a->s);
    free(a);
  }
}

int cadm_authorize(cadm *a, const char *key_b64, char *name, size_t cap) {
  FILE *f;
  char line[8192];
  int found = -1;
  if (a->keys_path[0] == '\0') {
    return -1;
  }
  f = fopen(a->keys_path, "r");
  if (f == NULL) {
    alog(a, 1, "administrator keys %s: cannot read it", a->keys_path);
    return -1;
  }
  /* The file is read at each login: a key added or removed counts at the
   * next connection without a restart. */
  while (fgets(line, sizeof line, f) != NULL) {
    char *save = NULL, *type, *b64, *comment;
    type = strtok_r(line, " \t\r\n", &save);
    if (type == NULL || type[0] == '#') {
      continue;
    }
    b64 = strtok_r(NULL, " \t\r\n", &save);
    comment = strtok_r(NULL, " \t\r\n", &save);
    if (b64 && strcmp(b64, key_b64) == 0) {
      snprintf(name, cap, "%s",
               comment && cglue_name_ok(comment) ? comment : "admin");
      found = 0;
      break;
    }
  }
  fclose(f);
  return found;
}

static void send_to(cadm *a, void *link, conductor_admin *m) {
  uint8_t buf[CONDUCTOR_MAX_FRAME_LEN];
  conductor_ssize n = conductor_admin_encode(buf, sizeof buf, m);
  if (n < 0) {
    alog(a, 0, "administration frame %u not encoded: %s", (unsigned)m->type,
         conductor_strerror((int)n));
    return;
  }
  a->o.send(link, buf, (size_t)n, a->o.ud);
}

/* The answer that ends a request the relay cannot serve. */
static void refuse(cadm *a, void *admin, uint16_t req_type, uint32_t stream,
                   int err, const char *text) {
  conductor_admin e;
  memset(&e, 0, sizeof e);
  e.type = req_type == CONDUCTOR_MSG_SHELL_OPEN ? CONDUCTOR_MSG_SHELL_EXIT
                                                : CONDUCTOR_MSG_LOG_END;
  e.stream = stream;
  e.error_code = (uint16_t)(-err);
  snprintf(e.text, sizeof e.text, "%s", text);
  send_to(a, admin, &e);
}

static cstream *find_admin(cadm *a, void *admin, uint32_t stream) {
  size_t i;
  for (i = 0; i < a->n; i++) {
    if (a->s[i].admin == admin && a->s[i].admin_stream == stream) {
      return &a->s[i];
    }
  }
  return NULL;
}

static cstream *find_router(cadm *a, void *link, uint32_t id) {
  size_t i;
  for (i = 0; i < a->n; i++) {
    if (a->s[i].router_link == link && a->s[i].id == id) {
      return &a->s[i];
    }
  }
  return NULL;
}

static void remove_stream(cadm *a, cstream *s) {
  size_t i = (size_t)(s - a->s);
  a->s[i] = a->s[--a->n];
}

static void shell_ended(cadm *a, const cstream *s, const char *how) {
  alog(a, 1, "audit: shell of administrator %s on router %s node %s ended "
       "after %.1f s: %s", s->admin_name, s->router, s->node,
       (double)(a->o.now(a->o.ud) - s->start_mono) / 1e9, how);
}

void cadm_on_admin_frame(cadm *a, void *admin, const char *admin_name,
                         const char *admin_peer, const uint8_t *f,
                         size_t len) {
  conductor_admin m;
  cstream *s;
  int rv = conductor_admin_decode(&m, f, len);
  if (rv != 0) {
    uint16_t t = (uint16_t)((f[4] << 8) | f[5]);
    char text[96];
    snprintf(text, sizeof text, "%s (type %u)", conductor_strerror(rv),
             (unsigned)t);
    alog(a, 1, "administrator %s: refused frame: %s", admin_name, text);
    return;
  }
  switch (m.type) {
  case CONDUCTOR_MSG_LOG_LIST:
  case CONDUCTOR_MSG_LOG_GET:
  case CONDUCTOR_MSG_SHELL_OPEN: {
    void *link;
    uint16_t version = 0;
    char node[CONDUCTOR_NAME_MAX] = "";
    char t[CONDUCTOR_TEXT_MAX];
    if (!cglue_name_ok(m.router) || (m.node[0] && !cglue_name_ok(m.node))) {
      refuse(a, admin, m.type, m.stream, CONDUCTOR_ERR_FIELD_VALUE,
             "name the router (and node): 1-63 characters of A-Z a-z 0-9 . _ "
             "-");
      return;
    }
    if (find_admin(a, admin, m.stream) != NULL) {
      refuse(a, admin, m.type, m.stream, CONDUCTOR_ERR_UNEXPECTED,
             "stream number in use");
      return;
    }
    link = a->o.find(m.router, m.node[0] ? m.node : NULL, node, &version,
                     a->o.ud);
    if (link == NULL) {
      snprintf(t, sizeof t, "router %s%s%s is not connected to this "
               "conductor node", m.router, m.node[0] ? " node " : "",
               m.node);
      refuse(a, admin, m.type, m.stream, CONDUCTOR_ERR_NOT_FOUND, t);
      return;
    }
    if (version < CONDUCTOR_VERSION_ADMIN) {
      snprintf(t, sizeof t, "router %s node %s speaks IPC version %u: "
               "administration needs %d", m.router, node, (unsigned)version,
               CONDUCTOR_VERSION_ADMIN);
      refuse(a, admin, m.type, m.stream, CONDUCTOR_ERR_PROTO_VERSION, t);
      return;
    }
    if (a->n == a->cap) {
      size_t nc = a->cap ? a->cap * 2 : 16;
      cstream *p = realloc(a->s, nc * sizeof *p);
      if (p == NULL) {
        refuse(a, admin, m.type, m.stream, CONDUCTOR_ERR_NOMEM,
               "out of memory");
        return;
      }
      a->s = p;
      a->cap = nc;
    }
    s = &a->s[a->n++];
    memset(s, 0, sizeof *s);
    s->id = a->next_id++;
    if (a->next_id == 0) {
      a->next_id = 1;
    }
    s->kind = m.type == CONDUCTOR_MSG_SHELL_OPEN ? S_SHELL : S_LOG;
    s->admin = admin;
    s->admin_stream = m.stream;
    s->router_link = link;
    s->start_mono = a->o.now(a->o.ud);
    snprintf(s->admin_name, sizeof s->admin_name, "%s", admin_name);
    snprintf(s->router, sizeof s->router, "%s", m.router);
    snprintf(s->node, sizeof s->node, "%s", node);
    if (s->kind == S_SHELL) {
      alog(a, 1, "audit: shell of administrator %s (%s) on router %s node "
           "%s started (%ux%u)", admin_name, admin_peer, m.router, node,
           (unsigned)m.cols, (unsigned)m.rows);
    } else {
      char nm[2 * CONDUCTOR_ADMIN_NAME_MAX];
      cglue_escape(nm, sizeof nm, m.name);
      alog(a, 2, "administrator %s (%s): %s router %s node %s%s%s", admin_name,
           admin_peer, m.type == CONDUCTOR_MSG_LOG_LIST ? "log list of"
                                                         : "log get from",
           m.router, node, m.type == CONDUCTOR_MSG_LOG_GET ? " file " : "",
           m.type == CONDUCTOR_MSG_LOG_GET ? nm : "");
    }
    m.stream = s->id;
    m.router[0] = m.node[0] = '\0';
    snprintf(m.user, sizeof m.user, "%s", admin_name);
    send_to(a, link, &m);
    return;
  }
  case CONDUCTOR_MSG_SHELL_DATA:
  case CONDUCTOR_MSG_SHELL_RESIZE:
  case CONDUCTOR_MSG_SHELL_ACK:
  case CONDUCTOR_MSG_SHELL_CLOSE:
    s = find_admin(a, admin, m.stream);
    if (s == NULL || s->kind != S_SHELL) {
      return; /* ended meanwhile */
    }
    m.stream = s->id;
    send_to(a, s->router_link, &m);
    return;
  default:
    alog(a, 1, "administrator %s: message %u is not a request", admin_name,
         (unsigned)m.type);
    return;
  }
}

int cadm_on_router_frame(cadm *a, void *link, const uint8_t *f, size_t len) {
  conductor_admin m;
  cstream *s;
  int rv = conductor_admin_decode(&m, f, len);
  if (rv != 0) {
    return rv;
  }
  switch (m.type) {
  case CONDUCTOR_MSG_LOG_FILE:
  case CONDUCTOR_MSG_LOG_DATA:
  case CONDUCTOR_MSG_LOG_END:
  case CONDUCTOR_MSG_SHELL_DATA:
  case CONDUCTOR_MSG_SHELL_EXIT:
    break;
  default:
    return CONDUCTOR_ERR_UNEXPECTED;
  }
  s = find_router(a, link, m.stream);
  if (s == NULL) {
    return 0; /* the administrator left: dropped */
  }
  m.stream = s->admin_stream;
  s->bytes += m.datalen;
  send_to(a, s->admin, &m);
  if (m.type == CONDUCTOR_MSG_LOG_END) {
    remove_stream(a, s);
  } else if (m.type == CONDUCTOR_MSG_SHELL_EXIT) {
    char how[2 * CONDUCTOR_TEXT_MAX + 64];
    if (m.error_code) {
      char t[2 * CONDUCTOR_TEXT_MAX];
      cglue_escape(t, sizeof t, m.text);
      snprintf(how, sizeof how, "refused by the router: %s", t);
    } else if (m.has_exit_status) {
      snprintf(how, sizeof how, "exit status %u", (unsigned)m.exit_status);
    } else {
      snprintf(how, sizeof how, "closed");
    }
    shell_ended(a, s, how);
    remove_stream(a, s);
  }
  return 0;
}

void cadm_link_down(cadm *a, void *link) {
  size_t i = 0;
  while (i < a->n) {
    cstream *s = &a->s[i];
    if (s->admin == link) {
      if (s->kind == S_SHELL) {
        conductor_admin c;
        memset(&c, 0, sizeof c);
        c.type = CONDUCTOR_MSG_SHELL_CLOSE;
        c.stream = s->id;
        send_to(a, s->router_link, &c);
        shell_ended(a, s, "the administrator disconnected");
      }
      remove_stream(a, s);
    } else if (s->router_link == link) {
      char t[CONDUCTOR_TEXT_MAX];
      snprintf(t, sizeof t, "router %s node %s disconnected", s->router,
               s->node);
      refuse(a, s->admin, s->kind == S_SHELL ? CONDUCTOR_MSG_SHELL_OPEN
                                             : CONDUCTOR_MSG_LOG_GET,
             s->admin_stream, CONDUCTOR_ERR_CLOSED, t);
      if (s->kind == S_SHELL) {
        shell_ended(a, s, "the router disconnected");
      }
      remove_stream(a, s);
    } else {
      i++;
    }
  }
}
