# lib.sh - shared by the shell tests.  Source it; it needs:
#   CS_BUILD   the build tree (plugins/<abi>/epan/chargeshark.so, binaries)
#   CS_SRC     the source tree (samples/, tests/)
#   CS_SANITIZE=1 when the build uses ASan+UBSan
#
# tshark ignores personal plugins and WIRESHARK_PLUGIN_DIR when run as
# root, so as root every tshark runs as nobody (setpriv).  The plugin and
# the inputs are copied into a world-readable temporary folder first: the
# build tree may sit under a folder nobody cannot enter.  Nothing is ever
# installed into system folders.  Extcap helpers are not run: the tests
# need none, and under an ASan preload some of them deadlock.

set -euo pipefail

: "${CS_BUILD:?CS_BUILD is not set}"
: "${CS_SRC:?CS_SRC is not set}"

CS_FAILS=0
CS_CHECKS=0

CS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/chargeshark-test.XXXXXX")
chmod 755 "$CS_TMP"
trap 'rm -rf "$CS_TMP"' EXIT

CHARGECAP="$CS_BUILD/analyzer/chargecap"
CHARGEGEN="$CS_BUILD/samples/chargegen"

cs_plugin_setup() {
    local so
    so=$(ls "$CS_BUILD"/plugins/*/epan/chargeshark.so 2>/dev/null | head -1)
    [ -n "$so" ] || { echo "no plugin built under $CS_BUILD/plugins" >&2; exit 1; }
    local abi
    abi=$(basename "$(dirname "$(dirname "$so")")")
    mkdir -p "$CS_TMP/plugins/$abi/epan" "$CS_TMP/home" "$CS_TMP/no-extcap"
    cp "$so" "$CS_TMP/plugins/$abi/epan/"
    chmod -R a+rX "$CS_TMP/plugins"
    chmod 1777 "$CS_TMP/home"
}

# cs_input FILE: a copy of FILE that tshark's user can read; prints its path.
cs_input() {
    local dst="$CS_TMP/in-$(basename "$1")"
    [ -e "$dst" ] || { cp "$1" "$dst"; chmod a+r "$dst"; }
    echo "$dst"
}

# cs_tshark_raw ARGS...: tshark with the built plugin, never as root.
cs_tshark_raw() {
    local env=(env "HOME=$CS_TMP/home" "XDG_CONFIG_HOME=$CS_TMP/home/.config"
               "WIRESHARK_PLUGIN_DIR=$CS_TMP/plugins" "WIRESHARK_ABORT_ON_DISSECTOR_BUG=1"
               "WIRESHARK_EXTCAP_DIR=$CS_TMP/no-extcap" "TZ=UTC")
    if [ "${CS_SANITIZE:-0}" = 1 ]; then
        env+=("LD_PRELOAD=$(gcc -print-file-name=libasan.so)"
              "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
              "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
    fi
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "${env[@]}" tshark "$@"
    else
        "${env[@]}" tshark "$@"
    fi
}

# cs_tshark ARGS...: cs_tshark_raw, its text output in Wireshark 4.0's
# renderings whatever the version (cs_canon), so that expected values and
# golden files hold on 4.0, 4.4 and 4.6 (docs/compat.md).  Output written
# with -w is left alone.
cs_tshark() {
    local a prev="" format="" mode=text
    for a in "$@"; do
        case "$prev:$a" in
        -T:*) format=$a ;;
        *:-T?*) format=${a#-T} ;;
        *:-w*) cs_tshark_raw "$@"; return ;;
        esac
        prev=$a
    done
    case "$format" in
    fields) mode=fields ;;
    json | jsonraw | ek) mode=json ;;
    esac
    [ $mode != fields ] || cs_tshark_escapes_probe
    # tshark's exit status, with or without pipefail
    cs_tshark_raw "$@" | CS_CANON_MODE=$mode cs_canon
    return "${PIPESTATUS[0]}"
}

# Whether this tshark writes a backslash in a -T fields value as \\ (4.4
# and 4.6 do, 4.0 does not): asked once per test script, of a packet
# comment holding one.
cs_tshark_escapes_probe() {
    [ -z "${CS_CANON_UNESCAPE:-}" ] || return 0
    if [ ! -e "$CS_TMP/escapes" ]; then
        mkdir -p "$CS_TMP/home" "$CS_TMP/no-extcap"
        chmod 1777 "$CS_TMP/home"
        # one Ethernet frame, no payload, in a classic pcap; editcap adds the comment
        local z4='\x00\x00\x00\x00'
        printf "\xd4\xc3\xb2\xa1\x02\x00\x04\x00$z4$z4\xff\xff\x00\x00\x01\x00\x00\x00" > "$CS_TMP/probe.pcap"
        printf "$z4$z4\x0e\x00\x00\x00\x0e\x00\x00\x00" >> "$CS_TMP/probe.pcap"
        printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x88\xb5' >> "$CS_TMP/probe.pcap"
        editcap -F pcapng -a '1:x\y' "$CS_TMP/probe.pcap" "$CS_TMP/probe.pcapng" >/dev/null
        chmod a+r "$CS_TMP/probe.pcapng"
        case "$(cs_tshark_raw -r "$CS_TMP/probe.pcapng" -T fields -e frame.comment)" in
        'x\y') echo 0 > "$CS_TMP/escapes" ;;
        'x\\y') echo 1 > "$CS_TMP/escapes" ;;
        *) echo "cs_tshark_escapes_probe: unexpected tshark output" >&2; return 1 ;;
        esac
    fi
    CS_CANON_UNESCAPE=$(cat "$CS_TMP/escapes")
    export CS_CANON_UNESCAPE
}

fail() {
    echo "FAIL: $*" >&2
    CS_FAILS=$((CS_FAILS + 1))
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
    CS_CHECKS=$((CS_CHECKS + 1))
    if [ "$2" != "$3" ]; then
        fail "$1"
        echo "  expected: $(printf '%s' "$2" | head -c 2000 | tr '\n' ' ')" >&2
        echo "  actual:   $(printf '%s' "$3" | head -c 2000 | tr '\n' ' ')" >&2
    fi
}

# cs_canon (a filter): tshark's renderings that differ between the versions
# we support (docs/compat.md), each turned into 4.0's rendering of the same
# value.  CS_CANON_MODE says what the text is:
#  text (-V, -O, -z, the summary lines):
#   - relative times: 4.6 scales them ("120.400000 milliseconds", "30 seconds",
#     "1 minute, 16.777800000 seconds"); 4.0 and 4.4 write seconds with nine
#     decimals ("0.120400000 seconds").  Only a value ending a "Name: value"
#     label is touched;
#   - byte fields: 4.0 shows 36 bytes and "…", 4.4 and 4.6 show more.  The
#     bytes past the 36th are dropped: 4.0 never shows them;
#   - 4.6 heads a frame "Frame 5: Packet, 78 bytes on wire".
#  fields and json (-T fields, -T json):
#   - absolute times: 4.6 writes ISO 8601 ("2024-10-05T03:46:40.000000000Z",
#     "+0000" for local time in UTC, the tests' zone); 4.0 and 4.4 write
#     "Oct  5, 2024 03:46:40.000000000 UTC";
#   - with CS_CANON_UNESCAPE=1 (fields only): 4.4 and 4.6 write a backslash
#     in a value as \\, 4.0 as itself.
cs_canon() {
    perl -pe '
        BEGIN {
            $mode = $ENV{CS_CANON_MODE} // "text";
            $unescape = $mode eq "fields" && ($ENV{CS_CANON_UNESCAPE} // 0);
            %ns = (nanosecond => 1, microsecond => 1000, millisecond => 1000000,
                   second => 1000000000, minute => 60000000000,
                   hour => 3600000000000, day => 86400000000000);
            @mon = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);
        }
        sub reltime {
            my ($sign, $parts, $int, $frac, $unit) = @_;
            my $t = 0;
            $t += $1 * $ns{$2} while $parts =~ /(\d+) (day|hour|minute)s?, /g;
            $t += $int * $ns{$unit};
            my $p = 10 ** length($frac); # whole nanoseconds in all Wireshark writes
            $t += $ns{$unit} % $p ? int($frac * $ns{$unit} / $p) : $frac * ($ns{$unit} / $p)
                if length $frac;
            return sprintf("%s%d.%09d seconds", $sign, int($t / 1000000000), $t % 1000000000);
        }
        if ($mode eq "text") {
            s{(?<=: )(-?)((?:\d+ (?:day|hour|minute)s?, )*)(\d+)(?:\.(\d+))? (nanosecond|microsecond|millisecond|second|minute|hour|day)s?(?=\]?$)}
             {reltime($1, $2, $3, $4 // "", $5)}e;
            s{(?<=: )([0-9a-f]{72})(?:[0-9a-f]+(?:\xe2\x80\xa6)?|\xe2\x80\xa6)(?=$|[\] ])}{$1\xe2\x80\xa6};
            s{^(Frame \d+: )Packet, }{$1};
        } else {
            s{(?<![\d-])(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)(?:Z|\+0000)(?![\d:])}
             {sprintf("%s %2d, %s %s UTC", $mon[$2 - 1], $3, $1, $4)}ge;
            s{\\\\}{\\}g if $unescape;
        }
    '
}

# for scripts that run cs_tshark in a child bash (export -f cs_tshark)
export -f cs_tshark_raw cs_tshark_escapes_probe cs_canon

# check_golden NAME ACTUAL: compare with tests/golden/NAME; with
# CS_UPDATE_GOLDEN=1 rewrite the golden file instead (review the diff!).
# tshark output from cs_tshark is in 4.0's renderings on every version.
check_golden() {
    local golden="$CS_SRC/tests/golden/$1"
    CS_CHECKS=$((CS_CHECKS + 1))
    if [ "${CS_UPDATE_GOLDEN:-0}" = 1 ]; then
        printf '%s\n' "$2" > "$golden"
        echo "updated $golden"
        return
    fi
    if ! diff -u "$golden" <(printf '%s\n' "$2") > "$CS_TMP/golden.diff"; then
        fail "$1 differs from its golden file"
        head -60 "$CS_TMP/golden.diff" >&2
    fi
}

check_done() {
    echo "$CS_CHECKS checks, $CS_FAILS failed"
    [ "$CS_FAILS" = 0 ]
}
