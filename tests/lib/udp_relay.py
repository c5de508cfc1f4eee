#!/usr/bin/env python3
"""A UDP relay for fault tests of the device endpoint (loopback only).

udp_relay.py LISTEN_PORTFILE SERVER_PORT [--drop N,N..] [--dup N,N..]
             [--swap N,N..] [--rebind-after N] [--rebind-after-handshake]
             [--seconds S]

Datagrams from the client (the last address that sent one) go to
127.0.0.1:SERVER_PORT and back.  Datagrams are numbered from 1 in both
directions together; --drop loses those numbers, --dup sends them twice,
--swap holds each of them back and sends it after the next one (reordering),
--rebind-after N sends to the server from a new socket (a new source port,
as a NAT rebinding does) from datagram N+1 on; --rebind-after-handshake does
that for the first client datagram after the server's last flight (a
datagram starting with a ChangeCipherSpec record).  Stops after --seconds (60).
"""
import argparse
import select
import socket
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("portfile")
p.add_argument("server_port", type=int)
p.add_argument("--drop", default="")
p.add_argument("--dup", default="")
p.add_argument("--swap", default="")
p.add_argument("--rebind-after", type=int, default=0)
p.add_argument("--rebind-after-handshake", action="store_true")
p.add_argument("--seconds", type=float, default=60)
a = p.parse_args()
nums = lambda s: {int(x) for x in s.split(",") if x}
drop, dup, swap = nums(a.drop), nums(a.dup), nums(a.swap)

front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", 0))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 0))
server = ("127.0.0.1", a.server_port)
with open(a.portfile + ".tmp", "w") as f:
    f.write("%d\n" % front.getsockname()[1])
import os
os.rename(a.portfile + ".tmp", a.portfile)

client = None
n = 0
held = []
rebound = False
server_done = False
end = time.monotonic() + a.seconds
while time.monotonic() < end:
    r, _, _ = select.select([front, back], [], [], 0.2)
    for s in r:
        data, addr = s.recvfrom(4096)
        n += 1
        if s is front:
            client = addr
            out, dest = back, server
        else:
            if s is not back or client is None:
                continue
            out, dest = front, client
            if data[:1] == b"\x14":
                server_done = True
        want = (a.rebind_after and n > a.rebind_after) or (a.rebind_after_handshake and server_done)
        if want and not rebound and s is front:
            back.close()
            back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            back.bind(("127.0.0.1", 0))
            out = back
            rebound = True
            print("relay: rebound to port %d" % back.getsockname()[1], file=sys.stderr)
        if n in drop:
            print("relay: dropped %d" % n, file=sys.stderr)
            continue
        if n in swap:
            held.append((out, data, dest))
            print("relay: holding %d" % n, file=sys.stderr)
            continue
        for _ in range(2 if n in dup else 1):
            out.sendto(data, dest)
        while held:
            o, d, t = held.pop(0)
            (back if o is not front else front).sendto(d, t)
