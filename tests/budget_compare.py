#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# budget_compare.py PREDICTED.json C0.json C1.json SECONDS PCAP T0 SECONDS2
#                   PARTY:NAME:ADDRESS...
#
# svr-budget's prediction (--json --suite-only) against nftables counters
# read before (C0) and after (C1) a window of SECONDS (tests/lib/budget.sh);
# 4505/TCP, whose TCP keepalive timers run 10.24 and 20.48 s, is counted
# in the capture PCAP from Unix time T0 for SECONDS2 (a multiple of both),
# each segment by its source ADDRESS.
# Each PARTY is the suffix of a counting chain in_PARTY (what that party
# sent); NAME is its router name in the prediction, or "conductor" for the
# conductor node.  Prints one table; exits 1 when a channel is off by more
# than 10 % (or is measured while predicted off), or a party's total by
# more than 5 %.  930/TCP and 4506/TCP are checked on their segments with
# data (SSH packets, TLS records: one per message and event); their pure
# ACKs are printed against the model's but not checked: whether an answer
# carries the ACK or the kernel sends one first depends on scheduling, not
# on the protocol.  4505/TCP carries only TCP keepalive probes and their
# ACKs after its HELLO: checked as a whole.
import json
import struct
import sys

DAY = 86400.0
CHANNEL_TOL = 0.10
TOTAL_TOL = 0.05
PEER = ["bfd-async", "bfd-echo", "path-mtu", "fw-detector"]
# (counter name, port of the prediction's channels, pure ACKs apart)
TCP = [("conductor", "930/tcp", True), ("asset-4505", "4505/tcp", False),
       ("asset-4506", "4506/tcp", True)]


def counters(path):
    out = {}
    for obj in json.load(open(path))["nftables"]:
        rule = obj.get("rule")
        if not rule:
            continue
        chain = rule["chain"]
        comment = rule.get("comment", "")
        for e in rule["expr"]:
            if "counter" in e:
                k = (chain, comment)
                p, b = out.get(k, (0, 0))
                out[k] = (p + e["counter"]["packets"], b + e["counter"]["bytes"])
    return out


def capture(path, start, end):
    """Segments and IP bytes per IPv4 source address in a pcap (Ethernet,
    microsecond or nanosecond timestamps) between Unix times start, end."""
    out = {}
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end_ = "<"
    else:
        end_ = ">"
        magic = struct.unpack(">I", data[:4])[0]
    div = 1e9 if magic == 0xA1B23C4D else 1e6
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end_ + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / div
        if t < start or t >= end or len(frame) < 34:
            continue
        if frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        src = ".".join(str(b) for b in ip[12:16])
        p, b = out.get(src, (0, 0))
        out[src] = (p + 1, b + struct.unpack(">H", ip[2:4])[0])
    return out


def main():
    pred = json.load(open(sys.argv[1]))["profiles"][0]
    c0, c1 = counters(sys.argv[2]), counters(sys.argv[3])
    secs = float(sys.argv[4])
    t0, secs2 = float(sys.argv[6]), float(sys.argv[7])
    parties = [a.split(":", 2) for a in sys.argv[8:]]
    c2 = capture(sys.argv[5], t0, t0 + secs2)
    links = {l["router"]: l for l in pred["links"]}
    ok = True
    print("window %.2f s (asset-4505 %.2f s); bytes on the wire (IP and up) "
          "sent by each party" % (secs, secs2))
    print("%-10s %-12s %10s %10s %8s %9s %9s" % ("PARTY", "CHANNEL", "PREDICTED",
          "MEASURED", "DIFF", "PRED PKT", "MEAS PKT"))

    addr = {p: a for p, _, a in parties}

    def meas(party, name):
        if name == "asset-4505":
            return c2.get(addr[party], (0, 0))
        k = ("in_" + party, name)
        p0, b0 = c0.get(k, (0, 0))
        p1, b1 = c1.get(k, (0, 0))
        return p1 - p0, b1 - b0

    def line(party, name, pb, pp, mp, mb, tol, check=True):
        nonlocal ok
        if pb >= 0.5:
            diff = (mb - pb) / pb
            bad = check and abs(diff) > tol
            d = "%+.1f%%" % (100 * diff)
        else:
            bad = check and mb > 0
            d = "-" if mb == 0 else "n/a"
        if bad:
            ok = False
        print("%-10s %-12s %10.0f %10d %8s %9s %9d%s" % (
            party, name, pb, mb, d, "%.0f" % pp if pp is not None else "-", mp,
            "  <-- off" if bad else ""))

    for party, name, _ in parties:
        if name == "conductor":
            chans = [c for c in pred["conductor"]["channels"] if c["enabled"]]
            rows = []
        else:
            chans = [c for c in links[name]["channels"] if c["enabled"]]
            rows = [(n, [c for c in chans if c["channel"] == n], False)
                    for n in PEER]
        # the TCP channels by port: 930 (SSH) and 4506 (TLS) checked on
        # their segments with data, their pure ACKs printed apart; 4505
        # (TCP keepalive probes and their ACKs, no data) as a whole
        for n, port, acks in TCP:
            rows.append((n, [c for c in chans if c["port"] == port], acks))
        tp = tm = 0.0
        for n, cs, acks in rows:
            w = secs2 if n == "asset-4505" else secs
            pb = sum(c["out"]["bytes_per_day"] for c in cs) * w / DAY
            pp = sum(c["out"]["events_per_day"] for c in cs) * w / DAY
            mp, mb = meas(party, n)
            if acks:
                # data segments checked; pure ACKs (their number depends
                # on how fast the other side answers) printed only
                pa = sum(c["out"]["tcp_ack_bytes_per_day"] for c in cs) * w / DAY
                line(party, n, pb - pa, pp, mp, mb, CHANNEL_TOL)
                ap, ab = meas(party, n + "-ack")
                line(party, "  tcp-acks", pa, pa / 52, ap, ab, 0, check=False)
                tp += pb - pa
                tm += mb
                continue
            line(party, n, pb, pp, mp, mb, CHANNEL_TOL)
            tp += pb
            tm += mb
        for n in ("fw-rst", "other-ip"):
            mp, mb = meas(party, n)
            if mb:
                print("%-10s %-12s %10s %10d %8s %9s %9d  (not modelled)" % (
                    party, n, "-", mb, "", "-", mp))
        line(party, "TOTAL", tp, None, 0, int(tm), TOTAL_TOL)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
