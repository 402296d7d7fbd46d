#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_inline.py SIMPLE_FIREWALL — the firewall inline, checked in its output capture.

Runs the program on mixed.pcap with --inline-out and checks, with scapy:
  - the output holds exactly the input frames of accepted flows and the
    frames no rule looks at (ICMP), byte for byte, in input order;
  - every frame of the dropped flows (both directions, retransmitted SYN
    included) is absent;
  - --stats: forwarded/dropped/tx_packets agree with the capture;
  - the per-rule hit counters (MOS_FW_COUNTERS) match the flows;
  - a bad rule file stops the program with status 2 and FILE:LINE:COL.
Exit 0 pass, 1 fail, 77 skipped (no scapy).
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    from scapy.all import IP, IPv6, TCP, UDP, rdpcap
except ImportError:
    print("SKIP: python3-scapy missing")
    sys.exit(77)

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failures.append(what)


def dropped_flow(p):
    """Whether frame p belongs to a flow firewall.rules drops."""
    ip = p[IP] if IP in p else p[IPv6] if IPv6 in p else None
    if ip is None:
        return False
    if TCP in p:
        return 23 in (p[TCP].sport, p[TCP].dport) or "192.0.2.9" in (ip.src, ip.dst)
    if UDP in p:
        return 9999 in (p[UDP].sport, p[UDP].dport)
    return False


with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, MOS_FW_COUNTERS=f"{tmp}/counters.json")
    env.pop("MOS_FW_RULES", None)
    r = subprocess.run([BIN, "-q", "-r", f"{HERE}/mixed.pcap", "--inline-out", f"{tmp}/out.pcap",
                        "--stats", f"{tmp}/st.json", "--out", f"{tmp}/rec.json"],
                       capture_output=True, text=True, env=env, timeout=60)
    check(r.returncode == 0, f"run exits 0 (got {r.returncode}: {r.stderr.strip()[:300]})")
    inp = rdpcap(f"{HERE}/mixed.pcap")
    out = rdpcap(f"{tmp}/out.pcap") if os.path.exists(f"{tmp}/out.pcap") else []
    want = [bytes(p) for p in inp if not dropped_flow(p)]
    gone = [bytes(p) for p in inp if dropped_flow(p)]
    got = [bytes(p) for p in out]
    check(len(gone) == 10, f"the capture has 10 frames of dropped flows ({len(gone)})")
    check(got == want, f"output = the {len(want)} frames of accepted flows and ICMP, byte for "
          f"byte, in order (got {len(got)})")
    check(not any(g in got for g in gone), "no frame of a dropped flow in the output")
    check([float(p.time) for p in out] == [float(p.time) for p in inp if not dropped_flow(p)],
          "forwarded frames keep their capture time")
    try:
        st = json.load(open(f"{tmp}/st.json"))
    except (OSError, ValueError):
        st = {}
    check(st.get("forwarded") == len(want) and st.get("dropped") == 10
          and st.get("tx_packets") == len(want) and st.get("tx_dropped") == 0
          and st.get("injected_sent") == 0,
          f"--stats forwarding counters ({ {k: st.get(k) for k in ('forwarded', 'dropped', 'tx_packets', 'tx_dropped')} })")
    try:
        cnt = [json.loads(x) for x in open(f"{tmp}/counters.json")]
    except (OSError, ValueError):
        cnt = []
    check([(c["rule"], c["action"], c["flows"]) for c in cnt] ==
          [(0, "accept", 1), (1, "drop", 2), (2, "accept", 1), (3, "drop", 1), (4, "accept", 1),
           (5, "drop", 1), (6, "accept", 1)], f"per-rule hit counters ({cnt})")
    check("rule 1 (line 3)" not in r.stderr, "-q: no hit table on stderr")
    r2 = subprocess.run([BIN, "-r", f"{HERE}/mixed.pcap", "--inline-out", f"{tmp}/out2.pcap",
                         "--out", "/dev/null"], capture_output=True, text=True, env=env, timeout=60)
    check("rule 1 (line 3)" in r2.stderr and "2 flows" in r2.stderr,
          f"without -q: hit table on stderr ({r2.stderr.strip()[:300]})")

    # Rule file errors: position and message, status 2, before any packet.
    for text, msg in (("accept tcp any any -> any 80\nallow tcp any any -> any any\n",
                       ":2:1: error: expected 'accept' or 'drop'"),
                      ("drop tcp 10.0.0.0/33 any -> any any\n",
                       ":1:10: error: expected 'any', an address or a prefix"),
                      ("drop udp any 9:8 -> any any\n",
                       ":1:14: error: expected 'any', a port or a range LO:HI"),
                      ("drop udp any any any any\n", ":1:18: error: expected '->'")):
        open(f"{tmp}/bad.rules", "w").write(text)
        r = subprocess.run([BIN, "-q", "-r", f"{HERE}/mixed.pcap"], capture_output=True, text=True,
                           env=dict(env, MOS_FW_RULES=f"{tmp}/bad.rules"), timeout=60)
        check(r.returncode == 2 and f"bad.rules{msg}" in r.stderr and r.stdout == "",
              f"bad rule file: '{msg}' (rc {r.returncode}, {r.stderr.strip()[:120]})")

# Passive on a port (net_pcap replaying the capture; needs root for the EAL):
# drop verdicts are counted, never acted on, and --stats carries the
# forwarding and port counters like the C programs'.
if os.geteuid() == 0:
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["timeout", "--preserve-status", "-s", "INT", "4", BIN, "-q", "--dpdk",
                            f"--no-huge -m 256 --no-pci --vdev=net_pcap0,rx_pcap={HERE}/mixed.pcap",
                            "--stats", f"{tmp}/st.json", "--out", "/dev/null"],
                           capture_output=True, text=True, timeout=60)
        try:
            st = json.load(open(f"{tmp}/st.json"))
        except (OSError, ValueError):
            st = {}
        n = len(rdpcap(f"{HERE}/mixed.pcap"))
        check(r.returncode == 0 and st.get("packets") == n and st.get("dropped") == 10 and
              st.get("forwarded") == 0 and st.get("tx_packets") == 0 and
              all(st.get(k) == 0 for k in ("rx_missed", "rx_errors", "rx_nombuf")),
              f"passive on a port: {n} frames, 10 drop verdicts counted, nothing sent, no port "
              f"drops (rc {r.returncode}, {st}, {r.stderr.strip()[:300]})")
else:
    print("not root: the passive port run is skipped")

# --inline-out usage errors
for args in (["--inline-out", "/dev/null", "--dpdk", "--vdev=net_null0"],
             ["-r", f"{HERE}/mixed.pcap", "--inline-out", "/dev/null", "--workers", "2"],
             ["-r", f"{HERE}/mixed.pcap", "--inline-out"]):
    r = subprocess.run([BIN, "-q"] + args, capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "--inline-out" in r.stderr, f"usage error: {' '.join(args)} (rc {r.returncode})")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("PASS")
