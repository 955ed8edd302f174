#!/usr/bin/env bash
# -j N gives the output of -j 1, byte for byte: files in parallel (their
# output held back, in memory or spilled to a temporary file, until their
# turn), and files split by flow between threads (--shard-min 0 splits even
# small ones); the same with --extract.
. "$(dirname "$0")/common.sh"

caps=("$CS_SRC"/samples/*.pcap "$(gen many-sessions)" "$(gen tcp-edges)" "$(gen garbage-runs)"
      "$(gen hostile-ids)" "$(gen tcp-edges --fragment 16 --format pcapng --link mixed)"
      "$(gen many-sessions --seed 3 --gzip)" "$CS_TMP/cut.pcap")
# a damaged file: its leader reports the damage, its workers what came before
head -c 30000 "$(gen many-sessions --seed 5)" > "$CS_TMP/cut.pcap"
run() { "$CHARGECAP" -q "$@" || true; }
ref_json=$(run --json - --messages "${caps[@]}" | md5sum)
ref_text=$(run --messages "${caps[@]}" | md5sum)
ref_report=$(run "${caps[@]}" | md5sum)
for j in 2 3; do
    for shard in "" "--shard-min 0"; do
        # shellcheck disable=SC2086
        check_eq "-j $j $shard: the same records" "$ref_json" "$(run -j $j $shard --json - --messages "${caps[@]}" | md5sum)"
        # shellcheck disable=SC2086
        check_eq "-j $j $shard: the same message lines" "$ref_text" "$(run -j $j $shard --messages "${caps[@]}" | md5sum)"
        # shellcheck disable=SC2086
        check_eq "-j $j $shard: the same report" "$ref_report" "$(run -j $j $shard "${caps[@]}" | md5sum)"
    done
done
# whoever follows the sessions of a split file (the leader balances the
# load as it goes; CHARGECAP_ASSIGN fixes it): the same output
for who in leader workers turns; do
    for j in 2 3; do
        check_eq "-j $j, sessions followed by: $who: the same records" "$ref_json" \
            "$(CHARGECAP_ASSIGN=$who "$CHARGECAP" -q -j $j --shard-min 0 --json - --messages "${caps[@]}" | md5sum)"
    done
    check_eq "-j 2, sessions followed by: $who: the same report" "$ref_report" \
        "$(CHARGECAP_ASSIGN=$who "$CHARGECAP" -q -j 2 --shard-min 0 "${caps[@]}" | md5sum)"
done
# output spilled to a temporary file while earlier files are merged
check_eq "-j 2 with spilling: the same records" "$ref_json" \
    "$(CHARGECAP_QUEUE_MAX=1 "$CHARGECAP" -q -j 2 --shard-min 0 --json - --messages "${caps[@]}" | md5sum)"
check_eq "-j 3 with spilling: the same report" "$ref_report" \
    "$(CHARGECAP_QUEUE_MAX=1 "$CHARGECAP" -q -j 3 "${caps[@]}" | md5sum)"
# the same files, the same bytes
run --extract "$CS_TMP/x1" --payload "${caps[@]}" > /dev/null
for who in balance leader turns; do
    rm -rf "$CS_TMP/x2"
    CHARGECAP_ASSIGN=$who run -j 2 --shard-min 0 --extract "$CS_TMP/x2" --payload "${caps[@]}" > /dev/null
    check_eq "-j 2 --extract ($who): the same files" "$(cd "$CS_TMP/x1" && find . -type f | sort)" \
        "$(cd "$CS_TMP/x2" && find . -type f | sort)"
    check_eq "-j 2 --extract ($who): the same bytes" "" "$(diff -r "$CS_TMP/x1" "$CS_TMP/x2" || true)"
done
check_eq "the extraction wrote files" 1 "$([ "$(find "$CS_TMP/x1" -type f | wc -l)" -gt 600 ] && echo 1)"
check_done
