#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# budget_compare.py PREDICTED.json C0.json C1.json SECONDS PCAP T0 SECONDS2
#                   PARTY:NAME:ADDRESS...
#
# svr-budget's prediction (--json --suite-only) against nftables counters
# read before (C0) and after (C1) a window of SECONDS (tests/lib/budget.sh)
# for the peer-path channels.  The TCP channels (930, 4505, 4506) are
# counted in the capture PCAP by their kernel timestamps, each segment by
# its source ADDRESS, from Unix time T0 (C0's) for SECONDS, 4505 for
# SECONDS2 (a multiple of its keepalive periods, 10.24 and 20.48 s; given
# as OFFSET+LEN it starts OFFSET seconds after T0).
# Each PARTY is the suffix of a counting chain in_PARTY (what that party
# sent); NAME is its router name in the prediction, or "conductor" for the
# conductor node.  Prints one table; exits 1 when a channel is off by more
# than 10 % (or is measured while predicted off), or a party's total by
# more than 5 %.  930/TCP and 4506/TCP are checked on their segments with
# data (SSH packets, TLS records: one per message and event), the key
# exchange apart from the other 930 channels by the IP lengths the
# prediction lists for it; their pure ACKs and retransmissions (a
# segment's sequence number again: a tail loss probe when a loaded
# machine answered late) are printed but not checked: whether an answer
# carries the ACK, or comes before the sender's probe timer, depends on
# scheduling, not on the protocol.  4505/TCP carries only TCP keepalive
# probes and their ACKs after its HELLO: checked as a whole.  The key
# exchange is checked within 10 % or one rekey's share of the window,
# whichever is larger: the conductor starts a rekey on its 1 s tick, so a
# window that is a multiple of the interval can still hold one rekey more
# or less than was due.
import json
import struct
import sys

DAY = 86400.0
# BUDGET_REKEY (seconds, "5s" or "5"): the rekey interval of the run, for
# the key-exchange rows' tolerance (below)
REKEY_S = float(__import__("os").environ.get("BUDGET_REKEY", "0").rstrip("s") or 0)
CHANNEL_TOL = 0.10
TOTAL_TOL = 0.05
PEER = ["bfd-async", "bfd-echo", "path-mtu", "fw-detector"]
TCP_PORTS = {"930/tcp": 930, "4505/tcp": 4505, "4506/tcp": 4506}


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


def capture(path):
    """The TCP segments of a pcap (Ethernet, IPv4; microsecond or
    nanosecond timestamps): (time, source, sport, dport, seq, payload,
    IP length)."""
    out = []
    data = open(path, "rb").read()
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    end_ = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic = struct.unpack(end_ + "I", data[:4])[0]
    div = 1e9 if magic == 0xA1B23C4D else 1e6
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end_ + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 54 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        if ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        iplen = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        out.append((sec + frac / div, ".".join(str(b) for b in ip[12:16]),
                    sport, dport, seq, iplen - ihl - doff, iplen))
    return out


def main():
    pred = json.load(open(sys.argv[1]))["profiles"][0]
    c0, c1 = counters(sys.argv[2]), counters(sys.argv[3])
    secs = float(sys.argv[4])
    t0 = float(sys.argv[6])
    # SECONDS2 is LEN or OFFSET+LEN: 4505's window starts OFFSET seconds
    # after T0
    off2, _, secs2 = sys.argv[7].rpartition("+")
    off2, secs2 = float(off2 or 0), float(secs2)
    parties = [a.split(":", 2) for a in sys.argv[8:]]
    segs = capture(sys.argv[5])
    links = {l["router"]: l for l in pred["links"]}
    ok = True
    print("window %.2f s (asset-4505 %.2f s); bytes on the wire (IP and up) "
          "sent by each party" % (secs, secs2))
    print("%-10s %-12s %10s %10s %8s %9s %9s" % ("PARTY", "CHANNEL", "PREDICTED",
          "MEASURED", "DIFF", "PRED PKT", "MEAS PKT"))

    def meas(party, name):
        k = ("in_" + party, name)
        p0, b0 = c0.get(k, (0, 0))
        p1, b1 = c1.get(k, (0, 0))
        return p1 - p0, b1 - b0

    def tcp(src, port, w, start):
        """What |src| sent on |port| in [t0, t0 + w): data segments (first
        sending of each sequence number) by IP length, pure ACKs and
        retransmissions as (packets, bytes)."""
        data, acks, rtx, seen = {}, [0, 0], [0, 0], set()
        times.clear()
        for t, s, sp, dp, seq, pay, ln in segs:
            if s != src or port not in (sp, dp) or not start <= t < start + w:
                continue
            times.append("%.3f:%d" % (t - start, ln))
            if pay == 0:
                acks[0] += 1
                acks[1] += ln
            elif (sp, dp, seq) in seen:
                rtx[0] += 1
                rtx[1] += ln
            else:
                seen.add((sp, dp, seq))
                data[ln] = data.get(ln, 0) + 1
        return data, acks, rtx

    times = []

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
        if bad and times and name not in PEER + ["TOTAL"]:
            # when each of the port's segments was sent (s after the
            # window's start) and its IP length: for a look at why
            print("    segments on its port: " + " ".join(times))

    def per_window(cs, key, w, sub=None):
        return sum(c[key][sub] if sub else c[key] for c in cs) * w / DAY

    for party, name, src in parties:
        d = "out"
        if name == "conductor":
            chans = [c for c in pred["conductor"]["channels"] if c["enabled"]]
        else:
            chans = [c for c in links[name]["channels"] if c["enabled"]]
        tp = tm = 0.0
        for n in PEER if name != "conductor" else []:
            cs = [c for c in chans if c["channel"] == n]
            pb = per_window(cs, d, secs, "bytes_per_day")
            pp = per_window(cs, d, secs, "events_per_day")
            mp, mb = meas(party, n)
            line(party, n, pb, pp, mp, mb, CHANNEL_TOL)
            tp += pb
            tm += mb
        for port_name, port in TCP_PORTS.items():
            w = secs2 if port == 4505 else secs
            data, acks, rtx = tcp(src, port, w,
                                  t0 + off2 if port == 4505 else t0)
            cs = [c for c in chans if c["port"] == port_name]
            # rows: 930's key exchange (its segments by IP length), the
            # rest of the port's channels
            groups = []
            ks = [c for c in cs if c["channel"] == "key-exchange"]
            if port == 930:
                groups.append(("key-exchange", ks))
                groups.append(("conductor", [c for c in cs if c not in ks]))
            else:
                groups.append(("asset-%d" % port, cs))
            klen = {int(x) for c in ks for x in c[d]["segments"]}
            pa_all = 0.0
            for n, g in groups:
                pb = per_window(g, d, w, "bytes_per_day")
                pa = per_window(g, d, w, "tcp_ack_bytes_per_day")
                pp = per_window(g, d, w, "events_per_day")
                if port == 4505:  # probes and their ACKs: all of it
                    mp, mb = acks[0], acks[1]
                    mp += sum(data.values())
                    mb += sum(k * v for k, v in data.items())
                else:
                    sel = {k: v for k, v in data.items()
                           if (k in klen) == (n == "key-exchange")}
                    mp, mb = sum(sel.values()), sum(k * v for k, v in sel.items())
                    pb -= pa
                    pa_all += pa
                tol = CHANNEL_TOL
                if n == "key-exchange" and REKEY_S > 0 and w > REKEY_S:
                    # one rekey's messages more or fewer: the conductor
                    # starts rekeys on its 1 s tick, so a rekey (and its
                    # activate and remove, ticks later) can fall on either
                    # side of the window's edge (7 in 30 s where 6 were due)
                    tol = max(tol, REKEY_S / w)
                line(party, n, pb, pp, mp, mb, tol)
                tp += pb
                tm += mb
            if port != 4505:
                line(party, "  tcp-acks", pa_all, pa_all / 52, acks[0], acks[1],
                     0, check=False)
                if rtx[0]:
                    print("%-10s %-12s %10s %10d %8s %9s %9d  (not checked)" % (
                        party, "  retransmit", "-", rtx[1], "", "-", rtx[0]))
        for n in ("fw-rst", "other-ip"):
            mp, mb = meas(party, n)
            if mb:
                print("%-10s %-12s %10s %10d %8s %9s %9d  (not modelled)" % (
                    party, n, "-", mb, "", "-", mp))
        line(party, "TOTAL", tp, None, 0, int(tm), TOTAL_TOL)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
