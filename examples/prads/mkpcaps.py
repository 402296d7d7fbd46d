#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the captures of examples/prads/prads.mos's tests (run from any
directory: /usr/bin/python3 examples/prads/mkpcaps.py). Deterministic."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import (TcpConversation, IP, TCP, Ether, http_get, http_response,  # noqa: E402
                     udp_exchange, write_pcap)

T0 = 1700000000.0


def handshake(conv, syn_opts, synack_opts, ttl_c, ttl_s, win_c, win_s):
    """A handshake with chosen options, TTLs and windows (DF set, IP id 1)."""
    out = conv.handshake()
    for p, opts, ttl, win in ((out[0], syn_opts, ttl_c, win_c), (out[1], synack_opts, ttl_s, win_s)):
        p[TCP].options = opts
        p[TCP].window = win
        p[IP].ttl = ttl
        p[IP].flags = "DF"
        p[IP].id = 1
        del p[IP].len, p[IP].chksum, p[TCP].dataofs, p[TCP].chksum
    return out


LINUX = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]
WINDOWS = [("MSS", 1460), ("NOP", None), ("WScale", 8), ("NOP", None), ("NOP", None), ("SAckOK", b"")]

# assets.pcap
# 1. A Linux client (TTL 61: 3 hops) fetches a page from a Windows server
#    (TTL 128) on port 80: both OS lines, an http service and an http client.
a = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=T0)
p = handshake(a, LINUX, WINDOWS, 61, 128, 5840, 8192)
p += a.send_c2s(b"GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8.0\r\n\r\n")
p += a.send_s2c(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 2\r\n\r\nhi") + a.close()
# 2. A second connection to the same server: nothing new to report.
b = TcpConversation("10.0.0.1", 40001, "10.0.0.2", 80, t0=T0 + 1)
p += handshake(b, LINUX, WINDOWS, 61, 128, 5840, 8192)
p += b.send_c2s(http_get("h", "/b", "curl/8.0")) + b.send_s2c(http_response(b"x")) + b.close()
# 3. An SSH server on a port of its own: the banner names it.
c = TcpConversation("10.0.0.3", 40002, "10.0.0.4", 2222, t0=T0 + 2)
p += c.handshake() + c.send_s2c(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
p += c.send_c2s(b"SSH-2.0-PuTTY_Release_0.78\r\n") + c.close()
# 4. Port 443 with no recognised banner (application data): the port's name.
d = TcpConversation("10.0.0.5", 40003, "10.0.0.6", 443, t0=T0 + 3)
p += d.handshake() + d.send_s2c(b"\x17\x03\x03\x00\x20" + b"\x00" * 32) + d.close()
# 5. A binary protocol on an unknown port, and 4 bytes on port 80: no asset.
e = TcpConversation("10.0.0.7", 40004, "10.0.0.8", 5555, t0=T0 + 4)
p += e.handshake() + e.send_s2c(b"\x00\x01" * 20) + e.close()
f = TcpConversation("10.0.0.9", 40005, "10.0.0.10", 80, t0=T0 + 5)
p += f.handshake() + f.send_s2c(b"hey\n") + f.close()
# 6. DNS over UDP: a client of port 53 and the server that answered.
p += udp_exchange("10.0.0.11", 50000, "10.0.0.53", 53,
                  b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01",
                  b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01"
                  b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01", T0 + 6)
write_pcap(os.path.join(HERE, "assets.pcap"), p)
