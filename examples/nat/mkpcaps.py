# SPDX-License-Identifier: BSD-3-Clause
"""Writes the test capture of examples/nat (nat.pcap): what the box receives.

Run with /usr/bin/python3 (Debian's python3-scapy):
    /usr/bin/python3 examples/nat/mkpcaps.py
Output is deterministic; the capture is committed (about 3 KiB). The client's
frames are the inside view (10.0.0.0/8 sources), the server's the outside
view (sent to the external address 192.0.2.1 and the port the NAT gives:
ports are handed out from 20000 upwards per protocol, one worker):
  10.0.0.1:40000 -> 198.51.100.10:80   tcp  HTTP exchange     -> 192.0.2.1:20000
  10.0.0.1:40001 -> 198.51.100.10:443  tcp  open and close    -> 192.0.2.1:20001
  10.0.0.7:5353  -> 198.51.100.53:53   udp  query, response   -> 192.0.2.1:20000
  203.0.113.5:4444 -> 192.0.2.1:20005  tcp  SYN, no mapping: dropped
  203.0.113.5:80   -> 192.0.2.1:20000  tcp  wrong remote for 20000: dropped
  10.0.0.1:40002 -> 10.0.0.2:22        tcp  inside to inside: untouched
  [2001:db8::1]:40003 -> [2001:db8::2]:80  IPv6: untouched
  10.0.0.7:5354 -> 198.51.100.53:53    udp  a datagram in 3 IP fragments: dropped
test_inline.py builds the expected output from the same description.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import (TcpConversation, http_get, http_response, ip_fragments, udp_exchange,  # noqa: E402
                     write_pcap)
from scapy.all import IP, TCP, UDP, Ether  # noqa: E402

EXT = "192.0.2.1"
# (client, client port) -> external port, as the NAT hands them out
MAP = {("10.0.0.1", 40000, 6): 20000, ("10.0.0.1", 40001, 6): 20001, ("10.0.0.7", 5353, 17): 20000}


def outside(p, inside):
    """The server's frame as it arrives from outside: to the external address."""
    q = p.copy()
    l4 = q[TCP] if TCP in q else q[UDP]
    q[IP].dst = EXT
    l4.dport = MAP[(inside, l4.dport, 6 if TCP in q else 17)]
    del q[IP].chksum
    del l4.chksum
    r = Ether(bytes(q))
    r.time = p.time
    return r


def nat_view(pkts, client):
    return [p if p[IP].src == client else outside(p, client) for p in pkts]


T = 1700000000.0
pk = []
c = TcpConversation("10.0.0.1", 40000, "198.51.100.10", 80, t0=T, step=0.01)
pk += nat_view(c.handshake() + c.send_c2s(http_get("example.com"))
               + c.send_s2c(http_response(b"hello from outside")) + c.close(), "10.0.0.1")
c = TcpConversation("10.0.0.1", 40001, "198.51.100.10", 443, t0=T + 0.001, step=0.01)
pk += nat_view(c.handshake() + c.close(), "10.0.0.1")
pk += nat_view(udp_exchange("10.0.0.7", 5353, "198.51.100.53", 53, b"\x00\x01\x01\x00" + bytes(8),
                            b"\x00\x01\x81\x80" + bytes(8), T + 0.002), "10.0.0.7")
c = TcpConversation("203.0.113.5", 4444, EXT, 20005, t0=T + 0.003)
pk += c.handshake()[:1]
c = TcpConversation("203.0.113.5", 80, EXT, 20000, t0=T + 0.004)
pk += [c._pkt(True, "A")]
c = TcpConversation("10.0.0.1", 40002, "10.0.0.2", 22, t0=T + 0.005, step=0.01)
pk += c.handshake() + c.close()
c = TcpConversation("2001:db8::1", 40003, "2001:db8::2", 80, t0=T + 0.006, step=0.01)
pk += c.handshake() + c.close()
big = udp_exchange("10.0.0.7", 5354, "198.51.100.53", 53, bytes(range(256)) * 2, b"", T + 0.007)[0]
pk += ip_fragments(big, 200)
write_pcap(os.path.join(HERE, "nat.pcap"), pk)
