#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The "resources" object of a compiled program's --stats (docs/runtime.md):
#   resources.sh MOSC MOSTRACE PYTHON TOOLS_DIR CONNTRACK STREAMDUMP MIDSTAT
# A program that keeps every byte it is given runs on a mostrace capture
# with 512 connections open at once: with the default pool nothing is
# refused; with --stream-mem 64KiB (16 pages) the pool runs dry, and the
# object says so (pages_high 16, buffer_full "pool", dropped bytes) in
# agreement with the buffer_full events; with --workers 2 the counts are
# summed over both workers. A capture with an IP fragmented segment shows
# in "fragments". The C conntrack and streamdump (mos_app_run_contexts)
# and midstat (its own stage, then mos_app_set_resources) write it too; streamdump reads every byte as it comes, so the pool holds
# no page between bursts: a few pages at most, for 512 open connections.
set -u
mosc=$1 mostrace=$2 python=$3 tools=$4 conntrack=$5 streamdump=$6 midstat=$7
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
export MOS_PATH=
fail=0
say() { echo "$*"; fail=1; }
# key FILE PATH...: a value of the "resources" object (another object's
# with PATH "-events" ...)
key() {
	"$python" - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
path = sys.argv[2:]
d = d["events"] if path[0] == "-events" else d["resources"]
for k in path[1:] if path[0] == "-events" else path:
    d = d[k]
print(sum(d.values()) if isinstance(d, dict) else d)
PY
}
expect() {  # expect FILE WANT PATH...
	f=$1 want=$2
	shift 2
	got=$(key "$f" "$@")
	[ -n "$want" ] && [ "$got" = "$want" ] || say "$f: $*: got '$got', want '$want'"
}

cat >keep.mos <<'MOS'
monitor m {
    flow { u32 reads }
    on conn_new_data { reads += 1 }
    on conn_end when flow.proto == 6 { emit c { reads: reads } }
}
MOS
"$mosc" build keep.mos -o keep || { echo "mosc build failed"; exit 1; }
"$mostrace" -q -o many.pcap --packets 20000 --seed 3 --concurrent 512 || exit 1

./keep -r many.pcap --stats one.json >/dev/null 2>sum.txt || say "keep failed"
flows=$(grep -o '[0-9]* flows' sum.txt | grep -o '^[0-9]*')
expect one.json 1 workers
expect one.json "$flows" flows created
expect one.json 0 flows refused
expect one.json 0 streams buffer_full pool
expect one.json 0 streams dropped_bytes
pages=$(key one.json streams pages_high)
[ "${pages:-0}" -gt 16 ] || say "default pool: pages_high '$pages', want more than 16"

for w in 1 2; do
	./keep -q -r many.pcap --stream-mem 64KiB --workers $w --stats small$w.json >/dev/null ||
		say "keep --stream-mem 64KiB --workers $w failed"
	expect small$w.json $w workers
	expect small$w.json "$flows" flows created
	expect small$w.json $((16 * w)) streams pages_high
	pool=$(key small$w.json streams buffer_full pool)
	[ "${pool:-0}" -gt 0 ] || say "--workers $w: buffer_full pool '$pool', want > 0"
	dropped=$(key small$w.json streams dropped_bytes)
	[ "${dropped:-0}" -gt 0 ] || say "--workers $w: dropped_bytes '$dropped', want > 0"
	# every buffer_full event has one reason
	events=$(key small$w.json -events buffer_full)
	reasons=$(key small$w.json streams buffer_full)
	[ "$events" = "$reasons" ] || say "--workers $w: $events buffer_full events, $reasons by reason"
done

for w in 1 2; do
	"$conntrack" -r many.pcap --workers $w --out /dev/null --stats ct$w.json 2>sum.txt ||
		say "conntrack --workers $w failed"
	ctflows=$(grep -o '[0-9]* flows' sum.txt | grep -o '^[0-9]*')
	expect ct$w.json $w workers
	expect ct$w.json "$ctflows" flows created
	expect ct$w.json 0 streams pages_high    # count-only streams keep no byte
done

"$midstat" -q -r many.pcap --stats ms.json >/dev/null || say "midstat failed"
expect ms.json 1 workers
expect ms.json "$ctflows" flows created

"$streamdump" -q -r many.pcap --no-write --stats sd.json || say "streamdump failed"
pages=$(key sd.json streams pages_high)
[ "${pages:-0}" -gt 0 ] && [ "$pages" -le 64 ] ||
	say "streamdump: pages_high '$pages', want 1 to 64 (a page per stream read in a burst)"

PYTHONPATH=$tools "$python" - <<'PY' || exit 1
from pcapkit import TcpConversation, ip_fragments, write_pcap, retime
conv = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80)
hs = conv.handshake()
data = conv.send_c2s(b"x" * 1180)   # with the TCP header: 3 x 400 bytes
end = conv.close()
# the data segment in three fragments of 400 bytes, the last one first
pkts = hs + ip_fragments(data[0], 400, reverse=True) + data[1:] + end
write_pcap("frag.pcap", retime(pkts))
PY
./keep -q -r frag.pcap --stats frag.json >/dev/null || say "keep on frag.pcap failed"
expect frag.json 3 fragments fragments
expect frag.json 1 fragments datagrams
expect frag.json 0 fragments conflicts
expect frag.json 0 fragments pending
exit $fail
