/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Forges the first packet of an SVR session the way a router with another
 * key would send it, for tests/dataplane_badinput.sh: a libsvrfwd context
 * with one peer path (our waypoint 192.168.50.1, the peer's 192.168.50.2,
 * AES-256-GCM, key KEYHEX under security ID SECID) takes a UDP datagram
 * 10.1.0.2:CPORT -> 10.2.0.2:7007 through ingress (tenant blue, service
 * srv), so the output is a real first packet: cookie, header TLVs, the
 * encrypted forward context, the payload, the tag.  The outer UDP ports are
 * then set to SPORT -> DPORT (the outer ports are not authenticated; the
 * checksum is recomputed), so the packet names a waypoint pair the receiver
 * has no session on.
 *
 *   usage: dataplane_forge KEYHEX SECID CPORT SPORT DPORT
 *   prints the IPv4 packet in hex on one line
 *
 * The session UUID comes from getrandom(), so two runs never share one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include <svrfwd/svrfwd.h>

static void rnd(uint8_t *d, size_t n, void *u) {
  (void)u;
  while (n > 0) {
    ssize_t r = getrandom(d, n, 0);
    if (r <= 0) {
      exit(1);
    }
    d += r;
    n -= (size_t)r;
  }
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s) {
  size_t i;
  for (i = 0; i + 1 < n; i += 2) {
    s += (uint32_t)(p[i] << 8 | p[i + 1]);
  }
  if (n & 1) {
    s += (uint32_t)(p[n - 1] << 8);
  }
  return s;
}

static uint16_t fold(uint32_t s) {
  while (s >> 16) {
    s = (s & 0xffff) + (s >> 16);
  }
  return (uint16_t)~s;
}

/* UDP over IPv4 with |plen| bytes of data, checksums right. */
static size_t build_udp(uint8_t *ip, uint16_t cport, const char *data) {
  size_t plen = strlen(data), len = 28 + plen;
  uint8_t ph[12];
  uint16_t c;
  memset(ip, 0, 28);
  ip[0] = 0x45;
  ip[2] = (uint8_t)(len >> 8);
  ip[3] = (uint8_t)len;
  ip[6] = 0x40; /* DF */
  ip[8] = 64;
  ip[9] = 17;
  memcpy(ip + 12, "\x0a\x01\x00\x02", 4);
  memcpy(ip + 16, "\x0a\x02\x00\x02", 4);
  c = fold(sum16(ip, 20, 0));
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
  ip[20] = (uint8_t)(cport >> 8);
  ip[21] = (uint8_t)cport;
  ip[22] = 7007 >> 8;
  ip[23] = 7007 & 0xff;
  ip[24] = (uint8_t)((len - 20) >> 8);
  ip[25] = (uint8_t)(len - 20);
  memcpy(ip + 28, data, plen);
  memcpy(ph, ip + 12, 8);
  ph[8] = 0;
  ph[9] = 17;
  ph[10] = ip[24];
  ph[11] = ip[25];
  c = fold(sum16(ip + 20, len - 20, sum16(ph, 12, 0)));
  if (c == 0) {
    c = 0xffff;
  }
  ip[26] = (uint8_t)(c >> 8);
  ip[27] = (uint8_t)c;
  return len;
}

static int hexkey(const char *h, uint8_t *k, size_t cap, size_t *n) {
  size_t i, l = strlen(h);
  if (l % 2 || l / 2 > cap) {
    return -1;
  }
  for (i = 0; i < l / 2; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) {
      return -1;
    }
    k[i] = (uint8_t)v;
  }
  *n = l / 2;
  return 0;
}

int main(int argc, char **argv) {
  static uint8_t mem[1024 + 2048];
  svrfwd_callbacks cb;
  svrfwd_settings st;
  svrfwd_peer_config pc;
  svrfwd_ctx *ctx;
  svrfwd_peer *peer;
  svrfwd_route route;
  svrfwd_session *s = NULL;
  svrfwd_buf b;
  uint8_t key[64], *ip, ph[12];
  size_t keylen, i, l3;
  unsigned long secid, cport, sport, dport;
  uint16_t c;
  int rv;
  if (argc != 6 || hexkey(argv[1], key, sizeof(key), &keylen) != 0) {
    fprintf(stderr, "usage: %s KEYHEX SECID CPORT SPORT DPORT\n", argv[0]);
    return 2;
  }
  secid = strtoul(argv[2], NULL, 0);
  cport = strtoul(argv[3], NULL, 0);
  sport = strtoul(argv[4], NULL, 0);
  dport = strtoul(argv[5], NULL, 0);
  if (cport == 0 || cport > 65535 || sport == 0 || sport > 65535 ||
      dport == 0 || dport > 65535) {
    fprintf(stderr, "ports: 1..65535\n");
    return 2;
  }
  memset(&cb, 0, sizeof(cb));
  cb.rand = rnd;
  svrfwd_settings_default(&st);
  st.router_name = "routerA";
  if ((rv = svrfwd_ctx_new(&ctx, &cb, &st, NULL, NULL)) != 0) {
    fprintf(stderr, "ctx: %s\n", svrfwd_strerror(rv));
    return 1;
  }
  svrfwd_peer_config_default(&pc);
  pc.local_waypoint.family = pc.remote_waypoint.family = 4;
  memcpy(pc.local_waypoint.addr, "\xc0\xa8\x32\x01", 4);
  memcpy(pc.remote_waypoint.addr, "\xc0\xa8\x32\x02", 4);
  pc.name = "routerB";
  pc.cipher = SVRFWD_CIPHER_AES256_GCM;
  if ((rv = svrfwd_peer_add(ctx, &peer, &pc)) != 0 ||
      (rv = svrfwd_peer_key_add(peer, (uint32_t)secid, key, keylen, 1, 0)) !=
          0) {
    fprintf(stderr, "peer/key: %s\n", svrfwd_strerror(rv));
    return 1;
  }
  b.base = mem;
  b.cap = sizeof(mem);
  b.off = 1024;
  b.len = build_udp(mem + 1024, (uint16_t)cport, "forged by dataplane_forge");
  route.peer = peer;
  route.tenant = "blue";
  route.service = "srv";
  if ((rv = svrfwd_ctx_ingress(ctx, &b, &route, &s, 1)) != 0) {
    fprintf(stderr, "ingress: %s\n", svrfwd_strerror(rv));
    return 1;
  }
  ip = b.base + b.off;
  l3 = (size_t)(ip[0] & 15) * 4;
  if (ip[9] != 17 || b.len < l3 + 8) {
    fprintf(stderr, "ingress gave protocol %u\n", ip[9]);
    return 1;
  }
  ip[l3] = (uint8_t)(sport >> 8);
  ip[l3 + 1] = (uint8_t)sport;
  ip[l3 + 2] = (uint8_t)(dport >> 8);
  ip[l3 + 3] = (uint8_t)dport;
  ip[l3 + 6] = ip[l3 + 7] = 0;
  memcpy(ph, ip + 12, 8);
  ph[8] = 0;
  ph[9] = 17;
  ph[10] = ip[l3 + 4];
  ph[11] = ip[l3 + 5];
  c = fold(sum16(ip + l3, b.len - l3, sum16(ph, 12, 0)));
  if (c == 0) {
    c = 0xffff;
  }
  ip[l3 + 6] = (uint8_t)(c >> 8);
  ip[l3 + 7] = (uint8_t)c;
  for (i = 0; i < b.len; i++) {
    printf("%02x", ip[i]);
  }
  printf("\n");
  svrfwd_ctx_del(ctx);
  return 0;
}
