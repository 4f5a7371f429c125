/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.3 with certificates made from the SSH keys of the 930 channel
 * (conductor_tls.c; docs/libconductor.md section 10.2).  Not installed.
 */
#ifndef CONDUCTOR_TLS_H
#define CONDUCTOR_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* Loads an unencrypted OpenSSH Ed25519 private key file.  0 or -1 (|err|
 * says why). */
int ctls_load_ssh_key(const char *path, EVP_PKEY **out, char *err,
                      size_t errcap);
/* The key as OpenSSH's base64 public key blob ("AAAAC3NzaC1lZDI1NTE5..."),
 * the form the conductor's router enrolment stores.  0, or -1 if it is not
 * an Ed25519 key or |cap| is too small. */
int ctls_pub_b64(EVP_PKEY *k, char *b64, size_t cap);
/* An SSL_CTX for TLS 1.3 only, presenting a self-signed certificate (CN
 * |cn|) of the SSH key at |key_path|, verifying the peer with |verify|
 * (which decides on the key); a server requires a client certificate. */
SSL_CTX *ctls_ctx_new(int server, const char *key_path, const char *cn,
                      int (*verify)(int, X509_STORE_CTX *), char *err,
                      size_t errcap);
/* The ssh-ed25519 key pinned for |host|:|port| in an OpenSSH known-hosts
 * file (plain entries: "[host]:port" or, for port 22, "host").  0 and the
 * base64 blob, or -1. */
int ctls_known_host_key(const char *path, const char *host, unsigned port,
                        char *b64, size_t cap);
/* The base64 blob of the peer certificate's key: the certificate being
 * verified (|xs| from a verify callback) or, with |xs| NULL, the
 * connection's peer certificate.  0 or -1 (none, or not Ed25519). */
int ctls_peer_b64(SSL *ssl, X509_STORE_CTX *xs, char *b64, size_t cap);

#endif /* CONDUCTOR_TLS_H */
