#!/usr/bin/env bash
# tshark with the plugin on the dEpGate samples: registration (port 8003,
# heuristic, Decode As), field values, named points, the Info column, the
# exact frame of every expert code, resynchronisation, desegmentation off,
# two passes, and statistics.
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup
S=$(cs_input "$CS_SRC/samples/depgate-session.pcap")
F=$(cs_input "$CS_SRC/samples/depgate-faults.pcap")

# frames carrying a match, as one space-separated line
frames() { cs_tshark -r "$1" "${@:2}" -T fields -e frame.number | tr '\n' ' ' | sed 's/ $//'; }
# values of one field over the matching frames, one PDU per line
vals() { cs_tshark -r "$1" "${@:3}" -T fields -e "$2" | tr ',' '\n' | grep -v '^$' || true; }

# ---- finding the traffic ------------------------------------------------------
check_eq "port 8003 by default (heuristic off)" "4 6 9 11 13 15 17 19 21 23 25 27" \
    "$(frames "$S" --disable-heuristic depgate_tcp -Y depgate)"
check_eq "port 9100 only through the heuristic" "68 70 72" \
    "$(frames "$F" -Y 'depgate && tcp.port == 9100')"
check_eq "heuristic depgate_tcp can be disabled" "" \
    "$(frames "$F" --disable-heuristic depgate_tcp -Y 'depgate && tcp.port == 9100')"
check_eq "Decode As on port 9100" "68 70 72" \
    "$(frames "$F" --disable-heuristic depgate_tcp -d tcp.port==9100,depgate -Y 'depgate && tcp.port == 9100')"
check_eq "the depgate.tcp.port preference adds a port" "68 70 72" \
    "$(frames "$F" --disable-heuristic depgate_tcp -o depgate.tcp.port:9100 -Y 'depgate && tcp.port == 9100')"
check_eq "Decode As takes port 8003 away" "" \
    "$(frames "$S" --disable-heuristic depgate_tcp -d tcp.port==8003,data -Y depgate)"

# ---- the session -------------------------------------------------------------
info=$(cs_tshark -r "$S" -Y depgate -T fields -e frame.number -e depgate.direction -e _ws.col.Info)
check_golden depgate-session.info.txt "$info"
check_eq "PDUs in the session" 14 "$(vals "$S" depgate.cmd -Y depgate | wc -l)"
check_eq "len and cmd on every PDU" "14 14" \
    "$(vals "$S" depgate.len -Y depgate | wc -l) $(vals "$S" depgate.magic -Y 'depgate.magic == 0x4543' | wc -l)"
check_eq "no dEpGate expert item in the clean session" "" \
    "$(cs_tshark -r "$S" -2 -q -z expert,note | grep -i depgate || true)"
check_eq "commands" "2 9 3" "$(for c in 101 1001 1005; do vals "$S" depgate.cmd -Y depgate | grep -cx $c; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "the direction comes from the handshake" 14 \
    "$(cs_tshark -r "$S" -Y depgate -O depgate | grep -c 'Direction: Gateway to server (from the TCP handshake)')"
check_eq "real-time data heads" "1000	3301020304050607	1	14	5" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 6' -T fields -e depgate.org -e depgate.pile_code -e depgate.gun -e depgate.pile_type -e depgate.point_count)"
check_eq "points: address, type, value" "1,1,41,44,1	1,3,3,3,4	1,3,2203,318,1234567" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 6' -T fields -e depgate.point.addr -e depgate.point.type -e depgate.point.value)"
check_eq "points named where the table knows address and type" \
    "Battery (vehicle) connected,Charger state,A-phase voltage,A-phase current,Total active energy" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 6' -T fields -e depgate.point.name)"
# every point but address 50 (a measurement the table does not know) is named
check_eq "points without a name" "50 50 50" \
    "$(cs_tshark -r "$S" -Y depgate -O depgate | grep 'not in the point table' | sed 's/.*Point \([0-9]*\):.*/\1/' | tr '\n' ' ' | sed 's/ $//')"
check_eq "named points in the session" 69 "$(vals "$S" depgate.point.name -Y depgate | wc -l)"
check_eq "point filter by name" "6 13 21" "$(frames "$S" -Y 'depgate.point.name == "A-phase voltage"')"
check_eq "charger state value named" 6 \
    "$(cs_tshark -r "$S" -Y depgate -O depgate | grep -c 'Charger state = 3 (Working (charging))')"
check_eq "consumption raw and scaled" "12345	12.345	2500	25	300	3" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 17' -T fields -e depgate.energy -e depgate.energy.kwh -e depgate.amount -e depgate.amount.yuan -e depgate.service_fee -e depgate.service_fee.yuan)"
check_eq "consumption serial and times" "33010203040507020217302962001	Oct 30, 2024 13:52:30.000000000 UTC	Oct 30, 2024 14:52:30.000000000 UTC	3600.000000000" \
    "$(cs_tshark -r "$S" -Y 'frame.number == 17' -T fields -e depgate.serial -e depgate.start_time -e depgate.end_time -e depgate.duration)"
check_eq "energy filter on the scaled value" "19 19" \
    "$(cs_tshark -r "$S" -Y 'depgate.energy.kwh > 20' -T fields -e frame.number -e depgate.energy | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//') $(frames "$S" -Y 'depgate.energy == 30500')"
check_eq "the times are marked inferred" 2 \
    "$(cs_tshark -G fields | awk -F'\t' '$3 == "depgate.start_time" || $3 == "depgate.end_time" {print $8}' | grep -c '\[inferred\]$')"
tree=$(cs_tshark -r "$S" -Y 'frame.number == 9 || frame.number == 17' -O depgate |
    awk '/^dEpGate/ {p = 1} /^Frame / {p = 0} p')
check_golden depgate-session.tree.txt "$tree"
check_eq "a PDU over two segments (20 + rest)" "9" "$(frames "$S" -Y 'depgate.cmd == 1001 && tcp.reassembled.length')"
check_eq "several PDUs in one segment" "15 19" "$(frames "$S" -Y 'count(depgate.cmd) == 2')"
# (each PDU is timed by the frame that ends it: DC gun 1 ends 0.2 ms late in
# minute 0, split over two segments, and shares gun 2's segment in minute 1)
check_eq "real-time gaps per pile and gun" "60.000000000,59.999800000,59.900000000,60.000000000,60.000000000,60.100000000" \
    "$(vals "$S" depgate.realtime.gap -Y depgate | tr '\n' ',' | sed 's/,$//')"
check_eq "checksum verdict: not present on every PDU" 1 \
    "$(cs_tshark -r "$S" -q -z depgate,tree | grep -c '^ Not present  *14 ')"
stats=$(cs_tshark -r "$S" -q -z depgate,tree)
check_eq "stats: messages" 1 "$(printf '%s\n' "$stats" | grep -c '^Messages by command and direction  *14 ')"
check_eq "stats: real-time data" 1 "$(printf '%s\n' "$stats" | grep -c '^ Real-time data (0x3E9)  *9 ')"

# ---- the faults: every expert code on its exact frames -------------------------
finfo=$(cs_tshark -r "$F" -Y depgate -T fields -e frame.number -e depgate.direction -e _ws.col.Info -e _ws.expert.message)
check_golden depgate-faults.info.txt "$finfo"
check_eq "body trailing" "6" "$(frames "$F" -Y depgate.body.trailing)"
check_eq "point count mismatch" "8" "$(frames "$F" -Y depgate.point_count.mismatch)"
check_eq "unknown point type" "10" "$(frames "$F" -Y depgate.point.type.unknown)"
check_eq "length shorter than the body needs" "12" "$(frames "$F" -Y depgate.body.short)"
check_eq "string length overrun" "14" "$(frames "$F" -Y depgate.string.len)"
check_eq "unknown command" "16" "$(frames "$F" -Y depgate.cmd.unknown)"
check_eq "unknown command's raw body" "2002	01020304" \
    "$(cs_tshark -r "$F" -Y depgate.cmd.unknown -T fields -e depgate.cmd -e depgate.body)"
check_eq "heartbeat with a body" "18" "$(frames "$F" -Y depgate.heartbeat.body)"
check_eq "garbage" "20" "$(frames "$F" -Y depgate.garbage)"
check_eq "garbage bytes shown" "deadbeef4500ff" "$(cs_tshark -r "$F" -Y depgate.garbage.data -T fields -e depgate.garbage.data)"
check_eq "resynchronised on the next EC" "[7 bytes of garbage] | Heartbeat" \
    "$(cs_tshark -r "$F" -Y 'frame.number == 20' -T fields -e _ws.col.Info)"
check_eq "length below 2" "22" "$(frames "$F" -Y depgate.len.invalid)"
check_eq "server heartbeats (4.1 d)" "24 77" "$(frames "$F" -Y depgate.server.heartbeat)"
check_eq "server real-time data" "26" "$(frames "$F" -Y depgate.server.unexpected)"
check_eq "the document's fixed-field layout" "28 30" "$(frames "$F" -Y depgate.layout.fixed)"
check_eq "fixed-field values" "3301020304	000000000000	3301020304050702	33010203040507020217	000000000000000000000000	8800" \
    "$(cs_tshark -r "$F" -Y 'depgate.layout == 1' -T fields -e depgate.pile_code -e depgate.pile_code.padding -e depgate.serial -e depgate.serial.padding -e depgate.energy | tr '\n' '\t' | sed 's/\t\t*/\t/g;s/\t$//')"
check_eq "end time not after start time" "32" "$(frames "$F" -Y depgate.record.time_order)"
check_eq "zero energy" "34" "$(frames "$F" -Y depgate.record.zero_energy)"
check_eq "real-time data late" "54" "$(frames "$F" -Y depgate.realtime.late)"
check_eq "heartbeat late (gateway silence)" "58 60" "$(frames "$F" -Y depgate.heartbeat.late)"
check_eq "link silence" "60" "$(frames "$F" -Y depgate.link.silence)"
check_eq "the gaps that end them" "85.000000000 150.000000000" \
    "$(vals "$F" depgate.gateway_gap -Y depgate.heartbeat.late | tr '\n' ' ' | sed 's/ $//')"
check_eq "no truncated PDU with reassembly" "" "$(frames "$F" -Y depgate.len.truncated)"
check_eq "truncated PDU without reassembly" "36" "$(frames "$F" -o depgate.desegment:FALSE -Y depgate.len.truncated)"
check_eq "a timing preference moves the limit" "" "$(frames "$F" -o depgate.realtime_interval:80 -Y depgate.realtime.late)"
check_eq "the tolerance moves all limits" "60" "$(frames "$F" -o depgate.timing_tolerance:30 -Y 'depgate.heartbeat.late || depgate.realtime.late || depgate.link.silence')"
check_eq "mid-stream directions (ports, shape, learned)" \
    "Server to gateway (guessed: the lower port is the server's)|Gateway to server (inferred from the payload shape)|Gateway to server (learned from this endpoint's earlier messages)" \
    "$(cs_tshark -r "$F" -Y 'depgate && tcp.port == 52104' -O depgate | grep 'Direction:' | sed 's/.*Direction: //;s/]$//' | tr '\n' '|' | sed 's/|$//')"
all=$(cs_tshark -r "$F" -2 -q -z expert,note | awk '/dEpGate/ {n += $1} END {print n + 0}')
check_eq "no other dEpGate expert items" 20 "$all"
check_eq "checksum verdict absent on every PDU" 1 \
    "$(cs_tshark -r "$F" -q -z depgate,tree | grep -c '^ Not present  *32 ')"

# ---- chargecap: the checksum verdict reads "absent", never "good" -------------
# (chargecap's summary line as of this writing: "N messages; checksums: G good, ...")
for f in "$S" "$F"; do
    sum=$("$CHARGECAP" "$f" | grep -m1 'checksums:' || true)
    check_eq "chargecap: no good checksum ($(basename "$f"))" "0 good" "$(grep -o '[0-9]* good' <<< "$sum")"
    check_eq "chargecap: every message absent ($(basename "$f"))" \
        "$(grep -o '^ *[0-9]* messages' <<< "$sum" | tr -dc 0-9) absent" "$(grep -o '[0-9]* absent' <<< "$sum")"
done

# ---- desegmentation off and two passes ------------------------------------------
check_eq "without reassembly the split PDU is cut, its rest is garbage" "8 9" \
    "$(frames "$S" -o depgate.desegment:FALSE -Y 'depgate.len.truncated || depgate.garbage')"
for f in "$S" "$F"; do
    one=$(cs_tshark -r "$f" -Y depgate -T fields -e frame.number -e _ws.col.Info -e _ws.expert.message -e depgate.gateway_gap -e depgate.direction)
    two=$(cs_tshark -r "$f" -2 -Y depgate -T fields -e frame.number -e _ws.col.Info -e _ws.expert.message -e depgate.gateway_gap -e depgate.direction)
    check_eq "two passes show what one pass shows ($(basename "$f"))" "$one" "$two"
done
check_done
