#!/usr/bin/env bash
# capture_seeds.sh DIR CHARGEGEN SRC
# The seed corpus of fuzz_capture: every committed sample, chargecap's own
# test scenarios, and small variants in each format and link layer the
# reader knows (written by chargegen), plus one modified-pcap file (the
# format only libpcap reads).  Every seed is under libFuzzer's -max_len.
set -euo pipefail
dir=$1 gen=$2 src=$3
rm -rf "$dir"
mkdir -p "$dir"
cp "$src"/samples/*.pcap "$dir"/
# name scenario [writer options]
v() {
    local name=$1 scenario=$2
    shift 2
    "$gen" "$scenario" "$dir/$name" "$@" > /dev/null
}
v tcp-edges.pcap tcp-edges
v tcp-edges-mixed-frag.pcapng tcp-edges --format pcapng --link mixed --fragment 16
v garbage-runs.pcap garbage-runs
v hostile-ids.pcap hostile-ids
v woshi-session.pcapng woshi-session --format pcapng
v woshi-faults-ns-swap.pcap woshi-faults --format pcap-ns --swap
v woshi-session-frag-rev-vlan.pcap woshi-session --fragment 24 --fragment-reverse --link vlan
v evpile-session.pcap.gz evpile-session --gzip
v evpile-faults-qinq.pcap evpile-faults --link qinq
v depgate-session-all.pcapng.gz depgate-session --format pcapng --link mixed --swap --gzip --ipv6
v depgate-faults-sll.pcap depgate-faults --link sll
v ruioo-faults-sll2-ipv6ext.pcap ruioo-faults --link sll2 --ipv6-ext
v ruioo-session-us.pcapng ruioo-session --format pcapng-us --link raw
v aicloud-p2p-null.pcap aicloud-p2p --link null
v aicloud-p2p-loop-swap.pcap aicloud-p2p --link loop --swap
v aicloud-field-ipv6.pcap aicloud-field --ipv6
# libpcap's modified pcap (magic a1b2cd34, 24-byte record headers): only
# libpcap reads it
perl -e '
    local $/; open(my $in, "<:raw", $ARGV[0]) or die; my $d = <$in>;
    my $out = pack("V", 0xa1b2cd34) . substr($d, 4, 20);
    my $at = 24;
    while ($at + 16 <= length $d) {
        my ($s, $us, $cap, $len) = unpack("V4", substr($d, $at, 16));
        $out .= pack("V4 V v C C", $s, $us, $cap, $len, 1, 0x0800, 0, 0) . substr($d, $at + 16, $cap);
        $at += 16 + $cap;
    }
    open(my $o, ">:raw", $ARGV[1]) or die; print $o $out;
' "$src/samples/woshi-faults.pcap" "$dir/woshi-faults-modified.pcap"
too_big=$(find "$dir" -type f -size +64k)
[ -z "$too_big" ] || { echo "seeds above 64 KiB: $too_big" >&2; exit 1; }
echo "$(ls "$dir" | wc -l) seed captures in $dir"
