#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# CTest wrapper: `mosc test TARGET`; exit 77 (skipped) when this mosc has
# no `mosc build` yet, so such runs are never counted as passes.
# usage: ruletest.sh MOSC FILE.mos|DIR
mosc=$1
target=$2
out=$("$mosc" test --color=never "$target" 2>&1)
rc=$?
printf '%s\n' "$out"
if printf '%s\n' "$out" | grep -q "'mosc build' is not available in this mosc yet"; then
	echo "SKIPPED: mosc build is not available yet"
	exit 77
fi
exit $rc
