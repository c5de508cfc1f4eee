#!/usr/bin/env python3
"""Writes the seed corpus for fuzz/fuzz_module.c: small modules of every
layout the parser knows (vector table offsets, prefix and suffix
extensions, compressed, combined, asset), built from scratch here."""
import hashlib
import os
import struct
import sys
import zlib

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fuzz", "corpus", "module")
os.makedirs(out, exist_ok=True)


def ext(t, body):
    return struct.pack("<HH", t, 4 + len(body)) + body


def seal(b):
    b = bytearray(b)
    b[-38:-6] = hashlib.sha256(bytes(b[:-38])).digest()
    b[-4:] = struct.pack(">I", zlib.crc32(bytes(b[:-4])))
    return bytes(b)


def module(start, func, plat, body, head=b"", pext=b"", sext=b"", product=None, flags=0,
           index=1, version=6, dep=(4, 1, 5500), dep2=(0, 0, 0)):
    if pext:
        flags |= 0x10
    suffix = sext + (struct.pack("<HH", *product) if product else b"")
    size = len(head) + 24 + len(pext) + len(body) + len(suffix) + 36 + 4
    prefix = struct.pack("<IIBBHHBBBBHBBH", start, start + size - 4, 0, flags, version, plat,
                         func, index, *dep, *dep2)
    b = head + prefix + pext + body + suffix + struct.pack("<H", 0) + bytes(32) + \
        struct.pack("<H", len(suffix) + 36) + bytes(4)
    return seal(b)


body = bytes((i * 7 + 3) & 0xFF for i in range(300))
sha = hashlib.sha256(b"asset").digest()
seeds = {
    "user-gen3.bin": module(0xB4000, 5, 12, body, product=(12, 3), index=2),
    "user-gen2-nosuffix.bin": module(0x80A0000, 5, 6, body, dep=(4, 2, 1)),
    "system-vector.bin": module(0x30000, 4, 26, body, head=struct.pack("<I", 0x20040000) + bytes(0x1FC),
                                product=(0xFFFF, 0xFFFF), dep=(2, 0, 1006)),
    "user-assets.bin": module(0xB4000, 5, 26, body, index=2, product=(26, 3),
                              sext=ext(0x12, b"\0\x20" + sha + b"a.txt") + ext(0, b"")),
    "user-p2-pext.bin": module(0x85F4000, 5, 32, body, pext=ext(0x12, b"\0\x20" + sha + b"b") + ext(0, b"\0"),
                               sext=ext(2, struct.pack("<III", 0x85F4000, 0x85F4100, 0x23F51F8)) +
                               ext(1, struct.pack("<HHH", 0xFFFF, 32, 4))),
    "bootloader-protected.bin": module(0xF4000, 2, 26, body, index=0, dep=(0, 0, 0),
                                       sext=ext(0x13, b"\x01") + ext(0, b""), product=(0, 0)),
}
# an asset module, compressed
raw = b"hello asset " * 40
comp = zlib.compressobj(6, zlib.DEFLATED, -15)
data = comp.compress(raw) + comp.flush()
hdr = struct.pack("<HBBI", 8, 0, 0, len(raw))
sext = ext(0x10, b"\0\x20" + hashlib.sha256(raw).digest()) + ext(0x11, b"hello.txt") + \
    ext(1, struct.pack("<HHH", 0xFFFF, 0xFFFF, 0xFFFF))
seeds["asset-compressed.bin"] = module(0, 9, 0, hdr + data, sext=sext, flags=0x03, index=0, version=0,
                                       dep=(0, 0, 0))
# a compressed user part (whole module deflated) and a combined pair
orig = seeds["user-gen3.bin"]
comp = zlib.compressobj(6, zlib.DEFLATED, -12)
data = comp.compress(orig) + comp.flush()
seeds["user-compressed-w12.bin"] = module(0xB4000, 5, 12, struct.pack("<HBBI", 8, 0, 12, len(orig)) + data,
                                          product=(12, 3), flags=0x02, index=2)
first = bytearray(seeds["user-gen2-nosuffix.bin"])
first[9] |= 0x04
seeds["combined.bin"] = seal(bytes(first)) + seeds["user-gen3.bin"]
seeds["truncated.bin"] = seeds["user-gen3.bin"][:200]
seeds["zero-length-ext.bin"] = module(0xB4000, 5, 26, body, sext=struct.pack("<HH", 0x12, 0) + bytes(8),
                                      product=(1, 1))
for name, b in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)
print("wrote %d seeds to %s" % (len(seeds), out))
