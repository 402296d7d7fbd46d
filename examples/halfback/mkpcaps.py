# SPDX-License-Identifier: BSD-3-Clause
"""Writes the test capture of examples/halfback (flows.pcap), as the box sees it.

Run with /usr/bin/python3 (Debian's python3-scapy):
    /usr/bin/python3 examples/halfback/mkpcaps.py
Output is deterministic; the capture is committed (about 30 KiB).
  40000: short response, 6 segments of 100 B with TCP timestamps (the
         re-sent copies must carry them); the last one is lost after the
         box (the client never acknowledges it): the client ACKs 2, 4, then 5
         segments; the server's own retransmission of segment 6 comes 200 ms
         later. The box re-sends segment 6 at the first ACK, segment 5 at the
         second, and stops at the third (it covers segment 4).
  40001: long response, 20 segments of 1000 B: not short, nothing re-sent.
  IPv6:  short response, 3 segments, the first ACK covers all: nothing re-sent.
  40003: short response, 4 segments of 500 B, segment 2 lost downstream: three
         ACKs that cover segment 1 only, then the client resets. The box
         re-sends segments 4, 3 and 2, one per ACK; the flow ends before a
         fourth ACK (the record comes from conn_end).
"""
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, write_pcap  # noqa: E402


def response(c, sizes, tag, ts=None):
    """Server segments (no ACK in between) with distinct, recognisable bytes;
    with ts=(TSval, TSecr), each carries NOP NOP Timestamps."""
    out = []
    for i, n in enumerate(sizes):
        body = (f"{tag}-seg{i + 1}-".encode() * 200)[:n]
        opts = [("NOP", None), ("NOP", None), ("Timestamp", ts)] if ts else None
        out.append(c._pkt(False, "PA", body, options=opts))
        c.seq_s += n
    return out


def ack_at(c, nxt):
    """A client ACK acknowledging server bytes up to sequence number nxt."""
    return c._pkt(True, "A", ack=nxt)


pk = []
T = 1700000000.0
# 40000: tail segment lost downstream
c = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=T)
pk += c.handshake() + c.segments(True, http_get("example.com"), 1460)
segs = response(c, [100] * 6, "a", ts=(77000, 12000))
pk += segs
base = c.isn_s + 1
pk += [ack_at(c, base + 200), ack_at(c, base + 400), ack_at(c, base + 500)]
c.t += Decimal("0.2")
rx = segs[5].copy()
rx.time = c.t
c.t += c.step
pk += [rx, ack_at(c, base + 600)] + c.close()

# 40001: long flow
c = TcpConversation("10.0.0.1", 40001, "10.0.0.2", 80, t0=T + 1)
pk += c.handshake() + c.segments(True, http_get("example.com", "/big"), 1460)
pk += response(c, [1000] * 20, "b")
pk += [ack_at(c, c.seq_s)] + c.close()

# IPv6: everything acknowledged at once
c = TcpConversation("2001:db8::1", 40002, "2001:db8::2", 80, t0=T + 2)
pk += c.handshake() + c.segments(True, http_get("v6.example"), 1460)
pk += response(c, [300, 300, 200], "c")
pk += [ack_at(c, c.seq_s)] + c.close()

# 40003: duplicate ACKs (segment 2 lost downstream)
c = TcpConversation("10.0.0.1", 40003, "10.0.0.2", 80, t0=T + 3)
pk += c.handshake() + c.segments(True, http_get("example.com", "/dup"), 1460)
pk += response(c, [500] * 4, "d")
base = c.isn_s + 1
pk += [ack_at(c, base + 500), ack_at(c, base + 500), ack_at(c, base + 500)]
pk += c.reset(True)
write_pcap(os.path.join(HERE, "flows.pcap"), pk)
