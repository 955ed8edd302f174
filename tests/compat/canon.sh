#!/usr/bin/env bash
# cs_canon (tests/lib.sh) gives every rendering that differs between
# Wireshark 4.0, 4.4 and 4.6 one form, so golden files hold on all three,
# and keeps different values different.  Then a golden file of tree text
# with relative times, written on 4.0, checked on whatever tshark runs
# (tests/compat/run runs this on 4.4 and 4.6).
. "$(dirname "$0")/../lib.sh"

canon() { printf '%s\n' "$1" | cs_canon; }

# the renderings of one value on different versions become one text
same() { # same WHAT RENDERING... : all canonicalise to the first one's form
    local want got r
    want=$(canon "$2")
    for r in "${@:3}"; do
        got=$(canon "$r")
        check_eq "$1: '$r' is '$2'" "$want" "$got"
    done
}
same "response time" "    [Response time: 0.048400000 seconds]" "    [Response time: 48.400000 milliseconds]"
same "whole seconds" "    [Gap: 30.000000000 seconds]" "    [Gap: 30 seconds]"
same "one second" "    [Gap: 1.000000000 seconds]" "    [Gap: 1 second]"
same "minutes" "    [Gap: 76.777800000 seconds]" "    [Gap: 1 minute, 16.777800000 seconds]"
same "days to minutes" "    [Gap: 90061.500000000 seconds]" "    [Gap: 1 day, 1 hour, 1 minute, 1.500000000 seconds]"
same "whole hours" "    [Gap: 7200.000000000 seconds]" "    [Gap: 2 hours]"
same "nanoseconds" "    [Gap: 0.000000001 seconds]" "    [Gap: 1 nanosecond]"
same "microseconds" "    [Gap: 0.000001000 seconds]" "    [Gap: 1.000 microseconds]"
same "just under a second" "    [Gap: 0.999999999 seconds]" "    [Gap: 999.999999 milliseconds]"
same "negative" "    [Gap: -0.500000000 seconds]" "    [Gap: -500.000000 milliseconds]"
hex36=010000000100000002000000020000000300000003000000040000000400000005000000
same "bytes: 4.0 stops after 36" "    Bytes: $hex36… (20 x u32)" \
    "    Bytes: ${hex36}0500000006000000 (20 x u32)" "    Bytes: ${hex36}05000000060000… (20 x u32)"
same "frame line" "Frame 5: 78 bytes on wire (624 bits)" "Frame 5: Packet, 78 bytes on wire (624 bits)"

# what stays as it is
for line in "    [Response time: 0.048400000 seconds]" "    Bytes: $hex36 (18 x u32)" \
            "    Bytes: 0102" "    Heartbeat: every 30 seconds, as announced" \
            "    [Expected heartbeat interval: 30 s]" "Frame 5: 78 bytes on wire (624 bits)"; do
    check_eq "unchanged: $line" "$line" "$(canon "$line")"
done

# different values stay different
differ() { # differ WHAT A B
    CS_CHECKS=$((CS_CHECKS + 1))
    [ "$(canon "$2")" != "$(canon "$3")" ] || fail "$1: '$2' and '$3' became the same"
}
differ "milliseconds" "    [Gap: 48.400000 milliseconds]" "    [Gap: 48.500000 milliseconds]"
differ "seconds against milliseconds" "    [Gap: 0.048400000 seconds]" "    [Gap: 48.400001 milliseconds]"
differ "minutes" "    [Gap: 1 minute, 16.777800000 seconds]" "    [Gap: 2 minutes, 16.777800000 seconds]"
differ "units" "    [Gap: 30 seconds]" "    [Gap: 30 milliseconds]"
differ "sign" "    [Gap: 500.000000 milliseconds]" "    [Gap: -500.000000 milliseconds]"
differ "bytes within the first 36" "    Bytes: ${hex36}05" "    Bytes: ${hex36/01/02}05"

# real tshark output: a response time and two heartbeat gaps (one over a
# minute), with the frame lines, as this Wireshark renders them
cs_plugin_setup
S=$(cs_input "$CS_SRC/samples/woshi-session.pcap")
F=$(cs_input "$CS_SRC/samples/woshi-faults.pcap")
only_woshi() { awk '/^Frame / {print; next} /^Woshi/ {p = 1; print; next} /^[^ ]/ {p = 0} p'; }
tree=$( { cs_tshark -r "$S" -2 -Y 'frame.number == 7' -O woshi
          cs_tshark -r "$F" -2 -Y 'frame.number == 12 || frame.number == 26' -O woshi; } | only_woshi)
check_golden compat-woshi.tree.txt "$tree"
check_done
