#!/usr/bin/env bash
# The plugin registers every field and violation code the library defines,
# under its own name, and tshark -G plugins shows it with its version.
. "$(dirname "$0")/../lib.sh"
cs_plugin_setup

plugins=$(cs_tshark -G plugins)
version=$("$CHARGECAP" --version | awk '{print $2}')
line=$(printf '%s\n' "$plugins" | grep 'chargeshark.so' || true)
check_eq "tshark -G plugins lists chargeshark.so" 1 "$(printf '%s\n' "$line" | grep -c 'chargeshark.so')"
check_eq "the plugin reports version $version" "$version" "$(printf '%s\n' "$line" | awk '{print $2}')"
check_eq "the plugin is a dissector plugin" dissector "$(printf '%s\n' "$line" | awk '{print $3}')"

fields=$(cs_tshark -G fields | awk -F'\t' '$1 == "F" {print $3}' | sort -u)
protos=$(cs_tshark -G protocols | awk -F'\t' '{print $3}')
missing=""
while IFS=$'\t' read -r kind name _; do
    case "$kind" in
    protocol) grep -qx "$name" <<< "$protos" || missing="$missing protocol:$name" ;;
    field | violation) grep -qxF "$name" <<< "$fields" || missing="$missing $name" ;;
    esac
done < <("$CHARGECAP" --list all)
check_eq "every library field and violation code is registered" "" "$missing"

# every option is a preference (tshark -G currentprefs lists them)
prefs=$(cs_tshark -G currentprefs)
missing=""
while IFS=$'\t' read -r kind name _; do
    [ "$kind" = option ] || continue
    grep -q "^#*$name:" <<< "$prefs" || missing="$missing $name"
done < <("$CHARGECAP" --list all)
check_eq "every library option is a preference" "" "$missing"

# heuristic, port-range preference and Decode As, per protocol: with its
# heuristic disabled a protocol is found only through the other two
W=$(cs_input "$CS_SRC/samples/woshi-session.pcap")
n() { cs_tshark -r "$W" "$@" -Y woshi | wc -l; }
check_eq "woshi: found by its heuristic" 44 "$(n)"
check_eq "woshi: heuristic woshi_tcp can be disabled" 0 "$(n --disable-heuristic woshi_tcp)"
check_eq "woshi: the woshi.tcp.port preference" 44 "$(n --disable-heuristic woshi_tcp -o woshi.tcp.port:8992)"
check_eq "woshi: Decode As" 44 "$(n --disable-heuristic woshi_tcp -d tcp.port==8992,woshi)"
check_eq "woshi: no port by default" 0 "$(n --disable-heuristic woshi_tcp -o woshi.tcp.port:9999)"
check_done
