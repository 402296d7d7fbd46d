#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# mostrace makes what it was asked for, checked with pktstats and conntrack:
# flow, IPv6 and VLAN counts, frame counts, well-formed frames, reassembled
# bytes, and the same file for the same seed.
#   mostrace_test.sh MOSTRACE PKTSTATS CONNTRACK
set -eu
gen=$1 pktstats=$2 conntrack=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" -q -o "$tmp/a.pcap" --flows 1000 --ipv6 0.2 --vlan 0.1 --stats "$tmp/g.json"
"$gen" -q -o "$tmp/b.pcap" --flows 1000 --ipv6 0.2 --vlan 0.1
cmp "$tmp/a.pcap" "$tmp/b.pcap"
"$pktstats" -q --stats "$tmp/p.json" -r "$tmp/a.pcap"
"$conntrack" -q --udp -r "$tmp/a.pcap" --out "$tmp/c.jsonl"
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
g = json.load(open(t + "/g.json")); p = json.load(open(t + "/p.json"))
c = [json.loads(l) for l in open(t + "/c.jsonl")]
assert g["flows"] == 1000 and g["ipv6_flows"] == 200 and g["vlan_flows"] == 100, g
assert len(c) == 1000, len(c)
assert sum(":" in r["client"] for r in c) == 200
assert sum(bool(r["vlan"]) for r in c) == 100
assert sum(r["end_reason"] == "rst" for r in c) == g["rst_flows"]
for a, b in (("packets", "packets"), ("ipv6_frames", "ipv6"), ("vlan_frames", "vlan_tagged"),
             ("tcp_frames", "tcp"), ("udp_frames", "udp")):
    assert g[a] == p[b], (a, g[a], p[b])
assert p["malformed_total"] == 0, p
assert sum(r["stream_s2c"] for r in c) == g["payload_s2c"]
assert sum(r["stream_c2s"] for r in c) == g["payload_c2s"]
print("ok")
PY
