#!/usr/bin/env bash
# The human report: its sections, 80 columns, the unidentified sessions
# with their bytes, --messages lines, folders as input, exit statuses by
# --fail-on; and the documentation of every option and of chargecap's own
# codes (docs/chargecap.md, the manual page, --help).
. "$(dirname "$0")/common.sh"

S="$CS_SRC/samples/woshi-session.pcap"
F="$CS_SRC/samples/woshi-faults.pcap"
caps=("$CS_SRC"/samples/*.pcap "$(gen tcp-edges)" "$(gen hostile-ids)" "$(gen noise --seed 7)"
      "$(gen many-sessions)" "$(gen tcp-edges --ipv6)")
rc=0
"$CHARGECAP" -q "${caps[@]}" > "$CS_TMP/report.txt" || rc=$?
check_eq "report: exit status 1 (errors found)" 1 "$rc"
check_eq "report: every line fits 80 columns" "" "$(awk 'length($0) > 80 {print FILENAME ":" FNR ": " length($0)}' "$CS_TMP/report.txt" | head -5)"
check_eq "report: a section per file" "${#caps[@]}" "$(grep -c '^== ' "$CS_TMP/report.txt" | awk '{print $1 - 1}')"
check_eq "report: the total" 1 "$(grep -c "^== total: ${#caps[@]} files" "$CS_TMP/report.txt")"

"$CHARGECAP" -q "$F" > "$CS_TMP/faults.txt" || true
expect_lines=(
    "   pcap, 54 frames, 2024-10-28 07:20:00 to 07:22:00 UTC"
    "   3 sessions, 11 violations"
    "   20 messages; checksums: 18 good, 2 bad, 0 unverified, 0 absent"
    "   woshi                3        20        18         2         0         0"
    "  violations:                        severity  count  first frames"
    "    woshi.checksum.bad               error         1  frames 10"
    "    woshi.request.unanswered         warning       1  frames 30"
    "    stream.truncated                 note          1  frames 32"
    "   SMBH081908490301               woshi     2024-10-28 07:20:00 07:20:24"
    "     firmware A.09.01.07, 1 session (first #1)"
    "        1 woshi    tcp 10.20.0.31:50001 -> 47.96.10.20:8992              14 msgs"
    "        2 woshi    tcp 10.20.0.32:50002 <> 47.96.10.20:8992               4 msgs"
)
for l in "${expect_lines[@]}"; do
    check_eq "faults report: '$l'" 1 "$(grep -cxF "$l" "$CS_TMP/faults.txt")"
done
"$CHARGECAP" -q "$S" > "$CS_TMP/session.txt"
check_eq "session report: the device with firmware, ICCID and signal" 1 \
    "$(grep -cxF '     firmware A.09.01.06, ICCID 89860401101770982839, signal CSQ 21, LTE, 1' "$CS_TMP/session.txt")"

N=$(gen noise --seed 7)
"$CHARGECAP" -q "$N" > "$CS_TMP/noise.txt" || true
check_eq "noise: unidentified sessions listed with their bytes" 1 \
    "$([ "$(grep -A1 -E '^ +[0-9]+ unknown +tcp ' "$CS_TMP/noise.txt" | grep -cE '^ +[0-9.]+ k?B up, ')" -ge 200 ] && echo 1)"
check_eq "noise: the unidentified payload counted" 1 "$(grep -cE '^   unidentified +[0-9]+ +- +\([0-9.]+ [kM]?B of payload\)' "$CS_TMP/noise.txt")"

# --messages: a line per message and per violation, before the report
"$CHARGECAP" -q -m "$F" > "$CS_TMP/m.txt" || true
check_eq "--messages: one line per message, a bad checksum marked" 1 \
    "$(grep -cxF '     10 07:20:01.101400 #1 woshi to_server Inventory: 1 power bank; slot 2 SMBH98004411 80 % [bad checksum]' "$CS_TMP/m.txt")"
check_eq "--messages: its violation" 1 \
    "$(grep -cxF '     10   error woshi.checksum.bad: Checksum 0x5A, should be 0xD9' "$CS_TMP/m.txt")"
check_eq "--messages: the unanswered request on its frame" 1 \
    "$(grep -cxF '     30   warning woshi.request.unanswered: Request never answered' "$CS_TMP/m.txt")"
check_eq "--messages: 21 message lines (with the garbage run)" 21 "$(grep -cE '^ +[0-9]+ [0-9:.]+ #[0-9]+ ' "$CS_TMP/m.txt")"
check_eq "--messages: the report after the lines fits 80 columns" "" \
    "$(sed -n '/^== /,$p' "$CS_TMP/m.txt" | awk 'length($0) > 80')"
check_eq "--messages: the same violations as without" \
    "$("$CHARGECAP" -q --json - "$F" | jq -c 'select(.kind == "violation")')" \
    "$("$CHARGECAP" -q --json - -m "$F" | jq -c 'select(.kind == "violation")')"

# a folder: its captures, in name order, other files skipped
mkdir -p "$CS_TMP/dir/sub"
cp "$S" "$CS_TMP/dir/b.pcap"
cp "$F" "$CS_TMP/dir/sub/a.cap"
gzip -nc "$S" > "$CS_TMP/dir/c.gz"
echo "not a capture" > "$CS_TMP/dir/README"
check_eq "folder: its captures" "$CS_TMP/dir/b.pcap $CS_TMP/dir/c.gz $CS_TMP/dir/sub/a.cap" \
    "$("$CHARGECAP" -q --json - "$CS_TMP/dir" | jq -r 'select(.kind == "summary") | .file' | tr '\n' ' ' | sed 's/ $//')"

# exit statuses
st() { local rc=0; "$CHARGECAP" -q "$@" > /dev/null 2>&1 || rc=$?; echo "$rc"; }
check_eq "clean capture: 0" 0 "$(st "$S")"
check_eq "errors: 1" 1 "$(st "$F")"
check_eq "--fail-on never: 0" 0 "$(st --fail-on never "$F")"
check_eq "warnings only, --fail-on error: 0" 0 "$(st --fail-on error "$(gen many-sessions)")"
check_eq "warnings only, --fail-on warning: 1" 1 "$(st --fail-on warning "$(gen many-sessions)")"
check_eq "--fail-on note, clean: 0" 0 "$(st --fail-on note "$S")"
check_eq "damaged wins over violations: 3" 3 "$(st "$F" "$CS_TMP/dir/README")"
check_eq "--json to a folder that does not exist: 4" 4 "$(st --json "$CS_TMP/no/such/dir/x.json" "$S")"

# a request never answered shows its own first bytes, also when other
# requests were pending after it (its entry is removed when it is reported)
J=$(records "$CS_SRC/samples/ruioo-faults.pcap")
imei=$(jq -r 'select(.kind == "message" and .session == 1 and .offset == 554) | .fields["ruioo.imei"]' "$J")
check_eq "ruioo-faults: the unfinished flow's bytes are its request's (IMEI $imei)" "$(printf '{"%s' "$imei" | head -c 16)" \
    "$(jq -r 'select(.kind == "violation" and .code == "ruioo.flow.unfinished" and .offset == 554) | .hex' "$J" | xxd -r -p | head -c 16)"
J=$(records "$CS_SRC/samples/aicloud-faults.pcap")
check_eq "aicloud-faults: the unanswered request's bytes are its own" "552600aaee07000000020000accf23fe" \
    "$(jq -r 'select(.kind == "violation" and .code == "aicloud.request.unanswered" and .offset == 248) | .hex' "$J")"

# the documentation: every option, every code of chargecap's own
help=$("$CHARGECAP" --help)
for opt in $(grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' <<< "$help" | grep -oE -- '--[a-z-]+' | grep -v -- '--help'); do
    check_eq "docs/chargecap.md documents $opt" 1 "$(grep -cF "\`$opt" "$CS_SRC/docs/chargecap.md" | sed 's/^[1-9][0-9]*$/1/')"
    check_eq "the manual page documents $opt" 1 "$(grep -cF -- "$(sed 's/-/\\-/g' <<< "$opt")" "$CS_SRC/docs/chargecap.1" | sed 's/^[1-9][0-9]*$/1/')"
done
while IFS=$'\t' read -r kind code sev _; do
    [ "$kind" = analyzer ] || continue
    check_eq "docs/chargecap.md: $code ($sev)" 1 "$(grep -cF "| \`$code\` | $sev |" "$CS_SRC/docs/chargecap.md")"
    check_eq "the manual page names $code" 1 "$(grep -cF ".B $code" "$CS_SRC/docs/chargecap.1")"
done < <("$CHARGECAP" --list analyzer)
check_eq "the manual page is well-formed" "" "$(groff -man -Tutf8 -ww -z "$CS_SRC/docs/chargecap.1" 2>&1)"
check_eq "--help names the exit statuses" 1 "$(grep -c '0 clean, 1 violations' <<< "$help")"
check_eq "--help's usage line names the inputs once" "  chargecap [OPTION] FILE|DIR|- ... - analyze charging-protocol captures" \
    "$(sed -n '2{s/\[OPTION[^]]*\]/[OPTION]/;p}' <<< "$help")"
check_done
