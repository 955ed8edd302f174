#!/usr/bin/env bash
# cmake --install puts the plugin in the invoking user's personal plugin
# folder, where tshark finds it with no WIRESHARK_PLUGIN_DIR; the system
# option targets Wireshark's own plugin folder.  Everything is installed
# under temporary folders (HOME, DESTDIR), never into the system.
. "$(dirname "$0")/lib.sh"
home="$CS_TMP/home"
mkdir -p "$home" "$CS_TMP/no-extcap"
HOME="$home" cmake --install "$CS_BUILD" --prefix "$CS_TMP/prefix" >/dev/null
so=$(ls "$home"/.local/lib/wireshark/plugins/*/epan/chargeshark.so 2>/dev/null || true)
check_eq "plugin installed in the personal folder" 1 "$([ -n "$so" ] && echo 1)"
check_eq "chargecap installed under the prefix" 1 "$([ -x "$CS_TMP/prefix/bin/chargecap" ] && echo 1)"
chmod -R a+rX "$home" && chmod 1777 "$home"
if [ "$(id -u)" = 0 ]; then
    run=(setpriv --reuid=65534 --regid=65534 --clear-groups env)
else
    run=(env)
fi
run+=("HOME=$home" "WIRESHARK_EXTCAP_DIR=$CS_TMP/no-extcap")
[ "${CS_SANITIZE:-0}" = 1 ] && run+=("LD_PRELOAD=$(gcc -print-file-name=libasan.so)" "ASAN_OPTIONS=detect_leaks=0")
check_eq "tshark finds the personal install" 1 \
    "$("${run[@]}" tshark -G plugins | grep -c "$home/.local/lib/wireshark/plugins/.*/epan/chargeshark.so")"

# the system-wide option, configured separately and installed into DESTDIR
sys="$CS_TMP/sysbuild"
cmake -S "$CS_SRC" -B "$sys" -DCHARGESHARK_SYSTEM_INSTALL=ON >/dev/null
cmake --build "$sys" --target chargeshark -j2 >/dev/null
DESTDIR="$CS_TMP/root" cmake --install "$sys" --component Unspecified >/dev/null 2>&1 || true
want=$(pkg-config --variable=plugindir wireshark)/epan/chargeshark.so
check_eq "system install targets Wireshark's plugin folder" 1 "$([ -f "$CS_TMP/root$want" ] && echo 1)"
check_done
