#!/usr/bin/env bash
# Hostile floods (issue 9, section 4): a million SYNs, and a million tiny
# sessions (handshake, a request, half of them answered and closed), each
# a new connection, generated on the fly by tests/fuzz/flood.c and piped
# into chargecap reading standard input (no file on disk).
#
# Asserted: chargecap's peak memory is the same for a million as for a
# tenth as many (within 5 %), and under a fixed cap; it is held by the
# session table's bound (--max-sessions), not by the packets: with
# --max-sessions 1000 it is a few MB.  Every packet is accounted for (in
# the summary and in the session records), every session is reported, and
# the sessions the table could not hold are ended as evicted (the
# session.evicted warning for identified sessions).
#
# The ASan build runs small floods for the counts only (the sanitizer's
# quarantine makes memory meaningless there).  Label flood: ctest -LE flood
# leaves it out.
. "$(dirname "$0")/../analyzer/common.sh"

FLOOD="$CS_BUILD/tests/fuzz/flood"
S="$CS_SRC/samples/woshi-session.pcap"

# flood NAME "GENERATOR ARGS" [CHARGECAP OPTIONS...]
# Leaves in $CS_TMP: NAME.sum, the summary record; NAME.acc, what the
# session records say ("records R packets P ended evicted E closed C
# capture_end K"); NAME.rss, chargecap's peak memory in KiB and its exit
# status ("rss N", "status N").
flood() {
    local name=$1 gen=$2
    shift 2
    # shellcheck disable=SC2086
    "$FLOOD" $gen | "$FLOOD" rss "$CHARGECAP" -q --json - "$@" - 2> "$CS_TMP/$name.rss" |
        awk -v sum="$CS_TMP/$name.sum" -v acc="$CS_TMP/$name.acc" '
            function num(key,   s) {
                if (!match($0, "\"" key "\":[{]\"packets\":[0-9]+")) return 0
                s = substr($0, RSTART, RLENGTH)
                sub(/.*:/, "", s)
                return s + 0
            }
            /^[{]"v":1,"kind":"session"/ {
                n++
                p += num("from_client") + num("from_server")
                if (match($0, /"ended":"[a-z_]+"/)) e[substr($0, RSTART + 9, RLENGTH - 10)]++
            }
            /^[{]"v":1,"kind":"summary"/ { print > sum }
            END {
                printf "records %d packets %d ended evicted %d closed %d capture_end %d\n",
                    n, p, e["evicted"], e["closed"], e["capture_end"] > acc
            }'
    check_eq "$name: exit status 0" 0 "$(awk '$1 == "status" {print $2}' "$CS_TMP/$name.rss")"
}
rss() { awk '$1 == "rss" {print $2}' "$CS_TMP/$1.rss"; }
sum() { jq -r "$2" "$CS_TMP/$1.sum"; }
acc() { cat "$CS_TMP/$1.acc"; }

# counts NAME FRAMES SESSIONS: every frame read and analysed (none
# skipped), every session reported, every packet in a session record
counts() {
    check_eq "$1: frames, sessions, session records, packets in them" \
        "$2 0 0 0 0 0 0 $3 records $3 packets $2" \
        "$(sum "$1" '"\(.frames) \(.skipped_frames | add) \(.ip_fragments_dropped) \(.damaged // 0) \(.checksums.bad) \(.violations.by_code | del(.["woshi.request.unanswered"], .["session.evicted"]) | length) \(.link_types | del(.["1"]) | length) \(.sessions.total)"') $(acc "$1" | cut -d' ' -f1-4)"
}

# cap NAME KIB: the peak memory is under KIB
cap() {
    echo "peak memory: $1 $(rss "$1") KiB (cap $2 KiB)"
    check_eq "$1: peak memory $(rss "$1") KiB, under $2 KiB" 1 "$([ "$(rss "$1")" -lt "$2" ] && echo 1)"
}

# flat SMALL LARGE: the peak of LARGE is within 5 % of SMALL's
flat() {
    local a b
    a=$(rss "$1")
    b=$(rss "$2")
    echo "peak memory: $1 $a KiB, $2 $b KiB"
    check_eq "$2: memory as flat as with $1 ($a KiB, then $b KiB)" 1 \
        "$([ $((b * 100)) -le $((a * 105)) ] && [ $((b * 105)) -ge $((a * 100)) ] && echo 1)"
}

# tiny NAME COUNT EVICTED: the counts of COUNT tiny sessions.  Half are
# closed (6 frames, 3 messages), half left open (3 frames, the request);
# each has one request unanswered (the open ones the device's, the closed
# ones the server's Query inventory).
tiny() {
    local n=$2
    counts "$1" $((n / 2 * 9)) "$n"
    check_eq "$1: woshi sessions, messages, unanswered requests, evictions" \
        "$n $((n * 2)) $n $3 ended evicted $3" \
        "$(sum "$1" '"\(.sessions.by_proto.woshi) \(.messages.total) \(.violations.by_code["woshi.request.unanswered"]) \(.violations.by_code["session.evicted"] // 0)"') $(acc "$1" | cut -d' ' -f5-7)"
}

if [ "${CS_SANITIZE:-0}" = 1 ]; then
    flood syn "syn 20000" --max-sessions 1000
    counts syn 20000 20000
    check_eq "syn: unidentified, evicted, at the end" "20000 ended evicted 19000 closed 0 capture_end 1000" \
        "$(sum syn .sessions.by_proto.unidentified) $(acc syn | cut -d' ' -f5-)"
    flood tiny "tiny 20000 $S" --max-sessions 1000
    tiny tiny 20000 19000
    check_done
    exit
fi

# SYNs, never answered: at most 100000 sessions at once (the default); a
# tenth of the flood fills the table, the rest turns it over
flood syn100k "syn 100000"
flood syn1m "syn 1000000"
counts syn1m 1000000 1000000
check_eq "a million SYNs: unidentified, evicted, at the end" \
    "1000000 ended evicted 900000 closed 0 capture_end 100000" \
    "$(sum syn1m .sessions.by_proto.unidentified) $(acc syn1m | cut -d' ' -f5-)"
check_eq "a million SYNs: unidentified sessions have no violations" 0 "$(sum syn1m .violations.total)"
flat syn100k syn1m
cap syn1m $((128 * 1024))

# tiny sessions, each with its library session, a device and requests
flood tiny100k "tiny 100000 $S"
flood tiny1m "tiny 1000000 $S"
tiny tiny100k 100000 0
tiny tiny1m 1000000 900000
flat tiny100k tiny1m
cap tiny1m $((384 * 1024))
# the bound is what holds the memory
flood tiny1m-1000 "tiny 1000000 $S" --max-sessions 1000
tiny tiny1m-1000 1000000 999000
cap tiny1m-1000 $((32 * 1024))
check_done
