#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Line counts of the examples, as docs/examples.md tabulates them.

    example_lines.py [REPO] [--check docs/examples.md]

For every example (a directory of examples/ holding NAME.mos, or
examples/demo.mos) prints "name mos_code mos_all c_code c_all":

  mos_code  lines of the .mos file that are neither blank, nor only a
            comment, nor inside a `test "..." { ... }` block;
  mos_all   every line of the .mos file (wc -l), test blocks included;
  c_code    lines of the companion .c files of the directory that are
            neither blank nor only comment (/* */ and //);
  c_all     every line of those files (wc -l).

--check FILE: the table rows of FILE ("| [name](...) | 24 (46) | 0 | ...")
must show these numbers; exits 1 naming each row that differs (or is
missing), 0 otherwise.
"""
import argparse
import os
import re
import sys


def mos_counts(path):
    code = total = 0
    in_test = False
    with open(path) as f:
        for line in f:
            total += 1
            s = line.strip()
            if in_test:
                if line.startswith("}"):
                    in_test = False
                continue
            if re.match(r'test\s+"', line):
                in_test = not s.endswith("}")
                continue
            if s and not s.startswith("#"):
                code += 1
    return code, total


def c_counts(paths):
    code = total = 0
    for path in paths:
        in_comment = False
        with open(path) as f:
            for line in f:
                total += 1
                s, rest = line.strip(), ""
                # strip comments, keeping what is outside them
                i = 0
                while i < len(s):
                    if in_comment:
                        j = s.find("*/", i)
                        if j < 0:
                            i = len(s)
                        else:
                            in_comment, i = False, j + 2
                    elif s.startswith("/*", i):
                        in_comment, i = True, i + 2
                    elif s.startswith("//", i):
                        i = len(s)
                    else:
                        rest += s[i]
                        i += 1
                if rest.strip():
                    code += 1
    return code, total


def examples(repo):
    ex = os.path.join(repo, "examples")
    out = []
    if os.path.exists(os.path.join(ex, "demo.mos")):
        out.append(("demo", os.path.join(ex, "demo.mos"), []))
    for d in sorted(os.listdir(ex)):
        dd = os.path.join(ex, d)
        mos = os.path.join(dd, d + ".mos")
        if os.path.isfile(mos):
            cs = sorted(os.path.join(dd, c) for c in os.listdir(dd) if c.endswith(".c"))
            out.append((d, mos, cs))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo", nargs="?", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--check")
    a = ap.parse_args()
    rows = {}
    for name, mos, cs in examples(a.repo):
        rows[name] = mos_counts(mos) + c_counts(cs)
        if not a.check:
            print(name, *rows[name])
    if not a.check:
        return 0
    bad = 0
    seen = set()
    with open(a.check) as f:
        for line in f:
            m = re.match(r"\|\s*\[?`?([a-z_]+)`?\]?(?:\([^)]*\))?\s*\|\s*(\d+) \((\d+)\)\s*\|"
                         r"\s*(?:(\d+) \((\d+)\)|0|—)\s*\|", line)
            if not m or m.group(1) not in rows:
                continue
            name = m.group(1)
            seen.add(name)
            got = (int(m.group(2)), int(m.group(3)),
                   int(m.group(4) or 0), int(m.group(5) or 0))
            if got != rows[name]:
                print(f"{a.check}: row '{name}' says {got}, the files have {rows[name]}")
                bad = 1
    for name in sorted(set(rows) - seen):
        print(f"{a.check}: no row for example '{name}' {rows[name]}")
        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
