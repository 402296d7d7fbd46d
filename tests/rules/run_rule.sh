#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one compiled-rule test: run_rule.sh MOSC PCAPDIR FILE.mos [EXPECTED]
#   `mosc build FILE.mos` must succeed; the binary runs on PCAPDIR/rules.pcap
#   (or the capture named by a "# pcap: NAME" line) with the options of a
#   "# run-flags: ..." line; its records (stdout) followed by its summary
#   line (stderr, "NAME: N records, ...") and the "events" object of its
#   --stats output must be exactly FILE.expected
#   (or EXPECTED, an absolute path).
set -u
mosc=$1 pcapdir=$2 file=$3 expected=${4:-}
dir=$(dirname "$file") base=$(basename "$file" .mos)
cd "$dir" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pcap=$(sed -n 's/^# pcap: //p' "$base.mos" | head -1)
flags=$(sed -n 's/^# run-flags: //p' "$base.mos" | head -1)
export MOS_PATH=
"$mosc" build -I lib "$base.mos" -o "$tmp/$base" || { echo "mosc build failed"; exit 1; }
"$tmp/$base" -r "$pcapdir/${pcap:-rules.pcap}" --stats "$tmp/stats.json" $flags >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -ne 0 ]; then echo "exit status $rc"; cat "$tmp/err"; exit 1; fi
grep "^$base: " "$tmp/err" >>"$tmp/out"
grep -o '"events":{[^}]*}' "$tmp/stats.json" >>"$tmp/out"
diff -u "${expected:-$base.expected}" "$tmp/out" || exit 1
