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
ICMP errors sent to the external address, quoting what the NAT sent out:
  203.0.113.1 -> 192.0.2.1  fragmentation needed (MTU 1400), quoting 28 bytes of the
                            request of 40000 (192.0.2.1:20000 -> 198.51.100.10:80): translated
  203.0.113.1 -> 192.0.2.1  time exceeded, quoting that whole segment: translated
  198.51.100.53 -> 192.0.2.1 port unreachable, quoting the whole DNS query of 5353: translated
  203.0.113.1 -> 192.0.2.1  port unreachable quoting 192.0.2.1:20007, no mapping: dropped
  10.0.0.7 -> 198.51.100.53  port unreachable quoting the DNS response as received: leaves
                             from 192.0.2.1, quoting it as sent to 192.0.2.1:20000
  10.0.0.1 -> 198.51.100.99  port unreachable about a packet of no mapping: dropped
Pings (ICMP echo identifiers are mapped like ports, from 20000 upwards):
  10.0.0.1 id 0x0777 -> 198.51.100.10  two requests and their replies -> 192.0.2.1 id 20000
  203.0.113.1 -> 192.0.2.1  time exceeded quoting the first request as sent out: translated
  198.51.100.10 -> 192.0.2.1 echo reply to id 20005, no mapping: dropped
  10.0.0.1 -> 10.0.0.2      ICMP echo, inside to inside: untouched
From the inside, what cannot be translated:
  10.0.0.1 -> 198.51.100.10 GRE: dropped
test_inline.py builds the expected output from the same description.
"""
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import (TcpConversation, http_get, http_response, ip_fragments, ping,  # noqa: E402
                     udp_exchange, write_pcap)
from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw  # noqa: E402

EXT = "192.0.2.1"
OUT_MAC, IN_MAC = "02:00:00:00:00:02", "02:00:00:00:00:01"  # frames built here (no MAC lookup)
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


def sent_out(p):
    """A client frame as the NAT sends it out: from the external address and port."""
    q = p.copy()
    l4 = q[TCP] if TCP in q else q[UDP]
    q[IP].src = EXT
    l4.sport = MAP[(p[IP].src, l4.sport, 6 if TCP in q else 17)]
    del q[IP].chksum
    del l4.chksum
    return IP(bytes(q[IP]))


def inet_csum(b):
    b = b + b"\0" * (len(b) % 2)
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def icmp_error(src, kind, code, rest, quote, t, dst=EXT):
    """An ICMP error from @src to @dst quoting @quote (bytes)."""
    msg = bytes([kind, code, 0, 0]) + rest + quote
    msg = msg[:2] + inet_csum(msg).to_bytes(2, "big") + msg[4:]
    p = Ether(src=OUT_MAC, dst=IN_MAC) / IP(src=src, dst=dst, proto=1, id=0) / Raw(load=msg)
    p.time = t
    return p


T = 1700000000.0
pk = []
c = TcpConversation("10.0.0.1", 40000, "198.51.100.10", 80, t0=T, step=0.01)
hs, req = c.handshake(), c.send_c2s(http_get("example.com"))
seg = sent_out(req[0])
pk += nat_view(hs + req + c.send_s2c(http_response(b"hello from outside")) + c.close(), "10.0.0.1")
pk.append(icmp_error("203.0.113.1", 3, 4, (1400).to_bytes(4, "big"), bytes(seg)[:28], req[0].time + Decimal("0.001")))
pk.append(icmp_error("203.0.113.1", 11, 0, bytes(4), bytes(seg), req[0].time + Decimal("0.002")))
c = TcpConversation("10.0.0.1", 40001, "198.51.100.10", 443, t0=T + 0.001, step=0.01)
pk += nat_view(c.handshake() + c.close(), "10.0.0.1")
dns = udp_exchange("10.0.0.7", 5353, "198.51.100.53", 53, b"\x00\x01\x01\x00" + bytes(8),
                   b"\x00\x01\x81\x80" + bytes(8), T + 0.002)
pk += nat_view(dns, "10.0.0.7")
pk.append(icmp_error("198.51.100.53", 3, 3, bytes(4), bytes(sent_out(dns[0])), dns[1].time + Decimal("0.001")))
stray = IP(src=EXT, dst="198.51.100.10", id=0) / TCP(sport=20007, dport=80, flags="S")
pk.append(icmp_error("203.0.113.1", 3, 3, bytes(4), bytes(stray)[:28], dns[1].time + Decimal("0.002")))
# the client, its socket closed, refuses the response as it received it
pk.append(icmp_error("10.0.0.7", 3, 3, bytes(4), bytes(dns[1][IP]), dns[1].time + Decimal("0.003"),
                     dst="198.51.100.53"))
odd = IP(src="198.51.100.99", dst="10.0.0.1", id=0) / UDP(sport=7, dport=9999)
pk.append(icmp_error("10.0.0.1", 3, 3, bytes(4), bytes(odd), dns[1].time + Decimal("0.004"),
                     dst="198.51.100.99"))
for seq in (1, 2):
    req, rep = ping("10.0.0.1", "198.51.100.10", T + 0.0080 + seq * 0.0001, ident=0x777, seq=seq)
    out = IP(bytes(req[IP]))
    out.src, out[ICMP].id = EXT, 20000
    del out.chksum, out[ICMP].chksum
    rep[IP].dst, rep[ICMP].id = EXT, 20000
    del rep[IP].chksum, rep[ICMP].chksum
    pk += [req, Ether(bytes(rep))]
    pk[-1].time = req.time + Decimal("0.00005")
    if seq == 1:
        pk.append(icmp_error("203.0.113.1", 11, 0, bytes(4), bytes(IP(bytes(out))), req.time + Decimal("0.00002")))
stray = ping("198.51.100.10", EXT, T + 0.0084, ident=20005)[0]
stray[ICMP].type = 0
pk.append(stray)
gre = Ether(src=OUT_MAC, dst=IN_MAC) / IP(src="10.0.0.1", dst="198.51.100.10", proto=47, id=0) / Raw(load=bytes(4) + b"\x08\x00")
gre.time = Decimal(str(T + 0.0085))
pk.append(gre)
pk += ping("10.0.0.1", "10.0.0.2", T + 0.0086)
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
