#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Half-open connection flood against a conductor (tests/conductor_flood.sh).

Holds COUNT TCP connections to HOST:PORT open without ever sending a byte
(no SSH banner, no key), spread over ADDRS source addresses 127.0.0.2,
127.0.0.3, ... (all loopback); with HEAVY, that share of them all comes
from 127.0.0.2.  A connection the conductor closes is opened
again after REOPEN seconds, like an attacker topping up.  Runs for DURATION
seconds, or until the file STOP exists, then prints one line of counts:
  opened=N closed_by_server=N open_now=N max_open=N
"""
import argparse
import errno
import os
import resource
import selectors
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--count", type=int, default=1100)
ap.add_argument("--addrs", type=int, default=20)
ap.add_argument("--heavy", type=float, default=0.0,
                help="share of the connections all from the first address")
ap.add_argument("--reopen", type=float, default=1.0)
ap.add_argument("--duration", type=float, default=30.0)
ap.add_argument("--stop", default="")
ap.add_argument("--ready", default="", help="file written once COUNT were opened once")
a = ap.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = a.count + 64
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

sel = selectors.DefaultSelector()
opened = closed = open_now = max_open = 0
pending = []  # (time to open, slot)
ready_written = False


def open_slot(slot):
    global opened, open_now, max_open
    if slot < a.heavy * a.count or a.addrs == 1:
        src = "127.0.0.2"
    else:
        src = "127.0.0.%d" % (3 + slot % (a.addrs - 1))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.bind((src, 0))
        s.connect_ex((a.host, a.port))
    except OSError as e:
        s.close()
        if e.errno in (errno.EMFILE, errno.ENFILE, errno.EADDRNOTAVAIL):
            pending.append((time.monotonic() + a.reopen, slot))
            return
        raise
    sel.register(s, selectors.EVENT_READ, slot)
    opened += 1
    open_now += 1
    max_open = max(max_open, open_now)


end = time.monotonic() + a.duration
for i in range(a.count):
    open_slot(i)
while time.monotonic() < end and not (a.stop and os.path.exists(a.stop)):
    if not ready_written and opened >= a.count and a.ready:
        open(a.ready, "w").close()
        ready_written = True
    for key, _ in sel.select(timeout=0.1):
        s = key.fileobj
        try:
            data = s.recv(4096)  # the SSH banner: read, never answered
        except OSError:
            data = b""
        if not data:
            sel.unregister(s)
            s.close()
            closed += 1
            open_now -= 1
            pending.append((time.monotonic() + a.reopen, key.data))
    now = time.monotonic()
    due = [p for p in pending if p[0] <= now]
    pending = [p for p in pending if p[0] > now]
    for _, slot in due:
        open_slot(slot)
print("opened=%d closed_by_server=%d open_now=%d max_open=%d"
      % (opened, closed, open_now, max_open), flush=True)
