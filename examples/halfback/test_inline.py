#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_inline.py HALFBACK — Halfback's injected segments, checked in the output capture.

Runs the program on flows.pcap with --inline-out (--burst 1: each injected
frame right after the frame that caused it) and checks, with scapy:
  - every input frame is forwarded, byte for byte, in order; the extra frames
    are the injected ones;
  - flow 40000 (6 segments, the last lost downstream): segments 6 and 5 are
    re-sent, in that order, each right after a client ACK; flow 40003: 4, 3, 2;
    the long flow (40001) and the fully acknowledged IPv6 flow get nothing;
  - each injected frame goes from the server to the client (addresses, ports,
    MACs of the client's own frames swapped), carries the original segment's
    sequence number, acknowledgement number, TCP options (timestamps in flow
    40000) and payload, ACK|PSH, and valid IPv4 and TCP checksums: here it is
    the original frame byte for byte;
  - --stats counts them (injected_sent 5, tx_packets = forwarded + 5);
  - with the default burst the same frames are injected;
  - on a raw-IP capture (LINKTYPE_RAW) the output is the same, injected frames
    written without a link header.
Exit 0 pass, 1 fail, 77 skipped (no scapy).
"""
import json
import logging
import os
import subprocess
import sys
import tempfile

try:
    from scapy.all import IP, IPv6, TCP, Ether, Raw, rdpcap, wrpcap
except ImportError:
    print("SKIP: python3-scapy missing")
    sys.exit(77)
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)   # mixed IPv4/IPv6 raw frames

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
CMAC, SMAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
failures = []


def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failures.append(what)


def run(tmp, name, extra):
    r = subprocess.run([BIN, "-q", "-r", f"{HERE}/flows.pcap", "--inline-out", f"{tmp}/{name}.pcap",
                        "--stats", f"{tmp}/{name}.json", "--out", f"{tmp}/{name}.rec"] + extra,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"{name}: run exits 0 (got {r.returncode}: {r.stderr.strip()[:200]})")
    out = rdpcap(f"{tmp}/{name}.pcap") if os.path.exists(f"{tmp}/{name}.pcap") else []
    try:
        st = json.load(open(f"{tmp}/{name}.json"))
    except (OSError, ValueError):
        st = {}
    return out, st


def split(inp, out):
    """Align out with inp: (extras as (index in out, frame, previous frame))."""
    ib = [bytes(p) for p in inp]
    extras, i = [], 0
    for k, p in enumerate(out):
        if i < len(ib) and bytes(p) == ib[i]:
            i += 1
        else:
            extras.append((k, p, out[k - 1] if k else None))
    return extras, i == len(ib)


inp = rdpcap(f"{HERE}/flows.pcap")
# the original server data segments, by (client port, seq)
orig = {(p[TCP].dport, p[TCP].seq): p for p in inp
        if TCP in p and p[TCP].sport == 80 and Raw in p}

with tempfile.TemporaryDirectory() as tmp:
    out, st = run(tmp, "burst1", ["--burst", "1"])
    readme = [x for x in open(f"{HERE}/README.md").read().splitlines() if x.startswith('{"record"')]
    recs = open(f"{tmp}/burst1.rec").read().splitlines() if os.path.exists(f"{tmp}/burst1.rec") else []
    check(recs == readme and len(recs) == 4, "records = the README's sample output")
    extras, all_fwd = split(inp, out)
    check(all_fwd and len(out) == len(inp) + len(extras),
          f"every input frame forwarded byte for byte, in order ({len(out)} out, {len(inp)} in)")
    check(len(extras) == 5, f"5 injected frames ({len(extras)})")
    by_flow = {}
    for k, p, prev in extras:
        by_flow.setdefault(p[TCP].dport if TCP in p else None, []).append((k, p, prev))
    check(sorted(by_flow) == [40000, 40003], f"only flows 40000 and 40003 get re-sends ({sorted(k for k in by_flow if k)})")
    for port, nseg, size in ((40000, [6, 5], 100), (40003, [4, 3, 2], 500)):
        got = by_flow.get(port, [])
        isn = 5001
        want_seqs = [isn + (i - 1) * size for i in nseg]
        seqs = [p[TCP].seq for _, p, _ in got]
        check(seqs == want_seqs, f"{port}: segments {nseg} re-sent in reverse order (seqs {seqs})")
        for k, p, prev in got:
            o = orig.get((port, p[TCP].seq))
            check(o is not None and bytes(p) == bytes(o),
                  f"{port}: re-sent seq {p[TCP].seq}: the original frame byte for byte "
                  f"(options {p[TCP].options})")
            ok = (o is not None and Raw in p and p[Raw].load == o[Raw].load
                  and p[TCP].ack == o[TCP].ack and p[IP].src == "10.0.0.2" and p[IP].dst == "10.0.0.1"
                  and p[TCP].sport == 80 and p[Ether].dst == CMAC and p[Ether].src == SMAC
                  and p[TCP].flags == "PA")
            check(ok, f"{port}: re-sent seq {p[TCP].seq}: server to client, original ack and payload byte for byte")
            q = Ether(bytes(p))
            ic, tc = q[IP].chksum, q[TCP].chksum
            del q[IP].chksum, q[TCP].chksum
            q = Ether(bytes(q))
            check(q[IP].chksum == ic and q[TCP].chksum == tc, f"{port}: re-sent seq {p[TCP].seq}: checksums valid")
            check(prev is not None and TCP in prev and prev[TCP].sport == port and prev[TCP].flags == "A",
                  f"{port}: re-sent seq {p[TCP].seq} right after a client ACK")
    check(st.get("forwarded") == len(inp) and st.get("injected_sent") == 5 and st.get("injected_unrouted") == 0
          and st.get("tx_packets") == len(inp) + 5 and st.get("dropped") == 0,
          f"--stats ({ {k: st.get(k) for k in ('forwarded', 'dropped', 'tx_packets', 'injected_sent', 'injected_unrouted')} })")

    out32, st32 = run(tmp, "burst32", [])
    extras32, all_fwd32 = split(inp, out32)
    check(all_fwd32 and sorted(bytes(p) for _, p, _ in extras32) == sorted(bytes(p) for _, p, _ in extras),
          "default burst: the same frames injected")

    # A raw-IP capture (LINKTYPE_RAW): the same frames, injected ones without a link header.
    raw = []
    for p in inp:
        q = p[IP] if IP in p else p[IPv6]
        q = q.__class__(bytes(q))
        q.time = p.time
        raw.append(q)
    wrpcap(f"{tmp}/raw.pcap", raw, linktype=101)
    r = subprocess.run([BIN, "-q", "-r", f"{tmp}/raw.pcap", "--burst", "1", "--inline-out",
                        f"{tmp}/raw_out.pcap"], capture_output=True, text=True, timeout=60)
    rout = rdpcap(f"{tmp}/raw_out.pcap") if os.path.exists(f"{tmp}/raw_out.pcap") else []
    want_raw = [bytes(p[IP]) if IP in p else bytes(p[IPv6]) for p in out]
    check(r.returncode == 0 and [bytes(p) for p in rout] == want_raw,
          f"raw-IP capture: the same output, injected frames without a link header ({len(rout)} frames)")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("PASS")
