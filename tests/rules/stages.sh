#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Stage specialisation: stages.sh MOSC CAPTURE
#   Programs that need no reassembly, one side, both sides, a raw monitor,
#   built with mosc and run on CAPTURE with --stats; the "stages" object
#   (what the runtime really set up: directions that had a stream when a
#   connection ended, whether a page pool exists, raw monitors) must match,
#   and --no-specialise must turn reassembly of both sides on; --stream-mem
#   sizes the page pool and refuses malformed sizes.
set -u
mosc=$1 cap=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
export MOS_PATH=
cat >none.mos <<'MOS'
monitor m {
    midstream on
    on conn_end when flow.proto == 6 { emit c { pkts: flow.client.pkts, rexmit: flow.server.rexmit_bytes } }
}
MOS
cat >client.mos <<'MOS'
monitor m {
    midstream on
    on conn_end when flow.proto == 6 { emit c { sent: flow.client.stream_bytes } }
}
MOS
cat >both.mos <<'MOS'
monitor m {
    midstream on
    flow { u32 reads }
    on conn_new_data { reads += 1 }
    on conn_end when flow.proto == 6 { emit c { reads: reads } }
}
MOS
cat >raw.mos <<'MOS'
raw monitor r filter "udp" {
    on pkt_in { emit u { len: pkt.len } }
}
MOS
fail=0
check() {  # check NAME EXPECTED [FLAGS]
	name=$1 want=$2
	shift 2
	"./$name" -q -r "$cap" --stats "$name.json" "$@" >/dev/null || { echo "$name failed"; fail=1; return; }
	got=$(grep -o '"stages":{[^}]*}' "$name.json" | sed 's/"c2s":[1-9][0-9]*/"c2s":N/; s/"s2c":[1-9][0-9]*/"s2c":N/')
	if [ "$got" != "\"stages\":{$want}" ]; then
		echo "$name $*: got $got, want {$want}"
		fail=1
	fi
}
for p in none client both raw; do
	"$mosc" build "$p.mos" -o "$p" || { echo "mosc build $p failed"; exit 1; }
done
check none '"c2s":0,"s2c":0,"stream_pool":false,"raw_monitors":0'
check client '"c2s":N,"s2c":0,"stream_pool":true,"raw_monitors":0'
check both '"c2s":N,"s2c":N,"stream_pool":true,"raw_monitors":0'
check raw '"c2s":0,"s2c":0,"stream_pool":false,"raw_monitors":1'
check none '"c2s":N,"s2c":N,"stream_pool":true,"raw_monitors":0' --no-specialise
# the same records with and without specialisation
./none -q -r "$cap" >a.txt && ./none -q -r "$cap" --no-specialise >b.txt && cmp a.txt b.txt || fail=1
# --stream-mem: the smallest pool (16 pages) gives the same records here
# (closed connections hand their pages on); malformed sizes are refused
./both -q -r "$cap" >a.txt && ./both -q -r "$cap" --stream-mem 64KiB >b.txt && cmp a.txt b.txt ||
	{ echo "--stream-mem 64KiB changed the records"; fail=1; }
for bad in 12 60KiB 1TB -5 ''; do
	./both -q -r "$cap" --stream-mem "$bad" >/dev/null 2>err.txt
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q -- '--stream-mem takes a size' err.txt; then
		echo "--stream-mem '$bad': exit $rc, $(cat err.txt)"
		fail=1
	fi
done
exit $fail
