#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Raw frames on a data-plane link, for tests/dataplane_badinput.sh.

Standard library only (AF_PACKET sockets); run inside a namespace with
`ip netns exec`.  Frames are Ethernet + IPv4, written as one hex string.

  capture IFACE OUT --count N --timeout S [--src IP] [--dst IP]
          [--proto 6|17] [--dport P] [--wp]
      creates OUT and prints "ready" once the socket is bound (wait for OUT
      to exist: a log file name may be reused), then appends every matching
      frame (either direction; --wp: destination port a waypoint port,
      16385-65533) to OUT as one hex line; exits 0 after N frames, 1 at the
      timeout.
  send IFACE HEX...            sends each frame as it is; prints the count
  random IFACE TEMPLATE --proto udp|tcp --count N [--avoid SPORT:DPORT]
         [--pair SPORT:DPORT] [--min-len L] [--seed S] [--malformed]
      N frames with TEMPLATE's Ethernet and IP addresses to random waypoint
      ports (16385-65533, never the pair --avoid; always the pair --pair):
      UDP or TCP headers that are valid (lengths, checksums; TCP with random
      flags, sequence and window) and L-200 (default 0-200) random payload
      bytes.  --malformed: UDP whose length field disagrees with the IP
      length, TCP whose data offset is below 5 words (both pass the nft
      port match).  Prints the count.
  frame TEMPLATE IPHEX         TEMPLATE's Ethernet header + the IP packet
  flip HEX OFFSET              one byte of the L4 payload inverted (OFFSET
                               from its start, negative from its end)
  cut HEX N                    the L4 payload cut to N bytes (lengths and
                               checksums fixed)
  setsrc HEX IP                another IPv4 source (checksums fixed)
  setdport HEX PORT            another TCP/UDP destination port (checksums
                               fixed)
  info HEX                     JSON: src, dst, proto, sport, dport, plen,
                               cookie (payload starts with the SVR cookie),
                               hdr_len (metadata header length), seq (of
                               the fast-path prefix or TLV 0xE080)
"""
import argparse
import json
import random
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
COOKIE = bytes.fromhex("4c48dbc6ddf6670c")
WP_LO, WP_HI = 16385, 65533


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def parse(frame):
    """(ip offset, ihl, proto, l4 offset, l4 header length, total)"""
    ip = 14
    if len(frame) < ip + 20 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[ip] & 15) * 4
    tot = struct.unpack("!H", frame[ip + 2:ip + 4])[0]
    proto = frame[ip + 9]
    l4 = ip + ihl
    if proto == 6 and len(frame) >= l4 + 13:
        l4h = (frame[l4 + 12] >> 4) * 4
    else:
        l4h = 8
    return ip, ihl, proto, l4, l4h, tot


def fix(frame, l4sum=True):
    """Recomputes the IPv4 header checksum and the TCP/UDP checksum."""
    f = bytearray(frame)
    ip, ihl, proto, l4, l4h, tot = parse(f)
    f[ip + 10:ip + 12] = b"\0\0"
    f[ip + 10:ip + 12] = struct.pack("!H", csum(bytes(f[ip:ip + ihl])))
    end = ip + tot
    if l4sum and proto in (6, 17) and end <= len(f):
        off = l4 + (16 if proto == 6 else 6)
        if off + 2 <= end:
            f[off:off + 2] = b"\0\0"
            ph = bytes(f[ip + 12:ip + 20]) + struct.pack("!BBH", 0, proto, end - l4)
            c = csum(ph + bytes(f[l4:end]))
            if proto == 17 and c == 0:
                c = 0xFFFF
            f[off:off + 2] = struct.pack("!H", c)
    return bytes(f)


def info(frame):
    ip, ihl, proto, l4, l4h, tot = parse(frame)
    pay = frame[l4 + l4h:ip + tot]
    d = {
        "src": socket.inet_ntoa(frame[ip + 12:ip + 16]),
        "dst": socket.inet_ntoa(frame[ip + 16:ip + 20]),
        "proto": proto,
        "sport": struct.unpack("!H", frame[l4:l4 + 2])[0],
        "dport": struct.unpack("!H", frame[l4 + 2:l4 + 4])[0],
        "plen": len(pay),
        "cookie": pay[:8] == COOKIE,
        "seq": None,
        "hdr_len": None,
    }
    if d["cookie"]:
        # header TLVs: type(2) len(2) value; 0xE080 = sequence number
        hdr_len = d["hdr_len"] = struct.unpack("!H", pay[8:10])[0] & 0x0FFF
        p = 12
        while p + 4 <= hdr_len:
            t, ln = struct.unpack("!HH", pay[p:p + 4])
            if t == 0xE080 and ln == 8:
                d["seq"] = struct.unpack("!Q", pay[p + 4:p + 12])[0]
            p += 4 + ln
    elif len(pay) >= 12:
        d["seq"] = struct.unpack("!Q", pay[4:12])[0]  # security ID(4), seq(8)
    return d


def matches(frame, a):
    p = parse(frame)
    if p is None:
        return False
    ip, ihl, proto, l4, l4h, tot = p
    if a.src and socket.inet_ntoa(frame[ip + 12:ip + 16]) != a.src:
        return False
    if a.dst and socket.inet_ntoa(frame[ip + 16:ip + 20]) != a.dst:
        return False
    if a.proto is not None and proto != a.proto:
        return False
    if a.dport is not None or a.wp:
        if proto not in (6, 17):
            return False
        dport = struct.unpack("!H", frame[l4 + 2:l4 + 4])[0]
        if a.dport is not None and dport != a.dport:
            return False
        if a.wp and not WP_LO <= dport <= WP_HI:
            return False
    return True


def cmd_capture(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    deadline = time.monotonic() + a.timeout
    got = 0
    with open(a.out, "a") as out:
        print("ready", flush=True)
        while got < a.count:
            left = deadline - time.monotonic()
            if left <= 0:
                return 1
            s.settimeout(left)
            try:
                frame = s.recv(65535)
            except socket.timeout:
                return 1
            if matches(frame, a):
                out.write(frame.hex() + "\n")
                out.flush()
                got += 1
    return 0


def send_frames(iface, frames):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for f in frames:
        s.send(f)
    return len(frames)


def cmd_random(a):
    rnd = random.Random(a.seed)
    tpl = bytes.fromhex(a.template)
    ip = 14
    avoid = pair = None
    if a.avoid:
        sp, dp = a.avoid.split(":")
        avoid = (int(sp), int(dp))
    if a.pair:
        sp, dp = a.pair.split(":")
        pair = (int(sp), int(dp))
    proto = 17 if a.proto == "udp" else 6
    frames = []
    while len(frames) < a.count:
        sport, dport = pair or (rnd.randint(WP_LO, WP_HI), rnd.randint(WP_LO, WP_HI))
        if (sport, dport) == avoid:
            continue
        pay = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(a.min_len, 200)))
        if pay[:8] == COOKIE:
            continue
        if proto == 17:
            ulen = 8 + len(pay)
            if a.malformed:
                ulen += rnd.randint(1, 40)  # longer than the datagram
            l4 = struct.pack("!HHHH", sport, dport, ulen, 0)
        else:
            flags = rnd.getrandbits(8)
            doff = rnd.randint(0, 4) if a.malformed else 5
            l4 = struct.pack("!HHIIBBHHH", sport, dport, rnd.getrandbits(32),
                             rnd.getrandbits(32), doff << 4, flags,
                             rnd.getrandbits(16), 0, 0)
        iph = bytearray(tpl[ip:ip + 20])
        iph[0] = 0x45
        iph[1] = 0
        iph[2:4] = struct.pack("!H", 20 + len(l4) + len(pay))
        iph[4:6] = struct.pack("!H", rnd.getrandbits(16))
        iph[6:8] = b"\x40\x00"
        iph[8] = 64
        iph[9] = proto
        f = tpl[:ip] + bytes(iph) + l4 + pay
        frames.append(fix(f, l4sum=not a.malformed))
    print(send_frames(a.iface, frames))
    return 0


def cmd_cut(a):
    f = bytearray(bytes.fromhex(a.hex))
    ip, ihl, proto, l4, l4h, tot = parse(f)
    end = l4 + l4h + a.n
    f = f[:end]
    f[ip + 2:ip + 4] = struct.pack("!H", end - ip)
    if proto == 17:
        f[l4 + 4:l4 + 6] = struct.pack("!H", end - l4)
    print(fix(bytes(f)).hex())
    return 0


def cmd_flip(a):
    f = bytearray(bytes.fromhex(a.hex))
    ip, ihl, proto, l4, l4h, tot = parse(f)
    start, end = l4 + l4h, ip + tot
    pos = start + a.offset if a.offset >= 0 else end + a.offset
    if not start <= pos < end:
        print("offset outside the payload", file=sys.stderr)
        return 1
    f[pos] ^= 0xFF
    print(bytes(f).hex())
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("iface")
    c.add_argument("out")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout", type=float, required=True)
    c.add_argument("--src")
    c.add_argument("--dst")
    c.add_argument("--proto", type=int)
    c.add_argument("--dport", type=int)
    c.add_argument("--wp", action="store_true")
    c = sub.add_parser("send")
    c.add_argument("iface")
    c.add_argument("hex", nargs="+")
    c = sub.add_parser("random")
    c.add_argument("iface")
    c.add_argument("template")
    c.add_argument("--proto", choices=("udp", "tcp"), required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--avoid")
    c.add_argument("--pair")
    c.add_argument("--min-len", type=int, default=0)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--malformed", action="store_true")
    c = sub.add_parser("frame")
    c.add_argument("template")
    c.add_argument("iphex")
    c = sub.add_parser("flip")
    c.add_argument("hex")
    c.add_argument("offset", type=int)
    c = sub.add_parser("cut")
    c.add_argument("hex")
    c.add_argument("n", type=int)
    c = sub.add_parser("setsrc")
    c.add_argument("hex")
    c.add_argument("ip")
    c = sub.add_parser("setdport")
    c.add_argument("hex")
    c.add_argument("port", type=int)
    c = sub.add_parser("info")
    c.add_argument("hex")
    a = p.parse_args()
    if a.cmd == "capture":
        return cmd_capture(a)
    if a.cmd == "send":
        print(send_frames(a.iface, [bytes.fromhex(h) for h in a.hex]))
        return 0
    if a.cmd == "random":
        return cmd_random(a)
    if a.cmd == "frame":
        print((bytes.fromhex(a.template)[:14] + bytes.fromhex(a.iphex)).hex())
        return 0
    if a.cmd == "flip":
        return cmd_flip(a)
    if a.cmd == "cut":
        return cmd_cut(a)
    if a.cmd == "setsrc":
        f = bytearray(bytes.fromhex(a.hex))
        f[14 + 12:14 + 16] = socket.inet_aton(a.ip)
        print(fix(bytes(f)).hex())
        return 0
    if a.cmd == "setdport":
        f = bytearray(bytes.fromhex(a.hex))
        l4 = parse(f)[3]
        f[l4 + 2:l4 + 4] = struct.pack("!H", a.port)
        print(fix(bytes(f)).hex())
        return 0
    if a.cmd == "info":
        print(json.dumps(info(bytes.fromhex(a.hex))))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
