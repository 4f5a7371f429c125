/* SPDX-License-Identifier: BSD-2-Clause */
/* libsvrfwd internals shared by the src/ files (never installed). */
#ifndef SVRFWD_INT_H
#define SVRFWD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "svr_digest.h"

#include "svr_heap.h"
#include "svrfwd/svrfwd.h"

/* ---- memory (mem.c) ---- */
void *svrfwd__malloc(const svrfwd_mem *mem, size_t n);
void *svrfwd__calloc(const svrfwd_mem *mem, size_t nmemb, size_t n);
void svrfwd__free(const svrfwd_mem *mem, void *p);
const svrfwd_mem *svrfwd__mem_default(void);

/* ---- packet parse (pkt.c) ---- */
#define FWD_PROTO_ICMP 1
#define FWD_PROTO_ICMPV6 58

static inline int fwd_proto_is_icmp(uint8_t proto) {
  return proto == FWD_PROTO_ICMP || proto == FWD_PROTO_ICMPV6;
}

/* Echo request / reply: RFC 792 types 8 and 0, RFC 4443 128 and 129. */
static inline int fwd_icmp_is_echo(uint8_t proto, uint8_t type) {
  return proto == FWD_PROTO_ICMP ? (type == 8 || type == 0)
                                 : (type == 128 || type == 129);
}

static inline int fwd_icmp_is_request(uint8_t proto, uint8_t type) {
  return proto == FWD_PROTO_ICMP ? type == 8 : type == 128;
}

typedef struct fwd_pkt {
  uint8_t *ip;       /* IP header */
  size_t len;        /* IP packet length */
  size_t l3len;      /* IP header length */
  uint8_t *l4;       /* L4 header */
  size_t l4hlen;     /* 8 (UDP, ICMP echo) or TCP data offset */
  svrfwd_flow flow;  /* ICMP echo: identifier in sport and dport */
  uint8_t tcp_flags;
  uint8_t icmp_type; /* ICMP echo: 8/0 (128/129 for ICMPv6) */
} fwd_pkt;

int svrfwd__pkt_parse(fwd_pkt *pp, uint8_t *ip, size_t len);
/* Rewrites addresses/ports to |f| with RFC 1624 updates of the IPv4 header
 * checksum and (if |l4cksum|) the L4 checksum. */
void svrfwd__pkt_rewrite(fwd_pkt *pp, const svrfwd_flow *f, int l4cksum);
/* Offset of the L4 checksum in the L4 header for |proto|. */
size_t svrfwd__l4_cksum_off(uint8_t proto);
/* Fixes length fields (IP total/payload, UDP length) after a size change. */
void svrfwd__pkt_set_len(fwd_pkt *pp, size_t newlen);
/* Full L4 checksum computation (pseudo header + segment). */
void svrfwd__pkt_l4_cksum(fwd_pkt *pp);
/* The pseudo-header sum only (CHECKSUM_PARTIAL), for TCP and UDP. */
void svrfwd__pkt_l4_cksum_partial(fwd_pkt *pp);
void svrfwd__pkt_set_proto(fwd_pkt *pp, uint8_t proto);
/* Lowers the MSS option of the TCP header of |pp| to |limit| (never
 * raises it) with an RFC 1624 update of the TCP checksum.  Returns 1 if it
 * changed the option, 0 if not (no option, already small enough). */
int svrfwd__tcp_clamp_mss(fwd_pkt *pp, uint16_t limit);
void svrfwd__pkt_set_ttl(fwd_pkt *pp, uint8_t ttl);
uint8_t svrfwd__pkt_ttl(const fwd_pkt *pp);

/* ---- flow hash table (table.c) ---- */
typedef struct fwd_hnode {
  struct fwd_hnode *next;
  svrfwd_flow key;
  uint64_t hash;
  uint8_t kind; /* FWD_KEY_LAN or FWD_KEY_WAN */
} fwd_hnode;

#define FWD_KEY_LAN 0
#define FWD_KEY_WAN 1
#define FWD_KEY_WAN_OLD 2 /* a moved session's previous wan key (migrate.c) */
#define FWD_KEY_UUID 3    /* the session UUID in src (family 0) */

typedef struct fwd_table {
  fwd_hnode **buckets;
  size_t mask;
  uint64_t seed;
} fwd_table;

int svrfwd__table_init(fwd_table *t, size_t nbuckets, uint64_t seed,
                       const svrfwd_mem *mem);
void svrfwd__table_free(fwd_table *t, const svrfwd_mem *mem);
fwd_hnode *svrfwd__table_find(const fwd_table *t, const svrfwd_flow *key,
                              uint8_t kind);
void svrfwd__table_insert(fwd_table *t, fwd_hnode *n);
void svrfwd__table_remove(fwd_table *t, fwd_hnode *n);
int svrfwd__flow_eq(const svrfwd_flow *a, const svrfwd_flow *b);
void svrfwd__flow_swap(svrfwd_flow *out, const svrfwd_flow *in);

/* ---- crypto (crypto.c) ---- */
#define FWD_MAX_KEY 64
#define FWD_PEER_KEYS 3

typedef struct fwd_peer_key {
  int used;
  uint32_t id;
  uint8_t key[FWD_MAX_KEY];
  size_t keylen;
  svrfwd_tstamp expires; /* UINT64_MAX while current / pending */
} fwd_peer_key;

/* One derived session key.
 *
 * GCM fast path (crypto.c): the nonce of every packet is still set per
 * packet, but through the GCM provider's fixed/invocation IV fields instead
 * of a re-init, which in OpenSSL 3.0 re-queries the IV length (a full
 * get-params round) on every call.  |tx_armed| says that |enc| already has
 * the nonce tx_dir || tx_next loaded (the provider's generator loaded it
 * while returning the previous packet's tag); anything else re-inits. */
typedef struct fwd_skey {
  int valid;
  uint32_t id;
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  svr_hmac_sha256 mac; /* CBC modes: the MAC key, keyed once (svr_digest.h) */
  uint8_t gcm_fast;  /* the provider takes the fixed/invocation IV params */
  uint8_t tx_armed;  /* enc holds nonce tx_dir || tx_next, not yet used */
  uint32_t tx_dir;
  uint64_t tx_next;
  uint32_t rx_fixed; /* dec's fixed IV field: direction + 1, 0 = unset */
} fwd_skey;

#define FWD_GCM_TAG 16
#define FWD_HMAC_TAG 32
/* Fast-path crypto prefix: key id(4) seq(8) [time ms(8) in CBC mode]. */
#define FWD_PREFIX_GCM 12
#define FWD_PREFIX_CBC 20

int svrfwd__skey_init(fwd_skey *k);
void svrfwd__skey_free(fwd_skey *k);
/* Keys |k| for |c| with a zero key and leaves it invalid: the provider's
 * contexts exist afterwards, so a later svrfwd__skey_derive() into |k|
 * allocates nothing. */
int svrfwd__skey_prime(fwd_skey *k, svrfwd_cipher c);
/* Derives the session key slot for |c| from the peer key and the session
 * UUID (docs/libsvrfwd.md section 4) and keys it with svrfwd__skey_set(). */
int svrfwd__skey_derive(fwd_skey *k, svrfwd_cipher c, const fwd_peer_key *pk,
                        const uint8_t uuid[16]);
/* Keys |k| for |c| with given keys: |enc_key| 32 bytes (GCM, CBC-256) or 16
 * (CBC-128); the CBC modes' HMAC-SHA256 key |mac_key| (any length, ignored
 * for GCM).  Derivation uses it; tests use it for published vectors. */
int svrfwd__skey_set(fwd_skey *k, svrfwd_cipher c, const uint8_t *enc_key,
                     const uint8_t *mac_key, size_t mac_key_len);
/* Seals: |aad| authenticated, |pt| (ptlen) encrypted in place, the tag
 * written after the ciphertext.  Returns ciphertext+tag length or < 0.
 * In the CBC modes |aad| must lie directly before |pt| (and before |ct| in
 * svrfwd__open): the HMAC runs over aad..ciphertext as one span. */
svrfwd_ssize svrfwd__seal(fwd_skey *k, svrfwd_cipher c, uint64_t seq,
                          uint32_t dir,
                          const uint8_t *aad, size_t aadlen, uint8_t *pt,
                          size_t ptlen);
/* Opens in place: |ct| holds ciphertext + tag (ctlen).  Returns plaintext
 * length, SVRFWD_ERR_PKT_AUTH, or a fatal error. */
svrfwd_ssize svrfwd__open(fwd_skey *k, svrfwd_cipher c, uint64_t seq,
                          uint32_t dir,
                          const uint8_t *aad, size_t aadlen, uint8_t *ct,
                          size_t ctlen);
/* The CBC modes' pieces, which svrfwd__seal/svrfwd__open compose (exposed so
 * tests can drive them with a fixed IV):
 *   svrfwd__cbc_iv:      IV = AES(K, dir || seq || 0^4) with |k|'s key;
 *   svrfwd__cbc_seal_iv: PKCS#7 pad |pt| in place, CBC-encrypt with |iv|,
 *                    append HMAC-SHA256(aad || ciphertext); returns
 *                    ciphertext + tag length;
 *   svrfwd__cbc_open_iv: checks the HMAC first, then decrypts with |fixed_iv|
 *                    or, when NULL, the IV of |seq|, |dir|, and unpads;
 *                    returns the plaintext length or SVRFWD_ERR_PKT_AUTH;
 *   svrfwd__mac:         HMAC-SHA256 of |p| with |k|'s MAC key. */
int svrfwd__cbc_iv(fwd_skey *k, uint8_t iv[16], uint64_t seq, uint32_t dir);
svrfwd_ssize svrfwd__cbc_seal_iv(fwd_skey *k, const uint8_t iv[16],
                                 const uint8_t *aad, size_t aadlen, uint8_t *pt,
                                 size_t ptlen);
svrfwd_ssize svrfwd__cbc_open_iv(fwd_skey *k, uint64_t seq, uint32_t dir,
                                 const uint8_t *fixed_iv, const uint8_t *aad,
                                 size_t aadlen, uint8_t *ct, size_t ctlen);
int svrfwd__mac(const fwd_skey *k, uint8_t out[32], const uint8_t *p,
                size_t len);
size_t svrfwd__tag_len(svrfwd_cipher c);
size_t svrfwd__prefix_len(svrfwd_cipher c);

/* ---- waypoint allocator: svrfwd_wpalloc (waypoint.c) ---- */

/* ---- context, peers, sessions ---- */
#define FWD_REPLAY_WINDOW 64

struct svrfwd_peer {
  svrfwd_ctx *ctx;
  struct svrfwd_peer *next;
  svrfwd_peer_config cfg;
  char name[SVRFWD_NAME_MAX + 1];
  svrfwd_wpalloc *wp_tcp;
  svrfwd_wpalloc *wp_udp;
  fwd_peer_key keys[FWD_PEER_KEYS];
  int active;        /* index of the send key, -1 none */
  uint8_t hops;
  uint8_t transform;
  uint32_t path_mtu; /* bytes; 0 = unknown */
  size_t nsessions;
  /* A received packet's key that no session slot holds is derived here and
   * moves into the session only once the packet verified (session.c
   * svrfwd__rx_key): a forged packet allocates nothing and changes no
   * session.  Primed for the peer's cipher; unused with no encryption. */
  fwd_skey rx_probe;
};

struct svrfwd_session {
  fwd_hnode lan; /* key: packets taken in at ingress (before rewrite) */
  fwd_hnode wan; /* key: packets taken in at egress (as received) */
  /* After a move to another pair (migrate.c): the previous wan key, still
   * accepted until a packet arrives on the new one (make before break). */
  fwd_hnode wan_old;
  fwd_hnode uid; /* key: the UUID, to find a session that moved */
  svrfwd_flow to_peer;  /* swap(wan): what ingress rewrites to */
  svrfwd_flow to_host;  /* swap(lan): what egress restores */
  svr_heap_node timer;
  struct svrfwd_session *prev, *next; /* all sessions of the context */
  svrfwd_peer *peer;
  uint8_t uuid[16];
  uint8_t originator;
  uint8_t meta_tx;
  uint8_t transformed;  /* inner L4 header rides in a UDP payload: a TCP
                         * session on a transformed path, or ICMP echo */
  uint8_t orig_proto;   /* the LAN protocol (6/17/1/58) */
  uint8_t fin_lan, fin_wan, rst, closing;
  uint8_t moving;       /* we moved it; the peer has not acked (migrate.c) */
  uint8_t wan_old_on;   /* wan_old is in the table */
  /* The waypoint pair of the wan key, and the allocator it came from when
   * this router took it (NULL when the peer router chose it). */
  svrfwd_wpalloc *wp_own;
  uint16_t self_port, peer_port;
  /* The same for wan_old, and the peer path it belongs to. */
  svrfwd_wpalloc *old_wp_own;
  uint16_t old_self_port, old_peer_port;
  svrfwd_peer *old_peer;
  uint64_t tx_seq;
  uint64_t rx_top;      /* highest accepted sequence */
  uint64_t rx_bitmap;   /* bit i: rx_top - i seen */
  fwd_skey skeys[2];
  svrfwd_tstamp last_active;
  svrfwd_tstamp created;   /* when the session was linked */
  svrfwd_duration timeout;
  uint64_t tx_packets, rx_packets;
  uint64_t tx_bytes, rx_bytes; /* inner IP packets */
  char tenant[SVRFWD_NAME_MAX + 1];
  char service[SVRFWD_NAME_MAX + 1];
  char peer_router[SVRFWD_NAME_MAX + 1];
};

struct svrfwd_ctx {
  svrfwd_mem mem;
  svrfwd_callbacks cb;
  svrfwd_settings settings;
  char router_name[SVRFWD_NAME_MAX + 1];
  void *user_data;
  fwd_table table;
  svr_heap heap;
  svrfwd_peer *peers;
  svrfwd_session *sessions;
  svrfwd_ctx_stats stats;
  int l4_csum_partial; /* svrfwd_ctx_set_l4_csum_partial() */
};

/* session.c */
int svrfwd__session_new(svrfwd_ctx *ctx, svrfwd_peer *peer,
                        svrfwd_session **ps);
void svrfwd__session_link(svrfwd_ctx *ctx, svrfwd_session *s, svrfwd_tstamp ts);
void svrfwd__session_discard(svrfwd_ctx *ctx, svrfwd_session *s);
void svrfwd__session_close(svrfwd_ctx *ctx, svrfwd_session *s,
                           svrfwd_close_reason why, svrfwd_tstamp ts);
void svrfwd__session_touch(svrfwd_session *s, uint8_t tcp_flags, int from_lan,
                           svrfwd_tstamp ts);
/* The session key for |id|, deriving it when the peer has the key.  Returns
 * 0 or SVRFWD_ERR_PKT_KEY_UNKNOWN / _KEY_EXPIRED / fatal. */
int svrfwd__session_key(svrfwd_session *s, uint32_t id, int for_tx,
                        svrfwd_tstamp ts, fwd_skey **pk);
/* The key to open a packet of security ID |id| from |peer| for the session
 * |s|, or for a session not created yet (|s| NULL, UUID |uuid|): a slot of
 * |s| that holds it, else derived into peer->rx_probe without touching |s|.
 * Returns as svrfwd__session_key.  Once the packet verified,
 * svrfwd__rx_key_commit() moves a probe key into a slot of |s| (0 or
 * SVRFWD_ERR_NOMEM). */
int svrfwd__rx_key(svrfwd_peer *peer, const svrfwd_session *s,
                   const uint8_t uuid[16], uint32_t id, svrfwd_tstamp ts,
                   fwd_skey **pk);
int svrfwd__rx_key_commit(svrfwd_session *s, fwd_skey *k);
int svrfwd__replay_check(const svrfwd_session *s, uint64_t seq);
void svrfwd__replay_update(svrfwd_session *s, uint64_t seq);

/* peer.c */
svrfwd_peer *svrfwd__peer_find(const svrfwd_ctx *ctx, const uint8_t *local,
                               const uint8_t *remote, uint8_t family);
const fwd_peer_key *svrfwd__peer_tx_key(const svrfwd_peer *peer);
/* 1 if |id| is installed on the peer (current, pending or overlapping). */
int svrfwd__peer_has_key(const svrfwd_peer *peer, uint32_t id);

/* migrate.c: sessions moving between peer paths (docs section 9) */
svrfwd_session *svrfwd__session_by_uuid(const svrfwd_ctx *ctx,
                                        const uint8_t uuid[16]);
void svrfwd__uuid_key(svrfwd_flow *k, const uint8_t uuid[16]);
/* Metadata for session |s| came on a tuple that is none of its wan keys:
 * checks that it names |s| (context, outer protocol).  Returns 0 or
 * SVRFWD_ERR_PKT_COLLISION / _META_MISSING / _META_TLV. */
int svrfwd__migrate_check(const svrfwd_session *s, const fwd_pkt *pp,
                          const svrfwd_meta *m);
/* Moves |s| to the peer router's choice: wan key |pp->flow| on |np|. */
void svrfwd__migrate_adopt(svrfwd_ctx *ctx, svrfwd_session *s, svrfwd_peer *np,
                           const fwd_pkt *pp, svrfwd_tstamp ts);
/* The peer uses the new wan key: forget the previous one. */
void svrfwd__migrate_retire_old(svrfwd_ctx *ctx, svrfwd_session *s,
                                svrfwd_tstamp ts);

/* ingress.c: the metadata of the next packet of |s| */
void svrfwd__build_meta(const svrfwd_ctx *ctx, const svrfwd_session *s,
                        svrfwd_cipher c, uint32_t key_id, uint64_t seq,
                        uint16_t l4cksum, svrfwd_tstamp ts, svrfwd_meta *m);

/* pmtu.c */
/* Fast-path growth of a packet of |s| (worst case), svrfwd_peer_overhead. */
size_t svrfwd__session_overhead(const svrfwd_session *s);
/* The MSS a SYN of |s| may carry: path MTU - IP - TCP - overhead. */
uint16_t svrfwd__mss_limit(const svrfwd_session *s);

/* meta.c internal: decode one TLV area into m. */
int svrfwd__meta_tlvs(svrfwd_meta *m, const uint8_t *p, size_t len, int header);
int svrfwd__meta_map_err(int rv);

/* ctx.c */
int svrfwd__drop(svrfwd_ctx *ctx, int code);

#endif /* SVRFWD_INT_H */
