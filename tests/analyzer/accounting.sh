#!/usr/bin/env bash
# Nothing goes unaccounted: in every session of every capture, each
# direction's stream bytes are decoded + garbage + unparsed + gap bytes;
# every session is listed; the summary's counts are the records' counts.
. "$(dirname "$0")/common.sh"

caps=("$CS_SRC"/samples/*.pcap "$(gen tcp-edges)" "$(gen garbage-runs)" "$(gen hostile-ids)"
      "$(gen many-sessions)" "$(gen noise --seed 7)" "$(gen tcp-edges --fragment 16)")
for cap in "${caps[@]}"; do
    name=$(basename "$cap")
    J=$(records "$cap")
    bad=$(jq -r 'select(.kind == "session") | . as $s |
        ["from_client", "from_server"][] as $d | $s[$d] |
        select(.stream != .decoded + .garbage + .unparsed + .gap) |
        "session \($s.session) \($d): stream \(.stream) != \(.decoded) + \(.garbage) + \(.unparsed) + \(.gap)"' "$J")
    check_eq "$name: decoded + garbage + unparsed + gap = stream, every session" "" "$bad"
    bad=$(jq -r 'select(.kind == "session" and .proto == null) | . as $s |
        ["from_client", "from_server"][] as $d | $s[$d] | select(.decoded + .garbage != 0) |
        "session \($s.session) is unidentified but has decoded bytes"' "$J")
    check_eq "$name: unidentified sessions: everything unparsed" "" "$bad"
    bad=$(jq -r 'select(.kind == "session") | . as $s |
        ["from_client", "from_server"][] as $d | $s[$d] | select(.bytes < .stream - .gap) |
        "session \($s.session) \($d): more stream than payload"' "$J")
    check_eq "$name: no byte counted twice" "" "$bad"
    check_eq "$name: sessions in the summary are the session records" \
        "$(jq -s '[.[] | select(.kind == "session")] | length' "$J")" \
        "$(jq -r 'select(.kind == "summary") | .sessions.total' "$J")"
    check_eq "$name: messages in the summary are the message records" \
        "$(jq -s '[.[] | select(.kind == "message" and (.garbage | not))] | length' "$J")" \
        "$(jq -r 'select(.kind == "summary") | .messages.total' "$J")"
    check_eq "$name: violations in the summary are the violation records" \
        "$(jq -s '[.[] | select(.kind == "violation")] | length' "$J")" \
        "$(jq -r 'select(.kind == "summary") | .violations.total' "$J")"
    check_eq "$name: session numbers run from 1 without holes" \
        "$(jq -s '[.[] | select(.kind == "session") | .session] | length' "$J")" \
        "$(jq -s '[.[] | select(.kind == "session") | .session] | max // 0' "$J")"
done
check_done
