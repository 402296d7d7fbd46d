#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: the project's main job on the bundled capture — compile the
# httplog rule file (on the stdlib http module) into a middlebox binary and
# run it, printing its records; then the small demo.mos the same way.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
pcap="$top/examples/data/demo.pcap"
mosc="$build/compiler/mosc"

echo "== mosc build examples/httplog/httplog.mos -o $build/httplog-demo"
"$mosc" build "$top/examples/httplog/httplog.mos" -o "$build/httplog-demo"
echo
echo "== $build/httplog-demo -r examples/data/demo.pcap   (Zeek http.log-like records, JSON Lines)"
"$build/httplog-demo" -r "$pcap"
echo
echo "== mosc build examples/demo.mos -o $build/demo && $build/demo -r examples/data/demo.pcap"
"$mosc" build "$top/examples/demo.mos" -o "$build/demo"
"$build/demo" -r "$pcap"
echo
echo "== pktstats: what the decoder saw in the same capture"
"$build/examples/c/pktstats" -q -r "$pcap"
