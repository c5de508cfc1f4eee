#!/usr/bin/env python3
"""A pty in front of a serial port that drops and corrupts bytes at set rates.

  serial_proxy.py --link A (--target PORT | --link2 B) [--drop R] [--corrupt R]
                  [--seed N] [--skip N]

Makes a pty whose slave is symlinked at A (for the sender), and relays its
bytes both ways to PORT (reopened when the device resets) or to a second
pty linked at B.  Each relayed byte is dropped with probability R and
otherwise replaced by a random other value with probability R (after the
first --skip bytes of each direction, so a command prompt gets through).
Prints "dropped D corrupted C" on SIGTERM.  Loopback only: no sockets.
"""
import argparse, os, random, select, signal, sys, time, tty

ap = argparse.ArgumentParser()
ap.add_argument("--link", required=True)
ap.add_argument("--target")
ap.add_argument("--link2")
ap.add_argument("--drop", type=float, default=0.0)
ap.add_argument("--corrupt", type=float, default=0.0)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--skip", type=int, default=0)
a = ap.parse_args()
rng = random.Random(a.seed)
stats = {"dropped": 0, "corrupted": 0}


def make_pty(link):
    m, s = os.openpty()
    tty.setraw(s)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.ttyname(s), link)
    return m, s  # the slave stays open: reads on the master never fail


def open_target():
    for _ in range(200):
        try:
            fd = os.open(a.target, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(fd)
            return fd
        except OSError:
            time.sleep(0.05)
    sys.exit("serial_proxy: %s did not come back" % a.target)


def harm(data, seen):
    out = bytearray()
    for i, b in enumerate(data):
        if seen + i < a.skip:
            out.append(b)
            continue
        r = rng.random()
        if r < a.drop:
            stats["dropped"] += 1
        elif r < a.drop + a.corrupt:
            stats["corrupted"] += 1
            out.append((b + rng.randrange(1, 256)) & 0xFF)
        else:
            out.append(b)
    return bytes(out)


def done(*_):
    print("dropped %d corrupted %d" % (stats["dropped"], stats["corrupted"]), flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, done)
signal.signal(signal.SIGINT, done)
left, keep = make_pty(a.link)
if a.link2:
    right, keep2 = make_pty(a.link2)
else:
    right = open_target()
seen = {left: 0, right: 0}
right_gone = False  # the far pty's program exited: stop polling it (EIO for ever)
print("ready", flush=True)
while True:
    r, _, _ = select.select([left] if right_gone else [left, right], [], [], 0.5)
    for fd in r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            if fd == right and a.target:  # the device reset: its port comes back
                os.close(right)
                right = open_target()
                seen[right] = seen.pop(fd, 0)
            elif fd == right:
                right_gone = True
            continue
        out = harm(data, seen[fd])
        seen[fd] += len(data)
        dst = right if fd == left else left
        try:
            os.write(dst, out)
        except OSError:
            pass
