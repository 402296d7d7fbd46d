#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make bench`: every benchmark in one run, on the same traces, results in
# bench/results/ (results.md, PNG plots; docs/benchmarks.md says how to read
# them). Never part of `make test`.
#   bench/run.sh BUILD
# Environment:
#   BENCH_QUICK=1       a smoke run: 200k packets, one round, small micro-benchmarks
#   BENCH_PACKETS=N     frames of the synthetic trace (default 1000000)
#   BENCH_ROUNDS=N      rounds of the side-by-side runs (default 5, median taken)
#   BENCH_CPU=C         the core single-core runs are pinned to (default 1)
#   BENCH_RESULTS=DIR   where the results go (default bench/results)
#   BENCH_DOCS=1        also put the results into docs/benchmarks.md
#   BENCH_COMMIT=TEXT   what was built, when BUILD is not this checkout's tree
#                       (default: its HEAD, flagged when files differ from it)
#   BENCH_CORPUS=FILE   the real capture multiplied into the second trace, about
#                       a quarter of the synthetic trace's frames (default
#                       ../shared/corpus/pcaps/cs_http_espn.pcapng: real web
#                       browsing, many parallel HTTP flows; left out when absent)
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
results=${BENCH_RESULTS:-$top/bench/results}
mkdir -p "$results"
rm -f "$results"/trace-*.json "$results"/trace-*.md "$results"/*.png
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	packets=${BENCH_PACKETS:-200000} rounds=${BENCH_ROUNDS:-1}
	reasm=(32 1000 1) stream=(64 200) decode=1 mosvc=1
else
	packets=${BENCH_PACKETS:-1000000} rounds=${BENCH_ROUNDS:-5}
	reasm=(256 1000 5) stream=(1024 1000) decode=5 mosvc=5
fi
cpu=${BENCH_CPU:-$(( $(nproc) > 1 ? 1 : 0 ))}
cpus="0-$(( $(nproc) - 1 ))"
corpus=${BENCH_CORPUS:-$top/../shared/corpus/pcaps/cs_http_espn.pcapng}
t0=$(date +%s)

# Traces live in memory (/dev/shm): from disk, memory reclaim drops them
# from the page cache between runs and a cold read costs many times a warm one.
syn=/dev/shm/mos-bench-syn-$$.pcap
mul=/dev/shm/mos-bench-mul-$$.pcap
reo=/dev/shm/mos-bench-reo-$$.pcap
trap 'rm -f "$syn" "$mul" "$reo"' EXIT
# The synthetic trace: tools/mostrace's default mix (HTTP 30%, TLS 40%, DNS
# 15%, UDP 5%, opaque TCP; 10% IPv6, 5% VLAN; Pareto response sizes),
# 4096 connections live at once, a little retransmission, reordering and
# duplication.
syn_opts="--seed 1 --packets $packets --concurrent 4096 --retrans 0.01 --reorder 0.005 --dup 0.002"
echo "bench: synthetic trace: mostrace $syn_opts"
"$build/tools/mostrace" -q -o "$syn" $syn_opts --stats "$results/mostrace-synthetic.json"

{
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
	     "$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') MHz)," \
	     "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory," \
	     "$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)."
	echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit ${BENCH_COMMIT:-$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')" \
	     "$(git -C "$top" diff --quiet HEAD -- runtime examples compiler stdlib bench ':!bench/results' 2>/dev/null || echo '(with uncommitted changes)')}," \
	     "build type $(bt=$(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2); echo "${bt:-RelWithDebInfo}")," \
	     "load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Peers: $(dpkg-query -W -f='${Package} ${Version}, ' libnids-dev libndpi-bin prads tcpflow tshark 2>/dev/null | sed 's/, $//')."
	echo "Single-core runs pinned to CPU $cpu (\`taskset -c $cpu\`), scaling runs to CPUs $cpus;" \
	     "the machine is shared with other work, so every figure is a median of interleaved rounds."
} >"$results/machine.txt"
cat "$results/machine.txt"

echo "== side by side on the synthetic trace"
"$top/bench/harness.py" --build "$build" --trace "$syn" --label synthetic \
	--desc "tools/mostrace \`$syn_opts\`" --rounds "$rounds" --cpu "$cpu" --out "$results"

if [ -r "$corpus" ]; then
	# enough copies for about a quarter of the synthetic trace's frames
	n=$("$build/bench/pcap_loop" "$corpus" | awk '{print $2}')
	copies=$(( packets / 4 / (n > 0 ? n : 1) ))
	copies=$(( copies < 1 ? 1 : copies > 65535 ? 65535 : copies ))
	echo "== side by side on $(basename "$corpus") x $copies (mostrace --multiply)"
	"$build/tools/mostrace" -q --multiply "$copies" -r "$corpus" -o "$mul"
	"$top/bench/harness.py" --build "$build" --trace "$mul" --label multiplied \
		--desc "\`mostrace --multiply $copies -r $(basename "$corpus")\` (a real capture, $n frames, addresses moved per copy)" \
		--rounds "$rounds" --cpu "$cpu" --out "$results"
	rm -f "$mul"
else
	echo "== no corpus capture at $corpus: the multiplied trace is left out"
fi

# Heavily reordered traffic for the reassembly comparison (issue 4): a
# fifth of the data segments arrive after their connection's next frame.
reo_opts="--seed 2 --packets $((packets / 2)) --concurrent 4096 --retrans 0.01 --reorder 0.2 --dup 0.002"
echo "== reassembly tools on a heavily reordered trace: mostrace $reo_opts"
"$build/tools/mostrace" -q -o "$reo" $reo_opts
"$top/bench/harness.py" --build "$build" --trace "$reo" --label reordered \
	--desc "tools/mostrace \`$reo_opts\` (reassembly tools only)" --rounds "$rounds" --cpu "$cpu" \
	--tools "libpcap loop,mos conntrack,mos streamdump,libnids,tcpflow -FX" --out "$results"
rm -f "$reo"

echo "== multi-core scaling of the offline path (--workers 1 and 2)"
# three times the rounds: short runs on both CPUs of a shared VM vary most
"$top/bench/harness.py" --scaling --build "$build" --trace "$syn" \
	--desc "the synthetic trace ($packets packets)" --rounds "$((rounds * 3))" --cpus "$cpus" \
	--out "$results"

echo "== flow engine: tracking rate, new connections/s, bytes per connection, dynamic registration"
if [ -x "$build/tests/test_flow_bench" ]; then
	taskset -c "$cpu" "$build/tests/test_flow_bench" --gtest_also_run_disabled_tests \
		--gtest_filter='FlowBench.*' | tee "$results/flow.txt"
else
	echo "test_flow_bench not built" | tee "$results/flow.txt"
fi

echo "== reassembly, whole pipeline: mos and libnids on the same frames in memory"
if [ -x "$build/bench/reasm_bench" ]; then
	taskset -c "$cpu" "$build/bench/reasm_bench" "${reasm[@]}" | tee "$results/reasm.txt"
else
	echo "reasm_bench not built (libnids-dev missing: scripts/install-deps.sh --bench)" | tee "$results/reasm.txt"
fi

echo "== reassembler alone: in-order and reordered streams"
taskset -c "$cpu" "$build/bench/stream_bench" "${stream[@]}" | tee "$results/stream.txt"

echo "== decode: offline read + decode against a plain libpcap loop"
{
	echo "Command: \`decode_bench TRACE $decode\` on the synthetic trace, pinned to CPU $cpu."
	echo
	taskset -c "$cpu" "$build/bench/decode_bench" "$syn" "$decode"
} | tee "$results/decode.md"

echo "== mosc back end: conntrack.mos against the C conntrack; stage specialisation"
"$top/bench/mos_vs_c.sh" "$build" "$syn" "$mosvc" "$cpu" | tee "$results/mos_vs_c.md"

cmd="make bench"
[ "$quick" = 1 ] && cmd="BENCH_QUICK=1 make bench"
docs=()
[ "${BENCH_DOCS:-0}" = 1 ] && docs=(--docs "$top/docs/benchmarks.md")
/usr/bin/python3 "$top/bench/report.py" "$results" "$cmd" "${docs[@]}"
echo "bench: done in $(( $(date +%s) - t0 )) s; see $results/results.md"
