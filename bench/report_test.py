#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test of the benchmark report tooling (not a benchmark): harness.py's
tables and report.py's targets, reader bound and docs section, on made-up
results.  usage: report_test.py"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import report   # noqa: E402


def row(tool, kind, wall, cpu, packets=1000000):
    return {"tool": tool, "kind": kind, "what": "w", "command": "c", "wall_s": wall,
            "wall_min": wall, "wall_max": wall, "cpu_s": cpu, "rss_mb": 10.0, "anon_mb": 5.0,
            "mpps": packets / wall / 1e6, "gbps": 1.0,
            "mpps_cpu": packets / cpu / 1e6 if cpu >= 0.05 else None}


def trace(label, rows):
    return {"label": label, "trace": "/x.pcap", "trace_desc": "d", "packets": 1000000,
            "bytes": 700000000, "rounds": 3, "cpu": 1, "rows": rows, "skipped": ["x"],
            "failed": {"y": "exit 1: boom"},
            "work": {"mos ndpi": {"summary": "a | b", "records": 5, "events": {"orphan": 3}}}}


def main():
    syn = trace("synthetic", [
        row("libpcap loop", "baseline", 0.20, 0.20),
        row("mos pktstats", "mos", 0.30, 0.25),
        row("mos conntrack", "mos", 0.40, 0.50),      # 50% of the loop: met
        row("mos streamdump", "mos", 1.00, 1.00),
        row("mos ndpi", "mos", 1.00, 1.00),
        row("libnids", "peer", 2.00, 2.00),           # 2x: not met (3x)
        row("tcpflow -FX", "peer", 5.00, 5.00),       # 5x: met
        row("ndpiReader", "peer", 1.40, 1.40),        # 1.4x: not met (1.5x)
    ])
    syn["skipped"].append("prads")       # not installed: said
    mul = trace("multiplied", [row("libpcap loop", "baseline", 0.04, 0.01),
                               row("mos conntrack", "mos", 0.10, 0.02),
                               row("mos streamdump", "mos", 0.10, 0.10)])
    mul["skipped"] = ["libnids"]         # not installed: said; prads: not run there
    flow = ("1M flows, register+unregister each: 2.196 s (+3.6%)\n"
            "memory per tracked connection: sizeof(struct mos_flow) = 192 B, "
            "table 197.2 B/flow (entries)\n")
    reasm = "in-order   mos / libnids = 0.48 (x)\nreordered  mos / libnids = 3.10 (x)\n"
    scal = {"rows": [{"program": "C conntrack", "variant": "--workers 1", "speedup": 1.0},
                     {"program": "C conntrack", "variant": "--workers 2", "speedup": 1.62}],
            "ceiling": {"ceiling": 1.6}}
    got = {}
    for t, m, ok in report.targets([syn, mul], flow, reasm, scal):
        got.setdefault(t, []).append((m, ok))
    ct = got["conntrack >= 50% of the libpcap read rate"]
    assert ct[0] == ("50% of the loop's rate on synthetic (40% by CPU time)", "yes"), ct
    assert ct[1][1] == "no" and "CPU time too short" in ct[1][0], ct
    assert got["reassembly >= 3x libnids (end to end)"][0][1] == "no"
    assert "not measured on multiplied" in got["reassembly >= 3x libnids (end to end)"][1][0]
    assert [ok for _, ok in got["reassembly >= 3x libnids (reasm_bench, frames in memory)"]] == \
        ["no", "yes"]
    assert got["reassembly >= 5x tcpflow (tcpflow -FX only tracks)"][0][1] == "yes"
    assert got["ndpi >= 1.5x ndpiReader"][0] == ("1.40x on synthetic (CPU time 1.40x)", "no")
    assert got["prads >= 1.5x Debian's prads"] == \
        [("not measured on synthetic (mos prads missing or failed)", "-")]
    assert got["memory per tracked connection <= 192 B"][0][1] == "no"
    assert got["dynamic registration at 1M flows within 10% of static"][0] == \
        ("+3.6% (FlowBench, best of 5)", "yes")
    assert got["offline --workers 2 >= 1.8x --workers 1"] == \
        [("1.62x, C conntrack; machine ceiling 1.60x, 101% of it", "no")]
    assert ("offline --workers 2 >= 1.8x --workers 1", "not measured", "-") in \
        report.targets([], None, None)

    text = harness.table(syn)
    assert "| mos conntrack | mos | 2.50 | 1.00 | 2.00 | 0.40 (0.40-0.40) | 0.50 | 10 | 5 | 50% | 40% |" \
        in text, text
    assert "| mos conntrack | 5.00 / 4.00 | 12.50 / 10.00 | 3.50 / 2.80 |" in text, text
    assert "| mos ndpi | a / b | 5 | orphan 3 |" in text      # a '|' would split the cell
    assert "- x: skipped" in text and "- y: FAILED: exit 1: boom" in text
    assert "| - |" in harness.table(mul).split("\n")[6], harness.table(mul)

    # the results section of a docs page is replaced, the rest kept
    d = tempfile.mkdtemp()
    try:
        res, docs = os.path.join(d, "results"), os.path.join(d, "docs", "b.md")
        os.makedirs(res)
        os.makedirs(os.path.dirname(docs))
        for t in (syn, mul):
            json.dump(t, open(os.path.join(res, f"trace-{t['label']}.json"), "w"))
            open(os.path.join(res, f"trace-{t['label']}.md"), "w").write(harness.table(t))
        open(os.path.join(res, "flow.txt"), "w").write(flow)
        open(docs, "w").write("# B\n\nintro\n\n<!-- results: bench/report.py --docs -->\nold\n"
                              "<!-- /results -->\n\n## After\n")
        subprocess.run([sys.executable, os.path.join(HERE, "report.py"), res, "make bench",
                        "--docs", docs], check=True, stdout=subprocess.DEVNULL)
        out = open(docs).read()
        assert out.startswith("# B\n\nintro\n\n<!-- results: bench/report.py --docs -->\n"), out
        assert out.endswith("<!-- /results -->\n\n## After\n") and "\nold\n" not in out, out
        assert "### Targets (issues 4, 9 and 10)" in out and "#### synthetic" in out, out
        if os.path.exists(os.path.join(res, "throughput-synthetic.png")):   # with matplotlib
            assert "](../results/throughput-synthetic.png)" in out, out
        assert "| dynamic registration at 1M flows within 10% of static | +3.6%" in \
            open(os.path.join(res, "results.md")).read()
    finally:
        shutil.rmtree(d)
    print("ok")


if __name__ == "__main__":
    main()
