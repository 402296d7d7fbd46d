#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: the project's main job on the bundled capture — compile a
# .mos rule file into a middlebox binary and run it, printing its records.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
pcap="$top/examples/data/demo.pcap"

echo "== mosc build examples/demo.mos -o $build/demo"
"$build/compiler/mosc" build "$top/examples/demo.mos" -o "$build/demo"
echo
echo "== $build/demo -r examples/data/demo.pcap   (records as JSON Lines)"
"$build/demo" -r "$pcap"
echo
echo "== pktstats: what the decoder saw in the same capture"
"$build/examples/c/pktstats" -q -r "$pcap"
