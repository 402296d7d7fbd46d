#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write two.pcap for the timer_raise directory test (deterministic): two
short connections two seconds apart, so a 1 s timer armed during the first
one fires while the second one's packets move the clock.
Run: /usr/bin/python3 tests/rules/dirs/timer_raise/mkcap.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "tools"))
from pcapkit import TcpConversation, http_get, http_response, write_pcap  # noqa: E402


def conn(client, t0):
    c = TcpConversation(client, 40000, "10.0.0.2", 80, t0=t0)
    return (c.handshake() + c.send_c2s(http_get("example.com"))
            + c.send_s2c(http_response(b"ok")) + c.close())


write_pcap(os.path.join(HERE, "two.pcap"), conn("10.0.0.1", 1700000000.0) + conn("10.0.0.3", 1700000002.0))
