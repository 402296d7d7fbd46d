#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check every ```mos block of a Markdown file with `mosc check`.

A block whose info string is ```mos module=NAME is a module: it is written
as NAME.mos to a scratch directory passed as -I to every check (and checked
itself). Every other ```mos block is written to its own file and checked.
A block must check without any diagnostic (examples are exemplary: no warnings)."""
import os, re, subprocess, sys, tempfile

mosc, doc = sys.argv[1], sys.argv[2]
text = open(doc, encoding='utf-8').read()
blocks = re.findall(r'^```mos([^\n]*)\n(.*?)^```', text, re.S | re.M)
if not blocks:
    print('no ```mos blocks found'); sys.exit(1)
failed = 0
with tempfile.TemporaryDirectory() as tmp:
    mods = os.path.join(tmp, 'modules'); os.mkdir(mods)
    files = []
    for i, (info, body) in enumerate(blocks):
        m = re.search(r'module=(\w+)', info)
        path = os.path.join(mods, m.group(1) + '.mos') if m else os.path.join(tmp, f'example{i + 1}.mos')
        with open(path, 'w') as f:
            f.write(body)
        files.append((path, body))
    # companion C files named by extern blocks exist next to the modules
    for path, body in files:
        for c in re.findall(r'extern\s+"([^"]+\.c)"', body):
            open(os.path.join(os.path.dirname(path), c), 'a').close()
    env = dict(os.environ, MOS_PATH='')
    for path, body in files:
        r = subprocess.run([mosc, 'check', '-I', mods, path], capture_output=True, text=True, env=env)
        if r.returncode != 0 or r.stderr:
            failed += 1
            print(f'--- block {os.path.basename(path)} fails:\n{body}\n{r.stderr}')
# Every built-in event and catalogue field is documented.
builtins = open(os.path.join(os.path.dirname(doc), '..', 'compiler', 'builtins.h')).read()
names = re.findall(r'X\((?:\w+), "(\w+)", BI_HOOK', builtins)
fields = re.findall(r'X\("((?:pkt|flow)\.[\w.]+)"', builtins)
for n in names:
    if f'`{n}`' not in text:
        failed += 1
        print(f'event {n} is not documented')
for f in fields:
    last = f.split('.')[-1]
    if f'`{f}`' not in text and f'`.{last}`' not in text:
        failed += 1
        print(f'field {f} is not documented')
if len(names) < 10 or len(fields) < 20:
    failed += 1
    print(f'found only {len(names)} events and {len(fields)} fields in builtins.h')
print(f'{len(blocks)} blocks, {len(names)} events, {len(fields)} fields, {failed} failing')
sys.exit(1 if failed else 0)
