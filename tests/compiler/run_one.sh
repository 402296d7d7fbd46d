#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one compiler test: run_one.sh MOSC golden|reject|check FILE.mos
#   golden: `mosc dump ast FILE.mos` must print exactly FILE.ast (exit 0)
#   reject: `mosc check FILE.mos` must print exactly FILE.expected on stderr;
#           exit 1 when it holds an error, else 0
#   sema:   `mosc dump sema FILE.mos` must print exactly FILE.sema (exit 0)
#   clean:  `mosc check FILE.mos` must exit 0 and print nothing at all
#   check:  `mosc check FILE.mos` must exit 0 with no errors
# Tests run in the file's directory with `-I lib`; a first line
# "# mosc-flags: ..." adds options (e.g. -Werror, --max-errors 2).
set -u
mosc=$1 mode=$2 file=$3
dir=$(dirname "$file") base=$(basename "$file" .mos)
cd "$dir" || exit 2
flags=$(sed -n '1s/^# mosc-flags: //p' "$base.mos")
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
export MOS_PATH=
case $mode in
golden)
	"$mosc" dump ast $flags "$base.mos" >"$out" 2>"$err"; rc=$?
	if [ $rc -ne 0 ]; then echo "exit status $rc"; cat "$err"; exit 1; fi
	diff -u "$base.ast" "$out" || exit 1 ;;
sema)
	"$mosc" dump sema -I lib $flags "$base.mos" >"$out" 2>"$err"; rc=$?
	if [ $rc -ne 0 ]; then echo "exit status $rc"; cat "$err"; exit 1; fi
	diff -u "$base.sema" "$out" || exit 1 ;;
reject)
	"$mosc" check -I lib $flags "$base.mos" >"$out" 2>"$err"; rc=$?
	want=0; grep -q ': error: \|^mosc: ' "$base.expected" && want=1
	if [ $rc -ne $want ]; then echo "exit status $rc, expected $want"; cat "$err"; exit 1; fi
	diff -u "$base.expected" "$err" || exit 1 ;;
clean)
	"$mosc" check -I lib $flags "$base.mos" >"$out" 2>"$err"; rc=$?
	if [ $rc -ne 0 ] || [ -s "$err" ]; then echo "exit status $rc"; cat "$err"; exit 1; fi ;;
check)
	"$mosc" check $flags "$base.mos" 2>"$err"; rc=$?
	cat "$err"
	[ $rc -eq 0 ] || { echo "exit status $rc"; exit 1; } ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
