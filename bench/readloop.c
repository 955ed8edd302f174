/*
 * readloop - the physical limit: read every packet of a capture with
 * libpcap's pcap_next_ex() and touch nothing but the lengths.
 *
 *   readloop FILE   ->  "<packets> <bytes>"
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: readloop FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "readloop: %s\n", err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t packets = 0, bytes = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        packets++;
        bytes += h->caplen;
    }
    pcap_close(p);
    printf("%llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes);
    return rc == -1 ? 1 : 0;
}
