#!/usr/bin/env bash
# run_fuzzer.sh BINARY NAME SEEDS REGRESS ARTIFACTS
# Runs one libFuzzer harness for CS_FUZZ_SECONDS (default 30) on a working
# copy of the seed and regression corpora.  A crash, leak, timeout or
# UBSan report fails, leaving the reproducer in ARTIFACTS/NAME/: add it to
# tests/fuzz/regress/NAME/ once fixed, so every test run replays it.
set -uo pipefail
bin=$1 name=$2 seeds=$3 regress=$4 artifacts=$5
secs=${CS_FUZZ_SECONDS:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/chargeshark-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$artifacts/$name"
cp "$seeds"/* "$work/corpus/" 2>/dev/null || true
[ -d "$regress" ] && cp "$regress"/* "$work/corpus/" 2>/dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$name/" "$work/corpus" > "$work/log" 2>&1
status=$?
grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^Done|cov:.*corp" "$work/log" | tail -3
if [ $status != 0 ]; then
    tail -60 "$work/log"
    echo "fuzz_$name FAILED (exit $status); reproducer(s):" >&2
    ls -l "$artifacts/$name" >&2
    exit 1
fi
echo "fuzz_$name: ${secs}s clean"
