#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Drives `svr-conductor connect` on a pseudo-terminal for conductor_shell.sh.

Usage: conductor_shell_pty.py ROWS COLS SCRIPT -- COMMAND...
Starts COMMAND with its terminal a new PTY of ROWS x COLS, then plays
SCRIPT, lines of:
  send TEXT            write TEXT and a carriage return (the user typing)
  expect TEXT          wait (10 s at most) until TEXT appeared in the output
  resize ROWS COLS     change the terminal's size (the program gets SIGWINCH)
Prints everything the program wrote to stdout, then "exit=N" (its exit
status).  Exits 1 when an expect timed out (after printing what came)."""
import fcntl, os, pty, select, struct, sys, termios, time

def setsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

def main():
    rows, cols, script = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    setsize(fd, rows, cols)
    out = b""
    ok = True

    def pump(deadline):
        nonlocal out
        while True:
            t = deadline - time.monotonic()
            if t <= 0:
                return False
            r, _, _ = select.select([fd], [], [], t)
            if not r:
                return False
            try:
                data = os.read(fd, 65536)
            except OSError:
                return None
            if not data:
                return None
            out += data
            return True

    for line in open(script):
        line = line.rstrip("\n")
        if not line:
            continue
        verb, _, arg = line.partition(" ")
        if verb == "send":
            os.write(fd, arg.encode() + b"\r")
        elif verb == "resize":
            r, c = arg.split()
            setsize(fd, int(r), int(c))
        elif verb == "expect":
            deadline = time.monotonic() + 10
            while arg.encode() not in out:
                if not pump(deadline):
                    ok = False
                    break
            if not ok:
                break
    deadline = time.monotonic() + 10
    while pump(deadline):
        pass
    if not ok:
        os.kill(pid, 15)
    _, st = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    code = os.waitstatus_to_exitcode(st)
    print("\nexit=%d" % code)
    sys.exit(0 if ok else 1)

main()
