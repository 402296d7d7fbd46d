#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# mostrace --multiply: N copies of a capture with moved addresses.
#   mostrace_multiply_test.sh MOSTRACE CONNTRACK [PCAP...]
# Without PCAP arguments the input is a synthetic capture (IPv4, IPv6,
# VLAN, TCP, DNS, UDP); with them (corpus captures) each is multiplied in
# turn, and the test exits 77 when the first one is missing.
# Checked:
#  - the same input and options give the same file;
#  - with --shift 0, the copies merged by (time, copy number): copy 0 of
#    each frame byte for byte the input, copy k with each address's moved word (IPv4 octets 1-2, IPv6
#    group 2) plus k, every other byte but checksums equal, and every IPv4
#    header, TCP, UDP and ICMPv6 checksum still valid where it was valid;
#  - with the default shift the timestamps never go back, and conntrack
#    finds N times the input's connections, N per input connection with
#    the same ports, VLANs, packets, bytes, reassembled bytes, gaps,
#    retransmissions, flags, end reason and duration, on distinct addresses.
set -eu
gen=$1 conntrack=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
	"$gen" -q -o "$tmp/in0.pcap" --flows 300 --ipv6 0.3 --vlan 0.2 --dns 0.2 --udp 0.1 \
		--retrans 0.02 --reorder 0.02
	# and frames whose checksums need care: UDP checksums that a move by 1
	# takes to 0 (IPv4 and IPv6; 0 means "none" and must be written
	# 0xffff), ICMPv6 (its checksum covers the addresses), an IPv4 fragment
	/usr/bin/python3 - "$tmp/in1.pcap" <<'PY'
import struct, sys
def cs(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s
eth4 = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00"
eth6 = eth4[:12] + b"\x86\xdd"
def ip4(proto, payload, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, frag, 64, proto, 0,
                    bytes([10, 1, 2, 3]), bytes([192, 168, 9, 9]))
    return h[:10] + struct.pack("!H", 0xffff - cs(h)) + h[12:] + payload
def ip6(nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       bytes.fromhex("20010db8000100000000000000000001"),
                       bytes.fromhex("20010db8000200000000000000000002")) + payload
def udp_with_sum(ph, want):   # a datagram whose checksum comes out as want
    for x in range(65536):
        u = struct.pack("!HHHH", 5353, 5353, 10, 0) + struct.pack("!H", x)
        c = 0xffff - cs(ph + u)
        if c == want:
            return u[:6] + struct.pack("!H", c) + u[8:]
    raise SystemExit("no such datagram")
frames = []
ph4 = bytes([10, 1, 2, 3, 192, 168, 9, 9]) + struct.pack("!BBH", 0, 17, 10)
frames.append(eth4 + ip4(17, udp_with_sum(ph4, 2)))
src6, dst6 = bytes.fromhex("20010db8000100000000000000000001"), bytes.fromhex("20010db8000200000000000000000002")
ph6 = src6 + dst6 + struct.pack("!IxxxB", 10, 17)
frames.append(eth6 + ip6(17, udp_with_sum(ph6, 2)))
icmp = struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"ping"
c = 0xffff - cs(src6 + dst6 + struct.pack("!IxxxB", len(icmp), 58) + icmp)
frames.append(eth6 + ip6(58, icmp[:2] + struct.pack("!H", c) + icmp[4:]))
frames.append(eth4 + ip4(6, b"\0" * 24, frag=0x2000 | 3))   # not a first fragment
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
for i, f in enumerate(frames):
    out.append(struct.pack("<IIII", 1000 + i, 0, len(f), len(f)) + f)
open(sys.argv[1], "wb").write(b"".join(out))
PY
	set -- "$tmp/in0.pcap" "$tmp/in1.pcap"
elif [ ! -r "$1" ]; then
	echo "skip: $1 not found (corpus absent)"
	exit 77
fi
n=3
for in in "$@"; do
	"$gen" -q --multiply $n --shift 0 -r "$in" -o "$tmp/s.pcap"
	"$gen" -q --multiply $n -r "$in" -o "$tmp/m.pcap"
	"$gen" -q --multiply $n -r "$in" -o "$tmp/m2.pcap"
	cmp "$tmp/m.pcap" "$tmp/m2.pcap"
	# pcapng inputs: conntrack reads either; the frame check reads classic
	# pcap, so it compares with copy 0 of a --multiply 1 run (the input as pcap)
	"$gen" -q --multiply 1 -r "$in" -o "$tmp/in.pcap"
	"$conntrack" -q --udp -r "$tmp/in.pcap" --out "$tmp/in.jsonl"
	"$conntrack" -q --udp -r "$tmp/m.pcap" --out "$tmp/m.jsonl"
	/usr/bin/python3 - "$tmp" $n "$in" <<'PY'
import heapq, json, struct, sys
from collections import Counter
t, n, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def frames(path):
    d = open(path, "rb").read()
    magic, = struct.unpack("<I", d[:4])
    assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
    lt, = struct.unpack("<I", d[20:24])
    off, out = 24, []
    while off < len(d):
        s, frac, cap, _ = struct.unpack("<IIII", d[off:off + 16])
        out.append(((s, frac), d[off + 16:off + 16 + cap]))
        off += 16 + cap
    return lt, out, 1 if magic == 0xa1b23c4d else 1000

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s  # 0xffff when valid

def l3(b, lt):
    """(offset, ethertype) of the IP header, or None."""
    if lt == 1:
        off, et = 12, struct.unpack("!H", b[12:14])[0]
        while et in (0x8100, 0x88a8, 0x9100):
            off += 4
            et = struct.unpack("!H", b[off:off + 2])[0]
        return off + 2, et
    if lt == 113:
        return 16, struct.unpack("!H", b[14:16])[0]
    if lt in (101, 12, 228, 229):
        return 0, 0x86dd if b[0] >> 4 == 6 else 0x0800
    return None

def check(b, lt):
    """[(what, valid?)] for every checksum of the frame; the address spans."""
    r = l3(b, lt)
    if r is None:
        return [], []
    o, et = r
    res, spans = [], []
    if et == 0x0800 and len(b) >= o + 20 and b[o] >> 4 == 4:
        hl = (b[o] & 15) * 4
        res.append(("ip", csum(b[o:o + hl]) == 0xffff))
        spans = [(o + 12, 0x0800), (o + 16, 0x0800)]
        tot, = struct.unpack("!H", b[o + 2:o + 4])
        frag, = struct.unpack("!H", b[o + 6:o + 8])
        p = b[o + 9]
        if frag & 0x3fff == 0 and p in (6, 17) and len(b) >= o + tot:
            seg = b[o + hl:o + tot]
            if p == 17 and seg[6:8] == b"\0\0":
                return res, spans
            ph = b[o + 12:o + 20] + struct.pack("!BBH", 0, p, len(seg))
            res.append((("tcp", "udp")[p == 17], csum(ph + seg) == 0xffff))
            if p == 17:
                res.append(("udp not 0", seg[6:8] != b"\0\0"))
    elif et == 0x86dd and len(b) >= o + 40:
        spans = [(o + 8, 0x86dd), (o + 24, 0x86dd)]
        plen, = struct.unpack("!H", b[o + 4:o + 6])
        nh, off = b[o + 6], o + 40
        while nh in (0, 43, 60):
            nh, off = b[off], off + (b[off + 1] + 1) * 8
        if nh in (6, 17, 58) and len(b) >= o + 40 + plen:
            seg = b[off:o + 40 + plen]
            ph = b[o + 8:o + 40] + struct.pack("!IxxxB", len(seg), nh)
            res.append(({6: "tcp", 17: "udp6", 58: "icmp6"}[nh], csum(ph + seg) == 0xffff))
            if nh == 17:
                res.append(("udp6 not 0", seg[6:8] != b"\0\0"))
    return res, spans

lt, fin, _ = frames(t + "/in.pcap")
lt2, fs, _ = frames(t + "/s.pcap")
assert lt == lt2 and len(fs) == n * len(fin), (len(fs), len(fin))
# where each (copy k, input frame j) lands: the copies merged by (time, k)
tkey = lambda f: f[0][0] * 10**9 + f[0][1]  # noqa: E731  (same unit in both files)
order = [(k, j) for _, k, j in heapq.merge(*[[(tkey(f), k, j) for j, f in enumerate(fin)]
                                              for k in range(n)], key=lambda e: (e[0], e[1]))]
at = {kj: i for i, kj in enumerate(order)}
valid = Counter()
for j, (ts, a) in enumerate(fin):
    ca, spans = check(a, lt)
    assert fs[at[(0, j)]] == (ts, a), f"frame {j}: copy 0 differs from the input"
    for k in range(1, n):
        ts2, b = fs[at[(k, j)]]
        assert ts2 == ts and len(b) == len(a), (j, k)
        cb, _ = check(b, lt)
        assert len(ca) == len(cb), (j, k, ca, cb)
        for (w, va), (_, vb) in zip(ca, cb):
            assert vb == va, f"frame {j} copy {k}: {w} checksum valid {va} -> {vb}"
            valid[w] += vb
        moved = set()
        for s, et in spans:
            w = s + (0 if et == 0x0800 else 2)
            x, = struct.unpack("!H", a[w:w + 2])
            y, = struct.unpack("!H", b[w:w + 2])
            assert y == (x + k) & 0xffff, f"frame {j} copy {k}: address word {x:#x} -> {y:#x}"
            moved |= {w, w + 1}
        assert moved, f"frame {j}: no address moved"
# every other byte: compare with the addresses and checksums masked
def masked(b):
    r = l3(b, lt)
    o, et = r
    m = bytearray(b)
    if et == 0x0800:
        hl = (b[o] & 15) * 4
        for i in list(range(o + 10, o + 20)):
            m[i] = 0
        p = b[o + 9]
        if p == 6:
            m[o + hl + 16:o + hl + 18] = b"\0\0"
        if p == 17:
            m[o + hl + 6:o + hl + 8] = b"\0\0"
    else:
        m[o + 8:o + 40] = bytes(32)
        nh, off = b[o + 6], o + 40
        while nh in (0, 43, 60):
            nh, off = b[off], off + (b[off + 1] + 1) * 8
        c = {6: 16, 17: 6, 58: 2}.get(nh)
        if c is not None:
            m[off + c:off + c + 2] = b"\0\0"
    return bytes(m)
for j, (ts, a) in enumerate(fin):
    if l3(a, lt) is None:
        continue
    for k in range(1, n):
        assert masked(fs[at[(k, j)]][1]) == masked(a), f"frame {j} copy {k}: other bytes changed"

lt3, fm, mul = frames(t + "/m.pcap")
assert len(fm) == n * len(fin)
tss = [s * 1_000_000_000 + f * mul for (s, f), _ in fm]
assert all(x <= y for x, y in zip(tss, tss[1:])), "timestamps go back"
ci = [json.loads(l) for l in open(t + "/in.jsonl")]
cm = [json.loads(l) for l in open(t + "/m.jsonl")]
key = lambda r: tuple(json.dumps(r[f]) for f in (  # noqa: E731  all but addresses and times
    "cport", "sport", "vlan", "pkts_c2s", "pkts_s2c", "bytes_c2s", "bytes_s2c", "stream_c2s",
    "stream_s2c", "gap_c2s", "gap_s2c", "rexmit_c2s", "rexmit_s2c", "syn", "synack", "fin_c2s",
    "fin_s2c", "rst_c2s", "rst_s2c", "end_reason")) + (round(r["ts_end"] - r["ts_start"], 6),)
assert len(ci) > 0 and len(cm) == n * len(ci), (len(cm), len(ci))
assert Counter(map(key, cm)) == Counter({k: v * n for k, v in Counter(map(key, ci)).items()})
assert len({(r["client"], r["server"]) for r in cm}) == n * len({(r["client"], r["server"]) for r in ci})
print(f"ok {name}: {len(fin)} frames x {n}, {len(ci)} connections x {n}, "
      f"checksums still valid: {dict(valid)}")
PY
done
