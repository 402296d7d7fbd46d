#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make bench`: run the benchmarks pinned to one core and write the results
# to bench/results/. Never part of `make test`.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/bench/results
trace=$build/bench/trace.pcap
mkdir -p "$results"
cpu=$(( $(nproc) > 1 ? 1 : 0 ))

if [ ! -s "$trace" ]; then
	echo "bench: writing the synthetic trace $trace (1M packets, 100k flows)"
	"$build/bench/mktrace" "$trace" 1000000 100000
fi

echo "== decode: offline read + decode against a plain libpcap loop"
{
	echo "# decode benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
	echo
	echo '```'
	echo "taskset -c $cpu $build/bench/decode_bench $trace 7"
	echo '```'
	echo
	taskset -c "$cpu" "$build/bench/decode_bench" "$trace" 7
} | tee "$results/decode.md"
