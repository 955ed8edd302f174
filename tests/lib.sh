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

# cs_tshark ARGS...: tshark with the built plugin, never as root.
cs_tshark() {
    local env=(env "HOME=$CS_TMP/home" "XDG_CONFIG_HOME=$CS_TMP/home/.config"
               "WIRESHARK_PLUGIN_DIR=$CS_TMP/plugins" "WIRESHARK_ABORT_ON_DISSECTOR_BUG=1"
               "WIRESHARK_EXTCAP_DIR=$CS_TMP/no-extcap")
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

# check_golden NAME ACTUAL: compare with tests/golden/NAME; with
# CS_UPDATE_GOLDEN=1 rewrite the golden file instead (review the diff!).
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
