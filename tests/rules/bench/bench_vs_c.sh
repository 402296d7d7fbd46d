#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark (not a test): conntrack_lite.mos built with mosc against the
# hand-written examples/c/conntrack --no-streams, on the same input (one
# capture given COPIES times with -r), best of RUNS wall-clock times each.
#   bench_vs_c.sh BUILD_DIR PCAP [COPIES=200] [RUNS=5]
set -eu
build=$1 pcap=$2 copies=${3:-200} runs=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/compiler/mosc" build "$here/conntrack_lite.mos" -o "$tmp/ct_mos"
args=""
i=0
while [ $i -lt "$copies" ]; do args="$args -r $pcap"; i=$((i + 1)); done
best() {
	b=""
	for _ in $(seq "$runs"); do
		s=$(date +%s.%N)
		"$@" -q $args >/dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
m=$(best "$tmp/ct_mos")
c=$(best "$build/examples/c/conntrack" --no-streams)
bytes=$(($(stat -c %s "$pcap") * copies))
echo "input: $pcap x $copies ($bytes bytes)"
echo "mos (conntrack_lite.mos): ${m}s"
echo "C   (conntrack --no-streams): ${c}s"
echo "ratio mos/C: $(echo "scale=3; $m / $c" | bc)"
