#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# CTest wrapper: `mosc test TARGET` with the repository's stdlib on the
# module path, so test blocks may `import` stdlib modules and expect their
# events (`expect event http.request count == 2`).
# usage: ruletest.sh MOSC FILE.mos|DIR
exec "$1" test --color=never "$2"
