#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the captures of the stdlib application-module tests
(stdlib/tests/{http,tls,dns,ssh}_test.mos and the test blocks of
examples/httplog and examples/tls_sni). Run from any directory:
/usr/bin/python3 stdlib/tests/mkapp.py. Deterministic: the same script
always writes the same bytes."""
import hashlib
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import (TcpConversation, IP, IPv6, UDP, Ether, Raw,  # noqa: E402
                     drop, tls_client_hello, tls_server_hello, write_pcap)
from scapy.all import DNS, DNSQR, DNSRR  # noqa: E402

T0 = 1700000000.0


def out(name, pkts):
    write_pcap(os.path.join(HERE, name), pkts)


# --- HTTP -----------------------------------------------------------------

def http_fields():
    # A: GET with Host and User-Agent, 200 with a 5-byte body.
    a = TcpConversation("10.0.1.1", 41000, "10.0.1.2", 80, t0=T0)
    p = a.handshake()
    p += a.send_c2s(b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
                    b"User-Agent: curl/8.0\r\nAccept: */*\r\n\r\n")
    p += a.send_s2c(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: 5\r\n\r\nhello")
    p += a.close()
    # B: HTTP/1.0 POST with an 11-byte body on port 8080, 404 answer.
    b = TcpConversation("10.0.1.3", 41001, "10.0.1.2", 8080, t0=T0 + 1)
    p += b.handshake()
    p += b.send_c2s(b"POST /submit HTTP/1.0\r\nHost: api.example.com:8080\r\n"
                    b"User-Agent: mos-test/1\r\nContent-Length: 11\r\n\r\nhello=world")
    p += b.send_s2c(b"HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
    p += b.close()
    out("http_fields.pcap", p)


def http_keepalive():
    # C: keep-alive, two requests one after the other.
    c = TcpConversation("10.0.1.4", 41002, "10.0.1.2", 80, t0=T0)
    p = c.handshake()
    for uri, body in (("/a", b"AAAA"), ("/b", b"BB")):
        p += c.send_c2s(f"GET {uri} HTTP/1.1\r\nHost: ka.example\r\n\r\n".encode())
        p += c.send_s2c(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    p += c.close()
    # D: three pipelined requests in one segment, then the three answers in
    # one segment (the HEAD answer has a Content-Length and no body).
    d = TcpConversation("10.0.1.5", 41003, "10.0.1.2", 80, t0=T0 + 1)
    p += d.handshake()
    p += d.send_c2s(b"GET /p1 HTTP/1.1\r\nHost: pipe.example\r\n\r\n"
                    b"HEAD /p2 HTTP/1.1\r\nHost: pipe.example\r\n\r\n"
                    b"GET /p3 HTTP/1.1\r\nHost: pipe.example\r\n\r\n")
    p += d.send_s2c(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
                    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                    b"HTTP/1.1 304 Not Modified\r\n\r\n")
    p += d.close()
    out("http_keepalive.pcap", p)


def http_pipeline():
    # G: 40 pipelined requests in one segment and their 40 answers in one:
    # one burst, so one conn_new_data per direction, 80 events from one
    # raise chain.
    g = TcpConversation("10.0.1.8", 41006, "10.0.1.2", 80, t0=T0)
    p = g.handshake()
    p += g.send_c2s(b"".join(b"GET /r%d HTTP/1.1\r\nHost: many.example\r\n\r\n" % i
                             for i in range(40)))
    p += g.send_s2c(b"".join(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n%02d" % i
                             for i in range(40)))
    p += g.close()
    out("http_pipeline.pcap", p)


def http_split():
    # E: a request header cut inside a field name, inside a value and
    # between CR and LF; the response's status line cut in the code.
    e = TcpConversation("10.0.1.6", 41004, "10.0.1.2", 80, t0=T0)
    p = e.handshake()
    req = (b"GET /split/path HTTP/1.1\r\nHo", b"st: split.exam", b"ple\r\nUser-Agent: sp",
           b"lit/1.0\r", b"\n\r\n")
    for piece in req:
        p += e.send_c2s(piece)
    for piece in (b"HTTP/1.1 2", b"01 Created\r\nContent-Le", b"ngth: 2\r\n\r\nok"):
        p += e.send_s2c(piece)
    p += e.close()
    # F: not HTTP on port 80 (binary from the client).
    f = TcpConversation("10.0.1.7", 41005, "10.0.1.2", 80, t0=T0 + 1)
    p += f.handshake() + f.send_c2s(b"\x16\x03\x01\x00\x05hello") + f.close()
    out("http_split.pcap", p)


# --- TLS ------------------------------------------------------------------

def tls_hello():
    # G: TLS 1.3 (SNI, ALPN h2/http1.1, versions 1.3 and 1.2).
    g = TcpConversation("10.0.2.1", 42000, "10.0.2.2", 443, t0=T0)
    p = g.handshake()
    p += g.send_c2s(tls_client_hello("www.example.org"))
    p += g.send_s2c(tls_server_hello(0x0304, 0x1301))
    p += g.close()
    # H: TLS 1.2 only, no ALPN, on port 8443.
    h = TcpConversation("10.0.2.3", 42001, "10.0.2.2", 8443, t0=T0 + 1)
    p += h.handshake()
    p += h.send_c2s(tls_client_hello("legacy.example.net", alpn=(), versions=(0x0303,),
                                     ciphers=(0xc02f, 0xc030)))
    p += h.send_s2c(tls_server_hello(0x0303, 0xc030))
    p += h.close()
    out("tls_hello.pcap", p)


def tls_split():
    # I: the ClientHello cut into 40-byte segments, the ServerHello in two.
    i = TcpConversation("10.0.2.4", 42002, "10.0.2.2", 443, t0=T0)
    p = i.handshake()
    p += i.send_c2s(tls_client_hello("split.example.com"), segment=40)
    p += i.send_s2c(tls_server_hello(0x0303, 0xc02f), segment=50)
    p += i.close()
    # J: plain text on port 443.
    j = TcpConversation("10.0.2.5", 42003, "10.0.2.2", 443, t0=T0 + 1)
    p += j.handshake() + j.send_c2s(b"GET / HTTP/1.1\r\n\r\n") + j.close()
    # K: a ClientHello whose handshake message is spread over two TLS
    # records (in one segment); the server never answers.
    k = TcpConversation("10.0.2.6", 42004, "10.0.2.2", 443, t0=T0 + 2)
    hs = tls_client_hello("records.example.com", alpn=("http/1.1",))[5:]
    recs = b"".join(b"\x16\x03\x01" + len(part).to_bytes(2, "big") + part
                    for part in (hs[:60], hs[60:]))
    p += k.handshake() + k.send_c2s(recs) + k.close()
    out("tls_split.pcap", p)


def ja3(hello_record):
    """The JA3 string and MD5 of a ClientHello written by tls_client_hello."""
    body = hello_record[9:]
    pos = 2 + 32
    pos += 1 + body[pos]
    n = int.from_bytes(body[pos:pos + 2], "big")
    ciphers = [int.from_bytes(body[pos + 2 + k:pos + 4 + k], "big") for k in range(0, n, 2)]
    pos += 2 + n
    pos += 1 + body[pos]
    end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
    pos += 2
    exts, groups, formats = [], [], []
    while pos < end:
        t = int.from_bytes(body[pos:pos + 2], "big")
        ln = int.from_bytes(body[pos + 2:pos + 4], "big")
        d = body[pos + 4:pos + 4 + ln]
        exts.append(t)
        if t == 10:
            groups = [int.from_bytes(d[2 + k:4 + k], "big") for k in range(0, len(d) - 2, 2)]
        if t == 11:
            formats = list(d[1:])
        pos += 4 + ln
    s = ",".join([str(0x0303), "-".join(map(str, ciphers)), "-".join(map(str, exts)),
                  "-".join(map(str, groups)), "-".join(map(str, formats))])
    return s, hashlib.md5(s.encode()).hexdigest()


# --- DNS ------------------------------------------------------------------

def udp(src, sport, dst, dport, payload, t):
    ip = IPv6 if ":" in src else IP
    smac, dmac = ("02:00:00:00:00:01", "02:00:00:00:00:02")
    pkt = Ether(src=smac, dst=dmac) / ip(src=src, dst=dst) / UDP(sport=sport, dport=dport) \
        / Raw(load=bytes(payload))
    pkt.time = Decimal(str(t))
    return pkt


def dns():
    p = []
    # K: A query, answered with a CNAME and an A record.
    q = DNS(id=0x1234, rd=1, qd=DNSQR(qname="www.example.com", qtype="A"))
    r = DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.com", qtype="A"),
            an=DNSRR(rrname="www.example.com", type="CNAME", rdata="edge.example.net", ttl=300)
            / DNSRR(rrname="edge.example.net", type="A", rdata="93.184.216.34", ttl=60))
    p += [udp("10.0.3.1", 40000, "10.0.3.53", 53, q, T0),
          udp("10.0.3.53", 53, "10.0.3.1", 40000, r, T0 + 0.002)]
    # L: AAAA query for a name that does not exist (NXDOMAIN, no answer).
    q = DNS(id=0x0101, rd=1, qd=DNSQR(qname="nx.example.com", qtype="AAAA"))
    r = DNS(id=0x0101, qr=1, rd=1, ra=1, rcode=3, qd=DNSQR(qname="nx.example.com", qtype="AAAA"))
    p += [udp("10.0.3.2", 40001, "10.0.3.53", 53, q, T0 + 1),
          udp("10.0.3.53", 53, "10.0.3.2", 40001, r, T0 + 1.002)]
    # M: over IPv6, AAAA answered.
    q = DNS(id=0x0202, rd=1, qd=DNSQR(qname="v6.example.com", qtype="AAAA"))
    r = DNS(id=0x0202, qr=1, rd=1, ra=1, qd=DNSQR(qname="v6.example.com", qtype="AAAA"),
            an=DNSRR(rrname="v6.example.com", type="AAAA", rdata="2001:db8::53", ttl=120))
    p += [udp("2001:db8::1", 40002, "2001:db8::35", 53, q, T0 + 2),
          udp("2001:db8::35", 53, "2001:db8::1", 40002, r, T0 + 2.002)]
    # N: malformed: 5 bytes (shorter than the header), then a message whose
    # question name is a pointer to itself.
    p += [udp("10.0.3.3", 40003, "10.0.3.53", 53, b"\x00\x01\x02\x03\x04", T0 + 3)]
    loop = bytes.fromhex("abcd01000001000000000000") + bytes.fromhex("c00c00010001")
    p += [udp("10.0.3.4", 40004, "10.0.3.53", 53, loop, T0 + 4)]
    # O: UDP that is not DNS (port 5000) is outside the module's scope.
    p += [udp("10.0.3.5", 40005, "10.0.3.6", 5000, b"not dns at all", T0 + 5)]
    out("dns.pcap", p)


def framed(msg):
    """A DNS message over TCP: its two-byte length, then the message."""
    b = bytes(msg)
    return len(b).to_bytes(2, "big") + b


def dns_tcp():
    # S: one query and its answer, a segment each.
    s = TcpConversation("10.0.5.1", 44000, "10.0.5.53", 53, t0=T0)
    p = s.handshake()
    p += s.send_c2s(framed(DNS(id=0x0401, rd=1, qd=DNSQR(qname="tcp.example.com", qtype="A"))))
    p += s.send_s2c(framed(DNS(id=0x0401, qr=1, rd=1, ra=1, qd=DNSQR(qname="tcp.example.com", qtype="A"),
                               an=DNSRR(rrname="tcp.example.com", type="A", rdata="192.0.2.10", ttl=30))))
    p += s.close()
    # T: two queries pipelined in one segment (RFC 7766); the answers with
    # the second one's length cut between two segments and its body
    # between two more.
    t = TcpConversation("10.0.5.2", 44001, "10.0.5.53", 53, t0=T0 + 1)
    p += t.handshake()
    p += t.send_c2s(framed(DNS(id=0x0301, rd=1, qd=DNSQR(qname="a.example.com", qtype="A"))) +
                    framed(DNS(id=0x0302, rd=1, qd=DNSQR(qname="b.example.com", qtype="AAAA"))))
    r1 = framed(DNS(id=0x0301, qr=1, rd=1, ra=1, qd=DNSQR(qname="a.example.com", qtype="A"),
                    an=DNSRR(rrname="a.example.com", type="A", rdata="192.0.2.1", ttl=30)))
    r2 = framed(DNS(id=0x0302, qr=1, rd=1, ra=1, qd=DNSQR(qname="b.example.com", qtype="AAAA"),
                    an=DNSRR(rrname="b.example.com", type="AAAA", rdata="2001:db8::b", ttl=30)))
    p += t.send_s2c(r1 + r2[:1]) + t.send_s2c(r2[1:20]) + t.send_s2c(r2[20:])
    p += t.close()
    # U: a response of about 6 KB (an A record, then 20 TXT records) over
    # five segments.
    u = TcpConversation("10.0.5.3", 44002, "10.0.5.53", 53, t0=T0 + 2)
    p += u.handshake()
    p += u.send_c2s(framed(DNS(id=0x0501, rd=1, qd=DNSQR(qname="big.example.com", qtype=255))))
    an = DNSRR(rrname="big.example.com", type="A", rdata="192.0.2.99", ttl=30)
    for i in range(20):
        an = an / DNSRR(rrname="big.example.com", type="TXT", rdata=[bytes([65 + i]) * 250], ttl=30)
    big = framed(DNS(id=0x0501, qr=1, aa=1, qd=DNSQR(qname="big.example.com", qtype=255), an=an))
    assert len(big) > 5000
    p += u.send_s2c(big)
    p += u.close()
    # V: a message whose question name points to itself, then a good query:
    # the framing holds after a malformed message.
    v = TcpConversation("10.0.5.4", 44003, "10.0.5.53", 53, t0=T0 + 3)
    p += v.handshake()
    loop = bytes.fromhex("abcd01000001000000000000") + bytes.fromhex("c00c00010001")
    p += v.send_c2s(framed(loop) + framed(DNS(id=0x0601, rd=1, qd=DNSQR(qname="after.example.com"))))
    p += v.close()
    # W: a length of 100 followed by 10 bytes, then FIN: cut short.
    w = TcpConversation("10.0.5.5", 44004, "10.0.5.53", 53, t0=T0 + 4)
    p += w.handshake() + w.send_c2s(b"\x00\x64" + bytes(10)) + w.close()
    # X: the middle of three segments of a query is lost and the server
    # acknowledges past it: the reassembler skips the hole, the framing is lost.
    x = TcpConversation("10.0.5.6", 44005, "10.0.5.53", 53, t0=T0 + 5)
    p += x.handshake()
    p += drop(x.segments(True, framed(DNS(id=0x0701, rd=1, qd=DNSQR(qname="lost.example.com"))), 12), 1)
    p += x.ack(False)
    p += x.close()
    out("dns_tcp.pcap", p)


# --- SSH ------------------------------------------------------------------

def ssh():
    # P: OpenSSH both ways, the server first, then binary key exchange.
    a = TcpConversation("10.0.4.1", 43000, "10.0.4.2", 22, t0=T0)
    p = a.handshake()
    p += a.send_s2c(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    p += a.send_c2s(b"SSH-2.0-OpenSSH_9.6\r\n")
    p += a.send_c2s(b"\x00\x00\x01\x14\x08\x14" + bytes(range(40)))
    p += a.send_s2c(b"\x00\x00\x01\x14\x08\x14" + bytes(range(40, 80)))
    p += a.close()
    # Q: lines before the server's banner (protoversion 1.99), the client's
    # banner split over three segments and ended by a bare LF, port 2222.
    b = TcpConversation("10.0.4.3", 43001, "10.0.4.2", 2222, t0=T0 + 1)
    p += b.handshake()
    p += b.send_s2c(b"Welcome to the test host\r\nauthorised use only\r\nSSH-1.99-Cisco-1.25\r\n")
    for piece in (b"SSH-2.0-Pu", b"TTY_Release_0.78 ", b"extra comment\n"):
        p += b.send_c2s(piece)
    p += b.close()
    # R: not SSH: the server talks binary, the client a truncated banner.
    c = TcpConversation("10.0.4.4", 43002, "10.0.4.2", 22, t0=T0 + 2)
    p += c.handshake()
    p += c.send_s2c(b"\x00\x01\x02\x03binary\r\n")
    p += c.send_c2s(b"SSH-2.0\r\n")
    p += c.close()
    out("ssh.pcap", p)


http_fields()
http_keepalive()
http_pipeline()
http_split()
tls_hello()
tls_split()
dns()
dns_tcp()
ssh()
if "--ja3" in sys.argv:
    for rec in (tls_client_hello("www.example.org"),
                tls_client_hello("legacy.example.net", alpn=(), versions=(0x0303,),
                                 ciphers=(0xc02f, 0xc030))):
        print(*ja3(rec))
