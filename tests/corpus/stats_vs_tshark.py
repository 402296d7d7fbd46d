#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Conformance: per-protocol frame counts of `pktstats --stats` against
tshark's proto_counts.tsv for every capture of the corpus.

usage: stats_vs_tshark.py PKTSTATS CORPUS_DIR
Exit 0 when every capture agrees on ipv4, ipv6, tcp and udp; 1 otherwise;
77 (skipped) when the corpus is absent. The other counters (icmp, icmpv6,
vlan, fragments) are compared and reported; their known differences are in
docs/conformance.md.
"""
import json
import os
import subprocess
import sys
import tempfile

REQUIRED = {"ip": "ipv4", "ipv6": "ipv6", "tcp": "tcp", "udp": "udp"}
REPORTED = {"icmp": "icmp", "icmpv6": "icmpv6", "vlan": "vlan_tagged"}


def main():
    prog, corpus = sys.argv[1], sys.argv[2]
    pcaps_dir = os.path.join(corpus, "pcaps")
    if not os.path.isdir(pcaps_dir):
        print(f"corpus not found at {corpus}: skipped")
        return 77
    passed = failed = 0
    for name in sorted(os.listdir(pcaps_dir)):
        truth_file = os.path.join(corpus, "truth", name, "proto_counts.tsv")
        if not os.path.exists(truth_file):
            continue
        truth = {}
        with open(truth_file) as f:
            next(f)
            for line in f:
                k, v = line.rstrip("\n").split("\t")
                truth[k] = int(v)
        with tempfile.NamedTemporaryFile(suffix=".json") as st:
            r = subprocess.run([prog, "-q", "--stats", st.name, "-r",
                                os.path.join(pcaps_dir, name)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                print(f"FAIL {name}: exit {r.returncode}: {r.stderr.strip()}")
                failed += 1
                continue
            stats = json.load(open(st.name))
        bad = []
        if stats["packets"] != truth["all"]:
            bad.append(f"packets {stats['packets']} != {truth['all']}")
        for t, k in REQUIRED.items():
            if stats[k] != truth[t]:
                bad.append(f"{k} {stats[k]} != tshark {truth[t]}")
        notes = [f"{k} {stats[k]} vs tshark {truth[t]}"
                 for t, k in REPORTED.items() if stats[k] != truth[t]]
        if bad:
            print(f"FAIL {name}: " + "; ".join(bad))
            failed += 1
        else:
            passed += 1
        if notes:
            print(f"note {name}: " + "; ".join(notes))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
