#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Side-by-side benchmark of mos programs and peer tools on one trace.

usage: harness.py --build BUILD --trace TRACE --label L [--rounds N] [--cpu C] [--out DIR]
                  [--tools NAME,NAME...]
       harness.py --scaling --build BUILD --trace TRACE [--rounds N] [--cpus 0,1] [--out DIR]

Every tool runs pinned to one core (taskset -c C), timed by its rusage, the
tools interleaved round by round (A B C ... A B C ...), with the trace read
right before each run so it is in the page cache (bench/run.sh also puts
the trace in /dev/shm: memory reclaim otherwise drops it between runs). For
each tool the median wall time gives packets/s and Gbit/s; CPU seconds
(user+sys, median) and peak RSS (largest) are reported too, with ratios
to the plain libpcap read loop and to each peer. The raw memory pass
reports the time of its pass alone. Tools whose binary is missing are
listed as skipped, tools that fail as failed (with their error).
Writes DIR/trace-L.json and DIR/trace-L.md.

--scaling runs the offline multi-core path: the C conntrack and
conntrack.mos with --workers 1 and --workers 2 (and without --workers),
pinned to the CPUs given (all of them by default), and in the same rounds
the machine's own ceiling (two independent runs on the halves of a classic
pcap trace, apart and at once); writes DIR/scaling.json and DIR/scaling.md.
"""
import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (our program, peer): ratios the targets of issue 9 are stated in
TARGET_PAIRS = [("mos conntrack", "libpcap loop", 0.5),
                ("mos streamdump", "libnids", 3.0),
                ("mos streamdump", "tcpflow -FX", 5.0),
                ("mos ndpi", "ndpiReader", 1.5),
                ("mos prads", "prads", 1.5)]


def tools(build, trace, tmp):
    """(name, kind, what it does, argv, needs, env) for every tool, baselines first.
    kind: baseline, mos (our programs) or peer."""
    b = lambda *p: os.path.join(build, *p)  # noqa: E731

    def ex(name):   # a mosc-built example: examples/NAME/NAME or examples/NAME
        p = b("examples", name, name)
        return p if os.path.isfile(p) else b("examples", name)
    q = ["-q", "-r", trace, "--out", "/dev/null"]
    return [
        ("libpcap loop", "baseline", "pcap_next_ex, one byte per packet",
         [b("bench", "pcap_loop"), trace], None, None),
        ("memory pass", "baseline", "trace already in memory, one byte per 64 (pass alone timed)",
         [b("bench", "pcap_loop"), "--memory", trace], None, None),
        ("mos pktstats", "mos", "C: read + decode + protocol counts",
         [b("examples", "c", "pktstats"), "-q", "-r", trace], None, None),
        ("mos conntrack", "mos",
         "C: decode + flow table + both TCP endpoints + stream/gap/rexmit counts (count-only "
         "reassembly of both directions) + JSON records",
         [b("examples", "c", "conntrack")] + q, None, None),
        ("mos conntrack --no-streams", "mos", "C: the same, tracking only (no stream counts)",
         [b("examples", "c", "conntrack")] + q + ["--no-streams"], None, None),
        ("conntrack.mos", "mos", "mosc: the same records as the C conntrack",
         [b("examples", "conntrack", "conntrack")] + q + ["--no-record-key"], None, None),
        ("mos streamdump", "mos", "C: conntrack + reassembly of both directions, no files",
         [b("examples", "c", "streamdump"), "-q", "-r", trace, "--no-write"], None, None),
        ("httplog.mos", "mos", "mosc: stdlib http, one record per transaction",
         [ex("httplog")] + q, None, None),
        ("tls_sni.mos", "mos", "mosc: stdlib tls, one record per handshake",
         [ex("tls_sni")] + q, None, None),
        ("mos ndpi", "mos", "mosc + nDPI (extern C): protocol per flow",
         [ex("ndpi")] + q, None, None),
        ("mos ids", "mos", "mosc + Hyperscan streaming on reassembled streams, examples/ids/ids.rules",
         [ex("ids")] + q, None, {"MOS_IDS_RULES": os.path.join(TOP, "examples", "ids", "ids.rules")}),
        ("mos prads", "mos", "mosc: passive asset detection (examples/prads)",
         [ex("prads")] + q, None, None),
        ("libnids", "peer", "libnids 1.26 harness: tracking + reassembly (IPv4), every byte summed",
         [b("bench", "nids_harness"), trace], None, None),
        ("tcpflow -FX", "peer", "tcpflow: tracking, no output files",
         ["tcpflow", "-FX", "-r", trace, "-o", os.path.join(tmp, "tcpflow")], "tcpflow", None),
        ("ndpiReader", "peer", "nDPI protocol detection, one thread",
         ["ndpiReader", "-q", "-i", trace], "ndpiReader", None),
        ("prads", "peer", "Debian prads: passive asset detection",
         ["prads", "-q", "-r", trace, "-l", os.path.join(tmp, "prads.log")], "prads", None),
        ("tshark", "peer", "tshark -q -z conv,tcp, for scale",
         ["tshark", "-q", "-r", trace, "-z", "conv,tcp"], "tshark", None),
    ]


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def run_once(argv, cpus, tmp, limit, env=None):
    """Run @argv pinned to @cpus: wall time, CPU time (user+sys) from the
    kernel's rusage (microseconds, where /usr/bin/time prints 10 ms steps;
    it covers /usr/bin/time's waited-for child, the tool), peak RSS from
    /usr/bin/time (the tool's own: a child forked from this Python
    process would count the Python image), its standard output."""
    tfile = os.path.join(tmp, "time.txt")
    cmd = ["/usr/bin/time", "-f", "%M", "-o", tfile, "taskset", "-c", str(cpus)] + argv
    e = dict(os.environ, **env) if env else None
    out, err = os.path.join(tmp, "run.out"), os.path.join(tmp, "run.err")
    end = {}

    def reap():   # the end, timed when it happens (not at the next sample)
        end["pid"], end["status"], end["ru"] = os.wait4(p.pid, 0)
        end["t"] = time.monotonic()

    with open(out, "w") as fo, open(err, "w") as fe:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=e)
        timer = threading.Timer(limit, p.kill)
        timer.start()
        waiter = threading.Thread(target=reap)
        waiter.start()
        anon = 0
        while waiter.is_alive():   # sample the tool's anonymous memory every 10 ms
            anon = max(anon, anon_kb(p.pid))
            waiter.join(0.01)
        wall = end["t"] - t0
        status, ru = end["status"], end["ru"]
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        if wall >= limit:
            return None, f"still running after {limit} s: stopped"
        return None, f"exit {p.returncode}: " + open(err).read().strip()[-300:]
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
            "rss_kb": int(open(tfile).read().split()[-1]), "anon_kb": anon,
            "stdout": open(out).read()}, None


def anon_kb(time_pid):
    """RssAnon of the tool /usr/bin/time (@time_pid) runs, 0 if not known:
    peak RSS also counts the file pages a tool maps (shared libraries),
    which the anonymous memory leaves out. mos programs read pcap and
    pcapng files with pread into buffers they use again: the trace's
    pages are not mapped, only those buffers count (as anonymous)."""
    try:
        kids = open(f"/proc/{time_pid}/task/{time_pid}/children").read().split()
        for line in open(f"/proc/{kids[0]}/status"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def available(argv, needs):
    exe = needs or argv[0]
    return bool(shutil.which(exe)) or os.access(exe, os.X_OK)


def work_done(argv, env, tmp, limit):
    """One untimed run of one of our programs with its records and --stats
    kept: what it did (summary line, records, notable event counts), so a
    fast row that skipped its work shows it."""
    out, st = os.path.join(tmp, "work.out"), os.path.join(tmp, "work.json")
    a = [x for x in argv if x != "-q"]
    a = [out if x == "/dev/null" else x for x in a] + ["--stats", st]
    for f in (out, st):
        if os.path.exists(f):
            os.remove(f)
    e = dict(os.environ, **env) if env else None
    try:
        r = subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=limit, env=e)
    except subprocess.TimeoutExpired:
        return {"summary": "timed out"}
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    res = {"summary": lines[-1] if lines else f"exit {r.returncode}"}
    if os.path.exists(out):
        res["records"] = sum(1 for _ in open(out, "rb"))
    try:
        ev = json.load(open(st)).get("events", {})
        res["events"] = {k: v for k, v in ev.items() if v and (
            k in ("orphan", "buffer_full", "gap", "overlap_mismatch") or
            ("." in k and not k.endswith(".parse")))}
    except (OSError, ValueError):
        pass
    return res


def side_by_side(args, tmp):
    todo, skipped = [], []
    only = set(args.tools.split(",")) if args.tools else None
    for name, kind, what, argv, needs, env in tools(args.build, args.trace, tmp):
        if only is not None and name not in only:
            continue
        if available(argv, needs):
            todo.append((name, kind, what, argv, env))
        else:
            skipped.append(name)
    work = {}
    for name, kind, what, argv, env in todo:
        if kind == "mos" and "--out" in argv:
            work[name] = work_done(argv, env, tmp, args.limit)
    runs = {t[0]: [] for t in todo}
    failed = {}
    packets = size = None
    for rnd in range(args.rounds):
        for name, kind, what, argv, env in todo:
            if name in failed:
                continue
            warm(args.trace)
            res, err = run_once(argv, args.cpu, tmp, args.limit, env)
            if res is None:
                failed[name] = err
                continue
            words = res["stdout"].split()
            if name == "memory pass" and "seconds" in words:   # the pass alone, not the read
                res["wall"] = res["cpu"] = float(words[words.index("seconds") + 1])
            runs[name].append(res)
            if name == "libpcap loop" and packets is None:
                packets, size = int(words[1]), int(words[3])
        print(f"  {args.label}: round {rnd + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    rows = []
    for name, kind, what, argv, env in todo:
        if name in failed or not runs[name]:
            continue
        wall = statistics.median(r["wall"] for r in runs[name])
        rows.append({
            "tool": name, "kind": kind, "what": what,
            "command": " ".join((f"{k}={v} " for k, v in (env or {}).items())) + " ".join(argv),
            "wall_s": wall, "wall_min": min(r["wall"] for r in runs[name]),
            "wall_max": max(r["wall"] for r in runs[name]),
            "cpu_s": statistics.median(r["cpu"] for r in runs[name]),
            "rss_mb": max(r["rss_kb"] for r in runs[name]) / 1024,
            "anon_mb": max(r["anon_kb"] for r in runs[name]) / 1024,
            "mpps": packets / wall / 1e6 if packets else 0,
            # no rate from a few ms of CPU time
            "mpps_cpu": packets / statistics.median(r["cpu"] for r in runs[name]) / 1e6
            if packets and statistics.median(r["cpu"] for r in runs[name]) >= 0.02 else None,
            "gbps": size * 8 / wall / 1e9 if size else 0,
            "runs": [{k: r[k] for k in ("wall", "cpu", "rss_kb", "anon_kb")} for r in runs[name]],
        })
    return {"label": args.label, "trace": args.trace, "trace_desc": args.desc,
            "packets": packets, "bytes": size, "rounds": args.rounds, "cpu": args.cpu,
            "rows": rows, "skipped": skipped, "failed": failed, "work": work}


def table(res):
    """The markdown of one trace's results."""
    rows = res["rows"]
    by = {r["tool"]: r for r in rows}
    base = by.get("libpcap loop")
    lines = [f"### {res['label']}: {res['trace_desc']}", "",
             f"{res['packets']:,} packets, {res['bytes'] / 1e6:.1f} MB (wire bytes); "
             f"{res['rounds']} rounds, tools interleaved, each pinned to CPU {res['cpu']}; "
             f"median wall time (min-max), median CPU time (user+sys), largest peak RSS. "
             f"Mpps and Gbit/s by wall time; Mpps (CPU) by CPU time, steadier when other "
             f"work shares the core. Peak RSS also counts mapped file pages (mos programs "
             f"read pcap and pcapng files with pread into reused buffers, so trace pages "
             f"are not among them); anon MB is the largest anonymous memory (RssAnon) "
             f"seen, sampled every 10 ms, without mapped file pages (and without DPDK's "
             f"~10 MB of shared memory).", "",
             "| tool | kind | Mpps | Gbit/s | Mpps (CPU) | wall s (min-max) | CPU s | peak RSS MB "
             "| anon MB | rate vs libpcap loop (wall) | (CPU) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rate = f"{base['wall_s'] / r['wall_s'] * 100:.0f}%" if base else "-"
        # no ratio from a few ms of CPU time
        cpu = f"{base['cpu_s'] / r['cpu_s'] * 100:.0f}%" \
            if base and min(base["cpu_s"], r["cpu_s"]) >= 0.02 else "-"
        mc = f"{r['mpps_cpu']:.2f}" if r["mpps_cpu"] else "-"
        an = f"{r['anon_mb']:.0f}" if r.get("anon_mb") else "-"   # too short to sample
        lines.append(f"| {r['tool']} | {r['kind']} | {r['mpps']:.2f} | {r['gbps']:.2f} | {mc} | "
                     f"{r['wall_s']:.2f} ({r['wall_min']:.2f}-{r['wall_max']:.2f}) | "
                     f"{r['cpu_s']:.2f} | {r['rss_mb']:.0f} | {an} | {rate} | {cpu} |")
    peers = [r for r in rows if r["kind"] == "peer"]
    ours = [r for r in rows if r["kind"] == "mos"]
    if peers and ours:
        lines += ["", "Speed of each of our programs relative to each peer, by wall time / by "
                  "CPU time (peer's time over ours; > 1 means we are faster). The work differs "
                  "between tools; the pairs the targets name are in the target table.", "",
                  "| ours \\ peer | " + " | ".join(p["tool"] for p in peers) + " |",
                  "|---|" + "---:|" * len(peers)]
        for o in ours:
            lines.append(f"| {o['tool']} | " + " | ".join(
                f"{p['wall_s'] / o['wall_s']:.2f} / " +
                (f"{p['cpu_s'] / o['cpu_s']:.2f}" if min(p["cpu_s"], o["cpu_s"]) >= 0.02 else "-")
                for p in peers) + " |")
    if res.get("work"):
        lines += ["", "What our programs did on this trace (one more, untimed run of each with "
                  "its records and `--stats` kept): the summary line it prints, the records "
                  "written, and notable event counts (orphans: frames outside the program's "
                  "scope; buffer_full: bytes a stream could not keep; module events).", "",
                  "| program | summary | records | events |", "|---|---|---:|---|"]
        for name, w in res["work"].items():
            ev = ", ".join(f"{k} {v:,}" for k, v in (w.get("events") or {}).items())
            summary = w.get("summary", "").replace("|", "/")
            lines.append(f"| {name} | {summary} | {w.get('records', '-')} | {ev} |")
    lines.append("")
    for r in rows:
        lines.append(f"- {r['tool']}: {r['what']} — `{r['command']}`")
    for name in res["skipped"]:
        lines.append(f"- {name}: skipped (not installed or not built)")
    for name, err in res["failed"].items():
        lines.append(f"- {name}: FAILED: {err}")
    return "\n".join(lines) + "\n"


def split_halves(trace, where):
    """The two halves of a classic pcap @trace (by records, each with the
    file header) as two files in directory @where, or None when it is not
    a classic pcap."""
    with open(trace, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        fmt = "<I"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        fmt = ">I"
    else:
        return None
    offs, at = [], 24
    while at + 16 <= len(data):
        offs.append(at)
        at += 16 + struct.unpack_from(fmt, data, at + 8)[0]
    if len(offs) < 2:
        return None
    cut = offs[len(offs) // 2]
    halves = [os.path.join(where, "half0.pcap"), os.path.join(where, "half1.pcap")]
    with open(halves[0], "wb") as f:
        f.write(data[:cut])
    with open(halves[1], "wb") as f:
        f.write(data[:24] + data[cut:])
    return halves


def run_together(argvs, limit):
    """Start every command of @argvs at once: the wall time until the last
    one ends, or None if one fails or outlives @limit."""
    t0 = time.monotonic()
    ps = [subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
          for a in argvs]
    ok = True
    for p in ps:
        try:
            ok = p.wait(timeout=max(limit - (time.monotonic() - t0), 0.1)) == 0 and ok
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            ok = False
    return time.monotonic() - t0 if ok else None


def ceiling_round(argvs, limit, apart, together):
    """One round of the machine's ceiling (see scaling): the commands of
    @argvs one after the other, their times summed into @apart, then all
    at once into @together. False if one failed."""
    for a in argvs:
        warm(a[a.index("-r") + 1])
    one = [run_together([a], limit) for a in argvs]
    both = run_together(argvs, limit)
    if None in one or both is None:
        return False
    apart.append(sum(one))
    together.append(both)
    return True


def cpu_list(spec):
    """The CPUs of a taskset list ("0,1", "0-3")."""
    out = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += [str(c) for c in range(int(lo), int(hi or lo) + 1)]
    return out


def scaling(args, tmp):
    b = lambda *p: os.path.join(args.build, *p)  # noqa: E731
    progs = [("C conntrack", [b("examples", "c", "conntrack")]),
             ("conntrack.mos", [b("examples", "conntrack", "conntrack"), "--no-record-key"])]
    variants = [("no --workers", []), ("--workers 1", ["--workers", "1"]),
                ("--workers 2", ["--workers", "2"])]
    todo = [(p, v, argv + ["-q", "-r", args.trace, "--out", "/dev/null"] + extra)
            for p, argv in progs for v, extra in variants if available(argv, None)]
    runs = {(p, v): [] for p, v, _ in todo}
    failed = {}
    # The machine's ceiling, in the same rounds: what two CPUs give two
    # programs that share nothing (the C conntrack, --workers 1, on each
    # half of the trace, pinned one per CPU) -- shared caches, memory
    # bandwidth and the host's other guests decide it, not our code.
    ct, cpus = b("examples", "c", "conntrack"), cpu_list(args.cpus)[:2]
    where = tempfile.mkdtemp(prefix="mos_ceiling_",   # in memory, as bench/run.sh's trace
                             dir="/dev/shm" if os.path.isdir("/dev/shm") else tmp)
    halves = split_halves(args.trace, where) \
        if len(cpus) == 2 and available([ct], None) else None
    pair = [["taskset", "-c", c, ct, "-q", "-r", h, "--out", "/dev/null", "--workers", "1"]
            for c, h in zip(cpus, halves or [])]
    apart, together = [], []
    try:
        for rnd in range(args.rounds):
            for p, v, argv in todo:
                if (p, v) in failed:
                    continue
                warm(args.trace)
                res, err = run_once(argv, args.cpus, tmp, args.limit)
                if res is None:
                    failed[(p, v)] = err
                else:
                    runs[(p, v)].append(res)
            if pair and not ceiling_round(pair, args.limit, apart, together):
                pair = None
            print(f"  scaling: round {rnd + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(where)
    rows = []
    for p, v, argv in todo:
        if (p, v) in failed or not runs[(p, v)]:
            continue
        rs = runs[(p, v)]
        rows.append({"program": p, "variant": v, "command": " ".join(argv),
                     "wall_s": statistics.median(r["wall"] for r in rs),
                     "wall_min": min(r["wall"] for r in rs), "wall_max": max(r["wall"] for r in rs),
                     "cpu_s": statistics.median(r["cpu"] for r in rs),
                     "rss_mb": max(r["rss_kb"] for r in rs) / 1024,
                     "anon_mb": max(r["anon_kb"] for r in rs) / 1024})
    w1 = {r["program"]: r["wall_s"] for r in rows if r["variant"] == "--workers 1"}
    lines = [f"Trace: {args.desc}; {args.rounds} rounds, interleaved, each run pinned to "
             f"CPUs {args.cpus} (`taskset -c {args.cpus}`); median wall (min-max), median CPU. "
             f"Speed-up: the ratio of the median walls, and in brackets the median of the "
             f"ratios within each round (runs of one round are seconds apart, so the host's "
             f"load moves them together).",
             "", "| program | workers | wall s (min-max) | CPU s | peak RSS MB | anon MB "
             "| speed-up vs --workers 1 | vs no --workers |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    w0 = {r["program"]: r["wall_s"] for r in rows if r["variant"] == "no --workers"}

    def per_round(p, base, v):   # median of the ratios within each round
        a, b = runs.get((p, base), []), runs.get((p, v), [])
        return statistics.median(x["wall"] / y["wall"] for x, y in zip(a, b)) \
            if (p, base) not in failed and (p, v) not in failed and a and b else None
    for r in rows:
        su, s0 = w1.get(r["program"]), w0.get(r["program"])
        r["speedup"] = su / r["wall_s"] if su else None
        r["speedup_rounds"] = per_round(r["program"], "--workers 1", r["variant"])
        r["speedup_vs_plain"] = s0 / r["wall_s"] if s0 else None
        sp = f"{r['speedup']:.2f}x ({r['speedup_rounds']:.2f}x)" if su else "-"
        sp0 = f"{r['speedup_vs_plain']:.2f}x" if s0 else "-"
        lines.append(f"| {r['program']} | {r['variant']} | {r['wall_s']:.2f} "
                     f"({r['wall_min']:.2f}-{r['wall_max']:.2f}) | {r['cpu_s']:.2f} | "
                     f"{r['rss_mb']:.0f} | {r['anon_mb']:.0f} | {sp} | {sp0} |")
    for (p, v), err in failed.items():
        lines.append(f"\n- {p} {v}: FAILED: {err}")
    ceil = None
    if pair and apart:
        ceil = {"apart_s": statistics.median(apart), "apart_min": min(apart),
                "together_s": statistics.median(together), "together_min": min(together),
                "ceiling": statistics.median(apart) / statistics.median(together),
                "ceiling_rounds": statistics.median(a / t for a, t in zip(apart, together))}
        c = ceil["ceiling"]
        lines += ["", f"Machine ceiling, in the same rounds: the C conntrack with --workers 1 on "
                  f"each half of the trace, pinned one per CPU, takes {ceil['apart_s']:.2f} s "
                  f"one after the other (min {ceil['apart_min']:.2f}) and "
                  f"{ceil['together_s']:.2f} s both at once (min {ceil['together_min']:.2f}): "
                  f"two programs that share nothing run {c:.2f}x as fast on two CPUs as on "
                  f"one here ({ceil['ceiling_rounds']:.2f}x by the median of the rounds' "
                  f"ratios; shared caches, memory bandwidth, the host's other guests). "
                  f"--workers 2 against it:"]
        for r in rows:
            if r["variant"] == "--workers 2" and r["speedup"]:
                r["of_ceiling"] = r["speedup"] / c
                lines.append(f"- {r['program']}: {r['speedup']:.2f}x, "
                             f"{r['of_ceiling'] * 100:.0f}% of the ceiling")
    text = "\n".join(lines) + "\n"
    return {"trace": args.trace, "trace_desc": args.desc, "cpus": args.cpus,
            "rounds": args.rounds, "rows": rows, "ceiling": ceil,
            "failed": {f"{p} {v}": e for (p, v), e in failed.items()}}, text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--trace", required=True)
    ap.add_argument("--label", default="trace")
    ap.add_argument("--desc", default="", help="what the trace is, for the table")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=1 if os.cpu_count() > 1 else 0)
    ap.add_argument("--cpus", default=f"0-{os.cpu_count() - 1}", help="--scaling: CPU list")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--limit", type=int, default=300, help="seconds allowed per run")
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--tools", default="", help="comma-separated tool names: these alone")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="mos_bench_")
    os.makedirs(os.path.join(tmp, "tcpflow"), exist_ok=True)
    try:
        if args.scaling:
            res, text = scaling(args, tmp)
            json.dump(res, open(os.path.join(args.out, "scaling.json"), "w"), indent=1)
            open(os.path.join(args.out, "scaling.md"), "w").write(text)
        else:
            res = side_by_side(args, tmp)
            json.dump(res, open(os.path.join(args.out, f"trace-{args.label}.json"), "w"), indent=1)
            text = table(res)
            open(os.path.join(args.out, f"trace-{args.label}.md"), "w").write(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
