#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Schema check of `svr-router show peers [detail] --json` (docs/svr-router.md).

Usage: router_json_check.py [--detail] [--expect-peers N] [--expect-up N] < json
Checks every field of every peer: presence, no unknown keys, type, range,
consistency (peer == "router -> peer_router", MOS == formula of the shown
latency/jitter/loss, uptime text == uptime_s, null exactly when documented).
Exits 0 and prints "ok: N peers" or exits 1 listing every violation.
"""
import ipaddress
import json
import re
import sys

NAME = re.compile(r"^[A-Za-z0-9._-]{1,63}$")
UPTIME = re.compile(r"^(\d+)d(\d+)h(\d+)m$")
TOP = {"router", "node", "detail", "peers"}
BASE = {"peer", "router", "peer_router", "node", "peer_node", "network_interface",
        "destination", "port", "topology", "status", "hostname", "path_mtu"}
DETAIL = {"latency_ms", "jitter_ms", "loss_pct", "mos", "bursts", "echo_sent",
          "echo_received", "detect_time_ms", "uptime_s", "uptime"}


def mos(lat, jit, loss):
    el = lat + 2 * jit + 10
    r = 93.2 - el / 40 if el < 160 else 93.2 - (el - 120) / 10
    r -= 2.5 * loss
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return min(4.5, max(1.0, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def main():
    detail = "--detail" in sys.argv
    exp_peers = exp_up = None
    if "--expect-peers" in sys.argv:
        exp_peers = int(sys.argv[sys.argv.index("--expect-peers") + 1])
    if "--expect-up" in sys.argv:
        exp_up = int(sys.argv[sys.argv.index("--expect-up") + 1])
    errs = []

    def bad(where, msg):
        errs.append(f"{where}: {msg}")

    text = sys.stdin.read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print(f"not JSON: {e}: {text[:200]!r}")
        return 1
    if not isinstance(doc, dict):
        print("top level is not an object")
        return 1
    if set(doc) != TOP:
        bad("top", f"keys {sorted(doc)} != {sorted(TOP)}")
    router, node = doc.get("router"), doc.get("node")
    if not isinstance(router, str) or not NAME.match(router):
        bad("router", repr(router))
    if not isinstance(node, str) or not NAME.match(node):
        bad("node", repr(node))
    if doc.get("detail") is not detail:
        bad("detail", f"{doc.get('detail')!r}, expected {detail}")
    peers = doc.get("peers")
    if not isinstance(peers, list):
        bad("peers", "not a list")
        peers = []
    if exp_peers is not None and len(peers) != exp_peers:
        bad("peers", f"{len(peers)} peers, expected {exp_peers}")
    nup = 0
    for i, p in enumerate(peers):
        w = f"peers[{i}]"
        if not isinstance(p, dict):
            bad(w, "not an object")
            continue
        want = BASE | (DETAIL if detail else set())
        if set(p) != want:
            bad(w, f"keys: missing {sorted(want - set(p))}, unknown {sorted(set(p) - want)}")
            continue
        if p["router"] != router:
            bad(w, f"router {p['router']!r} != {router!r}")
        if not isinstance(p["peer_router"], str) or not NAME.match(p["peer_router"]):
            bad(w, f"peer_router {p['peer_router']!r}")
        if p["peer"] != f"{router} -> {p['peer_router']}":
            bad(w, f"peer {p['peer']!r}")
        if p["node"] != node:
            bad(w, f"node {p['node']!r}")
        if p["peer_node"] is not None and not (isinstance(p["peer_node"], str) and NAME.match(p["peer_node"])):
            bad(w, f"peer_node {p['peer_node']!r}")
        if not isinstance(p["network_interface"], str) or not NAME.match(p["network_interface"]):
            bad(w, f"network_interface {p['network_interface']!r}")
        try:
            ipaddress.ip_address(p["destination"])
        except (ValueError, TypeError):
            bad(w, f"destination {p['destination']!r}")
        if not is_int(p["port"]) or not 1 <= p["port"] <= 65535:
            bad(w, f"port {p['port']!r}")
        if p["topology"] not in ("mesh", "hub", "spoke"):
            bad(w, f"topology {p['topology']!r}")
        if p["status"] not in ("up", "down", "init"):
            bad(w, f"status {p['status']!r}")
        if p["hostname"] is not None and (not isinstance(p["hostname"], str) or not p["hostname"]):
            bad(w, f"hostname {p['hostname']!r}")
        if p["path_mtu"] is not None and (not is_int(p["path_mtu"]) or not 68 <= p["path_mtu"] <= 65535):
            bad(w, f"path_mtu {p['path_mtu']!r}")
        up = p["status"] == "up"
        nup += up
        if not detail:
            continue
        for k in ("bursts", "echo_sent", "echo_received"):
            if not is_int(p[k]) or p[k] < 0:
                bad(w, f"{k} {p[k]!r}")
        dt = p["detect_time_ms"]
        if dt is not None and (not is_int(dt) or not 1 <= dt <= 3 * 20 * 600000):
            bad(w, f"detect_time_ms {dt!r}")
        if is_int(p["echo_sent"]) and is_int(p["echo_received"]) and p["echo_received"] > p["echo_sent"]:
            bad(w, "echo_received > echo_sent")
        q = [p[k] for k in ("latency_ms", "jitter_ms", "loss_pct", "mos")]
        if not up or p["bursts"] == 0:
            if q != [None] * 4:
                bad(w, f"quality {q} must be null (status {p['status']}, bursts {p['bursts']})")
        else:
            if not all(is_num(v) for v in q):
                bad(w, f"quality {q} must be numbers")
            else:
                lat, jit, loss, m = q
                if lat < 0 or jit < 0 or not 0 <= loss <= 100 or not 1.0 <= m <= 4.5:
                    bad(w, f"quality out of range {q}")
                elif abs(m - mos(lat, jit, loss)) > 2e-3:
                    bad(w, f"mos {m} != formula {mos(lat, jit, loss):.4f}")
        if up:
            if not is_int(p["uptime_s"]) or p["uptime_s"] < 0:
                bad(w, f"uptime_s {p['uptime_s']!r}")
            mt = UPTIME.match(p["uptime"] or "")
            if not mt:
                bad(w, f"uptime {p['uptime']!r}")
            elif is_int(p["uptime_s"]):
                d, h, mi = map(int, mt.groups())
                s = p["uptime_s"]
                if (d, h, mi) != (s // 86400, s % 86400 // 3600, s % 3600 // 60):
                    bad(w, f"uptime {p['uptime']} != {s} s")
        elif p["uptime_s"] is not None or p["uptime"] is not None:
            bad(w, "uptime must be null while not up")
    if exp_up is not None and nup != exp_up:
        bad("peers", f"{nup} up, expected {exp_up}")
    if errs:
        print("\n".join(errs))
        return 1
    print(f"ok: {len(peers)} peers, {nup} up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
