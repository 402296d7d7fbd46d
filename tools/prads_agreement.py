#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Agreement of examples/prads with prads (Debian's prads 0.3.3) on assets.

    prads_agreement.py PROG CORPUS_DIR|CAPTURE [--min PERCENT] [--verbose]

Runs prads (-r CAPTURE -l LOG) and PROG (the built prads example) on every
capture of CORPUS_DIR/pcaps (or on the one CAPTURE) and compares, per capture, the sets of assets
(role, address, service port, transport protocol): role "service" is a
prads SERVER line / a `service` record, role "client" a CLIENT line / a
`client` record. Banner texts, OS fingerprints and VLANs are not compared
(the OS lines, SYN and SYNACK, are compared as (address, kind) and reported
separately, for information, and so are the fingerprint strings of the hosts
both fingerprinted). The agreement is |both| / |either| over all
captures, services and clients together; one line per capture with a
difference lists each asset only one side reported.

Exit status: 0 when the agreement is at least --min percent (default 0), 1
below it or when a program fails, 77 (skip) when the corpus or prads is
missing.
"""
import argparse
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROLES = {"SERVER": "service", "CLIENT": "client"}
OS_KINDS = {"SYN": "syn", "SYNACK": "synack"}


def ip(a):
    return str(ipaddress.ip_address(a))


def prads_assets(prads, pcap, tmp):
    """(assets, os) from prads's asset log:
    'asset,vlan,port,proto,service,[service-info],distance,discovered'."""
    log = os.path.join(tmp, os.path.basename(pcap) + ".prads")
    # (no -d: in prads 0.3.3 it takes an argument and would swallow "-r")
    subprocess.run([prads, "-r", pcap, "-l", log], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp, timeout=120)
    assets, oses = set(), set()
    with open(log, errors="replace") as f:
        for line in f:
            cols = line.rstrip("\n").split(",")
            if len(cols) < 6 or cols[0] == "asset":
                continue
            if cols[4] in ROLES:
                assets.add((ROLES[cols[4]], ip(cols[0]), int(cols[2]), int(cols[3])))
            elif cols[4] in OS_KINDS:
                fp = line.split(",", 5)[5].lstrip("[")
                oses.add((ip(cols[0]), OS_KINDS[cols[4]], ":".join(fp.split(":")[:6])))
    return assets, oses


def prog_assets(prog, pcap, tmp):
    out = os.path.join(tmp, os.path.basename(pcap) + ".jsonl")
    subprocess.run([prog, "-q", "-r", pcap, "--out", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assets, oses = set(), set()
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            if r["record"] in ("service", "client"):
                assets.add((r["record"], ip(r["ip"]), r["port"], r["proto"]))
            elif r["record"] == "os":
                oses.add((ip(r["ip"]), r["kind"], r["fingerprint"]))
    return assets, oses


def no_df(fp):
    """A fingerprint without its DF field (prads 0.3.3 prints 1 for IPv4 SYNs without DF)."""
    f = fp.split(":")
    return ":".join(f[:2] + f[3:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prog")
    ap.add_argument("corpus")
    ap.add_argument("--min", type=float, default=0.0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()

    pcaps_dir = os.path.abspath(os.path.join(a.corpus, "pcaps"))
    prads = shutil.which("prads")
    if not os.path.isfile(a.corpus) and not os.path.isdir(pcaps_dir):
        print(f"skip: no corpus at {a.corpus}")
        return 77
    if prads is None:
        print("skip: prads is not installed (apt-get install prads)")
        return 77
    if os.path.isfile(a.corpus):
        pcaps = [os.path.abspath(a.corpus)]
    else:
        pcaps = sorted(os.path.join(pcaps_dir, p) for p in os.listdir(pcaps_dir)
                       if p.endswith((".pcap", ".pcapng", ".cap")))

    tot = {"both": 0, "prads": 0, "prog": 0}
    os_tot = {"both": 0, "prads": 0, "prog": 0}
    fp_tot = {"compared": 0, "same": 0, "same_but_df": 0}
    with tempfile.TemporaryDirectory() as tmp:
        def run(p):
            return p, prads_assets(prads, p, tmp), prog_assets(a.prog, p, tmp)
        try:
            with ThreadPoolExecutor(max_workers=2) as ex:
                results = list(ex.map(run, pcaps))
        except subprocess.CalledProcessError as e:
            print(f"error: {' '.join(e.cmd)} exited with {e.returncode}")
            return 1
    for p, (pa, po), (ma, mo) in results:
        both, only_p, only_m = pa & ma, pa - ma, ma - pa
        tot["both"] += len(both)
        tot["prads"] += len(only_p)
        tot["prog"] += len(only_m)
        ph, mh = {x[:2] for x in po}, {x[:2] for x in mo}
        os_tot["both"] += len(ph & mh)
        os_tot["prads"] += len(ph - mh)
        os_tot["prog"] += len(mh - ph)
        for host, kind, fp in mo:       # our lines for hosts prads also fingerprinted
            theirs = {x[2] for x in po if x[:2] == (host, kind)}
            if theirs:
                fp_tot["compared"] += 1
                fp_tot["same"] += fp in theirs
                fp_tot["same_but_df"] += no_df(fp) in {no_df(t) for t in theirs}
        if only_p or only_m or a.verbose:
            print(f"{os.path.basename(p)}: {len(both)} agree, {len(only_p)} only prads, "
                  f"{len(only_m)} only prog")
            for x in sorted(only_p):
                print(f"    only prads: {x[0]} {x[1]} port {x[2]} proto {x[3]}")
            for x in sorted(only_m):
                print(f"    only prog:  {x[0]} {x[1]} port {x[2]} proto {x[3]}")
    n = tot["both"] + tot["prads"] + tot["prog"]
    pct = 100.0 * tot["both"] / n if n else 100.0
    osn = os_tot["both"] + os_tot["prads"] + os_tot["prog"]
    ospct = 100.0 * os_tot["both"] / osn if osn else 100.0
    print(f"os (ip, syn/synack): {os_tot['both']}/{osn} = {ospct:.1f}% "
          f"({os_tot['prads']} only prads, {os_tot['prog']} only prog)")
    print(f"fingerprints: {fp_tot['same']}/{fp_tot['compared']} identical, "
          f"{fp_tot['same_but_df']} identical but for DF")
    print(f"agreement: {tot['both']}/{n} assets = {pct:.1f}% "
          f"({tot['prads']} only prads, {tot['prog']} only prog; minimum {a.min:g}%)")
    return 0 if pct >= a.min else 1


if __name__ == "__main__":
    sys.exit(main())
