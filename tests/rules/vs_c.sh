#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The .mos examples against their hand-written C twins, byte for byte:
#   vs_c.sh conntrack|streamdump MOS_BIN C_BIN CAPTURE_OR_DIR...
# Every capture (a directory stands for its pcaps/*.pcap*; exit 77 when
# none exists) is run through both programs with their default options:
# conntrack's records (the .mos one with --no-record-key) must be the same
# bytes; streamdump's output directories the same files with the same bytes.
set -u
mode=$1 mos=$2 c=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
for arg in "$@"; do
	if [ -d "$arg" ]; then set -- "$arg"/pcaps/*.pcap*; else set -- "$arg"; fi
	for f in "$@"; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		rm -rf "$tmp/mos" "$tmp/c"
		case $mode in
		conntrack)
			"$mos" -q --no-record-key -r "$f" >"$tmp/mos" || { echo "mos failed on $f"; bad=$((bad + 1)); continue; }
			"$c" -q -r "$f" >"$tmp/c" || { echo "C failed on $f"; bad=$((bad + 1)); continue; }
			cmp "$tmp/c" "$tmp/mos" || { diff "$tmp/c" "$tmp/mos" | head -5; bad=$((bad + 1)); } ;;
		streamdump)
			"$mos" -q -r "$f" --out-dir "$tmp/mos" || { echo "mos failed on $f"; bad=$((bad + 1)); continue; }
			"$c" -q -r "$f" -o "$tmp/c" || { echo "C failed on $f"; bad=$((bad + 1)); continue; }
			diff -r "$tmp/c" "$tmp/mos" || bad=$((bad + 1)) ;;
		*) echo "unknown mode $mode"; exit 2 ;;
		esac
	done
done
if [ $n -eq 0 ]; then echo "no capture (corpus absent): skipped"; exit 77; fi
echo "$mode: $((n - bad)) of $n captures identical"
[ $bad -eq 0 ]
