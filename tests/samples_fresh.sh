#!/usr/bin/env bash
# The committed samples are exactly what chargegen writes: the generator is
# deterministic, and nobody edited a sample by hand.
. "$(dirname "$0")/lib.sh"
"$CHARGEGEN" all "$CS_TMP"
for f in "$CS_TMP"/*.pcap; do
    CS_CHECKS=$((CS_CHECKS + 1))
    cmp -s "$f" "$CS_SRC/samples/$(basename "$f")" ||
        fail "samples/$(basename "$f") differs from chargegen's output (cmake --build build -t samples)"
done
check_eq "every committed sample is generated" \
    "$(cd "$CS_SRC/samples" && ls *.pcap)" "$(cd "$CS_TMP" && ls *.pcap)"
check_done
