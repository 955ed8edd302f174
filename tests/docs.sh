#!/usr/bin/env bash
# The docs are true to the library: every field is on its protocol's page,
# every violation code is in docs/violations.md with its severity, every
# option is in docs/plugin.md, and the README names every protocol.
. "$(dirname "$0")/lib.sh"
D="$CS_SRC/docs"
while IFS=$'\t' read -r kind name a b; do
    case "$kind" in
    protocol)
        proto=$name
        page="$D/protocols/$proto.md"
        CS_CHECKS=$((CS_CHECKS + 1))
        [ -f "$page" ] || fail "no $page"
        grep -q "| \`$proto\` |" "$CS_SRC/README.md" || fail "README does not list $proto"
        grep -q "^## $proto\$" "$D/violations.md" || fail "docs/violations.md has no section for $proto"
        ;;
    field)
        CS_CHECKS=$((CS_CHECKS + 1))
        grep -qF "\`$name\`" "$page" || fail "$page does not document field $name"
        ;;
    violation)
        CS_CHECKS=$((CS_CHECKS + 1))
        grep -qF "| \`$name\` | $a |" "$D/violations.md" || fail "docs/violations.md: $name ($a) missing or with another severity"
        ;;
    option)
        CS_CHECKS=$((CS_CHECKS + 1))
        grep -qF "\`$name\`" "$D/plugin.md" || fail "docs/plugin.md does not document option $name"
        ;;
    esac
done < <("$CHARGECAP" --list all)
# and nothing documented that the library does not define
codes=$("$CHARGECAP" --list all | awk -F'\t' '$1 == "violation" {print $2}')
for c in $(grep -o '^| `[a-z0-9_.]*` |' "$D/violations.md" | tr -d '|` '); do
    CS_CHECKS=$((CS_CHECKS + 1))
    grep -qxF "$c" <<< "$codes" || fail "docs/violations.md lists $c, which the library does not define"
done
check_done
