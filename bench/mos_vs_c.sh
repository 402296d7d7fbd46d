#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark (not a test) of the mosc back end, all runs on the same trace,
# pinned to one core, interleaved round by round, median of ROUNDS:
#  (a) examples/conntrack/conntrack.mos (compiled by mosc) against the
#      hand-written examples/c/conntrack, whose records must be identical;
#  (b) bench/flowcount.mos with stage specialisation (default) and with
#      --no-specialise (reassembly of both directions, raw path and rexmit
#      events on).
#   bench/mos_vs_c.sh BUILD TRACE [ROUNDS=5] [CPU=1]
set -euo pipefail
build=$1 trace=$2 rounds=${3:-5} cpu=${4:-1}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/compiler/mosc" build "$top/bench/flowcount.mos" -o "$tmp/flowcount"
names=("C conntrack" "conntrack.mos" "flowcount.mos" "flowcount.mos --no-specialise")
cmds=("$build/examples/c/conntrack -q -r $trace --out $tmp/c.jsonl"
      "$build/examples/conntrack/conntrack -q -r $trace --no-record-key --out $tmp/mos.jsonl"
      "$tmp/flowcount -q -r $trace --no-record-key --out $tmp/fc.jsonl"
      "$tmp/flowcount -q -r $trace --no-record-key --no-specialise --out $tmp/fc_all.jsonl")
for ((r = 0; r < rounds; r++)); do
	for i in "${!cmds[@]}"; do
		cat "$trace" >/dev/null
		/usr/bin/time -f "%e %U %S %M" -o "$tmp/t" taskset -c "$cpu" ${cmds[$i]}
		echo "$i $(cat "$tmp/t")" >>"$tmp/times"
	done
done
cmp -s "$tmp/c.jsonl" "$tmp/mos.jsonl" && same="identical" || same="DIFFERENT"
cmp -s "$tmp/fc.jsonl" "$tmp/fc_all.jsonl" && fsame="identical" || fsame="DIFFERENT"
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "| program | wall s (median of $rounds) | CPU s (user+sys) | peak RSS MiB |"
echo "|---|---|---|---|"
declare -a wall cpus
for i in "${!cmds[@]}"; do
	wall[$i]=$(awk -v i="$i" '$1 == i {print $2}' "$tmp/times" | median)
	cpus[$i]=$(awk -v i="$i" '$1 == i {print $3 + $4}' "$tmp/times" | median)
	rss=$(awk -v i="$i" '$1 == i {print $5}' "$tmp/times" | median)
	printf '| %s | %.3f | %.3f | %.0f |\n' "${names[$i]}" "${wall[$i]}" "${cpus[$i]}" "$(echo "$rss / 1024" | bc -l)"
done
echo
echo "records: conntrack.mos vs C $same ($(wc -l <"$tmp/c.jsonl") lines); flowcount with vs without specialisation $fsame"
echo "conntrack.mos / C: wall $(echo "scale=3; ${wall[1]} / ${wall[0]}" | bc), CPU $(echo "scale=3; ${cpus[1]} / ${cpus[0]}" | bc)"
echo "flowcount --no-specialise / specialised: wall $(echo "scale=3; ${wall[3]} / ${wall[2]}" | bc), CPU $(echo "scale=3; ${cpus[3]} / ${cpus[2]}" | bc)"
