#!/usr/bin/env bash
# Bounded memory: sessions beyond --max-sessions evict the least recently
# active one, sessions idle longer than --idle-timeout are ended; either is
# reported, its messages are kept, and its unanswered requests are still
# reported (on the request's frame).
. "$(dirname "$0")/common.sh"

M=$(gen many-sessions)
J0=$(records "$M")
total=$(jq -r 'select(.kind == "summary") | .messages.total' "$J0")
check_eq "300 cabinets, 2800 messages" "300 2800" \
    "$(jq -r 'select(.kind == "summary") | "\(.sessions.total) \(.messages.total)"' "$J0")"

J=$(records "$M" --max-sessions 50)
check_eq "--max-sessions 50: exit status" 0 "$(rc_of "$J")"
evicted=$(jq -s '[.[] | select(.kind == "session" and .ended == "evicted")] | length' "$J")
check_eq "--max-sessions 50: sessions were evicted" 1 "$([ "$evicted" -gt 100 ] && echo 1)"
check_eq "--max-sessions 50: each eviction of an identified session reported" \
    "$(jq -s '[.[] | select(.kind == "session" and .ended == "evicted" and .proto != null)] | length' "$J")" \
    "$(jq -s '[.[] | select(.code == "session.evicted")] | length' "$J")"
check_eq "--max-sessions 50: every message kept" "$total" \
    "$(jq -r 'select(.kind == "summary") | .messages.total' "$J")"
check_eq "--max-sessions 50: never more than 50 at once" "" \
    "$(jq -r 'select(.kind == "session") | "\(.first_frame) 1\n\(.last_frame) -1"' "$J" | sort -n -s -k1,1 |
        awk '{n += $2; if (n > 50) {print "more than 50 at frame " $1; exit}}')"

# a round of heartbeats takes about 45 s; every third cabinet falls silent
# after the first round, for about three minutes
J=$(records "$M" --idle-timeout 90)
check_eq "--idle-timeout 90: the 100 silent cabinets ended" 100 \
    "$(jq -s '[.[] | select(.kind == "session" and .ended == "idle_timeout")] | length' "$J")"
check_eq "--idle-timeout 90: each reported" 100 \
    "$(jq -s '[.[] | select(.code == "session.idle_timeout")] | length' "$J")"
check_eq "--idle-timeout 90: the right ones (every third)" "" \
    "$(jq -r 'select(.kind == "session" and .ended == "idle_timeout") | .device' "$J" |
        awk '{n = substr($1, 5) + 0; if (n % 3) print "cabinet " n " was not silent"}')"

# an evicted or timed-out session still reports its unanswered request
F="$CS_SRC/samples/woshi-faults.pcap"
for opt in "--max-sessions 1" "--idle-timeout 1"; do
    # shellcheck disable=SC2086
    J=$(records "$F" $opt)
    check_eq "$opt: the unanswered request of frame 30 is reported" 1 \
        "$(jq -s '[.[] | select(.code == "woshi.request.unanswered" and .frame == 30)] | length' "$J")"
    check_eq "$opt: and its session ended early" 1 \
        "$(jq -s '[.[] | select(.kind == "session" and (.ended == "evicted" or .ended == "idle_timeout"))] | length > 0 | if . then 1 else 0 end' "$J")"
done
check_done
