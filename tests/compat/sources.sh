#!/usr/bin/env bash
# Only plugin/cs_compat.h may know that Wireshark versions differ
# (docs/compat.md): no other source file has a preprocessor conditional on
# a Wireshark version or a CMake probe, and the plugin avoids the calls and
# types whose signatures differ between 4.0 and 4.6.  Every hit is printed
# with its file and line.
. "$(dirname "$0")/../lib.sh"
cd "$CS_SRC"

# every C source and header of the project except the compatibility header
# (build trees, wherever they are, hold CMake's sources, not ours)
mapfile -t files < <(find . \( -name .git -o -name build -o -name 'build-*' -o -name _build \
                               -o -name out -o -name CMakeFiles \) -prune \
                          -o -name '*.[ch]' ! -path ./plugin/cs_compat.h -print | sed 's|^\./||' | sort)
check_eq "C sources found" 1 "$([ ${#files[@]} -gt 10 ] && echo 1)"

# preprocessor conditionals that test a version, a probe, a header's
# presence, or a macro cs_compat.h defines from them
compat_macros=$(sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+([A-Za-z0-9_]+).*/\1/p' \
                    plugin/cs_compat.h | grep -vx CS_COMPAT_H | sort -u | paste -sd'|')
check_eq "cs_compat.h defines macros" 1 "$([ -n "$compat_macros" ] && echo 1)"
hits=$(grep -nHE "^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\b.*\b(WIRESHARK_VERSION|VERSION_MAJOR|VERSION_MINOR|VERSION_MICRO|CS_HAVE_[A-Z0-9_]+|WS_PLUGIN_DESC_[A-Z_]+|__has_include|GLIB_CHECK_VERSION|$compat_macros)\b" \
       "${files[@]}" || true)
check_eq "no version #if outside plugin/cs_compat.h" "" "$hits"

# the probes' answers are cs_compat.h's alone
hits=$(grep -nHw -E 'CS_HAVE_[A-Z0-9_]+' "${files[@]}" || true)
check_eq "no CS_HAVE_* outside plugin/cs_compat.h" "" "$hits"

# in the plugin: gboolean (bool since 4.2/4.4 in callbacks and preferences:
# use bool or a cs_compat.h type), wmem_packet_scope() (gone in 4.6: use
# pinfo->pool), the value_string formatters whose scope argument came and
# went (use the library's cs_vs_name or val_to_str_const)
plugin_files=()
for f in "${files[@]}"; do [[ $f == plugin/* ]] && plugin_files+=("$f"); done
hits=$(grep -nHw -E 'gboolean|wmem_packet_scope|val_to_str|val_to_str_ext|val_to_str_wmem|val_to_str_ext_wmem|bytesprefix_to_str' \
       "${plugin_files[@]}" || true)
check_eq "the plugin uses no API that differs between 4.0 and 4.6" "" "$hits"
check_done
