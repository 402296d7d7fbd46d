#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_inline.py NAT — source NAT checked in the output capture, and on two workers.

1. nat.pcap with --inline-out, checked with scapy:
   - the client's frames of translated flows leave with source 192.0.2.1 and
     the port of their mapping, the server's replies with destination the
     inside client and its port: every output frame equals the input frame
     rewritten that way with scapy, byte for byte (so the IPv4, TCP and UDP
     checksums are the right ones), and the checksums verify on their own;
   - ICMP errors to the external address that quote a packet of a mapping
     reach the inside client with the quoted source address and port
     translated back (expected frames built here, every checksum computed
     afresh: outer IP, ICMP, quoted IP, and the quoted TCP/UDP one when the
     whole datagram is quoted); an ICMP error quoting no mapping is absent;
   - an ICMP error from the inside client about a translated-in response
     leaves from the external address, quoting the response as the remote
     sent it; one about a packet of no mapping is absent;
   - pings from inside leave with the external address and an echo
     identifier of their own (20000, kept for the second request), replies
     come back with the client's; an ICMP error quoting a ping as sent out
     is translated back (the quoted echo's checksum too);
   - the unsolicited frames (no mapping, or another remote; an echo reply
     to an identifier not handed out), the IP fragments of a translated
     datagram, and what cannot be translated from inside to outside (GRE)
     are absent;
   - inside-to-inside and IPv6 frames are untouched; order is kept;
   - the runtime tracked each translated connection as one flow (both
     directions counted in it, ended by FIN).
2. An echo mapping idle for 60 s gives its identifier to another client
   (one identifier to hand out): the late reply to the first client is
   dropped, the new client's comes back to it.
3. --workers 2 with four external addresses: 24 connections to different
   servers. Pass 1 (the clients' SYNs) gives the mappings; pass 2 adds the
   servers' SYN-ACKs, sent to those external addresses and ports, a
   router's ICMP error about each SYN as sent out, and the clients' ACKs. The runtime spreads frames over the workers by its own
   symmetric hash: every reply must reach the worker holding its mapping
   (server_pkts 1 in every flow, no unsolicited frame, no core mismatch),
   and both workers must have made mappings.
Exit 0 pass, 1 fail, 77 skipped (no scapy).
"""
import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal

try:
    from scapy.all import ICMP, IP, IPv6, TCP, UDP, Ether, rdpcap, wrpcap
except ImportError:
    print("SKIP: python3-scapy missing")
    sys.exit(77)

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, ping  # noqa: E402

EXT = "192.0.2.1"
OUT_MAC, IN_MAC = "02:00:00:00:00:02", "02:00:00:00:00:01"  # frames built here (no MAC lookup)
MAP = {("10.0.0.1", 40000, 6): 20000, ("10.0.0.1", 40001, 6): 20001, ("10.0.0.7", 5353, 17): 20000}
REV = {(port, proto): (ip, cport) for (ip, cport, proto), port in MAP.items()}
REMOTE = {("10.0.0.1", 40000): ("198.51.100.10", 80), ("10.0.0.1", 40001): ("198.51.100.10", 443),
          ("10.0.0.7", 5353): ("198.51.100.53", 53)}
ICMP_ERRORS = (3, 4, 5, 11, 12)
ECHO = {("10.0.0.1", 0x777, "198.51.100.10"): 20000}      # (client, id, remote) -> identifier out
REV_ECHO = {ext: key for key, ext in ECHO.items()}
failures = []


def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failures.append(what)


def l4(p):
    return p[TCP] if TCP in p else p[UDP] if UDP in p else None


def inet_csum(b):
    b = bytes(b) + b"\0" * (len(b) % 2)
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def l4_csum(ip, seg, proto):
    """TCP/UDP checksum of segment @seg (checksum field zeroed) from IPv4 header @ip."""
    return inet_csum(ip[12:20] + bytes([0, proto]) + len(seg).to_bytes(2, "big") + seg)


def quoted(b):
    """Offsets in frame @b (Ethernet, IPv4, ICMP error): ICMP, quoted IP, its transport."""
    o = 14 + (b[14] & 15) * 4
    return o, o + 8, o + 8 + (b[o + 8] & 15) * 4


def ip_str(b):
    return ".".join(map(str, b))


def icmp_back(p):
    """An ICMP error to the external address translated back to the inside
    client (every checksum computed afresh), or None (quotes no mapping)."""
    b = bytearray(bytes(p))
    o, q, ql4 = quoted(b)
    proto, rdst = b[q + 9], ip_str(b[q + 16:q + 20])
    if proto == 1:                         # a quoted echo request: its identifier
        po = ql4 + 4
        key = REV_ECHO.get(int.from_bytes(b[po:po + 2], "big"))
        if b[ql4] != 8 or key is None or key[2] != rdst:
            return None
        inside = key[:2]
    else:
        po = ql4
        inside = REV.get((int.from_bytes(b[po:po + 2], "big"), proto))
        if inside is None or (rdst, int.from_bytes(b[ql4 + 2:ql4 + 4], "big")) != REMOTE[inside]:
            return None
    if ip_str(b[q + 12:q + 16]) != EXT:
        return None
    return rewrite_error(b, 30, q + 12, po, inside[0], inside[1])


def icmp_out(p):
    """An ICMP error from inside about a packet translated in (remote ->
    client) as it leaves: from the external address, quoting the packet as
    the remote sent it; None when it is about no mapping."""
    b = bytearray(bytes(p))
    o, q, ql4 = quoted(b)
    proto, cl = b[q + 9], ip_str(b[q + 16:q + 20])
    cport = int.from_bytes(b[ql4 + 2:ql4 + 4], "big")
    rem = (ip_str(b[q + 12:q + 16]), int.from_bytes(b[ql4:ql4 + 2], "big"))
    if (cl, cport, proto) not in MAP or REMOTE.get((cl, cport)) != rem:
        return None
    return rewrite_error(b, 26, q + 16, ql4 + 2, EXT, MAP[(cl, cport, proto)])


def rewrite_error(b, outer, qaddr, qport, addr, port):
    """Frame @b with the outer address at @outer, the quoted address at
    @qaddr and port at @qport made @addr and @port, every checksum computed
    afresh (the quoted transport one when the whole datagram is quoted)."""
    o, q, ql4 = quoted(b)
    proto, a = b[q + 9], bytes(map(int, addr.split(".")))
    b[outer:outer + 4] = a
    b[qaddr:qaddr + 4] = a
    b[qport:qport + 2] = port.to_bytes(2, "big")
    b[q + 10:q + 12] = bytes(2)
    b[q + 10:q + 12] = inet_csum(b[q:ql4]).to_bytes(2, "big")
    qlen = int.from_bytes(b[q + 2:q + 4], "big")
    if q + qlen == len(b):                 # the whole datagram quoted: its checksum too
        c = ql4 + {1: 2, 17: 6, 6: 16}[proto]
        b[c:c + 2] = bytes(2)
        v = inet_csum(b[ql4:q + qlen]) if proto == 1 else l4_csum(b[q:ql4], b[ql4:q + qlen], proto)
        b[c:c + 2] = (v or (0xffff if proto == 17 else 0)).to_bytes(2, "big")
    b[24:26] = bytes(2)
    b[24:26] = inet_csum(b[14:o]).to_bytes(2, "big")
    b[o + 2:o + 4] = bytes(2)
    b[o + 2:o + 4] = inet_csum(b[o:]).to_bytes(2, "big")
    return bytes(b)


def expected(p):
    """What the NAT sends for input frame p (None: dropped)."""
    if IP in p and (p[IP].flags.MF or p[IP].frag):
        return None                      # fragments of a translated flow: dropped
    if IP in p and p[IP].dst == EXT and ICMP in p:
        if p[ICMP].type == 0:            # echo reply: back to the client, with its identifier
            key = REV_ECHO.get(p[ICMP].id)
            if key is None or key[2] != p[IP].src:
                return None
            q = p.copy()
            q[IP].dst, q[ICMP].id = key[0], key[1]
            del q[IP].chksum, q[ICMP].chksum
            return bytes(Ether(bytes(q)))
        return icmp_back(p) if p[ICMP].type in ICMP_ERRORS else None
    if IP in p and ICMP in p and p[IP].src.startswith("10.") and not p[IP].dst.startswith("10.") \
            and p[ICMP].type in ICMP_ERRORS:
        return icmp_out(p)
    if IP in p and ICMP in p and p[ICMP].type == 8 and (p[IP].src, p[ICMP].id, p[IP].dst) in ECHO:
        q = p.copy()
        q[IP].src, q[ICMP].id = EXT, ECHO[(p[IP].src, p[ICMP].id, p[IP].dst)]
        del q[IP].chksum, q[ICMP].chksum
        return bytes(Ether(bytes(q)))
    if IP in p and p[IP].src.startswith("10.") and not p[IP].dst.startswith("10.") and l4(p) is None:
        return None                      # cannot be translated: not sent out
    if IP not in p or l4(p) is None:
        return bytes(p)
    t, proto = l4(p), 6 if TCP in p else 17
    q = p.copy()
    if (p[IP].src, t.sport, proto) in MAP:
        q[IP].src, l4(q).sport = EXT, MAP[(p[IP].src, t.sport, proto)]
    elif p[IP].dst == EXT:
        if (t.dport, proto) not in REV or p[IP].src not in ("198.51.100.10", "198.51.100.53"):
            return None
        q[IP].dst, l4(q).dport = REV[(t.dport, proto)]
    else:
        return bytes(p)
    del q[IP].chksum
    del l4(q).chksum
    return bytes(Ether(bytes(q)))


def csum_ok(p):
    if IP in p and ICMP in p:
        b = bytes(p)
        o = 14 + (b[14] & 15) * 4
        ok = inet_csum(b[14:o]) == 0 and inet_csum(b[o:]) == 0
        if p[ICMP].type in ICMP_ERRORS:
            q = o + 8
            ok = ok and inet_csum(b[q:q + (b[q] & 15) * 4]) == 0
        return ok
    if IP not in p or l4(p) is None:
        return True
    q = Ether(bytes(p))
    ic, tc = q[IP].chksum, l4(q).chksum
    del q[IP].chksum
    del l4(q).chksum
    q = Ether(bytes(q))
    return q[IP].chksum == ic and l4(q).chksum == tc


def run(args, env=None):
    # not -q: the counters at exit go to stderr only without it
    return subprocess.run([BIN] + args, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


with tempfile.TemporaryDirectory() as tmp:
    r = run(["-r", f"{HERE}/nat.pcap", "--inline-out", f"{tmp}/out.pcap", "--stats", f"{tmp}/st.json"])
    check(r.returncode == 0, f"run exits 0 (got {r.returncode}: {r.stderr.strip()[:200]})")
    inp = rdpcap(f"{HERE}/nat.pcap")
    out = rdpcap(f"{tmp}/out.pcap") if os.path.exists(f"{tmp}/out.pcap") else []
    want = [e for e in (expected(p) for p in inp) if e is not None]
    got = [bytes(p) for p in out]
    check(len(inp) - len(want) == 9, "four input frames are unsolicited, three are fragments, "
          "two cannot be translated")
    check(got == want, f"output = the input with the NAT's rewrites, byte for byte, in order "
          f"({len(got)} frames, {sum(a != b for a, b in zip(got, want))} differ)")
    check(all(csum_ok(p) for p in out), "every output frame's IPv4, TCP/UDP and ICMP checksums verify")
    n_out = sum(1 for p in out if IP in p and p[IP].src == EXT)
    n_in = sum(1 for p in inp if IP in p and p[IP].dst == EXT) - 4
    n_icmp = sum(1 for p in out if ICMP in p and p[IP].dst.startswith("10.") and p[ICMP].type in ICMP_ERRORS)
    n_echo = sum(1 for p in out if ICMP in p and p[ICMP].type in (0, 8) and (p[IP].src == EXT or p[ICMP].id == 0x777))
    n_err_out = sum(1 for p in out if ICMP in p and p[IP].src == EXT and p[ICMP].type in ICMP_ERRORS)
    check(n_out == 14 and n_in == 13 and n_icmp == 4 and n_echo == 4 and n_err_out == 1,
          f"14 frames translated out (2 pings, 1 ICMP error), 13 in (2 echo replies, 4 ICMP errors) "
          f"({n_out}, {n_in}, {n_icmp}, {n_echo}, {n_err_out})")
    check(not any(IP in p and (p[IP].src.startswith("10.") and not p[IP].dst.startswith("10."))
                  for p in out), "no inside address leaves toward the outside")
    try:
        st = json.load(open(f"{tmp}/st.json"))
    except (OSError, ValueError):
        st = {}
    check(st.get("dropped") == 9 and st.get("forwarded") == len(want) and st.get("tx_packets") == len(want),
          f"--stats ({ {k: st.get(k) for k in ('forwarded', 'dropped', 'tx_packets')} })")
    readme = [x for x in open(f"{HERE}/README.md").read().splitlines() if x.startswith('{"record"')]
    check(r.stdout.splitlines() == readme and len(readme) == 8, "records = the README's sample output")
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    ends = {x["client_port"]: x for x in recs if x["record"] == "unmapped"}
    check(ends.get(40000, {}).get("server_pkts") == 4 and ends.get(40000, {}).get("reason") == "fin",
          f"the HTTP connection is one flow, both directions, ended by FIN ({ends.get(40000)})")
    check("4 unsolicited frames dropped, 3 fragments dropped, 5 ICMP errors translated, "
          "1 ICMP echo mappings, 2 untranslatable frames dropped" in r.stderr,
          f"counters at exit ({r.stderr.strip()})")

    # An idle echo mapping's identifier goes to another client.
    a_req, a_rep = ping("10.0.0.1", "198.51.100.10", 1700000200.0, ident=5)
    b_req, b_rep = ping("10.0.0.2", "198.51.100.20", 1700000261.0, ident=9)
    late = a_rep.copy()
    late.time = b_req.time + Decimal("0.1")
    frames = [a_req, a_rep, b_req, late, b_rep]
    for f in (a_rep, late, b_rep):
        f[IP].dst, f[ICMP].id = EXT, 20000
        del f[IP].chksum, f[ICMP].chksum
    b_rep.time = b_req.time + Decimal("0.2")
    rebuilt = []
    for f in frames:
        rebuilt.append(Ether(bytes(f)))
        rebuilt[-1].time = f.time
    wrpcap(f"{tmp}/idle.pcap", rebuilt)
    r = run(["-r", f"{tmp}/idle.pcap", "--inline-out", f"{tmp}/idle_out.pcap"], {"MOS_NAT_PORTS": "20000:20000"})
    out = rdpcap(f"{tmp}/idle_out.pcap") if os.path.exists(f"{tmp}/idle_out.pcap") else []
    got = [(p[IP].src, p[IP].dst, p[ICMP].id) for p in out]
    check(got == [(EXT, "198.51.100.10", 20000), ("198.51.100.10", "10.0.0.1", 5),
                  (EXT, "198.51.100.20", 20000), ("198.51.100.20", "10.0.0.2", 9)],
          f"after 60 s idle, identifier 20000 serves another client; the late reply is dropped ({got})")
    check("2 ICMP echo mappings" in r.stderr and "1 unsolicited" in r.stderr, f"counters ({r.stderr.strip()})")

    # Many echo mappings, then as many again after 60 s on the same 600
    # identifiers: every one given back and handed out again, every reply
    # back to its own client. Most clients are spread over the inside index,
    # 300 are chosen to share 512 home slots (its hash, as nat.c computes
    # it), so that the deletions must move entries back to keep them found.
    def home(cl, ident, rem):
        a = int.from_bytes(bytes(map(int, cl.split("."))), "little")
        b = int.from_bytes(bytes(map(int, rem.split("."))), "little")
        x = ((a << 32) | b) ^ (ident << 17) ^ (1 << 49)   # ICMP, remote port 0
        return (x * 0x9e3779b97f4a7c15 % 2**64) >> 40 & (2**19 - 1)

    crowd = []
    for k in range(64000 * 8):
        cl = f"10.2.{k // 8 // 250}.{k // 8 % 250 + 1}"
        if len(crowd) < 300 and home(cl, k % 8 + 1, "198.51.100.1") < 512:
            crowd.append((cl, k % 8 + 1))
    check(len(crowd) == 300, f"300 clients sharing 512 home slots ({len(crowd)})")

    def pings(t0, first):
        frames, want = [], []
        for i in range(600):
            if i < 150:
                (cl, ident), rem = crowd[first // 2000 * 150 + i], "198.51.100.1"
            else:
                cl, rem = f"10.1.{(first + i) // 250}.{(first + i) % 250 + 1}", f"198.51.100.{i % 200 + 1}"
                ident = i % 7 + 1
            q, r2 = ping(cl, rem, t0 + i * 0.0001, ident=ident)
            frames.append(q)
            want.append((cl, rem, ident))
        return frames, want
    p1, w1 = pings(1700000300.0, 0)
    p2, w2 = pings(1700000370.0, 2000)
    reqs = []
    for f in p1 + p2:
        reqs.append(Ether(bytes(f)))
        reqs[-1].time = f.time
    wrpcap(f"{tmp}/many.pcap", reqs)
    r = run(["-r", f"{tmp}/many.pcap", "--inline-out", f"{tmp}/many_out.pcap"], {"MOS_NAT_PORTS": "20000:20599"})
    out = rdpcap(f"{tmp}/many_out.pcap") if os.path.exists(f"{tmp}/many_out.pcap") else []
    ids = [p[ICMP].id for p in out]
    check(len(out) == 1200 and sorted(ids[:600]) == list(range(20000, 20600)) and
          sorted(ids[600:]) == list(range(20000, 20600)),
          f"1200 pings out, identifiers 20000-20599 twice ({len(out)}; {r.stderr.strip()[-120:]})")
    back = []
    for p, (cl, rem, ident) in zip(out[600:], w2):
        rp = Ether(src=OUT_MAC, dst=IN_MAC) / IP(src=rem, dst=EXT, id=1) / ICMP(type=0, id=p[ICMP].id, seq=1) / b"mos-ping"
        rp.time = 1700000400.0 + len(back) * 0.0001
        back.append(rp)
    again = []
    for f in p2:                      # the same clients ping again: the same identifiers
        again.append(Ether(bytes(f)))
        again[-1].time = f.time + 10
    wrpcap(f"{tmp}/many2.pcap", reqs + again + back)
    r = run(["-r", f"{tmp}/many2.pcap", "--inline-out", f"{tmp}/many2_out.pcap"], {"MOS_NAT_PORTS": "20000:20599"})
    out2 = rdpcap(f"{tmp}/many2_out.pcap") if os.path.exists(f"{tmp}/many2_out.pcap") else []
    check([p[ICMP].id for p in out2[1200:1800]] == ids[600:] and "1200 ICMP echo mappings" in r.stderr,
          "a second ping of each client reuses its mapping")
    got = [(p[IP].dst, p[IP].src, p[ICMP].id) for p in out2[1800:]]
    check(got == w2, f"600 replies back to their own clients ({sum(a == b for a, b in zip(got, w2))} of 600)")

    # Two workers: replies come back to the worker holding their mapping.
    addrs = "192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4"
    conv = [TcpConversation(f"10.0.{i // 8}.{i % 8 + 1}", 41000 + i, f"198.51.100.{i + 1}", 80,
                            t0=1700000100.0 + i * 0.01) for i in range(24)]
    syns = [c.handshake() for c in conv]
    wrpcap(f"{tmp}/syn.pcap", [h[0] for h in syns])
    r = run(["-r", f"{tmp}/syn.pcap", "--workers", "2"], {"MOS_NAT_ADDRS": addrs})
    maps = {x["client_port"]: x for x in map(json.loads, r.stdout.splitlines()) if x["record"] == "mapping"}
    check(r.returncode == 0 and len(maps) == 24, f"pass 1: 24 mappings ({len(maps)}, rc {r.returncode})")
    check({x["worker"] for x in maps.values()} == {0, 1}, "both workers made mappings")
    check(len({x["ext_addr"] for x in maps.values()}) > 1, "several external addresses in use")
    frames = []
    for c, h in zip(conv, syns):
        m = maps.get(c.cp)
        if m is None:
            continue
        sa = h[1].copy()
        sa[IP].dst, sa[TCP].dport = m["ext_addr"], m["ext_port"]
        del sa[IP].chksum, sa[TCP].chksum
        sa2 = Ether(bytes(sa))
        sa2.time = h[1].time
        # a router on the path: "fragmentation needed" about the SYN as sent out
        syn_out = h[0][IP].copy()
        syn_out.src, syn_out[TCP].sport = m["ext_addr"], m["ext_port"]
        del syn_out.chksum, syn_out[TCP].chksum
        err = Ether(src=OUT_MAC, dst=IN_MAC) / IP(src="203.0.113.1", dst=m["ext_addr"], id=0) / \
            ICMP(type=3, code=4) / bytes(IP(bytes(syn_out)))[:28]
        err.time = h[1].time + Decimal("0.0001")
        frames += [h[0], sa2, Ether(bytes(err)), h[2]]
        frames[-2].time = err.time
    frames.sort(key=lambda p: Decimal(str(p.time)))
    wrpcap(f"{tmp}/hs.pcap", frames)
    r = run(["-r", f"{tmp}/hs.pcap", "--workers", "2"], {"MOS_NAT_ADDRS": addrs})
    recs = list(map(json.loads, r.stdout.splitlines()))
    maps2 = {x["client_port"]: (x["ext_addr"], x["ext_port"], x["worker"]) for x in recs if x["record"] == "mapping"}
    check(maps2 == {k: (v["ext_addr"], v["ext_port"], v["worker"]) for k, v in maps.items()},
          "pass 2 makes the same mappings")
    ends = [x for x in recs if x["record"] == "unmapped"]
    check(len(ends) == 24 and all(x["server_pkts"] == 1 and x["client_pkts"] == 2 for x in ends),
          f"every SYN-ACK reached its mapping's worker and flow ({sum(x['server_pkts'] for x in ends)} of 24)")
    check("0 on a mismatched core, 0 unsolicited" in r.stderr and "24 ICMP errors translated" in r.stderr,
          f"no mismatch, nothing unsolicited, and a router's ICMP error about each connection "
          f"reached its mapping's worker ({r.stderr.strip()})")

# A bad configuration stops the program before it reads a packet.
r = run(["-r", f"{HERE}/nat.pcap"], {"MOS_NAT_ADDRS": "192.0.2.300"})
check(r.returncode == 2 and "MOS_NAT_ADDRS" in r.stderr and r.stdout == "", f"bad MOS_NAT_ADDRS: status 2 ({r.returncode})")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("PASS")
