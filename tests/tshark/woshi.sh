#!/usr/bin/env bash
# tshark with the plugin on the Woshi samples: field values, Info column,
# expert items, desegmentation on and off, and two-pass request tracking.
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup
S=$(cs_input "$CS_SRC/samples/woshi-session.pcap")
F=$(cs_input "$CS_SRC/samples/woshi-faults.pcap")

# frames carrying a match, as one space-separated line
frames() { cs_tshark -r "$1" "${@:2}" -T fields -e frame.number | tr '\n' ' ' | sed 's/ $//'; }

# ---- the session ---------------------------------------------------------
info=$(cs_tshark -r "$S" -Y woshi -T fields -e frame.number -e woshi.direction -e _ws.col.Info)
check_golden woshi-session.info.txt "$info"
check_eq "PDUs in the session" 46 "$(cs_tshark -r "$S" -Y woshi -T fields -e woshi.cmd | tr ',' '\n' | grep -c .)"
check_eq "no Woshi expert item in the clean session" "" \
    "$(cs_tshark -r "$S" -2 -q -z expert,note | grep -i woshi || true)"
check_eq "every PDU has an Info summary" "" \
    "$(printf '%s\n' "$info" | awk -F'\t' '$3 == "" || $3 ~ /direction unknown/')"
check_eq "login fields" "SMBH081908490256	0x55667788	0x0233	17" \
    "$(cs_tshark -r "$S" -Y 'woshi.cmd == 0x60 && woshi.box_id' -T fields -e woshi.box_id -e woshi.rand -e woshi.magic -e woshi.box_id.len)"
check_eq "login result" "1" "$(cs_tshark -r "$S" -Y 'woshi.cmd == 0x60 && woshi.result' -T fields -e woshi.result)"
check_eq "inventory terminal IDs, slots and levels" \
    "2,3,4	SMBH98001922,SMBH98001923,SMBH98001977	4,3,2" \
    "$(cs_tshark -r "$S" -Y 'woshi.remain_num' -T fields -e woshi.slot -e woshi.terminal_id -e woshi.level)"
check_eq "software version and ICCID" "A.09.01.06 89860401101770982839" \
    "$(cs_tshark -r "$S" -Y 'woshi.soft_ver || woshi.iccid' -T fields -e woshi.soft_ver -e woshi.iccid | tr -s '\t\n' ' ' | sed 's/^ //;s/ $//')"
check_eq "network info" "23	0	7
21	0	7" "$(cs_tshark -r "$S" -Y woshi.csq -T fields -e woshi.csq -e woshi.ser -e woshi.net_mode)"
check_eq "server address" "x.powerpower.net	8992	30" \
    "$(cs_tshark -r "$S" -Y 'woshi.cmd == 0x6a && woshi.address' -T fields -e woshi.address -e woshi.port -e woshi.heartbeat)"
check_eq "FTP upgrade" "121.41.60.232	21	33.bin	share	share345@123" \
    "$(cs_tshark -r "$S" -Y woshi.ftp.address -T fields -e woshi.ftp.address -e woshi.ftp.port -e woshi.ftp.file_name -e woshi.ftp.username -e woshi.ftp.password)"
check_eq "the direction comes from the handshake" "46" \
    "$(cs_tshark -r "$S" -Y woshi -O woshi | grep -c 'from the TCP handshake')"
check_eq "token and VSN on every PDU" "46 46" \
    "$(cs_tshark -r "$S" -Y 'woshi.token == 0x11223344 && woshi.vsn == 1' -T fields -e woshi.token | tr ',' '\n' | grep -c . ) $(cs_tshark -r "$S" -Y woshi -T fields -e woshi.vsn | tr ',' '\n' | grep -c .)"
check_eq "several PDUs in one segment" "80 82" "$(frames "$S" -Y 'count(woshi.cmd) == 2')"
check_eq "a PDU over three segments (inventory: 5 + 9 + rest)" "13" \
    "$(frames "$S" -Y 'woshi.remain_num && tcp.reassembled.length')"

# ---- two passes: request/response links -----------------------------------
links=$(cs_tshark -r "$S" -2 -Y woshi -T fields -e frame.number -e woshi.request_in -e woshi.response_in)
check_golden woshi-session.links.txt "$links"
check_eq "every request answered" "" "$(frames "$S" -2 -Y woshi.request.unanswered)"
check_eq "response_in only in two-pass mode" "" "$(frames "$S" -Y woshi.response_in)"
check_eq "login answered in frame 7" "7" "$(cs_tshark -r "$S" -2 -Y 'frame.number == 5' -T fields -e woshi.response_in)"
check_eq "login response time" "5	0.048400000" \
    "$(cs_tshark -r "$S" -2 -Y 'frame.number == 7' -T fields -e woshi.request_in -e woshi.response_time)"

# ---- desegmentation off ------------------------------------------------------
nodeseg=$(cs_tshark -r "$S" -o woshi.desegment:FALSE -Y woshi -T fields -e frame.number -e _ws.col.Info)
check_golden woshi-session.nodesegment.txt "$nodeseg"
# the PDUs split across segments (login 4, inventory 11, borrow reply 37,
# FTP upgrade 88; 13 and 89 are header look-alikes inside the rest of a cut
# PDU) are cut short
check_eq "without reassembly split PDUs are cut short" "4 11 13 37 88 89" \
    "$(frames "$S" -o woshi.desegment:FALSE -Y woshi.len.truncated)"

# ---- the faults capture --------------------------------------------------------
check_eq "bad checksums, both sides" "8 10" "$(frames "$F" -Y 'woshi.checksum.status == 0')"
check_eq "cabinet checksum fault" "10" "$(frames "$F" -Y woshi.checksum.bad)"
check_eq "server checksum habit" "8" "$(frames "$F" -Y woshi.checksum.server_habit)"
check_eq "unknown command" "16" "$(frames "$F" -Y woshi.cmd.unknown)"
check_eq "garbage between PDUs" "18" "$(frames "$F" -Y woshi.garbage)"
check_eq "garbage bytes shown" "deadbeeffffe" "$(cs_tshark -r "$F" -Y woshi.garbage.data -T fields -e woshi.garbage.data)"
check_eq "resynchronised after the garbage" "Query SW version" \
    "$(cs_tshark -r "$F" -Y 'frame.number == 18' -T fields -e _ws.col.Info | sed 's/.*| //')"
check_eq "payload too short" "24" "$(frames "$F" -Y woshi.payload.short)"
check_eq "late heartbeat" "26" "$(frames "$F" -Y woshi.heartbeat.late)"
check_eq "unanswered request (two passes)" "30" "$(frames "$F" -2 -Y woshi.request.unanswered)"
check_eq "no unanswered verdict in one pass" "" "$(frames "$F" -Y woshi.request.unanswered)"
check_eq "command before login" "48" "$(frames "$F" -Y woshi.login.missing)"
check_eq "non-BCD terminal ID" "48" "$(frames "$F" -Y woshi.terminal_id.not_bcd)"
check_eq "ASCII token from the server" "50" "$(frames "$F" -Y woshi.token.ascii)"
check_eq "mid-stream session decoded" "37 39 41 43" "$(frames "$F" -Y 'woshi && ip.src == 10.20.0.32 || woshi && ip.dst == 10.20.0.32')"
check_eq "mid-stream directions guessed from ports" "4" \
    "$(cs_tshark -r "$F" -Y 'woshi && tcp.port == 50002' -O woshi | grep -c 'Direction: \(Cabinet\|Server\).*\(lower port\|payload shape\|learned\)')"
all=$(cs_tshark -r "$F" -2 -q -z expert,note | awk '/Woshi/ {n += $1} END {print n + 0}')
check_eq "no other Woshi expert items" 10 "$all"

# ---- statistics ------------------------------------------------------------------
stats=$(cs_tshark -r "$S" -q -z woshi,tree)
check_eq "stats: messages" 1 "$(printf '%s\n' "$stats" | grep -c '^Messages by command and direction  *46 ')"
check_eq "stats: heartbeats each way" 2 "$(printf '%s\n' "$stats" | grep -A2 'Heartbeat (0x61)  *16 ' | grep -c ' to .*  8 ')"
check_eq "stats: checksum verdicts" 1 "$(printf '%s\n' "$stats" | grep -c '^ Good  *46 ')"
check_eq "stats: result codes (login, borrow, return, volume, eject)" 5 "$(printf '%s\n' "$stats" | grep -c 'Success (1)')"
check_done
