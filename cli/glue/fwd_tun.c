/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Forwarding glue (fwd_tun.h): the TUN/TAP device with virtio-net offloads,
 * rtnetlink FIB rules and routes, sysctls, and the nftables tables.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/fib_rules.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fwd_offload.h"
#include "fwd_tun.h"
#include "svr_endian.h"

#define NEEDS_ADMIN                                                            \
  "needs CAP_NET_ADMIN (run as root, or 'setcap cap_net_admin+ep' the "        \
  "program)"

/* "<what>: <strerror>", plus the capability when that is the cause. */
__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t errlen, int e, const char *fmt, ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  if (err != NULL && errlen > 0) {
    snprintf(err, errlen, "%s: %s%s%s", what, strerror(e),
             e == EPERM || e == EACCES ? ": " : "",
             e == EPERM || e == EACCES ? NEEDS_ADMIN : "");
  }
  errno = e;
  return -1;
}

/* ---- the TUN device ------------------------------------------------------ */

/* From the fullest set down (tun_set_offload() refuses unknown bits with
 * EINVAL, and USO only as the pair USO4|USO6). */
static const unsigned offload_tries[] = {
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 |
        TUN_F_USO6,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
    TUN_F_CSUM,
    0,
};

/* Best effort: a kernel without IPv6 has no such file. */
static void dev_sysctl_quiet(const char *dev, const char *key,
                             const char *value) {
  char path[96];
  snprintf(path, sizeof(path), "ipv6/conf/%s/%s", dev, key);
  fwd_sysctl(path, value, NULL, 0);
}

int fwd_tun_open(fwd_tun *t, const char *name, int mtu, int tap, char *err,
                 size_t errlen) {
  struct ifreq ifr;
  int hsz = (int)sizeof(struct virtio_net_hdr), s, e;
  size_t i;
  memset(t, 0, sizeof(*t));
  t->fd = -1;
  if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ) {
    snprintf(err, errlen, "TUN device name '%s': 1 to %d characters",
             name ? name : "", IFNAMSIZ - 1);
    return -1;
  }
  t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (t->fd < 0) {
    e = errno;
    if (e == ENOENT || e == ENODEV) {
      snprintf(err, errlen, "open /dev/net/tun: %s (no TUN driver: "
                            "'modprobe tun', or in a container pass the "
                            "device in)", strerror(e));
      return -1;
    }
    return fail(err, errlen, e, "open /dev/net/tun");
  }
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | IFF_VNET_HDR);
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
  if (ioctl(t->fd, TUNSETIFF, &ifr) != 0) {
    e = errno;
    fwd_tun_close(t);
    if (e == EBUSY) {
      snprintf(err, errlen, "%s device %s: in use by another process "
                            "(another svr-router?)", tap ? "TAP" : "TUN", name);
      errno = e;
      return -1;
    }
    if (e == EINVAL) {
      snprintf(err, errlen, "%s device %s: exists with other settings (a "
                            "%s, or without a virtio-net header); delete it "
                            "with 'ip link del %s'", tap ? "TAP" : "TUN",
               name, tap ? "TUN" : "TAP", name);
      errno = e;
      return -1;
    }
    return fail(err, errlen, e, "TUNSETIFF %s", name);
  }
  snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
  if (ioctl(t->fd, TUNSETVNETHDRSZ, &hsz) != 0) {
    e = errno;
    fwd_tun_close(t);
    return fail(err, errlen, e, "TUNSETVNETHDRSZ %s", name);
  }
  t->vnet_hdr_len = hsz;
  for (i = 0; i < sizeof(offload_tries) / sizeof(offload_tries[0]); i++) {
    if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)offload_tries[i]) == 0) {
      t->offloads = offload_tries[i];
      break;
    }
  }
  /* The TAP device only receives frames from the nft netdev `fwd` rule:
   * IPv6 off keeps the kernel from sending it anything of its own.  The
   * TUN device carries IPv6 traffic both ways, and the kernel drops IPv6
   * routed to (ip6_output) or received on (ipv6_rcv) a device with IPv6
   * disabled: no address instead, so no link-local, DAD or router
   * solicitation of its own. */
  if (tap) {
    dev_sysctl_quiet(t->name, "disable_ipv6", "1");
  } else {
    dev_sysctl_quiet(t->name, "addr_gen_mode", "1");
  }
  s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    e = errno;
    fwd_tun_close(t);
    return fail(err, errlen, e, "socket for device ioctls");
  }
  if (ioctl(s, SIOCGIFINDEX, &ifr) != 0) {
    e = errno;
    goto fail_ioctl;
  }
  t->ifindex = ifr.ifr_ifindex;
  if (mtu > 0) {
    ifr.ifr_mtu = mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) != 0) {
      e = errno;
      close(s);
      fwd_tun_close(t);
      return fail(err, errlen, e, "set MTU %d on %s", mtu, name);
    }
  }
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    e = errno;
    goto fail_ioctl;
  }
  ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP | (tap ? IFF_NOARP : 0));
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
    e = errno;
    close(s);
    fwd_tun_close(t);
    return fail(err, errlen, e, "bring %s up", name);
  }
  close(s);
  return 0;
fail_ioctl:
  close(s);
  fwd_tun_close(t);
  return fail(err, errlen, e, "device ioctl on %s", name);
}

void fwd_tun_close(fwd_tun *t) {
  if (t->fd >= 0) {
    close(t->fd);
  }
  t->fd = -1;
}

ptrdiff_t fwd_tun_read(fwd_tun *t, struct virtio_net_hdr *vh, uint8_t *buf,
                       size_t cap, char *err, size_t errlen) {
  struct iovec iov[2];
  ssize_t n;
  iov[0].iov_base = vh;
  iov[0].iov_len = sizeof(*vh);
  iov[1].iov_base = buf;
  iov[1].iov_len = cap;
  n = readv(t->fd, iov, 2);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return 0;
    }
    return fail(err, errlen, errno, "read from %s", t->name);
  }
  if ((size_t)n < sizeof(*vh)) {
    snprintf(err, errlen, "read from %s: %zd bytes, shorter than the "
                          "virtio-net header", t->name, n);
    errno = EPROTO;
    return -1;
  }
  return (ptrdiff_t)((size_t)n - sizeof(*vh));
}

int fwd_tun_write(fwd_tun *t, const struct virtio_net_hdr *vh,
                  const uint8_t *pkt, size_t len, char *err, size_t errlen) {
  static const struct virtio_net_hdr none;
  struct iovec iov[2];
  ssize_t n;
  iov[0].iov_base = (void *)(vh ? vh : &none);
  iov[0].iov_len = sizeof(*vh);
  iov[1].iov_base = (void *)pkt;
  iov[1].iov_len = len;
  do {
    n = writev(t->fd, iov, 2);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) {
    return 0;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
    return 1;
  }
  if (errno == EINVAL) {
    const struct virtio_net_hdr *h = vh ? vh : &none;
    snprintf(err, errlen, "write to %s: the kernel refused a %zu-byte "
                          "packet (virtio-net header flags %u gso_type %u "
                          "gso_size %u hdr_len %u csum %u+%u)",
             t->name, len, h->flags, h->gso_type, h->gso_size, h->hdr_len,
             h->csum_start, h->csum_offset);
    errno = EINVAL;
    return -1;
  }
  return fail(err, errlen, errno, "write to %s", t->name);
}

/* ---- AF_PACKET receive ring ---------------------------------------------- */

/* A classic BPF program under construction: jumps name labels (>= 0),
 * the next instruction (-1) or a relative offset (REL(n): skip n), resolved
 * into the offsets of struct sock_filter at the end. */
enum { L_ACCEPT = 0, L_REJECT, L_V4, L_V4OK, L_V4SRC, L_PORT4, L_V6, L_V6OK,
       L_V6SRC, L_PORT6, L_NEXT0 };
#define BPF_MAX_INSNS 4096 /* BPF_MAXINSNS */
#define BPF_MAX_LABELS (L_NEXT0 + 64)
#define REL(n) (-2 - (n))

typedef struct bpf_prog_b {
  struct sock_filter ins[BPF_MAX_INSNS];
  int jt[BPF_MAX_INSNS], jf[BPF_MAX_INSNS];
  int label_at[BPF_MAX_LABELS];
  unsigned n;
  int overflow;
} bpf_prog_b;

static void bpf_op(bpf_prog_b *b, uint16_t code, uint32_t k, int jt, int jf) {
  if (b->n == BPF_MAX_INSNS) {
    b->overflow = 1;
    return;
  }
  b->ins[b->n].code = code;
  b->ins[b->n].k = k;
  b->jt[b->n] = jt;
  b->jf[b->n] = jf;
  b->n++;
}

static void bpf_label(bpf_prog_b *b, int l) { b->label_at[l] = (int)b->n; }

static int bpf_resolve(bpf_prog_b *b) {
  unsigned i;
  if (b->overflow) {
    return -1;
  }
  for (i = 0; i < b->n; i++) {
    int t[2] = {b->jt[i], b->jf[i]}, j;
    int ja = BPF_CLASS(b->ins[i].code) == BPF_JMP &&
             BPF_OP(b->ins[i].code) == BPF_JA;
    int off[2] = {0, 0};
    for (j = 0; j < 2; j++) {
      if (t[j] == -1) {
        continue;
      }
      if (t[j] < -1) {
        off[j] = -2 - t[j];
      } else if (b->label_at[t[j]] < 0) {
        return -1;
      } else {
        off[j] = b->label_at[t[j]] - (int)i - 1;
      }
      /* a conditional jump reaches 255 ahead, BPF_JA anywhere ahead */
      if (off[j] < 0 || (!ja && off[j] > 255)) {
        return -1;
      }
    }
    if (ja) {
      b->ins[i].k = (uint32_t)off[0];
    } else {
      b->ins[i].jt = (uint8_t)off[0];
      b->ins[i].jf = (uint8_t)off[1];
    }
  }
  return 0;
}

/* The filter of fwd_ring_open(): frames start at the Ethernet header.  With
 * |peers| NULL the source is not checked. */
static int ring_filter(bpf_prog_b *b, const fwd_prefix *addrs, size_t n,
                       const fwd_prefix *peers, size_t np, uint16_t lo,
                       uint16_t hi) {
  size_t i;
  int w, next = L_NEXT0;
  memset(b, 0, sizeof(*b));
  for (i = 0; i < BPF_MAX_LABELS; i++) {
    b->label_at[i] = -1;
  }
  bpf_op(b, BPF_LD | BPF_H | BPF_ABS, 12, -1, -1);
  bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, 0x0800, L_V4, -1);
  bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, L_V6, L_REJECT);
  bpf_label(b, L_V4);
  bpf_op(b, BPF_LD | BPF_W | BPF_ABS, 14 + 16, -1, -1);
  for (i = 0; i < n; i++) {
    if (addrs[i].family == 4) {
      bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, svr_get_be32(addrs[i].addr), L_V4OK,
             -1);
    }
  }
  bpf_op(b, BPF_JMP | BPF_JA, 0, L_REJECT, -1);
  bpf_label(b, L_V4OK);
  if (peers) {
    /* the source is one of the peers: each compare falls through to a
     * long jump (peers may be many) or skips it */
    bpf_op(b, BPF_LD | BPF_W | BPF_ABS, 14 + 12, -1, -1);
    for (i = 0; i < np; i++) {
      if (peers[i].family == 4) {
        bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, svr_get_be32(peers[i].addr), -1,
               REL(1));
        bpf_op(b, BPF_JMP | BPF_JA, 0, L_V4SRC, -1);
      }
    }
    bpf_op(b, BPF_JMP | BPF_JA, 0, L_REJECT, -1);
  }
  bpf_label(b, L_V4SRC);
  bpf_op(b, BPF_LD | BPF_H | BPF_ABS, 14 + 6, -1, -1);
  bpf_op(b, BPF_JMP | BPF_JSET | BPF_K, 0x3fff, L_ACCEPT, -1); /* fragment */
  bpf_op(b, BPF_LD | BPF_B | BPF_ABS, 14 + 9, -1, -1);
  bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, 6, L_PORT4, -1);
  bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, 17, L_PORT4, L_REJECT);
  bpf_label(b, L_PORT4);
  bpf_op(b, BPF_LDX | BPF_B | BPF_MSH, 14, -1, -1);
  bpf_op(b, BPF_LD | BPF_H | BPF_IND, 14 + 2, -1, -1);
  bpf_op(b, BPF_JMP | BPF_JGE | BPF_K, lo, -1, L_REJECT);
  bpf_op(b, BPF_JMP | BPF_JGT | BPF_K, hi, L_REJECT, L_ACCEPT);
  bpf_label(b, L_V6);
  for (i = 0; i < n; i++) {
    if (addrs[i].family != 6) {
      continue;
    }
    if (next == BPF_MAX_LABELS) {
      return -1;
    }
    for (w = 0; w < 4; w++) {
      bpf_op(b, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(14 + 24 + 4 * w), -1,
             -1);
      bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, svr_get_be32(addrs[i].addr + 4 * w),
             w == 3 ? L_V6OK : -1, next);
    }
    bpf_label(b, next++);
  }
  bpf_op(b, BPF_JMP | BPF_JA, 0, L_REJECT, -1);
  bpf_label(b, L_V6OK);
  if (peers) {
    /* per peer: four words compared, a mismatch skips the rest of its
     * block, the last match falls through to a long jump */
    for (i = 0; i < np; i++) {
      if (peers[i].family != 6) {
        continue;
      }
      for (w = 0; w < 4; w++) {
        bpf_op(b, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(14 + 8 + 4 * w), -1,
               -1);
        bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K,
               svr_get_be32(peers[i].addr + 4 * w), -1, REL((3 - w) * 2 + 1));
      }
      bpf_op(b, BPF_JMP | BPF_JA, 0, L_V6SRC, -1);
    }
    bpf_op(b, BPF_JMP | BPF_JA, 0, L_REJECT, -1);
  }
  bpf_label(b, L_V6SRC);
  bpf_op(b, BPF_LD | BPF_B | BPF_ABS, 14 + 6, -1, -1);
  bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, 6, L_PORT6, -1);
  bpf_op(b, BPF_JMP | BPF_JEQ | BPF_K, 17, L_PORT6, L_REJECT);
  bpf_label(b, L_PORT6);
  bpf_op(b, BPF_LD | BPF_H | BPF_ABS, 14 + 40 + 2, -1, -1);
  bpf_op(b, BPF_JMP | BPF_JGE | BPF_K, lo, -1, L_REJECT);
  bpf_op(b, BPF_JMP | BPF_JGT | BPF_K, hi, L_REJECT, L_ACCEPT);
  bpf_label(b, L_ACCEPT);
  bpf_op(b, BPF_RET | BPF_K, 0x40000, -1, -1);
  bpf_label(b, L_REJECT);
  bpf_op(b, BPF_RET | BPF_K, 0, -1, -1);
  return bpf_resolve(b);
}

int fwd_ring_set_filter(fwd_ring *r, const fwd_prefix *addrs, size_t n_addrs,
                        const fwd_prefix *peers, size_t n_peers,
                        uint16_t port_lo, uint16_t port_hi, char *err,
                        size_t errlen) {
  struct sock_fprog fp;
  bpf_prog_b *b = malloc(sizeof(*b));
  int e;
  if (b == NULL) {
    return fail(err, errlen, ENOMEM, "packet ring on %s", r->dev);
  }
  r->any_source = 0;
  if (ring_filter(b, addrs, n_addrs, peers, n_peers, port_lo, port_hi) !=
      0) {
    /* too many peers for one program: the source is checked by the
     * caller (the nft rule checks it with a set either way) */
    r->any_source = 1;
    if (ring_filter(b, addrs, n_addrs, NULL, 0, port_lo, port_hi) != 0) {
      free(b);
      snprintf(err, errlen, "packet ring on %s: too many waypoint "
                            "addresses for the BPF filter", r->dev);
      errno = EINVAL;
      return -1;
    }
  }
  fp.len = (unsigned short)b->n;
  fp.filter = b->ins;
  /* attaching again replaces the running filter at once */
  if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) != 0) {
    e = errno;
    free(b);
    return fail(err, errlen, e, "packet ring on %s: SO_ATTACH_FILTER",
                r->dev);
  }
  free(b);
  return 0;
}

int fwd_ring_open(fwd_ring *r, const char *dev, const fwd_prefix *addrs,
                  size_t n_addrs, const fwd_prefix *peers, size_t n_peers,
                  uint16_t port_lo, uint16_t port_hi, char *err,
                  size_t errlen) {
  struct tpacket_req req;
  struct sockaddr_ll sll;
  int v = TPACKET_V2, one = 1, e;
  memset(r, 0, sizeof(*r));
  r->fd = -1;
  if (dev == NULL || strlen(dev) == 0 || strlen(dev) >= sizeof(r->dev)) {
    snprintf(err, errlen, "packet ring: bad device name");
    errno = EINVAL;
    return -1;
  }
  snprintf(r->dev, sizeof(r->dev), "%s", dev);
  r->ifindex = (int)if_nametoindex(dev);
  if (r->ifindex == 0) {
    return fail(err, errlen, errno, "packet ring on %s", dev);
  }
  /* protocol 0: no frame arrives before the filter and the ring are set */
  r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (r->fd < 0) {
    return fail(err, errlen, errno, "AF_PACKET socket for %s", dev);
  }
  if (fwd_ring_set_filter(r, addrs, n_addrs, peers, n_peers, port_lo,
                          port_hi, err, errlen) != 0) {
    e = errno;
    fwd_ring_close(r);
    errno = e;
    return -1;
  }
  if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0 ||
      setsockopt(r->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) != 0 ||
      setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
                 sizeof(one)) != 0 ||
      setsockopt(r->fd, SOL_PACKET, PACKET_COPY_THRESH, &one, sizeof(one)) !=
          0) {
    e = errno;
    fwd_ring_close(r);
    return fail(err, errlen, e, "packet ring on %s: TPACKET_V2, "
                                "PACKET_VNET_HDR, PACKET_IGNORE_OUTGOING or "
                                "PACKET_COPY_THRESH", dev);
  }
  {
    /* the socket queue holds the super-packets cut in the ring */
    int rcv = 8 << 20;
    if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) !=
        0) {
      setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    }
  }
  memset(&req, 0, sizeof(req));
  req.tp_frame_size = FWD_RING_FRAME;
  req.tp_block_size = 1u << 16;
  req.tp_frame_nr = FWD_RING_FRAMES;
  req.tp_block_nr = FWD_RING_FRAMES / (req.tp_block_size / FWD_RING_FRAME);
  if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
    e = errno;
    fwd_ring_close(r);
    return fail(err, errlen, e, "packet ring on %s: PACKET_RX_RING", dev);
  }
  r->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
  r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_LOCKED | MAP_POPULATE, r->fd, 0);
  if (r->map == MAP_FAILED) {
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
                  0);
  }
  if (r->map == MAP_FAILED) {
    e = errno;
    r->map = NULL;
    fwd_ring_close(r);
    return fail(err, errlen, e, "packet ring on %s: mmap", dev);
  }
  memset(&sll, 0, sizeof(sll));
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL); /* a tap: before netdev ingress */
  sll.sll_ifindex = r->ifindex;
  if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
    e = errno;
    fwd_ring_close(r);
    return fail(err, errlen, e, "packet ring on %s: bind", dev);
  }
  return 0;
}

void fwd_ring_close(fwd_ring *r) {
  if (r->map) {
    munmap(r->map, r->map_len);
  }
  r->map = NULL;
  if (r->fd >= 0) {
    close(r->fd);
  }
  r->fd = -1;
}

static struct tpacket2_hdr *ring_frame(fwd_ring *r) {
  return (struct tpacket2_hdr *)(void *)(r->map +
                                         (size_t)r->head * FWD_RING_FRAME);
}

const uint8_t *fwd_ring_next(fwd_ring *r, struct virtio_net_hdr *vh,
                             size_t *len, uint8_t *big, size_t bigcap) {
  for (;;) {
    struct tpacket2_hdr *h = ring_frame(r);
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    const uint8_t *p;
    if (!(st & TP_STATUS_USER)) {
      return NULL;
    }
    r->frames++;
    p = (const uint8_t *)h + h->tp_mac;
    if (st & TP_STATUS_COPY) {
      /* cut in the ring; the whole frame is on the socket queue, with its
       * virtio-net header first */
      struct iovec iov[2];
      struct msghdr m;
      ssize_t n;
      iov[0].iov_base = vh;
      iov[0].iov_len = sizeof(*vh);
      iov[1].iov_base = big;
      iov[1].iov_len = bigcap;
      memset(&m, 0, sizeof(m));
      m.msg_iov = iov;
      m.msg_iovlen = 2;
      n = recvmsg(r->fd, &m, MSG_DONTWAIT | MSG_TRUNC);
      if (n >= (ssize_t)sizeof(*vh) && (size_t)n - sizeof(*vh) <= bigcap) {
        r->copies++;
        *len = (size_t)n - sizeof(*vh);
        return big;
      }
      r->cut++;
      fwd_ring_release(r);
      continue;
    }
    if (h->tp_snaplen < h->tp_len || h->tp_mac < sizeof(*vh)) {
      r->cut++;
      fwd_ring_release(r);
      continue;
    }
    memcpy(vh, p - sizeof(*vh), sizeof(*vh));
    *len = h->tp_snaplen;
    return p;
  }
}

void fwd_ring_release(fwd_ring *r) {
  struct tpacket2_hdr *h = ring_frame(r);
  __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  r->head = (r->head + 1) % FWD_RING_FRAMES;
}

uint64_t fwd_ring_drops(fwd_ring *r) {
  struct tpacket_stats st;
  socklen_t l = sizeof(st);
  if (r->fd < 0 ||
      getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) != 0) {
    return 0;
  }
  return st.tp_drops;
}

/* ---- raw IP sockets ------------------------------------------------------- */

int fwd_raw_open(fwd_raw *r, char *err, size_t errlen) {
  int buf = 4 << 20, e4 = 0, i;
  r->fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                  IPPROTO_RAW);
  if (r->fd4 < 0) {
    e4 = errno;
  }
  r->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                  IPPROTO_RAW);
  if (r->fd4 < 0 && r->fd6 < 0) {
    return fail(err, errlen, e4, "raw IP socket");
  }
  for (i = 0; i < 2; i++) {
    int fd = i ? r->fd6 : r->fd4, zero = 0;
    if (fd < 0) {
      continue;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0) {
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    }
    /* IPPROTO_RAW receives nothing; keep its queue small all the same */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero));
  }
  return 0;
}

void fwd_raw_close(fwd_raw *r) {
  if (r->fd4 >= 0) {
    close(r->fd4);
  }
  if (r->fd6 >= 0) {
    close(r->fd6);
  }
  r->fd4 = r->fd6 = -1;
}

int fwd_raw_send(fwd_raw *r, int family, uint8_t *const *pkt,
                 const size_t *len, unsigned n, int *errs) {
  struct mmsghdr m[FWD_RAW_BATCH];
  struct iovec iov[FWD_RAW_BATCH];
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } to[FWD_RAW_BATCH];
  int fd = family == 4 ? r->fd4 : r->fd6, calls = 0;
  unsigned i, done = 0;
  if (fd < 0 || n > FWD_RAW_BATCH) {
    errno = fd < 0 ? EAFNOSUPPORT : EINVAL;
    return -1;
  }
  for (i = 0; i < n; i++) {
    errs[i] = 0;
    memset(&to[i], 0, sizeof(to[i]));
    memset(&m[i], 0, sizeof(m[i]));
    if (family == 4) {
      to[i].v4.sin_family = AF_INET;
      memcpy(&to[i].v4.sin_addr, pkt[i] + 16, 4);
      m[i].msg_hdr.msg_namelen = sizeof(to[i].v4);
    } else {
      to[i].v6.sin6_family = AF_INET6;
      memcpy(&to[i].v6.sin6_addr, pkt[i] + 24, 16);
      m[i].msg_hdr.msg_namelen = sizeof(to[i].v6);
    }
    iov[i].iov_base = pkt[i];
    iov[i].iov_len = len[i];
    m[i].msg_hdr.msg_name = &to[i];
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  while (done < n) {
    int k = sendmmsg(fd, m + done, n - done, 0);
    calls++;
    if (k > 0) {
      done += (unsigned)k;
      continue;
    }
    if (k < 0 && errno == EINTR) {
      continue;
    }
    /* the packet at |done| was refused (EAGAIN, ENOBUFS, EMSGSIZE, ...):
     * the caller decides; send the rest */
    errs[done] = k < 0 ? errno : EIO;
    done++;
  }
  return calls;
}

/* ---- AF_PACKET send sockets ------------------------------------------------ */

int fwd_ptx_open(fwd_ptx *t, const char *dev, char *err, size_t errlen) {
  struct sockaddr_ll sll;
  struct ifreq ifr;
  int buf = 4 << 20, zero = 0, one = 1, e;
  memset(t, 0, sizeof(*t));
  t->fd = -1;
  if (dev == NULL || strlen(dev) == 0 || strlen(dev) >= sizeof(t->dev)) {
    snprintf(err, errlen, "packet send socket: bad device name");
    errno = EINVAL;
    return -1;
  }
  snprintf(t->dev, sizeof(t->dev), "%s", dev);
  t->ifindex = (int)if_nametoindex(dev);
  if (t->ifindex == 0) {
    return fail(err, errlen, errno, "packet send socket on %s", dev);
  }
  t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (t->fd < 0) {
    return fail(err, errlen, errno, "AF_PACKET send socket for %s", dev);
  }
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
  if (ioctl(t->fd, SIOCGIFHWADDR, &ifr) != 0 ||
      ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
    e = errno;
    fwd_ptx_close(t);
    snprintf(err, errlen, "packet send socket on %s: not an Ethernet "
                          "device (%s)", dev, e ? strerror(e) : "type");
    errno = EINVAL;
    return -1;
  }
  memcpy(t->mac, ifr.ifr_hwaddr.sa_data, 6);
  /* no PACKET_QDISC_BYPASS: it also skips the device's taps (tcpdump on
   * the interface would not see what we send) and its qdisc (shaping
   * and fairness with the host's own traffic on a real NIC); veth has no
   * qdisc (noqueue) anyway */
  if (setsockopt(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0) {
    setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  }
  setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero));
  /* a virtio-net header before each frame: the device completes the
   * TCP/UDP checksum (a veth passes it on partial, a NIC with checksum
   * offload computes it, the kernel does it for one without) */
  t->vnet = setsockopt(t->fd, SOL_PACKET, PACKET_VNET_HDR, &one,
                       sizeof(one)) == 0;
  /* protocol 0: bound to the device for sending, it receives nothing */
  memset(&sll, 0, sizeof(sll));
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0;
  sll.sll_ifindex = t->ifindex;
  if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
    e = errno;
    fwd_ptx_close(t);
    return fail(err, errlen, e, "packet send socket on %s: bind", dev);
  }
  return 0;
}

void fwd_ptx_close(fwd_ptx *t) {
  if (t->fd >= 0) {
    close(t->fd);
  }
  t->fd = -1;
}

int fwd_ptx_send(fwd_ptx *t, const uint8_t *const *eth, uint8_t *const *pkt,
                 const size_t *len, unsigned n, int partial, int *errs) {
  struct mmsghdr m[FWD_RAW_BATCH];
  struct iovec iov[FWD_RAW_BATCH][3];
  struct virtio_net_hdr vh[FWD_RAW_BATCH];
  int calls = 0;
  unsigned i, done = 0;
  if (t->fd < 0 || n > FWD_RAW_BATCH) {
    errno = t->fd < 0 ? EBADF : EINVAL;
    return -1;
  }
  for (i = 0; i < n; i++) {
    struct iovec *v = iov[i];
    size_t start, off;
    errs[i] = 0;
    memset(&m[i], 0, sizeof(m[i]));
    if (t->vnet) {
      memset(&vh[i], 0, sizeof(vh[i]));
      if (partial && fwd_l4_csum_where(pkt[i], len[i], &start, &off)) {
        vh[i].flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        vh[i].csum_start = (uint16_t)(14 + start);
        vh[i].csum_offset = (uint16_t)off;
      }
      v->iov_base = &vh[i];
      v->iov_len = sizeof(vh[i]);
      v++;
    } else if (partial) {
      fwd_l4_csum_complete(pkt[i], len[i]);
    }
    v[0].iov_base = (void *)(uintptr_t)eth[i];
    v[0].iov_len = 14;
    v[1].iov_base = pkt[i];
    v[1].iov_len = len[i];
    m[i].msg_hdr.msg_iov = iov[i];
    m[i].msg_hdr.msg_iovlen = (size_t)(v + 2 - iov[i]);
  }
  while (done < n) {
    int k = sendmmsg(t->fd, m + done, n - done, 0);
    calls++;
    if (k > 0) {
      done += (unsigned)k;
      continue;
    }
    if (k < 0 && errno == EINTR) {
      continue;
    }
    errs[done] = k < 0 ? errno : EIO;
    done++;
  }
  return calls;
}

/* ---- rtnetlink ----------------------------------------------------------- */

typedef struct nl_msg {
  union {
    struct nlmsghdr nh;
    uint8_t raw[512];
  } u;
} nl_msg;

static struct nlmsghdr *nl_start(nl_msg *m, uint16_t type, uint16_t flags,
                                 const void *fam, size_t famlen) {
  memset(m, 0, sizeof(*m));
  m->u.nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(famlen);
  m->u.nh.nlmsg_type = type;
  m->u.nh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
  memcpy(NLMSG_DATA(&m->u.nh), fam, famlen);
  return &m->u.nh;
}

/* Appends an attribute; the buffer is sized for the largest message. */
static struct rtattr *nl_put(struct nlmsghdr *nh, uint16_t type,
                             const void *data, size_t len) {
  struct rtattr *a =
      (struct rtattr *)((uint8_t *)nh + NLMSG_ALIGN(nh->nlmsg_len));
  a->rta_type = type;
  a->rta_len = (uint16_t)RTA_LENGTH(len);
  if (len) {
    memcpy(RTA_DATA(a), data, len);
  }
  nh->nlmsg_len = (uint32_t)(NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(a->rta_len));
  return a;
}

static void nl_put_u32(struct nlmsghdr *nh, uint16_t type, uint32_t v) {
  nl_put(nh, type, &v, sizeof(v));
}

/* The kernel's extended-ack message, if it sent one. */
static const char *nl_ext_msg(const struct nlmsghdr *h) {
  const struct nlmsgerr *e = NLMSG_DATA(h);
  size_t off, end = h->nlmsg_len;
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) {
    return NULL;
  }
  off = NLMSG_HDRLEN + sizeof(*e);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
    off += e->msg.nlmsg_len - NLMSG_HDRLEN;
  }
  off = NLMSG_ALIGN(off);
  while (off + sizeof(struct nlattr) <= end) {
    const struct nlattr *a = (const struct nlattr *)((const uint8_t *)h + off);
    if (a->nla_len < sizeof(*a) || off + a->nla_len > end) {
      break;
    }
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
        a->nla_len > sizeof(*a)) {
      const char *s = (const char *)(a + 1); /* NLA_HDRLEN == sizeof(*a) */
      if (memchr(s, '\0', a->nla_len - sizeof(*a))) {
        return s;
      }
    }
    off += ((size_t)a->nla_len + 3u) & ~(size_t)3u; /* NLA_ALIGN */
  }
  return NULL;
}

/* Sends |nh| to the kernel and waits for its ACK.  Returns 0, or the
 * positive errno the kernel answered (ext-ack text in |kmsg|), or -1 when
 * the socket itself failed (err filled). */
static int nl_talk(struct nlmsghdr *nh, char *kmsg, size_t kmsglen,
                   const char *what, char *err, size_t errlen) {
  struct sockaddr_nl sa;
  struct timeval tv = {2, 0};
  union {
    struct nlmsghdr nh;
    uint8_t raw[4096];
  } rb;
  int fd, one = 1, e;
  uint32_t seq = (uint32_t)time(NULL) ^ (uint32_t)getpid();
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    return fail(err, errlen, errno, "%s: netlink socket", what);
  }
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  memset(&sa, 0, sizeof(sa));
  sa.nl_family = AF_NETLINK;
  nh->nlmsg_seq = seq;
  if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) <
      0) {
    e = errno;
    close(fd);
    return fail(err, errlen, e, "%s: netlink send", what);
  }
  kmsg[0] = '\0';
  for (;;) {
    ssize_t n = recv(fd, &rb, sizeof(rb), 0);
    struct nlmsghdr *h;
    size_t left;
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      e = errno;
      close(fd);
      return fail(err, errlen, e, "%s: no netlink answer", what);
    }
    left = (size_t)n;
    for (h = &rb.nh; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) {
        continue;
      }
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        close(fd);
        snprintf(err, errlen, "%s: truncated netlink answer", what);
        return -1;
      }
      e = -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (e != 0) {
        const char *m = nl_ext_msg(h);
        if (m) {
          snprintf(kmsg, kmsglen, "%s", m);
        }
      }
      close(fd);
      return e;
    }
  }
}

/* Reports the kernel's refusal |e| of |what|. */
static int nl_fail(int e, const char *kmsg, const char *what, char *err,
                   size_t errlen) {
  const char *hint = "";
  /* rtnetlink says EPERM for a missing capability; EACCES is something
   * else (e.g. "IPv6 is disabled on nexthop device") */
  if (e == EPERM) {
    hint = ": " NEEDS_ADMIN;
  } else if (e == EAFNOSUPPORT) {
    hint = ": IPv6 disabled on this host?";
  } else if (e == ENODEV) {
    hint = ": no such device";
  }
  snprintf(err, errlen, "%s: %s%s%s%s", what, strerror(e), kmsg[0] ? " (" : "",
           kmsg[0] ? kmsg : "", kmsg[0] ? ")" : "");
  if (hint[0]) {
    size_t l = strlen(err);
    if (errlen > l) {
      snprintf(err + l, errlen - l, "%s", hint);
    }
  }
  errno = e;
  return -1;
}

/* Clears the host bits of a prefix; 0, or -1 when family/length are bad. */
/* Sends a GET request and copies the answer of type |want| into |out|:
 * 0, or a positive errno (the kernel's, or ENOENT when none came). */
static int nl_get(struct nlmsghdr *nh, uint16_t want, uint8_t *out,
                  size_t outlen) {
  struct sockaddr_nl sa;
  struct timeval tv = {1, 0};
  union {
    struct nlmsghdr nh;
    uint8_t raw[8192];
  } rb;
  int fd, e = ENOENT, got = 0;
  uint32_t seq = (uint32_t)time(NULL) ^ (uint32_t)getpid();
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    return errno;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  memset(&sa, 0, sizeof(sa));
  sa.nl_family = AF_NETLINK;
  nh->nlmsg_seq = seq;
  if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) <
      0) {
    e = errno;
    close(fd);
    return e;
  }
  for (;;) {
    ssize_t n = recv(fd, &rb, sizeof(rb), 0);
    struct nlmsghdr *h;
    size_t left;
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      e = n < 0 ? errno : EIO;
      break;
    }
    left = (size_t)n;
    for (h = &rb.nh; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq) {
        continue;
      }
      if (h->nlmsg_type == want && !got && h->nlmsg_len <= outlen) {
        memcpy(out, h, h->nlmsg_len);
        got = 1;
      } else if (h->nlmsg_type == NLMSG_ERROR &&
                 h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        int ke = -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
        close(fd);
        return ke ? ke : got ? 0 : ENOENT;
      } else if (h->nlmsg_type == NLMSG_DONE) {
        close(fd);
        return got ? 0 : ENOENT;
      }
    }
  }
  close(fd);
  return got ? 0 : e;
}

int fwd_nl_nexthop(const fwd_prefix *dst, int *ifindex, uint8_t mac[6],
                   char *err, size_t errlen) {
  nl_msg m;
  struct rtmsg rtm;
  struct ndmsg ndm;
  struct nlmsghdr *nh;
  union {
    struct nlmsghdr nh;
    uint8_t raw[1024];
  } ans;
  size_t alen = dst->family == 4 ? 4 : 16, left;
  uint8_t hop[16];
  struct rtattr *a;
  int oif = 0, e, have_mac = 0;
  uint16_t state = 0;
  if (dst->family != 4 && dst->family != 6) {
    snprintf(err, errlen, "next hop: address family %u", dst->family);
    errno = EINVAL;
    return -1;
  }
  memcpy(hop, dst->addr, alen);
  memset(&rtm, 0, sizeof(rtm));
  rtm.rtm_family = dst->family == 4 ? AF_INET : AF_INET6;
  rtm.rtm_dst_len = (uint8_t)(alen * 8);
  nh = nl_start(&m, RTM_GETROUTE, 0, &rtm, sizeof(rtm));
  nl_put(nh, RTA_DST, dst->addr, alen);
  e = nl_get(nh, RTM_NEWROUTE, ans.raw, sizeof(ans.raw));
  if (e != 0) {
    return fail(err, errlen, e, "route to the peer");
  }
  left = RTM_PAYLOAD(&ans.nh);
  for (a = RTM_RTA(NLMSG_DATA(&ans.nh)); RTA_OK(a, left);
       a = RTA_NEXT(a, left)) {
    if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= 4) {
      memcpy(&oif, RTA_DATA(a), 4);
    } else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == alen) {
      memcpy(hop, RTA_DATA(a), alen);
    }
  }
  if (oif == 0) {
    snprintf(err, errlen, "route to the peer: no output interface");
    errno = ENOENT;
    return -1;
  }
  memset(&ndm, 0, sizeof(ndm));
  ndm.ndm_family = rtm.rtm_family;
  ndm.ndm_ifindex = oif;
  nh = nl_start(&m, RTM_GETNEIGH, 0, &ndm, sizeof(ndm));
  nl_put(nh, NDA_DST, hop, alen);
  e = nl_get(nh, RTM_NEWNEIGH, ans.raw, sizeof(ans.raw));
  if (e == ENOENT) {
    return 1;
  }
  if (e != 0) {
    return fail(err, errlen, e, "neighbour entry of the next hop");
  }
  state = ((const struct ndmsg *)NLMSG_DATA(&ans.nh))->ndm_state;
  left = NLMSG_PAYLOAD(&ans.nh, sizeof(struct ndmsg));
  for (a = (struct rtattr *)(void *)((uint8_t *)NLMSG_DATA(&ans.nh) +
                                     NLMSG_ALIGN(sizeof(struct ndmsg)));
       RTA_OK(a, left); a = RTA_NEXT(a, left)) {
    if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
      memcpy(mac, RTA_DATA(a), 6);
      have_mac = 1;
    }
  }
  if (!have_mac || !(state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY |
                              NUD_PROBE | NUD_PERMANENT))) {
    return 1;
  }
  *ifindex = oif;
  return 0;
}

static int prefix_norm(fwd_prefix *o, const fwd_prefix *p, uint8_t family) {
  size_t bytes = family == 4 ? 4 : 16, i;
  *o = *p;
  if (p->len == 0) {
    return 0;
  }
  if (p->family != family || p->len > bytes * 8) {
    return -1;
  }
  for (i = 0; i < 16; i++) {
    size_t bit = i * 8;
    if (i >= bytes || bit >= p->len) {
      o->addr[i] = 0;
    } else if (bit + 8 > p->len) {
      o->addr[i] &= (uint8_t)(0xff00u >> (p->len - bit));
    }
  }
  return 0;
}

static void prefix_text(char *buf, size_t len, const fwd_prefix *p) {
  char a[INET6_ADDRSTRLEN];
  if (p->len == 0) {
    snprintf(buf, len, "%s", "all");
    return;
  }
  if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a))) {
    snprintf(a, sizeof(a), "?");
  }
  snprintf(buf, len, "%s/%u", a, p->len);
}

int fwd_nl_rule(const fwd_rule *r, int add, char *err, size_t errlen) {
  nl_msg m;
  struct fib_rule_hdr frh;
  struct nlmsghdr *nh;
  fwd_prefix from, to;
  char what[256], f[64], t[64], kmsg[256];
  size_t alen = r->family == 4 ? 4 : 16;
  int rv;
  if ((r->family != 4 && r->family != 6) ||
      prefix_norm(&from, &r->from, r->family) != 0 ||
      prefix_norm(&to, &r->to, r->family) != 0) {
    snprintf(err, errlen, "rule pref %u: family %u with from/to of another "
                          "family or length", r->priority, r->family);
    errno = EINVAL;
    return -1;
  }
  prefix_text(f, sizeof(f), &from);
  prefix_text(t, sizeof(t), &to);
  snprintf(what, sizeof(what),
           "%s IPv%u rule pref %u from %s to %s ipproto %u dport %u-%u "
           "fwmark 0x%x iif %.15s lookup %u",
           add ? "add" : "delete", r->family, r->priority, f, t, r->ipproto,
           r->dport_lo, r->dport_hi ? r->dport_hi : r->dport_lo, r->fwmark,
           r->iifname[0] ? r->iifname : "any", r->table);
  memset(&frh, 0, sizeof(frh));
  frh.family = r->family == 4 ? AF_INET : AF_INET6;
  frh.src_len = from.len;
  frh.dst_len = to.len;
  frh.table = (uint8_t)(r->table < 256 ? r->table : RT_TABLE_UNSPEC);
  frh.action = FR_ACT_TO_TBL;
  nh = nl_start(&m, add ? RTM_NEWRULE : RTM_DELRULE,
                (uint16_t)(add ? NLM_F_CREATE | NLM_F_EXCL : 0), &frh,
                sizeof(frh));
  nl_put_u32(nh, FRA_PRIORITY, r->priority);
  nl_put_u32(nh, FRA_TABLE, r->table);
  if (from.len) {
    nl_put(nh, FRA_SRC, from.addr, alen);
  }
  if (to.len) {
    nl_put(nh, FRA_DST, to.addr, alen);
  }
  if (r->ipproto) {
    nl_put(nh, FRA_IP_PROTO, &r->ipproto, 1);
  }
  if (r->dport_lo || r->dport_hi) {
    struct fib_rule_port_range pr;
    pr.start = r->dport_lo ? r->dport_lo : r->dport_hi;
    pr.end = r->dport_hi ? r->dport_hi : r->dport_lo;
    nl_put(nh, FRA_DPORT_RANGE, &pr, sizeof(pr));
  }
  if (r->fwmark) {
    nl_put_u32(nh, FRA_FWMARK, r->fwmark);
    nl_put_u32(nh, FRA_FWMASK, 0xffffffffu);
  }
  if (r->iifname[0]) {
    char iif[IFNAMSIZ];
    snprintf(iif, sizeof(iif), "%.*s", (int)sizeof(iif) - 1, r->iifname);
    nl_put(nh, FRA_IIFNAME, iif, strlen(iif) + 1);
  }
  rv = nl_talk(nh, kmsg, sizeof(kmsg), what, err, errlen);
  if (rv == 0 || (add && rv == EEXIST) || (!add && rv == ENOENT)) {
    return 0;
  }
  return rv < 0 ? -1 : nl_fail(rv, kmsg, what, err, errlen);
}

int fwd_nl_route(uint32_t table, const fwd_prefix *dst, int ifindex,
                 uint32_t mtu, int add, char *err, size_t errlen) {
  nl_msg m;
  struct rtmsg rtm;
  struct nlmsghdr *nh;
  fwd_prefix d;
  char what[160], dt[64], kmsg[256];
  int rv;
  if ((dst->family != 4 && dst->family != 6) ||
      prefix_norm(&d, dst, dst->family) != 0) {
    snprintf(err, errlen, "route: bad prefix (family %u length %u)",
             dst->family, dst->len);
    errno = EINVAL;
    return -1;
  }
  prefix_text(dt, sizeof(dt), &d);
  if (d.len == 0) {
    snprintf(dt, sizeof(dt), "default");
  }
  snprintf(what, sizeof(what), "%s IPv%u route %s dev #%d table %u mtu %u",
           add ? "add" : "delete", d.family, dt, ifindex, table, mtu);
  memset(&rtm, 0, sizeof(rtm));
  rtm.rtm_family = d.family == 4 ? AF_INET : AF_INET6;
  rtm.rtm_dst_len = d.len;
  rtm.rtm_table = (uint8_t)(table < 256 ? table : RT_TABLE_UNSPEC);
  rtm.rtm_protocol = RTPROT_STATIC;
  rtm.rtm_type = RTN_UNICAST;
  rtm.rtm_scope = add ? (d.family == 4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE)
                      : RT_SCOPE_NOWHERE;
  nh = nl_start(&m, add ? RTM_NEWROUTE : RTM_DELROUTE,
                (uint16_t)(add ? NLM_F_CREATE | NLM_F_REPLACE : 0), &rtm,
                sizeof(rtm));
  nl_put_u32(nh, RTA_TABLE, table);
  if (d.len) {
    nl_put(nh, RTA_DST, d.addr, d.family == 4 ? 4 : 16);
  }
  if (ifindex > 0) {
    nl_put_u32(nh, RTA_OIF, (uint32_t)ifindex);
  }
  if (add && mtu) {
    struct rtattr *nest = nl_put(nh, RTA_METRICS, NULL, 0);
    nl_put_u32(nh, RTAX_MTU, mtu);
    nest->rta_len = (uint16_t)((uint8_t *)nh + nh->nlmsg_len - (uint8_t *)nest);
  }
  rv = nl_talk(nh, kmsg, sizeof(kmsg), what, err, errlen);
  if (rv == 0 || (!add && (rv == ESRCH || rv == ENOENT))) {
    return 0;
  }
  return rv < 0 ? -1 : nl_fail(rv, kmsg, what, err, errlen);
}

int fwd_sysctl(const char *path, const char *value, char *err,
               size_t errlen) {
  char full[256];
  size_t len = strlen(value);
  ssize_t n;
  int fd, e;
  if (path[0] == '/' || strstr(path, "..") != NULL) {
    snprintf(err, errlen, "sysctl net/%s: not a path under net/", path);
    errno = EINVAL;
    return -1;
  }
  snprintf(full, sizeof(full), "/proc/sys/net/%s", path);
  fd = open(full, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    e = errno;
    if (e == ENOENT) {
      snprintf(err, errlen, "sysctl net/%s: no such setting (device "
                            "missing, or IPv6 disabled?)", path);
      errno = e;
      return -1;
    }
    if (e == EROFS) {
      snprintf(err, errlen, "sysctl net/%s: /proc/sys is read-only here "
                            "(a container?): %s", path, NEEDS_ADMIN);
      errno = e;
      return -1;
    }
    return fail(err, errlen, e, "sysctl net/%s", path);
  }
  n = write(fd, value, len);
  e = errno;
  close(fd);
  if (n != (ssize_t)len) {
    return fail(err, errlen, n < 0 ? e : EIO, "sysctl net/%s = %s", path,
                value);
  }
  return 0;
}

/* ---- nftables ------------------------------------------------------------ */

/* Runs nft with |args| (NULL-terminated, after "nft"), |in| on stdin (NULL:
 * none); its stdout and stderr go to |out|.  Returns 0 when nft exited 0.
 * nft runs in a process group of its own: a signal to ours (Ctrl-C in a
 * terminal, `timeout` stopping us) must not kill it halfway through the
 * cleanup it was started for.  stdin is a socket written with MSG_NOSIGNAL,
 * so nft dying early cannot raise SIGPIPE in a process that did not ask to
 * ignore it. */
static int run_nft(const char *const *args, const char *in, char *out,
                   size_t outlen) {
  static const char noexec[] = "cannot run nft (install nftables)\n";
  const char *argv[8];
  int inp[2] = {-1, -1}, outp[2];
  pid_t pid;
  int status, i;
  size_t off = 0;
  ssize_t n;
  argv[0] = "nft";
  for (i = 0; args[i] && i < 6; i++) {
    argv[i + 1] = args[i];
  }
  argv[i + 1] = NULL;
  out[0] = '\0';
  if (pipe2(outp, O_CLOEXEC) != 0) {
    snprintf(out, outlen, "pipe: %s", strerror(errno));
    return -1;
  }
  if (in && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inp) != 0) {
    snprintf(out, outlen, "socketpair: %s", strerror(errno));
    close(outp[0]);
    close(outp[1]);
    return -1;
  }
  pid = fork();
  if (pid < 0) {
    snprintf(out, outlen, "fork: %s", strerror(errno));
    close(outp[0]);
    close(outp[1]);
    if (in) {
      close(inp[0]);
      close(inp[1]);
    }
    return -1;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    setpgid(0, 0);
    dup2(in ? inp[1] : devnull, 0);
    dup2(outp[1], 1);
    dup2(outp[1], 2);
    execvp("nft", (char *const *)argv);
    if (write(2, noexec, sizeof(noexec) - 1) < 0) {
      /* nothing left to tell it to */
    }
    _exit(127);
  }
  close(outp[1]);
  if (in) {
    const char *p = in;
    size_t left = strlen(in);
    close(inp[1]);
    while (left > 0) {
      n = send(inp[0], p, left, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break; /* nft died early; its output says why */
      }
      p += n;
      left -= (size_t)n;
    }
    close(inp[0]);
  }
  for (;;) {
    char sink[256];
    char *dst = off + 1 < outlen ? out + off : sink;
    size_t cap = off + 1 < outlen ? outlen - 1 - off : sizeof(sink);
    n = read(outp[0], dst, cap);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    if (dst != sink) {
      off += (size_t)n;
    }
  }
  out[off] = '\0';
  close(outp[0]);
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      snprintf(out, outlen, "waitpid: %s", strerror(errno));
      return -1;
    }
  }
  if (WIFSIGNALED(status) && off == 0) {
    snprintf(out, outlen, "nft killed by signal %d", WTERMSIG(status));
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Deletes the svr_fwd_<pid> tables (any family) of processes that no longer
 * exist: a router killed with SIGKILL cannot remove its own, and a stale
 * netdev table would keep stealing waypoint packets.  Best effort. */
static void nft_sweep_stale(void) {
  static const char *const list[] = {"list", "tables", NULL};
  char out[8192], script[128], junk[256];
  char *line, *save = NULL;
  if (run_nft(list, NULL, out, sizeof(out)) != 0) {
    return;
  }
  for (line = strtok_r(out, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char fam[16];
    long pid;
    static const char *const f[] = {"-f", "-", NULL};
    if (sscanf(line, "table %15s svr_fwd_%ld", fam, &pid) == 2 && pid > 0 &&
        pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
      snprintf(script, sizeof(script), "delete table %s svr_fwd_%ld\n", fam,
               pid);
      run_nft(f, script, junk, sizeof(junk));
    }
  }
}

static int dev_name_ok(const char *s) {
  size_t i, n = s ? strlen(s) : 0;
  if (n == 0 || n >= IFNAMSIZ) {
    return 0;
  }
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) {
      return 0;
    }
  }
  return 1;
}

typedef struct nft_sb {
  char *p;
  size_t len, cap;
} nft_sb;

/* printf into a growing script; returns -1 when out of memory. */
__attribute__((format(printf, 2, 3))) static int sb_printf(nft_sb *b,
                                                           const char *fmt,
                                                           ...) {
  va_list ap;
  int n;
  for (;;) {
    if (b->cap - b->len < 2) {
      n = 0;
    } else {
      va_start(ap, fmt);
      n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
      va_end(ap);
      if (n < 0) {
        return -1;
      }
      if ((size_t)n < b->cap - b->len) {
        b->len += (size_t)n;
        return 0;
      }
    }
    {
      size_t ncap = (b->cap + (size_t)n + 64) * 2;
      char *np = realloc(b->p, ncap);
      if (np == NULL) {
        return -1;
      }
      b->p = np;
      b->cap = ncap;
    }
  }
}

static const char *wp_text(char *buf, size_t len, const fwd_prefix *p) {
  size_t full = p->family == 4 ? 32 : 128;
  if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, buf,
                 (socklen_t)len)) {
    snprintf(buf, len, "?");
  } else if (p->len != 0 && p->len < full) {
    size_t l = strlen(buf);
    snprintf(buf + l, len - l, "/%u", p->len);
  }
  return buf;
}

/* The elements of the peer sets: " a, b" for |family|, "" when none. */
static int nft_peer_elems(nft_sb *b, const fwd_prefix *peers, size_t n,
                          int family) {
  char addr[64];
  size_t i;
  int rv = 0, first = 1;
  for (i = 0; i < n; i++) {
    fwd_prefix one = peers[i];
    if (one.family != family) {
      continue;
    }
    one.len = 0; /* a host address */
    rv |= sb_printf(b, "%s %s", first ? "" : ",",
                    wp_text(addr, sizeof(addr), &one));
    first = 0;
  }
  return rv;
}

/* "add element" lines that fill the peer sets of |table| (family |tf|,
 * "netdev" or "inet"). */
static int nft_peer_adds(nft_sb *b, const char *tf, const char *table,
                         const fwd_prefix *peers, size_t n) {
  int rv = 0, fam;
  size_t i;
  for (fam = 4; fam <= 6; fam += 2) {
    int any = 0;
    for (i = 0; i < n; i++) {
      any |= peers[i].family == fam;
    }
    if (any) {
      rv |= sb_printf(b, "add element %s %s peers%d {", tf, table, fam);
      rv |= nft_peer_elems(b, peers, n, fam);
      rv |= sb_printf(b, " }\n");
    }
  }
  return rv;
}

static int nft_script(nft_sb *b, const char *table, const char *tun_name,
                      const char *tap_name, const fwd_nft_wp *wps,
                      size_t n_wps, const fwd_prefix *peers, size_t n_peers,
                      uint16_t port_lo, uint16_t port_hi, uint32_t mark) {
  char ports[32], both[64], addr[64], verdict[48];
  size_t i, j;
  int rv = 0;
  if (port_lo == 0 && port_hi == 0) {
    ports[0] = '\0';
  } else if (port_hi <= port_lo) {
    snprintf(ports, sizeof(ports), " th dport %u", port_lo);
  } else {
    snprintf(ports, sizeof(ports), " th dport %u-%u", port_lo, port_hi);
  }
  /* the notrack rules: source and destination port in the range */
  if (ports[0]) {
    snprintf(both, sizeof(both), " th sport%s%s", ports + 9, ports);
  } else {
    both[0] = '\0';
  }
  /* ring mode (no TAP): the AF_PACKET socket took its copy before the
   * ingress hook, and the kernel must not see the packet */
  if (tap_name) {
    snprintf(verdict, sizeof(verdict), "fwd to \"%s\"", tap_name);
  } else {
    snprintf(verdict, sizeof(verdict), "drop");
  }
  /* "add, delete, define" in one transaction: replaces our own tables
   * atomically on a second call */
  rv |= sb_printf(b, "table inet %s\ndelete table inet %s\n"
                     "table netdev %s\ndelete table netdev %s\n",
                  table, table, table, table);
  rv |= sb_printf(b,
                  "table inet %s {\n"
                  "  chain prerouting {\n"
                  "    type filter hook prerouting priority mangle; "
                  "policy accept;\n"
                  "    iifname \"%s\" ct direction original ct mark set "
                  "0x%08x\n"
                  "    iifname != \"%s\" ct direction reply ct mark 0x%08x "
                  "meta mark set 0x%08x\n"
                  "  }\n"
                  "}\n",
                  table, tun_name, mark, tun_name, mark, mark);
  if (n_wps > 0 && peers) {
    /* no connection tracking for waypoint packets to peers: those the
     * raw sockets send (output) and those written to the TUN device
     * (forwarded: outer UDP, a packet too long for the raw socket); both
     * ports in the range, so the host's own connections to a peer's
     * services stay tracked */
    int fam;
    rv |= sb_printf(b, "table inet %s {\n"
                       "  set peers4 { type ipv4_addr; }\n"
                       "  set peers6 { type ipv6_addr; }\n"
                       "  chain raw_out {\n"
                       "    type filter hook output priority raw; "
                       "policy accept;\n", table);
    for (fam = 4; fam <= 6; fam += 2) {
      const char *ipf = fam == 4 ? "ip" : "ip6";
      for (i = 0; i < n_wps; i++) {
        if (wps[i].addr.family != fam) {
          continue;
        }
        rv |= sb_printf(b, "    %s saddr %s %s daddr @peers%d meta l4proto "
                           "{ tcp, udp }%s notrack\n", ipf,
                        wp_text(addr, sizeof(addr), &wps[i].addr), ipf, fam,
                        both);
      }
    }
    rv |= sb_printf(b, "  }\n  chain raw_pre {\n"
                       "    type filter hook prerouting priority raw; "
                       "policy accept;\n");
    for (fam = 4; fam <= 6; fam += 2) {
      const char *ipf = fam == 4 ? "ip" : "ip6";
      for (i = 0; i < n_wps; i++) {
        if (wps[i].addr.family != fam) {
          continue;
        }
        rv |= sb_printf(b, "    iifname \"%s\" %s saddr %s %s daddr @peers%d "
                           "meta l4proto { tcp, udp }%s notrack\n", tun_name,
                        ipf, wp_text(addr, sizeof(addr), &wps[i].addr), ipf,
                        fam, both);
      }
    }
    rv |= sb_printf(b, "  }\n}\n");
    rv |= nft_peer_adds(b, "inet", table, peers, n_peers);
  }
  if (n_wps == 0) {
    return rv;
  }
  /* waypoint packets are taken from peers only: anything else to our
   * address and a port in the range (the replies to this host's own
   * connections from ephemeral ports, which lie in it) is the kernel's */
  rv |= sb_printf(b, "table netdev %s {\n"
                     "  set peers4 { type ipv4_addr; }\n"
                     "  set peers6 { type ipv6_addr; }\n", table);
  for (i = 0; i < n_wps; i++) {
    int first = 1;
    for (j = 0; j < i; j++) {
      first &= strcmp(wps[j].dev, wps[i].dev) != 0;
    }
    if (!first) {
      continue; /* one chain per device, all its waypoints in it */
    }
    rv |= sb_printf(b,
                    "  chain wp%zu {\n"
                    "    type filter hook ingress device \"%s\" priority "
                    "-500; policy accept;\n",
                    i, wps[i].dev);
    for (j = i; j < n_wps; j++) {
      if (strcmp(wps[j].dev, wps[i].dev) != 0) {
        continue;
      }
      /* IPv4 fragments are all handed over: a later fragment has no
       * transport header (without the offset test its payload bytes would
       * be read as ports: 3 of the firewall detector's 5 jumbo-SYN
       * fragments were), so only the reassembled datagram tells whether it
       * is a waypoint packet; the daemon reassembles them and writes what
       * is not one back to the kernel through the TUN device */
      const char *ipf = wps[j].addr.family == 4 ? "ip" : "ip6";
      char src[32];
      if (peers) {
        snprintf(src, sizeof(src), "%s saddr @peers%d ", ipf,
                 wps[j].addr.family);
      } else {
        src[0] = '\0';
      }
      rv |= sb_printf(b,
                      "    %s%s daddr %s%s %s { tcp, udp }%s %s\n", src, ipf,
                      wp_text(addr, sizeof(addr), &wps[j].addr),
                      wps[j].addr.family == 4 ? " ip frag-off & 0x3fff == 0"
                                              : "",
                      wps[j].addr.family == 6 && !tap_name ? "ip6 nexthdr"
                                                           : "meta l4proto",
                      ports, verdict);
      if (wps[j].addr.family == 4) {
        rv |= sb_printf(b,
                        "    %sip daddr %s ip frag-off & 0x3fff != 0 %s\n",
                        src, wp_text(addr, sizeof(addr), &wps[j].addr),
                        verdict);
      }
    }
    rv |= sb_printf(b, "  }\n");
  }
  rv |= sb_printf(b, "}\n");
  if (peers) {
    rv |= nft_peer_adds(b, "netdev", table, peers, n_peers);
  }
  return rv;
}

int fwd_nft_install(fwd_nft *n, const char *tun_name, const char *tap_name,
                    const fwd_nft_wp *wps, size_t n_wps,
                    const fwd_prefix *peers, size_t n_peers, uint16_t port_lo,
                    uint16_t port_hi, uint32_t mark, char *script_out,
                    size_t script_len, char *err, size_t errlen) {
  static const char *const f[] = {"-f", "-", NULL};
  nft_sb b = {NULL, 0, 0};
  char table[48], out[1024];
  size_t i;
  if (!dev_name_ok(tun_name) || (tap_name && !dev_name_ok(tap_name))) {
    snprintf(err, errlen, "nftables: bad device name '%s' / '%s'",
             tun_name ? tun_name : "", tap_name ? tap_name : "");
    errno = EINVAL;
    return -1;
  }
  for (i = 0; i < n_wps; i++) {
    if (!dev_name_ok(wps[i].dev) ||
        (wps[i].addr.family != 4 && wps[i].addr.family != 6)) {
      snprintf(err, errlen, "nftables: waypoint %zu: bad device '%s' or "
                            "address family %u", i, wps[i].dev,
               wps[i].addr.family);
      errno = EINVAL;
      return -1;
    }
  }
  if (mark == 0) {
    snprintf(err, errlen, "nftables: mark 0 marks nothing");
    errno = EINVAL;
    return -1;
  }
  nft_sweep_stale();
  snprintf(table, sizeof(table), "svr_fwd_%ld", (long)getpid());
  for (i = 0; peers && i < n_peers; i++) {
    if (peers[i].family != 4 && peers[i].family != 6) {
      snprintf(err, errlen, "nftables: peer %zu: address family %u", i,
               peers[i].family);
      errno = EINVAL;
      return -1;
    }
  }
  if (nft_script(&b, table, tun_name, tap_name, wps, n_wps, peers, n_peers,
                 port_lo, port_hi, mark) != 0) {
    free(b.p);
    snprintf(err, errlen, "nftables: out of memory");
    errno = ENOMEM;
    return -1;
  }
  if (script_out && script_len) {
    snprintf(script_out, script_len, "%s", b.p);
  }
  if (run_nft(f, b.p, out, sizeof(out)) != 0) {
    size_t l = strlen(out);
    while (l > 0 && (out[l - 1] == '\n' || out[l - 1] == ' ')) {
      out[--l] = '\0';
    }
    free(b.p);
    snprintf(err, errlen, "nftables table %s: %s%s", table, out,
             strstr(out, "Operation not permitted") ? ": " NEEDS_ADMIN : "");
    errno = EPERM;
    return -1;
  }
  free(b.p);
  snprintf(n->table, sizeof(n->table), "%s", table);
  n->installed = 1;
  n->peer_sets = n_wps > 0 && peers != NULL;
  return 0;
}

int fwd_nft_set_peers(fwd_nft *n, const fwd_prefix *peers, size_t n_peers,
                      char *err, size_t errlen) {
  static const char *const f[] = {"-f", "-", NULL};
  nft_sb b = {NULL, 0, 0};
  char out[1024];
  size_t i;
  int rv;
  if (!n->installed || !n->peer_sets) {
    return 0;
  }
  for (i = 0; i < n_peers; i++) {
    if (peers[i].family != 4 && peers[i].family != 6) {
      snprintf(err, errlen, "nftables: peer %zu: address family %u", i,
               peers[i].family);
      errno = EINVAL;
      return -1;
    }
  }
  /* one transaction: the sets never stand empty in between */
  rv = sb_printf(&b, "flush set netdev %s peers4\nflush set netdev %s "
                     "peers6\nflush set inet %s peers4\nflush set inet %s "
                     "peers6\n", n->table, n->table, n->table, n->table);
  rv |= nft_peer_adds(&b, "netdev", n->table, peers, n_peers);
  rv |= nft_peer_adds(&b, "inet", n->table, peers, n_peers);
  if (rv != 0) {
    free(b.p);
    snprintf(err, errlen, "nftables: out of memory");
    errno = ENOMEM;
    return -1;
  }
  if (run_nft(f, b.p, out, sizeof(out)) != 0) {
    size_t l = strlen(out);
    while (l > 0 && (out[l - 1] == '\n' || out[l - 1] == ' ')) {
      out[--l] = '\0';
    }
    free(b.p);
    snprintf(err, errlen, "nftables peer sets of %s: %s", n->table, out);
    errno = EPERM;
    return -1;
  }
  free(b.p);
  return 0;
}

void fwd_nft_remove(fwd_nft *n) {
  static const char *const f[] = {"-f", "-", NULL};
  char script[256], out[512];
  if (!n->installed) {
    return;
  }
  /* "add" first: deleting a table that is gone would fail the batch */
  snprintf(script, sizeof(script),
           "table inet %s\ndelete table inet %s\n"
           "table netdev %s\ndelete table netdev %s\n",
           n->table, n->table, n->table, n->table);
  run_nft(f, script, out, sizeof(out));
  n->installed = 0;
}

int fwd_dev_of_addr(const fwd_prefix *a, char *dev, size_t devlen) {
  struct ifaddrs *ifs, *i;
  int rv = -1;
  if (getifaddrs(&ifs) != 0) {
    return -1;
  }
  for (i = ifs; i && rv != 0; i = i->ifa_next) {
    const struct sockaddr *sa = i->ifa_addr;
    if (sa == NULL || i->ifa_name == NULL) {
      continue;
    }
    if ((a->family == 4 && sa->sa_family == AF_INET &&
         memcmp(&((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                a->addr, 4) == 0) ||
        (a->family == 6 && sa->sa_family == AF_INET6 &&
         memcmp(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                a->addr, 16) == 0)) {
      snprintf(dev, devlen, "%s", i->ifa_name);
      rv = 0;
    }
  }
  freeifaddrs(ifs);
  return rv;
}
