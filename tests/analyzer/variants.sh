#!/usr/bin/env bash
# The same traffic in every link layer and file format chargecap reads
# gives the same message and violation records: every committed sample,
# written by chargegen as Ethernet, 802.1Q, QinQ, Linux SLL and SLL2, raw
# IP, BSD loopback (both byte orders), IPv6 (with extension headers),
# pcapng (nanosecond and the default microsecond resolution, also with two
# interfaces of different link types), nanosecond pcap, big-endian headers,
# gzip, and IPv4 fragments.
. "$(dirname "$0")/common.sh"

# Frame numbers change when packets are fragmented: the comparison of
# fragmented variants leaves out frames, the fields that name frames, and
# frame numbers quoted in violation messages.
framenum_fields=$("$CHARGECAP" --list all | awk -F'\t' '$1 == "field" && $3 == "framenum" {print $2}' |
    jq -R . | jq -sc .)

# records of a capture as compared: file name and session records aside
view() {
    { "$CHARGECAP" -q --json - --messages "$1" || true; } | jq -c --argjson fn "$framenum_fields" --arg drop "$2" '
        select(.kind == "message" or .kind == "violation") | del(.file) |
        if $drop == "frames" then del(.frame) |
            (if .message then .message |= gsub("frames? [0-9]+"; "frame N") else . end) |
            (.fields // {}) as $f |
            if .fields then .fields |= with_entries(select(.key as $k | $fn | index($k) | not)) else . end
        else . end'
}

summary() { { "$CHARGECAP" -q --json - "$1" || true; } | jq -r "select(.kind == \"summary\") | $2"; }

mkdir -p "$CS_TMP/base"
"$CHARGEGEN" all "$CS_TMP/base"
variants=(
    "--link eth" "--link vlan" "--link qinq" "--link sll" "--link sll2" "--link raw"
    "--link null" "--link loop" "--ipv6" "--ipv6-ext" "--format pcapng" "--format pcapng-us"
    "--format pcap-ns --swap" "--format pcapng --swap"
    "--format pcapng --link mixed" "--format pcap-ns" "--swap" "--gzip"
    "--format pcapng --link mixed --swap --gzip --ipv6"
    "--fragment 24" "--fragment 16 --fragment-reverse"
)
for base in "$CS_TMP"/base/*.pcap; do
    name=$(basename "$base")
    ref=$(view "$base" "")
    ref_nf=$(view "$base" frames)
    check_eq "$name: there are messages to compare" 1 "$([ "$(wc -l <<< "$ref")" -gt 3 ] && echo 1)"
    for v in "${variants[@]}"; do
        dir="$CS_TMP/v$(tr -c 'a-z0-9' '_' <<< "$v")"
        mkdir -p "$dir"
        # shellcheck disable=SC2086
        [ -e "$dir/$name" ] || "$CHARGEGEN" all "$dir" $v
        case "$v" in
        *fragment*) check_eq "$name $v: same records (frames aside)" "$ref_nf" "$(view "$dir/$name" frames)" ;;
        *) check_eq "$name $v: same records" "$ref" "$(view "$dir/$name" "")" ;;
        esac
    done
    # the variant really is what it says
    check_eq "$name: --link sll2 is SLL2" '{"276":'"$(summary "$base" .frames)"'}' \
        "$(summary "$CS_TMP/v__link_sll2_/$name" '.link_types|tojson')"
    check_eq "$name: --format pcapng --link mixed has two link types" "1 276" \
        "$(summary "$CS_TMP/v__format_pcapng___link_mixed_/$name" '.link_types|keys|join(" ")')"
    check_eq "$name: --gzip is gzip" "1f8b" "$(head -c2 "$CS_TMP/v__gzip_/$name" | od -An -tx1 | tr -d ' \n')"
    check_eq "$name: --fragment 24 has more frames" 1 \
        "$([ "$(summary "$CS_TMP/v__fragment_24_/$name" .frames)" -gt "$(summary "$base" .frames)" ] && echo 1)"
done

# a capture read from standard input is the same as from its file
f=$(ls "$CS_TMP"/base/*.pcap | head -1)
check_eq "standard input (gzip)" "$({ "$CHARGECAP" -q --json - -m "$f" || true; } | jq -c 'del(.file, .format)')" \
    "$({ "$CHARGECAP" -q --json - -m - < "$CS_TMP/v__gzip_/$(basename "$f")" || true; } | jq -c 'del(.file, .format)')"
check_done
