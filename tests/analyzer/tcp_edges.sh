#!/usr/bin/env bash
# TCP as chargecap reassembles it: out-of-order segments, retransmissions,
# an overlap with other bytes, a gap inside a PDU, a pickup mid-stream,
# sequence numbers that wrap, IPv4 fragments, a reset and the ports
# reused; every message and finding on its exact frame.  Then short
# garbage runs, where chargecap and the plugin must agree.
. "$(dirname "$0")/common.sh"

E=$(gen tcp-edges)
J=$(records "$E")
check_eq "tcp-edges: exit status 1 (woshi.garbage is an error)" 1 "$(rc_of "$J")"
check_eq "one session per connection, and one more for the reused ports" \
    "1:51001 2:51002 3:51003 4:51004 5:51005 6:51006 7:51007 8:51008 9:51008" \
    "$(jq -r 'select(.kind == "session") | "\(.session):\(.client.port)"' "$J" | sort -n | tr '\n' ' ' | sed 's/ $//')"

# 1: the login's middle segment (frame 6) came after the last (frame 5):
# the login is whole, in the frame that completed it
check_eq "out of order: messages" \
    "6 Login to_server;8 Login to_device;10 Heartbeat to_server;12 Heartbeat to_device" "$(msgs "$J" 1)"
check_eq "out of order: nothing reported" "" "$(viols "$J" 1)"

# 2: the heartbeat of frame 24 again in frame 26: once
check_eq "retransmission: messages" \
    "20 Login to_server;22 Login to_device;24 Heartbeat to_server;27 Heartbeat to_device" "$(msgs "$J" 2)"
check_eq "retransmission: nothing reported" "" "$(viols "$J" 2)"
check_eq "retransmission: payload counted twice, the stream once" "52 43" \
    "$(sess "$J" 2 '"\(.from_client.bytes) \(.from_client.stream)"')"

# 3: the retransmission in frame 41 carries another byte
check_eq "overlap: messages (the first copy kept)" \
    "35 Login to_server;37 Login to_device;39 Heartbeat to_server;42 Heartbeat to_device" "$(msgs "$J" 3)"
check_eq "overlap: tcp.overlap_mismatch on the retransmission, at its stream offset" \
    "41 tcp.overlap_mismatch 34 9" "$(viols "$J" 3)"
check_eq "overlap: the altered bytes shown (the checksum byte flipped)" "00076101ff11223344" \
    "$(jq -r 'select(.kind == "violation" and .session == 3) | .hex' "$J")"

# 4: heartbeat + login + heartbeat; the 10 bytes in the login's middle
# were never captured (the server acknowledged them)
check_eq "gap: messages (resynchronised on the next heartbeat)" \
    "50 Login to_server;52 Login to_device;54 Heartbeat to_server;55 garbage:12 unknown;55 Heartbeat to_server;57 Heartbeat to_device;57 Heartbeat to_device" \
    "$(msgs "$J" 4)"
check_eq "gap: its size and stream offset, and the garbage after it" \
    "55 tcp.gap 55 10;55 woshi.garbage 65 12" "$(viols "$J" 4)"
check_eq "gap: never filled; every byte accounted" "86 52 12 12 10" \
    "$(sess "$J" 4 '.from_client | "\(.stream) \(.decoded) \(.garbage) \(.unparsed) \(.gap)"')"
check_eq "gap: the cut PDU's head is said to be left unparsed" 1 \
    "$(jq -r 'select(.code == "tcp.gap") | .message' "$J" | grep -c '12 bytes of the PDU it cuts')"

# 5: no handshake; the capture starts inside the login (its 24-byte tail
# in frame 62 cannot be identified); the server's reply claims it
check_eq "mid-stream: identified on the server's reply" "64 first_packet" \
    "$(sess "$J" 5 '"\(.identified_frame) \(.client_from)"')"
check_eq "mid-stream: messages" \
    "64 Login to_device;66 Heartbeat to_server;68 Heartbeat to_device;70 Heartbeat to_server;72 Heartbeat to_device" \
    "$(msgs "$J" 5)"
check_eq "mid-stream: the tail before it is unparsed" "24 24" \
    "$(sess "$J" 5 '"\(.from_client.unparsed) \(.from_client.stream - .from_client.decoded)"')"
check_eq "mid-stream: the reply has no request" "64 woshi.response.unsolicited 0 0" "$(viols "$J" 5)"

# 6: the client's sequence numbers wrap inside the login
check_eq "sequence wrap: messages" \
    "79 Login to_server;81 Login to_device;83 Heartbeat to_server;85 Heartbeat to_device;87 Heartbeat to_server;89 Heartbeat to_device" \
    "$(msgs "$J" 6)"
check_eq "sequence wrap: no gap" "0 0" "$(sess "$J" 6 '"\(.violations) \(.gap_bytes)"')"

# 7: every datagram in 16-byte fragments, last fragment first
check_eq "fragments: messages, each in the frame of its last fragment" \
    "103 Login to_server;107 Login to_device;111 Heartbeat to_server;115 Heartbeat to_device" \
    "$(msgs "$J" 7)"
check_eq "fragments: nothing left over" "0" \
    "$(jq -r 'select(.kind == "summary") | .ip_fragments_dropped' "$J")"

# 8: a reset after the login; a new SYN on the same ports is a new session
check_eq "reset: the first session" "rst port_reused 2" \
    "$(sess "$J" 8 '"\(.state) \(.ended) \(.messages)"')"
check_eq "reset: the second session" "fin capture_end 4" \
    "$(sess "$J" 9 '"\(.state) \(.ended) \(.messages)"')"
check_eq "reset: the second session's login" "135 Login to_server;137 Login to_device;139 Heartbeat to_server;141 Heartbeat to_device" \
    "$(msgs "$J" 9)"
check_eq "every device of tcp-edges" \
    "EDGE000000000001 EDGE000000000002 EDGE000000000003 EDGE000000000004 EDGE000000000006 EDGE000000000007 EDGE000000000008 EDGE000000000088" \
    "$(jq -r 'select(.kind == "session") | .device // empty' "$J" | sort | tr '\n' ' ' | sed 's/ $//')"

# --port: the port claims the session from its first payload on, so the
# tail of the login in frame 62 is framed (as garbage) instead of unparsed;
# its last 3 bytes might start a header, so they wait for the next segment
JP=$(records "$E" --port woshi=8992)
check_eq "--port: connection 5 identified on its first segment" "62" "$(sess "$JP" 5 .identified_frame)"
check_eq "--port: the login's tail is garbage now" \
    "62 garbage:21 unknown;64 Login to_device;66 garbage:3 unknown;66 Heartbeat to_server;68 Heartbeat to_device;70 Heartbeat to_server;72 Heartbeat to_device" \
    "$(msgs "$JP" 5)"
check_eq "--port: every byte of connection 5 framed" "0" "$(sess "$JP" 5 '.from_client.unparsed')"
check_eq "--port on other ports changes nothing" "$(md5sum < "$J")" \
    "$(md5sum < "$(records "$E" --port woshi=9999 --port woshi=1-80)")"

# Wireshark with "reassemble out-of-order segments" sees connection 1 as
# chargecap does (by default it loses the login)
if [ "${CS_PLUGIN:-1}" = 1 ] && ls "$CS_BUILD"/plugins/*/epan/chargeshark.so > /dev/null 2>&1; then
    cs_plugin_setup
    in=$(cs_input "$E")
    check_eq "Wireshark (out-of-order reassembly on) agrees on connection 1" \
        "6 Login;8 Login;10 Heartbeat;12 Heartbeat" \
        "$(cs_tshark -r "$in" -2 -o tcp.reassemble_out_of_order:TRUE -Y 'woshi && tcp.port == 51001' \
            -T fields -e frame.number -e woshi.cmd | awk '{n = $2 == "0x60" ? "Login" : "Heartbeat"; print $1 " " n}' | tr '\n' ';' | sed 's/;$//')"
    check_eq "Wireshark leaves the frames before the claim alone on the second pass" "64" \
        "$(cs_tshark -r "$in" -2 -Y 'woshi && tcp.port == 51005' -T fields -e frame.number | head -1)"

    # --port against Decode As, on the samples
    if CS_TSHARK_ARGS="-d tcp.port==8992,woshi" CS_CHARGECAP_ARGS="--port woshi=8992" \
        bash "$(dirname "$0")/consistency.sh" > "$CS_TMP/decode-as.log" 2>&1; then
        check_eq "--port agrees with Wireshark's Decode As" ok ok
    else
        cat "$CS_TMP/decode-as.log" >&2
        check_eq "--port agrees with Wireshark's Decode As" ok failed
    fi

    # short garbage runs: garbage in both tools, never a truncated PDU
    G=$(gen garbage-runs)
    JG=$(records "$G")
    check_eq "garbage runs: garbage of 1, 2, 3, 5 and 2 bytes, then a heartbeat each" \
        "garbage:1 garbage:2 garbage:3 garbage:5 garbage:2" \
        "$(jq -r 'select(.kind == "message" and .garbage) | "garbage:\(.len)"' "$JG" | tr '\n' ' ' | sed 's/ $//')"
    check_eq "garbage runs: no truncated PDU" "" \
        "$(jq -r 'select(.kind == "violation") | .code' "$JG" | grep truncated || true)"
    if bash "$(dirname "$0")/consistency.sh" "$G" > "$CS_TMP/garbage-consistency.log" 2>&1; then
        check_eq "garbage runs: the plugin agrees" ok ok
    else
        cat "$CS_TMP/garbage-consistency.log" >&2
        check_eq "garbage runs: the plugin agrees" ok failed
    fi
fi
check_done
