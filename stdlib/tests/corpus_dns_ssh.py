#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Conformance of the stdlib dns and ssh modules on ../shared/corpus: every
DNS message over UDP port 53 that tshark decodes (response flag, id, first
question name and type, rcode, answer count) and every SSH identification
line tshark shows must be an event of the modules with the same values, and
no module event may be missing from tshark's list.

usage: corpus_dns_ssh.py MOSC CORPUS_DIR
Exits 77 (skipped) without the corpus or tshark."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

PROG = """import dns
import ssh
monitor m scope "ip" {
    on dns.query { emit dns_msg { qr: 0, id: dns.id, name: dns.name, qtype: dns.qtype, rcode: 0, answers: dns.answers } }
    on dns.response { emit dns_msg { qr: 1, id: dns.id, name: dns.name, qtype: dns.qtype, rcode: dns.rcode, answers: dns.answers } }
    on ssh.client_banner { emit banner { proto: ssh.proto, software: ssh.software, comments: ssh.comments } }
    on ssh.server_banner { emit banner { proto: ssh.proto, software: ssh.software, comments: ssh.comments } }
}
"""


def tshark(pcap, filt, fields):
    out = subprocess.run(["tshark", "-r", pcap, "-Y", filt, "-T", "fields", "-E", "separator=\t"]
                         + sum((["-e", f] for f in fields), []),
                         capture_output=True, text=True, check=False).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def main():
    mosc, corpus = sys.argv[1:3]
    pcaps = os.path.join(corpus, "pcaps")
    if not os.path.isdir(pcaps) or shutil.which("tshark") is None:
        print("corpus or tshark absent: skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="mos_dns_ssh_")
    try:
        src = os.path.join(tmp, "dns_ssh.mos")
        with open(src, "w") as f:
            f.write(PROG)
        prog = os.path.join(tmp, "dns_ssh")
        subprocess.run([mosc, "build", src, "-o", prog], check=True)
        want_n = got_n = matched = 0
        for name in sorted(os.listdir(pcaps)):
            path = os.path.join(pcaps, name)
            want = collections.Counter()
            for r in tshark(path, "(dns && udp.port == 53 && !icmp) || ssh.protocol",
                            ["dns.flags.response", "dns.id", "dns.qry.name", "dns.qry.type",
                             "dns.flags.rcode", "dns.count.answers", "ssh.protocol"]):
                r += [""] * (7 - len(r))
                if r[6]:
                    want[("ssh", r[6])] += 1
                    continue
                qr = 1 if r[0] in ("1", "True") else 0
                qtype = int(r[3].split(",")[0]) if r[3] else 0
                want[("dns", qr, int(r[1], 16), r[2].split(",")[0], qtype,
                      int(r[4]) if qr and r[4] else 0, int(r[5] or 0))] += 1
            got = collections.Counter()
            out = subprocess.run([prog, "-r", path], capture_output=True, text=True,
                                 check=False).stdout
            for line in out.splitlines():
                rec = json.loads(line)
                if rec.get("record") == "dns_msg":
                    got[("dns", rec["qr"], rec["id"], rec["name"], rec["qtype"], rec["rcode"],
                         rec["answers"])] += 1
                elif rec.get("record") == "banner":
                    text = "SSH-%s-%s" % (rec["proto"], rec["software"])
                    if rec["comments"]:
                        text += " " + rec["comments"]
                    got[("ssh", text)] += 1
            both = sum((want & got).values())
            want_n += sum(want.values())
            got_n += sum(got.values())
            matched += both
            for k in (want - got):
                print("%s: tshark only: %s" % (name, k))
            for k in (got - want):
                print("%s: ours only: %s" % (name, k))
        print("dns/ssh agreement: %d of %d tshark entries, %d of %d module events"
              % (matched, want_n, matched, got_n))
        return 0 if matched == want_n == got_n and want_n > 0 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
