#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the captures of examples/abacus/abacus.mos's tests (run from any
directory: /usr/bin/python3 examples/abacus/mkpcaps.py). Deterministic."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, http_response, write_pcap  # noqa: E402

T0 = 1700000000.0


def out(name, pkts):
    write_pcap(os.path.join(HERE, name), pkts)


# honest.pcap: a download with one genuine retransmission (same bytes):
# 1000 + 2 bytes down, 500 of them resent, nothing fake.
a = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=T0)
p = a.handshake() + a.send_c2s(http_get("example.com", "/f"))
p += a.send_s2c(b"D" * 1000, segment=500)
p += [a.segment_at(False, 500, b"D" * 500)] + a.ack(True)
p += a.close()
out("honest.pcap", p)

# freeride.pcap: the client tunnels 300 new bytes upstream inside a
# "retransmission" of its request (offset 0), and a server sends a
# 400-byte resend of its first segment with other contents; plus an honest
# flow next to them.
b = TcpConversation("10.0.0.3", 40001, "10.0.0.4", 80, t0=T0 + 1)
req = b"POST /u HTTP/1.1\r\nHost: free.example\r\nContent-Length: 282\r\n\r\n" + b"p" * 282
p = b.handshake() + b.send_c2s(req) + b.send_s2c(http_response(b"ok"))
p += [b.segment_at(True, 0, b"T" * 300)] + b.ack(False) + b.close()
c = TcpConversation("10.0.0.5", 40002, "10.0.0.6", 8080, t0=T0 + 2)
p += c.handshake() + c.send_c2s(b"GET /v HTTP/1.1\r\n\r\n") + c.send_s2c(b"V" * 800, segment=400)
p += [c.segment_at(False, 0, b"W" * 400)] + c.ack(True) + c.close()
d = TcpConversation("10.0.0.7", 40003, "10.0.0.2", 80, t0=T0 + 3)
p += d.handshake() + d.send_c2s(http_get("example.com")) + d.send_s2c(http_response(b"x" * 50)) + d.close()
out("freeride.pcap", p)
