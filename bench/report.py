#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Assemble bench/results/results.md and the PNG plots from one `make bench` run.

usage: report.py RESULTS_DIR COMMAND [--docs docs/benchmarks.md]

Reads what bench/run.sh left in RESULTS_DIR: trace-*.json (harness.py),
scaling.json (harness.py --scaling), flow.txt (FlowBench), reasm.txt
(reasm_bench), stream.txt, decode.md, mos_vs_c.md, machine.txt. Writes
results.md (machine, targets, one table per trace, scaling, micro-benchmarks)
and throughput-LABEL.png, scaling.png. A missing input leaves its section
out, or its target "not measured". With --docs, the same text replaces
the results section of docs/benchmarks.md (between its markers).
"""
import glob
import json
import os
import re
import sys


def load(path):
    try:
        return open(path).read()
    except OSError:
        return None


def row(res, tool):
    for r in res["rows"]:
        if r["tool"] == tool:
            return r
    return None


def targets(traces, flow, reasm, scal=None):
    """[(target, measured, met)] for the targets of issues 4, 9 and 10."""
    out = []

    def ratio_rows(ours, peer, want, label):
        for res in traces:
            a, b = row(res, ours), row(res, peer)
            # tools left out of a trace (harness.py --tools) are not listed
            tried = {r["tool"] for r in res["rows"]} | set(res.get("skipped", [])) | \
                set(res.get("failed", {}))
            if a and b:
                v = b["wall_s"] / a["wall_s"]
                # no ratio from a few ms of CPU time (scheduler ticks)
                c = b["cpu_s"] / a["cpu_s"] if min(a["cpu_s"], b["cpu_s"]) >= 0.02 else None
                if peer == "libpcap loop":
                    cs = f"{c * 100:.0f}% by CPU time" if c else "CPU time too short to compare"
                    out.append((label, f"{v * 100:.0f}% of the loop's rate on {res['label']} "
                                f"({cs})", "yes" if v >= want else "no"))
                else:
                    cs = f"CPU time {c:.2f}x" if c else "CPU time too short to compare"
                    out.append((label, f"{v:.2f}x on {res['label']} ({cs})",
                                "yes" if v >= want else "no"))
            elif ours in tried or peer in tried:
                miss = ours if a is None else peer
                out.append((label, f"not measured on {res['label']} ({miss} missing or failed)",
                            "-"))

    ratio_rows("mos conntrack", "libpcap loop", 0.5, "conntrack >= 50% of the libpcap read rate")
    ratio_rows("mos streamdump", "libnids", 3.0, "reassembly >= 3x libnids (end to end)")
    if reasm:
        for m in re.finditer(r"^(\S+)\s+mos / libnids = ([0-9.]+)", reasm, re.M):
            v = float(m.group(2))
            out.append(("reassembly >= 3x libnids (reasm_bench, frames in memory)",
                        f"{v:.2f}x, case {m.group(1)}", "yes" if v >= 3 else "no"))
    ratio_rows("mos streamdump", "tcpflow -FX", 5.0,
               "reassembly >= 5x tcpflow (tcpflow -FX only tracks)")
    ratio_rows("mos ndpi", "ndpiReader", 1.5, "ndpi >= 1.5x ndpiReader")
    ratio_rows("mos prads", "prads", 1.5, "prads >= 1.5x Debian's prads")
    if flow:
        m = re.search(r"sizeof\(struct mos_flow\) = (\d+) B, table ([0-9.]+) B/flow", flow)
        if m:
            v = float(m.group(2))
            out.append(("memory per tracked connection <= 192 B",
                        f"{v:.1f} B/flow in the table (entry of {m.group(1)} B + buckets + map)",
                        "yes" if v <= 192 else "no"))
        m = re.search(r"register\+unregister each: ([0-9.]+) s \(([-+0-9.]+)%\)", flow)
        if m:
            v = float(m.group(2))
            out.append(("dynamic registration at 1M flows within 10% of static",
                        f"{v:+.1f}% (FlowBench, best of 5)", "yes" if abs(v) <= 10 else "no"))
    else:
        out.append(("memory per tracked connection <= 192 B", "not measured", "-"))
        out.append(("dynamic registration at 1M flows within 10% of static", "not measured", "-"))
    label = "offline --workers 2 >= 1.8x --workers 1"
    for r in (scal or {}).get("rows", []):
        if r["variant"] == "--workers 2" and r.get("speedup"):
            ceil = (scal.get("ceiling") or {}).get("ceiling")
            of = f"; machine ceiling {ceil:.2f}x, {r['speedup'] / ceil * 100:.0f}% of it" \
                if ceil else ""
            rounds = f" ({r['speedup_rounds']:.2f}x by the median of the rounds' ratios)" \
                if r.get("speedup_rounds") else ""
            out.append((label, f"{r['speedup']:.2f}x{rounds}, {r['program']}{of}",
                        "yes" if r["speedup"] >= 1.8 else "no"))
    if scal is None:
        out.append((label, "not measured", "-"))
    return out


def plots(d, traces, scal):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: matplotlib not installed: no plots", file=sys.stderr)
        return []
    colors = {"baseline": "#888888", "mos": "#2a7", "peer": "#c63"}
    made = []
    for res in traces:
        rows = [r for r in res["rows"] if r["tool"] != "memory pass"]
        if not rows:
            continue
        fig, ax = plt.subplots(figsize=(8, 0.6 + 0.38 * len(rows)))
        names = [r["tool"] for r in rows][::-1]
        ax.barh(names, [r["mpps"] for r in rows][::-1],
                color=[colors[r["kind"]] for r in rows][::-1])
        for i, r in enumerate(rows[::-1]):
            ax.text(r["mpps"], i, f" {r['mpps']:.2f}", va="center", fontsize=8)
        ax.set_xlabel("million packets per second, one core (median wall time)")
        ax.set_title(f"{res['label']}: {res['packets']:,} packets "
                     "(grey baseline, green mos, orange peers)", fontsize=9)
        fig.tight_layout()
        name = f"throughput-{res['label']}.png"
        fig.savefig(os.path.join(d, name), dpi=100)
        plt.close(fig)
        made.append(name)
    if scal and scal["rows"]:
        progs = sorted({r["program"] for r in scal["rows"]})
        variants = ["no --workers", "--workers 1", "--workers 2"]
        fig, ax = plt.subplots(figsize=(7, 3.2))
        w = 0.38
        for j, what in enumerate(("wall_s", "cpu_s")):
            xs, ys, labels = [], [], []
            for i, p in enumerate(progs):
                for k, v in enumerate(variants):
                    r = next((r for r in scal["rows"] if r["program"] == p and r["variant"] == v),
                             None)
                    if r:
                        xs.append(i * 4 + k + j * w)
                        ys.append(r[what])
                        labels.append(f"{p}\n{v}")
            ax.bar(xs, ys, width=w, label="wall s" if what == "wall_s" else "CPU s",
                   color="#2a7" if what == "wall_s" else "#9cd")
        ax.set_xticks([i * 4 + k + w / 2 for i in range(len(progs)) for k in range(3)])
        ax.set_xticklabels([f"{p}\n{v}" for p in progs for v in variants], fontsize=7)
        ax.set_ylabel("seconds")
        ax.set_title(f"offline multi-core path, CPUs {scal['cpus']}", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(d, "scaling.png"), dpi=100)
        plt.close(fig)
        made.append("scaling.png")
    return made


def to_docs(docs, results_md, d):
    """Put results.md (less its title) between the markers of @docs, with
    the plots' paths made relative to docs/."""
    rel = os.path.relpath(os.path.abspath(d), os.path.dirname(os.path.abspath(docs)))
    body = results_md.split("\n", 2)[2]
    body = re.sub(r"!\[([^]]*)\]\(([^/)]+\.png)\)", lambda m: f"![{m.group(1)}]({rel}/{m.group(2)})",
                  body)
    body = body.replace("\n## ", "\n### ")
    for label in ("synthetic", "multiplied", "reordered"):
        body = body.replace(f"\n### {label}", f"\n#### {label}")
    text = open(docs).read()
    a, b = "<!-- results: bench/report.py --docs -->", "<!-- /results -->"
    if a not in text or b not in text:
        sys.exit(f"report: {docs} has no {a} ... {b} markers")
    head, rest = text.split(a, 1)
    text = head + a + "\n" + body.strip() + "\n" + b + rest.split(b, 1)[1]
    open(docs, "w").write(text)
    print(f"report: {docs} updated")


def main():
    d, command = sys.argv[1], sys.argv[2]
    docs = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--docs" else None
    traces = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "trace-*.json")))]
    traces.sort(key=lambda t: (t["label"] != "synthetic", t["label"]))
    scal = json.load(open(os.path.join(d, "scaling.json"))) \
        if os.path.exists(os.path.join(d, "scaling.json")) else None
    flow, reasm = load(os.path.join(d, "flow.txt")), load(os.path.join(d, "reasm.txt"))
    machine = load(os.path.join(d, "machine.txt")) or ""
    made = plots(d, traces, scal)
    L = ["# mos benchmark results", "", machine.strip(), "", f"Reproduce: `{command}`", "",
         "## Targets (issues 4, 9 and 10)", "", "| target | measured | met? |", "|---|---|---|"]
    for t, m, ok in targets(traces, flow, reasm, scal):
        L.append(f"| {t} | {m} | {ok} |")
    L.append("")
    for res in traces:
        L.append(open(os.path.join(d, f"trace-{res['label']}.md")).read())
        if f"throughput-{res['label']}.png" in made:
            L += [f"![throughput on {res['label']}](throughput-{res['label']}.png)", ""]
    sm = load(os.path.join(d, "scaling.md"))
    if sm:
        L += ["## Multi-core scaling of the offline path", "", sm]
        if "scaling.png" in made:
            L += ["![scaling](scaling.png)", ""]
    for title, f in (("Flow engine (new connections/s, memory per connection, dynamic registration)",
                      "flow.txt"),
                     ("Reassembly, whole pipeline against libnids, frames in memory (reasm_bench)",
                      "reasm.txt"),
                     ("Reassembler alone, in order and reordered (stream_bench)", "stream.txt")):
        t = load(os.path.join(d, f))
        if t:
            t = "\n".join(ln for ln in t.splitlines() if not ln.startswith(("[", "Note:", "Running main")))
            L += [f"## {title}", "", "```", t.strip(), "```", ""]
    for title, f in (("Compiled (.mos) against hand-written C (bench/mos_vs_c.sh)", "mos_vs_c.md"),
                     ("Decode against a plain libpcap loop (decode_bench)", "decode.md")):
        t = load(os.path.join(d, f))
        if t:
            L += [f"## {title}", "", t.strip(), ""]
    open(os.path.join(d, "results.md"), "w").write("\n".join(L) + "\n")
    if docs:
        to_docs(docs, "\n".join(L) + "\n", d)
    print(f"report: {os.path.join(d, 'results.md')} and {', '.join(made) or 'no plots'}")


if __name__ == "__main__":
    main()
