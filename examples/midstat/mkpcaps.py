#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the captures of examples/midstat/midstat.mos's tests (run from any
directory: /usr/bin/python3 examples/midstat/mkpcaps.py). Deterministic."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, http_response, write_pcap  # noqa: E402

T0 = 1700000000.0

# One HTTP exchange closed with FINs from both sides.
a = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=T0)
write_pcap(os.path.join(HERE, "close.pcap"),
           a.handshake() + a.send_c2s(http_get("example.com")) + a.send_s2c(http_response(b"hi"))
           + a.close())

# Two overlapping connections: one reset by the server, one that stays
# open at the end of the capture; and a connection whose handshake was not
# captured (not in the table: midstat, like mOS's, starts rows at the SYN).
b = TcpConversation("10.0.0.3", 40001, "10.0.0.4", 443, t0=T0)
c = TcpConversation("10.0.0.5", 40002, "10.0.0.4", 22, t0=T0 + 0.0005)
d = TcpConversation("10.0.0.6", 40003, "10.0.0.7", 25, t0=T0 + 0.2)
d.handshake()
pkts = b.handshake() + c.handshake() + b.send_c2s(b"x" * 100) + c.send_s2c(b"SSH-2.0-x\r\n")
pkts += b.reset(c2s=False) + d.send_c2s(b"EHLO a\r\n")
pkts.sort(key=lambda p: p.time)
write_pcap(os.path.join(HERE, "mixed.pcap"), pkts)
