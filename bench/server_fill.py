#!/usr/bin/env python3
"""Fills an otakitd with a product, DEVICES devices and VERSIONS firmware
versions through its API (one keep-alive connection), for bench/server.sh
and the load test.  Version VERSIONS is BIG bytes, the others 3000.
Usage: server_fill.py URL TOKEN OTAKIT WORKDIR DEVICES VERSIONS BIG"""
import http.client
import os
import subprocess
import sys
import urllib.parse

url, token, otakit, work = sys.argv[1:5]
ndev, nver, big = (int(x) for x in sys.argv[5:8])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
auth = {"Authorization": "Bearer " + token}


def call(method, path, body=b"", headers=None):
    h = dict(auth)
    h.update(headers or {})
    conn.request(method, path, body, h)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
    return data


call("POST", "/v1/products", b"name=Bench&platform_id=32&id=1234",
     {"Content-Type": "application/x-www-form-urlencoded"})
for i in range(ndev):
    call("POST", "/v1/products/1234/devices", f"id={i:024x}".encode(),
         {"Content-Type": "application/x-www-form-urlencoded"})
small = os.path.join(work, "small.body")
large = os.path.join(work, "large.body")
with open(small, "wb") as f:
    f.write(os.urandom(3000))
with open(large, "wb") as f:
    f.write(os.urandom(big))
for v in range(1, nver + 1):
    out = os.path.join(work, f"fw{v}.bin")
    subprocess.run([otakit, "binary", "create", large if v == nver else small, "--platform",
                    "p2", "--product", f"1234:{v}", "-o", out, "-f"], check=True,
                   stdout=subprocess.DEVNULL)
    data = open(out, "rb").read()
    if v != nver:
        os.unlink(out)
    b = "otkbenchboundary"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n{v}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nv{v}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fw{v}.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{b}--\r\n".encode()
    call("POST", "/v1/products/1234/firmware", body,
         {"Content-Type": f"multipart/form-data; boundary={b}"})
print(os.path.join(work, f"fw{nver}.bin"))
