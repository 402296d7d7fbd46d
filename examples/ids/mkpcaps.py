# SPDX-License-Identifier: BSD-3-Clause
"""Writes the test captures of examples/ids (ids.mos test blocks, ids.rules).

Run with /usr/bin/python3 (Debian's python3-scapy):
    /usr/bin/python3 examples/ids/mkpcaps.py
Output is deterministic; the captures are committed (about 1 KiB each).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, http_response, reorder, write_pcap  # noqa: E402


def out(name):
    return os.path.join(HERE, name)


# "/etc/passwd" cut across three segments: "GET /et" | "c/pas" | "swd ..."
req = b"GET /etc/passwd HTTP/1.1\r\nHost: victim\r\n\r\n"
c = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=1700000000.0)
write_pcap(out("split.pcap"), c.handshake() + c.send_c2s(req, segment=7)
           + c.send_s2c(http_response(b"\x7fELF\x02\x01\x01 binary", ctype="application/x-elf"))
           + c.close())

# the same request in three segments sent last-first; two matches of
# "cmd.exe" in another case, one of them cut by a segment boundary
c = TcpConversation("10.0.0.3", 40001, "10.0.0.2", 80, t0=1700000001.0)
hs = c.handshake()
body = req + b"POST /x HTTP/1.1\r\nContent-Length: 22\r\n\r\nrun Cmd.Exe then cmd.e"
segs = c.segments(True, body, 40)
tail = c.segments(True, b"xe", 40)
write_pcap(out("ooo.pcap"), hs + reorder(segs, list(range(len(segs)))[::-1]) + tail
           + c.ack(False) + c.close())

# traffic no rule matches: a harmless request, and "/etc/passwd" sent by the
# server (rule 1001 is client -> server only), on port 8080 too
c = TcpConversation("10.0.0.4", 40002, "10.0.0.2", 80, t0=1700000002.0)
d = TcpConversation("10.0.0.4", 40003, "10.0.0.2", 8080, t0=1700000003.0)
write_pcap(out("clean.pcap"), c.handshake() + c.send_c2s(http_get("example.com", "/index.html"))
           + c.send_s2c(http_response(b"see /etc/passwd")) + c.close()
           + d.handshake() + d.send_c2s(req) + d.close())

# IRC in both directions matches the '<>' rule from either side
c = TcpConversation("10.0.0.5", 40004, "192.0.2.7", 6667, t0=1700000004.0)
write_pcap(out("irc.pcap"), c.handshake() + c.send_c2s(b"NICK mos\r\nUSER mos 0 * :m\r\n")
           + c.send_s2c(b":srv NICK  x\r\n:srv 001 mos :hi\r\n") + c.close())
