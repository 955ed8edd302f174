#!/usr/bin/env bash
# tshark with the plugin on the EV pile samples: field values, Info column,
# every expert code on its exact frames, desegmentation on and off,
# two-pass request tracking, statistics, and the three ways to find it.
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup
S=$(cs_input "$CS_SRC/samples/evpile-session.pcap")
F=$(cs_input "$CS_SRC/samples/evpile-faults.pcap")

# frames carrying a match, as one space-separated line
frames() { cs_tshark -r "$1" "${@:2}" -T fields -e frame.number | tr '\n' ' ' | sed 's/ $//'; }
# values of one field over the frames matching a filter, one line
values() { cs_tshark -r "$1" -Y "$2" -T fields -e "$3" | tr '\n' ' ' | sed 's/ $//'; }

# ---- the session ---------------------------------------------------------
info=$(cs_tshark -r "$S" -Y evpile -T fields -e frame.number -e evpile.direction -e _ws.col.Info)
check_golden evpile-session.info.txt "$info"
check_eq "PDUs in the session" 25 "$(cs_tshark -r "$S" -Y evpile -T fields -e evpile.cmd | tr ',' '\n' | grep -c .)"
check_eq "no EV pile expert item in the clean session" "" \
    "$(cs_tshark -r "$S" -2 -q -z expert,note | grep 'EV pile' || true)"
check_eq "every PDU has an Info summary" "" \
    "$(printf '%s\n' "$info" | awk -F'\t' '$3 == "" || $3 ~ /unknown|reply$|short|truncated/')"
check_eq "the seed's login shows its BCD time" "2017-11-10 14:46:30" \
    "$(values "$S" 'evpile.cmd == 0x02 && evpile.type == 2' evpile.login.time)"
check_eq "the login time filters as text" "5" "$(frames "$S" -Y 'evpile.login.time == "2017-11-10 14:46:30"')"
check_eq "Info of the login" "Login 01122334 2017-11-10 14:46:30" \
    "$(values "$S" 'frame.number == 5' _ws.col.Info)"
check_eq "len, cmd, src, type and the terminal on every PDU" "25 25 25 25 25" \
    "$(for f in evpile.len evpile.cmd evpile.src evpile.type evpile.terminal; do
           cs_tshark -r "$S" -Y evpile -T fields -e $f | tr ',' '\n' | grep -c .; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "the terminal as 8 digits" 25 \
    "$(cs_tshark -r "$S" -Y 'evpile.terminal == "01122334"' -T fields -e evpile.terminal | tr ',' '\n' | grep -c .)"
check_eq "the length counts total - 2" "46 15" \
    "$(values "$S" 'frame.number == 5 || frame.number == 11' evpile.len)"
check_eq "source and type bytes" "0x10,0x02 0x00,0x01 0x01,0x00" \
    "$(cs_tshark -r "$S" -Y 'frame.number in {5, 7, 37}' -T fields -e evpile.src -e evpile.type | tr '\t' ',' | tr '\n' ' ' | sed 's/ $//')"
check_eq "source byte 0x01: low nibble 1, still the platform" "1	2" \
    "$(cs_tshark -r "$S" -Y evpile.src.low -T fields -e evpile.src.low -e evpile.direction)"
check_eq "the direction is declared by the source byte" 25 \
    "$(cs_tshark -r "$S" -Y evpile -O evpile | grep -c 'declared in the message')"
check_eq "time sync" "2017-11-10 14:46:49" "$(values "$S" evpile.timesync.time evpile.timesync.time)"
check_eq "card reply: card, balance, result, reference" "0000000012345678	11000	0	1224" \
    "$(cs_tshark -r "$S" -Y evpile.card.balance -T fields -e evpile.card -e evpile.card.balance -e evpile.result -e evpile.card.ref)"
check_eq "heartbeat period and counter" "30 30 30 30|1 1 1 1" \
    "$(values "$S" evpile.heartbeat.period evpile.heartbeat.period)|$(values "$S" evpile.heartbeat.period evpile.heartbeat.counter)"
check_eq "heartbeats 30 s apart (the first after the login, which ends 0.2 ms after its first segment)" "29.999800000 30.000000000 30.000000000 30.000000000" \
    "$(values "$S" evpile.heartbeat.gap evpile.heartbeat.gap)"
check_eq "point and item counts" "42 23 23 44|42 20 23 23 23 44" \
    "$(values "$S" evpile.points.count evpile.points.count)|$(values "$S" evpile.tlvs.count evpile.tlvs.count)"
check_eq "tariff periods: prices and start hours" \
    "220,220,220,220,220,220,220,220,220,220,0,1,2,3,4,6,13,19,22,23" \
    "$(values "$S" 'evpile.cmd == 0x05' evpile.tlv.value)"
check_eq "bill: card, order number, times" "0000000012345678,10150353	2017-11-10 15:03:44,2017-11-10 15:03:54" \
    "$(cs_tshark -r "$S" -Y 'evpile.cmd == 0x06 && evpile.type == 2' -T fields -e evpile.tlv.string -e evpile.tlv.time)"
check_eq "bill: the \"000\" after the card number's NUL is shown" "303030" \
    "$(values "$S" 'evpile.cmd == 0x06 && evpile.type == 2' evpile.after_nul)"
check_eq "bill: 0x0117 as 20 words" 20 \
    "$(values "$S" 'evpile.cmd == 0x06' evpile.tlv.word | tr ',' '\n' | grep -c .)"
check_eq "bill confirmation" "23	1224	2	0" \
    "$(cs_tshark -r "$S" -Y evpile.bill_ack.count -T fields -e evpile.bill_ack.count -e evpile.bill_ack.ref -e evpile.bill_ack.value -e evpile.bill_ack.result)"
check_eq "terminal point 0x10 has 2 bytes in reply #1 and 4 in reply #2 (in-band lengths)" "2 4" \
    "$(cs_tshark -r "$S" -Y 'evpile.cmd == 0x04 && evpile.tlvs' -T fields -e evpile.tlv.addr -e evpile.tlv.len |
       awk -F'\t' '{n = split($1, a, ","); split($2, l, ","); for (i = 1; i <= n; i++) if (a[i] == "0x0010") print l[i]}' | paste -sd' ')"
check_eq "checksums verified on every PDU" 25 \
    "$(cs_tshark -r "$S" -Y 'evpile.checksum.status == 1' -T fields -e evpile.checksum.status | tr ',' '\n' | grep -c .)"
check_eq "no bad checksum in the session" "" "$(frames "$S" -Y 'evpile.checksum.status == 0')"
check_eq "several PDUs in one segment" "41 43" "$(frames "$S" -Y 'count(evpile.cmd) == 2')"
check_eq "the login over two segments" "5" "$(frames "$S" -Y 'evpile.login.time && tcp.reassembled.length')"
check_eq "the parameter reply over three segments (100 + 100 + 76)" "17" \
    "$(frames "$S" -Y 'evpile.tlvs && tcp.reassembled.length == 276')"
tree=$(cs_tshark -r "$S" -2 -Y 'frame.number in {5, 27, 41, 47}' -O evpile | awk '/^EV charging pile/ {p = 1} /^Frame / {p = 0} p')
check_golden evpile-session.tree.txt "$tree"

# ---- two passes: request/response links -----------------------------------
links=$(cs_tshark -r "$S" -2 -Y evpile -T fields -e frame.number -e evpile.request_in -e evpile.response_in)
check_golden evpile-session.links.txt "$links"
check_eq "every request answered (rates need no answer)" "" "$(frames "$S" -2 -Y evpile.request.unanswered)"
check_eq "set rates has no response and is not unanswered" "19	" \
    "$(cs_tshark -r "$S" -2 -Y 'evpile.cmd == 0x05' -T fields -e frame.number -e evpile.response_in)"
check_eq "response_in only in two-pass mode" "" "$(frames "$S" -Y evpile.response_in)"
check_eq "login answered in frame 7" "7" "$(cs_tshark -r "$S" -2 -Y 'frame.number == 5' -T fields -e evpile.response_in)"
check_eq "pile-initiated pairs: card auth, bill" "27 43" \
    "$(cs_tshark -r "$S" -2 -Y 'frame.number in {25, 41}' -T fields -e evpile.response_in | tr ',' '\n' | sort -u | grep -v '^$' | tr '\n' ' ' | sed 's/ $//')"
check_eq "platform-initiated pairs: parameters, real time" "13 29 37 45" \
    "$(cs_tshark -r "$S" -2 -Y 'evpile.type == 1 && evpile.tlvs' -T fields -e evpile.request_in | tr '\n' ' ' | sed 's/ $//')"
check_eq "login response time" "5	0.060400000" \
    "$(cs_tshark -r "$S" -2 -Y 'frame.number == 7' -T fields -e evpile.request_in -e evpile.response_time)"

# ---- desegmentation off --------------------------------------------------------
nodeseg=$(cs_tshark -r "$S" -o evpile.desegment:FALSE -Y evpile -T fields -e frame.number -e _ws.col.Info)
check_golden evpile-session.nodesegment.txt "$nodeseg"
check_eq "without reassembly split PDUs are cut short" "4 15" \
    "$(frames "$S" -o evpile.desegment:FALSE -Y evpile.len.truncated)"
check_eq "and their continuations are garbage" "5 16 17" \
    "$(frames "$S" -o evpile.desegment:FALSE -Y evpile.garbage)"
check_eq "a cut PDU has no checksum verdict" "" \
    "$(frames "$S" -o evpile.desegment:FALSE -Y 'evpile.len.truncated && evpile.checksum')"

# ---- the faults capture --------------------------------------------------------
finfo=$(cs_tshark -r "$F" -2 -Y evpile -T fields -e frame.number -e evpile.direction -e _ws.col.Info)
check_golden evpile-faults.info.txt "$finfo"
check_eq "exactly the bad-sum frame (the seed's #5)" "8" "$(frames "$F" -Y 'evpile.checksum.status == 0')"
check_eq "its stated and computed sums" "0x00000c0e" "$(values "$F" 'evpile.checksum.status == 0' evpile.checksum)"
check_eq "evpile.checksum.bad" "8" "$(frames "$F" -Y evpile.checksum.bad)"
check_eq "evpile.checksum.bad: its reply pairs" "8" "$(values "$F" 'frame.number == 10' evpile.request_in)"
check_eq "evpile.garbage" "12" "$(frames "$F" -Y evpile.garbage)"
check_eq "garbage bytes shown" "deadbeef75720100" "$(values "$F" evpile.garbage.data evpile.garbage.data)"
check_eq "resynchronised after the garbage" "Heartbeat, period 30 s" \
    "$(values "$F" 'frame.number == 12' _ws.col.Info | sed 's/.*| //')"
check_eq "evpile.end.missing" "14" "$(frames "$F" -Y evpile.end.missing)"
check_eq "evpile.len.mismatch (and the padding after the frame)" "16|0000" \
    "$(frames "$F" -Y evpile.len.mismatch)|$(values "$F" evpile.len.mismatch evpile.trailing)"
check_eq "evpile.cmd.unknown" "20" "$(frames "$F" -Y evpile.cmd.unknown)"
check_eq "evpile.time.invalid" "22" "$(frames "$F" -Y evpile.time.invalid)"
check_eq "evpile.list.overrun (TLV value, point list)" "28 30" "$(frames "$F" -Y evpile.list.overrun)"
check_eq "evpile.list.count_mismatch" "36" "$(frames "$F" -Y evpile.list.count_mismatch)"
check_eq "evpile.points.mismatch" "40" "$(frames "$F" -Y evpile.points.mismatch)"
check_eq "evpile.data.short" "42" "$(frames "$F" -Y evpile.data.short)"
check_eq "evpile.heartbeat.late" "46" "$(frames "$F" -Y evpile.heartbeat.late)"
check_eq "late by 65 s against 30 s announced" "65.000000000	30" \
    "$(cs_tshark -r "$F" -Y evpile.heartbeat.late -T fields -e evpile.heartbeat.gap -e evpile.heartbeat.expected)"
check_eq "no late heartbeat with a 45 s preference and the announcement ignored" "" \
    "$(frames "$F" -o evpile.heartbeat_announced:FALSE -o evpile.heartbeat_interval:45 -Y evpile.heartbeat.late)"
check_eq "evpile.data.trailing" "48" "$(frames "$F" -Y evpile.data.trailing)"
check_eq "evpile.type.unknown" "50" "$(frames "$F" -Y evpile.type.unknown)"
check_eq "evpile.type.unexpected" "52" "$(frames "$F" -Y evpile.type.unexpected)"
check_eq "evpile.direction.mismatch" "52" "$(frames "$F" -Y evpile.direction.mismatch)"
check_eq "evpile.src.unknown (handshake, mid-stream)" "56 75" "$(frames "$F" -Y evpile.src.unknown)"
check_eq "evpile.response.unsolicited" "60" "$(frames "$F" -Y evpile.response.unsolicited)"
check_eq "evpile.request.unanswered (two passes; rates in 62 exempt)" "64" \
    "$(frames "$F" -2 -Y evpile.request.unanswered)"
check_eq "no unanswered verdict in one pass" "" "$(frames "$F" -Y evpile.request.unanswered)"
check_eq "evpile.len.truncated (without reassembly: the heartbeat cut by the close)" "66" \
    "$(frames "$F" -o evpile.desegment:FALSE -Y evpile.len.truncated)"
check_eq "checksum verification can be turned off" "" \
    "$(frames "$F" -o evpile.verify_checksum:FALSE -Y 'evpile.checksum.status == 0 || evpile.checksum.bad')"
check_eq "mid-stream: directions declared, then learned for source 0x30" \
    "Pile to platform (declared in the message)|Pile to platform (learned from this endpoint's earlier messages)" \
    "$(cs_tshark -r "$F" -Y 'frame.number in {71, 75}' -O evpile | grep -o 'Direction: [^]]*' | sed 's/Direction: //' | paste -sd'|')"
all=$(cs_tshark -r "$F" -2 -q -z expert,note | awk '/EV pile/ {n += $1} END {print n + 0}')
check_eq "no other EV pile expert items" 20 "$all"

# ---- statistics ------------------------------------------------------------------
stats=$(cs_tshark -r "$S" -q -z evpile,tree)
check_eq "stats: messages" 1 "$(printf '%s\n' "$stats" | grep -c '^Messages by command and direction  *25 ')"
check_eq "stats: heartbeats each way" 2 "$(printf '%s\n' "$stats" | grep -A2 'Heartbeat (0x01)  *8 ' | grep -c ' to .*  4 ')"
check_eq "stats: set rates one way" 1 "$(printf '%s\n' "$stats" | grep -A1 'Set rates (0x05)  *1 ' | grep -c 'Server to device  *1 ')"
check_eq "stats: checksum verdicts" 1 "$(printf '%s\n' "$stats" | grep -c '^ Good  *25 ')"
check_eq "stats: result codes of login, heartbeat, bill, time sync, card" 5 \
    "$(printf '%s\n' "$stats" | grep -c '^  Result ([01]) ')"

# ---- finding the protocol: heuristic, port preference, Decode As ---------------
n() { cs_tshark -r "$S" "$@" -Y evpile | wc -l; }
check_eq "found by its heuristic" 23 "$(n)"
check_eq "heuristic evpile_tcp can be disabled" 0 "$(n --disable-heuristic evpile_tcp)"
check_eq "the evpile.tcp.port preference" 23 "$(n --disable-heuristic evpile_tcp -o evpile.tcp.port:8602)"
check_eq "Decode As" 23 "$(n --disable-heuristic evpile_tcp -d tcp.port==8602,evpile)"
check_eq "no port by default" 0 "$(n --disable-heuristic evpile_tcp -o evpile.tcp.port:9999)"
check_done
