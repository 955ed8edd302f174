#!/usr/bin/env bash
# scripts/pgo-build.sh DIR [cmake arguments]: everything built in DIR with
# link-time optimization, chargecap and the protocol library optimized by
# profile (CHARGESHARK_PGO in CMakeLists.txt): an instrumented chargecap is
# built first and run over
# samples/ (reports, JSON records, messages, -j 2), then everything is built
# with the profile it left.  The training input is the committed samples,
# the same on every machine; the profile stays in DIR/pgo.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
cmake -S . -B "$dir" -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON "$@" -DCHARGESHARK_PGO=GENERATE >/dev/null
cmake --build "$dir" -j"$(nproc)" --target chargecap >/dev/null
rm -rf "$dir/pgo"
train() { # chargecap exits 1 when it reports violations (the samples have some)
    local status=0
    "$dir/analyzer/chargecap" "$@" > /dev/null 2>&1 || status=$?
    [ "$status" -le 1 ] || { echo "pgo-build: chargecap $* failed ($status)" >&2; exit 1; }
}
for f in samples/*.pcap; do
    train -q --json - "$f"
    train -q --json - --messages "$f"
done
train samples/*.pcap
train --messages samples/*.pcap
train -q -j 2 --shard-min 0 --json - samples/*.pcap
cmake -S . -B "$dir" -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON "$@" -DCHARGESHARK_PGO=USE >/dev/null
cmake --build "$dir" -j"$(nproc)"
