# SPDX-License-Identifier: BSD-3-Clause
"""Writes the test capture of examples/simple_firewall (mixed.pcap).

Run with /usr/bin/python3 (Debian's python3-scapy):
    /usr/bin/python3 examples/simple_firewall/mkpcaps.py
Output is deterministic; the capture is committed (about 4 KiB). The flows,
against firewall.rules (rule numbers count rules, not lines):
  10.0.0.1:40000 -> 10.0.0.2:23    tcp  SYN, SYN again           drop   (rule 1)
  10.0.0.1:40001 -> 10.0.0.2:80    tcp  full HTTP exchange       accept (rule 2)
  192.0.2.9:40002 -> 10.0.0.2:80   tcp  SYN, SYN-ACK, data       drop   (rule 3)
  10.0.0.1:5353 -> 10.0.0.53:53    udp  query, response          accept (rule 4)
  10.0.0.1:40005 -> 10.0.0.9:9999  udp  datagram, reply          drop   (rule 5)
  [2001:db8::1]:40006 -> :22       tcp  SSH banners              accept (rule 6)
  10.0.0.1:40008 -> 10.0.0.2:8080  tcp  exchange                 accept (no rule: 0)
  10.0.0.3:40007 -> 10.0.0.2:23    tcp  SYN                      drop   (rule 1)
  ICMP echo                             not TCP/UDP: forwarded, never classified
The flows overlap in time, so accepted and dropped packets interleave.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, http_response, ping, udp_exchange, write_pcap  # noqa: E402

T = 1700000000.0
pk = []
c = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 23, t0=T, step=0.01)
syn = c.handshake()[0]
again = syn.copy()
again.time = syn.time + 1
pk += [syn, again]
c = TcpConversation("10.0.0.1", 40001, "10.0.0.2", 80, t0=T + 0.001, step=0.01)
pk += c.handshake() + c.send_c2s(http_get("example.com")) + c.send_s2c(http_response(b"hello")) + c.close()
c = TcpConversation("192.0.2.9", 40002, "10.0.0.2", 80, t0=T + 0.002, step=0.01)
hs = c.handshake()
pk += hs + c.send_c2s(http_get("inside"))
pk += udp_exchange("10.0.0.1", 5353, "10.0.0.53", 53, b"\x12\x34\x01\x00\x00\x01" + bytes(6), b"\x12\x34\x81\x80" + bytes(8), T + 0.003)
pk += udp_exchange("10.0.0.1", 40005, "10.0.0.9", 9999, b"hello", b"world", T + 0.004)
c = TcpConversation("2001:db8::1", 40006, "2001:db8::2", 22, t0=T + 0.005, step=0.01)
pk += c.handshake() + c.send_s2c(b"SSH-2.0-OpenSSH_9.2\r\n") + c.send_c2s(b"SSH-2.0-mos\r\n") + c.close()
c = TcpConversation("10.0.0.1", 40008, "10.0.0.2", 8080, t0=T + 0.006, step=0.01)
pk += c.handshake() + c.send_c2s(b"hi\n") + c.close()
c = TcpConversation("10.0.0.3", 40007, "10.0.0.2", 23, t0=T + 0.007, step=0.01)
pk += c.handshake()[:1]
pk += ping("10.0.0.1", "10.0.0.2", T + 0.008)
write_pcap(os.path.join(HERE, "mixed.pcap"), pk)
