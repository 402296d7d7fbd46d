#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the captures of stdlib/tests/tcp_anomalies.mos (run from any
directory: /usr/bin/python3 stdlib/tests/mktcp.py). Deterministic."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, TCP, UDP, IP, Ether, Raw, write_pcap  # noqa: E402

T0 = 1700000000.0


def out(name, pkts):
    write_pcap(os.path.join(HERE, name), pkts)


def rexmit():
    # A: a genuine retransmission (same bytes), then a fake one (other bytes).
    a = TcpConversation("10.0.0.1", 40001, "10.0.0.2", 80, t0=T0)
    p = a.handshake() + a.send_c2s(b"A" * 100)
    p += [a.segment_at(True, 0, b"A" * 100), a.segment_at(True, 0, b"B" * 60 + b"A" * 40)]
    p += a.ack(False) + a.close()
    # B: two out-of-order segments on the same bytes, different contents.
    b = TcpConversation("10.0.0.3", 40002, "10.0.0.2", 80, t0=T0 + 1)
    p += b.handshake()
    p += [b.segment_at(True, 10, b"X" * 10), b.segment_at(True, 10, b"Y" * 10),
          b.segment_at(True, 0, b"Z" * 10)]
    b.seq_c += 20
    p += b.ack(False) + b.close()
    out("tcp_rexmit.pcap", p)


def window():
    # The server offers 8 << 7 = 1024 bytes; the client fills them; the
    # server closes its window, then opens it again.
    c = TcpConversation("10.0.0.4", 40003, "10.0.0.2", 80, t0=T0)
    p = c.handshake()
    w = c.ack(False)
    w[0][TCP].window = 8
    p += w + c.segments(True, b"D" * 1024, 1024)
    z = c.ack(False)
    z[0][TCP].window = 0
    o = c.ack(False)
    o[0][TCP].window = 4
    p += z + o + c.segments(True, b"E" * 100, 100) + c.ack(False) + c.close()
    out("tcp_window.pcap", p)


def handshake():
    # D: a SYN with 5 bytes of data (as with TCP Fast Open), answered.
    d = TcpConversation("10.0.0.5", 40004, "10.0.0.2", 80, t0=T0)
    syn = d._pkt(True, "S", b"hello")
    d.seq_c += 1 + 5
    sa = d._pkt(False, "SA")
    d.seq_s += 1
    p = [syn, sa] + d.ack(True) + d.close()
    # E: a lone SYN-ACK (no SYN ever seen).
    e = TcpConversation("10.0.0.9", 40005, "10.0.0.2", 80, t0=T0 + 1)
    p += [e._pkt(False, "SA")]
    # F: a SYN, then a SYN with another ISN on the same tuple, answered.
    f = TcpConversation("10.0.0.6", 40006, "10.0.0.2", 80, t0=T0 + 2)
    p += [f._pkt(True, "S")]
    f.isn_c = f.seq_c = 7777
    p += f.handshake() + f.close()
    out("tcp_handshake.pcap", p)


def halfopen():
    # G: a SYN sent twice, never answered.
    g = TcpConversation("10.0.0.20", 40010, "10.0.0.2", 81, t0=T0)
    p = [g._pkt(True, "S"), g._pkt(True, "S")]
    # H: the server stops answering; the client retransmits into the void.
    h = TcpConversation("10.0.0.21", 40011, "10.0.0.2", 80, t0=T0 + 1)
    p += h.handshake() + h.send_c2s(b"req1")
    lost = h.segments(True, b"req2", 4)
    p += lost + [h.segment_at(True, 4, b"req2"), h.segment_at(True, 4, b"req2")]
    # I: the client closes, the server acknowledges and never closes.
    i = TcpConversation("10.0.0.22", 40012, "10.0.0.2", 80, t0=T0 + 2)
    p += i.handshake() + i.send_c2s(b"bye") + [i._pkt(True, "FA")]
    i.seq_c += 1
    p += i.ack(False)
    # J: a normal connection (no anomaly).
    j = TcpConversation("10.0.0.23", 40013, "10.0.0.2", 80, t0=T0 + 3)
    p += j.handshake() + j.send_c2s(b"ok") + j.close()
    # 100 s later: one packet moves the clock past the monitors' timeouts.
    late = Ether() / IP(src="10.0.0.99", dst="10.0.0.2") / UDP(sport=5000, dport=5001) / Raw(b"t")
    late.time = T0 + 100
    out("tcp_halfopen.pcap", p + [late])


rexmit()
window()
handshake()
halfopen()
