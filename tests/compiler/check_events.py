#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The compiler's built-in events (BI_EVENTS in compiler/builtins.h) and the
runtime's (MOS_BUILTIN_EVENTS in runtime/include/mos/event.h) must list the
same events in the same order with the same legal hooks."""
import os, re, sys

root = sys.argv[1]
def table(path, macro, prefix):
    text = open(os.path.join(root, path)).read()
    start = text.find('#define ' + macro + '(X)')
    if start < 0:
        return []
    body = []
    for line in text[start:].splitlines()[1:]:
        body.append(line.rstrip('\\'))
        if not line.rstrip().endswith('\\'):
            break
    rows = re.findall(r'X\(\s*(\w+),\s*"(\w+)",\s*([^,)]+)', ' '.join(body))
    out = []
    for ident, name, hooks in rows:
        bits = sorted(set(re.findall(prefix + r'(NONE|SND|RCV)', hooks)))
        out.append((ident, name, tuple(bits)))
    return out

comp = table('compiler/builtins.h', 'BI_EVENTS', r'BI_HOOK_')
rt = table('runtime/include/mos/event.h', 'MOS_BUILTIN_EVENTS', r'MOS_HOOKBIT_')
if not rt:
    print('runtime table not found; nothing to compare'); sys.exit(0)
bad = 0
for i in range(max(len(comp), len(rt))):
    c = comp[i] if i < len(comp) else None
    r = rt[i] if i < len(rt) else None
    if c != r:
        bad += 1
        print(f'event #{i}: compiler {c} runtime {r}')
print(f'{len(comp)} compiler events, {len(rt)} runtime events, {bad} differences')
sys.exit(1 if bad or len(comp) < 8 else 0)
