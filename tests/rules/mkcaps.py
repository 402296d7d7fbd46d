#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the captures of the compiled-rule tests (tests/rules/).

rules.pcap, in time order:
  A  10.0.0.1:40000 -> 10.0.0.2:80   handshake, GET, 200 response, the
                                     response segment retransmitted, FIN close
  B  10.0.0.1:40001 -> 10.0.0.2:22   handshake, 3 client data segments, FIN close
  C  10.0.0.3:40002 -> 10.0.0.2:23   handshake, 1 client segment, client RST
  D  10.0.0.1:5353  -> 10.0.0.9:53   UDP query and answer
  E  [2001:db8::1]:40003 -> [2001:db8::2]:443  handshake, 2000-byte client
                                     segment, FIN close
orphans.pcap: 10.0.0.5:41000 -> 10.0.0.2:80 without its handshake (a GET,
  the response, the client's ACK), then a full handshake 10.0.0.5:41001 -> :80
Usage: mkcaps.py OUTDIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcapkit import TcpConversation, udp_exchange, http_get, http_response, write_pcap, duplicate  # noqa: E402


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    a = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=1700000000.0)
    pa = a.handshake() + a.send_c2s(http_get("example.com", "/index.html")) \
        + a.send_s2c(http_response(b"hello world")) + a.close()
    pa = duplicate(pa, 5)        # the response again: a retransmission
    b = TcpConversation("10.0.0.1", 40001, "10.0.0.2", 22, t0=1700000001.0)
    pb = b.handshake() + b.send_c2s(b"SSH-2.0-one\r\n") + b.send_c2s(b"two") \
        + b.send_c2s(b"three") + b.close()
    c = TcpConversation("10.0.0.3", 40002, "10.0.0.2", 23, t0=1700000002.0)
    pc = c.handshake() + c.send_c2s(b"login: root\r\n") + c.reset(c2s=True)
    pd = udp_exchange("10.0.0.1", 5353, "10.0.0.9", 53, b"\x12\x34query", b"\x12\x34answer",
                      t0=1700000003.0)
    e = TcpConversation("2001:db8::1", 40003, "2001:db8::2", 443, t0=1700000004.0)
    pe = e.handshake() + e.send_c2s(b"x" * 2000) + e.close()
    write_pcap(os.path.join(out, "rules.pcap"), pa + pb + pc + pd + pe)
    m = TcpConversation("10.0.0.5", 41000, "10.0.0.2", 80, t0=1700000010.0)
    m.handshake()                # advances the sequence numbers; not written
    pm = m.send_c2s(http_get("example.com")) + m.send_s2c(http_response(b"late"))
    f = TcpConversation("10.0.0.5", 41001, "10.0.0.2", 80, t0=1700000011.0)
    write_pcap(os.path.join(out, "orphans.pcap"), pm + f.handshake() + f.close())


if __name__ == "__main__":
    main()
