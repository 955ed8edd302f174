#!/usr/bin/env bash
# Hostile and broken inputs: each gives a clear message, the documented
# exit status, whatever results there are before the damage, no sanitizer
# report, and nothing written outside the --extract folder.
. "$(dirname "$0")/common.sh"

S="$CS_SRC/samples/woshi-session.pcap"
size=$(stat -c %s "$S")

# poke FILE OFFSET HEXBYTES: overwrite bytes in place
poke() { printf "$(sed 's/\(..\)/\\x\1/g' <<< "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# run NAME EXPECTED_STATUS MESSAGE_REGEX FILE...: chargecap on hostile
# input; checks the status, the message and that no sanitizer complained
run() {
    local name=$1 want=$2 msg=$3
    shift 3
    local rc=0
    "$CHARGECAP" -q --json "$CS_TMP/$name.json" "$@" > "$CS_TMP/$name.out" 2> "$CS_TMP/$name.err" || rc=$?
    check_eq "$name: exit status" "$want" "$rc"
    if [ -n "$msg" ]; then
        CS_CHECKS=$((CS_CHECKS + 1))
        grep -qE "$msg" "$CS_TMP/$name.err" || { fail "$name: no message like /$msg/"; sed 's/^/    /' "$CS_TMP/$name.err" >&2; }
    fi
    check_eq "$name: no sanitizer report" "" "$(grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$CS_TMP/$name.err" || true)"
    check_eq "$name: the JSON output is valid" 0 "$(jq -e . "$CS_TMP/$name.json" > /dev/null 2>&1; echo $?)"
}
summary() { jq -r "select(.kind == \"summary\") | $2" "$CS_TMP/$1.json"; }

# ---- a capture cut inside a packet: everything before it is reported ----------
head -c $((size - 40)) "$S" > "$CS_TMP/cut.pcap"
run truncated 3 "damaged: the file ends inside packet 99 \(" "$CS_TMP/cut.pcap"
check_eq "truncated: 98 frames read" 98 "$(summary truncated .frames)"
check_eq "truncated: the damage in the summary" 1 "$(summary truncated .damaged | grep -c 'ends inside packet 99')"
check_eq "truncated: messages before the damage reported" 46 "$(summary truncated .messages.total)"
check_eq "truncated: the report says so" 1 "$(grep -c 'DAMAGED: the file ends inside packet 99' "$CS_TMP/truncated.out")"

head -c 30 "$S" > "$CS_TMP/cut-header.pcap"
run truncated-header 3 "ends inside the header of packet 1" "$CS_TMP/cut-header.pcap"
head -c 10 "$S" > "$CS_TMP/cut-filehdr.pcap"
run truncated-file-header 3 "pcap file header is cut short" "$CS_TMP/cut-filehdr.pcap"

# ---- not a capture -----------------------------------------------------------------
cp "$S" "$CS_TMP/badmagic.pcap"
poke "$CS_TMP/badmagic.pcap" 0 "deadbeef"
run bad-magic 3 "not a pcap or pcapng file \(it begins de ad be ef\)" "$CS_TMP/badmagic.pcap"
check_eq "bad magic: a summary with the reason" 1 "$(summary bad-magic .damaged | grep -c 'not a pcap')"
: > "$CS_TMP/empty.pcap"
run empty 3 "the file is empty" "$CS_TMP/empty.pcap"
seq 1 5000 | tr '\n' ' ' > "$CS_TMP/garbage.pcap"
run garbage 3 "not a pcap or pcapng file" "$CS_TMP/garbage.pcap"
head -c 3000 /dev/zero | gzip -n > "$CS_TMP/zeros.pcap.gz"
run gzip-of-garbage 3 "not a pcap or pcapng file inside the gzip data" "$CS_TMP/zeros.pcap.gz"
gzip -nc "$S" | head -c 2000 > "$CS_TMP/cut.pcap.gz"
run gzip-cut 3 "gzip data is cut short" "$CS_TMP/cut.pcap.gz"
check_eq "gzip cut: what was there is read" 1 "$([ "$(summary gzip-cut .frames)" -gt 5 ] && echo 1)"
gzip -nc "$S" > "$CS_TMP/corrupt.pcap.gz"
poke "$CS_TMP/corrupt.pcap.gz" 200 "ffffffffffffffff"
run gzip-corrupt 3 "gzip data is corrupt" "$CS_TMP/corrupt.pcap.gz"
run missing 3 "No such file or directory" "$CS_TMP/does-not-exist.pcap"

# ---- lengths ---------------------------------------------------------------------------
cp "$S" "$CS_TMP/snap.pcap"
poke "$CS_TMP/snap.pcap" 16 "40000000" # snaplen 64, the packets are longer
run caplen-above-snaplen 0 "packet 5 has a capture length of 78 bytes, above the file's snapshot length 64 \(read anyway\)" "$CS_TMP/snap.pcap"
check_eq "caplen above snaplen: read anyway" 46 "$(summary caplen-above-snaplen .messages.total)"
cp "$S" "$CS_TMP/absurd.pcap"
poke "$CS_TMP/absurd.pcap" 32 "ffffff7f"
run caplen-absurd 3 "capture length of 2147483647 bytes, beyond any sane bound" "$CS_TMP/absurd.pcap"
cp "$S" "$CS_TMP/absurd2.pcap"
# the tenth packet's length: skip nine records
off=24
for _ in 1 2 3 4 5 6 7 8 9; do
    cap=$(od -An -tu4 -j $((off + 8)) -N4 "$S" | tr -d ' ')
    off=$((off + 16 + cap))
done
poke "$CS_TMP/absurd2.pcap" $((off + 8)) "00000001" # 16 MiB
run caplen-absurd-later 3 "packet 10 has a capture length of 16777216 bytes" "$CS_TMP/absurd2.pcap"
check_eq "absurd caplen later: the nine packets before it" 9 "$(summary caplen-absurd-later .frames)"

# pcapng: a block whose two lengths disagree, and one past the end
"$CHARGEGEN" woshi-session "$CS_TMP/ng.pcapng" --format pcapng
cp "$CS_TMP/ng.pcapng" "$CS_TMP/ng-bad.pcapng"
poke "$CS_TMP/ng-bad.pcapng" $((28 + 32 + 4)) "fcffff0f"
run pcapng-block-length 3 "impossible length|inconsistent lengths|ends inside the block" "$CS_TMP/ng-bad.pcapng"
head -c $(($(stat -c %s "$CS_TMP/ng.pcapng") - 10)) "$CS_TMP/ng.pcapng" > "$CS_TMP/ng-cut.pcapng"
run pcapng-cut 3 "ends inside the block after packet 98 \(78 of 88 bytes\)" "$CS_TMP/ng-cut.pcapng"
check_eq "pcapng cut: the packets before it" 98 "$(summary pcapng-cut .frames)"

# ---- one damaged file among good ones: the good ones are whole ------------------------
run mixed 3 "damaged" "$S" "$CS_TMP/cut.pcap" "$CS_SRC/samples/woshi-faults.pcap"
check_eq "mixed: three summaries" 3 "$(jq -s '[.[] | select(.kind == "summary")] | length' "$CS_TMP/mixed.json")"
check_eq "mixed: the good files' messages" "46 20" \
    "$(jq -r 'select(.kind == "summary" and .damaged == null) | .messages.total' "$CS_TMP/mixed.json" | tr '\n' ' ' | sed 's/ $//')"

# ---- device IDs that are paths and terminal escapes -----------------------------------
H=$(gen hostile-ids)
X="$CS_TMP/x"
mkdir -p "$X"
rm -rf /tmp/chargecap-escape "$CS_TMP/etc"
run hostile-ids 0 "" --extract "$X/out" --payload "$H"
check_eq "hostile ids: the IDs are reported as they are (the library shows controls as ?)" \
    '"../../../../tmp/chargecap-escape" "/etc/passwd" "a/b/../../c" ".." "?[31mred?[0m??forged line"' \
    "$(jq -c 'select(.kind == "session") | .device' "$CS_TMP/hostile-ids.json" | head -5 | tr '\n' ' ' | sed 's/ $//')"
check_eq "hostile ids: nothing next to the --extract folder" "out" "$(ls -A "$X")"
check_eq "hostile ids: nothing escaped" "" "$(ls -d /tmp/chargecap-escape "$CS_TMP/etc" 2> /dev/null || true)"
check_eq "hostile ids: only regular files of safe names, in one folder" "" \
    "$(find "$X/out" -mindepth 1 | sed "s|^$X/out/||" | grep -vE '^[a-z0-9_.-]+(/[0-9]+_woshi_10\.30\.0\.[0-9]+-[0-9]+_47\.96\.10\.20-8992\.(pcap|client\.bin|server\.bin))?$' || true)"
check_eq "hostile ids: one pcap per session" 6 "$(find "$X/out" -name '*.pcap' | wc -l)"
check_eq "hostile ids: no escape character in the report or the records" 0 \
    "$(cat "$CS_TMP/hostile-ids.out" "$CS_TMP/hostile-ids.json" | grep -c $'\x1b' || true)"
check_eq "hostile ids: the long ID in the report" 1 \
    "$(grep -c 'DEVICE-ID-OF-A-HUNDRED' "$CS_TMP/hostile-ids.out" | sed 's/^[1-9][0-9]*$/1/')"
check_eq "hostile ids: every report line fits 80 columns" "" \
    "$(awk 'length($0) > 80' "$CS_TMP/hostile-ids.out")"

# ---- mutated captures: damaged anywhere, never a crash -------------------------------------
seed=12345
rnd() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); echo $((seed % $1)); }
bad=0
M=$(gen tcp-edges --format pcapng --link mixed --fragment 16)
for i in $(seq 1 40); do
    src=$S
    [ $((i % 2)) = 0 ] && src=$M
    cp "$src" "$CS_TMP/mut.pcap"
    n=$(stat -c %s "$src")
    for _ in $(seq 1 $((1 + i % 12))); do
        poke "$CS_TMP/mut.pcap" "$(rnd "$n")" "$(printf %02x "$(rnd 256)")"
    done
    rc=0
    "$CHARGECAP" -q -j 2 --shard-min 0 -m --json /dev/null --extract "$CS_TMP/mut-x" "$CS_TMP/mut.pcap" \
        > /dev/null 2> "$CS_TMP/mut.err" || rc=$?
    if [ "$rc" -gt 3 ] || grep -qE 'Sanitizer|runtime error' "$CS_TMP/mut.err"; then
        bad=$((bad + 1))
        cp "$CS_TMP/mut.pcap" "$CS_TMP/mut-bad-$i.pcap"
        sed 's/^/    /' "$CS_TMP/mut.err" | head -5 >&2
    fi
done
check_eq "40 mutated captures: a status of 0, 1 or 3, and no sanitizer report" 0 "$bad"

# ---- usage errors -------------------------------------------------------------------------
usage() {
    local rc=0
    "$CHARGECAP" "$@" > /dev/null 2> "$CS_TMP/usage.err" || rc=$?
    check_eq "usage: $*" 2 "$rc"
}
usage --no-such-option "$S"
usage
usage --port woshi=99999 "$S"
usage --port nosuch=8992 "$S"
usage --set woshi.nosuch=1 "$S"
usage --fail-on maybe "$S"
usage -j 0 "$S"
usage --payload "$S"
usage --idle-timeout soon "$S"
usage - -
check_done
