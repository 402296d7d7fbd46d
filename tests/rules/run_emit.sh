#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Golden tests of the back end: run_emit.sh MOSC forest|c FILE.mos
#   forest: `mosc dump forest FILE.mos` must print exactly FILE.expected
#   c:      `mosc emit-c --no-line FILE.mos` must print exactly FILE.c.expected,
#           and that C must compile with -Wall -Wextra -Werror (CFLAGS in $4)
#   reject: `mosc emit-c FILE.mos` must fail with exactly FILE.expected on stderr
set -u
mosc=$1 mode=$2 file=$3
dir=$(dirname "$file") base=$(basename "$file" .mos)
cd "$dir" || exit 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err" "$out.o"' EXIT
export MOS_PATH=
case $mode in
forest)
	"$mosc" dump forest -I lib "$base.mos" >"$out" 2>"$err" || { cat "$err"; exit 1; }
	diff -u "$base.expected" "$out" || exit 1 ;;
c)
	"$mosc" emit-c --no-line -I lib "$base.mos" >"$out" 2>"$err" || { cat "$err"; exit 1; }
	diff -u "$base.c.expected" "$out" || exit 1
	cc -std=gnu11 -Wall -Wextra -Werror -c -x c $4 -o "$out.o" "$out" || exit 1 ;;
reject)
	"$mosc" emit-c --color=never -I lib "$base.mos" >"$out" 2>"$err"; rc=$?
	if [ $rc -ne 1 ]; then echo "exit status $rc, expected 1"; cat "$err"; exit 1; fi
	diff -u "$base.expected" "$err" || exit 1 ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
