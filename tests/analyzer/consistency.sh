#!/usr/bin/env bash
# chargecap and the Wireshark plugin never disagree about a frame.
#
# For every capture in samples/ (every protocol, now and after new ones are
# added), tshark with the plugin (two passes) and chargecap --json
# --messages must give:
#   - per frame and protocol: the same number of PDUs (garbage runs
#     included: which of them are garbage is compared by the statistics
#     below), the same checksum statuses (every checksum field, by the
#     library's field flags) and the same violation codes (chargecap's own
#     analyzer codes excluded: Wireshark cannot see gaps and the like);
#   - per protocol, from the plugin's statistics tree: the same messages by
#     command and direction, checksum verdicts and result codes.
# Usage: consistency.sh [CAPTURE...]   (default: samples/*.pcap)
# CS_TSHARK_ARGS and CS_CHARGECAP_ARGS add options to each side (Decode As
# against --port, for example).
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup

list=$("$CHARGECAP" --list all)
protos=$(awk -F'\t' '$1 == "protocol" {print $2}' <<< "$list")
# {"woshi.checksum.status": true, ...}
status_fields=$(awk -F'\t' '$1 == "field" && $5 ~ /checksum_status/ {print $2}' <<< "$list" |
    jq -R . | jq -sc 'map({(.): true}) | add // {}')
protos_json=$(jq -R . <<< "$protos" | jq -sc .)

# Per frame, from tshark's JSON: "frame proto pdu", "... ck:N",
# "... viol:CODE".
tshark_frames() {
    # shellcheck disable=SC2086
    cs_tshark -r "$1" -2 ${CS_TSHARK_ARGS:-} -T json --no-duplicate-keys -J "frame $(tr '\n' ' ' <<< "$protos")" |
        jq -r --argjson protos "$protos_json" --argjson st "$status_fields" \
'
        def each: if type == "array" then .[] else . end;
        .[] | ._source.layers as $l | ($l.frame["frame.number"]) as $f |
        $protos[] as $p | ($l[$p] // empty) | each |
        "\($f)\t\($p)\tpdu",
        ([.. | objects | to_entries[] | select($st[.key]) | .value | each] | .[] | "\($f)\t\($p)\tck:\(.)"),
        ([.. | objects | select(has("_ws.expert")) | .["_ws.expert"] | each | keys[] |
          select(startswith("_ws.expert") | not)] | .[] | "\($f)\t\($p)\tviol:\(.)")' |
        sort
}

chargecap_frames() {
    jq -r --argjson st "$status_fields" '
        def each: if type == "array" then .[] else . end;
        if .kind == "message" then
            "\(.frame)\t\(.proto)\tpdu",
            (.fields | to_entries[] | select($st[.key]) | .value | each | "\(.)" ) as $v |
            "\(.frame)\t\(.proto)\tck:\($v)"
        elif .kind == "violation" and .source == "protocol" then
            "\(.frame)\t\(.proto)\tviol:\(.code)"
        else empty end' "$1" | sort
}

# The plugin's statistics tree for protocol $2 (short name $3) in a -z
# output $1: "msg LABEL DIR N", "ck VERDICT N", "res LABEL RESULT N".
tshark_stats() {
    awk -v title="chargeshark/$2:" '
        $0 == title { on = 1; next }
        on && /^Topic \/ Item/ { col = index($0, "Count"); next }
        on && col && /^-+$/ && seen { exit }
        on && col && !/^-+$/ {
            name = substr($0, 1, col - 1); sub(/ +$/, "", name)
            match(name, /^ */); depth = RLENGTH; sub(/^ +/, "", name)
            rest = substr($0, col); split(rest, f, " "); n = f[1]; seen = 1
            if (depth == 0) { top = name; next }
            if (depth == 1) { mid = name }
            if (top ~ /^Messages/ && depth == 2) print "msg\t" mid "\t" name "\t" n
            if (top ~ /^Checksum/ && depth == 1) print "ck\t" name "\t" n
            if (top ~ /^Result/ && depth == 2) print "res\t" mid "\t" name "\t" n
        }' "$1" | sort
}

chargecap_stats() {
    jq -r --arg p "$2" '
        select(.kind == "message" and .proto == $p) |
        [(if .garbage then "G" elif .cmd_name then "N" elif .cmd != null then "U" else "P" end),
         (.cmd_name // ""), (.cmd // 4294967295), .dir, (.checksum // ""),
         (.result // -1), (.result_name // "?")] | @tsv' "$1" |
    awk -F'\t' '
        BEGIN { d["to_server"] = "Device to server"; d["to_device"] = "Server to device"
                d["peer"] = "Device to device"; d["unknown"] = "Unknown"
                c["good"] = "Good"; c["bad"] = "Bad"; c["unverified"] = "Unverified"
                c["absent"] = "Not present" }
        {
            if ($1 == "G") label = "Garbage between PDUs"
            else if ($1 == "N") label = sprintf("%s (0x%02X)", $2, $3)
            else if ($1 == "U") label = sprintf("Unknown (0x%02X)", $3)
            else label = "Unparsed"
            m[label "\t" d[$4]]++
            if ($5 != "") k[c[$5]]++
            if ($6 >= 0) r[label "\t" sprintf("%s (%d)", $7, $6)]++
        }
        END {
            for (x in m) print "msg\t" x "\t" m[x]
            for (x in k) print "ck\t" x "\t" k[x]
            for (x in r) print "res\t" x "\t" r[x]
        }' | sort
}

captures=("$@")
[ ${#captures[@]} -gt 0 ] || captures=("$CS_SRC"/samples/*.pcap)
for cap in "${captures[@]}"; do
    name=$(basename "$cap")
    in=$(cs_input "$cap")
    # shellcheck disable=SC2086
    "$CHARGECAP" -q --json "$CS_TMP/$name.json" --messages ${CS_CHARGECAP_ARGS:-} "$cap" > /dev/null || true
    check_eq "$name: chargecap wrote records" 1 "$([ -s "$CS_TMP/$name.json" ] && echo 1)"
    t=$(tshark_frames "$in")
    c=$(chargecap_frames "$CS_TMP/$name.json")
    check_eq "$name: the plugin found PDUs" 1 "$(grep -qP '\tpdu$' <<< "$t" && echo 1)"
    check_eq "$name: PDUs, checksum statuses and violation codes, frame by frame" "$t" "$c"
    if [ "$t" != "$c" ]; then
        diff <(printf '%s\n' "$t") <(printf '%s\n' "$c") | head -20 | sed 's/^/    /' >&2
    fi
    zs=()
    for p in $protos; do zs+=(-z "$p,tree"); done
    # shellcheck disable=SC2086
    cs_tshark -r "$in" -2 ${CS_TSHARK_ARGS:-} -q "${zs[@]}" > "$CS_TMP/$name.stats"
    while IFS=$'\t' read -r kind p long short; do
        [ "$kind" = protocol ] || continue
        t=$(tshark_stats "$CS_TMP/$name.stats" "$short")
        c=$(chargecap_stats "$CS_TMP/$name.json" "$p")
        check_eq "$name: $p messages by command and direction, checksum verdicts, results" "$t" "$c"
    done <<< "$list"
done
check_done
