#!/usr/bin/env bash
# The second README command: every test, on a plain build and on an
# ASan+UBSan build, with ctest.  Extra arguments go to ctest.
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
[ $status = 0 ] && echo "chargeshark: all tests passed (plain and ASan+UBSan)"
exit $status
