#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installed use: install.sh BUILD_DIR SOURCE_DIR CAPTURE
#   `cmake --install BUILD_DIR --prefix TMP` must install libmos.a, the
#   runtime headers, mosc, the stdlib and libmos.pc; TMP/bin/mosc, run
#   outside both trees, must build a program with an extern C companion
#   through `pkg-config libmos` (no build- or source-tree path on its cc
#   command line) and the program must run.
set -u
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) cap=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
for f in lib/libmos.a include/mos/program.h include/mos/mos.h bin/mosc lib/pkgconfig/libmos.pc share/mos/stdlib; do
	[ -e "$tmp/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
mkdir "$tmp/work" && cp "$cap" "$tmp/work/in.pcap" && cd "$tmp/work" || exit 1
cat >count.mos <<'MOS'
extern "count.c" { u64 twice(u64) }
monitor m {
    midstream on
    on conn_end when flow.proto == 6 { emit c { server: flow.server, sport: flow.server.port, two: twice(flow.client.pkts) } }
}
MOS
cat >count.c <<'C'
#include "mos/program.h"
uint64_t twice(struct mos_ctx *ctx, uint64_t v);
uint64_t twice(struct mos_ctx *ctx, uint64_t v) { (void)ctx; return 2 * v; }
C
env -u MOS_PATH -u PKG_CONFIG_PATH "$tmp/prefix/bin/mosc" build -v count.mos -o count 2>cc.txt || { cat cc.txt; exit 1; }
if grep -e "$build" -e "$src" cc.txt; then echo "build- or source-tree path used by the installed mosc"; exit 1; fi
grep -q -- "-lmos" cc.txt || { echo "libmos not linked through pkg-config:"; cat cc.txt; exit 1; }
./count -q -r in.pcap >out.txt || exit 1
cat out.txt
grep -q '"record":"c","server":"10.0.0.2","sport":80,"two":12}' out.txt
