#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""More overlapping TLS connections than the tls module has parser states
(MOS_STDLIB_TLS_FLOWS, 1024): every one must get its ssl record, because a
state is given back as soon as both hellos are parsed, not at conn_end
(which comes 60 s after a FIN close, or at the end of the input here: every
connection stays open until all have said hello).

usage: tls_pool_reuse.py MOSC TLS_SNI_MOS (examples/tls_sni/tls_sni.mos, built
with MOSC into a temporary directory)"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pcapkit import TcpConversation, tls_client_hello, tls_server_hello, write_pcap  # noqa: E402

N = 1500


def main():
    mosc, source = sys.argv[1:3]
    pkts, convs = [], []
    for i in range(N):
        c = TcpConversation("10.%d.%d.1" % (i // 250, i % 250), 40000 + i, "10.99.0.2", 443,
                            t0=1700000000.0 + i * 0.01)
        pkts += c.handshake() + c.send_c2s(tls_client_hello("h%d.example" % i))
        pkts += c.send_s2c(tls_server_hello(0x0303, 0xc02f))
        convs.append(c)
    for c in convs:
        c.t += 100
        pkts += c.close()
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "tls_sni")
        subprocess.run([mosc, "build", source, "-o", prog], check=True)
        pcap = os.path.join(tmp, "tls_many.pcap")
        write_pcap(pcap, pkts)
        stats = os.path.join(tmp, "stats.json")
        out = subprocess.run([prog, "-r", pcap, "--stats", stats], capture_output=True,
                             text=True, check=True).stdout
        recs = [json.loads(line) for line in out.splitlines()]
        ev = json.load(open(stats))["events"]
    names = {r["server_name"] for r in recs if r.get("established")}
    print("%d connections, %d established ssl records, %d distinct names, tls.malformed %d"
          % (N, sum(1 for r in recs if r.get("established")), len(names), ev["tls.malformed"]))
    ok = len(names) == N and ev["tls.client_hello"] == N and ev["tls.malformed"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
