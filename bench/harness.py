#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Side-by-side benchmark of mos programs and peer tools on one trace.

usage: harness.py --build BUILD --trace TRACE [--rounds N] [--cpu C] [--out DIR]

Every tool runs pinned to one core (taskset -c C) under /usr/bin/time, the
tools interleaved round by round (A B C ... A B C ...), with the trace read
right before each run so it is in the page cache (bench/run.sh also puts
the trace in /dev/shm: memory reclaim otherwise drops it between runs). For each tool the median
wall time gives packets/s and Gbit/s; CPU seconds (user+sys) and peak RSS
are reported too, with ratios to the plain libpcap read loop. Tools whose
binary is missing are listed as skipped. Writes DIR/summary.md,
DIR/results.json and DIR/throughput.png (when matplotlib is there).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile


def tools(build, trace, tmp):
    """(name, what it does, argv, needs) for every tool, baseline first."""
    b = lambda *p: os.path.join(build, *p)  # noqa: E731
    return [
        ("libpcap loop", "physical baseline: pcap_next_ex, one byte per packet",
         [b("bench", "pcap_loop"), trace], None),
        ("mos pktstats", "read + decode + protocol counts",
         [b("examples", "c", "pktstats"), "-q", "-r", trace], None),
        ("mos conntrack", "decode + flow table + both TCP endpoints + JSON records",
         [b("examples", "c", "conntrack"), "-q", "-r", trace, "--out", "/dev/null"], None),
        ("mos streamdump", "conntrack + reassembly of both directions, no files",
         [b("examples", "c", "streamdump"), "-q", "-r", trace, "--no-write"], None),
        ("libnids", "tracking + reassembly (IPv4, handshake seen), every byte summed",
         [b("bench", "nids_harness"), trace], None),
        ("tcpflow -FX", "tracking, no output files",
         ["tcpflow", "-FX", "-r", trace, "-o", os.path.join(tmp, "tcpflow")], "tcpflow"),
        ("ndpiReader", "nDPI 4.2 protocol detection, one thread",
         ["ndpiReader", "-q", "-i", trace], "ndpiReader"),
        ("prads", "passive asset detection",
         ["prads", "-d", "-q", "-r", trace, "-l", os.path.join(tmp, "prads.log")], "prads"),
        ("tshark conv,tcp", "for scale",
         ["tshark", "-q", "-r", trace, "-z", "conv,tcp"], "tshark"),
    ]


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def run_once(argv, cpu, tmp, limit):
    tfile = os.path.join(tmp, "time.txt")
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", tfile, "taskset", "-c", str(cpu)] + argv
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=limit)
    except subprocess.TimeoutExpired:
        return None, f"still running after {limit} s: stopped"
    if r.returncode != 0:
        return None, r.stderr.strip()[-300:]
    wall, user, sys_, rss = open(tfile).read().split()[-4:]
    return {"wall": float(wall), "cpu": float(user) + float(sys_), "rss_kb": int(rss),
            "stdout": r.stdout}, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--trace", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=1 if os.cpu_count() > 1 else 0)
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--limit", type=int, default=300, help="seconds allowed per run")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="mos_bench_")
    os.makedirs(os.path.join(tmp, "tcpflow"), exist_ok=True)

    todo, skipped = [], []
    for name, what, argv, needs in tools(args.build, args.trace, tmp):
        exe = needs or argv[0]
        if shutil.which(exe) or os.access(exe, os.X_OK):
            todo.append((name, what, argv))
        else:
            skipped.append(name)

    runs = {name: [] for name, _, _ in todo}
    failed = {}
    packets = size = None
    for rnd in range(args.rounds):
        for name, _, argv in todo:
            if name in failed:
                continue
            warm(args.trace)
            res, err = run_once(argv, args.cpu, tmp, args.limit)
            if res is None:
                failed[name] = err
                continue
            runs[name].append(res)
            if name == "libpcap loop" and packets is None:
                words = res["stdout"].split()
                packets, size = int(words[1]), int(words[3])
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    shutil.rmtree(tmp, ignore_errors=True)

    rows = []
    for name, what, argv in todo:
        if name in failed or not runs[name]:
            continue
        wall = statistics.median(r["wall"] for r in runs[name])
        rows.append({
            "tool": name, "what": what, "command": " ".join(argv),
            "wall_s": wall, "wall_min": min(r["wall"] for r in runs[name]),
            "wall_max": max(r["wall"] for r in runs[name]),
            "cpu_s": statistics.median(r["cpu"] for r in runs[name]),
            "rss_mb": max(r["rss_kb"] for r in runs[name]) / 1024,
            "mpps": packets / wall / 1e6, "gbps": size * 8 / wall / 1e9,
        })
    base = rows[0]["wall_s"] if rows and rows[0]["tool"] == "libpcap loop" else None

    lines = [f"Trace: `{args.trace}`, {packets} packets, {size / 1e6:.1f} MB; "
             f"{args.rounds} rounds, interleaved, pinned to CPU {args.cpu}; "
             f"median wall time (min-max).", "",
             "| tool | Mpps | Gbit/s | wall s (min-max) | CPU s | peak RSS MB | rate vs libpcap loop |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{base / r['wall_s'] * 100:.0f}%" if base else "-"
        lines.append(f"| {r['tool']} | {r['mpps']:.2f} | {r['gbps']:.2f} | {r['wall_s']:.2f} "
                     f"({r['wall_min']:.2f}-{r['wall_max']:.2f}) | {r['cpu_s']:.2f} | "
                     f"{r['rss_mb']:.0f} | {ratio} |")
    lines.append("")
    for r in rows:
        lines.append(f"- {r['tool']}: {r['what']} — `{r['command']}`")
    for name in skipped:
        lines.append(f"- {name}: skipped (not installed or not built)")
    for name, err in failed.items():
        lines.append(f"- {name}: FAILED: {err}")
    text = "\n".join(lines) + "\n"
    open(os.path.join(args.out, "summary.md"), "w").write(text)
    json.dump({"packets": packets, "bytes": size, "rows": rows, "skipped": skipped,
               "failed": failed}, open(os.path.join(args.out, "results.json"), "w"), indent=1)
    print(text)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(rows)))
        ax.barh([r["tool"] for r in rows][::-1], [r["mpps"] for r in rows][::-1], color="#4a7")
        ax.set_xlabel("million packets per second (one core)")
        ax.set_title("offline throughput on the same trace")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "throughput.png"), dpi=100)
    except ImportError:
        print("matplotlib not installed: no plot", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
