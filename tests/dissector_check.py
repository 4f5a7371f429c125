#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks tshark's JSON output (-T json -V, with cli/wireshark/svr.lua)
against the expectations tests/dissector_gen.c wrote.

Usage: dissector_check.py TSHARK.json EXPECT

For every frame: each expected field is present with that value ("*": any
value); a frame without a flag has no svr.truncated, svr.malformed,
svr.tlv.unknown or _ws.malformed anywhere; a flagged frame has its flag.
Prints one line per frame and exits 1 on any violation.
"""
import json
import sys

BAD = ("svr.truncated", "svr.malformed", "svr.tlv.unknown", "_ws.malformed",
       "_ws.lua.error")


def pairs(obj, out):
    """Every (key, value) anywhere in a tree of lists of pairs."""
    if isinstance(obj, list):
        for k, v in obj:
            if isinstance(v, list) and v and isinstance(v[0], tuple):
                out.setdefault(k, []).append("<tree>")
                pairs(v, out)
            elif isinstance(v, list):
                for x in v:
                    out.setdefault(k, []).append(x if not isinstance(x, list)
                                                 else "<tree>")
                    if isinstance(x, list):
                        pairs(x, out)
            else:
                out.setdefault(k, []).append(v)


def main():
    with open(sys.argv[1]) as fh:
        frames = json.load(fh, object_pairs_hook=lambda p: p)
    with open(sys.argv[2]) as fh:
        want = [json.loads(line) for line in fh if line.strip()]
    errors = 0
    if len(frames) != len(want):
        print(f"FAIL: {len(frames)} frames decoded, {len(want)} expected")
        return 1
    for fr, ex in zip(frames, want):
        fields = {}
        pairs(fr, fields)
        bad = []
        for name, value in ex["fields"].items():
            got = fields.get(name)
            if got is None:
                bad.append(f"{name} missing")
            elif value != "*" and value not in got:
                bad.append(f"{name}={got} (want {value})")
        flags = [b for b in BAD if b in fields]
        if ex["flag"] is None and flags:
            bad.append(f"flagged {flags} but should decode cleanly")
        if ex["flag"] is not None and ex["flag"] not in fields:
            bad.append(f"not flagged {ex['flag']} (flags: {flags})")
        status = "ok  " if not bad else "FAIL"
        print(f"{status} frame {ex['frame']:2d} {ex['what']}"
              + ("" if not bad else ": " + "; ".join(bad)))
        errors += bool(bad)
    print(f"{len(want) - errors} of {len(want)} frames as expected")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
