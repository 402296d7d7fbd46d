#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make bench`: the benchmarks, pinned to one core, results in bench/results/.
# Never part of `make test`.
#   bench/run.sh BUILD [PACKETS [FLOWS]]     (defaults: 1000000 packets, 100000 flows)
set -euo pipefail
build=${1:-build}
packets=${2:-1000000}
flows=${3:-100000}
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/bench/results
mkdir -p "$results"
cpu=$(( $(nproc) > 1 ? 1 : 0 ))

# The trace lives in memory (/dev/shm): from disk, memory reclaim drops it
# from the page cache between runs and a cold read costs many times a warm one.
trace=/dev/shm/mos-bench-$packets-$flows.pcap
trap 'rm -f "$trace"' EXIT
echo "bench: writing the synthetic trace ($packets packets, $flows flows)"
"$build/bench/mktrace" "$trace" "$packets" "$flows"

echo "== decode: offline read + decode against a plain libpcap loop"
{
	echo "# decode benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
	echo
	echo "Command: \`bench/run.sh\` (decode_bench TRACE 7, pinned to CPU $cpu)."
	echo
	taskset -c "$cpu" "$build/bench/decode_bench" "$trace" 7
} | tee "$results/decode.md"

echo "== flow engine: tracking rate, new connections/s, bytes per connection, dynamic registration"
taskset -c "$cpu" "$build/tests/test_flow_bench" --gtest_also_run_disabled_tests \
	--gtest_filter='FlowBench.*' | tee "$results/flow.txt"

echo "== reassembly: in-order and reordered streams, next to libnids in the same process"
taskset -c "$cpu" "$build/bench/stream_bench" 1024 1000 | tee "$results/stream.txt"

echo "== reassembly, whole pipeline: mos (decode, flows, TCP, streams, a reader) and libnids on the same frames in memory"
if [ -x "$build/bench/reasm_bench" ]; then
	taskset -c "$cpu" "$build/bench/reasm_bench" 256 1000 5 | tee "$results/reasm.txt"
else
	echo "reasm_bench not built (libnids-dev missing: scripts/install-deps.sh --bench)"
fi

echo "== side by side: mos programs and peers on the same trace"
"$top/bench/harness.py" --build "$build" --trace "$trace" --rounds 3 --cpu "$cpu" --out "$results"

echo "== mosc back end: conntrack.mos against the C conntrack; a program with and without stage specialisation"
"$top/bench/mos_vs_c.sh" "$build" "$trace" 5 "$cpu" | tee "$results/mos_vs_c.md"
