#!/usr/bin/env bash
# bench/'s small tools that bench/run relies on: the bare read loop counts
# what chargecap counts, and the memory-latency probe prints one positive
# time per size and refuses what is not a size.
. "$(dirname "$0")/lib.sh"
BB="$CS_BUILD/bench"
s="$CS_SRC/samples/woshi-session.pcap"
read -r pk by < <("$BB/readloop" "$s")
check_eq "readloop counts the sample's packets" "$pk" \
    "$("$CHARGECAP" -q --json - "$s" | jq -r 'select(.kind == "summary") | .frames')"
check_eq "readloop sums the captured bytes" "$by" \
    "$(( $(stat -c %s "$s") - 24 - 16 * pk ))"
out=$("$BB/memlat" 64 512)
check_eq "memlat: one line per size" "$(printf '%s\n' "$out" | awk '{ print $1 }' | tr '\n' ' ')" "64 512 "
check_eq "memlat: times are positive" "$(printf '%s\n' "$out" | awk '$2 > 0' | wc -l)" 2
for bad in 0 12x -3 99999999; do
    rc=0
    err=$("$BB/memlat" "$bad" 2>&1 >/dev/null) || rc=$?
    check_eq "memlat $bad: exit 2" "$rc" 2
    check_eq "memlat $bad: says why" "$err" "memlat: not a size in KiB (1 to 4194304): $bad"
done
check_done
