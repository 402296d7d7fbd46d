#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write encap.pcap for the scope_encap directory test (deterministic):
one HTTP connection each carried plain, in a VLAN tag, in QinQ, in PPPoE
and under an MPLS label, plus one connection to port 22 (outside the scope).
Run: /usr/bin/python3 tests/rules/dirs/scope_encap/mkcap.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, http_response, write_pcap  # noqa: E402
from scapy.all import Ether, PPPoE, IP, Raw  # noqa: E402
from scapy.contrib.mpls import MPLS  # noqa: E402


def conn(cport, t0, vlan=None, dport=80):
    c = TcpConversation("10.0.0.1", cport, "10.0.0.2", dport, t0=t0, vlan=vlan)
    return (c.handshake() + c.send_c2s(http_get("example.com", f"/{cport}"))
            + c.send_s2c(http_response(b"ok")) + c.close())


def rewrap(pkts, outer):
    """The same frames with the IP packet carried under @outer."""
    res = []
    for p in pkts:
        q = outer(p) / p[IP]
        q.time = p.time
        res.append(q)
    return res


def main():
    eth = lambda p: Ether(src=p[Ether].src, dst=p[Ether].dst)  # noqa: E731
    pkts = (conn(40000, 1700000000.0)
            + conn(40001, 1700000001.0, vlan=42)
            + conn(40002, 1700000002.0, vlan=[100, 42])
            + rewrap(conn(40003, 1700000003.0), lambda p: eth(p) / PPPoE(sessionid=7) / Raw(b"\x00\x21"))
            + rewrap(conn(40004, 1700000004.0), lambda p: eth(p) / MPLS(label=16, s=1, ttl=64))
            + conn(40005, 1700000005.0, dport=22))
    write_pcap(os.path.join(HERE, "encap.pcap"), pkts)


if __name__ == "__main__":
    main()
