#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Captures that test the shared scan of offline workers (runtime/split.c):
mksplit.py DIR writes into DIR
  split_fake.pcap  TCP connections whose payloads are chains of fake pcap
                   record headers, so a chunk's first record, guessed from
                   a chain of plausible headers, is mostly wrong;
  split_snap.pcap  the same with one record longer than the snapshot
                   length in the middle (read by libpcap from there on);
  split_cut.pcap   split_fake.pcap cut inside a record (a read error);
  split_fake.pcapng  the same connections as pcapng, payloads full of fake
                   enhanced packet blocks, statistics blocks between
                   records and a second interface described mid-file
                   (the shared scan ends there);
  split_cut.pcapng split_fake.pcapng cut inside a block (a read error);
  split_big.pcap   connections of segments up to 64 KiB (as a capture
                   of offloaded traffic shows them): a burst of frames
                   spans more chunks than the scan has slots.
Deterministic: the same bytes every time."""
import os
import struct
import sys

T0 = 1700000000


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0, 64, 6, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    return eth + ip + tcp + payload


def fake_payload(n, salt):
    """n bytes of back-to-back fake records: 16-byte headers (time near
    the capture's, caplen = len = 44) and 44 bytes each."""
    rec = struct.pack("<IIII", T0 + salt % 7, 1000 * salt % 1000000, 44, 44) + bytes(
        (salt + i) & 0xff for i in range(44))
    return (rec * (n // len(rec) + 1))[:n]


def ng_block(kind, body):
    body += bytes(-len(body) % 4)
    return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


def ng_epb(iface, t, fr):
    return ng_block(6, struct.pack("<IIIII", iface, t >> 32, t & 0xffffffff, len(fr), len(fr)) + fr)


def fake_ng_payload(n, salt):
    """n bytes of back-to-back fake enhanced packet blocks of 64 bytes."""
    rec = ng_epb(0, (T0 + salt % 7) * 1000000 + salt, bytes((salt + i) & 0xff for i in range(32)))
    return (rec * (n // len(rec) + 1))[:n]


def connections(n_conns, rounds, fake=fake_payload, size_of=None):
    """Records (time, frame) of n_conns interleaved connections; payload
    sizes size_of(round, connection) (300 to 1399 bytes by default)."""
    out, t = [], 0
    state = []
    for c in range(n_conns):
        cli, srv = [10, 1, c >> 8, c & 0xff], [10, 2, 0, 1 + c % 7]
        state.append([cli, srv, 40000 + c, 80, 1000, 5000])
    def emit(fr):
        nonlocal t
        out.append((t, fr))
        t += 1
    for cli, srv, cp, sp, _, _ in state:
        emit(frame(cli, srv, cp, sp, 999, 0, 0x02, b""))
        emit(frame(srv, cli, sp, cp, 4999, 1000, 0x12, b""))
        emit(frame(cli, srv, cp, sp, 1000, 5000, 0x10, b""))
    for r in range(rounds):
        for k, st in enumerate(state):
            cli, srv, cp, sp, cs, ss = st
            size = size_of(r, k) if size_of else 300 + (r * 131 + k * 17) % 1100
            emit(frame(cli, srv, cp, sp, cs, ss, 0x18, fake(size, r + k)))
            st[4] += size
            emit(frame(srv, cli, sp, cp, ss, st[4], 0x18, fake(size // 2 + 50, r * k)))
            st[5] += size // 2 + 50
    for cli, srv, cp, sp, cs, ss in state:
        emit(frame(cli, srv, cp, sp, cs, ss, 0x11, b""))
        emit(frame(srv, cli, sp, cp, ss, cs + 1, 0x11, b""))
        emit(frame(cli, srv, cp, sp, cs + 1, ss + 1, 0x10, b""))
    return out


def write(path, recs, snap=65535, cut=None):
    data = bytearray(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snap, 1))
    for t, fr in recs:
        caplen = len(fr)
        data += struct.pack("<IIII", T0 + t // 1000, (t % 1000) * 1000, caplen, caplen) + fr
    if cut is not None:
        data = data[:cut]
    with open(path, "wb") as f:
        f.write(data)


def write_ng(path, recs, cut=None):
    """pcapng: microsecond interface 0, a statistics block every 97 records,
    interface 1 (nanoseconds) described half-way and used from there on by
    every other record."""
    data = bytearray(ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
    data += ng_block(1, struct.pack("<HHI", 1, 0, 262144))
    for i, (t, fr) in enumerate(recs):
        if i == len(recs) // 2:
            data += ng_block(1, struct.pack("<HHIHHB3xI", 1, 0, 262144, 9, 1, 9, 0))
        if i % 97 == 50:
            data += ng_block(5, bytes(28))
        if i >= len(recs) // 2 and i % 2:
            data += ng_epb(1, (T0 * 1000000 + t * 1000) * 1000, fr)
        else:
            data += ng_epb(0, T0 * 1000000 + t * 1000, fr)
    if cut is not None:
        data = data[:cut]
    with open(path, "wb") as f:
        f.write(data)


d = sys.argv[1]
recs = connections(200, 40)
write(os.path.join(d, "split_fake.pcap"), recs)
# a record longer than the snapshot length (70000 > 65535) in the middle:
# an Ethernet frame of a local experimental ethertype
big = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x88\xb5" + fake_payload(70000 - 14, 3)
mid = len(recs) // 2
write(os.path.join(d, "split_snap.pcap"), recs[:mid] + [(recs[mid][0], big)] + recs[mid:])
size = os.path.getsize(os.path.join(d, "split_fake.pcap"))
write(os.path.join(d, "split_cut.pcap"), recs, cut=size * 2 // 3 + 7)
ng = connections(200, 40, fake_ng_payload)
write_ng(os.path.join(d, "split_fake.pcapng"), ng)
size = os.path.getsize(os.path.join(d, "split_fake.pcapng"))
write_ng(os.path.join(d, "split_cut.pcapng"), ng, cut=size * 2 // 3 + 7)
write(os.path.join(d, "split_big.pcap"),
      connections(200, 2, size_of=lambda r, k: 20000 + (r * 7919 + k * 4093) % 45000))
