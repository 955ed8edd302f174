#!/usr/bin/env bash
# long_run.sh HOURS [JOBS]
# Runs every fuzz harness (one per protocol, and fuzz_capture) for HOURS
# each (JOBS libFuzzer workers per harness, default 1), one harness after
# the other, keeping the grown corpus in build-test-fuzz/fuzz-corpus/<name>/
# between runs.  Findings land in build-test-fuzz/fuzz-artifacts/<name>/;
# once fixed, copy each reproducer into tests/fuzz/regress/<name>/ so every
# test run replays it.  ONLY=capture (a harness name) runs just that one.
# Each harness's libFuzzer logs stay in build-test-fuzz/fuzz-logs/<name>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
hours=${1:?usage: long_run.sh HOURS [JOBS]}
jobs=${2:-1}
CC=clang cmake -S . -B build-test-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCHARGESHARK_FUZZ=ON -DCHARGESHARK_PLUGIN=OFF >/dev/null
cmake --build build-test-fuzz -j"$(nproc)"
(cd build-test-fuzz && ctest -R '^fuzz.seeds' >/dev/null)
secs=$(awk "BEGIN {print int($hours * 3600)}")
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=abort_on_error=1
for bin in build-test-fuzz/tests/fuzz/fuzz_*; do
    p=${bin##*/fuzz_}
    [ -n "${ONLY:-}" ] && [ "$p" != "$ONLY" ] && continue
    corpus=build-test-fuzz/fuzz-corpus/$p
    art=build-test-fuzz/fuzz-artifacts/$p
    mkdir -p "$corpus" "$art"
    cp -n build-test-fuzz/fuzz-seeds/"$p"/* "$corpus"/ 2>/dev/null || true
    [ -d tests/fuzz/regress/"$p" ] && cp -n tests/fuzz/regress/"$p"/* "$corpus"/
    echo "== fuzz_$p for ${hours}h, $jobs job(s)"
    # libFuzzer's -jobs writes each job's log (fuzz-N.log) into the current
    # folder: run it in the harness's log folder, and print the stats from there
    logs=build-test-fuzz/fuzz-logs/$p
    rm -rf "$logs" && mkdir -p "$logs"
    (cd "$logs" && "$root/$bin" -max_total_time="$secs" -jobs="$jobs" -workers="$jobs" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$root/$art/" \
        -print_final_stats=1 "$root/$corpus" > main.log 2>&1) || true
    src=("$logs"/main.log)
    ls "$logs"/fuzz-*.log >/dev/null 2>&1 && src=("$logs"/fuzz-*.log)
    grep -hE "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|^Done|ERROR|SUMMARY" \
        "${src[@]}" || true
    ls "$art" | grep -q . && echo "fuzz_$p: FINDINGS in $art" || echo "fuzz_$p: clean"
done
