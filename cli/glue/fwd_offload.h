/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User-space GSO and GRO for the data plane (docs/dataplane.md).
 *
 * The TUN device hands the forwarder TCP/UDP super-packets (up to 64 KiB,
 * with a virtio-net header saying how the kernel would have cut them).  SVR
 * encrypts each wire packet on its own, so fwd_gso_*() cuts a super-packet
 * into the segments the kernel would have sent (TCP: sequence numbers,
 * IPv4 ID, lengths and checksums per segment; UDP: one datagram per
 * gso_size), completing partial checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM).
 *
 * On the way out to a host, fwd_gro_*() joins consecutive in-order TCP
 * segments of one flow (same addresses, ports, flags ACK/PSH only, equal
 * sizes but the last) into one super-packet with a virtio-net header, so the
 * kernel takes 64 KiB per write instead of one segment.
 *
 * Pure functions on caller buffers: no allocation, no syscalls, one memcpy
 * of headers and payload per segment and one checksum pass over it.
 * virtio-net header fields are in host byte order (legacy virtio, which is
 * what TUN speaks unless TUNSETVNETLE/BE is used; the same on x86 and arm64).
 */
#ifndef SVR_FWD_OFFLOAD_H
#define SVR_FWD_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

/* Linux 6.2 (UDP segmentation offload on TUN); Debian 12's headers are 6.1. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Largest packet a TUN device hands out or takes (its GSO limit, 64 KiB):
 * the size for read buffers, the GRO buffer and fwd_gso_next()'s |out|. */
#define FWD_PKT_MAX 65536

/* Iterates the segments of one packet read from TUN.  Read-only for the
 * caller; filled by fwd_gso_init(). */
typedef struct fwd_gso {
  const uint8_t *pkt; /* the super-packet (IP header first) */
  size_t len;         /* its length (the IP total length when shorter) */
  struct virtio_net_hdr vh;
  size_t l3len;       /* fixed IP header: IPv4 IHL * 4, or 40 for IPv6 */
  size_t l4off;       /* L4 header offset (after IPv6 extension headers) */
  size_t hdrlen;      /* all headers: l4off + TCP data offset, or + 8 (UDP) */
  size_t seg;         /* payload bytes per segment (gso_size); 0 = no GSO */
  size_t pos;         /* payload offset of the next segment */
  uint8_t proto;      /* 6, 17, or another protocol when seg == 0 */
  int family;         /* 4 or 6 */
  int done;
  int no_l4_csum;     /* set by the caller after fwd_gso_init(): segments
                       * keep the super-packet's L4 checksum field (the
                       * pseudo-header sum) instead of a computed one,
                       * for a reader that never checks it */
} fwd_gso;

/*
 * Starts iterating |pkt| (|len| bytes) read with header |vh|.  A packet
 * without GSO yields itself once (its checksum completed if NEEDS_CSUM).
 * Accepted GSO types: TCPV4, TCPV6 (either with the ECN bit) and UDP_L4;
 * anything else (UFO, unknown types) is malformed.  Returns 0, or -1 when
 * the header and packet disagree (not IPv4/IPv6, lengths beyond |len|, a GSO
 * type that does not match the IP version and protocol, gso_size 0, a GSO
 * packet without payload or fragmented, csum_start/csum_offset outside the
 * packet or, for GSO, not at the L4 header): the caller drops the packet
 * and counts it as malformed.
 */
int fwd_gso_init(fwd_gso *g, const struct virtio_net_hdr *vh,
                 const uint8_t *pkt, size_t len);

/*
 * Writes the next segment (a complete IP packet with valid checksums) into
 * |out| (|cap| bytes).  TCP: the sequence number advances by the payload
 * before it, CWR stays only on the first segment, FIN and PSH only on the
 * last (as the kernel's tcp_gso_segment); IPv4: ID = the super-packet's ID
 * + segment index, total length and header checksum per segment; UDP: one
 * datagram of gso_size bytes each (the last shorter), length and checksum
 * per datagram (0 sent as 0xffff, RFC 768).  Returns the segment length, 0
 * when there are no more, or -1 (|cap| too small: never with cap >=
 * FWD_PKT_MAX).
 */
ptrdiff_t fwd_gso_next(fwd_gso *g, uint8_t *out, size_t cap);

/*
 * Joins TCP segments into super-packets.  Add segments in the order they
 * will be written; fwd_gro_add() says whether the segment joined the
 * pending super-packet or the caller must flush first.  The fields are the
 * coalescer's own; the caller reads only |len|.
 */
typedef struct fwd_gro {
  uint8_t *buf;       /* caller's buffer, >= FWD_PKT_MAX bytes */
  size_t cap;
  size_t len;         /* bytes pending (0 = none) */
  size_t l3len, hdrlen;
  uint32_t next_seq;  /* sequence number the next segment must carry */
  uint16_t seg;       /* payload length of the first segment */
  unsigned nsegs;
  int closed;         /* a short segment or PSH ended it */
} fwd_gro;

void fwd_gro_init(fwd_gro *g, uint8_t *buf, size_t cap);

/*
 * Offers one segment: an IP packet whose checksums the caller trusts (they
 * are not verified: the super-packet goes out with a partial checksum, so
 * a corrupt segment would be delivered as good; SVR segments come out of
 * an AEAD, which is what makes that safe).
 *
 * It joins when it has the pending super-packet's addresses, ports, IPv4
 * TOS/DF/TTL (IPv6 traffic class, flow label, hop limit), ACK number, TCP
 * flags (but PSH) and options, carries the next sequence number, is not
 * longer than the first segment, and the total stays within the buffer and
 * 65535 bytes.  A shorter segment or one with PSH ends the super-packet
 * (later ones get 0).  The window is taken from the latest segment.
 *
 * Returns 1 when it was appended to (or started) the pending super-packet;
 * 0 when it cannot join: the caller flushes the pending one (fwd_gro_flush)
 * and offers the segment again (then it starts a new one); or -1 when it
 * can never be coalesced (not TCP, IPv4 options or fragment, IPv6 extension
 * headers, SYN/FIN/RST/URG/CWR, no ACK, no payload, longer than the
 * buffer): flush the pending one first (to keep the order of one flow),
 * then write this segment on its own with no virtio header.
 */
int fwd_gro_add(fwd_gro *g, const uint8_t *pkt, size_t len);

/*
 * Finishes the pending super-packet.  Of two or more segments: IP total
 * length (IPv6 payload length) and IPv4 header checksum fixed, IPv4 ID that
 * of the first segment, PSH if the last had it, the TCP checksum field set
 * to the folded pseudo-header sum over the whole TCP length (not
 * complemented: what the kernel wants of a CHECKSUM_PARTIAL GSO packet),
 * and *vh = { NEEDS_CSUM, gso_type TCPV4 or TCPV6, gso_size = payload of
 * the first segment, hdr_len = all headers, csum_start = L4 offset,
 * csum_offset = 16 }.  A single segment is left untouched with *vh all zero
 * (GSO_NONE, no flags).  Returns its length (0 when nothing is pending);
 * the caller writes buf[0..len) with *vh and the coalescer is empty again.
 */
size_t fwd_gro_flush(fwd_gro *g, struct virtio_net_hdr *vh);

/*
 * Where the partial checksum of an outer packet is (libsvrfwd's
 * svrfwd_ctx_set_l4_csum_partial): 1 for TCP, and for UDP with a checksum
 * field other than 0, in an IPv4 packet (not a fragment) or an IPv6
 * packet without extension headers, with *start = the L4 offset and *off
 * = 16 or 6; 0 otherwise (nothing to complete).
 */
int fwd_l4_csum_where(const uint8_t *ip, size_t len, size_t *start,
                      size_t *off);
/* Completes that checksum in place (the sum over the L4 header and
 * payload, which a device with checksum offload would add); a packet
 * fwd_l4_csum_where() says 0 for is left alone. */
void fwd_l4_csum_complete(uint8_t *ip, size_t len);

#endif /* SVR_FWD_OFFLOAD_H */
