#!/usr/bin/env bash
# The second README command: every test, on a plain build and on an
# ASan+UBSan build, then the bounded fuzzing on a clang build, all with
# ctest; and a Debug build (-O0), compiled only: GCC's warnings, errors
# here, differ by optimization level.  CS_FUZZ_SECONDS (default 30) is the
# budget of each fuzz harness; 0 skips fuzzing.  Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
cs_deps

jobs=$(nproc)
status=0
for variant in plain asan; do
    dir=build-test-$variant
    flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
    [ $variant = asan ] && flags+=(-DCHARGESHARK_SANITIZE=ON)
    echo "== $variant build ($dir)"
    cmake -S . -B "$dir" "${flags[@]}" >/dev/null
    cmake --build "$dir" -j"$jobs"
    echo "== $variant tests"
    (cd "$dir" && ctest --output-on-failure -j"$jobs" "$@") || status=1
done
echo "== debug build (build-test-debug, -O0, compiled only)"
cmake -S . -B build-test-debug -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-test-debug -j"$jobs" || status=1
if [ "${CS_FUZZ_SECONDS:-30}" != 0 ]; then
    echo "== fuzz build (build-test-fuzz, clang + libFuzzer, ${CS_FUZZ_SECONDS:-30}s per harness)"
    CC=clang cmake -S . -B build-test-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCHARGESHARK_FUZZ=ON -DCHARGESHARK_PLUGIN=OFF >/dev/null
    cmake --build build-test-fuzz -j"$jobs"
    (cd build-test-fuzz && ctest --output-on-failure -j"$jobs" -L fuzz "$@") || status=1
fi
[ $status = 0 ] && echo "chargeshark: all tests passed (plain, ASan+UBSan, fuzzing; the Debug build compiles)"
exit $status
