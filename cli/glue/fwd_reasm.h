/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 reassembly of the outer UDP fragments a peer router sends (RFC 791
 * section 3.2, RFC 815 hole tracking by 8-byte blocks).  A first-round-trip
 * packet that only its SVR metadata makes larger than the path leaves
 * without DF and is fragmented by the network (docs/libsvrfwd.md section
 * 8); the nft netdev rule hands those fragments to us before the kernel
 * could reassemble them, so we do.
 *
 * A fixed number of slots, each with a 64 KiB buffer, allocated once: no
 * allocation per packet.  A slot is freed when its datagram completes, when
 * it is older than the timeout, or when a new datagram needs a slot and all
 * are taken (the oldest goes).  Overlapping fragments that disagree, a
 * length beyond 65535 and a second last fragment drop the datagram
 * (RFC 5722 does the same for IPv6).
 */
#ifndef SVR_FWD_REASM_H
#define SVR_FWD_REASM_H

#include <stddef.h>
#include <stdint.h>

#define FWD_REASM_SLOTS 16
#define FWD_REASM_MAX 65535

typedef struct fwd_reasm_slot {
  int used;
  uint8_t src[4], dst[4];
  uint16_t id;
  uint8_t proto;
  uint64_t first_ns;       /* when its first fragment arrived */
  size_t hdrlen;           /* IP header of the offset-0 fragment, 0 = none */
  size_t total;            /* payload length once the last fragment came */
  size_t have;             /* payload bytes received (blocks set) */
  uint8_t blocks[FWD_REASM_MAX / 8 / 8 + 1]; /* one bit per 8 bytes */
  uint8_t *buf;            /* FWD_REASM_MAX bytes: IP header + payload */
} fwd_reasm_slot;

typedef struct fwd_reasm {
  fwd_reasm_slot slot[FWD_REASM_SLOTS];
  uint64_t timeout_ns;
  /* counters */
  uint64_t fragments, completed, timed_out, evicted, bad;
} fwd_reasm;

/* Allocates the slot buffers; 0 or -1 (out of memory). */
int fwd_reasm_init(fwd_reasm *r, uint64_t timeout_ns);
void fwd_reasm_free(fwd_reasm *r);

/* 1 if |ip| (|len| bytes) is an IPv4 fragment (MF set or an offset). */
int fwd_reasm_is_fragment(const uint8_t *ip, size_t len);

/*
 * Adds one IPv4 fragment received at |now_ns|.  Returns the length of the
 * whole datagram, written to |out| (|cap| >= 65535) with its fragment
 * fields cleared and its header checksum valid, when this fragment
 * completed it; 0 when more fragments are needed; -1 when the fragment was
 * bad (dropped, counted in |bad|).
 */
ptrdiff_t fwd_reasm_add(fwd_reasm *r, const uint8_t *ip, size_t len,
                        uint64_t now_ns, uint8_t *out, size_t cap);

#endif /* SVR_FWD_REASM_H */
