# SPDX-License-Identifier: BSD-3-Clause
"""pcapkit — readable helpers to write deterministic test captures with scapy.

Tooling only (the product is C). Every helper returns a list of scapy
packets with explicit timestamps, so the same script always writes the same
bytes. Typical use:

    conv = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=1700000000.0)
    pkts = conv.handshake() + conv.send_c2s(b"GET / HTTP/1.1\\r\\n\\r\\n") \
         + conv.send_s2c(b"HTTP/1.1 200 OK\\r\\n\\r\\n") + conv.close()
    write_pcap("out.pcap", pkts)
"""
from decimal import Decimal

from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Dot1Q, Raw, wrpcap  # noqa: F401

CLIENT_MAC = "02:00:00:00:00:01"
SERVER_MAC = "02:00:00:00:00:02"


class TcpConversation:
    """A TCP connection between a client and a server, built packet by packet.

    Sequence numbers, acknowledgements and timestamps advance as a real
    stack's would; `step` seconds pass between packets.
    """

    def __init__(self, client, cport, server, sport, t0=1700000000.0,
                 isn_c=1000, isn_s=5000, step=0.001, vlan=None, mss=1460):
        self.c, self.cp, self.s, self.sp = client, cport, server, sport
        self.seq_c, self.seq_s = isn_c, isn_s
        self.t = Decimal(str(t0))       # exact decimal times: no float drift
        self.step = Decimal(str(step))
        self.vlan = vlan
        self.mss = mss
        self.v6 = ":" in client

    def _pkt(self, c2s, flags, payload=b"", seq=None, ack=None, options=None):
        src, dst = (self.c, self.s) if c2s else (self.s, self.c)
        sport, dport = (self.cp, self.sp) if c2s else (self.sp, self.cp)
        smac, dmac = (CLIENT_MAC, SERVER_MAC) if c2s else (SERVER_MAC, CLIENT_MAC)
        if seq is None:
            seq = self.seq_c if c2s else self.seq_s
        if ack is None:
            ack = self.seq_s if c2s else self.seq_c
        l3 = IPv6(src=src, dst=dst) if self.v6 else IP(src=src, dst=dst, id=0)
        l2 = Ether(src=smac, dst=dmac)
        if self.vlan is not None:
            l2 = l2 / Dot1Q(vlan=self.vlan)
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq & 0xffffffff,
                  ack=ack & 0xffffffff if "A" in flags else 0, window=65535,
                  options=options or [])
        p = l2 / l3 / tcp
        if payload:
            p = p / Raw(load=payload)
        p.time = self.t
        self.t += self.step
        return p

    def handshake(self):
        """SYN, SYN-ACK, ACK."""
        opts = [("MSS", self.mss), ("WScale", 7), ("SAckOK", b"")]
        out = [self._pkt(True, "S", options=opts)]
        self.seq_c += 1
        out.append(self._pkt(False, "SA", options=opts))
        self.seq_s += 1
        out.append(self._pkt(True, "A"))
        return out

    def send(self, c2s, data, segment=None):
        """Data in one direction (cut into `segment`-byte pieces), then an ACK back."""
        segment = segment or self.mss
        out = []
        for i in range(0, len(data), segment):
            piece = data[i:i + segment]
            out.append(self._pkt(c2s, "PA", piece))
            if c2s:
                self.seq_c += len(piece)
            else:
                self.seq_s += len(piece)
        out.append(self._pkt(not c2s, "A"))
        return out

    def send_c2s(self, data, segment=None):
        return self.send(True, data, segment)

    def send_s2c(self, data, segment=None):
        return self.send(False, data, segment)

    def close(self):
        """FIN from the client, FIN-ACK from the server, last ACK."""
        out = [self._pkt(True, "FA")]
        self.seq_c += 1
        out.append(self._pkt(False, "FA"))
        self.seq_s += 1
        out.append(self._pkt(True, "A"))
        return out

    def reset(self, c2s=True):
        """A RST from one side."""
        return [self._pkt(c2s, "R")]


def udp_exchange(client, cport, server, sport, request, response, t0):
    """One UDP request and its response."""
    ip = IPv6 if ":" in client else IP
    q = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / ip(src=client, dst=server) / \
        UDP(sport=cport, dport=sport) / Raw(load=request)
    r = Ether(src=SERVER_MAC, dst=CLIENT_MAC) / ip(src=server, dst=client) / \
        UDP(sport=sport, dport=cport) / Raw(load=response)
    q.time, r.time = Decimal(str(t0)), Decimal(str(t0)) + Decimal("0.002")
    return [q, r]


def ping(client, server, t0, ident=1, seq=1):
    """An ICMP echo request and reply."""
    q = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=client, dst=server, id=seq) / \
        ICMP(type=8, id=ident, seq=seq) / Raw(load=b"mos-ping")
    r = Ether(src=SERVER_MAC, dst=CLIENT_MAC) / IP(src=server, dst=client, id=seq) / \
        ICMP(type=0, id=ident, seq=seq) / Raw(load=b"mos-ping")
    q.time, r.time = Decimal(str(t0)), Decimal(str(t0)) + Decimal("0.001")
    return [q, r]


def http_get(host, uri="/", agent="mos-demo/1.0"):
    return (f"GET {uri} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\n"
            f"Accept: */*\r\n\r\n").encode()


def http_response(body, status="200 OK", ctype="text/html"):
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def write_pcap(path, pkts):
    """Write packets sorted by time (stable), as classic pcap."""
    pkts = sorted(pkts, key=lambda p: Decimal(str(p.time)))
    wrpcap(path, pkts)
