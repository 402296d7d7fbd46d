#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write examples/data/demo.pcap: the small capture `make demo` runs on.

Three HTTP connections (IPv4, IPv6, and one VLAN-tagged with two requests
on one connection), a DNS query over UDP and an ICMP ping.
Usage: tools/mkdemo.py OUT.pcap
"""
import sys

from scapy.all import DNS, DNSQR, DNSRR

from pcapkit import (TcpConversation, http_get, http_response, ping,
                     udp_exchange, write_pcap)

T0 = 1700000000.0


def main(out):
    pkts = []
    a = TcpConversation("192.0.2.10", 40001, "198.51.100.80", 80, t0=T0)
    pkts += a.handshake() + a.send_c2s(http_get("example.com", "/index.html")) \
        + a.send_s2c(http_response(b"<html>hello</html>\n")) + a.close()

    b = TcpConversation("2001:db8::10", 40002, "2001:db8::80", 80, t0=T0 + 0.5)
    pkts += b.handshake() + b.send_c2s(http_get("ipv6.example.org", "/")) \
        + b.send_s2c(http_response(b"x" * 3000), ) + b.close()

    c = TcpConversation("192.0.2.11", 40003, "198.51.100.80", 80, t0=T0 + 1.0, vlan=42)
    pkts += c.handshake() + c.send_c2s(http_get("example.com", "/a")) \
        + c.send_s2c(http_response(b"first")) \
        + c.send_c2s(http_get("example.com", "/b")) \
        + c.send_s2c(http_response(b"second")) + c.reset()

    dns_q = bytes(DNS(id=0x1234, rd=1, qd=DNSQR(qname="example.com")))
    dns_r = bytes(DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.com"),
                      an=DNSRR(rrname="example.com", ttl=300, rdata="198.51.100.80")))
    pkts += udp_exchange("192.0.2.10", 53000, "192.0.2.53", 53, dns_q, dns_r, T0 + 0.2)
    pkts += ping("192.0.2.10", "198.51.100.80", T0 + 0.3)
    write_pcap(out, pkts)


if __name__ == "__main__":
    main(sys.argv[1])
