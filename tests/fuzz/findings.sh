#!/usr/bin/env bash
# What fuzz_capture found in chargecap, checked where the command line
# shows it (docs/fuzzing.md, Record).  The reproducers in
# tests/fuzz/regress/capture/ are also replayed through the harness by
# fuzz.replay.capture, with its invariants and (in the ASan build) the
# sanitizers.
. "$(dirname "$0")/../analyzer/common.sh"

R="$CS_SRC/tests/fuzz/regress/capture"
summary() { jq -r "select(.kind == \"summary\") | $2" "$1"; }

# A PDU the decoder calls garbage (a Ruioo line end in a segment of its
# own) is counted as garbage in the session, as its message record says.
J=$(records "$CS_SRC/samples/ruioo-faults.pcap")
check_eq "ruioo line end: session 2 has 10 messages and 1 garbage run, as its records" \
    "10 1 10 1" \
    "$(jq -rs '(map(select(.kind == "message" and .session == 2)) |
                "\(map(select(.garbage | not)) | length) \(map(select(.garbage)) | length)") as $r |
               (.[] | select(.kind == "session" and .session == 2) |
                "\(.messages) \(.garbage_runs) \($r)")' "$J")"
check_eq "every sample: the sessions' messages add up to the summary's" "" \
    "$(for f in "$CS_SRC"/samples/*.pcap; do
           J=$(records "$f")
           jq -rs --arg f "${f##*/}" '([.[] | select(.kind == "session") | .messages] | add // 0) as $s |
               (.[] | select(.kind == "summary") | .messages.total) as $t |
               if $s != $t then "\($f): \($s) vs \($t)" else empty end' "$J"
       done)"

# -j 2 split by flow: the file's counters come from the shard that counts
# them, also when no frame was TCP or UDP (the skipped frames were lost)
F="$R/jobs-skipped-count-4cea1761.pcap"
J1=$(records "$F")
J2=$(records "$F" -j 2 --shard-min 0)
check_eq "-j 2: the skipped frames of a file without TCP or UDP" \
    '{"link_type":0,"not_ip":0,"not_tcp_udp":0,"malformed":1,"ipv6_fragment":0}' \
    "$(summary "$J2" '.skipped_frames | tostring')"
check_eq "-j 2: the same records as -j 1" "$(cat "$J1")" "$(cat "$J2")"

# pcapng times beyond 1970-2106 (a time offset or resolution that overflows)
F="$R/pcapng-time-overflow-403be579.pcapng"
J=$(records "$F")
check_eq "pcapng time out of range: exit status (the file is damaged later)" 3 "$(rc_of "$J")"
check_eq "pcapng time out of range: a warning" \
    "packet 34 has a time before 1970 or after 2106 (read as the nearest of the two)" \
    "$(summary "$J" .warning)"
check_eq "pcapng time out of range: the times are within the range" "" \
    "$(jq -r 'select(.ts != null and (.ts < "1970" or .ts > "2107")) | .ts' "$J")"

# a TCP segment exactly 2^31 bytes behind the stream (its distance did not
# fit a signed 32-bit number: UBSan); read as an old copy, as any segment
# behind the stream
F="$R/tcp-seq-half-space-behind-f28b9a25.pcapng"
J=$(records "$F")
check_eq "a segment 2^31 behind: exit status (the file is damaged later)" 3 "$(rc_of "$J")"
check_eq "a segment 2^31 behind: read up to the damage" \
    "16 a pcapng block after packet 16 has inconsistent lengths" \
    "$(summary "$J" '"\(.frames) \(.damaged)"')"

check_done
