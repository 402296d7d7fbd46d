#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# mosc driver: help, version, unknown commands/options, exit statuses.
mosc=$1
fail() { echo "FAIL: $*"; exit 1; }
$mosc --help | grep -q '^usage: mosc COMMAND' || fail "--help"
$mosc --help | grep -q '^  check ' || fail "--help lists check"
$mosc --version | grep -Eq '^mosc [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
$mosc frobnicate 2>/dev/null; [ $? -eq 2 ] || fail "unknown command exits 2"
$mosc check --frob x.mos 2>/dev/null; [ $? -eq 2 ] || fail "unknown option exits 2"
$mosc check 2>/dev/null; [ $? -eq 2 ] || fail "check without files exits 2"
$mosc check golden/minimal.mos || fail "clean file exits 0"
$mosc check golden/minimal.mos reject/unknown_event.mos 2>/dev/null; [ $? -eq 1 ] || fail "error in any file exits 1"
$mosc check does/not/exist.mos 2>&1 | grep -q "^mosc: error: cannot read 'does/not/exist.mos'" || fail "missing file"
$mosc dump ast golden/minimal.mos | head -1 | grep -q '^file ' || fail "dump ast"
$mosc dump forestx golden/minimal.mos 2>/dev/null; [ $? -eq 2 ] || fail "unknown dump kind exits 2"
# colour only when asked (stderr is not a tty here)
$mosc check reject/unknown_event.mos 2>&1 | grep -q "$(printf '\033')" && fail "colour on a pipe"
$mosc check --color=always reject/unknown_event.mos 2>&1 | grep -q "$(printf '\033')" || fail "--color=always"
# import search order: -I directories, then MOS_PATH entries in order
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" "$tmp/b"
printf 'module netmod\nflow { u8 from_a }\n' >"$tmp/a/netmod.mos"
printf 'module netmod\nflow { u8 from_b }\n' >"$tmp/b/netmod.mos"
printf 'import netmod\nmonitor m {\n    on pkt_in @rcv when netmod.from_a == 1 { }\n}\n' >"$tmp/prog.mos"
MOS_PATH="$tmp/b" $mosc check -I "$tmp/a" "$tmp/prog.mos" || fail "-I before MOS_PATH"
MOS_PATH="$tmp/a" $mosc check -I "$tmp/b" "$tmp/prog.mos" 2>/dev/null && fail "-I wins over MOS_PATH"
MOS_PATH="$tmp/a:$tmp/b" $mosc check "$tmp/prog.mos" || fail "MOS_PATH order (a first)"
MOS_PATH="$tmp/b:$tmp/a" $mosc check "$tmp/prog.mos" 2>/dev/null && fail "MOS_PATH order (b first)"
MOS_PATH= $mosc check "$tmp/prog.mos" 2>&1 | grep -q "cannot find module 'netmod'" || fail "not found without a path"
# warnings alone exit 0; -Werror makes them fail
printf 'flow { u8 unused }\n' >"$tmp/warn.mos"
$mosc check "$tmp/warn.mos" 2>/dev/null || fail "warnings exit 0"
$mosc check -Werror "$tmp/warn.mos" 2>/dev/null && fail "-Werror exits 1"
# separators: newlines, spaces and ';' give the same tree (spans aside)
printf 'monitor m {\n    flow {\n        u32 a\n        str b\n    }\n    on pkt_in @rcv {\n        a += 1\n        b = "x"\n    }\n}\n' >"$tmp/lines.mos"
printf 'monitor m { flow { u32 a; str b; }; on pkt_in @rcv { a += 1; b = "x"; }; }' >"$tmp/semis.mos"
$mosc dump ast "$tmp/lines.mos" | sed 's/ <[^>]*>$//; s/^file.*//' >"$tmp/lines.ast"
$mosc dump ast "$tmp/semis.mos" | sed 's/ <[^>]*>$//; s/^file.*//' >"$tmp/semis.ast"
[ -s "$tmp/lines.ast" ] && cmp -s "$tmp/lines.ast" "$tmp/semis.ast" || fail "separators change the tree"
echo ok
