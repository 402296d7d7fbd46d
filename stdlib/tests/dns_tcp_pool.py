#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""More open DNS-over-TCP connections than the dns module has TCP states
(MOS_STDLIB_DNS_TCP_FLOWS, 16384): each of the first 16384 gets its query
event; each one beyond is reported once as dns.malformed with error
"no_state" (not once per try), and the run ends normally.

usage: dns_tcp_pool.py MOSC"""
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile

STATES = 16384
N = STATES + 20
T0 = 1700000000

PROGRAM = """import dns
monitor m scope "port 53" {
    on dns.query { emit q { client: flow.client, id: dns.id } }
    on dns.malformed { emit bad { client: flow.client, error: dns.error } }
}
"""


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0, 64, 6, 0,
                     bytes(src), bytes(dst))
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp + payload


def query(ident):
    msg = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + b"\x01a\x07example\x03com\x00" + \
        struct.pack("!HH", 1, 1)
    return struct.pack("!H", len(msg)) + msg


def main():
    mosc = sys.argv[1]
    srv = [10, 53, 0, 1]
    recs = []
    for i in range(N):
        cli, port = [10, 1 + i // 60000, (i // 250) % 240, 1 + i % 250], 40000 + i % 20000
        q = query(i & 0xffff)
        recs += [frame(cli, srv, port, 53, 999, 0, 0x02), frame(srv, cli, 53, port, 4999, 1000, 0x12),
                 frame(cli, srv, port, 53, 1000, 5000, 0x10),
                 frame(cli, srv, port, 53, 1000, 5000, 0x18, q),
                 frame(srv, cli, 53, port, 5000, 1000 + len(q), 0x10)]
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "many.pcap")
        with open(pcap, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for k, fr in enumerate(recs):
                f.write(struct.pack("<IIII", T0 + k // 100000, k % 100000 * 10, len(fr), len(fr)) + fr)
        src, prog = os.path.join(tmp, "p.mos"), os.path.join(tmp, "p")
        open(src, "w").write(PROGRAM)
        subprocess.run([mosc, "build", src, "-o", prog], check=True)
        # a module that reported no_state again and again would write
        # without end: its records go to a file capped at 64 MiB
        cap = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))  # noqa: E731
        with open(os.path.join(tmp, "out"), "w") as f:
            run = subprocess.run([prog, "-q", "-r", pcap], stdout=f, stderr=subprocess.PIPE,
                                 text=True, timeout=300, preexec_fn=cap)
        out, cut = [], 0
        for line in open(os.path.join(tmp, "out")):
            try:
                out.append(json.loads(line))
            except ValueError:
                cut += 1       # the last line of a capped file
    queries = sum(1 for r in out if r["record"] == "q")
    bad = [r for r in out if r["record"] == "bad"]
    print("%d connections: %d queries, %d malformed (%s), exit %d"
          % (N, queries, len(bad), sorted({r["error"] for r in bad}), run.returncode))
    ok = (run.returncode == 0 and cut == 0 and queries == STATES and len(bad) == N - STATES and
          all(r["error"] == "no_state" for r in bad) and len({r["client"] for r in bad}) == len(bad))
    if not ok:
        print(run.stderr[:500])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
