# SPDX-License-Identifier: BSD-3-Clause
"""Writes the test captures of examples/ndpi (ndpi.mos test blocks).

Run with /usr/bin/python3 (Debian's python3-scapy):
    /usr/bin/python3 examples/ndpi/mkpcaps.py
Output is deterministic; the captures are committed (a few hundred bytes each).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import (TcpConversation, http_get, http_response, tls_client_hello,  # noqa: E402
                     tls_server_hello, udp_exchange, write_pcap)
from scapy.all import DNS, DNSQR, DNSRR  # noqa: E402


def out(name):
    return os.path.join(HERE, name)


def http_google(t0):
    """A GET for www.google.com: nDPI says HTTP.Google."""
    c = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=t0)
    return (c.handshake() + c.send_c2s(http_get("www.google.com", "/search?q=mos"))
            + c.send_s2c(http_response(b"results")) + c.close())


def tls_facebook(t0):
    """A TLS handshake for www.facebook.com, ClientHello in two segments."""
    c = TcpConversation("10.0.0.3", 40001, "10.0.0.4", 443, t0=t0)
    return (c.handshake() + c.send_c2s(tls_client_hello("www.facebook.com"), segment=60)
            + c.send_s2c(tls_server_hello()) + c.close())


def dns_query(t0):
    """A DNS query and answer on UDP port 53."""
    q = DNS(id=7, rd=1, qd=DNSQR(qname="www.wikipedia.org"))
    r = DNS(id=7, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.wikipedia.org"),
            an=DNSRR(rrname="www.wikipedia.org", rdata="198.35.26.96"))
    return udp_exchange("10.0.0.5", 50000, "10.0.0.53", 53, bytes(q), bytes(r), t0)


def opaque(t0):
    """Bytes nobody's protocol on an unassigned port: Unknown."""
    c = TcpConversation("10.0.0.7", 40002, "10.0.0.8", 31337, t0=t0)
    return (c.handshake() + c.send_c2s(bytes(range(7, 247, 3))) + c.send_s2c(b"\x00\x9f" * 20)
            + c.close())


write_pcap(out("mixed.pcap"), http_google(1700000000.0) + tls_facebook(1700000001.0)
           + dns_query(1700000002.0) + opaque(1700000003.0))
# the HTTP flow without its handshake: picked up midstream
write_pcap(out("midstream.pcap"), http_google(1700000000.0)[3:])
