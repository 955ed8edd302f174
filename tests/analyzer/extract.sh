#!/usr/bin/env bash
# --extract: one pcap per session, named by session, protocol and
# endpoints; each, read again by chargecap, gives that session's messages
# and nothing else; --payload writes each side's stream bytes; open files
# stay under the budget; an interrupted run leaves every session's file
# complete or absent.
. "$(dirname "$0")/common.sh"

framenum_fields=$("$CHARGECAP" --list all | awk -F'\t' '$1 == "field" && $3 == "framenum" {print $2}' |
    jq -R . | jq -sc .)
# a session's messages, as compared: frames and frame references aside
view() {
    jq -c --argjson s "$2" --argjson fn "$framenum_fields" '
        select(.kind == "message" and .session == $s) | del(.file, .frame, .session) |
        .fields |= with_entries(select(.key as $k | $fn | index($k) | not))' "$1"
}

E=$(gen tcp-edges)
caps=("$CS_SRC"/samples/*.pcap "$E")
X="$CS_TMP/out"
"$CHARGECAP" -q --extract "$X" --payload --json "$CS_TMP/all.json" --messages "${caps[@]}" > /dev/null || true
check_eq "one folder per capture" "$(for c in "${caps[@]}"; do basename "${c%.pcap}"; done | sort)" "$(ls "$X" | sort)"
check_eq "no part file or partial folder left" "" "$(find "$X" -name '.partial*' -o -name '*.part')"
for cap in "${caps[@]}"; do
    stem=$(basename "${cap%.pcap}")
    jq -c --arg f "$cap" 'select(.file == $f)' "$CS_TMP/all.json" > "$CS_TMP/orig.json"
    expect=$(jq -r 'select(.kind == "session") |
        "\(.session)_\(.proto // "unknown")_\(.client.ip)-\(.client.port)_\(.server.ip)-\(.server.port).pcap"' \
        "$CS_TMP/orig.json" | sort)
    check_eq "$stem: one pcap per session, named after it" "$expect" "$(cd "$X/$stem" && ls *.pcap | sort)"
    while read -r s packets client server; do
        p=$(ls "$X/$stem/${s}"_*.pcap)
        "$CHARGECAP" -q --json "$CS_TMP/one.json" --messages "$p" > /dev/null || true
        check_eq "$stem session $s: its extract holds one session" 1 \
            "$(jq -r 'select(.kind == "summary") | .sessions.total' "$CS_TMP/one.json")"
        check_eq "$stem session $s: every frame of it" "$packets" \
            "$(jq -r 'select(.kind == "summary") | .frames' "$CS_TMP/one.json")"
        check_eq "$stem session $s: the same messages" "$(view "$CS_TMP/orig.json" "$s")" "$(view "$CS_TMP/one.json" 1)"
        b=${p%.pcap}
        check_eq "$stem session $s: --payload bytes of each side" "$client $server" \
            "$(stat -c %s "$b.client.bin") $(stat -c %s "$b.server.bin")"
    done < <(jq -r 'select(.kind == "session") | "\(.session) \(.frames) \(.from_client.stream - .from_client.gap) \(.from_server.stream - .from_server.gap)"' \
        "$CS_TMP/orig.json")
done
# the payload is the stream itself: the login of tcp-edges' first session
check_eq "the client's bytes begin with its login" "00206001" \
    "$(head -c4 "$X/tcp-edges/1_woshi_10.30.0.11-51001_47.96.10.20-8992.client.bin" | od -An -tx1 | tr -d ' \n')"

# ---- 300 sessions, 4 open files, a descriptor limit of 32 -----------------------------------
M=$(gen many-sessions)
rc=0
(ulimit -n 32 && exec "$CHARGECAP" -q --extract "$CS_TMP/many" --max-open-files 4 --json "$CS_TMP/many.json" "$M") \
    > /dev/null 2> "$CS_TMP/many.err" || rc=$?
check_eq "many sessions under a low descriptor limit: exit status" 0 "$rc"
check_eq "many sessions: no error" "" "$(cat "$CS_TMP/many.err")"
check_eq "many sessions: a pcap each" 300 "$(ls "$CS_TMP/many/many-sessions" | wc -l)"
bad=0
for p in "$CS_TMP"/many/many-sessions/{1,77,150,299}_*.pcap; do
    n=$("$CHARGECAP" -q --json - "$p" | jq -r 'select(.kind == "summary") | "\(.sessions.total) \(.damaged)"')
    [ "$n" = "1 null" ] || bad=$((bad + 1))
done
check_eq "many sessions: the files are whole" 0 "$bad"

# ---- interrupted: complete or absent ---------------------------------------------------------
mkfifo "$CS_TMP/fifo"
"$CHARGECAP" -q --extract "$CS_TMP/int" "$CS_TMP/fifo" > /dev/null 2>&1 &
pid=$!
exec 3> "$CS_TMP/fifo"
# the first three quarters: sessions 1 and 2 have ended (their linger
# time passed), the others have not
head -c "$(($(stat -c %s "$E") * 3 / 4))" "$E" >&3
for _ in $(seq 50); do
    [ "$(ls "$CS_TMP/int/fifo" 2> /dev/null | grep -c pcap)" -ge 2 ] && break
    sleep 0.1
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
exec 3>&-
check_eq "interrupted: exit status 130" 130 "$rc"
check_eq "interrupted: the ended sessions' files, and no other" \
    "1_woshi_10.30.0.11-51001_47.96.10.20-8992.pcap 2_woshi_10.30.0.12-51002_47.96.10.20-8992.pcap" \
    "$(ls -A "$CS_TMP/int/fifo" | tr '\n' ' ' | sed 's/ $//')"
for f in "$CS_TMP"/int/fifo/*.pcap; do
    check_eq "interrupted: $(basename "$f") is complete" \
        "$(cmp -s "$f" "$X/tcp-edges/$(basename "$f")" && echo same)" same
done
check_done
