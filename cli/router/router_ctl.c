/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svr-router control socket: a Unix domain stream socket (mode 0660) on
 * which the running daemon answers one command per connection.
 *
 * Protocol (docs/svr-router.md): the client writes one line,
 *   show peers [detail] [json]
 *   show [bfd] peers json frr   (FRR bfdd's 'show bfd peers json')
 *   show udp-transform [json]
 *   show alarms [json]
 *   show sessions [json]
 *   show stats [json]
 *   show security key-status [json]
 *   show software repository [json]
 *   key add PEER ID HEX      install a data-plane key on every path to PEER
 *   key activate PEER ID     send with it (the previous one overlaps)
 * the daemon answers "ok\n" followed by the output, or "error: TEXT\n",
 * and closes the connection.  The socket itself (listening, connections,
 * the client) is cli/common/svr_ctl.c, shared with svr-bfd; this file
 * only answers the commands.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "router_alarm.h"
#include "router_ctl.h"
#include "router_fwd.h"
#include "router_fwdet.h"
#include "router_keys.h"
#include "svr_ctl.h"

#define CTL_MAX_WORDS 8

/* Answers one command line (svr_ctl_handler): the output goes into an
 * rf_buf that svr_ctl sends as it is (10,000 paths of `show peers json`
 * are about 5 MB: no copy). */
static const char *ctl_answer(void *user_data, const char *cmd,
                              svr_ctl_reply *reply) {
  rt *r = user_data;
  char line[256];
  char *words[CTL_MAX_WORDS];
  int n = 0, detail = 0, json = 0, frr = 0, i;
  char *save = NULL, *tok;
  const char *err = NULL;
  rf_buf out;

  rf_buf_init(&out);
  snprintf(line, sizeof(line), "%s", cmd);
  for (tok = strtok_r(line, " \t\r", &save); tok && n < CTL_MAX_WORDS;
       tok = strtok_r(NULL, " \t\r", &save)) {
    words[n++] = tok;
  }
  /* "show bfd peers ..." (vtysh's words) is "show peers ..." */
  if (n >= 3 && strcmp(words[0], "show") == 0 &&
      strcmp(words[1], "bfd") == 0 && strcmp(words[2], "peers") == 0) {
    for (i = 1; i + 1 < n; i++) {
      words[i] = words[i + 1];
    }
    n--;
  }
  for (i = 2; i < n; i++) {
    if (strcmp(words[i], "detail") == 0) {
      detail = 1;
    } else if (strcmp(words[i], "json") == 0) {
      json = 1;
    } else if (strcmp(words[i], "frr") == 0 && n >= 2 &&
               strcmp(words[1], "peers") == 0) {
      frr = 1;
    } else {
      break;
    }
  }
  if (n >= 2 && strcmp(words[0], "show") == 0 &&
      strcmp(words[1], "peers") == 0 && i == n && frr) {
    if (json && !detail) {
      r->ctl_peers->frr_json(r, &out);
    } else {
      err = "frr (FRR bfdd's field names) needs json and no detail";
    }
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
      strcmp(words[1], "peers") == 0 && i == n) {
    r->ctl_peers->show_peers(r, &out, json, detail);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "udp-transform") == 0 && i == n && !detail) {
    size_t max = r->n_paths ? r->n_paths : 1;
    rf_ut_row *rows = calloc(max, sizeof(*rows));
    size_t nr = rows ? rt_ut_rows(r, rows, max) : 0;
    if (json) {
      rf_ut_json(&out, r->cfg->router, r->cfg->node, rows, nr);
    } else {
      rf_ut_table(&out, rows, nr);
    }
    free(rows);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "alarms") == 0 && i == n && !detail) {
    rt_alarm_show(r, &out, json);
  } else if (n >= 1 && strcmp(words[0], "key") == 0) {
    /* key add PEER ID HEX | key activate PEER ID: never logs the key */
    char msg[256];
    int add = n == 5 && strcmp(words[1], "add") == 0;
    int act = n == 4 && strcmp(words[1], "activate") == 0;
    if (!add && !act) {
      err = "expected 'key add PEER ID HEX' or 'key activate PEER ID'";
    } else if (rt_fwd_key(r, words[2], words[3], add ? words[4] : NULL, msg,
                          sizeof(msg)) == 0) {
      rf_printf(&out, "%s\n", msg);
    } else {
      snprintf(reply->err, sizeof(reply->err), "%s", msg);
      err = reply->err;
    }
  } else if (n >= 3 && n <= 4 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "security") == 0 &&
             strcmp(words[2], "key-status") == 0 &&
             (n == 3 || strcmp(words[3], "json") == 0)) {
    rt_keys_show(r, &out, n == 4);
  } else if (n >= 3 && n <= 4 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "software") == 0 &&
             strcmp(words[2], "repository") == 0 &&
             (n == 3 || strcmp(words[3], "json") == 0)) {
    rt_repo_show(r, &out, n == 4);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "sessions") == 0 && i == n && !detail) {
    rt_fwd_show_sessions(r, &out, json);
  } else if (n >= 2 && strcmp(words[0], "show") == 0 &&
             strcmp(words[1], "stats") == 0 && i == n && !detail) {
    rt_fwd_show_stats(r, &out, json);
  } else {
    err = "unknown command (expected: show peers [detail] [json], show "
          "[bfd] peers json frr, show udp-transform [json], show alarms "
          "[json], show sessions [json], show stats [json], show security "
          "key-status [json] or show software repository [json])";
  }
  if (err == NULL && out.failed) {
    err = "out of memory";
  }
  if (err != NULL) {
    rf_buf_free(&out);
    return err;
  }
  reply->body = out.p; /* svr_ctl frees it */
  reply->body_len = out.len;
  return NULL;
}

int rt_ctl_listen(rt *r, const char *path, const rt_ctl_peers *peers,
                  char *err, size_t errlen) {
  r->ctl_peers = peers;
  return svr_ctl_listen(&r->ctl, r->loop, path, "svr-router", ctl_answer, r,
                        err, errlen);
}

void rt_ctl_close(rt *r) {
  svr_ctl_close(r->ctl);
  r->ctl = NULL;
}

int rt_ctl_request(const char *path, const char *cmd) {
  return svr_ctl_request("svr-router", path, cmd);
}
