#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""workers_live_test.py CONNTRACK DROPPER — live multi-core without root.

net_pcap and net_null vdevs stand for NICs (docs/deployment.md, "Several
worker cores"). net_pcap cannot hash, so every frame a worker receives for
another one goes through that worker's ring (the software fallback);
net_null advertises RSS, so the hardware configuration path (symmetric key,
hash fields masked, redirection table) is taken. Checks:
  A. passive, conntrack --workers 2 on one net_pcap port and --workers 3 on
     two: the same records (times aside) as the offline run of the same
     frames, every frame counted, clean exit on SIGINT with a CONN_END
     record for every flow still open;
  B. inline, dropper --workers 2 between two net_pcap ports: every frame not
     to or from TCP port 9 comes out of the paired port byte for byte, in
     its flow's order; port 9 frames are dropped; the counters add up;
  C. net_null (advertises RSS, garbage frames at full speed), passive and
     inline with 2 workers, stopped by SIGTERM under load: exit 0 and no
     frame lost between the workers (packets = forwarded + dropped,
     forwarded = tx_packets + tx_dropped).
Exit 0 pass, 1 fail, 77 skipped (no scapy).
"""
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

try:
    from scapy.all import Dot1Q, Ether, IP, IPv6, TCP, UDP, Raw, rdpcap, wrpcap
except ImportError:
    print("SKIP: python3-scapy missing")
    sys.exit(77)

CONNTRACK, DROPPER = sys.argv[1], sys.argv[2]
CMAC, SMAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
failures = []


def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failures.append(what)


def flows(first, count):
    """Client and server frames of @count connections (TCP with handshake,
    data and FIN, some UDP, IPv4 and IPv6, some with a VLAN tag)."""
    cli, srv = [], []
    for k in range(first, first + count):
        v6 = k % 5 == 0
        ip_c = IPv6(src=f"2001:db8::{k + 1:x}", dst="2001:db8:1::2") if v6 else \
            IP(src=f"10.1.{k // 200}.{k % 200 + 1}", dst=f"10.2.0.{k % 7 + 1}")
        ip_s = IPv6(src=ip_c.dst, dst=ip_c.src) if v6 else IP(src=ip_c.dst, dst=ip_c.src)
        ec, es = Ether(src=CMAC, dst=SMAC), Ether(src=SMAC, dst=CMAC)
        if k % 4 == 1:
            ec, es = ec / Dot1Q(vlan=10 + k % 3), es / Dot1Q(vlan=10 + k % 3)
        sp, dp = 20000 + k, (9 if k % 9 == 4 else 80)
        if k % 6 == 5:
            cli.append(ec / ip_c / UDP(sport=sp, dport=53) / Raw(b"q%d" % k))
            srv.append(es / ip_s / UDP(sport=53, dport=sp) / Raw(b"answer %d" % k))
            continue
        cs, ss = 1000 * k, 500000 + k
        data = b"GET /%d HTTP/1.1\r\n\r\n" % k
        reply = b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * (k % 50)
        cli += [ec / ip_c / TCP(sport=sp, dport=dp, flags="S", seq=cs),
                ec / ip_c / TCP(sport=sp, dport=dp, flags="A", seq=cs + 1, ack=ss + 1),
                ec / ip_c / TCP(sport=sp, dport=dp, flags="PA", seq=cs + 1, ack=ss + 1) / Raw(data),
                ec / ip_c / TCP(sport=sp, dport=dp, flags="FA", seq=cs + 1 + len(data),
                                ack=ss + 1 + len(reply))]
        srv += [es / ip_s / TCP(sport=dp, dport=sp, flags="SA", seq=ss, ack=cs + 1),
                es / ip_s / TCP(sport=dp, dport=sp, flags="PA", seq=ss + 1,
                                ack=cs + 1 + len(data)) / Raw(reply)]
        if k % 3:   # the others stay open until the end of the run
            srv.append(es / ip_s / TCP(sport=dp, dport=sp, flags="FA", seq=ss + 1 + len(reply),
                                       ack=cs + 2 + len(data)))
    cli = [Ether(bytes(p)) for p in cli]
    srv = [Ether(bytes(p)) for p in srv]
    return cli, srv


def interleave(a, b):
    out = []
    for i in range(max(len(a), len(b))):
        out += a[i:i + 1] + b[i:i + 1]
    return out


def stamp(frames):
    for i, p in enumerate(frames):
        p.time = 1700000000 + i * 0.001
    return frames


def records(text):
    """conntrack records without their times, as a multiset."""
    out = Counter()
    for line in text.splitlines():
        d = json.loads(line)
        d.pop("ts_start", None)
        d.pop("ts_end", None)
        out[json.dumps(d, sort_keys=True)] += 1
    return out


def live(prog, args, secs, sig="INT"):
    return subprocess.run(["timeout", "--preserve-status", "-s", sig, str(secs), prog, "-q"] + args,
                          capture_output=True, text=True, timeout=60)


def load(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return {}


with tempfile.TemporaryDirectory() as tmp:
    # ---- A: passive, records as offline -----------------------------------
    c1, s1 = flows(0, 60)
    c2, s2 = flows(60, 60)
    a = stamp(interleave(c1, s1))      # the frames of port 0
    b = stamp(interleave(c2, s2))      # the frames of port 1 (other flows)
    wrpcap(f"{tmp}/a.pcap", a)
    wrpcap(f"{tmp}/b.pcap", b)
    for name, caps, workers in (("one port, 2 workers", ["a"], 2),
                                ("two ports, 3 workers", ["a", "b"], 3)):
        off = subprocess.run([CONNTRACK, "-q", "--udp"] + sum((["-r", f"{tmp}/{c}.pcap"] for c in caps), []),
                             capture_output=True, text=True, timeout=60)
        eal = " ".join(f"--vdev=net_pcap{i},rx_pcap={tmp}/{c}.pcap" for i, c in enumerate(caps))
        r = live(CONNTRACK, ["--udp", "--workers", str(workers), "--dpdk", eal,
                             "--stats", f"{tmp}/st.json"], 4)
        st = load(f"{tmp}/st.json")
        n = len(a) + (len(b) if "b" in caps else 0)
        check(r.returncode == 0, f"{name}: SIGINT ends the run with status 0 (got {r.returncode}: {r.stderr.strip()[:300]})")
        check(st.get("packets") == n, f"{name}: every frame counted once ({st.get('packets')} of {n})")
        ro, rl = records(off.stdout), records(r.stdout)
        check(sum(ro.values()) > 50 and ro == rl,
              f"{name}: same {sum(ro.values())} records as offline (live has {sum(rl.values())}; "
              f"{sum((ro - rl).values())} missing, {sum((rl - ro).values())} extra)")
        open_at_end = sum(1 for k in rl if '"fin_s2c": false' in k)
        check(open_at_end > 10, f"{name}: flows still open at SIGINT have their record ({open_at_end})")

    # ---- B: inline between two net_pcap ports, 2 workers ------------------
    c, s = flows(200, 80)
    stamp(c)
    stamp(s)
    wrpcap(f"{tmp}/c.pcap", c)
    wrpcap(f"{tmp}/s.pcap", s)
    eal = (f"--vdev=net_pcap0,rx_pcap={tmp}/c.pcap,tx_pcap={tmp}/to_s.pcap "
           f"--vdev=net_pcap1,rx_pcap={tmp}/s.pcap,tx_pcap={tmp}/to_c.pcap")
    r = live(DROPPER, ["--workers", "2", "--inline", "0:1", "--dpdk", eal, "--stats", f"{tmp}/sti.json",
                       "--out", f"{tmp}/ends.txt"], 4)
    check(r.returncode == 0, f"inline, 2 workers: exit 0 (got {r.returncode}: {r.stderr.strip()[:300]})")
    # net_pcap port 0 receives c.pcap and its tx_pcap is what the box sends
    # out of port 0; port 1 the same for the server side.
    sent_s = [bytes(p) for p in rdpcap(f"{tmp}/to_c.pcap")] if os.path.exists(f"{tmp}/to_c.pcap") else []
    sent_c = [bytes(p) for p in rdpcap(f"{tmp}/to_s.pcap")] if os.path.exists(f"{tmp}/to_s.pcap") else []

    def port9(p):
        return TCP in p and 9 in (p[TCP].sport, p[TCP].dport)

    def key(p):
        ip = p[IP] if IP in p else p[IPv6]
        l4 = p[TCP] if TCP in p else p[UDP]
        return tuple(sorted([(ip.src, l4.sport), (ip.dst, l4.dport)]))

    want_s = [bytes(p) for p in c if not port9(p)]
    want_c = [bytes(p) for p in s if not port9(p)]
    check(Counter(sent_s) == Counter(want_s),
          f"inline: the client's frames reach the server port byte for byte, port 9 dropped "
          f"({len(sent_s)} sent, {len(want_s)} expected)")
    check(Counter(sent_c) == Counter(want_c),
          f"inline: the server's frames reach the client port byte for byte, port 9 dropped "
          f"({len(sent_c)} sent, {len(want_c)} expected)")
    order_ok = True
    for sent, want in ((sent_s, want_s), (sent_c, want_c)):
        per_s, per_w = defaultdict(list), defaultdict(list)
        for f in sent:
            per_s[key(Ether(f))].append(f)
        for f in want:
            per_w[key(Ether(f))].append(f)
        order_ok = order_ok and per_s == per_w
    check(order_ok, "inline: every flow's frames leave in the order they arrived")
    st = load(f"{tmp}/sti.json")
    n9 = sum(1 for p in c + s if port9(p))
    check(st.get("packets") == len(c) + len(s) and st.get("dropped") == n9 and
          st.get("forwarded") == len(want_s) + len(want_c) and
          st.get("tx_packets") == st.get("forwarded") and st.get("tx_dropped") == 0,
          f"inline: counters ({ {k: st.get(k) for k in ('packets', 'forwarded', 'dropped', 'tx_packets', 'tx_dropped')} }, "
          f"{n9} port-9 frames)")
    ends = open(f"{tmp}/ends.txt").read().splitlines() if os.path.exists(f"{tmp}/ends.txt") else []
    nflows = len({key(p) for p in c})
    check(len(ends) >= nflows, f"inline: a CONN_END line per flow ({len(ends)} lines, {nflows} flows)")

    # ---- C: net_null (RSS advertised), stopped under load ------------------
    r = live(CONNTRACK, ["--workers", "2", "--dpdk", "--vdev=net_null0 --vdev=net_null1",
                         "--stats", f"{tmp}/stn.json"], 2, "TERM")
    st = load(f"{tmp}/stn.json")
    check(r.returncode == 0 and st.get("packets", 0) > 1000,
          f"net_null passive, 2 workers, SIGTERM under load: exit 0 ({r.returncode} {r.stderr.strip()[:200]}), "
          f"{st.get('packets')} frames")
    r = subprocess.run(["timeout", "--preserve-status", "-s", "INT", "1", CONNTRACK, "--workers", "2",
                        "--dpdk", "--vdev=net_null0 --vdev=net_pcap0,rx_pcap=" + f"{tmp}/a.pcap"],
                       capture_output=True, text=True, timeout=60)
    check("port 0: 2 RX / 2 TX queues for 2 workers, symmetric RSS, redirection table set" in r.stderr and
          "port 1: 1 RX / 1 TX queues for 2 workers, software hash" in r.stderr,
          f"port layout: net_null hashes, net_pcap cannot ({r.stderr.strip()[:300]})")
    r = live(DROPPER, ["--workers", "2", "--inline", "--dpdk", "--vdev=net_null0 --vdev=net_null1",
                       "--stats", f"{tmp}/stni.json"], 2, "TERM")
    st = load(f"{tmp}/stni.json")
    check(r.returncode == 0 and st.get("packets", 0) > 1000 and
          st.get("packets") == st.get("forwarded", 0) + st.get("dropped", 0) and
          st.get("forwarded") == st.get("tx_packets", 0) + st.get("tx_dropped", 0),
          f"net_null inline, 2 workers, SIGTERM under load: nothing lost between the workers ({st})")

    # usage: --workers with both -r and --dpdk; more workers than lcores
    r = subprocess.run([CONNTRACK, "-q", "-r", f"{tmp}/a.pcap", "--workers", "2", "--dpdk",
                        "--vdev=net_null0"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "--workers" in r.stderr, f"--workers with -r and --dpdk is a usage error ({r.returncode})")
    r = live(CONNTRACK, ["--workers", "2", "--dpdk", "-l 0-1 --vdev=net_null0"], 2)
    check(r.returncode != 0 and "lcores" in r.stderr, f"2 workers on -l 0-1 (one worker lcore) refused ({r.returncode}: {r.stderr.strip()[:120]})")

if failures:
    print(f"{len(failures)} failures")
    sys.exit(1)
print("all passed")
