#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: run the project's main job on the bundled capture and print
# what it produces.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
pcap="$top/examples/data/demo.pcap"

echo "== pktstats: decode every frame of $(basename "$pcap") and count protocols"
"$build/examples/c/pktstats" -r "$pcap"
