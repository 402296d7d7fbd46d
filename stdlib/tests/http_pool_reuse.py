#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""More HTTP connections within the 60 s linger of FIN-closed connections
than the http module has parser states (MOS_STDLIB_HTTP_FLOWS, 4096): every
request and response must be an event, because a state is given back as
soon as both directions ended and were read, not at conn_end (60 s after a
FIN close).

usage: http_pool_reuse.py MOSC HTTPLOG_MOS [-I DIR] (examples/httplog/httplog.mos,
built with MOSC into a temporary directory; -I DIR to try another http module).
The capture is written here with struct (scapy would take 30 s for it)."""
import json
import os
import struct
import subprocess
import sys
import tempfile

N = 4500


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """Ethernet + IPv4 + TCP (no options) with correct checksums."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp


def conversation(i, t0):
    """One connection: handshake, GET, 200 with a 2-byte body, FIN both ways."""
    c, s = bytes([10, i // 250, i % 250, 1]), bytes([10, 98, 0, 2])
    cp, sp = 40000 + i % 20000, 80
    req = ("GET /%d HTTP/1.1\r\nHost: h%d.example\r\n\r\n" % (i, i)).encode()
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    a, b = 1000, 5000
    seq = [(True, a, 0, 0x02, b""), (False, b, a + 1, 0x12, b""), (True, a + 1, b + 1, 0x10, b""),
           (True, a + 1, b + 1, 0x18, req), (False, b + 1, a + 1 + len(req), 0x10, b""),
           (False, b + 1, a + 1 + len(req), 0x18, resp),
           (True, a + 1 + len(req), b + 1 + len(resp), 0x10, b""),
           (True, a + 1 + len(req), b + 1 + len(resp), 0x11, b""),
           (False, b + 1 + len(resp), a + 2 + len(req), 0x11, b""),
           (True, a + 2 + len(req), b + 2 + len(resp), 0x10, b"")]
    out = []
    for k, (c2s, sq, ak, fl, pl) in enumerate(seq):
        f = frame(c, s, cp, sp, sq, ak, fl, pl) if c2s else frame(s, c, sp, cp, sq, ak, fl, pl)
        out.append((t0 + k * 1000, f))
    return out


def write_pcap(path):
    """N connections 5 ms apart (all within 23 s, inside the 60 s linger)."""
    frames = []
    for i in range(N):
        frames += conversation(i, 1700000000 * 1000000 + i * 5000)
    frames.sort(key=lambda x: x[0])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for us, fr in frames:
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)) + fr)


def main():
    mosc, source = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "httplog")
        subprocess.run([mosc, "build"] + sys.argv[3:] + [source, "-o", prog], check=True)
        pcap = os.path.join(tmp, "http_many.pcap")
        write_pcap(pcap)
        stats = os.path.join(tmp, "stats.json")
        out = subprocess.run([prog, "-r", pcap, "--stats", stats], capture_output=True,
                             text=True, check=True).stdout
        recs = [json.loads(line) for line in out.splitlines()]
        ev = json.load(open(stats))["events"]
    hosts = {r["host"] for r in recs if r["record"] == "http_request"}
    resp = sum(1 for r in recs if r["record"] == "http_response")
    print("%d connections: %d distinct request hosts, %d responses, http.malformed %d"
          % (N, len(hosts), resp, ev["http.malformed"]))
    return 0 if len(hosts) == N and resp == N and ev["http.malformed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
