#!/usr/bin/env bash
# The first README command: install what is missing, build, install the
# plugin for the invoking user, and run chargecap over samples/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
cs_deps

# release, with debug information, chargecap optimized by profile
# (scripts/pgo-build.sh trains it on samples/ first)
scripts/pgo-build.sh build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g \
    ${CHARGESHARK_SYSTEM_INSTALL:+-DCHARGESHARK_SYSTEM_INSTALL=ON}
cmake --install build

abi=$(basename "$(dirname "$(dirname "$(ls build/plugins/*/epan/chargeshark.so)")")")
if [ -n "${CHARGESHARK_SYSTEM_INSTALL:-}" ]; then
    echo "chargeshark: the plugin is installed in Wireshark's system plugin folder"
else
    echo "chargeshark: the plugin is installed in $HOME/.local/lib/wireshark/plugins/$abi/epan"
    if [ "$(id -u)" = 0 ]; then
        echo "chargeshark: note: Wireshark run as root ignores personal plugins; run it as" \
             "your own user, or install system-wide: CHARGESHARK_SYSTEM_INSTALL=1 $0" >&2
    fi
fi
echo "chargeshark: chargecap is $(command -v chargecap || echo "$HOME/.local/bin/chargecap")"
echo
# Violations in the samples are expected (one of them is a faults
# capture): only a usage error or damaged input fails the set-up.
status=0
build/analyzer/chargecap samples/*.pcap || status=$?
[ "$status" -le 1 ] || { echo "chargeshark: chargecap failed ($status)" >&2; exit "$status"; }
