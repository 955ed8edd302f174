# common.sh - helpers of the chargecap tests; source it after nothing else.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# chargecap under test; in the ASan build leaks are errors too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

# gen SCENARIO [OPTIONS...]: a capture from chargegen; prints its path.
gen() {
    local name=$1
    shift
    local out="$CS_TMP/$name$(printf '%s' "$*" | tr -c 'a-z0-9' '_').pcap"
    [ -e "$out" ] || "$CHARGEGEN" "$name" "$out" "$@" || { echo "chargegen $name failed" >&2; exit 1; }
    echo "$out"
}

# records CAPTURE [OPTIONS...]: chargecap --json --messages into a file;
# prints its path.  The exit status goes to JSON.rc (rc_of JSON), the
# report to JSON.report and standard error to JSON.err.
records() {
    local cap=$1
    shift
    local out="$CS_TMP/rec-$RANDOM$RANDOM.json" rc=0
    "$CHARGECAP" -q --json "$out" --messages "$@" "$cap" > "$out.report" 2> "$out.err" || rc=$?
    echo "$rc" > "$out.rc"
    echo "$out"
}
rc_of() { cat "$1.rc"; }

# msgs JSON SESSION: "frame cmd_name|garbage dir" per message of a session.
msgs() {
    jq -r --argjson s "$2" 'select(.kind == "message" and .session == $s) |
        "\(.frame) \(if .garbage then "garbage:\(.len)" else .cmd_name end) \(.dir)"' "$1" |
        tr '\n' ';' | sed 's/;$//'
}

# viols JSON SESSION: "frame code offset len" per violation of a session.
viols() {
    jq -r --argjson s "$2" 'select(.kind == "violation" and .session == $s) |
        "\(.frame) \(.code) \(.offset) \(.len)"' "$1" | sort -n | tr '\n' ';' | sed 's/;$//'
}

# sess JSON SESSION FILTER: a jq expression on a session record.
sess() {
    jq -r --argjson s "$2" "select(.kind == \"session\" and .session == \$s) | $3" "$1"
}
