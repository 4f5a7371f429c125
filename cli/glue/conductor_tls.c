/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.3 for the asset channel (docs/libconductor.md section 10.2):
 * certificates made from the SSH keys the 930 channel already trusts.
 *
 * Each end loads its Ed25519 SSH private key (OpenSSH "openssh-key-v1"
 * file, unencrypted, as svr-conductor keygen / ssh-keygen write it) into
 * OpenSSL and presents a self-signed certificate of that key, made in
 * memory at start.  The self-signature proves nothing and is not checked;
 * TLS 1.3's CertificateVerify proves that the peer holds the private key,
 * and the key itself is the identity: the conductor looks it up among the
 * enrolled router keys (the same table SSH authentication uses), the
 * router compares it with the conductor's host key pinned in its
 * known-hosts file.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conductor_tls.h"

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* An SSH "string" at |*p| (|*left| bytes left): its value and length. */
static int sshstr(const uint8_t **p, size_t *left, const uint8_t **v,
                  size_t *n) {
  uint32_t l;
  if (*left < 4) {
    return -1;
  }
  l = be32(*p);
  if (l > *left - 4) {
    return -1;
  }
  *v = *p + 4;
  *n = l;
  *p += 4 + l;
  *left -= 4 + l;
  return 0;
}

static int streq(const uint8_t *v, size_t n, const char *s) {
  return n == strlen(s) && memcmp(v, s, n) == 0;
}

/* Base64 (no line breaks) to bytes; returns the length or -1. */
static int unb64(const char *in, size_t inlen, uint8_t *out, size_t cap) {
  int n, pad = 0;
  if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 > cap) {
    return -1;
  }
  n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
  if (n < 0) {
    return -1;
  }
  if (in[inlen - 1] == '=') {
    pad++;
  }
  if (in[inlen - 2] == '=') {
    pad++;
  }
  return n - pad;
}

int ctls_load_ssh_key(const char *path, EVP_PKEY **out, char *err,
                      size_t errcap) {
  static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
  static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
  FILE *f = fopen(path, "r");
  char *text = NULL, *b64 = NULL, *s, *e;
  uint8_t *bin = NULL;
  const uint8_t *p, *v, *priv, *pub;
  size_t left, n, nb = 0, len, privlen, publen;
  int bl, rv = -1;
  if (f == NULL) {
    snprintf(err, errcap, "%s: cannot open", path);
    return -1;
  }
  text = calloc(1, 65536);
  if (text == NULL) {
    fclose(f);
    snprintf(err, errcap, "out of memory");
    return -1;
  }
  len = fread(text, 1, 65535, f);
  fclose(f);
  s = strstr(text, begin);
  e = s ? strstr(s, end) : NULL;
  if (s == NULL || e == NULL) {
    snprintf(err, errcap, "%s: not an OpenSSH private key", path);
    goto out;
  }
  (void)len;
  s += sizeof begin - 1;
  b64 = malloc((size_t)(e - s) + 1);
  bin = malloc((size_t)(e - s) + 1);
  if (b64 == NULL || bin == NULL) {
    snprintf(err, errcap, "out of memory");
    goto out;
  }
  for (; s < e; s++) {
    if (*s != '\n' && *s != '\r' && *s != ' ') {
      b64[nb++] = *s;
    }
  }
  bl = unb64(b64, nb, bin, nb);
  if (bl < 15 + 4 || memcmp(bin, "openssh-key-v1", 15) != 0) {
    snprintf(err, errcap, "%s: not an openssh-key-v1 key", path);
    goto out;
  }
  p = bin + 15;
  left = (size_t)bl - 15;
  /* cipher, kdf, kdf options */
  if (sshstr(&p, &left, &v, &n) != 0 || !streq(v, n, "none") ||
      sshstr(&p, &left, &v, &n) != 0 || !streq(v, n, "none") ||
      sshstr(&p, &left, &v, &n) != 0) {
    snprintf(err, errcap, "%s: encrypted keys are not supported", path);
    goto out;
  }
  if (left < 4 || be32(p) != 1) {
    snprintf(err, errcap, "%s: expected one key", path);
    goto out;
  }
  p += 4;
  left -= 4;
  if (sshstr(&p, &left, &v, &n) != 0 || /* public key blob */
      sshstr(&p, &left, &v, &n) != 0) { /* private section */
    snprintf(err, errcap, "%s: truncated key", path);
    goto out;
  }
  p = v;
  left = n;
  if (left < 8 || be32(p) != be32(p + 4)) {
    snprintf(err, errcap, "%s: bad check bytes", path);
    goto out;
  }
  p += 8;
  left -= 8;
  if (sshstr(&p, &left, &v, &n) != 0 || !streq(v, n, "ssh-ed25519")) {
    snprintf(err, errcap, "%s: not an Ed25519 key", path);
    goto out;
  }
  if (sshstr(&p, &left, &pub, &publen) != 0 || publen != 32 ||
      sshstr(&p, &left, &priv, &privlen) != 0 || privlen != 64) {
    snprintf(err, errcap, "%s: malformed Ed25519 key", path);
    goto out;
  }
  /* priv = seed (32) || public (32) */
  *out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
  if (*out == NULL) {
    snprintf(err, errcap, "%s: OpenSSL refused the key", path);
    goto out;
  }
  rv = 0;
out:
  if (bin) {
    OPENSSL_cleanse(bin, nb);
  }
  if (text) {
    OPENSSL_cleanse(text, 65536);
  }
  free(bin);
  free(b64);
  free(text);
  return rv;
}

int ctls_pub_b64(EVP_PKEY *k, char *b64, size_t cap) {
  uint8_t blob[4 + 11 + 4 + 32];
  size_t n = 32;
  if (k == NULL || EVP_PKEY_id(k) != EVP_PKEY_ED25519 ||
      cap < 4 * ((sizeof blob + 2) / 3) + 1) {
    return -1;
  }
  memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 4 + 11 + 4);
  if (EVP_PKEY_get_raw_public_key(k, blob + 19, &n) != 1 || n != 32) {
    return -1;
  }
  EVP_EncodeBlock((unsigned char *)b64, blob, (int)sizeof blob);
  return 0;
}

static X509 *self_cert(EVP_PKEY *k, const char *cn) {
  X509 *x = X509_new();
  X509_NAME *name;
  if (x == NULL) {
    return NULL;
  }
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x, k);
  name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, name);
  if (X509_sign(x, k, NULL) == 0) { /* Ed25519: no digest */
    X509_free(x);
    return NULL;
  }
  return x;
}

static void ssl_err(char *err, size_t cap, const char *what) {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  snprintf(err, cap, "%s: %s", what, e ? buf : "failed");
  ERR_clear_error();
}

SSL_CTX *ctls_ctx_new(int server, const char *key_path, const char *cn,
                      int (*verify)(int, X509_STORE_CTX *), char *err,
                      size_t errcap) {
  EVP_PKEY *k = NULL;
  X509 *x = NULL;
  SSL_CTX *ctx;
  if (ctls_load_ssh_key(key_path, &k, err, errcap) != 0) {
    return NULL;
  }
  ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == NULL) {
    ssl_err(err, errcap, "SSL_CTX_new");
    EVP_PKEY_free(k);
    return NULL;
  }
  /* TLS 1.3 only: no older version is ever negotiated. */
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  x = self_cert(k, cn);
  if (x == NULL || SSL_CTX_use_certificate(ctx, x) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ssl_err(err, errcap, "certificate");
    X509_free(x);
    EVP_PKEY_free(k);
    SSL_CTX_free(ctx);
    return NULL;
  }
  X509_free(x);
  EVP_PKEY_free(k);
  /* Mutual: the server asks for a certificate and fails without one; both
   * decide on the key in |verify| (the chain is self-signed by design). */
  SSL_CTX_set_verify(ctx,
                     SSL_VERIFY_PEER |
                         (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                     verify);
  return ctx;
}

int ctls_known_host_key(const char *path, const char *host, unsigned port,
                        char *b64, size_t cap) {
  FILE *f = fopen(path, "r");
  char line[4096], want[300];
  int found = -1;
  if (f == NULL) {
    return -1;
  }
  if (port == 22) {
    snprintf(want, sizeof want, "%s", host);
  } else {
    snprintf(want, sizeof want, "[%s]:%u", host, port);
  }
  while (found != 0 && fgets(line, sizeof line, f)) {
    char *save = NULL, *hosts = strtok_r(line, " \t\r\n", &save);
    char *type = strtok_r(NULL, " \t\r\n", &save);
    char *key = strtok_r(NULL, " \t\r\n", &save);
    char *h, *hs = NULL;
    if (hosts == NULL || type == NULL || key == NULL || hosts[0] == '#' ||
        strcmp(type, "ssh-ed25519") != 0) {
      continue;
    }
    for (h = strtok_r(hosts, ",", &hs); h; h = strtok_r(NULL, ",", &hs)) {
      if (strcmp(h, want) == 0 && strlen(key) < cap) {
        snprintf(b64, cap, "%s", key);
        found = 0;
        break;
      }
    }
  }
  fclose(f);
  return found;
}

int ctls_peer_b64(SSL *ssl, X509_STORE_CTX *xs, char *b64, size_t cap) {
  X509 *x = xs ? X509_STORE_CTX_get_current_cert(xs)
               : SSL_get0_peer_certificate(ssl);
  EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
  return ctls_pub_b64(k, b64, cap);
}
