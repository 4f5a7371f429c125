/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bfd_uv: binds one libsvrbfd context to real UDP sockets in a libuv loop.
 *
 * Glue, not core: the context stays sans-I/O; this file owns the sockets,
 * the clock (uv_hrtime()), the one timer and the CSPRNG.
 *
 * Sockets.  One UDP socket per local address and port serves every session
 * that uses that address (the library demultiplexes by discriminator and
 * addresses), or, with BFD_UV_BIND_ANY, one wildcard socket per family and
 * port serves every local address (the destination address of each datagram
 * comes from IP_PKTINFO / IPV6_PKTINFO, and the source address of each
 * datagram we send is chosen with the same control message).  Every socket
 * sends with TTL / hop limit 255 and DSCP CS6 (TOS 0xc0, as FRR's bfdd does)
 * and reports the received TTL (IP_RECVTTL / IPV6_RECVHOPLIMIT).
 *
 * RFC 5881 mode: a receive socket bound to port 3784 and, per local address,
 * a second socket bound to a source port in 49152-65535 that only sends.  The
 * source port is shared by every RFC 5881 session of that local address: RFC
 * 5881 section 4 allows reuse, and one socket keeps the batch path (sendmmsg
 * on one descriptor) intact.  RFC 5883 (multihop) mode: the same on port
 * 4784.  SVR mode sends from the receive socket itself,
 * because the peer answers the source port it observes (NAT traversal).
 *
 * I/O is batched: uv_poll on each descriptor, recvmmsg() to read up to
 * BFD_UV_BATCH datagrams per call, sendmmsg() to send what write_pkt
 * produced in one go.
 *
 * Other control kinds.  The peer-path port also carries SVR control
 * datagrams the BFD context does not handle (PMTU probes and acks,
 * firewall-detector reports: docs/wire-format.md section 1).  A host that
 * composes another library registers bfd_uv_set_ctrl_handler(): every
 * datagram for which svrbfd_ctx_read_pkt() returns SVRBFD_PQ_ERR_PKT_KIND
 * (an SVR control datagram of a kind other than echo) goes to the handler,
 * and bfd_uv_send_ctrl() sends the host's datagrams from the same socket.
 * Received datagrams up to BFD_UV_RXBUF bytes are read whole (a 9216-byte
 * IPv4 PMTU probe carries 9188).
 */
#ifndef SVR_BFD_UV_H
#define SVR_BFD_UV_H

#include <stddef.h>
#include <stdint.h>

#include <svrbfd/svrbfd.h>
#include <uv.h>

#define BFD_UV_BATCH 64

typedef struct bfd_uv bfd_uv;

typedef struct bfd_uv_stats {
  uint64_t rx_datagrams;
  uint64_t rx_syscalls;
  uint64_t rx_rejected;   /* read_pkt returned a discard code */
  int last_rx_reject;     /* the last such code (svrbfd_strerror names it) */
  uint64_t tx_datagrams;  /* accepted by the kernel */
  uint64_t tx_syscalls;
  uint64_t tx_errors;     /* datagrams the kernel refused (e.g. no route) */
  uint64_t tx_no_socket;  /* write_pkt named a local address we do not own */
  int last_tx_errno;
  uint64_t rx_ctrl;       /* handed to the control handler */
  uint64_t tx_ctrl;       /* bfd_uv_send_ctrl() datagrams sent */
  uint64_t tx_ctrl_errors; /* bfd_uv_send_ctrl() refused by the kernel */
  uint64_t errq_wakeups;  /* error queue drained */
} bfd_uv_stats;

#define BFD_UV_BIND_EACH 0 /* one socket per local address (default) */
#define BFD_UV_BIND_ANY 1  /* one wildcard socket per family and port */

/*
 * Creates the glue for |ctx| in |loop|.  Returns 0 or -errno.  Nothing is
 * opened until bfd_uv_add_local().
 */
int bfd_uv_new(bfd_uv **pg, uv_loop_t *loop, svrbfd_ctx *ctx, int bind_mode);

/*
 * Makes sure a socket receives on |local| (port 0 = the mode's port) and,
 * in RFC 5881 mode, a sending socket with a source port in 49152-65535
 * exists.  Call once per session before or after svrbfd_session_new();
 * repeated calls for the same address are cheap.  Returns 0 or -errno
 * (bind failures name the problem through bfd_uv_last_error()).
 */
int bfd_uv_add_local(bfd_uv *g, const svrbfd_addr *local, svrbfd_mode mode);

/*
 * Sends everything the context has due now and re-arms the timer.  Call
 * after any API call that may change what is due (session_new, set_timers,
 * set_admin_down, poll).
 */
void bfd_uv_kick(bfd_uv *g);

/* Stops the timer and closes every socket; the loop must run once more to
 * finish closing (uv_run(loop, UV_RUN_DEFAULT) returns when done). */
void bfd_uv_close(bfd_uv *g);

/* Frees the glue; call after the loop finished closing.  NULL is a no-op. */
void bfd_uv_del(bfd_uv *g);

/*
 * Handler for SVR control datagrams of kinds the BFD context does not
 * handle (svrbfd_ctx_read_pkt() returned SVRBFD_PQ_ERR_PKT_KIND).  |path|
 * has the datagram's destination (local, with our port) and source
 * (remote) and the received TTL; |pkt| is valid during the call only.
 * Called from the loop, outside any libsvrbfd callback; the handler may
 * call bfd_uv_send_ctrl() and bfd_uv_kick().
 */
typedef void (*bfd_uv_ctrl_cb)(void *user_data, const svrbfd_path *path,
                               const uint8_t *pkt, size_t len,
                               svrbfd_tstamp now);

/*
 * Registers |cb| (NULL removes it; those datagrams are then discarded and
 * counted in rx_rejected as before).  |dont_fragment| = 1 also sets DF on
 * every socket, present and future, without the kernel's cached path MTU
 * (IP_MTU_DISCOVER = IP_PMTUDISC_PROBE; IPv6: IPV6_MTU_DISCOVER =
 * IPV6_PMTUDISC_PROBE and IPV6_DONTFRAG), so that a datagram of exactly a
 * probe's size leaves unfragmented or not at all; BFD packets are small, so
 * DF does not change what they do.  ICMP reports need
 * bfd_uv_set_errq_handler() as well.
 * Returns 0 or -errno (setsockopt failed on an open socket).
 */
int bfd_uv_set_ctrl_handler(bfd_uv *g, bfd_uv_ctrl_cb cb, void *user_data,
                            int dont_fragment);

/*
 * Error-queue handler: |fd| (the socket serving |local|) has entries on its
 * error queue (ICMP errors, local EMSGSIZE: IP_RECVERR).  The handler reads
 * them with recvmsg(fd, ..., MSG_ERRQUEUE | MSG_DONTWAIT) and must not
 * block or read normal datagrams; whatever it leaves is discarded by the
 * glue.  Called from the loop, outside any libsvrbfd callback.
 */
typedef void (*bfd_uv_errq_cb)(void *user_data, int fd,
                               const svrbfd_addr *local, svrbfd_tstamp now);

/*
 * Registers |cb| and turns on IP_RECVERR / IPV6_RECVERR on every socket,
 * present and future (NULL: no-op, returns 0).  A non-empty error queue
 * makes the socket report POLLERR, on which libuv stops a uv_poll handle
 * (status UV_EBADF): the glue then drains the queue (at most
 * BFD_UV_ERRQ_MAX entries per wakeup, so BFD is never held up) and restarts
 * the poll.  Each ICMP error also fails one receive call (the socket's
 * pending error), which costs one loop iteration, not a datagram.
 * Returns 0 or -errno.
 */
#define BFD_UV_ERRQ_MAX 64
int bfd_uv_set_errq_handler(bfd_uv *g, bfd_uv_errq_cb cb, void *user_data);

/*
 * Sends one datagram of exactly |len| bytes from the socket that serves
 * |local| (address and port as given to bfd_uv_add_local(); port 0 = the
 * SVR port) to |remote| (port 0 = 1280), at once (not batched), with the
 * socket's TTL 255 and DSCP CS6.  Returns 0, -ENOENT (no socket for
 * |local|), or -errno from sendmsg (-EMSGSIZE: larger than the local
 * interface MTU with DF set).
 */
int bfd_uv_send_ctrl(bfd_uv *g, const svrbfd_addr *local,
                     const svrbfd_addr *remote, const uint8_t *pkt,
                     size_t len);

void bfd_uv_get_stats(const bfd_uv *g, bfd_uv_stats *stats);

/* Text of the last socket setup error ("" if none). */
const char *bfd_uv_last_error(const bfd_uv *g);

/* The clock handed to the context: uv_hrtime(), monotonic nanoseconds. */
svrbfd_tstamp bfd_uv_now(void);

/* A svrbfd_callbacks.rand implementation backed by getrandom(2). */
void bfd_uv_rand(uint8_t *dest, size_t len, void *user_data);

/* Address helpers shared by the front ends. */
int bfd_addr_parse(svrbfd_addr *a, const char *text);   /* 0 or -1 */
/* "10.0.0.1" / "fe80::1"; with_port adds ":port" ("[v6]:port"). */
const char *bfd_addr_str(const svrbfd_addr *a, int with_port, char *buf,
                         size_t buflen);

#endif /* SVR_BFD_UV_H */
