/* SPDX-License-Identifier: BSD-2-Clause */
/* The context: settings, callbacks, flow table, expiry heap, stats. */
#include <string.h>

#include "fwd_int.h"

void svrfwd__peer_free(svrfwd_peer *p, svrfwd_close_reason why);

int svrfwd_ctx_new_versioned(svrfwd_ctx **pctx, int cbv,
                             const svrfwd_callbacks *cb, int sv,
                             const svrfwd_settings *settings,
                             const svrfwd_mem *mem, void *user_data) {
  svrfwd_ctx *ctx;
  svrfwd_settings def;
  uint64_t seed = 0;
  int rv;
  if (cbv != SVRFWD_CALLBACKS_V1 || sv != SVRFWD_SETTINGS_V1) {
    return SVRFWD_ERR_VERSION;
  }
  if (!pctx || !cb || !cb->rand) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (!settings) {
    svrfwd_settings_default(&def);
    settings = &def;
  }
  if (settings->max_sessions == 0) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  if (!mem) {
    mem = svrfwd__mem_default();
  }
  ctx = svrfwd__calloc(mem, 1, sizeof(*ctx));
  if (!ctx) {
    return SVRFWD_ERR_NOMEM;
  }
  ctx->mem = *mem;
  ctx->cb = *cb;
  ctx->settings = *settings;
  if (settings->router_name) {
    strncpy(ctx->router_name, settings->router_name, SVRFWD_NAME_MAX);
  }
  ctx->settings.router_name = ctx->router_name;
  ctx->user_data = user_data;
  cb->rand((uint8_t *)&seed, sizeof(seed), user_data);
  /* about one bucket per key: lan, wan and UUID of every session */
  rv = svrfwd__table_init(&ctx->table, settings->max_sessions * 3, seed, mem);
  if (rv != 0) {
    svrfwd__free(mem, ctx);
    return rv;
  }
  svr_heap_init(&ctx->heap);
  *pctx = ctx;
  return 0;
}

void svrfwd_ctx_del(svrfwd_ctx *ctx) {
  svrfwd_mem mem;
  if (!ctx) {
    return;
  }
  while (ctx->peers) {
    svrfwd__peer_free(ctx->peers, SVRFWD_CLOSE_CTX);
  }
  mem = ctx->mem;
  svrfwd__table_free(&ctx->table, &mem);
  svrfwd__free(&mem, ctx);
}

void svrfwd_ctx_set_l4_csum_partial(svrfwd_ctx *ctx, int on) {
  if (ctx) {
    ctx->l4_csum_partial = on != 0;
  }
}

void(svrfwd_ctx_get_stats)(const svrfwd_ctx *ctx, svrfwd_ctx_stats *stats) {
  *stats = ctx->stats;
}

/* The bytes of svrfwd_ctx_stats that version |v| of it has (0: unknown).  A new
 * field goes at the end under a new version; V1 then ends where it
 * ends today (offsetof the first new field). */
static size_t svrfwd_ctx_get_stats_size(int v) {
  return v == SVRFWD_CTX_STATS_V1 ? sizeof(svrfwd_ctx_stats) : 0;
}

int svrfwd_ctx_get_stats_versioned(const svrfwd_ctx *o, int v, svrfwd_ctx_stats *out) {
  svrfwd_ctx_stats full;
  size_t n = svrfwd_ctx_get_stats_size(v);
  if (n == 0) {
    return SVRFWD_ERR_VERSION;
  }
  if (o == NULL || out == NULL) {
    return SVRFWD_ERR_INVALID_ARGUMENT;
  }
  (svrfwd_ctx_get_stats)(o, &full);
  memcpy(out, &full, n);
  return 0;
}
