#!/usr/bin/env bash
# chargecap's --json output is what docs/chargecap-json.md says: every
# record of every kind, on many captures, checked against the schema block
# of that page (every key there, nothing else, each of its type).
. "$(dirname "$0")/common.sh"

DOC="$CS_SRC/docs/chargecap-json.md"
schema=$(awk '/^## The schema, machine-readable/ {on = 1} on && /^```json/ {p = 1; next} p && /^```/ {exit} p' "$DOC")
check_eq "the page has a schema block" 0 "$(jq -e .version <<< "$schema" > /dev/null; echo $?)"
version=$(jq -r .version <<< "$schema")
check_eq "the page's title has the version" 1 "$(grep -c "^# chargecap JSON records (schema version $version)" "$DOC")"
check_eq "chargecap --version names the version" 1 "$("$CHARGECAP" --version | grep -c "JSON schema $version;")"

VALIDATE='
def ok($t; $v):
  any(($t | split("|"))[];
    . as $x |
    if $x == "string" then ($v | type) == "string"
    elif $x == "integer" then ($v | type) == "number" and ($v | floor) == $v
    elif $x == "number" then ($v | type) == "number"
    elif $x == "boolean" then ($v | type) == "boolean"
    elif $x == "null" then $v == null
    elif $x == "object" then ($v | type) == "object"
    elif $x == "array" then ($v | type) == "array"
    elif $x == "time" then ($v | type) == "string" and
        ($v | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"))
    else false end);
def check($spec; $v; $path):
  if ($spec | type) == "string" then
    if ok($spec; $v) then empty else "\($path): \($v | tojson) is not \($spec)" end
  elif ($spec | type) == "array" then
    if ($spec | index([$v])) then empty else "\($path): \($v | tojson) is not one of \($spec | tojson)" end
  elif $spec.ref then check($S.definitions[$spec.ref]; $v; $path)
  elif $spec.object then
    if ($v | type) != "object" then "\($path): not an object" else
      ($spec.object | to_entries[] | .key as $k | .value as $s |
        if ($v | has($k)) then check($s; $v[$k]; "\($path).\($k)") else "\($path): no \($k)" end),
      ($v | keys[] | select(. as $k | $spec.object | has($k) | not) | "\($path): unexpected key \(.)")
    end
  elif $spec.map then
    if ($v | type) != "object" then "\($path): not an object"
    else $v | to_entries[] | check($spec.map; .value; "\($path).\(.key)") end
  elif $spec.items then
    if ($v | type) != "array" then "\($path): not an array"
    else $v | to_entries[] | check($spec.items; .value; "\($path)[\(.key)]") end
  else "\($path): the schema has a bad entry" end;
. as $r |
if ($S.kinds | has($r.kind | tostring)) then
  check({object: ($S.common + $S.kinds[$r.kind])}; $r; "line \(input_line_number) (\($r.kind))")
else "line \(input_line_number): unknown kind \($r.kind | tojson)" end'

validate() { jq -r --argjson S "$schema" "$VALIDATE" "$1" | head -20; }

# the validator itself catches what it must
printf '%s\n' '{"v":1,"kind":"violation","file":"x","frame":1,"ts":"2024-01-01T00:00:00Z","session":1,"proto":"woshi","code":"c","severity":"fatal","source":"protocol","message":"m","offset":1,"len":0,"hex":"","extra":1}' > "$CS_TMP/bad.json"
check_eq "the validator finds a bad time, a bad enum, a missing and an unexpected key" \
    'line 1 (violation): "2024-01-01T00:00:00Z" is not time|null;line 1 (violation).severity: "fatal" is not one of ["error","warning","note"];line 1 (violation): unexpected key extra' \
    "$(validate "$CS_TMP/bad.json" | sed 's/^line 1 (violation)\.ts:/line 1 (violation):/' | tr '\n' ';' | sed 's/;$//')"

caps=("$CS_SRC"/samples/*.pcap "$(gen tcp-edges)" "$(gen garbage-runs)" "$(gen hostile-ids)"
      "$(gen noise --seed 7)" "$(gen tcp-edges --ipv6 --format pcapng)")
kinds=""
for cap in "${caps[@]}"; do
    J=$(records "$cap")
    check_eq "$(basename "$cap"): valid records" "" "$(validate "$J")"
    kinds="$kinds $(jq -r .kind "$J" | sort -u | tr '\n' ' ')"
    "$CHARGECAP" -q --json "$CS_TMP/plain.json" "$cap" > /dev/null || true
    check_eq "$(basename "$cap"): valid records without --messages" "" "$(validate "$CS_TMP/plain.json")"
done
check_eq "every kind was checked" "message session summary violation" \
    "$(tr ' ' '\n' <<< "$kinds" | grep . | sort -u | tr '\n' ' ' | sed 's/ $//')"
# without --messages, and the ends that evictions and damage give
M=$(gen many-sessions)
"$CHARGECAP" -q --json "$CS_TMP/evict.json" --max-sessions 50 "$M" > /dev/null || true
"$CHARGECAP" -q --json - --idle-timeout 45 "$M" >> "$CS_TMP/evict.json" || true
check_eq "evictions and idle timeouts: valid records" "" "$(validate "$CS_TMP/evict.json")"
check_eq "evictions and idle timeouts happened" "evicted idle_timeout" \
    "$(jq -r 'select(.kind == "session") | .ended' "$CS_TMP/evict.json" | grep -v capture_end | grep -v closed | sort -u | tr '\n' ' ' | sed 's/ $//')"
head -c 3000 "$CS_SRC/samples/woshi-session.pcap" > "$CS_TMP/cut.pcap"
"$CHARGECAP" -q --json "$CS_TMP/cut.json" "$CS_TMP/cut.pcap" "$CS_TMP/nosuch.pcap" > /dev/null 2>&1 || true
check_eq "damaged and missing files: valid records" "" "$(validate "$CS_TMP/cut.json")"
check_done
