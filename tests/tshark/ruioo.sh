#!/usr/bin/env bash
# tshark with the plugin on the Ruioo samples: field values, the Info
# column, the CRC-16 combination each cabinet uses, flows and their links,
# every expert code on its exact frames, registration (heuristic, port,
# Decode As), pinned CRC preferences, and agreement with chargecap.
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup
S=$(cs_input "$CS_SRC/samples/ruioo-session.pcap")
F=$(cs_input "$CS_SRC/samples/ruioo-faults.pcap")

# frames carrying a match, as one space-separated line
frames() { cs_tshark -r "$1" "${@:2}" -T fields -e frame.number | tr '\n' ' ' | sed 's/ $//'; }
# vals FILE FIELD ARGS...: the field's values, one per PDU and line
vals() { local f=$1 field=$2; shift 2; cs_tshark -r "$f" "$@" -T fields -e "$field" | tr ',' '\n' | grep . || true; }
# pdus FILE FIELD ARGS...: how many PDUs carry the field
pdus() { vals "$@" | wc -l; }
# nval FILE FIELD VALUE ARGS...: how many PDUs have the field at VALUE
nval() { vals "$1" "$2" "${@:4}" | grep -cx "$3" || true; }

# ---- the session -------------------------------------------------------------
info=$(cs_tshark -r "$S" -Y ruioo -T fields -e frame.number -e ruioo.direction -e ruioo.cmd -e ruioo.crc.status -e _ws.col.Info)
check_golden ruioo-session.info.txt "$info"
check_eq "PDUs in the session" 48 "$(pdus "$S" ruioo.cmd)"
check_eq "no Ruioo expert item in the clean session" "" \
    "$(cs_tshark -r "$S" -2 -q -z expert,note | grep -i ruioo || true)"
check_eq "every PDU has an Info summary" "" \
    "$(printf '%s\n' "$info" | awk -F'\t' '$5 == "" || $5 ~ /Ruioo frame|\?/')"
check_eq "every CRC good" "48 48" "$(nval "$S" ruioo.crc.status 1) $(pdus "$S" ruioo.crc.status)"
# the two cabinets' CRC-16 combinations, by name
check_eq "cabinet A: CRC-16/MODBUS over the IMEI through the separator, hex" 24 \
    "$(pdus "$S" ruioo.crc.variant -Y 'ruioo.crc.variant == "modbus" && ruioo.crc.coverage == "imei-sep" && ruioo.crc.encoding == "hex" && tcp.port == 40001')"
check_eq "cabinet B: CRC-16/KERMIT from the brace up to the separator, decimal" 24 \
    "$(pdus "$S" ruioo.crc.variant -Y 'ruioo.crc.variant == "kermit" && ruioo.crc.coverage == "brace" && ruioo.crc.encoding == "decimal" && tcp.port == 40002')"
check_eq "the tree names the variants" "24 24" \
    "$(cs_tshark -r "$S" -Y ruioo -O ruioo | grep -c 'CRC-16 variant: modbus') $(cs_tshark -r "$S" -Y ruioo -O ruioo | grep -c 'CRC-16 variant: kermit')"
check_eq "learned on each cabinet's first frame" "4 58" "$(frames "$S" -Y 'ruioo.crc.status == 1 && !ruioo.crc.learned_in')"
check_eq "fields of a borrow request" "866123054876290	CC	BW	1	3021000017" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 10' -T fields -e ruioo.imei -e ruioo.cmd -e ruioo.subcmd -e ruioo.slot -e ruioo.devid)"
check_eq "a status report: one subtree per slot" "1,2,3	FU,NF,EM	RU20240311,RU20240312,RU20240313" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 62' -T fields -e ruioo.slot -e ruioo.state -e ruioo.devid)"
check_eq "status record subtrees" 3 \
    "$(cs_tshark -r "$S" -Y 'frame.number == 62' -O ruioo | grep -c '^    Slot [123]: ')"
check_eq "the direction comes from the command word" 48 \
    "$(cs_tshark -r "$S" -Y ruioo -O ruioo | grep -c 'Direction: .*(declared in the message)')"
check_eq "filter by command word and sub-command" "12 66" "$(frames "$S" -Y 'ruioo.cmd == "MC" && ruioo.subcmd == "BO"')"
check_eq "several PDUs in one segment" "30 84" "$(frames "$S" -Y 'count(ruioo.cmd) == 2')"
check_eq "a PDU over three segments (status report: 9 + 30 + rest)" "34 88" \
    "$(frames "$S" -Y 'ruioo.cmd == "AQ" && tcp.reassembled.length')"

# ---- two passes: the flows' links ------------------------------------------
links=$(cs_tshark -r "$S" -2 -Y ruioo -T fields -e frame.number -e ruioo.flow -e ruioo.flow.step -e ruioo.request_in -e ruioo.response_in)
check_golden ruioo-session.links.txt "$links"
check_eq "every flow finished" "" "$(frames "$S" -2 -Y ruioo.flow.unfinished)"
check_eq "heartbeats are in no flow" "" "$(frames "$S" -2 -Y 'ruioo.cmd == "CH" && ruioo.flow')"
check_eq "response_in only in two-pass mode" "" "$(frames "$S" -Y ruioo.response_in)"
check_eq "borrow: request 10, report 12, acknowledgement 14" "10	12	14" \
    "$(cs_tshark -r "$S" -2 -Y 'frame.number == 12' -T fields -e ruioo.request_in -e frame.number -e ruioo.response_in)"
check_eq "the report's time since the request" "1.500400000" \
    "$(cs_tshark -r "$S" -2 -Y 'frame.number == 12' -T fields -e ruioo.response_time)"

# ---- one pass and two agree on every verdict --------------------------------
one=$(cs_tshark -r "$S" -Y ruioo -T fields -e frame.number -e ruioo.crc.status -e ruioo.crc.variant -e ruioo.request_in)
two=$(cs_tshark -r "$S" -2 -Y ruioo -T fields -e frame.number -e ruioo.crc.status -e ruioo.crc.variant -e ruioo.request_in)
check_eq "session: CRC verdicts and links the same in one pass and two" "$one" "$two"
one=$(cs_tshark -r "$F" -Y ruioo -T fields -e frame.number -e ruioo.crc.status -e ruioo.crc.variant -e ruioo.crc.learned_in -e ruioo.request_in)
two=$(cs_tshark -r "$F" -2 -Y ruioo -T fields -e frame.number -e ruioo.crc.status -e ruioo.crc.variant -e ruioo.crc.learned_in -e ruioo.request_in)
check_eq "faults: CRC verdicts and links the same in one pass and two" "$one" "$two"

# ---- a pinned combination -------------------------------------------------------
pin=(-o ruioo.crc_variant:modbus -o ruioo.crc_coverage:imei-sep -o ruioo.crc_encoding:hex)
check_eq "pinned to cabinet A's combination: A good, B bad" "24 24" \
    "$(nval "$S" ruioo.crc.status 1 "${pin[@]}" -Y 'tcp.port == 40001') $(nval "$S" ruioo.crc.status 0 "${pin[@]}" -Y 'tcp.port == 40002')"
check_eq "pinned: every bad frame flagged (24 PDUs in 23 frames)" 23 "$(frames "$S" "${pin[@]}" -Y ruioo.crc.bad | wc -w)"
check_eq "variant pinned to xmodem: nothing matches, nothing is bad" 48 \
    "$(nval "$S" ruioo.crc.status 2 -o ruioo.crc_variant:xmodem)"

# ---- registration -------------------------------------------------------------------
n() { cs_tshark -r "$S" "$@" -Y ruioo | wc -l; }
check_eq "ruioo: found by its heuristic" 46 "$(n)"
check_eq "ruioo: heuristic ruioo_tcp can be disabled" 0 "$(n --disable-heuristic ruioo_tcp)"
check_eq "ruioo: the ruioo.tcp.port preference" 46 "$(n --disable-heuristic ruioo_tcp -o ruioo.tcp.port:7070)"
check_eq "ruioo: Decode As" 46 "$(n --disable-heuristic ruioo_tcp -d tcp.port==7070,ruioo)"
check_eq "ruioo: no port by default" 0 "$(n --disable-heuristic ruioo_tcp -o ruioo.tcp.port:9999)"

# ---- reassembly off ---------------------------------------------------------------------
# a status report cut in three: its first segment is a frame cut short,
# the other two are garbage
check_eq "without reassembly a cut report's first segment is cut short" "32 86" \
    "$(frames "$S" -o ruioo.desegment:FALSE -Y 'ruioo && !ruioo.garbage && frame.number in {32, 86}')"
check_eq "without reassembly the rest of a cut report is garbage" "33 34 87 88" \
    "$(frames "$S" -o ruioo.desegment:FALSE -Y ruioo.garbage)"
check_eq "without reassembly the rest decodes" 46 "$(pdus "$S" ruioo.cmd -o ruioo.desegment:FALSE)"

# ---- the faults capture ------------------------------------------------------------------
finfo=$(cs_tshark -r "$F" -2 -Y ruioo -T fields -e frame.number -e ruioo.direction -e ruioo.crc.status -e _ws.col.Info)
check_golden ruioo-faults.info.txt "$finfo"
# "code frame" for every expert item of the plugin, two passes
CODES=$("$CHARGECAP" --list ruioo | awk -F'\t' '$1 == "violation" {print $2}' | tr '\n' ' ')
ws_codes() {
    cs_tshark -r "$1" -2 -Y ruioo -T pdml | awk -v codes="$CODES" '
        BEGIN { n = split(codes, c, " "); for (i = 1; i <= n; i++) is[c[i]] = 1 }
        /<field name="frame.number"/ { match($0, /show="[0-9]+"/); f = substr($0, RSTART + 6, RLENGTH - 7) }
        /<field name="ruioo\./ { match($0, /name="[^"]+"/); nm = substr($0, RSTART + 6, RLENGTH - 7); if (nm in is) print nm, f }'
}
FX=$(ws_codes "$F")
code() { printf '%s\n' "$FX" | awk -v c="$1" '$1 == c {print $2}' | uniq | tr '\n' ' ' | sed 's/ $//'; }
check_eq "heartbeat answered by the server" "6" "$(code ruioo.heartbeat.answered)"
check_eq "CRC corrupted after the combination was learned" "10" "$(code ruioo.crc.bad)"
check_eq "bad CRCs (with the malformed one)" "10 52" "$(frames "$F" -Y 'ruioo.crc.status == 0')"
check_eq "messages out of their flows" "14 16 30 48" "$(code ruioo.flow.unexpected)"
check_eq "flows left unfinished (two passes)" "48 50 67 71" "$(code ruioo.flow.unfinished)"
check_eq "no unfinished verdict in one pass" "" "$(frames "$F" -Y ruioo.flow.unfinished)"
check_eq "the flow after an out-of-flow report goes on" "16" \
    "$(cs_tshark -r "$F" -2 -Y 'frame.number == 18' -T fields -e ruioo.request_in)"
check_eq "slot out of range" "20 22 24" "$(code ruioo.slot.range)"
check_eq "unknown slot state" "28" "$(code ruioo.state.unknown)"
check_eq "return failure written BF" "36" "$(code ruioo.flow.return_bf)"
check_eq "unknown command word" "40" "$(code ruioo.cmd.unknown)"
check_eq "sub-command not defined" "42" "$(code ruioo.subcmd.invalid)"
check_eq "a data field missing" "44" "$(code ruioo.fields.count)"
check_eq "a slot that is not a number" "46" "$(code ruioo.field.invalid)"
check_eq "the cabinet's command from the server" "48" "$(code ruioo.direction.mismatch)"
check_eq "another IMEI in the conversation" "50" "$(code ruioo.imei.changed)"
check_eq "CRC not a number" "52" "$(code ruioo.crc.malformed)"
check_eq "no CRC" "54" "$(code ruioo.crc.missing)"
check_eq "the template itself: no IMEI" "56" "$(code ruioo.frame.malformed)"
check_eq "garbage between frames" "58 65" "$(code ruioo.garbage)"
check_eq "garbage bytes shown" "000047415242414745" "$(cs_tshark -r "$F" -Y 'frame.number == 58' -T fields -e ruioo.garbage.data | cut -c1-20)"
check_eq "over-long run: 512 bytes, then the rest up to the next frame" "512,187" \
    "$(cs_tshark -r "$F" -Y 'frame.number == 65' -T fields -e ruioo.garbage.data | tr ',' '\n' | awk '{printf "%s%d", (NR > 1 ? "," : ""), length($0) / 2}')"
check_eq "unterminated frame" "62" "$(code ruioo.frame.unterminated)"
check_eq "resynchronised after garbage and cut frames" "58 62 65" \
    "$(frames "$F" -Y '(ruioo.garbage || ruioo.frame.unterminated) && ruioo.crc.status == 1')"
# the tolerant cabinet: notes only
check_eq "quotes missing" "79" "$(code ruioo.quote.missing)"
check_eq "whitespace as typeset" "81" "$(code ruioo.whitespace)"
check_eq "typographic quotes" "83" "$(code ruioo.quote.typographic)"
check_eq "lower-case hex CRC" "79 81 83 85 87 89 91 93 97 99" "$(code ruioo.crc.lowercase)"
check_eq "lower-case command word" "87" "$(code ruioo.word.lowercase)"
check_eq "; as separators" "87" "$(code ruioo.separator.noncanonical)"
check_eq "LF only, and a frame without its line end" "87 93" "$(code ruioo.eol.noncanonical)"
check_eq "the line end in a segment of its own" "95" "$(code ruioo.eol.detached)"
check_eq "slot with a leading zero" "89" "$(code ruioo.slot.padded)"
check_eq "dotless status record" "93" "$(code ruioo.aq.dotless)"
check_eq "CRC without leading zeros" "97" "$(code ruioo.crc.unpadded)"
check_eq "the tolerant cabinet: nothing worse than a note" "" \
    "$(cs_tshark -r "$F" -2 -Y 'tcp.port == 41002 && ruioo && (_ws.expert.severity >= 6291456)' -T fields -e frame.number)"
check_eq "the tolerant cabinet's CRC: XMODEM up to the separator" "10" \
    "$(pdus "$F" ruioo.crc.variant -Y 'tcp.port == 41002 && ruioo.crc.variant == "xmodem" && ruioo.crc.coverage == "imei" && ruioo.crc.status == 1')"
# a cabinet with a bad check digit whose CRC matches nothing
check_eq "bad Luhn digit" "107 109 111" "$(code ruioo.imei.luhn)"
check_eq "CRC matching nothing: unverified, never bad" "107 109 111" "$(frames "$F" -Y 'ruioo.crc.status == 2')"
# mid-stream: a 16-digit IMEI, a report whose request predates the capture, a switch of CRC
check_eq "16-digit IMEI" "116 118 120 122" "$(code ruioo.imei.length)"
check_eq "mid-stream: the report is not out of flow" "" "$(frames "$F" -2 -Y 'tcp.port == 41004 && ruioo.flow.unexpected')"
check_eq "the CRC combination changes" "120" "$(code ruioo.crc.changed)"
check_eq "...and is learned again" "3,3,6,6" \
    "$(cs_tshark -r "$F" -Y 'tcp.port == 41004 && ruioo' -T fields -e ruioo.crc.variant | tr '\n' ',' | sed 's/,$//')"
all=$(cs_tshark -r "$F" -2 -q -z expert,note | awk '/Ruioo/ {n += $1} END {print n + 0}')
check_eq "no other Ruioo expert items" 57 "$all"

# ---- chargecap agrees, frame by frame ---------------------------------------------------
# chargecap -m: "frame time #session proto direction info[ [bad checksum]]"
cc_msgs() {
    { "$CHARGECAP" -m "$1" || true; } | awk '$3 ~ /^#/ && $4 == "ruioo" {
        f = $1; d = $5; bad = sub(/ \[bad checksum\]$/, "");
        info = $0; sub(/^ *[0-9]+ [^ ]+ #[0-9]+ ruioo +[a-z_]+ +/, "", info);
        print f "\t" d "\t" bad "\t" info }'
}
for cap in "$S" "$F"; do
    name=$(basename "$cap")
    ccm=$(cc_msgs "$cap")
    ws_info=$(cs_tshark -r "$cap" -Y ruioo -T fields -e frame.number -e _ws.col.Info)
    cc_info=$(printf '%s\n' "$ccm" | awk -F'\t' '{ if ($1 == f) s = s " | " $4; else { if (f != "") print f "\t" s; f = $1; s = $4 } } END { print f "\t" s }')
    check_eq "$name: chargecap's Info per frame is the plugin's" "$ws_info" "$cc_info"
    ws_dir=$(cs_tshark -r "$cap" -Y ruioo.direction -T fields -e frame.number -e ruioo.direction)
    cc_dir=$(printf '%s\n' "$ccm" | awk -F'\t' '$2 != "unknown" { d = $2 == "to_server" ? 1 : 2; if ($1 == f) s = s "," d; else { if (f != "") print f "\t" s; f = $1; s = d } } END { print f "\t" s }')
    check_eq "$name: chargecap's directions are the plugin's" "$ws_dir" "$cc_dir"
    check_eq "$name: chargecap's bad CRCs are the plugin's" \
        "$(frames "$cap" -2 -Y 'ruioo.crc.status == 0')" \
        "$(printf '%s\n' "$ccm" | awk -F'\t' '$3 == 1 {print $1}' | uniq | tr '\n' ' ' | sed 's/ $//')"
    report=$("$CHARGECAP" "$cap" || true)
    ck=$(printf '%s\n' "$report" | sed -n 's/.*checksums: \([0-9]*\) good, \([0-9]*\) bad, \([0-9]*\) unverified, \([0-9]*\) absent/\1 \2 \3 \4/p')
    st=$(vals "$cap" ruioo.crc.status -2)
    ws_ck="$(grep -cx 1 <<< "$st" || true) $(grep -cx 0 <<< "$st" || true) $(grep -cx 2 <<< "$st" || true) $(grep -cx 3 <<< "$st" || true)"
    check_eq "$name: CRC verdict totals agree" "$ws_ck" "$ck"
    # every code: as many times in both, chargecap's first frames among the plugin's
    wsx=$(ws_codes "$cap")
    ccv=$(printf '%s\n' "$report" | awk '/^  violations:/ {v = 1; next} v && $1 ~ /^ruioo\./ {print}')
    check_eq "$name: the same codes" "$(printf '%s\n' "$wsx" | awk 'NF {print $1}' | sort -u)" \
        "$(printf '%s\n' "$ccv" | awk 'NF {print $1}' | sort -u)"
    while read -r c sev count _ rest; do
        [ -n "$c" ] || continue
        check_eq "$name: $c as often" "$count" "$(printf '%s\n' "$wsx" | awk -v c="$c" '$1 == c' | wc -l)"
        for fr in ${rest//.../}; do
            grep -x "$c $fr" <<< "$wsx" > /dev/null || fail "$name: chargecap reports $c on frame $fr, the plugin does not"
        done
    done <<< "$ccv"
done
check_eq "the faults capture raises every Ruioo code" "$(tr ' ' '\n' <<< "$CODES" | grep . | sort)" \
    "$(printf '%s\n' "$FX" | awk '{print $1}' | sort -u)"

# ---- statistics ------------------------------------------------------------------------------
stats=$(cs_tshark -r "$S" -q -z ruioo,tree)
check_eq "stats: messages" 1 "$(printf '%s\n' "$stats" | grep -c '^Messages by command and direction  *48 ')"
check_eq "stats: heartbeats" 1 "$(printf '%s\n' "$stats" | grep -c '^ CH: Heartbeat (0x01)  *8 ')"
check_eq "stats: checksum verdicts" 1 "$(printf '%s\n' "$stats" | grep -c '^ Good  *48 ')"
check_eq "stats: return check answers" 2 "$(printf '%s\n' "$stats" | grep -c 'Belongs to the system (6)  *4 \|Does not belong to the system (7)  *2 ')"
check_done
