#!/usr/bin/env bash
# Ordinary TCP traffic (HTTP, TLS, SSH, DNS over TCP, random binary, on
# common and random ports, with and without handshakes) yields no PDU of
# any chargeshark protocol, in Wireshark or in chargecap.
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup
"$CHARGEGEN" noise "$CS_TMP/noise.pcap" --seed 7
N=$(cs_input "$CS_TMP/noise.pcap")
check_eq "the noise capture is not empty" 1 "$([ "$(cs_tshark -r "$N" | wc -l)" -gt 1000 ] && echo 1)"
for p in $("$CHARGECAP" --list all | awk -F'\t' '$1 == "protocol" {print $2}'); do
    check_eq "no $p PDU in Wireshark" 0 "$(cs_tshark -r "$N" -Y "$p" | wc -l)"
done
report=$("$CHARGECAP" "$N" || true)
check_eq "no session identified by chargecap" 0 \
    "$(printf '%s\n' "$report" | awk '$2 != "unknown" && $3 ~ /^(tcp|udp)$/' | wc -l)"
check_eq "chargecap lists the unidentified sessions" 1 \
    "$([ "$(printf '%s\n' "$report" | awk '$2 == "unknown"' | wc -l)" -ge 200 ] && echo 1)"
check_done
