#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Command-line behaviour shared by every program built on the runtime,
# checked on pktstats: options, errors, --stats, --out, several inputs, a
# live DPDK port (net_pcap vdev) stopped by SIGINT.
# usage: cli_test.sh PKTSTATS SOURCE_DIR
set -u
prog=$1
src=$2
demo=$src/examples/data/demo.pcap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok()   { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

# run NAME EXPECTED_STATUS ARGS... ; leaves stdout/stderr in $tmp/out, $tmp/err
run() {
	local name=$1 want=$2
	shift 2
	"$prog" "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$name" "exit $got, expected $want; stderr: $(head -c 300 "$tmp/err")"
		return 1
	fi
	return 0
}

# expect_in NAME FILE TEXT
expect_in() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else fail "$1" "'$3' not in: $(head -c 300 "$2")"; fi
}

# json_field FILE KEY
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

run help 0 --help && expect_in help "$tmp/out" "usage: pktstats"
run no-input 2 && expect_in no-input "$tmp/err" "no input: give -r FILE"
run unknown-option 2 --bogus && expect_in unknown-option "$tmp/err" "unknown option '--bogus'"
run missing-argument 2 -r && expect_in missing-argument "$tmp/err" "option '-r' needs an argument"
run missing-file 2 -r "$tmp/none.pcap" && expect_in missing-file "$tmp/err" "none.pcap: cannot read capture"
run bad-burst 2 --burst 0 -r "$demo" && expect_in bad-burst "$tmp/err" "--burst: '0' is not a number"
run bad-out 2 --out "$tmp/no/such/dir" -r "$demo" && expect_in bad-out "$tmp/err" "cannot write"

# The demo capture: 38 frames, 26 IPv4 and 12 IPv6, 34 TCP, 2 UDP (DNS),
# 2 ICMP (ping), 12 frames on VLAN 42 (see tools/mkdemo.py).
if run demo-stats 0 -q --stats "$tmp/s.json" -r "$demo"; then
	want="packets=38 ipv4=26 ipv6=12 tcp=34 udp=2 icmp=2 icmpv6=0 ip_fragments=0 vlan_tagged=12 malformed_total=0"
	got=""
	for k in packets ipv4 ipv6 tcp udp icmp icmpv6 ip_fragments vlan_tagged malformed_total; do
		got="$got $k=$(json_field "$tmp/s.json" "$k")"
	done
	if [ "${got# }" = "$want" ]; then ok demo-stats; else fail demo-stats "got ${got# }"; fi
	if cmp -s "$tmp/out" "$tmp/s.json"; then ok demo-stdout-equals-stats; else fail demo-stdout-equals-stats "stdout differs from --stats"; fi
fi

if run two-files 0 -q --stats "$tmp/s2.json" -r "$demo" -r "$demo"; then
	n=$(json_field "$tmp/s2.json" packets)
	[ "$n" = 76 ] && ok two-files || fail two-files "packets $n, expected 76"
fi

if run out-file 0 -q --out "$tmp/o.json" -r "$demo"; then
	n=$(json_field "$tmp/o.json" packets)
	[ "$n" = 38 ] && ok out-file || fail out-file "packets $n in --out file"
fi

# A truncated capture: what was read is counted, the error is reported, exit 1.
head -c 3000 "$demo" >"$tmp/trunc.pcap"
if run truncated-file 1 -q --stats "$tmp/t.json" -r "$tmp/trunc.pcap"; then
	expect_in truncated-file "$tmp/err" "error: "
	n=$(json_field "$tmp/t.json" packets)
	[ "$n" -gt 0 ] && [ "$n" -lt 38 ] && ok truncated-file-counts || fail truncated-file-counts "packets $n"
fi

# A live DPDK port (net_pcap vdev replaying the demo capture). net_pcap
# never reports the end, so the run is stopped with SIGINT, which must
# still end cleanly and write the statistics.
timeout --preserve-status -s INT 4 "$prog" -q --stats "$tmp/l.json" \
	--dpdk "--vdev=net_pcap0,rx_pcap=$demo" >"$tmp/out" 2>"$tmp/err"
st=$?
if [ "$st" -eq 0 ] && [ -s "$tmp/l.json" ]; then
	n=$(json_field "$tmp/l.json" packets)
	[ "$n" = 38 ] && ok dpdk-port || fail dpdk-port "packets $n, expected 38"
else
	fail dpdk-port "exit $st; stderr: $(head -c 300 "$tmp/err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
