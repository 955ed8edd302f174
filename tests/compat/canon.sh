#!/usr/bin/env bash
# cs_canon (tests/lib.sh) turns every rendering that differs between
# Wireshark 4.0, 4.4 and 4.6 into 4.0's, leaves 4.0's as they are, and keeps
# different values different.  Then real output of the running tshark
# through cs_tshark: tree text with relative times against a golden file
# written on 4.0, and -T fields / -T json with an absolute time and a
# backslash (tests/compat/run runs this on 4.4 and 4.6).
. "$(dirname "$0")/../lib.sh"

# canon TEXT [MODE [UNESCAPE]]
canon() { printf '%s\n' "$1" | CS_CANON_MODE=${2:-text} CS_CANON_UNESCAPE=${3:-0} cs_canon; }

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

# -T fields and -T json
iso() { # iso WHAT 4.0-RENDERING 4.6-RENDERING
    check_eq "$1 (fields)" "$2" "$(canon "$3" fields)"
    check_eq "$1 (json)" "\"$2\"," "$(canon "\"$3\"," json)"
    check_eq "$1: 4.0's as it is" "$2" "$(canon "$2" fields)"
}
iso "UTC time" "Oct 30, 2024 13:52:30.000000000 UTC" "2024-10-30T13:52:30.000000000Z"
iso "day below 10" "Oct  5, 2024 03:46:40.000000000 UTC" "2024-10-05T03:46:40.000000000Z"
iso "local time in UTC" "Jan  1, 1970 00:00:00.000000000 UTC" "1970-01-01T00:00:00.000000000+0000"
check_eq "two times in a line" "Dec 31, 2023 23:59:59.500000000 UTC	Feb 29, 2024 00:00:00.000000001 UTC" \
    "$(canon "2023-12-31T23:59:59.500000000Z	2024-02-29T00:00:00.000000001Z" fields)"
check_eq "ISO time in tree text is not touched" "Date: 2024-10-30T13:52:30Z" "$(canon "Date: 2024-10-30T13:52:30Z")"
check_eq "backslash, 4.4 and 4.6" 'Work status "\xb9\xa4"	x\\y' "$(canon 'Work status "\\xb9\\xa4"	x\\\\y' fields 1)"
check_eq "backslash, 4.0" 'Work status "\xb9\xa4"' "$(canon 'Work status "\xb9\xa4"' fields 0)"
check_eq "tab and newline escapes stay" 'a\tb\nc' "$(canon 'a\tb\nc' fields 1)"
check_eq "backslashes in JSON stay" '"a\\b"' "$(canon '"a\\b"' json 1)"

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
CS_CHECKS=$((CS_CHECKS + 1))
[ "$(canon '2024-10-30T13:52:30.000000000Z' fields)" != "$(canon '2024-10-30T13:52:30.000000001Z' fields)" ] ||
    fail "absolute times a nanosecond apart became the same"

# real tshark output: a response time and two heartbeat gaps (one over a
# minute), with the frame lines, as this Wireshark renders them
cs_plugin_setup
S=$(cs_input "$CS_SRC/samples/woshi-session.pcap")
F=$(cs_input "$CS_SRC/samples/woshi-faults.pcap")
only_woshi() { awk '/^Frame / {print; next} /^Woshi/ {p = 1; print; next} /^[^ ]/ {p = 0} p'; }
tree=$( { cs_tshark -r "$S" -2 -Y 'frame.number == 7' -O woshi
          cs_tshark -r "$F" -2 -Y 'frame.number == 12 || frame.number == 26' -O woshi; } | only_woshi)
check_golden compat-woshi.tree.txt "$tree"
# the probe capture of tests/lib.sh: one frame at the epoch, comment x\y
cs_tshark_escapes_probe
P=$CS_TMP/probe.pcapng
check_eq "fields: a time and a backslash" 'Jan  1, 1970 00:00:00.000000000 UTC	x\y' \
    "$(cs_tshark -r "$P" -T fields -e frame.time -e frame.comment)"
check_eq "json: a time" '"Jan  1, 1970 00:00:00.000000000 UTC"' \
    "$(cs_tshark -r "$P" -Tjson -e frame.time | jq '.[0]._source.layers["frame.time"][0]')"
check_done
