#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every diagnostic the front end can print must be pinned by a reject test.

Collects the format strings of ERR/WARN/NOTE/diag_error/diag_warning/diag_note
calls in compiler/*.c and grammar/*.{l,y}, turns each into a regular
expression (printf conversions match anything) and looks for a matching
"error:", "warning:" or "note:" line in tests/compiler/reject/*.expected.
Prints the uncovered ones and exits 1 if there are any."""
import glob, os, re, sys

root = sys.argv[1]
call = re.compile(r'\b(ERR|WARN|NOTE|diag_error|diag_warning|diag_note)\s*\(\s*[^;]*?"((?:[^"\\]|\\.)*)"', re.S)
conv = re.compile(r'%(?:\.\*s|ll[ud]|0?\d*x|[sudc%])')
level = {'ERR': 'error', 'diag_error': 'error', 'WARN': 'warning', 'diag_warning': 'warning',
         'NOTE': 'note', 'diag_note': 'note'}

srcs = glob.glob(os.path.join(root, 'compiler', '*.c')) + \
       glob.glob(os.path.join(root, 'grammar', '*.l')) + glob.glob(os.path.join(root, 'grammar', '*.y'))
msgs = set()
for path in srcs:
    text = open(path, encoding='utf-8').read()
    for m in call.finditer(text):
        fmt = m.group(2)
        if fmt == '%s':          # pass-through (syntax errors: covered by syntax_* tests)
            continue
        msgs.add((level[m.group(1)], fmt, os.path.basename(path)))

lines = []
# Reject tests pin `mosc check` diagnostics; mosc test's own (e.g. a missing
# capture) are pinned by the testrun tests, the back end's (mosc emit-c) by
# tests/rules/reject.
for path in (glob.glob(os.path.join(root, 'tests', 'compiler', 'reject', '*.expected')) +
             glob.glob(os.path.join(root, 'tests', 'compiler', 'testrun', 'pinned', '*.err')) +
             glob.glob(os.path.join(root, 'tests', 'rules', 'reject', '*.expected'))):
    lines += open(path, encoding='utf-8').read().splitlines()

def regex(fmt):
    fmt = fmt.encode().decode('unicode_escape')
    parts = conv.split(fmt)
    seps = conv.findall(fmt)
    out = ''
    for i, p in enumerate(parts):
        out += re.escape(p)
        if i < len(seps):
            out += '%' if seps[i] == '%%' else '.*'
    return out

missing = []
for lvl, fmt, src in sorted(msgs):
    r = re.compile(r'(^|: )' + lvl + ': ' + regex(fmt) + r'( \[-Werror\])?$')
    if not any(r.search(l) for l in lines):
        missing.append(f'{src}: {lvl}: {fmt}')
print(f'{len(msgs)} diagnostics, {len(msgs) - len(missing)} covered by reject tests')
for m in missing:
    print('not covered:', m)
sys.exit(1 if missing else 0)
