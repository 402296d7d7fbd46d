#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Conformance: examples/httplog and examples/tls_sni against tshark's
app.tsv on every capture of the corpus.

usage: app_vs_tshark.py HTTPLOG TLS_SNI CORPUS_DIR [--verbose]
Runs both programs on each capture and compares, per connection (its two
endpoints) and as multisets, tshark's HTTP requests (method, host, uri),
response statuses and ClientHello server names with the programs' records.
Prints the agreement (tshark entries we also report / tshark entries) and
every difference; exit 1 below 99 %, 77 (skipped) without the corpus.
Flows cut by the capture's snaplen (conns.tsv trunc_* > 0) are left out, as
the corpus README asks. docs/conformance.md explains the differences.
"""
import collections
import ipaddress
import json
import os
import subprocess
import sys


def rows(path):
    with open(path, newline="") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            vals = line.rstrip("\n").split("\t")
            yield dict(zip(head, vals + [""] * (len(head) - len(vals))))


def conn_key(a, ap, b, bp):
    ends = sorted([(ipaddress.ip_address(a).compressed, int(ap)),
                   (ipaddress.ip_address(b).compressed, int(bp))])
    return tuple(ends)


def truth_items(tdir):
    """tshark's entries per connection, and the connections to leave out."""
    flows, cut = {}, set()
    for r in rows(os.path.join(tdir, "conns.tsv")):
        k = conn_key(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])
        flows[r["flowid"]] = k
        if r["trunc_c2s"] not in ("", "0") or r["trunc_s2c"] not in ("", "0"):
            cut.add(k)
    items = collections.defaultdict(collections.Counter)
    for r in rows(os.path.join(tdir, "app.tsv")):
        k = flows.get(r["flowid"])
        if k is None:
            continue
        if r["http_method"]:
            m = r["http_method"].split("|")
            n = len(m)
            pick = (lambda col, i: col.split("|")[i] if n > 1 and len(col.split("|")) == n else col)
            for i in range(n):
                items[k][("request", pick(r["http_method"], i), pick(r["http_host"], i),
                          pick(r["http_uri"], i))] += 1
        if r["http_status"]:
            for s in r["http_status"].split("|"):
                items[k][("status", s)] += 1
        if r["tls_hs_type"]:
            snis = r["tls_sni"].split("|")
            ci = 0
            for t in r["tls_hs_type"].split("|"):
                if t == "1":
                    items[k][("server_name", snis[ci] if ci < len(snis) else "")] += 1
                    ci += 1
    return items, cut


def our_items(prog, pcap):
    out = subprocess.run([prog, "-q", "-r", pcap], capture_output=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{prog} failed on {pcap}: {out.stderr.decode(errors='replace')}")
    items = collections.defaultdict(collections.Counter)
    for line in out.stdout.decode("utf-8", errors="surrogateescape").splitlines():
        rec = json.loads(line)
        k = conn_key(rec.get("orig_h", "0.0.0.0"), rec.get("orig_p", 0),
                     rec.get("resp_h", "0.0.0.0"), rec.get("resp_p", 0))
        if rec["record"] == "http_request":
            items[k][("request", rec["method"], rec["host"], rec["uri"])] += 1
        elif rec["record"] == "http_response":
            items[k][("status", str(rec["status_code"]))] += 1
        elif rec["record"] == "ssl" and rec["client_hello"]:
            items[k][("server_name", rec["server_name"])] += 1
    return items


def main():
    httplog, tls_sni, corpus = sys.argv[1:4]
    verbose = "--verbose" in sys.argv
    pcaps = os.path.join(corpus, "pcaps")
    if not os.path.isdir(pcaps):
        print(f"corpus not found at {corpus}: skipped")
        return 77
    total = found = extra = 0
    per_kind = collections.Counter()
    per_kind_found = collections.Counter()
    for name in sorted(os.listdir(pcaps)):
        tdir = os.path.join(corpus, "truth", name)
        if not os.path.exists(os.path.join(tdir, "app.tsv")):
            continue
        truth, cut = truth_items(tdir)
        ours = our_items(httplog, os.path.join(pcaps, name))
        for k, c in our_items(tls_sni, os.path.join(pcaps, name)).items():
            ours[k].update(c)
        for k in sorted(set(truth) | set(ours)):
            if k in cut:
                continue
            t, o = truth.get(k, collections.Counter()), ours.get(k, collections.Counter())
            for item, n in t.items():
                per_kind[item[0]] += n
                per_kind_found[item[0]] += min(n, o[item])
            missing, more = t - o, o - t
            total += sum(t.values())
            found += sum((t & o).values())
            extra += sum(more.values())
            for item, n in sorted(missing.items()):
                print(f"{name} {k}: tshark only: {n} x {item}")
            if verbose:
                for item, n in sorted(more.items()):
                    print(f"{name} {k}: ours only: {n} x {item}")
    pct = 100.0 * found / total if total else 100.0
    kinds = ", ".join(f"{k} {per_kind_found[k]}/{per_kind[k]}" for k in sorted(per_kind))
    print(f"app agreement: {found} of {total} tshark entries ({pct:.2f} %): {kinds}; "
          f"{extra} entries reported by us only")
    return 0 if pct >= 99.0 else 1


if __name__ == "__main__":
    sys.exit(main())
