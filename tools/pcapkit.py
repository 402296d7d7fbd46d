# SPDX-License-Identifier: BSD-3-Clause
"""pcapkit — readable helpers to write deterministic test captures with scapy.

Tooling only (the product is C). Every helper returns a list of scapy
packets with explicit timestamps, so the same script always writes the same
bytes. Typical use:

    conv = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=1700000000.0)
    # vlan=42 for one tag, vlan=[100, 42] for QinQ; IPv6 addresses for IPv6
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
        self.isn_c, self.isn_s = isn_c, isn_s
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
        vlans = [] if self.vlan is None else (
            [self.vlan] if isinstance(self.vlan, int) else list(self.vlan))
        for i, v in enumerate(vlans):
            # outer tags of a stack are 802.1ad (0x88a8), the innermost 802.1Q
            if i + 1 < len(vlans):
                l2.type = 0x88a8 if i == 0 else 0x8100
            l2 = l2 / Dot1Q(vlan=v)
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

    def segments(self, c2s, data, segment):
        """Data cut into `segment`-byte pieces, with no ACKs in between."""
        out = []
        for i in range(0, len(data), segment):
            piece = data[i:i + segment]
            out.append(self._pkt(c2s, "PA", piece))
            if c2s:
                self.seq_c += len(piece)
            else:
                self.seq_s += len(piece)
        return out

    def segment_at(self, c2s, offset, payload, flags="PA"):
        """A segment carrying `payload` at stream offset `offset` (0 = first
        byte after the SYN), without moving the conversation's own sequence:
        for retransmissions, overlaps (consistent or conflicting) and
        out-of-window data."""
        isn = self.isn_c if c2s else self.isn_s
        return self._pkt(c2s, flags, payload, seq=isn + 1 + offset)

    def ack(self, c2s):
        """A bare ACK from one side."""
        return [self._pkt(c2s, "A")]


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


# --- Shaping a list of packets -------------------------------------------

def retime(pkts, t0=None, step=Decimal("0.001")):
    """Give packets increasing times in list order (after reordering)."""
    t = Decimal(str(pkts[0].time)) if t0 is None else Decimal(str(t0))
    for p in pkts:
        p.time = t
        t += step
    return pkts


def reorder(pkts, order):
    """Packets in the given index order, retimed: reorder(p, [0, 2, 1])."""
    return retime([pkts[i] for i in order], t0=pkts[0].time)


def drop(pkts, *indices):
    """Packets with some lost (by index)."""
    gone = set(indices)
    return [p for i, p in enumerate(pkts) if i not in gone]


def duplicate(pkts, *indices):
    """Packets with some sent twice (the copy right after the original)."""
    out = []
    for i, p in enumerate(pkts):
        out.append(p)
        if i in indices:
            out.append(p.copy())
    return retime(out, t0=pkts[0].time)


def ip_fragments(pkt, size, reverse=False):
    """An IPv4 or IPv6 packet cut into fragments of `size` payload bytes
    (a multiple of 8), in order or reversed."""
    from scapy.all import IPv6ExtHdrFragment, fragment, fragment6
    l2 = pkt.copy()
    l2.remove_payload()
    if pkt.haslayer(IPv6):
        ip = pkt[IPv6].copy()
        ip.remove_payload()
        frag_hdr = ip / IPv6ExtHdrFragment(id=0x1234) / pkt[IPv6].payload
        frags = fragment6(frag_hdr, size + 48)
    else:
        frags = fragment(pkt[IP].copy(), fragsize=size)
    out = [l2.copy() / f for f in frags]
    if reverse:
        out.reverse()
    for p in out:
        p.time = pkt.time
    return retime(out, t0=pkt.time, step=Decimal("0.0001"))


# --- Application payloads -------------------------------------------------

def tls_client_hello(sni, alpn=("h2", "http/1.1"),
                     versions=(0x0304, 0x0303), ciphers=(0x1301, 0x1302, 0xc02f)):
    """A TLS 1.2-framed ClientHello record with SNI, ALPN and supported
    versions extensions. Deterministic (fixed random and session id)."""
    def u8(n):
        return n.to_bytes(1, "big")

    def u16(n):
        return n.to_bytes(2, "big")

    def ext(kind, body):
        return u16(kind) + u16(len(body)) + body

    host = sni.encode()
    sni_list = u8(0) + u16(len(host)) + host
    exts = ext(0, u16(len(sni_list)) + sni_list)
    protos = b"".join(u8(len(p)) + p.encode() for p in alpn)
    exts += ext(16, u16(len(protos)) + protos)
    vers = b"".join(u16(v) for v in versions)
    exts += ext(43, u8(len(vers)) + vers)
    exts += ext(10, u16(4) + u16(0x001d) + u16(0x0017))        # supported groups
    exts += ext(11, u8(1) + u8(0))                              # ec point formats
    body = u16(0x0303) + bytes(range(32)) + u8(32) + bytes(range(32, 64))
    body += u16(2 * len(ciphers)) + b"".join(u16(c) for c in ciphers)
    body += u8(1) + u8(0) + u16(len(exts)) + exts
    hs = u8(1) + len(body).to_bytes(3, "big") + body
    return u8(22) + u16(0x0301) + u16(len(hs)) + hs


def tls_server_hello(version=0x0303, cipher=0xc02f):
    """A TLS ServerHello record choosing `version` (0x0304 adds a
    supported_versions extension as TLS 1.3 does)."""
    exts = b""
    legacy = version
    if version == 0x0304:
        exts = (43).to_bytes(2, "big") + (2).to_bytes(2, "big") + version.to_bytes(2, "big")
        legacy = 0x0303
    body = legacy.to_bytes(2, "big") + bytes(range(100, 132)) + b"\x00" \
        + cipher.to_bytes(2, "big") + b"\x00" + len(exts).to_bytes(2, "big") + exts
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(hs).to_bytes(2, "big") + hs
