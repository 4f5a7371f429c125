#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# budget_compare.py PREDICTED.json C0.json C1.json SECONDS PARTY:NAME...
#
# svr-budget's prediction (--json --suite-only) against nftables counters
# read before (C0) and after (C1) a window of SECONDS (tests/lib/budget.sh).
# Each PARTY is the suffix of a counting chain in_PARTY (what that party
# sent); NAME is its router name in the prediction, or "conductor" for the
# conductor node.  Prints one table; exits 1 when a channel is off by more
# than 10 % (or is measured while predicted off), or a party's total by
# more than 5 %.  930/TCP is checked on its segments with data (SSH
# packets, one per message and event); its pure ACKs are printed against
# the model's but not checked: whether an answer carries the ACK or the
# kernel sends one first depends on scheduling, not on the protocol.
import json
import sys

DAY = 86400.0
CHANNEL_TOL = 0.10
TOTAL_TOL = 0.05
PEER = ["bfd-async", "bfd-echo", "path-mtu", "fw-detector"]


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


def main():
    pred = json.load(open(sys.argv[1]))["profiles"][0]
    c0, c1 = counters(sys.argv[2]), counters(sys.argv[3])
    secs = float(sys.argv[4])
    parties = [a.split(":", 1) for a in sys.argv[5:]]
    links = {l["router"]: l for l in pred["links"]}
    ok = True
    print("window %.2f s; bytes on the wire (IP and up) sent by each party" % secs)
    print("%-10s %-12s %10s %10s %8s %9s %9s" % ("PARTY", "CHANNEL", "PREDICTED",
          "MEASURED", "DIFF", "PRED PKT", "MEAS PKT"))

    def meas(party, name):
        k = ("in_" + party, name)
        p0, b0 = c0.get(k, (0, 0))
        p1, b1 = c1.get(k, (0, 0))
        return p1 - p0, b1 - b0

    def line(party, name, pb, pp, mp, mb, tol, check=True):
        nonlocal ok
        if pb > 0:
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

    for party, name in parties:
        if name == "conductor":
            chans = pred["conductor"]["channels"]
            rows = [("conductor", [c for c in chans if c["enabled"]])]
        else:
            chans = links[name]["channels"]
            rows = [(n, [c for c in chans if c["channel"] == n and c["enabled"]])
                    for n in PEER]
            rows.append(("conductor", [c for c in chans if c["enabled"] and
                                       c["port"] == "930/tcp"]))
        tp = tm = 0.0
        for n, cs in rows:
            pb = sum(c["out"]["bytes_per_day"] for c in cs) * secs / DAY
            pp = sum(c["out"]["events_per_day"] for c in cs) * secs / DAY
            mp, mb = meas(party, n)
            if n == "conductor":
                # data segments checked; pure ACKs (their number depends
                # on how fast the other side answers) printed only
                pa = sum(c["out"]["tcp_ack_bytes_per_day"] for c in cs) * secs / DAY
                line(party, n, pb - pa, pp, mp, mb, CHANNEL_TOL)
                ap, ab = meas(party, "conductor-ack")
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
