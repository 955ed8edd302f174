#!/usr/bin/env bash
# tshark_fuzz.sh [--captures N] [--first K] [--keep DIR]
#
# What Wireshark's fuzz-test.sh does, for chargeshark: every sample capture
# is corrupted with `editcap -E` at several error rates and seeds, and each
# corrupted capture is read
#   - by tshark with the plugin, one pass and two passes, with -nVx, under
#     WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 (in an ASan build the plugin is
#     instrumented and tshark runs with the ASan runtime preloaded);
#   - by chargecap, which must exit with a documented status (0, 1 or 3),
#     within a time limit, with no sanitizer report.
# A failure keeps the corrupted capture in DIR (default: the build tree's
# fuzz-artifacts/tshark/) and prints how to reproduce it.  Deterministic:
# capture K is sample (K mod samples), rate (K / samples mod rates), seed K.
#
# Needs CS_BUILD and CS_SRC (see tests/lib.sh); meant for the ASan build.
. "$(dirname "$0")/../lib.sh"
captures=40
first=0
keep="$CS_BUILD/fuzz-artifacts/tshark"
while [ $# -gt 0 ]; do
    case "$1" in
    --captures) captures=$2; shift 2 ;;
    --first) first=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "usage: $0 [--captures N] [--first K] [--keep DIR]" >&2; exit 2 ;;
    esac
done
cs_plugin_setup
export -f cs_tshark
export CS_TMP CS_SANITIZE
mkdir -p "$keep"
samples=("$CS_SRC"/samples/*.pcap)
rates=(0.002 0.01 0.03 0.1)
sanitizer='AddressSanitizer|LeakSanitizer|runtime error|Dissector bug|DISSECTOR_BUG|Assertion|assertion'
cc_env=(env "ASAN_OPTIONS=abort_on_error=1:detect_leaks=1" "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
bad=0
keep_it() { # FILE WHY
    cp "$1" "$keep/" && echo "FAIL: $2 (kept as $keep/$(basename "$1"))" >&2
    bad=$((bad + 1))
}
for ((k = first; k < first + captures; k++)); do
    s=${samples[$((k % ${#samples[@]}))]}
    rate=${rates[$(((k / ${#samples[@]}) % ${#rates[@]}))]}
    f="$CS_TMP/fuzz-$k-$(basename "$s" .pcap)-E$rate.pcap"
    editcap --seed "$k" -E "$rate" "$s" "$f" >/dev/null 2>&1
    chmod a+r "$f"
    for pass in 1 2; do
        args=(-nVxr "$f")
        [ $pass = 2 ] && args=(-2 "${args[@]}")
        rc=0
        timeout 120 bash -c 'cs_tshark "$@"' _ "${args[@]}" >/dev/null 2>"$CS_TMP/err" || rc=$?
        if [ $rc -ge 124 ] || grep -qE "$sanitizer" "$CS_TMP/err"; then
            keep_it "$f" "tshark pass $pass on capture $k exited $rc: $(grep -m3 -E "$sanitizer|ERROR" "$CS_TMP/err" | tr '\n' ' ')"
            continue 2
        fi
    done
    rc=0
    timeout 60 "${cc_env[@]}" "$CHARGECAP" "$f" >/dev/null 2>"$CS_TMP/err" || rc=$?
    case $rc in
    0 | 1 | 3) grep -qE "$sanitizer" "$CS_TMP/err" && keep_it "$f" "chargecap on capture $k: sanitizer report" ;;
    *) keep_it "$f" "chargecap on capture $k exited $rc: $(head -3 "$CS_TMP/err" | tr '\n' ' ')" ;;
    esac
done
echo "$captures corrupted captures (from $first), $bad failed"
[ $bad = 0 ]
