#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench_inline.sh BUILD_DIR [SECONDS] — a benchmark, not a test (not in CTest).
#
# 1. Offline multi-core: conntrack --udp on a bench/mktrace capture
#    (1,000,000 frames, 100,000 flows) as one loop, with --workers 1 and
#    --workers 2; best wall time of 3 runs each, in Mpps, and the speed-up
#    of 2 workers over 1.
# 2. Inline forwarding (root only; skipped otherwise): the namespaces of
#    tests/netns/inline_test.sh (hA - a1 [mb] b1 - hB over veth pairs),
#    iperf3 -t SECONDS (default 5) hA -> hB and hB -> hA through
#      - a plain Linux bridge in mb (the reference, same run, same veths),
#      - conntrack --inline on net_af_packet ports (1 worker, one lcore),
#      - conntrack --inline --workers 2 (two worker lcores + control).
#    The host-side veths have tx checksum offload off for every row (the
#    DPDK rows need it, docs/deployment.md); the bridge row is also given
#    with the default offloads.
# Prints a Markdown table on stdout. On this project's 2-vCPU machines the
# traffic generators, the kernel and the box share two CPUs: compare rows
# of one run, not runs of different days.
set -u
B=${1:?usage: bench_inline.sh BUILD_DIR [SECONDS]}
SECS=${2:-5}
CT=$B/examples/c/conntrack
MKTRACE=$B/bench/mktrace
PY=/usr/bin/python3
[ -x "$CT" ] && [ -x "$MKTRACE" ] || { echo "build conntrack and mktrace in $B first" >&2; exit 2; }
tmp=$(mktemp -d /tmp/mos-bench.XXXXXX)
sfx=$$
HA=mosbA$sfx HB=mosbB$sfx MB=mosbM$sfx
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for n in $HA $HB $MB; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "# mos inline / multi-core benchmark ($(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo

# ---- 1. offline, 1 vs 2 workers ---------------------------------------------
"$MKTRACE" "$tmp/t.pcap" 1000000 100000 >/dev/null || { echo "mktrace failed" >&2; exit 1; }
frames=1000000
best() {   # best wall seconds of 3 runs of "$@"
	local b=
	for _ in 1 2 3; do
		local t0 t1
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; echo 0; return; }
		t1=$(date +%s.%N)
		b=$($PY -c "import sys; a=float(sys.argv[1]); b=sys.argv[2]; print(min(a, float(b)) if b else a)" \
			"$(echo "$t1 - $t0" | bc)" "$b")
	done
	echo "$b"
}
echo "## Offline: conntrack --udp on mktrace 1,000,000 frames ($(du -m "$tmp/t.pcap" | cut -f1) MB), best of 3"
echo
echo "| run | wall s | Mpps | vs --workers 1 |"
echo "|---|---|---|---|"
t0=$(best "$CT" -q --udp -r "$tmp/t.pcap")
t1=$(best "$CT" -q --udp -r "$tmp/t.pcap" --workers 1)
t2=$(best "$CT" -q --udp -r "$tmp/t.pcap" --workers 2)
for row in "one loop:$t0" "--workers 1:$t1" "--workers 2:$t2"; do
	name=${row%%:*} t=${row#*:}
	$PY -c "import sys; t=float(sys.argv[2]); t1=float(sys.argv[3]); print(f'| {sys.argv[1]} | {t:.2f} | {1.0/t:.2f} | {t1/t:.2f}x |')" \
		"$name" "$t" "$t1"
done
echo

# ---- 2. inline through namespaces ---------------------------------------------
if [ "$(id -u)" != 0 ] || ! command -v iperf3 >/dev/null || ! ip netns add $HA 2>/dev/null; then
	echo "(inline part skipped: needs root, iproute2 and iperf3)"
	exit 0
fi
ip netns add $HB && ip netns add $MB &&
ip link add a0 netns $HA type veth peer name a1 netns $MB &&
ip link add b0 netns $HB type veth peer name b1 netns $MB &&
ip -n $HA addr add 10.200.0.1/24 dev a0 && ip -n $HB addr add 10.200.0.2/24 dev b0 || exit 1
for n in $HA $HB $MB; do
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
	ip -n $n link set lo up
done
ip -n $HA link set a0 up && ip -n $HB link set b0 up && ip -n $MB link set a1 up && ip -n $MB link set b1 up
ip netns exec $HB iperf3 -s -B 10.200.0.2 -p 5201 >/dev/null 2>&1 &
pids+=($!)
# a listener on 5555 that accepts and closes: the reachability probe
ip netns exec $HB $PY -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.200.0.2", 5555)); s.listen(16)
while True:
    s.accept()[0].close()' >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

# iperf ARGS: "<Gbit/s> <retransmits>" of iperf3 -t SECS ARGS from hA
iperf() {
	ip netns exec $HA timeout $((SECS + 20)) iperf3 -c 10.200.0.2 -p 5201 -t "$SECS" -J "$@" >"$tmp/i.json" 2>&1
	$PY -c '
import json, sys
try:
    e = json.load(open(sys.argv[1]))["end"]
    print("%.2f %s" % (e["sum_received"]["bits_per_second"] / 1e9, e["sum_sent"].get("retransmits", "-")))
except Exception:
    print("failed -")' "$tmp/i.json"
}
row() {   # row NAME
	local f r
	f=$(iperf)
	r=$(iperf -R)
	echo "| $1 | ${f% *} (${f#* }) | ${r% *} (${r#* }) |"
}
# wait until hA reaches hB (at most 10 s)
reach() {
	for _ in $(seq 1 50); do
		ip netns exec $HA $PY -c 'import socket; socket.create_connection(("10.200.0.2", 5555), timeout=1).close()' \
			>/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

echo "## Inline: iperf3 -t $SECS through the middlebox namespace (Gbit/s, retransmits)"
echo
echo "| datapath | hA -> hB | hB -> hA |"
echo "|---|---|---|"
ip -n $MB link add br0 type bridge && ip -n $MB link set a1 master br0 &&
ip -n $MB link set b1 master br0 && ip -n $MB link set br0 up
reach && row "Linux bridge, default offloads"
ip netns exec $HA ethtool -K a0 tx off >/dev/null && ip netns exec $HB ethtool -K b0 tx off >/dev/null
reach && row "Linux bridge, tx checksum off on a0/b0"
ip -n $MB link set a1 nomaster && ip -n $MB link set b1 nomaster && ip -n $MB link del br0

PORTS="--vdev=net_af_packet0,iface=a1,framecnt=4096,qdisc_bypass=1 --vdev=net_af_packet1,iface=b1,framecnt=4096,qdisc_bypass=1"
box() {   # box NAME EAL-LCORES [--workers N]
	local name=$1 lc=$2
	shift 2
	ip netns exec $MB "$CT" -q --inline --dpdk "$PORTS $lc" --stats "$tmp/st.json" "$@" >/dev/null 2>"$tmp/box.log" &
	local pid=$!
	if reach; then row "$name"; else echo "| $name | no connectivity | $(head -c 200 "$tmp/box.log") |"; fi
	kill -INT $pid 2>/dev/null
	wait $pid
}
box "conntrack --inline, 1 worker (lcore 0 floats on both CPUs)" "--lcores=0@(0-1)"
box "conntrack --inline --workers 2 (3 lcores float on both CPUs)" "--lcores=(0-2)@(0-1)" --workers 2
echo
echo "conntrack keeps state and reassembles both directions of every connection; the bridge does not look past L2."
