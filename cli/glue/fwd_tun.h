/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Forwarding glue: the Linux side of the SVR data plane (docs/dataplane.md).
 *
 *   packets   one TUN device per router (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR,
 *             TUNSETOFFLOAD with checksum, TSO4/6 and USO4/6 where the kernel
 *             takes them): the kernel hands us TCP and UDP super-packets of up
 *             to 64 KiB with a virtio-net header, and takes super-packets
 *             back, segmenting them itself (GSO).  fwd_offload.c splits a
 *             super-packet into wire-sized segments (user-space GSO) and
 *             coalesces consecutive segments of one TCP flow back into one
 *             super-packet (user-space GRO).
 *   routes    rtnetlink: routes in the data plane's table, policy rules
 *             (FIB rules with from/to/ipproto/dport/fwmark), per-device
 *             sysctls (accept_local, rp_filter, forwarding).
 *   peers     waypoint packets addressed to this router come in through an
 *             AF_PACKET TPACKET_V2 ring per peer-facing interface (or a
 *             TAP device); waypoint TCP packets leave through an AF_PACKET
 *             socket of that interface (raw IP sockets until the next
 *             hop's MAC address is known), many per sendmmsg().
 *   nftables  "svr_fwd_<pid>": a netdev ingress rule drops the waypoint
 *             packets the ring took (or hands them to the TAP device, nft
 *             `fwd`), and a ct mark makes replies of sessions this router
 *             restored follow a policy rule back to the TUN device.
 *
 * Every function returns 0 on success or -1 with a message naming the
 * failure (and the missing capability, CAP_NET_ADMIN, where that is why) in
 * the caller's |err| buffer.
 */
#ifndef SVR_FWD_TUN_H
#define SVR_FWD_TUN_H

#include <stddef.h>
#include <stdint.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

/* Linux 6.2 (UDP segmentation offload on TUN); Debian 12's headers are 6.1. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

/* ---- the TUN device ------------------------------------------------------ */

typedef struct fwd_tun {
  int fd;             /* -1 when closed */
  int ifindex;
  char name[16];
  unsigned offloads;  /* TUN_F_* the kernel accepted */
  int vnet_hdr_len;   /* sizeof(struct virtio_net_hdr) */
} fwd_tun;

/*
 * Creates (or attaches to) TUN device |name| ("svr%d" lets the kernel pick
 * the number; t->name gets the result), non-blocking and close-on-exec,
 * with a virtio-net header and the offloads the kernel accepts, tried from
 * the fullest set down: CSUM|TSO4|TSO6|TSO_ECN|USO4|USO6, then without USO,
 * then without TSO_ECN, then CSUM alone, then none (t->offloads says which;
 * 6.18 takes the full set, 0x6f).  Sets the MTU (|mtu| > 0) and brings it
 * up.  IPv6: a TUN device keeps IPv6 (the kernel refuses IPv6 routes via a
 * device with disable_ipv6, "IPv6 is disabled on nexthop device", and drops
 * IPv6 received on it) but gets addr_gen_mode 1, so it has no link-local
 * address and sends no DAD or router solicitation of its own; a TAP device
 * gets disable_ipv6 1 and IFF_NOARP (best effort: no IPv6 on the host is
 * fine).  With |tap| it is a TAP device (IFF_TAP): reads return Ethernet
 * frames.  The data plane uses a TAP device as the target of the nft
 * netdev `fwd` rule, because `fwd` pushes the Ethernet header back before
 * transmitting, even to a TUN device (measured on 6.18): a TAP device makes
 * every frame read from it start with that header.
 * Returns 0 or -1 (err filled; t->fd is -1 then).
 */
int fwd_tun_open(fwd_tun *t, const char *name, int mtu, int tap, char *err,
                 size_t errlen);
void fwd_tun_close(fwd_tun *t);

/*
 * Reads one packet: *vh gets the virtio-net header, |buf| the IP packet (TAP:
 * the Ethernet frame; the caller skips the 14-byte header and subtracts 14
 * from vh->csum_start and vh->hdr_len, which count it).  |cap| >=
 * FWD_PKT_MAX (fwd_offload.h) + 14 holds anything the device hands out.
 * Returns the packet length, 0 when nothing is pending (EAGAIN, EINTR), or
 * -1 (err filled, errno kept).
 */
ptrdiff_t fwd_tun_read(fwd_tun *t, struct virtio_net_hdr *vh, uint8_t *buf,
                       size_t cap, char *err, size_t errlen);

/* Writes one IP packet (|vh| NULL = a plain packet, no offload).  Returns 0,
 * 1 when the packet was not taken (EAGAIN, ENOBUFS: dropped, counted by the
 * caller), or -1 (err filled, errno kept; EINVAL means the kernel refused
 * this packet's virtio header or length, EIO that the device is down: the
 * caller drops the packet and goes on). */
int fwd_tun_write(fwd_tun *t, const struct virtio_net_hdr *vh,
                  const uint8_t *pkt, size_t len, char *err, size_t errlen);

typedef struct fwd_prefix {
  uint8_t family; /* 4 or 6 */
  uint8_t len;    /* prefix length */
  uint8_t addr[16];
} fwd_prefix;

/* ---- AF_PACKET receive ring (waypoint packets from peers) ---------------- */

/*
 * A TPACKET_V2 receive ring (PACKET_RX_RING, mmap) on one peer-facing
 * interface, with a virtio-net header before each frame (PACKET_VNET_HDR),
 * PACKET_IGNORE_OUTGOING, and a classic BPF filter (SO_ATTACH_FILTER) that
 * passes only what the nft netdev rule drops in ring mode (fwd_nft_install
 * with |tap_name| NULL): TCP and UDP from one of |peers| to one of |addrs|
 * with a destination port in |port_lo|..|port_hi|, and every IPv4 fragment
 * from one of |peers| to one of |addrs| (|peers| NULL: from anywhere).  The
 * source matters: replies to this host's own connections come to the same
 * address, from ephemeral ports inside the waypoint range (32768-60999 by
 * default), and are the kernel's.  Up to about 2000 IPv4 or 450 IPv6 peers
 * fit in one program (4096 instructions); with more, the filter passes any
 * source and sets r->any_source: the caller then ignores frames from
 * elsewhere, which the nft rule (a set) leaves to the kernel.
 * The socket is bound with ETH_P_ALL, so the kernel hands it the frame
 * before the netdev ingress hook drops it.  Frames are FWD_RING_FRAME bytes:
 * a frame that does not fit (a GSO super-packet) is cut in the ring and
 * queued whole on the socket (PACKET_COPY_THRESH), where fwd_ring_next()
 * reads it with one recv.  TPACKET_V2 and not V3: a V3 block reaches user
 * space only when it is full or its retire timer (1 ms at least) fires, so
 * a lone packet (a ping, a TCP ACK) would wait up to that long
 * (docs/dataplane.md section 1).
 * Returns 0, or -1 (err filled; r->fd is -1).
 */
#define FWD_RING_FRAME 2048u
#define FWD_RING_FRAMES 2048u

typedef struct fwd_ring {
  int fd;             /* -1 when closed */
  int ifindex;
  char dev[16];
  uint8_t *map;
  size_t map_len;
  unsigned head;      /* next frame to look at */
  uint64_t frames;    /* frames taken */
  uint64_t copies;    /* of them read whole from the socket queue */
  uint64_t cut;       /* cut with no copy queued: dropped */
  int any_source;     /* the filter does not check the source (too many
                       * peers for one program): the caller must */
} fwd_ring;

int fwd_ring_open(fwd_ring *r, const char *dev, const fwd_prefix *addrs,
                  size_t n_addrs, const fwd_prefix *peers, size_t n_peers,
                  uint16_t port_lo, uint16_t port_hi, char *err,
                  size_t errlen);
/* Replaces the ring's filter (peers added or removed: a SIGHUP reload, a
 * dynamic peer update); the kernel swaps it at once. */
int fwd_ring_set_filter(fwd_ring *r, const fwd_prefix *addrs, size_t n_addrs,
                        const fwd_prefix *peers, size_t n_peers,
                        uint16_t port_lo, uint16_t port_hi, char *err,
                        size_t errlen);
void fwd_ring_close(fwd_ring *r);

/*
 * The next frame of the ring, or NULL when none is ready: *vh gets its
 * virtio-net header, the result points at the Ethernet header, *len is the
 * frame length (vh->csum_start and hdr_len count the Ethernet header, as
 * with a TAP device).  A frame cut in the ring is read whole into |big|
 * (|bigcap| >= FWD_PKT_MAX + 14) and the result points there.  The frame
 * stays valid until fwd_ring_release(), which must follow each non-NULL
 * result before the next call.  No syscall unless a frame was cut.
 */
const uint8_t *fwd_ring_next(fwd_ring *r, struct virtio_net_hdr *vh,
                             size_t *len, uint8_t *big, size_t bigcap);
void fwd_ring_release(fwd_ring *r);

/* Frames the kernel dropped because the ring was full, since the last
 * call (PACKET_STATISTICS tp_drops; 0 when it cannot tell). */
uint64_t fwd_ring_drops(fwd_ring *r);

/* ---- raw IP sockets (waypoint packets to peers) -------------------------- */

/*
 * One IPPROTO_RAW socket per family (IP_HDRINCL / IPV6_HDRINCL implied):
 * fwd_raw_send() hands up to FWD_RAW_BATCH complete IP packets to the
 * kernel in one sendmmsg().  The kernel routes them as locally originated
 * packets: it does not decrement their TTL (docs/dataplane.md section 1).
 */
#define FWD_RAW_BATCH 64

typedef struct fwd_raw {
  int fd4, fd6;       /* -1 when that family could not be opened */
} fwd_raw;

/* Opens both sockets (4 MiB send buffers).  Returns 0 when at least one
 * family works, -1 otherwise (err filled). */
int fwd_raw_open(fwd_raw *r, char *err, size_t errlen);
void fwd_raw_close(fwd_raw *r);

/*
 * Sends |n| packets of family |family| (4 or 6), packet i at |pkt|[i] with
 * length |len|[i], each to its IP destination, with as few sendmmsg() calls
 * as the kernel allows (one unless it stops early).  |errs|[i] gets 0 for a
 * packet the kernel took, else the errno it refused it with (EAGAIN,
 * ENOBUFS: queue full; EMSGSIZE: longer than the device MTU, which a raw
 * socket never fragments; ENETUNREACH ...); the rest still go.  Returns the
 * number of sendmmsg() calls, or -1 when the family has no socket (errno
 * EAFNOSUPPORT; nothing sent).
 */
int fwd_raw_send(fwd_raw *r, int family, uint8_t *const *pkt,
                 const size_t *len, unsigned n, int *errs);

/* ---- AF_PACKET send sockets (waypoint packets to peers, on the wire) ---- */

/*
 * One AF_PACKET SOCK_RAW socket per peer-facing interface, bound to it with
 * protocol 0 (it receives nothing): fwd_ptx_send() hands up to
 * FWD_RAW_BATCH IP packets, each behind the 14-byte Ethernet header its
 * caller gives (the next hop's MAC address, the interface's, the
 * EtherType), to the device in one sendmmsg(): no route lookup, no
 * netfilter hook per packet; the device's qdisc and taps still see them
 * (no PACKET_QDISC_BYPASS, which hides them from tcpdump on the
 * interface; docs/dataplane.md section 1).  The
 * kernel does not touch the TTL.  A packet longer than the device MTU is
 * refused with EMSGSIZE, as with a raw IP socket.
 */
typedef struct fwd_ptx {
  int fd;             /* -1 when closed */
  int vnet;           /* PACKET_VNET_HDR: the device completes checksums */
  int ifindex;
  char dev[16];
  uint8_t mac[6];     /* the interface's own address */
} fwd_ptx;

int fwd_ptx_open(fwd_ptx *t, const char *dev, char *err, size_t errlen);
void fwd_ptx_close(fwd_ptx *t);
/* Packet i: Ethernet header |eth|[i] (14 bytes), IP packet |pkt|[i] of
 * |len|[i] bytes.  With |partial| their TCP/UDP checksums are partial
 * (fwd_l4_csum_where): each goes with a virtio-net header that asks the
 * device to complete it (VIRTIO_NET_HDR_F_NEEDS_CSUM; the socket has
 * PACKET_VNET_HDR, t->vnet), or, when the kernel refused that option, is
 * completed here first.  |errs| and the result as fwd_raw_send(). */
int fwd_ptx_send(fwd_ptx *t, const uint8_t *const *eth, uint8_t *const *pkt,
                 const size_t *len, unsigned n, int partial, int *errs);

/*
 * The link-layer next hop towards |dst| as the kernel would send to it now:
 * a route lookup (RTM_GETROUTE) gives the output interface and gateway, the
 * neighbour table (RTM_GETNEIGH) that hop's MAC address.  Returns 0 with
 * *ifindex and |mac| filled when the entry is usable (reachable, stale,
 * delay, probe, permanent), 1 when there is none yet (the kernel resolves it
 * when it next sends there itself), -1 on error (err filled).
 */
int fwd_nl_nexthop(const fwd_prefix *dst, int *ifindex, uint8_t mac[6],
                   char *err, size_t errlen);

/* ---- rtnetlink ----------------------------------------------------------- */

typedef struct fwd_rule {
  uint32_t priority;  /* FRA_PRIORITY */
  uint32_t table;
  uint8_t family;     /* 4 or 6 */
  fwd_prefix from;    /* len 0 = any */
  fwd_prefix to;      /* len 0 = any */
  uint8_t ipproto;    /* 0 = any */
  uint16_t dport_lo, dport_hi; /* 0 = any */
  uint32_t fwmark;    /* 0 = none */
  char iifname[16];   /* "" = any; FRA_IIFNAME ("lo" = locally generated) */
} fwd_rule;

/* Adds (|add| 1) or deletes (0) a FIB rule (action: lookup |table|).
 * FRA_PRIORITY and FRA_TABLE are always sent; from/to only with len > 0
 * (host bits are cleared), FRA_IP_PROTO only when set, FRA_DPORT_RANGE when
 * dport_lo or dport_hi is set (hi 0 = lo), FRA_FWMARK with mask 0xffffffff
 * when set, FRA_IIFNAME when iifname is set: a rule `iif <tun> lookup main`
 * (table 254) ahead of the others keeps packets written to the TUN device
 * from matching a rule that routes them back into it.  Adding a rule that is already there, or deleting one that is
 * not, is not an error (the kernel's EEXIST / ENOENT are taken as done). */
int fwd_nl_rule(const fwd_rule *r, int add, char *err, size_t errlen);

/* Adds or replaces (|add| 1) or deletes (0) the route |dst| dev |ifindex| in
 * |table| (proto static, scope link for IPv4), with a route MTU (0 = none).
 * |dst| len 0 is the default route; host bits are cleared.  Deleting a
 * route that is not there is not an error. */
int fwd_nl_route(uint32_t table, const fwd_prefix *dst, int ifindex,
                 uint32_t mtu, int add, char *err, size_t errlen);

/* Writes |value| to /proc/sys/net/|path| (e.g. "ipv4/ip_forward",
 * "ipv4/conf/svr0/accept_local") of the caller's network namespace.  A path
 * with ".." or a leading "/" is refused. */
int fwd_sysctl(const char *path, const char *value, char *err, size_t errlen);

/* ---- nftables ------------------------------------------------------------ */

typedef struct fwd_nft {
  int installed;
  int peer_sets;     /* the netdev table has the sets peers4 / peers6 */
  char table[48];
} fwd_nft;

/* A waypoint address of this router and the device it lives on. */
typedef struct fwd_nft_wp {
  fwd_prefix addr;   /* len = 32 or 128 */
  char dev[16];      /* the interface that owns the address */
} fwd_nft_wp;

/*
 * Installs two tables named svr_fwd_<pid> (after deleting the tables of
 * dead routers: svr_fwd_<pid> of any family whose pid is gone), replacing
 * this process's own atomically when called again, and removes them again
 * in fwd_nft_remove():
 *   - table netdev svr_fwd_<pid>: named sets peers4 and peers6 holding
 *     |peers| (the adjacencies' addresses; fwd_nft_set_peers() replaces
 *     them), and an ingress chain per device of |wps| that sends TCP and
 *     UDP packets from a peer (`ip saddr @peers4`; with |peers| NULL from
 *     anywhere, and no sets) to that waypoint address with a destination
 *     port in |port_lo|..|port_hi| straight to the TAP device
 *     (`fwd to "<tap_name>"`; see fwd_tun_open for why a TAP): the kernel
 *     never routes, tracks or answers them (no RST, no ICMP port
 *     unreachable), and GSO super-packets arrive whole (measured: up to
 *     65212-byte frames).  Hook priority -500; one chain "wp<i>" per
 *     device; no netdev table when n_wps is 0 (|tap_name| may be NULL
 *     then); port_lo = port_hi = 0 matches any port.  Every IPv4 fragment
 *     to a waypoint address is handed over too (a later fragment carries
 *     no ports: the daemon reassembles).  With |tap_name| NULL the rules
 *     `drop` instead (ring mode: fwd_ring_open's socket took a copy before
 *     the hook ran), and IPv6 matches `ip6 nexthdr { tcp, udp }` (what the
 *     ring's BPF filter can see);
 *   - table inet svr_fwd_<pid>: a prerouting chain (priority mangle) that
 *     gives connections whose first packet came from |tun_name| ct mark
 *     |mark| (`iifname "<tun>" ct direction original ct mark set M`) and
 *     their reply packets meta mark |mark| (`iifname != "<tun>" ct
 *     direction reply ct mark M meta mark set M`: nothing coming in on the
 *     TUN device is marked, so nothing written to it is routed back in):
 *     a server's answers to sessions this router restored are
 *     policy-routed back to the TUN device; with |peers| also the sets
 *     peers4 / peers6 and chains raw_out (hook output) and raw_pre (hook
 *     prerouting, from |tun_name|) at priority raw that `notrack` TCP and
 *     UDP from a waypoint address to a peer with source and destination
 *     port in |port_lo|..|port_hi| (the waypoint flows; the host's own
 *     connections to a peer's services stay tracked).
 * Device names must be plain ([A-Za-z0-9_.-]), |mark| != 0.  Needs the nft
 * program.  |script_out| (if not NULL, |script_len| bytes) receives the
 * script.  Returns 0 or -1 (err filled with nft's own message).
 */
int fwd_nft_install(fwd_nft *n, const char *tun_name, const char *tap_name,
                    const fwd_nft_wp *wps, size_t n_wps,
                    const fwd_prefix *peers, size_t n_peers, uint16_t port_lo,
                    uint16_t port_hi, uint32_t mark, char *script_out,
                    size_t script_len, char *err, size_t errlen);
/* Replaces the elements of the peer sets in one nft transaction (no-op
 * when the table was installed without them).  0 or -1 (err filled). */
int fwd_nft_set_peers(fwd_nft *n, const fwd_prefix *peers, size_t n_peers,
                      char *err, size_t errlen);
/* Deletes the table if installed (best effort, errors ignored). */
void fwd_nft_remove(fwd_nft *n);

/* The device that owns local address |a| (getifaddrs; the address
 * compared, |a|->len ignored): 0 with its name in |dev|, or -1. */
int fwd_dev_of_addr(const fwd_prefix *a, char *dev, size_t devlen);

#endif /* SVR_FWD_TUN_H */
