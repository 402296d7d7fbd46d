#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""inline_pcap_test.py DROPPER — the inline path without root or namespaces.

Two net_pcap ports stand for the two sides of the wire: port 0 receives the
client's frames (rx_pcap) and writes what the box sends toward the client
(tx_pcap), port 1 the same for the server. With --burst 1 the loop reads one
frame per port per round, so the frames arrive in the order of a real
exchange. DROPPER (tests/netns/dropper.c) drops TCP port 9 and resets port 7
at the client's first data. Checks:
  - forwarded frames come out of the paired port byte for byte (MACs kept,
    VLAN tag kept), non-IP (ARP) included;
  - the port-9 SYN and the client's data to port 7 are not forwarded;
  - one RST leaves toward each endpoint on the port that endpoint's frames
    arrive on, with swapped MACs of that endpoint's last frame, VLAN 42
    kept, valid checksums, and the sequence number the receiver expects;
  - --stats counts it all; --inline usage errors exit 2.
Exit 0 pass, 1 fail, 77 skipped (no scapy).
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    from scapy.all import ARP, Dot1Q, Ether, IP, TCP, Raw, rdpcap, wrpcap
except ImportError:
    print("SKIP: python3-scapy missing")
    sys.exit(77)

DROPPER = sys.argv[1]
CMAC, SMAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
CIP, SIP = "10.200.0.1", "10.200.0.2"
failures = []


def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failures.append(what)


def c2s(**kw):
    return Ether(src=CMAC, dst=SMAC) / Dot1Q(vlan=42) / IP(src=CIP, dst=SIP) / TCP(**kw)


def s2c(**kw):
    return Ether(src=SMAC, dst=CMAC) / Dot1Q(vlan=42) / IP(src=SIP, dst=CIP) / TCP(**kw)


def run(args, timeout=None):
    return subprocess.run([DROPPER] + args, capture_output=True, text=True, timeout=timeout)


with tempfile.TemporaryDirectory() as tmp:
    # Client side (port 0) and server side (port 1), interleaved by --burst 1:
    # round 1: SYN / SYN-ACK, round 2: ACK / -, round 3: SYN to 9, 4: ARP, 5: data.
    cli = [
        c2s(sport=40000, dport=7, flags="S", seq=1000),
        c2s(sport=40000, dport=7, flags="A", seq=1001, ack=5001),
        c2s(sport=40001, dport=9, flags="S", seq=77),
        Ether(src=CMAC, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=CIP, pdst=SIP, hwsrc=CMAC),
        c2s(sport=40000, dport=7, flags="PA", seq=1001, ack=5001) / Raw(b"ping"),
    ]
    srv = [s2c(sport=7, dport=40000, flags="SA", seq=5000, ack=1001)]
    cli = [Ether(bytes(p)) for p in cli]   # checksums and lengths filled in
    srv = [Ether(bytes(p)) for p in srv]
    for p in cli + srv:
        p.time = 1.0
    wrpcap(f"{tmp}/c.pcap", cli)
    wrpcap(f"{tmp}/s.pcap", srv)
    eal = (f"--vdev=net_pcap0,rx_pcap={tmp}/c.pcap,tx_pcap={tmp}/to_c.pcap "
           f"--vdev=net_pcap1,rx_pcap={tmp}/s.pcap,tx_pcap={tmp}/to_s.pcap")
    # net_pcap never reports the end of a file: stop with SIGINT after 3 s.
    r = subprocess.run(["timeout", "--preserve-status", "-s", "INT", "3", DROPPER, "-q", "--burst", "1",
                        "--inline", "--dpdk", eal, "--stats", f"{tmp}/st.json",
                        "--out", f"{tmp}/flows.txt"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, f"inline run exits 0 (got {r.returncode}: {r.stderr.strip()})")
    to_s = rdpcap(f"{tmp}/to_s.pcap") if os.path.exists(f"{tmp}/to_s.pcap") else []
    to_c = rdpcap(f"{tmp}/to_c.pcap") if os.path.exists(f"{tmp}/to_c.pcap") else []
    sent_s = [bytes(p) for p in to_s]
    sent_c = [bytes(p) for p in to_c]

    check(sent_s[:2] == [bytes(cli[0]), bytes(cli[1])],
          "SYN and ACK forwarded to the server port byte for byte")
    check(bytes(cli[3]) in sent_s, "ARP forwarded")
    check(bytes(cli[2]) not in sent_s, "SYN to port 9 dropped")
    check(bytes(cli[4]) not in sent_s, "data to port 7 dropped")
    check(sent_c[:1] == [bytes(srv[0])], "SYN-ACK forwarded to the client port byte for byte")

    def rsts(frames):
        return [p for p in frames if TCP in p and p[TCP].flags.R]

    rs, rc = rsts(to_s), rsts(to_c)
    check(len(rs) == 1 and len(rc) == 1, f"one RST toward each side ({len(rs)} to server, {len(rc)} to client)")
    if len(rs) == 1 and len(rc) == 1:
        a, b = rs[0], rc[0]
        check(a[Ether].dst == SMAC and a[Ether].src == CMAC and Dot1Q in a and a[Dot1Q].vlan == 42,
              "RST to the server: server's MAC, client's MAC, VLAN 42")
        check(b[Ether].dst == CMAC and b[Ether].src == SMAC and Dot1Q in b and b[Dot1Q].vlan == 42,
              "RST to the client: client's MAC, server's MAC, VLAN 42")
        check(a[IP].src == CIP and a[IP].dst == SIP and a[TCP].dport == 7 and a[TCP].seq == 1001,
              f"RST to the server carries the server's RCV.NXT (seq {a[TCP].seq})")
        check(b[IP].src == SIP and b[IP].dst == CIP and b[TCP].dport == 40000 and b[TCP].seq == 5001,
              f"RST to the client carries the client's RCV.NXT (seq {b[TCP].seq})")
        for p, who in ((a, "server"), (b, "client")):
            q = Ether(bytes(p))
            ic, tc = q[IP].chksum, q[TCP].chksum
            del q[IP].chksum, q[TCP].chksum
            q = Ether(bytes(q))
            check(q[IP].chksum == ic and q[TCP].chksum == tc, f"RST to the {who}: checksums valid")
    try:
        st = json.load(open(f"{tmp}/st.json"))
    except (OSError, ValueError):
        st = {}
    keys = list(st)
    check(keys[:13] == ["packets", "bytes", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6",
                        "ip_fragments", "vlan_tagged", "truncated", "malformed_total",
                        "malformed"] and keys[13:] == ["forwarded", "dropped", "tx_packets",
                        "tx_dropped", "injected_sent", "injected_unrouted", "rx_missed",
                        "rx_errors", "rx_nombuf", "resources"],
          "--stats keys: the decoder's, the forwarding and port counters, then resources")
    check(st.get("resources", {}).get("flows", {}).get("created") == 2,
          f"--stats resources: 2 flows created ({st.get('resources', {}).get('flows')})")
    check(st.get("forwarded") == 4 and st.get("dropped") == 2 and st.get("injected_sent") == 2
          and st.get("injected_unrouted") == 0 and st.get("tx_packets") == 6
          and st.get("tx_dropped") == 0,
          f"--stats counters ({ {k: st.get(k) for k in keys[13:22]} })")

    # Passive on the same ports: nothing is written to the tx files.
    eal_p = eal.replace("to_c.pcap", "p_c.pcap").replace("to_s.pcap", "p_s.pcap")
    r = subprocess.run(["timeout", "--preserve-status", "-s", "INT", "3", DROPPER, "-q", "--burst", "1", "--dpdk",
                        eal_p, "--stats", f"{tmp}/stp.json"], capture_output=True, text=True,
                       timeout=30)
    stp = json.load(open(f"{tmp}/stp.json")) if os.path.exists(f"{tmp}/stp.json") else {}
    sent = sum(len(rdpcap(f)) for f in (f"{tmp}/p_c.pcap", f"{tmp}/p_s.pcap") if os.path.exists(f))
    check(r.returncode == 0 and sent == 0 and stp.get("packets") == 6 and stp.get("tx_packets") == 0
          and stp.get("dropped") == 2, f"passive run sends nothing (sent {sent}, stats {stp})")

# Usage errors: odd port count, bad pairs, --inline with -r.
for args, what in (
        (["--dpdk", "--vdev=net_null0", "--inline"], "odd number of ports"),
        (["--dpdk", "--vdev=net_null0 --vdev=net_null1", "--inline", "0:0"], "a port paired with itself"),
        (["--dpdk", "--vdev=net_null0 --vdev=net_null1 --vdev=net_null2", "--inline", "0:1"],
         "a port in no pair"),
        (["--dpdk", "--vdev=net_null0 --vdev=net_null1", "--inline", "0:5"], "a missing port"),
        (["-r", "/dev/null", "--inline"], "--inline with -r")):
    r = run(["-q"] + args, timeout=30)
    check(r.returncode == 2 and "--inline" in r.stderr, f"usage error for {what} (rc {r.returncode})")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("PASS")
