#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Agreement of examples/ndpi with ndpiReader (Debian's libndpi-bin, same nDPI).

    ndpi_agreement.py PROG CORPUS_DIR [--min PERCENT] [--verbose]

Runs ndpiReader (-v 2: every flow, detected or not) and PROG (the built ndpi
example) on every capture of CORPUS_DIR/pcaps, matches flows by transport
protocol and the two endpoints (address, port; either order), and counts an
ndpiReader flow as agreeing when PROG named the same protocol ("HTTP.Google"
= "HTTP.Google"; flows sharing a key, e.g. in different VLANs, are compared
as multisets). Every
ndpiReader flow is counted, also those PROG does not track (ICMP, IGMP).
Prints one line per capture with a difference, each difference, and the total.

Exit status: 0 when the agreement is at least --min percent (default 0),
1 below it or when a program fails, 77 (skip) when the corpus or
ndpiReader is missing.
"""
import argparse
import ipaddress
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor


L4 = {"TCP": 6, "UDP": 17, "ICMP": 1, "IGMP": 2, "ICMPV6": 58}
# "\t3\tTCP 10.0.0.1:40000 <-> [2001:db8::1]:80 [VLAN: 42][proto: 7.126/HTTP.Google][..."
FLOW = re.compile(r"^\t\d+\t(\S+) \[?([0-9a-fA-F.:]+?)\]?:(\d+) <?-> \[?([0-9a-fA-F.:]+?)\]?:(\d+) "
                  r"(?:\[VLAN: \d+\])?\[proto: [\d.]+/([^\]]+)\]")


def key(l4, a, ap, b, bp):
    ends = sorted([(ipaddress.ip_address(a), int(ap)), (ipaddress.ip_address(b), int(bp))])
    return (int(l4), ends[0], ends[1])


def reader_flows(reader, pcap):
    """ndpiReader's flows (detected and undetected: -v 2 lists both)."""
    text = subprocess.run([reader, "-v", "2", "-i", pcap], check=True, capture_output=True,
                          text=True, errors="replace").stdout
    flows = defaultdict(Counter)
    for line in text.splitlines():
        m = FLOW.match(line)
        if m:
            l4, a, ap, b, bp, name = m.groups()
            flows[key(L4.get(l4) or l4, a, ap, b, bp)][name] += 1
    return flows


def prog_flows(prog, pcap, tmp):
    out = os.path.join(tmp, os.path.basename(pcap) + ".jsonl")
    subprocess.run([prog, "-q", "-r", pcap, "--out", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    flows = defaultdict(Counter)
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            flows[key(r["proto"], r["client"], r["client_port"], r["server"], r["server_port"])][r["name"]] += 1
    return flows


def compare(reader, prog, pcap, tmp):
    """(ndpiReader flows, agreeing flows, difference lines) of one capture.
    Flows with the same key (e.g. in different VLANs) agree as multisets."""
    ref, ours = reader_flows(reader, pcap), prog_flows(prog, pcap, tmp)
    n = ok = 0
    diffs = []
    for k, names in ref.items():
        mine = ours.get(k, Counter())
        same = names & mine
        n, ok = n + sum(names.values()), ok + sum(same.values())
        if same != names:
            l4, x, y = k
            theirs = ", ".join(sorted((names - same).elements()))
            got = ", ".join(sorted((mine - same).elements())) or "(no flow)"
            diffs.append(f"    {l4} {x[0]}:{x[1]} {y[0]}:{y[1]}: ndpiReader {theirs}, ndpi {got}")
    return n, ok, diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prog")
    ap.add_argument("corpus")
    ap.add_argument("--min", type=float, default=0.0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    pcaps_dir = os.path.join(a.corpus, "pcaps")
    reader = shutil.which("ndpiReader")
    if not os.path.isdir(pcaps_dir):
        print(f"SKIP: no corpus at {a.corpus}")
        return 77
    if not reader:
        print("SKIP: ndpiReader not installed (Debian package libndpi-bin)")
        return 77
    total = agree = 0
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(os.cpu_count()) as pool:
        names = sorted(os.listdir(pcaps_dir))
        jobs = [pool.submit(compare, reader, a.prog, os.path.join(pcaps_dir, n), tmp) for n in names]
        for name, job in zip(names, jobs):
            try:
                n, ok, diffs = job.result()
            except subprocess.CalledProcessError as e:
                print(f"{name}: {e}")
                return 1
            total, agree = total + n, agree + ok
            if diffs or a.verbose:
                print(f"{name}: {ok}/{n} flows agree")
                for d in diffs:
                    print(d)
    pct = 100.0 * agree / total if total else 100.0
    print(f"agreement: {agree}/{total} flows = {pct:.1f}% (minimum {a.min:g}%)")
    return 0 if pct >= a.min else 1


if __name__ == "__main__":
    sys.exit(main())
