#!/usr/bin/env bash
# tshark with the plugin on the AI-Cloud samples: the Info column, the
# "Unescaped frame" data source, field values read from the unescaped
# bytes, CRC variants and verdicts, every expert code on its exact frames,
# both dialects, UDP P2P, request tracking, and how the protocol is found
# (heuristics, port preferences, Decode As) on TCP and UDP.
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup
S=$(cs_input "$CS_SRC/samples/aicloud-session.pcap")
U=$(cs_input "$CS_SRC/samples/aicloud-p2p.pcap")
F=$(cs_input "$CS_SRC/samples/aicloud-field.pcap")
X=$(cs_input "$CS_SRC/samples/aicloud-faults.pcap")

# frames carrying a match, as one space-separated line
frames() { cs_tshark -r "$1" "${@:2}" -T fields -e frame.number | tr '\n' ' ' | sed 's/ $//'; }
# the values of a field over a capture, one line, comma-separated PDUs split
values() { cs_tshark -r "$1" "${@:3}" -T fields -e "$2" | tr ',\n' '  ' | tr -s ' ' | sed 's/^ //;s/ $//'; echo; }

# ---- the session (documented form, CRC-16/MODBUS) --------------------------------------
info=$(cs_tshark -r "$S" -Y aicloud -T fields -e frame.number -e aicloud.direction -e aicloud.crc.variant -e _ws.col.Info)
check_golden aicloud-session.info.txt "$info"
check_eq "PDUs in the session" 62 "$(values "$S" aicloud.cmd -Y aicloud | wc -w)"
check_eq "no AI-Cloud expert item in the clean session" "" \
    "$(cs_tshark -r "$S" -2 -q -z expert,note | grep -i 'AI-Cloud' || true)"
check_eq "every PDU has an Info summary" "" \
    "$(printf '%s\n' "$info" | awk -F'\t' '$4 == ""')"
check_eq "Info: the login" "Login dev 0000ACCF23FED24A" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 5' -T fields -e _ws.col.Info)"
check_eq "Info: a configuration read" "Read config heartbeat interval → 30 s" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 11' -T fields -e _ws.col.Info)"
# the Unescaped frame data source, and fields read from it
hexdump=$(cs_tshark -r "$S" -Y 'frame.number == 7' -x)
check_eq "the Unescaped frame data source" 1 "$(printf '%s\n' "$hexdump" | grep -c '^Unescaped frame (38 bytes):$')"
check_eq "its bytes: the token's 54 01 54 02 are 55 54 again" 1 \
    "$(printf '%s\n' "$hexdump" | grep -c '^0010  d2 4a 08 55 54 35 41 39 51 4b 32 55 54 35 41 39')"
check_eq "token fields come from the unescaped bytes" "5554354139514b32	5554354139514b32	8" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 7' -T fields -e aicloud.token -e aicloud.login.token -e aicloud.token.len)"
check_eq "login: no token, the password, dialect and sizes" "0000ACCF23FED24A		123456789abcdef0	1	29	29" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 5' -T fields -e aicloud.device_id -e aicloud.token -e aicloud.login.password -e aicloud.dialect -e aicloud.len -e aicloud.wire_len)"
check_eq "configuration values" "30 20 HW1.0 SW2.3.1 BL1.1 9001 9002 1 0 cloud.ai-thinker.com 198.51.100.21 114.114.114.114 5 2024 5 18 6 10 10" \
    "$(for f in aicloud.param.heartbeat aicloud.param.version.hardware aicloud.param.version.software aicloud.param.version.bootloader aicloud.param.server.port aicloud.param.server.transport aicloud.param.server.host aicloud.param.dns aicloud.param.send_wait aicloud.param.rtc.year aicloud.param.rtc.month aicloud.param.rtc.day aicloud.param.rtc.weekday aicloud.param.write_timeout aicloud.param.read_timeout; do values "$S" $f -Y "$f"; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "escaped sequences 0x5454 and 0x5455 (server requests)" "25 29" \
    "$(frames "$S" -Y '(aicloud.seq == 0x5454 || aicloud.seq == 0x5455) && aicloud.status == 2')"
check_eq "a length of 0x55 (escaped as 54 01)" "53" "$(frames "$S" -Y 'aicloud.len == 0x55')"
check_eq "its wire size (40 escapes)" "125" "$(values "$S" aicloud.wire_len -Y 'aicloud.len == 0x55')"
check_eq "two frames in one segment" "77 79" "$(frames "$S" -Y 'count(aicloud.cmd) == 2')"
check_eq "a reply over three segments" "113" "$(frames "$S" -Y 'aicloud.payload && tcp.reassembled.length')"
check_eq "login cut in two segments, found by the heuristic" "5" "$(frames "$S" -Y 'aicloud.cmd == 0 && aicloud.status == 2 && tcp.reassembled.length')"
check_eq "group entries" "0000ACCF23FE0B1C 0000ACCF23FE5501 203.0.113.7 198.51.100.2 6001 6002" \
    "$(values "$S" aicloud.peer.device_id -Y 'aicloud.cmd == 0 && aicloud.class == 0xaa && aicloud.peer') $(values "$S" aicloud.peer.ip -Y 'aicloud.class == 0xaa && aicloud.peer') $(values "$S" aicloud.peer.port -Y 'aicloud.class == 0xaa && aicloud.peer')"
check_eq "P2P confirmation" "0000ACCF23FE0B1C 203.0.113.7 6001" \
    "$(cs_tshark -r "$S" -Y 'aicloud.command == 0xa055 && aicloud.peer' -T fields -e aicloud.peer.device_id -e aicloud.peer.ip -e aicloud.peer.port | tr '\t' ' ')"
check_eq "status event GBK text, escaped" '\xb9\xa4\xd7\xf7\xd5\xfd\xb3\xa3' \
    "$(cs_tshark -r "$S" -Y 'aicloud.event.code == 0x20' -T fields -e aicloud.event.text)"
check_eq "upgrade frame request" "0 256" "$(cs_tshark -r "$S" -Y aicloud.upgrade.frame_no -T fields -e aicloud.upgrade.frame_no -e aicloud.upgrade.frame_size | tr '\t' ' ')"
# CRC: every good frame names its variant; the collision frame
check_eq "every good CRC has a variant" \
    "$(frames "$S" -Y 'aicloud.crc.status == 1')" "$(frames "$S" -Y 'aicloud.crc.variant')"
check_eq "the session's variant is modbus" "2" "$(values "$S" aicloud.crc.variant -Y aicloud | tr ' ' '\n' | sort -u)"
check_eq "a frame two variants explain: the learned one decides" "65	modbus, x-25	2" \
    "$(cs_tshark -r "$S" -Y aicloud.crc.candidates -T fields -e frame.number -e aicloud.crc.candidates -e aicloud.crc.variant)"
check_eq "the same on the second pass" "65	2" \
    "$(cs_tshark -r "$S" -2 -Y aicloud.crc.candidates -T fields -e frame.number -e aicloud.crc.variant)"
check_eq "pinned to kermit: every frame bad" "0" \
    "$(cs_tshark -r "$S" -o aicloud.crc:kermit -Y 'aicloud.crc.status == 1' | wc -l)"
check_eq "pinned to modbus: every frame good" "$(frames "$S" -Y aicloud)" \
    "$(frames "$S" -o aicloud.crc:modbus -Y 'aicloud.crc.status == 1')"
# heartbeats judged against parameter 0x000C (30, then written 20)
check_eq "expected heartbeat interval" "20 20 20 20 20 20 20 20" "$(values "$S" aicloud.heartbeat.expected -Y aicloud.heartbeat.expected)"

# ---- two passes: request/reply links -----------------------------------------------------
links=$(cs_tshark -r "$S" -2 -Y aicloud -T fields -e frame.number -e aicloud.request_in -e aicloud.response_in)
check_golden aicloud-session.links.txt "$links"
check_eq "every request answered" "" "$(frames "$S" -2 -Y aicloud.request.unanswered)"
check_eq "response_in only in two-pass mode" "" "$(frames "$S" -Y aicloud.response_in)"
check_eq "login answered in frame 7" "7" "$(cs_tshark -r "$S" -2 -Y 'frame.number == 5' -T fields -e aicloud.response_in)"
check_eq "login reply time" "5	0.060400000" \
    "$(cs_tshark -r "$S" -2 -Y 'frame.number == 7' -T fields -e aicloud.request_in -e aicloud.response_time)"

# ---- desegmentation off: a cut frame's start is cut short, the rest garbage --------------
check_eq "without reassembly a cut frame's first segment is cut short" "4 111" \
    "$(frames "$S" -o aicloud.desegment:FALSE -Y 'aicloud && !aicloud.garbage && frame.number in {4, 111}')"
check_eq "without reassembly the rest of a cut frame is garbage" "5 112 113" \
    "$(frames "$S" -o aicloud.desegment:FALSE -Y aicloud.garbage)"

# ---- P2P over UDP (CRC-16/XMODEM) ----------------------------------------------------------
info=$(cs_tshark -r "$U" -Y aicloud -T fields -e frame.number -e aicloud.direction -e aicloud.crc.variant -e _ws.col.Info)
check_golden aicloud-p2p.info.txt "$info"
check_eq "UDP frames travel device to device" "3" "$(values "$U" aicloud.direction -Y 'aicloud && udp' | tr ' ' '\n' | sort -u)"
check_eq "xmodem throughout" "4" "$(values "$U" aicloud.crc.variant -Y aicloud | tr ' ' '\n' | sort -u)"
check_eq "two frames in one datagram" "11" "$(frames "$U" -Y 'count(aicloud.cmd) == 2')"
check_eq "P2P confirm: sender in the data, target in the header" "0000ACCF23FED24A	0000ACCF23FE0B1C" \
    "$(cs_tshark -r "$U" -Y 'frame.number == 8' -T fields -e aicloud.p2p.sender_id -e aicloud.device_id)"
links=$(cs_tshark -r "$U" -2 -Y aicloud -T fields -e frame.number -e aicloud.request_in -e aicloud.response_in)
check_golden aicloud-p2p.links.txt "$links"
check_eq "no AI-Cloud expert item in the P2P capture" "" \
    "$(cs_tshark -r "$U" -2 -q -z expert,note | grep -i 'AI-Cloud' || true)"

# ---- the field dialect (the field CRC variant) ----------------------------------------------
info=$(cs_tshark -r "$F" -Y aicloud -T fields -e frame.number -e aicloud.dialect -e aicloud.crc.variant -e _ws.col.Info)
check_golden aicloud-field.info.txt "$info"
check_eq "every frame in the field dialect" "2" "$(values "$F" aicloud.dialect -Y aicloud | tr ' ' '\n' | sort -u)"
check_eq "every frame with the field CRC" "1" "$(values "$F" aicloud.crc.variant -Y aicloud | tr ' ' '\n' | sort -u)"
check_eq "no AI-Cloud expert item in the field capture" "" \
    "$(cs_tshark -r "$F" -2 -q -z expert,note | grep -i 'AI-Cloud' || true)"
check_eq "the public server's example frame, byte for byte" \
    "552300a901ee35000000020000000c296163d34831494e7c2b2b333132333435 36c638aa" \
    "$(cs_tshark -r "$F" -Y 'frame.number == 13' -T fields -e tcp.payload | sed 's/^\(.\{64\}\)/\1 /')"
check_eq "its token and data" "4831494e7c2b2b33	313233343536" \
    "$(cs_tshark -r "$F" -Y 'frame.number == 13' -T fields -e aicloud.token -e aicloud.payload)"
check_eq "fixed token: no length byte" "" "$(frames "$F" -Y aicloud.token.len)"
check_eq "AA and A9 in the data, unescaped" "010600aa00a9a9aa" \
    "$(cs_tshark -r "$F" -Y 'aicloud.command == 0xaaff && aicloud.payload' -T fields -e aicloud.payload)"
check_eq "a length of 0xAA" "21" "$(frames "$F" -Y 'aicloud.len == 0xaa')"
check_eq "sequences 0xA9 and 0xAA" "25 27 29 31" "$(frames "$F" -Y 'aicloud.seq == 0xa9 || aicloud.seq == 0xaa')"
check_eq "a read answered with the value alone: the request's parameter" "31	0x000c	60" \
    "$(cs_tshark -r "$F" -Y aicloud.param.heartbeat -T fields -e frame.number -e aicloud.param.id -e aicloud.param.heartbeat)"
check_eq "the same on the second pass" "31	60" \
    "$(cs_tshark -r "$F" -2 -Y aicloud.param.heartbeat -T fields -e frame.number -e aicloud.param.heartbeat)"
check_eq "then heartbeats are judged against 60 s" "33 37" "$(frames "$F" -Y 'aicloud.heartbeat.expected == 60')"
check_eq "forced documented dialect: the field frames lose their tail" \
    "$(frames "$F" -Y aicloud)" "$(frames "$F" -o aicloud.dialect:documented -Y aicloud.tail.missing)"

# ---- the faults capture ------------------------------------------------------------------------
check_eq "corrupted CRCs, both dialects" "17 97" "$(frames "$X" -Y 'aicloud.crc.status == 0')"
expect() { # code, frames (two passes for the unanswered verdict)
    check_eq "$1" "$2" "$(frames "$X" -2 -Y "$1")"
}
expect aicloud.crc.bad "17 97"
expect aicloud.escape.bad "21 101"
expect aicloud.len.mismatch "25"
expect aicloud.len.escaped "29"
expect aicloud.tail.missing "33"
expect aicloud.frame.oversize "37"
expect aicloud.token.missing "41"
expect aicloud.class.unknown "45 47"
expect aicloud.cmd.unknown "49 51"
expect aicloud.data.short "53"
expect aicloud.garbage "57"
expect aicloud.data.trailing "57"
expect aicloud.param.unknown "61"
expect aicloud.string.unterminated "65"
expect aicloud.status.unknown "71"
expect aicloud.response.unsolicited "73"
expect aicloud.heartbeat.late "75"
expect aicloud.request.unanswered "33 79"
expect aicloud.token.unexpected "87"
expect aicloud.head.missing ""
expect aicloud.frame.truncated ""
check_eq "no unanswered verdict in one pass" "" "$(frames "$X" -Y aicloud.request.unanswered)"
all=$(cs_tshark -r "$X" -2 -q -z expert,note | awk '/AI-Cloud/ {n += $1} END {print n + 0}')
check_eq "no other AI-Cloud expert items" 24 "$all"
check_eq "garbage bytes shown" "deadbeef0001" "$(cs_tshark -r "$X" -Y aicloud.garbage.data -T fields -e aicloud.garbage.data)"
check_eq "resynchronised after the garbage" "Read config heartbeat interval" \
    "$(cs_tshark -r "$X" -Y 'frame.number == 57' -T fields -e _ws.col.Info | sed 's/.*| //')"
check_eq "the frame after the cut one" "Heartbeat dev 0000ACCF23FE0001" \
    "$(cs_tshark -r "$X" -Y 'frame.number == 33' -T fields -e _ws.col.Info | sed 's/.*| //')"
check_eq "the bad escape points at the wire bytes" "54 07" \
    "$(cs_tshark -r "$X" -Y 'frame.number == 21' -x | grep -o '54 07' | head -1)"
check_eq "each remaining CRC variant" "111 3 121 5 131 6 141 7" \
    "$(cs_tshark -r "$X" -Y 'frame.number > 110 && aicloud.crc.variant && aicloud.status == 2' -T fields -e frame.number -e aicloud.crc.variant | tr '\t\n' '  ' | sed 's/ $//')"
check_eq "all seven variants across the samples" "1 2 3 4 5 6 7" \
    "$(for c in "$S" "$U" "$F" "$X"; do values "$c" aicloud.crc.variant -Y aicloud.crc.variant; done | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"
# chargecap agrees with Wireshark on every code and frame
cc=$("$CHARGECAP" "$CS_SRC/samples/aicloud-faults.pcap" || true)
for line in "crc.bad 17 97" "escape.bad 21 101" "len.mismatch 25" "len.escaped 29" "tail.missing 33" \
    "frame.oversize 37" "token.missing 41" "class.unknown 45 47" "cmd.unknown 49 51" "data.short 53" \
    "garbage 57" "data.trailing 57" "param.unknown 61" "string.unterminated 65" "status.unknown 71" \
    "response.unsolicited 73" "heartbeat.late 75" "request.unanswered 33 79" "token.unexpected 87"; do
    set -- $line
    code=$1
    shift
    check_eq "chargecap: aicloud.$code" "$*" \
        "$(printf '%s\n' "$cc" | awk -v c="aicloud.$code" '$1 == c {for (i = 5; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "")}')"
done

# ---- statistics ------------------------------------------------------------------------------------
stats=$(cs_tshark -r "$S" -q -z aicloud,tree)
check_eq "stats: messages" 1 "$(printf '%s\n' "$stats" | grep -c '^Messages by command and direction  *62 ')"
check_eq "stats: heartbeats each way" 2 "$(printf '%s\n' "$stats" | grep -A2 'Heartbeat (0xA001)  *16 ' | grep -c ' to .*  8 ')"
check_eq "stats: CRC verdicts" 1 "$(printf '%s\n' "$stats" | grep -c '^ Good  *62 ')"
check_eq "stats: reply statuses" 1 "$(printf '%s\n' "$stats" | grep -c '^ Read configuration (0xF0AA)  *9 ')"

# ---- how the protocol is found -----------------------------------------------------------------------
n() { cs_tshark -r "$1" "${@:2}" -Y aicloud | wc -l; }
check_eq "TCP: found by its heuristic" 60 "$(n "$S")"
check_eq "TCP: heuristic aicloud_tcp can be disabled" 0 "$(n "$S" --disable-heuristic aicloud_tcp)"
check_eq "TCP: the aicloud.tcp.port preference" 60 "$(n "$S" --disable-heuristic aicloud_tcp -o aicloud.tcp.port:9001)"
check_eq "TCP: Decode As" 60 "$(n "$S" --disable-heuristic aicloud_tcp -d tcp.port==9001,aicloud)"
check_eq "TCP: no port by default" 0 "$(n "$S" --disable-heuristic aicloud_tcp -o aicloud.tcp.port:9999)"
nu() { cs_tshark -r "$U" "$@" -Y 'aicloud && udp' | wc -l; }
check_eq "UDP: found by its heuristic" 11 "$(nu)"
check_eq "UDP: heuristic aicloud_udp can be disabled" 0 "$(nu --disable-heuristic aicloud_udp)"
check_eq "UDP: the aicloud.udp.port preference" 11 "$(nu --disable-heuristic aicloud_udp -o aicloud.udp.port:6001)"
check_eq "UDP: Decode As" 11 "$(nu --disable-heuristic aicloud_udp -d udp.port==6001,aicloud)"
check_eq "UDP: no port by default" 0 "$(nu --disable-heuristic aicloud_udp -o aicloud.udp.port:7000)"
check_done
