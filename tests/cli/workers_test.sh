#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Offline multi-core (--workers, docs/deployment.md): the records of 1 and 2
# (and 3) workers must be byte-identical, and the same set as the plain
# one-loop run, for conntrack and for compiled .mos programs; so must the
# run statistics (--stats: every worker counts its own frames), except the
# "resources" of per-worker pools and tables, where only the flows created
# must agree.
#   workers_test.sh corpus CONNTRACK MOSC SRCDIR CORPUSDIR   every corpus capture
#   workers_test.sh synthetic CONNTRACK MOSC SRCDIR MKTRACE  self-made captures
#                                                           (mktrace, tests/cli/mksplit.py)
# Corpus mode: conntrack with 1 and 2 workers on every capture (the
# acceptance of issue 10), then every program with 1, 2 and 3 workers and
# the plain run on all captures read as one input (-r A -r B ...): a run
# costs about 0.3 s of start-up, so this keeps the test near a minute.
# Exit 77 (skipped) when the corpus is absent.
set -u
mode=$1 conntrack=$2 mosc=$3 src=$4 arg=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 checked=0

# agree: the records of 1, 2 and 3 workers ($tmp/w1..3) are byte-identical
# and those of 2 workers the same set as the plain run's ($tmp/plain)
agree() {
	for n in 2 3; do
		cmp -s "$tmp/w1" "$tmp/w$n" || { echo "FAIL $name: --workers 1 and $n differ"; diff "$tmp/w1" "$tmp/w$n" | head -5; fail=1; }
	done
	sort "$tmp/plain" >"$tmp/a"
	sort "$tmp/w2" >"$tmp/b"
	cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL $name: --workers 2 is not the plain run's set of records"; diff "$tmp/a" "$tmp/b" | head -5; fail=1; }
}

# check NAME PROGRAM CAPTURE-OPTIONS... -- [OPTIONS...]
# (CAPTURE-OPTIONS are -r FILE pairs; the plain run and 3 workers too)
check() {
	name=$1 prog=$2
	shift 2
	caps=
	while [ "$1" != -- ]; do caps="$caps $1"; shift; done
	shift
	# shellcheck disable=SC2086 # $caps is a list of words without blanks
	"$prog" -q $caps --stats "$tmp/s0" "$@" >"$tmp/plain" 2>"$tmp/err" || { echo "FAIL $name: plain run"; cat "$tmp/err"; fail=1; return; }
	for n in 1 2 3; do
		# shellcheck disable=SC2086
		"$prog" -q $caps --workers $n --stats "$tmp/s$n" "$@" >"$tmp/w$n" 2>"$tmp/err" ||
			{ echo "FAIL $name: --workers $n exit status"; cat "$tmp/err"; fail=1; return; }
		# "resources" (last) sums per-worker pools and tables: there
		# only the flows created must agree
		for f in s0 s$n; do
			sed 's/,"resources":.*$/}/' "$tmp/$f" >"$tmp/$f.core"
			grep -o '"resources":{"workers":[0-9]*,"flows":{"created":[0-9]*' "$tmp/$f" |
				sed 's/"workers":[0-9]*,//' >"$tmp/$f.flows"
		done
		cmp -s "$tmp/s0.core" "$tmp/s$n.core" || { echo "FAIL $name: --stats of the plain run and --workers $n differ"; diff "$tmp/s0.core" "$tmp/s$n.core" | head -5; fail=1; }
		cmp -s "$tmp/s0.flows" "$tmp/s$n.flows" || { echo "FAIL $name: flows created by the plain run and --workers $n differ"; cat "$tmp/s0.flows" "$tmp/s$n.flows"; fail=1; }
	done
	grep -q '"packets":[1-9]' "$tmp/s2" || { echo "FAIL $name: no packets in --stats"; cat "$tmp/s2"; fail=1; }
	agree
	checked=$((checked + 1))
}

# same NAME PROGRAM CAPTURE [OPTIONS...]: the plain run and 1, 2 and 3 workers
# give the same records (as a set for the plain run), exit status and errors
same() {
	name=$1 prog=$2 cap=$3
	shift 3
	"$prog" -q -r "$cap" "$@" >"$tmp/plain" 2>"$tmp/e0"
	s0=$?
	for n in 1 2 3; do
		"$prog" -q -r "$cap" --workers $n "$@" >"$tmp/w$n" 2>"$tmp/e$n"
		s=$?
		[ $s -eq $s0 ] || { echo "FAIL $name: exit status $s0 (plain), $s ($n workers)"; cat "$tmp/e$n"; fail=1; }
		cmp -s "$tmp/e0" "$tmp/e$n" || { echo "FAIL $name: errors of the plain run and $n workers differ"; cat "$tmp/e0" "$tmp/e$n"; fail=1; }
	done
	agree
	[ "$(wc -l <"$tmp/w2")" -ge 200 ] || { echo "FAIL $name: too few records ($(wc -l <"$tmp/w2"))"; fail=1; }
	checked=$((checked + 1))
}

# pair NAME PROGRAM CAPTURE [OPTIONS...]: 1 and 2 workers, run side by side
pair() {
	name=$1 prog=$2 cap=$3
	shift 3
	"$prog" -q -r "$cap" --workers 1 "$@" >"$tmp/p1" 2>"$tmp/e1" &
	"$prog" -q -r "$cap" --workers 2 "$@" >"$tmp/p2" 2>"$tmp/e2"
	s2=$?
	wait $! 
	s1=$?
	if [ $s1 -ne 0 ] || [ $s2 -ne 0 ]; then
		echo "FAIL $name: exit status $s1 (1 worker), $s2 (2 workers)"; cat "$tmp/e1" "$tmp/e2"; fail=1; return
	fi
	cmp -s "$tmp/p1" "$tmp/p2" || { echo "FAIL $name: --workers 1 and 2 differ"; diff "$tmp/p1" "$tmp/p2" | head -5; fail=1; }
	[ -s "$tmp/p1" ] && records=$((records + 1))
	checked=$((checked + 1))
}

export MOS_PATH=
"$mosc" build "$src/examples/demo.mos" -o "$tmp/demo" || { echo "mosc build demo.mos failed"; exit 1; }
"$mosc" build "$src/examples/conntrack/conntrack.mos" -o "$tmp/ctmos" || { echo "mosc build conntrack.mos failed"; exit 1; }

case $mode in
corpus)
	[ -d "$arg/pcaps" ] || { echo "no corpus at $arg: skipped"; exit 77; }
	all= records=0
	for cap in "$arg"/pcaps/*.pcap "$arg"/pcaps/*.pcapng; do
		[ -f "$cap" ] || continue
		case $cap in *[[:space:]]*) echo "skipping '$cap' (blank in the name)"; continue ;; esac
		pair "conntrack $(basename "$cap")" "$conntrack" "$cap" --udp
		all="$all -r $cap"
	done
	[ $records -gt 20 ] || { echo "FAIL: only $records captures gave records"; fail=1; }
	# shellcheck disable=SC2086
	check "conntrack all captures" "$conntrack" $all -- --udp
	# shellcheck disable=SC2086
	check "demo.mos all captures" "$tmp/demo" $all --
	# shellcheck disable=SC2086
	check "conntrack.mos all captures" "$tmp/ctmos" $all --
	[ "$(wc -l <"$tmp/w2")" -gt 100 ] || { echo "FAIL: too few records ($(wc -l <"$tmp/w2"))"; fail=1; }
	;;
synthetic)
	# many interleaved connections (TCP and UDP, IPv4/IPv6, VLAN, reordering),
	# and a short idle timeout on the second one so expiry happens mid-capture
	"$arg" "$tmp/t.pcap" 60000 6000 5 >/dev/null || { echo "mktrace failed"; exit 1; }
	[ "$(wc -c <"$tmp/t.pcap")" -gt 1000000 ] || { echo "trace too small"; exit 1; }
	check "conntrack mktrace" "$conntrack" -r "$tmp/t.pcap" -- --udp
	check "conntrack mktrace --no-streams" "$conntrack" -r "$tmp/t.pcap" -- --no-streams
	check "demo.mos mktrace" "$tmp/demo" -r "$tmp/t.pcap" --
	check "conntrack.mos mktrace" "$tmp/ctmos" -r "$tmp/t.pcap" -- --burst 7
	[ "$(wc -l <"$tmp/w2")" -gt 1000 ] || { echo "FAIL: too few records ($(wc -l <"$tmp/w2"))"; fail=1; }
	# The workers' shared scan (runtime/split.c): payloads full of fake
	# record headers (the chunks' guessed starts are mostly wrong), a record
	# over the snapshot length mid-file (libpcap reads on from there), a
	# file cut inside a record (the same error and exit status); the same
	# for pcapng, with an interface described mid-file; bursts of frames
	# up to 64 KiB, each over more chunks than the scan has slots.
	/usr/bin/python3 "$src/tests/cli/mksplit.py" "$tmp" || { echo "mksplit.py failed"; exit 1; }
	for c in split_fake.pcap split_snap.pcap split_cut.pcap split_fake.pcapng split_cut.pcapng; do
		same "conntrack $c" "$conntrack" "$tmp/$c"
		same "conntrack.mos $c" "$tmp/ctmos" "$tmp/$c"
		case $c in
		split_cut.pcap) grep -q "truncated dump file" "$tmp/e2" ||
			{ echo "FAIL $c: no read error"; cat "$tmp/e2"; fail=1; } ;;
		split_cut.pcapng) grep -q "truncated pcapng dump file" "$tmp/e2" ||
			{ echo "FAIL $c: no read error"; cat "$tmp/e2"; fail=1; } ;;
		esac
	done
	same "conntrack split_big.pcap" "$conntrack" "$tmp/split_big.pcap" --burst 256
	same "conntrack.mos split_big.pcap" "$tmp/ctmos" "$tmp/split_big.pcap" --burst 256
	# the pcapng file holds the same frames at the same times (other
	# payload bytes, same lengths): the same records as the classic one
	"$conntrack" -q -r "$tmp/split_fake.pcap" >"$tmp/classic"
	"$conntrack" -q -r "$tmp/split_fake.pcapng" --workers 2 >"$tmp/ng"
	cmp -s "$tmp/classic" "$tmp/ng" || { echo "FAIL: split_fake.pcapng and split_fake.pcap differ"; diff "$tmp/classic" "$tmp/ng" | head -5; fail=1; }
	;;
esac
echo "$checked runs compared"
[ $checked -gt 0 ] || exit 1
exit $fail
