#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""UDP probes with a chosen TTL, for dataplane_ttl.sh.

  dataplane_ttl.py serve ADDR PORT
      answers every datagram "probe TTL REPLY_TTL" with "seen T" (T = the
      TTL the datagram arrived with, IP_RECVTTL), sent with TTL REPLY_TTL;
      prints "listening" once bound.
  dataplane_ttl.py probe ADDR PORT TTL REPLY_TTL [TIMEOUT_S]
      sends one probe with TTL and prints one line:
        reply SERVER_SAW CLIENT_SAW      the answer came back
        icmp TYPE CODE OFFENDER          an ICMP error came back (IP_RECVERR)
        none                             nothing within TIMEOUT_S (default 2)
"""
import select
import socket
import struct
import sys
import time

IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_TTL = getattr(socket, "IP_TTL", 2)
MSG_ERRQUEUE = getattr(socket, "MSG_ERRQUEUE", 0x2000)


def ttl_of(ancdata):
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == IP_TTL:
            return struct.unpack("=i", data[:4])[0]
    return -1


def serve(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    s.bind((addr, port))
    print("listening", flush=True)
    while True:
        data, anc, _flags, peer = s.recvmsg(2048, 256)
        parts = data.split()
        if len(parts) != 3 or parts[0] != b"probe":
            continue
        s.setsockopt(socket.IPPROTO_IP, IP_TTL, int(parts[2]))
        s.sendto(b"seen %d" % ttl_of(anc), peer)


def probe(addr, port, ttl, reply_ttl, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_TTL, ttl)
    s.connect((addr, port))
    s.send(b"probe %d %d" % (ttl, reply_ttl))
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            print("none")
            return
        r, _, x = select.select([s], [], [s], left)
        if not r and not x:
            continue
        try:
            _data, anc, _fl, _a = s.recvmsg(512, 512, MSG_ERRQUEUE)
            for level, kind, d in anc:
                if level == socket.IPPROTO_IP and kind == IP_RECVERR:
                    _errno, _origin, typ, code, _pad, _info, _dat = \
                        struct.unpack("=IBBBBII", d[:16])
                    off = socket.inet_ntoa(d[20:24]) if len(d) >= 24 else "?"
                    print("icmp %d %d %s" % (typ, code, off))
                    return
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            pass
        try:
            data, anc, _fl, _a = s.recvmsg(2048, 256, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            continue  # the error itself; its details are in the queue
        parts = data.split()
        if len(parts) == 2 and parts[0] == b"seen":
            print("reply %d %d" % (int(parts[1]), ttl_of(anc)))
            return


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 6 and sys.argv[1] == "probe":
        probe(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
              int(sys.argv[5]),
              float(sys.argv[6]) if len(sys.argv) > 6 else 2.0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
