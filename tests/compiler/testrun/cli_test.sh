#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# compiler.testrun.cli: `mosc test` output pinned exactly (times as "T ms").
# Runs without the back end: --records stands in for the program's output.
# usage: cli_test.sh MOSC   (from tests/compiler/testrun; PIN=1 rewrites pinned/)
set -u
mosc=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME WANT_RC CMD...: stdout must equal pinned/NAME.out and, when
# pinned/NAME.err exists (or PIN=1 and there is some), stderr pinned/NAME.err.
check() {
	name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sed -E 's/\([0-9]+ ms\)/(T ms)/' "$tmp/out" >"$tmp/out.n"
	if [ "${PIN:-0}" = 1 ]; then
		cp "$tmp/out.n" "pinned/$name.out"
		if [ -s "$tmp/err" ]; then cp "$tmp/err" "pinned/$name.err"; else rm -f "pinned/$name.err"; fi
	fi
	if [ "$rc" != "$want" ]; then
		echo "FAIL $name: exit status $rc, wanted $want"; cat "$tmp/out" "$tmp/err"; fail=1
	fi
	if ! diff -u "pinned/$name.out" "$tmp/out.n"; then
		echo "FAIL $name: stdout differs"; fail=1
	fi
	if [ -f "pinned/$name.err" ] && ! diff -u "pinned/$name.err" "$tmp/err"; then
		echo "FAIL $name: stderr differs"; fail=1
	fi
}

R="--records blocks/web.records.jsonl --stats-json blocks/web.stats.json"

# A wrong expectation shows the expectation, the differing field and the record.
check blocks 1 "$mosc" test --color=never $R blocks/web.mos
check blocks_verbose 1 "$mosc" test --color=never --verbose $R --filter "wrong*" blocks/web.mos
# Every kind of value (state, duration, size, address, port, string, bytes) in a diff.
check kinds 1 "$mosc" test --records blocks/kinds.records.jsonl blocks/kinds.mos
# --filter: substring, glob, nothing selected.
check filter_substring 1 "$mosc" test $R --filter request blocks/web.mos
check filter_glob 0 "$mosc" test $R --filter "*passes" blocks/web.mos
check filter_none 0 "$mosc" test $R --filter nosuchtest blocks/web.mos
# Without stats, event and counter expectations fail (never pass silently).
check no_stats 1 "$mosc" test --records blocks/web.records.jsonl --filter events blocks/web.mos
# --jobs 2: the same report, in the same order.
"$mosc" test --jobs 2 $R blocks/web.mos dirs/basic | sed -E 's/\([0-9]+ ms\)/(T ms)/' >"$tmp/j2"
"$mosc" test --jobs 1 $R blocks/web.mos dirs/basic | sed -E 's/\([0-9]+ ms\)/(T ms)/' >"$tmp/j1"
if ! diff -u "$tmp/j1" "$tmp/j2"; then echo "FAIL jobs: --jobs 2 differs from --jobs 1"; fail=1; fi
grep -q '^2 passed, 3 failed$' "$tmp/j1" || { echo "FAIL jobs: closing line"; cat "$tmp/j1"; fail=1; }

# Malformed test blocks and missing captures: compile errors with a caret.
for f in bad/*.mos; do
	n=$(basename "$f" .mos)
	check "bad_$n" 1 "$mosc" test --color=never "$f"
done

# Usage errors exit 2.
check usage_none 2 "$mosc" test
check usage_option 2 "$mosc" test --frobnicate blocks/web.mos
check usage_jobs 2 "$mosc" test --jobs 0 blocks/web.mos

# Directory tests: in-order comparison, --update round trip (single file).
cp -r dirs/basic "$tmp/basic"
here=$(pwd)
check dir_pass 0 sh -c "cd '$tmp' && '$mosc' test --records '$here/dirs/basic.records.jsonl' basic"
sed 's/"n":2/"n":7/' dirs/basic.records.jsonl >"$tmp/changed.jsonl"
check dir_changed 1 "$mosc" test --records "$tmp/changed.jsonl" dirs/basic
rm "$tmp/basic/expected.jsonl"
(cd "$tmp" && "$mosc" test --records "$tmp/changed.jsonl" basic) >"$tmp/nobase" 2>&1 && { echo "FAIL dir: passed without a baseline"; fail=1; }
grep -q "no baseline: neither basic/expected.jsonl nor basic/expected/ exists (run with --update to write it)" "$tmp/nobase" \
	|| { echo "FAIL dir: no-baseline message"; cat "$tmp/nobase"; fail=1; }
"$mosc" test --update --records "$tmp/changed.jsonl" "$tmp/basic" >/dev/null || { echo "FAIL dir: --update"; fail=1; }
cmp -s "$tmp/changed.jsonl" "$tmp/basic/expected.jsonl" || { echo "FAIL dir: --update wrote something else"; fail=1; }
"$mosc" test --records "$tmp/changed.jsonl" "$tmp/basic" >/dev/null || { echo "FAIL dir: fails after --update"; fail=1; }
"$mosc" test --records dirs/basic.records.jsonl "$tmp/basic" >/dev/null && { echo "FAIL dir: old records pass the new baseline"; fail=1; }

# Per-record-name baselines (expected/NAME.jsonl, no "record" key): --update
# rewrites each name's file and removes files of names no longer produced.
cp -r dirs/split "$tmp/split"
check dir_split_pass 0 "$mosc" test --records dirs/split.records.jsonl dirs/split
grep -v summary dirs/split.records.jsonl | sed 's/"n":1}/"n":1,"x":true}/' >"$tmp/split.jsonl"
check dir_split_changed 1 "$mosc" test --records "$tmp/split.jsonl" dirs/split
echo '{"a":1}' >"$tmp/split/expected/stale.jsonl"
"$mosc" test --update --records "$tmp/split.jsonl" "$tmp/split" >/dev/null || { echo "FAIL split: --update"; fail=1; }
[ ! -e "$tmp/split/expected/stale.jsonl" ] && [ ! -e "$tmp/split/expected/summary.jsonl" ] \
	|| { echo "FAIL split: stale baselines kept"; ls "$tmp/split/expected"; fail=1; }
printf '%s\n' '{"client":"10.0.0.1","n":1,"x":true}' '{"client":"10.0.0.1","n":2}' '{"client":"10.0.0.3","n":1,"x":true}' \
	| cmp -s - "$tmp/split/expected/request.jsonl" || { echo "FAIL split: request.jsonl"; cat "$tmp/split/expected/request.jsonl"; fail=1; }
"$mosc" test --records "$tmp/split.jsonl" "$tmp/split" >/dev/null || { echo "FAIL split: fails after --update"; fail=1; }

# A directory walk finds directory tests.
check dir_walk 0 "$mosc" test --records dirs/basic.records.jsonl --filter basic dirs

# docs/testing.md shows the worked example verbatim.
doc=../../../docs/testing.md
awk '/^<!-- example: tests\/compiler\/testrun\/example\/http_requests.mos -->/{f=1; next} f && /^```mos/{g=1; next} g && /^```/{exit} g' "$doc" >"$tmp/docex"
if ! diff -u example/http_requests.mos "$tmp/docex"; then echo "FAIL docs: the example in docs/testing.md differs"; fail=1; fi

# End to end, when this mosc can build programs (mosc build, the back end).
if "$mosc" build -o "$tmp/probe" e2e/e2e.mos >"$tmp/probe.err" 2>&1; then
	check e2e 1 "$mosc" test --color=never --jobs 2 e2e/e2e.mos
	cp -r e2e_dir "$tmp/e2e_dir"
	check e2e_dir 0 sh -c "cd '$tmp' && '$mosc' test e2e_dir"
	rm "$tmp/e2e_dir/expected.jsonl"
	"$mosc" test --update "$tmp/e2e_dir" >/dev/null || { echo "FAIL e2e_dir: --update"; fail=1; }
	cmp -s e2e_dir/expected.jsonl "$tmp/e2e_dir/expected.jsonl" || { echo "FAIL e2e_dir: --update wrote another baseline"; fail=1; }
	# The failure shown in docs/testing.md (the worked example with a wrong value).
	mkdir "$tmp/doc" && cp example/*.pcap "$tmp/doc/"
	sed 's/expect summary\[1\] { client: 10.0.0.3, requests: 1 }/expect summary[1] { client: 10.0.0.3, requests: 2 }/' \
		example/http_requests.mos >"$tmp/doc/http_requests.mos"
	check docs_failure 1 sh -c "cd '$tmp/doc' && '$mosc' test http_requests.mos"
	sed -n '/^PASS two requests on one keep-alive connection (336 ms)$/,/^1 passed, 1 failed$/p' "$doc" \
		| sed -E 's/\([0-9]+ ms\)/(T ms)/' | diff -u pinned/docs_failure.out - \
		|| { echo "FAIL docs: the failure report in docs/testing.md differs from mosc test's"; fail=1; }
	# The --verbose lines docs/testing.md shows are mosc test's.
	"$mosc" test --verbose --filter captures example/http_requests.mos | sed -E 's/\([0-9]+ ms\)/(T ms)/' | tr '\n' '|' >"$tmp/verbose"
	awk '/^`--verbose` adds every record/{f=1; next} f && /^```text/{g=1; next} g && /^```/{exit} g' "$doc" \
		| sed -E 's/\([0-9]+ ms\)/(T ms)/' | tr '\n' '|' >"$tmp/docverbose"
	[ -s "$tmp/docverbose" ] && grep -qF -- "$(cat "$tmp/docverbose")" "$tmp/verbose" \
		|| { echo "FAIL docs: the --verbose output in docs/testing.md differs"; cat "$tmp/verbose"; echo; cat "$tmp/docverbose"; echo; fail=1; }
	# A program that does not finish is stopped by --timeout (a FIFO never opened for writing).
	mkdir "$tmp/hang" && mkfifo "$tmp/hang/hang.pcap"
	sed 's|"../blocks/web.pcap"|"hang.pcap"|' e2e/e2e.mos >"$tmp/hang/hang.mos"
	"$mosc" test --timeout 1 --filter counts "$tmp/hang/hang.mos" >"$tmp/hang.out" 2>&1 && { echo "FAIL timeout: passed"; fail=1; }
	grep -q "the program did not finish within 1 s (--timeout)" "$tmp/hang.out" || { echo "FAIL timeout"; cat "$tmp/hang.out"; fail=1; }
else
	echo "note: end-to-end checks skipped: mosc build cannot build e2e/e2e.mos yet:"
	cat "$tmp/probe.err"
fi

# docs/testing.md: the directory-test failure it shows is mosc test's.
sed 's/"n":2/"n":5/' dirs/split.records.jsonl >"$tmp/split5.jsonl"
check docs_dir_failure 1 "$mosc" test --records "$tmp/split5.jsonl" dirs/split
awk '/^<!-- pinned: tests\/compiler\/testrun\/pinned\/docs_dir_failure.out -->/{f=1; next} f && /^```text/{g=1; next} g && /^```/{exit} g' "$doc" \
	| sed -E 's/\([0-9]+ ms\)/(T ms)/' >"$tmp/docdir"
grep -v '^0 passed, 1 failed$' pinned/docs_dir_failure.out | diff -u - "$tmp/docdir" \
	|| { echo "FAIL docs: the directory-test failure in docs/testing.md differs"; fail=1; }
# docs/testing.md: its capture script writes exactly example/keepalive.pcap.
if /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	awk '/^```python/{g=1; next} g && /^```/{exit} g' "$doc" >"$tmp/doccap.py"
	(cd "$tmp" && PYTHONPATH="$here/../../../tools" /usr/bin/python3 doccap.py) \
		&& cmp example/keepalive.pcap "$tmp/keepalive.pcap" \
		|| { echo "FAIL docs: the capture script in docs/testing.md does not write example/keepalive.pcap"; fail=1; }
else
	echo "note: docs capture script not checked (no scapy for /usr/bin/python3)"
fi

[ $fail = 0 ] && echo "compiler.testrun.cli: all checks passed"
exit $fail
