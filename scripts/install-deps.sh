#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install the Debian packages mos needs to build, test and run, and nothing
# else. Idempotent: packages already present are left alone, and when
# everything is there it only says so. Runs apt-get as root, or through sudo.
#
#   install-deps.sh           what `make demo` and `make test` need
#   install-deps.sh --bench   also the peers `make bench` compares against
set -euo pipefail

# package            why
PACKAGES=(
  gcc                # the C compiler
  g++                # GoogleTest unit tests (C++ shim over the C headers)
  make
  cmake              # build system
  pkg-config         # finds libdpdk and libpcap
  flex               # .mos scanner
  bison              # .mos parser
  libdpdk-dev        # DPDK: mbufs, EAL, ethdev ports
  libpcap-dev        # offline captures, pcap-filter scopes
  libgtest-dev       # GoogleTest
  python3            # tooling only (test pcap generator)
  python3-scapy      # tooling only: writes test captures
  clang              # fuzz targets (libFuzzer)
  libclang-rt-14-dev # libFuzzer and sanitizer runtimes for clang
  tshark             # tests: the decoder is checked against tshark on mutated frames
  iproute2           # tests: network namespaces for the inline end-to-end test
  ethtool            # tests: checksum offload off on the test veths
  iperf3             # tests: bounded TCP transfer through the inline box (tests/netns)
  tcpdump            # tests: capture of the mirrored traffic the passive box is checked against
  libndpi-dev        # examples/ndpi: protocol detection through extern C
  libndpi-bin        # tests: ndpiReader, the reference examples/ndpi is compared with
  libhyperscan-dev   # examples/ids: streaming content signatures
  prads              # tests: the reference examples/prads is compared with
)
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(
    libnids-dev      # peer: libnids tracking + reassembly harness (bench/peers)
    libndpi-bin      # peer: ndpiReader
    prads            # peer: passive asset detection
    tcpflow          # peer: flow tracking
    python3-matplotlib # plots of the results
  )
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} required packages are installed"
  exit 0
fi

echo "install-deps: installing missing Debian packages: ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "install-deps: error: not root and sudo is not available; install as root:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
