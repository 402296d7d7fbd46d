# SPDX-License-Identifier: BSD-3-Clause
"""Writes the captures of the mosc test fixtures (tests/compiler/testrun/).

Run with /usr/bin/python3 (Debian's python3-scapy) from any directory:
    /usr/bin/python3 tests/compiler/testrun/mkcaps.py
Output is deterministic; the captures are committed (about 1 KiB each).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, http_response, write_pcap  # noqa: E402


def keepalive(t0=1700000000.0, client="10.0.0.1", cport=40000):
    """One connection, two GETs answered on it, then FIN both ways."""
    conv = TcpConversation(client, cport, "10.0.0.2", 80, t0=t0)
    return (conv.handshake()
            + conv.send_c2s(http_get("example.com", "/a")) + conv.send_s2c(http_response(b"hi"))
            + conv.send_c2s(http_get("example.com", "/b")) + conv.send_s2c(http_response(b"ho"))
            + conv.close())


def single(t0=1700000100.0, client="10.0.0.3", cport=40001):
    """One connection with one GET."""
    conv = TcpConversation(client, cport, "10.0.0.2", 80, t0=t0)
    return (conv.handshake() + conv.send_c2s(http_get("example.org", "/index.html"))
            + conv.send_s2c(http_response(b"<p>x</p>")) + conv.close())


def main():
    out = {
        "blocks/web.pcap": keepalive(),
        "dirs/basic/web.pcap": keepalive(),
        "dirs/split/a.pcap": keepalive(),
        "dirs/split/b.pcap": single(),
        "example/keepalive.pcap": keepalive(),
        "example/single.pcap": single(),
        "e2e_dir/a.pcap": keepalive(),
        "e2e_dir/b.pcap": single(),
    }
    for rel, pkts in out.items():
        write_pcap(os.path.join(HERE, rel), pkts)


if __name__ == "__main__":
    main()
