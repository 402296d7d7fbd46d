#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_inline.py NAT — source NAT checked in the output capture, and on two workers.

1. nat.pcap with --inline-out, checked with scapy:
   - the client's frames of translated flows leave with source 192.0.2.1 and
     the port of their mapping, the server's replies with destination the
     inside client and its port: every output frame equals the input frame
     rewritten that way with scapy, byte for byte (so the IPv4, TCP and UDP
     checksums are the right ones), and the checksums verify on their own;
   - the unsolicited frames (no mapping, or another remote) and the IP
     fragments of a translated datagram are absent;
   - inside-to-inside and IPv6 frames are untouched; order is kept;
   - the runtime tracked each translated connection as one flow (both
     directions counted in it, ended by FIN).
2. --workers 2 with four external addresses: 24 connections to different
   servers. Pass 1 (the clients' SYNs) gives the mappings; pass 2 adds the
   servers' SYN-ACKs, sent to those external addresses and ports, and the
   clients' ACKs. The runtime spreads frames over the workers by its own
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
    from scapy.all import IP, IPv6, TCP, UDP, Ether, rdpcap, wrpcap
except ImportError:
    print("SKIP: python3-scapy missing")
    sys.exit(77)

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation  # noqa: E402

EXT = "192.0.2.1"
MAP = {("10.0.0.1", 40000, 6): 20000, ("10.0.0.1", 40001, 6): 20001, ("10.0.0.7", 5353, 17): 20000}
REV = {(port, proto): (ip, cport) for (ip, cport, proto), port in MAP.items()}
failures = []


def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failures.append(what)


def l4(p):
    return p[TCP] if TCP in p else p[UDP] if UDP in p else None


def expected(p):
    """What the NAT sends for input frame p (None: dropped)."""
    if IP in p and (p[IP].flags.MF or p[IP].frag):
        return None                      # fragments of a translated flow: dropped
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
    check(len(inp) - len(want) == 5, "two input frames are unsolicited, three are fragments")
    check(got == want, f"output = the input with the NAT's rewrites, byte for byte, in order "
          f"({len(got)} frames, {sum(a != b for a, b in zip(got, want))} differ)")
    check(all(csum_ok(p) for p in out), "every output frame's IPv4 and TCP/UDP checksums verify")
    n_out = sum(1 for p in out if IP in p and p[IP].src == EXT)
    n_in = sum(1 for p in inp if IP in p and p[IP].dst == EXT) - 2
    check(n_out == 11 and n_in == 7, f"11 client frames translated out, 7 replies translated in ({n_out}, {n_in})")
    check(not any(IP in p and (p[IP].src.startswith("10.") and p[IP].dst.startswith("198.51.100."))
                  for p in out), "no inside address leaves toward the outside")
    try:
        st = json.load(open(f"{tmp}/st.json"))
    except (OSError, ValueError):
        st = {}
    check(st.get("dropped") == 5 and st.get("forwarded") == len(want) and st.get("tx_packets") == len(want),
          f"--stats ({ {k: st.get(k) for k in ('forwarded', 'dropped', 'tx_packets')} })")
    readme = [x for x in open(f"{HERE}/README.md").read().splitlines() if x.startswith('{"record"')]
    check(r.stdout.splitlines() == readme and len(readme) == 8, "records = the README's sample output")
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    ends = {x["client_port"]: x for x in recs if x["record"] == "unmapped"}
    check(ends.get(40000, {}).get("server_pkts") == 4 and ends.get(40000, {}).get("reason") == "fin",
          f"the HTTP connection is one flow, both directions, ended by FIN ({ends.get(40000)})")
    check("2 unsolicited frames dropped, 3 fragments dropped" in r.stderr, f"counters at exit ({r.stderr.strip()})")

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
        frames += [h[0], sa2, h[2]]
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
    check("0 on a mismatched core, 0 unsolicited" in r.stderr, f"no mismatch, nothing unsolicited ({r.stderr.strip()})")

# A bad configuration stops the program before it reads a packet.
r = run(["-r", f"{HERE}/nat.pcap"], {"MOS_NAT_ADDRS": "192.0.2.300"})
check(r.returncode == 2 and "MOS_NAT_ADDRS" in r.stderr and r.stdout == "", f"bad MOS_NAT_ADDRS: status 2 ({r.returncode})")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("PASS")
